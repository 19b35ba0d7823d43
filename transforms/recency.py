"""Recency and regularity (docs/SCORING.md §4): each trusted reactor counted once, decayed by the
age of their latest reaction, at several half-lives (who engages with a person now, this week, this
season); and the days of the window on which a person drew reactions (whether they do so steadily or
once)."""

from __future__ import annotations

import datetime as dt

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

RECENCY_COLUMNS = ("recent_fast", "recent_mid", "recent_slow")


def recency_sums(
    strengths: DataFrame, score_date: dt.date, half_lives: tuple[float, float, float]
) -> list[Column]:
    """Aggregates: per half-life h, the sum over the target's reactors of
    `quality * selectivity * mutual factor * kept share * 2^(-(D - last_date) / h)`: each trusted
    reactor counts once, less the longer ago their latest reaction (kept share: what the burst and
    crowd caps left of the pair's reactions). Unique reactors at several time scales, with the
    signal's defences."""
    weight = F.col("quality") * F.col("selectivity")
    if "mutual_factor" in strengths.columns:
        weight = weight * F.col("mutual_factor")
    if "raw_given" in strengths.columns:
        given = F.col("raw_given")
        weight = weight * F.when(given > 0, F.col("raw") / given).otherwise(F.lit(0.0))
    age = F.datediff(F.lit(score_date), F.col("last_date")).cast("double")
    return [
        F.sum(weight * F.pow(F.lit(2.0), -age / F.lit(float(h)))).alias(name)
        for name, h in zip(RECENCY_COLUMNS, half_lives, strict=True)
    ]


def active_days(
    daily_targets: DataFrame, score_date: dt.date, window_days: int, days_with_data: int
) -> DataFrame:
    """person_id -> active_days: the days of the window ending on `score_date` on which the person
    drew at least one reaction, scaled to the whole window when the lake holds fewer of its days
    (a young lake, or days without data): `days * window_days / days_with_data` (the window's
    days that hold any row of `daily_targets`). Without the scaling everyone's count would climb
    by a day each day while a lake fills its window, and every score with it. On the real data
    sets it predicts next week's unique reactors better than any count (docs/EVALUATION.md §1);
    a burst, bought or viral, is one day."""
    first = score_date - dt.timedelta(days=window_days - 1)
    in_window = daily_targets.where(
        F.col("event_date").between(F.lit(first), F.lit(score_date)) & (F.col("reactors") > 0)
    )
    scale = float(window_days) / float(max(days_with_data, 1))
    return in_window.groupBy(F.col("target_person_id").alias("person_id")).agg(
        (F.count(F.lit(1)).cast("double") * F.lit(scale)).alias("active_days")
    )
