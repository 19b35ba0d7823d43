"""Deterministic power-law graphs for the propagation benchmark, their files, and GraphX on them.

A directed Chung-Lu graph: each edge draws its source from out-weights i^(-1/(gamma_out - 1)) and
its target from in-weights i^(-1/(gamma_in - 1)), each over its own random permutation of the
vertices, so in-degrees follow a power law of exponent ~gamma_in (a few accounts with hundreds of
thousands of reactors, most with a handful) and out-degrees a milder one. Self-loops and repeated
pairs are dropped (every engine then sees the same simple graph), vertices that no edge touches are
dropped and the rest renumbered 0..n-1, so GraphX (which only knows vertices with edges) and the
other engines rank the same vertex set. Edge weights are reaction-count-like (lognormal) and the
prior is lognormal with 10% zeros. Same arguments, same graph. Only `graphx_pagerank` uses Spark.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from pyspark.sql import SparkSession

GAMMA_IN = 2.1
GAMMA_OUT = 2.5


@dataclass(frozen=True)
class Graph:
    """Vertices 0..n-1 (ids[i] is vertex i's person id), edges as parallel arrays."""

    ids: np.ndarray  # int64, sorted, unique
    src: np.ndarray  # int64 indices 0..n-1
    dst: np.ndarray  # int64 indices 0..n-1
    weight: np.ndarray  # float64 > 0
    prior: np.ndarray  # float64 >= 0, length n

    @property
    def n(self) -> int:
        return int(self.ids.size)

    @property
    def m(self) -> int:
        return int(self.src.size)


def _sampler(n: int, gamma: float, rng: np.random.Generator) -> np.ndarray:
    """Cumulative power-law weights over a random permutation of 0..n-1 (for searchsorted)."""
    weights = np.arange(1, n + 1, dtype=np.float64) ** (-1.0 / (gamma - 1.0))
    cumulative = np.empty(n, dtype=np.float64)
    cumulative[rng.permutation(n)] = weights  # vertex id -> its weight, ids not sorted by degree
    np.cumsum(cumulative, out=cumulative)
    return cumulative / cumulative[-1]


def _unique(values: np.ndarray) -> np.ndarray:
    """Sorted distinct values (np.unique is ~100x slower here on 10M int64)."""
    ordered = np.sort(values)
    if ordered.size == 0:
        return ordered
    return ordered[np.concatenate([[True], ordered[1:] != ordered[:-1]])]


def _draw(cum: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    """`size` independent draws, in random order (sorted uniforms make searchsorted cache-friendly,
    the permutation then restores the independence of the pairing)."""
    picks = np.searchsorted(cum, np.sort(rng.random(size)), side="right")
    return rng.permutation(np.minimum(picks, cum.size - 1).astype(np.int64))


def _pairs(n: int, m: int, rng: np.random.Generator, out_cum, in_cum, taken=None) -> np.ndarray:
    """m distinct keys src * n + dst, no self-loops, none in `taken` (sorted keys)."""
    keys = np.empty(0, dtype=np.int64)
    while keys.size < m:
        want = int((m - keys.size) * 1.15) + 1000
        src, dst = _draw(out_cum, want, rng), _draw(in_cum, want, rng)
        fresh = (src * n + dst)[src != dst]
        if taken is not None:
            at = np.minimum(np.searchsorted(taken, fresh), taken.size - 1)
            fresh = fresh[taken[at] != fresh]
        keys = _unique(np.concatenate([keys, fresh]))
    if keys.size > m:  # an unbiased subset, kept in key order
        keys = np.sort(rng.choice(keys, size=m, replace=False))
    return keys


def _weights(size: int, rng: np.random.Generator) -> np.ndarray:
    return np.round(rng.lognormal(0.0, 1.0, size), 3) + 0.001


def power_law_graph(n_vertices: int, n_edges: int, seed: int = 7) -> Graph:
    """About n_vertices vertices (those touched by an edge) and exactly n_edges distinct edges."""
    if n_vertices < 2 or n_edges < 1:
        raise ValueError("need at least 2 vertices and 1 edge")
    if n_edges > n_vertices * (n_vertices - 1) // 4:
        raise ValueError(f"{n_edges} edges is too dense for {n_vertices} vertices")
    rng = np.random.default_rng([seed, 11])
    out_cum = _sampler(n_vertices, GAMMA_OUT, rng)
    in_cum = _sampler(n_vertices, GAMMA_IN, rng)
    keys = _pairs(n_vertices, n_edges, rng, out_cum, in_cum)
    src, dst = np.divmod(keys, n_vertices)
    del keys
    used = _unique(np.concatenate([src, dst]))
    src, dst = np.searchsorted(used, src), np.searchsorted(used, dst)
    n = used.size
    weight = _weights(src.size, rng)
    prior = rng.lognormal(0.0, 1.5, n) * (rng.random(n) >= 0.1)
    return Graph(np.arange(n, dtype=np.int64), src, dst, weight, prior)


def perturb(graph: Graph, fraction: float = 0.01, seed: int = 7) -> Graph:
    """The graph with fraction/2 of its edges removed and as many new ones added (same vertices):
    `fraction` of the edge set changes, as from one day to the next."""
    rng = np.random.default_rng([seed, 13])
    n, m = graph.n, graph.m
    k = max(1, int(round(m * fraction / 2)))
    keep = np.ones(m, dtype=bool)
    keep[rng.choice(m, size=k, replace=False)] = False
    # New pairs follow the graph's own degree profile: sample ends of existing edges.
    out_cum = np.cumsum(np.bincount(graph.src, minlength=n).astype(np.float64) + 0.01)
    in_cum = np.cumsum(np.bincount(graph.dst, minlength=n).astype(np.float64) + 0.01)
    taken = np.sort(graph.src * n + graph.dst)
    added = _pairs(n, k, rng, out_cum / out_cum[-1], in_cum / in_cum[-1], taken)
    new_src, new_dst = np.divmod(added, n)
    return Graph(
        graph.ids,
        np.concatenate([graph.src[keep], new_src]),
        np.concatenate([graph.dst[keep], new_dst]),
        np.concatenate([graph.weight[keep], _weights(k, rng)]),
        graph.prior,
    )


def write_parquet(graph: Graph, folder: Path) -> tuple[Path, Path]:
    """edges.parquet (src, dst, weight: person ids) and vertices.parquet (person_id, prior)."""
    folder.mkdir(parents=True, exist_ok=True)
    edges = pa.table(
        {"src": graph.ids[graph.src], "dst": graph.ids[graph.dst], "weight": graph.weight}
    )
    vertices = pa.table({"person_id": graph.ids, "prior": graph.prior})
    pq.write_table(edges, folder / "edges.parquet", row_group_size=1 << 20)
    pq.write_table(vertices, folder / "vertices.parquet")
    return folder / "edges.parquet", folder / "vertices.parquet"


def write_edge_list(graph: Graph, path: Path) -> Path:
    """`src dst` per line, person ids: the input of GraphX's GraphLoader.edgeListFile."""
    table = pa.table({"src": graph.ids[graph.src], "dst": graph.ids[graph.dst]})
    options = pacsv.WriteOptions(include_header=False, delimiter=" ", quoting_style="none")
    pacsv.write_csv(table, path, write_options=options)
    return path


def read_parquet(path: str | Path, seed: int = 7) -> Graph:
    """A graph from a parquet edge file (src, dst long; weight double, optional: 1.0). Vertices are
    the ids the edges touch; an optional sibling `vertices.parquet` (person_id, prior) gives the
    prior, otherwise it is drawn like power_law_graph's."""
    table = pq.read_table(path)
    src_ids = table.column("src").to_numpy().astype(np.int64)
    dst_ids = table.column("dst").to_numpy().astype(np.int64)
    if "weight" in table.column_names:
        weight = table.column("weight").to_numpy().astype(np.float64)
    else:
        weight = np.ones(src_ids.size)
    del table
    ids = _unique(np.concatenate([src_ids, dst_ids]))
    src, dst = np.searchsorted(ids, src_ids), np.searchsorted(ids, dst_ids)
    sibling = Path(path).parent / "vertices.parquet"
    if Path(path).is_file() and sibling.is_file():
        vertices = pq.read_table(sibling)
        known = vertices.column("person_id").to_numpy().astype(np.int64)
        values = vertices.column("prior").to_numpy().astype(np.float64)
        prior = np.zeros(ids.size)
        at = np.searchsorted(ids, known)
        found = (at < ids.size) & (ids[np.minimum(at, ids.size - 1)] == known)
        prior[at[found]] = values[found]
    else:
        rng = np.random.default_rng([seed, 17])
        prior = rng.lognormal(0.0, 1.5, ids.size) * (rng.random(ids.size) >= 0.1)
    return Graph(ids, src, dst, weight, prior)


def graphx_pagerank(
    spark: SparkSession, graph: Graph, folder: Path, iterations: int, reset: float, partitions: int
) -> tuple[float, float, np.ndarray]:
    """(load s, PageRank s, ranks over graph.ids, NaN where missing): GraphX's
    `PageRank.run(graph, iterations, reset)` on `GraphLoader.edgeListFile`, through py4j. Both
    calls are Scala object methods, reached by their static forwarders; the ClassTags are Int's
    (edgeListFile makes a Graph[Int, Int]). Only the PageRank is in the second figure."""
    sc = spark.sparkContext
    jvm = sc._jvm
    level = jvm.org.apache.spark.storage.StorageLevel.MEMORY_ONLY()
    int_tag = jvm.scala.reflect.ClassTag.Int()
    folder.mkdir(parents=True, exist_ok=True)
    path = write_edge_list(graph, folder / "edges.txt").resolve().as_uri()
    started = time.perf_counter()
    loader = jvm.org.apache.spark.graphx.GraphLoader
    loaded = loader.edgeListFile(sc._jsc.sc(), path, False, partitions, level, level)
    loaded.vertices().count()
    load_s, started = time.perf_counter() - started, time.perf_counter()
    pagerank = jvm.org.apache.spark.graphx.lib.PageRank
    ranked = pagerank.run(loaded, iterations, reset, int_tag, int_tag)
    ranked.vertices().count()
    run_s = time.perf_counter() - started
    ranks_dir = folder / "ranks"
    shutil.rmtree(ranks_dir, ignore_errors=True)  # a kept workdir holds the last run's
    ranked.vertices().saveAsTextFile(ranks_dir.resolve().as_uri())  # "(id,rank)" lines
    ranked.unpersist(False), loaded.unpersist(False)
    text = "".join(p.read_text() for p in sorted(ranks_dir.glob("part-*")))
    pairs = np.array(text.replace("(", "").replace(")", ",").split(",")[:-1], dtype=np.float64)
    ranks = np.full(graph.n, np.nan)
    ranks[np.searchsorted(graph.ids, pairs[0::2].astype(np.int64))] = pairs[1::2]
    return load_s, run_s, ranks


def ranks_vector(frame: Any, ids: np.ndarray) -> np.ndarray:
    """A (person_id, rank) DataFrame as a vector over ids (NaN where missing)."""
    pdf = frame.select("person_id", "rank").toPandas()
    vector = np.full(ids.size, np.nan)
    vector[np.searchsorted(ids, pdf["person_id"].to_numpy())] = pdf["rank"].to_numpy()
    return vector


def graphx_agreement(graphx: np.ndarray, ours: np.ndarray) -> dict[str, float]:
    """GraphX's ranks (sum N, dangling mass not redistributed) against ours (sum 1) where known:
    rank sum, Pearson and Spearman correlation, max |difference| once both sum to 1."""
    known = ~np.isnan(graphx)
    theirs, ours = graphx[known], ours[known]
    order = lambda v: np.argsort(np.argsort(v, kind="stable"), kind="stable")  # noqa: E731
    return {
        "graphx_vertices": int(known.sum()),
        "graphx_rank_sum": float(theirs.sum()),
        "graphx_pearson": float(np.corrcoef(theirs, ours)[0, 1]),
        "graphx_spearman": float(np.corrcoef(order(theirs), order(ours))[0, 1]),
        "graphx_max_abs_diff": float(np.abs(theirs / theirs.sum() - ours).max()),
    }


# ------------------------------------------------------------------ reporting helpers
def normalized_diff(got: np.ndarray, want: np.ndarray) -> float:
    """max |got / sum(got) - want| (NaN where got has no rank: reported as missing)."""
    return float(np.nanmax(np.abs(got / np.nansum(got) - want)))
