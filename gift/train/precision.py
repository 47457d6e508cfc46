"""Which arithmetic the engine uses: bf16 autocast where the hardware runs it fast, fp32 otherwise.

``precision="auto"`` resolves to

* CUDA: ``bf16`` on compute capability 8.0 or newer (A100, L4, RTX 30xx/40xx, H100: native bf16
  tensor cores); ``fp32`` below (T4 = sm_75, V100 = sm_70, P100). ``torch.cuda.is_bf16_supported()``
  is deliberately not asked: it returns True on a T4, where bf16 only runs through emulation
  (slower than fp32). fp16 autocast would be fast on those cards but needs a ``GradScaler`` and
  loss scaling in every training loop (engine, teachers, multi-student), and the label losses
  (temperature-20 softmax, cosine normalisation) are exactly where fp16's range is tight; fp32
  keeps the numbers comparable with the CPU and bf16 runs at the cost of speed (a T4 does about
  8 TFLOP/s fp32; the paper-profile ConvNet-3 runs still fit a Colab session, see
  benchmarks/RESULTS.md).
* CPU: ``bf16`` when the CPU has native bf16 matrix instructions (AVX512-BF16 or AMX), else fp32.
* anything else (MPS, ...): fp32.

An explicit ``"bf16"`` is honoured everywhere (with a warning on a CUDA card without native bf16).
"""
from __future__ import annotations

import contextlib
import functools
import warnings
from pathlib import Path

import torch

from ..protocol import PRECISIONS  # the config's valid values, defined once where they are checked
#: first CUDA compute capability with native bf16 tensor cores (Ampere)
CUDA_BF16_CAPABILITY = (8, 0)


@functools.lru_cache(maxsize=None)
def cpu_has_fast_bf16() -> bool:
    """True when the CPU has native bf16 matrix instructions (AVX512-BF16 or AMX)."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return any(f in flags for f in (" avx512_bf16", " amx_bf16"))


def cuda_has_fast_bf16(device: torch.device) -> bool:
    """True when the CUDA ``device`` has native bf16 (compute capability >= 8.0)."""
    index = device.index if device.index is not None else torch.cuda.current_device()
    return tuple(torch.cuda.get_device_capability(index)) >= CUDA_BF16_CAPABILITY


def resolve_precision(precision: str, device: torch.device) -> str:
    if precision not in PRECISIONS:
        raise ValueError(f"unknown precision {precision!r}; valid: {', '.join(PRECISIONS)}")
    device = torch.device(device)
    if precision != "auto":
        if precision == "bf16" and device.type == "cuda" and not cuda_has_fast_bf16(device):
            warnings.warn(f"precision='bf16' on {torch.cuda.get_device_name(device)} (compute capability "
                          f"{torch.cuda.get_device_capability(device)}) runs emulated and slowly; "
                          f"'auto' uses fp32 there", RuntimeWarning, stacklevel=2)
        return precision
    if device.type == "cuda":
        return "bf16" if cuda_has_fast_bf16(device) else "fp32"
    if device.type == "cpu":
        return "bf16" if cpu_has_fast_bf16() else "fp32"
    return "fp32"


def autocast(precision: str, device: torch.device):
    """Autocast context for ``precision`` (already resolved). Parameters, optimizer state and the
    loss stay fp32; convolutions and matmuls run in bf16; normalisation layers accumulate their
    statistics in fp32 (oneDNN / cuDNN do this for bf16 inputs)."""
    if precision == "bf16":
        return torch.autocast(device_type=device.type, dtype=torch.bfloat16)
    return contextlib.nullcontext()
