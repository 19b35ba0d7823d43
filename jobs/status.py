"""`python -m jobs status --date D`: every stage attempt of a date, as the runs manifest holds
them (an attempt that never ended: killed, or still running; see docs/OPERATIONS.md)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from jobs.context import RunContext
from jobs.lake import Lake
from jobs.manifest import STARTED, attempts
from jobs.stages import STAGES

NEVER_ENDED = "started, never ended (killed, or still running)"


def date_attempts(lake: Lake, date: dt.date) -> list[dict[str, Any]]:
    """The date's attempts in run order (stage order, then start time), oldest first."""
    if not lake.exists("runs"):
        return []
    rows = attempts(lake.read_day("runs", date)).collect()
    order = {name: i for i, name in enumerate(STAGES)}
    found = [row.asDict() for row in rows]
    return sorted(found, key=lambda r: (order.get(r["stage"], len(order)), r["started_at"]))


def describe(attempt: dict[str, Any]) -> str:
    """One line: stage, start, outcome, time, the main counts or the error."""
    if attempt["status"] == STARTED:
        outcome = NEVER_ENDED
    else:
        outcome = f"{attempt['status']} in {attempt['duration_s']:.1f}s"
    counts = attempt["counts"] or {}
    detail = attempt["message"] or " ".join(
        f"{k}={v}" for k, v in counts.items() if not k.startswith("reason.")
    )
    return (
        f"{attempt['stage']:10s} {attempt['started_at']:%Y-%m-%d %H:%M:%S}  {outcome:48s} {detail}"
    )


def print_status(ctx: RunContext) -> None:
    found = date_attempts(ctx.lake, ctx.score_date)
    if not found:
        print(f"no stage attempts recorded for {ctx.score_date}")
        return
    runs = sorted({a["run_id"] for a in found})
    print(f"\n{len(found)} stage attempts for {ctx.score_date} (run {', '.join(runs)}):")
    print(f"{'stage':10s} {'started (UTC)':19s}  {'outcome':48s} counts / message")
    for attempt in found:
        print(describe(attempt))
