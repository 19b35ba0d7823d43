"""`python -m jobs backtest`: for each score date, how well the published score ranks people by
what they go on to draw, against baselines computed in the same run (docs/EVALUATION.md §1).

Per date D: the people who drew reactions in the window ending on D; the label is the unique
reactors each draws in D+1..D+H. Predictors: the score, each of its components alone, and the
baselines (unique reactors and reactions received in the window, follower count where the
platforms gave one, unweighted PageRank on the window's reaction graph). Figures: Spearman and
NDCG@k per predictor and date, their medians over the dates, and the score's margin over the
best baseline. `--run` first runs the daily job for each date (and ingests its horizon).
"""

from __future__ import annotations

import datetime as dt
import logging
import statistics
import time

import numpy as np
import pandas as pd

from jobs.backtest.frame import collect, horizon_problem, person_frame
from jobs.backtest.metrics import ndcg_at_k, spearman
from jobs.context import RunContext
from jobs.health import replaying
from jobs.runner import run_daily, run_stage, run_stages

log = logging.getLogger("sway")

BASELINES = ("reactors", "reactions", "followers", "pagerank")
METRICS = ("spearman", "ndcg")


def score_dates(first: dt.date, last: dt.date, every: int) -> list[dt.date]:
    """first, first + every, ... up to last (inclusive)."""
    if every < 1 or last < first:
        raise ValueError(f"need --every >= 1 and --from <= --to, got {first}..{last} every {every}")
    return [first + dt.timedelta(days=k) for k in range(0, (last - first).days + 1, every)]


def run_job(ctx: RunContext, dates: list[dt.date], horizon: int) -> None:
    """The daily job for each date, oldest first: the first backfills a whole window (from the
    first day with data, if later), each later one the days since the date before (at most a
    window); then the date's horizon is ingested (the label). Every stage is idempotent, so days
    ingested twice cost time, not correctness."""
    window, previous = ctx.config.window.days, None
    raw = ctx.lake.partition_values("interactions", "event_date")
    config = replaying(ctx.config)
    for day in dates:
        span = window if previous is None else (day - previous).days
        if raw:
            span = min(span, (day - min(raw)).days + 1)
        days = max(1, min(window, span))
        run_daily(RunContext(ctx.spark, config, ctx.lake, day, days))
        last = day + dt.timedelta(days=horizon)
        run_stage(RunContext(ctx.spark, config, ctx.lake, last, horizon), "ingest")
        previous = day


def rescore(ctx: RunContext, dates: list[dt.date]) -> None:
    """Score and publish each date again from its kept ranks and signals: what new weights or a
    new calibration change, without rerunning the window stages."""
    for day in dates:
        run_stages(RunContext(ctx.spark, ctx.config, ctx.lake, day, 1), ["score", "publish"])


def date_figures(rows: pd.DataFrame, k: int) -> dict[str, dict[str, float]]:
    """Spearman and NDCG@k of every predictor column against `future_reactors`. A predictor
    with no value for anyone (followers on a data set without counts) is left out."""
    label = rows["future_reactors"].to_numpy()
    figures = {}
    for name in predictor_columns(rows):
        values = rows[name]
        if values.isna().all():
            continue
        values = values.fillna(0.0).to_numpy()
        figures[name] = {"spearman": spearman(values, label), "ndcg": ndcg_at_k(values, label, k)}
    return figures


def predictor_columns(rows: pd.DataFrame) -> list[str]:
    components = [c for c in rows.columns if c.startswith("component_")]
    return ["score", *[b for b in BASELINES if b in rows.columns], *components]


def summarize(per_date: list[dict], k: int) -> dict:
    """Medians over the dates per predictor and metric, the best baseline per metric and the
    score's margin over it (positive: the score wins)."""
    names = sorted({n for d in per_date for n in d["figures"]})
    median = {
        name: {
            m: statistics.median(d["figures"][name][m] for d in per_date if name in d["figures"])
            for m in METRICS
        }
        for name in names
    }
    best, margin = {}, {}
    for m in METRICS:
        baselines = [b for b in BASELINES if b in median]
        top = max(baselines, key=lambda b: median[b][m]) if baselines else None
        best[m] = {"name": top, "value": median[top][m] if top else None}
        margin[m] = median["score"][m] - median[top][m] if top and "score" in median else None
    return {"ndcg_k": k, "median": median, "best_baseline": best, "margin": margin}


def backtest(ctx: RunContext, dates: list[dt.date], horizon: int, counted_actors=None) -> dict:
    """The figures of every judgeable date (the others are listed with their reason)."""
    k = ctx.config.backtest.ndcg_k
    per_date, skipped = [], []
    for day in dates:
        clock = time.perf_counter()
        problem = horizon_problem(ctx.lake, day, horizon)
        if problem:
            log.warning("backtest %s: skipped: %s", day, problem)
            skipped.append({"date": day.isoformat(), "reason": problem})
            continue
        frame = person_frame(ctx, day, horizon, counted_actors)
        rows, people = collect(frame, ctx.config)
        figures = date_figures(rows, k)
        per_date.append({
            "date": day.isoformat(), "people": people, "judged": len(rows),
            "with_future_reactors": int(np.count_nonzero(rows["future_reactors"])),
            "figures": figures,
        })  # fmt: skip
        log.info(
            "backtest %s: %d people drew reactions, %d draw some in the next %d days; score "
            "spearman %.3f ndcg@%d %.3f; %.1fs", day, people, per_date[-1]["with_future_reactors"],
            horizon, figures["score"]["spearman"], k, figures["score"]["ndcg"],
            time.perf_counter() - clock,
        )  # fmt: skip
    head = {"lake": ctx.config.lake.root, "horizon_days": horizon,
            "window_days": ctx.config.window.days, "algorithm_version":
            ctx.config.algorithm_version, "config_hash": ctx.config.config_hash}  # fmt: skip
    summary = summarize(per_date, k) if per_date else {}
    return {**head, **summary, "dates": per_date, "skipped": skipped}
