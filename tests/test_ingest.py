"""Ingest: every raw row gets one outcome; invalid rows carry a reason."""

from __future__ import annotations

import datetime as dt

from chispa import assert_df_equality
from pyspark.sql import functions as F

from transforms.ingest import (
    Limits,
    accepted_engagements,
    classify_interactions,
    quarantine_rows,
)
from transforms.population import scorable_people
from transforms.schemas import ACCOUNTS, INTERACTIONS, PEOPLE

DAY = dt.date(2026, 11, 20)
TS = dt.datetime(2026, 11, 20, 12, 0)
NETWORKS = {"twitter": {"retweet": 1.0, "mention": 0.8}, "facebook": {"like": 0.3}}
LIMITS = Limits(max_event_id_chars=20, max_topics=3, max_topic_chars=10, max_record_chars=300)


def invalid_utf8():
    """A string column holding a lone lead byte: not UTF-8 (Python strings cannot hold one)."""
    return F.unhex(F.lit("C328")).cast("string")


def _people(spark):
    return spark.createDataFrame(
        [
            (1, "opted_in", None, None, None),
            (2, "opted_in", 1980, None, None),
            (3, "opted_out", None, None, None),
            (4, "opted_in", 2015, None, None),  # minor
            (5, "opted_in", None, None, None),
        ],  # only a suspended account
        PEOPLE.schema,
    )


def _accounts(spark):
    created = dt.datetime(2020, 1, 1)
    rows = [
        (11, "twitter", 1),
        (12, "facebook", 1),
        (21, "twitter", 2),
        (31, "twitter", 3),
        (41, "twitter", 4),
        (51, "twitter", 5),
    ]
    return spark.createDataFrame(
        [(a, n, p, created, False, a == 51, 10, 10, 0, 5, None) for a, n, p in rows],
        ACCOUNTS.schema,
    )


def _event(
    event_id, actor, target, network="twitter", action="retweet", ts=TS, date=DAY, topics=("ai",)
):
    return (event_id, network, action, actor, target, 100, topics and list(topics), ts, date)


def _classify(spark, raw, seen=()):
    """classify_interactions with the module's accounts, people, networks and limits;
    `seen`: event ids accepted on earlier days."""
    scorable = scorable_people(_people(spark), _accounts(spark), DAY, 18)
    earlier = spark.createDataFrame([(e,) for e in seen], "event_id string")
    return classify_interactions(raw, _accounts(spark), scorable, NETWORKS, LIMITS, earlier)


def test_scorable_people_excludes_opted_out_minors_and_suspended(spark):
    result = scorable_people(_people(spark), _accounts(spark), DAY, 18)
    assert sorted(r.person_id for r in result.collect()) == [1, 2]


def test_every_row_gets_one_outcome(spark):
    raw = spark.createDataFrame(
        [
            _event("ok", 21, 11),
            _event("ok", 21, 11),  # same event delivered twice
            _event("late", 21, 11),  # accepted on an earlier day, delivered again
            _event("self", 11, 11),
            _event("self2", 12, 11, network="twitter"),  # facebook account used on twitter
            _event("optout", 31, 11),
            _event("minor", 41, 11),
            _event("suspended", 51, 11),
            _event("noactor", None, 11),
            _event("badaction", 21, 11, action="poke"),
            _event("badnet", 21, 11, network="myspace"),
            _event("baddate", 21, 11, date=DAY - dt.timedelta(days=1)),
            _event("nodate", 21, 11, date=None),
            _event("ghost", 999, 11),
            # The first delivery names an unknown account, the second is valid: it is kept.
            _event("retry", 998, 11, ts=TS - dt.timedelta(hours=1)),
            _event("retry", 21, 11),
            _event("", 21, 11),
            _event("x" * 21, 21, 11),
            _event("topics", 21, 11, topics=("a", "b", "c", "d")),
            _event("longtopic", 21, 11, topics=("ai", "t" * 11)),
            _event("emptytopic", 21, 11, topics=("ai", "")),
            _event("notopics", 11, 21, topics=None),
            _event("utf8-id", 21, 11),
            _event("utf8-topic", 21, 11),
        ],
        INTERACTIONS.schema,
    )
    raw = raw.withColumn(
        "event_id",
        F.when(F.col("event_id") == "utf8-id", F.concat(F.lit("id"), invalid_utf8())).otherwise(
            F.col("event_id")
        ),
    ).withColumn(
        "topics",
        F.when(F.col("event_id") == "utf8-topic", F.array(F.lit("ai"), invalid_utf8())).otherwise(
            F.col("topics")
        ),
    )
    classified = _classify(spark, raw, seen=["late"])
    outcomes = sorted(
        (r.event_id if r.reason != "invalid_utf8" else "?", r.outcome, r.reason or "")
        for r in classified.collect()
    )
    assert outcomes == sorted(
        [
            ("ok", "accepted", ""),
            ("ok", "duplicate", ""),
            ("late", "duplicate", ""),
            ("self", "self_reaction", ""),
            ("self2", "quarantined", "actor_network_mismatch"),
            ("optout", "not_scorable", ""),
            ("minor", "not_scorable", ""),
            ("suspended", "not_scorable", ""),
            ("noactor", "quarantined", "missing_actor_id"),
            ("badaction", "quarantined", "unknown_action"),
            ("badnet", "quarantined", "unknown_network"),
            ("baddate", "quarantined", "event_date_mismatch"),
            ("nodate", "quarantined", "missing_event_date"),
            ("ghost", "quarantined", "unknown_actor_account"),
            ("retry", "quarantined", "unknown_actor_account"),
            ("retry", "accepted", ""),
            ("", "quarantined", "empty_event_id"),
            ("x" * 21, "quarantined", "event_id_too_long"),
            ("topics", "quarantined", "too_many_topics"),
            ("longtopic", "quarantined", "topic_too_long"),
            ("emptytopic", "quarantined", "empty_topic"),
            ("notopics", "accepted", ""),
            ("?", "quarantined", "invalid_utf8"),
            ("?", "quarantined", "invalid_utf8"),
        ]
    )


def test_quarantine_record_is_valid_utf8_and_bounded(spark):
    raw = spark.createDataFrame(
        [_event("a", 21, 11, topics=("z" * 500,)), _event("b", 21, 11)], INTERACTIONS.schema
    ).withColumn(
        "event_id",
        F.when(F.col("event_id") == "b", F.concat(F.lit("b"), invalid_utf8())).otherwise(
            F.col("event_id")
        ),
    )
    rows = quarantine_rows(_classify(spark, raw), "interactions", "r1", DAY, 300)
    checked = rows.select(
        F.col("reason"), F.length("record").alias("n"), F.is_valid_utf8("record").alias("ok")
    ).collect()
    assert sorted(r.reason for r in checked) == ["invalid_utf8", "topic_too_long"]
    assert all(r.ok and r.n <= 300 for r in checked)


def test_accepted_rows_are_mapped_to_people(spark):
    raw = spark.createDataFrame([_event("e1", 21, 11)], INTERACTIONS.schema)
    accepted = accepted_engagements(_classify(spark, raw))
    expected = spark.createDataFrame(
        [("e1", "twitter", "retweet", 2, 1, 100, ["ai"], TS, DAY)], accepted.schema
    )
    assert_df_equality(accepted, expected)


def test_quarantine_keeps_the_raw_record(spark):
    raw = spark.createDataFrame([_event("bad", 21, 11, action="poke")], INTERACTIONS.schema)
    rows = quarantine_rows(_classify(spark, raw), "interactions", "r1", DAY, 300)
    row = rows.collect()[0]
    assert (row.source, row.reason, row.run_id, row.event_date) == (
        "interactions",
        "unknown_action",
        "r1",
        DAY,
    )
    assert '"event_id":"bad"' in row.record and '"action":"poke"' in row.record
