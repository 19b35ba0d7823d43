"""The contract between `Lake` (jobs/tables.py) and its engines.

The Engine protocol Lake calls, the typed errors engines raise, and the value helpers both engines
share. Stages import the errors from jobs.tables, which re-exports them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, Literal, Protocol

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from transforms.schemas import TableSpec

WriteMode = Literal["append", "overwrite"]


class TableError(RuntimeError):
    """Base of the table layer's typed errors."""


class TableNotFoundError(TableError):
    """No Delta table at the table's path."""


class PartitionMismatchError(TableError):
    """New rows/files lie outside the partitions being replaced; nothing was committed."""


class ConcurrentWriteError(TableError):
    """A concurrent commit conflicted with ours; nothing of ours was committed. Rerun the step."""


class Engine(Protocol):
    """What an engine does; Lake validates arguments and conforms DataFrames before calling."""

    name: str

    def exists(self, path: str) -> bool: ...
    def version(self, path: str) -> int | None: ...
    def read(self, spec: TableSpec, path: str, version: int | None) -> DataFrame: ...
    def create(self, spec: TableSpec, path: str) -> int: ...
    def write(self, spec: TableSpec, path: str, df: DataFrame, mode: WriteMode) -> int: ...
    def replace_partitions(
        self, spec: TableSpec, path: str, df: DataFrame, values: dict[str, list[Any]]
    ) -> int: ...
    def delete_where(
        self, spec: TableSpec, path: str, column: str, values: list[Any]
    ) -> int | None: ...
    def delete_rows(self, spec: TableSpec, path: str, condition: Column) -> int | None: ...
    def vacuum(self, path: str, retention_hours: float = 0.0) -> int | None: ...
    def partition_values(self, path: str, column: str, version: int | None) -> set[Any]: ...
    def add_columns(self, spec: TableSpec, path: str) -> list[str]: ...


def partition_string(value: Any) -> str | None:
    """A value as Delta writes it in partitionValues ('YYYY-MM-DD' for dates; None for null)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):  # before date: datetime is a date subclass
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def isin(column: str, values: Sequence[Any]) -> Column:
    """`column IN values`, where a None in values also matches nulls (never null itself)."""
    non_null = [v for v in values if v is not None]
    cond = F.coalesce(F.col(column).isin(non_null), F.lit(False)) if non_null else F.lit(False)
    return cond | F.col(column).isNull() if len(non_null) < len(values) else cond
