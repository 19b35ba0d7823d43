"""The lake's Delta tables behind one small API, with two engines (DESIGN §4).

- "native": Spark's own `format("delta")`; needs the Delta JARs on the classpath (clusters,
  `--packages`). It is the engine for anything that is not a local folder.
- "bridge": no JARs (sealed build machines, CI, laptops): Spark scans/writes plain Parquet and the
  driver commits the files with delta-rs; see jobs/delta_bridge.py. Local filesystem only.

Both produce ordinary Delta tables (delta-spark, delta-rs, Polars and DuckDB read them). Stages
only use `Lake`; every DataFrame is conformed to its TableSpec (transforms.schemas) on the way in
and out, so a table's columns, order and types are decided in exactly one place.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import uuid
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Literal, Protocol

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from jobs.session import delta_jars_present
from transforms.schemas import TABLES, TableSpec

log = logging.getLogger(__name__)

WriteMode = Literal["append", "overwrite"]


class TableError(RuntimeError):
    """Base of the table layer's typed errors."""


class TableNotFoundError(TableError):
    """No Delta table at the table's path."""


class PartitionMismatchError(TableError):
    """New rows/files lie outside the partitions being replaced; nothing was committed."""


class ConcurrentWriteError(TableError):
    """A concurrent commit conflicted with ours; nothing of ours was committed. Rerun the step."""


# ---------------------------------------------------------------- helpers shared by both engines
def conform(df: DataFrame, spec: TableSpec, *, strict: bool = True) -> DataFrame:
    """Select the spec's columns, in order, cast to the spec's types.

    strict (writes): extra columns are an error too, because a silently dropped column is usually a
    renamed one. Reads are lenient so that a table with added columns still reads as the spec says.
    """
    present = set(df.columns)
    missing = [c for c in spec.columns if c not in present]
    if missing:
        raise TableError(f"{spec.name}: missing column(s) {', '.join(missing)}")
    extra = [c for c in df.columns if c not in spec.columns]
    if strict and extra:
        raise TableError(f"{spec.name}: unknown column(s) {', '.join(extra)}")
    return df.select([df[f.name].cast(f.dataType).alias(f.name) for f in spec.schema.fields])


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


def value_list(values: Sequence[Any], what: str) -> list[Any]:
    """A caller's value sequence as a list; a bare string would otherwise iterate per character."""
    if isinstance(values, str | bytes):
        raise TableError(f"{what}: expected a sequence of values, got the string {values!r}")
    try:
        return list(values)
    except TypeError as exc:
        raise TableError(f"{what}: expected a sequence of values, got {values!r}") from exc


def isin(column: str, values: Sequence[Any]) -> Column:
    """`column IN values`, where a None in values also matches nulls (never null itself)."""
    non_null = [v for v in values if v is not None]
    cond = F.coalesce(F.col(column).isin(non_null), F.lit(False)) if non_null else F.lit(False)
    return cond | F.col(column).isNull() if len(non_null) < len(values) else cond


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


# ---------------------------------------------------------------- public API
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
            from jobs.delta_bridge import BridgeEngine  # imported late: it imports this module

            self._impl = BridgeEngine(spark)
        else:
            raise TableError(f"unknown table engine {engine!r} (auto, native or bridge)")
        self.engine: str = engine
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

    def append(self, name: str, df: DataFrame) -> int:
        spec = self.spec(name)
        return self._impl.write(spec, self.path(name), conform(df, spec), "append")

    def overwrite(self, name: str, df: DataFrame) -> int:
        """Replace the whole content in one commit (older versions stay readable)."""
        spec = self.spec(name)
        return self._impl.write(spec, self.path(name), conform(df, spec), "overwrite")

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


# ---------------------------------------------------------------- native engine (needs the JARs)
# Not exercised offline: its tests are marked delta_jars and skipped when the JARs are absent.


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
        cond = isin(column, values)
        if self.read(spec, path, None).filter(cond).isEmpty():
            return None
        with _native_errors(path):
            self._table(path).delete(cond)
        return self.version(path)
