"""Weighted, personalized PageRank over the person-level engagement graph.

Reference implementation with Spark DataFrames. One iteration is

    x'(v) = alpha * (sum_{u -> v} x(u) * w(u, v) / out_weight(u) + D * p(v)) + (1 - alpha) * p(v)

with p the normalised prior (teleport / personalization vector) and D the rank held by dangling
vertices (no out-edges), redistributed like the teleport. This equals networkx.pagerank(G, alpha,
personalization=prior, weight="weight", dangling=None, nstart=initial): convergence when the L1
change < N * tol; reaching max_iter is reported, not raised.

Scale: the normalised edges are computed once, hash-partitioned by src, sorted within
the partitions and cached; the vertex table is laid out the same way by person_id, so the
per-iteration join of edges and ranks moves no edge. The per-iteration shuffle is the inflow grouped
by dst, which map-side partial aggregation shrinks to at most one row per (partition, dst); that
also keeps celebrity accounts with millions of in-edges from skewing it. Only scalars (L1 change,
dangling mass, counts) reach the driver.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from pyspark import StorageLevel
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from transforms.pagerank.result import (
    LEVEL,
    PageRankParams,
    PageRankResult,
    check_checkpoint_every,
    checkpoint,
    has_checkpoint_dir,
)

log = logging.getLogger(__name__)


def normalize_prior(prior: DataFrame) -> DataFrame:
    """person_id, prior scaled to sum 1 (all zero -> uniform). Lazy: the totals are a one-row
    broadcast aggregate, not a driver round trip."""
    # Null, NaN or negative priors are outside the contract; as 0 they keep p a distribution.
    # (NaN first: Spark orders NaN above every number, so a comparison would let it through.)
    raw = F.nanvl(F.col("prior").cast("double"), F.lit(0.0))
    mass = F.coalesce(F.when(raw > 0, raw), F.lit(0.0))
    clean = prior.select(F.col("person_id").cast("long").alias("person_id"), mass.alias("prior"))
    totals = clean.agg(F.sum("prior").alias("total"), F.count(F.lit(1)).alias("n"))
    share = F.when(F.col("total") > 0, F.col("prior") / F.col("total"))
    share = share.otherwise(F.lit(1.0) / F.col("n"))
    return clean.crossJoin(F.broadcast(totals)).select("person_id", share.alias("prior"))


def _transition_links(edges: DataFrame, vertex_ids: DataFrame) -> DataFrame:
    """src, dst, w = weight / out-weight of src, for the edges between known vertices."""
    known_src = vertex_ids.select(F.col("person_id").alias("src"))
    known_dst = vertex_ids.select(F.col("person_id").alias("dst"))
    typed = edges.select(
        F.col("src").cast("long").alias("src"),
        F.col("dst").cast("long").alias("dst"),
        F.col("weight").cast("double").alias("weight"),
    )
    # weight <= 0 (or NaN, which Spark orders above every number) carries no probability.
    positive = (F.col("weight") > 0) & ~F.isnan(F.col("weight"))
    valid = typed.where(positive).join(known_src, on="src", how="left_semi")
    valid = valid.join(known_dst, on="dst", how="left_semi")
    out_weight = valid.groupBy("src").agg(F.sum("weight").alias("out_weight"))
    return valid.join(out_weight, on="src", how="inner").select(
        "src", "dst", (F.col("weight") / F.col("out_weight")).alias("w")
    )


def _vertex_table(base: DataFrame, links: DataFrame, initial: DataFrame | None) -> DataFrame:
    """person_id, prior, dangling, rank (the start vector, sums to 1)."""
    senders = links.select(F.col("src").alias("person_id"), F.lit(True).alias("has_out"))
    flagged = base.join(senders.distinct(), on="person_id", how="left").select(
        "person_id", "prior", F.col("has_out").isNull().alias("dangling")
    )
    if initial is None:
        # Uniform start, as networkx does without nstart (so iteration counts match too).
        raw: Column = F.lit(1.0)
        seeded = flagged
    else:
        # A null or NaN rank is no rank (the vertex starts at its prior); a negative one is 0.
        rank = F.nanvl(F.col("rank").cast("double"), F.lit(None).cast("double"))
        warm = initial.select(
            F.col("person_id").cast("long").alias("person_id"),
            F.when(rank < 0, F.lit(0.0)).otherwise(rank).alias("warm"),
        )
        seeded = flagged.join(warm, on="person_id", how="left")
        # A vertex new since the warm start begins at its prior mass: its share of the teleport.
        raw = F.coalesce(F.col("warm"), F.col("prior"))
    totals = seeded.agg(F.sum(raw).alias("total"), F.count(F.lit(1)).alias("n"))
    start = F.when(F.col("total") > 0, raw / F.col("total")).otherwise(F.lit(1.0) / F.col("n"))
    return seeded.crossJoin(F.broadcast(totals)).select(
        "person_id", "prior", "dangling", start.alias("rank")
    )


@dataclass(frozen=True)
class _Iterate:
    """The rank vector of one iteration in closed form: alpha * inflow + scale * prior.

    The chain of iterations only carries `inflow` (person_id, inflow; vertices with in-edges), so
    each iteration's plan refers to the previous one once. A state frame that fed both the message
    join and its own successor would double the logical plan at every iteration.
    """

    inflow: DataFrame | None  # None: the start vector (the vertex table's rank column)
    scale: float = 0.0  # alpha * dangling mass + (1 - alpha): teleport and dangling both follow p


def _ranks(vertices: DataFrame, it: _Iterate, alpha: float) -> DataFrame:
    """person_id, dangling, rank: the full vector of an iterate (in the vertices' layout)."""
    if it.inflow is None:
        return vertices.select("person_id", "dangling", "rank")
    inflow = F.coalesce(F.col("inflow"), F.lit(0.0))
    rank = F.lit(alpha) * inflow + F.lit(it.scale) * F.col("prior")
    joined = vertices.join(it.inflow.hint("merge"), on="person_id", how="left")
    return joined.select("person_id", "dangling", rank.alias("rank"))


def _propagate(links: DataFrame, ranks: DataFrame) -> DataFrame:
    """person_id, inflow = sum over in-edges u -> v of rank(u) * w(u, v)."""
    # Both sides are hash-partitioned and sorted by the vertex id, so a sort-merge join moves and
    # sorts no edge; the hint keeps size estimates from picking a broadcast (a job per iteration).
    sources = ranks.select(F.col("person_id").alias("src"), "rank")
    messages = links.join(sources.hint("merge"), on="src", how="inner")
    inflow = messages.groupBy("dst").agg(F.sum(F.col("w") * F.col("rank")).alias("inflow"))
    return inflow.select(F.col("dst").alias("person_id"), "inflow")


def _changes(vertices: DataFrame, before: _Iterate, after: _Iterate, alpha: float) -> DataFrame:
    """person_id, dangling, rank (after), old_rank (before); both sides in the vertices' layout."""
    old = _ranks(vertices, before, alpha).select("person_id", F.col("rank").alias("old_rank"))
    return _ranks(vertices, after, alpha).join(old.hint("merge"), on="person_id", how="inner")


def _measure(
    vertices: DataFrame, before: _Iterate, after: _Iterate, alpha: float
) -> tuple[float, float]:
    """(L1 change, dangling mass of `after`) in one job; it also materialises after.inflow."""
    totals = _changes(vertices, before, after, alpha).agg(
        F.sum(F.abs(F.col("rank") - F.col("old_rank"))).alias("l1"),
        F.sum(F.when(F.col("dangling"), F.col("rank"))).alias("dangling_mass"),
    )
    row = totals.first()
    assert row is not None  # a global aggregate always yields one row
    return float(row["l1"] or 0.0), float(row["dangling_mass"] or 0.0)


def _cut(df: DataFrame, key: str, num_partitions: int, reliable: bool) -> DataFrame:
    """df checkpointed, then laid out by `key` (hash partitions, sorted within them) and cached.

    The checkpoint bounds the plan as well as the lineage. With AQE (on by default), the plan
    description of a chain of cached frames doubles with every link, since each cached AQE plan is
    printed with both its initial and its final plan, and Spark renders it for each query stage.
    A checkpointed frame reports no partitioning under AQE, though, while a cached one keeps it:
    hence one shuffle of this frame to lay it out again, and a cache.
    """
    # Only the re-layout below reads the local checkpoint, so it need not take memory.
    checkpointed = checkpoint(df, reliable, StorageLevel.DISK_ONLY)
    laid_out = checkpointed.repartition(num_partitions, key).sortWithinPartitions(key)
    return laid_out.persist(LEVEL)


@dataclass(frozen=True)
class _Graph:
    """The cached iteration inputs: transition links by src, vertices by person_id."""

    links: DataFrame
    vertices: DataFrame
    n_vertices: int
    n_edges: int
    dangling_mass: float  # of the start vector
    partitions: int
    reliable: bool  # checkpoints to the checkpoint dir, else local ones


def _prepare(
    edges: DataFrame, prior: DataFrame, initial: DataFrame | None, partitions: int
) -> _Graph:
    """The links and the vertex table (with the start vector), laid out and cached; counted."""
    reliable = has_checkpoint_dir(edges)
    base = normalize_prior(prior).persist(LEVEL)
    links = _cut(_transition_links(edges, base), "src", partitions, reliable)
    vertices = _cut(_vertex_table(base, links, initial), "person_id", partitions, reliable)
    edge_count = links.count()
    dangling_rank = F.sum(F.when(F.col("dangling"), F.col("rank")))
    counts = vertices.agg(F.count(F.lit(1)).alias("n"), dangling_rank.alias("dm")).first()
    assert counts is not None
    base.unpersist()
    n_vertices, dangling_mass = int(counts["n"]), float(counts["dm"] or 0.0)
    return _Graph(links, vertices, n_vertices, edge_count, dangling_mass, partitions, reliable)


def _iterate(
    graph: _Graph, params: PageRankParams, checkpoint_every: int
) -> tuple[_Iterate, list[float], bool]:
    """Power iterations until converged or max_iter: (last iterate, L1 changes, converged)."""
    alpha, threshold = params.alpha, graph.n_vertices * params.tol
    current, history, dangling_mass = _Iterate(None), [], graph.dangling_mass
    converged = graph.n_vertices == 0  # nothing to rank is a fixed point already
    while not converged and len(history) < params.max_iter:
        tick = time.monotonic()
        inflow = _propagate(graph.links, _ranks(graph.vertices, current, alpha))
        if (len(history) + 1) % checkpoint_every == 0:
            inflow = _cut(inflow, "person_id", graph.partitions, graph.reliable)
        else:
            inflow = inflow.persist(LEVEL)
        following = _Iterate(inflow, alpha * dangling_mass + (1.0 - alpha))
        l1_change, dangling_mass = _measure(graph.vertices, current, following, alpha)
        # Only now is the new inflow materialised, so the previous one may go.
        if current.inflow is not None:
            current.inflow.unpersist()
        current = following
        history.append(l1_change)
        converged = l1_change < threshold
        log.info(
            "pagerank iteration %d: l1 change %.3e (threshold %.3e), dangling mass %.4f, %.2fs",
            len(history), l1_change, threshold, dangling_mass, time.monotonic() - tick,
        )  # fmt: skip
    return current, history, converged


def personalized_pagerank(
    edges: DataFrame,
    prior: DataFrame,
    params: PageRankParams,
    *,
    checkpoint_every: int,
    initial: DataFrame | None = None,
    num_partitions: int | None = None,
) -> PageRankResult:
    """Weighted personalized PageRank of the vertices of `prior` over `edges`.

    edges: src, dst, weight > 0 (actor -> target); edges touching a vertex absent from the prior
    are ignored. prior: person_id (unique), prior >= 0 of any scale; all zero -> uniform.
    initial: optional person_id (unique), rank warm start of any scale; vertices missing from it
    (or with a null rank) start at their prior mass.
    checkpoint_every: iterations between lineage cuts (reliable checkpoints when the SparkContext
    has a checkpoint dir, local ones otherwise); keep it small, the per-query planning overhead
    doubles with each iteration in between.
    num_partitions: partitions of the cached edges and vertices (default:
    spark.sql.shuffle.partitions, which the inflow's aggregation uses too, so that it lines up).
    """
    check_checkpoint_every(checkpoint_every)
    if num_partitions is None:
        num_partitions = int(edges.sparkSession.conf.get("spark.sql.shuffle.partitions") or 200)
    started = time.monotonic()
    graph = _prepare(edges, prior, initial, num_partitions)
    log.info(
        "pagerank: %d vertices, %d edges, alpha=%s, tol=%s, max_iter=%d, %s checkpoints every %d",
        graph.n_vertices, graph.n_edges, params.alpha, params.tol, params.max_iter,
        "reliable" if graph.reliable else "local", checkpoint_every,
    )  # fmt: skip
    current, history, converged = _iterate(graph, params, checkpoint_every)
    # The result gets its own checkpoint, so it does not lean on the caches released below.
    final = _ranks(graph.vertices, current, params.alpha).select("person_id", "rank")
    ranks = checkpoint(final, graph.reliable)
    for cached in (current.inflow, graph.vertices, graph.links):
        if cached is not None:
            cached.unpersist()
    l1_last = history[-1] if history else 0.0
    (log.info if converged else log.warning)(
        "pagerank %s after %d iterations (l1 change %.3e) in %.1fs",
        "converged" if converged else "did not converge", len(history), l1_last,
        time.monotonic() - started,
    )  # fmt: skip
    return PageRankResult(ranks, len(history), converged, l1_last, history)
