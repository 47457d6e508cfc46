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
# **The question.** GIFT changes two things at once (see {doc}`02_method`): it *refines* the
# teacher's soft label by mixing in a smoothed hard label, and it trains with a *cosine* loss
# instead of KL. Which of the two does the work, and how sensitive is the mix to its one weight
# $\gamma$? Section 5.6 of {cite}`shang2025gift` ("Are both modules of GIFT necessary?",
# "Influence of hyper-parameter $\gamma$"), Tables 7 and 13 and Figures 3 and 8 make two claims:
#
# 1. *Both modules help.* Tables 7 (CIFAR-100, Tiny-ImageNet) and 13 (ImageNet-1K) remove one or
#    both on SRe2L {cite}`yin2023sre2l` and RDED {cite}`sun2024rded` sets. The paper: "the cosine
#    similarity loss function significantly enhanced performance", "teacher label refinement
#    consistently enhances performance, regardless of the presence of cosine similarity loss", "both
#    modules are essential".
# 2. *$\gamma = 0.1$ is best.* Figures 3 (ResNet-18) and 8 (ConvNet) sweep the refinement weight
#    $\gamma$ at IPC 10: "GIFT achieves optimal performance when $\gamma = 0.1$" and "for values of
#    $\gamma$ greater than 0.1, a significant performance decline is observed across all methods".
#    The paper sets $\gamma = 0.1$ everywhere because of this sweep. The figures' numbers are not
#    printed, so only these statements can be compared.
#
# **The setting here.** The book's RDED and SRe2L sets at IPC 10 on CIFAR-10, relabelled online
# by the book's teacher, a ConvNet-3 student and the paper's protocol; every variant is a separate
# training run with the same seeds, and every comparison is judged by the book's one rule
# ({ref}`the-rule`).
#
# This page is generated from `notebooks/08_ablations.py`; the parameters cell below selects the run
# profile (see {doc}`reproduce`).

# %% tags=["remove-cell"]
# On Colab: clone the commit this page was executed with, install it, keep runs in the clone's
# results/ unless GIFT_RESULTS_DIR is set (e.g. to Drive; see Reproduce). Elsewhere: nothing.
import os, subprocess, sys

try:
    import google.colab  # noqa: F401  (only on Colab)
    ON_COLAB = True
except ImportError:
    ON_COLAB = False
if ON_COLAB:
    clone, ref = os.path.abspath("gift-companion"), os.environ.get("GIFT_REF")
    if not os.path.isdir(clone):
        try:  # the commit recorded in this notebook's metadata by tools/execute_notebooks.py
            from google.colab import _message
            ref = ref or _message.blocking_request("get_ipynb", timeout_sec=60)["ipynb"]["metadata"]["gift"]["commit"]
        except Exception:
            ref = ref or "main"
        repo = os.environ.get("GIFT_REPO", "https://github.com/gift-companion/gift-companion")  # PLACEHOLDER until published
        print(f"cloning {repo} at {ref} into {clone}")
        for cmd in (["git", "clone", "--quiet", repo, clone], ["git", "-C", clone, "checkout", "--quiet", ref],
                    [sys.executable, "-m", "pip", "install", "--quiet", clone]):
            subprocess.run(cmd, check=True)
    os.environ.setdefault("GIFT_RESULTS_DIR", os.path.join(clone, "results"))

# %% tags=["parameters"]
profile = "companion"  # "smoke" (CPU, seconds), "companion" (the published book), "paper" (GPU/Colab)
seed = 0
run_missing = True  # train runs missing from results/ (False: show them as "not computed")

# %% tags=["hide-input"]
from IPython.display import Markdown, display

from gift.companion import Experiment, claim_report, describe_profile, provenance_summary, run_plan
from gift.companion import ablations as ab
from gift.companion.checklist import Checklist
from gift.companion.plots import use_book_style
from gift.companion.prose import glue

use_book_style()
ex = Experiment(profile, run_missing=run_missing, show_progress=False)
SETS, GAMMAS = ab.sets_of(ex, profile), list(ex.profile.gammas)
glue(**ab.table6_consistency())
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
# ConvNet student for both tables (Table 13 also has ResNet-18), and only IPC 10. The runs below are
# exactly the calls the companion runs were made with: four variants and the $\gamma$ sweep per set.

# %%
ablation, sweep = ab.runs(ex, SETS)
baselines = ab.gamma_baselines(ex, sweep, SETS)  # the gamma = 0.1 arm in each weight's precision

# %% [markdown]
# ## Refinement and loss: Tables 7 and 13
#
# Our rows next to the paper's at IPC 10 with a ConvNet: Table 7 (CIFAR-100, Tiny-ImageNet) and
# Table 13 (ImageNet-1K; it has no "refinement only" row). Gains are over the baseline of the same
# column.

# %%
display(Markdown(ab.ablation_table(ablation, SETS, profile)))

# %% tags=["hide-input"] mystnb={"figure": {"caption": "Gain in top-1 accuracy over the native KL baseline for refinement only, loss only and both (GIFT), at IPC 10 with a ConvNet. Left: our sets (error bars: 95% Welch interval of the difference; missing bars: not computed). Right: the paper's Tables 7 and 13 (Table 13 has no refinement-only row).", "name": "fig-ablation-modules"}}
fig = ab.plot_ablation(ablation, SETS, profile)

# %% [markdown]
# In the paper every module helps on every column, and the two gains roughly add up. Our two
# single-module rows answer the same question on our sets: refinement alone against KL, RDED
# {glue:text}`gain_rded_kl_refined`, SRe2L {glue:text}`gain_sre2l_kl_refined`; the cosine loss alone
# against KL, RDED {glue:text}`gain_rded_cosine`, SRe2L {glue:text}`gain_sre2l_cosine`.
#
# **A consistency check of the paper's own numbers.** Table 6 of the paper (the loss comparison of
# {doc}`01_loss_sensitivity`) also has a "GIFT" row for RDED sets. Compared column by column with the
# "loss only" and "both" rows of Tables 7 and 13 and with GIFT in the main Tables 1 and 2 (ConvNet),
# in the {glue:text}`t6_columns` columns that all three tables share, Table 6's "GIFT" equals the
# full GIFT of Tables 1/2 in {glue:text}`t6_full_n` ({glue:text}`t6_full`), and equals the "loss
# only" row of Tables 7/13 instead in {glue:text}`t6_loss_only_n` ({glue:text}`t6_loss_only`).
# Where it equals "loss only", Table 6 shows the cosine loss without refinement (in the row order
# read here) under the name GIFT, so it understates full GIFT there — and the loss comparison of
# chapter 1 compares against that row.
#
# ## The weight $\gamma$: Figures 3 and 8
#
# GIFT with $\gamma \in \{0, 0.05, 0.1, 0.2, 0.3, 0.5\}$ (the paper's convex weight; $\gamma = 0.1$ is
# the default run above). At $\gamma = 0$ the refined label is $n(t)$, and the cosine loss ignores
# length, so $\gamma = 0$ is the "loss only" variant again, trained as a separate run: the two should
# agree within seed noise, a check of the implementation. Some weights trained on a machine where
# the automatic precision is fp32 rather than bf16; where a set's runs mix the two, each cell names
# its precision and each weight is measured against the $\gamma = 0.1$ run trained in the same
# precision, as the claim below is.

# %%
display(Markdown(ab.gamma_table(sweep, SETS, GAMMAS, baselines)))

# %% tags=["hide-input"] mystnb={"figure": {"caption": "GIFT's top-1 accuracy against the refinement weight gamma at IPC 10 (error bars: std over seeds; dotted line: the paper's gamma = 0.1). The paper's Figures 3 and 8 report the best accuracy at gamma = 0.1 and a decline above it.", "name": "fig-ablation-gamma"}}
fig = ab.plot_gamma(sweep, SETS, GAMMAS)

# %% [markdown]
# **The $\gamma = 0$ check.** RDED: {glue:text}`gamma0_rded`. SRe2L: {glue:text}`gamma0_sre2l`.
#
# What each run above ran (loss, student, optimizer, protocol numbers, checkpoints), exactly; the
# regression tests check these lines, because the accuracies themselves differ in the last digits
# between CPU models (see `gift.companion.run_plan`).

# %% tags=["nbval-check-output", "hide-output"]
for line in run_plan({**ablation, **sweep}):
    print(line)

# %% [markdown]
# ## Verdict
#
# Two claims, each judged by the book's one rule ({ref}`the-rule`) in `gift.companion.checklist`:
# *both modules help* (refinement alone and the cosine loss alone each beat the KL baseline, and
# together each beats the other alone) and *gamma = 0.1 is the best weight* (it beats every other
# gamma of the sweep).

# %%
checklist = Checklist(ex, sets=tuple(SETS), ipc=ab.IPC)
claims = [checklist.both_modules(), checklist.gamma()]
for claim in claims:
    display(Markdown(claim_report(claim)))
glue(**ab.prose_numbers(ablation, sweep, SETS, claims, profile, baselines), epochs=ex.profile.epochs)

# %% [markdown]
# *Both modules help:* {glue:text}`v_modules`. *$\gamma = 0.1$ is best:* {glue:text}`v_gamma`.
# The verdict counts wins and losses only; which way the ties lean is a separate reading. RDED:
# {glue:text}`gamma_peak_rded`. SRe2L: {glue:text}`gamma_peak_sre2l`. A peak at another weight that is
# a tie by the rule means the data do not single out 0.1 from that weight.
#
# Of the runs this chapter needs, {glue:text}`ablation_computed` ablation variants and
# {glue:text}`sweep_computed` points of the $\gamma$ sweep are recorded, all at the profile's
# training length ({glue:text}`epochs` epochs, a ConvNet-3 student); not computed yet
# ({glue:text}`n_not_computed`): {glue:text}`not_computed`. A claim over runs that are not computed is
# "pending", and counts neither for nor against the paper. The refinement-only variant is
# our reading of the paper (see above); the paper's setting is a different dataset and scale, so
# these checks test the direction of its claims, not its numbers.
#
# ## Provenance

# %%
print(f"profile {profile}: " + provenance_summary([*ablation.values(), *sweep.values(), *baselines.values()]))
