"""The backtest's figures as a table, a JSON file and a plot (the report shows the plot too)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

from jobs.backtest.run import BASELINES

# Lines of the plot: the score, then the baselines (components are in the table and the JSON).
COLOURS = {"score": "#cc0000", "reactors": "#3465a4", "reactions": "#73d216",
           "followers": "#888a85", "pagerank": "#f57900"}  # fmt: skip


def render_table(figures: dict[str, Any]) -> str:
    """Medians over the dates, one line per predictor, the score's margin at the end."""
    if not figures.get("dates"):
        return "backtest: no date could be judged\n" + "".join(
            f"  {s['date']}: {s['reason']}\n" for s in figures.get("skipped", [])
        )
    k, median = figures["ndcg_k"], figures["median"]
    dates = [d["date"] for d in figures["dates"]]
    lines = [
        f"backtest of {len(dates)} score dates ({dates[0]} .. {dates[-1]}), label: unique "
        f"reactors in the next {figures['horizon_days']} days; medians over the dates",
        f"{'predictor':<38}{'spearman':>10}{'ndcg@' + str(k):>10}",
    ]
    for name in sorted(median, key=_order):
        kind = "baseline" if name in BASELINES else "component" if "_" in name else ""
        label = f"{name} ({kind})" if kind else name
        lines.append(f"{label:<38}{median[name]['spearman']:>10.3f}{median[name]['ndcg']:>10.3f}")
    best, margin = figures["best_baseline"], figures["margin"]
    for metric in ("spearman", "ndcg"):
        if margin[metric] is not None:
            lines.append(
                f"score - best baseline ({best[metric]['name']}) on {metric}: {margin[metric]:+.3f}"
            )
    lines += [f"skipped {s['date']}: {s['reason']}" for s in figures.get("skipped", [])]
    return "\n".join(lines) + "\n"


def _order(name: str) -> tuple[int, str]:
    return (0 if name == "score" else 1 if name in BASELINES else 2, name)


def plot(figures: dict[str, Any]) -> Figure:
    """Spearman and NDCG@k per score date: the score against each baseline."""
    figure = Figure(figsize=(10, 3.6))
    axes = figure.subplots(1, 2)
    dates = [d["date"] for d in figures["dates"]]
    titles = {"spearman": "Spearman", "ndcg": f"NDCG@{figures['ndcg_k']}"}
    for ax, (metric, title) in zip(axes, titles.items(), strict=True):
        for name, colour in COLOURS.items():
            values = [d["figures"].get(name, {}).get(metric) for d in figures["dates"]]
            if all(v is None for v in values):
                continue
            ax.plot(range(len(dates)), values, marker="o", color=colour, label=name,
                    linewidth=2.5 if name == "score" else 1.2)  # fmt: skip
        ax.set_title(f"{title} with unique reactors of the next {figures['horizon_days']} days")
        ax.set_xticks(range(len(dates)), dates, rotation=45, ha="right", fontsize=7)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    figure.tight_layout()
    return figure


def write(figures: dict[str, Any], prefix: Path) -> tuple[Path, Path | None]:
    """`<prefix>.json` and, when a date was judged, `<prefix>.png`."""
    prefix.parent.mkdir(parents=True, exist_ok=True)
    json_path = prefix.with_suffix(".json")
    json_path.write_text(json.dumps(figures, indent=2, default=str) + "\n")
    if not figures.get("dates"):
        return json_path, None
    png_path = prefix.with_suffix(".png")
    plot(figures).savefig(png_path, dpi=100, metadata={"Software": None})
    return json_path, png_path


def report_section(figures: dict[str, Any], source: str) -> str:
    """The daily report's backtest section: medians per predictor and the plot."""
    from jobs.report.page import img, section, table
    from jobs.report.plots import png_uri

    k, median = figures["ndcg_k"], figures["median"]
    dates = [d["date"] for d in figures["dates"]]
    rows = [[name, median[name]["spearman"], median[name]["ndcg"]]
            for name in sorted(median, key=_order)]  # fmt: skip
    body = (
        f"<p>from <code>{source}</code>: {len(dates)} score dates {dates[0]} .. {dates[-1]}; "
        f"label: unique reactors of the next {figures['horizon_days']} days; medians over the "
        "dates (<code>python -m jobs backtest</code>, docs/EVALUATION.md)</p>"
        + table(["predictor", "Spearman", f"NDCG@{k}"], rows, numeric={1, 2}, digits=3)
        + img(png_uri(plot(figures)), "Spearman and NDCG per score date")
    )
    return section("backtest", "Backtest: does the score predict what people draw next?", body)
