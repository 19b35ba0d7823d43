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
from pagerank_oracles import (
    BIG,
    CHECKPOINT_EVERY,
    DANGLING,
    HAND_EDGES,
    HAND_PRIOR,
    NOISE,
    assert_close,
    collected,
    frames,
    local_pagerank,
    nx_pagerank,
    params,
    random_graph,
    shuffles,
    warm_start_case,
)

from transforms.pagerank import reference as propagation
from transforms.pagerank.power_iteration import pagerank_arrays
from transforms.pagerank.reference import normalize_prior, personalized_pagerank


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
        np.zeros(0), np.zeros(0), np.zeros(0), 0, np.zeros(0), params()
    )
    assert ranks.size == 0 and converged and iterations == 0
    for bad in ({"max_iter": 0}, {"alpha": 1.5}, {"tol": -1.0}):
        with pytest.raises(ValueError, match=next(iter(bad))):
            params(**bad)


# ------------------------------------------------------------------------------------ Spark
def test_spark_follows_local_iterations_on_random_graph(spark):
    """200 vertices, 1500 edges; stopped at max_iter, equal to the local run at every step."""
    edge_list, prior_map = random_graph(5)
    edges, prior = frames(spark, edge_list, prior_map)
    result = personalized_pagerank(edges, prior, params(tol=1e-13, max_iter=3), checkpoint_every=2)
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
    result = personalized_pagerank(
        edges, prior, params(tol=1e-11), checkpoint_every=CHECKPOINT_EVERY, initial=initial
    )
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
    result = personalized_pagerank(edges, prior, params(tol=1e-13, max_iter=3), checkpoint_every=2)
    assert (result.iterations, result.converged) == (3, False)
    expected, _, _ = local_pagerank(HAND_EDGES, prior_map, tol=1e-13, max_iter=3)
    assert_close(collected(result.ranks), expected, atol=1e-13)


def test_spark_empty_prior(spark):
    edges, prior = frames(spark, HAND_EDGES, {})
    result = personalized_pagerank(edges, prior, params(), checkpoint_every=CHECKPOINT_EVERY)
    assert (result.iterations, result.converged, result.history) == (0, True, [])
    assert result.ranks.count() == 0


def test_normalize_prior(spark):
    rows = [(1, 2.0), (2, 6.0), (3, None), (4, float("nan")), (5, -1.0)]
    prior = spark.createDataFrame(rows, "person_id long, prior double")
    got = {r.person_id: r.prior for r in normalize_prior(prior).collect()}
    assert got == {1: 0.25, 2: 0.75, 3: 0.0, 4: 0.0, 5: 0.0}
    zeros = spark.createDataFrame([(1, 0.0), (2, None)], "person_id long, prior double")
    assert {r.person_id: r.prior for r in normalize_prior(zeros).collect()} == {1: 0.5, 2: 0.5}


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
