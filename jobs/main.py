"""Command line of Sway; also the entry point for spark-submit (`spark-submit jobs/main.py ...`).

python -m jobs <stage> --date YYYY-MM-DD [--conf conf/local.yaml] [--set key=value ...]
python -m jobs daily   --date YYYY-MM-DD [--days N] [--allow-empty] [--allow-thin]
python -m jobs status  --date YYYY-MM-DD
python -m jobs influencers --topic T --date YYYY-MM-DD [--min-score S] [--limit N]
python -m jobs explain --person ID --date YYYY-MM-DD
python -m jobs report  --date YYYY-MM-DD [--out PATH] [--quality JSON]
python -m jobs import  --format klout-tsv|snap-higgs|edgelist --path FILE [--network N]
                       [--consent C] [--columns COLS] [--action A | --types T=A,...]
python -m jobs erase   --person ID [--person ID ...]
python -m jobs backtest --from YYYY-MM-DD --to YYYY-MM-DD [--every N] [--horizon H] [--run]
python -m jobs fit     --from YYYY-MM-DD --to YYYY-MM-DD [--every N] [--horizon H] [--write]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import sys
import textwrap

if __package__ in (None, ""):
    # Run as a file (`spark-submit jobs/main.py`): make the `jobs` and `transforms` packages of this
    # checkout importable; with --py-files sway.zip they already are.
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from jobs.config import ConfigError, load_config  # noqa: E402

DESCRIPTION = """\
Sway computes a daily 1-100 influence score per person from the reactions their posts draw across
social networks, propagated through the engagement graph. Each stage reads and writes Delta tables
under lake.root and is idempotent for its date: a rerun replaces that date's output atomically.
"""


def _date(text: str) -> dt.date:
    """Strictly YYYY-MM-DD (Python alone would also take 20261120 or 2026-W47-5)."""
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            raise ValueError(text)
        return dt.date.fromisoformat(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"expected a date YYYY-MM-DD, got {text!r}") from error


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}")
    return value


def _timestamp(text: str) -> dt.datetime:
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"expected YYYY-MM-DD[THH:MM], got {text!r}") from error


def _common(parser: argparse.ArgumentParser, days: bool = False, date: bool = True) -> None:
    if date:
        parser.add_argument(
            "--date", type=_date, required=True, help="the score date (YYYY-MM-DD, UTC)"
        )
    parser.add_argument(
        "--conf",
        action="append",
        default=[],
        metavar="YAML",
        help="config overlay on top of conf/base.yaml (repeatable, applied in order)",
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        dest="overrides",
        help="override one setting, e.g. --set propagation.alpha=0.9 (repeatable)",
    )
    parser.add_argument(
        "--verbose",
        action="store_true",
        help="print Spark's output and full tracebacks on the console (else: the log file)",
    )
    if days:
        parser.add_argument(
            "--days",
            type=_positive,
            default=1,
            help="ingest/aggregate the N days ending at --date (first run or backfill; default 1)",
        )
        parser.add_argument(
            "--allow-empty",
            action="store_true",
            dest="allow_empty",
            help="go on when a day has no raw interactions (else the run fails before writing)",
        )
        parser.add_argument(
            "--allow-thin",
            action="store_true",
            dest="allow_thin",
            help="go on when a day has far fewer raw interactions than the days before it "
            "(health.min_share_of_median of their median)",
        )


def build_parser() -> argparse.ArgumentParser:
    from jobs.stages import STAGES

    parser = argparse.ArgumentParser(
        prog="python -m jobs",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    daily = commands.add_parser(
        "daily",
        help="run every stage in order for the date: " + " -> ".join(STAGES),
        description="Run every stage in order for the date:\n"
        + "\n".join(
            f"  {name:10s} " + textwrap.fill(text, 90, subsequent_indent=" " * 13)
            for name, (_, text) in STAGES.items()
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _common(daily, days=True)
    for name, (_, text) in STAGES.items():
        _common(
            commands.add_parser(name, help=text, description=text),
            days=name in ("ingest", "aggregate"),
        )
    calibrate = commands.add_parser(
        "calibrate",
        help="fit the frozen calibration of the algorithm version on the date's population and "
        "write conf/calibration/<version>.yaml (needs the date's ranks, signals and prior)",
    )
    _common(calibrate)
    status = commands.add_parser(
        "status",
        help="the date's stage attempts from the runs manifest: started, succeeded, failed, or "
        "started and never finished (killed, or still running)",
    )
    _common(status)
    top = commands.add_parser("top", help="print the date's top people with their network parts")
    _common(top)
    top.add_argument("--limit", type=int, default=10)
    influencers = commands.add_parser(
        "influencers", help="the date's most influential people on a topic (topic_scores)"
    )
    _common(influencers)
    influencers.add_argument("--topic", required=True)
    influencers.add_argument("--min-score", type=float, default=0.0, dest="min_score")
    influencers.add_argument("--limit", type=int, default=20)
    explain = commands.add_parser(
        "explain",
        help="why a person has their score: network parts, components, top engagers, topics, "
        "main cause of the daily change",
    )
    _common(explain)
    explain.add_argument("--person", type=int, required=True, help="person_id")
    report = commands.add_parser(
        "report",
        help="write one self-contained HTML report of the date's run: manifest, counts, score "
        "distribution against its targets, top people, movers, network mix, topic leaders, "
        "evaluation figures when present (docs/REPORT.md)",
    )
    _common(report)
    from jobs.report.command import add_arguments as report_arguments

    report_arguments(report)
    _import_parser(commands)
    _backtest_parser(commands)
    _fit_parser(commands)
    erase = commands.add_parser(
        "erase",
        help="remove people from every table, history included: rows naming them or their "
        "accounts, then the old files (vacuum, retention 0); idempotent (docs/ERASURE.md)",
        description="Remove the people and their accounts from every table of the lake (one "
        "commit per table), then delete the files only older versions reference, so time travel "
        "to before the erasure ends. The runs manifest gets an `erase` row with counts, never "
        "the ids. A rerun changes nothing. Do not run it while another job writes the lake.",
    )
    _common(erase, date=False)
    erase.add_argument(
        "--person",
        type=int,
        action="append",
        required=True,
        dest="people",
        metavar="ID",
        help="person_id to erase (repeatable)",
    )
    return parser


def _backtest_parser(commands) -> None:
    parser = commands.add_parser(
        "backtest",
        help="how well the published scores of a range of dates predict the unique reactors "
        "people draw next, against baselines (docs/EVALUATION.md)",
        description="For each score date D in --from..--to (every N days), compare the published "
        "score of the people who drew reactions in D's window with the unique reactors they draw "
        "in D+1..D+H: Spearman and NDCG@k of the score, of each of its components and of the "
        "baselines (unique reactors, reactions, follower count, unweighted reaction PageRank), "
        "printed as a table and written as JSON and a plot.",
    )
    _common(parser, date=False)
    parser.add_argument("--from", type=_date, required=True, dest="first", help="first date")
    parser.add_argument("--to", type=_date, required=True, dest="last", help="last date")
    parser.add_argument("--every", type=int, default=1, help="days between score dates")
    parser.add_argument(
        "--horizon", type=int, default=None,
        help="days after each date whose unique reactors are the label (default: "
        "backtest.horizon_days)",
    )  # fmt: skip
    parser.add_argument(
        "--run", action="store_true", help="first run the daily job for each date (the first "
        "backfills a whole window) and ingest its horizon",
    )  # fmt: skip
    parser.add_argument(
        "--rescore", action="store_true", help="first score and publish each date again (new "
        "weights or calibration; the window stages' outputs are kept)",
    )  # fmt: skip
    parser.add_argument(
        "--out", default=None, metavar="PREFIX",
        help="write PREFIX.json and PREFIX.png (default <lake.root>/_reports/backtest-<from>_<to>)",
    )  # fmt: skip


def _fit_parser(commands) -> None:
    parser = commands.add_parser(
        "fit",
        help="fit the score weights (fit.free) to predict the unique reactors people draw next, "
        "on a range of dates; --write freezes them in conf/model/<version>.yaml",
    )
    _common(parser, date=False)
    parser.add_argument("--from", type=_date, required=True, dest="first", help="first date")
    parser.add_argument("--to", type=_date, required=True, dest="last", help="last date")
    parser.add_argument("--every", type=int, default=1, help="days between score dates")
    parser.add_argument("--horizon", type=int, default=None, help="label days after each date")
    parser.add_argument("--run", action="store_true", help="run the daily job for each date first")
    parser.add_argument(
        "--rows", action="append", default=[], metavar="PARQUET",
        help="also fit on rows an earlier fit saved (--save-rows), e.g. of another lake",
    )  # fmt: skip
    parser.add_argument(
        "--save-rows",
        default=None,
        metavar="PARQUET",
        dest="save_rows",
        help="save this lake's rows (terms and labels) for a later pooled fit",
    )
    parser.add_argument(
        "--write",
        action="store_true",
        help="write the weights to conf/model/<algorithm_version>.yaml",
    )


def _import_parser(commands) -> None:
    from transforms.import_formats import FORMATS, KLOUT_ACTIONS

    parser = commands.add_parser(
        "import",
        help="load a public data set's file into interactions/accounts/people (docs/IMPORT.md)",
        description="Load a file of a public data set into `interactions`, adding `accounts` and "
        "`people` rows for unknown users and sending bad lines to `quarantine`. Rerunning the "
        "same file leaves the same tables (its rows in the dates it covers are replaced).",
    )
    _common(parser, date=False)
    parser.add_argument("--format", required=True, choices=FORMATS, dest="fmt")
    parser.add_argument("--path", required=True, help="the file (local path or URI; .gz works)")
    parser.add_argument(
        "--network",
        help=f"klout-tsv: {' or '.join(sorted(KLOUT_ACTIONS))} (default from the file name); "
        "edgelist: the network of its lines (required; its actions need weights in the config)",
    )
    parser.add_argument(
        "--columns",
        help="edgelist: what the whitespace-separated columns are, among actor, target, time "
        "(epoch seconds), type, _ (ignored); default actor,target,time (KONECT: "
        "actor,target,_,time)",
    )
    parser.add_argument("--action", help="edgelist without a type column: every line's action")
    parser.add_argument(
        "--types", help="edgelist with a type column: TYPE=ACTION[,TYPE=ACTION...]; other "
        "types are quarantined as unknown_type",
    )  # fmt: skip
    parser.add_argument(
        "--source", help="tag of the file in event ids and quarantine (default: from its name)"
    )
    parser.add_argument(
        "--consent",
        choices=("opted_in", "opted_out"),
        default="opted_out",
        help="consent of new people (default opted_out: not scored); opted_in only for a data "
        "set you may score",
    )
    parser.add_argument(
        "--accounts-created",
        type=_timestamp,
        dest="accounts_created",
        help="created_at of new accounts (default: first time the file shows them)",
    )


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        config = load_config(args.conf, args.overrides)
    except ConfigError as error:
        print(f"config error: {error}", file=sys.stderr)
        return 2
    from jobs import commands, logs
    from jobs.health import allowing

    if getattr(args, "allow_empty", False) or getattr(args, "allow_thin", False):
        config = allowing(config, args.allow_empty, args.allow_thin)
    path = logs.log_file(config.logging, args.command)
    logs.configure(config.logging, path, args.verbose)
    return commands.dispatch(args, config, path, args.verbose)


if __name__ == "__main__":
    sys.exit(main())
