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
# Paper: Section 5.2, Tables 1 and 2 of {cite}`shang2025gift`. This is the paper's central claim:
# replacing a distillation method's own label loss by GIFT "increases performance for all baseline
# methods" — SRe2L {cite}`yin2023sre2l`, RDED {cite}`sun2024rded`, DATM {cite}`guo2024datm` and
# G-VBSM {cite}`shao2024gvbsm` — on CIFAR-100 and Tiny-ImageNet at IPC 1, 10 and 50 (Table 1) and on
# ImageNet-1K at IPC 10, 50 and 100 (Table 2). {glue:text}`main_paper`
#
# The question of this chapter is whether that holds when the comparison is rerun from scratch: each
# distilled set trains the same student twice, once with the method's own loss and once with GIFT,
# and nothing else changes — set, teacher, student, optimizer, augmentation, epochs and seeds are
# shared by both arms. A claim about *every* method at *every* IPC is a claim about many cells at
# once, so the chapter ends with a count of how many cells GIFT wins, ties and loses under the book's
# one statistical rule, and a control on random real images that tells whether a gain is specific to
# distilled data.
#
# This page is generated from `notebooks/04_main_tables.py`; the parameters cell below selects the
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

from gift.companion import Experiment, describe_profile, markdown_table, provenance_summary, run_plan
from gift.companion.checklist import Checklist
from gift.companion.main_table import MainTable, plot_sets, plot_teachers, set_pictures, teacher_rows, teacher_table
from gift.companion.plots import forest, use_book_style
from gift.companion.prose import claim_values, glue
from gift.companion.report import claim_report

use_book_style()
ex = Experiment(profile, run_missing=run_missing, show_progress=False)
display(Markdown(describe_profile(profile)))

# %% [markdown]
# ## Setting
#
# The paper evaluates the sets released by each method's authors on CIFAR-100, Tiny-ImageNet and
# ImageNet-1K, relabelled by the authors' teachers. This book runs a smaller version of the same
# experiment (profile above):
#
# - **Methods.** `random` (real images drawn at random per class, labelled by the same teacher; not in
#   the paper, it is the baseline of {cite}`qin2024label`), `rded` and `sre2l` (sets we distilled
#   ourselves with `gift distill` and our teacher), and `datm` (the authors' released CIFAR-10 IPC-10
#   set, companion profile only). G-VBSM is not run: its multi-teacher relabelling needs five
#   teachers.
# - **Own loss** (`OWN_LOSS`, as the GIFT authors' scripts pair them): KL divergence at $T = 20$
#   without $T^2$ for RDED and SRe2L, soft cross-entropy ($T = 1$) for DATM and for random subsets.
#   DATM is trained on its stored learned labels with an instance-norm ConvNet, as DATM's own
#   evaluation does (the GIFT paper does not say which norm it uses); the other sets are relabelled
#   online by the frozen teacher on every augmented batch.
# - **Student.** ConvNet-3 only. The paper's ResNet-18 rows (the lower half of Table 1 and the right
#   half of Table 2) are not run here; a ResNet-18 student trained on our ConvNet-3 data is in the
#   cross-architecture part of {doc}`06_generalization` (the paper's Table 4).
# - **Budget.** {glue:text}`main_epochs` epochs and {glue:text}`main_seeds` seeds per run, the
#   paper's training length (milestones at 2/3 and 5/6 of training).
# - **Reported number.** As in the authors' code: for each seed the best of the test accuracies at
#   four checkpoints (every quarter of training), then mean ± population std over seeds. The verdicts
#   test the per-seed numbers with Welch's t-test ({ref}`the-rule`).
#
# ## The teacher
#
# Every set except DATM (which carries its own learned labels) is labelled by one teacher: a ConvNet-3
# trained with cross-entropy on the full training set. Its accuracy bounds what the soft labels can
# teach, so it is the first number to compare with the paper's setting. The paper's teachers for the
# same dataset (its Table 9) are listed for reference; the paper reports no distillation result on
# CIFAR-10 and lists its CIFAR-10 teachers only in that table.

# %%
teachers = teacher_rows(ex)
display(Markdown(teacher_table(ex, teachers)))

# %% tags=["hide-input"] mystnb={"figure": {"caption": "Test accuracy of the teachers used in this book (blue), next to the paper's CIFAR-10 teachers of the same architectures (gray, its Table 9).", "name": "fig-main-teacher"}}
plot_teachers(ex, teachers);

# %% [markdown]
# A ResNet-18 (modified) teacher is not trained here. The CIFAR teacher of the SRe2L code is trained
# for 200 epochs, and on this project's CPUs a ResNet-18 step costs several ConvNet-3 steps, so even
# our short ConvNet-3 recipe would take hours with a ResNet-18 on the CPUs this book is rendered
# on. Every set in this book is therefore
# relabelled by a ConvNet-3 teacher, also for the ResNet-18 students of {doc}`06_generalization`.
#
# ## The distilled sets
#
# What is being compared is easiest to judge by looking at it. The figure shows a few images of every
# class from every set of this profile, chosen at random with the chapter's `seed`. Random subsets and
# RDED sets are crops of real images; they are regenerated from the training set when needed
# (selection, not training). SRe2L images are synthesised by inverting the teacher and are read back
# from `results/sets/`; a set that has not been produced yet is marked "not computed yet". DATM's
# images live in ZCA-whitened space; they are shown after the inverse ZCA transform fitted on the
# training set, clipped to [0, 1].

# %% tags=["hide-input"] mystnb={"figure": {"caption": "A few images per class (columns, in class order) from every distilled set of this profile: one row of panels per method, one column per IPC. Random and RDED images are real crops; SRe2L images are synthesised from the teacher; DATM images are shown after the inverse ZCA transform.", "name": "fig-main-sets"}}
plot_sets(ex, *set_pictures(ex, seed));

# %% [markdown]
# ## Own loss versus GIFT
#
# Every cell of the table is two calls, `ex.evaluate(m, ipc, loss=OWN_LOSS[m])` and
# `ex.evaluate(m, ipc, loss="gift")`; random subsets get a third, `loss="kl"`, their matched
# baseline (and DATM too, shown beside its own loss). Runs already in the results store are read back; with `run_missing=False` a missing run
# shows as "not computed". Of the {glue:text}`main_evaluations` evaluations this chapter asks for,
# {glue:text}`main_available` are in the store at the paper's length; the runs still waiting
# (set, IPC and loss) are: {glue:text}`main_missing_list`.

# %%
mt = MainTable(ex)

# %% [markdown]
# ### Table 1: ours next to the paper's CIFAR-100 and Tiny-ImageNet rows
#
# "GIFT − baseline" is GIFT minus its matched baseline and "outcome" its verdict by the book's rule.
# The baseline is the method's own loss for a distilled set, and KL with the same teacher for random
# subsets, so that they are judged against the same baseline as the RDED and SRe2L sets (whose own
# loss is that KL); their own loss, soft CE at $T = 1$, stays in the "ours: own" column. DATM's KL
# run is shown for reference, but its baseline stays its own loss, soft CE on its stored labels, as
# DATM evaluates. The paper's columns are the
# ConvNet rows of its Table 1 (own → GIFT, gain); "—" where the paper has no such cell. The datasets
# differ, so only the direction of a gain can be compared with the paper, not its size.

# %%
display(Markdown(mt.table1()))

# %% tags=["hide-input"] mystnb={"figure": {"caption": "Top: our test accuracy with each method's own loss, with KL where KL is not the own loss (random subsets, DATM), and with GIFT (mean and std over seeds). Bottom: the gain of GIFT over its matched baseline (the own loss; KL for random subsets), ours next to the paper's ConvNet rows of Table 1 for the same method and IPC.", "name": "fig-main-table1"}}
mt.plot_table1();

# %% [markdown]
# ### Table 2: ours next to the paper's ImageNet-1K rows
#
# The paper's Table 2 covers SRe2L, RDED and G-VBSM on ImageNet-1K at IPC 10, 50 and 100 (DATM does
# not scale to it). The table lists our gain at every IPC we share with it, next to the paper's
# ConvNet and ResNet-18 rows; it repeats our numbers of Table 1 against a second set of paper cells.

# %%
display(Markdown(mt.table2()))

# %% tags=["hide-input"] mystnb={"figure": {"caption": "Gain of GIFT over the own loss: ours next to the paper's ImageNet-1K rows (Table 2) for the same method and IPC. Missing bars: run not computed, or no such paper cell.", "name": "fig-main-table2"}}
mt.plot_table2();

# %% [markdown]
# ## Verdict
#
# The paper's claim is that GIFT improves *every distillation method at every IPC*. It is judged on
# the distilled sets only (RDED, SRe2L, DATM), each against its method's own loss, by the book's one
# rule ({ref}`the-rule`): a cell is a win or a loss when Welch's test gives p < 0.05, a tie otherwise.
# Random subsets are not a distillation method: they are the control beside the claim, judged
# against KL with the same teacher (the same baseline as the RDED and SRe2L sets), so that a gain
# that also appears on random real images is not credited to distillation.

# %%
checklist = Checklist(ex, heavy=True)
claim, control = checklist.improves_every_method(), checklist.random_control()
display(Markdown(claim_report(claim, paper=mt.values(claim, control)["main_paper"])))
display(Markdown(claim_report(control)))
glue(**{**mt.values(claim, control), **claim_values("main_claim", claim), **claim_values("main_ctl", control)})

# %% tags=["hide-input"] mystnb={"figure": {"caption": "The comparisons of the verdict: GIFT minus the own loss on each distilled set (top group) and GIFT minus KL on random subsets (the control), with 95% Welch intervals. Green: win; grey: tie; red: loss.", "name": "fig-main-verdict"}}
forest([claim, control]);

# %% [markdown]
# **Verdict on the main claim: {glue:text}`main_claim_verdict`.** Of the
# {glue:text}`main_claim_total` distilled-set cells, {glue:text}`main_claim_computed` have their
# runs: GIFT wins {glue:text}`main_claim_wins`, ties {glue:text}`main_claim_ties` and loses
# {glue:text}`main_claim_losses` against the method's own loss (per cell: {glue:text}`main_gains`;
# median difference {glue:text}`main_claim_median`). {glue:text}`main_claim_still_open`
#
# **The control is {glue:text}`main_ctl_verdict`.** On random real images with the same teacher,
# GIFT against KL gives {glue:text}`main_ctl_evidence` ({glue:text}`main_control`). The control is worded as a claim,
# "GIFT gains on random real images", and read on the same scale: *supported* would mean GIFT gains
# without any distillation, *contradicted* means no gain there and at least one loss to KL. Chapter {doc}`09_beyond_the_paper`
# follows this control further: what the distilled images add over random ones under each loss.
#
# How to read it. The paper's gains are measured on CIFAR-100, Tiny-ImageNet and ImageNet-1K with the
# authors' teachers and sets; ours on CIFAR-10 with our own teacher and, except DATM, our own sets,
# so the sizes of the gains are not expected to match — the direction is what is compared.
# {glue:text}`main_sre2l_vs_random` Where they are weaker, a verdict that rests on them tests GIFT
# on weak synthetic data, not on SRe2L as published ({doc}`00_protocol` places them next to the
# published numbers).
#
# ## Provenance
#
# Where and when the runs above were trained, and what each one ran (loss, student, optimizer,
# protocol numbers, checkpoints), exactly; the regression tests check these lines, because the
# accuracies themselves differ in the last digits between CPU models (see `gift.companion.run_plan`).

# %%
print(provenance_summary(list(mt.results.values())))

# %% tags=["nbval-check-output", "hide-output"]
for line in run_plan(mt.results):
    print(line)
