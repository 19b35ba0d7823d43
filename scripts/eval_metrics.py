"""The evaluation's metrics as pure functions: numpy arrays in, numbers out (docs/EVALUATION.md).

Nothing here reads tables or starts Spark, so each metric is unit-tested on hand-made inputs.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from jobs.backtest.metrics import ndcg_at_k, spearman
from transforms.pagerank.power_iteration import pagerank_arrays
from transforms.pagerank.result import PageRankParams

__all__ = ["ndcg_at_k", "spearman"]  # shared with the backtest (jobs/backtest/metrics.py)

TOP_SHARE = 0.01  # "the top 1%"
# The PageRank baseline as the literature runs it: damping 0.85, to convergence.
BASELINE_PAGERANK = PageRankParams(alpha=0.85, tol=1e-10, max_iter=300)


def percent_rank(scores: np.ndarray) -> np.ndarray:
    """Percent of the population whose score is <= each person's (0..100], ties share the top."""
    scores = np.asarray(scores, np.float64)
    if len(scores) == 0:
        return np.zeros(0)
    return 100.0 * np.searchsorted(np.sort(scores), scores, side="right") / len(scores)


def in_top_share(scores: np.ndarray, share: float = TOP_SHARE) -> np.ndarray:
    """Who is among the top `share` of the population by score (a positive score is required, so
    an all-zero population has no top)."""
    scores = np.asarray(scores, np.float64)
    if len(scores) == 0:
        return np.zeros(0, bool)
    cut = np.sort(scores)[::-1][max(0, int(np.ceil(share * len(scores))) - 1)]
    return (scores >= cut) & (scores > 0)


def kind_summary(scores: np.ndarray, kinds: np.ndarray) -> dict[str, dict[str, float]]:
    """Per planted kind: people, median and max percentile, and how many are in the top 1%."""
    pct, top = percent_rank(scores), in_top_share(scores)
    kinds = np.asarray(kinds)
    out = {}
    for kind in sorted(set(kinds.tolist())):
        mask = kinds == kind
        out[kind] = {
            "people": int(mask.sum()),
            "median_percentile": round(float(np.median(pct[mask])), 2),
            "max_percentile": round(float(pct[mask].max()), 2),
            "in_top1pct": int(top[mask].sum()),
        }
    return out


def gamer_figures(scores: np.ndarray, is_gamer: np.ndarray) -> tuple[int, float]:
    """(gamers in the top 1%, median gamer percentile) among all scored people."""
    is_gamer = np.asarray(is_gamer, bool)
    if not is_gamer.any():
        return 0, 0.0
    pct = percent_rank(scores)
    return int(in_top_share(scores)[is_gamer].sum()), float(np.median(pct[is_gamer]))


def calibration(scores: np.ndarray) -> dict[str, float]:
    """Mean, p95, p99 and max of the active population (score > 0), as the targets define it."""
    active = np.asarray(scores, np.float64)
    active = active[active > 0]
    if len(active) == 0:
        return {"mean": 0.0, "p95": 0.0, "p99": 0.0, "max": 0.0, "active": 0}
    p95, p99 = np.quantile(active, [0.95, 0.99])
    return {"mean": float(active.mean()), "p95": float(p95), "p99": float(p99),
            "max": float(active.max()), "active": int(len(active))}  # fmt: skip


def median_abs_change(today: np.ndarray, yesterday: np.ndarray) -> float:
    """Median |today - yesterday| over aligned pairs (0 for none)."""
    change = np.abs(np.asarray(today, np.float64) - np.asarray(yesterday, np.float64))
    return float(np.median(change)) if len(change) else 0.0


def explanation_max_error(scores: np.ndarray, parts_sum: np.ndarray) -> float:
    """Largest |sum of the network parts - score| (the parts must add up to the score)."""
    error = np.abs(np.asarray(parts_sum, np.float64) - np.asarray(scores, np.float64))
    return float(error.max()) if len(error) else 0.0


def graph_pagerank(src: np.ndarray, dst: np.ndarray, n: int) -> np.ndarray:
    """Unweighted, uniform-teleport PageRank of vertices 0..n-1 (repeated edges count once), with
    the textbook settings (BASELINE_PAGERANK): the baseline, not our propagation."""
    if n == 0:
        return np.zeros(0)
    pairs = sp.coo_array((np.ones(len(src)), (src, dst)), shape=(n, n)).tocsr()
    pairs.sum_duplicates()
    rows, cols = pairs.nonzero()
    ranks, _, _ = pagerank_arrays(rows, cols, np.ones(len(rows)), n, np.ones(n), BASELINE_PAGERANK)
    return ranks
