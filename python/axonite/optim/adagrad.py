"""``Adagrad``: per-coordinate learning rates from the running sum of squared gradients, with
lr decay, weight decay and maximize, as ``torch.optim.Adagrad``. One fused C++ call per group."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import _C
from .._C import Tensor, _nn
from .optimizer import Optimizer, ParamsT, _scalar

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """Adagrad: ``sum += g^2``, ``p -= clr * g / (sqrt(sum) + eps)`` with
    ``clr = lr / (1 + (t - 1) * lr_decay)``.

    Args:
        params: parameters or parameter groups to optimize.
        lr: learning rate (default 1e-2).
        lr_decay: learning-rate decay (default 0).
        weight_decay: L2 penalty (default 0).
        initial_accumulator_value: starting value of the sums (default 0).
        eps: added to the denominator for stability (default 1e-10).
        foreach: accepted for PyTorch compatibility; every step is fused in C++.
        maximize: ascend the objective instead of descending.
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float | Tensor = 1e-2,
        lr_decay: float = 0,
        weight_decay: float = 0,
        initial_accumulator_value: float = 0,
        eps: float = 1e-10,
        foreach: bool | None = None,
        *,
        maximize: bool = False,
    ) -> None:
        if not lr >= 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not lr_decay >= 0.0:
            raise ValueError(f"Invalid lr_decay value: {lr_decay}")
        if not weight_decay >= 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not initial_accumulator_value >= 0.0:
            raise ValueError(
                f"Invalid initial_accumulator_value value: {initial_accumulator_value}"
            )
        if not eps >= 0.0:
            raise ValueError(f"Invalid epsilon value: {eps}")
        defaults = {
            "lr": lr,
            "lr_decay": lr_decay,
            "eps": eps,
            "weight_decay": weight_decay,
            "initial_accumulator_value": initial_accumulator_value,
            "foreach": foreach,
            "maximize": maximize,
        }
        super().__init__(params, defaults)
        # PyTorch creates Adagrad's state eagerly, so state_dict() lists every parameter.
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p)

    def _init_state(self, p: Tensor) -> dict[str, Any]:
        state = self.state[p]
        if len(state) == 0:
            state["step"] = _scalar(0.0)
            state["sum"] = _C.full_like(p, float(self.defaults["initial_accumulator_value"]))
        return state

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Performs one optimization step; ``closure`` re-evaluates the model and returns the
        loss (run with gradients enabled)."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            params, grads, (sums, steps) = self._group_tensors(
                group, lambda p, _state: self._init_state(p), ("sum", "step")
            )
            if not params:
                continue
            _nn.adagrad_step(
                params,
                grads,
                sums,
                steps,
                lr=float(group["lr"]),
                lr_decay=float(group["lr_decay"]),
                weight_decay=float(group["weight_decay"]),
                eps=float(group["eps"]),
                maximize=bool(group["maximize"]),
            )
        return loss
