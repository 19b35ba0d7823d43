"""What sliding the window saves the edges stage: a recomputed window against a slid one.

    python scripts/bench_window.py --lake DIR --date YYYY-MM-DD [--scratch DIR]
        [--conf conf/local.yaml] [--set key=value ...] [--json PATH]

Works on a lake whose daily pairs are aggregated up to DATE (an evaluation's lake, e.g.
/tmp/sway-eval/small-seed7 with 2026-11-20) without touching it: a scratch lake (on the same file
system) hard-links its `daily_pairs`, `accounts`, `people` and `daily_targets` tables (read only;
a lake aggregated before `daily_targets` existed gets it built from its daily pairs, timed) and
computes its own prior for DATE - 1 and DATE; then, in one process and one after the other, the
edges stage runs for DATE - 1 recomputing the window (which keeps its sums), for DATE recomputing
it (`window.slide_max_days=0`), and for DATE again sliding DATE - 1's sums. The two DATE outputs
are compared (edges and signals: max relative difference). README "Scale" has the figures
measured.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import shutil
import tempfile
import time
from pathlib import Path

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from jobs.config import load_config
from jobs.context import RunContext
from jobs.lake import Lake
from jobs.runner import run_stage
from jobs.session import build_session
from transforms.bursts import target_day_stats

log = logging.getLogger("sway.bench_window")
LOCAL_CONF = Path(__file__).resolve().parents[1] / "conf" / "local.yaml"
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
LINKED = ("daily_pairs", "accounts", "people")
COMPARED = {"edges": ["src", "dst"], "signals": ["person_id", "network"]}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lake", required=True)
    parser.add_argument("--date", required=True, type=dt.date.fromisoformat)
    parser.add_argument("--scratch", help="scratch lake folder (default: a temporary one)")
    parser.add_argument("--conf", default=str(LOCAL_CONF), help="config overlay")
    parser.add_argument("--set", dest="overrides", action="append", default=[])
    parser.add_argument("--json", type=Path)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None, spark: SparkSession | None = None) -> dict:
    """Runs the benchmark; with `spark` (tests), in that session, left running."""
    args = parse_args(argv)
    own_session = spark is None
    with tempfile.TemporaryDirectory(prefix="sway-bench-window-") as temporary:
        scratch = Path(args.scratch or temporary)
        scratch.mkdir(parents=True, exist_ok=True)
        sets = [*args.overrides, f"lake.root={scratch}"]
        config = load_config([args.conf], sets)
        # The same settings but one: recompute the window every day.
        recompute = load_config([args.conf], [*sets, "window.slide_max_days=0"])
        spark = spark or build_session(config)
        try:
            source = Path(args.lake).resolve()
            result = timed_runs(spark, (config, recompute), source, scratch, args.date)
        finally:
            if own_session:
                spark.stop()
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return result


def timed_runs(
    spark: SparkSession, configs: tuple, source: Path, scratch: Path, date: dt.date
) -> dict:
    config, recompute = configs
    # Hard links, not symbolic ones: the bridge locates files relative to the table's folder.
    linked = [*LINKED, "daily_targets"] if (source / "daily_targets").exists() else LINKED
    for name in linked:
        if not (scratch / name).exists():
            shutil.copytree(source / name, scratch / name, copy_function=os.link)
    lake = Lake(spark, str(scratch))
    result: dict = {"lake": str(source), "date": date.isoformat(), "seconds": {}}
    seconds = result["seconds"]
    if not lake.exists("daily_targets"):
        started = time.perf_counter()
        lake.overwrite("daily_targets", target_day_stats(lake.read("daily_pairs")))
        seconds["daily_targets_built"] = round(time.perf_counter() - started, 1)
    yesterday = date - dt.timedelta(days=1)
    for day in (yesterday, date):  # the reactors' trust, for the dates benchmarked
        run_stage(RunContext(spark, config, lake, day, 1), "prior")
    runs = [
        ("recomputed_yesterday", recompute, yesterday),
        ("recomputed", recompute, date),
        ("slid", config, date),
    ]
    versions = {}
    for label, cfg, day in runs:
        started = time.perf_counter()
        report = run_stage(RunContext(spark, cfg, lake, day, 1), "edges")
        seconds[label] = round(time.perf_counter() - started, 1)
        result[f"{label}_counts"] = report.counts
        versions[label] = report.outputs
        log.info("%s (%s): %.1f s %s", label, day, seconds[label], report.counts)
    result["max_relative_difference"] = {
        name: _max_difference(
            lake.read_day(name, date, versions["recomputed"][name]),
            lake.read_day(name, date, versions["slid"][name]),
            keys,
        )
        for name, keys in COMPARED.items()
    }
    result["slid_over_recomputed"] = round(seconds["slid"] / seconds["recomputed"], 3)
    log.info("result: %s", json.dumps(result))
    return result


def _max_difference(a: DataFrame, b: DataFrame, keys: list[str]) -> float:
    """Largest relative difference of the double columns of rows matched on keys (a row on one
    side only counts as 1)."""
    doubles = [c for c, kind in a.dtypes if kind == "double"]
    left = a.select(*keys, *[F.col(c).alias(f"a_{c}") for c in doubles])
    right = b.select(*keys, *[F.col(c).alias(f"b_{c}") for c in doubles])
    joined = left.join(right, on=keys, how="full_outer")
    gaps = [
        F.coalesce(
            F.abs(F.col(f"a_{c}") - F.col(f"b_{c}"))
            / F.greatest(F.abs(F.col(f"a_{c}")), F.lit(1e-12)),
            F.lit(1.0),
        )
        for c in doubles
    ]
    worst = joined.select(F.greatest(*gaps, F.lit(0.0)).alias("gap")).agg(F.max("gap")).first()[0]
    return float(worst or 0.0)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    main()
