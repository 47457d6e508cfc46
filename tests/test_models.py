import pytest
import torch
from torch import nn

from gift.models import MODELS, get_model, list_models, model_options

NUM_CLASSES = 10

# (name, input size) at the resolutions each model is used at
FORWARD_CASES = [
    ("convnet3", 32),
    ("convnet3", 64),
    ("convnet4", 64),
    ("convnet5", 128),
    ("convnet6", 128),
    ("resnet18_modified", 32),
    ("resnet18_modified", 64),
    ("resnet101_modified", 32),
    ("resnet101_modified", 64),
    ("resnet18", 224),
    ("resnet18", 64),
    ("resnet101", 224),
    ("efficientnet_b0", 224),
    ("mobilenet_v2", 224),
    ("swin_v2_t", 224),
]


def n_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def test_every_registered_model_has_a_forward_case():
    assert {name for name, _ in FORWARD_CASES} == set(list_models())


HEAVY = {("swin_v2_t", 224), ("resnet101", 224), ("mobilenet_v2", 224), ("efficientnet_b0", 224)}  # seconds each


@pytest.mark.parametrize("name,size", [pytest.param(*case, marks=pytest.mark.slow) if case in HEAVY else case
                                       for case in FORWARD_CASES])
def test_forward_shape(name, size):
    torch.manual_seed(0)
    model = get_model(name, NUM_CLASSES, image_size=size).eval()
    with torch.no_grad():
        out = model(torch.randn(2, 3, size, size))
    assert out.shape == (2, NUM_CLASSES)
    assert torch.isfinite(out).all()
    assert model.gift_meta["name"] == name
    assert model.gift_meta["num_classes"] == NUM_CLASSES
    assert model.gift_meta["image_size"] == size


@pytest.mark.parametrize("norm", ["batch", "instance", "layer", "group", "none"])
def test_convnet_norms_forward(norm):
    model = get_model("convnet3", 10, image_size=32, norm=norm, width=16).eval()
    with torch.no_grad():
        assert model(torch.randn(2, 3, 32, 32)).shape == (2, 10)


def test_convnet3_cifar10_parameter_count_by_hand():
    conv1 = 3 * 128 * 9 + 128
    conv = 128 * 128 * 9 + 128
    norm = 2 * 128  # affine weight + bias
    linear = 128 * 4 * 4 * 10 + 10  # 32 px halved three times -> 4x4, 2048 features
    assert linear == 2048 * 10 + 10
    expected = conv1 + 2 * conv + 3 * norm + linear
    assert n_params(get_model("convnet3", 10, norm="batch")) == expected == 320_010
    assert n_params(get_model("convnet3", 10, norm="instance")) == expected
    assert n_params(get_model("convnet3", 10, norm="none")) == expected - 3 * norm


@pytest.mark.parametrize("name,size,features", [
    ("convnet3", 32, 2048), ("convnet4", 64, 2048), ("convnet5", 128, 2048), ("convnet6", 128, 512),
])
def test_convnet_classifier_width_matches_protocol(name, size, features):
    assert get_model(name, 100, image_size=size).classifier.in_features == features


def test_convnet_instance_norm_is_per_channel_groupnorm():
    model = get_model("convnet3", 10, norm="instance")
    norms = [m for m in model.modules() if isinstance(m, nn.GroupNorm)]
    assert len(norms) == 3 and all(m.num_groups == m.num_channels == 128 and m.affine for m in norms)


def test_convnet_layout_matches_reference_keys():
    keys = set(get_model("convnet3", 10).state_dict())
    assert {"features.0.weight", "features.1.running_mean", "features.4.weight",
            "classifier.weight"} <= keys
    keys_none = set(get_model("convnet3", 10, norm="none").state_dict())
    assert {"features.0.weight", "features.3.weight", "features.6.weight"} <= keys_none


def test_convnet_one_channel_28px_is_treated_as_32():
    model = get_model("convnet3", 10, image_size=28, in_channels=1).eval()
    assert model.features[0].padding == (3, 3)
    assert model.classifier.in_features == 2048
    with torch.no_grad():
        assert model(torch.randn(2, 1, 28, 28)).shape == (2, 10)


def test_modified_resnet_stem():
    model = get_model("resnet18_modified", 100)
    conv1 = model.conv1
    assert (conv1.in_channels, conv1.out_channels, conv1.kernel_size, conv1.stride, conv1.padding) == (
        3, 64, (3, 3), (1, 1), (1, 1))
    assert conv1.bias is None
    assert isinstance(model.maxpool, nn.Identity)
    assert model.fc.out_features == 100


def test_gift_meta_records_defaults_and_options():
    meta = get_model("convnet4", 200, image_size=64, norm="instance").gift_meta
    assert meta == {"name": "convnet4", "num_classes": 200, "image_size": 64, "in_channels": 3,
                    "width": 128, "norm": "instance"}
    assert get_model("convnet3", 10, norm=None).gift_meta["norm"] == "batch"  # None -> default
    assert model_options("resnet18") == {}


def test_unknown_model_lists_valid_names():
    with pytest.raises(ValueError, match="unknown model .convnet9.*convnet3, convnet4"):
        get_model("convnet9", 10)


def test_unknown_option_names_the_accepted_ones():
    with pytest.raises(ValueError, match=r"unknown option\(s\) \['depth'\].*width, norm"):
        get_model("convnet3", 10, depth=4)
    with pytest.raises(ValueError, match="no extra options"):
        get_model("resnet18_modified", 10, norm="batch")


@pytest.mark.parametrize("num_classes", [1, 0, -3, 2.5, True])
def test_bad_num_classes(num_classes):
    with pytest.raises(ValueError, match="num_classes must be an int >= 2"):
        get_model("convnet3", num_classes)


def test_bad_norm():
    with pytest.raises(ValueError, match="unknown norm 'batchnorm'; use one of batch, instance"):
        get_model("convnet3", 10, norm="batchnorm")


def test_group_norm_needs_width_multiple_of_4():
    with pytest.raises(ValueError, match="multiple of 4"):
        get_model("convnet3", 10, norm="group", width=6)


def test_image_too_small_or_not_divisible_for_depth():
    with pytest.raises(ValueError, match=r"not divisible by 2\*\*6 = 64.*convnet3"):
        get_model("convnet6", 10, image_size=32)
    with pytest.raises(ValueError, match="not divisible"):
        get_model("convnet3", 10, image_size=30)


def test_torchvision_model_rejects_other_channel_counts():
    with pytest.raises(ValueError, match="3 input channels"):
        get_model("mobilenet_v2", 10, image_size=224, in_channels=1)


def test_models_are_listed_sorted_and_unknown_names_are_refused():
    assert list_models() == sorted(list_models()) and "convnet3" in MODELS
    with pytest.raises(ValueError, match="convnet3"):
        get_model("convnet99", 10, 32)


def test_torchvision_heads_are_the_first_rows_of_the_1000_way_head():
    """As the reference: build the ImageNet model, keep the first C rows of its head, so a head
    initialised by its width (EfficientNet) starts as narrow as the reference's."""
    import torchvision

    torch.manual_seed(0)
    ours = get_model("efficientnet_b0", 10, 64)
    torch.manual_seed(0)
    full = torchvision.models.efficientnet_b0(weights=None)
    assert torch.equal(ours.classifier[1].weight, full.classifier[1].weight[:10])
    assert float(ours.classifier[1].weight.detach().abs().max()) <= 1 / 1000 ** 0.5
    torch.manual_seed(0)
    resnet = get_model("resnet18_modified", 10, 32)
    torch.manual_seed(0)
    assert torch.equal(resnet.fc.weight, torchvision.models.resnet18(weights=None).fc.weight[:10])
    assert get_model("mobilenet_v2", 1001, 64).classifier[1].out_features == 1001


@pytest.mark.parametrize("norm", ["instance", "group"])
def test_channels_first_group_norm_runs_channels_last_networks_unchanged(norm):
    """The instance/group-norm ConvNets run channels-last; the norm itself sees NCHW data, so its
    output equals nn.GroupNorm's bit for bit and the layout of the input is kept."""
    from gift.train.engine import memory_format_for
    from gift.models import ChannelsFirstGroupNorm

    model = get_model("convnet3", 10, norm=norm)
    assert memory_format_for(model) == torch.channels_last
    gn = next(m for m in model.modules() if isinstance(m, ChannelsFirstGroupNorm))
    plain = nn.GroupNorm(gn.num_groups, gn.num_channels, gn.eps)
    plain.load_state_dict(gn.state_dict())
    with torch.no_grad():
        gn.weight.uniform_(0.5, 1.5)
        gn.bias.uniform_(-0.5, 0.5)
        plain.load_state_dict(gn.state_dict())
    x = torch.randn(4, gn.num_channels, 8, 8)
    out = gn(x.contiguous(memory_format=torch.channels_last))
    assert out.is_contiguous(memory_format=torch.channels_last)
    assert torch.equal(out, plain(x))
    assert torch.equal(gn(x), plain(x)) and gn(x).is_contiguous()
    assert list(gn.state_dict()) == list(plain.state_dict())  # teacher files load either way
    # whole networks: the same outputs in either layout (convolution kernels differ: rounding only)
    y = torch.rand(2, 3, 32, 32)
    ref = model(y)
    cl = model.to(memory_format=torch.channels_last)(y.contiguous(memory_format=torch.channels_last))
    torch.testing.assert_close(cl, ref, rtol=1e-4, atol=1e-4)


def test_layer_norm_convnets_stay_nchw():
    from gift.train.engine import memory_format_for

    assert memory_format_for(get_model("convnet3", 10, norm="layer")) == torch.contiguous_format
