"""Spray likers in the sample world: real, ordinary people who react to far more posts than they
care about (like-for-like habits, growth hacking, liking whatever the feed shows).

They are not gamers (nobody buys their reactions and they gain nothing as targets), but their
reactions are not driven by the target's influence: a spray liker reacts once to each of many
posts, picked by how much the target posts (what fills a feed), not by who the target is. That is
the confounder behind "a reaction counts less the more its giver reacts": raw reaction
and unique-reactor counts take these reactions at face value. Their reactions are not driven
action, so the evaluation's predictive target does not count them (only kind `normal` does).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SPRAY_SHARE = 0.03  # of people (all their accounts spray)
SPRAY_PCT = 0.8  # drawn from people below this planted influence percentile
# Posts reacted to per spray account and day: lognormal, median 4x the size's reactions received
# per person and day (60 in small, 40 in medium; mean 1.4x the median). With 3% of people this is
# about a quarter of all reactions at every size, the order of the hyperactive accounts' share on
# real networks.
SPRAY_TARGETS_PER_REACTION, SPRAY_TARGETS_SIGMA = 4.0, 0.8
SPRAY_MAX_SHARE = 0.05


@dataclass
class Spray:
    people: np.ndarray  # person indices of the spray likers
    acc: np.ndarray  # their accounts (global indices)
    rate: np.ndarray  # expected posts reacted to per day, per account


def plan_spray(
    rng: np.random.Generator,
    pct: np.ndarray,
    account_person: np.ndarray,
    eligible: np.ndarray,
    reactions_per_person: float,
) -> Spray:
    """Pick the spray likers among `eligible` people (boolean mask, e.g. kind normal) below
    SPRAY_PCT; at least one, even in a tiny world. reactions_per_person: the size's expected
    reactions received per person and day (sets how many posts a spray account reacts to)."""
    pool = np.flatnonzero(eligible & (pct < SPRAY_PCT))
    k = min(len(pool), max(1, round(SPRAY_SHARE * len(pct))))
    people = np.sort(rng.choice(pool, k, replace=False)) if k else np.zeros(0, np.int64)
    acc = np.flatnonzero(np.isin(account_person, people))
    median = SPRAY_TARGETS_PER_REACTION * reactions_per_person
    rate = median * rng.lognormal(0.0, SPRAY_TARGETS_SIGMA, len(acc))
    return Spray(people.astype(np.int64), acc, rate)


def spray_day(
    spray: Spray,
    graph_accounts: np.ndarray,
    cw_posts: np.ndarray,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """One network's spray reactions of the day as (actor, target) global account indices.

    graph_accounts: the network's global account indices (sorted); cw_posts: cumulative posts
    per day over them (cw[0] = 0). Each spray account reacts once to Poisson(rate) posts, each
    post's owner drawn by how much they post; reacting to oneself is skipped."""
    mine = np.isin(spray.acc, graph_accounts)
    acc, rate = spray.acc[mine], spray.rate[mine]
    # A small world has few posts to see: at most SPRAY_MAX_SHARE of the network's accounts a day.
    per_actor = rng.poisson(np.minimum(rate, SPRAY_MAX_SHARE * len(graph_accounts)))
    actor = np.repeat(acc, per_actor)
    u = np.sort(rng.random(len(actor)))  # sorted needles: a cache-friendly search
    x = u * cw_posts[-1]
    local = np.clip(np.searchsorted(cw_posts, x, side="right") - 1, 0, len(graph_accounts) - 1)
    target = graph_accounts[rng.permutation(local)]
    keep = actor != target
    return actor[keep], target[keep]
