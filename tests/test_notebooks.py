"""The notebooks: .ipynb and .py copies agree; they run top to bottom, headless, on tiny data.

The slow tests execute each notebook with notebooks/run.py: a fresh kernel running this interpreter
(no `ipykernel install` needed), parameters injected after the cell tagged `parameters` as papermill
does. tune_model takes the suite's evaluated `tiny` sample (conftest `evaluated`: the daily job for
its last two dates) as its baseline and reruns it tuned; explore_scores then reads that lake.
"""

from __future__ import annotations

import sys
from pathlib import Path

import jupytext
import nbformat
import pytest

from notebooks.run import run_notebook, with_parameters

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
NAMES = ("explore_scores", "tune_model")


def _cells(nb: nbformat.NotebookNode) -> list[tuple[str, str, list[str]]]:
    return [(c.cell_type, c.source, list(c.metadata.get("tags", []))) for c in nb.cells]


@pytest.mark.parametrize("name", NAMES)
def test_ipynb_matches_its_py_and_has_no_outputs(name: str) -> None:
    source = jupytext.read(NOTEBOOKS / f"{name}.py")
    committed = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    assert _cells(committed) == _cells(source), (
        f"notebooks/{name}.ipynb is out of sync with its .py: run "
        f"`jupytext --sync notebooks/{name}.py` (the .py is the source)"
    )
    assert committed.metadata.get("jupytext", {}).get("formats") == "ipynb,py:percent"
    for cell in committed.cells:
        if cell.cell_type == "code":
            assert not cell.get("outputs") and cell.get("execution_count") is None, name
    tagged = [c for c in committed.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, f"{name}: exactly one cell tagged `parameters`"


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    """Where the executed notebooks go (kept for a look when a cell fails)."""
    patch = pytest.MonkeyPatch()
    patch.setenv("PYSPARK_PYTHON", sys.executable)
    yield tmp_path_factory.mktemp("executed")
    patch.undo()


@pytest.fixture(scope="module")
def tuned(executed, evaluated):
    """tune_model with the suite's evaluated tiny sample as its baseline (`reuse`: the lake
    holds a run of the same config); returns (executed notebook, baseline lake)."""
    lake, _ = evaluated
    parameters = {
        "size": "tiny",
        "seed": 7,
        "lake_root": str(lake),
        "base_sets": ["spark.shuffle_partitions=2"],
        "tuned": {"score.weights.influence": 1.0},
        "baseline": "reuse",
        "top_k": 10,
    }
    nb = run_notebook("tune_model", parameters, executed / "tune_model.ipynb")
    return nb, lake


def _text(nb: nbformat.NotebookNode) -> str:
    parts = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            parts.append(output.get("text", ""))
            parts.append(output.get("data", {}).get("text/plain", ""))
    return "\n".join(parts)


def _images(nb: nbformat.NotebookNode) -> int:
    return sum(
        "image/png" in output.get("data", {})
        for cell in nb.cells
        for output in cell.get("outputs", [])
    )


@pytest.mark.slow
def test_tune_model_runs_headless(tuned) -> None:
    nb, lake = tuned
    text = _text(nb)
    assert "tuned: reran from `score`" in text
    assert "Spearman between the two scorings" in text
    assert _images(nb) >= 1
    assert (lake.parent / "tiny-tuned" / "scores").is_dir()


@pytest.mark.slow
def test_explore_scores_runs_headless(tuned, executed) -> None:
    _, lake = tuned
    parameters = {"lake_root": str(lake), "conf_sets": ["spark.shuffle_partitions=2"], "top_n": 5}
    nb = run_notebook("explore_scores", parameters, executed / "explore_scores.ipynb")
    text = _text(nb)
    assert "2026-11-20" in text and "people moved since the day before" in text
    assert "reciprocal pairs" in text
    assert _images(nb) >= 5


@pytest.mark.slow
def test_explore_scores_runs_over_spark_connect(tuned, executed, connect_server) -> None:
    """The same notebook, unchanged, as a Spark Connect client of a local server."""
    _, lake = tuned
    sets = ["spark.shuffle_partitions=2", f"spark.remote={connect_server}"]
    parameters = {"lake_root": str(lake), "conf_sets": sets, "top_n": 5}
    nb = run_notebook("explore_scores", parameters, executed / "explore_scores_connect.ipynb")
    text = _text(nb)
    assert "people moved since the day before" in text and "reciprocal pairs" in text
    assert _images(nb) >= 5


def test_parameters_are_injected_after_the_tagged_cell() -> None:
    nb = nbformat.read(NOTEBOOKS / "explore_scores.ipynb", as_version=4)
    tagged = next(i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", []))
    with_parameters(nb, {"lake_root": "/tmp/x", "top_n": 3})
    assert nb.cells[tagged + 1].source == "lake_root = '/tmp/x'\ntop_n = 3"
    with pytest.raises(ValueError, match="unknown parameters"):
        with_parameters(nb, {"lake_rot": "/tmp/x"})
