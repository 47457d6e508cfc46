"""A run's data made model-ready, on the device: the distilled images normalised (pixel space, with
the dataset's mean/std, :func:`gift.data.preprocess.normalize`) or used as they are (ZCA space),
and the test images prepared the same way."""
from __future__ import annotations

from dataclasses import dataclass

import torch

from ..data.preprocess import normalize, prepare_test_set

__all__ = ["TestTensors", "TrainTensors", "make_test_tensors", "make_train_tensors"]


@dataclass
class TrainTensors:
    """A distilled set made model-ready: images normalised (pixel space) or whitened (ZCA)."""

    images: torch.Tensor  # float32 [N, 3, H, W]
    labels: torch.Tensor  # int64 [N]
    num_classes: int
    soft_labels: torch.Tensor | None = None  # float32 [N, C] stored soft-label logits
    learned_lr: float | None = None

    def __post_init__(self):
        n = self.images.shape[0]
        if n == 0:
            raise ValueError("the distilled set is empty: there is nothing to train on")
        if self.images.ndim != 4:
            raise ValueError(f"images must be [N, C, H, W], got shape {tuple(self.images.shape)}")
        if self.labels.shape != (n,):
            raise ValueError(
                f"labels must be [N={n}], got shape {tuple(self.labels.shape)}: one label per image"
            )
        if self.labels.min() < 0 or self.labels.max() >= self.num_classes:
            raise ValueError(
                f"labels must lie in [0, {self.num_classes}); got range "
                f"[{int(self.labels.min())}, {int(self.labels.max())}]"
            )
        if self.soft_labels is not None and self.soft_labels.shape != (n, self.num_classes):
            raise ValueError(
                f"soft_labels must be [N={n}, C={self.num_classes}], got "
                f"{tuple(self.soft_labels.shape)}"
            )

    def to(self, device: torch.device) -> "TrainTensors":
        soft = None if self.soft_labels is None else self.soft_labels.to(device, torch.float32)
        return TrainTensors(
            self.images.to(device, torch.float32), self.labels.to(device), self.num_classes,
            soft, self.learned_lr,
        )


@dataclass
class TestTensors:
    __test__ = False  # not a pytest test class

    images: torch.Tensor  # float32 [M, 3, H, W], model-ready
    labels: torch.Tensor  # int64 [M]

    def __post_init__(self):
        if self.images.shape[0] == 0:
            raise ValueError("the test set is empty: no accuracy can be measured")
        if self.labels.shape != (self.images.shape[0],):
            raise ValueError("test labels must be one per test image")


def make_train_tensors(distilled, mean, std) -> TrainTensors:
    """Pixel-space sets are normalised with the dataset's mean/std; ZCA-space sets are used as is."""
    images = distilled.images.float()
    if distilled.space == "pixel":
        images = normalize(images, mean, std)
    elif distilled.space != "zca":
        raise ValueError(f"unknown image space {distilled.space!r}; expected 'pixel' or 'zca'")
    return TrainTensors(images, distilled.labels.long(), distilled.num_classes, distilled.soft_labels, distilled.lr)


def make_test_tensors(test, space: str, zca=None) -> TestTensors:
    """The test set in the distilled set's input space (``zca``: the fitted transform, needed for
    a ZCA-space set)."""
    if space == "zca" and zca is None:
        raise ValueError(
            "this distilled set lives in ZCA space: pass zca= fitted on the real training images, "
            "e.g. gift.data.fit_zca(gift.data.load_dataset(name, 'train'), eps=0.1)"
        )
    images, labels = prepare_test_set(test, space, zca=zca)
    return TestTensors(images, labels)
