"""ax.train.Checkpoint: training resumed from a checkpoint continues bit-for-bit like training
that never stopped (model, optimizer, scheduler, RNG, loader position), and saving is atomic."""

from __future__ import annotations

import json
import os
import random

import numpy as np
import pytest

import axonite as ax
from axonite import nn
from axonite.train import Checkpoint
from axonite.utils.data import DataLoader, TensorDataset

N, BATCHES_PER_EPOCH, EPOCHS = 96, 6, 3


def _data() -> TensorDataset:
    g = ax.Generator()
    g.manual_seed(123)
    x = ax.randn(N, 8, generator=g)
    y = (x[:, :3].sum(1) > 0).long()
    return TensorDataset(x, y)


def _run(own_generator: bool):
    """A fresh training setup with every source of state a resume must carry: dropout (global
    RNG), Adam moments, a step scheduler, a shuffled loader, and a NumPy-random augmentation."""
    ax.manual_seed(7)
    net = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Dropout(0.3), nn.Linear(16, 2))
    opt = ax.optim.Adam(net.parameters(), lr=0.01)
    sched = ax.optim.lr_scheduler.StepLR(opt, step_size=4, gamma=0.5)
    gen = None
    if own_generator:
        gen = ax.Generator()
        gen.manual_seed(99)
    loader = DataLoader(_data(), batch_size=N // BATCHES_PER_EPOCH, shuffle=True, generator=gen)
    return net, opt, sched, loader


def _train_steps(net, opt, sched, loader, epoch: int, start_step: int, stop_after: int | None):
    """Trains from (epoch, start_step); returns (epoch, step) where it stopped (stop_after
    batches in), or None after finishing EPOCHS."""
    done = 0
    while epoch < EPOCHS:
        for step, (xb, yb) in enumerate(loader, start=start_step):
            noise = ax.from_numpy(np.random.normal(0, 0.01, xb.shape).astype(np.float32))
            jitter = random.random() * 1e-3
            loss = nn.functional.cross_entropy(net(xb + noise + jitter), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            done += 1
            if stop_after is not None and done == stop_after:
                return epoch, step + 1
        epoch, start_step = epoch + 1, 0
    return None


def _params(net) -> list[np.ndarray]:
    return [p.detach().numpy().copy() for p in net.parameters()]


@pytest.mark.parametrize("own_generator", [True, False], ids=["loader-generator", "global-rng"])
@pytest.mark.parametrize("stop_after", [3, 6, 10])  # mid-epoch, at an epoch boundary, later
def test_resume_is_bit_exact(tmp_path, own_generator, stop_after):
    np.random.seed(5)
    random.seed(5)
    ref = _run(own_generator)
    _train_steps(*ref, epoch=0, start_step=0, stop_after=None)
    expected = _params(ref[0])

    np.random.seed(5)
    random.seed(5)
    net, opt, sched, loader = _run(own_generator)
    epoch, step = _train_steps(net, opt, sched, loader, 0, 0, stop_after)
    Checkpoint(tmp_path, model=net, optimizer=opt, scheduler=sched, loader=loader).save(
        epoch=epoch, step=step, note="mid-run"
    )
    # Disturb every global generator so that only the checkpoint can restore them.
    ax.manual_seed(1234)
    np.random.seed(1234)
    random.seed(1234)

    net2, opt2, sched2, loader2 = _run(own_generator)
    info = Checkpoint(tmp_path, model=net2, optimizer=opt2, scheduler=sched2, loader=loader2).load()
    assert (info["epoch"], info["step"], info["extra"]) == (epoch, step, {"note": "mid-run"})
    # At step == BATCHES_PER_EPOCH the loader resumes an epoch with no batches left, then
    # moves on: the loop needs no special case for stopping at an epoch boundary.
    _train_steps(net2, opt2, sched2, loader2, info["epoch"], info["step"], None)
    got = _params(net2)
    for a, b in zip(expected, got, strict=True):
        np.testing.assert_array_equal(a, b)  # bit for bit, not approximately


def test_resume_without_rng_differs(tmp_path):
    """The test above can fail: leaving the RNG out of the checkpoint changes the result."""
    np.random.seed(5)
    random.seed(5)
    ref = _run(True)
    _train_steps(*ref, epoch=0, start_step=0, stop_after=None)
    expected = _params(ref[0])
    np.random.seed(5)
    random.seed(5)
    net, opt, sched, loader = _run(True)
    epoch, step = _train_steps(net, opt, sched, loader, 0, 0, 3)
    Checkpoint(tmp_path, rng=False, model=net, optimizer=opt, scheduler=sched, loader=loader).save(
        epoch=epoch, step=step
    )
    ax.manual_seed(1234)
    net2, opt2, sched2, loader2 = _run(True)
    Checkpoint(
        tmp_path, rng=False, model=net2, optimizer=opt2, scheduler=sched2, loader=loader2
    ).load()
    _train_steps(net2, opt2, sched2, loader2, epoch, step, None)
    assert any(not np.array_equal(a, b) for a, b in zip(expected, _params(net2), strict=True))


def test_layout_and_keep(tmp_path):
    net = nn.Linear(3, 2)
    ck = Checkpoint(tmp_path, model=net, keep=2)
    assert not ck.exists()
    paths = [ck.save(epoch=e) for e in range(4)]
    files = sorted(f for f in os.listdir(tmp_path) if f.endswith(".safetensors"))
    assert files == sorted(os.path.basename(p) for p in paths[-2:])
    doc = json.loads((tmp_path / "manifest.json").read_text())
    assert doc["format"] == "axonite.checkpoint"
    assert doc["epoch"] == 3 and doc["file"] == os.path.basename(paths[-1])
    assert doc["components"] == ["model", "rng"]
    # the state file is plain safetensors that ax.load reads
    state = ax.load(paths[-1])
    np.testing.assert_array_equal(state["model"]["weight"].numpy(), net.weight.detach().numpy())


def test_failed_save_leaves_previous_checkpoint(tmp_path, monkeypatch):
    net = nn.Linear(3, 2)
    ck = Checkpoint(tmp_path, model=net)
    ck.save(epoch=1)
    before = sorted(os.listdir(tmp_path))
    saved_weight = net.weight.detach().numpy().copy()
    with ax.no_grad():
        net.weight.fill_(5.0)

    import axonite.train.checkpoint as mod

    def boom(path, doc):
        raise OSError("disk full")

    monkeypatch.setattr(mod, "_write_json_atomic", boom)
    with pytest.raises(OSError, match="disk full"):
        ck.save(epoch=2)
    assert sorted(os.listdir(tmp_path)) == before  # the new state file was removed
    monkeypatch.undo()
    info = Checkpoint(tmp_path, model=net).load()
    assert info["epoch"] == 1
    np.testing.assert_array_equal(net.weight.detach().numpy(), saved_weight)


def test_load_errors(tmp_path):
    net = nn.Linear(3, 2)
    with pytest.raises(FileNotFoundError, match="no checkpoint"):
        Checkpoint(tmp_path, model=net).load()
    path = Checkpoint(tmp_path, model=net).save()
    # a component given now but absent from the file
    opt = ax.optim.SGD(net.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="optimizer"):
        Checkpoint(tmp_path, model=net, optimizer=opt).load()
    Checkpoint(tmp_path, model=net, optimizer=opt).load(strict=False)
    # a state file that changed after the manifest was written
    with open(path, "r+b") as f:
        f.seek(-1, os.SEEK_END)
        last = f.read(1)
        f.seek(-1, os.SEEK_END)
        f.write(bytes([last[0] ^ 0xFF]))
    with pytest.raises(ValueError, match="sha256"):
        Checkpoint(tmp_path, model=net).load()
    (tmp_path / "manifest.json").write_text("{not json")
    with pytest.raises(ValueError, match="not valid JSON"):
        Checkpoint(tmp_path, model=net).load()


def test_constructor_errors(tmp_path):
    with pytest.raises(TypeError, match=r"model= needs state_dict"):
        Checkpoint(tmp_path, model=object())
    with pytest.raises(ValueError, match="keep must be a positive int"):
        Checkpoint(tmp_path, keep=0)
    with pytest.raises(TypeError, match="JSON-serializable"):
        Checkpoint(tmp_path, model=nn.Linear(2, 2)).save(extra_obj=object())
