"""Sparse-input layers in functional form: ``embedding`` (row gather, scatter-add backward in
C++) and ``one_hot``. axonite has no sparse tensors: ``sparse=True`` is accepted and gives the
same gradient values as a dense tensor."""

from __future__ import annotations

from ... import _C
from ..._C import Tensor, _nn
from ...autograd import no_grad

__all__ = ["embedding", "one_hot"]

one_hot = _C.one_hot


class PaddingIdxError(ValueError, AssertionError):
    """A padding_idx outside [-num_embeddings, num_embeddings): a ValueError, and still the
    AssertionError PyTorch raises, so code written for either catches it."""


def embedding(
    input: Tensor,
    weight: Tensor,
    padding_idx: int | None = None,
    max_norm: float | None = None,
    norm_type: float = 2.0,
    scale_grad_by_freq: bool = False,
    sparse: bool = False,
) -> Tensor:
    """Rows of ``weight`` (num_embeddings, embedding_dim) looked up by the int64 ``input``
    -> (*input.shape, embedding_dim).

    ``padding_idx`` rows receive no gradient; ``max_norm`` first rescales, in place, the
    looked-up rows whose ``norm_type``-norm exceeds it; ``scale_grad_by_freq`` divides each
    row's gradient by the index's frequency in the batch. ``sparse=True`` is accepted for
    PyTorch compatibility but the gradient stays dense (axonite has no sparse tensors).
    An index outside [0, num_embeddings) raises IndexError.
    """
    if not isinstance(weight, Tensor):
        raise TypeError(f"embedding: 'weight' must be a Tensor, got {type(weight).__name__}")
    if weight.dim() != 2:
        raise RuntimeError(f"embedding: 'weight' must be 2-D, got shape {tuple(weight.shape)}")
    num = weight.shape[0]
    if padding_idx is not None:
        if padding_idx >= num or padding_idx < -num:
            raise PaddingIdxError(
                f"embedding: Padding_idx must be within num_embeddings (padding_idx={padding_idx}, "
                f"num_embeddings={num})"
            )
        if padding_idx < 0:
            padding_idx = num + padding_idx
    else:
        padding_idx = -1
    if max_norm is not None:
        with no_grad():
            _nn.embedding_renorm_(weight, input, max_norm, norm_type)
    return _nn.embedding(weight, input, padding_idx, scale_grad_by_freq)
