"""Gradient scales of the label losses on real batches (chapter 6): why the authors' KL (T = 20,
no T²) can stall SGD and Adam, and what Adam's coupled weight decay does with a tiny gradient.

The numbers are plain floats so a chapter can record them (``Experiment.measurement``).

Scale invariance matters for the weight-decay argument: a convolution followed by a normalisation
layer computes the same function when its weights are scaled, so decaying those weights only
changes their effective learning rate, not what the network predicts. The weights that set the
function's scale are the others (the classifier, the normalisation layers' affine parameters, a
convolution not followed by a normalisation); :func:`scale_sensitive_mask` picks them, and the
decay statistics are reported for them separately.
"""
from __future__ import annotations

import copy
import math

import numpy as np
import torch
from torch import nn

from ..augment import get_augmentation
from ..losses import get_loss
from ..models import get_model
from ..protocol import OPTIMIZERS, EvalConfig, batch_size_rule, build_optimizer

# the losses compared: display name -> (registered loss, options)
GRAD_LOSSES = {"ce": ("ce", {}), "kl": ("kl", {}), "kl × T²": ("kl", {"t2_scale": True}),
               "soft_ce": ("soft_ce", {}), "gift": ("gift", {})}
_NORMS = (nn.BatchNorm2d, nn.GroupNorm, nn.InstanceNorm2d, nn.LayerNorm)


def scale_sensitive_mask(model: nn.Module) -> torch.Tensor:
    """A flat boolean mask over ``model.parameters()``: True where scaling the weights changes the
    function (anything but a convolution's weights directly followed by a normalisation layer)."""
    modules = [m for m in model.modules() if not list(m.children())]
    invariant: set[int] = set()
    for here, nxt in zip(modules, modules[1:]):
        if isinstance(here, nn.Conv2d) and isinstance(nxt, _NORMS):
            invariant.update(id(p) for p in here.parameters())
    return torch.cat([torch.full((p.numel(),), id(p) not in invariant) for p in model.parameters()])


def gradient_scales(teacher: nn.Module, images: torch.Tensor, labels: torch.Tensor, num_classes: int, *,
                    model: str, model_kwargs: dict, brief_steps: int, grad_batches: int, seed: int) -> dict:
    """For a fresh student and one after ``brief_steps`` AdamW steps on KL: per loss, the logit and
    parameter gradient norms, a scale-free gradient noise, the relative SGD step, and Adam's coupled
    decay written as an AdamW weight decay (median over coordinates; all weights and the
    scale-sensitive ones), with the share of decay-dominated coordinates."""
    sgd, adam = OPTIMIZERS.get("sgd"), OPTIMIZERS.get("adam")
    n, batch = len(labels), batch_size_rule(len(labels))
    augment, gen = get_augmentation("dsa"), torch.Generator().manual_seed(seed)

    def draw(k):
        out = []
        for _ in range(k):
            idx = torch.randperm(n, generator=gen)[:batch]
            x = augment(images[idx], gen)
            with torch.no_grad():
                out.append((x, labels[idx], teacher(x)))
        return out

    torch.manual_seed(seed)
    fresh = get_model(model, num_classes, images.shape[-1], **model_kwargs)
    trained = copy.deepcopy(fresh)
    opt = build_optimizer(EvalConfig(optimizer="adamw", loss="kl"), trained.parameters())
    kl = get_loss("kl")
    for x, y, t in draw(brief_steps):
        loss = kl(trained(x), t, y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    batches = draw(grad_batches)
    out: dict = {"states": [], "rows": {}, "batch_size": batch, "grad_batches": grad_batches,
                 "kl_T": float(kl.T), "sgd": {"lr": sgd.lr, "weight_decay": sgd.weight_decay},
                 "adam": {"lr": adam.lr, "weight_decay": adam.weight_decay}}
    for state, net in (("fresh", fresh), (f"after {brief_steps} steps", trained)):
        out["states"].append(state)
        net.train()
        params = list(net.parameters())
        theta = torch.cat([q.detach().flatten() for q in params])
        sensitive = scale_sensitive_mask(net)
        acc = {name: {"gz": [], "g": [], "z": [], "t": []} for name in GRAD_LOSSES}
        for x, y, t in batches:
            z = net(x)
            for name, (loss_name, kw) in GRAD_LOSSES.items():
                gz, *gp = torch.autograd.grad(get_loss(loss_name, **kw)(z, t, y), [z] + params, retain_graph=True)
                acc[name]["gz"].append(gz.norm().item())
                acc[name]["g"].append(torch.cat([q.flatten() for q in gp]))
                acc[name]["z"].append(z.detach().norm(dim=1).mean().item())
                acc[name]["t"].append(t.norm(dim=1).mean().item())
        for name, rec in acc.items():
            G = torch.stack(rec["g"])
            mean_g, norms = G.mean(0), G.norm(dim=1)
            lam = adam.weight_decay / G.pow(2).mean(0).sqrt().clamp_min(1e-30)
            dominated = G.abs() < adam.weight_decay * theta.abs()
            lam_all, lam_sens = lam.median().item(), lam[sensitive].median().item()
            out["rows"][f"{state}|{name}"] = {
                "logit_grad": float(np.mean(rec["gz"])), "param_grad": norms.mean().item(),
                "noise": ((G - mean_g).pow(2).sum(1).mean() / mean_g.pow(2).sum()).item(),
                "sgd_step": sgd.lr * norms.mean().item() / theta.norm().item(),
                "adam_wd_eff": lam_all, "adam_shrink_pct": 100 * (1 - math.exp(-100 * adam.lr * lam_all)),
                "dominated_pct": 100 * dominated.float().mean().item(),
                "adam_wd_eff_sensitive": lam_sens,
                "dominated_pct_sensitive": 100 * dominated[:, sensitive].float().mean().item(),
                "logit_norm": float(np.mean(rec["z"])), "teacher_norm": float(np.mean(rec["t"])),
            }
        out["sensitive_share"] = float(sensitive.float().mean())
        out["theta_norm"] = float(theta.norm()) if state == "fresh" else out.get("theta_norm")
    return out


__all__ = ["GRAD_LOSSES", "gradient_scales", "scale_sensitive_mask"]
