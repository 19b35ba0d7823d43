"""Blocked personalized PageRank: the fast distributed engine (same semantics as the reference).

Why: a DataFrame iteration (transforms/pagerank/reference.py) pays about a microsecond per edge and
iteration in row-at-a-time joins and aggregations. Here an iteration runs a sparse
matrix-vector product per block inside Spark tasks (nanoseconds per edge) and moves rank vectors,
not rows:

  setup    vertices hash to B blocks whose ids are sorted, so a vertex gets a dense index
           offsets[b] + i without any driver collect; edges are packed by destination block
           (their destination gets its dense index), then by source block, where they become
           CSR tiles, cached once and laid out by block key on P partitions.
  iterate  one Spark job: for each block, the messages sent to it (PARTIAL inflows from the
           source blocks, its own SELF ranks: the only data shuffled) grouped, with its tiles
           resident in the Python worker (block_steps says how, and what happens on a miss:
           the iteration is redone as a cogroup with the cached tiles, read in place) -> its new
           ranks (SELF), their L1 change and dangling mass (STATS: B rows of scalars, all the
           driver collects) and the next iteration's PARTIALs from its tiles. The output is a
           local checkpoint: a short plan, a short lineage, released once the next iteration
           has read it.
  finish   ranks joined back to person ids per block, checkpointed.

A celebrity with millions of reactors costs one partial value per source tile; a block's work is
its out-edges, and a tile holds at most TILE_EDGES of them. With a checkpoint dir, the state is
also checkpointed reliably every checkpoint_every iterations, and an iteration that fails (say,
an executor lost with its local checkpoints) resumes from there once. See docs/SCORING.md §6.
"""

from __future__ import annotations

import functools
import logging
import math
import shutil
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from transforms.pagerank import block_layout as tiles
from transforms.pagerank import block_steps as blk
from transforms.pagerank.inputs import cached_graph, vertex_blocks
from transforms.pagerank.result import (
    LEVEL,
    PageRankResult,
    checkpoint,
    has_checkpoint_dir,
    validate_params,
)

log = logging.getLogger(__name__)

# Edges per block by default (~100 MB of tiles): big enough that per-block overheads vanish,
# small enough for a Python worker's memory.
TARGET_BLOCK_EDGES = 8_000_000
RANKS_SCHEMA = "person_id long, rank double"


def _struct(ddl: str) -> T.StructType:
    """A DDL schema as a StructType, parsed here: pyspark parses a DDL string in the JVM, one
    more round trip per query."""
    types = {"int": T.IntegerType(), "byte": T.ByteType(), "long": T.LongType()}
    types.update(double=T.DoubleType(), binary=T.BinaryType())
    fields = [part.strip().split(" ") for part in ddl.split(",")]
    return T.StructType([T.StructField(name, types[kind]) for name, kind in fields])


STEP_TYPE = _struct(blk.STEP_SCHEMA)


def default_blocks(edge_count: int, partitions: int) -> int:
    """The smallest multiple of the parallelism holding <= TARGET_BLOCK_EDGES edges per block."""
    return partitions * max(1, math.ceil(edge_count / (partitions * TARGET_BLOCK_EDGES)))


def parallelism(spark: SparkSession) -> int:
    try:
        return int(spark.sparkContext.defaultParallelism)
    except Exception:  # Spark Connect has no SparkContext
        return int(spark.conf.get("spark.sql.shuffle.partitions") or 200)


@contextmanager
def _engine_conf(spark: SparkSession, partitions: int) -> Iterator[None]:
    """Session settings for the engine's own queries, restored afterwards."""
    settings = {
        # AQE would re-plan the cached tiles' query stages and coalesce the block exchanges
        # that the layout relies on; the engine sizes its exchanges itself.
        "spark.sql.adaptive.enabled": "false",
        # Every exchange is by block key: one partition per core (partition_keys spreads them).
        "spark.sql.shuffle.partitions": str(partitions),
        # Int.MaxValue switches off the byte limit per Arrow batch, which Spark enforces by
        # sizing the whole batch after every row written: 3x slower packing of the edges.
        "spark.sql.execution.arrow.maxBytesPerBatch": str(2**31 - 1),
    }
    previous = {key: spark.conf.get(key, None) for key in settings}  # None: not set
    for key, value in settings.items():
        spark.conf.set(key, value)
    try:
        yield
    finally:
        for key, value in previous.items():
            if value is None:
                spark.conf.unset(key)
            else:
                spark.conf.set(key, value)


def _kind(*kinds: int):
    return F.col("kind").isin(*kinds)


def _totals(frame: DataFrame, keys: list[int], *columns: str) -> list[float]:
    """Sums of STATS columns over the blocks, in block order (a deterministic float sum)."""
    rows = frame.where(_kind(blk.STATS)).select("key", *columns).collect()
    found = {row["key"]: row for row in rows}
    ordered = [found[key] for key in keys if key in found]
    return [math.fsum(float(row[c] or 0.0) for row in ordered) for c in columns]


def _release(frame: DataFrame | None) -> None:
    """Drop a local checkpoint's blocks now: DataFrame.unpersist does not reach them, and the
    ContextCleaner only would once the driver's JVM garbage-collects the RDD."""
    if frame is None:
        return
    try:
        frame._jdf.queryExecution().logical().rdd().unpersist(False)
    except Exception:  # not a local checkpoint (or Spark Connect): nothing held
        frame.unpersist()


def _run(step: DataFrame, keys: list[int], *columns: str) -> tuple[DataFrame, list[float]]:
    """An iteration's output as a local checkpoint, and its STATS totals. Not eager: the STATS
    collect is the one job that computes and stores it."""
    following = step.localCheckpoint(eager=False, storageLevel=LEVEL)
    try:
        return following, _totals(following, keys, *columns)
    except Exception:
        _release(following)
        raise


def _step(
    messages: DataFrame, shipped: DataFrame, store: tuple | None, keys: list[int], **kw
) -> tuple[DataFrame, list[float], bool]:
    """One iteration's output, its totals (l1, dm, kernel seconds) and whether the tiles were
    shipped: from the resident blocks if each was resident where its task ran, else redone
    with the tiles shipped from the cached graph (which makes them resident there)."""
    grouped, columns = messages.groupBy("key"), ("l1", "dm", "t")
    if store is not None:

        def kernel(rows):  # not a partial: pyspark 4.2 reads this UDF's form from its type hints
            return blk.step_resident(rows, store=store, keys=keys, **kw)

        following, totals = _run(grouped.applyInArrow(kernel, STEP_TYPE), keys, *columns, "miss")
        if not totals[-1]:
            return following, totals[:-1], False
        log.info("blocked pagerank: %d blocks not resident, tiles shipped", totals[-1])
        _release(following)
    kernel = functools.partial(blk.step, store=store, keys=keys, **kw)
    following, totals = _run(
        shipped.cogroup(grouped).applyInArrow(kernel, STEP_TYPE), keys, *columns
    )
    return following, totals, True


def blocked_pagerank(
    edges: DataFrame,
    prior: DataFrame,
    *,
    alpha: float = 0.85,
    tol: float = 1e-10,
    max_iter: int = 100,
    checkpoint_every: int = 5,
    initial: DataFrame | None = None,
    blocks: int | None = None,
    resident: bool = True,
    tile_dir: str | None = None,
    timings: dict | None = None,
) -> PageRankResult:
    """Weighted personalized PageRank of the vertices of `prior` over `edges`: the contract and
    results of transforms.pagerank.reference.personalized_pagerank, computed block-wise.

    blocks: vertex blocks (default: from the edge count and spark.default.parallelism).
    checkpoint_every: iterations between reliable checkpoints of the rank state (only with a
    checkpoint dir), the point an iteration that fails resumes from. resident: keep the tiles in
    the Python workers (else every iteration ships them from the cache); tile_dir: where their
    files go (default: each executor's local dir). timings, when given, receives the phases in
    seconds: relabel (vertex blocks, dense ids), setup (edge tiles, first messages), iterations
    (wall per iteration), kernel (per iteration, the numpy kernels' seconds summed over the
    blocks), shipped (iterations whose tiles were shipped), finalize (ranks joined back to ids,
    checkpointed), total.
    """
    validate_params(alpha, tol, max_iter)
    if checkpoint_every < 1:
        raise ValueError(f"checkpoint_every must be >= 1, got {checkpoint_every}")
    if blocks is not None and blocks < 1:
        raise ValueError(f"blocks must be >= 1, got {blocks}")
    spark, phases = edges.sparkSession, timings if timings is not None else {}
    started = clock = time.perf_counter()
    partitions, reliable = parallelism(spark), has_checkpoint_dir(edges)
    store = (tile_dir, uuid.uuid4().hex) if resident else None  # a graph id per run

    def lap() -> float:
        nonlocal clock
        previous, clock = clock, time.perf_counter()
        return clock - previous

    with _engine_conf(spark, partitions):
        blocks = blocks or default_blocks(edges.count(), partitions)
        keys = tiles.partition_keys(blocks, partitions)
        vblocks, offsets, start = vertex_blocks(prior, initial, keys)
        phases["relabel"] = lap()
        if start is None:  # nothing to rank is a fixed point already
            vblocks.unpersist()
            return PageRankResult(spark.createDataFrame([], RANKS_SCHEMA), 0, True, 0.0, [])
        graph = cached_graph(edges, vblocks, keys, offsets, start, store)
        edge_total, dangling_mass = _totals(graph, keys, "m", "dm")  # materialises the tiles
        vblocks.unpersist()
        phases["setup"] = lap()
        log.info(
            "blocked pagerank: %d vertices, %d edges, %d blocks on %d partitions, alpha=%s, "
            "tol=%s, max_iter=%d, tiles %s", start.vertices, edge_total, blocks, partitions,
            alpha, tol, max_iter, "resident" if resident else "shipped",
        )  # fmt: skip

        # Built once: each iteration's query only adds its messages (a py4j call costs).
        shipped = graph.where(_kind(blk.VERTEX, blk.TILE)).select("key", "kind", "blob")
        shipped = shipped.groupBy("key")
        state, history, laps = None, [], phases.setdefault("iterations", [])
        kernel_s, phases["shipped"] = phases.setdefault("kernel", []), 0
        messages = graph.where(_kind(blk.PARTIAL, blk.SELF)).select("key", "kind", "blob")
        resume = (0, messages, dangling_mass)  # iterations done, their messages, dangling mass
        converged, iterations, resumed = False, 0, False
        while not converged and iterations < max_iter:
            kw = dict(
                alpha=alpha, scale=alpha * dangling_mass + (1.0 - alpha),
                push_next=iterations + 1 < max_iter, sizes=np.diff(offsets).tolist(),
            )  # fmt: skip
            try:
                following, (l1_change, dangling_mass, seconds), ship = _step(
                    messages, shipped, store, keys, **kw
                )
            except Exception:
                if resumed:  # once: a second failure is not a lost executor
                    raise
                resumed, (iterations, messages, dangling_mass) = True, resume
                _release(state)
                state = None
                del history[iterations:], laps[iterations:], kernel_s[iterations:]
                log.exception("blocked pagerank: resuming after iteration %d", iterations)
                continue
            iterations += 1
            _release(state)  # the previous local checkpoint: read, no longer needed
            state = messages = following
            if reliable and iterations % checkpoint_every == 0 and iterations < max_iter:
                resume = (iterations, following.checkpoint(eager=True), dangling_mass)
            history.append(l1_change)
            converged = l1_change < start.vertices * tol
            laps.append(lap())
            kernel_s.append(seconds)
            phases["shipped"] += int(ship)
            log.info(
                "blocked pagerank iteration %d: l1 change %.3e (threshold %.3e), dangling mass "
                "%.4f, %.2fs (kernels %.2fs)", iterations, l1_change, start.vertices * tol,
                dangling_mass, laps[-1], seconds,
            )  # fmt: skip

        assert state is not None  # max_iter >= 1
        vertices = graph.where(_kind(blk.VERTEX)).select("key", "ids").groupBy("key")
        final = state.where(_kind(blk.SELF)).select("key", "blob").groupBy("key")
        emit = functools.partial(blk.emit_ranks, store=store)
        ranks = checkpoint(vertices.cogroup(final).applyInArrow(emit, RANKS_SCHEMA), reliable)
        _release(state)
        graph.unpersist()
        if store is not None and tile_dir is not None:  # a local dir: the driver's to delete
            shutil.rmtree(f"{tile_dir}/{store[1]}", ignore_errors=True)
        phases["finalize"] = lap()
    phases["total"] = time.perf_counter() - started
    l1_last = history[-1] if history else 0.0
    (log.info if converged else log.warning)(
        "blocked pagerank %s after %d iterations (l1 change %.3e) in %.1fs",
        "converged" if converged else "did not converge", iterations, l1_last, phases["total"],
    )  # fmt: skip
    return PageRankResult(ranks, iterations, converged, l1_last, history)
