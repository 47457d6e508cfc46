"""Chapter 3's measurements of Theorem 1 (the InfoNCE bound behind GIFT's cosine loss): the exact
case of orthonormal targets, the stored measurement on real outputs (``gift.theory``), every table
and figure of the chapter, and the values its verdict quotes.

    th = TheoremChapter.load(ex, profile, seed=0)
    display(Markdown(th.bound_table()))   # every table is Markdown, so the HTML book renders it as a table
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from types import SimpleNamespace

import torch

from ..theory import bound_terms, random_abs_cosine, theorem_measurements, welch_rms_bound
from .prose import num
from .report import markdown_table, provenance_summary

# what a profile changes: how long the short GIFT run trains, how many augmented passes over the
# distilled set and how many test images are measured
CHAPTER_SETTINGS = {
    "smoke": {"train_epochs": 20, "aug_passes": 3, "n_test": 1000},
    "companion": {"train_epochs": 40, "aug_passes": 4, "n_test": 1000},
    "paper": {"train_epochs": 100, "aug_passes": 5, "n_test": 2000},
}
TAUS = (0.05, 0.1, 0.5, 1.0)  # the paper gives no temperature; 0.1 is a common InfoNCE choice
MAIN_TAU = 0.1
STUDENTS = {"untrained": "untrained", "gift_short": "GIFT (short)", "teacher": "teacher"}
DATA = {"distilled": "distilled set", "test": "test images"}  # the bound is measured on DSA views of the set
BATCHINGS = {"random": "random", "per_class": "1 per class"}
ORTHO_KINDS = ("teacher logits", "refined label", "refined label (probs)", "smoothed hard label")
ROW_NAMES = ("row 4 (mean of exponentials replaced by the exponential of the mean)",
             "row 5 (mean cosine replaced by a ratio of means)",
             "row 6 (expectation taken out of the exponential)")


def chapter_settings(profile: str) -> dict:
    if profile not in CHAPTER_SETTINGS:
        raise ValueError(f"unknown profile {profile!r}; valid profiles are: {', '.join(CHAPTER_SETTINGS)}")
    return CHAPTER_SETTINGS[profile]


# ------------------------------------------------------------------ the exact case: orthonormal targets

def synthetic_rows(seed: int) -> list[tuple]:
    """(N, tau, student, InfoNCE, RHS(7), RHS(9) all, RHS(9) others, max bound) for N orthonormal
    targets and a perfect or a random (seeded Gaussian) student."""
    gen = torch.Generator().manual_seed(seed)
    rows = []
    for n in (10, 50):
        targets = torch.eye(n, dtype=torch.float64)  # N orthonormal targets in R^N
        random_student = torch.randn(n, n, generator=gen, dtype=torch.float64)
        for tau in (0.1, 1.0):
            for name, z in (("perfect", targets), ("random", random_student)):
                a, o = bound_terms(z, targets, tau, "all"), bound_terms(z, targets, tau, "others")
                rows.append((n, tau, name, a["infonce"], a["rhs7"], a["rhs9"], o["rhs9"], a["max_bound"]))
    return rows


def _f(x: float) -> str:
    return f"{x:.3f}"


def synthetic_table(rows: list[tuple]) -> str:
    body = [[n, tau, name, _f(loss), _f(r7), _f(r9a), _f(r9o), _f(mx), "yes" if max(r9a, r9o) >= loss else "no"]
            for n, tau, name, loss, r7, r9a, r9o, mx in rows]
    return markdown_table(["N", "tau", "student", "InfoNCE", "(7)", "(9) all", "(9) others", "max", "(9) holds"], body)


def orthonormal_figure():
    """InfoNCE and the right-hand side of (9) ('others') of a perfect student on N orthonormal
    targets, against N, for three temperatures."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    sizes = list(range(2, 101, 2))
    for k, tau in enumerate((0.1, 0.5, 1.0)):
        terms = [bound_terms(torch.eye(n, dtype=torch.float64), torch.eye(n, dtype=torch.float64), tau, "others")
                 for n in sizes]
        ax.plot(sizes, [t["infonce"] for t in terms], color=f"C{k}", label=f"InfoNCE, tau={tau}")
        ax.plot(sizes, [t["rhs9"] for t in terms], "--", color=f"C{k}", label=f"bound (9), tau={tau}")
    ax.set_xlabel("batch size N (= number of orthonormal targets)")
    ax.set_ylabel("value")
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    return fig


# ------------------------------------------------------------------ real outputs

@dataclass
class TheoremChapter:
    """The chapter's measurement on real outputs (``res``: the stored or live result of
    :func:`gift.theory.theorem_measurements`) and the exact synthetic rows."""

    res: dict
    source: str  # "stored" or "live"
    provenance: str
    key: str
    synthetic: list

    @classmethod
    def load(cls, ex, profile: str, seed: int, run_missing: bool) -> "TheoremChapter":
        """Read the record of this profile's measurement from the store; measure and record it when
        missing and ``run_missing``; otherwise measure the untrained student and the teacher on the
        spot (no training), leaving the short GIFT student "not computed"."""
        from ..data import prepare_test_set
        from ..evaluation import make_train_tensors, test_size
        from ..results import provenance

        cfg = chapter_settings(profile)
        teacher, lazy = ex.teacher(), ex.distilled("rded", 10)
        student_cfg = ex.config("rded")  # the student the profile's protocol trains on RDED sets
        # the record's key is known without the images (teacher id, the set's recipe, sizes), so a
        # clone with no data finds the stored measurements
        spec = {
            "chapter": "03_theorem", "version": 1, "profile": ex.profile.name, "dataset": ex.profile.dataset,
            "teacher": teacher.gift_meta.get("id"), "set": {"method": "rded", "ipc": 10,
                                                            "recipe": getattr(lazy, "meta", {}).get("recipe")},
            "model": student_cfg.model, "model_kwargs": student_cfg.model_kwargs, "seed": seed,
            "train_epochs": cfg["train_epochs"], "aug_passes": cfg["aug_passes"],
            "n_test": min(cfg["n_test"], test_size(ex.test_for_lookup())), "taus": list(TAUS), "main_tau": MAIN_TAU,
        }
        print(f"teacher {teacher.gift_meta['id']} (test accuracy {ex.teacher_accuracy():.2f}%), RDED IPC-10, "
              f"student {student_cfg.model} {student_cfg.model_kwargs or ''}")

        def measure(students):
            start = time.perf_counter()
            distilled = lazy.materialize() if hasattr(lazy, "materialize") else lazy
            test = ex.test
            train = make_train_tensors(distilled, test.mean, test.std)
            pick = torch.randperm(len(test.labels), generator=torch.Generator().manual_seed(seed))[: cfg["n_test"]]
            test_x, test_y = prepare_test_set(test.subset(pick), "pixel")
            out = theorem_measurements(
                teacher, train.images, train.labels, test_x, test_y, num_classes=ex.num_classes,
                model=student_cfg.model, model_kwargs=student_cfg.model_kwargs, students=students,
                train_epochs=cfg["train_epochs"], aug_passes=cfg["aug_passes"], taus=TAUS, main_tau=MAIN_TAU,
                seed=seed,
            )
            return out, provenance(ex.device, time.perf_counter() - start)

        record = ex.store.get("theory", spec)
        if record is None and run_missing:
            record = ex.store.get_or_run("theory", spec, lambda: measure(tuple(STUDENTS)))
        if record is not None:
            res, source = record["result"], "stored"
            prov = provenance_summary([SimpleNamespace(runs=[{"provenance": record["provenance"]}])])
        else:
            res, _ = measure(("untrained", "teacher"))
            source, prov = "live", "no recorded run: the short GIFT training is not computed"
        return cls(res, source, prov, ex.store.key(spec), synthetic_rows(seed))

    # -------------------------------------------------------------- access

    def entry(self, data: str, student: str, batching: str = "random") -> dict | None:
        """The stored summary for one (data, student, batching), or None when not computed."""
        s = self.res["bounds"][data].get(student)
        return None if s is None else s[batching]

    def at_tau(self, e: dict, tau: float = MAIN_TAU) -> dict:
        return e["per_tau"][repr(float(tau))]

    @property
    def num_classes(self) -> int:
        return self.res["setting"]["num_classes"]

    @property
    def batch_size(self) -> int:
        return self.res["setting"]["batch_size"]

    def summary(self) -> str:
        lines = [f"record {self.key} ({self.source}); {self.provenance}"]
        if "training" in self.res:
            t = self.res["training"]
            lines.append(f"short GIFT run: {t['epochs']} epochs, {t['steps']} steps of batch {t['batch_size']}, "
                         f"loss {t['loss_first_epoch']:.3f} (first epoch) -> {t['loss_last_epoch']:.3f} (last)")
        return "\n".join(lines)

    # -------------------------------------------------------------- orthogonality

    def orthogonality_table(self) -> str:
        rows = [[d, k, _f(v["same_mean"]), _f(v["diff_mean"]), _f(v["diff_abs"]), _f(v["all_abs"]), _f(v["all_rms"])]
                for d in DATA for k, v in ((k, self.res["orthogonality"][d][k]) for k in ORTHO_KINDS)]
        C, N = self.num_classes, self.batch_size
        return (markdown_table(["data", "vectors", "same class: cos", "different: cos", "different: abs cos",
                                "all: abs cos", "all: rms cos"], rows)
                + f"\n\nRandom directions in R^{C}: E|cos| = {random_abs_cosine(C):.3f}. Welch: the rms cosine of {N} "
                f"unit vectors in R^{C} is at least {welch_rms_bound(N, C):.3f}. 'refined label (probs)' refines "
                "softmax probabilities instead of logits (the other reading of 'soft label', chapter 2).")

    def orthogonality_figure(self):
        import matplotlib.pyplot as plt

        bins = self.res["reference"]["hist_bins"]
        edges = torch.linspace(-1, 1, bins + 1)
        centers = ((edges[1:] + edges[:-1]) / 2).tolist()
        fig, axes = plt.subplots(1, 2, figsize=(9, 3.2), sharey=True)
        for ax, d in zip(axes, DATA):
            o = self.res["orthogonality"][d]["refined label"]
            for kind, color in (("same", "C1"), ("diff", "C0")):
                counts = o[f"hist_{kind}"]
                total = max(sum(counts), 1)
                ax.bar(centers, [c / total for c in counts], width=2 / bins, alpha=0.55, color=color,
                       label=f"{'same' if kind == 'same' else 'different'} class ({o[kind + '_pairs']} pairs)")
            ax.axvline(0, color="black", linestyle=":", linewidth=1)
            ax.set_title(DATA[d])
            ax.set_xlabel("cos(refined label i, refined label j)")
            ax.legend(fontsize=8)
        axes[0].set_ylabel("fraction of pairs")
        fig.tight_layout()
        return fig

    # -------------------------------------------------------------- the bound

    def _rows(self, cells) -> list[list]:
        """One row per (data, student, batching): its name, then ``cells(entry, at_tau, data,
        student)`` or "not computed"."""
        rows = []
        for d in DATA:
            for s, label in STUDENTS.items():
                for b, blabel in BATCHINGS.items():
                    e = self.entry(d, s, b)
                    rows.append([d, label, blabel, *(cells(e, self.at_tau(e), d, s) if e is not None
                                                     else ["not computed"])])
        return rows

    def bound_table(self) -> str:
        cells = lambda e, p, d, s: [f"{self.res['accuracy'][d][s]:.1f}", _f(p["pos_all"]), _f(p["neg_all"]),  # noqa: E731
                                    _f(p["infonce_all"]), _f(p["rhs7_all"]), _f(p["rhs9_all"]), _f(p["rhs9_others"]),
                                    _f(p["max_bound_all"]), f"{p['holds7']:.2f}", f"{p['holds9_all']:.2f}",
                                    f"{p['holds9_others']:.2f}", f"{p['holds_max']:.2f}"]
        sizes = "; ".join(f"{d}: {self.entry(d, 'teacher')['n_batches']} random batches of "
                          f"{self.entry(d, 'teacher')['batch_size']}, {self.entry(d, 'teacher', 'per_class')['n_batches']} "
                          f"batches of {self.num_classes} with one image per class" for d in DATA)
        return markdown_table(["data", "student", "batches", "acc %", "cos+", "eps", "InfoNCE", "(7)", "(9) all",
                               "(9) others", "max", "held (7)", "held (9) all", "held (9) others", "held max"],
                              self._rows(cells)) + f"\n\nBatches: {sizes}."

    def bound_figure(self):
        import matplotlib.pyplot as plt

        fig, axes = plt.subplots(1, 2, figsize=(9.5, 4))
        for ax, d in zip(axes, DATA):
            lo, hi = float("inf"), float("-inf")
            for k, (s, label) in enumerate(STUDENTS.items()):
                for b, marker in (("random", "o"), ("per_class", "x")):
                    e = self.entry(d, s, b)
                    if e is None:
                        continue
                    xs, ys = e["per_batch"]["infonce"], e["per_batch"]["rhs9_all"]
                    ax.scatter(xs, ys, s=14, marker=marker, color=f"C{k}", alpha=0.7,
                               label=f"{label}, {BATCHINGS[b]}", facecolors="none" if marker == "o" else None)
                    lo, hi = min(lo, *xs, *ys), max(hi, *xs, *ys)
            if lo < hi:
                ax.plot([lo, hi], [lo, hi], color="black", linewidth=1)
                ax.text(lo, hi, "bound holds", va="top", fontsize=8)
            ax.set_title(DATA[d])
            ax.set_xlabel("InfoNCE (eq. 4)")
            ax.set_ylabel("right-hand side of (9)")
        axes[0].legend(fontsize=7)
        fig.tight_layout()
        return fig

    def holds_table(self) -> str:
        """The fraction of batches on which each bound holds at the main tau (rounded)."""
        cells = lambda e, p, d, s: [f"{p['holds7']:.2f}", f"{p['holds9_all']:.2f}", f"{p['holds9_others']:.2f}",  # noqa: E731
                                    f"{p['holds_max']:.2f}"]
        return markdown_table(["data", "student", "batches", "(7)", "(9) all", "(9) others", "max"], self._rows(cells))

    # -------------------------------------------------------------- which step breaks it

    def decomposition(self) -> dict:
        """(data, student) -> (slack of (7), e4, e5, e6) on random batches at the main tau."""
        out = {}
        for d in DATA:
            for s in STUDENTS:
                e = self.entry(d, s)
                if e is not None:
                    p = self.at_tau(e)
                    out[(d, s)] = (p["slack7_all"], p["err8_exp_all"], p["err8_norm_all"], p["err9_mean_all"])
        return out

    def decomposition_table(self) -> str:
        decomp, rows = self.decomposition(), []
        for d in DATA:
            for s, label in STUDENTS.items():
                if (d, s) not in decomp:
                    rows.append([d, label, "not computed"])
                    continue
                slack, *errs = decomp[(d, s)]
                p = self.at_tau(self.entry(d, s))
                rows.append([d, label, _f(slack), *map(_f, errs), _f(sum(errs)), _f(p["rhs9_all"] - p["infonce_all"])])
        return markdown_table(["data", "student", "slack (7)", "e4 exp", "e5 norms", "e6 mean", "sum e",
                               "(9) - InfoNCE"], rows)

    def decomposition_figure(self):
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(8, 3.6))
        labels = []
        for x, ((d, s), (slack, e4, e5, e6)) in enumerate(self.decomposition().items()):
            ax.bar(x - 0.2, slack, width=0.38, color="C2", label="slack of (7)" if x == 0 else None)
            bottom = 0.0
            for val, color, name in ((e4, "C3", "row 4: mean of exp"), (e5, "C4", "row 5: ratio of means"),
                                     (e6, "C1", "row 6: E out of exp")):
                ax.bar(x + 0.2, val, width=0.38, bottom=bottom if val >= 0 else 0, color=color,
                       label=name if x == 0 else None)
                bottom += max(val, 0)
            labels.append(f"{d}\n{STUDENTS[s]}")
        ax.set_xticks(range(len(labels)), labels, fontsize=7)
        ax.set_ylabel("nats")
        ax.axhline(0, color="black", linewidth=0.8)
        ax.legend(fontsize=7)
        fig.tight_layout()
        return fig

    # -------------------------------------------------------------- temperature

    def gaps(self) -> dict:
        """(data, student) -> [mean of RHS(9) - InfoNCE per tau of TAUS] (random batches, 'all')."""
        out = {}
        for d in DATA:
            for s in STUDENTS:
                e = self.entry(d, s)
                if e is not None:
                    out[(d, s)] = [self.at_tau(e, t)["rhs9_all"] - self.at_tau(e, t)["infonce_all"] for t in TAUS]
        return out

    def tau_table(self) -> str:
        rows = []
        for d in DATA:
            for s, label in STUDENTS.items():
                e = self.entry(d, s)
                if e is None:
                    rows.append([d, label, "not computed"])
                    continue
                ps = [self.at_tau(e, t) for t in TAUS]
                rows.append([d, label, *(f"{p['holds9_all']:.2f} / {p['holds9_others']:.2f} / "
                                         f"{p['rhs9_all'] - p['infonce_all']:+.3f}" for p in ps)])
        return markdown_table(["data", "student", *(f"tau = {t}: held all / others / gap" for t in TAUS)], rows)

    def tau_figure(self):
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(6.4, 3.6))
        for (d, s), gaps in self.gaps().items():
            k = list(STUDENTS).index(s)
            ax.plot(TAUS, gaps, marker="o", color=f"C{k}", linestyle="-" if d == "test" else "--",
                    label=f"{STUDENTS[s]}, {DATA[d]}")
        ax.axhline(0, color="black", linewidth=1)
        ax.set_xscale("log")
        ax.set_xlabel("temperature tau")
        ax.set_ylabel("mean of RHS(9) - InfoNCE")
        ax.legend(fontsize=7)
        fig.tight_layout()
        return fig

    # -------------------------------------------------------------- the verdict's numbers

    def values(self) -> dict[str, str]:
        """Every number and computed phrase the chapter's verdict quotes."""
        v: dict[str, str] = {"tau": str(MAIN_TAU), "taus": str(list(TAUS)), "C": str(self.num_classes),
                             "N": str(self.batch_size)}
        main = [self.at_tau(self.entry(d, s, b)) for d in DATA for s in STUDENTS for b in BATCHINGS
                if self.entry(d, s, b) is not None]
        held9 = [max(p["holds9_all"], p["holds9_others"]) for p in main]
        where = [f"{DATA[d]}, {STUDENTS[s]}, {BATCHINGS[b]} batches" for d in DATA for s in STUDENTS for b in BATCHINGS
                 if self.entry(d, s, b) is not None
                 and max(self.at_tau(self.entry(d, s, b))["holds9_all"], self.at_tau(self.entry(d, s, b))["holds9_others"]) > 0]
        v["n_combinations"] = str(len(main))
        v["held9"] = ("no batch at all" if max(held9) == 0 else
                      f"at most {100 * max(held9):.0f}% of the batches of one combination "
                      f"(mean {100 * sum(held9) / len(held9):.0f}%); it holds somewhere only for: {'; '.join(where)}")
        v["held7"] = f"{100 * min(p['holds7'] for p in main):.0f}%"
        v["held_max"] = f"{100 * min(p['holds_max'] for p in main):.0f}%"
        any_tau = [(d, s, t) for d in DATA for s in STUDENTS for t in TAUS if self.entry(d, s) is not None
                   and max(self.at_tau(self.entry(d, s), t)["holds9_all"],
                           self.at_tau(self.entry(d, s), t)["holds9_others"]) >= 0.5]
        v["tau_text"] = (f"at no temperature in {list(TAUS)} does (9) hold on half of the random batches of any "
                         "data set and student" if not any_tau else
                         "(9) holds on at least half of the random batches only for "
                         + "; ".join(f"{DATA[d]}, {STUDENTS[s]}, tau={t}" for d, s, t in any_tau))
        decomp = self.decomposition()
        slack, errs = [x[0] for x in decomp.values()], [sum(x[1:]) for x in decomp.values()]
        largest = [max(range(3), key=lambda k: x[1 + k]) for x in decomp.values()]
        biggest = max(range(3), key=largest.count) if largest else 0
        v.update({"slack_range": f"{num(min(slack))} to {num(max(slack))}", "err_range": f"{num(min(errs))} to {num(max(errs))}",
                  "err_vs_slack": "always larger" if all(e > s for s, e in zip(slack, errs)) else "not always larger",
                  "biggest_row": ROW_NAMES[biggest], "biggest_share": f"{largest.count(biggest)} of {len(decomp)}"})
        v["synth_fail"] = f"{sum(max(r[5], r[6]) < r[3] for r in self.synthetic)} of {len(self.synthetic)}"
        ref = random_abs_cosine(self.num_classes)
        v["random_abs_cos"] = f"{ref:.3f}"
        for d in DATA:
            o = self.res["orthogonality"][d]["refined label"]
            v[f"ortho_{d}"] = (
                f"mean cos {o['diff_mean']:.3f} and mean |cos| {o['diff_abs']:.3f} between refined labels of different "
                f"classes ({'below' if o['diff_abs'] < ref else 'not below'} the value for random directions), "
                f"and mean cos {o['same_mean']:.3f} between refined labels of the same class: "
                + ("close to parallel, not orthogonal" if o["same_mean"] >= 0.9 else
                   "far from orthogonal, though not parallel" if o["same_mean"] >= 0.5 else
                   "not much more aligned than labels of different classes"))
        probs = [self.res["orthogonality"][d]["refined label (probs)"]["diff_abs"] for d in DATA]
        logits = [self.res["orthogonality"][d]["refined label"]["diff_abs"] for d in DATA]
        v["probs_abs"] = " and ".join(f"{x:.3f}" for x in probs)
        v["logits_abs"] = " and ".join(f"{x:.3f}" for x in logits)
        v["probs_text"] = ("closer to orthogonal across classes: the assumption fits probability-like soft labels "
                           "better than the logits GIFT's code refines" if max(probs) < min(logits) else
                           "not uniformly closer to orthogonal")
        v["welch"] = f"{welch_rms_bound(self.batch_size, self.num_classes):.3f}"
        eps = [(d, s, self.at_tau(self.entry(d, s))["neg_others"], self.at_tau(self.entry(d, s, "per_class"))["neg_others"],
                self.at_tau(self.entry(d, s))["pos_all"]) for d in DATA for s in ("gift_short", "teacher")
               if self.entry(d, s) is not None]
        if eps:
            ratio = max(e / max(p, 1e-9) for *_, e, _, p in eps)
            v["eps_text"] = ("; ".join(f"{DATA[d]}, {STUDENTS[s]}: {e:.3f} in random batches, {e1:.3f} with one image "
                                       f"per class (positive cosine {p:.3f})" for d, s, e, e1, p in eps)
                             + f". In random batches it is up to {100 * ratio:.0f}% of the positive cosine"
                             + (", not a term approaching zero" if ratio > 0.1 else ", small as the paper assumes"))
        else:
            v["eps_text"] = "not computed"
        u, g = self.entry("test", "untrained"), self.entry("test", "gift_short")
        if u is not None and g is not None:
            lu, lg = self.at_tau(u)["infonce_all"], self.at_tau(g)["infonce_all"]
            v["training_text"] = (
                f"The short GIFT run {'lowers' if lg < lu else 'does not lower'} InfoNCE on test images "
                f"({lu:.3f} untrained, {lg:.3f} after training): training with 1 − cos "
                f"{'does' if lg < lu else 'does not'} move the contrastive loss the way the paper's argument expects"
                + (", even though the inequality used to argue it fails on every batch measured." if max(held9) == 0 else
                   ", even though the inequality used to argue it fails on most batches." if max(held9) < 0.5 else "."))
        else:
            v["training_text"] = ("The short GIFT run is not computed here, so nothing is said about how training "
                                  "moves InfoNCE.")
        v["in_short"] = (
            "On these outputs their errors together take away more than the slack of (7), so eq. (9) does "
            "not bound InfoNCE on any batch measured." if max(held9) == 0 else
            "The bound (9) holds only on some batches, listed above.")
        return v


__all__ = ["BATCHINGS", "CHAPTER_SETTINGS", "DATA", "MAIN_TAU", "STUDENTS", "TAUS", "TheoremChapter",
           "chapter_settings", "orthonormal_figure", "synthetic_rows", "synthetic_table"]
