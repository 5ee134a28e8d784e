"""``BucketBatchSampler``: batches of sequences of similar length, so padding (and the time a
recurrent layer spends on it) stays small while the epoch order stays random.

Not in PyTorch (torchtext had a BucketIterator). Each shuffled epoch is one int64 permutation,
cut into pools of ``batch_size * bucket_size_multiplier`` indices, each pool sorted by length and
cut into batches, and the batches put in random order: every index appears exactly once per
epoch. Draws go through the sampler module's generator handling, so a DataLoader can resume it
mid-epoch (Note [Resumable epochs] in sampler.py).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

import axonite as ax
from axonite import Tensor

from .sampler import _check_bool, _RandomIndexSampler

__all__ = ["BucketBatchSampler"]


class BucketBatchSampler(_RandomIndexSampler):
    """Yields lists of dataset indices whose ``lengths`` are close, for ``DataLoader(ds,
    batch_sampler=...)``.

    Within a batch, indices come longest first, so the batch can go straight to
    ``pack_padded_sequence(..., enforce_sorted=True)``. With ``shuffle=False`` the whole dataset
    is sorted by length (longest first; ties keep dataset order) and batched in that order,
    which minimizes padding for evaluation.

    Args:
        lengths: length of every sample, a sequence of ints or a 1-D integer tensor.
        batch_size: indices per batch.
        shuffle: draw a fresh random epoch each time (pools and batch order).
        drop_last: drop the one batch shorter than ``batch_size`` (otherwise yielded too).
        generator: ``ax.Generator`` for the draws; None draws a fresh seed from the global one.
        bucket_size_multiplier: pool size in batches; larger pools sort more and shuffle less.

    Example::

        lengths = [len(s) for s in sequences]
        sampler = BucketBatchSampler(lengths, 32, generator=ax.Generator().manual_seed(0))
        loader = DataLoader(ds, batch_sampler=sampler, collate_fn=pad_collate)
    """

    def __init__(
        self,
        lengths: Sequence[int] | Tensor,
        batch_size: int,
        shuffle: bool = True,
        drop_last: bool = False,
        generator: ax.Generator | None = None,
        bucket_size_multiplier: int = 100,
    ) -> None:
        who = "BucketBatchSampler"
        for name, value in (
            ("batch_size", batch_size),
            ("bucket_size_multiplier", bucket_size_multiplier),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ValueError(f"{who}: {name} must be a positive int, got {value!r}")
        _check_bool(who, "shuffle", shuffle)
        _check_bool(who, "drop_last", drop_last)
        if isinstance(lengths, Tensor):
            if lengths.is_floating_point():
                raise TypeError(f"{who}: lengths must hold integers, got dtype {lengths.dtype}")
            lens = np.asarray(lengths.numpy(), dtype=np.int64)
        else:
            lens = np.asarray(lengths)
            if lens.size and not np.issubdtype(lens.dtype, np.integer):
                raise TypeError(f"{who}: lengths must hold integers, got {lens.dtype} values")
        if lens.ndim != 1 or lens.size == 0:
            raise ValueError(f"{who}: lengths must be a non-empty 1-D sequence, got {lens.shape}")
        if lens.min() < 0:
            raise ValueError(f"{who}: lengths must be non-negative, got minimum {lens.min()}")
        self.lengths = lens.astype(np.int64)
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.bucket_size_multiplier = bucket_size_multiplier
        self._init_random(who, generator)

    def _batches(self) -> list[np.ndarray]:
        """One epoch as a list of index arrays (a per-batch list; no per-sample Python work)."""
        n, bs = self.lengths.shape[0], self.batch_size
        if not self.shuffle:
            order = np.argsort(-self.lengths, kind="stable")
            batch_ids = np.arange((n + bs - 1) // bs)
        else:
            g = self._epoch_generator()
            perm = ax.randperm(n, generator=g).numpy()
            pool = np.arange(n) // (bs * self.bucket_size_multiplier)
            # lexsort: primary key last (pool), then longest first; stable for ties.
            order = perm[np.lexsort((-self.lengths[perm], pool))]
            batch_ids = ax.randperm((n + bs - 1) // bs, generator=g).numpy()
        # Pools hold whole batches, so only the final batch of the sorted order can be short.
        batches = np.split(order, np.arange(bs, n, bs))
        if self.drop_last and n % bs:
            batch_ids = batch_ids[batch_ids != len(batches) - 1]
        return [batches[i] for i in batch_ids]

    def _indices(self) -> Tensor:
        """The epoch's indices in batch order, flattened (one int64 tensor)."""
        batches = self._batches()
        if not batches:  # drop_last with fewer samples than one batch
            return ax.zeros(0, dtype=ax.int64)
        return ax.from_numpy(np.concatenate(batches).astype(np.int64))

    def __iter__(self) -> Iterator[list[int]]:  # type: ignore[override]
        return iter([b.tolist() for b in self._batches()])

    def __len__(self) -> int:
        n, bs = self.lengths.shape[0], self.batch_size
        return n // bs if self.drop_last else (n + bs - 1) // bs
