"""score: combine, calibrate and explain; writes the staged scores that publish audits."""

from __future__ import annotations

import datetime as dt
import logging

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from jobs.context import RunContext, StageReport
from transforms import scoring, topics
from transforms.calibration import fit_knots
from transforms.population import scorable_accounts
from transforms.schemas import SCORES, TOPIC_SCORES

log = logging.getLogger(__name__)


def _partition(ctx: RunContext, name: str, version: int | None, date: dt.date) -> DataFrame:
    return ctx.lake.read(name, version).where(F.col("score_date") == F.lit(date))


def raw_for_date(ctx: RunContext, inputs: dict[str, int | None]) -> DataFrame:
    """The day's raw scores (person_id, raw, reaction_signal, active); also used by `calibrate`."""
    date, cfg = ctx.score_date, ctx.config
    ranks = _partition(ctx, "ranks", inputs["ranks"], date)
    prior = _partition(ctx, "prior", inputs["prior"], date)
    signals = _partition(ctx, "signals", inputs["signals"], date)
    accounts = scorable_accounts(ctx.lake.read("accounts", inputs["accounts"]), prior)
    return scoring.raw_scores(
        ranks,
        signals,
        prior,
        accounts,
        ranks.count(),
        cfg.score.weights,
        cfg.score.min_reaction_signal,
    )


def run(ctx: RunContext) -> StageReport:
    lake, cfg, date = ctx.lake, ctx.config, ctx.score_date
    inputs = ctx.versions("ranks", "prior", "signals", "accounts", "daily_topics", "scores")
    raw = raw_for_date(ctx, inputs).persist()
    cal = cfg.calibration
    raw_knots, score_knots = cal.raw_knots, cal.score_knots
    if not raw_knots:
        log.warning(
            "no frozen calibration for %s: fitting on today's population", cfg.algorithm_version
        )
        raw_knots, score_knots = fit_knots(raw.where(F.col("active")), cal.target_quantiles)
    scores = scoring.scored(raw, raw_knots, score_knots, cal.max_score).persist()
    signals = _partition(ctx, "signals", inputs["signals"], date)
    weights = topics.decayed_topic_weights(
        lake.read("daily_topics", inputs["daily_topics"]),
        date,
        cfg.window.days,
        cfg.window.half_life_days,
    ).persist()  # feeds both top_topics and topic_scores
    previous = {"delta_1d": 1, "delta_7d": 7}
    deltas = []
    for column, days in previous.items():
        before = date - dt.timedelta(days=days)
        prior_scores = (
            _partition(ctx, "scores", inputs["scores"], before)
            if inputs["scores"] is not None
            else scores.limit(0)
        )
        deltas.append(scoring.score_deltas(scores, prior_scores, column))
    stamp = [
        F.lit(ctx.run_id).alias("run_id"),
        F.lit(cfg.algorithm_version).alias("algorithm_version"),
        F.lit(date).alias("score_date"),
    ]
    rows = (
        scores.join(scoring.percentiles(scores), on="person_id", how="left")
        .join(scoring.network_parts(scores, signals), on="person_id", how="left")
        .join(deltas[0], on="person_id", how="left")
        .join(deltas[1], on="person_id", how="left")
        .join(topics.top_topics(weights, cfg.score.top_topics), on="person_id", how="left")
        .select(
            *[F.col(c) for c in ("person_id", "score", "percentile", "delta_1d", "delta_7d")],
            F.coalesce(F.col("networks"), F.create_map().cast("map<string,double>")).alias(
                "networks"
            ),
            F.coalesce(F.col("top_topics"), F.array().cast("array<string>")).alias("top_topics"),
            *stamp,
        )
        .select(*[F.col(c) for c in SCORES.columns])
    )
    topic_rows = (
        topics.topic_scores(scores, weights)
        .select(F.col("person_id"), F.col("topic"), F.col("score"), *stamp)
        .select(*[F.col(c) for c in TOPIC_SCORES.columns])
    )
    try:
        outputs = {
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
        raw.unpersist()
        weights.unpersist()
    counts = {"people": int(row["people"]), "active": int(row["active"] or 0)}
    return StageReport(
        counts=counts, inputs=inputs, outputs=outputs, details={"calibration_knots": len(raw_knots)}
    )
