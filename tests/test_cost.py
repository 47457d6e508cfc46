"""GIFT's step against KL's (gift.train.cost): what the claims page measures, on a tiny network."""
import math

from gift.train.cost import StepCost, loss_cost, step_cost


def test_step_cost_times_both_losses_and_keeps_the_thread_count():
    import torch

    threads = torch.get_num_threads()
    cost = step_cost(width=8, steps=2)
    assert torch.get_num_threads() == threads
    assert set(cost.step_ms) == set(cost.loss_ms) == {"gift", "kl"}
    assert all(v > 0 for v in (*cost.step_ms.values(), *cost.loss_ms.values()))
    assert math.isfinite(cost.ratio) and math.isfinite(cost.end_to_end)


def test_the_ratio_adds_the_loss_difference_to_the_kl_step():
    cost = StepCost(step_ms={"gift": 12.0, "kl": 10.0}, loss_ms={"gift": 0.3, "kl": 0.1})
    assert cost.ratio == 1 + 0.2 / 10.0 and cost.end_to_end == 1.2
    assert set(loss_cost(4, 3, "cpu", reps=3)) == {"gift", "kl"}
