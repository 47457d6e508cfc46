"""torch.compile in the engine: when ``auto`` compiles, and that a compiled run trains the same
student as an eager one (to rounding) and repeats itself exactly."""
from __future__ import annotations

import pytest
import torch

from gift.train.compilation import (AUTO_MIN_STEPS, ENV_VAR, compile_mode, cxx_compiler, inductor_works,
                              resolve_compile)
from gift.train import TestTensors, TrainTensors, train_student
from gift.models import get_model

from test_engine import C, tiny_data, tiny_eval_config

CPU, CUDA = torch.device("cpu"), torch.device("cuda")
needs_compiler = pytest.mark.skipif(cxx_compiler() is None, reason="inductor needs a C++ compiler on a CPU")


def test_auto_compiles_only_long_single_process_cpu_runs(monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    monkeypatch.setattr("gift.train.compilation.cxx_compiler", lambda: "g++")
    monkeypatch.setattr("gift.train.compilation.inductor_works", lambda: True)
    assert resolve_compile(None, CPU, steps=AUTO_MIN_STEPS)
    assert not resolve_compile("auto", CPU, steps=AUTO_MIN_STEPS - 1)  # a short run would not earn it back
    assert not resolve_compile("auto", CPU, steps=10 * AUTO_MIN_STEPS, world=2)  # DDP
    assert not resolve_compile("auto", CUDA, steps=10 * AUTO_MIN_STEPS)  # not measured there: opt in with 'on'
    assert resolve_compile("on", CUDA, steps=1) and not resolve_compile("off", CPU, steps=10**6)
    monkeypatch.setattr("gift.train.compilation.inductor_works", lambda: False)  # a broken toolchain
    assert not resolve_compile("auto", CPU, steps=10**6)
    monkeypatch.setattr("gift.train.compilation.cxx_compiler", lambda: None)
    assert not resolve_compile("auto", CPU, steps=10**6)
    with pytest.raises(RuntimeError, match="C\\+\\+ compiler"):
        resolve_compile("on", CPU, steps=1)


def test_the_environment_sets_the_default_and_bad_modes_are_named(monkeypatch):
    monkeypatch.setenv(ENV_VAR, "off")
    assert compile_mode(None) == "off" and compile_mode("on") == "on"
    monkeypatch.setenv(ENV_VAR, "yes")
    with pytest.raises(ValueError, match="'yes'.*GIFT_COMPILE.*auto, on, off"):
        compile_mode(None)
    with pytest.raises(ValueError, match="'fast'.*the call"):  # the argument, not the environment
        compile_mode("fast")
    with pytest.raises(ValueError, match="DDP"):
        resolve_compile("on", CPU, steps=1, world=2)


@pytest.mark.slow
@needs_compiler
@pytest.mark.parametrize("norm,precision,tolerance",
                         [("batch", "fp32", 1e-4), ("instance", "fp32", 1e-4), ("batch", "bf16", 3e-2)])
def test_a_compiled_run_matches_the_eager_run_and_repeats_itself(norm, precision, tolerance):
    x, y = tiny_data()
    xt, yt = tiny_data(n_per_class=5, seed=1)
    data, test = TrainTensors(x, y, C), TestTensors(xt, yt)
    torch.manual_seed(123)
    teacher = get_model("convnet3", C, 16, width=8, norm=norm).eval()
    # one batch of 12 per epoch: 4 steps; instance norm is DATM's student (ChannelsFirstGroupNorm)
    config = tiny_eval_config(epochs=4, precision=precision, model_kwargs={"width": 8, "norm": norm})

    def run(mode):
        return train_student(data, test, config, 0, teacher=teacher, compile=mode, show_progress=False)

    eager, first, second = run("off"), run("on"), run("on")
    assert first.compiled and not eager.compiled
    assert first.epoch_loss == second.epoch_loss  # deterministic, like the eager engine
    assert [c["accuracy"] for c in first.checkpoints] == [c["accuracy"] for c in second.checkpoints]
    assert first.epoch_loss == pytest.approx(eager.epoch_loss, rel=tolerance, abs=tolerance)


@pytest.mark.slow
@needs_compiler
def test_a_compiled_joint_run_matches_the_eager_joint_run():
    """Many models (gift.perf.multi) compiled: the stacked student and the frozen teacher."""
    from gift.perf.multi import train_students_together

    x, y = tiny_data()
    xt, yt = tiny_data(n_per_class=5, seed=1)
    data, test = TrainTensors(x, y, C), TestTensors(xt, yt)
    torch.manual_seed(123)
    teacher = get_model("convnet3", C, 16, width=8).eval()
    configs = [tiny_eval_config(epochs=4, batch_size=6, loss_kwargs={"gamma": g}) for g in (0.1, 0.5)]

    def run(mode):
        return train_students_together(data, test, configs, [0, 1], teacher=teacher, compile=mode,
                                       show_progress=False)

    eager, joint = run("off"), run("on")
    for e, j in zip(eager, joint):
        assert j.compiled and not e.compiled
        assert j.epoch_loss == pytest.approx(e.epoch_loss, rel=1e-4, abs=1e-4)


@needs_compiler
def test_the_toolchain_probe_passes_here_and_a_failing_one_falls_back(monkeypatch):
    assert inductor_works()  # this machine builds inductor kernels (the tests above rely on it)
    inductor_works.cache_clear()

    def broken(*args, **kwargs):
        raise OSError("no linker")

    monkeypatch.setattr(torch, "compile", broken)
    try:
        with pytest.warns(RuntimeWarning, match="no linker.*runs eagerly"):
            assert not inductor_works()
    finally:
        inductor_works.cache_clear()
