"""The backtest: does the published score predict what people go on to draw? (docs/EVALUATION.md)

run.py computes the figures per score date, frame.py reads one date's people from the lake,
metrics.py holds Spearman and NDCG, output.py writes the table, JSON and plot.
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from jobs.context import RunContext


def default_prefix(root: str, first: dt.date, last: dt.date) -> Path:
    """<lake>/_reports/backtest-<from>_<to> (./reports/ for a remote lake)."""
    from jobs.report import local_root

    local = local_root(root)
    folder = local / "_reports" if local is not None else Path("reports")
    return folder / f"backtest-{first.isoformat()}_{last.isoformat()}"


def command(ctx: RunContext, args: argparse.Namespace) -> int:
    """`python -m jobs backtest`: optionally run the job, judge the dates, print and write."""
    from jobs.backtest.output import render_table, write
    from jobs.backtest.run import backtest, run_job, score_dates

    horizon = args.horizon or ctx.config.backtest.horizon_days
    try:
        dates = score_dates(args.first, args.last, args.every)
    except ValueError as error:
        print(f"error: {error}")
        return 2
    if args.run:
        run_job(ctx, dates, horizon)
    figures = backtest(ctx, dates, horizon)
    print(render_table(figures), end="")
    prefix = (
        Path(args.out) if args.out else default_prefix(ctx.config.lake.root, dates[0], dates[-1])
    )
    json_path, png_path = write(figures, prefix)
    print(f"figures written to {json_path}" + (f" and {png_path}" if png_path else ""))
    return 0 if figures.get("dates") else 1
