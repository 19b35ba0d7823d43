"""`python -m jobs import --format edgelist`: SNAP/KONECT edge lists, real and hostile."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from pyspark.sql import functions as F

from jobs.lake import Lake
from jobs.main import main
from transforms import imports
from transforms.import_edgelist import EdgeListLayout, EdgeListLayoutError, parse_types

DATA = Path(__file__).resolve().parent / "data"
DIGG, TYPED = DATA / "digg_reply_sample.txt", DATA / "edgelist_typed.txt"
REALDATA = "conf/realdata.yaml"
DIGG_ARGS = ("--format", "edgelist", "--path", str(DIGG), "--network", "digg",
             "--columns", "actor,target,_,time", "--action", "reply",
             "--consent", "opted_in")  # fmt: skip
TYPED_ARGS = ("--format", "edgelist", "--path", str(TYPED), "--network", "qa",
              "--columns", "actor,target,time,type",
              "--types", "a2q=answer,c2q=comment,c2a=comment", "--consent", "opted_in")  # fmt: skip


def _cli(root, *args, conf=(REALDATA,)):
    confs = [x for c in ("conf/local.yaml", *conf) for x in ("--conf", c)]
    return main(["import", *args, *confs, "--set", f"lake.root={root}",
                 "--set", "spark.shuffle_partitions=2"])  # fmt: skip


def _rows(lake, name, prefix):
    return lake.read(name).where(F.col("event_id").startswith(prefix)).collect()


@pytest.fixture(scope="module")
def edgelist_lake(spark, tmp_path_factory):
    root = str(tmp_path_factory.mktemp("edgelist_lake"))
    assert _cli(root, *DIGG_ARGS) == 0
    assert _cli(root, *TYPED_ARGS) == 0
    return root, Lake(spark, root)


def test_konect_digg_sample_lands_whole(edgelist_lake):
    _, lake = edgelist_lake
    rows = _rows(lake, "interactions", "edgelist:digg_reply_sample:")
    data_lines = [line for line in DIGG.read_text().splitlines() if not line.startswith("%")]
    assert len(rows) == len(data_lines) == 1510
    assert {(r.network, r.action) for r in rows} == {("digg", "reply")}
    first = data_lines[0].split()
    by_ts = [r for r in rows if r.event_ts == dt.datetime.fromtimestamp(int(first[3]), dt.UTC)
             .replace(tzinfo=None)]  # fmt: skip
    assert any(r.event_date == r.event_ts.date() for r in by_ts) and by_ts
    users = {u for line in data_lines for u in line.split()[:2]}
    digg_people = lake.read("accounts").where(F.col("network") == "digg").count()
    assert digg_people == len(users)
    assert (
        lake.read("quarantine")
        .where(F.col("source") == "import:edgelist")
        .where(F.get_json_object("record", "$.file") == "digg_reply_sample")
        .count()
        == 0
    )


def test_typed_lines_map_types_to_actions_and_bad_lines_to_quarantine(edgelist_lake, spark):
    _, lake = edgelist_lake
    rows = _rows(lake, "interactions", "edgelist:edgelist_typed:")
    one = spark.range(1)
    qa = {u: one.select(imports.account_id(F.lit("qa"), F.lit(u).cast("long"))).first()[0]
          for u in (1, 2, 3, 4)}  # fmt: skip
    got = sorted((r.actor_id, r.target_id, r.action) for r in rows)
    assert got == sorted([(qa[3], qa[2], "comment"), (qa[1], qa[2], "answer"),
                          (qa[2], qa[1], "comment"), (qa[4], qa[2], "answer"),
                          (qa[1], qa[1], "comment")])  # fmt: skip
    bad = lake.read("quarantine").where(F.get_json_object("record", "$.file") == "edgelist_typed")
    reasons = {json.loads(r.record)["line_no"]: r.reason for r in bad.collect()}
    assert reasons == {7: "bad_id", 8: "bad_timestamp", 9: "wrong_field_count",
                       11: "unknown_type"}  # fmt: skip


def test_rerun_of_an_edge_list_changes_nothing(edgelist_lake):
    root, lake = edgelist_lake
    before = {n: sorted(map(tuple, lake.read(n).collect())) for n in ("interactions", "accounts")}
    assert _cli(root, *TYPED_ARGS) == 0
    after = {n: sorted(map(tuple, lake.read(n).collect())) for n in ("interactions", "accounts")}
    assert after == before


def test_unweighted_action_fails_before_reading_naming_the_key(tmp_path, capsys):
    assert _cli(str(tmp_path / "lake"), *DIGG_ARGS, conf=()) == 2
    assert "networks.digg.reply has no weight" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("layout", "message"),
    [
        (dict(columns=("actor", "target")), "exactly one 'time'"),
        (dict(columns=("actor", "target", "time", "type")), "needs --types"),
        (dict(columns=("actor", "target", "time")), "needs --action"),
        (dict(columns=("actor", "target", "when"), action="a"), "unknown edge-list column"),
    ],
)
def test_layout_errors_say_what_is_missing(layout, message):
    with pytest.raises(EdgeListLayoutError, match=message):
        EdgeListLayout("qa", **layout)


def test_types_option_parses_and_rejects_malformed():
    assert parse_types("a2q=answer, c2q=comment") == {"a2q": "answer", "c2q": "comment"}
    with pytest.raises(EdgeListLayoutError):
        parse_types("a2q:answer")
