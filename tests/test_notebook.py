"""The walkthrough notebook runs top to bottom offline, so it cannot rot."""

import pytest
import nbformat
from conftest import ROOT, shared_path
from nbclient import NotebookClient

pytestmark = pytest.mark.slow  # runs the whole walkthrough notebook


def test_walkthrough_notebook_executes():
    shared_path("data", "speech", "tts", "manifest.csv")
    nb = nbformat.read(ROOT / "notebooks" / "offline_walkthrough.ipynb", as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(ROOT / "notebooks")}}).execute()
    outputs = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))
    assert "macro-F1" in outputs and "pipeline on 9 clips" in outputs
    images = [o for c in nb.cells for o in c.get("outputs", []) if "image/png" in o.get("data", {})]
    assert len(images) == 2
