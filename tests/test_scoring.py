"""Score: combination, calibration to the targets, exact network parts, percentiles, deltas."""

from __future__ import annotations

import datetime as dt
import math
import random

import numpy as np
import pytest

from jobs.config import ScoreConfig
from transforms.calibration import calibrated, fit_knots, target_mean
from transforms.recency import active_days
from transforms.scoring import (
    GRAPH_COMPONENTS,
    graph_terms,
    network_parts,
    percentiles,
    raw_scores,
    score_deltas,
    scored,
)

WEIGHTS = {
    "influence": 1.0,
    "reactions": 0.6,
    "engagement_rate": 0.3,
    "offline": 0.4,
    "audience": 0.05,
    "ratio": 0.1,
    "recent_fast": 0.2,
    "recent_mid": 0.1,
    "recent_slow": 0.05,
    "active_days": 0.15,
    "reach": 0.25,
    "audience_engagement": 0.5,
    "audience_quality": 0.3,
}
# 100 followers per unit of reaction signal; the ratio term capped at ln ratio 2.
SCORE = ScoreConfig(
    weights=WEIGHTS,
    followers_per_reactor=100.0,
    max_log_ratio=2.0,
    parts_tolerance=0.005,
    top_engagers=10,
    top_topics=3,
    min_reaction_signal=0.0,
)
AUDIENCE_COLUMNS = (
    "person_id long, followers long, real_followers long, reactors long, follower_reactors long"
)
TARGETS = [[0.0, 14.0], [0.5, 41.0], [0.8, 52.0], [0.95, 63.0], [0.99, 77.0], [0.999, 89.0]]


def test_raw_score_hand_computed(spark):
    day = dt.date(2026, 11, 20)
    ranks = spark.createDataFrame([(1, 0.5), (2, 0.25), (3, 0.25)], "person_id long, rank double")
    signals = spark.createDataFrame(
        [(1, "twitter", 2.0, 3, 4.0, 0.5, 1.5, 2.5), (1, "facebook", 1.0, 1, 2.0, None, 1.0, 0.5)],
        "person_id long, network string, signal double, reactors long, reactions double, "
        "recent_fast double, recent_mid double, recent_slow double",
    )
    prior = spark.createDataFrame([(1, 0.7), (2, 0.0), (3, 0.0)], "person_id long, offline double")
    created = dt.datetime(2026, 8, 12)  # 100 days before `day`
    accounts = spark.createDataFrame(
        [(1, 99, 9, 100, created), (2, 100_000, 10, 0, created)],
        "person_id long, followers_count long, following_count long, posts_count long, "
        "created_at timestamp",
    )
    days = spark.createDataFrame([(1, 4.0)], "person_id long, active_days double")
    no_graph = graph_terms(spark.createDataFrame([], AUDIENCE_COLUMNS))
    frame = raw_scores(
        ranks, signals, prior, accounts, days, no_graph, 3, WEIGHTS, day, 10.0, SCORE
    )
    rows = {r.person_id: r for r in frame.collect()}
    # 100 posts in 100 days, 10 decayed days: 10 posts drew 6 trusted reactions.
    parts = {
        "influence": math.log(1.5),
        "reactions": 0.6 * math.log1p(3.0),
        "engagement_rate": 0.3 * math.log1p(6.0 / 11.0),
        "offline": 0.4 * 0.7,
        "audience": 0.05 * math.log1p(99),  # 99 <= 100 * (signal 3 + 1): all count
        "ratio": 0.1 * min(math.log(100 / 10), 2),
        # Summed over networks; a null (signals written before the sums existed) counts 0.
        "recent_fast": 0.2 * math.log1p(0.5),
        "recent_mid": 0.1 * math.log1p(2.5),
        "recent_slow": 0.05 * math.log1p(3.0),
        "active_days": 0.15 * math.log1p(4.0),
    }
    assert rows[1].raw == pytest.approx(sum(parts.values()))
    assert {name: rows[1][name] for name in parts} == pytest.approx(parts)
    assert rows[1].active and not rows[2].active
    # Bought followers: no reaction backs them, so 100 of the 100,000 count (100 x (0 + 1)).
    assert rows[2].audience == pytest.approx(0.05 * math.log1p(100))
    assert rows[2].ratio == pytest.approx(0.1 * min(math.log(101 / 11), 2))
    assert rows[3].raw == pytest.approx(math.log(0.75))  # no active days: the term is 0
    # No follower graph: its terms are absent (null), not 0, and add nothing.
    assert all(rows[p][name] is None for p in (1, 2, 3) for name in GRAPH_COMPONENTS)


def test_follower_graph_terms_hand_computed(spark):
    day = dt.date(2026, 11, 20)
    ranks = spark.createDataFrame([(1, 0.5), (2, 0.5)], "person_id long, rank double")
    signals = spark.createDataFrame(
        [(1, "twitter", 3.0, 5, 4.0, 0.0, 0.0, 0.0), (2, "twitter", 3.0, 5, 4.0, 0.0, 0.0, 0.0)],
        "person_id long, network string, signal double, reactors long, reactions double, "
        "recent_fast double, recent_mid double, recent_slow double",
    )
    prior = spark.createDataFrame([(1, 0.0), (2, 0.0)], "person_id long, offline double")
    created = dt.datetime(2026, 8, 12)
    accounts = spark.createDataFrame(
        [(1, 99, 9, 0, created), (2, 99, 9, 0, created)],
        "person_id long, followers_count long, following_count long, posts_count long, "
        "created_at timestamp",
    )
    days = spark.createDataFrame([], "person_id long, active_days double")
    # 1: 10 followers in the graph, 4 look real; 5 reactors, 2 of them followers.
    # 2: in the graph without followers; 3 reactors.
    graph = graph_terms(
        spark.createDataFrame([(1, 10, 4, 5, 2), (2, 0, 0, 3, 0)], AUDIENCE_COLUMNS)
    )
    frame = raw_scores(ranks, signals, prior, accounts, days, graph, 2, WEIGHTS, day, 10.0, SCORE)
    rows = {r.person_id: r for r in frame.collect()}
    assert rows[1].reach == pytest.approx(0.25 * math.log1p(3))
    assert rows[1].audience_engagement == pytest.approx(0.5 * 2 / 10)
    assert rows[1].audience_quality == pytest.approx(0.3 * 4 / 10)
    # Only the real share of the follower count earns audience credit: 99 x 0.4.
    assert rows[1].audience == pytest.approx(0.05 * math.log1p(99 * 0.4))
    assert rows[1].ratio == pytest.approx(0.1 * math.log((99 * 0.4 + 1) / 10))
    assert rows[2].reach == pytest.approx(0.25 * math.log1p(3))
    assert rows[2].audience_engagement == 0.0 and rows[2].audience_quality == 0.0
    assert rows[2].audience == pytest.approx(0.05 * math.log1p(99))  # no graph followers: all


def test_active_days_counts_days_with_reactions_inside_the_window(spark):
    day = dt.date(2026, 11, 20)
    rows = [
        (day, 1, 3),  # the score date itself counts
        (day - dt.timedelta(days=1), 1, 40),  # a burst is one day, whatever its size
        (day - dt.timedelta(days=9), 1, 1),  # first day of a 10-day window
        (day - dt.timedelta(days=10), 1, 5),  # outside the window
        (day + dt.timedelta(days=1), 1, 5),  # after the score date
        (day - dt.timedelta(days=2), 2, 0),  # no reactors: not a day with reactions
        (day - dt.timedelta(days=3), 2, 2),
    ]
    targets = spark.createDataFrame(rows, "event_date date, target_person_id long, reactors long")
    days = {r.person_id: r.active_days for r in active_days(targets, day, 10, 10).collect()}
    assert days == {1: 3.0, 2: 1.0}
    # 4 of the window's 10 days hold data (a young lake): counts are scaled by 10 / 4.
    young = {r.person_id: r.active_days for r in active_days(targets, day, 10, 4).collect()}
    assert young == {1: pytest.approx(7.5), 2: pytest.approx(2.5)}


def test_target_distribution_has_mean_40():
    assert target_mean(TARGETS, tail_score=94.5) == pytest.approx(40.0, abs=0.1)


def _population(spark, seed, n=20000):
    rng = np.random.default_rng(seed)
    raw = rng.normal(0.0, 1.0, n) + rng.gamma(1.5, 0.6, n)  # skewed, like log-ranks plus signals
    return spark.createDataFrame(
        [(i, float(v), True) for i, v in enumerate(raw)],
        "person_id long, raw double, active boolean",
    )


def test_calibration_meets_targets_on_a_fresh_population(spark):
    raw_knots, score_knots = fit_knots(_population(spark, 1), TARGETS)
    # Frozen knots applied to another draw of the same population still meet the targets.
    scores = np.array(
        [r.score for r in scored(_population(spark, 2), raw_knots, score_knots, 99.99).collect()]
    )
    assert scores.mean() == pytest.approx(40.0, abs=1.0)
    assert np.percentile(scores, 95) == pytest.approx(63.0, abs=1.0)
    assert np.percentile(scores, 99) == pytest.approx(77.0, abs=1.0)
    assert scores.max() < 100 and scores.min() >= 1


def test_calibration_tail_never_reaches_100_and_top_points_cost_more(spark):
    import pyspark.sql.functions as F

    values = (-50.0, 0.0, 1.0, 2.0, 2.1, 2.2, 2.3, 50.0, 1e6)
    frame = spark.createDataFrame([(v,) for v in values], "raw double")
    out = [
        r.s
        for r in frame.select(
            calibrated(F.col("raw"), [0.0, 1.0, 2.0], [14.0, 41.0, 77.0], 99.99).alias("s")
        ).collect()
    ]
    assert out[0] == 1.0 and out[1] == 14.0 and out[2] == 41.0 and out[3] == 77.0
    assert all(a < b for a, b in zip(out[:6], out[1:7], strict=True))
    assert out[-2] <= out[-1] == 99.99
    # Equal raw steps above the last knot buy fewer and fewer points.
    gains = [b - a for a, b in zip(out[3:6], out[4:7], strict=True)]
    assert gains[0] > gains[1] > gains[2] > 0


def test_network_parts_add_up_exactly(spark):
    scores = spark.createDataFrame(
        [(1, 33.33, True), (2, 0.0, False)], "person_id long, score double, active boolean"
    )
    signals = spark.createDataFrame(
        [(1, "twitter", 1.0), (1, "facebook", 1.0), (1, "linkedin", 1.0), (2, "twitter", 0.0)],
        "person_id long, network string, signal double",
    )
    parts = {r.person_id: r.networks for r in network_parts(scores, signals).collect()}
    assert set(parts) == {1}
    assert round(sum(parts[1].values()), 2) == 33.33
    assert sorted(parts[1].values()) == [11.11, 11.11, 11.11]


def test_percentiles_across_whole_point_buckets(spark):
    """Cumulative counts within a point bucket and across the buckets below it: the share of
    active people at or below each score, as a direct count gives it."""
    rng = random.Random(5)
    people = [(i, round(rng.uniform(1, 99.99), 2), True) for i in range(400)]
    people += [(i, people[i - 400][1], True) for i in range(400, 450)]  # ties
    people += [(i, 0.0, False) for i in range(450, 460)]
    scores = spark.createDataFrame(people, "person_id long, score double, active boolean")
    got = {r.person_id: r.percentile for r in percentiles(scores).collect()}
    active = [s for _, s, a in people if a]
    for person, score, is_active in people:
        at_or_below = sum(1 for s in active if s <= score)
        expected = round(100.0 * at_or_below / len(active), 2) if is_active else 0.0
        assert got[person] == pytest.approx(expected, abs=0.006), person


def test_percentiles_and_deltas(spark):
    scores = spark.createDataFrame(
        [(1, 10.0, True), (2, 20.0, True), (3, 20.0, True), (4, 0.0, False)],
        "person_id long, score double, active boolean",
    )
    pct = {r.person_id: r.percentile for r in percentiles(scores).collect()}
    assert pct == {1: pytest.approx(33.33), 2: 100.0, 3: 100.0, 4: 0.0}
    previous = spark.createDataFrame([(1, 12.5), (2, 20.0)], "person_id long, score double")
    deltas = {r.person_id: r.d for r in score_deltas(scores, previous, "d").collect()}
    assert deltas == {1: -2.5, 2: 0.0, 3: None, 4: None}
