"""What the crowd costs the aggregate stage: daily_pairs against the plain pair counts.

    python scripts/bench_aggregate.py --lake DIR --first YYYY-MM-DD [--days 4] [--rounds 2]
        [--conf conf/local.yaml] [--set key=value ...] [--json PATH]

Reads `days` days of a lake's `engagements` (an evaluation's lake, e.g. /tmp/sway-eval/small-seed7),
caches them, then times, `rounds` times each and interleaved (so both see the same load), the
aggregation the stage cannot do without (`pair_counts`: reactions, contents, first time per pair)
and the whole of `daily_pairs` (the same plus the crowd), each written to a scratch Parquet
folder. The difference is the crowd's cost (slightly understated: the baseline already keeps each
pair's first time, which only the crowd needs). README "Scale" has the figures measured.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import tempfile
import time
from pathlib import Path

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from jobs.config import load_config
from jobs.lake import Lake
from jobs.session import build_session
from transforms.aggregates import daily_pairs, pair_counts

log = logging.getLogger("sway.bench_aggregate")
VARIANTS = {"pair_counts": pair_counts, "daily_pairs": daily_pairs}
LOCAL_CONF = Path(__file__).resolve().parents[1] / "conf" / "local.yaml"
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lake", required=True)
    parser.add_argument("--first", required=True, type=dt.date.fromisoformat)
    parser.add_argument("--days", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--conf", default=str(LOCAL_CONF), help="config overlay")
    parser.add_argument("--set", dest="overrides", action="append", default=[])
    parser.add_argument("--json", type=Path)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None, spark: SparkSession | None = None) -> dict:
    """Runs the benchmark; with `spark` (tests), in that session, left running."""
    args = parse_args(argv)
    config = load_config([args.conf], args.overrides)
    own_session = spark is None
    spark = spark or build_session(config)
    try:
        result = timed_variants(spark, args)
    finally:
        if own_session:
            spark.stop()
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return result


def timed_variants(spark: SparkSession, args: argparse.Namespace) -> dict:
    dates = [args.first + dt.timedelta(days=k) for k in range(args.days)]
    lake = Lake(spark, args.lake)
    engagements = lake.read("engagements").where(F.col("event_date").isin(dates)).cache()
    seconds: dict[str, list[float]] = {name: [] for name in VARIANTS}
    try:
        rows = engagements.count()
        log.info("engagements of %s..%s cached: %d rows", dates[0], dates[-1], rows)
        with tempfile.TemporaryDirectory(prefix="sway-bench-aggregate-") as scratch:
            for round_no in range(args.rounds):
                for name, variant in VARIANTS.items():
                    started = time.perf_counter()
                    variant(engagements).write.mode("overwrite").parquet(f"{scratch}/{name}")
                    seconds[name].append(round(time.perf_counter() - started, 2))
                    log.info("round %d %s: %.1f s", round_no + 1, name, seconds[name][-1])
    finally:
        engagements.unpersist()
    best = {name: min(times) for name, times in seconds.items()}
    overhead = round(best["daily_pairs"] / best["pair_counts"] - 1, 3)
    log.info("best of %d: %s; the crowd adds %.0f%%", args.rounds, best, 100 * overhead)
    return {"engagements": rows, "days": args.days, "seconds": seconds, "crowd_overhead": overhead}


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    main()
