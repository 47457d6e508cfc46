"""The reference loop (the authors' data path, fp32) against the engine, and `gift bench` plumbing.

The engine and the reference are driven with one fixed batch: every image of a one-batch set goes
into the batch (so both see the same images, only possibly permuted, which a batch-mean loss and
BatchNorm do not notice), or a one-image set with real DSA (both draw the same augmentation from
generators seeded alike). The optimizer is replaced by one that records the gradients, so loss and
gradients are compared directly. No timing is asserted anywhere."""
from __future__ import annotations

import copy

import pytest
import torch

import gift.train.engine as engine
import gift.train.labels as labels
import gift.perf.reference as reference
from gift.train import TestTensors, TrainTensors, train_student
from gift.data.datasets import CIFAR_MEAN, CIFAR_STD
from gift.models import get_model
from gift.protocol import EvalConfig
from gift.perf.reference import SampleDataset, train_student_reference

C = 4
MEAN, STD = CIFAR_MEAN, CIFAR_STD  # the authors' CIFAR constants




def pixel_data(n_per_class=2, size=16, seed=0):
    """Class-coloured images in [0, 1] (pixel space)."""
    g = torch.Generator().manual_seed(seed)
    labels = torch.arange(C).repeat_interleave(n_per_class)
    images = (0.5 + 0.15 * torch.randn(len(labels), 3, size, size, generator=g)).clamp(0, 1)
    images[:, 0] = (images[:, 0] + 0.2 * (labels.view(-1, 1, 1).float() - 1.5)).clamp(0, 1)
    return images, labels


def normalized(images):
    return (images - torch.tensor(MEAN).view(1, 3, 1, 1)) / torch.tensor(STD).view(1, 3, 1, 1)


@pytest.fixture(scope="module")
def teacher():
    torch.manual_seed(123)
    return get_model("convnet3", C, 16, width=8).eval()


def config(**kw):
    base = dict(epochs=1, seeds=(0,), precision="fp32", num_checkpoints=1, model="convnet3",
                model_kwargs={"width": 8})
    base.update(kw)
    return EvalConfig(**base)


class GradRecorder(torch.optim.SGD):
    """Records the gradients at each step and leaves the weights alone."""

    def __init__(self, params):
        super().__init__(params, lr=0.0)
        self.grads: list[list[torch.Tensor]] = []

    @torch.no_grad()
    def step(self, closure=None):
        self.grads.append([p.grad.detach().clone() for g in self.param_groups for p in g["params"]])


def instrument(monkeypatch, module, record, augment=None):
    """Patch ``module``'s optimizer, loss and (optionally) augmentation factories to record.
    Both loops build their loss through ``gift.train.labels.loss_for``, so the loss is patched there."""
    real_get_loss = labels.get_loss

    def build_optimizer(cfg, params, learned_lr=None):
        opt = GradRecorder(params)
        record["opt"] = opt
        return opt

    def get_loss(name, **kw):
        fn = real_get_loss(name, **kw)
        fn.register_forward_hook(lambda m, i, out: record.setdefault("loss", []).append(out.detach().clone()))
        return fn

    monkeypatch.setattr(module, "build_optimizer", build_optimizer)
    monkeypatch.setattr(labels, "get_loss", get_loss)
    if augment is not None:
        monkeypatch.setattr(module, "get_augmentation", lambda name: augment)


def deterministic_augment(x, generator):
    """The same transform for every image: so a permuted batch gets permuted outputs."""
    return x.flip(3) * 0.8 + 0.05


def run_both(monkeypatch, images, labels, cfg, teacher, soft=None, augment=None):
    eng, ref = {}, {}
    test = TestTensors(normalized(images), labels)
    with monkeypatch.context() as m:
        instrument(m, engine, eng, augment)
        train_student(TrainTensors(normalized(images), labels, C, soft), test, cfg, 0,
                      teacher=copy.deepcopy(teacher), show_progress=False)
    with monkeypatch.context() as m:
        instrument(m, reference, ref, augment)
        train_student_reference(TrainTensors(images, labels, C, soft), TestTensors(images, labels), cfg, 0,
                                teacher=teacher, show_progress=False, normalize=(MEAN, STD))
    return eng, ref


def assert_same_step(eng, ref):
    assert len(eng["loss"]) == len(ref["loss"]) == 1
    torch.testing.assert_close(eng["loss"][0], ref["loss"][0], rtol=1e-5, atol=1e-6)
    (g_eng,), (g_ref,) = eng["opt"].grads, ref["opt"].grads
    assert len(g_eng) == len(g_ref) > 0
    for a, b in zip(g_eng, g_ref):
        # atol: conv biases feeding BatchNorm have a zero gradient up to rounding (~1e-6)
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)
    assert any(float(g.abs().max()) > 1e-4 for g in g_eng)  # a real signal, not all zeros


@pytest.mark.parametrize("loss,source", [("gift", "teacher"), ("kl", "stored"), ("ce", "hard")])
def test_same_loss_and_gradients_on_one_fixed_batch(monkeypatch, teacher, loss, source):
    images, labels = pixel_data(n_per_class=2)
    soft = torch.randn(len(labels), C, generator=torch.Generator().manual_seed(5)) if source == "stored" else None
    cfg = config(loss=loss, label_source=source, batch_size=len(labels))
    eng, ref = run_both(monkeypatch, images, labels, cfg, teacher, soft=soft, augment=deterministic_augment)
    assert_same_step(eng, ref)


def test_same_loss_and_gradients_with_real_dsa(monkeypatch, teacher):
    """One image, one step: both loops draw the same DSA parameters from alike-seeded generators."""
    images, labels = pixel_data(n_per_class=1)
    images, labels = images[2:3], labels[2:3]
    cfg = config(loss="gift", label_source="teacher", batch_size=1, augment="dsa")
    eng, ref = run_both(monkeypatch, images, labels, cfg, teacher)
    assert_same_step(eng, ref)


def test_reference_run_follows_the_protocol(teacher):
    images, labels = pixel_data(n_per_class=3)  # 12 images, batch 5: 3 steps/epoch, last one partial
    data, test = TrainTensors(images, labels, C), TestTensors(images, labels)
    cfg = config(epochs=4, num_checkpoints=2, batch_size=5)
    a = train_student_reference(data, test, cfg, 0, teacher=teacher, show_progress=False, normalize=(MEAN, STD))
    b = train_student_reference(data, test, cfg, 0, teacher=teacher, show_progress=False, normalize=(MEAN, STD))
    assert [c["epoch"] for c in a.checkpoints] == [2, 4]
    assert a.steps == 4 * 3 and a.precision == "fp32" and len(a.epoch_loss) == 4
    assert a.epoch_loss == b.epoch_loss and a.best == b.best  # reproducible from the seed
    assert a.best == max(c["accuracy"] for c in a.checkpoints) and a.final == a.checkpoints[-1]["accuracy"]


def test_reference_leaves_the_teacher_alone(teacher):
    images, labels = pixel_data()
    before = copy.deepcopy(teacher.state_dict())
    t = copy.deepcopy(teacher).to(memory_format=torch.channels_last)
    train_student_reference(TrainTensors(normalized(images), labels, C), TestTensors(normalized(images), labels),
                            config(), 0, teacher=t, show_progress=False)
    assert t.features[0].weight.is_contiguous(memory_format=torch.channels_last)
    for name, value in t.state_dict().items():
        torch.testing.assert_close(value, before[name])


def test_reference_errors():
    images, labels = pixel_data()
    data, test = TrainTensors(images, labels, C), TestTensors(images, labels)
    with pytest.raises(ValueError, match="needs a teacher"):
        train_student_reference(data, test, config(label_source="teacher"), 0, show_progress=False)
    with pytest.raises(ValueError, match="needs soft labels"):
        train_student_reference(data, test, config(loss="kl"), 0, show_progress=False)
    with pytest.raises(ValueError, match="both mean and std"):
        SampleDataset(images, labels, mean=MEAN)


def test_sample_dataset_normalizes_each_sample():
    images, labels = pixel_data()
    ds = SampleDataset(images, labels, mean=MEAN, std=STD)
    x, y, i = ds[3]
    torch.testing.assert_close(x, normalized(images)[3])
    assert int(y) == int(labels[3]) and i == 3


# ------------------------------------------------------------------------------------ gift bench


@pytest.mark.parametrize("compile", ["off", "on"])
def test_bench_runs_on_a_tiny_network(capsys, monkeypatch, compile):
    from gift.perf.bench import BenchSettings, run_bench

    # the plumbing only: compiling itself is tested in test_compilation.py (a cold compile here
    # would cost a minute of CI)
    monkeypatch.setattr("gift.train.compilation.cxx_compiler", lambda: "g++")
    monkeypatch.setattr("gift.train.compilation.compiled", lambda net, frozen=False: net)  # engine and multi
    settings = BenchSettings(batch_size=4, steps=2, repeats=1, precision="fp32", models=2, device="cpu",
                             width=4, image_size=8, num_images=8, test_images=8, warmup_steps=1, compile=compile)
    report = run_bench(settings)
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[-1].startswith("speedup engine/reference: ") and lines[-1].endswith("x")
    variants = ("reference", "engine", "engine_kl", "multi") + (("engine_eager",) if compile == "on" else ())
    assert set(report["img_per_s"]) == set(variants)
    assert all(report["img_per_s"][key] > 0 for key in variants)
    assert report["compiled"] is (compile == "on")
    assert report["speedup"] == pytest.approx(report["img_per_s"]["engine"] / report["img_per_s"]["reference"])
    text = "\n".join(lines)
    assert "extrapolat" in text
    assert ("torch.compile gives" in text) is (compile == "on")


def test_bench_cli_help_documents_every_option(capsys):
    from gift.cli import main

    with pytest.raises(SystemExit):
        main(["bench", "--help"])
    text = capsys.readouterr().out
    for option in ("--batch-size", "--steps", "--repeats", "--precision", "--models", "--device", "--full",
                   "--compile"):
        assert option in text
