"""The notebooks: .ipynb and .py copies agree; they run top to bottom, headless, on tiny data.

The slow tests execute each notebook in a fresh kernel (this interpreter, via a kernel spec written
to a temporary JUPYTER_PATH, so no `ipykernel install` is needed) with parameters injected after the
cell tagged `parameters`, as papermill does. tune_model evaluates a generated `tiny` sample (the
daily job for its last two dates) and a tuned rerun; explore_scores then reads that sample's lake.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import jupytext
import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
NAMES = ("explore_scores", "tune_model")
KERNEL = "sway-notebook-test"


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


def _kernel_spec(root: Path) -> Path:
    """A kernel spec for this interpreter under `root` (used as JUPYTER_PATH)."""
    folder = root / "kernels" / KERNEL
    folder.mkdir(parents=True, exist_ok=True)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "sway tests",
        "language": "python",
    }
    (folder / "kernel.json").write_text(json.dumps(spec))
    return root


def run_notebook(name: str, parameters: dict, out: Path) -> nbformat.NotebookNode:
    """Execute notebooks/<name>.ipynb with `parameters` injected; the executed copy goes to `out`
    (kept for a look when a cell fails). Raises CellExecutionError on the first failing cell."""
    nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    index = next(i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", []))
    injected = "\n".join(f"{key} = {value!r}" for key, value in parameters.items())
    cell = nbformat.v4.new_code_cell(injected, metadata={"tags": ["injected-parameters"]})
    nb.cells.insert(index + 1, cell)
    client = NotebookClient(
        nb,
        kernel_name=KERNEL,
        timeout=900,
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    )
    try:
        client.execute()
    finally:
        nbformat.write(nb, out)
    return nb


@pytest.fixture(scope="module")
def jupyter_env(tmp_path_factory, request):
    patch = pytest.MonkeyPatch()
    patch.setenv("JUPYTER_PATH", str(_kernel_spec(tmp_path_factory.mktemp("jupyter"))))
    patch.setenv("PYSPARK_PYTHON", sys.executable)
    request.addfinalizer(patch.undo)
    return tmp_path_factory.mktemp("executed")


@pytest.fixture(scope="module")
def tuned(jupyter_env, tmp_path_factory):
    """tune_model on a fresh tiny sample; returns (executed notebook, baseline lake)."""
    lake = tmp_path_factory.mktemp("eval") / "tiny"
    parameters = {
        "size": "tiny",
        "seed": 7,
        "lake_root": str(lake),
        "base_sets": ["spark.shuffle_partitions=2"],
        "tuned": {"score.weights.influence": 1.0},
        "baseline": "run",
        "top_k": 10,
    }
    nb = run_notebook("tune_model", parameters, jupyter_env / "tune_model.ipynb")
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
def test_explore_scores_runs_headless(tuned, jupyter_env) -> None:
    _, lake = tuned
    parameters = {"lake_root": str(lake), "conf_sets": ["spark.shuffle_partitions=2"], "top_n": 5}
    nb = run_notebook("explore_scores", parameters, jupyter_env / "explore_scores.ipynb")
    text = _text(nb)
    assert "2026-11-20" in text and "people moved since the day before" in text
    assert _images(nb) >= 4
