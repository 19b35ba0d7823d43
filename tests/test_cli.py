"""The command line as a tired operator meets it: strict arguments, one line per error (the
traceback in the log file), read commands that create nothing, a missing day that fails, and
`status` showing an attempt that never ended."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from jobs import manifest
from jobs.config import load_config
from jobs.context import RunContext
from jobs.lake import Lake
from jobs.main import build_parser, main
from jobs.status import NEVER_ENDED

DAY = "2026-11-20"


def common(lake: Path, logs: Path) -> list[str]:
    return ["--set", f"lake.root={lake}", "--set", f"logging.dir={logs}",
            "--set", "spark.shuffle_partitions=2"]  # fmt: skip


@pytest.mark.parametrize(
    "argv",
    [
        ["daily", "--date", "20261120"],
        ["daily", "--date", "2026-W47-5"],
        ["daily", "--date", DAY, "--days", "0"],
        ["ingest", "--date", DAY, "--days", "-3"],
    ],
)
def test_malformed_dates_and_days_are_usage_errors(argv, capsys):
    with pytest.raises(SystemExit) as stop:
        build_parser().parse_args(argv)
    assert stop.value.code == 2
    assert "expected" in capsys.readouterr().err


def test_a_read_command_never_creates_a_lake(tmp_path, capsys):
    lake = tmp_path / "nowhere"
    assert main(["top", "--date", DAY, *common(lake, tmp_path / "logs")]) == 1
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: no lake at {lake}")
    assert not lake.exists()


def test_a_corrupt_delta_log_is_one_line_and_a_logged_traceback(spark, tmp_path, capsys):
    root, logs = tmp_path / "lake", tmp_path / "logs"
    Lake(spark, str(root)).create("scores")
    for commit in (root / "scores" / "_delta_log").glob("*.json"):
        commit.write_text('{"this is": not json\n')
    capsys.readouterr()
    assert main(["top", "--date", DAY, *common(root, logs)]) == 1
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "(log: " in lines[0]
    [log] = logs.iterdir()
    assert "Traceback (most recent call last)" in log.read_text()


def test_a_day_without_input_fails_before_writing(spark, tmp_path, capsys):
    root = tmp_path / "lake"
    root.mkdir()
    assert main(["daily", "--date", DAY, *common(root, tmp_path / "logs")]) == 1
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines == [
        f"error: stage ingest failed for {DAY}: no raw interactions for {DAY} "
        "(--allow-empty to go on)"
    ]
    lake = Lake(spark, str(root))
    assert not lake.exists("engagements") and not lake.exists("scores")
    attempts = manifest.attempts(lake.read("runs")).collect()
    assert [(r.stage, r.status) for r in attempts] == [("ingest", "failed")]


def test_status_lists_every_attempt_and_the_one_that_never_ended(spark, tmp_path, capsys):
    root = tmp_path / "lake"
    config = load_config(["conf/local.yaml"], [f"lake.root={root}"])
    ctx = RunContext(spark, config, Lake(spark, str(root)), dt.date.fromisoformat(DAY))
    begun = dt.datetime(2026, 11, 21, 3, 0, tzinfo=dt.UTC)
    for stage, minutes, status in (("ingest", 0, "succeeded"), ("aggregate", 5, None)):
        started = begun + dt.timedelta(minutes=minutes)
        manifest.record(ctx, stage, manifest.STARTED, None, started, None)
        if status:
            ended = started + dt.timedelta(seconds=42)
            manifest.record(ctx, stage, status, None, started, ended)
    capsys.readouterr()
    assert main(["status", "--date", DAY, *common(root, tmp_path / "logs")]) == 0
    printed = capsys.readouterr().out
    ingest = next(line for line in printed.splitlines() if line.startswith("ingest"))
    aggregate = next(line for line in printed.splitlines() if line.startswith("aggregate"))
    assert "succeeded in 42.0s" in ingest and "2026-11-21 03:00:00" in ingest
    assert NEVER_ENDED in aggregate and "2026-11-21 03:05:00" in aggregate
