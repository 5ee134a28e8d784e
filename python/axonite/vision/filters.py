"""Classic fixed image filters (Sobel, Scharr, Prewitt, Laplacian) as depthwise convolutions.

Every filter is applied to each channel separately (``conv2d`` with ``groups=C``), keeps the
spatial size ('same' padding) and works on (H, W), (C, H, W) or (N, C, H, W) float tensors.
Kernels are cross-correlation kernels, like ``conv2d`` and ``scipy.ndimage``: the x kernel
responds to intensity increasing to the right (along the last dim), the y kernel to
intensity increasing downwards (dim -2). The functions pad with ``padding_mode='reflect'``
by default (PyTorch's reflect, i.e. SciPy's/OpenCV's 'mirror'/BORDER_REFLECT_101), so flat
borders give no spurious edges; ``FixedConv2d`` defaults to zero padding like ``nn.Conv2d``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._C import Tensor, from_numpy
from ..nn import functional as F
from ..nn.modules.module import Module
from ..nn.parameter import Parameter

__all__ = ["FixedConv2d", "edge_kernels", "laplacian", "prewitt", "scharr", "sobel"]

_DERIV = np.array([-1.0, 0.0, 1.0])
_SMOOTH = {"sobel": np.array([1.0, 2.0, 1.0]), "scharr": np.array([3.0, 10.0, 3.0])}
_SMOOTH["prewitt"] = np.array([1.0, 1.0, 1.0])
_LAPLACIAN = np.array([[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]])


def _kernels_np() -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    for name, smooth in _SMOOTH.items():
        out[f"{name}_x"] = np.outer(smooth, _DERIV)
        out[f"{name}_y"] = np.outer(_DERIV, smooth)
    out["laplacian"] = _LAPLACIAN.copy()
    return out


def edge_kernels() -> dict[str, Tensor]:
    """The fixed 3x3 float32 kernels: ``sobel_x``, ``sobel_y``, ``scharr_x``, ``scharr_y``,
    ``prewitt_x``, ``prewitt_y`` and ``laplacian`` (4-neighbour, centre -4). Fresh tensors on
    every call, so callers may modify them."""
    return {k: from_numpy(v.astype(np.float32)) for k, v in _kernels_np().items()}


_MODES = {"zeros", "constant", "reflect", "replicate", "circular"}


def _depthwise(x: Tensor, kernels: Tensor, padding: str, padding_mode: str) -> Tensor:
    """Correlate each channel of (N, C, H, W) ``x`` with each (K, kh, kw) kernel ->
    (N, C * K, H', W'), channel-major (output ``c * K + k`` = channel c, kernel k)."""
    n_k, kh, kw = kernels.shape
    c = x.shape[1]
    weight = kernels.to(x.dtype).view(n_k, 1, kh, kw).repeat(c, 1, 1, 1)
    if padding == "valid":
        return F.conv2d(x, weight, groups=c)
    if padding_mode in ("zeros", "constant"):
        return F.conv2d(x, weight, padding="same", groups=c)
    left, top = (kw - 1) // 2, (kh - 1) // 2
    x = F.pad(x, (left, kw - 1 - left, top, kh - 1 - top), mode=padding_mode)
    return F.conv2d(x, weight, groups=c)


def _as_nchw(who: str, x: Any) -> tuple[Tensor, int]:
    if not isinstance(x, Tensor):
        raise TypeError(f"{who}: input must be a Tensor, got {type(x).__name__}")
    if not x.is_floating_point():
        raise TypeError(f"{who}: input must be a float tensor, got {x.dtype}")
    if x.ndim == 2:
        return x.view(1, 1, *x.shape), 2
    if x.ndim == 3:
        return x.unsqueeze(0), 3
    if x.ndim == 4:
        return x, 4
    raise ValueError(
        f"{who}: input must have shape (H, W), (C, H, W) or (N, C, H, W), got {tuple(x.shape)}"
    )


def _restore(t: Tensor, ndim: int) -> Tensor:
    if ndim == 2:
        return t[0, 0]
    return t[0] if ndim == 3 else t


def _check_mode(who: str, padding_mode: str) -> None:
    if padding_mode not in _MODES:
        raise ValueError(
            f"{who}: padding_mode must be one of {sorted(_MODES)}, got {padding_mode!r}"
        )


def _gradient(
    who: str, name: str, x: Tensor, output: str, padding_mode: str, normalized: bool
) -> Any:
    if output not in ("magnitude", "xy", "all"):
        raise ValueError(f"{who}: output must be 'magnitude', 'xy' or 'all', got {output!r}")
    _check_mode(who, padding_mode)
    xb, ndim = _as_nchw(who, x)
    k = _kernels_np()
    pair = np.stack([k[f"{name}_x"], k[f"{name}_y"]])
    if normalized:
        pair = pair / np.abs(pair[0]).sum()
    g = _depthwise(xb, from_numpy(pair.astype(np.float32)), "same", padding_mode)
    n, _, h, w = g.shape
    g = g.view(n, xb.shape[1], 2, h, w)
    gx, gy = g[:, :, 0], g[:, :, 1]
    if output == "xy":
        return _restore(gx, ndim), _restore(gy, ndim)
    mag = (gx * gx + gy * gy).sqrt()
    if output == "magnitude":
        return _restore(mag, ndim)
    return _restore(gx, ndim), _restore(gy, ndim), _restore(mag, ndim)


_GRAD_DOC = """{title} image gradient of every channel.

    ``output='magnitude'`` (default) returns ``sqrt(gx**2 + gy**2)``; ``'xy'`` returns
    ``(gx, gy)``; ``'all'`` returns ``(gx, gy, magnitude)``, each shaped like the input.
    ``gx`` is the derivative along the last dim (kernel ``{name}_x`` of :func:`edge_kernels`),
    ``gy`` along dim -2. ``normalized=True`` divides the kernels by the sum of their absolute
    values (Kornia's convention), so a ramp rising by 1 per pixel has gradient exactly 1.
    ``padding_mode`` is one of 'reflect' (default), 'replicate', 'circular', 'zeros'.
    """


def sobel(
    x: Tensor, output: str = "magnitude", padding_mode: str = "reflect", normalized: bool = False
) -> Any:
    return _gradient("sobel", "sobel", x, output, padding_mode, normalized)


def scharr(
    x: Tensor, output: str = "magnitude", padding_mode: str = "reflect", normalized: bool = False
) -> Any:
    return _gradient("scharr", "scharr", x, output, padding_mode, normalized)


def prewitt(
    x: Tensor, output: str = "magnitude", padding_mode: str = "reflect", normalized: bool = False
) -> Any:
    return _gradient("prewitt", "prewitt", x, output, padding_mode, normalized)


sobel.__doc__ = _GRAD_DOC.format(title="Sobel", name="sobel")
scharr.__doc__ = _GRAD_DOC.format(title="Scharr", name="scharr")
prewitt.__doc__ = _GRAD_DOC.format(title="Prewitt", name="prewitt")


def laplacian(x: Tensor, padding_mode: str = "reflect") -> Tensor:
    """Discrete Laplacian (4-neighbour kernel ``[[0, 1, 0], [1, -4, 1], [0, 1, 0]]``) of every
    channel, shaped like the input; equals ``scipy.ndimage.laplace`` with the matching border
    mode. Useful as a blob/edge detector and a sharpness measure (its variance)."""
    _check_mode("laplacian", padding_mode)
    xb, ndim = _as_nchw("laplacian", x)
    k = from_numpy(_LAPLACIAN.astype(np.float32)[None])
    return _restore(_depthwise(xb, k, "same", padding_mode), ndim)


class FixedConv2d(Module):
    """A convolution with fixed (non-trainable) kernels applied to every channel separately.

    ``kernel`` is one (kh, kw) kernel or a stack (K, kh, kw) of kernels (tensor, NumPy array
    or nested lists). An input with C channels gives C * K output channels, channel-major
    (output ``c * K + k`` is channel c filtered by kernel k): a depthwise ``conv2d`` with
    ``groups=C``. ``padding`` is 'same' (default, odd or even kernels, like ``nn.Conv2d``) or
    'valid'; ``padding_mode`` is 'zeros' (default), 'reflect', 'replicate' or 'circular'.
    The kernels are stored as the parameter ``weight`` (shape (K, 1, kh, kw)) with
    ``requires_grad=False``, so they appear in ``state_dict`` but optimizers leave them alone,
    while gradients still flow to the input.

    Example: ``FixedConv2d(ax.stack([k["sobel_x"], k["sobel_y"]]))`` with
    ``k = ax.vision.edge_kernels()``.
    """

    def __init__(self, kernel: Any, padding: str = "same", padding_mode: str = "zeros") -> None:
        super().__init__()
        if isinstance(kernel, Tensor):
            arr = kernel.detach().double().numpy()
        else:
            arr = np.asarray(kernel, dtype=np.float64)
        if arr.ndim == 2:
            arr = arr[None]
        if arr.ndim != 3 or 0 in arr.shape:
            raise ValueError(
                f"FixedConv2d: kernel must have shape (kh, kw) or (K, kh, kw), got {arr.shape}"
            )
        if padding not in ("same", "valid"):
            raise ValueError(f"FixedConv2d: padding must be 'same' or 'valid', got {padding!r}")
        if padding_mode not in ("zeros", "reflect", "replicate", "circular"):
            raise ValueError(
                f"FixedConv2d: padding_mode must be 'zeros', 'reflect', 'replicate' or "
                f"'circular', got {padding_mode!r}"
            )
        self.padding = padding
        self.padding_mode = padding_mode
        self.weight = Parameter(from_numpy(arr[:, None].astype(np.float32)), requires_grad=False)

    def forward(self, input: Tensor) -> Tensor:
        if not isinstance(input, Tensor):
            raise TypeError(f"FixedConv2d: input must be a Tensor, got {type(input).__name__}")
        if input.ndim not in (3, 4):
            raise ValueError(
                f"FixedConv2d: input must have shape (C, H, W) or (N, C, H, W), got "
                f"{tuple(input.shape)}"
            )
        xb = input.unsqueeze(0) if input.ndim == 3 else input
        kernels = self.weight.detach()[:, 0]
        out = _depthwise(xb, kernels, self.padding, self.padding_mode)
        return out[0] if input.ndim == 3 else out

    def extra_repr(self) -> str:
        k, _, kh, kw = self.weight.shape
        return f"kernels={k}, kernel_size={(kh, kw)}, padding={self.padding!r}, " + (
            f"padding_mode={self.padding_mode!r}"
        )
