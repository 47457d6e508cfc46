"""The one training path: a student trained on a distilled set under the protocol.

* :mod:`~gift.train.tensors` — the set and the test set made model-ready (normalised or ZCA);
* :mod:`~gift.train.batches` — the seeded shuffle and augmentation of every batch;
* :mod:`~gift.train.labels` — where the soft labels come from (teacher, stored, hard) and the loss;
* :mod:`~gift.train.engine` — :func:`train_student`: tensors on the device, bf16 autocast where fast,
  the folded frozen teacher, checkpoints, DDP;
* :mod:`~gift.train.precision`, :mod:`~gift.train.compilation` — bf16 or fp32, compiled or eager;
* :mod:`~gift.train.teacher` — training a teacher on the same pieces;
* :mod:`~gift.train.cost` — what GIFT's loss costs next to KL's in a step.

Above the domain modules (losses, models, augment, protocol, data, distill, results, teachers) and
below the book's layer (:mod:`gift.companion`), the benchmarks (:mod:`gift.perf`) and the command
line (:mod:`gift.cli`); it imports none of them.
"""
from .engine import StudentRun, TrainingDiverged, train_student
from .tensors import TestTensors, TrainTensors, make_test_tensors, make_train_tensors

__all__ = ["StudentRun", "TestTensors", "TrainTensors", "TrainingDiverged", "make_test_tensors",
           "make_train_tensors", "train_student"]
