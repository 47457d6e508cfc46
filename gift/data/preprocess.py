"""Normalisation (the one place images are normalised: training, evaluation, teachers, distillers
and the reference loop all call :func:`normalize`) and test-set preparation."""
from __future__ import annotations

import os
from typing import Sequence

import torch

from .errors import DataError


def _stats(v: Sequence[float] | torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    t = torch.as_tensor(v, dtype=x.dtype if x.is_floating_point() else torch.float32, device=x.device)
    return t.reshape(1, -1, 1, 1)


def _channels(v) -> int:
    return v.numel() if isinstance(v, torch.Tensor) else len(v)


def normalize(images01: torch.Tensor, mean: Sequence[float] | torch.Tensor,
              std: Sequence[float] | torch.Tensor) -> torch.Tensor:
    """(x − mean) / std per channel, for float images in [0, 1] of shape [N, C, H, W] (uint8 is divided
    by 255); ``mean``/``std``: one value per channel (a sequence or a tensor of C values)."""
    x = images01.float().div(255.0) if images01.dtype == torch.uint8 else images01
    if x.ndim != 4 or x.shape[1] != _channels(mean) or _channels(mean) != _channels(std):
        raise DataError(f"normalize: images {tuple(x.shape)} do not match {_channels(mean)} channel statistics")
    return (x - _stats(mean, x)) / _stats(std, x)


def denormalize(images: torch.Tensor, mean: Sequence[float] | torch.Tensor,
                std: Sequence[float] | torch.Tensor) -> torch.Tensor:
    """Inverse of :func:`normalize`: x · std + mean."""
    if images.ndim != 4 or images.shape[1] != _channels(mean):
        raise DataError(f"denormalize: images {tuple(images.shape)} do not match {_channels(mean)} channel statistics")
    return images * _stats(std, images) + _stats(mean, images)


def prepare_test_set(
    dataset,
    distilled_space: str = "pixel",
    zca=None,
    *,
    root: str | os.PathLike | None = None,
    zca_eps: float = 0.1,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Float test images matching the distilled set's input space, and int64 labels.

    * ``"pixel"`` (distilled images in [0, 1]): x / 255, then normalised with the dataset's
      mean/std (the same normalisation the training images get).
    * ``"zca"`` (DATM): x / 255, then the ZCA transform fitted on the real train split (eps 0.1),
      **no** mean/std normalisation — DATM's own evaluation. ``zca`` defaults to
      :func:`gift.data.zca.fit_zca` on ``load_dataset(dataset.name, "train", root=root,
      image_size=...)`` (cached after the first fit).

    ``distilled_space`` may also be a :class:`DistilledSet` (its ``space`` is used)."""
    space = getattr(distilled_space, "space", distilled_space)
    if space == "pixel":
        return normalize(dataset.images, dataset.mean, dataset.std), dataset.labels.clone()
    if space == "zca":
        if zca is None:
            from .datasets import load_dataset
            from .zca import fit_zca

            size = dataset.images.shape[-1]
            train = load_dataset(dataset.name, "train", root=root, image_size=size)
            zca = fit_zca(train, eps=zca_eps)
        return zca.transform(dataset.images), dataset.labels.clone()
    raise DataError(f"unknown image space {space!r}; expected 'pixel' or 'zca'")
