"""The companion pieces behind chapters 1-3 (loss grid, refinement, Theorem 1) and the values their
prose quotes: fast, no data (stub results, synthetic tensors, a hand-made theory record)."""
import math

import pytest
import torch

from gift.companion import loss_grid, prose, refinement, theorem
from gift.companion.claims import Claim
from gift.stats import Comparison


class Result:
    """Stands in for an EvalResult: seed accuracies only."""

    def __init__(self, *best):
        self.runs = [{"best": b, "final": b} for b in best]

    def summary(self):
        t = torch.tensor([r["best"] for r in self.runs], dtype=torch.float64)
        m, s = float(t.mean()), float(t.std(unbiased=False))
        return {"best_mean": m, "best_std": s, "final_mean": m, "final_std": s}


def test_prose_values():
    assert prose.num(float("nan")) == "—"
    assert prose.num(0.5, sign=True) == "+0.50"
    assert Comparison("x").difference() == "not computed"
    text = Comparison("x", (60.0, 60.1, 60.2, 60.1, 60.0), (50.0, 50.1, 50.2, 50.1, 50.0)).difference()
    assert text.startswith("+10.00 points") and text.endswith("(win)")
    claim = Claim("c", "01_loss_sensitivity", [Comparison("a")])
    values = prose.claim_values("k", claim)
    assert values["k_verdict"] == "pending" and values["k_evidence"] == claim.evidence()
    assert values["k_n"] == 1 and values["k_missing"] == 1 and values["k_computed"] == 0


def test_loss_grid_tables_and_values():
    losses = ["ce", "kl", "gift"]
    results = {("rded", "ce"): None, ("rded", "kl"): Result(60.0, 61.0), ("rded", "gift"): Result(62.0, 63.0)}
    grid = loss_grid.LossGrid(["rded"], losses, results, 10, loss_grid.paper_table6(10))
    table = grid.table()
    assert "**62.50 ± 0.50**" in table and "60.50 ± 0.50 (own)" in table and "not computed" in table
    assert "| **49.5 ± 0.2** |" in table  # Table 6, CIFAR-100: GIFT is the paper's best
    assert grid.done == 2 and grid.missing() == ["RDED/CE"]
    ours = grid.spreads()[0]
    assert ours == ["RDED (ours)", "2.00 (GIFT − KL)", "2.00 (GIFT − KL)", "+2.00"]
    values = grid.values()
    assert values["grid_recorded"] == ('2 of the 3 (set, loss) evaluations of the grid are in the store; '
                                       'the other 1 show as "not computed" and wait in the job queue.')
    assert values["spread_ours"] == "2.00 (GIFT − KL) on RDED"
    assert values["gift_vs_kl_paper"].startswith("+2.00 on CIFAR-100")
    assert values["spread_bound"].startswith("With 2 of the grid's 3 runs in, our spreads are lower bounds")
    full = loss_grid.LossGrid(["rded"], losses, {**results, ("rded", "ce"): Result(50.0, 51.0)}, 10, loss_grid.paper_table6(10))
    assert full.values()["spread_bound"].startswith("Every run of the grid is in")
    assert full.values()["grid_recorded"] == "All 3 (set, loss) evaluations of the grid are in the store."
    assert loss_grid.spread({"kl": 1.0}) == "—"


def test_loss_grid_names_the_losses_gift_beats_and_loses_to():
    """The names come from the book's one rule: a clear gap is a win or a loss, an overlap is a tie
    (named nowhere), and a loss not computed is named nowhere either."""
    losses = ["ce", "kl", "mse", "cosine", "gift"]
    seeds = lambda m: Result(*(m + d for d in (-0.2, -0.1, 0.0, 0.1, 0.2)))  # noqa: E731
    results = {("rded", "ce"): seeds(40.0), ("rded", "kl"): seeds(55.0), ("rded", "mse"): seeds(58.0),
               ("rded", "cosine"): None, ("rded", "gift"): seeds(55.05),
               ("sre2l", "ce"): seeds(30.0), ("sre2l", "kl"): seeds(52.0), ("sre2l", "mse"): seeds(54.0),
               ("sre2l", "cosine"): seeds(53.0), ("sre2l", "gift"): seeds(51.0)}
    grid = loss_grid.LossGrid(["rded", "sre2l"], losses, results, 10, {})
    assert grid.gift_against("loss") == {"rded": ["mse"], "sre2l": ["kl", "mse", "cosine"]}
    assert grid.gift_against("missing") == {"rded": ["cosine"], "sre2l": []}
    assert grid.values()["gift_by_name"] == ("On RDED, GIFT beats CE and loses to MSE. "
                                             "On SRe2L, GIFT beats CE and loses to KL, MSE and cosine.")
    nothing = loss_grid.LossGrid(["rded", "datm"], ["kl", "gift"], {("rded", "kl"): seeds(50.0), ("rded", "gift"): seeds(50.0),
                                                                   ("datm", "kl"): None, ("datm", "gift"): seeds(50.0)}, 10, {})
    assert nothing.gift_by_name() == "On RDED, GIFT beats no loss and loses to none. On DATM, no pairing with GIFT is computed yet."


def test_synthetic_batch_shows_the_convention_identity():
    batch = refinement.SyntheticBatch.draw(0)
    assert batch.teacher[6].argmax() != batch.labels[6]  # the teacher is wrong on sample 6 (the chapter's example)
    check = batch.convention_check()
    assert "min cos(code r(0.1), paper r(0.1/1.1)) = 1.000000" in check
    for line in check.splitlines()[1:3]:  # gift_loss, by hand and the registry agree
        values = {part.split("=")[1] for part in line.split() if "=" in part}
        assert len(values) == 1
    # the paper's convex gamma turns the label further from the teacher than the code's additive one
    assert batch.angle_gap() > 0
    table = batch.gamma_table().splitlines()
    assert len(table) == 2 + len(refinement.TABLE_GAMMAS) and table[2].split(" | ")[1] == "0.0"
    gammas, curves = batch.angle_curves(11)
    assert len(gammas) == 11 and curves["paper"]["smooth"][-1] == pytest.approx(0.0, abs=1e-4)


def test_method_values_without_real_teacher():
    batch = refinement.SyntheticBatch.draw(0)
    readings = {name: None for name in refinement.GIFT_READINGS}
    values = refinement.method_values(batch, None, readings)
    assert values["wrong"] == "not measured" and "not available" in values["fixed_summary"]
    assert values["readings"].count("not computed") == len(readings) - 1
    with pytest.raises(ValueError, match="valid profiles"):
        refinement.chapter_settings("nope")


def test_method_values_with_real_teacher_statistics():
    gen = torch.Generator().manual_seed(0)
    images, labels = torch.randn(20, 3, 8, 8, generator=gen), torch.arange(20) % 4

    class Teacher(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = torch.nn.Linear(3 * 8 * 8, 4)

        def forward(self, x):
            return self.fc(x.flatten(1))

    torch.manual_seed(0)
    real = refinement.refinement_statistics(Teacher(), images, labels, 4, n_views=2, seed=0)
    values = refinement.method_values(refinement.SyntheticBatch.draw(0), real, {n: None for n in refinement.GIFT_READINGS})
    assert values["wrong"].endswith("%") and values["closer"] in ("teacher", "smoothed hard label")
    assert "| paper (gamma=0.1, logits) |" in refinement.real_teacher_table(real)


def test_synthetic_theorem_rows_follow_the_algebra():
    rows = theorem.synthetic_rows(0)
    for n, tau, name, loss, r7, r9a, r9o, mx in rows:
        assert r7 >= loss - 1e-9 and mx >= loss - 1e-9  # the two valid bounds
        assert max(r9a, r9o) < loss  # (9) fails with orthonormal targets
        if name == "perfect":  # InfoNCE = -1/tau + log(e^{1/tau} + N - 1)
            assert loss == pytest.approx(-1 / tau + math.log(math.exp(1 / tau) + n - 1))
    assert theorem.synthetic_table(rows).count("| no |") == len(rows)


def _entry(holds9: float, pos: float = 0.9, neg: float = 0.1) -> dict:
    p = {"pos_all": pos, "neg_all": neg, "neg_others": neg, "infonce_all": 1.0, "rhs7_all": 1.2, "rhs9_all": 0.5,
         "rhs9_others": 0.4, "max_bound_all": 2.0, "holds7": 1.0, "holds9_all": holds9, "holds9_others": 0.0,
         "holds_max": 1.0, "slack7_all": 0.2, "err8_exp_all": 0.6, "err8_norm_all": 0.0, "err9_mean_all": 0.1}
    return {"per_tau": {repr(float(t)): p for t in theorem.TAUS}, "n_batches": 2, "batch_size": 50,
            "per_batch": {"infonce": [1.0, 1.0], "rhs9_all": [0.5, 0.5]}}


def _record(holds9: float) -> dict:
    ortho = {k: {"same_mean": 0.95, "diff_mean": 0.0, "diff_abs": 0.3, "all_abs": 0.3, "all_rms": 0.4,
                 "hist_same": [1, 2], "hist_diff": [2, 1], "same_pairs": 3, "diff_pairs": 3}
             for k in theorem.ORTHO_KINDS}
    ortho["refined label (probs)"] = {**ortho["refined label"], "diff_abs": 0.05}
    bounds = {d: {s: {b: _entry(holds9) for b in theorem.BATCHINGS} for s in theorem.STUDENTS} for d in theorem.DATA}
    return {"bounds": bounds, "orthogonality": {d: ortho for d in theorem.DATA},
            "accuracy": {d: {s: 50.0 for s in theorem.STUDENTS} for d in theorem.DATA},
            "setting": {"num_classes": 10, "batch_size": 50}, "reference": {"hist_bins": 2}}


@pytest.mark.parametrize("holds9, held", [(0.0, "no batch at all"), (0.75, "at most 75%")])
def test_theorem_chapter_tables_and_values(holds9, held):
    ch = theorem.TheoremChapter(_record(holds9), "live", "", "key", theorem.synthetic_rows(0))
    values = ch.values()
    assert values["held9"].startswith(held)
    assert values["n_combinations"] == str(len(theorem.DATA) * len(theorem.STUDENTS) * len(theorem.BATCHINGS))
    assert values["err_vs_slack"] == "always larger" and values["biggest_row"].startswith("row 4")
    assert values["synth_fail"] == "8 of 8" and "close to parallel" in values["ortho_test"]
    assert values["probs_text"].startswith("closer to orthogonal")
    assert ("at no temperature" in values["tau_text"]) == (holds9 < 0.5)
    assert "not a term approaching zero" not in values["eps_text"] or float(values["eps_text"].split("up to ")[1][:3].strip("%")) > 10
    for table in (ch.bound_table(), ch.holds_table(), ch.decomposition_table(), ch.tau_table(), ch.orthogonality_table()):
        assert "not computed" not in table
    del ch.res["bounds"]["test"]["gift_short"]
    assert "not computed" in ch.holds_table() and "not computed here" in ch.values()["training_text"]
