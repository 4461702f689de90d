"""Every tutorial notebook runs top to bottom and saves a working inline player."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
NOTEBOOK_FILES = sorted(NOTEBOOKS.glob("*.ipynb"))


def binder_notebooks() -> list[str]:
    """The tutorials the Binder image runs (longest first): all but those whose metadata says
    they need an extra that binder/postBuild leaves out (``videonb.requires_extra``)."""
    names = []
    for path in sorted(NOTEBOOKS.glob("*.ipynb"), reverse=True):
        meta = json.loads(path.read_text(encoding="utf-8")).get("metadata", {})
        if not meta.get("videonb", {}).get("requires_extra"):
            names.append(path.name)
    return names


def test_there_are_notebooks():
    assert NOTEBOOK_FILES


KEY_LIKE = re.compile(r"sk-[A-Za-z0-9_-]{20,}|AIza[0-9A-Za-z_-]{30,}|key_[0-9a-f]{32,}")


@pytest.mark.parametrize("name", [p.name for p in NOTEBOOK_FILES])
def test_committed_notebooks_are_clean(name):
    """Committed tutorials carry no outputs (so no media, no widget state) and nothing key-like."""
    path = NOTEBOOKS / name
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert not cell.outputs and cell.execution_count is None, cell.source[:60]
    assert "widgets" not in nb.metadata
    assert not KEY_LIKE.search(path.read_text(encoding="utf-8"))
    assert path.stat().st_size < 100_000


@pytest.mark.slow
@pytest.mark.parametrize("name", [p.name for p in NOTEBOOK_FILES])
def test_notebook_runs(name, tmp_path, monkeypatch):
    # The kernel inherits this: emulated jobs never reach the user's own ledger and cache.
    monkeypatch.setenv("VIDEONB_HOME", str(tmp_path / "videonb-home"))
    before = sorted(p.name for p in NOTEBOOKS.iterdir())
    work = tmp_path / "notebooks"
    shutil.copytree(NOTEBOOKS, work, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    path = work / name
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(work)}})
    client.execute()  # raises CellExecutionError on the first failing cell
    nbformat.write(nb, path)
    check_saved(path)
    # The notebook ran in its copy: nothing was written next to the originals.
    assert sorted(p.name for p in NOTEBOOKS.iterdir()) == before


def check_saved(path: Path) -> None:
    """What an executed and saved tutorial must hold (here, and in the Binder replay)."""
    saved = nbformat.read(path, as_version=4)
    outputs = [o for c in saved.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    errors = [o for o in outputs if o.output_type == "error"]
    assert not errors, [f"{o.ename}: {o.evalue}" for o in errors]
    assert all(c.get("execution_count") for c in saved.cells if c.cell_type == "code")
    html = [o.data["text/html"] for o in outputs
            if o.output_type in ("display_data", "execute_result")
            and "text/html" in o.get("data", {})]
    assert any("<video" in h and "data:video/mp4;base64," in h for h in html), (
        "no embedded player in the saved outputs")
    # Keys passed in cells (the emulators' placeholders) never reach an output.
    dumped = json.dumps([o for o in outputs])
    assert "placeholder-key" not in dumped and "placeholder-not-a-key" not in dumped
    # Outputs stay small enough for a notebook that is committed and shared.
    assert path.stat().st_size < 8_000_000
