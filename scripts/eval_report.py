"""From the evaluation's person frame (scripts/eval_data.py) to the figures, the quality
targets (docs/EVALUATION.md) and a readable table. Pure: a DataFrame in, a dict or a string out."""

from __future__ import annotations

import numpy as np
import polars as pl

from scripts.eval_data import ID
from scripts.eval_metrics import (
    calibration,
    explanation_max_error,
    gamer_figures,
    kind_summary,
    median_abs_change,
    ndcg_at_k,
    spearman,
)
from scripts.sample_gaming import GAMER_KINDS, ORDINARY_PCT

# Baselines computed in the same run, from the same tables (docs/EVALUATION.md).
BASELINES = ("followers", "reactions", "reactors", "pagerank_follow", "pagerank_reaction")
NDCG_K = 100


def summarize(frame: pl.DataFrame) -> dict:
    """Every figure of the evaluation from one row per scored person."""
    score = frame["score"].to_numpy()
    influence = frame["influence"].fill_null(0).to_numpy()
    future = frame["future_reactors"].to_numpy()
    # The planted influence itself is the ceiling: how predictable the future is at all.
    predictors = {"score": score, **{b: frame[b].to_numpy() for b in BASELINES},
                  "planted": influence}  # fmt: skip
    gamer = frame["kind"].is_in(list(GAMER_KINDS)).to_numpy()
    in_top, median_pct = gamer_figures(score, gamer)
    # Stability: people whose behaviour did not change (kind normal), active on both days.
    steady = frame.filter(
        (pl.col("kind") == "normal") & (pl.col("score") > 0) & (pl.col("score_prev") > 0)
    )
    return {
        "people_scored": frame.height,
        "spearman": spearman(score, influence),
        "baselines": {name: spearman(frame[name].to_numpy(), influence) for name in BASELINES},
        "predictive": {
            name: {
                "spearman": spearman(values, future),
                "ndcg100": ndcg_at_k(values, future, NDCG_K),
            }
            for name, values in predictors.items()
        },
        "gamers": int(gamer.sum()),
        "gamers_in_top1pct": in_top,
        "gamer_median_percentile": median_pct,
        "kinds": kind_summary(score, reference_kinds(frame)),
        **calibration(score),
        "stability_median_abs_change": median_abs_change(
            steady["score"].to_numpy(), steady["score_prev"].to_numpy()
        ),
        "stability_people": steady.height,
        "explanation_max_error": explanation_max_error(score, frame["parts_sum"].to_numpy()),
        "components": component_figures(frame, influence, future),
        # Each organic viral person's score: scripts/viral_check.py compares them with a run
        # without the burst defences (they must keep >= 95% of it).
        "viral_scores": {
            str(p): float(v)
            for p, v in frame.filter(pl.col("kind") == "viral").select(ID, "score").iter_rows()
        },
    }


def component_figures(frame: pl.DataFrame, influence: np.ndarray, future: np.ndarray) -> dict:
    """What carries the ranking: each raw-score term alone against the planted influence and the
    predictive target (a diagnostic, not a target; missing terms count 0)."""
    return {
        column.removeprefix("component_"): {
            "spearman": spearman(values, influence),
            "predictive_spearman": spearman(values, future),
            "ndcg100": ndcg_at_k(values, future, NDCG_K),
        }
        for column in frame.columns
        if column.startswith("component_")
        for values in [frame[column].fill_null(0).to_numpy()]
    }


def reference_kinds(frame: pl.DataFrame) -> np.ndarray:
    """Planted kinds, normal people split into `normal_ordinary` (the gamers' planted influence
    range: where an unfooled score puts the gamers) and `normal_other`."""
    pct = (frame["influence"].fill_null(0).rank() / max(frame.height, 1)).to_numpy()
    kinds = frame["kind"].to_numpy().astype(object)
    ordinary = (kinds == "normal") & (pct >= ORDINARY_PCT[0]) & (pct <= ORDINARY_PCT[1])
    kinds[ordinary] = "normal_ordinary"
    kinds[(kinds == "normal")] = "normal_other"
    return kinds.astype(str)


def targets(figures: dict) -> dict[str, bool]:
    """The quality targets (docs/EVALUATION.md §2), each as pass/fail."""
    best_baseline = max(figures["baselines"].values())
    kinds = figures["kinds"]
    reference = kinds.get("normal_ordinary", {}).get("median_percentile", 0.0)
    gamer_kinds = [k for k in kinds if k in GAMER_KINDS]
    found = {
        "spearman >= 0.93": figures["spearman"] >= 0.93,
        "spearman >= best baseline + 0.02": figures["spearman"] >= best_baseline + 0.02,
        "no gamer in the top 1%": figures["gamers_in_top1pct"] == 0,
        "each gamer kind's median percentile <= normal_ordinary's + 2": all(
            kinds[k]["median_percentile"] <= reference + 2 for k in gamer_kinds
        ),
        "mean 40 +- 2": abs(figures["mean"] - 40) <= 2,
        "p95 63 +- 2": abs(figures["p95"] - 63) <= 2,
        "p99 77 +- 2": abs(figures["p99"] - 77) <= 2,
        "max < 100": figures["max"] < 100,
        "stability <= 0.5": figures["stability_median_abs_change"] <= 0.5,
        "explanations exact to 0.01": figures["explanation_max_error"] <= 0.01,
    }
    return found


def render(figures: dict) -> str:
    """The figures as a plain-text report."""
    lines = [
        f"{'predictor':<18} {'Spearman':>9} {'pred. Spearman':>15} {'pred. NDCG@100':>15}",
    ]
    for name in ("score", *BASELINES, "planted"):  # planted: the ceiling, 1 by definition
        planted = {"score": figures["spearman"], "planted": 1.0}.get(name)
        planted = figures["baselines"][name] if planted is None else planted
        pred = figures["predictive"][name]
        lines.append(f"{name:<18} {planted:9.3f} {pred['spearman']:15.3f} {pred['ndcg100']:15.3f}")
    if figures.get("components"):
        lines += [
            "",
            f"{'component':<18} {'Spearman':>9} {'pred. Spearman':>15} {'pred. NDCG@100':>15}",
        ]
        for name, row in figures["components"].items():
            lines.append(
                f"{name:<18} {row['spearman']:9.3f} {row['predictive_spearman']:15.3f} "
                f"{row['ndcg100']:15.3f}"
            )
    lines += ["", f"{'kind':<18} {'people':>7} {'median pct':>11} {'max pct':>8} {'top 1%':>7}"]
    for kind, row in figures["kinds"].items():
        lines.append(
            f"{kind:<18} {row['people']:7d} {row['median_percentile']:11.2f} "
            f"{row['max_percentile']:8.2f} {row['in_top1pct']:7d}"
        )
    lines += [
        "",
        f"gamers: {figures['gamers']}, in the top 1%: {figures['gamers_in_top1pct']}, "
        f"median percentile {figures['gamer_median_percentile']:.2f}",
        f"calibration (active {figures['active']}): mean {figures['mean']:.2f}, "
        f"p95 {figures['p95']:.2f}, p99 {figures['p99']:.2f}, max {figures['max']:.2f}",
        f"stability: median |score D - score D-1| {figures['stability_median_abs_change']:.3f} "
        f"over {figures['stability_people']} normal people active both days",
        f"explanation max error: {figures['explanation_max_error']:.4f}",
        "",
    ]
    if figures.get("backtest", {}).get("median"):
        from jobs.backtest.output import render_table

        lines += [render_table(figures["backtest"])]
    for name, ok in figures.get("targets", {}).items():
        lines.append(f"  [{'pass' if ok else 'FAIL'}] {name}")
    return "\n".join(lines)


def rounded(value):
    """JSON-friendly copy with floats rounded to 4 decimals (numpy scalars made plain)."""
    if isinstance(value, dict):
        return {k: rounded(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [rounded(v) for v in value]
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return round(float(value), 4)
    return value
