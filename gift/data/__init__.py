"""Data layer: real datasets (uint8 tensors, cached), distilled sets in the released formats,
ZCA whitening and test-set preparation.

    from gift.data import load_dataset, load_distilled, prepare_test_set
    train = load_dataset("cifar10", "train")          # ImageDataset, uint8 [50000, 3, 32, 32]
    syn = load_distilled(".../datm-cifar10-zca-ipc10", dataset="cifar10")   # DistilledSet, space "zca"
    x_test, y_test = prepare_test_set(load_dataset("cifar10", "test"), syn.space)
"""
from .datasets import (
    CIFAR10_CLASSES,
    CIFAR100_CLASSES,
    CIFAR_MEAN,
    CIFAR_STD,
    DATASETS,
    DIGITS_MEAN,
    DIGITS_STD,
    IMAGENET_MEAN,
    IMAGENET_STD,
    DatasetLoader,
    ImageDataset,
    canonical_split,
    default_image_size,
    default_test_resize,
    get_classes,
    list_datasets,
    load_dataset,
    normalization,
)
from .distilled import (
    DC_NORMALIZATION,
    FORMATS,
    SPACES,
    DistilledSet,
    canonical_dataset_name,
    load_distilled,
    save_distilled,
)
from .errors import (
    CorruptFileError,
    CorruptImageError,
    DataError,
    DataNotFoundError,
    ImageShapeError,
    IncompleteSetError,
    NonFiniteDataError,
    UnsafeFileError,
)
from .paths import cache_dir, data_roots
from .preprocess import denormalize, normalize, prepare_test_set
from .safe_load import restricted_pickle_load, safe_torch_load
from .zca import ZCA, fit_zca

__all__ = [
    "CIFAR10_CLASSES", "CIFAR100_CLASSES", "CIFAR_MEAN", "CIFAR_STD", "DATASETS", "DIGITS_MEAN",
    "DIGITS_STD", "IMAGENET_MEAN", "IMAGENET_STD", "DatasetLoader", "ImageDataset", "canonical_split",
    "default_image_size", "default_test_resize", "get_classes", "list_datasets", "load_dataset",
    "normalization", "DC_NORMALIZATION", "FORMATS", "SPACES", "DistilledSet",
    "canonical_dataset_name", "load_distilled", "save_distilled", "CorruptFileError", "CorruptImageError",
    "DataError", "DataNotFoundError", "ImageShapeError", "IncompleteSetError", "NonFiniteDataError",
    "UnsafeFileError", "cache_dir", "data_roots", "denormalize", "normalize",
    "prepare_test_set", "restricted_pickle_load", "safe_torch_load", "ZCA", "fit_zca",
]
