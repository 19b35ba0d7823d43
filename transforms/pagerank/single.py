"""Single-machine personalized PageRank, for graphs that fit in the driver's memory.

A small graph does not need a distributed iteration: every Spark job costs a fixed ~0.1 s, more
than a whole scipy iteration over a million edges. This path collects the typed edges and priors
to the driver as Arrow, relabels the ids with numpy (sorted, so the dense index is the rank of the
id), runs pagerank_arrays (the numpy/scipy power iteration the distributed engines are tested
against) and hands the ranks back as a DataFrame. The results are those of the distributed engines
to rounding; the config decides when a graph is small enough (propagation.single_max_edges).
"""

from __future__ import annotations

import logging
import time

import numpy as np
import pandas as pd
import pyarrow as pa
from pyspark.sql import DataFrame

from transforms.pagerank.inputs import typed_edges, typed_vertices
from transforms.pagerank.power_iteration import pagerank_arrays
from transforms.pagerank.result import PageRankParams, PageRankResult

log = logging.getLogger(__name__)

RANKS = pa.schema([("person_id", pa.int64()), ("rank", pa.float64())])


def _column(table: pa.Table, name: str, dtype) -> np.ndarray:
    """A column as numpy; null values as NaN (floats)."""
    return np.asarray(table.column(name).to_numpy(zero_copy_only=False), dtype)


def single_machine_pagerank(
    edges: DataFrame,
    prior: DataFrame,
    params: PageRankParams,
    *,
    initial: DataFrame | None = None,
) -> PageRankResult:
    """Weighted personalized PageRank of the vertices of `prior` over `edges`, computed on the
    driver: the contract and results of transforms.pagerank.reference.personalized_pagerank."""
    started = time.perf_counter()
    vertices = typed_vertices(prior, "prior").toArrow()
    ids = _column(vertices, "person_id", np.int64)
    order = np.argsort(ids, kind="stable")
    ids, priors = ids[order], _column(vertices, "value", np.float64)[order]
    first = np.ones(ids.size, dtype=bool)
    first[1:] = ids[1:] != ids[:-1]  # a repeated person keeps one prior
    ids, priors = ids[first], priors[first]
    index = pd.Index(ids)
    graph = typed_edges(edges).toArrow()
    # An edge touching someone who is not a vertex gets index -1, which pagerank_arrays ignores.
    src = index.get_indexer(_column(graph, "src", np.int64))
    dst = index.get_indexer(_column(graph, "dst", np.int64))
    warm = None
    if initial is not None:
        known = typed_vertices(initial, "rank").toArrow()
        where = index.get_indexer(_column(known, "person_id", np.int64))
        hit = where >= 0
        warm = np.full(ids.size, np.nan)  # NaN: no warm rank, the vertex starts at its prior
        warm[where[hit]] = _column(known, "value", np.float64)[hit]
    history: list[float] = []
    ranks, iterations, converged = pagerank_arrays(
        src, dst, _column(graph, "weight", np.float64), ids.size, priors,
        params, initial=warm, history=history,
    )  # fmt: skip
    frame = edges.sparkSession.createDataFrame(pa.table([ids, ranks], schema=RANKS))
    log.info(
        "single-machine pagerank: %d vertices, %d edges, %d iterations (%s) in %.1fs",
        ids.size, len(graph), iterations, "converged" if converged else "not converged",
        time.perf_counter() - started,
    )  # fmt: skip
    return PageRankResult(frame, iterations, converged, history[-1] if history else 0.0, history)
