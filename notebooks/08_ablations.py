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
# # Ablations: refinement, loss, and the weight gamma
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/gift-companion/gift-companion/blob/main/book/08_ablations.ipynb)
#
# Paper: Section 5.6 ("Are both modules of GIFT necessary?", "Influence of hyper-parameter
# $\gamma$"), Table 7, Table 13 and Figures 3 and 8 of {cite}`shang2025gift`.
#
# **The claims.**
#
# 1. *Both modules help.* GIFT has two parts, the label refinement and the cosine loss (see
#    {doc}`02_method`). Tables 7 (CIFAR-100, Tiny-ImageNet) and 13 (ImageNet-1K) remove one or both
#    on SRe2L {cite}`yin2023sre2l` and RDED {cite}`sun2024rded` sets. The paper: "the cosine
#    similarity loss function significantly enhanced performance", "teacher label refinement
#    consistently enhances performance, regardless of the presence of cosine similarity loss", "both
#    modules are essential".
# 2. *$\gamma = 0.1$ is best.* Figures 3 (ResNet-18) and 8 (ConvNet) sweep the refinement weight
#    $\gamma$ at IPC 10: "GIFT achieves optimal performance when $\gamma = 0.1$" and "for values of
#    $\gamma$ greater than 0.1, a significant performance decline is observed across all methods".
#    The paper sets $\gamma = 0.1$ everywhere because of this sweep. The figures' numbers are not
#    printed, so only these statements can be compared.
#
# This page is generated from `notebooks/08_ablations.py`; the parameters cell below selects the run
# profile (see {doc}`reproduce`).

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
from IPython.display import Markdown, display

from gift.companion.checklist import Checklist
from gift.companion.report import claim_report
from gift.stats import compare as stats_compare
from gift.companion import Experiment, as_row, describe_profile, fmt, markdown_table, provenance_summary, run_plan
from gift.companion.paper import paper_rows

# Everything a profile changes, in one place. The smoke profile uses only the RDED set (an SRe2L
# set takes longer to synthesise than the whole chapter may take); its numbers only show that the
# code runs.
SETTINGS = {
    "smoke": {"sets": ("rded",)},
    "companion": {"sets": ("rded", "sre2l")},
    "paper": {"sets": ("rded", "sre2l")},
}
if profile not in SETTINGS:
    raise ValueError(f"unknown profile {profile!r}; valid profiles are: {', '.join(SETTINGS)}")
cfg = SETTINGS[profile]
ex = Experiment(profile, run_missing=run_missing, show_progress=False)
IPC = 10
SETS = [m for m in cfg["sets"] if m in ex.profile.methods]
SET_LABEL = {"rded": "RDED", "sre2l": "SRe2L"}
print(f"profile={profile} seed={seed} run_missing={run_missing} sets={SETS}")
display(Markdown(describe_profile(profile)))

# %% [markdown]
# ## The four variants
#
# | variant | refinement | loss | `gift` loss name | paper row |
# |---|---|---|---|---|
# | baseline | no | the set's native KL ($T = 20$) | `kl` | neither |
# | refinement only | yes | KL against the refined label | `kl_refined` | Refine only |
# | loss only | no | cosine against the raw teacher logits | `cosine` | Loss only |
# | GIFT | yes | cosine against the refined label | `gift` | both |
#
# **"Refinement only" is our interpretation.** The refined label
# $r = \gamma\, n(s) + (1-\gamma)\, n(t)$ has unit scale, while KL needs logits whose scale sets how
# sharp $\mathrm{softmax}(r/T)$ is; the paper does not say how it fed $r$ to KL. `kl_refined` rescales
# $r$, row by row, to the norm of the teacher logits, so that the target is as sharp as the teacher's
# and only the refinement changes (docstring of `RefinedKLLoss` in `gift/losses.py`). Another reading
# (e.g. KL on $r$ itself, which at $T = 20$ would be an almost uniform target) would give different
# numbers, so the "refinement only" row tests our reading, not necessarily the paper's.
#
# The other differences from the paper: the profile's dataset and our own sets (see above), a
# ConvNet student for both tables (Table 13 also has ResNet-18), and only IPC 10.

# %%
VARIANTS = ["kl", "kl_refined", "cosine", "gift"]
VLABEL = {"kl": "baseline (KL)", "kl_refined": "refinement only", "cosine": "loss only (cosine)",
          "gift": "both (GIFT)"}
PAPER_SETTING = {"kl": "baseline", "kl_refined": "refine_only", "cosine": "loss_only", "gift": "refine+loss"}
GAMMAS = list(ex.profile.gammas)

# Exactly the calls the companion runs were made with.
ablation = {(m, L): ex.evaluate(m, IPC, loss=L) for m in SETS for L in VARIANTS}
sweep = {(m, g): ex.evaluate(m, IPC, loss="gift", loss_kwargs={"gamma": g})
         for m in SETS for g in GAMMAS}
all_results = list(ablation.values()) + list(sweep.values())
print(f"ablation: {sum(r is not None for r in ablation.values())} of {len(ablation)} computed; "
      f"gamma sweep: {sum(r is not None for r in sweep.values())} of {len(sweep)} computed")

# %% [markdown]
# ## Refinement and loss: Tables 7 and 13
#
# Our rows next to the paper's at IPC 10 with a ConvNet: Table 7 (CIFAR-100, Tiny-ImageNet) and
# Table 13 (ImageNet-1K; it has no "refinement only" row). Gains are over the baseline of the same
# column.

# %%
PAPER_COLS = [(7, "CIFAR-100"), (7, "Tiny-ImageNet"), (13, "ImageNet-1K")]
PAPER_METHOD = {"rded": "RDED", "sre2l": "SRe2L"}


def paper_value(table, dataset, method, L):
    found = paper_rows(table=table, dataset=dataset, ipc=IPC, eval_model="ConvNet",
                       distill_method=PAPER_METHOD[method], setting=PAPER_SETTING[L])
    return (found[0]["mean"], found[0]["std"]) if found else (np.nan, np.nan)


def with_gain(value, base):
    if math.isnan(value[0]):
        return "—"
    gain = value[0] - base[0]
    return f"{value[0]:.1f} ± {value[1]:.1f}" + ("" if gain == 0 or math.isnan(gain) else f" ({gain:+.1f})")


ours = {(m, L): (as_row(r)["best"], as_row(r)["best_std"]) for (m, L), r in ablation.items()}
paper_vals = {(t, d, m, L): paper_value(t, d, m, L) for t, d in PAPER_COLS for m in PAPER_METHOD for L in VARIANTS}
body = []
for m in PAPER_METHOD:
    for L in VARIANTS:
        row = [SET_LABEL[m], VLABEL[L]]
        if m in SETS:
            r = ablation[(m, L)]
            row.append("not computed" if r is None else
                       f"{fmt(r)}" + ("" if L == "kl" or ablation[(m, 'kl')] is None else
                                      f" ({ours[(m, L)][0] - ours[(m, 'kl')][0]:+.2f})"))
        else:
            row.append(f"not in the {profile} profile")
        for t, d in PAPER_COLS:
            row.append(with_gain(paper_vals[(t, d, m, L)], paper_vals[(t, d, m, "kl")]))
        body.append(row)
display(Markdown(f"**Top-1 accuracy (%) at IPC {IPC}**, mean ± std over seeds (in brackets: gain over the "
                 "baseline); — : no such row in the paper.\n\n"
                 + markdown_table(["set", "variant", f"ours ({profile})"] + [f"paper T{t}, {d}" for t, d in PAPER_COLS],
                            body)))

# %% tags=["hide-input"] mystnb={"figure": {"caption": "Gain in top-1 accuracy over the native KL baseline for refinement only, loss only and both (GIFT), at IPC 10 with a ConvNet. Left: our sets (error bars: 95% Welch interval of the difference; missing bars: not computed). Right: the paper's Tables 7 and 13 (Table 13 has no refinement-only row).", "name": "fig-ablation-modules"}}
fig, axes = plt.subplots(1, 2, figsize=(11, 3.6), sharey=False)
ax = axes[0]
others = VARIANTS[1:]
x = np.arange(len(others))
width = 0.8 / max(len(SETS), 1)
for i, m in enumerate(SETS):
    base = ours[(m, "kl")]
    cs = [stats_compare(L, ablation[(m, L)], ablation[(m, "kl")]) for L in others]
    gains = [c.delta for c in cs]
    errs = [(c.interval[1] - c.interval[0]) / 2 for c in cs]
    ax.bar(x + (i - (len(SETS) - 1) / 2) * width, np.nan_to_num(gains), width, yerr=np.nan_to_num(errs),
           capsize=3, label=SET_LABEL[m])
if all(r is None for r in ablation.values()):
    ax.text(0.5, 0.5, "not computed yet", transform=ax.transAxes, ha="center", va="center", color="grey")
ax.axhline(0, color="black", linewidth=0.8)
ax.set_xticks(x, [VLABEL[L] for L in others])
ax.set_ylabel("gain over KL baseline (points)")
ax.set_title(f"ours ({profile} profile)")
ax.legend(fontsize=8)
ax.grid(axis="y", alpha=0.3)

ax = axes[1]
cols = [(t, d, m) for t, d in PAPER_COLS for m in PAPER_METHOD]
width = 0.8 / len(cols)
for i, (t, d, m) in enumerate(cols):
    base = paper_vals[(t, d, m, "kl")][0]
    gains = [paper_vals[(t, d, m, L)][0] - base for L in others]
    ax.bar(x + (i - (len(cols) - 1) / 2) * width, gains, width, label=f"{PAPER_METHOD[m]}, {d}")
ax.axhline(0, color="black", linewidth=0.8)
ax.set_xticks(x, [VLABEL[L] for L in others])
ax.set_title("paper, Tables 7 and 13 (ConvNet)")
ax.legend(fontsize=7, ncol=2)
ax.grid(axis="y", alpha=0.3)
fig.tight_layout()
plt.show()

# %% [markdown]
# **A consistency check of the paper's own numbers.** Table 6 of the paper (the loss comparison of
# {doc}`01_loss_sensitivity`) also has a "GIFT" row for RDED sets. The cell below compares it, column
# by column, with the "loss only" and "both" rows of Tables 7 and 13 and with GIFT in the main Tables
# 1 and 2 (ConvNet).

# %%
equal_full, equal_loss_only, compared = [], [], []
for r6 in paper_rows(table=6, distill_method="RDED", setting="GIFT"):
    d, ipc = r6["dataset"], r6["ipc"]
    common = {"dataset": d, "ipc": ipc, "eval_model": "ConvNet", "distill_method": "RDED"}
    loss_only = paper_rows(table=13 if d == "ImageNet-1K" else 7, setting="loss_only", **common)
    full = paper_rows(table=2 if d == "ImageNet-1K" else 1, setting="gift", **common)
    if not (loss_only and full):
        continue
    name = f"{d} IPC {ipc}"
    compared.append(name)
    if r6["mean"] == full[0]["mean"]:
        equal_full.append(name)
    elif r6["mean"] == loss_only[0]["mean"]:
        equal_loss_only.append(f"{name} ({r6['mean']:.1f}; full GIFT {full[0]['mean']:.1f})")
print(f"Table 6 'GIFT' (RDED, ConvNet) in {len(compared)} columns:")
print(f"  equals the full GIFT of Tables 1/2 in {len(equal_full)}: {', '.join(equal_full) or '-'}")
print(f"  equals the 'loss only' row of Tables 7/13 instead in {len(equal_loss_only)}: {', '.join(equal_loss_only) or '-'}")
if equal_loss_only:
    print("Where it equals 'loss only', Table 6 shows the cosine loss without refinement (in the row order read here) "
          "under the name GIFT, so it understates full GIFT there.")

# %% [markdown]
# ## The weight $\gamma$: Figures 3 and 8
#
# GIFT with $\gamma \in \{0, 0.05, 0.1, 0.2, 0.3, 0.5\}$ (the paper's convex weight; $\gamma = 0.1$ is
# the default run above). At $\gamma = 0$ the refined label is $n(t)$, and the cosine loss ignores
# length, so $\gamma = 0$ is the "loss only" variant again, trained as a separate run: the two should
# agree within seed noise, a check of the implementation (printed below the table).

# %%
sw = {(m, g): (as_row(r)["best"], as_row(r)["best_std"]) for (m, g), r in sweep.items()}
body = []
for g in GAMMAS:
    row = [f"{g:g}" + (" (paper default)" if g == 0.1 else "")]
    for m in SETS:
        v, d = sw[(m, g)], sw[(m, 0.1)]
        if math.isnan(v[0]):
            row.append("not computed")
        else:
            row.append(f"{v[0]:.2f} ± {v[1]:.2f}" + ("" if g == 0.1 or math.isnan(d[0]) else f" ({v[0] - d[0]:+.2f})"))
    body.append(row)
display(Markdown(f"**GIFT accuracy (%) against gamma, IPC {IPC}** (in brackets: difference to gamma = 0.1).\n\n"
                 + markdown_table(["gamma"] + [f"{SET_LABEL[m]} (ours)" for m in SETS], body)))
for m in SETS:
    if sweep[(m, 0.0)] is not None and ablation[(m, "cosine")] is not None:
        c = stats_compare("", sweep[(m, 0.0)], ablation[(m, "cosine")])
        print(f"{SET_LABEL[m]}: gamma=0 gives {fmt(sweep[(m, 0.0)])}, the cosine loss {fmt(ablation[(m, 'cosine')])}: "
              + ("they agree within seed noise" if c.outcome == "tie" else f"they differ beyond seed noise ({c.delta:+.2f})"))
    else:
        print(f"{SET_LABEL[m]}: gamma=0 or the cosine loss is not computed, so the check is not made")

# %% tags=["hide-input"] mystnb={"figure": {"caption": "GIFT's top-1 accuracy against the refinement weight gamma at IPC 10 (error bars: std over seeds; dotted line: the paper's gamma = 0.1). The paper's Figures 3 and 8 report the best accuracy at gamma = 0.1 and a decline above it.", "name": "fig-ablation-gamma"}}
fig, ax = plt.subplots(figsize=(6, 3.6))
for m in SETS:
    means = np.array([sw[(m, g)][0] for g in GAMMAS])
    stds = np.array([sw[(m, g)][1] for g in GAMMAS])
    ok = ~np.isnan(means)
    if ok.any():
        ax.errorbar(np.array(GAMMAS)[ok], means[ok], yerr=stds[ok], marker="o", capsize=3, label=SET_LABEL[m])
if all(r is None for r in sweep.values()):
    ax.text(0.5, 0.5, "not computed yet", transform=ax.transAxes, ha="center", va="center", color="grey")
ax.axvline(0.1, color="grey", linestyle=":", linewidth=1)
ax.set_xlabel("$\\gamma$")
ax.set_ylabel("top-1 accuracy (%)")
ax.grid(alpha=0.3)
if any(sweep[(m, g)] is not None for m in SETS for g in GAMMAS):
    ax.legend(fontsize=8)
fig.tight_layout()
plt.show()

# %% [markdown]
# What each run above ran (loss, student, optimizer, protocol numbers, checkpoints), exactly; the
# regression tests check these lines, because the accuracies themselves differ in the last digits
# between CPU models (see `gift.companion.run_plan`).

# %% tags=["nbval-check-output", "hide-output"]
for line in run_plan({**ablation, **sweep}):
    print(line)

# %% [markdown]
# ## Provenance

# %%
print(f"profile {profile}: " + provenance_summary(all_results))
missing = [f"{SET_LABEL[m]}/{L}" for (m, L), r in ablation.items() if r is None]
missing += [f"{SET_LABEL[m]}/gamma={g:g}" for (m, g), r in sweep.items() if r is None]
if missing:
    print(f"not computed ({len(missing)}): {', '.join(missing)}")

# %% [markdown]
# ## Verdict
#
# Two claims, each judged by the book's one rule ({ref}`the-rule`) in `gift.companion.checklist`:
# *both modules help* (refinement alone and the cosine loss alone each beat the KL baseline, and
# together each beats the other alone) and *gamma = 0.1 is the best weight* (it beats every other
# gamma of the sweep).

# %%
checklist = Checklist(ex, sets=tuple(SETS), ipc=IPC)
for claim in (checklist.both_modules(), checklist.gamma()):
    display(Markdown(claim_report(claim)))

# %% [markdown]
# The refinement-only variant is our reading of the paper (see above); the paper's setting is a
# different dataset and scale, so these checks test the direction of its claims, not its numbers.
