"""Conversion between a model's parameters and one flat vector (``torch.nn.utils`` names)."""

from __future__ import annotations

from collections.abc import Iterable

from ... import _C
from ..._C import Tensor

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """Flattens the parameters into one 1-d tensor (concatenated in iteration order).

    Example:
        >>> vec = ax.nn.utils.parameters_to_vector(model.parameters())
    """
    views = []
    for p in parameters:
        if not isinstance(p, Tensor):
            raise TypeError(f"expected axonite.Tensor, but got: {type(p).__name__}")
        views.append(p.reshape(-1))
    if not views:
        raise RuntimeError("parameters_to_vector: expected a non-empty iterable of tensors")
    return _C.cat(views)


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Makes each parameter's data the matching slice of ``vec`` (viewed in the parameter's
    shape), as PyTorch does: the parameters then share ``vec``'s memory.

    Raises RuntimeError when ``vec`` is not 1-d or has fewer elements than the parameters
    need."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected axonite.Tensor, but got: {type(vec).__name__}")
    if vec.ndim != 1:
        raise RuntimeError(f"vector_to_parameters: vec must be 1-d, got shape {tuple(vec.shape)}")
    flat = vec.detach()
    pointer = 0
    for p in parameters:
        n = p.numel()
        if pointer + n > flat.numel():
            raise RuntimeError(
                f"vector_to_parameters: vec has {flat.numel()} elements, fewer than the "
                "parameters need"
            )
        p.data = flat[pointer : pointer + n].view_as(p)
        pointer += n
