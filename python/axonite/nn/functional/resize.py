"""Resizing in functional form: ``interpolate`` (PyTorch's signature: ``size`` or
``scale_factor``; modes nearest, nearest-exact, linear, bilinear, trilinear, area;
``align_corners``, ``recompute_scale_factor``), ``upsample*`` aliases, ``pixel_shuffle`` and
``pixel_unshuffle``. Argument rules here, index math and loops in C++."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from ..._C import Tensor, _nn

__all__ = [
    "interpolate",
    "pixel_shuffle",
    "pixel_unshuffle",
    "upsample",
    "upsample_bilinear",
    "upsample_nearest",
]

# Input rank each interpolating mode needs (bicubic is refused in C++ as unsupported).
_INTERP = {"linear": 3, "bilinear": 4, "bicubic": 4, "trilinear": 5}


def _per_dim(v: Any, n: int, what: str, input: Tensor, op: str) -> list[Any]:
    if isinstance(v, Sequence) and not isinstance(v, str):
        if len(v) != n:
            raise ValueError(
                f"{op}: Input and output must have the same number of spatial dimensions, but got "
                f"input with spatial dimensions of {list(input.shape[2:])} and {what} of "
                f"{tuple(v)}. Please provide input tensor in (N, C, d1, d2, ...,dK) format and "
                f"{what} in (o1, o2, ...,oK) format."
            )
        return list(v)
    return [v] * n


def interpolate(
    input: Tensor,
    size: int | Sequence[int] | None = None,
    scale_factor: float | Sequence[float] | None = None,
    mode: str = "nearest",
    align_corners: bool | None = None,
    recompute_scale_factor: bool | None = None,
    antialias: bool = False,
) -> Tensor:
    """Resizes the spatial dims of (N, C, L), (N, C, H, W) or (N, C, D, H, W) input to ``size``
    or to ``floor(in * scale_factor)``. ``nearest`` uses PyTorch's legacy rule
    src = floor(dst * in / out); linear modes sample at (dst + 0.5) * in / out - 0.5, or at
    dst * (in - 1) / (out - 1) with ``align_corners=True``.

    >>> F.interpolate(ax.randn(1, 3, 4, 4), scale_factor=2, mode="bilinear").shape
    axonite.Size([1, 3, 8, 8])
    """
    return _resize(
        input, size, scale_factor, mode, align_corners, recompute_scale_factor, antialias
    )


def _resize(
    input: Tensor,
    size: int | Sequence[int] | None,
    scale_factor: float | Sequence[float] | None,
    mode: str,
    align_corners: bool | None,
    recompute_scale_factor: bool | None = None,
    antialias: bool = False,
    op: str = "interpolate",
) -> Tensor:
    """interpolate's body; ``op`` is the public name that error messages report (the
    ``upsample*`` aliases pass their own)."""
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError(
                f"{op}: align_corners option can only be set with the interpolating modes: "
                "linear | bilinear | bicubic | trilinear"
            )
    elif align_corners is None:
        align_corners = False
    if antialias:
        raise ValueError(f"{op}: antialias=True is not supported by axonite")
    n = input.dim() - 2
    if n < 1 or n > 3:
        raise ValueError(
            f"{op}: expected 3D (N, C, L), 4D (N, C, H, W) or 5D (N, C, D, H, W) input, "
            f"got shape {list(input.shape)}"
        )
    if size is not None and scale_factor is not None:
        raise ValueError(f"{op}: only one of size or scale_factor should be defined")
    scales: list[float] = []
    if size is not None:
        out = [int(s) for s in _per_dim(size, n, "output size", input, op)]
    elif scale_factor is not None:
        factors = [float(f) for f in _per_dim(scale_factor, n, "scale_factor", input, op)]
        out = [math.floor(float(input.shape[2 + i]) * factors[i]) for i in range(n)]
        if not recompute_scale_factor:
            scales = factors
    else:
        raise ValueError(f"{op}: either size or scale_factor should be defined")
    needs = _INTERP.get(mode)
    if needs is not None and needs != n + 2:
        raise ValueError(f"{op}: Got {n + 2}D input, but {mode} mode needs {needs}D input")
    return _nn.interpolate(input, out, mode, bool(align_corners), scales)


def upsample(
    input: Tensor,
    size: int | Sequence[int] | None = None,
    scale_factor: float | Sequence[float] | None = None,
    mode: str = "nearest",
    align_corners: bool | None = None,
) -> Tensor:
    """Deprecated alias of ``interpolate`` (kept as in PyTorch)."""
    return _resize(input, size, scale_factor, mode, align_corners, op="upsample")


def upsample_nearest(
    input: Tensor,
    size: int | Sequence[int] | None = None,
    scale_factor: float | Sequence[float] | None = None,
) -> Tensor:
    """``interpolate(..., mode="nearest")``."""
    return _resize(input, size, scale_factor, "nearest", None, op="upsample_nearest")


def upsample_bilinear(
    input: Tensor,
    size: int | Sequence[int] | None = None,
    scale_factor: float | Sequence[float] | None = None,
) -> Tensor:
    """``interpolate(..., mode="bilinear", align_corners=True)``."""
    return _resize(input, size, scale_factor, "bilinear", True, op="upsample_bilinear")


def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:
    """(*, C * r * r, H, W) -> (*, C, H * r, W * r) with r = ``upscale_factor``."""
    return _nn.pixel_shuffle(input, int(upscale_factor))


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:
    """(*, C, H * r, W * r) -> (*, C * r * r, H, W) with r = ``downscale_factor``."""
    return _nn.pixel_unshuffle(input, int(downscale_factor))
