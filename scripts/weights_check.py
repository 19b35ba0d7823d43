"""Judge score weights on saved fit rows, without rerunning the job (docs/EVALUATION.md §1).

    python scripts/weights_check.py ROWS.parquet [ROWS.parquet ...] --weights MODEL.yaml [--untied]
        [--sample LAKE ...]

ROWS: what `python -m jobs fit --save-rows` saved (each date's people: unweighted terms,
baselines, label). MODEL.yaml: a config overlay with `score.weights` (conf/model/<version>.yaml,
or conf/base.yaml for the configured ones). Prints, per file, the medians over its dates of
Spearman and NDCG@100 of the weights' raw score (the calibration keeps its order) and of the
baselines. The same figures as a backtest after `--rescore`, up to the score's 2-decimal ties.

--untied: Spearman with each predictor's ties broken at random instead (average ranks otherwise).
A count such as unique reactors puts most people on a few values (1, 2, 3); when nearly everyone's
label is 0 those ties alone lift its Spearman: how much is what this shows (docs/EVALUATION.md §1).

--sample LAKE: also judge the weights on a sample-world lake that `scripts/evaluate.py` ran (its
<lake>/_sample/fit_rows.parquet, the people of D-1, and planted.parquet): Spearman with the planted
influence, and each gamer kind's median percentile minus normal_ordinary's (the gamer target of
docs/EVALUATION.md §3, on the percentiles of these rows).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl
import yaml

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from jobs.backtest.fit import LABEL, raw_of  # noqa: E402
from jobs.backtest.metrics import ndcg_at_k, spearman  # noqa: E402
from jobs.backtest.run import BASELINES  # noqa: E402
from scripts.eval_report import reference_kinds  # noqa: E402
from scripts.sample_gaming import GAMER_KINDS  # noqa: E402

K = 100


def untied(values: np.ndarray, seed: int = 7) -> np.ndarray:
    """The same order, with equal values put in a random (seeded) order among themselves."""
    jitter = np.random.default_rng(seed).random(len(values))
    return np.lexsort((jitter, values)).argsort().astype(np.float64)


def medians(
    rows: pd.DataFrame, weights: dict[str, float], untie: bool = False
) -> dict[str, tuple[float, float]]:
    found: dict[str, list[tuple[float, float]]] = {}
    for _, group in rows.groupby("score_date"):
        label = group[LABEL].to_numpy(np.float64)
        predictors = {"weights": raw_of(group, weights)}
        known = [b for b in BASELINES if b in group and group[b].notna().any()]
        predictors |= {b: group[b].to_numpy(np.float64) for b in known}
        for name, values in predictors.items():
            ranked = untied(values) if untie else values
            found.setdefault(name, []).append((spearman(ranked, label),
                                               ndcg_at_k(values, label, K)))  # fmt: skip
    return {n: (float(np.median([a for a, _ in v])), float(np.median([b for _, b in v])))
            for n, v in found.items()}  # fmt: skip


def sample_figures(lake: Path, weights: dict[str, float]) -> dict[str, float]:
    """Planted Spearman and each gamer kind's median percentile over normal_ordinary's."""
    rows = pd.read_parquet(lake / "_sample" / "fit_rows.parquet")
    planted = pd.read_parquet(lake / "_sample" / "planted.parquet")
    # normal_ordinary: normal people in the gamers' planted range, over the whole world.
    planted["kind"] = reference_kinds(pl.from_pandas(planted))
    rows = rows.merge(planted, on="person_id", how="inner")
    raw = raw_of(rows, weights)
    percentile = pd.Series(raw).rank(pct=True).to_numpy() * 100.0
    kind = rows["kind"].to_numpy()
    reference = float(np.median(percentile[kind == "normal_ordinary"]))
    figures = {"planted": spearman(raw, rows["influence"].to_numpy(np.float64))}
    for name in GAMER_KINDS:
        if (kind == name).any():
            figures[name] = float(np.median(percentile[kind == name])) - reference
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("rows", nargs="+")
    parser.add_argument("--weights", required=True)
    parser.add_argument("--untied", action="store_true", help="break predictor ties at random")
    parser.add_argument("--sample", nargs="*", default=[], help="sample-world lakes to judge on")
    args = parser.parse_args(argv)
    weights = yaml.safe_load(Path(args.weights).read_text())["score"]["weights"]
    for path in args.rows:
        figures = medians(pd.read_parquet(path), weights, args.untied)
        text = ", ".join(f"{n} {s:.3f} / {d:.3f}" for n, (s, d) in figures.items())
        print(f"{path}: Spearman / NDCG@{K}: {text}")
    for lake in args.sample:
        figures = sample_figures(Path(lake), weights)
        gamers = ", ".join(f"{n} {v:+.1f}" for n, v in figures.items() if n != "planted")
        print(f"{lake}: planted Spearman {figures['planted']:.3f}; median percentile over "
              f"normal_ordinary's: {gamers}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
