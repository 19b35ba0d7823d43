"""What a backtest compares, per score date: the people who drew reactions in the window, the
baselines computed from the same window, and the label (unique reactors drawn afterwards).

Pure DataFrame -> DataFrame functions over the lake's tables (`daily_pairs`, `engagements`,
`accounts`, `scores`, `components`); jobs/backtest reads the tables and computes the metrics.
docs/EVALUATION.md defines each column.
"""

from __future__ import annotations

import datetime as dt

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from transforms.scoring import GRAPH_COMPONENTS

ID = "person_id"


def window_received(pairs: DataFrame, first: dt.date, last: dt.date) -> DataFrame:
    """person_id, reactions (accepted reactions received), reactors (distinct people who reacted)
    over first..last: the people who drew reactions in the window, and two baselines."""
    window = pairs.where(F.col("event_date").between(F.lit(first), F.lit(last)))
    per_actor = window.groupBy(F.col("target_person_id"), F.col("actor_person_id")).agg(
        F.sum(F.col("reactions")).alias("reactions")
    )
    return per_actor.groupBy(F.col("target_person_id").alias(ID)).agg(
        F.sum(F.col("reactions")).cast("double").alias("reactions"),
        F.count(F.lit(1)).cast("double").alias("reactors"),
    )


def reaction_graph(pairs: DataFrame, first: dt.date, last: dt.date) -> DataFrame:
    """src, dst, weight 1.0: who reacted to whom in first..last, each pair once (the unweighted
    reaction-graph PageRank baseline's edges)."""
    window = pairs.where(F.col("event_date").between(F.lit(first), F.lit(last)))
    return (
        window.select(F.col("actor_person_id").alias("src"), F.col("target_person_id").alias("dst"))
        .where(F.col("src") != F.col("dst"))
        .distinct()
        .select(F.col("src"), F.col("dst"), F.lit(1.0).alias("weight"))
    )


def uniform_prior(graph: DataFrame) -> DataFrame:
    """person_id, prior 1.0 for every vertex of the graph (plain PageRank's uniform teleport)."""
    ends = graph.select(F.col("src").alias(ID)).unionByName(graph.select(F.col("dst").alias(ID)))
    return ends.distinct().select(F.col(ID), F.lit(1.0).alias("prior"))


def future_reactors(
    engagements: DataFrame, first: dt.date, last: dt.date, counted_actors: DataFrame | None = None
) -> DataFrame:
    """person_id, future_reactors: distinct people who reacted to them in first..last (accepted
    engagements); only actors in `counted_actors` (person_id) when given."""
    future = engagements.where(F.col("event_date").between(F.lit(first), F.lit(last)))
    if counted_actors is not None:
        actors = counted_actors.select(F.col(ID).alias("actor_person_id"))
        future = future.join(actors, on="actor_person_id", how="left_semi")
    pairs = future.select(F.col("target_person_id"), F.col("actor_person_id")).distinct()
    return pairs.groupBy(F.col("target_person_id").alias(ID)).agg(
        F.count(F.lit(1)).cast("double").alias("future_reactors")
    )


def follower_counts(accounts: DataFrame) -> DataFrame:
    """person_id, followers: the platforms' follower counts summed over a person's accounts; null
    when none of their accounts has a count (the baseline is then absent, not zero)."""
    return accounts.groupBy(F.col(ID)).agg(
        F.sum(F.col("followers_count")).cast("double").alias("followers")
    )


def score_column(scores: DataFrame, day: dt.date) -> DataFrame:
    """person_id, score: the score published for `day`."""
    return scores.where(F.col("score_date") == F.lit(day)).select(F.col(ID), F.col("score"))


def person_frame(
    received: DataFrame,
    scored: DataFrame,
    followers: DataFrame,
    pagerank: DataFrame,
    label: DataFrame,
) -> DataFrame:
    """One row per person who drew reactions in the window: every predictor and the label.
    Missing numbers are 0 (not scored, no rank, no future reactor), except `followers`, which
    stays null where the platforms gave no count, and the follower graph's terms, null (absent)
    where the lake has no graph."""
    frame = (
        received.join(scored, on=ID, how="left")
        .join(followers, on=ID, how="left")
        .join(pagerank.select(F.col(ID), F.col("rank").alias("pagerank")), on=ID, how="left")
        .join(label, on=ID, how="left")
    )
    absent = ("followers", *[f"component_{c}" for c in GRAPH_COMPONENTS])
    filled = [c for c in frame.columns if c != ID and c not in absent]
    return frame.fillna(0.0, subset=filled)
