"""Activation functions (``F.relu``, ``F.gelu``, ``F.softmax``, ...) with PyTorch's signatures,
defaults, ``inplace`` flags and ``F.xxx_`` in-place forms. Argument normalization only: each
activation is one fused C++ kernel forward and one fused kernel backward (``axonite._C._nn``),
and the backward is itself differentiable (``create_graph=True`` works).

``step`` is an axonite extra (the perceptron's Heaviside step); its gradient is zero
everywhere, like ``torch.sign``.
"""

from __future__ import annotations

import warnings

from ..._C import Tensor, _nn
from ..._C import dtype as _dtype

__all__ = [
    "celu",
    "celu_",
    "elu",
    "elu_",
    "gelu",
    "hardsigmoid",
    "hardswish",
    "hardtanh",
    "hardtanh_",
    "leaky_relu",
    "leaky_relu_",
    "log_softmax",
    "logsigmoid",
    "mish",
    "prelu",
    "relu",
    "relu6",
    "relu_",
    "selu",
    "selu_",
    "sigmoid",
    "silu",
    "softmax",
    "softmin",
    "softplus",
    "softsign",
    "step",
    "tanh",
    "threshold",
    "threshold_",
]


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """``max(input, 0)`` elementwise (NaN propagates)."""
    return _nn.relu_(input) if inplace else _nn.relu(input)


def relu_(input: Tensor) -> Tensor:
    """In-place :func:`relu`."""
    return _nn.relu_(input)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """``min(max(input, 0), 6)``."""
    return _nn.relu6_(input) if inplace else _nn.relu6(input)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """``input if input > 0 else negative_slope * input``."""
    if inplace:
        return _nn.leaky_relu_(input, negative_slope)
    return _nn.leaky_relu(input, negative_slope)


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    """In-place :func:`leaky_relu`."""
    return _nn.leaky_relu_(input, negative_slope)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """``input if input > 0 else alpha * (exp(input) - 1)``."""
    return _nn.elu_(input, alpha) if inplace else _nn.elu(input, alpha)


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    """In-place :func:`elu`."""
    return _nn.elu_(input, alpha)


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """``scale * elu(input, alpha)`` with alpha = 1.6732632423543772, scale = 1.0507009873554805
    (self-normalizing networks)."""
    return _nn.selu_(input) if inplace else _nn.selu(input)


def selu_(input: Tensor) -> Tensor:
    """In-place :func:`selu`."""
    return _nn.selu_(input)


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """``max(0, input) + min(0, alpha * (exp(input / alpha) - 1))``; alpha must not be 0."""
    return _nn.celu_(input, alpha) if inplace else _nn.celu(input, alpha)


def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    """In-place :func:`celu`."""
    return _nn.celu_(input, alpha)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """``input * Phi(input)`` with Phi the standard normal CDF (``approximate='none'``), or its
    tanh approximation ``0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))``
    (``approximate='tanh'``)."""
    return _nn.gelu(input, approximate)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """``input * sigmoid(input)`` (swish)."""
    return _nn.silu_(input) if inplace else _nn.silu(input)


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """``input * tanh(softplus(input))``."""
    return _nn.mish_(input) if inplace else _nn.mish(input)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """``log(1 + exp(beta * input)) / beta``, and ``input`` itself where
    ``beta * input > threshold`` (for numerical stability)."""
    return _nn.softplus(input, beta, threshold)


def softsign(input: Tensor) -> Tensor:
    """``input / (1 + |input|)``."""
    return _nn.softsign(input)


def hardtanh(
    input: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False
) -> Tensor:
    """``clamp(input, min_val, max_val)``; ValueError when min_val > max_val."""
    if inplace:
        return _nn.hardtanh_(input, min_val, max_val)
    return _nn.hardtanh(input, min_val, max_val)


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    """In-place :func:`hardtanh`."""
    return _nn.hardtanh_(input, min_val, max_val)


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """``relu6(input + 3) / 6``."""
    return _nn.hardsigmoid_(input) if inplace else _nn.hardsigmoid(input)


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """``input * relu6(input + 3) / 6``."""
    return _nn.hardswish_(input) if inplace else _nn.hardswish(input)


def logsigmoid(input: Tensor) -> Tensor:
    """``log(sigmoid(input))``, computed stably as ``min(x, 0) - log1p(exp(-|x|))``."""
    return _nn.logsigmoid(input)


def sigmoid(input: Tensor) -> Tensor:
    """``1 / (1 + exp(-input))``."""
    return _nn.sigmoid(input)


def tanh(input: Tensor) -> Tensor:
    """Hyperbolic tangent."""
    return _nn.tanh(input)


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """``input if input > threshold else value``."""
    if inplace:
        return _nn.threshold_(input, threshold, value)
    return _nn.threshold(input, threshold, value)


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:
    """In-place :func:`threshold`."""
    return _nn.threshold_(input, threshold, value)


def step(input: Tensor, threshold: float = 0.0, value: float = 0.0) -> Tensor:
    """Heaviside step (axonite extra, for perceptrons): 1 where ``input > threshold``,
    ``value`` where ``input == threshold``, 0 elsewhere. Its gradient is zero everywhere (the
    function is piecewise constant), like ``torch.sign``; train perceptrons with their own
    update rule or use a smooth surrogate such as ``sigmoid``.

    >>> F.step(ax.tensor([-1.0, 0.0, 2.0]))
    tensor([0., 0., 1.])
    """
    return _nn.step(input, threshold, value)


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """``input if input > 0 else weight * input``; weight has 1 element or one per channel
    (dim 1 of input; inputs with fewer than 2 dims have one channel)."""
    return _nn.prelu(input, weight)


def _get_softmax_dim(name: str, ndim: int, stacklevel: int) -> int:
    """PyTorch's legacy implicit-dim rule (with its deprecation warning): dim 0 for 0-, 1- and
    3-d inputs, else dim 1."""
    warnings.warn(
        f"Implicit dimension choice for {name} has been deprecated. "
        "Change the call to include dim=X as an argument.",
        stacklevel=stacklevel,
    )
    return 0 if ndim in (0, 1, 3) else 1


def softmax(
    input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype: _dtype | None = None
) -> Tensor:
    """``exp(x) / sum(exp(x))`` along ``dim`` (max-subtracted, so extreme logits stay finite).
    ``dtype`` converts the input first. Without ``dim``, PyTorch's legacy rule picks one (with
    a deprecation warning)."""
    if dim is None:
        dim = _get_softmax_dim("softmax", input.dim(), _stacklevel)
    return _nn.softmax(input, dim, dtype)


def softmin(
    input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype: _dtype | None = None
) -> Tensor:
    """``softmax(-input)`` along ``dim``."""
    if dim is None:
        dim = _get_softmax_dim("softmin", input.dim(), _stacklevel)
    return _nn.softmin(input, dim, dtype)


def log_softmax(
    input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype: _dtype | None = None
) -> Tensor:
    """``x - logsumexp(x)`` along ``dim``, computed in one fused, max-subtracted pass."""
    if dim is None:
        dim = _get_softmax_dim("log_softmax", input.dim(), _stacklevel)
    return _nn.log_softmax(input, dim, dtype)
