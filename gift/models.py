"""Student and teacher architectures, looked up by name.

``get_model("convnet3", num_classes=10)`` builds a fresh, randomly initialised network and tags it
with ``model.gift_meta`` (name, classes, input size, channels and every architecture option,
defaults included), so a teacher checkpoint can later be checked against the student it labels.

* ``convnet3`` ... ``convnet6`` — the ConvNet of the dataset-distillation literature (B.1).
* ``resnet18_modified``, ``resnet101_modified`` — torchvision ResNets with a CIFAR stem (B.2).
* ``resnet18``, ``resnet101``, ``efficientnet_b0``, ``mobilenet_v2``, ``swin_v2_t`` — torchvision
  ImageNet models, built from scratch (B.3).
"""
from __future__ import annotations

import inspect
from typing import Any, Callable

import torch
from torch import Tensor, nn

from gift.registry import Registry

MODELS: Registry[Callable[..., nn.Module]] = Registry("model")

# --------------------------------------------------------------------------------------------
# ConvNet
# --------------------------------------------------------------------------------------------

class ChannelsFirstGroupNorm(nn.GroupNorm):
    """``nn.GroupNorm`` that, on a CPU, normalises an NCHW copy of a channels-last input and hands
    the result back channels-last.

    Why: PyTorch's channels-last GroupNorm kernels on CPU are several times slower than the NCHW
    ones (bf16 above all), while convolutions and pooling are much faster channels-last (an NCHW
    bf16 ``avg_pool2d`` is the slowest layer of an instance-norm ConvNet). Two layout copies around
    the norm let the rest of the network run channels-last. Same parameters and state-dict keys as
    ``nn.GroupNorm``; the arithmetic of the norm is unchanged."""

    def forward(self, x: Tensor) -> Tensor:
        if (x.device.type == "cpu" and x.dim() == 4 and not x.is_contiguous()
                and x.is_contiguous(memory_format=torch.channels_last)):
            return super().forward(x.contiguous()).contiguous(memory_format=torch.channels_last)
        return super().forward(x)


# norm name -> factory(width, (h, w)) -> module, or None for "no norm layer at all"
_NORMS: dict[str, Callable[[int, tuple[int, int]], nn.Module] | None] = {
    "batch": lambda w, hw: nn.BatchNorm2d(w, affine=True),
    # GroupNorm with one channel per group = instance norm with a learnable per-channel affine,
    # which is how the reference code spells "instancenorm".
    "instance": lambda w, hw: ChannelsFirstGroupNorm(w, w, affine=True),
    "layer": lambda w, hw: nn.LayerNorm([w, *hw], elementwise_affine=True),
    "group": lambda w, hw: ChannelsFirstGroupNorm(4, w, affine=True),
    "none": None,
}


class ConvNet(nn.Module):
    """``depth`` x [Conv3x3 -> norm -> ReLU -> AvgPool2x2], flatten, one Linear.

    Layers live in ``features`` (a flat ``nn.Sequential``) and ``classifier`` as in the reference
    code, so its state-dict keys line up; with ``norm="none"`` the norm layer is left out, not
    replaced by an Identity, for the same reason."""

    def __init__(self, num_classes: int, image_size: int, in_channels: int, depth: int,
                 width: int, norm: str):
        super().__init__()
        # 1-channel inputs (MNIST-like, 28 px) get padding 3 on the first conv: 28 -> 32.
        first_pad = 3 if in_channels == 1 else 1
        size = image_size + 2 * (first_pad - 1)
        _check_convnet_size(image_size, size, depth, in_channels)
        layers: list[nn.Module] = []
        channels = in_channels
        for d in range(depth):
            layers.append(nn.Conv2d(channels, width, 3, padding=first_pad if d == 0 else 1))
            make_norm = _NORMS[norm]
            if make_norm is not None:
                layers.append(make_norm(width, (size, size)))
            layers += [nn.ReLU(inplace=True), nn.AvgPool2d(2, stride=2)]
            channels, size = width, size // 2
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Linear(width * size * size, num_classes)

    def embed(self, x: Tensor) -> Tensor:
        """Flattened features before the classifier (for feature-level losses and probes)."""
        return self.features(x).flatten(1)

    def forward(self, x: Tensor) -> Tensor:
        return self.classifier(self.embed(x))


def _check_convnet_size(image_size: int, size: int, depth: int, in_channels: int) -> None:
    """Every AvgPool must halve an even size, else pixels are silently dropped and the
    classifier width no longer matches the reference (e.g. convnet6 on 32 px images)."""
    step = 2**depth
    if size % step == 0:
        return
    pad_note = " (the first conv pads 1-channel inputs by 3, so 28 px becomes 32)" if in_channels == 1 else ""
    fits = [f"convnet{d}" for d in range(3, 7) if size % 2**d == 0]
    raise ValueError(
        f"image_size {image_size} with in_channels {in_channels} gives a {size} px map after the "
        f"first conv{pad_note}, which is not divisible by 2**{depth} = {step} for a depth-{depth} "
        f"ConvNet; use images whose size is a multiple of {step}"
        + (f" or one of {fits}" if fits else "")
    )


def _convnet_builder(depth: int) -> Callable[..., nn.Module]:
    def build(num_classes: int, image_size: int, in_channels: int, *, width: int = 128,
              norm: str = "batch") -> nn.Module:
        if norm not in _NORMS:
            raise ValueError(f"unknown norm {norm!r}; use one of {', '.join(_NORMS)}")
        if not isinstance(width, int) or isinstance(width, bool) or width < 1:
            raise ValueError(f"width must be a positive int, got {width!r}")
        if norm == "group" and width % 4:
            raise ValueError(f"norm 'group' uses 4 groups, so width must be a multiple of 4 (got {width})")
        return ConvNet(num_classes, image_size, in_channels, depth, width, norm)

    build.__doc__ = (f"ConvNet of depth {depth}. ``width`` channels per conv (128); "
                     f"``norm`` in {list(_NORMS)} ('batch' for GIFT, 'instance' for MTT/DATM).")
    return build


for _depth in (3, 4, 5, 6):
    MODELS.register(f"convnet{_depth}")(_convnet_builder(_depth))

# --------------------------------------------------------------------------------------------
# torchvision ResNets with a CIFAR stem
# --------------------------------------------------------------------------------------------


IMAGENET_CLASSES = 1000


def _imagenet_model_with_sliced_head(arch: str, num_classes: int) -> nn.Module:
    """torchvision ``arch`` built with its 1000-way head, then the head cut to its first
    ``num_classes`` rows (the reference's ``pruning_classifier``). Why not build a C-way head:
    some heads are initialised by their width (EfficientNet: uniform(+-1/sqrt(out_features))), so
    a C-way head would start up to 10x wider than the reference's. More than 1000 classes: a
    head of that width is built directly.

    torchvision is imported here, not at the top: importing it also imports torch._dynamo (about 4 s
    on a 2-core CPU), which every chapter kernel and CLI call would pay for a ConvNet it never needs."""
    import torchvision.models

    if num_classes > IMAGENET_CLASSES:
        return getattr(torchvision.models, arch)(weights=None, num_classes=num_classes)
    model = getattr(torchvision.models, arch)(weights=None)
    heads = [(path, m) for path, m in model.named_modules()
             if isinstance(m, nn.Linear) and m.out_features == IMAGENET_CLASSES]
    if len(heads) != 1:
        raise RuntimeError(f"expected one {IMAGENET_CLASSES}-way linear head in torchvision {arch}, "
                           f"found {[path for path, _ in heads]}")
    path, head = heads[0]
    parent_path, _, name = path.rpartition(".")
    parent = model.get_submodule(parent_path)
    cut = nn.Linear(head.in_features, num_classes, bias=head.bias is not None)
    with torch.no_grad():
        cut.weight.copy_(head.weight[:num_classes])
        if head.bias is not None:
            cut.bias.copy_(head.bias[:num_classes])
    setattr(parent, name, cut)
    return model


def _modified_resnet(arch: str) -> Callable[..., nn.Module]:
    def build(num_classes: int, image_size: int, in_channels: int) -> nn.Module:
        model = _imagenet_model_with_sliced_head(arch, num_classes)
        # 3x3 stride-1 stem and no max-pool: 32/64 px inputs keep their resolution into layer1.
        model.conv1 = nn.Conv2d(in_channels, 64, kernel_size=3, stride=1, padding=1, bias=False)
        model.maxpool = nn.Identity()
        return model

    build.__doc__ = (
        f"torchvision ``{arch}`` with conv1 = Conv2d(3, 64, 3, stride 1, padding 1, bias False) and "
        "maxpool = Identity. As in the reference, a 1000-way fc is built and its "
        "first C rows are kept. The new conv1 keeps PyTorch's default Conv2d init, not "
        "torchvision's kaiming-normal, as in the reference.")
    return build


for _arch in ("resnet18", "resnet101"):
    MODELS.register(f"{_arch}_modified")(_modified_resnet(_arch))

# --------------------------------------------------------------------------------------------
# torchvision ImageNet models
# --------------------------------------------------------------------------------------------


def _torchvision_model(arch: str) -> Callable[..., nn.Module]:
    def build(num_classes: int, image_size: int, in_channels: int) -> nn.Module:
        if in_channels != 3:
            raise ValueError(f"{arch} is the stock torchvision model and takes 3 input channels, "
                             f"got in_channels={in_channels}")
        return _imagenet_model_with_sliced_head(arch, num_classes)

    build.__doc__ = (f"torchvision ``{arch}`` from scratch (``weights=None``); its 1000-way head is cut "
                     "to the first C rows, as the reference does.")
    return build


for _arch in ("resnet18", "resnet101", "efficientnet_b0", "mobilenet_v2", "swin_v2_t"):
    MODELS.register(_arch)(_torchvision_model(_arch))

# --------------------------------------------------------------------------------------------
# Public entry points
# --------------------------------------------------------------------------------------------


def list_models() -> list[str]:
    """Sorted names accepted by :func:`get_model`."""
    return MODELS.names()


def model_options(name: str) -> dict[str, Any]:
    """The extra keyword options a model takes, with their defaults."""
    params = inspect.signature(MODELS.get(name)).parameters.values()
    return {p.name: p.default for p in params if p.kind is inspect.Parameter.KEYWORD_ONLY}


def get_model(name: str, num_classes: int, image_size: int = 32, in_channels: int = 3,
              **kw: Any) -> nn.Module:
    """Build model ``name`` with a ``num_classes``-way head for ``image_size`` px inputs.

    ``kw`` are model options (e.g. ``width``, ``norm`` for ConvNets); ``None`` values are
    dropped so the defaults win. The result carries ``model.gift_meta``."""
    builder = MODELS.get(name)
    _check_positive_int("num_classes", num_classes, minimum=2,
                        hint="a classifier needs at least 2 classes")
    _check_positive_int("image_size", image_size)
    _check_positive_int("in_channels", in_channels)
    options = model_options(name)
    kw = {k: v for k, v in kw.items() if v is not None}
    unknown = sorted(set(kw) - set(options))
    if unknown:
        accepted = ", ".join(options) if options else "no extra options"
        raise ValueError(f"model {name!r} got unknown option(s) {unknown}; it accepts: {accepted}")
    model = builder(num_classes, image_size, in_channels, **kw)
    model.gift_meta = {"name": name, "num_classes": num_classes, "image_size": image_size,
                       "in_channels": in_channels, **options, **kw}
    return model


def _check_positive_int(what: str, value: Any, minimum: int = 1, hint: str = "") -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        extra = f" ({hint})" if hint else ""
        raise ValueError(f"{what} must be an int >= {minimum}, got {value!r}{extra}")
