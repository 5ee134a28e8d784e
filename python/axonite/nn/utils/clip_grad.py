"""Gradient clipping (``torch.nn.utils`` names): by total norm, with the norm computed over all
gradients and the scaling applied in one fused C++ call each, and by value."""

from __future__ import annotations

import types
import warnings
from collections.abc import Iterable

from ... import _C
from ..._C import Tensor, _nn

__all__ = ["clip_grad_norm_", "clip_grad_value_", "clip_grads_with_norm_", "get_total_norm"]

_TensorOrTensors = Tensor | Iterable[Tensor]


def _as_list(tensors: _TensorOrTensors) -> list[Tensor]:
    return [tensors] if isinstance(tensors, Tensor) else list(tensors)


def _grads(parameters: list[Tensor]) -> list[Tensor]:
    return [p.grad for p in parameters if p.grad is not None]


def get_total_norm(
    tensors: _TensorOrTensors,
    norm_type: float | str = 2.0,
    error_if_nonfinite: bool = False,
    foreach: bool | None = None,
) -> Tensor:
    """The ``norm_type``-norm of the tensors viewed as one vector (the norm of their norms).

    Args:
        tensors: a tensor or an iterable of tensors.
        norm_type: p of the p-norm; ``inf`` (or ``'inf'``) for the max-abs norm.
        error_if_nonfinite: raise RuntimeError when the norm is nan or +-inf.
        foreach: accepted for PyTorch compatibility (always fused).

    Returns:
        A 0-d tensor (float32 for an empty list).
    """
    return _nn.get_total_norm(_as_list(tensors), float(norm_type), bool(error_if_nonfinite))


def clip_grads_with_norm_(
    parameters: _TensorOrTensors,
    max_norm: float,
    total_norm: Tensor,
    foreach: bool | None = None,
) -> None:
    """Scales the gradients of ``parameters`` in place by
    ``min(max_norm / (total_norm + 1e-6), 1)``."""
    grads = _grads(_as_list(parameters))
    if grads:
        _nn.clip_grads_with_norm_(grads, float(max_norm), total_norm)


def clip_grad_norm_(
    parameters: _TensorOrTensors,
    max_norm: float,
    norm_type: float | str = 2.0,
    error_if_nonfinite: bool = False,
    foreach: bool | None = None,
) -> Tensor:
    """Clips the gradients of ``parameters`` in place so that their total ``norm_type``-norm
    (all gradients viewed as one vector) is at most ``max_norm``.

    Args:
        parameters: a tensor or an iterable of tensors whose ``.grad`` is clipped.
        max_norm: the largest allowed total norm.
        norm_type: p of the p-norm; ``inf`` (or ``'inf'``) for the max-abs norm.
        error_if_nonfinite: raise RuntimeError (and leave the gradients alone) when the total
            norm is nan or +-inf; otherwise the gradients are scaled by the non-finite factor.
        foreach: accepted for PyTorch compatibility (always fused).

    Returns:
        The total norm of the gradients before clipping, a 0-d tensor.

    Example:
        >>> loss.backward()
        >>> ax.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
    """
    if isinstance(parameters, types.GeneratorType):
        parameters = list(parameters)
        if not parameters:
            warnings.warn(
                "`parameters` is an empty generator, no gradient clipping will occur.",
                stacklevel=2,
            )
    grads = _grads(_as_list(parameters))
    if not grads:
        return _C.zeros(())
    return _nn.clip_grad_norm_(grads, float(max_norm), float(norm_type), bool(error_if_nonfinite))


def clip_grad_value_(
    parameters: _TensorOrTensors, clip_value: float, foreach: bool | None = None
) -> None:
    """Clamps the gradients of ``parameters`` in place to ``[-clip_value, clip_value]``."""
    grads = _grads(_as_list(parameters))
    if grads:
        _nn.clip_grad_value_(grads, float(clip_value))
