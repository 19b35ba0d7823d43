"""The published tables (scores, topic scores), their staged copies, and the operational tables:
quarantine, the runs manifest, the writer lease."""

from __future__ import annotations

from pyspark.sql import types as T

from transforms.schemas.spec import DATE, DBL, LONG, STR, TS, TableSpec, struct

SCORES = TableSpec(
    "scores",
    struct(
        ("person_id", LONG),
        ("score", DBL),
        ("percentile", DBL),
        ("delta_1d", DBL),
        ("delta_7d", DBL),
        ("networks", T.MapType(STR, DBL)),
        ("top_topics", T.ArrayType(STR)),
        # Main cause of delta_1d: the network whose part moved most that way, and the score term
        # (a key of score.weights) that moved most that way; null without a change.
        ("change_network", STR),
        ("change_signal", STR),
        ("run_id", STR),
        ("algorithm_version", STR),
        ("score_date", DATE),
    ),
    ("score_date",),
)
TOPIC_SCORES = TableSpec(
    "topic_scores",
    struct(
        ("person_id", LONG),
        ("topic", STR),
        ("score", DBL),
        ("run_id", STR),
        ("algorithm_version", STR),
        ("score_date", DATE),
    ),
    ("score_date",),
)
QUARANTINE = TableSpec(
    "quarantine",
    struct(
        ("source", STR),
        ("reason", STR),
        ("record", STR),
        ("run_id", STR),
        ("event_date", DATE),
    ),
    ("source", "event_date"),
)
RUNS = TableSpec(
    "runs",
    struct(
        ("run_id", STR),
        ("score_date", DATE),
        ("stage", STR),
        ("status", STR),
        ("config_hash", STR),
        ("code_version", STR),
        ("algorithm_version", STR),
        ("input_versions", T.MapType(STR, LONG)),
        ("output_versions", T.MapType(STR, LONG)),
        ("counts", T.MapType(STR, LONG)),
        ("started_at", TS),
        ("finished_at", TS),
        ("duration_s", DBL),
        ("message", STR),
    ),
)

# The lake's writer lease (jobs/lake/lease.py): one row per claim or renewal of a writing run.
LEASE = TableSpec(
    "lease",
    struct(
        ("holder", STR),
        ("command", STR),
        ("score_date", DATE),
        ("host", STR),
        ("pid", T.IntegerType()),
        ("claimed_at", TS),
        ("expires_at", TS),
    ),
)

# Write-audit-publish: the score stage writes here; publish audits, then copies to the outputs.
SCORES_STAGED = TableSpec("scores_staged", SCORES.schema, SCORES.partition_by)
TOPIC_SCORES_STAGED = TableSpec(
    "topic_scores_staged", TOPIC_SCORES.schema, TOPIC_SCORES.partition_by
)
