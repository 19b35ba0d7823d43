"""Ingest: every raw row gets one outcome; invalid rows carry a reason."""

from __future__ import annotations

import datetime as dt

from chispa import assert_df_equality

from transforms.ingest import accepted_engagements, classify_interactions, quarantine_rows
from transforms.population import scorable_people
from transforms.schemas import ACCOUNTS, INTERACTIONS, PEOPLE

DAY = dt.date(2026, 11, 20)
TS = dt.datetime(2026, 11, 20, 12, 0)
NETWORKS = {"twitter": {"retweet": 1.0, "mention": 0.8}, "facebook": {"like": 0.3}}


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


def _event(event_id, actor, target, network="twitter", action="retweet", ts=TS, date=DAY):
    return (event_id, network, action, actor, target, 100, ["ai"], ts, date)


def test_scorable_people_excludes_opted_out_minors_and_suspended(spark):
    result = scorable_people(_people(spark), _accounts(spark), DAY, 18)
    assert sorted(r.person_id for r in result.collect()) == [1, 2]


def test_every_row_gets_one_outcome(spark):
    raw = spark.createDataFrame(
        [
            _event("ok", 21, 11),
            _event("ok", 21, 11),  # same event delivered twice
            _event("self", 11, 11),
            _event("self2", 12, 11, network="twitter"),  # facebook account used on twitter
            _event("optout", 31, 11),
            _event("minor", 41, 11),
            _event("suspended", 51, 11),
            _event("noactor", None, 11),
            _event("badaction", 21, 11, action="poke"),
            _event("badnet", 21, 11, network="myspace"),
            _event("baddate", 21, 11, date=DAY - dt.timedelta(days=1)),
            _event("ghost", 999, 11),
        ],
        INTERACTIONS.schema,
    )
    scorable = scorable_people(_people(spark), _accounts(spark), DAY, 18)
    classified = classify_interactions(raw, _accounts(spark), scorable, NETWORKS)
    outcomes = {(r.event_id, r.outcome, r.reason) for r in classified.collect()}
    assert outcomes == {
        ("ok", "accepted", None),
        ("ok", "duplicate", None),
        ("self", "self_reaction", None),
        ("self2", "quarantined", "actor_network_mismatch"),
        ("optout", "not_scorable", None),
        ("minor", "not_scorable", None),
        ("suspended", "not_scorable", None),
        ("noactor", "quarantined", "missing_actor_id"),
        ("badaction", "quarantined", "unknown_action"),
        ("badnet", "quarantined", "unknown_network"),
        ("baddate", "quarantined", "event_date_mismatch"),
        ("ghost", "quarantined", "unknown_actor_account"),
    }


def test_accepted_rows_are_mapped_to_people(spark):
    raw = spark.createDataFrame([_event("e1", 21, 11)], INTERACTIONS.schema)
    scorable = scorable_people(_people(spark), _accounts(spark), DAY, 18)
    accepted = accepted_engagements(
        classify_interactions(raw, _accounts(spark), scorable, NETWORKS)
    )
    expected = spark.createDataFrame(
        [("e1", "twitter", "retweet", 2, 1, 100, ["ai"], TS, DAY)], accepted.schema
    )
    assert_df_equality(accepted, expected)


def test_quarantine_keeps_the_raw_record(spark):
    raw = spark.createDataFrame([_event("bad", 21, 11, action="poke")], INTERACTIONS.schema)
    scorable = scorable_people(_people(spark), _accounts(spark), DAY, 18)
    rows = quarantine_rows(
        classify_interactions(raw, _accounts(spark), scorable, NETWORKS), "interactions", "r1"
    )
    row = rows.collect()[0]
    assert (row.source, row.reason, row.run_id, row.event_date) == (
        "interactions",
        "unknown_action",
        "r1",
        DAY,
    )
    assert '"event_id":"bad"' in row.record and '"action":"poke"' in row.record
