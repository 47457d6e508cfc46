"""How the chapters report runs: "mean ± std" cells, Markdown tables, provenance and hardware
lines, and the run plan the regression tests check."""
from __future__ import annotations

import json
import statistics

from ..evaluation import EvalResult
from .claims import counted, format_chance
from .prose import and_join

def fmt(result: EvalResult | None, which: str = "best") -> str:
    """``"62.31 ± 0.42"`` (mean ± population std over seeds) or ``"not computed"``."""
    if result is None:
        return "not computed"
    s = result.summary()
    return f"{s[which + '_mean']:.2f} ± {s[which + '_std']:.2f}"


def mean_std(result: EvalResult | None, which: str = "best") -> tuple[float, float]:
    if result is None:
        return float("nan"), float("nan")
    s = result.summary()
    return s[which + "_mean"], s[which + "_std"]


def _seed_runs(results) -> list[dict]:
    """The per-seed run records of ``results`` (``EvalResult`` or None = not computed), each run
    once: a chapter often shows one result in two places (GIFT against KL in the main table and in
    a sweep), and counting it twice would inflate the runs and hours a page reports."""
    runs, seen = [], set()
    for res in results:
        if res is None:
            continue
        config = getattr(res, "config", None)
        # a stored result is named by what it trained (configuration, set, teacher) and each run by
        # its seed; a record without a configuration (a measurement wrapped for this summary) is
        # counted as it comes
        trained = (json.dumps([config, getattr(res, "data", None), getattr(res, "teacher", None)], sort_keys=True,
                              default=str) if config is not None else None)
        for r in res.runs:
            name = (trained, r.get("seed")) if trained is not None else id(r)
            if name not in seen:
                seen.add(name)
                runs.append(r)
    return runs


def device_kind(device: str) -> str:
    """"CPU" or "GPU" for a provenance device name ("cpu: ..." or a CUDA device name)."""
    return "CPU" if device.startswith("cpu") else "GPU"


def provenance_summary(results) -> str:
    """One line saying how many runs a chapter shows, when, where and from which commit."""
    runs = _seed_runs(results)
    if not runs:
        return "no recorded runs"
    provs = [r.get("provenance", {}) for r in runs]
    dates = sorted(p.get("date", "?")[:10] for p in provs)
    devices = sorted({p.get("device", "?") for p in provs})
    commits = sorted({p.get("git_commit", "?") for p in provs})
    hours = sum(p.get("wall_time_s") or 0 for p in provs) / 3600
    span = dates[0] if dates[0] == dates[-1] else f"{dates[0]} to {dates[-1]}"
    dirty = sum(str(p.get("git_commit", "")).endswith("+dirty") for p in provs)
    # "+dirty": the process that trained it ran with uncommitted edits in the checkout, so its commit
    # alone does not pin the code; said, not hidden
    uncommitted = f"; {dirty} trained with uncommitted edits in the checkout (+dirty)" if dirty else ""
    return (f"{counted(len(runs), 'training run')} recorded {span} on {'; '.join(devices)} "
            f"(commits {', '.join(commits)}; {hours:.2f} h of training{uncommitted})")


def hardware_summary(results) -> str:
    """Where a set of runs was trained, e.g. "CPU only (40 runs on 2 CPU models)" or "GPU: NVIDIA H100 (12 runs);
    CPU (40 runs)", and how many were compiled: the book says for each table whether it has GPU
    runs."""
    runs = _seed_runs(results)
    if not runs:
        return "no recorded runs"
    kinds: dict[str, list[str]] = {}
    for r in runs:
        d = r.get("provenance", {}).get("device", "?")
        kinds.setdefault(device_kind(d), []).append(d)
    n_compiled = sum(bool(r.get("compiled")) for r in runs)
    # torch.compile rounds differently; runs recorded before the flag existed cannot say either way
    unrecorded = sum("compiled" not in r for r in runs) if n_compiled else 0
    compiled = (f"; {n_compiled} compiled" + (f", {unrecorded} without a record of it" if unrecorded else "")
                if n_compiled else "")
    if set(kinds) == {"CPU"}:
        n = len(set(kinds["CPU"]))
        # a device string names a CPU model, not a machine: many machines can share one
        return f"CPU only ({counted(len(runs), 'run')} on {n} CPU model{'s' if n > 1 else ''}{compiled})"
    parts = []
    for kind in ("GPU", "CPU"):
        if kind in kinds:
            names = sorted({d.split(": ", 1)[-1] for d in kinds[kind]})
            parts.append(f"{kind}: {', '.join(names)} ({counted(len(kinds[kind]), 'run')})")
    return "; ".join(parts) + (f" ({compiled[2:]})" if compiled else "")


def run_plan(results: dict) -> list[str]:
    """One line per run of a chapter with what it *ran*, not what it measured: loss and its options,
    student, optimizer, the resolved protocol numbers, the checkpoint epochs recorded, and whether
    every accuracy is a valid percentage.

    Accuracies after a few epochs of training differ in the last bits between CPU models (oneDNN
    picks other kernels), so they cannot be compared across the machines CI may run on; these
    lines are exact on every machine and change only when the protocol does. The regression tests
    (nbval) check them."""
    lines = []
    for label, res in results.items():
        name = " ".join(str(p) for p in label) if isinstance(label, tuple) else str(label)
        if res is None:
            lines.append(f"{name}: not computed")
            continue
        c, h = res.config, res.hparams
        kw = ",".join(f"{k}={v}" for k, v in sorted(c["loss_kwargs"].items()))
        model_kw = ",".join(f"{k}={v}" for k, v in sorted(c["model_kwargs"].items()))
        epochs = sorted({tuple(ck["epoch"] for ck in r["checkpoints"]) for r in res.runs})
        valid = all(0.0 <= ck["accuracy"] <= 100.0 for r in res.runs for ck in r["checkpoints"])
        lines.append(
            f"{name}: {c['loss']}({kw}) {c['model']}({model_kw}) {c['optimizer']} lr={h['lr']:g} "
            f"wd={h['weight_decay']:g} batch={h['batch_size']} epochs={c['epochs']} "
            f"milestones={list(h['milestones'])} seeds={[r['seed'] for r in res.runs]} "
            f"checkpoints={'/'.join(str(list(e)) for e in epochs)} accuracies valid={valid}"
        )
    return lines


def projected_seed_minutes(store, profile) -> str:
    """How long the short-budget students would take at the profile's epochs, from the median wall
    time of their stored short-budget seeds scaled by the epoch ratio (a seed's time is linear in
    its epochs), per seed and for all the seeds their claim trains: ``"about 14 minutes for
    MobileNet-V2 and 46 for ResNet-18 (modified) per seed, 4.7 and 15 hours of one core for the
    claim's 20 seeds of each (...)"``. The book states why these students keep a short budget with
    this, not with a remembered figure."""
    names = {kw["model"]: name for name, kw in profile.students.items() if "model" in kw}
    parts = []
    for model, epochs in sorted(profile.short_budget.items()):
        times = sorted(r["result"]["wall_time_s"] for r in store.records("eval")
                       if r["spec"]["config"].get("model") == model and r["spec"]["config"].get("epochs") == epochs
                       and "wall_time_s" in r["result"])
        if times:
            parts.append((statistics.median(times) * profile.epochs / epochs / 60, names.get(model, model)))
    if not parts:
        return ("an unmeasured time (no student of this profile has a short budget)" if not profile.short_budget
                else "an unmeasured time (no short-budget seed is stored yet)")
    parts.sort()
    seeds = len(profile.student_sets) * 2 * len(profile.seeds)  # each set under its own loss and GIFT
    minutes = and_join([f"{parts[0][0]:.0f} minutes for {parts[0][1]}"] + [f"{m:.0f} for {name}" for m, name in parts[1:]])
    hours = and_join(f"{m * seeds / 60:.2g}" for m, _ in parts)
    return (f"about {minutes} per seed, {hours} hours of one core for the claim's {seeds} seeds of "
            f"{'each' if len(parts) > 1 else 'it'} (the median stored {sorted(profile.short_budget.values())[0]}-epoch "
            f"seed, scaled to {profile.epochs} epochs)")


def markdown_table(header, rows) -> str:
    """A Markdown table (the chapters display it with ``IPython.display.Markdown``)."""
    lines = ["| " + " | ".join(str(h) for h in header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def as_row(result: EvalResult | None) -> dict[str, float]:
    """Flat numbers for tables and figures (NaN when not computed)."""
    b, bs = mean_std(result, "best")
    f, fs = mean_std(result, "final")
    return {"best": b, "best_std": bs, "final": f, "final_std": fs}


__all__ = ["as_row", "claim_report", "device_kind", "png_array", "png_base64", "fmt", "hardware_summary", "markdown_table", "mean_std", "provenance_summary",
           "run_plan"]


def claim_report(claim, *, paper: str = "") -> str:
    """A claim as Markdown: its verdict by the book's rule, then one row per comparison (difference
    of seed means with its 95% Welch interval, p-value, outcome). The chapters end with this instead
    of a rule of their own; ``paper`` is a sentence on what the paper reports for the same claim."""
    from ..stats import format_p

    lines = [f"**Claim:** {claim.claim}. **Verdict: {claim.verdict_label()}** "
             f"({claim.evidence()}, by the rule of {{ref}}`the-rule`)."]
    chance = claim.chance()
    if chance == chance:  # a supported or contradicted claim of seed comparisons
        side = "wins" if claim.verdict.endswith("supported") else "losses"
        lines[0] += (f" Seed noise alone, with no real difference anywhere, gives as many {side} among these "
                     f"comparisons in {format_chance(chance)} of simulated claims.")
    if paper:
        lines.append(f"*Paper:* {paper}")
    rows = []
    for c in claim.comparisons:
        if not c.available:
            rows.append((c.label, "not computed", "", "", "", ""))
        elif hasattr(c, "p_value"):
            lo, hi = c.interval
            rows.append((c.label, f"{c.mean:.2f}", f"{c.base_mean:.2f}", f"{c.delta:+.2f} [{lo:+.2f}, {hi:+.2f}]",
                         format_p(c.p_value), c.outcome + (f" ({c.caveat})" if getattr(c, "caveat", "") else "")))
        else:
            rows.append((c.label, f"holds in {100 * c.share:.0f}%", "", "", "", c.outcome))
    if rows:
        lines += ["", markdown_table(["comparison", "mean", "baseline mean", "difference [95% CI]", "p", "outcome"],
                                     rows)]
    if claim.note:
        lines += ["", f"*Note:* {claim.note}"]
    if any(getattr(c, "caveat", "") for c in claim.comparisons):
        lines += ["", "*Precision:* a row marked with its arms' precisions compares runs from machines with and "
                      "without native bf16 (no fp32 twin of the other arm is stored); {doc}`00_protocol` measures "
                      "how far the precision moves a comparison."]
    return "\n".join(lines)


def png_base64(image) -> str:
    """An [H, W, 3] float image in [0, 1] as base64 PNG text: how pictures are kept in the store."""
    import base64
    import io

    import numpy as np
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray((np.clip(np.asarray(image), 0, 1) * 255).round().astype("uint8")).save(buf, format="PNG")
    return base64.b64encode(buf.getvalue()).decode("ascii")


def png_array(text: str):
    """The inverse of :func:`png_base64`: an [H, W, 3] uint8 array."""
    import base64
    import io

    import numpy as np
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(base64.b64decode(text))).convert("RGB"))
