"""A day's engagement graph (jobs/graph_queries.py) on the shared tiny lake, against networkx."""

from __future__ import annotations

import networkx as nx
from pyspark.sql import functions as F

from jobs.graph_queries import connected_components, engagement_graph, reciprocal_pairs


def test_the_graph_its_reciprocal_pairs_and_components_match_networkx(daily_run):
    _, lake, last = daily_run
    vertices, edges = engagement_graph(lake, last)
    stored = lake.read("edges").where((F.col("score_date") == F.lit(last)) & (F.col("dst") >= 0))
    rows = [(r.src, r.dst, r.weight) for r in edges.collect()]
    assert len(rows) == stored.count() > 0
    graph = nx.DiGraph()
    graph.add_weighted_edges_from(rows)
    ids = {r.id for r in vertices.collect()}
    assert ids == set(graph.nodes)
    scored = vertices.where(F.col("score").isNotNull()).count()
    assert 0 < scored <= len(ids)

    pairs = {(r.a, r.b): (r.weight_ab, r.weight_ba) for r in reciprocal_pairs(edges).collect()}
    expected = {
        (a, b): (graph[a][b]["weight"], graph[b][a]["weight"])
        for a, b in graph.edges
        if a < b and graph.has_edge(b, a)
    }
    assert pairs == expected and pairs  # the sample has engagement pods: some pairs exist

    labels = {r.id: r.component for r in connected_components(vertices, edges).collect()}
    components = list(nx.weakly_connected_components(graph))
    assert len(set(labels.values())) == len(components)
    for component in components:
        assert {labels[v] for v in component} == {min(component)}
