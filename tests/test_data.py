"""Real-dataset loading, caching, ZCA and test-set preparation (gift.data)."""
from __future__ import annotations

import os
import pickle
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

import gift.data as gd
from gift.data import (
    CorruptImageError,
    DataError,
    DataNotFoundError,
    ImageDataset,
    UnsafeFileError,
    ZCA,
    fit_zca,
    load_dataset,
    normalize,
    prepare_test_set,
)

# The real CIFAR-10 JPEG copy, when $GIFT_DATA_ROOT points at one (CI); these tests skip elsewhere.
SHARED = Path(os.environ.get("GIFT_DATA_ROOT", "").split(os.pathsep)[0] or "/nonexistent")
HAS_SHARED = (SHARED / "cifar10-jpg" / "train").is_dir()


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path, monkeypatch):
    """Every test gets its own cache folder and no ambient data root."""
    monkeypatch.setenv("GIFT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("GIFT_DATA_ROOT", raising=False)


def _rand_img(rng, h, w, mode="RGB"):
    if mode == "L":
        return Image.fromarray(rng.integers(0, 256, (h, w), dtype=np.uint8), "L")
    return Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8), "RGB")


@pytest.fixture
def cifar_folder(tmp_path):
    """root/cifar10/{train,test}/<class>/*.png (lossless), 10 classes."""
    rng = np.random.default_rng(0)
    root = tmp_path / "data"
    arrays = {}
    for split, per in (("train", 3), ("test", 2)):
        for c in gd.CIFAR10_CLASSES:
            d = root / "cifar10" / split / c
            d.mkdir(parents=True)
            for i in range(per):
                img = _rand_img(rng, 32, 32)
                img.save(d / f"{i:04d}.png")
                arrays[(split, c, i)] = np.asarray(img)
    return root, arrays


def _write_cifar100(root: Path, n_train=20, n_test=10, protocol=2, n_classes=100):
    rng = np.random.default_rng(1)
    d = root / "cifar-100-python"
    d.mkdir(parents=True)
    out = {}
    for split, n in (("train", n_train), ("test", n_test)):
        data = rng.integers(0, 256, (n, 3072), dtype=np.uint8)
        labels = [int(v) for v in rng.integers(0, n_classes, n)]
        obj = {
            "filenames": [f"img_{i}.png" for i in range(n)],
            "batch_label": f"{split} batch",
            "fine_labels": labels,
            "coarse_labels": [v // 5 for v in labels],
            "data": data,
        }
        (d / split).write_bytes(pickle.dumps(obj, protocol=protocol))
        out[split] = (data, labels)
    meta = {"fine_label_names": list(gd.CIFAR100_CLASSES), "coarse_label_names": [f"c{i}" for i in range(20)]}
    (d / "meta").write_bytes(pickle.dumps(meta, protocol=protocol))
    return out


# ------------------------------------------------------------------------------------------------
# ImageFolder CIFAR, cache, errors


def test_cifar_imagefolder_loads_exact_pixels(cifar_folder):
    root, arrays = cifar_folder
    ds = load_dataset("cifar10", "train", root=root)
    assert isinstance(ds, ImageDataset)
    assert ds.images.shape == (30, 3, 32, 32) and ds.images.dtype == torch.uint8
    assert ds.labels.dtype == torch.int64 and ds.num_classes == 10 and ds.image_size == 32
    assert ds.classes == gd.CIFAR10_CLASSES
    assert ds.mean == (0.4914, 0.4822, 0.4465) and ds.std == (0.2023, 0.1994, 0.2010)
    assert ds.class_counts().tolist() == [3] * 10
    # files are read in sorted order: class 'bird' (index 2), image 1 is row 7
    np.testing.assert_array_equal(ds.images[7].permute(1, 2, 0).numpy(), arrays[("train", "bird", 1)])
    assert int(ds.labels[7]) == 2
    test = load_dataset("cifar10", "val", root=root)  # alias
    assert test.split == "test" and len(test) == 20


def test_cache_second_load_comes_from_the_cache_and_is_equal(cifar_folder, tmp_path):
    root, _ = cifar_folder
    first = load_dataset("cifar10", "train", root=root)
    assert not first.meta["from_cache"]
    assert Path(first.meta["cache_file"]).is_file()
    assert str(Path(first.meta["cache_file"])).startswith(str(tmp_path / "cache"))
    second = load_dataset("cifar10", "train", root=root)  # no timing here: a busy CI machine is slow
    assert second.meta["from_cache"]
    assert torch.equal(first.images, second.images) and torch.equal(first.labels, second.labels)
    assert first.classes == second.classes
    # adding a file changes the fingerprint -> rebuilt
    Image.new("RGB", (32, 32)).save(root / "cifar10" / "train" / "cat" / "9999.png")
    third = load_dataset("cifar10", "train", root=root)
    assert not third.meta["from_cache"] and len(third) == 31
    # cache=False never reads or writes a cache file
    fourth = load_dataset("cifar10", "train", root=root, cache=False)
    assert not fourth.meta["from_cache"] and fourth.meta["cache_file"] is None


def test_threaded_decoding_matches_serial(cifar_folder):
    root, _ = cifar_folder
    a = load_dataset("cifar10", "train", root=root, cache=False, num_workers=0)
    b = load_dataset("cifar10", "train", root=root, cache=False, num_workers=3)
    assert torch.equal(a.images, b.images) and torch.equal(a.labels, b.labels)


def test_env_data_root_and_resize(cifar_folder, monkeypatch):
    root, _ = cifar_folder
    monkeypatch.setenv("GIFT_DATA_ROOT", str(root))
    ds = load_dataset("cifar10", "test", image_size=16)
    assert ds.images.shape == (20, 3, 16, 16)


def test_missing_data_lists_every_candidate(tmp_path):
    with pytest.raises(DataNotFoundError) as ei:
        load_dataset("cifar100", "train", root=tmp_path / "nowhere")
    msg = str(ei.value)
    for cand in ("cifar-100-python", "cifar100/train", "cifar100-jpg/train"):
        assert cand in msg
    assert "download=True" in msg and "GIFT_DATA_ROOT" in msg
    assert isinstance(ei.value, FileNotFoundError)


def test_missing_data_default_roots_listed(tmp_path, monkeypatch):
    monkeypatch.setenv("GIFT_DATA_ROOT", os.pathsep.join([str(tmp_path / "a"), str(tmp_path / "b")]))
    with pytest.raises(DataNotFoundError) as ei:
        load_dataset("imagenet-1k", "test")
    msg = str(ei.value)
    assert str(tmp_path / "a" / "imagenet-1k" / "val") in msg and str(tmp_path / "b" / "imagenet" / "val") in msg


def test_without_a_data_root_only_the_cache_is_searched(tmp_path):
    """No folder is guessed from where the checkout sits: a clone next to a data folder and one
    without must find the same data (the autouse fixture unsets $GIFT_DATA_ROOT)."""
    assert gd.data_roots() == [tmp_path / "cache" / "data"]


def test_unknown_dataset_and_split():
    with pytest.raises(ValueError, match="cifar10.*digits"):
        load_dataset("cifar1000", "train")
    with pytest.raises(DataError, match="unknown split"):
        load_dataset("digits", "dev")
    assert "imagenette" in gd.list_datasets() and "digits" in gd.list_datasets()


def test_corrupt_image_named_or_skipped(cifar_folder):
    root, _ = cifar_folder
    bad = root / "cifar10" / "train" / "dog" / "0001.png"
    bad.write_bytes(b"this is not a png")
    with pytest.raises(CorruptImageError, match="0001.png"):
        load_dataset("cifar10", "train", root=root)
    with pytest.warns(UserWarning, match="skipped 1 corrupt"):
        ds = load_dataset("cifar10", "train", root=root, skip_corrupt=True)
    assert len(ds) == 29 and ds.meta["skipped"] == [str(bad)]
    assert ds.class_counts()[5] == 2
    # the cached copy lacks the file: never silently reused
    with pytest.raises(DataError, match="skip_corrupt"):
        load_dataset("cifar10", "train", root=root)
    with pytest.warns(UserWarning, match="1 corrupt"):
        again = load_dataset("cifar10", "train", root=root, skip_corrupt=True)
    assert again.meta["from_cache"]


def test_empty_dataset_is_an_error(tmp_path):
    for c in ("a", "b"):
        (tmp_path / "cifar10" / "train" / c).mkdir(parents=True)
    with pytest.raises(DataError, match="empty"):
        load_dataset("cifar10", "train", root=tmp_path)


def test_flat_val_folder_explains_layout(tmp_path):
    d = tmp_path / "imagenette" / "val"
    d.mkdir(parents=True)
    # a flat folder (no class sub-folders) is not recognised as the split
    Image.new("RGB", (40, 40)).save(d / "x.JPEG")
    with pytest.raises(DataNotFoundError):
        load_dataset("imagenette", "test", root=tmp_path)
    from gift.data.imagefolder import scan_image_folder

    with pytest.raises(DataError, match="loose image files"):
        scan_image_folder(d)


# ------------------------------------------------------------------------------------------------
# CIFAR pickles (torchvision's on-disk format)


@pytest.mark.parametrize("protocol", [2, pickle.HIGHEST_PROTOCOL])
def test_cifar100_pickle_format(tmp_path, protocol):
    written = _write_cifar100(tmp_path / "data", protocol=protocol)
    ds = load_dataset("cifar100", "train", root=tmp_path / "data")
    assert ds.images.shape == (20, 3, 32, 32) and ds.num_classes == 100
    assert ds.classes == gd.CIFAR100_CLASSES
    np.testing.assert_array_equal(ds.images.reshape(20, -1).numpy(), written["train"][0])
    assert ds.labels.tolist() == written["train"][1]
    assert ds.meta["source_kind"] == "cifar-pickle"
    test = load_dataset("cifar100", "test", root=tmp_path / "data")
    assert len(test) == 10 and test.labels.tolist() == written["test"][1]
    assert gd.get_classes("cifar100", root=tmp_path / "data") == gd.CIFAR100_CLASSES


def test_cifar10_pickle_under_named_folder(tmp_path):
    rng = np.random.default_rng(3)
    d = tmp_path / "cifar10" / "cifar-10-batches-py"
    d.mkdir(parents=True)
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        obj = {b"data": rng.integers(0, 256, (4, 3072), dtype=np.uint8), b"labels": [0, 1, 2, 9]}
        (d / name).write_bytes(pickle.dumps(obj, protocol=2))
    (d / "batches.meta").write_bytes(pickle.dumps({b"label_names": [c.encode() for c in gd.CIFAR10_CLASSES]}, protocol=2))
    ds = load_dataset("cifar10", "train", root=tmp_path)
    assert len(ds) == 20 and ds.classes == gd.CIFAR10_CLASSES and ds.labels[-1] == 9


class _Evil:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_cifar_pickle_with_code_is_refused(tmp_path):
    _write_cifar100(tmp_path / "data")
    marker = tmp_path / "PWNED"
    evil = {"data": np.zeros((2, 3072), np.uint8), "fine_labels": [0, 1], "x": _Evil(str(marker))}
    (tmp_path / "data" / "cifar-100-python" / "train").write_bytes(pickle.dumps(evil))
    with pytest.raises(UnsafeFileError, match="refused for safety.*not executed|not executed"):
        load_dataset("cifar100", "train", root=tmp_path / "data")
    assert not marker.exists()


# ------------------------------------------------------------------------------------------------
# Tiny-ImageNet and ImageNet-style folders


@pytest.fixture
def tiny_root(tmp_path):
    rng = np.random.default_rng(4)
    base = tmp_path / "data" / "tiny-imagenet-200"
    wnids = ["n02", "n01", "n03"]  # wnids.txt order is not sorted; classes must be sorted
    (base / "val" / "images").mkdir(parents=True)
    (base / "wnids.txt").write_text("\n".join(wnids) + "\n")
    (base / "words.txt").write_text("n01\tgoldfish, Carassius auratus\nn02\tsalamander\nn03\tbullfrog, Rana\nn99\tother\n")
    for w in wnids:
        d = base / "train" / w / "images"
        d.mkdir(parents=True)
        for i in range(2):
            _rand_img(rng, 64, 64, "L" if (w == "n03" and i == 0) else "RGB").save(d / f"{w}_{i}.JPEG")
        (base / "train" / w / f"{w}_boxes.txt").write_text("ignored\n")
    lines = []
    for i, w in enumerate(["n03", "n01", "n02", "n01"]):
        _rand_img(rng, 64, 64).save(base / "val" / "images" / f"val_{i}.JPEG")
        lines.append(f"val_{i}.JPEG\t{w}\t0\t0\t63\t63")
    (base / "val" / "val_annotations.txt").write_text("\n".join(lines) + "\n")
    return tmp_path / "data"


def test_tinyimagenet_standard_layout(tiny_root):
    tr = load_dataset("tinyimagenet", "train", root=tiny_root)
    assert tr.images.shape == (6, 3, 64, 64) and tr.classes == ["n01", "n02", "n03"]
    assert tr.class_names == ["goldfish", "salamander", "bullfrog"]
    assert tr.labels.tolist() == [0, 0, 1, 1, 2, 2]
    assert tr.mean == gd.IMAGENET_MEAN
    te = load_dataset("tinyimagenet", "test", root=tiny_root)
    assert te.labels.tolist() == [2, 0, 1, 0] and te.split == "test"
    small = load_dataset("tinyimagenet", "val", root=tiny_root, image_size=32)
    assert small.images.shape == (4, 3, 32, 32)


def test_imagenet_subset_resize_rule_matches_torchvision(tmp_path):
    from torchvision import transforms as T

    rng = np.random.default_rng(5)
    root = tmp_path / "data"
    imgs = {}
    for split in ("train", "val"):
        for w in ("n01440764", "n02102040"):
            d = root / "imagenette2-320" / split / w
            d.mkdir(parents=True)
            img = _rand_img(rng, 150, 213)  # landscape, not square
            img.save(d / "a.png")
            imgs[(split, w)] = img
    ds = load_dataset("imagenette", "test", root=root)
    assert ds.images.shape == (2, 3, 128, 128) and ds.meta["resize"] == 146
    ref = T.Compose([T.Resize(146), T.CenterCrop(128)])(imgs[("val", "n02102040")])
    np.testing.assert_array_equal(ds.images[1].permute(1, 2, 0).numpy(), np.asarray(ref))
    ds64 = load_dataset("imagenette", "train", root=root, image_size=64)
    ref64 = T.Compose([T.Resize(73), T.CenterCrop(64)])(imgs[("train", "n01440764")])
    np.testing.assert_array_equal(ds64.images[0].permute(1, 2, 0).numpy(), np.asarray(ref64))
    assert gd.default_image_size("imagenet-1k") == 64 and gd.default_test_resize(224) == 256


# ------------------------------------------------------------------------------------------------
# digits


def test_digits_offline_deterministic_split():
    tr = load_dataset("digits", "train")
    te = load_dataset("digits", "test")
    assert tr.images.shape == (1198, 3, 32, 32) and te.images.shape == (599, 3, 32, 32)
    assert tr.num_classes == 10 and tr.classes == [str(i) for i in range(10)]
    assert torch.equal(tr.images[:, 0], tr.images[:, 2])  # replicated channels
    counts_te = te.class_counts()
    assert ((counts_te - tr.class_counts() / 2).abs() <= 1.5).all()
    again = load_dataset("digits", "train")
    assert torch.equal(again.images, tr.images) and torch.equal(again.labels, tr.labels)
    x = tr.float01()
    assert abs(x.mean().item() - gd.DIGITS_MEAN[0]) < 1e-3 and abs(x.std().item() - gd.DIGITS_STD[0]) < 1e-3
    assert tr.images.max() > 200  # 0..16 scaled to 0..255


# ------------------------------------------------------------------------------------------------
# normalisation, ZCA, test-set preparation


def test_normalization_constants():
    assert gd.normalization("cifar100") == (gd.CIFAR_MEAN, gd.CIFAR_STD)
    assert gd.normalization("tinyimagenet") == (gd.IMAGENET_MEAN, gd.IMAGENET_STD)
    assert gd.normalization("imagewoof") == (gd.IMAGENET_MEAN, gd.IMAGENET_STD)
    x = torch.rand(2, 3, 4, 4)
    y = normalize(x, gd.CIFAR_MEAN, gd.CIFAR_STD)
    assert torch.allclose(gd.denormalize(y, gd.CIFAR_MEAN, gd.CIFAR_STD), x, atol=1e-6)
    assert torch.allclose(y[:, 1], (x[:, 1] - 0.4822) / 0.1994)


def _correlated(n=3000, shape=(3, 4, 4), seed=0):
    g = torch.Generator().manual_seed(seed)
    d = int(np.prod(shape))
    mix = torch.randn(d, d, generator=g) / d**0.5
    x = torch.rand(n, d, generator=g) @ mix * 0.3 + 0.5
    return x.reshape(n, *shape)


def test_zca_whitens_and_inverts():
    x = _correlated()
    z = ZCA().fit(x, eps=1e-8)
    w = z.transform(x).reshape(len(x), -1).double()
    cov = torch.cov(w.T)
    assert torch.allclose(cov, torch.eye(cov.shape[0], dtype=torch.float64), atol=2e-3)
    assert w.mean(0).abs().max() < 1e-4
    z1 = ZCA(eps=0.1).fit(x)
    assert torch.allclose(z1.inverse(z1.transform(x)), x, atol=1e-4)
    assert torch.allclose(z1.transform(x), z1(x))
    # symmetric whitening matrix, and eps shrinks the whitening
    assert torch.allclose(z1.matrix, z1.matrix.T, atol=1e-5)
    assert z1.transform(x).std() < z.transform(x).std()


def test_zca_matches_reference_formula():
    x = _correlated(n=500, shape=(3, 2, 2), seed=1)
    eps = 0.1
    z = ZCA(eps).fit(x, exact=True)
    X = x.reshape(len(x), -1).double().numpy()
    mu = X.mean(0)
    C = (X - mu).T @ (X - mu) / (len(X) - 1)
    U, S, _ = np.linalg.svd(C)
    W = U @ np.diag(1 / np.sqrt(S + eps)) @ U.T
    np.testing.assert_allclose(z.matrix.numpy(), W, atol=1e-5)
    np.testing.assert_allclose(z.transform(x).reshape(len(x), -1).numpy(), (X - mu) @ W, atol=1e-5)
    z32 = ZCA(eps).fit(x)  # float32 chunk products on CPU
    assert torch.allclose(z32.matrix, z.matrix, atol=1e-4)


def test_zca_uint8_state_dict_and_errors(tmp_path):
    u8 = torch.randint(0, 256, (200, 3, 4, 4), dtype=torch.uint8)
    z = ZCA(0.1).fit(u8)
    assert torch.allclose(z.transform(u8), z.transform(u8.float() / 255), atol=1e-5)
    torch.save(z.state_dict(), tmp_path / "z.pt")
    z2 = ZCA.from_state_dict(torch.load(tmp_path / "z.pt", weights_only=True))
    assert z2.eps == 0.1 and torch.equal(z2.matrix, z.matrix) and z2.shape == (3, 4, 4)
    with pytest.raises(DataError, match="not fitted"):
        ZCA().transform(u8)
    with pytest.raises(DataError, match="shape"):
        z.transform(torch.rand(2, 3, 8, 8))


@pytest.mark.slow
def test_fit_zca_is_cached(tmp_path):
    ds = load_dataset("digits", "train", image_size=8)
    z = fit_zca(ds, eps=0.1, device="cpu")
    files = list((tmp_path / "cache" / "zca").glob("*.pt"))
    assert len(files) == 1 and "digits-train-8px-eps0.1" in files[0].name
    z2 = fit_zca(ds, eps=0.1)
    assert torch.equal(z.matrix, z2.matrix)
    fit_zca(ds, eps=0.01, device="cpu")
    assert len(list((tmp_path / "cache" / "zca").glob("*.pt"))) == 2


def test_prepare_test_set_pixel_and_zca():
    te = load_dataset("digits", "test", image_size=8)
    x, y = prepare_test_set(te, "pixel")
    assert x.dtype == torch.float32 and torch.equal(y, te.labels)
    assert torch.allclose(x, (te.images.float() / 255 - gd.DIGITS_MEAN[0]) / gd.DIGITS_STD[0], atol=1e-6)
    xz, yz = prepare_test_set(te, "zca")  # fits on the train split (cached)
    tr = load_dataset("digits", "train", image_size=8)
    z = fit_zca(tr)
    assert torch.allclose(xz, z.transform(te.images.float() / 255), atol=1e-6)
    syn = gd.DistilledSet(torch.rand(10, 3, 8, 8), torch.arange(10), space="zca")
    x2, _ = prepare_test_set(te, syn, zca=z)
    assert torch.allclose(x2, xz)
    with pytest.raises(DataError, match="unknown image space"):
        prepare_test_set(te, "lab")


# ------------------------------------------------------------------------------------------------
# Real data ($GIFT_DATA_ROOT); skipped when absent


@pytest.fixture(scope="module")
def shared_cache(tmp_path_factory):
    return tmp_path_factory.mktemp("shared_cache")


def _load_shared(shared_cache, split):
    old = os.environ.get("GIFT_CACHE_DIR")
    os.environ["GIFT_CACHE_DIR"] = str(shared_cache)
    try:
        return load_dataset("cifar10", split, root=SHARED, show_progress=False)
    finally:
        if old is None:
            os.environ.pop("GIFT_CACHE_DIR", None)
        else:
            os.environ["GIFT_CACHE_DIR"] = old


@pytest.mark.slow
@pytest.mark.shared_data
@pytest.mark.skipif(not HAS_SHARED, reason=f"real data not found at {SHARED}")
def test_real_cifar10(shared_cache):
    tr = _load_shared(shared_cache, "train")
    te = _load_shared(shared_cache, "test")
    assert tr.images.shape == (50000, 3, 32, 32) and te.images.shape == (10000, 3, 32, 32)
    assert tr.classes == gd.CIFAR10_CLASSES and tr.num_classes == 10
    assert tr.class_counts().tolist() == [5000] * 10 and te.class_counts().tolist() == [1000] * 10
    again = _load_shared(shared_cache, "train")
    assert again.meta["from_cache"]  # decoded once, then read from the cache (speed: benchmarks, not here)
    assert torch.equal(again.images, tr.images)


@pytest.mark.shared_data
@pytest.mark.skipif(not (SHARED / "released" / "datm-cifar10-zca-ipc10").is_dir(), reason="released DATM set absent")
def test_real_datm_set():
    syn = gd.load_distilled(SHARED / "released" / "datm-cifar10-zca-ipc10", dataset="cifar10")
    assert syn.images.shape == (100, 3, 32, 32) and syn.soft_labels.shape == (100, 10)
    assert syn.space == "zca" and abs(syn.lr - 0.018) < 0.001
    assert syn.labels.tolist() == [c for c in range(10) for _ in range(10)]
    assert syn.ipc == 10 and abs(syn.meta["argmax_agreement"] - 0.95) < 1e-6


@pytest.mark.shared_data
@pytest.mark.slow
@pytest.mark.skipif(not HAS_SHARED, reason=f"real data not found at {SHARED}")
def test_real_cifar10_zca(shared_cache):
    tr = _load_shared(shared_cache, "train")
    t0 = time.perf_counter()
    z = ZCA(0.1).fit(tr.images)
    fit_s = time.perf_counter() - t0
    print(f"ZCA fit on 50,000 CIFAR-10 images: {fit_s:.1f} s")
    sample = tr.images[:2000]
    w = z.transform(sample)
    assert torch.allclose(z.inverse(w), sample.float() / 255, atol=1e-4)
    assert abs(w.mean().item()) < 0.05


@pytest.mark.shared_data
@pytest.mark.slow
@pytest.mark.skipif(not (SHARED / "released" / "datm-cifar10-zca-ipc10").is_dir() or not HAS_SHARED,
                    reason="real CIFAR-10 or the released DATM set absent")
def test_real_datm_set_evaluates(shared_cache):
    """The released DATM set goes through evaluate(): test images whitened with ZCA fitted on the
    real train split (eps 0.1, [0, 1], no mean/std), the set's stored logits as soft labels."""
    from gift.evaluation import evaluate
    from gift.protocol import EvalConfig

    syn = gd.load_distilled(SHARED / "released" / "datm-cifar10-zca-ipc10", dataset="cifar10")
    tr, te = _load_shared(shared_cache, "train"), _load_shared(shared_cache, "test")
    zca = ZCA(0.1).fit(tr.images)
    # the set lives in this ZCA space: undone, its pixels average like CIFAR-10's (~0.47), not like noise
    assert 0.3 < zca.inverse(syn.images).mean().item() < 0.6
    test = te.subset(torch.arange(0, len(te), 20))  # 500 test images keep this short
    cfg = EvalConfig(model_kwargs={"norm": "instance"}, loss="soft_ce", label_source="stored", epochs=2,
                     seeds=(0,), num_checkpoints=1, precision="fp32")
    res = evaluate(syn, test, cfg, zca=zca, device="cpu", show_progress=False)
    assert 0 <= res.runs[0]["best"] <= 100 and res.data["format"] == "datm"
