"""The PageRank engines' test oracles and cases: networkx, power_iteration on person ids, the hand
graph, random graphs, and the helpers that compare ranks and read query plans."""

from __future__ import annotations

import dataclasses

import networkx as nx
import numpy as np
import pytest
from pyspark.sql import DataFrame, SparkSession

from transforms.pagerank.power_iteration import pagerank_arrays
from transforms.pagerank.result import PageRankParams

# The textbook settings (the daily job's come from conf/base.yaml): each test changes what it needs.
PARAMS = PageRankParams(alpha=0.85, tol=1e-10, max_iter=100)
CHECKPOINT_EVERY = 5


def params(**changes) -> PageRankParams:
    return dataclasses.replace(PARAMS, **changes)


Edge = tuple[int, int, float]
BIG = 10**12  # person ids are 64-bit and not dense

# A hub (0) that most vertices point to and that points on, in a reciprocal pair with 1; dangling
# vertices (6, 7, 8); a vertex without prior (2); isolated vertices with and without prior (9, 10).
# Chosen to mix fast (~20 iterations to tol=1e-13), since a Spark iteration costs a second here.
HAND_EDGES: list[Edge] = [
    (BIG + src, BIG + dst, weight)
    for src, dst, weight in [
        (0, 1, 1.0), (0, 8, 1.0), (1, 0, 3.0), (1, 3, 1.0), (1, 6, 3.0), (2, 0, 3.0), (2, 3, 1.0),
        (3, 0, 2.0), (3, 6, 1.0), (4, 0, 3.0), (4, 6, 1.0), (5, 0, 5.0), (5, 4, 0.5), (5, 7, 2.0),
    ]
]  # fmt: skip
HAND_PRIOR = {
    BIG + k: prior
    for k, prior in enumerate([1.0, 0.5, 0.0, 0.5, 3.0, 2.0, 0.5, 0.5, 3.0, 2.0, 0.0])
}
DANGLING = [BIG + k for k in (6, 7, 8, 9, 10)]
# Edges to or from unknown vertices and a zero weight: all to be ignored.
NOISE: list[Edge] = [(BIG + 0, BIG + 50, 9.0), (BIG + 51, BIG + 1, 9.0), (BIG + 1, BIG + 4, 0.0)]


def random_graph(seed: int, n: int = 200, m: int = 1500) -> tuple[list[Edge], dict[int, float]]:
    """n vertices (ids BIG + 7k), m distinct weighted edges; 10% of the vertices never send
    (dangling), 3 are isolated, 10% have zero prior."""
    rng = np.random.default_rng(seed)
    ids = [BIG + 7 * k for k in range(n)]
    senders, isolated = ids[: int(0.9 * n)], set(ids[-3:])
    receivers = [v for v in ids if v not in isolated]
    pairs: set[tuple[int, int]] = set()
    while len(pairs) < m:
        src, dst = int(rng.choice(senders)), int(rng.choice(receivers))
        if src != dst and src not in isolated:
            pairs.add((src, dst))
    edges = [(s, d, float(rng.uniform(0.1, 5.0))) for s, d in sorted(pairs)]
    prior = {v: float(rng.uniform(0.0, 3.0)) if rng.random() > 0.1 else 0.0 for v in ids}
    return edges, prior


def nx_pagerank(
    edges: list[Edge], prior: dict[int, float], nstart: dict[int, float] | None = None, **kw
) -> dict[int, float]:
    graph = nx.DiGraph()
    graph.add_nodes_from(prior)
    graph.add_weighted_edges_from(e for e in edges if e[0] in prior and e[1] in prior)
    personalization = prior if sum(prior.values()) > 0 else None
    return nx.pagerank(
        graph, personalization=personalization, weight="weight", dangling=None, nstart=nstart, **kw
    )


def local_pagerank(
    edges: list[Edge],
    prior: dict[int, float],
    initial: dict[int, float] | None = None,
    **kw,
) -> tuple[dict[int, float], int, bool]:
    """pagerank_arrays on person ids: unknown edge ends get index -1, which it ignores."""
    ids = list(prior)
    index = {v: i for i, v in enumerate(ids)}
    src = np.array([index.get(s, -1) for s, _, _ in edges], dtype=np.int64)
    dst = np.array([index.get(d, -1) for _, d, _ in edges], dtype=np.int64)
    weight = np.array([w for _, _, w in edges], dtype=np.float64)
    warm = None if initial is None else np.array([initial.get(v, np.nan) for v in ids])
    p = np.array([prior[v] for v in ids])
    ranks, iterations, converged = pagerank_arrays(
        src, dst, weight, len(ids), p, params(**kw), initial=warm
    )
    return dict(zip(ids, ranks.tolist(), strict=True)), iterations, converged


def frames(
    spark: SparkSession, edges: list[Edge], prior: dict[int, float]
) -> tuple[DataFrame, DataFrame]:
    return (
        spark.createDataFrame(edges, "src long, dst long, weight double"),
        spark.createDataFrame(list(prior.items()), "person_id long, prior double"),
    )


def collected(ranks: DataFrame) -> dict[int, float]:
    assert ranks.dtypes == [("person_id", "bigint"), ("rank", "double")]
    rows = ranks.collect()
    result = {row["person_id"]: row["rank"] for row in rows}
    assert len(result) == len(rows)  # one row per vertex
    return result


def assert_close(got: dict[int, float], want: dict[int, float], atol: float = 1e-9) -> None:
    assert got.keys() == want.keys()
    diffs = [abs(got[v] - want[v]) for v in want]
    assert max(diffs) <= atol
    assert sum(diffs) <= atol
    assert sum(got.values()) == pytest.approx(1.0, abs=1e-12)


def warm_start_case() -> tuple[list[Edge], dict[int, float], dict[int, float]]:
    """A day later: a weight changes and a vertex joins; and the converged ranks of the day before,
    which know neither the new vertex nor, in turn, a vertex now gone."""
    yesterday, _, converged = local_pagerank(HAND_EDGES, HAND_PRIOR, tol=1e-14, max_iter=1000)
    assert converged
    edges = [(s, d, w * 1.2 if (s, d) == (BIG + 5, BIG + 0) else w) for s, d, w in HAND_EDGES]
    edges.append((BIG + 4, BIG + 11, 0.5))
    prior = {**HAND_PRIOR, BIG + 11: 1.0}
    yesterday[BIG + 99] = 0.01  # no longer a vertex: ignored
    return edges, prior, yesterday


def shuffles(df: DataFrame) -> list[str]:
    """The partitionings of the exchanges a query plans, not counting the plans of cached frames
    (InMemoryTableScan has no children, only its relation as an inner child)."""
    found, stack = [], [df._jdf.queryExecution().executedPlan()]
    while stack:
        node = stack.pop()
        if node.nodeName() == "AdaptiveSparkPlan":
            stack.append(node.executedPlan())
            continue
        if node.nodeName() == "Exchange":
            found.append(node.outputPartitioning().toString())
        children = node.children()
        stack.extend(children.apply(i) for i in range(children.size()))
    return found
