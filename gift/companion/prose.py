"""Numbers for a chapter's prose: short texts of comparisons and claims, and one call that hands
them to myst-nb's ``glue`` so the Markdown cells quote them with ``{glue:text}`key``` instead of a
code cell printing them.

Every value is a ready-made string (or an int), so a missing run reads "not computed" in the
sentence rather than "nan"."""
from __future__ import annotations

import math

from ..stats import format_p


def points(x: float, signed: bool = True) -> str:
    """``"+0.59"`` (or ``"0.59"``), or ``"not computed"`` for NaN."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "not computed"
    return f"{x:+.2f}" if signed else f"{x:.2f}"


def effect(c) -> str:
    """A comparison as a clause: ``"-0.59 points [-1.26, +0.07], p = 0.074: tie"``."""
    if not c.available:
        return "not computed"
    lo, hi = c.interval
    p = format_p(c.p_value)
    return f"{c.delta:+.2f} points [{lo:+.2f}, {hi:+.2f}], p {p if p.startswith('<') else '= ' + p}: {c.outcome}"


def short(c, name: str | None = None) -> str:
    """``"rded IPC 10: -0.59 (tie)"``: a label and its outcome, for lists in a sentence."""
    name = name or c.label
    return f"{name}: not computed" if not c.available else f"{name}: {c.delta:+.2f} ({c.outcome})"


def listing(items, empty: str = "none computed yet") -> str:
    items = [i for i in items if i]
    return "; ".join(items) if items else empty


def claim_values(prefix: str, claim) -> dict:
    """The verdict of a claim, its W/T/L/missing counts and its median effect with interval."""
    n = claim.counts()
    med, lo, hi = claim.median_effect()
    return {
        f"{prefix}_verdict": claim.verdict + (" (short budget)" if claim.short_budget else ""),
        f"{prefix}_wins": n["win"], f"{prefix}_ties": n["tie"], f"{prefix}_losses": n["loss"],
        f"{prefix}_missing": n["missing"], f"{prefix}_total": len(claim.comparisons),
        f"{prefix}_computed": len(claim.comparisons) - n["missing"],
        f"{prefix}_median": "not computed" if math.isnan(med) else f"{med:+.2f} points [{lo:+.2f}, {hi:+.2f}]",
    }


def glue_all(values: dict) -> None:
    """``myst_nb.glue(key, value, display=False)`` for every entry (myst-nb is a book dependency,
    imported only here)."""
    from myst_nb import glue

    for key, value in values.items():
        glue(key, value, display=False)


__all__ = ["claim_values", "effect", "glue_all", "listing", "points", "short"]
