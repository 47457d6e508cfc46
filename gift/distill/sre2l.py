"""``sre2l``: SRe2L's "recover" step, CIFAR variant (Yin et al., NeurIPS 2023).

Images are synthesised from noise by inverting a BatchNorm teacher. The ``ipc·C`` targets are laid
out ipc-index-major (all classes for ipc index 0, then index 1, ...) and optimised in chunks of
``batch_size`` (default C: one image per class per batch, as SRe2L). For each batch:

* x ~ N(0, 1) in the teacher's normalised space; Adam(lr, betas (0.5, 0.9), eps 1e-8); learning rate
  ``lr·½(1 + cos(π·t/iterations))`` at iteration t (cosine to 0, no warm-up).
* Each iteration: x̃ = roll(x, (Δh, Δw)) with Δh, Δw ~ U{0, …, jitter} shared by the batch, then a
  horizontal flip of the whole batch with probability ½.
* loss = CE(teacher(x̃), y) + r_bn · Σ_l w_l (‖μ_l − μ_l^run‖₂ + ‖σ²_l − σ²_l^run‖₂), where μ_l, σ²_l
  are the per-channel mean and biased variance over (N, H, W) of the input of the l-th BatchNorm2d
  (module order, captured by forward hooks) and w_1 = ``first_bn_multiplier``, other w_l = 1.
* After the step each channel is clamped to [(0 − m)/s, (1 − m)/s] (the valid pixel range).

The final iterate is denormalised to [0, 1] (and rounded to the 8-bit grid). The teacher must contain
BatchNorm2d layers (e.g. ``convnet3`` with ``norm="batch"`` or ``resnet18_modified``).

Deviations from the reference code (VILA-Lab/SRe2L ``*small_dataset/recover_cifar.py``):

* The teacher's input statistics are the teacher's own mean/std (its ``gift_meta``), else the
  dataset's; the reference hard-codes the CIFAR statistics.
* All random draws (initial noise, jitter, flips) come from one ``torch.Generator`` seeded by ``seed``;
  the reference uses Python's ``random`` and a per-run global seed.
* The images are kept on the 8-bit grid and saved losslessly as PNG (the reference saves JPEGs).
* ``tv_l2`` and ``l2_scale`` terms are not implemented: the CIFAR recipe sets both to 0.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from ..data.preprocess import denormalize
from ..utils import progress
from .base import Distiller, Option, channel_tensor, check_logits, teacher_normalisation


def bn_statistics_distance(x: torch.Tensor, bn: nn.BatchNorm2d) -> torch.Tensor:
    """‖mean(x) − running_mean‖₂ + ‖var(x) − running_var‖₂ over (N, H, W), biased variance."""
    x = x.float()
    mean = x.mean(dim=(0, 2, 3))
    var = x.var(dim=(0, 2, 3), unbiased=False)
    return torch.linalg.vector_norm(mean - bn.running_mean.float()) + torch.linalg.vector_norm(var - bn.running_var.float())


class BNMatching:
    """Forward hooks on every BatchNorm2d of ``model`` recording the statistics distance of its input;
    ``loss()`` gives Σ_l w_l d_l with w_1 = ``first_multiplier``. Use as a context manager (removes hooks)."""

    def __init__(self, model: nn.Module, first_multiplier: float = 10.0):
        self.layers = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
        if not self.layers:
            raise ValueError(
                f"sre2l matches BatchNorm statistics, but the teacher ({type(model).__name__}) has no "
                f"BatchNorm2d layer (an instance/group/layer-norm ConvNet cannot be inverted this way); "
                f"use a BatchNorm teacher, e.g. convnet3 with norm='batch' or resnet18_modified"
            )
        for bn in self.layers:
            if bn.running_mean is None or bn.running_var is None:
                raise ValueError("sre2l needs BatchNorm2d layers with running statistics (track_running_stats=True)")
        self.weights = [float(first_multiplier)] + [1.0] * (len(self.layers) - 1)
        self.distances: list[torch.Tensor | None] = [None] * len(self.layers)
        self._handles = [bn.register_forward_hook(self._hook(i)) for i, bn in enumerate(self.layers)]

    def _hook(self, i: int):
        def record(module, inputs, output):
            self.distances[i] = bn_statistics_distance(inputs[0], module)

        return record

    def loss(self) -> torch.Tensor:
        if any(d is None for d in self.distances):
            raise RuntimeError("not every BatchNorm2d layer ran in the last forward pass")
        total = sum(w * d for w, d in zip(self.weights, self.distances))
        self.distances = [None] * len(self.layers)
        return total

    def remove(self) -> None:
        for h in self._handles:
            h.remove()
        self._handles = []

    def __enter__(self) -> "BNMatching":
        return self

    def __exit__(self, *exc) -> None:
        self.remove()


def cosine_lr(base: float, iteration: int, iterations: int) -> float:
    return 0.5 * (1 + math.cos(math.pi * iteration / iterations)) * base


def recover_batch(teacher: nn.Module, targets: torch.Tensor, *, image_shape: tuple[int, int, int],
                  mean: torch.Tensor, std: torch.Tensor, iterations: int, lr: float, r_bn: float,
                  first_bn_multiplier: float, jitter: int, generator: torch.Generator,
                  num_classes: int, bar=None) -> tuple[torch.Tensor, torch.Tensor]:
    """Optimise one batch of images for ``targets`` (on the teacher's device). Returns the final
    images in normalised space and the loss at every iteration [iterations] (CPU)."""
    device = mean.device
    x = torch.randn(len(targets), *image_shape, generator=generator).to(device).requires_grad_(True)
    y = targets.to(device)
    lo, hi = (0 - mean) / std, (1 - mean) / std
    opt = torch.optim.Adam([x], lr=lr, betas=(0.5, 0.9), eps=1e-8)
    history = torch.empty(iterations, device=device)
    shifts = torch.randint(0, jitter + 1, (iterations, 2), generator=generator).tolist()
    flips = (torch.rand(iterations, generator=generator) < 0.5).tolist()
    with BNMatching(teacher, first_bn_multiplier) as bn:
        for t in range(iterations):
            for group in opt.param_groups:
                group["lr"] = cosine_lr(lr, t, iterations)
            xj = torch.roll(x, shifts=tuple(shifts[t]), dims=(2, 3))
            if flips[t]:
                xj = xj.flip(3)
            logits = teacher(xj).float()
            if t == 0:
                check_logits(logits, num_classes)
            loss = F.cross_entropy(logits, y) + r_bn * bn.loss()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            with torch.no_grad():
                x.clamp_(min=lo, max=hi)
            history[t] = loss.detach()
            if bar is not None:
                bar.update(1)
                if t % 50 == 0 or t == iterations - 1:
                    bar.set_postfix(loss=f"{float(loss.detach()):.3f}")
    return x.detach(), history.cpu()


def run_sre2l(train, ipc, *, teacher, generator, device, options, show_progress=True):
    num_classes = train.num_classes
    batch_size, iterations = options["batch_size"], options["iterations"]
    # Fail before any work when the teacher has no BatchNorm layer.
    BNMatching(teacher).remove()
    mean_v, std_v = teacher_normalisation(teacher, train)
    channels = train.images.shape[1]
    mean = channel_tensor(mean_v, device, channels)
    std = channel_tensor(std_v, device, channels)
    h, w = train.images.shape[2], train.images.shape[3]
    # ipc-index-major targets: (k, c) for k < ipc, c < C.
    classes = torch.arange(num_classes).repeat(ipc)
    slots = torch.arange(ipc).repeat_interleave(num_classes)
    out = torch.empty(ipc * num_classes, channels, h, w, device=device)
    first, last = [], []
    n_batches = -(-len(classes) // batch_size)
    with progress(total=n_batches * iterations, desc=f"sre2l {train.name} ipc {ipc}", enabled=show_progress) as bar:
        for b in range(n_batches):
            sl = slice(b * batch_size, (b + 1) * batch_size)
            x, hist = recover_batch(
                teacher, classes[sl], image_shape=(channels, h, w), mean=mean, std=std,
                iterations=iterations, lr=options["lr"], r_bn=options["r_bn"],
                first_bn_multiplier=options["first_bn_multiplier"], jitter=options["jitter"],
                generator=generator, num_classes=num_classes, bar=bar,
            )
            # class-major position of (k, c): c·ipc + k
            pos = (classes[sl] * ipc + slots[sl]).to(device)
            out[pos] = denormalize(x, mean, std).clamp_(0, 1)
            first.append(round(float(hist[0]), 6))
            last.append(round(float(hist[-1]), 6))
    labels = torch.arange(num_classes).repeat_interleave(ipc)
    extra = {"loss_first": first, "loss_last": last, "normalisation": {"mean": list(mean_v), "std": list(std_v)}}
    return out, labels, extra


SRE2L = Distiller(
    name="sre2l",
    run=run_sre2l,
    summary="SRe2L recover (CIFAR variant): images from noise matching the teacher's class and BatchNorm statistics",
    needs_teacher=True,
    options=(
        Option("iterations", int, 1000, "sre2l: optimisation steps per batch (default 1000, SRe2L's CIFAR script)", 1),
        Option("lr", float, 0.25, "sre2l: Adam learning rate, cosine-decayed to 0 (default 0.25)", 0.0),
        Option("r_bn", float, 0.01, "sre2l: weight of the BatchNorm-statistics term (default 0.01)", 0.0),
        Option("first_bn_multiplier", float, 10.0, "sre2l: weight of the first BatchNorm layer's term, the others weigh 1 (default 10)", 0.0),
        Option("jitter", int, 4, "sre2l: largest random roll in pixels (default 4)", 0),
        Option("batch_size", int, lambda train: train.num_classes,
               "sre2l: images optimised together, targets ordered ipc-index-major (default C: one image per class per batch, as SRe2L)", 1),
    ),
)
