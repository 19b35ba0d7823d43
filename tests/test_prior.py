"""Teleport prior: account trust, the person's mean trust, offline influence (hand-computed)."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from jobs.config import PriorConfig
from transforms.prior import teleport_prior

DAY = dt.date(2026, 11, 20)
CFG = PriorConfig(
    account_age_full_days=365,
    verified_boost=2.0,
    follow_spam_ratio=20.0,
    follow_spam_min_following=1000,
    follow_spam_factor=0.1,
    young_account_days=30,
    young_account_factor=0.3,
    new_account_trust=0.2,
    pageviews_weight=0.5,
    pageviews_unit=1000,
    inlinks_weight=0.5,
    inlinks_unit=10,
    seniority_weight=0.3,
)
ACCOUNTS = (
    "account_id long, person_id long, created_at timestamp, followers_count long, "
    "following_count long, verified boolean, title_seniority int"
)


def created(days_ago: int) -> dt.datetime:
    return dt.datetime.combine(DAY - dt.timedelta(days=days_ago), dt.time())


def test_prior_is_mean_account_trust_times_offline(spark):
    accounts = spark.createDataFrame(
        [
            # Person 1: an old verified account and a half-year-old one; LinkedIn seniority 3.
            (11, 1, created(800), 500, 100, True, None),
            (12, 1, created(365 // 2), 50, 10, False, 3),
            # Person 2: a young follow-spamming account (a bot).
            (21, 2, created(10), 5, 4000, False, None),
            # Person 3: four old ordinary accounts: as trusted as one of them, no more.
            *[(30 + k, 3, created(400), 10, 10, False, None) for k in range(4)],
        ],
        ACCOUNTS,
    )
    people = spark.createDataFrame(
        [(1, 2_000_000, 40), (2, None, None), (3, None, None), (4, None, None)],
        "person_id long, wikipedia_pageviews long, wikipedia_inlinks long",
    )
    scorable = people.select("person_id")
    rows = {r.person_id: r for r in teleport_prior(accounts, people, scorable, DAY, CFG).collect()}

    half_year = 0.2 + 0.8 * (365 // 2) / 365
    trust1 = (2.0 + half_year) / 2
    offline1 = 0.5 * math.log1p(2000) + 0.5 * math.log1p(4) + 0.3 * 3
    assert rows[1].trust == pytest.approx(trust1)
    assert rows[1].offline == pytest.approx(offline1)
    assert rows[1].prior == pytest.approx(trust1 * (1 + offline1))
    bot = (0.2 + 0.8 * 10 / 365) * 0.1 * 0.3
    assert rows[2].trust == pytest.approx(bot) and rows[2].prior == pytest.approx(bot)
    assert rows[3].trust == pytest.approx(1.0) and rows[3].prior == pytest.approx(1.0)
    # A scorable person without a counted account keeps the floor trust, so still teleports.
    assert rows[4].trust == pytest.approx(0.2) and rows[4].prior == pytest.approx(0.2)
