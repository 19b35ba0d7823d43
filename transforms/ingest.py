"""Ingest: validate raw interactions, dedupe them and map accounts to people.

`classify_interactions` gives every raw row exactly one outcome, so that the stage can count all
outcomes in one aggregation and the counts add up to the rows read:

- `accepted`: valid, first valid delivery of its `event_id`, between two different scorable people;
- `quarantined`: invalid input, with a `reason` (goes to the quarantine table);
- `duplicate`: a valid delivery of an `event_id` that an earlier valid delivery (the same day, or
  accepted on a day within the dedupe lookback) already stands for (dropped, counted);
- `self_reaction`: actor and target are the same person (dropped, counted);
- `not_scorable`: actor or target is opted out, a minor or a suspended account (dropped, counted).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from transforms.schemas import ENGAGEMENTS, INTERACTIONS

ACCEPTED, QUARANTINED, DUPLICATE = "accepted", "quarantined", "duplicate"
SELF_REACTION, NOT_SCORABLE = "self_reaction", "not_scorable"
OUTCOMES = (ACCEPTED, QUARANTINED, DUPLICATE, SELF_REACTION, NOT_SCORABLE)

_REQUIRED = ("event_id", "network", "action", "actor_id", "target_id", "event_ts", "event_date")
_STRINGS = ("event_id", "network", "action")


@dataclass(frozen=True)
class Limits:
    """Size limits of a raw row's strings (conf: ingest)."""

    max_event_id_chars: int
    max_topics: int
    max_topic_chars: int
    max_record_chars: int


def row_date(score_date: dt.date) -> Column:
    """The date a raw row belongs to: its event_date, else its event_ts's, else the ingest's
    (a row with neither is reported, quarantined, by every run that reads it)."""
    return F.coalesce(F.col("event_date"), F.to_date(F.col("event_ts")), F.lit(score_date))


def read_filter(dates: list[dt.date]) -> Column:
    """The raw rows an ingest of `dates` reads: its partitions, and the undated rows whose
    timestamp falls on one of the dates or who have none."""
    undated = F.col("event_date").isNull() & (
        F.to_date(F.col("event_ts")).isin(dates) | F.col("event_ts").isNull()
    )
    return F.col("event_date").isin(dates) | undated


def known_actions(networks: dict[str, dict[str, float]]) -> Column:
    """Literal set of `network/action` keys the config knows."""
    keys = sorted(f"{network}/{action}" for network, acts in networks.items() for action in acts)
    return F.array(*[F.lit(key) for key in keys])


def _string_checks(limits: Limits) -> list[tuple[Column, str]]:
    """Encoding and size checks: every output table must stay readable by any Delta reader."""
    topics = F.coalesce(F.col("topics"), F.array().cast("array<string>"))
    valid_utf8 = [F.is_valid_utf8(F.col(c)) for c in _STRINGS]
    valid_utf8.append(F.forall(topics, lambda t: F.coalesce(F.is_valid_utf8(t), F.lit(True))))
    utf8 = valid_utf8[0]
    for check in valid_utf8[1:]:
        utf8 = utf8 & check
    event_id_chars = F.length(F.col("event_id"))
    return [
        (~utf8, "invalid_utf8"),
        (event_id_chars == 0, "empty_event_id"),
        (event_id_chars > limits.max_event_id_chars, "event_id_too_long"),
        (F.size(topics) > limits.max_topics, "too_many_topics"),
        (F.exists(topics, lambda t: t.isNull() | (F.length(t) == 0)), "empty_topic"),
        (F.exists(topics, lambda t: F.length(t) > limits.max_topic_chars), "topic_too_long"),
    ]


def invalid_reason(networks: dict[str, dict[str, float]], limits: Limits) -> Column:
    """Why a raw row is invalid on its own (null when valid); the first failing check wins."""
    known_networks = F.array(*[F.lit(n) for n in sorted(networks)])
    checks = [(F.col(c).isNull(), f"missing_{c}") for c in _REQUIRED]
    checks += _string_checks(limits)
    checks += [
        (~F.array_contains(known_networks, F.col("network")), "unknown_network"),
        (
            ~F.array_contains(
                known_actions(networks), F.concat_ws("/", F.col("network"), F.col("action"))
            ),
            "unknown_action",
        ),
        (F.to_date(F.col("event_ts")) != F.col("event_date"), "event_date_mismatch"),
    ]
    reason = F.lit(None).cast("string")
    for failed, label in reversed(checks):
        reason = F.when(failed, F.lit(label)).otherwise(reason)
    return reason


def _account_reason() -> Column:
    """Why a row whose own fields are valid names accounts it cannot (null when it can)."""
    return (
        F.when(F.col("actor_person_id").isNull(), F.lit("unknown_actor_account"))
        .when(F.col("target_person_id").isNull(), F.lit("unknown_target_account"))
        .when(F.col("actor_network") != F.col("network"), F.lit("actor_network_mismatch"))
        .when(F.col("target_network") != F.col("network"), F.lit("target_network_mismatch"))
    )


def classify_interactions(
    raw: DataFrame,
    accounts: DataFrame,
    scorable_people: DataFrame,
    networks: dict[str, dict[str, float]],
    limits: Limits,
    accepted_before: DataFrame,
) -> DataFrame:
    """Raw interactions + `outcome`, `reason` and the actor/target person ids.

    `accounts` is the full accounts table (an unknown account is a data error, quarantined); a known
    but suspended account, or a person who may not be scored, only makes the row `not_scorable`.
    `accepted_before`: the `event_id`s accepted on the dedupe lookback's earlier days.
    """
    people = scorable_people.select(F.col("person_id"), F.lit(True).alias("scorable"))
    mapped = (
        raw.withColumn("own_reason", invalid_reason(networks, limits))
        .join(_account_side(accounts, people, "actor"), on="actor_id", how="left")
        .join(_account_side(accounts, people, "target"), on="target_id", how="left")
    )
    reason = F.coalesce(F.col("own_reason"), _account_reason())
    earlier = accepted_before.select(F.col("event_id"), F.lit(True).alias("seen")).distinct()
    checked = mapped.withColumn("reason", reason).join(earlier, on="event_id", how="left")
    # Dedupe among valid rows only, keeping the earliest valid delivery (ties broken on every
    # column, so that reruns pick the same row): an invalid delivery never hides a valid one.
    first_delivery = Window.partitionBy(F.col("event_id"), F.col("reason").isNull()).orderBy(
        F.col("event_ts"),
        F.col("actor_id"),
        F.col("target_id"),
        F.col("action"),
        F.col("content_id"),
    )
    delivery = F.when(F.col("reason").isNull(), F.row_number().over(first_delivery))
    outcome = (
        F.when(F.col("reason").isNotNull(), F.lit(QUARANTINED))
        .when(F.col("seen") | (F.col("delivery") > 1), F.lit(DUPLICATE))
        .when(F.col("actor_person_id") == F.col("target_person_id"), F.lit(SELF_REACTION))
        .when(~(F.col("actor_ok") & F.col("target_ok")), F.lit(NOT_SCORABLE))
        .otherwise(F.lit(ACCEPTED))
    )
    return checked.withColumn("delivery", delivery).select(
        *[F.col(c) for c in INTERACTIONS.columns],
        F.col("actor_person_id"),
        F.col("target_person_id"),
        outcome.alias("outcome"),
        F.col("reason"),
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


def quarantine_rows(
    classified: DataFrame, source: str, run_id: str, score_date: dt.date, max_chars: int
) -> DataFrame:
    """The `quarantine` rows: each rejected raw row as JSON (made valid UTF-8 and cut to
    `max_chars`), with its reason, on the date it belongs to (`row_date`)."""
    record = F.to_json(F.struct(*[F.col(c) for c in INTERACTIONS.columns]))
    return classified.where(F.col("outcome") == F.lit(QUARANTINED)).select(
        F.lit(source).alias("source"),
        F.col("reason"),
        F.substring(F.make_valid_utf8(record), 1, max_chars).alias("record"),
        F.lit(run_id).alias("run_id"),
        row_date(score_date).alias("event_date"),
    )
