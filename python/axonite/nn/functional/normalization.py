"""Normalization layers in functional form: ``batch_norm``, ``layer_norm``, ``group_norm``.
Each is one fused C++ op (float64 statistics, fused backward); this file only normalizes
arguments to PyTorch's signatures."""

from __future__ import annotations

from collections.abc import Sequence

from ..._C import Tensor, _nn

__all__ = ["batch_norm", "group_norm", "layer_norm"]


def batch_norm(
    input: Tensor,
    running_mean: Tensor | None,
    running_var: Tensor | None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Normalizes input (N, C, *) per channel: with batch statistics when ``training`` (and
    then updates the running statistics in place: ``r = (1 - momentum) * r + momentum * s``,
    with the unbiased batch variance), else with the running statistics."""
    return _nn.batch_norm(
        input, running_mean, running_var, weight, bias, bool(training), float(momentum), eps
    )


def layer_norm(
    input: Tensor,
    normalized_shape: int | Sequence[int],
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Normalizes over the trailing ``normalized_shape`` dims of input (biased variance), then
    applies the elementwise affine ``weight``/``bias`` (shaped like normalized_shape)."""
    if isinstance(normalized_shape, int):
        normalized_shape = (normalized_shape,)
    return _nn.layer_norm(input, tuple(normalized_shape), weight, bias, eps)


def group_norm(
    input: Tensor,
    num_groups: int,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Normalizes input (N, C, *) over groups of C / num_groups channels, then applies the
    per-channel affine ``weight``/``bias`` of shape (C,)."""
    return _nn.group_norm(input, num_groups, weight, bias, eps)
