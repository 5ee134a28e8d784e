"""ax.linalg: solve, inv, det, slogdet, cholesky, lstsq and norms vs NumPy, float64 gradients
(first and second order), PyTorch parity, batching/broadcasting, errors, and a closed-form
least-squares fit recovered both by lstsq and by the normal equations."""

from __future__ import annotations

import math
import sys
from typing import Any

import numpy as np
import pytest
from opspec import OpSpec, op_tests

import axonite as ax

INF = math.inf


def _ns(t: Any) -> Any:
    """The library a tensor belongs to, so one lambda serves axonite and PyTorch."""
    return ax if isinstance(t, ax.Tensor) else sys.modules["torch"]


def _well_conditioned(rng: np.random.Generator, *shape: int) -> np.ndarray:
    n = shape[-1]
    return rng.standard_normal(shape) + n * np.eye(n)


def _solve_inputs(a_shape: tuple[int, ...], b_shape: tuple[int, ...]):
    return lambda r: [_well_conditioned(r, *a_shape), r.standard_normal(b_shape)]


def _vec_solve_ref(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.linalg.solve(a, b[..., None])[..., 0]


def _pnorm(p: float, axis: Any = None, keepdims: bool = False):
    def ref(a: np.ndarray) -> np.ndarray:
        if p == INF:
            return np.abs(a).max(axis=axis, keepdims=keepdims)
        if p == -INF:
            return np.abs(a).min(axis=axis, keepdims=keepdims)
        if p == 0:
            return (a != 0).sum(axis=axis, keepdims=keepdims).astype(a.dtype)
        return (np.abs(a) ** p).sum(axis=axis, keepdims=keepdims) ** (1 / p)

    return ref


def _pinv_solve(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    if b.ndim == a.ndim - 1:
        return (np.linalg.pinv(a) @ b[..., None])[..., 0]
    return np.linalg.pinv(a) @ b


def _spd(x: Any) -> Any:
    """x x^T + n I: symmetric positive-definite, built from x in either library or NumPy."""
    n = x.shape[-1]
    if isinstance(x, np.ndarray):
        return x @ np.swapaxes(x, -1, -2) + n * np.eye(n)
    return x @ x.mT + n * _ns(x).eye(n, dtype=x.dtype)


def _vn(p: float, dim: Any = None, keepdim: bool = False):
    return lambda x: _ns(x).linalg.vector_norm(x, p, dim=dim, keepdim=keepdim)


SPECS = [
    OpSpec(
        "solve",
        lambda a, b: _ns(a).linalg.solve(a, b),
        np.linalg.solve,
        make_inputs=_solve_inputs((3, 3), (3, 2)),
    ),
    OpSpec(
        "solve_vector",
        lambda a, b: _ns(a).linalg.solve(a, b),
        _vec_solve_ref,
        make_inputs=_solve_inputs((4, 4), (4,)),
    ),
    OpSpec(
        "solve_vector_batch",
        lambda a, b: _ns(a).linalg.solve(a, b),
        _vec_solve_ref,
        make_inputs=_solve_inputs((2, 3, 3), (2, 3)),
    ),
    OpSpec(
        "solve_broadcast",
        lambda a, b: _ns(a).linalg.solve(a, b),
        np.linalg.solve,
        make_inputs=_solve_inputs((2, 1, 3, 3), (4, 3, 2)),
    ),
    OpSpec(
        "solve_vector_broadcast",
        lambda a, b: _ns(a).linalg.solve(a, b),
        _vec_solve_ref,
        make_inputs=_solve_inputs((2, 3, 3), (3,)),
    ),
    OpSpec(
        "inv",
        lambda a: _ns(a).linalg.inv(a),
        np.linalg.inv,
        make_inputs=lambda r: [_well_conditioned(r, 3, 3)],
    ),
    OpSpec(
        "inv_batched",
        lambda a: _ns(a).linalg.inv(a),
        np.linalg.inv,
        make_inputs=lambda r: [_well_conditioned(r, 2, 4, 4)],
    ),
    OpSpec(
        "det",
        lambda a: _ns(a).linalg.det(a),
        np.linalg.det,
        make_inputs=lambda r: [_well_conditioned(r, 3, 3)],
    ),
    OpSpec(
        "det_batched",
        lambda a: _ns(a).linalg.det(a),
        np.linalg.det,
        make_inputs=lambda r: [r.standard_normal((2, 3, 4, 4))],
    ),
    OpSpec("det_1x1", lambda a: _ns(a).linalg.det(a), np.linalg.det, [(2, 1, 1)], low=0.5),
    OpSpec(
        "slogdet_logabsdet",
        lambda a: _ns(a).linalg.slogdet(a).logabsdet,
        lambda a: np.linalg.slogdet(a).logabsdet,
        make_inputs=lambda r: [r.standard_normal((2, 4, 4))],
    ),
    OpSpec(
        "cholesky",
        lambda x: _ns(x).linalg.cholesky(_spd(x)),
        lambda x: np.linalg.cholesky(_spd(x)),
        [(2, 4, 4)],
    ),
    OpSpec(
        "cholesky_upper",
        lambda x: _ns(x).linalg.cholesky(_spd(x), upper=True),
        lambda x: np.swapaxes(np.linalg.cholesky(_spd(x)), -1, -2),
        [(3, 3)],
    ),
    OpSpec(
        "lstsq_tall", lambda a, b: _ns(a).linalg.lstsq(a, b).solution, _pinv_solve, [(6, 3), (6, 2)]
    ),
    OpSpec(
        "lstsq_vector", lambda a, b: _ns(a).linalg.lstsq(a, b).solution, _pinv_solve, [(5, 3), (5,)]
    ),
    OpSpec(
        "lstsq_square",
        lambda a, b: _ns(a).linalg.lstsq(a, b).solution,
        _pinv_solve,
        make_inputs=_solve_inputs((3, 3), (3, 2)),
    ),
    OpSpec(
        "lstsq_wide", lambda a, b: _ns(a).linalg.lstsq(a, b).solution, _pinv_solve, [(3, 5), (3, 2)]
    ),
    OpSpec(
        "lstsq_batched",
        lambda a, b: _ns(a).linalg.lstsq(a, b).solution,
        _pinv_solve,
        [(2, 5, 3), (2, 5, 2)],
    ),
    OpSpec(
        "lstsq_batched_vector",
        lambda a, b: _ns(a).linalg.lstsq(a, b).solution,
        _pinv_solve,
        [(2, 5, 3), (2, 5)],
    ),
    OpSpec("vector_norm", _vn(2), _pnorm(2), [(3, 4)]),
    OpSpec("vector_norm_dim", _vn(2, dim=1), _pnorm(2, axis=1), [(3, 4)]),
    OpSpec(
        "vector_norm_dims_keepdim",
        _vn(2, dim=(0, 2), keepdim=True),
        _pnorm(2, axis=(0, 2), keepdims=True),
        [(2, 3, 4)],
    ),
    OpSpec("vector_norm_1", _vn(1, dim=-1), _pnorm(1, axis=-1), [(3, 4)]),
    OpSpec("vector_norm_3", _vn(3, dim=0), _pnorm(3, axis=0), [(3, 4)]),
    OpSpec("vector_norm_half", _vn(0.5), _pnorm(0.5), [(5,)]),
    OpSpec("vector_norm_neg1", _vn(-1, dim=1), _pnorm(-1, axis=1), [(3, 4)]),
    OpSpec("vector_norm_inf", _vn(INF, dim=1), _pnorm(INF, axis=1), [(3, 4)]),
    OpSpec("vector_norm_neginf", _vn(-INF, dim=0), _pnorm(-INF, axis=0), [(3, 4)]),
    OpSpec("vector_norm_0", _vn(0, dim=1), _pnorm(0, axis=1), [(3, 4)], gradgrad=False),
    OpSpec(
        "vector_norm_transposed",
        lambda x: _ns(x).linalg.vector_norm(x.mT, 2, dim=0),
        lambda x: np.linalg.norm(x.T, axis=0),
        [(3, 4)],
    ),
    OpSpec(
        "matrix_norm_fro",
        lambda a: _ns(a).linalg.matrix_norm(a),
        lambda a: np.linalg.norm(a, "fro", axis=(-2, -1)),
        [(2, 3, 4)],
    ),
    OpSpec(
        "matrix_norm_1",
        lambda a: _ns(a).linalg.matrix_norm(a, 1),
        lambda a: np.linalg.norm(a, 1, axis=(-2, -1)),
        [(2, 3, 4)],
    ),
    OpSpec(
        "matrix_norm_neg1",
        lambda a: _ns(a).linalg.matrix_norm(a, -1, keepdim=True),
        lambda a: np.linalg.norm(a, -1, axis=(-2, -1), keepdims=True),
        [(2, 3, 4)],
    ),
    OpSpec(
        "matrix_norm_inf",
        lambda a: _ns(a).linalg.matrix_norm(a, INF, dim=(0, 2)),
        lambda a: np.linalg.norm(a, INF, axis=(0, 2)),
        [(3, 2, 4)],
    ),
    OpSpec(
        "matrix_norm_neginf",
        lambda a: _ns(a).linalg.matrix_norm(a, -INF),
        lambda a: np.linalg.norm(a, -INF, axis=(-2, -1)),
        [(3, 4)],
    ),
    OpSpec(
        "norm_default",
        lambda a: _ns(a).linalg.norm(a),
        lambda a: np.linalg.norm(a.ravel()),
        [(2, 3, 4)],
    ),
    OpSpec(
        "norm_matrix_ord",
        lambda a: _ns(a).linalg.norm(a, 1),
        lambda a: np.linalg.norm(a, 1),
        [(3, 4)],
    ),
    OpSpec(
        "norm_vector_ord",
        lambda a: _ns(a).linalg.norm(a, 3),
        lambda a: np.linalg.norm(a, 3),
        [(5,)],
    ),
    OpSpec(
        "norm_dim",
        lambda a: _ns(a).linalg.norm(a, dim=1, keepdim=True),
        lambda a: np.linalg.norm(a, axis=1, keepdims=True),
        [(3, 4)],
    ),
    OpSpec(
        "norm_two_dims",
        lambda a: _ns(a).linalg.norm(a, INF, dim=(1, 0)),
        lambda a: np.linalg.norm(a, INF, axis=(1, 0)),
        [(3, 4)],
    ),
]


test_forward, test_gradcheck, test_torch_parity = op_tests(SPECS)


def test_least_squares_fit_recovers_weights() -> None:
    # y = X w + noise: lstsq (QR) and the normal equations (solve) both recover w, and agree.
    rng = np.random.default_rng(0)
    w = np.array([1.5, -2.0, 0.25, 3.0])
    x = rng.standard_normal((500, 4))
    y = x @ w + 0.01 * rng.standard_normal(500)
    X, Y = ax.tensor(x), ax.tensor(y)
    w_qr = ax.linalg.lstsq(X, Y).solution
    w_ne = ax.linalg.solve(X.mT @ X, X.mT @ Y)
    np.testing.assert_allclose(w_qr.numpy(), w, atol=5e-3)
    np.testing.assert_allclose(w_ne.numpy(), w_qr.numpy(), rtol=1e-9, atol=1e-11)
    np.testing.assert_allclose(w_qr.numpy(), np.linalg.lstsq(x, y, rcond=None)[0], rtol=1e-10)
    # float32 through the same path.
    w32 = ax.linalg.lstsq(X.float(), Y.float()).solution
    assert w32.dtype == ax.float32
    np.testing.assert_allclose(w32.numpy(), w, atol=5e-3)


def test_lstsq_result_fields() -> None:
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((6, 3)), rng.standard_normal((6, 2))
    r = ax.linalg.lstsq(ax.tensor(a), ax.tensor(b))
    assert r.rank.dtype == ax.int64
    assert r.rank.item() == 3
    assert r.residuals.shape == (0,)
    assert r.singular_values.shape == (0,)
    g = ax.linalg.lstsq(ax.tensor(a), ax.tensor(b), driver="gels")
    np.testing.assert_allclose(g.residuals.numpy(), np.linalg.lstsq(a, b, rcond=None)[1])
    assert g.rank.shape == (0,)
    batched = ax.linalg.lstsq(
        ax.tensor(rng.standard_normal((4, 5, 2))), ax.tensor(rng.standard_normal((4, 5, 1)))
    )
    assert batched.rank.tolist() == [2, 2, 2, 2]


def test_lstsq_broadcast_gradient() -> None:
    rng = np.random.default_rng(2)
    a = ax.tensor(rng.standard_normal((1, 5, 3)), requires_grad=True)
    b = ax.tensor(rng.standard_normal((2, 5, 2)), requires_grad=True)
    fn = lambda a, b: ax.linalg.lstsq(a, b).solution
    assert ax.autograd.gradcheck(fn, [a, b])
    assert ax.autograd.gradgradcheck(fn, [a, b])


def test_larger_matrices_blocked_paths() -> None:
    # n > the 64-wide LU panel: exercises the GEMM trailing updates and blocked substitutions.
    rng = np.random.default_rng(3)
    for n in (65, 200):
        a = _well_conditioned(rng, n, n)
        b = rng.standard_normal((n, 3))
        np.testing.assert_allclose(
            ax.linalg.solve(ax.tensor(a), ax.tensor(b)).numpy(),
            np.linalg.solve(a, b),
            rtol=1e-9,
            atol=1e-12,
        )
        np.testing.assert_allclose(
            ax.linalg.inv(ax.tensor(a)).numpy(), np.linalg.inv(a), rtol=1e-8, atol=1e-12
        )
        s = a / n  # keeps det in range
        np.testing.assert_allclose(ax.linalg.det(ax.tensor(s)).numpy(), np.linalg.det(s), rtol=1e-8)
    a32 = _well_conditioned(rng, 130, 130).astype(np.float32)
    np.testing.assert_allclose(
        ax.linalg.inv(ax.tensor(a32)).numpy(),
        np.linalg.inv(a32.astype(np.float64)),
        rtol=1e-3,
        atol=1e-5,
    )


def test_pivoting_needed() -> None:
    # A zero leading entry: only correct with row pivoting.
    a = np.array([[0.0, 2.0, 1.0], [1.0, 1.0, 0.0], [3.0, 0.0, 1.0]])
    b = np.array([1.0, 2.0, 3.0])
    np.testing.assert_allclose(
        ax.linalg.solve(ax.tensor(a), ax.tensor(b)).numpy(), np.linalg.solve(a, b), rtol=1e-12
    )
    np.testing.assert_allclose(ax.linalg.det(ax.tensor(a)).item(), np.linalg.det(a), rtol=1e-12)


def test_singular_and_empty() -> None:
    s = ax.tensor([[1.0, 2.0], [2.0, 4.0]])
    assert ax.linalg.det(s).item() == 0.0
    sign, logabs = ax.linalg.slogdet(s)
    assert sign.item() == 0.0
    assert logabs.item() == -INF
    sign, logabs = ax.linalg.slogdet(ax.tensor([[0.0, 1.0], [1.0, 0.0]]))
    assert sign.item() == -1.0
    assert logabs.item() == 0.0
    assert ax.linalg.det(ax.zeros(0, 0)).item() == 1.0
    assert ax.linalg.inv(ax.zeros(2, 0, 0)).shape == (2, 0, 0)


def test_aliases_and_namespace() -> None:
    a = ax.tensor(_well_conditioned(np.random.default_rng(4), 3, 3))
    np.testing.assert_array_equal(ax.inverse(a).numpy(), ax.linalg.inv(a).numpy())
    np.testing.assert_array_equal(a.inverse().numpy(), ax.linalg.inv(a).numpy())
    assert ax.det(a).item() == ax.linalg.det(a).item() == a.det().item()
    assert not hasattr(ax, "solve")  # linalg names stay in ax.linalg
    assert ax.linalg.solve(a, a).grad_fn is None
    ar = a.detach().requires_grad_()
    assert ax.linalg.solve(ar, a).grad_fn.name() == "LinalgSolveExBackward0"
    assert ax.linalg.inv(ar).grad_fn.name() == "LinalgInvExBackward0"
    assert ax.linalg.det(ar).grad_fn.name() == "LinalgDetBackward0"
    assert ax.linalg.cholesky(ar @ ar.mT).grad_fn.name() == "LinalgCholeskyExBackward0"
    assert ax.linalg.vector_norm(ar).grad_fn.name() == "LinalgVectorNormBackward0"


def test_norm_gradient_conventions(torch) -> None:
    # Zero vectors and ties: the subgradients PyTorch picks.
    for ord_, vals in [
        (2, [0.0, 0.0, 0.0]),
        (INF, [1.0, -3.0, 3.0]),
        (0.5, [1.0, -3.0, 0.0]),
        (-1, [1.0, -3.0, 0.0]),
        (3, [1.0, -3.0, 0.0]),
        (1, [1.0, -3.0, 0.0]),
    ]:
        x = ax.tensor(vals, requires_grad=True)
        t = torch.tensor(vals, requires_grad=True)
        ax.linalg.vector_norm(x, ord_).backward()
        torch.linalg.vector_norm(t, ord_).backward()
        np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-6, err_msg=str(ord_))


@pytest.mark.parametrize(
    ("fn", "exc", "match"),
    [
        (
            lambda: ax.linalg.solve(ax.zeros(3, 3), ax.ones(3)),
            RuntimeError,
            "linalg.solve: The solver failed because the input matrix is singular.",
        ),
        (
            lambda: ax.linalg.solve(ax.ones(3, 4), ax.ones(3)),
            RuntimeError,
            "A must be batches of square matrices, but they are 3 by 4 matrices",
        ),
        (
            lambda: ax.linalg.solve(ax.eye(3), ax.ones(4)),
            RuntimeError,
            r"Incompatible shapes of A and B for the equation AX = B \(3x3 and 4x1\)",
        ),
        (lambda: ax.linalg.solve(ax.eye(3), ax.ones(2, 3)), RuntimeError, "Incompatible shapes"),
        (
            lambda: ax.linalg.solve(ax.eye(3), ax.ones(3, dtype=ax.float64)),
            RuntimeError,
            "Expected A and B to have the same dtype",
        ),
        (
            lambda: ax.linalg.solve(ax.eye(3).long(), ax.ones(3).long()),
            RuntimeError,
            "Expected a floating point or complex tensor as input. Got Long",
        ),
        (
            lambda: ax.linalg.inv(ax.tensor([[1.0, 2.0], [2.0, 4.0]])),
            RuntimeError,
            "The diagonal element 2 is zero",
        ),
        (lambda: ax.linalg.det(ax.ones(3)), RuntimeError, "at least 2 dimensions"),
        (
            lambda: ax.linalg.cholesky(ax.tensor([[1.0, 2.0], [2.0, 1.0]])),
            RuntimeError,
            "the leading minor of order 2 is not positive-definite",
        ),
        (
            lambda: ax.linalg.lstsq(ax.ones(5, 3), ax.ones(4, 2)),
            RuntimeError,
            r"input.size\(-2\) should match other.size\(-2\)",
        ),
        (lambda: ax.linalg.lstsq(ax.ones(5, 3), ax.ones(5, 2)), RuntimeError, "rank deficient"),
        (lambda: ax.linalg.lstsq(ax.eye(3), ax.ones(3), driver="foo"), RuntimeError, "driver"),
        (
            lambda: ax.linalg.norm(ax.ones(2, 3, 4), 2),
            RuntimeError,
            "If dim is not specified but ord is, the input must be 1D or 2D",
        ),
        (lambda: ax.linalg.vector_norm(ax.ones(3), "fro"), TypeError, "must be Number"),
        (lambda: ax.linalg.vector_norm(ax.ones(3).long()), RuntimeError, "Got Long"),
        (
            lambda: ax.linalg.vector_norm(ax.ones(2, 3), dim=(0, -2)),
            RuntimeError,
            "appears multiple times",
        ),
        (
            lambda: ax.linalg.vector_norm(ax.zeros(0), INF),
            RuntimeError,
            "does not have an identity",
        ),
        (lambda: ax.linalg.matrix_norm(ax.ones(3)), RuntimeError, "at least 2 dimensions"),
        (lambda: ax.linalg.matrix_norm(ax.ones(3, 3), 3), RuntimeError, "Order 3 not supported"),
        (lambda: ax.linalg.matrix_norm(ax.ones(3, 3), "nuc"), RuntimeError, "singular values"),
        (lambda: ax.linalg.norm(ax.ones(3, 3), "fro", dim=0), RuntimeError, "2-tuple"),
    ],
)
def test_errors(fn, exc: type[Exception], match: str) -> None:
    with pytest.raises(exc, match=match):
        fn()
