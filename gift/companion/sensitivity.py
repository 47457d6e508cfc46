"""How much the protocol's own choices move a verdict: the training budget (the book's first runs
at 300 epochs against the paper's 1000) and the precision (bf16 autocast against fp32), plus our
own sets next to the published numbers of their methods (:mod:`~gift.companion.anchors`).

The "Protocol as run" page shows these; they are not claims of the paper but the checks that
tell a reader how far the book's setting can be trusted. Each comparison is judged by the book's one
rule (:mod:`gift.stats`)."""
from __future__ import annotations

import dataclasses
import json
import statistics
from dataclasses import dataclass

from ..stats import TIE, Comparison, compare
from .anchors import ANCHORS
from .checklist import Checklist
from .experiment import Experiment
from .loss_grid import LOSS_LABEL
from .plots import LINEAR_POINTS
from .profiles import get_profile
from .report import fmt, markdown_table

#: the checklist claims whose comparisons were also run at the short budget: every claim on the
#: ConvNet student (the larger students of cross-architecture have only their 300-epoch runs)
BUDGET_CLAIMS = ("improves_every_method", "random_control", "both_modules", "gamma", "beats_kd",
                 "avoids_collapse", "scale_explains_collapse", "sgd_adam_beat_adamw", "loss_choice",
                 "gift_best_loss", "continual")
#: the book's first budget: 300 epochs, 3 seeds (kept in the store, shown only on the protocol page)
SHORT_EPOCHS, SHORT_SEEDS = 300, (0, 1, 2)


def short_budget_experiment(profile: str = "companion") -> Experiment:
    """The same profile at the book's first budget, reading only what the store holds."""
    p = get_profile(profile)
    short = dataclasses.replace(p, name=f"{p.name}-{SHORT_EPOCHS}", epochs=SHORT_EPOCHS, seeds=SHORT_SEEDS,
                                short_budget={})
    return Experiment(short, run_missing=False, show_progress=False)


def same_seeds_experiment(profile: str = "companion") -> Experiment:
    """The profile at its own budget but with the short budget's seeds only: the 1000-epoch twin of
    a 300-epoch comparison, so that the two differ in the budget and nothing else."""
    p = get_profile(profile)
    return Experiment(dataclasses.replace(p, seeds=SHORT_SEEDS), run_missing=False, show_progress=False)


@dataclass(frozen=True)
class BudgetPair:
    """One checklist comparison at both budgets: ``short`` and ``matched`` differ in the budget only
    (same seeds); ``long`` is the verdict's own comparison (all the profile's seeds)."""

    claim: str
    short: Comparison
    matched: Comparison
    long: Comparison

    @property
    def changed(self) -> bool:
        """True when both budgets are computed on the same seeds and the rule's outcome differs."""
        return self.short.available and self.matched.available and self.short.outcome != self.matched.outcome

    @property
    def precision_shift(self) -> str:
        """``"bf16 → fp32"`` when the two budgets' runs of this comparison trained in different
        precisions (``precision="auto"`` resolved differently, or one budget used an fp32 twin), so
        that the budget is not the only thing that differs; "" when they match or one is unrecorded."""
        a, b = self.short.precisions, self.matched.precisions
        return f"{'+'.join(a)} → {'+'.join(b)}" if a and b and a != b else ""


def budget_pairs(long: Experiment, short: Experiment, claims=BUDGET_CLAIMS,
                 matched: Experiment | None = None) -> list[BudgetPair]:
    """Every comparison of ``claims`` whose short-budget arm is computed, built once per budget and
    listed once: a comparison that tests several claims (the same two sets of runs) names them all,
    so a count of flipped outcomes counts each comparison once. ``matched`` is ``long`` on the short
    budget's seeds (:func:`same_seeds_experiment`); without it, ``long`` stands in."""
    out: dict[tuple, BudgetPair] = {}
    lists = [Checklist(e) for e in (short, matched or long, long)]
    for name in claims:
        c_short, c_matched, c_long = (getattr(cl, name)() for cl in lists)
        # look the twins up by identity: a claim may test fewer comparisons at one budget
        twin = [{_identity(c): c for c in claim.comparisons} for claim in (c_matched, c_long)]
        for s in c_short.comparisons:
            if not s.available:
                continue
            runs = (s.values, s.base_values)
            if runs in out:
                out[runs] = dataclasses.replace(out[runs], claim=f"{out[runs].claim}; {c_short.claim}")
            else:
                out[runs] = BudgetPair(c_short.claim, s, *(t.get(_identity(s), Comparison(s.label)) for t in twin))
    return list(out.values())


def _identity(c: Comparison) -> str:
    """What makes two budgets' comparisons the same one: the label, except for a pick of a grid's
    extremes (``"rded: mse (best) vs ce (worst) of 7 losses"``), where each budget picks its own
    pair and the set before the colon is the identity."""
    return c.label.split(":")[0] if c.selected_from else c.label


def budget_gain(long: Experiment, short: Experiment, method: str = "rded", ipc: int = 10, loss: str = "kl") -> float:
    """Mean accuracy at the long budget minus the short one for one run (nan if either is missing)."""
    a, b = (e.evaluate(method, ipc, loss=loss) for e in (long, short))
    return compare("budget", a, b).delta


def _cell(c: Comparison) -> str:
    return f"{c.delta:+.2f} ({c.outcome})" if c.available else "not computed yet"


def budget_table(pairs: list[BudgetPair]) -> str:
    if not pairs:
        return "No 300-epoch run is in the store."
    rows = [[p.claim, _label(p), _cell(p.short), _cell(p.matched), _outcome(p), _cell(p.long)] for p in pairs]
    seeds = f"seeds {SHORT_SEEDS[0]}–{SHORT_SEEDS[-1]}"
    return markdown_table(["claim", "comparison", f"{SHORT_EPOCHS} epochs, {seeds}", f"1000 epochs, {seeds}",
                           "between the budgets", "1000 epochs, all seeds (the verdict)"], rows)


def _outcome(p: BudgetPair) -> str:
    """``"**changes**"`` for a flipped outcome, with the precision change that goes with the budget's
    where there is one (then the flip is not the budget's alone)."""
    parts = (["**changes**"] if p.changed else []) + ([f"precision also changes ({p.precision_shift})"]
                                                        if p.precision_shift else [])
    return "; ".join(parts)


def budget_counts(pairs: list[BudgetPair]) -> dict[str, int]:
    """How many comparisons are computed at both budgets, how many change outcome, and how many of
    those also changed precision between the budgets."""
    return {"budget_both": sum(p.matched.available for p in pairs),
            "budget_changed": sum(p.changed for p in pairs),
            "budget_changed_precision": sum(p.changed and bool(p.precision_shift) for p in pairs),
            "budget_precision": sum(p.matched.available and bool(p.precision_shift) for p in pairs)}


def _label(p: BudgetPair) -> str:
    """The comparison's label at the short budget, and the verdict's own where it picked another
    pair of a grid's extremes."""
    if not p.long.available or p.long.label == p.short.label:
        return p.short.label
    return f"{p.short.label} (at 1000 epochs: {p.long.label.split(': ', 1)[-1]})"


def budget_scatter(pairs: list[BudgetPair], ax=None):
    """Difference at the short budget against the same at the long one; red where the outcome flips."""
    import matplotlib.pyplot as plt

    both = [p for p in pairs if p.matched.available]
    if ax is None:
        _, ax = plt.subplots(figsize=(4.5, 4.2))
    if both:
        ax.scatter([p.short.delta for p in both], [p.matched.delta for p in both], s=14,
                   c=["#d62728" if p.changed else "#1f77b4" for p in both])
        lim = 1.1 * max(abs(v) for p in both for v in (p.short.delta, p.matched.delta))
        ax.plot([-lim, lim], [-lim, lim], color="black", linewidth=0.8)
        if lim > 4 * LINEAR_POINTS:  # one far comparison would squeeze the rest into a blob
            ax.set_xscale("symlog", linthresh=LINEAR_POINTS, linscale=2.0)
            ax.set_yscale("symlog", linthresh=LINEAR_POINTS, linscale=2.0)
    else:
        ax.text(0.5, 0.5, "no comparison at both budgets yet", ha="center", va="center", transform=ax.transAxes)
    scale = f"; linear within ±{LINEAR_POINTS:g}, log beyond" if ax.get_xscale() == "symlog" else ""
    ax.set_xlabel(f"difference at {SHORT_EPOCHS} epochs (points{scale})")
    ax.set_ylabel("difference at 1000 epochs, same seeds (points)")
    return ax


#: the one comparison also trained in fp32 (every other CPU run uses bf16 autocast where supported)
PRECISION_CASE = ("rded", 10)
PRECISIONS = {"auto": {}, "fp32": {"precision": "fp32"}}


def precision_results(ex: Experiment) -> dict[str, dict[str, object]]:
    """{precision: {"kl": result, "gift": result}} for :data:`PRECISION_CASE`; the ``"auto"`` arm is
    labelled with what it resolved to in the stored seeds, e.g. ``"auto (bf16)"``."""
    method, ipc = PRECISION_CASE
    out = {}
    for p, kw in PRECISIONS.items():
        arms = {L: ex.evaluate(method, ipc, loss=L, **kw) for L in ("kl", "gift")}
        resolved = sorted({q for r in arms.values() if r is not None for q in r.precisions})
        out[f"{p} ({' and '.join(resolved)})" if p == "auto" and resolved else p] = arms
    return out


def precision_comparisons(results: dict) -> tuple[list[Comparison], list[Comparison]]:
    """(GIFT vs KL at each precision, each loss bf16 vs fp32)."""
    within = [compare(f"GIFT vs KL, {p}", r["gift"], r["kl"]) for p, r in results.items()]
    (low, a), (_, b) = results.items()
    across = [compare(f"{L}: {low} vs fp32", a[L], b[L]) for L in ("kl", "gift")]
    return within, across


def precision_reading(within: list[Comparison], across: list[Comparison]) -> str:
    """What the fp32 twin says about bf16, from :func:`precision_comparisons`: whether GIFT against KL
    comes out the same at both precisions, and whether either loss moves between them."""
    if not all(c.available for c in (*within, *across)):
        return "the runs of one precision are not all computed yet, so this page cannot yet say whether bf16 matters."
    low, fp32 = (c.outcome for c in within)
    moved = [c.label.split(":")[0] for c in across if c.outcome != TIE]
    if low != fp32:
        return (f"the outcome differs between the precisions ({low} in bf16, {fp32} in fp32): bf16 can decide a "
                "close comparison, so the book's verdicts near the noise level should be read with that in mind.")
    if moved:
        return (f"the outcome is the same at both precisions ({low}), but {' and '.join(moved)} moves beyond noise "
                "between them: bf16 shifts accuracies without changing this verdict.")
    reach = max(abs(end) for c in across for end in c.interval)
    return (f"the outcome is the same at both precisions ({low}) and neither loss moves beyond noise between them: "
            f"bf16 does not decide this comparison. That is not proof that it changes nothing: the 95% intervals of "
            f"the two shifts reach {reach:.2f} points, so a shift of that size is not excluded.")


def precision_table(results: dict) -> str:
    within, _ = precision_comparisons(results)
    rows = [[p, fmt(r["kl"]), fmt(r["gift"]), c.result()] for (p, r), c in zip(results.items(), within)]
    return markdown_table(["precision", "KL", "GIFT", "GIFT − KL (rule)"], rows)


@dataclass(frozen=True)
class PrecisionCensus:
    """What ``precision="auto"`` resolved to in the stored runs of one budget: auto means bf16 on a
    machine with native bf16 matrix instructions and fp32 elsewhere (:mod:`gift.train.precision`),
    and the store key keeps "auto", so one arm's seeds can come from machines of both kinds. Each
    record states the arithmetic it used; this counts them so the book can say how mixed it is."""

    runs: dict[str, int]
    arms: int
    mixed_arms: int
    #: median wall-clock minutes of an IPC-10 ConvNet-3 seed at this budget, by the precision it
    #: trained in (explicit fp32 runs included): what the precision costs, measured
    minutes: dict[str, float] = dataclasses.field(default_factory=dict)

    def text(self) -> str:
        total = sum(self.runs.values())
        if not total:
            return "No run of this budget is stored yet."
        counts = ", ".join(f"{n} in {p}" for p, n in sorted(self.runs.items()))
        mixed = ("no arm (one configuration, all its seeds) mixes the two" if not self.mixed_arms else
                 f"{self.mixed_arms} of their {self.arms} arms (one configuration, all its seeds) "
                 f"{'mixes' if self.mixed_arms == 1 else 'mix'} the two")
        return f'Of the {total} stored runs at this budget asking for precision "auto", {counts}; {mixed}.'

    def speed_text(self) -> str:
        """``"a median 3.2 minutes in bf16 and 12.0 in fp32"``: the measured cost of each precision."""
        if not self.minutes:
            return "not measured yet (no IPC-10 seed of this budget is stored)"
        parts = [f"{m:.1f} minutes in {p}" for p, m in sorted(self.minutes.items())]
        return "a median " + " and ".join(parts)


def precision_census(store, epochs: int) -> PrecisionCensus:
    """Count the stored evaluation runs of ``epochs`` that asked for ``precision="auto"`` by the
    precision each resolved to, and the arms whose seeds mix precisions."""
    runs: dict[str, int] = {}
    arms: dict[str, set] = {}
    seconds: dict[str, list] = {}
    for record in store.records("eval"):
        config = record["spec"]["config"]
        if config.get("epochs") != epochs:
            continue
        resolved = record["result"].get("precision", "unrecorded")
        recipe = record["spec"].get("data", {}).get("recipe", {})
        if config.get("model") == "convnet3" and recipe.get("ipc") == 10 and "wall_time_s" in record["result"]:
            seconds.setdefault(resolved, []).append(record["result"]["wall_time_s"])
        if config.get("precision") != "auto":
            continue
        runs[resolved] = runs.get(resolved, 0) + 1
        arm = json.dumps({k: v for k, v in record["spec"].items() if k != "seed"}, sort_keys=True)
        arms.setdefault(arm, set()).add(resolved)
    minutes = {p: statistics.median(t) / 60 for p, t in seconds.items()}
    return PrecisionCensus(runs, len(arms), sum(len(p) > 1 for p in arms.values()), minutes)


def _our_runs(ipcs) -> dict:
    """Which stored run stands for each anchor row: the method's own loss at the book's budget."""
    ours = {("DATM", 10): ("datm", 10, {"loss": "soft_ce"})}
    for ipc in ipcs:
        ours |= {("RDED", ipc): ("rded", ipc, {"loss": "kl"}), ("SRe2L", ipc): ("sre2l", ipc, {"loss": "kl"}),
                 ("random, hard labels", ipc): ("random", ipc, {"loss": "ce", "label_source": "hard"}),
                 ("random, soft labels", ipc): ("random", ipc, {"loss": "soft_ce"})}
    return ours


def anchor_table(ex: Experiment) -> str:
    """The published CIFAR-10 ConvNet numbers next to ours ("—" where we have no such run)."""
    ours, rows = _our_runs(ex.profile.ipcs), []
    for a in ANCHORS:
        run = ours.get((a.method, a.ipc))
        got = ex.evaluate(run[0], run[1], **run[2]) if run and run[0] in ex.profile.methods else None
        rows.append([a.method, a.ipc, a.value, fmt(got) if run else "—", _loss_label(run) if run else "—",
                     a.source, a.protocol])
    return markdown_table(["method", "IPC", "published (CIFAR-10, ConvNet)", "ours", "our loss", "source",
                           "their protocol"], rows)


def _loss_label(run: tuple) -> str:
    """``"KL"``, ``"soft CE"``, ``"hard-label CE"``: the labels behind one of our anchor runs."""
    overrides = run[2]
    return ("hard-label " if overrides.get("label_source") == "hard" else "") + LOSS_LABEL[overrides["loss"]]


__all__ = ["BUDGET_CLAIMS", "BudgetPair", "PRECISION_CASE", "PrecisionCensus", "precision_census", "anchor_table", "budget_gain", "budget_pairs", "budget_scatter",
           "budget_counts", "budget_table", "same_seeds_experiment", "precision_comparisons", "precision_reading", "precision_results", "precision_table",
           "short_budget_experiment"]
