"""Which rows name a person: the erasure predicates (docs/ERASURE.md).

Erasing a person removes every row that names them or one of their accounts, from every table.
What a column holds is declared here once, by column name (`COLUMN_ROLES`) or, for the few
columns whose name says nothing, by table and column (`TABLE_COLUMN_ROLES`). `check_covered` fails
when a table has an id-shaped column (a 64-bit integer, anything nested holding one, or any map)
that is declared nowhere: a new id column must be classified before erasure can be trusted again.

Pure: no session, no I/O (jobs/erase.py runs the deletes).
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Iterable, Sequence

from pyspark.sql import Column
from pyspark.sql import functions as F
from pyspark.sql import types as T

from transforms.import_formats import int64_field
from transforms.imports import account_id
from transforms.schemas import TableSpec

PERSON = "person"  # a person id: the row names the person
ACCOUNT = "account"  # an account id: the row names the account's person
RECORD = "record"  # a quarantined raw row as JSON (ids inside, see quarantine_condition)
NOT_ID = "not_id"  # a count, a measure, a content id, a version: never a person or account

COLUMN_ROLES: dict[str, str] = {
    "person_id": PERSON,
    "actor_person_id": PERSON,
    "target_person_id": PERSON,
    "src": PERSON,
    "dst": PERSON,  # -1 is the sink (docs/SCORING.md §4), never a person
    "engager_id": PERSON,
    "followee_person_id": PERSON,
    "follower_person_id": PERSON,
    "account_id": ACCOUNT,
    "actor_id": ACCOUNT,
    "target_id": ACCOUNT,
    "follower_id": ACCOUNT,
    "followee_id": ACCOUNT,
    "content_id": NOT_ID,  # a post, not its author (the author is target_id)
    "followers_count": NOT_ID,
    "following_count": NOT_ID,
    "listed_count": NOT_ID,
    "posts_count": NOT_ID,
    "wikipedia_pageviews": NOT_ID,
    "wikipedia_inlinks": NOT_ID,
    "reactions": NOT_ID,
    "contents": NOT_ID,
    "reactors": NOT_ID,
    "followers": NOT_ID,  # counts of the follower graph (follower_counts, audience)
    "real_followers": NOT_ID,
    "follower_reactors": NOT_ID,
    "follows_version": NOT_ID,  # the follows table's Delta version a snapshot was built from
    "crowd": NOT_ID,  # a number of people in an hour (daily_pairs)
    "peak_crowd": NOT_ID,  # the largest such number of a day (daily_targets)
}
# Columns whose role depends on the table (maps and JSON text).
TABLE_COLUMN_ROLES: dict[tuple[str, str], str] = {
    ("quarantine", "record"): RECORD,
    # network name -> part of the score: keys are networks, values scores.
    ("scores", "networks"): NOT_ID,
    ("scores_staged", "networks"): NOT_ID,
    # table name -> version / counter name -> count: the manifest names tables, never people.
    ("runs", "input_versions"): NOT_ID,
    ("runs", "output_versions"): NOT_ID,
    ("runs", "counts"): NOT_ID,
}


class UnclassifiedColumnError(RuntimeError):
    """A table has an id-shaped column whose role erasure does not know."""


def _id_shaped(dtype: T.DataType) -> bool:
    """A type that could hold a person or account id (64-bit integers)."""
    if isinstance(dtype, T.LongType | T.MapType):
        return True
    if isinstance(dtype, T.ArrayType):
        return _id_shaped(dtype.elementType)
    if isinstance(dtype, T.StructType):
        return any(_id_shaped(f.dataType) for f in dtype.fields)
    return False


def role(spec: TableSpec, column: str) -> str | None:
    return TABLE_COLUMN_ROLES.get((spec.name, column), COLUMN_ROLES.get(column))


def check_covered(specs: Iterable[TableSpec]) -> None:
    """Raise UnclassifiedColumnError naming every id-shaped column with no declared role, and
    every PERSON/ACCOUNT role on a column that is not a plain 64-bit integer."""
    problems = []
    for spec in specs:
        for field in spec.schema.fields:
            what = role(spec, field.name)
            if what is None and _id_shaped(field.dataType):
                problems.append(
                    f"{spec.name}.{field.name} ({field.dataType.simpleString()}) has no erasure "
                    "role"
                )
            elif what in (PERSON, ACCOUNT) and not isinstance(field.dataType, T.LongType):
                problems.append(
                    f"{spec.name}.{field.name} is declared a {what} id but is "
                    f"{field.dataType.simpleString()}"
                )
    if problems:
        raise UnclassifiedColumnError(
            "erasure does not know how to handle: "
            + "; ".join(problems)
            + " (declare the column in transforms/erasure.py: COLUMN_ROLES or TABLE_COLUMN_ROLES)"
        )


def columns_with_role(spec: TableSpec, wanted: str) -> list[str]:
    return [c for c in spec.columns if role(spec, c) == wanted]


def names_people(spec: TableSpec) -> bool:
    """Whether rows of the table can name a person (the tables erasure rewrites and vacuums)."""
    return any(role(spec, c) in (PERSON, ACCOUNT, RECORD) for c in spec.columns)


def _any(conditions: Sequence[Column]) -> Column | None:
    return functools.reduce(operator.or_, conditions) if conditions else None


def _in(column: Column, values: Sequence[int]) -> Column:
    # never null: a null id matches nothing (and `~cond` must keep such rows)
    return F.coalesce(column.isin(list(values)), F.lit(False)) if values else F.lit(False)


def quarantine_condition(
    record: Column, account_ids: Sequence[int], networks: Sequence[str]
) -> Column:
    """A quarantined row names one of the accounts.

    Rows from ingest hold the raw interaction as JSON: `actor_id`, `target_id`. Rows from
    `import` hold the raw line (`{"file", "line_no", "line"}`): its integer fields are hashed
    to account ids the way the importer does (transforms.imports.account_id) for each network of
    the accounts, so a bad line that still carries the person's external id is found too.
    """
    conditions = [
        _in(F.get_json_object(record, f"$.{key}").try_cast("bigint"), account_ids)
        for key in ("actor_id", "target_id")
    ]
    if account_ids and networks:
        tokens = F.split(F.coalesce(F.get_json_object(record, "$.line"), F.lit("")), r"\s+")
        ids = F.array(*[F.lit(a).cast("bigint") for a in account_ids])

        def hashed(token: Column) -> Column:
            external = int64_field(token)
            hits = [
                F.coalesce(
                    F.array_contains(ids, account_id(F.lit(n), external)) & external.isNotNull(),
                    F.lit(False),
                )
                for n in networks
            ]
            return functools.reduce(operator.or_, hits)

        conditions.append(F.coalesce(F.exists(tokens, hashed), F.lit(False)))
    return functools.reduce(operator.or_, conditions)


def erase_condition(
    spec: TableSpec,
    person_ids: Sequence[int],
    account_ids: Sequence[int],
    networks: Sequence[str] = (),
) -> Column | None:
    """The rows of `spec` naming one of the people or their accounts (`networks`: the accounts'
    networks, for imported quarantine lines); None when the table has no column that can. Never
    null: rows are kept exactly where it is false."""
    check_covered([spec])
    networks = sorted(set(networks))
    conditions = [_in(F.col(c), person_ids) for c in columns_with_role(spec, PERSON)]
    conditions += [_in(F.col(c), account_ids) for c in columns_with_role(spec, ACCOUNT)]
    conditions += [
        quarantine_condition(F.col(c), account_ids, networks)
        for c in columns_with_role(spec, RECORD)
    ]
    return _any(conditions)
