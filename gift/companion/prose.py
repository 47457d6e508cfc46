"""Numbers for a chapter's prose: computed values glued into the Markdown text (myst-nb ``glue``,
read in the text as ``{glue:text}`name```), so no result is typed by hand or printed by a long cell.

Helpers shared by the chapters' verdict sentences live here too: one comparison as a short clause,
one claim's verdict as a short clause."""
from __future__ import annotations

import math

from ..stats import MISSING


def glue(**values) -> None:
    """Glue every ``name=value`` for the chapter's Markdown (not displayed where computed). Without
    myst-nb (e.g. a Colab session without the ``book`` extra) nothing is glued and the chapter still
    runs."""
    try:
        from myst_nb import glue as _glue
    except ImportError:  # pragma: no cover - depends on the environment
        return
    for name, value in values.items():
        _glue(name, value, display=False)


def clause(comparison) -> str:
    """``"+0.30 points [−0.41, +1.01], p = 0.38 (tie)"``, or ``"not computed"``."""
    from ..stats import format_p

    if not comparison.available:
        return "not computed"
    lo, hi = comparison.interval
    return (f"{comparison.delta:+.2f} points [{lo:+.2f}, {hi:+.2f}], p = {format_p(comparison.p_value)} "
            f"({comparison.outcome})")


def verdict_clause(claim) -> str:
    """``"mostly supported (3 wins, 1 tie, 0 losses of 4; 2 not computed)"``."""
    short = ", short budget" if claim.short_budget else ""
    n = claim.counts()
    if n["win"] + n["tie"] + n["loss"] == 0:
        if not n["missing"]:
            return f"{claim.verdict}{short} (no comparison of it is made in this profile)"
        return f"{claim.verdict}{short} (its {n['missing']} comparisons are not computed yet)"
    return f"{claim.verdict}{short} ({claim.evidence()})"


def count_computed(results) -> tuple[int, int]:
    """(computed, total) over an iterable of results (None = not computed)."""
    results = list(results)
    return sum(r is not None for r in results), len(results)


def nan_or(value: float, fmt: str, missing: str = "not computed") -> str:
    return missing if value is None or (isinstance(value, float) and math.isnan(value)) else format(value, fmt)


__all__ = ["MISSING", "clause", "count_computed", "glue", "nan_or", "verdict_clause"]
