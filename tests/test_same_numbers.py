"""The loops that now draw their batches from the training layer (gift.train.batches) draw exactly
what they drew with loops of their own: the same shuffles, the same augmentations, the same numbers.
Each test writes the former loop out and compares bit for bit."""
from __future__ import annotations

import copy

import torch

from gift.augment import get_augmentation
from gift.losses import get_loss
from gift.models import get_model
from gift.theory import train_gift_student
from gift.train.batches import epoch_batches
from gift.train.tensors import TrainTensors
from gift.train.teacher import _augment_crop_flip
from test_engine import C, tiny_data  # the engine tests' class-coloured noise

def test_theorem_student_training_is_the_former_loop():
    images, labels = tiny_data(n_per_class=5)
    torch.manual_seed(5)
    teacher = get_model("convnet3", C, 16, width=8).eval().requires_grad_(False)
    torch.manual_seed(0)
    start = get_model("convnet3", C, 16, width=8)
    ours, info = train_gift_student(images, labels, teacher, num_classes=C, epochs=3, seed=2, batch_size=10,
                                    student=copy.deepcopy(start))

    # the former loop of gift.theory.train_gift_student, as it was written
    student, seed, batch, n = start, 2, 10, images.shape[0]
    loss_fn, aug = get_loss("gift", gamma=0.1), get_augmentation("dsa")
    optimizer = torch.optim.AdamW(student.parameters(), lr=1e-3, weight_decay=1e-4)
    order_gen = torch.Generator().manual_seed(seed)
    aug_gen = torch.Generator().manual_seed(seed * 1_000_003)
    losses = []
    student.train()
    for _ in range(3):
        order = torch.randperm(n, generator=order_gen)
        total, count = 0.0, 0
        for k in range(0, n, batch):
            idx = order[k : k + batch]
            with torch.no_grad():
                x = aug(images[idx], aug_gen)
                target = teacher(x)
            loss = loss_fn(student(x), target, labels[idx])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            total += float(loss.detach())
            count += 1
        losses.append(total / count)
    assert info["batch_size"] == batch
    assert (info["loss_first_epoch"], info["loss_last_epoch"]) == (losses[0], losses[-1])
    for a, b in zip(ours.state_dict().values(), student.state_dict().values()):
        assert torch.equal(a, b)


def test_teacher_batches_are_the_former_loop():
    images, labels = tiny_data(n_per_class=20)
    n, batch, pad = images.shape[0], 32, 4
    gen = torch.Generator().manual_seed(3)
    ours = [(idx, x) for _ in range(2) for _, idx, x in epoch_batches(
        TrainTensors(images, labels, C), batch, lambda x, g: _augment_crop_flip(x, pad, g), gen, gen)]

    gen = torch.Generator().manual_seed(3)  # the former loop of train_teacher: one generator for both
    theirs = []
    for _ in range(2):
        order = torch.randperm(n, generator=gen)
        for i in range(-(-n // batch)):
            idx = order[i * batch : (i + 1) * batch]
            theirs.append((idx, _augment_crop_flip(images[idx], pad, gen)))
    assert len(ours) == len(theirs) == 2 * 3
    for (i1, x1), (i2, x2) in zip(ours, theirs):
        assert torch.equal(i1, i2) and torch.equal(x1, x2)


def test_content_fingerprints_are_the_former_hashes():
    """Stored runs name a set by a hash of its tensors' bytes and a teacher by its id (a hash of its
    state's names and bytes): the single helpers in gift.config compute exactly the former hashes."""
    import hashlib

    from gift.config import state_fingerprint, tensor_fingerprint

    images, labels = tiny_data()
    h = hashlib.sha256()
    for t in (images, labels):
        h.update(t.numpy().tobytes())
    assert tensor_fingerprint(images, None, labels) == h.hexdigest()[:16]
    net = get_model("convnet3", C, 16, width=8)
    h = hashlib.sha256()
    for name, t in sorted(net.state_dict().items()):
        h.update(name.encode())
        h.update(t.contiguous().numpy().tobytes())
    assert state_fingerprint(net, 8) == h.hexdigest()[:8]
