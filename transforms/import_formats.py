"""Import formats: lines of public data sets -> parsed rows (one per data line, with a reason).

The job (jobs/importer.py) reads a file as text and numbers its lines (`number_lines`); a format's
parser (`parse_lines`) turns each line into one parsed row with a `reason` (null when the line is
good); transforms/imports.py maps parsed rows to table rows. docs/IMPORT.md describes the formats.

Parsed rows: line_no, line, reason, network, action, actor_ext, target_ext (the data set's user
ids), content_id, event_ts (null when the line's timestamp does not parse).
"""

from __future__ import annotations

import re

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from transforms.import_edgelist import EDGELIST, EdgeListLayout, parse_edgelist

KLOUT_TSV, SNAP_HIGGS = "klout-tsv", "snap-higgs"
FORMATS = (KLOUT_TSV, SNAP_HIGGS, EDGELIST)
# Klout's post-reaction data set: Facebook files hold comments, Twitter files retweets.
KLOUT_ACTIONS = {"facebook": "comment", "twitter": "retweet"}
HIGGS_ACTIONS = {"RT": "retweet", "MT": "mention", "RE": "reply"}
# Timestamps outside [2000-01-01, 2100-01-01) are data errors (a seconds value read as
# milliseconds lands in 1970, a milliseconds value read as seconds far after 2100).
_MIN_S, _MAX_S = 946_684_800, 4_102_444_800
INT64_PATTERN = r"^-?[0-9]{1,19}$"
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
    if fmt == EDGELIST:
        if network is None:
            raise ImportFormatError(f"{EDGELIST} needs --network (the network its lines are on)")
        return network
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
    # Lines in the partitions before each one: a join of the (few) partition sizes, not a
    # window over one partition.
    offsets = (
        sizes.alias("p")
        .join(sizes.alias("earlier"), on=F.col("earlier.part") < F.col("p.part"), how="left")
        .groupBy(F.col("p.part").alias("part"))
        .agg(F.coalesce(F.sum(F.col("earlier.n")), F.lit(0)).alias("offset"))
    )
    return tagged.join(F.broadcast(offsets), on="part", how="inner").select(
        (F.col("offset") + F.col("row") + F.lit(1)).alias("line_no"), F.col("line")
    )


def parse_lines(
    lines: DataFrame, fmt: str, network: str, layout: EdgeListLayout | None = None
) -> DataFrame:
    """One parsed row per data line (blank lines and headers are skipped: `#...`, and `%...` in
    edge lists, KONECT's header). `layout`: the columns and actions of an `edgelist` file."""
    data = lines.where(~(F.trim(F.col("line")) == F.lit("")) & ~F.col("line").startswith("#"))
    if fmt == EDGELIST:
        if layout is None:
            raise ImportFormatError(f"{EDGELIST} needs a layout (columns, action or types)")
        data = data.where(~F.col("line").startswith("%"))
        parsed = parse_edgelist(data, layout, int64_field, _seconds)
    elif fmt == KLOUT_TSV:
        parsed = _klout(data, network)
    elif fmt == SNAP_HIGGS:
        parsed = _higgs(data)
    else:
        raise ImportFormatError(f"unknown import format {fmt!r}; formats: {', '.join(FORMATS)}")
    return parsed.select(*[F.col(c) for c in PARSED_COLUMNS])  # every format's contract


def int64_field(text: Column) -> Column:
    """The field as a long; null unless it is a plain signed 64-bit integer."""
    trimmed = F.trim(text)
    return F.when(trimmed.rlike(INT64_PATTERN), trimmed.try_cast("bigint"))


def _seconds(value: Column, per_second: int) -> Column:
    """Epoch value -> timestamp, null outside the sane range."""
    ok = value.between(F.lit(_MIN_S * per_second), F.lit(_MAX_S * per_second - 1))
    return F.when(ok, F.timestamp_micros(value * F.lit(1_000_000 // per_second)))


def _klout(data: DataFrame, network: str) -> DataFrame:
    # user_id_fingerprint (the post's author), actor_id_fingerprint (who reacted),
    # post_id_fingerprint, post_timestamp, action_timestamp (epoch ms), user_timezone.
    fields = F.split(F.col("line"), "\t", -1)
    user, actor, post = (int64_field(F.get(fields, i)) for i in range(3))
    post_ts, action_ts = (_seconds(int64_field(F.get(fields, i)), 1000) for i in (3, 4))
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
    # userA userB timestamp type: userA acted on userB (retweeted, mentioned, replied to): an
    # edge list of a fixed layout.
    layout = EdgeListLayout("twitter", ("actor", "target", "time", "type"), None, HIGGS_ACTIONS)
    return parse_edgelist(data, layout, int64_field, _seconds)
