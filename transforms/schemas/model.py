"""The scoring model's tables: the follower graph and audience, the prior, the ranks, each score's
components and top engagers."""

from __future__ import annotations

from pyspark.sql import types as T

from transforms.schemas.spec import DATE, DBL, LONG, TableSpec, struct

# The follower graph between people, rebuilt from `follows` only when its Delta version changes
# (follows_version), laid out by followee bucket (pmod(xxhash64(followee), audience.buckets)) so a
# day's reactors join it bucket by bucket without shuffling it (transforms/audience.py).
# follower_real: the follower looks like a real account (not suspended, not follow-spam, not young
# and silent) on the day the snapshot was built.
FOLLOWER_GRAPH = TableSpec(
    "follower_graph",
    struct(
        ("followee_bucket", T.IntegerType()),
        ("followee_person_id", LONG),
        ("follower_person_id", LONG),
        ("follower_real", T.BooleanType()),
        ("follows_version", LONG),
    ),
    ("followee_bucket",),
)
# Per person, their followers in that snapshot: counted once per snapshot, not every day.
FOLLOWER_COUNTS = TableSpec(
    "follower_counts",
    struct(
        ("person_id", LONG),
        ("followers", LONG),
        ("real_followers", LONG),
        ("follows_version", LONG),
    ),
    ("follows_version",),
)
# Per score date and person: followers (snapshot) and the window's reactors, split by whether they
# follow the person. No rows for a date when the lake has no follower graph.
AUDIENCE = TableSpec(
    "audience",
    struct(
        ("score_date", DATE),
        ("person_id", LONG),
        ("followers", LONG),
        ("real_followers", LONG),
        ("reactors", LONG),
        ("follower_reactors", LONG),
    ),
    ("score_date",),
)
# Teleport prior of the personalized PageRank; one row per scorable person.
PRIOR = TableSpec(
    "prior",
    struct(
        ("score_date", DATE),
        ("person_id", LONG),
        ("prior", DBL),
        ("offline", DBL),
        ("trust", DBL),
    ),
    ("score_date",),
)
RANKS = TableSpec(
    "ranks",
    struct(("score_date", DATE), ("person_id", LONG), ("rank", DBL)),
    ("score_date",),
)

# Each term of the raw score per person: what the score is made of (and, the day after, why it
# changed).
COMPONENTS = TableSpec(
    "components",
    struct(
        ("score_date", DATE),
        ("person_id", LONG),
        ("raw", DBL),
        ("influence", DBL),
        ("reactions", DBL),
        ("engagement_rate", DBL),
        ("offline", DBL),
        ("audience", DBL),
        ("ratio", DBL),
        ("recent_fast", DBL),
        ("recent_mid", DBL),
        ("recent_slow", DBL),
        ("active_days", DBL),
        # The follower-graph terms: null where the lake has no follower graph (absent, not 0).
        ("reach", DBL),
        ("audience_engagement", DBL),
        ("audience_quality", DBL),
    ),
    ("score_date",),
    added=(
        "recent_fast",
        "recent_mid",
        "recent_slow",
        "active_days",
        "reach",
        "audience_engagement",
        "audience_quality",
    ),  # fmt: skip
)
# The people whose reactions pass a person the most propagated influence (top N per person).
ENGAGERS = TableSpec(
    "engagers",
    struct(
        ("score_date", DATE),
        ("person_id", LONG),
        ("engager_id", LONG),
        ("position", T.IntegerType()),
        ("share", DBL),
    ),
    ("score_date",),
)
