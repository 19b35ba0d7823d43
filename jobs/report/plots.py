"""The report's plots: matplotlib figures rendered to PNG and inlined as base64 `data:` URIs.

Uses `matplotlib.figure.Figure` directly (the Agg canvas, no pyplot state, no display needed).
"""

from __future__ import annotations

import base64
import io
import math
from typing import Any

from matplotlib.figure import Figure

BLUE, ORANGE, RED = "#3465a4", "#f57900", "#cc0000"


def png_uri(figure: Figure) -> str:
    buffer = io.BytesIO()
    # No metadata: the PNG then names no software (and no URL) and stays byte-stable.
    figure.savefig(buffer, format="png", dpi=100, bbox_inches="tight", metadata={"Software": None})
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def score_histogram(
    histogram: list[tuple[float, int]],
    density: list[tuple[float, float]],
    distribution: dict[str, Any],
) -> str:
    """People per score point (bins [k, k+1)), the target distribution scaled to the same
    population as a step line, the measured mean/p95/p99 as vertical lines."""
    bins = [0] * 100
    for value, n in histogram:
        bins[min(int(math.floor(value)), 99)] += n
    active = distribution["active"]
    figure = Figure(figsize=(9, 3.4))
    ax = figure.subplots()
    ax.bar(range(100), bins, width=1.0, align="edge", color=BLUE, alpha=0.8,
           label=f"active people ({active})")  # fmt: skip
    xs = [s for s, _ in density]
    ys = [d * active for _, d in density]
    ax.step(xs, ys, where="post", color=ORANGE, linewidth=2, label="target distribution")
    for name, style in (("mean", "-"), ("p95", "--"), ("p99", ":")):
        ax.axvline(distribution[name], color=RED, linestyle=style, linewidth=1.2,
                   label=f"{name} {distribution[name]:.1f}")  # fmt: skip
    ax.set_xlim(0, 100)
    ax.set_xlabel("score")
    ax.set_ylabel("people per score point")
    ax.legend(loc="upper right", fontsize=8, frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    return png_uri(figure)


def network_mix(networks: list[dict[str, Any]]) -> str:
    """Score points per network (sum of the network parts), largest on top."""
    rows = list(reversed(networks))
    figure = Figure(figsize=(9, 0.45 * len(rows) + 0.9))
    ax = figure.subplots()
    bars = ax.barh([r["network"] for r in rows], [r["points"] for r in rows], color=BLUE)
    for bar, row in zip(bars, rows, strict=True):
        ax.text(bar.get_width(), bar.get_y() + bar.get_height() / 2, f" {100 * row['share']:.1f}%",
                va="center", fontsize=8)  # fmt: skip
    ax.set_xlabel("score points (sum of the network parts)")
    ax.spines[["top", "right"]].set_visible(False)
    ax.margins(x=0.12)
    return png_uri(figure)


def stage_durations(stages: list[dict[str, Any]]) -> str:
    """Duration of the latest attempt of each stage; failed attempts in red."""
    rows = list(reversed(stages))
    figure = Figure(figsize=(9, 0.4 * len(rows) + 0.9))
    ax = figure.subplots()
    colours = [BLUE if r["status"] == "succeeded" else RED for r in rows]
    ax.barh([r["stage"] for r in rows], [r["duration_s"] or 0 for r in rows], color=colours)
    ax.set_xlabel("seconds (latest attempt)")
    ax.spines[["top", "right"]].set_visible(False)
    return png_uri(figure)
