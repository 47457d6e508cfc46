"""The batches of a run: one shuffle per epoch, the last partial batch kept (as in the authors'
loader), each batch cropped and augmented on the device. One place seeds a run's draws
(:func:`batch_generators`), so the engine, joint runs, the bench, the theorem chapter's short runs
and teacher training all see the same batches for the same seed."""
from __future__ import annotations

import torch

from ..augment import factor_crop, get_augmentation
from ..protocol import EvalConfig, augmentation_seed, batch_size_rule
from .tensors import TrainTensors

__all__ = ["batch_generators", "batches_per_epoch", "check_shards", "engine_batches", "epoch_batches"]


def batches_per_epoch(n: int, batch: int) -> int:
    """Optimizer steps per epoch: the last partial batch is kept, as in the authors' loader."""
    return -(-n // batch)


def batch_generators(seed: int, device: torch.device | str = "cpu",
                     rank: int = 0) -> tuple[torch.Generator, torch.Generator]:
    """The shuffling generator (identical on every rank) and the augmentation generator (one
    stream per rank) of a run with ``seed``: the one place where a run's draws are seeded."""
    order_gen = torch.Generator(device).manual_seed(seed)
    aug_gen = torch.Generator(device).manual_seed(augmentation_seed(seed, rank))
    return order_gen, aug_gen


def check_shards(n: int, batch: int, world: int) -> None:
    """Under DDP every rank needs at least one image of every batch: a rank with an empty share
    would fail while the others wait for its gradients forever. Checked before any collective,
    so all ranks stop with the same message."""
    last = n - (batches_per_epoch(n, batch) - 1) * batch  # size of the last (possibly partial) batch
    smallest = min(batch, last)
    if world > smallest:
        raise ValueError(
            f"{world} processes cannot share a batch of {smallest} image(s) ({n} images, batch size "
            f"{batch}, so the last batch of each epoch holds {last}); use at most {smallest} processes "
            f"or a batch size that leaves at least {world} images in every batch"
        )


def epoch_batches(
    data: TrainTensors, batch: int, augment, order_gen: torch.Generator, aug_gen: torch.Generator,
    memory_format: torch.memory_format = torch.contiguous_format, rank: int = 0, world: int = 1,
    factor: int = 1,
):
    """``(step, idx, x)`` for one epoch: a fresh shuffle, then each batch of ``batch`` indices
    (the last partial batch kept; under DDP this rank's share), factor-cropped when ``factor`` > 1
    and passed through ``augment(x, aug_gen)`` on the device."""
    n = data.images.shape[0]
    order = torch.randperm(n, generator=order_gen, device=data.images.device)
    for step in range(batches_per_epoch(n, batch)):
        idx = order[step * batch : (step + 1) * batch][rank::world]
        x = data.images[idx]
        if factor > 1:
            x = factor_crop(x, factor, aug_gen)
        yield step, idx, augment(x, aug_gen).contiguous(memory_format=memory_format)


def engine_batches(
    data: TrainTensors, config: EvalConfig, seed: int, device: torch.device | str = "cpu",
    memory_format: torch.memory_format = torch.contiguous_format,
):
    """``(epoch, step, idx, x)`` for the whole run, exactly as :func:`gift.train.engine.train_student`
    draws them for ``seed`` in one process (``data`` on ``device``): what lets a joint run see a
    separate run's batches."""
    device = torch.device(device)
    batch = config.batch_size or batch_size_rule(data.images.shape[0])
    augment = get_augmentation(config.augment)
    order_gen, aug_gen = batch_generators(seed, device)
    for epoch in range(config.epochs):
        for step, idx, x in epoch_batches(data, batch, augment, order_gen, aug_gen, memory_format,
                                          factor=config.factor):
            yield epoch, step, idx, x
