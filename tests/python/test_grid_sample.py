"""F.grid_sample and F.affine_grid: parity with PyTorch (values, input and grid gradients) over
every mode x padding mode x align_corners in float32 and float64, grids that point outside
[-1, 1], non-contiguous inputs, finite-difference first and second derivatives, thread-count
independence and argument errors."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import axonite as ax
import axonite.nn.functional as F

MODES = ("bilinear", "nearest")
PADDINGS = ("zeros", "border", "reflection")
DTYPES = ("float32", "float64")
# float32 results differ from torch's vectorized CPU kernel by a few ulps of the coordinates;
# grid gradients carry a factor W / 2 on top.
TOL = {"float32": {"rtol": 2e-5, "atol": 2e-5}, "float64": {"rtol": 1e-12, "atol": 1e-12}}


def _data(shape_x, shape_g, dtype, lim=1.3, seed=0):
    """Random input and a grid with points up to `lim` (beyond [-1, 1] when lim > 1)."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape_x).astype(dtype)
    g = rng.uniform(-lim, lim, shape_g).astype(dtype)
    return x, g


def _run_both(torch, x, g, gy, mode, pad, ac, views=None):
    """Forward and backward in axonite and torch; returns (ax triple, torch triple) of
    (output, input grad, grid grad) as NumPy arrays. `views(input, grid)` (same method names
    in both libraries) can turn the leaves into non-contiguous views first."""
    results = []
    for lib, fn in ((ax, F.grid_sample), (torch, torch.nn.functional.grid_sample)):
        xl = lib.tensor(x, requires_grad=True)
        gl = lib.tensor(g, requires_grad=True)
        xin, gin = views(xl, gl) if views else (xl, gl)
        y = fn(xin, gin, mode=mode, padding_mode=pad, align_corners=ac)
        (y * lib.tensor(gy)).sum().backward()
        results.append((y.detach().numpy(), xl.grad.numpy(), gl.grad.numpy()))
    return results


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("padding_mode", PADDINGS)
@pytest.mark.parametrize("mode", MODES)
def test_matches_torch(torch, mode, padding_mode, align_corners, dtype) -> None:
    x, g = _data((2, 3, 5, 7), (2, 4, 6, 2), dtype)
    gy = np.random.default_rng(1).standard_normal((2, 3, 4, 6)).astype(dtype)
    ours, ref = _run_both(torch, x, g, gy, mode, padding_mode, align_corners)
    for name, a, b in zip(("output", "input grad", "grid grad"), ours, ref, strict=True):
        assert a.dtype == b.dtype, name
        np.testing.assert_allclose(a, b, err_msg=name, **TOL[dtype])
    if mode == "nearest":
        assert not ours[2].any()  # nearest sampling is piecewise constant in the grid


@pytest.mark.parametrize("padding_mode", PADDINGS)
def test_far_outside_and_single_pixel_axes(torch, padding_mode) -> None:
    """Grid points many widths away (several reflections), and 1-pixel-wide images where the
    align_corners=True reflection span is empty."""
    for ac in (False, True):
        for shape_x in ((1, 2, 4, 5), (1, 2, 1, 5), (1, 2, 4, 1)):
            x, g = _data(shape_x, (1, 3, 8, 2), "float64", lim=9.0, seed=3)
            gy = np.ones((1, 2, 3, 8))
            ours, ref = _run_both(torch, x, g, gy, "bilinear", padding_mode, ac)
            for a, b in zip(ours, ref, strict=True):
                np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_non_contiguous_input_and_grid(torch) -> None:
    """A transposed input and a transposed, sliced grid (strided views of the leaves) give
    torch's values and gradients."""
    x, g = _data((2, 3, 5, 6), (2, 4, 10, 2), "float64")
    gy = np.random.default_rng(2).standard_normal((2, 3, 5, 4))

    def views(xl, gl):
        return xl.transpose(2, 3), gl.transpose(1, 2)[:, ::2]

    xv, gv = views(ax.tensor(x), ax.tensor(g))
    assert not xv.is_contiguous() and not gv.is_contiguous()
    for mode in MODES:
        ours, ref = _run_both(torch, x, g, gy, mode, "reflection", False, views)
        for a, b in zip(ours, ref, strict=True):
            np.testing.assert_allclose(a, b, atol=1e-12)


def test_nearest_rounds_half_to_even() -> None:
    """align_corners=True on width 5 maps x = -0.75, -0.25, 0.25, 0.75 to pixel positions
    0.5, 1.5, 2.5, 3.5 exactly; nearbyint picks 0, 2, 2, 4 (PyTorch's rule)."""
    x = ax.arange(5, dtype=ax.float64).view(1, 1, 1, 5)
    xs = ax.tensor([-0.75, -0.25, 0.25, 0.75], dtype=ax.float64)
    grid = ax.stack([xs, ax.zeros(4, dtype=ax.float64)], dim=-1).view(1, 1, 4, 2)
    y = F.grid_sample(x, grid, mode="nearest", align_corners=True)
    assert y.view(-1).tolist() == [0.0, 2.0, 2.0, 4.0]


def test_identity_grid_reproduces_input() -> None:
    """The affine_grid of the identity samples every pixel centre: bilinear and nearest
    return the input (align_corners True and False)."""
    x = ax.randn(2, 3, 6, 5, dtype=ax.float64)
    theta = ax.tensor([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]] * 2, dtype=ax.float64)
    for ac in (False, True):
        grid = F.affine_grid(theta, (2, 3, 6, 5), align_corners=ac)
        for mode in MODES:
            y = F.grid_sample(x, grid, mode=mode, align_corners=ac)
            np.testing.assert_allclose(y.numpy(), x.numpy(), atol=1e-12)


@pytest.mark.parametrize("padding_mode", PADDINGS)
@pytest.mark.parametrize("align_corners", [False, True])
def test_gradcheck_bilinear(padding_mode, align_corners) -> None:
    # Points inside (-1.2, 1.2) away from pixel centres keep finite differences off the kinks.
    x, g = _data((1, 2, 3, 4), (1, 2, 3, 2), "float64", lim=1.2, seed=5)
    xa = ax.tensor(x, requires_grad=True)
    ga = ax.tensor(g, requires_grad=True)

    def fn(a, b):
        return F.grid_sample(a, b, padding_mode=padding_mode, align_corners=align_corners)

    assert ax.autograd.gradcheck(fn, (xa, ga), eps=1e-7, atol=1e-6)
    assert ax.autograd.gradgradcheck(fn, (xa, ga), eps=1e-7, atol=1e-6)


def test_gradcheck_nearest_input_only() -> None:
    x, g = _data((2, 2, 3, 4), (2, 3, 2, 2), "float64", seed=6)
    xa = ax.tensor(x, requires_grad=True)
    grid = ax.tensor(g)

    def fn(a):
        return F.grid_sample(a, grid, mode="nearest", padding_mode="border")

    assert ax.autograd.gradcheck(fn, (xa,))
    assert ax.autograd.gradgradcheck(fn, (xa,))


@pytest.mark.parametrize("mode", MODES)
def test_create_graph_gradients_equal_kernel_gradients(mode) -> None:
    """The differentiable backward used under create_graph gives the raw kernel's values."""
    x, g = _data((2, 3, 4, 5), (2, 3, 4, 2), "float64", seed=7)
    gy = ax.tensor(np.random.default_rng(8).standard_normal((2, 3, 3, 4)), requires_grad=True)
    xa = ax.tensor(x, requires_grad=True)
    ga = ax.tensor(g, requires_grad=True)
    y = F.grid_sample(xa, ga, mode=mode, padding_mode="reflection")
    raw = ax.autograd.grad([y], [xa, ga], [gy], retain_graph=True)
    comp = ax.autograd.grad([y], [xa, ga], [gy], create_graph=True)
    assert comp[0].requires_grad and comp[1].requires_grad == (mode == "bilinear")
    for a, b in zip(raw, comp, strict=True):
        np.testing.assert_allclose(a.numpy(), b.detach().numpy(), atol=1e-12)


def test_only_the_needed_gradient_is_computed(torch) -> None:
    """Gradients flow to whichever of input and grid requires them."""
    x, g = _data((1, 2, 4, 4), (1, 3, 3, 2), "float64", seed=9)
    xt, gt = torch.tensor(x, requires_grad=True), torch.tensor(g, requires_grad=True)
    torch.nn.functional.grid_sample(xt, gt, align_corners=False).sum().backward()
    xa = ax.tensor(x, requires_grad=True)
    F.grid_sample(xa, ax.tensor(g)).sum().backward()
    np.testing.assert_allclose(xa.grad.numpy(), xt.grad.numpy(), atol=1e-12)
    ga = ax.tensor(g, requires_grad=True)
    F.grid_sample(ax.tensor(x), ga).sum().backward()
    np.testing.assert_allclose(ga.grad.numpy(), gt.grad.numpy(), atol=1e-12)


def test_results_do_not_depend_on_thread_count() -> None:
    x, g = _data((3, 4, 40, 40), (3, 48, 48, 2), "float32", seed=10)
    results = []
    before = ax.get_num_threads()
    try:
        for threads in (1, 2):
            ax.set_num_threads(threads)
            xa = ax.tensor(x, requires_grad=True)
            ga = ax.tensor(g, requires_grad=True)
            y = F.grid_sample(xa, ga, padding_mode="border")
            (y * y).sum().backward()
            results.append((y.detach().numpy(), xa.grad.numpy(), ga.grad.numpy()))
    finally:
        ax.set_num_threads(before)
    for a, b in zip(*results, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("align_corners", [False, True])
def test_affine_grid_matches_torch(torch, align_corners, dtype) -> None:
    rng = np.random.default_rng(11)
    for size in ((2, 3, 5, 7), (2, 1, 1, 4), (2, 1, 3, 1)):
        theta = rng.standard_normal((2, 2, 3)).astype(dtype)
        gw = rng.standard_normal((2, size[2], size[3], 2)).astype(dtype)
        ta = ax.tensor(theta, requires_grad=True)
        grid = F.affine_grid(ta, size, align_corners=align_corners)
        (grid * ax.tensor(gw)).sum().backward()
        tt = torch.tensor(theta, requires_grad=True)
        with warnings.catch_warnings():  # torch warns about unit-size grids with align_corners
            warnings.simplefilter("ignore", UserWarning)
            ref = torch.nn.functional.affine_grid(tt, size, align_corners=align_corners)
        (ref * torch.tensor(gw)).sum().backward()
        assert tuple(grid.shape) == tuple(ref.shape)
        tol = 1e-6 if dtype == "float32" else 1e-12
        np.testing.assert_allclose(grid.detach().numpy(), ref.detach().numpy(), atol=tol)
        np.testing.assert_allclose(ta.grad.numpy(), tt.grad.numpy(), rtol=tol, atol=tol)


def test_affine_grid_gradcheck_through_grid_sample() -> None:
    """A spatial-transformer step: theta -> affine_grid -> grid_sample, checked end to end."""
    theta = ax.tensor([[[0.9, 0.2, 0.1], [-0.15, 1.1, -0.05]]], dtype=ax.float64)
    theta.requires_grad_(True)
    x = ax.randn(1, 2, 5, 6, dtype=ax.float64)

    def fn(t):
        return F.grid_sample(x, F.affine_grid(t, (1, 2, 4, 3), align_corners=False))

    assert ax.autograd.gradcheck(fn, (theta,), eps=1e-7, atol=1e-6)


def test_default_align_corners_is_false(torch) -> None:
    x, g = _data((1, 1, 4, 4), (1, 2, 2, 2), "float64", seed=12)
    ours = F.grid_sample(ax.tensor(x), ax.tensor(g)).numpy()
    ref = torch.nn.functional.grid_sample(torch.tensor(x), torch.tensor(g), align_corners=False)
    np.testing.assert_allclose(ours, ref.numpy(), atol=1e-12)
    theta = ax.tensor([[[0.5, 0.1, 0.0], [0.0, 2.0, 0.3]]])
    np.testing.assert_allclose(
        F.affine_grid(theta, (1, 1, 3, 4)).numpy(),
        F.affine_grid(theta, (1, 1, 3, 4), align_corners=False).numpy(),
    )


@pytest.mark.parametrize(
    ("input_shape", "grid_shape", "kwargs", "error", "match"),
    [
        (
            (2, 3, 4),
            (2, 3, 3, 2),
            {},
            ValueError,
            r"grid_sample: expected a 4-D input.*\[2, 3, 4\]",
        ),
        ((1, 1, 2, 3, 4), (1, 3, 3, 2), {}, ValueError, r"4-D input.*\[1, 1, 2, 3, 4\]"),
        ((2, 3, 4, 4), (2, 3, 2), {}, ValueError, r"grid_sample: expected a 4-D grid.*\[2, 3, 2\]"),
        (
            (2, 3, 4, 4),
            (2, 3, 3, 3),
            {},
            ValueError,
            r"size 2 in its last dimension.*\[2, 3, 3, 3\]",
        ),
        (
            (2, 3, 4, 4),
            (3, 3, 3, 2),
            {},
            ValueError,
            r"same batch size.*\[2, 3, 4, 4\].*\[3, 3, 3, 2\]",
        ),
        ((1, 1, 0, 4), (1, 3, 3, 2), {}, ValueError, r"non-empty spatial.*\[1, 1, 0, 4\]"),
        ((1, 1, 4, 4), (1, 3, 3, 2), {"mode": "bicubic"}, ValueError, "mode must be.*'bicubic'"),
        ((1, 1, 4, 4), (1, 3, 3, 2), {"padding_mode": "wrap"}, ValueError, "padding_mode.*'wrap'"),
    ],
)
def test_grid_sample_shape_and_mode_errors(input_shape, grid_shape, kwargs, error, match) -> None:
    with pytest.raises(error, match=match):
        F.grid_sample(ax.zeros(*input_shape), ax.zeros(*grid_shape), **kwargs)


def test_grid_sample_type_errors() -> None:
    x, g = ax.zeros(1, 1, 2, 2), ax.zeros(1, 2, 2, 2)
    with pytest.raises(
        TypeError,
        match=r"grid_sample: expected input and grid to have the same "
        r"dtype, but input has float32 and grid has float64",
    ):
        F.grid_sample(x, g.double())
    with pytest.raises(TypeError, match="grid_sample: expected a floating-point input, got int64"):
        F.grid_sample(x.long(), g)
    with pytest.raises(TypeError, match="grid_sample: grid must be a Tensor, got list"):
        F.grid_sample(x, [[0.0, 0.0]])
    with pytest.raises(TypeError, match="grid_sample: mode and padding_mode must be strings"):
        F.grid_sample(x, g, mode=1)


@pytest.mark.parametrize(
    ("theta_shape", "size", "error", "match"),
    [
        ((2, 3, 3), (2, 1, 4, 4), ValueError, r"affine_grid: expected .* \(N, 2, 3\).*\(2, 3, 3\)"),
        ((2, 2, 3), (2, 1, 2, 4, 4), ValueError, r"affine_grid: size must be \(N, C, H, W\)"),
        (
            (2, 2, 3),
            (3, 1, 4, 4),
            ValueError,
            r"affine_grid: theta has batch size 2 but size has N = 3",
        ),
        ((1, 2, 3), (1, 1, 0, 4), ValueError, r"affine_grid: expected a positive output size"),
        ((1, 2, 3), 4, TypeError, r"affine_grid: size must be a sequence"),
    ],
)
def test_affine_grid_errors(theta_shape, size, error, match) -> None:
    with pytest.raises(error, match=match):
        F.affine_grid(ax.zeros(*theta_shape), size)


def test_affine_grid_rejects_integer_theta() -> None:
    with pytest.raises(TypeError, match="affine_grid: theta must be a floating-point tensor"):
        F.affine_grid(ax.zeros(1, 2, 3, dtype=ax.int64), (1, 1, 2, 2))
