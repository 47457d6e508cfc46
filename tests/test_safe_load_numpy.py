"""Released DC/DSA/DM/MTT ``res_*.pt`` files hold NumPy scalars in their accuracy logs: they load
with ``weights_only=True`` plus a narrow NumPy allowlist, and any other global is still refused."""
from __future__ import annotations

import os

import numpy as np
import pytest
import torch

from gift.data import UnsafeFileError, load_distilled
from gift.data.errors import CorruptFileError
from gift.data.safe_load import _numpy_safe_globals, safe_torch_load


def _res_dict() -> dict:
    # the way those projects save theirs: torch.save(dict(data=[[image_syn, label_syn]],
    # accs_all_exps=accs_all_exps), ...) with accuracies appended as np.float64 / np.mean results
    images = torch.randn(10, 3, 8, 8)
    labels = torch.arange(10)
    accs = {"ConvNet": [np.float64(0.4812), np.mean(np.array([0.5, 0.52])), np.float32(0.5)]}
    return {"data": [[images, labels]], "accs_all_exps": accs}


@pytest.mark.parametrize("zipfile", [True, False])
def test_res_file_with_numpy_scalars_loads(tmp_path, zipfile):
    path = tmp_path / "res_DSA_CIFAR10_ConvNet_1ipc.pt"
    torch.save(_res_dict(), path, _use_new_zipfile_serialization=zipfile)
    obj = safe_torch_load(path)
    accs = obj["accs_all_exps"]["ConvNet"]
    assert isinstance(accs[0], np.float64) and accs[0] == np.float64(0.4812)
    assert accs[1] == pytest.approx(0.51)
    syn = load_distilled(path)
    assert syn.images.shape == (10, 3, 8, 8) and syn.num_classes == 10


class _Smuggled:
    def __init__(self, marker: str):
        self.marker = marker

    def __reduce__(self):
        return (os.mkdir, (self.marker,))


def test_other_globals_are_still_refused(tmp_path):
    marker = tmp_path / "MARKER"
    obj = _res_dict()
    obj["accs_all_exps"]["ConvNet"].append(_Smuggled(str(marker)))
    path = tmp_path / "res_DM_CIFAR10_ConvNet_1ipc.pt"
    torch.save(obj, path)
    with pytest.raises(UnsafeFileError, match="refused for safety"):
        safe_torch_load(path)
    assert not marker.exists()
    # an object-dtype array (whose elements could be anything) is not on the list either: refused
    # (torch words this one "Can only build ...", which safe_load currently reports as corrupt)
    torch.save({"data": np.array([1, "x"], dtype=object)}, tmp_path / "obj.pt")
    with pytest.raises((UnsafeFileError, CorruptFileError)):
        safe_torch_load(tmp_path / "obj.pt")


def test_allowlist_is_numpy_reconstruction_only():
    for item in _numpy_safe_globals():
        assert (getattr(item, "__module__", "") or "").startswith("numpy"), item
    assert type(np.dtype(object)) not in _numpy_safe_globals()
