"""The table, figure and verdict builders of chapters 4, 5 and 9 (gift.companion.main_table,
kd_table, beyond, prose), on a stand-in experiment: no data, no training, a second or two."""
import math
from pathlib import Path
from types import SimpleNamespace

import matplotlib
import pytest

matplotlib.use("Agg")

from gift.companion import get_profile  # noqa: E402
from gift.companion.beyond import Beyond, lrs  # noqa: E402
from gift.companion.checklist import Checklist  # noqa: E402
from gift.companion.kd_table import KDTable, paper_best  # noqa: E402
from gift.companion.main_table import MainTable, paper_gains, paper_pair, teacher_rows, teacher_summary, teacher_table  # noqa: E402
from gift.companion.prose import claim_values, listing, points  # noqa: E402
from gift.stats import Comparison  # noqa: E402

# mean accuracy by loss: GIFT one point below KL, soft CE far below (the shape of the stored runs)
MEANS = {"gift": 60.0, "kl": 61.0, "soft_ce": 55.0, "ce": 50.0}


class Result(SimpleNamespace):
    def summary(self):
        best = [r["best"] for r in self.runs]
        mean = sum(best) / len(best)
        std = math.sqrt(sum((b - mean) ** 2 for b in best) / len(best))
        return {"best_mean": mean, "best_std": std, "final_mean": mean, "final_std": std}


class FakeExperiment:
    """Answers every evaluation with 5 seeds (None for the losses in ``missing``), records the calls."""
    num_classes = 10  # CIFAR-10

    def __init__(self, profile="companion", missing=(), instance_teacher=True):
        self.profile = get_profile(profile)
        self.missing, self.calls = set(missing), []
        self.instance_teacher = instance_teacher
        self.store = SimpleNamespace(root=Path("/nonexistent"))

    def evaluate(self, method, ipc, **kw):
        self.calls.append((method, ipc, kw))
        loss = kw.get("loss")
        if loss in self.missing or (method, ipc) in self.missing:
            return None
        base = MEANS.get(loss, 58.0) + (2.0 if method == "rded" else 0.0) + ipc / 10
        return Result(runs=[{"best": base + 0.1 * s, "final": base, "seed": s} for s in range(5)])

    def teacher_accuracy(self, norm="batch"):
        return 84.3 if norm == "batch" else 82.9

    def teacher_path(self, norm="batch"):
        return SimpleNamespace(exists=lambda: norm == "batch" or self.instance_teacher)

    def set_available(self, method, ipc=10):
        return None


def test_main_table_rows_gains_and_matched_random_baseline():
    ex = FakeExperiment()
    mt = MainTable(ex)
    assert ("datm", 1) not in mt.cells and ("datm", 10) in mt.cells  # DATM: the released IPC 10 only
    assert ("random", 10, "kl") in mt.results and ("rded", 10, "kl") not in mt.results  # KL is rded's own loss
    lines = mt.table1().splitlines()
    assert len(lines) == 2 + len(mt.cells)
    rded10 = next(line for line in lines if line.startswith("| rded | 10 |"))
    assert "| kl | -1.00 | loss |" in rded10 and "47.5 → 50.6 (+3.1)" in rded10  # ours, then the paper's CIFAR-100 cell
    # random subsets: GIFT against KL (same teacher, same temperature), not against their own soft CE
    random10 = next(line for line in lines if line.startswith("| random | 10 |"))
    assert "| soft_ce |" in random10 and "| kl | -1.00 | loss |" in random10
    # DATM: its stored KL run is shown, but its baseline stays its own loss (soft CE on its labels)
    datm10 = next(line for line in lines if line.startswith("| datm | 10 |"))
    assert "| 62.20 ± 0.14 |" in datm10 and "| soft_ce | +5.00 | win |" in datm10 and "—" not in datm10.split("|")[5]
    assert all(m in ("rded", "sre2l") for m, _ in mt.t2_cells) and "paper IN-1K ResNet-18" in mt.table2()
    assert paper_pair("random", 10, table=1) is None and len(paper_gains()) > 0


def test_main_table_values_count_missing_runs_and_quote_the_rule():
    ex = FakeExperiment(missing={("rded", 50), ("sre2l", 1)})
    mt = MainTable(ex)
    checklist = Checklist(ex)
    claim, control = checklist.improves_every_method(), checklist.random_control()
    v = {**mt.values(claim, control), **claim_values("main_claim", claim)}
    assert v["main_evaluations"] == len(mt.results) and v["main_available"] == len(mt.results) - 4
    assert v["main_missing_list"] == "rded IPC 50 (gift); rded IPC 50 (kl); sre2l IPC 1 (gift); sre2l IPC 1 (kl)"
    assert v["main_claim_missing"] == 2 and v["main_claim_computed"] == 5  # datm (vs soft CE) wins, the rest lose
    assert (v["main_claim_wins"], v["main_claim_losses"]) == (1, 4)
    assert v["main_claim_still_open"] == ("The other 2 are not computed yet and count neither way: no outcome of theirs "
                                          "can change the verdict, only its counts and median.")
    assert v["main_claim_verdict"] == "contradicted (settled, 5 of 7 computed)"  # 1 win, 4 losses: 2 more wins cannot overturn it
    assert v["main_claim_median"].startswith("-")
    assert "p < 0.001 (loss)" in v["main_control"]
    for fig in (mt.plot_table1(), mt.plot_table2()):
        assert fig.axes
        matplotlib.pyplot.close(fig)


def test_teacher_table_says_what_is_not_trained():
    rows = teacher_rows(FakeExperiment(instance_teacher=False))
    assert [r[0].split(",")[0] for r in rows] == ["ConvNet-3", "ResNet-18 (modified)"]
    table = teacher_table(FakeExperiment(), teacher_rows(FakeExperiment()))
    assert "| 84.30 | 82.24 |" in table and "not trained here (hours on a CPU; see below)" in table
    assert teacher_summary(FakeExperiment()) == "BatchNorm, 84.30%; instance norm, 82.90%; the paper's: 82.24%"
    assert teacher_summary(FakeExperiment(instance_teacher=False)) == "BatchNorm, 84.30%; the paper's: 82.24%"


def test_kd_table_reference_row_grid_and_paper_count():
    ex = FakeExperiment()
    kd = KDTable(ex)
    assert kd.losses == ("kl", *get_profile("companion").kd_losses, "gift") and kd.methods == ("rded", "sre2l")
    table = kd.table().splitlines()
    assert table[2].startswith("| teacher | 84.30 | 84.30 |") and len(table) == 3 + len(kd.losses)
    assert "T = 20.0" in kd.hparams_table()
    best, cols = paper_best(kd.kd_losses)
    v = kd.values()
    assert (v["kd_paper_best"], v["kd_paper_columns"]) == (best, cols) and best <= cols
    assert v["kd_ranking"].startswith("rded: kl > ") and v["kd_gift_vs_kl"].startswith("rded: -1.00 (loss)")
    assert KDTable(FakeExperiment("smoke")).methods == ("rded",)
    assert v["kd_missing_losses"] == "none"
    # the missing runs are named set by set: KD's runs missing on one set are not missing everywhere
    assert KDTable(FakeExperiment(missing={("sre2l", 10)})).values()["kd_missing_losses"] == \
        "sre2l: " + ", ".join(KDTable(ex).losses)
    with pytest.raises(ValueError):
        KDTable(ex, ipc=7)


def test_beyond_compares_random_and_distilled_against_the_same_kl():
    ex = FakeExperiment(missing={"ce"})
    b = Beyond(ex)
    assert set(b.gain_rows) == {"random", "rded", "sre2l", "datm", "random-in"}
    # DATM's hard-label row is its CE run on the stored labels (CE reads the class labels only):
    # one computation, one stored key
    assert ("datm", 10, {"loss": "ce"}) in ex.calls
    assert not [kw for m, _, kw in ex.calls if m == "datm" and kw.get("label_source") == "hard"]
    assert b.gains["random", 10].delta == pytest.approx(-1.0)  # GIFT vs KL on random images, not soft CE
    assert b.gains["rded", 10].delta == pytest.approx(-1.0)
    datm_row = next(line for line in b.all_runs_table().splitlines() if line.startswith("| datm | 10 |"))
    assert datm_row.split("|")[6].strip() == "62.20 ± 0.14"  # DATM's KL run is shown, not "—"
    gain = b.gain_table()
    assert "| random (vs soft CE, extra row) |" in gain and "+5.00 (win)" in gain
    assert b.metrics["random", 10, "KL"]["ior"].delta == 0  # a random subset against itself
    assert b.metrics["rded", 10, "GIFT"]["ior"].delta == pytest.approx(2.0)
    assert math.isnan(b.metrics["rded", 10, "GIFT"]["hlr"])  # hard-label runs missing
    control = Checklist(ex).random_control()
    v = b.values(control)
    assert v["beyond_ctl_verdict"] == "contradicted" and v["beyond_reading"].startswith("On random real images GIFT against KL gives a loss at random IPC 1")
    assert v["beyond_ior_kl"] == v["beyond_ior_gift"] == "3 of 6 sets beat the random subset (rded IPC 1, rded IPC 10, rded IPC 50)"
    assert v["beyond_ior_gift"].startswith("3 of 6 sets beat") and v["beyond_worth"] == "not computed yet"
    assert v["beyond_missing_hard"] == sum(s == "hard" for _, _, s in b.missing) > 0
    for fig in (b.plot_all_runs(), b.plot_gains(), b.plot_ior(), b.plot_worth()):
        matplotlib.pyplot.close(fig)


def test_beyond_reading_weighs_the_control_against_the_distilled_gains():
    from gift.companion.beyond import NOT_YET, reading
    from gift.companion.claims import Claim
    from gift.stats import Comparison

    win = Comparison("w", (61.0, 61.2, 61.1, 61.0, 61.3), (60.0, 60.1, 60.2, 60.0, 60.1))
    loss = Comparison("l", (60.0, 60.1, 60.2, 60.0, 60.1), (61.0, 61.2, 61.1, 61.0, 61.3))
    tie = Comparison("t", (60.0, 60.3, 60.1, 60.2, 60.0), (60.1, 60.0, 60.2, 60.1, 60.3))
    lost = Claim("control", "09", [loss])
    assert "shows no gain here" in reading(lost, [tie, loss])  # no gain anywhere is not "a gain that is not general"
    assert "property of those sets" in reading(lost, [win, tie])
    assert "not specific to distilled data" in reading(Claim("control", "09", [win]), [win])
    assert reading(Claim("control", "09", [Comparison("m")]), [win]) == NOT_YET
    # the random-image side is said outcome by outcome: a tie is not called a loss, a missing IPC is named
    ipc1 = Comparison("random IPC 1: gift vs kl", tie.values, tie.base_values)
    ipc10 = Comparison("random IPC 10: gift vs kl", loss.values, loss.base_values)
    text = reading(Claim("control", "09", [ipc1, ipc10, Comparison("random IPC 50: gift vs kl")]), [tie])
    assert text.startswith("On random real images GIFT against KL gives a tie at random IPC 1; a loss at random IPC 10 "
                           "(random IPC 50 not computed yet), and GIFT wins on none")


def test_beyond_smoke_sets_and_lrs_scale():
    b = Beyond(FakeExperiment("smoke"))
    assert b.methods == ("random", "rded") and not b.has_datm
    assert lrs(0.0, 0.0) == pytest.approx((1 - math.exp(-1)) / (math.e - math.exp(-1)))
    assert 0.0 <= lrs(100.0, 0.0) <= 1.0 and lrs(10.0, 0.0) > lrs(0.0, 10.0)


def test_prose_texts():
    missing = Comparison("x")
    assert missing.difference() == "not computed" and points(float("nan")) == "not computed" and points(1.234) == "+1.23"
    tie = Comparison("x", (1.0, 2.0, 3.0), (1.5, 2.0, 2.5))
    assert tie.difference().startswith("+0.00 points [") and tie.difference().endswith("(tie)")
    assert listing([], "none") == "none" and listing(["a", "", "b"]) == "a; b"
