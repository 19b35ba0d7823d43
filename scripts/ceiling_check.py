"""How far can a lake's window data go? A flexible model's out-of-sample margin over the counts.

    python scripts/ceiling_check.py ROWS.parquet [--lake LAKE] [--train ROWS.parquet]

ROWS: what `python -m jobs fit --save-rows` saved (each date's people: the score's unweighted
terms, the baselines, the label). For every score date with at least two earlier dates in the
file, a gradient-boosted regression of log1p(label) is fitted on the earlier dates only and judged
on that date, beside the baselines; `--train` fits once on another file instead (another period
or data set). Prints the medians over the judged dates of Spearman and NDCG@100 and the model's
margin over the best baseline.

The model may use any non-linear combination of every term the score has, so its margin bounds
what re-weighting those terms can reach on that data (docs/EVALUATION.md §1). `--lake` adds the
people's own activity (actions they took, decayed at 1, 7 and 30 days, and the days they acted),
read from the lake's interactions table: terms the score leaves out because anyone can raise them
by acting more.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from deltalake import DeltaTable
from sklearn.ensemble import HistGradientBoostingRegressor

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from jobs.backtest.fit import LABEL  # noqa: E402
from jobs.backtest.metrics import ndcg_at_k, spearman  # noqa: E402
from jobs.backtest.run import BASELINES  # noqa: E402

K = 100
MIN_TRAIN_DATES = 2
HALF_LIVES_DAYS = (1, 7, 30)
WINDOW_DAYS = 90
MODEL = {"max_iter": 300, "learning_rate": 0.05, "random_state": 0}


def features(rows: pd.DataFrame) -> list[str]:
    """The baselines and every score term that varies in these rows."""
    named = [c for c in rows.columns if c.startswith(("component_", "act_")) or c in BASELINES]
    return [c for c in named if rows[c].notna().any() and rows[c].nunique() > 1]


def fitted(train: pd.DataFrame, columns: list[str]) -> HistGradientBoostingRegressor:
    model = HistGradientBoostingRegressor(**MODEL)
    return model.fit(train[columns].to_numpy(np.float64), np.log1p(train[LABEL].to_numpy()))


def own_activity(rows: pd.DataFrame, lake: Path) -> pd.DataFrame:
    """Per date and person, the actions the person took in the window before the score date."""
    events = DeltaTable(str(lake / "interactions")).to_pandas(
        columns=["event_id", "actor_id", "target_id", "event_ts"]
    )
    events = events.drop_duplicates("event_id").query("actor_id != target_id")
    found = []
    for date, group in rows.groupby("score_date"):
        end = pd.Timestamp(date, tz="UTC") + pd.Timedelta(days=1)
        window = events[(events.event_ts < end)
                        & (events.event_ts >= end - pd.Timedelta(days=WINDOW_DAYS))]  # fmt: skip
        age_days = (end - window.event_ts).dt.total_seconds() / 86400.0
        acts = pd.DataFrame(index=pd.Index(group.person_id.unique(), name="person_id"))
        for half_life in HALF_LIVES_DAYS:
            decayed = window.assign(w=0.5 ** (age_days / half_life)).groupby("actor_id").w.sum()
            acts[f"act_{half_life}"] = decayed
        acts["act_days"] = window.event_ts.dt.floor("D").groupby(window.actor_id).nunique()
        found.append(acts.fillna(0.0).reset_index().assign(score_date=date))
    return rows.merge(pd.concat(found), on=["score_date", "person_id"], how="left")


def judged(rows: pd.DataFrame, train: pd.DataFrame | None) -> dict[str, tuple[float, float]]:
    """Medians over the judged dates of (Spearman, NDCG@K) of the model and of each baseline."""
    columns = features(rows if train is None else train)
    once = None if train is None else fitted(train, columns)
    found: dict[str, list[tuple[float, float]]] = {}
    for date, group in rows.groupby("score_date"):
        earlier = rows[rows.score_date < date]
        if once is None and earlier.score_date.nunique() < MIN_TRAIN_DATES:
            continue
        model = once or fitted(earlier, columns)
        label = group[LABEL].to_numpy(np.float64)
        predictors = {"model": model.predict(group[columns].to_numpy(np.float64))}
        predictors |= {b: group[b].to_numpy(np.float64) for b in BASELINES
                       if b in group and group[b].notna().any()}  # fmt: skip
        for name, values in predictors.items():
            found.setdefault(name, []).append((spearman(values, label),
                                               ndcg_at_k(values, label, K)))  # fmt: skip
    return {n: (float(np.median([s for s, _ in v])), float(np.median([d for _, d in v])))
            for n, v in found.items()}  # fmt: skip


def margins(figures: dict[str, tuple[float, float]]) -> tuple[float, float]:
    """The model's lead over the best baseline, per metric (each metric's own best)."""
    others = [v for n, v in figures.items() if n != "model"]
    model = figures["model"]
    return model[0] - max(s for s, _ in others), model[1] - max(d for _, d in others)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("rows")
    parser.add_argument("--lake", help="add own-activity terms from this lake's interactions")
    parser.add_argument("--train", help="fit once on these rows instead of each earlier date")
    args = parser.parse_args(argv)
    rows = pd.read_parquet(args.rows)
    train = None if args.train is None else pd.read_parquet(args.train)
    if args.lake:
        rows = own_activity(rows, Path(args.lake))
    figures = judged(rows, train)
    if "model" not in figures:
        print(f"{args.rows}: fewer than {MIN_TRAIN_DATES + 1} score dates, nothing to judge")
        return 2
    text = ", ".join(f"{n} {s:.3f} / {d:.3f}" for n, (s, d) in figures.items())
    spearman_lead, ndcg_lead = margins(figures)
    print(f"{args.rows}: Spearman / NDCG@{K}: {text}; "
          f"model over the best baseline {spearman_lead:+.3f} / {ndcg_lead:+.3f}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
