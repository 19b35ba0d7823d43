"""What every PageRank engine shares: its result type, the parameter check, checkpoints."""

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


def validate_params(alpha: float, tol: float, max_iter: int) -> None:
    """Reject parameters outside the algorithm's domain (the same for every engine)."""
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must be in [0, 1], got {alpha}")
    if tol < 0.0:
        raise ValueError(f"tol must be >= 0, got {tol}")
    if max_iter < 1:
        raise ValueError(f"max_iter must be >= 1, got {max_iter}")


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
