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
    from . import __version__

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

    def get(self, kind: str, spec: dict[str, Any]) -> dict[str, Any] | None:
        path = self.path(kind, spec)
        if not path.exists():
            return None
        try:
            record = json.loads(path.read_text())
        except json.JSONDecodeError as err:
            raise ValueError(f"the stored result {path} is not valid JSON ({err}); delete it to rerun") from None
        return record

    def put(self, kind: str, spec: dict[str, Any], result: dict[str, Any], prov: dict[str, Any]) -> dict:
        record = {"key": self.key(spec), "kind": kind, "spec": spec, "result": result, "provenance": prov}
        atomic_write_json(self.path(kind, spec), record)
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
        folders = [self.root / kind] if kind else sorted(p for p in self.root.glob("*") if p.is_dir())
        for folder in folders:
            for path in sorted(folder.glob("*.json")):
                yield json.loads(path.read_text())
