"""score: combine, calibrate and explain; writes the staged scores that publish audits."""

from __future__ import annotations

import datetime as dt
import logging

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from jobs.context import RunContext, StageReport
from transforms import explain, recency, scoring, topics
from transforms.calibration import fit_knots
from transforms.population import scorable_accounts
from transforms.schemas import AUDIENCE, COMPONENTS, ENGAGERS, SCORES, TOPIC_SCORES

log = logging.getLogger(__name__)


# The tables the raw score reads (its versions pin one consistent snapshot).
RAW_INPUTS = ("ranks", "prior", "signals", "accounts", "daily_targets", "audience")


def _audience(ctx: RunContext, version: int | None, date: dt.date) -> DataFrame:
    """The day's audience rows; none (every graph term absent) when the lake has no table."""
    if version is None:
        return ctx.spark.createDataFrame([], AUDIENCE.schema)
    return ctx.lake.read_day("audience", date, version)


def raw_for_date(
    ctx: RunContext, inputs: dict[str, int | None], weights: dict[str, float] | None = None
) -> DataFrame:
    """The day's raw scores (person_id, raw, reaction_signal, active); also used by `calibrate`.
    `weights`: other weights than the config's (unit weights give the terms themselves: what
    `fit` and `backtest` judge)."""
    date, cfg = ctx.score_date, ctx.config
    ranks = ctx.lake.read_day("ranks", date, inputs["ranks"])
    prior = ctx.lake.read_day("prior", date, inputs["prior"])
    signals = ctx.lake.read_day("signals", date, inputs["signals"])
    accounts = scorable_accounts(ctx.lake.read("accounts", inputs["accounts"]), prior)
    days = recency.active_days(
        ctx.lake.read("daily_targets", inputs["daily_targets"]),
        date,
        cfg.window.days,
        _days_with_data(ctx, inputs["daily_targets"]),
    )
    return scoring.raw_scores(
        ranks,
        signals,
        prior,
        accounts,
        days,
        scoring.graph_terms(_audience(ctx, inputs["audience"], date)),
        ranks.count(),
        weights or cfg.score.weights,
        date,
        scoring.decayed_days(cfg.window.days, cfg.window.half_life_days),
        cfg.score,
    )


def _days_with_data(ctx: RunContext, version: int | None) -> int:
    """The window's days that hold daily_targets rows, from the table's partition values (the
    Delta log: no data file is read)."""
    date = ctx.score_date
    first = date - dt.timedelta(days=ctx.config.window.days - 1)
    days = ctx.lake.partition_values("daily_targets", "event_date", version)
    return sum(1 for day in days if first <= day <= date)


def _previous(ctx: RunContext, name: str, version: int | None, date: dt.date, like: DataFrame):
    """The table's partition for an earlier date, or an empty frame like `like` (first run)."""
    return ctx.lake.read_day(name, date, version) if version is not None else like.limit(0)


def _explanations(ctx: RunContext, inputs: dict, raw: DataFrame) -> dict[str, int | None]:
    """Writes the day's components and top engagers (read back by `explain` and tomorrow)."""
    lake, date = ctx.lake, ctx.score_date
    components = raw.select(
        F.lit(date).alias("score_date"), *[F.col(c) for c in COMPONENTS.columns[1:]]
    )
    engagers = explain.top_engagers(
        ctx.lake.read_day("edges", date, inputs["edges"]),
        ctx.lake.read_day("ranks", date, inputs["ranks"]),
        ctx.config.score.top_engagers,
    ).select(F.lit(date).alias("score_date"), *[F.col(c) for c in ENGAGERS.columns[1:]])
    return {
        "components": lake.replace_partitions("components", components, {"score_date": [date]}),
        "engagers": lake.replace_partitions("engagers", engagers, {"score_date": [date]}),
    }


def _calibrated(ctx: RunContext, raw: DataFrame) -> tuple[DataFrame, int]:
    """The scores (persisted) from the raw values by the frozen calibration, or, without one, by
    knots fitted on today's active population; and the number of knots."""
    cal = ctx.config.calibration
    raw_knots, score_knots = cal.raw_knots, cal.score_knots
    if not raw_knots:
        log.warning(
            "no frozen calibration for %s: fitting on today's population",
            ctx.config.algorithm_version,
        )
        raw_knots, score_knots = fit_knots(raw.where(F.col("active")), cal.target_quantiles)
    return scoring.scored(raw, raw_knots, score_knots, cal.max_score).persist(), len(raw_knots)


def _stamp(ctx: RunContext) -> list:
    return [
        F.lit(ctx.run_id).alias("run_id"),
        F.lit(ctx.config.algorithm_version).alias("algorithm_version"),
        F.lit(ctx.score_date).alias("score_date"),
    ]


def _score_rows(
    ctx: RunContext,
    inputs: dict,
    raw: DataFrame,
    scores: DataFrame,
    parts: DataFrame,
    weights: DataFrame,
) -> DataFrame:
    """The date's `scores` rows: score, percentile, 1- and 7-day deltas, network parts, the main
    cause of the change since yesterday, top topics."""
    date = ctx.score_date
    yesterday = date - dt.timedelta(days=1)
    deltas = [
        scoring.score_deltas(
            scores,
            _previous(ctx, "scores", inputs["scores"], date - dt.timedelta(days=k), scores),
            column,
        )
        for column, k in (("delta_1d", 1), ("delta_7d", 7))
    ]
    today = scores.join(parts, on="person_id", how="left")
    causes = explain.change_causes(
        today,
        _previous(ctx, "scores", inputs["scores"], yesterday, today),
        raw,
        _previous(ctx, "components", inputs["components"], yesterday, raw),
    )
    return (
        today.join(scoring.percentiles(scores), on="person_id", how="left")
        .join(deltas[0], on="person_id", how="left")
        .join(deltas[1], on="person_id", how="left")
        .join(causes, on="person_id", how="left")
        .join(topics.top_topics(weights, ctx.config.score.top_topics), on="person_id", how="left")
        .select(
            *[F.col(c) for c in ("person_id", "score", "percentile", "delta_1d", "delta_7d")],
            F.coalesce(F.col("networks"), F.create_map().cast("map<string,double>")).alias(
                "networks"
            ),
            F.coalesce(F.col("top_topics"), F.array().cast("array<string>")).alias("top_topics"),
            F.col("change_network"),
            F.col("change_signal"),
            *_stamp(ctx),
        )
        .select(*[F.col(c) for c in SCORES.columns])
    )


def run(ctx: RunContext) -> StageReport:
    lake, cfg, date = ctx.lake, ctx.config, ctx.score_date
    inputs = ctx.versions(*RAW_INPUTS, "daily_topics", "scores", "edges", "components")
    raw = raw_for_date(ctx, inputs).persist()
    explanations = _explanations(ctx, inputs, raw)
    scores, knots = _calibrated(ctx, raw)
    signals = ctx.lake.read_day("signals", date, inputs["signals"])
    weights = topics.decayed_topic_weights(
        lake.read("daily_topics", inputs["daily_topics"]),
        date,
        cfg.window.days,
        cfg.window.half_life_days,
    ).persist()  # feeds both top_topics and topic_scores
    parts = scoring.network_parts(scores, signals).persist()
    rows = _score_rows(ctx, inputs, raw, scores, parts, weights)
    topic_rows = (
        topics.topic_scores(scores, weights)
        .select(F.col("person_id"), F.col("topic"), F.col("score"), *_stamp(ctx))
        .select(*[F.col(c) for c in TOPIC_SCORES.columns])
    )
    try:
        outputs = {
            **explanations,
            "scores_staged": lake.replace_partitions("scores_staged", rows, {"score_date": [date]}),
            "topic_scores_staged": lake.replace_partitions(
                "topic_scores_staged", topic_rows, {"score_date": [date]}
            ),
        }
        stats = scores.agg(
            F.count(F.lit(1)).alias("people"), F.sum(F.col("active").cast("int")).alias("active")
        )
        row = stats.collect()[0]
    finally:
        scores.unpersist()
        parts.unpersist()
        raw.unpersist()
        weights.unpersist()
    counts = {"people": int(row["people"]), "active": int(row["active"] or 0)}
    return StageReport(
        counts=counts, inputs=inputs, outputs=outputs, details={"calibration_knots": knots}
    )
