"""One SparkSession for the whole suite (starting one costs seconds), and one `tiny` lake that
the daily job ran on, shared by the modules that only read it."""

from __future__ import annotations

import datetime as dt
import os
import sys

import pytest
from pyspark.sql import SparkSession


@pytest.fixture(scope="session")
def spark(tmp_path_factory: pytest.TempPathFactory) -> SparkSession:
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    session = (
        SparkSession.builder.master("local[2]")
        .appName("sway-tests")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.default.parallelism", "2")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.driver.memory", "2g")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    session.sparkContext.setCheckpointDir(str(tmp_path_factory.mktemp("checkpoints")))
    yield session
    session.stop()


SEED = 11


@pytest.fixture(scope="session")
def tiny_seed() -> int:
    """The seed of the shared `tiny` lake (daily_run): a test may generate the same world."""
    return SEED


@pytest.fixture(scope="session")
def daily_run(spark, tmp_path_factory):
    """Generate `tiny`, run the daily job for its last two dates; returns (config, lake, dates).

    The first date backfills every earlier day (7): with `window.backfill_chunk_days` 4, ingest
    and aggregate run in two windows (4 and 3 days)."""
    from jobs.config import load_config
    from jobs.context import RunContext
    from jobs.runner import run_daily
    from jobs.tables import Lake
    from scripts.generate import generate

    root = str(tmp_path_factory.mktemp("lake"))
    summary = generate("tiny", root, seed=SEED)
    last = dt.date.fromisoformat(str(summary["end_date"]))
    config = load_config(["conf/local.yaml"], [f"lake.root={root}", "spark.shuffle_partitions=2"])
    lake = Lake(spark, root, "auto")
    run_daily(
        RunContext(spark, config, lake, last - dt.timedelta(days=1), int(summary["days"]) - 1)
    )
    run_daily(RunContext(spark, config, lake, last, 1))
    return config, lake, last
