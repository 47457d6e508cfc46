#!/usr/bin/env python3
"""Write the Colab badge and the setup cell of every chapter from the one setting in gift/colab.py.

    python tools/colab_cells.py           # rewrite what differs
    python tools/colab_cells.py --check   # exit 1 and list the files that differ (changes nothing)

What it owns, and nothing else:
* in notebooks/NN_name.py: the Colab badge line of the first Markdown cell and the first code cell
  (the setup cell, before the ``parameters`` cell), which becomes ``gift.colab.SETUP_CELL``;
* the same two cells of the executed copies in book/ and tests/notebooks/ (the setup cell prints
  nothing outside Colab, so the stored outputs stay valid; cell ids are recomputed as
  tools/execute_notebooks.py does);
* ``repository.url`` and ``repository.branch`` in _config.yml (the book's repository button).
"""
from __future__ import annotations

import argparse
import importlib.util
import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
SETUP_HEADER = '# %% tags=["remove-cell"]\n'
BADGE = re.compile(r"\[!\[Open In Colab\]\([^)]*\)\]\([^)]*\)")


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# gift/colab.py is standard-library only: load it without importing gift (and torch)
colab = _load("gift_colab_settings", ROOT / "gift" / "colab.py")


def chapters() -> list[Path]:
    return sorted(p for p in (ROOT / "notebooks").glob("*.py") if not p.name.startswith("_"))


def fix_source(path: Path) -> str:
    """The chapter source with the badge and setup cell from the setting (both inserted when the
    chapter has none: the badge under the title, the setup cell right before the parameters cell)."""
    text = path.read_text()
    badge = colab.badge(f"book/{path.stem}.ipynb")
    if BADGE.search(text):
        text = BADGE.sub(lambda m: badge, text, count=1)
    else:
        title = re.search(r"^# # .*$", text, flags=re.M)
        if title is None:
            raise SystemExit(f"{path.relative_to(ROOT)}: no '# # Title' line to put the Colab badge under")
        text = text[: title.end()] + "\n#\n# " + badge + text[title.end():]
    # the setup cell: the first code cell before the parameters cell, tagged remove-cell (it does
    # nothing outside Colab, so the HTML book leaves it out; Colab opens the notebook and runs it)
    params = text.index('# %% tags=["parameters"]')
    found = re.search(r"\n# %%(?: tags=\[\"remove-cell\"\])?\n", text[:params])
    start = found.start() if found else params - 1
    return text[: start + 1] + SETUP_HEADER + colab.SETUP_CELL + "\n\n" + text[params:]


def fix_executed(nb: nbformat.NotebookNode, stem: str) -> nbformat.NotebookNode:
    first_md = next(c for c in nb.cells if c.cell_type == "markdown")
    first_md.source = BADGE.sub(lambda m: colab.badge(f"book/{stem}.ipynb"), first_md.source, count=1)
    setup = next(c for c in nb.cells if c.cell_type == "code")
    if "parameters" in setup.metadata.get("tags", []):
        print(f"{stem}: the executed notebook has no setup cell yet; re-execute it from its source "
              f"(tools/execute_notebooks.py)", file=sys.stderr)
        return nb
    setup.source = colab.SETUP_CELL
    setup.metadata["tags"] = ["remove-cell"]
    return nb


def fix_config(text: str) -> str:
    text = re.sub(r"(\nrepository:\n  url: )\S+", lambda m: m.group(1) + colab.REPOSITORY, text)
    return re.sub(r"(\nrepository:\n  url: \S+\n  branch: )\S+", lambda m: m.group(1) + colab.REF, text)


def plan() -> list[tuple[Path, str]]:
    """(path, new text) for every file whose text would change."""
    execute = _load("execute_notebooks", ROOT / "tools" / "execute_notebooks.py")
    out = []
    for src in chapters():
        new = fix_source(src)
        if new != src.read_text():
            out.append((src, new))
        for folder in (ROOT / "book", ROOT / "tests" / "notebooks"):
            target = folder / f"{src.stem}.ipynb"
            if not target.exists():
                continue
            old = target.read_text()
            nb = fix_executed(nbformat.reads(old, as_version=4), src.stem)
            execute.stable_ids(nb)
            new = nbformat.writes(nb) + "\n"
            if new.rstrip("\n") != old.rstrip("\n"):
                out.append((target, new))
    config = ROOT / "_config.yml"
    new = fix_config(config.read_text())
    if new != config.read_text():
        out.append((config, new))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true", help="only report files that differ (exit 1 if any)")
    args = ap.parse_args(argv)
    changes = plan()
    for path, text in changes:
        print(f"{'differs' if args.check else 'updated'}: {path.relative_to(ROOT)}")
        if not args.check:
            path.write_text(text)
    if args.check and changes:
        print("run: python tools/colab_cells.py", file=sys.stderr)
        return 1
    if not changes:
        print("badges, setup cells and _config.yml agree with gift/colab.py")
    return 0


if __name__ == "__main__":
    sys.exit(main())
