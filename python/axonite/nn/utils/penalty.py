"""Weight penalties: ``penalty(model, l1=..., l2=...)`` builds a differentiable L1 / L2 /
elastic-net term to add to a loss."""

from __future__ import annotations

from collections.abc import Iterable

from ... import _C
from ..._C import Tensor
from ..modules.module import Module

__all__ = ["penalty"]


def penalty(
    model_or_params: Module | Tensor | Iterable[Tensor],
    l1: float = 0.0,
    l2: float = 0.0,
    include_bias: bool = False,
) -> Tensor:
    """``l1 * sum(|w|) + l2 * sum(w^2)`` over the weights of a module (or of an iterable of
    parameters), as a differentiable 0-d tensor to add to the loss.

    The L2 term has **no** factor 1/2: its gradient is ``2 * l2 * w`` (so ``l2 = wd / 2`` matches
    SGD's ``weight_decay=wd``). Biases and other parameters with fewer than two dimensions
    (e.g. normalization scales) are excluded unless ``include_bias=True``. Both l1 and l2 given
    is the elastic net.

    >>> loss = F.cross_entropy(model(x), y) + nn.utils.penalty(model, l2=1e-4)
    """
    if l1 < 0 or l2 < 0:
        raise ValueError(f"penalty: l1 and l2 must be non-negative, got l1={l1}, l2={l2}")
    if isinstance(model_or_params, Module):
        params: list[Tensor] = list(model_or_params.parameters())
    elif isinstance(model_or_params, Tensor):
        params = [model_or_params]
    else:
        params = list(model_or_params)
    for p in params:
        if not isinstance(p, Tensor):
            raise TypeError(f"penalty: expected a Module or tensors, got {type(p).__name__}")
    chosen = [p for p in params if include_bias or p.dim() > 1]
    terms: list[Tensor] = []
    for p in chosen:
        if l1:
            terms.append(p.abs().sum() * l1)
        if l2:
            terms.append((p * p).sum() * l2)
    if not terms:
        dtype = chosen[0].dtype if chosen else None
        return _C.zeros((), dtype=dtype)
    total = terms[0]
    for t in terms[1:]:
        total = total + t
    return total
