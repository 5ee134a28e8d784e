"""Colour adjustments on (N, C, H, W) batches in [0, 1] with torchvision's formulas:
brightness, contrast, saturation and hue (through RGB <-> HSV), each taking a number or a
per-sample (N, 1, 1, 1) factor tensor so that ``ColorJitter`` adjusts a whole batch at once."""

from __future__ import annotations

from .._C import Tensor, arange, cat, ones, stack, where

__all__ = [
    "adjust_brightness",
    "adjust_contrast",
    "adjust_hue",
    "adjust_saturation",
    "hsv_to_rgb",
    "rgb_to_hsv",
]


def _grayscale(x: Tensor) -> Tensor:
    """ITU-R 601-2 luma of (N, 3, H, W) -> (N, 1, H, W) (torchvision's rgb_to_grayscale)."""
    r, g, b = x[:, 0:1], x[:, 1:2], x[:, 2:3]
    return r * 0.2989 + g * 0.587 + b * 0.114


def adjust_brightness(x: Tensor, factor: Tensor | float) -> Tensor:
    """torchvision's formula: ``clamp(factor * x, 0, 1)`` (a blend with a black image)."""
    return (x * factor).clamp(0.0, 1.0)


def adjust_contrast(x: Tensor, factor: Tensor | float) -> Tensor:
    """torchvision's formula: blend each (N, C, H, W) image with the mean of its grayscale
    (the plain mean for one channel), ``clamp(factor * x + (1 - factor) * mean, 0, 1)``."""
    gray = _grayscale(x) if x.shape[1] == 3 else x
    mean = gray.mean(dim=(1, 2, 3), keepdim=True)
    return (x * factor + mean * (1.0 - factor)).clamp(0.0, 1.0)


def rgb_to_hsv(x: Tensor) -> Tensor:
    """(N, 3, H, W) RGB in [0, 1] -> HSV with every channel in [0, 1] (torchvision's
    ``_rgb2hsv``: hue is the sextant formula divided by 6, wrapped with fmod)."""
    r, g, b = x[:, 0], x[:, 1], x[:, 2]
    maxc, minc = x.amax(dim=1), x.amin(dim=1)
    eqc = maxc == minc
    cr = maxc - minc
    one = ones(1, dtype=x.dtype)
    s = cr / where(eqc, one, maxc)
    # A grey pixel (max == min) has no hue: divide by 1 instead of 0.
    cr_div = where(eqc, one, cr)
    rc, gc, bc = (maxc - r) / cr_div, (maxc - g) / cr_div, (maxc - b) / cr_div
    hr = (maxc == r).to(x.dtype) * (bc - gc)
    hg = ((maxc == g) & (maxc != r)).to(x.dtype) * (rc + 2.0 - bc)
    hb = ((maxc != g) & (maxc != r)).to(x.dtype) * (gc + 4.0 - rc)
    h = ((hr + hg + hb) / 6.0 + 1.0) % 1.0
    return stack([h, s, maxc], dim=1)


def hsv_to_rgb(x: Tensor) -> Tensor:
    """(N, 3, H, W) HSV in [0, 1] -> RGB (torchvision's ``_hsv2rgb``): each pixel picks one of
    six (r, g, b) patterns by its hue sextant, selected with a one-hot mask."""
    h, s, v = x[:, 0], x[:, 1], x[:, 2]
    i = (h * 6.0).floor()
    f = h * 6.0 - i
    p = (v * (1.0 - s)).clamp(0.0, 1.0)
    q = (v * (1.0 - s * f)).clamp(0.0, 1.0)
    t = (v * (1.0 - s * (1.0 - f))).clamp(0.0, 1.0)
    sextant = (i % 6.0).unsqueeze(1)  # (N, 1, H, W)
    mask = (sextant == arange(6, dtype=x.dtype).view(1, 6, 1, 1)).to(x.dtype)  # (N, 6, H, W)
    patterns = stack(
        [
            stack([v, q, p, p, t, v], dim=1),
            stack([t, v, v, q, p, p], dim=1),
            stack([p, p, t, v, v, q], dim=1),
        ],
        dim=1,
    )  # (N, 3, 6, H, W)
    return (patterns * mask.unsqueeze(1)).sum(dim=2)


def adjust_hue(x: Tensor, factor: Tensor | float) -> Tensor:
    """torchvision's formula: shift the hue of an RGB (N, 3, H, W) image by ``factor`` (a
    number or an (N, 1, 1, 1) tensor in [-0.5, 0.5], in turns of the colour wheel) through
    RGB -> HSV -> RGB."""
    if x.ndim != 4 or x.shape[1] != 3:
        raise ValueError(f"adjust_hue: input must be RGB (N, 3, H, W), got {tuple(x.shape)}")
    if not isinstance(factor, Tensor) and not -0.5 <= float(factor) <= 0.5:
        raise ValueError(f"adjust_hue: factor must be in [-0.5, 0.5], got {factor!r}")
    hsv = rgb_to_hsv(x)
    h = (hsv[:, 0:1] + factor) % 1.0
    return hsv_to_rgb(cat([h, hsv[:, 1:]], dim=1))


def adjust_saturation(x: Tensor, factor: Tensor | float) -> Tensor:
    """torchvision's formula: blend an RGB (N, 3, H, W) image with its grayscale per pixel;
    one-channel images are returned unchanged."""
    if x.shape[1] != 3:
        return x
    return (x * factor + _grayscale(x) * (1.0 - factor)).clamp(0.0, 1.0)
