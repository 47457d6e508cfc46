# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Main results: GIFT on every method and IPC
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/gift-companion/gift-companion/blob/main/book/04_main_tables.ipynb)
#
# Paper: Section 5.2, Tables 1 and 2 of {cite}`shang2025gift`. The claim: replacing a distillation
# method's own label loss by GIFT "increases performance for all baseline methods" (SRe2L
# {cite}`yin2023sre2l`, RDED {cite}`sun2024rded`, DATM {cite}`guo2024datm`, G-VBSM
# {cite}`shao2024gvbsm`), on CIFAR-100 and Tiny-ImageNet at IPC 1, 10 and 50 (Table 1) and on
# ImageNet-1K at IPC 10, 50 and 100 (Table 2), with gains of up to 4.3 points.
#
# This chapter runs the same comparison in this book's setting: each distilled set is used to train a
# student twice, once with the method's own loss and once with GIFT, everything else unchanged. It
# shows the teacher, a picture of every distilled set, our table next to the paper's rows, and counts
# how many cells GIFT improves by more than the spread between seeds.
#
# This page is generated from `notebooks/04_main_tables.py`; the parameters cell below selects the
# run profile (see {doc}`reproduce`).

# %% tags=["remove-cell"]
# On Colab: clone the commit this page was executed with, install it, keep runs in the clone's
# results/ unless GIFT_RESULTS_DIR is set (e.g. to Drive; see Reproduce). Elsewhere: nothing.
import os, subprocess, sys

ON_COLAB = "google.colab" in sys.modules or "COLAB_RELEASE_TAG" in os.environ
if ON_COLAB:
    clone, ref = os.path.abspath("gift-companion"), os.environ.get("GIFT_REF")
    if not os.path.isdir(clone):
        try:  # the commit recorded in this notebook's metadata by tools/execute_notebooks.py
            from google.colab import _message
            ref = ref or _message.blocking_request("get_ipynb", timeout_sec=60)["ipynb"]["metadata"]["gift"]["commit"]
        except Exception:
            ref = ref or "main"
        for cmd in (["git", "clone", "--quiet", os.environ.get("GIFT_REPO", "https://github.com/gift-companion/gift-companion"), clone],  # PLACEHOLDER repo
                    ["git", "-C", clone, "checkout", "--quiet", ref], [sys.executable, "-m", "pip", "install", "--quiet", clone]):
            subprocess.run(cmd, check=True)
    os.environ.setdefault("GIFT_RESULTS_DIR", os.path.join(clone, "results"))

# %% tags=["parameters"]
profile = "companion"  # "smoke" (CPU, seconds), "companion" (the published book), "paper" (GPU/Colab)
seed = 0
run_missing = True  # train runs missing from results/ (False: show them as "not computed")

# %%
import math

import matplotlib.pyplot as plt
import numpy as np
import torch
from IPython.display import Markdown, display

from gift.evaluation import NotComputed
from gift.companion import (
    COPIES_REAL_IMAGES,
    markdown_table,
    OWN_LOSS,
    Experiment,
    as_row,
    describe_profile,
    fmt,
    provenance_summary,
    run_plan,
)
from gift.companion.checklist import Checklist
from gift.companion.paper import TEACHER_ACCURACY, paper_rows
from gift.companion.report import claim_report, png_array, png_base64
from gift.stats import compare

# Everything a profile changes, in one place; the runs themselves follow the profile's protocol.
# `per_class`: how many images of each class the picture of a set shows.
SETTINGS = {
    "smoke": {"per_class": 3},
    "companion": {"per_class": 4},
    "paper": {"per_class": 4},
}
if profile not in SETTINGS:
    raise ValueError(f"unknown profile {profile!r}; valid profiles are: {', '.join(SETTINGS)}")
cfg = SETTINGS[profile]
print(f"profile={profile} seed={seed} run_missing={run_missing} settings={cfg}")

ex = Experiment(profile, run_missing=run_missing, show_progress=False)
display(Markdown(describe_profile(profile)))

# Names used by the paper's tables, and the dataset names of its teacher table.
PAPER_METHOD = {"rded": "RDED", "sre2l": "SRe2L", "datm": "DATM", "gvbsm": "G-VBSM"}
PAPER_DATASET = {"cifar10": "CIFAR-10", "cifar100": "CIFAR-100"}
dataset_name = PAPER_DATASET.get(ex.profile.dataset, ex.profile.dataset)


def ipcs_for(method: str) -> tuple[int, ...]:
    """The IPCs at which a method has a set in this profile (DATM: the released IPC 10 only)."""
    return tuple(i for i in ex.profile.ipcs if method != "datm" or i == 10)


# %% [markdown]
# ## Setting
#
# The paper evaluates the sets released by each method's authors on CIFAR-100, Tiny-ImageNet and
# ImageNet-1K with the authors' teachers. Here (profile above):
#
# - **Methods.** `random` (real images drawn at random per class, labelled by the same teacher; not in
#   the paper, it is the baseline of {cite}`qin2024label`), `rded` and `sre2l` (sets we distilled
#   ourselves with `gift distill` and our teacher), and `datm` (the authors' released CIFAR-10 IPC-10
#   set, companion profile only). G-VBSM is not run: its multi-teacher relabelling needs five
#   teachers.
# - **Own loss** (`OWN_LOSS`, as the GIFT authors' scripts pair them): KL divergence at $T = 20$
#   without $T^2$ for RDED and SRe2L, soft cross-entropy ($T = 1$) for DATM and for random subsets.
#   DATM is trained on its stored learned labels with an instance-norm ConvNet, as in the paper; the
#   other sets are relabelled online by the frozen teacher on every augmented batch.
# - **Student.** ConvNet-3 only. The paper's ResNet-18 rows (the lower half of Table 1 and the right
#   half of Table 2) are not run here; a ResNet-18 student trained on our ConvNet-3 data is in the
#   cross-architecture part of {doc}`06_generalization` (the paper's Table 4).
# - **Reported number.** As in the authors' code: for each seed the best of the test accuracies at
#   four checkpoints (every quarter of training), then mean ± population std over seeds.
#
# ## The teacher
#
# Every set except DATM (which carries its own learned labels) is labelled by one teacher: a ConvNet-3
# trained with cross-entropy on the full training set. The paper's teachers for the same dataset
# (its Table 9: on CIFAR-10, ConvNet-3 82.24% and ResNet-18 (modified) 93.86%) are listed for
# reference; the paper reports no distillation result on CIFAR-10 and lists its CIFAR-10 teachers
# only in that table.

# %%
# (label, our checkpoint's norm or None when we train no such teacher, the paper's architecture name)
teachers = [("ConvNet-3, batch norm (relabels random/rded/sre2l)", "batch", "ConvNet-3")]
if ex.teacher_path("instance").exists():
    teachers.append(("ConvNet-3, instance norm", "instance", "ConvNet-3"))
teachers.append(("ResNet-18 (modified)", None, "ResNet-18 (modified)"))
teacher_rows = []  # (label, ours, paper's Table 9 value or None)
for label, norm, arch in teachers:
    try:
        acc = float("nan") if norm is None else ex.teacher_accuracy(norm)
    except NotComputed:
        acc = float("nan")
    teacher_rows.append((label, acc, TEACHER_ACCURACY.get((dataset_name, arch)), norm is None))
if not ex.teacher_path("instance").exists():
    print("The instance-norm teacher (results/teachers/"
          f"{ex.teacher_path('instance').name}) has not been trained yet; only the batch-norm teacher is shown.")

display(Markdown(markdown_table([
    "teacher", f"ours ({dataset_name})", f"paper ({dataset_name}, Table 9)"], [
    [label, "not trained here (needs a GPU)" if untrained else "not computed" if math.isnan(acc) else f"{acc:.2f}",
     "—" if paper_acc is None else f"{paper_acc:.2f}"] for label, acc, paper_acc, untrained in teacher_rows])))

# %% [markdown]
# A ResNet-18 (modified) teacher is not trained here. The CIFAR teacher of the SRe2L code is trained
# for 200 epochs; even our 30-epoch ConvNet-3 recipe (about 43 minutes on the 2-core CPU) would take
# an estimated 5-6.5 hours with a ResNet-18, which costs 7-9 ConvNet-3 steps here (one training step
# at batch 50 on one core: 1036 against 152 ms; a companion seed-run: 660-894 against 75-100 s),
# and no GPU has been lent to the project. Every set in this book is
# therefore relabelled by a ConvNet-3 teacher, also for the ResNet-18 students of
# {doc}`06_generalization`.

# %% tags=["hide-input"] mystnb={"figure": {"caption": "Test accuracy of the teachers used in this book (blue), next to the paper's CIFAR-10 teachers of the same architectures (gray, its Table 9).", "name": "fig-main-teacher"}}
bars = [(f"ours: {label.split(' (')[0]}", acc, "tab:blue") for label, acc, _, untrained in teacher_rows if not untrained]
for arch in dict.fromkeys(arch for _, _, arch in teachers):
    if TEACHER_ACCURACY.get((dataset_name, arch)) is not None:
        bars.append((f"paper: {arch} ({dataset_name})", TEACHER_ACCURACY[dataset_name, arch], "tab:gray"))
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
plt.show()


# %% [markdown]
# ## The distilled sets
#
# A few images of every class from every set of this profile (chosen at random with the chapter's
# `seed`). Random subsets and RDED sets are crops of real images and are regenerated from the
# training set when needed (seconds to a minute or two on a CPU; this is selection, not training).
# SRe2L images are synthesised by inverting the teacher and are read back from `results/sets/`; a set
# that has not been produced yet is marked "not computed yet". DATM's images live in ZCA-whitened
# space; they are shown after the inverse ZCA transform fitted on the training set (eps 0.1), clipped
# to [0, 1].

# %%
_regenerator = None


def regenerator() -> Experiment:
    """A handle that may regenerate sets of real-image crops (random, rded) but never trains."""
    global _regenerator
    if _regenerator is None:
        _regenerator = Experiment(profile, run_missing=True, show_progress=False)
    return _regenerator


def set_pixels(method: str, ipc: int):
    """(labels, images in [0, 1]) of a set, or a short reason why it cannot be shown."""
    try:
        ds = ex.distilled(method, ipc)
    except NotComputed:
        if method not in COPIES_REAL_IMAGES:
            return "not computed yet"
        ds = regenerator().distilled(method, ipc)
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


def mosaic(labels: torch.Tensor, images: torch.Tensor, k: int, gen: torch.Generator) -> np.ndarray:
    """k images per class (rows) for every class (columns), 1-pixel white gaps."""
    n_cls = ex.num_classes
    _, ch, h, w = images.shape
    out = torch.ones(ch, k * (h + 1) - 1, n_cls * (w + 1) - 1)
    for c in range(n_cls):
        idx = (labels == c).nonzero().flatten()
        pick = idx[torch.randperm(len(idx), generator=gen)[:k]]
        for r, i in enumerate(pick.tolist()):
            out[:, r * (h + 1): r * (h + 1) + h, c * (w + 1): c * (w + 1) + w] = images[i]
    return out.permute(1, 2, 0).numpy()


def thumbnail(m: str, ipc: int) -> dict:
    """The mosaic of one set as a stored PNG (so a clone without the images shows it too)."""
    got = set_pixels(m, ipc)
    if isinstance(got, str):
        return {"missing": got}
    gen = torch.Generator().manual_seed(seed + 1000 * ipc + sum(map(ord, m)))
    return {"png": png_base64(mosaic(*got, min(ipc, cfg["per_class"]), gen)),
            "classes": [str(c) for c in (ex.test.class_names or ex.test.classes)]}


pictures, class_names = {}, []
for m in ex.profile.methods:
    for ipc in ex.profile.ipcs:
        if ipc not in ipcs_for(m):
            pictures[m, ipc] = "no set at this IPC (the authors released IPC 10 only)"
            continue
        got = ex.measurement("set thumbnail", {"method": m, "ipc": ipc, "per_class": cfg["per_class"], "seed": seed},
                             lambda: thumbnail(m, ipc))
        if got is None or "missing" in got:
            pictures[m, ipc] = "picture not available here" if got is None else got["missing"]
        else:
            pictures[m, ipc], class_names = png_array(got["png"]), got["classes"]
shown = sum(not isinstance(p, str) for p in pictures.values())
print(f"{shown} of {len(pictures)} (method, IPC) panels have images")
for key, p in pictures.items():
    if isinstance(p, str):
        print(f"  {key[0]} IPC {key[1]}: {p}")

# %% tags=["hide-input"] mystnb={"figure": {"caption": "A few images per class (columns, in class order) from every distilled set of this profile: one row of panels per method, one column per IPC. Random and RDED images are real crops; SRe2L images are synthesised from the teacher; DATM images are shown after the inverse ZCA transform.", "name": "fig-main-sets"}}
methods, ipcs = ex.profile.methods, ex.profile.ipcs
fig, axes = plt.subplots(len(methods), len(ipcs), figsize=(3.6 * len(ipcs), 1.6 * len(methods) + 0.6),
                         squeeze=False)
for i, m in enumerate(methods):
    for j, ipc in enumerate(ipcs):
        ax = axes[i, j]
        p = pictures[m, ipc]
        ax.set_xticks([])
        ax.set_yticks([])
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
fig.suptitle(f"distilled sets ({dataset_name}); classes left to right: " + ", ".join(map(str, class_names)),
             fontsize=8)
fig.tight_layout()
plt.show()

# %% [markdown]
# ## Own loss versus GIFT
#
# Every cell is one call per loss, `ex.evaluate(m, ipc, loss=OWN_LOSS[m])` and
# `ex.evaluate(m, ipc, loss="gift")`; runs already in the results store are read back, and with
# `run_missing=False` a missing run shows as "not computed".

# %%
results = {}
for m in ex.profile.methods:
    for ipc in ipcs_for(m):
        results[m, ipc, "own"] = ex.evaluate(m, ipc, loss=OWN_LOSS[m])
        results[m, ipc, "gift"] = ex.evaluate(m, ipc, loss="gift")
        if OWN_LOSS[m] != "kl" and m != "datm":  # the matched baseline of the random control
            results[m, ipc, "kl"] = ex.evaluate(m, ipc, loss="kl")
cells = [(m, ipc) for m in ex.profile.methods for ipc in ipcs_for(m)]
missing = [k for k, r in results.items() if r is None]
print(f"{len(results) - len(missing)} of {len(results)} evaluations available")
for m, ipc, which in missing:
    print(f"  not computed: {m} IPC {ipc} with {OWN_LOSS[m] if which == 'own' else which}")


def gain(m: str, ipc: int, which: str = "best") -> tuple[float, str]:
    """(GIFT - own, its outcome by the book's rule); NaN when a run is missing."""
    c = compare(f"{m} IPC {ipc}", results[m, ipc, "gift"], results[m, ipc, "own"], which)
    return c.delta, c.outcome


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


# %% [markdown]
# ### Table 1: ours next to the paper's CIFAR-100 and Tiny-ImageNet rows
#
# "gain" is GIFT minus the own loss, "outcome" its verdict by the book's rule ({ref}`the-rule`).
# Random subsets also show KL with the same teacher, their matched baseline (see the verdict). The
# paper's columns are ConvNet rows of its Table 1 (own → GIFT, gain); "—" where the paper has no
# such cell.

# %%
T1 = ("CIFAR-100", "Tiny-ImageNet")
body = []
for m, ipc in cells:
    g, outcome = gain(m, ipc)
    kl = fmt(results[m, ipc, "kl"]) if (m, ipc, "kl") in results else "(own)" if OWN_LOSS[m] == "kl" else "—"
    papers = [paper_cell(paper_pair(m, ipc, table=1, dataset=d, eval_model="ConvNet")) for d in T1]
    body.append([m, ipc, OWN_LOSS[m], fmt(results[m, ipc, "own"]), kl, fmt(results[m, ipc, "gift"]),
                 "—" if math.isnan(g) else f"{g:+.2f}", outcome, *papers])
display(Markdown(markdown_table(["method", "IPC", "own loss", "ours: own", "ours: KL", "ours: GIFT", "gain", "outcome",
                                 *(f"paper {d}" for d in T1)], body)))


# %% tags=["hide-input"] mystnb={"figure": {"caption": "Top: our test accuracy with each method's own loss and with GIFT (mean and std over seeds; missing runs are left out). Bottom: the gain of GIFT over the own loss, ours next to the paper's ConvNet rows of Table 1 for the same method and IPC.", "name": "fig-main-table1"}}
def bar_positions(n_groups: int, n_bars: int, width: float):
    base = np.arange(n_groups)
    return [base + (k - (n_bars - 1) / 2) * width for k in range(n_bars)]


labels_x = [f"{m}\nIPC {ipc}" for m, ipc in cells]
fig, axes = plt.subplots(2, 1, figsize=(max(7, 1.1 * len(cells)), 7.2))
ax = axes[0]
for pos, which, color in zip(bar_positions(len(cells), 2, 0.38), ("own", "gift"), ("tab:gray", "tab:red")):
    rows = [as_row(results[m, ipc, which]) for m, ipc in cells]
    ax.bar(pos, [r["best"] for r in rows], 0.38, yerr=[r["best_std"] for r in rows], capsize=2, color=color,
           label="own loss" if which == "own" else "GIFT")
    for x, r in zip(pos, rows):
        if math.isnan(r["best"]):
            ax.text(x, 1, "not computed", rotation=90, ha="center", va="bottom", fontsize=6, color="gray")
ax.set_xticks(range(len(cells)), labels_x, fontsize=8)
ax.set_ylabel("test accuracy (%)")
ax.set_title(f"ours ({dataset_name}, ConvNet-3)")
ax.legend(fontsize=8)
ax.grid(axis="y", alpha=0.3)

ax = axes[1]
series = [(f"ours ({dataset_name})", "tab:red", [gain(m, ipc)[0] for m, ipc in cells])]
for d, color in zip(T1, ("tab:blue", "tab:green")):
    pairs = [paper_pair(m, ipc, table=1, dataset=d, eval_model="ConvNet") for m, ipc in cells]
    series.append((f"paper {d}", color, [np.nan if p is None else p[1] - p[0] for p in pairs]))
for pos, (name, color, vals) in zip(bar_positions(len(cells), len(series), 0.26), series):
    ax.bar(pos, vals, 0.26, color=color, label=name)
ax.axhline(0, color="black", linewidth=0.8)
ax.set_xticks(range(len(cells)), labels_x, fontsize=8)
ax.set_ylabel("GIFT − own loss (points)")
ax.set_title("gain of GIFT")
ax.legend(fontsize=8)
ax.grid(axis="y", alpha=0.3)
fig.tight_layout()
plt.show()

# %% [markdown]
# ### Table 2: ours next to the paper's ImageNet-1K rows
#
# The paper's Table 2 covers SRe2L, RDED and G-VBSM on ImageNet-1K at IPC 10, 50 and 100 (DATM does
# not scale to it). The table lists our gain at every IPC we share with it, next to the paper's
# ConvNet and ResNet-18 rows.

# %%
T2_MODELS = ("ConvNet", "ResNet-18")
t2_cells = [(m, ipc) for m, ipc in cells if any(paper_pair(m, ipc, table=2, eval_model=e) for e in T2_MODELS)]
body = []
for m, ipc in t2_cells:
    g, _ = gain(m, ipc)
    body.append([m, ipc, fmt(results[m, ipc, "own"]), fmt(results[m, ipc, "gift"]), "—" if math.isnan(g) else f"{g:+.2f}",
                 *(paper_cell(paper_pair(m, ipc, table=2, eval_model=e)) for e in T2_MODELS)])
display(Markdown(markdown_table(["method", "IPC", "ours: own", "ours: GIFT", "gain",
                                 *(f"paper IN-1K {e}" for e in T2_MODELS)], body)
                 if body else "No method and IPC of this profile appears in the paper's Table 2."))

# %% tags=["hide-input"] mystnb={"figure": {"caption": "Gain of GIFT over the own loss: ours next to the paper's ImageNet-1K rows (Table 2) for the same method and IPC. Missing bars: run not computed, or no such paper cell.", "name": "fig-main-table2"}}
fig, ax = plt.subplots(figsize=(max(6, 1.6 * max(len(t2_cells), 1)), 3.4))
series = [(f"ours ({dataset_name}, ConvNet-3)", "tab:red", [gain(m, ipc)[0] for m, ipc in t2_cells])]
for e, color in zip(T2_MODELS, ("tab:purple", "tab:olive")):
    pairs = [paper_pair(m, ipc, table=2, eval_model=e) for m, ipc in t2_cells]
    series.append((f"paper ImageNet-1K {e}", color, [np.nan if p is None else p[1] - p[0] for p in pairs]))
for pos, (name, color, vals) in zip(bar_positions(len(t2_cells), len(series), 0.26), series):
    ax.bar(pos, vals, 0.26, color=color, label=name)
ax.axhline(0, color="black", linewidth=0.8)
ax.set_xticks(range(len(t2_cells)), [f"{m}\nIPC {ipc}" for m, ipc in t2_cells], fontsize=8)
ax.set_ylabel("GIFT − own loss (points)")
ax.legend(fontsize=8)
ax.grid(axis="y", alpha=0.3)
fig.tight_layout()
plt.show()

# %% [markdown]
# ### Provenance

# %%
kind = ("companion-profile runs read from the results store (results/)" if ex.profile.persistent
        else f"{profile}-profile runs trained just now in a temporary store")
print(f"{kind}: {provenance_summary(list(results.values()))}")

# %% [markdown]
# What each run above ran (loss, student, optimizer, protocol numbers, checkpoints), exactly; the
# regression tests check these lines, because the accuracies themselves differ in the last digits
# between CPU models (see `gift.companion.run_plan`).

# %% tags=["nbval-check-output", "hide-output"]
for line in run_plan(results):
    print(line)

# %% [markdown]
# ## Verdict
#
# The paper's claim is that GIFT improves *every distillation method at every IPC*. It is judged on
# the distilled sets only (RDED, SRe2L, DATM), each against its method's own loss, by the book's one
# rule ({ref}`the-rule`). Random subsets are not a distillation method: they are the control beside
# it, judged against KL with the same teacher (the same baseline as the RDED and SRe2L sets), so that
# a gain that also appears on random real images is not credited to distillation.

# %%
checklist = Checklist(ex, heavy=True)
paper_gains = []
for t in (1, 2):
    for r in paper_rows(table=t, setting="gift"):
        base = paper_rows(table=t, dataset=r["dataset"], eval_model=r["eval_model"],
                          distill_method=r["distill_method"], ipc=r["ipc"], setting="baseline")
        paper_gains.append(r["mean"] - base[0]["mean"])
display(Markdown(claim_report(checklist.improves_every_method(), paper=(
    f"GIFT is above the own loss in {sum(g > 0 for g in paper_gains)} of {len(paper_gains)} cells of Tables 1–2 "
    f"(gains {min(paper_gains):+.1f} to {max(paper_gains):+.1f} points)."))))
display(Markdown(claim_report(checklist.random_control())))

# %% [markdown]
# The setting differs from the paper's (see the profile above): the sizes of the gains are not
# expected to match, the direction is what is compared. Our SRe2L sets are weaker than random real
# images relabelled by the same teacher (compare the rows above), so a verdict that rests on them
# tests GIFT on weak synthetic data, not on SRe2L as published.
