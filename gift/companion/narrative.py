"""Numbers for a chapter's prose: the values a chapter's text inserts with myst-nb's
``{glue:text}`key``` role, computed here and glued by :func:`glue_all`, so that prose states
results without a code cell printing them.

Every value is glued as a plain string, already formatted (``"64.18"``, ``"not computed"``): the
text reads the same whatever the profile and whatever is in the store."""
from __future__ import annotations

import math

from ..stats import format_p


def num(x: float, digits: int = 2, sign: bool = False) -> str:
    """``x`` formatted for prose (``"—"`` when NaN)."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    return f"{x:+.{digits}f}" if sign else f"{x:.{digits}f}"


def claim_values(key: str, claim) -> dict[str, str]:
    """``<key>_verdict`` (e.g. "contradicted"), ``<key>_evidence`` ("0 wins, 2 ties, 2 losses of 4;
    20 not computed") and ``<key>_n`` (the number of comparisons) for a :class:`Claim`."""
    return {f"{key}_verdict": claim.verdict + (" (short budget)" if claim.short_budget else ""),
            f"{key}_evidence": claim.evidence(), f"{key}_n": str(len(claim.comparisons))}


def comparison_text(c) -> str:
    """A seed comparison in prose: "−0.59 points [−1.26, +0.07], p = 0.074: a tie", or "not computed"."""
    if not c.available:
        return "not computed"
    lo, hi = c.interval
    return f"{c.delta:+.2f} points [{lo:+.2f}, {hi:+.2f}], p = {format_p(c.p_value)}: a {c.outcome}"


def glue_all(values: dict) -> None:
    """Glue every value (as text, not displayed) for the chapter's ``{glue:text}`` roles."""
    from myst_nb import glue

    for key, value in values.items():
        glue(key, value if isinstance(value, str) else str(value), display=False)


__all__ = ["claim_values", "comparison_text", "glue_all", "num"]
