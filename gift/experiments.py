"""What the book's chapters run: run profiles, lazily resolved distilled sets, and store-backed
evaluation that loads a recorded run or trains it.

A chapter does::

    from gift.experiments import Experiment
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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from torch import nn

from .evaluation import EvalResult, NotComputed, evaluate
from .protocol import EvalConfig
from .registry import Registry
from .results import ResultsStore, default_results_dir, provenance
from .utils import resolve_device

# Each method's "own" loss, as the GIFT authors' scripts pair them (PROTOCOL.md A.1; the random
# baseline is the label paper's soft cross-entropy, PROTOCOL.md H).
OWN_LOSS = {"random": "soft_ce", "rded": "kl", "sre2l": "kl", "datm": "soft_ce"}

# Student settings a method's sets come with: DATM's sets are scored by an instance-norm ConvNet
# trained on the stored learned logits (PROTOCOL.md A.1 and F).
METHOD_STUDENT = {"datm": {"model_kwargs": {"norm": "instance"}, "label_source": "stored"}}

# Distillers whose images are crops of real images: their sets are regenerated from the real data
# (seconds) and never committed; synthesized sets (sre2l) are saved beside the results.
COPIES_REAL_IMAGES = {"random", "rded"}


@dataclass(frozen=True)
class Profile:
    """One run profile of the book (a papermill parameter of every chapter)."""

    name: str
    description: str
    dataset: str
    model: str = "convnet3"
    model_kwargs: dict = field(default_factory=dict)
    teacher_file: str = ""  # under results/teachers/ (persistent profiles)
    teacher_epochs: int = 30  # recipe used when the teacher has to be trained
    ipcs: tuple = (1, 10, 50)
    epochs: int = 1000
    seeds: tuple = (0, 1, 2)
    methods: tuple = ("random", "rded", "sre2l")
    distill_options: dict = field(default_factory=dict)  # method -> options
    persistent: bool = True  # False: temporary store (smoke)
    precision: str = "auto"
    threads: int | None = None  # torch CPU threads; 1 for smoke so its numbers do not depend on the core count
    deviations: tuple = ()  # what differs from the paper's protocol, said in every chapter
    # The grids the chapters, the claims page and the job queue all read (defined once, here).
    loss_grid: tuple = ("ce", "kl", "soft_ce", "mse", "mse_ce", "kl_ce", "soft_ce_ce", "gift", "cosine")
    kd_losses: tuple = ("kd", "wsld", "dkd", "nkd")
    gammas: tuple = (0.0, 0.05, 0.1, 0.2, 0.3, 0.5)
    # cross-architecture students: display name -> EvalConfig overrides
    students: dict = field(default_factory=lambda: {
        "ConvNet-3": {}, "ResNet-18 (modified)": {"model": "resnet18_modified"},
        "MobileNet-V2": {"model": "mobilenet_v2"}})
    # students too slow for the profile's epochs on its hardware: model -> epochs they run with
    # (their verdicts are marked "short budget")
    short_budget: dict = field(default_factory=dict)


PROFILES: Registry[Profile] = Registry("profile")


def _register(p: Profile) -> Profile:
    PROFILES.register(p.name)(p)
    return p


_register(Profile(
    name="smoke",
    description="digits (8x8 upsampled to 32x32), ConvNet-3 of width 16, 20 epochs, 2 seeds: seconds on a CPU",
    dataset="digits",
    model_kwargs={"width": 16},
    teacher_epochs=8,
    ipcs=(1, 10),
    epochs=20,
    seeds=(0, 1),
    distill_options={"sre2l": {"iterations": 60}, "rded": {"mipc": 50}},
    persistent=False,
    precision="fp32",
    threads=1,
    # ResNet-18 takes minutes per run on a CPU even on digits: a deeper ConvNet stands in for it
    students={"ConvNet-3": {}, "ConvNet-4 (stand-in)": {"model": "convnet4", "model_kwargs": {"width": 32}}},
    deviations=("a toy dataset and a few epochs: checks that the code runs, not what the paper claims",),
))
_register(Profile(
    name="companion",
    description="offline CIFAR-10 (JPEG copy), ConvNet-3 (BatchNorm, width 128), our teacher and distilled sets, "
                "the paper's 1000 epochs, 5 seeds",
    dataset="cifar10",
    teacher_file="cifar10_convnet3_batch.pt",
    ipcs=(1, 10, 50),
    epochs=1000,
    seeds=(0, 1, 2, 3, 4),
    methods=("random", "rded", "sre2l", "datm"),
    short_budget={"resnet18_modified": 300, "mobilenet_v2": 300},
    deviations=(
        "CIFAR-10 (the paper's tables use CIFAR-100, Tiny-ImageNet and ImageNet-1K)",
        "ResNet-18 and MobileNet-V2 students train for 300 epochs, not 1000 (30-45 minutes a seed on a "
        "2-core CPU); their verdicts are marked short budget",
        "our own teacher and our own RDED/SRe2L/random sets; only the DATM set is the authors' release",
    ),
))
_register(Profile(
    name="paper",
    description="the paper's setting for CIFAR-100 with ConvNet-3: 1000 epochs, 3 seeds; needs a GPU and the data",
    dataset="cifar100",
    teacher_file="cifar100_convnet3_batch.pt",
    teacher_epochs=60,
    ipcs=(1, 10, 50),
    epochs=1000,
    methods=("random", "rded", "sre2l"),
    students={"ConvNet-3": {}, "ResNet-18 (modified)": {"model": "resnet18_modified"},
              "MobileNet-V2": {"model": "mobilenet_v2"}, "EfficientNet-B0": {"model": "efficientnet_b0"}},
))


def get_profile(name: str | Profile) -> Profile:
    return name if isinstance(name, Profile) else PROFILES.get(name)


def list_profiles() -> list[str]:
    return PROFILES.names()


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
            tmp = Path(tempfile.mkdtemp(prefix=f"gift-{self.profile.name}-"))
            self.store = ResultsStore(tmp / "results")
            from .data.paths import cache_dir

            cached = cache_dir() / "profiles" / self.profile.name
            self.sets_dir = self.regen_dir = cached / "sets"
            self.teachers_dir = cached / "teachers"
        self._data: dict[str, Any] = {}
        self._teachers: dict[str, nn.Module] = {}
        self._sets: dict[tuple, Any] = {}

    # ------------------------------------------------------------------------------- real data

    def dataset(self, split: str):
        if split not in self._data:
            from .data import load_dataset

            self._data[split] = load_dataset(self.profile.dataset, split, show_progress=self.show_progress)
        return self._data[split]

    @property
    def test(self):
        return self.dataset("test")

    @property
    def train(self):
        return self.dataset("train")

    @property
    def num_classes(self) -> int:
        return self.test.num_classes

    def zca(self):
        """ZCA (eps 0.1) fitted on the real training images, for ZCA-space sets (DATM)."""
        if "zca" not in self._data:
            from .data import fit_zca

            self._data["zca"] = fit_zca(self.train, eps=0.1)
        return self._data["zca"]

    # --------------------------------------------------------------------------------- teachers

    def teacher_config(self, norm: str = "batch"):
        from .teachers import TeacherConfig

        p = self.profile
        return TeacherConfig(dataset=p.dataset, model=p.model, model_kwargs={**p.model_kwargs, "norm": norm},
                             epochs=p.teacher_epochs, precision=p.precision)

    def teacher_path(self, norm: str = "batch") -> Path:
        p = self.profile
        if p.teacher_file:
            name = p.teacher_file if norm == "batch" else p.teacher_file.replace("_batch", f"_{norm}")
        else:  # named by its recipe, so a cached file is reused only for the same recipe
            from . import __version__
            from .config import config_hash, config_to_dict

            recipe = {"config": config_to_dict(self.teacher_config(norm)), "gift": __version__}
            name = f"{p.dataset}_{p.model}_{norm}_{config_hash(recipe)[:10]}.pt"
        return self.teachers_dir / name

    def teacher(self, norm: str = "batch") -> nn.Module:
        """The profile's teacher with ``norm`` (loaded; trained and saved first when missing and
        ``run_missing``)."""
        if norm in self._teachers:
            return self._teachers[norm]
        from .teachers import load_teacher, save_teacher, train_teacher

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
        from .data.paths import data_roots

        for root in data_roots():
            candidate = root / "released" / f"datm-{self.profile.dataset}-zca-ipc10"
            if candidate.is_dir():
                return candidate
        raise FileNotFoundError(
            f"the released DATM {self.profile.dataset} IPC-10 set was not found under "
            f"{', '.join(str(r) for r in data_roots())} (expected released/datm-{self.profile.dataset}-zca-ipc10 "
            "with images.pt, labels.pt, lr.pt); set GIFT_DATA_ROOT to the folder that holds it"
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
            from .data import load_distilled

            if ipc != 10:
                raise ValueError("only the released DATM IPC-10 set is available")
            self._sets[key] = load_distilled(self.datm_path(), dataset=self.profile.dataset)
            return self._sets[key]
        record = self.store.get("set", self._set_spec(method, ipc, seed))
        if record is not None:
            self._sets[key] = LazySet(self, method, ipc, seed, record["result"]["recipe"],
                                      self._set_folder(method, ipc, seed))
        elif self.run_missing:
            self._sets[key] = self._materialize(method, ipc, seed)
        else:
            raise NotComputed(self.store.key(self._set_spec(method, ipc, seed)), self._set_spec(method, ipc, seed))
        return self._sets[key]

    def register_set(self, folder: str | os.PathLike) -> Path:
        """Adopt a set made by ``gift distill`` with this profile's teacher and options: it is
        copied to where the profile keeps it and recorded, so chapters use it instead of
        distilling again. Its recipe must be exactly the one the profile would use."""
        import shutil

        from .data import load_distilled
        from .distill import get_distiller

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

        from .data import load_distilled, save_distilled
        from .distill import distill

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

    def evaluate(self, method: str, ipc: int, *, set_seed: int = 0, teacher_norm: str = "batch",
                 **overrides) -> EvalResult | None:
        """Evaluate the set (``method``, ``ipc``) with the profile's protocol and ``overrides``
        (any :class:`EvalConfig` field, e.g. ``loss="gift"``); ``None`` when not computed and
        ``run_missing`` is off."""
        config = self.config(method, **overrides)
        try:
            data = self.distilled(method, ipc, set_seed)
            teacher = None
            if config.label_source in ("auto", "teacher") and not (
                config.label_source == "auto" and getattr(data, "soft_labels", None) is not None
            ):
                teacher = self.teacher(teacher_norm)
            zca = self.zca if data.space == "zca" else None
            return evaluate(data, self.test, config, teacher=teacher, zca=zca, device=self.device,
                            store=self.store, show_progress=self.show_progress, run_missing=self.run_missing)
        except NotComputed:
            return None

    def evaluate_data(self, data, config: EvalConfig, *, teacher: nn.Module | None = None) -> EvalResult | None:
        """Evaluate any set (e.g. a class subset for continual learning) through the store."""
        try:
            return evaluate(data, self.test, config, teacher=teacher, device=self.device, store=self.store,
                            show_progress=self.show_progress, run_missing=self.run_missing)
        except NotComputed:
            return None


def _recipe_matches(recipe: dict, spec: dict) -> bool:
    """A set on disk was made by the current distiller with the spec's method, data, teacher and options."""
    from .distill import get_distiller

    if not recipe or any(recipe.get(k) != spec[k] for k in ("method", "dataset", "ipc", "seed", "teacher")):
        return False
    if recipe.get("version") != get_distiller(spec["method"]).version:
        return False
    options = recipe.get("options") or {}
    return all(options.get(k) == v for k, v in spec["options"].items())


# ------------------------------------------------------------------------------------ reporting


def fmt(result: EvalResult | None, which: str = "best") -> str:
    """``"62.31 ± 0.42"`` (mean ± population std over seeds) or ``"not computed"``."""
    if result is None:
        return "not computed"
    s = result.summary()
    return f"{s[which + '_mean']:.2f} ± {s[which + '_std']:.2f}"


def mean_std(result: EvalResult | None, which: str = "best") -> tuple[float, float]:
    if result is None:
        return float("nan"), float("nan")
    s = result.summary()
    return s[which + "_mean"], s[which + "_std"]


def _seed_runs(results) -> list[dict]:
    """The per-seed run records of ``results`` (``EvalResult`` or None = not computed)."""
    return [r for res in results if res is not None for r in res.runs]


def device_kind(device: str) -> str:
    """"CPU" or "GPU" for a provenance device name ("cpu: ..." or a CUDA device name)."""
    return "CPU" if device.startswith("cpu") else "GPU"


def provenance_summary(results) -> str:
    """One line saying how many runs a chapter shows, when, where and from which commit."""
    runs = _seed_runs(results)
    if not runs:
        return "no recorded runs"
    provs = [r.get("provenance", {}) for r in runs]
    dates = sorted(p.get("date", "?")[:10] for p in provs)
    devices = sorted({p.get("device", "?") for p in provs})
    commits = sorted({p.get("git_commit", "?") for p in provs})
    hours = sum(p.get("wall_time_s") or 0 for p in provs) / 3600
    span = dates[0] if dates[0] == dates[-1] else f"{dates[0]} to {dates[-1]}"
    return (f"{len(runs)} training runs recorded {span} on {'; '.join(devices)} "
            f"(commits {', '.join(commits)}; {hours:.2f} h of training)")


def hardware_summary(results) -> str:
    """Where a set of runs was trained, e.g. "CPU only (2 machines)" or "GPU: NVIDIA H100 (12 runs);
    CPU (40 runs)", and how many were compiled: the book says for each table whether it has GPU
    runs."""
    runs = _seed_runs(results)
    if not runs:
        return "no recorded runs"
    kinds: dict[str, list[str]] = {}
    for r in runs:
        d = r.get("provenance", {}).get("device", "?")
        kinds.setdefault(device_kind(d), []).append(d)
    n_compiled = sum(bool(r.get("compiled")) for r in runs)
    compiled = f"; {n_compiled} compiled" if n_compiled else ""  # torch.compile: other rounding
    if set(kinds) == {"CPU"}:
        n = len(set(kinds["CPU"]))
        return f"CPU only ({len(runs)} runs on {n} machine{'s' if n > 1 else ''}{compiled})"
    parts = []
    for kind in ("GPU", "CPU"):
        if kind in kinds:
            names = sorted({d.split(": ", 1)[-1] for d in kinds[kind]})
            parts.append(f"{kind}: {', '.join(names)} ({len(kinds[kind])} runs)")
    return "; ".join(parts) + (f" ({n_compiled} compiled)" if n_compiled else "")


def run_plan(results: dict) -> list[str]:
    """One line per run of a chapter with what it *ran*, not what it measured: loss and its options,
    student, optimizer, the resolved protocol numbers, the checkpoint epochs recorded, and whether
    every accuracy is a valid percentage.

    Accuracies after a few epochs of training differ in the last bits between CPU models (oneDNN
    picks other kernels), so they cannot be compared across the machines CI may run on; these
    lines are exact on every machine and change only when the protocol does. The regression tests
    (nbval) check them."""
    lines = []
    for label, res in results.items():
        name = " ".join(str(p) for p in label) if isinstance(label, tuple) else str(label)
        if res is None:
            lines.append(f"{name}: not computed")
            continue
        c, h = res.config, res.hparams
        kw = ",".join(f"{k}={v}" for k, v in sorted(c["loss_kwargs"].items()))
        model_kw = ",".join(f"{k}={v}" for k, v in sorted(c["model_kwargs"].items()))
        epochs = sorted({tuple(ck["epoch"] for ck in r["checkpoints"]) for r in res.runs})
        valid = all(0.0 <= ck["accuracy"] <= 100.0 for r in res.runs for ck in r["checkpoints"])
        lines.append(
            f"{name}: {c['loss']}({kw}) {c['model']}({model_kw}) {c['optimizer']} lr={h['lr']:g} "
            f"wd={h['weight_decay']:g} batch={h['batch_size']} epochs={c['epochs']} "
            f"milestones={list(h['milestones'])} seeds={[r['seed'] for r in res.runs]} "
            f"checkpoints={'/'.join(str(list(e)) for e in epochs)} accuracies valid={valid}"
        )
    return lines


def describe_profile(profile: str | Profile) -> str:
    p = get_profile(profile)
    lines = [f"Profile **{p.name}**: {p.description}."]
    if p.deviations:
        lines.append("Differences from the paper's protocol: " + "; ".join(p.deviations) + ".")
    return "\n".join(lines)


def markdown_table(header, rows) -> str:
    """A Markdown table (the chapters display it with ``IPython.display.Markdown``)."""
    lines = ["| " + " | ".join(str(h) for h in header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def as_row(result: EvalResult | None) -> dict[str, float]:
    """Flat numbers for tables and figures (NaN when not computed)."""
    b, bs = mean_std(result, "best")
    f, fs = mean_std(result, "final")
    return {"best": b, "best_std": bs, "final": f, "final_std": fs}


__all__ = [
    "COPIES_REAL_IMAGES", "Experiment", "LazySet", "METHOD_STUDENT", "OWN_LOSS", "PROFILES", "Profile",
    "as_row", "describe_profile", "device_kind", "fmt", "get_profile", "hardware_summary", "list_profiles",
    "markdown_table", "mean_std", "provenance_summary", "run_plan",
]
