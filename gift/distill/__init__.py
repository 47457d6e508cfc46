"""In-house dataset distillers, looked up by name.

    from gift.data import load_dataset
    from gift.distill import distill
    from gift.teachers import load_teacher

    train = load_dataset("cifar10", "train")
    teacher = load_teacher("teachers/cifar10-convnet3.pt", dataset="cifar10")
    syn = distill("rded", train, ipc=10, teacher=teacher, seed=0)   # a gift.data.DistilledSet

* ``random`` — IPC random real images per class (no teacher).
* ``rded`` — RDED's lowest-CE crop selection and stitching (needs a teacher).
* ``sre2l`` — SRe2L's recovery from noise, CIFAR variant (needs a BatchNorm teacher).

Every result is a function of (method, dataset, ipc, seed, teacher, options): all random draws come
from one ``torch.Generator(seed)`` created here, never from the global RNG. Its ``meta`` holds
``method``, ``dataset``, ``ipc``, ``seed``, ``teacher`` (the teacher's id or None), ``options`` (the
resolved hyperparameters), ``version`` (of the method's implementation), and ``recipe`` — those
fields without the pixels, which the results store uses as the set's key. Images are float32 in
[0, 1] on the 8-bit grid (what ``save_distilled`` writes as PNG), rows in class order, ``ipc`` per
class, with hard labels; soft labels come later from the teacher at evaluation time.
"""
from __future__ import annotations

import copy
import time
from typing import Any

import torch

from ..registry import Registry
from ..teachers import check_teacher, teacher_name
from ..utils import resolve_device
from .base import (
    Distiller,
    Option,
    check_ipc,
    frozen_teacher,
    quantize01,
)
from .random_real import RANDOM
from .rded import RDED
from .sre2l import SRE2L

DISTILLERS: Registry[Distiller] = Registry("distiller")
for _d in (RANDOM, RDED, SRE2L):
    DISTILLERS.register(_d.name)(_d)


def get_distiller(name: str) -> Distiller:
    """The registered :class:`Distiller` ``name`` (ValueError listing the valid names otherwise)."""
    return DISTILLERS.get(name)


def list_distillers() -> list[str]:
    """Sorted names accepted by :func:`distill`."""
    return DISTILLERS.names()


def distill(
    method: str,
    train,
    ipc: int,
    *,
    teacher: torch.nn.Module | None = None,
    seed: int = 0,
    device: str | torch.device = "auto",
    show_progress: bool = True,
    **options: Any,
):
    """Distil ``ipc`` images per class from ``train`` (a ``gift.data.ImageDataset``, or a dataset name
    whose train split is loaded) with ``method``; returns a ``gift.data.DistilledSet``.

    ``options`` are the method's hyperparameters (``None`` = default; unknown names are an error);
    see ``get_distiller(method).options``. The teacher is used in eval mode without parameter
    gradients on ``device``; its mode, gradient flags and device are restored afterwards."""
    from ..data import DistilledSet, load_dataset

    d = get_distiller(method)
    if isinstance(train, str):
        train = load_dataset(train, "train", show_progress=show_progress)
    ipc = check_ipc(ipc)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ValueError(f"seed must be an integer, got {seed!r}")
    resolved = d.resolve_options(train, options)
    if d.needs_teacher:
        check_teacher(teacher, num_classes=train.num_classes, dataset=train.name, image_size=train.image_size,
                      against=train.name, needed_by=method)
    else:
        teacher = None
    device = resolve_device(device)
    generator = torch.Generator().manual_seed(seed)
    tid = teacher_name(teacher)

    start = time.perf_counter()
    with frozen_teacher(teacher, device):
        images, labels, extra = d.run(
            train, ipc, teacher=teacher, generator=generator, device=device, options=resolved,
            show_progress=show_progress,
        )
    images = quantize01(images.detach().float()).cpu().contiguous()
    labels = labels.detach().long().cpu()
    wall = time.perf_counter() - start
    expected = ipc * train.num_classes
    if images.shape[0] != expected or labels.shape[0] != expected:  # pragma: no cover - internal invariant
        raise RuntimeError(f"{method} returned {images.shape[0]} images, expected {expected}")

    recipe = {
        "method": d.name,
        "dataset": train.name,
        "ipc": ipc,
        "seed": seed,
        "teacher": tid,
        "options": dict(resolved),
        "version": d.version,
    }
    meta = {
        **copy.deepcopy(recipe),
        "recipe": recipe,
        "classes": list(train.classes),
        "device": str(device),
        "wall_time_s": round(wall, 3),
        **extra,
    }
    return DistilledSet(images=images, labels=labels, space="pixel", num_classes=train.num_classes, meta=meta)


__all__ = ["DISTILLERS", "Distiller", "Option", "distill", "get_distiller", "list_distillers"]
