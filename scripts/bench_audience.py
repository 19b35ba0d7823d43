"""What the follower graph costs the daily job, and the plan of its join (docs/SCORING.md §10).

    python scripts/bench_audience.py --lake DIR --date YYYY-MM-DD [--conf conf/local.yaml]
        [--set key=value ...] [--json PATH]

Reads the lake's `runs` manifest for DATE: the latest succeeded attempt of every stage of the
daily job (`python -m jobs daily --date DATE`, one run), and prints each stage's time, the
audience stage's share of the whole, and whether that run rebuilt the follower-graph snapshot.
Then prints the physical plan of DATE's join of the window's reactors with the follower graph
and checks that no exchange (shuffle) sits between the graph's scan and the join. Read only.
README "Scale" has the figures measured.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from jobs.config import load_config
from jobs.lake import Lake
from jobs.session import build_session
from jobs.stages import STAGES
from transforms import audience

LOCAL_CONF = Path(__file__).resolve().parents[1] / "conf" / "local.yaml"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lake", required=True)
    parser.add_argument("--date", required=True, type=dt.date.fromisoformat)
    parser.add_argument("--conf", default=str(LOCAL_CONF), help="config overlay")
    parser.add_argument("--set", dest="overrides", action="append", default=[])
    parser.add_argument("--json", type=Path)
    return parser.parse_args(argv)


def stage_seconds(lake: Lake, date: dt.date) -> dict[str, dict]:
    """stage -> duration and counts of its latest succeeded attempt for the date."""
    runs = lake.read_day("runs", date).where(F.col("status") == F.lit("succeeded"))
    latest: dict[str, dict] = {}
    for row in runs.orderBy(F.col("finished_at")).collect():
        latest[row["stage"]] = {"seconds": row["duration_s"], "counts": dict(row["counts"] or {})}
    return latest


def scan_to_join(plan: str, needle: str) -> list[str]:
    """The plan lines from the first line naming `needle` up to the root, by indentation."""
    lines = plan.splitlines()
    at = next(i for i, line in enumerate(lines) if needle in line)
    depth = len(lines[at]) - len(lines[at].lstrip(" :+-"))
    chain = [lines[at]]
    for line in reversed(lines[:at]):
        indent = len(line) - len(line.lstrip(" :+-"))
        if indent < depth:
            chain.append(line)
            depth = indent
    return chain


def graph_is_shuffled(plan: str) -> bool:
    """Whether an exchange sits between the follower graph's scan and the join that reads it."""
    chain = scan_to_join(plan, "follower_graph")
    join = next(i for i, line in enumerate(chain) if "Join" in line)
    return any("Exchange" in line for line in chain[:join])


def join_plan(lake: Lake, date: dt.date, buckets: int) -> str:
    window = lake.read_day("pair_window", date)
    joined: DataFrame = audience.following_reactors(
        audience.reactor_pairs(window, buckets), lake.read("follower_graph")
    )
    return joined._jdf.queryExecution().executedPlan().toString()


def main(argv: list[str] | None = None, spark: SparkSession | None = None) -> dict:
    """Runs the benchmark; with `spark` (tests), in that session, left running."""
    args = parse_args(argv)
    config = load_config([args.conf], [*args.overrides, f"lake.root={args.lake}"])
    own_session = spark is None
    spark = spark or build_session(config)
    try:
        lake = Lake(spark, args.lake)
        stages = stage_seconds(lake, args.date)
        plan = join_plan(lake, args.date, config.audience.buckets)
    finally:
        if own_session:
            spark.stop()
    daily = [name for name in STAGES if name in stages]
    total = sum(stages[name]["seconds"] for name in daily)
    result = {
        "lake": args.lake,
        "date": args.date.isoformat(),
        "seconds": {name: round(stages[name]["seconds"], 1) for name in daily},
        "total_seconds": round(total, 1),
        "audience_share": round(stages["audience"]["seconds"] / total, 4),
        "snapshot_rebuilt": stages["audience"]["counts"].get("snapshot_rebuilt"),
        "graph_shuffled": graph_is_shuffled(plan),
        "plan": plan,
    }
    print(plan)
    print(json.dumps({k: v for k, v in result.items() if k != "plan"}, indent=2))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
