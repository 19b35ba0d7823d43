"""Recency: each trusted reactor counted once, decayed by the age of their latest reaction, at
several half-lives (docs/SCORING.md §4): who engages with a person now, this week, this season."""

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
