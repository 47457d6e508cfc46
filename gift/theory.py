"""Theorem 1 of the GIFT paper, evaluated numerically (book chapter 03_theorem).

The paper (Section 4 and Appendix A) bounds the InfoNCE loss between student outputs and targets:

    (4)  L = -E_i[ log( exp(s_ii / tau) / sum_{j=1..N} exp(s_ij / tau) ) ],   s_ij = cos(z_i, y_j)
    (7)  L <= -E_i[s_ii] / tau + log E_i[ sum_j exp(s_ij / tau) ]                    (Jensen)
    (8)  sum_j exp(s_ij / tau) ~= N exp( E_j[z_i . y_j] / (||z_i|| E_j[||y_j||] tau) )  (approximation)
    (9)  L <= -(1/tau) ( E_i[s_ii] - E_i[ E_j[z_i . y_j] / (||z_i|| E_j||y_j||) ] ) + log N

and, because the targets are "approximately orthogonal", drops the negative term (it calls it
epsilon, eq. 2) and trains with 1 - cos (eq. 3).

**Our reading** (every function below follows it): a batch of N samples gives student outputs
``z`` [N, C] (logits, the paper's phi_theta(x)) and targets ``r`` [N, C] (GIFT's refined labels,
``gift.refine_labels``). Sample i's positive is its own target r_i; the denominator of (4) runs over
the N targets of the batch, j = 1..N, *including* the positive (Appendix A writes sum_{j=1}^N).
E_i is the mean over the N anchors of the batch. The negative term of (9) averages over the same
j = 1..N as the sum it replaces (``negatives="all"``, Appendix A eq. 8); Theorem 1's wording
("negative samples y_j") also allows averaging over j != i only (``negatives="others"``); both
keep the paper's log N. The paper gives no value of tau; every function takes it as an argument.

Everything is computed in float64 (the gaps measured here can be small differences of large terms).
"""
from __future__ import annotations

import copy
import math
import time
from typing import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .augment import get_augmentation
from .losses import get_loss, refine_labels, smooth_labels
from .models import get_model
from .protocol import batch_size_rule
from .train.batches import batch_generators, batches_per_epoch, epoch_batches
from .train.tensors import TrainTensors

__all__ = [
    "NEGATIVES",
    "similarity_matrix",
    "infonce",
    "positive_cosine",
    "negative_term",
    "jensen_bound",
    "paper_bound",
    "max_bound",
    "bound_terms",
    "target_cosines",
    "random_abs_cosine",
    "welch_rms_bound",
    "train_gift_student",
    "batch_logits",
    "theorem_measurements",
]

NEGATIVES = ("all", "others")


# ------------------------------------------------------------------------------------------------
# The quantities of the theorem, for one batch
# ------------------------------------------------------------------------------------------------
def _check_pair(z: Tensor, r: Tensor) -> tuple[Tensor, Tensor]:
    if z.dim() != 2 or r.dim() != 2 or z.shape != r.shape:
        raise ValueError(f"z and r must both be [N, C] with the same shape, got {tuple(z.shape)} and {tuple(r.shape)}")
    if z.shape[0] < 1:
        raise ValueError("empty batch")
    return z.double(), r.double()


def _check_tau(tau: float) -> None:
    if not tau > 0:
        raise ValueError(f"the temperature tau must be > 0, got {tau}")


def _mask(n: int, negatives: str, device) -> Tensor:
    """[N, N] boolean: which j enter the negative average of anchor i."""
    if negatives not in NEGATIVES:
        raise ValueError(f"negatives must be one of {NEGATIVES}, got {negatives!r}")
    if negatives == "all":
        return torch.ones(n, n, dtype=torch.bool, device=device)
    if n < 2:
        raise ValueError("negatives='others' needs a batch of at least 2 samples")
    return ~torch.eye(n, dtype=torch.bool, device=device)


def similarity_matrix(z: Tensor, r: Tensor) -> Tensor:
    """s_ij = cos(z_i, r_j), [N, N] float64 (eq. 5: sim(z_i, y_j) = z_i . y_j / (||z_i|| ||y_j||))."""
    z, r = _check_pair(z, r)
    return F.normalize(z, dim=1) @ F.normalize(r, dim=1).T


def infonce(z: Tensor, r: Tensor, tau: float = 0.1) -> Tensor:
    """InfoNCE of eq. (4): mean over anchors i of -log softmax_j(s_ij / tau) at j = i, with the
    softmax over all N targets of the batch (the positive included)."""
    _check_tau(tau)
    s = similarity_matrix(z, r) / tau
    return (torch.logsumexp(s, dim=1) - s.diagonal()).mean()


def positive_cosine(z: Tensor, r: Tensor) -> Tensor:
    """cos(z_i, r_i) per anchor, [N] (the positive-pair term E[z_i . y_i / (||z_i|| ||y_i||)] of
    eqs. 2 and 9; GIFT's loss, eq. 3, is 1 - its mean)."""
    return similarity_matrix(z, r).diagonal()


def negative_term(z: Tensor, r: Tensor, negatives: str = "all") -> Tensor:
    """The paper's negative term per anchor, [N]: E_j[z_i . r_j] / (||z_i|| E_j[||r_j||]) (eqs. 8-9;
    called epsilon in eq. 2). The mean over j runs over j = 1..N (``"all"``) or j != i (``"others"``).
    When all ||r_j|| are equal it is the mean cosine E_j[cos(z_i, r_j)]."""
    z, r = _check_pair(z, r)
    m = _mask(z.shape[0], negatives, z.device).double()
    count = m.sum(dim=1)
    mean_dot = ((z @ r.T) * m).sum(dim=1) / count
    mean_norm = (m * r.norm(dim=1)[None, :]).sum(dim=1) / count
    return mean_dot / (z.norm(dim=1) * mean_norm)


def jensen_bound(z: Tensor, r: Tensor, tau: float = 0.1) -> Tensor:
    """Right-hand side of eq. (7): -E_i[s_ii] / tau + log E_i[sum_j exp(s_ij / tau)]. A true upper
    bound of :func:`infonce` (Jensen: E log X <= log E X)."""
    _check_tau(tau)
    s = similarity_matrix(z, r) / tau
    n = s.shape[0]
    return -s.diagonal().mean() + torch.logsumexp(torch.logsumexp(s, dim=1), dim=0) - math.log(n)


def paper_bound(z: Tensor, r: Tensor, tau: float = 0.1, negatives: str = "all") -> Tensor:
    """Right-hand side of eq. (9) (= eq. 2 with epsilon the negative term):
    -(1/tau) (E_i[cos(z_i, r_i)] - E_i[negative_term_i]) + log N."""
    _check_tau(tau)
    n = z.shape[0]
    return -(positive_cosine(z, r).mean() - negative_term(z, r, negatives).mean()) / tau + math.log(n)


def max_bound(z: Tensor, r: Tensor, tau: float = 0.1) -> Tensor:
    """A valid replacement for (9), not in the paper: log sum_j exp(a_j) <= log N + max_j a_j gives
    L <= -(1/tau) (E_i[s_ii] - E_i[max_j s_ij]) + log N."""
    _check_tau(tau)
    s = similarity_matrix(z, r)
    return -(s.diagonal() - s.max(dim=1).values).mean() / tau + math.log(s.shape[0])


def bound_terms(z: Tensor, r: Tensor, tau: float = 0.1, negatives: str = "all") -> dict[str, float]:
    """Every term of the proof for one batch, as floats.

    ``infonce`` (eq. 4), ``rhs7`` (eq. 7), ``rhs9`` (eq. 9), ``max_bound`` and the steps between them:

    - ``slack7`` = rhs7 - infonce >= 0: what Jensen's inequality (7) gives away;
    - ``err8_exp`` = log E_i[S_i] - log E_i[N exp(c_i / tau)], S_i = sum_j exp(s_ij / tau),
      c_i = mean_j s_ij: the sum of exponentials replaced by N times the exponential of the mean
      (eq. 8). >= 0 for ``negatives="all"`` (Jensen the other way round);
    - ``err8_norm`` = log E_i[N exp(c_i / tau)] - log E_i[N exp(n_i / tau)], n_i = negative_term:
      the mean cosine replaced by a ratio of means (eq. 8); 0 when all ||r_j|| are equal;
    - ``err9_mean`` = log E_i[exp(n_i / tau)] - E_i[n_i] / tau >= 0: the expectation over anchors
      taken out of the exponential and the logarithm (implicit between eqs. 8 and 9).

    Exactly: rhs9 - infonce = slack7 - (err8_exp + err8_norm + err9_mean), so the paper's bound
    holds on the batch iff the slack of the one inequality covers the three approximation errors.
    ``pos`` and ``neg`` are the means of :func:`positive_cosine` and :func:`negative_term`.
    """
    _check_tau(tau)
    s = similarity_matrix(z, r)
    n = s.shape[0]
    m = _mask(n, negatives, s.device)
    c = (s * m).sum(dim=1) / m.sum(dim=1)
    neg = negative_term(z, r, negatives)
    lse = torch.logsumexp(s / tau, dim=1)  # log S_i
    log_mean_s = torch.logsumexp(lse, dim=0) - math.log(n)  # log E_i S_i
    log_mean_c = torch.logsumexp(c / tau, dim=0)  # log E_i[N exp(c_i / tau)] (the 1/N and the N cancel)
    log_mean_n = torch.logsumexp(neg / tau, dim=0)  # log E_i[N exp(n_i / tau)]
    loss = infonce(z, r, tau)
    rhs7 = jensen_bound(z, r, tau)
    rhs9 = paper_bound(z, r, tau, negatives)
    return {
        "infonce": float(loss),
        "rhs7": float(rhs7),
        "rhs9": float(rhs9),
        "max_bound": float(max_bound(z, r, tau)),
        "slack7": float(rhs7 - loss),
        "err8_exp": float(log_mean_s - log_mean_c),
        "err8_norm": float(log_mean_c - log_mean_n),
        "err9_mean": float(log_mean_n - math.log(n) - neg.mean() / tau),
        "pos": float(s.diagonal().mean()),
        "neg": float(neg.mean()),
    }


# ------------------------------------------------------------------------------------------------
# The "approximately orthogonal targets" assumption
# ------------------------------------------------------------------------------------------------
def target_cosines(r: Tensor, labels: Tensor, bins: int = 0) -> dict:
    """Cosines between the targets of *different* samples (pairs i < j), split by whether the two
    samples share their class: mean cos and mean |cos| for same-class, different-class and all
    pairs, and the root-mean-square cos of all pairs. Section 4: the targets "can be considered
    high-dimensional vectors that are approximately orthogonal to each other" (all would be 0).
    With ``bins`` > 0, also histogram counts of cos on [-1, 1] for the two kinds of pairs."""
    if r.dim() != 2 or labels.shape != r.shape[:1]:
        raise ValueError(f"r must be [N, C] and labels [N], got {tuple(r.shape)} and {tuple(labels.shape)}")
    u = F.normalize(r.double(), dim=1)
    cos = u @ u.T
    i, j = torch.triu_indices(len(u), len(u), offset=1)
    pair = cos[i, j]
    same = labels[i] == labels[j]
    out: dict = {"pairs": int(pair.numel())}
    for name, sel in (("same", same), ("diff", ~same), ("all", torch.ones_like(same))):
        v = pair[sel]
        out[f"{name}_pairs"] = int(v.numel())
        out[f"{name}_mean"] = float(v.mean()) if v.numel() else float("nan")
        out[f"{name}_abs"] = float(v.abs().mean()) if v.numel() else float("nan")
    out["all_rms"] = float(pair.pow(2).mean().sqrt()) if pair.numel() else float("nan")
    if bins:
        for name, sel in (("same", same), ("diff", ~same)):
            out[f"hist_{name}"] = torch.histc(pair[sel].float(), bins=bins, min=-1.0, max=1.0).long().tolist()
    return out


def random_abs_cosine(dim: int) -> float:
    """E|cos| between two independent uniformly random directions in R^dim:
    Gamma(dim/2) / (sqrt(pi) Gamma((dim+1)/2)) (about sqrt(2/(pi dim)) for large dim)."""
    if dim < 2:
        raise ValueError(f"dim must be >= 2, got {dim}")
    return math.exp(math.lgamma(dim / 2) - math.lgamma((dim + 1) / 2)) / math.sqrt(math.pi)


def welch_rms_bound(n: int, dim: int) -> float:
    """Smallest possible root-mean-square cosine over the n(n-1) ordered pairs of n unit vectors in
    R^dim (Welch): sqrt((n/dim - 1) / (n - 1)), 0 when n <= dim. More samples than classes can
    never be orthogonal."""
    if n < 2 or dim < 1:
        raise ValueError(f"need n >= 2 and dim >= 1, got n={n}, dim={dim}")
    return math.sqrt(max(0.0, (n / dim - 1) / (n - 1)))


# ------------------------------------------------------------------------------------------------
# Real outputs: a short GIFT training run and the measurements of chapter 03
# ------------------------------------------------------------------------------------------------
def _student(model: str, num_classes: int, image_size: int, in_channels: int, model_kwargs: dict, seed: int) -> nn.Module:
    torch.manual_seed(seed)
    return get_model(model, num_classes, image_size, in_channels, **model_kwargs)


def train_gift_student(
    images: Tensor,
    labels: Tensor,
    teacher: nn.Module,
    *,
    num_classes: int,
    epochs: int,
    seed: int = 0,
    model: str = "convnet3",
    model_kwargs: dict | None = None,
    batch_size: int | None = None,
    gamma: float = 0.1,
    augment: str = "dsa",
    lr: float = 1e-3,
    weight_decay: float = 1e-4,
    student: nn.Module | None = None,
) -> tuple[nn.Module, dict]:
    """Train a student on model-ready ``images`` with the GIFT loss for ``epochs`` epochs: DSA on
    every batch, the frozen teacher relabelling the augmented batch, AdamW (the protocol's lr 1e-3,
    wd 1e-4) at a constant learning rate, batch size from the authors' rule. A short version of the
    evaluation protocol, for looking at outputs, not for accuracy. Returns the student in eval mode
    and a dict of floats (losses of the first and last epoch, steps, wall time)."""
    if epochs < 1:
        raise ValueError(f"epochs must be >= 1, got {epochs}")
    n = images.shape[0]
    if student is None:
        student = _student(model, num_classes, images.shape[-1], images.shape[1], model_kwargs or {}, seed)
    teacher = teacher.eval().requires_grad_(False)
    loss_fn = get_loss("gift", gamma=gamma)
    aug = get_augmentation(augment)
    optimizer = torch.optim.AdamW(student.parameters(), lr=lr, weight_decay=weight_decay)
    batch = batch_size or batch_size_rule(n)
    data = TrainTensors(images, labels, num_classes)
    order_gen, aug_gen = batch_generators(seed)  # the engine's batches for this seed
    epoch_loss = []
    student.train()
    start = time.perf_counter()
    for _ in range(epochs):
        total, count = 0.0, 0
        for _, idx, x in epoch_batches(data, batch, aug, order_gen, aug_gen):
            with torch.no_grad():
                target = teacher(x)
            loss = loss_fn(student(x), target, labels[idx])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            total += float(loss.detach())
            count += 1
        epoch_loss.append(total / count)
    wall = time.perf_counter() - start
    info = {"epochs": epochs, "steps": epochs * batches_per_epoch(n, batch), "batch_size": batch,
            "loss_first_epoch": epoch_loss[0], "loss_last_epoch": epoch_loss[-1], "wall_time_s": wall}
    return student.eval(), info


@torch.no_grad()
def batch_logits(model: nn.Module, images: Tensor, batch: int = 250) -> Tensor:
    """Logits of ``model`` in eval mode, computed ``batch`` images at a time (float32, [N, C])."""
    was = model.training
    model.eval()
    out = torch.cat([model(images[k : k + batch]).float() for k in range(0, images.shape[0], batch)])
    model.train(was)
    return out


def _views(models: dict[str, nn.Module], teacher: nn.Module, images: Tensor, labels: Tensor, *,
           num_classes: int, batch_size: int, passes: int, augment: str | None, seed: int) -> dict:
    """Logits of the teacher and of every model on ``passes`` shuffled passes over the images,
    each batch augmented (as in training) when ``augment`` is given. Returns the stacked views and
    the training-like batches (lists of view indices)."""
    aug = get_augmentation(augment) if augment else (lambda x, gen: x)
    order_gen, aug_gen = batch_generators(seed, "cpu", 7)  # augmentation stream 7: apart from training's
    data = TrainTensors(images, labels, num_classes)
    teach, outs, labs, batches = [], {k: [] for k in models}, [], []
    offset = 0
    with torch.no_grad():
        for _ in range(passes):
            for _, idx, x in epoch_batches(data, batch_size, aug, order_gen, aug_gen):
                teach.append(batch_logits(teacher, x))
                for name, m in models.items():
                    outs[name].append(batch_logits(m, x))
                labs.append(labels[idx])
                batches.append(list(range(offset, offset + len(idx))))
                offset += len(idx)
    return {"teacher": torch.cat(teach), "students": {k: torch.cat(v) for k, v in outs.items()},
            "labels": torch.cat(labs), "batches": batches}


def _one_per_class_batches(labels: Tensor, num_classes: int, seed: int, max_batches: int) -> list[list[int]]:
    """Batches of N = C views, one of each class (the most favourable case for orthogonal targets)."""
    gen = torch.Generator().manual_seed(seed + 12345)
    per_class = []
    for c in range(num_classes):
        idx = (labels == c).nonzero().flatten()
        per_class.append(idx[torch.randperm(len(idx), generator=gen)].tolist())
    count = min(min(len(p) for p in per_class), max_batches)
    return [[p[k] for p in per_class] for k in range(count)]


def _summarise_batches(z: Tensor, r: Tensor, batches: Sequence[Sequence[int]], taus: Sequence[float],
                       main_tau: float) -> dict:
    """Means over batches of every term of :func:`bound_terms`, for each tau and reading of the
    negatives, the fraction of batches on which each bound holds, and per-batch values at main_tau."""
    out: dict = {"n_batches": len(batches), "batch_size": len(batches[0]) if batches else 0, "per_tau": {}}
    per_batch: dict[str, list] = {"infonce": [], "rhs9_all": [], "rhs9_others": []}
    for tau in taus:
        rows = {neg: [bound_terms(z[b], r[b], tau, neg) for b in batches] for neg in NEGATIVES}
        entry: dict = {}
        for neg, rs in rows.items():
            for key in rs[0]:
                entry[f"{key}_{neg}"] = sum(x[key] for x in rs) / len(rs)
            entry[f"holds9_{neg}"] = sum(x["rhs9"] >= x["infonce"] for x in rs) / len(rs)
        entry["holds7"] = sum(x["rhs7"] >= x["infonce"] for x in rows["all"]) / len(batches)
        entry["holds_max"] = sum(x["max_bound"] >= x["infonce"] for x in rows["all"]) / len(batches)
        out["per_tau"][repr(float(tau))] = entry
        if tau == main_tau:
            per_batch["infonce"] = [round(x["infonce"], 6) for x in rows["all"]]
            per_batch["rhs9_all"] = [round(x["rhs9"], 6) for x in rows["all"]]
            per_batch["rhs9_others"] = [round(x["rhs9"], 6) for x in rows["others"]]
    out["per_batch"] = per_batch
    return out


def theorem_measurements(
    teacher: nn.Module,
    train_images: Tensor,
    train_labels: Tensor,
    test_images: Tensor,
    test_labels: Tensor,
    *,
    num_classes: int,
    model: str,
    model_kwargs: dict,
    students: Sequence[str] = ("untrained", "gift_short", "teacher"),
    train_epochs: int = 10,
    aug_passes: int = 5,
    taus: Sequence[float] = (0.05, 0.1, 0.5, 1.0),
    main_tau: float = 0.1,
    max_batches: int = 50,
    hist_bins: int = 40,
    seed: int = 0,
) -> dict:
    """Everything chapter 03 shows, as JSON-serialisable numbers.

    Data: ``distilled`` = ``aug_passes`` shuffled passes over the (model-ready) distilled images with
    DSA on every batch, as a training run sees them; ``test`` = the given test images, one pass, no
    augmentation. Targets: GIFT's refined labels of the teacher's logits on exactly those images
    (paper convention, gamma = alpha = 0.1). Students: ``untrained`` (the initialisation of the
    student), ``gift_short`` (that student after :func:`train_gift_student` for ``train_epochs``),
    ``teacher`` (the teacher's own logits). Batchings: ``random`` (batches of the training batch
    size, as in training) and ``per_class`` (one sample of each class, N = C)."""
    for s in students:
        if s not in ("untrained", "gift_short", "teacher"):
            raise ValueError(f"unknown student {s!r}")
    if main_tau not in taus:
        raise ValueError(f"main_tau={main_tau} must be one of taus={tuple(taus)}")
    teacher = teacher.eval().requires_grad_(False)
    image_size, channels = train_images.shape[-1], train_images.shape[1]
    base = _student(model, num_classes, image_size, channels, model_kwargs, seed)
    models: dict[str, nn.Module] = {}
    result: dict = {"setting": {"num_classes": num_classes, "seed": seed, "taus": list(map(float, taus)),
                                "main_tau": float(main_tau)}}
    if "untrained" in students:
        models["untrained"] = copy.deepcopy(base).eval()
    if "gift_short" in students:
        trained, info = train_gift_student(train_images, train_labels, teacher, num_classes=num_classes,
                                           epochs=train_epochs, seed=seed, student=copy.deepcopy(base))
        models["gift_short"] = trained
        result["training"] = info
    batch = batch_size_rule(train_images.shape[0])
    data = {
        "distilled": _views(models, teacher, train_images, train_labels, num_classes=num_classes,
                            batch_size=batch, passes=aug_passes, augment="dsa", seed=seed),
        "test": _views(models, teacher, test_images, test_labels, num_classes=num_classes, batch_size=batch,
                       passes=1, augment=None, seed=seed),
    }
    result["setting"].update({"batch_size": batch, "train_images": int(train_images.shape[0]),
                              "aug_passes": aug_passes, "test_images": int(test_images.shape[0])})

    # the orthogonality assumption, on the targets of the un-augmented images (the test pass is not
    # augmented: its teacher logits are reused; pair statistics do not depend on the order)
    plain = {"distilled": (batch_logits(teacher, train_images), train_labels),
             "test": (data["test"]["teacher"], data["test"]["labels"])}
    ortho: dict = {}
    for name, (t, y) in plain.items():
        vectors = {
            "teacher logits": t,
            "refined label": refine_labels(t, y, num_classes),
            "refined label (probs)": refine_labels(t, y, num_classes, soft="probs"),
            "smoothed hard label": smooth_labels(y, num_classes, 0.1),
        }
        ortho[name] = {k: target_cosines(v, y, bins=hist_bins if k == "refined label" else 0)
                       for k, v in vectors.items()}
        ortho[name]["n"] = int(len(y))
    result["orthogonality"] = ortho
    result["reference"] = {"random_abs_cos": random_abs_cosine(num_classes),
                           "welch_rms_batch": welch_rms_bound(batch, num_classes),
                           "hist_bins": hist_bins}

    bounds: dict = {}
    accuracy: dict = {}
    for dname, views in data.items():
        r = refine_labels(views["teacher"], views["labels"], num_classes)
        outputs = {**views["students"]}
        if "teacher" in students:
            outputs["teacher"] = views["teacher"]
        batchings = {"random": views["batches"],
                     "per_class": _one_per_class_batches(views["labels"], num_classes, seed, max_batches)}
        bounds[dname] = {}
        accuracy[dname] = {}
        for sname, z in outputs.items():
            accuracy[dname][sname] = float((z.argmax(1) == views["labels"]).double().mean() * 100)
            bounds[dname][sname] = {b: _summarise_batches(z, r, idx, taus, main_tau) for b, idx in batchings.items()}
    result["bounds"] = bounds
    result["accuracy"] = accuracy
    return result
