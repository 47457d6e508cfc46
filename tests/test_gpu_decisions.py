"""The GPU path's decisions, checked on a CPU machine with a mocked CUDA device: which device,
which precision (never emulated bf16: a T4 reports is_bf16_supported() == True), which autocast,
whether to compile."""
from __future__ import annotations

import warnings

import pytest
import torch

from gift.train import compilation, precision
from gift.utils import resolve_device

CARDS = {  # name: compute capability
    "Tesla T4": (7, 5), "Tesla V100": (7, 0), "Tesla P100": (6, 0),
    "NVIDIA A100": (8, 0), "NVIDIA L4": (8, 9), "NVIDIA H100": (9, 0),
}


@pytest.fixture
def fake_cuda(monkeypatch):
    def use(name: str):
        cap = CARDS[name]
        monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
        monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
        monkeypatch.setattr(torch.cuda, "current_device", lambda: 0)
        monkeypatch.setattr(torch.cuda, "get_device_capability", lambda device=None: cap)
        monkeypatch.setattr(torch.cuda, "get_device_name", lambda device=None: name)
        # what torch answers on every one of these cards (emulation counts as "supported")
        monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: True)
        return cap
    return use


def test_auto_device_is_cuda_when_available(fake_cuda, monkeypatch):
    fake_cuda("Tesla T4")
    assert resolve_device("auto") == torch.device("cuda")
    assert resolve_device("cpu") == torch.device("cpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert resolve_device("auto") == torch.device("cpu")


@pytest.mark.parametrize("card,want", [("Tesla T4", "fp32"), ("Tesla V100", "fp32"), ("Tesla P100", "fp32"),
                                       ("NVIDIA A100", "bf16"), ("NVIDIA L4", "bf16"), ("NVIDIA H100", "bf16")])
def test_auto_precision_never_picks_emulated_bf16(fake_cuda, card, want):
    fake_cuda(card)
    for dev in (torch.device("cuda"), torch.device("cuda:0")):
        assert precision.resolve_precision("auto", dev) == want
    assert precision.resolve_precision("fp32", torch.device("cuda")) == "fp32"


def test_explicit_bf16_on_a_t4_is_kept_with_a_warning(fake_cuda):
    fake_cuda("Tesla T4")
    with pytest.warns(RuntimeWarning, match="emulated"):
        assert precision.resolve_precision("bf16", torch.device("cuda")) == "bf16"
    fake_cuda("NVIDIA A100")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert precision.resolve_precision("bf16", torch.device("cuda")) == "bf16"


def test_autocast_follows_the_resolved_precision(fake_cuda):
    fake_cuda("NVIDIA A100")
    cuda = torch.device("cuda")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch warns that the (mocked) CUDA is not really there
        ctx = precision.autocast(precision.resolve_precision("auto", cuda), cuda)
    assert isinstance(ctx, torch.autocast) and ctx.fast_dtype == torch.bfloat16 and ctx.device == "cuda"
    fake_cuda("Tesla T4")
    ctx = precision.autocast(precision.resolve_precision("auto", cuda), cuda)
    assert not isinstance(ctx, torch.autocast)  # fp32: no autocast, so no GradScaler is needed


def test_unknown_precision_is_an_error():
    with pytest.raises(ValueError, match="unknown precision"):
        precision.resolve_precision("fp16", torch.device("cpu"))


@pytest.mark.parametrize("card", ["Tesla T4", "NVIDIA H100"])
def test_compile_decisions_on_cuda(fake_cuda, monkeypatch, card):
    fake_cuda(card)
    monkeypatch.delenv(compilation.ENV_VAR, raising=False)
    cuda = torch.device("cuda")
    # auto compiles only long CPU runs: a GPU run stays eager (no inductor/triton warm-up on Colab)
    assert compilation.resolve_compile(None, cuda, steps=100_000) is False
    assert compilation.resolve_compile("on", cuda, steps=10) is True
    assert compilation.resolve_compile("off", cuda, steps=100_000) is False
    with pytest.raises(ValueError, match="DDP"):
        compilation.resolve_compile("on", cuda, steps=10, world=2)
    monkeypatch.setenv(compilation.ENV_VAR, "on")
    assert compilation.resolve_compile(None, cuda, steps=10) is True
