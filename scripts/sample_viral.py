"""Organic viral events in the sample world: an ordinary person's post takes off among ordinary,
established people, who arrive within a few hours.

They are the other side of the burst defence: on the day it happens a viral post looks like a
bought burst by its counts (many reactors, many new to the target, crowded hours), but its
reactors are ordinary accounts that react to many other people, while sellers live in other
people's bursts. The defences must not punish it (docs/EVALUATION.md §3). The reactions are
driven action: they count in the predictive target (their reactors are of kind `normal`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

VIRAL_SHARE = 0.003  # of people: ordinary people (ORDINARY_PCT, like the gamers) who go viral
VIRAL_PERIOD = 8  # one viral day per person in this many days (tiny holds 8 days: each once)
VIRAL_SIZE = (40, 150)  # reactors of the viral post
VIRAL_HOURS = 3  # they arrive within this many clock hours


@dataclass
class Viral:
    people: np.ndarray  # person indices of the people who go viral
    acc: np.ndarray  # the account whose post takes off (one per person)
    net: np.ndarray  # its network
    phase: np.ndarray  # the viral day: (daynum + phase) % VIRAL_PERIOD == 0
    size: np.ndarray  # how many people react
    pool: np.ndarray  # ordinary reactors' accounts, sorted by network; pool_ptr[net] .. [net + 1]
    pool_ptr: np.ndarray


def plan_viral(
    rng: np.random.Generator,
    candidates: np.ndarray,
    reactors: np.ndarray,
    account_person: np.ndarray,
    account_net: np.ndarray,
    n_networks: int,
) -> Viral:
    """Pick VIRAL_SHARE of the people among `candidates` (person indices; at least one) and one of
    their accounts each; `reactors` (boolean mask over people) are who may react to them."""
    n = len(reactors)
    k = min(len(candidates), max(1, round(VIRAL_SHARE * n)))
    people = np.sort(rng.choice(candidates, k, replace=False)) if k else np.zeros(0, np.int64)
    accounts = [np.flatnonzero(account_person == p) for p in people]
    acc = np.array([rng.choice(a) for a in accounts], np.int64)
    pool = np.flatnonzero(reactors[account_person])
    pool = pool[np.argsort(account_net[pool], kind="stable")]
    return Viral(
        people=people.astype(np.int64),
        acc=acc,
        net=account_net[acc].astype(np.int64),
        phase=rng.integers(0, VIRAL_PERIOD, k),
        size=rng.integers(VIRAL_SIZE[0], VIRAL_SIZE[1] + 1, k),
        pool=pool,
        pool_ptr=np.searchsorted(account_net[pool], np.arange(n_networks + 1)),
    )


def viral_day(
    v: Viral, rng: np.random.Generator, daynum: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The day's viral reactions: (actor account, target account, clock hour)."""
    actors, targets, hours = [], [], []
    for i in np.flatnonzero((daynum + v.phase) % VIRAL_PERIOD == 0):
        pool = v.pool[v.pool_ptr[v.net[i]] : v.pool_ptr[v.net[i] + 1]]
        pool = pool[pool != v.acc[i]]
        crowd = rng.choice(pool, min(len(pool), int(v.size[i])), replace=False)
        start = rng.integers(0, 24 - VIRAL_HOURS + 1)
        actors.append(crowd)
        targets.append(np.full(len(crowd), v.acc[i]))
        hours.append(start + rng.integers(0, VIRAL_HOURS, len(crowd)))
    cat = (lambda parts: np.concatenate(parts).astype(np.int64) if parts  # noqa: E731
           else np.zeros(0, np.int64))  # fmt: skip
    return cat(actors), cat(targets), cat(hours)
