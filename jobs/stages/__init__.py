"""The daily stages, in run order, with the help text the command line shows."""

from __future__ import annotations

from collections.abc import Callable

from jobs.context import RunContext, StageReport
from jobs.stages import aggregate, audience, edges, ingest, prior, propagate, publish, score

Stage = Callable[[RunContext], StageReport]

# name -> (function, what it does). `daily` runs them top to bottom.
STAGES: dict[str, tuple[Stage, str]] = {
    "ingest": (
        ingest.run,
        "validate the day's raw interactions, dedupe on event_id, quarantine bad rows with a "
        "reason, map accounts to people, drop self-reactions and people who may not be scored "
        "-> engagements, quarantine",
    ),
    "aggregate": (
        aggregate.run,
        "fold the day's engagements into per-pair, per-target and per-topic daily aggregates "
        "-> daily_pairs, daily_targets, daily_topics",
    ),
    "prior": (
        prior.run,
        "teleport prior and trust per scorable person (account age, verified, spam, offline "
        "influence) -> prior",
    ),
    "edges": (
        edges.run,
        "90-day window of daily aggregates (yesterday's window sums slid by a day) with decay, "
        "burst damping, per-pair diminishing returns, pod (mutual) discount, actor selectivity "
        "and reactor trust -> pair_window (the sums), edges (person graph), signals (per network)",
    ),
    "audience": (
        audience.run,
        "the follower graph (a person-level snapshot of follows, rebuilt when that table changes) "
        "joined with the window's reactors: followers, real followers, reactors who follow "
        "-> follower_graph, follower_counts, audience",
    ),
    "propagate": (
        propagate.run,
        "weighted personalized PageRank over the engagement graph, warm-started from the "
        "previous day -> ranks",
    ),
    "score": (
        score.run,
        "combine ranks and signals, calibrate to 1-100, network parts, deltas, percentiles, "
        "topics -> scores_staged, topic_scores_staged",
    ),
    "publish": (
        publish.run,
        "audit the staged scores (ranges, parts add up, only scorable people) and publish the "
        "date -> scores, topic_scores",
    ),
}
