"""The sample-data generator: deterministic, true to the table specs, plausible, and salted with
the bad rows that ingest must quarantine."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from deltalake import DeltaTable
from pyspark.sql import SparkSession
from scipy.stats import spearmanr

from scripts.generate import DEFAULT_END_DATE, arrow_schema, generate, main
from scripts.sample_world import SIZES, load_networks
from transforms.schemas import ACCOUNTS, FOLLOWS, INTERACTIONS, PEOPLE, TableSpec

INPUTS = (INTERACTIONS, FOLLOWS, ACCOUNTS, PEOPLE)
# A row order that is total up to exact duplicates, so equal content compares equal.
SORT_KEYS = {
    "interactions": ["event_id", "event_ts"],
    "follows": ["network", "follower_id", "followee_id"],
    "accounts": ["account_id"],
    "people": ["person_id"],
}


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("sample") / "lake"
    generate("tiny", str(root))
    return root


@pytest.fixture(scope="module")
def summary(lake: Path) -> dict:
    return json.loads((lake / "_sample" / "summary.json").read_text())


def read(root: Path, spec: TableSpec) -> pa.Table:
    table = DeltaTable(str(root / spec.name)).to_pyarrow_table()
    return table.sort_by([(key, "ascending") for key in SORT_KEYS[spec.name]])


def valid_interactions(lake: Path) -> pl.DataFrame:
    """Interactions minus the planted bad rows (unknown names, null or unknown actor, bad date)."""
    known = [(net, action) for net, actions in load_networks().items() for action in actions]
    names = pl.DataFrame(known, schema=["network", "action"], orient="row")
    accounts = pl.read_delta(str(lake / "accounts")).select(actor_id="account_id")
    return (
        pl.read_delta(str(lake / "interactions"))
        .join(names, on=["network", "action"], how="semi")
        .join(accounts, on="actor_id", how="semi")
        .filter(pl.col("event_ts").dt.date() == pl.col("event_date"))
    )


def test_summary_matches_tables(lake: Path, summary: dict) -> None:
    for spec in INPUTS:
        assert (
            DeltaTable(str(lake / spec.name)).to_pyarrow_table().num_rows
            == (summary["counts"][spec.name])
        )
    assert summary["days"] == SIZES["tiny"].days
    assert summary["end_date"] == DEFAULT_END_DATE.isoformat()
    assert Path(summary["planted"]) == lake / "_sample" / "planted.parquet"
    assert 300 * 8 * 5 < summary["counts"]["interactions"] < 300 * 8 * 20  # a few thousand a day


def test_same_seed_same_tables_other_seed_differs(lake: Path, tmp_path: Path) -> None:
    generate("tiny", str(tmp_path / "again"), seed=7)
    generate("tiny", str(tmp_path / "other"), seed=8)
    for spec in INPUTS:
        assert read(tmp_path / "again", spec).equals(read(lake, spec)), spec.name
        assert not read(tmp_path / "other", spec).equals(read(lake, spec)), spec.name
    planted = pl.read_parquet(lake / "_sample" / "planted.parquet")
    assert planted.equals(pl.read_parquet(tmp_path / "again" / "_sample" / "planted.parquet"))


def test_schemas_are_the_specs(lake: Path) -> None:
    for spec in INPUTS:
        table = DeltaTable(str(lake / spec.name))
        assert pa.schema(table.schema().to_arrow()).equals(arrow_schema(spec)), spec.name
        assert table.to_pyarrow_table().schema.equals(arrow_schema(spec)), spec.name
        assert table.metadata().partition_columns == list(spec.partition_by)
    assert arrow_schema(INTERACTIONS).field("event_ts").type == pa.timestamp("us", tz="UTC")


def test_polars_reads_every_table(lake: Path, summary: dict) -> None:
    for spec in INPUTS:
        frame = pl.read_delta(str(lake / spec.name))
        assert frame.columns == spec.columns
        assert frame.height == summary["counts"][spec.name]


def test_interactions_cover_exactly_the_days(lake: Path) -> None:
    days = [DEFAULT_END_DATE - timedelta(days=i) for i in range(SIZES["tiny"].days)]
    files = DeltaTable(str(lake / "interactions")).file_uris()
    folders = {Path(uri).parent.name for uri in files}
    assert folders == {f"event_date={day.isoformat()}" for day in days}  # hive-style
    dates = pl.read_delta(str(lake / "interactions"))["event_date"].unique().sort()
    assert dates.to_list() == sorted(days)


def test_names_are_those_of_the_config(lake: Path, summary: dict) -> None:
    networks = load_networks()
    frame = pl.read_delta(str(lake / "interactions"))
    unknown_network = frame.filter(~pl.col("network").is_in(list(networks)))
    assert unknown_network.height == summary["planted_rows"]["unknown_network"] > 0
    pairs = frame.filter(pl.col("network").is_in(list(networks))).select("network", "action")
    unknown_action = [
        (net, action) for net, action in pairs.iter_rows() if action not in networks[net]
    ]
    assert len(unknown_action) == summary["planted_rows"]["unknown_action"] > 0
    # Every network and most actions of the config show up.
    seen = set(pairs.unique().iter_rows())
    assert {net for net, _ in seen} == set(networks)
    assert len(seen) >= 0.9 * sum(len(actions) for actions in networks.values())


def test_influence_drives_reactions_received(lake: Path) -> None:
    accounts = pl.read_delta(str(lake / "accounts")).select("person_id", target_id="account_id")
    received = valid_interactions(lake).join(accounts, on="target_id").group_by("person_id").len()
    planted = pl.read_parquet(lake / "_sample" / "planted.parquet")
    assert planted["kind"].unique().to_list() == ["normal"]
    joined = planted.join(received, on="person_id", how="left").fill_null(0)
    assert spearmanr(joined["influence"], joined["len"]).statistic > 0.5


def test_ids_are_sparse_64_bit_and_consistent(lake: Path) -> None:
    people = pl.read_delta(str(lake / "people"))
    accounts = pl.read_delta(str(lake / "accounts"))
    assert people["person_id"].min() > 2**32
    assert people["person_id"].max() - people["person_id"].min() > 2 * people.height
    assert accounts["account_id"].is_unique().all()
    assert accounts["person_id"].is_in(people["person_id"].implode()).all()
    per_person = accounts.group_by("person_id").len()["len"]
    assert per_person.min() >= 1 and per_person.max() <= 4
    follows = pl.read_delta(str(lake / "follows"))
    for side in ("follower_id", "followee_id"):
        on_network = follows.join(
            accounts.select(pl.col("account_id").alias(side), "network"), on=[side, "network"]
        )
        assert on_network.height == follows.height, side
    assert (follows["follower_id"] != follows["followee_id"]).all()


def test_people_and_accounts_to_exclude_exist(lake: Path) -> None:
    people = pl.read_delta(str(lake / "people"))
    accounts = pl.read_delta(str(lake / "accounts"))
    assert set(people["consent"].unique()) == {"opted_in", "opted_out"}
    assert 0 < (people["consent"] == "opted_out").sum() < 0.05 * people.height
    minors = people.filter(pl.col("birth_year") > DEFAULT_END_DATE.year - 18)
    assert minors.height > 0
    assert people["birth_year"].null_count() > people.height / 2
    assert 0 < accounts["suspended"].sum() < 0.05 * accounts.height
    seniority = accounts.filter(pl.col("title_seniority").is_not_null())
    assert set(seniority["network"].unique()) == {"linkedin"}
    assert seniority["title_seniority"].is_between(0, 5).all()
    # Wikipedia pages only for a few, and the most influential.
    planted = pl.read_parquet(lake / "_sample" / "planted.parquet")
    wiki = people.filter(pl.col("wikipedia_pageviews").is_not_null()).join(planted, on="person_id")
    assert 0 < wiki.height < 0.05 * people.height
    assert wiki["influence"].min() > planted["influence"].quantile(0.9)


def test_bad_rows_are_planted(lake: Path, summary: dict) -> None:
    frame = pl.read_delta(str(lake / "interactions"))
    accounts = pl.read_delta(str(lake / "accounts"))
    planted = summary["planted_rows"]
    assert frame["actor_id"].null_count() == planted["null_actor"] > 0
    strangers = frame.filter(~pl.col("actor_id").is_in(accounts["account_id"].implode()))
    assert strangers.height == planted["unknown_actor"] > 0
    mismatched = frame.filter(pl.col("event_ts").dt.date() != pl.col("event_date"))
    assert mismatched.height == planted["date_mismatch"] > 0
    # Duplicates are the same event delivered twice: same id, same content.
    assert frame.height - frame["event_id"].n_unique() == planted["duplicates"] > 0
    assert frame.height - frame.unique().height == planted["duplicates"]
    bad = sum(n for kind, n in planted.items() if kind != "duplicates")
    assert bad < 0.005 * frame.height


def test_reactions_look_plausible(lake: Path) -> None:
    frame = valid_interactions(lake)
    self_reactions = (frame["actor_id"] == frame["target_id"]).sum()
    assert 0 < self_reactions < 0.01 * frame.height
    with_post = frame.filter(pl.col("content_id").is_not_null())
    assert with_post["content_id"].n_unique() < 0.7 * with_post.height  # posts draw several
    topics = frame["topics"].drop_nulls().list.len()
    assert topics.min() >= 1 and topics.max() <= 3
    # Every reaction to one post carries the post's topics.
    per_post = with_post.group_by("content_id").agg(pl.col("topics").n_unique())
    assert (per_post["topics"] == 1).all()
    # Most reactions come from followers of the target on that network.
    follows = pl.read_delta(str(lake / "follows"))
    from_followers = frame.join(
        follows, left_on=["network", "actor_id", "target_id"],
        right_on=["network", "follower_id", "followee_id"], how="semi",
    )  # fmt: skip
    assert from_followers.height > 0.6 * frame.height


def test_cli_prints_a_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "cli"
    args = ["--size", "tiny", "--lake", str(root), "--days", "2", "--end-date", "2026-01-02"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "interactions" in out and "2026-01-01..2026-01-02" in out
    dates = pl.read_delta(str(root / "interactions"))["event_date"].unique().sort().to_list()
    assert dates == [date(2026, 1, 1), date(2026, 1, 2)]


def test_spark_reads_event_ts_as_written(spark: SparkSession, lake: Path) -> None:
    """Timezone trap: Spark must read the Parquet timestamps back as the same UTC instants,
    whatever its session time zone (a naive timestamp would come back as TIMESTAMP_NTZ)."""
    path = str(lake / "interactions")
    files = DeltaTable(path).file_uris()
    written = DeltaTable(path).to_pyarrow_table(columns=["event_id", "event_ts", "event_date"])
    micros = pc.cast(written["event_ts"], pa.int64())
    ids, values = written["event_id"].to_pylist()[::500], micros.to_pylist()[::500]
    sample = dict(zip(ids, values, strict=True))
    previous = spark.conf.get("spark.sql.session.timeZone")
    try:
        spark.conf.set("spark.sql.session.timeZone", "America/Los_Angeles")
        frame = spark.read.option("basePath", path).parquet(*files)
        assert frame.schema["event_ts"].dataType.typeName() == "timestamp"
        us = "unix_micros(event_ts)"
        stats = frame.selectExpr(
            "count(*)", f"min({us})", f"max({us})", "sum(unix_seconds(event_ts))"
        ).first()
        rows = frame.where(frame.event_id.isin(list(sample))).selectExpr("event_id", f"{us} AS us")
        seen = {row["event_id"]: row["us"] for row in rows.collect()}
        # The UTC calendar day of each valid event is its partition's date.
        spark.conf.set("spark.sql.session.timeZone", "UTC")
        off_day = frame.where("to_date(event_ts) != event_date").count()
    finally:
        spark.conf.set("spark.sql.session.timeZone", previous)
    assert tuple(stats) == (
        written.num_rows,
        pc.min(micros).as_py(),
        pc.max(micros).as_py(),
        pc.sum(pc.divide(micros, 1_000_000)).as_py(),
    )
    assert seen == sample
    mismatched = pc.sum(
        pc.not_equal(pc.cast(written["event_ts"], pa.date32()), written["event_date"])
    )
    assert off_day == mismatched.as_py() > 0
