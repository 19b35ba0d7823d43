"""End to end: the daily job on the `tiny` sample for two consecutive dates, then a rerun."""

from __future__ import annotations

import datetime as dt
import functools
import json
import operator
import shutil
import subprocess
import sys

import pytest
from pyspark.sql import Window
from pyspark.sql import functions as F
from pyspark.sql.types import DoubleType, MapType

from jobs.config import load_config
from jobs.context import RunContext
from jobs.lake import Lake
from jobs.main import main
from jobs.manifest import attempts
from jobs.runner import MULTI_DAY_STAGES, run_stage
from jobs.stages import STAGES
from scripts.bench_aggregate import main as bench_aggregate
from scripts.bench_window import main as bench_window
from scripts.generate import generate

pytestmark = pytest.mark.slow


def _scores(lake, date):
    return lake.read("scores").where(F.col("score_date") == F.lit(date))


def test_published_rows_are_sane(daily_run):
    config, lake, last = daily_run
    rows = _scores(lake, last).collect()
    prior = lake.read("prior").where(F.col("score_date") == F.lit(last))
    assert len(rows) == prior.count() > 0
    active = [r for r in rows if r.score > 0]
    assert len(active) > len(rows) // 4
    for r in rows:
        assert 0 <= r.score < 100 and 0 <= r.percentile <= 100
        assert r.algorithm_version == config.algorithm_version and r.run_id.startswith(str(last))
        if r.score > 0:
            assert r.score >= 1
            assert round(sum(r.networks.values()), 2) == pytest.approx(r.score, abs=1e-9)
            assert set(r.networks) <= set(config.networks)
        else:
            assert r.networks == {} and r.percentile == 0
    assert any(r.top_topics for r in active)


def test_never_scores_opted_out_minors_or_suspended(daily_run):
    config, lake, last = daily_run
    people = lake.read("people")
    accounts = lake.read("accounts")
    live = accounts.where(~F.col("suspended")).select("person_id").distinct()
    banned = (
        people.where(
            (F.col("consent") != "opted_in")
            | (F.lit(last.year) - F.col("birth_year") < config.population.min_age)
        )
        .select("person_id")
        .union(people.join(live, "person_id", "left_anti").select("person_id"))
    )
    assert banned.count() > 0
    for table in ("scores", "topic_scores", "ranks", "prior"):
        leaked = lake.read(table).join(banned, "person_id", "inner").count()
        assert leaked == 0, table
    engaged = lake.read("engagements")
    assert (
        engaged.join(
            banned.withColumnRenamed("person_id", "actor_person_id"), "actor_person_id"
        ).count()
        == 0
    )


def test_deltas_use_the_previous_day(daily_run):
    _, lake, last = daily_run
    today = {r.person_id: r for r in _scores(lake, last).collect()}
    yesterday = {r.person_id: r.score for r in _scores(lake, last - dt.timedelta(days=1)).collect()}
    assert yesterday and any(abs(r.delta_1d or 0) > 0 for r in today.values())
    for pid, row in today.items():
        if pid in yesterday:
            assert row.delta_1d == pytest.approx(round(row.score - yesterday[pid], 2), abs=1e-9)
        else:
            assert row.delta_1d is None
        assert row.delta_7d is None  # the sample has no scores a week earlier


def test_each_change_has_its_main_cause(daily_run):
    config, lake, last = daily_run
    rows = _scores(lake, last).collect()
    changed = [r for r in rows if r.delta_1d]
    assert changed
    for r in rows:
        if r.delta_1d:
            assert r.change_signal in config.score.weights
            assert r.change_network is None or r.change_network in config.networks
        else:
            assert r.change_network is None and r.change_signal is None
    assert sum(r.change_network is not None for r in changed) > len(changed) // 2


def test_components_add_up_and_engagers_are_real_reactors(daily_run):
    config, lake, last = daily_run
    components = lake.read("components").where(F.col("score_date") == F.lit(last)).collect()
    assert components
    for c in components:
        assert sum(c[name] for name in config.score.weights) == pytest.approx(c.raw, abs=1e-9)
    engagers = lake.read("engagers").where(F.col("score_date") == F.lit(last))
    edges = lake.read("edges").where(F.col("score_date") == F.lit(last))
    pairs = engagers.select(F.col("engager_id").alias("src"), F.col("person_id").alias("dst"))
    assert pairs.count() > 0 and pairs.join(edges, ["src", "dst"], "left_anti").count() == 0
    most = engagers.groupBy("person_id").agg(
        F.max("position").alias("n"), F.sum("share").alias("s")
    )
    for row in most.collect():
        assert row.n <= config.score.top_engagers and row.s <= 1 + 1e-9


def test_influencer_search_and_explanation(daily_run, capsys):
    from jobs.queries import explain_person, influencers

    config, lake, last = daily_run
    topic = lake.read("topic_scores").where(F.col("score_date") == F.lit(last)).first().topic
    found = influencers(lake, topic, last, min_score=1.0, limit=5).collect()
    assert 0 < len(found) <= 5
    assert [r.topic_score for r in found] == sorted((r.topic_score for r in found), reverse=True)
    assert all(r.topic_score >= 1.0 and r.topic_score <= r.score for r in found)
    best = found[0].person_id
    explained = explain_person(lake, best, last)
    assert explained["score"]["score"] == found[0].score and explained["engagers"]
    assert explained["topics"][topic] == found[0].topic_score
    seen = explained["audience"]  # the follower graph's counts: reach as a count and a share
    assert seen["reach"] == seen["reactors"] - seen["follower_reactors"]
    assert seen["reach_share"] == pytest.approx(seen["reach"] / seen["reactors"])
    common = ["--date", str(last), "--conf", "conf/local.yaml", "--set"]
    common += [f"lake.root={config.lake.root}"]
    assert main(["influencers", "--topic", topic, "--limit", "3", *common]) == 0
    assert main(["explain", "--person", str(best), *common]) == 0
    printed = capsys.readouterr().out
    assert str(best) in printed and "top engagers" in printed and "not followers" in printed


def test_bad_input_is_quarantined_with_a_reason(daily_run):
    _, lake, _ = daily_run
    reasons = {r.reason for r in lake.read("quarantine").select("reason").distinct().collect()}
    assert {"missing_actor_id", "unknown_action", "unknown_network"} <= reasons
    counts = attempts(lake.read("runs")).where(F.col("stage") == "ingest").orderBy("started_at")
    ingest_counts = counts.collect()[-1].counts
    assert ingest_counts["rows_in"] == sum(
        ingest_counts[k]
        for k in ("accepted", "quarantined", "duplicate", "self_reaction", "not_scorable")
    )
    assert ingest_counts["duplicate"] > 0


def test_manifest_has_every_stage_with_versions(daily_run):
    _, lake, last = daily_run
    runs = attempts(lake.read("runs")).where(F.col("score_date") == F.lit(last)).collect()
    assert {r.stage for r in runs} == set(STAGES)
    for r in runs:
        assert r.status == "succeeded" and r.config_hash and r.code_version
        assert r.duration_s == pytest.approx((r.finished_at - r.started_at).total_seconds())
        assert r.output_versions
    publish = next(r for r in runs if r.stage == "publish")
    assert publish.output_versions["scores"] == lake.version("scores")


def test_rerun_of_a_date_changes_nothing(daily_run, spark):
    config, lake, last = daily_run
    before = sorted(_scores(lake, last).collect())
    version = lake.version("scores")
    code = main(
        [
            "daily",
            "--date",
            str(last),
            "--conf",
            "conf/local.yaml",
            "--set",
            f"lake.root={config.lake.root}",
            "--set",
            "spark.shuffle_partitions=2",
        ]
    )
    assert code == 0
    assert lake.version("scores") > version
    assert sorted(_scores(lake, last).collect()) == before


def test_edges_slid_from_yesterday_equal_the_recomputed_window(daily_run, spark, tmp_path):
    """The second date's edges stage slid the first date's kept window sums (pair_window);
    scripts/bench_window.py, on a scratch lake over the same daily pairs, recomputes the window
    and slides it again: the same edges and signals. Re-aggregating the first date drops the kept
    sums whose window holds it."""
    config, lake, last = daily_run
    first = last - dt.timedelta(days=1)
    runs = attempts(lake.read("runs")).where(F.col("stage") == "edges").collect()
    assert {r.score_date: r.counts["window_slid_days"] for r in runs} == {first: 0, last: 1}
    kept = {r.score_date for r in lake.read("pair_window").select("score_date").collect()}
    assert kept == {first, last}

    out = tmp_path / "bench.json"
    argv = ["--lake", config.lake.root, "--date", str(last), "--scratch", str(tmp_path / "s")]
    result = bench_window([*argv, "--json", str(out)], spark=spark)
    assert result["recomputed_counts"]["window_slid_days"] == 0
    assert result["slid_counts"]["window_slid_days"] == 1
    assert result["slid_counts"]["edges"] == result["recomputed_counts"]["edges"] > 0
    assert max(result["max_relative_difference"].values()) <= 1e-9
    assert json.loads(out.read_text()) == result

    copy = str(tmp_path / "lake")
    shutil.copytree(config.lake.root, copy)
    other = load_config(["conf/local.yaml"], [f"lake.root={copy}", "spark.shuffle_partitions=2"])
    copied = Lake(spark, copy)
    run_stage(RunContext(spark, other, copied, first, 1), "aggregate")
    assert copied.read("pair_window").count() == 0  # both kept windows hold `first`


def test_aggregate_benchmark_times_both_variants_on_the_lake(daily_run, spark, tmp_path):
    config, lake, last = daily_run
    first = last - dt.timedelta(days=1)
    out = tmp_path / "bench.json"
    argv = ["--lake", config.lake.root, "--first", str(first), "--days", "2", "--rounds", "1"]
    result = bench_aggregate([*argv, "--json", str(out)], spark=spark)
    engagements = lake.read("engagements").where(F.col("event_date") >= F.lit(first))
    assert result["engagements"] == engagements.count() > 0
    assert {name: len(times) for name, times in result["seconds"].items()} == {
        "pair_counts": 1,
        "daily_pairs": 1,
    }
    assert json.loads(out.read_text()) == result
    assert spark.range(1).count() == 1  # the shared session is left running


def test_cli_help_lists_every_stage():
    out = subprocess.run(
        [sys.executable, "-m", "jobs", "--help"], capture_output=True, text=True, check=True
    )
    for name in STAGES:
        assert name in out.stdout
    daily = subprocess.run(
        [sys.executable, "-m", "jobs", "daily", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "quarantine" in daily.stdout and "PageRank" in daily.stdout


def test_cli_rejects_unknown_setting():
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "jobs",
            "prior",
            "--date",
            "2026-11-20",
            "--set",
            "propagation.alhpa=1",
        ],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 2 and "propagation.alhpa" in out.stderr


# ---------------------------------------------------------------- backfill in windows
@pytest.fixture(scope="module")
def one_job(spark, tmp_path_factory, daily_run, tiny_seed):
    """The same `tiny` lake with the first date's backfill as one job per stage over all 7 days
    (what `daily` did before windows); returns its lake. Same config object as daily_run (the
    config hash holds lake.root): same run ids."""
    config, _, last = daily_run
    root = str(tmp_path_factory.mktemp("one-job"))
    summary = generate("tiny", root, seed=tiny_seed)
    lake = Lake(spark, root)
    ctx = RunContext(spark, config, lake, last - dt.timedelta(days=1), int(summary["days"]) - 1)
    assert ctx.days > config.window.backfill_chunk_days
    for name in STAGES:
        run_stage(ctx, name)
    return lake


def _differences(a, b, tolerance: float = 1e-9, limit: int = 5) -> list:
    """Rows of a and b that differ (empty when the tables are the same): every column but the
    doubles compared exactly (as multisets, maps as their sorted entries), the doubles of rows
    that match there within `tolerance` (relative): Spark sums doubles in whatever order the
    partitions come, so two runs may differ in the last bits of a sum."""
    for field in a.schema.fields:
        if isinstance(field.dataType, MapType):  # maps cannot be grouped or joined on
            entries = F.array_sort(F.map_entries(F.col(field.name)))
            a, b = a.withColumn(field.name, entries), b.withColumn(field.name, entries)
    doubles = [f.name for f in a.schema.fields if isinstance(f.dataType, DoubleType)]
    keys = [c for c in a.columns if c not in doubles]
    both = a.withColumn("_side", F.lit(1)).unionByName(b.withColumn("_side", F.lit(-1)))
    grouped = both.groupBy(*keys).agg(F.sum("_side").alias("_diff"))
    different = grouped.where(F.col("_diff") != 0).limit(limit).collect()
    if different or not doubles:
        return different
    left = a.select(*[F.col(c).alias(f"a_{c}") for c in a.columns])
    right = b.select(*[F.col(c).alias(f"b_{c}") for c in b.columns])
    same_key = [F.col(f"a_{k}").eqNullSafe(F.col(f"b_{k}")) for k in keys]
    joined = left.join(right, functools.reduce(operator.and_, same_key), "inner")
    off = [
        ~F.col(f"a_{d}").eqNullSafe(F.col(f"b_{d}"))
        & ~(
            F.abs(F.col(f"a_{d}") - F.col(f"b_{d}"))
            <= F.lit(tolerance) * F.greatest(F.lit(1.0), F.abs(F.col(f"a_{d}")))
        )
        for d in doubles
    ]
    return joined.where(functools.reduce(operator.or_, off)).limit(limit).collect()


def test_backfill_in_windows_writes_what_one_job_writes(daily_run, one_job):
    """engagements, daily aggregates, quarantine and everything scored for the backfill's date:
    the same rows, run ids included (doubles up to the order of float sums: see _differences;
    the published scores, rounded to 2 decimals, are identical)."""
    config, lake, last = daily_run
    first = last - dt.timedelta(days=1)
    by_event = F.col("event_date") <= F.lit(first)
    by_score = F.col("score_date") == F.lit(first)
    ingested = ("engagements", "quarantine", "daily_pairs", "daily_topics", "daily_targets")
    scored = ("prior", "pair_window", "edges", "signals", "ranks", "components", "engagers")
    published = ("scores_staged", "topic_scores_staged", "scores", "topic_scores")
    tables = {name: (by_event, 1e-9) for name in ingested}
    tables.update({name: (by_score, 1e-9) for name in scored})
    tables.update({name: (by_score, 0.0) for name in published})  # exactly
    for name, (rows, tolerance) in tables.items():
        chunked, whole = lake.read(name).where(rows), one_job.read(name).where(rows)
        assert whole.count() > 0, name
        assert _differences(chunked, whole, tolerance) == [], name

    # The manifest: one ingest and one aggregate row per window, dated at the window's last day,
    # with its days and the run's id; the later stages once, for the run's date.
    runs = attempts(lake.read("runs")).where(F.col("score_date") <= F.lit(first)).collect()
    run_id = RunContext(None, config, None, first, 7).run_id
    for stage in MULTI_DAY_STAGES:
        rows = sorted((r for r in runs if r.stage == stage), key=lambda r: r.score_date)
        assert [(r.score_date, r.counts["days"]) for r in rows] == [
            (first - dt.timedelta(days=3), 4),
            (first, 3),
        ], stage
        assert {(r.run_id, r.status) for r in rows} == {(run_id, "succeeded")}
    once = [name for name in STAGES if name not in MULTI_DAY_STAGES]
    assert sorted((r.stage, r.score_date, r.run_id) for r in runs if r.stage in once) == sorted(
        (name, first, run_id) for name in once
    )
    # The windows' counts add up to the one job's.
    one_job_counts = {r.stage: r.counts for r in attempts(one_job.read("runs")).collect()}
    for stage in MULTI_DAY_STAGES:
        added: dict[str, int] = {}
        for r in runs:
            if r.stage == stage:
                added = {k: added.get(k, 0) + v for k, v in r.counts.items()}
        assert added == one_job_counts[stage], stage

    # The second window did meet +K that repeat one of the first window's days (its repeat rule
    # read them from engagements): the equality above is not vacuous.
    plus_k = lake.read("engagements").where(
        (F.col("network") == config.endorsements.network)
        & (F.col("action") == config.endorsements.action)
        & by_event
    )
    key = ["actor_person_id", "target_person_id", F.array_sort(F.col("topics"))]
    order = Window.partitionBy(*key).orderBy("event_ts", "event_id")
    boundary = first - dt.timedelta(days=2)  # the second window's first day
    crossing = plus_k.withColumn("previous", F.lag("event_date").over(order)).where(
        (F.col("event_date") >= F.lit(boundary))
        & (F.col("previous") < F.lit(boundary))
        & (F.datediff("event_date", "previous") < config.endorsements.repeat_days)
    )
    assert crossing.count() > 0


def test_unresolvable_delta_jars_stop_with_one_line(tmp_path):
    """A machine that cannot get the JARs (here: an artifact that does not exist) is told how to
    point spark.jars at local copies, in one line, exit code 3; Ivy's report is in the log file,
    not on the console."""
    (tmp_path / "lake").mkdir()
    out = subprocess.run(
        [
            sys.executable, "-m", "jobs", "top", "--date", "2026-11-20",
            "--set", f"lake.root={tmp_path / 'lake'}", "--set", f"logging.dir={tmp_path / 'logs'}",
            "--set", "spark.packages=[io.delta:delta-spark-nonexistent_2.13:0.0.1]",
        ],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert out.returncode == 3
    lines = out.stdout.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: Spark did not start")
    assert "spark.jars" in lines[0] and "delta-spark-nonexistent" in lines[0]
    [log] = (tmp_path / "logs").iterdir()
    assert f"(log: {log})" in lines[0]
    assert "unresolved dependency" in log.read_text() and "resolving" not in out.stderr
