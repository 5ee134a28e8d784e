"""Spatial sampling in functional form with PyTorch's signatures: ``grid_sample`` (2-D input,
modes bilinear and nearest, padding zeros, border and reflection; the sampler and its backward
are C++) and ``affine_grid`` (the sampling grid of a batch of 2x3 affine matrices, a small
batched matmul composed from differentiable tensor ops, so it is differentiable in ``theta``).
"""

from __future__ import annotations

from collections.abc import Sequence

from ..._C import Tensor, _nn, linspace, ones, stack, zeros

__all__ = ["affine_grid", "grid_sample"]


def _check_tensor(who: str, name: str, value: object) -> Tensor:
    if not isinstance(value, Tensor):
        raise TypeError(f"{who}: {name} must be a Tensor, got {type(value).__name__}")
    return value


def grid_sample(
    input: Tensor,
    grid: Tensor,
    mode: str = "bilinear",
    padding_mode: str = "zeros",
    align_corners: bool | None = None,
) -> Tensor:
    """Samples ``input`` (N, C, H_in, W_in) at the locations of ``grid`` (N, H_out, W_out, 2)
    -> (N, C, H_out, W_out). ``grid[n, h, w] = (x, y)`` is normalized: x = -1 is the left and
    y = -1 the top of the image, 1 the right/bottom; with ``align_corners=True`` these are the
    centres of the corner pixels, otherwise (the default, as ``None`` means in PyTorch) their
    outer edges. Locations outside [-1, 1] read 0 (``padding_mode='zeros'``), the nearest border
    pixel (``'border'``) or the image mirrored at its borders (``'reflection'``). ``mode`` is
    ``'bilinear'`` or ``'nearest'`` (ties round half to even, as PyTorch). Differentiable with
    respect to ``input`` and ``grid`` (nearest has a zero grid gradient).

    >>> F.grid_sample(ax.ones(1, 1, 4, 4), ax.zeros(1, 2, 3, 2), align_corners=False).shape
    axonite.Size([1, 1, 2, 3])
    """
    _check_tensor("grid_sample", "input", input)
    _check_tensor("grid_sample", "grid", grid)
    if not isinstance(mode, str) or not isinstance(padding_mode, str):
        raise TypeError(
            f"grid_sample: mode and padding_mode must be strings, got {mode!r} and {padding_mode!r}"
        )
    return _nn.grid_sample(input, grid, mode, padding_mode, bool(align_corners))


def _base_coords(steps: int, like: Tensor, align_corners: bool) -> Tensor:
    """PyTorch's linspace_from_neg_one: ``steps`` pixel positions in [-1, 1] (pixel centres;
    corner centres at +-1 only with align_corners); a single pixel sits at 0."""
    if steps <= 1:
        return zeros(steps, dtype=like.dtype)
    r = linspace(-1.0, 1.0, steps, dtype=like.dtype)
    return r if align_corners else r * (steps - 1) / steps


def affine_grid(theta: Tensor, size: Sequence[int], align_corners: bool | None = None) -> Tensor:
    """The (N, H, W, 2) sampling grid for ``grid_sample`` of the affine maps ``theta``
    (N, 2, 3) and output ``size`` (N, C, H, W): ``grid[n, h, w] = theta[n] @ (x_w, y_h, 1)``,
    with x_w, y_h the normalized pixel positions (``align_corners`` as in ``grid_sample``;
    ``None`` means False). Differentiable with respect to ``theta``.

    >>> F.affine_grid(ax.tensor([[[1.0, 0, 0], [0, 1, 0]]]), (1, 3, 4, 5), False).shape
    axonite.Size([1, 4, 5, 2])
    """
    _check_tensor("affine_grid", "theta", theta)
    if not theta.is_floating_point():
        raise TypeError(f"affine_grid: theta must be a floating-point tensor, got {theta.dtype}")
    if isinstance(size, str) or not isinstance(size, Sequence):
        raise TypeError(f"affine_grid: size must be a sequence (N, C, H, W), got {size!r}")
    dims = tuple(int(s) for s in size)
    if len(dims) != 4:
        raise ValueError(
            f"affine_grid: size must be (N, C, H, W) (only 2-D grids are supported), got {dims}"
        )
    n, _, h, w = dims
    if theta.dim() != 3 or tuple(theta.shape[1:]) != (2, 3):
        raise ValueError(
            "affine_grid: expected a batch of 2-D affine matrices of shape (N, 2, 3) for size "
            f"{dims}, got theta of shape {tuple(theta.shape)}"
        )
    if theta.shape[0] != n:
        raise ValueError(
            f"affine_grid: theta has batch size {theta.shape[0]} but size has N = {n} "
            f"(theta of shape {tuple(theta.shape)}, size {dims})"
        )
    if min(dims) <= 0:
        raise ValueError(f"affine_grid: expected a positive output size, got {dims}")
    ac = bool(align_corners)
    xs = _base_coords(w, theta, ac).view(1, w).expand(h, w)
    ys = _base_coords(h, theta, ac).view(h, 1).expand(h, w)
    base = stack([xs, ys, ones(h, w, dtype=theta.dtype)], dim=-1).view(1, h * w, 3)
    return (base @ theta.transpose(1, 2)).view(n, h, w, 2)
