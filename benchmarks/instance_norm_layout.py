#!/usr/bin/env python3
"""Instance-norm ConvNet-3 step (DATM's student): NCHW throughout against channels-last around an
NCHW GroupNorm (``gift.models.ChannelsFirstGroupNorm``), alternated in one process.

The step is the engine's for a set with stored soft labels: 50 of 100 images, DSA, bf16 autocast,
soft cross-entropy, AdamW. Prints the median ms/step of each layout and the speed-up.

    OMP_NUM_THREADS=1 python benchmarks/instance_norm_layout.py --threads 1
"""
from __future__ import annotations

import argparse
import statistics
import time

import torch

from gift import get_loss, get_model
from gift.augment import get_augmentation
from gift.train.precision import autocast


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--threads", type=int, default=torch.get_num_threads(), help="torch CPU threads")
    ap.add_argument("--repeats", type=int, default=5, help="alternated repeats per layout (median reported)")
    ap.add_argument("--steps", type=int, default=6, help="steps per repeat")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    images, soft, labels = torch.rand(100, 3, 32, 32), torch.randn(100, 10), torch.arange(100) % 10
    augment, loss_fn = get_augmentation("dsa"), get_loss("soft_ce")

    def make(fmt):
        torch.manual_seed(0)
        model = get_model("convnet3", 10, 32, norm="instance").to(memory_format=fmt)
        return model, torch.optim.AdamW(model.parameters(), 1e-3), torch.Generator().manual_seed(0), fmt

    def step(model, opt, gen, fmt):
        idx = torch.randperm(100, generator=gen)[:50]
        x = augment(images[idx], gen).contiguous(memory_format=fmt)
        with autocast("bf16", torch.device("cpu")):
            out = model(x)
        loss = loss_fn(out.float(), soft[idx], labels[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    layouts = {"NCHW": make(torch.contiguous_format), "channels-last + NCHW norm": make(torch.channels_last)}
    for v in layouts.values():
        for _ in range(3):  # oneDNN picks its kernels during the first steps
            step(*v)
    ms = {k: [] for k in layouts}
    for _ in range(args.repeats):
        for k, v in layouts.items():
            start = time.perf_counter()
            for _ in range(args.steps):
                step(*v)
            ms[k].append(1e3 * (time.perf_counter() - start) / args.steps)
    med = {k: statistics.median(v) for k, v in ms.items()}
    for k, m in med.items():
        print(f"{args.threads} thread(s), {k}: {m:.1f} ms/step ({50e3 / m:.0f} img/s)")
    print(f"speed-up channels-last/NCHW: {med['NCHW'] / med['channels-last + NCHW norm']:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
