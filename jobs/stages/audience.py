"""audience: the follower graph joined with the window's reactors (docs/SCORING.md §10).

The person-level snapshot (follower_graph, follower_counts) is rebuilt only when the `follows`
table's Delta version differs from the one follower_counts was built from (its partition value:
read from the Delta log, no data file). The window's reactor pairs are then broadcast, a group of
followee buckets at a time, to a scan of those buckets of the graph: the graph is never shuffled.
"""

from __future__ import annotations

import functools
import logging
import math

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from jobs.context import RunContext, StageReport
from transforms import audience

log = logging.getLogger("sway.audience")


def run(ctx: RunContext) -> StageReport:
    lake, cfg, date = ctx.lake, ctx.config, ctx.score_date
    inputs = ctx.versions("follows", "accounts", "pair_window", "follower_counts", "prior")
    counts: dict[str, int] = {"snapshot_rebuilt": 0}
    if not has_graph(ctx, inputs["follows"]):
        # An empty partition for the date: the score reads every graph term as absent.
        empty = ctx.spark.createDataFrame([], lake.spec("audience").schema)
        outputs = {"audience": lake.replace_partitions("audience", empty, {"score_date": [date]})}
        log.info("audience %s: no follower graph: its score terms are absent", date)
        return StageReport(counts=counts | {"people": 0}, inputs=inputs, outputs=outputs)
    outputs: dict[str, int | None] = {}
    if snapshot_version(ctx, inputs["follower_counts"]) != inputs["follows"]:
        outputs = rebuild_snapshot(ctx, inputs)
        counts["snapshot_rebuilt"] = 1
    buckets = cfg.audience.buckets
    window = lake.read_day("pair_window", date, inputs["pair_window"])
    pairs = audience.reactor_pairs(window, buckets).persist()
    groups, parts = 1, []
    try:
        counts["reactor_pairs"] = pairs.count()
        groups = max(1, math.ceil(counts["reactor_pairs"] / cfg.audience.max_broadcast_pairs))
        counts["bucket_groups"] = groups
        parts = following_by_groups(ctx, pairs, groups)
        following = functools.reduce(DataFrame.unionByName, parts)
        # Only the people who may be scored today get a row (the prior's people of the date).
        scorable = lake.read_day("prior", date, inputs["prior"])
        rows = audience.audience_rows(lake.read("follower_counts"), pairs, following, date).join(
            scorable.select(F.col("person_id")), on="person_id", how="left_semi"
        )
        outputs["audience"] = lake.replace_partitions("audience", rows, {"score_date": [date]})
    finally:
        pairs.unpersist()
        for part in parts:
            part.unpersist()
    written = lake.read_day("audience", date, outputs["audience"])
    stats = written.agg(
        F.count(F.lit(1)).alias("people"), F.sum(F.col("follower_reactors")).alias("following")
    ).collect()[0]
    counts |= {"people": int(stats["people"]), "follower_reactors": int(stats["following"] or 0)}
    return StageReport(counts=counts, inputs=inputs, outputs=outputs)


def has_graph(ctx: RunContext, follows_version: int | None) -> bool:
    """Whether the lake has follow edges and the stage is on (one file read at most)."""
    if not ctx.config.audience.enabled or follows_version is None:
        return False
    return ctx.lake.read("follows", follows_version).limit(1).count() > 0


def snapshot_version(ctx: RunContext, counts_version: int | None) -> int | None:
    """The follows version the current snapshot was built from (None: no snapshot)."""
    if counts_version is None:
        return None
    built = ctx.lake.partition_values("follower_counts", "follows_version", counts_version)
    return next(iter(built)) if len(built) == 1 else None


def rebuild_snapshot(ctx: RunContext, inputs: dict[str, int | None]) -> dict[str, int | None]:
    """Rebuild follower_graph then follower_counts (written last: a crash in between leaves the
    old version in follower_counts, so the next run rebuilds again)."""
    lake, cfg, date = ctx.lake, ctx.config, ctx.score_date
    actors = lake.read_day("pair_window", date, inputs["pair_window"]).select(
        F.col("src").alias("person_id")
    )
    graph = audience.follower_graph(
        lake.read("follows", inputs["follows"]),
        lake.read("accounts", inputs["accounts"]),
        actors,
        date,
        cfg.prior,
        cfg.audience.buckets,
        inputs["follows"],
    )
    graph_version = lake.overwrite("follower_graph", graph)
    counts = audience.follower_counts(lake.read("follower_graph", graph_version))
    counts_version = lake.overwrite("follower_counts", counts)
    log.info("audience %s: follower graph rebuilt from follows v%s", date, inputs["follows"])
    return {"follower_graph": graph_version, "follower_counts": counts_version}


def following_by_groups(ctx: RunContext, pairs: DataFrame, groups: int) -> list[DataFrame]:
    """person_id -> follower_reactors, as one frame per group of followee buckets (bucket modulo
    groups). With several groups each is computed by its own Spark job and cached, so that one
    broadcast (about max_broadcast_pairs pairs) is held at a time; the caller unpersists them."""
    graph = ctx.lake.read("follower_graph")
    if groups == 1:
        return [audience.following_reactors(pairs, graph)]
    parts = []
    for group in range(groups):
        mine = F.col("followee_bucket") % F.lit(groups) == F.lit(group)
        part = audience.following_reactors(pairs.where(mine), graph.where(mine)).persist()
        part.count()
        parts.append(part)
    return parts
