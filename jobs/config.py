"""One typed, validated config built from YAML overlays plus `--set key=value`.

`conf/base.yaml` holds every default. Overlays and `--set` may only change keys that exist there
(free-form maps such as `networks` and `spark.conf` may gain entries); anything else fails with a
`ConfigError` that names the key. This module holds the infrastructure sections and the YAML
merging, jobs/model_config.py the scoring model's sections; jobs/typed_tree.py turns the merged
tree into those dataclasses.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from jobs.model_config import (
    PROPAGATION_ENGINES,
    AudienceConfig,
    CalibrationConfig,
    EdgesConfig,
    EndorsementsConfig,
    PriorConfig,
    PropagationConfig,
    ScoreConfig,
    non_negative,
    positive,
)
from jobs.operations_config import (
    SPARK_LOG_LEVELS,
    HealthConfig,
    IngestConfig,
    LoggingConfig,
    one_of,
)
from jobs.typed_tree import NOT_IN_TREE, ConfigError, build

__all__ = [
    "BASE_CONF",
    "BacktestConfig",
    "FitConfig",
    "CONF_DIR",
    "PROPAGATION_ENGINES",
    "CalibrationConfig",
    "ConfigError",
    "EdgesConfig",
    "EndorsementsConfig",
    "PriorConfig",
    "PropagationConfig",
    "ScoreConfig",
    "SwayConfig",
    "from_tree",
    "load_config",
]


def _conf_dir() -> Path:
    """conf/: $SWAY_CONF_DIR, else next to the packages (a checkout), else ./conf. The last case is
    the packaged job (docs/CLUSTER.md): the code comes from sway.zip, where no folder lies next to
    it, and `--archives sway-conf.zip#conf` unpacks the config into the driver's working dir."""
    if os.environ.get("SWAY_CONF_DIR"):
        return Path(os.environ["SWAY_CONF_DIR"]).resolve()
    beside = Path(__file__).resolve().parent.parent / "conf"
    return beside if beside.is_dir() else Path("conf").resolve()


CONF_DIR = _conf_dir()
BASE_CONF = CONF_DIR / "base.yaml"


@dataclass(frozen=True)
class LakeConfig:
    root: str
    # The writer lease (jobs/lake/lease.py): a claim lapses this long after its last renewal.
    lease_minutes: float
    # How long a writing command waits for a lake another run is writing before it fails.
    busy_wait_seconds: float
    erase_busy_wait_seconds: float

    def __post_init__(self) -> None:
        positive("lake.lease_minutes", self.lease_minutes)
        non_negative("lake.busy_wait_seconds", self.busy_wait_seconds)
        non_negative("lake.erase_busy_wait_seconds", self.erase_busy_wait_seconds)


@dataclass(frozen=True)
class SparkConfig:
    master: str | None
    # sc://host:port: run over Spark Connect (the server has Delta and its checkpoint folder).
    remote: str | None
    app_name: str
    # Maven coordinates Spark resolves (and caches) at session start: the Delta Lake JARs.
    packages: list[str]
    shuffle_partitions: int
    checkpoint_dir: str | None
    log_level: str
    conf: dict[str, str]

    def __post_init__(self) -> None:
        positive("spark.shuffle_partitions", self.shuffle_partitions)
        one_of("spark.log_level", self.log_level, SPARK_LOG_LEVELS)


@dataclass(frozen=True)
class PopulationConfig:
    min_age: int


@dataclass(frozen=True)
class WindowConfig:
    days: int
    half_life_days: float
    # A multi-day ingest/aggregate (`--days N`) runs in windows of at most this many days
    # (jobs/runner.py), so that its memory does not grow with N.
    backfill_chunk_days: int
    # The edges stage slides the window sums kept for a day at most this many days back (reading
    # the days entering and leaving) instead of recomputing the window; 0: always recompute.
    slide_max_days: int

    def __post_init__(self) -> None:
        positive("window.days", self.days)
        positive("window.half_life_days", self.half_life_days)
        positive("window.backfill_chunk_days", self.backfill_chunk_days)
        if self.slide_max_days < 0:
            raise ConfigError(f"window.slide_max_days must be >= 0, got {self.slide_max_days}")


@dataclass(frozen=True)
class BacktestConfig:
    # The label: unique reactors a person draws in this many days after the score date.
    horizon_days: int
    # NDCG@k of the ranking against the label.
    ndcg_k: int
    # People per score date whose rows reach the driver for the rank metrics; above, a uniform
    # sample of this many (seeded), so that the metrics' cost stays bounded at any scale.
    max_people: int
    sample_seed: int

    def __post_init__(self) -> None:
        positive("backtest.horizon_days", self.horizon_days)
        positive("backtest.ndcg_k", self.ndcg_k)
        positive("backtest.max_people", self.max_people)


@dataclass(frozen=True)
class FitConfig:
    # The score weights `python -m jobs fit` fits; the others keep their configured value.
    free: list[str]

    def __post_init__(self) -> None:
        from transforms.scoring import COMPONENTS

        unknown = [t for t in self.free if t not in COMPONENTS]
        if unknown:
            raise ConfigError(f"fit.free: {unknown[0]!r} is not a score term ({COMPONENTS})")
        if not self.free:
            raise ConfigError("fit.free lists no term")


@dataclass(frozen=True)
class SwayConfig:
    algorithm_version: str
    lake: LakeConfig
    spark: SparkConfig
    logging: LoggingConfig
    ingest: IngestConfig
    health: HealthConfig
    population: PopulationConfig
    window: WindowConfig
    networks: dict[str, dict[str, float]]
    edges: EdgesConfig
    endorsements: EndorsementsConfig
    prior: PriorConfig
    audience: AudienceConfig
    propagation: PropagationConfig
    score: ScoreConfig
    calibration: CalibrationConfig
    backtest: BacktestConfig
    fit: FitConfig
    # The merged YAML tree this config was built from (for hashing and the run manifest).
    raw: dict[str, Any] = field(
        default_factory=dict, compare=False, repr=False, metadata=NOT_IN_TREE
    )

    def __post_init__(self) -> None:
        for network, actions in self.networks.items():
            if not actions:
                raise ConfigError(f"networks.{network} lists no action")
            for action, weight in actions.items():
                if weight < 0:
                    raise ConfigError(f"networks.{network}.{action} must be >= 0, got {weight}")

    @property
    def config_hash(self) -> str:
        """Stable hash of every setting: same settings, same hash, whatever the file layout."""
        canonical = json.dumps(self.raw, sort_keys=True, default=str)
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]

    @property
    def dedupe_lookback_days(self) -> int:
        lookback = self.ingest.dedupe_lookback_days
        return self.window.days if lookback is None else lookback

    @property
    def checkpoint_dir(self) -> str:
        return self.spark.checkpoint_dir or f"{self.lake.root.rstrip('/')}/_checkpoints"


# Sections whose keys are free (user-defined names) rather than fixed fields.
_FREE_MAPS = {"networks", "spark.conf"}


def load_config(
    overlays: list[str | Path] | tuple[str | Path, ...] = (),
    overrides: list[str] | tuple[str, ...] = (),
) -> SwayConfig:
    """Build the config: base.yaml, the frozen calibration and fitted weights of its algorithm
    version, then each overlay file in order, then each `key=value`."""
    tree = _read_yaml(BASE_CONF)
    # The calibration frozen for the algorithm version (written by `python -m jobs calibrate`).
    # Then its fitted weights (written by `python -m jobs fit --write`).
    for folder in ("calibration", "model"):
        frozen = CONF_DIR / folder / f"{tree['algorithm_version']}.yaml"
        if frozen.is_file():
            _merge(tree, _read_yaml(frozen), prefix="", source=str(frozen))
    for overlay in overlays:
        if Path(overlay).resolve() == BASE_CONF:
            continue
        _merge(tree, _read_yaml(Path(overlay)), prefix="", source=str(overlay))
    for item in overrides:
        key, sep, text = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--set expects key=value, got {item!r}")
        _merge(tree, _nest(key.strip(), yaml.safe_load(text)), prefix="", source="--set")
    return from_tree(tree)


def from_tree(tree: dict[str, Any]) -> SwayConfig:
    """Typed config from a merged YAML tree (every key checked against the dataclasses)."""
    config = build(SwayConfig, tree)
    return dataclasses.replace(config, raw=copy.deepcopy(tree))


def _read_yaml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise ConfigError(f"config file not found: {path}")
    data = yaml.safe_load(path.read_text()) or {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path} must hold a mapping at top level")
    return data


def _nest(dotted: str, value: Any) -> dict[str, Any]:
    for part in reversed(dotted.split(".")):
        value = {part: value}
    return value


def _merge(base: dict[str, Any], overlay: dict[str, Any], prefix: str, source: str) -> None:
    for key, value in overlay.items():
        path = f"{prefix}{key}"
        free = prefix.rstrip(".") in _FREE_MAPS or any(
            prefix.startswith(f"{m}.") for m in _FREE_MAPS
        )
        if key not in base and not free:
            raise ConfigError(f"unknown config key {path!r} (from {source})")
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _merge(base[key], value, f"{path}.", source)
        else:
            base[key] = copy.deepcopy(value)
