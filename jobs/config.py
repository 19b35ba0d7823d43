"""One typed, validated config built from YAML overlays plus `--set key=value` (DESIGN §6).

`conf/base.yaml` holds every default. Overlays and `--set` may only change keys that exist there
(free-form maps such as `networks` and `spark.conf` may gain entries); anything else fails with a
`ConfigError` that names the key. This module holds the settings' dataclasses with their value
checks and the YAML merging; jobs/typed_tree.py turns the merged tree into those dataclasses.
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

from jobs.typed_tree import NOT_IN_TREE, ConfigError, build
from transforms.scoring import COMPONENTS as SCORE_COMPONENTS


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
    engine: str

    def __post_init__(self) -> None:
        _one_of("lake.engine", self.engine, ("auto", "native", "bridge"))


@dataclass(frozen=True)
class SparkConfig:
    master: str | None
    app_name: str
    shuffle_partitions: int
    checkpoint_dir: str | None
    log_level: str
    conf: dict[str, str]

    def __post_init__(self) -> None:
        _positive("spark.shuffle_partitions", self.shuffle_partitions)


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

    def __post_init__(self) -> None:
        _positive("window.days", self.days)
        _positive("window.half_life_days", self.half_life_days)
        _positive("window.backfill_chunk_days", self.backfill_chunk_days)


@dataclass(frozen=True)
class EdgesConfig:
    pair_unit: float
    selectivity_scale: float
    selectivity_power: float
    reciprocal_keep: float
    burst_cap: float
    burst_floor: float
    crowd_cap: float
    crowd_floor: float
    trusted_reactor: float

    def __post_init__(self) -> None:
        _positive("edges.pair_unit", self.pair_unit)
        _positive("edges.selectivity_scale", self.selectivity_scale)
        if self.selectivity_power < 0:
            raise ConfigError(f"edges.selectivity_power must be >= 0, got {self.selectivity_power}")
        if not 0.0 <= self.reciprocal_keep <= 1.0:
            raise ConfigError(
                f"edges.reciprocal_keep must lie in [0, 1], got {self.reciprocal_keep}"
            )
        _positive("edges.burst_cap", self.burst_cap)
        _positive("edges.burst_floor", self.burst_floor)
        _positive("edges.crowd_cap", self.crowd_cap)
        _positive("edges.crowd_floor", self.crowd_floor)
        _positive("edges.trusted_reactor", self.trusted_reactor)


@dataclass(frozen=True)
class EndorsementsConfig:
    network: str
    action: str
    per_giver_per_day: int
    repeat_days: int

    def __post_init__(self) -> None:
        _positive("endorsements.per_giver_per_day", self.per_giver_per_day)
        _positive("endorsements.repeat_days", self.repeat_days)


@dataclass(frozen=True)
class PriorConfig:
    account_age_full_days: float
    verified_boost: float
    follow_spam_ratio: float
    follow_spam_min_following: int
    follow_spam_factor: float
    young_account_days: float
    young_account_factor: float

    def __post_init__(self) -> None:
        _positive("prior.account_age_full_days", self.account_age_full_days)
        _positive("prior.verified_boost", self.verified_boost)
        _positive("prior.follow_spam_factor", self.follow_spam_factor)
        _positive("prior.young_account_factor", self.young_account_factor)


PROPAGATION_ENGINES = ("auto", "blocked", "reference", "single")


@dataclass(frozen=True)
class PropagationConfig:
    engine: str
    single_max_edges: int
    blocks: int | None
    alpha: float
    tol: float
    max_iter: int
    checkpoint_every: int
    warm_start: bool

    def __post_init__(self) -> None:
        _one_of("propagation.engine", self.engine, PROPAGATION_ENGINES)
        if self.single_max_edges < 0:
            raise ConfigError(
                f"propagation.single_max_edges must be >= 0, got {self.single_max_edges}"
            )
        if self.blocks is not None:
            _positive("propagation.blocks", self.blocks)
        if not 0.0 < self.alpha < 1.0:
            raise ConfigError(f"propagation.alpha must lie in (0, 1), got {self.alpha}")
        _positive("propagation.tol", self.tol)
        _positive("propagation.max_iter", self.max_iter)
        _positive("propagation.checkpoint_every", self.checkpoint_every)


@dataclass(frozen=True)
class ScoreConfig:
    weights: dict[str, float]
    followers_per_reactor: float
    top_engagers: int
    top_topics: int
    min_reaction_signal: float

    def __post_init__(self) -> None:
        expected = set(SCORE_COMPONENTS)  # the terms of the raw score
        if set(self.weights) != expected:
            raise ConfigError(f"score.weights must have exactly the keys {sorted(expected)}")
        _positive("score.followers_per_reactor", self.followers_per_reactor)
        _positive("score.top_engagers", self.top_engagers)


@dataclass(frozen=True)
class CalibrationConfig:
    raw_knots: list[float]
    score_knots: list[float]
    target_quantiles: list[list[float]]
    tail_scale: float
    max_score: float

    def __post_init__(self) -> None:
        if len(self.raw_knots) != len(self.score_knots):
            raise ConfigError("calibration.raw_knots and calibration.score_knots differ in length")
        if any(b <= a for a, b in zip(self.raw_knots, self.raw_knots[1:], strict=False)):
            raise ConfigError("calibration.raw_knots must increase strictly")
        if any(len(pair) != 2 for pair in self.target_quantiles):
            raise ConfigError("calibration.target_quantiles must be [quantile, score] pairs")
        if not 0 < self.max_score < 100:
            raise ConfigError("calibration.max_score must lie in (0, 100)")


@dataclass(frozen=True)
class SwayConfig:
    algorithm_version: str
    lake: LakeConfig
    spark: SparkConfig
    population: PopulationConfig
    window: WindowConfig
    networks: dict[str, dict[str, float]]
    edges: EdgesConfig
    endorsements: EndorsementsConfig
    prior: PriorConfig
    propagation: PropagationConfig
    score: ScoreConfig
    calibration: CalibrationConfig
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
    def checkpoint_dir(self) -> str:
        return self.spark.checkpoint_dir or f"{self.lake.root.rstrip('/')}/_checkpoints"


# Sections whose keys are free (user-defined names) rather than fixed fields.
_FREE_MAPS = {"networks", "spark.conf"}


def load_config(
    overlays: list[str | Path] | tuple[str | Path, ...] = (),
    overrides: list[str] | tuple[str, ...] = (),
) -> SwayConfig:
    """Build the config: base.yaml, the frozen calibration of its algorithm version, then each
    overlay file in order, then each `key=value`."""
    tree = _read_yaml(BASE_CONF)
    # The calibration frozen for the algorithm version (written by `python -m jobs calibrate`).
    frozen = CONF_DIR / "calibration" / f"{tree['algorithm_version']}.yaml"
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


def _one_of(key: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ConfigError(f"{key} must be one of {list(allowed)}, got {value!r}")


def _positive(key: str, value: float) -> None:
    if value <= 0:
        raise ConfigError(f"{key} must be > 0, got {value}")
