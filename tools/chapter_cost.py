#!/usr/bin/env python3
"""Measured training time per chapter, read from the rendered book (``book/*.ipynb``).

Every chapter prints a provenance line ("N training runs recorded ... on DEVICES (commits ...;
H h of training)") built from the results store, and a run plan whose "not computed" lines are the
evaluations still missing. This prints both as a Markdown table, so the cost of the companion
profile is a measurement, not an estimate:

    python tools/chapter_cost.py            # after `make render`
"""
from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

from gift.companion import device_kind

PROVENANCE = re.compile(r"(\d+) training runs recorded .*? on (.*) \(commits .*; ([\d.]+) h of training\)")


def outputs(nb: dict, tag: str | None = None):
    """The text of every code cell's outputs (only cells carrying ``tag`` when given)."""
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        if tag and tag not in cell.get("metadata", {}).get("tags", []):
            continue
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            yield "".join(out.get("text", "")) + "".join(data.get("text/plain", "")) + "".join(data.get("text/markdown", ""))


def chapter_cost(path: Path) -> dict:
    nb = json.loads(path.read_text())
    runs = hours = None
    devices = ""
    for text in outputs(nb):
        m = PROVENANCE.search(text)
        if m:  # the last provenance line of a chapter covers what it shows
            runs, devices, hours = int(m.group(1)), m.group(2), float(m.group(3))
    missing = sum(line.rstrip().endswith(": not computed")
                  for text in outputs(nb, "nbval-check-output") for line in text.splitlines())
    gpu = any(device_kind(d.strip()) == "GPU" for d in devices.split(";") if d.strip())
    return {"chapter": path.stem, "runs": runs, "hours": hours, "missing": missing,
            "hardware": "GPU and CPU" if gpu else ("CPU only" if devices else "—")}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--book", default=str(Path(__file__).resolve().parents[1] / "book"),
                    help="folder of the rendered chapters (default: the repository's book/)")
    args = ap.parse_args()
    rows = [chapter_cost(p) for p in sorted(Path(args.book).glob("[0-9][0-9]_*.ipynb"))]
    if not rows:
        raise SystemExit(f"no rendered chapters (NN_name.ipynb) in {args.book}; run `make render` first")
    print("| chapter | training runs shown | hours of training (as recorded) | evaluations not computed | hardware |")
    print("|---|---:|---:|---:|---|")
    for r in rows:
        runs = "—" if r["runs"] is None else r["runs"]
        hours = "—" if r["hours"] is None else f"{r['hours']:.2f}"
        print(f"| {r['chapter']} | {runs} | {hours} | {r['missing']} | {r['hardware']} |")
    store = Path(args.book).resolve().parent / "results" / "eval"
    records = [json.loads(f.read_text()) for f in sorted(store.glob("*.json"))]
    total = sum(r.get("provenance", {}).get("wall_time_s") or 0 for r in records) / 3600
    print(f"\nResults store ({store}): {len(records)} seed-runs, {total:.2f} h of training in all.")
    print("Chapters share runs (the claims page reuses all of them), so the hours do not add up to the "
          "store's total; each evaluation not computed is one configuration (all its seeds).")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
