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


def stage_runs(root: str, stage: str, status: str = "succeeded") -> int:
    """How many rows of the manifest say `stage` had `status` on the lake."""
    rows = delta_rows(root, "runs")
    if rows is None:
        return 0
    done = rows.filter(pa.compute.equal(rows["stage"], stage)).column("status").to_pylist()
    return done.count(status)


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


def naming(df, ids: set[int]):
    """The rows of df holding one of ids as a whole number anywhere (JSON of the whole row)."""
    number = r"(?<![0-9.])(" + "|".join(str(i) for i in ids) + r")(?![0-9])"
    return df.where(F.to_json(F.struct(*df.columns)).rlike(number))


def assert_no_duplicates(spark, root: str, original: str, erased: set[int] = frozenset()) -> None:
    """Every table holds the undisturbed lake's rows, less those naming the erased ids: a rerun
    of its date replaces that date's rows, so any row a second run added shows (the sample's raw
    tables hold duplicate deliveries on purpose, so rows are counted against the original)."""
    lake, before = Lake(spark, root), Lake(spark, original)
    for name in WITHOUT_DUPLICATES:
        if before.exists(name):
            rows = before.read(name)
            gone = naming(rows, erased).count() if erased else 0
            assert lake.read(name).count() == rows.count() - gone, name
    scores = lake.read("scores")
    assert scores.count() == scores.select("person_id", "score_date").distinct().count()


def test_a_killed_publish_then_two_dailies_and_an_erase(spark, lake_copy):
    """`publish` killed with SIGKILL once it started: every table reads at its last commit.
    Then two `daily` runs of the date and an `erase` start together: one daily takes the lake
    over from the dead publish (sweeping what it left) and reruns the date, the other stops at
    once with one line naming the run that writes; the erase waits for that run, then erases
    from what it wrote. The person is in no file, every table holds the undisturbed lake's rows
    less theirs (no row doubled by the second run or the killed one), the scores are the same."""
    root, last, before, original = lake_copy
    kill_publish(spark, root, last, before)

    person = max(before, key=lambda r: r[1])[0]
    ids = ids_of(spark, root, person)
    runs = [start(["daily", "--date", str(last)], root) for _ in range(2)]
    wait_for(lambda: "daily" in lease_commands(root), "a daily run's lease")
    erase = start(["erase", "--person", str(person)], root)
    results = sorted((finish(p) for p in runs), key=lambda r: r[0])
    (ok, _, ok_err), (busy, busy_out, _) = results
    assert ok == 0, ok_err[-3000:]
    assert "took the lake over" in ok_err  # from the killed publish
    assert busy == 75
    lines = busy_out.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: lake ") and "is busy" in lines[0]
    assert f"daily --date {last}" in lines[0]
    code, out, erase_err = finish(erase)
    assert code == 0, erase_err[-3000:]
    assert "lease: waiting for `daily" in erase_err  # it did start while the daily ran
    assert "Erased 1 people" in out
    leftover = files_naming(root, ids)
    assert not [f for f in leftover if "/_sample/" not in f], leftover
    assert_no_duplicates(spark, root, original, erased=ids)
    assert scores_of(Lake(spark, root), last) == [r for r in before if r[0] != person]
    assert delta_rows(root, "lease").num_rows == 0  # released


def kill_publish(spark, root: str, last: dt.date, before: list[tuple]) -> None:
    """Start `publish` of the date, SIGKILL it once it started (into the audit or its two
    replaceWhere commits); every table then reads at its latest version, by Spark and
    delta-rs, and the date's scores are the last complete publish's."""
    began = stage_runs(root, "publish", "started")
    publish = start(["publish", "--date", str(last)], root)
    wait_for(lambda: stage_runs(root, "publish", "started") > began, "publish to start")
    time.sleep(1.0)
    os.killpg(publish.pid, signal.SIGKILL)
    publish.wait()
    lake = Lake(spark, root)
    for name in TABLES:
        if lake.exists(name):
            lake.read(name).count()
            DeltaTable(lake.path(name)).to_pyarrow_table()
    assert scores_of(lake, last) == before


def lease_commands(root: str) -> set[str]:
    rows = delta_rows(root, "lease")
    return set() if rows is None else set(rows.column("command").to_pylist())


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
