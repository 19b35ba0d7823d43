"""What every PageRank engine shares: its parameters, its result type, checkpoints."""

from __future__ import annotations

from dataclasses import dataclass, field

from pyspark import StorageLevel
from pyspark.sql import DataFrame

LEVEL = StorageLevel.MEMORY_AND_DISK


@dataclass(frozen=True)
class PageRankResult:
    """ranks: person_id long, rank double; one row per vertex of the prior; ranks sum to 1.

    ranks is checkpointed: it does not depend on the inputs' lineage or on any cache.
    """

    ranks: DataFrame
    iterations: int
    converged: bool
    l1_change: float  # L1 change of the last iteration
    history: list[float] = field(default_factory=list)  # L1 change per iteration


@dataclass(frozen=True)
class PageRankParams:
    """The iteration's settings, the same for every engine (conf/base.yaml `propagation`).

    alpha: damping, the probability to follow an edge rather than teleport; tol: the iteration
    stops once the L1 change of the ranks is below tol * vertices; max_iter: it stops there
    otherwise (reported, not raised). Values outside the algorithm's domain raise ValueError.
    """

    alpha: float
    tol: float
    max_iter: int

    def __post_init__(self) -> None:
        if not 0.0 <= self.alpha <= 1.0:
            raise ValueError(f"alpha must be in [0, 1], got {self.alpha}")
        if self.tol < 0.0:
            raise ValueError(f"tol must be >= 0, got {self.tol}")
        if self.max_iter < 1:
            raise ValueError(f"max_iter must be >= 1, got {self.max_iter}")


def check_checkpoint_every(checkpoint_every: int) -> None:
    """The distributed engines' checkpoint interval, in iterations."""
    if checkpoint_every < 1:
        raise ValueError(f"checkpoint_every must be >= 1, got {checkpoint_every}")


def has_checkpoint_dir(df: DataFrame) -> bool:
    """Whether reliable checkpoints have a folder: `spark.checkpoint.dir`, which a Spark Connect
    client reads from the server as well (it has no SparkContext)."""
    if df.sparkSession.conf.get("spark.checkpoint.dir", None):
        return True
    try:
        return df.sparkSession.sparkContext.getCheckpointDir() is not None
    except Exception:  # Spark Connect has no SparkContext
        return False


def checkpoint(df: DataFrame, reliable: bool, level: StorageLevel = LEVEL) -> DataFrame:
    """df computed once, as a plan leaf: lineage and plan start afresh from here."""
    if not reliable:
        return df.localCheckpoint(eager=True, storageLevel=level)
    # The eager checkpoint computes once to count and once to write: the cache makes it one.
    source = df.persist(LEVEL)
    checkpointed = source.checkpoint(eager=True)
    source.unpersist()
    return checkpointed
