#!/usr/bin/env python3
"""Prose and code of each chapter source (non-empty lines of Markdown vs code in notebooks/*.py),
visible code (cells not tagged hide-input / remove-cell), and functions defined in chapters: the
targets of the book's style (prose >= code, visible code <= 150 lines, no functions beyond a short
plotting helper).

    python tools/chapter_stats.py
"""
from __future__ import annotations

import re
from pathlib import Path

import jupytext

ROOT = Path(__file__).resolve().parents[1]


def stats(path: Path) -> dict:
    nb = jupytext.read(path)
    prose = code = visible = functions = 0
    for cell in nb.cells:
        lines = [l for l in cell.source.splitlines() if l.strip()]
        if cell.cell_type == "markdown":
            prose += len(lines)
            continue
        code += len(lines)
        tags = set(cell.metadata.get("tags", []))
        if not tags & {"hide-input", "remove-cell", "remove-input", "parameters"}:
            visible += len(lines)
        functions += sum(bool(re.match(r"\s*def ", l)) for l in lines)
    return {"prose": prose, "code": code, "visible code": visible, "functions": functions}


def main() -> None:
    print(f"{'chapter':<28} {'prose':>6} {'code':>6} {'visible':>8} {'defs':>5} {'prose/code':>10}")
    for path in sorted((ROOT / "notebooks").glob("[0-9]*.py")):
        s = stats(path)
        print(f"{path.stem:<28} {s['prose']:>6} {s['code']:>6} {s['visible code']:>8} {s['functions']:>5} "
              f"{s['prose'] / max(s['code'], 1):>10.2f}")


if __name__ == "__main__":
    main()
