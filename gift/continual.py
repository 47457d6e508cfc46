"""Class-incremental learning on distilled data, the GDumb way (paper Section 5.5).

GDumb (Prabhu et al., ECCV 2020) keeps a memory of the samples seen so far and, at every step,
trains a fresh model on that memory alone; at test time the logits of classes that are not in the
memory are masked out. With distilled data the memory at step ``k`` is the distilled images of all
classes seen up to step ``k``, so a step's result depends only on *which* classes have been seen.

Masking without touching the engine: a step's set, teacher and test images are all restricted to
the seen classes and relabelled ``0..k-1`` in the order the classes arrived. The student then has
exactly ``k`` outputs, which is what masking the other logits to ``-inf`` does, in training (the
softmax or cosine only ranges over the seen classes) and at test time (argmax over seen classes).
The teacher's logits are restricted the same way (:class:`ClassSubsetTeacher`).

Every step goes through the results store: the step's set is named by its parent's recipe plus the
list of seen classes, the test subset by ``test[classes=...]``, so runs are cached and a
``run_missing=False`` chapter finds them.

    from gift.continual import class_incremental_split, run_class_incremental
    split = class_incremental_split(10, num_steps=5, seed=0)
    steps = run_class_incremental(ex, ex.distilled("rded", 10), ex.config("rded", loss="gift"), split)
"""
from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace
from typing import Sequence

import torch
from torch import nn

from .data import DistilledSet
from .data.datasets import ImageDataset
from .evaluation import EvalResult, NotComputed, evaluate
from .protocol import EvalConfig
from .stats import Comparison, compare
from .teachers import teacher_name

__all__ = [
    "ClassIncrementalSplit", "ClassSubsetTeacher", "StepResult", "class_incremental_split", "classes_tag", "compare_steps", "distinct_step_runs",
    "evaluate_step", "memory_set", "run_class_incremental", "test_subset",
]


def classes_tag(classes: Sequence[int]) -> str:
    """``"3,8,1"``: the classes in arrival order, as they appear in names and recipes."""
    return ",".join(str(int(c)) for c in classes)


@dataclass(frozen=True)
class ClassIncrementalSplit:
    """A seeded class order cut into steps; ``steps[k]`` are the classes new at step ``k + 1``."""

    num_classes: int
    order: tuple[int, ...]
    steps: tuple[tuple[int, ...], ...]
    seed: int

    @property
    def num_steps(self) -> int:
        return len(self.steps)

    def seen(self, step: int) -> tuple[int, ...]:
        """Classes seen after ``step`` (1-based: ``seen(1)`` are the first step's classes)."""
        if not 1 <= step <= self.num_steps:
            raise ValueError(f"step must be in [1, {self.num_steps}], got {step}")
        return tuple(c for s in self.steps[:step] for c in s)


def class_incremental_split(num_classes: int, num_steps: int, seed: int = 0) -> ClassIncrementalSplit:
    """Shuffle the classes with ``seed`` and cut them into ``num_steps`` consecutive groups.

    Groups have equal size when ``num_steps`` divides ``num_classes`` (200 classes in 5 steps: 40
    per step, as in the paper); otherwise the first ``num_classes % num_steps`` steps get one class
    more."""
    if not isinstance(num_classes, int) or num_classes < 2:
        raise ValueError(f"num_classes must be an int >= 2, got {num_classes!r}")
    if not isinstance(num_steps, int) or not 1 <= num_steps <= num_classes:
        raise ValueError(f"num_steps must be an int in [1, num_classes={num_classes}], got {num_steps!r}")
    order = torch.randperm(num_classes, generator=torch.Generator().manual_seed(seed)).tolist()
    base, extra = divmod(num_classes, num_steps)
    steps, start = [], 0
    for k in range(num_steps):
        size = base + (1 if k < extra else 0)
        steps.append(tuple(order[start:start + size]))
        start += size
    return ClassIncrementalSplit(num_classes, tuple(order), tuple(steps), seed)


def _relabel(labels: torch.Tensor, classes: Sequence[int], num_classes: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(mask of the rows whose label is in ``classes``, their labels mapped to positions in ``classes``)."""
    if len(set(int(c) for c in classes)) != len(classes):
        raise ValueError(f"classes must be distinct, got {list(classes)}")
    bad = [int(c) for c in classes if not 0 <= int(c) < num_classes]
    if bad:
        raise ValueError(f"classes {bad} are outside [0, {num_classes})")
    lookup = torch.full((num_classes,), -1, dtype=torch.long)
    lookup[torch.as_tensor([int(c) for c in classes], dtype=torch.long)] = torch.arange(len(classes))
    new = lookup[labels.cpu().long()]
    mask = new >= 0
    return mask, new[mask]


def memory_set(data, classes: Sequence[int]) -> DistilledSet:
    """The GDumb memory for ``classes``: the distilled images of those classes, relabelled to
    ``0..len(classes)-1`` in the given order (stored soft labels keep only those columns).

    ``data`` is a ``DistilledSet`` or a lazy set (materialized here). The result's
    ``meta["recipe"]`` is ``{"parent": <parent recipe or content id>, "classes": [...]}``, so runs on
    it are cached under a name that says which classes it holds."""
    from .evaluation import distilled_identity

    parent = data.materialize() if hasattr(data, "materialize") else data
    if len(classes) < 2:
        raise ValueError("a memory needs at least 2 classes: a 1-class classifier is trivially right, "
                         "nothing to train")
    mask, labels = _relabel(parent.labels, classes, parent.num_classes)
    if int(mask.sum()) == 0:
        raise ValueError(f"the distilled set holds no images of classes {list(classes)}")
    idx = torch.as_tensor([int(c) for c in classes], dtype=torch.long)
    soft = None if parent.soft_labels is None else parent.soft_labels[mask][:, idx]
    recipe = {"parent": distilled_identity(parent), "classes": [int(c) for c in classes]}
    meta = {k: v for k, v in parent.meta.items() if k != "recipe"}
    meta.update({"recipe": recipe, "parent_num_classes": parent.num_classes})
    return DistilledSet(parent.images[mask], labels, soft, parent.lr, parent.space, len(classes), meta)


def test_subset(test: ImageDataset, classes: Sequence[int]) -> ImageDataset:
    """The test images of ``classes``, relabelled like :func:`memory_set`; its split is named
    ``"<split>[classes=...]"`` so that stored results say which test images they were scored on."""
    mask, labels = _relabel(test.labels, classes, len(test.classes))
    return ImageDataset(
        images=test.images[mask], labels=labels, classes=[test.classes[int(c)] for c in classes],
        name=test.name, split=f"{test.split}[classes={classes_tag(classes)}]", mean=test.mean, std=test.std,
        class_names=[test.class_names[int(c)] for c in classes], meta={**test.meta, "parent_split": test.split},
    )


test_subset.__test__ = False  # not a pytest test


class ClassSubsetTeacher(nn.Module):
    """A frozen teacher whose logits are restricted to ``classes`` (in that order): the teacher's
    view of a GDumb step, equivalent to masking the other logits."""

    def __init__(self, teacher: nn.Module, classes: Sequence[int]):
        super().__init__()
        self.teacher = teacher
        self.register_buffer("index", torch.as_tensor([int(c) for c in classes], dtype=torch.long), persistent=False)
        parent = getattr(teacher, "gift_meta", {}) or {}
        self.gift_meta = {**parent, "id": f"{teacher_name(teacher)}[classes={classes_tag(classes)}]",
                          "num_classes": len(classes)}

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.teacher(x)[:, self.index]


def evaluate_step(ex, data, classes: Sequence[int], config: EvalConfig, *, teacher: nn.Module | None = None,
                  test: ImageDataset | None = None) -> EvalResult | None:
    """Train and test one step (seen ``classes``) through ``ex``'s results store.

    The same as ``ex.evaluate_data`` except that the test images are those of the seen classes
    (``ex.evaluate_data`` always scores on the full test set). ``None`` when not computed and
    ``ex.run_missing`` is off."""
    memory = memory_set(data, classes)
    step_teacher = None if teacher is None else ClassSubsetTeacher(teacher, classes)
    step_test = test_subset(test if test is not None else ex.test, classes)
    try:
        return evaluate(memory, step_test, config, teacher=step_teacher, device=ex.device, store=ex.store,
                        show_progress=ex.show_progress, run_missing=ex.run_missing)
    except NotComputed:
        return None


@dataclass
class StepResult:
    """One step of a class-incremental run: which classes were seen and how the model did."""

    step: int
    new_classes: tuple[int, ...]
    seen: tuple[int, ...]
    num_images: int  # memory size (distilled images of the seen classes)
    num_test: int  # test images of the seen classes
    result: EvalResult | None  # None: not computed (or trivial)
    trivial: bool = False  # a single seen class: accuracy is 100 % without training

    def accuracy(self, which: str = "best") -> tuple[float, float]:
        """(mean, std) over seeds in percent; (100, 0) for a trivial step; NaN when not computed."""
        if self.trivial:
            return 100.0, 0.0
        if self.result is None:
            return float("nan"), float("nan")
        s = self.result.summary()
        return s[which + "_mean"], s[which + "_std"]


def run_class_incremental(ex, data, config: EvalConfig, split: ClassIncrementalSplit, *,
                          teacher: nn.Module | None = None) -> list[StepResult]:
    """Every step of ``split``: a fresh student trained on the memory of the classes seen so far.

    A step with a single seen class is not trained (a 1-class classifier is always right) and is
    reported as 100 % (``trivial=True``)."""
    parent = data.materialize() if hasattr(data, "materialize") else data
    test = ex.test
    out = []
    for k in range(1, split.num_steps + 1):
        seen = split.seen(k)
        num_images = int(sum(int((parent.labels == c).sum()) for c in seen))
        num_test = int(sum(int((test.labels == c).sum()) for c in seen))
        trivial = len(seen) < 2
        result = None if trivial else evaluate_step(ex, parent, seen, config, teacher=teacher, test=test)
        out.append(StepResult(k, split.steps[k - 1], seen, num_images, num_test, result, trivial))
    return out


def step_summary(step: StepResult) -> dict:
    """A step as plain data (what a chapter records, so a clone without the images shows it)."""
    runs = [] if step.result is None else [
        {"seed": r["seed"], "best": r["best"], "final": r["final"], "precision": r.get("precision"),
         "provenance": r.get("provenance", {}), **({"compiled": r["compiled"]} if "compiled" in r else {})}
        for r in step.result.runs]
    return {"step": step.step, "new_classes": list(step.new_classes), "seen": list(step.seen),
            "num_images": step.num_images, "num_test": step.num_test, "trivial": step.trivial,
            "computed": step.trivial or step.result is not None, "runs": runs}


def distinct_step_runs(summaries: dict) -> list[dict]:
    """The seed runs of :func:`continual_summaries`, each training once. A step trains on the classes
    seen so far, so two schedules of one class order share the steps that see the same classes (every
    step of the 5-step schedule is a step of the 10-step one) and their runs are one training: a
    count of runs or hours must not see it twice."""
    runs, seen = [], set()
    for key, steps in summaries.items():
        loss = key.split("|")[0]
        for s in steps:
            for r in s["runs"]:
                name = (loss, tuple(sorted(s["seen"])), r["seed"])
                if name not in seen:
                    seen.add(name)
                    runs.append(r)
    return runs


def compare_steps(label: str, step: dict, base_step: dict) -> Comparison:
    """Two :func:`step_summary` dicts of the same step compared by the book's rule, with the caveat
    of :func:`gift.stats.compare` when their seeds trained in different precisions (a summary
    recorded before precisions were kept has none to compare)."""
    return compare(label, SimpleNamespace(runs=step["runs"]), SimpleNamespace(runs=base_step["runs"]))


def continual_summaries(ex, method: str, ipc: int, losses: Sequence[str], schedules: Sequence[int], *,
                        seed: int = 0, **overrides) -> dict | None:
    """Every step of every schedule with each loss, as :func:`step_summary` dicts keyed
    ``"<loss>|<steps>"``, through ``ex.measurement`` (recorded once every step is computed)."""

    def compute() -> dict:
        data, teacher = ex.distilled(method, ipc), ex.teacher()
        out = {}
        for loss in losses:
            config = ex.config(method, loss=loss, **overrides)
            for n in schedules:
                split = class_incremental_split(ex.num_classes, n, seed=seed)
                out[f"{loss}|{n}"] = [step_summary(s) for s in run_class_incremental(ex, data, config, split,
                                                                                     teacher=teacher)]
        return out

    spec = {"method": method, "ipc": ipc, "losses": list(losses), "schedules": list(schedules), "seed": seed,
            "config": {k: v for k, v in ex.config(method, **overrides).to_dict().items() if k != "loss"}}
    return ex.measurement("class-incremental steps", spec, compute,
                          complete=lambda out: all(s["computed"] for steps in out.values() for s in steps))
