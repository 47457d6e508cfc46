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
# Paper: Section 5.3 and Table 3 of {cite}`shang2025gift`. GIFT combines a soft label with a hard
# one, and so does knowledge distillation, which has a decade of refinements behind it. The obvious
# objection to GIFT is therefore: why not simply use a modern KD loss? The paper answers by comparing
# GIFT with four of them on RDED's distilled sets {cite}`sun2024rded`: KD {cite}`hinton2015kd`,
# WSLD {cite}`zhou2021wsld`, DKD {cite}`zhao2022dkd` and NKD {cite}`yang2023nkd`. Its claim:
# "GIFT outperforms all knowledge distillation methods", which it attributes to the very small size
# of distilled sets — losses designed for a full training set are not tuned for a few images per
# class trained for a thousand epochs.
#
# Here the same five losses train the same student on our RDED set at IPC 10 and, as an extra not in
# the paper, on our SRe2L set {cite}`yin2023sre2l` at IPC 10. The native loss of both methods (KL at
# $T = 20$, no $T^2$) is added as a reference row: a KD loss that does not beat it is no alternative
# to GIFT either.
#
# This page is generated from `notebooks/05_kd_comparison.py`; the parameters cell below selects the
# run profile (see {doc}`reproduce`).

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

# %%
from IPython.display import Markdown, display

from gift.companion import Experiment, describe_profile, provenance_summary, run_plan
from gift.companion.checklist import Checklist
from gift.companion.kd_table import KDTable
from gift.companion.plots import forest, use_book_style
from gift.companion.prose import claim_values, glue
from gift.companion.report import claim_report

use_book_style()
ex = Experiment(profile, run_missing=run_missing, show_progress=False)
display(Markdown(describe_profile(profile)))

# %% [markdown]
# ## The losses and their hyperparameters
#
# The paper names the four KD methods but gives neither their formulas in the distilled-data setting
# nor their hyperparameters (its Appendix C only describes them in one sentence each), and the
# authors' code has no implementation of WSLD, DKD or NKD. We use the formulas of the reference
# implementations (cls_KD for WSLD and NKD, mdistiller for DKD) with their **CIFAR-100
# configurations**, since distilled sets are small images trained for many epochs. $p^T =
# \mathrm{softmax}(z/T)$, $y$ is the image's hard label, and the teacher relabels every augmented
# batch, exactly as for GIFT.
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
# The values the runs used are read from the loss classes (`gift.losses`) into the table below. One
# of them needs a word: DKD ramps its distillation term up over the first
# {glue:text}`kd_dkd_warmup` epochs, which is {glue:text}`kd_dkd_share` of the
# {glue:text}`kd_epochs` epochs of this profile; mdistiller's schedule, 240 epochs on CIFAR-100,
# spends a larger share of training in it.

# %%
kd = KDTable(ex)
display(Markdown(kd.hparams_table()))

# %% [markdown]
# ## Results
#
# One call per set and loss, `ex.evaluate(m, 10, loss=L)`, {glue:text}`kd_epochs` epochs and
# {glue:text}`kd_seeds` seeds each; runs already in the results store are read back, and with
# `run_missing=False` a missing run shows as "not computed". Of the {glue:text}`kd_evaluations`
# evaluations of this chapter, {glue:text}`kd_available` are in the store; the losses still waiting
# for runs at the paper's length, set by set: {glue:text}`kd_missing_losses`.
#
# ### Table 3: ours next to the paper's IPC-10 columns
#
# Ours: mean ± std over seeds of the best-checkpoint test accuracy. Paper: Table 3 at IPC 10 on RDED
# sets with ConvNet students (its `kl` entries are the RDED baseline of Table 1, or Table 2 for
# ImageNet-1K, which Table 3 does not repeat). The first row is the teacher's test accuracy: the KD
# losses were designed for students that learn from a stronger teacher on the full data, and the
# teacher row shows how far below it every student trained on ten images per class stays.

# %%
display(Markdown(kd.table()))

# %% tags=["hide-input"] mystnb={"figure": {"caption": "Left: our test accuracy of each loss on the RDED and SRe2L sets at IPC 10 (mean and std over seeds; missing runs are left out). Right: each KD loss (and the native KL loss) minus GIFT, ours next to the paper's Table 3 at IPC 10; below zero means GIFT is better.", "name": "fig-kd-table3"}}
kd.plot();

# %% [markdown]
# ## Verdict
#
# For each set, GIFT is compared with every KD loss by the book's one rule ({ref}`the-rule`), from
# the same stored runs as the table above (`gift.companion.checklist`). The paper's claim is checked
# on its own Table 3 by means only, since it prints no per-seed numbers to test.

# %%
claim = Checklist(ex, sets=kd.methods, ipc=kd.ipc).beats_kd()
values = {**kd.values(), **claim_values("kd_claim", claim)}
display(Markdown(claim_report(claim, paper=f"GIFT has the highest mean in {values['kd_paper_best']} of "
                                           f"{values['kd_paper_columns']} columns of Table 3.")))
glue(**values)

# %% tags=["hide-input"] mystnb={"figure": {"caption": "GIFT minus each KD loss on each set, with 95% Welch intervals. Green: GIFT wins; grey: tie; red: GIFT loses. Comparisons not computed are left out.", "name": "fig-kd-verdict"}}
forest([claim]);

# %% [markdown]
# **Verdict on the claim: {glue:text}`kd_claim_verdict`.** Of {glue:text}`kd_claim_total` comparisons
# (GIFT against each KD loss on each set), {glue:text}`kd_claim_computed` have their runs: GIFT wins
# {glue:text}`kd_claim_wins`, ties {glue:text}`kd_claim_ties` and loses {glue:text}`kd_claim_losses`
# (median difference {glue:text}`kd_claim_median`); {glue:text}`kd_claim_missing` are not computed
# yet and count neither way. In the paper, GIFT has the highest mean in
# {glue:text}`kd_paper_best` of {glue:text}`kd_paper_columns` columns of Table 3.
#
# Ordered by mean accuracy, the computed losses rank as follows ({glue:text}`kd_ranking`). Against
# the reference row, the sets' own KL loss, GIFT gives {glue:text}`kd_gift_vs_kl` — the same
# comparison as the main table of {doc}`04_main_tables`: a KD loss has to beat KL before it is an
# alternative to GIFT worth discussing.
#
# Two caveats limit what this verdict says. The KD hyperparameters are the reference CIFAR-100
# settings, not tuned for distilled data (the paper does not say how it set them), so a KD loss that
# loses here may win with other settings; and only IPC 10 is run, while Table 3 also has IPC 50 and
# 100.
#
# ## Provenance
#
# Where and when the runs above were trained, and what each one ran (loss, student, optimizer,
# protocol numbers, checkpoints), exactly; the regression tests check these lines, because the
# accuracies themselves differ in the last digits between CPU models (see `gift.companion.run_plan`).

# %%
print(provenance_summary(list(kd.res.values())))

# %% tags=["nbval-check-output", "hide-output"]
for line in run_plan(kd.res):
    print(line)
