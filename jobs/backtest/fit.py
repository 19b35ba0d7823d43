"""`python -m jobs fit`: the score's weights fitted to predict the lake's own future.

For each score date of the range, the people who drew reactions in the window, the raw score's
terms unweighted (jobs/backtest/frame.terms) and the label (unique reactors drawn in the next H
days). Non-negative least squares of log1p(label) on the free terms (`fit.free`), the others kept
at their configured weight, pooled over the dates (and over rows saved by earlier fits of other
lakes, `--rows`). The weights are frozen per algorithm version in conf/model/<version>.yaml; the
dates they were fitted on never serve to validate them (docs/EVALUATION.md).
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from scipy.optimize import nnls

from jobs.backtest.frame import collect, horizon_problem, person_frame
from jobs.backtest.metrics import ndcg_at_k, spearman
from jobs.backtest.run import BASELINES
from jobs.context import RunContext
from transforms.scoring import COMPONENTS

log = logging.getLogger("sway")
LABEL = "future_reactors"


def fit_weights(
    rows: pd.DataFrame, free: list[str], fixed: dict[str, float]
) -> tuple[dict[str, float], float]:
    """(weights of every term, R^2): NNLS of log1p(label) - fixed part on the free terms and an
    intercept (the intercept is dropped: the calibration absorbs any shift)."""
    y = np.log1p(rows[LABEL].to_numpy(np.float64))
    # An absent term (null: no follower graph on that lake) adds 0 to the score.
    x = np.column_stack([np.nan_to_num(rows[f"component_{t}"].to_numpy(np.float64)) for t in free])
    target = y - raw_of(rows, fixed)
    # NNLS has no free-signed intercept: centre both sides (an intercept absorbs the means).
    x_mean, t_mean = x.mean(axis=0), target.mean()
    coef, _ = nnls(x - x_mean, target - t_mean)
    fitted = (x - x_mean) @ coef
    residual = (target - t_mean) - fitted
    total = float(((target - t_mean) ** 2).sum())
    r2 = 1.0 - float((residual**2).sum()) / total if total > 0 else 0.0
    return {**fixed, **{t: float(c) for t, c in zip(free, coef, strict=True)}}, r2


def raw_of(rows: pd.DataFrame, weights: dict[str, float]) -> np.ndarray:
    """The raw score the weights give (without the calibration, which keeps its order)."""
    return sum((w * np.nan_to_num(rows[f"component_{t}"].to_numpy(np.float64))
                for t, w in weights.items()),
               np.zeros(len(rows)))  # fmt: skip


def gather_rows(
    ctx: RunContext, dates: list[dt.date], horizon: int, counted_actors=None
) -> pd.DataFrame:
    """Every judgeable date's people: the unweighted terms and the label, with the date.
    counted_actors: only their reactions make the label (person_id rows; all when None)."""
    frames = []
    for day in dates:
        problem = horizon_problem(ctx.lake, day, horizon)
        if problem:
            log.warning("fit %s: skipped: %s", day, problem)
            continue
        rows, people = collect(person_frame(ctx, day, horizon, counted_actors), ctx.config)
        log.info("fit %s: %d people drew reactions in the window", day, people)
        # The baselines too: a saved row set also serves to study a model offline.
        baselines = [c for c in BASELINES if c in rows]
        keep = ["person_id", LABEL, *baselines, *[f"component_{t}" for t in COMPONENTS]]
        frames.append(rows[keep].assign(score_date=day.isoformat(), lake=ctx.config.lake.root))
    if not frames:
        raise ValueError("no date of the range could be judged: nothing to fit on")
    return pd.concat(frames, ignore_index=True)


def in_sample(rows: pd.DataFrame, weights: dict[str, float], k: int) -> dict[str, float]:
    """Median over the (lake, date) groups of Spearman and NDCG@k of the weights' raw score."""
    spearmans, ndcgs = [], []
    for _, group in rows.groupby(["lake", "score_date"]):
        raw, label = raw_of(group, weights), group[LABEL].to_numpy(np.float64)
        spearmans.append(spearman(raw, label))
        ndcgs.append(ndcg_at_k(raw, label, k))
    return {"spearman": float(np.median(spearmans)), "ndcg": float(np.median(ndcgs))}


def model_yaml(weights: dict[str, float], provenance: list[str]) -> str:
    """conf/model/<version>.yaml: the fitted weights as a config overlay, provenance as comments."""
    head = "".join(f"# {line}\n" for line in provenance)
    body = yaml.safe_dump(
        {"score": {"weights": {t: round(weights[t], 4) for t in COMPONENTS}}}, sort_keys=False
    )
    return head + body


def write_model(path: Path, weights: dict[str, float], provenance: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(model_yaml(weights, provenance))
    return path
