"""scripts/ceiling_check.py: the model learns from earlier dates only, own activity from a lake."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from deltalake import write_deltalake

from scripts.ceiling_check import judged, margins, own_activity


def dated_rows(dates: list[str], people: int = 300) -> pd.DataFrame:
    """People whose label follows a U-shaped term that no count sees."""
    rng = np.random.default_rng(3)
    frames = []
    for date in dates:
        term = rng.uniform(-1.0, 1.0, people)
        reactors = rng.integers(1, 4, people).astype(np.float64)
        frames.append(pd.DataFrame({
            "score_date": date, "person_id": np.arange(people), "reactors": reactors,
            "reactions": reactors + rng.integers(0, 2, people), "component_mid": term,
            "future_reactors": np.round(10.0 * term**2 + rng.uniform(0.0, 0.5, people)),
        }))  # fmt: skip
    return pd.concat(frames, ignore_index=True)


def test_the_model_is_judged_only_on_dates_it_did_not_learn_from():
    rows = dated_rows(["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04"])
    figures = judged(rows, train=None)
    spearman_lead, _ = margins(figures)
    assert figures["model"][0] > 0.8  # the U shape is learnt from the two earlier dates
    assert spearman_lead > 0.5
    assert judged(rows.query("score_date < '2024-01-03'"), train=None) == {}
    once = judged(rows.query("score_date < '2024-01-03'"), train=rows)  # --train judges them all
    assert once["model"][0] > 0.8


def test_own_activity_counts_the_actions_a_person_took_in_the_window(tmp_path):
    ts = [
        dt.datetime(2024, 1, 10, 12, tzinfo=dt.UTC),
        dt.datetime(2024, 1, 9, 12, tzinfo=dt.UTC),
        dt.datetime(2024, 1, 9, 13, tzinfo=dt.UTC),
        dt.datetime(2024, 1, 11, tzinfo=dt.UTC),
    ]
    events = pd.DataFrame({
        "event_id": ["a", "b", "c", "d"], "actor_id": [1, 1, 2, 1], "target_id": [2, 3, 2, 2],
        "event_ts": pd.to_datetime(ts),
    })  # fmt: skip
    # c is a self-reaction, d comes after the score date: neither counts
    write_deltalake(str(tmp_path / "interactions"), events)
    rows = pd.DataFrame({"score_date": ["2024-01-10"] * 2, "person_id": [1, 2]})
    acts = own_activity(rows, tmp_path).set_index("person_id")
    assert acts.loc[1, "act_days"] == 2 and acts.loc[2, "act_days"] == 0
    assert acts.loc[1, "act_1"] == pytest.approx(0.5**0.5 + 0.5**1.5)
    assert acts.loc[2, "act_30"] == 0.0
