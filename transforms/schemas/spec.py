"""What a table is: TableSpec (name, schema, partitioning) and the types the schemas use."""

from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql import types as T


@dataclass(frozen=True)
class TableSpec:
    """A Delta table's contract: name under the lake root, schema and partition columns.

    `added`: columns added to the schema after tables were first written with it. The table layer
    adds them to an existing table before writing, and reads older rows and versions without them
    as null; any other missing column is an error."""

    name: str
    schema: T.StructType
    partition_by: tuple[str, ...] = ()
    added: tuple[str, ...] = ()

    @property
    def columns(self) -> list[str]:
        return [field.name for field in self.schema.fields]

    @property
    def date_column(self) -> str:
        """The column that dates a row: its date partition column (score_date or event_date),
        else a score_date column."""
        dated = [c for c in self.partition_by if c in ("score_date", "event_date")]
        if dated:
            return dated[0]
        if "score_date" in self.columns:
            return "score_date"
        raise ValueError(f"table {self.name!r} has no date column")


def struct(*fields: tuple[str, T.DataType]) -> T.StructType:
    # Every column nullable: validity is checked by the stages (bad rows are quarantined with a
    # reason), not by a NOT NULL constraint that would fail the whole write.
    return T.StructType([T.StructField(name, dtype, nullable=True) for name, dtype in fields])


# The column types the schemas use.
LONG, STR, DBL, DATE, TS = (
    T.LongType(),
    T.StringType(),
    T.DoubleType(),
    T.DateType(),
    T.TimestampType(),
)
