"""Tiny datasets written in the real on-disk formats (for tests that must not download anything)."""
from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
from PIL import Image


def _class_images(rng: np.random.Generator, label: int, n: int, size: int, classes: int) -> np.ndarray:
    """``n`` images of class ``label``: a class-specific colour plus noise, so a few steps of
    training can tell classes apart a little."""
    base = np.array([(label * 37) % 256, (label * 91) % 256, (label * 53 + 128) % 256], np.float32)
    noise = rng.normal(0, 40, size=(n, size, size, 3))
    return np.clip(base + noise, 0, 255).astype(np.uint8)


def write_cifar100(root: str | Path, train_per_class: int = 2, test_per_class: int = 1, seed: int = 0) -> Path:
    """``root/cifar-100-python/{train,test,meta}`` in torchvision's layout: pickled dicts with
    ``data`` (N x 3072 uint8, channel-major rows), ``fine_labels``, ``coarse_labels``, ``filenames``;
    ``meta`` with ``fine_label_names`` and ``coarse_label_names``. 100 classes."""
    out = Path(root) / "cifar-100-python"
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    for split, per in (("train", train_per_class), ("test", test_per_class)):
        imgs, fine = [], []
        for c in range(100):
            imgs.append(_class_images(rng, c, per, 32, 100))
            fine += [c] * per
        hwc = np.concatenate(imgs)
        data = hwc.transpose(0, 3, 1, 2).reshape(len(hwc), 3072)
        d = {"filenames": [f"img_{i}.png" for i in range(len(fine))], "batch_label": f"{split} batch",
             "fine_labels": fine, "coarse_labels": [c // 5 for c in fine], "data": data}
        (out / split).write_bytes(pickle.dumps(d, protocol=2))
    meta = {"fine_label_names": [f"class_{c:03d}" for c in range(100)],
            "coarse_label_names": [f"super_{c:02d}" for c in range(20)]}
    (out / "meta").write_bytes(pickle.dumps(meta, protocol=2))
    return out


def write_tiny_imagenet(root: str | Path, classes: int = 200, train_per_class: int = 2, val_per_class: int = 1,
                        size: int = 64, seed: int = 0) -> Path:
    """``root/tiny-imagenet-200`` in the official layout: wnids.txt, words.txt,
    train/<wnid>/images/<wnid>_<i>.JPEG (+ <wnid>_boxes.txt), val/images/val_<i>.JPEG with
    val/val_annotations.txt (file, wnid, box), test/images/."""
    out = Path(root) / "tiny-imagenet-200"
    rng = np.random.default_rng(seed)
    wnids = [f"n{1440764 + 17 * c:08d}" for c in range(classes)]
    (out / "val" / "images").mkdir(parents=True, exist_ok=True)
    (out / "test" / "images").mkdir(parents=True, exist_ok=True)
    (out / "wnids.txt").write_text("\n".join(wnids) + "\n")
    (out / "words.txt").write_text("".join(f"{w}\tthing {c}, other name\n" for c, w in enumerate(wnids)))
    ann, k = [], 0
    for c, w in enumerate(wnids):
        folder = out / "train" / w / "images"
        folder.mkdir(parents=True, exist_ok=True)
        for i, img in enumerate(_class_images(rng, c, train_per_class, size, classes)):
            Image.fromarray(img).save(folder / f"{w}_{i}.JPEG", quality=90)
        (out / "train" / w / f"{w}_boxes.txt").write_text("")
        for img in _class_images(rng, c, val_per_class, size, classes):
            name = f"val_{k}.JPEG"
            Image.fromarray(img).save(out / "val" / "images" / name, quality=90)
            ann.append(f"{name}\t{w}\t0\t0\t{size - 1}\t{size - 1}")
            k += 1
    (out / "val" / "val_annotations.txt").write_text("\n".join(ann) + "\n")
    return out
