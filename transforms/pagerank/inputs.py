"""The PageRank engines' inputs: typed and screened the same way for the blocked and single
engines (and as the reference engine reads them): what a row must hold to count at all; then,
for the blocked engine, laid out once (its setup queries: vertex blocks, then the cached graph
of tiles and first messages; the kernels are in block_layout)."""

from __future__ import annotations

import functools
import math

import numpy as np
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from transforms.pagerank import block_layout as tiles
from transforms.pagerank import block_steps as blk
from transforms.pagerank.result import LEVEL


def typed_edges(edges: DataFrame) -> DataFrame:
    """src, dst long, weight double; only edges that can carry probability."""
    typed = edges.select(
        F.col("src").cast("long").alias("src"),
        F.col("dst").cast("long").alias("dst"),
        F.col("weight").cast("double").alias("weight"),
    )
    # weight <= 0 (or NaN, which Spark orders above every number) carries no probability.
    usable = F.col("src").isNotNull() & F.col("dst").isNotNull()
    return typed.where(usable & (F.col("weight") > 0) & ~F.isnan(F.col("weight")))


def typed_vertices(frame: DataFrame, column: str) -> DataFrame:
    """person_id long, value double (the prior or the warm rank; null kept, the engines decide)."""
    value = F.col(column).cast("double").alias("value")
    typed = frame.select(F.col("person_id").cast("long").alias("person_id"), value)
    return typed.where(F.col("person_id").isNotNull())


def vertex_blocks(
    prior: DataFrame, initial: DataFrame | None, keys: list[int]
) -> tuple[DataFrame, np.ndarray, tiles.Start | None]:
    """Cached vertex blocks, the dense-index offsets per block, the normalisation scalars."""
    pack = functools.partial(tiles.pack_vertices, blocks=len(keys), keys=keys)
    schema, own = tiles.VERTEX_PACK_SCHEMA, functools.partial(pack, part=tiles.PRIOR)
    rows = typed_vertices(prior, "prior").mapInArrow(own, schema)
    if initial is not None:
        warm = functools.partial(pack, part=tiles.WARM)
        rows = rows.unionByName(typed_vertices(initial, "rank").mapInArrow(warm, schema))
    warm_start = initial is not None

    def kernel(rows):  # not a partial: pyspark 4.2 reads this UDF's form from its type hints
        return tiles.vertex_block(rows, warm_start=warm_start)

    vblocks = rows.groupBy("key").applyInArrow(kernel, tiles.VBLOCK_SCHEMA).persist(LEVEL)
    found = {row["key"]: row for row in vblocks.drop("blob").collect()}  # B rows of scalars
    ordered = [found[key] for key in keys if key in found]
    sizes = [found[key]["n"] if key in found else 0 for key in keys]
    offsets = np.r_[0, np.cumsum(sizes, dtype=np.int64)].astype(np.int64)
    n = int(offsets[-1])
    if n == 0:
        return vblocks, offsets, None
    prior_total = math.fsum(row["prior_sum"] for row in ordered)
    warm_total = None
    if warm_start:
        if prior_total > 0.0:
            missing = math.fsum(row["miss_prior"] for row in ordered) / prior_total
        else:
            missing = sum(row["miss_n"] for row in ordered) / n
        warm_total = math.fsum(row["warm_sum"] for row in ordered) + missing
    return vblocks, offsets, tiles.Start(n, prior_total, warm_total)


def cached_graph(
    edges: DataFrame,
    vblocks: DataFrame,
    keys: list[int],
    offsets: np.ndarray,
    start: tiles.Start,
    store: tuple | None,
) -> DataFrame:
    """The cached tiles and vertex data per block, with the first iteration's messages."""
    blocks = len(keys)
    pack = functools.partial(tiles.pack_edges, blocks=blocks, keys=keys)
    packed = typed_edges(edges).mapInArrow(pack, tiles.EDGE_PACK_SCHEMA)
    index_type = "int32" if start.vertices < 2**31 else "int64"
    resolve = functools.partial(
        tiles.resolve_dst, blocks=blocks, keys=keys, offsets=offsets, index_type=index_type
    )
    vertices = vblocks.select("key", "blob").groupBy("key")
    by_source = packed.groupBy("key").cogroup(vertices)
    by_source = by_source.applyInArrow(resolve, tiles.EDGE_PACK_SCHEMA)
    build = functools.partial(
        tiles.build_graph, keys=keys, offsets=offsets, start=start, store=store,
        tile_edges=blk.TILE_EDGES,
    )  # fmt: skip
    built = by_source.groupBy("key").cogroup(vertices).applyInArrow(build, blk.GRAPH_SCHEMA)
    if store is not None:  # iterations read their blocks elsewhere: cached as built
        return built.persist(LEVEL)
    # Laid out by block key and sorted, then cached: each iteration's cogroup reads it in place
    # (Spark cannot know that the build's output is grouped so already: one exchange, once).
    partitions = int(edges.sparkSession.conf.get("spark.sql.shuffle.partitions"))
    return built.repartition(partitions, "key").sortWithinPartitions("key").persist(LEVEL)
