"""Chapter 6 (generalization: other students, other optimizers): its runs, tables, figures and the
numbers its prose quotes.

The chapter asks three things of the store: each set scored by larger students (Table 4), the RDED
set trained with SGD, Adam and AdamW under three losses (Tables 5 and 12, plus the KL×T² control),
and one measurement of gradient scales (:mod:`gift.companion.gradients`). Everything here only
arranges what those lookups return; the verdicts come from :mod:`gift.companion.checklist` and the
one rule of :mod:`gift.stats`.
"""
from __future__ import annotations

import math

import numpy as np

from ..protocol import OPTIMIZERS
from ..stats import LOSS, WIN, compare, seed_values
from .checklist import TO_CHANCE_SHARE, collapse_share, is_collapse, t2_label
from .gradients import GRAD_LOSSES
from .paper import paper_rows
from .plots import loss_color
from .profiles import OWN_LOSS, get_profile
from .prose import count_computed, listing, recorded, short
from .report import as_row, fmt, markdown_table, projected_seed_minutes

IPC = 10
METHOD_NAME = {"random": "Random", "rded": "RDED", "sre2l": "SRe2L", "datm": "DATM"}
PAPER_MODEL = {"ConvNet-3": "ConvNet", "ResNet-18 (modified)": "ResNet-18", "MobileNet-V2": "MobileNet-V2",
               "EfficientNet-B0": "EfficientNet-B0"}
# what a profile changes in this chapter: the sets scored by other optimizers and the size of the
# gradient measurement (the sets scored by other students are the profile's ``student_sets``)
SETTINGS = {
    "smoke": {"opt_methods": ("rded",), "grad_batches": 3, "brief_steps": 10},
    "companion": {"opt_methods": ("rded",), "grad_batches": 5, "brief_steps": 24},
    "paper": {"opt_methods": ("rded", "sre2l"), "grad_batches": 8, "brief_steps": 40},
}
# the cross-optimizer losses: display name -> (registered loss, options)
CROSS_OPT_LOSSES = {"KL (T=20)": ("kl", {}), "GIFT": ("gift", {}), "KL (T=20) × T²": ("kl", {"t2_scale": True})}
OPTIMIZER_NAMES = {"sgd": "SGD", "adam": "Adam", "adamw": "AdamW"}
_PAPER_SETTING = {"KL (T=20)": "baseline", "GIFT": "gift"}
_PAPER_OPT_COLUMNS = ((5, "CIFAR-100", "ConvNet"), (5, "Tiny-ImageNet", "ConvNet"), (12, "ImageNet-1K", "ConvNet"),
                      (12, "ImageNet-1K", "ResNet-18"))


def chapter_settings(profile) -> dict:
    """The chapter's settings for ``profile``: ``xarch_methods`` (the profile's ``student_sets``),
    ``opt_methods``, ``grad_batches``, ``brief_steps``."""
    p = get_profile(profile)
    if p.name not in SETTINGS:
        raise ValueError(f"unknown profile {p.name!r}; valid profiles are: {', '.join(SETTINGS)}")
    return {"xarch_methods": tuple(p.student_sets), **SETTINGS[p.name]}


def _paper_cell(**filters) -> str:
    rows = paper_rows(**filters)
    return f"{rows[0]['mean']:.1f} ± {rows[0]['std']:.1f}" if len(rows) == 1 else "—"


# ------------------------------------------------------------------------------ cross-architecture

def cross_architecture(ex, methods) -> dict:
    """(method, student, loss) -> result: each set scored by each student of the profile with the
    method's own loss and with GIFT (None: not computed)."""
    return {(m, student, loss): ex.evaluate(m, ex.profile.student_ipc, loss=loss, **model_kw)
            for m in methods for student, model_kw in ex.profile.students.items() for loss in (OWN_LOSS[m], "gift")}


def cross_architecture_table(ex, xarch: dict, methods) -> str:
    rows = []
    for m in methods:
        for student in ex.profile.students:
            base, ours = xarch[m, student, OWN_LOSS[m]], xarch[m, student, "gift"]
            delta = as_row(ours)["best"] - as_row(base)["best"]
            pm = dict(table=4, dataset="Tiny-ImageNet", eval_model=PAPER_MODEL.get(student),
                      distill_method=METHOD_NAME[m], note="distilled on ConvNet")
            rows.append([METHOD_NAME[m], student, fmt(base), fmt(ours), "—" if math.isnan(delta) else f"{delta:+.2f}",
                         _paper_cell(**pm, setting="baseline"), _paper_cell(**pm, setting="gift")])
    d = ex.profile.dataset
    return markdown_table(["method", "student", f"own loss ({d})", f"GIFT ({d})", "Δ",
                           "paper own loss (Tiny-ImageNet)", "paper GIFT (Tiny-ImageNet)"], rows)


def plot_cross_architecture(ex, xarch: dict, methods, chance: float):
    import matplotlib.pyplot as plt

    students = list(ex.profile.students)
    fig, axes = plt.subplots(1, len(methods), figsize=(4.2 * len(methods), 3.4), squeeze=False, sharey=True)
    for ax, m in zip(axes[0], methods):
        x = np.arange(len(students))
        for j, (loss, label) in enumerate(((OWN_LOSS[m], f"own loss ({OWN_LOSS[m]})"), ("gift", "GIFT"))):
            vals = [as_row(xarch[m, s, loss]) for s in students]
            ax.bar(x + (j - 0.5) * 0.38, [v["best"] for v in vals], 0.38, yerr=[v["best_std"] for v in vals],
                   label=label, capsize=3, color=loss_color(loss))
        ax.axhline(chance, color="grey", linestyle=":", linewidth=1, label="chance")
        ax.set_xticks(x, students, fontsize=8)
        ax.set_title(f"{METHOD_NAME[m]}, IPC {ex.profile.student_ipc}")
        ax.set_ylabel("test accuracy (%)")
    axes[0][0].legend(fontsize=8)
    fig.tight_layout()
    return fig


def budget_numbers(ex) -> dict:
    """Which students run at the profile's epochs and which at a shorter budget, and the IPC they
    learn from (for the prose)."""
    p = ex.profile
    short = {name: p.short_budget[kw["model"]] for name, kw in p.students.items()
             if kw.get("model") in p.short_budget}
    return {
        "epochs": p.epochs,
        "short_students": (", ".join(f"{name} ({e} epochs)" for name, e in short.items())
                           if short else "none: every student runs the profile's epochs"),
        "large_seed_minutes": projected_seed_minutes(ex.store, p),
        "student_ipc": p.student_ipc,
    }


# ------------------------------------------------------------------------------ cross-optimizer

def cross_optimizer(ex, methods) -> dict:
    """(method, optimizer, loss label) -> result for every optimizer and loss of the chapter."""
    return {(m, opt, label): ex.evaluate(m, IPC, loss=loss, loss_kwargs=kw, optimizer=opt)
            for m in methods for opt in OPTIMIZER_NAMES for label, (loss, kw) in CROSS_OPT_LOSSES.items()}


def cross_optimizer_table(ex, xopt: dict, methods) -> str:
    rows = []
    for m in methods:
        for label in CROSS_OPT_LOSSES:
            setting = _PAPER_SETTING.get(label)
            for opt, oname in OPTIMIZER_NAMES.items():
                pm = dict(distill_method=METHOD_NAME[m], setting=f"{setting}/{oname}") if setting else None
                paper = [_paper_cell(table=t, dataset=d, eval_model=e, **pm) if pm else "—"
                         for t, d, e in _PAPER_OPT_COLUMNS]
                rows.append([METHOD_NAME[m], label, oname, fmt(xopt[m, opt, label])] + paper)
    return markdown_table(["method", "loss", "optimizer", f"ours ({ex.profile.dataset}, ConvNet-3)", "paper CIFAR-100",
                           "paper Tiny-ImageNet", "paper ImageNet-1K ConvNet", "paper ImageNet-1K ResNet-18"], rows)


def plot_cross_optimizer(xopt: dict, methods, chance: float):
    import matplotlib.pyplot as plt

    colors = {"KL (T=20)": loss_color("kl"), "GIFT": loss_color("gift"), "KL (T=20) × T²": "#9edae5"}
    fig, axes = plt.subplots(1, len(methods), figsize=(5.2 * len(methods), 3.4), squeeze=False, sharey=True)
    for ax, m in zip(axes[0], methods):
        x = np.arange(len(OPTIMIZER_NAMES))
        width = 0.8 / len(CROSS_OPT_LOSSES)
        for j, label in enumerate(CROSS_OPT_LOSSES):
            vals = [as_row(xopt[m, opt, label]) for opt in OPTIMIZER_NAMES]
            ax.bar(x + (j - (len(CROSS_OPT_LOSSES) - 1) / 2) * width, [v["best"] for v in vals], width,
                   yerr=[v["best_std"] for v in vals], label=label, capsize=3, color=colors[label])
        ax.axhline(chance, color="grey", linestyle=":", linewidth=1)
        ax.set_xticks(x, list(OPTIMIZER_NAMES.values()))
        ax.set_title(f"{METHOD_NAME[m]}, IPC {IPC}, ConvNet-3")
        ax.set_ylabel("test accuracy (%)")
    axes[0][0].legend(fontsize=8)
    fig.tight_layout()
    return fig


def paper_collapse_numbers() -> dict:
    """The paper's RDED CIFAR-100 numbers behind its cross-optimizer claim (Table 5), for the prose."""
    out = {}
    for setting, key in (("baseline", "kl"), ("gift", "gift")):
        for oname in OPTIMIZER_NAMES.values():
            rows = paper_rows(table=5, dataset="CIFAR-100", eval_model="ConvNet", distill_method="RDED",
                              setting=f"{setting}/{oname}")
            out[f"paper_{key}_{oname.lower()}"] = f"{rows[0]['mean']:.1f}" if len(rows) == 1 else "—"
    for dataset, key in (("Tiny-ImageNet", "tiny"), ("ImageNet-1K", "in1k")):
        rows = paper_rows(table=5 if key == "tiny" else 12, dataset=dataset, eval_model="ConvNet",
                          distill_method="RDED", setting="baseline/Adam")
        out[f"paper_kl_adam_{key}"] = f"{rows[0]['mean']:.1f}" if len(rows) == 1 else "—"
    return out


# ------------------------------------------------------------------------------ gradient scales

def measure_gradients(ex, cfg: dict, seed: int):
    """The gradient-scale measurement of the RDED IPC-10 set (recorded in the store; None when it is
    not recorded and this machine lacks the data)."""
    from ..evaluation import make_train_tensors
    from .gradients import gradient_scales

    def measure() -> dict:
        real = ex.distilled("rded", IPC)
        real = real.materialize() if hasattr(real, "materialize") else real
        data = make_train_tensors(real, ex.test.mean, ex.test.std)
        return gradient_scales(ex.teacher(), data.images, data.labels, data.num_classes, model=ex.profile.model,
                               model_kwargs=ex.profile.model_kwargs, brief_steps=cfg["brief_steps"],
                               grad_batches=cfg["grad_batches"], seed=seed)

    return ex.measurement("gradient scales", {"set": "rded", "ipc": IPC, "brief_steps": cfg["brief_steps"],
                                              "grad_batches": cfg["grad_batches"], "seed": seed, "version": 2}, measure)


def _grads(G) -> dict:
    return {tuple(k.split("|")): v for k, v in G["rows"].items()}


def gradient_table(G) -> str:
    """The measured scales, one row per (student state, loss), and a line on what was measured."""
    if G is None:
        return "The gradient measurements are not recorded, and this machine lacks the data to make them."
    sgd, adam = OPTIMIZERS.get("sgd"), OPTIMIZERS.get("adam")
    table = markdown_table(
        ["student", "loss", "‖z‖", "‖∂L/∂z‖", "‖∇θL‖", "noise", "SGD step",
         "Adam's decay as AdamW λ (all / scale-sensitive)", "decay-dominated % (all / scale-sensitive)"],
        [[st, name, f"{r['logit_norm']:.2f}", f"{r['logit_grad']:.2e}", f"{r['param_grad']:.2e}", f"{r['noise']:.2f}",
          f"{r['sgd_step']:.1e}", f"{r['adam_wd_eff']:.1e} / {r['adam_wd_eff_sensitive']:.1e}",
          f"{r['dominated_pct']:.1f} / {r['dominated_pct_sensitive']:.1f}"] for (st, name), r in _grads(G).items()])
    return (f"{table}\n\n{G['grad_batches']} batches of {G['batch_size']} images; scale-sensitive weights: "
            f"{100 * G['sensitive_share']:.1f}% of the parameters; SGD lr {sgd.lr:g}; Adam lr {adam.lr:g}, "
            f"weight decay {adam.weight_decay:g}.")


def plot_gradient_scales(G):
    import matplotlib.pyplot as plt

    sgd, adam, adamw = (OPTIMIZERS.get(o) for o in ("sgd", "adam", "adamw"))
    names = list(GRAD_LOSSES)
    states, grads = (G["states"], _grads(G)) if G is not None else ([], {})
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    x = np.arange(len(names))
    for j, state in enumerate(states):
        axes[0].bar(x + (j - 0.5) * 0.38, [grads[state, n]["param_grad"] for n in names], 0.38, label=state)
        axes[1].bar(x + (j - 0.5) * 0.38, [grads[state, n]["adam_wd_eff"] for n in names], 0.38, label=state)
    theta_norm = G["theta_norm"] if G is not None else 1.0
    axes[0].axhline(sgd.weight_decay * theta_norm, color="black", linestyle="--", linewidth=1, label="SGD decay ‖λθ‖")
    axes[0].axhline(adam.weight_decay * theta_norm, color="grey", linestyle="--", linewidth=1, label="Adam decay ‖λθ‖")
    axes[1].axhline(adamw.weight_decay, color="black", linestyle=":", linewidth=1, label="AdamW λ")
    for ax, title in zip(axes, ("‖∇θ L‖ (all parameters)", "Adam's coupled decay as an AdamW weight decay")):
        ax.set_yscale("log")
        ax.set_xticks(x, names)
        ax.set_title(title, fontsize=10)
    lo, hi = axes[0].get_ylim()
    axes[0].set_ylim(lo, hi * 30)  # room for the legend above the bars
    axes[0].legend(fontsize=7, ncol=2)
    axes[1].legend(fontsize=7)
    fig.tight_layout()
    return fig


GRADIENT_KEYS = ("g{i}_state", "g{i}_kl_vs_ce", "g{i}_kl_vs_gift", "g{i}_sgd_kl", "g{i}_sgd_gift", "g{i}_wd_kl",
                 "g{i}_shrink_kl", "g{i}_dominated_kl", "g{i}_wd_gift", "g{i}_shrink_gift", "g{i}_dominated_gift",
                 "g{i}_noise_kl", "g{i}_noise_gift", "g{i}_noise_ce", "g{i}_noisiest")


def gradient_numbers(G) -> dict:
    """Every number the chapter's text quotes from the gradient measurement, formatted (all "n/a"
    when it is not recorded): per student state ``g0_*`` (fresh) and ``g1_*`` (after a few steps),
    then the KL×T² factor, the noise and size spans, GIFT's 1/‖z‖ law and the decay on the
    scale-sensitive weights."""
    keys = [k.format(i=i) for i in (0, 1) for k in GRADIENT_KEYS] + [
        "g_T2", "g_t2_factor", "g_t2_vs_ce", "g_t2_wd", "g_noise_span", "g_size_span", "g_what_sets_kl_apart",
        "g_zn0", "g_zn1", "g_zn_ratio", "g_gz0", "g_gz1", "g_gz_ratio", "g_sensitive_share",
        *(k.format(i=i) for i in (0, 1) for k in ("g{i}_wd_kl_sensitive", "g{i}_dominated_kl_sensitive",
                                                   "g{i}_wd_gift_sensitive"))]
    if G is None:
        return dict.fromkeys(keys, "n/a")
    states, grads = G["states"], _grads(G)
    out = {}
    for i, state in enumerate(states[:2]):
        g = {name: grads[state, name] for name in GRAD_LOSSES}
        noise = {n: g[n]["noise"] for n in GRAD_LOSSES}
        out.update({
            f"g{i}_state": state,
            f"g{i}_kl_vs_ce": f"{g['ce']['param_grad'] / g['kl']['param_grad']:.0f}",
            f"g{i}_kl_vs_gift": f"{g['gift']['param_grad'] / g['kl']['param_grad']:.0f}",
            f"g{i}_sgd_kl": f"{g['kl']['sgd_step']:.1e}", f"g{i}_sgd_gift": f"{g['gift']['sgd_step']:.1e}",
            f"g{i}_wd_kl": f"{g['kl']['adam_wd_eff']:.2g}", f"g{i}_shrink_kl": f"{g['kl']['adam_shrink_pct']:.2g}",
            f"g{i}_dominated_kl": f"{g['kl']['dominated_pct']:.0f}",
            f"g{i}_wd_gift": f"{g['gift']['adam_wd_eff']:.2g}", f"g{i}_shrink_gift": f"{g['gift']['adam_shrink_pct']:.2g}",
            f"g{i}_dominated_gift": f"{g['gift']['dominated_pct']:.1f}",
            f"g{i}_noise_kl": f"{noise['kl']:.2f}", f"g{i}_noise_gift": f"{noise['gift']:.2f}",
            f"g{i}_noise_ce": f"{noise['ce']:.2f}", f"g{i}_noisiest": _noisiest(noise),
        })
    f_kl, f_t2, f_ce = (grads[states[0], n] for n in ("kl", "kl × T²", "ce"))
    noise = {k: r["noise"] for k, r in grads.items()}
    size = {k: r["param_grad"] for k, r in grads.items()}
    noise_span = max(max(noise[s, n] for n in GRAD_LOSSES) / min(noise[s, n] for n in GRAD_LOSSES) for s in states)
    size_span = max(max(size[s, n] for n in GRAD_LOSSES) / min(size[s, n] for n in GRAD_LOSSES) for s in states)
    g0, g1 = grads[states[0], "gift"], grads[states[1], "gift"]
    out.update({
        "g_T2": f"{G['kl_T'] ** 2:.0f}", "g_t2_factor": f"{f_t2['param_grad'] / f_kl['param_grad']:.0f}",
        "g_t2_vs_ce": f"{f_t2['param_grad'] / f_ce['param_grad']:.2f}", "g_t2_wd": f"{f_t2['adam_wd_eff']:.2g}",
        "g_noise_span": f"{noise_span:.1f}", "g_size_span": f"{size_span:.0f}",
        "g_what_sets_kl_apart": ("the size, not the variance, is what sets KL apart (not the paper's \"high gradient variance\")" if size_span > 10 * noise_span
                                 else "size and variance differ by comparable factors"),
        "g_zn0": f"{g0['logit_norm']:.1f}", "g_zn1": f"{g1['logit_norm']:.1f}",
        "g_zn_ratio": f"{g1['logit_norm'] / g0['logit_norm']:.1f}", "g_gz0": f"{g0['logit_grad']:.2e}",
        "g_gz1": f"{g1['logit_grad']:.2e}", "g_gz_ratio": f"{g0['logit_grad'] / g1['logit_grad']:.1f}",
        "g_sensitive_share": f"{100 * G['sensitive_share']:.1f}",
    })
    for i, state in enumerate(states[:2]):  # the decay on the scale-sensitive weights, per student state
        kl, gift = grads[state, "kl"], grads[state, "gift"]
        out.update({f"g{i}_wd_kl_sensitive": f"{kl['adam_wd_eff_sensitive']:.2g}",
                    f"g{i}_dominated_kl_sensitive": f"{kl['dominated_pct_sensitive']:.0f}",
                    f"g{i}_wd_gift_sensitive": f"{gift['adam_wd_eff_sensitive']:.2g}"})
    return out


# ------------------------------------------------------------------------------ verdict

def _noisiest(noise: dict) -> str:
    """The loss(es) with the highest scale-free noise, as printed (ties at two decimals named together)."""
    top = f"{max(noise.values()):.2f}"
    return " and ".join(L for L in GRAD_LOSSES if f"{noise[L]:.2f}" == top)


def claims(checklist) -> list:
    """The chapter's five claims, in the order its verdict discusses them."""
    return [checklist.kl_collapses(), checklist.avoids_collapse(), checklist.scale_explains_collapse(),
            checklist.sgd_adam_beat_adamw(), checklist.cross_architecture()]


PAPER_CHANCE = 1.0  # chance on the paper's CIFAR-100 rows (100 classes), in %


def paper_collapse_share(optimizer: str) -> float:
    """:func:`collapse_share` of the paper's KL on RDED CIFAR-100 IPC 10 (Table 5), nan when absent."""
    def kl(o: str) -> float:
        rows = paper_rows(table=5, dataset="CIFAR-100", eval_model="ConvNet", distill_method="RDED",
                          setting=f"baseline/{OPTIMIZER_NAMES[o]}")
        return float(rows[0]["mean"]) if len(rows) == 1 else math.nan

    return collapse_share(kl(optimizer), kl("adamw"), PAPER_CHANCE)


def collapse_reading(comparison, chance: float, paper_share: float = math.nan) -> str:
    """Whether the authors' KL collapses under an optimizer, from KL there against KL under AdamW.
    Only a loss by the book's rule can be a collapse; how large a collapse is is the share of the way
    from AdamW's accuracy to chance that it falls (:func:`collapse_share`), put beside the paper's
    share for the same optimizer: at least :data:`TO_CHANCE_SHARE` is a collapse to chance, another
    collapse (:func:`is_collapse`) a partial one, a smaller loss a drop."""
    if not comparison.available:
        return "not computed yet, so this page cannot say whether it reproduces"
    head = f"{comparison.mean:.2f} % against {comparison.base_mean:.2f} % with AdamW, {comparison.difference()}"
    if comparison.outcome != LOSS:
        return f"{head}: the collapse does not reproduce"
    share = collapse_share(comparison.mean, comparison.base_mean, chance)
    fell = f"it falls {100 * share:.0f} % of the way from AdamW's accuracy to chance ({chance:.0f} %)"
    if not math.isnan(paper_share):
        fell += f"; the paper's KL falls {100 * paper_share:.0f} % of it (RDED, CIFAR-100, Table 5)"
    if share >= TO_CHANCE_SHARE:
        return f"{head}: the collapse reproduces, down to chance: {fell}"
    if is_collapse(comparison, share):
        return f"{head}: a partial collapse: {fell}"
    return f"{head}: a drop beyond noise, not a collapse: {fell}"


def _optimizer_of(comparison) -> str:
    """The optimizer a checklist comparison is about (its label reads ``"rded, sgd: ..."``), by
    display name; the label itself when it names none."""
    return next((name for key, name in OPTIMIZER_NAMES.items() if f", {key}:" in comparison.label), comparison.label)


def control_reading(control, adamw_mean: float = math.nan) -> str:
    """What the KL×T² control (KL×T² against the authors' KL where KL collapses, only the gradient
    scale differing) says about the cause of the collapse, with KL×T²'s accuracy under each optimizer
    next to KL's under AdamW (``adamw_mean``): how much of the fall the restored scale recovers."""
    made = [c for c in control.comparisons if c.available]
    if not control.comparisons:
        return "KL collapses under no optimizer here, so there is no collapse whose cause the control could test"
    if not made:
        return ("its runs are not computed yet, so the page cannot yet say whether a collapse would be a property of "
                "the loss or of its 1/T² gradient scale")
    optimizers = " and ".join(_optimizer_of(c) for c in made)
    reached = listing(f"{c.mean:.2f} % under {_optimizer_of(c)}" for c in made)
    against = f", against {adamw_mean:.2f} % for KL under AdamW" if not math.isnan(adamw_mean) else ""
    outcomes = {c.outcome for c in made}
    if outcomes == {WIN}:
        how_much = "all" if all(c.mean >= adamw_mean for c in made) else "most"
        return (f"KL×T² beats the authors' KL under {optimizers}: restoring the gradient scale recovers {how_much} of "
                f"the fall (KL×T² reaches {reached}{against}), so the collapse is a property of the 1/T² scale, not "
                "of the KL loss")
    if WIN not in outcomes:
        return (f"the T² factor does not improve KL beyond noise under {optimizers}: the gradient scale is not what "
                "fails")
    return "the T² factor matters under some optimizers and not under others: " + listing(short(c) for c in made)


def t2_comparison(xopt: dict, optimizer: str, method: str = "rded"):
    """KL×T² against the authors' KL under one optimizer (only the gradient scale differs)."""
    return compare(t2_label(method, optimizer),
                   xopt[method, optimizer, "KL (T=20) × T²"], xopt[method, optimizer, "KL (T=20)"])


def adam_decay_reading(adam) -> str:
    """What KL×T² against KL under Adam (``adam``, :func:`t2_comparison`) says about coupled weight
    decay: Adam's step is invariant to the loss scale except through its coupled decay (and its ε),
    so this comparison is the direct test of the decay explanation, whether or not KL collapses
    under Adam (the control claim counts it only where it does)."""
    if not adam.available:
        return "its runs are not computed yet."
    if adam.outcome == WIN:
        return (f"KL×T² beats KL under Adam ({adam.difference()}), so the loss scale does act under Adam, through the "
                "coupled decay or ε (the runs cannot tell the two apart); what it costs here is the Adam row's drop "
                "above.")
    return (f"KL×T² does not beat KL under Adam ({adam.difference()}): the decay does not change the result "
            "measurably here.")


def gift_vs_scaled_kl(xopt: dict, method: str = "rded") -> str:
    """GIFT against KL×T² under SGD and Adam (the rule's reading of each): whether GIFT gives more than
    the gradient scale that KL×T² restores."""
    return listing(f"under {OPTIMIZER_NAMES[o]}, " + compare(f"GIFT vs KL×T², {o}", xopt[method, o, "GIFT"],
                                                              xopt[method, o, "KL (T=20) × T²"]).difference()
                   for o in ("sgd", "adam"))


def verdict_numbers(claim_list, xopt: dict, chance: float, method: str = "rded") -> dict:
    """The verdict paragraph's numbers: each claim's verdict, what the control says, and whether the
    authors' KL collapses under SGD and Adam."""
    collapses, avoids, control, sgd_adam, xarch = claim_list
    kl = {o: xopt[method, o, "KL (T=20)"] for o in OPTIMIZER_NAMES}
    return {
        "v_collapses": collapses.verdict_label(evidence=True), "v_avoids": avoids.verdict_label(evidence=True),
        "v_control": control.verdict_label(evidence=True), "v_sgd_adam": sgd_adam.verdict_label(evidence=True), "v_xarch": xarch.verdict_label(evidence=True),
        "control_reading": control_reading(control, as_row(kl["adamw"])["best"]),
        "adam_decay_reading": adam_decay_reading(t2_comparison(xopt, "adam", method)),
        "gift_vs_scaled_kl": gift_vs_scaled_kl(xopt, method),
        **{f"collapse_{o}": collapse_reading(compare(f"KL, {OPTIMIZER_NAMES[o]} vs AdamW", kl[o], kl["adamw"]), chance,
                                             paper_collapse_share(o)) for o in ("sgd", "adam")},
        "chance": f"{chance:.0f}",
    }


def status_numbers(xarch: dict, xopt: dict) -> dict:
    """How many of each table's evaluations are recorded; the page total counts a run shown in both
    tables (ConvNet-3 under AdamW) once."""
    n_xa, t_xa = count_computed(xarch.values())
    n_xo, t_xo = count_computed(xopt.values())
    computed = {seed_values(r) for r in (*xarch.values(), *xopt.values()) if r is not None}
    missing = sum(r is None for r in (*xarch.values(), *xopt.values()))
    return {"xopt_computed": f"{n_xo} of {t_xo}",
            "xarch_recorded": recorded(n_xa, t_xa, "evaluations of this table"),
            "all_recorded": recorded(len(computed), len(computed) + missing, "evaluations of this page",
                                     "count neither for nor against the paper")}


__all__ = ["CROSS_OPT_LOSSES", "IPC", "METHOD_NAME", "OPTIMIZER_NAMES", "SETTINGS", "budget_numbers", "chapter_settings",
           "adam_decay_reading", "claims", "collapse_reading", "collapse_share", "control_reading", "gift_vs_scaled_kl",
           "paper_collapse_share", "t2_comparison", "cross_architecture", "cross_architecture_table",
           "cross_optimizer", "cross_optimizer_table", "gradient_numbers", "gradient_table", "measure_gradients",
           "paper_collapse_numbers", "plot_cross_architecture", "plot_cross_optimizer", "plot_gradient_scales",
           "status_numbers", "verdict_numbers"]
