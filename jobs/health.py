"""Run health: a day whose raw input is missing or far thinner than the days before it fails
the run before anything is written, unless the operator allows it (`--allow-empty`,
`--allow-thin`); an upstream failure must not publish scores as if nothing had happened."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import statistics

from pyspark.sql import functions as F

from jobs.config import HealthConfig, SwayConfig
from jobs.lake import Lake

log = logging.getLogger("sway")


class RunHealthError(RuntimeError):
    """The day's input is missing or thin; the message says which day and how to go on."""


def input_problems(
    counts: dict[dt.date, int], dates: list[dt.date], health: HealthConfig
) -> list[tuple[str, str]]:
    """(kind, message) for each of `dates` whose raw row count is missing ("empty") or thin
    against the days before it ("thin"); `counts` holds every day it knows (absent: no rows)."""
    problems = []
    for day in dates:
        rows = counts.get(day, 0)
        if rows == 0:
            problems.append(("empty", f"no raw interactions for {day}"))
            continue
        before = [day - dt.timedelta(days=k) for k in range(1, health.median_days + 1)]
        history = [counts[d] for d in before if counts.get(d, 0) > 0]
        if len(history) < health.min_history_days:
            continue
        median = statistics.median(history)
        if rows < health.min_share_of_median * median:
            problems.append((
                "thin",
                f"only {rows} raw interactions for {day}, under "
                f"{health.min_share_of_median:g} x the median {median:g} of the "
                f"{len(history)} days before",
            ))  # fmt: skip
    return problems


def daily_counts(lake: Lake, version: int | None, first: dt.date, last: dt.date) -> dict:
    """Raw rows per event_date in [first, last] of `interactions` at `version`."""
    if version is None:
        return {}
    rows = (
        lake.read("interactions", version)
        .where(F.col("event_date").between(F.lit(first), F.lit(last)))
        .groupBy(F.col("event_date"))
        .agg(F.count(F.lit(1)).alias("n"))
        .collect()
    )
    return {row["event_date"]: int(row["n"]) for row in rows}


def check_input(
    lake: Lake, version: int | None, dates: list[dt.date], health: HealthConfig
) -> dict[dt.date, int]:
    """The raw row count of each of `dates`; RunHealthError naming the first day that is not
    allowed (and how many more), a warning line per allowed one."""
    first = dates[0] - dt.timedelta(days=health.median_days)
    counts = daily_counts(lake, version, first, dates[-1])
    allowed = {"empty": health.allow_empty, "thin": health.allow_thin}
    refused = []
    for kind, message in input_problems(counts, dates, health):
        if allowed[kind]:
            log.warning("health: %s (allowed)", message)
        else:
            refused.append(f"{message} (--allow-{kind} to go on)")
    if refused:
        more = f"; and {len(refused) - 1} more days" if len(refused) > 1 else ""
        raise RunHealthError(refused[0] + more)
    return {day: counts.get(day, 0) for day in dates}


def replaying(config: SwayConfig) -> SwayConfig:
    """The config of a replay of a lake's history (`backtest --run`): its missing and thin days
    are facts of the data set (weekends of an e-mail archive), not a failed delivery; they are
    logged, not refused. The settings hash, hence the run id, stays the same."""
    return allowing(config, empty=True, thin=True)


def allowing(config: SwayConfig, empty: bool, thin: bool) -> SwayConfig:
    """The config with the command line's --allow-empty / --allow-thin (run id unchanged)."""
    health = dataclasses.replace(
        config.health,
        allow_empty=config.health.allow_empty or empty,
        allow_thin=config.health.allow_thin or thin,
    )
    return dataclasses.replace(config, health=health)
