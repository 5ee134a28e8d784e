"""``Adadelta``: learning rates adapted from running averages of squared gradients and squared
updates (Zeiler 2012), as ``torch.optim.Adadelta``. One fused C++ call per parameter group."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import _C
from .._C import Tensor, _nn
from .optimizer import Optimizer, ParamsT, _scalar

__all__ = ["Adadelta"]


def _init_adadelta_state(p: Tensor, state: dict[str, Any]) -> None:
    if len(state) == 0:
        state["step"] = _scalar(0.0)
        state["square_avg"] = _C.zeros_like(p)
        state["acc_delta"] = _C.zeros_like(p)


class Adadelta(Optimizer):
    """Adadelta: ``v = rho v + (1 - rho) g^2``,
    ``delta = sqrt(u + eps) / sqrt(v + eps) * g``, ``u = rho u + (1 - rho) delta^2``,
    ``p -= lr * delta``.

    Args:
        params: parameters or parameter groups to optimize.
        lr: coefficient that scales delta before it is applied (default 1.0).
        rho: coefficient of the running averages (default 0.9).
        eps: added inside the square roots for stability (default 1e-6).
        weight_decay: L2 penalty (default 0).
        foreach: accepted for PyTorch compatibility; every step is fused in C++.
        maximize: ascend the objective instead of descending.
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float | Tensor = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0,
        foreach: bool | None = None,
        *,
        maximize: bool = False,
    ) -> None:
        if not lr >= 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        if not eps >= 0.0:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not weight_decay >= 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = {
            "lr": lr,
            "rho": rho,
            "eps": eps,
            "weight_decay": weight_decay,
            "maximize": maximize,
            "foreach": foreach,
        }
        super().__init__(params, defaults)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Performs one optimization step; ``closure`` re-evaluates the model and returns the
        loss (run with gradients enabled)."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            params, grads, (sqs, accs, steps) = self._group_tensors(
                group, _init_adadelta_state, ("square_avg", "acc_delta", "step")
            )
            if not params:
                continue
            _nn.adadelta_step(
                params,
                grads,
                sqs,
                accs,
                steps,
                lr=float(group["lr"]),
                rho=float(group["rho"]),
                eps=float(group["eps"]),
                weight_decay=float(group["weight_decay"]),
                maximize=bool(group["maximize"]),
            )
        return loss
