"""The results store: one JSON file per training run, keyed by a hash of its full configuration.

Notebooks ask the store first and train only what is missing, so the committed store renders the
book in minutes while an empty store reruns everything. Every record carries its provenance."""
from __future__ import annotations

import datetime as _dt
import functools
import json
import os
import platform
import subprocess
import warnings
from pathlib import Path
from typing import Any, Callable, Iterator

import torch

from .config import config_hash
from .utils import atomic_write_json

SCHEMA = 1


def default_results_dir() -> Path:
    """``GIFT_RESULTS_DIR``, else ``results/`` of the repository this package lives in, else ./results."""
    env = os.environ.get("GIFT_RESULTS_DIR")
    if env:
        return Path(env)
    repo = Path(__file__).resolve().parent.parent
    if (repo / "pyproject.toml").exists():
        return repo / "results"
    return Path("results")


@functools.lru_cache(maxsize=None)
def git_commit(path: str | None = None) -> str:
    """The commit of the checkout ``gift`` runs from, with ``+dirty`` when ``gift/`` has uncommitted
    changes. Cached, and first called when this module is imported: a long-running process records
    the code it loaded, not whatever the checkout holds when its first result is written."""
    root = path or str(Path(__file__).resolve().parent.parent)
    try:
        out = subprocess.run(
            ["git", "-C", root, "rev-parse", "--short=12", "HEAD"],
            capture_output=True, text=True, timeout=5, check=True,
        )
        dirty = subprocess.run(
            ["git", "-C", root, "status", "--porcelain", "--untracked-files=no", "gift"],
            capture_output=True, text=True, timeout=5,
        ).stdout.strip()
        return out.stdout.strip() + ("+dirty" if dirty else "")
    except Exception:
        return "unknown"


git_commit()  # the state of the checkout at import time (see the docstring)


def device_name(device: torch.device | str) -> str:
    device = torch.device(device)
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return f"cpu: {line.split(':', 1)[1].strip()} ({os.cpu_count()} cores)"
    except OSError:
        pass
    return f"cpu: {platform.processor() or platform.machine()} ({os.cpu_count()} cores)"


def provenance(device: torch.device | str = "cpu", wall_time_s: float | None = None) -> dict[str, Any]:
    """Who, what and when: package version and commit, torch version, device, date, wall time."""
    from .version import __version__

    return {
        "gift_version": __version__,
        "git_commit": git_commit(),
        "torch": str(torch.__version__),  # TorchVersion is a str subclass that weights_only refuses
        "python": platform.python_version(),
        "device": device_name(device),
        "threads": torch.get_num_threads(),
        "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "wall_time_s": None if wall_time_s is None else round(wall_time_s, 2),
    }


class ResultsStore:
    """``results/<kind>/<hash>.json``; a record is ``{"key", "kind", "spec", "result", "provenance"}``."""

    def __init__(self, root: str | os.PathLike | None = None):
        self.root = Path(root) if root is not None else default_results_dir()

    def key(self, spec: dict[str, Any]) -> str:
        return config_hash({"schema": SCHEMA, **spec})

    def path(self, kind: str, spec: dict[str, Any]) -> Path:
        if not kind.replace("_", "").replace("-", "").isalnum():
            raise ValueError(f"result kind must be alphanumeric (with - or _), got {kind!r}")
        return self.root / kind / f"{self.key(spec)}.json"

    def get(self, kind: str, spec: dict[str, Any], *, on_bad: str = "raise") -> dict[str, Any] | None:
        """The record stored for ``spec``, or None. The record is verified, not trusted: a file that
        is not valid JSON, not a record, or whose key/spec is not the one asked for (e.g. copied
        under another name) raises :class:`BadRecordError` naming the file; with
        ``on_bad="missing"`` (rendering without training) it is a warning naming the file instead,
        and the run counts as not stored."""
        if on_bad not in ("raise", "missing"):
            raise ValueError(f"on_bad must be 'raise' or 'missing', got {on_bad!r}")
        try:
            return self._get_verified(kind, spec)
        except BadRecordError as err:
            if on_bad == "raise":
                raise
            warnings.warn(f"not computed: {err}", stacklevel=2)
            return None

    def _get_verified(self, kind: str, spec: dict[str, Any]) -> dict[str, Any] | None:
        path = self.path(kind, spec)
        if not path.exists():
            return None
        record = read_record(path)
        want_key = self.key(spec)
        if record["key"] != want_key or record["kind"] != kind:
            raise BadRecordError(
                f"the stored result {path} holds the run {record['key']!r} of kind {record['kind']!r}, "
                f"not {want_key!r} of kind {kind!r} (copied or renamed?); delete or move it to rerun"
            )
        if record["spec"] != as_read_back(spec):
            raise BadRecordError(
                f"the stored result {path} has key {want_key!r} but its spec differs from the run asked "
                f"for; the file was edited or damaged, delete it to rerun"
            )
        return record

    def put(self, kind: str, spec: dict[str, Any], result: dict[str, Any], prov: dict[str, Any]) -> dict:
        record = {"key": self.key(spec), "kind": kind, "spec": spec, "result": result, "provenance": prov}
        try:
            atomic_write_json(self.path(kind, spec), record)
        except OSError as err:  # runs stored earlier stay stored; the message says where it failed
            from .utils import OutputError

            raise OutputError(f"cannot save the run {record['key']} to the results store "
                              f"{self.path(kind, spec)}: {err.strerror or err}") from None
        return record

    def get_or_run(
        self, kind: str, spec: dict[str, Any], run: Callable[[], tuple[dict, dict]]
    ) -> dict[str, Any]:
        """The stored record for ``spec``, or run ``run() -> (result, provenance)`` and store it."""
        record = self.get(kind, spec)
        if record is None:
            result, prov = run()
            record = self.put(kind, spec, result, prov)
        return record

    def records(self, kind: str | None = None) -> Iterator[dict[str, Any]]:
        """Every readable record; an unreadable one is skipped with a warning naming its file."""
        folders = [self.root / kind] if kind else sorted(p for p in self.root.glob("*") if p.is_dir())
        for folder in folders:
            for path in sorted(folder.glob("*.json")):
                try:
                    record = read_record(path)
                    if record["key"] != path.stem:
                        raise BadRecordError(f"the stored result {path} holds the run {record['key']!r}, "
                                             f"not {path.stem!r} (copied or renamed?)")
                except BadRecordError as err:
                    warnings.warn(f"skipped: {err}", stacklevel=2)
                    continue
                yield record


class BadRecordError(ValueError):
    """A stored result file is unreadable, not a record, or not the run its name says."""


_FIELDS = {"key": str, "kind": str, "spec": dict, "result": dict, "provenance": dict}


def read_record(path: Path) -> dict[str, Any]:
    """One record file, checked for shape; :class:`BadRecordError` naming the file otherwise."""
    try:
        record = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise BadRecordError(f"the stored result {path} is not readable JSON ({err}); delete it to rerun") from None
    if not isinstance(record, dict):
        raise BadRecordError(f"the stored result {path} holds a JSON {type(record).__name__}, not a record; delete it to rerun")
    wrong = [k for k, t in _FIELDS.items() if not isinstance(record.get(k), t)]
    if wrong:
        raise BadRecordError(f"the stored result {path} lacks or has malformed field(s) {wrong}; delete it to rerun")
    return record


def as_read_back(obj: Any) -> Any:
    """``obj`` as it reads back from JSON (tuples become lists), for comparing with a stored spec."""
    return json.loads(json.dumps(obj, default=str))
