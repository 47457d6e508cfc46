"""Loading pickled files without executing code.

* :func:`safe_torch_load` wraps ``torch.load(..., weights_only=True)`` (tensors, dicts, lists,
  numbers, strings; plus NumPy arrays/scalars, which are plain data). Anything that would need
  arbitrary pickled Python objects is refused with :class:`UnsafeFileError`; nothing in the file
  is executed.
* :func:`restricted_pickle_load` reads plain pickles such as CIFAR's ``data_batch_1`` with an
  unpickler that only resolves the few NumPy reconstruction functions such files need.
"""
from __future__ import annotations

import contextlib
import io
import os
import pickle
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .errors import DataError, UnsafeFileError

_REFUSAL = (
    "refused for safety and not executed: loading it would need arbitrary pickled Python objects "
    "({detail}), and nothing from the file was run. Only plain tensors/arrays, numbers, strings, "
    "lists and dicts are accepted; if you trust the file, convert it (in a trusted environment) "
    "to plain tensors saved with torch.save and load that instead."
)

# (module, name) pairs a NumPy-array pickle may reference. ``numpy.core`` is NumPy 1.x's name for
# NumPy 2's ``numpy._core``; both spellings occur in files written by either version.
_NUMPY_ALLOWED = {
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "scalar"),
    ("numpy.core.numeric", "_frombuffer"),
    ("numpy._core.numeric", "_frombuffer"),
    # Python 3 writes ``bytes`` as _codecs.encode(str, "latin1") under protocol <= 2.
    ("_codecs", "encode"),
}


def _resolve_numpy(module: str, name: str) -> Any:
    if module == "_codecs":
        import _codecs

        return getattr(_codecs, name)
    if module.startswith("numpy.core") and hasattr(np, "_core"):
        module = "numpy._core" + module[len("numpy.core") :]
    elif module.startswith("numpy._core") and not hasattr(np, "_core"):
        module = "numpy.core" + module[len("numpy._core") :]
    import importlib

    return getattr(importlib.import_module(module), name)


class _RestrictedUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:  # noqa: D401
        if (module, name) in _NUMPY_ALLOWED:
            return _resolve_numpy(module, name)
        raise pickle.UnpicklingError(f"global '{module}.{name}' is not allowed")


def restricted_pickle_load(path: str | os.PathLike, encoding: str = "latin1") -> Any:
    """Unpickle ``path`` allowing only NumPy array reconstruction (no other globals).

    ``encoding="latin1"`` reads Python-2 pickles (the original CIFAR files) correctly."""
    path = Path(path)
    data = path.read_bytes()
    try:
        return _RestrictedUnpickler(io.BytesIO(data), encoding=encoding).load()
    except pickle.UnpicklingError as e:
        if "is not allowed" in str(e):
            raise UnsafeFileError(f"{path}: " + _REFUSAL.format(detail=str(e))) from None
        raise DataError(f"{path}: not a readable pickle file ({e})") from None
    except (EOFError, ValueError, TypeError, AttributeError, IndexError, KeyError) as e:
        raise DataError(f"{path}: not a readable pickle file ({type(e).__name__}: {e})") from None


# Scalar types whose values the released DC/DSA/DM/MTT ``res_*.pt`` files (and similar logs) hold:
# their accuracy lists are NumPy scalars such as ``np.float64(0.51)``. Object dtypes stay refused.
_NUMPY_SCALAR_TYPES = (np.float64, np.float32, np.float16, np.int64, np.int32, np.int16, np.int8,
                       np.uint64, np.uint32, np.uint16, np.uint8, np.bool_, np.complex64, np.complex128)


def _numpy_safe_globals() -> list[Any]:
    """The narrow allowlist for ``torch.load(weights_only=True)``: how NumPy rebuilds arrays
    (``_reconstruct``, ``ndarray``), scalars (``multiarray.scalar``) and their dtypes (``numpy.dtype``
    and, NumPy >= 1.25, the dtype classes such as ``numpy.dtypes.Float64DType``). Nothing else."""
    out: list[Any] = [np.ndarray, np.dtype]
    core = getattr(np, "_core", None) or getattr(np, "core")
    out += [core.multiarray._reconstruct, core.multiarray.scalar]
    if getattr(np, "dtypes", None) is not None:
        out += [type(np.dtype(t)) for t in _NUMPY_SCALAR_TYPES]
    return out


def _safe_globals_ctx():
    ctx = getattr(torch.serialization, "safe_globals", None)
    if ctx is not None:  # torch >= 2.5: the allowlist holds only inside this call
        return ctx(_numpy_safe_globals())
    add = getattr(torch.serialization, "add_safe_globals", None)
    if add is not None:  # torch 2.4: the same narrow list, registered process-wide
        add(_numpy_safe_globals())
    return contextlib.nullcontext()  # older torch: NumPy scalars are refused like any other global


def safe_torch_load(path: str | os.PathLike, map_location: str | torch.device = "cpu") -> Any:
    """``torch.load(path, weights_only=True)``; files needing arbitrary code raise UnsafeFileError."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    try:
        with _safe_globals_ctx(), warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*Detected pickle protocol.*")
            return torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as e:
        msg = str(e)
        if "weights_only" in msg.lower() or "weights only" in msg.lower() or "unsupported global" in msg.lower():
            detail = next((ln.strip() for ln in msg.splitlines() if "WeightsUnpickler error" in ln), "")
            detail = detail.replace("WeightsUnpickler error:", "").split(" Please use")[0].strip()
            raise UnsafeFileError(f"{path}: " + _REFUSAL.format(detail=detail or "not allowed by torch.load(weights_only=True)")) from None
        raise DataError(f"{path}: not a readable torch/pickle file ({msg.splitlines()[0]})") from None
    except (RuntimeError, EOFError, ValueError, OSError) as e:
        raise DataError(f"{path}: not a readable torch file ({type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''})") from None
