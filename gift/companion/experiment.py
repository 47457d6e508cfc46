"""What the book's chapters run: run profiles, lazily resolved distilled sets, and store-backed
evaluation that loads a recorded run or trains it.

A chapter does::

    from gift.companion import Experiment
    ex = Experiment(profile)                      # "smoke" | "companion" | "paper"
    res = ex.evaluate("rded", ipc=10, loss="gift")  # an EvalResult, or None if not computed

Every run goes through the results store (``results/``, keyed by the hash of its full
configuration), so the committed store renders the book in minutes, deleting it reruns everything,
and a background ``make notebooks`` can be stopped and resumed at any point. Distilled sets are named
by their recipe; their pixels are only produced (distilled, or read back from disk) when a run that
needs them is missing. With ``run_missing=False`` nothing is trained: missing runs come back as
``None`` and the chapter says so.

The ``smoke`` profile never touches the persistent store: it works in a temporary folder, so CI and
nbval always execute it from scratch and never write into ``results/``.
"""
from __future__ import annotations

import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from torch import nn

from ..evaluation import EvalResult, NotComputed, evaluate
from ..train.labels import hard_if_no_teacher_needed, needs_teacher
from ..protocol import EvalConfig
from ..results import ResultsStore, as_read_back, default_results_dir, provenance
from ..stats import precisions
from ..utils import resolve_device
from .profiles import COPIES_REAL_IMAGES, METHOD_STUDENT, Profile, get_profile

def default_sets_dir() -> Path:
    """Committed distilled sets (synthesized images only): ``results/sets``."""
    return default_results_dir() / "sets"


def default_regenerated_dir() -> Path:
    """Regenerated sets that copy real images (gitignored): ``$GIFT_DISTILLED_DIR`` or ``distilled/``."""
    env = os.environ.get("GIFT_DISTILLED_DIR")
    if env:
        return Path(env)
    return default_results_dir().parent / "distilled"


class LazySet:
    """A distilled set known by its recipe; pixels are produced on first ``materialize()``."""

    space = "pixel"
    lr = None

    def __init__(self, experiment: "Experiment", method: str, ipc: int, seed: int, recipe: dict, folder: Path):
        self._ex, self.method, self.ipc, self.seed, self.folder = experiment, method, ipc, seed, folder
        self.meta = {"recipe": recipe, **recipe}
        self.num_classes = experiment.num_classes
        self.num_images = ipc * self.num_classes
        self._real = None

    def materialize(self):
        if self._real is None:
            self._real = self._ex._materialize(self.method, self.ipc, self.seed)
        return self._real

    def __repr__(self) -> str:
        return f"LazySet({self.method}, ipc={self.ipc}, seed={self.seed})"


ENV_SCRATCH_STORE = "GIFT_SCRATCH_STORE"


class Experiment:
    """A chapter's handle on one profile: data, teacher, distilled sets and recorded evaluations."""

    def __init__(
        self,
        profile: str | Profile = "companion",
        *,
        run_missing: bool = True,
        device: str = "auto",
        show_progress: bool = True,
        results_dir: str | os.PathLike | None = None,
    ):
        self.profile = get_profile(profile)
        if self.profile.threads:
            import torch

            torch.set_num_threads(self.profile.threads)
        self.run_missing = run_missing
        self.device = resolve_device(device)
        self.show_progress = show_progress
        if self.profile.persistent:
            self.store = ResultsStore(results_dir)
            self.sets_dir = self.store.root / "sets"
            self.regen_dir = default_regenerated_dir() if results_dir is None else Path(results_dir) / "regenerated"
            self.teachers_dir = self.store.root / "teachers"
        else:
            # Runs always execute afresh; the deterministic, slow-to-make teacher and sets are
            # cached per user (they are found again only when their recipe matches exactly).
            # ``$GIFT_SCRATCH_STORE``: one scratch store shared by the chapters of one batch (a dry run
            # executes each chapter in its own kernel; without it each recomputes the others' runs)
            shared = os.environ.get(ENV_SCRATCH_STORE)
            tmp = Path(shared) if shared else Path(tempfile.mkdtemp(prefix=f"gift-{self.profile.name}-"))
            self.store = ResultsStore(tmp / "results")
            from ..data.paths import cache_dir

            cached = cache_dir() / "profiles" / self.profile.name
            self.sets_dir = self.regen_dir = cached / "sets"
            self.teachers_dir = cached / "teachers"
        self._data: dict[str, Any] = {}
        self._teachers: dict[str, nn.Module] = {}
        self._sets: dict[tuple, Any] = {}

    @property
    def _on_bad(self) -> str:
        """An unreadable or mismatched record: an error when this experiment may train (it would
        otherwise be silently recomputed), "not computed" with a warning naming the file when it only
        renders."""
        return "raise" if self.run_missing else "missing"

    # ------------------------------------------------------------------------------- real data

    def dataset(self, split: str):
        if split not in self._data:
            from ..data import load_dataset

            self._data[split] = load_dataset(self.profile.dataset, split, show_progress=self.show_progress)
            if split == "test" and self.profile.persistent:
                self._record_test_set(self._data[split])
        return self._data[split]

    def _test_spec(self) -> dict:
        return {"dataset": self.profile.dataset, "split": "test"}

    def _record_test_set(self, test) -> None:
        """Keep what runs record of the test set, so that a clone without the images can still look
        its runs up (``TestSetRecord``)."""
        if self.store.get("data", self._test_spec()) is None:
            self.store.put("data", self._test_spec(), TestSetRecord.of(test).to_dict(), provenance(self.device))

    def test_for_lookup(self):
        """The test set, or only its stored description when nothing will be trained: every number
        the book shows comes from the store, so rendering needs no images (a reader's clone)."""
        if "test" not in self._data and not self.run_missing:
            record = self.store.get("data", self._test_spec(), on_bad="missing")
            if record is not None:
                return TestSetRecord(**record["result"])
        return self.test

    @property
    def test(self):
        return self.dataset("test")

    @property
    def train(self):
        return self.dataset("train")

    @property
    def num_classes(self) -> int:
        """From the dataset's registry entry when it fixes one (no images loaded), else the test set."""
        from ..data.datasets import get_loader

        known = getattr(get_loader(self.profile.dataset), "num_classes", None)
        return int(known) if known else self.test_for_lookup().num_classes

    def zca(self):
        """ZCA (eps 0.1) fitted on the real training images, for ZCA-space sets (DATM)."""
        if "zca" not in self._data:
            from ..data import fit_zca

            self._data["zca"] = fit_zca(self.train, eps=0.1)
        return self._data["zca"]

    # --------------------------------------------------------------------------------- teachers

    def teacher_config(self, norm: str = "batch"):
        from ..teachers import TeacherConfig

        p = self.profile
        return TeacherConfig(dataset=p.dataset, model=p.model, model_kwargs={**p.model_kwargs, "norm": norm},
                             epochs=p.teacher_epochs, precision=p.precision)

    def teacher_path(self, norm: str = "batch") -> Path:
        p = self.profile
        if p.teacher_file:
            name = p.teacher_file if norm == "batch" else p.teacher_file.replace("_batch", f"_{norm}")
        else:  # named by its recipe, so a cached file is reused only for the same recipe
            from ..version import __version__
            from ..config import config_hash, config_to_dict

            recipe = {"config": config_to_dict(self.teacher_config(norm)), "gift": __version__}
            name = f"{p.dataset}_{p.model}_{norm}_{config_hash(recipe)[:10]}.pt"
        return self.teachers_dir / name

    def teacher(self, norm: str = "batch") -> nn.Module:
        """The profile's teacher with ``norm`` (loaded; trained and saved first when missing and
        ``run_missing``)."""
        if norm in self._teachers:
            return self._teachers[norm]
        from ..teachers import load_teacher, save_teacher
        from ..train.teacher import train_teacher

        path = self.teacher_path(norm)
        if not path.exists():
            if not self.run_missing:
                raise NotComputed(path.name, {"teacher": str(path)})
            cfg = self.teacher_config(norm)
            model, meta = train_teacher(cfg, self.train, self.test, device=self.device, show_progress=self.show_progress,
                                        checkpoint=path.with_name(path.name + ".partial"))
            save_teacher(model, meta, path)
        self._teachers[norm] = load_teacher(path, dataset=self.profile.dataset, num_classes=self.num_classes)
        return self._teachers[norm]

    def teacher_accuracy(self, norm: str = "batch") -> float:
        return float(self.teacher(norm).gift_meta["test_accuracy"])

    # ----------------------------------------------------------------------------- distilled sets

    def _set_spec(self, method: str, ipc: int, seed: int) -> dict:
        options = self.profile.distill_options.get(method, {})
        teacher = None
        if method in ("rded", "sre2l"):
            teacher = self.teacher().gift_meta.get("id")
        return {"method": method, "dataset": self.profile.dataset, "ipc": ipc, "seed": seed,
                "teacher": teacher, "options": dict(options)}

    def _set_folder(self, method: str, ipc: int, seed: int) -> Path:
        root = self.regen_dir if method in COPIES_REAL_IMAGES else self.sets_dir
        return root / f"{method}-{self.profile.dataset}-ipc{ipc}-seed{seed}"

    def datm_path(self) -> Path:
        """The authors' released DATM CIFAR-10 IPC-10 set under the data root."""
        from ..data.download import DATM_HOW_TO_GET
        from ..data.paths import data_roots

        for root in data_roots():
            candidate = root / "released" / f"datm-{self.profile.dataset}-zca-ipc10"
            if candidate.is_dir():
                return candidate
        raise FileNotFoundError(
            f"the released DATM {self.profile.dataset} IPC-10 set was not found under "
            f"{', '.join(str(r) for r in data_roots())} (expected released/datm-{self.profile.dataset}-zca-ipc10 "
            "with images.pt, labels.pt, lr.pt); set GIFT_DATA_ROOT to the folder that holds it. " + DATM_HOW_TO_GET
        )

    def distilled(self, method: str, ipc: int, seed: int = 0):
        """The set ``method`` at ``ipc``: a ``DistilledSet``, or a :class:`LazySet` when only its
        recipe is needed. Raises :class:`NotComputed` when it was never made and ``run_missing``
        is off."""
        key = (method, ipc, seed)
        if key in self._sets:
            return self._sets[key]
        if method not in self.profile.methods:
            raise ValueError(f"profile {self.profile.name!r} has no {method!r} sets; "
                             f"its methods are: {', '.join(self.profile.methods)}")
        if method == "datm":
            self._sets[key] = self._released_set(method, ipc)
            return self._sets[key]
        record = self.store.get("set", self._set_spec(method, ipc, seed), on_bad=self._on_bad)
        if record is not None:
            self._sets[key] = LazySet(self, method, ipc, seed, record["result"]["recipe"],
                                      self._set_folder(method, ipc, seed))
        elif self.run_missing:
            self._sets[key] = self._materialize(method, ipc, seed)
        else:
            raise NotComputed(self.store.key(self._set_spec(method, ipc, seed)), self._set_spec(method, ipc, seed))
        return self._sets[key]

    def measurement(self, name: str, spec: dict, compute, complete=lambda result: True):
        """A chapter's measurement on real data (teacher statistics, a picture's pixels, ...):
        read back from the store when recorded, else computed by ``compute() -> dict`` and recorded
        (persistent profiles). Returns ``None``, after printing what is missing and how to get it,
        when it is not recorded and this machine lacks the data it needs — so a reader's clone
        renders every chapter from the store alone. A result for which ``complete(result)`` is
        false (e.g. some of its runs are not computed yet) is recorded as partial: a machine with the
        data computes it again (and records what changed), a clone without the data shows the
        partial record, the same table the book was rendered with, instead of nothing."""
        from ..data.errors import DataNotFoundError

        full = {"measurement": name, "profile": self.profile.name, **spec}
        record = self.store.get("measure", full, on_bad=self._on_bad)
        if record is not None and record["provenance"].get("complete", True):
            return record["result"]
        try:
            result = compute()
        except (DataNotFoundError, FileNotFoundError, NotComputed) as err:
            lines = [line.strip() for line in str(err).splitlines() if line.strip()]
            how = f" {lines[-1]}" if len(lines) > 1 else ""  # the error's last line says how to get the data
            if record is not None:
                print(f"{name}: recorded in part (what was computed when it was recorded), and this machine "
                      f"cannot update it: {lines[0]}{how}")
                return record["result"]
            print(f"{name}: not recorded, and this machine cannot compute it: {lines[0]}{how}")
            return None
        if record is None or as_read_back(result) != record["result"]:
            self.store.put("measure", full, result, {**provenance(self.device), "complete": bool(complete(result))})
        return result

    def _released_spec(self, method: str, ipc: int) -> dict:
        return {"method": method, "dataset": self.profile.dataset, "ipc": ipc, "release": True}

    def _released_set(self, method: str, ipc: int):
        """A released set (DATM): loaded from the data root when it is there (and its identity
        recorded), else, when nothing will be trained, its stored identity (:class:`ReleasedSetRecord`)."""
        from ..data import load_distilled
        from ..evaluation import distilled_identity

        if method != "datm" or ipc != 10:
            raise ValueError("only the released DATM IPC-10 set is available")
        spec = self._released_spec(method, ipc)
        try:
            path = self.datm_path()
        except FileNotFoundError:
            record = self.store.get("set", spec, on_bad=self._on_bad) if self.profile.persistent else None
            if record is None or self.run_missing:
                raise
            return ReleasedSetRecord(**record["result"])
        data = load_distilled(path, dataset=self.profile.dataset)
        if self.profile.persistent and self.store.get("set", spec) is None:
            self.store.put("set", spec, ReleasedSetRecord.of(data, distilled_identity(data)).to_dict(),
                           provenance(self.device))
        return data

    def set_available(self, method: str, ipc: int = 10) -> str | None:
        """None when the set can be shown (its files or its stored record exist), else a sentence
        saying what is missing and how to get it."""
        try:
            self.distilled(method, ipc)
        except FileNotFoundError as err:
            return str(err)
        except NotComputed:
            return None  # never made: the chapter shows its runs as "not computed"
        return None

    def register_set(self, folder: str | os.PathLike) -> Path:
        """Adopt a set made by ``gift distill`` with this profile's teacher and options: it is
        copied to where the profile keeps it and recorded, so chapters use it instead of
        distilling again. Its recipe must be exactly the one the profile would use."""
        import shutil

        from ..data import load_distilled
        from ..distill import get_distiller

        ds = load_distilled(folder, dataset=self.train)
        recipe = ds.meta.get("recipe")
        if not recipe:
            raise ValueError(f"{folder} has no recipe in distilled.json: it was not made by `gift distill`")
        method, ipc, seed = recipe["method"], recipe["ipc"], recipe["seed"]
        spec = self._set_spec(method, ipc, seed)
        want = {k: spec[k] for k in ("method", "dataset", "ipc", "seed", "teacher")}
        got = {k: recipe.get(k) for k in want}
        defaults = {o.name: o.resolve_default(self.train) for o in get_distiller(method).options}
        if got != want or recipe.get("options") != {**defaults, **spec["options"]}:
            raise ValueError(f"{folder} was made with {recipe}, but profile {self.profile.name!r} expects {spec}")
        target = self._set_folder(method, ipc, seed)
        if Path(folder).resolve() != target.resolve():
            if target.exists():
                shutil.rmtree(target)
            shutil.copytree(folder, target)
        self.store.put("set", spec, {"recipe": recipe, "num_images": len(ds.labels), "folder": target.name},
                       provenance(self.device, ds.meta.get("wall_time_s")))
        return target

    def _materialize(self, method: str, ipc: int, seed: int):
        """Read the set back from its folder when its recipe matches, else distil and save it."""
        import time

        from ..data import load_distilled, save_distilled
        from ..distill import distill

        spec = self._set_spec(method, ipc, seed)
        folder = self._set_folder(method, ipc, seed)
        record = self.store.get("set", spec)
        if (folder / "distilled.json").exists():
            ds = load_distilled(folder, dataset=self.train)
            recipe = ds.meta.get("recipe") or {}
            if record is not None and recipe == record["result"]["recipe"]:
                return ds
            if record is None and _recipe_matches(recipe, spec):
                self.store.put("set", spec, {"recipe": recipe, "num_images": len(ds.labels), "folder": folder.name},
                               provenance(self.device, ds.meta.get("wall_time_s")))
                return ds
        start = time.perf_counter()
        teacher = self.teacher() if spec["teacher"] else None
        ds = distill(method, self.train, ipc, teacher=teacher, seed=seed, device=self.device,
                     show_progress=self.show_progress, **spec["options"])
        wall = time.perf_counter() - start
        save_distilled(folder, ds, overwrite=True)
        if record is None:
            self.store.put("set", spec, {"recipe": ds.meta["recipe"], "num_images": len(ds.labels),
                                         "folder": folder.name}, provenance(self.device, wall))
        elif record["result"]["recipe"] != ds.meta["recipe"]:
            raise RuntimeError(
                f"regenerating {folder.name} gave a different recipe than the one recorded; "
                "the distiller changed without a version bump"
            )
        return ds

    # -------------------------------------------------------------------------------- evaluation

    def config(self, method: str | None = None, **overrides) -> EvalConfig:
        """The profile's evaluation config, with the method's student settings and ``overrides``."""
        p = self.profile
        # the profile's model options belong to the profile's model; another student starts from its own defaults
        own = overrides.get("model", p.model) == p.model
        epochs = p.short_budget.get(overrides.get("model", p.model), p.epochs)
        base = {"model": p.model, "model_kwargs": dict(p.model_kwargs) if own else {}, "epochs": epochs,
                "seeds": tuple(p.seeds), "precision": p.precision}
        extra = METHOD_STUDENT.get(method, {})
        for k, v in extra.items():
            base[k] = {**base[k], **v} if isinstance(v, dict) else v
        for k, v in overrides.items():
            base[k] = {**base.get(k, {}), **v} if k == "model_kwargs" else v
        return EvalConfig.from_dict(base)

    def stored(self, method: str, ipc: int, **overrides) -> EvalResult | None:
        """:meth:`evaluate` that never trains, whatever ``run_missing`` says: the run when the store
        has it, else ``None`` (for an optional run, such as a precision twin, that a chapter uses only
        where it exists)."""
        run_missing, self.run_missing = self.run_missing, False
        try:
            return self.evaluate(method, ipc, **overrides)
        finally:
            self.run_missing = run_missing

    def in_precision_of(self, result, baseline, method: str, ipc: int, **overrides) -> EvalResult | None:
        """``result``, or its twin trained explicitly in ``baseline``'s precision when the two arms
        trained in different precisions (``precision="auto"`` is bf16 on some CPUs, fp32 on others)
        and the store has that twin: a comparison should vary only what its claim is about. The twin
        is looked up, never trained; ``overrides`` are the ones ``result`` was evaluated with."""
        mine, theirs = precisions(result), precisions(baseline)
        if result is None or len(theirs) != 1 or mine == theirs:
            return result
        twin = self.stored(method, ipc, precision=theirs[0], **overrides)
        return twin if twin is not None and precisions(twin) == theirs else result

    def evaluate(self, method: str, ipc: int, *, set_seed: int = 0, teacher_norm: str = "batch",
                 **overrides) -> EvalResult | None:
        """Evaluate the set (``method``, ``ipc``) with the profile's protocol and ``overrides``
        (any :class:`EvalConfig` field, e.g. ``loss="gift"``); ``None`` when not computed and
        ``run_missing`` is off."""
        config = hard_if_no_teacher_needed(self.config(method, **overrides))
        try:
            data = self.distilled(method, ipc, set_seed)
            teacher = self.teacher(teacher_norm) if needs_teacher(config, has_soft_labels=has_soft_labels(data)) else None
            zca = self.zca if data.space == "zca" else None
            return evaluate(data, self.test_for_lookup(), config, teacher=teacher, zca=zca, device=self.device,
                            store=self.store, data_id=getattr(data, "identity", None),
                            show_progress=self.show_progress, run_missing=self.run_missing)
        except NotComputed:
            return None

    def evaluate_data(self, data, config: EvalConfig, *, teacher: nn.Module | None = None) -> EvalResult | None:
        """Evaluate any set (e.g. a class subset for continual learning) through the store."""
        try:
            return evaluate(data, self.test_for_lookup(), config, teacher=teacher, device=self.device, store=self.store,
                            show_progress=self.show_progress, run_missing=self.run_missing)
        except NotComputed:
            return None


@dataclass(frozen=True)
class TestSetRecord:
    """What the store's runs record of their test set: enough to look runs up (and to count
    classes) on a machine that does not have the images."""

    name: str
    split: str
    size: int
    num_classes: int
    class_names: tuple = ()

    @classmethod
    def of(cls, test) -> "TestSetRecord":
        names = tuple(str(c) for c in (test.class_names or test.classes or ()))
        return cls(test.name, test.split, int(len(test.labels)), int(test.num_classes), names)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class ReleasedSetRecord:
    """A released set's stored identity (DATM): what a run's key needs, without its files."""

    identity: dict
    num_images: int
    num_classes: int
    space: str
    lr: float | None
    has_soft_labels: bool
    meta: dict

    @classmethod
    def of(cls, data, identity: dict) -> "ReleasedSetRecord":
        lr = None if data.lr is None else float(data.lr)
        meta = {k: v for k, v in (data.meta or {}).items() if k in ("format", "dataset")}
        return cls(identity, int(len(data.labels)), int(data.num_classes), data.space, lr,
                   data.soft_labels is not None, meta)

    def to_dict(self) -> dict:
        return asdict(self)


def has_soft_labels(data) -> bool:
    """The set carries its own soft labels (DATM's learned logits), so ``auto`` uses them."""
    flag = getattr(data, "has_soft_labels", None)
    return bool(flag) if flag is not None else getattr(data, "soft_labels", None) is not None


def _recipe_matches(recipe: dict, spec: dict) -> bool:
    """A set on disk was made by the current distiller with the spec's method, data, teacher and options."""
    from ..distill import get_distiller

    if not recipe or any(recipe.get(k) != spec[k] for k in ("method", "dataset", "ipc", "seed", "teacher")):
        return False
    if recipe.get("version") != get_distiller(spec["method"]).version:
        return False
    options = recipe.get("options") or {}
    return all(options.get(k) == v for k, v in spec["options"].items())


__all__ = ["Experiment", "LazySet", "ReleasedSetRecord", "TestSetRecord", "default_regenerated_dir", "default_sets_dir",
           "has_soft_labels"]
