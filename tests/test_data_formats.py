"""Distilled-set formats: readers, our own writer, safety (gift.data.distilled)."""
from __future__ import annotations

import json
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

import gift.data as gd
from gift.data import DataError, DistilledSet, IncompleteSetError, UnsafeFileError, load_distilled, save_distilled


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("GIFT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("GIFT_DATA_ROOT", raising=False)


def _grid_images(n, c=3, s=8, seed=0):
    """Float images whose values are exact multiples of 1/255 (PNG round trip is lossless)."""
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, 256, (n, c, s, s), generator=g).float() / 255


# ------------------------------------------------------------------------------------------------
# Image folders (RDED / SRe2L / CDA / G-VBSM)


def _write_folder(root: Path, names, per=2, size=16, ext="png", seed=0):
    rng = np.random.default_rng(seed)
    arrays = {}
    for name in names:
        (root / name).mkdir(parents=True)
        for i in range(per):
            a = rng.integers(0, 256, (size, size, 3), dtype=np.uint8)
            Image.fromarray(a).save(root / name / f"img_{i}.{ext}")
            arrays[(name, i)] = a
    return arrays


def test_rded_style_numbered_folders(tmp_path):
    arrays = _write_folder(tmp_path / "rded", [f"{c:05d}" for c in range(10)], per=3)
    syn = load_distilled(tmp_path / "rded", dataset="cifar10")
    assert syn.images.shape == (30, 3, 16, 16) and syn.images.dtype == torch.float32
    assert syn.num_classes == 10 and syn.ipc == 3 and syn.space == "pixel" and syn.soft_labels is None
    assert syn.labels.tolist() == [c for c in range(10) for _ in range(3)]
    np.testing.assert_allclose(
        syn.images[4].permute(1, 2, 0).numpy() * 255, arrays[("00001", 1)].astype(np.float32), atol=1e-4
    )
    assert syn.meta["format"] == "image-folder" and syn.meta["dataset"] == "cifar10"
    # fewer class folders than classes: refused unless a partial set is asked for
    _write_folder(tmp_path / "partial", ["00000", "00003"], per=1)
    with pytest.raises(IncompleteSetError, match="no images for 8 of its 10 classes"):
        load_distilled(tmp_path / "partial", num_classes=10)
    part = load_distilled(tmp_path / "partial", num_classes=10, allow_partial=True)
    assert part.num_classes == 10 and part.ipc is None and part.labels.tolist() == [0, 3]


def test_jpeg_folder_and_class_mismatch(tmp_path):
    _write_folder(tmp_path / "j", ["00000", "00012"], per=1, ext="jpg")
    with pytest.raises(DataError, match="12"):
        load_distilled(tmp_path / "j", num_classes=10)
    with pytest.raises(DataError, match="contradicts"):
        load_distilled(tmp_path / "j", dataset="cifar10", num_classes=100)
    assert load_distilled(tmp_path / "j", allow_partial=True).num_classes == 13


def test_class_named_folders(tmp_path):
    _write_folder(tmp_path / "named", ["truck", "airplane", "cat"], per=1)
    syn = load_distilled(tmp_path / "named", dataset="cifar10", allow_partial=True)
    assert syn.num_classes == 10
    # sorted file order: airplane, cat, truck -> CIFAR-10 indices 0, 3, 9
    assert syn.labels.tolist() == [0, 3, 9]
    assert syn.meta["class_to_idx"] == {"airplane": 0, "cat": 3, "truck": 9}
    no_ds = load_distilled(tmp_path / "named")
    assert no_ds.labels.tolist() == [0, 1, 2] and no_ds.meta["class_to_idx"]["truck"] == 2
    real = gd.ImageDataset(
        torch.zeros(3, 3, 4, 4, dtype=torch.uint8), torch.tensor([0, 1, 2]), ["truck", "cat", "airplane"], "cifar10", "train"
    )
    via_ds = load_distilled(tmp_path / "named", dataset=real)
    assert via_ds.labels.tolist() == [2, 1, 0] and via_ds.num_classes == 3
    _write_folder(tmp_path / "bad", ["airplane", "spaceship"], per=1)
    with pytest.raises(DataError, match="spaceship"):
        load_distilled(tmp_path / "bad", dataset="cifar10")


def test_empty_and_unknown_folders(tmp_path):
    (tmp_path / "empty" / "00000").mkdir(parents=True)
    with pytest.raises(DataError, match="empty"):
        load_distilled(tmp_path / "empty")
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "notes.txt").write_text("hi")
    with pytest.raises(DataError) as ei:
        load_distilled(tmp_path / "junk")
    for fmt in gd.FORMATS:
        assert fmt in str(ei.value)
    with pytest.raises(gd.DataNotFoundError):
        load_distilled(tmp_path / "missing")


# ------------------------------------------------------------------------------------------------
# GIFT's data.pt


def test_data_pt_hard_and_soft(tmp_path):
    x = torch.rand(20, 3, 8, 8)
    y = torch.arange(10).repeat_interleave(2)
    torch.save({"dataset": "cifar10", "data": x, "label": y}, tmp_path / "data.pt")
    syn = load_distilled(tmp_path, dataset="cifar10")  # folder holding data.pt
    assert torch.equal(syn.images, x) and torch.equal(syn.labels, y) and syn.soft_labels is None
    assert syn.num_classes == 10 and syn.ipc == 2 and syn.meta["format"] == "data.pt"
    soft = torch.randn(20, 10)
    torch.save({"dataset": "cifar10", "data": x, "label": soft}, tmp_path / "soft.pt")
    s = load_distilled(tmp_path / "soft.pt", allow_partial=True)
    assert torch.equal(s.soft_labels, soft) and torch.equal(s.labels, soft.argmax(1))
    with pytest.raises(DataError, match="cifar100"):
        load_distilled(tmp_path / "soft.pt", dataset="cifar100")
    with pytest.raises(DataError, match="num_classes=100 but the file is for dataset 'cifar10' with 10"):
        load_distilled(tmp_path / "data.pt", num_classes=100)
    torch.save({"data": x, "label": soft}, tmp_path / "nods.pt")  # no dataset recorded
    with pytest.raises(DataError, match="10 classes but 100 were expected"):
        load_distilled(tmp_path / "nods.pt", num_classes=100)


def test_data_pt_out_of_range_is_reported(tmp_path):
    x = torch.randn(4, 3, 8, 8) * 2
    torch.save({"dataset": "cifar10", "data": x, "label": torch.tensor([0, 1, 2, 3])}, tmp_path / "d.pt")
    with pytest.warns(UserWarning, match="outside \\[0, 1\\]"):
        syn = load_distilled(tmp_path / "d.pt", allow_partial=True)
    assert syn.meta["out_of_range"] and syn.meta["value_range"][0] < 0


def test_data_pt_empty(tmp_path):
    torch.save({"dataset": "cifar10", "data": torch.zeros(0, 3, 8, 8), "label": torch.zeros(0, dtype=torch.long)}, tmp_path / "e.pt")
    with pytest.raises(DataError, match="empty"):
        load_distilled(tmp_path / "e.pt")


# ------------------------------------------------------------------------------------------------
# DATM


def _datm(folder: Path, n_per=2, c=10, suffix="", flip=()):
    folder.mkdir(parents=True, exist_ok=True)
    n = n_per * c
    images = torch.randn(n, 3, 8, 8)
    cls = torch.arange(c).repeat_interleave(n_per)
    logits = torch.randn(n, c) * 0.1
    logits[torch.arange(n), cls] += 5
    for i in flip:  # rows whose learned label argmax moved to another class
        logits[i, (cls[i] + 1) % c] += 10
    torch.save(images, folder / f"images{suffix}.pt")
    torch.save(logits, folder / f"labels{suffix}.pt")
    torch.save(torch.tensor(0.0184), folder / f"lr{suffix}.pt")
    return images, logits, cls


def test_datm_release_folder(tmp_path):
    images, logits, cls = _datm(tmp_path / "datm", flip=(3,))
    syn = load_distilled(tmp_path / "datm", dataset="cifar10")
    assert syn.space == "zca" and torch.equal(syn.images, images) and torch.equal(syn.soft_labels, logits)
    assert torch.equal(syn.labels, cls)  # class order, not argmax (row 3 differs)
    assert syn.meta["argmax_agreement"] == pytest.approx(19 / 20)
    assert syn.lr == pytest.approx(0.0184) and syn.ipc == 2 and syn.meta["method"] == "datm"
    # pointing at images.pt works too; *_best naming
    assert torch.equal(load_distilled(tmp_path / "datm" / "images.pt").images, images)
    _datm(tmp_path / "best", suffix="_best")
    assert load_distilled(tmp_path / "best").meta["files"]["images"].endswith("images_best.pt")


def test_datm_iteration_files_and_argmax_fallback(tmp_path):
    d = tmp_path / "run"
    _datm(d, suffix="_1000")
    images, _, _ = _datm(d, suffix="_5000")
    syn = load_distilled(d)
    assert torch.equal(syn.images, images)
    # N not divisible by C -> argmax with a warning
    d2 = tmp_path / "odd"
    d2.mkdir()
    torch.save(torch.randn(7, 3, 8, 8), d2 / "images.pt")
    logits = torch.randn(7, 10)
    torch.save(logits, d2 / "labels.pt")
    with pytest.warns(UserWarning, match="argmax"):
        odd = load_distilled(d2, allow_partial=True)
    assert torch.equal(odd.labels, logits.argmax(1)) and odd.lr is None


# ------------------------------------------------------------------------------------------------
# DC / DSA / DM / MTT res_*.pt


def test_res_file_is_denormalised(tmp_path):
    pix = _grid_images(20, s=32)
    lab = torch.arange(10).repeat_interleave(2)
    mean = torch.tensor(gd.CIFAR_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(gd.CIFAR_STD).view(1, 3, 1, 1)
    first = [torch.zeros(20, 3, 32, 32), lab.clone()]
    obj = {"data": [first, [(pix - mean) / std, lab]], "accs_all_exps": {"ConvNet": [0.5, np.float64(0.6)]}}
    path = tmp_path / "res_DSA_CIFAR10_ConvNet_2ipc.pt"
    torch.save(obj, path)
    syn = load_distilled(path)
    assert torch.allclose(syn.images, pix, atol=1e-6) and torch.equal(syn.labels, lab)
    assert syn.meta["dataset"] == "cifar10" and syn.meta["method"] == "dsa" and syn.meta["ipc_from_name"] == 2
    assert syn.space == "pixel" and syn.num_classes == 10
    # CIFAR-100 uses the DC code's own constants, not GIFT's
    dc_mean, dc_std = gd.DC_NORMALIZATION["cifar100"]
    obj100 = {"data": [[(pix - torch.tensor(dc_mean).view(1, 3, 1, 1)) / torch.tensor(dc_std).view(1, 3, 1, 1), lab]]}
    torch.save(obj100, tmp_path / "res_DM_CIFAR100_ConvNet_1ipc.pt")
    s100 = load_distilled(tmp_path / "res_DM_CIFAR100_ConvNet_1ipc.pt", num_classes=100, allow_partial=True)
    assert torch.allclose(s100.images, pix, atol=1e-5) and s100.num_classes == 100
    # unknown dataset -> asks for dataset=
    torch.save(obj, tmp_path / "synthetic.pt")
    with pytest.raises(DataError, match="dataset="):
        load_distilled(tmp_path / "synthetic.pt")
    assert torch.allclose(load_distilled(tmp_path / "synthetic.pt", dataset="cifar10").images, pix, atol=1e-6)
    with pytest.raises(DataError, match="cifar100"):
        load_distilled(path, dataset="cifar100")


# ------------------------------------------------------------------------------------------------
# Our own format


def test_save_load_round_trip(tmp_path):
    n = 12
    images = _grid_images(n)
    labels = torch.tensor([3, 0, 1, 2, 3, 0, 1, 2, 0, 1, 2, 3])  # not class-ordered
    soft = torch.randn(n, 4)
    syn = DistilledSet(images, labels, soft, lr=0.01, num_classes=4, meta={"method": "rded", "dataset": "toy"})
    out = save_distilled(tmp_path / "out", syn, seed=7, teacher="conv3", config={"ipc": 3, "loss": "gift"})
    assert (out / "00003" / "000000.png").is_file() and (out / "soft_labels.pt").is_file()
    info = json.loads((out / "distilled.json").read_text())
    assert info["method"] == "rded" and info["seed"] == 7 and info["ipc"] == 3 and info["version"] == 1
    back = load_distilled(out)
    assert torch.equal(back.images, images) and torch.equal(back.labels, labels)
    assert torch.equal(back.soft_labels, soft) and back.lr == 0.01 and back.num_classes == 4
    assert back.meta["teacher"] == "conv3" and back.meta["config"] == {"ipc": 3, "loss": "gift"}
    assert back.meta["format"] == "gift" and back.space == "pixel"
    # atomic: no temporary folders left, existing folders need overwrite=True
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
    with pytest.raises(FileExistsError):
        save_distilled(tmp_path / "out", syn)
    syn2 = DistilledSet(images[:4], torch.arange(4), num_classes=4)
    save_distilled(tmp_path / "out", syn2, overwrite=True)
    assert len(load_distilled(tmp_path / "out")) == 4
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
    # the PNG folder is also a plain class-folder set for other tools
    (tmp_path / "out" / "distilled.json").unlink()
    assert load_distilled(tmp_path / "out").labels.tolist() == [0, 1, 2, 3]


def test_save_exact_and_zca(tmp_path):
    x = torch.rand(6, 3, 8, 8)  # not multiples of 1/255
    syn = DistilledSet(x, torch.tensor([0, 0, 1, 1, 2, 2]))
    save_distilled(tmp_path / "exact", syn, exact=True)
    assert torch.equal(load_distilled(tmp_path / "exact").images, x)
    save_distilled(tmp_path / "png", syn)
    assert torch.allclose(load_distilled(tmp_path / "png").images, x, atol=0.5 / 255 + 1e-6)
    z = DistilledSet(torch.randn(6, 3, 8, 8) * 3, torch.tensor([0, 0, 1, 1, 2, 2]), torch.randn(6, 3), 0.02, "zca")
    save_distilled(tmp_path / "zca", z)
    back = load_distilled(tmp_path / "zca")
    assert back.space == "zca" and torch.equal(back.images, z.images) and torch.equal(back.soft_labels, z.soft_labels)
    with pytest.warns(UserWarning, match="clipped"):
        save_distilled(tmp_path / "clip", DistilledSet(torch.randn(2, 3, 4, 4) * 3, torch.tensor([0, 1])))


# ------------------------------------------------------------------------------------------------
# Safety


class _Evil:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


@pytest.mark.parametrize("writer", ["torch", "pickle"])
def test_malicious_pickle_is_refused_without_running(tmp_path, writer):
    marker = tmp_path / "MARKER"
    payload = {"dataset": "cifar10", "data": torch.zeros(2, 3, 4, 4), "label": _Evil(str(marker))}
    path = tmp_path / "data.pt"
    if writer == "torch":
        torch.save(payload, path)
    else:
        path.write_bytes(pickle.dumps(payload))
    with pytest.raises(UnsafeFileError) as ei:
        load_distilled(path)
    msg = str(ei.value)
    assert "refused for safety" in msg and "not executed" in msg and str(path) in msg
    with pytest.raises(UnsafeFileError):
        load_distilled(tmp_path)  # the folder form too
    assert not marker.exists()
    # a DATM folder with a poisoned labels.pt
    d = tmp_path / "datm"
    d.mkdir()
    torch.save(torch.zeros(2, 3, 4, 4), d / "images.pt")
    torch.save(_Evil(str(marker)), d / "labels.pt")
    with pytest.raises(UnsafeFileError):
        load_distilled(d)
    assert not marker.exists()


def test_unknown_pt_content(tmp_path):
    torch.save({"weights": torch.zeros(3)}, tmp_path / "w.pt")
    with pytest.raises(DataError, match="unrecognised.*weights"):
        load_distilled(tmp_path / "w.pt")
    (tmp_path / "x.npy").write_bytes(b"\x93NUMPY")
    with pytest.raises(DataError, match="unrecognised"):
        load_distilled(tmp_path / "x.npy")


# ------------------------------------------------------------------------------------------------
# DistilledSet helpers


def test_distilled_set_helpers():
    x = torch.rand(12, 3, 4, 4)
    y = torch.tensor([0, 1, 2] * 4)
    syn = DistilledSet(x, y, torch.randn(12, 3), lr=torch.tensor(0.5))
    assert syn.ipc == 4 and syn.num_classes == 3 and syn.lr == 0.5 and syn.image_size == 4
    first = syn.subset_per_class(2)
    assert first.labels.tolist() == [0, 0, 1, 1, 2, 2] and torch.equal(first.images[0], x[0])
    assert first.ipc == 2 and first.meta["ipc"] == 2 and first.soft_labels.shape == (6, 3)
    g1 = syn.subset_per_class(2, torch.Generator().manual_seed(0))
    g2 = syn.subset_per_class(2, torch.Generator().manual_seed(0))
    assert torch.equal(g1.images, g2.images)
    with pytest.raises(DataError, match="fewer"):
        syn.subset_per_class(5)
    assert syn.to("cpu").images.device.type == "cpu"
    u8 = DistilledSet(torch.full((1, 3, 2, 2), 255, dtype=torch.uint8), torch.tensor([0]))
    assert u8.images.max() == 1.0 and u8.images.dtype == torch.float32
    uneven = DistilledSet(torch.rand(3, 3, 2, 2), torch.tensor([0, 0, 1]))
    assert uneven.ipc is None
    with pytest.raises(DataError, match="empty"):
        DistilledSet(torch.rand(0, 3, 2, 2), torch.zeros(0, dtype=torch.long))
    with pytest.raises(DataError, match="space"):
        DistilledSet(x, y, space="lab")
    with pytest.raises(DataError, match="outside"):
        DistilledSet(x, y, num_classes=2)
    with pytest.raises(DataError, match="soft_labels have 3 classes"):
        DistilledSet(x, y, torch.randn(12, 3), num_classes=5)
