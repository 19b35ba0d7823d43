"""Score: combine propagated influence with per-network signals, then explain and compare.

raw = w_influence * ln(rank * N)                 (N people; 0 for an average person)
    + w_reactions * ln(1 + sum of network signals)
    + w_offline   * offline                       (Wikipedia, LinkedIn seniority)
    + w_audience  * ln(1 + followers)             (follower counts count little)
    + w_ratio     * min(max(ln(followers / following), 0), 2)   (a healthy ratio helps a bit)
A person is active when their reaction signal is positive; only active people get a score >= 1,
everyone else 0 (no activity, no influence).
"""

from __future__ import annotations

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from transforms.calibration import calibrated


def audience(accounts: DataFrame) -> DataFrame:
    """person_id -> followers and following over the person's counted accounts."""
    return accounts.groupBy(F.col("person_id")).agg(
        F.sum(F.coalesce(F.col("followers_count"), F.lit(0))).cast("double").alias("followers"),
        F.sum(F.coalesce(F.col("following_count"), F.lit(0))).cast("double").alias("following"),
    )


def raw_scores(
    ranks: DataFrame,
    signals: DataFrame,
    prior: DataFrame,
    accounts: DataFrame,
    people_count: int,
    weights: dict[str, float],
    min_reaction_signal: float = 0.0,
) -> DataFrame:
    """person_id, raw, reaction_signal, active: one row per ranked (scorable) person."""
    reaction = signals.groupBy(F.col("person_id")).agg(
        F.sum(F.col("signal")).alias("reaction_signal")
    )
    followers, following = F.col("followers"), F.col("following")
    ratio = F.least(
        F.greatest(F.log((followers + F.lit(1.0)) / (following + F.lit(1.0))), F.lit(0.0)),
        F.lit(2.0),
    )
    joined = (
        ranks.select(F.col("person_id"), F.col("rank"))
        .join(reaction, on="person_id", how="left")
        .join(prior.select(F.col("person_id"), F.col("offline")), on="person_id", how="left")
        .join(audience(accounts), on="person_id", how="left")
        .fillna(0.0, subset=["reaction_signal", "offline", "followers", "following"])
    )
    raw = (
        F.lit(weights["influence"]) * F.log(F.col("rank") * F.lit(float(people_count)))
        + F.lit(weights["reactions"]) * F.log1p(F.col("reaction_signal"))
        + F.lit(weights["offline"]) * F.col("offline")
        + F.lit(weights["audience"]) * F.log1p(followers)
        + F.lit(weights["ratio"]) * ratio
    )
    return joined.select(
        F.col("person_id"),
        raw.alias("raw"),
        F.col("reaction_signal"),
        (F.col("reaction_signal") > F.lit(float(min_reaction_signal))).alias("active"),
    )


def scored(
    raw: DataFrame, raw_knots: list[float], score_knots: list[float], max_score: float
) -> DataFrame:
    """person_id, score (2 decimals; 0 when inactive), active."""
    score = F.when(
        F.col("active"), F.round(calibrated(F.col("raw"), raw_knots, score_knots, max_score), 2)
    ).otherwise(F.lit(0.0))
    return raw.select(F.col("person_id"), score.alias("score"), F.col("active"))


def percentiles(scores: DataFrame) -> DataFrame:
    """person_id -> percentile: percent of active people with a score <= theirs (0 if inactive).

    Scores have two decimals in [1, 100), so the histogram has at most 9,900 rows: the cumulative
    sum over it is small and is broadcast back, instead of a global sort of every person.
    """
    histogram = (
        scores.where(F.col("active")).groupBy(F.col("score")).agg(F.count(F.lit(1)).alias("n"))
    )
    running = Window.orderBy(F.col("score")).rowsBetween(
        Window.unboundedPreceding, Window.currentRow
    )
    everyone = Window.partitionBy(F.lit(1))
    cumulative = histogram.select(
        F.col("score"),
        F.round(
            F.lit(100.0) * F.sum(F.col("n")).over(running) / F.sum(F.col("n")).over(everyone), 2
        ).alias("percentile"),
    )
    return scores.join(F.broadcast(cumulative), on="score", how="left").select(
        F.col("person_id"),
        F.when(F.col("active"), F.col("percentile")).otherwise(F.lit(0.0)).alias("percentile"),
    )


def network_parts(scores: DataFrame, signals: DataFrame) -> DataFrame:
    """person_id -> networks map whose values add up exactly to the score (2 decimals).

    Each network gets the score times its share of the person's reaction signal, rounded to cents;
    the rounding remainder goes to the largest part, so the parts always sum to the score.
    """
    per_network = signals.join(
        scores.where(F.col("active")).select(F.col("person_id"), F.col("score")),
        on="person_id",
        how="inner",
    )
    person = Window.partitionBy(F.col("person_id"))
    largest_first = person.orderBy(F.col("signal").desc(), F.col("network"))
    rounded = per_network.select(
        F.col("person_id"),
        F.col("network"),
        F.col("score"),
        F.round(F.col("score") * F.col("signal") / F.sum(F.col("signal")).over(person), 2).alias(
            "part"
        ),
        F.row_number().over(largest_first).alias("order"),
    )
    remainder = F.col("score") - F.sum(F.col("part")).over(person)
    exact = rounded.select(
        F.col("person_id"),
        F.col("network"),
        F.round(
            F.col("part") + F.when(F.col("order") == 1, remainder).otherwise(F.lit(0.0)), 2
        ).alias("part"),
    )
    return exact.groupBy(F.col("person_id")).agg(
        F.map_from_entries(
            F.array_sort(F.collect_list(F.struct(F.col("network"), F.col("part"))))
        ).alias("networks")
    )


def score_deltas(today: DataFrame, previous: DataFrame, name: str) -> DataFrame:
    """person_id -> today's score minus the previous partition's (null when absent then)."""
    return today.join(
        previous.select(F.col("person_id"), F.col("score").alias("previous")),
        on="person_id",
        how="left",
    ).select(F.col("person_id"), F.round(F.col("score") - F.col("previous"), 2).alias(name))
