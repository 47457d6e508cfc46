"""Dry runs: a profile's code paths at toy size, to check a long profile (``paper``) on a CPU.

``dry_run_profile("paper")`` is a copy of the ``paper`` :class:`~gift.companion.profiles.Profile` with the
same name, dataset, model, methods, students, loss grids and precision rule (so every chapter takes
its ``paper`` branches and settings), with only sizes shrunk — a ConvNet of width 16, 4 training epochs (the fewest with
the protocol's 4 checkpoints), 1 seed, IPC 1 and 10, a 1-epoch teacher named by its recipe, 2 SRe2L
iterations, 10 RDED candidates per class with 2 crops each — a temporary results store
(``persistent=False``: nothing is read from or written to ``results/``), and "DRY RUN" in its
description and deviations (printed by every chapter).

It is active only where asked for: ``with dry_run("paper"):`` in a process, or ``GIFT_DRY_RUN=paper``
in the environment of a notebook kernel (papermill, nbclient), where ``import gift`` swaps it in.
Without that, ``paper`` is exactly the profile defined in gift/companion/profiles.py.
"""
from __future__ import annotations

import contextlib
import dataclasses
import os

ENV_DRY_RUN = "GIFT_DRY_RUN"
SIZES = {
    "epochs": 4,  # the fewest the protocol allows (4 test checkpoints)
    "seeds": (0,),
    "ipcs": (1, 10),
    "teacher_epochs": 1,
    "teacher_file": "",  # recipe-named teacher in the per-user cache, never results/teachers/
    "persistent": False,
    "short_budget": {},
    "model_kwargs": {"width": 16},  # the profile's ConvNet at 1/8 width: same layers, a fraction of the time
    "student_sets": ("rded",),  # the large students learn from one set: each still runs every code path
    "student_ipc": 1,  # ... at IPC 1: a tenth of the images (ResNet-18 at IPC 10 was 6 of the dry run's 15 minutes)
}
DISTILL_OPTIONS = {"sre2l": {"iterations": 2}, "rded": {"mipc": 10, "num_crop": 2}}


def dry_run_profile(base: str = "paper"):
    """The toy-size copy of profile ``base`` (see the module docstring); not registered."""
    from .profiles import get_profile

    p = _ORIGINALS.get(base) or get_profile(base)
    options = {m: {**p.distill_options.get(m, {}), **DISTILL_OPTIONS.get(m, {})} for m in p.methods}
    return dataclasses.replace(
        p, distill_options={m: o for m, o in options.items() if o},
        description=f"DRY RUN of the {p.name!r} profile, its code paths at toy size ({p.description})",
        deviations=(*p.deviations, "DRY RUN: 4 epochs, 1 seed, a 1-epoch teacher, toy data; checks that the "
                    "code runs, the numbers mean nothing"),
        **SIZES,
    )


_ORIGINALS: dict = {}


def activate(base: str = "paper") -> None:
    """Make profile ``base`` its dry-run copy in this process (until :func:`deactivate`)."""
    from .profiles import PROFILES

    if base not in _ORIGINALS:
        dry = dry_run_profile(base)
        _ORIGINALS[base] = PROFILES.get(base)
        PROFILES._items[base] = dry  # the registry forbids re-registering; this swap is deliberate


def deactivate(base: str = "paper") -> None:
    from .profiles import PROFILES

    if base in _ORIGINALS:
        PROFILES._items[base] = _ORIGINALS.pop(base)


@contextlib.contextmanager
def dry_run(base: str = "paper"):
    """``with dry_run("paper"): Experiment("paper")`` runs the toy-size copy."""
    activate(base)
    try:
        yield
    finally:
        deactivate(base)


def activate_from_env() -> None:
    """Activate the dry runs named in ``$GIFT_DRY_RUN`` (comma-separated profile names)."""
    for base in filter(None, (b.strip() for b in os.environ.get(ENV_DRY_RUN, "").split(","))):
        activate(base)
