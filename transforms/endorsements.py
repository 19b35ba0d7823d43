"""+K endorsements count a little and are rate-limited, before any aggregation.

A +K (network/action from the `endorsements` config) is kept when
- its giver gave no +K to the same person on the same topics in the `repeat_days` days before it
  (any earlier one, kept or not: a giver who endorses someone daily counts once, not weekly), and
- it is among the giver's first `per_giver_per_day` +K of that day that passed the rule above
  (by event time, then event id: deterministic).
Every other engagement passes untouched. The weight of a kept +K in the graph is its giver's
propagated influence, like any reaction; its topics feed the person's topic scores.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F


def is_endorsement(network: str, action: str) -> Column:
    return (F.col("network") == F.lit(network)) & (F.col("action") == F.lit(action))


def limit_endorsements(
    engagements: DataFrame,
    earlier: DataFrame,
    network: str,
    action: str,
    per_giver_per_day: int,
    repeat_days: int,
) -> DataFrame:
    """The engagements with the +K over the limits removed.

    earlier: engagements of the `repeat_days - 1` days before the first date of `engagements`
    (only their +K are read), so that a repeat across the day boundary is seen.
    """
    endorsement = is_endorsement(network, action)
    others = engagements.where(~endorsement)
    current = engagements.where(endorsement).withColumn("is_current", F.lit(True))
    context = earlier.where(endorsement).withColumn("is_current", F.lit(False))
    both = current.unionByName(context)
    topics_key = F.array_join(F.array_sort(F.coalesce(F.col("topics"), F.array())), "\u0001")
    same_pair_topic = Window.partitionBy(
        F.col("actor_person_id"), F.col("target_person_id"), topics_key
    ).orderBy(F.col("event_ts"), F.col("event_id"))
    previous = F.lag(F.col("event_date")).over(same_pair_topic)
    fresh = both.withColumn(
        "fresh",
        previous.isNull() | (F.datediff(F.col("event_date"), previous) >= F.lit(repeat_days)),
    ).where(F.col("is_current") & F.col("fresh"))
    giver_day = Window.partitionBy(F.col("actor_person_id"), F.col("event_date")).orderBy(
        F.col("event_ts"), F.col("event_id")
    )
    numbered = fresh.withColumn("nth_of_day", F.row_number().over(giver_day))
    kept = numbered.where(F.col("nth_of_day") <= F.lit(per_giver_per_day))
    return others.unionByName(kept.select(*[F.col(c) for c in engagements.columns]))
