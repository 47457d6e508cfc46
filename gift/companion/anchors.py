"""Published CIFAR-10 ConvNet accuracies of the methods whose sets this book evaluates, quoted with
their sources so a reader can place our own sets. Facts to compare against, never targets.

Where a number is quoted from a secondary source (the primary table was not readable here), the
source says so."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Anchor:
    method: str
    ipc: int
    value: str  # as printed: "mean ± std"
    source: str  # a key of SOURCES
    protocol: str


_RDED_SRC = ("Sun et al., CVPR 2024 (RDED), Table 2, CIFAR-10 ConvNet rows, as quoted in a reproduction of the RDED "
         "code (github.com/andriotis/RDED, scripts/run_table2.sh) and, for IPC 10, by Tran et al., CVPR 2025")
_RDED_PROTOCOL = ("Conv-3 observer = teacher; KL at T = 20 on CutMix batches; 300 epochs, AdamW wd 0.01, "
                  "cosine schedule; best accuracy of the last 20% of training")
_DATM_SRC = "Guo et al., ICLR 2024 (DATM), comparison table in the DATM repository"
_DATM_PROTOCOL = "ConvNet with instance norm, ZCA, learned soft labels and learning rate"
_QIN_SRC = "Qin, Deng, Alvarez-Melis, NeurIPS 2024 ('A Label is Worth a Thousand Images'), Table 2"
_QIN_PROTOCOL = ("ConvNet; soft labels from an early-stopped ConvNet expert with a tuned temperature, "
                 "fixed per image; 3000 epochs")

SOURCES = {"[RDED]": _RDED_SRC, "[DATM]": _DATM_SRC, "[Qin]": _QIN_SRC}
_RDED, _DATM, _QIN = "[RDED]", "[DATM]", "[Qin]"

ANCHORS = (
    Anchor("RDED", 1, "23.5 ± 0.3", _RDED, _RDED_PROTOCOL),
    Anchor("RDED", 10, "50.2 ± 0.3", _RDED, _RDED_PROTOCOL),
    Anchor("RDED", 50, "68.4 ± 0.1", _RDED, _RDED_PROTOCOL),
    Anchor("SRe2L", 10, "not published for CIFAR-10 with a ConvNet (ResNet-18: 29.3 ± 0.5)", _RDED,
           "RDED's table lists SRe2L with ResNet students only"),
    Anchor("DATM", 10, "66.8 ± 0.2", _DATM, _DATM_PROTOCOL),
    Anchor("random, hard labels", 1, "15.4 ± 0.3", _DATM, "ConvNet, hard labels (DATM's random-subset row)"),
    Anchor("random, hard labels", 10, "31.0 ± 0.5", _DATM, "ConvNet, hard labels (DATM's random-subset row)"),
    Anchor("random, hard labels", 50, "50.6 ± 0.3", _DATM, "ConvNet, hard labels (DATM's random-subset row)"),
    Anchor("random, soft labels", 1, "21.1 ± 0.5", _QIN, _QIN_PROTOCOL),
    Anchor("random, soft labels", 10, "46.3 ± 0.8", _QIN, _QIN_PROTOCOL),
    Anchor("random, soft labels", 50, "62.1 ± 0.5", _QIN, _QIN_PROTOCOL),
)

__all__ = ["ANCHORS", "Anchor", "SOURCES"]
