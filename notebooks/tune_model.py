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
# # Tune the model
#
# Change some config keys (score weights, propagation, edges, ...), rerun the job on a generated
# sample with planted influence and planted gamers, and compare with the unchanged config side by
# side: the evaluation figures of `scripts/evaluate.py` (docs/EVALUATION.md) and the two rankings.
#
# 1. **Baseline**: `scripts.evaluate.evaluate` on the sample (generated once, then reused): the
#    daily job for D - 1 (backfilling the history) and D, the future days ingested, the figures.
# 2. **Tuned**: the baseline lake is copied next to it (`<lake>-tuned`) and the job reruns there
#    with the tuned keys. With `rerun = "auto"` only the stages the keys reach rerun (score
#    weights and calibration: `score` and `publish`, seconds; propagation: from `propagate`; edges
#    or window: from `edges`); keys that reach ingest or aggregate rerun the whole job.
# 3. **Compare**: the figures side by side, the targets, the planted kinds, then the rankings
#    (Spearman between the two scorings, top-k overlap, a scatter plot).
#
# The baseline lake is never modified by the tuned run, so `baseline = "reuse"` skips step 1 on a
# later run (checked: the lake's last publish must come from the same baseline config).

# %%
import datetime as dt
import json
import shutil
import sys
import time
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import yaml
from IPython.display import display
from pyspark.sql import functions as F
from scipy.stats import spearmanr

# %% tags=["parameters"]
size = "tiny"  # the generated sample: tiny (~2.5 min a full run), small (~4 min), medium
seed = 7
lake_root = None  # None: /tmp/sway-eval/<size>-seed<seed>, the scripts/evaluate.py default
conf = "../conf/local.yaml"  # config overlay (relative paths: relative to notebooks/)
base_sets = []  # "key=value" overrides for both runs, e.g. "spark.shuffle_partitions=2"
tuned = {"score.weights.influence": 1.0}  # what the tuned run changes: config key -> value
rerun = "auto"  # "auto": only the stages the tuned keys reach; "all": the whole daily job
baseline = "run"  # "run": run the baseline job now; "reuse": the lake already holds it
top_k = 20  # size of the top lists compared

# %%
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
from jobs.context import RunContext  # noqa: E402
from jobs.runner import run_daily  # noqa: E402
from jobs.session import build_session  # noqa: E402
from jobs.stages import STAGES  # noqa: E402
from jobs.lake import Lake  # noqa: E402
from scripts.eval_data import person_frame  # noqa: E402
from scripts.eval_report import BASELINES, render, rounded, summarize, targets  # noqa: E402
from scripts.evaluate import FUTURE_DAYS, SCORE_DATE, evaluate  # noqa: E402

pd.set_option("display.width", 160)
pd.set_option("display.max_columns", 20)

# %%
lake = Path(lake_root).expanduser() if lake_root else Path(f"/tmp/sway-eval/{size}-seed{seed}")
lake = here(str(lake))
lake_tuned = lake.with_name(lake.name + "-tuned")
conf_path = str(here(conf))
# `key=value` as --set takes them (YAML values), for load_config and evaluate.
tuned_sets = [f"{key}={json.dumps(value)}" for key, value in tuned.items()]
config_base = load_config([conf_path], [*base_sets, f"lake.root={lake}"])
config_tuned = load_config([conf_path], [*base_sets, *tuned_sets, f"lake.root={lake_tuned}"])
spark = build_session(config_base)
print(f"baseline lake {lake}\ntuned lake    {lake_tuned}\ntuned keys    {tuned_sets}")

# %% [markdown]
# ## 1. Baseline


# %%
def figures_of(root: Path) -> dict:
    """The evaluation figures of a lake the job already ran on (as evaluate() computes them)."""
    figures = summarize(person_frame(root, SCORE_DATE, FUTURE_DAYS))
    figures["targets"] = targets(figures)
    return rounded(figures)


def last_publish_hash(root: Path) -> str | None:
    """Config hash of the last successful publish for D in the lake's runs manifest."""
    rows = (
        Lake(spark, str(root))
        .read_day("runs", SCORE_DATE)
        .where((F.col("stage") == "publish") & (F.col("status") == "succeeded"))
        .orderBy(F.col("finished_at").desc())
        .limit(1)
        .collect()
    )
    return rows[0]["config_hash"] if rows else None


clock = time.perf_counter()
if baseline == "run":
    fig_base = evaluate(size, lake, seed, conf_path, base_sets, reuse=True, spark=spark)
elif baseline == "reuse":
    found = last_publish_hash(lake) if (lake / "runs").is_dir() else None
    if found != config_base.config_hash:
        raise ValueError(
            f"{lake} does not hold a baseline run of this config (last publish for {SCORE_DATE}: "
            f"config hash {found}, expected {config_base.config_hash}); set baseline = 'run'"
        )
    fig_base = figures_of(lake)
else:
    raise ValueError(f"baseline must be 'run' or 'reuse', not {baseline!r}")
frame_base = person_frame(lake, SCORE_DATE, FUTURE_DAYS).to_pandas().set_index("person_id")
print(f"baseline: {time.perf_counter() - clock:.0f}s, {fig_base['people_scored']} people scored")

# %% [markdown]
# ## 2. Tuned
# The first stage each config section reaches (`jobs/stages/*.py` read them); the rerun starts at
# the earliest and runs every later stage for D - 1 and D (D - 1 first: D's deltas, change causes
# and stability compare with it).

# %%
ORDER = list(STAGES)  # ingest, aggregate, prior, edges, propagate, score, publish
FIRST_STAGE = {
    "score": "score",
    "calibration": "score",
    "algorithm_version": "score",
    "spark": "score",  # no effect on the figures; rerun the cheapest stages anyway
    "propagation": "propagate",
    "edges": "edges",
    "window": "edges",
    "prior": "prior",
    "endorsements": "aggregate",
    "networks": "ingest",
    "population": "ingest",
}


def first_stage(keys) -> str:
    sections = {key.split(".")[0] for key in keys}
    if "lake" in sections:
        raise ValueError("lake.* cannot be tuned here: the lakes are set by lake_root")
    return min((FIRST_STAGE.get(s, "ingest") for s in sections), key=ORDER.index, default="score")


start = "ingest" if rerun == "all" else first_stage(tuned)
clock = time.perf_counter()
if lake_tuned.exists():
    shutil.rmtree(lake_tuned)
shutil.copytree(lake, lake_tuned, ignore=shutil.ignore_patterns("_checkpoints"))
if start == "ingest":
    fig_tuned = evaluate(
        size, lake_tuned, seed, conf_path, [*base_sets, *tuned_sets], reuse=True, spark=spark
    )
else:
    tables = Lake(spark, str(lake_tuned))
    for day in (SCORE_DATE - dt.timedelta(days=1), SCORE_DATE):
        run_daily(RunContext(spark, config_tuned, tables, day, 1), ORDER[ORDER.index(start) :])
    fig_tuned = figures_of(lake_tuned)
frame_tuned = person_frame(lake_tuned, SCORE_DATE, FUTURE_DAYS).to_pandas().set_index("person_id")
print(f"tuned: reran from `{start}` in {time.perf_counter() - clock:.0f}s")

# %% [markdown]
# ## 3. The evaluation figures side by side
# docs/EVALUATION.md §2 defines each figure and the targets. `planted` is the ceiling: how well the
# planted influence itself predicts the future reactors.


# %%
def headline(f: dict) -> dict:
    best = max(BASELINES, key=lambda b: f["baselines"][b])
    passed = sum(f["targets"].values())
    return {
        "spearman vs planted": f["spearman"],
        f"best baseline spearman ({best})": f["baselines"][best],
        "predictive spearman": f["predictive"]["score"]["spearman"],
        "predictive ndcg@100": f["predictive"]["score"]["ndcg100"],
        "gamers in top 1%": f["gamers_in_top1pct"],
        "gamer median percentile": f["gamer_median_percentile"],
        "mean (target 40)": f["mean"],
        "p95 (target 63)": f["p95"],
        "p99 (target 77)": f["p99"],
        "max (< 100)": f["max"],
        "stability (<= 0.5)": f["stability_median_abs_change"],
        "explanation max error": f["explanation_max_error"],
        "targets passed": f"{passed}/{len(f['targets'])}",
    }


side = pd.DataFrame({"baseline": headline(fig_base), "tuned": headline(fig_tuned)})
numeric = side.apply(pd.to_numeric, errors="coerce")
side["change"] = (numeric["tuned"] - numeric["baseline"]).round(4).astype(object).fillna("")
display(side)

predictive = pd.DataFrame(
    {
        (run, metric): {name: f["predictive"][name][metric] for name in f["predictive"]}
        for run, f in (("baseline", fig_base), ("tuned", fig_tuned))
        for metric in ("spearman", "ndcg100")
    }
)
print("predictive figures per predictor (baselines do not depend on the score config)")
display(predictive)

checks = pd.DataFrame({"baseline": fig_base["targets"], "tuned": fig_tuned["targets"]})
display(checks.replace({True: "pass", False: "FAIL"}))

kinds = pd.concat(
    {
        run: pd.DataFrame(f["kinds"])
        .T[["people", "median_percentile", "in_top1pct"]]
        .astype({"people": int, "in_top1pct": int})
        for run, f in (("baseline", fig_base), ("tuned", fig_tuned))
    },
    axis=1,
)
print("planted kinds: median percentile and people in the top 1%")
display(kinds)

# %%
print("tuned run, as scripts/evaluate.py prints it:\n")
print(render(fig_tuned))

# %% [markdown]
# ## 4. The two rankings
# Everyone scored on D in both runs. Spearman between the two scorings, how many of the top-k stay,
# who enters and who leaves, and each person's two scores (gamers in red).

# %%
both = frame_base[["score", "kind", "influence"]].join(
    frame_tuned[["score"]], rsuffix="_tuned", how="inner"
)
both = both.rename(columns={"score": "score_base"})
rho = spearmanr(both["score_base"], both["score_tuned"]).statistic


def top_set(column: str) -> list:
    ranked = both.reset_index().sort_values([column, "person_id"], ascending=[False, True])
    return list(ranked["person_id"].head(top_k))


top_base, top_tuned = top_set("score_base"), top_set("score_tuned")
kept = set(top_base) & set(top_tuned)
print(f"{len(both)} people; Spearman between the two scorings: {rho:.4f}")
print(f"top {top_k}: {len(kept)} in both ({len(kept) / top_k:.0%})")
moves = pd.DataFrame(
    {
        "entered": pd.Series([p for p in top_tuned if p not in kept], dtype="Int64"),
        "left": pd.Series([p for p in top_base if p not in kept], dtype="Int64"),
    }
)
for column in ("entered", "left"):
    moves[f"{column} kind"] = moves[column].map(lambda p: both["kind"].get(p, None))
display(moves)

top_table = pd.DataFrame(
    {
        "baseline": top_base,
        "baseline score": both.loc[top_base, "score_base"].to_numpy(),
        "tuned": top_tuned,
        "tuned score": both.loc[top_tuned, "score_tuned"].to_numpy(),
    },
    index=pd.RangeIndex(1, len(top_base) + 1, name="rank"),
)
display(top_table)

# %%
gamer = both["kind"].isin(["pod", "bot_customer", "bought_followers", "burst_customer"])
fig, axes = plt.subplots(1, 2, figsize=(13, 5))
axes[0].scatter(both.loc[~gamer, "score_base"], both.loc[~gamer, "score_tuned"], s=6, alpha=0.5,
                label="normal")  # fmt: skip
axes[0].scatter(both.loc[gamer, "score_base"], both.loc[gamer, "score_tuned"], s=10, color="C3",
                label="planted gamers")  # fmt: skip
axes[0].plot([0, 100], [0, 100], color="grey", linewidth=0.8)
axes[0].set_xlabel("baseline score")
axes[0].set_ylabel("tuned score")
axes[0].set_title(f"score on {SCORE_DATE}: Spearman {rho:.3f}")
axes[0].legend()
bins = np.arange(0, 101, 2)
for column, label in (("score_base", "baseline"), ("score_tuned", "tuned")):
    axes[1].hist(both.loc[both[column] > 0, column], bins=bins, histtype="step", label=label)
axes[1].set_xlabel("score (active people)")
axes[1].set_ylabel("people")
axes[1].set_title("distribution")
axes[1].legend()
fig.tight_layout()
plt.show()

# %% [markdown]
# To keep the tuned values, put them in a config overlay (or in `conf/base.yaml` with a new
# `algorithm_version` and a refitted calibration: docs/SCORING.md §7):

# %%
overlay: dict = {}
for key, value in tuned.items():
    node = overlay
    *path, leaf = key.split(".")
    for part in path:
        node = node.setdefault(part, {})
    node[leaf] = value
print(yaml.safe_dump(overlay, sort_keys=False))

# %%
spark.stop()
