"""The book's style targets, per chapter (tools/chapter_stats.py): prose at least as long as code,
at most 150 lines of visible code, and no function defined beyond one short plotting helper. A
chapter that grows a script fails here; move the logic into gift/companion/ with a test."""
import importlib.util
from pathlib import Path

import pytest

pytest.importorskip("jupytext")

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("chapter_stats", ROOT / "tools" / "chapter_stats.py")
chapter_stats = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(chapter_stats)
CHAPTERS = sorted((ROOT / "notebooks").glob("[0-9]*.py"))


@pytest.mark.parametrize("path", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_chapter_reads_like_a_book(path):
    s = chapter_stats.stats(path)
    assert s["prose"] >= s["code"], f"{path.name}: {s['prose']} lines of prose < {s['code']} of code"
    assert s["visible code"] <= 150, f"{path.name}: {s['visible code']} visible code lines"
    assert s["functions"] <= 1, f"{path.name}: {s['functions']} functions defined in the chapter"
