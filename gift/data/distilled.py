"""Distilled (synthetic) datasets: one in-memory type, readers for the released formats, and our
own on-disk format.

Recognised by :func:`load_distilled` (see :data:`FORMATS`):

* ``gift`` — written by :func:`save_distilled`: ``distilled.json`` + one folder per class
  (``00000/``...) of lossless PNGs named by row index, optional ``soft_labels.pt``; ZCA-space sets
  (and ``exact=True`` saves) also hold ``images.pt``/``labels.pt`` with the float32 tensors.
* ``image-folder`` — RDED / SRe2L / CDA / G-VBSM releases: one folder per class, named
  ``00000``, ``00001``... (the number is the class index) or by class name (mapped through the
  dataset's class list when ``dataset`` is given, else sorted order; the mapping is recorded in
  ``meta["class_to_idx"]``). Pixel values are read as [0, 1].
* ``data.pt`` — GIFT's evaluation file: dict with ``dataset``, ``data`` [N, 3, H, W] (assumed in
  [0, 1]; values outside are reported in ``meta["value_range"]`` and warned about) and ``label``
  ([N] integer hard labels, or [N, C] soft labels → ``soft_labels`` with argmax hard labels).
* ``datm`` — DATM's release folder: ``images.pt`` (ZCA space), ``labels.pt`` ([N, C] learned
  logits), ``lr.pt`` (learned lr); also ``*_best.pt`` or the highest ``*_<iteration>.pt``. Rows are
  in class order (DATM initialises N/C rows per class, class by class), so when C divides N row i
  gets hard label i // (N/C); the agreement with the logits' argmax is recorded in
  ``meta["argmax_agreement"]`` (95 of 100 for the released CIFAR-10 IPC10 set). If C does not
  divide N, or the agreement is below 50 %, the argmax is used instead (with a warning).
* ``res`` — DC / DSA / DM / MTT ``res_*.pt``: dict whose ``data`` is a list of ``[images, labels]``
  pairs (one per experiment; the last is used). Images were mean/std-normalised with the
  constants of those code bases (:data:`DC_NORMALIZATION`, which for CIFAR-100 differ from GIFT's)
  and are converted back to [0, 1] pixel space. The dataset comes from ``dataset`` or the file name
  (``res_DSA_CIFAR10_ConvNet_10ipc.pt``).

Every ``.pt`` file is read with ``torch.load(weights_only=True)``; files needing arbitrary pickled
code are refused (:class:`UnsafeFileError`) without executing anything.
"""
from __future__ import annotations

import json
import math
import os
import re
import shutil
import uuid
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch
from PIL import Image

from .datasets import (
    CIFAR_MEAN,
    CIFAR_STD,
    DATASETS,
    IMAGENET_MEAN,
    IMAGENET_STD,
    ImageDataset,
    get_classes,
)
from .errors import DataError, DataNotFoundError, IncompleteSetError, NonFiniteDataError
from .imagefolder import class_folders, decode_images, list_images, reserved_dirs
from .safe_load import safe_torch_load

SPACES = ("pixel", "zca")
GIFT_FORMAT = "gift-distilled"
GIFT_FORMAT_VERSION = 1

FORMATS: dict[str, str] = {
    "gift": "folder written by save_distilled: distilled.json + class folders 00000/... of PNGs (+ soft_labels.pt, images.pt)",
    "image-folder": "folder with one sub-folder of images per class (RDED/SRe2L/CDA/G-VBSM): 00000, 00001, ... or class names",
    "data.pt": "GIFT evaluation file: dict with 'dataset', 'data' [N,3,H,W] in [0,1], 'label' ([N] ints or [N,C] soft labels)",
    "datm": "DATM release folder: images.pt (ZCA space), labels.pt ([N,C] logits), lr.pt (or *_best.pt / *_<iter>.pt)",
    "res": "DC/DSA/DM/MTT res_*.pt: dict with 'data' = list of [images, labels] pairs (mean/std-normalised; last pair used)",
}

# Normalisation used by the DC/DSA/DM/MTT code bases (``utils.get_dataset``) — needed to undo it.
DC_NORMALIZATION: dict[str, tuple[tuple[float, ...], tuple[float, ...]]] = {
    "cifar10": (CIFAR_MEAN, CIFAR_STD),
    "cifar100": ((0.5071, 0.4866, 0.4409), (0.2673, 0.2564, 0.2762)),
    "tinyimagenet": (IMAGENET_MEAN, IMAGENET_STD),
    "mnist": ((0.1307,), (0.3081,)),
    "fashionmnist": ((0.2861,), (0.3530,)),
    "svhn": ((0.4377, 0.4438, 0.4728), (0.1980, 0.2010, 0.1970)),
}

_DATASET_ALIASES = {
    "cifar10": "cifar10", "cifar-10": "cifar10", "cifar100": "cifar100", "cifar-100": "cifar100",
    "tinyimagenet": "tinyimagenet", "tiny": "tinyimagenet", "tiny-imagenet": "tinyimagenet",
    "tiny_imagenet": "tinyimagenet", "tiny-imagenet-200": "tinyimagenet",
    "imagenet": "imagenet-1k", "imagenet1k": "imagenet-1k", "imagenet-1k": "imagenet-1k", "in1k": "imagenet-1k",
    "imagenette": "imagenette", "imagewoof": "imagewoof", "imagenet-10": "imagenet-10",
    "imagenet10": "imagenet-10", "imagenet-100": "imagenet-100", "imagenet100": "imagenet-100",
    "digits": "digits", "mnist": "mnist", "fashionmnist": "fashionmnist", "fashion": "fashionmnist",
    "svhn": "svhn",
}


def canonical_dataset_name(name: str | None) -> str | None:
    """Map spellings such as ``CIFAR10``, ``TinyImageNet``, ``imagenet1k`` to our dataset names."""
    if name is None:
        return None
    key = str(name).strip().lower()
    return _DATASET_ALIASES.get(key, _DATASET_ALIASES.get(key.replace("_", "-"), key))


# --------------------------------------------------------------------------------------------------
# DistilledSet


@dataclass
class DistilledSet:
    """A distilled image set.

    ``images``: float32 [N, C, H, W] — in [0, 1] (not normalised) when ``space == "pixel"``, or
    ZCA-whitened and used as-is when ``space == "zca"``; ``labels``: int64 [N] hard labels;
    ``soft_labels``: optional float32 [N, num_classes] stored label logits (e.g. DATM's);
    ``lr``: optional learned learning rate; ``meta``: provenance (dataset, method, ipc, source,
    format, ...). uint8 images are converted to [0, 1] floats."""

    images: torch.Tensor
    labels: torch.Tensor
    soft_labels: torch.Tensor | None = None
    lr: float | None = None
    space: str = "pixel"
    num_classes: int | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.images, torch.Tensor):
            raise DataError(f"DistilledSet.images must be a tensor, got {type(self.images).__name__}")
        if self.images.dtype == torch.uint8:
            self.images = self.images.float().div_(255.0)
        elif self.images.dtype != torch.float32:
            self.images = self.images.float()
        _require_finite(self.images, "image values")
        if self.images.ndim != 4:
            raise DataError(f"DistilledSet.images must be [N, C, H, W], got shape {tuple(self.images.shape)}")
        n = int(self.images.shape[0])
        if n == 0:
            raise DataError("the distilled set is empty (0 images)")
        self.labels = torch.as_tensor(self.labels)
        if self.labels.is_floating_point():
            if not torch.equal(self.labels, self.labels.round()):
                raise DataError("hard labels must be integers (pass [N, C] soft labels as soft_labels)")
        self.labels = self.labels.to(torch.int64)
        if self.labels.ndim != 1 or self.labels.shape[0] != n:
            raise DataError(f"labels shape {tuple(self.labels.shape)} does not match {n} images")
        if self.soft_labels is not None:
            self.soft_labels = torch.as_tensor(self.soft_labels).float()
            _require_finite(self.soft_labels, "stored label logits (soft_labels)")
            if self.soft_labels.ndim != 2 or self.soft_labels.shape[0] != n:
                raise DataError(f"soft_labels must be [N={n}, C], got {tuple(self.soft_labels.shape)}")
            c = int(self.soft_labels.shape[1])
            if self.num_classes is not None and int(self.num_classes) != c:
                raise DataError(f"soft_labels have {c} classes but num_classes={self.num_classes}")
            self.num_classes = c
        if self.num_classes is None:
            self.num_classes = int(self.labels.max()) + 1
        self.num_classes = int(self.num_classes)
        lo, hi = int(self.labels.min()), int(self.labels.max())
        if lo < 0 or hi >= self.num_classes:
            raise DataError(f"hard labels range [{lo}, {hi}] outside [0, {self.num_classes - 1}]")
        if self.space not in SPACES:
            raise DataError(f"space must be one of {SPACES}, got {self.space!r}")
        if self.lr is not None:
            self.lr = float(torch.as_tensor(self.lr).item()) if not isinstance(self.lr, (int, float)) else float(self.lr)
            if not math.isfinite(self.lr) or self.lr <= 0:
                err = NonFiniteDataError if not math.isfinite(self.lr) else DataError
                raise err(f"the learned lr is {self.lr}; a learning rate must be a finite number > 0")
        self.meta = dict(self.meta or {})

    def materialize(self) -> "DistilledSet":
        """Itself: a loaded set is already material (lazy sets from ``gift.companion`` load on demand)."""
        return self

    def __len__(self) -> int:
        return int(self.images.shape[0])

    def __repr__(self) -> str:
        return (
            f"DistilledSet(n={len(self)}, num_classes={self.num_classes}, ipc={self.ipc}, "
            f"image_size={self.image_size}, space={self.space!r}, soft_labels="
            f"{None if self.soft_labels is None else tuple(self.soft_labels.shape)}, lr={self.lr}, "
            f"dataset={self.meta.get('dataset')!r}, format={self.meta.get('format')!r})"
        )

    @property
    def image_size(self) -> int | tuple[int, int]:
        h, w = int(self.images.shape[2]), int(self.images.shape[3])
        return h if h == w else (h, w)

    @property
    def has_soft_labels(self) -> bool:
        return self.soft_labels is not None

    def class_counts(self) -> torch.Tensor:
        return torch.bincount(self.labels.cpu(), minlength=self.num_classes)

    @property
    def ipc(self) -> int | None:
        """Images per class if every class has the same count, else None."""
        counts = self.class_counts()
        return int(counts[0]) if bool((counts == counts[0]).all()) else None

    def to(self, device: str | torch.device) -> "DistilledSet":
        return DistilledSet(
            self.images.to(device), self.labels.to(device),
            None if self.soft_labels is None else self.soft_labels.to(device),
            self.lr, self.space, self.num_classes, dict(self.meta),
        )

    def subset(self, indices: torch.Tensor | Sequence[int]) -> "DistilledSet":
        idx = torch.as_tensor(indices, dtype=torch.long, device=self.images.device)
        return DistilledSet(
            self.images[idx], self.labels[idx.to(self.labels.device)],
            None if self.soft_labels is None else self.soft_labels[idx.to(self.soft_labels.device)],
            self.lr, self.space, self.num_classes, dict(self.meta),
        )

    def subset_per_class(self, ipc: int, generator: torch.Generator | None = None) -> "DistilledSet":
        """``ipc`` images of every class: the first ones (row order) or, with ``generator``, a random
        choice. Rows come out grouped by class."""
        picked = []
        labels = self.labels.cpu()
        for c in range(self.num_classes):
            idx = torch.nonzero(labels == c).flatten()
            if len(idx) < ipc:
                raise DataError(f"class {c} has {len(idx)} images, fewer than ipc={ipc}")
            if generator is not None:
                idx = idx[torch.randperm(len(idx), generator=generator)]
            picked.append(idx[:ipc])
        out = self.subset(torch.cat(picked))
        out.meta["ipc"] = ipc
        return out


# --------------------------------------------------------------------------------------------------
# Helpers


def _require_finite(t: torch.Tensor, what: str) -> None:
    if t.is_floating_point():
        bad = int((~torch.isfinite(t)).sum())
        if bad:
            raise NonFiniteDataError(
                f"{bad} of {t.numel()} {what} are NaN or infinite; the set is damaged, re-create it"
            )


def missing_classes(ds: DistilledSet) -> list[int]:
    """Classes in ``range(ds.num_classes)`` without a single image."""
    return [c for c, k in enumerate(ds.class_counts().tolist()) if k == 0]


def _dataset_name(dataset) -> str | None:
    if dataset is None:
        return None
    if isinstance(dataset, ImageDataset):
        return dataset.name
    return canonical_dataset_name(dataset)


def _dataset_num_classes(dataset) -> int | None:
    if dataset is None:
        return None
    if isinstance(dataset, ImageDataset):
        return dataset.num_classes
    name = canonical_dataset_name(dataset)
    if name in DATASETS:
        return DATASETS.get(name).num_classes
    return {"mnist": 10, "fashionmnist": 10, "svhn": 10}.get(name)


def _expected_classes(dataset, num_classes: int | None) -> int | None:
    dc = _dataset_num_classes(dataset)
    if num_classes is not None and dc is not None and int(num_classes) != dc:
        raise DataError(f"num_classes={num_classes} contradicts dataset {_dataset_name(dataset)!r} ({dc} classes)")
    return int(num_classes) if num_classes is not None else dc


def _check_dataset_name(found: str | None, dataset, where: Path, expected: int | None = None) -> str | None:
    """The dataset a file declares vs. the one (or the class count) the caller gave."""
    want = _dataset_name(dataset)
    got = canonical_dataset_name(found)
    if want and got and want != got:
        raise DataError(f"{where}: the file is for dataset {found!r} but dataset={want!r} was given")
    if dataset is None and got and expected is not None:
        known = _dataset_num_classes(got)
        if known is not None and known != expected:
            raise DataError(f"{where}: num_classes={expected} but the file is for dataset {got!r} with {known} classes")
    return want or got


def _finish(ds: DistilledSet, expected: int | None, where: Path, allow_partial: bool = False) -> DistilledSet:
    if expected is not None and ds.num_classes != expected:
        raise DataError(
            f"{where}: the distilled set has {ds.num_classes} classes but {expected} were expected "
            f"(from num_classes/dataset)"
        )
    name = ds.meta.get("dataset")
    known = _dataset_num_classes(name) if (name and expected is None) else None
    if known is not None and ds.num_classes != known:
        raise DataError(f"{where}: the distilled set has {ds.num_classes} classes but dataset {name!r} has {known}")
    missing = missing_classes(ds)
    if missing and not allow_partial:
        shown = ", ".join(map(str, missing[:20])) + (" ..." if len(missing) > 20 else "")
        raise IncompleteSetError(
            f"{where}: the distilled set has no images for {len(missing)} of its {ds.num_classes} classes "
            f"(class {shown}); a partial set would be scored as if it were complete. Add the missing "
            f"classes, or pass allow_partial=True (gift eval --allow-partial) if a partial set is meant"
        )
    if missing:
        ds.meta["missing_classes"] = missing
    return ds


def _nonempty(t: torch.Tensor, where: Path) -> torch.Tensor:
    if t.ndim >= 1 and t.shape[0] == 0:
        raise DataError(f"{where}: the distilled set is empty (0 images)")
    return t


def _value_range_note(images: torch.Tensor, meta: dict, where: Path, what: str) -> None:
    lo, hi = float(images.min()), float(images.max())
    meta["value_range"] = [lo, hi]
    if lo < -1e-3 or hi > 1 + 1e-3:
        meta["out_of_range"] = True
        warnings.warn(
            f"{where}: {what} values lie in [{lo:.3g}, {hi:.3g}], outside [0, 1]; they are assumed to be "
            f"[0, 1] pixels — if they are normalised or ZCA-whitened, pass space=... / convert them first",
            stacklevel=3,
        )


def _tensor(obj: Any, what: str, where: Path) -> torch.Tensor:
    if isinstance(obj, np.ndarray):
        obj = torch.from_numpy(obj)
    if not isinstance(obj, torch.Tensor):
        raise DataError(f"{where}: {what} is a {type(obj).__name__}, expected a tensor")
    return obj


def _split_labels(label: torch.Tensor, n: int, where: Path) -> tuple[torch.Tensor, torch.Tensor | None]:
    """[N] hard labels, or [N, C] soft labels → (argmax, soft)."""
    if label.ndim == 1:
        if label.shape[0] != n:
            raise DataError(f"{where}: {label.shape[0]} labels for {n} images")
        return label, None
    if label.ndim == 2 and label.shape[0] == n:
        soft = label.float()
        return soft.argmax(1), soft
    raise DataError(f"{where}: labels of shape {tuple(label.shape)} do not fit {n} images ([N] or [N, C] expected)")


# --------------------------------------------------------------------------------------------------
# Readers


def _read_image_folder(path: Path, dataset, num_classes: int | None, expected: int | None) -> DistilledSet:
    folders = class_folders(path)
    if not folders:
        raise DataError(f"{path}: no class sub-folders")
    meta: dict[str, Any] = {"format": "image-folder", "source": os.fspath(path)}
    if all(f.isdigit() for f in folders):
        class_to_idx = {f: int(f) for f in folders}
        meta["class_folder_rule"] = "folder name is the class index"
    else:
        known = None
        if isinstance(dataset, ImageDataset):
            known = list(dataset.classes)
            alt = list(dataset.class_names or [])
        elif dataset is not None:
            try:
                known = get_classes(_dataset_name(dataset))
            except (DataNotFoundError, ValueError) as e:
                raise DataError(
                    f"{path}: class folders are named by class ({folders[:3]}...), but the class list of "
                    f"dataset {dataset!r} is unavailable ({str(e).splitlines()[0]})"
                ) from None
            alt = []
        if known is not None:
            lookup = {c: i for i, c in enumerate(known)}
            for i, c in enumerate(alt):
                lookup.setdefault(c, i)
            unknown = [f for f in folders if f not in lookup]
            if unknown:
                raise DataError(
                    f"{path}: class folders {unknown[:10]} are not classes of dataset "
                    f"{_dataset_name(dataset)!r} (e.g. {known[:5]})"
                )
            class_to_idx = {f: lookup[f] for f in folders}
            meta["class_folder_rule"] = "folder names mapped through the dataset's class list"
            expected = expected if expected is not None else len(known)
        else:
            class_to_idx = {f: i for i, f in enumerate(folders)}
            meta["class_folder_rule"] = "folder names in sorted order"
    meta["class_to_idx"] = class_to_idx
    files: list[str] = []
    labels: list[int] = []
    reserved = reserved_dirs(path, folders)
    for f in folders:
        imgs = list_images(path / f, reserved=reserved)
        files += imgs
        labels += [class_to_idx[f]] * len(imgs)
    if not files:
        raise DataError(f"{path}: the distilled set is empty (no image files in {len(folders)} class folders)")
    images, kept, _ = decode_images(files, None, show_progress=len(files) >= 5000, desc="reading distilled images")
    nc = num_classes if num_classes is not None else expected
    if nc is None:
        nc = max(class_to_idx.values()) + 1
    if max(class_to_idx.values()) >= nc:
        raise DataError(f"{path}: class folder index {max(class_to_idx.values())} is >= the number of classes {nc}")
    meta["dataset"] = _dataset_name(dataset)
    return DistilledSet(images, torch.tensor(labels, dtype=torch.int64), None, None, "pixel", nc, meta)


def _read_data_pt(path: Path, obj: dict, dataset, expected: int | None) -> DistilledSet:
    data = _nonempty(_tensor(obj["data"], "'data'", path), path)
    label = _tensor(obj["label"], "'label'", path)
    if data.ndim != 4:
        raise DataError(f"{path}: 'data' must be [N, 3, H, W], got {tuple(data.shape)}")
    data = data.float().div(255.0) if data.dtype == torch.uint8 else data.float()
    labels, soft = _split_labels(label, data.shape[0], path)
    meta: dict[str, Any] = {"format": "data.pt", "source": os.fspath(path)}
    meta["dataset"] = _check_dataset_name(obj.get("dataset"), dataset, path, expected)
    if expected is None:
        expected = _dataset_num_classes(meta["dataset"])
    _value_range_note(data, meta, path, "'data'")
    nc = expected if soft is None else None
    return DistilledSet(data, labels, soft, None, "pixel", nc, meta)


_ITER = re.compile(r"^images_(\d+)\.pt$")


def _find_datm_files(folder: Path) -> dict[str, Path] | None:
    for suffix in ("", "_best"):
        img, lab = folder / f"images{suffix}.pt", folder / f"labels{suffix}.pt"
        if img.is_file() and lab.is_file():
            return {"images": img, "labels": lab, "lr": folder / f"lr{suffix}.pt"}
    iters = sorted(
        (int(m.group(1)), p) for p in folder.glob("images_*.pt") if (m := _ITER.match(p.name))
    )
    for it, img in reversed(iters):
        lab = folder / f"labels_{it}.pt"
        if lab.is_file():
            return {"images": img, "labels": lab, "lr": folder / f"lr_{it}.pt"}
    return None


def _read_datm(folder: Path, files: dict[str, Path], dataset, expected: int | None, space: str | None) -> DistilledSet:
    images = _nonempty(_tensor(safe_torch_load(files["images"]), "images.pt", files["images"]), files["images"]).float()
    labels_raw = _tensor(safe_torch_load(files["labels"]), "labels.pt", files["labels"])
    lr = None
    if files["lr"].is_file():
        lr_t = safe_torch_load(files["lr"])
        if isinstance(lr_t, np.ndarray):
            lr_t = torch.from_numpy(lr_t)
        if isinstance(lr_t, torch.Tensor) and lr_t.numel() == 1 and (lr_t.is_floating_point() or not lr_t.dtype.is_complex):
            lr = float(lr_t.reshape(-1)[0])
        elif isinstance(lr_t, (int, float)) and not isinstance(lr_t, bool):
            lr = float(lr_t)
        else:
            what = f"a tensor of shape {tuple(lr_t.shape)}" if isinstance(lr_t, torch.Tensor) else f"a {type(lr_t).__name__}"
            raise DataError(f"{files['lr']}: the learned lr must be one number, but the file holds {what}; "
                            f"re-create it or remove it (then no learned lr is used)")
        if not math.isfinite(lr) or lr <= 0:
            raise (NonFiniteDataError if not math.isfinite(lr) else DataError)(
                f"{files['lr']}: the learned lr is {lr}; it must be a finite number > 0")
    if images.ndim != 4:
        raise DataError(f"{files['images']}: expected [N, C, H, W], got {tuple(images.shape)}")
    n = images.shape[0]
    meta: dict[str, Any] = {
        "format": "datm", "method": "datm", "source": os.fspath(folder),
        "files": {k: os.fspath(v) for k, v in files.items() if v.is_file()},
        "dataset": _dataset_name(dataset), "zca_eps": 0.1,
    }
    if lr is None:
        meta["lr_note"] = f"{files['lr'].name} not found; no learned lr"
    soft = None
    if labels_raw.ndim == 1:
        labels = labels_raw
        meta["hard_labels"] = "stored integer labels"
    elif labels_raw.ndim == 2 and labels_raw.shape[0] == n:
        soft = labels_raw.float()
        c = soft.shape[1]
        argmax = soft.argmax(1)
        if n % c == 0:
            per = n // c
            order = torch.arange(c).repeat_interleave(per)
            agree = float((argmax == order).float().mean())
            meta["argmax_agreement"] = agree
            if agree >= 0.5:
                labels = order
                meta["hard_labels"] = f"row order (rows in class order, {per} per class)"
            else:
                labels = argmax
                meta["hard_labels"] = "argmax of the label logits (rows do not look class-ordered)"
                warnings.warn(
                    f"{folder}: only {agree:.0%} of rows match class order; using argmax hard labels", stacklevel=3
                )
        else:
            labels = argmax
            meta["hard_labels"] = f"argmax of the label logits ({n} rows not divisible by {c} classes)"
            warnings.warn(f"{folder}: {meta['hard_labels']}", stacklevel=3)
    else:
        raise DataError(f"{files['labels']}: labels of shape {tuple(labels_raw.shape)} do not fit {n} images")
    sp = space or "zca"
    if sp == "pixel":
        _value_range_note(images, meta, folder, "images.pt")
    return DistilledSet(images, labels, soft, lr, sp, expected if soft is None else None, meta)


_RES_NAME = re.compile(r"^res_([A-Za-z0-9]+)_([A-Za-z0-9]+)_.*?(\d+)ipc", re.IGNORECASE)


def _read_res(path: Path, obj: dict, dataset, expected: int | None, space: str | None) -> DistilledSet:
    pairs = obj["data"]
    if not isinstance(pairs, (list, tuple)) or not pairs:
        raise DataError(f"{path}: 'data' holds no [images, labels] pairs (the distilled set is empty)")
    last = pairs[-1]
    if not isinstance(last, (list, tuple)) or len(last) < 2:
        raise DataError(f"{path}: the last entry of 'data' is not an [images, labels] pair")
    images = _nonempty(_tensor(last[0], "images", path), path).float()
    label = _tensor(last[1], "labels", path)
    if images.ndim != 4:
        raise DataError(f"{path}: images must be [N, C, H, W], got {tuple(images.shape)}")
    m = _RES_NAME.match(path.name)
    meta: dict[str, Any] = {"format": "res", "source": os.fspath(path), "num_experiments": len(pairs)}
    file_ds = None
    if m:
        meta["method"] = m.group(1).lower()
        file_ds = m.group(2)
        meta["ipc_from_name"] = int(m.group(3))
    name = _check_dataset_name(file_ds, dataset, path, expected)
    meta["dataset"] = name
    if expected is None:
        expected = _dataset_num_classes(name)
    sp = space or "pixel"
    if sp == "pixel":
        if name not in DC_NORMALIZATION:
            raise DataError(
                f"{path}: cannot tell which dataset's mean/std normalised these images "
                f"(got {name!r}); pass dataset= one of {sorted(DC_NORMALIZATION)}"
            )
        mean, std = DC_NORMALIZATION[name]
        if images.shape[1] != len(mean):
            raise DataError(f"{path}: {images.shape[1]}-channel images but {name} has {len(mean)} channels")
        images = images * torch.tensor(std).view(1, -1, 1, 1) + torch.tensor(mean).view(1, -1, 1, 1)
        meta["denormalized_with"] = {"mean": list(mean), "std": list(std)}
        meta["value_range"] = [float(images.min()), float(images.max())]
    labels, soft = _split_labels(label, images.shape[0], path)
    return DistilledSet(images, labels, soft, None, sp, expected if soft is None else None, meta)


def _read_gift(folder: Path, dataset, expected: int | None) -> DistilledSet:
    try:
        info = json.loads((folder / "distilled.json").read_text())
    except (OSError, ValueError) as e:
        raise DataError(f"{folder / 'distilled.json'}: unreadable ({e})") from None
    if info.get("format") != GIFT_FORMAT:
        raise DataError(f"{folder / 'distilled.json'}: not a {GIFT_FORMAT} file")
    if int(info.get("version", 0)) > GIFT_FORMAT_VERSION:
        raise DataError(f"{folder}: format version {info.get('version')} is newer than this library supports")
    n = int(info["num_images"])
    if (folder / "images.pt").is_file():
        images = _tensor(safe_torch_load(folder / "images.pt"), "images.pt", folder).float()
        labels = _tensor(safe_torch_load(folder / "labels.pt"), "labels.pt", folder)
    else:
        rows: list[int] = []
        labs: list[int] = []
        files: list[str] = []
        found = class_folders(folder)
        reserved = reserved_dirs(folder, found)
        for cf in found:
            if not cf.isdigit():
                raise DataError(f"{folder}: unexpected sub-folder {cf!r} in a {GIFT_FORMAT} folder")
            for f in list_images(folder / cf, reserved=reserved):
                stem = Path(f).stem
                if not stem.isdigit():
                    raise DataError(f"{f}: file names in a {GIFT_FORMAT} folder must be row numbers")
                rows.append(int(stem))
                labs.append(int(cf))
                files.append(f)
        if sorted(rows) != list(range(n)):
            raise DataError(f"{folder}: expected image rows 0..{n - 1}, found {len(rows)} files (missing or extra images)")
        order = np.argsort(rows)
        files = [files[i] for i in order]
        labels = torch.tensor([labs[i] for i in order], dtype=torch.int64)
        u8, _, _ = decode_images(files, None, show_progress=n >= 5000, desc="reading distilled images")
        images = u8.float().div_(255.0)
    soft = safe_torch_load(folder / "soft_labels.pt") if (folder / "soft_labels.pt").is_file() else None
    meta = dict(info.get("meta") or {})
    for k in ("method", "dataset", "ipc", "seed", "teacher", "config", "version", "image_size"):
        if k in info:
            meta[k] = info[k]
    meta.update({"format": "gift", "source": os.fspath(folder)})
    meta["dataset"] = _check_dataset_name(info.get("dataset"), dataset, folder, expected)
    nc = int(info["num_classes"])
    if expected is not None and nc != expected:
        raise DataError(f"{folder}: the distilled set has {nc} classes but {expected} were expected")
    return DistilledSet(images, labels, soft, info.get("lr"), info.get("space", "pixel"), nc, meta)


def _unknown(path: Path, why: str) -> DataError:
    listing = "\n".join(f"  - {k}: {v}" for k, v in FORMATS.items())
    return DataError(f"{path}: unrecognised distilled-set format ({why}). Recognised formats:\n{listing}")


def _from_pt(path: Path, dataset, expected: int | None, space: str | None) -> DistilledSet:
    if _ITER.match(path.name) or path.name in ("images.pt", "images_best.pt"):
        files = _find_datm_files(path.parent)
        if files is not None:
            return _read_datm(path.parent, files, dataset, expected, space)
    obj = safe_torch_load(path)
    if isinstance(obj, dict):
        if "data" in obj and "label" in obj:
            ds = _read_data_pt(path, obj, dataset, expected)
            if space:
                ds.space = space
            return ds
        if "data" in obj and isinstance(obj["data"], (list, tuple)):
            return _read_res(path, obj, dataset, expected, space)
        raise _unknown(path, f"a dict with keys {sorted(map(str, obj))[:10]}")
    raise _unknown(path, f"a {type(obj).__name__}")


def load_distilled(
    path: str | os.PathLike,
    dataset: str | ImageDataset | None = None,
    num_classes: int | None = None,
    *,
    space: str | None = None,
    allow_partial: bool = False,
) -> DistilledSet:
    """Read a distilled set in any of the formats of :data:`FORMATS` (see the module docstring).

    ``dataset`` (a name or an :class:`ImageDataset`) names the real dataset: used to map
    class-named folders to indices, to undo DC-style normalisation, and to check the class count.
    ``num_classes`` checks the class count too. ``space`` overrides the image space a format
    implies ("zca" for DATM, "pixel" otherwise).

    A set with no images for some of its classes (missing or empty class folders, labels covering
    only some classes) raises :class:`IncompleteSetError`, since it would otherwise be scored as a
    complete set; ``allow_partial=True`` accepts it (the missing classes are recorded in
    ``meta["missing_classes"]``). Pixels, label logits or a learned lr that are NaN/infinite raise
    :class:`NonFiniteDataError`. Every error names the file."""
    path = Path(path).expanduser()
    if space is not None and space not in SPACES:
        raise DataError(f"space must be one of {SPACES}, got {space!r}")
    if not path.exists():
        raise DataNotFoundError(f"distilled set {path} does not exist")
    expected = _expected_classes(dataset, num_classes)
    try:
        ds = _read_any(path, dataset, num_classes, expected, space)
    except DataError as e:
        if os.fspath(path) in str(e) or path.name in str(e):
            raise
        raise type(e)(f"{path}: {e}") from None
    except (KeyError, TypeError, IndexError, AttributeError, ValueError, RuntimeError) as e:
        raise DataError(
            f"{path}: not a readable distilled set ({type(e).__name__}: {e}); the file's contents do "
            f"not fit its format (see gift.data.FORMATS)"
        ) from None
    return _finish(ds, expected, path, allow_partial)


def _read_any(path: Path, dataset, num_classes: int | None, expected: int | None, space: str | None) -> DistilledSet:
    if path.is_file():
        if path.name == "distilled.json":
            return _read_gift(path.parent, dataset, expected)
        if path.suffix.lower() in (".pt", ".pth", ".tar", ".pkl", ".pickle", ".bin"):
            return _from_pt(path, dataset, expected, space)
        raise _unknown(path, "a file that is not a .pt tensor file")
    if (path / "distilled.json").is_file():
        return _read_gift(path, dataset, expected)
    if (files := _find_datm_files(path)) is not None:
        return _read_datm(path, files, dataset, expected, space)
    if (path / "data.pt").is_file():
        return _from_pt(path / "data.pt", dataset, expected, space)
    if len(res := sorted(path.glob("res_*.pt"))) == 1:
        return _from_pt(res[0], dataset, expected, space)
    if class_folders(path):
        ds = _read_image_folder(path, dataset, num_classes, expected)
        if space:
            ds.space = space
        return ds
    entries = sorted(p.name for p in path.iterdir())[:10]
    raise _unknown(path, f"a folder containing {entries}" if entries else "an empty folder")


# --------------------------------------------------------------------------------------------------
# Writer


def _jsonable(obj: Any) -> Any:
    try:
        return json.loads(json.dumps(obj, default=str))
    except (TypeError, ValueError):
        return str(obj)


def save_distilled(
    directory: str | os.PathLike,
    distilled: DistilledSet,
    *,
    method: str | None = None,
    dataset: str | None = None,
    ipc: int | None = None,
    seed: int | None = None,
    teacher: str | None = None,
    config: dict | None = None,
    overwrite: bool = False,
    exact: bool = False,
) -> Path:
    """Write ``distilled`` in our own format (read back by :func:`load_distilled`).

    Pixel-space images become lossless 8-bit PNGs ``<class:05d>/<row:06d>.png`` (values clipped to
    [0, 1] — with a warning if any were outside — and rounded to 1/255); ``exact=True`` also stores
    the float32 tensor (``images.pt``/``labels.pt``), which is then what gets loaded. ZCA-space sets
    cannot be PNGs and are always stored as tensors. ``distilled.json`` holds method, dataset,
    ipc, seed, teacher, config, lr, space, version; ``soft_labels.pt`` the soft labels. The folder
    is written under a temporary name and renamed into place (atomic); an existing ``directory``
    is replaced only with ``overwrite=True``."""
    directory = Path(directory).expanduser()
    if directory.exists() and not overwrite:
        raise FileExistsError(f"{directory} exists; pass overwrite=True to replace it")
    directory.parent.mkdir(parents=True, exist_ok=True)
    tmp = directory.parent / f".{directory.name}.tmp-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    meta = dict(distilled.meta)
    try:
        images = distilled.images.detach().cpu()
        labels = distilled.labels.detach().cpu()
        store_tensor = exact or distilled.space == "zca"
        if distilled.space == "pixel":
            lo, hi = float(images.min()), float(images.max())
            if lo < -1e-6 or hi > 1 + 1e-6:
                meta["clipped_range"] = [lo, hi]
                warnings.warn(
                    f"save_distilled: pixel values in [{lo:.3g}, {hi:.3g}] were clipped to [0, 1] in the PNGs"
                    + ("" if store_tensor else " (pass exact=True to keep the float tensor)"),
                    stacklevel=2,
                )
            u8 = images.clamp(0, 1).mul(255).round_().to(torch.uint8).permute(0, 2, 3, 1).numpy()
            for i in range(len(distilled)):
                c = int(labels[i])
                (tmp / f"{c:05d}").mkdir(exist_ok=True)
                arr = u8[i]
                img = Image.fromarray(arr[:, :, 0], "L") if arr.shape[2] == 1 else Image.fromarray(arr, "RGB")
                img.save(tmp / f"{c:05d}" / f"{i:06d}.png", format="PNG")
        if store_tensor:
            torch.save(images.contiguous(), tmp / "images.pt")
            torch.save(labels.contiguous(), tmp / "labels.pt")
        if distilled.soft_labels is not None:
            torch.save(distilled.soft_labels.detach().cpu().contiguous(), tmp / "soft_labels.pt")
        from ..version import __version__ as lib_version

        info = {
            "format": GIFT_FORMAT, "version": GIFT_FORMAT_VERSION, "library_version": lib_version,
            "method": method if method is not None else meta.get("method"),
            "dataset": dataset if dataset is not None else meta.get("dataset"),
            "ipc": ipc if ipc is not None else (meta.get("ipc") or distilled.ipc),
            "seed": seed if seed is not None else meta.get("seed"),
            "teacher": teacher if teacher is not None else meta.get("teacher"),
            "config": _jsonable(config if config is not None else meta.get("config")),
            "num_images": len(distilled), "num_classes": distilled.num_classes, "space": distilled.space,
            "lr": distilled.lr, "image_size": list(images.shape[1:]),
            "images": "images.pt" if store_tensor else "png",
            "soft_labels": "soft_labels.pt" if distilled.soft_labels is not None else None,
            "meta": _jsonable({k: v for k, v in meta.items() if k not in ("config",)}),
        }
        (tmp / "distilled.json").write_text(json.dumps(info, indent=2, sort_keys=True) + "\n")
        old = None
        if directory.exists():
            old = directory.parent / f".{directory.name}.old-{uuid.uuid4().hex[:8]}"
            os.replace(directory, old)
        os.replace(tmp, directory)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return directory
