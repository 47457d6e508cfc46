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
from gift.teachers import TeacherConfig, load_teacher, save_teacher
from gift.train.teacher import train_teacher

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
    with pytest.raises(ValueError, match="was trained on 'digits', not on 'cifar10'"):
        load_teacher(teacher_file, dataset="cifar10")
    with pytest.raises(ValueError, match="predicts 10 classes but the expected data has 100"):
        load_teacher(teacher_file, num_classes=100)
    with pytest.raises(FileNotFoundError, match="gift teacher train"):
        load_teacher(teacher_file.parent / "missing.pt")


class _Evil:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_teacher_architecture_weights_and_unsafe_files_are_refused(teacher_file, tmp_path):
    with pytest.raises(ValueError, match="is a 'convnet3', not a 'resnet18_modified'"):
        load_teacher(teacher_file, architecture="resnet18_modified")
    blob = torch.load(teacher_file, weights_only=True)
    blob["meta"]["model_kwargs"] = {"width": 32}  # metadata that does not fit the stored weights
    torch.save(blob, tmp_path / "inconsistent.pt")
    with pytest.raises(ValueError, match="do not fit the convnet3"):
        load_teacher(tmp_path / "inconsistent.pt")
    marker = tmp_path / "MARKER"
    torch.save({"format": "gift-teacher-v1", "meta": {"x": _Evil(str(marker))}}, tmp_path / "evil.pt")
    for read in (load_teacher, gift.teachers.teacher_meta):
        with pytest.raises(ValueError, match="not executed"):
            read(tmp_path / "evil.pt")
    assert not marker.exists()
    assert main(["teacher", "info", str(tmp_path / "evil.pt")]) == 2


def test_evaluate_refuses_a_set_or_teacher_for_another_dataset(digits, distilled, teacher_file):
    """Equal class counts are not enough: a digits set or teacher must not be scored on CIFAR-10."""
    _, test = digits
    other = DistilledSet(images=distilled.images, labels=distilled.labels, num_classes=10, space="pixel",
                         meta={"dataset": "CIFAR10"})
    with pytest.raises(ValueError, match="the distilled set is for dataset 'cifar10' but the test set is 'digits'"):
        evaluate(other, test, EvalConfig(**FAST), show_progress=False)
    teacher = load_teacher(teacher_file)
    teacher.gift_meta = {**teacher.gift_meta, "dataset": "cifar10"}
    with pytest.raises(ValueError, match="teacher .* was trained on 'cifar10', not on 'digits'"):
        evaluate(distilled, test, EvalConfig(**FAST), teacher=teacher, show_progress=False)


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
                   "--store", "--output", "--no-progress", "--dataset", "--data-root", "--download", "--compile"):
        assert option in text, option


def test_cli_eval_end_to_end(tmp_path, distilled, teacher_file, capsys):
    folder = tmp_path / "set"
    save_distilled(folder, distilled)
    out = tmp_path / "run.json"
    rc = main(["eval", str(folder), "--teacher", str(teacher_file), "--epochs", "2", "--seeds", "0",
               "--num-checkpoints", "1", "--model-arg", "width=16", "--precision", "fp32", "--no-progress",
               "--compile", "off", "--output", str(out)])
    assert rc == 0
    line = capsys.readouterr().out.strip().splitlines()[-1]
    assert line.startswith("set [convnet3] gift: best ")
    record = json.loads(out.read_text())
    assert record["summary"]["seeds"] == 1 and record["hparams"]["batch_size"] == 50
    assert record["runs"][0]["compiled"] is False


def test_cli_reports_bad_input_clearly(tmp_path, distilled, capsys):
    folder = tmp_path / "set"
    save_distilled(folder, distilled)
    assert main(["eval", str(folder), "--loss", "cosinus", "--epochs", "1", "--seeds", "0",
                 "--num-checkpoints", "1", "--no-progress"]) == 2
    assert "unknown loss 'cosinus'" in capsys.readouterr().err
    assert main(["eval", str(tmp_path / "nothing-here"), "--no-progress"]) == 2
    # --dataset that contradicts the set's own metadata (both have 10 classes) is refused before any data loads
    assert main(["eval", str(folder), "--dataset", "cifar10", "--epochs", "1", "--num-checkpoints", "1", "--no-progress"]) == 2
    assert "for dataset 'digits' but dataset='cifar10' was given" in capsys.readouterr().err


def test_teacher_train_help_states_the_recipe_and_flags(capsys):
    with pytest.raises(SystemExit):
        main(["teacher", "train", "--help"])
    text = " ".join(capsys.readouterr().out.split())  # argparse wraps lines
    assert "Nesterov" in text and "cosine" in text and "crop + flip" in text
    for flag in ("--dataset", "--model", "--epochs", "--batch-size", "--lr", "--seed", "--data-root", "--download",
                 "--output"):
        assert flag in text, flag


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


@pytest.mark.slow
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


@pytest.mark.slow
def test_interrupted_teacher_training_resumes_to_the_same_weights(tmp_path, digits, monkeypatch):
    """A teacher job killed mid-way resumes from its per-epoch checkpoint and ends bit-identical."""
    import gift.train.teacher as teachers

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
    assert ckpt.exists() and len(meta["train_loss"]) == 3  # kept until the teacher is saved
    save_teacher(resumed, meta, tmp_path / "t.pt")
    assert not ckpt.exists()
    for (name, a), b in zip(whole.state_dict().items(), resumed.state_dict().values()):
        assert torch.equal(a, b), name
    other = TeacherConfig(dataset="digits", model="convnet3", model_kwargs={"width": 8}, epochs=4, precision="fp32")
    torch.save({"key": {"config": "other"}}, ckpt)
    with pytest.raises(ValueError, match="another teacher run"):
        train_teacher(other, train, test, device="cpu", show_progress=False, checkpoint=ckpt)


def _subparsers(parser, path=()):
    import argparse

    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield (*path, name), sub
                yield from _subparsers(sub, (*path, name))


def test_every_subcommand_has_help_for_every_argument(capsys):
    import argparse

    from gift.cli import build_parser

    commands = list(_subparsers(build_parser()))
    assert {"eval", "teacher", "results", "list", "distill", "bench"} <= {path[0] for path, _ in commands}
    for path, sub in commands:
        undocumented = [a.option_strings or a.dest for a in sub._actions
                        if not a.help and not isinstance(a, argparse._SubParsersAction)]
        assert not undocumented, f"gift {' '.join(path)}: no help for {undocumented}"
        with pytest.raises(SystemExit) as exit_:
            main([*path, "--help"])
        assert exit_.value.code == 0
        assert capsys.readouterr().out.startswith("usage: gift " + " ".join(path))
