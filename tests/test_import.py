"""`python -m jobs import`: Klout TSV and SNAP Higgs files into the input tables, then scored."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from pyspark.sql import functions as F

from jobs.config import load_config
from jobs.context import RunContext
from jobs.lake import Lake
from jobs.main import build_parser, main
from jobs.runner import run_daily
from transforms import import_formats, imports
from transforms.schemas import ACCOUNTS, INTERACTIONS, PEOPLE

DATA = Path(__file__).resolve().parent / "data"
KLOUT, HIGGS = DATA / "klout_sample.tsv", DATA / "higgs_sample.txt"
NATIVE_PERSON = 999  # owns the pre-existing account of Higgs user 2


def _id(spark, network: str, external: int) -> int:
    """The account id the importer derives for a data set's user."""
    row = spark.range(1).select(imports.account_id(F.lit(network), F.lit(external).cast("long")))
    return row.first()[0]


def _cli(root, *args):
    common = ["--conf", "conf/local.yaml", "--set", f"lake.root={root}"]
    return main(["import", *args, *common, "--set", "spark.shuffle_partitions=2"])


def _seed(spark, lake, twitter_2: int) -> None:
    """A lake that already holds a collector's rows: Higgs user 2's account (verified, owned by a
    native person) and one interaction on a date the Higgs file covers."""
    ts = dt.datetime(2010, 1, 1)
    accounts = [
        (twitter_2, "twitter", NATIVE_PERSON, ts, True, False, 10, 5, 0, 3, None),
        (11, "twitter", 11, ts, False, False, 1, 1, 0, 1, None),
    ]
    lake.append("accounts", spark.createDataFrame(accounts, ACCOUNTS.schema))
    people = [(NATIVE_PERSON, "opted_in", 1980, None, None), (11, "opted_in", None, None, None)]
    lake.append("people", spark.createDataFrame(people, PEOPLE.schema))
    event = ("collector-1", "twitter", "retweet", 11, twitter_2, None, None,
             dt.datetime(2012, 7, 1, 12), dt.date(2012, 7, 1))  # fmt: skip
    lake.append("interactions", spark.createDataFrame([event], INTERACTIONS.schema))


def _snapshot(lake):
    return {
        name: sorted(tuple(r) for r in lake.read(name).collect())
        for name in ("interactions", "accounts", "people", "quarantine")
    }


@pytest.fixture(scope="module")
def imported(spark, tmp_path_factory):
    root = str(tmp_path_factory.mktemp("import_lake"))
    lake = Lake(spark, root)
    ids = {("twitter", u): _id(spark, "twitter", u) for u in range(1, 7)}
    _seed(spark, lake, ids[("twitter", 2)])
    assert _cli(root, "--format", "snap-higgs", "--path", str(HIGGS), "--consent", "opted_in") == 0
    assert (
        _cli(
            root,
            "--format",
            "klout-tsv",
            "--path",
            str(KLOUT),
            "--network",
            "facebook",
            "--consent",
            "opted_in",
        )  # fmt: skip
        == 0
    )
    return root, lake, ids


def _quarantined(lake, fmt):
    rows = lake.read("quarantine").where(F.col("source") == f"import:{fmt}").collect()
    return {json.loads(r.record)["line_no"]: (r.reason, r.event_date, r.record) for r in rows}


def test_higgs_rows_land_with_actor_target_action_and_date(imported):
    _, lake, ids = imported
    rows = lake.read("interactions").where(F.col("event_id").startswith("snap-higgs:")).collect()
    assert len(rows) == 8
    assert all(r.event_id.startswith("snap-higgs:higgs_sample:") for r in rows)
    by_key = {(r.actor_id, r.target_id, r.action, r.event_ts): r for r in rows}
    first = by_key[
        (ids["twitter", 1], ids["twitter", 2], "retweet", dt.datetime(2012, 7, 1, 0, 2, 52))
    ]
    assert first.network == "twitter" and first.event_date == dt.date(2012, 7, 1)
    assert first.content_id is None and first.topics is None
    assert (ids["twitter", 3], ids["twitter", 2], "mention") in {k[:3] for k in by_key}
    assert (ids["twitter", 4], ids["twitter", 2], "reply") in {k[:3] for k in by_key}
    assert sum(r.event_date == dt.date(2012, 7, 2) for r in rows) == 4


def test_higgs_bad_lines_are_quarantined_with_line_numbers(imported):
    _, lake, _ = imported
    found = _quarantined(lake, "snap-higgs")
    assert {n: v[0] for n, v in found.items()} == {
        9: "unknown_type",
        10: "bad_timestamp",
        11: "wrong_field_count",
        12: "bad_id",
        13: "wrong_field_count",
        14: "bad_timestamp",
    }
    assert json.loads(found[12][2]) == {
        "file": "higgs_sample",
        "line_no": 12,
        "line": "a 2 1341100972 RT",
    }
    # Dated by the line when its timestamp parses, else by the file's first date.
    assert found[9][1] == found[10][1] == dt.date(2012, 7, 1)


def test_klout_rows_keep_signed_ids_post_and_network(imported, spark):
    _, lake, _ = imported
    rows = lake.read("interactions").where(F.col("event_id").startswith("klout-tsv:")).collect()
    assert len(rows) == 5  # lines 3-7; line 5 repeats line 4 (same event id: ingest dedupes)
    assert len({r.event_id for r in rows}) == 4
    author, actor = (
        _id(spark, "facebook", -4611686018427387904),
        _id(spark, "facebook", 1234567890123),
    )
    first = next(r for r in rows if r.actor_id == actor and r.target_id == author)
    assert (first.network, first.action, first.content_id) == ("facebook", "comment", -77)
    assert first.event_ts == dt.datetime(2014, 10, 20, 2) and first.event_date == dt.date(
        2014, 10, 20
    )
    found = _quarantined(lake, "klout-tsv")
    assert {n: v[0] for n, v in found.items()} == {
        8: "bad_id",
        9: "wrong_field_count",
        11: "bad_timestamp",
        12: "bad_id",
        13: "bad_timestamp",
    }
    assert found[8][1] == dt.date(2014, 10, 21) and found[9][1] == dt.date(2014, 10, 20)


def test_unknown_users_get_accounts_and_people_known_ones_untouched(imported, spark):
    _, lake, ids = imported
    accounts = {r.account_id: r for r in lake.read("accounts").collect()}
    people = {r.person_id: r for r in lake.read("people").collect()}
    assert len(accounts) == 2 + 5 + 4  # seeded, Higgs users 1 and 3-6, Klout's four users
    assert len(people) == 2 + 5 + 4
    kept = accounts[ids["twitter", 2]]
    assert kept.verified and kept.person_id == NATIVE_PERSON
    assert kept.created_at == dt.datetime(2010, 1, 1)
    assert people[NATIVE_PERSON].birth_year == 1980 and ids["twitter", 2] not in people
    new = accounts[ids["twitter", 5]]
    assert new.person_id == new.account_id and new.network == "twitter"
    assert new.created_at == dt.datetime(2012, 7, 1, 0, 6, 40)  # first seen in the file
    assert not new.verified and not new.suspended
    assert people[new.person_id].consent == "opted_in"
    # Distinct networks give distinct ids for the same external id.
    assert _id(spark, "facebook", 42) in accounts and _id(spark, "twitter", 42) not in accounts


def test_import_twice_leaves_identical_tables_and_other_sources(imported):
    root, lake, _ = imported
    before = _snapshot(lake)
    assert _cli(root, "--format", "snap-higgs", "--path", str(HIGGS), "--consent", "opted_in") == 0
    assert _cli(root, "--format", "klout-tsv", "--path", str(KLOUT), "--network", "facebook") == 0
    assert _snapshot(lake) == before
    native = lake.read("interactions").where(F.col("event_id") == "collector-1").count()
    assert native == 1


def test_runs_manifest_counts_the_import(imported):
    _, lake, _ = imported
    runs = lake.read("runs").where(F.col("stage") == "import").orderBy("started_at").collect()
    assert [r.status for r in runs[:2]] == ["succeeded", "succeeded"]
    higgs = runs[0].counts
    assert (higgs["lines"], higgs["imported"], higgs["quarantined"]) == (14, 8, 6)
    assert (higgs["new_accounts"], higgs["new_people"], higgs["dates"]) == (5, 5, 2)
    klout = runs[1].counts
    assert (klout["lines"], klout["skipped"], klout["imported"], klout["quarantined"]) == (
        13, 3, 5, 5
    )  # fmt: skip


def test_bad_requests_fail_with_a_message(imported, capsys):
    root, _, _ = imported
    assert _cli(root, "--format", "klout-tsv", "--path", str(KLOUT)) == 2
    assert "--network facebook or --network twitter" in capsys.readouterr().out
    args = build_parser().parse_args(["import", "--format", "snap-higgs", "--path", "x"])
    assert args.consent == "opted_out"  # imported people are not scored unless the operator says so
    assert (
        import_formats.default_network("klout-tsv", "/d/twitter_2014-10-20.tsv.gz", None)
        == "twitter"
    )
    with pytest.raises(import_formats.ImportFormatError):
        import_formats.default_network("snap-higgs", "h.txt", "facebook")
    assert import_formats.source_tag("/data/higgs-activity_time.txt.gz") == "higgs-activity_time"


def test_line_numbers_follow_the_file_across_partitions(spark, tmp_path):
    path = tmp_path / "lines.txt"
    path.write_text("".join(f"line {i:04d}\n" for i in range(1, 301)))
    old = spark.conf.get("spark.sql.files.maxPartitionBytes")
    spark.conf.set("spark.sql.files.maxPartitionBytes", "256")
    try:
        text = spark.read.text(str(path))
        assert text.rdd.getNumPartitions() > 5
        rows = import_formats.number_lines(text).collect()
    finally:
        spark.conf.set("spark.sql.files.maxPartitionBytes", old)
    assert sorted((r.line_no, r.line) for r in rows) == [
        (i, f"line {i:04d}") for i in range(1, 301)
    ]


@pytest.mark.slow
def test_daily_job_scores_imported_people(imported, spark):
    root, lake, ids = imported
    config = load_config(["conf/local.yaml"], [f"lake.root={root}", "spark.shuffle_partitions=2"])
    run_daily(RunContext(spark, config, lake, dt.date(2012, 7, 2), 2))
    scores = {
        r.person_id: r
        for r in lake.read("scores").where(F.col("score_date") == dt.date(2012, 7, 2)).collect()
    }
    # Users 2 and 5 drew the reactions; user 2's reactions count for the native person owning it.
    assert scores[NATIVE_PERSON].score > 0 and scores[ids["twitter", 5]].score > 0
    assert scores[NATIVE_PERSON].networks.keys() == {"twitter"}
    assert {ids["twitter", u] for u in (1, 3, 4, 6)} <= scores.keys()
