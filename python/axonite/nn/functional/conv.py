"""Convolutions in functional form: ``conv1d/2d/3d``, ``conv_transpose1d/2d/3d``, ``pad``,
``unfold`` and ``fold``, with PyTorch's signatures. Forward and backward run in C++
(``axonite._C._nn``); this file only normalizes arguments."""

from __future__ import annotations

import numbers
from collections.abc import Sequence

from ..._C import Tensor, _nn

__all__ = [
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
    "fold",
    "pad",
    "unfold",
]

_IntOrSeq = int | Sequence[int]


def _seq(v: _IntOrSeq) -> tuple[int, ...]:
    return (v,) if isinstance(v, int) else tuple(v)


def _conv(
    nd: int,
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None,
    stride: _IntOrSeq,
    padding: _IntOrSeq | str,
    dilation: _IntOrSeq,
    groups: int,
) -> Tensor:
    pad_arg = padding if isinstance(padding, str) else _seq(padding)
    return _nn.conv(input, weight, bias, _seq(stride), pad_arg, _seq(dilation), groups, nd)


def conv1d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: _IntOrSeq = 1,
    padding: _IntOrSeq | str = 0,
    dilation: _IntOrSeq = 1,
    groups: int = 1,
) -> Tensor:
    """1-d convolution: input (N, C_in, L) or (C_in, L), weight (C_out, C_in / groups, kL),
    bias (C_out,); padding is a number, a tuple, ``'same'`` or ``'valid'``."""
    return _conv(1, input, weight, bias, stride, padding, dilation, groups)


def conv2d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: _IntOrSeq = 1,
    padding: _IntOrSeq | str = 0,
    dilation: _IntOrSeq = 1,
    groups: int = 1,
) -> Tensor:
    """2-d convolution: input (N, C_in, H, W) or (C_in, H, W), weight
    (C_out, C_in / groups, kH, kW), bias (C_out,) -> (N, C_out, H_out, W_out).

    >>> F.conv2d(ax.randn(8, 3, 32, 32), ax.randn(16, 3, 3, 3), padding=1).shape
    axonite.Size([8, 16, 32, 32])"""
    return _conv(2, input, weight, bias, stride, padding, dilation, groups)


def conv3d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: _IntOrSeq = 1,
    padding: _IntOrSeq | str = 0,
    dilation: _IntOrSeq = 1,
    groups: int = 1,
) -> Tensor:
    """3-d convolution: input (N, C_in, D, H, W) or (C_in, D, H, W), weight
    (C_out, C_in / groups, kD, kH, kW), bias (C_out,)."""
    return _conv(3, input, weight, bias, stride, padding, dilation, groups)


def _conv_t(
    nd: int,
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None,
    stride: _IntOrSeq,
    padding: _IntOrSeq,
    output_padding: _IntOrSeq,
    groups: int,
    dilation: _IntOrSeq,
) -> Tensor:
    return _nn.conv_transpose(
        input,
        weight,
        bias,
        _seq(stride),
        _seq(padding),
        _seq(output_padding),
        groups,
        _seq(dilation),
        nd,
    )


def conv_transpose1d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: _IntOrSeq = 1,
    padding: _IntOrSeq = 0,
    output_padding: _IntOrSeq = 0,
    groups: int = 1,
    dilation: _IntOrSeq = 1,
) -> Tensor:
    """Transposed 1-d convolution: input (N, C_in, L) or (C_in, L), weight
    (C_in, C_out / groups, kL); L_out = (L - 1) * stride - 2 * padding
    + dilation * (kL - 1) + output_padding + 1."""
    return _conv_t(1, input, weight, bias, stride, padding, output_padding, groups, dilation)


def conv_transpose2d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: _IntOrSeq = 1,
    padding: _IntOrSeq = 0,
    output_padding: _IntOrSeq = 0,
    groups: int = 1,
    dilation: _IntOrSeq = 1,
) -> Tensor:
    """Transposed 2-d convolution (the input gradient of conv2d): input (N, C_in, H, W) or
    (C_in, H, W), weight (C_in, C_out / groups, kH, kW), bias (C_out,)."""
    return _conv_t(2, input, weight, bias, stride, padding, output_padding, groups, dilation)


def conv_transpose3d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: _IntOrSeq = 1,
    padding: _IntOrSeq = 0,
    output_padding: _IntOrSeq = 0,
    groups: int = 1,
    dilation: _IntOrSeq = 1,
) -> Tensor:
    """Transposed 3-d convolution: input (N, C_in, D, H, W) or (C_in, D, H, W), weight
    (C_in, C_out / groups, kD, kH, kW), bias (C_out,)."""
    return _conv_t(3, input, weight, bias, stride, padding, output_padding, groups, dilation)


def pad(
    input: Tensor, pad: Sequence[int], mode: str = "constant", value: float | None = None
) -> Tensor:
    """Pads the trailing dims of input: ``pad = (last_left, last_right, second_last_left,
    second_last_right, ...)``. ``mode``: 'constant' (fill with ``value``; negative pads crop),
    'reflect', 'replicate' or 'circular' (1 to 3 trailing dims of a (N, C, *) or (C, *)
    input)."""
    if value is not None and (isinstance(value, bool) or not isinstance(value, numbers.Real)):
        raise TypeError(f"pad: value must be a number or None, got {type(value).__name__}")
    return _nn.pad(input, tuple(pad), mode, 0.0 if value is None else float(value))


def unfold(
    input: Tensor,
    kernel_size: _IntOrSeq,
    dilation: _IntOrSeq = 1,
    padding: _IntOrSeq = 0,
    stride: _IntOrSeq = 1,
) -> Tensor:
    """Extracts sliding blocks (im2col): (N, C, H, W) -> (N, C * kh * kw, L), L the number of
    block positions; a 3-D (C, H, W) input gives (C * kh * kw, L)."""
    return _nn.unfold(input, _seq(kernel_size), _seq(dilation), _seq(padding), _seq(stride))


def fold(
    input: Tensor,
    output_size: _IntOrSeq,
    kernel_size: _IntOrSeq,
    dilation: _IntOrSeq = 1,
    padding: _IntOrSeq = 0,
    stride: _IntOrSeq = 1,
) -> Tensor:
    """Sums sliding blocks back into an image (col2im, the adjoint of ``unfold``):
    (N, C * kh * kw, L) -> (N, C, *output_size); a 2-D input gives (C, *output_size)."""
    return _nn.fold(
        input,
        _seq(output_size),
        _seq(kernel_size),
        _seq(dilation),
        _seq(padding),
        _seq(stride),
    )
