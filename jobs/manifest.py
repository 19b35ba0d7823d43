"""The `runs` manifest: two rows per stage attempt, `started` first, then how it ended."""

from __future__ import annotations

import datetime as dt

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from jobs.context import RunContext, StageReport, code_version
from transforms.schemas import RUNS

STARTED = "started"  # an attempt's first row; its second says succeeded or failed


def record(
    ctx: RunContext,
    stage: str,
    status: str,
    report: StageReport | None,
    started: dt.datetime,
    finished: dt.datetime | None,
    message: str | None = None,
) -> None:
    """Append one row; an attempt is its `started` row and its end row (same started_at)."""
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
        None if finished is None else finished.replace(tzinfo=None),
        None if finished is None else (finished - started).total_seconds(),
        message,
    )
    ctx.lake.append("runs", ctx.spark.createDataFrame([row], RUNS.schema))


def completed(ctx: RunContext, stage: str) -> StageReport | None:
    """The report of the last `succeeded` row of this run (run_id: same run date, settings and
    code), date and stage, or None. For resuming a run: every stage replaces its own outputs, so
    a stage that succeeded once in this run need not run again, unless its inputs changed since
    (late data: run again without resuming)."""
    if not ctx.lake.exists("runs"):
        return None
    rows = (
        ctx.lake.read_day("runs", ctx.score_date)
        .where(
            (F.col("run_id") == ctx.run_id)
            & (F.col("stage") == stage)
            & (F.col("status") == "succeeded")
        )
        .orderBy(F.col("finished_at").desc())
        .limit(1)
        .collect()
    )
    if not rows:
        return None
    row = rows[0]
    return StageReport(
        counts=dict(row["counts"] or {}),
        inputs=dict(row["input_versions"] or {}),
        outputs=dict(row["output_versions"] or {}),
        details={"resumed": True},
    )


def attempts(runs: DataFrame) -> DataFrame:
    """One row per attempt: its end row (succeeded or failed), else its `started` row (an
    attempt killed before it ended, or still running)."""
    key = [F.col(c) for c in ("run_id", "score_date", "stage", "started_at")]
    ended_first = Window.partitionBy(*key).orderBy((F.col("status") == F.lit(STARTED)).asc())
    return (
        runs.withColumn("attempt_row", F.row_number().over(ended_first))
        .where(F.col("attempt_row") == 1)
        .drop("attempt_row")
    )
