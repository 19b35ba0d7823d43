"""The window's test oracle: the decayed pairs recomputed from every daily pair of the window.

The edges stage never recomputes the window: it slides kept sums by a day and redoes only the
damped target-days (transforms/window_state.py). The tests check it against this direct formula.
"""

from __future__ import annotations

import datetime as dt

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from transforms.aggregates import action_weight
from transforms.bursts import (
    crowd_factor,
    damped_days,
    factors_from_stats,
    judged,
    reactor_suspicion,
    target_day_stats,
)
from transforms.edges import decay_factor


def burst_factors(
    daily_pairs: DataFrame,
    cap: float | None,
    floor: float,
    crowd_cap: float | None = None,
    crowd_floor: float = 0.0,
) -> DataFrame:
    """factors_from_stats over the statistics of `daily_pairs` itself."""
    return factors_from_stats(target_day_stats(daily_pairs), cap, floor, crowd_cap, crowd_floor)


def decayed_pair_networks(
    daily_pairs: DataFrame,
    score_date: dt.date,
    window_days: int,
    half_life_days: float,
    networks: dict[str, dict[str, float]],
    burst_cap: float | None = None,
    burst_floor: float = 0.0,
    crowd_cap: float | None = None,
    crowd_floor: float = 0.0,
    suspects: tuple[tuple[float, float], tuple[float, float]] | None = None,
) -> DataFrame:
    """actor, target, network -> decayed weighted reactions `raw` and decayed reaction count,
    each day's pairs first scaled by its burst factor (when burst_cap is given) and their hour's
    crowd factor (when crowd_cap is given); `raw_given` and `reactions_given`, the same before
    that scaling; `last_date`, the pair's latest day with reactions in the window. With
    `suspects` ((share low, high), (count low, high)), the caps take only each reactor's
    suspicion's share of what they would (bursts.reactor_suspicion).

    The window recomputed from its daily pairs: what the edges stage gets from kept sums and
    the damped target-days only (transforms/window_state.py) must equal it."""
    first_day = score_date - dt.timedelta(days=window_days - 1)
    in_window = daily_pairs.where(
        (F.col("event_date") >= F.lit(first_day)) & (F.col("event_date") <= F.lit(score_date))
    )
    in_window = in_window.withColumn("given", F.col("reactions").cast("double"))
    if burst_cap is not None or crowd_cap is not None:
        factors = burst_factors(in_window, burst_cap, burst_floor, crowd_cap, crowd_floor)
        kept = F.col("burst_factor") * (crowd_factor() if crowd_cap is not None else F.lit(1.0))
        keys = ["event_date", "target_person_id"]
        if suspects is not None:
            damped = in_window.join(damped_days(factors).select(*keys), on=keys, how="inner")
            window_pairs = in_window.select(
                F.col("actor_person_id").alias("src"),
                F.col("target_person_id").alias("dst"),
                F.col("network"),
            ).distinct()
            suspicion = reactor_suspicion(damped, window_pairs, *suspects)
            in_window = in_window.join(suspicion, on="actor_person_id", how="left")
            kept = judged(kept)
        in_window = in_window.join(factors.drop("peak_crowd"), on=keys, how="inner").withColumn(
            "reactions", F.col("reactions") * kept
        )
    decay = decay_factor(score_date, half_life_days)
    weight = action_weight(networks)
    return in_window.groupBy(
        F.col("actor_person_id").alias("src"),
        F.col("target_person_id").alias("dst"),
        F.col("network"),
    ).agg(
        F.sum(weight * F.col("reactions") * decay).alias("raw"),
        F.sum(F.col("reactions") * decay).alias("reactions"),
        # What the actor gave before the burst damping: strengths scale from it (with_strength).
        F.sum(weight * F.col("given") * decay).alias("raw_given"),
        F.sum(F.col("given") * decay).alias("reactions_given"),
        F.max(F.col("event_date")).alias("last_date"),
    )
