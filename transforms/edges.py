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
- signal of t on n: sum over actors of strength * selectivity; reactors: distinct actors.
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


def decayed_pair_networks(
    daily_pairs: DataFrame,
    score_date: dt.date,
    window_days: int,
    half_life_days: float,
    networks: dict[str, dict[str, float]],
) -> DataFrame:
    """actor, target, network -> decayed weighted reactions `raw` and decayed reaction count."""
    first_day = score_date - dt.timedelta(days=window_days - 1)
    in_window = daily_pairs.where(
        (F.col("event_date") >= F.lit(first_day)) & (F.col("event_date") <= F.lit(score_date))
    )
    decay = decay_factor(score_date, half_life_days)
    return in_window.groupBy(
        F.col("actor_person_id").alias("src"),
        F.col("target_person_id").alias("dst"),
        F.col("network"),
    ).agg(
        F.sum(action_weight(networks) * F.col("reactions") * decay).alias("raw"),
        F.sum(F.col("reactions") * decay).alias("reactions"),
    )


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
    return pair_networks.join(selectivity, on="src", how="inner").withColumn(
        "strength", F.log1p(F.col("raw") / F.lit(float(pair_unit))) * F.col("selectivity")
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
    pair_networks: DataFrame, score_date: dt.date, pair_unit: float, selectivity_scale: float
) -> DataFrame:
    """Per target person and network: reaction signal, distinct reactors, decayed reactions."""
    strengths = _with_strength(pair_networks, pair_unit, selectivity_scale)
    return (
        strengths.groupBy(F.col("dst").alias("person_id"), F.col("network"))
        .agg(
            F.sum(F.col("strength")).alias("signal"),
            F.countDistinct(F.col("src")).alias("reactors"),
            F.sum(F.col("reactions")).alias("reactions"),
        )
        .where(F.col("signal") > 0)
        .select(F.lit(score_date).alias("score_date"), *[F.col(c) for c in SIGNALS.columns[1:]])
    )
