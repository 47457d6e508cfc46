"""Differentiable Siamese Augmentation (DSA) and RDED's factor crop on batched image tensors.

Everything works on a ``[B, C, H, W]`` floating tensor, stays differentiable with respect to it
(distillers back-propagate through the augmentation), keeps its shape, dtype and memory format,
and is vectorised over the batch. All randomness comes from the ``torch.Generator`` passed in,
never from the global RNGs, so a run is reproducible from its seed. Numbers are drawn on the
generator's device and moved to the images' device; a generator on the images' device avoids
those small copies. Reusing one generator state on two batches of equal size gives both the same
ops and parameters ("siamese" augmentation).

Two strategies:

* ``"dsa"`` — GIFT's evaluation: flip -> brightness -> saturation -> contrast -> one of
  {crop, scale, rotate} (one choice per batch) -> cutout; ``align_corners=False``.
* ``"dsa_single"`` — MTT / DATM / "A Label is Worth a Thousand Images" / DD-Ranking: one op of
  {color, crop, cutout, flip, scale, rotate} per batch; ``align_corners=True``.

In both, every random parameter is drawn per sample; only the choice of op is per batch.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, fields, replace
from functools import partial
from typing import Any, Callable

import torch
import torch.nn.functional as F
from torch import Tensor

from gift.registry import Registry

Augmentation = Callable[[Tensor, torch.Generator], Tensor]
AUGMENTATIONS: Registry[Callable[..., Augmentation]] = Registry("augmentation")


@dataclass(frozen=True)
class DSAParams:
    """Strengths of the DSA ops; the defaults are the reference values (shared by GIFT/IDC and
    MTT/DATM ``ParamDiffAug``)."""

    flip_prob: float = 0.5  # probability of a horizontal flip
    scale_ratio: float = 1.2  # sx, sy ~ U(1/r, r)
    rotate_degrees: float = 15.0  # angle ~ U(-d, d)
    crop_pad_ratio: float = 0.125  # shift up to int(r * size + 0.5) pixels
    cutout_ratio: float = 0.5  # square side int(r * size + 0.5)
    brightness: float = 1.0  # x + (u - 0.5) * b
    saturation: float = 2.0  # factor u * s around the per-pixel channel mean
    contrast: float = 0.5  # factor u + c around the per-image mean

    def __post_init__(self) -> None:
        checks = {
            "flip_prob": 0 <= self.flip_prob <= 1,
            "scale_ratio": self.scale_ratio >= 1,
            "rotate_degrees": self.rotate_degrees >= 0,
            "crop_pad_ratio": 0 <= self.crop_pad_ratio < 1,
            "cutout_ratio": 0 <= self.cutout_ratio <= 1,
            "brightness": self.brightness >= 0,
            "saturation": self.saturation >= 0,
            "contrast": self.contrast >= 0,
        }
        bad = [name for name, ok in checks.items() if not ok]
        if bad:
            raise ValueError(
                f"invalid DSA parameter(s) {bad}: need 0 <= flip_prob <= 1, scale_ratio >= 1, "
                "0 <= crop_pad_ratio < 1, 0 <= cutout_ratio <= 1 and the rest >= 0"
            )


# --------------------------------------------------------------------------------------------
# Random draws: always from the explicit generator
# --------------------------------------------------------------------------------------------


def _uniform(generator: torch.Generator, n: int, device: torch.device) -> Tensor:
    """``n`` draws of U(0, 1) in float32 on ``device``."""
    return torch.rand(n, generator=generator, device=generator.device).to(device)


def _integers(generator: torch.Generator, low: int, high: int, n: int, device: torch.device) -> Tensor:
    """``n`` integers uniform in ``[low, high)`` on ``device``."""
    return torch.randint(low, high, (n,), generator=generator, device=generator.device).to(device)


def _choice(generator: torch.Generator, n: int) -> int:
    return int(torch.randint(n, (1,), generator=generator, device=generator.device).item())


def _per_sample(values: Tensor, x: Tensor) -> Tensor:
    """``[B]`` -> ``[B, 1, 1, 1]`` in x's dtype, so mixing it in does not promote bf16 to fp32."""
    return values.to(x.dtype).view(-1, 1, 1, 1)


# --------------------------------------------------------------------------------------------
# Deterministic cores (tested directly) and the random ops built on them
# --------------------------------------------------------------------------------------------


def _take(x: Tensor, rows: Tensor, cols: Tensor) -> Tensor:
    """Per-sample pixel gather: ``out[b, :, i, j] = x[b, :, rows[b, i], cols[b, j]]``."""
    b, c, _, w = x.shape
    out = x.gather(2, rows[:, None, :, None].expand(b, c, rows.shape[1], w))
    return out.gather(3, cols[:, None, None, :].expand(b, c, rows.shape[1], cols.shape[1]))


def translate(x: Tensor, dy: Tensor, dx: Tensor) -> Tensor:
    """Integer shift per sample, ``out[b, :, i, j] = x[b, :, i + dy[b], j + dx[b]]``, zero where
    that falls outside (reference: 1-pixel zero padding and clamped indices)."""
    _, _, h, w = x.shape
    padded = F.pad(x, (1, 1, 1, 1))
    rows = (torch.arange(h, device=x.device) + dy.view(-1, 1) + 1).clamp(0, h + 1)
    cols = (torch.arange(w, device=x.device) + dx.view(-1, 1) + 1).clamp(0, w + 1)
    return _take(padded, rows, cols)


def erase(x: Tensor, top: Tensor, left: Tensor, height: int, width: int) -> Tensor:
    """Zero the ``height x width`` box at ``(top[b], left[b])`` of each sample, clipped at the
    borders (the box may start above/left of the image)."""
    _, _, h, w = x.shape
    rows = torch.arange(h, device=x.device)
    cols = torch.arange(w, device=x.device)
    in_rows = (rows >= top.view(-1, 1)) & (rows < top.view(-1, 1) + height)
    in_cols = (cols >= left.view(-1, 1)) & (cols < left.view(-1, 1) + width)
    keep = ~(in_rows[:, :, None] & in_cols[:, None, :])
    return x * keep[:, None].to(x.dtype)


def affine(x: Tensor, theta: Tensor, align_corners: bool) -> Tensor:
    """Bilinear resampling with a per-sample ``[B, 2, 3]`` affine map, zero outside.

    Runs in at least float32: a bf16 sampling grid is off by about a pixel at 224 px."""
    work = torch.promote_types(x.dtype, torch.float32)
    grid = F.affine_grid(theta.to(work), list(x.shape), align_corners=align_corners)
    out = F.grid_sample(x.to(work), grid, mode="bilinear", padding_mode="zeros",
                        align_corners=align_corners)
    return out.to(x.dtype)


def flip(x: Tensor, generator: torch.Generator, *, prob: float = 0.5) -> Tensor:
    """Horizontal flip of each sample with probability ``prob``."""
    flipped = _uniform(generator, x.shape[0], x.device) < prob
    return torch.where(flipped.view(-1, 1, 1, 1), x.flip(3), x)


def brightness(x: Tensor, generator: torch.Generator, *, strength: float = 1.0) -> Tensor:
    """Add ``(u - 0.5) * strength`` to each sample."""
    shift = (_uniform(generator, x.shape[0], x.device) - 0.5) * strength
    return x + _per_sample(shift, x)


def saturation(x: Tensor, generator: torch.Generator, *, strength: float = 2.0) -> Tensor:
    """Scale the deviation from the per-pixel channel mean by ``u * strength``."""
    factor = _uniform(generator, x.shape[0], x.device) * strength
    mean = x.mean(dim=1, keepdim=True)
    return mean + (x - mean) * _per_sample(factor, x)


def contrast(x: Tensor, generator: torch.Generator, *, strength: float = 0.5) -> Tensor:
    """Scale the deviation from the per-sample mean over C, H, W by ``u + strength``."""
    factor = _uniform(generator, x.shape[0], x.device) + strength
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    return mean + (x - mean) * _per_sample(factor, x)


def color(x: Tensor, generator: torch.Generator, *, brightness_strength: float = 1.0,
          saturation_strength: float = 2.0, contrast_strength: float = 0.5) -> Tensor:
    """brightness -> saturation -> contrast, the reference's "color" group."""
    x = brightness(x, generator, strength=brightness_strength)
    x = saturation(x, generator, strength=saturation_strength)
    return contrast(x, generator, strength=contrast_strength)


def crop(x: Tensor, generator: torch.Generator, *, ratio: float = 0.125) -> Tensor:
    """Random translation by up to ``int(ratio * size + 0.5)`` pixels per axis, zero fill."""
    b, _, h, w = x.shape
    max_dy, max_dx = int(h * ratio + 0.5), int(w * ratio + 0.5)
    dy = _integers(generator, -max_dy, max_dy + 1, b, x.device)
    dx = _integers(generator, -max_dx, max_dx + 1, b, x.device)
    return translate(x, dy, dx)


def scale(x: Tensor, generator: torch.Generator, *, ratio: float = 1.2,
          align_corners: bool = False) -> Tensor:
    """Independent x/y scaling of the sampling grid by U(1/ratio, ratio)."""
    n, dev = x.shape[0], x.device
    sx = _uniform(generator, n, dev) * (ratio - 1 / ratio) + 1 / ratio
    sy = _uniform(generator, n, dev) * (ratio - 1 / ratio) + 1 / ratio
    zero = torch.zeros_like(sx)
    theta = torch.stack([torch.stack([sx, zero, zero], 1), torch.stack([zero, sy, zero], 1)], 1)
    return affine(x, theta, align_corners)


def rotate(x: Tensor, generator: torch.Generator, *, degrees: float = 15.0,
           align_corners: bool = False) -> Tensor:
    """Rotation by an angle ~ U(-degrees, degrees) about the image centre."""
    n, dev = x.shape[0], x.device
    angle = (_uniform(generator, n, dev) - 0.5) * 2 * math.radians(degrees)
    cos, sin, zero = angle.cos(), angle.sin(), torch.zeros_like(angle)
    theta = torch.stack([torch.stack([cos, -sin, zero], 1), torch.stack([sin, cos, zero], 1)], 1)
    return affine(x, theta, align_corners)


def cutout(x: Tensor, generator: torch.Generator, *, ratio: float = 0.5) -> Tensor:
    """Zero a ``int(ratio * size + 0.5)`` square at a random centre, clipped at the borders.

    Centre range as in the reference: ``[0, size + (1 - side % 2))``."""
    b, _, h, w = x.shape
    side_h, side_w = int(h * ratio + 0.5), int(w * ratio + 0.5)
    cy = _integers(generator, 0, h + (1 - side_h % 2), b, x.device)
    cx = _integers(generator, 0, w + (1 - side_w % 2), b, x.device)
    return erase(x, cy - side_h // 2, cx - side_w // 2, side_h, side_w)


# --------------------------------------------------------------------------------------------
# Strategies
# --------------------------------------------------------------------------------------------

GEOMETRIC_OPS = ("crop", "scale", "rotate")
SINGLE_OPS = ("color", "crop", "cutout", "flip", "scale", "rotate")


@dataclass(frozen=True)
class DSA:
    """A DSA strategy: ``DSA(params)(x, generator)``.

    ``single=False`` is GIFT's variant, ``single=True`` the MTT/DATM one (see the module doc).
    :meth:`plan` draws the per-batch op list, so tests and logs can see what ran."""

    params: DSAParams = field(default_factory=DSAParams)
    single: bool = False

    @property
    def align_corners(self) -> bool:
        return self.single

    def plan(self, generator: torch.Generator) -> tuple[str, ...]:
        """The ops one batch goes through, drawn from ``generator``."""
        if self.single:
            return (SINGLE_OPS[_choice(generator, len(SINGLE_OPS))],)
        return ("flip", "color", GEOMETRIC_OPS[_choice(generator, len(GEOMETRIC_OPS))], "cutout")

    def ops(self) -> dict[str, Augmentation]:
        """Name -> op with this strategy's parameters bound (looked up at call time)."""
        p, ac = self.params, self.align_corners
        return {
            "flip": partial(flip, prob=p.flip_prob),
            "color": partial(color, brightness_strength=p.brightness,
                             saturation_strength=p.saturation, contrast_strength=p.contrast),
            "crop": partial(crop, ratio=p.crop_pad_ratio),
            "scale": partial(scale, ratio=p.scale_ratio, align_corners=ac),
            "rotate": partial(rotate, degrees=p.rotate_degrees, align_corners=ac),
            "cutout": partial(cutout, ratio=p.cutout_ratio),
        }

    def __call__(self, x: Tensor, generator: torch.Generator) -> Tensor:
        check_images(x, generator)
        ops = self.ops()
        out = x
        for name in self.plan(generator):
            out = ops[name](out, generator)
        return _same_layout(out, x)


def identity(x: Tensor, generator: torch.Generator) -> Tensor:
    """No augmentation (the generator is not touched)."""
    check_images(x, generator)
    return x


def check_images(x: Any, generator: Any) -> None:
    """Reject what the ops would mishandle, with a message that says what to pass instead."""
    if not isinstance(x, Tensor) or x.dim() != 4 or not x.is_floating_point():
        what = f"a {x.dim()}-D {x.dtype} tensor" if isinstance(x, Tensor) else type(x).__name__
        raise ValueError(f"augmentations take a [B, C, H, W] floating-point tensor, got {what}; "
                         "convert uint8 images with x.float() / 255 first")
    if not isinstance(generator, torch.Generator):
        raise ValueError("pass an explicit torch.Generator (e.g. torch.Generator(device=x.device)"
                         f".manual_seed(seed)), got {type(generator).__name__}")


def _same_layout(out: Tensor, like: Tensor) -> Tensor:
    """Give ``out`` the memory format of the input (channels_last stays channels_last)."""
    channels_last = like.is_contiguous(memory_format=torch.channels_last) and not like.is_contiguous()
    fmt = torch.channels_last if channels_last else torch.contiguous_format
    return out.contiguous(memory_format=fmt)


def _dsa_params(params: DSAParams | None = None, **overrides: Any) -> DSAParams:
    valid = [f.name for f in fields(DSAParams)]
    unknown = sorted(set(overrides) - set(valid))
    if unknown:
        raise ValueError(f"unknown DSA option(s) {unknown}; valid: params, {', '.join(valid)}")
    if params is not None and not isinstance(params, DSAParams):
        raise ValueError(f"params must be a DSAParams, got {type(params).__name__}")
    return replace(params or DSAParams(), **{k: v for k, v in overrides.items() if v is not None})


@AUGMENTATIONS.register("dsa")
def _build_dsa(params: DSAParams | None = None, **overrides: Any) -> Augmentation:
    return DSA(_dsa_params(params, **overrides), single=False)


@AUGMENTATIONS.register("dsa_single")
def _build_dsa_single(params: DSAParams | None = None, **overrides: Any) -> Augmentation:
    return DSA(_dsa_params(params, **overrides), single=True)


@AUGMENTATIONS.register("none")
def _build_none(**kw: Any) -> Augmentation:
    if kw:
        raise ValueError(f"augmentation 'none' takes no options, got {sorted(kw)}")
    return identity


def get_augmentation(name: str, **kw: Any) -> Augmentation:
    """``get_augmentation("dsa", rotate_degrees=30)`` -> ``callable(x, generator) -> x``.

    ``kw`` are :class:`DSAParams` fields or ``params=DSAParams(...)``."""
    return AUGMENTATIONS.get(name)(**kw)


def list_augmentations() -> list[str]:
    return AUGMENTATIONS.names()


# --------------------------------------------------------------------------------------------
# RDED's RandomFactorResizedCrop, batched
# --------------------------------------------------------------------------------------------


def factor_crop(x: Tensor, factor: int, generator: torch.Generator) -> Tensor:
    """With probability ``1 - 1/factor**2`` per sample, replace the image by one cell of a
    ``factor x factor`` grid (uniform cell) resized back bilinearly; otherwise keep it whole.

    Meant for RDED's stitched images (factor 2: full image 1/4, each quadrant 3/16). Cells are
    ``(H // factor) x (W // factor)`` at multiples of that size; the resize is upsampling, so
    antialiasing plays no part. ``factor=1`` returns ``x`` unchanged."""
    check_images(x, generator)
    if isinstance(factor, bool) or not isinstance(factor, int) or factor < 1:
        raise ValueError(f"factor must be an int >= 1, got {factor!r}")
    if factor == 1:
        return x
    b, _, h, w = x.shape
    cell_h, cell_w = h // factor, w // factor
    if cell_h < 1 or cell_w < 1:
        raise ValueError(f"factor {factor} is larger than the {h}x{w} images")
    use_cell = _uniform(generator, b, x.device) >= 1 / factor**2
    i = _integers(generator, 0, factor, b, x.device)
    j = _integers(generator, 0, factor, b, x.device)
    rows = i.view(-1, 1) * cell_h + torch.arange(cell_h, device=x.device)
    cols = j.view(-1, 1) * cell_w + torch.arange(cell_w, device=x.device)
    cells = _take(x, rows, cols)
    work = torch.promote_types(x.dtype, torch.float32)
    resized = F.interpolate(cells.to(work), size=(h, w), mode="bilinear", align_corners=False)
    out = torch.where(use_cell.view(-1, 1, 1, 1), resized.to(x.dtype), x)
    return _same_layout(out, x)
