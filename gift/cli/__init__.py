"""The ``gift`` command line: ``gift eval``, ``gift teacher train``, ``gift distill``, ``gift results``,
``gift bench``, ``gift list``. Every subcommand has ``--help``; long work shows a progress bar and
ends with a one-line summary."""
from __future__ import annotations

import argparse
import json
import os
import sys
import warnings
from typing import Callable, NamedTuple

from .options import add_data_location, add_precision


DESCRIPTION = ("GIFT and the label losses of dataset distillation: train teachers, distil sets, evaluate them "
               "with the paper's protocol, and read the results store. Every subcommand has --help.")


class Command(NamedTuple):
    """A subcommand: its arguments, what it runs (returning the exit status) and its one-line help."""

    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]
    help: str


def parse_kv(items: list[str] | None) -> dict:
    """``["T=4", "t2_scale=true"]`` -> ``{"T": 4, "t2_scale": True}`` (values parsed as JSON when possible)."""
    out = {}
    for item in items or []:
        if "=" not in item:
            raise SystemExit(f"error: expected KEY=VALUE, got {item!r}")
        key, value = item.split("=", 1)
        try:
            out[key] = json.loads(value)
        except json.JSONDecodeError:
            out[key] = value
    return out


# ------------------------------------------------------------------------------------------ eval


def add_eval_arguments(p: argparse.ArgumentParser) -> None:
    from ..protocol import LABEL_SOURCES, EvalConfig, list_optimizers
    from ..train.compilation import AUTO_MIN_STEPS, COMPILE_MODES

    d = EvalConfig()  # every default below is the config's

    g = p.add_argument_group("data")
    g.add_argument("distilled", help="distilled set: an image folder, data.pt, a DATM folder (images.pt, labels.pt, lr.pt), a res_*.pt, or a folder written by `gift distill`")
    g.add_argument("--dataset", help="test dataset name (default: read from the distilled set's metadata)")
    g.add_argument("--allow-partial", action="store_true",
                   help="accept a set without images for some classes (by default such a set is refused, since it would be scored as complete)")
    add_data_location(g)
    g = p.add_argument_group("labels")
    g.add_argument("--teacher", help="teacher checkpoint from `gift teacher train`; relabels every augmented batch online")
    g.add_argument("--label-source", default=d.label_source, choices=LABEL_SOURCES,
                   help=f"teacher: online relabelling; stored: the set's soft labels (DATM); hard: class labels only; auto: teacher if given, else stored, else hard (default {d.label_source})")
    g.add_argument("--loss", default=d.loss, help=f"label loss by name (see `gift list losses`; default {d.loss})")
    g.add_argument("--loss-arg", action="append", metavar="KEY=VALUE", help="loss hyperparameter, e.g. --loss-arg T=4 (repeatable)")
    g = p.add_argument_group("student and optimisation")
    g.add_argument("--model", default=d.model, help=f"student network (see `gift list models`; default {d.model})")
    g.add_argument("--model-arg", action="append", metavar="KEY=VALUE", help="model option, e.g. --model-arg norm=instance (repeatable)")
    g.add_argument("--optimizer", default=d.optimizer, choices=list_optimizers(),
                   help=f"default {d.optimizer}; adamw (lr 1e-3, wd 1e-4, the authors' code), adam (same numbers, coupled L2 decay), sgd (lr 0.01, momentum 0.9, wd 5e-4)")
    g.add_argument("--lr", type=float, help="learning rate (default: the optimizer's; under adamw 1e-4 for swin_v2_t, as the authors' code)")
    g.add_argument("--weight-decay", type=float, help="weight decay (default: the optimizer's)")
    g.add_argument("--momentum", type=float, help="SGD momentum (default 0.9)")
    g.add_argument("--use-learned-lr", action="store_true", help="train with the set's learned lr (DATM lr.pt)")
    g.add_argument("--epochs", type=int, default=d.epochs, help=f"training epochs (default {d.epochs}; the authors use 300 on ImageNet-1K)")
    g.add_argument("--batch-size", type=int, help="batch size (default: the authors' rule from the set size: <=10→10, <=500→50, <=20000→100, else 200)")
    g.add_argument("--num-checkpoints", type=int, default=d.num_checkpoints, help=f"test accuracy every E/N epochs (default {d.num_checkpoints})")
    g.add_argument("--augment", default=d.augment, help=f"dsa (authors' DSA), dsa_single (MTT/DATM one-op DSA) or none (default {d.augment})")
    g.add_argument("--factor", type=int, default=d.factor, help=f"RandomFactorResizedCrop factor (default {d.factor}; 1 = off)")
    g.add_argument("--seeds", type=int, nargs="+", default=list(d.seeds), help=f"one student per seed (default {' '.join(map(str, d.seeds))})")
    g = p.add_argument_group("execution")
    add_precision(g, d.precision)
    g.add_argument("--compile", choices=COMPILE_MODES, default=None,
                   help=f"torch.compile the student and teacher: auto (default, or $GIFT_COMPILE) compiles CPU runs "
                        f"of {AUTO_MIN_STEPS}+ steps; the first compile takes ~40 s, cached on disk afterwards")
    g.add_argument("--device", default="auto", help="auto (default), cpu, cuda, cuda:1 ...")
    g.add_argument("--store", help="results store folder: reuse stored seeds, save new ones")
    g.add_argument("--output", help="write the full record as JSON here")
    g.add_argument("--no-progress", action="store_true", help="no progress bar")


def run_eval(args: argparse.Namespace) -> int:
    import torch
    import torch.distributed as dist

    from ..data import load_dataset, load_distilled
    from ..evaluation import check_image_shape, check_same_dataset, evaluate
    from ..results import ResultsStore
    from ..teachers import load_teacher

    from ..utils import OutputError, check_writable_dir, check_writable_file, resolve_device

    world = int(os.environ.get("WORLD_SIZE", "1"))
    device = args.device
    # every input is checked before any data is loaded or any student trained
    if device != "auto":
        resolve_device(device)
    if args.output:
        check_writable_file(args.output, "--output file")
    if args.store:
        check_writable_dir(os.path.join(args.store, "eval"), "--store folder")
    config = _eval_config(args)
    if world > 1 and not dist.is_initialized():
        backend = "nccl" if torch.cuda.is_available() and device != "cpu" else "gloo"
        dist.init_process_group(backend)
        if backend == "nccl":
            device = f"cuda:{int(os.environ.get('LOCAL_RANK', 0))}"
            torch.cuda.set_device(device)
        elif device == "auto":
            device = "cpu"
    rank = dist.get_rank() if dist.is_initialized() else 0

    # --dataset goes to the loader too, so a set that declares another dataset is refused
    distilled = load_distilled(args.distilled, dataset=args.dataset, allow_partial=args.allow_partial)
    dataset = args.dataset or distilled.meta.get("dataset")
    if not dataset:
        raise ValueError("the distilled set does not say which dataset it comes from; pass --dataset")
    test = load_dataset(dataset, "test", root=args.data_root, download=args.download)
    check_same_dataset(distilled, test)
    check_image_shape(distilled, test)
    teacher = None
    if args.teacher:
        teacher = load_teacher(args.teacher, dataset=test.name, num_classes=test.num_classes)
    zca = None
    if distilled.space == "zca":
        from ..data import fit_zca

        train = load_dataset(dataset, "train", root=args.data_root, download=args.download)
        zca = fit_zca(train, eps=distilled.meta.get("zca_eps", 0.1))
    # under torchrun every rank reads the store (they must agree on what to train); rank 0 writes
    store = ResultsStore(args.store) if args.store else None
    result = evaluate(
        distilled, test, config, teacher=teacher, zca=zca, device=device, store=store,
        show_progress=not args.no_progress, compile=args.compile,
    )
    if rank == 0:
        ranks = f" on {world} processes" if world > 1 else ""
        # the numbers are printed first: a failing --output write cannot hide them
        print(f"{os.path.basename(os.path.normpath(args.distilled))} [{config.model}]{ranks} {result.line()}", flush=True)
        if args.output:
            try:
                result.save_json(args.output)
            except OSError as err:
                raise OutputError(f"cannot write --output {args.output}: {err.strerror or err} "
                                  f"(the result is printed above{' and saved in the store' if store else ''})") from None
    if dist.is_initialized():
        dist.destroy_process_group()
    return 0


def _eval_config(args: argparse.Namespace):
    from ..protocol import EvalConfig

    return EvalConfig(
        model=args.model, model_kwargs=parse_kv(args.model_arg), loss=args.loss,
        loss_kwargs=parse_kv(args.loss_arg), label_source=args.label_source,
        optimizer=args.optimizer, lr=args.lr, weight_decay=args.weight_decay, momentum=args.momentum,
        epochs=args.epochs, batch_size=args.batch_size, num_checkpoints=args.num_checkpoints,
        augment=args.augment, factor=args.factor, seeds=tuple(args.seeds), precision=args.precision,
        use_learned_lr=args.use_learned_lr,
    )


EVAL_HELP = "train students on a distilled set under the paper's protocol and report test accuracy"


# --------------------------------------------------------------------------------------- teacher


def add_teacher_arguments(p: argparse.ArgumentParser) -> None:
    from ..teachers import TeacherConfig

    d = TeacherConfig()  # every default below is the recipe's
    sub = p.add_subparsers(dest="teacher_command", required=True, metavar="{train,info}")
    t = sub.add_parser("train", help="train a teacher (observer) model from scratch on the real training set",
                       description=f"Recipe: SGD (Nesterov, momentum {d.momentum}, wd {d.weight_decay} on weights), {d.warmup_epochs} warm-up epoch(s) then cosine decay, random crop + flip ({d.pad}-pixel padding), cross-entropy. The state is saved to OUTPUT.partial after every epoch; rerunning the same command resumes from it.")
    t.add_argument("--dataset", default=d.dataset, help=f"dataset name (default {d.dataset})")
    t.add_argument("--model", default=d.model, help=f"architecture (default {d.model})")
    t.add_argument("--model-arg", action="append", metavar="KEY=VALUE", help="model option, e.g. --model-arg norm=instance")
    t.add_argument("--epochs", type=int, default=d.epochs, help=f"training epochs (default {d.epochs})")
    t.add_argument("--batch-size", type=int, default=d.batch_size, help=f"batch size (default {d.batch_size})")
    t.add_argument("--lr", type=float, default=d.lr, help=f"peak learning rate (default {d.lr})")
    t.add_argument("--seed", type=int, default=d.seed, help=f"seed (default {d.seed})")
    add_precision(t, d.precision)
    t.add_argument("--device", default="auto", help="auto (default), cpu, cuda, cuda:1 ...")
    add_data_location(t)
    t.add_argument("--output", "-o", required=True, help="where to save the teacher (.pt)")
    t.add_argument("--no-progress", action="store_true", help="no progress bar")
    i = sub.add_parser("info", help="print a saved teacher's metadata")
    i.add_argument("path", help="teacher checkpoint (.pt) written by `gift teacher train`")


def run_teacher(args: argparse.Namespace) -> int:
    from ..teachers import TeacherConfig, save_teacher, teacher_meta
    from ..train.teacher import train_teacher

    if args.teacher_command == "info":
        meta = teacher_meta(args.path)
        meta.pop("classes", None)
        print(json.dumps(meta, indent=2))
        return 0
    from ..data import load_dataset
    from ..utils import check_writable_file, resolve_device

    config = TeacherConfig(
        dataset=args.dataset, model=args.model, model_kwargs=parse_kv(args.model_arg), epochs=args.epochs,
        batch_size=args.batch_size, lr=args.lr, seed=args.seed, precision=args.precision,
    )
    if args.device != "auto":
        resolve_device(args.device)
    check_writable_file(args.output, "teacher output (-o)")  # before 45-60 minutes of training
    train = load_dataset(args.dataset, "train", root=args.data_root, download=args.download)
    test = load_dataset(args.dataset, "test", root=args.data_root, download=args.download)
    # an interrupted run resumes from OUTPUT.partial (saved after every epoch) when rerun
    partial = f"{args.output}.partial"
    model, meta = train_teacher(config, train, test, device=args.device, show_progress=not args.no_progress,
                                checkpoint=partial)
    save_teacher(model, meta, args.output)  # removes OUTPUT.partial only once the teacher is written
    print(f"teacher {meta['id']}: test accuracy {meta['test_accuracy']:.2f}% "
          f"({meta['provenance']['wall_time_s']:.0f} s) -> {args.output}")
    return 0


TEACHER_HELP = "train or inspect teacher (observer) models"


# --------------------------------------------------------------------------------------- results


def add_results_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--store", help="results folder (default: results/ of the repository or $GIFT_RESULTS_DIR)")
    p.add_argument("--kind", help="only this kind of record (e.g. eval, teacher)")


def run_results(args: argparse.Namespace) -> int:
    from ..results import ResultsStore

    store = ResultsStore(args.store)
    count = 0
    with warnings.catch_warnings(record=True) as skipped:
        warnings.simplefilter("always")
        records = list(store.records(args.kind))
    for w in skipped:  # one line per unreadable record, naming its file
        print(f"gift results: warning: {w.message}", file=sys.stderr)
    for rec in records:
        count += 1
        spec, res, prov = rec["spec"], rec["result"], rec["provenance"]
        cfg = spec.get("config", {})
        data = spec.get("data", {})
        recipe = data.get("recipe") if isinstance(data.get("recipe"), dict) else {}
        if recipe:
            name = f"{recipe.get('method')}" + (f"-ipc{recipe['ipc']}" if "ipc" in recipe else "")
        else:  # a loaded set named by its content: say its format too
            name = f"{data.get('format') or 'set'}:{str(data.get('content', ''))[:8]}"
        if rec["kind"] == "set":
            name = f"{spec.get('method')}-ipc{spec.get('ipc')}"
        acc = res.get("best")
        print(f"{rec['kind']:6s} {rec['key']}  {str(name):16s} {cfg.get('model', ''):18s} {cfg.get('loss', ''):10s} "
              f"seed {spec.get('seed', '-')}  best {acc if acc is None else f'{acc:.2f}'}  "
              f"{prov.get('date', '')}  {prov.get('device', '')}")
    print(f"{count} record(s) in {store.root}")
    return 0


RESULTS_HELP = "list the runs stored in the results store"


# ------------------------------------------------------------------------------------------ list


def add_list_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("what", choices=["losses", "models", "optimizers", "datasets", "augmentations", "distillers"],
                   help="which registry to list")


def run_list(args: argparse.Namespace) -> int:
    import importlib

    sources = {
        "losses": ("gift.losses", "list_losses"),
        "models": ("gift.models", "list_models"),
        "optimizers": ("gift.protocol", "list_optimizers"),
        "datasets": ("gift.data", "list_datasets"),
        "augmentations": ("gift.augment", "list_augmentations"),
        "distillers": ("gift.distill", "list_distillers"),
    }
    module, fn = sources[args.what]
    print("\n".join(getattr(importlib.import_module(module), fn)()))
    return 0


LIST_HELP = "list registered losses, models, optimizers, datasets, augmentations or distillers"


# ------------------------------------------------------------------------------------------ main


def commands() -> dict[str, Command]:
    """Every subcommand, by name. The subcommands defined next to their code (distill, bench) are
    imported here: nothing registers itself on import."""
    from ..perf import bench
    from . import distill

    return {
        "bench": Command(bench.add_bench_arguments, bench.run_bench_command, bench.HELP),
        "distill": Command(distill.add_distill_arguments, distill.run_distill, distill.HELP),
        "eval": Command(add_eval_arguments, run_eval, EVAL_HELP),
        "list": Command(add_list_arguments, run_list, LIST_HELP),
        "results": Command(add_results_arguments, run_results, RESULTS_HELP),
        "teacher": Command(add_teacher_arguments, run_teacher, TEACHER_HELP),
    }


def build_parser() -> argparse.ArgumentParser:
    from ..version import __version__

    parser = argparse.ArgumentParser(prog="gift", description=DESCRIPTION)
    parser.add_argument("--version", action="version", version=f"gift {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, cmd in commands().items():
        cmd.add_arguments(sub.add_parser(name, help=cmd.help, description=cmd.help))
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    run = commands()[args.command].run
    previous = warnings.formatwarning
    # warnings (a skipped link loop, an empty class folder) read as one line, like errors
    warnings.formatwarning = lambda message, category, *a, **k: f"gift {args.command}: warning: {message}\n"
    try:
        return run(args)
    except expected_failures() as err:
        print(f"gift {args.command}: error: {_one_line(err)}", file=sys.stderr)
        return 2
    finally:
        warnings.formatwarning = previous


def expected_failures() -> tuple[type[BaseException], ...]:
    """What bad input, bad files, an unavailable device, an unwritable output or a diverging run
    raise: reported as one line with exit status 2, never a traceback."""
    from ..train.engine import TrainingDiverged

    return (ValueError, FileNotFoundError, TrainingDiverged, PermissionError,
            IsADirectoryError, NotADirectoryError)


def _one_line(err: BaseException) -> str:
    lines = [ln.strip() for ln in str(err).splitlines() if ln.strip()]
    return " ".join(lines) if lines else type(err).__name__
