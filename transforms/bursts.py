"""The burst defences' arithmetic: how much of a target's day, and of one hour of it, counts.

A day counts at most max(burst_cap * median day, burst_floor) distinct reactors, the median taken
over the target's days with reactions in the window; an hour at most max(crowd_cap * median peak,
crowd_floor) people arriving in it (docs/SCORING.md §4). Both read per-day target statistics
(`reactors`, `peak_crowd`): the aggregate stage stores them (daily_targets) when a day arrives,
and target_day_stats derives the same from daily pairs.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from transforms.schemas import DAILY_TARGETS


def target_day_stats(daily_pairs: DataFrame) -> DataFrame:
    """daily_pairs -> daily_targets rows: per day and target, its distinct reactors (any network)
    and its peak crowd (the largest `crowd` of its pairs; null when none is known)."""
    return (
        daily_pairs.groupBy(F.col("event_date"), F.col("target_person_id"))
        .agg(
            F.countDistinct(F.col("actor_person_id")).alias("reactors"),
            F.max(F.col("crowd")).alias("peak_crowd"),
        )
        .select(*[F.col(c) for c in DAILY_TARGETS.columns])
    )


def factors_from_stats(
    stats: DataFrame,
    cap: float | None,
    floor: float,
    crowd_cap: float | None = None,
    crowd_floor: float = 0.0,
) -> DataFrame:
    """daily_targets rows (the window's days) -> event_date, target_person_id, burst_factor in
    (0, 1] (how much of the day counts) and, with crowd_cap, allowed_crowd (how many people one
    hour of it counts at most) and peak_crowd.

    A bought burst of 80 accounts on someone whom 3 people a day react to counts like 6, and a
    viral day is spread too (scores should not jump overnight). Distinct reactors, not reactions:
    a burst is many accounts reacting once. No cap: factor 1. The median peak is taken over the
    days where it is known: a burst lands within one hour, so its accounts are damped again while
    the day's other reactors are not (crowd_factor)."""
    per_day = stats.select(
        F.col("event_date"),
        F.col("target_person_id"),
        F.col("reactors").cast("double").alias("day_reactors"),
        F.col("peak_crowd").cast("double").alias("peak_crowd"),
    )
    typical = [F.percentile_approx(F.col("day_reactors"), 0.5).alias("median_day")]
    extra = []
    if crowd_cap is not None:
        typical.append(F.percentile_approx(F.col("peak_crowd"), 0.5).alias("median_peak"))
        allowed_crowd = F.greatest(
            F.lit(float(crowd_cap)) * F.col("median_peak"), F.lit(float(crowd_floor))
        )
        extra = [allowed_crowd.alias("allowed_crowd"), F.col("peak_crowd")]
    medians = per_day.groupBy(F.col("target_person_id")).agg(*typical)
    factor = F.lit(1.0)
    if cap is not None:
        allowed = F.greatest(F.lit(float(cap)) * F.col("median_day"), F.lit(float(floor)))
        factor = F.when(F.col("day_reactors") > allowed, allowed / F.col("day_reactors"))
        factor = factor.otherwise(F.lit(1.0))
    return per_day.join(medians, on="target_person_id", how="inner").select(
        F.col("event_date"), F.col("target_person_id"), factor.alias("burst_factor"), *extra
    )


def crowd_factor() -> Column:
    """A pair-day's share kept by the hour cap: allowed_crowd / crowd when the hour of its first
    reaction holds more people than allowed (factors_from_stats), else 1 (also when unknown)."""
    over = F.col("crowd").isNotNull() & (F.col("crowd") > F.col("allowed_crowd"))
    return F.when(over, F.col("allowed_crowd") / F.col("crowd")).otherwise(F.lit(1.0))


def damped_days(factors: DataFrame) -> DataFrame:
    """The rows of `factors` (factors_from_stats) where a defence damps something: a day counted
    below 1, or a peak hour above the allowed crowd (then the pairs of that hour are damped).
    On every other day of every target, every pair counts in full: that is what lets the window
    slide (transforms/window_state.py)."""
    damped = F.col("burst_factor") < F.lit(1.0)
    if "allowed_crowd" in factors.columns:
        crowded = F.col("peak_crowd").isNotNull() & (F.col("peak_crowd") > F.col("allowed_crowd"))
        damped = damped | crowded
    return factors.where(damped).drop("peak_crowd")


def reactor_suspicion(
    damped_rows: DataFrame,
    window_pairs: DataFrame,
    share: tuple[float, float],
    count: tuple[float, float],
) -> DataFrame:
    """src -> suspicion in [0, 1]: how far the caps apply to the actor's reactions.

    A reactor is judged by their pairs (target, network) with a reaction on a damped target-day
    (damped_days), the reactors of bursts and crowds: sellers and bots live in other people's
    bursts, while an ordinary account that joins a post taking off has one such pair and most of
    its reactions elsewhere. Two ramps, the larger wins: `clip((s - low) / (high - low), 0, 1)`
    of the share s of the actor's window pairs that are damped (`share` = (low, high)), and of
    their number (`count` = (low, high): a seller serves many customers). `damped_rows`: daily
    pairs of the damped target-days (actor_person_id, target_person_id, network);
    `window_pairs`: the window's pairs (src, dst, network), one row each. Only actors with a
    damped row get a row."""
    damped = damped_rows.select(
        F.col("actor_person_id").alias("src"),
        F.col("target_person_id").alias("dst"),
        F.col("network"),
    ).distinct()
    per_actor = damped.groupBy(F.col("src")).agg(F.count(F.lit(1)).alias("damped_pairs"))
    pairs = window_pairs.join(per_actor.select(F.col("src")), on="src", how="left_semi")
    totals = pairs.groupBy(F.col("src")).agg(F.count(F.lit(1)).alias("pairs"))
    of_share = _ramp(F.least(F.col("damped_pairs") / F.col("pairs"), F.lit(1.0)), *share)
    of_count = _ramp(F.col("damped_pairs").cast("double"), *count)
    return per_actor.join(totals, on="src", how="inner").select(
        F.col("src").alias("actor_person_id"),
        F.greatest(of_share, of_count).alias("suspicion"),
    )


def _ramp(value: Column, low: float, high: float) -> Column:
    """0 up to low, 1 from high on, linear between."""
    ramp = (value - F.lit(float(low))) / F.lit(float(high - low))
    return F.least(F.greatest(ramp, F.lit(0.0)), F.lit(1.0))


def judged(kept: Column) -> Column:
    """A damped pair-day's kept share once its reactor is judged: 1 - suspicion * (1 - kept)
    (a reactor without a suspicion row is not judged: the caps apply in full)."""
    suspicion = F.coalesce(F.col("suspicion"), F.lit(1.0))
    return F.lit(1.0) - suspicion * (F.lit(1.0) - kept)
