"""The companion layer: what the book's chapters run and how they report it.

The top of the package's layers, imported by nothing below it and importing nothing from
:mod:`gift.perf` (``tests/test_layers.py``)::

    gift/companion/       the book's layer (this package)       gift/perf/  gift/cli/
    gift/evaluation.py, theory.py, continual.py                 on top of the training path
    gift/train/           the one training path (engine, tensors, batches, labels, precision, compilation)
    gift/losses.py, models.py, augment.py, protocol.py, data/, distill/, results.py, teachers.py
    gift/config.py, registry.py, utils.py, version.py, stats.py, colab.py

Its modules:

* :mod:`~gift.companion.profiles` — run profiles and the grids of every comparison, defined once;
* :mod:`~gift.companion.experiment` — :class:`Experiment`: data, teacher, sets and store-backed runs;
* :mod:`~gift.companion.report` — table cells, Markdown tables, provenance lines;
* :mod:`~gift.companion.claims` — the verdict scale over comparisons judged by :mod:`gift.stats`;
* :mod:`~gift.companion.checklist` — the paper's claims, each built from matched comparisons;
* :mod:`~gift.companion.paper` — the paper's reported numbers (cited, never targets);
* :mod:`~gift.companion.dryrun` — toy-size copies of a profile (``GIFT_DRY_RUN=paper``), to check a long profile on a CPU.
"""
from .experiment import Experiment, LazySet
from .profiles import COPIES_REAL_IMAGES, METHOD_STUDENT, OWN_LOSS, PROFILES, Profile, describe_profile, get_profile, list_profiles
from .report import (as_row, claim_report, device_kind, fmt, hardware_summary, markdown_table, mean_std, provenance_summary,
                     run_plan)

__all__ = ["COPIES_REAL_IMAGES", "Experiment", "LazySet", "METHOD_STUDENT", "OWN_LOSS", "PROFILES", "Profile", "as_row", "claim_report", "describe_profile",
           "device_kind", "fmt", "get_profile", "hardware_summary", "list_profiles", "markdown_table", "mean_std",
           "provenance_summary", "run_plan"]
