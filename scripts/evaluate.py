"""Evaluate the score on generated data with planted influence and planted gamers.

    python scripts/evaluate.py --size {tiny,small,medium} [--seed 7] [--lake DIR]
        [--conf conf/local.yaml] [--set key=value ...] [--json PATH] [--reuse] [--resume]
        [--no-gaming]

Generates the sample so that the score date D (the sample's usual last day) has three more days
D+1..D+3 of interactions, runs the daily job for D - 1 (backfilling every earlier day) and for D,
ingests D+1..D+3 (the future the score should predict), then compares the score with the planted
influence and with baselines computed in the same run. docs/EVALUATION.md defines every figure.
`--resume` keeps the sample and skips the job's stages the lake's `runs` table shows this run
(same settings and code) already completed: the medium run takes hours and can go on after a stop.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repo root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pyspark.sql import functions as F  # noqa: E402

from jobs.backtest.fit import gather_rows  # noqa: E402
from jobs.backtest.run import backtest  # noqa: E402
from jobs.config import load_config  # noqa: E402
from jobs.context import RunContext  # noqa: E402
from jobs.lake import Lake  # noqa: E402
from jobs.runner import run_daily, run_stage  # noqa: E402
from jobs.session import build_session  # noqa: E402
from scripts.eval_data import person_frame  # noqa: E402
from scripts.eval_report import render, rounded, summarize, targets  # noqa: E402
from scripts.generate import DEFAULT_END_DATE, generate  # noqa: E402
from scripts.sample_world import SIZES  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
LOCAL_CONF = str(REPO / "conf" / "local.yaml")
FUTURE_DAYS = 3  # the predictive target: unique reactors drawn in D+1..D+3
SCORE_DATE = DEFAULT_END_DATE  # D; the sample then runs to D + FUTURE_DAYS

log = logging.getLogger("sway.evaluate")


def sample_plan(size: str, seed: int, gaming: bool) -> dict:
    """What generate() is asked for; a lake whose summary matches it can be reused."""
    return {
        "size": size,
        "seed": seed,
        "end_date": (SCORE_DATE + dt.timedelta(days=FUTURE_DAYS)).isoformat(),
        "days": SIZES[size].days + FUTURE_DAYS,
        "gaming": gaming,
    }


def reusable(lake: Path, plan: dict) -> bool:
    summary = lake / "_sample" / "summary.json"
    if not summary.exists():
        return False
    written = json.loads(summary.read_text())
    return all(written.get(key) == value for key, value in plan.items())


def run_job(spark, config, lake: Path, history_days: int, resume: bool = False) -> None:
    """Daily job for D - 1 (backfill of every earlier day), then D; then ingest the future."""
    tables = Lake(spark, str(lake))
    day = SCORE_DATE - dt.timedelta(days=1)
    run_daily(RunContext(spark, config, tables, day, history_days - 1, resume=resume))
    run_daily(RunContext(spark, config, tables, SCORE_DATE, 1, resume=resume))
    future = SCORE_DATE + dt.timedelta(days=FUTURE_DAYS)
    run_stage(RunContext(spark, config, tables, future, FUTURE_DAYS, resume=resume), "ingest")


def normal_people(spark, lake: Path):
    """person_id of the planted kind `normal`: whose reactions are driven action."""
    planted = spark.read.parquet(str(lake / "_sample" / "planted.parquet"))
    return planted.where(F.col("kind") == F.lit("normal")).select(F.col("person_id"))


def save_fit_rows(spark, config, lake: Path) -> Path:
    """The fit's rows of D - 1 (terms and the normal reactors of D..D+2), for a pooled
    `python -m jobs fit --rows` (docs/EVALUATION.md §1): <lake>/_sample/fit_rows.parquet."""
    ctx = RunContext(spark, config, Lake(spark, str(lake)), SCORE_DATE, 1)
    day = SCORE_DATE - dt.timedelta(days=1)
    rows = gather_rows(ctx, [day], FUTURE_DAYS, normal_people(spark, lake))
    path = lake / "_sample" / "fit_rows.parquet"
    rows.to_parquet(path, index=False)
    return path


def judge_future(spark, config, lake: Path) -> dict:
    """The backtest of the score date (`python -m jobs backtest`'s code): the people who drew
    reactions in the window, ranked against the unique *normal* reactors they draw in the future
    days (planted gamers reacting do not count as drawing influence)."""
    tables = Lake(spark, str(lake))
    ctx = RunContext(spark, config, tables, SCORE_DATE, 1)
    return backtest(ctx, [SCORE_DATE], FUTURE_DAYS, counted_actors=normal_people(spark, lake))


def evaluate(
    size: str,
    lake: Path,
    seed: int = 7,
    conf: str = LOCAL_CONF,
    sets: list[str] | None = None,
    reuse: bool = False,
    gaming: bool = True,
    spark=None,
    resume: bool = False,
) -> dict:
    """Generate (unless reusable), run the job, measure; returns the figures (JSON-ready).

    spark: an existing session to use (tests); by default one is built from the config."""
    clock = time.perf_counter()
    lake = lake.resolve()
    plan = sample_plan(size, seed, gaming)
    seconds = {}
    if not ((reuse or resume) and reusable(lake, plan)):
        end = dt.date.fromisoformat(plan["end_date"])
        generate(size, str(lake), seed, end, plan["days"], gaming=gaming)
    seconds["generate"] = time.perf_counter() - clock
    # The lake root comes last: the figures are read from `lake`, so the job must write there.
    config = load_config([conf], [*(sets or []), f"lake.root={lake}"])
    own_session = spark is None
    spark = spark or build_session(config)
    run_job(spark, config, lake, SIZES[size].days, resume)
    judged = judge_future(spark, config, lake)
    save_fit_rows(spark, config, lake)
    if own_session:
        # The figures are computed with polars: the JVM's memory goes back first (on medium the
        # metrics were killed for memory with the session still holding its heap).
        spark.stop()
    seconds["job"] = time.perf_counter() - clock - seconds["generate"]
    figures = summarize(person_frame(lake, SCORE_DATE, FUTURE_DAYS))
    figures["backtest"] = judged
    figures["targets"] = targets(figures)
    seconds["metrics"] = time.perf_counter() - clock - seconds["generate"] - seconds["job"]
    seconds["total"] = time.perf_counter() - clock
    head = {"size": size, "seed": seed, "score_date": SCORE_DATE.isoformat(), "lake": str(lake)}
    return rounded({**head, **figures, "seconds": seconds, "config_sets": sets or []})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", choices=sorted(SIZES), default="small")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--lake", default=None, help="default: /tmp/sway-eval/<size>-seed<seed>")
    parser.add_argument("--conf", default=LOCAL_CONF)
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--json", default=None, help="write the figures to this file")
    parser.add_argument(
        "--reuse", action="store_true", help="keep the generated sample if it matches (the job "
        "always reruns: it is what is evaluated)",
    )  # fmt: skip
    parser.add_argument(
        "--resume", action="store_true", help="--reuse, and skip the stages this run already "
        "completed in the lake (same settings and code): go on after a stop",
    )  # fmt: skip
    parser.add_argument("--no-gaming", action="store_true", help="sample without the gamers")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("sway").setLevel(logging.INFO)  # stage progress: the medium job takes hours
    lake = Path(args.lake or f"/tmp/sway-eval/{args.size}-seed{args.seed}")
    figures = evaluate(
        args.size,
        lake,
        args.seed,
        args.conf,
        args.set,
        args.reuse,
        not args.no_gaming,
        resume=args.resume,
    )
    took = figures["seconds"]
    print(
        f"Sway evaluation: {args.size} (seed {args.seed}), score date {figures['score_date']}, "
        f"{figures['people_scored']} people scored; generate {took['generate']:.0f}s, job "
        f"{took['job']:.0f}s, metrics {took['metrics']:.0f}s\n"
    )
    print(render(figures))
    # Beside the sample: `python -m jobs report` shows these figures for the score date.
    beside = lake / "_sample" / "evaluation.json"
    beside.write_text(json.dumps(figures, indent=2) + "\n")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2) + "\n")
        print(f"\nfigures written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
