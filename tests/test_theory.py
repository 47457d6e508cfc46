"""Tests for gift.theory: hand-computed values of every term of Theorem 1 on tiny tensors,
independent cross-checks, and properties that follow from the algebra of the proof."""
from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from gift.models import get_model
from gift.theory import (
    bound_terms,
    infonce,
    jensen_bound,
    max_bound,
    negative_term,
    paper_bound,
    positive_cosine,
    random_abs_cosine,
    target_cosines,
    theorem_measurements,
    welch_rms_bound,
)

C = 1 / math.sqrt(2)


def tiny():
    """r = identity targets, z_1 = e_1 (perfectly aligned), z_2 = (1, 1) (halfway)."""
    z = torch.tensor([[1.0, 0.0], [1.0, 1.0]])
    r = torch.eye(2)
    return z, r


# ------------------------------------------------------------------------------------ hand values
def test_tiny_infonce_by_hand():
    z, r = tiny()
    # s = [[1, 0], [c, c]]: L_1 = log(e + 1) - 1, L_2 = log(2 e^c) - c = log 2
    want = (math.log(math.e + 1) - 1 + math.log(2)) / 2
    assert infonce(z, r, tau=1.0).item() == pytest.approx(want, abs=1e-12)
    # tau = 0.5: L_1 = log(e^2 + 1) - 2, L_2 = log 2
    want = (math.log(math.e**2 + 1) - 2 + math.log(2)) / 2
    assert infonce(z, r, tau=0.5).item() == pytest.approx(want, abs=1e-12)


def test_tiny_bounds_by_hand():
    z, r = tiny()
    assert positive_cosine(z, r).tolist() == pytest.approx([1.0, C])
    # negatives "all": n_1 = mean(1, 0) / (1 * 1) = 0.5, n_2 = mean(1, 1) / (sqrt2 * 1) = c
    assert negative_term(z, r, "all").tolist() == pytest.approx([0.5, C])
    assert negative_term(z, r, "others").tolist() == pytest.approx([0.0, C])
    assert paper_bound(z, r, 1.0, "all").item() == pytest.approx(-0.25 + math.log(2))
    assert paper_bound(z, r, 1.0, "others").item() == pytest.approx(-0.5 + math.log(2))
    assert max_bound(z, r, 1.0).item() == pytest.approx(math.log(2))
    rhs7 = -(1 + C) / 2 + math.log((math.e + 1 + 2 * math.exp(C)) / 2)
    assert jensen_bound(z, r, 1.0).item() == pytest.approx(rhs7)
    # on this batch the true bound (7) holds and the paper's (9) does not
    loss = infonce(z, r, 1.0).item()
    assert rhs7 >= loss > paper_bound(z, r, 1.0, "all").item()


def test_negative_term_is_a_ratio_of_means():
    # unequal target norms: E_j[z . r_j] / (||z|| E_j ||r_j||), not the mean cosine
    z = torch.tensor([[1.0, 1.0], [1.0, 0.0]])
    r = torch.tensor([[2.0, 0.0], [0.0, 1.0]])
    n = negative_term(z, r, "all")
    assert n[0].item() == pytest.approx(1.5 / (math.sqrt(2) * 1.5))
    assert n[1].item() == pytest.approx(1.0 / 1.5)
    mean_cos = F.cosine_similarity(z[1:2], r, dim=1).mean().item()  # 0.5
    assert mean_cos == pytest.approx(0.5) and n[1].item() != pytest.approx(mean_cos)


def test_infonce_matches_cross_entropy():
    g = torch.Generator().manual_seed(0)
    z, r = torch.randn(7, 5, generator=g), torch.randn(7, 5, generator=g)
    s = F.normalize(z.double(), dim=1) @ F.normalize(r.double(), dim=1).T
    for tau in (0.07, 0.3, 2.0):
        assert infonce(z, r, tau).item() == pytest.approx(F.cross_entropy(s / tau, torch.arange(7)).item(), abs=1e-12)


# ------------------------------------------------------------------------------------ properties
@pytest.mark.parametrize("n,c,tau", [(4, 10, 0.1), (16, 10, 0.5), (30, 7, 1.0), (3, 100, 0.05)])
def test_true_inequalities_and_exact_decomposition(n, c, tau):
    g = torch.Generator().manual_seed(n * 1000 + c)
    for _ in range(20):
        z = torch.randn(n, c, generator=g) * 3
        r = torch.randn(n, c, generator=g).abs() * torch.rand(n, 1, generator=g)  # unequal norms
        for neg in ("all", "others"):
            t = bound_terms(z, r, tau, neg)
            assert t["rhs7"] >= t["infonce"] - 1e-12  # Jensen (7): always
            assert t["max_bound"] >= t["infonce"] - 1e-12  # log-sum-exp <= log N + max: always
            assert t["slack7"] >= -1e-12 and t["err9_mean"] >= -1e-12
            if neg == "all":
                assert t["err8_exp"] >= -1e-12
            # exact telescoping identity: rhs9 - L = slack7 - (err8_exp + err8_norm + err9_mean)
            lhs = t["rhs9"] - t["infonce"]
            rhs = t["slack7"] - (t["err8_exp"] + t["err8_norm"] + t["err9_mean"])
            assert lhs == pytest.approx(rhs, abs=1e-9)


def orthonormal(n, c, seed):
    q, _ = torch.linalg.qr(torch.randn(c, c, generator=torch.Generator().manual_seed(seed), dtype=torch.float64))
    return q[:n]


@pytest.mark.parametrize("n,c", [(2, 2), (5, 10), (10, 10)])
def test_orthogonal_targets_make_eq9_a_lower_bound(n, c):
    """The paper's assumption holding exactly (orthonormal targets, all of norm 1): then (9) is
    never above InfoNCE -- it is a lower bound, by Jensen on the exponential (eq. 8 replaces a mean
    of exponentials by the exponential of the mean). The true inequality (7) still holds."""
    r = orthonormal(n, c, seed=n + c)
    g = torch.Generator().manual_seed(1)
    for tau in (0.05, 0.1, 1.0):
        for _ in range(20):
            z = torch.randn(n, c, generator=g, dtype=torch.float64)
            t = bound_terms(z, r, tau, "all")
            assert t["err8_norm"] == pytest.approx(0.0, abs=1e-12)  # equal norms
            assert t["rhs9"] <= t["infonce"] + 1e-12
            assert t["rhs7"] >= t["infonce"] - 1e-12


@pytest.mark.parametrize("n,tau", [(2, 1.0), (10, 0.1), (10, 1.0)])
def test_perfect_student_on_orthogonal_targets(n, tau):
    """z_i = y_i: cos(z_i, y_i) = 1 and the negative term (others) is exactly 0 -- the paper's
    idealised limit of eq. (2) with epsilon = 0. InfoNCE = -1/tau + log(e^{1/tau} + N - 1), which
    exceeds the bound -1/tau + log N by log(1 + (e^{1/tau} - 1) / N)."""
    r = orthonormal(n, 10, seed=3)
    loss = infonce(r, r, tau).item()
    assert loss == pytest.approx(-1 / tau + math.log(math.exp(1 / tau) + n - 1))
    assert negative_term(r, r, "others").abs().max().item() == pytest.approx(0.0, abs=1e-12)
    rhs = paper_bound(r, r, tau, "others").item()
    assert rhs == pytest.approx(-1 / tau + math.log(n))
    assert loss - rhs == pytest.approx(math.log(1 + (math.exp(1 / tau) - 1) / n))


def test_equality_when_all_similarities_are_equal():
    # z along the all-ones direction: cos(z_i, y_j) = 1/sqrt(C) for every j, so InfoNCE = log N = (9)
    r = torch.eye(10, dtype=torch.float64)
    z = torch.ones(10, 10, dtype=torch.float64)
    assert infonce(z, r, 0.1).item() == pytest.approx(math.log(10))
    assert paper_bound(z, r, 0.1, "all").item() == pytest.approx(math.log(10))


# ------------------------------------------------------------------------------------ orthogonality
def test_target_cosines_by_hand():
    r = torch.tensor([[1.0, 0.0], [2.0, 0.0], [0.0, 1.0], [-1.0, 1.0]])
    y = torch.tensor([0, 0, 1, 1])
    out = target_cosines(r, y, bins=4)
    assert out["pairs"] == 6 and out["same_pairs"] == 2 and out["diff_pairs"] == 4
    assert out["same_mean"] == pytest.approx((1 + C) / 2)  # (0,1): 1; (2,3): c
    # different-class pairs: (0,2) 0, (0,3) -c, (1,2) 0, (1,3) -c
    assert out["diff_mean"] == pytest.approx(-C / 2)
    assert out["diff_abs"] == pytest.approx(C / 2)
    assert out["all_rms"] == pytest.approx(math.sqrt((1 + 0.5 + 0.5 + 0.5) / 6))
    assert out["hist_same"] == [0, 0, 0, 2] and out["hist_diff"] == [2, 0, 2, 0]


def test_random_abs_cosine_and_welch():
    assert random_abs_cosine(2) == pytest.approx(2 / math.pi)
    assert random_abs_cosine(3) == pytest.approx(0.5)
    g = torch.Generator().manual_seed(0)
    u = F.normalize(torch.randn(20000, 10, generator=g, dtype=torch.float64), dim=1)
    mc = (u[:10000] * u[10000:]).sum(1).abs().mean().item()
    assert mc == pytest.approx(random_abs_cosine(10), abs=0.01)
    assert welch_rms_bound(10, 10) == 0.0
    # the regular simplex (d + 1 unit vectors in R^d, all cosines -1/d) attains the bound
    d = 4
    e = torch.eye(d + 1, dtype=torch.float64) - 1 / (d + 1)
    simplex = F.normalize(e, dim=1)  # lives in a d-dimensional subspace
    rms = target_cosines(simplex, torch.arange(d + 1))["all_rms"]
    assert rms == pytest.approx(1 / d) and welch_rms_bound(d + 1, d) == pytest.approx(1 / d)


def test_errors():
    z, r = tiny()
    with pytest.raises(ValueError, match="tau"):
        infonce(z, r, 0.0)
    with pytest.raises(ValueError, match="negatives"):
        paper_bound(z, r, 0.1, "some")
    with pytest.raises(ValueError, match="same shape"):
        infonce(z, r[:1])
    with pytest.raises(ValueError, match="at least 2"):
        negative_term(z[:1], r[:1], "others")


@pytest.mark.slow
# ------------------------------------------------------------------------------------ end to end
def test_theorem_measurements_runs_on_a_tiny_problem():
    torch.manual_seed(0)
    k = 4
    teacher = get_model("convnet3", k, 8, 3, width=8).eval()
    g = torch.Generator().manual_seed(0)
    xs, ys = torch.randn(20, 3, 8, 8, generator=g), torch.arange(20) % k
    xt, yt = torch.randn(24, 3, 8, 8, generator=g), torch.arange(24) % k
    out = theorem_measurements(teacher, xs, ys, xt, yt, num_classes=k, model="convnet3",
                               model_kwargs={"width": 8}, train_epochs=2, aug_passes=2, taus=(0.1, 1.0),
                               main_tau=0.1, hist_bins=8)
    assert out["setting"]["batch_size"] == 50  # the authors' rule: 20 images -> 50
    assert set(out["bounds"]) == {"distilled", "test"}
    assert set(out["bounds"]["test"]) == {"untrained", "gift_short", "teacher"}
    rnd = out["bounds"]["distilled"]["teacher"]["random"]
    assert rnd["n_batches"] == 2 and len(rnd["per_batch"]["infonce"]) == 2
    per = rnd["per_tau"]["0.1"]
    assert per["holds7"] == 1.0 and per["holds_max"] == 1.0
    assert out["bounds"]["test"]["teacher"]["per_class"]["batch_size"] == k
    assert sum(out["orthogonality"]["test"]["refined label"]["hist_same"]) == out["orthogonality"]["test"]["refined label"]["same_pairs"]
    assert out["training"]["steps"] == 2
    assert 0 <= out["accuracy"]["test"]["teacher"] <= 100
    import json

    json.dumps(out)  # JSON-serialisable
