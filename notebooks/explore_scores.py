# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Explore a day's scores
#
# Reads the published tables of one lake (`scores`, `topic_scores`, `components`, `engagers`,
# `runs`) for one score date and shows:
#
# 1. the distribution of the active scores against the calibration targets;
# 2. the top people overall, with the network parts of their score, and per topic;
# 3. one person: their score over the dates in the lake, network breakdown, score components and
#    top engagers;
# 4. the biggest movers since the day before, with the network and the score term that moved most;
# 5. the day's engagement graph: its connected components and the pairs who react to each other.
#
# Run `./scripts/demo.sh` first for the default lake (`../lake`), or point `lake_root` at any lake
# the daily job wrote. Every figure is aggregated in Spark; only small results reach pandas, so the
# notebook works the same on a cluster-sized lake. docs/NOTEBOOKS.md says how to open and run it.

# %%
import datetime as dt
import sys
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import display
from pyspark.sql import functions as F

# %% tags=["parameters"]
lake_root = "../lake"  # relative paths are relative to this folder (notebooks/)
score_date = None  # "YYYY-MM-DD"; None: the latest date in `scores`
person_id = None  # None: the top person on score_date
topics = None  # list of topics to rank; None: the 3 topics with the most scored people
conf = ["../conf/local.yaml"]  # config overlays, in order (as --conf)
conf_sets = []  # "key=value" overrides (as --set), e.g. "spark.shuffle_partitions=2"
top_n = 10  # rows in each top list

# %%
# The repo root (the folder holding jobs/), whether the kernel starts in notebooks/ or above it.
REPO = Path.cwd().resolve()
while not (REPO / "jobs").is_dir() and REPO != REPO.parent:
    REPO = REPO.parent
sys.path.insert(0, str(REPO))
NOTEBOOKS = REPO / "notebooks"


def here(path: str) -> Path:
    """A parameter path: absolute as given, else relative to notebooks/."""
    p = Path(path).expanduser()
    return p if p.is_absolute() else (NOTEBOOKS / p).resolve()


from jobs.config import load_config  # noqa: E402
from jobs.graph_queries import (  # noqa: E402
    connected_components,
    engagement_graph,
    reciprocal_pairs,
)
from jobs.lake import Lake  # noqa: E402
from jobs.manifest import attempts  # noqa: E402
from jobs.queries import explain_person, influencers  # noqa: E402
from jobs.session import build_session  # noqa: E402
from transforms.calibration import target_mean, target_score  # noqa: E402

pd.set_option("display.width", 160)
pd.set_option("display.max_columns", 20)

# %%
lake_path = here(lake_root)
if not (lake_path / "scores").is_dir():
    raise FileNotFoundError(
        f"no scores table under {lake_path}: run ./scripts/demo.sh, or set lake_root"
    )
config = load_config([str(here(c)) for c in conf], [*conf_sets, f"lake.root={lake_path}"])
spark = build_session(config)
lake = Lake(spark, str(lake_path))
scores_all = lake.read("scores")

dates = [r["score_date"] for r in scores_all.select("score_date").distinct().collect()]
dates.sort()
day = dt.date.fromisoformat(score_date) if score_date else dates[-1]
if day not in dates:
    raise ValueError(f"{day} is not in scores; score dates in the lake: {dates}")
scores = scores_all.where(F.col("score_date") == F.lit(day))
active = scores.where(F.col("score") > 0)
print(f"lake {lake_path}, score dates {dates[0]} .. {dates[-1]}")
print(f"score date {day}: {scores.count()} people scored, {active.count()} active")

# %% [markdown]
# ## The runs behind the day
# The `runs` manifest, one row per stage attempt (status, duration, counts): `attempts` folds
# each attempt's `started` row into its end row.

# %%
runs = (
    attempts(lake.read_day("runs", day))
    .orderBy("started_at")
    .select("stage", "status", "duration_s", "run_id", "counts")
    .toPandas()
)
runs["counts"] = runs["counts"].map(lambda c: ", ".join(f"{k}={v}" for k, v in (c or {}).items()))
display(runs)

# %% [markdown]
# ## 1. Distribution against the calibration targets
# The calibration (docs/SCORING.md §7) aims at a target distribution of the active scores: mean 40,
# p95 63, p99 77, max below 100. Bars: the day's active scores per 1-point bin; lines: the targets;
# dotted: the day's actual figures.

# %%
quantiles = config.calibration.target_quantiles
t_p95, t_p99 = target_score([0.95, 0.99], quantiles)
t_mean = target_mean(quantiles)
stats = active.agg(
    F.mean("score").alias("mean"),
    F.percentile(F.col("score"), 0.95).alias("p95"),
    F.percentile(F.col("score"), 0.99).alias("p99"),
    F.max("score").alias("max"),
).collect()[0]
bins = active.groupBy(F.floor("score").cast("int").alias("bin")).count().orderBy("bin").toPandas()
figures = pd.DataFrame(
    {
        "target": [t_mean, t_p95, t_p99, 100.0],
        "actual": [stats["mean"], stats["p95"], stats["p99"], stats["max"]],
    },
    index=["mean", "p95", "p99", "max (target: below)"],
).round(2)
display(figures)

fig, ax = plt.subplots(figsize=(9, 3.5))
ax.bar(bins["bin"] + 0.5, bins["count"], width=1.0, color="#9ab", label="active people")
for name, value, color in (("mean", t_mean, "C0"), ("p95", t_p95, "C1"), ("p99", t_p99, "C3")):
    ax.axvline(value, color=color, label=f"target {name} {value:.0f}")
    if stats[name] is not None:
        label = f"actual {name} {stats[name]:.1f}"
        ax.axvline(stats[name], color=color, linestyle=":", label=label)
ax.set_xlim(0, 100)
ax.set_xlabel("score")
ax.set_ylabel("people")
ax.set_title(f"Active scores on {day}")
ax.legend(fontsize=8, ncol=2)
plt.show()

# %% [markdown]
# ## 2. Top people overall and per topic
# `networks` splits each score into parts that add up to it (§8); the stacked bars show them.

# %%
top = (
    scores.orderBy(F.col("score").desc(), F.col("person_id"))
    .limit(top_n)
    .select("person_id", "score", "percentile", "delta_1d", "delta_7d", "networks", "top_topics")
    .toPandas()
)
parts = pd.DataFrame(list(top["networks"]), index=top["person_id"].astype(str)).fillna(0.0)
display(top.drop(columns="networks").join(parts.reset_index(drop=True)))

ax = parts.iloc[::-1].plot.barh(stacked=True, figsize=(9, 0.35 * len(parts) + 1.2))
ax.set_xlabel("score (network parts)")
ax.set_ylabel("person_id")
ax.set_title(f"Top {len(parts)} on {day}")
ax.legend(fontsize=8, loc="lower right")
plt.show()

# %%
topic_day = lake.read_day("topic_scores", day)
if topics is None:
    topics = [
        r["topic"]
        for r in topic_day.groupBy("topic")
        .count()
        .orderBy(F.col("count").desc(), F.col("topic"))
        .limit(3)
        .collect()
    ]
for topic in topics:
    best = influencers(lake, topic, day, limit=top_n).toPandas()
    print(f"\n{topic}: top {len(best)} by topic score")
    display(best)

# %% [markdown]
# ## 3. One person
# The person's score over every date in the lake, then `jobs.queries.explain_person`: the network
# breakdown, the raw-score terms (§7, each already times its weight) and the top engagers, the
# people whose reactions pass them the most propagated influence.

# %%
if person_id is None:
    person_id = int(top["person_id"].iloc[0])
history = (
    scores_all.where(F.col("person_id") == F.lit(person_id))
    .select("score_date", "score", "percentile", "delta_1d")
    .orderBy("score_date")
    .toPandas()
)
display(history)
fig, ax = plt.subplots(figsize=(9, 3))
ax.plot(history["score_date"], history["score"], marker="o")
ax.set_ylim(0, 100)
ax.set_ylabel("score")
ax.set_title(f"Person {person_id}: score over the dates in the lake")
fig.autofmt_xdate()
plt.show()

# %%
why = explain_person(lake, person_id, day)
if not why:
    raise ValueError(f"person {person_id} is not scored on {day}")
row = why["score"]
print(
    f"person {person_id} on {day}: score {row['score']:.2f}, percentile {row['percentile']:.2f}, "
    f"delta_1d {row['delta_1d']}, change_network {row['change_network']}, "
    f"change_signal {row['change_signal']}"
)
print("topics:", why["topics"])
engagers = pd.DataFrame(why["engagers"], columns=["engager_id", "share", "score"])
display(engagers)

fig, axes = plt.subplots(1, 3, figsize=(14, 3.5))
networks = pd.Series(row["networks"] or {}, dtype=float).sort_values()
networks.plot.barh(ax=axes[0], color="C0")
axes[0].set_title("network parts of the score")
components = pd.Series(why["components"], dtype=float).drop("raw", errors="ignore")
components.plot.barh(ax=axes[1], color="C1")  # each term already times its weight
axes[1].set_title(f"raw score terms (raw {why['components'].get('raw', 0):.2f})")
shares = engagers.set_index(engagers["engager_id"].astype(str))["share"].iloc[::-1]
shares.plot.barh(ax=axes[2], color="C2")
axes[2].set_title("top engagers: share of inflow")
fig.tight_layout()
plt.show()

# %% [markdown]
# ## 4. Biggest movers
# `delta_1d` is the score minus the score published the day before; `change_network` and
# `change_signal` name the network and the score term that moved most in that direction (§8).

# %%
moved = scores.where(F.col("delta_1d").isNotNull() & (F.col("delta_1d") != 0))
cols = ["person_id", "score", "delta_1d", "delta_7d", "change_network", "change_signal"]
risers = moved.orderBy(F.col("delta_1d").desc(), "person_id").limit(top_n).select(cols).toPandas()
fallers = moved.orderBy(F.col("delta_1d").asc(), "person_id").limit(top_n).select(cols).toPandas()
print(f"{moved.count()} people moved since the day before")
print("\nrisers")
display(risers)
print("fallers")
display(fallers)

causes = (
    moved.groupBy(
        F.when(F.col("delta_1d") > 0, "up").otherwise("down").alias("direction"),
        F.coalesce(F.col("change_signal"), F.lit("(none)")).alias("change_signal"),
    )
    .count()
    .toPandas()
    .pivot(index="change_signal", columns="direction", values="count")
    .fillna(0)
)
fig, axes = plt.subplots(1, 2, figsize=(14, 3.5))
both = pd.concat([risers, fallers.iloc[::-1]]).drop_duplicates("person_id")
labels = [
    f"{p} {s or ''} / {n or ''}"
    for p, s, n in zip(both.person_id, both.change_signal, both.change_network, strict=True)
]
axes[0].barh(
    labels,
    both["delta_1d"],
    color=["C2" if d > 0 else "C3" for d in both["delta_1d"]],
)
axes[0].invert_yaxis()
axes[0].set_title("biggest movers (delta_1d): change_signal / change_network")
if len(causes):
    causes.plot.barh(ax=axes[1])
axes[1].set_title("all movers by change_signal")
fig.tight_layout()
plt.show()

# %% [markdown]
# ## 5. The engagement graph
# The day's graph (who reacted to whom over the window, `edges`) as GraphFrames-style `vertices`
# (`id`, score) and `edges` (`src`, `dst`, `weight`) DataFrames: its weakly connected components
# and the reciprocal pairs (the motif `(a)-[]->(b); (b)-[]->(a)`), where engagement pods hide.

# %%
vertices, edges = engagement_graph(lake, day)
components = connected_components(vertices, edges)
sizes = components.groupBy("component").count().orderBy(F.col("count").desc()).toPandas()
pairs = reciprocal_pairs(edges)
scored_ids = vertices.where(F.col("score").isNotNull()).select(F.col("id").alias("a"), "score")
top_pairs = (
    pairs.join(scored_ids, on="a", how="left")
    .orderBy(F.least("weight_ab", "weight_ba").desc(), "a", "b")
    .limit(top_n)
    .toPandas()
)
print(f"{vertices.count()} people, {edges.count()} edges, {len(sizes)} components "
      f"(largest {sizes['count'].iloc[0] if len(sizes) else 0}), {pairs.count()} reciprocal pairs")
display(top_pairs)
fig, ax = plt.subplots(figsize=(7, 3))
ax.hist(sizes["count"], bins=30, log=True)
ax.set_xlabel("component size (people)")
ax.set_ylabel("components")
ax.set_title(f"connected components of the engagement graph on {day}")
fig.tight_layout()
plt.show()

# %%
spark.stop()
