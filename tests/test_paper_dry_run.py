"""The ``paper`` profile's code paths, run at toy size on a CPU (no GPU, no download).

``gift.companion.dryrun`` swaps in a copy of the ``paper`` profile with the same name, dataset (CIFAR-100),
model, methods, students, losses and precision rule, and only sizes shrunk (4 epochs, 1 seed, a
1-epoch teacher, 2 SRe2L iterations, a temporary store). The data are generated in the real formats:
torchvision's ``cifar-100-python`` pickles with 100 classes, and the official ``tiny-imagenet-200``
folder layout with 200 classes. What runs:

* library path: CIFAR-100 train/test → teacher → random, RDED and SRe2L sets at IPC 1 (and RDED at
  IPC 10, which the chapters use) → evaluation of the ``paper`` students with GIFT (ConvNet-3 and
  EfficientNet-B0; chapter 6 below trains every student of the profile, at IPC 1) and of each method's set
  with its own loss;
* the same path on Tiny-ImageNet (64 px, 200 classes) for one student;
* every chapter executed with papermill, ``profile = "paper"`` and ``GIFT_DRY_RUN=paper`` in the
  kernel's environment (chapter 6's three large students, trained on one set, take most of the time);
* the real ``paper`` profile is unchanged afterwards, and nothing is written to ``results/``.
"""
from __future__ import annotations

import dataclasses
import importlib.util
import math
import os
from pathlib import Path

import pytest

from gift.companion.dryrun import dry_run, dry_run_profile
from gift.companion import Experiment, get_profile

from datafixtures import write_cifar100, write_tiny_imagenet

ROOT = Path(__file__).resolve().parents[1]
# Students of the library-path test: ConvNet-3 and the paper-only EfficientNet-B0 (chapter 6's dry
# run trains every student of the profile, ResNet-18 (modified) and MobileNet-V2 included).
STUDENTS = ("ConvNet-3", "EfficientNet-B0")


@pytest.fixture(scope="module")
def paper_env(tmp_path_factory):
    base = tmp_path_factory.mktemp("paper-dry-run")
    write_cifar100(base / "data", train_per_class=10, test_per_class=2)
    write_tiny_imagenet(base / "data", classes=200, train_per_class=1, val_per_class=1, size=64)
    mp = pytest.MonkeyPatch()
    mp.setenv("GIFT_DATA_ROOT", str(base / "data"))
    mp.setenv("GIFT_CACHE_DIR", str(base / "cache"))
    mp.setenv("GIFT_RESULTS_DIR", str(base / "results"))  # must stay unused: the dry run is not persistent
    mp.setenv("GIFT_DISTILLED_DIR", str(base / "distilled"))
    mp.setenv("GIFT_COMPILE", "off")
    mp.setenv("GIFT_SCRATCH_STORE", str(base / "scratch"))  # the chapters share their toy runs
    before = sorted(p.name for p in (ROOT / "results").rglob("*"))
    yield base
    mp.undo()
    assert sorted(p.name for p in (ROOT / "results").rglob("*")) == before, "a dry run wrote into results/"


def _ok(result) -> float:
    assert result is not None
    acc = result.summary()["best_mean"]
    assert math.isfinite(acc) and 0.0 <= acc <= 100.0
    return acc


@pytest.mark.slow
def test_paper_library_path_on_cifar100(paper_env):
    real = get_profile("paper")
    with dry_run("paper"):
        ex = Experiment("paper", show_progress=False)
        p = ex.profile
        assert p.name == "paper" and p.dataset == "cifar100" and p.methods == real.methods
        assert p.students == real.students and p.loss_grid == real.loss_grid and not p.persistent
        assert "DRY RUN" in p.description
        assert ex.num_classes == 100 and len(ex.train) == 1000
        assert math.isfinite(ex.teacher_accuracy())
        for method in p.methods:
            assert len(ex.distilled(method, 1).labels) == 100
        assert len(ex.distilled("rded", 10).labels) == 1000
        from gift.companion import OWN_LOSS

        for method in p.methods:
            _ok(ex.evaluate(method, 1, loss=OWN_LOSS.get(method, "kl")))
        for student in STUDENTS:
            r = ex.evaluate("rded", 1, loss="gift", **p.students[student])
            _ok(r)
            assert r.config["epochs"] == 4 and len(r.runs) == 1
    assert get_profile("paper") is real and real.epochs == 1000 and real.persistent


@pytest.mark.slow
def test_paper_path_on_tiny_imagenet_layout(paper_env):
    tiny = dataclasses.replace(dry_run_profile("paper"), dataset="tinyimagenet")
    ex = Experiment(tiny, show_progress=False)
    assert ex.num_classes == 200 and ex.train.images.shape[-1] == 64
    ex.teacher()
    _ok(ex.evaluate("rded", 1, loss="gift"))


CHAPTERS = sorted(p.stem for p in (ROOT / "notebooks").glob("[0-9]*.py"))


# Every chapter, in order (each reuses its predecessors' toy runs from the shared scratch store).
@pytest.mark.slow
@pytest.mark.parametrize("chapter", CHAPTERS)
def test_every_chapter_runs_with_the_paper_profile(paper_env, tmp_path, monkeypatch, chapter):
    spec = importlib.util.spec_from_file_location("execute_notebooks", ROOT / "tools" / "execute_notebooks.py")
    execute_notebooks = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(execute_notebooks)
    monkeypatch.setenv("GIFT_DRY_RUN", "paper")
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    ok, seconds, message = execute_notebooks.execute(ROOT / "notebooks" / f"{chapter}.py", tmp_path, "paper", [],
                                                     timeout=900, cell_timeout=900, log_output=False)
    assert ok, message
    text = (tmp_path / f"{chapter}.ipynb").read_text()
    assert "DRY RUN" in text and 'profile = \\"paper\\"' in text


def test_dry_run_only_shrinks_sizes_and_only_where_asked():
    import os
    import subprocess
    import sys

    real = get_profile("paper")
    dry = dry_run_profile("paper")
    changed = {f.name for f in dataclasses.fields(real) if getattr(real, f.name) != getattr(dry, f.name)}
    assert changed == {"epochs", "seeds", "ipcs", "teacher_epochs", "teacher_file", "persistent", "distill_options",
                       "description", "deviations", "model_kwargs", "student_sets", "student_ipc"} - ({"short_budget"} if real.short_budget else set())
    assert dry.epochs == 4 and dry.seeds == (0,) and set(dry.ipcs) <= set(real.ipcs) and not dry.persistent
    with dry_run("paper"):
        assert get_profile("paper").epochs == 4
    assert get_profile("paper") is real
    env = {**os.environ, "GIFT_DRY_RUN": "paper", "PYTHONPATH": str(ROOT)}
    code = "import gift.companion as e; p = e.get_profile('paper'); print(p.epochs, p.persistent, e.get_profile('companion').epochs)"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout.split()
    assert out == ["4", "False", str(get_profile("companion").epochs)]
