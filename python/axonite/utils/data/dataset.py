"""Datasets (PyTorch's torch.utils.data.dataset): the map-style ``Dataset`` and iterable-style
``IterableDataset`` bases, ``TensorDataset``, ``Subset``, ``ConcatDataset``, ``ChainDataset`` and
``random_split``. Batching and sampling live in dataloader.py and sampler.py; the DataLoader's
fast path reads TensorDataset/Subset through ``_tensor_source`` defined here."""

from __future__ import annotations

import abc
import bisect
import itertools
import math
import warnings
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Generic, TypeVar

import axonite as ax
from axonite import Tensor

T_co = TypeVar("T_co", covariant=True)

__all__ = [
    "ChainDataset",
    "ConcatDataset",
    "Dataset",
    "IterableDataset",
    "Subset",
    "TensorDataset",
    "random_split",
]


class Dataset(abc.ABC, Generic[T_co]):
    """A map-style dataset: ``dataset[i]`` returns sample ``i``. Subclasses implement
    ``__getitem__`` and usually ``__len__`` (samplers and ``len(DataLoader)`` need it).
    ``a + b`` concatenates two datasets into a ``ConcatDataset``."""

    @abc.abstractmethod
    def __getitem__(self, index: Any) -> T_co:
        """Sample number ``index``."""

    def __add__(self, other: Dataset[T_co]) -> ConcatDataset[T_co]:
        return ConcatDataset([self, other])


class IterableDataset(Dataset[T_co]):
    """An iterable-style dataset: samples come from ``iter(dataset)`` (streams, generators,
    files read in order). The DataLoader batches consecutive samples; it cannot shuffle them.
    ``a + b`` chains two iterable datasets into a ``ChainDataset``."""

    @abc.abstractmethod
    def __iter__(self) -> Iterator[T_co]:
        """The samples, in order."""

    def __getitem__(self, index: Any) -> T_co:
        # Indexing makes no sense for a stream; fail loudly instead of returning garbage.
        raise TypeError(
            f"{type(self).__name__}: an IterableDataset does not support indexing "
            f"(got index {index!r}); iterate over it instead"
        )

    def __add__(self, other: Dataset[T_co]) -> ChainDataset:  # type: ignore[override]
        return ChainDataset([self, other])


class TensorDataset(Dataset[tuple[Tensor, ...]]):
    """Samples are rows of tensors that share their first dimension: ``dataset[i]`` is
    ``tuple(t[i] for t in tensors)``. The DataLoader batches it with one ``index_select`` per
    tensor instead of stacking rows one by one.

    Example::

        ds = TensorDataset(ax.randn(100, 3), ax.randint(0, 2, (100,)))
        x, y = ds[0]  # shapes (3,) and ()
    """

    def __init__(self, *tensors: Tensor) -> None:
        if not tensors:
            raise ValueError("TensorDataset: needs at least one tensor, got none")
        for i, t in enumerate(tensors):
            if not isinstance(t, Tensor):
                raise TypeError(
                    f"TensorDataset: tensors[{i}] must be an axonite Tensor, got {type(t).__name__}"
                )
            if t.ndim == 0:
                raise ValueError(
                    f"TensorDataset: tensors[{i}] must have at least one dimension, got a "
                    f"0-d tensor"
                )
        sizes = [int(t.shape[0]) for t in tensors]
        if any(s != sizes[0] for s in sizes):
            raise ValueError(
                f"TensorDataset: all tensors must have the same size in dim 0, got sizes {sizes}"
            )
        self.tensors: tuple[Tensor, ...] = tuple(tensors)

    def __getitem__(self, index: Any) -> tuple[Tensor, ...]:
        return tuple(t[index] for t in self.tensors)

    def __len__(self) -> int:
        return int(self.tensors[0].shape[0])


class Subset(Dataset[T_co]):
    """The samples of ``dataset`` at ``indices``, in that order: ``subset[i]`` is
    ``dataset[indices[i]]``. ``indices`` may be a sequence of ints or an int64 tensor."""

    def __init__(self, dataset: Dataset[T_co], indices: Sequence[int] | Tensor) -> None:
        self.dataset = dataset
        self.indices = indices

    @property
    def indices(self) -> Sequence[int] | Tensor:
        return self._indices

    @indices.setter
    def indices(self, value: Sequence[int] | Tensor) -> None:
        # Reassigning the indices must drop the cached tensor the DataLoader fast path uses.
        self._indices = value
        self._index_cache: Tensor | None = None

    def __getitem__(self, idx: Any) -> T_co:
        if isinstance(idx, list):
            return self.dataset[[int(self._indices[i]) for i in idx]]
        return self.dataset[int(self._indices[idx])]

    def __getitems__(self, indices: list[int]) -> list[T_co]:
        """Samples at several positions, forwarded to the parent's ``__getitems__`` when it has
        one (PyTorch's batched fetch protocol)."""
        parent = [int(self._indices[i]) for i in indices]
        getitems = getattr(self.dataset, "__getitems__", None)
        if callable(getitems):
            return getitems(parent)
        return [self.dataset[i] for i in parent]

    def __len__(self) -> int:
        return len(self._indices)

    def _index_tensor(self) -> Tensor:
        """The indices as an int64 tensor with negatives wrapped, cached (fast-path helper)."""
        if self._index_cache is None:
            raw = self._indices
            t = raw.long() if isinstance(raw, Tensor) else ax.tensor(list(raw), dtype=ax.int64)
            if t.ndim != 1:
                raise ValueError(f"Subset: indices must be 1-d, got shape {list(t.shape)}")
            n = len(self.dataset)  # type: ignore[arg-type]
            self._index_cache = ax.where(t < 0, t + n, t).contiguous()
        return self._index_cache


def _tensor_source(dataset: Any) -> tuple[tuple[Tensor, ...], list[Subset[Any]]] | None:
    """``(tensors, subsets)`` when ``dataset`` is a TensorDataset, or Subsets (outermost first)
    of one, with the stock ``__getitem__``; None otherwise. A batch at positions ``idx`` of
    ``dataset`` is then ``t.index_select(0, mapped)`` with ``idx`` mapped through each subset."""
    subsets: list[Subset[Any]] = []
    while isinstance(dataset, Subset):
        if type(dataset).__getitem__ is not Subset.__getitem__:
            return None
        subsets.append(dataset)
        dataset = dataset.dataset
    if isinstance(dataset, TensorDataset) and (
        type(dataset).__getitem__ is TensorDataset.__getitem__
    ):
        return dataset.tensors, subsets
    return None


class ConcatDataset(Dataset[T_co]):
    """Map-style datasets laid end to end: index ``i`` falls in the first dataset whose
    cumulative size exceeds it."""

    datasets: list[Dataset[T_co]]
    cumulative_sizes: list[int]

    @staticmethod
    def cumsum(sequence: Iterable[Any]) -> list[int]:
        """Running totals of ``len(d)`` over the datasets."""
        return list(itertools.accumulate(len(d) for d in sequence))

    def __init__(self, datasets: Iterable[Dataset[Any]]) -> None:
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset: datasets should not be an empty iterable")
        for i, d in enumerate(self.datasets):
            if isinstance(d, IterableDataset):
                raise TypeError(
                    f"ConcatDataset: datasets[{i}] is an IterableDataset "
                    f"({type(d).__name__}); use ChainDataset for iterable datasets"
                )
        self.cumulative_sizes = self.cumsum(self.datasets)

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, idx: int) -> T_co:
        n = len(self)
        if idx < 0:
            if -idx > n:
                raise IndexError(f"ConcatDataset: index {idx} is out of range for length {n}")
            idx = n + idx
        if idx >= n:
            raise IndexError(f"ConcatDataset: index {idx} is out of range for length {n}")
        which = bisect.bisect_right(self.cumulative_sizes, idx)
        offset = idx if which == 0 else idx - self.cumulative_sizes[which - 1]
        return self.datasets[which][offset]


class ChainDataset(IterableDataset[Any]):
    """Iterable datasets read one after another (the iterable counterpart of ConcatDataset)."""

    def __init__(self, datasets: Iterable[Dataset[Any]]) -> None:
        self.datasets = list(datasets)
        for i, d in enumerate(self.datasets):
            if not isinstance(d, IterableDataset):
                raise TypeError(
                    f"ChainDataset: datasets[{i}] must be an IterableDataset, got "
                    f"{type(d).__name__}"
                )

    def __iter__(self) -> Iterator[Any]:
        for d in self.datasets:
            yield from d

    def __len__(self) -> int:
        return sum(len(d) for d in self.datasets)  # type: ignore[arg-type]


def random_split(
    dataset: Dataset[T_co],
    lengths: Sequence[int | float],
    generator: ax.Generator | None = None,
) -> list[Subset[T_co]]:
    """Splits ``dataset`` into non-overlapping random Subsets of the given lengths.

    ``lengths`` are either ints summing to ``len(dataset)`` or fractions summing to 1; fractions
    become ``floor(n * frac)`` items and the remainder is dealt one item at a time, round robin,
    starting with the first split (PyTorch's rule). The permutation comes from ``generator``, or
    the global generator when None, so ``ax.manual_seed`` makes it repeatable.

    Example::

        train, val = random_split(ds, [0.8, 0.2], generator=ax.Generator().manual_seed(0))
    """
    if not isinstance(lengths, Sequence) or isinstance(lengths, str):
        raise TypeError(
            f"random_split: lengths must be a sequence of ints or fractions, got "
            f"{type(lengths).__name__}"
        )
    if len(lengths) == 0:
        raise ValueError("random_split: lengths must not be empty")
    n = len(dataset)  # type: ignore[arg-type]
    total = sum(lengths)
    if math.isclose(total, 1) and total <= 1:
        counts = []
        for i, frac in enumerate(lengths):
            if not 0 <= frac <= 1:
                raise ValueError(
                    f"random_split: fraction at index {i} is not between 0 and 1, got {frac}"
                )
            counts.append(math.floor(n * frac))
        # The remainder is smaller than len(lengths): this loop is over splits, not samples.
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
        for i, c in enumerate(counts):
            if c == 0:
                warnings.warn(
                    f"random_split: length of split at index {i} is 0; this split will be empty",
                    UserWarning,
                    stacklevel=2,
                )
    else:
        for i, c in enumerate(lengths):
            if isinstance(c, bool) or not isinstance(c, int) or c < 0:
                raise ValueError(
                    f"random_split: lengths must be non-negative ints or fractions summing to "
                    f"1, got {c!r} at index {i}"
                )
        counts = [int(c) for c in lengths]
    if sum(counts) != n:
        raise ValueError(
            f"random_split: sum of input lengths {list(lengths)} is {sum(counts)}, which does "
            f"not equal the length of the input dataset ({n})"
        )
    perm = ax.randperm(n, generator=generator)
    out: list[Subset[T_co]] = []
    for stop, c in zip(itertools.accumulate(counts), counts, strict=True):
        out.append(Subset(dataset, perm.narrow(0, stop - c, c).tolist()))
    return out
