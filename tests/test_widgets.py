"""The book's two interactive views redraw when a reader moves them (checked without a kernel:
the drawing functions are recorded), and their static twins draw what the HTML book shows."""
import matplotlib
import pytest
import torch

matplotlib.use("Agg")

from gift.companion import widgets  # noqa: E402

pytest.importorskip("ipywidgets")


def test_refinement_sliders_redraw_with_the_new_gamma_and_alpha(monkeypatch):
    calls = []
    monkeypatch.setattr(widgets, "draw_refinement", lambda ax, t, y, z, gamma, alpha: calls.append((gamma, alpha)))
    box = widgets.refinement_explorer(torch.randn(10), 3, torch.randn(10))
    gamma, alpha = box.children[0].children
    assert calls == []  # nothing is drawn while the cell runs (the static twin shows the default)
    gamma.value = 0.5
    alpha.value = 0.2
    assert calls == [(0.5, 0.1), (0.5, 0.2)]


def test_draw_refinement_returns_the_gift_loss():
    import matplotlib.pyplot as plt

    from gift.losses import gift_loss

    t, z = torch.randn(10), torch.randn(10)
    _, ax = plt.subplots()
    loss = widgets.draw_refinement(ax, t, 3, z, gamma=0.3, alpha=0.1)
    assert loss == pytest.approx(float(gift_loss(z.view(1, -1), t.view(1, -1), torch.tensor([3]), alpha=0.1, gamma=0.3)))
    assert "gamma=0.30" in ax.get_title()


class Run:
    def __init__(self, acc):
        self.runs = [{"best": acc + s, "checkpoints": [{"epoch": e, "accuracy": acc + s - 1 + e / 100}
                                                         for e in (25, 50, 75, 100)]} for s in range(3)]


def test_comparison_selector_lists_computed_pairs_and_redraws(monkeypatch):
    pairs = {"a: gift vs kl": (Run(60), Run(59)), "b: not computed": (None, Run(50)), "c: gift vs ce": (Run(55), Run(50))}
    drawn = []
    monkeypatch.setattr(widgets, "draw_comparison", lambda axes, label, a, b: drawn.append(label))
    box = widgets.comparison_explorer(pairs)
    pick = box.children[0]
    assert list(pick.options) == ["a: gift vs kl", "c: gift vs ce"] and drawn == []
    pick.value = "c: gift vs ce"
    assert drawn == ["c: gift vs ce"]


def test_static_twin_draws_the_first_computed_pair():
    pairs = {"b: not computed": (None, Run(50)), "a: gift vs kl": (Run(60), Run(59))}
    fig = widgets.draw_first_comparison(pairs)
    assert fig.axes[0].get_title() == "a: gift vs kl" and len(fig.axes[1].lines) == 6
    empty = widgets.draw_first_comparison({"x": (None, None)})
    assert "no comparison computed yet" in empty.axes[0].texts[0].get_text()
