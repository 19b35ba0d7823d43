"""Topics: which subjects a person's influence is about, from the content that drew reactions.

topic weight of t on k = sum over the window of decayed weighted reactions to t's content tagged k;
topic score = score * (t's weight on k) / (t's total topic weight), rounded to cents.
"""

from __future__ import annotations

import datetime as dt

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from transforms.edges import decay_factor


def decayed_topic_weights(
    daily_topics: DataFrame, score_date: dt.date, window_days: int, half_life_days: float
) -> DataFrame:
    """person_id, topic, weight over the window ending at `score_date`."""
    first_day = score_date - dt.timedelta(days=window_days - 1)
    return (
        daily_topics.where(
            (F.col("event_date") >= F.lit(first_day)) & (F.col("event_date") <= F.lit(score_date))
        )
        .groupBy(F.col("target_person_id").alias("person_id"), F.col("topic"))
        .agg(F.sum(F.col("weight") * decay_factor(score_date, half_life_days)).alias("weight"))
    )


def top_topics(topic_weights: DataFrame, limit: int) -> DataFrame:
    """person_id -> top_topics: the `limit` heaviest topics, heaviest first (ties by name)."""
    heaviest = Window.partitionBy(F.col("person_id")).orderBy(
        F.col("weight").desc(), F.col("topic")
    )
    ranked = topic_weights.withColumn("position", F.row_number().over(heaviest)).where(
        F.col("position") <= F.lit(limit)
    )
    return ranked.groupBy(F.col("person_id")).agg(
        F.transform(
            F.array_sort(F.collect_list(F.struct(F.col("position"), F.col("topic")))),
            lambda entry: entry["topic"],
        ).alias("top_topics")
    )


def topic_scores(scores: DataFrame, topic_weights: DataFrame) -> DataFrame:
    """person_id, topic, score: each active person's score split over their topics."""
    person = Window.partitionBy(F.col("person_id"))
    return (
        topic_weights.join(
            scores.where(F.col("active")).select(F.col("person_id"), F.col("score")),
            on="person_id",
            how="inner",
        )
        .select(
            F.col("person_id"),
            F.col("topic"),
            F.round(
                F.col("score") * F.col("weight") / F.sum(F.col("weight")).over(person), 2
            ).alias("score"),
        )
        .where(F.col("score") > 0)
    )
