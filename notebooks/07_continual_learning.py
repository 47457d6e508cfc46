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
# # Continual learning with distilled data
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/gift-companion/gift-companion/blob/main/book/07_continual_learning.ipynb)
#
# **The question.** Distilled sets are often judged by how well they serve as the memory of a
# continual learner: a model that meets the classes a few at a time and may keep only a small
# buffer of what it has seen. If GIFT's labels make a distilled set a better teacher, they should
# also make it a better memory. Section 5.5 of {cite}`shang2025gift` ("Application: Continual
# Learning") tests this with GDumb {cite}`prabhu2020gdumb`: class-incremental learning on
# Tiny-ImageNet with RDED {cite}`sun2024rded` sets at IPC 10 and a ResNet-18 student, the 200
# classes arriving in 5 steps (40 new classes per step) or 10 steps (20 per step).
#
# **The claim** (Figure 2): with GIFT "our results substantially improve upon the baseline method
# RDED". The text does not say at which steps; we read the figure as an improvement at every step,
# and test that reading. The figure's values are not given in the text, so there are no paper
# numbers to put beside ours; what can be compared is the direction, step by step.
#
# **The setting here.** The same protocol on CIFAR-10 with the book's RDED IPC-10 set, its teacher
# and a ConvNet-3 student, once with RDED's own loss (KL, $T = 20$) and once with GIFT; every
# step is a comparison judged by the book's one rule ({ref}`the-rule`).
#
# This page is generated from `notebooks/07_continual_learning.py`; the parameters cell below selects
# the run profile (see {doc}`reproduce`).

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

from gift.companion import Experiment, claim_report, describe_profile, provenance_summary
from gift.companion import continual_learning as cl
from gift.companion.plots import use_book_style
from gift.companion.prose import glue

use_book_style()
overrides = cl.overrides(profile)
ex = Experiment(profile, run_missing=run_missing)
print(f"profile={profile} seed={seed} run_missing={run_missing} settings={ {'ipc': cl.IPC, 'overrides': overrides} }")
display(Markdown(describe_profile(profile)))

# %% [markdown]
# ## The protocol
#
# **GDumb.** A GDumb learner keeps a memory of the samples seen so far and, at every step, trains a
# *fresh* model on the memory alone; at test time it masks the logits of the classes that are not in
# the memory and is scored on the test images of the classes seen so far. With distilled data the
# memory after step $k$ is the distilled images of every class seen up to step $k$ (here IPC 10,
# i.e. 10 images per class). The student is trained with the profile's protocol (AdamW, DSA, the
# teacher relabelling every augmented batch).
#
# **Masking.** We restrict the student, the teacher and the test set to the seen classes and number
# them in the order they arrived (`gift.continual`): the student of step $k$ has exactly as many
# outputs as classes seen, the teacher's logits are cut to the same classes, and the test images are
# those of the seen classes. This equals GDumb's masking, in training and at test time, and needs no
# change to the training engine. The teacher itself was trained on all classes, as the paper's RDED
# teacher was.
#
# **What differs from the paper.** Besides the profile's differences (shown above):
#
# - The profile's dataset has {glue:text}`num_classes` classes, Tiny-ImageNet 200. With 5 steps
#   each step adds {glue:text}`per_step_5` classes (the first step is a binary problem), with 10
#   steps it adds {glue:text}`per_step_10` (the first step is a one-class problem: any classifier is
#   100 % right, so it is reported as 100 % and not trained). Every step of the paper is already a
#   20- or 40-way problem; ours start as few-class problems and become harder as classes accumulate.
# - A ConvNet-3 student, the one of the main tables, instead of the paper's ResNet-18.
# - A GDumb step depends only on *which* classes have been seen. With the same class order, the
#   5-step schedule visits the seen-class sets $\{2, 4, 6, 8, 10\}$ that the 10-step schedule also
#   visits, so its runs are a subset of the 10-step runs (same stored results). We use one seeded
#   class order for both; the paper does not say whether its two panels share one.
# - Accuracy is the authors' number: best of the 4 test checkpoints, mean ± std over the profile's
#   seeds (the seeds of the student; the class order is fixed).
#
# The class order, then the splits, the memory and the test images at each step (this table is
# checked by the regression tests, smoke profile):

# %%
summary = cl.summaries(ex, seed=seed, **overrides)
print(cl.class_order_line(ex, seed))

# %% tags=["nbval-check-output"]
print("\n".join(cl.split_lines(summary)))

# %% [markdown]
# ## Results
#
# Each trained step compares GIFT with RDED's own loss by the book's one rule; the last column is
# the difference of the seed means and the rule's outcome.

# %%
display(Markdown(cl.results_table(summary)))

# %% tags=["hide-input"] mystnb={"figure": {"caption": "Class-incremental learning (GDumb) on the RDED IPC-10 set: test accuracy on the classes seen so far (best checkpoint, mean and std over seeds) after each step, with RDED's own loss and with GIFT, for the 5-step and 10-step schedules (the one-class first step of the 10-step schedule is 100 % by definition, not trained). The paper's Figure 2 is the same plot on Tiny-ImageNet with ResNet-18. Missing points are runs not computed.", "name": "fig-cl-steps"}}
fig = cl.plot_steps(summary, ex.num_classes)

# %% [markdown]
# How to read the curves: a GDumb learner retrains from scratch at every step, so it cannot forget;
# where accuracy falls as classes accumulate, the step is a harder problem (more classes, the same
# 10 images each), not a memory failure. The claim is about the gap between the two curves.
#
# **Check: the last step is the full set.** After the last step every class has been seen, so the
# student is trained on the whole RDED set, as in the main table of {doc}`04_main_tables`; only the
# numbering of the classes differs (arrival order), which changes the initialisation of the output
# layer but not the problem. The two should agree within seed noise (a tie by the book's rule).

# %%
full = cl.full_set(ex, **overrides)
checks = cl.last_step_checks(summary, full)
claims = cl.claims(summary)
glue(**cl.prose_numbers(summary, claims, checks, ex.num_classes))

# %% [markdown]
# Last step against the full set, with RDED's own loss: {glue:text}`check_own`; with GIFT:
# {glue:text}`check_gift`. A tie on both means the masking reproduces the ordinary training path.
#
# ## Verdict
#
# The claim, one comparison per trained step of each schedule (the one-class step is not a
# comparison), judged by the book's one rule:

# %%
for claim in claims:
    display(Markdown(claim_report(claim)))

# %% [markdown]
# With 5 steps the claim is {glue:text}`verdict_5`; the two losses differ most {glue:text}`widest_5`.
# With 10 steps it is {glue:text}`verdict_10`; they differ most {glue:text}`widest_10`. The
# 5-step comparisons are a subset of the 10-step ones (the same stored runs), so the two verdicts
# are not independent evidence, and the checklist of {doc}`10_claims` counts the claim once, with
# the 10-step schedule, which holds every step.
#
# The paper's claim (Figure 2: GIFT substantially improves on RDED; at every step, in our reading of
# the figure) is tested here on
# the profile's dataset with a ConvNet-3 student, not on Tiny-ImageNet with ResNet-18, and at the
# paper's training length. With {glue:text}`num_classes` classes the first steps are few-class
# problems, and the last step is the full-set comparison of the main table. Steps that are not
# computed yet count neither for nor against the paper.
#
# ## Provenance

# %%
print(provenance_summary(cl.provenance_results(summary, full)))
