"""aggregate: fold the new day's engagements into daily pair and topic aggregates."""

from __future__ import annotations

from pyspark.sql import functions as F

from jobs.context import RunContext, StageReport
from transforms.aggregates import daily_pairs, daily_topics


def run(ctx: RunContext) -> StageReport:
    lake, dates = ctx.lake, ctx.dates()
    inputs = ctx.versions("engagements")
    day = lake.read("engagements", inputs["engagements"]).where(F.col("event_date").isin(dates))
    pairs = daily_pairs(day).persist()
    try:
        outputs = {
            "daily_pairs": lake.replace_partitions("daily_pairs", pairs, {"event_date": dates}),
            "daily_topics": lake.replace_partitions(
                "daily_topics", daily_topics(day, ctx.config.networks), {"event_date": dates}
            ),
        }
        totals = pairs.agg(F.count(F.lit(1)).alias("pairs"), F.sum("reactions").alias("reactions"))
        row = totals.collect()[0]
    finally:
        pairs.unpersist()
    counts = {"pairs": int(row["pairs"]), "reactions": int(row["reactions"] or 0)}
    return StageReport(counts=counts, inputs=inputs, outputs=outputs)
