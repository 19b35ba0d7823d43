"""Sliding the 90-day window by a day instead of recomputing it (the edges stage's fast path).

The window's decayed pair sums before any defence,

    S_D(a, t, n) = sum over d in (D - W, D] of weight(n, action) * reactions_d * 2^(-(D - d)/h),

obey, for any earlier date P whose sums are kept (the `pair_window` table),

    S_D = S_P * 2^(-(D - P)/h) + (the days entering, (P, D]) - (the days leaving, (P - W, D - W]),

each day decayed to D. So the daily run reads yesterday's sums and two days of daily pairs, not W
days for the sums. The gaming defences are not linear (a target's caps depend on medians over
its whole window, which move every day), but they damp few of a target's days: the damped sums
are the whole sums less what the caps take on those days, read back from the daily pairs of the
damped target-days only (bursts.damped_days, with_defences). The result equals
the window recomputed from every daily pair (tests/window_oracle.py) up to float rounding
(tests/test_window_state.py). docs/SCORING.md §4 has the stage's side: when a kept state may be
used, and what makes it stale.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from transforms.aggregates import action_weight
from transforms.bursts import crowd_factor, judged, reactor_suspicion
from transforms.edges import decay_factor
from transforms.schemas import PAIR_WINDOW

SUMS = ["raw_given", "reactions_given"]
KEY = ["src", "dst", "network"]


def pair_window_basis(
    window_days: int, half_life_days: float, networks: dict[str, dict[str, float]]
) -> str:
    """Fingerprint of the settings the kept sums depend on: a state made under other settings
    is not slid, the window is recomputed."""
    canonical = json.dumps([window_days, float(half_life_days), networks], sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def days_between(
    state_date: dt.date, score_date: dt.date, window_days: int
) -> tuple[list[dt.date], list[dt.date]]:
    """(entering, leaving): the days in score_date's window and not in state_date's, and the
    days in state_date's window and not in score_date's (state_date < score_date)."""
    if state_date >= score_date:
        raise ValueError(f"state date {state_date} must precede the score date {score_date}")
    span = (score_date - state_date).days
    entering = [
        state_date + dt.timedelta(days=k) for k in range(max(1, span - window_days + 1), span + 1)
    ]
    first_left = state_date - dt.timedelta(days=window_days - 1)
    leaving = [first_left + dt.timedelta(days=k) for k in range(min(span, window_days))]
    return entering, leaving


def decayed_day_sums(
    daily_pairs: DataFrame,
    score_date: dt.date,
    half_life_days: float,
    networks: dict[str, dict[str, float]],
    sign: float = 1.0,
) -> DataFrame:
    """src, dst, network, raw_given, reactions_given, last_date of the given days' pairs decayed
    to score_date, times sign (-1 for the days leaving, which then carry no last_date)."""
    decay = decay_factor(score_date, half_life_days) * F.lit(float(sign))
    reactions = F.col("reactions").cast("double")
    last = F.col("event_date") if sign > 0 else F.lit(None).cast("date")
    return daily_pairs.select(
        F.col("actor_person_id").alias("src"),
        F.col("target_person_id").alias("dst"),
        F.col("network"),
        (action_weight(networks) * reactions * decay).alias("raw_given"),
        (reactions * decay).alias("reactions_given"),
        last.alias("last_date"),
    )


def window_sums(
    daily_pairs: DataFrame,
    score_date: dt.date,
    window_days: int,
    half_life_days: float,
    networks: dict[str, dict[str, float]],
) -> DataFrame:
    """The window's sums from its daily pairs (a first run, or no usable kept sums): src, dst,
    network, raw_given, reactions_given, last_date."""
    first_day = score_date - dt.timedelta(days=window_days - 1)
    in_window = daily_pairs.where(
        (F.col("event_date") >= F.lit(first_day)) & (F.col("event_date") <= F.lit(score_date))
    )
    return _per_pair(decayed_day_sums(in_window, score_date, half_life_days, networks))


def _per_pair(parts: DataFrame) -> DataFrame:
    """Day rows (decayed_day_sums, carried sums) summed per pair and network; a sum that the
    subtraction of leaving days leaves a rounding error below zero is 0."""
    return parts.groupBy(*[F.col(c) for c in KEY]).agg(
        *[F.greatest(F.sum(F.col(c)), F.lit(0.0)).alias(c) for c in SUMS],
        F.max(F.col("last_date")).alias("last_date"),
    )


def slide_window(
    state: DataFrame,
    state_date: dt.date,
    entering: DataFrame,
    leaving: DataFrame,
    score_date: dt.date,
    window_days: int,
    half_life_days: float,
    networks: dict[str, dict[str, float]],
) -> DataFrame:
    """The kept sums of state_date (pair_window rows) carried to score_date: decayed by the days
    between, plus the entering days' pairs, minus the leaving days' (days_between). Pairs left
    with no reaction in the new window drop out; a sum the subtraction leaves a rounding error
    below zero is 0."""
    carry = F.pow(F.lit(2.0), F.lit(-(score_date - state_date).days / float(half_life_days)))
    carried = state.select(
        *[F.col(c) for c in KEY],
        *[(F.col(c) * carry).alias(c) for c in SUMS],
        F.col("last_date"),
    )
    first_day = score_date - dt.timedelta(days=window_days - 1)
    parts = carried.unionByName(
        decayed_day_sums(entering, score_date, half_life_days, networks)
    ).unionByName(decayed_day_sums(leaving, score_date, half_life_days, networks, sign=-1.0))
    return _per_pair(parts).where(F.col("last_date") >= F.lit(first_day))


def pair_window_rows(sums: DataFrame, score_date: dt.date, basis: str) -> DataFrame:
    """Window sums (window_sums or slide_window) as the pair_window table's rows."""
    values = {"score_date": F.lit(score_date), "basis": F.lit(basis)}
    return sums.select(*[values.get(c, F.col(c)).alias(c) for c in PAIR_WINDOW.columns])


def with_defences(
    sums: DataFrame,
    damped: DataFrame,
    daily_pairs: DataFrame,
    score_date: dt.date,
    half_life_days: float,
    networks: dict[str, dict[str, float]],
    suspects: tuple[tuple[float, float], tuple[float, float]] | None = None,
) -> DataFrame:
    """The window's pairs as recomputing the window gives them, from the window's `sums`:
    each pair's damped sums are its whole sums less what the defences took on the days they damp
    (`damped`: bursts.damped_days rows, with the day's burst_factor and allowed_crowd). Only the
    pairs of those target-days are read back from `daily_pairs` (the window's): raw = raw_given
    - sum of weight * reactions * (1 - kept) * decay over them, kept = burst_factor *
    crowd_factor; likewise the reactions. With `suspects` ((share low, high), (count low, high)),
    each reactor is judged first (bursts.reactor_suspicion): the caps take only the suspicion's
    share of what they would."""
    keys = ["event_date", "target_person_id"]
    rows = daily_pairs.join(damped, on=keys, how="inner")
    kept = F.col("burst_factor")
    if "allowed_crowd" in damped.columns:
        kept = kept * crowd_factor()
    if suspects is not None:
        window_pairs = sums.select(F.col("src"), F.col("dst"), F.col("network"))
        suspicion = reactor_suspicion(rows, window_pairs, *suspects)
        rows = rows.join(suspicion, on="actor_person_id", how="left")
        kept = judged(kept)
    lost = (F.lit(1.0) - kept) * F.col("reactions").cast("double")
    lost = lost * decay_factor(score_date, half_life_days)
    taken = rows.groupBy(
        F.col("actor_person_id").alias("src"),
        F.col("target_person_id").alias("dst"),
        F.col("network"),
    ).agg(
        F.sum(action_weight(networks) * lost).alias("raw_taken"),
        F.sum(lost).alias("reactions_taken"),
    )
    return sums.join(taken, on=KEY, how="left").select(
        *[F.col(c) for c in KEY],
        (F.col("raw_given") - F.coalesce(F.col("raw_taken"), F.lit(0.0))).alias("raw"),
        (F.col("reactions_given") - F.coalesce(F.col("reactions_taken"), F.lit(0.0))).alias(
            "reactions"
        ),
        *[F.col(c) for c in SUMS],
        F.col("last_date"),
    )
