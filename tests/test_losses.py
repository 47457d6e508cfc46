"""Tests for gift.losses: every loss against an independent float64 NumPy implementation of the
formulas of the authors' code and the KD reference implementations, refinement conventions, properties and error messages."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from gift.losses import (
    LOSSES,
    LabelLoss,
    get_loss,
    gift_loss,
    list_losses,
    refine_labels,
    smooth_labels,
)

ALL_LOSSES = [
    "ce", "kl", "soft_ce", "mse", "mse_ce", "kl_ce", "soft_ce_ce", "cosine", "gift", "kl_refined",
    "kd", "wsld", "dkd", "nkd",
]

# ------------------------------------------------------------------------------------------------
# Independent float64 reference implementations (NumPy, straight from the written formulas)
# ------------------------------------------------------------------------------------------------


def np_log_softmax(z, T=1.0):
    z = np.asarray(z, np.float64) / T
    z = z - z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def np_softmax(z, T=1.0):
    return np.exp(np_log_softmax(z, T))


def np_ce_rows(z, y):
    return -np_log_softmax(z)[np.arange(len(y)), y]


def np_ce(z, y):
    return np_ce_rows(z, y).mean()


def np_kl(s, t, T):
    pt = np_softmax(t, T)
    return (pt * (np.log(pt) - np_log_softmax(s, T))).sum() / len(s)


def np_soft_ce(s, t, T):
    return -(np_softmax(t, T) * np_log_softmax(s, T)).sum(axis=1).mean()


def np_mse(s, t):
    return ((np.asarray(s, np.float64) - t) ** 2).mean()


def np_cos_loss(a, b):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    cos = (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
    return 1.0 - cos.mean()


def np_smooth(y, C, alpha, convention="gift"):
    out = np.empty((len(y), C))
    for i, c in enumerate(y):
        if convention == "gift":
            out[i] = alpha / (C - 1)
            out[i, c] = 1 - alpha
        else:
            out[i] = alpha / C
            out[i, c] = 1 - alpha + alpha / C
    return out


def np_unit(v):
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def np_refine(t, y, alpha=0.1, gamma=0.1, convention="paper", smoothing="gift", soft="logits"):
    t = np.asarray(t, np.float64)
    sm = np_unit(np_smooth(y, t.shape[1], alpha, smoothing))
    so = np_unit(np_softmax(t) if soft == "probs" else t)
    return gamma * sm + (1 - gamma) * so if convention == "paper" else so + gamma * sm


def np_kd(s, t, y, T=4.0, ce_weight=0.1, kd_weight=0.9):
    return ce_weight * np_ce(s, y) + kd_weight * T**2 * np_kl(s, t, T)


def np_wsld(s, t, y, T=4.0, alpha=2.25):
    w = 1 - np.exp(-np.maximum(np_ce_rows(s, y) / (np_ce_rows(t, y) + 1e-7), 0))
    l = -(np_softmax(t, T) * np_log_softmax(s, T)).sum(1)
    return np_ce(s, y) + alpha * T**2 * (w * l).mean()


def np_dkd(s, t, y, ce_weight=1.0, alpha=1.0, beta=8.0, T=4.0, factor=1.0):
    tckd = nckd = 0.0
    ps, pt = np_softmax(s, T), np_softmax(t, T)
    for i, c in enumerate(y):
        bs = np.array([ps[i, c], 1 - ps[i, c]])
        bt = np.array([pt[i, c], 1 - pt[i, c]])
        tckd += (bt * np.log(bt / bs)).sum()
        qs = np_softmax(np.delete(s[i], c)[None], T)[0]  # softmax over the non-target classes
        qt = np_softmax(np.delete(t[i], c)[None], T)[0]
        nckd += (qt * np.log(qt / qs)).sum()
    B = len(y)
    return ce_weight * np_ce(s, y) + factor * T**2 * (alpha * tckd / B + beta * nckd / B)


def np_nkd(s, t, y, T=3.0, gamma=3.5):
    B = len(y)
    ps, pt = np_softmax(s), np_softmax(t)
    target = -np.mean([pt[i, c] * np.log(ps[i, c]) for i, c in enumerate(y)])
    nt = 0.0
    for i, c in enumerate(y):
        qs = np_softmax(np.delete(s[i], c)[None], T)[0]
        qt = np_softmax(np.delete(t[i], c)[None], T)[0]
        nt += (qt * np.log(qs)).sum()
    return np_ce(s, y) + target - gamma * T**2 * nt / B


REFERENCE = {
    "ce": lambda s, t, y: np_ce(s, y),
    "kl": lambda s, t, y: np_kl(s, t, 20.0),
    "soft_ce": lambda s, t, y: np_soft_ce(s, t, 1.0),
    "mse": lambda s, t, y: np_mse(s, t),
    "mse_ce": lambda s, t, y: np_mse(s, t) + 0.1 * np_ce(s, y),
    "kl_ce": lambda s, t, y: np_kl(s, t, 20.0) + 0.1 * np_ce(s, y),
    "soft_ce_ce": lambda s, t, y: np_soft_ce(s, t, 1.0) + 0.1 * np_ce(s, y),
    "cosine": lambda s, t, y: np_cos_loss(s, t),
    "gift": lambda s, t, y: np_cos_loss(s, np_refine(t, y)),
    "kl_refined": lambda s, t, y: np_kl(
        s, np_unit(np_refine(t, y)) * np.linalg.norm(np.asarray(t, np.float64), axis=1, keepdims=True), 20.0
    ),
    "kd": np_kd,
    "wsld": np_wsld,
    "dkd": np_dkd,
    "nkd": np_nkd,
}

S23 = np.array([[1.0, 2.0, 0.5], [-1.0, 0.3, 2.2]])
T23 = np.array([[2.0, 1.0, -1.0], [0.5, 0.1, 3.0]])
Y2 = np.array([0, 2])

_rng = np.random.default_rng(0)
S45 = _rng.normal(0, 2, (4, 5))
T45 = _rng.normal(0, 3, (4, 5))
Y4 = np.array([0, 3, 4, 1])


def tt(a, dtype=torch.float32):
    return torch.tensor(a, dtype=dtype)


def run(loss, s, t, y):
    return float(loss(tt(s), tt(t), torch.tensor(y)))


# ------------------------------------------------------------------------------------------------
# Values
# ------------------------------------------------------------------------------------------------


def test_registry_lists_all_losses():
    assert sorted(ALL_LOSSES) == list_losses()
    for name in ALL_LOSSES:
        assert get_loss(name).name == name


@pytest.mark.parametrize("name", ALL_LOSSES)
@pytest.mark.parametrize("data", [(S23, T23, Y2), (S45, T45, Y4)], ids=["2x3", "4x5"])
def test_default_loss_matches_numpy(name, data):
    s, t, y = data
    assert run(get_loss(name), s, t, y) == pytest.approx(REFERENCE[name](s, t, y), abs=1e-6, rel=1e-6)


@pytest.mark.parametrize(
    "name, hp, ref",
    [
        ("kl", {"T": 4.0, "t2_scale": True}, lambda s, t, y: 16 * np_kl(s, t, 4.0)),
        ("soft_ce", {"T": 2.0, "t2_scale": True}, lambda s, t, y: 4 * np_soft_ce(s, t, 2.0)),
        ("kl_ce", {"T": 3.0, "ce_weight": 0.5}, lambda s, t, y: np_kl(s, t, 3.0) + 0.5 * np_ce(s, y)),
        ("mse_ce", {"ce_weight": 0.15}, lambda s, t, y: np_mse(s, t) + 0.15 * np_ce(s, y)),
        ("kd", {"T": 1.0, "ce_weight": 0.5, "kd_weight": 0.5}, lambda s, t, y: np_kd(s, t, y, 1.0, 0.5, 0.5)),
        ("wsld", {"T": 2.0, "alpha": 2.5}, lambda s, t, y: np_wsld(s, t, y, 2.0, 2.5)),
        ("dkd", {"beta": 0.5, "T": 1.0}, lambda s, t, y: np_dkd(s, t, y, beta=0.5, T=1.0)),
        ("nkd", {"T": 1.0, "gamma": 1.5}, lambda s, t, y: np_nkd(s, t, y, 1.0, 1.5)),
        ("gift", {"convention": "official"}, lambda s, t, y: np_cos_loss(s, np_refine(t, y, convention="official"))),
        ("gift", {"gamma": 0.3, "alpha": 0.2, "smoothing": "pytorch", "soft": "probs"},
         lambda s, t, y: np_cos_loss(s, np_refine(t, y, 0.2, 0.3, "paper", "pytorch", "probs"))),
    ],
)
def test_hyperparameters_match_numpy(name, hp, ref):
    assert run(get_loss(name, **hp), S45, T45, Y4) == pytest.approx(ref(S45, T45, Y4), abs=1e-6, rel=1e-6)


@pytest.mark.parametrize("name", ALL_LOSSES)
def test_formulas_match_numpy_on_random_batches(name):
    """Many shapes, including one row and two classes (DKD/NKD then have a single non-target
    class). float64 inputs are computed in float64 and agree to 1e-10; float32 inputs agree to
    float32 precision (T^2 = 16 in kd/dkd/wsld amplifies its ~1e-7 rounding, hence rel 1e-5)."""
    rng = np.random.default_rng(7)
    loss = get_loss(name)
    for _ in range(25):
        b, c = int(rng.integers(1, 9)), int(rng.integers(2, 12))
        s, t, y = rng.normal(0, 1, (b, c)), rng.normal(0, 3, (b, c)), rng.integers(0, c, b)
        ref = REFERENCE[name](s, t, y)
        out64 = loss(tt(s, torch.float64), tt(t, torch.float64), torch.tensor(y))
        assert out64.dtype == torch.float64
        assert float(out64) == pytest.approx(ref, abs=1e-10, rel=1e-10)
        s32, t32 = tt(s).double().numpy(), tt(t).double().numpy()  # the inputs rounded to float32
        assert run(loss, s32, t32, y) == pytest.approx(REFERENCE[name](s32, t32, y), abs=1e-6, rel=1e-5)


def test_authors_script_names_are_aliases():
    assert get_loss("softce").name == "soft_ce"
    assert get_loss("softce_ce").name == "soft_ce_ce"


def test_hparams_and_repr():
    loss = get_loss("kl", T=4.0)
    assert loss.hparams() == {"T": 4.0, "t2_scale": False}
    assert "T=4.0" in repr(loss) and "t2_scale=False" in repr(loss)
    assert get_loss("dkd").hparams() == {"ce_weight": 1.0, "alpha": 1.0, "beta": 8.0, "T": 4.0, "warmup": 20}
    assert get_loss("gift").hparams()["convention"] == "paper"
    assert isinstance(get_loss("ce"), LabelLoss) and get_loss("ce").validate is True


# ------------------------------------------------------------------------------------------------
# Label smoothing and refinement
# ------------------------------------------------------------------------------------------------


def test_smoothing_conventions_by_hand():
    y = torch.tensor([1])
    gift = smooth_labels(y, 4, 0.1, "gift")
    torch_conv = smooth_labels(y, 4, 0.1, "pytorch")
    assert gift.dtype == torch.float32
    assert torch.allclose(gift, torch.tensor([[0.1 / 3, 0.9, 0.1 / 3, 0.1 / 3]]))
    assert torch.allclose(torch_conv, torch.tensor([[0.025, 0.925, 0.025, 0.025]]))
    # PyTorch's convention is what F.cross_entropy(label_smoothing=alpha) uses
    z = torch.tensor([[0.3, -1.0, 2.0, 0.1]])
    soft_target = -(torch_conv * torch.log_softmax(z, 1)).sum()
    assert torch.allclose(soft_target, torch.nn.functional.cross_entropy(z, y, label_smoothing=0.1))


def test_refine_paper_by_hand():
    # teacher [3,4,0] -> n = [0.6, 0.8, 0]; smoothed label [0.9, 0.05, 0.05] with norm sqrt(0.815)
    r = refine_labels(torch.tensor([[3.0, 4.0, 0.0]]), torch.tensor([0]), 3)
    k = 0.1 / math.sqrt(0.815)
    expected = [k * 0.9 + 0.9 * 0.6, k * 0.05 + 0.9 * 0.8, k * 0.05]
    assert r.dtype == torch.float32
    assert r[0].tolist() == pytest.approx(expected, abs=1e-6)


def test_refine_official_by_hand():
    r = refine_labels(torch.tensor([[3.0, 4.0, 0.0]]), torch.tensor([0]), 3, convention="official")
    k = 0.1 / math.sqrt(0.815)
    assert r[0].tolist() == pytest.approx([0.6 + k * 0.9, 0.8 + k * 0.05, k * 0.05], abs=1e-6)


def test_refine_pytorch_smoothing_and_probs_by_hand():
    t = torch.tensor([[0.0, math.log(3.0)]])  # softmax -> [0.25, 0.75], unit -> [1, 3]/sqrt(10)
    r = refine_labels(t, torch.tensor([1]), 2, alpha=0.2, gamma=0.5, smoothing="pytorch", soft="probs")
    sm = np.array([0.1, 0.9]) / math.sqrt(0.82)  # pytorch smoothing: 0.2/2 off, 1-0.2+0.1 on
    so = np.array([1.0, 3.0]) / math.sqrt(10.0)
    assert r[0].tolist() == pytest.approx((0.5 * sm + 0.5 * so).tolist(), abs=1e-6)


@pytest.mark.parametrize("kw", [{}, {"smoothing": "pytorch"}, {"soft": "probs"}, {"alpha": 0.3, "gamma": 0.4}])
def test_refine_matches_numpy(kw):
    for convention in ("paper", "official"):
        r = refine_labels(tt(T45), torch.tensor(Y4), 5, convention=convention, **kw)
        assert np.allclose(r.numpy(), np_refine(T45, Y4, convention=convention, **kw), atol=1e-6)


@pytest.mark.parametrize("gamma", [0.1, 0.5, 2.0])
def test_official_equals_paper_with_rescaled_gamma(gamma):
    t, y = tt(T45), torch.tensor(Y4)
    r_off = refine_labels(t, y, 5, gamma=gamma, convention="official")
    r_pap = refine_labels(t, y, 5, gamma=gamma / (1 + gamma), convention="paper")
    assert torch.allclose(r_off / (1 + gamma), r_pap, atol=1e-6)
    s = tt(S45)
    official = gift_loss(s, t, y, gamma=gamma, convention="official")
    paper = gift_loss(s, t, y, gamma=gamma / (1 + gamma), convention="paper")
    assert float(official) == pytest.approx(float(paper), abs=1e-6)


# ------------------------------------------------------------------------------------------------
# Properties
# ------------------------------------------------------------------------------------------------


def test_gift_loss_equals_registered_loss():
    s, t, y = tt(S45), tt(T45), torch.tensor(Y4)
    for kw in ({}, {"convention": "official", "gamma": 0.2}, {"soft": "probs", "smoothing": "pytorch"}):
        assert torch.equal(gift_loss(s, t, y, **kw), get_loss("gift", **kw)(s, t, y))

def test_a_softmax_passed_as_teacher_logits_is_warned_about_at_the_callers_line():
    torch.manual_seed(0)
    s, t, y = torch.randn(6, 5), torch.randn(6, 5), torch.randint(0, 5, (6,))
    with pytest.warns(UserWarning, match=r"look like probabilities.*soft='probs'") as record:
        gift_loss(s, t.softmax(1), y)
    assert record[0].filename == __file__  # the line that called the loss, not torch's Module.__call__
    with pytest.warns(UserWarning, match="pass the teacher's raw outputs$"):
        get_loss("kl")(s, t.softmax(1))  # KL has no `soft` option to suggest
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gift_loss(s, t, y)  # raw logits: no warning
        gift_loss(s, t.softmax(1), y, validate=False)  # the sync-free call checks shapes only
        assert torch.equal(gift_loss(s, t, y, validate=False), gift_loss(s, t, y))


@pytest.mark.parametrize("convention", ["paper", "official"])
def test_gift_invariant_to_teacher_scale(convention):
    s, t, y = tt(S45), tt(T45), torch.tensor(Y4)
    base = gift_loss(s, t, y, convention=convention)
    for scale in (1e-3, 7.3, 1e3):
        assert float(gift_loss(s, scale * t, y, convention=convention)) == pytest.approx(float(base), abs=1e-6)


@pytest.mark.parametrize("name", ["cosine", "gift"])
def test_cosine_losses_lie_in_0_2(name):
    loss = get_loss(name)
    g = torch.Generator().manual_seed(1)
    for _ in range(20):
        s, t = torch.randn(8, 6, generator=g) * 5, torch.randn(8, 6, generator=g) * 5
        y = torch.randint(0, 6, (8,), generator=g)
        assert -1e-6 <= float(loss(s, t, y)) <= 2 + 1e-6
    t, y = tt(T45), torch.tensor(Y4)
    target = t if name == "cosine" else refine_labels(t, y, 5)
    assert float(loss(3 * target, t, y)) == pytest.approx(0.0, abs=1e-6)  # aligned
    assert float(loss(-3 * target, t, y)) == pytest.approx(2.0, abs=1e-6)  # opposite


@pytest.mark.parametrize("name", ALL_LOSSES)
@pytest.mark.parametrize("scale", [1.0, 1e4], ids=["normal", "extreme"])
def test_gradients_finite(name, scale):
    g = torch.Generator().manual_seed(2)
    s = (torch.randn(6, 7, generator=g).sign() * scale if scale > 1 else torch.randn(6, 7, generator=g))
    t = (torch.randn(6, 7, generator=g).sign() * scale if scale > 1 else torch.randn(6, 7, generator=g))
    s.requires_grad_(True)
    y = torch.randint(0, 7, (6,), generator=g)
    out = get_loss(name)(s, t, y)
    out.backward()
    assert torch.isfinite(out) and out.dim() == 0
    assert torch.isfinite(s.grad).all()


@pytest.mark.parametrize("name", ALL_LOSSES)
def test_bf16_inputs_computed_in_fp32(name):
    s, t, y = tt(S45), tt(T45), torch.tensor(Y4)
    loss = get_loss(name)
    sb, tb = s.bfloat16(), t.bfloat16()
    out = loss(sb, tb, y)
    assert out.dtype == torch.float32
    # same as fp32 arithmetic on the rounded inputs, and close to the unrounded fp32 result
    assert float(out) == pytest.approx(float(loss(sb.float(), tb.float(), y)), abs=1e-6, rel=1e-6)
    assert float(out) == pytest.approx(float(loss(s, t, y)), rel=3e-2, abs=1e-2)


def test_dkd_warmup_via_set_epoch():
    s, t, y = tt(S45), tt(T45), torch.tensor(Y4)
    dkd = get_loss("dkd")
    assert dkd.warmup_factor() == 1.0  # no set_epoch yet
    assert float(dkd(s, t, y)) == pytest.approx(np_dkd(S45, T45, Y4), abs=1e-6, rel=1e-6)
    dkd.set_epoch(5, 100)
    assert dkd.warmup_factor() == 0.25
    assert float(dkd(s, t, y)) == pytest.approx(np_dkd(S45, T45, Y4, factor=0.25), abs=1e-6, rel=1e-6)
    dkd.set_epoch(0, 100)
    assert float(dkd(s, t, y)) == pytest.approx(np_ce(S45, Y4), abs=1e-6)
    dkd.set_epoch(40, 100)
    assert dkd.warmup_factor() == 1.0
    nowarm = get_loss("dkd", warmup=0)
    nowarm.set_epoch(0, 100)
    assert nowarm.warmup_factor() == 1.0
    for name in ALL_LOSSES:  # every loss accepts set_epoch
        get_loss(name).set_epoch(1, 10)


def test_drop_in_training_step_reduces_loss():
    torch.manual_seed(0)
    x, y = torch.randn(16, 4), torch.randint(0, 3, (16,))
    teacher, student = torch.nn.Linear(4, 3), torch.nn.Linear(4, 3)
    opt = torch.optim.SGD(student.parameters(), lr=0.5)
    losses = []
    for _ in range(20):
        loss = gift_loss(student(x), teacher(x).detach(), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0]


# ------------------------------------------------------------------------------------------------
# Errors
# ------------------------------------------------------------------------------------------------

S, T_, Y = torch.randn(2, 3), torch.randn(2, 3), torch.tensor([0, 2])


def test_unknown_loss_name_lists_valid():
    with pytest.raises(ValueError, match=r"unknown loss 'focal'.*valid losses are: .*gift.*kl"):
        get_loss("focal")


def test_unknown_hyperparameter_lists_valid():
    with pytest.raises(ValueError, match=r"loss 'kl'.*unknown hyperparameter\(s\) 'temperature'.*valid hyperparameters are: T, t2_scale"):
        get_loss("kl", temperature=4)
    with pytest.raises(ValueError, match=r"loss 'ce'.*'T'.*valid hyperparameters are: \(none\)"):
        get_loss("ce", T=4)
    with pytest.raises(ValueError, match=r"loss 'gift'.*'beta'.*alpha, gamma, convention"):
        gift_loss(S, T_, Y, beta=1.0)


@pytest.mark.parametrize(
    "name, hp, pattern",
    [
        ("kl", {"T": 0.0}, r"loss 'kl': temperature T must be > 0"),
        ("kd", {"ce_weight": -1.0}, r"loss 'kd': hyperparameter ce_weight must be >= 0"),
        ("kl", {"t2_scale": "yes"}, r"loss 'kl': hyperparameter t2_scale must be a bool"),
        ("kl", {"T": float("nan")}, r"T must be a finite number"),
        ("gift", {"gamma": 1.5}, r"loss 'gift': gamma must be in \[0, 1\] for convention='paper'"),
        ("gift", {"alpha": 1.0}, r"loss 'gift': alpha .* must be in \[0, 1\)"),
        ("gift", {"convention": "code"}, r"unknown refinement convention 'code'; valid values are: 'paper', 'official'"),
        ("gift", {"smoothing": "torch"}, r"unknown smoothing 'torch'; valid values are: 'gift', 'pytorch'"),
        ("gift", {"soft": "probabilities"}, r"unknown soft label kind .*'logits', 'probs'"),
        ("gift", {"convention": "official", "gamma": -0.1}, r"gamma must be >= 0 for convention='official'"),
    ],
)
def test_bad_hyperparameters(name, hp, pattern):
    with pytest.raises(ValueError, match=pattern):
        get_loss(name, **hp)


def test_official_convention_accepts_gamma_above_one():
    assert get_loss("gift", convention="official", gamma=1.5).gamma == 1.5


def test_missing_teacher_names_teacher_free_losses():
    with pytest.raises(ValueError, match=r"loss 'kl': teacher_logits is required but was None.*needs no teacher: ce$"):
        get_loss("kl")(S)
    assert torch.isfinite(get_loss("ce")(S, None, Y))


def test_missing_labels_names_label_free_losses():
    with pytest.raises(ValueError, match=r"loss 'gift': labels .* required .*needs no labels: cosine, kl, mse, soft_ce$"):
        get_loss("gift")(S, T_)
    assert torch.isfinite(get_loss("kl")(S, T_))


def test_shape_errors():
    with pytest.raises(ValueError, match=r"loss 'kl': teacher_logits shape \(2, 4\) does not match student_logits shape \(2, 3\)"):
        get_loss("kl")(S, torch.randn(2, 4))
    with pytest.raises(ValueError, match=r"loss 'mse': student_logits must be 2-D \[batch, classes\], got shape \(3,\)"):
        get_loss("mse")(torch.randn(3), torch.randn(3))
    with pytest.raises(ValueError, match=r"loss 'cosine': teacher_logits must be 2-D .*\(2, 3, 1\)"):
        get_loss("cosine")(S, torch.randn(2, 3, 1))
    with pytest.raises(ValueError, match=r"loss 'ce': labels must have shape \[2\] .*got \(3,\)"):
        get_loss("ce")(S, None, torch.tensor([0, 1, 2]))
    with pytest.raises(ValueError, match=r"loss 'ce': student_logits must be a floating-point tensor"):
        get_loss("ce")(torch.ones(2, 3, dtype=torch.long), None, Y)


def test_label_errors():
    with pytest.raises(ValueError, match=r"loss 'gift': labels must be an integer tensor of class indices, got torch.float32.*labels.long\(\)"):
        get_loss("gift")(S, T_, torch.tensor([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"loss 'kd': labels must lie in \[0, 3\) for 3-class logits, got values in \[0, 3\]"):
        get_loss("kd")(S, T_, torch.tensor([0, 3]))
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 3\).*\[-1, 2\]"):
        get_loss("ce")(S, None, torch.tensor([-1, 2]))
    assert torch.isfinite(get_loss("ce")(S, None, torch.tensor([0, 2], dtype=torch.int32)))


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_non_finite_logits(bad):
    s = S.clone()
    s[0, 1] = bad
    with pytest.raises(ValueError, match=r"loss 'kl': student_logits contains 1 NaN/Inf value\(s\)"):
        get_loss("kl")(s, T_)
    with pytest.raises(ValueError, match=r"loss 'gift': teacher_logits contains 1 NaN/Inf value\(s\)"):
        get_loss("gift")(S, s, Y)


def test_validate_off_skips_only_sync_checks():
    loss = get_loss("kl")
    loss.validate = False
    s = S.clone()
    s[0, 0] = float("nan")
    assert torch.isnan(loss(s, T_))  # value check skipped (no host sync)
    with pytest.raises(ValueError, match="does not match"):  # metadata checks stay on
        loss(S, torch.randn(2, 4))


def test_refine_labels_argument_errors():
    with pytest.raises(ValueError, match=r"teacher_logits must have shape \[B, 4\]"):
        refine_labels(T_, Y, 4)
    with pytest.raises(ValueError, match=r"unknown refinement convention 'x'"):
        refine_labels(T_, Y, 3, convention="x")
    with pytest.raises(ValueError, match=r"alpha .* must be in \[0, 1\)"):
        refine_labels(T_, Y, 3, alpha=-0.1)
    with pytest.raises(ValueError, match=r"unknown smoothing convention 'x'"):
        smooth_labels(Y, 3, 0.1, convention="x")


def test_refine_and_smooth_reject_bad_class_indices():
    t = torch.randn(2, 3)
    with pytest.raises(ValueError, match=r"refine_labels: labels must lie in \[0, 3\).*\[0, 3\]"):
        refine_labels(t, torch.tensor([0, 3]), 3)
    with pytest.raises(ValueError, match=r"refine_labels: labels must be an integer tensor.*torch.float32"):
        refine_labels(t, torch.tensor([0.0, 1.0]), 3)
    with pytest.raises(ValueError, match=r"smooth_labels: labels must lie in \[0, 3\).*\[-1, 0\]"):
        smooth_labels(torch.tensor([-1, 0]), 3, 0.1)
    with pytest.raises(ValueError, match=r"smooth_labels: labels must be an integer tensor.*list"):
        smooth_labels([0, 1], 3, 0.1)


def test_registry_is_the_public_one():
    assert "gift" in LOSSES and len(LOSSES) == len(ALL_LOSSES)
