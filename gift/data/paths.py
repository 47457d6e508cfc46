"""Where data and caches live.

* Cache directory: ``$GIFT_CACHE_DIR`` if set, else ``~/.cache/gift``. Decoded datasets go to
  ``<cache>/datasets/``, fitted ZCA transforms to ``<cache>/zca/``.
* Data roots searched by :func:`gift.data.load_dataset` (in this order, first hit wins):

  1. the ``root`` argument, if given (only that);
  2. else ``$GIFT_DATA_ROOT`` (one path, or several separated by ``os.pathsep``);
  3. else ``<cache>/data`` (where ``download=True`` puts data).

There is deliberately no guessed location beyond these: data found by accident in a folder next to
a checkout would make a run depend on where the clone happens to sit.
"""
from __future__ import annotations

import os
from pathlib import Path

ENV_DATA_ROOT = "GIFT_DATA_ROOT"
ENV_CACHE_DIR = "GIFT_CACHE_DIR"


def cache_dir() -> Path:
    """``$GIFT_CACHE_DIR`` or ``~/.cache/gift`` (not created here)."""
    env = os.environ.get(ENV_CACHE_DIR)
    if env:
        return Path(env).expanduser()
    return Path.home() / ".cache" / "gift"


def default_download_root() -> Path:
    """Where ``download=True`` stores data when no root is given: ``<cache>/data``."""
    return cache_dir() / "data"


def data_roots(root: str | os.PathLike | None = None) -> list[Path]:
    """The data roots to search, in order (see the module docstring)."""
    if root is not None:
        return [Path(root).expanduser()]
    env = os.environ.get(ENV_DATA_ROOT)
    if env:
        return [Path(p).expanduser() for p in env.split(os.pathsep) if p]
    return [default_download_root()]
