"""``gift bench``: images per second of the evaluation step, the project's engine against the
authors' loop, measured side by side in one process.

The step: ConvNet-3 (BatchNorm, width 128) on 32x32 images, batch 50, DSA, a teacher relabelling
every augmented batch, the label loss, an AdamW step. Data are synthetic CIFAR-10-sized tensors
(100 images = IPC 10) and the teacher is randomly initialised: the cost depends on neither.

Variants, run by their public functions (so setup is excluded and per-epoch work is included):

* ``reference`` — :func:`gift.perf.reference.train_student_reference` (fp32, DataLoader, per-sample
  normalisation, per-batch DSA, separate fp32 teacher and student);
* ``engine`` — :func:`gift.train.engine.train_student` with the GIFT loss, compiled or not as a real
  1000-epoch evaluation would be (``compile="auto"`` decides from that run's step count; see
  :mod:`gift.train.compilation`), so the ratio is the one a user gets;
* ``engine_kl`` — the same with the KL loss (GIFT's "near-zero cost" claim);
* ``engine_eager`` — the engine without ``torch.compile`` (only when the engine compiles);
* ``multi`` — :func:`gift.perf.multi.train_students_together` with K members (a gamma sweep of GIFT,
  shared batches): aggregate images per second = K * images / wall time.

Repetitions of the variants alternate (the order rotates every repeat) and medians are reported,
because the machine may be shared. The last line printed is the engine/reference ratio.
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from dataclasses import asdict, dataclass

import torch

from ..data.datasets import CIFAR_MEAN, CIFAR_STD
from ..data.preprocess import normalize
from ..models import get_model
from ..protocol import EvalConfig
from ..train.batches import batches_per_epoch
from ..train.compilation import compile_mode, resolve_compile
from ..train.cost import loss_cost
from ..train.engine import memory_format_for, test_accuracy, train_student
from ..train.precision import resolve_precision
from ..train.tensors import TestTensors, TrainTensors
from ..utils import resolve_device
from .reference import train_student_reference

VARIANTS = ("reference", "engine", "engine_kl", "multi")


@dataclass
class BenchSettings:
    batch_size: int = 50
    # training steps per measurement (rounded up to whole epochs): long enough that the fixed cost
    # of a run (a compiled engine re-traces each new student and freezes each new teacher copy,
    # about 1 s) weighs what it weighs in a real evaluation, not several times more
    steps: int = 100
    repeats: int = 3
    precision: str = "auto"
    models: int = 4  # members of the many-models variant; 0 or 1 skips it
    device: str = "auto"
    full: bool = False
    compile: str = "auto"  # the engine's torch.compile mode, resolved for a full evaluation
    # the workload (tests shrink it; the CLI keeps the paper's)
    width: int = 128
    image_size: int = 32
    num_images: int = 100  # IPC 10 on CIFAR-10
    num_classes: int = 10
    test_images: int = 10000  # CIFAR-10 test set, for the 1000-epoch estimate and --full
    epochs_full: int = 1000
    warmup_steps: int = 10  # oneDNN picks and caches its kernels during the first steps
    seed: int = 0


def cpu_name() -> str:
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def device_description(device: torch.device) -> str:
    if device.type == "cuda":
        return f"{torch.cuda.get_device_name(device)} (CUDA {torch.version.cuda})"
    return f"CPU {cpu_name()}, {os.cpu_count()} logical cores, {torch.get_num_threads()} torch threads"


def synthetic_workload(s: BenchSettings, device: torch.device):
    """Pixel-space images for the reference, normalised ones for the engine, a random teacher."""
    g = torch.Generator().manual_seed(s.seed)
    labels = torch.arange(s.num_images) % s.num_classes
    pixels = torch.rand(s.num_images, 3, s.image_size, s.image_size, generator=g)
    tiny_test = torch.rand(s.batch_size, 3, s.image_size, s.image_size, generator=g)
    tiny_labels = torch.arange(s.batch_size) % s.num_classes
    torch.manual_seed(s.seed + 1)
    teacher = get_model("convnet3", s.num_classes, s.image_size, width=s.width).to(device).eval()
    return {
        "pixel": (TrainTensors(pixels, labels, s.num_classes), TestTensors(tiny_test, tiny_labels)),
        "model": (TrainTensors(normalize(pixels, CIFAR_MEAN, CIFAR_STD), labels, s.num_classes),
                  TestTensors(normalize(tiny_test, CIFAR_MEAN, CIFAR_STD), tiny_labels)),
        "teacher": teacher,
    }


def _config(s: BenchSettings, epochs: int, loss: str = "gift", **loss_kwargs) -> EvalConfig:
    return EvalConfig(model="convnet3", model_kwargs={"width": s.width}, loss=loss, loss_kwargs=loss_kwargs,
                      label_source="teacher", epochs=epochs, batch_size=s.batch_size, num_checkpoints=1,
                      augment="dsa", seeds=(s.seed,), precision=s.precision)


def _members(s: BenchSettings, epochs: int) -> list[EvalConfig]:
    """A gamma sweep of GIFT: the natural many-models workload (the cost does not depend on gamma)."""
    return [_config(s, epochs, "gift", gamma=round(0.1 * (j + 1), 3)) for j in range(s.models)]


def engine_compiles(s: BenchSettings, device: torch.device) -> bool:
    """Whether the engine compiles a full ``epochs_full``-epoch evaluation of this workload."""
    steps = s.epochs_full * batches_per_epoch(s.num_images, s.batch_size)
    return resolve_compile(s.compile, device, steps=steps)


def make_variants(s: BenchSettings, device: torch.device, work: dict, epochs: int) -> dict:
    """name -> () -> images per second (aggregate for ``multi``)."""
    from .multi import train_students_together  # noqa: PLC0415 (only when the variant is built)

    teacher = work["teacher"]
    px_data, px_test = work["pixel"]
    data, test = work["model"]
    images = s.num_images * epochs

    def reference():
        run = train_student_reference(px_data, px_test, _config(s, epochs), s.seed, teacher=teacher,
                                      device=device, show_progress=False, normalize=(CIFAR_MEAN, CIFAR_STD))
        return images / run.wall_time_s

    compiles = engine_compiles(s, device)

    def engine(loss="gift", compile=compiles):
        run = train_student(data, test, _config(s, epochs, loss), s.seed, teacher=teacher, device=device,
                            show_progress=False, compile="on" if compile else "off")
        return images / run.wall_time_s

    def multi():
        runs = train_students_together(data, test, _members(s, epochs), [s.seed] * s.models,
                                       teacher=teacher, device=device, show_progress=False,
                                       compile="on" if compiles else "off")
        return s.models * images / sum(r.wall_time_s for r in runs)

    variants = {"reference": reference, "engine": engine, "engine_kl": lambda: engine("kl")}
    if compiles:
        variants["engine_eager"] = lambda: engine(compile=False)
    if s.models > 1:
        variants["multi"] = multi
    return variants


def test_pass_rate(s: BenchSettings, device: torch.device, precision: str, images: int = 2000,
                   batch_size: int | None = None) -> float:
    """Test images per second of the engine's checkpoint evaluation (its default batch size)."""
    torch.manual_seed(0)
    model = get_model("convnet3", s.num_classes, s.image_size, width=s.width).to(device)
    fmt = memory_format_for(model)
    model = model.to(memory_format=fmt)
    n = min(images, s.test_images)
    test = TestTensors(torch.randn(n, 3, s.image_size, s.image_size, device=device),
                       torch.arange(n, device=device) % s.num_classes)
    test_accuracy(model, TestTensors(test.images[:500], test.labels[:500]), precision=precision, memory_format=fmt,
                  batch_size=batch_size)
    rates = []
    for _ in range(3):
        start = time.perf_counter()
        test_accuracy(model, test, precision=precision, memory_format=fmt, batch_size=batch_size)
        rates.append(n / (time.perf_counter() - start))
    return statistics.median(rates)


def measure(s: BenchSettings, device: torch.device, out=print) -> tuple[dict[str, list[float]], dict[str, float]]:
    """Warm every variant up, then ``repeats`` rounds of all variants in rotating order; returns the
    images per second of every round and the seconds each variant's warm-up took."""
    work = synthetic_workload(s, device)
    steps_per_epoch = batches_per_epoch(s.num_images, s.batch_size)
    epochs = max(1, batches_per_epoch(s.steps, steps_per_epoch))
    warm = make_variants(s, device, work, max(1, batches_per_epoch(s.warmup_steps, steps_per_epoch)))
    warmup_s = {}
    for name, fn in warm.items():
        start = time.perf_counter()
        fn()
        warmup_s[name] = time.perf_counter() - start
    out("  warm-up (first run, kernel selection and any compile): "
        + "  ".join(f"{k} {v:.1f} s" for k, v in warmup_s.items()))
    variants = make_variants(s, device, work, epochs)
    names = list(variants)
    rates: dict[str, list[float]] = {k: [] for k in names}
    for r in range(s.repeats):
        order = names[r % len(names):] + names[: r % len(names)]
        for name in order:
            rates[name].append(variants[name]())
        out(f"  repeat {r + 1}/{s.repeats}: " + "  ".join(f"{k} {rates[k][-1]:.0f}" for k in names) + " img/s")
    return rates, warmup_s


def run_bench(s: BenchSettings, out=print) -> dict:
    device = resolve_device(s.device)
    precision = resolve_precision(s.precision, device)
    steps_per_epoch = batches_per_epoch(s.num_images, s.batch_size)
    epochs = max(1, batches_per_epoch(s.steps, steps_per_epoch))
    out(f"gift bench: ConvNet-3 (BatchNorm, width {s.width}), {s.image_size}x{s.image_size}, batch "
        f"{s.batch_size}, {s.num_images} images, DSA, online teacher relabelling, AdamW")
    out(f"device: {device_description(device)}; torch {torch.__version__}; engine precision {precision}")
    out(f"each measurement: {epochs * steps_per_epoch} steps ({epochs} epochs); {s.repeats} repeats, "
        f"variants alternated; medians below")
    compiles = engine_compiles(s, device)
    out(f"engine compile: {'torch.compile (what a 1000-epoch evaluation uses here)' if compiles else 'off'} "
        f"(mode {s.compile}; see gift.train.compilation)")
    rates, warmup_s = measure(s, device, out)
    med = {k: statistics.median(v) for k, v in rates.items()}
    ms_step = {k: 1e3 * s.batch_size / v for k, v in med.items()}
    out(f"reference (authors' loop: fp32, DataLoader, per-sample normalise) {med['reference']:8.1f} img/s  "
        f"({ms_step['reference']:.1f} ms/step)")
    how = f"{precision}{', compiled' if compiles else ''}"
    out(f"engine ({how}, GIFT){' ' * (41 - len(how))}{med['engine']:8.1f} img/s  ({ms_step['engine']:.1f} ms/step)")
    out(f"engine ({how}, KL){' ' * (43 - len(how))}{med['engine_kl']:8.1f} img/s  ({ms_step['engine_kl']:.1f} ms/step)")
    report: dict = {"settings": asdict(s), "device": device_description(device), "torch": torch.__version__,
                    "precision": precision, "compiled": compiles, "img_per_s": med, "samples": rates,
                    "warmup_s": warmup_s}
    if "engine_eager" in med:
        out(f"engine ({precision}, GIFT, not compiled){' ' * (27 - len(precision))}{med['engine_eager']:8.1f} img/s  "
            f"({ms_step['engine_eager']:.1f} ms/step): torch.compile gives {med['engine'] / med['engine_eager']:.2f}x; "
            f"its first compile in this process took {warmup_s['engine'] - warmup_s['engine_eager']:.1f} s more")
    if "multi" in med:
        ratio = med["multi"] / med["engine"]
        out(f"many models (K={s.models}, GIFT gamma sweep, shared batches{', compiled' if compiles else ''}) "
            f"{med['multi']:8.1f} img/s aggregate = {ratio:.2f}x the single-model engine")
        report["multi_ratio"] = ratio
    loss_ms = loss_cost(s.batch_size, s.num_classes, device)
    gift_over_kl = ms_step["engine"] / ms_step["engine_kl"]
    isolated = (ms_step["engine_kl"] + loss_ms["gift"] - loss_ms["kl"]) / ms_step["engine_kl"]
    # each repeat times GIFT and KL back to back: the spread of their ratios is the step's noise
    paired = sorted(kl / gift for gift, kl in zip(rates["engine"], rates["engine_kl"]))
    out(f"GIFT/KL step time: {gift_over_kl:.3f}x measured end to end (repeats: "
        f"{', '.join(f'{r:.2f}' for r in paired)}: the step's noise); loss alone "
        f"{loss_ms['gift']:.3f} vs {loss_ms['kl']:.3f} ms fwd+bwd -> {isolated:.4f}x of the KL step")
    report.update(gift_over_kl=gift_over_kl, gift_over_kl_paired=paired, gift_over_kl_isolated=isolated,
                  loss_ms=loss_ms)

    test_rate = test_pass_rate(s, device, precision)
    full_steps = s.epochs_full * steps_per_epoch
    checkpoints = 4
    compile_s = warmup_s["engine"] - warmup_s.get("engine_eager", warmup_s["engine"])
    estimate = full_steps * ms_step["engine"] / 1e3 + checkpoints * s.test_images / test_rate + compile_s
    steps_ref = full_steps * ms_step["reference"] / 1e3
    out(f"test pass: {test_rate:.0f} img/s ({s.test_images} images: {s.test_images / test_rate:.1f} s per checkpoint)")
    out(f"one {s.epochs_full}-epoch IPC-{s.num_images // s.num_classes} evaluation (extrapolated from the "
        f"measured steps + {checkpoints} test passes{' + the compile' if compiles else ''}, not run): engine {estimate / 60:.1f} min "
        f"(3 seeds: {3 * estimate / 60:.1f} min); the reference loop's {full_steps} steps alone: "
        f"{steps_ref / 60:.1f} min")
    report.update(test_img_per_s=test_rate, full_eval_estimate_s=estimate, reference_steps_estimate_s=steps_ref)
    if s.full:
        report["full_eval_s"] = run_full(s, device, out)
    speedup = med["engine"] / med["reference"]
    report["speedup"] = speedup
    out(f"speedup engine/reference: {speedup:.2f}x")
    return report


def run_full(s: BenchSettings, device: torch.device, out=print) -> float:
    """Run the real thing: one seed, ``epochs_full`` epochs, ``test_images`` test images."""
    work = synthetic_workload(s, device)
    data, _ = work["model"]
    g = torch.Generator().manual_seed(s.seed + 2)
    test = TestTensors(torch.randn(s.test_images, 3, s.image_size, s.image_size, generator=g),
                       torch.arange(s.test_images) % s.num_classes)
    cfg = _config(s, s.epochs_full).replace(num_checkpoints=4)
    start = time.perf_counter()
    run = train_student(data, test, cfg, s.seed, teacher=work["teacher"], device=device, show_progress=True,
                        compile=s.compile)
    wall = time.perf_counter() - start
    out(f"full {s.epochs_full}-epoch evaluation, run (not extrapolated): {wall / 60:.1f} min "
        f"({run.steps} steps, {len(run.checkpoints)} test passes of {s.test_images} images)")
    return wall


# ------------------------------------------------------------------------------------------- CLI


HELP = "measure the evaluation step: the engine against the authors' loop, in images per second"


def add_bench_arguments(p: argparse.ArgumentParser) -> None:
    d = BenchSettings()
    p.add_argument("--batch-size", type=int, default=d.batch_size,
                   help=f"training batch size (default {d.batch_size}: the authors' rule for 100 images)")
    p.add_argument("--steps", type=int, default=d.steps,
                   help=f"training steps per measurement, rounded up to whole epochs of {d.num_images} images "
                        f"(default {d.steps})")
    p.add_argument("--repeats", type=int, default=d.repeats,
                   help=f"measurements per variant; variants alternate and medians are reported (default {d.repeats})")
    p.add_argument("--precision", default=d.precision, choices=["auto", "bf16", "fp32"],
                   help="the engine's arithmetic: auto = bf16 where the hardware is fast at it (default); "
                        "the reference loop is always fp32")
    p.add_argument("--models", type=int, default=d.models,
                   help=f"members K of the many-models variant (train_students_together); 0 or 1 skips it "
                        f"(default {d.models})")
    p.add_argument("--device", default=d.device, help="auto (default: CUDA if available, else CPU), cpu, cuda, cuda:1 ...")
    p.add_argument("--compile", default=None, choices=["auto", "on", "off"],
                   help="the engine's torch.compile mode, decided for a full 1000-epoch evaluation as `gift eval` "
                        "would (default: $GIFT_COMPILE, else auto)")
    p.add_argument("--full", action="store_true",
                   help=f"also run one real {d.epochs_full}-epoch IPC-10 evaluation (engine, {d.test_images} test "
                        "images) and print its wall time, instead of only the extrapolation (minutes)")


def run_bench_command(args: argparse.Namespace) -> int:
    for name in ("batch_size", "steps", "repeats"):
        if getattr(args, name) < 1:
            raise ValueError(f"--{name.replace('_', '-')} must be >= 1, got {getattr(args, name)}")
    if args.models < 0:
        raise ValueError(f"--models must be >= 0, got {args.models}")
    settings = BenchSettings(batch_size=args.batch_size, steps=args.steps, repeats=args.repeats,
                             precision=args.precision, models=args.models, device=args.device, full=args.full,
                             compile=compile_mode(args.compile))
    run_bench(settings)
    return 0
