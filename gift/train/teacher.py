"""Training a teacher (observer) from scratch on the real training set, on the training layer's
pieces: the engine's batches (:func:`gift.train.batches.epoch_batches`, with one generator for the
shuffle and the crop/flip, as this recipe has always drawn them), its precision, compilation,
memory format and test pass. The recipe, the file format and the teacher's name are
:mod:`gift.teachers`."""
from __future__ import annotations

import math
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from ..config import config_to_dict
from ..data.preprocess import normalize
from ..models import get_model
from ..results import provenance
from ..teachers import FORMAT, TeacherConfig, _public_meta, teacher_id
from ..utils import atomic_torch_save, progress, resolve_device
from .batches import epoch_batches
from .compilation import compiled, resolve_compile
from .engine import TrainingDiverged, memory_format_for, test_accuracy
from .precision import autocast, resolve_precision
from .tensors import TestTensors, TrainTensors

__all__ = ["CheckpointError", "train_teacher"]


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


def train_teacher(
    config: TeacherConfig, train, test, *, device="auto", show_progress: bool = True,
    checkpoint: str | Path | None = None, compile: str | None = None,
) -> tuple[nn.Module, dict]:
    """Train a teacher on ``train`` (an ImageDataset) and measure it on ``test``.

    Returns the model (eval mode, with ``gift_meta``) and its metadata. With ``checkpoint`` the
    state (weights, optimizer, random generator, epoch) is saved atomically after every epoch and
    training resumes from it when it exists with the same config and data: an interrupted job on a
    shared machine loses at most one epoch, and the result equals an uninterrupted run. The file is
    kept until :func:`gift.teachers.save_teacher` has written the finished teacher (the model remembers it in
    ``gift_checkpoint``), so a failed final save loses nothing: rerunning resumes at the last
    epoch and only saves. ``compile`` as in :func:`gift.train.engine.train_student` (``auto``
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
    x_train = normalize(train.images, train.mean, train.std).to(device)
    y_train = train.labels.to(device)
    test_t = TestTensors(normalize(test.images, test.mean, test.std).to(device), test.labels.to(device))
    # one generator for the shuffle and the crop/flip, in that order: the recipe's draws
    batches = TrainTensors(x_train, y_train, train.num_classes)
    crop_flip = lambda x, g: _augment_crop_flip(x, config.pad, g)  # noqa: E731

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
        running = torch.zeros((), device=device)
        for _, idx, x in epoch_batches(batches, config.batch_size, crop_flip, gen, gen, fmt):
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
    from ..data.errors import DataError
    from ..data.safe_load import safe_torch_load

    try:
        state = safe_torch_load(path)
    except DataError as err:
        raise CheckpointError(f"{err}\nThe checkpoint {path} cannot be resumed: delete it to start this teacher again") from None
    if not isinstance(state, dict):
        raise CheckpointError(f"the checkpoint {path} holds a {type(state).__name__}, not a training state; delete it to start again")
    return state
