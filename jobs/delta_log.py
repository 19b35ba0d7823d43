"""The Delta log through delta-rs, for the bridge engine (jobs/delta_bridge.py).

Everything the bridge needs to know or change in a table's `_delta_log`: the table's local folder,
its Delta schema, the hive-style partition layout of its files, a snapshot's add actions and the
remove actions for them, and the single commit per write (tagged with a token so that the version
of our own commit can be found afterwards).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any
from urllib.parse import unquote, urlparse

import pyarrow as pa
from deltalake import DeltaTable, Schema
from deltalake.exceptions import CommitFailedError, DeltaError
from deltalake.transaction import (
    AddAction,
    CommitProperties,
    RemoveAction,
    create_table_with_add_actions,
)
from pyspark.sql.pandas.types import to_arrow_schema

from jobs.table_engine import ConcurrentWriteError, TableError, WriteMode, partition_string
from transforms.schemas import TableSpec

TOKEN_KEY = "sway.commit"  # commitInfo key tagging our commits, to find their version afterwards
NULL_DIR = "__HIVE_DEFAULT_PARTITION__"  # Spark's directory name for a null partition value


def local_path(path: str) -> str:
    """The table's local folder; remote URIs are refused (clusters use the native engine)."""
    if path.startswith("file:"):
        return unquote(urlparse(path).path)
    if "://" in path:
        raise TableError(
            f"{path}: the bridge engine handles local folders only; on a cluster put the Delta "
            "JARs on the classpath so that the native engine is used"
        )
    return path


def delta_schema(spec: TableSpec) -> Schema:
    """The spec as a delta-rs schema, every column nullable (as delta-spark writes them)."""
    # TimestampType -> timestamp[us, UTC], which Delta calls "timestamp" (not timestamp_ntz).
    arrow = to_arrow_schema(spec.schema, timezone="UTC")
    return Schema.from_arrow(pa.schema([field.with_nullable(True) for field in arrow]))


def hive_partition(rel: str, spec: TableSpec) -> dict[str, str | None]:
    """Partition values of a file from its path `c1=v1/c2=v2/file` (Spark's %XX escaping undone)."""
    pairs = [d.split("=", 1) for d in rel.split("/")[:-1]]
    if [p[0] for p in pairs] != list(spec.partition_by) or any(len(p) != 2 for p in pairs):
        layout = "/".join(f"{c}=..." for c in spec.partition_by) or "files at the table root"
        raise TableError(
            f"{spec.name}: file {rel} is not in the hive-style layout ({layout}) the bridge "
            "engine reads; read this table with the native engine"
        )
    return {name: None if raw == NULL_DIR else unquote(raw) for name, raw in pairs}


def log_files(table: DeltaTable, local: str) -> dict[str, dict[str, Any]]:
    """The snapshot's add actions (flattened: `partition.<col>` typed) by local file path."""
    rows = pa.table(table.get_add_actions(flatten=True)).to_pylist()
    # get_add_actions gives the log's URL-encoded relative path; files on disk are unencoded.
    return {os.path.normpath(os.path.join(local, unquote(r["path"]))): r for r in rows}


def in_partitions(add: dict[str, Any], allowed: dict[str, set[str | None]]) -> bool:
    """Whether a log file lies in the partitions `allowed` (AND over columns, IN per column)."""
    return all(partition_string(add[f"partition.{c}"]) in ok for c, ok in allowed.items())


def remove_action(add: dict[str, Any], spec: TableSpec, now_ms: int) -> RemoveAction:
    """Remove action for a row of get_add_actions(flatten=True) (its path is URL-encoded)."""
    values = {c: partition_string(add[f"partition.{c}"]) for c in spec.partition_by}
    return RemoveAction(unquote(add["path"]), True, now_ms, add["size_bytes"], values)


def commit(
    local: str,
    spec: TableSpec,
    table: DeltaTable | None,
    actions: Sequence[AddAction | RemoveAction],
    mode: WriteMode,
    token: str,
) -> None:
    """One Delta commit of `actions` (table None: create the table with them).

    The bridge calls it as `jobs.delta_bridge.commit`, which tests patch to make it fail. In
    "overwrite" mode delta-rs removes every file of
    the snapshot itself; partition replacement passes explicit RemoveActions in "append" mode
    instead of delta-rs' partition_filters, which take no OR (so no null plus other values).
    """
    common: dict[str, Any] = {
        "schema": delta_schema(spec),
        "partition_by": list(spec.partition_by) or None,
        "commit_properties": CommitProperties(custom_metadata={TOKEN_KEY: token}),
    }
    try:
        if table is None:
            adds = [a for a in actions if isinstance(a, AddAction)]
            create_table_with_add_actions(local, add_actions=adds, mode="error", **common)
        else:
            table.create_write_transaction(list(actions), mode=mode, **common)
    except CommitFailedError as exc:
        raise ConcurrentWriteError(f"{local}: a concurrent commit conflicts ({exc})") from exc
    except DeltaError as exc:
        if table is None and "already exists" in str(exc):
            raise ConcurrentWriteError(f"{local}: table created concurrently; rerun") from exc
        raise TableError(f"{local}: delta-rs refused the commit: {exc}") from exc


def check_columns(table: DeltaTable, spec: TableSpec) -> None:
    """Raise unless the table has every column of the spec but its `added` ones (which read as
    null), as Lake.read's conform does for the native engine."""
    present = {field.name for field in table.schema().fields}
    missing = [c for c in spec.columns if c not in present and c not in spec.added]
    if missing:
        raise TableError(f"{spec.name}: missing column(s) {', '.join(missing)}")


def add_missing_columns(table: DeltaTable, spec: TableSpec) -> list[str]:
    """Add the spec's `added` columns the table lacks (nullable, a metadata-only commit); their
    names.

    delta-rs keeps the table's schema when it commits our files, so without this a column added
    to a spec would be in the new Parquet files but invisible to every other reader."""
    present = {field.name for field in table.schema().fields}
    missing = [
        f for f in delta_schema(spec).fields if f.name in spec.added and f.name not in present
    ]
    if missing:
        try:
            table.alter.add_columns(missing)
        except DeltaError as exc:
            table.update_incremental()  # added meanwhile by a concurrent writer: just as good
            if {f.name for f in table.schema().fields} >= {f.name for f in missing}:
                return []
            raise TableError(f"{spec.name}: delta-rs refused to add columns: {exc}") from exc
    return [f.name for f in missing]


def committed_version(local: str, token: str) -> int:
    """Version of our commit (tagged with token), not of whatever committed right after it."""
    table = DeltaTable(local)
    for entry in table.history(limit=20):
        if entry.get(TOKEN_KEY) == token:
            return int(entry["version"])
    return table.version()
