"""Command-line options that several ``gift`` subcommands share, each defined once so that their
flags and help read the same everywhere."""
from __future__ import annotations

import argparse


def add_data_location(group: argparse._ArgumentGroup | argparse.ArgumentParser) -> None:
    """``--data-root`` and ``--download``: where the real dataset is, and whether to fetch it."""
    group.add_argument("--data-root", help="data root (default: $GIFT_DATA_ROOT, else the user cache)")
    group.add_argument("--download", action="store_true", default=None,
                       help="download the dataset into the data root when it is missing (cifar10, cifar100, "
                            "tinyimagenet; needs internet; default: on Google Colab only, or $GIFT_DOWNLOAD=1/0)")


def add_precision(group: argparse._ArgumentGroup | argparse.ArgumentParser, default: str) -> None:
    """``--precision``: the arithmetic of training (:mod:`gift.train.precision`)."""
    from ..protocol import PRECISIONS

    group.add_argument("--precision", default=default, choices=PRECISIONS,
                       help=f"auto: bf16 autocast where the hardware is fast at it; fp32: the plain path (default {default})")
