"""A simulated Colab user, end to end, on this machine and without network:

1. the wheel is built from this checkout and installed (``--no-deps``) into a fresh venv that sees
   the test interpreter's site-packages (torch, papermill, ...) through a plain path line in a
   ``.pth`` file (that does not run the editable-install finder, so this checkout's ``gift`` is not
   importable there); working directory outside the repository, empty HOME, no data folder beside
   the clone;
2. the installed package works from there (``gift --help``; the results store resolves to
   ``./results`` for an installed copy);
3. a published chapter (book/NN.ipynb) is opened with a fake ``google.colab`` module whose
   ``get_ipynb`` answers the notebook's metadata: its setup cell clones this repository at the
   recorded commit, pip-installs the clone and points ``GIFT_RESULTS_DIR`` at the clone's results/;
   the reader edits the parameters cell to ``profile = "smoke"`` and the chapter runs without error.

The clone is of the committed HEAD (uncommitted changes are covered by step 1's wheel only).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
CHAPTER = "02_method"  # the quickest chapter under the smoke profile

FAKE_COLAB = '''"""Stand-in for Colab's frontend bridge: get_ipynb returns the notebook being run."""
import json, os


def blocking_request(kind, timeout_sec=None):
    assert kind == "get_ipynb"
    with open(os.environ["FAKE_COLAB_NOTEBOOK"]) as f:
        return {"ipynb": json.load(f)}
'''


def _run(cmd, **kw):
    proc = subprocess.run(cmd, capture_output=True, text=True, **kw)
    assert proc.returncode == 0, f"{cmd} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


@pytest.mark.slow
@pytest.mark.skipif(not (ROOT / ".git").exists(), reason="needs a git checkout (the setup cell clones it)")
def test_colab_user_end_to_end(tmp_path):
    home, work, venv, dist, fake = (tmp_path / n for n in ("home", "work", "venv", "dist", "fake"))
    for d in (home, work):
        d.mkdir()
    # 1. wheel + fresh venv seeing this interpreter's packages
    _run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "-w", str(dist),
          str(ROOT)], cwd=tmp_path)
    wheel = next(dist.glob("gift_companion-*.whl"))
    with zipfile.ZipFile(wheel) as zf:  # package data and licence travel with the wheel
        names = zf.namelist()
    assert "gift/companion/paper_tables.csv" in names and any(n.endswith("licenses/LICENSE") for n in names)
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    py = venv / "bin" / "python"
    site = Path(_run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout.strip())
    (site / "_parent_site.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIFT_", "PYTHON", "PIP_", "JUPYTER"))}
    env.update(HOME=str(home), GIFT_DOWNLOAD="0", PIP_NO_INDEX="1", PIP_NO_DEPS="1",
               PIP_NO_BUILD_ISOLATION="0",  # i.e. --no-build-isolation: build with the visible setuptools
               PIP_DISABLE_PIP_VERSION_CHECK="1", GIFT_COMPILE="off")
    _run([str(py), "-m", "pip", "install", "--quiet", "--ignore-installed", str(wheel)], env=env, cwd=work)
    # 2. the installed package, outside the repository
    probe = _run([str(py), "-c", "import gift, gift.results as r; from importlib.metadata import version; "
                  "print(gift.__file__, r.default_results_dir(), version('gift-companion'), gift.__version__)"],
                 env=env, cwd=work).stdout.split()
    assert probe[0].startswith(str(site)) and probe[1] == "results" and probe[2] == probe[3]
    assert "usage" in _run([str(venv / "bin" / "gift"), "--help"], env=env, cwd=work).stdout
    # 3. the published chapter on a (fake) Colab: setup cell, then an edited parameters cell
    (fake / "google" / "colab").mkdir(parents=True)  # namespace package "google", like Colab's
    (fake / "google" / "colab" / "__init__.py").write_text("")
    (fake / "google" / "colab" / "_message.py").write_text(FAKE_COLAB)
    head = _run(["git", "-C", str(ROOT), "rev-parse", "HEAD"]).stdout.strip()
    nb = nbformat.read(ROOT / "book" / f"{CHAPTER}.ipynb", as_version=4)
    nb.metadata.setdefault("gift", {})["commit"] = head  # what tools/execute_notebooks.py records
    params = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    params.source = params.source.replace('profile = "companion"', 'profile = "smoke"')
    assert 'profile = "smoke"' in params.source
    opened = work / f"{CHAPTER}.ipynb"
    nbformat.write(nb, opened)
    _run([str(py), "-m", "ipykernel", "install", "--prefix", str(venv), "--name", "python3"], env=env, cwd=work)
    kernel_env = {**env, "PYTHONPATH": str(fake), "FAKE_COLAB_NOTEBOOK": str(opened), "GIFT_REPO": str(ROOT)}
    done = work / "done.ipynb"
    _run([str(py), "-m", "papermill", str(opened), str(done), "-k", "python3", "--cwd", str(work),
          "--no-progress-bar", "--execution-timeout", "240"], env=kernel_env, cwd=work, timeout=300)
    out = nbformat.read(done, as_version=4)
    text = json.dumps([c.get("outputs", []) for c in out.cells])
    assert f"at {head} into {work / 'gift-companion'}" in text  # the setup cell cloned the recorded commit
    assert "profile=smoke" in text or "Profile **smoke**" in text
    assert (work / "gift-companion" / "results").is_dir()
    installed = _run([str(py), "-c", "import gift; print(gift.__file__)"], env=env, cwd=work).stdout.strip()
    assert installed.startswith(str(site))  # the clone was installed (not imported from the checkout)
