"""What every distiller shares: the registry entry type, option specs and their validation, the
checks on ``ipc`` and on the teacher, and the teacher's input normalisation."""
from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass
from typing import Any, Callable, Iterator

import torch
from torch import nn

from ..teachers import teacher_meta

# A distiller's ``run`` gets (train, ipc, teacher=, generator=, device=, options=, show_progress=)
# and returns (images float32 [N, 3, H, W] in [0, 1] on any device, labels int64 [N], extra meta).
RunFn = Callable[..., "tuple[torch.Tensor, torch.Tensor, dict[str, Any]]"]


@dataclass(frozen=True)
class Option:
    """One hyperparameter of a distiller.

    ``default`` is a value or a function of the training set (e.g. RDED's factor depends on the
    image size); ``minimum`` is inclusive. ``help`` is shown by ``gift distill --help``."""

    name: str
    type: type  # int or float
    default: Any
    help: str
    minimum: float | None = None

    def resolve_default(self, train) -> Any:
        return self.default(train) if callable(self.default) else self.default

    def check(self, value: Any, method: str) -> Any:
        if self.type is int:
            if isinstance(value, bool) or not isinstance(value, int):
                if isinstance(value, float) and value.is_integer():
                    value = int(value)
                else:
                    raise ValueError(f"{method} option {self.name} must be an integer, got {value!r}")
        else:
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ValueError(f"{method} option {self.name} must be a number, got {value!r}")
            value = float(value)
            if not math.isfinite(value):
                raise ValueError(f"{method} option {self.name} must be finite, got {value!r}")
        if self.minimum is not None and value < self.minimum:
            raise ValueError(f"{method} option {self.name} must be >= {self.minimum:g}, got {value!r}")
        return value


@dataclass(frozen=True)
class Distiller:
    """A registered distillation method."""

    name: str
    run: RunFn
    summary: str
    options: tuple[Option, ...] = ()
    needs_teacher: bool = False
    # Bump when the same recipe would produce different pixels; it is part of the recipe.
    version: int = 1

    def option_names(self) -> list[str]:
        return [o.name for o in self.options]

    def resolve_options(self, train, given: dict[str, Any]) -> dict[str, Any]:
        """Defaults filled in, types and ranges checked; unknown names are an error."""
        known = {o.name: o for o in self.options}
        unknown = sorted(k for k, v in given.items() if k not in known and v is not None)
        if unknown:
            accepted = ", ".join(known) if known else "no options"
            raise ValueError(f"distiller {self.name!r} got unknown option(s) {unknown}; it accepts: {accepted}")
        out = {}
        for opt in self.options:
            value = given.get(opt.name)
            if value is None:
                value = opt.resolve_default(train)
            out[opt.name] = opt.check(value, self.name)
        return out


# ---------------------------------------------------------------------------------------- checks


def check_ipc(ipc: Any) -> int:
    if isinstance(ipc, bool) or not isinstance(ipc, int) or ipc < 1:
        raise ValueError(f"ipc (images per class) must be a positive integer, got {ipc!r}")
    return ipc


def check_class_sizes(train, needed: int, what: str) -> None:
    """Every class must have at least ``needed`` images; the message names the short classes."""
    counts = train.class_counts().tolist()
    short = [(c, n) for c, n in enumerate(counts) if n < needed]
    if short:
        names = getattr(train, "class_names", None) or train.classes
        listed = ", ".join(f"{c} ({names[c]!r}): {n}" for c, n in short[:10])
        more = f" and {len(short) - 10} more" if len(short) > 10 else ""
        raise ValueError(
            f"{what} needs {needed} images per class, but {train.name}/{train.split} has fewer in "
            f"{len(short)} class(es) — class (name): images available: {listed}{more}"
        )


def check_logits(logits: torch.Tensor, num_classes: int) -> None:
    if logits.ndim != 2 or logits.shape[1] != num_classes:
        raise ValueError(
            f"the teacher returned outputs of shape {tuple(logits.shape)}; expected [batch, {num_classes}] logits"
        )


def teacher_normalisation(teacher: nn.Module, train) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Mean/std the teacher was trained with (its ``gift_meta``), else the dataset's."""
    meta = teacher_meta(teacher)
    mean = meta.get("mean") or train.mean
    std = meta.get("std") or train.std
    return tuple(float(m) for m in mean), tuple(float(s) for s in std)


def channel_tensor(values, device, channels: int = 3) -> torch.Tensor:
    t = torch.tensor([float(v) for v in values], device=device, dtype=torch.float32)
    if t.numel() == 1:
        t = t.expand(channels)
    return t.view(1, -1, 1, 1)


@contextlib.contextmanager
def frozen_teacher(teacher: nn.Module | None, device: torch.device) -> Iterator[nn.Module | None]:
    """Eval mode, no parameter gradients, on ``device`` — restored afterwards, so a model passed in
    train mode is neither used with batch statistics nor has its running statistics updated."""
    if teacher is None:
        yield None
        return
    was_training = teacher.training
    grads = [p.requires_grad for p in teacher.parameters()]
    first = next(iter(teacher.parameters()), None)
    if first is None:
        first = next(iter(teacher.buffers()), None)
    home = first.device if first is not None else None
    teacher.eval().requires_grad_(False).to(device)
    try:
        yield teacher
    finally:
        teacher.train(was_training)
        for p, g in zip(teacher.parameters(), grads):
            p.requires_grad_(g)
        if home is not None and home != device:
            teacher.to(home)


def quantize01(images: torch.Tensor) -> torch.Tensor:
    """Round to the 8-bit grid (k/255): the set in memory then equals the set written as PNG, and the
    references also store 8-bit images."""
    return images.clamp(0, 1).mul(255).round().div(255)
