"""The claims are built from matched comparisons: each compares runs that differ only in what the
claim is about (checked on a stand-in experiment that records every lookup)."""
from types import SimpleNamespace

from gift.companion import get_profile
from gift.companion.experiment import Experiment
from gift.companion.checklist import Check, Checklist, cost_check
from gift.companion.claims import CONTRADICTED, MIXED, NOT_TESTABLE, PENDING, SUPPORTED
from gift.stats import Comparison


class FakeExperiment:
    """Answers every evaluation with 5 seeds; GIFT is one point better than anything else."""
    num_classes = 10  # CIFAR-10

    def __init__(self, missing=(), kl_sgd=None):
        self.profile = get_profile("companion")
        self.calls = []
        self.missing = missing
        self.kl_sgd = kl_sgd  # KL's mean under SGD, to stage a collapse
        self.store = SimpleNamespace(root=SimpleNamespace(__truediv__=lambda s, k: SimpleNamespace(is_dir=lambda: False)))

    def set_available(self, method, ipc=10):
        return None

    in_precision_of = Experiment.in_precision_of  # the real lookup, over this stand-in's runs

    def evaluate(self, method, ipc, **kw):
        self.calls.append((method, ipc, kw))
        if kw.get("loss") in self.missing:
            return None
        # one run per setting: the values differ a little by optimizer and IPC
        base = (61.0 if kw.get("loss") == "gift" else 60.0) + 0.01 * len(kw.get("optimizer", "")) + 0.001 * ipc
        if self.kl_sgd is not None and kw == {"loss": "kl", "optimizer": "sgd"}:
            base = self.kl_sgd
        return SimpleNamespace(runs=[{"best": base + 0.1 * s, "final": base} for s in range(5)])


def test_the_collapse_control_compares_kl_times_t2_with_kl_where_kl_collapses():
    # the two arms differ in the T^2 factor only: same loss, set, teacher and optimizer; KL x T^2 is
    # the method, so a win (the restored scale avoids the collapse) reads "supported"
    ex = FakeExperiment(kl_sgd=20.0)  # KL collapses under SGD only
    claim = Checklist(ex).scale_explains_collapse()
    assert not claim.paper and [c.label for c in claim.comparisons] == ["rded, sgd: KL×T² vs KL (only the gradient scale differs)"]
    assert claim.verdict == SUPPORTED and claim.verdict_label() == "supported (tested under sgd only)"
    assert "not under adam" in claim.note
    t2_calls = [kw for m, _, kw in ex.calls if kw.get("loss_kwargs") == {"t2_scale": True}]
    assert t2_calls == [{"loss": "kl", "loss_kwargs": {"t2_scale": True}, "optimizer": "sgd"}]
    # where KL collapses nowhere there is no collapse to explain
    assert Checklist(FakeExperiment()).scale_explains_collapse().verdict == NOT_TESTABLE


def test_random_subsets_are_a_control_against_kl_not_soft_ce():
    ex = FakeExperiment()
    claim = Checklist(ex).random_control()
    assert all("vs kl" in c.label for c in claim.comparisons)
    assert not any(kw.get("loss") == "soft_ce" for m, _, kw in ex.calls if m == "random")


def test_the_main_claim_counts_distilled_sets_only():
    ex = FakeExperiment()
    claim = Checklist(ex).improves_every_method()
    assert claim.comparisons and not any(c.label.startswith("random") for c in claim.comparisons)
    assert {m for m, _, _ in ex.calls} == {"rded", "sre2l", "datm"}


def test_grids_come_from_the_profile():
    ex = FakeExperiment()
    claim = Checklist(ex).gamma()
    gammas = [g for g in get_profile("companion").gammas if g != 0.1]
    assert len(claim.comparisons) == 2 * len(gammas)
    assert len(Checklist(ex).beats_kd().comparisons) == 2 * len(get_profile("companion").kd_losses)


def test_missing_runs_make_a_claim_not_testable_and_losses_contradict():
    assert Checklist(FakeExperiment(missing=("gift",))).beats_kd().verdict == PENDING
    # gamma 0.1 is "gift" with default kwargs in this stand-in, as good as every other gamma: ties
    assert Checklist(FakeExperiment()).sgd_adam_beat_adamw().verdict != SUPPORTED


def test_checks_and_cost():
    assert Check("x", 1.0).outcome == "win" and Check("x", 0.2).outcome == "loss" and Check("x", 0.7).outcome == "tie"
    assert Check("x").outcome == "missing"
    assert cost_check(1.001).outcome == "win" and cost_check(1.05).outcome == "loss"
    from gift.companion.claims import Claim

    assert Claim("bound", "03", [Check("a", 0.0), Check("b", 0.0)]).verdict == CONTRADICTED


def test_the_effect_of_checks_counts_them_instead_of_averaging_a_pass_and_a_fail():
    from gift.companion.claims import Claim, effect_text

    assert effect_text(Claim("collapse", "06", [Check("sgd", 1.0), Check("adam", 0.0)])) == "holds in 1 of 2"
    partial = Claim("bound", "03", [Check("a", 1.0), Check("b", 0.4), Check("c", 0.2), Check("d")])
    assert effect_text(partial) == "holds in 1 of 3 (median share of cases 40%)"


def test_checklist_rows_tally_and_text():
    from gift.companion import claims as verdicts

    ex = FakeExperiment(missing=("kd",))
    cl = Checklist(ex)
    built = [cl.random_control(), cl.beats_kd()]
    rows = verdicts.checklist_rows(built)
    # kd not computed: neither for nor against, but the verdict says it rests on part of the evidence
    assert [r[1] for r in rows] == [SUPPORTED, f"{SUPPORTED} (provisional, 6 of 8 computed)"]
    assert built[1].counts()["missing"] == 2 and "2 not computed" in built[1].evidence()
    assert not built[0].provisional and built[1].provisional
    assert rows[0][5] == "{doc}`" + built[0].where + "`" and rows[0][3].startswith("+1.00 [")
    assert rows[0][4] == "< 0.1%"  # three wins of three by 1 point with 5 tight seeds: not noise
    tally = verdicts.verdict_tally(built)
    assert set(tally) == {*verdicts.VERDICTS, "provisional", "settled", "short budget"} and tally["provisional"] == 1
    assert sum(tally[v] for v in verdicts.VERDICTS) == 2
    assert verdicts.tally_text(built) == ("2 of 2 are supported, 0 mostly supported, 0 mixed, 0 contradicted, "
                                          "0 pending and 0 not testable here (1 of the verdicts provisional)")
    text = verdicts.comparisons_text(built)
    assert text.count("\n    ") == sum(len(c.comparisons) for c in built)
    mostly = verdicts.Claim("x is the best", "x", [Comparison("x vs a", (61.0, 61.1, 61.2), (60.0, 60.1, 60.2)),
                                                   Comparison("x vs b", (61.0, 61.1, 61.2), (60.0, 60.1, 60.2)),
                                                   Comparison("x vs c", (59.0, 59.1, 59.2), (60.0, 60.1, 60.2))],
                            note="a note")
    assert mostly.verdict == verdicts.MOSTLY and verdicts.checklist_rows([mostly])[0][6] == "a note; loses: x vs c"
    assert verdicts.checklist_rows(built)[0][6] == built[0].note  # nothing lost, nothing added
    no_loss = verdicts.Claim("x beats a", "x", mostly.comparisons[:1] + [Comparison("x vs d", (60.0, 60.1), (60.0, 60.1))],
                             note="a note")
    assert no_loss.verdict == verdicts.MOSTLY and verdicts.checklist_rows([no_loss])[0][6] == "a note"
    win, loss, gap = (Comparison("w", (61.0, 61.1, 61.2), (60.0, 60.1, 60.2)),
                      Comparison("l", (59.0, 59.1, 59.2), (60.0, 60.1, 60.2)), Comparison("m"))
    settled = verdicts.Claim("s", "x", [win] + [loss] * 4 + [gap] * 2)  # 2 more wins: 3 < 4 losses
    assert settled.settled and not settled.provisional and settled.verdict == CONTRADICTED
    assert settled.verdict_label() == "contradicted (settled, 5 of 7 computed)"
    assert settled.verdict_label(evidence=True).startswith("contradicted (settled; 1 win, 0 ties, 4 losses of 5")
    open_ = verdicts.Claim("o", "x", [win, loss, loss, gap, gap])  # 2 wins would make it mostly supported
    assert open_.provisional and not open_.settled
    assert not verdicts.Claim("n", "x", [gap]).settled and not verdicts.Claim("c", "x", [win]).settled
    assert verdicts.tally_text([settled, open_]).endswith(
        "(1 of the verdicts provisional; 1 settled with runs still to come, which cannot change it)")
    empty = verdicts.Claim("nothing", "x", [verdicts.compare("a", None, None)])
    assert verdicts.effect_text(empty) == "—" and verdicts.verdict_of(empty.counts()) == PENDING


def test_cross_architecture_reads_the_profiles_student_sets():
    import dataclasses

    ex = FakeExperiment()
    ex.profile = dataclasses.replace(ex.profile, student_sets=("rded",))
    claim = Checklist(ex).cross_architecture()
    larger = [s for s in ex.profile.students.values() if s]
    assert len(claim.comparisons) == len(larger) and all(c.label.startswith("rded → ") for c in claim.comparisons)


def test_the_collapse_is_avoided_only_where_kl_collapses():
    from gift.companion.checklist import LOSS, WIN

    # no collapse anywhere: nothing to avoid, nothing counted
    calm = Checklist(FakeExperiment())
    assert calm.avoids_collapse().verdict == NOT_TESTABLE and "not under sgd (KL falls 0%), adam" in calm.avoids_collapse().note
    assert [c.outcome for c in calm.kl_collapses().comparisons] == [LOSS, LOSS]  # the paper's premise fails twice
    # KL falls to 20% under SGD (80% of the way to chance): a collapse; GIFT beats it there
    staged = Checklist(FakeExperiment(kl_sgd=20.0))
    assert [c.outcome for c in staged.kl_collapses().comparisons] == [WIN, LOSS]
    avoids = staged.avoids_collapse()
    assert [c.label for c in avoids.comparisons] == ["rded, sgd: gift vs kl"] and avoids.verdict == SUPPORTED
    assert avoids.verdict_label() == "supported (tested under sgd only)"


def test_continual_learning_is_pending_not_untestable_on_a_clone_without_the_images():
    """A reader's clone cannot look the GDumb steps up (no images) when they are not recorded yet:
    the claim still lists its nine steps (2..10 classes seen), as not computed, so it reads pending
    there as on the machine that renders the book, not 'not testable here'."""
    ex = FakeExperiment()
    ex.config = lambda method, **kw: SimpleNamespace(to_dict=lambda: {"loss": kw.get("loss")})
    ex.measurement = lambda name, spec, compute, complete=None: None  # not recorded; no data to compute it
    claim = Checklist(ex).continual()
    assert claim.verdict == PENDING and len(claim.comparisons) == 9
    assert [c.label.split(",")[1].split()[0] for c in claim.comparisons] == [str(k) for k in range(2, 11)]


def test_the_continual_steps_count_among_the_runs_behind_the_verdicts_once_each():
    """The GDumb steps are runs behind a verdict like any other; a step both schedules share (the
    same classes seen) is one training and is counted once."""
    ex = FakeExperiment()
    ex.config = lambda method, **kw: SimpleNamespace(to_dict=lambda: {"loss": kw.get("loss")})

    def steps(n, loss):
        per = 10 // n
        return [{"step": k + 1, "seen": list(range((k + 1) * per)), "trivial": (k + 1) * per == 1,
                 "computed": True, "runs": [] if (k + 1) * per == 1 else
                 [{"seed": s, "best": 50.0 + s + (loss == "gift"), "final": 50.0,
                   "provenance": {"device": "cpu: AMD EPYC (2 cores)"}} for s in range(5)]} for k in range(n)]

    summary = {f"{L}|{n}": steps(n, L) for L in ("kl", "gift") for n in (5, 10)}
    ex.measurement = lambda name, spec, compute, complete=None: summary
    checklist = Checklist(ex)
    claim = checklist.continual()
    assert len(claim.comparisons) == 9
    assert sum(len(r.runs) for r in checklist.runs) == 2 * 9 * 5  # 2 losses x 9 trained steps x 5 seeds


def test_the_gamma_claim_uses_the_fp32_twin_of_gift_against_weights_trained_in_fp32():
    """The gamma = 0.1 arm is the default GIFT run (bf16 here), or its stored fp32 twin against a
    weight whose seeds trained in fp32: each comparison then varies gamma alone. A twin is only
    looked up: nothing is trained for it."""
    class Mixed(FakeExperiment):
        def evaluate(self, method, ipc, **kw):
            r = super().evaluate(method, ipc, **kw)
            fp32 = kw.get("precision") == "fp32" or kw.get("loss_kwargs", {}).get("gamma") == 0.3
            for run in r.runs:
                run["precision"] = "fp32" if fp32 else "bf16"
            return r

        def stored(self, method, ipc, **kw):
            self.looked_up = kw
            return self.evaluate(method, ipc, **kw)

    ex = Mixed()
    comps = {c.label: c for c in Checklist(ex, sets=("rded",)).gamma().comparisons}
    assert ex.looked_up == {"precision": "fp32", "loss": "gift"}
    # no precision mismatch is left; the twin says in its row why its gamma 0.1 mean differs
    assert comps["rded: gamma 0.1 vs 0.3"].caveat == "both in fp32: gamma 0.1 rerun to match"
    assert comps["rded: gamma 0.1 vs 0.2"].caveat == ""
