"""The newcomer's demo: sample lake -> daily job for its last two days -> top people.

    python scripts/demo.py [--size small] [--lake lake] [--conf conf/local.yaml]

The first run ingests the whole sample history (all days but the last) as one backfill, the second
is the ordinary daily run for the last day, warm-started from and compared with the first.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from jobs import logs  # noqa: E402
from jobs.commands import open_context, print_top  # noqa: E402
from jobs.config import load_config  # noqa: E402
from jobs.runner import run_daily  # noqa: E402
from scripts.generate import generate  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", default="small", choices=["tiny", "small", "medium"])
    parser.add_argument("--lake", default="lake")
    parser.add_argument("--conf", default="conf/local.yaml")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    clock = time.perf_counter()
    lake = str(Path(args.lake).resolve())
    config = load_config([args.conf], [f"lake.root={lake}"])
    # As the command line: Sway's lines on the console, Spark's output in the log file.
    log_path = logs.log_file(config.logging, "demo")
    logs.configure(config.logging, log_path, verbose=False)
    summary = generate(args.size, lake, seed=args.seed)
    last = dt.date.fromisoformat(str(summary["end_date"]))
    days = int(summary["days"])
    first = open_context(config, last - dt.timedelta(days=1), days - 1, log_path)
    run_daily(first)
    second = open_context(config, last, days=1)
    run_daily(second)
    print_top(second, 10)
    print(
        f"\nDemo done in {time.perf_counter() - clock:.0f}s (log: {log_path}). Open the tables "
        "with e.g.\n"
        f"  python -c \"import polars as pl; print(pl.read_delta('{lake}/scores'))\""
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
