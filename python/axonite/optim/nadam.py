"""``NAdam``: Adam with Nesterov momentum and the momentum-decay schedule of Dozat (2016), with
optional decoupled weight decay, as ``torch.optim.NAdam``. One fused C++ call per group."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import _C
from .._C import Tensor, _nn
from .optimizer import Optimizer, ParamsT, _scalar

__all__ = ["NAdam"]


def _init_nadam_state(p: Tensor, state: dict[str, Any]) -> None:
    if len(state) == 0:
        state["step"] = _scalar(0.0)
        state["mu_product"] = _scalar(1.0)
        state["exp_avg"] = _C.zeros_like(p)
        state["exp_avg_sq"] = _C.zeros_like(p)


class NAdam(Optimizer):
    """NAdam. The momentum coefficient at step t is
    ``mu_t = beta1 (1 - 0.5 * 0.96^(t * momentum_decay))``; the state keeps the running
    product of the ``mu_t`` (``mu_product``).

    Args:
        params: parameters or parameter groups to optimize.
        lr: learning rate (default 2e-3).
        betas: coefficients of the running averages of the gradient and its square.
        eps: added to the denominator for stability (default 1e-8).
        weight_decay: weight decay (default 0), L2 unless ``decoupled_weight_decay``.
        momentum_decay: momentum decay psi (default 4e-3).
        decoupled_weight_decay: decay the weights directly as in AdamW (NAdamW).
        maximize: ascend the objective instead of descending.
        foreach: accepted for PyTorch compatibility; every step is fused in C++.
    """

    _scalar_state_keys = ("step", "mu_product")

    def __init__(
        self,
        params: ParamsT,
        lr: float | Tensor = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum_decay: float = 4e-3,
        decoupled_weight_decay: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
    ) -> None:
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
        if not momentum_decay >= 0.0:
            raise ValueError(f"Invalid momentum_decay value: {momentum_decay}")
        defaults = {
            "lr": lr,
            "betas": tuple(betas),
            "eps": eps,
            "weight_decay": weight_decay,
            "momentum_decay": momentum_decay,
            "decoupled_weight_decay": decoupled_weight_decay,
            "maximize": maximize,
            "foreach": foreach,
        }
        super().__init__(params, defaults)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Performs one optimization step; ``closure`` re-evaluates the model and returns the
        loss (run with gradients enabled)."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            params, grads, (avgs, sqs, mus, steps) = self._group_tensors(
                group, _init_nadam_state, ("exp_avg", "exp_avg_sq", "mu_product", "step")
            )
            if not params:
                continue
            beta1, beta2 = group["betas"]
            _nn.nadam_step(
                params,
                grads,
                avgs,
                sqs,
                mus,
                steps,
                lr=float(group["lr"]),
                beta1=float(beta1),
                beta2=float(beta2),
                eps=float(group["eps"]),
                weight_decay=float(group["weight_decay"]),
                momentum_decay=float(group["momentum_decay"]),
                maximize=bool(group["maximize"]),
                decoupled_weight_decay=bool(group["decoupled_weight_decay"]),
            )
        return loss
