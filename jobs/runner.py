"""Runs stages: times them, logs what they did and appends the manifest row."""

from __future__ import annotations

import datetime as dt
import logging
import time

from jobs import manifest
from jobs.context import RunContext, StageReport
from jobs.stages import STAGES

log = logging.getLogger("sway")


class StageFailedError(RuntimeError):
    """A stage raised; the manifest holds a `failed` row with the message."""


def run_stage(ctx: RunContext, name: str) -> StageReport:
    stage, _ = STAGES[name]
    started = dt.datetime.now(dt.UTC)
    clock = time.perf_counter()
    log.info("stage=%s date=%s run_id=%s: started", name, ctx.score_date, ctx.run_id)
    try:
        report = stage(ctx)
    except Exception as error:
        manifest.record(
            ctx, name, "failed", None, started, dt.datetime.now(dt.UTC), repr(error)[:2000]
        )
        log.error(
            "stage=%s date=%s: FAILED after %.1fs: %r",
            name,
            ctx.score_date,
            time.perf_counter() - clock,
            error,
        )
        raise StageFailedError(f"stage {name} failed for {ctx.score_date}: {error}") from error
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


def run_daily(ctx: RunContext, stages: list[str] | None = None) -> dict[str, StageReport]:
    """Every stage in order for the context's date; stops at the first failure."""
    reports = {}
    clock = time.perf_counter()
    for name in stages or list(STAGES):
        reports[name] = run_stage(ctx, name)
    log.info("daily date=%s: all stages done in %.1fs", ctx.score_date, time.perf_counter() - clock)
    return reports
