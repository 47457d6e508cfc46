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
# # Generalization: other students and other optimizers
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/gift-companion/gift-companion/blob/main/book/06_generalization.ipynb)
#
# **The question.** A distilled set is only useful if it teaches more than the network and the
# training recipe it was made with. Section 5.4 of {cite}`shang2025gift` ("Can GIFT improve
# generalization?", Tables 4 and 5) and its Appendix D (Table 12) make two claims about this:
#
# 1. **Cross-architecture.** Data distilled with one network and scored by training *another*
#    network on it: "GIFT enhances the cross-architecture generalization of all dataset distillation
#    methods across diverse architectures" (Table 4, Tiny-ImageNet, IPC 10).
# 2. **Cross-optimizer.** The students of Tables 1-3 are trained with AdamW. With SGD or Adam the
#    methods' own KL loss collapses: on RDED's CIFAR-100 set it reaches
#    {glue:text}`paper_kl_sgd` % with SGD and {glue:text}`paper_kl_adam` % with Adam, against
#    {glue:text}`paper_kl_adamw` % with AdamW, while GIFT stays high ({glue:text}`paper_gift_sgd` %,
#    {glue:text}`paper_gift_adam` %, {glue:text}`paper_gift_adamw` %). The paper attributes the
#    collapse to "high gradient variance and instability" of the KL loss, and the robustness of GIFT
#    to the cosine loss being "less sensitive to the scale".
#
# **The setting.** Both claims are tested on CIFAR-10 at IPC 10, with the book's own RDED and SRe2L
# sets (distilled with the ConvNet-3 teacher) and the protocol of every other chapter; only the
# student or the optimizer changes. The paper's numbers are shown beside ours for orientation; they
# are not the same experiment.
#
# **What this chapter adds.** An explanation of the cross-optimizer result that can be tested: the
# authors' KL loss uses a temperature $T = 20$ *without* the usual $T^2$ factor, so its logit
# gradient is smaller by a factor of about $C T^2$ (derived below) than that of an MSE on the
# logits, and SGD's step scales with the gradient. We measure the gradient scales directly, and we
# rerun KL *with* the $T^2$ factor as a control, which changes nothing but the gradient scale: if
# KL×T² beats the authors' KL under SGD, the collapse belongs to the gradient scale, not to the
# loss.
#
# This page is generated from `notebooks/06_generalization.py`; the parameters cell below selects the
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

# %% tags=["hide-input"]
from IPython.display import Markdown, display

from gift.companion import Experiment, describe_profile, provenance_summary, run_plan
from gift.companion import generalization as gen
from gift.companion.checklist import Checklist
from gift.companion.plots import use_book_style
from gift.companion.prose import glue
from gift.companion.report import claim_report
from gift.protocol import OPTIMIZERS

use_book_style()
cfg = gen.chapter_settings(profile)
ex = Experiment(profile, run_missing=run_missing)
CHANCE = 100.0 / ex.num_classes
glue(**gen.paper_collapse_numbers(), **gen.budget_numbers(ex))
print(f"profile={profile} seed={seed} run_missing={run_missing}")
display(Markdown(describe_profile(profile)))

# %% [markdown]
# ## What differs from the paper here
#
# Besides the profile's differences above:
#
# - **Dataset.** Table 4 is Tiny-ImageNet, Table 5 CIFAR-100 and Tiny-ImageNet, Table 12
#   ImageNet-1K. The companion profile uses CIFAR-10 (10 classes).
# - **Students.** The companion scores ConvNet-3, ResNet-18 (modified: 3x3 stem, no max-pool) and
#   torchvision's MobileNet-V2, trained from scratch as the authors' code does; at
#   32x32 its five stride-2 stages leave a 1x1 map before the classifier, a harsh setting that the
#   paper's 64x64 Tiny-ImageNet softens. EfficientNet-B0, ResNet-101 and Swin-V2-Tiny are only in the `paper` profile, for a GPU; the smoke profile
#   has a ConvNet-4 stand-in instead of the large students. The data are always distilled with the
#   ConvNet-3 teacher (Table 4's "distilled on ConvNet" half).
# - **Budget.** ConvNet-3 students train for the paper's {glue:text}`epochs` epochs. Students
#   with a shorter budget in this profile: {glue:text}`short_students`; their verdicts are marked
#   *short budget*: at 1000 epochs they would take {glue:text}`large_seed_minutes` on the book's CPU.
# - **Teacher of a cross-architecture student.** We relabel with the ConvNet-3 teacher that
#   distilled the data, whatever the student. The authors' script defaults to a teacher of the
#   student's own architecture when `--tar_model` is not given; the paper does not
#   say which teacher Table 4 used.
# - **The paper's own tables.** Table 5's AdamW column for SRe2L (CIFAR-100 34.5, Tiny-ImageNet 33.7)
#   has the two datasets swapped relative to Table 1 (33.7 and 34.5). Both tables report ConvNet at
#   IPC 10 under the paper's evaluation optimizer, AdamW (Table 11), so the cells should agree; the paper does not say which pair is
#   right, and we quote Table 5 as printed.
# - **Optimizer settings.** The paper does not state its SGD and Adam hyper-parameters. We use SGD
#   with lr 0.01, momentum 0.9, weight decay 5e-4 (the usual distilled-data evaluation defaults) and
#   Adam with AdamW's numbers (lr 1e-3, weight decay 1e-4). The only difference between our Adam and
#   AdamW is therefore that Adam *couples* the weight decay (adds $\lambda\theta$ to the gradient,
#   `torch.optim.Adam`), while AdamW decouples it. The registry's record of each:

# %% tags=["hide-input"]
for name in ("sgd", "adam", "adamw"):
    spec = OPTIMIZERS.get(name)
    print(f"{name:<6} lr={spec.lr:g} weight_decay={spec.weight_decay:g} momentum={spec.momentum}  ({spec.why})")

# %% [markdown]
# ## Cross-architecture generalization (Table 4)
#
# Each method's set at IPC {glue:text}`student_ipc`, scored with its own loss (KL, $T = 20$, as the authors pair RDED and
# SRe2L) and with GIFT, by training each student from scratch under the profile's protocol (AdamW).
# The Δ column is GIFT minus the own loss, in points; the last two columns are the paper's
# Tiny-ImageNet numbers.

# %%
xarch = gen.cross_architecture(ex, cfg["xarch_methods"])
display(Markdown(gen.cross_architecture_table(ex, xarch, cfg["xarch_methods"])))

# %% tags=["hide-input"] mystnb={"figure": {"caption": "Cross-architecture: test accuracy (best checkpoint, mean and std over seeds) of students of several architectures trained on sets distilled with ConvNet-3, with each method's own loss (KL) and with GIFT. A missing bar is a run that is not computed.", "name": "fig-gen-xarch"}}
fig = gen.plot_cross_architecture(ex, xarch, cfg["xarch_methods"], CHANCE)

# %% [markdown]
# {glue:text}`xarch_recorded` The ConvNet-3 rows are the main table's runs of {doc}`04_main_tables`
# (same set, teacher and protocol), so they say how the set fares with the student it was made for;
# the claim is about the other rows. The claim below is marked *short budget* because these
# students train for 300 epochs, and would be marked *provisional* while any of its comparisons is
# not computed.

# %% [markdown]
# ## Cross-optimizer generalization (Tables 5 and 12)
#
# The same RDED set, the same students and epochs; only the optimizer changes. Three losses: the
# authors' KL ($T = 20$, no $T^2$), GIFT, and KL *with* the $T^2$ factor of Hinton et al.
# {cite}`hinton2015kd`, which the paper does not run. The last one tests the explanation given below.

# %%
xopt = gen.cross_optimizer(ex, cfg["opt_methods"])
display(Markdown(gen.cross_optimizer_table(ex, xopt, cfg["opt_methods"])))

# %% tags=["hide-input"] mystnb={"figure": {"caption": "Cross-optimizer: test accuracy of ConvNet-3 students trained on the RDED IPC-10 set with SGD, Adam or AdamW, for the authors' KL loss (T = 20, no T² factor), GIFT, and KL with the T² factor. Dotted line: chance. A missing bar is a run that is not computed.", "name": "fig-gen-xopt"}}
fig = gen.plot_cross_optimizer(xopt, cfg["opt_methods"], CHANCE)

# %% [markdown]
# {glue:text}`xopt_computed` of these evaluations are in the store; the dotted line of the figure is
# chance ({glue:text}`chance` %). The AdamW rows are again the main table's runs. The paper's
# columns come from its Tables 5 and 12; it never ran KL×T², hence the dashes.

# %% [markdown]
# ## Why the paper's KL fails with SGD and Adam: gradient scales
#
# **The size of the authors' KL gradient.** With temperature $T$ and $C$ classes, let
# $p^T = \mathrm{softmax}(z/T)$. The gradient of the batch-mean loss
# $\frac{1}{B}\sum_i \mathrm{KL}(p^T_{t,i} \,\|\, p^T_{s,i})$ with respect to the student logits is
# $\frac{1}{BT}(p^T_{s,i} - p^T_{t,i})$. For large $T$, $p^T \approx \frac{1}{C}(1 + \tilde z/T)$ with
# $\tilde z$ the logits minus their mean, so
#
# $$
# \frac{\partial \mathcal{L}_{\mathrm{KL}}}{\partial z_{s,i}} \approx \frac{\tilde z_{s,i} - \tilde z_{t,i}}{B\,C\,T^2},
# $$
#
# the gradient of a mean-squared error on centred logits divided by $C T^2$ ($= 4000$ for
# CIFAR-10, $40\,000$ for CIFAR-100, $400\,000$ for ImageNet-1K). Hinton et al. multiply the loss by
# $T^2$ precisely to undo the $1/T^2$; the authors' code and RDED/SRe2L do not.
#
# **What the optimizers do with a tiny gradient.**
#
# - *SGD* moves the weights by $\eta(g + \lambda\theta)$: a gradient $T^2$ times smaller is a
#   learning rate $T^2$ times smaller, which can stall training (the paper's {glue:text}`paper_kl_sgd` %
#   on CIFAR-100).
# - *Adam* divides by the running RMS of what it is given, so it is invariant to the scale of the
#   loss — except for its *coupled* weight decay: `torch.optim.Adam` adds $\lambda\theta$ to the
#   gradient before the normalisation, so against a loss $T^2$ times smaller the decay weighs
#   $T^2 = 400$ times more. This is a *candidate* explanation of the paper's Adam collapse, and it is
#   weaker than it looks: with BatchNorm most weights are scale-invariant, and decaying them changes
#   only their effective learning rate, not the function. The measurement below therefore reports the
#   decay on the scale-sensitive weights separately, and the verdict checks whether Adam collapses
#   here at all.
# - *AdamW* applies the decay outside the normalisation ($\theta \leftarrow \theta - \eta\lambda\theta$)
#   {cite}`loshchilov2019adamw`: neither the step nor the decay depends on the loss scale.
# - *GIFT*'s cosine loss is bounded and its gradient scales as $1/\lVert z_s\rVert$: small logits
#   give a *large* gradient. Shrinking the logits costs the cosine nothing and leaves the prediction
#   (the argmax) unchanged, so weight decay cannot win against it the way it can against KL.
#
# **The measurement.** On real augmented batches of the RDED IPC-10 set relabelled by the profile's
# teacher, we compute, for a freshly initialised ConvNet student and for the same student after a
# few AdamW steps on the KL loss, the gradient of each loss with respect to the logits and to the
# parameters. No training run is involved. Columns:
#
# - $\lVert\partial\mathcal{L}/\partial z\rVert$, $\lVert\nabla_\theta\mathcal{L}\rVert$: gradient
#   norms (whole batch, all parameters), mean over batches;
# - *noise*: $\mathbb{E}_b\lVert g_b - \bar g\rVert^2 / \lVert\bar g\rVert^2$ over the batches, a
#   scale-free gradient variance (the paper's "high gradient variance");
# - *SGD step*: $\eta_{\mathrm{SGD}}\lVert\nabla_\theta\mathcal{L}\rVert/\lVert\theta\rVert$, the
#   relative change of the weights in one SGD step (before momentum);
# - *Adam's decay as AdamW*: inside Adam, the decay term $\lambda\theta_j$ is divided by the RMS of
#   the gradient coordinate $g_j$, so coupled decay moves $\theta_j$ like AdamW's decoupled decay with
#   a weight decay $\lambda_j^{\mathrm{eff}} = \lambda / \mathrm{RMS}(g_j)$ (as long as the gradient
#   dominates $v_j$). We give the median over coordinates, to be compared with AdamW's
#   $\lambda = 10^{-4}$, and the share of the weights' size that this decay alone removes in
#   100 steps at lr $10^{-3}$, $1 - e^{-100\,\eta\,\lambda^{\mathrm{eff}}}$;
# - *decay-dominated*: the share of coordinates where $|g_j| < \lambda|\theta_j|$; there Adam's step
#   is $\approx \eta\,\mathrm{sign}(\theta_j)$, straight towards zero.
#
# Cross-entropy on the hard labels (`ce`) is shown as the scale the optimizers' default learning
# rates are tuned for.

# %%
G = gen.measure_gradients(ex, cfg, seed)
display(Markdown(gen.gradient_table(G)))
glue(**gen.gradient_numbers(G))

# %% tags=["hide-input"] mystnb={"figure": {"caption": "Gradient scales of the losses on the same batches, for a freshly initialised ConvNet student and after a few AdamW steps on KL (log scale). Left: norm of the parameter gradient; the dashed lines are the norms of the weight-decay terms that SGD and Adam add to it. Right: the weight decay that Adam's coupled decay amounts to, written as an AdamW weight decay (median over coordinates); the dotted line is AdamW's own 1e-4.", "name": "fig-gen-gradients"}}
fig = gen.plot_gradient_scales(G)

# %% [markdown]
# **What the measurement shows** (all numbers from the table above):
#
# - *{glue:text}`g0_state` student:* the KL parameter gradient is {glue:text}`g0_kl_vs_ce`x smaller
#   than cross-entropy's and {glue:text}`g0_kl_vs_gift`x smaller than GIFT's. One SGD step moves the
#   weights by {glue:text}`g0_sgd_kl` of their norm with KL, {glue:text}`g0_sgd_gift` with GIFT.
#   Adam's coupled decay acts like an AdamW weight decay of {glue:text}`g0_wd_kl` with KL
#   ({glue:text}`g0_shrink_kl` % of the weights' size removed per 100 steps,
#   {glue:text}`g0_dominated_kl` % of coordinates decay-dominated) against {glue:text}`g0_wd_gift`
#   with GIFT ({glue:text}`g0_shrink_gift` %, {glue:text}`g0_dominated_gift` %). Gradient noise: KL
#   {glue:text}`g0_noise_kl`, GIFT {glue:text}`g0_noise_gift`, cross-entropy {glue:text}`g0_noise_ce`.
# - *{glue:text}`g1_state`:* the KL parameter gradient is {glue:text}`g1_kl_vs_ce`x smaller than
#   cross-entropy's and {glue:text}`g1_kl_vs_gift`x smaller than GIFT's. One SGD step moves the
#   weights by {glue:text}`g1_sgd_kl` of their norm with KL, {glue:text}`g1_sgd_gift` with GIFT.
#   Adam's coupled decay acts like an AdamW weight decay of {glue:text}`g1_wd_kl` with KL
#   ({glue:text}`g1_shrink_kl` %, {glue:text}`g1_dominated_kl` % of coordinates decay-dominated)
#   against {glue:text}`g1_wd_gift` with GIFT ({glue:text}`g1_shrink_gift` %,
#   {glue:text}`g1_dominated_gift` %). Gradient noise: KL {glue:text}`g1_noise_kl`, GIFT
#   {glue:text}`g1_noise_gift`, cross-entropy {glue:text}`g1_noise_ce`.
# - *The $T^2$ factor.* Multiplying KL by $T^2$ = {glue:text}`g_T2` multiplies its gradient by
#   exactly that ({glue:text}`g_t2_factor`x), which puts it at the scale of cross-entropy
#   ({glue:text}`g_t2_vs_ce`x ce); Adam's decay then acts like an AdamW weight decay of
#   {glue:text}`g_t2_wd`.
# - *Size, not variance.* The scale-free noise is highest for {glue:text}`g0_noisiest` on the
#   fresh student and for {glue:text}`g1_noisiest` after the first steps. Between the losses it
#   differs by at most {glue:text}`g_noise_span`x, the gradient size by up to
#   {glue:text}`g_size_span`x: {glue:text}`g_what_sets_kl_apart`.
# - *GIFT's 1/‖z‖ law.* The logit norm went from {glue:text}`g_zn0` to {glue:text}`g_zn1`
#   ({glue:text}`g_zn_ratio`x) and GIFT's logit gradient from {glue:text}`g_gz0` to
#   {glue:text}`g_gz1` ({glue:text}`g_gz_ratio`x smaller), close to the ratio the cosine's 1/‖z‖ law
#   predicts (the law holds exactly only for a fixed direction of the logits); weight decay, which
#   shrinks the logits, makes the gradient larger again.
# - *Decay where it matters.* On the scale-sensitive weights only (classifier, normalisation affine
#   parameters; {glue:text}`g_sensitive_share` % of the parameters), Adam's coupled decay acts like an
#   AdamW weight decay of {glue:text}`g0_wd_kl_sensitive` with KL ({glue:text}`g0_dominated_kl_sensitive` %
#   of those coordinates decay-dominated) and {glue:text}`g0_wd_gift_sensitive` with GIFT on the fresh
#   student; {glue:text}`g1_wd_kl_sensitive` ({glue:text}`g1_dominated_kl_sensitive` %) and
#   {glue:text}`g1_wd_gift_sensitive` {glue:text}`g1_state`.
#
# **How to read these numbers against the runs.** If the gradient-scale explanation is right, the
# cross-optimizer runs must show (i) KL without $T^2$ failing with SGD but not with AdamW, (ii) KL
# with $T^2$ working with SGD, and (iii) GIFT working with all three optimizers. With 10 classes the
# factor $CT^2$ is 10 times smaller than on CIFAR-100 and 100 times smaller than on ImageNet-1K, so
# the explanation predicts a milder failure on CIFAR-10 than in the paper's tables; the paper's own
# numbers fall in that order (RDED with Adam: {glue:text}`paper_kl_adam` % on CIFAR-100,
# {glue:text}`paper_kl_adam_tiny` % on Tiny-ImageNet, {glue:text}`paper_kl_adam_in1k` % on
# ImageNet-1K). The paper's Tables 5 and 12 also show GIFT doing *better* with SGD or Adam than with
# AdamW on ConvNet. Gradient scales do not explain that; the verdict says whether our runs show it.

# %% [markdown]
# What each run above ran (loss, student, optimizer, protocol numbers, checkpoints), exactly; the
# regression tests check these lines, because the accuracies themselves differ in the last digits
# between CPU models (see `gift.companion.run_plan`).

# %% tags=["nbval-check-output", "hide-output"]
for line in run_plan({**xarch, **xopt}):
    print(line)

# %% [markdown]
# ## Verdict
#
# Five claims rest on this chapter's runs, each judged in `gift.companion.checklist` by the book's
# one rule ({ref}`the-rule`): the authors' KL collapses under SGD and Adam (a check per optimizer:
# a loss against KL under AdamW that falls at least half of the way to chance); GIFT avoids that
# collapse (tested only under an optimizer where KL does collapse: elsewhere there is nothing to
# avoid); our control, KL×T² against the authors' KL under the same optimizer (the two differ only
# in the gradient scale; tested, like the claim above, only where KL collapses); GIFT with SGD or Adam against GIFT with AdamW (a pattern of the paper's
# ConvNet tables, not a sentence of its text); and GIFT against the own loss for each larger
# student.

# %%
checklist = Checklist(ex, sets=cfg["xarch_methods"], heavy=profile != "smoke")
claims = gen.claims(checklist)
for claim in claims:
    display(Markdown(claim_report(claim)))
glue(**gen.verdict_numbers(claims, xopt, CHANCE), **gen.status_numbers(xarch, xopt))

# %% [markdown]
# **Does the collapse reproduce?** The authors' KL under SGD: {glue:text}`collapse_sgd`. Under
# Adam: {glue:text}`collapse_adam`. A comparison that is not a loss by the rule is not a collapse.
# A loss is measured by how far it falls from AdamW's accuracy towards chance
# ({glue:text}`chance` %): at least half of the way is a partial collapse, at least 90 % a collapse
# to chance, less a drop.
#
# **The claims.** *KL collapses under SGD and Adam:* {glue:text}`v_collapses`. *GIFT avoids the
# collapse:* {glue:text}`v_avoids`. *The control (KL×T² against the
# authors' KL):* {glue:text}`v_control`; reading: {glue:text}`control_reading`. *GIFT against
# KL×T²* (does GIFT give more than the restored scale?): {glue:text}`gift_vs_scaled_kl`. *SGD and
# Adam beat AdamW with GIFT:* {glue:text}`v_sgd_adam`. *Cross-architecture:* {glue:text}`v_xarch`.
#
# **On the coupled-decay explanation.** On paper, Adam's coupled weight decay is large against
# KL's tiny gradient: on the scale-sensitive weights it acts like an AdamW weight decay of
# {glue:text}`g0_wd_kl_sensitive` on the fresh student and {glue:text}`g1_wd_kl_sensitive`
# {glue:text}`g1_state` (the measurement above), while most of the decay falls on
# scale-invariant weights, where it changes little. Adam's step does not depend on the loss scale
# except through this decay (and its small $\epsilon$), so KL×T² against KL under Adam tests the
# explanation directly, whether or not KL collapses there: {glue:text}`adam_decay_reading` All numbers are the
# profile's dataset, not the paper's; the paper's numbers are shown for orientation only.
#
# **Budget and completeness.** {glue:text}`all_recorded` The ConvNet-3
# runs use the paper's {glue:text}`epochs` epochs; the larger students' runs are short-budget runs
# (see {doc}`00_protocol` for how much the budget moves a verdict).

# %% [markdown]
# ## Provenance

# %%
print(provenance_summary([*xarch.values(), *xopt.values()]))
