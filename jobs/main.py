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
import os
import sys

if __package__ in (None, ""):
    # Run as a file (`spark-submit jobs/main.py`): make the `jobs` and `transforms` packages of this
    # checkout importable; with --py-files sway.zip they already are.
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from jobs import cli_parsers  # noqa: E402
from jobs.config import ConfigError, load_config  # noqa: E402

DESCRIPTION = """\
Sway computes a daily 1-100 influence score per person from the reactions their posts draw across
social networks, propagated through the engagement graph. Each stage reads and writes Delta tables
under lake.root and is idempotent for its date: a rerun replaces that date's output atomically.
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m jobs",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    cli_parsers.add_run_commands(commands)
    cli_parsers.add_read_commands(commands)
    cli_parsers.add_import(commands)
    cli_parsers.add_backtest(commands)
    cli_parsers.add_fit(commands)
    cli_parsers.add_erase(commands)
    return parser


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
