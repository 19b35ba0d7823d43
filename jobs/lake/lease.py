"""One writing run per lake at a time: the writer lease, and the sweep after a killed run.

Delta resolves concurrent commits table by table, but a run writes some twenty tables over
minutes: two runs of a date interleaved would each commit consistent tables and still duplicate
rows between them (appends do not conflict). So writing runs take the lake's lease first.

A claim is a row appended to the `lease` table in its own Delta commit, tagged with the claim's
holder id. Delta orders commits totally: the live claim with the earliest commit holds the lake;
every later claimant deletes its claim and waits (`lake.busy_wait_seconds`) or fails with one
line naming the holder. A claim is live until `lake.lease_minutes` after its last renewal (each
stage renews it) and, on the claimant's own host, only while its process lives: a run killed
here is taken over at once, one killed on another host after the lapse.

Whoever takes over a dead claim sweeps what the dead run may have left: Parquet files written and
never committed (a VACUUM with retention 0 of every table, which also ends time travel to the
versions before) and, for a local lake, its propagation checkpoints. Nothing of a killed write
then survives, on disk or for `erase`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import shutil
import socket
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

from pyspark.sql import functions as F

from jobs.lake.errors import ConcurrentWriteError, LakeBusyError, sql_in
from jobs.lake.table import Lake
from transforms.schemas import TABLES

log = logging.getLogger("sway")

TABLE = "lease"
HISTORY_DEPTH = 500  # commits searched for the claims' order (a few per run)
POLL_SECONDS = 5.0  # between two claims while waiting for a busy lake
RETRIES = 5  # a withdrawal or a sweep retried on a concurrent commit
RENEW_EVERY = 0.125  # of lake.lease_minutes: a claim is renewed at most this often


@dataclass(frozen=True)
class Claim:
    holder: str
    command: str
    score_date: dt.date | None
    host: str
    pid: int
    claimed_at: dt.datetime
    expires_at: dt.datetime
    version: int  # the Delta commit of the first claim: the order among claimants

    def live(self, now: dt.datetime) -> bool:
        if self.expires_at <= now:
            return False
        return self.host != socket.gethostname() or _process_alive(self.pid)

    def describe(self) -> str:
        date = f" --date {self.score_date}" if self.score_date else ""
        return (
            f"`{self.command}{date}` (pid {self.pid} on {self.host}, since "
            f"{self.claimed_at:%Y-%m-%d %H:%M:%S} UTC)"
        )


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    return True


def _utc(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


class WriterLease:
    """The lake's lease for one run: `acquire()`, `renew()` at each stage, `release()`."""

    def __init__(
        self, lake: Lake, command: str, score_date: dt.date | None, minutes: float, wait: float
    ) -> None:
        self.lake, self.command, self.score_date = lake, command, score_date
        self.minutes, self.wait = minutes, wait
        self.holder = uuid.uuid4().hex
        self._renewed = 0.0

    def acquire(self) -> None:
        deadline = time.monotonic() + self.wait
        while True:
            holder, dead = self._claim()
            if holder is None:
                break
            if time.monotonic() >= deadline:
                raise LakeBusyError(
                    f"lake {self.lake.root} is busy: {holder.describe()} is writing it; "
                    f"`{self.command}` did not start (rerun it once that run has finished)"
                )
            log.info("lease: waiting for %s", holder.describe())
            time.sleep(POLL_SECONDS)
        if dead:
            self._sweep(dead)

    def renew(self) -> None:
        """Push the claim's expiry forward (a commit), at most every RENEW_EVERY of the lease:
        stages start every few seconds on small lakes."""
        if time.monotonic() - self._renewed >= self.minutes * 60 * RENEW_EVERY:
            self._append()

    def release(self) -> None:
        self._delete([self.holder])

    def _append(self) -> None:
        self._renewed = time.monotonic()
        now = dt.datetime.now(dt.UTC)
        row = (
            self.holder, self.command, self.score_date, socket.gethostname(), os.getpid(),
            now, now + dt.timedelta(minutes=self.minutes),
        )  # fmt: skip
        frame = self.lake.spark.createDataFrame([row], TABLES[TABLE].schema)
        self.lake.append(TABLE, frame, token=self.holder)

    def _claim(self) -> tuple[Claim | None, list[Claim]]:
        """Claim; (the live holder if it is not us, the dead claims we took over)."""
        self._append()
        now = dt.datetime.now(dt.UTC)
        claims = self._claims()
        live = sorted((c for c in claims if c.live(now)), key=lambda c: c.version)
        first = live[0] if live else None
        if first is not None and first.holder != self.holder:
            self._delete([self.holder])
            return first, []
        dead = [c for c in claims if not c.live(now)]
        if dead:
            self._delete([c.holder for c in dead])
        return None, dead

    def _claims(self) -> list[Claim]:
        # The rows first, the history after: every claim read then has its commit in the history
        # (read the other way round, a claim committed in between would have no order).
        rows = (
            self.lake.read(TABLE)
            .groupBy("holder")
            .agg(
                F.first("command").alias("command"),
                F.first("score_date").alias("score_date"),
                F.first("host").alias("host"),
                F.first("pid").alias("pid"),
                F.min("claimed_at").alias("claimed_at"),
                F.max("expires_at").alias("expires_at"),
            )
            .collect()
        )
        order: dict[str, int] = {}
        for row in self.lake.history(TABLE, HISTORY_DEPTH):
            if row["userMetadata"]:
                order[row["userMetadata"]] = int(row["version"])  # newest first: ends on the first
        return [
            Claim(
                r["holder"],
                r["command"],
                r["score_date"],
                r["host"],
                int(r["pid"]),
                _utc(r["claimed_at"]),
                _utc(r["expires_at"]),
                order.get(r["holder"], -1),
            )  # fmt: skip
            for r in rows
        ]

    def _delete(self, holders: list[str]) -> None:
        for attempt in range(RETRIES):
            try:
                self.lake.delete_rows(TABLE, sql_in("holder", holders))
                return
            except ConcurrentWriteError:
                if attempt == RETRIES - 1:
                    raise
                time.sleep(0.2 * (attempt + 1))

    def _sweep(self, dead: list[Claim]) -> None:
        """Delete every file a dead run wrote and never committed (and its checkpoints)."""
        clock = time.perf_counter()
        files = 0
        for name in TABLES:
            if name != TABLE:
                files += self.lake.vacuum(name, 0.0) or 0
        checkpoints = remove_dead_checkpoints(self.lake)
        log.warning(
            "lease: took the lake over from %s, which died; swept %d uncommitted or old files "
            "and %d checkpoint folders in %.1fs",
            ", ".join(c.describe() for c in dead),
            files,
            checkpoints,
            time.perf_counter() - clock,
        )


def remove_dead_checkpoints(lake: Lake) -> int:
    """Delete the checkpoint folders under a local lake's `_checkpoints` but this session's
    (a dead run's hold its ranks); the count. Remote lakes: left to the store's lifecycle rules."""
    root = lake.root.removeprefix("file:")
    folder = os.path.join(root, "_checkpoints")
    if "://" in root or not os.path.isdir(folder):
        return 0
    own = ""
    try:
        own = lake.spark.sparkContext.getCheckpointDir() or ""
    except Exception:  # Spark Connect: the server's own folder is not known here
        return 0
    removed = 0
    for name in os.listdir(folder):
        path = os.path.join(folder, name)
        if os.path.isdir(path) and not own.rstrip("/").endswith(name):
            shutil.rmtree(path, ignore_errors=True)
            removed += 1
    return removed


@contextlib.contextmanager
def holding_lease(
    lake: Lake, command: str, score_date: dt.date | None, minutes: float, wait: float
) -> Iterator[WriterLease]:
    """Hold the lake's lease for the block (re-entrant: an inner block reuses the outer's)."""
    if lake.lease is not None:
        yield lake.lease
        return
    lease = WriterLease(lake, command, score_date, minutes, wait)
    lease.acquire()
    lake.lease = lease
    try:
        yield lease
    finally:
        lake.lease = None
        try:
            lease.release()
        except Exception as error:  # noqa: BLE001 - never hide the run's own outcome
            log.warning("lease: could not release the claim (%s); it lapses on its own", error)
