"""Daily aggregates: one day of engagements folded into per-pair and per-topic counts.

The window stages read these small daily tables instead of 90 days of raw events.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from transforms.schemas import DAILY_PAIRS, DAILY_TOPICS


def action_weight(networks: dict[str, dict[str, float]]) -> Column:
    """Weight of one reaction, looked up from a literal `network/action -> weight` map."""
    entries = []
    for network, actions in sorted(networks.items()):
        for action, weight in sorted(actions.items()):
            entries += [F.lit(f"{network}/{action}"), F.lit(float(weight))]
    lookup = F.create_map(*entries)
    return F.coalesce(
        F.element_at(lookup, F.concat_ws("/", F.col("network"), F.col("action"))), F.lit(0.0)
    )


def daily_pairs(engagements: DataFrame) -> DataFrame:
    """Reactions per day, actor person, target person, network and action, with `crowd`
    (with_crowds), the same on every row of one actor and target."""
    return with_crowds(pair_counts(engagements)).select(*[F.col(c) for c in DAILY_PAIRS.columns])


def pair_counts(engagements: DataFrame) -> DataFrame:
    """Per day, actor, target, network and action: reactions, distinct contents and the time of
    the first reaction (`first_ts`, for the crowd)."""
    return engagements.groupBy(
        F.col("event_date"),
        F.col("actor_person_id"),
        F.col("target_person_id"),
        F.col("network"),
        F.col("action"),
    ).agg(
        F.count(F.lit(1)).alias("reactions"),
        F.countDistinct(F.col("content_id")).alias("contents"),
        F.min(F.col("event_ts")).alias("first_ts"),
    )


def with_crowds(pairs: DataFrame) -> DataFrame:
    """Pairs (with `first_ts`, their first reaction's time) + crowd: the number of people whose
    first reaction to the target that day (any network or action) came in the same clock hour
    (UTC) as this actor's. A bought burst lands many new accounts on a target in one hour; the
    first reaction is what counts most (pair_unit), and a bought account cannot leave its burst's
    hour by adding a later reaction at a quiet one.

    One shuffle of pair rows by (day, target) and two sorts: the windows below all partition
    within it, so the day's engagements are aggregated once (pair_counts) and nothing is joined.
    The price: all pairs of one target's day go to one task (sorted with spilling; Spark's skew
    handling splits joins, not windows). A row without a time (ingest quarantines those) keeps
    its pair, crowd unknown."""
    target_day = [F.col("event_date"), F.col("target_person_id")]
    # Both pair windows share one order (so one sort): the min over the whole pair, and a row
    # number that counts the actor once per target, whatever its networks and actions.
    pair = Window.partitionBy(*target_day, F.col("actor_person_id")).orderBy(
        F.col("network"), F.col("action")
    )
    whole_pair = pair.rowsBetween(Window.unboundedPreceding, Window.unboundedFollowing)
    first_hour = F.hour(F.min(F.col("first_ts")).over(whole_pair))
    actor_first_row = F.row_number().over(pair) == 1
    keyed = pairs.repartition(*target_day).select(
        "*", first_hour.alias("hour"), actor_first_row.cast("int").alias("actor_first_row")
    )
    crowd = F.sum(F.col("actor_first_row")).over(Window.partitionBy(*target_day, F.col("hour")))
    return keyed.select(
        "*", F.when(F.col("hour").isNotNull(), crowd).cast("long").alias("crowd")
    ).drop("hour", "actor_first_row", "first_ts")


def daily_topics(engagements: DataFrame, networks: dict[str, dict[str, float]]) -> DataFrame:
    """Weighted reactions per day, target person and topic of the reacted content.

    A reaction's weight is split evenly over its content's topics, so that tagging a post with more
    topics does not multiply its weight.
    """
    tagged = engagements.where(F.size(F.col("topics")) > 0).select(
        F.col("event_date"),
        F.col("target_person_id"),
        F.explode(F.array_distinct(F.col("topics"))).alias("topic"),
        (action_weight(networks) / F.size(F.array_distinct(F.col("topics")))).alias("weight"),
    )
    return (
        tagged.groupBy(F.col("event_date"), F.col("target_person_id"), F.col("topic"))
        .agg(F.sum(F.col("weight")).alias("weight"))
        .select(*[F.col(c) for c in DAILY_TOPICS.columns])
    )
