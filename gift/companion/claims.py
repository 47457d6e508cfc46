"""Verdicts for the claims checklist: every comparison is judged by the one rule of
:mod:`gift.stats` (Welch's t-test at alpha = 0.05), and a claim over several comparisons gets

* ``supported`` — every computed comparison is a win;
* ``mostly supported`` — more wins than losses;
* ``contradicted`` — at least one loss, and losses are at least as many as wins;
* ``mixed`` — no comparison differs beyond noise (ties only);
* ``not testable here`` — no comparison could be made (runs missing, or the setting needs a GPU).

The scale is fixed before the runs and applied to whatever they gave; nothing is tuned to it. A
claim whose runs are shorter than the paper's (``short_budget``) says so next to its verdict.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..stats import LOSS, MISSING, TIE, WIN, Comparison, compare, median_effect, tally

SUPPORTED = "supported"
MOSTLY = "mostly supported"
MIXED = "mixed"
CONTRADICTED = "contradicted"
NOT_TESTABLE = "not testable here"
VERDICTS = (SUPPORTED, MOSTLY, MIXED, CONTRADICTED, NOT_TESTABLE)


def verdict_of(counts: dict[str, int]) -> str:
    """The verdict scale above, from win/tie/loss counts."""
    w, t, l = counts[WIN], counts[TIE], counts[LOSS]
    if w + t + l == 0:
        return NOT_TESTABLE
    if w == w + t + l:
        return SUPPORTED
    if w > l:
        return MOSTLY
    if l >= 1:
        return CONTRADICTED
    return MIXED


@dataclass
class Claim:
    """One claim of the paper and the comparisons that test it."""

    claim: str
    where: str  # chapter that shows the evidence
    comparisons: list[Comparison] = field(default_factory=list)
    note: str = ""  # setting differences or why it cannot be tested
    short_budget: bool = False  # its runs are shorter than the paper's 1000 epochs

    def counts(self) -> dict[str, int]:
        return tally(self.comparisons)

    @property
    def verdict(self) -> str:
        return verdict_of(self.counts())

    def median_effect(self) -> tuple[float, float, float]:
        return median_effect(self.comparisons)

    def wtl(self) -> str:
        n = self.counts()
        return f"{n[WIN]}/{n[TIE]}/{n[LOSS]}"

    def evidence(self) -> str:
        n = self.counts()
        made = n[WIN] + n[TIE] + n[LOSS]
        head = f"{n[WIN]} wins, {n[TIE]} ties, {n[LOSS]} losses of {made}"
        if n[MISSING]:
            head += f"; {n[MISSING]} not computed"
        return head


def effect_text(claim: Claim) -> str:
    """The median effect of a claim as a table cell: ``"+0.41 [-0.20, +1.02]"`` for differences,
    ``"holds in 80% (median case)"`` for checks, ``"—"`` when nothing is computed."""
    med, lo, hi = claim.median_effect()
    if med != med:  # nan: nothing computed
        return "—"
    if claim.comparisons and not hasattr(claim.comparisons[0], "p_value"):
        return f"holds in {100 * med:.0f}% (median case)"
    return f"{med:+.2f} [{lo:+.2f}, {hi:+.2f}]"


CHECKLIST_HEADER = ("claim", "verdict", "W/T/L", "median effect [95% CI]", "evidence", "note")


def checklist_rows(claims: list[Claim], here: str = "10_claims") -> list[tuple]:
    """One row per claim (:data:`CHECKLIST_HEADER`), the evidence as a link to its chapter."""
    return [(c.claim, c.verdict + (" (short budget)" if c.short_budget else ""), c.wtl(), effect_text(c),
             f"{{doc}}`{c.where}`" if c.where != here else "this page", c.note) for c in claims]


def verdict_tally(claims: list[Claim]) -> dict[str, int]:
    """How many claims got each verdict, every verdict of the scale present (zero included)."""
    return {v: sum(c.verdict == v for c in claims) for v in VERDICTS}


def comparisons_text(claims: list[Claim]) -> str:
    """Every claim with its evidence, then each comparison's one-line result (plain text)."""
    lines = []
    for c in claims:
        lines.append(f"{c.claim} [{c.verdict}; {c.evidence()}]")
        lines += [f"    {comp.text()}" for comp in c.comparisons]
    return "\n".join(lines)


__all__ = ["CHECKLIST_HEADER", "CONTRADICTED", "Claim", "Comparison", "MIXED", "MOSTLY", "NOT_TESTABLE", "SUPPORTED", "VERDICTS",
           "checklist_rows", "compare", "comparisons_text", "effect_text", "verdict_of", "verdict_tally"]
