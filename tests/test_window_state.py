"""Sliding the window (transforms/window_state.py) gives what recomputing it gives."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from window_oracle import decayed_pair_networks

from transforms.bursts import damped_days, factors_from_stats, target_day_stats
from transforms.edges import window_dates
from transforms.schemas import DAILY_PAIRS
from transforms.window_state import (
    days_between,
    pair_window_basis,
    pair_window_rows,
    slide_window,
    window_sums,
    with_defences,
)

NETWORKS = {"twitter": {"retweet": 1.0, "mention": 0.5}, "facebook": {"like": 0.25}}
FIRST = dt.date(2026, 11, 1)
WINDOW, HALF_LIFE = 5, 3.0
DEFENCES = {"burst_cap": 2.0, "burst_floor": 3.0, "crowd_cap": 2.0, "crowd_floor": 4.0}
COLUMNS = ["raw", "reactions", "raw_given", "reactions_given"]


def _world(spark):
    """12 days of pairs: fans of targets 1-6 on most days, a bought burst on target 2 (day 7,
    one crowded hour), a crowded hour of target 6 on a day within its cap (day 8), a viral day of
    target 3 (day 9, spread over the day), a pair whose only day leaves the window, and a day
    (10) nobody reacts."""
    rng = random.Random(5)
    rows = []
    for day in range(12):
        date = FIRST + dt.timedelta(days=day)
        if day == 10:
            continue
        for target in range(1, 7):
            # Target 6 draws 8-12 people a day, one per hour.
            fans = rng.sample(range(400, 460), rng.randint(8, 12)) if target == 6 else None
            for fan in fans or rng.sample(range(100, 130), rng.randint(1, 4)):
                network, action = rng.choice(
                    [("twitter", "retweet"), ("twitter", "mention"), ("facebook", "like")]
                )
                rows.append((date, fan, target, network, action, rng.randint(1, 3), 1, 1))
        if day == 7:
            rows += [(date, 200 + k, 2, "twitter", "retweet", 1, 1, 40) for k in range(40)]
        if day == 8:  # 6 people in one hour: a crowd for target 6, not a day over its cap
            rows += [(date, 500 + k, 6, "twitter", "mention", 1, 1, 6) for k in range(6)]
        if day == 9:
            rows += [(date, 300 + k, 3, "facebook", "like", 1, 1, 2) for k in range(30)]
    rows.append((FIRST, 999, 4, "twitter", "mention", 5, 1, 1))
    return spark.createDataFrame(rows, DAILY_PAIRS.schema)


SUSPECTS = ((0.2, 0.6), (1.0, 3.0))  # share ramp, count ramp (conf/base.yaml)


def _recomputed(pairs, date, suspects=None):
    """The reference: the whole window from its daily pairs."""
    return decayed_pair_networks(
        pairs, date, WINDOW, HALF_LIFE, NETWORKS, **DEFENCES, suspects=suspects
    )


def _slid(pairs, state, state_date, date, suspects=None):
    """What the edges stage does with kept sums: slide, then the damped targets again."""
    entering, leaving = days_between(state_date, date, WINDOW)
    sums = slide_window(
        state,
        state_date,
        pairs.where(pairs.event_date.isin(entering)),
        pairs.where(pairs.event_date.isin(leaving)),
        date,
        WINDOW,
        HALF_LIFE,
        NETWORKS,
    )
    window = pairs.where(pairs.event_date.isin(window_dates(date, WINDOW)))
    damped = damped_days(factors_from_stats(target_day_stats(window), *DEFENCES.values()))
    decayed = with_defences(sums, damped, window, date, HALF_LIFE, NETWORKS, suspects)
    return sums, decayed, {(r.target_person_id, r.burst_factor < 1) for r in damped.collect()}


def _rows(frame):
    return {(r.src, r.dst, r.network): r for r in frame.collect()}


def test_days_between_lists_the_days_entering_and_leaving():
    d = FIRST + dt.timedelta(days=10)
    assert days_between(d - dt.timedelta(days=1), d, 5) == ([d], [d - dt.timedelta(days=5)])
    entering, leaving = days_between(d - dt.timedelta(days=3), d, 5)
    assert entering == [d - dt.timedelta(days=k) for k in (2, 1, 0)]
    assert leaving == [d - dt.timedelta(days=k) for k in (7, 6, 5)]
    # Further apart than the window: every old day leaves, only the new window's days enter.
    entering, leaving = days_between(d - dt.timedelta(days=8), d, 5)
    assert entering == window_dates(d, 5)
    assert leaving == window_dates(d - dt.timedelta(days=8), 5)
    with pytest.raises(ValueError, match="precede"):
        days_between(d, d, 5)


def test_sliding_day_by_day_and_over_a_gap_equals_recomputing(spark):
    # With the reactors judged, as configured (the summed test below also runs without).
    suspects = SUSPECTS
    pairs = _world(spark).cache()
    basis = pair_window_basis(WINDOW, HALF_LIFE, NETWORKS)
    state_date = FIRST + dt.timedelta(days=4)
    state = pair_window_rows(_recomputed(pairs, state_date), state_date, basis).localCheckpoint()
    seen_damped = set()
    # One day (the first day's pairs, 999 -> 4 among them, leave), two days at once (the burst
    # of day 7 enters), one day, then three days across the empty day 10 (the viral day 9).
    for date in [FIRST + dt.timedelta(days=k) for k in (5, 7, 8, 11)]:
        sums, decayed, damped = _slid(pairs, state, state_date, date, suspects)
        seen_damped |= damped
        expected, got = _rows(_recomputed(pairs, date, suspects)), _rows(decayed)
        assert got.keys() == expected.keys(), date
        for key, row in expected.items():
            for column in COLUMNS:
                assert getattr(got[key], column) == pytest.approx(
                    getattr(row, column), rel=1e-9, abs=1e-12
                ), (date, key, column)
            assert got[key].last_date == row.last_date
        # As the table would: the kept sums, not the plan of every slide so far.
        state, state_date = pair_window_rows(sums, date, basis).localCheckpoint(), date
    # The test means something: the defences damped the burst and the viral day by the day
    # cap, target 6's crowded hour by the hour cap alone, and the pair whose only day left the
    # window is gone.
    assert {(2, True), (3, True), (6, False)} <= seen_damped
    assert (6, True) not in seen_damped
    assert (999, 4, "twitter") not in _rows(state)
    pairs.unpersist()


@pytest.mark.parametrize("suspects", [None, SUSPECTS])
def test_summed_window_with_the_caps_subtracted_equals_the_reference(spark, suspects):
    """The edges stage's first run: the window's sums from its daily pairs, then the caps' share
    subtracted on the damped target-days, as decayed_pair_networks computes it directly."""
    pairs = _world(spark).cache()
    date = FIRST + dt.timedelta(days=9)
    window = pairs.where(pairs.event_date.isin(window_dates(date, WINDOW)))
    sums = window_sums(pairs, date, WINDOW, HALF_LIFE, NETWORKS)
    damped = damped_days(factors_from_stats(target_day_stats(window), *DEFENCES.values()))
    got = _rows(with_defences(sums, damped, window, date, HALF_LIFE, NETWORKS, suspects))
    expected = _rows(_recomputed(pairs, date, suspects))
    assert got.keys() == expected.keys()
    for key, row in expected.items():
        for column in COLUMNS:
            assert getattr(got[key], column) == pytest.approx(getattr(row, column), rel=1e-9)
    assert any(r.raw < r.raw_given for r in expected.values())  # the caps took something
    pairs.unpersist()


def test_caps_spare_reactors_whose_reactions_are_mostly_elsewhere(spark):
    """Targets 1-3 draw 2 people a day for 4 days, then 20 on day 5 (the day cap keeps 4/20).
    Among target 1's 20: regulars 10-13 react to 5 other people every day (1 damped pair of 6:
    share 1/6, count 1: spared), 20-23 to one other person (share 1/2: suspicion 0.75), sellers
    30-40 to nobody else (share 1: damped in full). Seller 41 is in all three bursts and reacts
    to 20 other people too (share 3/23, but 3 damped pairs: damped in full). Each keeps
    1 - suspicion * (1 - 4/20)."""
    day = [FIRST + dt.timedelta(days=k) for k in range(5)]
    rows = [(d, 100 + 10 * t + k, t, "twitter", "retweet", 1, 1, 1)
            for t in (1, 2, 3) for d in day[:4] for k in range(2)]  # fmt: skip
    burst = [*range(10, 14), *range(20, 24), *range(30, 42)]
    rows += [(day[4], a, 1, "twitter", "retweet", 1, 1, 1) for a in burst]
    rows += [(day[4], a, t, "twitter", "retweet", 1, 1, 1) for t in (2, 3)
             for a in [41, *range(200 + 20 * t, 219 + 20 * t)]]  # fmt: skip
    for d in day:
        rows += [(d, a, 50 + t, "twitter", "retweet", 1, 1, 1) for a in range(10, 14)
                 for t in range(5)]  # fmt: skip
        rows += [(d, a, 60, "twitter", "retweet", 1, 1, 1) for a in range(20, 24)]
    rows += [(day[0], 41, 300 + t, "twitter", "retweet", 1, 1, 1) for t in range(20)]
    pairs = spark.createDataFrame(rows, DAILY_PAIRS.schema)
    caps = {"burst_cap": 2.0, "burst_floor": 3.0}
    got = _rows(decayed_pair_networks(pairs, day[4], WINDOW, HALF_LIFE, NETWORKS, **caps,
                                      suspects=SUSPECTS))  # fmt: skip
    kept = {a: got[(a, 1, "twitter")].raw / got[(a, 1, "twitter")].raw_given for a in burst}
    assert kept[10] == pytest.approx(1.0)
    assert kept[20] == pytest.approx(1 - 0.75 * (1 - 4 / 20))
    assert kept[30] == pytest.approx(4 / 20)
    assert kept[41] == pytest.approx(4 / 20)
    # Without judging the reactors, every one of them keeps the day's share.
    plain = _rows(decayed_pair_networks(pairs, day[4], WINDOW, HALF_LIFE, NETWORKS, **caps))
    assert plain[(10, 1, "twitter")].raw == pytest.approx(4 / 20)


def test_basis_changes_with_the_settings_the_sums_depend_on():
    basis = pair_window_basis(90, 30.0, NETWORKS)
    assert basis == pair_window_basis(90, 30, {k: dict(v) for k, v in NETWORKS.items()})
    assert basis != pair_window_basis(60, 30.0, NETWORKS)
    assert basis != pair_window_basis(90, 20.0, NETWORKS)
    assert basis != pair_window_basis(90, 30.0, {**NETWORKS, "facebook": {"like": 0.3}})
