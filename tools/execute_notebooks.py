#!/usr/bin/env python3
"""Execute the Jupytext chapter sources in notebooks/ with papermill.

    python tools/execute_notebooks.py --profile companion            # all chapters -> book/
    python tools/execute_notebooks.py --profile smoke                # all chapters -> tests/notebooks/
    python tools/execute_notebooks.py --profile companion 02 05_kd   # some chapters (stem or prefix)
    python tools/execute_notebooks.py --refresh-markdown book        # prose-only update, no execution
    python tools/execute_notebooks.py --list
    python tools/execute_notebooks.py --profile paper --dry-run 02   # paper code paths, toy size -> _build/dry-run/

For each source notebooks/NN_name.py (py:percent; files starting with "_" are helpers, not chapters):
jupytext reads it, papermill runs it with kernel python3 and injects ``profile=<profile>`` after the
cell tagged ``parameters``, in the folder the output lands in (book/ or tests/notebooks/: the same
working directory nbval uses when it re-runs tests/notebooks/). Afterwards the injected values are
folded into the ``parameters`` cell itself (``profile = "smoke"`` replaces the default there) and
papermill's injected cell is removed, so that someone who opens a published notebook (e.g. on
Colab) and edits the parameters cell sees the edit take effect; the values stay recorded in
``metadata.papermill.parameters``. papermill's/nbclient's run-specific metadata (timestamps,
durations, temporary paths, environment variables) are removed, so re-executing an unchanged
deterministic notebook gives an unchanged file. ``metadata.gift`` records the profile, the package
versions and the git commit the chapter was executed at (``commit``, plus ``dirty`` when the
working tree had uncommitted changes); the Colab setup cell installs that commit.

A notebook that fails or runs past ``--timeout`` is written to _build/failed-notebooks/ (the last
good executed copy is left alone); the others still run, and the exit status is 1.

The executed notebooks are generated files: never edit them by hand. tests/test_notebook_sync.py
checks that they match their sources.
"""
from __future__ import annotations

import argparse
import ast
import concurrent.futures
import copy
import functools
import json
import hashlib
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from importlib import metadata as importlib_metadata
from pathlib import Path

import jupytext
import nbformat

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ROOT / "notebooks"
PROFILES = ("smoke", "companion", "paper")
DEFAULT_OUTPUT = {"smoke": ROOT / "tests" / "notebooks", "companion": ROOT / "book", "paper": ROOT / "book"}
FAILED = ROOT / "_build" / "failed-notebooks"
KERNEL = "python3"
INJECTED = "injected-parameters"
# Run-specific metadata that papermill and nbclient write; dropped so that diffs show real changes.
VOLATILE_CELL_KEYS = ("papermill", "execution")
KEPT_PAPERMILL_KEYS = ("parameters", "default_parameters", "version")
# distribution names; "gift-companion" is recorded as "gift" (the import name)
VERSION_PACKAGES = ("gift-companion", "torch", "torchvision", "numpy", "matplotlib", "papermill", "jupytext")


def chapter_sources() -> list[Path]:
    """Every chapter source, in name order (the order of the book)."""
    return sorted(p for p in SOURCES.glob("*.py") if not p.name.startswith("_"))


def select(names: list[str]) -> list[Path]:
    """Chapters matching each name: a path, a stem (02_method) or a unique prefix (02)."""
    sources = chapter_sources()
    if not names:
        return sources
    chosen: list[Path] = []
    for name in names:
        stem = Path(name).stem if name.endswith((".py", ".ipynb")) else name
        exact = [p for p in sources if p.stem == stem]
        matches = exact or [p for p in sources if p.stem.startswith(stem)]
        if len(matches) != 1:
            known = ", ".join(p.stem for p in sources) or "(none)"
            what = "matches no" if not matches else "is ambiguous among the"
            raise SystemExit(f"error: {name!r} {what} chapters in notebooks/: {known}")
        if matches[0] not in chosen:
            chosen.append(matches[0])
    return chosen


def read_source(path: Path) -> nbformat.NotebookNode:
    nb = jupytext.read(path, fmt="py:percent")
    if not any("parameters" in c.metadata.get("tags", []) for c in nb.cells):
        raise SystemExit(f"error: {path.relative_to(ROOT)} has no cell tagged 'parameters'")
    nb.metadata["kernelspec"] = {"name": KERNEL, "display_name": "Python 3", "language": "python"}
    nb.metadata.pop("jupytext", None)  # the .ipynb is not paired with the source
    return nb


def declared_parameters(nb: nbformat.NotebookNode) -> dict[str, object]:
    """Name -> default value of each plain assignment in the cell tagged ``parameters``."""
    import ast

    out: dict[str, object] = {}
    for cell in nb.cells:
        if "parameters" not in cell.metadata.get("tags", []):
            continue
        for node in ast.parse(cell.source).body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                try:
                    out[node.targets[0].id] = ast.literal_eval(node.value)
                except ValueError:
                    out[node.targets[0].id] = None  # not a literal: any value is passed through
    return out


_TRUE, _FALSE = ("true", "yes", "1", "on"), ("false", "no", "0", "off")


class ParameterError(ValueError):
    """A ``-p NAME VALUE`` that names no parameter of a chapter or does not fit its type."""


def typed_parameter(name: str, value: str, declared: dict[str, object], where: str) -> str:
    """``value`` checked against the type of the parameter's default and spelled so that papermill
    reads it as that type. papermill passes any word it does not recognise as a string, so
    ``-p run_missing Flase`` would be the (true) string "Flase": a typo must be an error instead."""
    if name not in declared:
        known = ", ".join(sorted(declared)) or "(none)"
        raise ParameterError(f"{where} has no parameter {name!r}; its parameters are: {known}")
    default = declared[name]
    text = value.strip()
    if isinstance(default, bool):
        if text.lower() in _TRUE:
            return "True"
        if text.lower() in _FALSE:
            return "False"
        raise ParameterError(f"parameter {name!r} of {where} is a boolean; got {value!r}, use True or False")
    if isinstance(default, int):
        try:
            return str(int(text))
        except ValueError:
            raise ParameterError(f"parameter {name!r} of {where} is an integer; got {value!r}") from None
    if isinstance(default, float):
        try:
            return repr(float(text))
        except ValueError:
            raise ParameterError(f"parameter {name!r} of {where} is a number; got {value!r}") from None
    return value


def versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for name in VERSION_PACKAGES:
        try:
            found["gift" if name == "gift-companion" else name] = importlib_metadata.version(name)
        except importlib_metadata.PackageNotFoundError:
            pass
    return found


#: what a chapter's execution depends on; "dirty" means one of these has uncommitted changes. The
#: executed notebooks this tool writes and the results store that workers fill are outputs, not code.
CODE_PATHS = ("gift", "notebooks", "tools", "pyproject.toml")


@functools.lru_cache(maxsize=None)
def git_state() -> dict[str, object]:
    """``{"commit": sha, "dirty": bool}`` of the checkout when this run started (cached: a commit
    made while chapters execute does not relabel the later ones), or {} outside a git checkout."""
    try:
        sha = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True,
                             check=True).stdout.strip()
        status = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no", "--",
                                 *CODE_PATHS], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return {}
    return {"commit": sha, "dirty": bool(status.strip())}


def literal(value: object) -> str:
    """Python source for a papermill parameter value (strings in double quotes, like the sources)."""
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return repr(value)


def fold_parameters(source: str, values: dict) -> str:
    """The ``parameters`` cell ``source`` with each ``name = value`` assignment set to ``values[name]``
    (comments kept); names the cell does not assign are appended."""
    body = source.rstrip("\n")
    lines = body.split("\n")
    done = set()
    for node in ast.parse(body).body:
        if (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
                and node.targets[0].id in values and node.lineno == node.end_lineno):
            name, i = node.targets[0].id, node.lineno - 1
            line = lines[i].encode()  # ast offsets count UTF-8 bytes
            new = line[: node.value.col_offset] + literal(values[name]).encode() + line[node.value.end_col_offset:]
            lines[i] = new.decode()
            done.add(name)
    extra = [f"{k} = {literal(v)}" for k, v in values.items() if k not in done]
    return "\n".join(lines + extra) if extra else "\n".join(lines)


def fold_injected(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Fold papermill's injected values (``metadata.papermill.parameters``) into the ``parameters``
    cell and drop the injected cell."""
    values = nb.metadata.get("papermill", {}).get("parameters", {})
    params = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    if params and values:
        params[0].source = fold_parameters(params[0].source, values)
    nb.cells = [c for c in nb.cells if INJECTED not in c.metadata.get("tags", [])]
    return nb


def stable_ids(nb: nbformat.NotebookNode) -> None:
    """Cell ids derived from the cell content (nbformat draws random ones), so that re-executing an
    unchanged notebook does not change the file."""
    seen: dict[str, int] = {}
    for cell in nb.cells:
        base = hashlib.sha1(f"{cell.cell_type}\n{cell.source}".encode()).hexdigest()[:12]
        seen[base] = seen.get(base, 0) + 1
        cell["id"] = base if seen[base] == 1 else f"{base}-{seen[base]}"


def clean_executed(nb: nbformat.NotebookNode, profile: str) -> nbformat.NotebookNode:
    """Fold the injected parameters into the parameters cell, drop run-specific metadata, record
    versions and commit, make cell ids stable."""
    for cell in nb.cells:
        for key in VOLATILE_CELL_KEYS:
            cell.metadata.pop(key, None)
        if not cell.metadata.get("tags", True):
            cell.metadata.pop("tags", None)  # papermill adds empty tag lists
    pm = nb.metadata.get("papermill", {})
    nb.metadata["papermill"] = {k: pm[k] for k in KEPT_PAPERMILL_KEYS if k in pm}
    fold_injected(nb)
    nb.metadata["gift"] = {"profile": profile, "versions": versions(), **git_state()}
    stable_ids(nb)
    return nb


def stop(proc: subprocess.Popen) -> None:
    """Interrupt papermill (it then shuts its kernel down); kill it if it does not stop."""
    for sig, wait in ((signal.SIGINT, 20), (signal.SIGTERM, 10), (signal.SIGKILL, 10)):
        try:
            os.killpg(proc.pid, sig)
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue
        except ProcessLookupError:
            return


def execute(src: Path, out_dir: Path, profile: str, params: list[tuple[str, str]], timeout: float,
            cell_timeout: float, log_output: bool) -> tuple[bool, float, str]:
    """Run one chapter; return (ok, seconds, message)."""
    nb = read_source(src)
    declared = declared_parameters(nb)
    params = [(name, typed_parameter(name, value, declared, src.stem)) for name, value in params]
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f"gift-{src.stem}-") as tmp:
        given, produced = Path(tmp) / f"{src.stem}.ipynb", Path(tmp) / f"{src.stem}.out.ipynb"
        nbformat.write(nb, given)
        cmd = [sys.executable, "-m", "papermill", str(given), str(produced), "--kernel", KERNEL,
               "--cwd", str(out_dir), "--execution-timeout", str(int(cell_timeout)),
               "--no-progress-bar", "--log-level", "WARNING", "-p", "profile", profile]
        for name, value in params:
            cmd += ["-p", name, value]
        if log_output:
            cmd.append("--log-output")
        start = time.monotonic()
        proc = subprocess.Popen(cmd, start_new_session=True)
        try:
            rc = proc.wait(timeout=timeout)
            message = "" if rc == 0 else f"papermill exited with status {rc}"
        except subprocess.TimeoutExpired:
            stop(proc)
            rc, message = -1, f"timed out after {timeout:.0f} s (--timeout)"
        except KeyboardInterrupt:
            stop(proc)
            raise
        seconds = time.monotonic() - start
        if rc == 0:
            executed = clean_executed(nbformat.read(produced, as_version=4), profile)
            nbformat.write(executed, out_dir / f"{src.stem}.ipynb")
            return True, seconds, ""
        if produced.exists():
            FAILED.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(produced, FAILED / f"{src.stem}.ipynb")
            message += f"; partial output: {(FAILED / f'{src.stem}.ipynb').relative_to(ROOT)}"
        return False, seconds, message


def signature(cell: nbformat.NotebookNode) -> tuple:
    """What must agree between a source cell and its executed copy (see tests/test_notebook_sync.py)."""
    meta = {k: v for k, v in cell.metadata.items() if k not in VOLATILE_CELL_KEYS and v != []}
    return cell.cell_type, cell.source.strip(), meta


def refresh_markdown(src: Path, out_dir: Path) -> str:
    """Copy changed markdown/raw cells from the source into the executed notebook, keeping outputs.

    Only allowed when every code cell (source and metadata) is unchanged; otherwise re-execute."""
    target = out_dir / f"{src.stem}.ipynb"
    if not target.exists():
        return f"{target.relative_to(ROOT)} does not exist: execute it first"
    executed = fold_injected(nbformat.read(target, as_version=4))
    fresh = read_source(src)
    fresh.metadata["papermill"] = executed.metadata.get("papermill", {})
    fold_injected(fresh)
    old_code = [c for c in executed.cells if c.cell_type == "code"]
    new_code = [c for c in fresh.cells if c.cell_type == "code"]
    if [signature(c) for c in old_code] != [signature(c) for c in new_code]:
        return f"code cells of {src.stem} changed: re-execute it instead"
    cells, code = [], iter(old_code)
    for cell in fresh.cells:
        cells.append(next(code) if cell.cell_type == "code" else copy.deepcopy(cell))
    if [signature(c) for c in cells] == [signature(c) for c in executed.cells]:
        return "unchanged"
    executed.cells = cells
    stable_ids(executed)
    nbformat.write(executed, target)
    return "updated"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("names", nargs="*", help="chapters (path, stem or prefix); default: all")
    ap.add_argument("--profile", choices=PROFILES, default="companion")
    ap.add_argument("--output-dir", type=Path, help="default: tests/notebooks for smoke, book otherwise")
    ap.add_argument("-p", "--param", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"),
                    help="extra papermill parameter (repeatable)")
    ap.add_argument("--timeout", type=float, default=float(os.environ.get("GIFT_NOTEBOOK_TIMEOUT", 1200)),
                    help="wall-clock limit per notebook in seconds (default 1200, env GIFT_NOTEBOOK_TIMEOUT)")
    ap.add_argument("--cell-timeout", type=float, default=None,
                    help="limit per cell in seconds (default: --timeout)")
    ap.add_argument("--log-output", action="store_true", help="stream cell outputs to the terminal")
    ap.add_argument("--jobs", type=int, default=1, metavar="N",
                    help="chapters executed at the same time (default 1). Rendering from the store is one "
                         "busy core per kernel, so `make render` uses one per core; a chapter that trains "
                         "should keep 1 (two chapters missing the same run would both train it)")
    ap.add_argument("--dry-run", action="store_true",
                    help="run the profile's code paths at toy size (gift.companion.dryrun, GIFT_DRY_RUN=<profile>) into "
                         "_build/dry-run/ (the data it needs must be present or downloadable)")
    ap.add_argument("--refresh-markdown", metavar="DIR", choices=("book", "tests/notebooks"),
                    help="update prose of executed notebooks in DIR without executing")
    ap.add_argument("--fold-injected", metavar="DIR", choices=("book", "tests/notebooks"),
                    help="fold papermill's injected-parameters cell of executed notebooks in DIR into their "
                         "parameters cell (notebooks executed before this was automatic), without executing")
    ap.add_argument("--list", action="store_true", help="list the chapter sources and exit")
    args = ap.parse_args(argv)
    if args.jobs < 1:
        ap.error(f"--jobs must be at least 1, got {args.jobs}")

    git_state()  # the checkout's state now, before any chapter writes its output
    chapters = select(args.names)
    if args.list:
        print("\n".join(str(p.relative_to(ROOT)) for p in chapters))
        return 0
    if not chapters:
        print("no chapter sources in notebooks/: nothing to do")
        return 0
    if args.fold_injected:
        for src in chapters:
            target = ROOT / args.fold_injected / f"{src.stem}.ipynb"
            if not target.exists():
                continue
            nb = nbformat.read(target, as_version=4)
            before = nbformat.writes(nb)
            fold_injected(nb)
            stable_ids(nb)
            changed = nbformat.writes(nb) != before
            if changed:
                nbformat.write(nb, target)
            print(f"{src.stem:<32} {'folded' if changed else 'unchanged'}")
        return 0
    if args.refresh_markdown:
        bad = 0
        for src in chapters:
            result = refresh_markdown(src, ROOT / args.refresh_markdown)
            bad += result not in ("updated", "unchanged")
            print(f"{src.stem:<32} {result}")
        return 1 if bad else 0

    if args.dry_run:
        os.environ["GIFT_DRY_RUN"] = args.profile  # inherited by papermill's kernels
        # one fresh scratch store for this batch: a chapter reuses the runs of the ones before it
        os.environ.setdefault("GIFT_SCRATCH_STORE", tempfile.mkdtemp(prefix=f"gift-dry-run-{args.profile}-"))
    default_out = ROOT / "_build" / "dry-run" if args.dry_run else DEFAULT_OUTPUT[args.profile]
    out_dir = (args.output_dir or default_out).resolve()
    cell_timeout = args.cell_timeout or args.timeout
    where = out_dir.relative_to(ROOT) if out_dir.is_relative_to(ROOT) else out_dir
    print(f"executing {len(chapters)} notebook(s), profile={args.profile}, into {where}/, "
          f"timeout {args.timeout:.0f} s per notebook", flush=True)
    try:  # every parameter checked against every chapter before any runs
        for src in chapters:
            declared = declared_parameters(read_source(src))
            for name, value in args.param:
                typed_parameter(name, value, declared, src.stem)
    except ParameterError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    def one(src: Path) -> tuple:
        print(f"--> {src.stem} ...", flush=True)
        ok, seconds, message = execute(src, out_dir, args.profile, [tuple(p) for p in args.param],
                                       args.timeout, cell_timeout, args.log_output)
        print(f"<-- {src.stem}: {'ok' if ok else 'FAILED'} in {seconds:.1f} s {message}", flush=True)
        return src.stem, ok, seconds, message

    # each chapter runs in its own papermill process; the threads only wait for them
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        results = list(pool.map(one, chapters))  # in chapter order, whatever order they finish in
    total = sum(r[2] for r in results)  # kernel seconds: more than the wall time with --jobs > 1
    print(f"\n{'notebook':<32} {'status':<7} {'wall s':>8}")
    for stem, ok, seconds, _ in results:
        print(f"{stem:<32} {'ok' if ok else 'FAILED':<7} {seconds:8.1f}")
    print(f"{'total':<32} {'':<7} {total:8.1f}")
    failed = [r[0] for r in results if not r[1]]
    if failed:
        print(f"\nFAILED: {' '.join(failed)} (partial outputs in {FAILED.relative_to(ROOT)}/)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
