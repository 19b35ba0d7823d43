"""The `edgelist` import format: timestamped edge lists, SNAP and KONECT style.

One reaction per line, whitespace-separated columns whose meaning the layout gives
(`actor target time [type]` by default; KONECT's `from to weight time` is `actor,target,_,time`).
`time` is epoch seconds (UTC); `type`, when present, names the action through the layout's type
map; otherwise every line gets the layout's one action. Lines starting with `#` or `%` are headers.
Any line order. docs/IMPORT.md describes the options.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

EDGELIST = "edgelist"
COLUMN_NAMES = ("actor", "target", "time", "type", "_")
DEFAULT_COLUMNS = ("actor", "target", "time")


class EdgeListLayoutError(ValueError):
    """A layout that cannot describe an edge list (missing or repeated columns, no action)."""


@dataclass(frozen=True)
class EdgeListLayout:
    """What an edge list's columns mean and which network/action its lines are."""

    network: str
    columns: tuple[str, ...] = DEFAULT_COLUMNS
    # Every line's action when there is no `type` column.
    action: str | None = None
    # `type` value -> action, when there is a `type` column (a value not listed: `unknown_type`).
    types: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        unknown = [c for c in self.columns if c not in COLUMN_NAMES]
        if unknown:
            raise EdgeListLayoutError(
                f"unknown edge-list column {unknown[0]!r}; columns: {', '.join(COLUMN_NAMES)}"
            )
        for name in ("actor", "target", "time"):
            if self.columns.count(name) != 1:
                raise EdgeListLayoutError(f"edge-list columns need exactly one {name!r}")
        if self.columns.count("type") > 1:
            raise EdgeListLayoutError("edge-list columns hold at most one 'type'")
        if "type" in self.columns:
            if not self.types:
                raise EdgeListLayoutError("a 'type' column needs --types TYPE=ACTION[,...]")
            if self.action is not None:
                raise EdgeListLayoutError("give --types for a 'type' column, not --action")
        elif self.action is None:
            raise EdgeListLayoutError("an edge list without a 'type' column needs --action")

    def actions(self) -> set[str]:
        """Every action this layout can produce."""
        return set(self.types.values()) if "type" in self.columns else {self.action}


def parse_types(text: str | None) -> dict[str, str]:
    """`a2q=answer,c2q=comment` -> {"a2q": "answer", "c2q": "comment"}."""
    if not text:
        return {}
    pairs = [item.split("=", 1) for item in text.split(",") if item.strip()]
    if any(len(p) != 2 or not p[0].strip() or not p[1].strip() for p in pairs):
        raise EdgeListLayoutError(f"--types takes TYPE=ACTION[,TYPE=ACTION...], got {text!r}")
    return {k.strip(): v.strip() for k, v in pairs}


def parse_columns(text: str | None) -> tuple[str, ...]:
    """`actor,target,_,time` -> ("actor", "target", "_", "time"); default actor,target,time."""
    if not text:
        return DEFAULT_COLUMNS
    return tuple(c.strip() for c in text.split(","))


def parse_edgelist(data: DataFrame, layout: EdgeListLayout, int64, seconds) -> DataFrame:
    """Data lines -> parsed rows (import_formats.PARSED_COLUMNS). `int64` and `seconds` are the
    shared field parsers (a plain signed 64-bit integer; epoch seconds in the sane range)."""
    fields = F.split(F.trim(F.col("line")), r"\s+", -1)
    at = {name: F.get(fields, i) for i, name in enumerate(layout.columns)}
    actor, target = int64(at["actor"]), int64(at["target"])
    event_ts = seconds(int64(at["time"]), 1)
    action = _action(at.get("type"), layout)
    reason = (
        F.when(F.size(fields) != F.lit(len(layout.columns)), F.lit("wrong_field_count"))
        .when(actor.isNull() | target.isNull(), F.lit("bad_id"))
        .when(event_ts.isNull(), F.lit("bad_timestamp"))
        .when(action.isNull(), F.lit("unknown_type"))
    )
    return data.select(
        F.col("line_no"),
        F.col("line"),
        reason.alias("reason"),
        F.lit(layout.network).alias("network"),
        action.alias("action"),
        actor.alias("actor_ext"),
        target.alias("target_ext"),
        F.lit(None).cast("long").alias("content_id"),
        event_ts.alias("event_ts"),
    )


def _action(kind: Column | None, layout: EdgeListLayout) -> Column:
    if kind is None:
        return F.lit(layout.action)
    action = F.lit(None).cast("string")
    for code, name in layout.types.items():
        action = F.when(kind == F.lit(code), F.lit(name)).otherwise(action)
    return action
