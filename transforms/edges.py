"""The window: 90 days of daily pairs, decayed, into the engagement graph and per-network signals.

Formulas (docs/SCORING.md has the why):
- decay of a day d before the score date D: 2 ** (-(D - d) / half_life); older days drop out;
- per (actor a, target t, network n): R = sum over actions and days of weight(n, action) * reactions
  * decay;
- diminishing returns per pair: strength = log1p(R / pair_unit), so repeated reactions from one
  person add less and less (100 reactions from 100 people beat 100 from one);
- selectivity: an actor whose total R over all targets is A passes (1 + A / selectivity_scale)^-p
  of its strength (p = selectivity_power): the more an account reacts, the less each reaction
  counts (in the edges it cancels out: the propagation normalises each actor's out-weights);
- edge a -> t: weight = sum over networks of strength, times a's selectivity;
- signal of t on n: sum over actors of strength * selectivity * quality, quality = min(1, trust of
  the actor / trusted_reactor); reactors: distinct actors; reactions: decayed reactions times
  quality, selectivity and the mutual factor;
and the gaming defences:
- bursts: a target's distinct reactors of one day count at most burst_cap times its median day
  with reactions in the window (at least burst_floor): the day's pairs are scaled alike; and the
  people arriving in one hour at most crowd_cap times its median peak hour (at least
  crowd_floor): the pairs whose first reaction of the day fell in a crowded hour are scaled
  again; a pair's strength by the share of its reactions kept;
- pods: a pair's strength is scaled by 1 - (1 - reciprocal_keep) * min(R(a->t), R(t->a)) / R(a->t),
  so the mutual part of the pair counts reciprocal_keep.
"""

from __future__ import annotations

import datetime as dt

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from transforms.recency import recency_sums
from transforms.schemas import EDGES, SIGNALS

# The edges' sink for the weight the gaming defences take (see engagement_edges): not a person
# (person ids are positive); the propagation gives it no prior, so what reaches it is dangling
# mass, handed back through the teleport vector.
LEAK_ID = -1


def window_dates(score_date: dt.date, days: int) -> list[dt.date]:
    """The `days` dates ending at (and including) `score_date`, oldest first."""
    return [score_date - dt.timedelta(days=offset) for offset in range(days - 1, -1, -1)]


def decay_factor(score_date: dt.date, half_life_days: float):
    """Column: exponential decay of a row's `event_date` relative to the score date."""
    age_days = F.datediff(F.lit(score_date), F.col("event_date"))
    return F.pow(F.lit(2.0), -age_days.cast("double") / F.lit(float(half_life_days)))


def discount_reciprocal(pair_networks: DataFrame, keep: float) -> DataFrame:
    """Pods: each pair's `mutual_factor`, the share of its strength that counts.

    With R = raw a -> t over all networks and B = raw t -> a, the pair keeps
    (R - (1 - keep) * min(R, B)) / R of each network's raw: one-way fans count fully, two people
    liking everything of each other count `keep`.
    """
    pair = pair_networks.groupBy(F.col("src"), F.col("dst")).agg(F.sum(F.col("raw")).alias("out"))
    back = pair.select(
        F.col("dst").alias("src"), F.col("src").alias("dst"), F.col("out").alias("back")
    )
    mutual = F.least(F.col("out"), F.coalesce(F.col("back"), F.lit(0.0)))
    factor = pair.join(back, on=["src", "dst"], how="left").select(
        F.col("src"),
        F.col("dst"),
        F.when(F.col("out") > 0, F.lit(1.0) - F.lit(1.0 - keep) * mutual / F.col("out"))
        .otherwise(F.lit(1.0))
        .alias("mutual_factor"),
    )
    # A column, not a rescaled raw: selectivity measures what the actor did, pod or not.
    return pair_networks.join(factor, on=["src", "dst"], how="inner")


def actor_selectivity(
    pair_networks: DataFrame, selectivity_scale: float, selectivity_power: float
) -> DataFrame:
    """src -> selectivity factor in (0, 1]: heavy reactors pass less per reaction (measured on
    what the actor gave, before any defence)."""
    given = "raw_given" if "raw_given" in pair_networks.columns else "raw"
    return pair_networks.groupBy(F.col("src")).agg(
        F.pow(
            F.lit(1.0) + F.sum(F.col(given)) / F.lit(float(selectivity_scale)),
            F.lit(-float(selectivity_power)),
        ).alias("selectivity")
    )


def with_strength(
    pair_networks: DataFrame,
    pair_unit: float,
    selectivity_scale: float,
    selectivity_power: float,
) -> DataFrame:
    """strength = log1p(given / pair_unit) * kept share * mutual factor * selectivity.

    The defences scale the strength after the log (not the reactions before it): a bought
    reaction kept at 10% must count a tenth of a real first reaction, not the log of a tenth.
    """
    selectivity = actor_selectivity(pair_networks, selectivity_scale, selectivity_power)
    unit = F.lit(float(pair_unit))
    if "raw_given" in pair_networks.columns:  # the window's pairs: what actors gave, undamped
        given = F.col("raw_given")
        kept = F.when(given > 0, F.col("raw") / given).otherwise(F.lit(0.0))
        strength = F.log1p(given / unit) * kept
    else:
        strength = F.log1p(F.col("raw") / unit)
    strength = strength * F.col("selectivity")
    if "mutual_factor" in pair_networks.columns:  # discount_reciprocal ran
        strength = strength * F.col("mutual_factor")
    return pair_networks.join(selectivity, on="src", how="inner").withColumn("strength", strength)


def prepared_pairs(
    pair_networks: DataFrame,
    pair_unit: float,
    selectivity_scale: float,
    selectivity_power: float,
    quality: DataFrame | None,
) -> DataFrame:
    """pair_networks with their strength, selectivity and (with `quality`) quality columns, as
    engagement_edges and network_signals need them: computed once and persisted by the edges
    stage for both, rather than each of them aggregating and joining the pairs again."""
    strengths = pair_networks
    if "strength" not in strengths.columns:
        strengths = with_strength(strengths, pair_unit, selectivity_scale, selectivity_power)
    if quality is not None and "quality" not in strengths.columns:
        strengths = strengths.join(quality, on="src", how="inner")
    return strengths


def reactor_quality(trust: DataFrame, trusted_reactor: float) -> DataFrame:
    """src -> quality = min(1, trust / trusted_reactor) (trust: person_id, trust)."""
    return trust.select(
        F.col("person_id").alias("src"),
        F.least(F.lit(1.0), F.col("trust") / F.lit(float(trusted_reactor))).alias("quality"),
    )


def engagement_edges(
    pair_networks: DataFrame,
    score_date: dt.date,
    pair_unit: float,
    selectivity_scale: float,
    selectivity_power: float,
    quality: DataFrame | None = None,
) -> DataFrame:
    """The person-level graph src -> dst with a positive weight, summed over networks.

    With `quality` (reactor_quality), each weight is also scaled by its actor's quality and every
    actor gets an edge to LEAK_ID carrying what the defences took from its reactions (bursts,
    mutual reactions, low trust): in the PageRank that share of its rank returns to the teleport
    vector instead of being renormalised onto the people it gamed for. Actors without a quality
    row (not scorable) are dropped.
    """
    strengths = prepared_pairs(
        pair_networks, pair_unit, selectivity_scale, selectivity_power, quality
    )
    if quality is None:
        pairs = strengths.groupBy(F.col("src"), F.col("dst")).agg(
            F.sum(F.col("strength")).alias("weight")
        )
    else:
        given = F.log1p(F.col("raw_given") / F.lit(float(pair_unit))) * F.col("selectivity")
        per_pair = strengths.groupBy(F.col("src"), F.col("dst")).agg(
            F.sum(F.col("strength") * F.col("quality")).alias("weight"),
            F.sum(given).alias("given"),
        )
        leak = per_pair.groupBy(F.col("src")).agg(
            (F.sum(F.col("given")) - F.sum(F.col("weight"))).alias("weight")
        )
        pairs = per_pair.select(F.col("src"), F.col("dst"), F.col("weight")).unionByName(
            leak.select(F.col("src"), F.lit(LEAK_ID).cast("long").alias("dst"), F.col("weight"))
        )
    return pairs.where(F.col("weight") > F.lit(1e-12)).select(
        F.lit(score_date).alias("score_date"), *[F.col(c) for c in EDGES.columns[1:]]
    )


def network_signals(
    pair_networks: DataFrame,
    score_date: dt.date,
    pair_unit: float,
    selectivity_scale: float,
    quality: DataFrame,
    selectivity_power: float,
    half_lives: tuple[float, float, float],
) -> DataFrame:
    """Per target person and network: reaction signal, distinct reactors, decayed reactions, the
    signal and the reactions weighted by the reactor's quality (reactor_quality; a reactor without
    a row counts nothing: not scorable) and the reactions also by the actor's selectivity (a
    reaction counts less the more its giver reacts) and the pair's mutual factor (pods); and the
    recency sums (recency_sums) at the fast, mid and slow `half_lives` (days)."""
    strengths = prepared_pairs(
        pair_networks, pair_unit, selectivity_scale, selectivity_power, quality
    )
    counted = F.col("reactions") * F.col("quality") * F.col("selectivity")
    if "mutual_factor" in pair_networks.columns:
        counted = counted * F.col("mutual_factor")
    recency = recency_sums(strengths, score_date, half_lives)
    return (
        strengths.groupBy(F.col("dst").alias("person_id"), F.col("network"))
        .agg(
            F.sum(F.col("strength") * F.col("quality")).alias("signal"),
            # One row per (src, dst, network) (the window's pairs are grouped by them; every later
            # join is one row per src or per pair): counting rows counts distinct reactors,
            # without the extra shuffle of a distinct aggregation.
            F.count(F.lit(1)).alias("reactors"),
            F.sum(counted).alias("reactions"),
            *recency,
        )
        .where(F.col("signal") > 0)
        .select(F.lit(score_date).alias("score_date"), *[F.col(c) for c in SIGNALS.columns[1:]])
    )
