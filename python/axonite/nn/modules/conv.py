"""Convolution layers ``Conv1d/2d/3d`` and ``ConvTranspose1d/2d/3d`` with PyTorch's
constructor arguments, weight layouts ((out, in / groups, *k); transposed: (in, out / groups,
*k)), ``state_dict`` keys, initialization (kaiming_uniform_(a=sqrt(5)), bias from
U(-1/sqrt(fan_in), 1/sqrt(fan_in))), ``padding_mode`` through ``F.pad`` and repr."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from ... import _C
from ..._C import Tensor
from .. import functional as F
from .. import init
from ..parameter import Parameter
from .linear import _check_device
from .module import Module

__all__ = ["Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d"]

_IntOrSeq = int | Sequence[int]
_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def _ntuple(v: Any, n: int) -> tuple[int, ...]:
    if isinstance(v, int):
        return (v,) * n
    t = tuple(v)
    if len(t) == 1 and n > 1:
        return t * n
    return t


class _ConvNd(Module):
    """Shared constructor, parameters, initialization and repr of the convolution layers."""

    _nd = 2

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: _IntOrSeq,
        stride: _IntOrSeq,
        padding: _IntOrSeq | str,
        dilation: _IntOrSeq,
        transposed: bool,
        output_padding: _IntOrSeq,
        groups: int,
        bias: bool,
        padding_mode: str,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        _check_device(device)
        nd = self._nd
        name = type(self).__name__
        if groups <= 0:
            raise ValueError(f"{name}: groups must be a positive integer, got {groups}")
        if in_channels % groups != 0:
            raise ValueError(
                f"{name}: in_channels must be divisible by groups "
                f"(in_channels={in_channels}, groups={groups})"
            )
        if out_channels % groups != 0:
            raise ValueError(
                f"{name}: out_channels must be divisible by groups "
                f"(out_channels={out_channels}, groups={groups})"
            )
        kernel_size = _ntuple(kernel_size, nd)
        stride = _ntuple(stride, nd)
        dilation = _ntuple(dilation, nd)
        for arg, v in (("kernel_size", kernel_size), ("stride", stride), ("dilation", dilation)):
            if len(v) != nd or any(int(x) <= 0 for x in v):
                raise ValueError(f"{name}: {arg} must be {nd} positive integers, got {v}")
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(
                    f"{name}: invalid padding string {padding!r}, should be one of "
                    "{'same', 'valid'}"
                )
            if padding == "same" and any(s != 1 for s in stride):
                raise ValueError(
                    f"{name}: padding='same' is not supported for strided convolutions "
                    f"(stride={stride})"
                )
        else:
            padding = _ntuple(padding, nd)
            if len(padding) != nd or any(int(x) < 0 for x in padding):
                raise ValueError(
                    f"{name}: padding must be {nd} non-negative integers, got {padding}"
                )
        if padding_mode not in _PADDING_MODES:
            raise ValueError(
                f"{name}: padding_mode must be one of {_PADDING_MODES}, but got "
                f"padding_mode={padding_mode!r}"
            )
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = kernel_size
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.transposed = transposed
        self.output_padding = _ntuple(output_padding, nd)
        self.groups = groups
        self.padding_mode = padding_mode
        # F.pad's argument for the non-zeros padding modes: last dim first, (left, right).
        rev: list[int] = [0, 0] * nd
        for i, d in enumerate(reversed(range(nd))):
            if isinstance(padding, str):
                total = dilation[d] * (kernel_size[d] - 1) if padding == "same" else 0
                rev[2 * i], rev[2 * i + 1] = total // 2, total - total // 2
            else:
                rev[2 * i] = rev[2 * i + 1] = padding[d]
        self._reversed_padding_repeated_twice = rev
        if transposed:
            shape = (in_channels, out_channels // groups, *kernel_size)
        else:
            shape = (out_channels, in_channels // groups, *kernel_size)
        self.weight = Parameter(_C.empty(shape, dtype=dtype))
        if bias:
            self.bias = Parameter(_C.empty(out_channels, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Re-draws the weight from kaiming_uniform_(a=sqrt(5)) and the bias from
        U(-1/sqrt(fan_in), 1/sqrt(fan_in)), PyTorch's defaults."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            if fan_in != 0:
                bound = 1 / math.sqrt(fan_in)
                init.uniform_(self.bias, -bound, bound)

    def extra_repr(self) -> str:
        s = (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}"
        )
        if self.padding != (0,) * len(self.padding):
            s += f", padding={self.padding}"
        if self.dilation != (1,) * len(self.dilation):
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * len(self.output_padding):
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class _Conv(_ConvNd):
    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: _IntOrSeq,
        stride: _IntOrSeq = 1,
        padding: _IntOrSeq | str = 0,
        dilation: _IntOrSeq = 1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(
            in_channels,
            out_channels,
            kernel_size,
            stride,
            padding,
            dilation,
            False,
            0,
            groups,
            bias,
            padding_mode,
            device,
            dtype,
        )

    def _conv_forward(self, input: Tensor, weight: Tensor, bias: Tensor | None) -> Tensor:
        if self.padding_mode != "zeros":
            x = F.pad(input, self._reversed_padding_repeated_twice, mode=self.padding_mode)
            return getattr(F, f"conv{self._nd}d")(
                x, weight, bias, self.stride, 0, self.dilation, self.groups
            )
        return getattr(F, f"conv{self._nd}d")(
            input, weight, bias, self.stride, self.padding, self.dilation, self.groups
        )

    def forward(self, input: Tensor) -> Tensor:
        return self._conv_forward(input, self.weight, self.bias)


class Conv1d(_Conv):
    """1-d convolution over (N, C_in, L) or (C_in, L); weight (out, in / groups, k)."""

    _nd = 1


class Conv2d(_Conv):
    """2-d convolution over (N, C_in, H, W) or (C_in, H, W); weight (out, in / groups, kH, kW).

    >>> nn.Conv2d(3, 16, 3, padding=1)(ax.randn(8, 3, 32, 32)).shape
    axonite.Size([8, 16, 32, 32])"""

    _nd = 2


class Conv3d(_Conv):
    """3-d convolution over (N, C_in, D, H, W) or (C_in, D, H, W)."""

    _nd = 3


class _ConvTransposeNd(_ConvNd):
    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: _IntOrSeq,
        stride: _IntOrSeq = 1,
        padding: _IntOrSeq = 0,
        output_padding: _IntOrSeq = 0,
        groups: int = 1,
        bias: bool = True,
        dilation: _IntOrSeq = 1,
        padding_mode: str = "zeros",
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        if padding_mode != "zeros":
            raise ValueError(
                f'Only "zeros" padding mode is supported for {type(self).__name__}, '
                f"got {padding_mode!r}"
            )
        if isinstance(padding, str):
            raise TypeError(f"{type(self).__name__}: padding must be integers, got {padding!r}")
        super().__init__(
            in_channels,
            out_channels,
            kernel_size,
            stride,
            padding,
            dilation,
            True,
            output_padding,
            groups,
            bias,
            padding_mode,
            device,
            dtype,
        )

    def _output_padding(self, input: Tensor, output_size: Sequence[int] | None) -> tuple[int, ...]:
        """output_padding from a requested output_size (PyTorch's rule), else the stored one."""
        if output_size is None:
            return self.output_padding
        nd = self._nd
        n_lead = 2 if input.dim() == nd + 2 else 1
        size = [int(s) for s in output_size]
        if len(size) == n_lead + nd:
            size = size[n_lead:]
        if len(size) != nd:
            raise ValueError(
                f"{type(self).__name__}: output_size must have {nd} or {n_lead + nd} elements "
                f"(got {len(size)})"
            )
        pad = self.padding
        assert isinstance(pad, tuple)
        min_sizes = [
            (input.shape[n_lead + d] - 1) * self.stride[d]
            - 2 * pad[d]
            + self.dilation[d] * (self.kernel_size[d] - 1)
            + 1
            for d in range(nd)
        ]
        max_sizes = [m + self.stride[d] - 1 for d, m in enumerate(min_sizes)]
        for s, lo, hi in zip(size, min_sizes, max_sizes, strict=True):
            if s < lo or s > hi:
                raise ValueError(
                    f"{type(self).__name__}: requested an output size of {size}, but valid "
                    f"sizes range from {min_sizes} to {max_sizes} (for an input of "
                    f"{tuple(input.shape[n_lead:])})"
                )
        return tuple(s - m for s, m in zip(size, min_sizes, strict=True))

    def forward(self, input: Tensor, output_size: Sequence[int] | None = None) -> Tensor:
        output_padding = self._output_padding(input, output_size)
        return getattr(F, f"conv_transpose{self._nd}d")(
            input,
            self.weight,
            self.bias,
            self.stride,
            self.padding,
            output_padding,
            self.groups,
            self.dilation,
        )


class ConvTranspose1d(_ConvTransposeNd):
    """Transposed 1-d convolution; weight (in, out / groups, k)."""

    _nd = 1


class ConvTranspose2d(_ConvTransposeNd):
    """Transposed 2-d convolution (the input gradient of Conv2d); weight
    (in, out / groups, kH, kW)."""

    _nd = 2


class ConvTranspose3d(_ConvTransposeNd):
    """Transposed 3-d convolution; weight (in, out / groups, kD, kH, kW)."""

    _nd = 3
