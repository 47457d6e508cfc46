"""Evaluate a distilled set: train students with several seeds under the protocol and report the
authors' number (mean ± population std of the best checkpoint) and the final-epoch accuracy."""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn

from .config import tensor_fingerprint
from .protocol import EvalConfig, resolved_hparams
from .results import ResultsStore, provenance
from .teachers import check_teacher, teacher_identity
from .train.engine import distributed_context, train_student
from .train.labels import teacher_is_used
from .train.tensors import make_test_tensors, make_train_tensors
from .utils import atomic_write_json, resolve_device


@dataclass
class EvalResult:
    """A plain record: the config, every seed's checkpoints, summary statistics and wall time."""

    config: dict
    hparams: dict
    runs: list[dict]
    data: dict = field(default_factory=dict)
    teacher: dict | None = None

    @property
    def best(self) -> list[float]:
        return [r["best"] for r in self.runs]

    @property
    def final(self) -> list[float]:
        return [r["final"] for r in self.runs]

    @property
    def precisions(self) -> list[str]:
        """The arithmetic its seeds trained in (``"auto"`` resolves per machine), sorted; a run
        stored before this was recorded counts as ``"unrecorded"``."""
        return sorted({r.get("precision", "unrecorded") for r in self.runs})

    def summary(self) -> dict[str, float]:
        """Mean and population std (ddof 0, as the authors' ``np.std``) over seeds."""
        best, final = np.array(self.best), np.array(self.final)
        return {
            "best_mean": float(best.mean()), "best_std": float(best.std()),
            "final_mean": float(final.mean()), "final_std": float(final.std()),
            "seeds": len(self.runs),
            "wall_time_s": float(sum(r["wall_time_s"] for r in self.runs)),
        }

    def line(self) -> str:
        s = self.summary()
        return (
            f"{self.config['loss']}: best {s['best_mean']:.2f} ± {s['best_std']:.2f}  "
            f"final {s['final_mean']:.2f} ± {s['final_std']:.2f}  "
            f"({s['seeds']} seeds, {s['wall_time_s']:.0f} s)"
        )

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "summary": self.summary()}

    def save_json(self, path) -> None:
        atomic_write_json(path, self.to_dict())


def run_spec(config: EvalConfig, data_id: dict, teacher_id, test, world_size: int = 1) -> dict[str, Any]:
    """What a run's store key is computed from, without the seed: the config (less its seed list),
    the set, the teacher and the test set. Under DDP each rank normalises its own share of a batch,
    so a run on several processes is a different run: ``world_size`` joins the key only when it is
    above 1, which leaves the key of every single-process run as it always was."""
    spec = {
        "config": {k: v for k, v in config.to_dict().items() if k != "seeds"},
        "data": data_id,
        "teacher": teacher_id,
        "test": {"dataset": test.name, "split": test.split, "size": test_size(test)},
    }
    if world_size > 1:
        spec["world_size"] = world_size
    return spec


class NotComputed(LookupError):
    """Raised by ``evaluate(..., run_missing=False)`` when a seed's run is not in the store."""

    def __init__(self, key: str, spec: dict):
        super().__init__(f"run {key} is not in the results store (spec: {spec})")
        self.key, self.spec = key, spec


def num_images(distilled) -> int:
    """Size of a set; lazy sets (``gift.companion.LazySet``) know it without loading pixels."""
    n = getattr(distilled, "num_images", None)
    return int(n) if n is not None else len(distilled.labels)


def distilled_identity(distilled) -> dict:
    """How a stored result names its data: the set's recipe when it has one (so results survive a
    regeneration that differs in the last bit on another machine), else a content hash."""
    meta = dict(getattr(distilled, "meta", {}) or {})
    if "recipe" in meta:
        return {"recipe": meta["recipe"]}
    return {
        "content": tensor_fingerprint(distilled.images, distilled.labels, distilled.soft_labels),
        "format": meta.get("format"),
    }


def test_size(test) -> int:
    """Images in the test set: a loaded set counts its labels; a stored description
    (``gift.companion.experiment.TestSetRecord``) knows its size without the images."""
    labels = getattr(test, "labels", None)
    return int(len(labels)) if labels is not None else int(test.size)


def _resolve_zca(zca):
    """``zca`` may be a fitted transform or a zero-argument function returning one (fitted lazily,
    only when a run has to be trained)."""
    if zca is None or hasattr(zca, "transform"):
        return zca
    return zca()


def check_same_dataset(distilled, test, teacher: nn.Module | None = None) -> None:
    """The set and the teacher, where their metadata names a dataset, must be for the test set's
    dataset: equal class counts alone would let a digits set or teacher be scored on CIFAR-10."""
    from .data import canonical_dataset_name

    declared = canonical_dataset_name((getattr(distilled, "meta", None) or {}).get("dataset"))
    if declared and declared != test.name:
        raise ValueError(
            f"the distilled set is for dataset {declared!r} but the test set is {test.name!r}; "
            f"evaluate it on its own dataset (--dataset {declared})"
        )
    check_teacher(teacher, dataset=test.name, against=f"the test set {test.name!r}")


def check_image_shape(distilled, test) -> None:
    """The set's images must have the test images' shape (channels, height, width): a student built
    for one size fails after an epoch on another, and a 1-channel set would be silently broadcast."""
    images = getattr(distilled, "images", None)
    if images is None or getattr(test, "images", None) is None:
        return  # a lazy set is checked when it is materialised
    have, want = tuple(images.shape[1:]), tuple(test.images.shape[1:])
    if have != want:
        from .data.errors import ImageShapeError

        raise ImageShapeError(
            f"the distilled images are {have[0]}x{have[1]}x{have[2]} (channels x height x width) but the "
            f"{test.name!r} test images are {want[0]}x{want[1]}x{want[2]}; resize/convert the set to the "
            f"test set's shape, or evaluate it on a dataset of its own size"
        )


def evaluate(
    distilled,
    test,
    config: EvalConfig | None = None,
    *,
    teacher: nn.Module | None = None,
    zca=None,
    device: str | torch.device = "auto",
    store: ResultsStore | None = None,
    data_id: dict | None = None,
    show_progress: bool = True,
    run_missing: bool = True,
    compile: str | None = None,
) -> EvalResult:
    """Evaluate ``distilled`` (a ``gift.data.DistilledSet``) on ``test`` (a ``gift.data.ImageDataset``).

    With ``store``, each seed's run is looked up first and trained only when missing, then saved
    with its provenance as soon as it finishes (so a long sweep can be stopped and resumed). With
    ``run_missing=False`` a seed missing from the store raises :class:`NotComputed` instead of
    training. ``distilled`` may be lazy (an object with ``materialize()``): its pixels are only
    loaded when a run has to be trained. ``compile`` (auto/on/off, default ``$GIFT_COMPILE`` or auto)
    is how, not what: it is not part of a run's key, and each run records whether it was compiled."""
    config = config or EvalConfig()
    device = resolve_device(device)
    if distilled.num_classes != test.num_classes:
        raise ValueError(
            f"the distilled set has {distilled.num_classes} classes but the test set "
            f"{test.name!r} has {test.num_classes}; evaluate it on its own dataset"
        )
    used_teacher = teacher if teacher_is_used(config, teacher) else None
    check_same_dataset(distilled, test, used_teacher)
    check_image_shape(distilled, test)
    rank, world_size = distributed_context()
    data_id = data_id or distilled_identity(distilled)
    t_id = teacher_identity(used_teacher)
    hparams = resolved_hparams(config, num_images(distilled), distilled.lr)
    base_spec = run_spec(config, data_id, t_id, test, world_size)
    train_tensors = test_tensors = None
    runs: list[dict] = []
    for seed in config.seeds:
        spec = {**base_spec, "seed": seed}

        def run_seed():
            nonlocal train_tensors, test_tensors
            if train_tensors is None:
                real = distilled.materialize() if hasattr(distilled, "materialize") else distilled
                check_image_shape(real, test)
                train_tensors = make_train_tensors(real, test.mean, test.std)
                test_tensors = make_test_tensors(test, real.space, _resolve_zca(zca))
            start = time.perf_counter()
            run = train_student(
                train_tensors, test_tensors, config, seed, teacher=teacher, device=device,
                show_progress=show_progress, compile=compile,
            )
            return asdict(run), provenance(device, time.perf_counter() - start)

        if store is None:
            result, prov = run_seed()
            runs.append({**result, "provenance": prov})
        else:
            # a bad record is an error naming its file when training is allowed; when it is not, a
            # warning naming the file, and the run is "not computed" (one file cannot fail a chapter)
            record = store.get("eval", spec, on_bad="raise" if run_missing else "missing")
            if record is None:
                if not run_missing:
                    raise NotComputed(store.key(spec), spec)
                result, prov = run_seed()
                record = {"key": store.key(spec), "result": result, "provenance": prov}
                if rank == 0:  # under torchrun every rank trains the same run; one writes it
                    record = store.put("eval", spec, result, prov)
            runs.append({**record["result"], "provenance": record["provenance"], "key": record["key"]})
    return EvalResult(
        config=config.to_dict(), hparams=hparams, runs=runs, data=data_id,
        teacher=t_id,
    )

