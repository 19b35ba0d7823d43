"""Daily aggregates: one day of engagements folded into per-pair and per-topic counts.

The window stages read these small daily tables instead of 90 days of raw events (DESIGN §5).
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from transforms.schemas import DAILY_PAIRS, DAILY_TOPICS


def action_weight(networks: dict[str, dict[str, float]]) -> Column:
    """Weight of one reaction, looked up from a literal `network/action -> weight` map."""
    entries = []
    for network, actions in sorted(networks.items()):
        for action, weight in sorted(actions.items()):
            entries += [F.lit(f"{network}/{action}"), F.lit(float(weight))]
    lookup = F.create_map(*entries)
    return F.coalesce(
        F.element_at(lookup, F.concat_ws("/", F.col("network"), F.col("action"))), F.lit(0.0)
    )


def hour_crowds(engagements: DataFrame) -> DataFrame:
    """event_date, target_person_id, hour -> crowd: distinct people reacting to the target in that
    clock hour (UTC), over every network: a bought burst lands many accounts in one hour."""
    return engagements.groupBy(
        F.col("event_date"), F.col("target_person_id"), F.hour(F.col("event_ts")).alias("hour")
    ).agg(F.countDistinct(F.col("actor_person_id")).alias("crowd"))


def first_reaction_crowds(engagements: DataFrame) -> DataFrame:
    """event_date, actor, target -> crowd of the hour of the actor's first reaction to the target
    that day (any network or action): a first reaction is what counts most (pair_unit), and a
    bought account cannot escape its burst by adding a later reaction at a quiet hour.

    Both groupings are partial aggregations (one row per key and map task is shuffled), and the
    join is on pair-sized rows: the day's engagements are not joined back."""
    first_hour = engagements.groupBy(
        F.col("event_date"), F.col("actor_person_id"), F.col("target_person_id")
    ).agg(F.hour(F.min(F.col("event_ts"))).alias("hour"))
    # Left joins: a row without a time (ingest quarantines those) keeps its pair, crowd unknown.
    return first_hour.join(
        hour_crowds(engagements), on=["event_date", "target_person_id", "hour"], how="left"
    ).select(
        F.col("event_date"), F.col("actor_person_id"), F.col("target_person_id"), F.col("crowd")
    )


def daily_pairs(engagements: DataFrame) -> DataFrame:
    """Reactions per day, actor person, target person, network and action, with `crowd`
    (first_reaction_crowds), the same on every row of one actor and target."""
    pairs = engagements.groupBy(
        F.col("event_date"),
        F.col("actor_person_id"),
        F.col("target_person_id"),
        F.col("network"),
        F.col("action"),
    ).agg(
        F.count(F.lit(1)).alias("reactions"),
        F.countDistinct(F.col("content_id")).alias("contents"),
    )
    return pairs.join(
        first_reaction_crowds(engagements),
        on=["event_date", "actor_person_id", "target_person_id"],
        how="left",
    ).select(*[F.col(c) for c in DAILY_PAIRS.columns])


def daily_topics(engagements: DataFrame, networks: dict[str, dict[str, float]]) -> DataFrame:
    """Weighted reactions per day, target person and topic of the reacted content.

    A reaction's weight is split evenly over its content's topics, so that tagging a post with more
    topics does not multiply its weight.
    """
    tagged = engagements.where(F.size(F.col("topics")) > 0).select(
        F.col("event_date"),
        F.col("target_person_id"),
        F.explode(F.array_distinct(F.col("topics"))).alias("topic"),
        (action_weight(networks) / F.size(F.array_distinct(F.col("topics")))).alias("weight"),
    )
    return (
        tagged.groupBy(F.col("event_date"), F.col("target_person_id"), F.col("topic"))
        .agg(F.sum(F.col("weight")).alias("weight"))
        .select(*[F.col(c) for c in DAILY_TOPICS.columns])
    )
