"""Calibration: raw influence -> 1..100 score, through knots frozen per algorithm version.

The target is a quantile function of the score on the active population (a Burr XII distribution,
`target_burr`: mean 40, p95 63, p99 77 within a point). Fitting reads the raw values' quantiles on
a reference population at a dense grid of probabilities and pairs them with the target score at the
same probability; applying the knots is piecewise-linear interpolation. Below the first knot the
first slope continues down to 1; above the last knot the score approaches 100 exponentially with
the same slope at the joint, so it never reaches 100 and each point is harder to earn than the one
before.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

MIN_ACTIVE_SCORE = 1.0
CEILING = 100.0


def probability_grid() -> list[float]:
    """Where the raw distribution is sampled: every percent, denser in the top percent."""
    grid = [i / 100 for i in range(0, 100)] + [0.995, 0.998, 0.999]
    return sorted(set(grid))


def target_burr(c: float, k: float, scale: float, floor: float) -> list[list[float]]:
    """[p, score] pairs of the Burr XII target at every probability of the grid:
    score(p) = floor + scale * ((1 - p)^(-1/k) - 1)^(1/c). Its density is smooth and
    single-peaked, so the calibrated histogram has no cliffs; it starts at `floor` (the least
    active people) and falls off above its peak (each point harder to earn)."""
    grid = np.array(probability_grid())
    scores = floor + scale * ((1.0 - grid) ** (-1.0 / k) - 1.0) ** (1.0 / c)
    return [[float(p), float(v)] for p, v in zip(grid, scores, strict=True)]


def target_score(
    probabilities: Sequence[float], target_quantiles: Sequence[Sequence[float]]
) -> list[float]:
    """The target score at each probability (linear between the configured [p, score] pairs)."""
    qs = np.array([q for q, _ in target_quantiles], dtype=float)
    scores = np.array([s for _, s in target_quantiles], dtype=float)
    return [float(v) for v in np.interp(np.asarray(probabilities, dtype=float), qs, scores)]


def target_mean(
    target_quantiles: Sequence[Sequence[float]], tail_score: float | None = None
) -> float:
    """Mean of the target distribution (integral of its quantile function over [0, 1])."""
    qs = [q for q, _ in target_quantiles] + [1.0]
    last = target_quantiles[-1][1]
    scores = [s for _, s in target_quantiles] + [tail_score if tail_score is not None else last]
    segments = zip(qs, qs[1:], scores, scores[1:], strict=False)
    return float(sum((b - a) * (sa + sb) / 2 for a, b, sa, sb in segments))


def fit_knots(
    raw_active: DataFrame, target_quantiles: Sequence[Sequence[float]], relative_error: float = 1e-4
) -> tuple[list[float], list[float]]:
    """raw knots and score knots from the `raw` column of an active population.

    One approxQuantile action (a hundred numbers reach the driver, never per-person rows). Ties in
    the raw quantiles (many people with the same raw value) keep only the first knot, so the raw
    knots increase strictly.
    """
    grid = probability_grid()
    raw_q = raw_active.approxQuantile("raw", grid, relative_error)
    if not raw_q:
        raise ValueError("cannot fit a calibration on an empty population")
    scores = target_score(grid, target_quantiles)
    raw_knots, score_knots = [], []
    for raw, score in zip(raw_q, scores, strict=True):
        if raw_knots and raw <= raw_knots[-1]:
            continue
        raw_knots.append(float(raw))
        score_knots.append(float(score))
    if len(raw_knots) < 2:
        raise ValueError("cannot fit a calibration: the raw values are all equal")
    return raw_knots, score_knots


def calibrated(
    raw: Column, raw_knots: Sequence[float], score_knots: Sequence[float], max_score: float
) -> Column:
    """Column: the score of an active person from their raw value (not rounded)."""
    if len(raw_knots) < 2 or len(raw_knots) != len(score_knots):
        raise ValueError("calibration needs at least two (raw, score) knots of equal length")
    rk = F.array(*[F.lit(float(v)) for v in raw_knots])
    sk = F.array(*[F.lit(float(v)) for v in score_knots])
    n = len(raw_knots)
    # 1-based index of the last knot <= raw, clamped to [1, n - 1]: segment i -> i + 1 exists.
    position = F.size(F.filter(rk, lambda k: k <= raw))
    i = F.least(F.greatest(position, F.lit(1)), F.lit(n - 1))
    r0, r1 = F.element_at(rk, i), F.element_at(rk, i + 1)
    s0, s1 = F.element_at(sk, i), F.element_at(sk, i + 1)
    linear = s0 + (raw - r0) * (s1 - s0) / (r1 - r0)
    last_raw, last_score = float(raw_knots[-1]), float(score_knots[-1])
    slope = (score_knots[-1] - score_knots[-2]) / (raw_knots[-1] - raw_knots[-2])
    headroom = CEILING - last_score
    tail = F.lit(CEILING) - F.lit(headroom) * F.exp(
        -(raw - F.lit(last_raw)) * F.lit(slope / headroom)
    )
    score = F.when(raw > F.lit(last_raw), tail).otherwise(linear)
    return F.least(F.greatest(score, F.lit(MIN_ACTIVE_SCORE)), F.lit(float(max_score)))
