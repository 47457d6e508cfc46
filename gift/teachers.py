"""Teachers (observer models): trained from scratch on the real training set, saved with the
metadata needed to check, later, that they fit the data they are asked to label."""
from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from .compilation import compiled, resolve_compile
from .config import config_from_dict, config_to_dict
from .engine import TestTensors, memory_format_for, test_accuracy
from .models import get_model
from .precision import autocast, resolve_precision
from .results import provenance
from .engine import TrainingDiverged
from .utils import OutputError, atomic_torch_save, check_writable_file, progress, resolve_device

FORMAT = "gift-teacher-v1"


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


def _augment_crop_flip(x: torch.Tensor, pad: int, gen: torch.Generator) -> torch.Tensor:
    """Batched random translation by up to ``pad`` pixels (zero fill) and horizontal flip."""
    n, _, h, w = x.shape
    padded = F.pad(x, (pad, pad, pad, pad))
    dy = torch.randint(0, 2 * pad + 1, (n,), generator=gen, device=x.device)
    dx = torch.randint(0, 2 * pad + 1, (n,), generator=gen, device=x.device)
    rows = (dy.view(n, 1) + torch.arange(h, device=x.device)).view(n, 1, h, 1).expand(n, x.shape[1], h, w + 2 * pad)
    out = padded.gather(2, rows)
    cols = (dx.view(n, 1) + torch.arange(w, device=x.device)).view(n, 1, 1, w).expand(n, x.shape[1], h, w)
    out = out.gather(3, cols)
    flip = torch.rand(n, generator=gen, device=x.device) < 0.5
    return torch.where(flip.view(n, 1, 1, 1), out.flip(3), out)


def _normalise(images_uint8: torch.Tensor, mean, std) -> torch.Tensor:
    m = torch.tensor(mean).view(1, -1, 1, 1)
    s = torch.tensor(std).view(1, -1, 1, 1)
    return (images_uint8.float() / 255 - m) / s


def train_teacher(
    config: TeacherConfig, train, test, *, device="auto", show_progress: bool = True,
    checkpoint: str | Path | None = None, compile: str | None = None,
) -> tuple[nn.Module, dict]:
    """Train a teacher on ``train`` (an ImageDataset) and measure it on ``test``.

    Returns the model (eval mode, with ``gift_meta``) and its metadata. With ``checkpoint`` the
    state (weights, optimizer, random generator, epoch) is saved atomically after every epoch and
    training resumes from it when it exists with the same config and data: an interrupted job on a
    shared machine loses at most one epoch, and the result equals an uninterrupted run. The file is
    kept until :func:`save_teacher` has written the finished teacher (the model remembers it in
    ``gift_checkpoint``), so a failed final save loses nothing: rerunning resumes at the last
    epoch and only saves. ``compile`` as in :func:`gift.engine.train_student` (``auto``
    compiles on a CPU: a teacher run has thousands of steps)."""
    device = resolve_device(device)
    precision = resolve_precision(config.precision, device)
    if len(train.labels) == 0:
        raise ValueError(f"the training set {train.name!r} is empty")
    torch.manual_seed(config.seed)
    gen = torch.Generator(device).manual_seed(config.seed)
    model = get_model(config.model, train.num_classes, train.image_size, **config.model_kwargs).to(device)
    fmt = memory_format_for(model)
    model = model.to(memory_format=fmt)
    x_train = _normalise(train.images, train.mean, train.std).to(device)
    y_train = train.labels.to(device)
    test_t = TestTensors(_normalise(test.images, test.mean, test.std).to(device), test.labels.to(device))

    decay, no_decay = [], []
    for p in model.parameters():
        (decay if p.ndim > 1 else no_decay).append(p)
    opt = torch.optim.SGD(
        [{"params": decay, "weight_decay": config.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
        lr=config.lr, momentum=config.momentum, nesterov=True,
    )
    n = len(y_train)
    steps_per_epoch = -(-n // config.batch_size)
    total = config.epochs * steps_per_epoch
    warm = config.warmup_epochs * steps_per_epoch
    use_compile = resolve_compile(compile, device, steps=total)
    train_model = compiled(model) if use_compile else model

    def lr_at(step: int) -> float:
        if step < warm:
            return config.lr * (step + 1) / warm
        return config.lr * 0.5 * (1 + math.cos(math.pi * (step - warm) / max(total - warm, 1)))

    start, step, history, first_epoch, elapsed = time.perf_counter(), 0, [], 0, 0.0
    ckpt_key = {"config": config_to_dict(config), "dataset": train.name, "n": n, "device": str(device)}
    if checkpoint is not None and Path(checkpoint).exists():
        state = _read_checkpoint(Path(checkpoint))
        if state.get("key") != ckpt_key:
            raise ValueError(f"the checkpoint {checkpoint} belongs to another teacher run "
                             f"({state.get('key')}); delete it or choose another output")
        try:
            model.load_state_dict(state["model"])
            opt.load_state_dict(state["optimizer"])
            gen.set_state(state["generator"])
            first_epoch, step, history, elapsed = state["epoch"], state["step"], list(state["history"]), state["elapsed"]
        except (KeyError, TypeError, ValueError, RuntimeError) as err:
            raise CheckpointError(
                f"the checkpoint {checkpoint} is damaged ({type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}); "
                f"delete it to start this teacher again from epoch 1"
            ) from None
    start -= elapsed
    bar = progress(range(first_epoch, config.epochs), desc=f"teacher {config.model}", enabled=show_progress,
                   initial=first_epoch, total=config.epochs)
    for epoch in bar:
        model.train()
        order = torch.randperm(n, generator=gen, device=device)
        running = torch.zeros((), device=device)
        for i in range(steps_per_epoch):
            idx = order[i * config.batch_size : (i + 1) * config.batch_size]
            x = _augment_crop_flip(x_train[idx], config.pad, gen).contiguous(memory_format=fmt)
            for group in opt.param_groups:
                group["lr"] = lr_at(step)
            with autocast(precision, device):
                out = train_model(x)
            loss = F.cross_entropy(out.float(), y_train[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            running += loss.detach()
            step += 1
        mean_loss = (running / steps_per_epoch).item()
        if not math.isfinite(mean_loss):
            raise TrainingDiverged(
                f"teacher training diverged at epoch {epoch + 1} (loss {mean_loss}); lower --lr or try "
                f"--precision fp32 (the checkpoint of the last good epoch is kept)"
            )
        history.append(round(mean_loss, 5))
        bar.set_postfix(loss=f"{mean_loss:.3f}")
        if checkpoint is not None:
            atomic_torch_save({"key": ckpt_key, "model": model.state_dict(), "optimizer": opt.state_dict(),
                               "generator": gen.get_state(), "epoch": epoch + 1, "step": step,
                               "history": history, "elapsed": time.perf_counter() - start}, Path(checkpoint))
    acc = test_accuracy(model, test_t, precision="fp32", memory_format=fmt)
    model.eval()
    meta = {
        "format": FORMAT,
        "architecture": config.model,
        "model_kwargs": dict(config.model_kwargs),
        "dataset": train.name,
        "num_classes": train.num_classes,
        "classes": list(train.classes),
        "image_size": train.image_size,
        "mean": list(train.mean),
        "std": list(train.std),
        "test_accuracy": round(acc, 2),
        "train_config": config_to_dict(config),
        "train_loss": history,
        "precision": precision,
        "compiled": use_compile,
        "provenance": provenance(device, time.perf_counter() - start),
    }
    model = model.to(memory_format=torch.contiguous_format).cpu()
    meta["id"] = teacher_id(model, meta)
    model.gift_meta = {**getattr(model, "gift_meta", {}), **_public_meta(meta)}
    model.gift_checkpoint = None if checkpoint is None else Path(checkpoint)
    return model, meta


class CheckpointError(ValueError):
    """A teacher's per-epoch checkpoint (``OUTPUT.partial``) is unreadable or damaged."""


def _read_checkpoint(path: Path) -> dict:
    from .data.errors import DataError
    from .data.safe_load import safe_torch_load

    try:
        state = safe_torch_load(path)
    except DataError as err:
        raise CheckpointError(f"{err}\nThe checkpoint {path} cannot be resumed: delete it to start this teacher again") from None
    if not isinstance(state, dict):
        raise CheckpointError(f"the checkpoint {path} holds a {type(state).__name__}, not a training state; delete it to start again")
    return state


def _public_meta(meta: dict) -> dict:
    return {k: meta[k] for k in ("id", "architecture", "dataset", "num_classes", "image_size", "mean", "std")}


def teacher_id(model: nn.Module, meta: dict) -> str:
    h = hashlib.sha256()
    for name, tensor in sorted(model.state_dict().items()):
        h.update(name.encode())
        h.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    norm = meta["model_kwargs"].get("norm", "batch")
    return f"{meta['dataset']}-{meta['architecture']}-{norm}-{h.hexdigest()[:8]}"


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
    for what, want, have in (
        ("dataset", dataset, meta["dataset"]),
        ("number of classes", num_classes, meta["num_classes"]),
        ("architecture", architecture, meta["architecture"]),
    ):
        if want is not None and want != have:
            raise ValueError(
                f"teacher {path} has {what} {have!r} but {want!r} was expected; "
                f"train or pick a teacher for {want!r}"
            )
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


def teacher_meta(path: str | Path) -> dict:
    """The metadata of a saved teacher (same checks as :func:`load_teacher`, no model built)."""
    return _read_teacher_file(Path(path))["meta"]

