"""softmax / log_softmax / softmin: values vs NumPy along every dim, float64 gradients (first
and second order), PyTorch parity (values and gradients, small and large, contiguous and
strided), extreme logits, the implicit-dim rule, thread-count independence and errors."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from opspec import OpSpec, op_tests

import axonite as ax
import axonite.nn.functional as F
from axonite import nn


def _softmax(x: np.ndarray, dim: int) -> np.ndarray:
    e = np.exp(x - x.max(axis=dim, keepdims=True))
    return e / e.sum(axis=dim, keepdims=True)


def _log_softmax(x: np.ndarray, dim: int) -> np.ndarray:
    m = x.max(axis=dim, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=dim, keepdims=True))


def _torch_f(name: str, **kw: Any):
    def f(x: Any) -> Any:
        import torch

        return getattr(torch.nn.functional, name)(x, **kw)

    return f


REFS = {
    "softmax": _softmax,
    "log_softmax": _log_softmax,
    "softmin": lambda x, d: _softmax(-x, d),
}


def _spec(name: str, dim: int, shape: tuple[int, ...], transpose: bool = False) -> OpSpec:
    ref = REFS[name]

    def fn(x: ax.Tensor) -> ax.Tensor:
        return getattr(F, name)(x.transpose(0, 1) if transpose else x, dim=dim)

    def torch_fn(x: Any) -> Any:
        return _torch_f(name, dim=dim)(x.transpose(0, 1) if transpose else x)

    def reference(x: np.ndarray) -> np.ndarray:
        return ref(np.swapaxes(x, 0, 1) if transpose else x, dim)

    label = f"{name}_dim{dim}_{'x'.join(map(str, shape))}" + ("_T" if transpose else "")
    return OpSpec(label, fn, reference, shapes=[shape], low=-3, high=3, torch_fn=torch_fn)


SPECS = [_spec(name, dim, (2, 3, 4)) for name in REFS for dim in (0, 1, 2, -1)] + [
    _spec("softmax", 0, (5,)),
    _spec("log_softmax", -1, (5,)),
    _spec("softmax", 1, (3, 4), transpose=True),
    _spec("log_softmax", 0, (3, 4), transpose=True),
    _spec("softmax", 0, ()),
    _spec("log_softmax", 0, ()),
    OpSpec("softmax_method", lambda x: x.softmax(1), lambda x: _softmax(x, 1), shapes=[(3, 4)]),
    OpSpec(
        "log_softmax_method",
        lambda x: x.log_softmax(-1),
        lambda x: _log_softmax(x, -1),
        shapes=[(3, 4)],
    ),
    OpSpec(
        "softmax_toplevel",
        lambda x: ax.softmax(x, 0),
        lambda x: _softmax(x, 0),
        shapes=[(3, 4)],
        torch_fn=lambda x: __import__("torch").softmax(x, 0),
    ),
    OpSpec(
        "log_softmax_toplevel",
        lambda x: ax.log_softmax(x, dim=1),
        lambda x: _log_softmax(x, 1),
        shapes=[(3, 4)],
        torch_fn=lambda x: __import__("torch").log_softmax(x, dim=1),
    ),
]

test_forward, test_gradcheck, test_torch_parity = op_tests(SPECS)


@pytest.mark.parametrize("name", ["softmax", "log_softmax", "softmin"])
@pytest.mark.parametrize(
    ("shape", "dim"),
    [
        ((512, 1000), 1),
        ((64, 300, 17), 1),
        ((1000, 300), 0),
        ((7, 5, 130), 0),
        ((3, 70000), 1),
        ((70000, 3), 1),
    ],
)
def test_large_float32_matches_torch(torch, name: str, shape: tuple[int, ...], dim: int) -> None:
    rng = np.random.default_rng(0)
    x = (rng.standard_normal(shape) * 4).astype(np.float32)
    g = rng.standard_normal(shape).astype(np.float32)
    xa, xt = ax.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ya = getattr(F, name)(xa, dim)
    yt = getattr(torch.nn.functional, name)(xt, dim)
    np.testing.assert_allclose(ya.detach().numpy(), yt.detach().numpy(), rtol=2e-5, atol=1e-7)
    ya.backward(ax.tensor(g))
    yt.backward(torch.tensor(g))
    np.testing.assert_allclose(xa.grad.numpy(), xt.grad.numpy(), rtol=2e-4, atol=2e-6)


@pytest.mark.parametrize("dim", [0, 1])
def test_extreme_logits_stay_finite(torch, dim: int) -> None:
    x = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, 3.0], [5e3, 1e4, -1e4]], dtype=np.float32)
    for name in ("softmax", "log_softmax", "softmin"):
        for dt in (np.float32, np.float64):
            xa = ax.tensor(x.astype(dt), requires_grad=True)
            y = getattr(F, name)(xa, dim)
            assert np.all(np.isfinite(y.detach().numpy())), name
            want = getattr(torch.nn.functional, name)(torch.tensor(x.astype(dt)), dim).numpy()
            np.testing.assert_allclose(y.detach().numpy(), want, rtol=1e-6, atol=1e-30)
            y.sum().backward()
            assert np.all(np.isfinite(xa.grad.numpy())), name


def test_nan_row_stays_nan() -> None:
    y = F.softmax(ax.tensor([[1.0, float("nan")], [1.0, 2.0]]), 1).numpy()
    assert np.all(np.isnan(y[0]))
    assert np.all(np.isfinite(y[1]))


def test_rows_sum_to_one_and_dtype_argument() -> None:
    x = ax.randn(4, 9)
    y = F.softmax(x, dim=1, dtype=ax.float64)
    assert y.dtype == ax.float64
    np.testing.assert_allclose(y.sum(1).numpy(), 1.0, rtol=1e-12)
    assert F.log_softmax(x, 0, dtype=ax.float64).dtype == ax.float64
    assert F.softmin(ax.tensor([1, 2, 3]), 0, dtype=ax.float32).dtype == ax.float32
    xg = ax.randn(3, 4, requires_grad=True)
    F.softmax(xg, 1, dtype=ax.float64).sum().backward()
    assert xg.grad.dtype == ax.float32


def test_empty_inputs() -> None:
    for shape, dim in [((0, 5), 1), ((0, 5), 0), ((3, 0), 1), ((2, 0, 3), 0)]:
        x = ax.randn(*shape, requires_grad=True)
        y = F.softmax(x, dim)
        assert y.shape == shape
        y.sum().backward()
        assert x.grad.shape == shape


def test_node_names(torch) -> None:
    x = ax.randn(3, 4, requires_grad=True)
    assert F.softmax(x, 1).grad_fn.name() == "SoftmaxBackward0"
    assert F.log_softmax(x, 1).grad_fn.name() == "LogSoftmaxBackward0"
    assert F.softmin(x, 1).grad_fn.name() == "SoftmaxBackward0"
    (g,) = ax.autograd.grad((F.softmax(x, 1) * ax.randn(3, 4)).sum(), x, create_graph=True)
    assert g.grad_fn.name() == "SoftmaxBackwardDataBackward0"
    (g,) = ax.autograd.grad((F.log_softmax(x, 0) * ax.randn(3, 4)).sum(), x, create_graph=True)
    assert g.grad_fn.name() == "LogSoftmaxBackwardDataBackward0"


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_second_derivative_matches_torch(torch, name: str) -> None:
    x = np.random.default_rng(1).standard_normal((3, 5))
    w = np.random.default_rng(2).standard_normal((3, 5))
    xa, xt = ax.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    (ga,) = ax.autograd.grad((getattr(F, name)(xa, 1) * ax.tensor(w)).sum(), xa, create_graph=True)
    (gt,) = torch.autograd.grad(
        (getattr(torch.nn.functional, name)(xt, 1) * torch.tensor(w)).sum(), xt, create_graph=True
    )
    (gga,) = ax.autograd.grad((ga * ga).sum(), xa)
    (ggt,) = torch.autograd.grad((gt * gt).sum(), xt)
    np.testing.assert_allclose(gga.numpy(), ggt.numpy(), rtol=1e-10, atol=1e-12)


def test_results_do_not_depend_on_thread_count() -> None:
    rng = np.random.default_rng(3)
    cases = [((700, 301), 1), ((300, 700), 0), ((20, 77, 130), 1)]
    old = ax.get_num_threads()
    try:
        outs = []
        for nt in (1, 2, 3):
            ax.set_num_threads(nt)
            res = []
            for shape, dim in cases:
                x = ax.tensor(rng.standard_normal(shape).astype(np.float32) * 3, requires_grad=True)
                g = ax.tensor(np.ones(shape, dtype=np.float32))
                for fn in (F.softmax, F.log_softmax):
                    y = fn(x, dim)
                    (gx,) = ax.autograd.grad(y, x, g * 0.5)
                    res += [y.detach().numpy(), gx.numpy()]
            outs.append(res)
            rng = np.random.default_rng(3)
    finally:
        ax.set_num_threads(old)
    for other in outs[1:]:
        for a, b in zip(outs[0], other, strict=True):
            assert np.array_equal(a, b)


# ---- implicit dim ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("shape", "dim"), [((), 0), ((4,), 0), ((2, 3), 1), ((2, 3, 4), 0), ((2, 3, 4, 5), 1)]
)
def test_implicit_dim_follows_torch_legacy_rule(shape: tuple[int, ...], dim: int) -> None:
    x = ax.randn(*shape)
    for name in ("softmax", "log_softmax", "softmin"):
        with pytest.warns(UserWarning, match=f"Implicit dimension choice for {name}"):
            y = getattr(F, name)(x)
        np.testing.assert_array_equal(y.numpy(), getattr(F, name)(x, dim).numpy())
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax"):
        nn.Softmax()(x)


def test_modules() -> None:
    x = ax.randn(2, 5)
    np.testing.assert_array_equal(nn.Softmax(dim=1)(x).numpy(), F.softmax(x, 1).numpy())
    np.testing.assert_array_equal(nn.LogSoftmax(0)(x).numpy(), F.log_softmax(x, 0).numpy())
    np.testing.assert_array_equal(nn.Softmin(-1)(x).numpy(), F.softmin(x, -1).numpy())
    assert repr(nn.Softmax(dim=1)) == "Softmax(dim=1)"
    assert repr(nn.LogSoftmax()) == "LogSoftmax(dim=None)"


# ---- errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["softmax", "log_softmax", "softmin"])
def test_bad_dim_raises_index_error(name: str) -> None:
    with pytest.raises(IndexError, match=rf"{name}: dimension out of range.*\[-2, 1\].*got 2"):
        getattr(F, name)(ax.randn(2, 3), 2)
    with pytest.raises(IndexError, match=f"{name}: dimension out of range"):
        getattr(F, name)(ax.randn(2, 3), -3)


def test_bad_dtypes() -> None:
    with pytest.raises(TypeError, match=r"softmax: expected a floating-point tensor.*int64"):
        F.softmax(ax.tensor([1, 2]), 0)
    with pytest.raises(TypeError, match=r"log_softmax: expected a floating-point tensor.*int64"):
        ax.tensor([[1, 2]]).log_softmax(1)
    with pytest.raises(TypeError, match="softmax: dtype must be floating"):
        F.softmax(ax.randn(3), 0, dtype=ax.int64)
    with pytest.raises(TypeError, match="softmin: expected a floating-point tensor"):
        F.softmin(ax.tensor([True, False]), 0)
