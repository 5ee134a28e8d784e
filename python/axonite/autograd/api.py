"""Functional autograd entry points over the C++ engine."""

from __future__ import annotations

from collections.abc import Sequence

from .. import _C
from .._C import Tensor

_Tensors = Tensor | Sequence[Tensor]


def _as_list(x: _Tensors | None) -> list[Tensor] | None:
    if x is None:
        return None
    return [x] if isinstance(x, Tensor) else list(x)


def backward(
    tensors: _Tensors,
    grad_tensors: _Tensors | None = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    inputs: _Tensors | None = None,
) -> None:
    """Accumulates gradients of ``tensors`` into the ``.grad`` of the leaves."""
    if retain_graph is None:
        retain_graph = create_graph
    _C._backward(
        _as_list(tensors), _as_list(grad_tensors), retain_graph, create_graph, _as_list(inputs)
    )


def grad(
    outputs: _Tensors,
    inputs: _Tensors,
    grad_outputs: _Tensors | None = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    allow_unused: bool = False,
    materialize_grads: bool = False,
) -> tuple[Tensor, ...]:
    """Returns d(outputs)/d(inputs) without touching ``.grad``. With ``create_graph=True`` the
    result is itself differentiable (higher-order derivatives)."""
    if retain_graph is None:
        retain_graph = create_graph
    ins = _as_list(inputs) or []
    res = _C._grad(
        _as_list(outputs),
        ins,
        _as_list(grad_outputs),
        retain_graph,
        create_graph,
        allow_unused or materialize_grads,
    )
    if materialize_grads:
        from .. import zeros_like

        res = [zeros_like(i) if r is None else r for r, i in zip(res, ins, strict=True)]
    return tuple(res)
