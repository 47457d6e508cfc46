"""What GIFT's loss costs next to KL's in a training step (the paper's "near-zero cost" claim, judged
on the claims page): a few alternated single steps and the loss call timed alone. Light enough for
a chapter; ``gift bench`` (:mod:`gift.perf.bench`) measures whole runs against the authors' loop."""
from __future__ import annotations

import statistics
import time
from dataclasses import dataclass

import torch

from ..losses import get_loss
from ..models import get_model

__all__ = ["StepCost", "loss_cost", "step_cost", "sync"]


def loss_cost(batch_size: int = 50, num_classes: int = 10, device: torch.device | str = "cpu",
              reps: int = 200) -> dict[str, float]:
    """Milliseconds of loss forward + backward on [B, classes] logits, GIFT and KL alternated: the
    only part of the step in which the two differ, timed alone because the step's noise hides it."""
    device = torch.device(device)
    g = torch.Generator().manual_seed(0)
    s_logits = torch.randn(batch_size, num_classes, generator=g).to(device).requires_grad_()
    t_logits = torch.randn(batch_size, num_classes, generator=g).to(device)
    labels = (torch.arange(batch_size) % num_classes).to(device)
    fns = {"gift": get_loss("gift"), "kl": get_loss("kl")}
    times: dict[str, list[float]] = {k: [] for k in fns}
    for fn in fns.values():
        fn(s_logits, t_logits, labels)
        fn.validate = False  # as in the engine after the first step
    for _ in range(reps):
        for name, fn in fns.items():
            sync(device)
            start = time.perf_counter()
            fn(s_logits, t_logits, labels).backward()
            sync(device)
            times[name].append(time.perf_counter() - start)
    return {k: 1e3 * statistics.median(v) for k, v in times.items()}


@dataclass(frozen=True)
class StepCost:
    """GIFT's training step against KL's: the step-time ratio the claims page judges."""

    step_ms: dict  # median full student step per loss (teacher forward, backward, AdamW), end to end
    loss_ms: dict  # median loss forward + backward alone (``loss_cost``)

    @property
    def ratio(self) -> float:
        """1 + (loss difference) / KL step: the two steps differ only in the loss call, and timing
        the loss alone is not drowned by the step's noise on a shared machine."""
        return 1 + (self.loss_ms["gift"] - self.loss_ms["kl"]) / self.step_ms["kl"]

    @property
    def end_to_end(self) -> float:
        return self.step_ms["gift"] / self.step_ms["kl"]


def step_cost(width: int = 128, num_classes: int = 10, steps: int = 20, seed: int = 0) -> StepCost:
    """Time single ConvNet-3 student steps (batch 50) with GIFT and KL alternated, on one thread
    (a [50, 10] loss split over two threads waits for whichever core is busy elsewhere), medians
    after two warm-up rounds; then the loss alone (:func:`loss_cost`)."""
    torch.manual_seed(seed)
    student = get_model("convnet3", num_classes, 32, width=width)
    teacher = get_model("convnet3", num_classes, 32, width=width).eval()
    opt = torch.optim.AdamW(student.parameters(), lr=1e-3)
    x, y = torch.randn(50, 3, 32, 32), torch.randint(0, num_classes, (50,))
    fns = {name: get_loss(name) for name in ("kl", "gift")}
    for fn in fns.values():
        fn.validate = False  # as in the engine after its first step
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    times: dict[str, list[float]] = {name: [] for name in fns}
    try:
        for rep in range(steps + 2):
            for name, fn in fns.items():
                start = time.perf_counter()
                with torch.no_grad():
                    t = teacher(x)
                loss = fn(student(x), t, y)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                if rep >= 2:
                    times[name].append(time.perf_counter() - start)
        loss_ms = loss_cost(50, num_classes, "cpu")
    finally:
        torch.set_num_threads(threads)
    return StepCost({k: 1e3 * statistics.median(v) for k, v in times.items()}, loss_ms)




def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)
