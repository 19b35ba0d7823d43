"""Rank metrics: numpy arrays in, numbers out (docs/EVALUATION.md). Unit-tested on hand-made
inputs; the backtest and scripts/evaluate.py both use them."""

from __future__ import annotations

import numpy as np
from scipy.stats import spearmanr


def spearman(x: np.ndarray, y: np.ndarray) -> float:
    """Spearman rank correlation (ties get average ranks); 0 when either side is constant."""
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    if len(x) < 2 or np.all(x == x[0]) or np.all(y == y[0]):
        return 0.0
    return float(spearmanr(x, y).statistic)


def ndcg_at_k(predicted: np.ndarray, relevance: np.ndarray, k: int) -> float:
    """NDCG@k of ranking people by `predicted` (descending), with linear gains `relevance`.

    DCG = sum over the first k ranked of relevance / log2(position + 1), divided by the DCG of
    the ideal order. Ties in `predicted` keep the input order (a stable sort), so a predictor
    with many ties is not flattered. 0 when nobody is relevant."""
    predicted, relevance = np.asarray(predicted, np.float64), np.asarray(relevance, np.float64)
    discount = 1.0 / np.log2(np.arange(2, min(k, len(relevance)) + 2))
    ideal = float(np.sort(relevance)[::-1][: len(discount)] @ discount)
    if ideal <= 0.0:
        return 0.0
    order = np.argsort(-predicted, kind="stable")[: len(discount)]
    return float(relevance[order] @ discount) / ideal
