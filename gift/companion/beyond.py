"""Chapter 9, beyond the paper: GIFT on random real subsets against distilled sets, what distilled
images add over random ones (DD-Ranking's IOR, HLR and LRS), and what soft labels are worth over
hard labels — every comparison on matched baselines, judged by :mod:`gift.stats`.

    b = Beyond(ex)              # looks every run up in the store (trains it with run_missing)
    display(Markdown(b.gain_table())); b.plot_gains()
"""
from __future__ import annotations

import math

import numpy as np

from ..stats import Comparison, compare
from .anchors import ANCHORS
from .experiment import NotComputed
from .main_table import dataset_name
from .profiles import OWN_LOSS
from .prose import listing
from .report import as_row, fmt, markdown_table

# the sets compared (None: all of the profile's; the smoke profile skips its 60-iteration SRe2L sets
# to stay within the test budget)
SETS = {"smoke": ("random", "rded")}
# DD-Ranking's weight between the improvement over random and the hard-label recovery in its
# label-robustness score (its default)
LAM = 0.5
# GIFT's matched baseline: KL with the same teacher (the own loss of RDED and SRe2L); DATM and its
# instance-norm random subset against their stored-label / soft-CE loss
BASE = {"random": "kl", "random-in": "kl", "rded": "own", "sre2l": "own", "datm": "own"}
COLORS = {"random": "tab:gray", "rded": "tab:blue", "sre2l": "tab:green", "datm": "tab:purple", "random-in": "tab:brown"}
NOT_YET = "Not computed yet, so nothing is said about it."


def reading(control, distilled: list[Comparison]) -> str:
    """What the random-image control says about GIFT's gain on the distilled sets (each against
    the same matched baseline): a gain on both is not specific to distilled data; a gain on
    distilled sets only is; no gain on random images and none on distilled sets is no gain. The
    random-image side is said comparison by comparison, so the sentence claims no more than the
    outcomes (a tie is not a loss, a missing IPC is named)."""
    made = [c for c in control.comparisons if c.available]
    if not made:
        return NOT_YET
    wins = sum(c.outcome == "win" for c in distilled if c.available)
    on_distilled = (f"GIFT wins on {wins} of the {sum(c.available for c in distilled)} distilled sets computed"
                    if wins else "GIFT wins on none of the distilled sets computed")
    outcomes = listing([f"a {c.outcome} at {c.label.split(':')[0]}" for c in made])
    missing = [c.label.split(":")[0] for c in control.comparisons if not c.available]
    on_random = f"On random real images GIFT against KL gives {outcomes}" + (
        f" ({listing(missing)} not computed yet)" if missing else "")
    if any(c.outcome == "win" for c in made):
        return (f"{on_random}, and {on_distilled}: its gain is not specific to distilled data." if wins
                else f"{on_random}, but {on_distilled}.")
    if wins:
        return f"{on_random}, while {on_distilled}: that gain is a property of those sets, not of the loss alone."
    return f"{on_random}, and {on_distilled}: against a matched KL baseline GIFT shows no gain here."


def cell(c: Comparison) -> str:
    return "—" if not c.available else f"{c.delta:+.2f} ({c.outcome})"


def half_width(c: Comparison) -> float:
    return (c.interval[1] - c.interval[0]) / 2 if c.available else 0.0


def lrs(ior: float, hlr: float, lam: float = LAM) -> float:
    """DD-Ranking's label-robustness score from IOR and HLR in points (fractions inside)."""
    a = lam * ior / 100 - (1 - lam) * hlr / 100
    return (math.exp(a) - math.exp(-1)) / (math.e - math.exp(-1))


def _paired_bars(ax, keys, pairs, ylabel: str):
    """Two bars per set (hatched: the own loss; solid: GIFT), each a Comparison with its 95% interval."""
    for k, (hatch, label) in enumerate((("//", pairs[0][0]), ("", pairs[1][0]))):
        vals = [pairs[k][1](key) for key in keys]
        pos = np.arange(len(keys)) + (k - 0.5) * 0.38
        ax.bar(pos, [v.delta for v in vals], 0.38, yerr=[half_width(v) for v in vals], capsize=2, hatch=hatch,
               color=[COLORS.get(key[0], "black") for key in keys], edgecolor="white", label=label)
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_xticks(range(len(keys)), [f"{key[0]}\nIPC {key[1]}" for key in keys], fontsize=8)
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=8)


class Beyond:
    """Every run of the chapter, ``R[(set, ipc, label setting)]``, and the comparisons built on it."""

    def __init__(self, ex, lam: float = LAM):
        self.ex, self.lam = ex, lam
        self.dataset = dataset_name(ex.profile)
        self.ipcs = ex.profile.ipcs
        wanted = SETS.get(ex.profile.name) or ex.profile.methods
        self.methods = tuple(m for m in wanted if m in ex.profile.methods)
        if "random" not in self.methods:
            raise ValueError("this chapter compares every set with random subsets: 'random' must be among the methods")
        self.teacher_methods = tuple(m for m in self.methods if m != "datm")  # relabelled by our teacher
        self.has_datm = "datm" in self.methods and 10 in self.ipcs
        R = self.R = {}
        for m in self.teacher_methods:
            for ipc in self.ipcs:
                R[m, ipc, "own"] = ex.evaluate(m, ipc, loss=OWN_LOSS[m])
                R[m, ipc, "gift"] = ex.evaluate(m, ipc, loss="gift")
                R[m, ipc, "hard"] = ex.evaluate(m, ipc, loss="ce", label_source="hard")
        for ipc in self.ipcs:  # random images under the distilled sets' own loss
            R["random", ipc, "kl"] = ex.evaluate("random", ipc, loss="kl")
        if self.has_datm:
            R["datm", 10, "own"] = ex.evaluate("datm", 10, loss=OWN_LOSS["datm"])
            R["datm", 10, "gift"] = ex.evaluate("datm", 10, loss="gift")
            R["datm", 10, "kl"] = ex.evaluate("datm", 10, loss="kl")  # shown; DATM's baseline is its own loss
            # CE reads only the class labels, so the CE run on DATM's stored labels (chapter 1's) is
            # its hard-label run: seeds 0 and 1 trained with label_source="hard" as well agree with
            # it to the last digit, and a second key for one computation would print it twice
            R["datm", 10, "hard"] = ex.evaluate("datm", 10, loss="ce")
            instance = {"model_kwargs": {"norm": "instance"}, "teacher_norm": "instance"}
            R["random-in", 10, "own"] = ex.evaluate("random", 10, loss=OWN_LOSS["random"], **instance)
            R["random-in", 10, "kl"] = ex.evaluate("random", 10, loss="kl", **instance)
            R["random-in", 10, "gift"] = ex.evaluate("random", 10, loss="gift", **instance)
        self.missing = [k for k, r in R.items() if r is None]
        self.rows = [(m, ipc) for m in self.teacher_methods for ipc in self.ipcs] + (
            [("datm", 10), ("random-in", 10)] if self.has_datm else [])
        self.gain_rows = list(self.teacher_methods) + (["datm", "random-in"] if self.has_datm else [])
        self.gains = {(m, ipc): self.diff((m, ipc, "gift"), (m, ipc, BASE[m])) for m in self.gain_rows for ipc in self.ipcs}
        self.full = {"batch": self._teacher_acc("batch"),
                     "instance": self._teacher_acc("instance") if ex.teacher_path("instance").exists() else math.nan}
        self._metrics()

    # ------------------------------------------------------------------------------ lookups

    def acc(self, m: str, ipc: int, s: str, which: str = "best") -> tuple[float, float]:
        r = as_row(self.R.get((m, ipc, s)))
        return r[which], r[which + "_std"]

    def diff(self, a: tuple, b: tuple) -> Comparison:
        """R[a] against R[b] by the book's one rule: difference, 95% interval, outcome."""
        return compare(f"{a} vs {b}", self.R.get(a), self.R.get(b))

    def _teacher_acc(self, norm: str) -> float:
        try:
            return self.ex.teacher_accuracy(norm)
        except NotComputed:
            return math.nan

    # ------------------------------------------------------------------------------ 0. all runs

    def all_runs_table(self) -> str:
        qin = {a.ipc: a.value for a in ANCHORS if a.method == "random, soft labels"}  # CIFAR-10, cited on the Protocol page
        body = []
        for m, ipc in self.rows:
            own_name = OWN_LOSS["random" if m == "random-in" else m]
            body.append([m, ipc, fmt(self.R.get((m, ipc, "hard"))) if (m, ipc, "hard") in self.R else "—",
                         f"{fmt(self.R[m, ipc, 'own'])} ({own_name})", fmt(self.R[m, ipc, "gift"]),
                         fmt(self.R[m, ipc, "kl"]) if (m, ipc, "kl") in self.R else ("same as own" if own_name == "kl" else "—"),
                         qin.get(ipc, "—") if m in ("random", "random-in") and self.ex.profile.dataset == "cifar10" else "—"])
        return markdown_table(["set", "IPC", "hard labels (ce)", "own loss", "GIFT", "KL",
                               "Qin et al. (random + expert labels)"], body)

    def plot_all_runs(self):
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(7.5, 4.2))
        for m in self.teacher_methods:
            for s, ls in {"hard": ":", "own": "--", "gift": "-"}.items():
                ax.plot(self.ipcs, [self.acc(m, ipc, s)[0] for ipc in self.ipcs], ls, marker="o",
                        color=COLORS.get(m, "black"), label=f"{m}, {s}")
        if self.has_datm:
            for m, marker in (("datm", "D"), ("random-in", "s")):
                for s, fill in (("hard", "none"), ("own", "none"), ("gift", None)):
                    if (m, 10, s) in self.R:
                        ax.plot([10], [self.acc(m, 10, s)[0]], marker, color=COLORS[m], mfc=fill or COLORS[m],
                                label=f"{m}, {s}")
        ax.set_xscale("log")
        ax.set_xticks(self.ipcs, [str(i) for i in self.ipcs])
        ax.set_xlabel("images per class (IPC)")
        ax.set_ylabel("test accuracy (%)")
        ax.set_title(f"{self.dataset}, ConvNet-3")
        ax.legend(fontsize=7, ncol=2, loc="center left", bbox_to_anchor=(1.0, 0.5))
        fig.tight_layout()
        return fig

    # ------------------------------------------------------------------------------ 1. GIFT's gain

    def gain_table(self) -> str:
        body = [[f"{m} (vs {'soft CE' if m == 'datm' else 'KL'})"]
                + [cell(self.gains[m, ipc]) if ipc in (self._ipcs_for(m)) else "—" for ipc in self.ipcs]
                for m in self.gain_rows]
        body.append(["random (vs soft CE, extra row)"]
                    + [cell(self.diff(("random", ipc, "gift"), ("random", ipc, "own"))) for ipc in self.ipcs])
        return markdown_table(["set"] + [f"IPC {i}" for i in self.ipcs], body)

    def _ipcs_for(self, m: str) -> tuple[int, ...]:
        if m == "random-in":
            return (10,)
        return tuple(i for i in self.ipcs if m != "datm" or i == 10)

    def plot_gains(self):
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(7.5, 3.6))
        width = 0.8 / len(self.gain_rows)
        for k, m in enumerate(self.gain_rows):
            pts = [self.gains[m, ipc] for ipc in self.ipcs]
            pos = np.arange(len(self.ipcs)) + (k - (len(self.gain_rows) - 1) / 2) * width
            ax.bar(pos, [p.delta for p in pts], width, yerr=[half_width(p) for p in pts], capsize=2,
                   color=COLORS.get(m, "black"), label=m)
        ax.axhline(0, color="black", linewidth=0.8)
        ax.set_xticks(range(len(self.ipcs)), [f"IPC {i}" for i in self.ipcs])
        ax.set_ylabel("GIFT − KL (points)")
        ax.legend(fontsize=8)
        fig.tight_layout()
        return fig

    # ------------------------------------------------------------------------------ 2. IOR, HLR, LRS

    def _metrics(self) -> None:
        # (set, ipc, random baseline, [(loss label, setting on set, setting on random)], full-data norm)
        self.ior_rows = []
        for m in self.teacher_methods:
            for ipc in self.ipcs:
                self.ior_rows.append((m, ipc, "random", [("KL", "own" if OWN_LOSS[m] == "kl" else "kl", "kl"),
                                                         ("GIFT", "gift", "gift")], "batch"))
        if self.has_datm:
            self.ior_rows.append(("datm", 10, "random-in", [("soft CE", "own", "own"), ("GIFT", "gift", "gift")],
                                  "instance"))
        self.metrics = {}
        for m, ipc, base, pairs, norm in self.ior_rows:
            hlr = self.full[norm] - self.acc(m, ipc, "hard")[0]
            for name, s_set, s_rand in pairs:
                ior = self.diff((m, ipc, s_set), (m, ipc, s_set) if m == "random" else (base, ipc, s_rand))
                self.metrics[m, ipc, name] = {"ior": ior, "hlr": hlr, "lrs": lrs(ior.delta, hlr, self.lam)}

    def ior_table(self) -> str:
        body = []
        for m, ipc, _, pairs, _ in self.ior_rows:
            first, second = (self.metrics[m, ipc, name] for name, _, _ in pairs)
            # random images are the baseline of IOR: their row is 0 by definition, not a test
            ior_cells = ["0 (the baseline itself)"] * 2 if m == "random" else [cell(first["ior"]), cell(second["ior"])]
            body.append([m, ipc, *ior_cells,
                         "—" if math.isnan(first["hlr"]) else f"{first['hlr']:.2f}",
                         *("—" if math.isnan(v) else f"{v:.3f}" for v in (first["lrs"], second["lrs"]))])
        return markdown_table(["set", "IPC", "IOR (KL or soft CE)", "IOR (GIFT)", "HLR", "LRS (KL or soft CE)",
                               "LRS (GIFT)"], body)

    def full_note(self) -> str:
        """Which full-data accuracies HLR uses."""
        text = "not computed" if math.isnan(self.full["batch"]) else f"{self.full['batch']:.2f}"
        if not math.isnan(self.full["instance"]):
            return f"{text} (batch-norm teacher), {self.full['instance']:.2f} (instance-norm teacher, for DATM)"
        return text + (" (batch-norm teacher; the instance-norm teacher is not trained yet, so DATM's HLR and "
                       "LRS are missing)" if self.has_datm else " (batch-norm teacher)")

    def plot_ior(self):
        import matplotlib.pyplot as plt

        sets = [(m, ipc, pairs) for m, ipc, _, pairs, _ in self.ior_rows if m != "random"]
        names = {(m, ipc): [p[0] for p in pairs] for m, ipc, pairs in sets}
        fig, ax = plt.subplots(figsize=(max(6, 1.0 * len(sets)), 3.6))
        _paired_bars(ax, list(names), [
            ("own loss (KL / soft CE)", lambda key: self.metrics[(*key, names[key][0])]["ior"]),
            ("GIFT", lambda key: self.metrics[(*key, names[key][1])]["ior"])], "IOR: set − random (points)")
        fig.tight_layout()
        return fig

    # ------------------------------------------------------------------------------ 3. soft vs hard

    @property
    def worth_rows(self) -> list[tuple[str, int]]:
        return [(m, ipc) for m, ipc in self.rows if (m, ipc, "hard") in self.R]

    def worth_table(self) -> str:
        return markdown_table(["set", "IPC", "soft (own loss) − hard", "GIFT − hard"], [
            [m, ipc, cell(self.diff((m, ipc, "own"), (m, ipc, "hard"))), cell(self.diff((m, ipc, "gift"), (m, ipc, "hard")))]
            for m, ipc in self.worth_rows])

    def plot_worth(self):
        import matplotlib.pyplot as plt

        keys = self.worth_rows
        fig, ax = plt.subplots(figsize=(max(6, 0.9 * len(keys)), 3.6))
        _paired_bars(ax, keys, [("own soft-label loss", lambda key: self.diff((*key, "own"), (*key, "hard"))),
                                ("GIFT", lambda key: self.diff((*key, "gift"), (*key, "hard")))],
                     "soft − hard labels (points)")
        fig.tight_layout()
        return fig

    # ------------------------------------------------------------------------------ the verdict

    def values(self, control) -> dict:
        """The numbers the chapter's prose quotes (``{glue:text}``), all from the stored runs."""
        distilled = [(m, ipc, self.gains[m, ipc]) for m in self.teacher_methods if m != "random" for ipc in self.ipcs
                     if self.gains[m, ipc].available]
        out = {
            "beyond_epochs": self.ex.profile.epochs, "beyond_seeds": len(self.ex.profile.seeds),
            "beyond_available": len(self.R) - len(self.missing), "beyond_evaluations": len(self.R),
            "beyond_missing_hard": sum(s == "hard" for _, _, s in self.missing),
            "beyond_full": self.full_note(),
            "beyond_ctl_verdict": control.verdict,
            "beyond_ctl": listing([f"{c.label.split(':')[0]}: {c.difference()}"
                                   for c in control.comparisons if c.available]),
            "beyond_distilled_gains": listing([f"{m} IPC {ipc}: {c.difference()}" for m, ipc, c in distilled]),
            "beyond_reading": reading(control, [c for _, _, c in distilled]),
        }
        for name in ("KL", "GIFT"):
            got = [(m, ipc, self.metrics[m, ipc, name]["ior"]) for m, ipc, _, _, _ in self.ior_rows
                   if m not in ("random", "datm") and (m, ipc, name) in self.metrics
                   and self.metrics[m, ipc, name]["ior"].available]
            ups = [f"{m} IPC {ipc}" for m, ipc, c in got if c.outcome == "win"]
            downs = [f"{m} IPC {ipc}" for m, ipc, c in got if c.outcome == "loss"]
            out[f"beyond_ior_{name.lower()}"] = (
                "not computed yet" if not got else
                f"{len(ups)} of {len(got)} sets beat the random subset" + (f" ({', '.join(ups)})" if ups else "")
                + (f"; {len(downs)} of {len(got)} are worse than random ({', '.join(downs)})" if downs else ""))
        worth = [(m, ipc, self.diff((m, ipc, "own"), (m, ipc, "hard"))) for m, ipc in self.worth_rows]
        worth = [(m, ipc, c) for m, ipc, c in worth if c.available]
        if worth:
            big = max(worth, key=lambda t: t[2].delta)
            out["beyond_worth"] = (f"the own soft-label loss beats hard labels on {sum(c.outcome == 'win' for *_, c in worth)} "
                                   f"of {len(worth)} sets; the largest difference is {big[2].delta:+.2f} points "
                                   f"({big[0]} IPC {big[1]})")
        else:
            out["beyond_worth"] = "not computed yet"
        return out


__all__ = ["BASE", "Beyond", "LAM", "SETS", "cell", "half_width", "lrs", "reading"]
