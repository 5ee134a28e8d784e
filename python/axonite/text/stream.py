"""Language-model batching of one long id stream, as PyTorch's word_language_model example
does it: ``batchify`` lays the stream out as B parallel columns and ``bptt_batches`` walks them
in chunks of ``seq_len`` steps, each input chunk paired with the same chunk shifted by one.
Consecutive chunks continue each column, so the hidden state carries over between them
(detach it: ``axonite.nn.utils.tbptt.detach_state``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

from .._C import Tensor, from_numpy

__all__ = ["batchify", "bptt_batches"]


def _check_positive(who: str, name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"{who}: {name} must be a positive int, got {value!r}")
    return value


def batchify(ids: Tensor | Sequence[int], batch_size: int) -> Tensor:
    """``ids`` (N,) as an int64 tensor (N // batch_size, batch_size): column b holds the b-th
    contiguous slice of the stream; the N % batch_size trailing ids are dropped.

    >>> batchify(ax.arange(7), 2).tolist()
    [[0, 3], [1, 4], [2, 5]]
    """
    who = "batchify"
    _check_positive(who, "batch_size", batch_size)
    if isinstance(ids, Tensor):
        if ids.is_floating_point():
            raise TypeError(f"{who}: ids must hold integers, got dtype {ids.dtype}")
        t = ids.long()
    else:
        arr = np.asarray(ids)
        if arr.size and not np.issubdtype(arr.dtype, np.integer):
            raise TypeError(f"{who}: ids must hold integers, got {arr.dtype} values")
        t = from_numpy(arr.astype(np.int64))
    if t.ndim != 1:
        raise ValueError(f"{who}: ids must be 1-D, got shape {list(t.shape)}")
    steps = t.shape[0] // batch_size
    if steps == 0:
        raise ValueError(
            f"{who}: {t.shape[0]} ids are fewer than batch_size={batch_size}; nothing to batch"
        )
    return t.narrow(0, 0, steps * batch_size).view(batch_size, steps).t().contiguous()


def bptt_batches(
    ids: Tensor | Sequence[int], batch_size: int, seq_len: int
) -> Iterator[tuple[Tensor, Tensor]]:
    """``(x, y)`` pairs of int64 tensors (L, batch_size), L = seq_len except possibly the last,
    with ``y[t] = x[t + 1]`` along each column: next-token targets over the whole stream.

    Example::

        for x, y in bptt_batches(vocab.encode(text), batch_size=32, seq_len=64):
            logits, state = model(x, detach_state(state))    # (L, B, V)
            loss = F.cross_entropy(logits.reshape(-1, V), y.reshape(-1))
    """
    _check_positive("bptt_batches", "seq_len", seq_len)
    data = batchify(ids, batch_size)
    if data.shape[0] < 2:
        raise ValueError(
            f"bptt_batches: need at least 2 time steps per column, got {data.shape[0]} "
            f"(stream too short for batch_size={batch_size})"
        )
    return _chunks(data, seq_len)


def _chunks(data: Tensor, seq_len: int) -> Iterator[tuple[Tensor, Tensor]]:
    last = data.shape[0] - 1  # the final step is only ever a target
    for start in range(0, last, seq_len):
        size = min(seq_len, last - start)
        yield data.narrow(0, start, size), data.narrow(0, start + 1, size)
