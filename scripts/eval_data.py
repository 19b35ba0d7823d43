"""What the evaluation reads from the lake, one row per scored person (polars, no Spark).

`person_frame` joins, for the score date D: the planted truth, the score of D and D - 1, the
baselines (follower count, reactions and unique reactors received up to D, unweighted PageRank on
the person-level follow and reaction graphs) and the unique reactors of kind normal drawn in the
future days (the predictive target). docs/EVALUATION.md defines each column.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import polars as pl

from scripts.eval_metrics import graph_pagerank

ID = "person_id"


def _scan(lake: Path, name: str) -> pl.LazyFrame:
    return pl.scan_delta(str(lake / name))


def scores_on(lake: Path, day: dt.date) -> pl.DataFrame:
    """person_id, score, parts_sum (sum of the `networks` explanation) for one score date."""
    return (
        _scan(lake, "scores")
        .filter(pl.col("score_date") == day)
        .select(
            ID,
            "score",
            parts_sum=pl.col("networks").map.values().list.sum().fill_null(0.0),
        )
        .collect()
    )


def account_people(lake: Path) -> pl.LazyFrame:
    return _scan(lake, "accounts").select("account_id", ID)


def follower_counts(lake: Path) -> pl.DataFrame:
    """Sum of followers_count over each person's accounts (the platforms' own counts)."""
    accounts = _scan(lake, "accounts")
    return accounts.group_by(ID).agg(followers=pl.col("followers_count").sum()).collect()


def received(lake: Path, until: dt.date) -> pl.DataFrame:
    """Accepted reactions and unique reactors received in the window up to `until`."""
    pairs = _scan(lake, "daily_pairs").filter(pl.col("event_date") <= until)
    return (
        pairs.group_by(pl.col("target_person_id").alias(ID))
        .agg(reactions=pl.col("reactions").sum(), reactors=pl.col("actor_person_id").n_unique())
        .collect()
    )


def follow_edges(lake: Path) -> pl.DataFrame:
    """Distinct person-level follow edges (src follows dst), without self-follows."""
    people = account_people(lake)
    return (
        _scan(lake, "follows")
        .join(people.rename({"account_id": "follower_id", ID: "src"}), on="follower_id")
        .join(people.rename({"account_id": "followee_id", ID: "dst"}), on="followee_id")
        .filter(pl.col("src") != pl.col("dst"))
        .select("src", "dst")
        .unique()
        .collect()
    )


def reaction_edges(lake: Path, until: dt.date) -> pl.DataFrame:
    """Distinct person-level reaction edges (src reacted to dst) in the window up to `until`."""
    return (
        _scan(lake, "daily_pairs")
        .filter(pl.col("event_date") <= until)
        .select(src="actor_person_id", dst="target_person_id")
        .unique()
        .collect()
    )


def pagerank_column(edges: pl.DataFrame, people: np.ndarray, name: str) -> pl.DataFrame:
    """Unweighted PageRank over all `people` (sorted ids) and the edges among them."""
    src = np.searchsorted(people, edges["src"].to_numpy())
    dst = np.searchsorted(people, edges["dst"].to_numpy())
    known = (src < len(people)) & (dst < len(people))
    known[known] &= (people[src[known]] == edges["src"].to_numpy()[known]) & (
        people[dst[known]] == edges["dst"].to_numpy()[known]
    )
    ranks = graph_pagerank(src[known], dst[known], len(people))
    return pl.DataFrame({ID: people, name: ranks})


def future_reactors(
    lake: Path, first: dt.date, last: dt.date, counted_actors: pl.Series
) -> pl.DataFrame:
    """Unique reactors among `counted_actors` in accepted engagements of first..last."""
    return (
        _scan(lake, "engagements")
        .filter(pl.col("event_date").is_between(first, last))
        .filter(pl.col("actor_person_id").is_in(counted_actors.implode()))
        .group_by(pl.col("target_person_id").alias(ID))
        .agg(future_reactors=pl.col("actor_person_id").n_unique())
        .collect()
    )


def components_on(lake: Path, day: dt.date) -> pl.DataFrame:
    """person_id and one `component_<name>` column per raw-score term of the day."""
    frame = _scan(lake, "components").filter(pl.col("score_date") == day).collect()
    terms = [c for c in frame.columns if c not in (ID, "score_date", "raw")]
    return frame.select(ID, *[pl.col(c).alias(f"component_{c}") for c in terms])


def person_frame(lake: Path, day: dt.date, future_days: int) -> pl.DataFrame:
    """One row per person scored on `day`, with every column the metrics need (nulls -> 0,
    except score_prev: null when the person had no score on day - 1)."""
    planted = pl.read_parquet(lake / "_sample" / "planted.parquet")
    today = scores_on(lake, day)
    yesterday = scores_on(lake, day - dt.timedelta(days=1)).select(ID, score_prev="score")
    people = np.sort(_scan(lake, "people").select(ID).collect()[ID].to_numpy())
    normal = planted.filter(pl.col("kind") == "normal")[ID]
    first, last = day + dt.timedelta(days=1), day + dt.timedelta(days=future_days)
    frame = (
        today.join(planted, on=ID, how="left")
        .join(yesterday, on=ID, how="left")
        .join(follower_counts(lake), on=ID, how="left")
        .join(received(lake, day), on=ID, how="left")
        .join(pagerank_column(follow_edges(lake), people, "pagerank_follow"), on=ID, how="left")
        .join(
            pagerank_column(reaction_edges(lake, day), people, "pagerank_reaction"),
            on=ID,
            how="left",
        )
        .join(future_reactors(lake, first, last, normal), on=ID, how="left")
        .join(components_on(lake, day), on=ID, how="left")
    )
    zero_fill = [c for c in frame.columns if c not in (ID, "kind", "score_prev")]
    return frame.with_columns(pl.col(zero_fill).fill_null(0), pl.col("kind").fill_null("normal"))
