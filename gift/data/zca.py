"""ZCA whitening with the semantics of kornia's ``ZCAWhitening`` (as used by MTT/DATM).

Fit on images X ∈ [0, 1] (N × D after flattening C·H·W):

* mean μ over the samples; centred data X̃ = X − μ;
* unbiased covariance Σ = X̃ᵀX̃ / (N − 1);
* eigen-decomposition Σ = U diag(S) Uᵀ (``torch.linalg.eigh`` in float64);
* W = U diag(1/√(S + eps)) Uᵀ,   W⁻¹ = U diag(√(S + eps)) Uᵀ;
* transform(x) = (x − μ) W,   inverse(z) = z W⁻¹ + μ  (W is symmetric, so row or column
  convention does not matter).

DATM fits with eps = 0.1 on the full training set scaled to [0, 1] with **no** mean/std
normalisation. Σ is accumulated in float64 from chunks; on CPU each chunk's
product X̃ᵀX̃ is computed in float32 (about twice as fast; the relative error ~1e-6 is far below
eps) unless ``exact=True``; on CUDA it is float64 throughout. CIFAR-10 (50,000 × 3,072) costs
~1 TFLOP on CPU: seconds on a multi-core machine, tens of seconds on 2 busy cores, well under a
second on a GPU — and :func:`fit_zca` caches the result, so it is paid once per dataset.
"""
from __future__ import annotations

import hashlib
import json
import warnings
from pathlib import Path
from typing import Any

import torch

from ..utils import atomic_torch_save
from .errors import DataError
from .paths import cache_dir

ZCA_CACHE_VERSION = 1


def _as01(x: torch.Tensor) -> torch.Tensor:
    if x.dtype == torch.uint8:
        return x.float().div_(255.0)
    if not x.is_floating_point():
        raise DataError(f"ZCA expects float images in [0, 1] or uint8, got {x.dtype}")
    return x


class ZCA:
    """ZCA whitening transform. ``ZCA(eps=0.1).fit(images01)`` then ``transform``/``inverse``."""

    def __init__(self, eps: float = 0.1):
        self.eps = float(eps)
        self.mean: torch.Tensor | None = None  # [D]
        self.matrix: torch.Tensor | None = None  # [D, D]
        self.inverse_matrix: torch.Tensor | None = None  # [D, D]
        self.shape: tuple[int, ...] | None = None  # (C, H, W)
        self.num_samples: int = 0

    def __repr__(self) -> str:
        return f"ZCA(eps={self.eps}, shape={self.shape}, fitted={self.fitted})"

    @property
    def fitted(self) -> bool:
        return self.matrix is not None

    @torch.no_grad()
    def fit(
        self,
        images01: torch.Tensor,
        eps: float | None = None,
        *,
        device: str | torch.device | None = None,
        chunk_size: int = 4096,
        exact: bool = False,
    ) -> "ZCA":
        """Fit on ``images01`` [N, C, H, W] (float in [0, 1]; uint8 is divided by 255). Returns self."""
        if eps is not None:
            self.eps = float(eps)
        if images01.ndim != 4:
            raise DataError(f"ZCA.fit expects [N, C, H, W], got shape {tuple(images01.shape)}")
        n = int(images01.shape[0])
        if n < 2:
            raise DataError(f"ZCA.fit needs at least 2 images, got {n}")
        dev = torch.device(device) if device is not None else images01.device
        d = int(images01[0].numel())
        flat = images01.reshape(n, d)
        mm_dtype = torch.float64 if (exact or dev.type != "cpu") else torch.float32

        if flat.dtype == torch.uint8:  # exact integer sum, then scale
            mean = flat.sum(0, dtype=torch.int64).to(dev, torch.float64) / (255.0 * n)
        else:
            total = torch.zeros(d, dtype=torch.float64, device=dev)
            for s in range(0, n, chunk_size):
                total += flat[s : s + chunk_size].to(dev).to(torch.float64).sum(0)
            mean = total / n
        cov = torch.zeros(d, d, dtype=torch.float64, device=dev)
        mean_mm = mean.to(mm_dtype)
        for s in range(0, n, chunk_size):
            xc = _as01(flat[s : s + chunk_size].to(dev)).to(mm_dtype) - mean_mm
            if dev.type == "cpu":
                # NumPy turns a.T @ a into a symmetric rank-k update (BLAS syrk): about half the work
                a = xc.numpy()
                cov += torch.from_numpy(a.T @ a).to(torch.float64)
            else:
                cov += (xc.T @ xc).to(torch.float64)
        cov /= n - 1
        cov = (cov + cov.T) * 0.5
        evals, evecs = torch.linalg.eigh(cov)
        evals = evals.clamp_min(0.0)
        self.matrix = ((evecs * (evals + self.eps).rsqrt()) @ evecs.T).to(torch.float32).cpu()
        self.inverse_matrix = ((evecs * (evals + self.eps).sqrt()) @ evecs.T).to(torch.float32).cpu()
        self.mean = mean.to(torch.float32).cpu()
        self.shape = tuple(int(v) for v in images01.shape[1:])
        self.num_samples = n
        return self

    def _check(self, x: torch.Tensor) -> None:
        if not self.fitted:
            raise DataError("ZCA is not fitted: call fit(...) or load a state_dict first")
        if tuple(x.shape[1:]) != self.shape:
            raise DataError(f"ZCA was fitted on images of shape {self.shape}, got {tuple(x.shape[1:])}")

    @torch.no_grad()
    def transform(self, x: torch.Tensor, chunk_size: int = 8192) -> torch.Tensor:
        """Whiten ``x`` [N, C, H, W] (float in [0, 1] or uint8) → float32 on x's device."""
        self._check(x)
        n = x.shape[0]
        dev = x.device
        m, w = self.mean.to(dev), self.matrix.to(dev)
        flat = x.reshape(n, -1)
        out = torch.empty(n, flat.shape[1], dtype=torch.float32, device=dev)
        for s in range(0, n, chunk_size):
            out[s : s + chunk_size] = (_as01(flat[s : s + chunk_size]).float() - m) @ w
        return out.reshape(x.shape)

    __call__ = transform

    @torch.no_grad()
    def inverse(self, z: torch.Tensor, chunk_size: int = 8192) -> torch.Tensor:
        """Undo :meth:`transform`: back to [0, 1] pixel space (not clamped)."""
        self._check(z)
        n = z.shape[0]
        dev = z.device
        m, winv = self.mean.to(dev), self.inverse_matrix.to(dev)
        flat = z.reshape(n, -1).float()
        out = torch.empty_like(flat)
        for s in range(0, n, chunk_size):
            out[s : s + chunk_size] = flat[s : s + chunk_size] @ winv + m
        return out.reshape(z.shape)

    def state_dict(self) -> dict[str, Any]:
        if not self.fitted:
            raise DataError("ZCA is not fitted")
        return {
            "version": ZCA_CACHE_VERSION, "eps": self.eps, "mean": self.mean, "matrix": self.matrix,
            "inverse_matrix": self.inverse_matrix, "shape": list(self.shape), "num_samples": self.num_samples,
        }

    @classmethod
    def from_state_dict(cls, sd: dict[str, Any]) -> "ZCA":
        try:
            z = cls(eps=float(sd["eps"]))
            z.mean = sd["mean"].float()
            z.matrix = sd["matrix"].float()
            z.inverse_matrix = sd["inverse_matrix"].float()
            z.shape = tuple(int(v) for v in sd["shape"])
            z.num_samples = int(sd.get("num_samples", 0))
        except (KeyError, AttributeError, TypeError) as e:
            raise DataError(f"not a ZCA state_dict ({type(e).__name__}: {e})") from None
        d = 1
        for v in z.shape:
            d *= v
        if z.mean.shape != (d,) or z.matrix.shape != (d, d) or z.inverse_matrix.shape != (d, d):
            raise DataError("inconsistent ZCA state_dict shapes")
        return z


def _dataset_zca_key(dataset, eps: float) -> str:
    meta = getattr(dataset, "meta", {}) or {}
    ident: Any = meta.get("cache_key")
    if not ident:  # no on-disk cache key (e.g. digits): hash the pixels
        ident = hashlib.blake2b(dataset.images.contiguous().numpy().tobytes(), digest_size=16).hexdigest()
    blob = json.dumps(
        [ZCA_CACHE_VERSION, dataset.name, dataset.split, list(dataset.images.shape), float(eps), ident]
    )
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def zca_cache_file(dataset, eps: float = 0.1) -> Path:
    size = dataset.images.shape[-1]
    return cache_dir() / "zca" / f"{dataset.name}-{dataset.split}-{size}px-eps{eps:g}-{_dataset_zca_key(dataset, eps)}.pt"


def fit_zca(
    dataset,
    eps: float = 0.1,
    *,
    cache: bool = True,
    device: str | torch.device | None = None,
) -> ZCA:
    """ZCA fitted on all images of ``dataset`` (an ImageDataset, normally the train split) scaled to
    [0, 1], cached in ``<cache>/zca/`` keyed like the dataset cache (plus eps), so e.g. CIFAR-10's
    transform is fitted once. ``device`` defaults to CUDA when available."""
    if device is None:
        device = "cuda" if torch.cuda.is_available() else "cpu"
    path = zca_cache_file(dataset, eps) if cache else None
    if path is not None and path.is_file():
        try:
            return ZCA.from_state_dict(torch.load(path, map_location="cpu", weights_only=True))
        except Exception as e:
            warnings.warn(f"ignoring unreadable ZCA cache {path}: {type(e).__name__}: {e}", stacklevel=2)
    zca = ZCA(eps).fit(dataset.images, device=device)
    if path is not None:
        try:
            atomic_torch_save(zca.state_dict(), path)
        except OSError as e:
            warnings.warn(f"could not write ZCA cache {path}: {e}", stacklevel=2)
    return zca
