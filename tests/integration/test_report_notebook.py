"""notebooks/investigation.ipynb runs top to bottom on a fresh demo run (nbclient, a real kernel), and is
committed without outputs."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from entity_resolution import pipeline
from entity_resolution.demo.generator import generate
from entity_resolution.ingest import Inputs
from entity_resolution.settings import Settings

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "investigation.ipynb"


def test_notebook_is_committed_without_outputs() -> None:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(c.outputs == [] and c.execution_count is None for c in code)


def test_notebook_executes_on_a_demo_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = generate(tmp_path / "input", n_accounts=1200, seed=59, fmt="csv")
    pipeline.run(Inputs(data.accounts, data.devices, data.payments, data.labels), tmp_path / "run", Settings())
    monkeypatch.setenv("ER_NOTEBOOK_RUN", str(tmp_path / "run"))  # the kernel inherits the environment
    nb = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(nb, kernel_name="python3", timeout=300,
                   resources={"metadata": {"path": str(NOTEBOOK.parent)}}).execute()  # kernel on 127.0.0.1
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert "as of" in text and "match probability" in text and "has" in text
    assert sum(1 for o in outputs if "image/png" in o.get("data", {})) == 2  # the link's weights, the growth
