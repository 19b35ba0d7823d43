"""Import rows: parsed lines (transforms/import_formats.py) -> `interactions`, `accounts`, `people`,
`quarantine` rows. docs/IMPORT.md describes the id scheme and how a rerun replaces what the same
file imported before.
"""

from __future__ import annotations

import datetime as dt

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from transforms.schemas import ACCOUNTS, INTERACTIONS, PEOPLE, QUARANTINE

# Tag of imported accounts' ids, so they never equal ids derived for another purpose.
ACCOUNT_ID_TAG = "sway-import"


def account_id(network: Column, external_id: Column) -> Column:
    """Sway account id of a data set's user: xxhash64 (Spark's, seed 42) of a tag, the network and
    the external id. Stable across runs and Spark versions, distinct across networks."""
    return F.xxhash64(F.lit(ACCOUNT_ID_TAG), network, external_id)


def event_id_prefix(fmt: str, source: str) -> str:
    return f"{fmt}:{source}:"


def interaction_rows(parsed: DataFrame, fmt: str, source: str) -> DataFrame:
    """The good lines as `interactions` rows. event_id = `<format>:<source>:` + 32 hex digits of
    the SHA-256 of the line's fields: the same line gives the same id, whatever its position."""
    fields = F.concat_ws(
        "|",
        *[
            F.coalesce(F.col(c).cast("string"), F.lit(""))
            for c in ("network", "action", "actor_ext", "target_ext", "content_id")
        ],
        F.unix_micros(F.col("event_ts")).cast("string"),
    )
    return parsed.where(F.col("reason").isNull()).select(
        F.concat(
            F.lit(event_id_prefix(fmt, source)), F.substring(F.sha2(fields, 256), 1, 32)
        ).alias("event_id"),
        F.col("network"),
        F.col("action"),
        account_id(F.col("network"), F.col("actor_ext")).alias("actor_id"),
        account_id(F.col("network"), F.col("target_ext")).alias("target_id"),
        F.col("content_id"),
        F.lit(None).cast("array<string>").alias("topics"),
        F.col("event_ts"),
        F.to_date(F.col("event_ts")).alias("event_date"),
    )


def merge_interactions(existing: DataFrame, imported: DataFrame, prefix: str) -> DataFrame:
    """The covered dates' new content: their rows from other sources, plus this import's rows
    (rows this source imported before are dropped, so a rerun replaces rather than adds)."""
    others = existing.where(~F.col("event_id").startswith(prefix))
    return others.select(*INTERACTIONS.columns).unionByName(imported.select(*INTERACTIONS.columns))


def seen_accounts(parsed: DataFrame) -> DataFrame:
    """Every user of the good lines (actor or target): network, external id, account id and the
    first time the file shows them."""
    good = parsed.where(F.col("reason").isNull())
    sides = good.select(
        F.col("network"), F.col("actor_ext").alias("external_id"), F.col("event_ts")
    ).unionByName(
        good.select(F.col("network"), F.col("target_ext").alias("external_id"), F.col("event_ts"))
    )
    return sides.groupBy(F.col("network"), F.col("external_id")).agg(
        account_id(F.col("network"), F.col("external_id")).alias("account_id"),
        F.min(F.col("event_ts")).alias("first_seen"),
    )


def new_accounts(
    seen: DataFrame, existing: DataFrame, created_at: dt.datetime | None = None
) -> DataFrame:
    """`accounts` rows for users the table does not know yet (known accounts stay untouched).

    One person per imported account (person_id = account_id: a data set does not say which
    accounts belong together). created_at: the given time, else the first time the file shows the
    account; not verified, not suspended, counts unknown."""
    fresh = seen.join(existing.select(F.col("account_id")), on="account_id", how="left_anti")
    created = F.col("first_seen") if created_at is None else F.lit(created_at).cast("timestamp")
    return fresh.select(
        F.col("account_id"),
        F.col("network"),
        F.col("account_id").alias("person_id"),
        created.alias("created_at"),
        F.lit(False).alias("verified"),
        F.lit(False).alias("suspended"),
        *[
            F.lit(None).cast("long").alias(c)
            for c in ("followers_count", "following_count", "listed_count", "posts_count")
        ],
        F.lit(None).cast("int").alias("title_seniority"),
    ).select(*ACCOUNTS.columns)


def new_people(accounts: DataFrame, existing: DataFrame, consent: str) -> DataFrame:
    """`people` rows for the new accounts' persons the table does not know yet."""
    persons = accounts.select(F.col("person_id")).distinct()
    return (
        persons.join(existing.select(F.col("person_id")), on="person_id", how="left_anti")
        .select(
            F.col("person_id"),
            F.lit(consent).alias("consent"),
            F.lit(None).cast("int").alias("birth_year"),
            F.lit(None).cast("long").alias("wikipedia_pageviews"),
            F.lit(None).cast("long").alias("wikipedia_inlinks"),
        )
        .select(*PEOPLE.columns)
    )


def quarantine_source(fmt: str) -> str:
    return f"import:{fmt}"


def quarantine_rows(
    parsed: DataFrame, fmt: str, source: str, run_id: str, fallback_date: dt.date
) -> DataFrame:
    """Bad lines as `quarantine` rows: record = {"file", "line_no", "line"} as JSON; event_date =
    the line's own date when its timestamp parses, else `fallback_date` (the job passes the file's
    first event date, so a rerun files the line under the same date)."""
    return parsed.where(F.col("reason").isNotNull()).select(
        F.lit(quarantine_source(fmt)).alias("source"),
        F.col("reason"),
        F.to_json(F.struct(F.lit(source).alias("file"), F.col("line_no"), F.col("line"))).alias(
            "record"
        ),
        F.lit(run_id).alias("run_id"),
        F.coalesce(F.to_date(F.col("event_ts")), F.lit(fallback_date)).alias("event_date"),
    )


def merge_quarantine(existing: DataFrame, new: DataFrame, source: str) -> DataFrame:
    """The covered quarantine partitions' new content: other files' rows plus this file's."""
    file = F.get_json_object(F.col("record"), "$.file")
    others = existing.where(file.isNull() | (file != F.lit(source)))
    return others.select(*QUARANTINE.columns).unionByName(new.select(*QUARANTINE.columns))
