"""Finite-difference gradient checks in float64, as ``torch.autograd.gradcheck``: the
analytical Jacobian (rows from vector-Jacobian products through the C++ engine) must match
central differences within ``atol + rtol * |numerical|``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .. import _C
from .._C import Tensor
from .api import grad as _grad


def _outputs(fn: Callable[..., Any], inputs: Sequence[Any]) -> list[Tensor]:
    out = fn(*inputs)
    outs = list(out) if isinstance(out, tuple | list) else [out]
    return [o for o in outs if isinstance(o, Tensor) and o.dtype.is_floating_point]


def _numerical(
    fn: Callable[..., Any], inputs: Sequence[Any], i: int, eps: float, sizes: list[int]
) -> np.ndarray:
    x = inputs[i]
    buf = x.detach().numpy()  # shares memory with x
    flat_idx = list(np.ndindex(*buf.shape)) if buf.ndim else [()]
    jac = np.zeros((x.numel(), sum(sizes)))
    for k, idx in enumerate(flat_idx):
        orig = buf[idx]
        # Written through NumPy: no version bump, and grad mode stays on because fn may itself
        # differentiate (gradgradcheck's vector-Jacobian product).
        buf[idx] = orig + eps
        plus = [o.detach().numpy().ravel().copy() for o in _outputs(fn, inputs)]
        buf[idx] = orig - eps
        minus = [o.detach().numpy().ravel().copy() for o in _outputs(fn, inputs)]
        buf[idx] = orig
        jac[k] = np.concatenate([(p - m) / (2 * eps) for p, m in zip(plus, minus, strict=True)])
    return jac


def _analytical(outs: list[Tensor], inputs: list[Tensor], create_graph: bool) -> list[np.ndarray]:
    sizes = [o.numel() for o in outs]
    jacs = [np.zeros((x.numel(), sum(sizes))) for x in inputs]
    col = 0
    for o in outs:
        for j in range(o.numel()):
            go = np.zeros(o.numel(), dtype=np.float64 if o.dtype == _C.float64 else np.float32)
            go[j] = 1.0
            g = _C.from_numpy(go.reshape(tuple(o.shape)))
            gs = _grad([o], inputs, [g], retain_graph=True, allow_unused=True)
            for gx, jac in zip(gs, jacs, strict=True):
                if gx is not None:
                    jac[:, col + j] = gx.detach().numpy().ravel()
        col += o.numel()
    return jacs


def gradcheck(
    fn: Callable[..., Any],
    inputs: Any,
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
    **_: Any,
) -> bool:
    """Checks ``fn``'s gradients w.r.t. every float64 input with ``requires_grad=True``."""
    inputs = tuple(inputs) if isinstance(inputs, tuple | list) else (inputs,)
    diff = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    for i in diff:
        if inputs[i].dtype != _C.float64:
            raise TypeError(
                f"gradcheck: input {i} has dtype {inputs[i].dtype}; use float64 inputs, "
                "finite differences are too noisy in float32"
            )
    outs = _outputs(fn, inputs)
    sizes = [o.numel() for o in outs]
    analytical = _analytical(outs, [inputs[i] for i in diff], False)
    for a, i in zip(analytical, diff, strict=True):
        n = _numerical(fn, inputs, i, eps, sizes)
        if not np.allclose(a, n, atol=atol, rtol=rtol):
            if not raise_exception:
                return False
            bad = np.unravel_index(np.argmax(np.abs(a - n)), a.shape)
            raise RuntimeError(
                f"gradcheck: Jacobian mismatch for input {i}: analytical {a[bad]:.8g} vs "
                f"numerical {n[bad]:.8g} at (input element {bad[0]}, output element {bad[1]})"
                f"\nanalytical:\n{a}\nnumerical:\n{n}"
            )
    return True


def gradgradcheck(
    fn: Callable[..., Any],
    inputs: Any,
    grad_outputs: Any = None,
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
    **_: Any,
) -> bool:
    """Checks second derivatives: gradcheck of the map (inputs, v) -> vJp(fn)(inputs, v),
    whose backward runs through graphs built with ``create_graph=True``."""
    inputs = tuple(inputs) if isinstance(inputs, tuple | list) else (inputs,)
    diff = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    outs = _outputs(fn, inputs)
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        grad_outputs = [
            _C.from_numpy(rng.standard_normal(tuple(o.shape))).requires_grad_(True) for o in outs
        ]
    grad_outputs = list(grad_outputs)
    n_in = len(inputs)

    def vjp(*args: Any) -> tuple[Tensor, ...]:
        xs, vs = args[:n_in], args[n_in:]
        os_ = _outputs(fn, xs)
        gs = _grad(os_, [xs[i] for i in diff], list(vs), create_graph=True, allow_unused=True)
        return tuple(g for g in gs if g is not None)

    return gradcheck(
        vjp,
        (*inputs, *grad_outputs),
        eps=eps,
        atol=atol,
        rtol=rtol,
        raise_exception=raise_exception,
    )
