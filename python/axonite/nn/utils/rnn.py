"""Variable-length sequence tools (PyTorch's ``torch.nn.utils.rnn``): ``PackedSequence``,
packing, padding and their inverses, with PyTorch's names, arguments and return values.

Every function moves data with ONE differentiable ``index_select`` over a flattened view (the
padding value enters as an extra constant row), so gradients flow through pack -> pad chains and
no Python loop touches elements. The gather indices are integer bookkeeping computed from the
lengths with vectorized NumPy (axonite has no sort op); the recurrent layers are in
``nn/modules/rnn.py``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from ... import _C
from ..._C import Tensor

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = [
    "PackedSequence",
    "invert_permutation",
    "pack_padded_sequence",
    "pack_sequence",
    "pad_packed_sequence",
    "pad_sequence",
    "unpack_sequence",
    "unpad_sequence",
]


class _SequenceError(ValueError, RuntimeError):
    """Bad lengths: a ValueError by axonite's convention, and a RuntimeError as PyTorch raises
    for these cases, so ports that catch either keep working."""


class _PackedSequenceBase(NamedTuple):
    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Tensor | None
    unsorted_indices: Tensor | None


class PackedSequence(_PackedSequenceBase):
    """A batch of variable-length sequences packed time step by time step.

    ``data`` (sum(lengths), *) holds step 0 of every sequence, then step 1 of those still
    running, and so on; ``batch_sizes`` (int64, one entry per step) says how many sequences are
    running at each step. Sequences are stored longest first: ``sorted_indices[i]`` is the
    original batch position of packed column ``i`` and ``unsorted_indices`` its inverse (both
    None when the input was already sorted). Build it with ``pack_padded_sequence`` or
    ``pack_sequence``, never by hand, as in PyTorch.
    """

    def __new__(
        cls,
        data: Tensor | Sequence[Tensor],
        batch_sizes: Tensor | None = None,
        sorted_indices: Tensor | None = None,
        unsorted_indices: Tensor | None = None,
    ) -> Self:
        if batch_sizes is None:  # PyTorch also accepts one (data, batch_sizes) tuple
            if not isinstance(data, (tuple, list)) or len(data) != 2:
                raise TypeError(
                    "PackedSequence: expected data and batch_sizes, or one (data, batch_sizes) "
                    f"tuple; got {type(data).__name__}"
                )
            data, batch_sizes = data
        if not isinstance(data, Tensor) or not isinstance(batch_sizes, Tensor):
            raise TypeError(
                "PackedSequence: data and batch_sizes must be tensors, got "
                f"{type(data).__name__} and {type(batch_sizes).__name__}"
            )
        if batch_sizes.ndim != 1 or batch_sizes.dtype != _C.int64:
            raise ValueError(
                "PackedSequence: batch_sizes must be a 1-D int64 tensor, got shape "
                f"{list(batch_sizes.shape)} and dtype {batch_sizes.dtype}"
            )
        if unsorted_indices is None and sorted_indices is not None:
            unsorted_indices = invert_permutation(sorted_indices)
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args: Any, **kwargs: Any) -> PackedSequence:
        """``data.to(...)`` (dtype or device); the index tensors stay int64 as in PyTorch."""
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self
        return type(self)(data, self.batch_sizes, self.sorted_indices, self.unsorted_indices)

    def double(self) -> PackedSequence:
        return self.to(_C.float64)

    def float(self) -> PackedSequence:
        return self.to(_C.float32)

    def long(self) -> PackedSequence:
        return self.to(_C.int64)

    @property
    def is_cuda(self) -> bool:
        return bool(self.data.is_cuda)


def invert_permutation(permutation: Tensor | None) -> Tensor | None:
    """The inverse of an int64 permutation (None stays None)."""
    if permutation is None:
        return None
    perm = _as_numpy_ints("invert_permutation", "permutation", permutation)
    inv = np.empty_like(perm)
    inv[perm] = np.arange(perm.shape[0], dtype=np.int64)
    return _C.from_numpy(inv)


def _as_numpy_ints(who: str, name: str, values: object) -> np.ndarray:
    """A 1-D int64 NumPy copy of a tensor or sequence of ints (index bookkeeping only)."""
    if isinstance(values, Tensor):
        if values.is_floating_point():
            raise TypeError(f"{who}: {name} must hold integers, got dtype {values.dtype}")
        arr = np.asarray(values.detach().numpy(), dtype=np.int64)
    else:
        arr = np.asarray(values)
        if arr.size and not np.issubdtype(arr.dtype, np.integer):
            raise TypeError(f"{who}: {name} must hold integers, got {arr.dtype} values")
        arr = arr.astype(np.int64)
    if arr.ndim != 1:
        raise ValueError(f"{who}: {name} must be 1-D, got shape {list(arr.shape)}")
    return arr


def _check_tensor(who: str, name: str, value: object, min_ndim: int) -> Tensor:
    if not isinstance(value, Tensor):
        raise TypeError(f"{who}: {name} must be a Tensor, got {type(value).__name__}")
    if value.ndim < min_ndim:
        raise ValueError(
            f"{who}: {name} must have at least {min_ndim} dimensions, got shape {list(value.shape)}"
        )
    return value


def _gather_rows(source: Tensor, index: np.ndarray, padding_value: float) -> Tensor:
    """``rows[index]`` of ``source`` (n, *), where ``index == n`` selects a padding row.

    One differentiable index_select: the padding row is a constant appended to the source, so
    the gradient of every padded position is simply dropped.
    """
    if (index == source.shape[0]).any():
        pad = _C.full((1, *source.shape[1:]), padding_value, dtype=source.dtype)
        source = _C.cat([source, pad])
    return source.index_select(0, _C.from_numpy(np.ascontiguousarray(index.ravel())))


def pack_padded_sequence(
    input: Tensor,
    lengths: Tensor | Sequence[int],
    batch_first: bool = False,
    enforce_sorted: bool = True,
) -> PackedSequence:
    """Packs a padded batch ``(T, B, *)`` (``(B, T, *)`` if ``batch_first``) of sequences
    whose true lengths are ``lengths`` (B,).

    With ``enforce_sorted=True`` the lengths must be non-increasing (the ONNX-exportable case in
    PyTorch); otherwise the batch is sorted here and the permutation kept in the result, so
    ``pad_packed_sequence`` restores the original order.

    Example::

        x = ax.randn(5, 3, 8)                       # 3 sequences, up to 5 steps
        p = pack_padded_sequence(x, [5, 2, 4], enforce_sorted=False)
        p.batch_sizes                               # tensor([3, 3, 2, 2, 1])
    """
    who = "pack_padded_sequence"
    _check_tensor(who, "input", input, 2)
    lens = _as_numpy_ints(who, "lengths", lengths)
    time_dim, batch_dim = (1, 0) if batch_first else (0, 1)
    total_t, batch = int(input.shape[time_dim]), int(input.shape[batch_dim])
    if lens.shape[0] != batch:
        raise ValueError(
            f"{who}: expected {batch} lengths (the batch size of input with shape "
            f"{list(input.shape)}, batch_first={batch_first}), got {lens.shape[0]}"
        )
    if batch == 0:
        raise ValueError(f"{who}: input holds no sequences (shape {list(input.shape)})")
    if lens.min() <= 0:
        raise _SequenceError(
            f"{who}: every length must be at least 1, got lengths={lens.tolist()} "
            "(PyTorch: 'Length of all samples has to be greater than 0')"
        )
    if lens.max() > total_t:
        raise _SequenceError(
            f"{who}: lengths {lens.tolist()} include {int(lens.max())}, longer than the "
            f"{total_t} time steps of input with shape {list(input.shape)}"
        )
    if enforce_sorted:
        if (np.diff(lens) > 0).any():
            raise _SequenceError(
                f"{who}: lengths must be sorted in decreasing order when enforce_sorted=True, "
                f"got {lens.tolist()}; pass enforce_sorted=False to sort them here"
            )
        order = np.arange(batch, dtype=np.int64)
        sorted_indices = None
    else:
        order = np.argsort(-lens, kind="stable")
        sorted_indices = _C.from_numpy(order.astype(np.int64))
    sorted_lens = lens[order]
    steps = int(sorted_lens[0])
    # valid[t, j]: packed column j (original sequence order[j]) is still running at step t;
    # row-major nonzero gives exactly the packed order (step-major, longest first).
    valid = np.arange(steps)[:, None] < sorted_lens[None, :]
    t_idx, j_idx = np.nonzero(valid)
    b_idx = order[j_idx]
    flat = b_idx * total_t + t_idx if batch_first else t_idx * batch + b_idx
    rows = input.reshape([total_t * batch, *input.shape[2:]])
    data = _gather_rows(rows, flat, 0.0)
    batch_sizes = _C.from_numpy(valid.sum(axis=1).astype(np.int64))
    return PackedSequence(data, batch_sizes, sorted_indices, None)


def pad_packed_sequence(
    sequence: PackedSequence,
    batch_first: bool = False,
    padding_value: float = 0.0,
    total_length: int | None = None,
) -> tuple[Tensor, Tensor]:
    """Inverse of ``pack_padded_sequence``: ``(padded, lengths)`` with padded ``(T, B, *)``
    (``(B, T, *)`` if ``batch_first``) in the original batch order, positions past each length
    set to ``padding_value``, and lengths an int64 tensor (B,). ``total_length`` pads to a fixed
    T (at least the longest sequence), e.g. to undo padding under data parallelism."""
    who = "pad_packed_sequence"
    if not isinstance(sequence, PackedSequence):
        raise TypeError(f"{who}: sequence must be a PackedSequence, got {type(sequence).__name__}")
    sizes = _as_numpy_ints(who, "sequence.batch_sizes", sequence.batch_sizes)
    steps = sizes.shape[0]
    if steps == 0:
        raise ValueError(f"{who}: the PackedSequence holds no time steps")
    if total_length is None:
        total_length = steps
    elif isinstance(total_length, bool) or not isinstance(total_length, (int, np.integer)):
        raise TypeError(f"{who}: total_length must be an int or None, got {total_length!r}")
    elif total_length < steps:
        raise ValueError(
            f"{who}: expected total_length to be at least the length of the longest sequence "
            f"({steps}), got total_length={total_length}"
        )
    batch = int(sizes[0])
    data = sequence.data
    if int(data.shape[0]) != int(sizes.sum()):
        raise ValueError(
            f"{who}: data has {int(data.shape[0])} rows but batch_sizes {sizes.tolist()} "
            f"sum to {int(sizes.sum())}"
        )
    # Column j of the sorted batch runs for as many steps as have more than j sequences.
    sorted_lens = (sizes[None, :] > np.arange(batch)[:, None]).sum(axis=1)
    offsets = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    unsorted = (
        np.arange(batch, dtype=np.int64)
        if sequence.unsorted_indices is None
        else _as_numpy_ints(who, "sequence.unsorted_indices", sequence.unsorted_indices)
    )
    # index[t, b]: packed row of original sequence b at step t, or the padding row.
    t = np.arange(total_length)[:, None]
    col = unsorted[None, :]
    running = t < sorted_lens[unsorted][None, :]
    index = np.where(running, offsets[np.minimum(t, steps - 1)] + col, data.shape[0])
    if batch_first:
        index = index.T
    out_shape = [*index.shape, *data.shape[1:]]
    padded = _gather_rows(data, index, padding_value).reshape(out_shape)
    return padded, _C.from_numpy(sorted_lens[unsorted].astype(np.int64))


def _check_sequences(who: str, sequences: Iterable[Tensor]) -> list[Tensor]:
    if isinstance(sequences, Tensor):
        sequences = list(sequences.unbind(0))
    seqs = list(sequences)
    if not seqs:
        raise ValueError(f"{who}: sequences must hold at least one tensor, got none")
    for i, s in enumerate(seqs):
        if not isinstance(s, Tensor):
            raise TypeError(f"{who}: sequences[{i}] must be a Tensor, got {type(s).__name__}")
        if s.ndim < 1:
            raise ValueError(f"{who}: sequences[{i}] must have a time dimension, got a scalar")
        if list(s.shape[1:]) != list(seqs[0].shape[1:]) or s.dtype != seqs[0].dtype:
            raise ValueError(
                f"{who}: every sequence must share trailing shape and dtype; sequences[0] is "
                f"{list(seqs[0].shape)} {seqs[0].dtype}, sequences[{i}] is {list(s.shape)} "
                f"{s.dtype}"
            )
    return seqs


def pad_sequence(
    sequences: Sequence[Tensor] | Tensor,
    batch_first: bool = False,
    padding_value: float = 0.0,
    padding_side: str = "right",
) -> Tensor:
    """Stacks tensors of shape ``(L_i, *)`` into ``(T, B, *)`` (``(B, T, *)`` if
    ``batch_first``) with T = max L_i, filling with ``padding_value`` on ``padding_side``
    ('right' or 'left').

    Example::

        pad_sequence([ax.ones(3, 2), ax.ones(1, 2)], batch_first=True).shape   # (2, 3, 2)
    """
    who = "pad_sequence"
    if padding_side not in ("left", "right"):
        raise ValueError(f"{who}: padding_side must be 'left' or 'right', got {padding_side!r}")
    seqs = _check_sequences(who, sequences)
    lens = np.array([int(s.shape[0]) for s in seqs], dtype=np.int64)
    starts = np.concatenate(([0], np.cumsum(lens)[:-1]))
    total = int(lens.max())
    t = np.arange(total)[:, None]
    # Left padding shifts each sequence right by its amount of padding.
    shift = (total - lens)[None, :] if padding_side == "left" else np.zeros((1, len(seqs)), int)
    pos = t - shift
    index = np.where((pos >= 0) & (pos < lens[None, :]), starts[None, :] + pos, lens.sum())
    if batch_first:
        index = index.T
    flat = seqs[0] if len(seqs) == 1 else _C.cat(seqs)
    return _gather_rows(flat, index, padding_value).reshape([*index.shape, *seqs[0].shape[1:]])


def pack_sequence(sequences: Sequence[Tensor], enforce_sorted: bool = True) -> PackedSequence:
    """Packs tensors of shape ``(L_i, *)``; with ``enforce_sorted`` they must come longest
    first. Equals ``pack_padded_sequence(pad_sequence(sequences), lengths, ...)``."""
    seqs = _check_sequences("pack_sequence", sequences)
    lengths = [int(s.shape[0]) for s in seqs]
    return pack_padded_sequence(pad_sequence(seqs), lengths, enforce_sorted=enforce_sorted)


def unpad_sequence(
    padded_sequences: Tensor, lengths: Tensor | Sequence[int], batch_first: bool = False
) -> list[Tensor]:
    """Splits a padded batch back into a list of ``(L_i, *)`` tensors (views, as in PyTorch)."""
    who = "unpad_sequence"
    _check_tensor(who, "padded_sequences", padded_sequences, 2)
    lens = _as_numpy_ints(who, "lengths", lengths)
    time_dim, batch_dim = (1, 0) if batch_first else (0, 1)
    shape = list(padded_sequences.shape)
    if lens.shape[0] != shape[batch_dim] or (lens.size and lens.max() > shape[time_dim]):
        raise ValueError(
            f"{who}: lengths {lens.tolist()} do not fit padded_sequences of shape {shape} "
            f"(batch_first={batch_first})"
        )
    if lens.size and lens.min() < 0:
        raise ValueError(f"{who}: lengths must be non-negative, got {lens.tolist()}")
    per_seq = padded_sequences.unbind(batch_dim)
    return [s.narrow(0, 0, int(n)) for s, n in zip(per_seq, lens, strict=True)]


def unpack_sequence(packed_sequences: PackedSequence) -> list[Tensor]:
    """Inverse of ``pack_sequence``: the list of ``(L_i, *)`` tensors in the original order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
