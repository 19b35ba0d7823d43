"""What the daily report shows, gathered with Spark aggregations (page.py renders it).

Nothing per person reaches the driver beyond a few short lists: the score distribution comes from
the histogram of the (2-decimal) scores, at most 9,900 rows whatever the population; tops and
movers are `orderBy ... limit`; the network mix and topic leaders are groupBy aggregations.
Everything returned is plain Python (dicts, lists, floats), ready for the HTML renderer.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from typing import Any

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from jobs.lake import Lake
from jobs.manifest import attempts
from transforms.calibration import target_mean, target_score


def _day_if_any(lake: Lake, table: str, date: dt.date) -> DataFrame | None:
    """The table's rows of the day; None when the table does not exist yet (a partial lake)."""
    return lake.read_day(table, date) if lake.exists(table) else None


def _plain(row) -> dict[str, Any]:
    return {k: (dict(v) if isinstance(v, dict) else v) for k, v in row.asDict().items()}


# ---------------------------------------------------------------- the runs manifest
def manifest(lake: Lake, date: dt.date, stage_order: Sequence[str]) -> list[dict[str, Any]]:
    """The latest attempt of each stage on `date`, in run order, with its number of attempts.

    The manifest holds two rows per stage attempt (a few per date): collecting a date's rows is
    cheap."""
    runs = _day_if_any(lake, "runs", date)
    if runs is None:
        return []
    rows = [_plain(r) for r in attempts(runs).orderBy("started_at").collect()]
    latest: dict[str, dict[str, Any]] = {}
    for row in rows:
        tries = latest.get(row["stage"], {}).get("attempts", 0) + 1
        latest[row["stage"]] = {**row, "attempts": tries}
    order = {name: i for i, name in enumerate(stage_order)}
    return sorted(latest.values(), key=lambda r: (order.get(r["stage"], len(order)), r["stage"]))


def run_header(stages: list[dict[str, Any]], scores_run_id: str | None) -> dict[str, Any]:
    """Run id, algorithm and code version, config hash: those of the published scores' run
    (the publish attempt), else of the latest attempt of the date."""
    if not stages:
        return {"run_id": scores_run_id}
    ordered = sorted(stages, key=lambda r: r["started_at"])
    chosen = next((r for r in stages if r["stage"] == "publish"), ordered[-1])
    keys = ("run_id", "algorithm_version", "code_version", "config_hash")
    header = {k: chosen[k] for k in keys}
    header["started_at"] = min(r["started_at"] for r in stages)
    # An attempt that never ended has no finish time.
    ended = [r["finished_at"] for r in stages if r["finished_at"]]
    header["finished_at"] = max(ended, default=None)
    header["mixed"] = sorted(
        {k for r in stages for k in ("run_id", "config_hash", "code_version") if r[k] != chosen[k]}
    )
    if scores_run_id and not header["run_id"]:
        header["run_id"] = scores_run_id
    return header


# ---------------------------------------------------------------- the score distribution
def score_histogram(scores: DataFrame) -> list[tuple[float, int]]:
    """(score, people) for every distinct score of the active people (scores have 2 decimals, so
    at most 9,900 rows), ascending."""
    active = scores.where(F.col("score") > 0)
    rows = active.groupBy(F.round("score", 2).alias("s")).count().orderBy("s").collect()
    return [(float(r["s"]), int(r["count"])) for r in rows]


def quantile(histogram: list[tuple[float, int]], p: float) -> float:
    """The p-quantile with linear interpolation between order statistics (Spark's `percentile`),
    read off the histogram."""
    total = sum(n for _, n in histogram)
    position = p * (total - 1)
    low, high = math.floor(position), math.ceil(position)
    values: dict[int, float] = {}
    seen = 0
    for value, n in histogram:
        for k in (low, high):
            if seen <= k < seen + n:
                values[k] = value
        seen += n
        if high in values:
            break
    return values[low] + (values[high] - values[low]) * (position - low)


def distribution(
    histogram: list[tuple[float, int]], target_quantiles, tolerance: float
) -> dict[str, Any]:
    """Mean, p95, p99 and max of the active population against the calibration targets, each
    on target within `tolerance` points (calibration.report_tolerance)."""
    p95_target, p99_target = target_score([0.95, 0.99], target_quantiles)
    targets = {"mean": target_mean(target_quantiles), "p95": p95_target, "p99": p99_target}
    active = sum(n for _, n in histogram)
    if not active:
        return {"active": 0, "rows": []}
    figures = {
        "mean": sum(v * n for v, n in histogram) / active,
        "p95": quantile(histogram, 0.95),
        "p99": quantile(histogram, 0.99),
        "max": histogram[-1][0],
    }
    rows = [
        {
            "figure": name,
            "value": figures[name],
            "target": f"{targets[name]:.0f} ± {tolerance:g}",
            "ok": abs(figures[name] - targets[name]) <= tolerance,
        }
        for name in ("mean", "p95", "p99")
    ]
    rows.append({"figure": "max", "value": figures["max"], "target": "< 100",
                 "ok": figures["max"] < 100})  # fmt: skip
    return {"active": active, "rows": rows, **figures}


def target_density(target_quantiles) -> list[tuple[float, float]]:
    """The target distribution as (score, share of people per score point) steps: the quantile
    function is linear between the configured pairs, so the density is constant between them."""
    steps = []
    for (p0, s0), (p1, s1) in zip(target_quantiles, target_quantiles[1:], strict=False):
        if s1 > s0:
            steps.append((s0, (p1 - p0) / (s1 - s0)))
    last_p, last_s = target_quantiles[-1]
    if last_s < 100:  # the remaining mass spread up to 100 (the tail is asymptotic)
        steps.append((last_s, (1 - last_p) / (100 - last_s)))
    steps.append((100.0, 0.0))
    return steps


# ---------------------------------------------------------------- people
PERSON_COLUMNS = ("person_id", "score", "percentile", "delta_1d", "networks", "top_topics")


def top_people(scores: DataFrame, limit: int) -> list[dict[str, Any]]:
    rows = scores.orderBy(F.col("score").desc(), F.col("person_id")).limit(limit)
    return [_plain(r) for r in rows.select(*PERSON_COLUMNS).collect()]


def movers(scores: DataFrame, limit: int) -> dict[str, list[dict[str, Any]]]:
    """The biggest daily rises and falls (delta_1d), with the main cause of each change."""
    moved = scores.where(F.col("delta_1d").isNotNull() & (F.col("delta_1d") != 0)).select(
        *PERSON_COLUMNS, "change_network", "change_signal"
    )
    up = moved.where(F.col("delta_1d") > 0).orderBy(F.col("delta_1d").desc(), "person_id")
    down = moved.where(F.col("delta_1d") < 0).orderBy(F.col("delta_1d"), "person_id")
    return {
        "up": [_plain(r) for r in up.limit(limit).collect()],
        "down": [_plain(r) for r in down.limit(limit).collect()],
    }


def network_mix(scores: DataFrame) -> list[dict[str, Any]]:
    """Per network: the sum of the network parts of every score, its share of all score points,
    and the people with a part there; largest first."""
    parts = scores.select(F.explode("networks").alias("network", "part"))
    rows = (
        parts.groupBy("network")
        .agg(F.sum("part").alias("points"), F.count(F.when(F.col("part") > 0, 1)).alias("people"))
        .orderBy(F.col("points").desc(), "network")
        .collect()
    )
    total = sum(r["points"] for r in rows) or 1.0
    return [
        {
            "network": r["network"],
            "points": float(r["points"]),
            "share": r["points"] / total,
            "people": int(r["people"]),
        }  # fmt: skip
        for r in rows
    ]


def topic_leaders(topic_scores: DataFrame, per_topic: int, max_topics: int) -> dict[str, Any]:
    """The `per_topic` best people of each of the `max_topics` topics with the most people."""
    sizes = (
        topic_scores.groupBy("topic")
        .agg(F.count("*").alias("people"), F.max("score").alias("best"))
        .orderBy(F.col("people").desc(), "topic")
    )
    total_topics = sizes.count()
    shown = sizes.limit(max_topics).collect()
    names = [r["topic"] for r in shown]
    rank = Window.partitionBy("topic").orderBy(F.col("score").desc(), F.col("person_id"))
    leaders = (
        topic_scores.where(F.col("topic").isin(names))
        .withColumn("position", F.row_number().over(rank))
        .where(F.col("position") <= per_topic)
        .select("topic", "position", "person_id", "score")
        .collect()
    )
    by_topic: dict[str, list[dict[str, Any]]] = {name: [] for name in names}
    for r in sorted(leaders, key=lambda r: (r["topic"], r["position"])):
        by_topic[r["topic"]].append({"person_id": r["person_id"], "score": r["score"]})
    return {
        "topics": [
            {"topic": r["topic"], "people": int(r["people"]), "leaders": by_topic[r["topic"]]}
            for r in shown
        ],
        "total_topics": total_topics,
    }


def population(scores: DataFrame) -> dict[str, Any]:
    row = scores.agg(
        F.count("*").alias("scored"),
        F.count(F.when(F.col("score") > 0, 1)).alias("active"),
        F.count(F.col("delta_1d")).alias("with_delta"),
        F.max("run_id").alias("run_id"),
    ).collect()[0]
    return row.asDict()


def gather(
    lake: Lake, date: dt.date, config, stage_order: Sequence[str], limit: int = 10
) -> dict[str, Any]:
    """Everything the report shows for `date`, as plain Python."""
    stages = manifest(lake, date, stage_order)
    scores = _day_if_any(lake, "scores", date)
    data: dict[str, Any] = {"date": date, "stages": stages, "has_scores": False}
    if scores is not None:
        scores = scores.cache()
        pop = population(scores)
        data["population"] = pop
        data["has_scores"] = pop["scored"] > 0
    data["header"] = run_header(stages, data.get("population", {}).get("run_id"))
    quantiles = config.calibration.target_quantiles
    data["target_density"] = target_density(quantiles)
    if data["has_scores"]:
        histogram = score_histogram(scores)
        data["histogram"] = histogram
        data["distribution"] = distribution(
            histogram, quantiles, config.calibration.report_tolerance
        )
        data["top"] = top_people(scores, limit)
        data["movers"] = movers(scores, limit)
        data["networks"] = network_mix(scores)
        topic_scores = _day_if_any(lake, "topic_scores", date)
        if topic_scores is not None:
            data["topics"] = topic_leaders(topic_scores, per_topic=3, max_topics=30)
    if scores is not None:
        scores.unpersist()
    return data
