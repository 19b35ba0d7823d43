"""The command line's arguments: the argument types, the options every command shares, and one
builder per group of commands (jobs/main.py assembles them)."""

from __future__ import annotations

import argparse
import datetime as dt
import re
import textwrap


def date_arg(text: str) -> dt.date:
    """Strictly YYYY-MM-DD (Python alone would also take 20261120 or 2026-W47-5)."""
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            raise ValueError(text)
        return dt.date.fromisoformat(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"expected a date YYYY-MM-DD, got {text!r}") from error


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}")
    return value


def timestamp_arg(text: str) -> dt.datetime:
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"expected YYYY-MM-DD[THH:MM], got {text!r}") from error


def add_common(parser: argparse.ArgumentParser, days: bool = False, date: bool = True) -> None:
    if date:
        parser.add_argument(
            "--date", type=date_arg, required=True, help="the score date (YYYY-MM-DD, UTC)"
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
            type=positive_int,
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


def add_run_commands(commands) -> None:
    """daily, one command per stage, calibrate and status."""
    from jobs.stages import STAGES

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
    add_common(daily, days=True)
    for name, (_, text) in STAGES.items():
        add_common(
            commands.add_parser(name, help=text, description=text),
            days=name in ("ingest", "aggregate"),
        )
    calibrate = commands.add_parser(
        "calibrate",
        help="fit the frozen calibration of the algorithm version on the date's population and "
        "write conf/calibration/<version>.yaml (needs the date's ranks, signals and prior)",
    )
    add_common(calibrate)
    status = commands.add_parser(
        "status",
        help="the date's stage attempts from the runs manifest: started, succeeded, failed, or "
        "started and never finished (killed, or still running)",
    )
    add_common(status)


def add_read_commands(commands) -> None:
    """The commands that read a date's published tables: top, influencers, explain, report."""
    top = commands.add_parser("top", help="print the date's top people with their network parts")
    add_common(top)
    top.add_argument("--limit", type=int, default=10)
    influencers = commands.add_parser(
        "influencers", help="the date's most influential people on a topic (topic_scores)"
    )
    add_common(influencers)
    influencers.add_argument("--topic", required=True)
    influencers.add_argument("--min-score", type=float, default=0.0, dest="min_score")
    influencers.add_argument("--limit", type=int, default=20)
    explain = commands.add_parser(
        "explain",
        help="why a person has their score: network parts, components, top engagers, topics, "
        "main cause of the daily change",
    )
    add_common(explain)
    explain.add_argument("--person", type=int, required=True, help="person_id")
    report = commands.add_parser(
        "report",
        help="write one self-contained HTML report of the date's run: manifest, counts, score "
        "distribution against its targets, top people, movers, network mix, topic leaders, "
        "evaluation figures when present (docs/REPORT.md)",
    )
    add_common(report)
    from jobs.report.command import add_arguments as report_arguments

    report_arguments(report)


def add_erase(commands) -> None:
    erase = commands.add_parser(
        "erase",
        help="remove people from every table, history included: rows naming them or their "
        "accounts, then the old files (vacuum, retention 0); idempotent (docs/ERASURE.md)",
        description="Remove the people and their accounts from every table of the lake (one "
        "commit per table), then delete the files only older versions reference, so time travel "
        "to before the erasure ends. The runs manifest gets an `erase` row with counts, never "
        "the ids. A rerun changes nothing. It takes the lake's writer lease: started while another "
        "run writes the lake, it waits for that run (docs/OPERATIONS.md).",
    )
    add_common(erase, date=False)
    erase.add_argument(
        "--person",
        type=int,
        action="append",
        required=True,
        dest="people",
        metavar="ID",
        help="person_id to erase (repeatable)",
    )


def add_date_range(parser: argparse.ArgumentParser) -> None:
    """--from, --to and --every: the score dates a backtest or a fit goes through."""
    parser.add_argument("--from", type=date_arg, required=True, dest="first", help="first date")
    parser.add_argument("--to", type=date_arg, required=True, dest="last", help="last date")
    parser.add_argument("--every", type=int, default=1, help="days between score dates")


def add_backtest(commands) -> None:
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
    add_common(parser, date=False)
    add_date_range(parser)
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


def add_fit(commands) -> None:
    parser = commands.add_parser(
        "fit",
        help="fit the score weights (fit.free) to predict the unique reactors people draw next, "
        "on a range of dates; --write freezes them in conf/model/<version>.yaml",
    )
    add_common(parser, date=False)
    add_date_range(parser)
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


def add_import(commands) -> None:
    from transforms.import_formats import FORMATS, KLOUT_ACTIONS

    parser = commands.add_parser(
        "import",
        help="load a public data set's file into interactions/accounts/people (docs/IMPORT.md)",
        description="Load a file of a public data set into `interactions`, adding `accounts` and "
        "`people` rows for unknown users and sending bad lines to `quarantine`. Rerunning the "
        "same file leaves the same tables (its rows in the dates it covers are replaced).",
    )
    add_common(parser, date=False)
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
        type=timestamp_arg,
        dest="accounts_created",
        help="created_at of new accounts (default: first time the file shows them)",
    )
