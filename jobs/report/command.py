"""`python -m jobs report --date D`: one self-contained HTML page about the date's run.

The run's manifest, counts per stage, the score distribution against its calibration targets,
top people, movers, network mix, topic leaders, and the evaluation figures when there are some
(docs/REPORT.md). jobs/report/data.py gathers (Spark aggregations), jobs/report/page.py and
jobs/report/plots.py render.

Where things go (local lake roots; for a URI root the report goes under ./reports):
    <lake.root>/_reports/report-<D>.html       the report (default; --out PATH to change)
    <lake.root>/_reports/evaluation-<D>.json   evaluation figures for D, if present, else
    <lake.root>/_sample/evaluation.json        the figures scripts/evaluate.py leaves with its
                                               sample (used when its score_date is D)
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path
from typing import Any

from jobs.context import RunContext

log = logging.getLogger("sway")


def local_root(root: str) -> Path | None:
    """The lake root as a local folder, None for a remote URI (s3a://, abfss://, ...)."""
    if root.startswith("file://"):
        return Path(root[len("file://") :])
    if root.startswith("file:"):
        return Path(root[len("file:") :])
    return None if "://" in root else Path(root)


def default_out(root: str, date: dt.date) -> Path:
    local = local_root(root)
    folder = local / "_reports" if local is not None else Path("reports")
    return folder / f"report-{date.isoformat()}.html"


def quality_candidates(root: str, date: dt.date) -> list[Path]:
    local = local_root(root)
    if local is None:
        return []
    return [local / "_reports" / f"evaluation-{date.isoformat()}.json",
            local / "_sample" / "evaluation.json"]  # fmt: skip


def load_quality(
    root: str, date: dt.date, explicit: str | None
) -> tuple[dict[str, Any] | None, str | None]:
    """(figures, where they came from). An explicit --quality file is used whatever its date (the
    report says when it is of another date); a found one only when it is of `date`."""
    if explicit:
        return json.loads(Path(explicit).read_text()), explicit
    for path in quality_candidates(root, date):
        if not path.exists():
            continue
        try:
            figures = json.loads(path.read_text())
        except (OSError, ValueError) as error:
            log.warning("report: cannot read %s: %s", path, error)
            continue
        if figures.get("score_date") in (None, date.isoformat()):
            return figures, str(path)
        log.info("report: %s is of %s, not %s; not shown", path, figures["score_date"], date)
    return None, None


def backtest_section(ctx: RunContext) -> str:
    """The latest backtest written under <lake>/_reports (python -m jobs backtest), as HTML."""
    local = local_root(ctx.config.lake.root)
    if local is None:
        return ""
    found = sorted((local / "_reports").glob("backtest-*.json"), key=lambda p: p.stat().st_mtime)
    if not found:
        return ""
    try:
        figures = json.loads(found[-1].read_text())
    except (OSError, ValueError) as error:
        log.warning("report: cannot read %s: %s", found[-1], error)
        return ""
    if not figures.get("dates"):
        return ""
    from jobs.backtest.output import report_section

    return report_section(figures, str(found[-1]))


def write_report(
    ctx: RunContext, out: str | None = None, quality: str | None = None, limit: int = 10
) -> Path | None:
    """Gather, render and write the report of ctx.score_date; its path, None when the date has
    neither runs rows nor scores."""
    from jobs.report.data import gather
    from jobs.report.page import render
    from jobs.stages import STAGES

    data = gather(ctx.lake, ctx.score_date, ctx.config, list(STAGES), limit)
    if not data["stages"] and not data["has_scores"]:
        return None
    evaluation, source = load_quality(ctx.config.lake.root, ctx.score_date, quality)
    page = render(data, ctx.config.config_hash, evaluation, source, backtest_section(ctx))
    path = Path(out) if out else default_out(ctx.config.lake.root, ctx.score_date)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    log.info("report: %d bytes written to %s", len(page.encode()), path)
    return path


def add_arguments(parser) -> None:
    parser.add_argument(
        "--out", default=None, metavar="PATH",
        help="the HTML file (default <lake.root>/_reports/report-<date>.html; ./reports/ for a "
        "remote lake)",
    )  # fmt: skip
    parser.add_argument(
        "--quality", default=None, metavar="JSON",
        help="evaluation figures to show (scripts/evaluate.py --json); default: "
        "<lake.root>/_reports/evaluation-<date>.json or <lake.root>/_sample/evaluation.json",
    )  # fmt: skip
    parser.add_argument("--limit", type=int, default=10, help="people in the top and mover lists")


def run(ctx: RunContext, args) -> int:
    path = write_report(ctx, args.out, args.quality, args.limit)
    if path is None:
        print(f"error: nothing to report for {ctx.score_date}: no runs rows and no scores")
        return 1
    print(f"report written to {path.resolve()}")
    return 0
