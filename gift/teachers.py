"""Teachers (observer models): the recipe, the file format, and the one place that names a teacher
(:func:`teacher_name`, :func:`teacher_identity`), reads its metadata (:func:`teacher_meta`) and checks
that it fits the data it is asked to label (:func:`check_teacher`). Training one is
:func:`gift.train.teacher.train_teacher` (the training layer); everything here is plain data and
files, so the domain modules (distillers, evaluation) use it without importing a training loop."""
from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from .config import config_from_dict, state_fingerprint, strict_keywords
from .models import get_model
from .utils import OutputError, atomic_torch_save, check_writable_file

FORMAT = "gift-teacher-v1"


@strict_keywords
@dataclass
class TeacherConfig:
    """The recipe: SGD with Nesterov momentum, a short linear warm-up then cosine decay to zero,
    random crop (4-pixel zero padding) + horizontal flip, plain cross-entropy (no label smoothing,
    so the teacher's logits are not artificially flattened before they become soft labels)."""

    dataset: str = "cifar10"
    model: str = "convnet3"
    model_kwargs: dict = field(default_factory=dict)
    epochs: int = 30
    batch_size: int = 256
    lr: float = 0.05
    momentum: float = 0.9
    weight_decay: float = 5e-4
    warmup_epochs: int = 1
    seed: int = 0
    precision: str = "auto"
    pad: int = 4

    def __post_init__(self):
        """Refuse a recipe that cannot train, before any data is loaded: 0 epochs would save an
        untrained teacher that distillation and evaluation then accept as real."""
        checks = (
            ("epochs", self.epochs, isinstance(self.epochs, int) and self.epochs >= 1, "an integer >= 1"),
            ("batch_size", self.batch_size, isinstance(self.batch_size, int) and self.batch_size >= 1, "an integer >= 1"),
            ("lr", self.lr, _finite(self.lr) and self.lr > 0, "a finite number > 0"),
            ("momentum", self.momentum, _finite(self.momentum) and 0 <= self.momentum < 1, "in [0, 1)"),
            ("weight_decay", self.weight_decay, _finite(self.weight_decay) and self.weight_decay >= 0, "a finite number >= 0"),
            ("warmup_epochs", self.warmup_epochs, isinstance(self.warmup_epochs, int) and 0 <= self.warmup_epochs <= self.epochs, f"an integer in [0, epochs={self.epochs}]"),
            ("pad", self.pad, isinstance(self.pad, int) and self.pad >= 0, "an integer >= 0"),
            ("seed", self.seed, isinstance(self.seed, int) and self.seed >= 0, "an integer >= 0"),
        )
        for name, value, ok, want in checks:
            if not ok:
                raise ValueError(f"teacher {name} must be {want}, got {value!r}")

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> "TeacherConfig":
        return config_from_dict(cls, values)


def _finite(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _public_meta(meta: dict) -> dict:
    return {k: meta[k] for k in ("id", "architecture", "dataset", "num_classes", "image_size", "mean", "std")}


def teacher_id(model: nn.Module, meta: dict) -> str:
    """The id a trained teacher is saved under (``<dataset>-<architecture>-<norm>-<8 hex>``): what
    every stored run names it by (:func:`teacher_identity`)."""
    norm = meta["model_kwargs"].get("norm", "batch")
    return f"{meta['dataset']}-{meta['architecture']}-{norm}-{state_fingerprint(model, 8)}"


def teacher_name(teacher: nn.Module | None) -> str | None:
    """The one name of a teacher: its saved id (``gift_meta['id']``), else ``<class>-sha256-<16 hex>``
    of its weights (the same fingerprint as :func:`teacher_id`); None for no teacher."""
    if teacher is None:
        return None
    meta = teacher_meta(teacher)
    if meta.get("id"):
        return str(meta["id"])
    return f"{type(teacher).__name__}-sha256-{state_fingerprint(teacher, 16)}"


def teacher_identity(teacher: nn.Module | None) -> dict | None:
    """How a stored run names its teacher: ``{"id": teacher_name(teacher)}`` (None for none)."""
    name = teacher_name(teacher)
    return None if name is None else {"id": name}


def check_teacher(
    teacher, *, num_classes: int | None = None, dataset: str | None = None, image_size=None,
    architecture: str | None = None, against: str = "the data", needed_by: str | None = None,
    probe: torch.Tensor | None = None, who: str | None = None,
) -> None:
    """The one check that a teacher fits the data it is asked to label; raises ValueError.

    ``teacher``: a model, a saved teacher's path, or its metadata. Each expectation that is given
    (``num_classes``, ``dataset``, ``image_size``, ``architecture``) is compared with what the
    metadata says; when the metadata does not state the class count, a model is asked (one forward
    pass on ``probe``, model-ready images). ``needed_by`` (a method name): a missing teacher is an
    error naming it; otherwise a missing teacher passes. ``against`` names the data in messages."""
    if teacher is None:
        if needed_by is None:
            return
        where = dataset or "the dataset"
        raise ValueError(
            f"{needed_by} needs a teacher (observer) model trained on {where}: pass "
            f"teacher=gift.teachers.load_teacher(path) (CLI: --teacher PATH; train one with "
            f"`gift teacher train --dataset {where}`)"
        )
    if not isinstance(teacher, (nn.Module, dict, str, os.PathLike)) or (needed_by and not isinstance(teacher, nn.Module)):
        raise ValueError(f"the teacher must be a torch.nn.Module, got {type(teacher).__name__}")
    meta = teacher_meta(teacher)
    who = who or (f"teacher {meta['id']!r}" if meta.get("id") else "the teacher")
    from .data.distilled import canonical_dataset_name

    want_ds, have_ds = canonical_dataset_name(dataset), canonical_dataset_name(meta.get("dataset"))
    if want_ds and have_ds and want_ds != have_ds:
        raise ValueError(f"{who} was trained on {have_ds!r}, not on {want_ds!r}; use a teacher trained on "
                         f"{want_ds} (`gift teacher train --dataset {want_ds}`)")
    if architecture is not None and meta.get("architecture") not in (None, architecture):
        raise ValueError(f"{who} is a {meta['architecture']!r}, not a {architecture!r}; train or pick a "
                         f"{architecture} teacher")
    if num_classes is not None:
        classes = meta.get("num_classes")
        if classes is None and isinstance(teacher, nn.Module) and probe is not None:
            with torch.no_grad():
                was = teacher.training
                teacher.eval()
                classes = teacher(probe[:1]).shape[1]
                teacher.train(was)
        if classes is not None and int(classes) != num_classes:
            raise ValueError(f"{who} predicts {classes} classes but {against} has {num_classes}; use a teacher "
                             f"trained on {want_ds or 'the same dataset'}")
    size = meta.get("image_size")
    if image_size is not None and size is not None:
        have = tuple(size) if isinstance(size, (list, tuple)) else size
        want = image_size
        if isinstance(want, tuple) and not isinstance(have, tuple):
            have = (have, have)
        if isinstance(have, tuple) and not isinstance(want, tuple):
            want = (want, want)
        if have != want:
            raise ValueError(f"{who} takes {size}px inputs but {against} images are {image_size}px; "
                             f"load the dataset at the teacher's image size")


def save_teacher(model: nn.Module, meta: dict, path: str | Path) -> Path:
    """Weights + metadata in one file that loads with ``torch.load(weights_only=True)``.

    Written atomically; only then is the training checkpoint of this run (``model.gift_checkpoint``,
    set by :func:`train_teacher`) removed: a save that fails (unwritable place, full disk) keeps it,
    and rerunning the training command resumes there and only saves."""
    path = Path(path)
    check_writable_file(path, "teacher output")
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    try:
        atomic_torch_save({"format": FORMAT, "meta": meta, "state_dict": state}, path)
    except OSError as err:
        ckpt = getattr(model, "gift_checkpoint", None)
        kept = f"; the trained state is kept in {ckpt}, rerun the same command to save it without retraining" if ckpt else ""
        raise OutputError(f"cannot write the teacher to {path}: {err.strerror or err}{kept}") from None
    ckpt = getattr(model, "gift_checkpoint", None)
    if ckpt is not None and Path(ckpt).resolve() != path.resolve():
        Path(ckpt).unlink(missing_ok=True)
        model.gift_checkpoint = None
    return path


def load_teacher(
    path: str | Path, *, dataset: str | None = None, num_classes: int | None = None,
    architecture: str | None = None, device="cpu",
) -> nn.Module:
    """Load a saved teacher in eval mode, frozen. Checks, when given, that its dataset, number of
    classes and architecture match what the caller expects, and fails clearly otherwise."""
    path = Path(path)
    blob = _read_teacher_file(path)
    meta = blob["meta"]
    check_teacher(meta, dataset=dataset, num_classes=num_classes, architecture=architecture,
                  against=f"the {dataset or 'expected'} data", who=f"teacher {path}")
    model = get_model(meta["architecture"], meta["num_classes"], meta["image_size"], **meta["model_kwargs"])
    try:
        model.load_state_dict(blob["state_dict"])
    except RuntimeError as err:  # weights of another architecture/width than the metadata says
        first = str(err).splitlines()[1:2] or [str(err)]
        raise ValueError(
            f"teacher {path}: its weights do not fit the {meta['architecture']} "
            f"{meta['model_kwargs'] or ''} its metadata names ({first[0].strip()}); the file is "
            f"inconsistent, train it again"
        ) from None
    model.gift_meta = {**getattr(model, "gift_meta", {}), **_public_meta(meta), "test_accuracy": meta["test_accuracy"]}
    return model.to(device).eval().requires_grad_(False)


def _read_teacher_file(path: Path) -> dict:
    """The checkpoint dict, read with weights_only=True; clear errors for a missing, unsafe or foreign file."""
    if not path.exists():
        raise FileNotFoundError(
            f"no teacher at {path}; train one with `gift teacher train --dataset cifar10 --model convnet3`"
        )
    from .data.safe_load import safe_torch_load

    blob = safe_torch_load(path)  # CorruptFileError / UnsafeFileError, both naming the file
    if not isinstance(blob, dict) or blob.get("format") != FORMAT or not isinstance(blob.get("meta"), dict):
        raise ValueError(f"{path} is not a gift teacher file (expected format {FORMAT!r})")
    from .data.errors import DataError, NonFiniteDataError

    meta = blob["meta"]
    missing = [k for k in _REQUIRED_META if k not in meta]
    if missing or not isinstance(blob.get("state_dict"), dict):
        what = f"metadata keys {missing}" if missing else "its weights (state_dict)"
        raise DataError(f"teacher {path} lacks {what}; the file is incomplete, train the teacher again")
    epochs = (meta.get("train_config") or {}).get("epochs", 1)
    if isinstance(epochs, int) and epochs < 1:
        raise DataError(f"teacher {path} was saved after {epochs} training epochs: it is untrained; train it again")
    for name, t in blob["state_dict"].items():
        if not isinstance(t, torch.Tensor):
            raise DataError(f"teacher {path}: weight {name!r} is a {type(t).__name__}, not a tensor; train it again")
        if t.is_floating_point() and not bool(torch.isfinite(t).all()):
            raise NonFiniteDataError(f"teacher {path}: weight {name!r} holds NaN or infinite values; train it again")
    return blob


_REQUIRED_META = ("dataset", "num_classes", "architecture", "image_size", "model_kwargs", "mean", "std", "test_accuracy")


def teacher_meta(teacher) -> dict:
    """A teacher's metadata, from a model (its ``gift_meta``), a saved teacher's path (read with the
    same checks as :func:`load_teacher`, no model built) or a metadata dict; ``{}`` for None."""
    if teacher is None:
        return {}
    if isinstance(teacher, dict):
        return dict(teacher)
    if isinstance(teacher, (str, os.PathLike)):
        return _read_teacher_file(Path(teacher))["meta"]
    return dict(getattr(teacher, "gift_meta", None) or {})

