"""Concurrent and killed runs, as real processes on a copy of the shared `tiny` lake.

Each scenario starts `python -m jobs ...` processes (their own Spark drivers) and checks what an
operator would: exit codes and the one-line error, no duplicate row in any table, the erased
person in no file on disk, scores identical to an undisturbed run.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from deltalake import DeltaTable
from pyspark.sql import functions as F

from jobs.lake import Lake
from transforms.schemas import TABLES

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent
WITHOUT_DUPLICATES = [n for n in TABLES if n not in ("runs", "lease")]


def start(command: list[str], root: str) -> subprocess.Popen:
    """`python -m jobs COMMAND` on the lake at root, in its own process group."""
    argv = [sys.executable, "-m", "jobs", *command, "--conf", "conf/local.yaml"]
    argv += ["--set", f"lake.root={root}", "--set", "spark.shuffle_partitions=2"]
    argv += ["--set", 'spark.conf={"spark.driver.memory": "1g"}']
    return subprocess.Popen(
        argv, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,
    )  # fmt: skip


def finish(process: subprocess.Popen, timeout: float = 900) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=timeout)
    return process.returncode, out, err


def wait_for(condition, what: str, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def delta_rows(root: str, name: str) -> pa.Table | None:
    path = os.path.join(root, name)
    if not os.path.isdir(os.path.join(path, "_delta_log")):
        return None
    return DeltaTable(path).to_pyarrow_table()


def lease_held(root: str) -> bool:
    rows = delta_rows(root, "lease")
    return rows is not None and rows.num_rows > 0


def stage_runs(root: str, stage: str) -> int:
    """How many times the manifest says `stage` succeeded on the lake."""
    rows = delta_rows(root, "runs")
    if rows is None:
        return 0
    done = rows.filter(pa.compute.equal(rows["stage"], stage)).column("status").to_pylist()
    return done.count("succeeded")


@pytest.fixture
def lake_copy(daily_run, tmp_path):
    """A copy of the shared tiny lake (its last date already scored), that date, its scores and
    the shared lake's root."""
    config, lake, last = daily_run
    root = str(tmp_path / "lake")
    shutil.copytree(config.lake.root, root)
    return root, last, scores_of(lake, last), config.lake.root


def scores_of(lake: Lake, day: dt.date) -> list[tuple]:
    rows = lake.read("scores").where(F.col("score_date") == F.lit(day))
    return sorted((r.person_id, r.score, r.percentile) for r in rows.collect())


def assert_no_duplicates(spark, root: str, original: str) -> None:
    """Every table holds as many rows as the undisturbed lake: a rerun of its date replaces that
    date's rows, so any row a second run added shows (the sample's raw tables hold duplicate
    deliveries on purpose, so duplicates are counted against the original, not forbidden)."""
    lake, before = Lake(spark, root), Lake(spark, original)
    for name in WITHOUT_DUPLICATES:
        if before.exists(name):
            assert lake.read(name).count() == before.read(name).count(), name
    scores = lake.read("scores")
    assert scores.count() == scores.select("person_id", "score_date").distinct().count()


def test_two_daily_runs_of_a_date_one_succeeds_the_other_fails_clearly(spark, lake_copy):
    root, last, before, original = lake_copy
    runs = [start(["daily", "--date", str(last)], root) for _ in range(2)]
    results = sorted((finish(p) for p in runs), key=lambda r: r[0])
    (ok, _, ok_err), (busy, busy_out, _) = results
    assert ok == 0, ok_err[-3000:]
    assert busy == 75
    lines = busy_out.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: lake ") and "is busy" in lines[0]
    assert f"daily --date {last}" in lines[0]
    assert_no_duplicates(spark, root, original)
    assert scores_of(Lake(spark, root), last) == before
    assert delta_rows(root, "lease").num_rows == 0  # released


def files_naming(root: str, ids: set[int]) -> list[str]:
    """Every file under root that holds one of ids: Parquet columns of 64-bit integers (data
    files, Delta checkpoints) or strings with the id as a whole number (quarantined JSON
    records), and any other file's text (the Delta log's JSON)."""
    number = re.compile(r"(?<![0-9.])(" + "|".join(str(i) for i in ids) + r")(?![0-9])")
    found = []
    for folder, _, names in os.walk(root):
        for name in names:
            path = os.path.join(folder, name)
            if name.endswith(".parquet"):
                table = pq.read_table(path)
                for column in table.columns:
                    values = column.drop_null().to_pylist()
                    if pa.types.is_int64(column.type) and ids & set(values):
                        found.append(path)
                        break
                    if pa.types.is_string(column.type) and any(map(number.search, values)):
                        found.append(path)
                        break
            elif not name.endswith(".crc"):
                with open(path, "rb") as handle:
                    if number.search(handle.read().decode("utf-8", "replace")):
                        found.append(path)
    return found


def ids_of(spark, root: str, person: int) -> set[int]:
    accounts = Lake(spark, root).read("accounts").where(F.col("person_id") == person)
    return {person, *(r.account_id for r in accounts.select("account_id").collect())}


def test_erase_during_a_daily_run_waits_and_leaves_no_trace(spark, lake_copy):
    root, last, before, original = lake_copy
    person = max(before, key=lambda r: r[1])[0]
    ids = ids_of(spark, root, person)
    daily = start(["daily", "--date", str(last)], root)
    wait_for(lambda: lease_held(root), "the daily run's lease")
    erase = start(["erase", "--person", str(person)], root)
    code, _, daily_err = finish(daily)
    assert code == 0, daily_err[-3000:]
    code, out, erase_err = finish(erase)
    assert code == 0, erase_err[-3000:]
    assert "lease: waiting for `daily" in erase_err  # it did start while the daily ran
    assert "Erased 1 people" in out
    leftover = files_naming(root, ids)
    assert not [f for f in leftover if "/_sample/" not in f], leftover
    scores = Lake(spark, root).read("scores")  # the erasure removed rows: no count to compare
    assert scores.count() == scores.select("person_id", "score_date").distinct().count() > 0


def test_a_run_killed_during_publish_leaves_consistent_tables_and_reruns(spark, lake_copy):
    root, last, before, original = lake_copy
    scored = stage_runs(root, "score")
    daily = start(["daily", "--date", str(last)], root)
    wait_for(lambda: stage_runs(root, "score") > scored, "the score stage to finish")
    time.sleep(1.0)  # into publish: the audit, then the two replaceWhere commits
    os.killpg(daily.pid, signal.SIGKILL)
    daily.wait()
    lake = Lake(spark, root)
    for name in TABLES:  # every table readable at its latest version, by Spark and delta-rs
        if lake.exists(name):
            lake.read(name).count()
            DeltaTable(lake.path(name)).to_pyarrow_table()
    assert scores_of(lake, last) == before  # the date's scores: the last complete publish

    code, _, err = finish(start(["daily", "--date", str(last)], root))
    assert code == 0, err[-3000:]
    assert "took the lake over" in err
    assert scores_of(Lake(spark, root), last) == before
    assert_no_duplicates(spark, root, original)

    person = max(before, key=lambda r: r[1])[0]
    ids = ids_of(spark, root, person)
    code, _, err = finish(start(["erase", "--person", str(person)], root))
    assert code == 0, err[-3000:]
    leftover = files_naming(root, ids)
    assert not [f for f in leftover if "/_sample/" not in f], leftover
