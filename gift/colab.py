"""Where the companion lives, and what a chapter does first on Google Colab.

**The one setting.** :data:`REPOSITORY` and :data:`REF` name the public repository and the branch
the book links to. Everything that names the repository is generated from them by
``python tools/colab_cells.py`` (Colab badges and setup cell of every chapter in notebooks/, book/
and tests/notebooks/, the repository button in _config.yml) and checked by
tests/test_colab_setup.py (also pyproject.toml's URLs and CITATION.cff). At run time a user can
override both with the environment variables ``GIFT_REPO`` and ``GIFT_REF`` (e.g. a fork).

PLACEHOLDER: the repository is not published yet; ``gift-companion/gift-companion`` is a stand-in.
When it is published, set the real URL here and run ``python tools/colab_cells.py``.

**The setup cell** (:data:`SETUP_CELL`, the first code cell of every chapter). On Colab it clones
the repository at the commit recorded in the notebook's metadata (``metadata.gift.commit``,
written by tools/execute_notebooks.py, so the code matches the outputs shown), installs that clone
with pip, and points the results store at the clone's ``results/`` through ``GIFT_RESULTS_DIR``
unless the user set it (e.g. to a Google Drive folder, to keep new runs). It works on a GPU and on
a CPU runtime (Colab's own torch is used). Outside Colab it does nothing: it must stay runnable
before ``gift`` is installed, so it uses the standard library only.
"""
from __future__ import annotations

import os
import re
import sys

#: PLACEHOLDER (the repository is not published yet): the companion's public repository.
REPOSITORY = "https://github.com/gift-companion/gift-companion"
#: the branch the badges and the repository button point at
REF = "main"
#: folder (relative to Colab's working directory, /content) the setup cell clones into
CLONE_DIR = "gift-companion"

ENV_REPO = "GIFT_REPO"
ENV_REF = "GIFT_REF"
ENV_DOWNLOAD = "GIFT_DOWNLOAD"


def on_colab() -> bool:
    """True inside a Google Colab runtime (its kernel imports ``google.colab`` at start and sets
    ``COLAB_RELEASE_TAG``)."""
    return "google.colab" in sys.modules or bool(os.environ.get("COLAB_RELEASE_TAG"))


def repository() -> str:
    """``$GIFT_REPO`` or :data:`REPOSITORY`."""
    return os.environ.get(ENV_REPO) or REPOSITORY


def github_slug(url: str = REPOSITORY) -> str:
    """``owner/name`` of a GitHub URL."""
    m = re.match(r"^https://github\.com/([^/]+/[^/]+?)(?:\.git)?/?$", url)
    if not m:
        raise ValueError(f"not a GitHub repository URL: {url!r}")
    return m.group(1)


def colab_url(notebook: str, repo: str = REPOSITORY, ref: str = REF) -> str:
    """Colab link that opens ``notebook`` (a path in the repository, e.g. book/02_method.ipynb)."""
    return f"https://colab.research.google.com/github/{github_slug(repo)}/blob/{ref}/{notebook}"


def badge(notebook: str, repo: str = REPOSITORY, ref: str = REF) -> str:
    """The Markdown Colab badge of a chapter."""
    return (f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
            f"({colab_url(notebook, repo, ref)})")


# The first code cell of every chapter, identical in all of them (tools/colab_cells.py writes it).
SETUP_CELL = f'''# On Colab: clone the commit this page was executed with, install it, keep runs in the clone's
# results/ unless GIFT_RESULTS_DIR is set (e.g. to Drive; see Reproduce). Elsewhere: nothing.
import os, subprocess, sys

try:
    import google.colab  # noqa: F401  (only on Colab)
    ON_COLAB = True
except ImportError:
    ON_COLAB = False
if ON_COLAB:
    clone, ref = os.path.abspath("{CLONE_DIR}"), os.environ.get("{ENV_REF}")
    if not os.path.isdir(clone):
        try:  # the commit recorded in this notebook's metadata by tools/execute_notebooks.py
            from google.colab import _message
            ref = ref or _message.blocking_request("get_ipynb", timeout_sec=60)["ipynb"]["metadata"]["gift"]["commit"]
        except Exception:
            ref = ref or "{REF}"
        repo = os.environ.get("{ENV_REPO}", "{REPOSITORY}")  # PLACEHOLDER until published
        print(f"cloning {{repo}} at {{ref}} into {{clone}}")
        for cmd in (["git", "clone", "--quiet", repo, clone], ["git", "-C", clone, "checkout", "--quiet", ref],
                    [sys.executable, "-m", "pip", "install", "--quiet", clone]):
            subprocess.run(cmd, check=True)
    os.environ.setdefault("GIFT_RESULTS_DIR", os.path.join(clone, "results"))'''
