"""Many students at once (gift.perf.multi): the stacked network equals its members, a joint run equals
separate engine runs on the same batches, and incompatible configs are refused. No timing here."""
from __future__ import annotations

import copy

import pytest
import torch

import gift.train.engine as engine
import gift.perf.multi as multi
from gift.train import TestTensors, TrainTensors, train_student
from gift.models import get_model
from gift.perf.multi import StackedConvNet, check_stackable, train_students_together
from gift.train.batches import engine_batches
from gift.protocol import EvalConfig

C = 4




def tiny_data(n_per_class=3, size=16, seed=0):
    g = torch.Generator().manual_seed(seed)
    labels = torch.arange(C).repeat_interleave(n_per_class)
    images = 0.3 * torch.randn(len(labels), 3, size, size, generator=g)
    images[:, 0] += labels.view(-1, 1, 1).float() - 1.5
    return images, labels


@pytest.fixture(scope="module")
def data():
    x, y = tiny_data()
    xt, yt = tiny_data(n_per_class=5, seed=1)
    return TrainTensors(x, y, C), TestTensors(xt, yt)


@pytest.fixture(scope="module")
def teacher():
    torch.manual_seed(123)
    return get_model("convnet3", C, 16, width=8).eval()


def config(**kw):
    base = dict(epochs=2, seeds=(0,), precision="fp32", num_checkpoints=2, model="convnet3",
                model_kwargs={"width": 8}, batch_size=5)
    base.update(kw)
    return EvalConfig(**base)


def members(seeds, norm="batch", width=8):
    out = []
    for s in seeds:
        torch.manual_seed(s)
        out.append(get_model("convnet3", C, 16, width=width, norm=norm))
    return out


# ------------------------------------------------------------------------------ the network


@pytest.mark.parametrize("per_member_bytes", [None, 0, 20_000])  # grouped, per member, mixed
@pytest.mark.parametrize("norm", ["batch", "instance", "group", "layer", "none"])
def test_stacked_forward_equals_each_member(norm, per_member_bytes):
    nets = members([0, 1, 2], norm)
    copies = [copy.deepcopy(m) for m in nets]
    stacked = StackedConvNet(nets, per_member_bytes=per_member_bytes)
    x = torch.randn(6, 3, 16, 16)
    out = stacked(x)
    assert out.shape == (3, 6, C)
    for k, ref in enumerate(copies):
        torch.testing.assert_close(out[k], ref(x), rtol=1e-4, atol=1e-5)
    xs = torch.randn(3, 6, 3, 16, 16)  # one batch per member
    out = stacked(xs)
    for k, ref in enumerate(copies):
        torch.testing.assert_close(out[k], ref(xs[k]), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("per_member_bytes", [None, 0])
def test_batchnorm_statistics_are_per_member_and_shared_with_the_members(per_member_bytes):
    nets = members([0, 1])
    copies = [copy.deepcopy(m) for m in nets]
    stacked = StackedConvNet(nets, per_member_bytes=per_member_bytes)
    stacked = stacked.to(memory_format=torch.channels_last)  # _apply keeps the links
    x = torch.randn(5, 3, 16, 16)
    stacked(x)
    for ref in copies:
        ref(x)
    for k, ref in enumerate(copies):
        bn, bn_ref = nets[k].features[1], ref.features[1]
        torch.testing.assert_close(bn.running_mean, bn_ref.running_mean, rtol=1e-4, atol=1e-6)
        torch.testing.assert_close(bn.running_var, bn_ref.running_var, rtol=1e-4, atol=1e-6)
        assert int(bn.num_batches_tracked) == 1
    stacked.eval()
    for k, ref in enumerate(copies):  # eval mode uses the (shared) running statistics
        torch.testing.assert_close(stacked(x)[k], ref.eval()(x), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("per_member_bytes", [None, 20_000])
def test_gradients_are_those_of_the_separate_members(per_member_bytes):
    nets = members([0, 1])
    copies = [copy.deepcopy(m) for m in nets]
    x, y = torch.randn(5, 3, 16, 16), torch.arange(5) % C
    out = StackedConvNet(nets, per_member_bytes=per_member_bytes)(x)
    sum(torch.nn.functional.cross_entropy(out[k], y) * (k + 1) for k in range(2)).backward()
    for k, ref in enumerate(copies):
        (torch.nn.functional.cross_entropy(ref(x), y) * (k + 1)).backward()
        for p, q in zip(nets[k].parameters(), ref.parameters()):
            torch.testing.assert_close(p.grad, q.grad, rtol=1e-4, atol=1e-6)


def test_stacking_refuses_what_it_cannot_stack():
    with pytest.raises(ValueError, match="only ConvNets"):
        StackedConvNet([get_model("resnet18_modified", C, 16)])
    with pytest.raises(ValueError, match="same architecture"):
        StackedConvNet([members([0])[0], members([0], width=4)[0]])
    with pytest.raises(ValueError, match=r"\[K=2, B, C, H, W\]"):
        StackedConvNet(members([0, 1]))(torch.randn(3, 2, 3, 16, 16))


# ----------------------------------------------------------------------- configs and errors


def test_incompatible_configs_are_refused_with_the_field_named(data, teacher):
    train, test = data
    with pytest.raises(ValueError, match=r"configs\[1\]\.epochs = 3 differs"):
        check_stackable([config(), config(epochs=3)], [0, 0])
    with pytest.raises(ValueError, match="optimizer"):
        check_stackable([config(), config(optimizer="sgd")], [0, 0])
    with pytest.raises(ValueError, match="model_kwargs"):
        check_stackable([config(), config(model_kwargs={"width": 4})], [0, 0])
    with pytest.raises(ValueError, match="one seed per config"):
        check_stackable([config(), config()], [0])
    with pytest.raises(ValueError, match="not a ConvNet"):
        check_stackable([config(model="resnet18_modified", model_kwargs={})], [0])
    # batch_size None and the rule's value are the same batch size
    check_stackable([config(batch_size=None), config(batch_size=50)], [0, 1], num_images=100)
    # loss, its hyperparameters, lr and weight decay may differ
    check_stackable([config(), config(loss="kl", lr=0.01, weight_decay=0.0, loss_kwargs={"T": 4.0})], [0, 1])
    with pytest.raises(ValueError, match="needs soft labels"):
        train_students_together(train, test, [config(), config(loss="kl")], [0, 1], show_progress=False)


# ------------------------------------------------------------------- joint run = separate runs


def capture_models(monkeypatch, module):
    made = []
    real = module.get_model

    def get_model_and_keep(*args, **kw):
        made.append(real(*args, **kw))
        return made[-1]

    monkeypatch.setattr(module, "get_model", get_model_and_keep)
    return made


def test_engine_batches_are_the_engines(monkeypatch, data, teacher):
    """The hook reproduces the engine's batch sequence exactly (shuffle and DSA draws)."""
    train, test = data
    seen = []
    real = engine.get_augmentation

    def recording(name):
        aug = real(name)
        return lambda x, g: seen.append(aug(x, g)) or seen[-1]

    monkeypatch.setattr(engine, "get_augmentation", recording)
    cfg = config(epochs=3)
    train_student(train, test, cfg, 7, teacher=teacher, show_progress=False)
    monkeypatch.undo()  # the hook draws through the same module: record only the engine's batches
    ours = [x for _, _, _, x in engine_batches(train, cfg, 7)]
    assert len(ours) == len(seen) == 3 * 3
    for a, b in zip(ours, seen):
        torch.testing.assert_close(a, b, rtol=0, atol=0)


@pytest.mark.parametrize("optimizer", ["sgd", "adamw"])
def test_two_identical_members_match_the_single_model_engine(monkeypatch, data, teacher, optimizer):
    """share_batches, seeds [0, 0], one config: both members are the engine's seed-0 run."""
    train, test = data
    cfg = config(epochs=3, optimizer=optimizer, augment="dsa")
    with monkeypatch.context() as m:
        single = capture_models(m, engine)
        ref = train_student(train, test, cfg, 0, teacher=teacher, show_progress=False)
    with monkeypatch.context() as m:
        stacked = capture_models(m, multi)
        runs = train_students_together(train, test, [cfg, cfg], [0, 0], teacher=teacher, show_progress=False)
    assert len(runs) == 2 and len(stacked) == 2
    expected = single[0].state_dict()
    for run, net in zip(runs, stacked):
        assert run.seed == 0 and run.steps == ref.steps
        assert [c["epoch"] for c in run.checkpoints] == [c["epoch"] for c in ref.checkpoints]
        assert run.epoch_loss == pytest.approx(ref.epoch_loss, rel=1e-4, abs=1e-5)
        assert [c["accuracy"] for c in run.checkpoints] == [c["accuracy"] for c in ref.checkpoints]
        for name, value in net.state_dict().items():
            if optimizer == "adamw" and (name.endswith("running_mean") or _feeds_batchnorm(net, name)):
                # a conv bias right before BatchNorm has zero gradient up to rounding, which Adam
                # normalises to +-lr: it and the running mean wander; the function they compute does not
                continue
            torch.testing.assert_close(value.float(), expected[name].float(), rtol=1e-4, atol=1e-5, msg=name)


def _feeds_batchnorm(net, name):
    parts = name.split(".")
    if parts[0] != "features" or parts[-1] != "bias":
        return False
    i = int(parts[1])
    return isinstance(net.features[i], torch.nn.Conv2d) and isinstance(net.features[i + 1], torch.nn.BatchNorm2d)


def test_members_with_their_own_loss_and_lr_match_their_separate_runs(data, teacher):
    """Different losses and learning rates in one joint run (shared batches of seed 0)."""
    train, test = data
    cfgs = [config(optimizer="sgd"), config(optimizer="sgd", loss="kl", lr=0.05, weight_decay=0.0),
            config(optimizer="sgd", loss_kwargs={"gamma": 0.5})]
    runs = train_students_together(train, test, cfgs, [0, 0, 0], teacher=teacher, show_progress=False)
    for cfg, run in zip(cfgs, runs):
        ref = train_student(train, test, cfg, 0, teacher=teacher, show_progress=False)
        assert run.epoch_loss == pytest.approx(ref.epoch_loss, rel=1e-4, abs=1e-5)
        assert run.best == ref.best


def test_per_member_batches_reproduce_each_seeds_separate_run(data, teacher):
    train, test = data
    cfg = config(optimizer="sgd")
    runs = train_students_together(train, test, [cfg, cfg], [0, 1], teacher=teacher, share_batches=False,
                                   show_progress=False)
    for seed, run in zip([0, 1], runs):
        ref = train_student(train, test, cfg, seed, teacher=teacher, show_progress=False)
        assert run.seed == seed
        assert run.epoch_loss == pytest.approx(ref.epoch_loss, rel=1e-4, abs=1e-5)
        assert run.best == ref.best


def test_stored_and_hard_labels(data):
    train, test = data
    soft = torch.randn(train.images.shape[0], C, generator=torch.Generator().manual_seed(3))
    with_soft = TrainTensors(train.images, train.labels, C, soft)
    cfgs = [config(loss="kl", optimizer="sgd"), config(loss="mse", optimizer="sgd")]
    runs = train_students_together(with_soft, test, cfgs, [0, 0], share_batches=False, show_progress=False)
    for cfg, run in zip(cfgs, runs):
        ref = train_student(with_soft, test, cfg, 0, show_progress=False)
        assert run.epoch_loss == pytest.approx(ref.epoch_loss, rel=1e-4, abs=1e-5)
    run, = train_students_together(train, test, [config(loss="ce")], [0], show_progress=False)
    ref = train_student(train, test, config(loss="ce"), 0, show_progress=False)
    assert run.epoch_loss == pytest.approx(ref.epoch_loss, rel=1e-4, abs=1e-5)


def test_a_short_real_run_matches_separate_runs_within_noise(data, teacher):
    """Default precision (bf16 on a bf16 CPU), three seeds with their own batches: the joint run's
    accuracies agree with separate runs' within seed noise."""
    train, test = data
    cfg = config(precision="auto", epochs=6, num_checkpoints=2, lr=0.003)
    runs = train_students_together(train, test, [cfg] * 3, [0, 1, 2], teacher=teacher, share_batches=False,
                                   show_progress=False)
    separate = [train_student(train, test, cfg, s, teacher=teacher, show_progress=False) for s in (0, 1, 2)]
    joint = sum(r.best for r in runs) / 3
    alone = sum(r.best for r in separate) / 3
    assert abs(joint - alone) <= 10.0  # 20 test images: one image is 5 points
    assert all(r.precision == separate[0].precision for r in runs)
    for r, s in zip(runs, separate):
        assert r.epoch_loss[0] == pytest.approx(s.epoch_loss[0], rel=0.05)
