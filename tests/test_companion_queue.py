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


def test_jobs_are_unique_and_verdict_deciding_comparisons_come_first():
    jobs = _queue().jobs()
    assert len(jobs) == len({repr(j) for j in jobs})
    # the IPC-10 main table opens the queue: each method's own loss, KL (the matched baseline) and GIFT
    head = jobs[:10]
    for m in ("random", "rded", "sre2l", "datm"):
        assert (m, 10, {"loss": "kl"}) in head and (m, 10, {"loss": "gift"}) in head
    # SGD and Adam come with the KL x T^2 control, before the grids
    for opt in ("sgd", "adam"):
        control = ("rded", 10, {"loss": "kl", "loss_kwargs": {"t2_scale": True}, "optimizer": opt})
        assert jobs.index(control) < jobs.index(("rded", 10, {"loss": "kd"}))
    # the cheap IPC-1 main table comes before the grids; each grid covers both ablation sets before
    # the next grid starts, so a claim over both sets is decided as early as possible
    assert jobs.index(("sre2l", 1, {"loss": "gift"})) < jobs.index(("rded", 10, {"loss": "kl_refined"}))
    assert jobs.index(("sre2l", 10, {"loss": "cosine"})) < jobs.index(("rded", 10, {"loss": "gift", "loss_kwargs": {"gamma": 0.0}}))
    assert jobs.index(("sre2l", 10, {"loss": "nkd"})) < jobs.index(("rded", 10, {"loss": "ce"}))
    assert jobs[-2:] == [("continual", "kl"), ("continual", "gift")]


def test_the_queue_reads_the_profiles_grids():
    from gift.companion import get_profile

    q, p = _queue(), get_profile("companion")
    jobs = q.jobs("companion")
    for g in p.gammas:
        assert ("rded", 10, {"loss": "gift", "loss_kwargs": {"gamma": g}}) in jobs
    for L in (*p.loss_grid, *p.kd_losses):
        assert ("rded", 10, {"loss": L}) in jobs
    for name, student in p.students.items():
        if student:
            assert ("rded", 10, {"loss": "gift", **student}) in jobs


@pytest.mark.parametrize("bad", ["abc", "0/0", "3/2", "-1/2", "1"])
def test_a_bad_worker_spec_is_a_usage_error(bad):
    import argparse

    ap = argparse.ArgumentParser()
    with pytest.raises(SystemExit) as exc:
        _queue().parse_worker(ap, bad)
    assert exc.value.code == 2


def test_the_parsed_command_line_is_hidden_from_torchs_compiler(monkeypatch):
    """inductor takes the word after ``--only`` in sys.argv as a benchmark name and pastes it into
    generated Python: ``--only "('rded', 10, {'loss': 'kd'})"`` made every compiled run a SyntaxError."""
    import sys

    from torch._inductor.utils import get_benchmark_name

    job = "('rded', 10, {'loss': 'kd'})"
    monkeypatch.setattr(sys, "argv", ["companion_queue.py", "--only", job, "--worker", "1/2"])
    assert get_benchmark_name() == job  # what inductor would have pasted
    args = _queue().parse_args()
    assert args.only == [job] and args.worker == (1, 2)
    assert sys.argv == ["companion_queue.py"] and get_benchmark_name() is None


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


def test_the_queue_covers_every_evaluation_behind_a_verdict():
    """Every run the claims checklist asks for (all claims but the recorded ones: Theorem 1 and the
    continual-learning steps) is a job of the queue, compared by its full evaluation config."""
    import json

    from gift.companion import Experiment
    from gift.companion.checklist import Checklist

    real = Experiment("companion", run_missing=False, show_progress=False)

    class Recorder:
        profile, store = real.profile, real.store

        def __init__(self):
            self.calls = []

        def set_available(self, method, ipc=10):
            return None

        def evaluate(self, method, ipc, **kw):
            self.calls.append((method, ipc, kw))
            return None

        in_precision_of = Experiment.in_precision_of  # a lookup of stored twins: never a job

    def key(method, ipc, kw):
        kw = dict(kw)
        teacher_norm = kw.pop("teacher_norm", "batch")
        return json.dumps([method, ipc, teacher_norm, real.config(method, **kw).to_dict()], sort_keys=True)

    rec = Recorder()
    checklist = Checklist(rec)
    for build in (checklist.loss_choice, checklist.gift_best_loss, checklist.improves_every_method,
                  checklist.random_control, checklist.both_modules, checklist.gamma, checklist.beats_kd,
                  checklist.avoids_collapse, checklist.scale_explains_collapse, checklist.sgd_adam_beat_adamw,
                  checklist.cross_architecture):
        build()
    queued = {key(*job) for job in _queue().jobs() if len(job) == 3}
    missing = [call for call in rec.calls if key(*call) not in queued]
    assert rec.calls and not missing, missing


def test_only_keeps_the_jobs_whose_description_matches():
    q = _queue()
    jobs = q.jobs()
    kept = [j for j in jobs if q.selected(j, ["resnet18_modified", "mobilenet_v2"])]
    assert kept and all("model" in j[2] for j in kept) and len(kept) == 8
    assert [j for j in jobs if q.selected(j, [])] == jobs


def test_list_counts_the_stored_seeds_of_an_unfinished_job():
    from types import SimpleNamespace

    stored = {0, 3}

    class Ex:
        profile = SimpleNamespace(seeds=(0, 1, 2, 3, 4))
        calls = []

        def stored(self, method, ipc, **kw):  # a lookup: the count must never train
            self.calls.append(kw)
            return object() if kw["seeds"][0] in stored else None

    ex = Ex()
    assert _queue().stored_seeds(ex, ("rded", 10, {"loss": "gift"})) == 2
    assert all(call["loss"] == "gift" and len(call["seeds"]) == 1 for call in ex.calls)  # one seed at a time


def test_two_workers_share_a_jobs_seeds_and_only_the_store_is_read_for_the_rest(tmp_path):
    """A seed another worker holds is neither trained nor reported as done; the job's result is read
    with ``Experiment.stored``, which never trains."""
    from types import SimpleNamespace

    q = _queue()
    job = ("rded", 10, {"loss": "gift"})
    stored = {0}

    class Ex:
        profile = SimpleNamespace(seeds=(0, 1, 2, 3, 4))

        def __init__(self):
            self.trained, self.lookups = [], []

        def evaluate(self, method, ipc, seeds=None, **kw):
            seeds = seeds or self.profile.seeds
            missing = [s for s in seeds if s not in stored]
            self.trained += missing
            stored.update(missing)
            return None if len(seeds) > 1 else object()  # no full result is formatted here

        def stored(self, method, ipc, seeds=None, **kw):
            seeds = seeds or self.profile.seeds
            self.lookups.append(seeds)
            return object() if all(s in stored for s in seeds) and len(seeds) == 1 else None

    ex = Ex()
    with q._claim(str(tmp_path), (*job, 2), dry=False) as other_worker:  # another process holds seed 2
        assert other_worker
        text = q.train_seeds(ex, str(tmp_path), job)
    assert ex.trained == [1, 3, 4] and ex.lookups  # the lookups trained nothing: seed 2 stays untrained
    assert text.startswith("4 of 5 seeds stored")


def test_list_reads_the_recorded_continual_steps_without_data(monkeypatch):
    """On a clone without the images ``--list`` shows the GDumb steps chapter 7 recorded, as on
    the machine that trained them, instead of a data error."""
    from gift.companion import continual_learning as cl

    steps = [{"trivial": True, "runs": []}, {"trivial": False, "runs": [{"best": 80.0}, {"best": 81.0}]}]
    monkeypatch.setattr(cl, "summaries", lambda ex, seed, **kw: {"kl|10": steps, "gift|10": []})
    ex = type("Ex", (), {"profile": type("P", (), {"name": "companion"})()})()
    queue = _queue()
    assert queue.recorded_continual(ex, "kl") == "100.0 80.5"
    assert queue.recorded_continual(ex, "gift") == "not recorded yet"
