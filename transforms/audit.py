"""Audit of staged scores before they are published (write-audit-publish)."""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F


class AuditError(ValueError):
    """Staged scores break an invariant; nothing is published."""


def score_violations(staged: DataFrame, scorable: DataFrame, tolerance: float) -> dict[str, int]:
    """Counts of rows that break each invariant (all zero = publishable), in one aggregation.

    `scorable` holds the person ids that may appear in outputs; a positive score's network parts
    must add up to it within `tolerance` (rounding).
    """
    parts_total = F.aggregate(F.map_values(F.col("networks")), F.lit(0.0), lambda acc, v: acc + v)
    parts_off = F.abs(parts_total - F.col("score")) > F.lit(float(tolerance))
    checked = staged.join(
        scorable.select(F.col("person_id"), F.lit(True).alias("allowed")),
        on="person_id",
        how="left",
    )
    return {
        key: int(value or 0)
        for key, value in checked.agg(
            F.count(F.lit(1)).alias("rows"),
            (F.count(F.lit(1)) - F.countDistinct(F.col("person_id"))).alias("duplicate_people"),
            F.sum(
                (F.col("score").isNull() | (F.col("score") < 0) | (F.col("score") >= 100)).cast(
                    "int"
                )
            ).alias("score_out_of_range"),
            F.sum(((F.col("score") > 0) & parts_off).cast("int")).alias("parts_not_adding_up"),
            F.sum(F.col("allowed").isNull().cast("int")).alias("not_scorable"),
        )
        .collect()[0]
        .asDict()
        .items()
    }


def assert_publishable(violations: dict[str, int]) -> None:
    broken = {k: v for k, v in violations.items() if k != "rows" and v}
    if broken:
        raise AuditError(f"staged scores fail the audit, nothing published: {broken}")
