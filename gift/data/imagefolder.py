"""Scanning image folders and decoding image files into uint8 tensors (PIL).

Resize rule (:func:`fit_image`), matching torchvision's ``Resize(int)`` → ``CenterCrop(size)`` on PIL
images: the shorter side is scaled to ``resize`` (the longer one to ``int(resize * long / short)``)
with PIL's bilinear filter (antialiased when shrinking), then the centre ``size × size`` square is
cut out. Images that already are ``size × size`` are left untouched.
"""
from __future__ import annotations

import os
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
import torch
from PIL import Image

from ..utils import progress
from .errors import CorruptImageError, DataError

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".ppm", ".pgm", ".tif", ".tiff", ".webp", ".gif")


def is_image_file(name: str) -> bool:
    return name.lower().endswith(IMAGE_EXTENSIONS)


def dir_key(path: str | os.PathLike) -> tuple[int, int]:
    """(device, inode) of a directory, following links: the identity a loop-safe walk remembers."""
    st = os.stat(path)
    return st.st_dev, st.st_ino


def walk(top: str | os.PathLike, reserved: set | frozenset = frozenset(), *, skip_hidden: bool = True):
    """``os.walk(top, followlinks=True)`` in sorted order, without ever entering a directory twice.

    Links are followed (released sets are often trees of links), but a directory already visited in
    this walk, or one of ``reserved`` (the dataset root and its class folders, which the caller walks
    on their own), is skipped with a warning naming it: a link to a parent or to itself would
    otherwise loop forever, and a link to another class folder would relabel that class's images."""
    top = os.fspath(top)
    seen = set(reserved) | {dir_key(top)}
    for dirpath, dirnames, filenames in os.walk(top, followlinks=True):
        keep = []
        for d in sorted(dirnames):
            if skip_hidden and d.startswith("."):
                continue
            full = os.path.join(dirpath, d)
            try:
                key = dir_key(full)
            except OSError:  # a dangling or self-referencing link: not a directory we can read
                warnings.warn(f"skipping unreadable directory link {full}", stacklevel=3)
                continue
            if key in seen:
                warnings.warn(
                    f"skipping {full}: it leads to a directory already read ({os.path.realpath(full)}); "
                    f"a link loop or a link to another class folder", stacklevel=3,
                )
                continue
            seen.add(key)
            keep.append(d)
        dirnames[:] = keep
        yield dirpath, dirnames, filenames


def list_images(folder: str | os.PathLike, recursive: bool = True, *, reserved: set | frozenset = frozenset()) -> list[str]:
    """Image files under ``folder`` (recursively by default), sorted by path; hidden files skipped.
    The walk is loop-safe (:func:`walk`); ``reserved`` directories are not entered."""
    out: list[str] = []
    folder = os.fspath(folder)
    if recursive:
        for dirpath, _, filenames in walk(folder, reserved):
            out.extend(
                os.path.join(dirpath, f) for f in filenames if not f.startswith(".") and is_image_file(f)
            )
    else:
        with os.scandir(folder) as it:
            out = [e.path for e in it if not e.name.startswith(".") and is_image_file(e.name) and e.is_file()]
    out.sort()
    return out


def reserved_dirs(root: str | os.PathLike, folders: Sequence[str]) -> frozenset:
    """The (device, inode) of ``root`` and of its class folders: what a walk of one class folder
    must not enter through a link (see :func:`walk`)."""
    keys = {dir_key(root)}
    for f in folders:
        try:
            keys.add(dir_key(os.path.join(root, f)))
        except OSError:
            pass
    return frozenset(keys)


def class_folders(folder: str | os.PathLike) -> list[str]:
    """Sorted names of the (non-hidden) sub-folders of ``folder``."""
    with os.scandir(folder) as it:
        return sorted(e.name for e in it if e.is_dir() and not e.name.startswith("."))


@dataclass
class FolderScan:
    classes: list[str]
    files: list[str]
    labels: list[int]


def scan_image_folder(folder: str | os.PathLike, classes: Sequence[str] | None = None) -> FolderScan:
    """ImageFolder layout ``folder/<class>/**/<image>``: class index = position in ``classes``
    (default: sorted sub-folder names). Raises DataError when there are no class folders or no
    images; warns about class folders without images."""
    folder = Path(folder)
    found = class_folders(folder)
    if not found:
        loose = list_images(folder, recursive=False)
        hint = (
            f" It holds {len(loose)} loose image files: put them into one sub-folder per class."
            if loose
            else ""
        )
        raise DataError(f"{folder}: expected one sub-folder per class (ImageFolder layout), found none.{hint}")
    if classes is None:
        classes = found
    else:
        missing = sorted(set(found) - set(classes))
        if missing:
            raise DataError(f"{folder}: class folders {missing[:10]} are not in the expected class list")
    index = {c: i for i, c in enumerate(classes)}
    files: list[str] = []
    labels: list[int] = []
    empty = []
    reserved = reserved_dirs(folder, found)
    for c in found:
        imgs = list_images(folder / c, reserved=reserved)
        if not imgs:
            empty.append(c)
        files.extend(imgs)
        labels.extend([index[c]] * len(imgs))
    if not files:
        raise DataError(f"{folder}: the dataset is empty (no image files in {len(found)} class folders)")
    if empty:
        warnings.warn(f"{folder}: {len(empty)} class folder(s) contain no images: {empty[:10]}", stacklevel=2)
    return FolderScan(list(classes), files, labels)


def folder_fingerprint(folder: str | os.PathLike) -> list:
    """Cheap change detector for a folder tree: (relative dir, entry count, dir mtime) for every
    directory. Adding/removing/renaming files changes it; rewriting a file in place does not.
    Loop-safe (:func:`walk`); a tree without link loops gives the same list as a plain walk."""
    out = []
    folder = os.fspath(folder)
    for dirpath, dirnames, filenames in walk(folder, skip_hidden=False):
        st = os.stat(dirpath)
        out.append([os.path.relpath(dirpath, folder), len(filenames), st.st_mtime_ns])
    return out


def file_fingerprint(path: str | os.PathLike) -> list:
    st = os.stat(path)
    return [os.fspath(path), st.st_size, st.st_mtime_ns]


def resize_shorter(img: Image.Image, size: int) -> Image.Image:
    w, h = img.size
    short, long = (w, h) if w <= h else (h, w)
    if short == size:
        return img
    new_long = int(size * long / short)
    new = (size, new_long) if w <= h else (new_long, size)
    return img.resize(new, Image.BILINEAR)


def center_crop(img: Image.Image, size: int) -> Image.Image:
    w, h = img.size
    if (w, h) == (size, size):
        return img
    if w < size or h < size:  # pad like torchvision would (zeros), rare
        canvas = Image.new(img.mode, (max(w, size), max(h, size)))
        canvas.paste(img, ((max(w, size) - w) // 2, (max(h, size) - h) // 2))
        img, (w, h) = canvas, canvas.size
    top = int(round((h - size) / 2.0))
    left = int(round((w - size) / 2.0))
    return img.crop((left, top, left + size, top + size))


def fit_image(img: Image.Image, size: int | None, resize: int | None = None) -> Image.Image:
    """Shorter side → ``resize`` (default ``size``), then centre crop ``size``; no-op if already square ``size``."""
    if size is None or img.size == (size, size):
        return img
    return center_crop(resize_shorter(img, resize or size), size)


def decode_image(path: str, size: int | None, resize: int | None = None) -> np.ndarray:
    """Decode one file to an RGB uint8 array [H, W, 3]; raises CorruptImageError naming the file."""
    try:
        with Image.open(path) as im:
            im = im.convert("RGB")
            im = fit_image(im, size, resize)
            arr = np.asarray(im, dtype=np.uint8)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as e:
        raise CorruptImageError(f"cannot decode image file {path}: {type(e).__name__}: {e}") from None
    return arr


def decode_images(
    files: Sequence[str],
    size: int | None,
    resize: int | None = None,
    *,
    skip_corrupt: bool = False,
    num_workers: int = 0,
    show_progress: bool = True,
    desc: str = "decoding images",
) -> tuple[torch.Tensor, list[int], list[str]]:
    """Decode ``files`` to a uint8 tensor [N, 3, H, W].

    Returns (images, kept indices, skipped files). A corrupt file raises CorruptImageError naming it,
    or — with ``skip_corrupt=True`` — is left out and counted in a warning. Images must all end up
    the same size (give ``size`` to resize). ``num_workers > 1`` decodes in a thread pool (helps
    for large JPEGs; for 32×32 files one thread is fastest)."""
    n = len(files)
    if n == 0:
        raise DataError("no image files to decode")
    out: np.ndarray | None = None
    kept: list[int] = []
    skipped: list[str] = []

    def work(i: int):
        try:
            return i, decode_image(files[i], size, resize), None
        except CorruptImageError as e:
            return i, None, e

    if num_workers and num_workers > 1:
        pool = ThreadPoolExecutor(num_workers)
        block = 64 * num_workers  # bounded look-ahead: never queue all N decodes at once
        results = (r for s in range(0, n, block) for r in pool.map(work, range(s, min(n, s + block))))
    else:
        pool = None
        results = map(work, range(n))
    try:
        for i, arr, err in progress(results, total=n, desc=desc, enabled=show_progress and n >= 2000, mininterval=1.0):
            if err is not None:
                if not skip_corrupt:
                    raise err
                skipped.append(files[i])
                continue
            chw = arr.transpose(2, 0, 1)
            if out is None:
                out = np.empty((n,) + chw.shape, dtype=np.uint8)  # [N, 3, H, W], filled in place
            elif chw.shape != out.shape[1:]:
                raise DataError(
                    f"images differ in size: {files[i]} is {chw.shape[2]}x{chw.shape[1]}, earlier ones "
                    f"{out.shape[3]}x{out.shape[2]}; pass image_size to resize them"
                )
            out[len(kept)] = chw
            kept.append(i)
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
    if skipped:
        warnings.warn(
            f"skipped {len(skipped)} corrupt/unreadable image file(s) of {n} (skip_corrupt=True); "
            f"first: {skipped[:5]}",
            stacklevel=2,
        )
    if out is None or not kept:
        raise DataError(f"no readable images among {n} files (all {len(skipped)} were corrupt)")
    images = torch.from_numpy(out if len(kept) == n else out[: len(kept)].copy())
    return images, kept, skipped
