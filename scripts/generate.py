"""Deterministic sample data: writes the four input Delta tables (people, accounts, follows,
interactions) under a lake root, plus the planted truth in `<lake>/_sample/`.

    python scripts/generate.py --size {tiny,small,medium} [--seed 7] [--lake lake]
                               [--end-date 2026-11-20] [--days N]

No Spark: numpy draws the world (scripts/sample_world.py), pyarrow builds tables with the Arrow
schemas derived from transforms/schemas.py, and delta-rs writes them. Interactions are written one
day at a time (overwrite, then append) so memory stays bounded at the `medium` size.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import math
import sys
import time
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from deltalake import write_deltalake
from pyspark.sql.pandas.types import to_arrow_schema

if __package__ in (None, ""):  # run as a script: make the repo root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scripts.sample_world import (  # noqa: E402
    DEFAULT_TRAITS,
    NETWORK_TRAITS,
    SIZES,
    TOPICS,
    UNKNOWN_ACTION,
    UNKNOWN_NETWORK,
    US_PER_DAY,
    Day,
    World,
    action_vocab,
    build_world,
    day_events,
    load_networks,
)
from transforms.schemas import ACCOUNTS, FOLLOWS, INTERACTIONS, PEOPLE, TableSpec  # noqa: E402

# A fixed default end date keeps runs reproducible whatever day they happen on.
DEFAULT_END_DATE = date(2026, 11, 20)
EPOCH = date(1970, 1, 1)


def arrow_schema(spec: TableSpec) -> pa.Schema:
    # Spark's TimestampType is an instant: a UTC-adjusted Arrow/Parquet timestamp reads back as
    # TimestampType (a naive one would come back as TIMESTAMP_NTZ, shifted by the session zone).
    return to_arrow_schema(spec.schema, timezone="UTC")


def generate(
    size: str,
    lake_root: str,
    seed: int = 7,
    end_date: date | None = None,
    days: int | None = None,
) -> dict[str, Any]:
    """Write the sample lake and return a summary (counts per table, dates, planted file)."""
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
    world = build_world(spec, seed, networks)
    rng = np.random.default_rng([seed, 3])

    _write(root, PEOPLE, people_table(world, rng, end))
    _write(root, ACCOUNTS, accounts_table(world, rng, networks, dates[0]))
    n_follows = _write(root, FOLLOWS, follows_table(world, networks))
    topics = topic_lists(world)
    n_events, planted_rows = 0, dict[str, int]()
    # Day i is written by a background thread (delta-rs releases the GIL) while day i + 1 is drawn;
    # writes stay strictly in order: overwrite first, then appends.
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

    sample = root / "_sample"
    sample.mkdir(parents=True, exist_ok=True)
    planted = pa.table(
        {
            "person_id": world.person_id,
            "influence": world.influence,
            "kind": pa.array(["normal"] * len(world.person_id)),
        }
    )
    pq.write_table(planted, sample / "planted.parquet")
    summary = {
        "size": size,
        "seed": seed,
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
        "planted": str(sample / "planted.parquet"),
        "seconds": round(time.perf_counter() - started, 2),
    }
    (sample / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
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
    )
    return data.num_rows


def people_table(world: World, rng: np.random.Generator, end: date) -> pa.Table:
    n = len(world.person_id)
    z = np.log(world.influence) / 1.2
    opted_out = np.zeros(n, bool)
    opted_out[rng.choice(n, math.ceil(0.01 * n), replace=False)] = True
    # Most people keep their birth year to themselves; a few minors say theirs.
    age = rng.integers(19, 80, n)
    known = rng.random(n) < 0.25
    minors = rng.choice(n, max(2, round(0.005 * n)), replace=False)
    age[minors], known[minors] = rng.integers(13, 17, len(minors)), True
    # Only the most influential have a Wikipedia page (always the top two, for small samples).
    wiki = (z > 2.3) | (np.argsort(np.argsort(-z)) < 2)
    views = np.round(np.exp(6.0 + 1.5 * z + rng.normal(0, 1, n))).astype(np.int64)
    links = np.round(np.exp(1.0 + 0.9 * z + rng.normal(0, 0.7, n))).astype(np.int64)
    return pa.Table.from_arrays(
        [
            pa.array(world.person_id),
            pa.array(np.where(opted_out, "opted_out", "opted_in")),
            pa.array((end.year - age).astype(np.int32), mask=~known),
            pa.array(views, mask=~wiki),
            pa.array(links, mask=~wiki),
        ],
        schema=arrow_schema(PEOPLE),
    )


def accounts_table(
    world: World, rng: np.random.Generator, networks: dict[str, list[str]], start: date
) -> pa.Table:
    n = len(world.account_id)
    infl = world.influence[world.account_person]
    z = np.log(infl) / 1.2
    in_deg, out_deg = np.zeros(n, np.int64), np.zeros(n, np.int64)
    for g in world.graphs:
        in_deg[g.accounts] = np.diff(g.indptr)
        out_deg[g.accounts] = np.bincount(g.followers, minlength=len(g.accounts))
    # Influential people have older accounts on average, never older than the network.
    launched = [NETWORK_TRAITS.get(net, DEFAULT_TRAITS)[2] for net in networks]
    oldest = np.array([(start - day).days for day in launched])[world.account_net]
    age_days = np.minimum(rng.gamma(2.0, 250.0 * infl**0.35), oldest)
    created = (start - EPOCH).days * US_PER_DAY - (age_days * US_PER_DAY).astype(np.int64)
    verified = rng.random(n) < 1.0 / (1.0 + np.exp(6.0 - 2.0 * z))
    suspended = np.zeros(n, bool)
    weak = infl**-0.5  # suspensions hit weak accounts more often
    suspended[rng.choice(n, max(2, math.ceil(0.01 * n)), replace=False, p=weak / weak.sum())] = True
    # Follower counts are platform-wide (the sampled graph is a slice), power-law in influence.
    followers = in_deg + np.floor(np.exp(4.0 + 1.6 * z + rng.normal(0, 1.6, n))).astype(np.int64)
    following = out_deg + np.floor(np.exp(4.0 + rng.normal(0, 1, n))).astype(np.int64)
    names = list(networks)
    on = {net: world.account_net == names.index(net) if net in names else np.zeros(n, bool)
          for net in ("twitter", "linkedin")}  # fmt: skip
    listed = np.where(on["twitter"], rng.poisson(followers * 0.01 * rng.lognormal(0, 0.5, n)), 0)
    posts = rng.poisson(age_days * 0.5 * world.activity)
    seniority = np.clip(np.round(1.5 + z + rng.normal(0, 0.8, n)), 0, 5).astype(np.int32)
    return pa.Table.from_arrays(
        [
            pa.array(world.account_id),
            pa.array(names).take(world.account_net),
            pa.array(world.person_id[world.account_person]),
            pa.array(created, type=pa.timestamp("us", tz="UTC")),
            pa.array(verified),
            pa.array(suspended),
            pa.array(followers),
            pa.array(following),
            pa.array(listed.astype(np.int64)),
            pa.array(posts.astype(np.int64)),
            pa.array(seniority, mask=~on["linkedin"]),
        ],
        schema=arrow_schema(ACCOUNTS),
    )


def follows_table(world: World, networks: dict[str, list[str]]) -> pa.Table:
    batches = []
    for name, g in zip(networks, world.graphs, strict=True):
        followee = np.repeat(np.arange(len(g.accounts)), np.diff(g.indptr))
        batches.append(
            pa.record_batch(
                [
                    pa.repeat(name, len(followee)).cast(pa.string()),
                    pa.array(world.account_id[g.accounts[g.followers]]),
                    pa.array(world.account_id[g.accounts[followee]]),
                ],
                schema=arrow_schema(FOLLOWS),
            )
        )
    return pa.Table.from_batches(batches, schema=arrow_schema(FOLLOWS))


def topic_lists(world: World) -> pa.ListArray:
    """The world's candidate topic lists, as Arrow, so each day just takes from them."""
    return pa.ListArray.from_arrays(
        pa.array(world.topic_offsets),
        pa.array(TOPICS).take(world.topic_values),
        type=arrow_schema(INTERACTIONS).field("topics").type,
    )


def interactions_table(
    day: Day, on: date, networks: dict[str, list[str]], topics: pa.ListArray
) -> pa.Table:
    n = len(day.event_seq)
    actions = [action for _, action in action_vocab(networks)] + [UNKNOWN_ACTION]
    return pa.Table.from_arrays(
        [
            pc.binary_join_element_wise("ev", pa.array(day.event_seq).cast(pa.string()), ""),
            pa.array([*networks, UNKNOWN_NETWORK]).take(day.net),
            pa.array(actions).take(day.action),
            pa.array(day.actor_id, mask=day.actor_null),
            pa.array(day.target_id),
            pa.array(day.content_id, mask=day.content_null),
            topics.take(pa.array(day.topic_set, mask=day.topic_set < 0)),
            pa.array(day.event_ts, type=pa.timestamp("us", tz="UTC")),
            pa.array(np.full(n, (on - EPOCH).days, np.int32), type=pa.date32()),
        ],
        schema=arrow_schema(INTERACTIONS),
    )


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
    args = parser.parse_args(argv)
    if args.size == "medium":
        _keep_freed_memory()
    summary = generate(args.size, args.lake, args.seed, args.end_date, args.days)
    counts = ", ".join(f"{k} {v:,}" for k, v in summary["counts"].items())
    print(
        f"sample {summary['size']} (seed {summary['seed']}) -> {summary['lake']}: {counts}; "
        f"{summary['start_date']}..{summary['end_date']} ({summary['days']} day(s)); "
        f"planted {summary['planted']}; {summary['seconds']:.1f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
