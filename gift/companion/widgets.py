"""Interactive views for readers who run the book (Jupyter, Colab), each with a static twin for the
HTML book: the same drawing function is called once with default values in the next cell, so the
rendered page shows what the widget shows before anyone moves a slider.

The widgets draw only when moved, never while the cell that creates them runs: capturing a figure
into an ``Output`` widget during a headless execution (papermill, nbclient) intermittently left the
executor waiting forever for the cell to finish (seen twice in about ten renders of the claims page).

* :func:`refinement_explorer` — sliders for GIFT's gamma and alpha: the teacher's logits, the
  smoothed hard label and the refined label of one example, and the GIFT loss of a student's logits.
* :func:`comparison_explorer` — a selector over the claims checklist's comparisons: each arm's
  per-seed accuracy and test-accuracy curves.
"""
from __future__ import annotations

import torch

from ..losses import gift_loss, refine_labels
from .plots import OUTCOME_COLORS, loss_color


def draw_refinement(ax, teacher_logits: torch.Tensor, label: int, student_logits: torch.Tensor, *,
                    gamma: float = 0.1, alpha: float = 0.1) -> float:
    """Bars of n(teacher), n(smoothed label) and the refined label for one example; returns the
    GIFT loss of ``student_logits`` against it (also written in the title)."""
    t, y, z = teacher_logits.view(1, -1), torch.tensor([label]), student_logits.view(1, -1)
    c = t.shape[1]
    refined = refine_labels(t, y, c, alpha=alpha, gamma=gamma)[0]
    smooth = refine_labels(t, y, c, alpha=alpha, gamma=1.0)[0]
    teacher = torch.nn.functional.normalize(t, dim=1)[0]
    loss = float(gift_loss(z, t, y, alpha=alpha, gamma=gamma))
    xs = torch.arange(c).float()
    ax.clear()
    for k, (name, v, color) in enumerate((("n(teacher logits)", teacher, loss_color("kl")),
                                          ("n(smoothed label)", smooth, loss_color("ce")),
                                          (f"refined (gamma={gamma:.2f})", refined, loss_color("gift")))):
        ax.bar(xs + (k - 1) * 0.27, v.numpy(), 0.27, label=name, color=color)
    ax.axvline(label, color="black", linestyle=":", linewidth=0.8)
    ax.set_xticks(range(c))
    ax.set_xlabel(f"class (true class {label}: dotted)")
    ax.set_title(f"alpha={alpha:.2f}, gamma={gamma:.2f}: GIFT loss of the student = {loss:.4f}", fontsize=9)
    ax.legend(fontsize=7)
    return loss


def refinement_explorer(teacher_logits: torch.Tensor, label: int, student_logits: torch.Tensor):
    """Sliders for gamma and alpha redrawing :func:`draw_refinement` (needs a running kernel)."""
    import ipywidgets as w
    import matplotlib.pyplot as plt

    out = w.Output()
    gamma = w.FloatSlider(value=0.1, min=0.0, max=1.0, step=0.01, description="gamma")
    alpha = w.FloatSlider(value=0.1, min=0.0, max=0.9, step=0.01, description="alpha")

    def redraw(*_):
        with out:
            out.clear_output(wait=True)
            fig, ax = plt.subplots(figsize=(7, 3))
            draw_refinement(ax, teacher_logits, label, student_logits, gamma=gamma.value, alpha=alpha.value)
            plt.show()

    gamma.observe(redraw, "value")
    alpha.observe(redraw, "value")
    return w.VBox([w.HBox([gamma, alpha]), out])


def draw_comparison(axes, label: str, result, baseline) -> None:
    """Left: each arm's per-seed best accuracy; right: each seed's test accuracy at the checkpoints."""
    left, right = axes
    left.clear()
    right.clear()
    for k, (name, res, color) in enumerate((("method", result, OUTCOME_COLORS["win"]),
                                            ("baseline", baseline, OUTCOME_COLORS["tie"]))):
        if res is None:
            continue
        left.plot([k] * len(res.runs), [r["best"] for r in res.runs], "o", color=color)
        for r in res.runs:
            ck = r["checkpoints"]
            right.plot([c["epoch"] for c in ck], [c["accuracy"] for c in ck], "-o", color=color, markersize=3,
                       alpha=0.7, label=name if r is res.runs[0] else None)
    left.set_xticks([0, 1], ["method", "baseline"])
    left.set_xlim(-0.5, 1.5)
    left.set_ylabel("best test accuracy per seed (%)")
    right.set_xlabel("epoch")
    right.set_ylabel("test accuracy (%)")
    right.legend(fontsize=7)
    left.set_title(label, fontsize=8)


def draw_first_comparison(pairs: dict):
    """The static twin of :func:`comparison_explorer` for the HTML book: the first computed pair."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(9, 3), gridspec_kw={"width_ratios": [1, 2]})
    first = next(((k, a, b) for k, (a, b) in pairs.items() if a is not None and b is not None), None)
    if first:
        draw_comparison(axes, *first)
    else:
        axes[0].text(0.5, 0.5, "no comparison computed yet", ha="center", va="center", transform=axes[0].transAxes)
    return fig


def comparison_explorer(pairs: dict):
    """A dropdown over ``pairs`` (label -> (result, baseline)) redrawing :func:`draw_comparison`."""
    import ipywidgets as w
    import matplotlib.pyplot as plt

    computed = [k for k, (a, b) in pairs.items() if a is not None and b is not None]
    out = w.Output()
    pick = w.Dropdown(options=computed or ["(nothing computed yet)"], description="comparison",
                      layout=w.Layout(width="95%"))

    def redraw(*_):
        with out:
            out.clear_output(wait=True)
            if pick.value in pairs:
                fig, axes = plt.subplots(1, 2, figsize=(9, 3), gridspec_kw={"width_ratios": [1, 2]})
                draw_comparison(axes, pick.value, *pairs[pick.value])
                plt.show()

    pick.observe(redraw, "value")
    return w.VBox([pick, out])


__all__ = ["comparison_explorer", "draw_comparison", "draw_first_comparison", "draw_refinement", "refinement_explorer"]
