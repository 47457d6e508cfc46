"""Where a run's soft labels come from, decided in one place: the frozen teacher relabelling every
augmented batch (``teacher``), the set's stored soft labels (``stored``) or none (``hard``)."""
from __future__ import annotations

from torch import nn

from ..losses import get_loss
from ..protocol import EvalConfig
from .tensors import TrainTensors

__all__ = ["hard_if_no_teacher_needed", "label_source", "loss_for", "needs_teacher", "resolve_label_source",
           "teacher_is_used"]


def label_source(requested: str, *, has_teacher: bool, has_soft_labels: bool) -> str:
    """The rule: ``auto`` is the teacher when there is one, else the set's stored soft labels when
    it has them, else hard labels; an explicit source is kept (and checked by the caller)."""
    if requested != "auto":
        return requested
    return "teacher" if has_teacher else ("stored" if has_soft_labels else "hard")


def hard_if_no_teacher_needed(config: EvalConfig) -> EvalConfig:
    """A loss that needs no soft labels (CE) ignores the teacher: ``auto`` becomes ``hard``, so such a
    computation is one run and one stored record whatever teacher is at hand."""
    if config.label_source == "auto" and not get_loss(config.loss, **config.loss_kwargs).needs_teacher:
        return config.replace(label_source="hard")
    return config


def needs_teacher(config: EvalConfig, *, has_soft_labels: bool) -> bool:
    """Whether a run must load the teacher before it starts: ``teacher``, or ``auto`` on a set that
    stores no soft labels of its own (a set with learned soft labels, e.g. DATM's, uses them)."""
    return config.label_source == "teacher" or (config.label_source == "auto" and not has_soft_labels)


def teacher_is_used(config: EvalConfig, teacher: nn.Module | None) -> bool:
    """Whether a run of ``config`` given ``teacher`` relabels with it (decided before the set is
    loaded: with a teacher at hand, the rule does not depend on the set's soft labels)."""
    return teacher is not None and label_source(config.label_source, has_teacher=True,
                                                has_soft_labels=False) == "teacher"


def resolve_label_source(config: EvalConfig, teacher: nn.Module | None, data: TrainTensors) -> str:
    """:func:`label_source` for this run, refused when the source it names is not there."""
    source = label_source(config.label_source, has_teacher=teacher is not None,
                          has_soft_labels=data.soft_labels is not None)
    if source == "teacher" and teacher is None:
        raise ValueError("label_source='teacher' needs a teacher model; pass teacher= or use 'stored'/'hard'")
    if source == "stored" and data.soft_labels is None:
        raise ValueError("label_source='stored' but the distilled set has no stored soft labels")
    return source


def loss_for(config: EvalConfig, source: str):
    """The run's loss, refused up front when it needs soft labels that the run cannot have."""
    loss_fn = get_loss(config.loss, **config.loss_kwargs)
    if loss_fn.needs_teacher and source == "hard":
        raise ValueError(
            f"loss {config.loss!r} needs soft labels but there is no teacher and the set stores "
            f"none; pass a teacher, or use a hard-label loss such as 'ce'"
        )
    return loss_fn
