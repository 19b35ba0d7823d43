"""aggregate: fold the new day's engagements into daily pair, target and topic aggregates, after
the +K rate limits. Re-aggregating a day makes the kept window sums that include it stale: they
are dropped first (a crash in between leaves the edges stage to recompute the window)."""

from __future__ import annotations

import datetime as dt

from pyspark.sql import functions as F

from jobs.context import RunContext, StageReport
from transforms.aggregates import daily_pairs, daily_topics
from transforms.bursts import target_day_stats
from transforms.endorsements import is_endorsement, limit_endorsements


def run(ctx: RunContext) -> StageReport:
    lake, dates, limits = ctx.lake, ctx.dates(), ctx.config.endorsements
    inputs = ctx.versions("engagements")
    engagements = lake.read("engagements", inputs["engagements"])
    day = engagements.where(F.col("event_date").isin(dates))
    # The days before the first date, for the +K repeat rule (a rerun reads the same ones).
    before = [dates[0] - dt.timedelta(days=k) for k in range(1, limits.repeat_days)]
    earlier = engagements.where(F.col("event_date").isin(before))
    counted = limit_endorsements(
        day, earlier, limits.network, limits.action, limits.per_giver_per_day, limits.repeat_days
    ).persist()
    pairs = daily_pairs(counted).persist()
    try:
        # Every later state: one slid from a stale state is stale too, whatever its window.
        states = lake.partition_values("pair_window", "score_date")
        stale = lake.delete_where("pair_window", "score_date", [d for d in states if d >= dates[0]])
        outputs = {
            "daily_pairs": lake.replace_partitions("daily_pairs", pairs, {"event_date": dates}),
            "daily_targets": lake.replace_partitions(
                "daily_targets", target_day_stats(pairs), {"event_date": dates}
            ),
            "daily_topics": lake.replace_partitions(
                "daily_topics", daily_topics(counted, ctx.config.networks), {"event_date": dates}
            ),
        }
        endorsement = is_endorsement(limits.network, limits.action)
        totals = pairs.agg(
            F.count(F.lit(1)).alias("pairs"),
            F.sum("reactions").alias("reactions"),
            # Kept +K, read off the pairs already computed rather than another pass.
            F.sum(F.when(endorsement, F.col("reactions")).otherwise(F.lit(0))).alias("kept"),
        )
        row = totals.collect()[0]
        given, kept = day.where(endorsement).count(), int(row["kept"] or 0)
    finally:
        pairs.unpersist()
        counted.unpersist()
    counts = {
        "days": ctx.days,
        "pairs": int(row["pairs"]),
        "reactions": int(row["reactions"] or 0),
        "endorsements_kept": kept,
        "endorsements_over_limit": given - kept,
    }
    if stale is not None:
        outputs["pair_window"] = stale
    return StageReport(counts=counts, inputs=inputs, outputs=outputs)
