"""What each command does once the config is loaded (kept apart from argument parsing)."""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
from pathlib import Path

import yaml
from pyspark.sql import functions as F

from jobs.config import CONF_DIR, SwayConfig
from jobs.context import RunContext
from jobs.lake import Lake, LakeBusyError
from jobs.logs import driver_output_to, one_line
from jobs.runner import StageFailedError, run_daily, run_stages
from jobs.session import JavaMissingError, SparkStartError, build_session
from transforms.calibration import target_mean, target_score

log = logging.getLogger("sway")

BUSY = 75  # exit code: another run is writing the lake; try again later (EX_TEMPFAIL)


# Commands that only read the lake: they never create it (nor any table in it).
READ_COMMANDS = ("status", "top", "influencers", "explain", "report", "calibrate")


class NoLakeError(RuntimeError):
    """A read command pointed at a lake folder that does not exist."""


def open_context(config: SwayConfig, date, days: int = 1, log_path=None, verbose=False):
    # A local driver started here writes its output (Ivy, Spark) to the log file.
    with driver_output_to(None if verbose else log_path):
        spark = build_session(config)
    return RunContext(spark, config, Lake(spark, config.lake.root), date, days)


def reads_only(args: argparse.Namespace) -> bool:
    return args.command in READ_COMMANDS or (
        args.command in ("backtest", "fit") and not args.run and not getattr(args, "rescore", False)
    )


def require_lake(root: str) -> None:
    """A read command on a local lake folder that does not exist: say so, create nothing."""
    local = "://" not in root or root.startswith("file:")
    path = root.removeprefix("file://").removeprefix("file:")
    if local and not os.path.isdir(path):
        raise NoLakeError(f"no lake at {root} (lake.root): nothing to read")


def dispatch(
    args: argparse.Namespace, config: SwayConfig, log_path=None, verbose: bool = False
) -> int:
    """Run the command; every failure is one line on the console (the traceback goes to the
    log file, and to the console too with --verbose) and an exit code (docs/OPERATIONS.md)."""
    see = f" (log: {log_path})" if log_path else ""
    try:
        return _dispatch(args, config, log_path, verbose)
    except (JavaMissingError, SparkStartError) as error:
        log.debug("Spark did not start", exc_info=True)
        print(f"error: {error}{see}")
        return 3
    except LakeBusyError as error:
        print(f"error: {error}")
        return BUSY
    except Exception as error:  # noqa: BLE001 - one line for the operator, the rest in the log
        log.debug("%s failed", args.command, exc_info=True)
        print(f"error: {one_line(error)}{see}")
        return 1


def _dispatch(args: argparse.Namespace, config: SwayConfig, log_path, verbose: bool) -> int:
    if reads_only(args):
        require_lake(config.lake.root)
    # import and erase take no --date: their runs rows are dated the day they run (UTC).
    undated = args.command in ("import", "erase")
    date = dt.datetime.now(dt.UTC).date() if undated else getattr(args, "last", None) or args.date
    ctx = open_context(config, date, getattr(args, "days", 1), log_path, verbose)
    return run_command(ctx, args)


def run_command(ctx: RunContext, args: argparse.Namespace) -> int:
    if args.command == "import":
        return import_file(ctx, args)
    if args.command == "erase":
        return erase(ctx, args)
    try:
        if args.command == "daily":
            run_daily(ctx)
        elif args.command == "calibrate":
            calibrate(ctx)
        elif args.command == "status":
            from jobs.status import print_status

            print_status(ctx)
        elif args.command == "top":
            print_top(ctx, args.limit)
        elif args.command == "influencers":
            print_influencers(ctx, args.topic, args.min_score, args.limit)
        elif args.command == "explain":
            print_explanation(ctx, args.person)
        elif args.command == "backtest":
            from jobs.backtest import command as backtest

            return backtest(ctx, args)
        elif args.command == "fit":
            from jobs.backtest import fit_command

            return fit_command(ctx, args)
        elif args.command == "report":
            from jobs.report.command import run as write_report

            return write_report(ctx, args)
        else:
            # ingest/aggregate with --days N go window by window, as in `daily` (jobs/runner.py).
            run_stages(ctx, [args.command])
    except StageFailedError as error:
        print(f"error: {error}")
        return 1
    return 0


def import_file(ctx: RunContext, args: argparse.Namespace) -> int:
    """`import`: its runs row is dated the day of the import (UTC)."""
    from jobs.importer import ImportRequest, run_import
    from transforms.import_edgelist import EdgeListLayoutError, parse_columns, parse_types
    from transforms.import_formats import ImportFormatError

    try:
        request = ImportRequest(
            args.fmt, args.path, args.network, args.source, args.consent, args.accounts_created,
            parse_columns(args.columns), args.action, parse_types(args.types),
        )  # fmt: skip
    except EdgeListLayoutError as error:
        print(f"error: {error}")
        return 2
    try:
        run_import(ctx, request)
    except StageFailedError as error:
        print(f"error: {error}")
        return 2 if isinstance(error.__cause__, ImportFormatError) else 1
    return 0


def erase(ctx: RunContext, args: argparse.Namespace) -> int:
    """`erase`: its runs row is dated the day of the erasure (UTC)."""
    from jobs.erase import ErasureError, erase_people

    try:
        report = erase_people(ctx, args.people)
    except ErasureError as error:
        print(f"error: {error}")
        return 1
    print(f"\nErased {report.people} people ({report.accounts} accounts): "
          f"{report.total_rows} rows removed.")  # fmt: skip
    for name, rows in report.rows.items():
        if rows or report.files_deleted.get(name):
            print(f"  {name:20s} {rows:8d} rows  {report.files_deleted.get(name, 0):5d} old files")
    if report.other_files:
        print(f"Not changed (files outside the tables): {', '.join(report.other_files)}")
    return 0


def calibrate(ctx: RunContext) -> Path:
    """Fit the knots on the date's active population and freeze them for the algorithm version."""
    from jobs.stages.score import RAW_INPUTS, raw_for_date
    from transforms.calibration import fit_knots

    inputs = ctx.versions(*RAW_INPUTS)
    raw = raw_for_date(ctx, inputs).where(F.col("active"))
    raw_knots, score_knots = fit_knots(raw, ctx.config.calibration.target_quantiles)
    path = CONF_DIR / "calibration" / f"{ctx.config.algorithm_version}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    header = (
        f"# Frozen calibration of algorithm {ctx.config.algorithm_version}, fitted by "
        f"`python -m jobs calibrate --date {ctx.score_date}` on {raw.count()} active people.\n"
        "# Loaded automatically after base.yaml; refit only when the algorithm version changes.\n"
    )
    body = {
        "calibration": {
            "raw_knots": [round(v, 6) for v in raw_knots],
            "score_knots": [round(v, 4) for v in score_knots],
        }
    }
    path.write_text(header + yaml.safe_dump(body, default_flow_style=None, width=100))
    log.info("calibration: %d knots written to %s", len(raw_knots), path)
    return path


def print_top(ctx: RunContext, limit: int) -> None:
    scores = ctx.lake.read_day("scores", ctx.score_date)
    rows = scores.orderBy(F.col("score").desc(), F.col("person_id")).limit(limit).collect()
    active = scores.where(F.col("score") > 0).count()
    print(f"\nTop {len(rows)} of {active} active people on {ctx.score_date}:")
    print(f"{'person_id':>20} {'score':>6} {'pct':>6} {'d1':>6}  networks / topics")
    for row in rows:
        parts = ", ".join(
            f"{k} {v:.2f}" for k, v in sorted(row["networks"].items(), key=lambda kv: -kv[1])
        )
        delta = "" if row["delta_1d"] is None else f"{row['delta_1d']:+.2f}"
        print(
            f"{row['person_id']:>20} {row['score']:6.2f} {row['percentile']:6.2f} {delta:>6}  "
            f"{parts} | {', '.join(row['top_topics'])}"
        )
    stats = (
        scores.where(F.col("score") > 0)
        .agg(
            F.mean("score").alias("mean"),
            F.percentile(F.col("score"), 0.95).alias("p95"),
            F.percentile(F.col("score"), 0.99).alias("p99"),
            F.max("score").alias("max"),
        )
        .collect()[0]
    )
    if stats["mean"] is not None:
        quantiles = ctx.config.calibration.target_quantiles
        p95, p99 = target_score([0.95, 0.99], quantiles)
        print(
            f"\nActive population: mean {stats['mean']:.2f}, p95 {stats['p95']:.2f}, "
            f"p99 {stats['p99']:.2f}, max {stats['max']:.2f} "
            f"(targets: mean {target_mean(quantiles):.0f}, p95 {p95:.0f}, p99 {p99:.0f}, max < 100)"
        )
    print("\nTables:")
    for name in ("scores", "topic_scores", "runs", "quarantine"):
        print(f"  {name:13s} {ctx.lake.path(name)}")


def print_influencers(ctx: RunContext, topic: str, min_score: float, limit: int) -> None:
    from jobs.queries import influencers

    rows = influencers(ctx.lake, topic, ctx.score_date, min_score, limit).collect()
    print(f"\nTop {len(rows)} on {topic!r} on {ctx.score_date} (topic score >= {min_score}):")
    print(f"{'person_id':>20} {'topic':>6} {'score':>6} {'pct':>6}  top topics")
    for row in rows:
        print(
            f"{row['person_id']:>20} {row['topic_score']:6.2f} {row['score']:6.2f} "
            f"{row['percentile']:6.2f}  {', '.join(row['top_topics'])}"
        )


def print_explanation(ctx: RunContext, person_id: int) -> None:
    from jobs.queries import explain_person

    found = explain_person(ctx.lake, person_id, ctx.score_date)
    if not found:
        print(f"person {person_id} has no score on {ctx.score_date}")
        return
    row = found["score"]
    print(f"\nperson {person_id} on {ctx.score_date}: score {row['score']:.2f}, "
          f"percentile {row['percentile']:.2f}")  # fmt: skip
    if row["delta_1d"] is not None:
        print(f"  change since yesterday {row['delta_1d']:+.2f}: mainly {row['change_network']} "
              f"/ {row['change_signal']}")  # fmt: skip
    print("  networks: " + ", ".join(f"{k} {v:.2f}" for k, v in sorted(row["networks"].items())))
    print("  raw-score components: "
          + ", ".join(f"{k} {'absent' if v is None else f'{v:+.3f}'}"
                      for k, v in found["components"].items()))  # fmt: skip
    if found["audience"]:
        a = found["audience"]
        print(f"  audience: {a['followers']} followers, {a['real_followers']} look real; "
              f"{a['reactors']} reactors, {a['reach']} of them not followers "
              f"({100 * a['reach_share']:.0f}%)")  # fmt: skip
    print("  top engagers (share of propagated influence received):")
    for e in found["engagers"]:
        score = "-" if e["score"] is None else f"{e['score']:.2f}"
        print(f"    {e['engager_id']:>20}  {100 * e['share']:5.1f}%  score {score}")
    print("  topics: " + ", ".join(f"{k} {v:.2f}" for k, v in found["topics"].items()))
