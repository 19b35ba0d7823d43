"""The synthetic world behind the sample data: people with a planted influence, their accounts,
the gaming scenarios (scripts/sample_gaming.py) and a follower graph per network (numpy only;
scripts/sample_days.py draws each day's reactions, `scripts/generate.py` writes the tables).

Everything is drawn from numpy Generators seeded from (seed, purpose) so that a rerun is
bit-identical, and a day's events depend only on (seed, date) and the world, not on the window.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import yaml

from scripts.sample_gaming import (
    BOT_REACTIVITY,
    KIND,
    ORDINARY_PCT,
    SELLER_REACTIVITY,
    Gaming,
    plan_gaming,
)
from scripts.sample_spray import Spray, plan_spray
from scripts.sample_viral import Viral, plan_viral

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
# A prolific poster gets more reactions from the same audience, not a larger audience: each
# reactor of the day reacts 1 + Poisson(REPEAT_PER_POST * posts per day) times.
REPEAT_PER_POST = 0.5


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
    rate: np.ndarray  # expected reactors per day for each account
    posts: np.ndarray  # posts per day of each account
    cw_posts: np.ndarray  # cumulative posts per day over the accounts (spray likers' picks)


@dataclass
class World:
    person_id: np.ndarray
    influence: np.ndarray
    topic_offsets: np.ndarray  # 9 candidate topic lists per person (see _topic_sets)
    topic_values: np.ndarray  # topic indices into TOPICS
    account_id: np.ndarray
    account_person: np.ndarray  # person index of each account
    account_net: np.ndarray  # network index of each account
    activity: np.ndarray  # posts per day of each account, apart from influence
    graphs: list[NetGraph]
    pct: np.ndarray  # influence percentile of each person (0..1)
    gaming: Gaming
    spray: Spray
    viral: Viral


def _accounts(rng: np.random.Generator, z: np.ndarray, traits: list) -> tuple[np.ndarray, ...]:
    """1-4 networks each (a few more for the influential), picked by popularity (Gumbel top-k):
    (account_person, account_net), sorted by person, then network."""
    n = len(z)
    k = rng.choice([1, 2, 3, 4], size=n, p=[0.35, 0.35, 0.2, 0.1]) + (z > 1.5)
    keys = np.log([t[0] for t in traits]) + rng.gumbel(size=(n, len(traits)))
    rank = np.argsort(np.argsort(-keys, axis=1), axis=1)
    return np.nonzero(rank < np.minimum(k, 4)[:, None])


def _planted(seed: int, size: Size, pct, account_person, account_net, n_networks, gaming):
    """The gamers, spray likers, viral people and bought followers, each from its own random
    stream (planting one does not reshuffle the other draws of the world)."""
    plan = plan_gaming(np.random.default_rng([seed, 5]), pct, account_person, account_net,
                       n_networks, enabled=gaming)  # fmt: skip
    # Spray likers: ordinary people otherwise.
    spray = plan_spray(np.random.default_rng([seed, 7]), pct, account_person,
                       plan.kind == KIND["normal"], size.reactions_per_person)  # fmt: skip
    plan.kind[spray.people] = KIND["spray"]
    # Organic viral events: ordinary people whose post takes off among ordinary people.
    normal = plan.kind == KIND["normal"]
    ordinary = np.flatnonzero(normal & (pct >= ORDINARY_PCT[0]) & (pct <= ORDINARY_PCT[1]))
    viral = plan_viral(np.random.default_rng([seed, 9]), ordinary, normal, account_person,
                       account_net, n_networks)  # fmt: skip
    plan.kind[viral.people] = KIND["viral"]
    # Bought followers are marked last (the pools above saw them as normal people), with every
    # account of theirs: their reactions are dropped from every day (scripts/sample_days.py).
    fake_people = np.unique(account_person[plan.fake_acc])
    plan.kind[fake_people] = KIND["fake_follower"]
    plan.fake_acc = np.flatnonzero(np.isin(account_person, fake_people))
    return plan, spray, viral


def _follow_graph(rng, mean_follows: float, acc, acc_influence, reactivity, activity, rate,
                  planted: tuple[np.ndarray, np.ndarray]) -> NetGraph:  # fmt: skip
    """One network's follower graph over its accounts `acc`, grouped by followee (CSR);
    acc_influence: the influence of each account's person; planted: the (follower, followee)
    accounts the scenarios add on this network (pods, bots and bought followers)."""
    a = len(acc)
    # Preferential follows: each account follows a heavy-tailed number of others, picked with
    # probability growing with their influence.
    out = np.minimum(rng.lognormal(np.log(mean_follows) - 0.5, 1.0, a), a - 1)
    src = rng.permutation(np.repeat(np.arange(a, dtype=np.int64), out.astype(np.int64)))
    pull = acc_influence[acc] * rng.lognormal(0.0, 0.5, a)
    # Sorted draws make the search cache-friendly; src was shuffled so pairs stay random.
    dst = _pick(np.concatenate([[0.0], np.cumsum(pull)]), 0, a, np.sort(rng.random(len(src))))
    src = np.concatenate([src, np.searchsorted(acc, planted[0])])
    dst = np.concatenate([dst, np.searchsorted(acc, planted[1])])
    # Dedupe and group by followee for CSR sampling (sort-based: np.unique hashes, far slower).
    key = np.sort(dst * a + src)
    key = key[np.concatenate([[True], key[1:] != key[:-1]])]
    followee, follower = key // a, key % a
    keep = followee != follower
    followee, follower = followee[keep], follower[keep].astype(np.int32)
    react = reactivity[acc]
    elite = react * acc_influence[acc]
    return NetGraph(
        accounts=acc,
        indptr=np.concatenate([[0], np.cumsum(np.bincount(followee, minlength=a))]),
        followers=follower,
        cw_follow=np.concatenate([[0.0], np.cumsum(react[follower])]),
        cw_elite=np.concatenate([[0.0], np.cumsum(elite[follower])]),
        cw_any=np.concatenate([[0.0], np.cumsum(react)]),
        rate=rate[acc],
        posts=activity[acc],
        cw_posts=np.concatenate([[0.0], np.cumsum(activity[acc])]),
    )


def build_world(
    size: Size, seed: int, networks: dict[str, list[str]], gaming: bool = True
) -> World:
    """People with a planted influence, their accounts, the gamers among them (unless gaming is
    False), and each network's follower graph."""
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
    traits = [NETWORK_TRAITS.get(net, DEFAULT_TRAITS) for net in networks]
    account_person, account_net = _accounts(rng, z, traits)
    account_id = person_id[account_person] * ACCOUNT_SLOTS + account_net
    activity = rng.lognormal(-0.5, 1.0, len(account_id))  # posts per day: mean 1, a few prolific
    reactivity = rng.lognormal(-0.5, 1.0, len(account_id))  # how much an account reacts to others
    plan, spray, viral = _planted(seed, size, pct, account_person, account_net, len(networks),
                                  gaming)  # fmt: skip
    reactivity[plan.seller_acc] *= SELLER_REACTIVITY
    reactivity[plan.bot_acc] *= BOT_REACTIVITY
    # Influence sets the audience (reactors per day); posting more adds reactions per reactor.
    # A person's influence is their total reach: it is split over their accounts by network
    # volume, so holding more accounts does not by itself mean more reactors (planted influence
    # then is exactly what drives action, the quantity the score estimates).
    volume = np.array([t[1] for t in traits])[account_net]
    person_volume = np.bincount(account_person, volume)[account_person]
    weight = influence[account_person] * volume / person_volume
    repeats = 1.0 + REPEAT_PER_POST * activity
    rate = size.reactions_per_person * n * weight / (weight * repeats).sum()
    graphs = []
    for net in range(len(networks)):
        planted = account_net[plan.follow_src] == net
        graphs.append(_follow_graph(
            rng, size.follows_per_account, np.flatnonzero(account_net == net),
            influence[account_person], reactivity, activity, rate,
            (plan.follow_src[planted], plan.follow_dst[planted]),
        ))  # fmt: skip
    return World(person_id, influence, *_topic_sets(fav, n_fav), account_id, account_person,
                 account_net, activity, graphs, pct, plan, spray, viral)  # fmt: skip


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
