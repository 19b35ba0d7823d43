"""The ingest stage on real Delta tables: a day holding every kind of defect is accounted for
row by row, its outputs stay readable by every Delta reader, dedupe looks back across days, and
a missing or thin day fails the run unless allowed."""

from __future__ import annotations

import dataclasses
import datetime as dt

import deltalake
import polars as pl
import pytest
from pyspark.sql import functions as F

from jobs.config import load_config
from jobs.context import RunContext
from jobs.lake import Lake
from jobs.runner import StageFailedError, run_stage
from transforms.ingest import OUTCOMES
from transforms.schemas import ACCOUNTS, INTERACTIONS, PEOPLE

DAY = dt.date(2026, 3, 10)
HISTORY = [DAY - dt.timedelta(days=k) for k in range(7, 0, -1)]
PER_DAY = 20


def noon(day: dt.date, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(12, minute))


def event(event_id, actor=11, target=12, day=DAY, **fields):
    row = dict(
        event_id=event_id, network="twitter", action="retweet", actor_id=actor,
        target_id=target, content_id=1, topics=["ai"], event_ts=noon(day), event_date=day,
    )  # fmt: skip
    row.update(fields)
    return tuple(row[c] for c in INTERACTIONS.columns)


def ordinary_day(day: dt.date, n: int = PER_DAY) -> list[tuple]:
    return [
        event(f"{day}-{i}", 11 + i % 6, 11 + (i + 1) % 6, day, event_ts=noon(day, i))
        for i in range(n)
    ]


def hostile_day() -> list[tuple]:
    """DAY's rows: ordinary ones plus one of each defect (names say which)."""
    yesterday = HISTORY[-1]
    return ordinary_day(DAY) + [
        event(f"{DAY}-0"),  # a second delivery of a valid event
        event(f"{yesterday}-3"),  # accepted yesterday, delivered again
        event("retry", actor=999, event_ts=noon(DAY, 1) - dt.timedelta(hours=1)),
        event("retry"),  # the valid delivery after an invalid one
        event("no-date", event_date=None),
        event("", actor=13),
        event("x" * 10_000),
        event("many-topics", topics=[f"t{i}" for i in range(10_000)]),
        event("long-topic", topics=["y" * 100_000]),
        event("null-topic", topics=["ai", None]),
        event("myspace", network="myspace"),
        event("poke", action="poke"),
        event("self", actor=11, target=11),
        event("mismatch", event_ts=noon(yesterday)),
        event("bad-id-utf8"),
        event("bad-topic-utf8"),
    ]


UNDATED = [event("undated", event_ts=None, event_date=None)]


def with_invalid_utf8(df):
    """Rows named bad-*-utf8 get a lone UTF-8 lead byte in their id or topic."""
    bad = F.unhex(F.lit("C328")).cast("string")
    return df.withColumn(
        "topics",
        F.when(F.col("event_id") == "bad-topic-utf8", F.array(bad)).otherwise(F.col("topics")),
    ).withColumn(
        "event_id",
        F.when(F.col("event_id") == "bad-id-utf8", F.concat(F.lit("id"), bad)).otherwise(
            F.col("event_id")
        ),
    )


@pytest.fixture(scope="module")
def world(spark, tmp_path_factory):
    root = str(tmp_path_factory.mktemp("ingest-lake"))
    lake = Lake(spark, root)
    created = dt.datetime(2020, 1, 1)
    lake.append("people", spark.createDataFrame(
        [(p, "opted_in", 1980, None, None) for p in range(1, 7)], PEOPLE.schema
    ))  # fmt: skip
    lake.append("accounts", spark.createDataFrame(
        [(10 + p, "twitter", p, created, False, False, 5, 5, 0, 5, None) for p in range(1, 7)],
        ACCOUNTS.schema,
    ))  # fmt: skip
    rows = [r for day in HISTORY for r in ordinary_day(day)] + hostile_day() + UNDATED
    lake.append("interactions", with_invalid_utf8(spark.createDataFrame(rows, INTERACTIONS.schema)))
    config = load_config(["conf/local.yaml"], [f"lake.root={root}", "spark.shuffle_partitions=2"])
    run_stage(RunContext(spark, config, lake, HISTORY[-1], len(HISTORY)), "ingest")
    report = run_stage(RunContext(spark, config, lake, DAY, 1), "ingest")
    return config, lake, report


def test_every_row_read_has_one_counted_outcome(world):
    _, lake, report = world
    counts = report.counts
    assert counts["rows_in"] == len(hostile_day()) + len(UNDATED)
    assert sum(counts[o] for o in OUTCOMES) == counts["rows_in"]
    assert sum(v for k, v in counts.items() if k.startswith("reason.")) == counts["quarantined"]
    day = F.col("event_date") == F.lit(DAY)
    assert lake.read("engagements").where(day).count() == counts["accepted"]
    assert lake.read("quarantine").where(day).count() == counts["quarantined"]
    assert counts["duplicate"] == 2 and counts["self_reaction"] == 1
    accepted = {r.event_id for r in lake.read("engagements").where(day).collect()}
    assert "retry" in accepted and f"{HISTORY[-1]}-3" not in accepted
    reasons = {k.removeprefix("reason.") for k in counts if k.startswith("reason.")}
    assert reasons == {
        "unknown_actor_account", "missing_event_date", "empty_event_id", "event_id_too_long",
        "too_many_topics", "topic_too_long", "empty_topic", "unknown_network", "unknown_action",
        "event_date_mismatch", "invalid_utf8", "missing_event_ts",
    }  # fmt: skip


def test_outputs_stay_readable_by_every_delta_reader(world):
    _, lake, _ = world
    for name in ("engagements", "quarantine"):
        expected = lake.read(name).count()
        assert deltalake.DeltaTable(lake.path(name)).to_pyarrow_table().num_rows == expected
        assert pl.read_delta(lake.path(name)).height == expected
    config = world[0]
    longest = lake.read("quarantine").agg(F.max(F.length("record"))).collect()[0][0]
    assert 1000 < longest <= config.ingest.max_record_chars


def test_rerun_gives_the_same_rows(spark, world):
    config, lake, report = world
    again = run_stage(RunContext(spark, config, lake, DAY, 1), "ingest")
    assert again.counts == report.counts
    day = F.col("event_date") == F.lit(DAY)
    assert lake.read("engagements").where(day).count() == report.counts["accepted"]


def test_a_missing_or_thin_day_fails_unless_allowed(spark, world):
    config, lake, _ = world
    empty, thin = DAY + dt.timedelta(days=1), DAY + dt.timedelta(days=2)
    lake.append("interactions", spark.createDataFrame(ordinary_day(thin, 3), INTERACTIONS.schema))
    with pytest.raises(StageFailedError, match=f"no raw interactions for {empty}"):
        run_stage(RunContext(spark, config, lake, empty, 1), "ingest")
    with pytest.raises(StageFailedError, match=f"only 3 raw interactions for {thin}"):
        run_stage(RunContext(spark, config, lake, thin, 1), "ingest")
    allowed = dataclasses.replace(
        config, health=dataclasses.replace(config.health, allow_empty=True, allow_thin=True)
    )
    # Only the undated row, which every run reads and reports.
    on_empty = run_stage(RunContext(spark, allowed, lake, empty, 1), "ingest").counts
    assert (on_empty["rows_in"], on_empty["quarantined"]) == (len(UNDATED), len(UNDATED))
    assert run_stage(RunContext(spark, allowed, lake, thin, 1), "ingest").counts["accepted"] == 3
