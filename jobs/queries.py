"""Questions people ask of the published tables, as functions for notebooks and the CLI.

    from jobs.queries import influencers, explain_person
    influencers(lake, "ai", date(2026, 11, 20), min_score=50, limit=20).toPandas()

Each takes a `jobs.lake.Lake` (or anything with its `read`) and returns a DataFrame or a dict.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from jobs.lake import Lake


def influencers(
    lake: Lake, topic: str, date: dt.date, min_score: float = 0.0, limit: int = 20
) -> DataFrame:
    """The people most influential on `topic` on `date`: person_id, topic_score, score,
    percentile, top_topics; best first (ties by person id)."""
    on_topic = lake.read_day("topic_scores", date).where(F.col("topic") == F.lit(topic))
    overall = lake.read_day("scores", date).select(
        F.col("person_id"), F.col("score"), F.col("percentile"), F.col("top_topics")
    )
    return (
        on_topic.where(F.col("score") >= F.lit(float(min_score)))
        .select(F.col("person_id"), F.col("score").alias("topic_score"))
        .join(overall, on="person_id", how="inner")
        .orderBy(F.col("topic_score").desc(), F.col("person_id"))
        .limit(limit)
    )


def _audience(lake: Lake, person_id: int, date: dt.date) -> dict[str, Any] | None:
    """The person's follower-graph counts on `date`, with reach (reactors who do not follow) as
    a count and a share of the reactors; None where the lake has no follower graph."""
    if not lake.exists("audience"):
        return None
    found = lake.read_day("audience", date).where(F.col("person_id") == F.lit(person_id)).collect()
    if not found:
        return None
    row = found[0].asDict()
    reach = row["reactors"] - row["follower_reactors"]
    share = reach / row["reactors"] if row["reactors"] else 0.0
    keep = ("followers", "real_followers", "reactors", "follower_reactors")
    return {**{k: row[k] for k in keep}, "reach": reach, "reach_share": share}


def explain_person(lake: Lake, person_id: int, date: dt.date) -> dict[str, Any]:
    """Everything behind one person's score on `date`: the scores row, the raw-score components
    (None: absent), the follower-graph counts (None without a graph), the top engagers (with
    their own scores) and the topic scores. Empty dict if not scored."""
    row = lake.read_day("scores", date).where(F.col("person_id") == F.lit(person_id)).collect()
    if not row:
        return {}
    components = (
        lake.read_day("components", date).where(F.col("person_id") == F.lit(person_id)).collect()
    )
    engagers = (
        lake.read_day("engagers", date)
        .where(F.col("person_id") == F.lit(person_id))
        .join(
            lake.read_day("scores", date).select(
                F.col("person_id").alias("engager_id"), F.col("score").alias("engager_score")
            ),
            on="engager_id",
            how="left",
        )
        .orderBy(F.col("position"))
        .collect()
    )
    topics = (
        lake.read_day("topic_scores", date)
        .where(F.col("person_id") == F.lit(person_id))
        .orderBy(F.col("score").desc(), F.col("topic"))
        .collect()
    )
    parts = components[0].asDict() if components else {}
    return {
        "audience": _audience(lake, person_id, date),
        "score": row[0].asDict(),
        "components": {k: v for k, v in parts.items() if k not in ("score_date", "person_id")},
        "engagers": [
            {"engager_id": e["engager_id"], "share": e["share"], "score": e["engager_score"]}
            for e in engagers
        ],
        "topics": {t["topic"]: t["score"] for t in topics},
    }
