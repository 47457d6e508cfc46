"""What the label refinement does to a real teacher's labels (chapter 2): how often the teacher is
wrong on a distilled set, how often each reading of the refinement changes the top-1 class and fixes
the teacher's errors, and how far it turns the label (angles to the teacher and to the smoothed hard
label). Returned as plain numbers so a chapter can record them (``Experiment.measurement``) and a
clone without the images can show them."""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from ..augment import get_augmentation
from ..losses import get_loss, gift_loss, list_losses, refine_labels
from ..stats import compare, p_text
from .prose import num
from .report import fmt, markdown_table

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




# ----------------------------------------------------------------------------- chapter 2's pieces

# what a profile changes in chapter 2: how finely the gamma sweep of the synthetic figure is sampled,
# and how many augmented views of each distilled image the real teacher labels
CHAPTER_SETTINGS = {
    "smoke": {"n_gamma": 51, "n_views": 4},
    "companion": {"n_gamma": 201, "n_views": 20},
    "paper": {"n_gamma": 201, "n_views": 20},
}
# the readings of GIFT whose students chapter 2 trains: display name -> loss_kwargs of ``gift``
GIFT_READINGS = {
    "paper form (default)": {},
    "code's additive weight": {"convention": "official"},
    "probabilities, not logits": {"soft": "probs"},
    "PyTorch smoothing": {"smoothing": "pytorch"},
}
TABLE_GAMMAS = (0.0, 0.05, 1 / 11, 0.1, 0.2, 0.5, 1.0)


def chapter_settings(profile: str) -> dict:
    if profile not in CHAPTER_SETTINGS:
        raise ValueError(f"unknown profile {profile!r}; valid profiles are: {', '.join(CHAPTER_SETTINGS)}")
    return CHAPTER_SETTINGS[profile]


@dataclass
class SyntheticBatch:
    """Eight samples of a ten-class problem: Gaussian teacher logits with a bonus on the true class,
    and for samples 6 and 7 a larger bonus on a wrong class (which can make the teacher wrong); a
    synthetic "student" is the teacher plus noise. Drawn from one seeded generator."""

    teacher: torch.Tensor
    labels: torch.Tensor
    student: torch.Tensor
    num_classes: int = 10

    @classmethod
    def draw(cls, seed: int, num_classes: int = 10, batch: int = 8) -> "SyntheticBatch":
        gen = torch.Generator().manual_seed(seed)
        labels = torch.arange(batch) % num_classes
        teacher = 2.0 * torch.randn(batch, num_classes, generator=gen)
        teacher[torch.arange(batch), labels] += 4.0
        wrong = torch.tensor([6, 7])
        teacher[wrong, (labels[wrong] + 1) % num_classes] += 5.0
        student = teacher + 3.0 * torch.randn(batch, num_classes, generator=gen)
        return cls(teacher, labels, student, num_classes)

    def refined(self, gamma: float, convention: str) -> torch.Tensor:
        return refine_labels(self.teacher, self.labels, self.num_classes, alpha=0.1, gamma=gamma, convention=convention)

    @property
    def smooth(self) -> torch.Tensor:
        """The unit smoothed hard labels (the refinement at gamma = 1)."""
        return refine_labels(self.teacher, self.labels, self.num_classes, gamma=1.0, convention="paper")

    def summary(self) -> str:
        top = self.teacher.argmax(dim=1)
        return (f"label           {self.labels.tolist()}\nteacher argmax  {top.tolist()}\n"
                f"teacher correct {(top == self.labels).tolist()}")

    def label_table(self, i: int = 6) -> str:
        """Sample ``i``: n(teacher), n(smoothed label), and the refined label of both conventions."""
        rows = {"n(teacher logits)": F.normalize(self.teacher, dim=1)[i], "n(smoothed label)": self.smooth[i],
                "paper, gamma=0.1": self.refined(0.1, "paper")[i], "code, +0.1": self.refined(0.1, "official")[i]}
        body = [[name, *(f"{x:.3f}" for x in v.tolist()), v.argmax().item()] for name, v in rows.items()]
        return (f"Sample {i}: label {self.labels[i].item()}, teacher argmax {self.teacher[i].argmax().item()}.\n\n"
                + markdown_table(["", *(f"class {c}" for c in range(self.num_classes)), "argmax"], body))

    def convention_check(self, gamma: float = 0.1) -> str:
        """The code's label at gamma has the direction of the paper's at gamma/(1+gamma), and
        ``gift_loss``, the loss by hand and the registry's ``gift`` agree, for both conventions."""
        same = F.cosine_similarity(self.refined(gamma, "official"), self.refined(gamma / (1 + gamma), "paper"), dim=1)
        lines = [f"min cos(code r(0.1), paper r(0.1/1.1)) = {same.min().item():.6f}"]
        for c in ("paper", "official"):
            by_hand = 1 - F.cosine_similarity(self.student, self.refined(gamma, c), dim=1).mean()
            functional = gift_loss(self.student, self.teacher, self.labels, gamma=gamma, convention=c)
            registry = get_loss("gift", gamma=gamma, convention=c)(self.student, self.teacher, self.labels)
            lines.append(f"{c:<9} gift_loss={functional.item():.5f}  by hand={by_hand.item():.5f}  "
                         f"get_loss={registry.item():.5f}")
        lines.append("losses in the registry: " + ", ".join(list_losses()))
        return "\n".join(lines)

    def angle_curves(self, n_gamma: int) -> tuple[list, dict]:
        """gamma values and, per convention, the mean angle to the teacher and to the smoothed label."""
        gammas = torch.linspace(0, 1, n_gamma).tolist()
        return gammas, {c: {"teacher": [mean_angle(self.refined(g, c), self.teacher) for g in gammas],
                            "smooth": [mean_angle(self.refined(g, c), self.smooth) for g in gammas]}
                        for c in ("paper", "official")}

    def gamma_table(self) -> str:
        """Angles and top-1 = label at a few gammas, both conventions (rounded: stable across machines)."""
        rows = []
        for g in TABLE_GAMMAS:
            r_p, r_o = self.refined(g, "paper"), self.refined(g, "official")
            acc = [(r.argmax(dim=1) == self.labels).float().mean().item() for r in (r_p, r_o)]
            rows.append([f"{g:.4f}", f"{mean_angle(r_p, self.teacher):.1f}", f"{mean_angle(r_o, self.teacher):.1f}",
                         f"{mean_angle(r_p, self.smooth):.1f}", f"{mean_angle(r_o, self.smooth):.1f}",
                         f"{acc[0]:.3f}", f"{acc[1]:.3f}"])
        return markdown_table(["gamma", "angle to teacher (paper)", "angle to teacher (code)",
                               "angle to smoothed (paper)", "angle to smoothed (code)", "top-1 = label (paper)",
                               "top-1 = label (code)"], rows)

    def angle_gap(self, gamma: float = 0.1) -> float:
        """How many degrees further from the teacher the paper's label is than the code's."""
        return (mean_angle(self.refined(gamma, "paper"), self.teacher)
                - mean_angle(self.refined(gamma, "official"), self.teacher))

    def figure(self, n_gamma: int):
        """Mean angle to the teacher (left) and to the smoothed label (right) against gamma."""
        import matplotlib.pyplot as plt

        gammas, curves = self.angle_curves(n_gamma)
        fig, axes = plt.subplots(1, 2, figsize=(9, 3.4), sharex=True)
        for ax, key, ref, title in zip(axes, ("teacher", "smooth"), (self.teacher, self.smooth),
                                       ("to teacher logits", "to smoothed hard label")):
            ax.plot(gammas, curves["paper"][key], label="paper: $\\gamma\\, n(s) + (1-\\gamma)\\, n(t)$")
            ax.plot(gammas, curves["official"][key], "--", label="code: $n(t) + \\gamma\\, n(s)$")
            code_default = mean_angle(self.refined(0.1, "official"), ref)
            ax.plot([0.1, 1 / 11], [code_default] * 2, "o", mfc="none", color="black", markersize=5,
                    label="code at 0.1 = paper at 1/11")
            ax.axvline(0.1, color="grey", linestyle=":", linewidth=1)
            ax.set_title(f"angle {title}")
            ax.set_xlabel("$\\gamma$")
            ax.set_ylabel("mean angle (degrees)")
        axes[0].legend(loc="upper left", fontsize=8)
        fig.tight_layout()
        return fig


def real_teacher_statistics(ex, n_views: int, seed: int) -> dict | None:
    """:func:`refinement_statistics` of the profile's teacher on its RDED IPC-10 set, preprocessed
    as the engine does, recorded in the store (``None`` when neither recorded nor computable here)."""
    from ..evaluation import make_train_tensors

    def measure() -> dict:
        rded = ex.distilled("rded", 10)
        rded = rded.materialize() if hasattr(rded, "materialize") else rded  # a recorded set is lazy
        tensors = make_train_tensors(rded, ex.test.mean, ex.test.std)  # the engine's own preprocessing
        return refinement_statistics(ex.teacher(), tensors.images, tensors.labels, tensors.num_classes,
                                     n_views=n_views, seed=seed)

    return ex.measurement("real-teacher refinement statistics",
                          {"set": "rded", "ipc": 10, "n_views": n_views, "seed": seed, "version": 1}, measure)


def _stat(real: dict, where: str, name: str) -> dict:
    return real["stats"][f"{where}|{name}"]


def real_teacher_table(real: dict) -> str:
    """How often the teacher is wrong, and per reading how often the top-1 class changes, the share
    of errors fixed and the angles (Markdown)."""
    wheres, first = real["sources"], next(iter(READINGS))
    lines = [f"- teacher wrong on the {w}: {_stat(real, w, first)['wrong']:.1f}% (angle between teacher logits and "
             f"smoothed label {_stat(real, w, first)['teacher_to_smooth']:.1f}°)" for w in wheres]
    body = [[name] + ["—" if math.isnan(_stat(real, w, name)[k]) else f"{_stat(real, w, name)[k]:.1f}%"
                      for w in wheres for k in ("changed", "fixed")]
            + [f"{_stat(real, wheres[1], name)['to_teacher']:.2f}°", f"{_stat(real, wheres[1], name)['to_smooth']:.2f}°"]
            for name in READINGS]
    header = (["refinement at gamma = 0.1"] + [f"{c}, {w}" for w in wheres for c in ("top-1 changed", "errors fixed")]
              + ["angle to teacher", "angle to smoothed label"])
    return ("\n".join(lines) + "\n\nAngles on the augmented views (degrees; for the probability reading "
            "they are measured to the teacher's softmax).\n\n" + markdown_table(header, body))


def real_teacher_figure(real: dict | None):
    """Left: the relative margins of the teacher's errors against the two thresholds; right: the
    mean angle to the teacher of each reading (augmented views)."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 3.4), gridspec_kw={"width_ratios": [1.2, 1]})
    if real is None:
        for ax in axes:
            ax.text(0.5, 0.5, "not available", transform=ax.transAxes, ha="center", va="center", color="grey")
        return fig
    ax = axes[0]
    if real["wrong_margins"]:
        ax.hist(real["wrong_margins"], bins=40, color="tab:red", alpha=0.7)
    ax.axvline(0.1 / 0.9 * real["kappa"], color="black", linestyle="--", label="paper threshold")
    ax.axvline(0.1 * real["kappa"], color="black", linestyle=":", label="code threshold")
    ax.set_xlabel("relative margin of the wrong top class")
    ax.set_ylabel("augmented views")
    ax.set_title(f"teacher errors ({len(real['wrong_margins'])} of {real['views']} views)")
    ax.legend(fontsize=8)
    ax = axes[1]
    ax.barh(range(len(READINGS)), [_stat(real, real["sources"][1], n)["to_teacher"] for n in READINGS],
            color="tab:blue")
    ax.set_yticks(range(len(READINGS)), list(READINGS), fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("mean angle to the teacher (degrees)")
    fig.tight_layout()
    return fig


def evaluate_readings(ex) -> dict:
    """A GIFT student on the RDED IPC-10 set for each of :data:`GIFT_READINGS` (None: not computed)."""
    return {name: ex.evaluate("rded", 10, loss="gift", loss_kwargs=kw) for name, kw in GIFT_READINGS.items()}


def readings_table(readings: dict, profile: str) -> str:
    """Accuracy per reading and its difference to the paper form by the book's rule (Markdown)."""
    base_name = next(iter(GIFT_READINGS))
    base, body = readings[base_name], []
    for name, r in readings.items():
        c = compare(name, r, base)
        diff = "—" if name == base_name or not c.available else f"{c.delta:+.2f} ({c.outcome}, {p_text(c.p_value)})"
        body.append([name, fmt(r), diff])
    return (f"**RDED, IPC 10, {profile} profile**: mean ± std over seeds of the best checkpoint; the "
            "difference is judged by the book's rule ({ref}`the-rule`).\n\n"
            + markdown_table(["GIFT reading", "top-1 accuracy (%)", "difference to the paper form"], body))


def readings_figure(readings: dict):
    """Horizontal bars of each reading's accuracy (std over seeds as error bars)."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 3))
    names = list(readings)
    vals = [(float("nan"), float("nan")) if readings[n] is None else
            (readings[n].summary()["best_mean"], readings[n].summary()["best_std"]) for n in names]
    ax.barh(range(len(names)), [0 if math.isnan(v[0]) else v[0] for v in vals],
            xerr=[0 if math.isnan(v[1]) else v[1] for v in vals], color="tab:green", capsize=3)
    done = [v[0] for v in vals if not math.isnan(v[0])]
    if done:
        spread = max(done) - min(done)
        ax.set_xlim(min(done) - max(3, 2 * spread), max(done) + max(1, spread))
    else:
        ax.text(0.5, 0.5, "not computed yet", transform=ax.transAxes, ha="center", va="center", color="grey")
    ax.set_yticks(range(len(names)), names)
    ax.invert_yaxis()
    ax.set_xlabel("top-1 accuracy (%)")
    fig.tight_layout()
    return fig


def method_values(batch: SyntheticBatch, real: dict | None, readings: dict) -> dict[str, str]:
    """What chapter 2's verdict quotes: the synthetic angle gap, the real teacher's error rate and
    how the readings of the refinement treat it, and each reading's comparison with the paper form."""
    out = {"synthetic_gap": num(batch.angle_gap())}
    base_name = next(iter(GIFT_READINGS))
    out["readings"] = "; ".join(f"{name}: {compare(name, r, readings[base_name]).difference()}"
                                for name, r in readings.items() if name != base_name)
    keys = ("wrong", "changed", "fixed", "code_changed", "code_fixed", "to_teacher", "code_to_teacher",
            "probs_to_teacher", "to_smooth", "closer")
    if real is None:
        out.update({k: "not measured" for k in keys})
        out["fixed_summary"] = "Real teacher outputs were not available in this run: no statement about trained models."
        return out
    views = real["sources"][1]
    st, code = _stat(real, views, "paper (gamma=0.1, logits)"), _stat(real, views, "code (+0.1, logits)")
    pct = lambda x: "—" if math.isnan(x) else f"{x:.1f}%"  # noqa: E731
    out.update({"wrong": pct(st["wrong"]), "changed": pct(st["changed"]), "fixed": pct(st["fixed"]),
                "code_changed": pct(code["changed"]), "code_fixed": pct(code["fixed"]),
                "to_teacher": f"{st['to_teacher']:.2f}°", "code_to_teacher": f"{code['to_teacher']:.2f}°",
                "probs_to_teacher": f"{_stat(real, views, 'paper, probabilities')['to_teacher']:.2f}°",
                "to_smooth": f"{st['to_smooth']:.2f}°",
                "closer": "teacher" if st["to_teacher"] < st["to_smooth"] else "smoothed hard label"})
    out["fixed_summary"] = (
        "The teacher makes no error on these views, so there is nothing to fix." if math.isnan(st["fixed"]) else
        "So the refinement corrects few of the teacher's errors here: mostly it rotates the label slightly "
        "without changing its top class." if st["fixed"] < 10 else
        "So the refinement corrects a minority of the teacher's errors here; most keep the teacher's wrong "
        "top class." if st["fixed"] < 50 else
        "So the refinement corrects most of the teacher's errors here.")
    return out


__all__ = ["CHAPTER_SETTINGS", "GIFT_READINGS", "READINGS", "SyntheticBatch", "chapter_settings", "evaluate_readings",
           "mean_angle", "method_values", "readings_figure", "readings_table", "real_teacher_figure",
           "real_teacher_statistics", "real_teacher_table", "refinement_statistics", "relative_margin"]
