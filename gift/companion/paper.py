"""The paper's reported numbers, for side-by-side comparison with what this project measures.

``paper_tables.csv`` holds every cell of Tables 1-7, 12 and 13 of Shang, Sun & Lin, "GIFT: Unlocking
Full Potential of Labels in Distilled Dataset at Near-zero Cost", ICLR 2025 (one row per cell:
table, dataset, eval_model, distill_method, ipc, setting, mean, std, note). They are facts quoted
with that citation, never targets: nothing in this package tunes toward them.

    from gift.companion.paper import paper_rows
    paper_rows(table=3, dataset="CIFAR-100")          # KD baselines vs GIFT on RDED data
"""
from __future__ import annotations

import csv
import functools
from importlib import resources

CITATION = "Shang, Sun & Lin, GIFT, ICLR 2025"

# Table 9 of the paper: teacher (observer) test accuracies, %.
TEACHER_ACCURACY = {
    ("CIFAR-10", "ConvNet-3"): 82.24,
    ("CIFAR-10", "ResNet-18 (modified)"): 93.86,
    ("CIFAR-100", "ConvNet-3"): 61.27,
    ("CIFAR-100", "ResNet-18 (modified)"): 72.27,
    ("Tiny-ImageNet", "ConvNet-4"): 49.73,
    ("Tiny-ImageNet", "ResNet-18 (modified)"): 61.98,
    ("ImageNet-1K", "ConvNet-4"): 43.6,
    ("ImageNet-1K", "ResNet-18"): 69.31,
}

FIELDS = ("table", "dataset", "eval_model", "distill_method", "ipc", "setting", "mean", "std", "note")


@functools.lru_cache(maxsize=1)
def _all_rows() -> tuple[dict, ...]:
    text = resources.files("gift").joinpath("companion", "paper_tables.csv").read_text()
    rows = []
    for row in csv.DictReader(text.splitlines()):
        row["table"] = int(row["table"])
        row["ipc"] = int(row["ipc"]) if row["ipc"] else None
        row["mean"] = float(row["mean"]) if row["mean"] else None
        row["std"] = float(row["std"]) if row["std"] else None
        rows.append(row)
    return tuple(rows)


def paper_rows(**filters) -> list[dict]:
    """Rows whose fields equal every filter (e.g. ``table=1, ipc=10``); unknown field names fail."""
    unknown = sorted(set(filters) - set(FIELDS))
    if unknown:
        raise ValueError(f"unknown paper-table field(s) {unknown}; valid fields are: {', '.join(FIELDS)}")
    return [dict(r) for r in _all_rows() if all(r[k] == v for k, v in filters.items())]


def paper_value(**filters) -> tuple[float, float | None]:
    """(mean, std) of the single row matching ``filters``; an error if none or several match."""
    rows = paper_rows(**filters)
    if len(rows) != 1:
        raise LookupError(f"{len(rows)} paper rows match {filters}; add filters to select exactly one")
    return rows[0]["mean"], rows[0]["std"]
