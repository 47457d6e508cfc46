"""tools/check_html.py finds Markdown tables that the HTML book shows as raw text."""
from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("check_html", ROOT / "tools" / "check_html.py")
check_html = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(check_html)

# What myst-nb writes for display(Markdown(table)) when it parses the output as CommonMark
# (smartquotes turn --- into em dashes), and what it writes with gfm.
RAW = """<div class="cell_output docutils container">
<p>| method | student | GIFT |
|—|—|—|
| RDED | ConvNet-3 | 55.64 ± 0.37 |</p></div>"""
RAW_ASCII = "<p>| a | b |\n|:---|---:|\n| 1 | 2 |</p>"
RENDERED = """<div class="cell_output docutils container"><table class="table"><thead><tr><th>method</th>
<th>GIFT</th></tr></thead><tbody><tr><td>RDED</td><td>55.64</td></tr></tbody></table></div>"""
CODE = """<div class="highlight"><pre><span></span>| a | b |
|---|---|
| 1 | 2 |
</pre></div><p>inline <code>| a |</code> and a | pipe | in prose</p>"""


def test_raw_tables_are_found_and_named():
    assert check_html.raw_tables(RAW) == ["| method | student | GIFT |"]
    assert check_html.raw_tables(RAW_ASCII) == ["| a | b |"]


def test_rendered_tables_and_code_blocks_pass():
    assert check_html.raw_tables(RENDERED) == []
    assert check_html.raw_tables(CODE) == []


def test_main_reports_page_and_fails(tmp_path, capsys):
    (tmp_path / "book").mkdir()
    (tmp_path / "book" / "ok.html").write_text(RENDERED + CODE)
    assert check_html.main([str(tmp_path)]) == 0
    (tmp_path / "book" / "bad.html").write_text(RAW)
    assert check_html.main([str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "bad.html" in out and "| method | student | GIFT |" in out and "ok.html" not in out


def test_book_config_parses_output_markdown_with_tables():
    text = (ROOT / "_config.yml").read_text()
    assert "nb_render_markdown_format: myst" in text  # MyST: tables and the {doc}/{ref} roles of verdicts
