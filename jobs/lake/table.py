"""The lake's Delta tables behind one small API: `Lake`.

Stages only use `Lake`. It validates arguments and conforms every DataFrame to its TableSpec
(transforms.schemas) on the way in and out, so a table's columns, order and types are decided in
exactly one place, then hands the work to delta-spark (jobs/lake/delta.py). The tables are
ordinary Delta tables: delta-rs, Polars and DuckDB read them too (tests/test_tables.py).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from typing import Any

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from jobs.lake.delta import DeltaTables, replace_where
from jobs.lake.errors import (
    PartitionMismatchError,
    TableError,
    TableNotFoundError,
    sql_in,
)
from transforms.erasure import stats_columns
from transforms.schemas import TABLES, TableSpec

log = logging.getLogger(__name__)


def conform(df: DataFrame, spec: TableSpec, *, strict: bool = True) -> DataFrame:
    """Select the spec's columns, in order, cast to the spec's types.

    strict (writes): missing and extra columns are errors, because a silently dropped column is
    usually a renamed one. Reads are lenient with extra columns (a table with columns the spec
    does not know still reads as the spec says) and with the spec's `added` columns: rows and
    versions written before a column was added read it as null, as Delta itself gives them.
    """
    present = set(df.columns)
    fillable = () if strict else spec.added
    missing = [c for c in spec.columns if c not in present and c not in fillable]
    if missing:
        raise TableError(f"{spec.name}: missing column(s) {', '.join(missing)}")
    extra = [c for c in df.columns if c not in spec.columns]
    if strict and extra:
        raise TableError(f"{spec.name}: unknown column(s) {', '.join(extra)}")
    return df.select(
        [
            (df[f.name] if f.name in present else F.lit(None)).cast(f.dataType).alias(f.name)
            for f in spec.schema.fields
        ]
    )


def value_list(values: Sequence[Any], what: str) -> list[Any]:
    """A caller's value sequence as a list; a bare string would otherwise iterate per character."""
    if isinstance(values, str | bytes):
        raise TableError(f"{what}: expected a sequence of values, got the string {values!r}")
    try:
        return list(values)
    except TypeError as exc:
        raise TableError(f"{what}: expected a sequence of values, got {values!r}") from exc


def table_properties(spec: TableSpec) -> dict[str, str]:
    """Delta table properties from the spec: no min/max statistics of a column that can name a
    person (Delta keeps them in its log, which outlives an erasure's vacuum)."""
    columns = stats_columns(spec)
    if columns is None:
        return {}
    if not columns:
        return {"delta.dataSkippingNumIndexedCols": "0"}
    return {"delta.dataSkippingStatsColumns": ",".join(columns)}


class Lake:
    """The tables under one root (a local folder or a URI), read and written as Delta tables."""

    def __init__(self, spark: SparkSession, root: str) -> None:
        self.spark = spark
        # Local paths are made absolute: the driver, executors and other readers must agree.
        self.root = root if "://" in root or root.startswith("file:") else os.path.abspath(root)
        self._delta = DeltaTables(spark)
        self._prepared: set[str] = set()  # tables created or checked against their spec
        self._existing: set[str] = set()  # tables seen to exist
        self.lease: Any = None  # the writer lease this process holds (jobs/lake/lease.py)

    def spec(self, name: str) -> TableSpec:
        try:
            return TABLES[name]
        except KeyError:
            raise TableError(f"unknown table {name!r}; tables: {', '.join(TABLES)}") from None

    def path(self, name: str) -> str:
        return f"{self.root.rstrip('/')}/{name}"

    def exists(self, name: str) -> bool:
        # A table, once there, stays: the layer never drops one (each check is a Delta query).
        return name in self._existing or self.version(name) is not None

    def version(self, name: str) -> int | None:
        """Latest committed version, None when the table does not exist."""
        self.spec(name)
        version = self._delta.version(self.path(name))
        if version is not None:
            self._existing.add(name)
        return version

    def read(self, name: str, version: int | None = None) -> DataFrame:
        """The table (at `version`, default latest) with exactly the spec's columns and types."""
        spec = self.spec(name)
        if version is None and not self.exists(name):
            raise TableNotFoundError(f"no Delta table {name!r} at {self.path(name)}")
        return conform(self._delta.read(self.path(name), version), spec, strict=False)

    def read_day(self, name: str, date: Any, version: int | None = None) -> DataFrame:
        """The table's rows of one day (its date column: score_date or event_date), at
        `version` (default latest): a partition filter, so only that day's files are read."""
        column = self.spec(name).date_column
        return self.read(name, version).where(F.col(column) == F.lit(date))

    def create(self, name: str) -> int:
        """Create the empty table if absent (idempotent); its current version."""
        spec = self.spec(name)
        return self._delta.create(spec, self.path(name), table_properties(spec))

    def _prepare(self, name: str) -> None:
        """Before the first commit of rows (once per Lake): create the table, or give an existing
        one the spec's `added` columns it lacks (nullable: older rows read them as null) and the
        spec's table properties, each a metadata-only commit when anything changes."""
        if name in self._prepared:
            return
        spec = self.spec(name)
        if not self.exists(name):
            self.create(name)
        else:
            added = self._delta.add_columns(spec, self.path(name)) if spec.added else []
            if added:
                log.warning("%s: added column(s) %s to the table", name, ", ".join(added))
            self._delta.set_properties(self.path(name), table_properties(spec))
        self._prepared.add(name)

    def history(self, name: str, limit: int) -> list[Any]:
        """The last `limit` commits (version, userMetadata), newest first; [] without a table."""
        self.spec(name)
        return self._delta.history(self.path(name), limit) or []

    def append(self, name: str, df: DataFrame, token: str | None = None) -> int:
        """Add df's rows in one commit (tagged `token` in its userMetadata, when given)."""
        spec = self.spec(name)
        data = conform(df, spec)
        self._prepare(name)
        return self._delta.save(spec, self.path(name), data, "append", token=token)

    def overwrite(self, name: str, df: DataFrame) -> int:
        """Replace the whole content in one commit (older versions stay readable)."""
        spec = self.spec(name)
        data = conform(df, spec)
        self._prepare(name)
        return self._delta.save(spec, self.path(name), data, "overwrite")

    def replace_partitions(
        self, name: str, df: DataFrame, values: Mapping[str, Sequence[Any]]
    ) -> int:
        """Atomically replace the partitions matching `values` (AND over keys, IN per key) by df.

        Reruns of a day are idempotent this way. Rows of df outside those partitions raise
        PartitionMismatchError (Delta's replaceWhere check) and nothing is committed; an empty
        df removes the partitions.
        """
        spec = self.spec(name)
        if not values:
            raise TableError(f"{name}: replace_partitions needs at least one partition column")
        wrong = [key for key in values if key not in spec.partition_by]
        if wrong:
            raise TableError(
                f"{name}: {', '.join(wrong)} not partition column(s) of the table "
                f"(partitioned by {', '.join(spec.partition_by) or 'nothing'})"
            )
        lists = {key: value_list(vals, f"{name}.{key}") for key, vals in values.items()}
        data = conform(df, spec)
        if any(not vals for vals in lists.values()):
            # Matches no partition: only an empty df is consistent with that; nothing to commit.
            if not data.isEmpty():
                raise PartitionMismatchError(f"{name}: rows given but no partition to replace")
            return self.create(name)
        self._prepare(name)
        where = replace_where(lists)
        return self._delta.save(spec, self.path(name), data, "overwrite", replaceWhere=where)

    def delete_where(self, name: str, column: str, values: Sequence[Any]) -> int | None:
        """Remove rows whose `column` is in values, in one commit.

        Returns the new version, or None when no row matched (or the table does not exist).
        """
        spec = self.spec(name)
        if column not in spec.columns:
            raise TableError(f"{name}: unknown column {column!r}")
        vals = value_list(values, f"{name}.{column}")
        if not vals:
            return None
        return self.delete_rows(name, sql_in(column, vals))

    def delete_rows(self, name: str, condition_sql: str) -> int | None:
        """Remove the rows where the SQL condition holds, in one commit (erasure; a null
        condition counts as false: such rows are kept). The new version, or None when no row
        matched (or the table does not exist): a rerun commits nothing. A SQL string, not a
        Column: DELETE goes through SQL so that it runs over Spark Connect too."""
        self.spec(name)
        if not self.exists(name):
            return None
        if self._delta.read(self.path(name), None).where(F.expr(condition_sql)).isEmpty():
            return None
        return self._delta.delete(self.path(name), condition_sql)

    def delete_matching(self, name: str, source: DataFrame, condition_sql: str) -> int:
        """Remove the rows `t` matching the one-row DataFrame `source` `s` by the SQL condition,
        in one commit (erasure: the ids stay in `source`, out of the commit log); the version."""
        self.spec(name)
        return self._delta.delete_matching(self.path(name), source, condition_sql)

    def vacuum(self, name: str, retention_hours: float, changed: bool = False) -> int | None:
        """Delete the table's files that its current version does not reference and that were
        removed (or written and never committed) more than retention_hours ago; 0 (erasure):
        old versions stop being readable. `changed`: the caller just removed files, so some
        are due (no dry run to find out). Files deleted (None: no table)."""
        self.spec(name)
        if not self.exists(name):
            return None
        return self._delta.vacuum(self.path(name), retention_hours, changed)

    def partition_values(self, name: str, column: str, version: int | None = None) -> set[Any]:
        """The values a partition column takes in the table (at `version`); empty when the
        table does not exist."""
        spec = self.spec(name)
        if column not in spec.partition_by:
            raise TableError(f"{name}: {column!r} is not a partition column")
        if version is None and not self.exists(name):
            return set()
        return self._delta.partition_values(self.path(name), column, version)
