"""Chapter 5, the paper's Table 3: the knowledge-distillation losses against GIFT on the same sets,
next to the paper's IPC-10 columns; the numbers of the verdict.

    kd = KDTable(ex)            # looks every run up in the store (trains it with run_missing)
    display(Markdown(kd.table())); kd.plot()
"""
from __future__ import annotations

import numpy as np

from ..losses import get_loss
from ..stats import compare
from .experiment import NotComputed
from .main_table import dataset_name
from .paper import TEACHER_ACCURACY, paper_rows
from .plots import loss_color
from .prose import listing, short
from .report import as_row, fmt, markdown_table

IPC = 10  # the paper's Table 3 has IPC 10 on every dataset
# the sets of the comparison (the smoke profile skips its 60-iteration SRe2L set to stay within the test budget)
KD_SETS = {"smoke": ("rded",)}
KD_SETS_DEFAULT = ("rded", "sre2l")
TABLE3_NAME = {"kd": "KD", "wsld": "WSLD", "dkd": "DKD", "nkd": "NKD", "gift": "GIFT"}
T3_DATASETS = ("CIFAR-100", "Tiny-ImageNet", "ImageNet-1K")
T3_TEACHER = {"CIFAR-100": ("CIFAR-100", "ConvNet-3"), "Tiny-ImageNet": ("Tiny-ImageNet", "ConvNet-4"),
              "ImageNet-1K": ("ImageNet-1K", "ConvNet-4")}


def paper_value(loss: str, dataset: str, ipc: int = IPC) -> tuple[float, float] | None:
    """(mean, std) of the paper's RDED cell for ``loss``; ``kl`` is not in Table 3: RDED's own loss
    is the baseline row of Table 1 (Table 2 for ImageNet-1K)."""
    if loss == "kl":
        rows = paper_rows(table=2 if dataset == "ImageNet-1K" else 1, dataset=dataset, eval_model="ConvNet",
                          distill_method="RDED", ipc=ipc, setting="baseline")
    else:
        rows = paper_rows(table=3, dataset=dataset, distill_method="RDED", ipc=ipc, setting=TABLE3_NAME[loss])
    return (rows[0]["mean"], rows[0]["std"]) if len(rows) == 1 else None


def paper_text(loss: str, dataset: str) -> str:
    v = paper_value(loss, dataset)
    if v is None:
        return "—"
    return f"{v[0]:.1f} ± {v[1]:.1f}" + ((" (Table 2)" if dataset == "ImageNet-1K" else " (Table 1)") if loss == "kl" else "")


def paper_best(kd_losses) -> tuple[int, int]:
    """(columns of Table 3 where GIFT has the highest mean, columns): the paper's claim by means only."""
    cols = sorted({(r["dataset"], r["ipc"]) for r in paper_rows(table=3)})
    best = sum(all(v is not None for v in vals.values()) and all(vals["gift"][0] > vals[L][0] for L in kd_losses)
               for vals in ({L: paper_value(L, d, ipc) for L in (*kd_losses, "gift")} for d, ipc in cols))
    return best, len(cols)


def hparams_table(losses) -> str:
    """Each loss's hyperparameters, read from the loss classes (the values the runs used)."""
    return markdown_table(["loss", "hyperparameters"], [
        [f"`{name}`", ", ".join(f"{k} = {v}" for k, v in get_loss(name).hparams().items())] for name in losses])


class KDTable:
    """KL (the sets' own loss, a reference row), the profile's KD losses and GIFT on each set at IPC 10."""

    def __init__(self, ex, ipc: int = IPC):
        if ipc not in ex.profile.ipcs:
            raise ValueError(f"profile {ex.profile.name!r} has no IPC {ipc} (its IPCs: {ex.profile.ipcs})")
        self.ex, self.ipc = ex, ipc
        self.dataset = dataset_name(ex.profile)
        self.methods = tuple(m for m in KD_SETS.get(ex.profile.name, KD_SETS_DEFAULT) if m in ex.profile.methods)
        self.kd_losses = tuple(ex.profile.kd_losses)
        self.losses = ("kl", *self.kd_losses, "gift")
        self.res = {(m, L): ex.evaluate(m, ipc, loss=L) for m in self.methods for L in self.losses}
        self.missing = [k for k, r in self.res.items() if r is None]
        try:
            self.teacher_acc = f"{ex.teacher_accuracy():.2f}"
        except NotComputed:
            self.teacher_acc = "not computed"

    def hparams_table(self) -> str:
        return hparams_table(self.losses)

    def table(self) -> str:
        return markdown_table(
            ["loss", *(f"ours: {m} ({self.dataset})" for m in self.methods), *(f"paper: RDED {d}" for d in T3_DATASETS)],
            [["teacher", *(self.teacher_acc for _ in self.methods),
              *(f"{TEACHER_ACCURACY[T3_TEACHER[d]]:.2f}" for d in T3_DATASETS)]]
            + [[f"`{L}`", *(fmt(self.res[m, L]) for m in self.methods), *(paper_text(L, d) for d in T3_DATASETS)]
               for L in self.losses])

    def plot(self):
        """Left: our accuracy per loss and set. Right: each loss minus GIFT, ours and the paper's."""
        import matplotlib.pyplot as plt

        losses, methods = self.losses, self.methods
        fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
        ax = axes[0]
        width = 0.8 / len(losses)
        for k, L in enumerate(losses):
            rows = [as_row(self.res[m, L]) for m in methods]
            pos = np.arange(len(methods)) + (k - (len(losses) - 1) / 2) * width
            ax.bar(pos, [r["best"] for r in rows], width, yerr=[r["best_std"] for r in rows], capsize=2,
                   color=loss_color(L), label=L)
        ax.set_xticks(range(len(methods)), [f"{m}, IPC {self.ipc}" for m in methods])
        ax.set_ylabel("test accuracy (%)")
        ax.set_title(f"ours ({self.dataset}, ConvNet-3)")
        ax.legend(fontsize=8, ncol=2)

        ax = axes[1]
        groups = [(f"ours {m}", [as_row(self.res[m, L])["best"] - as_row(self.res[m, "gift"])["best"]
                                 for L in losses[:-1]]) for m in methods]
        for d in T3_DATASETS:
            g = paper_value("gift", d)
            groups.append((f"paper {d}", [np.nan if (v := paper_value(L, d)) is None or g is None else v[0] - g[0]
                                          for L in losses[:-1]]))
        width = 0.8 / (len(losses) - 1)
        for k, L in enumerate(losses[:-1]):
            pos = np.arange(len(groups)) + (k - (len(losses) - 2) / 2) * width
            ax.bar(pos, [vals[k] for _, vals in groups], width, color=loss_color(L), label=L)
        ax.axhline(0, color="black", linewidth=0.8)
        ax.set_xticks(range(len(groups)), [name.replace(" ", "\n", 1) for name, _ in groups], fontsize=8)
        ax.set_ylabel("loss − GIFT (points)")
        ax.set_title(f"difference to GIFT (IPC {self.ipc})")
        ax.legend(fontsize=8, ncol=3)
        fig.tight_layout()
        return fig

    def values(self) -> dict:
        """The numbers the chapter's prose quotes (``{glue:text}``), all from the stored runs."""
        best, cols = paper_best(self.kd_losses)
        warmup = get_loss("dkd").hparams()["warmup"]
        ranking = []
        for m in self.methods:
            done = {L: as_row(self.res[m, L])["best"] for L in self.losses if self.res[m, L] is not None}
            ranking.append(f"{m}: " + (" > ".join(sorted(done, key=done.get, reverse=True)) if done else "not computed"))
        vs_kl = [short(compare(f"{m}: gift vs kl", self.res[m, "gift"], self.res[m, "kl"]), m) for m in self.methods]
        return {
            "kd_ipc": self.ipc, "kd_epochs": self.ex.profile.epochs, "kd_seeds": len(self.ex.profile.seeds),
            "kd_available": len(self.res) - len(self.missing), "kd_evaluations": len(self.res),
            "kd_missing_losses": listing([f"{m}: " + ", ".join(L for n, L in self.missing if n == m)
                                          for m in self.methods if any(n == m for n, _ in self.missing)], "none"),
            "kd_dkd_warmup": warmup, "kd_dkd_share": f"{100 * warmup / self.ex.profile.epochs:.0f}%",
            "kd_teacher": self.teacher_acc, "kd_ranking": listing(ranking),
            "kd_gift_vs_kl": listing(vs_kl), "kd_paper_best": best, "kd_paper_columns": cols,
        }


__all__ = ["IPC", "KDTable", "KD_SETS", "T3_DATASETS", "TABLE3_NAME", "hparams_table", "paper_best", "paper_text",
           "paper_value"]
