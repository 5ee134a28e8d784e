"""Random image augmentations for one (C, H, W) image or a (N, C, H, W) batch.

The classes mirror torchvision's names, arguments and formulas, with one difference that
matters for batches: every random decision (flip or not, crop offset, jitter factor, noise)
is drawn *per sample* in one vectorized call and applied with tensor ops, so a whole batch
is augmented at once instead of image by image. Each transform takes ``generator=`` (an
``ax.Generator``) so that a seeded pipeline repeats exactly; without one the global RNG
(``ax.manual_seed``) is used. ``RandomAffine`` warps the whole batch with one ``affine_grid``
+ ``grid_sample`` call. ``Compose``, ``Normalize`` and ``ToTensor`` are re-exported from
:mod:`axonite.datasets.transforms`.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

from .._C import (
    Generator,
    Tensor,
    arange,
    cat,
    float64,
    ones,
    rand,
    randint,
    randn,
    stack,
    where,
    zeros,
)
from .._tensor import tensor as _tensor
from ..datasets.transforms import Compose, Normalize, ToTensor
from ..nn import functional as F
from .color import (
    adjust_brightness,
    adjust_contrast,
    adjust_hue,
    adjust_saturation,
)

__all__ = [
    "ColorJitter",
    "Compose",
    "GaussianNoise",
    "Normalize",
    "RandomAffine",
    "RandomCrop",
    "RandomHorizontalFlip",
    "RandomVerticalFlip",
    "ToTensor",
    "affine",
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


def _hue_range(value: Any) -> tuple[float, float] | None:
    """torchvision's ColorJitter hue range: h -> [-h, h] with 0 <= h <= 0.5, or (lo, hi) inside
    [-0.5, 0.5]; (0, 0) means 'off' (None)."""
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        if not 0.0 <= float(value) <= 0.5:
            raise ValueError(f"ColorJitter: hue must be in [0, 0.5], got {value!r}")
        lo, hi = -float(value), float(value)
    elif isinstance(value, Sequence) and len(value) == 2:
        lo, hi = float(value[0]), float(value[1])
        if not -0.5 <= lo <= hi <= 0.5:
            raise ValueError(
                f"ColorJitter: hue range must satisfy -0.5 <= min <= max <= 0.5, got {value!r}"
            )
    else:
        raise TypeError(f"ColorJitter: hue must be a number or a (min, max) pair, got {value!r}")
    return None if lo == hi == 0.0 else (lo, hi)


class ColorJitter:
    """Randomly change brightness, contrast, saturation and hue of float images in [0, 1].

    Ranges and formulas are torchvision's: a value ``v`` gives factors uniform on
    ``[max(0, 1 - v), 1 + v]`` (or pass ``(min, max)``); brightness multiplies, contrast
    blends with the image's mean grayscale value, saturation blends with the grayscale image,
    and results are clamped to [0, 1]. ``hue`` ``h`` in [0, 0.5] shifts the hue by a uniform
    amount in ``[-h, h]`` turns of the colour wheel (or pass ``(min, max)`` inside
    [-0.5, 0.5]) through RGB -> HSV -> RGB; it needs 3-channel input (unlike torchvision,
    which passes grey images through, a 1-channel input with hue set is an error). Each
    sample gets its own factors and, as in torchvision, the adjustments are applied in a
    random order (drawn per sample too).
    """

    def __init__(
        self,
        brightness: float | Sequence[float] = 0,
        contrast: float | Sequence[float] = 0,
        saturation: float | Sequence[float] = 0,
        hue: float | Sequence[float] = 0,
        generator: Generator | None = None,
    ) -> None:
        self.brightness = _factor_range("brightness", brightness)
        self.contrast = _factor_range("contrast", contrast)
        self.saturation = _factor_range("saturation", saturation)
        self.hue = _hue_range(hue)
        self.generator = _check_generator("ColorJitter", generator)

    def __call__(self, img: Tensor) -> Tensor:
        x, single = _as_batch("ColorJitter", img)
        if not x.is_floating_point():
            raise TypeError(f"ColorJitter: input must be a float tensor, got {x.dtype}")
        if x.shape[1] not in (1, 3):
            raise ValueError(
                f"ColorJitter: input must have 1 or 3 channels, got shape {tuple(img.shape)}"
            )
        if self.hue is not None and x.shape[1] != 3:
            raise ValueError(
                f"ColorJitter: hue jitter needs 3-channel (RGB) input, got shape {tuple(img.shape)}"
            )
        n = x.shape[0]
        ops = []
        for rng, fn in (
            (self.brightness, adjust_brightness),
            (self.contrast, adjust_contrast),
            (self.saturation, adjust_saturation),
            (self.hue, adjust_hue),
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
            f"saturation={self.saturation}, hue={self.hue})"
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


def _angle_range(name: str, value: Any, sizes: tuple[int, ...]) -> tuple[float, ...]:
    """torchvision's _setup_angle: a number d >= 0 -> (-d, d); otherwise a sequence with one of
    the lengths in ``sizes``, read as (min, max) pairs."""
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        if value < 0:
            raise ValueError(
                f"RandomAffine: if {name} is a single number it must be non-negative, got {value!r}"
            )
        return (-float(value), float(value))
    lengths = " or ".join(str(k) for k in sizes)
    if not isinstance(value, Sequence) or isinstance(value, str) or len(value) not in sizes:
        raise TypeError(
            f"RandomAffine: {name} must be a number or a sequence of {lengths} numbers, "
            f"got {value!r}"
        )
    vals = tuple(float(v) for v in value)
    if any(lo > hi for lo, hi in zip(vals[0::2], vals[1::2], strict=True)):
        raise ValueError(
            f"RandomAffine: {name} ranges must be (min, max) with min <= max, got {value!r}"
        )
    return vals


def _per_sample(who: str, name: str, value: Any, n: int, k: int) -> Tensor:
    """A number, a k-sequence or a tensor of shape (), (k,), (n,) (k = 1) or (n, k) as a
    float64 (n, k) tensor: one row of parameters per sample."""
    t = (value.detach() if isinstance(value, Tensor) else _tensor(value, dtype=float64)).to(float64)
    shape = tuple(t.shape)
    if shape in ((), (k,)):
        return t.reshape(1, k).expand(n, k)
    if shape == (n, k) or (k == 1 and shape == (n,)):
        return t.reshape(n, k)
    raise ValueError(
        f"{who}: {name} must be a number, {k} number(s) or a tensor of shape ({n}, {k}) (one row "
        f"per sample), got shape {tuple(t.shape)}"
    )


def _affine_theta(
    angle: Tensor, translate: Tensor, scale: Tensor, shear: Tensor, h: int, w: int
) -> Tensor:
    """Per-sample (n, 2, 3) ``affine_grid`` matrices (align_corners=False) of torchvision's
    ``affine``: its inverse map ``_get_inverse_affine_matrix`` about the image centre, in pixel
    units, rescaled to normalized coordinates. Inputs are float64 (n,) / (n, 2) tensors,
    angles in degrees."""
    rad = math.pi / 180.0
    rot, sx, sy = angle * rad, shear[:, 0] * rad, shear[:, 1] * rad
    # Rotation-scale-shear R(rot) S(scale) SHy(sy) SHx(sx) = [[a, b], [c, d]] * scale.
    tan_sx, cos_sy = sx.sin() / sx.cos(), sy.cos()
    a = (rot - sy).cos() / cos_sy
    b = -(rot - sy).cos() * tan_sx / cos_sy - rot.sin()
    c = (rot - sy).sin() / cos_sy
    d = -(rot - sy).sin() * tan_sx / cos_sy + rot.cos()
    # Its inverse (the determinant of [[a, b], [c, d]] is 1), then the inverse translation.
    m0, m1, m3, m4 = d / scale, -b / scale, -c / scale, a / scale
    tx, ty = translate[:, 0], translate[:, 1]
    m2 = -(m0 * tx + m1 * ty)
    m5 = -(m3 * tx + m4 * ty)
    # Pixel offsets from the centre -> [-1, 1]: x scales by w / 2, y by h / 2.
    rows = [m0, m1 * (h / w), m2 * (2.0 / w), m3 * (w / h), m4, m5 * (2.0 / h)]
    return stack(rows, dim=1).view(-1, 2, 3)


def affine(
    img: Tensor,
    angle: Any,
    translate: Any,
    scale: Any,
    shear: Any,
    interpolation: str = "nearest",
    fill: float | Sequence[float] = 0,
) -> Tensor:
    """torchvision's ``F.affine`` for one (C, H, W) image or a (N, C, H, W) batch, with one set
    of parameters for all samples or one per sample (tensors with a leading dim of N).

    ``angle`` (degrees; as in torchvision's ``affine``, a positive angle turns the image
    clockwise as displayed, the opposite of ``rotate``), ``translate`` (dx, dy) in pixels,
    ``scale`` and ``shear`` (sx, sy) in degrees describe the map about the image centre;
    each output pixel reads the input at the inverse map (one ``affine_grid`` + ``grid_sample``
    for the batch, ``interpolation`` 'nearest' or 'bilinear'). Pixels that come from outside
    the image get ``fill`` (a number or one per channel), blended by the sampled coverage in
    bilinear mode, exactly as torchvision does.
    """
    x, single = _as_batch("affine", img)
    if not x.is_floating_point():
        raise TypeError(f"affine: input must be a float tensor, got {x.dtype}")
    if interpolation not in ("nearest", "bilinear"):
        raise ValueError(
            f"affine: interpolation must be 'nearest' or 'bilinear', got {interpolation!r}"
        )
    n, c, h, w = x.shape
    # torchvision: a single shear value (or a 1-sequence) is an x-shear.
    if isinstance(shear, numbers.Real) and not isinstance(shear, bool):
        shear = (float(shear), 0.0)
    elif isinstance(shear, Sequence) and len(shear) == 1:
        shear = (float(shear[0]), 0.0)
    theta = _affine_theta(
        _per_sample("affine", "angle", angle, n, 1)[:, 0],
        _per_sample("affine", "translate", translate, n, 2),
        _per_sample("affine", "scale", scale, n, 1)[:, 0],
        _per_sample("affine", "shear", shear, n, 2),
        h,
        w,
    ).to(x.dtype)
    fill_img = _fill_tensor("affine", fill, c, x)
    # A ones channel rides along to tell, per output pixel, how much came from inside the image.
    grid = F.affine_grid(theta, (n, c + 1, h, w), align_corners=False)
    both = cat([x, ones(n, 1, h, w, dtype=x.dtype)], dim=1)
    out = F.grid_sample(both, grid, mode=interpolation, padding_mode="zeros", align_corners=False)
    img_out, mask = out[:, :c], out[:, c:]
    if interpolation == "nearest":
        res = where(mask < 0.5, fill_img, img_out)
    else:
        res = img_out * mask + (1.0 - mask) * fill_img
    return res.squeeze(0) if single else res


def _fill_tensor(who: str, fill: Any, c: int, like: Tensor) -> Tensor:
    """A fill number, or one per channel, as a (1, C, 1, 1) tensor of like's dtype."""
    if isinstance(fill, numbers.Real) and not isinstance(fill, bool):
        vals = [float(fill)] * c
    elif isinstance(fill, Sequence) and not isinstance(fill, str) and len(fill) in (1, c):
        vals = [float(v) for v in fill] * (c if len(fill) == 1 else 1)
    else:
        raise ValueError(
            f"{who}: fill must be a number or a sequence of 1 or {c} numbers (one per channel), "
            f"got {fill!r}"
        )
    return _tensor(vals, dtype=like.dtype).view(1, c, 1, 1)


class RandomAffine:
    """Random affine warp (rotation, translation, scale, shear) about the image centre, with
    torchvision's arguments and formulas.

    ``degrees``: d (>= 0) for angles uniform on [-d, d], or (min, max). As in torchvision's
    ``RandomAffine`` (which calls ``F.affine``), a positive angle turns the image clockwise as
    displayed. ``translate``: (fx, fy) fractions of width/height; shifts are drawn uniform on
    [-fx * W, fx * W] (and likewise for y) and rounded to whole pixels. ``scale``: (lo, hi).
    ``shear``: s for an x-shear uniform on [-s, s] degrees, (min, max) for x only, or
    (xmin, xmax, ymin, ymax). ``interpolation``: 'nearest' or 'bilinear'; ``fill``: value(s)
    for pixels that come from outside the image.

    All per-sample parameters come from one ``rand(N, 6)`` draw (so a seeded ``generator``
    repeats exactly) and the batch is warped with one ``affine_grid`` + ``grid_sample``.
    """

    def __init__(
        self,
        degrees: float | Sequence[float],
        translate: Sequence[float] | None = None,
        scale: Sequence[float] | None = None,
        shear: float | Sequence[float] | None = None,
        interpolation: str = "nearest",
        fill: float | Sequence[float] = 0,
        generator: Generator | None = None,
    ) -> None:
        self.degrees = _angle_range("degrees", degrees, (2,))
        self.translate = _unit_pair("translate", translate, lambda v: 0.0 <= v <= 1.0)
        self.scale = _unit_pair("scale", scale, lambda v: v > 0.0)
        if self.scale is not None and self.scale[0] > self.scale[1]:
            raise ValueError(
                f"RandomAffine: scale must be (min, max) with min <= max, got {scale!r}"
            )
        self.shear = None if shear is None else _angle_range("shear", shear, (2, 4))
        if interpolation not in ("nearest", "bilinear"):
            raise ValueError(
                f"RandomAffine: interpolation must be 'nearest' or 'bilinear', got {interpolation!r}"
            )
        self.interpolation = interpolation
        if not (isinstance(fill, numbers.Real) and not isinstance(fill, bool)) and not (
            isinstance(fill, Sequence) and not isinstance(fill, str)
        ):
            raise TypeError(f"RandomAffine: fill must be a number or a sequence, got {fill!r}")
        self.fill = fill
        self.generator = _check_generator("RandomAffine", generator)

    def get_params(self, n: int, height: int, width: int) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        """Per-sample parameters as float64 tensors: angle (n,) in degrees, translate (n, 2) in
        whole pixels, scale (n,) and shear (n, 2) in degrees (torchvision's ``get_params``,
        vectorized over the batch with a single uniform draw)."""
        u = rand(n, 6, generator=self.generator, dtype=float64)
        lo, hi = self.degrees
        angle = u[:, 0] * (hi - lo) + lo
        if self.translate is not None:
            span = _tensor([self.translate[0] * width, self.translate[1] * height], dtype=float64)
            translate = ((u[:, 1:3] * 2.0 - 1.0) * span).round()
        else:
            translate = zeros(n, 2, dtype=float64)
        scale = ones(n, dtype=float64)
        if self.scale is not None:
            scale = u[:, 3] * (self.scale[1] - self.scale[0]) + self.scale[0]
        shear = zeros(n, 2, dtype=float64)
        if self.shear is not None:
            # An x-only range leaves the y-shear at 0 (its column is drawn but unused).
            sh = self.shear if len(self.shear) == 4 else (*self.shear, 0.0, 0.0)
            shear = u[:, 4:6] * _tensor([sh[1] - sh[0], sh[3] - sh[2]], dtype=float64)
            shear = shear + _tensor([sh[0], sh[2]], dtype=float64)
        return angle, translate, scale, shear

    def __call__(self, img: Tensor) -> Tensor:
        x, single = _as_batch("RandomAffine", img)
        n, _, h, w = x.shape
        angle, translate, scale, shear = self.get_params(n, h, w)
        out = affine(x, angle, translate, scale, shear, self.interpolation, self.fill)
        return out.squeeze(0) if single else out

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(degrees={self.degrees}, translate={self.translate}, "
            f"scale={self.scale}, shear={self.shear}, interpolation={self.interpolation!r}, "
            f"fill={self.fill})"
        )


def _unit_pair(name: str, value: Any, ok: Any) -> tuple[float, float] | None:
    """None, or a pair of numbers each passing ``ok`` (translate: in [0, 1]; scale: > 0)."""
    if value is None:
        return None
    if not isinstance(value, Sequence) or isinstance(value, str) or len(value) != 2:
        raise TypeError(f"RandomAffine: {name} must be a sequence of 2 numbers, got {value!r}")
    pair = (float(value[0]), float(value[1]))
    if not all(ok(v) for v in pair):
        rule = "in [0, 1]" if name == "translate" else "positive"
        raise ValueError(f"RandomAffine: {name} values must be {rule}, got {value!r}")
    return pair
