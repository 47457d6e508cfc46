"""Bad inputs and faults (issue 16): each case gets a clear error before any training (or the right
result), no traceback, and nothing finished is lost or half written.

Everything here is tiny (digits, a few PNGs, generated tensors); the one-epoch digits teacher is the
only training. ``no_training`` makes any attempt to train a student fail the test, which is how
"checked before work starts" is asserted."""
from __future__ import annotations

import errno
import importlib.util
import json
import os
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

import gift.evaluation as evaluation
from gift.cli import main
from gift.data import (
    CorruptFileError,
    DataError,
    DistilledSet,
    IncompleteSetError,
    NonFiniteDataError,
    UnsafeFileError,
    load_dataset,
    load_distilled,
    safe_torch_load,
)
from gift.data.imagefolder import folder_fingerprint
from gift.evaluation import NotComputed, evaluate
from gift.losses import gift_loss
from gift.protocol import EvalConfig
from gift.results import BadRecordError, ResultsStore
from gift.teachers import TeacherConfig, load_teacher, save_teacher
from gift.train.teacher import CheckpointError, train_teacher
from gift.utils import DeviceError, OutputError, resolve_device

ROOT = Path(__file__).resolve().parents[1]
FAST = dict(epochs=1, seeds=(0,), precision="fp32", num_checkpoints=1, model_kwargs={"width": 8})


# ------------------------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def test_set():
    return load_dataset("digits", "test", show_progress=False)


@pytest.fixture(scope="module")
def teacher(tmp_path_factory):
    train = load_dataset("digits", "train", show_progress=False)
    test = load_dataset("digits", "test", show_progress=False)
    cfg = TeacherConfig(dataset="digits", model_kwargs={"width": 8}, epochs=1, batch_size=256, precision="fp32")
    model, meta = train_teacher(cfg, train, test, device="cpu", show_progress=False)
    path = tmp_path_factory.mktemp("teacher") / "t.pt"
    save_teacher(model, meta, path)
    return path


@pytest.fixture
def no_training(monkeypatch):
    def refuse(*a, **k):
        raise AssertionError("a student was trained although the input was bad")

    monkeypatch.setattr(evaluation, "train_student", refuse)


def write_set(root: Path, classes, per=1, size=(32, 32), mode="RGB") -> Path:
    for c in classes:
        (root / f"{c:05d}").mkdir(parents=True, exist_ok=True)
        for i in range(per):
            arr = np.full((size[0], size[1], 3), 20 * c + i, np.uint8)
            img = Image.fromarray(arr[:, :, 0], "L") if mode == "L" else Image.fromarray(arr, "RGB")
            img.save(root / f"{c:05d}" / f"{i}.png")
    return root


def cli(capsys, *argv) -> tuple[int, str]:
    """Run ``gift`` in process; return (status, stderr), asserting it printed no traceback."""
    rc = main([str(a) for a in argv])
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return rc, err


def one_line_error(rc, err, *needles):
    lines = [ln for ln in err.splitlines() if "error:" in ln]
    assert rc == 2 and len(lines) == 1, err
    for n in needles:
        assert n in lines[0], lines[0]


# ------------------------------------------------------------- 1. incomplete distilled sets


def test_1_half_the_class_folders_is_refused_before_training(tmp_path, capsys, no_training):
    folder = write_set(tmp_path / "half", range(5))
    rc, err = cli(capsys, "eval", folder, "--dataset", "digits", "--epochs", 4, "--seeds", 0, "--no-progress")
    one_line_error(rc, err, "no images for 5 of its 10 classes", "--allow-partial")


def test_1_empty_class_folders_count_as_missing(tmp_path):
    folder = write_set(tmp_path / "empty", range(5))
    for c in range(5, 10):
        (folder / f"{c:05d}").mkdir()
    with pytest.raises(IncompleteSetError, match="class 5, 6, 7, 8, 9"):
        load_distilled(folder, dataset="digits")


def test_1_data_pt_with_half_the_classes_and_the_opt_in(tmp_path):
    path = tmp_path / "data.pt"
    torch.save({"dataset": "digits", "data": torch.rand(5, 3, 32, 32), "label": torch.arange(5)}, path)
    with pytest.raises(IncompleteSetError, match=str(path)):
        load_distilled(path, dataset="digits")
    part = load_distilled(path, dataset="digits", allow_partial=True)
    assert part.num_classes == 10 and part.meta["missing_classes"] == [5, 6, 7, 8, 9]


def test_1_in_memory_class_subsets_still_evaluate(test_set, monkeypatch):
    """Continual learning trains on in-memory sets of some classes: no completeness check there."""
    seen = []
    monkeypatch.setattr(evaluation, "train_student", lambda *a, **k: seen.append(1) or _fake_run())
    ds = DistilledSet(torch.rand(3, 3, 32, 32), torch.tensor([0, 1, 2]), num_classes=10, meta={"dataset": "digits"})
    res = evaluate(ds, test_set, EvalConfig(**FAST), device="cpu", show_progress=False)
    assert seen and res.runs[0]["best"] == 50.0


def _fake_run():
    from gift.train.engine import StudentRun

    return StudentRun(seed=0, checkpoints=[{"epoch": 1, "accuracy": 50.0}], best=50.0, final=50.0,
                      wall_time_s=0.0, epoch_loss=[1.0], steps=1, precision="fp32", compiled=False)


# ------------------------------------------------------------------------- 2. symlink loops


def test_2_link_to_the_parent_does_not_relabel_other_classes(tmp_path):
    folder = write_set(tmp_path / "s", range(10))
    os.symlink("..", folder / "00000" / "up")
    with pytest.warns(UserWarning, match="already read"):
        ds = load_distilled(folder, dataset="digits")
    assert len(ds) == 10 and ds.class_counts().tolist() == [1] * 10


def test_2_self_links_do_not_hang_loading_or_fingerprinting(tmp_path):
    folder = write_set(tmp_path / "s", range(10))
    os.symlink(".", folder / "00001" / "a")
    os.symlink(".", folder / "00001" / "b")
    os.symlink("../00003", folder / "00002" / "sibling")
    with pytest.warns(UserWarning, match="already read"):
        ds = load_distilled(folder, dataset="digits")
        fp = folder_fingerprint(folder)
    assert len(ds) == 10 and len(fp) == 11


# ------------------------------------------------------------ 3. a failed final teacher save


def test_3_failed_save_keeps_the_trained_state_and_the_rerun_only_saves(tmp_path, monkeypatch):
    import gift.teachers as teachers

    train = load_dataset("digits", "train", show_progress=False)
    test = load_dataset("digits", "test", show_progress=False)
    cfg = TeacherConfig(dataset="digits", model_kwargs={"width": 8}, epochs=1, batch_size=256, precision="fp32")
    out, partial = tmp_path / "t.pt", tmp_path / "t.pt.partial"
    model, meta = train_teacher(cfg, train, test, device="cpu", show_progress=False, checkpoint=partial)
    real_save = teachers.atomic_torch_save

    def disk_full(obj, path):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(teachers, "atomic_torch_save", disk_full)
    with pytest.raises(OutputError, match="kept in .*t.pt.partial"):
        save_teacher(model, meta, out)
    assert partial.exists() and not out.exists()
    monkeypatch.setattr(teachers, "atomic_torch_save", real_save)
    again, meta2 = train_teacher(cfg, train, test, device="cpu", show_progress=False, checkpoint=partial)
    assert meta2["train_loss"] == meta["train_loss"]  # resumed after the last epoch: nothing retrained
    for a, b in zip(model.state_dict().values(), again.state_dict().values()):
        assert torch.equal(a, b)
    save_teacher(again, meta2, out)
    assert out.exists() and not partial.exists()


@pytest.mark.parametrize("where", ["folder", "under_a_file"])
def test_3_unwritable_teacher_output_is_refused_before_training(tmp_path, capsys, where):
    out = tmp_path / "dir" if where == "folder" else tmp_path / "file" / "t.pt"
    (tmp_path / "dir").mkdir()
    (tmp_path / "file").write_text("x")
    rc, err = cli(capsys, "teacher", "train", "--dataset", "digits", "-o", out, "--no-progress")
    one_line_error(rc, err, "is a folder" if where == "folder" else "is a file, not a folder")
    assert not list(tmp_path.rglob("*.partial"))


# ------------------------------------------------------------ 4. eval outputs checked first


def test_4_eval_output_folder_and_unwritable_store_fail_before_training(tmp_path, capsys, no_training):
    folder = write_set(tmp_path / "set", range(10))
    (tmp_path / "file").write_text("x")
    base = ("eval", folder, "--dataset", "digits", "--epochs", 4, "--seeds", 0, "--no-progress")
    one_line_error(*cli(capsys, *base, "--output", tmp_path), "is a folder")
    one_line_error(*cli(capsys, *base, "--store", tmp_path / "file" / "store"), "--store folder")


def test_4_distill_output_under_a_file_fails_before_distilling(tmp_path, capsys, monkeypatch):
    import gift.data

    monkeypatch.setattr(gift.data, "load_dataset", lambda *a, **k: pytest.fail("data loaded"))
    (tmp_path / "file").write_text("x")
    rc, err = cli(capsys, "distill", "random", "--dataset", "digits", "--ipc", 1, "--output",
                  tmp_path / "file" / "out", "--no-progress")
    one_line_error(rc, err, "is a file, not a folder")


def test_4_only_rank_0_writes_the_store_and_the_world_size_is_part_of_the_run(tmp_path, test_set, monkeypatch):
    monkeypatch.setattr(evaluation, "train_student", lambda *a, **k: _fake_run())
    ds = DistilledSet(torch.rand(10, 3, 32, 32), torch.arange(10), num_classes=10, meta={"dataset": "digits"})
    store = ResultsStore(tmp_path / "store")
    monkeypatch.setattr(evaluation, "distributed_context", lambda: (1, 2))
    evaluate(ds, test_set, EvalConfig(**FAST), device="cpu", store=store, show_progress=False)
    assert not list(store.root.rglob("*.json"))
    monkeypatch.setattr(evaluation, "distributed_context", lambda: (0, 2))
    evaluate(ds, test_set, EvalConfig(**FAST), device="cpu", store=store, show_progress=False)
    assert [r["spec"]["world_size"] for r in store.records("eval")] == [2]
    # a single-process run of the same config is another run (BatchNorm sees whole batches), and its
    # key has no world size, as every stored run's key never had
    monkeypatch.setattr(evaluation, "distributed_context", lambda: (0, 1))
    evaluate(ds, test_set, EvalConfig(**FAST), device="cpu", store=store, show_progress=False)
    assert sorted("world_size" in r["spec"] for r in store.records("eval")) == [False, True]


# --------------------------------------------------------------- 5. the teacher recipe


@pytest.mark.parametrize("flag,value", [("--epochs", 0), ("--epochs", -1), ("--batch-size", 0), ("--lr", "nan")])
def test_5_teacher_recipe_is_validated(tmp_path, capsys, flag, value):
    rc, err = cli(capsys, "teacher", "train", "--dataset", "digits", flag, value, "-o", tmp_path / "t.pt", "--no-progress")
    one_line_error(rc, err, "teacher ")
    assert not list(tmp_path.iterdir())


def test_5_an_untrained_teacher_file_is_refused(tmp_path, teacher):
    blob = torch.load(teacher, weights_only=True)
    blob["meta"]["train_config"]["epochs"] = 0
    torch.save(blob, tmp_path / "t.pt")
    with pytest.raises(DataError, match="untrained"):
        load_teacher(tmp_path / "t.pt")


# ------------------------------------------------------------- 6. the store verifies records


def _stored(tmp_path, test_set, monkeypatch):
    monkeypatch.setattr(evaluation, "train_student", lambda *a, **k: _fake_run())
    ds = DistilledSet(torch.rand(10, 3, 32, 32), torch.arange(10), num_classes=10, meta={"dataset": "digits"})
    store = ResultsStore(tmp_path / "store")
    evaluate(ds, test_set, EvalConfig(**FAST), device="cpu", store=store, show_progress=False)
    (path,) = list((store.root / "eval").glob("*.json"))
    return ds, store, path


@pytest.mark.parametrize("damage", ["other_key", "empty_dict", "empty_list", "truncated", "edited_spec"])
def test_6_bad_records_are_errors_naming_the_file_or_not_computed(tmp_path, test_set, monkeypatch, damage):
    ds, store, path = _stored(tmp_path, test_set, monkeypatch)
    record = json.loads(path.read_text())
    spec = json.loads(path.read_text())["spec"]
    if damage == "other_key":
        record["key"] = "0123456789abcdef"
        path.write_text(json.dumps(record))
    elif damage == "edited_spec":
        record["spec"]["test"]["size"] += 1
        path.write_text(json.dumps(record))
    else:
        path.write_text({"empty_dict": "{}", "empty_list": "[]", "truncated": path.read_text()[:40]}[damage])
    with pytest.raises(BadRecordError, match=str(path)):
        store.get("eval", spec)
    monkeypatch.setattr(evaluation, "train_student", lambda *a, **k: pytest.fail("trained"))
    with pytest.raises(BadRecordError):  # when training is allowed the file is not silently replaced
        evaluate(ds, test_set, EvalConfig(**FAST), device="cpu", store=store, show_progress=False)
    with pytest.warns(UserWarning, match=f"not computed.*{path.name}"):
        with pytest.raises(NotComputed):
            evaluate(ds, test_set, EvalConfig(**FAST), device="cpu", store=store, show_progress=False,
                     run_missing=False)


def test_6_gift_results_skips_and_names_unreadable_records(tmp_path, test_set, monkeypatch, capsys):
    _, store, path = _stored(tmp_path, test_set, monkeypatch)
    (path.parent / "ffffffffffffffff.json").write_text('{"key": ')
    with pytest.warns(UserWarning, match="ffffffffffffffff.json"):
        assert len(list(store.records())) == 1
    rc = main(["results", "--store", str(store.root)])
    out = capsys.readouterr()
    assert rc == 0 and "1 record(s)" in out.out
    assert "warning: skipped: the stored result" in out.err and "ffffffffffffffff.json" in out.err


def test_6_committed_records_verify_under_their_keys():
    """The store's verification must find every committed run: key and spec check out."""
    store = ResultsStore(ROOT / "results")
    files = sorted((ROOT / "results" / "eval").glob("*.json"))
    if not files:
        pytest.skip("no committed results")
    for path in files[:: max(1, len(files) // 40)]:
        record = json.loads(path.read_text())
        assert store.key(record["spec"]) == record["key"] == path.stem
        assert store.get("eval", record["spec"])["key"] == path.stem


# -------------------------------------------------------------- 7. image shape vs test set


@pytest.mark.parametrize("size,mode", [((16, 16), "RGB"), ((32, 24), "RGB"), ((32, 32), "L")])
def test_7_image_shape_must_match_the_test_set(tmp_path, capsys, no_training, size, mode):
    if mode == "L":  # a 1-channel set: PNG decoding makes RGB, so write the tensor form
        path = tmp_path / "data.pt"
        torch.save({"dataset": "digits", "data": torch.rand(10, 1, 32, 32), "label": torch.arange(10)}, path)
        target = path
    else:
        target = write_set(tmp_path / "s", range(10), size=size)
    rc, err = cli(capsys, "eval", target, "--dataset", "digits", "--epochs", 4, "--seeds", 0, "--no-progress")
    one_line_error(rc, err, "test images are 3x32x32")


# -------------------------------------------------------- 8. notebook parameter typing


def _tool(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / "tools" / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_8_notebook_boolean_typo_is_an_error():
    pytest.importorskip("jupytext")
    ex = _tool("execute_notebooks")
    declared = {"profile": "companion", "seed": 0, "run_missing": True}
    with pytest.raises(ex.ParameterError, match="boolean"):
        ex.typed_parameter("run_missing", "Flase", declared, "04")
    with pytest.raises(ex.ParameterError, match="no parameter"):
        ex.typed_parameter("runmissing", "False", declared, "04")
    with pytest.raises(ex.ParameterError, match="integer"):
        ex.typed_parameter("seed", "one", declared, "04")
    assert ex.typed_parameter("run_missing", "false", declared, "04") == "False"
    assert ex.typed_parameter("seed", "3", declared, "04") == "3"
    if ex.chapter_sources():
        assert ex.main(["--profile", "smoke", "-p", "run_missing", "Flase"]) == 2


def test_8_execute_notebooks_refuses_a_jobs_count_below_one(capsys):
    pytest.importorskip("jupytext")
    with pytest.raises(SystemExit) as exc:
        _tool("execute_notebooks").main(["--profile", "smoke", "--jobs", "0"])
    assert exc.value.code == 2 and "--jobs must be at least 1, got 0" in capsys.readouterr().err


# ------------------------------------------------------------ 9. no raw tracebacks


def test_9_teacher_metadata_missing_keys(tmp_path, teacher, capsys):
    blob = torch.load(teacher, weights_only=True)
    del blob["meta"]["num_classes"]
    torch.save(blob, tmp_path / "t.pt")
    with pytest.raises(DataError, match="lacks metadata keys"):
        load_teacher(tmp_path / "t.pt")
    one_line_error(*cli(capsys, "teacher", "info", tmp_path / "t.pt"), "num_classes")


@pytest.mark.parametrize("lr", ["fast", torch.empty(0), torch.tensor(float("nan")), torch.tensor(-0.01)])
def test_9_datm_lr_that_is_not_one_positive_number(tmp_path, lr):
    torch.save(torch.randn(10, 3, 32, 32), tmp_path / "images.pt")
    torch.save(torch.eye(10), tmp_path / "labels.pt")
    torch.save(lr, tmp_path / "lr.pt")
    with pytest.raises(DataError, match="lr"):
        load_distilled(tmp_path, dataset="digits")


@pytest.mark.parametrize("device", ["foo", "cuda:99"] + ([] if torch.cuda.is_available() else ["cuda"]))
def test_9_unavailable_device(tmp_path, capsys, device, no_training):
    folder = write_set(tmp_path / "s", range(10))
    one_line_error(*cli(capsys, "eval", folder, "--dataset", "digits", "--device", device, "--no-progress"), device)
    with pytest.raises(DeviceError):
        resolve_device(device)


def test_9_divergence_is_one_line_exit_2(tmp_path, capsys, monkeypatch):
    from gift.train.engine import TrainingDiverged

    def diverge(*a, **k):
        raise TrainingDiverged("the 'gift' loss became nan at epoch 1, step 1; lower the learning rate")

    monkeypatch.setattr(evaluation, "train_student", diverge)
    folder = write_set(tmp_path / "s", range(10))
    rc, err = cli(capsys, "eval", folder, "--dataset", "digits", "--epochs", 4, "--seeds", 0, "--no-progress",
                  "--output", tmp_path / "r.json")
    one_line_error(rc, err, "became nan")
    assert not (tmp_path / "r.json").exists()


def test_9_corrupt_partial_says_delete_it(tmp_path):
    train = load_dataset("digits", "train", show_progress=False)
    test = load_dataset("digits", "test", show_progress=False)
    partial = tmp_path / "t.pt.partial"
    partial.write_bytes(os.urandom(300))
    cfg = TeacherConfig(dataset="digits", model_kwargs={"width": 8}, epochs=1, precision="fp32")
    with pytest.raises(CheckpointError, match="delete it"):
        train_teacher(cfg, train, test, device="cpu", show_progress=False, checkpoint=partial)
    assert partial.exists()  # nothing deleted on the user's behalf


def test_9_a_tiny_file_claiming_a_huge_tensor(tmp_path):
    import zipfile

    torch.save({"a": torch.zeros(100)}, tmp_path / "ok.pt")
    with zipfile.ZipFile(tmp_path / "ok.pt") as z:
        entries = {i.filename: z.read(i.filename) for i in z.infolist()}
    pkl = next(k for k in entries if k.endswith("data.pkl"))
    entries[pkl] = entries[pkl].replace(b"K\x64t", b"J\x00\x00\x00\x7ft")  # numel 100 -> 2**31 - ...
    with zipfile.ZipFile(tmp_path / "big.pt", "w") as z:
        for k, v in entries.items():
            z.writestr(k, v)
    assert (tmp_path / "big.pt").stat().st_size < 4000
    with pytest.raises(CorruptFileError, match="claims .* bytes but the file holds 400"):
        safe_torch_load(tmp_path / "big.pt")
    # torch's legacy (pre-zip) format: the storages follow the pickles in the same stream
    torch.save({"a": torch.zeros(100)}, tmp_path / "old.pt", _use_new_zipfile_serialization=False)
    raw = (tmp_path / "old.pt").read_bytes()
    (tmp_path / "old-big.pt").write_bytes(raw.replace(b"K\x64N", b"J\x00\x00\x00\x7fN", 1))
    with pytest.raises(CorruptFileError, match="claim .* bytes but the file has"):
        safe_torch_load(tmp_path / "old-big.pt")
    assert safe_torch_load(tmp_path / "old.pt")["a"].shape == (100,)


# ------------------------------------------------------ 10. corrupt is not "unsafe"


@pytest.mark.parametrize("kind", ["random", "truncated"])
def test_10_corrupt_files_are_not_called_unsafe(tmp_path, teacher, capsys, kind):
    path = tmp_path / "t.pt"
    path.write_bytes(os.urandom(2000) if kind == "random" else teacher.read_bytes()[:1500])
    with pytest.raises(CorruptFileError) as ei:
        load_teacher(path)
    msg = str(ei.value)
    assert "corrupt or truncated" in msg and "refused for safety" not in msg and "file an issue" not in msg.lower()
    one_line_error(*cli(capsys, "teacher", "info", path), "corrupt or truncated")


def test_10_a_real_unsafe_file_is_still_refused(tmp_path):
    class Evil:
        def __reduce__(self):
            return (os.system, ("true",))

    torch.save({"x": Evil()}, tmp_path / "e.pt")
    with pytest.raises(UnsafeFileError, match="refused for safety"):
        safe_torch_load(tmp_path / "e.pt")


# ------------------------------------------------------------- 11. gift_loss overflow


def test_11_gift_loss_is_exact_for_huge_finite_logits():
    g = torch.Generator().manual_seed(0)
    s, t = torch.randn(8, 10, generator=g), torch.randn(8, 10, generator=g)
    y = torch.arange(8)
    big = (s * 1e20).requires_grad_()
    loss = gift_loss(big, t * 1e25, y)
    loss.backward()
    assert torch.allclose(loss, gift_loss(s, t, y), atol=1e-6)
    assert big.grad.abs().max() > 0 and torch.isfinite(big.grad).all()


def test_11_kl_refined_is_finite_for_huge_teacher_logits_and_unchanged_for_ordinary_ones():
    """The refined label is rescaled to the teacher row's norm; squaring 1e25 overflowed float32."""
    import torch.nn.functional as F
    from gift.losses import _kl, _refine, get_loss

    g = torch.Generator().manual_seed(0)
    s, t = torch.randn(8, 10, generator=g), 5 * torch.randn(8, 10, generator=g)
    y = torch.arange(8)
    loss = get_loss("kl_refined")
    huge = loss(s, t * 1e25, y)
    assert torch.isfinite(huge)
    r = _refine(t, y, 10, 0.1, 0.1, "paper", "gift", "logits")  # the former formula, on ordinary logits
    assert torch.equal(loss(s, t, y), _kl(s, F.normalize(r, dim=1) * t.norm(dim=1, keepdim=True), 20.0))


# ------------------------------------------------------------------------------ 12. minor


def test_12_repeated_seeds(tmp_path, capsys, no_training):
    folder = write_set(tmp_path / "s", range(10))
    one_line_error(*cli(capsys, "eval", folder, "--dataset", "digits", "--seeds", 0, 0, "--no-progress"), "repeated")


@pytest.mark.parametrize("bad", ["abc", "0/0", "3/2"])
def test_12_companion_worker_spec(bad):
    import argparse

    pytest.importorskip("fcntl")
    ap = argparse.ArgumentParser()
    with pytest.raises(SystemExit) as ei:
        _tool("companion_queue").parse_worker(ap, bad)
    assert ei.value.code == 2


def test_12_cifar10_folder_with_3_of_10_classes(tmp_path):
    write_set(tmp_path / "cifar10" / "test", range(3))
    with pytest.raises(IncompleteSetError, match="cifar10 has 10 classes but .* holds 3"):
        load_dataset("cifar10", "test", root=tmp_path, cache=False, show_progress=False)


@pytest.mark.parametrize("what", ["pixels", "label_logits", "lr"])
def test_12_nan_is_caught_at_load(tmp_path, what):
    images = torch.rand(10, 3, 32, 32)
    labels = torch.eye(10)
    if what == "pixels":
        images[3, 0, 0, 0] = float("nan")
    elif what == "label_logits":
        labels[2, 2] = float("inf")
    torch.save(images, tmp_path / "images.pt")
    torch.save(labels, tmp_path / "labels.pt")
    torch.save(torch.tensor(float("nan") if what == "lr" else 0.01), tmp_path / "lr.pt")
    with pytest.raises(NonFiniteDataError, match=str(tmp_path)):
        load_distilled(tmp_path, dataset="digits")
