"""The one statistical rule behind every verdict of the book.

A comparison puts two samples of seed accuracies side by side (a method and its baseline, the same
set, teacher and budget) and reports the difference of their means, its 95% confidence interval
and a two-sided p-value from **Welch's t-test**; it is a *win* when p < 0.05 and the difference is
positive, a *loss* when p < 0.05 and it is negative, a *tie* otherwise.

Why Welch's t-test and not a bootstrap: with 3-5 seeds per arm a bootstrap has only a few dozen
distinct resamples, and its percentile interval is known to be too narrow at such sizes, so it
would call too many differences; the t-interval uses the exact small-sample quantile instead.
Why Welch and not Student's pooled test: a loss change can change the seed-to-seed spread (GIFT's
runs are often tighter than KL's), and Welch does not assume equal variances. Why unpaired: seeds
of two arms share an initialisation and batch order, but nothing guarantees their accuracies are
correlated, and an unpaired test never overstates the evidence when they are not. The test assumes
roughly normal seed accuracies; ``tests/test_stats.py`` checks by simulation that, at the seed
counts the book uses (5 against 5 for every verdict, 3 against 3 for the 300-epoch budget table),
equal means are called a win or a loss in at most 5% of comparisons when one arm's spread is up to
twice the other's (measured on 400,000 draws: 4.4-5.0% at 5 seeds, 3.6-4.3% at 3). Welch's test
is an approximation, not exact: at 5 against 5 seeds with one arm four times as spread it calls
5.4%, and at 5 against 3 seeds with the 3-seed arm twice as spread 6.2% (the pooled Student test
calls 10% there).

One comparison is not chosen in advance: the best against the worst loss of a grid, picked for
being furthest apart. It keeps Welch's statistic but is judged against what picking the extremes
of that many equal arms gives (:func:`extremes_test`), so it too calls a difference 5% of the time
when there is none.

The test uses the sample variance (``ddof=1``), as it must; the book's tables keep showing the
authors' ``mean ± np.std`` (population std, ``ddof=0``) next to it.
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from functools import cached_property
from typing import Sequence

import numpy as np

ALPHA = 0.05  # the significance level of every verdict in the book
CONFIDENCE = 0.95  # the interval reported with every difference

WIN, TIE, LOSS, MISSING = "win", "tie", "loss", "missing"
OUTCOMES = (WIN, TIE, LOSS, MISSING)


@dataclass(frozen=True)
class Comparison:
    """Method vs baseline over seeds: what was compared and what the rule says about it.

    ``values``/``base_values`` are the per-seed accuracies (percent); empty when not computed.
    ``caveat`` names a way the two arms are not matched that the comparison could not avoid (e.g.
    seeds trained in different precisions), for the report to show beside the outcome.
    ``precisions`` is every precision the two arms' seeds trained in (empty when not recorded): it lets
    a comparison of the same two arms at another budget say whether the precision moved too."""

    label: str
    values: tuple = ()
    base_values: tuple = ()
    caveat: str = ""
    selected_from: int = 0  # > 2: the two arms are the highest and lowest mean of this many (extremes_test)
    precisions: tuple = ()

    def __post_init__(self):
        # a NaN seed would make the test's p NaN, which reads as a tie: refuse it where it enters
        bad = [v for v in (*self.values, *self.base_values) if not math.isfinite(v)]
        if bad:
            raise ValueError(f"{self.label}: seed accuracies must be finite numbers, got {bad[0]!r} in "
                             f"{self.values} vs {self.base_values}; a run that diverged must be retrained or "
                             "removed from the store, not compared")

    @property
    def available(self) -> bool:
        return len(self.values) >= 2 and len(self.base_values) >= 2

    @property
    def mean(self) -> float:
        return float(np.mean(self.values)) if self.values else math.nan

    @property
    def base_mean(self) -> float:
        return float(np.mean(self.base_values)) if self.base_values else math.nan

    @property
    def delta(self) -> float:
        return self.mean - self.base_mean

    @property
    def seeds(self) -> tuple[int, int]:
        return len(self.values), len(self.base_values)

    @cached_property
    def _welch(self) -> tuple[float, float, float]:
        """(p-value, CI low, CI high) of the mean difference, computed once per comparison."""
        if self.selected_from > 2:
            return extremes_test(self.values, self.base_values, self.selected_from)
        return welch(self.values, self.base_values)

    @property
    def p_value(self) -> float:
        return self._welch[0] if self.available else math.nan

    @property
    def interval(self) -> tuple[float, float]:
        if not self.available:
            return math.nan, math.nan
        _, lo, hi = self._welch
        return lo, hi

    @property
    def outcome(self) -> str:
        if not self.available:
            return MISSING
        p = self.p_value
        if p < ALPHA:
            return WIN if self.delta > 0 else LOSS
        return TIE

    def difference(self) -> str:
        """``"+0.30 points [-0.41, +1.01], p = 0.380 (tie)"``: the rule's reading of the comparison
        (difference of seed means, its 95% interval, p, outcome) for a sentence; ``"not computed"``
        when an arm has no runs."""
        if not self.available:
            return "not computed"
        lo, hi = self.interval
        caveat = f"; {self.caveat}" if self.caveat else ""
        return f"{self.delta:+.2f} points [{lo:+.2f}, {hi:+.2f}], {p_text(self.p_value)} ({self.outcome}{caveat})"

    def result(self) -> str:
        """``"64.10 vs 63.80, +0.30 points [-0.41, +1.01], p = 0.380 (tie)"``: both means, then
        :meth:`difference` (the text without its label, for a table cell)."""
        if not self.available:
            return "not computed"
        return f"{self.mean:.2f} vs {self.base_mean:.2f}, {self.difference()}"

    def text(self) -> str:
        """``"label: 64.1 vs 63.8, +0.30 [-0.41, +1.01], p = 0.38 (tie)"``."""
        return f"{self.label}: {self.result()}"


def welch(a: Sequence[float], b: Sequence[float], confidence: float = CONFIDENCE) -> tuple[float, float, float]:
    """Welch's two-sample t-test of mean(a) - mean(b): (two-sided p, CI low, CI high).

    Two samples with zero variance each are a degenerate case the t-test cannot judge: equal
    means give p = 1, different means p = 0 with a zero-width interval."""
    from scipy import stats

    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if len(a) < 2 or len(b) < 2:
        raise ValueError(f"Welch's test needs at least 2 seeds per arm, got {len(a)} and {len(b)}")
    delta, se2, df = (float(v) for v in _welch_terms(a, b))
    if se2 == 0:
        return (1.0 if delta == 0 else 0.0), delta, delta
    p = float(_two_sided_p(delta, se2, df))
    half = float(stats.t.ppf(0.5 + confidence / 2, df)) * math.sqrt(se2)
    return p, delta - half, delta + half


def extremes_test(best: Sequence[float], worst: Sequence[float], arms: int, confidence: float = CONFIDENCE,
                  sims: int = 20000, seed: int = 0) -> tuple[float, float, float]:
    """The rule for the highest-mean arm against the lowest-mean arm of ``arms`` arms: (p, CI low,
    CI high), with Welch's statistic judged against what picking the two extremes gives when every
    arm has the same mean.

    Why not plain Welch: the two arms were chosen *because* their means are furthest apart. Picking
    the best and the worst of seven equal losses with 5 seeds each and testing them as if chosen in
    advance calls a difference in about 30% of such grids, not 5%. The statistic stays Welch's t;
    its null distribution is simulated (``arms`` equal-mean normal arms with the compared arms' seed
    counts, the t of the highest mean against the lowest), and the difference is positive by
    construction, so p is one-sided. The interval uses that distribution's ``confidence`` quantile
    in place of Student's, so its lower end is above 0 exactly when p < 1 - ``confidence``."""
    a, b = np.asarray(best, dtype=float), np.asarray(worst, dtype=float)
    if len(a) < 2 or len(b) < 2:
        raise ValueError(f"the test needs at least 2 seeds per arm, got {len(a)} and {len(b)}")
    if arms < 2:
        raise ValueError(f"the extremes of fewer than 2 arms make no comparison, got arms={arms}")
    delta, se2, _ = (float(v) for v in _welch_terms(a, b))
    if se2 == 0:
        return (1.0 if delta == 0 else 0.0), delta, delta
    se = math.sqrt(se2)
    null = _extremes_null(arms, len(a), len(b), sims, seed)
    p = float(np.mean(null >= delta / se))
    q = float(np.quantile(null, confidence))
    return p, delta - q * se, delta + q * se


@functools.lru_cache(maxsize=32)
def _extremes_null(arms: int, n_best: int, n_worst: int, sims: int, seed: int) -> np.ndarray:
    """:func:`_extremes_t` from a fixed seed, kept: the null distribution every extremes test reads."""
    return _extremes_t(arms, n_best, n_worst, sims, np.random.default_rng(seed))


def _extremes_t(arms: int, n_best: int, n_worst: int, sims: int, rng: np.random.Generator) -> np.ndarray:
    """Welch's t of the highest-mean against the lowest-mean of ``arms`` equal-mean normal arms,
    ``sims`` times (the arms picked as best get ``n_best`` seeds, as worst ``n_worst``: each arm is
    drawn with the larger count, and the picked ones keep the first ``n`` of their seeds)."""
    n = max(n_best, n_worst)
    draws = rng.standard_normal((sims, arms, n))
    rows = np.arange(sims)
    hi = draws[:, :, :n_best].mean(-1).argmax(1)
    lo = draws[:, :, :n_worst].mean(-1).argmin(1)
    delta, se2, _ = _welch_terms(draws[rows, hi, :n_best], draws[rows, lo, :n_worst])
    return delta / np.sqrt(se2)


def _welch_terms(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(difference of means, its squared standard error, Welch-Satterthwaite degrees of freedom),
    over the last axis, so one sample pair or many at once."""
    na, nb = a.shape[-1], b.shape[-1]
    va, vb = a.var(axis=-1, ddof=1) / na, b.var(axis=-1, ddof=1) / nb
    se2 = va + vb
    with np.errstate(divide="ignore", invalid="ignore"):
        df = se2 ** 2 / (va ** 2 / (na - 1) + vb ** 2 / (nb - 1))
    return a.mean(axis=-1) - b.mean(axis=-1), se2, df


def welch_p_values(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Welch's two-sided p-value of ``a`` against ``b`` over the last axis: one p per sample pair.

    The same computation as :func:`welch`, for many pairs at once (the simulations that check and
    explain the rule draw hundreds of thousands of them)."""
    return _two_sided_p(*_welch_terms(np.asarray(a, dtype=float), np.asarray(b, dtype=float)))


def _two_sided_p(delta, se2, df):
    """P(|T| >= |delta| / sqrt(se2)) for Student's T with ``df`` degrees of freedom."""
    from scipy import stats

    with np.errstate(divide="ignore", invalid="ignore"):
        return 2 * stats.t.sf(np.abs(delta) / np.sqrt(se2), df)


def null_outcomes(comparisons: Sequence[tuple[tuple[object, int], tuple[object, int]]], sims: int = 20000,
                  seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(wins, losses) of ``sims`` simulated claims in which nothing differs, each judged by the rule.

    ``comparisons`` lists each comparison's two arms as ``(arm, seeds)``, and a third element
    ``selected_from`` for a best-against-worst comparison (:func:`extremes_test`): an arm is any hashable
    name of a set of runs, and arms of the same name are the same simulated sample, so comparisons
    that share a run (GIFT against each of several losses on one set) are correlated here as they
    are in the book. Every arm is redrawn from one normal distribution. This is how often a claim's
    calls can arise from seed noise alone: the rule holds each comparison's false calls to about 5%, but a
    claim of many comparisons collects them.

    What the simulation assumes, and the book states beside the column: every run's accuracy is
    normal with one spread for all arms; separate runs are independent (arms that share seeds share
    an initialisation and batch order, which this ignores); a best-against-worst comparison is drawn
    from its own equal arms, independently of the claim's other comparisons."""
    rng = np.random.default_rng(seed)
    arms: dict = {}
    for a, b, *_ in comparisons:
        for name, n in (a, b):
            if name not in arms:
                arms[name] = rng.standard_normal((sims, n))
    wins, losses = np.zeros(sims, dtype=int), np.zeros(sims, dtype=int)
    for (a, na), (b, nb), *selected in comparisons:
        k = selected[0] if selected else 0
        if k > 2:  # the extremes of k arms, picked afresh in each simulated claim (extremes_test)
            critical = np.quantile(_extremes_null(k, na, nb, 20000, 0), 1 - ALPHA)  # extremes_test's
            wins += _extremes_t(k, na, nb, sims, rng) > critical
            continue
        delta, se2, df = _welch_terms(arms[a], arms[b])
        called = _two_sided_p(delta, se2, df) < ALPHA
        wins += called & (delta > 0)
        losses += called & (delta < 0)
    return wins, losses


def detectable_difference(seeds: int, power: float = 0.8, sims: int = 20000, seed: int = 0) -> float:
    """The true difference, in seed standard deviations, that the rule calls (win or loss) with
    probability ``power`` when both arms have ``seeds`` seeds and the same spread; nan with fewer
    than 2 seeds, where no test is possible.

    Why a reader needs it: a tie is not evidence of equality. With few seeds only a large difference
    is found reliably, and this number says how large. It is found by simulating the rule itself
    (the same draws for every candidate difference, bisected), not from Student's power formula:
    Welch's test estimates its degrees of freedom, which at 3 seeds costs it noticeable power."""
    if seeds < 2:
        return math.nan  # one seed per arm: the rule cannot test anything (a dry-run profile)
    if not ALPHA < power < 1:
        raise ValueError(f"power must be between the significance level {ALPHA} and 1, got {power}")
    a, b = np.random.default_rng(seed).standard_normal((2, sims, seeds))

    def rate(effect: float) -> float:
        return float(np.mean(welch_p_values(a + effect, b) < ALPHA))

    low, high = 0.0, 20.0
    for _ in range(30):  # 20 / 2**30: far below what any reader would see
        mid = (low + high) / 2
        low, high = (mid, high) if rate(mid) < power else (low, mid)
    return (low + high) / 2


def p_text(p: float) -> str:
    """``"p = 0.038"`` or ``"p < 0.001"``."""
    text = format_p(p)
    return f"p {text}" if text.startswith("<") else f"p = {text}"


def format_p(p: float) -> str:
    if math.isnan(p):
        return "n/a"
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def seed_values(result, which: str = "best") -> tuple:
    """The per-seed accuracies of an ``EvalResult`` (empty when ``result`` is None: not computed)."""
    if result is None:
        return ()
    return tuple(float(r[which]) for r in result.runs)


def compare(label: str, result, baseline, which: str = "best", selected_from: int = 0) -> Comparison:
    """A :class:`Comparison` of two ``EvalResult`` (either may be None = not computed), with a
    caveat when its seeds did not all train in the same precision (``precision="auto"`` is bf16 on
    some machines and fp32 on others, and the store key keeps "auto"). ``selected_from``: the two
    are the highest and lowest mean of that many arms (:func:`extremes_test`)."""
    return Comparison(label, seed_values(result, which), seed_values(baseline, which),
                      caveat=_precision_caveat(result, baseline), selected_from=selected_from,
                      precisions=tuple(sorted(set(precisions(result)) | set(precisions(baseline)))))


def precisions(result) -> list[str]:
    """The precisions a result's seeds trained in (``["bf16"]``, ``["bf16", "fp32"]``); [] when not
    computed or not recorded."""
    return [] if result is None else sorted({r.get("precision") for r in result.runs} - {None})


def _precision_caveat(result, baseline) -> str:
    """How the two arms' precisions differ: ``"method in bf16, baseline in fp32"`` (a comparison that
    also varies the precision) or ``"seeds mix bf16 and fp32 (baseline)"`` (an arm trained on
    machines of both kinds); "" when every seed of both arms shares one precision."""
    mine, theirs = precisions(result), precisions(baseline)
    if len(set(mine) | set(theirs)) < 2:
        return ""
    if len(mine) == 1 and len(theirs) == 1:
        return f"method in {mine[0]}, baseline in {theirs[0]}"
    mixed = [name for name, arm in (("method", mine), ("baseline", theirs)) if len(arm) > 1]
    return f"seeds mix {' and '.join(sorted(set(mine) | set(theirs)))} ({' and '.join(mixed)})"


def tally(comparisons: Sequence[Comparison]) -> dict[str, int]:
    out = dict.fromkeys(OUTCOMES, 0)
    for c in comparisons:
        out[c.outcome] += 1
    return out


def median_effect(comparisons: Sequence[Comparison]) -> tuple[float, float, float]:
    """(median difference, CI low, CI high) over the computed comparisons.

    For an odd count the median is one comparison's difference and the interval is that
    comparison's 95% interval. For an even count the median is the mean of the two middle
    differences (the usual median, not the worse or the better of the two), and the interval runs
    from the lower of their two lows to the higher of their two highs: it covers both middle
    comparisons, so it never claims more precision than either has."""
    done = sorted((c for c in comparisons if c.available), key=lambda c: c.delta)
    if not done:
        return math.nan, math.nan, math.nan
    k = len(done)
    middle = done[(k - 1) // 2: k // 2 + 1]  # one comparison for an odd count, two for an even one
    lows, highs = zip(*(c.interval for c in middle))
    return sum(c.delta for c in middle) / len(middle), min(lows), max(highs)


__all__ = ["ALPHA", "CONFIDENCE", "Comparison", "LOSS", "MISSING", "OUTCOMES", "TIE", "WIN", "compare", "null_outcomes",
           "format_p", "median_effect", "p_text", "seed_values", "tally", "welch", "welch_p_values"]
