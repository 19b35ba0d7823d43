"""Every table's schema and partitioning, in one place.

Stages, the table layer, the sample generator and the tests all take schemas from here, so a column
is renamed in exactly one spot. Ids are 64-bit integers throughout.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql import types as T


@dataclass(frozen=True)
class TableSpec:
    """A Delta table's contract: name under the lake root, schema and partition columns.

    `added`: columns added to the schema after tables were first written with it. The table layer
    adds them to an existing table before writing, and reads older rows and versions without them
    as null; any other missing column is an error."""

    name: str
    schema: T.StructType
    partition_by: tuple[str, ...] = ()
    added: tuple[str, ...] = ()

    @property
    def columns(self) -> list[str]:
        return [field.name for field in self.schema.fields]

    @property
    def date_column(self) -> str:
        """The column that dates a row: its date partition column (score_date or event_date),
        else a score_date column."""
        dated = [c for c in self.partition_by if c in ("score_date", "event_date")]
        if dated:
            return dated[0]
        if "score_date" in self.columns:
            return "score_date"
        raise ValueError(f"table {self.name!r} has no date column")


def _struct(*fields: tuple[str, T.DataType]) -> T.StructType:
    # Every column nullable: validity is checked by the stages (bad rows are quarantined with a
    # reason), not by a NOT NULL constraint that would fail the whole write.
    return T.StructType([T.StructField(name, dtype, nullable=True) for name, dtype in fields])


_LONG, _STR, _DBL, _DATE, _TS = (
    T.LongType(),
    T.StringType(),
    T.DoubleType(),
    T.DateType(),
    T.TimestampType(),
)

# ---------------------------------------------------------------- inputs (upstream collectors)
INTERACTIONS = TableSpec(
    "interactions",
    _struct(
        ("event_id", _STR),
        ("network", _STR),
        ("action", _STR),
        ("actor_id", _LONG),
        ("target_id", _LONG),
        ("content_id", _LONG),
        ("topics", T.ArrayType(_STR)),
        ("event_ts", _TS),
        ("event_date", _DATE),
    ),
    ("event_date",),
)
FOLLOWS = TableSpec(
    "follows", _struct(("network", _STR), ("follower_id", _LONG), ("followee_id", _LONG))
)
ACCOUNTS = TableSpec(
    "accounts",
    _struct(
        ("account_id", _LONG),
        ("network", _STR),
        ("person_id", _LONG),
        ("created_at", _TS),
        ("verified", T.BooleanType()),
        ("suspended", T.BooleanType()),
        ("followers_count", _LONG),
        ("following_count", _LONG),
        ("listed_count", _LONG),
        ("posts_count", _LONG),
        ("title_seniority", T.IntegerType()),
    ),
)
PEOPLE = TableSpec(
    "people",
    _struct(
        ("person_id", _LONG),
        ("consent", _STR),
        ("birth_year", T.IntegerType()),
        ("wikipedia_pageviews", _LONG),
        ("wikipedia_inlinks", _LONG),
    ),
)

# ---------------------------------------------------------------- intermediates
# One row per accepted interaction, mapped to people (ingest output).
ENGAGEMENTS = TableSpec(
    "engagements",
    _struct(
        ("event_id", _STR),
        ("network", _STR),
        ("action", _STR),
        ("actor_person_id", _LONG),
        ("target_person_id", _LONG),
        ("content_id", _LONG),
        ("topics", T.ArrayType(_STR)),
        ("event_ts", _TS),
        ("event_date", _DATE),
    ),
    ("event_date",),
)
# One day's reactions per (actor person, target person, network, action).
DAILY_PAIRS = TableSpec(
    "daily_pairs",
    _struct(
        ("event_date", _DATE),
        ("actor_person_id", _LONG),
        ("target_person_id", _LONG),
        ("network", _STR),
        ("action", _STR),
        ("reactions", _LONG),
        ("contents", _LONG),
        # People whose first reaction to the target that day came in the clock hour of this
        # actor's (transforms/aggregates.with_crowds): what the burst defence reads.
        ("crowd", _LONG),
    ),
    ("event_date",),
    added=("crowd",),
)
# One day's reactors per target person, from its daily_pairs (the burst defences' medians read these
# instead of counting distinct reactors over the whole window every day).
DAILY_TARGETS = TableSpec(
    "daily_targets",
    _struct(
        ("event_date", _DATE),
        ("target_person_id", _LONG),
        ("reactors", _LONG),  # distinct actor people that day, any network
        ("peak_crowd", _LONG),  # largest daily_pairs.crowd of the day (null: unknown)
    ),
    ("event_date",),
)
# One day's weighted reactions per (target person, topic of the reacted content).
DAILY_TOPICS = TableSpec(
    "daily_topics",
    _struct(("event_date", _DATE), ("target_person_id", _LONG), ("topic", _STR), ("weight", _DBL)),
    ("event_date",),
)
# The window's decayed pair sums before any defence, per score date: tomorrow's edges stage slides
# them by a day (transforms/window_state.py) instead of re-reading 90 days of daily_pairs. `basis`
# fingerprints the settings they depend on (window, half-life, action weights).
PAIR_WINDOW = TableSpec(
    "pair_window",
    _struct(
        ("score_date", _DATE),
        ("src", _LONG),
        ("dst", _LONG),
        ("network", _STR),
        ("raw_given", _DBL),
        ("reactions_given", _DBL),
        ("last_date", _DATE),
        ("basis", _STR),
    ),
    ("score_date",),
)
# Person-level engagement graph over the window (actor -> target), after decay and selectivity.
EDGES = TableSpec(
    "edges",
    _struct(("score_date", _DATE), ("src", _LONG), ("dst", _LONG), ("weight", _DBL)),
    ("score_date",),
)
# Per person and network: the reaction evidence received over the window (reactions: decayed count,
# each weighted by its reactor's trust, the engagement-rate numerator).
SIGNALS = TableSpec(
    "signals",
    _struct(
        ("score_date", _DATE),
        ("person_id", _LONG),
        ("network", _STR),
        ("signal", _DBL),
        ("reactors", _LONG),
        ("reactions", _DBL),
        # Trusted reactors, each decayed by the age of their latest reaction at a fast, mid and
        # slow half-life (transforms/edges.recency_sums): how recently people engaged.
        ("recent_fast", _DBL),
        ("recent_mid", _DBL),
        ("recent_slow", _DBL),
    ),
    ("score_date",),
    added=("recent_fast", "recent_mid", "recent_slow"),
)
# The follower graph between people, rebuilt from `follows` only when its Delta version changes
# (follows_version), laid out by followee bucket (pmod(xxhash64(followee), audience.buckets)) so a
# day's reactors join it bucket by bucket without shuffling it (transforms/audience.py).
# follower_real: the follower looks like a real account (not suspended, not follow-spam, not young
# and silent) on the day the snapshot was built.
FOLLOWER_GRAPH = TableSpec(
    "follower_graph",
    _struct(
        ("followee_bucket", T.IntegerType()),
        ("followee_person_id", _LONG),
        ("follower_person_id", _LONG),
        ("follower_real", T.BooleanType()),
        ("follows_version", _LONG),
    ),
    ("followee_bucket",),
)
# Per person, their followers in that snapshot: counted once per snapshot, not every day.
FOLLOWER_COUNTS = TableSpec(
    "follower_counts",
    _struct(
        ("person_id", _LONG),
        ("followers", _LONG),
        ("real_followers", _LONG),
        ("follows_version", _LONG),
    ),
    ("follows_version",),
)
# Per score date and person: followers (snapshot) and the window's reactors, split by whether they
# follow the person. No rows for a date when the lake has no follower graph.
AUDIENCE = TableSpec(
    "audience",
    _struct(
        ("score_date", _DATE),
        ("person_id", _LONG),
        ("followers", _LONG),
        ("real_followers", _LONG),
        ("reactors", _LONG),
        ("follower_reactors", _LONG),
    ),
    ("score_date",),
)
# Teleport prior of the personalized PageRank; one row per scorable person.
PRIOR = TableSpec(
    "prior",
    _struct(
        ("score_date", _DATE),
        ("person_id", _LONG),
        ("prior", _DBL),
        ("offline", _DBL),
        ("trust", _DBL),
    ),
    ("score_date",),
)
RANKS = TableSpec(
    "ranks",
    _struct(("score_date", _DATE), ("person_id", _LONG), ("rank", _DBL)),
    ("score_date",),
)

# Each term of the raw score per person: what the score is made of (and, the day after, why it
# changed).
COMPONENTS = TableSpec(
    "components",
    _struct(
        ("score_date", _DATE),
        ("person_id", _LONG),
        ("raw", _DBL),
        ("influence", _DBL),
        ("reactions", _DBL),
        ("engagement_rate", _DBL),
        ("offline", _DBL),
        ("audience", _DBL),
        ("ratio", _DBL),
        ("recent_fast", _DBL),
        ("recent_mid", _DBL),
        ("recent_slow", _DBL),
        ("active_days", _DBL),
        # The follower-graph terms: null where the lake has no follower graph (absent, not 0).
        ("reach", _DBL),
        ("audience_engagement", _DBL),
        ("audience_quality", _DBL),
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
    _struct(
        ("score_date", _DATE),
        ("person_id", _LONG),
        ("engager_id", _LONG),
        ("position", T.IntegerType()),
        ("share", _DBL),
    ),
    ("score_date",),
)
# ---------------------------------------------------------------- outputs
SCORES = TableSpec(
    "scores",
    _struct(
        ("person_id", _LONG),
        ("score", _DBL),
        ("percentile", _DBL),
        ("delta_1d", _DBL),
        ("delta_7d", _DBL),
        ("networks", T.MapType(_STR, _DBL)),
        ("top_topics", T.ArrayType(_STR)),
        # Main cause of delta_1d: the network whose part moved most that way, and the score term
        # (a key of score.weights) that moved most that way; null without a change.
        ("change_network", _STR),
        ("change_signal", _STR),
        ("run_id", _STR),
        ("algorithm_version", _STR),
        ("score_date", _DATE),
    ),
    ("score_date",),
)
TOPIC_SCORES = TableSpec(
    "topic_scores",
    _struct(
        ("person_id", _LONG),
        ("topic", _STR),
        ("score", _DBL),
        ("run_id", _STR),
        ("algorithm_version", _STR),
        ("score_date", _DATE),
    ),
    ("score_date",),
)
QUARANTINE = TableSpec(
    "quarantine",
    _struct(
        ("source", _STR),
        ("reason", _STR),
        ("record", _STR),
        ("run_id", _STR),
        ("event_date", _DATE),
    ),
    ("source", "event_date"),
)
RUNS = TableSpec(
    "runs",
    _struct(
        ("run_id", _STR),
        ("score_date", _DATE),
        ("stage", _STR),
        ("status", _STR),
        ("config_hash", _STR),
        ("code_version", _STR),
        ("algorithm_version", _STR),
        ("input_versions", T.MapType(_STR, _LONG)),
        ("output_versions", T.MapType(_STR, _LONG)),
        ("counts", T.MapType(_STR, _LONG)),
        ("started_at", _TS),
        ("finished_at", _TS),
        ("duration_s", _DBL),
        ("message", _STR),
    ),
)

# The lake's writer lease (jobs/lake/lease.py): one row per claim or renewal of a writing run.
LEASE = TableSpec(
    "lease",
    _struct(
        ("holder", _STR),
        ("command", _STR),
        ("score_date", _DATE),
        ("host", _STR),
        ("pid", T.IntegerType()),
        ("claimed_at", _TS),
        ("expires_at", _TS),
    ),
)

# Write-audit-publish: the score stage writes here; publish audits, then copies to the outputs.
SCORES_STAGED = TableSpec("scores_staged", SCORES.schema, SCORES.partition_by)
TOPIC_SCORES_STAGED = TableSpec(
    "topic_scores_staged", TOPIC_SCORES.schema, TOPIC_SCORES.partition_by
)

TABLES: dict[str, TableSpec] = {
    spec.name: spec
    for spec in (
        INTERACTIONS,
        FOLLOWS,
        ACCOUNTS,
        PEOPLE,
        ENGAGEMENTS,
        DAILY_PAIRS,
        DAILY_TOPICS,
        DAILY_TARGETS,
        PAIR_WINDOW,
        EDGES,
        SIGNALS,
        FOLLOWER_GRAPH,
        FOLLOWER_COUNTS,
        AUDIENCE,
        PRIOR,
        COMPONENTS,
        ENGAGERS,
        RANKS,
        SCORES,
        TOPIC_SCORES,
        SCORES_STAGED,
        TOPIC_SCORES_STAGED,
        QUARANTINE,
        RUNS,
        LEASE,
    )
}
