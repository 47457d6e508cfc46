"""The paper's claims, each built from matched comparisons of stored runs.

A comparison varies only what its claim is about: the same set, teacher, student, optimizer and
budget on both sides, the baseline named in its label. Every comparison is judged by the one rule
of :mod:`gift.stats`; a claim's verdict follows the scale of :mod:`gift.companion.claims`. The
claims page (``notebooks/10_claims.py``) and the chapters call these builders, so a claim is
decided in one place only.

Each builder takes an :class:`~gift.companion.Experiment` (which looks runs up in the store and,
with ``run_missing``, trains what is missing) and returns a :class:`Claim`; nothing here tunes a
threshold to a result.
"""
from __future__ import annotations

import dataclasses
import functools
import math
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Callable

from ..stats import LOSS, TIE, WIN, Comparison, compare, precisions  # noqa: F401 (TIE: see Check.outcome)
from .claims import Claim, evidence_text
from .profiles import OWN_LOSS
from .theorem import BATCHINGS, STUDENTS

IPC = 10  # the IPC every ablation-type claim is tested at (the paper's Tables 3, 5, 7, 12)
DISTILLED = ("rded", "sre2l", "datm")  # distilled sets; "random" is the control
ABLATION_SETS = ("rded", "sre2l")  # our own sets, relabelled online by our teacher
GAMMA_PAPER = 0.1
COLLAPSE_SHARE = 0.5  # a fall of at least half the way from AdamW's accuracy to chance is a collapse
TO_CHANCE_SHARE = 0.9  # ... and of at least 90% of it, a collapse to chance (the paper's SGD rows)


def t2_label(method: str, optimizer: str) -> str:
    """The label of KL×T² against KL under one optimizer, shared by chapter 6 and the claims page."""
    return f"{method}, {optimizer}: KL×T² vs KL (only the gradient scale differs)"


def collapse_share(mean: float, adamw_mean: float, chance: float) -> float:
    """How far an optimizer's accuracy fell from AdamW's towards chance: 0 = no fall, 1 = chance."""
    return (adamw_mean - mean) / (adamw_mean - chance)


def is_collapse(fall: Comparison, share: float) -> bool:
    """A collapse: KL under an optimizer loses to KL under AdamW by the rule (``fall``) and falls at
    least :data:`COLLAPSE_SHARE` of the way to chance (``share``, :func:`collapse_share`)."""
    return fall.outcome == LOSS and share >= COLLAPSE_SHARE


@dataclass(frozen=True)
class Check:
    """A yes/no observation that is not a seed comparison (a bound on a share of batches, a
    timing): ``share`` of cases where the statement holds. Outcome: win when it holds in every case,
    loss when it fails in most, tie otherwise. ``delta`` is the share, so the median effect of a
    claim made of checks is a share too."""

    label: str
    share: float = math.nan

    @property
    def available(self) -> bool:
        return not math.isnan(self.share)

    @property
    def delta(self) -> float:
        return self.share

    @property
    def interval(self) -> tuple[float, float]:
        return self.share, self.share

    @property
    def outcome(self) -> str:
        if not self.available:
            return "missing"
        if self.share >= 1.0:
            return WIN
        return LOSS if self.share < 0.5 else TIE

    def text(self) -> str:
        if not self.available:
            return f"{self.label}: not computed"
        return f"{self.label}: holds in {100 * self.share:.0f}% of cases ({self.outcome})"


def _only_where_kl_collapses(skipped: list[str]) -> str:
    """The note of a claim about the KL collapse that leaves out optimizers where KL does not collapse."""
    return ("tested only where KL collapses; not under " + ", ".join(skipped)
            + ", where KL does not collapse and there is nothing to avoid") if skipped else ""


def _collapse_scope(tested: list[str], skipped: list[str]) -> str:
    """The verdict qualifier of such a claim: ``"tested under sgd only"`` when optimizers were left out."""
    return f"tested under {' and '.join(tested) or 'no optimizer'} only" if skipped else ""


class Checklist:
    """Builds the claims from one experiment; ``runs`` keeps every result used (for provenance)."""

    def __init__(self, ex, *, sets: tuple = ABLATION_SETS, heavy: bool = True, ipc: int = IPC,
                 main_sets: tuple = DISTILLED):
        self.ex, self.ipc = ex, ipc
        self.sets = tuple(m for m in sets if m in ex.profile.methods)  # the ablation-type claims
        self.main_sets = main_sets  # the loss grid and the main table
        self.heavy = heavy  # False (smoke): leave out the long comparisons
        self.runs: list = []
        self.pairs: dict = {}  # comparison label -> (result, baseline): the runs behind it, for the explorer

    def compare(self, label: str, result, baseline, selected_from: int = 0):
        """:func:`gift.stats.compare`, remembering the two results (per-seed curves for the widget)."""
        self.pairs[label] = (result, baseline)
        return compare(label, result, baseline, selected_from=selected_from)

    def ev(self, method: str, ipc: int | None = None, **overrides):
        result = self.ex.evaluate(method, ipc or self.ipc, **overrides)
        self.runs.append(result)
        return result

    def methods(self) -> list[str]:
        """The profile's methods among ``main_sets`` whose set can be shown here."""
        return [m for m in self.main_sets if m in self.ex.profile.methods and self.ex.set_available(m) is None]

    # ------------------------------------------------------------------------------ the claims

    def loss_choice(self) -> Claim:
        """Section 3.2: the loss changes accuracy a lot — on each set, the best of the non-GIFT
        losses against the worst, judged as a pick of the extremes of the grid
        (:func:`gift.stats.extremes_test`): the two were chosen for being furthest apart."""
        comps = []
        grid = [L for L in self.ex.profile.loss_grid if L not in ("gift", "cosine")]
        for m in self.methods():
            res = {L: self.ev(m, loss=L) for L in grid}
            done = {L: r for L, r in res.items() if r is not None}
            if len(done) < len(grid):  # best and worst are only known once every loss is in
                comps.append(self.compare(f"{m}: best vs worst loss", None, None))
                continue
            ranked = sorted(done, key=lambda L: done[L].summary()["best_mean"])
            comps.append(self.compare(f"{m}: {ranked[-1]} (best) vs {ranked[0]} (worst) of {len(grid)} losses",
                                      done[ranked[-1]], done[ranked[0]], selected_from=len(grid)))
        return Claim("The label loss used on a distilled set changes accuracy a lot", "01_loss_sensitivity", comps)

    def gift_best_loss(self) -> Claim:
        """Table 6 / Figure 1: GIFT beats every other label loss on the same set."""
        comps = []
        for m in self.methods():
            gift = self.ev(m, loss="gift")
            comps += [self.compare(f"{m}: gift vs {L}", gift, self.ev(m, loss=L))
                      for L in self.ex.profile.loss_grid if L != "gift"]
        return Claim("GIFT is the best label loss", "01_loss_sensitivity", comps)

    def improves_every_method(self) -> Claim:
        """Tables 1-2: GIFT against each distillation method's own loss, distilled sets only."""
        comps = []
        for m in self.methods():
            ipcs = (IPC,) if m == "datm" else (self.ex.profile.ipcs if self.heavy else (self.ipc,))
            for ipc in ipcs:
                comps.append(self.compare(f"{m} IPC {ipc}: gift vs {OWN_LOSS[m]}", self.ev(m, ipc, loss="gift"),
                                     self.ev(m, ipc, loss=OWN_LOSS[m])))
        return Claim("GIFT improves every distillation method at every IPC", "04_main_tables", comps,
                     note="distilled sets only, each against its method's own loss; random subsets are the control below")

    def random_control(self) -> Claim:
        """The control beside the main table: random real images relabelled by the same teacher,
        GIFT against KL (T = 20) — the same baseline as the RDED and SRe2L sets."""
        comps = []
        if "random" in self.ex.profile.methods:
            for ipc in (self.ex.profile.ipcs if self.heavy else (self.ipc,)):
                comps.append(self.compare(f"random IPC {ipc}: gift vs kl", self.ev("random", ipc, loss="gift"),
                                     self.ev("random", ipc, loss="kl")))
        return Claim("Control: GIFT's gain on random real images (same teacher, against KL)", "09_beyond_the_paper",
                     comps, paper=False,
                     note="not a claim of the paper: tells whether a gain is specific to distilled data")

    def both_modules(self) -> Claim:
        """Tables 7, 13: refinement alone and the cosine loss alone each help, and together more."""
        comps = []
        for m in self.sets:
            kl, ref, cos, gift = (self.ev(m, loss=L) for L in ("kl", "kl_refined", "cosine", "gift"))
            comps += [self.compare(f"{m}: refinement alone vs neither (kl)", ref, kl),
                      self.compare(f"{m}: cosine loss alone vs neither (kl)", cos, kl),
                      self.compare(f"{m}: both vs refinement alone", gift, ref),
                      self.compare(f"{m}: both vs cosine loss alone", gift, cos)]
        return Claim("Both modules (label refinement, cosine loss) help", "08_ablations", comps,
                     note="'refinement alone' is our reading: KL against the refined label")

    def in_precision_of(self, result, baseline, method: str, **overrides):
        """:meth:`Experiment.in_precision_of` at this checklist's IPC, recorded among its runs."""
        twin = self.ex.in_precision_of(result, baseline, method, self.ipc, **overrides)
        if twin is not result:
            self.runs.append(twin)
        return twin

    def gamma(self) -> Claim:
        """Figures 3, 8: gamma = 0.1 beats every other weight of the sweep. The gamma = 0.1 arm is
        the default GIFT run, or its fp32 twin against a weight whose runs trained in fp32."""
        comps, sides = [], {}
        for m in self.sets:
            best = self.ev(m, loss="gift")
            for g in (g for g in self.ex.profile.gammas if g != GAMMA_PAPER):
                other = self.ev(m, loss="gift", loss_kwargs={"gamma": g})
                arm = self.in_precision_of(best, other, m, loss="gift")
                c = self.compare(f"{m}: gamma {GAMMA_PAPER} vs {g}", arm, other)
                if arm is not best:  # said in the row, so that its other mean of gamma 0.1 is explained
                    c = dataclasses.replace(c, caveat=f"both in {precisions(arm)[0]}: gamma {GAMMA_PAPER} rerun to match")
                comps.append(c)
                sides.setdefault("smaller" if g < GAMMA_PAPER else "larger", []).append(c)
        note = "; ".join(f"against {side} weights: {evidence_text(cs)}" for side, cs in sides.items())
        return Claim(f"gamma = {GAMMA_PAPER} is the best refinement weight", "08_ablations", comps, note=note)

    def beats_kd(self) -> Claim:
        """Table 3: GIFT beats the knowledge-distillation losses."""
        comps = []
        for m in self.sets:
            gift = self.ev(m, loss="gift")
            comps += [self.compare(f"{m}: gift vs {L}", gift, self.ev(m, loss=L)) for L in self.ex.profile.kd_losses]
        return Claim("GIFT beats KD, WSLD, DKD and NKD", "05_kd_comparison", comps)

    @functools.cached_property
    def _kl_falls(self) -> dict:
        """Per optimizer (SGD, Adam): the authors' KL there against KL under AdamW, and how far it
        falls towards chance (:func:`collapse_share`; nan when either arm is not computed). Looked
        up once: two claims read it."""
        adamw = self.ev("rded", loss="kl")
        out = {}
        for opt in ("sgd", "adam"):
            c = self.compare(f"rded, kl: {opt} vs adamw", self.ev("rded", loss="kl", optimizer=opt), adamw)
            share = collapse_share(c.mean, c.base_mean, 100 / self.ex.num_classes) if c.available else float("nan")
            out[opt] = (c, share)
        return out

    def kl_collapses(self) -> Claim:
        """Section 5.4 / Tables 5, 12: the authors' KL "performs poorly" under SGD and Adam. A
        collapse is a loss by the rule against KL under AdamW that falls at least
        :data:`COLLAPSE_SHARE` of the way to chance (a numeric check per optimizer)."""
        checks = [Check(f"rded, {opt}: KL {c.mean:.2f}% against {c.base_mean:.2f}% under AdamW ({c.outcome} by the "
                        f"rule), {round(100 * share)}% of the way to chance", float(is_collapse(c, share)))
                  if c.available else Check(f"rded, {opt}: KL against KL under AdamW")
                  for opt, (c, share) in self._kl_falls.items()]
        return Claim("The authors' KL collapses under SGD and Adam", "06_generalization", checks,
                     note=f"a check per optimizer: a collapse is a loss by the rule that falls at least "
                          f"{100 * COLLAPSE_SHARE:.0f}% of the way from KL's AdamW accuracy to chance; on our RDED "
                          "set only (the paper's sentence names SRe2L and RDED)")

    def _collapsed(self) -> tuple[list[str], list[str]]:
        """The optimizers whose KL collapse can be tested against (KL collapses there, or its runs are
        not computed yet), and the others as "adam (KL falls 5%)": a claim about the collapse is
        tested only where there is one."""
        tested, skipped = [], []
        for opt, (fall, share) in self._kl_falls.items():
            if fall.available and not is_collapse(fall, share):
                skipped.append(f"{opt} (KL falls {round(100 * share)}%)")
            else:
                tested.append(opt)
        return tested, skipped

    def avoids_collapse(self) -> Claim:
        """Tables 5, 12: under SGD and Adam, GIFT beats the authors' KL (T = 20, no T²). Only an
        optimizer under which KL collapses (:meth:`kl_collapses`) tests the claim: where KL does not
        collapse there is nothing to avoid, and GIFT beating it there is a different statement."""
        tested, skipped = self._collapsed()
        comps = [self.compare(f"rded, {opt}: gift vs kl", self.ev("rded", loss="gift", optimizer=opt),
                              self.ev("rded", loss="kl", optimizer=opt)) for opt in tested]
        return Claim("Under SGD and Adam, GIFT avoids the collapse of the KL loss", "06_generalization", comps,
                     note=_only_where_kl_collapses(skipped),
                     scope=_collapse_scope(tested, skipped))

    def scale_explains_collapse(self) -> Claim:
        """The control of the claim above: the same KL multiplied by T², which has the gradient scale
        of a T = 1 loss, against the authors' KL under the same optimizer, where KL collapses. The two
        arms differ in the T² factor only, so a win (KL×T² better) says the collapse comes from the
        1/T² gradient scale, not from the KL loss; a tie says the scale is not what fails."""
        tested, skipped = self._collapsed()
        comps = [self.compare(t2_label("rded", opt),
                              self.ev("rded", loss="kl", loss_kwargs={"t2_scale": True}, optimizer=opt),
                              self.ev("rded", loss="kl", optimizer=opt))
                 for opt in tested]
        return Claim("Control: restoring the gradient scale (KL×T²) avoids the KL collapse", "06_generalization",
                     comps, paper=False,
                     note="not a claim the paper tests: its control (KL×T²) is ours; supported means the collapse "
                          "belongs to the 1/T² gradient scale of the authors' KL, not to the loss"
                          + (f"; {_only_where_kl_collapses(skipped)}" if skipped else ""),
                     scope=_collapse_scope(tested, skipped))

    def sgd_adam_beat_adamw(self) -> Claim:
        """A pattern of the paper's ConvNet tables (5, 12), not a sentence of its text: with GIFT,
        SGD and Adam beat AdamW. Its ResNet-18 rows of Table 12 go the other way for Adam."""
        gift_adamw = self.ev("rded", loss="gift")
        comps = [self.compare(f"rded, gift: {opt} vs adamw", self.ev("rded", loss="gift", optimizer=opt), gift_adamw)
                 for opt in ("sgd", "adam")]
        return Claim("Reading of the paper's ConvNet tables: with GIFT, SGD and Adam beat AdamW", "06_generalization",
                     comps, paper=False,
                     note="a pattern of Tables 5 and 12 (ConvNet), not stated in the paper's text; its ResNet-18 rows "
                          "of Table 12 go the other way for Adam. The paper gives no SGD or Adam settings: ours are the "
                          "usual distilled-data defaults (SGD lr 0.01, momentum 0.9), and GIFT's small cosine-loss "
                          "gradient under SGD may make the SGD side a matter of that learning rate")

    def cross_architecture(self) -> Claim:
        """Table 4: GIFT against the set's own loss when a larger student learns from ConvNet data."""
        comps = []
        if self.heavy:
            ipc = self.ex.profile.student_ipc
            for name, student in self.ex.profile.students.items():
                if not student:
                    continue
                for m in (m for m in self.sets if m in self.ex.profile.student_sets):
                    comps.append(self.compare(f"{m} → {name}: gift vs {OWN_LOSS[m]}", self.ev(m, ipc, loss="gift", **student),
                                         self.ev(m, ipc, loss=OWN_LOSS[m], **student)))
        short = any(self.ex.profile.short_budget.get(s.get("model")) for s in self.ex.profile.students.values() if s)
        return Claim("GIFT improves cross-architecture results", "06_generalization", comps, short_budget=short,
                     note="ConvNet-3 data, larger students" + (
                         "; their runs are shorter than the paper's (see the Protocol page)" if short else ""))

    def continual(self) -> Claim:
        """Section 5.5: every trained step of the GDumb-style class-incremental schedule on RDED IPC 10."""
        comps = []
        if self.heavy:  # the same recorded steps as chapter 7 (its 10-step schedule holds every step)
            from ..continual import class_incremental_split, compare_steps, continual_summaries, distinct_step_runs

            label = f"continual, {{}} classes seen: gift vs {OWN_LOSS['rded']}"
            summary = continual_summaries(self.ex, "rded", self.ipc, [OWN_LOSS["rded"], "gift"], (5, 10), seed=0)
            if summary is None:  # not recorded, and no images here to look its steps up: the same steps, not computed
                split = class_incremental_split(self.ex.num_classes, 10, seed=0)
                comps = [Comparison(label.format(len(split.seen(k)))) for k in range(1, split.num_steps + 1)
                         if len(split.seen(k)) > 1]
            if summary:  # its runs count in the page's provenance like every other verdict's
                self.runs.append(SimpleNamespace(runs=distinct_step_runs(summary)))
            for own, gift in zip(*(summary[f"{L}|10"] for L in (OWN_LOSS["rded"], "gift"))) if summary else ():
                if not own["trivial"]:
                    comps.append(compare_steps(label.format(len(own["seen"])), gift, own))
        return Claim("GIFT improves class-incremental (GDumb) continual learning", "07_continual_learning", comps,
                     note="CIFAR-10 (10 classes) and a ConvNet-3 student instead of the paper's Tiny-ImageNet "
                          "(200 classes) and ResNet-18; its steps train on nested subsets of one set, so they are "
                          "not independent findings (no chance is simulated for them)",
                     distinct_runs=False)

    def theorem_bound(self, tau: float = 0.1) -> Claim:
        """Theorem 1, eq. (9): the bound holds on every batch of every (data, student, batching)
        combination chapter 3 measured (read from its stored record)."""
        record = next((r for r in self.ex.store.records("theory")
                       if r["spec"].get("chapter") == "03_theorem" and r["spec"].get("profile") == self.ex.profile.name),
                      None) if (self.ex.store.root / "theory").is_dir() else None
        comps = []
        if record is not None:
            for data, students in record["result"]["bounds"].items():
                for student, batchings in students.items():
                    for batching, entry in batchings.items():
                        p = entry["per_tau"][repr(float(tau))]
                        comps.append(Check(f"{data} images, {STUDENTS.get(student, student)}, {BATCHINGS.get(batching, batching)} "
                                           "batches: InfoNCE ≤ right-hand side of eq. (9)",
                                           max(p["holds9_all"], p["holds9_others"])))
        return Claim("Theorem 1's bound (9) holds on real outputs", "03_theorem", comps,
                     note="a numeric check, not a seed comparison: win = holds on every batch, loss = fails on most")

    def all(self) -> list[Claim]:
        """Every claim, in the order of the paper."""
        builders: list[Callable[[], Claim]] = [
            self.loss_choice, self.gift_best_loss, self.theorem_bound, self.improves_every_method,
            self.random_control, self.both_modules, self.gamma, self.beats_kd, self.kl_collapses,
            self.avoids_collapse, self.scale_explains_collapse, self.sgd_adam_beat_adamw, self.cross_architecture, self.continual,
        ]
        return [build() for build in builders]


def cost_check(step_ratio: float, limit: float = 1.02) -> Check:
    """"Near-zero cost": GIFT's training step within ``limit`` of the KL step it replaces."""
    return Check(f"GIFT step / KL step = {step_ratio:.4f} (limit {limit})", 1.0 if step_ratio <= limit else 0.0)


__all__ = ["ABLATION_SETS", "COLLAPSE_SHARE", "Check", "Checklist", "DISTILLED", "IPC", "TO_CHANCE_SHARE", "collapse_share",
           "cost_check", "is_collapse"]
