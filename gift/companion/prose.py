"""Numbers for a chapter's prose: computed values glued into the Markdown text (myst-nb ``glue``,
read in the text as ``{glue:text}`name```), so no result is typed by hand or printed by a long cell.

Every value is a ready-made string (or an int), so a missing run reads "not computed" in the
sentence rather than "nan". The clauses shared by the chapters' verdict sentences live here too:
one comparison as a short clause, one claim's verdict and counts."""
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


def points(x: float, signed: bool = True) -> str:
    """``"+0.59"`` (or ``"0.59"``), or ``"not computed"`` for NaN."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "not computed"
    return f"{x:+.2f}" if signed else f"{x:.2f}"


def num(x: float, digits: int = 2, sign: bool = False) -> str:
    """``x`` formatted for prose (``"—"`` when NaN)."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    return f"{x:+.{digits}f}" if sign else f"{x:.{digits}f}"


def nan_or(value: float, fmt: str, missing: str = "not computed") -> str:
    return missing if value is None or (isinstance(value, float) and math.isnan(value)) else format(value, fmt)


def short(c, name: str | None = None) -> str:
    """``"rded IPC 10: -0.59 (tie)"``: a label and its outcome, for lists in a sentence."""
    name = name or c.label
    return f"{name}: not computed" if not c.available else f"{name}: {c.delta:+.2f} ({c.outcome})"


def and_join(items) -> str:
    """``"a"``, ``"a and b"``, ``"a, b and c"``: a list inside a sentence."""
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def listing(items, empty: str = "none computed yet") -> str:
    items = [i for i in items if i]
    return "; ".join(items) if items else empty


def claim_values(prefix: str, claim) -> dict:
    """The verdict of a claim, its W/T/L/missing counts, its evidence line ("0 wins, 2 ties, 2 losses
    of 4; 20 not computed") and its median effect with interval, as ``{prefix}_verdict``,
    ``{prefix}_wins``, ... ``{prefix}_evidence``, ``{prefix}_n`` for :func:`glue`;
    ``{prefix}_still_open`` is the sentence saying whether comparisons are still to come and whether
    they can change the verdict."""
    n = claim.counts()
    med, lo, hi = claim.median_effect()
    one_middle = (len(claim.comparisons) - n["missing"]) % 2 == 1  # else two middle comparisons
    whose = ("95% interval of the median comparison" if one_middle
             else "the 95% intervals of the two middle comparisons joined")
    return {
        f"{prefix}_verdict": claim.verdict_label(),
        f"{prefix}_wins": n["win"], f"{prefix}_ties": n["tie"], f"{prefix}_losses": n["loss"],
        f"{prefix}_missing": n["missing"], f"{prefix}_total": len(claim.comparisons),
        f"{prefix}_computed": len(claim.comparisons) - n["missing"],
        f"{prefix}_median": "not computed" if math.isnan(med) else (
            f"{med:+.2f} points, {whose} [{lo:+.2f}, {hi:+.2f}]"),
        f"{prefix}_evidence": claim.evidence(), f"{prefix}_n": len(claim.comparisons),
        f"{prefix}_still_open": (
            "Every comparison is computed, so the verdict is final." if not n["missing"] else
            f"The other {n['missing']} {'is' if n['missing'] == 1 else 'are'} not computed yet and count neither way: "
            + ("no outcome of theirs can change the verdict, only its counts and median." if claim.settled
               else "the verdict can change as they come in.")),
    }


def count_computed(results) -> tuple[int, int]:
    """(computed, total) over an iterable of results (None = not computed)."""
    results = list(results)
    return sum(r is not None for r in results), len(results)


def recorded(done: int, total: int, what: str, pending: str = "wait in the job queue") -> str:
    """The sentence a chapter states its completeness with, true in both states: ``"All 27 runs
    are in the store."`` or ``"25 of the 27 runs are in the store; the other 2 show as "not
    computed" and wait in the job queue."``"""
    if done == total:
        return f"All {total} {what} are in the store."
    return f'{done} of the {total} {what} are in the store; the other {total - done} show as "not computed" and {pending}.'


__all__ = ["MISSING", "claim_values", "count_computed", "recorded", "glue", "listing", "nan_or", "num", "points", "short"]
