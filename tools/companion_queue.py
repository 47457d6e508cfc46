#!/usr/bin/env python3
"""Train the book's companion-profile runs in priority order, into results/ (resumable).

The chapters themselves are the specification (``make notebooks`` trains whatever they need);
this queue only orders the same ``Experiment.evaluate`` calls so that a CPU with a few hours to
spare fills the claims checklist breadth-first: one comparison per claim first, then the grids.
Runs already stored are skipped instantly, so it can be stopped and restarted at any time.

    OMP_NUM_THREADS=1 python tools/companion_queue.py &   # one worker per core; each claims
    OMP_NUM_THREADS=1 python tools/companion_queue.py &   # the next job nobody is running
    python tools/companion_queue.py --list                # the queue, with what is stored
"""
from __future__ import annotations

import argparse
import fcntl
import hashlib
import os
import tempfile
import time

import torch

from gift.experiments import OWN_LOSS, Experiment, fmt

LOSS_GRID = ("ce", "kl", "soft_ce", "mse", "mse_ce", "kl_ce", "soft_ce_ce", "gift", "cosine")
KD = ("kd", "dkd", "nkd", "wsld")
GAMMAS = (0.0, 0.05, 0.2, 0.3, 0.5)


def jobs() -> list[tuple]:
    """(method, ipc, overrides), ("continual", loss) or ("teacher", norm) in priority order, each
    job once.

    Order: one comparison per claim first; then what the chapters explain (gamma sweep, loss grid,
    other IPCs, T² scaling, the refinement conventions, cross-architecture); then the second method's
    grids (cheap, many cells) before the IPC-50 rows (each run costs five or more IPC-10 runs);
    then the instance-norm DATM grid (about 3.5 IPC-10 runs each on a CPU: GroupNorm has no fast
    bf16 path there); then the instance-norm teacher, the second ResNet-18 pair and the rows only
    chapter 9 reads (random with KL, hard labels at IPC 1 and 50); MobileNet-V2 students, added last."""
    J: list[tuple] = []
    for m in ("rded", "random", "datm", "sre2l"):
        J += [(m, 10, {"loss": OWN_LOSS[m]}), (m, 10, {"loss": "gift"})]
    J += [("rded", 10, {"loss": L}) for L in ("kl_refined", "cosine")]
    J += [("rded", 10, {"loss": L}) for L in KD]
    for opt in ("sgd", "adam"):
        J += [("rded", 10, {"loss": "kl", "optimizer": opt}), ("rded", 10, {"loss": "gift", "optimizer": opt})]
    J += [(m, 10, {"loss": "ce", "label_source": "hard"}) for m in ("random", "rded", "sre2l", "datm")]
    J += [("continual", "kl"), ("continual", "gift")]
    J += [("rded", 10, {"loss": "gift", "loss_kwargs": {"gamma": g}}) for g in GAMMAS]
    J += [("rded", 10, {"loss": L}) for L in LOSS_GRID]
    for m in ("random", "rded", "sre2l"):
        J += [(m, 1, {"loss": OWN_LOSS[m]}), (m, 1, {"loss": "gift"})]
    for opt in ("sgd", "adam", "adamw"):
        J += [("rded", 10, {"loss": "kl", "loss_kwargs": {"t2_scale": True}, "optimizer": opt})]
    J += [("rded", 10, {"loss": "gift", "loss_kwargs": kw})
          for kw in ({"convention": "official"}, {"soft": "probs"}, {"smoothing": "pytorch"})]
    J += [("rded", 10, {"loss": L, "model": "resnet18_modified"}) for L in ("kl", "gift")]
    J += [("sre2l", 10, {"loss": L}) for L in ("kl_refined", "cosine", *KD)]
    J += [("sre2l", 10, {"loss": "gift", "loss_kwargs": {"gamma": g}}) for g in GAMMAS]
    J += [("sre2l", 10, {"loss": L}) for L in LOSS_GRID]
    for m in ("random", "rded", "sre2l"):
        J += [(m, 50, {"loss": OWN_LOSS[m]}), (m, 50, {"loss": "gift"})]
    # the DATM loss grid (chapter 1's third column): since ChannelsFirstGroupNorm an instance-norm
    # IPC-10 run costs less than an IPC-50 one, so it comes before the teacher and the long rows
    J += [("datm", 10, {"loss": L}) for L in LOSS_GRID]
    # the instance-norm teacher (DATM's student architecture; resumes from its .partial checkpoint
    # epoch by epoch) and chapter 9's random subsets relabelled by it, the matched baseline for DATM
    J += [("teacher", "instance")]
    instance = {"model_kwargs": {"norm": "instance"}, "teacher_norm": "instance"}
    J += [("random", 10, {"loss": L, **instance}) for L in (OWN_LOSS["random"], "gift")]
    J += [("sre2l", 10, {"loss": L, "model": "resnet18_modified"}) for L in ("kl", "gift")]
    J += [("random", ipc, {"loss": "kl"}) for ipc in (1, 10, 50)]
    J += [(m, ipc, {"loss": "ce", "label_source": "hard"}) for m in ("random", "rded", "sre2l") for ipc in (1, 50)]
    # a third student architecture for chapter 6's cross-architecture table (4-10 min a seed-run
    # on one core; EfficientNet-B0, about 1.6x that, stays in the paper profile)
    J += [(m, 10, {"loss": L, "model": "mobilenet_v2"}) for m in ("rded", "sre2l") for L in (OWN_LOSS[m], "gift")]
    unique: list[tuple] = []
    for job in J:
        if job not in unique:
            unique.append(job)
    return unique


def prerequisite(job: tuple) -> tuple | None:
    """The job that must not run at the same time as ``job``: the teacher a run is relabelled by,
    when it is not the profile's default one. Without this, a worker reaching a run that needs the
    instance-norm teacher while another worker trains it would train it too, into the same
    checkpoint file."""
    if len(job) == 3 and isinstance(job[2], dict) and job[2].get("teacher_norm", "batch") != "batch":
        return ("teacher", job[2]["teacher_norm"])
    return None


def run_continual(ex: Experiment, loss: str):
    from gift.continual import class_incremental_split, run_class_incremental

    split = class_incremental_split(ex.num_classes, 10, seed=0)
    return run_class_incremental(ex, ex.distilled("rded", 10), ex.config("rded", loss=loss), split,
                                 teacher=ex.teacher())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--worker", default="0/1",
                    help="I/N: consider only every N-th job starting at I (default 0/1: all of them)")
    ap.add_argument("--list", action="store_true", help="print the queue and whether each job is stored")
    ap.add_argument("--lock-dir", default=os.path.join(tempfile.gettempdir(), "gift-companion-locks"),
                    help="where workers claim jobs; workers sharing it never run the same job at once")
    args = ap.parse_args()
    i, n = (int(v) for v in args.worker.split("/"))
    torch.set_num_threads(1)
    ex = Experiment("companion", show_progress=False, run_missing=not args.list)
    os.makedirs(args.lock_dir, exist_ok=True)
    for k, job in enumerate(jobs()):
        if k % n != i:
            continue
        needed = prerequisite(job)
        with _claim(args.lock_dir, job, dry=args.list) as claimed, \
                _claim(args.lock_dir, needed, dry=args.list or needed is None) as needed_free:
            if not claimed:  # another worker is on it; the next free job is ours
                continue
            if not needed_free:  # another worker is training the teacher this job needs
                print(f"[{k:3d}] {job}: skipped, {needed} is being trained by another worker", flush=True)
                continue
            start = time.time()
            try:
                if job[0] == "continual":
                    steps = run_continual(ex, job[1])
                    text = " ".join(f"{s.accuracy()[0]:.1f}" for s in steps)
                elif job[0] == "teacher":
                    text = f"test accuracy {ex.teacher_accuracy(job[1]):.2f}%"
                else:
                    text = fmt(ex.evaluate(job[0], job[1], **job[2]))
            except Exception as err:  # a missing set or teacher in --list mode; keep going
                text = f"unavailable ({type(err).__name__}: {err})"
            print(f"[{k:3d}] {job}: {text} ({time.time() - start:.0f} s)", flush=True)
    return 0


class _claim:
    """An advisory lock on a job: the OS drops it when the worker exits, so a killed worker's job
    is free again at once (there are no stale claims to clean up). The lock is named by the job
    itself, not its place in the queue, so workers started before and after a reordering agree."""

    def __init__(self, lock_dir: str, job: tuple, dry: bool):
        name = hashlib.sha1(repr(job).encode()).hexdigest()[:16]
        self.path, self.dry, self.fd = os.path.join(lock_dir, f"{name}.lock"), dry, None

    def __enter__(self) -> bool:
        if self.dry:
            return True
        self.fd = os.open(self.path, os.O_CREAT | os.O_RDWR, 0o644)
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            return False

    def __exit__(self, *exc) -> None:
        if self.fd is not None:
            os.close(self.fd)  # closing releases the lock


if __name__ == "__main__":
    raise SystemExit(main())
