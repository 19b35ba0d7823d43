"""A day's engagement graph for data scientists: the graph, its reciprocal pairs, its components.

    from jobs.graph_queries import engagement_graph, reciprocal_pairs, connected_components
    vertices, edges = engagement_graph(lake, date(2026, 11, 20))
    connected_components(vertices, edges).groupBy("component").count()

Plain DataFrames, so that they run over Spark Connect as in a classic session. The columns are
GraphFrames' (`id`; `src`, `dst`): where a cluster has the GraphFrames JARs, `GraphFrame(vertices,
edges)` takes them as they are.
"""

from __future__ import annotations

import datetime as dt

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from jobs.lake import Lake

SINK = -1  # the edges' sink vertex (docs/SCORING.md §4), not a person


def engagement_graph(lake: Lake, date: dt.date) -> tuple[DataFrame, DataFrame]:
    """(vertices, edges) of `date`: people with their score (null: in the graph, not scored)
    and the window's reactions src -> dst with their weight; the sink left out."""
    edges = (
        lake.read_day("edges", date)
        .where(F.col("dst") != F.lit(SINK))
        .select(F.col("src"), F.col("dst"), F.col("weight"))
    )
    ends = edges.select(F.col("src").alias("id")).union(edges.select(F.col("dst").alias("id")))
    scores = lake.read_day("scores", date).select(
        F.col("person_id").alias("id"), F.col("score"), F.col("percentile")
    )
    vertices = ends.distinct().join(scores, on="id", how="left")
    return vertices, edges


def reciprocal_pairs(edges: DataFrame) -> DataFrame:
    """Pairs who react to each other (the motif (a)-[]->(b); (b)-[]->(a)), once per pair with
    a < b: a, b, weight_ab, weight_ba."""
    forth = edges.select(F.col("src").alias("a"), F.col("dst").alias("b"), F.col("weight"))
    back = edges.select(
        F.col("dst").alias("a"), F.col("src").alias("b"), F.col("weight").alias("weight_ba")
    )
    return (
        forth.where(F.col("a") < F.col("b"))
        .join(back, on=["a", "b"], how="inner")
        .select(F.col("a"), F.col("b"), F.col("weight").alias("weight_ab"), F.col("weight_ba"))
    )


def connected_components(vertices: DataFrame, edges: DataFrame) -> DataFrame:
    """Weakly connected components: id, component (the smallest id in it). Each pass gives
    every vertex the smallest label among itself and its neighbours, until none changes (at
    most the graph's diameter passes)."""
    links = edges.select(F.col("src").alias("id"), F.col("dst").alias("other"))
    links = links.union(links.select(F.col("other").alias("id"), F.col("id").alias("other")))
    links = links.distinct().localCheckpoint()
    labels = vertices.select(F.col("id"), F.col("id").alias("component")).localCheckpoint()
    while True:
        offered = links.join(labels.withColumnRenamed("id", "other"), on="other", how="inner")
        best = offered.groupBy("id").agg(F.min("component").alias("offered"))
        moved = (
            labels.join(best, on="id", how="left")
            .select(F.col("id"), F.least(F.col("component"), F.col("offered")).alias("component"))
            .localCheckpoint()
        )
        changed = moved.join(labels, on=["id", "component"], how="left_anti").count()
        labels = moved
        if changed == 0:
            return labels
