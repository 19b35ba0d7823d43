"""How far a day's crowded hour stands above a person's usual peak, per planted kind (tuning aid
for `edges.crowd_cap` / `crowd_floor`, docs/SCORING.md §4).

    python scripts/crowd_peaks.py LAKE [--cap 3] [--floor 8]

LAKE: an evaluation's lake (it holds the sample's planted kinds, `_sample/planted.parquet`). A
target's peak of a day is the largest `daily_pairs.crowd` among its pairs; a day is capped when
its peak exceeds max(cap x the person's median daily peak over all the lake's days, floor) — the
edges stage takes the median over its window instead. Prints, per kind (normal people split at
the 80th percentile of planted influence), the days and the share capped, then the 99th and
99.9th percentiles of peak / median peak for normal people and the median burst customer's
largest ratio. Reads with polars (no Spark).
"""

from __future__ import annotations

import argparse

import polars as pl


def daily_peaks(lake: str) -> pl.DataFrame:
    """event_date, target_person_id, peak, med_peak, kind, group."""
    planted = pl.read_parquet(f"{lake}/_sample/planted.parquet").with_columns(
        (pl.col("influence").rank() / pl.len() * 100).alias("influence_pct")
    )
    pairs = pl.scan_delta(f"{lake}/daily_pairs").filter(pl.col("crowd").is_not_null())
    days = (
        pairs.group_by("event_date", "target_person_id")
        .agg(pl.col("crowd").max().alias("peak"))
        .collect()
    )
    medians = days.group_by("target_person_id").agg(pl.col("peak").median().alias("med_peak"))
    normal = pl.col("kind") == "normal"
    group = (
        pl.when(normal & (pl.col("influence_pct") > 80))
        .then(pl.lit("normal_top20"))
        .when(normal)
        .then(pl.lit("normal_rest"))
        .otherwise(pl.col("kind"))
    )
    return (
        days.join(medians, on="target_person_id", how="inner")
        .join(planted, left_on="target_person_id", right_on="person_id", how="inner")
        .with_columns(group.alias("group"), (pl.col("peak") / pl.col("med_peak")).alias("ratio"))
    )


def capped_shares(peaks: pl.DataFrame, cap: float, floor: float) -> pl.DataFrame:
    """group, days, capped_%: the share of a group's days whose peak the cap would damp."""
    allowed = pl.max_horizontal(pl.col("med_peak") * cap, pl.lit(floor))
    return (
        peaks.group_by("group")
        .agg(pl.len().alias("days"), ((pl.col("peak") > allowed).mean() * 100).alias("capped_%"))
        .sort("group")
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("lake")
    parser.add_argument("--cap", type=float, default=3.0)
    parser.add_argument("--floor", type=float, default=8.0)
    args = parser.parse_args(argv)
    peaks = daily_peaks(args.lake)
    print(capped_shares(peaks, args.cap, args.floor).with_columns(pl.col("capped_%").round(2)))
    ratios = peaks.filter(pl.col("kind") == "normal")["ratio"]
    print(f"normal people, peak / median peak: p99 {ratios.quantile(0.99):.2f}, "
          f"p99.9 {ratios.quantile(0.999):.2f}")  # fmt: skip
    bursts = peaks.filter(pl.col("kind") == "burst_customer")
    if bursts.height:
        largest = bursts.group_by("target_person_id").agg(pl.col("ratio").max())["ratio"]
        print(f"burst customers, largest peak / median peak: median {largest.median():.1f}")


if __name__ == "__main__":
    main()
