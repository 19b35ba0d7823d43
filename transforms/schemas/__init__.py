"""Every table's schema and partitioning, in one place (this package).

Stages, the table layer, the sample generator and the tests all take schemas from here, so a column
is renamed in exactly one spot. Ids are 64-bit integers throughout. spec.py defines a table's
contract (TableSpec); inputs.py, window.py, model.py and outputs.py hold the tables in the order
the daily job writes them; TABLES lists them all by name.
"""

from __future__ import annotations

from transforms.schemas.inputs import ACCOUNTS, FOLLOWS, INTERACTIONS, PEOPLE
from transforms.schemas.model import (
    AUDIENCE,
    COMPONENTS,
    ENGAGERS,
    FOLLOWER_COUNTS,
    FOLLOWER_GRAPH,
    PRIOR,
    RANKS,
)
from transforms.schemas.outputs import (
    LEASE,
    QUARANTINE,
    RUNS,
    SCORES,
    SCORES_STAGED,
    TOPIC_SCORES,
    TOPIC_SCORES_STAGED,
)
from transforms.schemas.spec import TableSpec
from transforms.schemas.window import (
    DAILY_PAIRS,
    DAILY_TARGETS,
    DAILY_TOPICS,
    EDGES,
    ENGAGEMENTS,
    PAIR_WINDOW,
    SIGNALS,
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
