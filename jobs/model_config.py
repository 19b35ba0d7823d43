"""The scoring model's config sections (edges, endorsements, prior, propagation, score,
calibration) with their value checks; jobs/config.py assembles them into SwayConfig."""

from __future__ import annotations

from dataclasses import dataclass

from jobs.typed_tree import ConfigError
from transforms.pagerank.result import PageRankParams
from transforms.scoring import COMPONENTS as SCORE_COMPONENTS


def one_of(key: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ConfigError(f"{key} must be one of {list(allowed)}, got {value!r}")


def positive(key: str, value: float) -> None:
    if value <= 0:
        raise ConfigError(f"{key} must be > 0, got {value}")


def non_negative(key: str, value: float) -> None:
    if value < 0:
        raise ConfigError(f"{key} must be >= 0, got {value}")


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
    # Whether the caps judge each reactor first (bursts.reactor_suspicion); off: they apply in full.
    judge_reactors: bool
    # Reactors judged before the caps: the share of their window pairs on damped target-days at
    # or below which the caps spare them, and from which they apply in full (linear between).
    suspect_share_low: float
    suspect_share_high: float
    # ... and their number of such pairs at or below which / from which (a seller serves many).
    suspect_pairs_low: float
    suspect_pairs_high: float
    # Half-lives (days) of the recency sums: trusted reactors decayed by their latest reaction.
    recent_fast_days: float
    recent_mid_days: float
    recent_slow_days: float

    @property
    def suspects(self) -> tuple[tuple[float, float], tuple[float, float]] | None:
        if not self.judge_reactors:
            return None
        return (
            (self.suspect_share_low, self.suspect_share_high),
            (self.suspect_pairs_low, self.suspect_pairs_high),
        )

    @property
    def recency_half_lives(self) -> tuple[float, float, float]:
        return (self.recent_fast_days, self.recent_mid_days, self.recent_slow_days)

    def __post_init__(self) -> None:
        for name in ("recent_fast_days", "recent_mid_days", "recent_slow_days"):
            positive(f"edges.{name}", getattr(self, name))
        positive("edges.pair_unit", self.pair_unit)
        if not 0.0 <= self.suspect_share_low < self.suspect_share_high <= 1.0:
            raise ConfigError(
                "edges.suspect_share_low and suspect_share_high need 0 <= low < high <= 1"
            )
        if not 0.0 <= self.suspect_pairs_low < self.suspect_pairs_high:
            raise ConfigError("edges.suspect_pairs_low and suspect_pairs_high need 0 <= low < high")
        positive("edges.selectivity_scale", self.selectivity_scale)
        if self.selectivity_power < 0:
            raise ConfigError(f"edges.selectivity_power must be >= 0, got {self.selectivity_power}")
        if not 0.0 <= self.reciprocal_keep <= 1.0:
            raise ConfigError(
                f"edges.reciprocal_keep must lie in [0, 1], got {self.reciprocal_keep}"
            )
        positive("edges.burst_cap", self.burst_cap)
        positive("edges.burst_floor", self.burst_floor)
        positive("edges.crowd_cap", self.crowd_cap)
        positive("edges.crowd_floor", self.crowd_floor)
        positive("edges.trusted_reactor", self.trusted_reactor)


@dataclass(frozen=True)
class EndorsementsConfig:
    network: str
    action: str
    per_giver_per_day: int
    repeat_days: int

    def __post_init__(self) -> None:
        positive("endorsements.per_giver_per_day", self.per_giver_per_day)
        positive("endorsements.repeat_days", self.repeat_days)


@dataclass(frozen=True)
class PriorConfig:
    account_age_full_days: float
    verified_boost: float
    follow_spam_ratio: float
    follow_spam_min_following: int
    follow_spam_factor: float
    young_account_days: float
    young_account_factor: float
    new_account_trust: float
    pageviews_weight: float
    pageviews_unit: float
    inlinks_weight: float
    inlinks_unit: float
    seniority_weight: float

    def __post_init__(self) -> None:
        positive("prior.account_age_full_days", self.account_age_full_days)
        positive("prior.new_account_trust", self.new_account_trust)
        positive("prior.pageviews_unit", self.pageviews_unit)
        positive("prior.inlinks_unit", self.inlinks_unit)
        if self.new_account_trust > 1:
            raise ConfigError(f"prior.new_account_trust must be <= 1, got {self.new_account_trust}")
        positive("prior.verified_boost", self.verified_boost)
        positive("prior.follow_spam_factor", self.follow_spam_factor)
        positive("prior.young_account_factor", self.young_account_factor)


@dataclass(frozen=True)
class AudienceConfig:
    # The follower-graph stage (jobs/stages/audience.py); off: its terms are absent everywhere.
    enabled: bool
    # Followee buckets of the follower_graph snapshot: its partitions, and the unit a day's
    # reactor pairs are joined by.
    buckets: int
    # Reactor pairs broadcast to one scan of the graph; more pairs: groups of buckets in turn.
    max_broadcast_pairs: int

    def __post_init__(self) -> None:
        positive("audience.buckets", self.buckets)
        positive("audience.max_broadcast_pairs", self.max_broadcast_pairs)


PROPAGATION_ENGINES = ("auto", "blocked", "reference", "single")


@dataclass(frozen=True)
class PropagationConfig:
    engine: str
    single_max_edges: int
    blocks: int | None
    block_edges: int
    alpha: float
    tol: float
    max_iter: int
    checkpoint_every: int
    warm_start: bool

    def __post_init__(self) -> None:
        one_of("propagation.engine", self.engine, PROPAGATION_ENGINES)
        if self.single_max_edges < 0:
            raise ConfigError(
                f"propagation.single_max_edges must be >= 0, got {self.single_max_edges}"
            )
        if self.blocks is not None:
            positive("propagation.blocks", self.blocks)
        positive("propagation.block_edges", self.block_edges)
        if not 0.0 < self.alpha < 1.0:
            raise ConfigError(f"propagation.alpha must lie in (0, 1), got {self.alpha}")
        positive("propagation.tol", self.tol)
        positive("propagation.max_iter", self.max_iter)
        positive("propagation.checkpoint_every", self.checkpoint_every)

    @property
    def params(self) -> PageRankParams:
        """The iteration's settings, as every engine takes them."""
        return PageRankParams(self.alpha, self.tol, self.max_iter)


@dataclass(frozen=True)
class ScoreConfig:
    weights: dict[str, float]
    followers_per_reactor: float
    max_log_ratio: float
    parts_tolerance: float
    top_engagers: int
    top_topics: int
    min_reaction_signal: float

    def __post_init__(self) -> None:
        expected = set(SCORE_COMPONENTS)  # the terms of the raw score
        if set(self.weights) != expected:
            raise ConfigError(f"score.weights must have exactly the keys {sorted(expected)}")
        positive("score.followers_per_reactor", self.followers_per_reactor)
        positive("score.max_log_ratio", self.max_log_ratio)
        positive("score.parts_tolerance", self.parts_tolerance)
        positive("score.top_engagers", self.top_engagers)


@dataclass(frozen=True)
class CalibrationConfig:
    raw_knots: list[float]
    score_knots: list[float]
    # Target distribution of the active population's scores: Burr type XII with shapes c and k,
    # scale and floor (transforms/calibration.target_burr).
    target_c: float
    target_k: float
    target_scale: float
    target_floor: float
    max_score: float
    report_tolerance: float  # points off a target the report still calls on target

    @property
    def target_quantiles(self) -> list[list[float]]:
        """[probability, score] pairs of the target at the calibration's probability grid."""
        from transforms.calibration import target_burr

        return target_burr(self.target_c, self.target_k, self.target_scale, self.target_floor)

    def __post_init__(self) -> None:
        if len(self.raw_knots) != len(self.score_knots):
            raise ConfigError("calibration.raw_knots and calibration.score_knots differ in length")
        if any(b <= a for a, b in zip(self.raw_knots, self.raw_knots[1:], strict=False)):
            raise ConfigError("calibration.raw_knots must increase strictly")
        for name in ("target_c", "target_k", "target_scale", "target_floor"):
            positive(f"calibration.{name}", getattr(self, name))
        if not 0 < self.max_score < 100:
            raise ConfigError("calibration.max_score must lie in (0, 100)")
