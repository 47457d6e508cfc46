"""``rded``: RDED's patch selection and stitching (Sun et al., CVPR 2024).

Per class c (classes in order, one explicit generator for all draws):

1. ``mipc`` real images of c at random (a random permutation of the class, first ``mipc``; capped at
   what the class has).
2. ``num_crop`` RandomResizedCrops per image: area fraction s ~ U(0.08, 1), aspect ratio fixed to 1,
   side = round(sqrt(s·H·W)), top/left uniform over the valid positions — torchvision's
   ``RandomResizedCrop.get_params`` with ratio (1, 1), whose first attempt always succeeds on a square
   image — then a bilinear, antialiased resize to the patch side ``S = H // factor``. Crops are cut out
   in batches of equal side, so one resize call serves all crops of a given size.
3. Every patch is normalised, zero-padded (centred, in normalised space) to H×W when ``factor > 1``,
   and scored by the teacher's cross-entropy for class c. Each image keeps its lowest-CE crop (first
   on ties); the images are sorted by that CE (stable) and the ``ipc·factor²`` lowest kept.
4. Output image k is a factor×factor grid whose slot g (row-major) holds selected patch
   ``g·ipc + k``, nearest-resized to its cell (cell side H // factor; the first H mod factor rows /
   columns of cells are one pixel larger). With ``factor = 1`` the output is the selected crops.

Deviations from the reference code (LINs-lab/RDED ``synthesize/``):

* RDED normalises with the ImageNet mean/std for every dataset; here the teacher's input is
  normalised with the teacher's own mean/std (its ``gift_meta``, else the dataset's), i.e. the
  statistics it was trained with.
* RDED draws crops from the decoded image files through PIL/torchvision per image; here the same crop
  distribution is drawn from the in-memory uint8 tensors with one ``torch.Generator``, batched.
* RDED saves JPEGs; the images here are kept on the 8-bit grid and saved losslessly as PNG.
* ``mipc`` is capped at the images a class has (RDED would take fewer silently as well).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from ..data.preprocess import normalize
from ..utils import progress
from .base import (
    Distiller,
    Option,
    channel_tensor,
    check_class_sizes,
    check_logits,
    teacher_normalisation,
)

SCALE = (0.08, 1.0)
SCORE_CHUNK = 512  # patches per teacher forward pass (does not change the result)


def default_factor(train) -> int:
    """RDED's scripts: factor 1 for CIFAR (32 px) and Tiny-ImageNet (64 px), 2 for the ImageNet sets."""
    size = train.image_size
    side = min(size) if isinstance(size, tuple) else size
    return 1 if side <= 64 else 2


def crop_params(n: int, size: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(top, left, side) of ``n`` square RandomResizedCrops of a ``size``×``size`` image."""
    scale = torch.empty(n, dtype=torch.float64).uniform_(SCALE[0], SCALE[1], generator=generator)
    side = torch.round(torch.sqrt(scale * size * size)).long().clamp_(1, size)
    room = (size - side + 1).double()
    top = (torch.rand(n, generator=generator, dtype=torch.float64) * room).long().clamp_max_(size - side)
    left = (torch.rand(n, generator=generator, dtype=torch.float64) * room).long().clamp_max_(size - side)
    return top, left, side


def cut_and_resize(images: torch.Tensor, source: torch.Tensor, top: torch.Tensor, left: torch.Tensor,
                   side: torch.Tensor, out_size: int) -> torch.Tensor:
    """Crop ``images[source[i]]`` at (top, left) with side ``side[i]`` and resize (bilinear,
    antialiased) to ``out_size``; batched per distinct side. ``images``: float [M, C, H, W]."""
    n, device = len(source), images.device
    out = torch.empty(n, images.shape[1], out_size, out_size, device=device, dtype=images.dtype)
    for k in torch.unique(side).tolist():
        sel = torch.nonzero(side == k).flatten()
        ar = torch.arange(k)
        rows = (top[sel, None] + ar).to(device)
        cols = (left[sel, None] + ar).to(device)
        src = source[sel].to(device)
        patch = images[src[:, None, None], :, rows[:, :, None], cols[:, None, :]]  # [s, k, k, C]
        patch = patch.permute(0, 3, 1, 2)
        if k != out_size:
            patch = F.interpolate(patch, size=(out_size, out_size), mode="bilinear", align_corners=False, antialias=True)
        out[sel.to(device)] = patch
    return out


def pad_centred(x: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Zero-pad [N, C, h, w] to ``size`` with the patch in the centre (extra pixel right/bottom)."""
    dh, dw = size[0] - x.shape[2], size[1] - x.shape[3]
    if dh == 0 and dw == 0:
        return x
    return F.pad(x, (dw // 2, dw - dw // 2, dh // 2, dh - dh // 2))


@torch.no_grad()
def score_patches(teacher, patches: torch.Tensor, label: int, mean: torch.Tensor, std: torch.Tensor,
                  input_size: tuple[int, int], num_classes: int) -> torch.Tensor:
    """Teacher cross-entropy for class ``label`` of every patch (pixel space [0, 1]), shape [N]."""
    out = []
    for i in range(0, len(patches), SCORE_CHUNK):
        x = pad_centred(normalize(patches[i : i + SCORE_CHUNK], mean, std), input_size)
        logits = teacher(x).float()
        check_logits(logits, num_classes)
        target = torch.full((len(x),), label, dtype=torch.long, device=logits.device)
        out.append(F.cross_entropy(logits, target, reduction="none"))
    return torch.cat(out)


def select_class(images01: torch.Tensor, label: int, teacher, *, num_crop: int, factor: int, keep: int,
                 mean: torch.Tensor, std: torch.Tensor, num_classes: int,
                 generator: torch.Generator) -> dict[str, torch.Tensor]:
    """RDED's selection for one class. ``images01``: the sampled images, float [M, C, H, H] in [0, 1].

    Returns ``crops`` [M, num_crop, C, S, S], their ``ce`` [M, num_crop], each image's ``best_crop``
    [M] and ``best_ce`` [M], ``order`` (the ``keep`` selected image positions, lowest CE first) and the
    selected ``patches`` [keep, C, S, S]."""
    m, _, h, w = images01.shape
    if h != w:
        raise ValueError(f"rded needs square images, got {h}×{w}")
    patch = h // factor
    top, left, side = crop_params(m * num_crop, h, generator)
    source = torch.arange(m).repeat_interleave(num_crop)
    crops = cut_and_resize(images01, source, top, left, side, patch)
    ce = score_patches(teacher, crops, label, mean, std, (h, w), num_classes).view(m, num_crop)
    best_ce, best_crop = ce.min(dim=1)
    order = torch.argsort(best_ce, stable=True)[:keep]
    crops = crops.view(m, num_crop, *crops.shape[1:])
    patches = crops[order, best_crop[order]]
    return {"crops": crops, "ce": ce, "best_crop": best_crop, "best_ce": best_ce, "order": order,
            "patches": patches, "boxes": torch.stack([top, left, side], 1).view(m, num_crop, 3)}


def cell_edges(size: int, factor: int) -> list[int]:
    """Cell boundaries along one side: side // factor each, the first size % factor one larger."""
    base, extra = divmod(size, factor)
    edges = [0]
    for i in range(factor):
        edges.append(edges[-1] + base + (1 if i < extra else 0))
    return edges


def stitch(patches: torch.Tensor, ipc: int, factor: int, size: int) -> torch.Tensor:
    """``ipc`` images from ``ipc·factor²`` patches: slot g of image k = patch g·ipc + k."""
    if factor == 1:
        return patches
    out = torch.empty(ipc, patches.shape[1], size, size, device=patches.device, dtype=patches.dtype)
    edges = cell_edges(size, factor)
    for g in range(factor * factor):
        r, c = divmod(g, factor)
        y0, y1, x0, x1 = edges[r], edges[r + 1], edges[c], edges[c + 1]
        cell = patches[g * ipc : (g + 1) * ipc]
        if cell.shape[-2:] != (y1 - y0, x1 - x0):
            cell = F.interpolate(cell, size=(y1 - y0, x1 - x0), mode="nearest")
        out[:, :, y0:y1, x0:x1] = cell
    return out


def run_rded(train, ipc, *, teacher, generator, device, options, show_progress=True):
    mipc, num_crop, factor = options["mipc"], options["num_crop"], options["factor"]
    size = train.image_size
    if isinstance(size, tuple):
        raise ValueError(f"rded needs square images, {train.name} has {size[0]}×{size[1]}")
    if size // factor < 1:
        raise ValueError(f"rded factor {factor} is larger than the image side {size}")
    keep = ipc * factor * factor
    if mipc < keep:
        raise ValueError(
            f"rded keeps ipc·factor² = {ipc}·{factor}² = {keep} patches per class, one per sampled image, "
            f"but mipc is only {mipc}; raise mipc to at least {keep}"
        )
    check_class_sizes(train, keep, f"rded with ipc {ipc} and factor {factor} (ipc·factor² = {keep} source images)")
    mean_v, std_v = teacher_normalisation(teacher, train)
    mean = channel_tensor(mean_v, device, train.images.shape[1])
    std = channel_tensor(std_v, device, train.images.shape[1])

    images, labels, sources, mean_ce = [], [], [], []
    per_class = train.indices_per_class()
    bar = progress(per_class, total=len(per_class), desc=f"rded {train.name} ipc {ipc}", enabled=show_progress)
    for c, idx in enumerate(bar):
        idx = idx[torch.randperm(len(idx), generator=generator)[:mipc]]
        real = train.images[idx].to(device).float().div_(255)
        sel = select_class(real, c, teacher, num_crop=num_crop, factor=factor, keep=keep, mean=mean, std=std,
                           num_classes=train.num_classes, generator=generator)
        images.append(stitch(sel["patches"], ipc, factor, size).clamp_(0, 1))
        labels.append(torch.full((ipc,), c, dtype=torch.long))
        chosen = idx[sel["order"].cpu()].view(factor * factor, ipc).t()  # [ipc, factor²] slot order
        sources.extend(chosen.tolist())
        mean_ce.append(float(sel["best_ce"][sel["order"]].mean()))
    extra = {"source_indices": sources, "selected_ce_per_class": [round(v, 6) for v in mean_ce],
             "normalisation": {"mean": list(mean_v), "std": list(std_v)}}
    return torch.cat(images), torch.cat(labels), extra


RDED = Distiller(
    name="rded",
    run=run_rded,
    summary="RDED: the teacher's lowest-CE random crops of real images, factor×factor of them stitched per image",
    needs_teacher=True,
    options=(
        Option("mipc", int, 300, "rded: real images sampled per class, capped at what the class has (default 300, as RDED's scripts)", 1),
        Option("num_crop", int, 5, "rded: random resized crops scored per image (default 5, as RDED's scripts)", 1),
        Option("factor", int, default_factor, "rded: patches per side stitched into each image (default 1 for images up to 64 px, as RDED's CIFAR/Tiny scripts, else 2)", 1),
    ),
)
