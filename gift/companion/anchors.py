"""Published CIFAR-10 ConvNet accuracies of the methods whose sets this book evaluates, quoted with
their sources so a reader can place our own sets. Facts to compare against, never targets.

Where a number is quoted from a secondary source (the primary table was not readable here), the
source says so. The readings at the end place our own sets from the stored runs, so the sentences
that rest on them follow the runs."""
from __future__ import annotations

from dataclasses import dataclass

from ..stats import LOSS, MISSING, TIE, WIN, compare, p_text
from .prose import and_join


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


def sre2l_against_random(ex) -> str:
    """Whether our SRe2L sets are weaker than random real images relabelled the same way (both with
    KL, same teacher and budget), IPC by IPC and by the book's rule. Three chapters rest a caveat on
    this, so it is computed from the runs, and a pending IPC says so instead of being assumed."""
    if not {"sre2l", "random"} <= set(ex.profile.methods):
        return "This profile makes no SRe2L set, so it has no SRe2L caveat."
    groups: dict[str, list[str]] = {LOSS: [], TIE: [], WIN: [], MISSING: []}
    for ipc in ex.profile.ipcs:
        c = compare(f"IPC {ipc}", ex.evaluate("sre2l", ipc, loss="kl"), ex.evaluate("random", ipc, loss="kl"))
        groups[c.outcome].append(f"IPC {ipc} ({c.delta:+.2f} points, {p_text(c.p_value)})" if c.available
                                 else f"IPC {ipc}")
    says = {LOSS: "weaker than random real images relabelled by the same teacher (both with KL) at",
            TIE: "not distinguishable from those random images by the rule at",
            WIN: "stronger than those random images at",
            MISSING: "not yet compared with random images (the runs are not computed) at"}
    return "Our SRe2L sets are " + "; ".join(f"{says[k]} {and_join(v)}" for k, v in groups.items() if v) + "."


def rded_against_published(ex) -> str:
    """Our RDED sets (their own loss, KL) against RDED's published CIFAR-10 ConvNet numbers, IPC by
    IPC: "above the published number at IPC 1 (32.71 against 23.5) ...". Published numbers have no
    seeds to test against, so this is a plain comparison of means, said as one."""
    groups: dict[str, list[str]] = {"above": [], "below": [], MISSING: []}
    for a in ANCHORS:
        if a.method != "RDED" or a.ipc not in ex.profile.ipcs or "rded" not in ex.profile.methods:
            continue
        r = ex.evaluate("rded", a.ipc, loss="kl")
        published = float(a.value.split(" ± ")[0])
        if r is None:
            groups[MISSING].append(f"IPC {a.ipc}")
        else:
            ours = r.summary()["best_mean"]
            groups["above" if ours > published else "below"].append(f"IPC {a.ipc} ({ours:.2f} against {published})")
    says = {"above": "above the published number at", "below": "below the published number at",
            MISSING: "not computed yet at"}
    return "; ".join(f"{says[k]} {and_join(v)}" for k, v in groups.items() if v) or "not computed"


__all__ = ["ANCHORS", "Anchor", "SOURCES", "rded_against_published", "sre2l_against_random"]
