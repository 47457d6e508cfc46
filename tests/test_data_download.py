"""Data on demand: when a missing dataset is downloaded, and the errors when it is not. Nothing here
touches the network: the download functions are replaced by fakes that write tiny data."""
from __future__ import annotations

import sys

import pytest
import torch

from gift.data import DataError, DataNotFoundError, load_dataset
from gift.data import datasets as gd
from gift.data import download as dl

from datafixtures import write_cifar100, write_tiny_imagenet


@pytest.fixture
def not_colab(monkeypatch):
    monkeypatch.delenv("COLAB_RELEASE_TAG", raising=False)
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    monkeypatch.delenv("GIFT_DOWNLOAD", raising=False)


def test_policy_explicit_env_and_colab(not_colab, monkeypatch):
    assert dl.download_policy() == (False, "not on Google Colab and $GIFT_DOWNLOAD is not set")
    assert dl.download_policy(True)[0] and not dl.download_policy(False)[0]
    monkeypatch.setenv("COLAB_RELEASE_TAG", "release-colab_20250101")
    assert dl.download_policy() == (True, "running on Google Colab")
    assert dl.download_policy(False)[0] is False  # an explicit choice wins
    for value, want in (("1", True), ("yes", True), ("on", True), ("0", False), ("false", False), ("off", False)):
        monkeypatch.setenv("GIFT_DOWNLOAD", value)
        assert dl.download_policy()[0] is want, value
    monkeypatch.setenv("GIFT_DOWNLOAD", "sometimes")
    with pytest.raises(DataError, match="GIFT_DOWNLOAD"):
        dl.download_policy()


def test_tests_never_download():
    assert dl.download_policy() == (False, "$GIFT_DOWNLOAD=0")  # tests/conftest.py


def test_missing_cifar_says_how_to_download(tmp_path, monkeypatch):
    monkeypatch.setattr(gd._Cifar, "download", lambda *a: pytest.fail("must not download"))
    with pytest.raises(DataNotFoundError) as ei:
        load_dataset("cifar100", "test", root=tmp_path, cache=False)
    msg = str(ei.value)
    assert "cifar-100-python" in msg and "Automatic download is off ($GIFT_DOWNLOAD=0)" in msg and "GIFT_DOWNLOAD=1" in msg
    assert msg.count("--download") == 1 and msg.count("download=True") == 1  # the advice is given once


def test_allowed_download_fetches_into_the_first_root(tmp_path, monkeypatch):
    calls = []

    def fake_download(self, root, split):  # what torchvision's helper would leave behind
        calls.append((self.name, root))
        write_cifar100(root, train_per_class=1, test_per_class=1)

    monkeypatch.setattr(gd._Cifar, "download", fake_download)
    monkeypatch.setenv("GIFT_DATA_ROOT", str(tmp_path / "data"))
    monkeypatch.setenv("GIFT_DOWNLOAD", "1")
    test = load_dataset("cifar100", "test", cache=False, show_progress=False)
    assert calls == [("cifar100", tmp_path / "data")]
    assert test.num_classes == 100 and len(test) == 100 and test.images.dtype == torch.uint8
    load_dataset("cifar100", "train", cache=False, show_progress=False)
    assert len(calls) == 1  # present now: not fetched again


def test_tiny_imagenet_download_is_checksummed_and_checked(tmp_path, monkeypatch):
    import torchvision.datasets.utils as tvu

    seen = {}

    def fake_fetch(url, download_root, filename=None, md5=None, **kw):
        seen.update(url=url, md5=md5, filename=filename)
        write_tiny_imagenet(download_root, classes=200, train_per_class=1, val_per_class=1, size=8)

    monkeypatch.setattr(tvu, "download_and_extract_archive", fake_fetch)
    small = (200, 1, 200)
    monkeypatch.setattr(gd, "check_tiny_imagenet", lambda p: dl.check_tiny_imagenet(p, small))
    ds = load_dataset("tinyimagenet", "train", root=tmp_path, download=True, cache=False, show_progress=False)
    assert seen == {"url": "http://cs231n.stanford.edu/tiny-imagenet-200.zip",
                    "md5": "90528d7ca1a48142e341f4ef8d21d0de", "filename": "tiny-imagenet-200.zip"}
    assert ds.num_classes == 200 and len(ds) == 200


def test_tiny_imagenet_layout_reader_and_structure_check(tmp_path):
    root = write_tiny_imagenet(tmp_path, classes=200, train_per_class=2, val_per_class=1, size=8)
    dl.check_tiny_imagenet(root, (200, 2, 200))
    train = load_dataset("tinyimagenet", "train", root=tmp_path, image_size=16, cache=False, show_progress=False)
    val = load_dataset("tinyimagenet", "val", root=tmp_path, image_size=16, cache=False, show_progress=False)
    assert train.images.shape == (400, 3, 16, 16) and val.images.shape == (200, 3, 16, 16)
    assert train.num_classes == val.num_classes == 200
    assert torch.equal(train.class_counts(), torch.full((200,), 2))
    assert train.classes == sorted(train.classes) and train.class_names[0] == "thing 0"
    # the official archive's counts are what a download is checked against
    with pytest.raises(DataError, match="expected 500"):
        dl.check_tiny_imagenet(root)
    (root / "val" / "images" / "val_3.JPEG").unlink()
    with pytest.raises(DataError, match="1 missing"):
        dl.check_tiny_imagenet(root, (200, 2, 200))


@pytest.mark.parametrize("env", ["0", "1"])
def test_imagenet_is_never_downloaded_and_says_where_it_comes_from(tmp_path, monkeypatch, env):
    monkeypatch.setenv("GIFT_DOWNLOAD", env)
    with pytest.raises(DataNotFoundError) as ei:
        load_dataset("imagenet-1k", "train", root=tmp_path, cache=False)
    msg = str(ei.value)
    assert "image-net.org" in msg and "imagenet-1k/train/<wnid>/*.JPEG" in msg and "Automatic download" not in msg


def test_datm_release_help_names_source_and_layout():
    assert "github.com/GzyAftermath/DATM" in dl.DATM_HOW_TO_GET
    assert "released/datm-<dataset>-zca-ipc<N>/" in dl.DATM_HOW_TO_GET and "lr.pt" in dl.DATM_HOW_TO_GET
