"""Verdicts for the claims checklist, decided by one fixed rule (chosen before the runs).

A comparison of a method against a baseline counts as a **win** when the difference of the seed
means exceeds the larger of the two seed standard deviations, a **loss** when it is below minus
that, and a **tie** otherwise. A claim over several comparisons is then

* ``supported`` — every comparison is a win (or, for "is best"-type claims, the expected winner wins);
* ``partly supported`` — some but not all comparisons are wins;
* ``not supported`` — no comparison is a win;
* ``not testable here`` — no comparison could be made (runs missing, or the setting needs a GPU).

The rule is deliberately simple and is applied to whatever the runs gave; nothing is tuned to it.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

SUPPORTED = "supported"
PARTLY = "partly supported"
NOT_SUPPORTED = "not supported"
NOT_TESTABLE = "not testable here"


@dataclass(frozen=True)
class Comparison:
    """``label``: what is compared; means and stds in percent over seeds."""

    label: str
    mean: float
    std: float
    base_mean: float
    base_std: float

    @property
    def delta(self) -> float:
        return self.mean - self.base_mean

    @property
    def margin(self) -> float:
        return max(self.std, self.base_std)

    @property
    def available(self) -> bool:
        return not (math.isnan(self.mean) or math.isnan(self.base_mean))

    @property
    def outcome(self) -> str:
        if not self.available:
            return "missing"
        if self.delta > self.margin:
            return "win"
        if self.delta < -self.margin:
            return "loss"
        return "tie"

    def text(self) -> str:
        if not self.available:
            return f"{self.label}: not computed"
        return (f"{self.label}: {self.mean:.2f} ± {self.std:.2f} vs {self.base_mean:.2f} ± {self.base_std:.2f} "
                f"({self.delta:+.2f}, {self.outcome})")


@dataclass
class Claim:
    """One claim of the paper and the comparisons that test it."""

    claim: str
    where: str  # chapter that shows the evidence
    comparisons: list[Comparison] = field(default_factory=list)
    note: str = ""  # setting differences or why it cannot be tested

    def counts(self) -> dict[str, int]:
        out = {"win": 0, "tie": 0, "loss": 0, "missing": 0}
        for c in self.comparisons:
            out[c.outcome] += 1
        return out

    @property
    def verdict(self) -> str:
        n = self.counts()
        made = n["win"] + n["tie"] + n["loss"]
        if made == 0:
            return NOT_TESTABLE
        if n["win"] == made and n["missing"] == 0:
            return SUPPORTED
        if n["win"] == 0:
            return NOT_SUPPORTED
        return PARTLY

    def evidence(self) -> str:
        n = self.counts()
        made = n["win"] + n["tie"] + n["loss"]
        head = f"{n['win']} of {made} comparisons are wins, {n['tie']} ties, {n['loss']} losses"
        if n["missing"]:
            head += f"; {n['missing']} not computed"
        return head


def compare(label: str, result, baseline, which: str = "best") -> Comparison:
    """A :class:`Comparison` of two ``EvalResult`` (either may be None = not computed)."""
    from .experiments import mean_std

    m, s = mean_std(result, which)
    bm, bs = mean_std(baseline, which)
    return Comparison(label, m, s, bm, bs)
