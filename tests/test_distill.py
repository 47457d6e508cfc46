"""In-house distillers (gift.distill) on the bundled 8×8 `digits` data with tiny teachers."""
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from gift.cli import build_parser, main
from gift.data import DistilledSet, ImageDataset, load_dataset, load_distilled, save_distilled
from gift.distill import distill, get_distiller, list_distillers
from gift.distill.rded import cell_edges, crop_params, select_class, stitch
from gift.distill.sre2l import BNMatching, recover_batch
from gift.models import get_model

IPC = 2
# Small settings so the whole file runs in seconds on two CPU cores.
FAST = {"random": {}, "rded": {"mipc": 12, "num_crop": 2}, "sre2l": {"iterations": 3}}




@pytest.fixture(scope="module")
def train():
    return load_dataset("digits", "train", show_progress=False)


def tiny_teacher(train, norm="batch", steps=0, seed=0):
    """A narrow convnet3 trained for ``steps`` Adam steps (BatchNorm statistics from those steps, or
    from a few passes over real images when ``steps`` is 0)."""
    torch.manual_seed(seed)
    model = get_model("convnet3", train.num_classes, train.image_size, width=8, norm=norm)
    x = (train.float01() - torch.tensor(train.mean).view(1, -1, 1, 1)) / torch.tensor(train.std).view(1, -1, 1, 1)
    model.train()
    if steps:
        opt = torch.optim.Adam(model.parameters(), lr=1e-2)
        g = torch.Generator().manual_seed(seed)
        for _ in range(steps):
            idx = torch.randint(0, len(x), (128,), generator=g)
            loss = F.cross_entropy(model(x[idx]), train.labels[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
    else:
        with torch.no_grad():
            for i in range(0, 512, 128):
                model(x[i : i + 128])
    model.eval().requires_grad_(False)
    model.gift_meta = {**model.gift_meta, "id": f"digits-convnet3-{norm}-tiny{steps}", "architecture": "convnet3",
                       "dataset": "digits", "mean": list(train.mean), "std": list(train.std)}
    return model


@pytest.fixture(scope="module")
def teacher(train):
    return tiny_teacher(train, steps=40)


def run(method, train, teacher, seed=0, ipc=IPC, **kw):
    opts = {**FAST[method], **kw}
    return distill(method, train, ipc, teacher=teacher, seed=seed, device="cpu", show_progress=False, **opts)


# ------------------------------------------------------------------------------------------ API


def test_registry():
    assert list_distillers() == ["random", "rded", "sre2l"]
    assert get_distiller("rded").needs_teacher and not get_distiller("random").needs_teacher
    with pytest.raises(ValueError, match="valid distiller names are: random, rded, sre2l"):
        get_distiller("dc")


@pytest.mark.parametrize("method", ["random", "rded", "sre2l"])
def test_shapes_labels_range_and_meta(method, train, teacher):
    syn = run(method, train, teacher)
    assert isinstance(syn, DistilledSet)
    assert syn.images.shape == (IPC * 10, 3, 32, 32) and syn.images.dtype == torch.float32
    assert torch.equal(syn.labels, torch.arange(10).repeat_interleave(IPC))
    assert syn.space == "pixel" and syn.num_classes == 10
    assert 0 <= float(syn.images.min()) and float(syn.images.max()) <= 1
    # on the 8-bit grid, so the PNGs hold exactly these values
    assert torch.equal(syn.images, (syn.images * 255).round() / 255)
    m = syn.meta
    tid = None if method == "random" else teacher.gift_meta["id"]
    assert (m["method"], m["dataset"], m["ipc"], m["seed"], m["teacher"]) == (method, "digits", IPC, 0, tid)
    assert m["recipe"] == {"method": method, "dataset": "digits", "ipc": IPC, "seed": 0, "teacher": tid,
                           "options": m["options"], "version": m["version"]}
    assert set(m["options"]) == set(get_distiller(method).option_names())


def test_resolved_options_are_recorded(train, teacher):
    assert run("rded", train, teacher).meta["options"] == {"mipc": 12, "num_crop": 2, "factor": 1}
    opts = run("sre2l", train, teacher).meta["options"]
    assert opts == {"iterations": 3, "lr": 0.25, "r_bn": 0.01, "first_bn_multiplier": 10.0, "jitter": 4, "batch_size": 10}


@pytest.mark.parametrize("method", ["random", "rded", "sre2l"])
def test_deterministic_and_independent_of_global_rng(method, train, teacher):
    torch.manual_seed(123)
    a = run(method, train, teacher, seed=5)
    torch.manual_seed(999)
    torch.rand(7)
    b = run(method, train, teacher, seed=5)
    assert torch.equal(a.images, b.images) and torch.equal(a.labels, b.labels)
    assert a.meta["recipe"] == b.meta["recipe"]
    c = run(method, train, teacher, seed=6)
    assert not torch.equal(a.images, c.images)
    assert a.meta["recipe"] != c.meta["recipe"]


def test_random_takes_distinct_real_images_of_each_class(train):
    syn = run("random", train, None, ipc=5)
    idx = torch.tensor(syn.meta["source_indices"])
    assert len(set(idx.tolist())) == len(idx)
    assert torch.equal(train.labels[idx], syn.labels)
    assert torch.equal(syn.images, train.images[idx].float() / 255)


def test_teacher_mode_and_state_restored(train):
    t = tiny_teacher(train)
    t.train()
    before = {k: v.clone() for k, v in t.state_dict().items()}
    run("sre2l", train, t)
    assert t.training
    assert all(torch.equal(v, t.state_dict()[k]) for k, v in before.items())


# ----------------------------------------------------------------------------------------- rded


class BrightnessTeacher(nn.Module):
    """Scores an input by its mean value s: logits (a·s, −a·s, 0, …): class 0 prefers bright inputs,
    class 1 dark ones."""

    def __init__(self, num_classes=2, a=2.0):
        super().__init__()
        self.num_classes, self.a = num_classes, a
        self.gift_meta = {"id": "brightness", "num_classes": num_classes, "mean": [0.0] * 3, "std": [1.0] * 3}

    def forward(self, x):
        s = self.a * x.mean(dim=(1, 2, 3))
        out = torch.zeros(len(x), self.num_classes)
        out[:, 0], out[:, 1] = s, -s
        return out


def flat_dataset(per_class=8):
    """Two classes of constant images with distinct grey levels (every crop keeps its image's level)."""
    levels = torch.randperm(2 * per_class * 10, generator=torch.Generator().manual_seed(0))[: 2 * per_class] + 40
    images = levels.to(torch.uint8).view(-1, 1, 1, 1).expand(-1, 3, 32, 32).contiguous()
    labels = torch.arange(2).repeat_interleave(per_class)
    return ImageDataset(images, labels, ["bright", "dark"], "flat", "train", (0.0,) * 3, (1.0,) * 3), levels


def test_rded_keeps_lowest_ce_images_end_to_end():
    data, levels = flat_dataset()
    syn = distill("rded", data, 3, teacher=BrightnessTeacher(), mipc=100, num_crop=3, device="cpu", show_progress=False)
    got = (syn.images[:, 0, 0, 0] * 255).round().long()
    bright, dark = levels[:8], levels[8:]
    assert got[:3].tolist() == bright.sort(descending=True).values[:3].tolist()  # class 0: brightest first
    assert got[3:].tolist() == dark.sort().values[:3].tolist()  # class 1: darkest first
    assert (syn.images == syn.images[:, :, :1, :1]).all()  # the selected crops are whole constant images


def test_rded_factor2_stitches_slot_g_of_image_k_from_patch_g_ipc_plus_k():
    data, levels = flat_dataset()
    ipc = 2
    syn = distill("rded", data, ipc, teacher=BrightnessTeacher(), mipc=100, num_crop=2, factor=2, device="cpu",
                  show_progress=False)
    ranked = levels[:8].sort(descending=True).values  # class 0 patches, lowest CE (brightest) first
    for k in range(ipc):
        for g in range(4):
            r, c = divmod(g, 2)
            cell = syn.images[k, :, 16 * r : 16 * (r + 1), 16 * c : 16 * (c + 1)]
            assert (cell * 255).round().unique().tolist() == [float(ranked[g * ipc + k])]
    assert [len(s) for s in syn.meta["source_indices"]] == [4] * (2 * ipc)


def test_rded_picks_each_images_lowest_ce_crop_on_real_images(train):
    """Brightness varies within digit images, so the crop choice matters; recompute every CE by hand."""
    x = train.float01()[train.labels == 0][:10]
    t = BrightnessTeacher(10)
    sel = select_class(x, 0, t, num_crop=4, factor=1, keep=6, mean=torch.zeros(1, 3, 1, 1),
                       std=torch.ones(1, 3, 1, 1), num_classes=10, generator=torch.Generator().manual_seed(0))
    crops = sel["crops"]  # [10, 4, 3, 32, 32]
    ce = F.cross_entropy(t(crops.flatten(0, 1)), torch.zeros(40, dtype=torch.long), reduction="none").view(10, 4)
    torch.testing.assert_close(sel["ce"], ce)
    assert torch.equal(sel["best_crop"], ce.argmin(1))
    assert sel["ce"].std(1).min() > 0  # crops of one image really differ
    best = ce.min(1).values
    assert torch.equal(sel["order"], best.argsort(stable=True)[:6])
    assert torch.equal(sel["patches"], crops[sel["order"], sel["best_crop"][sel["order"]]])


def test_rded_crop_geometry():
    top, left, side = crop_params(5000, 32, torch.Generator().manual_seed(0))
    assert (side >= 9).all() and (side <= 32).all()  # round(sqrt(0.08·32²)) = 9
    assert (top >= 0).all() and (left >= 0).all() and (top + side <= 32).all() and (left + side <= 32).all()
    area = (side.double() / 32) ** 2
    assert 0.5 < float(area.mean()) < 0.58  # E[scale] = 0.54
    assert cell_edges(32, 2) == [0, 16, 32] and cell_edges(10, 3) == [0, 4, 7, 10]
    patches = torch.arange(12.0).view(12, 1, 1, 1).expand(12, 1, 3, 3)  # ipc 3, factor 2: 12 patches
    out = stitch(patches, 3, 2, 7)  # 7 = 4 + 3: the first row/column of cells is one pixel larger
    assert out.shape == (3, 1, 7, 7)
    for k in range(3):  # slot g (row-major) of image k holds patch g·ipc + k
        assert out[k, 0, :4, :4].unique().tolist() == [k]
        assert out[k, 0, :4, 4:].unique().tolist() == [3 + k]
        assert out[k, 0, 4:, :4].unique().tolist() == [6 + k]
        assert out[k, 0, 4:, 4:].unique().tolist() == [9 + k]


# ---------------------------------------------------------------------------------------- sre2l


def test_sre2l_bn_matching_term_matches_hand_computation():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
                        nn.Conv2d(4, 5, 3), nn.BatchNorm2d(5), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(5, 3))
    for bn in (net[1], net[4]):
        bn.running_mean.uniform_(-1, 1)
        bn.running_var.uniform_(0.5, 2)
        bn.weight.data.uniform_(0.5, 1.5)
    net.eval()
    x = torch.randn(6, 3, 8, 8)

    def distance(a, bn):
        mean = a.mean(dim=(0, 2, 3))
        var = ((a - mean.view(1, -1, 1, 1)) ** 2).mean(dim=(0, 2, 3))  # biased
        return ((mean - bn.running_mean) ** 2).sum().sqrt() + ((var - bn.running_var) ** 2).sum().sqrt()

    a1 = net[0](x)
    a2 = net[3](net[2](net[1](a1)))
    expected = 10 * distance(a1, net[1]) + distance(a2, net[4])
    with BNMatching(net, first_multiplier=10) as bn:
        net(x)
        torch.testing.assert_close(bn.loss(), expected)
    assert all(not m._forward_hooks for m in net.modules())  # hooks removed


def test_sre2l_reduces_its_loss(train, teacher):
    mean = torch.tensor(train.mean).view(1, -1, 1, 1)
    std = torch.tensor(train.std).view(1, -1, 1, 1)
    x, hist = recover_batch(teacher, torch.arange(10), image_shape=(3, 32, 32), mean=mean, std=std,
                            iterations=15, lr=0.25, r_bn=0.01, first_bn_multiplier=10, jitter=4,
                            generator=torch.Generator().manual_seed(0), num_classes=10)
    assert hist.shape == (15,)
    assert float(hist[-3:].mean()) < 0.8 * float(hist[:3].mean())
    assert ((x >= (0 - mean) / std - 1e-6) & (x <= (1 - mean) / std + 1e-6)).all()  # clamped to valid pixels
    syn = run("sre2l", train, teacher, iterations=10)
    assert all(last < first for first, last in zip(syn.meta["loss_first"], syn.meta["loss_last"]))


def test_sre2l_batches_cover_every_class_and_ipc(train, teacher):
    syn = run("sre2l", train, teacher, ipc=3, batch_size=7, iterations=1)  # 30 targets in chunks of 7
    assert torch.equal(syn.labels, torch.arange(10).repeat_interleave(3))
    assert len(syn.meta["loss_first"]) == 5
    assert len({tuple(im.flatten()[:20].tolist()) for im in syn.images}) == 30


def test_sre2l_needs_batchnorm(train):
    with pytest.raises(ValueError, match="no BatchNorm2d"):
        run("sre2l", train, tiny_teacher(train, norm="instance"))


# --------------------------------------------------------------------------------------- errors


def test_errors(train, teacher):
    with pytest.raises(ValueError, match=r"needs 200 images per class.*0 \('0'\): 119"):
        run("random", train, None, ipc=200)
    with pytest.raises(ValueError, match="needs a teacher"):
        run("rded", train, None)
    with pytest.raises(ValueError, match="needs a teacher"):
        run("sre2l", train, None)
    other = tiny_teacher(train)
    other.gift_meta = {**other.gift_meta, "dataset": "cifar10"}
    with pytest.raises(ValueError, match="trained on 'cifar10', not on 'digits'"):
        run("rded", train, other)
    other.gift_meta = {**other.gift_meta, "dataset": None, "num_classes": 100}
    with pytest.raises(ValueError, match="100 classes but digits has 10"):
        run("sre2l", train, other)
    with pytest.raises(ValueError, match=r"ipc·factor² = 10·2² = 40 .* mipc is only 12"):
        run("rded", train, teacher, ipc=10, factor=2)
    with pytest.raises(ValueError, match="unknown option"):
        run("random", train, None, mipc=3)
    with pytest.raises(ValueError, match="must be an integer"):
        run("rded", train, teacher, num_crop=1.5)
    with pytest.raises(ValueError, match="positive integer"):
        run("random", train, None, ipc=0)


# ---------------------------------------------------------------------------------- save / load


@pytest.mark.parametrize("method", ["random", "rded"])
def test_save_load_round_trip(method, train, teacher, tmp_path):
    syn = run(method, train, teacher)
    save_distilled(tmp_path / "set", syn)
    back = load_distilled(tmp_path / "set", dataset="digits")
    assert torch.equal(back.images, syn.images) and torch.equal(back.labels, syn.labels)
    assert back.meta["recipe"] == syn.meta["recipe"]
    assert back.meta["method"] == method and back.meta["ipc"] == IPC and back.meta["seed"] == 0


# ------------------------------------------------------------------------------------------ CLI


def test_cli_random(tmp_path, capsys):
    out = tmp_path / "tmp"
    assert main(["distill", "random", "--dataset", "digits", "--ipc", "2", "--output", str(out), "--no-progress"]) == 0
    line = capsys.readouterr().out.strip()
    assert "random" in line and "digits" in line and "20 images" in line and str(out) in line and " s " in line
    back = load_distilled(out)
    assert back.images.shape == (20, 3, 32, 32) and back.meta["recipe"]["method"] == "random"
    # an existing folder is not overwritten silently; options of other methods are refused
    assert main(["distill", "random", "--dataset", "digits", "--ipc", "2", "--output", str(out), "--no-progress"]) == 2
    assert main(["distill", "random", "--dataset", "digits", "--mipc", "3", "--output", str(tmp_path / "x")]) == 2
    assert main(["distill", "rded", "--dataset", "digits", "--output", str(tmp_path / "y")]) == 2
    assert "needs a teacher" in capsys.readouterr().err


def test_cli_with_teacher_file(train, tmp_path, capsys):
    from gift.teachers import save_teacher

    t = tiny_teacher(train)
    meta = {**t.gift_meta, "format": "gift-teacher-v1", "model_kwargs": {"width": 8, "norm": "batch"},
            "num_classes": 10, "image_size": 32, "test_accuracy": 0.0}
    path = save_teacher(t, meta, tmp_path / "teacher.pt")
    out = tmp_path / "rded"
    assert main(["distill", "rded", "--dataset", "digits", "--ipc", "2", "--teacher", str(path), "--mipc", "10",
                 "--num-crop", "2", "--output", str(out), "--no-progress", "--device", "cpu"]) == 0
    back = load_distilled(out)
    assert back.meta["recipe"]["teacher"] == meta["id"] and back.meta["recipe"]["options"]["mipc"] == 10


def test_cli_help_documents_every_option():
    sub = build_parser()._subparsers._group_actions[0].choices["distill"]
    text = sub.format_help()
    for flag in ("--dataset", "--data-root", "--download", "--ipc", "--teacher", "--seed", "--output", "--device",
                 "--no-progress", "--mipc",
                 "--num-crop", "--factor", "--iterations", "--lr", "--r-bn", "--first-bn-multiplier", "--jitter",
                 "--batch-size"):
        assert flag in text
    for action in sub._actions:
        assert action.help, action.dest
