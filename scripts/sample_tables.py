"""The sample input tables as Arrow: one builder per table (people, accounts, follows,
interactions) turning the numpy world of scripts/sample_world.py into rows with the Arrow schemas
derived from transforms/schemas/. scripts/generate.py writes them to the lake.
"""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pyspark.sql.pandas.types import to_arrow_schema

from scripts.sample_days import UNKNOWN_ACTION, UNKNOWN_NETWORK, Day, action_vocab
from scripts.sample_gaming import KIND
from scripts.sample_world import DEFAULT_TRAITS, NETWORK_TRAITS, TOPICS, US_PER_DAY, World
from transforms.schemas import ACCOUNTS, FOLLOWS, INTERACTIONS, PEOPLE, TableSpec

EPOCH = date(1970, 1, 1)


def arrow_schema(spec: TableSpec) -> pa.Schema:
    # Spark's TimestampType is an instant: a UTC-adjusted Arrow/Parquet timestamp reads back as
    # TimestampType (a naive one would come back as TIMESTAMP_NTZ, shifted by the session zone).
    return to_arrow_schema(spec.schema, timezone="UTC")


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


def _degrees(world: World) -> tuple[np.ndarray, np.ndarray]:
    """Each account's followers and followees inside the sampled graph."""
    n = len(world.account_id)
    in_deg, out_deg = np.zeros(n, np.int64), np.zeros(n, np.int64)
    for g in world.graphs:
        in_deg[g.accounts] = np.diff(g.indptr)
        out_deg[g.accounts] = np.bincount(g.followers, minlength=len(g.accounts))
    return in_deg, out_deg


def accounts_table(
    world: World, rng: np.random.Generator, networks: dict[str, list[str]], start: date
) -> pa.Table:
    n = len(world.account_id)
    infl = world.influence[world.account_person]
    z = np.log(infl) / 1.2
    in_deg, out_deg = _degrees(world)
    # Influential people have older accounts on average, never older than the network.
    launched = [NETWORK_TRAITS.get(net, DEFAULT_TRAITS)[2] for net in networks]
    oldest = np.array([(start - day).days for day in launched])[world.account_net]
    age_days = np.minimum(rng.gamma(2.0, 250.0 * infl**0.35), oldest)
    verified = rng.random(n) < 1.0 / (1.0 + np.exp(6.0 - 2.0 * z))
    suspended = np.zeros(n, bool)
    weak = infl**-0.5  # suspensions hit weak accounts more often
    suspended[rng.choice(n, max(2, math.ceil(0.01 * n)), replace=False, p=weak / weak.sum())] = True
    # Follower counts are platform-wide (the sampled graph is a slice), power-law in influence.
    followers = in_deg + np.floor(np.exp(4.0 + 1.6 * z + rng.normal(0, 1.6, n))).astype(np.int64)
    following = out_deg + np.floor(np.exp(4.0 + rng.normal(0, 1, n))).astype(np.int64)
    # Bots are young, unverified, follow thousands and are followed by few; bought followers
    # only inflate the count.
    bot = world.gaming.kind[world.account_person] == KIND["bot"]
    age_days[bot] = rng.uniform(2.0, 29.0, bot.sum())
    verified[bot] = False
    following[bot] = out_deg[bot] + rng.integers(2_000, 8_000, bot.sum())
    followers[bot] = in_deg[bot] + rng.integers(0, 30, bot.sum())
    followers[world.gaming.bought_acc] += world.gaming.bought_extra
    names = list(networks)
    on = {net: world.account_net == names.index(net) if net in names else np.zeros(n, bool)
          for net in ("twitter", "linkedin")}  # fmt: skip
    listed = np.where(on["twitter"], rng.poisson(followers * 0.01 * rng.lognormal(0, 0.5, n)), 0)
    listed[bot] = 0  # nobody lists a bot (and bought followers list nobody)
    posts = rng.poisson(age_days * world.activity)  # activity is posts per day
    # Bought followers: young, unverified, silent (no post), following a few hundred, followed by
    # nobody outside the graph (fixed values after the draws: the other accounts' do not move).
    fake = world.gaming.fake_acc
    age_days[fake] = 2.0 + np.arange(len(fake)) % 27
    verified[fake] = False
    following[fake] = out_deg[fake] + 300
    followers[fake] = in_deg[fake]
    posts[fake] = 0
    created = (start - EPOCH).days * US_PER_DAY - (age_days * US_PER_DAY).astype(np.int64)
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
