"""The lake's Delta tables behind one small API: `Lake`.

Stages only use `Lake`. It validates arguments and conforms every DataFrame to its TableSpec
(transforms.schemas) on the way in and out, so a table's columns, order and types are decided in
exactly one place, then hands the work to one of two engines:

- "native" (jobs/delta_native.py): Spark's own `format("delta")`; needs the Delta JARs on the
  classpath (clusters, `--packages`). It is the engine for anything that is not a local folder.
- "bridge" (jobs/delta_bridge.py): no JARs (sealed build machines, CI, laptops): Spark scans/writes
  plain Parquet and the driver commits the files with delta-rs. Local filesystem only.

Both produce ordinary Delta tables (delta-spark, delta-rs, Polars and DuckDB read them). The typed
errors live in jobs/table_engine.py and are re-exported here.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from typing import Any

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from jobs.delta_native import NativeEngine, replace_where
from jobs.session import delta_jars_present
from jobs.table_engine import (
    ConcurrentWriteError,
    Engine,
    PartitionMismatchError,
    TableError,
    TableNotFoundError,
    WriteMode,
    isin,
    partition_string,
)
from transforms.schemas import TABLES, TableSpec

__all__ = [
    "ConcurrentWriteError",
    "Engine",
    "Lake",
    "NativeEngine",
    "PartitionMismatchError",
    "TableError",
    "TableNotFoundError",
    "WriteMode",
    "conform",
    "isin",
    "partition_string",
    "replace_where",
    "value_list",
]

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


class Lake:
    """The tables under one root (a local folder or a URI), read and written as Delta tables."""

    def __init__(self, spark: SparkSession, root: str, engine: str = "auto") -> None:
        self.spark = spark
        # Local paths are made absolute: Spark executors and delta-rs must agree on the location.
        self.root = root if "://" in root or root.startswith("file:") else os.path.abspath(root)
        jars = delta_jars_present(spark)
        if engine == "auto":
            engine = "native" if jars else "bridge"
        if engine == "native":
            if not jars:
                raise TableError(
                    "engine 'native' needs the Delta Lake JARs on the Spark classpath (e.g. "
                    "spark-submit --packages io.delta:delta-spark_2.13:<version>); none found. "
                    "Use engine 'auto' or 'bridge' to go through delta-rs instead."
                )
            self._impl: Engine = NativeEngine(spark)
        elif engine == "bridge":
            from jobs.delta_bridge import BridgeEngine  # imported on use: it loads delta-rs

            self._impl = BridgeEngine(spark)
        else:
            raise TableError(f"unknown table engine {engine!r} (auto, native or bridge)")
        self.engine: str = engine
        self._evolved: set[str] = set()  # tables whose columns were checked against their spec
        log.info("tables under %s use the %s engine", self.root, engine)

    def spec(self, name: str) -> TableSpec:
        try:
            return TABLES[name]
        except KeyError:
            raise TableError(f"unknown table {name!r}; tables: {', '.join(TABLES)}") from None

    def path(self, name: str) -> str:
        return f"{self.root.rstrip('/')}/{name}"

    def exists(self, name: str) -> bool:
        return self._impl.exists(self.path(name))

    def version(self, name: str) -> int | None:
        """Latest committed version, None when the table does not exist."""
        return self._impl.version(self.path(name))

    def read(self, name: str, version: int | None = None) -> DataFrame:
        """The table (at `version`, default latest) with exactly the spec's columns and types."""
        spec = self.spec(name)
        if not self.exists(name):
            raise TableNotFoundError(f"no Delta table {name!r} at {self.path(name)}")
        return conform(self._impl.read(spec, self.path(name), version), spec, strict=False)

    def create(self, name: str) -> int:
        """Create the empty table if absent (idempotent); its current version."""
        return self._impl.create(self.spec(name), self.path(name))

    def _add_columns(self, name: str) -> None:
        """Give an existing table the spec's `added` columns it lacks (nullable, a metadata-only
        commit), once per Lake, right before the first commit of rows: older rows read them as
        null and every reader sees the new ones. A write that fails Lake's own checks commits
        nothing; one the engine refuses after staging its files (PartitionMismatchError) may
        leave the columns added, which changes no row."""
        spec = self.spec(name)
        if name in self._evolved or not spec.added:
            return
        added = self._impl.add_columns(spec, self.path(name))
        if added:
            log.warning("%s: added column(s) %s to the table", name, ", ".join(added))
        self._evolved.add(name)

    def append(self, name: str, df: DataFrame) -> int:
        spec = self.spec(name)
        data = conform(df, spec)
        self._add_columns(name)
        return self._impl.write(spec, self.path(name), data, "append")

    def overwrite(self, name: str, df: DataFrame) -> int:
        """Replace the whole content in one commit (older versions stay readable)."""
        spec = self.spec(name)
        data = conform(df, spec)
        self._add_columns(name)
        return self._impl.write(spec, self.path(name), data, "overwrite")

    def replace_partitions(
        self, name: str, df: DataFrame, values: Mapping[str, Sequence[Any]]
    ) -> int:
        """Atomically replace the partitions matching `values` (AND over keys, IN per key) by df.

        Reruns of a day are idempotent this way. Rows of df outside those partitions raise
        PartitionMismatchError before anything is committed; an empty df removes the partitions.
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
        self._add_columns(name)
        return self._impl.replace_partitions(spec, self.path(name), data, lists)

    def delete_where(self, name: str, column: str, values: Sequence[Any]) -> int | None:
        """Remove rows whose `column` is in values (erasure), in one commit.

        Returns the new version, or None when no row matched (or the table does not exist).
        """
        spec = self.spec(name)
        if column not in spec.columns:
            raise TableError(f"{name}: unknown column {column!r}")
        vals = value_list(values, f"{name}.{column}")
        if not vals or not self.exists(name):
            return None
        return self._impl.delete_where(spec, self.path(name), column, vals)

    def delete_rows(self, name: str, condition: Column) -> int | None:
        """Remove the rows where `condition` holds, in one commit (erasure; a null condition
        counts as false: such rows are kept). The new version, or None when no row matched (or
        the table does not exist): a rerun commits nothing."""
        spec = self.spec(name)
        if not self.exists(name):
            return None
        return self._impl.delete_rows(spec, self.path(name), F.coalesce(condition, F.lit(False)))

    def vacuum(self, name: str, retention_hours: float = 0.0) -> int | None:
        """Delete the table's files that its current version does not reference and that were
        removed more than retention_hours ago (0, erasure: old versions stop being readable).
        Files deleted (None: unknown, or no table)."""
        self.spec(name)
        if not self.exists(name):
            return None
        return self._impl.vacuum(self.path(name), retention_hours)

    def partition_values(self, name: str, column: str, version: int | None = None) -> set[Any]:
        """The values a partition column takes in the table (at `version`), without reading
        its data files (bridge: from the Delta log); empty when the table does not exist."""
        spec = self.spec(name)
        if column not in spec.partition_by:
            raise TableError(f"{name}: {column!r} is not a partition column")
        return self._impl.partition_values(self.path(name), column, version)
