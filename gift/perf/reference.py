"""The authors' evaluation loop, written plainly (the authors' evaluation code): the baseline that
``gift bench`` measures the engine against, and a second implementation the engine is tested
against (``tests/test_reference.py``).

What it keeps from the authors' ``validate/evaluator_benchmark.py``: a ``Dataset`` that prepares
every sample on its own ([RandomFactorResizedCrop ->] Normalize), a shuffling torch ``DataLoader``
that keeps the last partial batch, DSA applied to each batch on the fly under ``no_grad``, a frozen
teacher relabelling the augmented batch, the student trained in fp32 with NCHW tensors (teacher and
student separate fp32 modules), the loss read back every step (``loss.item()``, as their
AverageMeter does), and test batches of the training batch size. The protocol pieces (loss,
optimizer, schedule, checkpoints, initialisation) are the project's, so a result differs from the
engine's only through the order of the data and the arithmetic.

Choices that favour the baseline: ``num_workers=0`` by default (the authors use 4 persistent
workers; on a small CPU they compete with the training for cores), and DSA is the project's
vectorised one (the authors' ``DiffAug`` is vectorised over the batch too).
"""
from __future__ import annotations

import copy
import time
from typing import Sequence

import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

from ..augment import factor_crop, get_augmentation
from ..data.preprocess import normalize as normalize_images
from ..models import get_model
from ..protocol import EvalConfig, augmentation_seed, batch_size_rule, build_optimizer, build_scheduler, checkpoint_epochs
from ..teachers import check_teacher
from ..train.engine import StudentRun, TrainingDiverged
from ..train.labels import loss_for, resolve_label_source
from ..train.tensors import TestTensors, TrainTensors
from ..utils import progress

__all__ = ["SampleDataset", "train_student_reference", "reference_test_accuracy"]


class SampleDataset(Dataset):
    """One image at a time, the authors' way: ``[factor crop ->] (x - mean) / std``.

    ``images`` are pixel-space tensors in [0, 1] when ``mean``/``std`` are given, model-ready
    tensors otherwise (then only the factor crop, if any, is applied). The index is returned too,
    so stored soft labels can be looked up for the batch."""

    def __init__(self, images: torch.Tensor, labels: torch.Tensor, *, mean: Sequence[float] | None = None,
                 std: Sequence[float] | None = None, factor: int = 1, seed: int = 0):
        if (mean is None) != (std is None):
            raise ValueError("give both mean and std (pixel-space images), or neither (model-ready images)")
        self.images, self.labels, self.factor = images, labels, factor
        self.mean = None if mean is None else torch.tensor(mean, dtype=torch.float32)
        self.std = None if std is None else torch.tensor(std, dtype=torch.float32)
        self.generator = torch.Generator().manual_seed(seed)

    def __len__(self) -> int:
        return self.images.shape[0]

    def __getitem__(self, i: int):
        x = self.images[i]
        if self.factor > 1:
            x = factor_crop(x[None], self.factor, self.generator)[0]
        if self.mean is not None:
            x = normalize_images(x[None], self.mean, self.std)[0]
        return x, self.labels[i], i


@torch.no_grad()
def reference_test_accuracy(model: nn.Module, loader: DataLoader, device: torch.device) -> float:
    """Top-1 accuracy in percent over a loader, fp32, eval mode (restored afterwards)."""
    was_training = model.training
    model.eval()
    correct = total = 0
    for x, y, _ in loader:
        x, y = x.to(device), y.to(device)
        correct += int((model(x).argmax(1) == y).sum())
        total += y.shape[0]
    model.train(was_training)
    return 100.0 * correct / total


def train_student_reference(
    data: TrainTensors,
    test: TestTensors,
    config: EvalConfig,
    seed: int,
    *,
    teacher: nn.Module | None = None,
    device: torch.device | str = "cpu",
    show_progress: bool = True,
    normalize: tuple[Sequence[float], Sequence[float]] | None = None,
    num_workers: int = 0,
) -> StudentRun:
    """Train one student like :func:`gift.train.engine.train_student` does (same arguments, same
    protocol, same :class:`~gift.train.engine.StudentRun`), but with the authors' data path and fp32.

    ``normalize=(mean, std)``: ``data.images`` and ``test.images`` are pixel-space ([0, 1]) and
    every sample is normalised by the Dataset as it is loaded (the authors' pipeline); without it
    they are taken as model-ready. ``config.precision`` is ignored: the authors' loop is fp32.
    The caller's teacher is not modified (a private fp32 copy is used). Single process only."""
    device = torch.device(device)
    source = resolve_label_source(config, teacher, data)
    mean, std = normalize if normalize is not None else (None, None)

    torch.manual_seed(seed)  # the student's initialisation, as in the engine
    image_size = data.images.shape[-1]
    student = get_model(config.model, data.num_classes, image_size, **config.model_kwargs).to(device)
    if teacher is not None and source == "teacher":
        teacher = copy.deepcopy(teacher).to(device, torch.float32)
        teacher = teacher.to(memory_format=torch.contiguous_format).eval().requires_grad_(False)
        check_teacher(teacher, num_classes=data.num_classes, against="the distilled set",
                      probe=_model_ready(data, normalize).to(device))

    loss_fn = loss_for(config, source)
    optimizer = build_optimizer(config, student.parameters(), data.learned_lr)
    scheduler = build_scheduler(optimizer, config.epochs)
    augment = get_augmentation(config.augment)

    n = data.images.shape[0]
    batch = config.batch_size or batch_size_rule(n)
    train_set = SampleDataset(data.images.cpu(), data.labels.cpu(), mean=mean, std=std,
                              factor=config.factor, seed=seed)
    loader = DataLoader(train_set, batch_size=batch, shuffle=True, drop_last=False,
                        num_workers=num_workers, persistent_workers=num_workers > 0,
                        generator=torch.Generator().manual_seed(seed))
    test_set = SampleDataset(test.images.cpu(), test.labels.cpu(), mean=mean, std=std)
    test_loader = DataLoader(test_set, batch_size=batch, shuffle=False, num_workers=num_workers)
    soft_labels = None if data.soft_labels is None else data.soft_labels.to(device, torch.float32)
    aug_gen = torch.Generator(device).manual_seed(augmentation_seed(seed))
    checkpoints = set(checkpoint_epochs(config.epochs, config.num_checkpoints))
    epoch_loss: list[float] = []
    results: list[dict] = []
    steps = 0

    start = time.perf_counter()
    bar = progress(range(config.epochs), desc=f"seed {seed} (reference)", enabled=show_progress, leave=False)
    for epoch in bar:
        loss_fn.set_epoch(epoch + 1, config.epochs)
        total = 0.0
        count = 0
        for x, y, idx in loader:
            x, y = x.to(device), y.to(device)
            with torch.no_grad():
                x = augment(x, aug_gen)
                if source == "teacher":
                    target = teacher(x)
                elif source == "stored":
                    target = soft_labels[idx.to(device)]
                else:
                    target = None
            out = student(x)
            loss = loss_fn(out, target, y)
            loss_fn.validate = False  # checked on the first batch; the authors' losses check nothing
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            value = loss.item()  # the authors log every step; it is also the NaN check
            if value != value or value in (float("inf"), float("-inf")):
                raise TrainingDiverged(
                    f"the {config.loss!r} loss became {value} at epoch {epoch + 1}, step {count + 1} "
                    "(reference loop); lower the learning rate or check the labels/teacher"
                )
            total += value
            count += 1
            steps += 1
        epoch_loss.append(round(total / count, 6))
        scheduler.step()
        if epoch + 1 in checkpoints:
            acc = reference_test_accuracy(student, test_loader, device)
            results.append({"epoch": epoch + 1, "accuracy": acc})
            bar.set_postfix(acc=f"{acc:.2f}")
    wall = time.perf_counter() - start
    return StudentRun.from_checkpoints(seed, results, wall_time_s=wall, epoch_loss=epoch_loss, steps=steps,
                                       precision="fp32")


def _model_ready(data: TrainTensors, stats) -> TrainTensors:
    """``data`` as the models see it (for the teacher's class-count check)."""
    if stats is None:
        return data
    return TrainTensors(normalize_images(data.images[:1], *stats), data.labels[:1], data.num_classes)
