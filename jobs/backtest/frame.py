"""The backtest's reads: one score date's person frame (transforms/backtest.py), from the lake's
tables, and the checks that the date can be judged at all (its window and horizon are in)."""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from jobs.config import SwayConfig
from jobs.context import RunContext
from jobs.lake import Lake
from jobs.stages.propagate import run_pagerank
from jobs.stages.score import RAW_INPUTS, raw_for_date
from transforms import backtest
from transforms.scoring import COMPONENTS


def horizon_problem(lake: Lake, day: dt.date, horizon: int) -> str | None:
    """Why `day` cannot be judged yet, or None. The label needs every day of the horizon that
    has raw interactions to be ingested, and the data to reach the horizon's end."""
    raw = lake.partition_values("interactions", "event_date")
    ingested = lake.partition_values("engagements", "event_date")
    last = day + dt.timedelta(days=horizon)
    if not raw or max(raw) < last:
        return f"the data end before {last} (the {horizon}-day horizon after {day})"
    missing = sorted(d for d in raw if day < d <= last and d not in ingested)
    if missing:
        return (
            f"days {missing[0]}..{missing[-1]} of the horizon are not ingested: "
            f"python -m jobs ingest --date {last} --days {horizon}"
        )
    if day not in lake.partition_values("scores", "score_date"):
        return f"no score published for {day}: python -m jobs daily --date {day}"
    return None


def terms(ctx: RunContext, day: dt.date) -> DataFrame:
    """person_id and one `component_<name>` column per term of the raw score, unweighted (each
    term as a predictor alone, whatever its weight, zero included), on `day`."""
    dated = dataclasses.replace(ctx, score_date=day)
    unit = {name: 1.0 for name in COMPONENTS}
    raw = raw_for_date(dated, ctx.versions(*RAW_INPUTS), unit)
    return raw.select(F.col("person_id"), *[F.col(c).alias(f"component_{c}") for c in COMPONENTS])


def person_frame(
    ctx: RunContext, day: dt.date, horizon: int, counted_actors: DataFrame | None = None
) -> DataFrame:
    """One row per person who drew reactions in the window ending on `day`: the published score,
    its terms, the baselines and the label (unique reactors of day+1..day+horizon)."""
    lake, config = ctx.lake, ctx.config
    first = day - dt.timedelta(days=config.window.days - 1)
    pairs = lake.read("daily_pairs")
    graph = backtest.reaction_graph(pairs, first, day).persist()
    try:
        # The engines return materialised ranks (driver-built or checkpointed): no recompute.
        ranks = run_pagerank(graph, backtest.uniform_prior(graph), config.propagation)[0].ranks
        ranks.count()
    finally:
        graph.unpersist()
    label = backtest.future_reactors(
        lake.read("engagements"),
        day + dt.timedelta(days=1),
        day + dt.timedelta(days=horizon),
        counted_actors,
    )
    return backtest.person_frame(
        backtest.window_received(pairs, first, day),
        backtest.score_column(lake.read("scores"), day).join(
            terms(ctx, day), on="person_id", how="left"
        ),
        backtest.follower_counts(lake.read("accounts")),
        ranks,
        label,
    )


def collect(frame: DataFrame, config: SwayConfig) -> tuple[pd.DataFrame, int]:
    """The frame on the driver, ordered by person id (so ties rank the same on every run), with
    its full size; a seeded uniform sample of about `backtest.max_people` rows above that."""
    frame = frame.persist()  # counted, then collected: computed once
    try:
        people = frame.count()
        cap = config.backtest.max_people
        chosen = frame
        if people > cap:
            chosen = frame.sample(fraction=cap / people, seed=config.backtest.sample_seed)
        rows = chosen.orderBy(F.col(backtest.ID)).toPandas()
    finally:
        frame.unpersist()
    numeric = [c for c in rows.columns if c != backtest.ID]
    rows[numeric] = rows[numeric].astype(np.float64)
    return rows, people
