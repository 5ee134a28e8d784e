"""ax.linalg.qr: Q and R vs NumPy's LAPACK QR (same Householder sign convention), float64
gradients (first and second order) for the differentiable modes, PyTorch parity of values and
gradients, the defining properties (A = QR, orthonormal Q, triangular R), and errors."""

from __future__ import annotations

import sys
from typing import Any

import numpy as np
import pytest
from opspec import OpSpec, op_tests

import axonite as ax


def _ns(t: Any) -> Any:
    """The library a tensor belongs to, so one lambda serves axonite and PyTorch."""
    return ax if isinstance(t, ax.Tensor) else sys.modules["torch"]


def _qr(mode: str = "reduced"):
    def fn(a: Any) -> Any:
        q, r = _ns(a).linalg.qr(a, mode=mode)
        return q, r

    return fn


def _np_qr(mode: str = "reduced"):
    def ref(a: np.ndarray) -> Any:
        return np.linalg.qr(a, mode=mode)

    return ref


def _np_r(a: np.ndarray) -> np.ndarray:
    return np.linalg.qr(a, mode="r")


SPECS = [
    OpSpec("qr_square", _qr(), _np_qr(), [(4, 4)]),
    OpSpec("qr_tall", _qr(), _np_qr(), [(6, 3)]),
    OpSpec("qr_wide", _qr(), _np_qr(), [(3, 5)]),
    OpSpec("qr_batched", _qr(), _np_qr(), [(2, 3, 5, 4)]),
    OpSpec("qr_complete_wide", _qr("complete"), _np_qr("complete"), [(2, 4)]),
    OpSpec("qr_complete_tall", _qr("complete"), _np_qr("complete"), [(5, 3)], grad=False),
    OpSpec(
        "qr_r",
        lambda a: _ns(a).linalg.qr(a, mode="r")[1],
        _np_r,
        [(5, 3)],
        grad=False,
    ),
    OpSpec(
        "qr_transposed_input",
        lambda a: _qr()(a.mT),
        lambda a: np.linalg.qr(np.swapaxes(a, -1, -2)),
        [(3, 5)],
    ),
]

test_forward, test_gradcheck, test_torch_parity = op_tests(SPECS)


@pytest.mark.parametrize("shape", [(5, 5), (7, 3), (3, 7), (2, 4, 6, 2), (1, 1), (4, 1)])
@pytest.mark.parametrize("mode", ["reduced", "complete"])
@pytest.mark.parametrize("dtype", [ax.float32, ax.float64])
def test_factorization_properties(shape: tuple[int, ...], mode: str, dtype: Any) -> None:
    ax.manual_seed(0)
    a = ax.randn(*shape, dtype=dtype)
    q, r = ax.linalg.qr(a, mode=mode)
    m, n = shape[-2:]
    k = min(m, n) if mode == "reduced" else m
    assert tuple(q.shape) == (*shape[:-2], m, k)
    assert tuple(r.shape) == (*shape[:-2], k, n)
    tol = 1e-5 if dtype == ax.float32 else 1e-12
    qn, rn, an = q.numpy(), r.numpy(), a.numpy()
    np.testing.assert_allclose(qn @ rn, an, atol=tol * 10)
    gram = np.swapaxes(qn, -1, -2) @ qn
    np.testing.assert_allclose(gram, np.broadcast_to(np.eye(k), gram.shape), atol=tol * 10)
    assert np.all(np.tril(rn, -1) == 0)


def test_mode_r_matches_reduced_r() -> None:
    a = ax.randn(6, 4, dtype=ax.float64)
    q, r = ax.linalg.qr(a, mode="r")
    assert q.numel() == 0 and tuple(q.shape) == (0,)
    np.testing.assert_array_equal(r.numpy(), ax.linalg.qr(a).R.numpy())


def test_named_fields_and_empty_shapes() -> None:
    res = ax.linalg.qr(ax.randn(3, 2))
    assert res.Q is res[0] and res.R is res[1]
    q, r = ax.linalg.qr(ax.zeros(0, 3))
    assert tuple(q.shape) == (0, 0) and tuple(r.shape) == (0, 3)
    q, r = ax.linalg.qr(ax.zeros(3, 0), mode="complete")
    assert tuple(q.shape) == (3, 3) and tuple(r.shape) == (3, 0)
    np.testing.assert_array_equal(q.numpy(), np.eye(3))
    q, r = ax.linalg.qr(ax.zeros(0, 2, 2))
    assert tuple(q.shape) == (0, 2, 2) and tuple(r.shape) == (0, 2, 2)


def test_zero_column_keeps_identity_reflector() -> None:
    # A zero sub-column gives tau = 0 (H = I), as in LAPACK: R's entries keep their sign.
    a = np.array([[-2.0, 1.0], [0.0, 3.0], [0.0, -1.0]])
    q, r = ax.linalg.qr(ax.tensor(a))
    qn, rn = np.linalg.qr(a)
    np.testing.assert_allclose(q.numpy(), qn, atol=1e-14)
    np.testing.assert_allclose(r.numpy(), rn, atol=1e-14)


def test_backward_of_q_only_and_r_only() -> None:
    a = ax.tensor(np.random.default_rng(3).standard_normal((5, 3)), requires_grad=True)
    assert ax.autograd.gradcheck(lambda x: ax.linalg.qr(x).Q, [a])
    assert ax.autograd.gradcheck(lambda x: ax.linalg.qr(x).R, [a])


def test_torch_gradient_parity_wide_batched() -> None:
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(5).standard_normal((2, 3, 5))
    wq = np.random.default_rng(6).standard_normal((2, 3, 3))
    wr = np.random.default_rng(7).standard_normal((2, 3, 5))
    a = ax.tensor(x, requires_grad=True)
    t = torch.tensor(x, requires_grad=True)
    q, r = ax.linalg.qr(a)
    (q * ax.tensor(wq)).sum().add((r * ax.tensor(wr)).sum()).backward()
    tq, tr = torch.linalg.qr(t)
    ((tq * torch.tensor(wq)).sum() + (tr * torch.tensor(wr)).sum()).backward()
    np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), rtol=1e-9, atol=1e-12)


def test_errors() -> None:
    with pytest.raises(RuntimeError, match="at least 2 dimensions"):
        ax.linalg.qr(ax.randn(3))
    with pytest.raises(RuntimeError, match="floating point"):
        ax.linalg.qr(ax.ones(2, 2, dtype=ax.int64))
    with pytest.raises(RuntimeError, match="unrecognized mode 'full'"):
        ax.linalg.qr(ax.randn(2, 2), mode="full")


@pytest.mark.parametrize(
    ("mode", "shape", "match"),
    [("r", (3, 2), "mode='r'"), ("complete", (4, 2), "mode='complete' and nrows > ncols")],
)
def test_non_differentiable_modes_raise_in_backward(
    mode: str, shape: tuple[int, int], match: str
) -> None:
    a = ax.randn(*shape, requires_grad=True)
    _, r = ax.linalg.qr(a, mode=mode)  # the forward itself is fine
    with pytest.raises(RuntimeError, match=match):
        r.sum().backward()


def test_orthogonalizes_float32_ill_scaled_columns() -> None:
    # Householder QR keeps Q orthonormal even when the columns differ in scale by 1e6.
    rng = np.random.default_rng(2)
    a = rng.standard_normal((50, 20)) * np.logspace(0, 6, 20)
    q = ax.linalg.qr(ax.tensor(a, dtype=ax.float32)).Q.numpy().astype(np.float64)
    np.testing.assert_allclose(q.T @ q, np.eye(20), atol=1e-5)
