#!/usr/bin/env python3
"""Fail when the built HTML book shows a Markdown table as raw text.

    python tools/check_html.py                 # scans _build/html/**/*.html
    python tools/check_html.py path/to/html    # another build folder (or single files)

A table printed by a code cell (``display(Markdown(...))``) renders as a table only when myst-nb
parses that output with a table-aware Markdown flavour (``nb_render_markdown_format: myst`` in
_config.yml). Otherwise the page shows lines such as ``| a | b |`` followed by ``|---|---|``. This
script reads the visible text of every page (outside <pre>, <code>, <script>, <style> and
<textarea>, where pipes are legitimate), and reports each header line that is followed by a
delimiter line, naming the page and the table's header. Exit status 1 when any is found.
``make html`` and ``make book`` run it after the build.
"""
from __future__ import annotations

import argparse
import re
import sys
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT / "_build" / "html"
# Text inside these elements is code or machinery, never rendered prose.
SKIPPED = {"pre", "code", "script", "style", "textarea", "kbd", "samp"}
# Elements that end a line of rendered text.
BREAKS = {"p", "div", "br", "li", "tr", "td", "th", "h1", "h2", "h3", "h4", "h5", "h6", "section",
          "table", "blockquote", "dd", "dt"}
ROW = re.compile(r"^\s*\|.*\|\s*$")
# Sphinx's smartquotes turn "---" into an em dash and "--" into an en dash in rendered text.
_DASHES = "(?:-{3,}|[-\u2013\u2014]{1,2})"
DELIMITER = re.compile(rf"^\s*\|?\s*:?{_DASHES}:?\s*(\|\s*:?{_DASHES}:?\s*)*\|?\s*$")


class _Text(HTMLParser):
    """Visible text of a page as lines, without code blocks."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.depth = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in SKIPPED:
            self.depth += 1
        if tag in BREAKS:
            self.parts.append("\n")

    def handle_startendtag(self, tag, attrs):
        if tag in BREAKS:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in SKIPPED and self.depth:
            self.depth -= 1
        if tag in BREAKS:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.depth:
            self.parts.append(data)


def raw_tables(html: str) -> list[str]:
    """The header line of every raw Markdown table in ``html``'s rendered text."""
    parser = _Text()
    parser.feed(html)
    parser.close()
    lines = "".join(parser.parts).splitlines()
    found = []
    for i in range(len(lines) - 1):
        if ROW.match(lines[i]) and DELIMITER.match(lines[i + 1]) and "|" in lines[i + 1]:
            found.append(lines[i].strip())
    return found


def pages(paths: list[Path]) -> list[Path]:
    out: list[Path] = []
    for p in paths:
        out += sorted(p.rglob("*.html")) if p.is_dir() else [p]
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("paths", nargs="*", type=Path, default=[DEFAULT], help="HTML folders or files (default: _build/html)")
    args = ap.parse_args(argv)
    missing = [p for p in args.paths if not p.exists()]
    if missing:
        print(f"check_html: {', '.join(map(str, missing))} does not exist; build the book first (make html)",
              file=sys.stderr)
        return 2
    files = [f for f in pages(args.paths) if "_static" not in f.parts and "_sources" not in f.parts]
    bad = 0
    for f in files:
        for header in raw_tables(f.read_text(encoding="utf-8", errors="replace")):
            bad += 1
            where = f.relative_to(ROOT) if f.is_relative_to(ROOT) else f
            print(f"{where}: raw Markdown table (not rendered): {header[:100]}")
    if bad:
        print(f"check_html: {bad} raw Markdown table(s) in {len(files)} page(s); Markdown printed by a code "
              f"cell must be parsed as MyST or gfm (nb_render_markdown_format in _config.yml)", file=sys.stderr)
        return 1
    print(f"check_html: {len(files)} page(s), no raw Markdown tables")
    return 0


if __name__ == "__main__":
    sys.exit(main())
