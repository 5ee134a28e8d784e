"""Pooling and resizing: torch parity of outputs, indices and input gradients for max/min/avg
pools (1d/2d/3d over a grid of kernel/stride/padding/dilation/ceil_mode/count_include_pad/
divisor_override), adaptive pools with non-divisible sizes and None entries, max unpooling,
interpolate (modes, align_corners, sizes and scale factors), pixel (un)shuffle; float64
gradcheck and gradgradcheck on small sizes; unbatched inputs; module reprs; thread-count
independence; every error path."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pytest

import axonite as ax
import axonite.nn.functional as F
from axonite import nn


def _pair(shape: tuple[int, ...], torch: Any, dtype: Any = np.float64, seed: int = 0) -> Any:
    """The same random array as an axonite and a torch tensor, both requiring grad."""
    a = np.random.default_rng(seed).standard_normal(shape).astype(dtype)
    return ax.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)


def _close(a: Any, t: Any, rtol: float = 1e-6, atol: float = 1e-7) -> None:
    np.testing.assert_allclose(a.detach().numpy(), t.detach().numpy(), rtol=rtol, atol=atol)


def _check_grad(ya: Any, yt: Any, xa: Any, xt: Any, torch: Any) -> None:
    g = np.random.default_rng(1).standard_normal(tuple(yt.shape))
    ya.backward(ax.tensor(g, dtype=ya.dtype))
    yt.backward(torch.tensor(g, dtype=yt.dtype))
    _close(xa.grad, xt.grad)


# ---- max / min pooling -------------------------------------------------------------------------

# (input spatial, kernel, stride, padding, dilation, ceil_mode)
MAX_CASES = {
    1: [
        ((9,), 2, None, 0, 1, False),
        ((10,), 3, 2, 1, 1, True),
        ((11,), 3, 2, 1, 2, False),
        ((8,), 4, 3, 2, 1, True),
        ((7,), 1, 1, 0, 1, False),
    ],
    2: [
        ((8, 8), 2, None, 0, 1, False),
        ((9, 7), 3, 2, 1, 1, False),
        ((9, 7), 3, 2, 1, 1, True),
        ((10, 11), (2, 3), (1, 2), (1, 0), (2, 1), False),
        ((7, 9), (3, 2), (2, 3), (0, 1), 1, True),
        ((6, 6), 3, 1, 1, 1, False),
        ((12, 12), 5, 3, 2, (1, 2), True),
    ],
    3: [
        ((4, 6, 6), 2, None, 0, 1, False),
        ((5, 7, 6), 3, 2, 1, 1, True),
        ((5, 6, 7), (2, 3, 2), (1, 2, 2), (1, 1, 0), (1, 1, 2), False),
    ],
}
MAX_PARAMS = [(n, c) for n in (1, 2, 3) for c in MAX_CASES[n]]


@pytest.mark.parametrize(("n", "case"), MAX_PARAMS)
def test_max_pool_parity(n: int, case: tuple[Any, ...], torch: Any) -> None:
    sp, k, s, p, d, ceil = case
    xa, xt = _pair((2, 3, *sp), torch)
    fa = getattr(F, f"max_pool{n}d")
    ft = getattr(torch.nn.functional, f"max_pool{n}d")
    ya, ia = fa(xa, k, s, p, d, ceil_mode=ceil, return_indices=True)
    yt, it = ft(xt, k, s, p, d, ceil_mode=ceil, return_indices=True)
    assert tuple(ya.shape) == tuple(yt.shape)
    _close(ya, yt, 0, 0)
    np.testing.assert_array_equal(ia.numpy(), it.numpy())
    assert ia.dtype == ax.int64
    _close(fa(xa.detach(), k, s, p, d, ceil_mode=ceil), yt, 0, 0)  # values-only path
    _check_grad(ya, yt, xa, xt, torch)


def test_max_pool_float32_ties_and_special_values(torch: Any) -> None:
    rng = np.random.default_rng(3)
    a = rng.integers(0, 3, size=(2, 4, 9, 10)).astype(np.float32)  # many ties
    a[0, 0, 1, 1] = np.nan
    a[0, 1, :3, :3] = -np.inf
    a[1, 2, 4, 5] = np.inf
    for k, s, p, ceil in [(2, 2, 0, False), (3, 2, 1, False), (3, 2, 1, True), (3, 1, 1, False)]:
        ya, ia = F.max_pool2d(ax.tensor(a), k, s, p, ceil_mode=ceil, return_indices=True)
        yt, it = torch.nn.functional.max_pool2d(
            torch.tensor(a), k, s, p, ceil_mode=ceil, return_indices=True
        )
        np.testing.assert_array_equal(ya.numpy(), yt.numpy())
        np.testing.assert_array_equal(ia.numpy(), it.numpy())


@pytest.mark.parametrize(
    ("k", "s", "p", "ceil"), [(2, 2, 0, False), (3, 2, 1, True), (2, 1, 1, False)]
)
def test_min_pool2d_matches_negated_max(k: int, s: int, p: int, ceil: bool, torch: Any) -> None:
    a = np.random.default_rng(4).integers(0, 4, size=(2, 3, 8, 9)).astype(np.float64)
    xa = ax.tensor(a, requires_grad=True)
    xt = torch.tensor(a, requires_grad=True)
    ya, ia = F.min_pool2d(xa, k, s, p, ceil_mode=ceil, return_indices=True)
    yt, it = torch.nn.functional.max_pool2d(-xt, k, s, p, ceil_mode=ceil, return_indices=True)
    yt = -yt
    _close(ya, yt, 0, 0)
    np.testing.assert_array_equal(ia.numpy(), it.numpy())
    _check_grad(ya, yt, xa, xt, torch)
    m = nn.MinPool2d(k, s, p, ceil_mode=ceil)
    _close(m(xa), yt, 0, 0)


# ---- average pooling ---------------------------------------------------------------------------

AVG_CASES = {
    1: [((9,), 2, None, 0), ((10,), 3, 2, 1), ((8,), 4, 3, 2), ((7,), 3, 1, 1)],
    2: [
        ((8, 8), 2, None, 0),
        ((9, 7), 3, 2, 1),
        ((10, 11), (2, 3), (1, 2), (1, 0)),
        ((6, 7), 3, 1, 1),
    ],
    3: [
        ((4, 6, 6), 2, None, 0),
        ((5, 7, 6), 3, 2, 1),
        ((5, 6, 7), (2, 3, 2), (1, 2, 2), (1, 1, 0)),
    ],
}
AVG_PARAMS = [
    (n, c, ceil, cip, div)
    for n in (1, 2, 3)
    for c in AVG_CASES[n]
    for ceil, cip in itertools.product((False, True), (False, True))
    for div in ((None,) if n == 1 else (None, 3))
]


@pytest.mark.parametrize(("n", "case", "ceil", "cip", "div"), AVG_PARAMS)
def test_avg_pool_parity(n: int, case: Any, ceil: bool, cip: bool, div: Any, torch: Any) -> None:
    sp, k, s, p = case
    xa, xt = _pair((2, 3, *sp), torch)
    fa = getattr(F, f"avg_pool{n}d")
    ft = getattr(torch.nn.functional, f"avg_pool{n}d")
    extra = {} if n == 1 else {"divisor_override": div}
    ya = fa(xa, k, s, p, ceil_mode=ceil, count_include_pad=cip, **extra)
    yt = ft(xt, k, s, p, ceil_mode=ceil, count_include_pad=cip, **extra)
    assert tuple(ya.shape) == tuple(yt.shape)
    _close(ya, yt, 1e-12, 1e-12)
    _check_grad(ya, yt, xa, xt, torch)


def test_avg_pool_float32(torch: Any) -> None:
    a = np.random.default_rng(5).standard_normal((4, 5, 16, 17)).astype(np.float32)
    for k, s, p in [(2, 2, 0), (3, 2, 1), (3, 1, 1)]:
        ya = F.avg_pool2d(ax.tensor(a), k, s, p)
        yt = torch.nn.functional.avg_pool2d(torch.tensor(a), k, s, p)
        _close(ya, yt, 1e-5, 1e-6)


@pytest.mark.parametrize("shape", [(3, 6, 28, 28), (2, 16, 10, 10), (1, 2, 2, 30)])
def test_avg_pool_2x2_tiling_float32(shape: Any, torch: Any) -> None:
    """Exact 2x2 tilings (LeNet's subsampling) take a dedicated kernel: values and gradients."""
    a = np.random.default_rng(6).standard_normal(shape).astype(np.float32)
    xa, xt = ax.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    ya, yt = F.avg_pool2d(xa, 2), torch.nn.functional.avg_pool2d(xt, 2)
    _close(ya, yt, 1e-6, 1e-7)
    g = np.random.default_rng(7).standard_normal(tuple(yt.shape)).astype(np.float32)
    ya.backward(ax.tensor(g))
    yt.backward(torch.tensor(g))
    _close(xa.grad, xt.grad, 1e-6, 1e-7)


# ---- adaptive pooling --------------------------------------------------------------------------

ADAPTIVE = [
    (1, (10,), 3),
    (1, (7,), 7),
    (1, (5,), 8),
    (2, (10, 9), (3, 4)),
    (2, (8, 8), 4),
    (2, (7, 9), (None, 5)),
    (2, (5, 6), (7, 1)),
    (3, (5, 7, 6), (2, 3, 4)),
    (3, (4, 4, 4), (None, 2, None)),
]


@pytest.mark.parametrize(("n", "sp", "out"), ADAPTIVE)
def test_adaptive_pools_parity(n: int, sp: Any, out: Any, torch: Any) -> None:
    xa, xt = _pair((2, 3, *sp), torch)
    ya = getattr(F, f"adaptive_avg_pool{n}d")(xa, out)
    yt = getattr(torch.nn.functional, f"adaptive_avg_pool{n}d")(xt, out)
    assert tuple(ya.shape) == tuple(yt.shape)
    _close(ya, yt, 1e-12, 1e-12)
    _check_grad(ya, yt, xa, xt, torch)
    xa, xt = _pair((2, 3, *sp), torch, seed=7)
    ya, ia = getattr(F, f"adaptive_max_pool{n}d")(xa, out, return_indices=True)
    yt, it = getattr(torch.nn.functional, f"adaptive_max_pool{n}d")(xt, out, return_indices=True)
    _close(ya, yt, 0, 0)
    np.testing.assert_array_equal(ia.numpy(), it.numpy())
    _check_grad(ya, yt, xa, xt, torch)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_global_average_pool(dtype: Any, torch: Any) -> None:
    xa, xt = _pair((3, 5, 7, 9), torch, dtype=dtype)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    ya, yt = F.adaptive_avg_pool2d(xa, 1), torch.nn.functional.adaptive_avg_pool2d(xt, 1)
    _close(ya, yt, tol, tol)
    _check_grad(ya, yt, xa, xt, torch)
    _close(F.avg_pool2d(xa, (7, 9)), torch.nn.functional.avg_pool2d(xt, (7, 9)), tol, tol)
    _close(
        F.adaptive_avg_pool1d(xa[0], 1), torch.nn.functional.adaptive_avg_pool1d(xt[0], 1), tol, tol
    )
    x = _x(1, 2, 3, 4)
    assert ax.autograd.gradgradcheck(lambda t: F.adaptive_avg_pool2d(t, 1), (x,))


# ---- max unpooling -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("k", "s", "p", "out"), [(2, None, 0, (2, 3, 9, 9)), (3, 2, 1, None), (2, 2, 0, (9, 9))]
)
def test_max_unpool2d_parity(k: int, s: Any, p: int, out: Any, torch: Any) -> None:
    a = np.random.default_rng(8).standard_normal((2, 3, 9, 9))
    _, ia = F.max_pool2d(ax.tensor(a), k, s, p, return_indices=True)
    _, it = torch.nn.functional.max_pool2d(torch.tensor(a), k, s, p, return_indices=True)
    v = np.random.default_rng(9).standard_normal(tuple(it.shape))
    va, vt = ax.tensor(v, requires_grad=True), torch.tensor(v, requires_grad=True)
    ya = F.max_unpool2d(va, ia, k, s, p, output_size=out)
    yt = torch.nn.functional.max_unpool2d(vt, it, k, s, p, output_size=out)
    assert tuple(ya.shape) == tuple(yt.shape)
    _close(ya, yt, 0, 0)
    _check_grad(ya, yt, va, vt, torch)
    ma = nn.MaxUnpool2d(k, s, p)
    _close(ma(va, ia, out), yt, 0, 0)


def test_max_unpool1d_3d_roundtrip(torch: Any) -> None:
    for n, shape in ((1, (2, 3, 8)), (3, (1, 2, 4, 4, 6))):
        a = np.random.default_rng(10).standard_normal(shape)
        ya, ia = getattr(F, f"max_pool{n}d")(ax.tensor(a), 2, return_indices=True)
        yt, it = getattr(torch.nn.functional, f"max_pool{n}d")(
            torch.tensor(a), 2, return_indices=True
        )
        ua = getattr(F, f"max_unpool{n}d")(ya, ia, 2)
        ut = getattr(torch.nn.functional, f"max_unpool{n}d")(yt, it, 2)
        _close(ua, ut, 0, 0)


# ---- interpolate -------------------------------------------------------------------------------

INTERP = [
    ("nearest", (2, 3, 7), {"size": 12}),
    ("nearest", (2, 3, 7), {"scale_factor": 2}),
    ("nearest", (2, 3, 10), {"size": 4}),
    ("nearest", (2, 2, 5, 6), {"scale_factor": 1.7}),
    ("nearest", (2, 2, 5, 6), {"scale_factor": (0.6, 2.5)}),
    ("nearest", (2, 2, 5, 6), {"size": (7, 3)}),
    ("nearest", (1, 2, 3, 4, 5), {"scale_factor": 2}),
    ("nearest", (1, 2, 3, 4, 5), {"size": (5, 3, 7)}),
    ("nearest-exact", (2, 2, 5, 6), {"scale_factor": 1.7}),
    ("nearest-exact", (2, 2, 5, 6), {"size": (3, 11)}),
    ("linear", (2, 3, 7), {"size": 12}),
    ("linear", (2, 3, 7), {"scale_factor": 0.5}),
    ("bilinear", (2, 2, 5, 6), {"scale_factor": 2}),
    ("bilinear", (2, 2, 5, 6), {"scale_factor": 1.3}),
    ("bilinear", (2, 2, 5, 6), {"size": (3, 9)}),
    ("bilinear", (2, 2, 5, 6), {"size": (1, 1)}),
    ("bilinear", (2, 2, 5, 6), {"scale_factor": 1.3, "recompute_scale_factor": True}),
    ("trilinear", (1, 2, 3, 4, 5), {"scale_factor": 2}),
    ("trilinear", (1, 2, 3, 4, 5), {"size": (2, 6, 3)}),
    ("area", (2, 2, 9, 7), {"size": (4, 3)}),
    ("area", (2, 3, 10), {"scale_factor": 0.5}),
]
INTERP_PARAMS = [
    (m, shape, kw, ac)
    for m, shape, kw in INTERP
    for ac in ((None, False, True) if m in ("linear", "bilinear", "trilinear") else (None,))
]


@pytest.mark.parametrize(("mode", "shape", "kw", "ac"), INTERP_PARAMS)
def test_interpolate_parity(mode: str, shape: Any, kw: dict, ac: Any, torch: Any) -> None:
    xa, xt = _pair(shape, torch)
    ya = F.interpolate(xa, mode=mode, align_corners=ac, **kw)
    yt = torch.nn.functional.interpolate(xt, mode=mode, align_corners=ac, **kw)
    assert tuple(ya.shape) == tuple(yt.shape)
    _close(ya, yt, 1e-12, 1e-12)
    _check_grad(ya, yt, xa, xt, torch)
    m = nn.Upsample(mode=mode, align_corners=ac, **kw)
    _close(m(xa), yt, 1e-12, 1e-12)


def test_interpolate_float32(torch: Any) -> None:
    a = np.random.default_rng(11).standard_normal((2, 3, 9, 10)).astype(np.float32)
    for mode, ac in (("nearest", None), ("bilinear", False), ("bilinear", True)):
        for kw in ({"scale_factor": 2}, {"size": (13, 7)}):
            ya = F.interpolate(ax.tensor(a), mode=mode, align_corners=ac, **kw)
            yt = torch.nn.functional.interpolate(torch.tensor(a), mode=mode, align_corners=ac, **kw)
            _close(ya, yt, 1e-5, 1e-6)


def test_upsampling_shorthands(torch: Any) -> None:
    xa, xt = _pair((1, 2, 4, 5), torch)
    _close(
        nn.UpsamplingNearest2d(scale_factor=2)(xa), torch.nn.UpsamplingNearest2d(scale_factor=2)(xt)
    )
    _close(nn.UpsamplingBilinear2d(size=(7, 9))(xa), torch.nn.UpsamplingBilinear2d(size=(7, 9))(xt))


# ---- pixel shuffle -----------------------------------------------------------------------------


@pytest.mark.parametrize(("shape", "r"), [((2, 8, 3, 4), 2), ((18, 2, 3), 3), ((2, 1, 4, 1, 2), 1)])
def test_pixel_shuffle_parity(shape: Any, r: int, torch: Any) -> None:
    xa, xt = _pair(shape, torch)
    ya, yt = F.pixel_shuffle(xa, r), torch.nn.functional.pixel_shuffle(xt, r)
    _close(ya, yt, 0, 0)
    _check_grad(ya, yt, xa, xt, torch)
    za, zt = F.pixel_unshuffle(ya, r), torch.nn.functional.pixel_unshuffle(yt, r)
    _close(za, zt, 0, 0)
    _close(za, xa, 0, 0)
    _close(nn.PixelShuffle(r)(xa), yt, 0, 0)
    _close(nn.PixelUnshuffle(r)(ya), zt, 0, 0)


# ---- gradcheck / gradgradcheck -----------------------------------------------------------------


def _x(*shape: int, seed: int = 0) -> Any:
    a = np.random.default_rng(seed).standard_normal(shape)
    return ax.tensor(a, requires_grad=True)


LINEAR_FNS = [
    (
        "avg_pool1d",
        lambda x: F.avg_pool1d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False),
        (2, 2, 7),
    ),
    ("avg_pool2d", lambda x: F.avg_pool2d(x, 3, 2, 1, count_include_pad=False), (1, 2, 5, 6)),
    ("avg_pool2d_div", lambda x: F.avg_pool2d(x, 2, divisor_override=3), (1, 2, 4, 4)),
    ("avg_pool3d", lambda x: F.avg_pool3d(x, 2, 1, 1), (1, 1, 3, 3, 4)),
    ("adaptive_avg_pool2d", lambda x: F.adaptive_avg_pool2d(x, (3, 2)), (1, 2, 5, 7)),
    ("adaptive_avg_pool1d", lambda x: F.adaptive_avg_pool1d(x, 4), (2, 2, 7)),
    ("nearest", lambda x: F.interpolate(x, scale_factor=1.5), (1, 2, 3, 4)),
    ("bilinear", lambda x: F.interpolate(x, size=(5, 3), mode="bilinear"), (1, 2, 3, 4)),
    (
        "bilinear_ac",
        lambda x: F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=True),
        (1, 1, 3, 3),
    ),
    ("trilinear", lambda x: F.interpolate(x, size=(3, 2, 4), mode="trilinear"), (1, 1, 2, 3, 3)),
    ("linear", lambda x: F.interpolate(x, size=9, mode="linear"), (2, 1, 4)),
    ("pixel_shuffle", lambda x: F.pixel_shuffle(x, 2), (1, 8, 2, 3)),
    ("unbatched_avg", lambda x: F.avg_pool2d(x, 2, 1), (2, 4, 4)),
]
MAX_FNS = [
    ("max_pool1d", lambda x: F.max_pool1d(x, 3, 2, 1, ceil_mode=True), (2, 2, 8)),
    ("max_pool2d", lambda x: F.max_pool2d(x, 3, 2, 1, dilation=(1, 2)), (1, 2, 6, 7)),
    ("max_pool3d", lambda x: F.max_pool3d(x, 2, 1), (1, 1, 3, 3, 3)),
    ("min_pool2d", lambda x: F.min_pool2d(x, 2), (1, 2, 4, 4)),
    ("adaptive_max_pool2d", lambda x: F.adaptive_max_pool2d(x, (2, 3)), (1, 2, 5, 7)),
    ("unbatched_max", lambda x: F.max_pool2d(x, 2), (2, 4, 4)),
]


@pytest.mark.parametrize(
    ("name", "fn", "shape"), LINEAR_FNS + MAX_FNS, ids=lambda v: v if isinstance(v, str) else ""
)
def test_gradcheck_and_gradgradcheck(name: str, fn: Any, shape: Any) -> None:
    x = _x(*shape)
    assert ax.autograd.gradcheck(fn, (x,))
    assert ax.autograd.gradgradcheck(fn, (x,))


def test_max_unpool_gradcheck() -> None:
    _, idx = F.max_pool2d(
        ax.tensor(np.random.default_rng(2).standard_normal((1, 2, 4, 4))), 2, return_indices=True
    )
    v = _x(1, 2, 2, 2)
    assert ax.autograd.gradcheck(lambda t: F.max_unpool2d(t, idx, 2), (v,))
    assert ax.autograd.gradgradcheck(lambda t: F.max_unpool2d(t, idx, 2), (v,))


# ---- unbatched, threads, modules ---------------------------------------------------------------


def test_unbatched_inputs(torch: Any) -> None:
    xa, xt = _pair((3, 8, 9), torch)
    tf = torch.nn.functional
    pairs = [
        (
            F.max_pool2d(xa, 3, 2, 1, return_indices=True),
            tf.max_pool2d(xt, 3, 2, 1, return_indices=True),
        ),
        (F.avg_pool2d(xa, 2), tf.avg_pool2d(xt, 2)),
        (F.adaptive_avg_pool2d(xa, 3), tf.adaptive_avg_pool2d(xt, 3)),
        (F.adaptive_max_pool2d(xa, 3, True), tf.adaptive_max_pool2d(xt, 3, True)),
        (F.max_pool1d(xa, 2), tf.max_pool1d(xt, 2)),
        (F.avg_pool1d(xa, 3), tf.avg_pool1d(xt, 3)),
    ]
    for a, t in pairs:
        a, t = (a, t) if isinstance(a, tuple) else ((a,), (t,))
        for u, v in zip(a, t, strict=True):
            assert tuple(u.shape) == tuple(v.shape)
            _close(u, v, 1e-12, 1e-12)


def test_thread_count_independent() -> None:
    a = np.random.default_rng(12).standard_normal((16, 32, 20, 20)).astype(np.float32)
    prev = ax.get_num_threads()
    outs = []
    try:
        for th in (1, 2):
            ax.set_num_threads(th)
            x = ax.tensor(a, requires_grad=True)
            y = F.max_pool2d(x, 3, 2, 1) + F.avg_pool2d(x, 3, 2, 1)
            z = F.interpolate(y, scale_factor=2, mode="bilinear")
            z.sum().backward()
            outs.append((z.detach().numpy(), x.grad.numpy()))
    finally:
        ax.set_num_threads(prev)
    for u, v in zip(outs[0], outs[1], strict=True):
        np.testing.assert_array_equal(u, v)


def test_module_reprs(torch: Any) -> None:
    tn = torch.nn
    pairs = [
        (nn.MaxPool2d(2), tn.MaxPool2d(2)),
        (nn.MaxPool1d(3, 2, 1, ceil_mode=True), tn.MaxPool1d(3, 2, 1, ceil_mode=True)),
        (nn.MaxPool3d((2, 3, 3), dilation=2), tn.MaxPool3d((2, 3, 3), dilation=2)),
        (nn.AvgPool1d(3), tn.AvgPool1d(3)),
        (nn.AvgPool2d(3, 2, 1), tn.AvgPool2d(3, 2, 1)),
        (nn.AvgPool3d(2, divisor_override=3), tn.AvgPool3d(2, divisor_override=3)),
        (nn.AdaptiveAvgPool2d((None, 7)), tn.AdaptiveAvgPool2d((None, 7))),
        (nn.AdaptiveAvgPool1d(4), tn.AdaptiveAvgPool1d(4)),
        (nn.AdaptiveMaxPool2d(3), tn.AdaptiveMaxPool2d(3)),
        (nn.MaxUnpool2d(2), tn.MaxUnpool2d(2)),
        (nn.Upsample(scale_factor=2), tn.Upsample(scale_factor=2)),
        (nn.Upsample(size=(4, 5), mode="bilinear"), tn.Upsample(size=(4, 5), mode="bilinear")),
        (nn.PixelShuffle(3), tn.PixelShuffle(3)),
        (nn.PixelUnshuffle(2), tn.PixelUnshuffle(2)),
    ]
    for a, t in pairs:
        assert repr(a) == repr(t)
    assert repr(nn.MinPool2d(2)) == repr(tn.MaxPool2d(2)).replace("Max", "Min")
    assert nn.MaxPool2d(2, return_indices=True)(ax.randn(1, 1, 4, 4))[1].dtype == ax.int64


def test_dropout2d_zeroes_whole_channels() -> None:
    x = ax.ones(4, 8, 5, 5)
    y = nn.Dropout2d(0.5)(x).numpy()
    per_channel = y.reshape(4, 8, -1)
    assert np.all((per_channel == 0).all(-1) | (per_channel == 2.0).all(-1))


# ---- errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fn", "exc", "match"),
    [
        (
            lambda: F.max_pool2d(ax.randn(3, 28), 2),
            RuntimeError,
            r"max_pool2d: expected 3D \(C, H, W\) or 4D .*\[3, 28\]",
        ),
        (
            lambda: F.max_pool2d(ax.randn(1, 1, 2, 2), 3),
            RuntimeError,
            "max_pool2d: Given input size: .*too small",
        ),
        (
            lambda: F.max_pool2d(ax.randn(1, 1, 8, 8), 2, padding=2),
            RuntimeError,
            "pad should be at most half",
        ),
        (
            lambda: F.avg_pool2d(ax.randn(1, 1, 8, 8), 3, padding=2),
            RuntimeError,
            "avg_pool2d: pad should be",
        ),
        (
            lambda: F.max_pool2d(ax.randn(1, 1, 8, 8), 0),
            RuntimeError,
            "kernel size should be greater than zero",
        ),
        (
            lambda: F.max_pool2d(ax.randn(1, 1, 8, 8), 2, 0),
            RuntimeError,
            "stride should be greater",
        ),
        (
            lambda: F.max_pool2d(ax.randn(1, 1, 8, 8), 2, dilation=0),
            RuntimeError,
            "dilation should be",
        ),
        (
            lambda: F.max_pool2d(ax.randn(1, 1, 8, 8), (2, 2, 2)),
            RuntimeError,
            "kernel_size must be one int or 2",
        ),
        (
            lambda: F.max_pool1d(ax.randn(1, 2, 3, 4), 2),
            RuntimeError,
            r"max_pool1d: expected 2D \(C, L\)",
        ),
        (lambda: F.max_pool2d(ax.tensor([[[1, 2], [3, 4]]]), 2), TypeError, "floating-point"),
        (
            lambda: F.avg_pool2d(ax.randn(1, 1, 4, 4), 2, divisor_override=0),
            RuntimeError,
            "divisor must be not zero",
        ),
        (
            lambda: F.avg_pool3d(ax.randn(1, 1, 1, 4, 4), 2),
            RuntimeError,
            "avg_pool3d: Given input size",
        ),
        (
            lambda: F.adaptive_avg_pool2d(ax.randn(1, 1, 4, 4), (2, -1)),
            RuntimeError,
            "output_size must be non-negative",
        ),
        (
            lambda: F.adaptive_avg_pool2d(ax.randn(1, 1, 4, 4), (2, 2, 2)),
            ValueError,
            "adaptive_avg_pool2d: output_size",
        ),
        (
            lambda: F.adaptive_max_pool1d(ax.randn(4), 2),
            RuntimeError,
            "adaptive_max_pool1d: expected",
        ),
        (lambda: F.adaptive_avg_pool2d(ax.randn(1, 0, 4, 4), 2), RuntimeError, "non-zero sizes"),
        (
            lambda: F.max_unpool2d(ax.randn(1, 1, 2, 2), ax.tensor([[[[0, 1], [2, 99]]]]), 2),
            RuntimeError,
            "invalid max index: 99",
        ),
        (lambda: F.max_unpool2d(ax.randn(1, 1, 2, 2), ax.zeros(1, 1, 2, 2), 2), TypeError, "int64"),
        (
            lambda: F.max_unpool2d(ax.randn(1, 1, 2, 2), ax.zeros(1, 1, 2, 3, dtype=ax.int64), 2),
            RuntimeError,
            "indices of the input's shape",
        ),
        (
            lambda: F.max_unpool2d(
                ax.randn(1, 1, 2, 2), ax.zeros(1, 1, 2, 2, dtype=ax.int64), 2, output_size=(9, 9)
            ),
            ValueError,
            "invalid output_size",
        ),
        (lambda: F.interpolate(ax.randn(1, 1, 4, 4)), ValueError, "either size or scale_factor"),
        (
            lambda: F.interpolate(ax.randn(1, 1, 4, 4), size=2, scale_factor=2),
            ValueError,
            "only one of size",
        ),
        (
            lambda: F.interpolate(ax.randn(1, 1, 4, 4), size=2, align_corners=True),
            ValueError,
            "align_corners option",
        ),
        (
            lambda: F.interpolate(ax.randn(1, 1, 4, 4), size=2, mode="linear"),
            ValueError,
            "Got 4D input, but linear mode needs 3D",
        ),
        (
            lambda: F.interpolate(ax.randn(1, 1, 4, 4), size=(2, 2, 2)),
            ValueError,
            "same number of spatial",
        ),
        (
            lambda: F.interpolate(ax.randn(1, 1, 4, 4), size=2, mode="bicubic"),
            ValueError,
            "unsupported mode 'bicubic'",
        ),
        (lambda: F.interpolate(ax.randn(4, 4), size=2), ValueError, r"interpolate: expected 3D"),
        (
            lambda: F.interpolate(ax.randn(1, 1, 4), scale_factor=0.1),
            RuntimeError,
            "sizes should be greater than 0",
        ),
        (
            lambda: F.pixel_shuffle(ax.randn(1, 5, 2, 2), 2),
            RuntimeError,
            r"input.size\(-3\)=5 is not divisible by 4",
        ),
        (lambda: F.pixel_shuffle(ax.randn(4, 4), 2), RuntimeError, "at least 3 dimensions"),
        (lambda: F.pixel_unshuffle(ax.randn(1, 1, 5, 4), 2), RuntimeError, r"input.size\(-2\)=5"),
        (lambda: F.pixel_unshuffle(ax.randn(1, 1, 4, 5), 2), RuntimeError, r"input.size\(-1\)=5"),
    ],
)
def test_errors(fn: Any, exc: type, match: str) -> None:
    with pytest.raises(exc, match=match):
        fn()
