"""Exceptions raised by the data layer.

All of them derive from :class:`DataError` (a ``ValueError``), so callers can catch bad input in one
place; :class:`DataNotFoundError` is also a ``FileNotFoundError``."""
from __future__ import annotations


class DataError(ValueError):
    """Bad or inconsistent input data (wrong layout, class mismatch, empty set, ...)."""


class DataNotFoundError(DataError, FileNotFoundError):
    """The data was not found in any of the places we looked; the message lists every one."""


class CorruptImageError(DataError):
    """An image file could not be decoded; the message names the file."""


class UnsafeFileError(DataError):
    """A file would need arbitrary pickled Python code to load; it was refused and not executed."""


class CorruptFileError(DataError):
    """A file is not a readable torch/pickle file (corrupt or truncated, or it claims tensors larger
    than the data it holds); the message names the file. Nothing in it was executed."""


class IncompleteSetError(DataError):
    """A set lacks classes it should have (missing or empty class folders, labels covering only some
    classes); evaluating it as complete would report a wrong number. The message lists the classes."""


class NonFiniteDataError(DataError):
    """Pixels, stored label logits or a learned lr hold NaN or infinity: training would diverge or
    score chance accuracy. The message says which tensor and how many values."""


class ImageShapeError(DataError):
    """A set's images do not have the shape (channels, height, width) of the test images."""
