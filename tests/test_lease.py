"""The writer lease (jobs/lake/lease.py) in one process: claims, order, release, takeover."""

from __future__ import annotations

import datetime as dt
import logging
import os
import subprocess

import pytest

from jobs.lake import Lake, LakeBusyError
from jobs.lake.lease import TABLE, WriterLease, holding_lease
from transforms.schemas import SCORES, TABLES

D = dt.date(2026, 11, 20)


def lease(lake: Lake, command: str = "daily", minutes: float = 60.0) -> WriterLease:
    return WriterLease(lake, command, D, minutes, wait=0.0)


def test_the_first_claim_holds_the_lake_until_released(spark, tmp_path):
    lake = Lake(spark, str(tmp_path / "lake"))
    first, second = lease(lake), lease(lake, "erase")
    first.acquire()
    with pytest.raises(LakeBusyError, match=r"is busy: `daily --date 2026-11-20` \(pid "):
        second.acquire()
    rows = lake.read(TABLE).collect()
    assert [r.holder for r in rows] == [first.holder]  # the loser withdrew its claim
    first.release()
    assert lake.read(TABLE).count() == 0
    second.acquire()
    second.release()


def test_holding_is_reentrant_and_releases_on_error(spark, tmp_path):
    lake = Lake(spark, str(tmp_path / "lake"))
    with pytest.raises(RuntimeError, match="stage died"):
        with holding_lease(lake, "daily", D, 60.0, 0.0) as outer:
            with holding_lease(lake, "ingest", D, 60.0, 0.0) as inner:
                assert inner is outer and lake.lease is outer
            raise RuntimeError("stage died")
    assert lake.lease is None and lake.read(TABLE).count() == 0


def test_a_dead_claim_is_taken_over_and_its_files_swept(spark, tmp_path, caplog):
    lake = Lake(spark, str(tmp_path / "lake"))
    dead = _dead_pid()
    now = dt.datetime.now(dt.UTC)
    row = ("gone", "daily", D, os.uname().nodename, dead, now, now + dt.timedelta(hours=1))
    lake.append(TABLE, spark.createDataFrame([row], TABLES[TABLE].schema), token="gone")
    # What a killed write leaves: a data file in the table folder that no commit references.
    lake.append("scores", spark.createDataFrame([], SCORES.schema))
    orphan = os.path.join(lake.path("scores"), "part-00000-killed.snappy.parquet")
    spark.createDataFrame([], SCORES.schema).toPandas().to_parquet(orphan)
    old = os.stat(orphan).st_mtime - 3600
    os.utime(orphan, (old, old))
    with caplog.at_level(logging.WARNING, logger="sway"):
        taker = lease(lake)
        taker.acquire()
    assert "took the lake over from `daily --date 2026-11-20`" in caplog.text
    assert not os.path.exists(orphan)
    assert [r.holder for r in lake.read(TABLE).collect()] == [taker.holder]
    taker.release()


def test_an_expired_claim_on_another_host_is_taken_over(spark, tmp_path):
    lake = Lake(spark, str(tmp_path / "lake"))
    now = dt.datetime.now(dt.UTC)
    live = ("far", "daily", D, "another-host", 1, now, now + dt.timedelta(hours=1))
    lake.append(TABLE, spark.createDataFrame([live], TABLES[TABLE].schema), token="far")
    with pytest.raises(LakeBusyError, match="on another-host"):
        lease(lake).acquire()
    lapsed = ("late", "daily", D, "another-host", 1, now, now - dt.timedelta(minutes=1))
    lake.delete_rows(TABLE, "holder = 'far'")
    lake.append(TABLE, spark.createDataFrame([lapsed], TABLES[TABLE].schema), token="late")
    taker = lease(lake)
    taker.acquire()
    assert [r.holder for r in lake.read(TABLE).collect()] == [taker.holder]
    taker.release()


def _dead_pid() -> int:
    """The pid of a process that has exited."""
    done = subprocess.Popen(["true"])
    done.wait()
    return done.pid
