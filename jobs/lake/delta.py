"""Delta Lake operations through delta-spark, in DataFrame and SQL calls only.

No `DeltaTable` Python object, no `sparkContext`, no `_jvm`: the same calls run in a classic
session and over Spark Connect (where the server has the Delta JARs and extension, and no Delta
Connect plugin is needed). Delta itself enforces `replaceWhere` and resolves concurrent commits;
this module builds the statements and maps delta-spark's errors to the layer's typed errors.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import uuid
from collections.abc import Iterator, Mapping
from typing import Any

from pyspark.errors import AnalysisException
from pyspark.sql import DataFrame, SparkSession

from jobs.lake.errors import (
    ConcurrentWriteError,
    PartitionMismatchError,
    TableError,
    TableNotFoundError,
    WriteMode,
    sql_in,
)
from transforms.schemas import TableSpec

# delta-spark's optimistic-concurrency exceptions, by name: over Spark Connect they arrive as
# generic errors whose message carries the name or the error class.
CONFLICTS = (
    "ConcurrentAppendException",
    "ConcurrentDeleteReadException",
    "ConcurrentDeleteDeleteException",
    "ConcurrentTransactionException",
    "MetadataChangedException",
    "ProtocolChangedException",
    "DELTA_CONCURRENT_",
    "DELTA_METADATA_CHANGED",
    "DELTA_PROTOCOL_CHANGED",
)
MISSING = ("DELTA_MISSING_DELTA_TABLE", "PATH_NOT_FOUND", "is not a Delta table")
RETENTION_CHECK = "spark.databricks.delta.retentionDurationCheck.enabled"
COMMIT_FILE = re.compile(r"\d{20}\.json")
HISTORY_DEPTH = 20  # commits searched for our own commit's token (a lease holder writes alone)


def _properties(properties: Mapping[str, str]) -> str:
    return ", ".join(f"'{key}' = '{value}'" for key, value in properties.items())


def quoted(path: str) -> str:
    """The table as a SQL identifier: delta.`path`."""
    return "delta.`" + path.replace("`", "``") + "`"


def replace_where(values: Mapping[str, list[Any]]) -> str:
    """SQL predicate for Delta's replaceWhere: AND over columns, IN per column, None as IS NULL."""
    return " AND ".join(sql_in(col, vals) for col, vals in values.items())


@contextlib.contextmanager
def delta_errors(path: str) -> Iterator[None]:
    """Translate delta-spark's conflict and replaceWhere errors into the typed errors."""
    try:
        yield
    except Exception as exc:
        text = str(exc)
        if any(name in text for name in CONFLICTS):
            first = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
            raise ConcurrentWriteError(f"concurrent commit on {path}: {first}") from exc
        if "DELTA_REPLACE_WHERE_MISMATCH" in text or "does not conform" in text:
            raise PartitionMismatchError(f"{path}: rows outside the replaced partitions") from exc
        raise


def local_log(spark: SparkSession, path: str) -> str | None:
    """The table's `_delta_log` folder when this process can read it directly: a classic session
    (its driver is this process) and a local path. None over Spark Connect (the files are the
    server's) and for URIs (object stores)."""
    if "://" in path and not path.startswith("file:"):
        return None
    try:
        spark.sparkContext  # noqa: B018 - raises over Spark Connect
    except Exception:  # noqa: BLE001 - pyspark raises different errors by mode and version
        return None
    return os.path.join(path.removeprefix("file:"), "_delta_log")


def log_history(log_dir: str, limit: int) -> list[dict[str, Any]] | None:
    """The last `limit` commits (version, userMetadata, operation, operationMetrics) read from
    the log's JSON files, newest first; None without a log. The same answer as DESCRIBE
    HISTORY, without a Spark command (a tenth of a second each, hundreds per run)."""
    try:
        names = os.listdir(log_dir)
    except FileNotFoundError:
        return None
    versions = sorted((int(n[:20]) for n in names if COMMIT_FILE.fullmatch(n)), reverse=True)
    rows = []
    for version in versions[:limit]:
        with open(os.path.join(log_dir, f"{version:020d}.json"), encoding="utf-8") as handle:
            info = next(
                (json.loads(line)["commitInfo"] for line in handle if '"commitInfo"' in line), {}
            )
        rows.append(
            {
                "version": version,
                "userMetadata": info.get("userMetadata"),
                "operation": info.get("operation"),
                "operationMetrics": info.get("operationMetrics"),
            }
        )
    return rows or None


class DeltaTables:
    """What the Lake asks of Delta, for tables addressed by path."""

    def __init__(self, spark: SparkSession) -> None:
        self.spark = spark

    def history(self, path: str, limit: int = 1) -> list[Any] | None:
        """The last `limit` commits (version, userMetadata, operation, operationMetrics), newest
        first; None: no table."""
        log_dir = local_log(self.spark, path)
        if log_dir is not None:
            return log_history(log_dir, limit)
        try:
            rows = self.spark.sql(f"DESCRIBE HISTORY {quoted(path)} LIMIT {int(limit)}")
            return rows.select("version", "userMetadata", "operation", "operationMetrics").collect()
        except AnalysisException as exc:
            if any(word in str(exc) for word in MISSING):
                return None
            raise

    def version(self, path: str, token: str | None = None) -> int | None:
        """Latest version, or the version of the commit tagged with `token` (our userMetadata)."""
        rows = self.history(path, HISTORY_DEPTH if token else 1)
        if not rows:
            return None
        tagged = [r["version"] for r in rows if token is not None and r["userMetadata"] == token]
        return int(tagged[0] if tagged else rows[0]["version"])

    def read(self, path: str, version: int | None) -> DataFrame:
        reader = self.spark.read.format("delta")
        if version is not None:
            reader = reader.option("versionAsOf", version)
        try:
            return reader.load(path)
        except AnalysisException as exc:
            if "DELTA_VERSION_NOT_FOUND" in str(exc) or any(w in str(exc) for w in MISSING):
                first = str(exc).strip().splitlines()[0]
                raise TableNotFoundError(f"{path} (version {version}): {first}") from exc
            raise

    def create(self, spec: TableSpec, path: str, properties: Mapping[str, str]) -> int:
        columns = ", ".join(f"`{f.name}` {f.dataType.simpleString()}" for f in spec.schema.fields)
        ddl = f"CREATE TABLE IF NOT EXISTS {quoted(path)} ({columns}) USING delta"
        if spec.partition_by:
            ddl += f" PARTITIONED BY ({', '.join(f'`{c}`' for c in spec.partition_by)})"
        if properties:
            ddl += f" TBLPROPERTIES ({_properties(properties)})"
        with delta_errors(path):
            self.spark.sql(ddl)
        return self.version(path) or 0

    def set_properties(self, path: str, properties: Mapping[str, str]) -> bool:
        """Give an existing table these properties (one metadata commit when any differs)."""
        rows = self.spark.sql(f"SHOW TBLPROPERTIES {quoted(path)}").collect()
        present = {row["key"]: row["value"] for row in rows}
        if all(present.get(key) == value for key, value in properties.items()):
            return False
        with delta_errors(path):
            self.spark.sql(
                f"ALTER TABLE {quoted(path)} SET TBLPROPERTIES ({_properties(properties)})"
            )
        return True

    def delete_matching(self, path: str, source: DataFrame, condition_sql: str) -> int:
        """Delete the rows `t` for which the condition holds against the one-row `source` `s`,
        in one commit (a MERGE: the values stay in `source`, out of the commit log's SQL)."""
        view = f"sway_source_{uuid.uuid4().hex}"
        source.createOrReplaceTempView(view)
        try:
            with delta_errors(path):
                self.spark.sql(
                    f"MERGE INTO {quoted(path)} t USING {view} s ON {condition_sql} "
                    "WHEN MATCHED THEN DELETE"
                ).collect()
        finally:
            self.spark.catalog.dropTempView(view)
        return self.version(path) or 0

    def save(
        self,
        spec: TableSpec,
        path: str,
        df: DataFrame,
        mode: WriteMode,
        token: str | None = None,
        **opts: str,
    ) -> int:
        """One commit of df, tagged with `token` (default: a fresh one) in the commit's
        userMetadata; the version of that commit."""
        token = token or uuid.uuid4().hex
        writer = df.write.format("delta").mode(mode).option("userMetadata", token)
        for key, value in opts.items():
            writer = writer.option(key, value)
        with delta_errors(path):
            writer.partitionBy(*spec.partition_by).save(path)
        version = self.version(path, token)
        if version is None:
            raise TableError(f"{path}: the write left no Delta table")
        return version

    def delete(self, path: str, condition_sql: str) -> int:
        """DELETE the rows where the SQL condition holds, in one commit; the new version."""
        with delta_errors(path):
            self.spark.sql(f"DELETE FROM {quoted(path)} WHERE {condition_sql}").collect()
        return self.version(path) or 0

    def vacuum(self, path: str, retention_hours: float, changed: bool = False) -> int:
        """VACUUM: delete the files the current version does not reference that were removed
        (or, never committed, written) more than retention_hours ago; the count deleted.

        A dry run first finds whether there is anything to delete, so that a rerun with nothing
        to delete commits nothing. `changed`: the caller has just removed files from the table
        (with retention 0 they are due), so the dry run is skipped and the count is the one
        the VACUUM END commit records. Delta refuses a retention under its safety limit (7 days)
        unless its check is off, so it is switched off for the call: the callers hold the
        lake's writer lease, so no concurrent writer has files in flight."""
        before = self.spark.conf.get(RETENTION_CHECK, None)
        self.spark.conf.set(RETENTION_CHECK, "false")
        hours = f"RETAIN {float(retention_hours)} HOURS"
        try:
            with delta_errors(path):
                if changed:
                    self.spark.sql(f"VACUUM {quoted(path)} {hours}").collect()
                    return self._vacuumed(path)
                listed = self.spark.sql(f"VACUUM {quoted(path)} {hours} DRY RUN").collect()
                # The dry run lists emptied partition folders (`col=value`) too: files only
                # decide.
                doomed = [r for r in listed if "=" not in r[0].rstrip("/").rsplit("/", 1)[-1]]
                if doomed:
                    self.spark.sql(f"VACUUM {quoted(path)} {hours}").collect()
        finally:
            if before is None:
                self.spark.conf.unset(RETENTION_CHECK)
            else:
                self.spark.conf.set(RETENTION_CHECK, before)
        return len(doomed)

    def _vacuumed(self, path: str) -> int:
        """Files the last VACUUM deleted, from its VACUUM END commit (0 where Delta does not
        log vacuums: spark.databricks.delta.vacuum.logging.enabled off)."""
        rows = self.history(path, 1) or []
        if not rows or rows[0]["operation"] != "VACUUM END":
            return 0
        return int((rows[0]["operationMetrics"] or {}).get("numDeletedFiles", 0))

    def partition_values(self, path: str, column: str, version: int | None) -> set[Any]:
        """A partition column's values in the snapshot (a scan of that column only: Parquet
        files hold no partition column, so no data page is read)."""
        rows = self.read(path, version).select(column).distinct().collect()
        return {row[0] for row in rows}

    def add_columns(self, spec: TableSpec, path: str) -> list[str]:
        """Add the spec's `added` columns the table lacks (nullable, a metadata-only commit)."""
        present = set(self.read(path, None).columns)
        missing = [f for f in spec.schema.fields if f.name in spec.added and f.name not in present]
        if missing:
            columns = ", ".join(f"`{f.name}` {f.dataType.simpleString()}" for f in missing)
            with delta_errors(path):
                self.spark.sql(f"ALTER TABLE {quoted(path)} ADD COLUMNS ({columns})")
        return [f.name for f in missing]
