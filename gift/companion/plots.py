"""One figure style for the whole book: a colour per loss and per outcome, high-dpi output, and the
figures more than one chapter draws (the claims forest plot).

Call :func:`use_book_style` once per chapter; draw with :data:`LOSS_COLORS` / :func:`loss_color` so
GIFT has the same colour on every page."""
from __future__ import annotations

import math
import textwrap

# a fixed colour per loss (matplotlib's tab10/tab20 entries), GIFT always the same green
LOSS_COLORS = {
    "gift": "#2ca02c", "kl": "#1f77b4", "soft_ce": "#ff7f0e", "ce": "#7f7f7f", "cosine": "#98df8a",
    "mse": "#9467bd", "mse_ce": "#c5b0d5", "kl_ce": "#aec7e8", "soft_ce_ce": "#ffbb78", "kl_refined": "#17becf",
    "kd": "#8c564b", "wsld": "#e377c2", "dkd": "#bcbd22", "nkd": "#d62728",
}
OUTCOME_COLORS = {"win": "#2ca02c", "tie": "#7f7f7f", "loss": "#d62728"}


def loss_color(loss: str) -> str:
    return LOSS_COLORS.get(loss, "#333333")


def use_book_style() -> None:
    """High-dpi figures with light grids, the same everywhere in the book."""
    import matplotlib as mpl

    mpl.rcParams.update({
        "figure.dpi": 110, "savefig.dpi": 200, "axes.grid": True, "grid.alpha": 0.3,
        "axes.spines.top": False, "axes.spines.right": False, "font.size": 9, "legend.frameon": False,
    })


HEADING_WIDTH = 60  # characters of a claim heading per line in the forest plot
LINEAR_POINTS = 3.0  # the forest plot's x axis is linear within this many points of zero


def forest(claims, ax=None):
    """Every computed seed comparison of ``claims`` as its difference with the 95% interval,
    grouped under its claim; colour = outcome of the rule. Checks (shares, not differences) are
    left out."""
    import matplotlib.pyplot as plt

    rows = []  # (label, comparison or None for a group heading)
    for claim in claims:
        comps = [c for c in claim.comparisons if c.available and hasattr(c, "p_value")]
        if comps:
            rows.append((claim.claim, None))
            rows += [(c.label, c) for c in comps]
    if ax is None:
        _, ax = plt.subplots(figsize=(8, max(2.5, 0.2 * len(rows) + 1)))
    for i, (label, c) in enumerate(rows):
        if c is None:
            continue
        lo, hi = c.interval
        if not (math.isnan(lo) or math.isnan(hi)):
            ax.plot([lo, hi], [i, i], color=OUTCOME_COLORS[c.outcome], linewidth=1.5)
        ax.plot(c.delta, i, "o", color=OUTCOME_COLORS[c.outcome], markersize=3.5)
    ax.set_yticks(range(len(rows)))
    # claim headings wrap instead of being cut: a reader must be able to read which claim a group is
    ax.set_yticklabels([label if c is not None else textwrap.fill(label.upper(), HEADING_WIDTH)
                        for label, c in rows], fontsize=6.5)
    for tick, (_, c) in zip(ax.get_yticklabels(), rows):
        if c is None:
            tick.set_fontweight("bold")
    ax.axvline(0, color="black", linewidth=0.8)
    # most differences are within a few points and one collapse is near +30: linear within
    # +-LINEAR_POINTS, logarithmic beyond, so the small intervals are not squeezed into a strip
    extent = max((abs(v) for _, c in rows if c is not None for v in (*c.interval, c.delta) if not math.isnan(v)),
                 default=0.0)
    if extent > 4 * LINEAR_POINTS:
        ax.set_xscale("symlog", linthresh=LINEAR_POINTS, linscale=2.0)
    ax.set_xlabel("difference of mean accuracy, percentage points (95% interval"
                  + (f"; linear within ±{LINEAR_POINTS:g}, logarithmic beyond)" if ax.get_xscale() == "symlog" else ")"))
    ax.invert_yaxis()
    return ax


__all__ = ["LOSS_COLORS", "OUTCOME_COLORS", "forest", "loss_color", "use_book_style"]
