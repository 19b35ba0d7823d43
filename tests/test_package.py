"""The spark-submit package (scripts/package.py, docs/CLUSTER.md).

The slow test runs the built dist/ with the venv's spark-submit in local mode, from a folder outside
the repo and with Python started without `site` (-S): the venv's editable install of Sway then
never runs, so the `jobs` and `transforms` code can only come from sway.zip.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import stat
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from jobs.config import load_config
from jobs.session import DELTA_SETTINGS
from jobs.stages import STAGES
from scripts.package import package

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("pkg") / "dist"
    package(out)
    return out


def test_dist_layout_and_reproducible_zip(dist, tmp_path):
    names = set(zipfile.ZipFile(dist / "sway.zip").namelist())
    assert {
        "jobs/main.py",
        "jobs/config.py",
        "jobs/stages/score.py",
        "transforms/schemas.py",
    } <= names
    assert not any("__pycache__" in n or n.startswith(("tests/", "scripts/")) for n in names)
    assert any(n.endswith(".dist-info/METADATA") for n in names)
    assert (dist / "main.py").read_text() == (REPO / "jobs" / "main.py").read_text()
    conf = set(zipfile.ZipFile(dist / "sway-conf.zip").namelist())
    frozen = {"calibration/v1.yaml", "calibration/v2.yaml", "model/v1.yaml"}
    assert {"base.yaml", "local.yaml", "cluster.yaml", *frozen} <= conf
    assert all((dist / "conf" / name).is_file() for name in frozen)
    again = tmp_path / "again"
    package(again)
    assert (again / "sway.zip").read_bytes() == (dist / "sway.zip").read_bytes()


def test_zip_alone_provides_code_and_config(dist):
    """From dist/ (not the repo), the zip's modules load and the config is found in ./conf."""
    probe = (
        "import sys; sys.path.insert(0, 'sway.zip'); import jobs.config as c, transforms, "
        "importlib.metadata as m; print(c.__file__); print(c.CONF_DIR); print(m.version('sway')); "
        "print(c.load_config(['conf/local.yaml']).calibration.max_score)"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=dist, capture_output=True, text=True, check=True
    ).stdout.split("\n")
    assert out[0] == "sway.zip/jobs/config.py"
    assert Path(out[1]) == dist / "conf"
    assert out[2].startswith("0.1.0")
    assert float(out[3]) < 100


def _no_site_python(folder: Path) -> Path:
    """A python that skips site (no .pth, so no editable install) but sees the venv's libraries."""
    wrapper = folder / "python-nosite"
    wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" -S "$@"\n')
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
    return wrapper


@pytest.mark.slow
def test_packaged_daily_job_under_spark_submit(dist, daily_run, tmp_path):
    """spark-submit of dist/ reruns the shared tiny lake's last date (a copy): the same scores
    as the daily job run from the repo, and a manifest naming the zip's version."""
    spark_submit = Path(sys.executable).parent / "spark-submit"
    if not spark_submit.exists():
        pytest.skip("no spark-submit next to the Python interpreter")
    config, _, last = daily_run
    lake = tmp_path / "lake"
    shutil.copytree(config.lake.root, lake)
    began = dt.datetime.now(dt.UTC)
    published = _scores(_delta(lake, "scores"), last)
    python = _no_site_python(tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "SPARK_", "PYSPARK"))}
    env.update(
        PYSPARK_PYTHON=str(python),
        PYSPARK_DRIVER_PYTHON=str(python),
        PYTHONPATH=sysconfig.get_paths()["purelib"],
    )
    command = [
        str(spark_submit),
        "--master",
        "local[2]",
        "--py-files",
        "sway.zip",
        # spark-submit starts the JVM before the job: the Delta JARs go on its command line.
        "--packages",
        ",".join(load_config([]).spark.packages),
        *[arg for key, value in DELTA_SETTINGS.items() for arg in ("--conf", f"{key}={value}")],
        "main.py",
        "daily",
        "--date",
        last.isoformat(),
        "--conf",
        "conf/local.yaml",
        "--set",
        f"lake.root={lake}",
        "--set",
        "spark.shuffle_partitions=2",
    ]
    done = subprocess.run(command, cwd=dist, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-4000:]
    # spark-submit merges the Python driver's stderr (our logs) into its stdout.
    assert "stage=publish date=" + last.isoformat() + ": done" in done.stdout
    assert _scores(_delta(lake, "scores"), last) == published
    assert len(published) > 100

    runs = _delta(lake, "runs")
    runs = runs[runs["started_at"] >= began]  # this run's rows, not the copied lake's
    version = next(
        n.split("/")[0][len("sway-") : -len(".dist-info")]
        for n in zipfile.ZipFile(dist / "sway.zip").namelist()
        if n.endswith("METADATA")
    )
    # The manifest's code version comes from the zip's metadata: no git checkout was at hand.
    assert set(runs["code_version"]) == {version}
    assert set(runs["status"]) == {"started", "succeeded"}
    assert (
        (runs["status"] == "started").sum() == (runs["status"] == "succeeded").sum() == len(STAGES)
    )


def _delta(lake: Path, name: str):
    from deltalake import DeltaTable

    return DeltaTable(str(lake / name)).to_pandas()


def _scores(scores, day: dt.date) -> list[tuple]:
    today = scores[scores["score_date"] == day]
    return sorted(
        zip(today["person_id"], today["score"].round(9), today["percentile"].round(9), strict=True)
    )
