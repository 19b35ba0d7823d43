"""One SparkSession for the whole suite (starting one costs seconds), and one `tiny` lake that
the daily job ran on, shared by the modules that only read it."""

from __future__ import annotations

import datetime as dt
import os
import socket
import sys

import pytest
from pyspark.sql import SparkSession


@pytest.fixture(scope="session")
def spark(tmp_path_factory: pytest.TempPathFactory) -> SparkSession:
    """The suite's session: the production settings (Delta, its JARs from the config) on
    local[2] with few partitions."""
    from jobs.config import load_config
    from jobs.session import build_session

    checkpoints = tmp_path_factory.mktemp("checkpoints")
    config = load_config(
        ["conf/local.yaml"],
        [
            "spark.app_name=sway-tests",
            "spark.shuffle_partitions=2",
            "spark.log_level=ERROR",
            f"spark.checkpoint_dir={checkpoints}",
            'spark.conf={"spark.default.parallelism": "2", "spark.driver.memory": "3g"}',
        ],
    )
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    session = build_session(config)
    yield session
    session.stop()


@pytest.fixture(autouse=True, scope="module")
def _uncached():
    """Each module starts with nothing cached: a whole suite in one driver otherwise piles up
    cached frames until a broadcast no longer fits. (Modules without Spark start none.)"""
    active = SparkSession.getActiveSession()
    if active is not None:
        active.catalog.clearCache()
    yield


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
    from jobs.lake import Lake
    from jobs.runner import run_daily
    from scripts.generate import generate

    root = str(tmp_path_factory.mktemp("lake"))
    summary = generate("tiny", root, seed=SEED)
    last = dt.date.fromisoformat(str(summary["end_date"]))
    config = load_config(["conf/local.yaml"], [f"lake.root={root}", "spark.shuffle_partitions=2"])
    lake = Lake(spark, root)
    run_daily(
        RunContext(spark, config, lake, last - dt.timedelta(days=1), int(summary["days"]) - 1)
    )
    run_daily(RunContext(spark, config, lake, last, 1))
    return config, lake, last


@pytest.fixture(scope="session")
def evaluated(spark, tmp_path_factory):
    """scripts/evaluate.py on a generated `tiny` sample (seed 7), in the suite's session:
    returns (lake folder, figures). The tune_model notebook reuses it as its baseline."""
    from scripts.evaluate import evaluate

    lake = tmp_path_factory.mktemp("eval") / "tiny"
    figures = evaluate("tiny", lake, seed=7, sets=["spark.shuffle_partitions=2"], spark=spark)
    return lake, figures


@pytest.fixture(scope="session")
def connect_server(tmp_path_factory):
    """A local Spark Connect server with Delta (scripts/connect_server.py); its sc:// address."""
    from jobs.config import load_config
    from scripts.connect_server import start

    folder = tmp_path_factory.mktemp("connect")
    config = load_config(
        ["conf/local.yaml"],
        [
            f"lake.root={folder}",
            "spark.shuffle_partitions=2",
            'spark.conf={"spark.driver.memory": "1g"}',
        ],
    )
    with socket.socket() as probe:  # a port no other server listens on
        probe.bind(("localhost", 0))
        port = int(probe.getsockname()[1])
    server = start(config, port, folder / "server.log")
    yield f"sc://localhost:{port}"
    server.terminate()
    try:
        server.wait(timeout=30)
    except Exception:  # noqa: BLE001 - it must not outlive the suite
        server.kill()
