"""Erasure: remove people from every table of the lake, history included.

`erase_people(ctx, [person_id, ...])` (also `python -m jobs erase --person ID ...`):

1. looks up the people's accounts in `accounts`;
2. in every table whose rows can name a person (transforms/erasure.py decides from the schemas,
   and refuses a table with an id column it does not know), deletes the rows naming one of the
   people or their accounts, ONE commit per table (Lake.delete_matching, a MERGE: nothing is
   visible before the commit; a table with no such row gets no commit). `accounts` and `people`
   go last, so that a rerun after a crash still finds the accounts whose rows remain elsewhere;
3. vacuums those tables with retention 0: the files that only older versions reference (where the
   erased rows still are) are deleted, so time travel to a version before the erasure ends;
4. appends an `erase` row to the `runs` manifest: how many people were asked for, how many
   accounts were found, rows removed and files deleted per table; never the ids themselves.

A rerun with the same ids finds nothing, commits nothing and deletes no file (idempotent): it is
how to finish an erasure that failed halfway. Scores of *other* people computed before the
erasure (to which the person's reactions contributed) are not recomputed: the next daily run
computes them without the person (docs/ERASURE.md).

It holds the lake's writer lease (jobs/lake/lease.py) throughout: started while a daily run
writes, it waits for that run to finish (`lake.erase_busy_wait_seconds`, then fails with one line)
and erases from what the run wrote, so that no interleaving brings the person back. Readers of
older snapshots (notebooks) may fail once the vacuum deleted their files.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from jobs import manifest
from jobs.context import RunContext, StageReport
from jobs.lake import Lake, isin
from jobs.lake.lease import remove_dead_checkpoints
from transforms.erasure import check_covered, erase_condition, ids_source, names_people
from transforms.schemas import TABLES

log = logging.getLogger("sway")

STAGE = "erase"
# Looked up by the others (account ids), so erased last: see the module doc.
LAST = ("accounts", "people")


class ErasureError(RuntimeError):
    """The erasure stopped; the manifest has a `failed` row. Rerun it: it is idempotent."""


@dataclass
class ErasureReport:
    people: int  # ids asked for
    accounts: int  # their accounts found in `accounts`
    rows: dict[str, int] = field(default_factory=dict)  # rows removed per table
    versions: dict[str, int] = field(default_factory=dict)  # the deleting commit per table
    files_deleted: dict[str, int] = field(default_factory=dict)  # by the vacuum, per table
    other_files: list[str] = field(default_factory=list)  # under the root, outside the tables

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


def erasure_tables() -> list[str]:
    """The tables whose rows can name a person, in erasure order (accounts and people last)."""
    names = [name for name, spec in TABLES.items() if names_people(spec)]
    return [n for n in names if n not in LAST] + [n for n in LAST if n in names]


def _person_ids(person_ids: Iterable[int]) -> list[int]:
    if isinstance(person_ids, str | bytes | int):
        raise ErasureError("person_ids: expected a sequence of person ids")
    ids = set()
    for value in person_ids:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ErasureError(f"person ids are 64-bit integers, got a {type(value).__name__}")
        ids.add(value)
    if not ids:
        raise ErasureError("no person id given")
    return sorted(ids)


def other_files(lake: Lake) -> list[str]:
    """Files under a local lake root that belong to no table (sample files, reports): erasure
    does not rewrite them; they are listed so that an operator can deal with them."""
    root = lake.root
    if "://" in root and not root.startswith("file:"):
        return []
    root = root.removeprefix("file:")
    if not os.path.isdir(root):
        return []
    found = []
    for folder, dirs, names in os.walk(root):
        if folder == root:
            dirs[:] = sorted(d for d in dirs if d not in TABLES)
        found += [os.path.relpath(os.path.join(folder, n), root) for n in sorted(names)]
    return found


def erase_people(
    ctx: RunContext, person_ids: Iterable[int], *, vacuum: bool = True
) -> ErasureReport:
    """Remove the people and their accounts from every table, then the old files (see the module
    doc). `vacuum=False` leaves the old versions readable (only for tests and dry checks: the
    erasure is not complete until a vacuum ran). Raises ErasureError (after a `failed` manifest
    row) when a step fails; rerun it."""
    ids = _person_ids(person_ids)
    check_covered(TABLES.values())  # before anything is changed
    with ctx.writing(STAGE, wait=ctx.config.lake.erase_busy_wait_seconds):
        return _erase(ctx, ids, vacuum)


def _remove(ctx: RunContext, ids: list[int], vacuum: bool, report: ErasureReport) -> Iterator[str]:
    """The erasure's steps, each named (yielded) before it runs: a failure names its step."""
    lake, tables = ctx.lake, erasure_tables()
    yield "accounts lookup"
    account_ids, networks = _accounts_of(lake, ids)
    report.accounts = len(account_ids)
    source = ids_source(ctx.spark, ids, account_ids)
    for name in tables:
        yield f"delete from {name}"
        matched, version = _delete_from(lake, name, source, networks)
        if version is not None:
            report.versions[name] = version
        if matched is not None:
            report.rows[name] = matched  # once committed: a failed row counts what was removed
            log.info("erase: %s: %d rows removed", name, matched)
    if not vacuum:
        return
    # Every table in scope, changed now or not: a rerun after a crash between the deletes and
    # here must still remove the old files.
    for name in tables:
        yield f"vacuum {name}"
        deleted = lake.vacuum(name, 0.0, changed=name in report.versions)
        if deleted is not None:
            report.files_deleted[name] = deleted
    # Propagation checkpoints of earlier (killed) runs hold ranks by person id.
    yield "checkpoints"
    report.files_deleted["_checkpoints"] = remove_dead_checkpoints(lake)


def _erase(ctx: RunContext, ids: list[int], vacuum: bool) -> ErasureReport:
    started, clock = dt.datetime.now(dt.UTC), time.perf_counter()
    report = ErasureReport(people=len(ids), accounts=0)
    stage = StageReport(inputs=ctx.versions(*erasure_tables()))
    step = "start"
    try:
        for step in _remove(ctx, ids, vacuum, report):
            log.debug("erase: %s", step)
    except Exception as error:
        # The message names the step and the error type only: Spark's own messages can quote
        # the predicate, and the manifest must not keep the ids.
        message = f"{step}: {type(error).__name__}"
        stage.counts = _counts(report)
        manifest.record(ctx, STAGE, "failed", stage, started, dt.datetime.now(dt.UTC), message)
        log.error("erase: FAILED at %s after %.1fs", message, time.perf_counter() - clock)
        raise ErasureError(f"erasure failed at {message}; rerun it (it is idempotent)") from error
    report.other_files = other_files(ctx.lake)
    stage.counts, stage.outputs = _counts(report), dict(report.versions)
    manifest.record(ctx, STAGE, "succeeded", stage, started, dt.datetime.now(dt.UTC))
    _log_done(report, time.perf_counter() - clock)
    return report


def _log_done(report: ErasureReport, seconds: float) -> None:
    log.info(
        "erase: %d people, %d accounts: %d rows removed from %d tables, %d old files deleted, "
        "in %.1fs", report.people, report.accounts, report.total_rows,
        sum(1 for n in report.rows.values() if n), sum(report.files_deleted.values()), seconds,
    )  # fmt: skip
    if report.other_files:
        log.warning(
            "erase: %d files under the lake root belong to no table and were not changed "
            "(sample files, reports; delete or regenerate them if they may name the people): %s",
            len(report.other_files), ", ".join(report.other_files[:20]),
        )  # fmt: skip


def _accounts_of(lake: Lake, ids: list[int]) -> tuple[list[int], list[str]]:
    """The people's account ids and those accounts' networks, from `accounts`."""
    if not lake.exists("accounts"):
        return [], []
    found = (
        lake.read("accounts")
        .where(isin("person_id", ids))
        .select("account_id", "network")
        .distinct()
        .collect()
    )
    accounts = sorted({r["account_id"] for r in found if r["account_id"] is not None})
    return accounts, sorted({r["network"] for r in found if r["network"] is not None})


def _delete_from(
    lake: Lake, name: str, source: DataFrame, networks: list[str]
) -> tuple[int | None, int | None]:
    """Delete a table's rows naming the people: (rows matched, the deleting commit); (None,
    None) when the table is absent or cannot name anyone."""
    condition = erase_condition(TABLES[name], networks)
    if condition is None or not lake.exists(name):
        return None, None
    # Counted on the version the delete starts from; a rerun finds 0 and commits nothing.
    rows = lake.read(name).alias("t").crossJoin(source.alias("s"))
    matched = rows.where(F.expr(condition)).count()
    version = lake.delete_matching(name, source, condition) if matched else None
    return matched, version


def _counts(report: ErasureReport) -> dict[str, int]:
    counts = {"people": report.people, "accounts": report.accounts, "rows": report.total_rows}
    counts.update({f"rows.{name}": n for name, n in report.rows.items()})
    counts.update({f"files_deleted.{name}": n for name, n in report.files_deleted.items()})
    return counts
