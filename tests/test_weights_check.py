"""scripts/weights_check.py: ties broken at random, and weights judged on a sample lake's rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from jobs.backtest.metrics import spearman
from scripts.weights_check import sample_figures, untied


def test_untied_keeps_the_order_and_breaks_every_tie():
    values = np.array([1.0, 1.0, 3.0, 2.0, 1.0, 2.0])
    ranks = untied(values)
    assert sorted(ranks) == list(range(6))
    assert np.all(np.argsort(values, kind="stable")[:3] == np.sort(np.argsort(ranks)[:3]))
    distinct = np.array([0.3, 0.1, 0.2])  # nothing to break: the same ranking
    label = np.array([1.0, 0.0, 2.0])
    assert spearman(untied(distinct), label) == pytest.approx(spearman(distinct, label))


def test_sample_figures_read_planted_influence_and_gamers(tmp_path):
    people = np.arange(100)
    influence = np.linspace(0.1, 10.0, 100)
    kinds = np.where(people % 10 == 0, "pod", "normal")
    (tmp_path / "_sample").mkdir()
    pd.DataFrame({"person_id": people, "influence": influence, "kind": kinds}).to_parquet(
        tmp_path / "_sample" / "planted.parquet"
    )
    term = np.log(influence) + np.where(kinds == "pod", 5.0, 0.0)  # pods inflate the term
    pd.DataFrame({"person_id": people, "component_reactions": term}).to_parquet(
        tmp_path / "_sample" / "fit_rows.parquet"
    )
    figures = sample_figures(tmp_path, {"reactions": 1.0})
    assert 0.7 < figures["planted"] < 0.95  # the pods' inflation costs some order
    assert figures["pod"] > 10.0  # pods sit far above the ordinary people's median
    assert set(figures) == {"planted", "pod"}
    assert sample_figures(tmp_path, {"reactions": 0.0})["planted"] == pytest.approx(0.0)
