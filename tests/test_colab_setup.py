"""The one repository setting (gift/colab.py) and the Colab setup cell every chapter carries."""
from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import types
from pathlib import Path

import jupytext
import pytest

from gift import colab

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted(p for p in (ROOT / "notebooks").glob("*.py") if not p.name.startswith("_"))
_spec = importlib.util.spec_from_file_location("colab_cells", ROOT / "tools" / "colab_cells.py")
colab_cells = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(colab_cells)


def test_badges_setup_cells_and_config_follow_the_setting():
    stale = [str(p.relative_to(ROOT)) for p, _ in colab_cells.plan()]
    assert not stale, f"run `python tools/colab_cells.py`: {stale}"


@pytest.mark.parametrize("source", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_every_chapter_starts_with_the_same_setup_cell(source):
    nb = jupytext.read(source, fmt="py:percent")
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code[0].source == colab.SETUP_CELL, f"{source.name}: run `python tools/colab_cells.py`"
    assert "parameters" in code[1].metadata.get("tags", []), f"{source.name}: the parameters cell must follow it"
    assert colab.badge(f"book/{source.stem}.ipynb") in nb.cells[0].source


def test_other_places_name_the_same_repository():
    for path in ("pyproject.toml", "CITATION.cff", "_config.yml"):
        assert colab.REPOSITORY in (ROOT / path).read_text(), f"{path} does not name {colab.REPOSITORY}"
    assert colab.github_slug() == "gift-companion/gift-companion"
    assert colab.colab_url("book/x.ipynb") == (
        "https://colab.research.google.com/github/gift-companion/gift-companion/blob/main/book/x.ipynb")


def _no_results_dir(monkeypatch):
    """Unset GIFT_RESULTS_DIR so that monkeypatch restores its absence afterwards (a plain
    delenv of an unset variable records nothing, and the setup cell sets it)."""
    monkeypatch.setenv("GIFT_RESULTS_DIR", "unset-by-the-test")
    monkeypatch.delenv("GIFT_RESULTS_DIR")


def test_setup_cell_does_nothing_outside_colab(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    _no_results_dir(monkeypatch)
    calls = []
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: calls.append(a))
    ns: dict = {}
    exec(compile(colab.SETUP_CELL, "setup", "exec"), ns)
    assert ns["ON_COLAB"] is False and calls == [] and "GIFT_RESULTS_DIR" not in os.environ
    assert list(tmp_path.iterdir()) == []


def _fake_colab(monkeypatch, commit: str | None):
    google = types.ModuleType("google")
    google.__path__ = []
    mod = types.ModuleType("google.colab")
    message = types.ModuleType("google.colab._message")

    def blocking_request(kind, timeout_sec=None):
        assert kind == "get_ipynb"
        if commit is None:
            raise TimeoutError("no frontend")
        return {"ipynb": {"metadata": {"gift": {"commit": commit}}}}

    message.blocking_request = blocking_request
    mod._message = message
    google.colab = mod
    for name, m in (("google", google), ("google.colab", mod), ("google.colab._message", message)):
        monkeypatch.setitem(sys.modules, name, m)


@pytest.mark.parametrize("commit,env_ref,want", [("a" * 40, None, "a" * 40), (None, None, colab.REF),
                                                  ("a" * 40, "my-branch", "my-branch")])
def test_setup_cell_on_colab_clones_the_recorded_commit(monkeypatch, tmp_path, commit, env_ref, want):
    monkeypatch.chdir(tmp_path)
    _no_results_dir(monkeypatch)
    monkeypatch.delenv("GIFT_REPO", raising=False)
    if env_ref:
        monkeypatch.setenv("GIFT_REF", env_ref)
    else:
        monkeypatch.delenv("GIFT_REF", raising=False)
    _fake_colab(monkeypatch, commit)
    calls = []
    monkeypatch.setattr(subprocess, "run", lambda cmd, **k: calls.append(cmd))
    exec(compile(colab.SETUP_CELL, "setup", "exec"), {})
    clone = str(tmp_path / colab.CLONE_DIR)
    assert calls == [["git", "clone", "--quiet", colab.REPOSITORY, clone],
                     ["git", "-C", clone, "checkout", "--quiet", want],
                     [sys.executable, "-m", "pip", "install", "--quiet", clone]]
    assert os.environ["GIFT_RESULTS_DIR"] == os.path.join(clone, "results")


def test_setup_cell_keeps_a_users_results_dir(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    (tmp_path / colab.CLONE_DIR).mkdir()  # second run of the cell: nothing cloned again
    monkeypatch.setenv("GIFT_RESULTS_DIR", "/content/drive/MyDrive/gift-results")
    _fake_colab(monkeypatch, "b" * 40)
    calls = []
    monkeypatch.setattr(subprocess, "run", lambda cmd, **k: calls.append(cmd))
    exec(compile(colab.SETUP_CELL, "setup", "exec"), {})
    assert calls == [] and os.environ["GIFT_RESULTS_DIR"] == "/content/drive/MyDrive/gift-results"


def test_on_colab_detection(monkeypatch):
    monkeypatch.delenv("COLAB_RELEASE_TAG", raising=False)
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    assert not colab.on_colab()
    monkeypatch.setenv("COLAB_RELEASE_TAG", "release-colab_20250101")
    assert colab.on_colab()


def test_results_store_rule(monkeypatch, tmp_path):
    from gift.results import default_results_dir

    monkeypatch.setenv("GIFT_RESULTS_DIR", str(tmp_path / "drive"))
    assert default_results_dir() == tmp_path / "drive"
    monkeypatch.delenv("GIFT_RESULTS_DIR")
    assert default_results_dir() == ROOT / "results"  # running from a checkout
    # an installed copy (no pyproject.toml beside the package): ./results, see tests/test_colab_user.py
