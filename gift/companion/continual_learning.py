"""Chapter 7 (continual learning with distilled data): the GDumb steps it looks up, their table,
figure and the numbers its prose quotes. The steps themselves are run by :mod:`gift.continual`;
every step comparison is judged by the one rule of :mod:`gift.stats`."""
from __future__ import annotations

import math

import numpy as np

from ..stats import Comparison, seed_values
from .claims import Claim
from .plots import loss_color
from .profiles import OWN_LOSS
from .report import markdown_table

METHOD = "rded"  # the paper runs this experiment on RDED's sets only
SCHEDULES = (5, 10)  # number of steps
IPC = 10
# every step's run: the profile's protocol (one seed and fewer epochs in smoke, to run in seconds)
OVERRIDES = {"smoke": {"epochs": 12}, "companion": {}, "paper": {}}
LOSSES = {f"RDED's own loss ({OWN_LOSS[METHOD]})": OWN_LOSS[METHOD], "GIFT": "gift"}


def overrides(profile: str) -> dict:
    if profile not in OVERRIDES:
        raise ValueError(f"unknown profile {profile!r}; valid profiles are: {', '.join(OVERRIDES)}")
    return dict(OVERRIDES[profile])


def summaries(ex, *, seed: int, **kw) -> dict:
    """``"loss|steps"`` -> the steps of that schedule (:func:`gift.continual.continual_summaries`);
    every schedule empty when nothing is recorded and this machine cannot compute it."""
    from ..continual import continual_summaries

    summary = continual_summaries(ex, METHOD, IPC, list(LOSSES.values()), SCHEDULES, seed=seed, **kw)
    return summary if summary is not None else {f"{loss}|{n}": [] for loss in LOSSES.values() for n in SCHEDULES}


def steps_of(summary: dict, label: str, n: int) -> list[dict]:
    return summary[f"{LOSSES[label]}|{n}"]


def accuracy(step: dict, which: str = "best") -> tuple[float, float]:
    """(mean, std) over seeds; (100, 0) for the one-class step; NaN when not computed."""
    if step["trivial"]:
        return 100.0, 0.0
    vals = [r[which] for r in step["runs"]]
    return (float(np.mean(vals)), float(np.std(vals))) if vals else (math.nan, math.nan)


def split_lines(summary: dict) -> list[str]:
    """The class-incremental splits: new classes, memory and test images at each step."""
    lines = []
    for n in SCHEDULES:
        lines.append(f"{n}-step schedule")
        lines.append(f"{'step':>4} | {'new classes':<12} | {'seen':>4} | {'memory images':>13} | {'test images':>11} | trained")
        for s in steps_of(summary, next(iter(LOSSES)), n):
            lines.append(f"{s['step']:>4} | {','.join(map(str, s['new_classes'])):<12} | {len(s['seen']):>4} | "
                         f"{s['num_images']:>13} | {s['num_test']:>11} | {'no (1 class)' if s['trivial'] else 'yes'}")
    return lines


def comparisons(summary: dict) -> dict[int, list[Comparison]]:
    """Per schedule, GIFT against the own loss at every trained step."""
    from ..continual import compare_steps

    own, gift = LOSSES
    comps = {n: [] for n in SCHEDULES}
    for n in SCHEDULES:
        for a, b in zip(steps_of(summary, own, n), steps_of(summary, gift, n)):
            if not a["trivial"]:
                comps[n].append(compare_steps(f"{n}-step, {len(a['seen'])} classes seen: gift vs {OWN_LOSS[METHOD]}", b, a))
    return comps


def results_table(summary: dict) -> str:
    own, gift = LOSSES
    comps = comparisons(summary)
    rows = []
    for n in SCHEDULES:
        it = iter(comps[n])
        for a, b in zip(steps_of(summary, own, n), steps_of(summary, gift, n)):
            if a["trivial"]:
                rows.append([f"{n}-step", a["step"], len(a["seen"]), "100 (1 class)", "100 (1 class)", "—"])
                continue
            c = next(it)
            cell = lambda s: "not computed" if not s["runs"] else "{:.2f} ± {:.2f}".format(*accuracy(s))  # noqa: E731
            rows.append([f"{n}-step", a["step"], len(a["seen"]), cell(a), cell(b),
                         "—" if not c.available else f"{c.delta:+.2f} ({c.outcome})"])
    if not rows:
        return "No step is recorded yet, and this machine cannot compute them (see above)."
    return markdown_table(["schedule", "step", "classes seen", own, gift, "Δ (GIFT − own)"], rows)


def plot_steps(summary: dict, num_classes: int):
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(SCHEDULES), figsize=(5 * len(SCHEDULES), 3.5), sharey=True, squeeze=False)
    for ax, n in zip(axes[0], SCHEDULES):
        for label, marker in zip(LOSSES, ("o", "s")):
            steps = steps_of(summary, label, n)
            ax.errorbar([len(s["seen"]) for s in steps], [accuracy(s)[0] for s in steps],
                        yerr=[accuracy(s)[1] for s in steps], marker=marker, capsize=3, label=label,
                        color=loss_color(LOSSES[label]))
        per = num_classes // n
        ax.set_title(f"{n}-step ({per} new class{'es' if per > 1 else ''} per step)")
        ax.set_xlabel("classes seen")
    axes[0][0].set_ylabel("test accuracy on seen classes (%)")
    axes[0][0].legend(fontsize=8)
    fig.tight_layout()
    return fig


def full_set(ex, **kw) -> dict:
    """The whole RDED set with each loss, as in the main table (the last step's check)."""
    return {label: ex.evaluate(METHOD, IPC, loss=loss, **kw) for label, loss in LOSSES.items()}


def last_step_checks(summary: dict, full: dict) -> dict[str, Comparison]:
    """Per loss: the last step of the longest schedule (every class seen) against the full set."""
    out = {}
    for label in LOSSES:
        last = steps_of(summary, label, SCHEDULES[-1])
        values = tuple(r["best"] for r in last[-1]["runs"]) if last else ()
        out[label] = Comparison(f"{label}: last step vs full set", values, seed_values(full[label]))
    return out


def claims(summary: dict) -> list[Claim]:
    comps = comparisons(summary)
    return [Claim(f"GIFT improves GDumb class-incremental learning on RDED data ({n} steps)", "07_continual_learning",
                  comps[n], distinct_runs=False) for n in SCHEDULES]  # nested subsets: as the checklist's


def class_order_line(ex, seed: int) -> str:
    """The seeded class order both schedules follow, with the class names."""
    from ..continual import class_incremental_split

    names = list(ex.test_for_lookup().class_names) or [str(c) for c in range(ex.num_classes)]
    order = class_incremental_split(ex.num_classes, SCHEDULES[0], seed=seed).order
    return "class order: " + ", ".join(f"{c} ({names[c]})" for c in order)


def provenance_results(summary: dict, full: dict) -> list:
    """The step runs (as one result, each training once: :func:`gift.continual.distinct_step_runs`)
    and the full-set results, for ``provenance_summary``."""
    from types import SimpleNamespace

    from ..continual import distinct_step_runs

    runs = distinct_step_runs(summary)
    return [SimpleNamespace(runs=runs)] + [r for r in full.values() if r is not None]


def prose_numbers(summary: dict, claim_list, checks: dict, num_classes: int) -> dict:
    """The numbers the chapter's text quotes: the schedules' sizes, each schedule's verdict, the
    step where the losses differ most, and the last-step checks."""
    out = {"num_classes": str(num_classes)}
    for n, claim in zip(SCHEDULES, claim_list):
        out[f"per_step_{n}"] = str(num_classes // n)
        out[f"verdict_{n}"] = claim.verdict_label(evidence=True)
        done = [c for c in claim.comparisons if c.available]
        widest = max(done, key=lambda c: abs(c.delta)) if done else None
        out[f"widest_{n}"] = ("no step is computed yet" if widest is None else
                              f"with {widest.label.split(', ')[1].split(':')[0]} ({widest.difference()})")
    own, gift = LOSSES
    out["check_own"], out["check_gift"] = checks[own].difference(), checks[gift].difference()
    return out


__all__ = ["IPC", "LOSSES", "METHOD", "SCHEDULES", "accuracy", "class_order_line", "claims", "comparisons", "full_set", "last_step_checks",
           "overrides", "plot_steps", "provenance_results", "prose_numbers", "results_table", "split_lines", "steps_of", "summaries"]
