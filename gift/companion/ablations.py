"""Chapter 8 (ablations: refinement, loss, and the weight gamma): the runs it looks up, its tables
and figures, the consistency check of the paper's own tables, and the numbers its prose quotes.
Comparisons are judged by the one rule of :mod:`gift.stats`; the claims come from
:mod:`gift.companion.checklist`."""
from __future__ import annotations

import math

import numpy as np

from ..stats import compare, precisions, seed_values
from .paper import paper_rows
from .plots import loss_color
from .prose import count_computed
from .report import as_row, fmt, markdown_table

IPC = 10
# the sets a profile ablates (smoke: RDED only; an SRe2L set takes longer to synthesise than the
# whole smoke chapter may take)
SETS = {"smoke": ("rded",), "companion": ("rded", "sre2l"), "paper": ("rded", "sre2l")}
SET_LABEL = {"rded": "RDED", "sre2l": "SRe2L"}
VARIANTS = ("kl", "kl_refined", "cosine", "gift")
VLABEL = {"kl": "baseline (KL)", "kl_refined": "refinement only", "cosine": "loss only (cosine)",
          "gift": "both (GIFT)"}
PAPER_SETTING = {"kl": "baseline", "kl_refined": "refine_only", "cosine": "loss_only", "gift": "refine+loss"}
PAPER_COLS = ((7, "CIFAR-100"), (7, "Tiny-ImageNet"), (13, "ImageNet-1K"))
GAMMA_PAPER = 0.1


def sets_of(ex, profile: str) -> list[str]:
    if profile not in SETS:
        raise ValueError(f"unknown profile {profile!r}; valid profiles are: {', '.join(SETS)}")
    return [m for m in SETS[profile] if m in ex.profile.methods]


def runs(ex, sets) -> tuple[dict, dict]:
    """(ablation, sweep): (set, variant) -> result and (set, gamma) -> result, exactly the calls the
    companion runs were made with (None: not computed)."""
    ablation = {(m, L): ex.evaluate(m, IPC, loss=L) for m in sets for L in VARIANTS}
    sweep = {(m, g): ex.evaluate(m, IPC, loss="gift", loss_kwargs={"gamma": g}) for m in sets for g in ex.profile.gammas}
    return ablation, sweep


def paper_value(table: int, dataset: str, method: str, variant: str) -> tuple[float, float]:
    found = paper_rows(table=table, dataset=dataset, ipc=IPC, eval_model="ConvNet",
                       distill_method=SET_LABEL[method], setting=PAPER_SETTING[variant])
    return (found[0]["mean"], found[0]["std"]) if found else (math.nan, math.nan)


def _with_gain(value, base) -> str:
    if math.isnan(value[0]):
        return "—"
    gain = value[0] - base[0]
    return f"{value[0]:.1f} ± {value[1]:.1f}" + ("" if gain == 0 or math.isnan(gain) else f" ({gain:+.1f})")


def ablation_table(ablation: dict, sets, profile: str) -> str:
    """Our four variants next to the paper's Tables 7 and 13 (gains over the same column's baseline)."""
    body = []
    for m in SET_LABEL:
        for L in VARIANTS:
            row = [SET_LABEL[m], VLABEL[L]]
            if m in sets:
                r, base = ablation[m, L], ablation[m, "kl"]
                gain = "" if L == "kl" or base is None or r is None else \
                    f" ({as_row(r)['best'] - as_row(base)['best']:+.2f})"
                row.append("not computed" if r is None else fmt(r) + gain)
            else:
                row.append(f"not in the {profile} profile")
            row += [_with_gain(paper_value(t, d, m, L), paper_value(t, d, m, "kl")) for t, d in PAPER_COLS]
            body.append(row)
    return (f"**Top-1 accuracy (%) at IPC {IPC}**, mean ± std over seeds (in brackets: gain over the baseline); "
            "— : no such row in the paper.\n\n"
            + markdown_table(["set", "variant", f"ours ({profile})"] + [f"paper T{t}, {d}" for t, d in PAPER_COLS], body))


def plot_ablation(ablation: dict, sets, profile: str):
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 3.6), sharey=False)
    others = VARIANTS[1:]
    x = np.arange(len(others))
    ax = axes[0]
    width = 0.8 / max(len(sets), 1)
    for i, m in enumerate(sets):
        cs = [compare(L, ablation[m, L], ablation[m, "kl"]) for L in others]
        ax.bar(x + (i - (len(sets) - 1) / 2) * width, np.nan_to_num([c.delta for c in cs]), width,
               yerr=np.nan_to_num([(c.interval[1] - c.interval[0]) / 2 for c in cs]), capsize=3, label=SET_LABEL[m])
    if all(r is None for r in ablation.values()):
        ax.text(0.5, 0.5, "not computed yet", transform=ax.transAxes, ha="center", va="center", color="grey")
    ax.set_ylabel("gain over KL baseline (points)")
    ax.set_title(f"ours ({profile} profile)")
    ax = axes[1]
    cols = [(t, d, m) for t, d in PAPER_COLS for m in SET_LABEL]
    width = 0.8 / len(cols)
    for i, (t, d, m) in enumerate(cols):
        base = paper_value(t, d, m, "kl")[0]
        ax.bar(x + (i - (len(cols) - 1) / 2) * width, [paper_value(t, d, m, L)[0] - base for L in others], width,
               label=f"{SET_LABEL[m]}, {d}")
    ax.set_title("paper, Tables 7 and 13 (ConvNet)")
    for ax in axes:
        ax.axhline(0, color="black", linewidth=0.8)
        ax.set_xticks(x, [VLABEL[L] for L in others])
    axes[0].legend(fontsize=8)
    axes[1].legend(fontsize=7, ncol=2)
    fig.tight_layout()
    return fig


def table6_consistency() -> dict:
    """Table 6's "GIFT" row (RDED, ConvNet) against the full GIFT of Tables 1/2 and the "loss only"
    row of Tables 7/13, column by column: where it equals "loss only", Table 6 shows the cosine loss
    without refinement under the name GIFT."""
    equal_full, equal_loss_only, compared = [], [], []
    for r6 in paper_rows(table=6, distill_method="RDED", setting="GIFT"):
        d, ipc = r6["dataset"], r6["ipc"]
        common = {"dataset": d, "ipc": ipc, "eval_model": "ConvNet", "distill_method": "RDED"}
        loss_only = paper_rows(table=13 if d == "ImageNet-1K" else 7, setting="loss_only", **common)
        full = paper_rows(table=2 if d == "ImageNet-1K" else 1, setting="gift", **common)
        if not (loss_only and full):
            continue
        name = f"{d} IPC {ipc}"
        compared.append(name)
        if r6["mean"] == full[0]["mean"]:
            equal_full.append(name)
        elif r6["mean"] == loss_only[0]["mean"]:
            equal_loss_only.append(f"{name} ({r6['mean']:.1f}; full GIFT {full[0]['mean']:.1f})")
    return {"t6_columns": str(len(compared)), "t6_full_n": str(len(equal_full)),
            "t6_full": ", ".join(equal_full) or "none", "t6_loss_only_n": str(len(equal_loss_only)),
            "t6_loss_only": ", ".join(equal_loss_only) or "none"}


def gamma_baselines(ex, sweep: dict, sets) -> dict:
    """(set, gamma) -> the gamma = 0.1 arm to measure that weight against: the default GIFT run, or
    its stored twin in the weight's precision when the weight's runs trained in the other one
    (``precision="auto"`` resolved to fp32 on some machines). A difference of the table then varies
    gamma only, as the claim's comparisons do."""
    return {(m, g): ex.in_precision_of(sweep[m, GAMMA_PAPER], r, m, IPC, loss="gift")
            for (m, g), r in sweep.items() if m in sets}


def _baseline(sweep: dict, baselines: dict | None, m: str, g: float):
    return sweep.get((m, GAMMA_PAPER)) if baselines is None else baselines.get((m, g))


def _with_precision(text: str, result, show: bool) -> str:
    return f"{text}, {'/'.join(precisions(result))}" if show and precisions(result) else text


def gamma_table(sweep: dict, sets, gammas, baselines: dict | None = None) -> str:
    """GIFT's accuracy per weight and its difference to gamma = 0.1 (from :func:`gamma_baselines`
    when given). Where a set's runs trained in more than one precision, each cell names its own and
    the gamma = 0.1 row lists every arm the differences were taken to."""
    body = []
    mixed = {m: len({q for (s, g), r in sweep.items() if s == m for q in precisions(r)}
                    | {q for (s, g), r in (baselines or {}).items() if s == m for q in precisions(r)}) > 1
             for m in sets}
    for g in gammas:
        row = [f"{g:g}" + (" (paper default)" if g == GAMMA_PAPER else "")]
        for m in sets:
            r = sweep[m, g]
            if r is None:
                row.append("not computed")
            elif g == GAMMA_PAPER:
                arms = [r]  # each weight looks its twin up on its own, so one run arrives as several copies
                for (s, _), b in (baselines or {}).items():
                    if s == m and b is not None and all(_runs_of(b) != _runs_of(a) for a in arms):
                        arms.append(b)
                row.append("; ".join(_with_precision(fmt(a), a, mixed[m]) for a in arms))
            else:
                base = _baseline(sweep, baselines, m, g)
                gain = "" if base is None else f" ({as_row(r)['best'] - as_row(base)['best']:+.2f})"
                row.append(_with_precision(fmt(r), r, mixed[m]) + gain)
        body.append(row)
    note = (" Cells name their precision where a set's runs trained in both; each difference is "
            "taken to the gamma = 0.1 run of the same precision." if any(mixed.values()) else "")
    return (f"**GIFT accuracy (%) against gamma, IPC {IPC}** (in brackets: difference to gamma = {GAMMA_PAPER})."
            f"{note}\n\n" + markdown_table(["gamma"] + [f"{SET_LABEL[m]} (ours)" for m in sets], body))


def _runs_of(result) -> tuple:
    """What makes two loaded results the same arm: their seeds' accuracies and precisions."""
    return seed_values(result), tuple(precisions(result))


def plot_gamma(sweep: dict, sets, gammas):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.6))
    for m in sets:
        rows = [as_row(sweep[m, g]) for g in gammas]
        means, stds = np.array([r["best"] for r in rows]), np.array([r["best_std"] for r in rows])
        ok = ~np.isnan(means)
        if ok.any():
            ax.errorbar(np.array(gammas)[ok], means[ok], yerr=stds[ok], marker="o", capsize=3, label=SET_LABEL[m])
    if all(r is None for r in sweep.values()):
        ax.text(0.5, 0.5, "not computed yet", transform=ax.transAxes, ha="center", va="center", color="grey")
    else:
        ax.legend(fontsize=8)
    ax.axvline(GAMMA_PAPER, color="grey", linestyle=":", linewidth=1)
    ax.set_xlabel("$\\gamma$")
    ax.set_ylabel("top-1 accuracy (%)")
    fig.tight_layout()
    return fig


def gamma_zero_check(ablation: dict, sweep: dict, m: str) -> str:
    """gamma = 0 is the cosine loss again (trained as a separate run): do the two agree?"""
    g0, cos = sweep.get((m, 0.0)), ablation[m, "cosine"]
    if g0 is None or cos is None:
        return "gamma = 0 or the cosine loss is not computed, so the check is not made"
    c = compare("", g0, cos)
    return (f"gamma = 0 gives {fmt(g0)}, the cosine loss {fmt(cos)}: "
            + ("they agree within seed noise" if c.outcome == "tie" else f"they differ beyond seed noise ({c.delta:+.2f})")
            + (f" ({c.caveat})" if c.caveat else ""))


def gamma_peak(sweep: dict, m: str, baselines: dict | None = None) -> str:
    """Where the sweep of set ``m`` peaks, and whether the peak differs from the paper's gamma by the
    rule (against the gamma = 0.1 arm of :func:`gamma_baselines` when given). The claim counts wins
    and losses only; this says which way the ties lean, so a verdict of "mostly supported" next to a
    curve that peaks elsewhere is not left unexplained."""
    done = {g: r for (s, g), r in sweep.items() if s == m and r is not None}
    if GAMMA_PAPER not in done or len(done) < 2:
        return "not computed yet" if not done else "too few weights computed yet to say"
    peak = max(done, key=lambda g: as_row(done[g])["best"])
    if peak == GAMMA_PAPER:
        return f"the highest mean of the {len(done)} computed weights is at gamma = {GAMMA_PAPER:g}, the paper's"
    base = _baseline(sweep, baselines, m, peak) or done[GAMMA_PAPER]
    return (f"the highest mean of the {len(done)} computed weights is at gamma = {peak:g} ({fmt(done[peak])}), "
            f"not at the paper's {GAMMA_PAPER:g} ({fmt(base)}); gamma = {peak:g} minus "
            f"gamma = {GAMMA_PAPER:g}: {compare('', done[peak], base).difference()}")


def prose_numbers(ablation: dict, sweep: dict, sets, claim_list, profile: str, baselines: dict | None = None) -> dict:
    """The numbers the chapter's text quotes: what is computed, each set's gamma = 0 check, the
    gain of each module alone over KL, and the two verdicts."""
    out = {}
    n_a, t_a = count_computed(ablation.values())
    n_s, t_s = count_computed(sweep.values())
    out["ablation_computed"], out["sweep_computed"] = f"{n_a} of {t_a}", f"{n_s} of {t_s}"
    missing = [f"{SET_LABEL[m]}/{L}" for (m, L), r in ablation.items() if r is None]
    missing += [f"{SET_LABEL[m]}/gamma={g:g}" for (m, g), r in sweep.items() if r is None]
    out["not_computed"] = ", ".join(missing) if missing else "none"
    out["n_not_computed"] = str(len(missing))
    for m in SET_LABEL:
        out[f"gamma0_{m}"] = gamma_zero_check(ablation, sweep, m) if m in sets else f"not in the {profile} profile"
        out[f"gamma_peak_{m}"] = gamma_peak(sweep, m, baselines) if m in sets else f"not in the {profile} profile"
        for L in ("kl_refined", "cosine"):  # the claim's comparisons against KL (as in its report)
            out[f"gain_{m}_{L}"] = (compare("", ablation[m, L], ablation[m, "kl"]).difference() if m in sets
                                    else f"not in the {profile} profile")
    out["v_modules"], out["v_gamma"] = (c.verdict_label(evidence=True) for c in claim_list)
    return out


__all__ = ["GAMMA_PAPER", "IPC", "PAPER_COLS", "SETS", "SET_LABEL", "VARIANTS", "VLABEL", "ablation_table", "gamma_baselines", "gamma_peak",
           "gamma_table", "gamma_zero_check", "paper_value", "plot_ablation", "plot_gamma", "prose_numbers", "runs",
           "sets_of", "table6_consistency"]
