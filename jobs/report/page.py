"""The report as one self-contained HTML page: inline CSS, plots as PNG `data:` URIs, no script,
no font, image or style sheet from anywhere else (it opens offline and can be mailed)."""

from __future__ import annotations

import datetime as dt
from html import escape
from typing import Any

from jobs.report import plots

CSS = """
body{font-family:"DejaVu Sans",Arial,Helvetica,sans-serif;margin:24px auto;max-width:1180px;
 color:#222;background:#fff;font-size:14px}
h1{font-size:24px;margin:0 0 4px}
h2{font-size:18px;margin:28px 0 8px;border-bottom:2px solid #3465a4}
table{border-collapse:collapse;margin:6px 0 10px}
th,td{padding:3px 8px;border-bottom:1px solid #ddd;text-align:left;vertical-align:top}
th{background:#eef2f7} td.n{text-align:right;font-variant-numeric:tabular-nums}
.ok{color:#1a7f1a;font-weight:bold} .bad{color:#cc0000;font-weight:bold} .muted{color:#777}
.kv td:first-child{color:#555} img{max-width:100%;display:block;margin:6px 0}
code{font-size:12px}
"""


class Raw(str):
    """A cell already in HTML."""


def _status(status: str) -> Raw:
    return Raw(f'<td class="{"ok" if status == "succeeded" else "bad"}">{escape(status)}</td>')


def _cell(value: Any, numeric: bool = False, digits: int = 2) -> str:
    if isinstance(value, Raw):
        return value
    if value is None:
        return '<td class="muted">–</td>'
    if isinstance(value, bool):
        return f'<td class="{"ok" if value else "bad"}">{"pass" if value else "FAIL"}</td>'
    if isinstance(value, float):
        text = f"{value:.{digits}f}"
    elif isinstance(value, dt.datetime):
        text = value.strftime("%Y-%m-%d %H:%M:%S")
    else:
        text = str(value)
    return f'<td class="n">{escape(text)}</td>' if numeric else f"<td>{escape(text)}</td>"


def table(
    headers: list[str], rows: list[list[Any]], numeric: set[int] = frozenset(), digits: int = 2
) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(_cell(v, i in numeric, digits) for i, v in enumerate(row)) + "</tr>"
        for row in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def _versions(versions: dict[str, int] | None) -> str:
    return ", ".join(f"{k}@{v}" for k, v in sorted((versions or {}).items()))


def _parts(networks: dict[str, float] | None) -> str:
    items = sorted((networks or {}).items(), key=lambda kv: -kv[1])
    return ", ".join(f"{k} {v:.2f}" for k, v in items)


def img(uri: str, alt: str) -> str:
    return f'<img src="{uri}" alt="{escape(alt)}">'


def section(anchor: str, title: str, body: str) -> str:
    return f'<section id="{anchor}"><h2>{escape(title)}</h2>{body}</section>'


def header(data: dict[str, Any], config_hash: str) -> str:
    h = data["header"]
    pop = data.get("population") or {}
    rows = [
        ["score date", data["date"].isoformat()],
        ["run id", h.get("run_id")],
        ["algorithm version", h.get("algorithm_version")],
        ["code version", h.get("code_version")],
        ["config hash", h.get("config_hash")],
        [
            "stages ran",
            f"{h['started_at']:%Y-%m-%d %H:%M:%S} → {h['finished_at']:%H:%M:%S} UTC"
            if h.get("started_at") and h.get("finished_at")
            else None,
        ],  # fmt: skip
        ["people scored / active", f"{pop.get('scored', 0)} / {pop.get('active', 0)}"],
    ]
    notes = []
    if h.get("mixed"):  # e.g. a stage rerun after a code change: worth a look
        notes.append(
            '<p class="bad">stages of this date ran with different '
            + escape(", ".join(h["mixed"])) + " (see the manifest)</p>"
        )  # fmt: skip
    if h.get("config_hash") and h["config_hash"] != config_hash:
        notes.append(
            f'<p class="muted">the config given to the report (hash {config_hash[:16]}) is not '
            "the run's (a different lake.root is enough): the targets shown are the report's</p>"
        )
    body = (
        '<table class="kv">'
        + "".join(f"<tr><td>{escape(k)}</td>{_cell(v)}</tr>" for k, v in rows)
        + "</table>"
    )
    body += "".join(notes)
    return section("run", "Run", body)


def manifest(stages: list[dict[str, Any]]) -> str:
    if not stages:
        return section("manifest", "Manifest", '<p class="muted">no runs rows for this date</p>')
    rows = [
        [r["stage"], _status(r["status"]), r["attempts"], r["started_at"], r["duration_s"],
         _versions(r["input_versions"]), _versions(r["output_versions"]), r["message"]]
        for r in stages
    ]  # fmt: skip
    body = table(
        ["stage", "status", "attempts", "started (UTC)", "seconds", "inputs (table@version)",
         "outputs (table@version)", "message"],
        rows, numeric={2, 4},
    )  # fmt: skip
    body += img(plots.stage_durations(stages), "duration of each stage")
    return section("manifest", "Manifest (latest attempt of each stage)", body)


def counts(stages: list[dict[str, Any]]) -> str:
    rows = [
        [r["stage"], ", ".join(f"{k} {v:,}" for k, v in sorted((r["counts"] or {}).items()))]
        for r in stages
    ]
    return section("counts", "Counts per stage", table(["stage", "counts"], rows))


def distribution(data: dict[str, Any]) -> str:
    dist = data["distribution"]
    rows = [[r["figure"], r["value"], r["target"], r["ok"]] for r in dist["rows"]]
    body = (
        f"<p>{dist['active']} active people (score &gt; 0); targets from "
        "<code>calibration.target_*</code> (a Burr XII distribution).</p>"
        + table(["figure", "measured", "target", "check"], rows, numeric={1})
        + img(
            plots.score_histogram(data["histogram"], data["target_density"], dist),
            "score histogram against the target distribution",
        )
    )
    return section("distribution", "Score distribution", body)


def _person_rows(people: list[dict[str, Any]], cause: bool = False) -> list[list[Any]]:
    rows = []
    for p in people:
        row = [p["person_id"], p["score"], p["percentile"], p["delta_1d"], _parts(p["networks"]),
               ", ".join(p["top_topics"] or [])]  # fmt: skip
        if cause:
            row += [p.get("change_network"), p.get("change_signal")]
        rows.append(row)
    return rows


PERSON_HEADERS = ["person", "score", "pct", "Δ 1d", "networks", "top topics"]


def people(data: dict[str, Any]) -> str:
    top = section(
        "top",
        f"Top {len(data['top'])} people",
        table(PERSON_HEADERS, _person_rows(data["top"]), numeric={0, 1, 2, 3}),
    )
    moved = ""
    headers = PERSON_HEADERS + ["change network", "change signal"]
    for key, title in (("up", "Biggest rises"), ("down", "Biggest falls")):
        rows = _person_rows(data["movers"][key], cause=True)
        body = table(headers, rows, numeric={0, 1, 2, 3}) if rows else "<p>none</p>"
        moved += f"<h3>{title}</h3>{body}"
    if not data["movers"]["up"] and not data["movers"]["down"]:
        moved = '<p class="muted">no daily change: no scores published the day before</p>'
    return top + section("movers", "Movers (Δ since the day before)", moved)


def networks(data: dict[str, Any]) -> str:
    mix = data["networks"]
    rows = [[r["network"], r["points"], 100 * r["share"], r["people"]] for r in mix]
    body = table(["network", "score points", "share %", "people with a part"], rows,
                 numeric={1, 2, 3})  # fmt: skip
    if mix:
        body += img(plots.network_mix(mix), "score points per network")
    return section("networks", "Network mix", body)


def topics(data: dict[str, Any]) -> str:
    found = data.get("topics")
    if not found or not found["topics"]:
        return section("topics", "Topic leaders", '<p class="muted">no topic scores</p>')
    rows = [
        [t["topic"], t["people"]]
        + [f"{p['person_id']} ({p['score']:.2f})" for p in t["leaders"]]
        + [None] * (3 - len(t["leaders"]))
        for t in found["topics"]
    ]
    shown = len(found["topics"])
    note = "" if shown == found["total_topics"] else (
        f"<p>the {shown} topics with the most people, of {found['total_topics']}</p>"
    )  # fmt: skip
    return section(
        "topics", "Topic leaders",
        note + table(["topic", "people", "1st", "2nd", "3rd"], rows, numeric={1}),
    )  # fmt: skip


def quality(evaluation: dict[str, Any] | None, source: str | None, date: dt.date) -> str:
    if evaluation is None:
        text = "no evaluation figures found" + (f" ({escape(source)})" if source else "")
        return section("quality", "Quality", f'<p class="muted">{text}; see docs/REPORT.md</p>')
    e = evaluation
    scored = escape(str(e.get("score_date")))
    body = (
        f"<p>from <code>{escape(source or '')}</code>: evaluation of sample "
        f"{escape(str(e.get('size')))} (seed {escape(str(e.get('seed')))}), score date {scored}</p>"
    )
    if e.get("score_date") and e["score_date"] != date.isoformat():
        body += f'<p class="bad">the evaluation is of {scored}, not of this date</p>'
    predictive = e.get("predictive", {})
    baselines = e.get("baselines", {})
    names = ["score", *baselines, *(["planted"] if "planted" in predictive else [])]
    spear = {"score": e.get("spearman"), "planted": 1.0, **baselines}
    rows = [[n, spear.get(n), predictive.get(n, {}).get("spearman"),
             predictive.get(n, {}).get("ndcg100")] for n in names]  # fmt: skip
    body += "<h3>Against the planted influence and baselines</h3>" + table(
        ["predictor", "Spearman vs planted", "predictive Spearman", "predictive NDCG@100"],
        rows, numeric={1, 2, 3}, digits=3,
    )  # fmt: skip
    kinds = e.get("kinds", {})
    if kinds:
        rows = [[k, v.get("people"), v.get("median_percentile"), v.get("max_percentile"),
                 v.get("in_top1pct")] for k, v in kinds.items()]  # fmt: skip
        body += "<h3>Gamers and planted kinds</h3>" + table(
            ["kind", "people", "median pct", "max pct", "in top 1%"], rows, numeric={1, 2, 3, 4}
        )

    def num(key: str, digits: int = 2) -> str:
        value = e.get(key)
        return "–" if value is None else f"{value:.{digits}f}"

    figures = [
        ["gamers: people, in the top 1%, median percentile",
         f"{e.get('gamers')}, {e.get('gamers_in_top1pct')}, {num('gamer_median_percentile')}"],
        ["calibration: active, mean, p95, p99, max",
         f"{e.get('active')}, {num('mean')}, {num('p95')}, {num('p99')}, {num('max')}"],
        ["stability: median |Δ score| of steady people, people",
         f"{num('stability_median_abs_change', 3)}, {e.get('stability_people')}"],
        ["explanations: max |Σ parts − score|", num("explanation_max_error", 4)],
    ]  # fmt: skip
    body += "<h3>Figures</h3>" + table(["figure", "value"], figures)
    checks = e.get("targets", {})
    if checks:
        body += "<h3>Targets</h3>" + table(
            ["target", "check"], [[k, bool(v)] for k, v in checks.items()]
        )
    return section("quality", "Quality (evaluation)", body)


def render(
    data: dict[str, Any],
    config_hash: str,
    evaluation: dict | None,
    source: str | None,
    backtest: str = "",
) -> str:
    date = data["date"].isoformat()
    parts = [header(data, config_hash), manifest(data["stages"]), counts(data["stages"])]
    if data["has_scores"]:
        parts += [distribution(data), people(data), networks(data), topics(data)]
    else:
        parts.append(section("distribution", "Scores", '<p class="bad">no scores published for '
                              f"{date}</p>"))  # fmt: skip
    parts.append(quality(evaluation, source, data["date"]))
    parts.append(backtest)  # the backtest section (jobs/backtest/output.py), when there is one
    generated = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>Sway report {date}</title><style>{CSS}</style></head><body>"
        f"<h1>Sway daily report — {date}</h1>"
        f'<p class="muted">generated {generated} by <code>python -m jobs report</code></p>'
        + "".join(parts)
        + "</body></html>\n"
    )
