"""Chapter 1's loss grid: the same distilled sets evaluated with every label loss of the profile's
``loss_grid``, next to the paper's Table 6 (RDED sets, IPC 10), with the tables, the figure and the
values the chapter's prose quotes.

    grid = LossGrid.evaluate(ex, ("rded", "sre2l", "datm"))
    display(Markdown(grid.table()))
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..stats import LOSS, MISSING, WIN, compare
from .prose import and_join, num, recorded
from .paper import paper_rows
from .profiles import OWN_LOSS
from .report import as_row, fmt, markdown_table

# display names of the losses and sets (the paper's spelling)
LOSS_LABEL = {"ce": "CE", "kl": "KL", "soft_ce": "soft CE", "mse": "MSE", "mse_ce": "MSE+CE", "kl_ce": "KL+CE",
              "soft_ce_ce": "soft CE+CE", "gift": "GIFT", "cosine": "cosine"}
SET_LABEL = {"random": "random", "rded": "RDED", "sre2l": "SRe2L", "datm": "DATM"}
# the losses of Table 6, as the paper's CSV names them, and its datasets
PAPER_NAME = {"ce": "CE", "kl": "KL", "soft_ce": "SoftCE", "mse": "MSE", "mse_ce": "MSE+CE", "kl_ce": "KL+CE",
              "soft_ce_ce": "SoftCE+CE", "gift": "GIFT"}
PAPER_DATASETS = ("CIFAR-100", "Tiny-ImageNet", "ImageNet-1K")


def paper_table6(ipc: int = 10) -> dict[tuple[str, str], tuple[float, float]]:
    """(dataset, loss) -> (mean, std) of the paper's Table 6 at ``ipc``."""
    out = {}
    for d in PAPER_DATASETS:
        for L, name in PAPER_NAME.items():
            found = paper_rows(table=6, dataset=d, ipc=ipc, setting=name)
            if found:
                out[(d, L)] = (found[0]["mean"], found[0]["std"])
    return out


def spread(values: dict) -> str:
    """"12.30 (KL − CE)" for loss -> mean accuracy (NaN: not computed), or "—" with fewer than two."""
    values = {k: v for k, v in values.items() if not math.isnan(v)}
    if len(values) < 2:
        return "—"
    best, worst = max(values, key=values.get), min(values, key=values.get)
    return f"{values[best] - values[worst]:.2f} ({LOSS_LABEL[best]} − {LOSS_LABEL[worst]})"


@dataclass
class LossGrid:
    """Results of (set, loss) over ``sets`` x ``losses`` (``None``: not computed) and Table 6."""

    sets: list
    losses: list
    results: dict
    ipc: int = 10
    paper: dict = field(default_factory=dict)

    @classmethod
    def evaluate(cls, ex, sets, ipc: int = 10) -> "LossGrid":
        """Every (set, loss) of the profile's loss grid, read from the store (or trained when the
        experiment runs missing runs). A set not available here (DATM without its release) is left
        out with a printed reason."""
        sets = [m for m in sets if m in ex.profile.methods]
        for m in list(sets):
            if m == "datm" and (missing := ex.set_available(m)):
                print(f"DATM left out: {missing}")
                sets.remove(m)
        losses = list(ex.profile.loss_grid)
        results = {(m, L): ex.evaluate(m, ipc, loss=L) for m in sets for L in losses}
        return cls(sets, losses, results, ipc, paper_table6(ipc))

    # ------------------------------------------------------------------ numbers

    def mean(self, m: str, L: str) -> float:
        return as_row(self.results[(m, L)])["best"]

    @property
    def soft_losses(self) -> list:
        """Every loss that uses the soft labels (all but CE)."""
        return [L for L in self.losses if L != "ce"]

    @property
    def done(self) -> int:
        return sum(r is not None for r in self.results.values())

    def missing(self) -> list[str]:
        return [f"{SET_LABEL[m]}/{LOSS_LABEL[L]}" for (m, L), r in self.results.items() if r is None]

    def spreads(self) -> list[list[str]]:
        """Rows (set, spread over all losses, over soft-label losses, GIFT − own loss), ours then
        the paper's (where the own loss of RDED is KL)."""
        rows = []
        for m in self.sets:
            vals = {L: self.mean(m, L) for L in self.losses}
            rows.append([SET_LABEL[m] + " (ours)", spread(vals), spread({L: vals[L] for L in self.soft_losses}),
                         num(vals["gift"] - vals[OWN_LOSS[m]], sign=True)])
        for d in PAPER_DATASETS:
            vals = {L: self.paper.get((d, L), (np.nan, np.nan))[0] for L in PAPER_NAME}
            rows.append([f"paper RDED, {d}", spread(vals), spread({L: vals[L] for L in self.soft_losses if L in vals}),
                         num(vals["gift"] - vals["kl"], sign=True)])
        return rows

    # ------------------------------------------------------------------ tables

    def _cell(self, m: str, L: str) -> str:
        """'62.31 ± 0.42', bold for the best loss of the set, (own) for the method's own loss."""
        text = fmt(self.results[(m, L)])
        computed = [self.mean(m, k) for k in self.losses if self.results[(m, k)] is not None]
        if self.results[(m, L)] is not None and len(computed) > 1 and self.mean(m, L) == max(computed):
            text = f"**{text}**"
        if L == OWN_LOSS.get(m):
            text += " (own)"
        return text

    def _paper_cell(self, d: str, L: str) -> str:
        if (d, L) not in self.paper:
            return "—"
        mean, std = self.paper[(d, L)]
        best = max(v[0] for (dd, _), v in self.paper.items() if dd == d)
        text = f"{mean:.1f} ± {std:.1f}"
        return f"**{text}**" if mean == best else text

    def table(self) -> str:
        """The grid, ours beside Table 6, as Markdown with its caption."""
        header = (["loss"] + [f"{SET_LABEL[m]} (ours)" for m in self.sets]
                  + [f"paper RDED, {d}" for d in PAPER_DATASETS])
        body = [[LOSS_LABEL[L]] + [self._cell(m, L) for m in self.sets] + [self._paper_cell(d, L) for d in PAPER_DATASETS]
                for L in self.losses]
        return (f"**Top-1 test accuracy (%) at IPC {self.ipc}**, mean ± std over seeds of the best checkpoint; "
                "bold: best computed loss of the column; (own): the loss the distillation method uses itself; "
                "a column is complete only when no cell says not computed.\n\n"
                + markdown_table(header, body))

    def spread_table(self) -> str:
        return markdown_table(["set", "spread over computed losses", "spread, computed losses using soft labels",
                               "GIFT − own loss"],
                              self.spreads())

    # ------------------------------------------------------------------ figure

    def figure(self, profile: str):
        """Bars per loss: ours (left, one colour per set) and Table 6 (right, one per dataset)."""
        import matplotlib.pyplot as plt

        fig, axes = plt.subplots(1, 2, figsize=(11, 3.8), gridspec_kw={"width_ratios": [1.15, 1]})
        panels = ((axes[0], self.losses, self.sets, lambda m, L: as_row(self.results[(m, L)]), SET_LABEL,
                   f"ours ({profile} profile)"),
                  (axes[1], list(PAPER_NAME), PAPER_DATASETS,
                   lambda d, L: dict(zip(("best", "best_std"), self.paper.get((d, L), (np.nan, np.nan)))),
                   {d: d for d in PAPER_DATASETS}, "paper, Table 6 (RDED sets)"))
        for ax, losses, groups, value, names, title in panels:
            x, width = np.arange(len(losses)), 0.8 / max(len(groups), 1)
            for i, g in enumerate(groups):
                rows = [value(g, L) for L in losses]
                ax.bar(x + (i - (len(groups) - 1) / 2) * width, np.nan_to_num([r["best"] for r in rows]), width,
                       yerr=np.nan_to_num([r["best_std"] for r in rows]), label=names[g], capsize=2)
            ax.set_title(title)
            ax.set_xticks(x, [LOSS_LABEL[L] for L in losses], rotation=40, ha="right")
            ax.legend(fontsize=8)
            ax.grid(axis="y", alpha=0.3)
        if not self.done:
            axes[0].text(0.5, 0.5, "not computed yet", transform=axes[0].transAxes, ha="center", va="center",
                         color="grey")
        axes[0].set_ylabel("top-1 accuracy (%)")
        fig.tight_layout()
        return fig

    # ------------------------------------------------------------------ prose

    def gift_against(self, outcome: str) -> dict[str, list[str]]:
        """set -> the losses GIFT has ``outcome`` against on that set (a win, a loss, a tie or not
        computed), by the book's one rule (:func:`gift.stats.compare`), in grid order. The verdict
        counts these; the names say *which* losses they are, which a W/T/L count hides (beating
        hard-label CE is not beating the best soft-label loss)."""
        return {m: [L for L in self.losses if L != "gift" and compare(
                    L, self.results.get((m, "gift")), self.results.get((m, L))).outcome == outcome]
                for m in self.sets}

    def gift_by_name(self) -> str:
        """``"On RDED, GIFT beats CE and soft CE and loses to MSE. On DATM, ..."``: one sentence a set."""
        wins, losses, missing = (self.gift_against(o) for o in (WIN, LOSS, MISSING))
        names = lambda ls, empty: and_join([LOSS_LABEL[L] for L in ls]) if ls else empty  # noqa: E731
        return " ".join(
            f"On {SET_LABEL[m]}, no pairing with GIFT is computed yet." if len(missing[m]) == len(self.losses) - 1
            else f"On {SET_LABEL[m]}, GIFT beats {names(wins[m], 'no loss')} and loses to {names(losses[m], 'none')}."
            for m in self.sets)

    def values(self) -> dict[str, str]:
        """What the chapter's prose quotes: how many runs are in, the spreads (ours and the paper's),
        and GIFT against each set's own loss."""
        ours, paper = self.spreads()[:len(self.sets)], self.spreads()[len(self.sets):]
        join = lambda parts: "; ".join(parts) if parts else "none"  # noqa: E731
        return {
            "grid_recorded": recorded(self.done, len(self.results), "(set, loss) evaluations of the grid"),
            "sets": ", ".join(SET_LABEL[m] for m in self.sets),
            "spread_ours": join([f"{r[1]} on {SET_LABEL[m]}" for m, r in zip(self.sets, ours)]),
            "spread_soft_ours": join([f"{r[2]} on {SET_LABEL[m]}" for m, r in zip(self.sets, ours)]),
            "gift_vs_own": join([f"{r[3]} on {SET_LABEL[m]} (against {LOSS_LABEL[OWN_LOSS[m]]})"
                                 for m, r in zip(self.sets, ours)]),
            "spread_paper": join([f"{r[1]} on {d}" for d, r in zip(PAPER_DATASETS, paper)]),
            "spread_soft_paper": join([f"{r[2]} on {d}" for d, r in zip(PAPER_DATASETS, paper)]),
            "gift_by_name": self.gift_by_name(),
            "gift_vs_kl_paper": join([f"{r[3]} on {d}" for d, r in zip(PAPER_DATASETS, paper)]),
            "spread_bound": ("Every run of the grid is in, so these spreads are final." if self.done == len(self.results)
                             else f"With {self.done} of the grid's {len(self.results)} runs in, our spreads are lower "
                                  "bounds: a loss not yet computed can only widen them."),
        }


__all__ = ["LOSS_LABEL", "LossGrid", "PAPER_DATASETS", "PAPER_NAME", "SET_LABEL", "paper_table6", "spread"]
