"""The spark-submit package (scripts/package.py, docs/CLUSTER.md): its layout, a reproducible zip,
code and config found from dist/ alone. tests/test_dag.py runs the packaged job under spark-submit
(every stage, with a Python that cannot see the checkout) and compares its scores."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

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
        "transforms/schemas/__init__.py",
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
