"""The table layer's typed errors and the small value helpers its modules share."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, Literal

from pyspark.sql import Column
from pyspark.sql import functions as F

WriteMode = Literal["append", "overwrite"]


class TableError(RuntimeError):
    """Base of the table layer's typed errors."""


class TableNotFoundError(TableError):
    """No Delta table at the table's path."""


class PartitionMismatchError(TableError):
    """New rows lie outside the partitions being replaced; nothing was committed."""


class ConcurrentWriteError(TableError):
    """A concurrent commit conflicted with ours; nothing of ours was committed. Rerun the step."""


class LakeBusyError(TableError):
    """Another live run holds the lake's writer lease (jobs/lake/lease.py)."""


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


def sql_literal(value: Any) -> str:
    """A Python value as a Spark SQL literal."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return f"TIMESTAMP'{value.isoformat(sep=' ')}'"
    if isinstance(value, dt.date):
        return f"DATE'{value.isoformat()}'"
    if isinstance(value, int | float):
        return repr(value)
    text = str(value).replace("\\", "\\\\").replace("'", "\\'")
    return f"'{text}'"


def sql_in(column: str, values: Sequence[Any]) -> str:
    """SQL `column IN (...)`, a None in values matching nulls too; never null itself."""
    non_null = [v for v in values if v is not None]
    parts = [f"`{column}` IN ({', '.join(sql_literal(v) for v in non_null)})"] if non_null else []
    if len(non_null) < len(values):
        parts.append(f"`{column}` IS NULL")
    return "(" + " OR ".join(parts) + ")" if parts else "false"
