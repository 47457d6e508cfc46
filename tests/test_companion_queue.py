"""The companion queue: each job listed once, and two workers never claim the same job."""
import importlib.util
from pathlib import Path

import pytest

pytest.importorskip("fcntl")  # the queue's locks are POSIX advisory locks


def _queue():
    path = Path(__file__).resolve().parents[1] / "tools" / "companion_queue.py"
    spec = importlib.util.spec_from_file_location("companion_queue", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_jobs_are_unique_and_cheap_comparisons_come_first():
    jobs = _queue().jobs()
    assert len(jobs) == len({repr(j) for j in jobs})
    # every method's own-loss vs GIFT pair at IPC 10 opens the queue
    assert jobs[:2] == [("rded", 10, {"loss": "kl"}), ("rded", 10, {"loss": "gift"})]
    # the rows only chapter 9 reads come after the DATM grid and the teacher; the third
    # cross-architecture student (added after the queue had run) closes it
    last_datm = max(i for i, j in enumerate(jobs) if j[0] == "datm")
    assert last_datm < jobs.index(("teacher", "instance"))
    assert jobs.index(("sre2l", 50, {"loss": "ce", "label_source": "hard"})) == len(jobs) - 5
    assert [j[2]["model"] for j in jobs[-4:]] == ["mobilenet_v2"] * 4


def test_a_claimed_job_is_refused_to_a_second_worker_and_freed_on_exit(tmp_path):
    q = _queue()
    job, other_job = ("rded", 10, {"loss": "kl"}), ("rded", 10, {"loss": "gift"})
    with q._claim(str(tmp_path), job, dry=False) as first:
        assert first
        with q._claim(str(tmp_path), ("rded", 10, {"loss": "kl"}), dry=False) as second:
            assert not second  # flock locks are per open file, so this models another process
        with q._claim(str(tmp_path), other_job, dry=False) as other:
            assert other
    with q._claim(str(tmp_path), job, dry=False) as again:
        assert again


def test_runs_relabelled_by_another_teacher_wait_for_its_training():
    q = _queue()
    instance_run = ("random", 10, {"loss": "gift", "model_kwargs": {"norm": "instance"}, "teacher_norm": "instance"})
    assert q.prerequisite(instance_run) == ("teacher", "instance")
    assert q.prerequisite(("rded", 10, {"loss": "kl"})) is None
    assert q.prerequisite(("teacher", "instance")) is None and q.prerequisite(("continual", "kl")) is None
    assert ("teacher", "instance") in q.jobs() and instance_run in q.jobs()
