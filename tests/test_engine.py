"""The training engine and the evaluation protocol on tiny in-memory data."""
from __future__ import annotations

import json
import math

import pytest
import torch

from gift.train import TestTensors, TrainingDiverged, TrainTensors, train_student
from gift.models import get_model
from gift.protocol import (EvalConfig, batch_size_rule, build_optimizer, checkpoint_epochs, lr_milestones,
                           resolved_hparams)


C = 4


def tiny_data(n_per_class=3, size=16, seed=0):
    """Class-coloured noise images: learnable, so accuracy above chance is a real signal."""
    g = torch.Generator().manual_seed(seed)
    labels = torch.arange(C).repeat_interleave(n_per_class)
    images = 0.3 * torch.randn(len(labels), 3, size, size, generator=g)
    images[:, 0] += labels.view(-1, 1, 1).float() - 1.5
    return images, labels


def tiny_eval_config(**kw):
    base = dict(epochs=2, seeds=(0,), precision="fp32", num_checkpoints=2, augment="dsa",
                model="convnet3", model_kwargs={"width": 8})
    base.update(kw)
    return EvalConfig(**base)


@pytest.fixture(scope="module")
def data():
    x, y = tiny_data()
    xt, yt = tiny_data(n_per_class=5, seed=1)
    return TrainTensors(x, y, C), TestTensors(xt, yt)


@pytest.fixture(scope="module")
def teacher():
    torch.manual_seed(123)
    return get_model("convnet3", C, 16, width=8).eval()


def test_batch_size_rule_matches_the_authors_table():
    assert [batch_size_rule(n) for n in (1, 10, 11, 100, 500, 501, 1000, 10000, 20000, 20001, 50000)] == [
        10, 10, 50, 50, 50, 100, 100, 100, 100, 200, 200]
    with pytest.raises(ValueError, match="empty"):
        batch_size_rule(0)


def test_milestones_and_checkpoints():
    assert lr_milestones(1000) == [666, 833]
    assert lr_milestones(300) == [200, 250]
    assert checkpoint_epochs(1000, 4) == [250, 500, 750, 1000]
    assert checkpoint_epochs(300, 4) == [75, 150, 225, 300]
    assert checkpoint_epochs(10, 4) == [2, 4, 6, 10]
    assert checkpoint_epochs(2, 2) == [1, 2]


def test_transformers_get_the_authors_smaller_adamw_lr():
    swin = EvalConfig(model="swin_v2_t")
    assert resolved_hparams(swin, 100)["lr"] == 1e-4
    assert resolved_hparams(EvalConfig(), 100)["lr"] == 1e-3
    assert resolved_hparams(EvalConfig(model="swin_v2_t", optimizer="sgd"), 100)["lr"] == 0.01
    assert resolved_hparams(EvalConfig(model="swin_v2_t", lr=3e-4), 100)["lr"] == 3e-4
    params = [torch.nn.Parameter(torch.zeros(2))]
    assert build_optimizer(swin, params).param_groups[0]["lr"] == 1e-4


def test_config_rejects_unknown_keys_and_bad_values():
    with pytest.raises(ValueError, match="unknown EvalConfig key"):
        EvalConfig.from_dict({"epochs": 3, "learning_rate": 0.1})
    with pytest.raises(ValueError, match="unknown optimizer 'rmsprop'.*adam, adamw, sgd"):
        EvalConfig(optimizer="rmsprop")
    with pytest.raises(ValueError, match="label_source"):
        EvalConfig(label_source="teachers")
    with pytest.raises(ValueError, match="seeds is empty"):
        EvalConfig(seeds=())
    assert EvalConfig.from_dict(EvalConfig().to_dict()) == EvalConfig()


@pytest.mark.parametrize("bad, message", [
    ({"precision": "fp8"}, "unknown precision 'fp8'; valid: auto, bf16, fp32"),
    ({"momentum": 0.9}, "momentum=0.9 has no effect with optimizer 'adamw'; only sgd takes a momentum"),
    ({"optimizer": "adam", "momentum": 0.9}, "no effect with optimizer 'adam'"),
    ({"epochs": "10"}, "epochs must be an integer, got '10'"),
    ({"batch_size": 2.5}, "batch_size must be an integer"),
    ({"seeds": 3}, r"seeds must be a sequence of integers, e\.g\. seeds=\(0, 1, 2\), got 3"),
    ({"seeds": "012"}, "seeds must be a sequence of integers"),
    ({"lr": "1e-3"}, "lr must be a number or None, got '1e-3'"),
    ({"loss_kwargs": None}, "loss_kwargs must be a dict"),
])
def test_config_names_a_wrong_value_or_type_before_any_work(bad, message):
    """Each of these used to pass the config and fail later, inside training or with Python's own
    message (a precision at the first autocast, momentum silently ignored by AdamW but recorded)."""
    with pytest.raises(ValueError, match=message):
        EvalConfig(**bad)


def test_a_mistyped_config_keyword_lists_the_valid_ones():
    from gift.teachers import TeacherConfig

    with pytest.raises(ValueError, match=r"unknown EvalConfig key\(s\) \['gama'\]; valid keys are: model, "):
        EvalConfig(gama=0.1)
    with pytest.raises(ValueError, match="unknown EvalConfig key"):
        EvalConfig().replace(los="kl")
    with pytest.raises(ValueError, match=r"unknown TeacherConfig key\(s\) \['epoch'\]"):
        TeacherConfig(epoch=3)


def test_config_accepts_integer_likes_and_stores_plain_ints():
    import numpy as np

    cfg = EvalConfig(epochs=np.int64(10), seeds=(np.int64(0), 1), optimizer="sgd", momentum=0.5)
    assert type(cfg.epochs) is int and cfg.seeds == (0, 1) and cfg.momentum == 0.5
    assert EvalConfig(seeds=range(3)).seeds == (0, 1, 2) and EvalConfig(seeds=(s for s in (4, 5))).seeds == (4, 5)


def test_two_epoch_run_records_checkpoints_and_is_reproducible(data, teacher):
    train, test = data
    cfg = tiny_eval_config(batch_size=5)
    a = train_student(train, test, cfg, seed=0, teacher=teacher, show_progress=False)
    b = train_student(train, test, cfg, seed=0, teacher=teacher, show_progress=False)
    c = train_student(train, test, cfg, seed=1, teacher=teacher, show_progress=False)
    assert [p["epoch"] for p in a.checkpoints] == [1, 2]
    assert a.best == max(p["accuracy"] for p in a.checkpoints)
    assert a.final == a.checkpoints[-1]["accuracy"]
    assert a.steps == 2 * 3  # 12 images, batch 5 -> 3 steps per epoch, the last partial batch kept
    assert a.epoch_loss == b.epoch_loss and a.checkpoints == b.checkpoints
    assert a.epoch_loss != c.epoch_loss
    assert all(math.isfinite(v) for v in a.epoch_loss)


def test_stored_and_hard_label_sources(data):
    train, test = data
    soft = TrainTensors(train.images, train.labels, C, soft_labels=torch.randn(len(train.labels), C))
    run = train_student(soft, test, tiny_eval_config(loss="soft_ce"), 0, show_progress=False)
    assert len(run.checkpoints) == 2
    run = train_student(train, test, tiny_eval_config(loss="ce"), 0, show_progress=False)
    assert len(run.checkpoints) == 2
    with pytest.raises(ValueError, match="needs soft labels but there is no teacher"):
        train_student(train, test, tiny_eval_config(loss="gift"), 0, show_progress=False)
    with pytest.raises(ValueError, match="label_source='teacher' needs a teacher"):
        train_student(train, test, tiny_eval_config(label_source="teacher"), 0, show_progress=False)


def test_a_teacher_for_other_classes_is_refused(data):
    train, test = data
    wrong = get_model("convnet3", C + 1, 16, width=8).eval()
    with pytest.raises(ValueError, match="teacher predicts 5 classes but the distilled set has 4"):
        train_student(train, test, tiny_eval_config(), 0, teacher=wrong, show_progress=False)


def test_nan_loss_stops_with_epoch_and_step(data, teacher):
    train, test = data
    cfg = tiny_eval_config(loss="ce", lr=1e30, epochs=3, num_checkpoints=1)
    with pytest.raises(TrainingDiverged, match=r"epoch \d+, step \d+"):
        train_student(train, test, cfg, 0, show_progress=False)


def test_bad_train_tensors_are_named():
    x, y = tiny_data()
    with pytest.raises(ValueError, match="empty"):
        TrainTensors(x[:0], y[:0], C)
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 4\)"):
        TrainTensors(x, y + 1, C)
    with pytest.raises(ValueError, match="soft_labels must be"):
        TrainTensors(x, y, C, soft_labels=torch.zeros(len(y), C + 1))


def test_every_optimizer_trains(data, teacher):
    train, test = data
    for name in ("adamw", "adam", "sgd"):
        run = train_student(train, test, tiny_eval_config(optimizer=name), 0, teacher=teacher, show_progress=False)
        assert all(math.isfinite(v) for v in run.epoch_loss)
    with pytest.raises(ValueError, match="only sgd takes a momentum"):  # refused with the config, before training
        tiny_eval_config(optimizer="adamw", momentum=0.9)


def test_bf16_and_fp32_reach_similar_accuracy():
    """A short but real run: bf16 autocast must not change what is learned beyond noise."""
    x, y = tiny_data(n_per_class=10)
    xt, yt = tiny_data(n_per_class=25, seed=1)
    train, test = TrainTensors(x, y, C), TestTensors(xt, yt)
    accs = {}
    for precision in ("fp32", "bf16"):
        cfg = tiny_eval_config(loss="ce", epochs=15, num_checkpoints=1, precision=precision,
                               augment="none", batch_size=10)
        accs[precision] = train_student(train, test, cfg, 0, show_progress=False).final
    assert accs["fp32"] > 60 and accs["bf16"] > 60, accs
    assert abs(accs["fp32"] - accs["bf16"]) <= 15, accs


def test_eval_result_is_json_ready(tmp_path, data, teacher):
    from gift.evaluation import EvalResult
    from dataclasses import asdict

    train, test = data
    runs = [asdict(train_student(train, test, tiny_eval_config(), s, teacher=teacher, show_progress=False))
            for s in (0, 1)]
    result = EvalResult(config=tiny_eval_config().to_dict(), hparams={}, runs=runs)
    s = result.summary()
    assert s["seeds"] == 2
    assert s["best_mean"] == pytest.approx(sum(r["best"] for r in runs) / 2)
    result.save_json(tmp_path / "r.json")
    assert json.loads((tmp_path / "r.json").read_text())["summary"]["seeds"] == 2
    assert result.precisions == ["fp32"]  # the tiny config asks for fp32; each seed records it
    mixed = EvalResult(config={}, hparams={}, runs=[{"precision": "bf16"}, {"precision": "fp32"}, {}])
    assert mixed.precisions == ["bf16", "fp32", "unrecorded"]


def test_ddp_refuses_a_batch_too_small_to_share(data, monkeypatch):
    """12 images in batches of 11 leave a last batch of 1: with 2 ranks one would get no images
    and the other would wait for it forever, so the run stops before training with the fix."""
    import gift.train.engine as engine
    from gift.train.batches import check_shards

    train, test = data
    monkeypatch.setattr(engine, "distributed_context", lambda: (0, 2))
    with pytest.raises(ValueError, match=r"2 processes cannot share a batch of 1 image.*last batch of each epoch holds 1"):
        train_student(train, test, tiny_eval_config(batch_size=11), 0, show_progress=False)
    check_shards(12, 6, 2)  # 6 + 6: every rank gets 3 images
    check_shards(12, 5, 2)  # 5 + 5 + 2
    with pytest.raises(ValueError, match="use at most 4 processes"):
        check_shards(12, 4, 8)


def test_ce_on_a_set_with_stored_soft_labels_is_the_hard_label_run():
    """CE reads only the class labels: on a set that stores soft labels (DATM's), its run with
    ``label_source="stored"`` is the same computation as with ``"hard"``, which is why chapter 9
    reads DATM's hard-label row from the CE run of the loss grid."""
    x, y = tiny_data(n_per_class=5)
    soft = torch.randn(len(y), C, generator=torch.Generator().manual_seed(3))
    test = TestTensors(*tiny_data(n_per_class=5, seed=1))
    runs = {source: train_student(TrainTensors(x, y, C, soft if source == "stored" else None), test,
                                  tiny_eval_config(loss="ce", label_source=source, epochs=3, batch_size=8), 0,
                                  show_progress=False)
            for source in ("stored", "hard")}
    assert runs["stored"].epoch_loss == runs["hard"].epoch_loss
    assert runs["stored"].checkpoints == runs["hard"].checkpoints
