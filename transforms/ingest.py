"""Ingest: validate raw interactions, dedupe them and map accounts to people.

`classify_interactions` gives every raw row exactly one outcome, so that the stage can count all
outcomes in one aggregation and nothing is lost without a trace:

- `accepted`: valid, first delivery of its `event_id`, between two different scorable people;
- `quarantined`: invalid input, with a `reason` (goes to the quarantine table);
- `duplicate`: a repeated delivery of an `event_id` already accepted (dropped, counted);
- `self_reaction`: actor and target are the same person (dropped, counted);
- `not_scorable`: actor or target is opted out, a minor or a suspended account (dropped, counted).
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from transforms.schemas import ENGAGEMENTS, INTERACTIONS

ACCEPTED, QUARANTINED, DUPLICATE = "accepted", "quarantined", "duplicate"
SELF_REACTION, NOT_SCORABLE = "self_reaction", "not_scorable"
OUTCOMES = (ACCEPTED, QUARANTINED, DUPLICATE, SELF_REACTION, NOT_SCORABLE)

_REQUIRED = ("event_id", "network", "action", "actor_id", "target_id", "event_ts", "event_date")


def known_actions(networks: dict[str, dict[str, float]]) -> Column:
    """Literal set of `network/action` keys the config knows."""
    keys = sorted(f"{network}/{action}" for network, acts in networks.items() for action in acts)
    return F.array(*[F.lit(key) for key in keys])


def invalid_reason(networks: dict[str, dict[str, float]]) -> Column:
    """Why a raw row is invalid (null when valid); the first failing check wins."""
    known_networks = F.array(*[F.lit(n) for n in sorted(networks)])
    reason = F.lit(None).cast("string")
    checks = [(F.col(c).isNull(), f"missing_{c}") for c in _REQUIRED] + [
        (~F.array_contains(known_networks, F.col("network")), "unknown_network"),
        (
            ~F.array_contains(
                known_actions(networks), F.concat_ws("/", F.col("network"), F.col("action"))
            ),
            "unknown_action",
        ),
        (F.to_date(F.col("event_ts")) != F.col("event_date"), "event_date_mismatch"),
    ]
    for failed, label in reversed(checks):
        reason = F.when(failed, F.lit(label)).otherwise(reason)
    return reason


def classify_interactions(
    raw: DataFrame,
    accounts: DataFrame,
    scorable_people: DataFrame,
    networks: dict[str, dict[str, float]],
) -> DataFrame:
    """Raw interactions + `outcome`, `reason` and the actor/target person ids.

    `accounts` is the full accounts table (an unknown account is a data error, quarantined); a known
    but suspended account, or a person who may not be scored, only makes the row `not_scorable`.
    """
    checked = raw.withColumn("reason", invalid_reason(networks))
    # Dedupe on event_id among valid rows only, keeping the earliest delivery (ties broken on every
    # column so that reruns pick the same row).
    first_delivery = Window.partitionBy(F.col("event_id")).orderBy(
        F.col("event_ts"),
        F.col("actor_id"),
        F.col("target_id"),
        F.col("action"),
        F.col("content_id"),
    )
    delivery = F.when(F.col("reason").isNull(), F.row_number().over(first_delivery))
    people = scorable_people.select(F.col("person_id"), F.lit(True).alias("scorable"))
    actors = _account_side(accounts, people, "actor")
    targets = _account_side(accounts, people, "target")
    mapped = (
        checked.withColumn("delivery", delivery)
        .join(actors, on="actor_id", how="left")
        .join(targets, on="target_id", how="left")
    )
    reason = (
        F.when(F.col("reason").isNotNull(), F.col("reason"))
        .when(F.col("actor_person_id").isNull(), F.lit("unknown_actor_account"))
        .when(F.col("target_person_id").isNull(), F.lit("unknown_target_account"))
        .when(F.col("actor_network") != F.col("network"), F.lit("actor_network_mismatch"))
        .when(F.col("target_network") != F.col("network"), F.lit("target_network_mismatch"))
    )
    outcome = (
        F.when(reason.isNotNull(), F.lit(QUARANTINED))
        .when(F.col("delivery") > 1, F.lit(DUPLICATE))
        .when(F.col("actor_person_id") == F.col("target_person_id"), F.lit(SELF_REACTION))
        .when(~(F.col("actor_ok") & F.col("target_ok")), F.lit(NOT_SCORABLE))
        .otherwise(F.lit(ACCEPTED))
    )
    return mapped.select(
        *[F.col(c) for c in INTERACTIONS.columns],
        F.col("actor_person_id"),
        F.col("target_person_id"),
        outcome.alias("outcome"),
        reason.alias("reason"),
    )


def _account_side(accounts: DataFrame, people: DataFrame, side: str) -> DataFrame:
    """Account -> person lookup for one side of an interaction, with whether it may count."""
    return accounts.join(people, on="person_id", how="left").select(
        F.col("account_id").alias(f"{side}_id"),
        F.col("person_id").alias(f"{side}_person_id"),
        F.col("network").alias(f"{side}_network"),
        (
            ~F.coalesce(F.col("suspended"), F.lit(False))
            & F.coalesce(F.col("scorable"), F.lit(False))
        ).alias(f"{side}_ok"),
    )


def accepted_engagements(classified: DataFrame) -> DataFrame:
    """The `engagements` rows: accepted interactions at person level."""
    return classified.where(F.col("outcome") == F.lit(ACCEPTED)).select(
        *[F.col(c) for c in ENGAGEMENTS.columns]
    )


def quarantine_rows(classified: DataFrame, source: str, run_id: str) -> DataFrame:
    """The `quarantine` rows: each rejected raw row as JSON, with its reason."""
    return classified.where(F.col("outcome") == F.lit(QUARANTINED)).select(
        F.lit(source).alias("source"),
        F.col("reason"),
        F.to_json(F.struct(*[F.col(c) for c in INTERACTIONS.columns])).alias("record"),
        F.lit(run_id).alias("run_id"),
        F.col("event_date"),
    )
