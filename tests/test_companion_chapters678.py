"""The companion layer of chapters 6-8 (generalization, continual learning, ablations): tables,
figures and the numbers glued into their prose, on stand-in results (no data, no training)."""
import math
from types import SimpleNamespace

import pytest

from gift.companion import ablations as ab
from gift.companion import continual_learning as cl
from gift.companion import generalization as gen
from gift.companion import get_profile
from gift.companion.claims import Claim
from gift.companion.experiment import Experiment
from gift.stats import Comparison


def result(mean, seeds=5, spread=0.1):
    runs = [{"best": mean + spread * (s - seeds // 2), "final": mean, "seed": s} for s in range(seeds)]
    return SimpleNamespace(runs=runs, summary=lambda: {
        "best_mean": sum(r["best"] for r in runs) / seeds,
        "best_std": math.sqrt(sum((r["best"] - mean) ** 2 for r in runs) / seeds),
        "final_mean": mean, "final_std": 0.0})


class FakeExperiment:
    """Answers every evaluation from a rule (None = not computed) and records the calls."""
    num_classes = 10  # CIFAR-10

    def __init__(self, rule, profile="companion"):
        self.profile, self.rule, self.calls = get_profile(profile), rule, []

    def evaluate(self, method, ipc, **kw):
        self.calls.append((method, ipc, kw))
        return self.rule(method, kw)


# ------------------------------------------------------------------------------ prose helpers

def test_clause_and_verdict_with_evidence_say_not_computed():
    assert Comparison("x").difference() == "not computed"
    c = Comparison("x", (61.0, 61.2, 61.1), (60.0, 60.1, 60.2))
    assert c.difference().startswith("+1.00 points [") and c.outcome in c.difference()
    assert Claim("c", "06", [Comparison("a"), Comparison("b")]).verdict_label(evidence=True) == \
        "pending (its 2 comparisons are not computed yet)"
    assert Claim("c", "06", []).verdict_label(evidence=True).endswith("(no comparison of it is made in this profile)")
    assert Claim("c", "06", [c], short_budget=True).verdict_label(evidence=True) == \
        "supported (short budget; 1 win, 0 ties, 0 losses of 1)"
    partial = Claim("c", "06", [c, Comparison("b")], short_budget=True)
    # one bracket, one order of qualifiers, in a table cell and in prose alike
    assert partial.verdict_label() == "supported (short budget; provisional, 1 of 2 computed)"
    assert partial.verdict_label(evidence=True) == \
        "supported (short budget; provisional; 1 win, 0 ties, 0 losses of 1; 1 not computed)"


# ------------------------------------------------------------------------------ chapter 6

def test_chapter6_settings_and_the_paper_dry_run_scoring_one_set():
    assert gen.chapter_settings("companion")["xarch_methods"] == ("rded", "sre2l")
    with pytest.raises(ValueError):
        gen.chapter_settings("nope")
    from gift.companion.dryrun import dry_run

    with dry_run("paper"):
        cfg = gen.chapter_settings("paper")
    assert cfg["xarch_methods"] == ("rded",) and cfg["opt_methods"] == ("rded", "sre2l")
    assert gen.chapter_settings("paper")["xarch_methods"] == ("rded", "sre2l")


def test_cross_architecture_and_optimizer_tables_show_missing_runs():
    ex = FakeExperiment(lambda m, kw: result(60.0 + (kw["loss"] == "gift")) if "model" not in kw else None)
    xarch = gen.cross_architecture(ex, ("rded",))
    assert len(xarch) == 2 * len(ex.profile.students)
    table = gen.cross_architecture_table(ex, xarch, ("rded",))
    assert "| RDED | ConvNet-3 | 60.00 ± 0.14 | 61.00 ± 0.14 | +1.00 |" in table and "not computed" in table
    xopt = gen.cross_optimizer(ex, ("rded",))
    assert set(xopt) == {("rded", o, L) for o in gen.OPTIMIZER_NAMES for L in gen.CROSS_OPT_LOSSES}
    assert ("rded", 10, {"loss": "kl", "loss_kwargs": {"t2_scale": True}, "optimizer": "sgd"}) in ex.calls
    assert "| RDED | KL (T=20) | SGD | 60.00 ± 0.14 | 1.9 ± 0.0 |" in gen.cross_optimizer_table(ex, xopt, ("rded",))
    status = gen.status_numbers(xarch, xopt)
    assert status["xarch_recorded"].startswith(f"2 of the {len(xarch)} evaluations of this table are in the store;")
    assert status["all_recorded"].endswith("count neither for nor against the paper.")


def test_collapse_reading_uses_the_rule_and_chance():
    assert "not computed" in gen.collapse_reading(Comparison("x"), 10.0)
    tie = Comparison("x", (55.0, 55.3, 54.8), (55.1, 55.0, 55.2))
    assert tie.outcome == "tie" and gen.collapse_reading(tie, 10.0).endswith("the collapse does not reproduce")
    fall = Comparison("x", (12.0, 12.5, 11.8), (55.1, 55.0, 55.2))
    assert "down to chance" in gen.collapse_reading(fall, 10.0)
    partial = Comparison("x", (30.0, 30.5, 29.8), (65.1, 65.0, 65.2))  # 64 % of the way to chance
    text = gen.collapse_reading(partial, 10.0, paper_share=0.98)
    assert "a partial collapse" in text and "64 % of the way" in text and "the paper's KL falls 98 %" in text
    drop = Comparison("x", (52.0, 52.5, 51.8), (55.1, 55.0, 55.2))
    assert "not a collapse" in gen.collapse_reading(drop, 10.0)


def test_adam_decay_reading_follows_kl_t2_against_kl_under_adam():
    helped = Comparison("rded, adam: kl x T^2 vs kl", (64.6, 64.8, 64.7), (62.0, 62.2, 62.1))
    same = Comparison("rded, adam: kl x T^2 vs kl", (64.6, 64.8, 64.7), (64.6, 64.9, 64.7))
    assert "does act under Adam" in gen.adam_decay_reading(helped)
    assert "does not change the result" in gen.adam_decay_reading(same)
    assert "not computed" in gen.adam_decay_reading(Comparison("rded, adam: kl x T^2 vs kl"))


def test_the_paper_collapse_shares_come_from_table_5():
    # RDED CIFAR-100 IPC 10, KL: SGD 1.9, Adam 17.8, AdamW 47.5; chance 1 %
    assert gen.paper_collapse_share("sgd") == pytest.approx((47.5 - 1.9) / 46.5)
    assert gen.paper_collapse_share("adam") == pytest.approx((47.5 - 17.8) / 46.5)


def test_control_reading_follows_the_control_claim():
    """The control is KL x T^2 (method) against the authors' KL (baseline): a win says the scale explains it."""
    win = Comparison("w", (61.0, 61.2, 61.1), (60.0, 60.1, 60.2))
    loss = Comparison("l", (60.0, 60.1, 60.2), (61.0, 61.2, 61.1))
    tie = Comparison("t", (60.0, 60.3, 60.1), (60.1, 60.0, 60.2))
    assert "not computed" in gen.control_reading(Claim("c", "06", [Comparison("a")]))
    assert "collapses under no optimizer" in gen.control_reading(Claim("c", "06", []))
    sgd = Comparison("rded, sgd: kl x T^2 vs kl", win.values, win.base_values)
    text = gen.control_reading(Claim("c", "06", [sgd]), adamw_mean=61.5)
    assert "property of the 1/T² scale" in text and "recovers most of the fall" in text
    assert "KL×T² reaches 61.10 % under SGD, against 61.50 % for KL under AdamW" in text
    assert "not what fails" in gen.control_reading(Claim("c", "06", [loss, tie]))
    assert "some optimizers and not under others" in gen.control_reading(Claim("c", "06", [win, tie]))


def test_gradient_numbers_quote_the_measurement_or_say_na():
    assert set(gen.gradient_numbers(None).values()) == {"n/a"}
    assert "not recorded" in gen.gradient_table(None)
    row = {"logit_norm": 1.0, "logit_grad": 0.1, "param_grad": 5.0, "noise": 1.0, "sgd_step": 1e-3,
           "adam_wd_eff": 0.01, "adam_wd_eff_sensitive": 0.001, "dominated_pct": 0.1, "dominated_pct_sensitive": 0.0,
           "adam_shrink_pct": 0.1}
    rows = {}
    for state, zn in (("fresh", 1.0), ("after 3 steps", 4.0)):
        for name in gen.GRAD_LOSSES:
            scale = {"kl": 1 / 400, "kl × T²": 1.0}.get(name, 1.0)
            rows[f"{state}|{name}"] = {**row, "param_grad": 5.0 * scale, "logit_norm": zn, "logit_grad": 0.1 / zn}
    G = {"states": ["fresh", "after 3 steps"], "rows": rows, "kl_T": 20.0, "sensitive_share": 0.05,
         "grad_batches": 2, "batch_size": 10, "theta_norm": 3.0}
    numbers = gen.gradient_numbers(G)
    assert set(numbers) == set(gen.gradient_numbers(None))
    assert numbers["g0_kl_vs_ce"] == "400" and numbers["g_t2_factor"] == "400" and numbers["g_T2"] == "400"
    assert numbers["g_zn_ratio"] == "4.0" and numbers["g_gz_ratio"] == "4.0"
    assert numbers["g_what_sets_kl_apart"].startswith("the size, not the variance")
    assert "| fresh | kl |" in gen.gradient_table(G)


def test_chapter6_figures_draw_with_missing_runs():
    import matplotlib

    matplotlib.use("Agg")
    ex = FakeExperiment(lambda m, kw: None)
    xarch, xopt = gen.cross_architecture(ex, ("rded", "sre2l")), gen.cross_optimizer(ex, ("rded",))
    assert gen.plot_cross_architecture(ex, xarch, ("rded", "sre2l"), 10.0).axes
    assert gen.plot_cross_optimizer(xopt, ("rded",), 10.0).axes
    assert gen.plot_gradient_scales(None).axes


# ------------------------------------------------------------------------------ chapter 7

def _steps(n, runs):
    classes = list(range(10))
    per = 10 // n
    return [{"step": k + 1, "new_classes": classes[k * per:(k + 1) * per], "seen": classes[:(k + 1) * per],
             "num_images": 10 * per * (k + 1), "num_test": 1000 * per * (k + 1), "trivial": per * (k + 1) == 1,
             "runs": [] if per * (k + 1) == 1 else runs(k)} for k in range(n)]


def test_continual_tables_comparisons_and_prose():
    summary = {f"{loss}|{n}": _steps(n, lambda k, b=base: [{"seed": s, "best": b - k + 0.1 * s, "final": b}
                                                           for s in range(3)])
               for loss, base in (("kl", 80.0), ("gift", 81.0)) for n in cl.SCHEDULES}
    # every 5-step step sees the classes of a 10-step step: one training, counted once (2 losses x 9 x 3 seeds)
    assert len(cl.provenance_results(summary, {})[0].runs) == 2 * 9 * 3
    comps = cl.comparisons(summary)
    assert len(comps[5]) == 5 and len(comps[10]) == 9  # the one-class step is not a comparison
    assert all(c.outcome == "win" for c in comps[10])
    table = cl.results_table(summary)
    assert "| 10-step | 1 | 1 | 100 (1 class) | 100 (1 class) | — |" in table and "+1.00 (win)" in table
    assert cl.split_lines(summary)[0] == "5-step schedule"
    full = {label: result(71.1 + (loss == "gift"), seeds=3) for label, loss in cl.LOSSES.items()}
    checks = cl.last_step_checks(summary, full)
    claims = cl.claims(summary)
    numbers = cl.prose_numbers(summary, claims, checks, 10)
    assert numbers["per_step_5"] == "2" and numbers["verdict_10"].startswith("supported (9 wins")
    assert numbers["widest_5"].startswith("with 2 classes seen (+1.00 points")
    empty = {k: [] for k in summary}
    assert cl.results_table(empty).startswith("No step is recorded")
    assert cl.prose_numbers(empty, cl.claims(empty), cl.last_step_checks(empty, full), 10)["widest_5"] == \
        "no step is computed yet"


# ------------------------------------------------------------------------------ chapter 8

def test_ablation_tables_and_prose_numbers():
    ex = FakeExperiment(lambda m, kw: result({"gift": 61.0, "kl": 60.0}[kw["loss"]])
                        if kw["loss"] in ("gift", "kl") and not kw.get("loss_kwargs", {}).get("gamma") in (0.0, 0.5)
                        else None)
    sets = ab.sets_of(ex, "companion")
    ablation, sweep = ab.runs(ex, sets)
    assert len(ablation) == 8 and len(sweep) == 2 * len(ex.profile.gammas)
    table = ab.ablation_table(ablation, sets, "companion")
    assert "| RDED | both (GIFT) | 61.00 ± 0.14 (+1.00) | 50.6 ± 0.3 (+3.1) |" in table
    assert "| SRe2L | refinement only | not computed |" in table
    assert "| 0.1 (paper default) | 61.00 ± 0.14 | 61.00 ± 0.14 |" in ab.gamma_table(sweep, sets, ex.profile.gammas)
    t6 = ab.table6_consistency()
    assert int(t6["t6_full_n"]) + int(t6["t6_loss_only_n"]) <= int(t6["t6_columns"])
    claims = [Claim("m", "08", [Comparison("a")]), Claim("g", "08", [])]
    numbers = ab.prose_numbers(ablation, sweep, sets, claims, "companion")
    assert numbers["gamma0_rded"].startswith("gamma = 0 or the cosine loss is not computed")
    assert numbers["gain_rded_cosine"] == "not computed"
    assert numbers["n_not_computed"] == str(len(numbers["not_computed"].split(", ")))
    smoke = ab.prose_numbers(ablation, sweep, ["rded"], claims, "smoke")
    assert smoke["gamma0_sre2l"] == "not in the smoke profile"


def test_the_gamma_table_measures_each_weight_against_the_gamma_01_run_of_its_own_precision():
    """Weights trained in fp32 are measured against the default GIFT run's fp32 twin (as the claim
    is), the cells name their precision, and the peak sentence uses the same matched arm."""
    def run(mean, precision):
        r = result(mean)
        for x in r.runs:
            x["precision"] = precision
        return r

    default, twin = run(64.18, "bf16"), run(64.26, "fp32")

    class Mixed(FakeExperiment):
        in_precision_of = Experiment.in_precision_of

        def stored(self, method, ipc, **kw):  # a fresh copy per lookup, as the store loads it
            return run(64.26, "fp32") if kw.get("precision") == "fp32" else None

    sweep = {("rded", 0.0): run(64.79, "fp32"), ("rded", 0.05): run(64.5, "fp32"), ("rded", 0.1): default,
             ("rded", 0.5): run(60.0, "bf16")}
    baselines = ab.gamma_baselines(Mixed(lambda m, kw: None), sweep, ["rded"])
    assert baselines["rded", 0.0].runs == twin.runs and baselines["rded", 0.5] is default
    assert baselines["rded", 0.0] is not baselines["rded", 0.05]
    table = ab.gamma_table(sweep, ["rded"], (0.0, 0.05, 0.1, 0.5), baselines)
    assert "| 0 | 64.79 ± 0.14, fp32 (+0.53) |" in table
    assert "| 0.1 (paper default) | 64.18 ± 0.14, bf16; 64.26 ± 0.14, fp32 |" in table
    assert "| 0.5 | 60.00 ± 0.14, bf16 (-4.18) |" in table and "same precision" in table
    assert "(+0.61)" in ab.gamma_table(sweep, ["rded"], (0.0, 0.1, 0.5))  # unmatched, as before
    peak = ab.gamma_peak(sweep, "rded", baselines)
    assert "not at the paper's 0.1 (64.26 ± 0.14); gamma = 0 minus gamma = 0.1: +0.53 points" in peak


def test_gamma_peak_says_where_the_sweep_peaks_and_whether_that_is_beyond_noise():
    sweep = {("rded", 0.0): None, ("rded", 0.05): result(61.3), ("rded", 0.1): result(61.0), ("rded", 0.2): result(59.0)}
    text = ab.gamma_peak(sweep, "rded")
    assert text.startswith("the highest mean of the 3 computed weights is at gamma = 0.05 (61.30 ± 0.14)")
    assert "not at the paper's 0.1 (61.00 ± 0.14)" in text and text.endswith("(win)")
    sweep["rded", 0.05] = result(60.0)
    assert ab.gamma_peak(sweep, "rded").endswith("is at gamma = 0.1, the paper's")
    assert ab.gamma_peak({("rded", 0.2): result(59.0)}, "rded") == "too few weights computed yet to say"
    assert ab.gamma_peak({("rded", 0.1): result(59.0), ("rded", 0.2): None}, "rded") == "too few weights computed yet to say"
    assert ab.gamma_peak({("rded", 0.2): None}, "rded") == "not computed yet"


def test_chapter8_figures_draw_with_missing_runs():
    import matplotlib

    matplotlib.use("Agg")
    ex = FakeExperiment(lambda m, kw: None)
    ablation, sweep = ab.runs(ex, ["rded"])
    assert ab.plot_ablation(ablation, ["rded"], "companion").axes
    assert ab.plot_gamma(sweep, ["rded"], list(ex.profile.gammas)).axes
