"""Random image augmentations for one (C, H, W) image or a (N, C, H, W) batch.

The classes mirror torchvision's names, arguments and formulas, with one difference that
matters for batches: every random decision (flip or not, crop offset, jitter factor, noise)
is drawn *per sample* in one vectorized call and applied with tensor ops, so a whole batch
is augmented at once instead of image by image. Each transform takes ``generator=`` (an
``ax.Generator``) so that a seeded pipeline repeats exactly; without one the global RNG
(``ax.manual_seed``) is used. ``Compose``, ``Normalize`` and ``ToTensor`` are re-exported
from :mod:`axonite.datasets.transforms`.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

from .._C import Generator, Tensor, arange, rand, randint, randn, where
from .._tensor import tensor as _tensor
from ..datasets.transforms import Compose, Normalize, ToTensor
from ..nn import functional as F

__all__ = [
    "ColorJitter",
    "Compose",
    "GaussianNoise",
    "Normalize",
    "RandomCrop",
    "RandomHorizontalFlip",
    "RandomVerticalFlip",
    "ToTensor",
]


def _as_batch(who: str, img: Any) -> tuple[Tensor, bool]:
    """(C, H, W) -> (1, C, H, W) and a flag to undo it; (N, C, H, W) passes through."""
    if not isinstance(img, Tensor):
        raise TypeError(f"{who}: input must be a Tensor, got {type(img).__name__}")
    if img.ndim == 3:
        return img.unsqueeze(0), True
    if img.ndim == 4:
        return img, False
    raise ValueError(
        f"{who}: input must have shape (C, H, W) or (N, C, H, W), got {tuple(img.shape)}"
    )


def _check_generator(who: str, generator: Any) -> Generator | None:
    if generator is not None and not isinstance(generator, Generator):
        raise TypeError(
            f"{who}: generator must be an ax.Generator or None, got {type(generator).__name__}"
        )
    return generator


def _check_prob(who: str, p: Any) -> float:
    if isinstance(p, bool) or not isinstance(p, numbers.Real) or not 0.0 <= float(p) <= 1.0:
        raise ValueError(f"{who}: p must be a probability in [0, 1], got {p!r}")
    return float(p)


def _uniform(n: int, lo: float, hi: float, generator: Generator | None, like: Tensor) -> Tensor:
    """``n`` samples uniform on [lo, hi), shaped (n, 1, 1, 1) to broadcast over a batch."""
    u = rand(n, generator=generator).to(like.dtype)
    return (u * (hi - lo) + lo).view(n, 1, 1, 1)


class _RandomFlip:
    """Shared body of the two flips: flip the samples whose uniform draw falls below ``p``."""

    _dim = -1

    def __init__(self, p: float = 0.5, generator: Generator | None = None) -> None:
        name = type(self).__name__
        self.p = _check_prob(name, p)
        self.generator = _check_generator(name, generator)

    def __call__(self, img: Tensor) -> Tensor:
        x, single = _as_batch(type(self).__name__, img)
        flip = rand(x.shape[0], generator=self.generator) < self.p
        out = where(flip.view(-1, 1, 1, 1), x.flip(self._dim), x)
        return out.squeeze(0) if single else out

    def __repr__(self) -> str:
        return f"{type(self).__name__}(p={self.p})"


class RandomHorizontalFlip(_RandomFlip):
    """Flip each image left-right (last dim) with probability ``p`` (torchvision).

    On a batch each sample is flipped or not independently; on one (C, H, W) image it is a
    single decision.
    """

    _dim = -1


class RandomVerticalFlip(_RandomFlip):
    """Flip each image top-bottom (dim -2) with probability ``p`` (torchvision)."""

    _dim = -2


def _pair(who: str, name: str, value: Any) -> tuple[int, int]:
    """An int or a 1/2-sequence of positive ints -> (h, w)."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        vals = (int(value), int(value))
    elif isinstance(value, Sequence) and len(value) in (1, 2):
        vals = (int(value[0]), int(value[-1]))
    else:
        raise ValueError(
            f"{who}: {name} must be an int or a sequence of 1 or 2 ints, got {value!r}"
        )
    if min(vals) <= 0:
        raise ValueError(f"{who}: {name} must be positive, got {value!r}")
    return vals


_PAD_MODES = {"constant", "edge", "reflect", "symmetric"}


def _padding_ltrb(who: str, padding: Any) -> tuple[int, int, int, int]:
    """torchvision's padding (int, (lr, tb) or (l, t, r, b)) -> (left, top, right, bottom)."""
    if isinstance(padding, numbers.Integral) and not isinstance(padding, bool):
        p = int(padding)
        vals = (p, p, p, p)
    elif isinstance(padding, Sequence) and len(padding) == 1:
        vals = (int(padding[0]),) * 4
    elif isinstance(padding, Sequence) and len(padding) == 2:
        vals = (int(padding[0]), int(padding[1]), int(padding[0]), int(padding[1]))
    elif isinstance(padding, Sequence) and len(padding) == 4:
        vals = tuple(int(v) for v in padding)  # type: ignore[assignment]
    else:
        raise ValueError(
            f"{who}: padding must be an int or a sequence of 1, 2 or 4 ints, got {padding!r}"
        )
    if min(vals) < 0:
        raise ValueError(f"{who}: padding must be non-negative, got {padding!r}")
    return vals  # type: ignore[return-value]


def _pad_image(x: Tensor, ltrb: tuple[int, int, int, int], fill: float, mode: str) -> Tensor:
    """Pad the last two dims of (N, C, H, W) by (left, top, right, bottom) in a torchvision
    padding mode; 'symmetric' (edge repeated, like NumPy) is an index gather."""
    left, top, right, bottom = ltrb
    if not any(ltrb):
        return x
    if mode == "constant":
        return F.pad(x, (left, right, top, bottom), mode="constant", value=fill)
    if mode in ("edge", "reflect"):
        return F.pad(x, (left, right, top, bottom), mode="replicate" if mode == "edge" else mode)
    h, w = x.shape[-2], x.shape[-1]
    rows = np.pad(np.arange(h), (top, bottom), mode="symmetric")
    cols = np.pad(np.arange(w), (left, right), mode="symmetric")
    x = x.index_select(-2, _tensor(rows.tolist()))
    return x.index_select(-1, _tensor(cols.tolist()))


class RandomCrop:
    """Crop a random ``size`` window from each image, optionally after padding (torchvision).

    ``padding`` (int, ``(left/right, top/bottom)`` or ``(left, top, right, bottom)``) is
    applied first with ``padding_mode`` in {'constant' (with ``fill``), 'edge', 'reflect',
    'symmetric'}; ``pad_if_needed`` then pads an image smaller than ``size`` on both sides,
    as torchvision does. Offsets are drawn per sample (``randint(0, H - h + 1)``) and the
    windows are gathered for the whole batch with two ``gather`` calls.
    """

    def __init__(
        self,
        size: int | Sequence[int],
        padding: int | Sequence[int] | None = None,
        pad_if_needed: bool = False,
        fill: float = 0,
        padding_mode: str = "constant",
        generator: Generator | None = None,
    ) -> None:
        self.size = _pair("RandomCrop", "size", size)
        self.padding = None if padding is None else _padding_ltrb("RandomCrop", padding)
        self.pad_if_needed = bool(pad_if_needed)
        if isinstance(fill, bool) or not isinstance(fill, numbers.Real):
            raise TypeError(f"RandomCrop: fill must be a number, got {fill!r}")
        self.fill = float(fill)
        if padding_mode not in _PAD_MODES:
            raise ValueError(
                f"RandomCrop: padding_mode must be one of {sorted(_PAD_MODES)}, "
                f"got {padding_mode!r}"
            )
        self.padding_mode = padding_mode
        self.generator = _check_generator("RandomCrop", generator)

    def __call__(self, img: Tensor) -> Tensor:
        x, single = _as_batch("RandomCrop", img)
        if self.padding is not None:
            x = _pad_image(x, self.padding, self.fill, self.padding_mode)
        th, tw = self.size
        if self.pad_if_needed and x.shape[-1] < tw:
            d = tw - x.shape[-1]
            x = _pad_image(x, (d, 0, d, 0), self.fill, self.padding_mode)
        if self.pad_if_needed and x.shape[-2] < th:
            d = th - x.shape[-2]
            x = _pad_image(x, (0, d, 0, d), self.fill, self.padding_mode)
        n, c, h, w = x.shape
        if h < th or w < tw:
            raise ValueError(
                f"RandomCrop: crop size {(th, tw)} is larger than the (padded) input size {(h, w)}"
            )
        top = randint(0, h - th + 1, (n,), generator=self.generator)
        left = randint(0, w - tw + 1, (n,), generator=self.generator)
        rows = (top.view(n, 1) + arange(th).view(1, th)).view(n, 1, th, 1).expand(n, c, th, w)
        x = x.gather(2, rows.contiguous())
        cols = (left.view(n, 1) + arange(tw).view(1, tw)).view(n, 1, 1, tw).expand(n, c, th, tw)
        out = x.gather(3, cols.contiguous())
        return out.squeeze(0) if single else out

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(size={self.size}, padding={self.padding}, "
            f"pad_if_needed={self.pad_if_needed}, fill={self.fill}, "
            f"padding_mode={self.padding_mode!r})"
        )


def _factor_range(name: str, value: Any) -> tuple[float, float] | None:
    """torchvision's ColorJitter ranges: x -> [max(0, 1 - x), 1 + x]; (lo, hi) kept as is;
    a range that is exactly (1, 1) means 'off' (None)."""
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        if value < 0:
            raise ValueError(f"ColorJitter: {name} must be non-negative, got {value!r}")
        lo, hi = max(0.0, 1.0 - float(value)), 1.0 + float(value)
    elif isinstance(value, Sequence) and len(value) == 2:
        lo, hi = float(value[0]), float(value[1])
        if not 0.0 <= lo <= hi:
            raise ValueError(
                f"ColorJitter: {name} range must satisfy 0 <= min <= max, got {value!r}"
            )
    else:
        raise TypeError(
            f"ColorJitter: {name} must be a non-negative number or a (min, max) pair, got {value!r}"
        )
    return None if lo == hi == 1.0 else (lo, hi)


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


def adjust_saturation(x: Tensor, factor: Tensor | float) -> Tensor:
    """torchvision's formula: blend an RGB (N, 3, H, W) image with its grayscale per pixel;
    one-channel images are returned unchanged."""
    if x.shape[1] != 3:
        return x
    return (x * factor + _grayscale(x) * (1.0 - factor)).clamp(0.0, 1.0)


class ColorJitter:
    """Randomly change brightness, contrast and saturation of float images in [0, 1].

    Ranges and formulas are torchvision's: a value ``v`` gives factors uniform on
    ``[max(0, 1 - v), 1 + v]`` (or pass ``(min, max)``); brightness multiplies, contrast
    blends with the image's mean grayscale value, saturation blends with the grayscale image,
    and results are clamped to [0, 1]. Each sample gets its own factors and, as in
    torchvision, the adjustments are applied in a random order (drawn per sample too).
    Hue jitter is not offered.
    """

    def __init__(
        self,
        brightness: float | Sequence[float] = 0,
        contrast: float | Sequence[float] = 0,
        saturation: float | Sequence[float] = 0,
        generator: Generator | None = None,
    ) -> None:
        self.brightness = _factor_range("brightness", brightness)
        self.contrast = _factor_range("contrast", contrast)
        self.saturation = _factor_range("saturation", saturation)
        self.generator = _check_generator("ColorJitter", generator)

    def __call__(self, img: Tensor) -> Tensor:
        x, single = _as_batch("ColorJitter", img)
        if not x.is_floating_point():
            raise TypeError(f"ColorJitter: input must be a float tensor, got {x.dtype}")
        if x.shape[1] not in (1, 3):
            raise ValueError(
                f"ColorJitter: input must have 1 or 3 channels, got shape {tuple(img.shape)}"
            )
        n = x.shape[0]
        ops = []
        for rng, fn in (
            (self.brightness, adjust_brightness),
            (self.contrast, adjust_contrast),
            (self.saturation, adjust_saturation),
        ):
            if rng is not None:
                ops.append((fn, _uniform(n, rng[0], rng[1], self.generator, x)))
        if len(ops) > 1:
            # One random permutation per sample: rank the uniform keys of each row.
            keys = rand(n, len(ops), generator=self.generator)
            order = _argsort_rows(keys)
            out = x
            for step in range(len(ops)):
                choice = order[:, step].view(n, 1, 1, 1)
                candidates = [fn(out, f) for fn, f in ops]
                nxt = candidates[-1]
                for k in range(len(ops) - 2, -1, -1):
                    nxt = where(choice == k, candidates[k], nxt)
                out = nxt
        elif ops:
            fn, f = ops[0]
            out = fn(x, f)
        else:
            out = x
        return out.squeeze(0) if single else out

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(brightness={self.brightness}, contrast={self.contrast}, "
            f"saturation={self.saturation})"
        )


def _argsort_rows(keys: Tensor) -> Tensor:
    """Row-wise argsort of a small (n, k) tensor: rank = number of smaller keys per entry,
    then invert the ranks with a scatter (no argsort op in the core)."""
    n, k = keys.shape
    rank = (keys.unsqueeze(2) > keys.unsqueeze(1)).long().sum(dim=2)  # (n, k)
    positions = arange(k).view(1, k).expand(n, k).contiguous()
    return positions.scatter(1, rank, positions)


class GaussianNoise:
    """Add i.i.d. normal noise ``mean + std * randn`` to every pixel (Keras' GaussianNoise,
    torchvision v2's GaussianNoise with ``sigma`` named ``std``); ``clip=True`` clamps the
    result to [0, 1] as torchvision does by default."""

    def __init__(
        self,
        mean: float = 0.0,
        std: float = 0.1,
        clip: bool = False,
        generator: Generator | None = None,
    ) -> None:
        if isinstance(mean, bool) or not isinstance(mean, numbers.Real):
            raise TypeError(f"GaussianNoise: mean must be a number, got {mean!r}")
        if isinstance(std, bool) or not isinstance(std, numbers.Real) or std < 0:
            raise ValueError(f"GaussianNoise: std must be a non-negative number, got {std!r}")
        self.mean, self.std, self.clip = float(mean), float(std), bool(clip)
        self.generator = _check_generator("GaussianNoise", generator)

    def __call__(self, img: Tensor) -> Tensor:
        if not isinstance(img, Tensor):
            raise TypeError(f"GaussianNoise: input must be a Tensor, got {type(img).__name__}")
        if not img.is_floating_point():
            raise TypeError(f"GaussianNoise: input must be a float tensor, got {img.dtype}")
        noise = randn(*img.shape, generator=self.generator).to(img.dtype)
        out = img + (noise * self.std + self.mean)
        return out.clamp(0.0, 1.0) if self.clip else out

    def __repr__(self) -> str:
        return f"{type(self).__name__}(mean={self.mean}, std={self.std}, clip={self.clip})"
