"""The protocol page's checks (gift.companion.sensitivity): each comparison is built once per
budget, a flip is an outcome change between computed arms only, and the precision and anchor
tables read the runs they name."""
import dataclasses
from types import SimpleNamespace

import pytest

from gift.companion import get_profile, sensitivity
from gift.stats import Comparison


class Store:
    """Stand-in experiment: accuracy per (loss, budget); GIFT's sign flips with the budget."""
    num_classes = 10  # CIFAR-10

    def __init__(self, epochs, missing=()):
        self.profile = SimpleNamespace(**{**vars(get_profile("companion")), "epochs": epochs})
        self.calls, self.missing = [], missing

    def set_available(self, method, ipc=10):
        return None

    def evaluate(self, method, ipc, **kw):
        self.calls.append((method, ipc, kw))
        if kw.get("loss") in self.missing or kw.get("precision") == "fp32":
            return None
        gift_up = 2.0 if self.profile.epochs == 300 else -2.0
        base = 60.0 + (gift_up if kw.get("loss") == "gift" and not kw.get("loss_kwargs") else 0.0)
        base += 10.0 if self.profile.epochs == 1000 else 0.0
        return Result([base + 0.1 * s for s in range(5)])


class Result(SimpleNamespace):
    def __init__(self, best):
        super().__init__(runs=[{"best": b, "final": b, "precision": "bf16"} for b in best])

    @property
    def precisions(self):
        return sorted({r["precision"] for r in self.runs})

    def summary(self):
        import statistics

        best = [r["best"] for r in self.runs]
        return {"best_mean": statistics.fmean(best), "best_std": statistics.pstdev(best)}


def test_budget_pairs_flag_the_flips_and_only_computed_ones():
    long, short = Store(1000), Store(300)
    pairs = sensitivity.budget_pairs(long, short, claims=("improves_every_method",))
    assert pairs and all(p.short.available for p in pairs)
    gift_vs_kl = [p for p in pairs if ": gift vs" in p.short.label]
    assert gift_vs_kl and all(p.changed for p in gift_vs_kl)  # win at 300, loss at 1000
    assert all(p.short.outcome == "win" and p.long.outcome == "loss" for p in gift_vs_kl)
    table = sensitivity.budget_table(pairs)
    assert table.count("**changes**") == len(gift_vs_kl) and table.startswith("| claim |")


def test_a_comparison_behind_several_claims_is_listed_once():
    long, short = Store(1000), Store(300)
    one = sensitivity.budget_pairs(long, short, claims=("improves_every_method",))
    both = sensitivity.budget_pairs(long, short, claims=("improves_every_method", "gift_best_loss"))
    runs = [(p.short.values, p.short.base_values) for p in both]
    assert len(runs) == len(set(runs))
    shared = [p for p in both if ";" in p.claim]  # e.g. rded IPC 10 gift vs kl: the main table and the loss grid
    assert shared and all(p.claim.startswith("GIFT improves every") for p in shared)
    assert len(both) < len(one) + len(sensitivity.budget_pairs(long, short, claims=("gift_best_loss",)))


def test_a_grid_extremes_pick_is_paired_by_set_when_each_budget_picks_other_losses():
    """The loss-choice comparison is the best against the worst loss of a set's grid; when the two
    budgets pick different losses it is still one comparison, and its row names both picks."""
    class Picks(Store):
        def evaluate(self, method, ipc, **kw):
            r = super().evaluate(method, ipc, **kw)
            best = "mse_ce" if self.profile.epochs == 300 else "mse"
            bump = {best: 5.0, "ce": -5.0}.get(kw.get("loss"), 0.0)
            return None if r is None else Result([x["best"] + bump for x in r.runs])

    pairs = [p for p in sensitivity.budget_pairs(Picks(1000), Picks(300), claims=("loss_choice",))
             if p.short.label.startswith("rded:")]
    assert len(pairs) == 1 and pairs[0].long.available and pairs[0].matched.available
    assert "mse_ce (best)" in pairs[0].short.label and "mse (best)" in pairs[0].long.label
    row = next(line for line in sensitivity.budget_table(pairs).splitlines() if "rded:" in line)
    assert "(at 1000 epochs: mse (best) vs ce (worst)" in row and "not computed yet" not in row


def test_a_missing_long_arm_is_never_a_flip():
    short = Comparison("x", (60.0, 60.1, 60.2), (59.0, 59.1, 59.2))
    long = Comparison("x", (), (61.0,))
    assert not sensitivity.BudgetPair("c", short, long, long).changed
    assert "not computed yet" in sensitivity.budget_table([sensitivity.BudgetPair("c", short, long, long)])
    assert sensitivity.budget_table([]) == "No 300-epoch run is in the store."


def test_a_row_whose_precision_moved_with_the_budget_says_so_and_is_counted_apart():
    """A 300-epoch arm in bf16 against a 1000-epoch twin in fp32 differs in two things; the table
    must not present its flip as the budget's alone."""
    short = Comparison("x", (60.0, 60.1, 60.2), (59.0, 59.1, 59.2), precisions=("bf16",))
    moved = Comparison("x", (60.0, 60.1, 60.2), (61.0, 61.1, 61.2), precisions=("fp32",))
    kept = dataclasses.replace(moved, precisions=("bf16",))
    pairs = [sensitivity.BudgetPair("c", short, moved, moved), sensitivity.BudgetPair("d", short, kept, kept)]
    assert pairs[0].precision_shift == "bf16 → fp32" and pairs[1].precision_shift == ""
    table = sensitivity.budget_table(pairs)
    assert "**changes**; precision also changes (bf16 → fp32)" in table
    assert table.count("precision also changes") == 1
    assert sensitivity.budget_counts(pairs) == {"budget_both": 2, "budget_changed": 2,
                                                "budget_changed_precision": 1, "budget_precision": 1}
    unrecorded = dataclasses.replace(moved, precisions=())
    assert sensitivity.BudgetPair("e", short, unrecorded, unrecorded).precision_shift == ""


def test_compare_keeps_every_precision_of_its_two_arms():
    from gift.stats import compare

    bf16, fp32 = Result([60.0, 61.0]), Result([60.0, 61.0])
    for r in fp32.runs:
        r["precision"] = "fp32"
    assert compare("x", bf16, fp32).precisions == ("bf16", "fp32")
    assert compare("x", bf16, bf16).precisions == ("bf16",) and compare("x", None, bf16).precisions == ("bf16",)


def test_budget_gain_and_scatter():
    import matplotlib

    matplotlib.use("Agg")
    long, short = Store(1000), Store(300)
    assert sensitivity.budget_gain(long, short) == pytest.approx(10.0)
    pairs = sensitivity.budget_pairs(long, short, claims=("improves_every_method",))
    ax = sensitivity.budget_scatter(pairs)
    assert ax.get_xlabel().startswith("difference at 300")


def test_precision_reads_the_fp32_twin_of_the_same_runs():
    ex = Store(1000)
    res = sensitivity.precision_results(ex)
    assert ("rded", 10, {"loss": "kl", "precision": "fp32"}) in ex.calls
    assert list(res) == ["auto (bf16)", "fp32"]  # what "auto" resolved to, read from the seeds
    within, across = sensitivity.precision_comparisons(res)
    assert within[0].available and not within[1].available and not any(c.available for c in across)
    assert "not computed" in sensitivity.precision_table(res)


def test_anchor_table_names_our_matching_run():
    ex = Store(1000)
    table = sensitivity.anchor_table(ex)
    assert ("random", 10, {"loss": "ce", "label_source": "hard"}) in ex.calls
    assert ("datm", 10, {"loss": "soft_ce"}) in ex.calls
    assert table.count("\n") >= 10


def test_precision_reading_says_whether_bf16_decides():
    tie = Comparison("GIFT vs KL", (64.0, 64.3, 64.1, 64.2, 64.0), (64.1, 64.0, 64.2, 64.1, 64.3))
    win = Comparison("GIFT vs KL", (65.0, 65.3, 65.1, 65.2, 65.0), (64.1, 64.0, 64.2, 64.1, 64.3))
    same = Comparison("kl: bf16 vs fp32", (64.0, 64.3, 64.1, 64.2, 64.0), (64.1, 64.0, 64.2, 64.1, 64.3))
    moved = Comparison("gift: bf16 vs fp32", (65.0, 65.3, 65.1, 65.2, 65.0), (64.1, 64.0, 64.2, 64.1, 64.3))
    assert "bf16 does not decide this comparison" in sensitivity.precision_reading([tie, tie], [same, same])
    assert "reach 0.20 points, so a shift of that size is not excluded" in sensitivity.precision_reading([tie, tie], [same, same])
    assert "gift moves beyond noise" in sensitivity.precision_reading([tie, tie], [same, moved])
    assert "differs between the precisions (win in bf16, tie in fp32)" in sensitivity.precision_reading([win, tie], [same, same])
    assert "not all computed" in sensitivity.precision_reading([tie, Comparison("x")], [same, same])


def test_a_flip_is_judged_on_the_same_seeds_and_the_verdict_column_is_shown_beside_it():
    long, short = Store(1000), Store(300)
    # stand-in: the same-seed twin behaves like the short budget, so nothing flips on matched seeds
    pairs = sensitivity.budget_pairs(long, short, claims=("improves_every_method",), matched=Store(300))
    gift_vs_kl = [p for p in pairs if ": gift vs" in p.short.label]
    assert gift_vs_kl and not any(p.changed for p in gift_vs_kl)
    assert all(p.long.outcome == "loss" and p.matched.outcome == "win" for p in gift_vs_kl)
    assert sensitivity.budget_table(pairs).splitlines()[0].endswith("| 1000 epochs, all seeds (the verdict) |")


def test_precision_census_counts_what_auto_resolved_to_and_the_mixed_arms(tmp_path):
    from gift.results import ResultsStore

    store = ResultsStore(tmp_path)

    def put(loss, seed, resolved, epochs=1000, asked="auto"):
        spec = {"config": {"loss": loss, "epochs": epochs, "precision": asked}, "seed": seed}
        store.put("eval", spec, {"best": 60.0, "precision": resolved}, {})

    assert sensitivity.precision_census(store, 1000).text() == "No run of this budget is stored yet."
    for seed in range(3):
        put("kl", seed, "bf16")
        put("gift", seed, "bf16" if seed < 2 else "fp32")
    put("kl", 0, "fp32", asked="fp32")  # asked for fp32 explicitly: not an "auto" run
    put("kl", 0, "fp32", epochs=300)  # another budget
    census = sensitivity.precision_census(store, 1000)
    assert census == sensitivity.PrecisionCensus({"bf16": 5, "fp32": 1}, arms=2, mixed_arms=1)
    assert census.speed_text().startswith("not measured yet")  # these specs name no IPC-10 ConvNet set
    timed = {"config": {"loss": "kl", "epochs": 1000, "precision": "auto", "model": "convnet3"},
             "data": {"recipe": {"ipc": 10}}}
    for seed, (resolved, seconds) in enumerate((("bf16", 180.0), ("bf16", 200.0), ("fp32", 720.0))):
        store.put("eval", {**timed, "seed": seed}, {"precision": resolved, "wall_time_s": seconds}, {})
    assert sensitivity.precision_census(store, 1000).speed_text() == "a median 3.2 minutes in bf16 and 12.0 minutes in fp32"
    assert census.text() == ('Of the 6 stored runs at this budget asking for precision "auto", 5 in bf16, 1 in fp32; '
                             "1 of their 2 arms (one configuration, all its seeds) mixes the two.")


def test_projected_seed_minutes_scales_the_median_stored_short_seed(tmp_path):
    """The book says how long a large student's 1000-epoch seed would take from the stored 300-epoch
    seeds, not from a figure typed into the prose."""
    import dataclasses

    from gift.companion.report import projected_seed_minutes
    from gift.results import ResultsStore

    store = ResultsStore(tmp_path)
    profile = dataclasses.replace(get_profile("companion"), short_budget={"mobilenet_v2": 300})
    assert "no short-budget seed is stored yet" in projected_seed_minutes(store, profile)
    for seed, minutes in enumerate((4, 6, 50)):  # median 6 min at 300 epochs -> 20 min at 1000
        spec = {"config": {"model": "mobilenet_v2", "epochs": 300}, "seed": seed}
        store.put("eval", spec, {"wall_time_s": 60.0 * minutes}, {})
    store.put("eval", {"config": {"model": "mobilenet_v2", "epochs": 1000}, "seed": 0}, {"wall_time_s": 1.0}, {})
    text = projected_seed_minutes(store, profile)
    assert text.startswith("about 20 minutes for MobileNet-V2 per seed, 6.7 hours of one core for the claim's 20 seeds of it")
    assert text.endswith("(the median stored 300-epoch seed, scaled to 1000 epochs)")
    assert "no student of this profile" in projected_seed_minutes(store, dataclasses.replace(profile, short_budget={}))


def test_budget_scatter_uses_a_symlog_axis_when_one_comparison_is_far_out():
    import matplotlib

    matplotlib.use("Agg")
    near = Comparison("near", (60.5, 60.6, 60.4), (60.0, 60.1, 59.9))
    far = Comparison("far", (90.5, 90.6, 90.4), (60.0, 60.1, 59.9))
    pairs = [sensitivity.BudgetPair("c", near, near, near), sensitivity.BudgetPair("c", far, far, far)]
    assert sensitivity.budget_scatter(pairs).get_xscale() == "symlog"
    assert sensitivity.budget_scatter(pairs[:1]).get_xscale() == "linear"


def test_the_sre2l_and_rded_readings_follow_the_runs_ipc_by_ipc():
    """The sentences the chapters rest their SRe2L caveat and RDED anchor on are computed: a pending
    IPC is said to be pending, never assumed to go the way the others went."""
    from gift.companion.anchors import rded_against_published, sre2l_against_random
    from gift.evaluation import EvalResult

    def result(mean):
        return EvalResult(config={}, hparams={}, runs=[{"best": mean + d, "final": mean + d, "wall_time_s": 1.0}
                                                       for d in (-0.2, -0.1, 0.0, 0.1, 0.2)], data={})

    accuracy = {("sre2l", 1): 20.0, ("random", 1): 25.0, ("sre2l", 10): 50.0, ("random", 10): 50.1,
                ("random", 50): 60.0, ("rded", 1): 30.0, ("rded", 10): 45.0}

    class Ex:
        profile = SimpleNamespace(methods=("random", "rded", "sre2l"), ipcs=(1, 10, 50))

        def evaluate(self, method, ipc, **kw):
            assert kw == {"loss": "kl"}
            return result(accuracy[method, ipc]) if (method, ipc) in accuracy else None

    text = sre2l_against_random(Ex())
    assert text.startswith("Our SRe2L sets are weaker than random real images") and "IPC 1 (-5.00 points, p < 0.001)" in text
    assert "not distinguishable from those random images by the rule at IPC 10" in text
    assert text.endswith("not yet compared with random images (the runs are not computed) at IPC 50.")
    assert rded_against_published(Ex()) == ("above the published number at IPC 1 (30.00 against 23.5); below the "
                                           "published number at IPC 10 (45.00 against 50.2); not computed yet at IPC 50")
