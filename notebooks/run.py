"""Execute a notebook headless, top to bottom in a fresh kernel, with parameters injected.

    python notebooks/run.py explore_scores -p lake_root=/tmp/lake -p top_n=5
    python notebooks/run.py tune_model -p size=small -p 'tuned={"score.weights.influence": 1.0}' \
        -o /tmp/tune_model.ipynb

NAME is a notebook of this folder (with or without .ipynb) or a path. Each `-p key=value` becomes
`key = value` in a cell inserted after the cell tagged `parameters` (papermill's convention); the
value is a Python literal (`10`, `None`, `["a"]`, `{"k": 1.0}`) or else a string. The kernel runs
this interpreter (a kernel spec written to a temporary JUPYTER_PATH: no `ipykernel install`
needed). The executed notebook, outputs and plots included, is written to `-o` (default
`<name>.out.ipynb` in the current folder) even when a cell fails; the exit status is 1 then.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import json
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

HERE = Path(__file__).resolve().parent
KERNEL = "sway-notebook"


@contextlib.contextmanager
def this_interpreter_kernel() -> Iterator[str]:
    """A kernel spec named KERNEL for sys.executable, found first on JUPYTER_PATH meanwhile."""
    previous = os.environ.get("JUPYTER_PATH")
    with tempfile.TemporaryDirectory(prefix="sway-jupyter-") as root:
        folder = Path(root) / "kernels" / KERNEL
        folder.mkdir(parents=True)
        spec = {
            "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": "Python (sway)",
            "language": "python",
        }
        (folder / "kernel.json").write_text(json.dumps(spec))
        os.environ["JUPYTER_PATH"] = os.pathsep.join(p for p in (root, previous) if p)
        try:
            yield KERNEL
        finally:
            if previous is None:
                os.environ.pop("JUPYTER_PATH", None)
            else:
                os.environ["JUPYTER_PATH"] = previous


def notebook_path(name: str) -> Path:
    path = Path(name)
    if path.suffix != ".ipynb":
        path = path.with_suffix(".ipynb")
    return path if path.exists() or path.is_absolute() else HERE / path.name


def with_parameters(nb: nbformat.NotebookNode, parameters: dict[str, Any]) -> None:
    """Insert `key = repr(value)` lines after the cell tagged `parameters`."""
    tagged = [i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", [])]
    if len(tagged) != 1:
        raise ValueError(f"expected one cell tagged `parameters`, found {len(tagged)}")
    known = {}
    exec(nb.cells[tagged[0]].source, {}, known)  # noqa: S102 - the notebook's own literals
    unknown = set(parameters) - set(known)
    if unknown:
        raise ValueError(f"unknown parameters {sorted(unknown)}; the notebook has {sorted(known)}")
    source = "\n".join(f"{key} = {value!r}" for key, value in parameters.items())
    cell = nbformat.v4.new_code_cell(source, metadata={"tags": ["injected-parameters"]})
    nb.cells.insert(tagged[0] + 1, cell)


def run_notebook(
    name: str, parameters: dict[str, Any] | None = None, out: Path | None = None, timeout=1800
) -> nbformat.NotebookNode:
    """Execute the notebook in a fresh kernel whose working folder is the notebook's; write the
    executed copy to `out` (also on failure). Raises CellExecutionError on the first failing
    cell."""
    path = notebook_path(name)
    nb = nbformat.read(path, as_version=4)
    with_parameters(nb, parameters or {})
    out = out or Path.cwd() / f"{path.stem}.out.ipynb"
    with this_interpreter_kernel() as kernel:
        client = NotebookClient(
            nb,
            kernel_name=kernel,
            timeout=timeout,
            resources={"metadata": {"path": str(path.parent)}},
        )
        try:
            client.execute()
        finally:
            nbformat.write(nb, out)
    return nb


def literal(text: str) -> Any:
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("name", help="explore_scores, tune_model, or a path to an .ipynb")
    parser.add_argument("-p", "--parameter", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("-o", "--output", default=None, help="the executed notebook")
    parser.add_argument("--timeout", type=int, default=1800, help="seconds per cell")
    args = parser.parse_args(argv)
    parameters = {}
    for item in args.parameter:
        key, sep, value = item.partition("=")
        if not sep:
            parser.error(f"-p expects key=value, got {item!r}")
        parameters[key.strip()] = literal(value)
    out = Path(args.output) if args.output else None
    try:
        nb = run_notebook(args.name, parameters, out, args.timeout)
    except CellExecutionError as error:
        print(f"a cell failed:\n{error}", file=sys.stderr)
        return 1
    except ValueError as error:  # bad parameters: nothing ran
        parser.error(str(error))
    written = out or Path.cwd() / f"{notebook_path(args.name).stem}.out.ipynb"
    cells = sum(c.cell_type == "code" for c in nb.cells)
    print(f"ran {cells} code cells; executed notebook: {written}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
