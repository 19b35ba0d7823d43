"""The native engine: delta-spark's own `format("delta")`.

Needs the Delta JARs on the Spark classpath (clusters, `--packages`); it is the engine for anything
that is not a local folder. Delta itself enforces replaceWhere and resolves conflicts; this module
builds the predicates and maps delta-spark's errors to the table layer's typed errors.

Not exercised offline: its tests are marked delta_jars and skipped when the JARs are absent.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import uuid
from collections.abc import Iterator, Mapping
from typing import Any

from pyspark.sql import Column, DataFrame, SparkSession

from jobs.table_engine import (
    ConcurrentWriteError,
    PartitionMismatchError,
    WriteMode,
    isin,
)
from transforms.schemas import TableSpec


def _sql_literal(value: Any) -> str:
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


def replace_where(values: Mapping[str, list[Any]]) -> str:
    """SQL predicate for Delta's replaceWhere: AND over columns, IN per column, None as IS NULL."""
    clauses = []
    for col, vals in values.items():
        parts = []
        non_null = [v for v in vals if v is not None]
        if non_null:
            parts.append(f"`{col}` IN ({', '.join(_sql_literal(v) for v in non_null)})")
        if len(non_null) < len(vals):
            parts.append(f"`{col}` IS NULL")
        clauses.append("(" + " OR ".join(parts) + ")")
    return " AND ".join(clauses)


@contextlib.contextmanager
def _native_errors(path: str) -> Iterator[None]:
    """Translate delta-spark's conflict and replaceWhere errors into the typed errors."""
    from delta import exceptions as dx

    conflicts = tuple(getattr(dx, n) for n in dx.__all__)
    try:
        yield
    except conflicts as exc:
        raise ConcurrentWriteError(f"concurrent commit on {path}: {exc}") from exc
    except Exception as exc:
        if "DELTA_REPLACE_WHERE_MISMATCH" in str(exc) or "does not conform" in str(exc):
            raise PartitionMismatchError(f"{path}: {exc}") from exc
        raise


class NativeEngine:
    """delta-spark: Delta itself enforces replaceWhere and resolves conflicts."""

    name = "native"

    def __init__(self, spark: SparkSession) -> None:
        self.spark = spark

    def _table(self, path: str) -> Any:
        from delta.tables import DeltaTable

        return DeltaTable.forPath(self.spark, path)

    def exists(self, path: str) -> bool:
        from delta.tables import DeltaTable

        return bool(DeltaTable.isDeltaTable(self.spark, path))

    def version(self, path: str, token: str | None = None) -> int | None:
        """Latest version, or the version of the commit tagged with `token` (our userMetadata)."""
        if not self.exists(path):
            return None
        rows = self._table(path).history(20).select("version", "userMetadata").collect()
        tagged = [r["version"] for r in rows if token is not None and r["userMetadata"] == token]
        return int(tagged[0] if tagged else max(r["version"] for r in rows))

    def read(self, spec: TableSpec, path: str, version: int | None) -> DataFrame:
        reader = self.spark.read.format("delta")
        if version is not None:
            reader = reader.option("versionAsOf", version)
        return reader.load(path)

    def create(self, spec: TableSpec, path: str) -> int:
        from delta.tables import DeltaTable

        with _native_errors(path):
            builder = (
                DeltaTable.createIfNotExists(self.spark).location(path).addColumns(spec.schema)
            )
            if spec.partition_by:
                builder = builder.partitionedBy(*spec.partition_by)
            builder.execute()
        return self.version(path) or 0

    def _save(self, spec: TableSpec, path: str, df: DataFrame, mode: str, **opts: str) -> int:
        token = uuid.uuid4().hex
        writer = df.write.format("delta").mode(mode).option("userMetadata", token)
        for key, value in opts.items():
            writer = writer.option(key, value)
        with _native_errors(path):
            writer.partitionBy(*spec.partition_by).save(path)
        return self.version(path, token) or 0

    def write(self, spec: TableSpec, path: str, df: DataFrame, mode: WriteMode) -> int:
        return self._save(spec, path, df, mode)

    def replace_partitions(
        self, spec: TableSpec, path: str, df: DataFrame, values: dict[str, list[Any]]
    ) -> int:
        return self._save(spec, path, df, "overwrite", replaceWhere=replace_where(values))

    def delete_where(
        self, spec: TableSpec, path: str, column: str, values: list[Any]
    ) -> int | None:
        return self.delete_rows(spec, path, isin(column, values))

    def delete_rows(self, spec: TableSpec, path: str, condition: Column) -> int | None:
        if self.read(spec, path, None).filter(condition).isEmpty():
            return None
        with _native_errors(path):
            self._table(path).delete(condition)
        return self.version(path)

    def partition_values(self, path: str, column: str, version: int | None) -> set[Any]:
        """A partition column's values in the snapshot: delta-spark answers a query on partition
        columns from the log's file list. UNTESTED here (no Delta JARs offline)."""
        if not self.exists(path):
            return set()
        reader = self.spark.read.format("delta")
        if version is not None:
            reader = reader.option("versionAsOf", version)
        return {row[0] for row in reader.load(path).select(column).distinct().collect()}

    def vacuum(self, path: str, retention_hours: float = 0.0) -> int | None:
        """VACUUM with retention 0: every file the current version does not reference is deleted
        (time travel to older versions ends). Delta refuses a retention under its safety limit
        unless spark.databricks.delta.retentionDurationCheck.enabled is false, so it is switched
        off for the call. UNTESTED here (no Delta JARs offline): the delta_jars tests cover it
        where the JARs exist. Returns None: delta-spark does not report the files deleted."""
        if not self.exists(path):
            return None
        key = "spark.databricks.delta.retentionDurationCheck.enabled"
        before = self.spark.conf.get(key, None)
        self.spark.conf.set(key, "false")
        try:
            with _native_errors(path):
                self._table(path).vacuum(float(retention_hours))
        finally:
            if before is None:
                self.spark.conf.unset(key)
            else:
                self.spark.conf.set(key, before)
        return None

    def add_columns(self, spec: TableSpec, path: str) -> list[str]:
        """Add the spec's `added` columns the table lacks (nullable, a metadata-only commit); their
        names. UNTESTED here (no Delta JARs offline)."""
        if not self.exists(path):
            return []
        present = set(self._table(path).toDF().columns)
        missing = [f for f in spec.schema.fields if f.name in spec.added and f.name not in present]
        if missing:
            columns = ", ".join(f"`{f.name}` {f.dataType.simpleString()}" for f in missing)
            with _native_errors(path):
                self.spark.sql(f"ALTER TABLE delta.`{path}` ADD COLUMNS ({columns})")
        return [f.name for f in missing]
