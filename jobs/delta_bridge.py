"""The delta-rs bridge engine: Delta tables from Spark without the Delta JARs.

Reads: delta-rs resolves the snapshot's files (`DeltaTable(path, version).file_uris()`) and Spark
scans them with its Parquet reader; `basePath` + the full spec schema turn the hive-style
directories `<col>=<value>/` back into the partition columns.

Writes: Spark writes Parquet (partitionBy the spec's partition columns) into a unique staging folder
`<table>/_staging-<uuid>` (the `_` prefix hides it from every Delta/Parquet reader), the data files
are moved into the usual layout `<table>/<col>=<value>/part-....parquet`, then the driver commits
them in ONE Delta commit with delta-rs (the log side is jobs/delta_log.py). Until that commit the
files are invisible to every Delta reader, so a crash leaves no visible change (at worst orphan
files, which VACUUM removes). Old files are only removed from the log, never deleted, so time travel
works and a DataFrame read from a table can overwrite that same table.

The bridge works on the local filesystem only (os.rename, driver-side footers): it is for build
machines, CI and laptops. Clusters have the JARs and use the native engine.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlparse

import pyarrow.parquet as pq
from deltalake import DeltaTable
from deltalake.exceptions import DeltaError
from deltalake.transaction import AddAction, RemoveAction
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

# `commit` is called through this module's namespace: tests patch jobs.delta_bridge.commit.
from jobs.delta_log import (
    add_missing_columns,
    check_columns,
    commit,
    committed_version,
    hive_partition,
    in_partitions,
    local_path,
    log_files,
    remove_action,
)
from jobs.table_engine import (
    ConcurrentWriteError,
    PartitionMismatchError,
    TableError,
    TableNotFoundError,
    WriteMode,
    isin,
    partition_string,
)
from transforms.schemas import TableSpec

STAGING_PREFIX = "_staging-"


@dataclass(frozen=True)
class StagedFile:
    rel: str  # path relative to the staging folder = final path relative to the table
    full: str
    partition: dict[str, str | None]
    rows: int


class BridgeEngine:
    """Spark reads and writes the Parquet files; delta-rs keeps the log (see the module doc)."""

    name = "bridge"

    def __init__(self, spark: SparkSession) -> None:
        self.spark = spark
        key = "spark.sql.parquet.outputTimestampType"
        if spark.conf.get(key, None) != "TIMESTAMP_MICROS":
            # Spark's default INT96 is legacy; delta-rs/Polars expect microsecond timestamps.
            spark.conf.set(key, "TIMESTAMP_MICROS")

    # ------------------------------------------------------------ reads
    def _load(self, path: str, version: int | None = None) -> DeltaTable | None:
        local = local_path(path)
        if not DeltaTable.is_deltatable(local):
            return None
        try:
            return DeltaTable(local, version=version)
        except DeltaError as exc:
            raise TableError(f"{path}: cannot load version {version}: {exc}") from exc

    def exists(self, path: str) -> bool:
        return DeltaTable.is_deltatable(local_path(path))

    def version(self, path: str) -> int | None:
        table = self._load(path)
        return None if table is None else table.version()

    def read(self, spec: TableSpec, path: str, version: int | None) -> DataFrame:
        table = self._load(path, version)
        if table is None:
            raise TableNotFoundError(f"no Delta table {spec.name!r} at {path}")
        check_columns(table, spec)  # the scan below would read a missing column as null
        return self._scan(spec, local_path(path), table.file_uris())

    def _scan(
        self, spec: TableSpec, local: str, files: list[str], with_file: bool = False
    ) -> DataFrame:
        """The rows of `files` (absolute local paths) in spec order; with_file adds `_file`."""
        if not files:  # typed nulls over zero rows: stays in the JVM (no Python worker to start)
            nulls = [F.lit(None).cast(f.dataType).alias(f.name) for f in spec.schema.fields]
            return self.spark.range(0).select(*nulls)
        for file in files:  # the directories must carry the partition values the log holds
            hive_partition(os.path.relpath(file, local).replace(os.sep, "/"), spec)
        df = self.spark.read.schema(spec.schema).option("basePath", local).parquet(*files)
        extra = [F.col("_metadata.file_path").alias("_file")] if with_file else []
        return df.select(*spec.columns, *extra)

    def partition_values(self, path: str, column: str, version: int | None) -> set[Any]:
        """A partition column's values in the snapshot, read off the log (no data file read)."""
        table = self._load(path, version)
        files = log_files(table, local_path(path)).values() if table is not None else []
        return {add[f"partition.{column}"] for add in files}

    # ------------------------------------------------------------ writes
    def create(self, spec: TableSpec, path: str) -> int:
        local = local_path(path)
        if not DeltaTable.is_deltatable(local):
            with contextlib.suppress(ConcurrentWriteError):  # created meanwhile: just as good
                commit(local, spec, None, [], "append", uuid.uuid4().hex)
        return DeltaTable(local).version()

    def write(self, spec: TableSpec, path: str, df: DataFrame, mode: WriteMode) -> int:
        return self._commit_files(spec, path, df, mode)

    def add_columns(self, spec: TableSpec, path: str) -> list[str]:
        table = self._load(path)
        return [] if table is None else add_missing_columns(table, spec)

    def replace_partitions(
        self, spec: TableSpec, path: str, df: DataFrame, values: dict[str, list[Any]]
    ) -> int:
        """Remove the files of the matching partitions and add df's files, in one commit."""
        allowed = {col: {partition_string(v) for v in vals} for col, vals in values.items()}
        table = self._load(path)  # the snapshot whose files are replaced
        now = int(time.time() * 1000)
        files = log_files(table, local_path(path)).values() if table is not None else []
        removes = [remove_action(a, spec, now) for a in files if in_partitions(a, allowed)]

        def check(staged: list[StagedFile]) -> None:
            # Nothing in the Delta protocol checks that added files lie in those partitions.
            for f in staged:
                if any(f.partition[col] not in ok for col, ok in allowed.items()):
                    raise PartitionMismatchError(
                        f"{spec.name}: new file {f.rel} lies outside the partitions being "
                        f"replaced {values}; nothing was committed"
                    )

        return self._commit_files(
            spec, path, df, "append", check=check, removes=removes, table=table
        )

    def delete_where(
        self, spec: TableSpec, path: str, column: str, values: list[Any]
    ) -> int | None:
        """Remove the files holding matching rows and add rewrites of their other rows."""
        if column not in spec.partition_by:
            return self.delete_rows(spec, path, isin(column, values))
        table = self._load(path)
        if table is None:
            return None
        # A partition column: whole files match, no rewrite needed.
        wanted = {column: {partition_string(v) for v in values}}
        by_file = log_files(table, local_path(path))
        hit = [f for f, add in by_file.items() if in_partitions(add, wanted)]
        return self._remove_files(spec, path, table, by_file, hit, None)

    def delete_rows(self, spec: TableSpec, path: str, condition: Column) -> int | None:
        """Remove the rows where `condition` is true (it must never be null) in ONE commit: the
        files holding such rows are removed and their other rows written to new files. None when
        no row matched (nothing committed)."""
        local = local_path(path)
        table = self._load(path)
        if table is None:
            return None
        by_file = log_files(table, local)
        scan = self._scan(spec, local, list(by_file), with_file=True)
        found = scan.filter(condition).select("_file").distinct().collect()
        # Spark reports file:/... URIs, URL-encoded: decode them back to local paths.
        hit = [os.path.normpath(unquote(urlparse(row[0]).path)) for row in found]
        keep = self._scan(spec, local, hit).filter(~condition) if hit else None
        return self._remove_files(spec, path, table, by_file, hit, keep)

    def _remove_files(
        self,
        spec: TableSpec,
        path: str,
        table: DeltaTable,
        by_file: dict[str, dict[str, Any]],
        hit: list[str],
        keep: DataFrame | None,
    ) -> int | None:
        if not hit:
            return None
        unknown = [f for f in hit if f not in by_file]
        if unknown:
            raise TableError(f"{spec.name}: scanned file {unknown[0]} is not in the Delta log")
        now = int(time.time() * 1000)
        removes = [remove_action(by_file[f], spec, now) for f in hit]
        return self._commit_files(spec, path, keep, "append", removes=removes, table=table)

    def vacuum(self, path: str, retention_hours: float = 0.0) -> int | None:
        """Delete every file the current version does not reference and that was removed more
        than retention_hours ago (0: at once; time travel to older versions ends), and orphans
        of crashed writes. Files and folders starting with `_` (the log, writes being staged) are
        left alone. The number of files deleted; None when the table does not exist."""
        table = self._load(path)
        if table is None:
            return None
        local = local_path(path)
        hours = int(retention_hours)
        options = {"retention_hours": hours, "enforce_retention_duration": False, "full": True}
        # delta-rs lists every tombstone past retention, files deleted long ago included, and
        # commits VACUUM START/END even then: vacuum only when a listed file is still on disk, so
        # that a rerun commits nothing.
        listed = table.vacuum(dry_run=True, **options)
        present = [f for f in listed if os.path.exists(os.path.join(local, unquote(f)))]
        if not present:
            return 0
        table.vacuum(dry_run=False, **options)
        return len(present)

    def _commit_files(
        self,
        spec: TableSpec,
        path: str,
        df: DataFrame | None,
        mode: WriteMode,
        *,
        check: Callable[[list[StagedFile]], None] | None = None,
        removes: Sequence[RemoveAction] = (),
        table: DeltaTable | None = None,
    ) -> int:
        """Stage df, validate, move the files into place and commit them (with removes) at once."""
        local = local_path(path)
        # The snapshot is taken before writing, so delta-rs' conflict checker sees any commit in
        # between that removed files we remove. Note: it does not treat a concurrent append into
        # a partition being replaced as a conflict (that append survives the replacement).
        table = table if table is not None else self._load(path)
        staging = os.path.join(local, f"{STAGING_PREFIX}{uuid.uuid4().hex}")
        token = uuid.uuid4().hex
        moved: list[str] = []
        attempted = False
        try:
            files = self._stage(spec, df, staging) if df is not None else []
            if check is not None:
                check(files)
            if table is not None and mode == "append" and not files and not removes:
                return table.version()  # an empty append changes nothing: no empty commit
            adds = [self._publish(f, local, moved) for f in files]
            attempted = True
            commit(local, spec, table, [*adds, *removes], mode, token)
        except BaseException as exc:
            # Files are only deleted when the commit surely did not happen; otherwise they stay
            # (orphans are harmless, deleting committed files would corrupt the table).
            if not attempted or isinstance(exc, ConcurrentWriteError):
                for file in moved:
                    if os.path.exists(file):
                        os.remove(file)
            raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return committed_version(local, token)

    def _stage(self, spec: TableSpec, df: DataFrame, staging: str) -> list[StagedFile]:
        """Spark writes df under staging; the data files found there, with partitions and rows."""
        writer = df.write.mode("errorifexists")
        if spec.partition_by:
            writer = writer.partitionBy(*spec.partition_by)
        writer.parquet(staging)
        files = []
        for folder, dirs, names in os.walk(staging):
            dirs[:] = [d for d in dirs if not d.startswith((".", "_"))]  # _temporary leftovers
            for name in names:
                # Skip _SUCCESS and .crc checksums: only data files go into the table folder.
                if name.startswith((".", "_")) or not name.endswith(".parquet"):
                    continue
                full = os.path.join(folder, name)
                rel = os.path.relpath(full, staging).replace(os.sep, "/")
                rows = pq.read_metadata(full).num_rows
                if rows:  # Spark writes one empty file for an empty unpartitioned df
                    files.append(StagedFile(rel, full, hive_partition(rel, spec), rows))
        return files

    @staticmethod
    def _publish(file: StagedFile, local: str, moved: list[str]) -> AddAction:
        """Move a staged file to its final place (still invisible until the commit)."""
        dest = os.path.join(local, *file.rel.split("/"))
        if os.path.exists(dest):  # Spark names files part-<task>-<job uuid>: cannot happen
            raise TableError(f"refusing to replace existing file {dest}")
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        os.rename(file.full, dest)
        moved.append(dest)
        stat, stats = os.stat(dest), json.dumps({"numRecords": file.rows})
        # AddAction.path is the plain relative path: delta-rs URL-encodes it for the log.
        mtime_ms = int(stat.st_mtime * 1000)
        return AddAction(file.rel, stat.st_size, file.partition, mtime_ms, True, stats)
