"""propagate: weighted personalized PageRank over the day's engagement graph."""

from __future__ import annotations

import datetime as dt
import logging
import time

from pyspark.sql import functions as F

from jobs.context import RunContext, StageReport
from transforms.edges import LEAK_ID
from transforms.pagerank.blocked import blocked_pagerank, default_blocks, parallelism
from transforms.pagerank.reference import personalized_pagerank
from transforms.pagerank.single import single_machine_pagerank

log = logging.getLogger("sway")


def run(ctx: RunContext) -> StageReport:
    lake, cfg, date = ctx.lake, ctx.config.propagation, ctx.score_date
    inputs = ctx.versions("edges", "prior", "ranks")
    graph = lake.read_day("edges", date, inputs["edges"])
    graph = graph.select("src", "dst", "weight")
    prior = lake.read_day("prior", date, inputs["prior"])
    # The defences' sink (transforms/edges.py LEAK_ID): a vertex without teleport mass.
    sink = ctx.spark.createDataFrame([(LEAK_ID, 0.0)], "person_id long, prior double")
    prior = prior.select("person_id", "prior").unionByName(sink)
    initial = None
    if cfg.warm_start and inputs["ranks"] is not None:
        yesterday = date - dt.timedelta(days=1)
        previous = lake.read_day("ranks", yesterday, inputs["ranks"])
        initial = previous.select(F.col("person_id"), F.col("rank"))
    counts: dict[str, int] = {}
    started = time.perf_counter()
    result, engine, n_edges = run_pagerank(graph, prior, cfg, initial)
    if n_edges is not None:
        counts["edges"] = n_edges
    seconds = time.perf_counter() - started
    log.info(
        "propagate date=%s: engine=%s (configured %s), %d iterations, %s, l1 change %.3e, %.1fs",
        date, engine, cfg.engine, result.iterations,
        "converged" if result.converged else "NOT converged", result.l1_change, seconds,
    )  # fmt: skip
    people = result.ranks.where(F.col("person_id") != F.lit(LEAK_ID))
    ranks = people.select(F.lit(date).alias("score_date"), F.col("person_id"), F.col("rank"))
    outputs = {"ranks": lake.replace_partitions("ranks", ranks, {"score_date": [date]})}
    counts.update(iterations=result.iterations, converged=int(result.converged))
    counts[f"engine_{engine}"] = 1  # the manifest's counts are integers: the engine as a flag
    details = {
        "engine": engine,
        "engine_seconds": round(seconds, 3),
        "l1_change": result.l1_change,
        "history": result.history,
        "warm_start": initial is not None,
    }
    return StageReport(counts=counts, inputs=inputs, outputs=outputs, details=details)


def run_pagerank(graph, prior, cfg, initial=None):
    """The configured engine over (src, dst, weight) edges and a (person_id, prior) teleport
    vector: (result, engine used, edges counted to choose it or None)."""
    engine, n_edges = cfg.engine, None
    if engine == "auto":
        # One count decides: a graph this small is faster on the driver than in any job.
        n_edges = graph.count()
        engine = "single" if n_edges <= cfg.single_max_edges else "blocked"
    if engine == "single":
        return single_machine_pagerank(graph, prior, cfg.params, initial=initial), engine, n_edges
    common = dict(checkpoint_every=cfg.checkpoint_every, initial=initial)
    if engine == "reference":
        return personalized_pagerank(graph, prior, cfg.params, **common), engine, n_edges
    blocks = cfg.blocks
    if blocks is None:
        n_edges = graph.count() if n_edges is None else n_edges
        blocks = default_blocks(n_edges, parallelism(graph.sparkSession), cfg.block_edges)
    return blocked_pagerank(graph, prior, cfg.params, blocks=blocks, **common), engine, n_edges
