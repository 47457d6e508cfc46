"""``random``: IPC real training images per class, drawn at random ("A Label is Worth a Thousand Images").

The image selection of "A Label is Worth a Thousand Images" (Qin et al.): for every class, a random
permutation of that class's images, first ``ipc`` taken. It is also the random real subset
DD-Ranking compares every distilled set with (its "improvement over random"). No teacher is used;
if one is passed it is ignored and the set's recipe records none.
"""
from __future__ import annotations

import torch

from ..utils import progress
from .base import Distiller, check_class_sizes


def select_random(train, ipc: int, generator: torch.Generator) -> torch.Tensor:
    """Indices into ``train``: for each class in order, the first ``ipc`` of a random permutation."""
    check_class_sizes(train, ipc, f"random with ipc {ipc}")
    chosen = []
    for idx in train.indices_per_class():
        chosen.append(idx[torch.randperm(len(idx), generator=generator)[:ipc]])
    return torch.cat(chosen)


def run_random(train, ipc, *, generator, show_progress=True, **_):
    with progress(total=1, desc=f"random {train.name} ipc {ipc}", enabled=show_progress) as bar:
        idx = select_random(train, ipc, generator)
        bar.update(1)
    images = train.images[idx].float().div_(255)
    return images, train.labels[idx].clone(), {"source_indices": idx.tolist()}


RANDOM = Distiller(
    name="random",
    run=run_random,
    summary="IPC random real images per class (the baseline of 'A Label is Worth a Thousand Images' and DD-Ranking)",
)
