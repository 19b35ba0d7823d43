"""The daily job and the query commands over Spark Connect, against a local Connect server.

Spark Connect clients (Databricks serverless and shared clusters, every Spark 4 thin client)
have no SparkContext, RDDs or JVM handles: the same command must run there unchanged and
publish the scores a classic session publishes.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from pyspark.sql import functions as F

from jobs.lake import Lake

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent
REPLACED = ("scores", "topic_scores", "components", "engagers", "ranks", "prior", "edges")


def over_connect(address: str, root: str, *command: str) -> subprocess.CompletedProcess:
    argv = [sys.executable, "-m", "jobs", *command, "--conf", "conf/local.yaml"]
    argv += ["--set", f"lake.root={root}", "--set", f"spark.remote={address}"]
    argv += ["--set", "spark.shuffle_partitions=2"]
    return subprocess.run(argv, cwd=REPO, capture_output=True, text=True, timeout=1200)


def test_the_daily_job_over_spark_connect_publishes_the_classic_scores(
    spark, daily_run, connect_server, tmp_path
):
    config, classic, last = daily_run
    root = str(tmp_path / "lake")
    shutil.copytree(config.lake.root, root)
    copy = Lake(spark, root)
    for name in REPLACED:  # the date's outputs gone: the Connect run must write them all again
        copy.delete_rows(name, f"score_date = DATE'{last.isoformat()}'")
    assert copy.read("scores").where(F.col("score_date") == F.lit(last)).count() == 0

    done = over_connect(connect_server, root, "daily", "--date", str(last))
    assert done.returncode == 0, done.stderr[-3000:]
    assert "stage=publish date=" in done.stderr

    def published(lake: Lake) -> list[tuple]:
        rows = lake.read("scores").where(F.col("score_date") == F.lit(last)).collect()
        return sorted((r.person_id, round(r.score, 9), round(r.percentile, 9)) for r in rows)

    assert published(Lake(spark, root)) == published(classic)
    assert len(published(classic)) > 0

    top = over_connect(connect_server, root, "top", "--date", str(last), "--limit", "3")
    assert top.returncode == 0, top.stderr[-3000:]
    assert "Top 3 of" in top.stdout
    person = published(classic)[0][0]
    explain = over_connect(
        connect_server, root, "explain", "--person", str(person), "--date", str(last)
    )
    assert explain.returncode == 0 and f"person {person} on {last}" in explain.stdout
