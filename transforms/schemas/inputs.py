"""The input tables, written by upstream collectors (and by the import and the sample generator)."""

from __future__ import annotations

from pyspark.sql import types as T

from transforms.schemas.spec import DATE, LONG, STR, TS, TableSpec, struct

INTERACTIONS = TableSpec(
    "interactions",
    struct(
        ("event_id", STR),
        ("network", STR),
        ("action", STR),
        ("actor_id", LONG),
        ("target_id", LONG),
        ("content_id", LONG),
        ("topics", T.ArrayType(STR)),
        ("event_ts", TS),
        ("event_date", DATE),
    ),
    ("event_date",),
)
FOLLOWS = TableSpec(
    "follows", struct(("network", STR), ("follower_id", LONG), ("followee_id", LONG))
)
ACCOUNTS = TableSpec(
    "accounts",
    struct(
        ("account_id", LONG),
        ("network", STR),
        ("person_id", LONG),
        ("created_at", TS),
        ("verified", T.BooleanType()),
        ("suspended", T.BooleanType()),
        ("followers_count", LONG),
        ("following_count", LONG),
        ("listed_count", LONG),
        ("posts_count", LONG),
        ("title_seniority", T.IntegerType()),
    ),
)
PEOPLE = TableSpec(
    "people",
    struct(
        ("person_id", LONG),
        ("consent", STR),
        ("birth_year", T.IntegerType()),
        ("wikipedia_pageviews", LONG),
        ("wikipedia_inlinks", LONG),
    ),
)
