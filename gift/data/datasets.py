"""Real (undistilled) datasets as in-memory uint8 tensors.

``load_dataset(name, split)`` returns an :class:`ImageDataset` whose ``images`` are uint8
``[N, 3, S, S]`` tensors, decoded once and cached (see :mod:`gift.data.paths` for the cache folder).

Datasets, default ``image_size`` (GIFT's ConvNet input sizes) and how images are
brought to that size (the authors' test transforms):

============== ======= ==================================================================
name           default resize rule
============== ======= ==================================================================
cifar10        32      native 32×32; other sizes: direct bilinear resize (antialiased)
cifar100       32      as cifar10
tinyimagenet   64      native 64×64; other sizes: direct resize
imagenet-1k    64      shorter side → int(S·8/7), centre crop S  (64: 73→64, 224: 256→224)
imagenette     128     as imagenet-1k (128: 146→128)
imagewoof      128     as imagenet-1k
imagenet-10    128     as imagenet-1k
imagenet-100   128     as imagenet-1k
digits         32      scikit-learn 8×8 digits, bilinear upsampling to S (always offline)
============== ======= ==================================================================

For ConvNets on ImageNet subsets GIFT uses 128; pass ``image_size=224`` for ResNets (256→224).

Normalisation constants (``ImageDataset.mean/std``): cifar10/cifar100 use
(0.4914, 0.4822, 0.4465)/(0.2023, 0.1994, 0.2010) — GIFT uses the CIFAR-10 numbers for CIFAR-100
too; every ImageNet-derived set (incl. tinyimagenet) uses the ImageNet statistics; ``digits`` uses
its own train-split statistics (:data:`DIGITS_MEAN`, :data:`DIGITS_STD`, identical for the three
replicated channels).

Layouts looked for under each data root ``R`` (first match wins; the error for missing data lists
every candidate):

* cifar10: ``R/cifar-10-batches-py``, ``R/cifar10/cifar-10-batches-py`` (torchvision's pickles,
  read with a restricted unpickler), or ImageFolders ``R/cifar10/{train,test}/<class>/*``,
  ``R/cifar10-jpg/{train,test}/<class>/*``. cifar100 likewise with ``cifar-100-python``,
  ``cifar100``, ``cifar100-jpg``.
* tinyimagenet: ``R/tiny-imagenet-200`` (also ``R/tinyimagenet/tiny-imagenet-200``,
  ``R/tinyimagenet``, ``R/tiny-imagenet``) in the standard layout (``train/<wnid>/images/*``,
  ``val/images`` + ``val/val_annotations.txt``, ``wnids.txt``, optional ``words.txt``), or an
  ImageFolder ``train/<class>``, ``val/<class>``. Split ``"test"`` is the official val set.
* imagenet-1k (``R/imagenet-1k``, ``R/imagenet``, ``R/ILSVRC2012``) and the subsets
  (``R/imagenette[2[-320|-160]]``, ``R/imagewoof[2...]``, ``R/imagenet-10``, ``R/imagenet-100``):
  ImageFolders ``train/<class>`` and ``val/<class>`` (``test/`` accepted too). The folders define
  the classes (sorted names, e.g. WordNet ids or RDED's ``00000``...).

Splits are ``"train"`` and ``"test"``; ``"val"``/``"validation"`` mean ``"test"``.
"""
from __future__ import annotations

import hashlib
import json
import os
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from ..registry import Registry
from ..utils import atomic_torch_save
from .download import (IMAGENET_HOW_TO_GET, TINY_IMAGENET_MD5, TINY_IMAGENET_URL, check_tiny_imagenet,
                       download_policy, how_to_enable)
from .errors import DataError, DataNotFoundError, IncompleteSetError
from .imagefolder import (
    class_folders,
    decode_images,
    file_fingerprint,
    folder_fingerprint,
    list_images,
    reserved_dirs,
    scan_image_folder,
)
from .paths import ENV_DATA_ROOT, cache_dir, data_roots
from .safe_load import restricted_pickle_load

CACHE_VERSION = 1

CIFAR_MEAN = (0.4914, 0.4822, 0.4465)
CIFAR_STD = (0.2023, 0.1994, 0.2010)
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
# Statistics of the digits train split after scaling to [0, 1] and bilinear upsampling to 32×32
# (checked by the tests); the same value for all three (replicated) channels.
DIGITS_MEAN = (0.3060, 0.3060, 0.3060)
DIGITS_STD = (0.3238, 0.3238, 0.3238)

CIFAR10_CLASSES = [
    "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck",
]
CIFAR100_CLASSES = (
    "apple aquarium_fish baby bear beaver bed bee beetle bicycle bottle bowl boy bridge bus butterfly "
    "camel can castle caterpillar cattle chair chimpanzee clock cloud cockroach couch crab crocodile "
    "cup dinosaur dolphin elephant flatfish forest fox girl hamster house kangaroo keyboard lamp "
    "lawn_mower leopard lion lizard lobster man maple_tree motorcycle mountain mouse mushroom oak_tree "
    "orange orchid otter palm_tree pear pickup_truck pine_tree plain plate poppy porcupine possum "
    "rabbit raccoon ray road rocket rose sea seal shark shrew skunk skyscraper snail snake spider "
    "squirrel streetcar sunflower sweet_pepper table tank telephone television tiger tractor train "
    "trout tulip turtle wardrobe whale willow_tree wolf woman worm"
).split()
DIGITS_CLASSES = [str(i) for i in range(10)]
KNOWN_CLASSES: dict[str, list[str]] = {
    "cifar10": CIFAR10_CLASSES,
    "cifar100": CIFAR100_CLASSES,
    "digits": DIGITS_CLASSES,
}

SPLIT_ALIASES = {"train": "train", "test": "test", "val": "test", "valid": "test", "validation": "test"}


def canonical_split(split: str) -> str:
    try:
        return SPLIT_ALIASES[str(split).lower()]
    except KeyError:
        raise DataError(f"unknown split {split!r}; use 'train' or 'test' (aliases: val, validation)") from None


def normalization(name: str) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """(mean, std) used to normalise ``name``'s images (the authors' ``load_normalize``)."""
    n = name.lower()
    if n in DATASETS:
        loader = DATASETS.get(n)
        return loader.mean, loader.std
    if "imagenet" in n or "imagewoof" in n:
        return IMAGENET_MEAN, IMAGENET_STD
    if n.startswith("cifar"):
        return CIFAR_MEAN, CIFAR_STD
    raise DataError(f"no normalisation constants for dataset {name!r}; known: {', '.join(DATASETS.names())}")


def default_test_resize(image_size: int) -> int:
    """GIFT's test-time resize for ImageNet-type data: int(S·8/7) (64→73, 128→146, 224→256)."""
    return int(image_size * 8 / 7)


# --------------------------------------------------------------------------------------------------
# ImageDataset


@dataclass
class ImageDataset:
    """A labelled image set held in memory.

    ``images``: uint8 [N, 3, H, W]; ``labels``: int64 [N] in ``[0, len(classes))``; ``classes``: class
    identifiers in index order (folder names / WordNet ids / CIFAR names); ``class_names``:
    human-readable names (defaults to ``classes``); ``mean``/``std``: normalisation constants for
    images scaled to [0, 1]; ``meta``: provenance (source path, cache file, ...)."""

    images: torch.Tensor
    labels: torch.Tensor
    classes: list[str]
    name: str
    split: str
    mean: tuple[float, ...] | None = None
    std: tuple[float, ...] | None = None
    class_names: list[str] | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.images, torch.Tensor) or self.images.dtype != torch.uint8 or self.images.ndim != 4:
            raise DataError(
                f"ImageDataset.images must be a uint8 tensor [N, 3, H, W], got "
                f"{getattr(self.images, 'dtype', type(self.images))} {tuple(getattr(self.images, 'shape', ()))}"
            )
        self.labels = torch.as_tensor(self.labels, dtype=torch.int64)
        if self.labels.ndim != 1 or self.labels.shape[0] != self.images.shape[0]:
            raise DataError(f"labels shape {tuple(self.labels.shape)} does not match {self.images.shape[0]} images")
        if self.images.shape[0] == 0:
            raise DataError(f"dataset {self.name}/{self.split} is empty")
        self.classes = [str(c) for c in self.classes]
        if not self.classes:
            raise DataError(f"dataset {self.name}/{self.split} has no classes")
        lo, hi = int(self.labels.min()), int(self.labels.max())
        if lo < 0 or hi >= len(self.classes):
            raise DataError(f"labels range [{lo}, {hi}] outside [0, {len(self.classes) - 1}]")
        if self.mean is None or self.std is None:
            try:
                mean, std = normalization(self.name)
            except DataError:
                raise DataError(
                    f"no built-in normalisation constants for dataset {self.name!r}: pass mean=... and std=..."
                ) from None
            self.mean = self.mean or mean
            self.std = self.std or std
        self.mean = tuple(float(m) for m in self.mean)
        self.std = tuple(float(s) for s in self.std)
        if self.class_names is None:
            self.class_names = list(self.classes)

    def __len__(self) -> int:
        return int(self.images.shape[0])

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        return self.images[i], int(self.labels[i])

    def __repr__(self) -> str:
        return (
            f"ImageDataset(name={self.name!r}, split={self.split!r}, n={len(self)}, "
            f"classes={self.num_classes}, image_size={self.image_size})"
        )

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    @property
    def image_size(self) -> int | tuple[int, int]:
        """Side length S for square images, else (H, W)."""
        h, w = int(self.images.shape[2]), int(self.images.shape[3])
        return h if h == w else (h, w)

    def class_counts(self) -> torch.Tensor:
        return torch.bincount(self.labels, minlength=self.num_classes)

    def indices_per_class(self) -> list[torch.Tensor]:
        """For each class, the (sorted) indices of its images."""
        order = torch.argsort(self.labels, stable=True)
        return list(torch.split(order, self.class_counts().tolist()))

    def subset(self, indices: torch.Tensor | Sequence[int]) -> "ImageDataset":
        idx = torch.as_tensor(indices, dtype=torch.long)
        return ImageDataset(
            self.images[idx], self.labels[idx], list(self.classes), self.name, self.split,
            self.mean, self.std, list(self.class_names or []), dict(self.meta, subset_of=len(self)),
        )

    def float01(self) -> torch.Tensor:
        """Images as float32 in [0, 1]."""
        return self.images.float().div_(255.0)


# --------------------------------------------------------------------------------------------------
# Loaders


@dataclass
class Source:
    kind: str  # "cifar-pickle", "imagefolder", "tiny-standard"
    path: Path  # the dataset folder (the split folder for "imagefolder")


def _resize_uint8(images: torch.Tensor, size: int, chunk: int = 4096) -> torch.Tensor:
    """Bilinear (antialiased when shrinking) resize of uint8 [N,C,h,w] to [N,C,size,size]."""
    if images.shape[-2:] == (size, size):
        return images
    out = torch.empty(images.shape[:2] + (size, size), dtype=torch.uint8)
    for s in range(0, images.shape[0], chunk):
        x = images[s : s + chunk].float()
        y = F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False, antialias=True)
        out[s : s + chunk] = y.round_().clamp_(0, 255).to(torch.uint8)
    return out


class DatasetLoader:
    """Base class: locate the data under the roots, fingerprint it, decode it."""

    name: str = ""
    mean: tuple[float, ...] = IMAGENET_MEAN
    std: tuple[float, ...] = IMAGENET_STD
    default_image_size: int = 32
    native_size: int | None = None  # square size of the stored images; None = resize rule
    num_classes: int | None = None
    # a copy with another number of classes is refused (the class list is fixed, e.g. CIFAR's);
    # ImageNet-style folders may be deliberate subsets and are taken as found
    complete_classes: bool = False
    threads: int = 0  # decode threads by default
    how_to_get: str = ""
    downloadable: bool = False  # has a verified download (cifar10, cifar100, tinyimagenet)

    # ---- location
    def candidates(self, root: Path, split: str) -> list[tuple[str, Path]]:
        raise NotImplementedError

    def check(self, kind: str, path: Path, split: str) -> Source | None:
        """Return a Source if ``path`` holds ``split`` in layout ``kind``."""
        if kind == "imagefolder":
            return Source(kind, path) if path.is_dir() and class_folders(path) else None
        raise NotImplementedError(kind)

    def locate(self, roots: Sequence[Path], split: str) -> tuple[Source | None, list[Path]]:
        looked: list[Path] = []
        for root in roots:
            for kind, path in self.candidates(root, split):
                looked.append(path)
                try:
                    src = self.check(kind, path, split)
                except OSError:
                    src = None
                if src is not None:
                    return src, looked
        return None, looked

    def not_found(self, split: str, looked: Sequence[Path], root_given: bool,
                  how_to_get: str | None = None) -> DataNotFoundError:
        """The error naming every path looked in and how to get the data; ``how_to_get`` replaces
        the loader's own advice (e.g. with why downloading is off and how to turn it on, so the
        message does not give the download advice twice)."""
        lines = "\n".join(f"  - {p}" for p in dict.fromkeys(looked))
        how = [
            f"Put the data under one of these paths, pass root=... to load_dataset, or set "
            f"${ENV_DATA_ROOT} to the folder that contains it."
        ]
        how_to_get = self.how_to_get if how_to_get is None else how_to_get
        if how_to_get:
            how.append(how_to_get)
        return DataNotFoundError(
            f"dataset {self.name!r} (split {split!r}) not found. Looked in:\n{lines}\n" + " ".join(how)
        )

    # ---- decoding
    def resize_rule(self, image_size: int) -> int:
        """Shorter-side resize before the centre crop to ``image_size``."""
        if self.native_size is not None:
            return image_size
        return default_test_resize(image_size)

    def fingerprint(self, src: Source, split: str) -> Any:
        return folder_fingerprint(src.path)

    def read_classes(self, src: Source) -> tuple[list[str], list[str]]:
        classes = class_folders(src.path)
        return classes, self.display_names(classes)

    def display_names(self, classes: list[str]) -> list[str]:
        known = KNOWN_CLASSES.get(self.name)
        if known and all(c.isdigit() for c in classes) and all(int(c) < len(known) for c in classes):
            return [known[int(c)] for c in classes]  # RDED-style 00000... folders
        return list(classes)

    def read(self, src: Source, split: str, image_size: int, **kw) -> dict[str, Any]:
        scan = scan_image_folder(src.path)
        return self._decode_scan(scan.files, scan.labels, scan.classes, image_size, **kw)

    def _decode_scan(self, files, labels, classes, image_size, *, skip_corrupt, num_workers, show_progress, desc):
        images, kept, skipped = decode_images(
            files, image_size, self.resize_rule(image_size), skip_corrupt=skip_corrupt,
            num_workers=num_workers, show_progress=show_progress, desc=desc,
        )
        lab = torch.as_tensor(labels, dtype=torch.int64)
        if skipped:
            lab = lab[torch.as_tensor(kept, dtype=torch.long)]
        return {
            "images": images, "labels": lab, "classes": list(classes),
            "class_names": self.display_names(list(classes)), "skipped": skipped,
        }

    def download(self, root: Path, split: str) -> None:
        raise DataError(
            f"dataset {self.name!r} cannot be downloaded automatically. {self.how_to_get}".strip()
        )


DATASETS: Registry[DatasetLoader] = Registry("dataset")


def list_datasets() -> list[str]:
    """Names accepted by :func:`load_dataset`."""
    return DATASETS.names()


class _Cifar(DatasetLoader):
    mean, std = CIFAR_MEAN, CIFAR_STD
    complete_classes = True
    default_image_size = 32
    native_size = 32

    def __init__(self, name: str, pickle_dir: str, tv_class: str, num_classes: int):
        self.name = name
        self.pickle_dir = pickle_dir
        self.tv_class = tv_class
        self.num_classes = num_classes
        self.how_to_get = (
            f"To download the original files (~170 MB) call load_dataset({name!r}, ..., download=True) "
            f"or add --download to the gift command (uses torchvision's download helper; needs internet)."
        )

    def candidates(self, root: Path, split: str) -> list[tuple[str, Path]]:
        d = "train" if split == "train" else "test"
        return [
            ("cifar-pickle", root / self.pickle_dir),
            ("cifar-pickle", root / self.name / self.pickle_dir),
            ("imagefolder", root / self.name / d),
            ("imagefolder", root / f"{self.name}-jpg" / d),
        ]

    def _files(self, split: str) -> tuple[list[str], str, str, str]:
        if self.name == "cifar10":
            files = [f"data_batch_{i}" for i in range(1, 6)] if split == "train" else ["test_batch"]
            return files, "batches.meta", "label_names", "labels"
        return (["train"] if split == "train" else ["test"]), "meta", "fine_label_names", "fine_labels"

    def check(self, kind: str, path: Path, split: str) -> Source | None:
        if kind == "cifar-pickle":
            files, meta, _, _ = self._files(split)
            ok = path.is_dir() and all((path / f).is_file() for f in files + [meta])
            return Source(kind, path) if ok else None
        return super().check(kind, path, split)

    def fingerprint(self, src: Source, split: str) -> Any:
        if src.kind == "cifar-pickle":
            files, meta, _, _ = self._files(split)
            return [file_fingerprint(src.path / f) for f in files + [meta]]
        return super().fingerprint(src, split)

    @staticmethod
    def _get(d: dict, key: str) -> Any:
        if key in d:
            return d[key]
        if key.encode() in d:
            return d[key.encode()]
        raise DataError(f"missing key {key!r} (keys: {list(d)[:8]})")

    def _meta_classes(self, path: Path) -> list[str]:
        _, meta, key, _ = self._files("train")
        m = restricted_pickle_load(path / meta)
        try:
            names = self._get(m, key)
        except DataError as e:
            raise DataError(f"{path / meta}: {e}") from None
        return [n.decode() if isinstance(n, bytes) else str(n) for n in names]

    def read_classes(self, src: Source) -> tuple[list[str], list[str]]:
        if src.kind == "cifar-pickle":
            c = self._meta_classes(src.path)
            return c, list(c)
        return super().read_classes(src)

    def read(self, src: Source, split: str, image_size: int, **kw) -> dict[str, Any]:
        if src.kind != "cifar-pickle":
            return super().read(src, split, image_size, **kw)
        files, _, _, label_key = self._files(split)
        datas, labels = [], []
        for f in files:
            d = restricted_pickle_load(src.path / f)
            if not isinstance(d, dict):
                raise DataError(f"{src.path / f}: expected a dict, got {type(d).__name__}")
            try:
                data = np.asarray(self._get(d, "data"), dtype=np.uint8)
                lab = np.asarray(self._get(d, label_key), dtype=np.int64)
            except DataError as e:
                raise DataError(f"{src.path / f}: {e}") from None
            if data.ndim != 2 or data.shape[1] != 3 * 32 * 32 or data.shape[0] != lab.shape[0]:
                raise DataError(f"{src.path / f}: unexpected data shape {data.shape} / labels {lab.shape}")
            datas.append(data)
            labels.append(lab)
        images = torch.from_numpy(np.concatenate(datas).reshape(-1, 3, 32, 32).copy())
        if images.shape[0] == 0:
            raise DataError(f"{src.path}: the {split} split is empty")
        images = _resize_uint8(images, image_size)
        classes = self._meta_classes(src.path)
        return {
            "images": images, "labels": torch.from_numpy(np.concatenate(labels)), "classes": classes,
            "class_names": list(classes), "skipped": [],
        }

    downloadable = True

    def download(self, root: Path, split: str) -> None:
        import torchvision.datasets as tvd
        from torchvision.datasets.utils import download_and_extract_archive

        cls = getattr(tvd, self.tv_class)
        # Only torchvision's download helper (checksummed); the files are then read by our
        # restricted unpickler, never by torchvision's plain pickle.load.
        download_and_extract_archive(cls.url, os.fspath(root), filename=cls.filename, md5=cls.tgz_md5)


class _TinyImageNet(DatasetLoader):
    name = "tinyimagenet"
    default_image_size = 64
    native_size = 64
    num_classes = 200
    URL = TINY_IMAGENET_URL
    how_to_get = (
        "Get tiny-imagenet-200.zip (http://cs231n.stanford.edu/tiny-imagenet-200.zip) and unzip it "
        "into the data root, or call load_dataset('tinyimagenet', ..., download=True) (gift commands: --download)."
    )

    def candidates(self, root: Path, split: str) -> list[tuple[str, Path]]:
        out = []
        for d in (root / "tiny-imagenet-200", root / "tinyimagenet" / "tiny-imagenet-200", root / "tinyimagenet", root / "tiny-imagenet"):
            out.append(("tiny-standard", d))
            for s in (["train"] if split == "train" else ["val", "test"]):
                out.append(("imagefolder", d / s))
        return out

    def check(self, kind: str, path: Path, split: str) -> Source | None:
        if kind == "tiny-standard":
            if split == "train":
                ok = (path / "train").is_dir() and ((path / "wnids.txt").is_file() or (path / "val" / "val_annotations.txt").is_file())
            else:
                ok = (path / "val" / "val_annotations.txt").is_file() and (path / "val" / "images").is_dir()
            return Source(kind, path) if ok else None
        return super().check(kind, path, split)

    def fingerprint(self, src: Source, split: str) -> Any:
        if src.kind == "tiny-standard":
            sub = src.path / ("train" if split == "train" else "val")
            extra = [file_fingerprint(p) for p in (src.path / "wnids.txt", src.path / "val" / "val_annotations.txt") if p.is_file()]
            return [folder_fingerprint(sub), extra]
        return super().fingerprint(src, split)

    def _wnids(self, path: Path) -> list[str]:
        f = path / "wnids.txt"
        if f.is_file():
            wnids = sorted({ln.strip() for ln in f.read_text().splitlines() if ln.strip()})
        else:
            wnids = class_folders(path / "train")
        if not wnids:
            raise DataError(f"{path}: no classes found (empty wnids.txt and train/)")
        return wnids

    def _words(self, path: Path, wnids: list[str]) -> list[str]:
        f = path / "words.txt"
        if not f.is_file():
            return list(wnids)
        words = {}
        for ln in f.read_text(errors="replace").splitlines():
            parts = ln.split("\t", 1)
            if len(parts) == 2:
                words[parts[0].strip()] = parts[1].split(",")[0].strip()
        return [words.get(w, w) for w in wnids]

    def read_classes(self, src: Source) -> tuple[list[str], list[str]]:
        if src.kind == "tiny-standard":
            w = self._wnids(src.path)
            return w, self._words(src.path, w)
        return super().read_classes(src)

    def read(self, src: Source, split: str, image_size: int, **kw) -> dict[str, Any]:
        if src.kind != "tiny-standard":
            return super().read(src, split, image_size, **kw)
        wnids = self._wnids(src.path)
        index = {w: i for i, w in enumerate(wnids)}
        files: list[str] = []
        labels: list[int] = []
        if split == "train":
            found = class_folders(src.path / "train")
            reserved = reserved_dirs(src.path / "train", found)
            for w in found:
                if w not in index:
                    raise DataError(f"{src.path / 'train' / w}: class folder not listed in wnids.txt")
                imgs = list_images(src.path / "train" / w, reserved=reserved)
                files += imgs
                labels += [index[w]] * len(imgs)
        else:
            ann = src.path / "val" / "val_annotations.txt"
            for n, ln in enumerate(ann.read_text().splitlines(), 1):
                parts = ln.split("\t")
                if len(parts) < 2 or not parts[0].strip():
                    continue
                fname, w = parts[0].strip(), parts[1].strip()
                if w not in index:
                    raise DataError(f"{ann}:{n}: unknown class {w!r}")
                files.append(os.fspath(src.path / "val" / "images" / fname))
                labels.append(index[w])
        if not files:
            raise DataError(f"{src.path}: the {split} split is empty")
        out = self._decode_scan(files, labels, wnids, image_size, **kw)
        out["class_names"] = self._words(src.path, wnids)
        return out

    downloadable = True

    def download(self, root: Path, split: str) -> None:
        from torchvision.datasets.utils import download_and_extract_archive

        # the official archive, checked against its MD5 before extraction and by structure and file
        # count after (gift.data.download)
        download_and_extract_archive(self.URL, os.fspath(root), filename="tiny-imagenet-200.zip",
                                     md5=TINY_IMAGENET_MD5)
        check_tiny_imagenet(root / "tiny-imagenet-200")


class _ImageNetFolder(DatasetLoader):
    mean, std = IMAGENET_MEAN, IMAGENET_STD
    native_size = None
    threads = min(8, os.cpu_count() or 1)

    def __init__(self, name: str, folders: Sequence[str], default_image_size: int, num_classes: int | None):
        self.name = name
        self.folders = list(folders)
        self.default_image_size = default_image_size
        self.num_classes = num_classes
        self.how_to_get = IMAGENET_HOW_TO_GET if name == "imagenet-1k" else (
            f"{name} is not downloaded automatically: place an ImageFolder with train/<class>/ and "
            f"val/<class>/ sub-folders (one folder per class) at <data root>/{self.folders[0]}."
        )

    def candidates(self, root: Path, split: str) -> list[tuple[str, Path]]:
        subs = ["train"] if split == "train" else ["val", "test"]
        return [("imagefolder", root / f / s) for f in self.folders for s in subs]


class _Digits(DatasetLoader):
    """scikit-learn's bundled 8×8 handwritten digits (1,797 images), always offline.

    Values 0..16 → ×255/16 → uint8, bilinear upsampling (align_corners=False) to ``image_size``,
    replicated to 3 channels. Split: per class, a fixed permutation (seed 0); the first
    ``round(n_c / 3)`` go to "test", the rest to "train" (1,198 train / 599 test)."""

    name = "digits"
    mean, std = DIGITS_MEAN, DIGITS_STD
    default_image_size = 32
    native_size = 8
    num_classes = 10
    SEED = 0

    def load(self, split: str, image_size: int) -> ImageDataset:
        from sklearn.datasets import load_digits

        d = load_digits()
        x = torch.from_numpy(np.asarray(d.images, dtype=np.float32))  # [N, 8, 8], 0..16
        y = torch.from_numpy(np.asarray(d.target, dtype=np.int64))
        g = torch.Generator().manual_seed(self.SEED)
        test_idx, train_idx = [], []
        for c in range(10):
            idx = torch.nonzero(y == c).flatten()
            idx = idx[torch.randperm(len(idx), generator=g)]
            k = int(round(len(idx) / 3))
            test_idx.append(idx[:k])
            train_idx.append(idx[k:])
        sel = torch.sort(torch.cat(train_idx if split == "train" else test_idx)).values
        x = x[sel].unsqueeze(1) * (255.0 / 16.0)
        if image_size != 8:
            x = F.interpolate(x, size=(image_size, image_size), mode="bilinear", align_corners=False)
        images = x.round().clamp(0, 255).to(torch.uint8).expand(-1, 3, -1, -1).contiguous()
        return ImageDataset(
            images, y[sel], list(DIGITS_CLASSES), "digits", split, DIGITS_MEAN, DIGITS_STD,
            meta={"source": "sklearn.datasets.load_digits", "image_size": image_size, "split_seed": self.SEED},
        )


DATASETS.register("cifar10")(_Cifar("cifar10", "cifar-10-batches-py", "CIFAR10", 10))
DATASETS.register("cifar100")(_Cifar("cifar100", "cifar-100-python", "CIFAR100", 100))
DATASETS.register("tinyimagenet")(_TinyImageNet())
DATASETS.register("imagenet-1k")(_ImageNetFolder("imagenet-1k", ["imagenet-1k", "imagenet1k", "imagenet", "ILSVRC2012"], 64, 1000))
DATASETS.register("imagenette")(_ImageNetFolder("imagenette", ["imagenette", "imagenette2", "imagenette2-320", "imagenette2-160"], 128, 10))
DATASETS.register("imagewoof")(_ImageNetFolder("imagewoof", ["imagewoof", "imagewoof2", "imagewoof2-320", "imagewoof2-160"], 128, 10))
DATASETS.register("imagenet-10")(_ImageNetFolder("imagenet-10", ["imagenet-10", "imagenet10"], 128, 10))
DATASETS.register("imagenet-100")(_ImageNetFolder("imagenet-100", ["imagenet-100", "imagenet100"], 128, 100))
DATASETS.register("digits")(_Digits())


def get_loader(name: str) -> DatasetLoader:
    return DATASETS.get(str(name).lower())


def default_image_size(name: str) -> int:
    return get_loader(name).default_image_size


# --------------------------------------------------------------------------------------------------
# Cache


def _cache_key(name: str, split: str, image_size: int, src: Source, fingerprint: Any) -> str:
    blob = json.dumps(
        [CACHE_VERSION, name, split, image_size, src.kind, os.fspath(src.path.resolve()), fingerprint],
        sort_keys=True, default=str,
    )
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def dataset_cache_file(name: str, split: str, image_size: int, key: str) -> Path:
    return cache_dir() / "datasets" / f"{name}-{split}-{image_size}px-{key}.pt"


def _read_cache(path: Path) -> dict | None:
    if not path.is_file():
        return None
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True, mmap=path.stat().st_size > 2**30)
        if not isinstance(obj, dict) or obj.get("version") != CACHE_VERSION:
            return None
        for k in ("images", "labels", "classes", "class_names", "skipped"):
            if k not in obj:
                return None
        return obj
    except Exception as e:  # a damaged cache file is rebuilt, not fatal
        warnings.warn(f"ignoring unreadable dataset cache {path}: {type(e).__name__}: {e}", stacklevel=3)
        return None


# --------------------------------------------------------------------------------------------------
# Public API


def load_dataset(
    name: str,
    split: str = "train",
    root: str | os.PathLike | None = None,
    image_size: int | None = None,
    cache: bool = True,
    download: bool | None = None,
    *,
    skip_corrupt: bool = False,
    num_workers: int | None = None,
    show_progress: bool = True,
) -> ImageDataset:
    """Load a real dataset split as uint8 tensors (see the module docstring for names, layouts,
    default sizes and resize rules).

    Looks under ``root``, else ``$GIFT_DATA_ROOT``, else ``~/.cache/gift/data``
    (``$GIFT_CACHE_DIR``/data). Decoded tensors are cached in ``<cache>/datasets/`` keyed by
    (dataset, split, size, source path, folder fingerprint); set ``cache=False`` to bypass. A
    missing cifar10/cifar100/tinyimagenet is downloaded into the first root when downloading is
    allowed: ``download=True/False``, else ``$GIFT_DOWNLOAD`` (1/0), else on Google Colab only
    (:mod:`gift.data.download`). Corrupt image files raise :class:`CorruptImageError` naming the
    file; with ``skip_corrupt=True`` they are skipped with a warning giving the count.
    ``num_workers``: decoding threads (default 1 for the small-image datasets, up to 8 for ImageNet ones).
    """
    loader = get_loader(name)
    name = loader.name
    split = canonical_split(split)
    size = int(image_size) if image_size is not None else loader.default_image_size
    if size <= 0:
        raise DataError(f"image_size must be positive, got {image_size}")
    if isinstance(loader, _Digits):
        return loader.load(split, size)

    roots = data_roots(root)
    src, looked = loader.locate(roots, split)
    if src is None:
        allowed, why = download_policy(download)
        if allowed and loader.downloadable:
            target = roots[0]
            target.mkdir(parents=True, exist_ok=True)
            loader.download(target, split)
            src, looked2 = loader.locate([target], split)
            looked += looked2
        if src is None:
            raise loader.not_found(split, looked, root is not None,
                                   how_to_enable(why) if loader.downloadable and not allowed else None)

    t0 = time.perf_counter()
    fp = loader.fingerprint(src, split)
    key = _cache_key(name, split, size, src, fp)
    cfile = dataset_cache_file(name, split, size, key)
    obj = _read_cache(cfile) if cache else None
    from_cache = obj is not None
    if obj is None:
        obj = loader.read(
            src, split, size, skip_corrupt=skip_corrupt,
            num_workers=loader.threads if num_workers is None else num_workers,
            show_progress=show_progress, desc=f"{name}/{split}: decoding",
        )
        obj["version"] = CACHE_VERSION
        obj["source"] = os.fspath(src.path)
        if cache:
            try:
                atomic_torch_save(obj, cfile)
            except OSError as e:
                warnings.warn(f"could not write dataset cache {cfile}: {e}", stacklevel=2)
    skipped = list(obj.get("skipped") or [])
    if skipped and from_cache:
        if not skip_corrupt:
            raise DataError(
                f"the cached {name}/{split} ({cfile}) was built with skip_corrupt=True and lacks "
                f"{len(skipped)} corrupt image file(s), e.g. {skipped[:3]}; pass skip_corrupt=True "
                f"to accept that, or fix/remove those files"
            )
        warnings.warn(f"{name}/{split}: {len(skipped)} corrupt image file(s) were skipped: {skipped[:5]}", stacklevel=2)

    if loader.complete_classes and len(obj["classes"]) != loader.num_classes:
        raise IncompleteSetError(
            f"{src.path}: {name} has {loader.num_classes} classes but this copy of its {split} split holds "
            f"{len(obj['classes'])} ({', '.join(map(str, list(obj['classes'])[:5]))}"
            f"{', ...' if len(obj['classes']) > 5 else ''}); complete the folder, or point "
            f"root=/${ENV_DATA_ROOT} at a complete copy"
        )
    return ImageDataset(
        obj["images"], obj["labels"], list(obj["classes"]), name, split, loader.mean, loader.std,
        class_names=list(obj["class_names"]),
        meta={
            "source": os.fspath(src.path), "source_kind": src.kind, "image_size": size,
            "resize": loader.resize_rule(size), "cache_file": os.fspath(cfile) if cache else None,
            "cache_key": key, "from_cache": from_cache, "skipped": skipped,
            "load_seconds": round(time.perf_counter() - t0, 3),
        },
    )


def get_classes(name: str, root: str | os.PathLike | None = None) -> list[str]:
    """Class identifiers of ``name`` in index order, without decoding any image: read from the data
    when it is present (folder names / meta file / wnids.txt), else the built-in list (cifar10,
    cifar100, digits); raises DataNotFoundError otherwise."""
    loader = get_loader(name)
    if not isinstance(loader, _Digits):
        for split in ("train", "test"):
            src, _ = loader.locate(data_roots(root), split)
            if src is not None:
                return loader.read_classes(src)[0]
    if loader.name in KNOWN_CLASSES:
        return list(KNOWN_CLASSES[loader.name])
    _, looked = loader.locate(data_roots(root), "train")
    raise loader.not_found("train", looked, root is not None)
