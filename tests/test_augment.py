import math
from collections import Counter

import pytest
import torch
import torch.nn.functional as F

import gift.augment as aug
from gift.augment import (
    AUGMENTATIONS,
    DSA,
    DSAParams,
    factor_crop,
    get_augmentation,
    list_augmentations,
)

STRATEGIES = ["dsa", "dsa_single"]
OP_NAMES = ["flip", "brightness", "saturation", "contrast", "color", "crop", "scale", "rotate", "cutout"]


def gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def images(b: int = 4, c: int = 3, size: int = 16, seed: int = 0) -> torch.Tensor:
    return torch.randn(b, c, size, size, generator=gen(seed))


# ---------------------------------------------------------------------------------------------
# parameters, registry, input checks
# ---------------------------------------------------------------------------------------------


def test_reference_parameter_values():
    p = DSAParams()
    assert (p.flip_prob, p.scale_ratio, p.rotate_degrees, p.crop_pad_ratio, p.cutout_ratio) == (
        0.5, 1.2, 15.0, 0.125, 0.5)
    assert (p.brightness, p.saturation, p.contrast) == (1.0, 2.0, 0.5)


def test_registry_and_options():
    assert list_augmentations() == ["dsa", "dsa_single", "none"] == AUGMENTATIONS.names()
    assert get_augmentation("dsa") == DSA(DSAParams(), single=False)
    assert get_augmentation("dsa_single", rotate_degrees=30).params.rotate_degrees == 30
    assert get_augmentation("dsa", params=DSAParams(cutout_ratio=0.25)).params.cutout_ratio == 0.25
    x = images()
    assert get_augmentation("none")(x, gen()) is x


def test_bad_names_and_options():
    with pytest.raises(ValueError, match="unknown augmentation .diffaug.*dsa, dsa_single, none"):
        get_augmentation("diffaug")
    with pytest.raises(ValueError, match=r"unknown DSA option\(s\) \['rotate'\].*rotate_degrees"):
        get_augmentation("dsa", rotate=30)
    with pytest.raises(ValueError, match="takes no options"):
        get_augmentation("none", flip_prob=0.5)
    with pytest.raises(ValueError, match="invalid DSA parameter"):
        DSAParams(flip_prob=1.5)


def test_bad_inputs():
    dsa = get_augmentation("dsa")
    with pytest.raises(ValueError, match="floating-point"):
        dsa(torch.zeros(2, 3, 8, 8, dtype=torch.uint8), gen())
    with pytest.raises(ValueError, match=r"\[B, C, H, W\]"):
        dsa(torch.zeros(3, 8, 8), gen())
    with pytest.raises(ValueError, match="torch.Generator"):
        dsa(images(), None)
    with pytest.raises(ValueError, match="factor must be an int"):
        factor_crop(images(), 0, gen())


# ---------------------------------------------------------------------------------------------
# strategy-level properties
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", STRATEGIES)
def test_reproducible_under_a_fixed_seed(name):
    dsa, x = get_augmentation(name), images(b=8)
    assert torch.equal(dsa(x, gen(1)), dsa(x, gen(1)))
    assert not torch.equal(dsa(x, gen(1)), dsa(x, gen(2)))


def test_no_global_rng_use():
    x = images()
    torch.manual_seed(123)
    before = torch.get_rng_state()
    get_augmentation("dsa")(x, gen(0))
    get_augmentation("dsa_single")(x, gen(0))
    factor_crop(x, 2, gen(0))
    assert torch.equal(before, torch.get_rng_state())


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
@pytest.mark.parametrize("name", STRATEGIES)
def test_strategy_shape_and_dtype(name, dtype):
    x = images(size=16).to(dtype)
    for seed in range(6):
        out = get_augmentation(name)(x, gen(seed))
        assert out.shape == x.shape and out.dtype == dtype


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
@pytest.mark.parametrize("op", OP_NAMES)
def test_op_shape_dtype_and_gradient(op, dtype):
    x = images(size=16).to(dtype).requires_grad_()
    out = getattr(aug, op)(x, gen())
    assert out.shape == x.shape and out.dtype == dtype
    out.float().square().sum().backward()
    assert x.grad is not None and x.grad.dtype == dtype
    assert torch.isfinite(x.grad.float()).all() and x.grad.abs().sum() > 0


@pytest.mark.parametrize("name", STRATEGIES)
def test_gradients_flow_through_strategies(name):
    x = images().requires_grad_()
    get_augmentation(name)(x, gen(3)).sum().backward()
    assert torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0


def test_dsa_plan_has_exactly_one_geometric_op():
    dsa = get_augmentation("dsa")
    g = gen()
    plans = [dsa.plan(g) for _ in range(60)]
    for plan in plans:
        assert plan[:2] == ("flip", "color") and plan[3] == "cutout" and len(plan) == 4
    assert Counter(p[2] for p in plans).keys() == {"crop", "scale", "rotate"}


def test_dsa_single_plan_is_one_of_six():
    dsa = get_augmentation("dsa_single")
    g = gen()
    plans = [dsa.plan(g) for _ in range(120)]
    assert all(len(p) == 1 for p in plans)
    assert {p[0] for p in plans} == set(aug.SINGLE_OPS)


def _record_calls(monkeypatch, calls):
    """Replace each op by a pass-through that logs its name and align_corners."""
    for name in aug.SINGLE_OPS:
        real = getattr(aug, name)

        def spy(x, generator, _name=name, _real=real, **kw):
            calls.append((_name, kw.get("align_corners")))
            return _real(x, generator, **kw)

        monkeypatch.setattr(aug, name, spy)


def test_dsa_runs_flip_color_one_geometric_cutout(monkeypatch):
    calls = []
    _record_calls(monkeypatch, calls)
    dsa, x, g = get_augmentation("dsa"), images(b=2, size=8), gen()
    seen = set()
    for _ in range(30):
        calls.clear()
        dsa(x, g)
        names = [n for n, _ in calls]
        assert names[:2] == ["flip", "color"] and names[3] == "cutout" and len(names) == 4
        assert names[2] in aug.GEOMETRIC_OPS
        seen.add(names[2])
        assert all(ac is False for n, ac in calls if n in ("scale", "rotate"))
    assert seen == set(aug.GEOMETRIC_OPS)


def test_dsa_single_runs_one_op_with_align_corners_true(monkeypatch):
    calls = []
    _record_calls(monkeypatch, calls)
    dsa, x, g = get_augmentation("dsa_single"), images(b=2, size=8), gen()
    seen = set()
    for _ in range(60):
        calls.clear()
        dsa(x, g)
        assert len(calls) == 1
        seen.add(calls[0][0])
        assert all(ac is True for n, ac in calls if n in ("scale", "rotate"))
    assert seen == set(aug.SINGLE_OPS)


def test_dsa_equals_its_plan_applied_op_by_op():
    dsa, x = get_augmentation("dsa"), images()
    g_ref, g_manual = gen(5), gen(5)
    expected = dsa(x, g_ref)
    out, ops = x, dsa.ops()
    for name in dsa.plan(g_manual):
        out = ops[name](out, g_manual)
    assert torch.equal(out, expected)


@pytest.mark.parametrize("name", STRATEGIES)
def test_channels_last_input(name):
    x = images(b=4, size=16)
    x_cl = x.contiguous(memory_format=torch.channels_last)
    dsa = get_augmentation(name)
    for seed in range(6):
        out = dsa(x_cl, gen(seed))
        assert out.is_contiguous(memory_format=torch.channels_last)
        torch.testing.assert_close(out, dsa(x, gen(seed)))


# ---------------------------------------------------------------------------------------------
# semantics of each op on tiny hand-made tensors
# ---------------------------------------------------------------------------------------------


def test_flip_forced_probabilities():
    x = images()
    assert torch.equal(aug.flip(x, gen(), prob=1.0), x.flip(3))
    assert torch.equal(aug.flip(x, gen(), prob=0.0), x)
    out = aug.flip(x, gen(), prob=0.5)
    for xi, oi in zip(x, out):
        assert torch.equal(oi, xi) or torch.equal(oi, xi.flip(2))


def test_translate_zero_fills_uncovered_area():
    x = torch.arange(1.0, 17.0).view(1, 1, 4, 4)
    out = aug.translate(x, torch.tensor([1]), torch.tensor([-2]))
    expected = torch.zeros(4, 4)
    expected[:3, 2:] = x[0, 0, 1:, :2]  # out[i, j] = x[i + 1, j - 2]
    assert torch.equal(out[0, 0], expected)
    big = aug.translate(x, torch.tensor([9]), torch.tensor([0]))  # shift beyond the image
    assert torch.equal(big, torch.zeros_like(x))


def test_crop_shift_range():
    x = torch.ones(64, 1, 32, 32)
    out = aug.crop(x, gen(), ratio=0.125)  # s = int(0.125 * 32 + 0.5) = 4
    zero_rows = (out[:, 0] == 0).all(dim=2).sum(dim=1)
    zero_cols = (out[:, 0] == 0).all(dim=1).sum(dim=1)
    assert zero_rows.max() == 4 and zero_cols.max() == 4
    assert (zero_rows == 0).any()
    assert torch.equal(out.sum(dim=(1, 2, 3)), ((32 - zero_rows) * (32 - zero_cols)).float())


def test_erase_clips_at_borders():
    x = torch.ones(2, 1, 6, 6)
    out = aug.erase(x, torch.tensor([-1, 2]), torch.tensor([4, 1]), 3, 3)
    first = torch.ones(6, 6)
    first[0:2, 4:6] = 0
    second = torch.ones(6, 6)
    second[2:5, 1:4] = 0
    assert torch.equal(out[:, 0], torch.stack([first, second]))


def test_cutout_zeroes_a_clipped_square_of_the_right_side():
    x = torch.ones(64, 1, 32, 32)
    out = aug.cutout(x, gen(), ratio=0.5)  # side int(0.5 * 32 + 0.5) = 16
    zero = out[:, 0] == 0
    rows, cols = zero.any(dim=2), zero.any(dim=1)
    # the zeros form an axis-aligned box: exactly the outer product of its row and column spans
    assert torch.equal(zero, rows[:, :, None] & cols[:, None, :])
    heights, widths = rows.sum(1), cols.sum(1)
    assert heights.max() == 16 and widths.max() == 16 and heights.min() >= 8
    assert ((heights == 16) & (widths == 16)).any()
    assert (heights < 16).any()  # some boxes are clipped at a border


def test_brightness_shift_range():
    x = torch.zeros(256, 3, 2, 2)
    out = aug.brightness(x, gen(), strength=1.0)
    shift = out[:, 0, 0, 0]
    assert torch.equal(out, shift.view(-1, 1, 1, 1).expand_as(out))  # one constant per sample
    assert shift.min() >= -0.5 and shift.max() <= 0.5 and shift.std() > 0.2
    assert torch.allclose(aug.brightness(x, gen(), strength=2.0), 2 * out)


def test_saturation_keeps_gray_pixels_and_channel_mean():
    gray = torch.rand(8, 1, 4, 4, generator=gen()).expand(8, 3, 4, 4)
    torch.testing.assert_close(aug.saturation(gray, gen()), gray)
    x = images(b=64)
    out = aug.saturation(x, gen(), strength=2.0)
    torch.testing.assert_close(out.mean(dim=1), x.mean(dim=1))
    dev_in = x - x.mean(dim=1, keepdim=True)
    ratio = (out - out.mean(dim=1, keepdim=True)).flatten(1).norm(dim=1) / dev_in.flatten(1).norm(dim=1)
    assert ratio.min() >= 0 and ratio.max() <= 2 and ratio.max() > 1.5


def test_contrast_preserves_the_mean_and_scales_in_range():
    x = images(b=64)
    out = aug.contrast(x, gen(), strength=0.5)
    torch.testing.assert_close(out.mean(dim=(1, 2, 3)), x.mean(dim=(1, 2, 3)))
    dev = lambda t: (t - t.mean(dim=(1, 2, 3), keepdim=True)).flatten(1).norm(dim=1)  # noqa: E731
    ratio = dev(out) / dev(x)
    assert ratio.min() >= 0.5 - 1e-5 and ratio.max() <= 1.5 + 1e-5


@pytest.mark.parametrize("align_corners", [False, True])
def test_scale_and_rotate_reduce_to_identity_at_zero_strength(align_corners):
    x = images()
    torch.testing.assert_close(aug.scale(x, gen(), ratio=1.0, align_corners=align_corners), x)
    torch.testing.assert_close(aug.rotate(x, gen(), degrees=0.0, align_corners=align_corners), x)


def test_affine_rotation_convention():
    x = images(b=1, size=5)
    quarter = torch.tensor([[[0.0, -1.0, 0.0], [1.0, 0.0, 0.0]]])
    out = aug.affine(x, quarter, align_corners=True)
    torch.testing.assert_close(out, torch.rot90(x, 1, dims=(2, 3)), atol=1e-5, rtol=0)


def test_scale_and_rotate_parameter_ranges(monkeypatch):
    thetas = []
    monkeypatch.setattr(aug, "affine", lambda x, theta, align_corners: thetas.append(theta) or x)
    x = torch.zeros(256, 1, 4, 4)
    aug.scale(x, gen(), ratio=1.2)
    aug.rotate(x, gen(), degrees=15.0)
    scale_theta, rot_theta = thetas
    sx, sy = scale_theta[:, 0, 0], scale_theta[:, 1, 1]
    for s in (sx, sy):
        assert s.min() >= 1 / 1.2 and s.max() <= 1.2 and s.min() < 0.9 and s.max() > 1.1
    assert not torch.equal(sx, sy)  # drawn independently
    assert torch.equal(scale_theta[:, [0, 1], [1, 0]], torch.zeros(256, 2))
    angle = torch.atan2(rot_theta[:, 1, 0], rot_theta[:, 0, 0])
    limit = math.radians(15.0)
    assert angle.abs().max() <= limit + 1e-6 and angle.min() < -0.8 * limit and angle.max() > 0.8 * limit
    torch.testing.assert_close(rot_theta[:, 0, 1], -rot_theta[:, 1, 0])
    torch.testing.assert_close(rot_theta[:, :, 2], torch.zeros(256, 2))


# ---------------------------------------------------------------------------------------------
# factor crop (RDED RandomFactorResizedCrop)
# ---------------------------------------------------------------------------------------------


def test_factor_crop_identity_for_factor_1():
    x = images()
    assert factor_crop(x, 1, gen()) is x


def test_factor_crop_picks_a_cell_or_the_full_image():
    quadrants = torch.tensor([[1.0, 2.0], [3.0, 4.0]]).repeat_interleave(4, 0).repeat_interleave(4, 1)
    x = quadrants.expand(400, 3, 8, 8).contiguous()
    out = factor_crop(x, 2, gen())
    full = (out == x).flatten(1).all(1)
    constant = (out == out[:, :1, :1, :1]).flatten(1).all(1)
    assert (full ^ constant).all()  # either untouched or one whole quadrant blown up
    values = Counter(out[constant, 0, 0, 0].tolist())
    assert set(values) == {1.0, 2.0, 3.0, 4.0}
    assert 0.18 < full.float().mean() < 0.32  # expected 1/4


def test_factor_crop_resize_matches_bilinear_interpolate():
    x = images(b=32, size=8)
    out = factor_crop(x, 2, gen())
    for xi, oi in zip(x, out):
        if torch.equal(oi, xi):
            continue
        cells = [xi[:, r:r + 4, c:c + 4] for r in (0, 4) for c in (0, 4)]
        resized = [F.interpolate(cell[None], size=(8, 8), mode="bilinear", align_corners=False)[0]
                   for cell in cells]
        assert any(torch.allclose(oi, r, atol=1e-6) for r in resized)


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_factor_crop_dtype_grad_and_reproducibility(dtype):
    x = images(b=8).to(dtype).requires_grad_()
    out = factor_crop(x, 2, gen(4))
    assert out.shape == x.shape and out.dtype == dtype
    assert torch.equal(out, factor_crop(x, 2, gen(4)))
    out.float().sum().backward()
    assert torch.isfinite(x.grad.float()).all() and x.grad.abs().sum() > 0
