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

from .errors import CorruptFileError, DataError, UnsafeFileError

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


# Bytes per element of the storage types a torch zip file names (unknown names count as 1 byte,
# which can only under-estimate a claim).
_STORAGE_ITEMSIZE = {
    "DoubleStorage": 8, "FloatStorage": 4, "HalfStorage": 2, "BFloat16Storage": 2, "LongStorage": 8,
    "IntStorage": 4, "ShortStorage": 2, "CharStorage": 1, "ByteStorage": 1, "BoolStorage": 1,
    "ComplexDoubleStorage": 16, "ComplexFloatStorage": 8, "UntypedStorage": 1,
}
# torch's messages for a global the weights-only unpickler will not resolve: the one cause that is
# a safety refusal. Every other unpickling failure means the bytes are not a valid file.
_UNSAFE_MARKERS = ("unsupported global", "not an allowed global", "is blocked", "unsupported class",
                   "can only build")  # the last: numpy's object-dtype arrays, refused by the allowlist
# torch appends advice meant for its own bug tracker to some messages; it does not apply here
_NOISE = ("please file an issue", "this is an internal miniz error")


class _Inert:
    """Stands in for every global of a pickle read by :func:`_claimed_storages`: calling, building or
    filling it records nothing and runs nothing."""

    def __init__(self, *args, **kwargs):
        pass

    def __setstate__(self, state):
        pass

    def __setitem__(self, key, value):
        pass

    def append(self, value):
        pass

    def extend(self, values):
        pass


class _GlobalsReader(pickle.Unpickler):
    """Lists the globals a pickle references, resolving each to an inert stand-in (nothing runs)."""

    def __init__(self, data: bytes):
        super().__init__(io.BytesIO(data), encoding="latin1")
        self.names: list[str] = []

    def find_class(self, module: str, name: str) -> Any:  # noqa: D401
        self.names.append(f"{module}.{name}")
        return type(name, (_Inert,), {})

    def persistent_load(self, pid: Any) -> Any:
        return _Inert()


def _unsafe_global(path: Path) -> str | None:
    """For a file torch could not read: the first global it references that plain-data loading would
    not allow, or None (then the file is merely unreadable). Reads the leading pickles only."""
    allowed = {f"{m}.{n}" for m, n in _NUMPY_ALLOWED}
    allowed |= {f"{g.__module__}.{g.__qualname__}" for g in _numpy_safe_globals()}  # numpy.dtypes.Float64DType, ...
    try:
        from torch._weights_only_unpickler import _get_allowed_globals

        allowed |= set(_get_allowed_globals())
    except Exception:  # noqa: BLE001 - private torch API; without it every global counts as unsafe
        pass
    reader = _GlobalsReader(path.read_bytes()[: 64 << 20])
    for _ in range(4):  # torch's legacy format: magic number, protocol, sys info, then the object
        try:
            reader.load()
        except Exception:  # noqa: BLE001 - the rest is not a pickle (raw storage bytes, or garbage)
            break
    return next((g for g in reader.names if g not in allowed and not g.startswith("torch.")), None)


class _ClaimReader(pickle.Unpickler):
    """Reads a torch zip file's ``data.pkl`` only to list the storages it claims; every global
    resolves to an inert stand-in, so no code from the file can run."""

    def __init__(self, data: bytes):
        super().__init__(io.BytesIO(data), encoding="latin1")
        self.claims: list[tuple[str, str, int]] = []

    def find_class(self, module: str, name: str) -> Any:  # noqa: D401
        return type(name, (_Inert,), {})

    def persistent_load(self, pid: Any) -> Any:
        if isinstance(pid, tuple) and len(pid) >= 5 and pid[0] == "storage":
            kind = getattr(pid[1], "__name__", str(pid[1]))
            self.claims.append((str(pid[2]), kind, int(pid[4])))
        return _Inert()


def _check_claimed_sizes(path: Path) -> None:
    """A torch zip file whose pickle claims more bytes for a tensor than its archive holds is
    corrupt: refuse it before torch tries to allocate the claimed size (a 2 KB file can claim 1 TB)."""
    import zipfile

    if not zipfile.is_zipfile(path):
        _check_legacy_claims(path)
        return
    try:
        with zipfile.ZipFile(path) as z:
            sizes = {info.filename: info.file_size for info in z.infolist()}
            pkl = [n for n in sizes if n.endswith("/data.pkl") and n.count("/") == 1]
            if len(pkl) != 1:
                return  # not laid out as torch.save writes; torch.load will report it
            prefix = pkl[0][: -len("data.pkl")]
            reader = _ClaimReader(z.read(pkl[0]))
            reader.load()
    except Exception as e:  # noqa: BLE001 - any failure to parse is a corrupt file
        raise CorruptFileError(f"{path}: {_CORRUPT} ({type(e).__name__}: {_first_line(e)})") from None
    for key, kind, numel in reader.claims:
        claimed = numel * _STORAGE_ITEMSIZE.get(kind, 1)
        held = sizes.get(f"{prefix}data/{key}")
        if held is None or claimed > held:
            raise CorruptFileError(
                f"{path}: {_CORRUPT} (a tensor claims {claimed:,} bytes but the file holds "
                f"{0 if held is None else held:,} for it); re-create or re-download the file"
            )


def _check_legacy_claims(path: Path) -> None:
    """torch's pre-1.6 format: the pickles come first, then the raw storages; together the claimed
    storages cannot exceed the file's size."""
    size = path.stat().st_size
    with open(path, "rb") as f:
        reader = _ClaimReader(f.read(64 << 20))
    for _ in range(4):  # magic number, protocol, sys info, the object
        try:
            reader.load()
        except Exception:  # noqa: BLE001 - not (or no longer) a pickle: torch.load will judge it
            break
    claimed = {key: numel * _STORAGE_ITEMSIZE.get(kind, 1) for key, kind, numel in reader.claims}
    if sum(claimed.values()) > size:
        raise CorruptFileError(
            f"{path}: {_CORRUPT} (its tensors claim {sum(claimed.values()):,} bytes but the file has "
            f"{size:,}); re-create or re-download it"
        )


_CORRUPT = "not a readable torch file (corrupt or truncated)"


def zipfile_like(path: Path) -> bool:
    import zipfile

    return zipfile.is_zipfile(path)


def _first_line(e: BaseException) -> str:
    """The informative line of an error: for torch's weights-only failures the unpickler's own
    words (e.g. "Unsupported operand 237"), not its advice about the ``weights_only`` default."""
    text = str(e)
    if "WeightsUnpickler error:" in text:
        text = text.split("WeightsUnpickler error:", 1)[1]
        text = text.split("Check the documentation of torch.load")[0]
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    keep = [ln for ln in lines if not any(n in ln.lower() for n in _NOISE)]
    text = (keep or lines or [""])[0]
    for noise in _NOISE:  # the advice can also sit mid-sentence
        i = text.lower().find(noise)
        if i > 0:
            text = text[:i].rstrip(" .")
    return text


def safe_torch_load(path: str | os.PathLike, map_location: str | torch.device = "cpu") -> Any:
    """``torch.load(path, weights_only=True)``.

    Two distinct failures: a file that would need arbitrary pickled code raises
    :class:`UnsafeFileError` (refused, nothing executed); a file that is not valid torch data at all
    (random bytes, truncated, a tensor claiming more bytes than the file holds) raises
    :class:`CorruptFileError`. Both name the file."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    _check_claimed_sizes(path)
    try:
        with _safe_globals_ctx(), warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*Detected pickle protocol.*")
            return torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as e:
        msg = str(e)
        if any(m in msg.lower() for m in _UNSAFE_MARKERS):
            detail = next((ln.strip() for ln in msg.splitlines() if any(m in ln.lower() for m in _UNSAFE_MARKERS)), "")
            detail = detail.replace("WeightsUnpickler error:", "").split(" Please use")[0].strip()
            raise UnsafeFileError(f"{path}: " + _REFUSAL.format(detail=detail or "not allowed by torch.load(weights_only=True)")) from None
        unsafe = None if zipfile_like(path) else _unsafe_global(path)
        if unsafe:
            raise UnsafeFileError(f"{path}: " + _REFUSAL.format(detail=f"global {unsafe}")) from None
        raise CorruptFileError(f"{path}: {_CORRUPT} ({_first_line(e)}); re-create or re-download it") from None
    except (RuntimeError, EOFError, ValueError, OSError, KeyError, IndexError, TypeError, AttributeError,
            MemoryError, OverflowError, UnicodeDecodeError) as e:
        raise CorruptFileError(
            f"{path}: {_CORRUPT} ({type(e).__name__}: {_first_line(e)}); re-create or re-download it"
        ) from None
