"""Backfills in windows (`window.backfill_chunk_days`, jobs/runner.py): which stage runs for which
days, in which order. No Spark: the stages are replaced by a recorder. That a chunked backfill
writes exactly what one job over every day writes is checked end to end in test_daily_job.py."""

from __future__ import annotations

import datetime as dt
from contextlib import nullcontext

import pytest

from jobs import commands, runner
from jobs.config import load_config
from jobs.context import RunContext, StageReport
from jobs.main import main
from jobs.stages import STAGES

END = dt.date(2026, 11, 20)


def day(k: int) -> dt.date:
    return END - dt.timedelta(days=k)


@pytest.fixture
def ran(monkeypatch):
    """Replace run_stage: record (stage, score date, days, run id, as_of) and count one row."""
    calls = []

    def fake(ctx: RunContext, name: str) -> StageReport:
        calls.append((name, ctx.score_date, ctx.days, ctx.run_id, ctx.as_of))
        return StageReport(counts={"days": ctx.days, "rows": 10 * ctx.days}, inputs={"x": 1})

    monkeypatch.setattr(runner, "run_stage", fake)
    # No lake either: the writer lease (tested with real processes in test_concurrency.py).
    monkeypatch.setattr(RunContext, "writing", lambda self, command, wait=None: nullcontext())
    return calls


def test_windows_are_oldest_first_and_keep_the_run():
    config = load_config([], ["window.backfill_chunk_days=3"])
    ctx = RunContext(None, config, None, END, 7)
    windows = runner.backfill_windows(ctx)
    assert [(w.dates()[0], w.score_date, w.days) for w in windows] == [
        (day(6), day(4), 3),
        (day(3), day(1), 3),
        (END, END, 1),
    ]
    assert [d for w in windows for d in w.dates()] == ctx.dates()
    assert {w.run_id for w in windows} == {ctx.run_id}
    assert {w.as_of for w in windows} == {END}
    fits = RunContext(None, config, None, END, 3)
    assert runner.backfill_windows(fits)[0] is fits and len(runner.backfill_windows(fits)) == 1


def test_chunk_days_must_be_positive():
    assert load_config([]).window.backfill_chunk_days == 4
    with pytest.raises(ValueError, match=r"window\.backfill_chunk_days"):
        load_config([], ["window.backfill_chunk_days=0"])


def test_daily_ingests_and_aggregates_window_by_window_then_scores_once(ran):
    config = load_config([], ["window.backfill_chunk_days=2"])
    ctx = RunContext(None, config, None, END, 5)
    reports = runner.run_daily(ctx)
    run = ctx.run_id
    assert ran == [
        ("ingest", day(3), 2, run, END),
        ("aggregate", day(3), 2, run, END),
        ("ingest", day(1), 2, run, END),
        ("aggregate", day(1), 2, run, END),
        ("ingest", END, 1, run, END),
        ("aggregate", END, 1, run, END),
        *[(name, END, 5, run, END) for name in list(STAGES)[2:]],
    ]
    # The windows' counts add up to what one job over the 5 days reports.
    assert reports["ingest"].counts == {"days": 5, "rows": 50}
    assert reports["aggregate"].details == {"windows": 3}
    assert reports["score"].details == {}


def test_one_window_when_the_days_fit(ran):
    config = load_config([])  # backfill_chunk_days: 4
    runner.run_daily(RunContext(None, config, None, END, 4), ["ingest", "aggregate", "prior"])
    assert [(name, date, days) for name, date, days, _, _ in ran] == [
        ("ingest", END, 4),
        ("aggregate", END, 4),
        ("prior", END, 4),
    ]


def test_stage_commands_with_days_go_window_by_window(ran, monkeypatch):
    """`python -m jobs ingest --days N` (one Airflow task) is chunked like `daily`."""

    def no_spark(config, date, days=1, log_path=None, verbose=False):
        return RunContext(None, config, None, date, days)

    monkeypatch.setattr(commands, "open_context", no_spark)
    common = ["--date", str(END), "--set", "window.backfill_chunk_days=3"]
    assert main(["ingest", "--days", "5", *common]) == 0
    assert main(["prior", *common]) == 0
    assert [(name, date, days) for name, date, days, _, _ in ran] == [
        ("ingest", day(2), 3),
        ("ingest", END, 2),
        ("prior", END, 1),
    ]
