"""The PageRank engines' inputs, typed and screened the same way for the blocked and single paths
(and as transforms/propagation.py reads them): what a row must hold to count at all."""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F


def typed_edges(edges: DataFrame) -> DataFrame:
    """src, dst long, weight double; only edges that can carry probability."""
    typed = edges.select(
        F.col("src").cast("long").alias("src"),
        F.col("dst").cast("long").alias("dst"),
        F.col("weight").cast("double").alias("weight"),
    )
    # weight <= 0 (or NaN, which Spark orders above every number) carries no probability.
    usable = F.col("src").isNotNull() & F.col("dst").isNotNull()
    return typed.where(usable & (F.col("weight") > 0) & ~F.isnan(F.col("weight")))


def typed_vertices(frame: DataFrame, column: str) -> DataFrame:
    """person_id long, value double (the prior or the warm rank; null kept, the engines decide)."""
    value = F.col(column).cast("double").alias("value")
    typed = frame.select(F.col("person_id").cast("long").alias("person_id"), value)
    return typed.where(F.col("person_id").isNotNull())
