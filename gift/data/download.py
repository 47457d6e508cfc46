"""Data on demand: whether a missing dataset may be downloaded, and checking what was downloaded.

Rule (:func:`download_policy`): an explicit ``download=True/False`` (Python) or ``--download``
(command line) wins; otherwise ``$GIFT_DOWNLOAD`` (``1``/``0``, also true/false, yes/no, on/off);
otherwise downloading is on exactly when running on Google Colab. So a Colab user's chapter fetches
CIFAR-10/100 or Tiny-ImageNet by itself, while local runs, CI and the tests (tests/conftest.py sets
``GIFT_DOWNLOAD=0``) never touch the network.

What can be downloaded, and how it is verified:

* CIFAR-10 / CIFAR-100: torchvision's download helper with torchvision's MD5 of the archive; the
  pickles are then read by gift's restricted unpickler.
* Tiny-ImageNet: the official archive http://cs231n.stanford.edu/tiny-imagenet-200.zip, checked
  against its MD5 (:data:`TINY_IMAGENET_MD5`, the value published with torchvision-style loaders of
  this archive; 248,100,043 bytes) and, after extraction, by structure and file count
  (:func:`check_tiny_imagenet`: 200 classes in wnids.txt, 500 training images per class, 10,000
  annotated validation images).
* ImageNet-1K and the ImageNet subsets, and released distilled sets (DATM): never downloaded (they
  need a registration or come from the authors' cloud drives); the error says where they come from
  and which layout gift expects (:data:`IMAGENET_HOW_TO_GET`, :data:`DATM_HOW_TO_GET`).
"""
from __future__ import annotations

import os
from pathlib import Path

from .errors import DataError

ENV_DOWNLOAD = "GIFT_DOWNLOAD"
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}

TINY_IMAGENET_URL = "http://cs231n.stanford.edu/tiny-imagenet-200.zip"
TINY_IMAGENET_MD5 = "90528d7ca1a48142e341f4ef8d21d0de"
#: (classes, training images per class, validation images) of the official archive
TINY_IMAGENET_COUNTS = (200, 500, 10_000)

IMAGENET_HOW_TO_GET = (
    "ImageNet-1K (ILSVRC2012) is never downloaded automatically: it needs an account at "
    "https://image-net.org/download. Place it as an image folder per class: "
    "<data root>/imagenet-1k/train/<wnid>/*.JPEG (1000 folders) and <data root>/imagenet-1k/val/<wnid>/*.JPEG "
    "(the validation images sorted into their class folders, e.g. with the devkit's ground truth)."
)
DATM_HOW_TO_GET = (
    "The DATM distilled sets are the authors' release (linked from the DATM repository, "
    "https://github.com/GzyAftermath/DATM); they are never downloaded automatically. Put one set per "
    "folder as <data root>/released/datm-<dataset>-zca-ipc<N>/ holding images.pt, labels.pt and lr.pt "
    "(ZCA-space images, learned soft labels, learned learning rate)."
)


def _colab() -> bool:
    from ..colab import on_colab

    return on_colab()


def download_policy(download: bool | None = None) -> tuple[bool, str]:
    """``(allowed, why)`` for downloading a missing dataset (see the module docstring)."""
    if download is not None:
        return bool(download), f"download={bool(download)} was passed"
    env = os.environ.get(ENV_DOWNLOAD)
    if env is not None:
        value = env.strip().lower()
        if value in _TRUE:
            return True, f"${ENV_DOWNLOAD}={env}"
        if value in _FALSE:
            return False, f"${ENV_DOWNLOAD}={env}"
        raise DataError(f"${ENV_DOWNLOAD}={env!r} is not understood; use 1 (download missing data) or 0 (never)")
    if _colab():
        return True, "running on Google Colab"
    return False, f"not on Google Colab and ${ENV_DOWNLOAD} is not set"


def how_to_enable(why: str) -> str:
    """What to do to download a dataset when downloading is off, and why it is off."""
    return (f"Automatic download is off ({why}); to fetch the original files (needs internet) add --download "
            f"to the gift command, pass download=True to load_dataset, or set {ENV_DOWNLOAD}=1.")


def check_tiny_imagenet(path: str | os.PathLike, counts: tuple[int, int, int] = TINY_IMAGENET_COUNTS) -> None:
    """Raise DataError unless ``path`` (a tiny-imagenet-200 folder) has the official layout and
    ``counts`` = (classes, training images per class, validation images)."""
    path = Path(path)
    classes, per_class, n_val = counts
    wnids_file = path / "wnids.txt"
    if not wnids_file.is_file():
        raise DataError(f"{path}: not a Tiny-ImageNet folder (no wnids.txt)")
    wnids = [w.strip() for w in wnids_file.read_text().splitlines() if w.strip()]
    if len(wnids) != classes or len(set(wnids)) != classes:
        raise DataError(f"{wnids_file}: {len(set(wnids))} distinct classes, expected {classes}")
    for w in wnids:
        folder = path / "train" / w / "images"
        n = sum(1 for f in folder.glob("*.JPEG")) if folder.is_dir() else 0
        if n != per_class:
            raise DataError(f"{folder}: {n} training images, expected {per_class}")
    ann = path / "val" / "val_annotations.txt"
    if not ann.is_file():
        raise DataError(f"{path}: no val/val_annotations.txt")
    rows = [ln.split("\t") for ln in ann.read_text().splitlines() if ln.strip()]
    known = set(wnids)
    bad = [r for r in rows if len(r) < 2 or r[1].strip() not in known]
    if bad:
        raise DataError(f"{ann}: {len(bad)} line(s) without a known class, e.g. {bad[0]!r}")
    missing = [r[0] for r in rows if not (path / "val" / "images" / r[0].strip()).is_file()]
    if len(rows) != n_val or missing:
        raise DataError(f"{ann}: {len(rows)} validation images listed ({len(missing)} missing), expected {n_val}")
