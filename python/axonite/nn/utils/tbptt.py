"""Truncated backpropagation through time: cut a long sequence into chunks and carry the hidden
state across chunks WITHOUT its graph, so memory and backward time stay bounded by the chunk.

The pattern (a language model over one long stream ``x`` (T, N, *) with targets ``y``)::

    from axonite.nn.utils.tbptt import detach_state, tbptt_chunks

    state = None
    for xc, yc in tbptt_chunks((x, y), 35):          # (<=35, N, *) views, in time order
        state = detach_state(state)                   # keep the values, drop the old graph
        out, state = lstm(xc, state)
        loss = loss_fn(out.reshape(-1, vocab), yc.reshape(-1))
        opt.zero_grad()
        loss.backward()                               # reaches back 35 steps at most
        ax.nn.utils.clip_grad_norm_(lstm.parameters(), 0.25)
        opt.step()

Without ``detach_state`` the second chunk's backward would run into the first chunk's graph,
already freed (an error), or, with ``retain_graph=True``, back to step 0 (full BPTT).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..._C import Tensor

__all__ = ["detach_state", "tbptt_chunks"]


def detach_state(h: Any) -> Any:
    """``h`` detached from its graph: a tensor, None, or a (nested) tuple/list of them (an
    LSTM's ``(h, c)``). The values are shared, not copied."""
    if h is None:
        return None
    if isinstance(h, Tensor):
        return h.detach()
    if isinstance(h, (tuple, list)):
        return type(h)(detach_state(v) for v in h)
    raise TypeError(
        f"detach_state: h must be a Tensor, None or a tuple/list of them, got {type(h).__name__}"
    )


def tbptt_chunks(
    x: Tensor | tuple[Tensor, ...], chunk: int, dim: int = 0
) -> Iterator[Tensor | tuple[Tensor, ...]]:
    """Consecutive views of length ``chunk`` along the time dimension ``dim`` (0 for
    time-major inputs, 1 for ``batch_first``); the last one may be shorter.

    ``x`` may be a tuple of tensors sharing that dimension's length (inputs and targets); each
    step then yields a tuple of matching chunks.
    """
    if isinstance(chunk, bool) or not isinstance(chunk, int) or chunk <= 0:
        raise ValueError(f"tbptt_chunks: chunk must be a positive int, got {chunk!r}")
    tensors = x if isinstance(x, tuple) else (x,)
    if not tensors or not all(isinstance(t, Tensor) for t in tensors):
        raise TypeError("tbptt_chunks: x must be a Tensor or a non-empty tuple of Tensors")
    for t in tensors:
        if not -t.ndim <= dim < t.ndim:
            raise ValueError(
                f"tbptt_chunks: dim={dim} is out of range for x of shape {list(t.shape)}"
            )
    length = tensors[0].shape[dim]
    if any(t.shape[dim] != length for t in tensors):
        shapes = [list(t.shape) for t in tensors]
        raise ValueError(f"tbptt_chunks: tensors differ in length along dim={dim}: {shapes}")
    # Validate eagerly (above), iterate lazily (below): bad arguments fail at the call site.
    return _chunks(tensors, chunk, dim, length, isinstance(x, tuple))


def _chunks(
    tensors: tuple[Tensor, ...], chunk: int, dim: int, length: int, as_tuple: bool
) -> Iterator[Tensor | tuple[Tensor, ...]]:
    for start in range(0, length, chunk):
        size = min(chunk, length - start)
        parts = tuple(t.narrow(dim, start, size) for t in tensors)
        yield parts if as_tuple else parts[0]
