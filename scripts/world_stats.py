"""How a lake's interactions behave, to compare the sample world with real data sets.

    python scripts/world_stats.py LAKE --last YYYY-MM-DD [--json PATH]

Reads accepted `engagements` (polars) over the two weeks ending on --last and prints:
- reactors per person: unique reactors drawn in the second week, over people who drew any
  (median, p90, p99, max);
- persistence: of the people who drew reactions in week 1, the share who draw some in week 2, and
  the Spearman of their week-1 and week-2 unique reactors;
- burstiness: per person with reactions on 3 days or more, largest day's unique reactors over
  their mean day (median and p90 over people);
- reciprocity: share of the fortnight's (actor, target) pairs whose reverse pair exists;
- repeat: reactions per (actor, target) pair (mean).
docs/EVALUATION.md §3 compares the sample with shared/realdata.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

import numpy as np
import polars as pl

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from jobs.backtest.metrics import spearman  # noqa: E402


def fortnight(lake: str, last: dt.date) -> pl.DataFrame:
    first = last - dt.timedelta(days=13)
    return (
        pl.scan_delta(str(Path(lake) / "engagements"))
        .filter(pl.col("event_date").is_between(first, last))
        .select(a="actor_person_id", t="target_person_id", d="event_date")
        .with_columns(week=(pl.col("d") > first + dt.timedelta(days=6)).cast(pl.Int8))
        .collect()
    )


def stats(events: pl.DataFrame) -> dict[str, float]:
    per_week = events.group_by("t", "week").agg(pl.col("a").n_unique().alias("n"))
    wide = per_week.pivot(on="week", index="t", values="n").fill_null(0)
    w1, w2 = (
        wide[c].to_numpy() if c in wide.columns else np.zeros(wide.height) for c in ("0", "1")
    )
    drew2 = w2[w2 > 0]
    daily = events.group_by("t", "d").agg(pl.col("a").n_unique().alias("n"))
    bursty = (
        daily.group_by("t")
        .agg(days=pl.len(), peak=pl.col("n").max(), mean=pl.col("n").mean())
        .filter(pl.col("days") >= 3)
    )
    ratio = (bursty["peak"] / bursty["mean"]).to_numpy()
    pairs = events.select("a", "t").unique()
    back = pairs.join(pairs.select(a="t", t="a"), on=["a", "t"], how="semi")
    q = np.quantile(drew2, [0.5, 0.9, 0.99]) if len(drew2) else [0, 0, 0]
    return {
        "events": events.height,
        "people_drawing_week2": int(len(drew2)),
        "reactors_median": float(q[0]), "reactors_p90": float(q[1]),
        "reactors_p99": float(q[2]), "reactors_max": float(drew2.max()) if len(drew2) else 0.0,
        "persistence_share": float((w2[w1 > 0] > 0).mean()) if (w1 > 0).any() else 0.0,
        "persistence_spearman": spearman(w1[w1 > 0], w2[w1 > 0]),
        "burst_ratio_median": float(np.median(ratio)) if len(ratio) else 0.0,
        "burst_ratio_p90": float(np.quantile(ratio, 0.9)) if len(ratio) else 0.0,
        "reciprocity": back.height / max(pairs.height, 1),
        "reactions_per_pair": events.height / max(pairs.height, 1),
    }  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    raw = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=raw)
    parser.add_argument("lake")
    parser.add_argument("--last", type=dt.date.fromisoformat, required=True)
    parser.add_argument("--json", default=None)
    args = parser.parse_args(argv)
    figures = stats(fortnight(args.lake, args.last))
    for key, value in figures.items():
        print(f"{key:<24} {value:.3f}" if isinstance(value, float) else f"{key:<24} {value}")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
