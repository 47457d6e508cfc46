"""The evaluation protocol of the paper (Table 11) and of the authors' code:
configuration, batch-size rule, optimizers, learning-rate schedule and checkpoint epochs."""
from __future__ import annotations

import dataclasses
import math
import numbers
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

import torch

from .config import config_from_dict, config_to_dict, strict_keywords
from .augment import AUGMENTATIONS
from .losses import LOSSES
from .models import model_options
from .registry import Registry

LABEL_SOURCES = ("auto", "teacher", "stored", "hard")
#: ``auto``: bf16 autocast where the hardware runs it natively, else fp32 (:mod:`gift.train.precision`)
PRECISIONS = ("auto", "bf16", "fp32")
#: the learning rate is multiplied by this at each milestone (MultiStepLR, the authors' code)
LR_DECAY = 0.2
#: a run with seed s draws its augmentations from a generator seeded s * AUG_SEED_STRIDE + stream
#: (stream: the DDP rank), apart from its shuffling generator (seeded s)
AUG_SEED_STRIDE = 1_000_003


@strict_keywords
@dataclass
class EvalConfig:
    """Everything that decides the numbers of one evaluation of a distilled set.

    Defaults are the authors' code: AdamW (lr 1e-3, wd 1e-4), MultiStepLR at 2E/3 and 5E/6 with
    factor 0.2, 1000 epochs, the batch-size rule, test accuracy every E/4 epochs, 3 seeds,
    the authors' DSA, a frozen teacher relabelling every augmented batch, and the GIFT loss."""

    model: str = "convnet3"
    model_kwargs: dict = field(default_factory=dict)
    loss: str = "gift"
    loss_kwargs: dict = field(default_factory=dict)
    label_source: str = "auto"  # teacher (online relabel) | stored (set's soft labels) | hard
    optimizer: str = "adamw"
    lr: float | None = None  # None: the optimizer's default, 1e-4 for Swin/ViT under AdamW (default_lr)
    weight_decay: float | None = None
    momentum: float | None = None  # SGD only
    epochs: int = 1000
    batch_size: int | None = None  # None: the authors' rule, batch_size_rule(N)
    num_checkpoints: int = 4  # test accuracy every E/num_checkpoints epochs
    augment: str = "dsa"  # dsa (authors) | dsa_single (MTT/DATM) | none
    factor: int = 1  # RandomFactorResizedCrop factor (2 only for RDED ImageNet ResNet-18)
    seeds: tuple = (0, 1, 2)
    precision: str = "auto"  # auto | bf16 | fp32
    use_learned_lr: bool = False  # use the set's learned lr (DATM) instead of ``lr``

    def __post_init__(self):
        self._check_types()
        if self.label_source not in LABEL_SOURCES:
            raise ValueError(
                f"unknown label_source {self.label_source!r}; valid: {', '.join(LABEL_SOURCES)}"
            )
        if self.precision not in PRECISIONS:
            raise ValueError(f"unknown precision {self.precision!r}; valid: {', '.join(PRECISIONS)}")
        if self.epochs < 1:
            raise ValueError(f"epochs must be >= 1, got {self.epochs}")
        if not 1 <= self.num_checkpoints <= self.epochs:
            raise ValueError(
                f"num_checkpoints must be in [1, epochs={self.epochs}], got {self.num_checkpoints}"
            )
        if self.batch_size is not None and self.batch_size < 1:
            raise ValueError(f"batch_size must be >= 1 or None (rule), got {self.batch_size}")
        if self.factor < 1:
            raise ValueError(f"factor must be >= 1, got {self.factor}")
        for name, low_ok in (("lr", False), ("weight_decay", True), ("momentum", True)):
            value = getattr(self, name)
            if value is not None and not (math.isfinite(value) and (value > 0 or (low_ok and value == 0))):
                raise ValueError(f"{name} must be a finite number {'>= 0' if low_ok else '> 0'} or None "
                                 f"(the optimizer's default), got {value}")
        self.seeds = tuple(int(s) for s in self.seeds)
        if not self.seeds:
            raise ValueError("seeds is empty; give at least one seed, e.g. seeds=(0,)")
        repeated = sorted({s for s in self.seeds if self.seeds.count(s) > 1})
        if repeated:  # the same seed twice is the same run twice, reported as two
            raise ValueError(f"seeds {repeated} are repeated; give each seed once, e.g. seeds=(0, 1, 2)")
        if any(s < 0 for s in self.seeds):
            raise ValueError(f"seeds must be >= 0, got {list(self.seeds)}")
        # fail early, before any data is loaded, on an unknown name
        if OPTIMIZERS.get(self.optimizer).momentum is None and self.momentum is not None:
            takes = ", ".join(n for n in OPTIMIZERS.names() if OPTIMIZERS.get(n).momentum is not None)
            raise ValueError(f"momentum={self.momentum} has no effect with optimizer {self.optimizer!r}; "
                             f"only {takes} takes a momentum: drop it or pass optimizer='sgd'")
        AUGMENTATIONS.get(self.augment)
        self.loss = LOSSES.canonical(self.loss)  # the authors' spellings (softce) name the same run
        self.loss_kwargs = canonical_kwargs(LOSSES.get(self.loss)(**self.loss_kwargs).defaults, self.loss_kwargs)
        options = model_options(self.model)
        unknown = sorted(set(self.model_kwargs) - set(options))
        if unknown:
            raise ValueError(f"model {self.model!r} got unknown option(s) {unknown}; it accepts: "
                             f"{', '.join(options) or 'no extra options'}")
        self.model_kwargs = canonical_kwargs(options, self.model_kwargs)

    def _check_types(self) -> None:
        """Wrong types fail here with the field's name, not later in a comparison or a loop."""
        for name in ("epochs", "num_checkpoints", "factor") + ("batch_size",) * (self.batch_size is not None):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, numbers.Integral):
                raise ValueError(f"{name} must be an integer, got {value!r}")
            setattr(self, name, int(value))  # a NumPy integer would not serialise into the run's key
        for name in ("lr", "weight_decay", "momentum"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, numbers.Real)):
                raise ValueError(f"{name} must be a number or None, got {value!r}")
        for name in ("model_kwargs", "loss_kwargs"):
            if not isinstance(getattr(self, name), dict):
                raise ValueError(f"{name} must be a dict, e.g. {name}={{}}, got {getattr(self, name)!r}")
        if not isinstance(self.seeds, (str, bytes)) and isinstance(self.seeds, Iterable):
            self.seeds = tuple(self.seeds)  # a generator is read once, here
        if not isinstance(self.seeds, tuple) or not all(
                isinstance(s, numbers.Integral) and not isinstance(s, bool) for s in self.seeds):
            raise ValueError(f"seeds must be a sequence of integers, e.g. seeds=(0, 1, 2), got {self.seeds!r}")

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> "EvalConfig":
        return config_from_dict(cls, values)

    def to_dict(self) -> dict[str, Any]:
        return config_to_dict(self)

    def replace(self, **changes) -> "EvalConfig":
        return dataclasses.replace(self, **changes)


def canonical_kwargs(defaults: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    """``given`` without the entries equal to their defaults, sorted: spelling a default out
    (``gamma=0.1``) names the same run, so it hits the same stored result."""
    return {k: given[k] for k in sorted(given) if k not in defaults or defaults[k] != given[k]}


def batch_size_rule(num_images: int) -> int:
    """The authors' rule: <=10 -> 10, <=500 -> 50, <=20000 -> 100, else 200."""
    if num_images <= 0:
        raise ValueError("the distilled set is empty: there is nothing to train on")
    if num_images <= 10:
        return 10
    if num_images <= 500:
        return 50
    if num_images <= 20000:
        return 100
    return 200


def lr_milestones(epochs: int) -> list[int]:
    """MultiStepLR milestones at floor(2E/3) and floor(5E/6)."""
    return [2 * epochs // 3, 5 * epochs // 6]


def augmentation_seed(seed: int, stream: int = 0) -> int:
    """The seed of a run's augmentation generator (:data:`AUG_SEED_STRIDE`)."""
    return seed * AUG_SEED_STRIDE + stream


def build_scheduler(optimizer: torch.optim.Optimizer, epochs: int) -> torch.optim.lr_scheduler.MultiStepLR:
    """The protocol's schedule: the learning rate times :data:`LR_DECAY` at :func:`lr_milestones`
    (stepped once per epoch)."""
    return torch.optim.lr_scheduler.MultiStepLR(optimizer, lr_milestones(epochs), gamma=LR_DECAY)


def checkpoint_epochs(epochs: int, num_checkpoints: int) -> list[int]:
    """Epochs (1-based, after training that epoch) at which test accuracy is measured.

    The authors test when the epoch count is a multiple of floor(E/4); for E=1000 that is
    250, 500, 750, 1000. When num_checkpoints does not divide E, the last multiple is moved to E,
    so there are exactly num_checkpoints points and the last is the final epoch (E=10: 2, 4, 6,
    10; the authors' loop would also test at 8)."""
    step = max(epochs // num_checkpoints, 1)
    points = [step * k for k in range(1, num_checkpoints + 1) if step * k <= epochs]
    if points[-1] != epochs:
        points[-1] = epochs
    return points


# ----------------------------------------------------------------------------------- optimizers


@dataclass(frozen=True)
class OptimizerSpec:
    """How to build one optimizer and its defaults (with the reason for them)."""

    build: Callable[..., torch.optim.Optimizer]
    lr: float
    weight_decay: float
    momentum: float | None
    why: str


OPTIMIZERS: Registry[OptimizerSpec] = Registry("optimizer")

OPTIMIZERS.register("adamw")(
    OptimizerSpec(
        build=lambda params, lr, weight_decay, momentum: torch.optim.AdamW(
            params, lr=lr, weight_decay=weight_decay
        ),
        lr=1e-3,
        weight_decay=1e-4,
        momentum=None,
        why="authors' code (validate/evaluator_benchmark.py): AdamW lr 1e-3, wd 1e-4 on all params",
    )
)
OPTIMIZERS.register("adam")(
    OptimizerSpec(
        build=lambda params, lr, weight_decay, momentum: torch.optim.Adam(
            params, lr=lr, weight_decay=weight_decay
        ),
        lr=1e-3,
        weight_decay=1e-4,
        momentum=None,
        why="same numbers as AdamW; the only change is that Adam couples weight decay into the "
        "gradient (L2), as torch.optim.Adam does. The paper does not state its Adam settings.",
    )
)
OPTIMIZERS.register("sgd")(
    OptimizerSpec(
        build=lambda params, lr, weight_decay, momentum: torch.optim.SGD(
            params, lr=lr, weight_decay=weight_decay, momentum=momentum
        ),
        lr=0.01,
        weight_decay=5e-4,
        momentum=0.9,
        why="the paper does not state its SGD settings; lr 0.01, momentum 0.9, wd 5e-4 are the "
        "DC/DSA/MTT/DATM/DD-Ranking evaluation defaults for ConvNets on distilled data",
    )
)


def list_optimizers() -> list[str]:
    return OPTIMIZERS.names()


# The authors' code trains transformers with a 10x smaller AdamW learning rate (
# model in {swin_v2_t, vit_b_16} -> lr 1e-4); every other model uses the optimizer's default.
MODEL_DEFAULT_LR = {("adamw", "swin_v2_t"): 1e-4, ("adamw", "vit_b_16"): 1e-4}


def default_lr(config: EvalConfig) -> float:
    """The learning rate a run uses when ``config.lr`` is None: the optimizer's default, or the
    authors' exception for the model."""
    if config.lr is not None:
        return config.lr
    return MODEL_DEFAULT_LR.get((config.optimizer, config.model), OPTIMIZERS.get(config.optimizer).lr)


def build_optimizer(
    config: EvalConfig, params: Iterable[torch.nn.Parameter], learned_lr: float | None = None
) -> torch.optim.Optimizer:
    spec = OPTIMIZERS.get(config.optimizer)
    lr = default_lr(config)
    if config.use_learned_lr:
        if learned_lr is None:
            raise ValueError(
                "use_learned_lr=True but the distilled set carries no learned lr (lr.pt); "
                "set use_learned_lr=False or pass lr"
            )
        lr = float(learned_lr)
    wd = config.weight_decay if config.weight_decay is not None else spec.weight_decay
    momentum = config.momentum if config.momentum is not None else spec.momentum  # EvalConfig refused the rest
    return spec.build(params, lr, wd, momentum)


def resolved_hparams(config: EvalConfig, num_images: int, learned_lr: float | None = None) -> dict:
    """The concrete numbers a run uses (defaults filled in), recorded with every result."""
    spec = OPTIMIZERS.get(config.optimizer)
    lr = default_lr(config)
    if config.use_learned_lr and learned_lr is not None:
        lr = float(learned_lr)
    return {
        "batch_size": config.batch_size or batch_size_rule(num_images),
        "lr": lr,
        "weight_decay": config.weight_decay if config.weight_decay is not None else spec.weight_decay,
        "momentum": config.momentum if config.momentum is not None else spec.momentum,
        "milestones": lr_milestones(config.epochs),
        "lr_gamma": LR_DECAY,
        "checkpoints": checkpoint_epochs(config.epochs, config.num_checkpoints),
    }
