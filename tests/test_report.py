"""The daily report (`python -m jobs report`): one self-contained HTML file, checked as text and,
when Chromium is there or installable (scripts/install_chromium.sh), as a headless screenshot."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from pyspark.sql import functions as F

from jobs.main import main
from jobs.report.command import default_out, load_quality, local_root
from jobs.report.data import distribution, quantile, score_histogram, target_density

REPO = Path(__file__).resolve().parent.parent
SECTIONS = ("run", "manifest", "counts", "distribution", "top", "movers", "networks", "topics",
            "quality")  # fmt: skip
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
WIDTH, HEIGHT = 1280, 4000


# ---------------------------------------------------------------- pure parts (fast)
def test_quantile_matches_linear_interpolation():
    np = pytest.importorskip("numpy")
    values = [1.0, 1.0, 2.5, 3.0, 3.0, 3.0, 7.25, 40.0, 41.5, 99.0]
    histogram = sorted({v: values.count(v) for v in values}.items())
    for p in (0.0, 0.1, 0.5, 0.95, 0.99, 1.0):
        assert quantile(histogram, p) == pytest.approx(np.percentile(values, 100 * p))
    targets = [[0.0, 14.0], [0.5, 41.0], [0.95, 63.0], [0.99, 77.0]]
    dist = distribution(histogram, targets, 2.0)
    assert dist["active"] == 10 and dist["max"] == 99.0
    assert dist["mean"] == pytest.approx(sum(values) / 10)
    assert [r["figure"] for r in dist["rows"]] == ["mean", "p95", "p99", "max"]
    assert dist["rows"][-1]["ok"] is True
    # The mean (20.1) is 20.6 points off its target: off within 2 points, on within 30.
    assert not dist["rows"][0]["ok"] and distribution(histogram, targets, 30.0)["rows"][0]["ok"]


def test_target_density_integrates_to_one():
    quantiles = [[0.0, 14.0], [0.5, 41.0], [0.8, 52.0], [0.95, 63.0], [0.99, 77.0], [0.999, 89.0]]
    steps = target_density(quantiles)
    mass = sum(d * (b[0] - a[0]) for a, b in zip(steps, steps[1:], strict=False) for d in [a[1]])
    assert mass == pytest.approx(1.0)
    assert steps[-1] == (100.0, 0.0)


def test_paths_and_quality_lookup(tmp_path):
    date = dt.date(2026, 11, 20)
    assert local_root("file:///x/lake") == Path("/x/lake") and local_root("s3a://b/l") is None
    assert default_out(str(tmp_path), date) == tmp_path / "_reports" / "report-2026-11-20.html"
    assert default_out("s3a://bucket/lake", date) == Path("reports/report-2026-11-20.html")
    assert load_quality(str(tmp_path), date, None) == (None, None)
    sample = tmp_path / "_sample" / "evaluation.json"
    sample.parent.mkdir()
    sample.write_text(json.dumps({"score_date": "2026-11-19", "spearman": 0.5}))
    assert load_quality(str(tmp_path), date, None) == (None, None)  # another date: not shown
    sample.write_text(json.dumps({"score_date": "2026-11-20", "spearman": 0.5}))
    assert load_quality(str(tmp_path), date, None) == ({"score_date": "2026-11-20",
                                                        "spearman": 0.5}, str(sample))  # fmt: skip


# ---------------------------------------------------------------- end to end (slow)
@pytest.fixture(scope="module")
def lake_run(daily_run):
    """The shared `tiny` lake the daily job ran on; returns (root, last date, lake)."""
    config, lake, last = daily_run
    return config.lake.root, last, lake


# The keys scripts/evaluate.py writes (a subset, made-up figures): what the quality section reads.
EVALUATION = {
    "size": "tiny", "seed": 5, "spearman": 0.93,
    "baselines": {"followers": 0.7, "reactors": 0.9},
    "predictive": {"score": {"spearman": 0.9, "ndcg100": 0.95},
                   "followers": {"spearman": 0.7, "ndcg100": 0.5},
                   "reactors": {"spearman": 0.88, "ndcg100": 0.97}},
    "gamers": 4, "gamers_in_top1pct": 0, "gamer_median_percentile": 31.5,
    "kinds": {"pod": {"people": 3, "median_percentile": 30.0, "max_percentile": 44.0,
                      "in_top1pct": 0}},
    "active": 200, "mean": 40.1, "p95": 63.2, "p99": 76.9, "max": 92.0,
    "stability_median_abs_change": 0.3, "stability_people": 120, "explanation_max_error": 0.0,
    "targets": {"spearman >= 0.90": True, "predictive ndcg100 above every baseline": False},
}  # fmt: skip


@pytest.fixture(scope="module")
def report(lake_run):
    """Run the command as a user would (default output path, evaluation found by convention)."""
    root, last, _ = lake_run
    evaluation = Path(root) / "_sample" / "evaluation.json"
    evaluation.write_text(json.dumps({**EVALUATION, "score_date": last.isoformat()}))
    common = ["--date", str(last), "--conf", "conf/local.yaml", "--set", f"lake.root={root}",
              "--set", "spark.shuffle_partitions=2"]  # fmt: skip
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert main(["report", *common]) == 0
    path = default_out(root, last)
    assert f"report written to {path.resolve()}" in printed.getvalue()
    return path


@pytest.mark.slow
def test_report_is_one_self_contained_file(report, lake_run):
    root, last, lake = lake_run
    assert [p.name for p in report.parent.iterdir()] == [report.name]
    html = report.read_text(encoding="utf-8")
    for section in SECTIONS:
        assert f'<section id="{section}">' in html, section
    images = re.findall(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)
    assert len(images) == 3  # stage durations, score histogram, network mix
    assert len(re.findall(r"<img ", html)) == 3  # and no other image
    assert "http://" not in html and "https://" not in html
    assert not re.search(r"""(src|href)\s*=\s*(?!["']?(data:|#))""", html)
    assert "<script" not in html and "<link" not in html and "@import" not in html
    # The figures are the tables': the best person, the run id, the publish stage, the quality.
    scores = lake.read("scores").where(F.col("score_date") == F.lit(last))
    best = scores.orderBy(F.col("score").desc(), "person_id").first()
    assert f'<td class="n">{best.person_id}</td>' in html
    assert best.run_id in html and ">publish<" in html and 'class="ok">succeeded<' in html
    stats = (
        scores.where(F.col("score") > 0)
        .agg(F.percentile("score", 0.95).alias("p95"), F.max("score").alias("max"))
        .first()
    )
    dist = distribution(score_histogram(scores), [[0.0, 14.0], [1.0, 99.0]], 2.0)
    assert dist["p95"] == pytest.approx(stats.p95) and dist["max"] == stats.max
    assert f"{stats.p95:.2f}" in html
    assert "Spearman vs planted" in html and ">0.930<" in html and ">0.880<" in html


@pytest.mark.slow
def test_report_of_a_date_without_a_run(lake_run, capsys):
    root, last, _ = lake_run
    out = Path(root) / "elsewhere" / "r.html"
    common = ["--conf", "conf/local.yaml", "--set", f"lake.root={root}"]
    assert main(["report", "--date", "2020-01-01", "--out", str(out), *common]) == 1
    assert "nothing to report" in capsys.readouterr().out and not out.exists()


def find_or_install_chromium() -> str | None:
    """A Chromium on PATH, else one installed by scripts/install_chromium.sh; None when this
    machine cannot install one (no apt-get, not root: the script exits 2). A failed install where
    it should work fails the test."""
    for name in BROWSERS:
        if shutil.which(name):
            return shutil.which(name)
    script = REPO / "scripts" / "install_chromium.sh"
    done = subprocess.run(["bash", str(script)], capture_output=True, text=True, timeout=1200)
    if done.returncode == 2:
        return None
    assert done.returncode == 0, f"installing Chromium failed:\n{done.stderr[-3000:]}"
    return done.stdout.strip().splitlines()[-1]


@pytest.mark.slow
def test_report_renders_in_headless_chromium(report, tmp_path):
    browser = find_or_install_chromium()
    if browser is None:
        pytest.skip("no Chromium and scripts/install_chromium.sh cannot install one here "
                    "(needs apt-get and root)")  # fmt: skip
    image = pytest.importorskip("PIL.Image")
    shot = tmp_path / "report.png"
    command = [
        browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--hide-scrollbars", f"--user-data-dir={tmp_path / 'profile'}",
        f"--screenshot={shot}", f"--window-size={WIDTH},{HEIGHT}", report.resolve().as_uri(),
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=180,
                          env={**os.environ, "HOME": str(tmp_path)})  # fmt: skip
    assert shot.exists(), done.stderr[-2000:]
    with image.open(shot) as png:
        assert png.size == (WIDTH, HEIGHT)
        rgb = png.convert("RGB")
        pixels = list(rgb.getdata())
    non_white = sum(1 for r, g, b in pixels if r + g + b < 720)
    assert non_white > 0.01 * len(pixels)  # text, tables, plots: not a blank page
    # The plots decoded and drew: the histogram's and bar charts' blue appears in quantity (no
    # other element of the page is that blue).
    blue = sum(1 for r, g, b in pixels if b > r + 60 and b > g + 30)
    assert blue > 5000, blue
    assert len(set(pixels[: WIDTH * 1500])) > 50  # anti-aliased text and plots: many colours
