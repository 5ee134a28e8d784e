"""``RMSprop``: gradient scaled by a running RMS, optionally centered and with momentum, as
``torch.optim.RMSprop``. One fused C++ call per parameter group."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from .. import _C
from .._C import Tensor, _nn
from .optimizer import Optimizer, ParamsT, _scalar

__all__ = ["RMSprop"]


def _init_rmsprop_state(p: Tensor, state: dict[str, Any], momentum: float, centered: bool) -> None:
    if len(state) == 0:
        state["step"] = _scalar(0.0)
        state["square_avg"] = _C.zeros_like(p)
        if momentum > 0:
            state["momentum_buffer"] = _C.zeros_like(p)
        if centered:
            state["grad_avg"] = _C.zeros_like(p)


class RMSprop(Optimizer):
    """RMSprop: ``v = alpha v + (1 - alpha) g^2``; ``avg = sqrt(v) + eps`` (centered: the
    running mean of g is subtracted first); then ``p -= lr * g / avg`` or, with momentum,
    ``buf = momentum * buf + g / avg`` and ``p -= lr * buf``.

    Args:
        params: parameters or parameter groups to optimize.
        lr: learning rate (default 1e-2).
        alpha: smoothing constant (default 0.99).
        eps: added to the denominator for stability (default 1e-8).
        weight_decay: L2 penalty (default 0).
        momentum: momentum factor (default 0).
        centered: normalize by the estimated variance of the gradient.
        foreach: accepted for PyTorch compatibility; every step is fused in C++.
        maximize: ascend the objective instead of descending.
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float | Tensor = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
        foreach: bool | None = None,
        maximize: bool = False,
    ) -> None:
        if not lr >= 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not eps >= 0.0:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not momentum >= 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if not weight_decay >= 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not alpha >= 0.0:
            raise ValueError(f"Invalid alpha value: {alpha}")
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "alpha": alpha,
            "eps": eps,
            "centered": centered,
            "weight_decay": weight_decay,
            "foreach": foreach,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Performs one optimization step; ``closure`` re-evaluates the model and returns the
        loss (run with gradients enabled)."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            momentum = float(group["momentum"])
            centered = bool(group["centered"])
            keys = ["square_avg", "step"]
            keys += ["momentum_buffer"] if momentum > 0 else []
            keys += ["grad_avg"] if centered else []
            params, grads, (sqs, steps, *rest) = self._group_tensors(
                group,
                functools.partial(_init_rmsprop_state, momentum=momentum, centered=centered),
                keys,
            )
            bufs = rest.pop(0) if momentum > 0 else []
            gavgs = rest.pop(0) if centered else []
            if not params:
                continue
            _nn.rmsprop_step(
                params,
                grads,
                sqs,
                gavgs,
                bufs,
                steps,
                lr=float(group["lr"]),
                alpha=float(group["alpha"]),
                eps=float(group["eps"]),
                weight_decay=float(group["weight_decay"]),
                momentum=momentum,
                centered=centered,
                maximize=bool(group["maximize"]),
            )
        return loss
