"""Import adapters: lines of public data sets -> `interactions`, `accounts`, `people`, `quarantine`.

The job (jobs/importer.py) reads a file as text and numbers its lines (`number_lines`); a format's
parser (`parse_lines`) turns each line into one parsed row with a `reason` (null when the line is
good); the other functions map parsed rows to table rows. docs/IMPORT.md describes the formats,
the id scheme and how a rerun replaces what the same file imported before.

Parsed rows: line_no, line, reason, network, action, actor_ext, target_ext (the data set's user
ids), content_id, event_ts (null when the line's timestamp does not parse).
"""

from __future__ import annotations

import datetime as dt
import re

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from transforms.schemas import ACCOUNTS, INTERACTIONS, PEOPLE, QUARANTINE

KLOUT_TSV, SNAP_HIGGS = "klout-tsv", "snap-higgs"
FORMATS = (KLOUT_TSV, SNAP_HIGGS)
# Klout's post-reaction data set: Facebook files hold comments, Twitter files retweets.
KLOUT_ACTIONS = {"facebook": "comment", "twitter": "retweet"}
HIGGS_ACTIONS = {"RT": "retweet", "MT": "mention", "RE": "reply"}
# Timestamps outside [2000-01-01, 2100-01-01) are data errors (a seconds value read as
# milliseconds lands in 1970, a milliseconds value read as seconds far after 2100).
_MIN_S, _MAX_S = 946_684_800, 4_102_444_800
_INT64 = r"^-?[0-9]{1,19}$"
# Tag of imported accounts' ids, so they never equal ids derived for another purpose.
_ID_TAG = "sway-import"

PARSED_COLUMNS = (
    "line_no",
    "line",
    "reason",
    "network",
    "action",
    "actor_ext",
    "target_ext",
    "content_id",
    "event_ts",
)


class ImportFormatError(ValueError):
    """An unknown format, or a network the format does not hold."""


def source_tag(path: str) -> str:
    """The file's tag in event ids and quarantine records: its name without compression and data
    extensions, reduced to [A-Za-z0-9._-] (`higgs-activity_time.txt.gz` -> `higgs-activity_time`).
    It depends on the name only, so a moved file imports as the same source."""
    name = path.rstrip("/").rsplit("/", 1)[-1]
    name = re.sub(r"(\.(gz|bz2|zst|txt|tsv|csv))+$", "", name, flags=re.IGNORECASE)
    tag = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("_")
    return tag or "file"


def default_network(fmt: str, path: str, network: str | None) -> str:
    """The network of the file: --network, else what the format or the file name says."""
    if fmt == SNAP_HIGGS:
        if network not in (None, "twitter"):
            raise ImportFormatError(f"{SNAP_HIGGS} holds Twitter activity, not {network!r}")
        return "twitter"
    if fmt != KLOUT_TSV:
        raise ImportFormatError(f"unknown import format {fmt!r}; formats: {', '.join(FORMATS)}")
    if network is None:
        name = path.rsplit("/", 1)[-1].lower()
        found = [n for n in KLOUT_ACTIONS if n in name]
        if len(found) != 1:
            raise ImportFormatError(
                f"cannot tell from the file name {name!r} whether it holds Facebook comments or "
                "Twitter retweets: pass --network facebook or --network twitter"
            )
        network = found[0]
    if network not in KLOUT_ACTIONS:
        raise ImportFormatError(
            f"{KLOUT_TSV} files hold {' or '.join(KLOUT_ACTIONS)} reactions, not {network!r}"
        )
    return network


def number_lines(text: DataFrame) -> DataFrame:
    """`spark.read.text` rows (`value`) -> (line_no, line), line_no counting from 1 in file order.

    Within a read partition, monotonically_increasing_id counts rows in order (its low 33 bits);
    each partition's offset is the number of lines in the partitions before it. A single file's
    splits are read in file order, so line_no is the physical line number (headers included).
    Both passes scan the same splits, so they agree; no row goes through Python.
    """
    tagged = text.select(
        F.spark_partition_id().alias("part"),
        (F.monotonically_increasing_id() - (F.spark_partition_id().cast("long") * (1 << 33))).alias(
            "row"
        ),
        F.col("value").alias("line"),
    )
    sizes = tagged.groupBy(F.col("part")).agg(F.count(F.lit(1)).alias("n"))
    before = Window.orderBy(F.col("part")).rowsBetween(Window.unboundedPreceding, -1)
    offsets = sizes.select(
        F.col("part"), F.coalesce(F.sum(F.col("n")).over(before), F.lit(0)).alias("offset")
    )
    return tagged.join(F.broadcast(offsets), on="part", how="inner").select(
        (F.col("offset") + F.col("row") + F.lit(1)).alias("line_no"), F.col("line")
    )


def parse_lines(lines: DataFrame, fmt: str, network: str) -> DataFrame:
    """One parsed row per data line (headers `#...` and blank lines are skipped)."""
    data = lines.where(~(F.trim(F.col("line")) == F.lit("")) & ~F.col("line").startswith("#"))
    if fmt == KLOUT_TSV:
        return _klout(data, network)
    if fmt == SNAP_HIGGS:
        return _higgs(data)
    raise ImportFormatError(f"unknown import format {fmt!r}; formats: {', '.join(FORMATS)}")


def _int64(text: Column) -> Column:
    """The field as a long; null unless it is a plain signed 64-bit integer."""
    trimmed = F.trim(text)
    return F.when(trimmed.rlike(_INT64), trimmed.try_cast("bigint"))


def _seconds(value: Column, per_second: int) -> Column:
    """Epoch value -> timestamp, null outside the sane range."""
    ok = value.between(F.lit(_MIN_S * per_second), F.lit(_MAX_S * per_second - 1))
    return F.when(ok, F.timestamp_micros(value * F.lit(1_000_000 // per_second)))


def _klout(data: DataFrame, network: str) -> DataFrame:
    # user_id_fingerprint (the post's author), actor_id_fingerprint (who reacted),
    # post_id_fingerprint, post_timestamp, action_timestamp (epoch ms), user_timezone.
    fields = F.split(F.col("line"), "\t", -1)
    user, actor, post = (_int64(F.get(fields, i)) for i in range(3))
    post_ts, action_ts = (_seconds(_int64(F.get(fields, i)), 1000) for i in (3, 4))
    reason = (
        F.when(F.size(fields) != F.lit(6), F.lit("wrong_field_count"))
        .when(user.isNull() | actor.isNull() | post.isNull(), F.lit("bad_id"))
        .when(post_ts.isNull() | action_ts.isNull(), F.lit("bad_timestamp"))
    )
    return data.select(
        F.col("line_no"),
        F.col("line"),
        reason.alias("reason"),
        F.lit(network).alias("network"),
        F.lit(KLOUT_ACTIONS[network]).alias("action"),
        actor.alias("actor_ext"),
        user.alias("target_ext"),
        post.alias("content_id"),
        action_ts.alias("event_ts"),
    )


def _higgs(data: DataFrame) -> DataFrame:
    # userA userB timestamp type: userA acted on userB (retweeted, mentioned, replied to).
    fields = F.split(F.trim(F.col("line")), r"\s+", -1)
    actor, target = (_int64(F.get(fields, i)) for i in range(2))
    event_ts = _seconds(_int64(F.get(fields, 2)), 1)
    kind = F.get(fields, 3)
    action = F.lit(None).cast("string")
    for code, name in HIGGS_ACTIONS.items():
        action = F.when(kind == F.lit(code), F.lit(name)).otherwise(action)
    reason = (
        F.when(F.size(fields) != F.lit(4), F.lit("wrong_field_count"))
        .when(actor.isNull() | target.isNull(), F.lit("bad_id"))
        .when(event_ts.isNull(), F.lit("bad_timestamp"))
        .when(action.isNull(), F.lit("unknown_type"))
    )
    return data.select(
        F.col("line_no"),
        F.col("line"),
        reason.alias("reason"),
        F.lit("twitter").alias("network"),
        action.alias("action"),
        actor.alias("actor_ext"),
        target.alias("target_ext"),
        F.lit(None).cast("long").alias("content_id"),
        event_ts.alias("event_ts"),
    )


def account_id(network: Column, external_id: Column) -> Column:
    """Sway account id of a data set's user: xxhash64 (Spark's, seed 42) of a tag, the network and
    the external id. Stable across runs and Spark versions, distinct across networks."""
    return F.xxhash64(F.lit(_ID_TAG), network, external_id)


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
