"""Personalized PageRank: the Spark and the local implementation against networkx.pagerank.

The local implementation is checked against networkx to 1e-9 (max and L1) on a hand-made graph
and on random graphs of 200 vertices and 1500 edges, converged to tol=1e-13. A Spark iteration
costs about a second here and a cold start needs ~20 of them, so the Spark checks are: equal to
the local run after each of the first iterations from a cold start (on a random graph), which
makes their fixed points equal; and, from a warm start, converged to networkx's fixed point.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from pyspark.sql import DataFrame, SparkSession

from transforms.pagerank import reference as propagation
from transforms.pagerank.power_iteration import pagerank_arrays
from transforms.pagerank.reference import normalize_prior, personalized_pagerank

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
        src, dst, weight, len(ids), p, initial=warm, **kw
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


# ------------------------------------------------------------------------------------ local
def test_local_matches_networkx_on_hand_graph():
    got, iterations, converged = local_pagerank(HAND_EDGES, HAND_PRIOR, tol=1e-13, max_iter=500)
    assert converged
    assert_close(got, nx_pagerank(HAND_EDGES, HAND_PRIOR, tol=1e-13, max_iter=500))
    # Isolated vertices keep their teleport and dangling share only: p(v) * (1 - alpha + alpha D).
    dangling_mass = sum(got[v] for v in DANGLING)
    share = HAND_PRIOR[BIG + 9] / sum(HAND_PRIOR.values())
    assert got[BIG + 9] == pytest.approx(share * (0.15 + 0.85 * dangling_mass), rel=1e-12)
    assert got[BIG + 10] == 0.0


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_local_matches_networkx_on_random_graph(seed):
    edges, prior = random_graph(seed)
    got, _, converged = local_pagerank(edges, prior, tol=1e-13, max_iter=500)
    assert converged
    assert_close(got, nx_pagerank(edges, prior, tol=1e-13, max_iter=500))


def test_local_warm_start_needs_fewer_iterations():
    edges, prior, yesterday = warm_start_case()
    cold, cold_iterations, _ = local_pagerank(edges, prior, tol=1e-13, max_iter=500)
    warm, warm_iterations, converged = local_pagerank(
        edges, prior, initial=yesterday, tol=1e-13, max_iter=500
    )
    assert converged and warm_iterations < cold_iterations
    assert_close(warm, cold)
    # The same start vector as networkx's nstart: new vertices start at their prior mass.
    total = sum(prior.values())
    nstart = {v: yesterday.get(v, prior[v] / total) for v in prior}
    assert_close(warm, nx_pagerank(edges, prior, nstart=nstart, tol=1e-13, max_iter=500))


def test_local_max_iter_reached():
    edges, prior = random_graph(4)
    ranks, iterations, converged = local_pagerank(edges, prior, tol=1e-13, max_iter=3)
    assert (iterations, converged) == (3, False)
    assert sum(ranks.values()) == pytest.approx(1.0, abs=1e-12)
    with pytest.raises(nx.PowerIterationFailedConvergence):
        nx_pagerank(edges, prior, tol=1e-13, max_iter=3)


def test_local_uniform_fallback_and_ignored_edges():
    prior = {v: 0.0 for v in HAND_PRIOR}
    got, _, converged = local_pagerank(HAND_EDGES + NOISE, prior, tol=1e-13, max_iter=500)
    assert converged
    assert_close(got, nx_pagerank(HAND_EDGES, prior, tol=1e-13, max_iter=500))


def test_local_edge_cases():
    ranks, iterations, converged = pagerank_arrays(
        np.zeros(0), np.zeros(0), np.zeros(0), 0, np.zeros(0)
    )
    assert ranks.size == 0 and converged and iterations == 0
    with pytest.raises(ValueError):
        pagerank_arrays(np.zeros(0), np.zeros(0), np.zeros(0), 1, np.ones(1), max_iter=0)
    with pytest.raises(ValueError):
        pagerank_arrays(np.zeros(0), np.zeros(0), np.zeros(0), 1, np.ones(1), alpha=1.5)


# ------------------------------------------------------------------------------------ Spark
def test_spark_follows_local_iterations_on_random_graph(spark):
    """200 vertices, 1500 edges; stopped at max_iter, equal to the local run at every step."""
    edge_list, prior_map = random_graph(5)
    edges, prior = frames(spark, edge_list, prior_map)
    result = personalized_pagerank(edges, prior, tol=1e-13, max_iter=3, checkpoint_every=2)
    assert (result.iterations, result.converged) == (3, False)
    steps = [local_pagerank(edge_list, prior_map, tol=1e-13, max_iter=k)[0] for k in range(1, 4)]
    assert_close(collected(result.ranks), steps[-1], atol=1e-13)
    uniform = {v: 1.0 / len(prior_map) for v in prior_map}
    expected = [
        sum(abs(after[v] - before[v]) for v in prior_map)
        for before, after in zip([uniform, *steps], steps, strict=False)
    ]
    assert result.history == pytest.approx(expected, abs=1e-13)


def test_spark_warm_start(spark):
    edge_list, prior_map, yesterday = warm_start_case()
    edges, prior = frames(spark, edge_list, prior_map)
    # A null rank counts as no rank, like a vertex missing from the warm start.
    rows = [*yesterday.items(), (BIG + 11, None)]
    initial = spark.createDataFrame(rows, "person_id long, rank double")
    # tol=1e-11 stops within ~1e-10 (L1) of the fixed point, well inside the 1e-9 checked.
    result = personalized_pagerank(edges, prior, initial=initial, tol=1e-11, max_iter=100)
    _, cold_iterations, _ = local_pagerank(edge_list, prior_map, tol=1e-11, max_iter=100)
    _, warm_iterations, _ = local_pagerank(
        edge_list, prior_map, initial=yesterday, tol=1e-11, max_iter=100
    )
    assert result.converged and result.iterations == warm_iterations < cold_iterations
    assert_close(collected(result.ranks), nx_pagerank(edge_list, prior_map, tol=1e-13))


def test_spark_uniform_fallback_and_ignored_edges(spark, monkeypatch):
    """As the local run, which test_local_uniform_fallback_and_ignored_edges checks; on local
    checkpoints, as without a checkpoint dir."""
    monkeypatch.setattr(propagation, "has_checkpoint_dir", lambda df: False)
    prior_map = {v: 0.0 for v in HAND_PRIOR}
    edges, prior = frames(spark, HAND_EDGES + NOISE, prior_map)
    result = personalized_pagerank(edges, prior, tol=1e-13, max_iter=3, checkpoint_every=2)
    assert (result.iterations, result.converged) == (3, False)
    expected, _, _ = local_pagerank(HAND_EDGES, prior_map, tol=1e-13, max_iter=3)
    assert_close(collected(result.ranks), expected, atol=1e-13)


def test_spark_empty_prior(spark):
    edges, prior = frames(spark, HAND_EDGES, {})
    result = personalized_pagerank(edges, prior)
    assert (result.iterations, result.converged, result.history) == (0, True, [])
    assert result.ranks.count() == 0


def test_normalize_prior(spark):
    rows = [(1, 2.0), (2, 6.0), (3, None), (4, float("nan")), (5, -1.0)]
    prior = spark.createDataFrame(rows, "person_id long, prior double")
    got = {r.person_id: r.prior for r in normalize_prior(prior).collect()}
    assert got == {1: 0.25, 2: 0.75, 3: 0.0, 4: 0.0, 5: 0.0}
    zeros = spark.createDataFrame([(1, 0.0), (2, None)], "person_id long, prior double")
    assert {r.person_id: r.prior for r in normalize_prior(zeros).collect()} == {1: 0.5, 2: 0.5}


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


def test_iteration_does_not_move_edges(spark):
    """The message join reads the cached edges and vertices in place: the only shuffle of an
    iteration is the inflow grouped by dst."""
    key = "spark.sql.autoBroadcastJoinThreshold"
    previous = spark.conf.get(key)
    spark.conf.set(key, "-1")  # plan as for a large graph
    try:
        edge_frame, prior_frame = frames(spark, HAND_EDGES, HAND_PRIOR)
        base = normalize_prior(prior_frame)
        links = propagation._cut(propagation._transition_links(edge_frame, base), "src", 2, True)
        table = propagation._vertex_table(base, links, None)
        vertices = propagation._cut(table, "person_id", 2, True)
        # Materialised, as before the first iteration: only then do the caches report a layout.
        links.count(), vertices.count()
        start = propagation._Iterate(None)
        first = propagation._propagate(links, propagation._ranks(vertices, start, 0.85))
        first_shuffles = shuffles(first)
        following = propagation._Iterate(first.persist(), 0.2)
        first.count()
        second = propagation._propagate(links, propagation._ranks(vertices, following, 0.85))
        second_shuffles = shuffles(second)
        measure_shuffles = shuffles(propagation._changes(vertices, start, following, 0.85))
        for cached in (first, links, vertices):
            cached.unpersist()
    finally:
        spark.conf.set(key, previous)
    for found in (first_shuffles, second_shuffles):
        assert len(found) == 1 and found[0].startswith("hashpartitioning(dst#")
    assert measure_shuffles == []
