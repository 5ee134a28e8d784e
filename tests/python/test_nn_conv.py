"""Convolution family: F.conv1d/2d/3d and F.conv_transpose1d/2d/3d against PyTorch (values and
input/weight/bias gradients) over a grid of shapes, strides, paddings ('same'/'valid'
included), dilations and groups (depthwise included); float64 gradcheck and gradgradcheck;
double backward through create_graph vs PyTorch; F.pad in every mode, F.unfold / F.fold; the
Conv*/ConvTranspose* modules (state_dict from PyTorch, repr, padding_mode, init bounds,
output_size); bit-identical results at 1 and 2 threads; every error path."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import axonite as ax
import axonite.nn.functional as F
from axonite import nn


def _np(t: Any) -> np.ndarray:
    return t.detach().numpy()


def _pair(torch: Any, shape: tuple[int, ...], rng: np.random.Generator, dtype: Any = np.float64):
    a = rng.standard_normal(shape).astype(dtype)
    return ax.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)


def _check_parity(torch: Any, fa: Any, ft: Any, shapes: list[Any], dtype: Any = np.float64) -> None:
    """Runs fa (axonite) and ft (torch) on the same random inputs (None: absent), compares the
    output and the gradients of <output, seed> for every input."""
    rng = np.random.default_rng(0)
    xs, ts = [], []
    for s in shapes:
        if s is None:
            xs.append(None)
            ts.append(None)
        else:
            a, t = _pair(torch, s, rng, dtype)
            xs.append(a)
            ts.append(t)
    ya, yt = fa(*xs), ft(*ts)
    tol = {"rtol": 1e-9, "atol": 1e-10} if dtype == np.float64 else {"rtol": 2e-4, "atol": 2e-4}
    assert tuple(ya.shape) == tuple(yt.shape)
    np.testing.assert_allclose(_np(ya), yt.detach().numpy(), **tol)
    seed = rng.standard_normal(tuple(yt.shape)).astype(dtype)
    (ya * ax.tensor(seed)).sum().backward()
    (yt * torch.tensor(seed)).sum().backward()
    for i, (a, t) in enumerate(zip(xs, ts, strict=True)):
        if a is not None:
            np.testing.assert_allclose(_np(a.grad), t.grad.numpy(), **tol, err_msg=f"grad {i}")


# (nd, x shape, weight shape, kwargs)
CONV_CASES = [
    (1, (2, 3, 11), (4, 3, 3), {}),
    (1, (2, 4, 12), (6, 2, 4), {"stride": 2, "padding": 1, "groups": 2}),
    (1, (3, 2, 10), (2, 2, 3), {"dilation": 3, "padding": 2}),
    (1, (2, 3, 9), (5, 3, 4), {"padding": "same", "dilation": 2}),
    (1, (2, 3, 9), (5, 3, 4), {"padding": "valid"}),
    (1, (3, 7), (4, 3, 2), {"stride": 3}),
    (2, (2, 3, 8, 7), (4, 3, 3, 3), {}),
    (2, (2, 3, 8, 7), (4, 3, 3, 2), {"stride": (2, 1), "padding": (1, 2)}),
    (2, (2, 4, 9, 9), (6, 2, 3, 3), {"groups": 2, "dilation": 2, "padding": 1}),
    (2, (3, 6, 7, 8), (6, 1, 3, 3), {"groups": 6, "padding": 1}),  # depthwise
    (2, (2, 6, 7, 8), (12, 1, 5, 3), {"groups": 6, "stride": 2, "padding": (2, 1)}),
    (2, (2, 5, 6, 6), (7, 5, 1, 1), {}),  # pointwise: no im2col
    (2, (2, 4, 6, 6), (6, 2, 1, 1), {"groups": 2}),
    (2, (2, 5, 7, 6), (3, 5, 1, 1), {"stride": 2}),
    (2, (2, 3, 7, 6), (4, 3, 4, 3), {"padding": "same"}),
    (2, (2, 3, 7, 6), (4, 3, 3, 4), {"padding": "same", "dilation": (2, 1)}),
    (2, (3, 6, 5), (2, 3, 3, 2), {"padding": 1}),  # unbatched
    (2, (2, 1, 12, 12), (6, 1, 5, 5), {}),
    (2, (1, 3, 15, 13), (4, 3, 7, 7), {"stride": 2, "padding": 3}),
    (2, (2, 3, 5, 5), (4, 3, 5, 5), {}),  # kernel == input
    (2, (0, 3, 5, 5), (4, 3, 3, 3), {}),  # empty batch
    (3, (2, 3, 5, 6, 4), (4, 3, 3, 2, 2), {}),
    (3, (2, 4, 5, 5, 5), (4, 2, 3, 3, 3), {"stride": 2, "padding": 1, "groups": 2}),
    (3, (1, 2, 6, 5, 7), (3, 2, 2, 3, 2), {"dilation": (1, 2, 2), "padding": (0, 1, 2)}),
    (3, (2, 6, 5, 4), (3, 2, 3, 3, 3), {"padding": "same"}),  # unbatched
]


def _conv_id(c: Any) -> str:
    return f"{c[0]}d-{'x'.join(map(str, c[1]))}-{'x'.join(map(str, c[2]))}-{c[3]}"


@pytest.mark.filterwarnings("ignore:Using padding=.same.")
@pytest.mark.parametrize("case", CONV_CASES, ids=_conv_id)
@pytest.mark.parametrize("bias", [True, False])
def test_conv_torch_parity(torch: Any, case: Any, bias: bool) -> None:
    nd, xs, ws, kw = case
    name = f"conv{nd}d"
    fa = lambda x, w, b: getattr(F, name)(x, w, b, **kw)
    ft = lambda x, w, b: getattr(torch.nn.functional, name)(x, w, b, **kw)
    _check_parity(torch, fa, ft, [xs, ws, (ws[0],) if bias else None])


@pytest.mark.parametrize("case", CONV_CASES[6:14], ids=_conv_id)
def test_conv_torch_parity_float32(torch: Any, case: Any) -> None:
    nd, xs, ws, kw = case
    name = f"conv{nd}d"
    fa = lambda x, w, b: getattr(F, name)(x, w, b, **kw)
    ft = lambda x, w, b: getattr(torch.nn.functional, name)(x, w, b, **kw)
    _check_parity(torch, fa, ft, [xs, ws, (ws[0],)], dtype=np.float32)


# Geometries for the row-blocked direct kernels (<= 4 input channels per group, >= 2 outputs,
# stride 1 along W): rows longer than one and two vectors, output-channel counts that leave
# partial register blocks, W dilation and padding, 1-d and 3-d.
ROWS_CASES = [
    (2, (3, 1, 28, 28), (6, 1, 5, 5), {}),  # LeNet-5's first layer
    (2, (3, 1, 20, 37), (19, 1, 5, 3), {"padding": (2, 1), "dilation": (1, 2)}),
    (2, (2, 2, 9, 40), (10, 1, 3, 3), {"groups": 2, "stride": (2, 1), "padding": 1}),
    (2, (2, 4, 6, 17), (8, 4, 3, 3), {}),
    (2, (2, 3, 11, 70), (9, 3, 3, 4), {"padding": "same"}),
    (1, (2, 3, 50), (9, 3, 7), {"padding": 3}),
    (1, (2, 2, 33), (2, 2, 1), {"padding": 2}),
    (3, (2, 2, 4, 5, 20), (5, 2, 2, 3, 3), {"padding": 1}),
]


@pytest.mark.filterwarnings("ignore:Using padding=.same.")
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", ROWS_CASES, ids=_conv_id)
def test_conv_rows_kernels_torch_parity(torch: Any, case: Any, dtype: Any) -> None:
    nd, xs, ws, kw = case
    name = f"conv{nd}d"
    fa = lambda x, w, b: getattr(F, name)(x, w, b, **kw)
    ft = lambda x, w, b: getattr(torch.nn.functional, name)(x, w, b, **kw)
    _check_parity(torch, fa, ft, [xs, ws, (ws[0],)], dtype=dtype)


# The direct weight gradient: > 4 input channels per group, <= 16 outputs per group, short
# patches, small planes (LeNet's second layer), with strides, dilation, groups, 1-d and 3-d.
WGRAD_CASES = [
    (2, (3, 6, 14, 14), (16, 6, 5, 5), {}),
    (2, (2, 8, 9, 11), (5, 8, 3, 3), {"stride": 2, "padding": 1}),
    (2, (2, 10, 7, 9), (12, 5, 3, 2), {"groups": 2, "dilation": (2, 1), "padding": (2, 1)}),
    (2, (2, 6, 8, 8), (20, 6, 3, 3), {"padding": 1}),  # 20 outputs: two vectors of lanes
    (1, (2, 6, 20), (7, 6, 5), {"padding": 2, "stride": 3}),
    (3, (2, 5, 4, 5, 6), (4, 5, 2, 3, 3), {"padding": 1}),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", WGRAD_CASES, ids=_conv_id)
def test_conv_wgrad_direct_torch_parity(torch: Any, case: Any, dtype: Any) -> None:
    nd, xs, ws, kw = case
    name = f"conv{nd}d"
    fa = lambda x, w, b: getattr(F, name)(x, w, b, **kw)
    ft = lambda x, w, b: getattr(torch.nn.functional, name)(x, w, b, **kw)
    _check_parity(torch, fa, ft, [xs, ws, (ws[0],)], dtype=dtype)


# Weights of >= 65,536 elements take the one-chunk weight gradient with image-batched GEMMs at
# least 512 columns deep; stride-1 layers get their input gradient from the flipped forward.
@pytest.mark.parametrize(
    ("xs", "ws", "kw"),
    [
        ((3, 64, 6, 5), (128, 64, 3, 3), {"padding": 1}),
        ((5, 32, 4, 4), (96, 16, 5, 5), {"padding": 2, "groups": 2}),
        ((2, 64, 7, 7), (128, 64, 3, 3), {"stride": 2, "dilation": 2, "padding": 1}),
    ],
)
def test_conv_big_weight_torch_parity(torch: Any, xs: Any, ws: Any, kw: Any) -> None:
    fa = lambda x, w, b: F.conv2d(x, w, b, **kw)
    ft = lambda x, w, b: torch.nn.functional.conv2d(x, w, b, **kw)
    _check_parity(torch, fa, ft, [xs, ws, (ws[0],)])


# conv_transpose with few output channels per group runs the row kernels' input-gradient pass
# as its forward: (x shape, weight shape (in, out / groups, kh, kw), kwargs).
ROWS_CONVT_CASES = [
    ((2, 6, 24, 24), (6, 1, 5, 5), {}),
    ((2, 10, 9, 20), (10, 2, 3, 3), {"padding": 1, "stride": (2, 1), "output_padding": (1, 0)}),
    ((2, 8, 5, 33), (8, 1, 3, 3), {"groups": 2, "dilation": (1, 2)}),
]


@pytest.mark.parametrize(("xs", "ws", "kw"), ROWS_CONVT_CASES)
def test_conv_transpose_rows_kernels_torch_parity(torch: Any, xs: Any, ws: Any, kw: Any) -> None:
    groups = kw.get("groups", 1)
    fa = lambda x, w, b: F.conv_transpose2d(x, w, b, **kw)
    ft = lambda x, w, b: torch.nn.functional.conv_transpose2d(x, w, b, **kw)
    _check_parity(torch, fa, ft, [xs, ws, (ws[1] * groups,)])


# (nd, x shape, weight shape (in, out / groups, *k), kwargs)
CONVT_CASES = [
    (1, (2, 3, 7), (3, 4, 3), {}),
    (1, (2, 4, 6), (4, 3, 4), {"stride": 2, "padding": 1, "output_padding": 1, "groups": 2}),
    (1, (3, 5), (3, 2, 3), {"dilation": 2, "stride": 3, "output_padding": 1}),
    (2, (2, 3, 5, 4), (3, 4, 3, 3), {}),
    (2, (2, 4, 5, 5), (4, 2, 3, 3), {"stride": 2, "padding": 1, "output_padding": 1}),
    (2, (2, 4, 4, 5), (4, 3, 2, 3), {"stride": (2, 3), "output_padding": (1, 2), "groups": 2}),
    (2, (2, 6, 5, 5), (6, 1, 3, 3), {"groups": 6, "padding": 1}),  # depthwise
    (2, (2, 3, 5, 4), (3, 2, 3, 3), {"dilation": 2, "output_padding": 1}),  # op < dilation
    (2, (2, 5, 4, 4), (5, 3, 1, 1), {}),  # pointwise
    (2, (3, 4, 4), (3, 2, 4, 4), {"stride": 2, "padding": 1}),  # unbatched
    (3, (2, 2, 3, 4, 3), (2, 3, 3, 2, 3), {"stride": 2, "padding": (1, 0, 1)}),
]


@pytest.mark.parametrize("case", CONVT_CASES, ids=_conv_id)
@pytest.mark.parametrize("bias", [True, False])
def test_conv_transpose_torch_parity(torch: Any, case: Any, bias: bool) -> None:
    nd, xs, ws, kw = case
    name = f"conv_transpose{nd}d"
    oc = ws[1] * kw.get("groups", 1)
    fa = lambda x, w, b: getattr(F, name)(x, w, b, **kw)
    ft = lambda x, w, b: getattr(torch.nn.functional, name)(x, w, b, **kw)
    _check_parity(torch, fa, ft, [xs, ws, (oc,) if bias else None])


# Geometries for the output-channel-vectorized direct forward (conv_ocvec_impl.h: more than 4
# input channels per group, or stride along W): output-channel counts below, at, between and
# above multiples of the vector width (16 / 8 floats, 8 / 4 doubles) so that register blocks of
# 1, 2 and 4 vectors and partial vectors all run; rows shorter and longer than one pixel block
# (tails); strides 2 and 3, dilation, padding given as ints, tuples, 'same' and 'valid';
# groups; 1-d and 3-d. The backward pass (other kernels) is checked too.
OCVEC_CASES = [
    (2, (3, 6, 14, 14), (16, 6, 5, 5), {}),  # LeNet-5's second layer
    (2, (2, 8, 9, 23), (70, 8, 3, 3), {"padding": 1}),
    (2, (2, 5, 11, 13), (20, 5, 3, 3), {"stride": 2, "padding": 1}),
    (2, (2, 3, 17, 31), (64, 3, 7, 7), {"stride": 2, "padding": 3}),  # a ResNet stem
    (2, (1, 5, 9, 10), (40, 5, 3, 2), {"stride": 3, "padding": (2, 1)}),
    (2, (2, 6, 12, 15), (33, 6, 3, 3), {"dilation": (2, 3), "padding": "same"}),
    (2, (2, 7, 10, 9), (130, 7, 2, 3), {"padding": "valid"}),
    (2, (2, 12, 8, 9), (24, 6, 3, 3), {"groups": 2, "padding": 1}),
    (2, (2, 9, 4, 4), (48, 9, 3, 3), {"padding": 1}),
    (2, (2, 24, 5, 14), (64, 24, 3, 3), {"padding": 1}),  # several channel passes
    (2, (1, 40, 6, 6), (80, 40, 3, 3), {"padding": 1}),
    (2, (2, 6, 7, 9), (12, 6, 1, 1), {"stride": 2}),
    (1, (2, 6, 40), (18, 6, 5), {"padding": 2}),
    (1, (2, 8, 29), (10, 4, 3), {"groups": 2, "stride": 2, "dilation": 2}),
    (3, (2, 5, 5, 6, 7), (20, 5, 3, 3, 3), {"padding": 1}),
    (3, (1, 6, 4, 7, 9), (17, 6, 2, 3, 3), {"stride": (1, 2, 2), "padding": (1, 0, 1)}),
]


@pytest.mark.filterwarnings("ignore:Using padding=.same.")
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", OCVEC_CASES, ids=_conv_id)
def test_conv_ocvec_kernels_torch_parity(torch: Any, case: Any, dtype: Any, bias: bool) -> None:
    nd, xs, ws, kw = case
    name = f"conv{nd}d"
    fa = lambda x, w, b: getattr(F, name)(x, w, b, **kw)
    ft = lambda x, w, b: getattr(torch.nn.functional, name)(x, w, b, **kw)
    _check_parity(torch, fa, ft, [xs, ws, (ws[0],) if bias else None], dtype=dtype)


# The flattened row forward for few outputs per group (<= 8) and more inputs (> 4), 2-d and 1-d
# stride 1: decoder heads, and the input gradient of layers with <= 8 inputs, which runs as a
# forward with the channels swapped (LeNet's 6 -> 16 layer: its gradient is a 16 -> 6 forward).
NARROW_CASES = [
    (2, (3, 16, 10, 10), (6, 16, 5, 5), {"padding": 4}),  # LeNet conv2's flipped gradient
    (2, (2, 32, 9, 13), (3, 32, 3, 3), {"padding": 1}),  # an autoencoder's RGB head
    (2, (2, 12, 7, 30), (1, 12, 3, 5), {"dilation": (2, 1), "padding": (2, 2)}),
    (2, (2, 20, 6, 8), (8, 10, 3, 3), {"groups": 2, "padding": "same"}),  # two full blocks
    (2, (2, 9, 5, 41), (5, 9, 2, 4), {}),
    (1, (2, 10, 37), (4, 10, 5), {"padding": 2}),
]


@pytest.mark.filterwarnings("ignore:Using padding=.same.")
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", NARROW_CASES, ids=_conv_id)
def test_conv_narrow_output_kernels_torch_parity(
    torch: Any, case: Any, dtype: Any, bias: bool
) -> None:
    nd, xs, ws, kw = case
    name = f"conv{nd}d"
    fa = lambda x, w, b: getattr(F, name)(x, w, b, **kw)
    ft = lambda x, w, b: getattr(torch.nn.functional, name)(x, w, b, **kw)
    _check_parity(torch, fa, ft, [xs, ws, (ws[0],) if bias else None], dtype=dtype)


@pytest.mark.parametrize(
    ("xshape", "wshape", "kw"),
    [
        ((1, 6, 14, 14), (16, 6, 5, 5), {}),  # one image: split into tiles of output rows
        ((3, 24, 5, 14), (40, 24, 3, 3), {"padding": 1}),
        ((5, 8, 4, 4), (70, 8, 3, 3), {"padding": 1, "stride": (1, 2)}),
        ((5, 32, 9, 13), (3, 32, 3, 3), {"padding": 1}),  # narrow output: flattened rows
    ],
)
def test_conv_ocvec_threads_bit_identical(xshape: Any, wshape: Any, kw: Any) -> None:
    rng = np.random.default_rng(0)
    x = ax.tensor(rng.standard_normal(xshape).astype(np.float32))
    w = ax.tensor(rng.standard_normal(wshape).astype(np.float32))
    b = ax.tensor(rng.standard_normal(wshape[0]).astype(np.float32))
    n0 = ax.get_num_threads()
    res = []
    try:
        for nt in (1, 2, 3):
            ax.set_num_threads(nt)
            with ax.no_grad():
                res.append(_np(F.conv2d(x, w, b, **kw)))
    finally:
        ax.set_num_threads(n0)
    for r in res[1:]:
        assert np.array_equal(res[0], r)


# ---- float64 finite differences (first and second order) ------------------------------------

GRAD_CASES = [
    ("conv1d", lambda x, w, b: F.conv1d(x, w, b, stride=2, padding=1), [(2, 2, 6), (3, 2, 3)], 3),
    (
        "conv2d",
        lambda x, w, b: F.conv2d(x, w, b, stride=(2, 1), padding=1, dilation=(1, 2)),
        [(2, 2, 5, 5), (2, 2, 2, 3)],
        2,
    ),
    ("conv2d_groups", lambda x, w, b: F.conv2d(x, w, b, groups=2), [(1, 4, 4, 4), (4, 2, 2, 2)], 4),
    ("conv2d_pointwise", lambda x, w, b: F.conv2d(x, w, b), [(2, 3, 3, 3), (2, 3, 1, 1)], 2),
    (
        "conv2d_same",
        lambda x, w, b: F.conv2d(x, w, b, padding="same"),
        [(1, 2, 4, 4), (2, 2, 2, 3)],
        2,
    ),
    ("conv3d", lambda x, w, b: F.conv3d(x, w, b, padding=1), [(1, 2, 3, 3, 3), (2, 2, 2, 2, 2)], 2),
    (
        "conv_transpose2d",
        lambda x, w, b: F.conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1),
        [(2, 2, 3, 3), (2, 3, 3, 3)],
        3,
    ),
    (
        "conv_transpose1d_groups",
        lambda x, w, b: F.conv_transpose1d(x, w, b, stride=2, groups=2, dilation=2),
        [(1, 4, 4), (4, 1, 3)],
        2,
    ),
]


@pytest.mark.parametrize("case", GRAD_CASES, ids=lambda c: c[0])
def test_conv_gradcheck(case: Any) -> None:
    _, fn, shapes, oc = case
    rng = np.random.default_rng(0)
    ts = [ax.tensor(rng.standard_normal(s), requires_grad=True) for s in [*shapes, (oc,)]]
    assert ax.autograd.gradcheck(fn, ts)
    assert ax.autograd.gradgradcheck(fn, ts)


def test_conv_double_backward_vs_torch(torch: Any) -> None:
    """A gradient penalty: d/d(x, w) of |d out / dx|^2 with create_graph, against PyTorch."""
    rng = np.random.default_rng(3)
    xa, xt = _pair(torch, (2, 4, 6, 5), rng)
    wa, wt = _pair(torch, (6, 2, 3, 3), rng)
    ba, bt = _pair(torch, (6,), rng)

    def run(lib: Any, F_: Any, x: Any, w: Any, b: Any) -> Any:
        y = F_.conv2d(x, w, b, stride=2, padding=1, groups=2).tanh()
        (gx,) = lib.autograd.grad(y.sum(), [x], create_graph=True)
        return (gx * gx).sum() + y.sum()

    run(ax, F, xa, wa, ba).backward()
    run(torch, torch.nn.functional, xt, wt, bt).backward()
    for a, t in ((xa, xt), (wa, wt), (ba, bt)):
        np.testing.assert_allclose(_np(a.grad), t.grad.numpy(), rtol=1e-9, atol=1e-10)


# ---- pad -------------------------------------------------------------------------------------

PAD_CASES = [
    ("constant", (2, 3, 4), (1, 2)),
    ("constant", (2, 3, 4), (1, 0, 2, 1, 1, 1)),
    ("constant", (2, 3, 5, 4), (-1, 2, 0, -2)),
    ("reflect", (2, 3, 5), (2, 3)),
    ("reflect", (2, 3, 5, 4), (1, 3, 4, 2)),
    ("reflect", (3, 4, 5, 3), (2, 1, 1, 2, 0, 3)),
    ("replicate", (2, 3, 4), (3, 1)),
    ("replicate", (1, 2, 3, 4), (2, 5, 1, 0)),
    ("replicate", (1, 2, 3, 4, 2), (1, 1, 2, 0, 0, 3)),
    ("circular", (2, 3, 5), (2, 4)),
    ("circular", (2, 3, 5, 4), (4, 1, 3, 5)),
    ("circular", (1, 2, 3, 4, 2), (1, 2, 3, 1, 2, 0)),
]


@pytest.mark.parametrize(("mode", "shape", "pads"), PAD_CASES)
def test_pad_torch_parity(torch: Any, mode: str, shape: Any, pads: Any) -> None:
    kw: dict[str, Any] = {"mode": mode}
    if mode == "constant":
        kw["value"] = 0.75
    fa = lambda x: F.pad(x, pads, **kw)
    ft = lambda x: torch.nn.functional.pad(x, pads, **kw)
    _check_parity(torch, fa, ft, [shape])


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
def test_pad_gradcheck(mode: str) -> None:
    x = ax.tensor(np.random.default_rng(0).standard_normal((1, 2, 3, 4)), requires_grad=True)
    fn = lambda x: F.pad(x, (2, 1, 1, 2), mode=mode) * 1.5
    assert ax.autograd.gradcheck(fn, [x])
    assert ax.autograd.gradgradcheck(fn, [x])


# ---- unfold / fold ---------------------------------------------------------------------------

FOLD_CASES = [
    ((2, 3, 6, 5), {"kernel_size": 2}),
    ((2, 3, 7, 8), {"kernel_size": (3, 2), "stride": 2, "padding": 1, "dilation": (1, 2)}),
    ((3, 5, 5), {"kernel_size": 3, "padding": 1}),
]


@pytest.mark.parametrize(("shape", "kw"), FOLD_CASES)
def test_unfold_fold_torch_parity(torch: Any, shape: Any, kw: Any) -> None:
    _check_parity(
        torch, lambda x: F.unfold(x, **kw), lambda x: torch.nn.functional.unfold(x, **kw), [shape]
    )
    cols = torch.nn.functional.unfold(torch.zeros(shape), **kw)
    size = shape[-2:]
    _check_parity(
        torch,
        lambda c: F.fold(c, size, **kw),
        lambda c: torch.nn.functional.fold(c, size, **kw),
        [tuple(cols.shape)],
    )


def test_unfold_fold_gradcheck() -> None:
    rng = np.random.default_rng(0)
    x = ax.tensor(rng.standard_normal((1, 2, 4, 5)), requires_grad=True)
    assert ax.autograd.gradgradcheck(lambda x: F.unfold(x, 2, padding=1, stride=2) * 2.0, [x])
    c = ax.tensor(rng.standard_normal((1, 8, 6)), requires_grad=True)
    assert ax.autograd.gradgradcheck(lambda c: F.fold(c, (3, 4), 2) * 2.0, [c])


# ---- modules ---------------------------------------------------------------------------------

MODULE_CASES = [
    ("Conv1d", (3, 4, 3), {"stride": 2, "padding": 1}, (2, 3, 9)),
    ("Conv2d", (3, 6, 3), {"padding": 1, "groups": 3, "bias": False}, (2, 3, 7, 6)),
    ("Conv2d", (2, 4, (3, 2)), {"padding": (1, 2), "padding_mode": "reflect"}, (2, 2, 6, 5)),
    ("Conv2d", (2, 4, 3), {"padding": 2, "padding_mode": "replicate", "dilation": 2}, (1, 2, 7, 7)),
    ("Conv2d", (2, 4, 3), {"padding": 1, "padding_mode": "circular", "stride": 2}, (2, 2, 6, 6)),
    ("Conv2d", (2, 4, 4), {"padding": "same", "padding_mode": "reflect"}, (2, 2, 7, 6)),
    ("Conv2d", (2, 4, 4), {"padding": "same"}, (2, 7, 6)),
    ("Conv3d", (2, 3, 2), {"padding": 1}, (1, 2, 4, 3, 4)),
    ("ConvTranspose1d", (3, 2, 3), {"stride": 2, "output_padding": 1}, (2, 3, 5)),
    ("ConvTranspose2d", (4, 2, 3), {"stride": 2, "padding": 1, "groups": 2}, (2, 4, 4, 5)),
    ("ConvTranspose3d", (2, 2, 2), {"stride": 2, "bias": False}, (1, 2, 2, 3, 2)),
]


@pytest.mark.parametrize(("cls", "args", "kw", "xshape"), MODULE_CASES)
def test_module_matches_torch(torch: Any, cls: str, args: Any, kw: Any, xshape: Any) -> None:
    t = getattr(torch.nn, cls)(*args, **kw).double()
    a = getattr(nn, cls)(*args, **kw).double()
    assert repr(a) == repr(t)
    assert list(a.state_dict()) == list(t.state_dict())
    a.load_state_dict({k: ax.tensor(v.detach().numpy()) for k, v in t.state_dict().items()})
    _check_parity(torch, lambda x: a(x), lambda x: t(x), [xshape])
    for (name, p), (_, q) in zip(a.named_parameters(), t.named_parameters(), strict=True):
        np.testing.assert_allclose(_np(p.grad), q.grad.numpy(), rtol=1e-9, atol=1e-10, err_msg=name)


def test_module_init_bounds() -> None:
    m = nn.Conv2d(6, 8, (3, 5), groups=2)
    assert tuple(m.weight.shape) == (8, 3, 3, 5)
    fan_in = 3 * 3 * 5
    bound = 1 / np.sqrt(fan_in)  # kaiming_uniform(a=sqrt(5)) gives the same bound
    w, b = _np(m.weight), _np(m.bias)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.8 * bound
    assert np.abs(b).max() <= bound and b.std() > 0
    t = nn.ConvTranspose2d(4, 6, 3, groups=2)
    assert tuple(t.weight.shape) == (4, 3, 3, 3)
    assert tuple(t.bias.shape) == (6,)


def test_conv_transpose_output_size(torch: Any) -> None:
    t = torch.nn.ConvTranspose2d(3, 2, 3, stride=3, padding=1).double()
    a = nn.ConvTranspose2d(3, 2, 3, stride=3, padding=1).double()
    a.load_state_dict({k: ax.tensor(v.detach().numpy()) for k, v in t.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((2, 3, 4, 4))
    for size in [(10, 10), (11, 12), (2, 2, 12, 11)]:
        ya = a(ax.tensor(x), output_size=size)
        yt = t(torch.tensor(x), output_size=size)
        np.testing.assert_allclose(_np(ya), yt.detach().numpy(), rtol=1e-10, atol=1e-12)
    with pytest.raises(ValueError, match="output size"):
        a(ax.tensor(x), output_size=(13, 10))


@pytest.mark.parametrize(
    ("xshape", "wshape", "stride"),
    [
        ((7, 6, 13, 11), (8, 3, 3, 3), 2),
        ((9, 4, 12, 37), (10, 2, 3, 3), (2, 1)),
        ((9, 130, 5, 5), (132, 65, 3, 3), 1),  # big weight, flipped-forward input gradient
        ((11, 12, 9, 9), (16, 6, 5, 5), 1),  # direct weight gradient
    ],
)
def test_threads_bit_identical(xshape: Any, wshape: Any, stride: Any) -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal(xshape).astype(np.float32)
    w = rng.standard_normal(wshape).astype(np.float32)
    n0 = ax.get_num_threads()
    res = []
    try:
        for nt in (1, 2, 3):
            ax.set_num_threads(nt)
            xa = ax.tensor(x, requires_grad=True)
            wa = ax.tensor(w, requires_grad=True)
            y = F.conv2d(xa, wa, stride=stride, padding=1, groups=2)
            (y * y).sum().backward()
            res.append((_np(y), _np(xa.grad), _np(wa.grad)))
    finally:
        ax.set_num_threads(n0)
    for r in res[1:]:
        for a, b in zip(res[0], r, strict=True):
            assert np.array_equal(a, b)


# ---- errors ----------------------------------------------------------------------------------


def _t(*shape: int) -> Any:
    return ax.zeros(shape)


@pytest.mark.parametrize(
    ("fn", "exc", "match"),
    [
        (
            lambda: F.conv2d(_t(3, 28), _t(6, 3, 5, 5)),
            RuntimeError,
            r"conv2d: expected input .*\[3, 28\]",
        ),
        (lambda: F.conv2d(_t(1, 3, 8, 8), _t(6, 3, 5)), RuntimeError, r"conv2d: expected weight"),
        (lambda: F.conv2d(_t(1, 4, 8, 8), _t(6, 3, 3, 3)), RuntimeError, r"conv2d: .*3 channels"),
        (lambda: F.conv2d(_t(1, 4, 8, 8), _t(5, 2, 3, 3), groups=2), RuntimeError, r"divisible"),
        (lambda: F.conv2d(_t(1, 3, 4, 4), _t(6, 3, 5, 5)), RuntimeError, r"conv2d: kernel size"),
        (lambda: F.conv2d(_t(1, 3, 8, 8), _t(6, 3, 3, 3), stride=0), ValueError, r"stride"),
        (lambda: F.conv2d(_t(1, 3, 8, 8), _t(6, 3, 3, 3), dilation=(1, 0)), ValueError, "dilation"),
        (lambda: F.conv2d(_t(1, 3, 8, 8), _t(6, 3, 3, 3), padding=-1), ValueError, "padding"),
        (lambda: F.conv2d(_t(1, 3, 8, 8), _t(6, 3, 3, 3), stride=(1, 1, 1)), ValueError, "stride"),
        (lambda: F.conv2d(_t(1, 3, 8, 8), _t(6, 3, 3, 3), padding="full"), ValueError, "padding"),
        (
            lambda: F.conv2d(_t(1, 3, 8, 8), _t(6, 3, 3, 3), stride=2, padding="same"),
            ValueError,
            "strided",
        ),
        (lambda: F.conv2d(_t(1, 3, 8, 8), _t(6, 3, 3, 3), _t(5)), RuntimeError, "bias"),
        (lambda: F.conv2d(_t(1, 3, 8, 8), _t(6, 3, 3, 3), groups=0), ValueError, "groups"),
        (lambda: F.conv1d(_t(2, 3, 8, 8), _t(6, 3, 3)), RuntimeError, "conv1d"),
        (lambda: F.conv3d(_t(1, 3, 8, 8), _t(6, 3, 3, 3, 3)), RuntimeError, "conv3d"),
        (
            lambda: F.conv2d(_t(1, 3, 8, 8), ax.zeros((6, 3, 3, 3), dtype=ax.float64)),
            RuntimeError,
            "dtype",
        ),
        (
            lambda: F.conv_transpose2d(_t(1, 3, 4, 4), _t(4, 2, 3, 3)),
            RuntimeError,
            r"conv_transpose2d: expected input",
        ),
        (
            lambda: F.conv_transpose2d(_t(1, 3, 4, 4), _t(3, 2, 3, 3), stride=2, output_padding=2),
            ValueError,
            "output_padding",
        ),
        (lambda: F.pad(_t(2, 3), (1, 2, 3)), ValueError, "divisible by 2"),
        (lambda: F.pad(_t(2, 3), (1, 1, 1, 1, 1, 1)), ValueError, "pad"),
        (lambda: F.pad(_t(1, 2, 3), (3, 0), mode="reflect"), ValueError, "reflect"),
        (lambda: F.pad(_t(1, 2, 3), (1, 0), mode="mirror"), ValueError, "mode"),
        (lambda: F.pad(_t(3), (1, 1), mode="replicate"), ValueError, "replicate"),
        (lambda: F.pad(_t(1, 2, 3), (4, 0), mode="circular"), ValueError, "circular"),
        (lambda: F.unfold(_t(2, 3), 2), RuntimeError, "unfold"),
        (lambda: F.unfold(_t(1, 2, 3, 3), 4), RuntimeError, "unfold"),
        (lambda: F.fold(_t(1, 8, 5), (3, 4), 2), RuntimeError, "blocks"),
        (lambda: F.fold(_t(1, 7, 6), (3, 4), 2), RuntimeError, "divisible"),
        (lambda: nn.Conv2d(3, 6, 3, groups=2), ValueError, "in_channels"),
        (lambda: nn.Conv2d(4, 6, 3, groups=4), ValueError, "out_channels"),
        (lambda: nn.Conv2d(3, 6, 3, padding_mode="mirror"), ValueError, "padding_mode"),
        (lambda: nn.Conv2d(3, 6, 3, stride=2, padding="same"), ValueError, "strided"),
        (lambda: nn.ConvTranspose2d(3, 6, 3, padding_mode="reflect"), ValueError, "zeros"),
    ],
)
def test_errors(fn: Any, exc: Any, match: str) -> None:
    with pytest.raises(exc, match=match):
        fn()


def test_error_message_names_shapes() -> None:
    with pytest.raises(RuntimeError) as e:
        F.conv2d(_t(2, 4, 8, 8), _t(6, 3, 3, 3))
    msg = str(e.value)
    assert "conv2d" in msg and "[2, 4, 8, 8]" in msg and "[6, 3, 3, 3]" in msg
