"""Fixtures shared by the test files, and test-wide settings: tests never download data
(``GIFT_DOWNLOAD=0`` overrides the on-Colab default of gift.data.download; kernels started by nbval
and papermill inherit it)."""
import os

import pytest
import torch

os.environ["GIFT_DOWNLOAD"] = "0"


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """Every test runs on one intra-op thread: the tensors are tiny, and on a busy shared machine two
    threads working on tiny ops wait for each other at every op (a 0.3 s test took 35 s). Results do
    not depend on it; tests of multi-process training start their own processes."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def digits_train():
    """The bundled 8x8 digits training split (offline, seconds)."""
    from gift.data import load_dataset

    return load_dataset("digits", "train", show_progress=False)
