"""One day of sample interactions: organic reactions drawn from the world, the gaming scenarios'
reactions (scripts/sample_gaming.py), then the bad rows and duplicates ingest must catch.

A day's events depend only on (seed, date) and the world, never on the window being generated.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from scripts.sample_gaming import US_PER_HOUR, gaming_day
from scripts.sample_spray import spray_day
from scripts.sample_viral import viral_day
from scripts.sample_world import (
    ACCOUNT_SLOTS,
    ACTION_FREQ,
    ACTION_KIND,
    CONTENT_BITS,
    REPEAT_PER_POST,
    US_PER_DAY,
    NetGraph,
    World,
    _pick,
)

FROM_FOLLOWERS = 0.85  # share of reactors who follow the target
SELF_REACTIONS = 0.002
REACTION_LAG_HOURS = 2.0  # mean delay between a post and a reaction to it

# Invalid rows planted each day for ingest to quarantine (share of the day's valid rows, each).
BAD_KINDS = ("null_actor", "unknown_action", "unknown_network", "date_mismatch", "unknown_actor")
BAD_SHARE = 0.0002
DUPLICATE_SHARE = 0.0005  # the same event delivered twice
UNKNOWN_NETWORK, UNKNOWN_ACTION = "myspace", "poke"
_KINDS = ("post", "mention", "topic", "none")
# Chance of reacting to post k (0-7) of the day d days ago (0-2), flattened as draw = d * 8 + 7 - k
# so that post = day number * 8 + 7 - draw = (day number - d) * 8 + k.
_POST_OF_DAY = np.append(0.45 * 0.55 ** np.arange(7), 0.55**7)
_POST_P = np.outer([0.8, 0.15, 0.05], _POST_OF_DAY[::-1]).ravel()


def _reaction_time(
    burst_hour: np.ndarray,
    in_hour: np.ndarray,
    in_day: np.ndarray,
    post_hash: np.ndarray,
    same_day: np.ndarray,
) -> np.ndarray:
    """Microseconds into the day of each reaction.

    Farm and burst reactions fall within their hour. The others follow their post: it went out at
    an hour of the day drawn from its hash, and reactions come an exponential lag after it (mean
    REACTION_LAG_HOURS), so a person's organic reactions crowd into the hours after their posts,
    as on real networks, rather than spreading evenly. A post of the same day is reacted to before
    midnight (the lag is cut off there); one of an earlier day at its hour plus the lag, wrapped.
    """
    post_hour = ((post_hash >> np.uint64(8)) % np.uint64(24)).astype(np.int64)
    mean = REACTION_LAG_HOURS * US_PER_HOUR
    left = US_PER_DAY - post_hour * US_PER_HOUR  # time from the post to midnight
    reach = np.where(same_day, -np.expm1(-left / mean), 1.0)  # the lag's CDF at midnight
    lag = (-np.log1p(-(in_day / US_PER_DAY) * reach) * mean).astype(np.int64)
    organic = (post_hour * US_PER_HOUR + np.minimum(lag, US_PER_DAY - 1)) % US_PER_DAY
    return np.where(burst_hour >= 0, burst_hour * US_PER_HOUR + in_hour, organic)


def action_vocab(networks: dict[str, list[str]]) -> list[tuple[str, str]]:
    """Flat (network, action) list; action codes index it, and len(vocab) means unknown."""
    return [(net, action) for net, actions in networks.items() for action in actions]


@dataclass
class Day:
    """One day's raw interactions as parallel numpy columns, ready to become an Arrow table."""

    event_seq: np.ndarray  # event_id = f"ev{seq}"; duplicates repeat their original's seq
    net: np.ndarray  # network code (index into networks; len(networks): unknown network)
    action: np.ndarray  # action code (index into the vocab; len(vocab): unknown action)
    actor_id: np.ndarray
    actor_null: np.ndarray
    target_id: np.ndarray
    content_id: np.ndarray
    content_null: np.ndarray
    topic_set: np.ndarray  # index into the world's topic lists; -1: no topics
    event_ts: np.ndarray  # microseconds since the epoch, UTC
    planted: dict[str, int]  # bad rows per kind, and duplicates


def organic_reactions(
    g: NetGraph, world: World, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """One network's organic reactions of the day as (actor, target) local account indices.

    Each target draws a Poisson number of reactors proportional to its influence; each reactor
    then reacts 1 + Poisson(REPEAT_PER_POST * posts per day) times (more posts, same audience)."""
    a = len(g.rate)
    # Daily activity noise (gamma, mean 1) on top of the influence-driven rate.
    tgt = np.repeat(np.arange(a), rng.poisson(g.rate * rng.gamma(2.0, 0.5, a)))
    r = len(tgt)
    lo, hi = g.indptr[tgt], g.indptr[tgt + 1]
    follow = (rng.random(r) < FROM_FOLLOWERS) & (hi > lo)
    elite = rng.random(r) < 0.6 * world.pct[world.account_person[g.accounts]][tgt]
    # Reactions to one target are exchangeable, so sorting the draws within each target keeps
    # the distribution and makes every segment search below run over sorted needles (fast).
    u = np.sort(tgt + rng.random(r)) - tgt
    actor = np.empty(r, np.int64)
    for cw, mask in ((g.cw_follow, follow & ~elite), (g.cw_elite, follow & elite)):
        actor[mask] = g.followers[_pick(cw, lo[mask], hi[mask], u[mask])]
    anyone = ~follow  # non-followers: anyone on the network, by how much they react
    actor[anyone] = rng.permutation(_pick(g.cw_any, 0, a, np.sort(rng.random(anyone.sum()))))
    actor = np.where(rng.random(r) < SELF_REACTIONS, tgt, actor)
    repeats = 1 + rng.poisson(REPEAT_PER_POST * g.posts[tgt])
    return np.repeat(actor, repeats), np.repeat(tgt, repeats)


def draw_actions(
    rng: np.random.Generator, net: np.ndarray, networks: dict[str, list[str]]
) -> np.ndarray:
    """An action code per reaction, drawn from its network's actions by ACTION_FREQ."""
    vocab = action_vocab(networks)
    action = np.empty(len(net), np.int16)
    for code, name in enumerate(networks):
        rows = np.flatnonzero(net == code)
        codes = np.array([i for i, (n, _) in enumerate(vocab) if n == name], np.int16)
        freq = np.array([ACTION_FREQ.get(vocab[c][1], 1.0) for c in codes])
        action[rows] = codes[rng.choice(len(codes), size=len(rows), p=freq / freq.sum())]
    return action


def _reactions(world: World, seed: int, daynum: int, networks, rng) -> tuple[np.ndarray, ...]:
    """The day's valid reactions, organic (from rng) then gamed, spray and viral (each from its
    own stream, so the organic draws do not depend on them): actor and target accounts, action
    and hour of day (-1: any time of the day)."""
    actors, targets = [], []
    for g in world.graphs:
        actor, tgt = organic_reactions(g, world, rng)
        actors.append(g.accounts[actor])
        targets.append(g.accounts[tgt])
    n_organic = sum(len(t) for t in targets)
    organic_actions = draw_actions(rng, world.account_net[np.concatenate(targets)], networks)
    gaming_rng = np.random.default_rng([seed, 6, daynum])
    gamed_actor, gamed_target, hour = gaming_day(world.gaming, gaming_rng, daynum)
    gamed_actions = draw_actions(gaming_rng, world.account_net[gamed_target], networks)
    # Spray likers' reactions (scripts/sample_spray.py).
    spray_rng = np.random.default_rng([seed, 7, daynum])
    sprayed = [spray_day(world.spray, g.accounts, g.cw_posts, spray_rng) for g in world.graphs]
    spray_actor = np.concatenate([a for a, _ in sprayed])
    spray_target = np.concatenate([t for _, t in sprayed])
    spray_actions = draw_actions(spray_rng, world.account_net[spray_target], networks)
    # Organic viral events (scripts/sample_viral.py).
    viral_rng = np.random.default_rng([seed, 8, daynum])
    viral_actor, viral_target, viral_hour = viral_day(world.viral, viral_rng, daynum)
    viral_actions = draw_actions(viral_rng, world.account_net[viral_target], networks)
    return (
        np.concatenate([*actors, gamed_actor, spray_actor, viral_actor]),
        np.concatenate([*targets, gamed_target, spray_target, viral_target]),
        np.concatenate([organic_actions, gamed_actions, spray_actions, viral_actions]),
        np.concatenate([np.full(n_organic, -1), hour, np.full(len(spray_actor), -1), viral_hour]),
    )


def _contents(world: World, rng, daynum: int, kind, actor, target, hour, seq, fresh: int):
    """Each row's post (content id), whether it has one, its topic list and its time; rows of
    `seq` (a duplicate repeats its original's draws): (content_id, has_post, topic_set, ts)."""
    # Draws for the times (kept in this order: the rest of the day's stream depends on it).
    in_hour, in_day = rng.integers(0, US_PER_HOUR, fresh), rng.integers(0, US_PER_DAY, fresh)
    # Reactions pile on a few posts: mostly today's first posts, some on the last two days'.
    # One draw per row over (days ago 0-2, post of that day 0-7; geometric, first posts first).
    post = daynum * 8 + 7 - rng.choice(24, size=fresh, p=_POST_P)[seq]
    topic_pick = rng.integers(0, 3, fresh)[seq]
    owner = np.where(kind == 1, actor, target)
    has_post = kind <= 1
    content_id = world.account_id[owner] * (1 << CONTENT_BITS) + post
    # A post's topics come from a hash of the post; +K and endorsements name one favourite of
    # the target (lists 0, 3, 6 hold one topic); other actions are about no topic.
    mixed = (content_id.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(33)
    person9 = world.account_person[owner] * 9
    topic_set = np.where(has_post, person9 + (mixed % np.uint64(9)).astype(np.int64),
                         np.where(kind == 2, person9 + 3 * topic_pick, -1))  # fmt: skip
    same_day = post >= daynum * 8
    ts = daynum * US_PER_DAY + _reaction_time(hour, in_hour[seq], in_day[seq], mixed, same_day)
    return content_id, has_post, topic_set, ts


def day_events(world: World, seed: int, day: date, networks: dict[str, list[str]]) -> Day:
    """The day's organic and gamed reactions, then bad copies and duplicates of some of them."""
    daynum = (day - date(1970, 1, 1)).days
    rng = np.random.default_rng([seed, 2, daynum])
    vocab = action_vocab(networks)
    kinds = np.array([_KINDS.index(ACTION_KIND.get(a, "post")) for _, a in vocab] + [3], np.int8)
    actor, target, action, hour = _reactions(world, seed, daynum, networks, rng)
    net = world.account_net[target].astype(np.int16)
    n_valid = len(net)
    # Bad copies of random valid rows (fresh event ids), then exact duplicates (same event id).
    n_bad = max(1, round(BAD_SHARE * n_valid))
    n_dup = max(1, round(DUPLICATE_SHARE * n_valid))
    fresh = n_valid + len(BAD_KINDS) * n_bad
    src = np.concatenate([np.arange(n_valid), rng.integers(0, n_valid, fresh - n_valid)])
    take = np.concatenate([src, rng.integers(0, n_valid, n_dup)])
    seq = np.concatenate([np.arange(fresh), take[fresh:]])  # a duplicate repeats its original
    net, action, actor, target = net[take], action[take], actor[take], target[take]
    content_id, has_post, topic_set, ts = _contents(
        world, rng, daynum, kinds[action], actor, target, hour[src][seq], seq, fresh
    )
    actor_id, target_id = world.account_id[actor], world.account_id[target]
    actor_null = np.zeros(len(take), bool)
    bad = {k: slice(n_valid + i * n_bad, n_valid + (i + 1) * n_bad)
           for i, k in enumerate(BAD_KINDS)}  # fmt: skip
    actor_null[bad["null_actor"]] = True
    action[bad["unknown_action"]] = len(vocab)
    net[bad["unknown_network"]] = len(networks)
    ts[bad["date_mismatch"]] += rng.choice([-2, -1, 1, 3], n_bad) * US_PER_DAY
    # An account id no network uses (slot 15), hence in no accounts row.
    stranger = world.person_id[rng.integers(0, len(world.person_id), n_bad)]
    actor_id[bad["unknown_actor"]] = stranger * ACCOUNT_SLOTS + ACCOUNT_SLOTS - 1
    # Bought followers never react, nor does anyone react to them: their rows go, last (the
    # day's draws above do not move), with any bad copy or duplicate of them.
    silent = np.zeros(len(world.account_id), bool)
    silent[world.gaming.fake_acc] = True
    keep = ~(silent[actor] | silent[target])
    planted = {**{k: int(keep[bad[k]].sum()) for k in BAD_KINDS},
               "duplicates": int(keep[fresh:].sum())}  # fmt: skip
    return Day(daynum * 10**10 + seq[keep], net[keep], action[keep], actor_id[keep],
               actor_null[keep], target_id[keep], content_id[keep], ~has_post[keep],
               topic_set[keep], ts[keep], planted)  # fmt: skip
