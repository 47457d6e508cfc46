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
# # Knowledge-distillation losses versus GIFT
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/gift-companion/gift-companion/blob/main/book/05_kd_comparison.ipynb)
#
# Paper: Section 5.3 and Table 3 of {cite}`shang2025gift`. Knowledge distillation already combines
# hard and soft labels, so the paper compares GIFT with four KD losses on RDED's distilled sets
# {cite}`sun2024rded`: KD {cite}`hinton2015kd`, WSLD {cite}`zhou2021wsld`, DKD {cite}`zhao2022dkd`
# and NKD {cite}`yang2023nkd`. The claim: "GIFT outperforms all knowledge distillation methods",
# which the paper attributes to the very small size of distilled sets.
#
# Here the same five losses train the same student on our RDED set at IPC 10, and, as an extra not in
# the paper, on our SRe2L set {cite}`yin2023sre2l` at IPC 10. The native loss of both methods (KL at
# $T = 20$) is added as a reference row.
#
# This page is generated from `notebooks/05_kd_comparison.py`; the parameters cell below selects the
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

import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Markdown, display

from gift.evaluation import NotComputed
from gift.companion import Experiment, as_row, describe_profile, fmt, markdown_table, provenance_summary, run_plan
from gift.losses import get_loss
from gift.companion.checklist import Checklist
from gift.companion.paper import TEACHER_ACCURACY, paper_rows
from gift.companion.report import claim_report

# Everything a profile changes, in one place: the IPC of the comparison (the paper's Table 3 has
# IPC 10 on every dataset) and the sets it is made on (the smoke profile skips its 60-iteration
# SRe2L set to stay within the test budget). The runs follow the profile's protocol.
SETTINGS = {
    "smoke": {"ipc": 10, "methods": ("rded",)},
    "companion": {"ipc": 10, "methods": ("rded", "sre2l")},
    "paper": {"ipc": 10, "methods": ("rded", "sre2l")},
}
if profile not in SETTINGS:
    raise ValueError(f"unknown profile {profile!r}; valid profiles are: {', '.join(SETTINGS)}")
cfg = SETTINGS[profile]
print(f"profile={profile} seed={seed} run_missing={run_missing} settings={cfg}")

ex = Experiment(profile, run_missing=run_missing, show_progress=False)
display(Markdown(describe_profile(profile)))
IPC = cfg["ipc"]
if IPC not in ex.profile.ipcs:
    raise ValueError(f"profile {profile!r} has no IPC {IPC} (its IPCs: {ex.profile.ipcs})")
METHODS = tuple(m for m in cfg["methods"] if m in ex.profile.methods)
PAPER_DATASET = {"cifar10": "CIFAR-10", "cifar100": "CIFAR-100"}
dataset_name = PAPER_DATASET.get(ex.profile.dataset, ex.profile.dataset)

KD_LOSSES = ex.profile.kd_losses
LOSSES = ("kl", *KD_LOSSES, "gift")  # kl: RDED's and SRe2L's own loss (reference row)
TABLE3_NAME = {"kd": "KD", "wsld": "WSLD", "dkd": "DKD", "nkd": "NKD", "gift": "GIFT"}

# %% [markdown]
# ## The losses and their hyperparameters
#
# The paper names the four KD methods but gives neither their formulas in the distilled-data setting
# nor their hyperparameters (its Appendix C only describes them in one sentence each), and the
# authors' code has no implementation of WSLD, DKD or NKD. We use the formulas of the reference
# implementations (cls_KD for WSLD and NKD, mdistiller for DKD) with their **CIFAR-100 configurations**, since distilled
# sets are small images trained for many epochs. $p^T = \mathrm{softmax}(z/T)$, $y$ is the image's
# hard label, and the teacher relabels every augmented batch, exactly as for GIFT.
#
# | loss | formula | source of the defaults |
# |---|---|---|
# | `kl` | $\mathrm{KL}(p_t^T \,\Vert\, p_s^T)$, no $T^2$ | GIFT authors' code (RDED/SRe2L native loss) |
# | `kd` | $w_{ce}\,\mathrm{CE}(z_s, y) + w_{kd}\,T^2\,\mathrm{KL}(p_t^T \Vert p_s^T)$ | mdistiller, CIFAR-100 config |
# | `wsld` | $\mathrm{CE}(z_s, y) + \alpha T^2 \frac1B\sum_i w_i\,\mathrm{CE}(p_{t,i}^T, p_{s,i}^T)$, $w_i = 1 - e^{-\mathrm{CE}_{s,i}/\mathrm{CE}_{t,i}}$ | cls_KD, CIFAR-100 config |
# | `dkd` | $w_{ce}\,\mathrm{CE} + \min(\text{epoch}/\text{warmup}, 1)\,T^2(\alpha\,\mathrm{TCKD} + \beta\,\mathrm{NCKD})$ | mdistiller, CIFAR-100 config |
# | `nkd` | $\mathrm{CE} - \frac1B\sum_i p_{t,iy}\log p_{s,iy} + \gamma T^2\,\mathrm{CE}(\hat p_t^T, \hat p_s^T)$ over non-target classes | cls_KD, CIFAR-100 config |
# | `gift` | $1 - \cos(z_s, r)$, $r = \gamma\, n(\tilde y) + (1-\gamma)\, n(z_t)$ | the paper (Section 4) |
#
# The values below are read from the loss classes (`gift.losses`), so they are the ones the runs used.

# %%
display(Markdown(markdown_table(["loss", "hyperparameters"], [
    [f"`{name}`", ", ".join(f"{k} = {v}" for k, v in get_loss(name).hparams().items())] for name in LOSSES])))
dkd_warmup = get_loss("dkd").hparams()["warmup"]
print(f"DKD's warm-up covers the first {dkd_warmup} of {ex.profile.epochs} training epochs in this profile "
      f"({100 * dkd_warmup / ex.profile.epochs:.0f}%; mdistiller trains 240 epochs on CIFAR-100).")

# %% [markdown]
# ## Results
#
# One call per set and loss, `ex.evaluate(m, 10, loss=L)`; runs already in the results store are
# read back, and with `run_missing=False` a missing run shows as "not computed".

# %%
res = {(m, L): ex.evaluate(m, IPC, loss=L) for m in METHODS for L in LOSSES}
missing = [k for k, r in res.items() if r is None]
print(f"{len(res) - len(missing)} of {len(res)} evaluations available")
for m, L in missing:
    print(f"  not computed: {m} IPC {IPC} with {L}")
try:
    teacher_acc = f"{ex.teacher_accuracy():.2f}"
except NotComputed:
    teacher_acc = "not computed"

# The paper's Table 3 at IPC 10 (all three datasets), and Table 1's RDED baseline for the kl row.
T3_DATASETS = ("CIFAR-100", "Tiny-ImageNet", "ImageNet-1K")
T3_TEACHER = {"CIFAR-100": ("CIFAR-100", "ConvNet-3"), "Tiny-ImageNet": ("Tiny-ImageNet", "ConvNet-4"),
              "ImageNet-1K": ("ImageNet-1K", "ConvNet-4")}


def paper_value(loss: str, dataset: str, ipc: int = IPC) -> tuple[float, float] | None:
    if loss == "kl":  # not in Table 3: RDED's own loss is the baseline row of Table 1 (Table 2 for ImageNet-1K)
        rows = paper_rows(table=2 if dataset == "ImageNet-1K" else 1, dataset=dataset, eval_model="ConvNet",
                          distill_method="RDED", ipc=ipc, setting="baseline")
    else:
        rows = paper_rows(table=3, dataset=dataset, distill_method="RDED", ipc=ipc, setting=TABLE3_NAME[loss])
    return (rows[0]["mean"], rows[0]["std"]) if len(rows) == 1 else None


def paper_text(loss: str, dataset: str) -> str:
    v = paper_value(loss, dataset)
    if v is None:
        return "—"
    return f"{v[0]:.1f} ± {v[1]:.1f}" + ((" (Table 2)" if dataset == "ImageNet-1K" else " (Table 1)") if loss == "kl" else "")


# %% [markdown]
# ### Table 3: ours next to the paper's IPC-10 columns
#
# Ours: mean ± std over seeds of the best-checkpoint test accuracy. Paper: Table 3 at IPC 10 on RDED
# sets with ConvNet students (its `kl` entries are the RDED baseline of Table 1, or Table 2 for
# ImageNet-1K, which Table 3 does not repeat). The first row is the teacher's test accuracy.

# %%
display(Markdown(markdown_table(
    ["loss", *(f"ours: {m} ({dataset_name})" for m in METHODS), *(f"paper: RDED {d}" for d in T3_DATASETS)],
    [["teacher", *(teacher_acc for _ in METHODS), *(f"{TEACHER_ACCURACY[T3_TEACHER[d]]:.2f}" for d in T3_DATASETS)]]
    + [[f"`{L}`", *(fmt(res[m, L]) for m in METHODS), *(paper_text(L, d) for d in T3_DATASETS)] for L in LOSSES])))

# %% tags=["hide-input"] mystnb={"figure": {"caption": "Left: our test accuracy of each loss on the RDED and SRe2L sets at IPC 10 (mean and std over seeds; missing runs are left out). Right: each KD loss (and the native KL loss) minus GIFT, ours next to the paper's Table 3 at IPC 10; below zero means GIFT is better.", "name": "fig-kd-table3"}}
colors = {"kl": "tab:gray", "kd": "tab:blue", "wsld": "tab:orange", "dkd": "tab:green", "nkd": "tab:purple",
          "gift": "tab:red"}
fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
ax = axes[0]
width = 0.8 / len(LOSSES)
for k, L in enumerate(LOSSES):
    rows = [as_row(res[m, L]) for m in METHODS]
    pos = np.arange(len(METHODS)) + (k - (len(LOSSES) - 1) / 2) * width
    ax.bar(pos, [r["best"] for r in rows], width, yerr=[r["best_std"] for r in rows], capsize=2,
           color=colors[L], label=L)
ax.set_xticks(range(len(METHODS)), [f"{m}, IPC {IPC}" for m in METHODS])
ax.set_ylabel("test accuracy (%)")
ax.set_title(f"ours ({dataset_name}, ConvNet-3)")
ax.legend(fontsize=8, ncol=2)
ax.grid(axis="y", alpha=0.3)

ax = axes[1]
groups = [(f"ours {m}", [as_row(res[m, L])["best"] - as_row(res[m, "gift"])["best"] for L in LOSSES[:-1]])
          for m in METHODS]
for d in T3_DATASETS:
    g = paper_value("gift", d)
    groups.append((f"paper {d}", [np.nan if (v := paper_value(L, d)) is None or g is None else v[0] - g[0]
                                  for L in LOSSES[:-1]]))
width = 0.8 / (len(LOSSES) - 1)
for k, L in enumerate(LOSSES[:-1]):
    pos = np.arange(len(groups)) + (k - (len(LOSSES) - 2) / 2) * width
    ax.bar(pos, [vals[k] for _, vals in groups], width, color=colors[L], label=L)
ax.axhline(0, color="black", linewidth=0.8)
ax.set_xticks(range(len(groups)), [name.replace(" ", "\n", 1) for name, _ in groups], fontsize=8)
ax.set_ylabel("loss − GIFT (points)")
ax.set_title(f"difference to GIFT (IPC {IPC})")
ax.legend(fontsize=8, ncol=3)
ax.grid(axis="y", alpha=0.3)
fig.tight_layout()
plt.show()

# %% [markdown]
# ### Provenance

# %%
kind = ("companion-profile runs read from the results store (results/)" if ex.profile.persistent
        else f"{profile}-profile runs trained just now in a temporary store")
print(f"{kind}: {provenance_summary(list(res.values()))}")

# %% [markdown]
# What each run above ran (loss, student, optimizer, protocol numbers, checkpoints), exactly; the
# regression tests check these lines, because the accuracies themselves differ in the last digits
# between CPU models (see `gift.companion.run_plan`).

# %% tags=["nbval-check-output", "hide-output"]
for line in run_plan(res):
    print(line)

# %% [markdown]
# ## Verdict
#
# For each set, GIFT is compared with every KD loss by the book's one rule ({ref}`the-rule`), from
# the same stored runs as the table above (`gift.companion.checklist`). The paper's claim is checked
# on its own Table 3 by means only (it prints no seeds to test).

# %%
paper_cols = sorted({(r["dataset"], r["ipc"]) for r in paper_rows(table=3)})
paper_best = sum(
    all(v is not None for v in vals.values()) and all(vals["gift"][0] > vals[L][0] for L in KD_LOSSES)
    for vals in ({L: paper_value(L, d, ipc) for L in (*KD_LOSSES, "gift")} for d, ipc in paper_cols))
claim = Checklist(ex, sets=METHODS, ipc=IPC).beats_kd()
display(Markdown(claim_report(claim, paper=f"GIFT has the highest mean in {paper_best} of {len(paper_cols)} "
                                            "columns of Table 3.")))

# %% [markdown]
# The KD hyperparameters are the reference CIFAR-100 settings, not tuned for distilled data (the
# paper does not say how it set them); only IPC 10 is run here, while Table 3 also has IPC 50 and
# 100.
