"""Chapter 4, the paper's Tables 1-2: every set trained with its method's own loss and with GIFT,
next to the paper's rows; the teachers; a picture of every set; the numbers of the verdict.

    mt = MainTable(ex)          # looks every run up in the store (trains it with run_missing)
    display(Markdown(mt.table1())); mt.plot_table1()
"""
from __future__ import annotations

import math

import numpy as np

from ..stats import compare
from .anchors import sre2l_against_random
from .experiment import Experiment, NotComputed
from .paper import TEACHER_ACCURACY, paper_rows
from .plots import loss_color
from .profiles import COPIES_REAL_IMAGES, OWN_LOSS
from .prose import listing, points, short
from .report import as_row, fmt, markdown_table, png_array, png_base64

# Names used by the paper's tables, and the dataset names of its teacher table.
PAPER_METHOD = {"rded": "RDED", "sre2l": "SRe2L", "datm": "DATM", "gvbsm": "G-VBSM"}
PAPER_DATASET = {"cifar10": "CIFAR-10", "cifar100": "CIFAR-100"}
T1_DATASETS = ("CIFAR-100", "Tiny-ImageNet")
T2_MODELS = ("ConvNet", "ResNet-18")
# images of each class shown per set (part of the stored picture's key: changing it redraws them)
PER_CLASS = {"smoke": 3}
PER_CLASS_DEFAULT = 4
# sets whose matched baseline is KL with the same teacher instead of their own loss: random subsets,
# whose own loss (soft CE at T = 1) is not what the distilled sets are compared with. DATM keeps its
# own loss (soft CE on its stored labels) as baseline; its KL run is shown, not compared.
KL_BASELINE = ("random",)


def dataset_name(profile) -> str:
    return PAPER_DATASET.get(profile.dataset, profile.dataset)


def ipcs_for(profile, method: str) -> tuple[int, ...]:
    """The IPCs at which a method has a set in this profile (DATM: the released IPC 10 only)."""
    return tuple(i for i in profile.ipcs if method != "datm" or i == 10)


def paper_pair(method: str, ipc: int, **filters) -> tuple[float, float] | None:
    """(own, GIFT) means of one paper cell, or None when the paper has no such cell."""
    if method not in PAPER_METHOD:
        return None
    got = {}
    for setting in ("baseline", "gift"):
        rows = paper_rows(distill_method=PAPER_METHOD[method], ipc=ipc, setting=setting, **filters)
        if len(rows) != 1:
            return None
        got[setting] = rows[0]["mean"]
    return got["baseline"], got["gift"]


def paper_cell(pair) -> str:
    return "—" if pair is None else f"{pair[0]:.1f} → {pair[1]:.1f} ({pair[1] - pair[0]:+.1f})"


def paper_gains() -> list[float]:
    """GIFT minus the baseline in every cell of the paper's Tables 1-2."""
    gains = []
    for t in (1, 2):
        for r in paper_rows(table=t, setting="gift"):
            base = paper_rows(table=t, dataset=r["dataset"], eval_model=r["eval_model"],
                              distill_method=r["distill_method"], ipc=r["ipc"], setting="baseline")
            gains.append(r["mean"] - base[0]["mean"])
    return gains


def paper_summary() -> str:
    g = paper_gains()
    return (f"GIFT is above the own loss in {sum(x > 0 for x in g)} of {len(g)} cells of Tables 1–2 "
            f"(gains {min(g):+.1f} to {max(g):+.1f} points).")


# ------------------------------------------------------------------------------------- teachers

def teacher_rows(ex) -> list[tuple]:
    """(label, our accuracy or NaN, the paper's Table 9 value or None, not trained here)."""
    name = dataset_name(ex.profile)
    teachers = [("ConvNet-3, batch norm (relabels random/rded/sre2l)", "batch", "ConvNet-3")]
    if ex.teacher_path("instance").exists():
        teachers.append(("ConvNet-3, instance norm", "instance", "ConvNet-3"))
    teachers.append(("ResNet-18 (modified)", None, "ResNet-18 (modified)"))
    rows = []
    for label, norm, arch in teachers:
        try:
            acc = float("nan") if norm is None else ex.teacher_accuracy(norm)
        except NotComputed:
            acc = float("nan")
        rows.append((label, acc, TEACHER_ACCURACY.get((name, arch)), norm is None))
    return rows


def teacher_summary(ex) -> str:
    """``"BatchNorm, 84.30%; instance norm, 82.90%; the paper's: 82.24%"``: our ConvNet-3 teachers'
    test accuracies (read from their checkpoints) and the paper's, for the protocol page's table."""
    rows = [r for r in teacher_rows(ex) if not r[3]]
    ours = [f"{'BatchNorm' if 'batch' in label else 'instance norm'}, "
            + ("not trained yet" if math.isnan(acc) else f"{acc:.2f}%") for label, acc, _, _ in rows]
    paper = rows[0][2]
    return "; ".join(ours + ([f"the paper's: {paper:.2f}%"] if paper is not None else []))


def teacher_table(ex, rows) -> str:
    name = dataset_name(ex.profile)
    return markdown_table(["teacher", f"ours ({name})", f"paper ({name}, Table 9)"], [
        [label, "not trained here (hours on a CPU; see below)" if untrained else "not computed" if math.isnan(acc) else f"{acc:.2f}",
         "—" if paper_acc is None else f"{paper_acc:.2f}"] for label, acc, paper_acc, untrained in rows])


def plot_teachers(ex, rows):
    """Our teachers (blue) next to the paper's of the same architectures (gray)."""
    import matplotlib.pyplot as plt

    name = dataset_name(ex.profile)
    bars = [(f"ours: {label.split(' (')[0]}", acc, "tab:blue") for label, acc, _, untrained in rows if not untrained]
    for arch in ("ConvNet-3", "ResNet-18 (modified)"):
        if TEACHER_ACCURACY.get((name, arch)) is not None:
            bars.append((f"paper: {arch} ({name})", TEACHER_ACCURACY[name, arch], "tab:gray"))
    names, values, colors = (list(col) for col in zip(*bars))
    fig, ax = plt.subplots(figsize=(7, 0.6 + 0.5 * (len(values) + 1)))
    ax.barh(range(len(values)), [0 if math.isnan(v) else v for v in values], color=colors)
    for i, v in enumerate(values):
        ax.text(1, i, "not computed" if math.isnan(v) else f"{v:.2f}", va="center", color="white" if v > 10 else "black")
    ax.set_yticks(range(len(values)), names)
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel("test accuracy (%)")
    fig.tight_layout()
    return fig


# ------------------------------------------------------------------------------- set pictures

def mosaic(labels, images, k: int, n_cls: int, gen) -> np.ndarray:
    """k images per class (rows) for every class (columns), 1-pixel white gaps."""
    import torch

    _, ch, h, w = images.shape
    out = torch.ones(ch, k * (h + 1) - 1, n_cls * (w + 1) - 1)
    for c in range(n_cls):
        idx = (labels == c).nonzero().flatten()
        pick = idx[torch.randperm(len(idx), generator=gen)[:k]]
        for r, i in enumerate(pick.tolist()):
            out[:, r * (h + 1): r * (h + 1) + h, c * (w + 1): c * (w + 1) + w] = images[i]
    return out.permute(1, 2, 0).numpy()


class _Pixels:
    """The pixels of a set, regenerating crops of real images (random, rded) when needed; never trains."""

    def __init__(self, ex):
        self.ex, self._regen = ex, None

    def __call__(self, method: str, ipc: int):
        ex = self.ex
        try:
            ds = ex.distilled(method, ipc)
        except NotComputed:
            if method not in COPIES_REAL_IMAGES:
                return "not computed yet"
            if self._regen is None:
                self._regen = Experiment(ex.profile.name, run_missing=True, show_progress=False)
            ds = self._regen.distilled(method, ipc)
        except FileNotFoundError:
            return "set not found"
        ds = ds.materialize() if hasattr(ds, "materialize") else ds  # a LazySet, or already a DistilledSet
        images = ds.images
        if ds.space == "zca":
            try:
                images = ex.zca().inverse(images)
            except Exception as e:  # the picture is optional; say why it is missing
                return f"inverse ZCA failed ({type(e).__name__})"
        return ds.labels, images.clamp(0, 1)


def set_pictures(ex, seed: int = 0) -> tuple[dict, list[str]]:
    """{(method, ipc): image array or the reason it is missing}, and the class names. Each picture
    is a recorded measurement (so a clone without the images shows it too)."""
    import torch

    per_class = PER_CLASS.get(ex.profile.name, PER_CLASS_DEFAULT)
    pixels = _Pixels(ex)

    def thumbnail(m: str, ipc: int) -> dict:
        got = pixels(m, ipc)
        if isinstance(got, str):
            return {"missing": got}
        gen = torch.Generator().manual_seed(seed + 1000 * ipc + sum(map(ord, m)))
        return {"png": png_base64(mosaic(*got, min(ipc, per_class), ex.num_classes, gen)),
                "classes": [str(c) for c in (ex.test.class_names or ex.test.classes)]}

    pictures, class_names = {}, []
    for m in ex.profile.methods:
        for ipc in ex.profile.ipcs:
            if ipc not in ipcs_for(ex.profile, m):
                pictures[m, ipc] = "no set at this IPC (the authors released IPC 10 only)"
                continue
            got = ex.measurement("set thumbnail", {"method": m, "ipc": ipc, "per_class": per_class, "seed": seed},
                                 lambda: thumbnail(m, ipc))
            if got is None or "missing" in got:
                pictures[m, ipc] = "picture not available here" if got is None else got["missing"]
            else:
                pictures[m, ipc], class_names = png_array(got["png"]), got["classes"]
    return pictures, class_names


def plot_sets(ex, pictures: dict, class_names: list[str]):
    """One panel per (method, IPC): the picture, or why it is missing."""
    import matplotlib.pyplot as plt

    methods, ipcs = ex.profile.methods, ex.profile.ipcs
    fig, axes = plt.subplots(len(methods), len(ipcs), figsize=(3.6 * len(ipcs), 1.6 * len(methods) + 0.6),
                             squeeze=False)
    for i, m in enumerate(methods):
        for j, ipc in enumerate(ipcs):
            ax, p = axes[i, j], pictures[m, ipc]
            ax.set_xticks([])
            ax.set_yticks([])
            ax.grid(False)
            if isinstance(p, str):
                ax.text(0.5, 0.5, p, ha="center", va="center", fontsize=8, wrap=True, transform=ax.transAxes)
                for side in ax.spines.values():
                    side.set_visible(False)
            else:
                ax.imshow(p, interpolation="nearest")
            if i == 0:
                ax.set_title(f"IPC {ipc}")
            if j == 0:
                ax.set_ylabel(m)
    fig.suptitle(f"distilled sets ({dataset_name(ex.profile)}); classes left to right: " + ", ".join(class_names),
                 fontsize=8)
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------------------- the main table

def _bar_positions(n_groups: int, n_bars: int, width: float):
    base = np.arange(n_groups)
    return [base + (k - (n_bars - 1) / 2) * width for k in range(n_bars)]


class MainTable:
    """Own loss and GIFT on every set and IPC of the profile (and KL where it is not the own loss:
    the matched baseline of random subsets, :data:`KL_BASELINE`), looked up through ``ex.evaluate``."""

    def __init__(self, ex):
        self.ex = ex
        self.dataset = dataset_name(ex.profile)
        self.results = {}
        for m in ex.profile.methods:
            for ipc in ipcs_for(ex.profile, m):
                self.results[m, ipc, "own"] = ex.evaluate(m, ipc, loss=OWN_LOSS[m])
                self.results[m, ipc, "gift"] = ex.evaluate(m, ipc, loss="gift")
                if OWN_LOSS[m] != "kl":  # the random control's matched baseline; DATM's shown beside its own
                    self.results[m, ipc, "kl"] = ex.evaluate(m, ipc, loss="kl")
        self.cells = [(m, ipc) for m in ex.profile.methods for ipc in ipcs_for(ex.profile, m)]
        self.missing = [k for k, r in self.results.items() if r is None]

    def baseline(self, m: str, ipc: int) -> str:
        """The matched baseline GIFT is compared with: KL with the same teacher for random subsets (the
        baseline of the RDED and SRe2L sets, whose own loss it is), else the method's own loss."""
        return "kl" if m in KL_BASELINE else "own"

    def loss_of(self, m: str, which: str) -> str:
        """The loss a results key names: ``"own"`` is the method's own loss."""
        return OWN_LOSS[m] if which == "own" else which

    def baseline_loss(self, m: str, ipc: int) -> str:
        return "kl" if self.baseline(m, ipc) == "kl" else OWN_LOSS[m]

    def gain(self, m: str, ipc: int, which: str = "best"):
        """GIFT against its matched baseline (:meth:`baseline`) by the book's rule (a
        :class:`gift.stats.Comparison`)."""
        return compare(f"{m} IPC {ipc}", self.results[m, ipc, "gift"], self.results[m, ipc, self.baseline(m, ipc)],
                       which)

    def table1(self) -> str:
        body = []
        for m, ipc in self.cells:
            c = self.gain(m, ipc)
            r = self.results
            kl = fmt(r[m, ipc, "kl"]) if (m, ipc, "kl") in r else "(own)" if OWN_LOSS[m] == "kl" else "—"
            papers = [paper_cell(paper_pair(m, ipc, table=1, dataset=d, eval_model="ConvNet")) for d in T1_DATASETS]
            body.append([m, ipc, OWN_LOSS[m], fmt(r[m, ipc, "own"]), kl, fmt(r[m, ipc, "gift"]),
                         self.baseline_loss(m, ipc), "—" if math.isnan(c.delta) else f"{c.delta:+.2f}", c.outcome,
                         *papers])
        return markdown_table(["method", "IPC", "own loss", "ours: own", "ours: KL", "ours: GIFT", "baseline",
                               "GIFT − baseline", "outcome", *(f"paper {d}" for d in T1_DATASETS)], body)

    @property
    def t2_cells(self) -> list[tuple[str, int]]:
        return [(m, ipc) for m, ipc in self.cells if any(paper_pair(m, ipc, table=2, eval_model=e) for e in T2_MODELS)]

    def table2(self) -> str:
        body = []
        for m, ipc in self.t2_cells:
            g = self.gain(m, ipc).delta
            body.append([m, ipc, fmt(self.results[m, ipc, "own"]), fmt(self.results[m, ipc, "gift"]),
                         "—" if math.isnan(g) else f"{g:+.2f}",
                         *(paper_cell(paper_pair(m, ipc, table=2, eval_model=e)) for e in T2_MODELS)])
        if not body:
            return "No method and IPC of this profile appears in the paper's Table 2."
        return markdown_table(["method", "IPC", "ours: own", "ours: GIFT", "gain",
                               *(f"paper IN-1K {e}" for e in T2_MODELS)], body)

    def _gain_bars(self, ax, cells, paper_series):
        """Our gain next to the paper's for the same method and IPC."""
        series = [(f"ours ({self.dataset}, ConvNet-3)", loss_color("gift"), [self.gain(m, ipc).delta for m, ipc in cells])]
        for name, color, filters in paper_series:
            pairs = [paper_pair(m, ipc, **filters) for m, ipc in cells]
            series.append((name, color, [np.nan if p is None else p[1] - p[0] for p in pairs]))
        for pos, (name, color, vals) in zip(_bar_positions(len(cells), len(series), 0.26), series):
            ax.bar(pos, vals, 0.26, color=color, label=name)
        ax.axhline(0, color="black", linewidth=0.8)
        ax.set_xticks(range(len(cells)), [f"{m}\nIPC {ipc}" for m, ipc in cells], fontsize=8)
        ax.set_ylabel("GIFT − baseline (points)")
        ax.legend(fontsize=8)

    def plot_table1(self):
        """Top: accuracy with the own loss and with GIFT. Bottom: GIFT's gain, ours and the paper's."""
        import matplotlib.pyplot as plt

        cells = self.cells
        fig, axes = plt.subplots(2, 1, figsize=(max(7, 1.1 * len(cells)), 7.2))
        ax = axes[0]
        # KL gets a bar only where it is not the own loss (random subsets, DATM): GIFT's matched
        # baseline on random subsets must be visible beside the soft CE the bars would otherwise show
        bars = (("own", "own loss", "tab:gray"), ("kl", "KL (where not the own loss)", loss_color("kl")),
                ("gift", "GIFT", loss_color("gift")))
        width = 0.27
        for pos, (which, label, color) in zip(_bar_positions(len(cells), len(bars), width), bars):
            shown = [(m, ipc) for m, ipc in cells if which != "kl" or (m, ipc, "kl") in self.results]
            rows = [as_row(self.results[key + (which,)]) for key in shown]
            at = [x for x, key in zip(pos, cells) if key in shown]
            ax.bar(at, [r["best"] for r in rows], width, yerr=[r["best_std"] for r in rows], capsize=2,
                   color=color, label=label)
            for x, r in zip(at, rows):
                if math.isnan(r["best"]):
                    ax.text(x, 1, "not computed", rotation=90, ha="center", va="bottom", fontsize=6, color="gray")
        ax.set_xticks(range(len(cells)), [f"{m}\nIPC {ipc}" for m, ipc in cells], fontsize=8)
        ax.set_ylabel("test accuracy (%)")
        ax.set_title(f"ours ({self.dataset}, ConvNet-3)")
        ax.legend(fontsize=8)
        self._gain_bars(axes[1], cells, [(f"paper {d}", color, {"table": 1, "dataset": d, "eval_model": "ConvNet"})
                                         for d, color in zip(T1_DATASETS, ("tab:blue", "tab:orange"))])
        axes[1].set_title("gain of GIFT")
        fig.tight_layout()
        return fig

    def plot_table2(self):
        import matplotlib.pyplot as plt

        cells = self.t2_cells
        fig, ax = plt.subplots(figsize=(max(6, 1.6 * max(len(cells), 1)), 3.4))
        self._gain_bars(ax, cells, [(f"paper ImageNet-1K {e}", color, {"table": 2, "eval_model": e})
                                    for e, color in zip(T2_MODELS, ("tab:purple", "tab:olive"))])
        fig.tight_layout()
        return fig

    def values(self, claim, control) -> dict:
        """The numbers the chapter's prose quotes (``{glue:text}``), all from the stored runs."""
        ex, r = self.ex, self.results
        distilled = [self.gain(m, ipc) for m, ipc in self.cells if m != "random"]
        return {
            "main_epochs": ex.profile.epochs, "main_seeds": len(ex.profile.seeds),
            "main_available": len(self.results) - len(self.missing), "main_evaluations": len(self.results),
            "main_missing_list": listing([f"{m} IPC {ipc} ({self.loss_of(m, which)})"
                                          for m, ipc, which in sorted(self.missing)], "none"),
            "main_gains": listing([short(c) for c in distilled if c.available]),
            "main_control": listing([c.difference() for c in control.comparisons if c.available]),
            "main_sre2l_vs_random": sre2l_against_random(ex),
            "main_paper": paper_summary(),
        }


__all__ = ["KL_BASELINE", "MainTable", "PAPER_DATASET", "PAPER_METHOD", "dataset_name", "ipcs_for", "paper_cell", "paper_gains",
           "paper_pair", "paper_summary", "plot_sets", "plot_teachers", "set_pictures", "teacher_rows", "teacher_table"]
