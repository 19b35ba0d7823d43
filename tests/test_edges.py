"""Daily aggregates and the decayed window, against hand-computed values."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from transforms.aggregates import daily_pairs, daily_topics
from transforms.edges import decayed_pair_networks, engagement_edges, network_signals
from transforms.schemas import DAILY_PAIRS, ENGAGEMENTS

D = dt.date(2026, 11, 20)
NETWORKS = {"twitter": {"retweet": 1.0, "mention": 0.5}, "facebook": {"like": 0.25}}


def test_daily_pairs_and_topics(spark):
    ts = dt.datetime(2026, 11, 20, 8)
    rows = [
        ("e1", "twitter", "retweet", 1, 2, 10, ["ai", "art"], ts, D),
        ("e2", "twitter", "retweet", 1, 2, 10, ["ai", "art"], ts, D),
        ("e3", "twitter", "retweet", 1, 2, 11, ["ai"], ts, D),
        ("e4", "twitter", "mention", 3, 2, None, None, ts, D),
    ]
    engagements = spark.createDataFrame(rows, ENGAGEMENTS.schema)
    pairs = {
        (r.actor_person_id, r.action): (r.reactions, r.contents)
        for r in daily_pairs(engagements).collect()
    }
    assert pairs == {(1, "retweet"): (3, 2), (3, "mention"): (1, 0)}
    topics = {r.topic: r.weight for r in daily_topics(engagements, NETWORKS).collect()}
    # e1, e2 split 1.0 over two topics, e3 gives 1.0 to ai; e4 has no topics.
    assert topics == pytest.approx({"ai": 2.0, "art": 1.0})


def _pairs(spark, rows):
    return spark.createDataFrame(rows, DAILY_PAIRS.schema)


def test_window_decay_diminishing_returns_and_selectivity(spark):
    rows = [
        (D, 1, 2, "twitter", "retweet", 2, 1),
        (D - dt.timedelta(days=30), 1, 2, "twitter", "retweet", 1, 1),  # one half-life old
        (D - dt.timedelta(days=90), 1, 2, "twitter", "retweet", 100, 1),  # outside the window
        (D, 1, 3, "facebook", "like", 4, 1),
        (D, 4, 2, "twitter", "mention", 2, 1),
    ]
    pairs = decayed_pair_networks(_pairs(spark, rows), D, 90, 30.0, NETWORKS)
    raw = {(r.src, r.dst, r.network): r.raw for r in pairs.collect()}
    assert raw == pytest.approx(
        {(1, 2, "twitter"): 2.5, (1, 3, "facebook"): 1.0, (4, 2, "twitter"): 1.0}
    )

    sel1 = (1 + 3.5 / 50) ** -0.5  # actor 1 gave 2.5 + 1.0 in all
    sel4 = (1 + 1.0 / 50) ** -0.5
    edges = {(r.src, r.dst): r.weight for r in engagement_edges(pairs, D, 1.0, 50.0).collect()}
    assert edges == pytest.approx(
        {
            (1, 2): math.log1p(2.5) * sel1,
            (1, 3): math.log1p(1.0) * sel1,
            (4, 2): math.log1p(1.0) * sel4,
        }
    )
    signals = {
        (r.person_id, r.network): (r.signal, r.reactors)
        for r in network_signals(pairs, D, 1.0, 50.0).collect()
    }
    assert signals[(2, "twitter")][0] == pytest.approx(
        math.log1p(2.5) * sel1 + math.log1p(1.0) * sel4
    )
    assert signals[(2, "twitter")][1] == 2
    assert signals[(3, "facebook")][1] == 1


def test_many_reactors_beat_one_repeated_reactor(spark):
    one_fan = [(D, 1, 100, "twitter", "retweet", 100, 100)]
    many_fans = [(D, k, 200, "twitter", "retweet", 1, 1) for k in range(1, 101)]
    pairs = decayed_pair_networks(_pairs(spark, one_fan + many_fans), D, 90, 30.0, NETWORKS)
    signal = {r.person_id: r.signal for r in network_signals(pairs, D, 1.0, 50.0).collect()}
    assert signal[200] > 10 * signal[100]
