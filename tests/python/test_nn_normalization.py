"""Normalization: F.batch_norm / F.layer_norm / F.group_norm values vs NumPy, float64 gradients
(first and second order) and PyTorch parity of values and input/weight/bias gradients; the
modules BatchNorm1d/2d/3d, LayerNorm and GroupNorm against PyTorch with the same weights,
running-statistic trajectories over several steps (momentum and cumulative), train vs eval,
state_dict keys, repr; numerical stability at mean 1e3 / std 1e-2; thread-count independence;
every error path."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from opspec import OpSpec, op_tests

import axonite as ax
import axonite.nn.functional as F
from axonite import nn


def _tF() -> Any:
    import torch.nn.functional as tf

    return tf


def spec(name: str, f: Callable[..., Any], ref: Any, shapes: Any, **kw: Any) -> OpSpec:
    """An OpSpec whose body f(F, *tensors) runs with axonite's F and with torch's."""
    return OpSpec(name, lambda *a: f(F, *a), ref, shapes, torch_fn=lambda *a: f(_tF(), *a), **kw)


def _const(like: Any, arr: np.ndarray) -> Any:
    """A constant of like's library and dtype (running statistics inside an OpSpec body)."""
    if isinstance(like, ax.Tensor):
        return ax.tensor(arr, dtype=like.dtype)
    import torch

    return torch.tensor(arr, dtype=like.dtype)


def _norm_ref(x: np.ndarray, axes: tuple[int, ...], eps: float = 1e-5) -> np.ndarray:
    m = x.mean(axis=axes, keepdims=True)
    v = x.var(axis=axes, keepdims=True)
    return (x - m) / np.sqrt(v + eps)


def _bshape(x: np.ndarray) -> tuple[int, ...]:
    return (1, x.shape[1]) + (1,) * (x.ndim - 2)


def _bn_ref(x: np.ndarray, w: np.ndarray | None = None, b: np.ndarray | None = None) -> Any:
    axes = tuple(i for i in range(x.ndim) if i != 1)
    y = _norm_ref(x, axes)
    if w is not None:
        y = y * w.reshape(_bshape(x))
    if b is not None:
        y = y + b.reshape(_bshape(x))
    return y


RM = np.array([0.3, -0.2, 0.1])
RV = np.array([0.5, 2.0, 1.5])


def _bn_eval_ref(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    s = _bshape(x)
    return (x - RM.reshape(s)) / np.sqrt(RV.reshape(s) + 1e-5) * w.reshape(s) + b.reshape(s)


def _bn_eval(F: Any, x: Any, w: Any, b: Any) -> Any:
    return F.batch_norm(x, _const(x, RM), _const(x, RV), w, b, training=False)


def _ln_ref(k: int) -> Callable[..., np.ndarray]:
    def f(x: np.ndarray, w: np.ndarray | None = None, b: np.ndarray | None = None) -> Any:
        y = _norm_ref(x, tuple(range(x.ndim - k, x.ndim)))
        if w is not None:
            y = y * w
        if b is not None:
            y = y + b
        return y

    return f


def _gn_ref(g: int) -> Callable[..., np.ndarray]:
    def f(x: np.ndarray, w: np.ndarray | None = None, b: np.ndarray | None = None) -> Any:
        n = x.shape[0]
        y = _norm_ref(x.reshape(n, g, -1), (2,)).reshape(x.shape)
        if w is not None:
            y = y * w.reshape(_bshape(x))
        if b is not None:
            y = y + b.reshape(_bshape(x))
        return y

    return f


def _bn_train(F: Any, x: Any, w: Any, b: Any) -> Any:
    return F.batch_norm(x, None, None, w, b, training=True)


SPECS = [
    spec("batch_norm_2d_input", _bn_train, _bn_ref, [(5, 3), (3,), (3,)]),
    spec("batch_norm_3d_input", _bn_train, _bn_ref, [(4, 3, 5), (3,), (3,)]),
    spec("batch_norm_4d_input", _bn_train, _bn_ref, [(2, 3, 2, 5), (3,), (3,)]),
    spec("batch_norm_long_runs", _bn_train, _bn_ref, [(2, 3, 12), (3,), (3,)]),
    spec(
        "batch_norm_no_affine",
        lambda F, x: F.batch_norm(x, None, None, training=True),
        _bn_ref,
        [(6, 3, 2)],
    ),
    spec(
        "batch_norm_running_stats_train",
        lambda F, x, w, b: F.batch_norm(
            x, _const(x, RM), _const(x, RV), w, b, training=True, momentum=0.3
        ),
        _bn_ref,
        [(4, 3, 2), (3,), (3,)],
    ),
    spec("batch_norm_eval", _bn_eval, _bn_eval_ref, [(4, 3), (3,), (3,)]),
    spec("batch_norm_eval_4d", _bn_eval, _bn_eval_ref, [(2, 3, 3, 2), (3,), (3,)]),
    spec(
        "layer_norm_1",
        lambda F, x, w, b: F.layer_norm(x, (5,), w, b),
        _ln_ref(1),
        [(3, 5), (5,), (5,)],
    ),
    spec(
        "layer_norm_2",
        lambda F, x, w, b: F.layer_norm(x, (3, 4), w, b),
        _ln_ref(2),
        [(2, 3, 4), (3, 4), (3, 4)],
    ),
    spec("layer_norm_plain", lambda F, x: F.layer_norm(x, [4]), _ln_ref(1), [(2, 3, 4)]),
    spec(
        "layer_norm_weight_only",
        lambda F, x, w: F.layer_norm(x, (4,), w),
        _ln_ref(1),
        [(3, 4), (4,)],
    ),
    spec(
        "layer_norm_whole_tensor",
        lambda F, x, w, b: F.layer_norm(x, (2, 3), w, b),
        _ln_ref(2),
        [(2, 3), (2, 3), (2, 3)],
    ),
    spec(
        "group_norm",
        lambda F, x, w, b: F.group_norm(x, 2, w, b),
        _gn_ref(2),
        [(3, 4, 5), (4,), (4,)],
    ),
    spec(
        "group_norm_4d",
        lambda F, x, w, b: F.group_norm(x, 3, w, b),
        _gn_ref(3),
        [(2, 6, 2, 3), (6,), (6,)],
    ),
    spec("group_norm_one_group", lambda F, x: F.group_norm(x, 1), _gn_ref(1), [(2, 4, 3)]),
    spec(
        "group_norm_per_channel",
        lambda F, x, w, b: F.group_norm(x, 4, w, b),
        _gn_ref(4),
        [(3, 4, 3), (4,), (4,)],
    ),
    spec("group_norm_2d_input", lambda F, x: F.group_norm(x, 2), _gn_ref(2), [(3, 4)]),
]

test_forward, test_gradcheck, test_torch_parity = op_tests(SPECS)


# ---- batch norm modules -----------------------------------------------------------------------


def _check_state(ax_mod: Any, t_mod: Any) -> None:
    ta = {k: v.detach().numpy() for k, v in t_mod.state_dict().items()}
    for k, v in ax_mod.state_dict().items():
        np.testing.assert_allclose(v.numpy(), ta[k], rtol=1e-5, atol=1e-6, err_msg=k)


@pytest.mark.parametrize(
    ("cls", "shape", "kwargs"),
    [
        ("BatchNorm1d", (8, 4), {}),
        ("BatchNorm1d", (6, 4, 5), {"momentum": 0.25}),
        ("BatchNorm1d", (6, 4, 3), {"momentum": None}),
        ("BatchNorm2d", (4, 4, 3, 5), {}),
        ("BatchNorm2d", (4, 4, 3, 5), {"affine": False}),
        ("BatchNorm2d", (3, 4, 2, 2), {"track_running_stats": False}),
        ("BatchNorm2d", (3, 4, 2, 2), {"bias": False, "eps": 1e-3}),
        ("BatchNorm3d", (2, 4, 2, 3, 2), {}),
    ],
)
def test_batchnorm_module_trajectory(torch: Any, cls: str, shape: Any, kwargs: Any) -> None:
    a = getattr(nn, cls)(4, **kwargs)
    t = getattr(torch.nn, cls)(4, **kwargs)
    assert repr(a) == repr(t)
    assert list(a.state_dict()) == list(t.state_dict())
    if a.weight is not None:
        w = np.random.default_rng(9).uniform(0.5, 1.5, 4).astype(np.float32)
        with ax.no_grad():
            a.weight.copy_(ax.tensor(w))
        with torch.no_grad():
            t.weight.copy_(torch.tensor(w))
    rng = np.random.default_rng(0)
    for step in range(5):
        x = (rng.standard_normal(shape) * (step + 1) + step).astype(np.float32)
        xa, xt = ax.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        ya, yt = a(xa), t(xt)
        np.testing.assert_allclose(ya.detach().numpy(), yt.detach().numpy(), rtol=1e-4, atol=1e-5)
        g = rng.standard_normal(shape).astype(np.float32)
        ya.backward(ax.tensor(g))
        yt.backward(torch.tensor(g))
        np.testing.assert_allclose(xa.grad.numpy(), xt.grad.numpy(), rtol=1e-3, atol=1e-5)
        for name in ("weight", "bias"):
            pa, pt = getattr(a, name), getattr(t, name)
            assert (pa is None) == (pt is None)
            if pa is not None:
                np.testing.assert_allclose(pa.grad.numpy(), pt.grad.numpy(), rtol=1e-4, atol=1e-4)
                pa.grad = None
                pt.grad = None
        _check_state(a, t)
    a.eval()
    t.eval()
    x = rng.standard_normal(shape).astype(np.float32)
    xa, xt = ax.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ya, yt = a(xa), t(xt)
    np.testing.assert_allclose(ya.detach().numpy(), yt.detach().numpy(), rtol=1e-4, atol=1e-5)
    ya.sum().backward()
    yt.sum().backward()
    np.testing.assert_allclose(xa.grad.numpy(), xt.grad.numpy(), rtol=1e-4, atol=1e-5)
    _check_state(a, t)  # eval leaves the running statistics alone


def test_batchnorm_state_dict_and_load_from_torch(torch: Any) -> None:
    t = torch.nn.BatchNorm2d(3)
    t.train()
    t(torch.randn(4, 3, 2, 2) * 3 + 1)
    a = nn.BatchNorm2d(3)
    assert list(a.state_dict()) == [
        "weight",
        "bias",
        "running_mean",
        "running_var",
        "num_batches_tracked",
    ]
    assert a.num_batches_tracked.dtype == ax.int64
    a.load_state_dict(t.state_dict())
    a.eval()
    t.eval()
    x = np.random.default_rng(0).standard_normal((2, 3, 2, 2)).astype(np.float32)
    np.testing.assert_allclose(
        a(ax.tensor(x)).detach().numpy(), t(torch.tensor(x)).detach().numpy(), rtol=1e-5
    )
    assert int(a.num_batches_tracked.item()) == 1
    assert [n for n, _ in a.named_buffers()] == [
        "running_mean",
        "running_var",
        "num_batches_tracked",
    ]
    no = nn.BatchNorm1d(3, track_running_stats=False, affine=False)
    assert list(no.state_dict()) == [] and no.running_mean is None


def test_batchnorm_running_stats_unbiased() -> None:
    x = np.random.default_rng(0).standard_normal((10, 2)) * 3 + 2
    rm, rv = ax.zeros(2, dtype=ax.float64), ax.ones(2, dtype=ax.float64)
    F.batch_norm(ax.tensor(x), rm, rv, training=True, momentum=0.1)
    np.testing.assert_allclose(rm.numpy(), 0.1 * x.mean(0), rtol=1e-12)
    np.testing.assert_allclose(rv.numpy(), 0.9 + 0.1 * x.var(0, ddof=1), rtol=1e-12)


def test_batchnorm_eval_with_batch_one_and_no_buffers() -> None:
    m = nn.BatchNorm1d(3).eval()
    y = m(ax.randn(1, 3))  # one sample is fine in eval mode (running statistics)
    assert tuple(y.shape) == (1, 3)
    m2 = nn.BatchNorm1d(3, track_running_stats=False).eval()
    x = ax.randn(5, 3)
    np.testing.assert_allclose(m2(x).detach().numpy(), _bn_ref(x.numpy()), rtol=1e-4, atol=1e-5)


def test_batchnorm_errors() -> None:
    with pytest.raises(ValueError, match=r"expected 2D or 3D input \(got 4D input\)"):
        nn.BatchNorm1d(3)(ax.randn(2, 3, 4, 5))
    with pytest.raises(ValueError, match=r"expected 4D input \(got 3D input\)"):
        nn.BatchNorm2d(3)(ax.randn(2, 3, 4))
    with pytest.raises(ValueError, match=r"expected 5D input \(got 4D input\)"):
        nn.BatchNorm3d(3)(ax.randn(2, 3, 4, 4))
    with pytest.raises(ValueError, match="Expected more than 1 value per channel when training"):
        nn.BatchNorm1d(3)(ax.randn(1, 3))
    with pytest.raises(ValueError, match=r"got input size \[1, 3, 1\]"):
        F.batch_norm(ax.randn(1, 3, 1), None, None, training=True)
    with pytest.raises(RuntimeError, match="must be defined in evaluation mode"):
        F.batch_norm(ax.randn(4, 3), None, None, training=False)
    with pytest.raises(RuntimeError, match="running_mean should contain 3 elements not 4"):
        F.batch_norm(ax.randn(2, 3), ax.zeros(4), ax.ones(4), training=True)
    with pytest.raises(RuntimeError, match="weight should contain 3 elements not 4"):
        F.batch_norm(ax.randn(2, 3), None, None, ax.ones(4), training=True)
    with pytest.raises(RuntimeError, match="bias should contain 3 elements not 2"):
        F.batch_norm(ax.randn(2, 3), None, None, None, ax.ones(2), training=True)
    with pytest.raises(RuntimeError, match="running_mean should contain 4 elements not 3"):
        nn.BatchNorm1d(3)(ax.randn(2, 4))
    with pytest.raises(TypeError, match="dtype float32"):
        F.batch_norm(ax.randn(2, 3), ax.zeros(3, dtype=ax.float64), ax.ones(3), training=True)
    with pytest.raises(TypeError, match="floating-point"):
        F.batch_norm(ax.ones(2, 3, dtype=ax.int64), None, None, training=True)
    with pytest.raises(ValueError, match="at least 2 dims"):
        F.batch_norm(ax.randn(3), None, None, training=True)


# ---- layer norm / group norm modules ----------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "shape"),
    [
        (lambda nn: nn.LayerNorm(6), (4, 6)),
        (lambda nn: nn.LayerNorm([3, 4], eps=1e-3), (2, 5, 3, 4)),
        (lambda nn: nn.LayerNorm(5, elementwise_affine=False), (3, 5)),
        (lambda nn: nn.LayerNorm(5, bias=False), (2, 2, 5)),
        (lambda nn: nn.GroupNorm(2, 6), (3, 6, 4)),
        (lambda nn: nn.GroupNorm(3, 6, affine=False), (2, 6, 2, 2)),
        (lambda nn: nn.GroupNorm(1, 4, eps=1e-3, bias=False), (2, 4, 3)),
    ],
)
def test_row_norm_modules_torch_parity(torch: Any, make: Any, shape: Any) -> None:
    a, t = make(nn), make(torch.nn)
    assert repr(a) == repr(t)
    assert list(a.state_dict()) == list(t.state_dict())
    rng = np.random.default_rng(4)
    with torch.no_grad():
        for p in t.parameters():
            p.copy_(torch.tensor(rng.uniform(0.5, 1.5, tuple(p.shape)).astype(np.float32)))
    a.load_state_dict({k: v.numpy() for k, v in t.state_dict().items()})
    x = (rng.standard_normal(shape) * 2 + 1).astype(np.float32)
    xa, xt = ax.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ya, yt = a(xa), t(xt)
    np.testing.assert_allclose(ya.detach().numpy(), yt.detach().numpy(), rtol=1e-4, atol=1e-5)
    g = rng.standard_normal(shape).astype(np.float32)
    ya.backward(ax.tensor(g))
    yt.backward(torch.tensor(g))
    np.testing.assert_allclose(xa.grad.numpy(), xt.grad.numpy(), rtol=1e-3, atol=1e-5)
    for (na, pa), (nt, pt) in zip(a.named_parameters(), t.named_parameters(), strict=True):
        assert na == nt
        np.testing.assert_allclose(pa.grad.numpy(), pt.grad.numpy(), rtol=1e-4, atol=1e-4)


def test_row_norm_init() -> None:
    ln = nn.LayerNorm((2, 3))
    np.testing.assert_array_equal(ln.weight.detach().numpy(), np.ones((2, 3)))
    np.testing.assert_array_equal(ln.bias.detach().numpy(), np.zeros((2, 3)))
    gn = nn.GroupNorm(2, 4)
    np.testing.assert_array_equal(gn.weight.detach().numpy(), np.ones(4))
    assert nn.LayerNorm(3, elementwise_affine=False).weight is None
    assert list(nn.GroupNorm(2, 4, affine=False).state_dict()) == []


def test_layer_norm_errors() -> None:
    with pytest.raises(RuntimeError, match=r"normalized_shape=\[4\], expected input with shape"):
        F.layer_norm(ax.randn(4, 3), (4,))
    with pytest.raises(RuntimeError, match=r"expected input with shape \[\*, 2, 3\]"):
        F.layer_norm(ax.randn(3), (2, 3))
    with pytest.raises(RuntimeError, match="Expected weight to be of same shape"):
        F.layer_norm(ax.randn(4, 3), (3,), ax.ones(4))
    with pytest.raises(RuntimeError, match="Expected bias to be of same shape"):
        F.layer_norm(ax.randn(4, 3), (3,), None, ax.ones(2))
    with pytest.raises(TypeError, match="floating-point"):
        F.layer_norm(ax.ones(2, 3, dtype=ax.int64), (3,))
    with pytest.raises(RuntimeError, match="expected input"):
        nn.LayerNorm(5)(ax.randn(2, 4))


def test_group_norm_errors() -> None:
    with pytest.raises(RuntimeError, match=r"divisible by num_groups, but got input of shape"):
        F.group_norm(ax.randn(2, 6, 4), 4)
    with pytest.raises(
        ValueError, match=r"num_channels \(6\) must be divisible by num_groups \(4\)"
    ):
        nn.GroupNorm(4, 6)
    with pytest.raises(RuntimeError, match="Expected weight to be a vector of size equal"):
        F.group_norm(ax.randn(2, 6, 4), 3, ax.ones(5))
    with pytest.raises(RuntimeError, match="Expected bias to be a vector of size equal"):
        F.group_norm(ax.randn(2, 6, 4), 3, None, ax.ones(2, 3))
    with pytest.raises(RuntimeError, match="at least 2 dims"):
        F.group_norm(ax.randn(6), 3)
    with pytest.raises(ValueError, match="num_groups must be positive"):
        F.group_norm(ax.randn(2, 6), 0)
    with pytest.raises(ValueError, match="divisible"):
        nn.GroupNorm(0, 6)


# ---- numerics -----------------------------------------------------------------------------------


def _ill_conditioned(shape: tuple[int, ...]) -> np.ndarray:
    return (1e3 + 1e-2 * np.random.default_rng(0).standard_normal(shape)).astype(np.float32)


@pytest.mark.parametrize(
    ("name", "fn", "axes"),
    [
        ("batch_norm", lambda x: F.batch_norm(x, None, None, training=True), (0, 2)),
        ("layer_norm", lambda x: F.layer_norm(x, (3, 400)), (1, 2)),
        ("group_norm", lambda x: F.group_norm(x, 1), (1, 2)),
    ],
)
def test_stable_at_large_mean_small_std(name: str, fn: Any, axes: Any) -> None:
    x = _ill_conditioned((64, 3, 400))
    ref = _norm_ref(x.astype(np.float64), axes)  # exact statistics of the float32 data
    y = fn(ax.tensor(x)).numpy()
    assert np.abs(y - ref).max() < 1e-5, name  # float32 rounding of the output only
    # float64 input: essentially exact
    y64 = fn(ax.tensor(x.astype(np.float64))).numpy()
    assert np.abs(y64 - ref).max() < 1e-9, name


def test_batch_norm_running_var_stable() -> None:
    x = _ill_conditioned((5000, 2))
    rm, rv = ax.zeros(2), ax.zeros(2)
    F.batch_norm(ax.tensor(x), rm, rv, training=True, momentum=1.0)
    ref = x.astype(np.float64).var(0, ddof=1)
    np.testing.assert_allclose(rv.numpy(), ref, rtol=1e-5)
    np.testing.assert_allclose(rm.numpy(), x.astype(np.float64).mean(0), rtol=1e-7)


@pytest.mark.parametrize(
    "fn",
    [
        lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
        lambda x, w, b: F.group_norm(x, 4, w, b),
        lambda x, w, b: F.layer_norm(x.transpose(1, 2), (64,), ax.ones(64), None),
    ],
)
def test_norms_thread_count_independent(fn: Any) -> None:
    rng = np.random.default_rng(5)
    x = ax.tensor(rng.standard_normal((70, 64, 33)).astype(np.float32), requires_grad=True)
    w = ax.tensor(rng.uniform(0.5, 1.5, 64).astype(np.float32), requires_grad=True)
    b = ax.tensor(rng.standard_normal(64).astype(np.float32), requires_grad=True)
    g = ax.tensor(rng.standard_normal((70, 64, 33)).astype(np.float32))
    n0 = ax.get_num_threads()
    outs = []
    try:
        for nt in (1, 2, 4):
            ax.set_num_threads(nt)
            for t in (x, w, b):
                t.grad = None
            y = fn(x, w, b)
            y.backward(g if tuple(y.shape) == tuple(g.shape) else g.transpose(1, 2))
            outs.append(
                [t.numpy().copy() for t in (y.detach(), x.grad)]
                + [t.grad.numpy().copy() for t in (w, b) if t.grad is not None]
            )
    finally:
        ax.set_num_threads(n0)
    for o in outs[1:]:
        for a, c in zip(outs[0], o, strict=True):
            np.testing.assert_array_equal(a, c)


def test_batch_norm_double_backward_eval_and_train() -> None:
    rng = np.random.default_rng(0)
    x = ax.tensor(rng.standard_normal((4, 3, 2)), requires_grad=True)
    w = ax.tensor(rng.uniform(0.5, 1.5, 3), requires_grad=True)
    rm, rv = ax.tensor(RM), ax.tensor(RV)
    for training in (True, False):

        def f(x: Any, w: Any, training: bool = training) -> Any:
            return F.batch_norm(x, rm.clone(), rv.clone(), w, None, training=training) ** 2

        assert ax.autograd.gradgradcheck(f, (x, w))


def test_norm_node_names() -> None:
    x = ax.randn(4, 3, requires_grad=True)
    assert F.batch_norm(x, None, None, training=True).grad_fn.name() == "NativeBatchNormBackward0"
    assert F.layer_norm(x, (3,)).grad_fn.name() == "NativeLayerNormBackward0"
    assert F.group_norm(x, 3).grad_fn.name() == "NativeGroupNormBackward0"


def test_empty_inputs() -> None:
    rm, rv = ax.zeros(3), ax.ones(3)
    y = F.batch_norm(ax.zeros(0, 3), rm, rv, training=True)
    assert tuple(y.shape) == (0, 3)
    np.testing.assert_array_equal(rm.numpy(), np.zeros(3))  # untouched, as in PyTorch
    np.testing.assert_array_equal(rv.numpy(), np.ones(3))
    for fn, shape in [
        (lambda x: F.group_norm(x, 2), (0, 4, 2)),
        (lambda x: F.layer_norm(x, (3,)), (0, 3)),
    ]:
        x = ax.zeros(*shape, requires_grad=True)
        fn(x).sum().backward()
        assert tuple(x.grad.shape) == shape
