"""DDP on CPU: two gloo processes train one student together."""
from __future__ import annotations

import os
import socket

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from gift.train import TestTensors, TrainTensors, train_student
from gift.models import get_model
from gift.protocol import EvalConfig

C = 4


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _worker(rank: int, world: int, port: int, out_dir: str) -> None:
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    torch.set_num_threads(1)
    dist.init_process_group("gloo", rank=rank, world_size=world)
    g = torch.Generator().manual_seed(0)
    labels = torch.arange(C).repeat_interleave(5)
    images = torch.randn(len(labels), 3, 16, 16, generator=g)
    torch.manual_seed(7)
    teacher = get_model("convnet3", C, 16, width=8).eval()
    cfg = EvalConfig(epochs=3, seeds=(0,), precision="fp32", num_checkpoints=1, batch_size=10,
                     model_kwargs={"width": 8})
    captured = {}

    # capture the trained student's parameters through the model registry's constructor
    import gift.train.engine as engine

    original = engine.get_model

    def capture(*args, **kw):
        captured["model"] = original(*args, **kw)
        return captured["model"]

    engine.get_model = capture
    run = train_student(TrainTensors(images, labels, C), TestTensors(images, labels), cfg, 0,
                        teacher=teacher, show_progress=False)
    flat = torch.cat([p.detach().flatten() for p in captured["model"].parameters()])
    torch.save({"params": flat, "final": run.final, "steps": run.steps}, os.path.join(out_dir, f"rank{rank}.pt"))
    dist.destroy_process_group()


@pytest.mark.slow
def test_two_gloo_processes_keep_one_student_in_sync(tmp_path):
    mp.spawn(_worker, args=(2, _free_port(), str(tmp_path)), nprocs=2, join=True)
    r0 = torch.load(tmp_path / "rank0.pt", weights_only=True)
    r1 = torch.load(tmp_path / "rank1.pt", weights_only=True)
    assert torch.equal(r0["params"], r1["params"]), "DDP ranks ended with different students"
    assert r0["steps"] == r1["steps"] == 3 * 2
    # the initial parameters moved: training happened on both ranks together
    torch.manual_seed(0)
    init = torch.cat([p.flatten() for p in get_model("convnet3", C, 16, width=8).parameters()])
    assert not torch.allclose(init, r0["params"])
