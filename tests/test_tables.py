"""The table layer: Lake over delta-spark, its tables read back by delta-rs and Polars too."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import deltalake
import polars as pl
import pytest
from polars.testing import assert_frame_equal
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import types as T

from jobs.lake import (
    Lake,
    PartitionMismatchError,
    TableError,
    TableNotFoundError,
)
from jobs.lake.delta import replace_where
from transforms.schemas import QUARANTINE, SCORES, TABLES, TableSpec

UTC = dt.UTC
D1, D2, D3 = dt.date(2024, 1, 1), dt.date(2024, 1, 2), dt.date(2024, 1, 3)


@pytest.fixture
def lake(spark: SparkSession, tmp_path: Path) -> Lake:
    return Lake(spark, str(tmp_path / "lake"))


def rows(df: DataFrame) -> list[tuple[Any, ...]]:
    return sorted((tuple(r) for r in df.collect()), key=lambda r: tuple(str(v) for v in r))


def table_files(lake: Lake, name: str) -> list[str]:
    """Every file under the table folder except the Delta log."""
    root = lake.path(name)
    found = []
    for folder, dirs, names in os.walk(root):
        dirs[:] = [d for d in dirs if d != "_delta_log"]
        found += [os.path.relpath(os.path.join(folder, n), root) for n in names]
    return sorted(found)


def scores_df(spark: SparkSession, day: dt.date, people: list[int], run: str = "r1") -> DataFrame:
    data = [
        (p, p / 10, 0.5, None, 1.0, {"x": 1.0}, ["ai"], None, None, run, "v1", day) for p in people
    ]
    return spark.createDataFrame(data, SCORES.schema)


def quarantine_df(spark: SparkSession, data: list[tuple[str, str, dt.date]]) -> DataFrame:
    # (source, record, event_date)
    return spark.createDataFrame(
        [(s, "bad", rec, "r1", d) for s, rec, d in data], QUARANTINE.schema
    )


# ---------------------------------------------------------------- round trip of every column kind
KINDS = T.StructType(
    [
        T.StructField("id", T.LongType()),
        T.StructField("name", T.StringType()),
        T.StructField("tags", T.ArrayType(T.StringType())),
        T.StructField("weights", T.MapType(T.StringType(), T.DoubleType())),
        T.StructField("at", T.TimestampType()),
        T.StructField("flag", T.BooleanType()),
        T.StructField("small", T.IntegerType()),
        T.StructField("day", T.DateType()),
    ]
)
KIND_ROWS = [
    (1, "a", ["x", "y"], {"k": 1.5}, dt.datetime(2024, 1, 2, 3, 4, 5, 123456, UTC), True, 7, D1),
    (
        2,
        "Zoë 'q' \"dq\" a/b:c",
        [],
        {},
        dt.datetime(1969, 12, 31, 23, 59, 59, 999999, UTC),
        False,
        -(2**31),
        D2,
    ),
    (3, None, None, None, None, None, None, None),
    (2**63 - 1, "", ["", None], {"n": None}, dt.datetime(2024, 6, 1, tzinfo=UTC), True, 0, D1),
]


@pytest.mark.parametrize("partition_by", [("day",), ()], ids=["partitioned", "unpartitioned"])
def test_round_trip_every_kind_and_other_readers(
    spark: SparkSession, lake: Lake, monkeypatch: pytest.MonkeyPatch, partition_by: tuple[str, ...]
) -> None:
    monkeypatch.setitem(TABLES, "kinds", TableSpec("kinds", KINDS, partition_by))
    written = spark.createDataFrame(KIND_ROWS, KINDS)
    assert lake.append("kinds", written) == 1

    back = lake.read("kinds")
    assert back.schema == KINDS
    assert rows(back) == rows(written)

    # The same table through delta-rs and Polars: no Spark, no Delta JARs.
    expected = back.toArrow().sort_by("id")
    via_delta_rs = deltalake.DeltaTable(lake.path("kinds")).to_pyarrow_table().sort_by("id")
    assert via_delta_rs.column_names == KINDS.names
    assert via_delta_rs.to_pylist() == expected.to_pylist()
    assert_frame_equal(pl.read_delta(lake.path("kinds")).sort("id"), pl.from_arrow(expected))

    # Only data files in the table folder (and the local file system's .crc checksums).
    files = [f for f in table_files(lake, "kinds") if not f.endswith(".crc")]
    assert files and all(f.endswith(".parquet") for f in files)
    if partition_by:
        assert all(f.split(os.sep)[0].startswith("day=") for f in files)
        # A null partition value is replaceable like any other, here together with D2.
        new = spark.createDataFrame([(10, *[None] * 7)], KINDS)
        assert lake.replace_partitions("kinds", new, {"day": [None, D2]}) == 2
        assert sorted(r.id for r in lake.read("kinds").collect()) == [1, 10, 2**63 - 1]


# ---------------------------------------------------------------- create/append/overwrite/versions
def test_create_append_overwrite_and_time_travel(spark: SparkSession, lake: Lake) -> None:
    assert not lake.exists("scores") and lake.version("scores") is None
    with pytest.raises(TableNotFoundError):
        lake.read("scores")

    assert lake.create("scores") == 0
    assert lake.create("scores") == 0  # idempotent
    empty = lake.read("scores")
    assert empty.schema == SCORES.schema and empty.count() == 0

    assert lake.append("scores", scores_df(spark, D1, [1, 2])) == 1
    assert lake.append("scores", scores_df(spark, D2, [1])) == 2
    assert lake.append("scores", scores_df(spark, D2, [])) == 2  # empty append: no commit
    assert lake.overwrite("scores", scores_df(spark, D3, [9])) == 3
    assert lake.version("scores") == 3

    assert [r.person_id for r in lake.read("scores").collect()] == [9]
    at_v2 = lake.read("scores", version=2).select("score_date", "person_id")
    assert rows(at_v2) == [(D1, 1), (D1, 2), (D2, 1)]
    assert lake.read("scores", version=0).count() == 0
    with pytest.raises(TableError):
        lake.read("scores", version=7)

    assert lake.overwrite("scores", scores_df(spark, D1, [])) == 4  # empty overwrite empties
    assert lake.read("scores").count() == 0


# ---------------------------------------------------------------- replace_partitions
def test_replace_partitions_multi_column_single_commit(spark: SparkSession, lake: Lake) -> None:
    seed = [(s, f"{s}-{d.day}", d) for s in ("ingest", "pairs") for d in (D1, D2, D3)]
    # Absent table: replace_partitions creates it.
    assert (
        lake.replace_partitions(
            "quarantine", quarantine_df(spark, seed), {"source": ["ingest", "pairs"]}
        )
        == 1
    )

    new = quarantine_df(spark, [("ingest", "new-1", D1), ("ingest", "new-2", D2)])
    assert (
        lake.replace_partitions("quarantine", new, {"source": ["ingest"], "event_date": [D1, D2]})
        == 2
    )
    got = {(r.source, r.record) for r in lake.read("quarantine").collect()}
    assert got == {
        ("ingest", "new-1"),
        ("ingest", "new-2"),
        ("ingest", "ingest-3"),
        ("pairs", "pairs-1"),
        ("pairs", "pairs-2"),
        ("pairs", "pairs-3"),
    }

    # An empty df removes the partitions (every source on D3 here).
    assert lake.replace_partitions("quarantine", new.limit(0), {"event_date": [D3]}) == 3
    assert {r.event_date for r in lake.read("quarantine").collect()} == {D1, D2}
    # Nothing matches an empty value list: no commit.
    assert lake.replace_partitions("quarantine", new.limit(0), {"event_date": []}) == 3


def test_partition_mismatch_leaves_table_unchanged(spark: SparkSession, lake: Lake) -> None:
    lake.append("quarantine", quarantine_df(spark, [("ingest", "a", D1), ("ingest", "b", D2)]))
    before, files = rows(lake.read("quarantine")), table_files(lake, "quarantine")

    stray = quarantine_df(spark, [("ingest", "ok", D1), ("ingest", "outside", D3)])
    with pytest.raises(PartitionMismatchError, match="outside the replaced partitions"):
        lake.replace_partitions("quarantine", stray, {"event_date": [D1]})
    other_source = quarantine_df(spark, [("pairs", "x", D1)])
    with pytest.raises(PartitionMismatchError):
        lake.replace_partitions(
            "quarantine", other_source, {"source": ["ingest"], "event_date": [D1]}
        )
    with pytest.raises(PartitionMismatchError):
        lake.replace_partitions("quarantine", other_source, {"event_date": []})

    assert lake.version("quarantine") == 1
    assert rows(lake.read("quarantine")) == before
    # Delta checks the rows while writing them: files a refused write's tasks already wrote
    # (how many depends on task timing) are referenced by no version; a vacuum removes them.
    lake.vacuum("quarantine", 0.0)
    assert table_files(lake, "quarantine") == files

    with pytest.raises(TableError, match="record"):
        lake.replace_partitions("quarantine", other_source, {"record": ["x"]})
    with pytest.raises(TableError):
        lake.replace_partitions("quarantine", other_source, {})
    with pytest.raises(TableError, match="sequence"):
        lake.replace_partitions("quarantine", other_source, {"source": "pairs"})


# ---------------------------------------------------------------- delete_where (erasure)
def test_delete_where_rewrites_files_in_one_commit(spark: SparkSession, lake: Lake) -> None:
    lake.append("scores", scores_df(spark, D1, [1, 2, 3]).union(scores_df(spark, D2, [2, 4])))

    assert lake.delete_where("scores", "person_id", [2, 99]) == 2
    assert rows(lake.read("scores").select("score_date", "person_id")) == [
        (D1, 1),
        (D1, 3),
        (D2, 4),
    ]
    assert lake.read("scores", version=1).count() == 5  # erased rows stay in old versions
    assert lake.delete_where("scores", "person_id", [2]) is None  # nothing left to erase
    assert lake.delete_where("scores", "score_date", [D2]) == 3  # a partition column: no rewrite
    assert rows(lake.read("scores").select("person_id")) == [(1,), (3,)]
    assert lake.delete_where("scores", "person_id", []) is None
    assert lake.delete_where("topic_scores", "person_id", [1]) is None  # absent table
    assert lake.version("scores") == 3

    # Partition directories with escaped characters; the result as other readers see it.
    odd = "a/b: c%"
    lake.append(
        "quarantine", quarantine_df(spark, [(odd, "x", D1), (odd, "y", D1), ("s", "x", D2)])
    )
    assert lake.delete_where("quarantine", "record", ["x"]) == 2
    left = deltalake.DeltaTable(lake.path("quarantine")).to_pyarrow_table()
    assert left.select(["source", "record"]).to_pylist() == [{"source": odd, "record": "y"}]
    assert pl.read_delta(lake.path("quarantine"))["record"].to_list() == ["y"]
    with pytest.raises(TableError, match="nope"):
        lake.delete_where("scores", "nope", [1])


# ---------------------------------------------------------------- conformance
def test_columns_are_conformed_to_the_spec(spark: SparkSession, lake: Lake) -> None:
    df = scores_df(spark, D1, [1])
    with pytest.raises(TableError, match="percentile"):
        lake.append("scores", df.drop("percentile"))
    with pytest.raises(TableError, match="surprise"):
        lake.append("scores", df.selectExpr("*", "1 AS surprise"))
    with pytest.raises(TableError, match="unknown table"):
        lake.append("nope", df)
    assert not lake.exists("scores")

    # Order and compatible types are fixed on the way in: int ids become longs.
    shuffled = df.select(*reversed(df.columns)).withColumn("person_id", df.person_id.cast("int"))
    lake.append("scores", shuffled)
    assert lake.read("scores").schema == SCORES.schema


def _grow(monkeypatch: pytest.MonkeyPatch, lake: Lake, spark: SparkSession) -> None:
    """Write a `notes` table, then add a column to its spec, as a new release would."""
    old = T.StructType([T.StructField("day", T.DateType()), T.StructField("n", T.LongType())])
    monkeypatch.setitem(TABLES, "notes", TableSpec("notes", old, ("day",)))
    lake.append("notes", spark.createDataFrame([(D1, 1)], old))
    grown = T.StructType([*old.fields, T.StructField("tag", T.StringType())])
    monkeypatch.setitem(TABLES, "notes", TableSpec("notes", grown, ("day",), added=("tag",)))


def test_a_column_added_to_a_spec_is_added_to_the_table(
    spark: SparkSession, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Old rows read the new column as null (in Spark and in every other reader); the first write
    adds it to the table's schema in a metadata-only commit, then writes its values."""
    lake = Lake(spark, str(tmp_path / "lake"))
    _grow(monkeypatch, lake, spark)
    assert rows(lake.read("notes")) == [(D1, 1, None)]  # before any write: null, no commit
    assert lake.version("notes") == 1
    later = Lake(spark, lake.root)  # a new run, with the new release
    with pytest.raises(PartitionMismatchError):  # refused by Delta: no row changes
        later.replace_partitions(
            "notes", spark.createDataFrame([(D3, 3, "y")], TABLES["notes"].schema), {"day": [D2]}
        )
    assert rows(later.read("notes")) == [(D1, 1, None)]
    assert (
        later.replace_partitions(
            "notes", spark.createDataFrame([(D2, 2, "x")], TABLES["notes"].schema), {"day": [D2]}
        )
        == 3
    )  # version 1 added the column, version 2 holds the rows
    table = deltalake.DeltaTable(lake.path("notes"))
    assert [f.name for f in table.schema().fields] == ["day", "n", "tag"]
    assert {h["version"]: h["operation"] for h in table.history()}[2] == "ADD COLUMNS"
    read = pl.read_delta(lake.path("notes")).sort("day")
    assert read.select("n", "tag").rows() == [(1, None), (2, "x")]
    assert rows(later.read("notes")) == [(D1, 1, None), (D2, 2, "x")]
    assert rows(later.read("notes", version=1)) == [(D1, 1, None)]  # time travel too
    # Only columns declared `added` may be missing: any other is an error, not a null.
    spec = TABLES["notes"]
    monkeypatch.setitem(TABLES, "notes", TableSpec("notes", spec.schema, ("day",)))
    with pytest.raises(TableError, match="missing column"):
        later.read("notes", version=1)


def test_paths(spark: SparkSession, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert Lake(spark, "rel").path("runs") == str(tmp_path / "rel" / "runs")
    assert Lake(spark, "s3a://bucket/lake/").path("runs") == "s3a://bucket/lake/runs"


def test_replace_where_predicate() -> None:
    predicate = replace_where({"source": ["o'k", None], "event_date": [D1, D2]})
    assert predicate == (
        "(`source` IN ('o\\'k') OR `source` IS NULL) AND "
        "(`event_date` IN (DATE'2024-01-01', DATE'2024-01-02'))"
    )


# ---------------------------------------------------------------- partition values and vacuum
def test_partition_values_of_a_version_and_vacuum(lake: Lake, spark: SparkSession):
    assert lake.partition_values("scores", "score_date") == set()  # no table yet
    v1 = lake.replace_partitions("scores", scores_df(spark, D1, [1, 2]), {"score_date": [D1]})
    lake.replace_partitions("scores", scores_df(spark, D2, [3]), {"score_date": [D2]})
    lake.delete_where("scores", "score_date", [D1])
    assert lake.partition_values("scores", "score_date") == {D2}
    assert lake.partition_values("scores", "score_date", v1) == {D1}
    with pytest.raises(TableError, match="not a partition column"):
        lake.partition_values("scores", "person_id")
    # A retention keeps the files removed since: an older version stays readable.
    assert lake.vacuum("scores", retention_hours=24) == 0
    assert lake.read("scores", v1).count() == 2
    assert lake.vacuum("scores", retention_hours=0) > 0  # retention 0: gone at once
