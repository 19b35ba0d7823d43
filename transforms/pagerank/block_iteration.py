"""The blocked engine's iterations: each one Spark job over the block messages.

An iteration groups the messages sent to each block (PARTIAL inflows from the source blocks, the
block's own SELF ranks) and runs block_steps' kernel on them with the block's tiles resident in
the Python worker, or, where a tile store missed, again with the tiles shipped from the cached
graph. Its output is a local checkpoint whose STATS rows (one per block: L1 change, dangling
mass, kernel seconds) are all the driver collects; it is released once the next iteration has
read it. An iteration that fails resumes, once, from the last reliable checkpoint.
"""

from __future__ import annotations

import functools
import logging
import math
from dataclasses import dataclass, field

from pyspark.sql import DataFrame, GroupedData
from pyspark.sql import functions as F
from pyspark.sql import types as T

from transforms.pagerank import block_steps as blk
from transforms.pagerank.result import LEVEL, PageRankParams

log = logging.getLogger(__name__)


def _struct(ddl: str) -> T.StructType:
    """A DDL schema as a StructType, parsed here: pyspark parses a DDL string in the JVM, one
    more round trip per query."""
    types = {"int": T.IntegerType(), "byte": T.ByteType(), "long": T.LongType()}
    types.update(double=T.DoubleType(), binary=T.BinaryType())
    fields = [part.strip().split(" ") for part in ddl.split(",")]
    return T.StructType([T.StructField(name, types[kind]) for name, kind in fields])


STEP_TYPE = _struct(blk.STEP_SCHEMA)


def of_kind(*kinds: int):
    """Rows of the given kinds (block_steps: VERTEX, TILE, PARTIAL, SELF, STATS)."""
    return F.col("kind").isin(*kinds)


def stats_totals(frame: DataFrame, keys: list[int], *columns: str) -> list[float]:
    """Sums of STATS columns over the blocks, in block order (a deterministic float sum)."""
    rows = frame.where(of_kind(blk.STATS)).select("key", *columns).collect()
    found = {row["key"]: row for row in rows}
    ordered = [found[key] for key in keys if key in found]
    return [math.fsum(float(row[c] or 0.0) for row in ordered) for c in columns]


def release(frame: DataFrame | None) -> None:
    """Drop a local checkpoint's blocks now: DataFrame.unpersist does not reach them, and the
    ContextCleaner only would once the driver's JVM garbage-collects the RDD."""
    if frame is None:
        return
    try:
        frame._jdf.queryExecution().logical().rdd().unpersist(False)
    except Exception:  # not a local checkpoint (or Spark Connect): nothing held
        frame.unpersist()


def _checkpointed(step: DataFrame, keys: list[int], *columns: str) -> tuple[DataFrame, list[float]]:
    """An iteration's output as a local checkpoint, and its STATS totals. Not eager: the STATS
    collect is the one job that computes and stores it."""
    following = step.localCheckpoint(eager=False, storageLevel=LEVEL)
    try:
        return following, stats_totals(following, keys, *columns)
    except Exception:
        release(following)
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

        resident = grouped.applyInArrow(kernel, STEP_TYPE)
        following, sums = _checkpointed(resident, keys, *columns, "miss")
        if not sums[-1]:
            return following, sums[:-1], False
        log.info("blocked pagerank: %d blocks not resident, tiles shipped", sums[-1])
        release(following)
    kernel = functools.partial(blk.step, store=store, keys=keys, **kw)
    following, sums = _checkpointed(
        shipped.cogroup(grouped).applyInArrow(kernel, STEP_TYPE), keys, *columns
    )
    return following, sums, True


@dataclass(frozen=True)
class Engine:
    """One run's fixed parts: the cached graph and its block layout, the settings."""

    graph: DataFrame  # cached_graph's rows: tiles, vertex ids, first messages, STATS
    shipped: GroupedData  # the tiles by block, for an iteration that ships them
    keys: list[int]  # block keys, in block order
    sizes: list[int]  # vertices per block
    store: tuple | None  # (tile dir, graph id) of resident tiles, else None
    params: PageRankParams
    checkpoint_every: int
    reliable: bool  # reliable checkpoints (a checkpoint dir), else local ones only
    vertices: int


@dataclass
class Loop:
    """The iteration's state, and where a failed iteration resumes from."""

    messages: DataFrame  # the next iteration's input: PARTIAL and SELF rows by block
    dangling_mass: float
    resume: tuple[int, DataFrame, float]  # iterations done, their messages, dangling mass
    state: DataFrame | None = None  # the last iteration's output (a local checkpoint)
    history: list[float] = field(default_factory=list)  # L1 change per iteration
    resumed: bool = False


def _resume(loop: Loop) -> None:
    """After a failed iteration (say, an executor lost with its local checkpoints): back to the
    last reliable checkpoint, or to the start."""
    loop.resumed = True
    done, loop.messages, loop.dangling_mass = loop.resume
    release(loop.state)
    loop.state = None
    del loop.history[done:]
    log.exception("blocked pagerank: resuming after iteration %d", done)


def iterate(engine: Engine, loop: Loop, phases: dict, lap) -> bool:
    """Iterations until converged or max_iter; whether it converged. phases receives each
    iteration's wall and kernel seconds and how many shipped their tiles."""
    laps, kernels = phases.setdefault("iterations", []), phases.setdefault("kernel", [])
    params, phases["shipped"] = engine.params, 0
    threshold, converged = engine.vertices * params.tol, False
    while not converged and len(loop.history) < params.max_iter:
        scale = params.alpha * loop.dangling_mass + (1.0 - params.alpha)
        push_next = len(loop.history) + 1 < params.max_iter
        try:
            following, (l1_change, loop.dangling_mass, seconds), ship = _step(
                loop.messages, engine.shipped, engine.store, engine.keys, alpha=params.alpha,
                scale=scale, push_next=push_next, sizes=engine.sizes,
            )  # fmt: skip
        except Exception:
            if loop.resumed:  # once: a second failure is not a lost executor
                raise
            _resume(loop)
            del laps[len(loop.history) :], kernels[len(loop.history) :]
            continue
        release(loop.state)  # the previous local checkpoint: read, no longer needed
        loop.state = loop.messages = following
        loop.history.append(l1_change)
        done = len(loop.history)
        if engine.reliable and done % engine.checkpoint_every == 0 and done < params.max_iter:
            loop.resume = (done, following.checkpoint(eager=True), loop.dangling_mass)
        converged = l1_change < threshold
        laps.append(lap())
        kernels.append(seconds)
        phases["shipped"] += int(ship)
        log.info(
            "blocked pagerank iteration %d: l1 change %.3e (threshold %.3e), dangling mass "
            "%.4f, %.2fs (kernels %.2fs)", done, l1_change, threshold, loop.dangling_mass,
            laps[-1], seconds,
        )  # fmt: skip
    return converged
