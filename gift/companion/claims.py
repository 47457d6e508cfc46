"""Verdicts for the claims checklist: every comparison is judged by the one rule of
:mod:`gift.stats` (Welch's t-test at alpha = 0.05), and a claim over several comparisons gets

* ``supported`` — every computed comparison is a win;
* ``mostly supported`` — more wins than losses;
* ``contradicted`` — at least one loss, and losses are at least as many as wins;
* ``mixed`` — no comparison differs beyond noise (ties only);
* ``pending`` — its comparisons are in the training queue, none computed yet;
* ``not testable here`` — no comparison of it can be made in this profile (the setting needs a GPU
  or data the profile does not have, or its premise does not occur).

The scale is fixed before the runs and applied to whatever they gave; nothing is tuned to it. A
claim whose runs are shorter than the paper's (``short_budget``) says so next to its verdict, and so
does a claim judged on only some of its comparisons (``provisional``: the rest are not computed yet,
so the verdict can still change; ``settled`` when no outcome of the rest could change it). Controls the book adds (``paper=False``) are judged by the same
rule but counted apart from the paper's own claims.

The rule holds each comparison's false calls to about 5%, but a claim of many comparisons collects
them (24 independent comparisons with no real difference get at least one loss about 42% of the
time), so a supported or mostly supported claim also reports :meth:`Claim.chance`: how often seed
noise alone gives as many wins among the same comparisons; a contradicted one, as many losses.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..stats import LOSS, MISSING, TIE, WIN, Comparison, compare, median_effect, null_outcomes, tally
from .prose import and_join

SUPPORTED = "supported"
MOSTLY = "mostly supported"
MIXED = "mixed"
CONTRADICTED = "contradicted"
PENDING = "pending"
NOT_TESTABLE = "not testable here"
VERDICTS = (SUPPORTED, MOSTLY, MIXED, CONTRADICTED, PENDING, NOT_TESTABLE)


def counted(n: int, noun: str) -> str:
    """``"1 win"``, ``"2 wins"``, ``"0 losses"``."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}{'es' if noun.endswith('s') else 's'}"


def evidence_text(comparisons) -> str:
    """``"0 wins, 3 ties, 1 loss of 4; 2 not computed"``: the counts of any list of comparisons."""
    n = tally(comparisons)
    head = f"{counted(n[WIN], 'win')}, {counted(n[TIE], 'tie')}, {counted(n[LOSS], 'loss')} of {n[WIN] + n[TIE] + n[LOSS]}"
    return head + (f"; {n[MISSING]} not computed" if n[MISSING] else "")


def verdict_of(counts: dict[str, int]) -> str:
    """The verdict scale above, from win/tie/loss counts."""
    w, t, l = counts[WIN], counts[TIE], counts[LOSS]
    if w + t + l == 0:
        return PENDING if counts[MISSING] else NOT_TESTABLE
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
    paper: bool = True  # a claim of the paper; False: a control this book adds
    scope: str = ""  # where the claim was tested when narrower than its wording, e.g. "tested under sgd only"
    distinct_runs: bool = True  # False: its comparisons' arms are related beyond shared runs (see chance)

    def counts(self) -> dict[str, int]:
        return tally(self.comparisons)

    @property
    def verdict(self) -> str:
        return verdict_of(self.counts())

    @property
    def provisional(self) -> bool:
        """Judged on some of its comparisons while others are not computed yet, and those could
        still change the verdict (else it is :attr:`settled`)."""
        n = self.counts()
        return bool(n[MISSING]) and n[WIN] + n[TIE] + n[LOSS] > 0 and not self.settled

    @property
    def settled(self) -> bool:
        """True when no outcome of the comparisons not computed yet could change the verdict: every
        way of calling them win, tie or loss gives the same one (e.g. 4 losses of 5 with 2 to come:
        two wins would still be fewer than the losses). Its counts and median can still move."""
        n = self.counts()
        m = n[MISSING]
        if not m or n[WIN] + n[TIE] + n[LOSS] == 0:
            return False
        return len({verdict_of({WIN: n[WIN] + w, TIE: n[TIE] + t, LOSS: n[LOSS] + m - w - t, MISSING: 0})
                    for w in range(m + 1) for t in range(m + 1 - w)}) == 1

    def verdict_label(self, evidence: bool = False) -> str:
        """The verdict with its qualifiers in one bracket: ``"supported (short budget; provisional,
        1 of 2 computed)"``; with ``evidence`` the W/T/L line replaces the computed count, for prose:
        ``"mostly supported (provisional; 3 wins, 1 tie, 0 losses of 4; 2 not computed)"``."""
        n = self.counts()
        made = n[WIN] + n[TIE] + n[LOSS]
        qualifiers = ["short budget"] * self.short_budget + [self.scope] * bool(self.scope)
        if evidence and not made:
            qualifiers.append(f"its {n[MISSING]} comparisons are not computed yet" if n[MISSING]
                              else "no comparison of it is made in this profile")
        elif evidence:
            qualifiers += ["provisional"] * self.provisional + ["settled"] * self.settled + [self.evidence()]
        elif self.provisional or self.settled:
            qualifiers.append(f"{'provisional' if self.provisional else 'settled'}, {made} of {made + n[MISSING]} computed")
        return self.verdict + (f" ({'; '.join(qualifiers)})" if qualifiers else "")

    def chance(self, sims: int = 20000) -> float:
        """The chance that seed noise alone gives this claim at least as many wins (a supported or
        mostly supported claim) or losses (a contradicted one): the same computed comparisons, with
        their seed counts, none with a real difference (:func:`gift.stats.null_outcomes`). The rule
        holds each comparison's false calls to 5%, but a claim of many comparisons collects them;
        this says whether its calls are more than that. nan for a mixed or untestable claim, for a
        claim of a single computed comparison, for numeric checks, and for a claim whose runs are
        related in a way the simulation does not draw (``distinct_runs=False``: GDumb steps train
        on nested subsets of one set, so their outcomes move together)."""
        made = [c for c in self.comparisons if c.available]
        side = {SUPPORTED: WIN, MOSTLY: WIN, CONTRADICTED: LOSS}.get(self.verdict)
        if side is None or not self.distinct_runs or not all(hasattr(c, "p_value") for c in made):
            return float("nan")  # the simulation could not mirror how the arms are related
        if len({(c.values, c.base_values) for c in made}) < 2:
            return float("nan")  # one comparison (however often listed) collects nothing: its p says it
        # an arm is named by its seed accuracies: the same run behind two comparisons is one sample
        wins, losses = null_outcomes([((c.values, len(c.values)), (c.base_values, len(c.base_values)), c.selected_from)
                                      for c in made], sims)
        return float(np.mean((wins if side == WIN else losses) >= self.counts()[side]))

    def median_effect(self) -> tuple[float, float, float]:
        return median_effect(self.comparisons)

    def wtl(self) -> str:
        n = self.counts()
        return f"{n[WIN]}/{n[TIE]}/{n[LOSS]}"

    def evidence(self) -> str:
        return evidence_text(self.comparisons)


def effect_text(claim: Claim) -> str:
    """The median effect of a claim as a table cell: ``"+0.41 [-0.20, +1.02]"`` for differences,
    ``"—"`` when nothing is computed. A claim made of numeric checks says in how many of them the
    statement holds in every case (``"holds in 1 of 2"``), plus the median share of cases where
    shares are partial: a "median" of one check that holds and one that fails would be a 50% that
    no check measured."""
    med, lo, hi = claim.median_effect()
    if med != med:  # nan: nothing computed
        return "—"
    if claim.comparisons and not hasattr(claim.comparisons[0], "p_value"):
        shares = [c.delta for c in claim.comparisons if c.available]
        text = f"holds in {sum(s >= 1.0 for s in shares)} of {len(shares)}"
        if any(0.0 < s < 1.0 for s in shares):
            text += f" (median share of cases {100 * med:.0f}%)"
        return text
    return f"{med:+.2f} [{lo:+.2f}, {hi:+.2f}]"


def median_seed_std(claims: list[Claim]) -> float:
    """The median seed-to-seed standard deviation (sample std, points) of the distinct arms behind
    the claims' computed seed comparisons: what turns :func:`gift.stats.detectable_difference`, in
    seed stds, into points a reader can hold a tie against. nan when no arm has two seeds."""
    arms = {values for claim in claims for c in claim.comparisons
            if c.available and hasattr(c, "p_value") for values in (c.values, c.base_values) if len(values) > 1}
    return float(np.median([np.std(v, ddof=1) for v in arms])) if arms else float("nan")


CHECKLIST_HEADER = ("claim", "verdict", "W/T/L", "median difference [interval]", "as many calls by chance", "evidence",
                    "note")


def noise_contradicts(n_comparisons: int, seeds: int = 5) -> float:
    """The chance that a claim of ``n_comparisons`` independent comparisons (no arm shared) with
    ``seeds`` seeds per arm and no real difference anywhere is called "contradicted": at least one
    loss, and at least as many losses as wins."""
    wins, losses = null_outcomes([((("method", k), seeds), (("baseline", k), seeds)) for k in range(n_comparisons)])
    return float(np.mean((losses >= 1) & (losses >= wins)))


def format_chance(p: float) -> str:
    """A :meth:`Claim.chance` value as text: ``"4%"``, ``"< 0.1%"``, or ``"—"`` (nan: mixed, untestable, checks)."""
    if p != p:
        return "—"
    return "< 0.1%" if p < 0.001 else f"{100 * p:.0f}%" if p >= 0.01 else f"{100 * p:.1f}%"


def chance_text(claim: Claim) -> str:
    """:meth:`Claim.chance` as a table cell (:func:`format_chance`)."""
    return format_chance(claim.chance())


def checklist_rows(claims: list[Claim], here: str = "10_claims") -> list[tuple]:
    """One row per claim (:data:`CHECKLIST_HEADER`), the evidence as a link to its chapter."""
    return [(c.claim, c.verdict_label(), c.wtl(), effect_text(c), chance_text(c),
             f"{{doc}}`{c.where}`" if c.where != here else "this page", _note_with_losses(c)) for c in claims]


def _note_with_losses(claim: Claim) -> str:
    """The claim's note, and for a mostly supported claim the comparisons it loses: a claim that
    something is *the best* is beaten there, which its verdict alone does not say."""
    lost = "; ".join(c.label for c in claim.comparisons if c.outcome == LOSS)
    if claim.verdict != MOSTLY or not lost:
        return claim.note
    return "; ".join(part for part in (claim.note, f"loses: {lost}") if part)


def verdict_tally(claims: list[Claim]) -> dict[str, int]:
    """How many claims got each verdict, every verdict of the scale present (zero included), and
    ``"provisional"``: how many of them are judged on only some of their comparisons (and could
    still change), ``"settled"``: how many have runs still to come that cannot change them, and
    ``"short budget"``: how many verdicts rest on runs shorter than the paper's."""
    return {**{v: sum(c.verdict == v for c in claims) for v in VERDICTS},
            "provisional": sum(c.provisional for c in claims),
            "settled": sum(c.settled for c in claims),
            "short budget": sum(c.short_budget and c.verdict not in (PENDING, NOT_TESTABLE) for c in claims)}


def tally_text(claims: list[Claim]) -> str:
    """``"2 of 11 are supported, 0 mostly supported, 0 mixed, 4 contradicted, 3 pending and 2 not testable here
    (3 of the verdicts provisional; 1 on a short budget (fewer epochs than the paper's), so not the paper's setting)"``:
    :func:`verdict_tally` as a sentence."""
    n = verdict_tally(claims)
    counts = [f"{n[v]} {v}" for v in VERDICTS]
    counts[0] = f"{n[SUPPORTED]} of {len(claims)} are {SUPPORTED}"
    text = and_join(counts)
    notes = [f"{n['provisional']} of the verdicts provisional"] * bool(n["provisional"])
    notes += [f"{n['settled']} settled with runs still to come, which cannot change {'it' if n['settled'] == 1 else 'them'}"
              ] * bool(n["settled"])
    notes += [f"{n['short budget']} on a short budget (fewer epochs than the paper's), so not the paper's setting"] * bool(n["short budget"])
    return text + (f" ({'; '.join(notes)})" if notes else "")


def comparisons_text(claims: list[Claim]) -> str:
    """Every claim with its evidence, then each comparison's one-line result (plain text)."""
    lines = []
    for c in claims:
        lines.append(f"{c.claim} [{c.verdict_label()}; {c.evidence()}]")
        lines += [f"    {comp.text()}" for comp in c.comparisons]
    return "\n".join(lines)


__all__ = ["CHECKLIST_HEADER", "CONTRADICTED", "Claim", "Comparison", "MIXED", "MOSTLY", "NOT_TESTABLE", "PENDING", "SUPPORTED", "VERDICTS",
           "chance_text", "checklist_rows", "format_chance", "compare", "comparisons_text", "effect_text", "noise_contradicts", "tally_text", "verdict_of", "verdict_tally"]
