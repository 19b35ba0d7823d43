"""Deterministic sample data: writes the four input Delta tables (people, accounts, follows,
interactions) under a lake root, plus the planted truth in `<lake>/_sample/`.

    python scripts/generate.py --size {tiny,small,medium} [--seed 7] [--lake lake]
                               [--end-date 2026-11-20] [--days N]

No Spark: numpy draws the world (scripts/sample_world.py), scripts/sample_tables.py turns it into
Arrow tables, and this module writes them with delta-rs. Interactions are written one day at a time
(overwrite, then append) so memory stays bounded at the `medium` size.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import sys
import time
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from deltalake import write_deltalake

if __package__ in (None, ""):  # run as a script: make the repo root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from jobs.lake.table import table_properties  # noqa: E402
from scripts.sample_days import day_events  # noqa: E402
from scripts.sample_gaming import KINDS  # noqa: E402
from scripts.sample_tables import (  # noqa: E402
    accounts_table,
    arrow_schema,
    follows_table,
    interactions_table,
    people_table,
    topic_lists,
)
from scripts.sample_world import SIZES, build_world, load_networks  # noqa: E402
from transforms.schemas import ACCOUNTS, FOLLOWS, INTERACTIONS, PEOPLE, TableSpec  # noqa: E402

__all__ = ["DEFAULT_END_DATE", "arrow_schema", "generate", "main"]

# A fixed default end date keeps runs reproducible whatever day they happen on.
DEFAULT_END_DATE = date(2026, 11, 20)


def _write_days(root: Path, world, seed: int, dates: list[date], networks) -> tuple[int, dict]:
    """Every day's interactions, appended in date order: (rows written, planted rows by kind).
    Day i is written by a background thread (delta-rs releases the GIL) while day i + 1 is
    drawn; writes stay strictly in order: overwrite first, then appends."""
    topics = topic_lists(world)
    n_events, planted_rows = 0, dict[str, int]()
    with ThreadPoolExecutor(max_workers=1) as writer:
        pending: Future[int] | None = None
        for i, day in enumerate(dates):
            events = day_events(world, seed, day, networks)
            table = interactions_table(events, day, networks, topics)
            for kind, n in events.planted.items():
                planted_rows[kind] = planted_rows.get(kind, 0) + n
            del events
            if pending is not None:
                n_events += pending.result()
            pending = writer.submit(
                _write, root, INTERACTIONS, table, "overwrite" if i == 0 else "append"
            )
            del table
        n_events += pending.result() if pending is not None else 0
    return n_events, planted_rows


def _write_planted(root: Path, world) -> Path:
    """_sample/planted.parquet: each person's planted influence and kind (the evaluation's key)."""
    sample = root / "_sample"
    sample.mkdir(parents=True, exist_ok=True)
    planted = pa.table(
        {
            "person_id": world.person_id,
            "influence": world.influence,
            "kind": pa.array(KINDS).take(pa.array(world.gaming.kind)),
        }
    )
    pq.write_table(planted, sample / "planted.parquet")
    return sample / "planted.parquet"


def generate(
    size: str,
    lake_root: str,
    seed: int = 7,
    end_date: date | None = None,
    days: int | None = None,
    gaming: bool = True,
) -> dict[str, Any]:
    """Write the sample lake and return a summary (counts per table, dates, planted file).

    gaming: plant the gaming scenarios (scripts/sample_gaming.py; on by default)."""
    started = time.perf_counter()
    if size not in SIZES:
        raise ValueError(f"size must be one of {sorted(SIZES)}, got {size!r}")
    if days is not None and days < 1:
        raise ValueError(f"days must be >= 1, got {days}")
    spec = SIZES[size]
    end = end_date or DEFAULT_END_DATE
    n_days = days or spec.days
    dates = [end - timedelta(days=n_days - 1 - i) for i in range(n_days)]
    root = Path(lake_root)
    networks = load_networks()
    world = build_world(spec, seed, networks, gaming)
    rng = np.random.default_rng([seed, 3])
    _write(root, PEOPLE, people_table(world, rng, end))
    _write(root, ACCOUNTS, accounts_table(world, rng, networks, dates[0]))
    n_follows = _write(root, FOLLOWS, follows_table(world, networks))
    n_events, planted_rows = _write_days(root, world, seed, dates, networks)
    planted = _write_planted(root, world)
    summary = {
        "size": size,
        "seed": seed,
        "gaming": gaming,
        "lake": str(root),
        "start_date": dates[0].isoformat(),
        "end_date": end.isoformat(),
        "days": n_days,
        "counts": {
            "people": len(world.person_id),
            "accounts": len(world.account_id),
            "follows": n_follows,
            "interactions": n_events,
        },
        "planted_rows": planted_rows,
        "planted_kinds": {k: int((world.gaming.kind == i).sum()) for i, k in enumerate(KINDS)},
        "planted": str(planted),
        "seconds": round(time.perf_counter() - started, 2),
    }
    (planted.parent / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    return summary


def _write(
    root: Path, spec: TableSpec, data: pa.Table, mode: Literal["overwrite", "append"] = "overwrite"
) -> int:
    write_deltalake(
        str(root / spec.name),
        data,
        mode=mode,
        partition_by=list(spec.partition_by) or None,
        # A rerun replaces whatever an older generator left, schema included.
        schema_mode="overwrite" if mode == "overwrite" else None,
        # As the table layer creates tables: no statistics of id columns in the log.
        configuration=table_properties(spec) or None,
    )
    return data.num_rows


def _keep_freed_memory() -> None:
    """Ask glibc to keep freed memory instead of handing it back to the kernel.

    Each medium day allocates and frees gigabytes of short-lived arrays. Large blocks are mmap-ed
    and returned on free; on VMs that report freed pages to the host (Firecracker, ballooning)
    every re-touch then faults through the hypervisor, which nearly doubled the wall time. Kept in
    the heap they are simply reused. No-op off glibc.
    """
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-4, 0)  # M_MMAP_MAX: never mmap
        libc.mallopt(-1, 1 << 40)  # M_TRIM_THRESHOLD: never trim the heap
    except (OSError, AttributeError):
        pass


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Write a deterministic sample lake: the four input Delta tables and the "
        "planted truth in <lake>/_sample/."
    )
    parser.add_argument("--size", choices=sorted(SIZES), required=True)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--lake", default="lake", help="lake root folder (default: lake)")
    parser.add_argument(
        "--end-date",
        type=lambda text: datetime.strptime(text, "%Y-%m-%d").date(),
        default=DEFAULT_END_DATE,
        help=f"last event date, YYYY-MM-DD (default: {DEFAULT_END_DATE})",
    )
    parser.add_argument("--days", type=int, default=None, help="days of interactions")
    parser.add_argument(
        "--no-gaming", action="store_true", help="leave out the gaming scenarios (pods, bots, ...)"
    )
    args = parser.parse_args(argv)
    if args.size == "medium":
        _keep_freed_memory()
    summary = generate(
        args.size, args.lake, args.seed, args.end_date, args.days, gaming=not args.no_gaming
    )
    counts = ", ".join(f"{k} {v:,}" for k, v in summary["counts"].items())
    print(
        f"sample {summary['size']} (seed {summary['seed']}) -> {summary['lake']}: {counts}; "
        f"{summary['start_date']}..{summary['end_date']} ({summary['days']} day(s)); "
        f"planted {summary['planted']}; {summary['seconds']:.1f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
