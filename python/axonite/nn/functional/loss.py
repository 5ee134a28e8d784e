"""Loss functions (``F.cross_entropy``, ``F.mse_loss``, ...) with PyTorch's signatures and
defaults. Argument normalization only: the math is in C++ (``axonite._C._nn``), where
cross-entropy, nll and the pointwise losses are fused kernels with explicit backward passes.

``reduction`` is ``'mean'`` (default), ``'sum'`` or ``'none'``; the legacy ``size_average`` /
``reduce`` flags are accepted (with PyTorch's deprecation warning) and mapped onto it.
"""

from __future__ import annotations

import warnings

from ... import _C
from ..._C import Tensor

_nn = _C._nn

__all__ = [
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cosine_embedding_loss",
    "cosine_similarity",
    "cross_entropy",
    "huber_loss",
    "kl_div",
    "l1_loss",
    "mse_loss",
    "multi_margin_loss",
    "nll_loss",
    "normalize",
    "smooth_l1_loss",
]


def _check_reduction(
    reduction: str, op: str, valid: tuple[str, ...] = ("none", "mean", "sum")
) -> None:
    if reduction not in valid:
        raise ValueError(
            f"{op}: {reduction} is not a valid value for reduction (expected one of {valid})"
        )


def _legacy_reduction(
    size_average: bool | None, reduce: bool | None, reduction: str, op: str | None = None
) -> str:
    """``reduction`` from the deprecated flags when either is given (PyTorch's mapping), else
    ``reduction`` itself, checked when ``op`` (the loss named in the error) is given; loss
    modules pass none and are checked when called, as in PyTorch."""
    if size_average is None and reduce is None:
        if op is not None:
            _check_reduction(reduction, op)
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    ret = "mean" if (size_average and reduce) else ("sum" if reduce else "none")
    warnings.warn(
        f"size_average and reduce args will be deprecated, please use reduction='{ret}' instead.",
        UserWarning,
        stacklevel=3,
    )
    return ret


def _check_tensor(x: object, op: str, arg: str) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}(): argument '{arg}' must be Tensor, not {type(x).__name__}")


def _warn_size(input: Tensor, target: Tensor) -> None:
    if target.shape != input.shape:
        warnings.warn(
            f"Using a target size ({target.shape}) that is different to the input size "
            f"({input.shape}). This will likely lead to incorrect results due to broadcasting. "
            "Please ensure they have the same size.",
            UserWarning,
            stacklevel=3,
        )


def _weighted(loss: Tensor, weight: Tensor, reduction: str, mean_by_weight: bool) -> Tensor:
    """PyTorch's per-element ``weight`` of the regression losses: 'mean' divides by the summed
    weights (mse, l1) or by the element count (huber)."""
    out = loss * weight
    if reduction == "none":
        return out
    if reduction == "sum":
        return out.sum()
    if reduction == "mean":
        return out.sum() / weight.sum() if mean_by_weight else out.mean()
    raise ValueError(f"{reduction} is not a valid value for reduction")


def cross_entropy(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average: bool | None = None,
    ignore_index: int = -100,
    reduce: bool | None = None,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    """Cross-entropy between logits ``input`` and ``target``: one fused kernel (log-sum-exp and
    the picked logit in one pass; backward softmax - one-hot in one pass).

    Shapes: input (N, C), (C,) or (N, C, d1, ...); target class indices (N,), () or
    (N, d1, ...) (int64), or class probabilities of input's shape. ``weight`` (C,) rescales
    classes ('mean' then divides by the summed weights of the non-ignored targets).

    >>> F.cross_entropy(ax.randn(4, 10), ax.tensor([1, 0, 9, 3]))
    """
    _check_tensor(input, "cross_entropy", "input")
    _check_tensor(target, "cross_entropy", "target")
    reduction = _legacy_reduction(size_average, reduce, reduction, "cross_entropy")
    return _nn.cross_entropy(input, target, weight, ignore_index, reduction, label_smoothing)


def nll_loss(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average: bool | None = None,
    ignore_index: int = -100,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """Negative log-likelihood of class indices given log-probabilities ``input`` (same shapes as
    :func:`cross_entropy`'s index form)."""
    _check_tensor(input, "nll_loss", "input")
    _check_tensor(target, "nll_loss", "target")
    reduction = _legacy_reduction(size_average, reduce, reduction, "nll_loss")
    return _nn.nll_loss(input, target, weight, ignore_index, reduction)


def _regression_loss(
    op: str,
    input: Tensor,
    target: Tensor,
    reduction: str,
    weight: Tensor | None,
    mean_by_weight: bool,
    legacy: tuple[bool | None, bool | None] | None,
    *args: float,
) -> Tensor:
    """The body mse_loss, l1_loss and huber_loss share: input checks, PyTorch's size warning,
    the legacy size_average/reduce flags, and the optional per-element ``weight``."""
    _check_tensor(input, op, "input")
    _check_tensor(target, op, "target")
    _warn_size(input, target)
    if legacy is not None:
        reduction = _legacy_reduction(*legacy, reduction, op)
    _check_reduction(reduction, op)
    kernel = getattr(_nn, op)
    if weight is None:
        return kernel(input, target, reduction, *args)
    if weight.shape != input.shape:
        raise ValueError("Weights and input must have the same size.")
    return _weighted(kernel(input, target, "none", *args), weight, reduction, mean_by_weight)


def mse_loss(
    input: Tensor,
    target: Tensor,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
    weight: Tensor | None = None,
) -> Tensor:
    """Mean squared error ``(input - target)^2`` (input and target broadcast, with PyTorch's
    warning when their sizes differ); optional per-element ``weight`` of input's size."""
    return _regression_loss(
        "mse_loss", input, target, reduction, weight, True, (size_average, reduce)
    )


def l1_loss(
    input: Tensor,
    target: Tensor,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
    weight: Tensor | None = None,
) -> Tensor:
    """Mean absolute error ``|input - target|`` (broadcasting and ``weight`` as mse_loss)."""
    return _regression_loss(
        "l1_loss", input, target, reduction, weight, True, (size_average, reduce)
    )


def huber_loss(
    input: Tensor,
    target: Tensor,
    reduction: str = "mean",
    delta: float = 1.0,
    weight: Tensor | None = None,
) -> Tensor:
    """Huber loss: ``0.5 d^2`` where ``|d| < delta``, else ``delta (|d| - 0.5 delta)``."""
    return _regression_loss("huber_loss", input, target, reduction, weight, False, None, delta)


def smooth_l1_loss(
    input: Tensor,
    target: Tensor,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
    beta: float = 1.0,
) -> Tensor:
    """Smooth L1: ``0.5 d^2 / beta`` where ``|d| < beta``, else ``|d| - 0.5 beta`` (beta = 0 is
    the L1 loss)."""
    _check_tensor(input, "smooth_l1_loss", "input")
    _check_tensor(target, "smooth_l1_loss", "target")
    _warn_size(input, target)
    reduction = _legacy_reduction(size_average, reduce, reduction, "smooth_l1_loss")
    return _nn.smooth_l1_loss(input, target, reduction, beta)


def binary_cross_entropy(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """``-w (t log(x) + (1 - t) log(1 - x))`` for probabilities ``input`` in [0, 1] (logs
    clamped at -100 as PyTorch); ``weight`` broadcasts to input's shape."""
    _check_tensor(input, "binary_cross_entropy", "input")
    _check_tensor(target, "binary_cross_entropy", "target")
    reduction = _legacy_reduction(size_average, reduce, reduction, "binary_cross_entropy")
    return _nn.binary_cross_entropy(input, target, weight, reduction)


def binary_cross_entropy_with_logits(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
    pos_weight: Tensor | None = None,
) -> Tensor:
    """Sigmoid + binary cross-entropy in the stable form
    ``(1 - t) x + (1 + (p - 1) t) (max(-x, 0) + log1p(exp(-|x|))``; ``pos_weight`` p weighs
    the positive term (broadcast along the last dims, e.g. (C,) for (N, C) logits)."""
    _check_tensor(input, "binary_cross_entropy_with_logits", "input")
    _check_tensor(target, "binary_cross_entropy_with_logits", "target")
    reduction = _legacy_reduction(
        size_average, reduce, reduction, "binary_cross_entropy_with_logits"
    )
    return _nn.binary_cross_entropy_with_logits(input, target, weight, pos_weight, reduction)


def kl_div(
    input: Tensor,
    target: Tensor,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
    log_target: bool = False,
) -> Tensor:
    """KL divergence ``target (log target - input)`` of log-probabilities ``input``
    (``log_target``: target given as log-probabilities). ``'batchmean'`` divides the sum by the
    batch size (the mathematical KL); ``'mean'`` divides by the element count, with PyTorch's
    warning."""
    _check_tensor(input, "kl_div", "input")
    _check_tensor(target, "kl_div", "target")
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce, reduction, "kl_div")
    _check_reduction(reduction, "kl_div", ("none", "mean", "sum", "batchmean"))
    if reduction == "mean" and size_average is None and reduce is None:
        warnings.warn(
            "reduction: 'mean' divides the total loss by both the batch size and the support "
            "size.'batchmean' divides only by the batch size, and aligns with the KL div math "
            "definition.'mean' will be changed to behave the same as 'batchmean' in the next "
            "major release.",
            UserWarning,
            stacklevel=2,
        )
    return _nn.kl_div(input, target, reduction, log_target)


def multi_margin_loss(
    input: Tensor,
    target: Tensor,
    p: int = 1,
    margin: float = 1.0,
    weight: Tensor | None = None,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """Weston-Watkins multi-class hinge:
    ``sum_{j != y} max(0, margin - x[y] + x[j])^p * w[y] / C`` per sample (p = 2: squared)."""
    _check_tensor(input, "multi_margin_loss", "input")
    _check_tensor(target, "multi_margin_loss", "target")
    reduction = _legacy_reduction(size_average, reduce, reduction, "multi_margin_loss")
    return _nn.multi_margin_loss(input, target, p, margin, weight, reduction)


def cosine_embedding_loss(
    input1: Tensor,
    input2: Tensor,
    target: Tensor,
    margin: float = 0,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """``1 - cos(x1, x2)`` where target is 1, ``max(0, cos(x1, x2) - margin)`` where it is -1."""
    _check_tensor(input1, "cosine_embedding_loss", "input1")
    _check_tensor(input2, "cosine_embedding_loss", "input2")
    _check_tensor(target, "cosine_embedding_loss", "target")
    reduction = _legacy_reduction(size_average, reduce, reduction, "cosine_embedding_loss")
    return _nn.cosine_embedding_loss(input1, input2, target, float(margin), reduction)


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """Cosine similarity of x1 and x2 (broadcast together) along ``dim``."""
    _check_tensor(x1, "cosine_similarity", "x1")
    _check_tensor(x2, "cosine_similarity", "x2")
    return _nn.cosine_similarity(x1, x2, dim, eps)


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12) -> Tensor:
    """``input / max(||input||_p, eps)`` along ``dim`` (rows of unit norm by default)."""
    _check_tensor(input, "normalize", "input")
    return _nn.normalize(input, float(p), dim, eps)
