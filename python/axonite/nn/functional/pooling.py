"""Pooling in functional form with PyTorch's signatures and defaults: ``max_pool1d/2d/3d``
(``return_indices``: flat per-plane indices), ``min_pool2d`` (axonite extra), ``avg_pool1d/2d/3d``,
``adaptive_avg_pool1d/2d/3d``, ``adaptive_max_pool1d/2d/3d`` and ``max_unpool1d/2d/3d``. Only
argument normalization here (int -> tuple, None sizes); the loops are C++ (``axonite._C._nn``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..._C import Tensor, _nn

__all__ = [
    "adaptive_avg_pool1d",
    "adaptive_avg_pool2d",
    "adaptive_avg_pool3d",
    "adaptive_max_pool1d",
    "adaptive_max_pool2d",
    "adaptive_max_pool3d",
    "avg_pool1d",
    "avg_pool2d",
    "avg_pool3d",
    "max_pool1d",
    "max_pool2d",
    "max_pool3d",
    "max_unpool1d",
    "max_unpool2d",
    "max_unpool3d",
    "min_pool2d",
]

_Size = int | Sequence[int]


def _ints(v: Any, n: int) -> tuple[int, ...]:
    """An int, or a sequence of ints (length 1 or n, checked in C++), as a tuple."""
    if isinstance(v, Sequence) and not isinstance(v, str):
        return tuple(int(i) for i in v)
    return (int(v),) * n


def _stride(stride: Any, n: int) -> tuple[int, ...]:
    """PyTorch's stride=None (or an empty list) means "the kernel size": an empty tuple here."""
    if stride is None or (isinstance(stride, Sequence) and len(stride) == 0):
        return ()
    return _ints(stride, n)


def _max(
    input: Tensor,
    n: int,
    kernel_size: _Size,
    stride: _Size | None,
    padding: _Size,
    dilation: _Size,
    ceil_mode: bool,
    return_indices: bool,
    is_min: bool = False,
) -> Any:
    y, idx = _nn.max_pool(
        input,
        n,
        _ints(kernel_size, n),
        _stride(stride, n),
        _ints(padding, n),
        _ints(dilation, n),
        bool(ceil_mode),
        is_min,
        bool(return_indices),
    )
    return (y, idx) if return_indices else y


def max_pool1d(
    input: Tensor,
    kernel_size: _Size,
    stride: _Size | None = None,
    padding: _Size = 0,
    dilation: _Size = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Any:
    """Max over windows of (N, C, L) or (C, L) input; with ``return_indices`` also the flat
    index of each maximum within its plane."""
    return _max(input, 1, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def max_pool2d(
    input: Tensor,
    kernel_size: _Size,
    stride: _Size | None = None,
    padding: _Size = 0,
    dilation: _Size = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Any:
    """Max over windows of (N, C, H, W) or (C, H, W) input; indices are h * W + w.

    >>> F.max_pool2d(ax.randn(1, 3, 8, 8), 2).shape
    axonite.Size([1, 3, 4, 4])
    """
    return _max(input, 2, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def max_pool3d(
    input: Tensor,
    kernel_size: _Size,
    stride: _Size | None = None,
    padding: _Size = 0,
    dilation: _Size = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Any:
    """Max over windows of (N, C, D, H, W) or (C, D, H, W) input."""
    return _max(input, 3, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def min_pool2d(
    input: Tensor,
    kernel_size: _Size,
    stride: _Size | None = None,
    padding: _Size = 0,
    dilation: _Size = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Any:
    """Min over windows of (N, C, H, W) or (C, H, W) input (axonite extra; the same as
    ``-max_pool2d(-input)``, including which element a tie picks). Padding never wins."""
    return _max(input, 2, kernel_size, stride, padding, dilation, ceil_mode, return_indices, True)


def _avg(
    input: Tensor,
    n: int,
    kernel_size: _Size,
    stride: _Size | None,
    padding: _Size,
    ceil_mode: bool,
    count_include_pad: bool,
    divisor_override: int | None,
) -> Tensor:
    return _nn.avg_pool(
        input,
        n,
        _ints(kernel_size, n),
        _stride(stride, n),
        _ints(padding, n),
        bool(ceil_mode),
        bool(count_include_pad),
        divisor_override,
    )


def avg_pool1d(
    input: Tensor,
    kernel_size: _Size,
    stride: _Size | None = None,
    padding: _Size = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
) -> Tensor:
    """Mean over windows of (N, C, L) or (C, L) input."""
    return _avg(input, 1, kernel_size, stride, padding, ceil_mode, count_include_pad, None)


def avg_pool2d(
    input: Tensor,
    kernel_size: _Size,
    stride: _Size | None = None,
    padding: _Size = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> Tensor:
    """Mean over windows of (N, C, H, W) or (C, H, W) input; ``count_include_pad`` counts the
    zero padding in the divisor, ``divisor_override`` replaces the divisor."""
    return _avg(
        input, 2, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override
    )


def avg_pool3d(
    input: Tensor,
    kernel_size: _Size,
    stride: _Size | None = None,
    padding: _Size = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> Tensor:
    """Mean over windows of (N, C, D, H, W) or (C, D, H, W) input."""
    return _avg(
        input, 3, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override
    )


def _out_size(input: Tensor, n: int, output_size: Any, op: str) -> tuple[int, ...]:
    """output_size as n ints; None entries keep the input's size along that dim."""
    if isinstance(output_size, Sequence) and not isinstance(output_size, str):
        sizes = list(output_size)
    else:
        sizes = [output_size] * n
    if len(sizes) != n:
        raise ValueError(
            f"{op}: output_size must be an int or {n} ints (None keeps a dim), got {output_size!r}"
        )
    if input.dim() < n:
        raise RuntimeError(
            f"{op}: expected an input with at least {n + 1} dims, got shape {list(input.shape)}"
        )
    spatial = input.shape[input.dim() - n :]
    return tuple(int(spatial[i]) if s is None else int(s) for i, s in enumerate(sizes))


def adaptive_avg_pool1d(input: Tensor, output_size: Any) -> Tensor:
    """Mean over PyTorch's adaptive windows (start = floor(i * L / out), end = ceil((i + 1) * L /
    out)) of (N, C, L) or (C, L) input."""
    return _nn.adaptive_avg_pool(input, 1, _out_size(input, 1, output_size, "adaptive_avg_pool1d"))


def adaptive_avg_pool2d(input: Tensor, output_size: Any) -> Tensor:
    """Adaptive mean pooling of (N, C, H, W) or (C, H, W) input to ``output_size``."""
    return _nn.adaptive_avg_pool(input, 2, _out_size(input, 2, output_size, "adaptive_avg_pool2d"))


def adaptive_avg_pool3d(input: Tensor, output_size: Any) -> Tensor:
    """Adaptive mean pooling of (N, C, D, H, W) or (C, D, H, W) input to ``output_size``."""
    return _nn.adaptive_avg_pool(input, 3, _out_size(input, 3, output_size, "adaptive_avg_pool3d"))


def _adaptive_max(input: Tensor, n: int, output_size: Any, return_indices: bool) -> Any:
    op = f"adaptive_max_pool{n}d"
    size = _out_size(input, n, output_size, op)
    y, idx = _nn.adaptive_max_pool(input, n, size, bool(return_indices))
    return (y, idx) if return_indices else y


def adaptive_max_pool1d(input: Tensor, output_size: Any, return_indices: bool = False) -> Any:
    """Adaptive max pooling of (N, C, L) or (C, L) input to ``output_size``."""
    return _adaptive_max(input, 1, output_size, return_indices)


def adaptive_max_pool2d(input: Tensor, output_size: Any, return_indices: bool = False) -> Any:
    """Adaptive max pooling of (N, C, H, W) or (C, H, W) input to ``output_size``."""
    return _adaptive_max(input, 2, output_size, return_indices)


def adaptive_max_pool3d(input: Tensor, output_size: Any, return_indices: bool = False) -> Any:
    """Adaptive max pooling of (N, C, D, H, W) or (C, D, H, W) input to ``output_size``."""
    return _adaptive_max(input, 3, output_size, return_indices)


def _unpool_size(
    input: Tensor,
    n: int,
    kernel_size: _Size,
    stride: _Size | None,
    padding: _Size,
    output_size: Any,
    op: str,
) -> tuple[int, ...]:
    """PyTorch's _unpool_output_size: (in - 1) * stride - 2 * pad + kernel, or a given size
    within one stride of it."""
    k = _ints(kernel_size, n)
    s = _stride(stride, n) or k
    p = _ints(padding, n)
    k, s, p = (t * n if len(t) == 1 else t for t in (k, s, p))
    if input.dim() < n + 1:
        raise RuntimeError(
            f"{op}: expected an input with at least {n + 1} dims, got shape {list(input.shape)}"
        )
    spatial = input.shape[input.dim() - n :]
    default = tuple((spatial[i] - 1) * s[i] + k[i] - 2 * p[i] for i in range(n))
    if output_size is None:
        return default
    size = _ints(output_size, n)
    if len(size) == n + 2:
        size = size[2:]
    if len(size) != n:
        raise ValueError(
            f"{op}: output_size should be a sequence containing {n} or {n + 2} elements, "
            f"but it has a length of '{len(size)}'"
        )
    for i in range(n):
        lo, hi = default[i] - s[i], default[i] + s[i]
        if not lo < size[i] < hi:
            raise ValueError(
                f'{op}: invalid output_size "{size}" (dim {i} must be between {lo} and {hi})'
            )
    return size


def max_unpool1d(
    input: Tensor,
    indices: Tensor,
    kernel_size: _Size,
    stride: _Size | None = None,
    padding: _Size = 0,
    output_size: Any = None,
) -> Tensor:
    """Partial inverse of max_pool1d: input placed at ``indices`` of a zero (N, C, L_out)."""
    size = _unpool_size(input, 1, kernel_size, stride, padding, output_size, "max_unpool1d")
    return _nn.max_unpool(input, indices, 1, size)


def max_unpool2d(
    input: Tensor,
    indices: Tensor,
    kernel_size: _Size,
    stride: _Size | None = None,
    padding: _Size = 0,
    output_size: Any = None,
) -> Tensor:
    """Partial inverse of max_pool2d: input placed at ``indices`` (h * W + w) of a zero
    (N, C, H_out, W_out); the other positions stay zero."""
    size = _unpool_size(input, 2, kernel_size, stride, padding, output_size, "max_unpool2d")
    return _nn.max_unpool(input, indices, 2, size)


def max_unpool3d(
    input: Tensor,
    indices: Tensor,
    kernel_size: _Size,
    stride: _Size | None = None,
    padding: _Size = 0,
    output_size: Any = None,
) -> Tensor:
    """Partial inverse of max_pool3d."""
    size = _unpool_size(input, 3, kernel_size, stride, padding, output_size, "max_unpool3d")
    return _nn.max_unpool(input, indices, 3, size)
