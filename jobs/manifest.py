"""The `runs` manifest: one row per stage attempt, appended whatever its outcome."""

from __future__ import annotations

import datetime as dt

from jobs.context import RunContext, StageReport, code_version
from transforms.schemas import RUNS


def record(
    ctx: RunContext,
    stage: str,
    status: str,
    report: StageReport | None,
    started: dt.datetime,
    finished: dt.datetime,
    message: str | None = None,
) -> None:
    report = report or StageReport()
    row = (
        ctx.run_id,
        ctx.score_date,
        stage,
        status,
        ctx.config.config_hash,
        code_version(),
        ctx.config.algorithm_version,
        {k: v for k, v in report.inputs.items() if v is not None},
        {k: v for k, v in report.outputs.items() if v is not None},
        {k: int(v) for k, v in report.counts.items()},
        started.replace(tzinfo=None),
        finished.replace(tzinfo=None),
        (finished - started).total_seconds(),
        message,
    )
    ctx.lake.append("runs", ctx.spark.createDataFrame([row], RUNS.schema))
