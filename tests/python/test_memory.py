"""Memory (issue 7, item 7): long training loops, dropped graphs, hook cycles and zero-copy
exports leave no live bytes, tensors or autograd nodes behind.

``ax.memory_stats()`` counts the caching allocator's live bytes and, with relaxed atomics, the
live TensorImpls and autograd Nodes. A leak of any of them shows up as a count that does not
return to its baseline; a leak of Python objects or of memory outside the allocator shows up in
the process RSS.
"""

from __future__ import annotations

import gc
import os

import numpy as np
import pytest

import axonite as ax
import axonite.nn.functional as F
from axonite import nn

SEED = 0
THREADS = 1  # tiny shapes: one thread is fastest, and the figure is reproducible anywhere
N_STEPS = 10_000
WARMUP = 100  # Adam state, allocator cache and Python caches all exist after this many steps
RSS_LIMIT = 5 * 2**20

LIVE_KEYS = ("allocated_bytes", "live_tensors", "live_nodes")


def _live() -> dict[str, int]:
    """Live bytes, tensors and nodes once every collectable cycle is gone."""
    gc.collect()
    stats = ax.memory_stats()
    return {k: stats[k] for k in LIVE_KEYS}


def _rss() -> int:
    """Resident set size in bytes (second field of /proc/self/statm, in pages)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.fixture
def one_thread():
    before = ax.get_num_threads()
    ax.set_num_threads(THREADS)
    yield
    ax.set_num_threads(before)


# ---- the counters themselves --------------------------------------------------------------


def test_memory_stats_counts_tensors_and_nodes() -> None:
    x = ax.randn(4, 4, requires_grad=True)
    base = _live()
    y = x * x  # one new tensor (a 64-byte bucket), MulBackward and x's AccumulateGrad
    mid = _live()
    assert mid["live_tensors"] - base["live_tensors"] == 1
    assert mid["live_nodes"] - base["live_nodes"] == 2
    assert mid["allocated_bytes"] - base["allocated_bytes"] == 64
    view = y[1:]  # a view: a TensorImpl (and a node) of its own over the same storage
    with_view = _live()
    assert with_view["live_tensors"] - mid["live_tensors"] == 1
    assert with_view["live_nodes"] - mid["live_nodes"] == 1
    assert with_view["allocated_bytes"] == mid["allocated_bytes"]
    del y, view
    assert _live() == base


# ---- training loops -----------------------------------------------------------------------


class _SmallCNN(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3, padding=1)
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(4 * 4 * 4, 3)

    def forward(self, x: ax.Tensor) -> ax.Tensor:
        return self.fc(self.pool(F.relu(self.conv(x))).flatten(1))


class _SmallLSTM(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.lstm = nn.LSTM(3, 8, batch_first=True)
        self.fc = nn.Linear(8, 3)

    def forward(self, x: ax.Tensor) -> ax.Tensor:
        out, _ = self.lstm(x)
        return self.fc(out[:, -1])


def _mlp() -> tuple[nn.Module, tuple[int, ...]]:
    """MLP 8-16-3."""
    return nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 3)), (8, 8)


def _cnn() -> tuple[nn.Module, tuple[int, ...]]:
    """CNN conv 1->4 3x3, max-pool 2, linear 64-3 on 8x8 images."""
    return _SmallCNN(), (4, 1, 8, 8)


def _lstm() -> tuple[nn.Module, tuple[int, ...]]:
    """LSTM 3->8 over 5 steps, linear 8-3."""
    return _SmallLSTM(), (4, 5, 3)


@pytest.mark.parametrize("build", [_mlp, _cnn, _lstm], ids=["mlp", "cnn", "lstm"])
def test_training_returns_to_baseline(build, one_thread, reliability) -> None:
    ax.manual_seed(SEED)
    model, shape = build()
    # A few batches in turn, so that the loop is not one input replayed.
    batches = [(ax.randn(*shape), ax.randint(0, 3, (shape[0],))) for _ in range(4)]
    opt = ax.optim.Adam(model.parameters(), lr=1e-2)

    def step(i: int) -> float:
        x, y = batches[i % len(batches)]
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss.item()

    first = sum(step(i) for i in range(len(batches))) / len(batches)
    for i in range(WARMUP):
        step(i)
    base, rss0 = _live(), _rss()
    for i in range(N_STEPS):
        step(i)
    end, rss1 = _live(), _rss()
    last = sum(step(i) for i in range(len(batches))) / len(batches)

    name = build.__name__.strip("_")
    delta = {k: end[k] - base[k] for k in LIVE_KEYS}
    reliability(
        f"memory: {build.__doc__.rstrip('.')}, {N_STEPS} Adam steps after {WARMUP} warm-up "
        f"(seed {SEED}, {THREADS} thread): live bytes {delta['allocated_bytes']:+d}, "
        f"live tensors {delta['live_tensors']:+d}, live nodes {delta['live_nodes']:+d}, "
        f"RSS {(rss1 - rss0) / 2**20:+.2f} MB"
    )
    assert end == base, f"{name}: live counts changed over {N_STEPS} steps: {delta}"
    assert rss1 - rss0 < RSS_LIMIT, f"{name}: RSS grew {(rss1 - rss0) / 2**20:.2f} MB"
    assert last < first, f"{name}: the loop did not train (loss {first:.3f} -> {last:.3f})"


# ---- graphs dropped without backward -------------------------------------------------------


def test_graph_dropped_without_backward_frees_every_node() -> None:
    ax.manual_seed(SEED)
    model, shape = _lstm()
    x = ax.randn(*shape)
    base = _live()
    loss = model(x).pow(2).mean()
    assert _live()["live_nodes"] > base["live_nodes"]
    del loss
    assert _live() == base


def test_long_chain_dropped_and_retained_graph_free_every_node() -> None:
    x = ax.randn(16, requires_grad=True)
    base = _live()
    y = x
    for _ in range(20_000):  # deep enough to overflow a recursive teardown
        y = y * 1.0001
    assert _live()["live_nodes"] - base["live_nodes"] == 20_001  # + x's AccumulateGrad
    del y
    assert _live() == base

    y = (x.exp() * x).sum()
    y.backward(retain_graph=True)  # saved tensors stay until the graph itself dies
    x.grad = None
    del y
    assert _live() == base


def test_python_function_graph_is_freed() -> None:
    class Exp(ax.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            y = x.exp()
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, gy):
            (y,) = ctx.saved_tensors
            return gy * y

    x = ax.randn(32, requires_grad=True)
    base = _live()
    out = Exp.apply(x)  # the node's Python backward holds ctx, which saves the output
    del out
    assert _live() == base
    Exp.apply(x).sum().backward()
    x.grad = None
    assert _live() == base


# ---- reference cycles through hooks --------------------------------------------------------


def _leaf_with_self_hook(calls: list[int]) -> None:
    x = ax.randn(1000, requires_grad=True)

    def hook(g):
        calls.append(1)
        return g + x.detach()  # the hook refers to its own tensor: a cycle through C++

    x.register_hook(hook)


def _nonleaf_with_self_hook(w: ax.Tensor) -> None:
    y = w * 2
    y.register_hook(lambda g: g * y.detach())


class _ExpKeepingOutput(ax.autograd.Function):
    """Keeps its output on ctx (save_for_backward is the better way, but this is legal)."""

    @staticmethod
    def forward(ctx, x):
        ctx.y = x.exp()
        return ctx.y

    @staticmethod
    def backward(ctx, gy):
        return gy * ctx.y


def _function_output_on_ctx(w: ax.Tensor) -> None:
    _ExpKeepingOutput.apply(w)  # output -> node -> Python backward -> ctx -> output


def test_hook_cycles_are_collected() -> None:
    w = ax.randn(1000, requires_grad=True)
    base = _live()
    _leaf_with_self_hook([])
    _nonleaf_with_self_hook(w)
    _function_output_on_ctx(w)
    assert _live() == base
    _ExpKeepingOutput.apply(w).sum().backward()  # the Function still works
    np.testing.assert_allclose(w.grad.numpy(), np.exp(w.detach().numpy()), rtol=1e-6)


def _loss_through_hooked_tensor(x: ax.Tensor, calls: list[str]) -> ax.Tensor:
    y = x * 2
    y.register_hook(lambda g: calls.append("y") or g * y.detach())
    return (y * y).sum()  # after return, y is held by this graph and by its own hook only


def test_reachable_hooks_survive_collection() -> None:
    # The collector must not drop hooks of tensors that are still in use, whether the tensor
    # is held by Python (x) or only by the graph (y, saved by the multiplication).
    base = _live()
    calls: list[str] = []
    x = ax.ones(3, requires_grad=True)
    x.register_hook(lambda g: calls.append("x") or g + x.detach())
    loss = _loss_through_hooked_tensor(x, calls)
    gc.collect()
    gc.collect()
    loss.backward()
    assert calls == ["y", "x"]
    # d/dy sum(y*y) = 2y = 4, times y (the hook) = 8; dy/dx = 2; plus x (the leaf hook) = 17
    np.testing.assert_allclose(x.grad.numpy(), np.full(3, 17.0))
    del loss
    after = _live()
    # Only x and x.grad remain: the graph and y's hook cycle are gone.
    assert after["live_nodes"] == base["live_nodes"]
    assert after["live_tensors"] - base["live_tensors"] == 2
    assert after["allocated_bytes"] - base["allocated_bytes"] == 2 * 64


# ---- zero-copy exports keep their storage alive ---------------------------------------------


def _exported(t: ax.Tensor, how: str):
    if how == "numpy":
        return t.numpy()
    if how == "np.from_dlpack":
        return np.from_dlpack(t)
    if how == "ax.from_dlpack":
        return ax.from_dlpack(t)
    return t.__dlpack__()  # an unconsumed capsule


@pytest.mark.parametrize("how", ["numpy", "np.from_dlpack", "ax.from_dlpack", "capsule"])
@pytest.mark.parametrize("transposed", [False, True], ids=["contiguous", "transposed"])
def test_export_keeps_storage_alive(how, transposed) -> None:
    expected = np.arange(1200, dtype=np.float32).reshape(30, 40) * 3
    base = _live()
    t = ax.arange(1200, dtype=ax.float32).reshape(30, 40) * 3  # storage from the allocator
    nbytes = _live()["allocated_bytes"] - base["allocated_bytes"]
    if transposed:
        t, expected = t.t(), expected.T
    view = _exported(t, how)
    del t
    assert _live()["allocated_bytes"] - base["allocated_bytes"] == nbytes
    # Had the block gone back to the cache, this same-sized tensor would now overwrite it.
    junk = ax.full((30, 40), -1.0)
    if how == "capsule":
        view = np.from_dlpack(_CapsuleHolder(view))
    np.testing.assert_array_equal(np.asarray(view), expected)
    del view
    assert _live()["allocated_bytes"] - base["allocated_bytes"] == nbytes  # junk alone
    del junk
    assert _live() == base


class _CapsuleHolder:
    """Hands an already-made DLPack capsule to a consumer (np.from_dlpack wants an object)."""

    def __init__(self, capsule) -> None:
        self._capsule = capsule

    def __dlpack__(self, **kwargs):
        return self._capsule

    def __dlpack_device__(self):
        return (1, 0)


def test_from_numpy_keeps_the_array_alive() -> None:
    a = np.arange(1000, dtype=np.float64)
    t = ax.from_numpy(a)
    del a
    gc.collect()
    np.ones(1000)  # a freed buffer would likely be reused here
    np.testing.assert_array_equal(t.numpy(), np.arange(1000, dtype=np.float64))
