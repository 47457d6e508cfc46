"""Many students at once: the runs of one sweep (seeds, losses, gamma values) trained together in
one engine step, so they share every teacher forward pass, every augmentation and every kernel
launch.

How: K ConvNets are stacked into one network (:class:`StackedConvNet`). The first convolution
maps the shared 3-channel input to K*width channels (member k owns channels k*width ... ); every
later convolution has ``groups=K``, so a member only ever sees its own channels; BatchNorm over
K*width channels keeps per-channel, hence per-member, statistics; GroupNorm/LayerNorm become a
GroupNorm with K times the groups; the classifier is one batched matmul over the K members. The
total loss is the sum of the members' losses. Parameters are disjoint, so each member's gradient is
exactly the gradient of its own loss, and AdamW/Adam/SGD are elementwise, so one optimizer over all
members (one parameter group per distinct lr/weight decay) is K separate optimizers.

On CPU, grouping buys nothing (a grouped convolution costs what K separate ones cost, and K-fold
activations fall out of the cache), so there the stacked network runs its blocks member by member
and the joint run gains what the members share: the teacher forward, the augmentation, the loss
bookkeeping and the optimizer step (about 1.2x in aggregate for K=4 ConvNet-3s on a 2-core EPYC;
see benchmarks/RESULTS.md). The grouped form is for GPUs, where small kernels are launch-bound.

The members' parameters stay in K ordinary ConvNet modules (``StackedConvNet.members``) and are
concatenated at each forward (a few hundred kB copied, nothing next to the convolutions); their
BatchNorm running statistics are views into packed buffers. So a member can be taken out and used
or saved as a plain ConvNet at any time.

Batches. ``share_batches=True`` (default): every member sees the same augmented batches and the
teacher runs once per step on B images. The batch sequence is exactly the engine's for seed
``batch_seed`` (default: the first member's seed): same shuffling and augmentation generators, same
draws. This is the natural mode for loss and gamma sweeps. For members that differ in seed it means
that data order and augmentation are common to all members and only the initialisation differs
from separate runs. ``share_batches=False``: member k draws the engine's batch sequence for its own
seed, the K batches go through the teacher as one K*B batch and through the stacked student as a
grouped input, so every member reproduces its separate run (to floating-point rounding).

Members are initialised exactly as the engine initialises one student (``torch.manual_seed(seed)``
then ``get_model``), so their results can be compared with separate runs of
:func:`gift.train.engine.train_student`.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Iterator, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..models import ConvNet, get_model
from ..protocol import EvalConfig, batch_size_rule, build_optimizer, build_scheduler, checkpoint_epochs
from ..teachers import check_teacher
from ..train.batches import batches_per_epoch, engine_batches
from ..train.compilation import compile_for_training, resolve_compile
from ..train.engine import (
    StudentRun, TrainingDiverged, distributed_context, first_nonfinite, inference_copy, memory_format_for,
    test_accuracy,
)
from ..train.labels import loss_for, resolve_label_source
from ..train.precision import autocast, resolve_precision
from ..train.tensors import TestTensors, TrainTensors
from ..utils import progress

__all__ = ["StackedConvNet", "train_students_together", "check_stackable"]

# Fields that every member of a joint run must share (they fix the network, the batches and the
# schedule); loss, loss_kwargs, lr, weight_decay, momentum and use_learned_lr may differ.
SHARED_FIELDS = ("model", "model_kwargs", "optimizer", "epochs", "batch_size", "num_checkpoints",
                 "augment", "factor", "precision", "label_source")


# --------------------------------------------------------------------------------------------
# The stacked network
# --------------------------------------------------------------------------------------------


@dataclass
class _Block:
    conv: int  # index in ``features`` of each member
    norm: int | None
    norm_kind: str | None  # "batch" | "group" | "layer" | None
    pool: int


def _parse_blocks(net: ConvNet) -> list[_Block]:
    """Conv -> [norm] -> ReLU -> AvgPool blocks of a ConvNet's ``features``."""
    layers = list(net.features)
    blocks, i = [], 0
    while i < len(layers):
        if not isinstance(layers[i], nn.Conv2d):
            raise ValueError(f"unexpected layer {layers[i]!r} in ConvNet.features at {i}")
        conv, norm, kind = i, None, None
        i += 1
        if isinstance(layers[i], nn.BatchNorm2d):
            norm, kind = i, "batch"
            i += 1
        elif isinstance(layers[i], nn.GroupNorm):
            norm, kind = i, "group"
            i += 1
        elif isinstance(layers[i], nn.LayerNorm):
            norm, kind = i, "layer"
            i += 1
        if not isinstance(layers[i], nn.ReLU) or not isinstance(layers[i + 1], nn.AvgPool2d):
            raise ValueError("a ConvNet block must be Conv2d -> [norm] -> ReLU -> AvgPool2d")
        blocks.append(_Block(conv, norm, kind, i + 1))
        i += 2
    return blocks


class StackedConvNet(nn.Module):
    """K ConvNets of one architecture evaluated as one grouped network.

    ``forward(x)`` takes ``[B, C, H, W]`` (one batch shared by all members) or ``[K, B, C, H, W]``
    (member k gets ``x[k]``) and returns logits ``[K, B, classes]``. ``members[k]`` holds member
    k's parameters and (as views) its BatchNorm statistics, so it is a usable ConvNet throughout;
    ``train()``/``eval()`` switch all members. On CPU, blocks whose stacked activations exceed
    ``per_member_bytes`` run member by member (see :meth:`_run_per_member`); None: always grouped."""

    def __init__(self, members: Sequence[nn.Module], per_member_bytes: int | None = 2 * 2**20):
        super().__init__()
        self.per_member_bytes = per_member_bytes
        if not members:
            raise ValueError("StackedConvNet needs at least one member")
        for m in members:
            if not isinstance(m, ConvNet):
                raise ValueError(
                    f"only ConvNets can be stacked (grouped convolutions), got {type(m).__name__}; "
                    "train other architectures one by one with gift.train.engine.train_student"
                )
        first = members[0]
        self.blocks = _parse_blocks(first)
        shapes = [[tuple(p.shape) for p in m.parameters()] for m in members]
        if any(s != shapes[0] for s in shapes) or any(
            [type(l) for l in m.features] != [type(l) for l in first.features] for m in members
        ):
            raise ValueError("all stacked ConvNets must have the same architecture")
        self.members = nn.ModuleList(members)
        self.k = len(members)
        self.width = first.features[self.blocks[0].conv].out_channels
        convs = [first.features[b.conv] for b in self.blocks]
        self._conv_args = [(c.stride, c.padding, c.dilation) for c in convs]
        self._pool_args = [
            (first.features[b.pool].kernel_size, first.features[b.pool].stride) for b in self.blocks
        ]
        for b in self.blocks:
            norm = first.features[b.norm] if b.norm is not None else None
            if b.norm_kind == "batch" and (norm.momentum is None or not norm.track_running_stats):
                raise ValueError("stacked BatchNorm needs momentum and running statistics (the default)")
            if b.norm_kind == "group" and norm.num_channels % norm.num_groups:
                raise ValueError("GroupNorm channels must split evenly into groups")
        self._pack_running_stats()

    # -- BatchNorm running statistics: packed buffers, member buffers are views of them ---------
    def _pack_running_stats(self) -> None:
        for i, b in enumerate(self.blocks):
            if b.norm_kind != "batch":
                continue
            bns = [m.features[b.norm] for m in self.members]
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                packed = torch.stack([getattr(bn, name) for bn in bns])  # [K, W] or [K]
                self.register_buffer(f"_{name}_{i}", packed, persistent=False)
            self._link_running_stats(i)

    def _link_running_stats(self, i: int) -> None:
        b = self.blocks[i]
        for k, m in enumerate(self.members):
            bn = m.features[b.norm]
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                setattr(bn, name, getattr(self, f"_{name}_{i}")[k])

    def _apply(self, fn, recurse=True):
        # members' views are moved separately by Module._apply; re-point them at the packed copy
        super()._apply(fn, recurse)
        for i, b in enumerate(self.blocks):
            if b.norm_kind == "batch":
                self._link_running_stats(i)
        return self

    # -- packed parameters ----------------------------------------------------------------------
    def _cat(self, index: int, name: str) -> Tensor:
        return torch.cat([getattr(m.features[index], name) for m in self.members])

    def forward(self, x: Tensor) -> Tensor:
        k = self.k
        if x.dim() == 5:  # [K, B, C, H, W]: member k gets x[k]
            if x.shape[0] != k:
                raise ValueError(f"per-member input must be [K={k}, B, C, H, W], got {tuple(x.shape)}")
            fmt = torch.channels_last if self._prefers_channels_last() else torch.contiguous_format
            parts: list[Tensor] | None = [x[j].contiguous(memory_format=fmt) for j in range(k)]
            packed = None
        elif x.dim() == 4:
            parts, packed = None, x  # shared input: packed with one block of channels for everyone
        else:
            raise ValueError(f"input must be [B, C, H, W] or [K, B, C, H, W], got {tuple(x.shape)}")
        shared = parts is None
        for i, b in enumerate(self.blocks):
            if self._run_per_member(i, packed if packed is not None else parts[0]):
                if parts is None:  # from packed channels (or the shared input) to one tensor per member
                    if shared:
                        parts = [packed] * k
                    else:
                        c = packed.shape[1] // k
                        parts = [packed[:, j * c : (j + 1) * c] for j in range(k)]
                parts = [self._member_block(j, i, b, parts[j]) for j in range(k)]
                packed = None
            else:
                if packed is None:
                    packed = torch.cat(parts, 1)
                    parts = None
                groups = 1 if shared else k
                packed = self._grouped_block(i, b, packed, groups)
            shared = False
        weight = torch.stack([m.classifier.weight for m in self.members])  # [K, classes, F]
        bias = torch.stack([m.classifier.bias for m in self.members])  # [K, classes]
        if packed is not None:
            feats = packed.reshape(packed.shape[0], k, -1).transpose(0, 1)  # [K, B, F], member's order
        else:
            feats = torch.stack([p.reshape(p.shape[0], -1) for p in parts])
        return torch.baddbmm(bias.unsqueeze(1), feats, weight.transpose(1, 2))

    def _run_per_member(self, i: int, x: Tensor) -> bool:
        """On CPU a block runs member by member unless its K-stacked output is small (at most
        ``per_member_bytes``, default 2 MiB, the L2 of a couple of cores). A grouped convolution costs the
        same as K separate ones on CPU, while BatchNorm/ReLU/pooling are memory-bound and slow down
        sharply once the activations leave the cache (the 32x32 block of K=4 ConvNet-3s is 52 MB
        in bf16): measured on a 2-core EPYC, K=4, per member 850 img/s, grouped 680 img/s. GPUs
        always run the grouped block (one kernel launch instead of K)."""
        if self.per_member_bytes is None or x.device.type != "cpu":
            return False
        stride = self._conv_args[i][0]
        h = (x.shape[-2] + 2 * self._conv_args[i][1][0] - 3) // stride[0] + 1
        w = (x.shape[-1] + 2 * self._conv_args[i][1][1] - 3) // stride[1] + 1
        elem = 2 if _autocast_low_precision(x.device) else x.element_size()
        return x.shape[0] * self.k * self.width * h * w * elem > self.per_member_bytes

    def _grouped_block(self, i: int, b: _Block, x: Tensor, groups: int) -> Tensor:
        stride, padding, dilation = self._conv_args[i]
        groups = groups if i == 0 else self.k
        x = F.conv2d(x, self._cat(b.conv, "weight"), self._cat(b.conv, "bias"), stride, padding, dilation,
                     groups)
        x = F.relu(self._norm(i, b, x), inplace=True)
        kernel, pstride = self._pool_args[i]
        return F.avg_pool2d(x, kernel, pstride)

    def _member_block(self, j: int, i: int, b: _Block, x: Tensor) -> Tensor:
        """Block ``i`` of member ``j`` alone (its BatchNorm statistics are views of the packed ones)."""
        m = self.members[j]
        conv = m.features[b.conv]
        stride, padding, dilation = self._conv_args[i]
        x = F.conv2d(x, conv.weight, conv.bias, stride, padding, dilation)
        if b.norm_kind is not None:
            norm = m.features[b.norm]
            if b.norm_kind == "batch":
                if self.training and j == 0:
                    getattr(self, f"_num_batches_tracked_{i}").add_(1)
                x = F.batch_norm(x, norm.running_mean, norm.running_var, norm.weight, norm.bias, self.training,
                                 norm.momentum, norm.eps)
            else:
                x = norm(x)
        x = F.relu(x, inplace=True)
        kernel, pstride = self._pool_args[i]
        return F.avg_pool2d(x, kernel, pstride)

    def _prefers_channels_last(self) -> bool:
        w = self.members[0].features[self.blocks[0].conv].weight
        return w.is_contiguous(memory_format=torch.channels_last) and not w.is_contiguous()

    def _norm(self, i: int, b: _Block, x: Tensor) -> Tensor:
        if b.norm_kind is None:
            return x
        norm = self.members[0].features[b.norm]
        if b.norm_kind == "batch":
            if self.training:
                getattr(self, f"_num_batches_tracked_{i}").add_(1)
            return F.batch_norm(
                x, getattr(self, f"_running_mean_{i}").view(-1), getattr(self, f"_running_var_{i}").view(-1),
                self._cat(b.norm, "weight"), self._cat(b.norm, "bias"), self.training, norm.momentum,
                norm.eps,
            )
        if b.norm_kind == "group":
            return F.group_norm(x, norm.num_groups * self.k, self._cat(b.norm, "weight"),
                                self._cat(b.norm, "bias"), norm.eps)
        # LayerNorm over a member's (C, H, W) = GroupNorm with one group per member, then the
        # member's elementwise affine
        out = F.group_norm(x, self.k, None, None, norm.eps)
        return out * self._cat(b.norm, "weight") + self._cat(b.norm, "bias")


def _autocast_low_precision(device: torch.device) -> bool:
    try:
        return torch.is_autocast_enabled(device.type) and torch.get_autocast_dtype(device.type).itemsize == 2
    except (AttributeError, TypeError):  # torch < 2.4
        if device.type == "cpu":
            return torch.is_autocast_cpu_enabled()
        return torch.is_autocast_enabled()


# --------------------------------------------------------------------------------------------
# Compatibility of the members' configs
# --------------------------------------------------------------------------------------------


def check_stackable(configs: Sequence[EvalConfig], seeds: Sequence[int], num_images: int | None = None) -> None:
    """Raise ValueError unless ``configs`` can be trained together (see :data:`SHARED_FIELDS`)."""
    if len(configs) == 0:
        raise ValueError("train_students_together needs at least one config")
    if len(configs) != len(seeds):
        raise ValueError(
            f"one seed per config: got {len(configs)} config(s) and {len(seeds)} seed(s); "
            "repeat a config to train it with several seeds"
        )
    first = configs[0]
    for j, cfg in enumerate(configs[1:], start=1):
        for name in SHARED_FIELDS:
            a, b = getattr(first, name), getattr(cfg, name)
            if name == "batch_size" and num_images is not None:
                a = a or batch_size_rule(num_images)
                b = b or batch_size_rule(num_images)
            if a != b:
                raise ValueError(
                    f"configs[{j}].{name} = {b!r} differs from configs[0].{name} = {a!r}; members "
                    f"trained together must agree on {', '.join(SHARED_FIELDS)} (they may differ in "
                    "loss, loss_kwargs, lr, weight_decay, momentum); train the others separately"
                )
    if not first.model.startswith("convnet"):
        raise ValueError(
            f"many-models mode stacks ConvNets with grouped convolutions; model {first.model!r} is "
            "not a ConvNet, train it with gift.train.engine.train_student"
        )


# --------------------------------------------------------------------------------------------
# Batches: the engine's sequence, reproduced
# --------------------------------------------------------------------------------------------


def _per_member_batches(streams: list[Iterator]) -> Iterator[tuple[int, int, Tensor, Tensor]]:
    """Zip K engine batch streams into ``(epoch, step, idx [K, B], x [K, B, C, H, W])``."""
    for items in zip(*streams):
        epoch, step = items[0][0], items[0][1]
        idx = torch.stack([it[2] for it in items])
        x = torch.stack([it[3] for it in items])
        yield epoch, step, idx, x


# --------------------------------------------------------------------------------------------
# Optimizer: one per member, merged
# --------------------------------------------------------------------------------------------


def _joint_optimizer(configs, members, learned_lr) -> torch.optim.Optimizer:
    """Build each member's optimizer as the engine would, then merge them into one optimizer with
    one parameter group per distinct set of hyperparameters (elementwise updates: identical)."""
    optimizers = [build_optimizer(c, m.parameters(), learned_lr) for c, m in zip(configs, members)]
    cls = type(optimizers[0])
    groups: list[dict] = []
    for opt in optimizers:
        if type(opt) is not cls:  # guaranteed by check_stackable; kept as a guard
            raise ValueError("members must use the same optimizer type")
        for group in opt.param_groups:
            hyper = {k: v for k, v in group.items() if k != "params"}
            for g in groups:
                if {k: v for k, v in g.items() if k != "params"} == hyper:
                    g["params"].extend(group["params"])
                    break
            else:
                groups.append({"params": list(group["params"]), **hyper})
    return cls(groups)


# --------------------------------------------------------------------------------------------
# Training
# --------------------------------------------------------------------------------------------


def train_students_together(
    data: TrainTensors,
    test: TestTensors,
    configs: Sequence[EvalConfig],
    seeds: Sequence[int],
    *,
    teacher: nn.Module | None = None,
    device: torch.device | str = "cpu",
    share_batches: bool = True,
    batch_seed: int | None = None,
    show_progress: bool = True,
    check_every: int = 10,
    compile: str | None = None,
) -> list[StudentRun]:
    """Train member k = (``configs[k]``, ``seeds[k]``) for every k in one joint run; returns one
    :class:`~gift.train.engine.StudentRun` per member, in order.

    ``share_batches=True``: all members see the engine's batch sequence for ``batch_seed``
    (default ``seeds[0]``), with one teacher forward per step. ``share_batches=False``: member k
    sees the engine's batches for ``seeds[k]`` (the teacher runs on the K*B images at once).
    Configs must agree on model, optimizer, epochs, batch size, checkpoints, augmentation, factor,
    precision and label source; ``config.seeds`` is ignored (``seeds`` says it). Each run's
    ``wall_time_s`` is its share of the joint wall time (total / K), so summing the runs gives the
    wall time of the joint run, as for separate runs. Single process only (no torchrun).
    ``compile`` as in :func:`gift.train.engine.train_student`: the stacked student and the teacher."""
    device = torch.device(device)
    configs, seeds = list(configs), [int(s) for s in seeds]
    check_stackable(configs, seeds, data.images.shape[0])
    if distributed_context()[1] > 1:
        raise ValueError("train_students_together runs in one process; under torchrun use train_student")
    config = configs[0]
    k = len(configs)
    precision = resolve_precision(config.precision, device)
    data, test = data.to(device), TestTensors(test.images.to(device), test.labels.to(device))
    source = resolve_label_source(config, teacher, data)

    members = []
    image_size = data.images.shape[-1]
    for seed in seeds:  # exactly the engine's initialisation of one student
        torch.manual_seed(seed)
        net = get_model(config.model, data.num_classes, image_size, **config.model_kwargs).to(device)
        members.append(net.to(memory_format=memory_format_for(net)))
    fmt = memory_format_for(members[0])
    model = StackedConvNet(members)
    if teacher is not None and source == "teacher":
        check_teacher(teacher, num_classes=data.num_classes, against="the distilled set", probe=data.images)
        teacher = inference_copy(teacher.to(device))  # as the single-model engine: BatchNorm folded

    loss_fns = [loss_for(c, source) for c in configs]
    optimizer = _joint_optimizer(configs, members, data.learned_lr)
    scheduler = build_scheduler(optimizer, config.epochs)

    n = data.images.shape[0]
    batch = config.batch_size or batch_size_rule(n)
    steps_per_epoch = batches_per_epoch(n, batch)
    use_compile = resolve_compile(compile, device, steps=config.epochs * steps_per_epoch)
    train_model, teacher = compile_for_training(model, teacher if source == "teacher" else None, use_compile)
    if share_batches:
        batches = engine_batches(data, config, seeds[0] if batch_seed is None else batch_seed, device, fmt)
    else:
        if batch_seed is not None:
            raise ValueError("batch_seed applies to share_batches=True; per-member batches use each member's seed")
        batches = _per_member_batches([engine_batches(data, config, s, device) for s in seeds])
    checkpoints = set(checkpoint_epochs(config.epochs, config.num_checkpoints))
    losses = torch.zeros(k, config.epochs, steps_per_epoch, device=device)
    results: list[list[dict]] = [[] for _ in range(k)]

    start = time.perf_counter()
    bar = progress(total=config.epochs, desc=f"{k} students", enabled=show_progress, leave=False)
    epoch_started = -1
    for epoch, step, idx, x in batches:
        if epoch != epoch_started:
            epoch_started = epoch
            for fn in loss_fns:
                fn.set_epoch(epoch + 1, config.epochs)
        labels = data.labels[idx]  # [B] or [K, B]
        with autocast(precision, device):
            if source == "teacher":
                with torch.no_grad():
                    if share_batches:
                        target = teacher(x)
                    else:
                        flat = x.flatten(0, 1).contiguous(memory_format=memory_format_for(teacher))
                        target = teacher(flat).view(k, x.shape[1], -1)
            else:
                target = data.soft_labels[idx] if source == "stored" else None
            out = train_model(x)  # [K, B, C]
        member_losses = []
        for j, fn in enumerate(loss_fns):
            t_j = None if target is None else (target if share_batches else target[j]).float()
            y_j = labels if share_batches else labels[j]
            member_losses.append(fn(out[j].float(), t_j, y_j))
        stacked = torch.stack(member_losses)
        if step == 0 and epoch == 0:
            for fn in loss_fns:
                fn.validate = False
        optimizer.zero_grad(set_to_none=True)
        stacked.sum().backward()
        optimizer.step()
        losses[:, epoch, step] = stacked.detach()
        if step == steps_per_epoch - 1:
            scheduler.step()
            done = epoch + 1
            if done % check_every == 0 or done in checkpoints or done == config.epochs:
                _raise_if_any_diverged(losses[:, :done], configs, seeds)
            if done in checkpoints:
                # each member on its folded copy, exactly as the single-model engine measures it
                accs = [test_accuracy(m, test, precision=precision, memory_format=fmt) for m in model.members]
                for j, acc in enumerate(accs):
                    results[j].append({"epoch": done, "accuracy": acc})
                bar.set_postfix(acc=f"{max(accs):.2f}")
            bar.update(1)
    bar.close()
    wall = time.perf_counter() - start
    epoch_loss = losses.mean(2).tolist()
    runs = []
    for j in range(k):
        runs.append(StudentRun.from_checkpoints(
            seeds[j], results[j], wall_time_s=wall / k,
            epoch_loss=[round(v, 6) for v in epoch_loss[j]], steps=config.epochs * steps_per_epoch,
            precision=precision, compiled=use_compile,
        ))
    return runs


def _raise_if_any_diverged(losses: Tensor, configs, seeds) -> None:
    if bool(torch.isfinite(losses).all()):
        return
    member = int((~torch.isfinite(losses)).flatten(1).any(1).nonzero()[0])
    epoch, step, value = first_nonfinite(losses[member])
    raise TrainingDiverged(
        f"member {member} (loss {configs[member].loss!r}, seed {seeds[member]}) became "
        f"{value} at epoch {epoch}, step {step}; the joint run stopped "
        f"instead of reporting chance accuracy. Lower its learning rate, or train it separately"
    )
