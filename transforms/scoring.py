"""Score: combine propagated influence with per-network signals, then explain and compare.

raw = influence       * ln(rank * N)              (N people; 0 for an average person)
    + reactions       * ln(1 + sum of network signals)
    + engagement_rate * ln(1 + trusted reactions / posts in the window)
    + offline         * offline                   (Wikipedia, LinkedIn seniority)
    + audience        * ln(1 + counted followers) (follower counts count little)
    + ratio           * min(max(ln(counted followers / following), 0), max_log_ratio)
    + recent_fast/mid/slow * ln(1 + recency sum at the fast/mid/slow half-life)
    + active_days     * ln(1 + days of the window on which reactions were drawn)
    + reach           * ln(1 + the window's reactors who do not follow the person)
    + audience_engagement * followers who reacted in the window / followers
    + audience_quality    * real followers / followers      (real: transforms/audience.py)
where counted followers = min(followers * audience quality, followers_per_reactor * (reaction
signal + 1)): followers whom no trusted reaction backs count for nothing, nor do followers that
look bought (young and silent, follow-spam). The last three terms, and the quality factor, come
from the follower graph (the `audience` table): where the lake has none they are absent (null
components, adding 0; quality factor 1). Each term is kept as a component (the explanation of the
score and of its changes). A person is active when their reaction signal is positive; only active
people get a score >= 1, everyone else 0.
"""

from __future__ import annotations

import datetime as dt

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from transforms.calibration import calibrated
from transforms.recency import RECENCY_COLUMNS

COMPONENTS = ("influence", "reactions", "engagement_rate", "offline", "audience", "ratio",
              "recent_fast", "recent_mid", "recent_slow", "active_days", "reach",
              "audience_engagement", "audience_quality")  # fmt: skip
# The terms only the follower graph gives: null (absent) where the lake has none.
GRAPH_COMPONENTS = ("reach", "audience_engagement", "audience_quality")


def audience(accounts: DataFrame, score_date: dt.date) -> DataFrame:
    """person_id -> followers, following and posts per day over the person's counted accounts."""
    age_days = F.greatest(
        F.datediff(F.lit(score_date), F.to_date(F.col("created_at"))).cast("double"), F.lit(1.0)
    )
    return accounts.groupBy(F.col("person_id")).agg(
        F.sum(F.coalesce(F.col("followers_count"), F.lit(0))).cast("double").alias("followers"),
        F.sum(F.coalesce(F.col("following_count"), F.lit(0))).cast("double").alias("following"),
        F.sum(F.coalesce(F.col("posts_count"), F.lit(0)).cast("double") / age_days).alias(
            "posts_per_day"
        ),
    )


def graph_terms(audience_rows: DataFrame) -> DataFrame:
    """person_id -> the follower-graph terms (unweighted) and the followers' quality factor, for
    the people the audience table knows (an empty frame: nobody, so every term is absent)."""
    followers = F.col("followers").cast("double")
    known = F.col("followers") > F.lit(0)
    real_share = F.when(known, F.col("real_followers") / followers)  # null: no followers known
    return audience_rows.select(
        F.col("person_id"),
        F.log1p((F.col("reactors") - F.col("follower_reactors")).cast("double")).alias("reach"),
        F.when(known, F.col("follower_reactors") / followers)
        .otherwise(F.lit(0.0))
        .alias("audience_engagement"),
        F.coalesce(real_share, F.lit(0.0)).alias("audience_quality"),
        real_share.alias("quality_factor"),
    )


def _person_inputs(
    ranks: DataFrame,
    signals: DataFrame,
    prior: DataFrame,
    accounts: DataFrame,
    days: DataFrame,
    graph: DataFrame,
    score_date: dt.date,
) -> DataFrame:
    """One row per ranked person: rank, reaction evidence, offline prior, audience, active days
    (0 where absent) and the follower-graph terms (null where absent)."""
    evidence = signals.groupBy(F.col("person_id")).agg(
        F.sum(F.col("signal")).alias("reaction_signal"),
        F.sum(F.col("reactions")).alias("trusted_reactions"),
        # Signals written before the recency sums existed read as null: no recency evidence.
        *[F.sum(F.coalesce(F.col(c), F.lit(0.0))).alias(c) for c in RECENCY_COLUMNS],
    )
    return (
        ranks.select(F.col("person_id"), F.col("rank"))
        .join(evidence, on="person_id", how="left")
        .join(prior.select(F.col("person_id"), F.col("offline")), on="person_id", how="left")
        .join(audience(accounts, score_date), on="person_id", how="left")
        .join(days.select(F.col("person_id"), F.col("active_days")), on="person_id", how="left")
        .fillna(0.0)
        .join(graph, on="person_id", how="left")  # after fillna: absent graph terms stay null
    )


def _terms(people_count: int, decayed_days: float, cfg) -> dict[str, Column]:
    """Each component's term before its weight (the formulas of conf/base.yaml `score`)."""
    followers = F.least(
        F.col("followers") * F.coalesce(F.col("quality_factor"), F.lit(1.0)),
        F.lit(float(cfg.followers_per_reactor)) * (F.col("reaction_signal") + F.lit(1.0)),
    )
    posts = F.col("posts_per_day") * F.lit(float(decayed_days))
    ratio = F.log((followers + F.lit(1.0)) / (F.col("following") + F.lit(1.0)))
    return {
        "influence": F.log(F.col("rank") * F.lit(float(people_count))),
        "reactions": F.log1p(F.col("reaction_signal")),
        "engagement_rate": F.log1p(F.col("trusted_reactions") / (posts + F.lit(1.0))),
        "offline": F.col("offline"),
        "audience": F.log1p(followers),
        "ratio": F.least(F.greatest(ratio, F.lit(0.0)), F.lit(float(cfg.max_log_ratio))),
        **{name: F.log1p(F.col(name)) for name in RECENCY_COLUMNS},
        "active_days": F.log1p(F.col("active_days")),
        **{name: F.col(name) for name in GRAPH_COMPONENTS},
    }


def raw_scores(
    ranks: DataFrame,
    signals: DataFrame,
    prior: DataFrame,
    accounts: DataFrame,
    days: DataFrame,
    graph: DataFrame,
    people_count: int,
    weights: dict[str, float],
    score_date: dt.date,
    decayed_days: float,
    cfg,
) -> DataFrame:
    """person_id, raw, one column per component (adding up to raw), reaction_signal, active.

    days: person_id -> active_days (transforms/recency.active_days).
    graph: graph_terms of the day's audience rows (empty where the lake has no follower graph).
    decayed_days: the window's days weighted by decay (the posts a person's decayed reactions
    were drawn by = posts per day * decayed_days).
    cfg: the score settings (ScoreConfig: followers_per_reactor, max_log_ratio,
    min_reaction_signal).
    """
    joined = _person_inputs(ranks, signals, prior, accounts, days, graph, score_date)
    terms = _terms(people_count, decayed_days, cfg)
    components = [(F.lit(float(weights[name])) * terms[name]).alias(name) for name in COMPONENTS]
    with_terms = joined.select(F.col("person_id"), F.col("reaction_signal"), *components)
    return with_terms.select(
        F.col("person_id"),
        sum((F.coalesce(F.col(name), F.lit(0.0)) for name in COMPONENTS), F.lit(0.0)).alias("raw"),
        *[F.col(name) for name in COMPONENTS],
        F.col("reaction_signal"),
        (F.col("reaction_signal") > F.lit(float(cfg.min_reaction_signal))).alias("active"),
    )


def decayed_days(window_days: int, half_life_days: float) -> float:
    """Sum of the window's day weights: the decayed post count of one post a day."""
    return sum(2.0 ** (-age / half_life_days) for age in range(window_days))


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

    Scores have two decimals in [1, 100), so the histogram has at most 9,900 rows, in at most
    100 whole-point buckets: running sums within each bucket (a window per bucket) plus the
    counts of the buckets below (a 100 x 100 join) give the cumulative counts without a global
    sort of every person, nor a window over one partition; the result is broadcast back.
    """
    histogram = (
        scores.where(F.col("active"))
        .groupBy(F.col("score"))
        .agg(F.count(F.lit(1)).alias("n"))
        .withColumn("bucket", F.floor(F.col("score")))
    )
    in_bucket = Window.partitionBy(F.col("bucket")).orderBy(F.col("score"))
    running = in_bucket.rowsBetween(Window.unboundedPreceding, Window.currentRow)
    cumulative = histogram.select(
        F.col("score"), F.col("bucket"), F.sum(F.col("n")).over(running).alias("n_upto")
    )
    buckets = histogram.groupBy(F.col("bucket")).agg(F.sum(F.col("n")).alias("n_bucket"))
    below = (
        buckets.alias("b")
        .join(buckets.alias("lower"), on=F.col("lower.bucket") < F.col("b.bucket"), how="left")
        .groupBy(F.col("b.bucket").alias("bucket"))
        .agg(F.coalesce(F.sum(F.col("lower.n_bucket")), F.lit(0)).alias("n_below"))
    )
    total = buckets.agg(F.sum(F.col("n_bucket")).alias("n_total"))
    table = (
        cumulative.join(below, on="bucket", how="inner")
        .crossJoin(total)
        .select(
            F.col("score"),
            F.round(
                F.lit(100.0) * (F.col("n_below") + F.col("n_upto")) / F.col("n_total"), 2
            ).alias("percentile"),
        )
    )
    return scores.join(F.broadcast(table), on="score", how="left").select(
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
