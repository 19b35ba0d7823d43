"""The window: 90 days of daily pairs, decayed, into the engagement graph and per-network signals.

Formulas (docs/SCORING.md has the why):
- decay of a day d before the score date D: 2 ** (-(D - d) / half_life); older days drop out;
- per (actor a, target t, network n): R = sum over actions and days of weight(n, action) * reactions
  * decay;
- diminishing returns per pair: strength = log1p(R / pair_unit), so repeated reactions from one
  person add less and less (100 reactions from 100 people beat 100 from one);
- selectivity: an actor whose total R over all targets is A passes (1 + A / selectivity_scale)^-1/2
  of its strength: the more an account reacts, the less each reaction counts;
- edge a -> t: weight = sum over networks of strength, times a's selectivity;
- signal of t on n: sum over actors of strength * selectivity * quality, quality = min(1, trust of
  the actor / trusted_reactor); reactors: distinct actors;
and the gaming defences:
- bursts: a target's weighted reactions of one day count at most burst_cap times its median day with
  reactions in the window (at least burst_floor), all the day's pairs scaled alike;
- pods: the mutual part of a pair, min(R(a->t), R(t->a)), counts reciprocal_keep of its weight.
"""

from __future__ import annotations

import datetime as dt

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from transforms.aggregates import action_weight
from transforms.schemas import EDGES, SIGNALS


def window_dates(score_date: dt.date, days: int) -> list[dt.date]:
    """The `days` dates ending at (and including) `score_date`, oldest first."""
    return [score_date - dt.timedelta(days=offset) for offset in range(days - 1, -1, -1)]


def decay_factor(score_date: dt.date, half_life_days: float):
    """Column: exponential decay of a row's `event_date` relative to the score date."""
    age_days = F.datediff(F.lit(score_date), F.col("event_date"))
    return F.pow(F.lit(2.0), -age_days.cast("double") / F.lit(float(half_life_days)))


def burst_factors(
    daily_pairs: DataFrame, networks: dict[str, dict[str, float]], cap: float, floor: float
) -> DataFrame:
    """event_date, target_person_id -> burst_factor in (0, 1]: how much of that day counts.

    A day counts at most max(cap * median day, floor) weighted reactions, the median taken over
    the target's days with reactions in the input, so one bought burst cannot outweigh weeks of
    ordinary days (a viral day is spread too: scores should not jump overnight).
    """
    per_day = daily_pairs.groupBy(F.col("event_date"), F.col("target_person_id")).agg(
        F.sum(action_weight(networks) * F.col("reactions")).alias("day_weight")
    )
    typical = per_day.groupBy(F.col("target_person_id")).agg(
        F.percentile_approx(F.col("day_weight"), 0.5).alias("median_day")
    )
    allowed = F.greatest(F.lit(float(cap)) * F.col("median_day"), F.lit(float(floor)))
    return per_day.join(typical, on="target_person_id", how="inner").select(
        F.col("event_date"),
        F.col("target_person_id"),
        F.when(F.col("day_weight") > allowed, allowed / F.col("day_weight"))
        .otherwise(F.lit(1.0))
        .alias("burst_factor"),
    )


def decayed_pair_networks(
    daily_pairs: DataFrame,
    score_date: dt.date,
    window_days: int,
    half_life_days: float,
    networks: dict[str, dict[str, float]],
    burst_cap: float | None = None,
    burst_floor: float = 0.0,
) -> DataFrame:
    """actor, target, network -> decayed weighted reactions `raw` and decayed reaction count,
    each day's pairs first scaled by its burst factor (when burst_cap is given)."""
    first_day = score_date - dt.timedelta(days=window_days - 1)
    in_window = daily_pairs.where(
        (F.col("event_date") >= F.lit(first_day)) & (F.col("event_date") <= F.lit(score_date))
    )
    if burst_cap is not None:
        factors = burst_factors(in_window, networks, burst_cap, burst_floor)
        in_window = in_window.join(
            factors, on=["event_date", "target_person_id"], how="inner"
        ).withColumn("reactions", F.col("reactions") * F.col("burst_factor"))
    decay = decay_factor(score_date, half_life_days)
    return in_window.groupBy(
        F.col("actor_person_id").alias("src"),
        F.col("target_person_id").alias("dst"),
        F.col("network"),
    ).agg(
        F.sum(action_weight(networks) * F.col("reactions") * decay).alias("raw"),
        F.sum(F.col("reactions") * decay).alias("reactions"),
    )


def discount_reciprocal(pair_networks: DataFrame, keep: float) -> DataFrame:
    """Pods: each pair's `mutual_factor`, the share of its `raw` that counts in its strength.

    With R = raw a -> t over all networks and B = raw t -> a, the pair keeps
    (R - (1 - keep) * min(R, B)) / R of each network's raw: one-way fans count fully, two people
    liking everything of each other count `keep`.
    """
    pair = pair_networks.groupBy(F.col("src"), F.col("dst")).agg(F.sum(F.col("raw")).alias("out"))
    back = pair.select(
        F.col("dst").alias("src"), F.col("src").alias("dst"), F.col("out").alias("back")
    )
    mutual = F.least(F.col("out"), F.coalesce(F.col("back"), F.lit(0.0)))
    factor = pair.join(back, on=["src", "dst"], how="left").select(
        F.col("src"),
        F.col("dst"),
        F.when(F.col("out") > 0, F.lit(1.0) - F.lit(1.0 - keep) * mutual / F.col("out"))
        .otherwise(F.lit(1.0))
        .alias("mutual_factor"),
    )
    # A column, not a rescaled raw: selectivity measures what the actor did, pod or not.
    return pair_networks.join(factor, on=["src", "dst"], how="inner")


def actor_selectivity(pair_networks: DataFrame, selectivity_scale: float) -> DataFrame:
    """src -> selectivity factor in (0, 1]: heavy reactors pass less per reaction."""
    return pair_networks.groupBy(F.col("src")).agg(
        F.pow(
            F.lit(1.0) + F.sum(F.col("raw")) / F.lit(float(selectivity_scale)), F.lit(-0.5)
        ).alias("selectivity")
    )


def _with_strength(
    pair_networks: DataFrame, pair_unit: float, selectivity_scale: float
) -> DataFrame:
    selectivity = actor_selectivity(pair_networks, selectivity_scale)
    counted = F.col("raw")
    if "mutual_factor" in pair_networks.columns:  # discount_reciprocal ran
        counted = counted * F.col("mutual_factor")
    return pair_networks.join(selectivity, on="src", how="inner").withColumn(
        "strength", F.log1p(counted / F.lit(float(pair_unit))) * F.col("selectivity")
    )


def engagement_edges(
    pair_networks: DataFrame, score_date: dt.date, pair_unit: float, selectivity_scale: float
) -> DataFrame:
    """The person-level graph src -> dst with a positive weight, summed over networks."""
    strengths = _with_strength(pair_networks, pair_unit, selectivity_scale)
    return (
        strengths.groupBy(F.col("src"), F.col("dst"))
        .agg(F.sum(F.col("strength")).alias("weight"))
        .where(F.col("weight") > 0)
        .select(F.lit(score_date).alias("score_date"), *[F.col(c) for c in EDGES.columns[1:]])
    )


def network_signals(
    pair_networks: DataFrame,
    score_date: dt.date,
    pair_unit: float,
    selectivity_scale: float,
    trust: DataFrame,
    trusted_reactor: float,
) -> DataFrame:
    """Per target person and network: reaction signal, distinct reactors, decayed reactions, the
    last two weighted by the reactor's quality (trust: person_id, trust; a reactor without a row
    counts nothing: not scorable)."""
    strengths = _with_strength(pair_networks, pair_unit, selectivity_scale)
    quality = trust.select(
        F.col("person_id").alias("src"),
        F.least(F.lit(1.0), F.col("trust") / F.lit(float(trusted_reactor))).alias("quality"),
    )
    return (
        strengths.join(quality, on="src", how="inner")
        .groupBy(F.col("dst").alias("person_id"), F.col("network"))
        .agg(
            F.sum(F.col("strength") * F.col("quality")).alias("signal"),
            F.countDistinct(F.col("src")).alias("reactors"),
            F.sum(F.col("reactions") * F.col("quality")).alias("reactions"),
        )
        .where(F.col("signal") > 0)
        .select(F.lit(score_date).alias("score_date"), *[F.col(c) for c in SIGNALS.columns[1:]])
    )
