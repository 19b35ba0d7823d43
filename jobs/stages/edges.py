"""edges: the 90-day engagement graph and per-network signals for the score date.

The window's undamped decayed pair sums are slid from a recent day's kept sums (`pair_window`)
when some are usable, else summed from the window's daily pairs; either way they are kept for the
next day, and the burst and crowd caps are subtracted on the damped target-days
(transforms/window_state.py, docs/SCORING.md §4).
"""

from __future__ import annotations

import datetime as dt
import logging

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from jobs.context import RunContext, StageReport
from transforms import edges, window_state
from transforms.bursts import damped_days, factors_from_stats, target_day_stats

log = logging.getLogger("sway.edges")
# Files of dropped window sums stay this long before they are deleted: a job still reading an
# older version (a manual run alongside the DAG's) does not lose them under its feet.
STATE_RETENTION_HOURS = 24.0
# Damped target-days up to this many are broadcast to the scan of the window's daily pairs that
# finds their pairs (no shuffle of the window); more are joined by a shuffle.
BROADCAST_MAX_ROWS = 2_000_000


def run(ctx: RunContext) -> StageReport:
    lake, cfg, date = ctx.lake, ctx.config, ctx.score_date
    inputs = ctx.versions("daily_pairs", "daily_targets", "pair_window", "prior")
    window = edges.window_dates(date, cfg.window.days)
    daily = lake.read("daily_pairs", inputs["daily_pairs"]).where(F.col("event_date").isin(window))
    stats, counted = day_stats(ctx, inputs, window, daily)
    basis = window_state.pair_window_basis(cfg.window.days, cfg.window.half_life_days, cfg.networks)
    state_date = usable_state(ctx, inputs["pair_window"], basis)
    counts: dict[str, int] = {"window_slid_days": (date - state_date).days if state_date else 0}
    caps = (cfg.edges.burst_cap, cfg.edges.burst_floor, cfg.edges.crowd_cap, cfg.edges.crowd_floor)
    if state_date is None:
        sums = window_state.window_sums(
            daily, date, cfg.window.days, cfg.window.half_life_days, cfg.networks
        )
    else:
        sums = slid_sums(ctx, inputs, state_date)
    rows = window_state.pair_window_rows(sums, date, basis)
    kept = lake.replace_partitions("pair_window", rows, {"score_date": [date]})
    # Read back rather than cached: the sums are as large as the window's pairs.
    sums = lake.read_day("pair_window", date, kept)
    damped = damped_days(factors_from_stats(stats, *caps)).persist()
    try:
        # How much the defences make the stage read back: damped target-days of all of them.
        counts["damped_target_days"], counts["target_days"] = damped.count(), stats.count()
        small = counts["damped_target_days"] <= BROADCAST_MAX_ROWS
        hinted = F.broadcast(damped) if small else damped
        suspects = cfg.edges.suspects
        decayed = window_state.with_defences(
            sums, hinted, daily, date, cfg.window.half_life_days, cfg.networks, suspects
        )
        report = _graph_and_signals(ctx, inputs, decayed, counts, kept)
    finally:
        damped.unpersist()
    if counted is not None:
        report.outputs["daily_targets"] = counted
    return report


def _graph_and_signals(
    ctx: RunContext,
    inputs: dict[str, int | None],
    decayed: DataFrame,
    counts: dict[str, int],
    kept: int,
) -> StageReport:
    lake, cfg, date = ctx.lake, ctx.config, ctx.score_date
    trust = lake.read_day("prior", date, inputs["prior"]).select(F.col("person_id"), F.col("trust"))
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
        graph = edges.engagement_edges(pairs, date, unit, scale, power, quality)
        signals = edges.network_signals(
            pairs, date, unit, scale, quality, power, cfg.edges.recency_half_lives
        )
        outputs = {
            "pair_window": kept,
            "edges": lake.replace_partitions("edges", graph, {"score_date": [date]}),
            "signals": lake.replace_partitions("signals", signals, {"score_date": [date]}),
        }
        written = lake.read_day("edges", date)
        sink = (F.col("dst") == F.lit(edges.LEAK_ID)).cast("long")
        written_counts = written.agg(
            F.count(F.lit(1)).alias("all"), F.sum(sink).alias("sink")
        ).collect()[0]
        mutual = pairs.where(F.col("mutual_factor") < 1.0).select("src", "dst").distinct()
        counts |= {
            "pair_networks": pairs.count(),
            "edges": int(written_counts["all"] - (written_counts["sink"] or 0)),
            "leak_edges": int(written_counts["sink"] or 0),
            "mutual_pairs_discounted": mutual.count(),
        }
    finally:
        pairs.unpersist()
    pruned = prune_states(ctx)
    if pruned is not None:
        outputs["pair_window"] = pruned
    return StageReport(counts=counts, inputs=inputs, outputs=outputs)


def day_stats(
    ctx: RunContext, inputs: dict[str, int | None], window: list[dt.date], daily: DataFrame
) -> tuple[DataFrame, int | None]:
    """The window's per-day target statistics as the aggregate stage stored them (daily_targets).
    Days aggregated before that table existed get theirs from their daily pairs, stored once
    (the version written, else None)."""
    lake = ctx.lake
    days = set(window)
    aggregated = lake.partition_values("daily_pairs", "event_date", inputs["daily_pairs"]) & days
    stored = lake.partition_values("daily_targets", "event_date", inputs["daily_targets"])
    missing = sorted(aggregated - stored)
    written = None
    if missing:  # lakes aggregated before the table existed
        log.warning(
            "daily_targets lacks %d day(s) of the window (%s..%s): counting them from daily_pairs",
            len(missing),
            missing[0],
            missing[-1],
        )
        counted = target_day_stats(daily.where(F.col("event_date").isin(missing)))
        written = lake.replace_partitions("daily_targets", counted, {"event_date": missing})
    return lake.read("daily_targets").where(F.col("event_date").isin(window)), written


def usable_state(ctx: RunContext, version: int | None, basis: str) -> dt.date | None:
    """The latest kept window sums to slide from: at most window.slide_max_days before the score
    date, made under the same settings (basis). None: recompute the window."""
    cfg, date = ctx.config.window, ctx.score_date
    if version is None or cfg.slide_max_days == 0:
        return None
    earliest = date - dt.timedelta(days=cfg.slide_max_days)
    kept = ctx.lake.partition_values("pair_window", "score_date", version)
    candidates = [day for day in kept if earliest <= day < date]
    if not candidates:
        return None
    latest = max(candidates)
    rows = ctx.lake.read_day("pair_window", latest, version)
    found = rows.select("basis").first()
    if found is None or found["basis"] != basis:
        log.info("pair_window of %s was made under other settings: recomputing", latest)
        return None
    return latest


def slid_sums(ctx: RunContext, inputs: dict[str, int | None], state_date: dt.date) -> DataFrame:
    """The window sums of the score date, slid from those kept for state_date."""
    lake, cfg, date = ctx.lake, ctx.config, ctx.score_date
    entering, leaving = window_state.days_between(state_date, date, cfg.window.days)
    all_pairs = lake.read("daily_pairs", inputs["daily_pairs"])
    state = lake.read_day("pair_window", state_date, inputs["pair_window"])
    return window_state.slide_window(
        state,
        state_date,
        all_pairs.where(F.col("event_date").isin(entering)),
        all_pairs.where(F.col("event_date").isin(leaving)),
        date,
        cfg.window.days,
        cfg.window.half_life_days,
        cfg.networks,
    )


def prune_states(ctx: RunContext) -> int | None:
    """Drop the kept sums older than the day before the score date (a rerun of the score date
    still slides from there); their files go once removed STATE_RETENTION_HOURS ago."""
    date = ctx.score_date
    old = [
        day
        for day in ctx.lake.partition_values("pair_window", "score_date")
        if day < date - dt.timedelta(days=1)
    ]
    version = ctx.lake.delete_where("pair_window", "score_date", old)
    ctx.lake.vacuum("pair_window", STATE_RETENTION_HOURS)
    return version
