"""What every stage of one run shares: session, config, lake, date, run id."""

from __future__ import annotations

import datetime as dt
import functools
import subprocess
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from pyspark.sql import SparkSession

from jobs.config import SwayConfig
from jobs.lake import Lake


@functools.cache
def code_version() -> str:
    """Package version plus the git commit when running from a checkout (`0.1.0+g1a2b3c4`)."""
    try:
        version = metadata.version("sway")
    except metadata.PackageNotFoundError:
        version = "0+unknown"
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "--short=8", "HEAD"],
            cwd=Path(__file__).resolve().parent,
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
        return f"{version}+g{sha}" if sha else version
    except (OSError, subprocess.SubprocessError):
        return version


@dataclass
class StageReport:
    """What a stage did: counts for the logs and the manifest, table versions read and written."""

    counts: dict[str, int] = field(default_factory=dict)
    inputs: dict[str, int | None] = field(default_factory=dict)
    outputs: dict[str, int | None] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class RunContext:
    spark: SparkSession
    config: SwayConfig
    lake: Lake
    score_date: dt.date
    # ingest/aggregate process the `days` dates ending at score_date (1 in the daily routine).
    days: int = 1
    # Set on the windows of a chunked backfill (jobs/runner.py): the date of the whole run. A
    # window keeps the run's id and judges who may be scored on the run's date, as one job over
    # all the days would; its manifest rows carry the window's own last date and days.
    run_date: dt.date | None = None
    # Skip the stages this logical run (run_id) already completed for the same date, as the
    # manifest records them (jobs/runner.py): a long run killed half-way goes on where it stopped.
    resume: bool = False

    @property
    def as_of(self) -> dt.date:
        """The date of the run: `run_date` for a backfill window, else the score date."""
        return self.run_date or self.score_date

    @property
    def run_id(self) -> str:
        """The logical run: same date, settings and code give the same id, so a rerun (a new
        attempt of the same run) republishes identical rows; attempts differ in the manifest."""
        return f"{self.as_of.isoformat()}-{self.config.config_hash[:8]}-{code_version()}"

    def dates(self) -> list[dt.date]:
        return [self.score_date - dt.timedelta(days=k) for k in range(self.days - 1, -1, -1)]

    def writing(self, command: str, wait: float | None = None) -> Any:
        """Hold the lake's writer lease for a block (jobs/lake/lease.py); `wait`: seconds to
        wait for a busy lake (default `lake.busy_wait_seconds`)."""
        from jobs.lake.lease import holding_lease

        cfg = self.config.lake
        wait = cfg.busy_wait_seconds if wait is None else wait
        return holding_lease(self.lake, command, self.as_of, cfg.lease_minutes, wait)

    def versions(self, *names: str) -> dict[str, int | None]:
        return {name: self.lake.version(name) for name in names}
