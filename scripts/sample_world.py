"""The synthetic world behind the sample data: people with a planted influence, their accounts,
a follower graph, and each day's reactions (numpy only; `scripts/generate.py` turns it into tables).

Everything is drawn from numpy Generators seeded from (seed, purpose) so that a rerun is
bit-identical, and a day's events depend only on (seed, date) and the world, not on the window.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import yaml

BASE_CONF = Path(__file__).resolve().parent.parent / "conf" / "base.yaml"
US_PER_DAY = 86_400_000_000
# Ids above 2**32 and sparse, so that nothing downstream can assume dense or 32-bit ids.
PERSON_ID_OFFSET = 10_000_000_000
ACCOUNT_SLOTS = 16  # account_id = person_id * 16 + network index; slot 15 is never used (bad rows)
CONTENT_BITS = 20  # content_id = owner account_id << 20 | (day number * 8 + post of the day)
TOPICS = (
    "ai", "art", "beauty", "books", "business", "cooking", "crypto", "design", "fashion", "fitness",
    "gaming", "health", "movies", "music", "parenting", "photography", "politics", "science",
    "sports", "travel",
)  # fmt: skip


@dataclass(frozen=True)
class Size:
    people: int
    days: int
    reactions_per_person: float  # expected reactions received per person and day
    follows_per_account: float  # mean out-degree of the sampled follower graph


SIZES = {
    "tiny": Size(300, 8, 10.0, 15.0),
    "small": Size(10_000, 14, 15.0, 30.0),
    "medium": Size(1_000_000, 14, 10.0, 12.0),
}
# Share of people holding an account, relative reaction volume per account, and launch date
# (no account is older than its network). Networks added to base.yaml later get the defaults.
NETWORK_TRAITS: dict[str, tuple[float, float, date]] = {
    "twitter": (0.70, 1.0, date(2006, 3, 21)),
    "facebook": (0.75, 1.0, date(2004, 2, 4)),
    "instagram": (0.50, 1.2, date(2010, 10, 6)),
    "linkedin": (0.45, 0.5, date(2003, 5, 5)),
    "google_plus": (0.08, 0.4, date(2011, 6, 28)),
    "foursquare": (0.05, 0.3, date(2009, 3, 11)),
    "youtube": (0.12, 0.8, date(2005, 2, 14)),
    "qa": (0.07, 0.4, date(2009, 6, 25)),
    "klout": (0.08, 0.3, date(2008, 12, 1)),
}
DEFAULT_TRAITS = (0.05, 0.5, date(2010, 1, 1))
# Relative frequency of each action (cheap reactions are common, recommendations rare).
ACTION_FREQ = {
    "like": 10.0, "plus_one": 10.0, "checkin_like": 10.0, "comment": 3.0, "reply": 2.5,
    "retweet": 4.0, "share": 2.0, "reshare": 2.0, "mention": 2.0, "list_add": 0.5,
    "endorsement": 5.0, "recommendation": 0.4, "subscribe": 1.5, "tip_saved": 4.0,
    "plus_k": 1.0, "answer_endorsed": 3.0, "answer_shared": 2.0,
}  # fmt: skip
# What an action is about: a post of the target ("post", the default), a post of the actor that
# names the target ("mention"), a topic but no post ("topic": +K, skill endorsement), or neither.
ACTION_KIND = {
    "mention": "mention", "plus_k": "topic", "endorsement": "topic",
    "list_add": "none", "recommendation": "none", "subscribe": "none",
}  # fmt: skip
FROM_FOLLOWERS = 0.85  # share of reactions whose actor follows the target
SELF_REACTIONS = 0.002


def load_networks(path: Path = BASE_CONF) -> dict[str, list[str]]:
    """Network -> action names, exactly as the scorer knows them (conf/base.yaml `networks`)."""
    tree = yaml.safe_load(path.read_text())
    return {net: list(actions) for net, actions in tree["networks"].items()}


@dataclass
class NetGraph:
    """One network's accounts and follower graph, laid out for vectorised sampling."""

    accounts: np.ndarray  # global account indices on this network
    indptr: np.ndarray  # followers of local account t are followers[indptr[t]:indptr[t+1]]
    followers: np.ndarray  # local index of each follower, grouped by followee
    cw_follow: np.ndarray  # cumulative actor weights over `followers` (reactivity)
    # Same, times the actor's influence: influential actors favour influential targets.
    cw_elite: np.ndarray
    cw_any: np.ndarray  # cumulative reactivity over all accounts (reactions from non-followers)
    rate: np.ndarray  # expected reactions per day for each account


@dataclass
class World:
    person_id: np.ndarray
    influence: np.ndarray
    topic_offsets: np.ndarray  # 9 candidate topic lists per person (see _topic_sets)
    topic_values: np.ndarray  # topic indices into TOPICS
    account_id: np.ndarray
    account_person: np.ndarray  # person index of each account
    account_net: np.ndarray  # network index of each account
    activity: np.ndarray  # how much each account posts, apart from influence
    graphs: list[NetGraph]
    pct: np.ndarray  # influence percentile of each person (0..1)


def build_world(size: Size, seed: int, networks: dict[str, list[str]]) -> World:
    """People with a planted influence, their accounts, and each network's follower graph."""
    if len(networks) >= ACCOUNT_SLOTS:
        raise ValueError(f"at most {ACCOUNT_SLOTS - 1} networks fit the account id scheme")
    rng = np.random.default_rng([seed, 1])
    n = size.people
    person_id = PERSON_ID_OFFSET + np.arange(n, dtype=np.int64) * 10 + rng.integers(0, 10, n)
    # Heavy-tailed latent influence (lognormal): a few people draw most of the reactions.
    z = rng.standard_normal(n)
    influence = np.exp(1.2 * z)
    pct = (np.argsort(np.argsort(z)) + 0.5) / n
    n_fav = rng.choice([1, 2, 3], size=n, p=[0.3, 0.4, 0.3])
    fav = np.argsort(rng.random((n, len(TOPICS))), axis=1)[:, :3].astype(np.int16)

    # 1-4 networks each (a few more for the influential), picked by popularity (Gumbel top-k).
    traits = [NETWORK_TRAITS.get(net, DEFAULT_TRAITS) for net in networks]
    k = rng.choice([1, 2, 3, 4], size=n, p=[0.35, 0.35, 0.2, 0.1]) + (z > 1.5)
    keys = np.log([t[0] for t in traits]) + rng.gumbel(size=(n, len(traits)))
    rank = np.argsort(np.argsort(-keys, axis=1), axis=1)
    member = rank < np.minimum(k, 4)[:, None]
    account_person, account_net = np.nonzero(member)  # sorted by person, then network
    account_id = person_id[account_person] * ACCOUNT_SLOTS + account_net
    n_acc = len(account_id)
    activity = rng.lognormal(-0.125, 0.5, n_acc)
    reactivity = rng.lognormal(-0.5, 1.0, n_acc)  # how much an account reacts to others
    weight = influence[account_person] * activity * np.array([t[1] for t in traits])[account_net]
    rate = size.reactions_per_person * n * weight / weight.sum()

    graphs = []
    for net in range(len(networks)):
        acc = np.flatnonzero(account_net == net)
        a = len(acc)
        # Preferential follows: each account follows a heavy-tailed number of others, picked with
        # probability growing with their influence.
        out = np.minimum(rng.lognormal(np.log(size.follows_per_account) - 0.5, 1.0, a), a - 1)
        src = rng.permutation(np.repeat(np.arange(a, dtype=np.int64), out.astype(np.int64)))
        pull = influence[account_person[acc]] * rng.lognormal(0.0, 0.5, a)
        # Sorted draws make the search cache-friendly; src was shuffled so pairs stay random.
        dst = _pick(np.concatenate([[0.0], np.cumsum(pull)]), 0, a, np.sort(rng.random(len(src))))
        # Dedupe and group by followee for CSR sampling (sort-based: np.unique hashes, far slower).
        key = np.sort(dst * a + src)
        key = key[np.concatenate([[True], key[1:] != key[:-1]])]
        followee, follower = key // a, key % a
        keep = followee != follower
        followee, follower = followee[keep], follower[keep].astype(np.int32)
        indptr = np.concatenate([[0], np.cumsum(np.bincount(followee, minlength=a))])
        react = reactivity[acc]
        elite = react * influence[account_person[acc]]
        graphs.append(
            NetGraph(
                accounts=acc,
                indptr=indptr,
                followers=follower,
                cw_follow=np.concatenate([[0.0], np.cumsum(react[follower])]),
                cw_elite=np.concatenate([[0.0], np.cumsum(elite[follower])]),
                cw_any=np.concatenate([[0.0], np.cumsum(react)]),
                rate=rate[acc],
            )
        )
    return World(person_id, influence, *_topic_sets(fav, n_fav), account_id, account_person,
                 account_net, activity, graphs, pct)  # fmt: skip


def _topic_sets(fav: np.ndarray, n_fav: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """9 topic lists per person: start at favourite c // 3 and take c % 3 + 1 of them (rotating,
    capped at how many favourites they have). Each post uses one, picked by a hash of the post,
    so every reaction to a post carries the same topics; list c = 0, 3, 6 hold one topic."""
    n = len(n_fav)
    nf = np.repeat(n_fav, 9)
    combo = np.tile(np.arange(9), n)
    length = np.minimum(combo % 3 + 1, nf)
    offsets = np.concatenate([[0], np.cumsum(length)]).astype(np.int32)
    row = np.repeat(np.arange(n * 9), length)
    slot = (combo[row] // 3 + np.arange(len(row)) - offsets[row]) % nf[row]
    return offsets, fav[row // 9, slot]


def _pick(cw: np.ndarray, lo: np.ndarray | int, hi: np.ndarray | int, u: np.ndarray) -> np.ndarray:
    """Weighted draw inside segments [lo, hi) of items with cumulative weights cw (cw[0] = 0)."""
    x = cw[lo] + u * (cw[hi] - cw[lo])
    return np.clip(np.searchsorted(cw, x, side="right") - 1, lo, np.asarray(hi) - 1)


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


def day_events(world: World, seed: int, day: date, networks: dict[str, list[str]]) -> Day:
    """Each target account draws a Poisson number of reactions proportional to its influence."""
    daynum = (day - date(1970, 1, 1)).days
    rng = np.random.default_rng([seed, 2, daynum])
    vocab = action_vocab(networks)
    kinds = np.array([_KINDS.index(ACTION_KIND.get(a, "post")) for _, a in vocab] + [3], np.int8)
    cols: list[tuple[np.ndarray, ...]] = []
    for net, (name, g) in enumerate(zip(networks, world.graphs, strict=True)):
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
        codes = np.array([i for i, (n, _) in enumerate(vocab) if n == name], np.int16)
        freq = np.array([ACTION_FREQ.get(vocab[c][1], 1.0) for c in codes])
        action = codes[rng.choice(len(codes), size=r, p=freq / freq.sum())]
        cols.append((np.full(r, net, np.int16), action, g.accounts[actor], g.accounts[tgt]))
    net, action, actor, target = (np.concatenate(c) for c in zip(*cols, strict=True))
    n_valid = len(net)

    # Bad copies of random valid rows (fresh event ids), then exact duplicates (same event id).
    n_bad = max(1, round(BAD_SHARE * n_valid))
    n_dup = max(1, round(DUPLICATE_SHARE * n_valid))
    fresh = n_valid + len(BAD_KINDS) * n_bad
    src = np.concatenate([np.arange(n_valid), rng.integers(0, n_valid, fresh - n_valid)])
    take = np.concatenate([src, rng.integers(0, n_valid, n_dup)])
    seq = np.concatenate([np.arange(fresh), take[fresh:]])  # a duplicate repeats its original
    net, action, actor, target = net[take], action[take], actor[take], target[take]
    ts = (daynum * US_PER_DAY + rng.integers(0, US_PER_DAY, fresh))[seq]
    # Reactions pile on a few posts: mostly today's first posts, some on the last two days'.
    # One draw per row over (days ago 0-2, post of that day 0-7; geometric, first posts first).
    post = daynum * 8 + 7 - rng.choice(24, size=fresh, p=_POST_P)[seq]
    topic_pick = rng.integers(0, 3, fresh)[seq]
    kind = kinds[action]
    owner = np.where(kind == 1, actor, target)
    has_post = kind <= 1
    content_id = world.account_id[owner] * (1 << CONTENT_BITS) + post
    # A post's topics come from a hash of the post; +K and endorsements name one favourite of
    # the target (lists 0, 3, 6 hold one topic); other actions are about no topic.
    mixed = (content_id.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(33)
    person9 = world.account_person[owner] * 9
    topic_set = np.where(has_post, person9 + (mixed % np.uint64(9)).astype(np.int64),
                         np.where(kind == 2, person9 + 3 * topic_pick, -1))  # fmt: skip
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
    return Day(daynum * 10**10 + seq, net, action, actor_id, actor_null, target_id, content_id,
               ~has_post, topic_set, ts,
               {**{k: n_bad for k in BAD_KINDS}, "duplicates": n_dup})  # fmt: skip
