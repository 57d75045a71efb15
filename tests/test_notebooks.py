"""Every notebook in notebooks/ runs top to bottom on a fresh kernel.

Each notebook is executed once per test run; the executed copy is written to
build/notebooks/ so that a documentation build can reuse its outputs.
"""

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs(path):
    # Executing the notebook raises CellExecutionError on the first failing cell.
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(
        notebook,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    ).execute()
    out = ROOT / "build" / "notebooks"
    out.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, out / path.name)
    errors = [
        output
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
        if output.get("output_type") == "error"
    ]
    assert not errors
