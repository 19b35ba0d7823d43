"""The evaluation: metric functions on hand-made cases, then one end-to-end run on `tiny`."""

from __future__ import annotations

import datetime as dt
import json

import networkx as nx
import numpy as np
import polars as pl
import pytest

from jobs.manifest import attempts
from scripts.eval_metrics import (
    calibration,
    explanation_max_error,
    gamer_figures,
    graph_pagerank,
    in_top_share,
    kind_summary,
    median_abs_change,
    ndcg_at_k,
    percent_rank,
    spearman,
)
from scripts.eval_report import BASELINES, render, summarize, targets
from transforms.scoring import COMPONENTS


def test_spearman_of_rankings() -> None:
    x = np.arange(10.0)
    assert spearman(x, x**3) == pytest.approx(1.0)  # monotone: a perfect ranking
    assert spearman(x, -x) == pytest.approx(-1.0)
    assert spearman(x, np.ones(10)) == 0.0  # a constant predictor ranks nothing


def test_ndcg_on_known_rankings() -> None:
    relevance = np.array([3.0, 2.0, 1.0, 0.0])
    assert ndcg_at_k(relevance, relevance, k=4) == pytest.approx(1.0)
    # Swapping the first two: DCG = 2 + 3/log2(3) + 1/2 against the ideal 3 + 2/log2(3) + 1/2.
    swapped = ndcg_at_k(np.array([2.0, 3.0, 1.0, 0.0]), relevance, k=4)
    ideal = 3 + 2 / np.log2(3) + 0.5
    assert swapped == pytest.approx((2 + 3 / np.log2(3) + 0.5) / ideal)
    # Only the top k count: with k = 1, the second best on top scores 2/3, the worst 0.
    assert ndcg_at_k(np.array([0.0, 1.0, 0.0, 0.0]), relevance, k=1) == pytest.approx(2 / 3)
    assert ndcg_at_k(np.array([0.0, 0.0, 0.0, 1.0]), relevance, k=1) == 0.0
    assert ndcg_at_k(relevance, np.zeros(4), k=4) == 0.0
    # Ties keep the input order, so a constant predictor is not the ideal ranking by luck.
    assert ndcg_at_k(np.zeros(4), relevance[::-1], k=2) < 0.5


def test_percentiles_top_share_and_gamers() -> None:
    scores = np.arange(1.0, 201.0)  # 200 people, scores 1..200
    assert percent_rank(scores)[[0, 99, 199]] == pytest.approx([0.5, 50.0, 100.0])
    top = in_top_share(scores)
    assert top.sum() == 2 and top[-2:].all()
    assert not in_top_share(np.zeros(50)).any()  # nobody active, nobody on top
    gamer = np.zeros(200, bool)
    gamer[[0, 1, 199]] = True  # two at the bottom, one at the very top
    assert gamer_figures(scores, gamer) == (1, pytest.approx(1.0))
    kinds = np.where(gamer, "pod", "normal")
    summary = kind_summary(scores, kinds)
    assert summary["pod"] == {
        "people": 3, "median_percentile": 1.0, "max_percentile": 100.0, "in_top1pct": 1,
    }  # fmt: skip
    assert summary["normal"]["people"] == 197


def test_calibration_stability_and_explanations() -> None:
    scores = np.concatenate([np.zeros(5), np.linspace(1, 99, 100)])
    figures = calibration(scores)
    assert figures["active"] == 100  # inactive people (0) do not count
    assert figures["mean"] == pytest.approx(50.0)
    assert figures["max"] == pytest.approx(99.0)
    assert figures["p95"] == pytest.approx(np.quantile(np.linspace(1, 99, 100), 0.95))
    assert median_abs_change(np.array([10.0, 20, 30]), np.array([11.0, 20, 27])) == 1.0
    assert explanation_max_error(np.array([10.0, 5.0]), np.array([10.0, 5.02])) == pytest.approx(
        0.02
    )


def test_graph_pagerank_is_networkx_pagerank() -> None:
    edges = [(0, 1), (1, 2), (2, 0), (3, 2), (3, 2)]  # a repeated edge counts once
    src, dst = np.array(edges).T
    ranks = graph_pagerank(src, dst, 5)  # vertex 4 is isolated
    graph = nx.DiGraph()
    graph.add_nodes_from(range(5))
    graph.add_edges_from(edges)
    expected = nx.pagerank(graph, alpha=0.85, tol=1e-12, max_iter=1000)
    assert ranks == pytest.approx([expected[v] for v in range(5)], abs=1e-8)


def _frame(n: int = 300) -> pl.DataFrame:
    """A hand-made person frame: score follows planted influence; gamers sit at the bottom."""
    rng = np.random.default_rng(0)
    influence = np.sort(rng.lognormal(0, 1, n))
    kind = np.array(["normal"] * n, dtype=object)
    kind[:6] = "pod"
    score = np.linspace(5, 90, n)
    return pl.DataFrame(
        {
            "person_id": np.arange(n),
            "score": score,
            "score_prev": score + 0.1,
            "parts_sum": score,
            "influence": influence,
            "kind": kind.astype(str),
            "future_reactors": np.arange(n),
            **{name: rng.random(n) for name in BASELINES},
            "component_influence": influence * 2.0,
            "component_ratio": -influence,
        }
    )


def test_summarize_a_perfect_score() -> None:
    figures = summarize(_frame())
    assert figures["spearman"] == pytest.approx(1.0)
    assert figures["predictive"]["score"] == pytest.approx({"spearman": 1.0, "ndcg100": 1.0})
    assert all(abs(v) < 0.3 for v in figures["baselines"].values())  # noise
    assert figures["gamers"] == 6 and figures["gamers_in_top1pct"] == 0
    assert figures["stability_median_abs_change"] == pytest.approx(0.1)
    checks = targets(figures)
    assert checks["spearman >= 0.93"] and checks["spearman >= best baseline + 0.02"]
    assert checks["no gamer in the top 1%"]
    # The pods sit at the bottom of a perfect ranking, the ordinary normal people above them.
    assert checks["each gamer kind's median percentile <= normal_ordinary's + 2"]
    assert not checks["p99 77 +- 2"]  # a linear score is not calibrated
    assert figures["components"]["influence"]["spearman"] == pytest.approx(1.0)
    assert figures["components"]["ratio"]["predictive_spearman"] == pytest.approx(-1.0)
    assert "score" in render({**figures, "targets": checks})


SCORE_DATE_TEXT = "2026-11-20"


@pytest.mark.slow
def test_evaluate_tiny_end_to_end(spark, evaluated) -> None:
    from scripts.evaluate import evaluate

    root, figures = evaluated
    out = json.loads(json.dumps(figures))  # JSON-ready
    keys = ("spearman", "baselines", "predictive", "gamers_in_top1pct", "gamer_median_percentile",
            "mean", "p95", "p99", "max", "stability_median_abs_change", "explanation_max_error",
            "kinds", "seconds")  # fmt: skip
    assert set(keys) <= set(out), set(keys) - set(out)
    assert set(out["baselines"]) == set(BASELINES)
    assert set(out["predictive"]) == {"score", "planted", *BASELINES}
    assert set(out["components"]) == set(COMPONENTS)  # the sample has a follower graph
    assert out["people_scored"] > 250
    # Sane, not tuned: the score tracks planted influence and predicts future reactors.
    assert 0.5 < out["spearman"] <= 1.0
    assert 0.5 < out["predictive"]["score"]["spearman"] <= 1.0
    assert 0 < out["predictive"]["score"]["ndcg100"] <= 1.0
    assert 0 < out["mean"] < 100 and out["max"] < 100 and out["p95"] <= out["p99"] <= out["max"]
    assert out["explanation_max_error"] <= 0.01
    assert 0 <= out["stability_median_abs_change"] < 10
    assert {"pod", "bot_customer", "bought_followers", "burst_customer"} <= set(out["kinds"])
    assert 0 <= out["gamer_median_percentile"] <= 100
    # The fit's rows of D - 1 for a pooled `python -m jobs fit --rows`.
    fit_rows = pl.read_parquet(root / "_sample" / "fit_rows.parquet")
    assert fit_rows.height > 250 and fit_rows["score_date"].unique().to_list() == ["2026-11-19"]
    # The backtest of the score date, as `python -m jobs backtest` computes it.
    judged = out["backtest"]
    assert [d["date"] for d in judged["dates"]] == [SCORE_DATE_TEXT]
    assert {"score", "reactors", "reactions", "followers", "pagerank"} <= set(judged["median"])
    assert judged["margin"]["spearman"] == pytest.approx(
        judged["median"]["score"]["spearman"] - judged["best_baseline"]["spearman"]["value"]
    )

    # --resume after a stop that lost the last stage (the future's ingest): only it runs again.
    from pyspark.sql import functions as F

    from jobs.lake import Lake
    from scripts.evaluate import FUTURE_DAYS, SCORE_DATE

    lake = Lake(spark, str(root))
    future = SCORE_DATE + dt.timedelta(days=FUTURE_DAYS)
    stages_before = lake.read("runs").count()
    lake.delete_rows("runs", f"score_date = DATE'{future.isoformat()}'")
    again = evaluate("tiny", root, seed=7, sets=["spark.shuffle_partitions=2"],
                     spark=spark, resume=True)  # fmt: skip
    runs = lake.read("runs")
    # The future's attempt (started and end rows) deleted, one attempt appended: nothing else ran.
    assert runs.count() == stages_before
    assert attempts(runs).where(F.col("score_date") == F.lit(future)).count() == 1
    assert again["spearman"] == out["spearman"] and again["predictive"] == out["predictive"]

    # The crowded-hour cap (docs/SCORING.md §4) damps a burst customer's day, no normal person's.
    from scripts.crowd_peaks import capped_shares, daily_peaks

    peaks = daily_peaks(str(root))
    shares = {group: capped for group, _, capped in capped_shares(peaks, 3.0, 8.0).iter_rows()}
    assert shares["burst_customer"] > 0
    assert shares["normal_rest"] == shares["normal_top20"] == 0
