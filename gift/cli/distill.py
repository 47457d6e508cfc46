"""``gift distill METHOD``: distil a dataset with an in-house distiller and save it as a PNG image
folder plus ``distilled.json`` (readable by ``gift eval`` and ``gift.data.load_distilled``)."""
from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from ..distill import DISTILLERS, get_distiller, list_distillers
from .options import add_data_location

HELP = "distil a dataset with an in-house method (random, rded, sre2l) and save it as an image folder"


def _method_options() -> dict[str, tuple[type, list[str]]]:
    """Every option of every distiller: name -> (type, help lines)."""
    out: dict[str, tuple[type, list[str]]] = {}
    for name in list_distillers():
        for opt in DISTILLERS.get(name).options:
            if opt.name in out and out[opt.name][0] is not opt.type:  # pragma: no cover - registry bug
                raise TypeError(f"distiller option {opt.name!r} has conflicting types")
            out.setdefault(opt.name, (opt.type, []))[1].append(opt.help)
    return out


def add_distill_arguments(p: argparse.ArgumentParser) -> None:
    p.formatter_class = argparse.RawDescriptionHelpFormatter
    p.epilog = "methods:\n" + "\n".join(f"  {n:8s} {get_distiller(n).summary}" for n in list_distillers())
    p.add_argument("method", choices=list_distillers(), metavar="METHOD",
                   help=f"distillation method: {', '.join(list_distillers())}")
    g = p.add_argument_group("data")
    g.add_argument("--dataset", default="cifar10", help="training set to distil (default cifar10; see `gift list datasets`)")
    add_data_location(g)
    g.add_argument("--image-size", type=int, help="load the dataset at this image size (default: the dataset's; must match the teacher)")
    g.add_argument("--ipc", type=int, default=10, help="images per class (default 10)")
    g.add_argument("--teacher", metavar="PATH",
                   help="teacher checkpoint from `gift teacher train` (required by rded and sre2l; ignored by random)")
    g.add_argument("--seed", type=int, default=0, help="seed of every random draw (default 0); same seed, same set")
    g.add_argument("--output", "-o", metavar="DIR",
                   help="output folder (default distilled/METHOD-DATASET-ipcIPC-seedSEED)")
    g.add_argument("--overwrite", action="store_true", help="replace the output folder if it exists")
    g = p.add_argument_group("method options (default: the method's; an option the method does not take is an error)")
    for name, (typ, helps) in _method_options().items():
        g.add_argument(f"--{name.replace('_', '-')}", dest=name, type=typ, default=None,
                       metavar="N" if typ is int else "X", help="; ".join(helps))
    g = p.add_argument_group("execution")
    g.add_argument("--device", default="auto", help="auto (default: CUDA when available), cpu, cuda, cuda:1 ...")
    g.add_argument("--no-progress", action="store_true", help="no progress bar")


def run_distill(args: argparse.Namespace) -> int:
    from ..data import load_dataset, save_distilled
    from ..distill import distill

    d = get_distiller(args.method)
    given = {name: getattr(args, name) for name in _method_options() if getattr(args, name) is not None}
    foreign = sorted(set(given) - set(d.option_names()))
    if foreign:
        flags = ", ".join(f"--{n.replace('_', '-')}" for n in foreign)
        takes = ", ".join(f"--{n.replace('_', '-')}" for n in d.option_names()) or "none"
        raise ValueError(f"{flags} does not apply to {args.method} (its options: {takes})")
    if d.needs_teacher and not args.teacher:
        raise ValueError(f"{args.method} needs a teacher: pass --teacher PATH "
                         f"(train one with `gift teacher train --dataset {args.dataset}`)")
    output = args.output or os.path.join("distilled", f"{args.method}-{args.dataset}-ipc{args.ipc}-seed{args.seed}")
    if os.path.exists(output) and not args.overwrite:
        raise ValueError(f"{output} exists; pass --overwrite to replace it or choose another --output")
    from ..utils import check_writable_dir, resolve_device

    if args.device != "auto":
        resolve_device(args.device)  # an absent device fails now, not after loading the data
    check_writable_dir(Path(output).expanduser().absolute().parent, f"folder of the --output {output}")
    start = time.perf_counter()
    train = load_dataset(args.dataset, "train", root=args.data_root, image_size=args.image_size,
                         download=args.download, show_progress=not args.no_progress)
    teacher = None
    if d.needs_teacher:
        from ..teachers import load_teacher

        teacher = load_teacher(args.teacher, dataset=train.name, num_classes=train.num_classes)
    result = distill(args.method, train, args.ipc, teacher=teacher, seed=args.seed, device=args.device,
                     show_progress=not args.no_progress, **given)
    save_distilled(output, result, overwrite=args.overwrite)
    wall = time.perf_counter() - start
    print(f"distill {args.method}: {train.name} ipc {args.ipc} seed {args.seed}, {len(result.labels)} images "
          f"in {wall:.1f} s -> {output}")
    return 0
