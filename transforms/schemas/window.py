"""The daily and window tables: engagements, daily pairs and targets and topics, the kept
window sums, the engagement graph (edges) and the per-network signals."""

from __future__ import annotations

from pyspark.sql import types as T

from transforms.schemas.spec import DATE, DBL, LONG, STR, TS, TableSpec, struct

# One row per accepted interaction, mapped to people (ingest output).
ENGAGEMENTS = TableSpec(
    "engagements",
    struct(
        ("event_id", STR),
        ("network", STR),
        ("action", STR),
        ("actor_person_id", LONG),
        ("target_person_id", LONG),
        ("content_id", LONG),
        ("topics", T.ArrayType(STR)),
        ("event_ts", TS),
        ("event_date", DATE),
    ),
    ("event_date",),
)
# One day's reactions per (actor person, target person, network, action).
DAILY_PAIRS = TableSpec(
    "daily_pairs",
    struct(
        ("event_date", DATE),
        ("actor_person_id", LONG),
        ("target_person_id", LONG),
        ("network", STR),
        ("action", STR),
        ("reactions", LONG),
        ("contents", LONG),
        # People whose first reaction to the target that day came in the clock hour of this
        # actor's (transforms/aggregates.with_crowds): what the burst defence reads.
        ("crowd", LONG),
    ),
    ("event_date",),
    added=("crowd",),
)
# One day's reactors per target person, from its daily_pairs (the burst defences' medians read these
# instead of counting distinct reactors over the whole window every day).
DAILY_TARGETS = TableSpec(
    "daily_targets",
    struct(
        ("event_date", DATE),
        ("target_person_id", LONG),
        ("reactors", LONG),  # distinct actor people that day, any network
        ("peak_crowd", LONG),  # largest daily_pairs.crowd of the day (null: unknown)
    ),
    ("event_date",),
)
# One day's weighted reactions per (target person, topic of the reacted content).
DAILY_TOPICS = TableSpec(
    "daily_topics",
    struct(("event_date", DATE), ("target_person_id", LONG), ("topic", STR), ("weight", DBL)),
    ("event_date",),
)
# The window's decayed pair sums before any defence, per score date: tomorrow's edges stage slides
# them by a day (transforms/window_state.py) instead of re-reading 90 days of daily_pairs. `basis`
# fingerprints the settings they depend on (window, half-life, action weights).
PAIR_WINDOW = TableSpec(
    "pair_window",
    struct(
        ("score_date", DATE),
        ("src", LONG),
        ("dst", LONG),
        ("network", STR),
        ("raw_given", DBL),
        ("reactions_given", DBL),
        ("last_date", DATE),
        ("basis", STR),
    ),
    ("score_date",),
)
# Person-level engagement graph over the window (actor -> target), after decay and selectivity.
EDGES = TableSpec(
    "edges",
    struct(("score_date", DATE), ("src", LONG), ("dst", LONG), ("weight", DBL)),
    ("score_date",),
)
# Per person and network: the reaction evidence received over the window (reactions: decayed count,
# each weighted by its reactor's trust, the engagement-rate numerator).
SIGNALS = TableSpec(
    "signals",
    struct(
        ("score_date", DATE),
        ("person_id", LONG),
        ("network", STR),
        ("signal", DBL),
        ("reactors", LONG),
        ("reactions", DBL),
        # Trusted reactors, each decayed by the age of their latest reaction at a fast, mid and
        # slow half-life (transforms/edges.recency_sums): how recently people engaged.
        ("recent_fast", DBL),
        ("recent_mid", DBL),
        ("recent_slow", DBL),
    ),
    ("score_date",),
    added=("recent_fast", "recent_mid", "recent_slow"),
)
