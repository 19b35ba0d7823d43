"""Gaming scenarios planted in the sample world: engagement pods, bot farms, bought
followers and bought reaction bursts, plus the accounts that sell reactions.

`plan_gaming` picks who games (ordinary people: gaming does not change their true influence) and
who serves them (bots, sellers), and the follow edges the scenarios add; `gaming_day` draws one
day's gamed reactions from (rng of the day, plan) only, like the organic ones. docs/EVALUATION.md
explains each modelling choice.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Planted kinds (planted.parquet `kind`). Gamers are the people who buy or trade reactions; bots
# and sellers are the accounts that deliver them, spray likers react to whatever they see (none of
# their reactions are driven action).
# Spray likers: scripts/sample_spray.py (a confounder, not gamers).
# Organic viral people: scripts/sample_viral.py (ordinary people whose post takes off once).
KINDS = ("normal", "pod", "bot", "bot_customer", "bought_followers", "burst_customer", "seller",
         "spray", "viral", "fake_follower")  # fmt: skip
GAMER_KINDS = ("pod", "bot_customer", "bought_followers", "burst_customer")
KIND = {name: code for code, name in enumerate(KINDS)}

ORDINARY_PCT = (0.15, 0.65)  # gamers are ordinary people by planted influence percentile
POD_SHARE, POD_SIZE, POD_RATE = 0.012, (5, 20), 1.5  # reactions per ordered member pair and day
FARM_SHARE, FARM_SIZE = 0.0015, (10, 30)  # bot customers (one farm each), bots per farm
BOT_PCT = 0.15  # bots are drawn from the least influential people (fake people, no audience)
FARM_ACTIVE, BOT_EXTRA_REACTIONS = 0.5, 1.5  # a farm works half the days; 1 + Poisson per bot
BOT_FOLLOWS = (20, 100)  # follow-spam edges per bot inside the sampled graph
# Bought followers: young accounts that never post nor react (drawn from the least influential
# people, like bots): FAKE_SHARE of the people (at most FAKES_PER_NETWORK) on each network with a
# buyer; each buyer is followed by up to FAKES_PER_BOUGHT of them.
FAKE_SHARE, FAKES_PER_NETWORK, FAKES_PER_BOUGHT = 0.004, 40, 30
BOUGHT_SHARE = 0.003
BOUGHT_FOLLOWERS_MEDIAN = 60_000.0  # extra platform-wide followers_count, lognormal(sigma 1)
BURST_SHARE, BURST_PERIOD, BURST_SIZE = 0.003, 7, (30, 100)  # one burst day per week, sellers
SELLER_SHARE, SELLER_PCT = 0.03, 0.5
# Sellers are low-activity accounts apart from the reactions they sell; bots like little besides
# their customers' posts (most of their activity is following).
SELLER_REACTIVITY, BOT_REACTIVITY = 0.3, 0.1
US_PER_HOUR = 3_600_000_000


@dataclass
class Gaming:
    """Who games how. Account arguments are global account indices of the world."""

    kind: np.ndarray  # per person, index into KINDS
    pod_src: np.ndarray  # ordered pairs of pod members' accounts (both directions)
    pod_dst: np.ndarray
    bot_acc: np.ndarray  # working bot accounts, the customer account each serves, and its farm
    bot_customer: np.ndarray
    bot_farm: np.ndarray
    burst_acc: np.ndarray  # burst customers' accounts, their network, weekly burst phase, sellers
    burst_net: np.ndarray
    burst_phase: np.ndarray
    burst_size: np.ndarray
    seller_acc: np.ndarray  # seller accounts sorted by network; seller_ptr[net] .. [net + 1]
    seller_ptr: np.ndarray
    fake_acc: np.ndarray  # bought followers' accounts (build_world widens it to all of theirs)
    bought_acc: np.ndarray  # accounts with bought followers, and how many were bought
    bought_extra: np.ndarray
    follow_src: np.ndarray  # follow edges the scenarios add (follower, followee)
    follow_dst: np.ndarray


class _Pools:
    """Random, disjoint picks of people with an account on a given network.

    A person on k networks sits in k pools, so each pool keeps them with chance 1/k: every person
    is then equally likely to be picked, whatever their number of accounts. (Otherwise gamers
    would be people with more accounts, hence more reactions, and seem to rise by gaming.)"""

    def __init__(self, rng: np.random.Generator, people: np.ndarray, on: np.ndarray) -> None:
        n_accounts = (on[people] >= 0).sum(axis=1)
        self.order = []
        for net in range(on.shape[1]):
            kept = (on[people, net] >= 0) & (rng.random(len(people)) * n_accounts < 1.0)
            self.order.append(rng.permutation(people[kept]))
        self.pos = [0] * on.shape[1]

    def take(self, net: int, k: int, free: np.ndarray) -> np.ndarray:
        out: list[int] = []
        order = self.order[net]
        while len(out) < k and self.pos[net] < len(order):
            person = int(order[self.pos[net]])
            self.pos[net] += 1
            if free[person]:
                free[person] = False
                out.append(person)
        return np.array(out, np.int64)


@dataclass
class _Picker:
    """The picks so far: each person's kind, who is taken, and where to draw gamers from."""

    rng: np.random.Generator
    kind: np.ndarray  # per person, index into KINDS
    on: np.ndarray  # account of person p on network k, or -1
    free: np.ndarray  # not picked yet
    ordinary: _Pools  # gamers: ordinary people
    weakest: _Pools  # bots and fake followers: the least influential
    popularity: np.ndarray  # share of the accounts per network

    def groups(self, share: float, per_group: float = 1.0) -> int:
        return max(1, round(share * len(self.kind) / per_group))

    def network(self) -> int:
        return self.rng.choice(self.on.shape[1], p=self.popularity)


def _pods(pick: _Picker) -> tuple[np.ndarray, np.ndarray]:
    """Pods of ordinary people on one network each: every ordered member pair reacts."""
    pod_src, pod_dst = [], []
    cap = min(POD_SIZE[1], max(POD_SIZE[0], round(POD_SHARE * len(pick.kind))))
    for _ in range(pick.groups(POD_SHARE, sum(POD_SIZE) / 2)):
        net = pick.network()
        members = pick.ordinary.take(net, int(pick.rng.integers(POD_SIZE[0], cap + 1)), pick.free)
        pick.kind[members] = KIND["pod"]
        acc = pick.on[members, net]
        src, dst = np.meshgrid(acc, acc, indexing="ij")
        pair = src != dst
        pod_src.append(src[pair])
        pod_dst.append(dst[pair])
    return _cat(pod_src), _cat(pod_dst)


def _farms(pick: _Picker) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Bot farms, one customer each: (bot accounts, the customer account each serves, farm)."""
    bots, customers, farms = [], [], []
    farm_cap = min(FARM_SIZE[1], max(5, round(0.02 * len(pick.kind))))  # small world, small farm
    for farm in range(pick.groups(FARM_SHARE)):
        net = pick.network()
        customer = pick.ordinary.take(net, 1, pick.free)
        size = int(pick.rng.integers(min(FARM_SIZE[0], farm_cap), farm_cap + 1))
        members = pick.weakest.take(net, size, pick.free)
        if len(customer) == 0 or len(members) == 0:
            continue
        pick.kind[customer], pick.kind[members] = KIND["bot_customer"], KIND["bot"]
        bots.append(pick.on[members, net])
        customers.append(np.full(len(members), pick.on[customer[0], net]))
        farms.append(np.full(len(members), farm))
    return _cat(bots), _cat(customers), _cat(farms)


def _singles(pick: _Picker, share: float, kind_name: str) -> np.ndarray:
    """Ordinary people who game alone (one network each): their accounts."""
    picked = []
    for _ in range(pick.groups(share)):
        net = pick.network()
        person = pick.ordinary.take(net, 1, pick.free)
        pick.kind[person] = KIND[kind_name]
        picked.append(pick.on[person, net])
    return _cat(picked)


def _sellers(
    pick: _Picker, weak: _Pools, account_person: np.ndarray, account_net: np.ndarray, burst_acc
) -> tuple[np.ndarray, np.ndarray]:
    """On each network with a burst customer, enough low-activity accounts for a burst
    (SELLER_SHARE of the network's people at scale, a handful in a tiny world): the seller
    accounts sorted by network, and each network's range in them."""
    n = len(pick.kind)
    for net in np.unique(account_net[burst_acc]):
        want = max(
            min(BURST_SIZE[1], round(0.05 * n)), round(SELLER_SHARE * n * pick.popularity[net])
        )
        pick.kind[weak.take(int(net), want, pick.free)] = KIND["seller"]
    seller_acc = np.flatnonzero(pick.kind[account_person] == KIND["seller"])
    seller_acc = seller_acc[np.argsort(account_net[seller_acc], kind="stable")]
    return seller_acc, np.searchsorted(account_net[seller_acc], np.arange(pick.on.shape[1] + 1))


def plan_gaming(
    rng: np.random.Generator,
    pct: np.ndarray,
    account_person: np.ndarray,
    account_net: np.ndarray,
    n_networks: int,
    enabled: bool = True,
) -> Gaming:
    """Pick the gamers and their helpers; every scenario at least once (even in `tiny`)."""
    n = len(pct)
    kind = np.zeros(n, np.int8)
    on = np.full((n, n_networks), -1, np.int64)  # account of person p on network k, or -1
    on[account_person, account_net] = np.arange(len(account_person))
    if not enabled:
        e = np.zeros(0, np.int64)
        return Gaming(kind, e, e, e, e, e, e, e, e, e, e, np.zeros(n_networks + 1, np.int64), e, e,
                      e, e, e)  # fmt: skip
    idx, free = np.arange(n), np.ones(n, bool)
    ordinary = _Pools(rng, idx[(pct >= ORDINARY_PCT[0]) & (pct <= ORDINARY_PCT[1])], on)
    weakest = _Pools(rng, idx[pct < BOT_PCT], on)
    popularity = np.bincount(account_net, minlength=n_networks) / len(account_net)
    pick = _Picker(rng, kind, on, free, ordinary, weakest, popularity)
    pods_src, pods_dst = _pods(pick)
    bot_acc, bot_customer, bot_farm = _farms(pick)
    bought_acc = _singles(pick, BOUGHT_SHARE, "bought_followers")
    bought_extra = np.round(BOUGHT_FOLLOWERS_MEDIAN * rng.lognormal(0, 1, len(bought_acc)))
    burst_acc = _singles(pick, BURST_SHARE, "burst_customer")
    burst_phase = rng.integers(0, BURST_PERIOD, len(burst_acc))
    burst_size = rng.integers(BURST_SIZE[0], BURST_SIZE[1] + 1, len(burst_acc))
    weak = _Pools(rng, idx[pct < SELLER_PCT], on)
    seller_acc, seller_ptr = _sellers(pick, weak, account_person, account_net, burst_acc)
    follow_src, follow_dst = _gaming_follows(rng, account_net, bot_acc, bot_customer)
    # Last, so that the picks and draws above do not move.
    fake_acc, fake_src, fake_dst = _bought_follows(rng, weakest, on, account_net, bought_acc, free)
    return Gaming(
        kind=kind,
        pod_src=pods_src,
        pod_dst=pods_dst,
        bot_acc=bot_acc,
        bot_customer=bot_customer,
        bot_farm=bot_farm,
        burst_acc=burst_acc,
        burst_net=account_net[burst_acc],
        burst_phase=burst_phase,
        burst_size=burst_size,
        seller_acc=seller_acc,
        seller_ptr=seller_ptr,
        fake_acc=fake_acc,
        bought_acc=bought_acc,
        bought_extra=bought_extra.astype(np.int64),
        follow_src=np.concatenate([pods_src, follow_src, fake_src]),
        follow_dst=np.concatenate([pods_dst, follow_dst, fake_dst]),
    )


def _gaming_follows(
    rng: np.random.Generator,
    account_net: np.ndarray,
    bot_acc: np.ndarray,
    bot_customer: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Follow edges beside the pods': bots follow their customer and follow-spam random accounts
    of their network."""
    by_net = [np.flatnonzero(account_net == net) for net in range(account_net.max() + 1)]
    spam = rng.integers(BOT_FOLLOWS[0], BOT_FOLLOWS[1] + 1, len(bot_acc))
    spam_src = np.repeat(bot_acc, spam)
    spam_dst = np.concatenate(
        [rng.choice(by_net[account_net[b]], k) for b, k in zip(bot_acc, spam, strict=True)]
        or [np.zeros(0, np.int64)]
    )
    return np.concatenate([bot_acc, spam_src]), np.concatenate([bot_customer, spam_dst])


def _bought_follows(
    rng: np.random.Generator,
    weakest: _Pools,
    on: np.ndarray,
    account_net: np.ndarray,
    bought_acc: np.ndarray,
    free: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(fake accounts, follow edges from them to the buyers): on each network with a buyer, some
    of the weakest people become bought followers, and each buyer is followed by up to
    FAKES_PER_BOUGHT of them."""
    fakes, src, dst = [], [], []
    for net in np.unique(account_net[bought_acc]):
        want = min(FAKES_PER_NETWORK, max(1, round(FAKE_SHARE * len(free))))
        pool = on[weakest.take(int(net), want, free), net]
        fakes.append(pool)
        for acc in bought_acc[account_net[bought_acc] == net]:
            src.append(rng.choice(pool, min(len(pool), FAKES_PER_BOUGHT), replace=False))
            dst.append(np.full(len(src[-1]), acc))
    return _cat(fakes), _cat(src), _cat(dst)


def gaming_day(
    g: Gaming, rng: np.random.Generator, daynum: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One day's gamed reactions: (actor account, target account, hour of the burst or -1)."""
    # Pods: every member reacts to every other member's posts, every day.
    per_pair = rng.poisson(POD_RATE, len(g.pod_src))
    actors = [np.repeat(g.pod_src, per_pair)]
    targets = [np.repeat(g.pod_dst, per_pair)]
    hours = [np.full(len(actors[0]), -1)]
    # Bot farms: on its working days a farm's bots all react within the same hour.
    n_farms = int(g.bot_farm.max()) + 1 if len(g.bot_farm) else 0
    working = rng.random(n_farms) < FARM_ACTIVE
    farm_hour = rng.integers(0, 24, n_farms)
    on = working[g.bot_farm] if n_farms else np.zeros(0, bool)
    reps = 1 + rng.poisson(BOT_EXTRA_REACTIONS, int(on.sum()))
    actors.append(np.repeat(g.bot_acc[on], reps))
    targets.append(np.repeat(g.bot_customer[on], reps))
    hours.append(np.repeat(farm_hour[g.bot_farm[on]], reps))
    # Bursts: once a week, many unrelated sellers react to the customer within one hour.
    for i in np.flatnonzero((daynum + g.burst_phase) % BURST_PERIOD == 0):
        net = g.burst_net[i]
        pool = g.seller_acc[g.seller_ptr[net] : g.seller_ptr[net + 1]]
        sellers = rng.choice(pool, min(len(pool), int(g.burst_size[i])), replace=False)
        actors.append(sellers)
        targets.append(np.full(len(sellers), g.burst_acc[i]))
        hours.append(np.full(len(sellers), rng.integers(0, 24)))
    return _cat(actors), _cat(targets), _cat(hours)


def _cat(parts: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(parts).astype(np.int64) if parts else np.zeros(0, np.int64)
