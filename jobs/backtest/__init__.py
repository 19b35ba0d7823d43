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
    from jobs.report.command import local_root

    local = local_root(root)
    folder = local / "_reports" if local is not None else Path("reports")
    return folder / f"backtest-{first.isoformat()}_{last.isoformat()}"


def _dates(args: argparse.Namespace) -> list[dt.date] | None:
    """The score dates of --from/--to/--every, or None after printing why they are wrong."""
    from jobs.backtest.run import score_dates

    try:
        return score_dates(args.first, args.last, args.every)
    except ValueError as error:
        print(f"error: {error}")
        return None


def command(ctx: RunContext, args: argparse.Namespace) -> int:
    """`python -m jobs backtest`: optionally run the job, judge the dates, print and write."""
    from jobs.backtest.output import render_table, write
    from jobs.backtest.run import backtest, rescore, run_job

    horizon = args.horizon or ctx.config.backtest.horizon_days
    dates = _dates(args)
    if dates is None:
        return 2
    if args.run:
        run_job(ctx, dates, horizon)
    elif args.rescore:
        rescore(ctx, dates)
    figures = backtest(ctx, dates, horizon)
    print(render_table(figures), end="")
    prefix = (
        Path(args.out) if args.out else default_prefix(ctx.config.lake.root, dates[0], dates[-1])
    )
    json_path, png_path = write(figures, prefix)
    print(f"figures written to {json_path}" + (f" and {png_path}" if png_path else ""))
    return 0 if figures.get("dates") else 1


def fit_command(ctx: RunContext, args: argparse.Namespace) -> int:
    """`python -m jobs fit`: gather the dates' terms and labels, fit, report, optionally write."""
    import pandas as pd

    from jobs.backtest.fit import fit_weights, gather_rows, in_sample, write_model
    from jobs.backtest.run import run_job
    from jobs.config import CONF_DIR
    from transforms.scoring import COMPONENTS

    cfg = ctx.config
    horizon = args.horizon or cfg.backtest.horizon_days
    dates = _dates(args)
    if dates is None:
        return 2
    if args.run:
        run_job(ctx, dates, horizon)
    rows = gather_rows(ctx, dates, horizon)
    if args.save_rows:
        rows.to_parquet(args.save_rows, index=False)
    rows = pd.concat([rows, *[pd.read_parquet(p) for p in args.rows]], ignore_index=True)
    # A term absent from every row (the follower graph's, on a lake without one) keeps its weight.
    absent = [t for t in cfg.fit.free if rows[f"component_{t}"].isna().all()]
    free = [t for t in cfg.fit.free if t not in absent]
    fixed = {t: w for t, w in cfg.score.weights.items() if t not in free}
    weights, r2 = fit_weights(rows, free, fixed)
    k = cfg.backtest.ndcg_k
    before, after = in_sample(rows, cfg.score.weights, k), in_sample(rows, weights, k)
    groups = rows.groupby(["lake", "score_date"]).ngroups
    print(f"fit on {len(rows)} rows of {groups} (lake, date) groups, horizon {horizon} days; "
          f"R^2 {r2:.3f}")  # fmt: skip
    print(f"{'term':<20}{'configured':>12}{'fitted':>10}")
    for term in COMPONENTS:
        note = "  (absent)" if term in absent else "" if term in free else "  (fixed)"
        print(f"{term:<20}{cfg.score.weights[term]:>12.4f}{weights[term]:>10.4f}{note}")
    print(
        f"in sample, median over groups: spearman {before['spearman']:.3f} -> "
        f"{after['spearman']:.3f}, ndcg@{k} {before['ndcg']:.3f} -> {after['ndcg']:.3f}"
    )
    if args.write:
        lakes = sorted(set(rows["lake"]))
        provenance = [
            f"Score weights of algorithm {cfg.algorithm_version}, fitted by `python -m jobs fit`",
            f"on {len(rows)} people-dates of {groups} score dates, label: unique reactors of the "
            f"next {horizon} days; lakes: {', '.join(lakes)}",
            f"dates: {', '.join(sorted(set(rows['score_date'])))}",
            f"R^2 {r2:.3f}; in-sample median spearman {after['spearman']:.3f}, "
            f"ndcg@{k} {after['ndcg']:.3f}. Validate on other dates and lakes, never these.",
        ]
        path = write_model(CONF_DIR / "model" / f"{cfg.algorithm_version}.yaml", weights,
                           provenance)  # fmt: skip
        print(f"weights written to {path}")
    return 0
