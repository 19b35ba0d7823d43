"""ingest: validate, dedupe and map one day (or a few) of raw interactions to people."""

from __future__ import annotations

import datetime as dt

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from jobs.context import RunContext, StageReport
from jobs.health import check_input
from transforms import ingest
from transforms.population import scorable_people
from transforms.schemas import ENGAGEMENTS


def accepted_before(ctx: RunContext, version: int | None) -> DataFrame:
    """The event ids accepted in the dedupe lookback's days before the run's first date: one
    column of those days' engagements, not the raw history."""
    first = ctx.dates()[0]
    lookback = ctx.config.dedupe_lookback_days
    if version is None or lookback == 0:
        return ctx.spark.createDataFrame([], ENGAGEMENTS.schema).select(F.col("event_id"))
    since = first - dt.timedelta(days=lookback)
    return (
        ctx.lake.read("engagements", version)
        .where(F.col("event_date").between(F.lit(since), F.lit(first - dt.timedelta(days=1))))
        .select(F.col("event_id"))
    )


def outcome_counts(ctx: RunContext, classified: DataFrame) -> dict[str, int]:
    """rows_in, one count per outcome (adding up to rows_in) and per quarantine reason."""
    rows = classified.groupBy(F.col("outcome"), F.col("reason")).agg(F.count(F.lit(1)).alias("n"))
    counts = {"days": ctx.days, "rows_in": 0}
    counts.update({outcome: 0 for outcome in ingest.OUTCOMES})
    reasons: dict[str, int] = {}
    for row in rows.collect():
        counts["rows_in"] += row["n"]
        counts[row["outcome"]] += row["n"]
        if row["reason"] is not None:
            reasons[f"reason.{row['reason']}"] = row["n"]
    counts.update(sorted(reasons.items()))
    return counts


def run(ctx: RunContext) -> StageReport:
    lake, cfg, dates = ctx.lake, ctx.config, ctx.dates()
    inputs = ctx.versions("interactions", "accounts", "people", "engagements")
    check_input(lake, inputs["interactions"], dates, cfg.health)
    raw = lake.read("interactions", inputs["interactions"]).where(ingest.read_filter(dates))
    accounts = lake.read("accounts", inputs["accounts"])
    people = lake.read("people", inputs["people"])
    # Who may be scored on the run's date (a backfill window's too, so windows match one job).
    scorable = scorable_people(people, accounts, ctx.as_of, cfg.population.min_age)
    limits = ingest.Limits(
        cfg.ingest.max_event_id_chars,
        cfg.ingest.max_topics,
        cfg.ingest.max_topic_chars,
        cfg.ingest.max_record_chars,
    )
    seen = accepted_before(ctx, inputs["engagements"])
    classified = ingest.classify_interactions(
        raw, accounts, scorable, cfg.networks, limits, seen
    ).persist()
    try:
        counts = outcome_counts(ctx, classified)
        rejected = ingest.quarantine_rows(
            classified, "interactions", ctx.run_id, ctx.score_date, limits.max_record_chars
        )
        outputs = {
            "engagements": lake.replace_partitions(
                "engagements", ingest.accepted_engagements(classified), {"event_date": dates}
            ),
            "quarantine": lake.replace_partitions(
                "quarantine", rejected, {"source": ["interactions"], "event_date": dates}
            ),
        }
    finally:
        classified.unpersist()
    return StageReport(counts=counts, inputs=inputs, outputs=outputs)
