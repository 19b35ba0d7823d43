"""Erasure (docs/ERASURE.md): a person leaves every table, history included.

The daily job runs on a 4-day `tiny` sample, then one active person with reactions is erased.
Whether a row names them is checked independently of transforms/erasure.py: the row as JSON
(every column, maps and the quarantined records included) holds one of their ids as a number.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import re
import shutil

import pyarrow.parquet as pq
import pytest
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from jobs.config import load_config
from jobs.context import RunContext
from jobs.erase import ErasureError, erase_people, erasure_tables
from jobs.lake import Lake
from jobs.main import build_parser
from transforms.erasure import UnclassifiedColumnError, check_covered
from transforms.imports import account_id
from transforms.schemas import QUARANTINE, TABLES, TableSpec

pytestmark = pytest.mark.slow

EXTERNAL = 424242  # an imported user's external id (snap-higgs), the erased person's account


def _pattern(ids: list[int]) -> str:
    return r"(?<![0-9.])(" + "|".join(str(i) for i in ids) + r")(?![0-9])"


def naming(df: DataFrame, ids: list[int]) -> DataFrame:
    """The rows of df that hold one of ids as a number anywhere (JSON of the whole row)."""
    return df.where(F.to_json(F.struct(*df.columns)).rlike(_pattern(ids)))


@pytest.fixture(scope="module")
def erased(spark, daily_run, tmp_path_factory):
    """A copy of the shared tiny lake (the daily job ran on it for two dates, with every
    table's history), one person picked and erased; returns what the tests compare."""
    _, shared, last = daily_run
    root = str(tmp_path_factory.mktemp("erase_lake") / "lake")
    shutil.copytree(shared.root, root)
    config = load_config(["conf/local.yaml"], [f"lake.root={root}", "spark.shuffle_partitions=2"])
    lake = Lake(spark, root)
    ctx = RunContext(spark, config, lake, last, 1)

    # An active person whose reactions went both ways (src and dst of the graph).
    edges = lake.read("edges").where(F.col("dst") >= 0)
    both = edges.select(F.col("src").alias("person_id")).intersect(
        edges.select(F.col("dst").alias("person_id"))
    )
    scored = lake.read("scores").where((F.col("score_date") == F.lit(last)) & (F.col("score") > 0))
    person = scored.join(both, "person_id").orderBy(F.desc("score")).first()["person_id"]

    # Plus an imported account of theirs and a quarantined bad line that only carries its
    # external id (found through the importer's id hash), and one quarantined ingest row.
    imported = (
        spark.range(1)
        .select(account_id(F.lit("twitter"), F.lit(EXTERNAL).cast("bigint")))
        .first()[0]
    )
    template = lake.read("accounts").where(F.col("person_id") == person).limit(1)
    lake.append(
        "accounts",
        template.withColumn("account_id", F.lit(imported)).withColumn("network", F.lit("twitter")),
    )
    bad_line = f'{{"file":"higgs.txt","line_no":7,"line":"{EXTERNAL} 99 notatime RT"}}'
    own = lake.read("accounts").where(F.col("person_id") == person).first()["account_id"]
    bad_row = f'{{"event_id":"x","actor_id":1,"target_id":{own},"event_date":"{last}"}}'
    lake.append(
        "quarantine",
        spark.createDataFrame(
            [
                ("import:snap-higgs", "bad_timestamp", bad_line, "r", last),
                ("interactions", "unknown_account", bad_row, "r", last),
                ("interactions", "unknown_account", '{"actor_id":1,"target_id":2}', "r", last),
            ],
            QUARANTINE.schema,
        ),
    )

    accounts = [
        r["account_id"] for r in lake.read("accounts").where(F.col("person_id") == person).collect()
    ]
    ids = [person, *accounts]
    before = {name: lake.version(name) for name in TABLES if lake.exists(name)}
    totals = {name: lake.read(name).count() for name in before}
    named = {name: naming(lake.read(name), ids).count() for name in before}
    named["quarantine"] += 1  # the import line names them only through the hash
    erase_ctx = dataclasses.replace(ctx, score_date=dt.date.today(), days=1)
    report = erase_people(erase_ctx, [person])
    return dict(
        lake=lake,
        ctx=erase_ctx,
        person=person,
        ids=ids,
        before=before,
        totals=totals,
        named=named,
        report=report,
    )


def test_the_person_was_everywhere(erased):
    named = erased["named"]
    for name in ("interactions", "follows", "accounts", "people", "engagements", "daily_pairs"):
        assert named[name] > 0, name
    for name in ("edges", "signals", "prior", "ranks", "components", "engagers", "scores"):
        assert named[name] > 0, name
    assert named["quarantine"] >= 2  # the sample's bad rows may name them too
    assert erased["report"].accounts == len(erased["ids"]) - 1 >= 2


def test_no_current_row_names_them_and_the_others_stay(erased):
    lake, report = erased["lake"], erased["report"]
    for name in erased["before"]:
        assert naming(lake.read(name), erased["ids"]).count() == 0, name
        if name != "runs":
            assert lake.read(name).count() == erased["totals"][name] - erased["named"][name], name
            assert report.rows.get(name, 0) == erased["named"][name], name
    assert "runs" not in report.rows and "runs" not in erasure_tables()
    assert erasure_tables()[-2:] == ["accounts", "people"]
    quarantine = lake.read("quarantine").where(F.col("run_id") == "r").collect()
    assert [r["record"] for r in quarantine] == ['{"actor_id":1,"target_id":2}']


def test_history_is_gone(erased, spark):
    lake, ids = erased["lake"], erased["ids"]
    pattern = re.compile(_pattern(ids))
    for name, version in erased["before"].items():
        folder = lake.path(name)
        # Every data file left on disk, whichever version references it.
        files = []
        for path, dirs, names in os.walk(folder):
            dirs[:] = [d for d in dirs if not d.startswith(("_", "."))]
            files += [os.path.join(path, n) for n in names if n.endswith(".parquet")]
        for file in files:
            rows = pq.read_table(file).to_pylist()
            assert not any(pattern.search(repr(row)) for row in rows), (name, file)
        # The log keeps paths and counts, never the ids (no id statistics, no id in the SQL).
        log_dir = os.path.join(folder, "_delta_log")
        for entry in os.listdir(log_dir):
            if entry.endswith(".json"):
                with open(os.path.join(log_dir, entry)) as handle:
                    assert not pattern.search(handle.read()), (name, entry)
        # The version before the erasure: unreadable now (its files are gone) or without them.
        if erased["report"].rows.get(name):
            try:
                left = naming(lake.read(name, version=version), ids).count()
            except Exception:  # noqa: BLE001 - missing files: time travel to it has ended
                left = 0
            assert left == 0, name


def test_rerun_is_a_no_op(erased):
    lake = erased["lake"]
    versions = {name: lake.version(name) for name in erased["before"]}
    again = erase_people(erased["ctx"], [erased["person"]])
    assert again.total_rows == 0 and again.versions == {}
    assert not any(again.files_deleted.values())
    own = ("runs", "lease")  # the rerun's manifest row and its writer lease
    assert {n: lake.version(n) for n in versions if n not in own} == {
        n: v for n, v in versions.items() if n not in own
    }
    assert lake.version("runs") == versions["runs"] + 1  # its own manifest row only


def test_manifest_has_counts_never_the_id(erased):
    lake, report = erased["lake"], erased["report"]
    rows = lake.read("runs").where(F.col("stage") == "erase").orderBy("started_at").collect()
    assert rows and rows[0]["status"] == "succeeded"
    counts = rows[0]["counts"]
    assert counts["people"] == 1 and counts["accounts"] == report.accounts
    assert counts["rows"] == report.total_rows == sum(erased["named"].values())
    assert counts["rows.interactions"] == erased["named"]["interactions"]
    assert naming(lake.read("runs"), erased["ids"]).count() == 0
    assert "_sample/planted.parquet" in report.other_files


def test_unknown_id_columns_fail_loudly():
    check_covered(TABLES.values())
    fake = TableSpec("mentions", T.StructType([T.StructField("mentioned_id", T.LongType())]), ())
    with pytest.raises(UnclassifiedColumnError, match="mentions.mentioned_id"):
        check_covered([fake])
    explanations = TableSpec(
        "explanations",
        T.StructType([T.StructField("person_id", T.LongType()),
                      T.StructField("by", T.MapType(T.StringType(), T.DoubleType()))]),
    )  # fmt: skip
    with pytest.raises(UnclassifiedColumnError, match="explanations.by"):
        check_covered([explanations])


def test_command_line_and_arguments(erased):
    args = build_parser().parse_args(["erase", "--person", "1", "--person", "2"])
    assert args.command == "erase" and args.people == [1, 2]
    for bad in ([], "12", [True], ["12"]):
        with pytest.raises(ErasureError):
            erase_people(erased["ctx"], bad)


# ---------------------------------------------------------------- small lakes (no daily run)
def _small_lake(spark, root: str) -> RunContext:
    """people 1 and 2, one account each, scores for both: enough to erase person 1."""
    config = load_config(["conf/local.yaml"], [f"lake.root={root}"])
    lake = Lake(spark, root)
    day = dt.date(2026, 11, 20)
    lake.append(
        "people",
        spark.createDataFrame(
            [(p, "opted_in", None, None, None) for p in (1, 2)], TABLES["people"].schema
        ),
    )
    accounts = [
        (a, "twitter", p, None, False, False, 0, 0, 0, 0, None) for a, p in ((11, 1), (22, 2))
    ]
    lake.append("accounts", spark.createDataFrame(accounts, TABLES["accounts"].schema))
    scores = [(p, 50.0, 50.0, None, None, {}, [], None, None, "r", "v1", day) for p in (1, 2)]
    lake.append("scores", spark.createDataFrame(scores, TABLES["scores"].schema))
    return RunContext(spark, config, lake, day)


def test_a_crash_leaves_no_half_written_table_and_a_rerun_finishes(spark, tmp_path, monkeypatch):
    from jobs.lake.delta import DeltaTables

    ctx = _small_lake(spark, str(tmp_path / "lake"))
    lake = ctx.lake
    versions = {n: lake.version(n) for n in ("people", "accounts", "scores")}
    real = DeltaTables.delete_matching

    def crash(self, path, source, condition_sql):
        if path.endswith("/accounts"):  # scores is erased first and commits; accounts dies
            raise RuntimeError("driver died before the commit")
        return real(self, path, source, condition_sql)

    monkeypatch.setattr(DeltaTables, "delete_matching", crash)
    with pytest.raises(ErasureError, match="delete from accounts: RuntimeError"):
        erase_people(ctx, [1])
    assert lake.version("scores") == versions["scores"] + 1
    assert lake.version("accounts") == versions["accounts"]  # nothing of it visible
    assert sorted(r[0] for r in lake.read("accounts").select("account_id").collect()) == [11, 22]
    failed = lake.read("runs").where(F.col("status") == "failed").first()
    assert (
        failed["message"] == "delete from accounts: RuntimeError" and failed["counts"]["rows"] == 1
    )

    monkeypatch.setattr(DeltaTables, "delete_matching", real)
    report = erase_people(ctx, [1])  # the rerun finds the accounts still there and finishes
    assert report.rows == {"scores": 0, "accounts": 1, "people": 1}
    assert [r[0] for r in lake.read("people").select("person_id").collect()] == [2]
    assert [r[0] for r in lake.read("scores").select("person_id").collect()] == [2]
    assert report.files_deleted["scores"] >= 1  # the first attempt's old file, vacuumed now


def test_erasure_deletes_and_vacuums_through_delta(spark, tmp_path):
    """DELETE + VACUUM RETAIN 0: the old version's files are gone with the erased rows."""
    ctx = _small_lake(spark, str(tmp_path / "lake"))
    before = ctx.lake.version("scores")
    assert ctx.lake.read("scores", version=before).count() == 2
    report = erase_people(ctx, [1])
    assert report.rows == {"people": 1, "accounts": 1, "scores": 1} | {
        n: 0 for n in report.rows if n not in ("people", "accounts", "scores")
    }
    assert ctx.lake.read("scores").count() == 1
    with pytest.raises(Exception):  # noqa: B017 - the old version's files are vacuumed
        ctx.lake.read("scores", version=before).collect()
