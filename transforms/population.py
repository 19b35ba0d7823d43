"""Who may be scored: consent, age and account status.

People who opted out, minors and people whose every account is suspended are never scored; suspended
accounts never count, neither as actor nor as target.
"""

from __future__ import annotations

import datetime as dt

from pyspark.sql import DataFrame
from pyspark.sql import functions as F


def scorable_people(
    people: DataFrame, accounts: DataFrame, score_date: dt.date, min_age: int
) -> DataFrame:
    """person_id of every person who may be scored on `score_date`.

    Consent must be an explicit `opted_in` (a null consent is not consent). An unknown birth year
    counts as adult; a known one must be at least `min_age` years before the score date's year.
    The person must own at least one account that is not suspended.
    """
    adults = people.where(
        (F.col("consent") == F.lit("opted_in"))
        & (
            F.col("birth_year").isNull()
            | (F.lit(score_date.year) - F.col("birth_year") >= F.lit(min_age))
        )
    ).select(F.col("person_id"))
    with_live_account = (
        accounts.where(~F.coalesce(F.col("suspended"), F.lit(False)))
        .select(F.col("person_id"))
        .distinct()
    )
    return adults.join(with_live_account, on="person_id", how="inner").distinct()


def scorable_accounts(accounts: DataFrame, people: DataFrame) -> DataFrame:
    """Accounts that count: not suspended and owned by a scorable person (`people` = person_id)."""
    return accounts.where(~F.coalesce(F.col("suspended"), F.lit(False))).join(
        people.select(F.col("person_id")), on="person_id", how="left_semi"
    )
