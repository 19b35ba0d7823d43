"""Daily aggregates and the decayed window, against hand-computed values."""

from __future__ import annotations

import datetime as dt
import math

import pytest
from window_oracle import burst_factors, decayed_pair_networks

from transforms.aggregates import daily_pairs, daily_topics
from transforms.edges import (
    LEAK_ID,
    discount_reciprocal,
    engagement_edges,
    network_signals,
    reactor_quality,
)
from transforms.schemas import DAILY_PAIRS, ENGAGEMENTS

D = dt.date(2026, 11, 20)
POWER = 0.5  # selectivity = (1 + reactions / scale) ** -POWER, in the hand-computed weights


def edge_weights(pairs, quality=None) -> dict[tuple[int, int], float]:
    """(src, dst) -> weight of engagement_edges with pair unit 1, selectivity scale 50."""
    rows = engagement_edges(pairs, D, 1.0, 50.0, POWER, quality).collect()
    return {(r.src, r.dst): r.weight for r in rows}


NETWORKS = {"twitter": {"retweet": 1.0, "mention": 0.5}, "facebook": {"like": 0.25}}


def test_daily_pairs_and_topics(spark):
    at = dt.datetime(2026, 11, 20)
    h7, h8, h9, h10 = (at + dt.timedelta(hours=h) for h in (7, 8, 9, 10))
    one_day = dt.timedelta(days=1)
    rows = [
        ("e1", "twitter", "retweet", 1, 2, 10, ["ai", "art"], h8, D),
        ("e2", "twitter", "retweet", 1, 2, 10, ["ai", "art"], h8, D),
        ("e3", "twitter", "retweet", 1, 2, 11, ["ai"], h8, D),
        ("e4", "twitter", "mention", 3, 2, None, None, h8, D),
        ("e5", "twitter", "retweet", 1, 2, 11, ["ai"], h9, D),
        ("e6", "facebook", "like", 3, 2, 12, None, h10, D),
        ("e7", "twitter", "retweet", 4, 5, 20, None, h8, D),
        ("e8", "twitter", "retweet", 6, 2, 10, None, h7, D),
        ("e9", "twitter", "retweet", 6, 2, 11, None, h8 + dt.timedelta(minutes=30), D),
        ("e10", "twitter", "retweet", 7, 2, 13, None, None, D),
        ("e11", "facebook", "comment", 3, 2, 12, None, None, D),
        ("e12", "twitter", "retweet", 8, 2, 10, None, h8 + dt.timedelta(days=1), D + one_day),
    ]
    engagements = spark.createDataFrame(rows, ENGAGEMENTS.schema)
    pairs = {
        (r.actor_person_id, r.target_person_id, r.action, r.event_date == D): (
            r.reactions,
            r.contents,
            r.crowd,
        )
        for r in daily_pairs(engagements).collect()
    }
    # 1 and 3 first reacted to 2 at 8:00, an hour where 2 people arrived; their later reactions
    # at quiet hours (9:00, 10:00 on another network) do not change that. 6 arrived at 7:00
    # alone: its second reaction at 8:30 neither moves it nor adds to 8:00's crowd. 8:00 holds
    # 1 person for 5. 7's reaction has no time: its pair is kept, its crowd unknown; 3's comment
    # without a time does not change 3's first hour. 8 arrived at 8:00 the next day: another day.
    assert pairs == {
        (1, 2, "retweet", True): (4, 2, 2),
        (3, 2, "mention", True): (1, 0, 2),
        (3, 2, "like", True): (1, 1, 2),
        (3, 2, "comment", True): (1, 1, 2),
        (4, 5, "retweet", True): (1, 1, 1),
        (6, 2, "retweet", True): (2, 2, 1),
        (7, 2, "retweet", True): (1, 1, None),
        (8, 2, "retweet", False): (1, 1, 1),
    }
    topics = {r.topic: r.weight for r in daily_topics(engagements, NETWORKS).collect()}
    # e1, e2 split 1.0 over two topics, e3 and e5 give 1.0 to ai; the others have no topics.
    assert topics == pytest.approx({"ai": 3.0, "art": 1.0})


def _pairs(spark, rows):
    """Daily pairs from (date, actor, target, network, action, reactions, contents[, crowd])."""
    return spark.createDataFrame([(*r, None)[:8] for r in rows], DAILY_PAIRS.schema)


def _trust(spark, people, trust=1.0, **others):
    rows = [(p, trust) for p in people] + [(p, t) for p, t in others.items()]
    return spark.createDataFrame(rows, "person_id long, trust double")


HALF_LIVES = (1.0, 7.0, 30.0)


def _signals(spark, pairs, trust):
    quality = reactor_quality(trust, 1.0)
    rows = network_signals(pairs, D, 1.0, 50.0, quality, 0.5, HALF_LIVES).collect()
    return {(r.person_id, r.network): r for r in rows}


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
    edges = edge_weights(pairs)
    assert edges == pytest.approx(
        {
            (1, 2): math.log1p(2.5) * sel1,
            (1, 3): math.log1p(1.0) * sel1,
            (4, 2): math.log1p(1.0) * sel4,
        }
    )
    signals = {
        key: (r.signal, r.reactors)
        for key, r in _signals(spark, pairs, _trust(spark, [1, 4])).items()
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
    trust = _trust(spark, range(1, 101))
    signal = {person: r.signal for (person, _), r in _signals(spark, pairs, trust).items()}
    assert signal[200] > 10 * signal[100]


def test_untrusted_reactors_count_by_their_trust(spark):
    """Bot farm: 50 reactors of trust 0.01 give a hundredth of what 50 trusted ones give; a
    reactor with no prior row (not scorable) gives nothing; trust above 1 counts as 1."""
    bots = [(D, k, 300, "twitter", "retweet", 1, 1) for k in range(1, 51)]
    fans = [(D, k, 400, "twitter", "retweet", 1, 1) for k in range(51, 101)]
    stranger = [(D, 999, 400, "twitter", "retweet", 1, 1)]
    pairs = decayed_pair_networks(_pairs(spark, bots + fans + stranger), D, 90, 30.0, NETWORKS)
    trust = spark.createDataFrame(
        [(k, 0.01) for k in range(1, 51)] + [(k, 3.0) for k in range(51, 101)],
        "person_id long, trust double",
    )
    rows = {person: r for (person, _), r in _signals(spark, pairs, trust).items()}
    assert rows[300].signal == pytest.approx(rows[400].signal / 100)
    # Counted reactions carry the reactor's selectivity too (one retweet each: A = 1).
    sel = (1 + 1 / 50) ** -0.5
    assert rows[300].reactions == pytest.approx(0.5 * sel)
    assert rows[400].reactions == pytest.approx(50 * sel)
    assert rows[400].reactors == 50


def test_recency_counts_each_trusted_reactor_once_by_their_latest_reaction(spark):
    """Reactor 1 reacted 3 times, last 7 days ago; reactor 4 once today; reactor 5 (trust 0.5)
    once 30 days ago; reactor 6 outside the window. Each counts quality * selectivity *
    2^(-age / h), once, whatever their number of reactions."""
    week, month = D - dt.timedelta(days=7), D - dt.timedelta(days=30)
    rows = [
        (D - dt.timedelta(days=20), 1, 2, "twitter", "retweet", 2, 1),
        (week, 1, 2, "twitter", "retweet", 1, 1),
        (D, 4, 2, "twitter", "mention", 1, 1),
        (month, 5, 2, "twitter", "retweet", 1, 1),
        (D - dt.timedelta(days=95), 6, 2, "twitter", "retweet", 1, 1),
    ]
    pairs = decayed_pair_networks(_pairs(spark, rows), D, 90, 30.0, NETWORKS)
    trust = spark.createDataFrame(
        [(1, 1.0), (4, 1.0), (5, 0.5), (6, 1.0)], "person_id long, trust double"
    )
    got = _signals(spark, pairs, trust)[(2, "twitter")]
    # Selectivity (power 0.5, scale 50) of each reactor's decayed activity: 1's is
    # 2 * 2^(-20/30) + 2^(-7/30), 4's 0.5 (a mention), 5's 0.5 (one half-life).
    sel = {1: (1 + (2 * 2 ** (-20 / 30) + 2 ** (-7 / 30)) / 50) ** -0.5,
           4: (1 + 0.5 / 50) ** -0.5, 5: (1 + 0.5 / 50) ** -0.5}  # fmt: skip
    for column, h in zip(("recent_fast", "recent_mid", "recent_slow"), HALF_LIVES, strict=True):
        expected = sel[1] * 2 ** (-7 / h) + sel[4] + 0.5 * sel[5] * 2 ** (-30 / h)
        assert getattr(got, column) == pytest.approx(expected), column


def test_selectivity_power_spreads_an_attention_budget(spark):
    """A spray liker (one like on each of 200 targets) against a fan (5 retweets to one): with
    power 1 the liker's reaction to one target counts (1 + A/50)^-1 of its strength."""
    spray = [(D, 1, 100 + k, "twitter", "retweet", 1, 1) for k in range(200)]
    fan = [(D, 2, 100, "twitter", "retweet", 5, 5)]
    pairs = decayed_pair_networks(_pairs(spark, spray + fan), D, 90, 30.0, NETWORKS)
    quality = reactor_quality(_trust(spark, [1, 2]), 1.0)
    for power in (0.5, 1.0):
        rows = network_signals(pairs, D, 1.0, 50.0, quality, power, HALF_LIVES).collect()
        signal = {r.person_id: r.signal for r in rows}
        reactions = {r.person_id: r.reactions for r in rows}
        assert signal[101] == pytest.approx(math.log1p(1.0) * (1 + 200 / 50) ** -power)
        assert reactions[101] == pytest.approx((1 + 200 / 50) ** -power)
        fan_part = math.log1p(5.0) * (1 + 5 / 50) ** -power
        assert signal[100] == pytest.approx(fan_part + signal[101])


def test_burst_days_count_at_most_cap_times_the_median_day(spark):
    """Target 2 draws 2 reactors a day for 4 days, then 100 on one day: with cap 3 that day
    counts 6 reactors (3 x the median of 2, 2, 2, 2, 100, above the floor of 5), so each burst
    pair keeps 6% of its strength; target 3's single day is its own median."""
    days = [D - dt.timedelta(days=k) for k in range(1, 5)]
    steady = [(day, fan, 2, "twitter", "retweet", 2, 1) for day in days for fan in (1, 2)]
    burst = [(D, 10 + k, 2, "twitter", "retweet", 1, 1) for k in range(100)]
    small = [(D, 1, 3, "twitter", "retweet", 8, 1)]
    frame = _pairs(spark, steady + burst + small)
    factors = {
        (r.event_date, r.target_person_id): r.burst_factor
        for r in burst_factors(frame, 3.0, 5.0).collect()
    }
    assert factors[(D, 2)] == pytest.approx(6 / 100)
    assert factors[(days[0], 2)] == 1.0 and factors[(D, 3)] == 1.0
    decayed = decayed_pair_networks(frame, D, 90, 30.0, NETWORKS, burst_cap=3.0, burst_floor=5.0)
    bought = decayed.where("dst = 2 and src >= 10").collect()
    assert sum(r.raw for r in bought) == pytest.approx(6.0)
    assert all(r.raw_given == pytest.approx(1.0) for r in bought)
    edges = edge_weights(decayed)
    assert edges[(10, 2)] == pytest.approx(0.06 * math.log1p(1.0) * (1 + 1 / 50) ** -0.5)


def test_a_crowded_hour_counts_at_most_crowd_cap_times_the_median_peak_hour(spark):
    """Target 2 draws 6 fans a day for 4 days, 4 of them in one hour (peak 4); on D the fans come
    again, 100 accounts land in one hour and 7 reacts with an unknown crowd (aggregated before the
    column existed). The day counts 18 of its 107 reactors (cap 3 x the median day of 6); an hour
    12 people (3 x the median peak of 4, above the floor of 8), so a bought pair keeps
    18/107 x 12/100, a fan's pair of D and 7's 18/107. Target 3's unknown crowd: factor 1."""
    days = [D - dt.timedelta(days=k) for k in range(1, 5)]
    fans = [(fan, 4 if fan <= 4 else 2) for fan in range(1, 7)]
    steady = [
        (day, fan, 2, "twitter", "retweet", 1, 1, crowd)
        for day in [*days, D]
        for fan, crowd in fans
    ]
    burst = [(D, 10 + k, 2, "twitter", "retweet", 1, 1, 100) for k in range(100)]
    unknown = [
        (D, 7, 2, "twitter", "retweet", 1, 1, None),
        (D, 5, 3, "twitter", "retweet", 1, 1, None),
    ]
    frame = _pairs(spark, steady + burst + unknown)
    factors = {
        (r.event_date, r.target_person_id): (r.burst_factor, r.allowed_crowd)
        for r in burst_factors(frame, 3.0, 5.0, crowd_cap=3.0, crowd_floor=8.0).collect()
    }
    assert factors[(D, 2)] == pytest.approx((18 / 107, 12.0))
    assert factors[(days[0], 2)] == pytest.approx((1.0, 12.0))
    assert factors[(D, 3)] == pytest.approx((1.0, 8.0))  # no known crowd: the floor
    decayed = decayed_pair_networks(
        frame, D, 90, 1e9, NETWORKS, burst_cap=3.0, burst_floor=5.0, crowd_cap=3.0, crowd_floor=8.0
    )
    raw = {(r.src, r.dst): r.raw for r in decayed.collect()}
    assert raw[(10, 2)] == pytest.approx(18 / 107 * 12 / 100)
    assert raw[(1, 2)] == pytest.approx(4 + 18 / 107)  # 4 ordinary days in full, then D's share
    assert raw[(7, 2)] == pytest.approx(18 / 107)
    assert raw[(5, 3)] == pytest.approx(1.0)
    # The hour cap alone (no day cap): a bought pair keeps 12/100, everyone else all.
    hour_only = decayed_pair_networks(frame, D, 90, 1e9, NETWORKS, crowd_cap=3.0, crowd_floor=8.0)
    raw = {(r.src, r.dst): r.raw for r in hour_only.collect()}
    assert raw[(10, 2)] == pytest.approx(12 / 100) and raw[(1, 2)] == pytest.approx(5.0)


def test_mutual_reactions_count_reciprocal_keep(spark):
    """1 and 2 react to each other (4 and 1 weighted reactions): the mutual part, 1 of 1's 4 and
    all of 2's 1, counts 0.25 of the pair's strength. 3 -> 1 is one-way and counts fully."""
    rows = [
        (D, 1, 2, "twitter", "retweet", 4, 1),
        (D, 2, 1, "twitter", "retweet", 1, 1),
        (D, 3, 1, "twitter", "retweet", 5, 1),
    ]
    pairs = decayed_pair_networks(_pairs(spark, rows), D, 90, 30.0, NETWORKS)
    factors = {(r.src, r.dst): r.mutual_factor for r in discount_reciprocal(pairs, 0.25).collect()}
    assert factors == pytest.approx({(1, 2): (4 - 0.75) / 4, (2, 1): 0.25, (3, 1): 1.0})
    discounted = discount_reciprocal(pairs, 0.25)
    edges = edge_weights(discounted)
    selectivity = {1: (1 + 4 / 50) ** -0.5, 2: (1 + 1 / 50) ** -0.5, 3: (1 + 5 / 50) ** -0.5}
    assert edges[(2, 1)] == pytest.approx(math.log1p(1.0) * 0.25 * selectivity[2])
    assert edges[(1, 2)] == pytest.approx(math.log1p(4.0) * 3.25 / 4 * selectivity[1])
    assert edges[(3, 1)] == pytest.approx(math.log1p(5.0) * selectivity[3])


def test_defences_leak_the_weight_they_take_to_the_sink(spark):
    """Edges carry quality x strength; each actor's edge to LEAK_ID carries the rest of what it
    gave (low trust, mutual discount), so PageRank cannot renormalise it back onto its target."""
    rows = [
        (D, 1, 2, "twitter", "retweet", 1, 1),  # 1 has trust 0.5
        (D, 3, 4, "twitter", "retweet", 4, 1),  # 3 and 4 react to each other
        (D, 4, 3, "twitter", "retweet", 4, 1),
        (D, 5, 2, "twitter", "retweet", 2, 1),  # 5: trusted, one-way: no leak edge
    ]
    pairs = discount_reciprocal(
        decayed_pair_networks(_pairs(spark, rows), D, 90, 30.0, NETWORKS), 0.25
    )
    quality = reactor_quality(
        _trust(spark, [3, 4, 5], **{}).union(
            spark.createDataFrame([(1, 0.5)], "person_id long, trust double")
        ),
        1.0,
    )
    edges = edge_weights(pairs, quality)
    sel = {1: (1 + 1 / 50) ** -0.5, 3: (1 + 4 / 50) ** -0.5, 5: (1 + 2 / 50) ** -0.5}
    assert edges[(1, 2)] == pytest.approx(0.5 * math.log1p(1) * sel[1])
    assert edges[(1, LEAK_ID)] == pytest.approx(0.5 * math.log1p(1) * sel[1])
    assert edges[(3, 4)] == pytest.approx(math.log1p(4.0) * 0.25 * sel[3])  # all mutual
    assert edges[(3, LEAK_ID)] == pytest.approx(math.log1p(4.0) * 0.75 * sel[3])
    assert edges[(5, 2)] == pytest.approx(math.log1p(2.0) * sel[5]) and (5, LEAK_ID) not in edges
