"""The package's layers, read from the source: no module imports from a layer above its own (lazy
imports inside functions count too), and nothing on the book's path imports the benchmarks.

    base     config, registry, utils, version, colab, stats
    domain   losses, models, augment, protocol, data, distill, results, teachers
    train    gift.train (the one training path), evaluation, theory, continual
    top      companion (with dryrun, its toy profiles), perf, cli, the package's facade (gift/__init__)
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "gift"

LAYERS = {
    "base": ("gift.config", "gift.registry", "gift.utils", "gift.version", "gift.colab", "gift.stats"),
    "domain": ("gift.losses", "gift.models", "gift.augment", "gift.protocol", "gift.data", "gift.distill",
               "gift.results", "gift.teachers"),
    "train": ("gift.train", "gift.evaluation", "gift.theory", "gift.continual"),
    "top": ("gift.companion", "gift.perf", "gift.cli", "gift.__main__", "gift"),
}
ORDER = list(LAYERS)
#: top-layer parts that must not import each other (the book's layer and the benchmarks stay apart)
APART = {"gift.companion": ("gift.perf", "gift.cli"),
         "gift.perf": ("gift.companion", "gift.cli"), "gift.train": ("gift.perf",)}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported(path: Path) -> set[str]:
    """Every gift module ``path`` imports, anywhere in the file, relative imports resolved."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.split(".")[0] == "gift")
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "gift":
                continue
            for alias in node.names:  # `from gift.x import y`: y may be a module of its own
                sub = f"{target}.{alias.name}"
                is_module = (ROOT / Path(*sub.split("."))).with_suffix(".py").exists() or (
                    ROOT / Path(*sub.split(".")) / "__init__.py").exists()
                out.add(sub if is_module else target)
    return out


def layer_of(module: str) -> str:
    best = None
    for layer, prefixes in LAYERS.items():
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and (best is None or len(prefix) > len(best[1])):
                best = (layer, prefix)
    if best is None:
        raise AssertionError(f"{module} is in no layer: add it to LAYERS in tests/test_layers.py")
    return best[0]


def part_of(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


MODULES = sorted(PACKAGE.rglob("*.py"))


def test_the_resolver_sees_relative_lazy_and_module_imports(tmp_path):
    assert {"gift.train.batches", "gift.teachers", "gift.train.labels"} <= imported(PACKAGE / "train" / "engine.py")
    assert "gift.perf.bench" in imported(PACKAGE / "cli" / "__init__.py")  # `from ..perf import bench`, in a function
    assert layer_of("gift.data.zca") == "domain" and layer_of("gift.train.cost") == "train"
    assert layer_of("gift") == "top" and layer_of("gift.teachers") == "domain"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: module_name(p))
def test_no_module_imports_a_layer_above_its_own(path):
    me = module_name(path)
    mine = ORDER.index(layer_of(me))
    above = sorted(m for m in imported(path) if ORDER.index(layer_of(m)) > mine)
    assert not above, f"{me} ({layer_of(me)}) imports from a higher layer: {above}"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: module_name(p))
def test_the_book_layer_and_the_benchmarks_stay_apart(path):
    me = module_name(path)
    for prefix, forbidden in APART.items():
        if part_of(me, prefix):
            bad = sorted(m for m in imported(path) if any(part_of(m, f) for f in forbidden))
            assert not bad, f"{me} imports {bad}"


def test_no_chapter_imports_the_benchmarks():
    for chapter in sorted((ROOT / "notebooks").glob("*.py")):
        tree = ast.parse(chapter.read_text())
        names = [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
        names += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
        assert not [m for m in names if part_of(m, "gift.perf")], chapter.name


def test_cli_lists_its_subcommands_and_nothing_registers_itself():
    import gift.cli as cli

    assert set(cli.commands()) == {"bench", "distill", "eval", "list", "results", "teacher"}
    sources = [p.read_text() for p in MODULES]
    assert not any("COMMANDS" in s and "register" in s for s in sources)
