"""A published notebook carries no papermill injected-parameters cell: the values it was executed
with are folded into its ``parameters`` cell, so a reader who edits that cell (e.g. on Colab) and
runs the notebook gets the profile they chose."""
from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("execute_notebooks", ROOT / "tools" / "execute_notebooks.py")
execute_notebooks = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(execute_notebooks)

CHAPTER = '''# %% [markdown]
# # A tiny chapter

# %% tags=["parameters"]
profile = "companion"  # "smoke", "companion" or "paper"
run_missing = True  # comment kept

# %%
from gift.companion import get_profile

p = get_profile(profile)
print(f"RAN profile={p.name} dataset={p.dataset} run_missing={run_missing}")
'''


def _stdout(nb) -> str:
    return "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
                   if o.get("output_type") == "stream")


def test_fold_parameters_keeps_comments_and_appends_unknown_names():
    src = 'profile = "companion"  # which profile\nseed = 0\nrun_missing = True  # train missing runs\n'
    out = execute_notebooks.fold_parameters(src, {"profile": "smoke", "run_missing": False, "extra": 2})
    assert out == 'profile = "smoke"  # which profile\nseed = 0\nrun_missing = False  # train missing runs\nextra = 2'


@pytest.mark.slow
def test_edited_parameters_cell_of_a_published_notebook_takes_effect(tmp_path, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    src = tmp_path / "99_tiny.py"
    src.write_text(CHAPTER)
    out_dir = tmp_path / "book"
    # 1. publish it the way the book is made: papermill with injected values, then cleaned
    ok, _, message = execute_notebooks.execute(src, out_dir, "smoke", [("run_missing", "False")], timeout=300,
                                               cell_timeout=300, log_output=False)
    assert ok, message
    published = nbformat.read(out_dir / "99_tiny.ipynb", as_version=4)
    assert not [c for c in published.cells if "injected-parameters" in c.metadata.get("tags", [])]
    params = next(c for c in published.cells if "parameters" in c.metadata.get("tags", []))
    assert params.source == 'profile = "smoke"  # "smoke", "companion" or "paper"\nrun_missing = False  # comment kept'
    assert "RAN profile=smoke dataset=digits run_missing=False" in _stdout(published)
    assert published.metadata["papermill"]["parameters"] == {"profile": "smoke", "run_missing": False}
    if (ROOT / ".git").exists():  # the Colab setup cell installs this commit
        assert len(published.metadata["gift"]["commit"]) == 40
    # 2. a reader edits the parameters cell to another profile and runs everything (no papermill)
    params.source = params.source.replace('"smoke"', '"paper"')
    NotebookClient(published, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    assert "RAN profile=paper dataset=cifar100 run_missing=False" in _stdout(published)
