"""The chapters' layer: profiles, lazily resolved sets, store-backed evaluation, paper numbers."""
import dataclasses

import pytest

from gift import EvalConfig
from gift.evaluation import EvalResult
from gift.companion import (Experiment, LazySet, Profile, fmt, get_profile, hardware_summary, provenance_summary,
                              run_plan)
from gift.protocol import resolved_hparams
from gift.companion.paper import paper_rows, paper_value




def tiny_profile(**kw) -> Profile:
    base = dataclasses.replace(
        get_profile("smoke"), name="tiny", model_kwargs={"width": 8}, teacher_epochs=1, epochs=4,
        seeds=(0,), persistent=True, distill_options={"rded": {"mipc": 5, "num_crop": 1}},
    )
    return dataclasses.replace(base, **kw)


def test_paper_numbers_are_packaged_and_filterable():
    assert paper_value(table=3, dataset="CIFAR-100", ipc=10, setting="GIFT") == (50.6, 0.3)
    assert {r["table"] for r in paper_rows()} >= {1, 2, 3, 4, 5, 6, 7, 12, 13}
    with pytest.raises(ValueError, match="valid fields"):
        paper_rows(tabel=1)
    with pytest.raises(LookupError, match="rows match"):
        paper_value(table=1)


def test_spelled_out_defaults_name_the_same_run():
    a = EvalConfig(loss="gift", loss_kwargs={"gamma": 0.1}, model_kwargs={"width": 128})
    b = EvalConfig(loss="gift")
    assert a.to_dict() == b.to_dict()
    with pytest.raises(ValueError, match="unknown option"):
        EvalConfig(model="convnet3", model_kwargs={"wdth": 3})


def test_store_backed_evaluation_and_lazy_sets(tmp_path):
    ex = Experiment(tiny_profile(), results_dir=tmp_path, show_progress=False, device="cpu")
    first = ex.evaluate("rded", 1, loss="gift")
    assert first is not None and len(first.runs) == 1
    # a fresh handle finds the set's recipe and the run without making the set again
    again = Experiment(tiny_profile(), results_dir=tmp_path, show_progress=False, device="cpu", run_missing=False)
    assert isinstance(again.distilled("rded", 1), LazySet)
    second = again.evaluate("rded", 1, loss="gift", loss_kwargs={"gamma": 0.1})
    assert second.runs[0]["best"] == first.runs[0]["best"]
    assert again.evaluate("rded", 1, loss="kl") is None  # not computed, and not trained
    # a lookup never trains, even on an experiment that trains what is missing
    assert ex.stored("rded", 1, loss="kl") is None and ex.run_missing
    assert ex.stored("rded", 1, loss="gift").runs[0]["best"] == first.runs[0]["best"]
    assert fmt(None) == "not computed"
    assert "1 training run " in provenance_summary([second, None])
    # the same stored run shown in two places of a chapter is one run of its provenance line
    shown_twice = again.evaluate("rded", 1, loss="gift", loss_kwargs={"gamma": 0.1})
    assert shown_twice is not second and "1 training run " in provenance_summary([second, shown_twice])
    # a missing run makes the lazy set materialize from its folder, with the same recipe
    ex2 = Experiment(tiny_profile(), results_dir=tmp_path, show_progress=False, device="cpu")
    assert ex2.evaluate("rded", 1, loss="ce") is not None
    assert ex2.distilled("rded", 1).materialize().meta["recipe"] == again.distilled("rded", 1).meta["recipe"]


def test_smoke_profile_never_writes_to_the_repository_store(tmp_path):
    ex = Experiment("smoke", show_progress=False)
    assert "gift-smoke-" in str(ex.store.root)


def test_unknown_profile_and_method_are_named():
    with pytest.raises(ValueError, match="valid profile names"):
        Experiment("smok")
    ex = Experiment("smoke", show_progress=False)
    with pytest.raises(ValueError, match="no 'datm' sets"):
        ex.distilled("datm", 10)


def test_a_set_made_by_the_cli_is_adopted_only_with_the_profile_recipe(tmp_path):
    from gift.cli import main

    ex = Experiment(tiny_profile(), results_dir=tmp_path / "store", show_progress=False, device="cpu")
    teacher = ex.teacher_path()
    ex.teacher()  # trains and saves the profile's teacher
    out = tmp_path / "made"
    assert main(["distill", "rded", "--dataset", "digits", "--ipc", "1", "--teacher", str(teacher), "--mipc", "5",
                 "--num-crop", "1", "--output", str(out), "--no-progress", "--device", "cpu"]) == 0
    target = ex.register_set(out)
    assert (target / "distilled.json").exists()
    assert isinstance(Experiment(tiny_profile(), results_dir=tmp_path / "store", run_missing=False,
                                 show_progress=False).distilled("rded", 1), LazySet)
    other = tmp_path / "other"
    assert main(["distill", "rded", "--dataset", "digits", "--ipc", "1", "--teacher", str(teacher), "--mipc", "6",
                 "--num-crop", "1", "--output", str(other), "--no-progress", "--device", "cpu"]) == 0
    with pytest.raises(ValueError, match="expects"):
        ex.register_set(other)


def _result(accuracies_by_seed, **config):
    cfg = EvalConfig(epochs=8, **config)
    runs = [{"seed": s, "checkpoints": [{"epoch": e, "accuracy": a} for e, a in zip((2, 4, 6, 8), accs)]}
            for s, accs in accuracies_by_seed.items()]
    return EvalResult(config=cfg.to_dict(), hparams=resolved_hparams(cfg, 100), runs=runs)


def test_run_plan_names_what_ran_but_not_the_accuracies():
    a = _result({0: [10, 20, 30, 40], 1: [11, 21, 31, 41]}, loss="gift", loss_kwargs={"gamma": 0.2})
    b = _result({0: [12, 22, 32, 42.5], 1: [13, 23, 33, 43]}, loss="gift", loss_kwargs={"gamma": 0.2})
    (line,) = run_plan({("rded", 10): a})
    assert line.startswith("rded 10: gift(gamma=0.2) convnet3() adamw lr=0.001 wd=0.0001 batch=50 epochs=8")
    assert "milestones=[5, 6]" in line and "seeds=[0, 1]" in line and "checkpoints=[2, 4, 6, 8]" in line
    assert line.endswith("accuracies valid=True")
    assert run_plan({"x": a}) == run_plan({"x": b})  # other accuracies, same plan
    assert run_plan({"x": _result({0: [1, 2, 3, 4]}, loss="kl")}) != run_plan({"x": a})
    assert run_plan({"x": _result({0: [1, 2, 3, 140]})})[0].endswith("valid=False")
    assert run_plan({"missing": None}) == ["missing: not computed"]


def test_hardware_summary_tells_gpu_runs_from_cpu_runs():
    class Res:
        def __init__(self, *devices):
            self.runs = [{"provenance": {"device": d}} for d in devices]

    cpu_a, cpu_b, gpu = "cpu: AMD EPYC (2 cores)", "cpu: Intel Xeon (2 cores)", "NVIDIA H100 80GB HBM3"
    assert hardware_summary([Res(cpu_a, cpu_a), None]) == "CPU only (2 runs on 1 CPU model)"
    assert hardware_summary([Res(cpu_a), Res(cpu_b)]) == "CPU only (2 runs on 2 CPU models)"
    assert hardware_summary([Res(gpu, gpu, cpu_a)]) == "GPU: NVIDIA H100 80GB HBM3 (2 runs); CPU: AMD EPYC (2 cores) (1 run)"
    assert hardware_summary([None]) == "no recorded runs"
    compiled = Res(cpu_a, cpu_a, cpu_a)
    compiled.runs[0]["compiled"], compiled.runs[1]["compiled"] = True, False
    assert hardware_summary([compiled]) == "CPU only (3 runs on 1 CPU model; 1 compiled, 1 without a record of it)"
    del compiled.runs[2]
    assert hardware_summary([compiled]) == "CPU only (2 runs on 1 CPU model; 1 compiled)"
    compiled.runs[0]["provenance"]["device"] = gpu
    assert hardware_summary([compiled]) == f"GPU: {gpu} (1 run); CPU: AMD EPYC (2 cores) (1 run) (1 compiled)"


def test_provenance_line_counts_runs_trained_from_uncommitted_code():
    from types import SimpleNamespace

    def run(commit):
        return {"provenance": {"date": "2026-12-02T10:00:00", "device": "cpu: X", "git_commit": commit, "wall_time_s": 60}}

    result = SimpleNamespace(runs=[run("abc123"), run("abc123+dirty"), run("def456+dirty")])
    line = provenance_summary([result])
    assert line.startswith("3 training runs recorded 2026-12-02 on cpu: X")
    assert line.endswith("; 2 trained with uncommitted edits in the checkout (+dirty))")
    assert "+dirty)" not in provenance_summary([SimpleNamespace(runs=[run("abc123")])])
    # one training configuration on two sets is two runs, the same run listed twice is one
    cfg = {"loss": "gift", "epochs": 1000}

    def stored(method):
        return SimpleNamespace(config=cfg, data={"recipe": {"method": method}}, teacher={"id": "t"},
                               runs=[{**run("abc123"), "seed": 0}])

    assert provenance_summary([stored("rded"), stored("sre2l")]).startswith("2 training runs")
    assert provenance_summary([stored("rded"), stored("rded")]).startswith("1 training run ")


def test_a_partial_measurement_is_recorded_recomputed_with_data_and_shown_without(tmp_path, capsys):
    """A measurement whose runs are not all computed (chapter 7's GDumb steps) is recorded as
    partial: a machine with the data recomputes it and records what changed; a clone without the
    data shows the partial record instead of nothing; a complete one is never recomputed."""
    from gift.data.errors import DataNotFoundError

    ex = Experiment(tiny_profile(), results_dir=tmp_path, show_progress=False, device="cpu", run_missing=False)
    complete = lambda out: out["steps"] == 2  # noqa: E731
    calls = []

    def compute(steps):
        def run():
            calls.append(steps)
            return {"steps": steps}
        return run

    def no_data():
        raise DataNotFoundError("dataset 'x' not found\nset $GIFT_DATA_ROOT")

    assert ex.measurement("m", {"a": 1}, compute(1), complete) == {"steps": 1}
    record = next(ex.store.records("measure"))
    assert record["provenance"]["complete"] is False
    assert ex.measurement("m", {"a": 1}, no_data, complete) == {"steps": 1}  # the clone: the partial record
    assert "recorded in part" in capsys.readouterr().out
    assert ex.measurement("m", {"a": 1}, compute(2), complete) == {"steps": 2}  # more runs in: recomputed
    assert ex.measurement("m", {"a": 1}, compute(3), complete) == {"steps": 2}  # complete: read back
    assert calls == [1, 2] and next(ex.store.records("measure"))["provenance"]["complete"] is True
    assert ex.measurement("n", {"a": 1}, no_data, complete) is None
    assert "not recorded, and this machine cannot compute it" in capsys.readouterr().out
