"""The follower graph on the shared `tiny` lake: counts against a pandas oracle, bought followers
found out, a join that never shuffles the graph, a snapshot rebuilt only when follows change, and
the graph's terms absent (not 0) on a lake without follows."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from pyspark.sql import functions as F

from jobs.commands import print_explanation
from jobs.context import RunContext
from jobs.lake import Lake
from jobs.manifest import attempts
from jobs.queries import explain_person
from jobs.runner import run_stage
from jobs.stages import STAGES
from scripts.bench_audience import graph_is_shuffled, join_plan
from scripts.bench_audience import main as bench_main
from transforms import audience
from transforms.scoring import GRAPH_COMPONENTS

pytestmark = pytest.mark.slow


def _day(lake: Lake, name: str, date) -> pd.DataFrame:
    return lake.read(name).where(F.col("score_date") == F.lit(date)).toPandas()


def test_audience_counts_match_a_pandas_oracle(daily_run):
    _, lake, last = daily_run
    owner = lake.read("accounts").select("account_id", "person_id").toPandas()
    person = dict(zip(owner.account_id, owner.person_id, strict=True))
    follows = lake.read("follows").toPandas()
    edges = zip(follows.follower_id, follows.followee_id, strict=True)
    pairs = {(person[a], person[b]) for a, b in edges
             if a in person and b in person and person[a] != person[b]}  # fmt: skip
    followers: dict[int, set[int]] = {}
    for follower, followee in pairs:
        followers.setdefault(followee, set()).add(follower)
    window = _day(lake, "pair_window", last)
    window = window[(window.src != window.dst) & (window.dst >= 0)]
    reactors = window.groupby("dst").src.apply(set).to_dict()
    got = _day(lake, "audience", last).set_index("person_id")
    scorable = set(_day(lake, "prior", last).person_id)
    assert set(got.index) == (set(followers) | set(reactors)) & scorable
    for pid, row in got.iterrows():
        mine, drawn = followers.get(pid, set()), reactors.get(pid, set())
        assert (row.followers, row.reactors) == (len(mine), len(drawn))
        assert row.follower_reactors == len(mine & drawn)
        assert 0 <= row.real_followers <= row.followers
    assert got.follower_reactors.sum() > 0  # followers react more often than strangers


def test_bought_followers_are_found_out(daily_run):
    _, lake, last = daily_run
    planted = pd.read_parquet(Path(lake.root) / "_sample" / "planted.parquet")
    kind = dict(zip(planted.person_id, planted.kind, strict=True))
    graph = lake.read("follower_graph").toPandas()
    graph["kind"] = graph.follower_person_id.map(kind)
    fakes = graph[graph.kind == "fake_follower"]
    assert len(fakes) > 0 and not fakes.follower_real.any()
    assert graph[graph.kind == "normal"].follower_real.mean() > 0.8
    counts = _day(lake, "audience", last)
    counts["kind"] = counts.person_id.map(kind)
    share = counts[counts.followers > 0].assign(real=lambda d: d.real_followers / d.followers)
    bought = share[share.kind == "bought_followers"].real.median()
    assert bought < share[share.kind == "normal"].real.median()  # (tiny: one fake per network)


def test_the_join_broadcasts_the_reactors_and_never_shuffles_the_graph(daily_run, spark):
    config, lake, last = daily_run
    plan = join_plan(lake, last, config.audience.buckets)
    assert "BroadcastHashJoin" in plan and not graph_is_shuffled(plan)
    # The check itself: a plain shuffle join of the same tables is caught.
    window = lake.read("pair_window").where(F.col("score_date") == F.lit(last))
    pairs = audience.reactor_pairs(window, config.audience.buckets).select(
        F.col("target").alias("followee_person_id"), F.col("reactor").alias("follower_person_id")
    )
    spark.conf.set("spark.sql.autoBroadcastJoinThreshold", "-1")
    try:
        shuffled = lake.read("follower_graph").join(
            pairs, on=["followee_person_id", "follower_person_id"], how="inner"
        )
        assert graph_is_shuffled(shuffled._jdf.queryExecution().executedPlan().toString())
    finally:
        spark.conf.unset("spark.sql.autoBroadcastJoinThreshold")


def test_bench_audience_reads_one_run_of_the_daily_job(daily_run, spark, tmp_path):
    config, lake, last = daily_run
    out = tmp_path / "bench.json"
    args = ["--lake", lake.root, "--date", str(last), "--json", str(out),
            "--set", "spark.shuffle_partitions=2"]  # fmt: skip
    result = bench_main(args, spark=spark)
    assert set(result["seconds"]) == set(STAGES)
    assert result["total_seconds"] == pytest.approx(sum(result["seconds"].values()), abs=0.5)
    assert 0 < result["audience_share"] < 1
    assert result["snapshot_rebuilt"] == 0 and result["graph_shuffled"] is False
    assert json.loads(out.read_text())["plan"] == result["plan"]


def test_the_snapshot_is_rebuilt_only_when_follows_change(daily_run, spark, tmp_path):
    config, lake, last = daily_run
    runs = attempts(lake.read("runs")).where(F.col("stage") == F.lit("audience")).toPandas()
    rebuilt = {r.score_date: r.counts["snapshot_rebuilt"] for r in runs.itertuples()}
    assert rebuilt == {last - pd.Timedelta(days=1): 1, last: 0}
    root = tmp_path / "lake"
    shutil.copytree(lake.root, root)
    copy = Lake(spark, str(root))
    ctx = RunContext(spark, config, copy, last)
    built = copy.partition_values("follower_counts", "follows_version")
    extra = copy.read("follows").limit(1)  # a repeated edge: a new version, the same graph
    copy.append("follows", extra)
    report = run_stage(ctx, "audience")
    assert report.counts["snapshot_rebuilt"] == 1
    assert copy.partition_values("follower_counts", "follows_version") == {copy.version("follows")}
    assert built != {copy.version("follows")}

    def rows(on: Lake) -> pd.DataFrame:
        return _day(on, "audience", last).sort_values("person_id").reset_index(drop=True)

    assert rows(copy).equals(rows(lake))


def test_without_follows_the_graph_terms_are_absent(daily_run, spark, tmp_path, capsys):
    config, lake, last = daily_run
    root = tmp_path / "lake"
    shutil.copytree(lake.root, root)
    copy = Lake(spark, str(root))
    copy.overwrite("follows", copy.read("follows").limit(0))
    ctx = RunContext(spark, config, copy, last)
    assert run_stage(ctx, "audience").counts["people"] == 0
    run_stage(ctx, "score")
    components = _day(copy, "components", last)
    assert len(components) > 0
    assert components[list(GRAPH_COMPONENTS)].isna().all().all()
    staged = copy.read("scores_staged").where(F.col("score_date") == F.lit(last))
    assert staged.where(F.col("score") > 0).count() > 0  # the score works without them
    explained = explain_person(copy, int(components.person_id.iloc[0]), last)
    assert explained["audience"] is None and explained["components"]["reach"] is None
    print_explanation(ctx, int(components.person_id.iloc[0]))
    assert "reach absent" in capsys.readouterr().out
