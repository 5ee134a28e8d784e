"""``Adam`` (and the shared Adam/AdamW step): adaptive moment estimation with optional AMSGrad,
L2 or decoupled weight decay and maximize, as ``torch.optim.Adam``. One fused C++ call per
parameter group."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from .. import _C
from .._C import Tensor, _nn
from .optimizer import Optimizer, ParamsT, _scalar

__all__ = ["Adam"]


def _check_adam_args(lr: Any, betas: tuple[float, float], eps: float, weight_decay: float) -> None:
    if not lr >= 0.0:
        raise ValueError(f"Invalid learning rate: {lr}")
    if not eps >= 0.0:
        raise ValueError(f"Invalid epsilon value: {eps}")
    if not 0.0 <= betas[0] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
    if not 0.0 <= betas[1] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
    if not weight_decay >= 0.0:
        raise ValueError(f"Invalid weight_decay value: {weight_decay}")


def _init_adam_state(p: Tensor, state: dict[str, Any], amsgrad: bool) -> None:
    if len(state) == 0:
        state["step"] = _scalar(0.0)
        state["exp_avg"] = _C.zeros_like(p)
        state["exp_avg_sq"] = _C.zeros_like(p)
    if amsgrad and "max_exp_avg_sq" not in state:  # amsgrad may be switched on mid-training
        state["max_exp_avg_sq"] = _C.zeros_like(p)


class Adam(Optimizer):
    """Adam: ``m = lerp(m, g, 1 - beta1)``, ``v = beta2 v + (1 - beta2) g^2``, then
    ``p -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)``.

    Args:
        params: parameters or parameter groups to optimize.
        lr: learning rate (default 1e-3).
        betas: coefficients of the running averages of the gradient and its square.
        eps: added to the denominator for stability (default 1e-8).
        weight_decay: L2 penalty (default 0); decoupled as in AdamW when
            ``decoupled_weight_decay=True``.
        amsgrad: use the maximum of past second moments (AMSGrad).
        maximize: ascend the objective instead of descending.
        foreach: accepted for PyTorch compatibility; every step is fused in C++.
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float | Tensor = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        amsgrad: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        decoupled_weight_decay: bool = False,
    ) -> None:
        _check_adam_args(lr, betas, eps, weight_decay)
        defaults = {
            "lr": lr,
            "betas": tuple(betas),
            "eps": eps,
            "weight_decay": weight_decay,
            "amsgrad": amsgrad,
            "maximize": maximize,
            "foreach": foreach,
            "decoupled_weight_decay": decoupled_weight_decay,
        }
        super().__init__(params, defaults)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Performs one optimization step; ``closure`` re-evaluates the model and returns the
        loss (run with gradients enabled)."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            amsgrad = bool(group["amsgrad"])
            keys = ["exp_avg", "exp_avg_sq", "step"] + (["max_exp_avg_sq"] if amsgrad else [])
            params, grads, (avgs, sqs, steps, *rest) = self._group_tensors(
                group, functools.partial(_init_adam_state, amsgrad=amsgrad), keys
            )
            maxs = rest[0] if amsgrad else []
            if not params:
                continue
            beta1, beta2 = group["betas"]
            _nn.adam_step(
                params,
                grads,
                avgs,
                sqs,
                maxs,
                steps,
                lr=float(group["lr"]),
                beta1=float(beta1),
                beta2=float(beta2),
                eps=float(group["eps"]),
                weight_decay=float(group["weight_decay"]),
                amsgrad=amsgrad,
                maximize=bool(group["maximize"]),
                decoupled_weight_decay=bool(group.get("decoupled_weight_decay", False)),
            )
        return loss
