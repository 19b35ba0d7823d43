"""propagate: weighted personalized PageRank over the day's engagement graph."""

from __future__ import annotations

import datetime as dt

from pyspark.sql import functions as F

from jobs.context import RunContext, StageReport
from transforms.propagation import personalized_pagerank


def run(ctx: RunContext) -> StageReport:
    lake, cfg, date = ctx.lake, ctx.config.propagation, ctx.score_date
    inputs = ctx.versions("edges", "prior", "ranks")
    graph = lake.read("edges", inputs["edges"]).where(F.col("score_date") == F.lit(date))
    prior = lake.read("prior", inputs["prior"]).where(F.col("score_date") == F.lit(date))
    initial = None
    if cfg.warm_start and inputs["ranks"] is not None:
        yesterday = date - dt.timedelta(days=1)
        previous = lake.read("ranks", inputs["ranks"]).where(
            F.col("score_date") == F.lit(yesterday)
        )
        initial = previous.select(F.col("person_id"), F.col("rank"))
    result = personalized_pagerank(
        graph.select("src", "dst", "weight"),
        prior.select("person_id", "prior"),
        alpha=cfg.alpha,
        tol=cfg.tol,
        max_iter=cfg.max_iter,
        checkpoint_every=cfg.checkpoint_every,
        initial=initial,
    )
    ranks = result.ranks.select(F.lit(date).alias("score_date"), F.col("person_id"), F.col("rank"))
    outputs = {"ranks": lake.replace_partitions("ranks", ranks, {"score_date": [date]})}
    counts = {"iterations": result.iterations, "converged": int(result.converged)}
    details = {
        "l1_change": result.l1_change,
        "history": result.history,
        "warm_start": initial is not None,
    }
    return StageReport(counts=counts, inputs=inputs, outputs=outputs, details=details)
