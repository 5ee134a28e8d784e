"""Samplers (PyTorch's torch.utils.data.sampler): index orders for a DataLoader epoch, plus the
axonite extra ``BootstrapSampler`` for bagging. Every built-in sampler draws a whole epoch as one
int64 tensor (``_indices``), which the DataLoader slices into batches without per-sample Python
work, and records the generator state the epoch started from so a loader can resume mid-epoch
(see Note [Resumable epochs])."""

from __future__ import annotations

import abc
import itertools
from collections.abc import Iterable, Iterator, Sequence, Sized
from typing import Any, Generic, TypeVar

import numpy as np

import axonite as ax
from axonite import Tensor

T_co = TypeVar("T_co", covariant=True)

__all__ = [
    "BatchSampler",
    "BootstrapSampler",
    "RandomSampler",
    "Sampler",
    "SequentialSampler",
    "SubsetRandomSampler",
    "WeightedRandomSampler",
]

# Note [Resumable epochs]
# A random sampler draws its whole epoch when iterated, from ``self.generator`` or, when that
# is None, from a private generator seeded by one draw from the global generator (as PyTorch's
# RandomSampler does). Just before drawing it stores that generator's state in ``_epoch_state``
# (a list of ints) and bumps ``_draws``. DataLoader.state_dict() reports ``_epoch_state`` plus
# the number of batches already yielded; load_state_dict() puts the state in ``_resume_state``,
# and the next draw starts from it instead (without touching the global generator, whose draw
# for that epoch happened before the checkpoint). Replaying the draw reproduces the epoch's
# order and leaves the generator exactly where uninterrupted iteration would have.


class Sampler(abc.ABC, Generic[T_co]):
    """Base class: an iterable over dataset indices (or, for batch samplers, lists of them).
    Subclasses implement ``__iter__`` and, where the length is known, ``__len__``."""

    def __init__(self, data_source: Sized | None = None) -> None:
        # PyTorch keeps the argument for backward compatibility and ignores it; so do we.
        del data_source

    @abc.abstractmethod
    def __iter__(self) -> Iterator[T_co]:
        """The indices of one epoch."""


class _IndexSampler(Sampler[int]):
    """A sampler whose epoch is one int64 tensor; the DataLoader uses ``_indices`` directly."""

    @abc.abstractmethod
    def _indices(self) -> Tensor:
        """The indices of one epoch as a 1-d int64 tensor (draws from the generator)."""

    def __iter__(self) -> Iterator[int]:
        # Draw eagerly: iter(sampler) fixes the epoch, so the generator advances at a
        # well-defined point (the DataLoader relies on this for resumption).
        return iter(self._indices().tolist())


def _is_index_sampler(sampler: object) -> bool:
    """True for built-in samplers whose iteration is exactly ``_indices()`` (not overridden)."""
    return isinstance(sampler, _IndexSampler) and type(sampler).__iter__ is _IndexSampler.__iter__


def _check_generator(owner: str, generator: object) -> None:
    if generator is not None and not isinstance(generator, ax.Generator):
        raise TypeError(
            f"{owner}: generator must be an axonite Generator or None, got "
            f"{type(generator).__name__}"
        )


class _RandomIndexSampler(_IndexSampler):
    """Shared generator handling for the random samplers (Note [Resumable epochs])."""

    generator: ax.Generator | None

    def _init_random(self, owner: str, generator: ax.Generator | None) -> None:
        _check_generator(owner, generator)
        self.generator = generator
        self._epoch_state: list[int] | None = None
        self._resume_state: list[int] | None = None
        self._draws = 0

    def _epoch_generator(self) -> ax.Generator:
        """The generator this epoch draws from; records its state before any draw."""
        if self._resume_state is not None:
            g = self.generator if self.generator is not None else ax.Generator()
            g.set_state(ax.tensor(self._resume_state, dtype=ax.int64))
            self._resume_state = None
        elif self.generator is not None:
            g = self.generator
        else:
            g = ax.Generator()
            g.manual_seed(int(ax.randint(0, 2**63 - 1, (1,)).item()))
        self._epoch_state = [int(v) for v in g.get_state().tolist()]
        self._draws += 1
        return g


class SequentialSampler(_IndexSampler):
    """Indices ``0, 1, ..., len(data_source) - 1`` in order."""

    def __init__(self, data_source: Sized) -> None:
        self.data_source = data_source

    def _indices(self) -> Tensor:
        return ax.arange(len(self.data_source), dtype=ax.int64)

    def __len__(self) -> int:
        return len(self.data_source)


def _check_num_samples(owner: str, num_samples: object) -> None:
    if isinstance(num_samples, bool) or not isinstance(num_samples, int) or num_samples <= 0:
        raise ValueError(
            f"{owner}: num_samples should be a positive integer value, got "
            f"num_samples={num_samples!r}"
        )


def _check_bool(owner: str, name: str, value: object) -> None:
    if not isinstance(value, bool):
        raise TypeError(f"{owner}: {name} should be a boolean value, got {name}={value!r}")


class RandomSampler(_RandomIndexSampler):
    """Random order. Without replacement, ``num_samples`` (default ``len(data_source)``) beyond
    the dataset size repeats whole permutations; with replacement, indices are drawn uniformly.

    Args:
        data_source: dataset to sample from (only its length is used).
        replacement: draw with replacement.
        num_samples: indices per epoch (default ``len(data_source)``).
        generator: ``ax.Generator`` to draw from; None draws a fresh seed from the global one.
    """

    def __init__(
        self,
        data_source: Sized,
        replacement: bool = False,
        num_samples: int | None = None,
        generator: ax.Generator | None = None,
    ) -> None:
        _check_bool("RandomSampler", "replacement", replacement)
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self._init_random("RandomSampler", generator)
        _check_num_samples("RandomSampler", self.num_samples)

    @property
    def num_samples(self) -> int:
        # Read lazily: the dataset size may change between construction and iteration.
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def _indices(self) -> Tensor:
        n = len(self.data_source)
        if n <= 0:
            raise ValueError(f"RandomSampler: data_source is empty (length {n})")
        g = self._epoch_generator()
        if self.replacement:
            return ax.randint(0, n, (self.num_samples,), generator=g)
        full, rest = divmod(self.num_samples, n)
        parts = [ax.randperm(n, generator=g) for _ in range(full)]
        if rest:
            parts.append(ax.randperm(n, generator=g).narrow(0, 0, rest).contiguous())
        return parts[0] if len(parts) == 1 else ax.cat(parts)

    def __len__(self) -> int:
        return self.num_samples


def _as_index_tensor(owner: str, indices: Sequence[int] | Tensor) -> Tensor:
    t = indices.long() if isinstance(indices, Tensor) else ax.tensor(list(indices), dtype=ax.int64)
    if t.ndim != 1:
        raise ValueError(f"{owner}: indices must be 1-d, got shape {list(t.shape)}")
    return t.contiguous()


class SubsetRandomSampler(_RandomIndexSampler):
    """The given indices in random order, without replacement."""

    def __init__(self, indices: Sequence[int] | Tensor, generator: ax.Generator | None = None):
        self.indices = indices
        self._index_tensor = _as_index_tensor("SubsetRandomSampler", indices)
        self._init_random("SubsetRandomSampler", generator)

    def _indices(self) -> Tensor:
        perm = ax.randperm(len(self._index_tensor), generator=self._epoch_generator())
        return self._index_tensor.index_select(0, perm)

    def __len__(self) -> int:
        return len(self._index_tensor)


class WeightedRandomSampler(_RandomIndexSampler):
    """Indices ``0..len(weights)-1`` drawn with probability proportional to ``weights``
    (which need not sum to one), with or without replacement."""

    def __init__(
        self,
        weights: Sequence[float] | Tensor,
        num_samples: int,
        replacement: bool = True,
        generator: ax.Generator | None = None,
    ) -> None:
        _check_num_samples("WeightedRandomSampler", num_samples)
        _check_bool("WeightedRandomSampler", "replacement", replacement)
        w = (
            weights.double()
            if isinstance(weights, Tensor)
            else ax.tensor(np.asarray(weights, dtype=np.float64))
        )
        if w.ndim != 1:
            raise ValueError(
                f"WeightedRandomSampler: weights should be a 1d sequence, got shape {list(w.shape)}"
            )
        if not replacement and num_samples > len(w):
            raise ValueError(
                f"WeightedRandomSampler: cannot draw num_samples={num_samples} without "
                f"replacement from {len(w)} weights"
            )
        self.weights = w.contiguous()
        self.num_samples = num_samples
        self.replacement = replacement
        self._init_random("WeightedRandomSampler", generator)

    def _indices(self) -> Tensor:
        return ax.multinomial(
            self.weights, self.num_samples, self.replacement, generator=self._epoch_generator()
        )

    def __len__(self) -> int:
        return self.num_samples


class BootstrapSampler(_RandomIndexSampler):
    """Bootstrap resampling for bagging (axonite extra): each epoch draws ``num_samples``
    (default n) indices uniformly with replacement from ``0..n-1``. About 36.8 % of the samples
    are left out of each draw; ``out_of_bag_indices()`` returns them for the last draw, to
    score each bagged model on data it did not see.

    Args:
        data_source: a dataset (its length is used) or the number of samples n.
        num_samples: indices per draw (default n).
        generator: ``ax.Generator`` to draw from; None draws a fresh seed from the global one.

    Example::

        s = BootstrapSampler(ds, generator=ax.Generator().manual_seed(0))
        loader = DataLoader(ds, batch_size=32, sampler=s)
        for xb, yb in loader: ...
        oob = Subset(ds, s.out_of_bag_indices())
    """

    def __init__(
        self,
        data_source: Sized | int,
        num_samples: int | None = None,
        generator: ax.Generator | None = None,
    ) -> None:
        if isinstance(data_source, bool):
            raise TypeError("BootstrapSampler: data_source must be a dataset or an int, got bool")
        self.data_source = data_source
        n = self._n()
        if n <= 0:
            raise ValueError(f"BootstrapSampler: needs at least one sample, got n={n}")
        self._num_samples = num_samples
        _check_num_samples("BootstrapSampler", self.num_samples)
        self._init_random("BootstrapSampler", generator)
        self._last: Tensor | None = None

    def _n(self) -> int:
        src = self.data_source
        return int(src) if isinstance(src, int) else len(src)

    @property
    def num_samples(self) -> int:
        return self._n() if self._num_samples is None else self._num_samples

    def _indices(self) -> Tensor:
        self._last = ax.randint(
            0, self._n(), (self.num_samples,), generator=self._epoch_generator()
        )
        return self._last

    def __len__(self) -> int:
        return self.num_samples

    def out_of_bag_indices(self) -> Tensor:
        """Sorted int64 indices in ``0..n-1`` that the last draw did not pick."""
        if self._last is None:
            raise RuntimeError(
                "BootstrapSampler: out_of_bag_indices() needs a drawn sample; iterate the "
                "sampler (or a DataLoader using it) first"
            )
        in_bag = ax.zeros(self._n(), dtype=ax.bool)
        in_bag[self._last] = True
        return (~in_bag).nonzero().flatten()


class BatchSampler(Sampler[list[int]]):
    """Groups the indices of ``sampler`` into lists of ``batch_size``; the last short batch is
    kept unless ``drop_last``.

    Example::

        list(BatchSampler(SequentialSampler(range(5)), batch_size=2, drop_last=False))
        # [[0, 1], [2, 3], [4]]
    """

    def __init__(
        self, sampler: Sampler[int] | Iterable[int], batch_size: int, drop_last: bool
    ) -> None:
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size <= 0:
            raise ValueError(f"BatchSampler: batch_size must be a positive int, got {batch_size!r}")
        _check_bool("BatchSampler", "drop_last", drop_last)
        self.sampler = sampler
        self.batch_size = batch_size
        self.drop_last = drop_last

    def __iter__(self) -> Iterator[list[int]]:
        if _is_index_sampler(self.sampler):
            idx = self.sampler._indices()  # type: ignore[union-attr]
            for start, size in _batch_bounds(len(idx), self.batch_size, self.drop_last):
                yield idx.narrow(0, start, size).tolist()
            return
        it = iter(self.sampler)
        while batch := list(itertools.islice(it, self.batch_size)):
            if self.drop_last and len(batch) < self.batch_size:
                return
            yield batch

    def __len__(self) -> int:
        n = len(self.sampler)  # type: ignore[arg-type]
        if self.drop_last:
            return n // self.batch_size
        return (n + self.batch_size - 1) // self.batch_size


def _batch_bounds(n: int, batch_size: int, drop_last: bool) -> list[tuple[int, int]]:
    """``(start, size)`` of each batch over n indices (a per-batch list, not per-sample)."""
    stop = n - n % batch_size if drop_last else n
    return [(s, min(batch_size, n - s)) for s in range(0, stop, batch_size)]


def _random_source(obj: Any) -> _RandomIndexSampler | None:
    """The built-in random sampler that fixes an epoch's order, looking through a BatchSampler."""
    for cand in (obj, getattr(obj, "sampler", None)):
        if isinstance(cand, _RandomIndexSampler):
            return cand
    return None
