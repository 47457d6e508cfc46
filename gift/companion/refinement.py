"""What the label refinement does to a real teacher's labels (chapter 2): how often the teacher is
wrong on a distilled set, how often each reading of the refinement changes the top-1 class and fixes
the teacher's errors, and how far it turns the label (angles to the teacher and to the smoothed hard
label). Returned as plain numbers so a chapter can record them (``Experiment.measurement``) and a
clone without the images can show them."""
from __future__ import annotations

import torch
import torch.nn.functional as F

from ..augment import get_augmentation
from ..losses import refine_labels

# the readings of the refinement chapter 2 compares, at gamma = 0.1
READINGS = {
    "paper (gamma=0.1, logits)": {"convention": "paper"},
    "code (+0.1, logits)": {"convention": "official"},
    "paper, probabilities": {"convention": "paper", "soft": "probs"},
    "paper, PyTorch smoothing": {"convention": "paper", "smoothing": "pytorch"},
}


def mean_angle(r: torch.Tensor, ref: torch.Tensor) -> float:
    """Mean angle in degrees between the rows of ``r`` and ``ref``."""
    cos = F.cosine_similarity(r.double(), ref.double(), dim=1).clamp(-1, 1)
    return float(torch.rad2deg(torch.arccos(cos)).mean())


def relative_margin(t: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """(t_max - t_y) / ||t||: how far the teacher's top class is ahead of the true class."""
    return (t.max(dim=1).values - t.gather(1, y.view(-1, 1)).squeeze(1)) / t.norm(dim=1)


def refinement_statistics(teacher, images: torch.Tensor, labels: torch.Tensor, num_classes: int, *,
                          n_views: int, seed: int) -> dict:
    """Statistics of every reading on the stored images and on ``n_views`` DSA views of each
    (what the student is actually labelled on). ``images`` are normalised as the engine feeds them."""
    gen = torch.Generator().manual_seed(seed)
    dsa = get_augmentation("dsa")
    device = next(teacher.parameters()).device
    with torch.no_grad():
        views = [images] + [dsa(images, gen) for _ in range(n_views)]
        logits = [teacher(v.to(device)).float().cpu() for v in views]
    sources = {"stored images": (logits[0], labels),
               f"augmented views ({n_views} per image)": (torch.cat(logits[1:]), labels.repeat(n_views))}
    out: dict = {"num_images": int(len(labels)), "sources": list(sources), "stats": {}}
    for where, (t, y) in sources.items():
        wrong = t.argmax(dim=1) != y
        for name, kw in READINGS.items():
            r = refine_labels(t, y, num_classes, alpha=0.1, gamma=0.1, **kw)
            fixed = wrong & (r.argmax(dim=1) == y)
            smooth = refine_labels(t, y, num_classes, alpha=0.1, gamma=1.0, convention="paper",
                                   smoothing=kw.get("smoothing", "gift"))
            soft = F.softmax(t, dim=1) if kw.get("soft") == "probs" else t
            out["stats"][f"{where}|{name}"] = {
                "wrong": 100 * float(wrong.float().mean()),
                "changed": 100 * float((r.argmax(dim=1) != t.argmax(dim=1)).float().mean()),
                "fixed": 100 * float(fixed.sum() / wrong.sum()) if wrong.any() else float("nan"),
                "to_teacher": mean_angle(r, soft), "to_smooth": mean_angle(r, smooth),
                "teacher_to_smooth": mean_angle(soft, smooth),
            }
    t_aug, y_aug = sources[out["sources"][1]]
    wrong = t_aug.argmax(dim=1) != y_aug
    smooth_unit = refine_labels(t_aug[:1], y_aug[:1], num_classes, gamma=1.0, convention="paper")[0]
    out["wrong_margins"] = [round(float(v), 5) for v in relative_margin(t_aug, y_aug)[wrong]]
    out["kappa"] = float(smooth_unit[y_aug[0]] - smooth_unit[(y_aug[0] + 1) % num_classes])
    out["views"] = int(len(y_aug))
    return out


__all__ = ["READINGS", "mean_angle", "refinement_statistics", "relative_margin"]
