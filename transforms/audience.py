"""The follower graph: who follows whom between people, which followers look real, and which of
a person's reactors follow them (docs/SCORING.md §10).

Built for a graph of ~100B edges: the person-level snapshot is rebuilt only when `follows`
changes, laid out by followee bucket, and a day's reactor pairs, hashed to the same buckets, are
broadcast to a scan of the buckets they touch: the graph is read but never shuffled, and never
reaches the driver (jobs/stages/audience.py chooses the bucket groups).
"""

from __future__ import annotations

import datetime as dt

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from transforms.prior import account_age_days, is_follow_spam


def bucket_of(column: str, buckets: int) -> Column:
    """The bucket of a person id: the follower graph's partition, and the pairs' join key."""
    return F.pmod(F.xxhash64(F.col(column)), F.lit(buckets)).cast("int")


def follower_real(score_date: dt.date, acted: Column, prior_cfg) -> Column:
    """A following account row that looks real: not suspended, not follow-spam, and not young
    and silent (silent: no posts and no reaction given in the window). Bought followers are
    young accounts that never post nor react; follow farms follow thousands."""
    young = account_age_days(score_date) < F.lit(float(prior_cfg.young_account_days))
    silent = (F.coalesce(F.col("posts_count"), F.lit(0)) == F.lit(0)) & ~acted
    suspended = F.coalesce(F.col("suspended"), F.lit(False))
    return ~suspended & ~is_follow_spam(prior_cfg) & ~(young & silent)


def follower_graph(
    follows: DataFrame,
    accounts: DataFrame,
    actors: DataFrame,
    score_date: dt.date,
    prior_cfg,
    buckets: int,
    follows_version: int,
) -> DataFrame:
    """One row per (followee person, follower person), self-follows dropped; follower_real when
    any of the follower's accounts that follow looks real. `actors`: person_id of the people who
    gave reactions in the window. Follows naming an unknown account are dropped."""
    acted = actors.select(F.col("person_id"), F.lit(True).alias("acted")).distinct()
    follower_accounts = accounts.join(acted, on="person_id", how="left").select(
        F.col("account_id").alias("follower_id"),
        F.col("person_id").alias("follower_person_id"),
        follower_real(score_date, F.coalesce(F.col("acted"), F.lit(False)), prior_cfg).alias(
            "real"
        ),
    )
    followee_accounts = accounts.select(
        F.col("account_id").alias("followee_id"), F.col("person_id").alias("followee_person_id")
    )
    edges = (
        follows.join(follower_accounts, on="follower_id", how="inner")
        .join(followee_accounts, on="followee_id", how="inner")
        .where(F.col("followee_person_id") != F.col("follower_person_id"))
        .groupBy(F.col("followee_person_id"), F.col("follower_person_id"))
        .agg(F.max(F.col("real")).alias("follower_real"))
    )
    return edges.select(
        bucket_of("followee_person_id", buckets).alias("followee_bucket"),
        F.col("followee_person_id"),
        F.col("follower_person_id"),
        F.col("follower_real"),
        F.lit(follows_version).cast("long").alias("follows_version"),
    )


def follower_counts(graph: DataFrame) -> DataFrame:
    """person_id -> followers, real_followers in the snapshot, with its follows_version."""
    return (
        graph.groupBy(F.col("followee_person_id"), F.col("follows_version"))
        .agg(
            F.count(F.lit(1)).alias("followers"),
            F.sum(F.col("follower_real").cast("long")).alias("real_followers"),
        )
        .select(
            F.col("followee_person_id").alias("person_id"),
            F.col("followers"),
            F.col("real_followers"),
            F.col("follows_version"),
        )
    )


def reactor_pairs(pair_window: DataFrame, buckets: int) -> DataFrame:
    """The window's distinct (reactor, target) people, self-reactions and the sink dropped, with
    the target's bucket."""
    return (
        pair_window.where((F.col("src") != F.col("dst")) & (F.col("dst") >= F.lit(0)))
        .select(F.col("src").alias("reactor"), F.col("dst").alias("target"))
        .distinct()
        .withColumn("followee_bucket", bucket_of("target", buckets))
    )


def following_reactors(pairs: DataFrame, graph: DataFrame) -> DataFrame:
    """target -> follower_reactors: reactors who follow the target. `pairs` (small, one bucket
    group) is broadcast to the scan of `graph` (the same buckets): the graph is not shuffled."""
    keyed = pairs.select(
        F.col("followee_bucket"),
        F.col("target").alias("followee_person_id"),
        F.col("reactor").alias("follower_person_id"),
    )
    joined = graph.join(
        F.broadcast(keyed),
        on=["followee_bucket", "followee_person_id", "follower_person_id"],
        how="inner",
    )
    return (
        joined.groupBy(F.col("followee_person_id"))
        .agg(F.count(F.lit(1)).alias("follower_reactors"))
        .select(F.col("followee_person_id").alias("person_id"), F.col("follower_reactors"))
    )


def audience_rows(
    counts: DataFrame, pairs: DataFrame, following: DataFrame, score_date: dt.date
) -> DataFrame:
    """The audience table's rows: everyone with followers or reactors (0 where none)."""
    reactors = pairs.groupBy(F.col("target")).agg(F.count(F.lit(1)).alias("reactors"))
    drawn = reactors.select(F.col("target").alias("person_id"), F.col("reactors")).join(
        following, on="person_id", how="left"
    )
    rows = counts.select(F.col("person_id"), F.col("followers"), F.col("real_followers")).join(
        drawn, on="person_id", how="full"
    )
    return rows.select(
        F.lit(score_date).alias("score_date"),
        F.col("person_id"),
        *[F.coalesce(F.col(c), F.lit(0)).cast("long").alias(c)
          for c in ("followers", "real_followers", "reactors", "follower_reactors")],
    )  # fmt: skip
