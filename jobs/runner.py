"""Runs stages: times them, logs what they did and appends the manifest row.

A multi-day run (`--days N`: first run, backfill) ingests and aggregates its days in windows of at
most `window.backfill_chunk_days` days, oldest first, one Spark job per window and stage, so that
memory stays bounded whatever N; the later stages then run once for the run's date.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import logging
import time
from collections.abc import Iterable

from jobs import manifest
from jobs.context import RunContext, StageReport
from jobs.logs import one_line
from jobs.stages import STAGES

log = logging.getLogger("sway")

# The stages that take several days of raw events at once (`--days N`).
MULTI_DAY_STAGES = ("ingest", "aggregate")


class StageFailedError(RuntimeError):
    """A stage raised; the manifest holds a `failed` row with the message."""


def run_stage(ctx: RunContext, name: str) -> StageReport:
    stage, _ = STAGES[name]
    if ctx.resume:
        done = manifest.completed(ctx, name)
        if done is not None:
            log.info("stage=%s date=%s: done earlier in this run, skipped", name, ctx.score_date)
            return done
    if ctx.lake.lease is not None:
        ctx.lake.lease.renew()
    started = dt.datetime.now(dt.UTC)
    clock = time.perf_counter()
    days = f" days={ctx.days}" if ctx.days > 1 else ""
    log.info("stage=%s date=%s%s run_id=%s: started", name, ctx.score_date, days, ctx.run_id)
    # Recorded first, so that an attempt killed half-way shows as started and never finished.
    manifest.record(ctx, name, manifest.STARTED, None, started, None)
    try:
        report = stage(ctx)
    except Exception as error:
        message = one_line(error)
        manifest.record(ctx, name, "failed", None, started, dt.datetime.now(dt.UTC), message)
        log.debug("stage=%s date=%s: traceback", name, ctx.score_date, exc_info=True)
        log.error(
            "stage=%s date=%s: FAILED after %.1fs: %s",
            name,
            ctx.score_date,
            time.perf_counter() - clock,
            message,
        )
        raise StageFailedError(f"stage {name} failed for {ctx.score_date}: {message}") from error
    manifest.record(ctx, name, "succeeded", report, started, dt.datetime.now(dt.UTC))
    counts = " ".join(f"{k}={v}" for k, v in report.counts.items())
    log.info(
        "stage=%s date=%s: done in %.1fs %s outputs=%s",
        name,
        ctx.score_date,
        time.perf_counter() - clock,
        counts,
        report.outputs,
    )
    return report


def backfill_windows(ctx: RunContext) -> list[RunContext]:
    """ctx's days as windows of at most `window.backfill_chunk_days` days, oldest first, each
    ending at its own score date and keeping the run's date; [ctx] when they fit in one."""
    chunk = ctx.config.window.backfill_chunk_days
    if ctx.days <= chunk:
        return [ctx]
    dates = ctx.dates()
    return [
        dataclasses.replace(ctx, score_date=part[-1], days=len(part), run_date=ctx.as_of)
        for part in (dates[i : i + chunk] for i in range(0, len(dates), chunk))
    ]


def run_multi_day(ctx: RunContext, names: list[str]) -> dict[str, StageReport]:
    """The multi-day stages `names`, in order, over ctx's days, window by window (oldest first:
    aggregate's +K repeat rule reads the engagements of the days before a window, which the
    earlier windows have ingested). Every window appends its own manifest rows; the reports
    returned add the windows' counts up."""
    windows = backfill_windows(ctx)
    if len(windows) == 1:
        return {name: run_stage(ctx, name) for name in names}
    clock = time.perf_counter()
    log.info(
        "backfill date=%s days=%d: %s in %d windows of at most %d days",
        ctx.score_date,
        ctx.days,
        "+".join(names),
        len(windows),
        ctx.config.window.backfill_chunk_days,
    )
    done: dict[str, list[StageReport]] = {name: [] for name in names}
    for number, window in enumerate(windows, 1):
        started = time.perf_counter()
        for name in names:
            done[name].append(run_stage(window, name))
        counts = "; ".join(
            f"{name} " + " ".join(f"{k}={v}" for k, v in done[name][-1].counts.items())
            for name in names
        )
        log.info(
            "backfill window %d/%d %s..%s (%d days): done in %.1fs: %s",
            number,
            len(windows),
            window.dates()[0],
            window.score_date,
            window.days,
            time.perf_counter() - started,
            counts,
        )
    log.info(
        "backfill date=%s days=%d: %d windows done in %.1fs",
        ctx.score_date,
        ctx.days,
        len(windows),
        time.perf_counter() - clock,
    )
    return {name: _added_up(reports) for name, reports in done.items()}


def _added_up(reports: list[StageReport]) -> StageReport:
    """One report for a stage's windows: counts summed (they count disjoint days), the inputs
    read by the first window, the outputs written by the last."""
    counts: dict[str, int] = {}
    for report in reports:
        for key, value in report.counts.items():
            counts[key] = counts.get(key, 0) + value
    return StageReport(
        counts=counts,
        inputs=reports[0].inputs,
        outputs=reports[-1].outputs,
        details={"windows": len(reports)},
    )


def run_stages(ctx: RunContext, names: Iterable[str]) -> dict[str, StageReport]:
    """The stages `names` in the given order, holding the lake's writer lease; runs of multi-day
    stages go window by window."""
    names = list(names)
    reports: dict[str, StageReport] = {}
    with ctx.writing(names[0] if len(names) == 1 else "daily"):
        for multi_day, group in itertools.groupby(names, key=lambda n: n in MULTI_DAY_STAGES):
            if multi_day:
                reports.update(run_multi_day(ctx, list(group)))
            else:
                reports.update({name: run_stage(ctx, name) for name in group})
    return reports


def run_daily(ctx: RunContext, stages: list[str] | None = None) -> dict[str, StageReport]:
    """Every stage in order for the context's date (ingest and aggregate over its `days`, in
    windows when they are more than `window.backfill_chunk_days`); stops at the first failure."""
    clock = time.perf_counter()
    reports = run_stages(ctx, stages or list(STAGES))
    log.info("daily date=%s: all stages done in %.1fs", ctx.score_date, time.perf_counter() - clock)
    return reports
