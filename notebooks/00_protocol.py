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
# (protocol)=
# # Protocol as run
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/gift-companion/gift-companion/blob/main/book/00_protocol.ipynb)
#
# Every verdict of this book rests on runs whose setting differs from the paper's in places: a
# smaller dataset, our own teachers and distilled sets, a CPU. This page lists, setting by setting,
# what the paper states (its Tables 10 and 11), what the authors' released evaluation code does, what
# this book ran, and why it differs. It then shows how much the training budget matters (the same
# comparisons at 300 and at 1000 epochs), whether bf16 matters (one comparison in fp32), and how our
# own distilled sets compare with the published numbers of their methods.

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
run_missing = False  # this page only reads the store: it compares runs the chapters make

# %%
from IPython.display import Markdown, display
from myst_nb import glue

from gift.companion import Experiment, describe_profile, fmt, provenance_summary
from gift.companion.report import projected_seed_minutes
from gift.companion.anchors import SOURCES, rded_against_published, sre2l_against_random
from gift.companion.main_table import teacher_summary
from gift.companion.plots import use_book_style
from gift.companion import sensitivity

use_book_style()
ex = Experiment(profile, run_missing=run_missing, show_progress=False)
display(Markdown(describe_profile(profile)))
glue("large_seed_minutes", projected_seed_minutes(ex.store, ex.profile), display=False)
glue("teacher_accuracies", teacher_summary(ex), display=False)

# %% [markdown]
# ## The settings
#
# | setting | paper (its text and Tables 10–11) | authors' code | this book (companion profile) | why |
# |---|---|---|---|---|
# | data | CIFAR-100, Tiny-ImageNet, ImageNet-1K | the same | CIFAR-10 (an offline JPEG copy of it) | the only real dataset available offline here; the `paper` profile runs CIFAR-100 |
# | distilled sets | the authors' released SRe2L, RDED, G-VBSM, DATM sets | downloaded from cloud drives | RDED and SRe2L sets made here with `gift distill` and our teacher; random real subsets; the authors' released DATM CIFAR-10 IPC-10 set | the released sets are not reachable offline; G-VBSM needs five teachers |
# | teacher | ConvNet-3 (CIFAR), ConvNet-4, ResNet-18 (Table 9) | a saved checkpoint per dataset | our ConvNet-3 ({glue:text}`teacher_accuracies`) trained with `gift teacher train` | same architecture, trained here |
# | student | ConvNet-3 for CIFAR; larger networks in Table 4 | ConvNet by default | ConvNet-3; ResNet-18 (modified) and MobileNet-V2 for the cross-architecture claim | EfficientNet-B0, ResNet-101, Swin need a GPU |
# | epochs | 1000 (300 for ImageNet-1K) | 1000 | **1000**; ResNet-18 and MobileNet-V2 students: 300 (*short budget*) | at 1000 epochs, on one core of the 2-core CPU, the large students would take {glue:text}`large_seed_minutes`; first in line for a GPU |
# | LR schedule | MultiStepLR at 2E/3 and 5E/6, factor 0.2 | the same | the same | — |
# | optimizer | AdamW, lr 0.001 | AdamW, lr 1e-3, weight decay 1e-4 | the same; SGD (lr 0.01, momentum 0.9, wd 5e-4) and Adam (lr 1e-3, wd 1e-4) for the optimizer claims | the paper does not state its SGD and Adam settings |
# | batch size | 10 / 50 / 100 / 200 by the number of images | the same rule | the same rule | — |
# | augmentation | DSA: color, crop, cutout, flip, scale, rotate (Table 10 strengths) | on every batch: flip, brightness, saturation, contrast, one of crop / scale / rotate (chosen per batch), cutout | the same for every set, DATM included (`dsa`); DATM's own one-op variant is available as `dsa_single` | GIFT's evaluation applies one protocol to every method |
# | labels | not stated | the teacher relabels every augmented batch; DATM: its stored learned logits | the same | the code's choice |
# | DATM preprocessing | not stated | ZCA fitted on the real training images | the same (eps 0.1); the test set is whitened with the same transform | the code's choice |
# | loss | KL for RDED/SRe2L, soft CE for DATM (temperature not stated); GIFT with $\alpha = \gamma = 0.1$ | KL at $T = 20$ without the $T^2$ factor; GIFT adds $0.1\,n(s)$ to $n(t)$ | the code's KL; GIFT in the paper's form $\gamma n(s) + (1-\gamma) n(t)$ (the code's form is `convention="official"`) | the paper's formula is the claim under test |
# | losses of our construction | "KL+CE", "MSE+CE", "soft CE+CE" (weights not given) | not in the released code | the soft loss $+ 0.1\,$CE (`kl_ce`, `mse_ce`, `soft_ce_ce`); "refinement only" = KL against the refined label rescaled to the teacher's norm (`kl_refined`); KL × $T^2$ (`t2_scale`) | the paper does not define them |
# | precision | not stated | fp32 | `precision="auto"`: bf16 autocast on a CPU with native bf16 instructions, fp32 on one without (each run records which; census below); the smoke profile in fp32; one comparison also in fp32 (below) | bf16 is faster where the CPU has it (the stored minutes per seed are below) |
# | compilation | — | — | `torch.compile` for CPU runs of 500+ steps (recorded per run since the flag was added; older runs have no record)  | speed; it changes the last bits only |
# | seeds | not stated (tables give mean ± std) | 3, `np.std` | **5** for every verdict comparison; the tables keep the authors' mean ± population std | 3 seeds give the test little power: the difference it finds 4 times in 5 is much larger than at 5 seeds ({ref}`the-rule`) |
# | reported number | not stated | best of the test accuracies every E/4 epochs | the same | the code's choice |
# | verdict | — | — | Welch's t-test at $\alpha = 0.05$ ({ref}`the-rule`) | one stated rule for every claim |

# %% [markdown]
# ## Budget sensitivity: 300 against 1000 epochs
#
# The paper trains every student for 1000 epochs. The book's first runs used 300 epochs, to fit
# hundreds of runs on a 2-core CPU, and that budget turned out to undertrain. A shorter budget does
# not only lower every number; it can change which of two losses comes out ahead, because the losses
# do not converge at the same speed.
#
# So the question here is narrow: *which verdicts would the short budget have got wrong?* Every
# comparison of the claims checklist ({doc}`10_claims`) that was also run at the book's first budget
# (every comparison on the ConvNet student; cross-architecture, Theorem 1 and the collapse checks
# are left out) is built from the 300-epoch runs (seeds 0–2, kept in the store and shown only on
# this page) and from the 1000-epoch runs of the same three seeds, so that the two differ in the
# budget and, for a few rows, in one more thing: where a 1000-epoch arm trained in fp32 while its
# 300-epoch arm used bf16, the row says "precision also changes". Each cell gives the
# difference (method minus baseline, in points) and the outcome of the book's rule ({ref}`the-rule`);
# a row marked **changes** is a comparison whose outcome flips between the two budgets. The last column is the
# comparison the verdict uses, with all five seeds: more seeds can turn a tie into a call on their
# own, which is why it is not the column the flips are judged on.

# %%
short = sensitivity.short_budget_experiment(profile)
pairs = sensitivity.budget_pairs(ex, short, matched=sensitivity.same_seeds_experiment(profile))
glue("budget_gain", f"{sensitivity.budget_gain(sensitivity.same_seeds_experiment(profile), short):+.1f}",
     display=False)
display(Markdown(sensitivity.budget_table(pairs)))
for key, value in sensitivity.budget_counts(pairs).items():
    glue(key, value, display=False)

# %% tags=["hide-input"] mystnb={"figure": {"caption": "Every comparison computed at both budgets: the difference (method minus baseline, points) at 300 epochs against the same at 1000 epochs, on the same seeds. Points off the diagonal changed with the budget; red: the outcome by the book's rule changed.", "name": "fig-protocol-budget"}}
ax = sensitivity.budget_scatter(pairs)

# %% [markdown]
# The same ConvNet with KL on the same RDED IPC-10 set gains {glue:text}`budget_gain` points between
# 300 and 1000 epochs (same seeds). Of the {glue:text}`budget_both` comparisons computed at both
# budgets so far, the outcome changes in {glue:text}`budget_changed` (a comparison that tests several
# claims is listed and counted once). {glue:text}`budget_precision` of the comparisons also changed
# precision between the budgets, and {glue:text}`budget_changed_precision` of the changed outcomes are
# among them: for those the flip is the budget's and the precision's together, and this page cannot
# separate the two.
# That is the reason every ConvNet-3 verdict of this book waits for its 1000-epoch runs: a
# comparison that exists only at 300 epochs is shown in its chapter as "not computed" rather than
# judged from the short budget. The one exception is the larger students of the cross-architecture
# claim, whose 1000-epoch runs were not trained here: the verdict runs of the ConvNet came first,
# and the larger students would add {glue:text}`large_seed_minutes`. They are judged at 300 epochs,
# marked *short budget*, and are the first runs to move to a GPU. Comparisons still listed as "not computed yet" in the last column are in
# the training queue.

# %% [markdown]
# ## Does bf16 matter?
#
# Every run asks for `precision="auto"`: bf16 autocast on a CPU with native bf16 matrix
# instructions (AVX512-BF16 or AMX) and plain fp32 on a CPU without them; the authors' code trains
# in fp32. A 1000-epoch IPC-10 ConvNet-3 seed took {glue:text}`prec_minutes` (stored wall times, two
# workers sharing a 2-core CPU). The machines behind the store were of both
# kinds and the store key keeps "auto", so the seeds of one arm can differ in precision; each record
# states which it used. **In the store:** {glue:text}`prec_census`
#
# Autocast changes the rounding of every convolution, so it could in principle shift a close
# comparison. One comparison of the main claim, GIFT against KL on the RDED IPC-10 set (the closest
# of its cells, a tie), is therefore also trained in fp32 (asked for explicitly) with the same
# seeds, teacher and set; the other comparisons whose arms mix the precisions say so where they
# are shown. The table gives both arms at each precision with the rule's outcome.

# %%
prec = sensitivity.precision_results(ex)
display(Markdown(sensitivity.precision_table(prec)))
within, across = sensitivity.precision_comparisons(prec)
glue("prec_bf16", within[0].result(), display=False)
glue("prec_fp32", within[1].result(), display=False)
glue("prec_kl_shift", across[0].result(), display=False)
glue("prec_gift_shift", across[1].result(), display=False)
glue("prec_reading", sensitivity.precision_reading(within, across), display=False)
census = sensitivity.precision_census(ex.store, ex.profile.epochs)
glue("prec_census", census.text(), display=False)
glue("prec_minutes", census.speed_text(), display=False)

# %% [markdown]
# GIFT against KL under bf16: {glue:text}`prec_bf16`; in fp32: {glue:text}`prec_fp32`. The same loss
# across the two precisions (bf16 against fp32): KL {glue:text}`prec_kl_shift`, GIFT
# {glue:text}`prec_gift_shift`. **Reading:** {glue:text}`prec_reading`

# %% [markdown]
# ## Anchors: our sets next to the published numbers
#
# Our RDED and SRe2L sets are made here, with our teacher and our synthesis settings, so their
# accuracy is not the published one. The published CIFAR-10 ConvNet numbers of each method, each
# with its own evaluation protocol (listed in the last column), put ours in context. "Ours" is our
# run with the row's labels (the method's own loss for a distilled set) at the book's budget; "—"
# marks a row we have no matching run for.

# %%
display(Markdown(sensitivity.anchor_table(ex) + "\n\n" + "\n".join(f"- {k} {v}" for k, v in SOURCES.items())))
own = {m: ex.evaluate(m, 10, loss=L) for m, L in (("sre2l", "kl"), ("random", "kl"), ("rded", "kl"))}
for m, r in own.items():
    glue(f"anchor_{m}", fmt(r), display=False)
glue("anchor_sre2l_reading", sre2l_against_random(ex), display=False)
glue("anchor_rded_reading", rded_against_published(ex), display=False)

# %% [markdown]
# **What this means for the verdicts.** With the same teacher, the same KL loss and the same budget,
# our SRe2L IPC-10 set reaches {glue:text}`anchor_sre2l`, random real images relabelled by the
# teacher {glue:text}`anchor_random` and our RDED set {glue:text}`anchor_rded`. At every IPC, by the
# book's rule: {glue:text}`anchor_sre2l_reading` A verdict that rests on weak SRe2L sets
# tests GIFT on weak synthetic images, which may not be SRe2L as its authors run it: no published
# CIFAR-10 ConvNet number exists to check against, and the one published CIFAR-10 number, 29.3 with
# a ResNet-18 student (RDED's table), is itself below the published random-subset baselines above,
# so weak SRe2L sets on CIFAR-10 are not only ours. Our evaluation is longer than RDED's (1000
# epochs against 300) and relabels every augmented batch with the teacher, which favours our numbers;
# they are {glue:text}`anchor_rded_reading`. Our DATM
# number is below its published one (the table gives both), with DATM's own stored labels, as DATM
# evaluates. The
# table's "our loss" column says which of our runs stands beside each published number; the
# sentence above compares every set under KL. The published hard-label random-subset anchor of "A Label is
# Worth a Thousand Images" is an ImageNet-1K ResNet-18 number (their Table 1); for CIFAR-10 with a
# ConvNet they report only the soft-label random baseline, quoted above, and the hard-label random
# baseline quoted is DATM's.

# %%
print(provenance_summary([r for p in prec.values() for r in p.values()] + list(own.values())))
