"""Weighted, personalized PageRank on one machine (numpy / scipy.sparse power iteration).

Same algorithm, semantics and convergence rule as the reference engine
(`transforms.pagerank.reference.personalized_pagerank`), on dense vertex indices 0..n-1: the
core of the single-machine engine, and the oracle the distributed engines are tested against.

Semantics (equal to networkx.pagerank with dangling=None):
  x' = alpha * (P^T x + (sum of x over dangling vertices) * p) + (1 - alpha) * p
where P[i, j] = weight(i -> j) / out-weight(i) and p is the normalised prior. Stop as soon as
||x' - x||_1 < n * tol (converged) or after max_iter iterations (not converged, no exception).
"""

from __future__ import annotations

import logging

import numpy as np
import scipy.sparse as sp

from transforms.pagerank.result import PageRankParams

log = logging.getLogger(__name__)


def normalize_vector(values: np.ndarray) -> np.ndarray:
    """Scale non-negative values to sum 1; all-zero (or empty) falls back to uniform."""
    clean = np.clip(np.nan_to_num(np.asarray(values, dtype=np.float64), nan=0.0), 0.0, None)
    total = clean.sum()
    if total > 0.0:
        return clean / total
    return np.full(clean.shape, 1.0 / max(clean.size, 1))


def start_vector(prior: np.ndarray, initial: np.ndarray | None) -> np.ndarray:
    """The iteration's first vector: uniform without a warm start (as networkx does); otherwise the
    warm start where it has a value and the vertex's prior mass where it is NaN, normalised."""
    n = prior.size
    if initial is None:
        return np.full(n, 1.0 / max(n, 1))
    warm = np.asarray(initial, dtype=np.float64)
    if warm.shape != (n,):
        raise ValueError(f"initial must have shape ({n},), got {warm.shape}")
    # New vertices (NaN) start at their share of the teleport: a neutral guess for a newcomer.
    return normalize_vector(np.where(np.isnan(warm), prior, warm))


def transition_matrix(
    src: np.ndarray, dst: np.ndarray, weight: np.ndarray, n: int
) -> tuple[sp.csr_array, np.ndarray]:
    """P^T as CSR (so one iteration is a single sparse mat-vec) and the dangling-vertex mask.

    Edges with an index outside 0..n-1 or a weight that is not > 0 are ignored, like edges touching
    unknown vertices in the distributed path; repeated (src, dst) pairs add up.
    """
    src = np.asarray(src, dtype=np.int64)
    dst = np.asarray(dst, dtype=np.int64)
    weight = np.asarray(weight, dtype=np.float64)
    keep = (src >= 0) & (src < n) & (dst >= 0) & (dst < n) & (weight > 0.0)
    src, dst, weight = src[keep], dst[keep], weight[keep]
    out_weight = np.bincount(src, weights=weight, minlength=n)
    # Transposed on construction: rows are targets, so P^T x gathers each vertex's inflow.
    p_t = sp.csr_array((weight / out_weight[src], (dst, src)), shape=(n, n))
    return p_t, out_weight == 0.0


def pagerank_arrays(
    src: np.ndarray,
    dst: np.ndarray,
    weight: np.ndarray,
    n: int,
    prior: np.ndarray,
    params: PageRankParams,
    initial: np.ndarray | None = None,
    history: list[float] | None = None,
) -> tuple[np.ndarray, int, bool]:
    """Personalized PageRank of vertices 0..n-1: (ranks summing to 1, iterations, converged).

    prior: length n, >= 0, any scale (all zero -> uniform). initial: optional warm start of
    length n, any scale, NaN for vertices it does not know (they start at their prior mass).
    history: when given, receives the L1 change of each iteration.
    """
    alpha, tol, max_iter = params.alpha, params.tol, params.max_iter
    if n == 0:
        return np.zeros(0), 0, True
    p = normalize_vector(np.asarray(prior, dtype=np.float64))
    if p.shape != (n,):
        raise ValueError(f"prior must have shape ({n},), got {p.shape}")
    p_t, dangling = transition_matrix(src, dst, weight, n)
    x = start_vector(p, initial)
    for iteration in range(1, max_iter + 1):
        dangling_mass = float(x[dangling].sum())
        # Dangling mass follows the personalization vector, like the teleport (networkx default).
        x_next = alpha * (p_t @ x + dangling_mass * p) + (1.0 - alpha) * p
        l1_change = float(np.abs(x_next - x).sum())
        x = x_next
        if history is not None:
            history.append(l1_change)
        log.debug("power iteration %d: l1 change %.3e", iteration, l1_change)
        if l1_change < n * tol:
            log.info("power iteration converged after %d steps (l1 %.3e)", iteration, l1_change)
            return x, iteration, True
    log.warning("power iteration stopped at max_iter=%d without converging", max_iter)
    return x, max_iter, False
