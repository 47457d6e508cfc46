"""GDumb-style class-incremental learning on distilled sets (gift.continual)."""
import dataclasses
import math

import pytest
import torch

from gift.continual import (
    ClassSubsetTeacher, class_incremental_split, compare_steps, classes_tag, evaluate_step, memory_set,
    run_class_incremental, test_subset,
)
from gift.data import DistilledSet, ImageDataset
from gift.companion import Experiment, get_profile




def test_split_is_a_seeded_partition_in_arrival_order():
    split = class_incremental_split(10, 5, seed=0)
    assert split == class_incremental_split(10, 5, seed=0)
    assert sorted(split.order) == list(range(10))
    assert [len(s) for s in split.steps] == [2] * 5
    assert split.seen(3) == split.order[:6]
    assert class_incremental_split(10, 10, seed=0).order == split.order  # same order, finer steps
    assert class_incremental_split(10, 5, seed=1).order != split.order
    assert [len(s) for s in class_incremental_split(7, 3).steps] == [3, 2, 2]
    with pytest.raises(ValueError, match="num_steps"):
        class_incremental_split(10, 11)
    with pytest.raises(ValueError, match="step must be"):
        split.seen(0)


def _toy_set(soft=False):
    labels = torch.arange(5).repeat_interleave(2)  # 5 classes, 2 images each
    images = torch.rand(10, 3, 8, 8)
    soft_labels = torch.arange(50, dtype=torch.float32).view(10, 5) if soft else None
    recipe = {"method": "toy", "ipc": 2, "seed": 0}
    return DistilledSet(images, labels, soft_labels, num_classes=5, meta={"recipe": recipe, "dataset": "toy"})


def test_memory_holds_the_seen_classes_relabelled_in_arrival_order():
    parent = _toy_set(soft=True)
    mem = memory_set(parent, (3, 1))
    assert mem.num_classes == 2 and len(mem) == 4
    assert mem.labels.tolist() == [1, 1, 0, 0]  # class 1 -> label 1, class 3 -> label 0
    assert torch.equal(mem.images, parent.images[[2, 3, 6, 7]])
    assert torch.equal(mem.soft_labels, parent.soft_labels[[2, 3, 6, 7]][:, [3, 1]])
    assert mem.meta["recipe"] == {"parent": {"recipe": parent.meta["recipe"]}, "classes": [3, 1]}
    assert memory_set(parent, (1, 3)).meta["recipe"] != mem.meta["recipe"]
    with pytest.raises(ValueError, match="at least 2"):
        memory_set(parent, (1,))
    with pytest.raises(ValueError, match="distinct"):
        memory_set(parent, (1, 1))
    with pytest.raises(ValueError, match="outside"):
        memory_set(parent, (1, 7))


def test_test_subset_and_teacher_see_only_the_seen_classes():
    test = ImageDataset(torch.zeros(6, 3, 8, 8, dtype=torch.uint8), torch.tensor([0, 1, 2, 0, 1, 2]),
                        classes=["a", "b", "c"], name="toy", split="test", mean=(0.5,) * 3, std=(0.5,) * 3)
    sub = test_subset(test, (2, 0))
    assert sub.num_classes == 2 and sub.labels.tolist() == [1, 0, 1, 0]
    assert sub.classes == ["c", "a"] and sub.split == "test[classes=2,0]" and sub.name == "toy"
    teacher = torch.nn.Linear(4, 3)
    teacher.gift_meta = {"id": "t0", "num_classes": 3}
    view = ClassSubsetTeacher(teacher, (2, 0))
    x = torch.randn(5, 4)
    assert torch.equal(view(x), teacher(x)[:, [2, 0]])
    assert view.gift_meta["id"] == "t0[classes=2,0]" and view.gift_meta["num_classes"] == 2
    assert classes_tag((2, 0)) == "2,0"


def tiny_profile():
    return dataclasses.replace(
        get_profile("smoke"), name="tiny", model_kwargs={"width": 8}, teacher_epochs=1, epochs=4,
        seeds=(0,), persistent=True, distill_options={"rded": {"mipc": 5, "num_crop": 1}},
    )


@pytest.mark.slow
def test_class_incremental_runs_are_stored_and_shared_between_schedules(tmp_path):
    ex = Experiment(tiny_profile(), results_dir=tmp_path, show_progress=False, device="cpu")
    data = ex.distilled("rded", 1)
    config = ex.config("rded", loss="gift")
    five = run_class_incremental(ex, data, config, class_incremental_split(10, 5), teacher=ex.teacher())
    assert [len(s.seen) for s in five] == [2, 4, 6, 8, 10]
    assert [s.num_images for s in five] == [2, 4, 6, 8, 10]
    assert all(s.result is not None and not s.trivial for s in five)
    assert five[0].num_test < five[-1].num_test == len(ex.test.labels)
    # a step is scored on the seen classes' test images, and named by its classes
    assert five[0].result.runs[0]["best"] >= 0
    assert five[0].result.data["recipe"]["classes"] == list(five[0].seen)

    # the 10-step schedule with the same order reuses the 5-step runs at 2, 4, ... classes, and
    # its 1-class first step is trivial (not trained)
    again = Experiment(tiny_profile(), results_dir=tmp_path, show_progress=False, device="cpu", run_missing=False)
    ten = run_class_incremental(again, again.distilled("rded", 1), config, class_incremental_split(10, 10),
                                teacher=again.teacher())
    assert ten[0].trivial and ten[0].accuracy() == (100.0, 0.0) and ten[0].result is None
    for k in range(1, 10, 2):
        assert ten[k].result is not None
        assert ten[k].result.runs[0]["key"] == five[k // 2].result.runs[0]["key"]
    assert ten[2].result is None and math.isnan(ten[2].accuracy()[0])  # 3 classes: never trained
    assert evaluate_step(again, again.distilled("rded", 1), (0, 1), config, teacher=again.teacher()) is None


def test_compare_steps_flags_arms_trained_in_different_precisions():
    """A step's comparison says when its two losses trained in different precisions (a step kept
    from a machine whose automatic precision is fp32), and says nothing when they share one."""
    def step(values, precision):
        return {"runs": [{"seed": s, "best": v, "final": v, "precision": precision} for s, v in enumerate(values)]}

    gift, kl_fp32, kl_bf16 = step([88.0, 88.2, 87.9], "bf16"), step([89.6, 89.5, 89.7], "fp32"), step([89.6, 89.5, 89.7], "bf16")
    mixed = compare_steps("2 classes", gift, kl_fp32)
    assert mixed.caveat == "method in bf16, baseline in fp32" and mixed.outcome == "loss"
    assert compare_steps("2 classes", gift, kl_bf16).caveat == ""
    old = {"runs": [{k: v for k, v in r.items() if k != "precision"} for r in gift["runs"]]}
    assert compare_steps("2 classes", old, kl_bf16).caveat == ""  # recorded before precisions were kept
