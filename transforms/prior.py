"""Teleport prior of the personalized PageRank, and the offline-influence signal.

Per account (docs/SCORING.md), with n = new_account_trust:
  trust = (n + (1 - n) * min(1, age / account_age_full_days))
  * verified_boost if verified
  * follow_spam_factor if it follows >= follow_spam_min_following accounts and more than
    follow_spam_ratio times as many as follow it
  * young_account_factor if younger than young_account_days.
Per person: trust = mean of the account trusts (holding more accounts makes nobody more
trustworthy, nor pulls more teleport: in the sample world it would rank people by their number of
networks), prior = trust * (1 + offline), where
  offline = pageviews_weight * log1p(wikipedia_pageviews / pageviews_unit)
          + inlinks_weight * log1p(wikipedia_inlinks / inlinks_unit)
          + seniority_weight * max LinkedIn title_seniority
(the prior section of the config; a person without account rows has trust n).
Every scorable person gets a row, so people without any reaction still exist in the graph.
"""

from __future__ import annotations

import datetime as dt

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from transforms.schemas import PRIOR


def account_age_days(score_date: dt.date) -> Column:
    """Days from an account row's created_at to the score date (0 for a future date)."""
    return F.greatest(
        F.datediff(F.lit(score_date), F.to_date(F.col("created_at"))).cast("double"), F.lit(0.0)
    )


def is_follow_spam(cfg) -> Column:
    """An account row that follows many and far more than follow it; `cfg` is a PriorConfig."""
    following = F.coalesce(F.col("following_count"), F.lit(0)).cast("double")
    followers = F.coalesce(F.col("followers_count"), F.lit(0)).cast("double")
    return (following >= F.lit(cfg.follow_spam_min_following)) & (
        following > F.lit(float(cfg.follow_spam_ratio)) * F.greatest(followers, F.lit(1.0))
    )


def account_trust(score_date: dt.date, cfg) -> Column:
    """Trust of one account row (see module docstring); `cfg` is a PriorConfig."""
    age_days = account_age_days(score_date)
    floor = float(cfg.new_account_trust)
    maturity = F.lit(floor) + F.lit(1.0 - floor) * F.least(
        F.lit(1.0), age_days / F.lit(float(cfg.account_age_full_days))
    )
    verified = F.coalesce(F.col("verified"), F.lit(False))
    return (
        maturity
        * F.when(verified, F.lit(float(cfg.verified_boost))).otherwise(F.lit(1.0))
        * F.when(is_follow_spam(cfg), F.lit(float(cfg.follow_spam_factor))).otherwise(F.lit(1.0))
        * F.when(
            age_days < F.lit(float(cfg.young_account_days)), F.lit(float(cfg.young_account_factor))
        ).otherwise(F.lit(1.0))
    )


def offline_influence(people: DataFrame, accounts: DataFrame, cfg) -> DataFrame:
    """person_id -> offline signal from Wikipedia and LinkedIn title seniority (>= 0); `cfg` is
    a PriorConfig."""
    best_titles = accounts.groupBy(F.col("person_id")).agg(
        F.max(F.coalesce(F.col("title_seniority"), F.lit(0))).alias("seniority")
    )
    pageviews = F.coalesce(F.col("wikipedia_pageviews"), F.lit(0)).cast("double")
    inlinks = F.coalesce(F.col("wikipedia_inlinks"), F.lit(0)).cast("double")
    wiki = F.lit(float(cfg.pageviews_weight)) * F.log1p(
        pageviews / F.lit(float(cfg.pageviews_unit))
    ) + F.lit(float(cfg.inlinks_weight)) * F.log1p(inlinks / F.lit(float(cfg.inlinks_unit)))
    seniority = F.coalesce(F.col("seniority"), F.lit(0)).cast("double")
    return people.join(best_titles, on="person_id", how="left").select(
        F.col("person_id"),
        (wiki + F.lit(float(cfg.seniority_weight)) * seniority).alias("offline"),
    )


def teleport_prior(
    accounts: DataFrame, people: DataFrame, scorable: DataFrame, score_date: dt.date, cfg
) -> DataFrame:
    """score_date, person_id, prior (> 0, unnormalised), offline, trust (mean of the accounts'
    trusts, which also weighs the person's reactions in others' signals); one row per scorable
    person.

    `accounts` are the accounts that count (scorable_accounts), `people` the people table and
    `scorable` the scorable person ids.
    """
    trust = accounts.groupBy(F.col("person_id")).agg(
        F.avg(account_trust(score_date, cfg)).alias("trust")
    )
    scored_people = people.join(scorable, on="person_id", how="left_semi")
    offline = offline_influence(scored_people, accounts, cfg)
    no_accounts = F.lit(float(cfg.new_account_trust))
    return (
        scorable.join(trust, on="person_id", how="left")
        .join(offline, on="person_id", how="left")
        .select(
            F.lit(score_date).alias("score_date"),
            F.col("person_id"),
            (
                F.coalesce(F.col("trust"), no_accounts)
                * (F.lit(1.0) + F.coalesce(F.col("offline"), F.lit(0.0)))
            ).alias("prior"),
            F.coalesce(F.col("offline"), F.lit(0.0)).alias("offline"),
            F.coalesce(F.col("trust"), no_accounts).alias("trust"),
        )
        .select(*[F.col(c) for c in PRIOR.columns])
    )
