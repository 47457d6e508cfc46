"""When the engine compiles its networks with ``torch.compile``, and how.

Why: once the convolutions run in bf16 on a CPU's matrix unit (AMX), the memory-bound layers
(BatchNorm, ReLU, pooling and their backward passes) take about half of a ConvNet step; inductor
fuses them into a few loops over each activation, about 1.2x on a whole step (benchmarks/RESULTS.md).
The first compile of a network and batch shape costs about 40 s on one core; inductor caches it on
disk, so later processes on the same machine compile in about 2 s. ``auto`` therefore compiles only
CPU runs long enough to earn that back, and never under DDP.

Compiling changes rounding, not arithmetic: a compiled run is as deterministic as an eager one
(same seed, same machine, same numbers) but not bit-identical to it, so every run records whether
it was compiled."""
from __future__ import annotations

import functools
import os
import shutil
import warnings

import torch
from torch import nn

COMPILE_MODES = ("auto", "on", "off")
#: ``auto`` compiles runs with at least this many optimizer steps: the companion profile's 300-epoch
#: IPC-10 runs (600 steps, 1-5 min) and longer; a warm compile (2-8 s) is then a few per cent of the run
AUTO_MIN_STEPS = 500
ENV_VAR = "GIFT_COMPILE"


def compile_mode(mode: str | None) -> str:
    """``mode``, or ``$GIFT_COMPILE`` when None (default ``auto``), checked."""
    source = "the call" if mode is not None else f"${ENV_VAR}"
    mode = os.environ.get(ENV_VAR, "auto") if mode is None else mode
    if mode not in COMPILE_MODES:
        raise ValueError(f"unknown compile mode {mode!r} (from {source}); valid: {', '.join(COMPILE_MODES)}")
    return mode


def cxx_compiler() -> str | None:
    """The C++ compiler inductor would use on a CPU, or None when there is none."""
    for name in (os.environ.get("CXX"), "g++", "c++", "clang++"):
        if name and shutil.which(name):
            return name
    return None


@functools.lru_cache(maxsize=None)
def inductor_works() -> bool:
    """Whether inductor can build and run a CPU kernel here (checked once per process, a few
    seconds): a machine with a compiler but no working toolchain gets the eager engine under
    ``auto``, with a warning, instead of a failed run."""
    try:
        probe = torch.compile(lambda t: torch.relu(t) * 2 + 1, dynamic=False)
        ok = bool(torch.equal(probe(torch.arange(-2.0, 2.0)), torch.tensor([1.0, 1.0, 1.0, 3.0])))
    except Exception as err:  # any build or load failure: fall back, say why
        warnings.warn(f"torch.compile does not work on this machine ({type(err).__name__}: {err}); "
                      f"the engine runs eagerly. Set {ENV_VAR}=off to skip this check.", RuntimeWarning)
        return False
    return ok


def resolve_compile(mode: str | None, device: torch.device, *, steps: int, world: int = 1) -> bool:
    """Whether a run of ``steps`` optimizer steps on ``device`` compiles its networks."""
    mode = compile_mode(mode)
    if mode != "auto":
        if mode == "on" and world > 1:
            raise ValueError("compile='on' is not supported with several processes (DDP); use 'off' or 'auto'")
        if mode == "on" and device.type == "cpu" and cxx_compiler() is None:
            raise RuntimeError("compile='on' needs a C++ compiler on a CPU (inductor builds its kernels); "
                               "install g++ or use compile='off'")
        return mode == "on"
    return (device.type == "cpu" and world == 1 and steps >= AUTO_MIN_STEPS and cxx_compiler() is not None
            and inductor_works())


def compiled(module: nn.Module, *, frozen: bool = False) -> nn.Module:
    """``module`` compiled for fixed shapes (a run sees at most two batch sizes: the full one and
    the last partial batch of an epoch), sharing its parameters and buffers.

    ``frozen=True`` is for a network whose weights never change again (the teacher's inference
    copy): inductor then folds the weights in as constants and hands oneDNN pre-packed bf16
    convolution weights, instead of casting and reordering them on every call (about 2x on the
    teacher's forward pass on one core). Only no-grad calls are frozen."""
    return torch.compile(module, dynamic=False, options={"freezing": True} if frozen else None)


def compile_for_training(student: nn.Module, teacher: nn.Module | None, enabled: bool):
    """``(train_model, teacher)``: the student compiled for training and the teacher's inference
    copy compiled frozen, or both as given when ``enabled`` is false. The training loop calls
    ``train_model`` but keeps ``student`` for tests and checkpoints (they share parameters)."""
    if not enabled:
        return student, teacher
    return compiled(student), None if teacher is None else compiled(teacher, frozen=True)
