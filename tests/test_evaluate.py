"""evaluate() end to end on digits, the results store, and the `gift` command line."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import torch

import gift
from gift.cli import main
from gift.data import DistilledSet, load_dataset, save_distilled
from gift.evaluation import evaluate
from gift.models import get_model
from gift.protocol import EvalConfig
from gift.results import ResultsStore
from gift.teachers import TeacherConfig, load_teacher, save_teacher, train_teacher

FAST = dict(epochs=2, seeds=(0, 1), precision="fp32", num_checkpoints=2, model_kwargs={"width": 16})


@pytest.fixture(scope="module")
def digits():
    return load_dataset("digits", "train", show_progress=False), load_dataset("digits", "test", show_progress=False)


@pytest.fixture(scope="module")
def distilled(digits):
    train, _ = digits
    idx = torch.cat([(train.labels == c).nonzero()[:3, 0] for c in range(10)])
    return DistilledSet(
        images=train.images[idx].float() / 255, labels=train.labels[idx], num_classes=10, space="pixel",
        meta={"dataset": "digits", "recipe": {"method": "first3", "dataset": "digits", "ipc": 3}},
    )


@pytest.fixture(scope="module")
def teacher_file(tmp_path_factory, digits):
    train, test = digits
    cfg = TeacherConfig(dataset="digits", model="convnet3", model_kwargs={"width": 16}, epochs=2,
                        batch_size=128, precision="fp32")
    model, meta = train_teacher(cfg, train, test, device="cpu", show_progress=False)
    path = tmp_path_factory.mktemp("teacher") / "digits_convnet3.pt"
    save_teacher(model, meta, path)
    return path


def test_top_level_imports():
    from gift import gift_loss, get_loss, get_model, refine_labels  # noqa: F401

    assert "gift" in gift.list_losses() and "convnet3" in gift.list_models()


def test_teacher_round_trip_and_checks(teacher_file):
    t = load_teacher(teacher_file, dataset="digits", num_classes=10)
    assert t.gift_meta["dataset"] == "digits" and not t.training
    assert all(not p.requires_grad for p in t.parameters())
    with pytest.raises(ValueError, match="has dataset 'digits' but 'cifar10' was expected"):
        load_teacher(teacher_file, dataset="cifar10")
    with pytest.raises(ValueError, match="number of classes"):
        load_teacher(teacher_file, num_classes=100)
    with pytest.raises(FileNotFoundError, match="gift teacher train"):
        load_teacher(teacher_file.parent / "missing.pt")


def test_evaluate_with_store_trains_once(tmp_path, digits, distilled, teacher_file, monkeypatch):
    _, test = digits
    teacher = load_teacher(teacher_file)
    store = ResultsStore(tmp_path / "results")
    config = EvalConfig(**FAST)
    first = evaluate(distilled, test, config, teacher=teacher, device="cpu", store=store, show_progress=False)
    assert len(first.runs) == 2 and len(list(store.records("eval"))) == 2
    record = next(store.records("eval"))
    assert record["spec"]["data"] == {"recipe": distilled.meta["recipe"]}
    assert record["spec"]["teacher"] == {"id": teacher.gift_meta["id"]}
    for key in ("gift_version", "git_commit", "torch", "device", "date", "wall_time_s"):
        assert key in record["provenance"]

    import gift.evaluation as ev

    def no_training(*a, **k):
        raise AssertionError("a stored run was trained again")

    monkeypatch.setattr(ev, "train_student", no_training)
    again = evaluate(distilled, test, config, teacher=teacher, device="cpu", store=store, show_progress=False)
    assert again.summary() == pytest.approx(first.summary())
    # a different config is a different key: it must train
    with pytest.raises(AssertionError, match="trained again"):
        evaluate(distilled, test, config.replace(loss="kl"), teacher=teacher, device="cpu", store=store,
                 show_progress=False)


def test_evaluate_refuses_mismatched_classes(digits, distilled):
    _, test = digits
    other = DistilledSet(images=distilled.images, labels=distilled.labels % 5, num_classes=5, space="pixel")
    with pytest.raises(ValueError, match="has 5 classes but the test set 'digits' has 10"):
        evaluate(other, test, EvalConfig(**FAST), show_progress=False)


def test_eval_help_documents_every_option(capsys):
    with pytest.raises(SystemExit):
        main(["eval", "--help"])
    text = capsys.readouterr().out
    for option in ("--teacher", "--label-source", "--loss", "--loss-arg", "--model", "--model-arg", "--optimizer",
                   "--lr", "--weight-decay", "--momentum", "--use-learned-lr", "--epochs", "--batch-size",
                   "--num-checkpoints", "--augment", "--factor", "--seeds", "--precision", "--device",
                   "--store", "--output", "--no-progress", "--dataset", "--data-root"):
        assert option in text, option


def test_cli_eval_end_to_end(tmp_path, distilled, teacher_file, capsys):
    folder = tmp_path / "set"
    save_distilled(folder, distilled)
    out = tmp_path / "run.json"
    rc = main(["eval", str(folder), "--teacher", str(teacher_file), "--epochs", "2", "--seeds", "0",
               "--num-checkpoints", "1", "--model-arg", "width=16", "--precision", "fp32", "--no-progress",
               "--output", str(out)])
    assert rc == 0
    line = capsys.readouterr().out.strip().splitlines()[-1]
    assert line.startswith("set [convnet3] gift: best ")
    record = json.loads(out.read_text())
    assert record["summary"]["seeds"] == 1 and record["hparams"]["batch_size"] == 50


def test_cli_reports_bad_input_clearly(tmp_path, distilled, capsys):
    folder = tmp_path / "set"
    save_distilled(folder, distilled)
    assert main(["eval", str(folder), "--loss", "cosinus", "--epochs", "1", "--seeds", "0",
                 "--num-checkpoints", "1", "--no-progress"]) == 2
    assert "unknown loss 'cosinus'" in capsys.readouterr().err
    assert main(["eval", str(tmp_path / "nothing-here"), "--no-progress"]) == 2


@pytest.mark.slow
def test_torchrun_trains_one_student_on_two_gloo_processes(tmp_path, distilled, teacher_file):
    folder = tmp_path / "set"
    save_distilled(folder, distilled)
    out = tmp_path / "ddp.json"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
           "-m", "gift", "eval", str(folder), "--teacher", str(teacher_file), "--epochs", "2", "--seeds", "0",
           "--num-checkpoints", "1", "--model-arg", "width=16", "--precision", "fp32", "--device", "cpu",
           "--no-progress", "--output", str(out)]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "on 2 processes" in proc.stdout
    assert json.loads(out.read_text())["summary"]["seeds"] == 1


def test_model_for_other_size_is_refused():
    with pytest.raises(ValueError):
        get_model("convnet6", 10, 32)


@pytest.fixture(scope="module")
def digits_zca(digits):
    from gift.data import fit_zca

    return fit_zca(digits[0], eps=0.1, cache=False)


@pytest.mark.parametrize("lazy", [False, True], ids=["fitted", "function"])
def test_zca_space_set_accepts_a_fitted_zca_or_a_function_returning_one(digits, distilled, digits_zca, lazy):
    """DATM-style sets: the test images are whitened with ZCA fitted on the real training images."""
    train, test = digits
    zca = digits_zca
    whitened = DistilledSet(images=zca.transform(distilled.images), labels=distilled.labels, num_classes=10,
                            space="zca", soft_labels=torch.randn(len(distilled.labels), 10),
                            meta={"recipe": {"method": "zca-test"}})
    cfg = EvalConfig(**{**FAST, "seeds": (0,), "loss": "soft_ce"})
    res = evaluate(whitened, test, cfg, zca=(lambda: zca) if lazy else zca, device="cpu", show_progress=False)
    assert 0 <= res.runs[0]["best"] <= 100
    with pytest.raises(ValueError, match="ZCA space"):
        evaluate(whitened, test, cfg, device="cpu", show_progress=False)


def test_interrupted_teacher_training_resumes_to_the_same_weights(tmp_path, digits, monkeypatch):
    """A teacher job killed mid-way resumes from its per-epoch checkpoint and ends bit-identical."""
    import gift.teachers as teachers

    train, test = digits
    cfg = TeacherConfig(dataset="digits", model="convnet3", model_kwargs={"width": 8}, epochs=3,
                        batch_size=256, precision="fp32")
    whole, _ = train_teacher(cfg, train, test, device="cpu", show_progress=False)

    ckpt = tmp_path / "t.pt.partial"
    real_progress = teachers.progress

    class Interrupted:  # a progress bar whose job is killed when the third epoch starts
        def __init__(self, iterable, **kw):
            self.bar = real_progress(iterable, **kw)

        def __iter__(self):
            for i, epoch in enumerate(self.bar):
                if i == 2:
                    raise KeyboardInterrupt
                yield epoch

        def set_postfix(self, **kw):
            self.bar.set_postfix(**kw)

    interrupted = Interrupted

    monkeypatch.setattr(teachers, "progress", interrupted)
    with pytest.raises(KeyboardInterrupt):
        train_teacher(cfg, train, test, device="cpu", show_progress=False, checkpoint=ckpt)
    assert ckpt.exists()
    monkeypatch.setattr(teachers, "progress", real_progress)
    resumed, meta = train_teacher(cfg, train, test, device="cpu", show_progress=False, checkpoint=ckpt)
    assert not ckpt.exists() and len(meta["train_loss"]) == 3
    for (name, a), b in zip(whole.state_dict().items(), resumed.state_dict().values()):
        assert torch.equal(a, b), name
    other = TeacherConfig(dataset="digits", model="convnet3", model_kwargs={"width": 8}, epochs=4, precision="fp32")
    torch.save({"key": {"config": "other"}}, ckpt)
    with pytest.raises(ValueError, match="another teacher run"):
        train_teacher(other, train, test, device="cpu", show_progress=False, checkpoint=ckpt)
