"""Table-driven op checks. Each row (OpSpec) names an op and how to call it in axonite, NumPy
(or a naive reference) and PyTorch; `run_forward`, `run_gradcheck` and `run_torch` check
values, float64 finite-difference gradients (first and second order) and PyTorch parity.

A test module lists its rows and binds the three table tests over them:

    SPECS = [OpSpec("exp", lambda x: x.exp(), ref=np.exp, shapes=[(3, 4)])]
    test_forward, test_gradcheck, test_torch_parity = op_tests(SPECS)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

import axonite as ax


@dataclass
class OpSpec:
    name: str
    fn: Callable[..., Any]  # called with axonite tensors (works unchanged on torch tensors)
    ref: Callable[..., Any] | None = None  # called with NumPy arrays; None: torch only
    shapes: Sequence[tuple[int, ...]] = ((3, 4),)
    low: float = -2.0  # inputs are drawn uniformly from [low, high]
    high: float = 2.0
    grad: bool = True  # run gradcheck/gradgradcheck
    gradgrad: bool = True
    torch_fn: Callable[..., Any] | None = None  # defaults to fn
    int_inputs: Sequence[int] = ()  # positions of int64 inputs (drawn in [0, int_high))
    int_high: int = 3
    make_inputs: Callable[[np.random.Generator], list[np.ndarray]] | None = None
    rtol: float = 1e-5
    atol: float = 1e-6
    extra: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.name

    def inputs(self, dtype: Any = np.float64, seed: int = 0) -> list[np.ndarray]:
        rng = np.random.default_rng(seed)
        if self.make_inputs is not None:
            return [a.astype(dtype) if a.dtype.kind == "f" else a for a in self.make_inputs(rng)]
        out = []
        for i, s in enumerate(self.shapes):
            if i in self.int_inputs:
                out.append(rng.integers(0, self.int_high, size=s).astype(np.int64))
            else:
                out.append(rng.uniform(self.low, self.high, size=s).astype(dtype))
        return out


def _as_tuple(x: Any) -> tuple[Any, ...]:
    return tuple(x) if isinstance(x, tuple | list) else (x,)


def _to_np(x: Any) -> np.ndarray:
    if isinstance(x, ax.Tensor):
        return x.detach().numpy()
    if hasattr(x, "detach"):  # torch
        return x.detach().cpu().numpy()
    return np.asarray(x)


def run_forward(spec: OpSpec) -> None:
    if spec.ref is None:
        pytest.skip("no NumPy reference for this op (checked against PyTorch)")
    for np_dtype in (np.float32, np.float64):
        arrs = spec.inputs(np_dtype)
        got = _as_tuple(spec.fn(*[ax.tensor(a) for a in arrs]))
        want = _as_tuple(spec.ref(*[a.copy() for a in arrs]))
        assert len(got) == len(want), f"{spec.name}: {len(got)} outputs vs {len(want)}"
        tol = (spec.rtol, spec.atol) if np_dtype == np.float64 else (1e-4, 1e-5)
        for g, w in zip(got, want, strict=True):
            g, w = _to_np(g), np.asarray(w)
            assert g.shape == w.shape, f"{spec.name}: shape {g.shape} vs {w.shape}"
            np.testing.assert_allclose(g, w, rtol=tol[0], atol=tol[1], err_msg=spec.name)


def run_gradcheck(spec: OpSpec) -> None:
    if not spec.grad:
        pytest.skip("not differentiable")
    arrs = spec.inputs(np.float64)
    ts = [
        ax.tensor(a, requires_grad=(i not in spec.int_inputs and a.dtype.kind == "f"))
        for i, a in enumerate(arrs)
    ]
    assert ax.autograd.gradcheck(spec.fn, ts)
    if spec.gradgrad:
        assert ax.autograd.gradgradcheck(spec.fn, ts)


def run_torch(spec: OpSpec) -> None:
    torch = pytest.importorskip("torch")
    arrs = spec.inputs(np.float64)
    fn_t = spec.torch_fn or spec.fn
    xs = [
        ax.tensor(a, requires_grad=(i not in spec.int_inputs and a.dtype.kind == "f"))
        for i, a in enumerate(arrs)
    ]
    ts = [
        torch.tensor(a, requires_grad=(i not in spec.int_inputs and a.dtype.kind == "f"))
        for i, a in enumerate(arrs)
    ]
    got = _as_tuple(spec.fn(*xs))
    want = _as_tuple(fn_t(*ts))
    for g, w in zip(got, want, strict=True):
        np.testing.assert_allclose(_to_np(g), _to_np(w), rtol=1e-6, atol=1e-8, err_msg=spec.name)
    if not spec.grad:
        return
    outs_ax = [g for g in got if isinstance(g, ax.Tensor) and g.dtype.is_floating_point]
    outs_t = [w for w in want if w.dtype.is_floating_point]
    rng = np.random.default_rng(1)
    seeds = [rng.standard_normal(tuple(o.shape)) for o in outs_t]
    loss_ax = sum((o * ax.tensor(s)).sum() for o, s in zip(outs_ax, seeds, strict=True))
    loss_t = sum((o * torch.tensor(s)).sum() for o, s in zip(outs_t, seeds, strict=True))
    loss_ax.backward()
    loss_t.backward()
    for x, t in zip(xs, ts, strict=True):
        if t.grad is None:
            assert x.grad is None or np.allclose(_to_np(x.grad), 0)
            continue
        np.testing.assert_allclose(
            _to_np(x.grad), _to_np(t.grad), rtol=1e-6, atol=1e-8, err_msg=f"{spec.name} grad"
        )


def op_tests(
    specs: Sequence[OpSpec], torch_specs: Sequence[OpSpec] | None = None
) -> tuple[Callable[[OpSpec], None], ...]:
    """The forward, gradcheck and torch-parity tests parametrized over `specs` (the parity test
    over `torch_specs` when given), for a test module to bind at module level."""
    by_name = pytest.mark.parametrize("spec", list(specs), ids=str)

    @by_name
    def test_forward(spec: OpSpec) -> None:
        run_forward(spec)

    @by_name
    def test_gradcheck(spec: OpSpec) -> None:
        run_gradcheck(spec)

    @pytest.mark.parametrize("spec", list(specs if torch_specs is None else torch_specs), ids=str)
    def test_torch_parity(spec: OpSpec) -> None:
        run_torch(spec)

    return test_forward, test_gradcheck, test_torch_parity
