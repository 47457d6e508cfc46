#!/usr/bin/env python3
"""Train the book's companion-profile runs in the order that decides verdicts, into results/
(resumable).

The grids (loss grid, gamma sweep, KD losses, students, seeds) are the profile's
(``gift.companion.Profile``), the same objects the chapters and the claims page read; this queue
holds no grid of its own, only the priority order. Runs already stored are skipped instantly, so it
can be stopped and restarted at any time.

    OMP_NUM_THREADS=1 python tools/companion_queue.py &   # one worker per core; each claims the
    OMP_NUM_THREADS=1 python tools/companion_queue.py &   # next seed nobody is training
    python tools/companion_queue.py --list                # the queue, with what is stored
    OMP_NUM_THREADS=1 python tools/companion_queue.py --only mobilenet_v2 &   # some jobs only
    python tools/companion_queue.py --full-budget --only resnet18 --only mobilenet   # on a GPU
"""
from __future__ import annotations

import argparse
import dataclasses
import fcntl
import hashlib
import os
import sys
import tempfile
import time

import torch

from gift.companion import OWN_LOSS, Experiment, Profile, fmt, get_profile
from gift.companion.checklist import ABLATION_SETS, DISTILLED


def jobs(profile: str | Profile = "companion") -> list[tuple]:
    """(method, ipc, overrides), ("continual", loss) or ("teacher", norm) in priority order, each
    job once.

    Order (what decides a verdict first): the IPC-10 main table (each method's own loss, KL and GIFT,
    so every set has a matched KL baseline); one comparison in fp32 (does bf16 matter?); SGD and
    Adam with the KL x T^2 control; the IPC-1 main table, moved up because an IPC-1 run costs about
    a tenth of an IPC-10 run (10 images, one step of 10 per epoch, against two steps of 50); the
    ablation, the gamma sweep, the KD baselines and the loss grid, each on every set its claim uses
    before the next grid starts; hard labels; the IPC-50 main table (five times an IPC-10 run); the
    refinement conventions; the instance-norm teacher's random baseline; cross-architecture students
    (short budget); continual learning."""
    p = get_profile(profile)
    J: list[tuple] = []
    J += _main_table(10, ("random", *DISTILLED))
    J += [("rded", 10, {"loss": L, "precision": "fp32"}) for L in ("kl", "gift")]
    for opt in ("sgd", "adam"):
        J += [("rded", 10, {"loss": "kl", "optimizer": opt}), ("rded", 10, {"loss": "gift", "optimizer": opt}),
              ("rded", 10, {"loss": "kl", "loss_kwargs": {"t2_scale": True}, "optimizer": opt})]
    J += [("rded", 10, {"loss": "kl", "loss_kwargs": {"t2_scale": True}, "optimizer": "adamw"})]
    J += _main_table(1)
    J += [(m, 10, {"loss": L}) for m in ABLATION_SETS for L in ("kl_refined", "cosine")]
    J += [(m, 10, {"loss": "gift", "loss_kwargs": {"gamma": g}}) for m in ABLATION_SETS for g in p.gammas]
    J += [(m, 10, {"loss": L}) for m in ABLATION_SETS for L in p.kd_losses]
    J += [(m, 10, {"loss": L}) for m in DISTILLED for L in p.loss_grid]
    # hard labels; DATM's is the loss grid's CE run (CE reads only the class labels)
    J += [(m, 10, {"loss": "ce", "label_source": "hard"}) for m in ("random", *DISTILLED) if m != "datm"]
    J += _main_table(50)
    J += [("rded", 10, {"loss": "gift", "loss_kwargs": kw})
          for kw in ({"convention": "official"}, {"soft": "probs"}, {"smoothing": "pytorch"})]
    J += [(m, ipc, {"loss": "ce", "label_source": "hard"}) for m in ("random", "rded", "sre2l") for ipc in (1, 50)]
    J += [("teacher", "instance")]
    instance = {"model_kwargs": {"norm": "instance"}, "teacher_norm": "instance"}
    J += [("random", 10, {"loss": L, **instance}) for L in (OWN_LOSS["random"], "kl", "gift")]
    for name, student in p.students.items():
        if student:  # the profile's own student is in the main table already
            J += [(m, p.student_ipc, {"loss": L, **student}) for m in p.student_sets for L in dict.fromkeys((OWN_LOSS[m], "gift"))]
    J += [("continual", "kl"), ("continual", "gift")]
    unique: list[tuple] = []
    for job in J:
        if job not in unique:
            unique.append(job)
    return unique


def _main_table(ipc: int, sets: tuple = ("random", *ABLATION_SETS)) -> list[tuple]:
    """The main table at ``ipc``: each set's own loss, KL and GIFT. By default the sets distilled at
    every IPC (DATM's released set is IPC 10 only)."""
    return [(m, ipc, {"loss": L}) for m in sets for L in dict.fromkeys((OWN_LOSS[m], "kl", "gift"))]


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


def recorded_continual(ex: Experiment, loss: str) -> str:
    """The 10-step schedule's accuracies of ``loss`` as chapter 7 recorded them, read without data
    (what ``--list`` shows on a clone): ``"100.0 89.6 ..."``, or that it is not recorded yet."""
    from gift.companion import continual_learning as cl

    steps = cl.summaries(ex, seed=0, **cl.overrides(ex.profile.name)).get(f"{loss}|10", [])
    return " ".join(f"{cl.accuracy(s)[0]:.1f}" for s in steps) if steps else "not recorded yet"


def parse_args() -> argparse.Namespace:
    """The command line, checked (a bad ``--worker`` is a usage error) and then removed from
    ``sys.argv``."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--worker", default="0/1",
                    help="I/N: consider only every N-th job starting at I (default 0/1: all of them)")
    ap.add_argument("--only", action="append", default=[], metavar="TEXT",
                    help="consider only jobs whose description contains TEXT (repeatable: any of them), e.g. "
                         "--only resnet18 to give the few seeds a short claim still lacks both cores")
    ap.add_argument("--list", action="store_true", help="print the queue and whether each job is stored")
    ap.add_argument("--full-budget", action="store_true",
                    help="train the short-budget students (ResNet-18, MobileNet-V2) at the profile's full epochs "
                         "instead (for a GPU: the chapters keep reading the short runs until the profile's "
                         "short_budget entry for that student is removed)")
    ap.add_argument("--lock-dir", default=os.path.join(tempfile.gettempdir(), "gift-companion-locks"),
                    help="where workers claim jobs; workers sharing it never run the same job at once")
    args = ap.parse_args()
    args.worker = parse_worker(ap, args.worker)
    # torch's inductor reads the argument after "--only" in sys.argv as a benchmark name and writes
    # it, unescaped, into the Python module it generates: a quote in a --only text (e.g. "'kd'")
    # made every compiled run fail with a SyntaxError. The arguments are parsed; hide them from it.
    del sys.argv[1:]
    return args


def main() -> int:
    args = parse_args()
    i, n = args.worker
    torch.set_num_threads(1)
    profile = get_profile("companion")
    if args.full_budget:
        profile = dataclasses.replace(profile, short_budget={})
    ex = Experiment(profile, show_progress=False, run_missing=not args.list)
    os.makedirs(args.lock_dir, exist_ok=True)
    missing_jobs = missing_seeds = 0
    reasons: dict[str, int] = {}  # why a job is unavailable -> its number in the listing
    for k, job in enumerate(jobs(profile)):
        if k % n != i or not selected(job, args.only):
            continue
        needed = prerequisite(job)
        # a run job's seeds are claimed one by one (train_seeds); teachers and continual jobs whole
        with _claim(args.lock_dir, job, dry=args.list or is_run(job)) as claimed, \
                _claim(args.lock_dir, needed, dry=args.list or needed is None) as needed_free:
            if not claimed:  # another worker is on it; the next free job is ours
                continue
            if not needed_free:  # another worker is training the teacher this job needs
                print(f"[{k:3d}] {job}: skipped, {needed} is being trained by another worker", flush=True)
                continue
            start = time.time()
            try:
                if job[0] == "continual" and args.list:
                    text = recorded_continual(ex, job[1])
                elif job[0] == "continual":
                    steps = run_continual(ex, job[1])
                    text = " ".join(f"{s.accuracy()[0]:.1f}" for s in steps)
                elif job[0] == "teacher":
                    text = f"test accuracy {ex.teacher_accuracy(job[1]):.2f}%"
                elif args.list:
                    text = fmt(ex.evaluate(job[0], job[1], **job[2]))
                    if text == "not computed":
                        stored = stored_seeds(ex, job)
                        text += f" ({stored} of {len(ex.profile.seeds)} seeds stored)"
                        missing_jobs, missing_seeds = missing_jobs + 1, missing_seeds + len(ex.profile.seeds) - stored
                else:
                    text = train_seeds(ex, args.lock_dir, job)
            except Exception as err:  # a missing set or teacher in --list mode; keep going
                # one line per job; each distinct message is printed in full once, at the end
                reasons.setdefault(f"{type(err).__name__}: {err}", len(reasons) + 1)
                text = f"unavailable (reason {reasons[f'{type(err).__name__}: {err}']} below)"
            print(f"[{k:3d}] {job}: {text} ({time.time() - start:.0f} s)", flush=True)
    for reason, n in reasons.items():
        print(f"reason {n}: {reason}")
    if args.list:
        print(f"{missing_jobs} run jobs not computed, {missing_seeds} seeds missing"
              + (" (continual and teacher jobs not counted)" if missing_jobs else ""))
    return 0


def train_seeds(ex, lock_dir: str, job: tuple) -> str:
    """Train a run job's missing seeds, claiming each seed on its own: two workers on one job train
    different seeds of it at once, so the job a verdict waits for finishes in half the time. Then
    the job's result, looked up in the store only (``ex.stored`` never trains, so a seed another
    worker is still training is not trained twice), or how many of its seeds are stored so far."""
    method, ipc, overrides = job
    for seed in ex.profile.seeds:
        with _claim(lock_dir, (*job, seed), dry=False) as mine:
            if mine:
                ex.evaluate(method, ipc, **overrides, seeds=(seed,))
    result = ex.stored(method, ipc, **overrides)
    if result is not None:
        return fmt(result)
    return (f"{stored_seeds(ex, job)} of {len(ex.profile.seeds)} seeds stored; "
            "the others are being trained by other workers")


def stored_seeds(ex: Experiment, job: tuple) -> int:
    """How many of the profile's seeds of a run job are in the store (a run's key has no seed list,
    so each seed is looked up on its own, never trained): what a restarted worker will not train again."""
    method, ipc, overrides = job
    return sum(ex.stored(method, ipc, **overrides, seeds=(seed,)) is not None for seed in ex.profile.seeds)


def is_run(job: tuple) -> bool:
    """A (method, ipc, overrides) job: one evaluation, trained seed by seed."""
    return len(job) == 3 and isinstance(job[2], dict)


def selected(job: tuple, only: list[str]) -> bool:
    """Whether ``--only`` keeps ``job``: every job without ``--only``, else those whose description
    (as ``--list`` prints it) contains one of the texts."""
    return not only or any(text in repr(job) for text in only)


def parse_worker(ap: argparse.ArgumentParser, text: str) -> tuple[int, int]:
    """``I/N`` with 0 <= I < N; anything else is a usage error (exit 2) naming the bad value."""
    try:
        i, n = (int(v) for v in text.split("/"))
    except ValueError:
        ap.error(f"--worker must be I/N with integers, e.g. 0/2; got {text!r}")
    if n < 1 or not 0 <= i < n:
        ap.error(f"--worker I/N needs N >= 1 and 0 <= I < N; got {text!r}")
    return i, n


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
