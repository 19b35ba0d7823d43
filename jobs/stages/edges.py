"""edges: the 90-day engagement graph and per-network signals for the score date."""

from __future__ import annotations

from pyspark.sql import functions as F

from jobs.context import RunContext, StageReport
from transforms import edges


def run(ctx: RunContext) -> StageReport:
    lake, cfg, date = ctx.lake, ctx.config, ctx.score_date
    inputs = ctx.versions("daily_pairs", "prior")
    window = edges.window_dates(date, cfg.window.days)
    daily = lake.read("daily_pairs", inputs["daily_pairs"]).where(F.col("event_date").isin(window))
    trust = (
        lake.read("prior", inputs["prior"])
        .where(F.col("score_date") == F.lit(date))
        .select(F.col("person_id"), F.col("trust"))
    )
    decayed = edges.decayed_pair_networks(
        daily,
        date,
        cfg.window.days,
        cfg.window.half_life_days,
        cfg.networks,
        burst_cap=cfg.edges.burst_cap,
        burst_floor=cfg.edges.burst_floor,
        crowd_cap=cfg.edges.crowd_cap,
        crowd_floor=cfg.edges.crowd_floor,
    )
    quality = edges.reactor_quality(trust, cfg.edges.trusted_reactor)
    unit, scale, power = (
        cfg.edges.pair_unit,
        cfg.edges.selectivity_scale,
        cfg.edges.selectivity_power,
    )
    discounted = edges.discount_reciprocal(decayed, cfg.edges.reciprocal_keep)
    # Strengths and quality once, for both outputs (each would aggregate and join them again).
    pairs = edges.prepared_pairs(discounted, unit, scale, power, quality).persist()
    try:
        graph = edges.engagement_edges(pairs, date, unit, scale, quality, power)
        signals = edges.network_signals(pairs, date, unit, scale, quality, power)
        outputs = {
            "edges": lake.replace_partitions("edges", graph, {"score_date": [date]}),
            "signals": lake.replace_partitions("signals", signals, {"score_date": [date]}),
        }
        written = lake.read("edges").where(F.col("score_date") == F.lit(date))
        sink = (F.col("dst") == F.lit(edges.LEAK_ID)).cast("long")
        written_counts = written.agg(
            F.count(F.lit(1)).alias("all"), F.sum(sink).alias("sink")
        ).collect()[0]
        mutual = pairs.where(F.col("mutual_factor") < 1.0).select("src", "dst").distinct()
        counts = {
            "pair_networks": pairs.count(),
            "edges": int(written_counts["all"] - (written_counts["sink"] or 0)),
            "leak_edges": int(written_counts["sink"] or 0),
            "mutual_pairs_discounted": mutual.count(),
        }
    finally:
        pairs.unpersist()
    return StageReport(counts=counts, inputs=inputs, outputs=outputs)
