"""``SGD``: stochastic gradient descent with momentum, dampening, Nesterov momentum, weight decay
and maximize, as ``torch.optim.SGD``. Each step is one fused C++ call per parameter group."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .._C import Tensor, _nn
from .optimizer import Optimizer, ParamsT

__all__ = ["SGD"]


class SGD(Optimizer):
    """Stochastic gradient descent (optionally with momentum).

    With momentum the buffer starts as the first gradient (after weight decay), then
    ``buf = momentum * buf + (1 - dampening) * g``; the update is ``p -= lr * buf`` (or
    ``lr * (g + momentum * buf)`` with ``nesterov=True``).

    Args:
        params: parameters or parameter groups to optimize.
        lr: learning rate (default 1e-3).
        momentum: momentum factor (default 0).
        dampening: dampening of the momentum (default 0).
        weight_decay: L2 penalty added to the gradient (default 0).
        nesterov: use Nesterov momentum (needs momentum > 0 and zero dampening).
        maximize: ascend the objective instead of descending.
        foreach: accepted for PyTorch compatibility; every step is fused in C++.
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float | Tensor = 1e-3,
        momentum: float = 0,
        dampening: float = 0,
        weight_decay: float = 0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
    ) -> None:
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "dampening": dampening,
            "weight_decay": weight_decay,
            "nesterov": nesterov,
            "maximize": maximize,
            "foreach": foreach,
        }
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Performs one optimization step; ``closure`` re-evaluates the model and returns the
        loss (run with gradients enabled)."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            momentum = float(group["momentum"])
            params: list[Tensor] = []
            grads: list[Tensor] = []
            bufs: list[Tensor | None] = []
            for p in group["params"]:
                g = p.grad
                if g is None:
                    continue
                params.append(p)
                grads.append(g)
                if momentum != 0:
                    bufs.append(self.state[p].get("momentum_buffer"))
            if not params:
                continue
            new_bufs = _nn.sgd_step(
                params,
                grads,
                bufs,
                lr=float(group["lr"]),
                momentum=momentum,
                dampening=float(group["dampening"]),
                weight_decay=float(group["weight_decay"]),
                nesterov=bool(group["nesterov"]),
                maximize=bool(group["maximize"]),
            )
            if momentum != 0:
                for p, old, new in zip(params, bufs, new_bufs, strict=True):
                    if old is None:
                        self.state[p]["momentum_buffer"] = new
        return loss
