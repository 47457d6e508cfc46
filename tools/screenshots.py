#!/usr/bin/env python3
"""Screenshot every page of the built HTML book as a reader sees it (headless Chromium), cut into
screen-sized tiles, to look at the book the way a reader does before publishing.

    make html && python tools/screenshots.py                 # every page -> _build/screenshots/
    python tools/screenshots.py --pages 06_generalization     # some pages only

Needs a Chromium binary (Debian: ``apt-get install chromium``; or ``--chromium PATH``). Nothing
else: the page is opened from the file system with the network switched off, and the screenshot is
cropped at the end of the page and split into tiles of ``--tile`` pixels.
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars")


def pages(names: list[str]) -> list[Path]:
    """The book's pages (chapters, then the other top-level pages), optionally only ``names``."""
    found = sorted((HTML / "book").glob("*.html"))  # the top-level index.html only redirects here
    return [p for p in found if not names or any(p.stem.startswith(n) for n in names)]


def shoot(chromium: str, page: Path, out: Path, width: int, height: int) -> Path:
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run([chromium, *FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}",
                        f"--screenshot={out}", page.as_uri()], check=True, capture_output=True, timeout=120)
    return out


def _page_end(img) -> int:
    """Where the page ends: the theme stretches the page to the window, pushing the footer to the
    bottom, so drop the blank band between the last content and the footer (main column only:
    the sidebars span the window)."""
    from PIL import ImageChops, Image

    main = img.crop((int(0.2 * img.width), 0, int(0.75 * img.width), img.height)).convert("L")
    blank = ImageChops.difference(main, Image.new("L", main.size, 255)).point(lambda v: 255 if v > 8 else 0)
    ink = [blank.crop((0, y, blank.width, y + 1)).getbbox() is not None for y in range(blank.height)]
    last = max((y for y, v in enumerate(ink) if v), default=img.height - 1)
    footer_top = last
    while footer_top > 0 and any(ink[max(0, footer_top - 40):footer_top]):
        footer_top -= 1  # up through the footer block (gaps under 40 px belong to it)
    content_end = max((y for y in range(footer_top) if ink[y]), default=footer_top)
    if footer_top - content_end > 200:  # the stretched blank band: cut it out
        return content_end + 40
    return min(img.height, last + 20)


def tiles(full: Path, tile: int) -> list[Path]:
    """Crop the trailing blank part of ``full`` and cut it into tiles ``<stem>-NN.png``."""
    from PIL import Image

    img = Image.open(full).convert("RGB")
    img = img.crop((0, 0, img.width, _page_end(img)))
    out = []
    for k, top in enumerate(range(0, img.height, tile)):
        path = full.with_name(f"{full.stem}-{k:02d}.png")
        img.crop((0, top, img.width, min(img.height, top + tile))).save(path)
        out.append(path)
    full.unlink()
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pages", nargs="*", default=[], help="page stems or prefixes (default: all)")
    ap.add_argument("--out", type=Path, default=ROOT / "_build" / "screenshots")
    ap.add_argument("--chromium", default=shutil.which("chromium") or shutil.which("chromium-browser"))
    ap.add_argument("--width", type=int, default=1280)
    ap.add_argument("--height", type=int, default=16000, help="tallest page captured, in pixels")
    ap.add_argument("--tile", type=int, default=1400)
    args = ap.parse_args(argv)
    if not args.chromium:
        ap.error("no Chromium found: install it (Debian: apt-get install chromium) or pass --chromium PATH")
    if not HTML.is_dir():
        ap.error(f"{HTML.relative_to(ROOT)} does not exist: build the book first (make html)")
    args.out.mkdir(parents=True, exist_ok=True)
    for page in pages(args.pages):
        made = tiles(shoot(args.chromium, page, args.out / f"{page.stem}.png", args.width, args.height), args.tile)
        print(f"{page.relative_to(HTML)}: {len(made)} tiles")
    return 0


if __name__ == "__main__":
    sys.exit(main())
