"""DataLoader (PyTorch's torch.utils.data.DataLoader) and its collate functions.

Batches of a TensorDataset (or Subsets of one) with the default collate are built with one
``index_select`` per tensor from a slice of the epoch's int64 index tensor; other datasets go
through ``__getitem__`` and ``collate_fn``. ``num_workers > 0`` prefetches batches on background
threads (the C++ kernels release the GIL), in order, so the batches equal those of
``num_workers=0``. ``state_dict``/``load_state_dict`` resume an interrupted epoch."""

from __future__ import annotations

import collections
import concurrent.futures
import copy
import itertools
import threading
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import numpy as np

import axonite as ax
from axonite import Tensor

from .dataset import Dataset, IterableDataset, _tensor_source
from .sampler import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    _batch_bounds,
    _is_index_sampler,
    _random_source,
)

T_co = TypeVar("T_co", covariant=True)

__all__ = ["DataLoader", "WorkerInfo", "default_collate", "default_convert", "get_worker_info"]

_COLLATE_ERR = (
    "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}"
)


def _numpy_to_tensor(fn: str, arr: np.ndarray) -> Tensor:
    if arr.dtype.kind in "SUOV":
        raise TypeError(f"{fn}: cannot convert a NumPy array of dtype {arr.dtype} to a tensor")
    return ax.as_tensor(np.ascontiguousarray(arr))


def default_collate(batch: Sequence[Any]) -> Any:
    """Merges a list of samples into a batch, as PyTorch's ``default_collate``: tensors are
    stacked along a new dim 0, NumPy arrays become stacked tensors, Python floats a float64
    tensor, ints (and bools) an int64 (bool) tensor, strings stay a list; dicts, namedtuples and
    sequences are collated field by field (tuples come back as lists, as in PyTorch).

    Example::

        default_collate([{"x": ax.ones(2), "y": 0}, {"x": ax.zeros(2), "y": 1}])
        # {"x": tensor of shape (2, 2), "y": tensor([0, 1])}
    """
    if len(batch) == 0:
        raise ValueError("default_collate: batch must not be empty")
    elem = batch[0]
    if isinstance(elem, Tensor):
        return ax.stack(list(batch), 0)
    if isinstance(elem, np.ndarray):
        return default_collate([_numpy_to_tensor("default_collate", b) for b in batch])
    if isinstance(elem, np.bool_ | np.number):
        return ax.as_tensor(np.asarray(batch))
    if isinstance(elem, float):
        return ax.tensor(list(batch), dtype=ax.float64)
    if isinstance(elem, int):
        return ax.tensor(list(batch))
    if isinstance(elem, str | bytes):
        return batch
    if isinstance(elem, Mapping):
        merged = {key: default_collate([d[key] for d in batch]) for key in elem}
        try:
            if isinstance(elem, MutableMapping):
                clone = copy.copy(elem)
                clone.update(merged)
                return clone
            return type(elem)(merged)  # type: ignore[call-arg]
        except TypeError:
            return merged
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
        return type(elem)(*(default_collate(list(s)) for s in zip(*batch, strict=True)))
    if isinstance(elem, Sequence):
        size = len(elem)
        if any(len(b) != size for b in batch):
            raise RuntimeError(
                "default_collate: each element in list of batch should be of equal size, got "
                f"sizes {[len(b) for b in batch]}"
            )
        fields = [default_collate(list(s)) for s in zip(*batch, strict=True)]
        if isinstance(elem, tuple):
            return fields  # PyTorch returns tuples as lists (backwards compatibility)
        try:
            return type(elem)(fields)  # type: ignore[call-arg]
        except TypeError:
            return fields
    raise TypeError(_COLLATE_ERR.format(type(elem).__name__))


def default_convert(data: Any) -> Any:
    """Converts one sample without batching (used when ``batch_size=None``): NumPy arrays and
    scalars become tensors, containers are converted element-wise, anything else is kept."""
    if isinstance(data, Tensor):
        return data
    if isinstance(data, np.ndarray):
        return data if data.dtype.kind in "SUOV" else ax.as_tensor(np.ascontiguousarray(data))
    if isinstance(data, np.bool_ | np.number):
        return ax.as_tensor(np.asarray(data))
    if isinstance(data, Mapping):
        return {k: default_convert(v) for k, v in data.items()}
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, Sequence) and not isinstance(data, str | bytes):
        try:
            return type(data)([default_convert(d) for d in data])  # type: ignore[call-arg]
        except TypeError:
            return [default_convert(d) for d in data]
    return data


@dataclass(frozen=True)
class WorkerInfo:
    """What ``get_worker_info()`` returns inside a DataLoader worker thread."""

    id: int
    num_workers: int
    dataset: Any


_worker_local = threading.local()


def get_worker_info() -> WorkerInfo | None:
    """The WorkerInfo of the calling DataLoader worker thread, None in the main thread. An
    IterableDataset is read by a single background thread, which reports None, so each sample
    is produced exactly once."""
    return getattr(_worker_local, "info", None)


def _make_executor(
    num_workers: int,
    dataset: Any,
    worker_init_fn: Callable[[int], None] | None,
    report_info: bool = True,
) -> concurrent.futures.ThreadPoolExecutor:
    """A pool of worker threads; each sets its WorkerInfo (unless reading a stream, see
    get_worker_info) and calls ``worker_init_fn(worker_id)`` once."""
    ids = itertools.count()  # next() on a count is atomic under the GIL

    def init() -> None:
        wid = next(ids)
        if report_info:
            _worker_local.info = WorkerInfo(id=wid, num_workers=num_workers, dataset=dataset)
        if worker_init_fn is not None:
            worker_init_fn(wid)

    return concurrent.futures.ThreadPoolExecutor(
        max_workers=num_workers, thread_name_prefix="axonite-dataloader", initializer=init
    )


_END = object()  # an iterable dataset ran out


class DataLoader(Generic[T_co]):
    """Iterates over a dataset in (optionally shuffled) batches, like PyTorch's DataLoader.

    Args:
        dataset: map-style ``Dataset`` (anything with ``__getitem__``/``__len__``) or
            ``IterableDataset``.
        batch_size: samples per batch; None disables batching (each sample goes through
            ``default_convert``).
        shuffle: reshuffle every epoch (a ``RandomSampler`` drawing from ``generator``).
        sampler, batch_sampler: custom index orders; mutually exclusive with the options above,
            as in PyTorch.
        num_workers: background threads prefetching batches in order (0: main thread only).
        collate_fn: merges a list of samples (default ``default_collate``).
        pin_memory: accepted for compatibility; CPU tensors need no pinning, so it changes
            nothing.
        drop_last: drop the last incomplete batch.
        timeout: seconds to wait for a worker's batch (0: forever).
        worker_init_fn: called as ``worker_init_fn(worker_id)`` in each worker thread.
        generator: ``ax.Generator`` for shuffling; None uses the global generator, so
            ``ax.manual_seed`` makes epochs repeat.
        prefetch_factor: batches in flight per worker (default 2 when ``num_workers > 0``).
        persistent_workers: keep the worker threads alive between epochs.

    Example::

        loader = DataLoader(TensorDataset(x, y), batch_size=128, shuffle=True,
                            generator=ax.Generator().manual_seed(0))
        for xb, yb in loader: ...
        ckpt = loader.state_dict()      # JSON-serializable
        loader.load_state_dict(ckpt)    # next iter() yields the rest of that epoch
    """

    _FROZEN = frozenset(
        ("batch_size", "batch_sampler", "sampler", "drop_last", "dataset", "persistent_workers")
    )

    def __init__(
        self,
        dataset: Dataset[T_co] | Any,
        batch_size: int | None = 1,
        shuffle: bool | None = None,
        sampler: Sampler[Any] | Iterable[Any] | None = None,
        batch_sampler: Sampler[list[int]] | Iterable[list[int]] | None = None,
        num_workers: int = 0,
        collate_fn: Callable[[list[Any]], Any] | None = None,
        pin_memory: bool = False,
        drop_last: bool = False,
        timeout: float = 0,
        worker_init_fn: Callable[[int], None] | None = None,
        generator: ax.Generator | None = None,
        *,
        prefetch_factor: int | None = None,
        persistent_workers: bool = False,
    ) -> None:
        _check_args(
            batch_size, shuffle, sampler, batch_sampler, num_workers, drop_last, timeout,
            generator, prefetch_factor, persistent_workers,
        )  # fmt: skip
        if sampler is not None and shuffle:
            raise ValueError(
                f"DataLoader: sampler option is mutually exclusive with shuffle (got "
                f"shuffle={shuffle!r} and sampler={type(sampler).__name__})"
            )
        if isinstance(dataset, IterableDataset):
            for name, value in (
                ("shuffle", shuffle),
                ("sampler", sampler),
                ("batch_sampler", batch_sampler),
            ):
                if value not in (None, False):
                    raise ValueError(
                        f"DataLoader: with an IterableDataset, expected unspecified {name} "
                        f"option, got {name}={value!r}"
                    )
        elif batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError(
                    "DataLoader: batch_sampler option is mutually exclusive with batch_size, "
                    f"shuffle, sampler, and drop_last (got batch_size={batch_size!r}, "
                    f"shuffle={shuffle!r}, sampler={sampler!r}, drop_last={drop_last!r})"
                )
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError(
                "DataLoader: batch_size=None option disables auto-batching and is mutually "
                "exclusive with drop_last=True"
            )

        if isinstance(dataset, IterableDataset):
            sampler = None
        elif sampler is None:
            sampler = (
                RandomSampler(dataset, generator=generator) if shuffle else
                SequentialSampler(dataset)
            )  # fmt: skip
        if batch_size is not None and batch_sampler is None and sampler is not None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)

        self.dataset = dataset
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.num_workers = num_workers
        self.collate_fn = collate_fn if collate_fn is not None else (
            default_collate if batch_size is not None or batch_sampler is not None
            else default_convert
        )  # fmt: skip
        self.pin_memory = pin_memory
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.generator = generator
        self.prefetch_factor = 2 if prefetch_factor is None and num_workers > 0 else prefetch_factor
        self.persistent_workers = persistent_workers
        self._executor: concurrent.futures.ThreadPoolExecutor | None = None
        self._iterator: _DataLoaderIter | None = None
        self._pending: tuple[list[int] | None, int] | None = None
        self._initialized = True

    def __setattr__(self, name: str, value: Any) -> None:
        if getattr(self, "_initialized", False) and name in self._FROZEN:
            raise ValueError(
                f"DataLoader: {name} attribute should not be set after DataLoader is initialized"
            )
        super().__setattr__(name, value)

    @property
    def _auto_collation(self) -> bool:
        return self.batch_sampler is not None

    @property
    def _is_iterable(self) -> bool:
        return isinstance(self.dataset, IterableDataset)

    def __len__(self) -> int:
        if self._is_iterable:
            n = len(self.dataset)
            if self.batch_size is None:
                return n
            return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
        return len(self.batch_sampler if self._auto_collation else self.sampler)  # type: ignore[arg-type]

    def __iter__(self) -> Iterator[Any]:
        it = _DataLoaderIter(self)
        self._iterator = it
        return it

    def _shared_executor(self, workers: int) -> concurrent.futures.ThreadPoolExecutor:
        """Worker threads: one pool per epoch, or one kept on the loader when persistent."""
        if not self.persistent_workers:
            return _make_executor(workers, self.dataset, self.worker_init_fn)
        if self._executor is None:
            self._executor = _make_executor(workers, self.dataset, self.worker_init_fn)
            weakref.finalize(self, self._executor.shutdown, wait=False, cancel_futures=True)
        return self._executor

    # -- resumption (Note [Resumable epochs] in sampler.py) ---------------------------------

    def state_dict(self) -> dict[str, Any]:
        """Where iteration stands, as JSON-serializable numbers and lists:
        ``generator_state`` (the shuffling generator's state at the start of the current epoch,
        a list of ints, or None when the order is not random or comes from the global generator
        between epochs) and ``batches_yielded`` in the current epoch (0 between epochs)."""
        if self._pending is not None:
            state, done = self._pending
            return {"generator_state": state, "batches_yielded": done}
        src = self._source()
        if src is not None and src._resume_state is not None:
            # Loaded and iterated, but the epoch's order is not drawn yet (lazy sampler).
            return {"generator_state": list(src._resume_state), "batches_yielded": 0}
        it = self._iterator
        if it is not None and not it._done and src is not None and src._draws > it._draws_at_start:
            return {
                "generator_state": list(src._epoch_state or []),
                "batches_yielded": it._yielded,
            }
        if it is not None and not it._done and src is None:
            return {"generator_state": None, "batches_yielded": it._yielded}
        # Between epochs: the next epoch starts from the generator's current state.
        state = None
        if src is not None and src.generator is not None:
            state = [int(v) for v in src.generator.get_state().tolist()]
        return {"generator_state": state, "batches_yielded": 0}

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Makes the next ``iter(loader)`` yield exactly the batches the saved loader had not
        yet yielded in its interrupted epoch; later epochs then continue as if uninterrupted.
        With the global generator, restore ``ax.set_rng_state`` from the same checkpoint."""
        if not isinstance(state_dict, Mapping):
            raise TypeError(
                f"DataLoader.load_state_dict: state_dict must be a dict, got "
                f"{type(state_dict).__name__}"
            )
        missing = {"generator_state", "batches_yielded"} - set(state_dict)
        if missing:
            raise ValueError(f"DataLoader.load_state_dict: state_dict lacks keys {sorted(missing)}")
        done, state = state_dict["batches_yielded"], state_dict["generator_state"]
        if isinstance(done, bool) or not isinstance(done, int) or done < 0:
            raise ValueError(
                f"DataLoader.load_state_dict: batches_yielded must be a non-negative int, got "
                f"{done!r}"
            )
        if state is not None and (
            not isinstance(state, list | tuple) or not all(isinstance(v, int) for v in state)
        ):
            raise ValueError(
                f"DataLoader.load_state_dict: generator_state must be a list of ints or None, "
                f"got {state!r}"
            )
        src = self._source()
        if state is not None and src is None:
            raise ValueError(
                "DataLoader.load_state_dict: generator_state is set but this loader has no "
                "random sampler to restore it into"
            )
        if state is None and src is not None and done > 0:
            raise ValueError(
                "DataLoader.load_state_dict: generator_state is None but this loader shuffles; "
                f"cannot resume after batches_yielded={done}"
            )
        try:
            total = len(self)
        except TypeError:
            total = None
        if total is not None and done > total:
            raise ValueError(
                f"DataLoader.load_state_dict: batches_yielded={done} exceeds the "
                f"{total} batches of an epoch"
            )
        self._pending = (None if state is None else [int(v) for v in state], done)

    def _source(self) -> Any:
        return _random_source(self.batch_sampler if self._auto_collation else self.sampler)


def _check_args(
    batch_size: object,
    shuffle: object,
    sampler: object,
    batch_sampler: object,
    num_workers: object,
    drop_last: object,
    timeout: object,
    generator: object,
    prefetch_factor: object,
    persistent_workers: object,
) -> None:
    """Type and range checks of DataLoader's arguments, with PyTorch's rules."""
    if batch_size is not None and (
        isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size <= 0
    ):
        raise ValueError(
            f"DataLoader: batch_size must be a positive int or None, got {batch_size!r}"
        )
    if shuffle is not None and not isinstance(shuffle, bool):
        raise TypeError(f"DataLoader: shuffle must be a bool or None, got {shuffle!r}")
    if not isinstance(drop_last, bool):
        raise TypeError(f"DataLoader: drop_last must be a bool, got {drop_last!r}")
    if isinstance(num_workers, bool) or not isinstance(num_workers, int) or num_workers < 0:
        raise ValueError(
            f"DataLoader: num_workers option should be a non-negative int, got {num_workers!r}; "
            "use num_workers=0 to disable background workers"
        )
    if not isinstance(timeout, int | float) or timeout < 0:
        raise ValueError(f"DataLoader: timeout option should be non-negative, got {timeout!r}")
    if generator is not None and not isinstance(generator, ax.Generator):
        raise TypeError(
            f"DataLoader: generator must be an axonite Generator or None, got "
            f"{type(generator).__name__}"
        )
    if num_workers == 0 and prefetch_factor is not None:
        raise ValueError(
            f"DataLoader: prefetch_factor option could only be specified with num_workers > 0, "
            f"got prefetch_factor={prefetch_factor!r} and num_workers=0"
        )
    if prefetch_factor is not None and (
        isinstance(prefetch_factor, bool)
        or not isinstance(prefetch_factor, int)
        or prefetch_factor <= 0
    ):
        raise ValueError(
            f"DataLoader: prefetch_factor must be a positive int, got {prefetch_factor!r}"
        )
    if persistent_workers and num_workers == 0:
        raise ValueError("DataLoader: persistent_workers option needs num_workers > 0")
    for name, value in (("sampler", sampler), ("batch_sampler", batch_sampler)):
        if value is not None and not isinstance(value, Iterable):
            raise TypeError(f"DataLoader: {name} must be iterable, got {type(value).__name__}")


class _DataLoaderIter:
    """One epoch of a DataLoader. The main thread fixes the order (draws the permutation,
    walks the batch sampler); fetching and collating run inline or on worker threads, whose
    results are consumed strictly in submission order."""

    def __init__(self, loader: DataLoader[Any]) -> None:
        self._loader = loader
        self._collate = loader.collate_fn
        self._done = False
        state, skip = loader._pending if loader._pending is not None else (None, 0)
        loader._pending = None
        src = loader._source()
        self._draws_at_start = src._draws if src is not None else 0
        if state is not None and src is not None:
            src._resume_state = state

        self._fast = (
            _tensor_source(loader.dataset)
            if loader._auto_collation and self._collate is default_collate
            else None
        )
        self._index_tensor: Tensor | None = None
        self._bounds: list[tuple[int, int]] = []
        self._next_batch = 0
        self._index_iter: Iterator[Any] | None = None
        bs = loader.batch_sampler
        if loader._is_iterable:
            self._data_iter = iter(loader.dataset)
        elif type(bs) is BatchSampler and _is_index_sampler(bs.sampler):
            idx = bs.sampler._indices()  # type: ignore[attr-defined]
            if self._fast is not None:
                idx = self._map_through_subsets(idx)
            self._index_tensor = idx
            self._bounds = _batch_bounds(len(idx), bs.batch_size, bs.drop_last)
        else:
            self._index_iter = iter(bs if bs is not None else loader.sampler)  # type: ignore[arg-type]

        # Skipping batches already seen: index-only for map-style, consuming for streams.
        if loader._is_iterable:
            for _ in range(skip):
                if self._fetch_iterable() is _END:
                    break
        elif self._index_iter is None:
            self._next_batch = min(skip, len(self._bounds))
        else:
            for _ in itertools.islice(self._index_iter, skip):
                pass
        self._yielded = skip

        workers = loader.num_workers
        self._executor: concurrent.futures.ThreadPoolExecutor | None = None
        self._futures: collections.deque[concurrent.futures.Future[Any]] = collections.deque()
        self._exhausted = False
        if workers > 0:
            # A stream has one shared iterator: a single thread keeps its order.
            n_threads = 1 if loader._is_iterable else workers
            self._depth = max(1, loader.prefetch_factor or 2) * n_threads
            self._owns_executor = loader._is_iterable or not loader.persistent_workers
            if loader._is_iterable:
                self._executor = _make_executor(1, None, loader.worker_init_fn, report_info=False)
            else:
                self._executor = loader._shared_executor(workers)
            if self._owns_executor:
                weakref.finalize(self, self._executor.shutdown, False, cancel_futures=True)

    def _map_through_subsets(self, idx: Tensor) -> Tensor:
        _, subsets = self._fast  # type: ignore[misc]
        for sub in subsets:
            idx = sub._index_tensor().index_select(0, idx)
        return idx

    def _next_index(self) -> Any:
        """The next batch's indices (a tensor slice or the sampler's item); StopIteration at
        the end of the epoch."""
        if self._index_iter is not None:
            return next(self._index_iter)
        if self._next_batch >= len(self._bounds):
            raise StopIteration
        start, size = self._bounds[self._next_batch]
        self._next_batch += 1
        return self._index_tensor.narrow(0, start, size)  # type: ignore[union-attr]

    def _fetch(self, index: Any) -> Any:
        """Builds one batch from its indices (runs on a worker thread when num_workers > 0)."""
        ds = self._loader.dataset
        if self._fast is not None:
            tensors, _ = self._fast
            if self._index_iter is not None:  # a user's batch: map it here, per batch
                index = (
                    index.long() if isinstance(index, Tensor) else
                    ax.tensor(list(index), dtype=ax.int64)
                )  # fmt: skip
                index = self._map_through_subsets(index)
                n = int(tensors[0].shape[0])
                index = ax.where(index < 0, index + n, index)
            return [t.index_select(0, index) for t in tensors]
        if not self._loader._auto_collation:
            return self._collate(ds[index])
        if isinstance(index, Tensor):
            index = index.tolist()
        getitems = getattr(ds, "__getitems__", None)
        data = getitems(list(index)) if callable(getitems) else [ds[i] for i in index]
        return self._collate(data)

    def _fetch_iterable(self) -> Any:
        """Reads the next batch (or sample) of an IterableDataset, or _END."""
        loader = self._loader
        if loader.batch_size is None:
            try:
                return self._collate(next(self._data_iter))
            except StopIteration:
                return _END
        batch = list(itertools.islice(self._data_iter, loader.batch_size))
        if not batch or (loader.drop_last and len(batch) < loader.batch_size):
            return _END
        return self._collate(batch)

    def _fill(self) -> None:
        """Keeps up to ``depth`` batches in flight, submitted in order."""
        assert self._executor is not None
        while not self._exhausted and len(self._futures) < self._depth:
            if self._loader._is_iterable:
                self._futures.append(self._executor.submit(self._fetch_iterable))
                continue
            try:
                index = self._next_index()
            except StopIteration:
                self._exhausted = True
                break
            self._futures.append(self._executor.submit(self._fetch, index))

    def __iter__(self) -> _DataLoaderIter:
        return self

    def __next__(self) -> Any:
        if self._done:
            raise StopIteration
        if self._executor is None:
            try:
                batch = (
                    self._fetch_iterable() if self._loader._is_iterable else
                    self._fetch(self._next_index())
                )  # fmt: skip
            except StopIteration:
                batch = _END
        else:
            self._fill()
            batch = self._wait(self._futures.popleft()) if self._futures else _END
        if batch is _END:
            self._finish()
            raise StopIteration
        self._yielded += 1
        return batch

    def _wait(self, fut: concurrent.futures.Future[Any]) -> Any:
        timeout = self._loader.timeout
        try:
            return fut.result(timeout=timeout if timeout > 0 else None)
        except concurrent.futures.TimeoutError:
            self._finish()
            raise RuntimeError(f"DataLoader timed out after {timeout} seconds") from None

    def _finish(self) -> None:
        self._done = True
        for fut in self._futures:
            fut.cancel()
        self._futures.clear()
        if self._executor is not None and self._owns_executor:
            self._executor.shutdown(wait=False, cancel_futures=True)

    def __len__(self) -> int:
        return len(self._loader)
