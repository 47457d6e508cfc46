"""Label losses for training a student on a distilled dataset: GIFT, the losses the GIFT authors
compared (ce, kl, soft_ce, mse, mse_ce, kl_ce, soft_ce_ce, cosine) and the KD baselines of the
paper's Table 3 (kd, wsld, dkd, nkd).

Every loss is a :class:`LabelLoss` looked up by name (``get_loss("gift")``) and called as
``loss(student_logits, teacher_logits, labels)``. ``teacher_logits`` are the raw logits of the
frozen teacher on the same augmented batch, or the stored soft labels of a distilled set (DATM).
All arithmetic is done in at least float32, because bf16 softmax/normalise loses too much to
compare runs; float64 inputs stay float64, so the formulas can be checked to ~1e-12.

Formulas follow the authors' evaluation code and, for the KD baselines, the reference implementations (cls_KD, mdistiller).
"""
from __future__ import annotations

import math
import sys
import warnings
from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .registry import Registry

__all__ = [
    "LOSSES",
    "LabelLoss",
    "get_loss",
    "list_losses",
    "smooth_labels",
    "refine_labels",
    "gift_loss",
]

LOSSES: Registry[type["LabelLoss"]] = Registry("loss")

# Names used by the authors' scripts (`--criterion_name softce`), accepted as spellings of ours.
_ALIASES = {"softce": "soft_ce", "softce_ce": "soft_ce_ce"}

SMOOTHING_CONVENTIONS = ("gift", "pytorch")
REFINE_CONVENTIONS = ("paper", "official")
SOFT_LABEL_KINDS = ("logits", "probs")

_INTEGER_DTYPES = (torch.int8, torch.int16, torch.int32, torch.int64, torch.uint8)


# ------------------------------------------------------------------------------------------------
# Label smoothing and GIFT label refinement
# ------------------------------------------------------------------------------------------------
def _one_of(what: str, value: Any, valid: tuple[str, ...]) -> None:
    if value not in valid:
        raise ValueError(f"unknown {what} {value!r}; valid values are: {', '.join(map(repr, valid))}")


def smooth_labels(labels: Tensor, num_classes: int, alpha: float, convention: str = "gift") -> Tensor:
    """Smoothed one-hot labels, [B, C] float32.

    ``convention="gift"`` (authors' code): off-class entries alpha/(C-1), true class 1-alpha.
    ``convention="pytorch"`` (``F.cross_entropy(label_smoothing=alpha)``): off-class alpha/C,
    true class 1-alpha+alpha/C. Both rows sum to 1; they differ slightly in the peak height.
    """
    _one_of("smoothing convention", convention, SMOOTHING_CONVENTIONS)
    if num_classes < 2:
        raise ValueError(f"label smoothing needs at least 2 classes, got num_classes={num_classes}")
    _check_class_indices("smooth_labels", labels, num_classes)
    return _smooth(labels, num_classes, alpha, convention)


def _smooth(labels: Tensor, num_classes: int, alpha: float, convention: str,
            dtype: torch.dtype = torch.float32) -> Tensor:
    """smooth_labels without the checks (the losses have checked their inputs already)."""
    labels = labels.long().view(-1, 1)
    if convention == "gift":
        off, on = alpha / (num_classes - 1), 1.0 - alpha
    else:
        off, on = alpha / num_classes, 1.0 - alpha + alpha / num_classes
    out = torch.full((labels.shape[0], num_classes), off, dtype=dtype, device=labels.device)
    return out.scatter_(1, labels, on)


def _work_dtype(x: Tensor) -> torch.dtype:
    """float32 for bf16/fp16/fp32 inputs, float64 for float64 ones."""
    return torch.promote_types(x.dtype, torch.float32)


def _label_dtype_error(labels: Any) -> str | None:
    """Why ``labels`` are not class indices (a float tensor would be cast silently), or None."""
    if isinstance(labels, Tensor) and labels.dtype in _INTEGER_DTYPES:
        return None
    got = labels.dtype if isinstance(labels, Tensor) else type(labels).__name__
    return f"labels must be an integer tensor of class indices, got {got}; use labels.long()"


def _label_range_error(labels: Tensor, num_classes: int, what: str) -> str | None:
    """Why integer ``labels`` fall outside [0, C) (``scatter_`` would crash without naming the
    argument), or None. Needs a host sync, so the loss call skips it once validated."""
    if not labels.numel():
        return None
    lo, hi = int(labels.min()), int(labels.max())
    if lo >= 0 and hi < num_classes:
        return None
    return (f"labels must lie in [0, {num_classes}) for {what}, got values in [{lo}, {hi}]; "
            "check the class mapping of the dataset")


def _check_class_indices(who: str, labels: Any, num_classes: int) -> None:
    """The label checks of the functional helpers (``refine_labels``, ``smooth_labels``)."""
    problem = _label_dtype_error(labels) or _label_range_error(labels, num_classes, f"num_classes={num_classes}")
    if problem:
        raise ValueError(f"{who}: {problem}")


def _check_refine_args(alpha: float, gamma: float, convention: str, smoothing: str, soft: str) -> None:
    """Fail early (at loss construction) on hyperparameters refine_labels cannot use."""
    _one_of("refinement convention", convention, REFINE_CONVENTIONS)
    _one_of("smoothing", smoothing, SMOOTHING_CONVENTIONS)
    _one_of("soft label kind", soft, SOFT_LABEL_KINDS)
    if not 0.0 <= alpha < 1.0:
        raise ValueError(f"alpha (label smoothing) must be in [0, 1), got {alpha}")
    if convention == "paper" and not 0.0 <= gamma <= 1.0:
        raise ValueError(f"gamma must be in [0, 1] for convention='paper' (a convex weight), got {gamma}")
    if convention == "official" and gamma < 0.0:
        raise ValueError(f"gamma must be >= 0 for convention='official', got {gamma}")


def refine_labels(
    teacher_logits: Tensor,
    labels: Tensor,
    num_classes: int,
    alpha: float = 0.1,
    gamma: float = 0.1,
    convention: str = "paper",
    smoothing: str = "gift",
    soft: str = "logits",
) -> Tensor:
    """GIFT's refined label r, [B, C] float32 (float64 for float64 logits) (paper Section 4).

    s = smooth_labels(labels, alpha); soft = teacher logits (``soft="logits"``, authors' code) or
    their softmax (``soft="probs"``); n() = row-wise L2 normalisation.

    - ``convention="paper"``:    r = gamma * n(s) + (1 - gamma) * n(soft)
    - ``convention="official"``: r = n(soft) + gamma * n(s)   (exactly the released code)

    Only r's direction matters to the cosine loss, so "official" with gamma equals "paper" with
    gamma / (1 + gamma) (0.1 -> 0.0909).
    """
    _check_refine_args(alpha, gamma, convention, smoothing, soft)
    if teacher_logits.dim() != 2 or teacher_logits.shape[1] != num_classes:
        raise ValueError(
            f"refine_labels: teacher_logits must have shape [B, {num_classes}], got {tuple(teacher_logits.shape)}"
        )
    _check_class_indices("refine_labels", labels, num_classes)
    if labels.shape != teacher_logits.shape[:1]:
        raise ValueError(
            f"refine_labels: labels must have shape [{teacher_logits.shape[0]}] (one class index per row), "
            f"got {tuple(labels.shape)}"
        )
    return _refine(teacher_logits, labels, num_classes, alpha, gamma, convention, smoothing, soft)


def _refine(t: Tensor, labels: Tensor, num_classes: int, alpha: float, gamma: float, convention: str,
            smoothing: str, soft: str) -> Tensor:
    """refine_labels without the checks: the losses validate once, not on every step."""
    t = t.to(_work_dtype(t))
    soft_label = F.softmax(t, dim=1) if soft == "probs" else t
    n_soft = _unit(soft_label)
    n_smooth = _unit(_smooth(labels, num_classes, alpha, smoothing, t.dtype).to(t.device))
    if convention == "paper":
        return gamma * n_smooth + (1.0 - gamma) * n_soft
    return n_soft + gamma * n_smooth


# ------------------------------------------------------------------------------------------------
# Functional pieces shared by several losses (inputs already float32 or float64)
# ------------------------------------------------------------------------------------------------
def _unit(x: Tensor) -> Tensor:
    """Row-wise L2 normalisation that is exact for any finite values.

    ``F.normalize`` squares the entries, so float32 rows above ~1e19 overflow to an infinite norm
    (and a zero unit vector). Each row is first divided by a power of two near its largest
    magnitude (detached: normalisation is scale-invariant, and a power of two scales exactly), so
    rows of ordinary size give bit-for-bit the same result as before."""
    scale = _row_scale(x)
    return F.normalize(x / scale, dim=1)


def _row_scale(x: Tensor) -> Tensor:
    """[B, 1] powers of two near each row's largest magnitude (1 for an all-zero row)."""
    amax = x.detach().abs().amax(dim=1, keepdim=True)
    _, exponent = torch.frexp(torch.where(amax > 0, amax, torch.ones_like(amax)))
    return torch.ldexp(torch.ones_like(amax), exponent.to(amax.dtype))


def _row_norm(x: Tensor) -> Tensor:
    """[B, 1] row L2 norms without the overflow of squaring huge entries (see :func:`_unit`)."""
    scale = _row_scale(x)
    return (x / scale).norm(dim=1, keepdim=True) * scale


def _cosine_loss(a: Tensor, b: Tensor) -> Tensor:
    """1 - mean row cosine; normalise first so huge logits cannot overflow the dot product."""
    return 1.0 - (_unit(a) * _unit(b)).sum(dim=1).mean()


def _kl(s: Tensor, t: Tensor, T: float) -> Tensor:
    """batchmean KL(softmax(t/T) || softmax(s/T)); log-space target keeps 0*log0 terms finite."""
    return F.kl_div(F.log_softmax(s / T, 1), F.log_softmax(t / T, 1), reduction="batchmean", log_target=True)


def _soft_ce(s: Tensor, t: Tensor, T: float) -> Tensor:
    return -(F.softmax(t / T, 1) * F.log_softmax(s / T, 1)).sum(dim=1).mean()


def _target_mask(labels: Tensor, like: Tensor) -> Tensor:
    return torch.zeros_like(like, dtype=torch.bool).scatter_(1, labels.view(-1, 1), True)


def _log_binary(z: Tensor, mask: Tensor) -> Tensor:
    """log([p_y, 1 - p_y]) of softmax(z), computed in log space so it stays finite at any scale."""
    lse_all = torch.logsumexp(z, dim=1)
    log_py = z.masked_fill(~mask, 0.0).sum(dim=1) - lse_all
    log_rest = torch.logsumexp(z.masked_fill(mask, float("-inf")), dim=1) - lse_all
    return torch.stack([log_py, log_rest], dim=1)


def _log_non_target(z: Tensor, mask: Tensor) -> Tensor:
    """Log-softmax over the non-target classes only; the target entry is set to 0 (not -inf)
    so that products with a zero probability stay finite in the forward and backward pass."""
    return F.log_softmax(z.masked_fill(mask, float("-inf")), dim=1).masked_fill(mask, 0.0)


# ------------------------------------------------------------------------------------------------
# Base class
# ------------------------------------------------------------------------------------------------
class LabelLoss(nn.Module):
    """Base class: ``loss(student_logits, teacher_logits=None, labels=None) -> scalar``.

    Subclasses set ``name`` (via :func:`_register`), ``needs_teacher``, ``needs_labels`` and
    ``defaults`` (hyperparameter -> default), and implement ``_loss(s, t, y)`` on float32 tensors
    (float64 when the caller passes float64).

    ``validate=True`` adds the checks that need a device->host sync (NaN/Inf, label range); the
    training engine turns it off after the first step. Checks that read only shapes and dtypes
    (missing tensors, shape mismatch, label dtype) are free and always run.
    """

    name: ClassVar[str] = "label_loss"
    needs_teacher: ClassVar[bool] = True
    needs_labels: ClassVar[bool] = False
    min_classes: ClassVar[int] = 1
    defaults: ClassVar[dict[str, Any]] = {}
    validate: bool = True

    def __init__(self, **hparams: Any):
        super().__init__()
        unknown = sorted(set(hparams) - set(self.defaults))
        if unknown:
            valid = ", ".join(self.defaults) or "(none)"
            raise ValueError(
                f"loss {self.name!r} got unknown hyperparameter(s) {', '.join(map(repr, unknown))}; "
                f"valid hyperparameters are: {valid}"
            )
        for key, default in self.defaults.items():
            value = hparams.get(key, default)
            self._check_type(key, value, default)
            setattr(self, key, value)
        self._check_hparams()
        self.validate: bool = True

    # -- hyperparameters ------------------------------------------------------------------------
    def _check_type(self, key: str, value: Any, default: Any) -> None:
        if isinstance(default, bool):
            ok, kind = isinstance(value, bool), "a bool"
        elif isinstance(default, (int, float)):
            ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
            kind = "a finite number"
        else:
            ok, kind = isinstance(value, type(default)), f"a {type(default).__name__}"
        if not ok:
            raise ValueError(f"loss {self.name!r}: hyperparameter {key} must be {kind}, got {value!r}")

    def _check_hparams(self) -> None:
        """Default range rule: temperatures > 0, every other number (weights, warm-up) >= 0."""
        for key, value in self.hparams().items():
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                continue
            if key == "T" and value <= 0:
                raise ValueError(f"loss {self.name!r}: temperature T must be > 0, got {value}")
            if key != "T" and value < 0:
                raise ValueError(f"loss {self.name!r}: hyperparameter {key} must be >= 0, got {value}")

    def hparams(self) -> dict[str, Any]:
        """Hyperparameters as a plain dict (recorded in run configs)."""
        return {key: getattr(self, key) for key in self.defaults}

    def extra_repr(self) -> str:
        return ", ".join(f"{k}={v!r}" for k, v in self.hparams().items())

    def set_epoch(self, epoch: int, total_epochs: int) -> None:
        """Called by the engine at the start of every epoch; only schedule-dependent losses care."""

    # -- input checks ---------------------------------------------------------------------------
    def _fail(self, msg: str) -> None:
        raise ValueError(f"loss {self.name!r}: {msg}")

    def _check_logits(self, what: str, x: Tensor) -> None:
        if not isinstance(x, Tensor):
            self._fail(f"{what} must be a torch.Tensor, got {type(x).__name__}")
        if x.dim() != 2:
            self._fail(
                f"{what} must be 2-D [batch, classes], got shape {tuple(x.shape)}; "
                "flatten extra dimensions or add the batch dimension"
            )
        if not x.is_floating_point():
            self._fail(f"{what} must be a floating-point tensor, got {x.dtype}; pass logits, not class indices")
        if x.shape[0] == 0:
            self._fail(f"{what} is an empty batch; skip empty batches before calling the loss")
        if x.shape[1] < self.min_classes:
            self._fail(f"{what} has {x.shape[1]} class(es); this loss needs at least {self.min_classes}")

    def _check_teacher(self, s: Tensor, t: Tensor | None) -> None:
        if t is None:
            free = ", ".join(n for n in list_losses() if not LOSSES.get(n).needs_teacher)
            self._fail(
                "teacher_logits is required but was None; pass the teacher's logits for the same batch "
                f"(or the stored soft labels), or use a loss that needs no teacher: {free}"
            )
        self._check_logits("teacher_logits", t)
        if t.shape != s.shape:
            self._fail(
                f"teacher_logits shape {tuple(t.shape)} does not match student_logits shape {tuple(s.shape)}; "
                "the teacher must score the same batch over the same classes"
            )

    def _check_labels(self, s: Tensor, y: Tensor | None) -> None:
        if y is None:
            free = ", ".join(n for n in list_losses() if not LOSSES.get(n).needs_labels)
            self._fail(
                "labels (integer class indices) are required but were None; pass the hard labels, "
                f"or use a loss that needs no labels: {free}"
            )
        problem = _label_dtype_error(y)
        if problem:
            self._fail(f"{problem}, and pass soft (2-D float) labels as teacher_logits instead")
        if y.shape != s.shape[:1]:
            self._fail(
                f"labels must have shape [{s.shape[0]}] (one class index per student_logits row), "
                f"got {tuple(y.shape)}"
            )

    def _check_values(self, s: Tensor, t: Tensor | None, y: Tensor | None) -> None:
        """The checks that need a host sync; skipped when ``validate`` is False."""
        for what, x in (("student_logits", s), ("teacher_logits", t)):
            if x is None:
                continue
            bad = int((~torch.isfinite(x)).sum())
            if bad:
                self._fail(
                    f"{what} contains {bad} NaN/Inf value(s); the model diverged or the stored labels are "
                    "corrupt - lower the learning rate or check the data"
                )
        problem = None if y is None else _label_range_error(y, s.shape[1], f"{s.shape[1]}-class logits")
        if problem:
            self._fail(problem)
        if t is not None and _looks_like_probabilities(t):
            fix = " (or set soft='probs' if probabilities are what you mean)" if "soft" in self.defaults else ""
            warnings.warn(
                f"loss {self.name!r}: teacher_logits look like probabilities (every row is non-negative and sums "
                f"to 1); this loss reads them as logits, so pass the teacher's raw outputs{fix}",
                stacklevel=_caller_level(),
            )

    def _check_inputs(self, s: Tensor, t: Tensor | None, y: Tensor | None) -> None:
        self._check_logits("student_logits", s)
        if self.needs_teacher:
            self._check_teacher(s, t)
        if self.needs_labels:
            self._check_labels(s, y)
        if self.validate:
            self._check_values(s, t if self.needs_teacher else None, y if self.needs_labels else None)

    # -- call -----------------------------------------------------------------------------------
    def forward(self, student_logits: Tensor, teacher_logits: Tensor | None = None, labels: Tensor | None = None) -> Tensor:
        self._check_inputs(student_logits, teacher_logits, labels)
        s = student_logits.to(_work_dtype(student_logits))
        t = teacher_logits.to(s.dtype) if self.needs_teacher else None
        y = labels.long() if self.needs_labels else None
        return self._loss(s, t, y)

    def _loss(self, s: Tensor, t: Tensor | None, y: Tensor | None) -> Tensor:  # pragma: no cover
        raise NotImplementedError


def _caller_level() -> int:
    """The ``stacklevel`` that points a warning raised in here at the line that called the loss
    (past this module and torch's ``Module.__call__``), whatever the path into it."""
    frame, level = sys._getframe(1), 1
    while frame is not None and (frame.f_code.co_filename == __file__
                                 or "torch/nn/modules" in frame.f_code.co_filename.replace("\\", "/")):
        frame, level = frame.f_back, level + 1
    return level


def _looks_like_probabilities(t: Tensor) -> bool:
    """True when every row of ``t`` is a probability vector: a softmax applied by mistake (raw
    logits of a trained teacher are almost never all non-negative with rows summing to 1)."""
    if t.shape[1] < 2 or bool((t < 0).any()):
        return False
    return bool(torch.allclose(t.float().sum(dim=1), torch.ones(t.shape[0], device=t.device), atol=1e-3))


def _register(name: str):
    """Register a LabelLoss subclass under ``name`` and stamp the name on the class."""

    def add(cls: type[LabelLoss]) -> type[LabelLoss]:
        cls.name = name
        return LOSSES.register(name)(cls)

    return add


def get_loss(name: str, **hparams: Any) -> LabelLoss:
    """Build a loss by name, e.g. ``get_loss("kl", T=4)``. Unknown names/keywords raise ValueError.

    A loss's hyperparameters and their defaults are its class's ``defaults``
    (``get_loss("gift").hparams()`` shows them; printing the loss does too)."""
    name = LOSSES.canonical(name)
    if name not in LOSSES:  # own message: the registry's generic one would say "losss"
        raise ValueError(f"unknown loss {name!r}; valid losses are: {', '.join(list_losses())}")
    return LOSSES.get(name)(**hparams)


def list_losses() -> list[str]:
    """The registered label losses by name, sorted (every name :func:`get_loss` accepts)."""
    return LOSSES.names()


# ------------------------------------------------------------------------------------------------
# Losses of the GIFT authors' benchmark
# ------------------------------------------------------------------------------------------------
@_register("ce")
class CELoss(LabelLoss):
    """Cross-entropy against the hard labels; ignores the teacher (the hard-label baseline)."""

    needs_teacher = False
    needs_labels = True

    def _loss(self, s, t, y):
        return F.cross_entropy(s, y)


@_register("kl")
class KLLoss(LabelLoss):
    """batchmean KL(softmax(t/T) || softmax(s/T)). T=20 and no T^2 factor, as in the authors' code
    (used for RDED and SRe2L); ``t2_scale=True`` gives the usual Hinton scaling."""

    defaults = {"T": 20.0, "t2_scale": False}

    def _scale(self) -> float:
        return self.T**2 if self.t2_scale else 1.0

    def _loss(self, s, t, y):
        return self._scale() * _kl(s, t, self.T)


@_register("soft_ce")
class SoftCELoss(KLLoss):
    """(1/B) sum_i -softmax(t_i/T) . log softmax(s_i/T); T=1 as in the authors' ``softce`` (DATM's
    native loss). Equals kl plus the teacher entropy, so same gradient at T=1."""

    defaults = {"T": 1.0, "t2_scale": False}

    def _loss(self, s, t, y):
        return self._scale() * _soft_ce(s, t, self.T)


@_register("mse")
class MSELoss(LabelLoss):
    """Mean over all B*C entries of (s - t)^2, raw logits."""

    def _loss(self, s, t, y):
        return F.mse_loss(s, t)


@_register("mse_ce")
class MSECELoss(LabelLoss):
    """mse + ce_weight * CE (G-VBSM's native loss). ce_weight=0.1 as in the GIFT authors' code;
    G-VBSM's own CIFAR scripts use 0.15."""

    needs_labels = True
    defaults = {"ce_weight": 0.1}

    def _loss(self, s, t, y):
        return F.mse_loss(s, t) + self.ce_weight * F.cross_entropy(s, y)


@_register("kl_ce")
class KLCELoss(KLLoss):
    """kl + ce_weight * CE; ce_weight=0.1 (the authors' ``loss_hyper``), T=20 like ``kl``."""

    needs_labels = True
    defaults = {"T": 20.0, "t2_scale": False, "ce_weight": 0.1}

    def _loss(self, s, t, y):
        return self._scale() * _kl(s, t, self.T) + self.ce_weight * F.cross_entropy(s, y)


@_register("soft_ce_ce")
class SoftCECELoss(KLLoss):
    """soft_ce + ce_weight * CE; ce_weight=0.1 (authors' ``softce_ce``), T=1."""

    needs_labels = True
    defaults = {"T": 1.0, "t2_scale": False, "ce_weight": 0.1}

    def _loss(self, s, t, y):
        return self._scale() * _soft_ce(s, t, self.T) + self.ce_weight * F.cross_entropy(s, y)


@_register("cosine")
class CosineLoss(LabelLoss):
    """1 - mean_i cos(s_i, t_i) on raw teacher logits: GIFT without label refinement (ablation)."""

    def _loss(self, s, t, y):
        return _cosine_loss(s, t)


@_register("gift")
class GiftLoss(LabelLoss):
    """GIFT: 1 - mean_i cos(s_i, r_i), r = refine_labels(t, y, ...) (see :func:`refine_labels`).

    Defaults alpha=0.1, gamma=0.1 (paper). ``convention="paper"`` uses the paper's convex mix;
    ``"official"`` reproduces the released code (additive gamma, i.e. gamma/(1+gamma) convex).
    """

    needs_labels = True
    min_classes = 2
    defaults = {"alpha": 0.1, "gamma": 0.1, "convention": "paper", "smoothing": "gift", "soft": "logits"}

    def _check_hparams(self) -> None:
        try:
            _check_refine_args(self.alpha, self.gamma, self.convention, self.smoothing, self.soft)
        except ValueError as err:
            raise ValueError(f"loss {self.name!r}: {err}") from None

    def _loss(self, s, t, y):
        r = _refine(t, y, s.shape[1], self.alpha, self.gamma, self.convention, self.smoothing, self.soft)
        return _cosine_loss(s, r)


@_register("kl_refined")
class RefinedKLLoss(LabelLoss):
    """Ablation "refinement only" (paper Tables 7 and 13): the native KL loss (T=20, no T^2, as
    ``kl``) against GIFT's refined label instead of the raw teacher logits. The paper does not say
    how a unit-length refined label enters KL; we rescale it to the teacher logits' norm, row by
    row, so that softmax(r/T) is as sharp as softmax(t/T) and only the refinement changes."""

    needs_labels = True
    min_classes = 2
    defaults = {"T": 20.0, "t2_scale": False, "alpha": 0.1, "gamma": 0.1, "convention": "paper",
                "smoothing": "gift", "soft": "logits"}

    def _check_hparams(self) -> None:
        try:
            _check_refine_args(self.alpha, self.gamma, self.convention, self.smoothing, self.soft)
        except ValueError as err:
            raise ValueError(f"loss {self.name!r}: {err}") from None

    def _loss(self, s, t, y):
        r = _refine(t, y, s.shape[1], self.alpha, self.gamma, self.convention, self.smoothing, self.soft)
        r = _unit(r) * _row_norm(t)
        return (self.T**2 if self.t2_scale else 1.0) * _kl(s, r, self.T)


def gift_loss(
    student_logits: Tensor,
    teacher_logits: Tensor,
    labels: Tensor,
    alpha: float = 0.1,
    gamma: float = 0.1,
    convention: str = "paper",
    validate: bool = True,
    **kw: Any,
) -> Tensor:
    """GIFT's loss (paper Section 4) as a function: a drop-in replacement for the loss line of an
    ordinary training loop::

        loss = gift_loss(student(x), teacher(x).detach(), y)

    Args:
        student_logits: ``[B, C]`` float, the student's raw outputs (gradients flow through these).
        teacher_logits: ``[B, C]`` float, the teacher's *raw logits* for the same batch, detached;
            not a softmax (a warning says so when every row sums to 1).
        labels: ``[B]`` integer class indices (the hard labels of the images).
        alpha: label smoothing of the hard label, ``(1 - alpha)`` on the true class (paper: 0.1).
        gamma: weight of the smoothed hard label in the refined label (paper: 0.1).
        convention: ``"paper"``: r = gamma·n(smoothed) + (1 − gamma)·n(teacher); ``"official"``:
            r = n(teacher) + gamma·n(smoothed), as the authors' released code (n = row-wise L2
            normalisation; see :func:`refine_labels`).
        validate: also run the checks that need a device→host sync (NaN/Inf, label range, a softmax
            passed as logits). In a hot loop build the loss once, ``loss_fn = get_loss("gift")``,
            and set ``loss_fn.validate = False`` after the first step, as the training engine does.
        kw: ``smoothing`` (``"gift"`` or ``"pytorch"``) and ``soft`` (``"logits"`` or ``"probs"``:
            refine the teacher's softmax instead of its logits, a reading the paper leaves open).

    Returns:
        A scalar tensor, 1 − mean over the batch of cos(student logits, refined label). GIFT has no
        temperature: the cosine ignores the scale of both vectors.

    Identical to ``get_loss("gift", alpha=..., gamma=..., ...)(student, teacher, labels)``.
    """
    loss = GiftLoss(alpha=alpha, gamma=gamma, convention=convention, **kw)
    loss.validate = validate
    return loss(student_logits, teacher_logits, labels)


# ------------------------------------------------------------------------------------------------
# KD baselines of the paper's Table 3. Defaults: the CIFAR-100 configs of
# the reference code, since distilled data are small images trained for many epochs.
# ------------------------------------------------------------------------------------------------
@_register("kd")
class KDLoss(LabelLoss):
    """Hinton KD, MDistiller form: ce_weight*CE + kd_weight*T^2*KL(p_t^T || p_s^T) (batchmean).

    Defaults T=4, ce_weight=0.1, kd_weight=0.9: MDistiller's CIFAR-100 config (its ImageNet config
    is T=1, 0.5/0.5)."""

    needs_labels = True
    defaults = {"T": 4.0, "ce_weight": 0.1, "kd_weight": 0.9}

    def _loss(self, s, t, y):
        return self.ce_weight * F.cross_entropy(s, y) + self.kd_weight * self.T**2 * _kl(s, t, self.T)


@_register("wsld")
class WSLDLoss(LabelLoss):
    """Weighted soft-label distillation: CE + alpha*T^2*mean_i(w_i * l_i), where
    l_i = -sum_c p_t^T log p_s^T and w_i = 1 - exp(-max(CE_s,i / (CE_t,i + 1e-7), 0)) from the
    detached T=1 cross-entropies (samples the teacher gets right relative to the student count more).

    Defaults T=4, alpha=2.25: cls_KD's CIFAR-100 config (original ImageNet: T=2, alpha=2.5)."""

    needs_labels = True
    defaults = {"T": 4.0, "alpha": 2.25}

    def _loss(self, s, t, y):
        ce_s = F.cross_entropy(s.detach(), y, reduction="none")
        ce_t = F.cross_entropy(t.detach(), y, reduction="none")
        w = 1.0 - torch.exp(-torch.clamp(ce_s / (ce_t + 1e-7), min=0.0))
        per_sample = -(F.softmax(t / self.T, 1) * F.log_softmax(s / self.T, 1)).sum(dim=1)
        return F.cross_entropy(s, y) + self.alpha * self.T**2 * (w * per_sample).mean()


@_register("dkd")
class DKDLoss(LabelLoss):
    """Decoupled KD: ce_weight*CE + min(epoch/warmup, 1)*(alpha*TCKD + beta*NCKD).

    TCKD = T^2 * batchmean KL of the binary (target, rest) probabilities; NCKD = T^2 * batchmean KL
    of the softmax over non-target classes. Computed in log space (exact masking instead of
    MDistiller's "-1000 on the target logit", which fails for very large logits).

    Defaults ce_weight=1, alpha=1, beta=8, T=4, warmup=20: MDistiller's CIFAR-100 config
    (ImageNet: beta=0.5, T=1, warmup=1). ``epoch`` is counted as MDistiller does (1 = first
    epoch); before any :meth:`set_epoch` call the warm-up factor is 1.
    """

    needs_labels = True
    min_classes = 2
    defaults = {"ce_weight": 1.0, "alpha": 1.0, "beta": 8.0, "T": 4.0, "warmup": 20}

    def __init__(self, **hparams: Any):
        super().__init__(**hparams)
        self.epoch: int | None = None

    def set_epoch(self, epoch: int, total_epochs: int) -> None:
        self.epoch = epoch

    def warmup_factor(self) -> float:
        if self.epoch is None or self.warmup <= 0:
            return 1.0
        return min(self.epoch / self.warmup, 1.0)

    def _loss(self, s, t, y):
        zs, zt = s / self.T, t / self.T
        mask = _target_mask(y, s)
        bin_s, bin_t = _log_binary(zs, mask), _log_binary(zt, mask)
        tckd = F.kl_div(bin_s, bin_t, reduction="batchmean", log_target=True)
        nt_s, nt_t = _log_non_target(zs, mask), _log_non_target(zt, mask)
        p_nt_t = F.softmax(zt.masked_fill(mask, float("-inf")), dim=1)
        nckd = (p_nt_t * (nt_t - nt_s)).sum(dim=1).mean()
        kd = self.T**2 * (self.alpha * tckd + self.beta * nckd)
        return self.ce_weight * F.cross_entropy(s, y) + self.warmup_factor() * kd


@_register("nkd")
class NKDLoss(LabelLoss):
    """Normalized KD: CE + L_t + L_nt with L_t = -mean_i(p_t,y * log p_s,y) at T=1 (teacher prob
    detached) and L_nt = -gamma*T^2*mean_i sum_{c!=y} p^_t log p^_s, p^ = softmax(z/T) over the
    non-target classes only.

    Defaults T=3, gamma=3.5: cls_KD's CIFAR-100 config (class/ImageNet default: T=1, gamma=1.5)."""

    needs_labels = True
    min_classes = 2
    defaults = {"T": 3.0, "gamma": 3.5}

    def _loss(self, s, t, y):
        idx = y.view(-1, 1)
        log_ps_y = F.log_softmax(s, 1).gather(1, idx).squeeze(1)
        pt_y = F.softmax(t.detach(), 1).gather(1, idx).squeeze(1)
        target_term = -(pt_y * log_ps_y).mean()
        mask = _target_mask(y, s)
        p_nt_t = F.softmax((t / self.T).masked_fill(mask, float("-inf")), dim=1)
        nt_s = _log_non_target(s / self.T, mask)
        non_target = -self.gamma * self.T**2 * (p_nt_t * nt_s).sum(dim=1).mean()
        return F.cross_entropy(s, y) + target_term + non_target


# the authors' spellings, registered once every loss is (the registry resolves them)
for _alias, _target in _ALIASES.items():
    LOSSES.alias(_alias, _target)
