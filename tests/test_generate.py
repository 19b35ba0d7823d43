"""The sample-data generator: deterministic, true to the table specs, plausible, and salted with
the bad rows that ingest must quarantine."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from deltalake import DeltaTable
from pyspark.sql import SparkSession
from scipy.stats import spearmanr

from scripts.generate import DEFAULT_END_DATE, arrow_schema, generate, main
from scripts.sample_days import REACTION_LAG_HOURS, _reaction_time
from scripts.sample_gaming import GAMER_KINDS, KIND, KINDS, ORDINARY_PCT, plan_gaming
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
    normal = planted.filter(pl.col("kind") == "normal")
    joined = normal.join(received, on="person_id", how="left").fill_null(0)
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


def test_reactions_look_plausible(lake: Path, reactions: pl.DataFrame) -> None:
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
    # Most organic reactions come from followers of the target on that network (spray likers
    # react to whatever their feed shows).
    follows = pl.read_delta(str(lake / "follows"))
    frame = reactions.filter(pl.col("actor_kind") != "spray")
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


# --- Gaming scenarios (scripts/sample_gaming.py) ---------------------------------------------


@pytest.fixture(scope="module")
def reactions(lake: Path) -> pl.DataFrame:
    """Valid interactions with the actor's and target's person and planted kind."""
    planted = pl.read_parquet(lake / "_sample" / "planted.parquet")
    owners = pl.read_delta(str(lake / "accounts")).select("account_id", "person_id")
    frame = valid_interactions(lake)
    for side in ("actor", "target"):
        owner = owners.rename({"account_id": f"{side}_id", "person_id": side})
        kind = planted.select(pl.col("person_id").alias(side), pl.col("kind").alias(f"{side}_kind"))
        frame = frame.join(owner, on=f"{side}_id").join(kind, on=side)
    return frame


def kind_people(lake: Path, kind: str) -> pl.Series:
    planted = pl.read_parquet(lake / "_sample" / "planted.parquet")
    return planted.filter(pl.col("kind") == kind)["person_id"]


def test_every_scenario_is_planted_among_ordinary_people(lake: Path, summary: dict) -> None:
    planted = pl.read_parquet(lake / "_sample" / "planted.parquet")
    assert set(planted["kind"].unique()) == set(KINDS)  # even tiny holds each kind
    assert summary["planted_kinds"] == dict(planted["kind"].value_counts().iter_rows())
    gamers = planted.filter(pl.col("kind").is_in(list(GAMER_KINDS)))
    assert 0.01 * planted.height <= gamers.height <= 0.04 * planted.height
    # Gaming does not change true influence: gamers are ordinary people.
    pct = planted["influence"].rank() / planted.height
    ordinary = pct.filter(planted["kind"].is_in(list(GAMER_KINDS)))
    assert ordinary.min() >= ORDINARY_PCT[0] - 0.01 and ordinary.max() <= ORDINARY_PCT[1] + 0.01


def test_pods_react_to_each_other_heavily_and_reciprocally(
    lake: Path, reactions: pl.DataFrame
) -> None:
    pod = reactions.filter((pl.col("actor_kind") == "pod") & (pl.col("target_kind") == "pod"))
    pairs = pod.group_by("actor", "target").agg(pl.len(), pl.col("event_date").n_unique())
    members = kind_people(lake, "pod").len()
    assert 5 <= members <= 20
    # Every ordered pair of the pod, most days, both ways (tiny holds a single pod).
    assert pairs.height >= members * (members - 1)  # (and organic ones on their other networks)
    assert pairs["event_date"].median() >= SIZES["tiny"].days // 2
    received_from_pod = pod.height / reactions.filter(pl.col("target_kind") == "pod").height
    assert received_from_pod > 0.5  # most of what pod members get comes from the pod
    # Pod members follow each other.
    accounts = pl.read_delta(str(lake / "accounts")).filter(
        pl.col("person_id").is_in(kind_people(lake, "pod").implode())
    )
    follows = pl.read_delta(str(lake / "follows")).filter(
        pl.col("follower_id").is_in(accounts["account_id"].implode())
        & pl.col("followee_id").is_in(accounts["account_id"].implode())
    )
    assert follows.height >= members * (members - 1)


def test_bots_are_young_follow_spammers_working_for_one_customer(
    lake: Path, reactions: pl.DataFrame
) -> None:
    accounts = pl.read_delta(str(lake / "accounts"))
    bots = accounts.filter(pl.col("person_id").is_in(kind_people(lake, "bot").implode()))
    start = DEFAULT_END_DATE - timedelta(days=SIZES["tiny"].days - 1)
    assert bots.height > 0
    assert (bots["created_at"].dt.date() > start - timedelta(days=30)).all()
    assert (bots["following_count"] >= 1000).all()
    assert (bots["following_count"] > 20 * bots["followers_count"]).all()
    assert not bots["verified"].any()
    # The customer draws most of its reactions from the farm, in bursts on the farm's days.
    to_customer = reactions.filter(pl.col("target_kind") == "bot_customer")
    from_bots = to_customer.filter(pl.col("actor_kind") == "bot")
    assert from_bots.height > 0.5 * to_customer.height
    per_hour = from_bots.group_by("event_date", pl.col("event_ts").dt.hour()).len()
    per_day = per_hour.group_by("event_date").agg(
        total=pl.col("len").sum(), peak=pl.col("len").max()
    )
    # Working days: the farm reacts within one hour (bots like a little besides, any day).
    working = per_day.filter(pl.col("total") >= 5)
    assert 0 < working.height < SIZES["tiny"].days
    assert (working["peak"] >= 0.8 * working["total"]).all()


def test_bought_followers_inflate_the_count_not_the_reactions(
    lake: Path, reactions: pl.DataFrame
) -> None:
    accounts = pl.read_delta(str(lake / "accounts"))
    people = kind_people(lake, "bought_followers")
    bought = accounts.filter(pl.col("person_id").is_in(people.implode()))
    normal = accounts.filter(pl.col("person_id").is_in(kind_people(lake, "normal").implode()))
    assert bought["followers_count"].max() >= 20_000
    assert bought["followers_count"].max() > normal["followers_count"].quantile(0.95)
    received = reactions.filter(pl.col("target").is_in(people.implode())).height
    per_normal = reactions.filter(pl.col("target_kind") == "normal").height / normal.height
    assert received < 5 * per_normal * bought.height  # ordinary reactions, not a celebrity's


def test_bursts_come_from_many_sellers_within_an_hour_once_a_week(
    lake: Path, reactions: pl.DataFrame
) -> None:
    bursts = reactions.filter(
        (pl.col("target_kind") == "burst_customer") & (pl.col("actor_kind") == "seller")
    )
    per_day = bursts.group_by("target", "event_date").agg(
        pl.col("actor").n_unique(), span=pl.col("event_ts").max() - pl.col("event_ts").min()
    )
    big = per_day.filter(pl.col("actor") >= 5)
    assert big.height >= kind_people(lake, "burst_customer").len()  # each customer bursts
    assert (big["span"] < timedelta(hours=1)).all()
    assert (big.group_by("target").len()["len"] <= 2).all()  # weekly, over 8 days


def test_a_viral_post_draws_many_ordinary_people_within_hours_once(
    lake: Path, reactions: pl.DataFrame
) -> None:
    """Organic virality (scripts/sample_viral.py): on one day, many normal people who react to
    others too arrive within three hours, like a burst by its counts but not by its reactors."""
    viral = reactions.filter(pl.col("target_kind") == "viral")
    per_day = viral.group_by("target", "event_date").agg(
        pl.col("actor").n_unique(), kinds=pl.col("actor_kind").unique()
    )
    peak = per_day.sort("actor").tail(1)
    assert peak["actor"][0] >= 20
    assert peak["kinds"][0].to_list() == ["normal"] or "normal" in peak["kinds"][0].to_list()
    day = viral.filter(pl.col("event_date") == peak["event_date"][0])
    hours = day["event_ts"].dt.hour()
    assert hours.max() - hours.min() <= 2 + 1  # three clock hours (organic fans may add one)
    # Its reactors react to other people too: they are not one-target accounts.
    crowd = day["actor"].unique()
    elsewhere = reactions.filter(
        pl.col("actor").is_in(crowd.implode()) & (pl.col("target_kind") != "viral")
    )
    assert elsewhere["actor"].n_unique() > 0.8 * crowd.len()


def test_organic_reactions_crowd_after_posts_and_bursts_crowd_far_more(
    reactions: pl.DataFrame,
) -> None:
    """Organic reactions follow their post by a lag of hours: the reactions of a day to one post
    span a few hours (spread evenly over the day, 5 of them would span about 16); a burst's
    hour holds several times a normal day's peak hour."""
    organic = reactions.filter(
        (pl.col("actor_kind") == "normal") & (pl.col("target_kind") == "normal")
    )
    per_post = organic.group_by("content_id", "event_date").agg(
        pl.len(), span=pl.col("event_ts").max() - pl.col("event_ts").min()
    )
    assert per_post.filter(pl.col("len") >= 5)["span"].median() < timedelta(hours=8)
    cells = reactions.group_by(
        "target", "target_kind", "event_date", pl.col("event_ts").dt.hour().alias("hour")
    ).agg(pl.col("actor").n_unique().alias("crowd"))
    days = cells.group_by("target", "target_kind", "event_date").agg(
        pl.col("crowd").max().alias("peak")
    )
    typical = days.group_by("target", "target_kind").agg(
        pl.col("peak").median().alias("median_peak"), pl.col("peak").max().alias("max_peak")
    )
    jump = (pl.col("max_peak") / pl.col("median_peak")).alias("jump")
    normal = typical.filter(pl.col("target_kind") == "normal").select(jump)["jump"]
    bursted = typical.filter(pl.col("target_kind") == "burst_customer").select(jump)["jump"]
    assert bursted.median() > 3 * normal.quantile(0.99)


def test_reactions_to_a_post_of_the_day_come_after_it_and_before_midnight() -> None:
    hour_us, day_us = 3_600_000_000, 86_400_000_000
    rng = np.random.default_rng(0)
    n = 200_000
    post_hash = rng.integers(0, 2**62, n).astype(np.uint64)
    same_day = rng.random(n) < 0.5
    in_day, in_hour = rng.integers(0, day_us, n), rng.integers(0, hour_us, n)
    burst = np.where(rng.random(n) < 0.1, rng.integers(0, 24, n), -1)
    when = _reaction_time(burst, in_hour, in_day, post_hash, same_day)
    posted = ((post_hash >> np.uint64(8)) % np.uint64(24)).astype(np.int64) * hour_us
    organic = burst < 0
    assert ((when >= 0) & (when < day_us)).all()
    today = organic & same_day
    assert (when[today] >= posted[today]).all()
    assert (when[burst >= 0] // hour_us == burst[burst >= 0]).all()
    # Earlier days' posts: the plain exponential lag, wrapped past midnight.
    lag = (when - posted) % day_us
    assert np.mean(lag[organic & ~same_day]) / hour_us == pytest.approx(
        REACTION_LAG_HOURS, rel=0.02
    )


def test_prolific_posters_get_more_reactions_per_reactor(
    lake: Path, reactions: pl.DataFrame
) -> None:
    """posts_count follows posting activity; posting more draws more organic reactions from the
    same audience, not a larger one (spray likers, below, do pick prolific posters)."""
    accounts = pl.read_delta(str(lake / "accounts"))
    start = DEFAULT_END_DATE - timedelta(days=SIZES["tiny"].days - 1)
    age = (pl.lit(start) - pl.col("created_at").dt.date()).dt.total_days() + 1
    per_day = accounts.select(target_id="account_id", posts_per_day=pl.col("posts_count") / age)
    received = (
        reactions.filter(pl.col("actor_kind") != "spray")
        .group_by("target_id")
        .agg(n=pl.len(), reactors=pl.col("actor_id").n_unique())
        .filter(pl.col("reactors") >= 10)
        .join(per_day, on="target_id")
    )
    per_reactor = received["n"] / received["reactors"]
    assert spearmanr(received["posts_per_day"], per_reactor).statistic > 0.3
    assert abs(spearmanr(received["posts_per_day"], received["reactors"]).statistic) < 0.2


def test_spray_likers_react_once_to_many_posts_picked_by_posting_not_influence(
    lake: Path, reactions: pl.DataFrame
) -> None:
    planted = pl.read_parquet(lake / "_sample" / "planted.parquet")
    spray = reactions.filter(pl.col("actor_kind") == "spray")
    # About a fifth of all reactions at scale; tiny caps them (5% of a network's accounts a day).
    assert 0.02 <= spray.height / reactions.height <= 0.4
    per_day = spray.group_by("actor", "event_date").agg(targets=pl.col("target").n_unique())
    assert per_day["targets"].median() >= 5
    # Drawn by how much the target posts, not by its influence (organic reactions are).
    accounts = pl.read_delta(str(lake / "accounts")).select("account_id", "posts_count")
    got = (
        spray.group_by("target_id", "target")
        .agg(n=pl.len())
        .join(accounts, left_on="target_id", right_on="account_id")
        .join(planted.select(target="person_id", influence="influence"), on="target")
    )
    assert spearmanr(got["posts_count"], got["n"]).statistic > 0.3
    assert abs(spearmanr(got["influence"], got["n"]).statistic) < 0.15


def test_gaming_can_be_left_out(tmp_path: Path) -> None:
    summary = generate("tiny", str(tmp_path / "plain"), days=2, gaming=False)
    planted = pl.read_parquet(tmp_path / "plain" / "_sample" / "planted.parquet")
    # Spray likers are ordinary behaviour (a confounder), not gaming: they stay.
    # Organic viral events are ordinary behaviour too.
    assert sorted(planted["kind"].unique().to_list()) == ["normal", "spray", "viral"]
    assert summary["gaming"] is False


def test_gamers_are_not_biased_towards_people_with_more_accounts() -> None:
    """People on more networks draw more reactions; gamers must be typical in that respect."""
    rng = np.random.default_rng(0)
    n, networks = 20_000, 5
    member = rng.random((n, networks)) < [0.7, 0.6, 0.4, 0.2, 0.1]
    member[~member.any(axis=1), 0] = True
    account_person, account_net = np.nonzero(member)
    pct = (np.arange(n) + 0.5) / n
    plan = plan_gaming(np.random.default_rng(1), pct, account_person, account_net, networks)
    n_accounts = member.sum(axis=1)
    ordinary = (pct >= ORDINARY_PCT[0]) & (pct <= ORDINARY_PCT[1])
    gamers = np.isin(plan.kind, [KIND[k] for k in GAMER_KINDS])
    assert gamers.sum() > 300
    assert abs(n_accounts[gamers].mean() - n_accounts[ordinary].mean()) < 0.1
