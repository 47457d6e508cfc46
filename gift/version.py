"""The package version: its one source (``pyproject.toml`` reads it, ``gift.__version__`` re-exports it)."""
__version__ = "0.1.0"
