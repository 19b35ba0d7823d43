"""Explanations beyond the network parts: who is behind a score, and why it changed.

- Top engagers of t: the people whose reactions pass t the most propagated influence, the PageRank
  inflow rank(a) * weight(a -> t) / out-weight(a), as a share of t's total inflow.
- Main cause of a daily change (delta_1d): the network whose part of the score moved most in the
  change's direction, and the raw-score component (transforms/scoring.py COMPONENTS) that moved
  most in that direction. Null when there is no previous score or no change.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from transforms.edges import LEAK_ID
from transforms.scoring import COMPONENTS


def top_engagers(edges: DataFrame, ranks: DataFrame, limit: int) -> DataFrame:
    """person_id, engager_id, position (1 = largest), share of the person's inflow."""
    out_weight = edges.groupBy(F.col("src")).agg(F.sum(F.col("weight")).alias("out_weight"))
    inflow = (
        edges.where(F.col("dst") != F.lit(LEAK_ID))  # the defences' sink is nobody
        .join(out_weight, on="src", how="inner")
        .join(ranks.select(F.col("person_id").alias("src"), F.col("rank")), on="src", how="inner")
        .select(
            F.col("dst").alias("person_id"),
            F.col("src").alias("engager_id"),
            (F.col("rank") * F.col("weight") / F.col("out_weight")).alias("inflow"),
        )
    )
    person = Window.partitionBy(F.col("person_id"))
    largest = person.orderBy(F.col("inflow").desc(), F.col("engager_id"))
    ranked = inflow.select(
        F.col("person_id"),
        F.col("engager_id"),
        F.row_number().over(largest).alias("position"),
        (F.col("inflow") / F.sum(F.col("inflow")).over(person)).alias("share"),
    )
    return ranked.where(F.col("position") <= F.lit(limit))


def _largest_in_direction(deltas: list[tuple[str, Column]], direction: Column) -> Column:
    """Name of the delta with the largest value times direction (null if none is positive)."""
    best = F.array_max(
        F.array(
            *[
                F.struct((delta * direction).alias("moved"), F.lit(name).alias("name"))
                for name, delta in deltas
            ]
        )  # fmt: skip
    )
    return F.when(best["moved"] > 0, best["name"])


def change_causes(
    today: DataFrame, yesterday: DataFrame, components: DataFrame, previous: DataFrame
) -> DataFrame:
    """person_id -> change_network, change_signal for everyone scored both days with a change.

    today / yesterday: person_id, score, networks (the scores rows); components / previous: the
    components rows of both days (person_id and one column per COMPONENTS name).
    """
    before = yesterday.select(
        F.col("person_id"), F.col("score").alias("before"), F.col("networks").alias("was")
    )
    moved = today.select(F.col("person_id"), F.col("score"), F.col("networks")).join(
        before, on="person_id", how="inner"
    )
    moved = moved.where(F.col("score") != F.col("before"))
    direction = F.signum(F.col("score") - F.col("before"))
    names = F.array_distinct(F.concat(F.map_keys("networks"), F.map_keys("was")))
    part_change = F.transform(
        F.array_sort(names),
        lambda name: F.struct(
            (
                (
                    F.coalesce(F.col("networks")[name], F.lit(0.0))
                    - F.coalesce(F.col("was")[name], F.lit(0.0))
                )
                * direction
            ).alias("moved"),
            name.alias("name"),
        ),  # fmt: skip
    )
    best_network = F.array_max(part_change)
    with_network = moved.select(
        F.col("person_id"),
        direction.alias("direction"),
        F.when(best_network["moved"] > 0, best_network["name"]).alias("change_network"),
    )
    now = components.select(F.col("person_id"), *[F.col(c).alias(f"now_{c}") for c in COMPONENTS])
    then = previous.select(F.col("person_id"), *[F.col(c).alias(f"was_{c}") for c in COMPONENTS])
    # A term absent on a day (null: no follower graph) moved from or to 0.
    deltas = [
        (c, F.coalesce(F.col(f"now_{c}"), F.lit(0.0)) - F.coalesce(F.col(f"was_{c}"), F.lit(0.0)))
        for c in COMPONENTS
    ]
    return (
        with_network.join(now, on="person_id", how="left")
        .join(then, on="person_id", how="left")
        .select(
            F.col("person_id"),
            F.col("change_network"),
            _largest_in_direction(deltas, F.col("direction")).alias("change_signal"),
        )
    )
