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
# # Method: label refinement and the cosine loss
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/gift-companion/gift/blob/main/book/02_method.ipynb)
#
# Paper: Section 4 ("Method") of {cite}`shang2025gift`. GIFT has two parts:
#
# 1. **Label refinement.** The teacher's soft label is mixed with a smoothed version of the hard
#    label, after normalising both to unit length.
# 2. **Cosine loss.** The student is trained to point its logit vector in the direction of the
#    refined label: $\mathcal{L} = 1 - \frac{1}{B}\sum_i \cos(z_{s,i}, r_i)$.
#
# This chapter shows what the refinement does to a label vector, and how the paper's formula differs
# from the authors' released code. **All tensors here are small synthetic logits**, drawn with a
# fixed seed, not the outputs of a trained teacher.
#
# This page is generated from `notebooks/02_method.py`; the parameters cell below selects the run
# profile (see {doc}`reproduce`).

# %%
# On Google Colab, install the companion package first. Everywhere else (local runs, papermill,
# nbval, the book build) this cell does nothing.
import importlib.util
import subprocess
import sys

try:
    import google.colab  # noqa: F401

    ON_COLAB = True
except ImportError:
    ON_COLAB = False

if ON_COLAB and importlib.util.find_spec("gift") is None:
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "git+https://github.com/gift-companion/gift.git@main"],
        check=True,
    )

# %% tags=["parameters"]
profile = "companion"  # "smoke" (CPU, seconds), "companion" (the published book), "paper" (GPU/Colab)
seed = 0
run_missing = True  # train runs missing from results/ (False: show them as "not computed")

# %%
import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F

from gift.losses import get_loss, gift_loss, list_losses, refine_labels

# Everything a profile changes, in one place. This chapter only uses synthetic tensors, so the
# profiles differ only in how finely the gamma sweep of the figure is sampled.
SETTINGS = {
    "smoke": {"n_gamma": 51},
    "companion": {"n_gamma": 201},
    "paper": {"n_gamma": 201},
}
if profile not in SETTINGS:
    raise ValueError(f"unknown profile {profile!r}; valid profiles are: {', '.join(SETTINGS)}")
cfg = SETTINGS[profile]
print(f"profile={profile} seed={seed} settings={cfg}")

# %% [markdown]
# ## The two formulas
#
# For a distilled image $j$ with hard label $c$ among $C$ classes, let $s_j$ be the smoothed hard
# label (the authors' convention: $1-\alpha$ on class $c$, $\alpha/(C-1)$ elsewhere, $\alpha = 0.1$),
# $t_j$ the teacher's soft label, and $n(v) = v / \lVert v \rVert_2$.
#
# - **Paper** (Section 4): $r_j = \gamma\, n(s_j) + (1-\gamma)\, n(t_j)$ with $\gamma = 0.1$, a convex
#   weight.
# - **Authors' code** (`validate/losses_benchmark.py` in LINs-lab/GIFT): $r_j = n(t_j) + 0.1\, n(s_j)$,
#   an *additive* weight, and $t_j$ are the raw teacher **logits**, not probabilities.
#
# The cosine loss only sees the direction of $r_j$. Dividing the code's $r_j$ by $1.1$ gives the
# paper's form with $\gamma' = 0.1/1.1 \approx 0.0909$. So the code is the paper's method with a
# slightly smaller $\gamma$. In `gift.losses` the two are `convention="paper"` (the default) and
# `convention="official"`, where `gamma` is the convex weight or the additive weight respectively.
#
# ## Synthetic teacher logits
#
# Eight samples of a ten-class problem. The teacher logits are Gaussian noise plus a bonus on the
# true class; for the last two samples a larger bonus goes to a *wrong* class, so the teacher's top
# class is wrong there. The paper argues that the refinement can correct such errors.

# %%
num_classes, batch = 10, 8
gen = torch.Generator().manual_seed(seed)
labels = torch.arange(batch) % num_classes
teacher = 2.0 * torch.randn(batch, num_classes, generator=gen)
teacher[torch.arange(batch), labels] += 4.0
wrong = torch.tensor([6, 7])
teacher[wrong, (labels[wrong] + 1) % num_classes] += 5.0

top = teacher.argmax(dim=1)
print("label          ", labels.tolist())
print("teacher argmax ", top.tolist())
print("teacher correct", (top == labels).tolist())


# %% [markdown]
# ## What the refinement does to one label
#
# Sample 6, where the teacher is wrong, under both conventions at the default $\gamma = 0.1$.
# Refined labels are not probability vectors: they are unit-scale directions (logits can be
# negative), and only their direction matters to the loss.

# %%
def refined(gamma: float, convention: str) -> torch.Tensor:
    return refine_labels(teacher, labels, num_classes, alpha=0.1, gamma=gamma, convention=convention)


i = 6
rows = {
    "n(teacher logits)": F.normalize(teacher, dim=1)[i],
    "n(smoothed label)": refine_labels(teacher, labels, num_classes, gamma=1.0, convention="paper")[i],
    "paper, gamma=0.1": refined(0.1, "paper")[i],
    "code, +0.1": refined(0.1, "official")[i],
}
print(f"sample {i}: label {labels[i].item()}, teacher argmax {top[i].item()}")
print(f"{'':<20}" + "".join(f"{c:>7}" for c in range(num_classes)) + "   argmax")
for name, v in rows.items():
    print(f"{name:<20}" + "".join(f"{x:7.3f}" for x in v.tolist()) + f"   {v.argmax().item():>6}")

# %% [markdown]
# ## Paper vs. code: same direction at $\gamma' = \gamma/(1+\gamma)$
#
# Numerical check of the equivalence above, and of the loss itself: `gift_loss` equals one minus the
# mean cosine between the student logits and the refined label, and `get_loss("gift", ...)` (the
# registry entry used by the training code) gives the same value.

# %%
student = teacher + 3.0 * torch.randn(batch, num_classes, generator=gen)  # a synthetic "student"
gamma = 0.1
same_direction = F.cosine_similarity(refined(gamma, "official"), refined(gamma / (1 + gamma), "paper"), dim=1)
by_hand = {c: 1 - F.cosine_similarity(student, refined(gamma, c), dim=1).mean() for c in ("paper", "official")}

print(f"min cos(code r(0.1), paper r(0.1/1.1)) = {same_direction.min().item():.6f}")
for c in ("paper", "official"):
    functional = gift_loss(student, teacher, labels, gamma=gamma, convention=c)
    registry = get_loss("gift", gamma=gamma, convention=c)(student, teacher, labels)
    print(f"{c:<9} gift_loss={functional.item():.5f}  by hand={by_hand[c].item():.5f}  get_loss={registry.item():.5f}")
print("losses in the registry:", ", ".join(list_losses()))

# %% [markdown]
# ## How far the refinement turns the label
#
# The angle between the refined label and the teacher logits measures how much of the teacher's
# signal the refinement overrides. The refined label lies in the plane of the two unit vectors and
# between them, so its angle to the teacher plus its angle to the smoothed hard label equals the angle
# between teacher and hard label. {numref}`fig-method-angle` plots both angles, averaged over the eight
# samples, against $\gamma$ read as the convex weight (paper) or the additive weight (code). The dotted
# lines mark $\gamma = 0.1$; the circles show that the code's value at $\gamma = 0.1$ is the paper's
# value at $\gamma' = 1/11 \approx 0.091$.

# %%
def angles(r: torch.Tensor, ref: torch.Tensor) -> torch.Tensor:
    """Mean angle in degrees between the rows of r and ref."""
    cos = F.cosine_similarity(r.double(), ref.double(), dim=1).clamp(-1, 1)
    return torch.rad2deg(torch.arccos(cos)).mean()


smooth_dir = refine_labels(teacher, labels, num_classes, gamma=1.0, convention="paper")
gammas = torch.linspace(0, 1, cfg["n_gamma"]).tolist()
curves = {
    c: {
        "teacher": [angles(refined(g, c), teacher).item() for g in gammas],
        "smooth": [angles(refined(g, c), smooth_dir).item() for g in gammas],
    }
    for c in ("paper", "official")
}


# %% tags=["hide-input"] mystnb={"figure": {"caption": "Mean angle between the refined label and the teacher logits (left) or the smoothed hard label (right) as the weight gamma varies, for the paper's convex weight and the code's additive weight. Synthetic logits (8 samples, 10 classes). Dotted line: gamma = 0.1; circles: the code at gamma = 0.1 equals the paper at gamma = 1/11.", "name": "fig-method-angle"}}
fig, axes = plt.subplots(1, 2, figsize=(9, 3.4), sharex=True)
for ax, key, ref, title in zip(axes, ("teacher", "smooth"), (teacher, smooth_dir),
                               ("to teacher logits", "to smoothed hard label")):
    ax.plot(gammas, curves["paper"][key], label="paper: $\\gamma\\, n(s) + (1-\\gamma)\\, n(t)$")
    ax.plot(gammas, curves["official"][key], "--", label="code: $n(t) + \\gamma\\, n(s)$")
    code_default = angles(refined(0.1, "official"), ref).item()
    ax.plot([0.1, 1 / 11], [code_default] * 2, "o", mfc="none", color="black", markersize=5,
            label="code at 0.1 = paper at 1/11")
    ax.axvline(0.1, color="grey", linestyle=":", linewidth=1)
    ax.set_title(f"angle {title}")
    ax.set_xlabel("$\\gamma$")
    ax.set_ylabel("mean angle (degrees)")
    ax.grid(alpha=0.3)
axes[0].legend(loc="upper left", fontsize=8)
fig.tight_layout()
plt.show()

# %% [markdown]
# The same numbers at a few values of $\gamma$, together with the fraction of samples whose refined
# label has its largest entry on the true class. The row $\gamma = 0$ is the teacher alone; the row
# $\gamma = 0.0909$ is $1/11$, where the paper's form reproduces the code's default.
# This table is checked by the regression tests (rounded, so that it is stable across machines).

# %% tags=["nbval-check-output"]
print(f"{'gamma':>6} | {'angle to teacher':^17} | {'angle to smoothed':^17} | {'top-1 = label':^15}")
print(f"{'':>6} | {'paper':>8} {'code':>8} | {'paper':>8} {'code':>8} | {'paper':>7} {'code':>7}")
for g in (0.0, 0.05, 1 / 11, 0.1, 0.2, 0.5, 1.0):
    r_p, r_o = refined(g, "paper"), refined(g, "official")
    acc = [(r.argmax(dim=1) == labels).float().mean().item() for r in (r_p, r_o)]
    print(
        f"{g:6.4f} | {angles(r_p, teacher):8.1f} {angles(r_o, teacher):8.1f} | "
        f"{angles(r_p, smooth_dir):8.1f} {angles(r_o, smooth_dir):8.1f} | {acc[0]:7.3f} {acc[1]:7.3f}"
    )

# %% [markdown]
# ## Verdict
#
# - The refinement is a rotation of the teacher's (normalised) logit vector towards the smoothed
#   hard label; $\gamma$ sets how far. With the paper's $\gamma = 0.1$ the refined label stays much
#   closer to the teacher than to the hard label (table above), so most of the teacher's
#   information is kept.
# - The released code adds $0.1\,n(s)$ instead of mixing with weight $0.1$; this is exactly the
#   paper's rule with $\gamma' = 1/11 \approx 0.0909$. The difference is small but real, and a
#   reproduction has to say which one it uses. This companion uses the paper's form by default
#   (`convention="paper"`) and offers the code's form as `convention="official"`.
# - The code refines raw teacher *logits*, not probabilities (`soft="logits"`, the default here;
#   `soft="probs"` is the alternative reading of the paper's "soft label").
# - Whether the refinement fixes a wrong teacher depends on the teacher's margin relative to the
#   norm of its logit vector; the last column of the table shows it for these synthetic logits only.
#   Real teacher outputs are needed before saying anything about trained models.

# %%
d_teacher = angles(refined(0.1, "paper"), teacher) - angles(refined(0.1, "official"), teacher)
print(f"On these synthetic logits the paper's gamma=0.1 turns the label {d_teacher.item():.2f} degrees "
      "further away from the teacher than the code's +0.1 does.")
