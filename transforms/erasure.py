"""Which rows name a person: the erasure predicates (docs/ERASURE.md).

Erasing a person removes every row that names them or one of their accounts, from every table.
What a column holds is declared here once, by column name (`COLUMN_ROLES`) or, for the few
columns whose name says nothing, by table and column (`TABLE_COLUMN_ROLES`). `check_covered` fails
when a table has an id-shaped column (a 64-bit integer, anything nested holding one, or any map)
that is declared nowhere: a new id column must be classified before erasure can be trusted again.

Pure: no session, no I/O (jobs/erase.py runs the deletes).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from pyspark.sql import SparkSession
from pyspark.sql import types as T

from transforms.import_formats import INT64_PATTERN
from transforms.imports import ACCOUNT_ID_TAG
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


# The erasure's ids are never written into SQL text: Delta records a statement's predicate in
# its commit log, which outlives the vacuum. They come from a one-row source (`ids_source`) whose
# arrays the predicates name: `s.people` (person ids) and `s.accounts` (account ids).
PEOPLE, ACCOUNTS = "s.people", "s.accounts"


def ids_source(spark: SparkSession, person_ids: Sequence[int], account_ids: Sequence[int]):
    """The one-row source of the erasure predicates: arrays `people` and `accounts`."""
    schema = T.StructType(
        [
            T.StructField("people", T.ArrayType(T.LongType(), False)),
            T.StructField("accounts", T.ArrayType(T.LongType(), False)),
        ]
    )
    return spark.createDataFrame(
        [([int(p) for p in person_ids], [int(a) for a in account_ids])], schema
    )


def _member(value: str, ids: str) -> str:
    # never null: a null id matches nothing (and the rows kept are exactly where it is false)
    return f"coalesce(array_contains({ids}, {value}), false)"


def _sql_string(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


WHITESPACE = _sql_string(r"\s+")  # the importer splits a raw line into fields on this


def quarantine_condition(record: str, networks: Sequence[str]) -> str:
    """SQL: a quarantined row (column `record`) names one of the accounts.

    Rows from ingest hold the raw interaction as JSON: `actor_id`, `target_id`. Rows from
    `import` hold the raw line (`{"file", "line_no", "line"}`): its integer fields are hashed
    to account ids the way the importer does (transforms.imports.account_id) for each network of
    the accounts, so a bad line that still carries the person's external id is found too.
    """
    conditions = [
        _member(f"try_cast(get_json_object({record}, '$.{key}') AS BIGINT)", ACCOUNTS)
        for key in ("actor_id", "target_id")
    ]
    if networks:
        external = (
            f"CASE WHEN trim(w) RLIKE {_sql_string(INT64_PATTERN)} "
            "THEN try_cast(trim(w) AS BIGINT) END"
        )
        hits = " OR ".join(
            _member(
                f"xxhash64({_sql_string(ACCOUNT_ID_TAG)}, {_sql_string(n)}, {external})", ACCOUNTS
            )
            + f" AND ({external}) IS NOT NULL"
            for n in networks
        )
        tokens = f"split(coalesce(get_json_object({record}, '$.line'), ''), {WHITESPACE})"
        conditions.append(f"coalesce(exists({tokens}, w -> {hits}), false)")
    return " OR ".join(f"({c})" for c in conditions)


def erase_condition(spec: TableSpec, networks: Sequence[str] = ()) -> str | None:
    """SQL over the table's rows `t` and the ids source `s` (ids_source): the rows naming one of
    the people or their accounts (`networks`: the accounts' networks, for imported quarantine
    lines); None when the table has no column that can. Never null: rows are kept exactly where
    it is false."""
    check_covered([spec])
    networks = sorted(set(networks))
    conditions = [_member(f"t.`{c}`", PEOPLE) for c in columns_with_role(spec, PERSON)]
    conditions += [_member(f"t.`{c}`", ACCOUNTS) for c in columns_with_role(spec, ACCOUNT)]
    conditions += [
        quarantine_condition(f"t.`{c}`", networks) for c in columns_with_role(spec, RECORD)
    ]
    return " OR ".join(f"({c})" for c in conditions) if conditions else None


def stats_columns(spec: TableSpec) -> list[str] | None:
    """The columns Delta may keep min/max statistics of in its log: none that can name a person
    (the log outlives the vacuum of an erasure). None: the table names nobody (Delta's default)."""
    if not names_people(spec):
        return None
    # The types Delta keeps min/max of (it refuses the others, booleans included).
    indexed = (T.NumericType, T.StringType, T.DateType, T.TimestampType)
    return [
        f.name
        for f in spec.schema.fields
        if role(spec, f.name) not in (PERSON, ACCOUNT, RECORD)
        and f.name not in spec.partition_by
        and isinstance(f.dataType, indexed)
    ]
