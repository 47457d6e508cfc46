"""The training engine: one student trained on a distilled set, the way the protocol prescribes,
with everything resident on the device.

Why it is fast: the distilled images live in one tensor on the device (no DataLoader, no
per-sample transforms), augmentation is batched on the device, convolutions run channels-last in
bf16 where the hardware supports it, the host synchronises only at test checkpoints and
NaN checks, never per step, and long CPU runs compile the student and the frozen teacher with
``torch.compile`` (:mod:`gift.train.compilation`), which fuses the memory-bound layers."""
from __future__ import annotations

import copy
import time
from dataclasses import dataclass, field

import torch
import torch.distributed as dist
from torch import nn

from ..augment import get_augmentation
from ..models import get_model
from ..protocol import EvalConfig, batch_size_rule, build_optimizer, build_scheduler, checkpoint_epochs
from ..teachers import check_teacher
from ..utils import progress
from .batches import batch_generators, batches_per_epoch, check_shards, epoch_batches
from .compilation import compile_for_training, resolve_compile
from .labels import loss_for, resolve_label_source
from .precision import autocast, resolve_precision
from .tensors import TestTensors, TrainTensors


class TrainingDiverged(RuntimeError):
    """The loss became NaN or Inf: reporting the chance-level accuracy that follows would be wrong."""


@dataclass
class StudentRun:
    """The outcome of training one student with one seed."""

    seed: int
    checkpoints: list[dict]  # [{"epoch": int, "accuracy": float (percent)}]
    best: float  # best checkpoint accuracy (the authors' number)
    final: float  # final-epoch accuracy
    wall_time_s: float
    epoch_loss: list[float] = field(default_factory=list)  # mean training loss per epoch
    steps: int = 0
    precision: str = "fp32"
    compiled: bool = False  # trained with torch.compile (same arithmetic, different rounding)

    @classmethod
    def from_checkpoints(cls, seed: int, checkpoints: list[dict], **rest) -> "StudentRun":
        """``best`` is the best checkpoint's accuracy (the authors' number), ``final`` the last one's."""
        accs = [c["accuracy"] for c in checkpoints]
        return cls(seed=seed, checkpoints=checkpoints, best=max(accs), final=accs[-1], **rest)


def distributed_context() -> tuple[int, int]:
    """(rank, world_size); (0, 1) when torch.distributed is not initialised."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def uses_group_norm(model: nn.Module) -> bool:
    """Channels-last slows GroupNorm/InstanceNorm/LayerNorm down on CPU; keep NCHW for models with
    such a layer, unless it is a :class:`~gift.models.ChannelsFirstGroupNorm` (which converts)."""
    from ..models import ChannelsFirstGroupNorm

    return any(isinstance(m, (nn.GroupNorm, nn.InstanceNorm2d, nn.LayerNorm))
               and not isinstance(m, ChannelsFirstGroupNorm) for m in model.modules())


def memory_format_for(model: nn.Module) -> torch.memory_format:
    return torch.contiguous_format if uses_group_norm(model) else torch.channels_last


def inference_copy(model: nn.Module) -> nn.Module:
    """A frozen eval-mode copy of ``model`` for forward passes only, every BatchNorm folded into
    the convolution before it (``torch.fx`` conv-bn fusion: exact in eval mode up to rounding).

    Why: in eval mode a BatchNorm is an affine map, so folding it removes a full pass over every
    activation; on a CPU that pass costs about as much as the convolution it follows. Used for the
    frozen teacher and for test passes. A model ``torch.fx`` cannot trace is copied unfused."""
    from torch.fx.experimental.optimization import fuse

    fmt = memory_format_for(model)
    frozen = copy.deepcopy(model).eval()
    try:
        frozen = fuse(frozen, inplace=True)
    except Exception:  # untraceable control flow: keep the eval-mode copy as it is
        pass
    return frozen.to(memory_format=fmt).requires_grad_(False)  # after fuse: its new weights


def default_test_batch(device: torch.device) -> int:
    """Test batch size: 100 on a CPU (activations stay in cache: 2x faster than 500 there), 500 on
    accelerators."""
    return 100 if device.type == "cpu" else 500


@torch.no_grad()
def test_accuracy(
    model: nn.Module, test: TestTensors, *, precision: str = "fp32", batch_size: int | None = None,
    memory_format: torch.memory_format = torch.contiguous_format,
) -> float:
    """Top-1 accuracy in percent, measured on a folded eval-mode copy (:func:`inference_copy`), so
    ``model`` itself, its mode and its BatchNorm statistics are left untouched."""
    device = test.images.device
    batch_size = batch_size or default_test_batch(device)
    net = inference_copy(model)
    correct = torch.zeros((), dtype=torch.long, device=device)
    for start in range(0, test.images.shape[0], batch_size):
        x = test.images[start : start + batch_size].contiguous(memory_format=memory_format)
        with autocast(precision, device):
            logits = net(x)
        correct += (logits.argmax(1) == test.labels[start : start + batch_size]).sum()
    return 100.0 * correct.item() / test.images.shape[0]


def train_student(
    data: TrainTensors,
    test: TestTensors,
    config: EvalConfig,
    seed: int,
    *,
    teacher: nn.Module | None = None,
    device: torch.device | str = "cpu",
    show_progress: bool = True,
    check_every: int = 10,
    compile: str | None = None,
) -> StudentRun:
    """Train one student with ``seed`` and measure its test accuracy at the protocol's checkpoints.

    Under ``torchrun`` (torch.distributed initialised) every rank takes its share of each global
    batch and DDP averages the gradients, so N processes train one student together.

    ``compile``: ``auto`` (default, or ``$GIFT_COMPILE``), ``on`` or ``off``; see
    :mod:`gift.train.compilation` for when ``auto`` compiles the student and the teacher."""
    device = torch.device(device)
    rank, world = distributed_context()
    precision = resolve_precision(config.precision, device)
    data, test = data.to(device), TestTensors(test.images.to(device), test.labels.to(device))
    source = resolve_label_source(config, teacher, data)
    n = data.images.shape[0]
    batch = config.batch_size or batch_size_rule(n)
    check_shards(n, batch, world)

    torch.manual_seed(seed)  # the student's initialisation
    image_size = data.images.shape[-1]
    student = get_model(config.model, data.num_classes, image_size, **config.model_kwargs).to(device)
    fmt = memory_format_for(student)
    student = student.to(memory_format=fmt)
    if teacher is not None and source == "teacher":
        check_teacher(teacher, num_classes=data.num_classes, against="the distilled set", probe=data.images)
        teacher = inference_copy(teacher.to(device))  # frozen: BatchNorm folded, the caller's module untouched
    steps_per_epoch = batches_per_epoch(n, batch)
    use_compile = resolve_compile(compile, device, steps=config.epochs * steps_per_epoch, world=world)
    if source != "teacher":
        teacher = None  # soft labels come from the set (or none are used): the teacher stays idle
    train_model, teacher = compile_for_training(student, teacher, use_compile)
    if world > 1:
        train_model = nn.parallel.DistributedDataParallel(student)

    loss_fn = loss_for(config, source)
    optimizer = build_optimizer(config, student.parameters(), data.learned_lr)
    scheduler = build_scheduler(optimizer, config.epochs)
    augment = get_augmentation(config.augment)

    order_gen, aug_gen = batch_generators(seed, device, rank)
    checkpoints = set(checkpoint_epochs(config.epochs, config.num_checkpoints))
    losses = torch.zeros(config.epochs, steps_per_epoch, device=device)
    results: list[dict] = []

    start = time.perf_counter()
    bar = progress(range(config.epochs), desc=f"seed {seed}", enabled=show_progress and rank == 0, leave=False)
    for epoch in bar:
        loss_fn.set_epoch(epoch + 1, config.epochs)  # 1-based, as MDistiller counts
        for step, idx, x in epoch_batches(data, batch, augment, order_gen, aug_gen, fmt, rank, world, config.factor):
            with autocast(precision, device):
                if source == "teacher":
                    with torch.no_grad():
                        target = teacher(x)
                else:
                    target = data.soft_labels[idx] if source == "stored" else None
                out = train_model(x)
            loss = loss_fn(out.float(), None if target is None else target.float(), data.labels[idx])
            if step == 0 and epoch == 0:
                loss_fn.validate = False  # shapes and ranges are checked; spare the per-step syncs
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            losses[epoch, step] = loss.detach()
        scheduler.step()
        done = epoch + 1
        if done % check_every == 0 or done in checkpoints or done == config.epochs:
            _raise_if_diverged(losses[:done], config.loss)
        if done in checkpoints:
            acc = test_accuracy(student, test, precision=precision, memory_format=fmt)
            results.append({"epoch": done, "accuracy": acc})
            bar.set_postfix(acc=f"{acc:.2f}")
    wall = time.perf_counter() - start
    return StudentRun.from_checkpoints(
        seed, results, wall_time_s=wall,
        epoch_loss=[round(v, 6) for v in losses.mean(1).tolist()],
        steps=config.epochs * steps_per_epoch, precision=precision, compiled=use_compile,
    )


def first_nonfinite(losses: torch.Tensor) -> tuple[int, int, float] | None:
    """``(epoch, step, value)`` (1-based) of the first NaN/Inf in ``[epochs, steps]`` losses; None if none."""
    finite = torch.isfinite(losses)
    if bool(finite.all()):
        return None
    first = int((~finite).flatten().nonzero()[0])
    epoch, step = divmod(first, losses.shape[1])
    return epoch + 1, step + 1, losses.flatten()[first].item()


def _raise_if_diverged(losses: torch.Tensor, loss_name: str) -> None:
    hit = first_nonfinite(losses)
    if hit is None:
        return
    epoch, step, value = hit
    raise TrainingDiverged(
        f"the {loss_name!r} loss became {value} at epoch {epoch}, "
        f"step {step}; training stopped instead of reporting chance accuracy. Lower the "
        f"learning rate, check the labels/teacher for NaN, or try precision='fp32'"
    )
