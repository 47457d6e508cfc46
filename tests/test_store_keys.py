"""The committed results store stays readable: a refactor must not change the keys of the
committed runs (or they would be silently recomputed), and a reader's clone with no data at all
finds them (every number of the book comes from the store)."""
import json

import pytest

from gift.companion import Experiment
from gift.results import ResultsStore, default_results_dir

RESULTS = default_results_dir()
pytestmark = pytest.mark.skipif(not (RESULTS / "eval").is_dir(), reason="no committed results store")


@pytest.fixture
def no_data(tmp_path, monkeypatch):
    """No data root, an empty cache: what a reader's clone has."""
    monkeypatch.setenv("GIFT_DATA_ROOT", str(tmp_path / "no-data"))
    monkeypatch.setenv("GIFT_CACHE_DIR", str(tmp_path / "cache"))


def test_every_committed_record_sits_under_the_key_of_its_spec():
    store = ResultsStore(RESULTS)
    paths = sorted((RESULTS / "eval").glob("*.json"))
    assert len(paths) >= 336
    for path in paths:
        record = json.loads(path.read_text())
        assert store.key(record["spec"]) == record["key"] == path.stem, path


@pytest.mark.parametrize("method, loss, best", [
    ("rded", "kl", [54.99, 55.18, 55.23]),
    ("sre2l", "gift", [37.73, 38.67, 37.36]),
    ("random", "soft_ce", [44.84, 45.19, 45.32]),
    ("datm", "soft_ce", [65.62, 65.13, 64.32]),  # the released set, known by its stored identity
])
def test_committed_runs_are_found_through_the_companion_layer_without_data(no_data, method, loss, best):
    ex = Experiment("companion", run_missing=False, show_progress=False)
    result = ex.evaluate(method, 10, loss=loss, epochs=300, seeds=(0, 1, 2))
    assert result is not None and result.best == best
    assert ex.num_classes == 10


def test_without_data_a_missing_run_is_not_computed_not_an_error(no_data):
    ex = Experiment("companion", run_missing=False, show_progress=False)
    assert ex.evaluate("rded", 10, loss="gift", epochs=7, seeds=(0,)) is None
