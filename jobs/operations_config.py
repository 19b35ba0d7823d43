"""The config's operating sections: what the command prints and logs, the limits ingest puts
on raw rows, and the run health checks (conf/base.yaml: logging, ingest, health)."""

from __future__ import annotations

from dataclasses import dataclass

from jobs.model_config import non_negative, positive
from jobs.typed_tree import ConfigError

SPARK_LOG_LEVELS = ("OFF", "FATAL", "ERROR", "WARN", "INFO", "DEBUG", "TRACE", "ALL")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


def one_of(key: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ConfigError(f"{key} must be one of {', '.join(allowed)}, got {value!r}")


@dataclass(frozen=True)
class LoggingConfig:
    level: str
    dir: str | None

    def __post_init__(self) -> None:
        one_of("logging.level", self.level, LOG_LEVELS)


@dataclass(frozen=True)
class IngestConfig:
    max_event_id_chars: int
    max_topics: int
    max_topic_chars: int
    max_record_chars: int
    dedupe_lookback_days: int | None

    def __post_init__(self) -> None:
        for key in ("max_event_id_chars", "max_topics", "max_topic_chars", "max_record_chars"):
            positive(f"ingest.{key}", getattr(self, key))
        if self.dedupe_lookback_days is not None:
            non_negative("ingest.dedupe_lookback_days", self.dedupe_lookback_days)


@dataclass(frozen=True)
class HealthConfig:
    allow_empty: bool
    allow_thin: bool
    min_share_of_median: float
    median_days: int
    min_history_days: int

    def __post_init__(self) -> None:
        non_negative("health.min_share_of_median", self.min_share_of_median)
        positive("health.median_days", self.median_days)
        positive("health.min_history_days", self.min_history_days)
