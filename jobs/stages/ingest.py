"""ingest: validate, dedupe and map one day (or a few) of raw interactions to people."""

from __future__ import annotations

from pyspark.sql import functions as F

from jobs.context import RunContext, StageReport
from transforms import ingest
from transforms.population import scorable_people


def run(ctx: RunContext) -> StageReport:
    lake, cfg, dates = ctx.lake, ctx.config, ctx.dates()
    inputs = ctx.versions("interactions", "accounts", "people")
    raw = lake.read("interactions", inputs["interactions"]).where(F.col("event_date").isin(dates))
    accounts = lake.read("accounts", inputs["accounts"])
    people = lake.read("people", inputs["people"])
    # Who may be scored on the run's date (a backfill window's too, so windows match one job).
    scorable = scorable_people(people, accounts, ctx.as_of, cfg.population.min_age)
    classified = ingest.classify_interactions(raw, accounts, scorable, cfg.networks).persist()
    try:
        by_outcome = {
            row["outcome"]: row["n"]
            for row in classified.groupBy("outcome").agg(F.count(F.lit(1)).alias("n")).collect()
        }
        counts = {"days": ctx.days, "rows_in": sum(by_outcome.values())}
        counts.update({outcome: int(by_outcome.get(outcome, 0)) for outcome in ingest.OUTCOMES})
        outputs = {
            "engagements": lake.replace_partitions(
                "engagements", ingest.accepted_engagements(classified), {"event_date": dates}
            ),
            "quarantine": lake.replace_partitions(
                "quarantine",
                ingest.quarantine_rows(classified, "interactions", ctx.run_id),
                {"source": ["interactions"], "event_date": dates},
            ),
        }
    finally:
        classified.unpersist()
    return StageReport(counts=counts, inputs=inputs, outputs=outputs)
