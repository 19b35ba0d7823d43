"""`python -m jobs backtest` on real Digg replies, against figures computed independently from the
raw file; the backtest's pure parts on hand-made inputs."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl
import pytest
import yaml
from scipy.stats import spearmanr

from jobs.backtest.frame import horizon_problem
from jobs.backtest.metrics import ndcg_at_k
from jobs.backtest.run import date_figures, score_dates, summarize
from jobs.lake import Lake
from jobs.main import main
from transforms.scoring import COMPONENTS, GRAPH_COMPONENTS

DIGG = Path(__file__).resolve().parent / "data" / "digg_reply_sample.txt"
DATES = (dt.date(2008, 11, 5), dt.date(2008, 11, 8))
HORIZON = 3


def _common(root):
    return ["--conf", "conf/local.yaml", "--conf", "conf/realdata.yaml", "--set",
            f"lake.root={root}", "--set", "spark.shuffle_partitions=2"]  # fmt: skip


@pytest.fixture(scope="module")
def digg_backtest(spark, tmp_path_factory):
    root = tmp_path_factory.mktemp("digg_backtest")
    assert main(["import", "--format", "edgelist", "--path", str(DIGG), "--network", "digg",
                 "--columns", "actor,target,_,time", "--action", "reply", "--consent",
                 "opted_in", *_common(root)]) == 0  # fmt: skip
    out = root / "bt"
    code = main(["backtest", "--from", str(DATES[0]), "--to", str(DATES[1]), "--every", "3",
                 "--horizon", str(HORIZON), "--run", "--out", str(out),
                 *_common(root)])  # fmt: skip
    assert code == 0
    return root, json.loads(out.with_suffix(".json").read_text()), out


def _raw_replies() -> pl.DataFrame:
    """The sample's replies as (actor, target, date), self-replies dropped (as ingest does)."""
    rows = [line.split() for line in DIGG.read_text().splitlines() if not line.startswith("%")]
    frame = pl.DataFrame({"actor": [r[0] for r in rows], "target": [r[1] for r in rows],
                          "ts": [int(r[3]) for r in rows]})  # fmt: skip
    dates = pl.from_epoch("ts", time_unit="s").dt.date().alias("date")
    return frame.with_columns(dates).filter(pl.col("actor") != pl.col("target"))


def _oracle(day: dt.date) -> tuple[np.ndarray, np.ndarray]:
    """Unique reactors up to `day` (whole window: the sample is shorter than 90 days) and in the
    horizon, for every person who drew a reply up to `day`, ordered by nothing in particular."""
    raw = _raw_replies()
    past = raw.filter(pl.col("date") <= day).group_by("target").agg(pl.col("actor").n_unique())
    end = day + dt.timedelta(days=HORIZON)
    future = raw.filter((pl.col("date") > day) & (pl.col("date") <= end))
    future = future.group_by("target").agg(pl.col("actor").n_unique().alias("future"))
    joined = past.join(future, on="target", how="left").fill_null(0)
    return joined["actor"].to_numpy().astype(float), joined["future"].to_numpy().astype(float)


def test_reactor_baseline_matches_the_raw_file(digg_backtest):
    _, figures, _ = digg_backtest
    assert [d["date"] for d in figures["dates"]] == [str(d) for d in DATES]
    for entry, day in zip(figures["dates"], DATES, strict=True):
        reactors, future = _oracle(day)
        assert entry["people"] == len(reactors)
        assert entry["with_future_reactors"] == int(np.count_nonzero(future))
        expected = spearmanr(reactors, future).statistic
        assert entry["figures"]["reactors"]["spearman"] == pytest.approx(expected, abs=1e-12)


def test_every_predictor_is_judged_and_summarized(digg_backtest):
    _, figures, out = digg_backtest
    names = set(figures["dates"][0]["figures"])
    assert {"score", "reactors", "reactions", "pagerank"} <= names
    present = [c for c in COMPONENTS if c not in GRAPH_COMPONENTS]  # Digg has no follows
    assert {f"component_{c}" for c in present} <= names
    assert not {f"component_{c}" for c in GRAPH_COMPONENTS} & names  # absent: not judged
    assert "followers" not in names  # imported people have no follower counts: absent, not 0
    scores = [d["figures"]["score"]["spearman"] for d in figures["dates"]]
    assert figures["median"]["score"]["spearman"] == pytest.approx(float(np.median(scores)))
    best = figures["best_baseline"]["spearman"]
    assert best["value"] == max(figures["median"][b]["spearman"] for b in
                                ("reactors", "reactions", "pagerank"))  # fmt: skip
    assert figures["margin"]["ndcg"] == pytest.approx(
        figures["median"]["score"]["ndcg"] - figures["best_baseline"]["ndcg"]["value"]
    )
    assert out.with_suffix(".png").stat().st_size > 10_000


def test_the_report_shows_the_latest_backtest(digg_backtest, tmp_path):
    root, figures, out = digg_backtest
    # The report looks under <lake>/_reports (the default place of `backtest`'s files).
    reports = root / "_reports"
    reports.mkdir(exist_ok=True)
    (reports / "backtest-x.json").write_text(out.with_suffix(".json").read_text())
    page = tmp_path / "report.html"
    assert main(["report", "--date", str(DATES[1]), "--out", str(page), *_common(root)]) == 0
    html = page.read_text()
    assert "Backtest: does the score predict" in html
    score = figures["median"]["score"]["spearman"]
    assert f"{score:.3f}" in html and "data:image/png;base64," in html


def test_a_date_whose_horizon_passes_the_data_is_not_judged(digg_backtest, spark):
    root, _, _ = digg_backtest
    lake = Lake(spark, str(root))
    assert "data end before 2008-11-14" in horizon_problem(lake, dt.date(2008, 11, 11), HORIZON)
    assert "2008-11-12..2008-11-12 of the horizon are not ingested" in horizon_problem(
        lake, dt.date(2008, 11, 5), 7
    )
    assert horizon_problem(lake, DATES[0], HORIZON) is None


def test_date_figures_hand_computed():
    rows = pd.DataFrame({
        "person_id": [1, 2, 3, 4], "future_reactors": [3.0, 2.0, 0.0, 1.0],
        "score": [40.0, 30.0, 20.0, 10.0], "reactors": [1.0, 2.0, 3.0, 4.0],
        "followers": [np.nan] * 4, "component_influence": [0.0, 0.0, 0.0, 0.0],
    })  # fmt: skip
    figures = date_figures(rows, k=2)
    assert set(figures) == {"score", "reactors", "component_influence"}
    assert figures["score"]["spearman"] == pytest.approx(0.8)
    assert figures["reactors"]["spearman"] == pytest.approx(-0.8)
    # NDCG@2: score ranks 3 then 2 (ideal); reactors ranks 1 then 0.
    assert figures["score"]["ndcg"] == pytest.approx(1.0)
    direct = ndcg_at_k(rows["reactors"], rows["future_reactors"], 2)
    assert figures["reactors"]["ndcg"] == pytest.approx(direct)
    assert figures["reactors"]["ndcg"] == pytest.approx((1 + 0) / (3 + 2 / np.log2(3)))
    assert figures["component_influence"]["spearman"] == 0.0


def test_summary_takes_medians_and_the_best_baseline():
    per_date = [{"figures": {"score": {"spearman": s, "ndcg": 0.5},
                             "reactors": {"spearman": r, "ndcg": 0.7}}}
                for s, r in ((0.1, 0.3), (0.5, 0.2), (0.9, 0.4))]  # fmt: skip
    summary = summarize(per_date, 100)
    assert summary["median"]["score"] == {"spearman": 0.5, "ndcg": 0.5}
    assert summary["best_baseline"]["ndcg"] == {"name": "reactors", "value": 0.7}
    assert summary["margin"]["spearman"] == pytest.approx(0.2)


def test_score_dates_step_and_reject_bad_ranges():
    first = dt.date(2020, 1, 1)
    assert score_dates(first, dt.date(2020, 1, 8), 3) == [
        first, dt.date(2020, 1, 4), dt.date(2020, 1, 7)
    ]  # fmt: skip
    with pytest.raises(ValueError):
        score_dates(first, dt.date(2019, 12, 1), 1)


def test_fit_command_on_the_real_sample(digg_backtest, tmp_path, capsys):
    """`python -m jobs fit` over the backtest's dates: rows saved, free weights fitted, the
    fixed ones kept, pooled with saved rows (the same rows twice: the same weights)."""
    root, _, _ = digg_backtest
    saved = tmp_path / "rows.parquet"
    args = ["fit", "--from", str(DATES[0]), "--to", str(DATES[1]), "--every", "3",
            "--horizon", str(HORIZON), *_common(root)]  # fmt: skip
    assert main([*args, "--save-rows", str(saved)]) == 0
    first = capsys.readouterr().out
    rows = pd.read_parquet(saved)
    assert sorted(rows["score_date"].unique()) == [str(d) for d in DATES]
    assert {"future_reactors", "reactors", *[f"component_{c}" for c in COMPONENTS]} <= set(rows)
    assert f"{'offline':<20}{0.2:>12.4f}{0.2:>10.4f}  (fixed)" in first
    assert f"{'reach':<20}{0.0:>12.4f}{0.0:>10.4f}  (absent)" in first  # Digg has no follows
    assert main([*args, "--rows", str(saved)]) == 0
    pooled = capsys.readouterr().out
    weights = [line for line in first.splitlines() if line.startswith("influence ")]
    assert weights == [line for line in pooled.splitlines() if line.startswith("influence ")]
    assert f"fit on {2 * len(rows)} rows" in pooled


def test_fit_recovers_planted_weights_and_keeps_fixed_ones():
    from jobs.backtest.fit import fit_weights, model_yaml, raw_of

    rng = np.random.default_rng(3)
    n = 5000
    terms = {f"component_{t}": rng.gamma(2.0, 1.0, n) for t in COMPONENTS}
    rows = pd.DataFrame(terms)
    # log1p(label) = 0.8 influence + 0.3 recent_mid + 0.2 offline (fixed) + noise; no reactions.
    signal = (0.8 * rows["component_influence"] + 0.3 * rows["component_recent_mid"]
              + 0.2 * rows["component_offline"])  # fmt: skip
    rows["future_reactors"] = np.expm1(signal + 1.0 + rng.normal(0, 0.01, n))
    free = ["influence", "reactions", "recent_mid"]
    weights, r2 = fit_weights(rows, free, {"offline": 0.2})
    assert weights["influence"] == pytest.approx(0.8, abs=0.01)
    assert weights["recent_mid"] == pytest.approx(0.3, abs=0.01)
    assert weights["reactions"] == pytest.approx(0.0, abs=0.01)
    assert weights["offline"] == 0.2 and r2 > 0.99
    # A term that hurts gets 0, not a negative weight (non-negative least squares).
    rows["future_reactors"] = np.expm1(np.maximum(0, 3 - rows["component_reactions"]))
    assert fit_weights(rows, ["reactions"], {})[0]["reactions"] == 0.0
    assert raw_of(rows.head(1), {"reactions": 2.0})[0] == 2.0 * rows["component_reactions"][0]
    written = yaml.safe_load(model_yaml({t: weights.get(t, 0.0) for t in COMPONENTS}, ["x"]))
    assert set(written["score"]["weights"]) == set(COMPONENTS)
    assert written["score"]["weights"]["influence"] == pytest.approx(0.8, abs=0.01)


def test_collect_samples_above_the_cap_and_counts_everyone(spark):
    from jobs.backtest.frame import collect
    from jobs.config import load_config

    frame = spark.range(1000).selectExpr("id as person_id", "cast(id % 7 as double) as score")
    small = load_config(["conf/local.yaml"], ["backtest.max_people=100"])
    rows, people = collect(frame, small)
    assert people == 1000 and 50 < len(rows) < 200  # a ~10% sample, seeded
    again, _ = collect(frame, small)
    assert rows["person_id"].tolist() == again["person_id"].tolist()  # the same sample
    whole, _ = collect(frame, load_config(["conf/local.yaml"]))
    assert whole["person_id"].tolist() == list(range(1000))  # everyone, in person-id order
    empty, none = collect(frame.limit(0), small)
    assert none == 0 and empty.empty
