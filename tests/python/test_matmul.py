"""Matrix products: every matmul rank case, mm/bmm/mv/dot/outer/addmm vs NumPy, float64
gradients (first and second order), PyTorch parity, int64, strided/broadcast inputs, errors,
autograd node names and thread-count independence."""

from __future__ import annotations

import numpy as np
import pytest
from opspec import OpSpec, op_tests

import axonite as ax


def _addmm_ref(i: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return 0.5 * i + 2.0 * (a @ b)


SPECS = [
    OpSpec("matmul_dot", lambda a, b: a @ b, np.matmul, [(5,), (5,)]),
    OpSpec("matmul_mv", lambda a, b: a @ b, np.matmul, [(2, 3), (3,)]),
    OpSpec("matmul_vm", lambda a, b: a @ b, np.matmul, [(3,), (3, 4)]),
    OpSpec("matmul_mm", lambda a, b: a @ b, np.matmul, [(2, 3), (3, 4)]),
    OpSpec("matmul_bmm", lambda a, b: a @ b, np.matmul, [(2, 2, 3), (2, 3, 4)]),
    OpSpec("matmul_broadcast", lambda a, b: a @ b, np.matmul, [(2, 1, 2, 3), (3, 3, 2)]),
    OpSpec("matmul_batch_mat", lambda a, b: a @ b, np.matmul, [(2, 3, 4), (4, 2)]),
    OpSpec("matmul_mat_batch", lambda a, b: a @ b, np.matmul, [(3, 4), (2, 4, 2)]),
    OpSpec("matmul_batch_vec", lambda a, b: a @ b, np.matmul, [(2, 3, 4), (4,)]),
    OpSpec("matmul_vec_batch", lambda a, b: a @ b, np.matmul, [(4,), (2, 4, 3)]),
    OpSpec("matmul_fn", lambda a, b: a.matmul(b), np.matmul, [(1, 2, 3), (2, 3, 2)]),
    OpSpec("matmul_transposed", lambda a, b: a.mT @ b.mT, lambda a, b: a.T @ b.T, [(3, 2), (4, 3)]),
    OpSpec("mm", lambda a, b: a.mm(b), np.matmul, [(3, 4), (4, 2)]),
    OpSpec("bmm", lambda a, b: a.bmm(b), np.matmul, [(2, 3, 4), (2, 4, 3)]),
    OpSpec("mv", lambda a, b: a.mv(b), np.matmul, [(3, 4), (4,)]),
    OpSpec("dot", lambda a, b: a.dot(b), np.dot, [(6,), (6,)]),
    OpSpec("outer", lambda a, b: a.outer(b), np.outer, [(3,), (4,)]),
    OpSpec(
        "addmm",
        lambda i, a, b: i.addmm(a, b, beta=0.5, alpha=2.0),
        _addmm_ref,
        [(2, 4), (2, 3), (3, 4)],
    ),
    OpSpec(
        "addmm_bias_row",
        lambda i, a, b: i.addmm(a, b, beta=0.5, alpha=2.0),
        _addmm_ref,
        [(4,), (2, 3), (3, 4)],
    ),
    OpSpec("matmul_square_chain", lambda a: (a @ a) @ a, lambda a: a @ a @ a, [(3, 3)]),
]


test_forward, test_gradcheck, test_torch_parity = op_tests(SPECS)


def _rand(rng: np.random.Generator, *shape: int, dtype: type = np.float64) -> np.ndarray:
    return rng.standard_normal(shape).astype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    ("sa", "sb"),
    [
        ((130, 70), (70, 90)),
        ((3, 65, 40), (40, 33)),
        ((4, 1, 2, 50), (3, 50, 20)),
        ((0, 3), (3, 2)),
        ((2, 0), (0, 3)),
        ((3, 2, 0), (0, 4)),
    ],
)
def test_larger_and_empty_shapes(sa: tuple[int, ...], sb: tuple[int, ...], dtype: type) -> None:
    rng = np.random.default_rng(0)
    a, b = _rand(rng, *sa, dtype=dtype), _rand(rng, *sb, dtype=dtype)
    got = (ax.tensor(a) @ ax.tensor(b)).numpy()
    want = np.matmul(a.astype(np.float64), b.astype(np.float64))
    assert got.shape == want.shape
    assert got.dtype == dtype
    tol = 1e-4 if dtype == np.float32 else 1e-10
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol * 10)


def test_strided_and_broadcast_views() -> None:
    rng = np.random.default_rng(1)
    a, b = _rand(rng, 6, 8), _rand(rng, 5, 4)
    ta, tb = ax.tensor(a), ax.tensor(b)
    # Column slices with a step, a transposed view and a stride-0 expanded batch.
    np.testing.assert_allclose((ta[:, ::2] @ tb.mT).numpy(), a[:, ::2] @ b.T)
    np.testing.assert_allclose((ta[::2, 1:6] @ tb).numpy(), a[::2, 1:6] @ b)
    e = tb.unsqueeze(0).expand(3, 5, 4)
    np.testing.assert_allclose((ta[:5, :5] @ e).numpy(), a[:5, :5] @ np.broadcast_to(b, (3, 5, 4)))
    # A permuted batch (not foldable) and a contiguous one must agree.
    c = _rand(rng, 4, 3, 5)
    tc = ax.tensor(c).permute(1, 0, 2)
    np.testing.assert_allclose((tc @ tb).numpy(), c.transpose(1, 0, 2) @ b)
    np.testing.assert_allclose((tc.contiguous() @ tb).numpy(), c.transpose(1, 0, 2) @ b)


def test_int64_matmul() -> None:
    rng = np.random.default_rng(2)
    for sa, sb in [((3, 4), (4, 5)), ((2, 3, 4), (4,)), ((4,), (4,)), ((2, 1, 1, 3), (4, 3, 2))]:
        a = rng.integers(-9, 9, sa)
        b = rng.integers(-9, 9, sb)
        got = ax.tensor(a) @ ax.tensor(b)
        assert got.dtype == ax.int64
        np.testing.assert_array_equal(got.numpy(), np.matmul(a, b))
    i = ax.tensor(np.arange(5))
    m1, m2 = ax.tensor(rng.integers(-3, 3, (2, 3))), ax.tensor(rng.integers(-3, 3, (3, 5)))
    np.testing.assert_array_equal(
        ax.addmm(i, m1, m2, beta=2, alpha=3).numpy(),
        2 * np.arange(5) + 3 * (m1.numpy() @ m2.numpy()),
    )


def test_addmm_beta_zero_ignores_input() -> None:
    nan = ax.tensor(np.full((2, 2), np.nan))
    a = ax.tensor(np.eye(2))
    np.testing.assert_array_equal(ax.addmm(nan, a, a, beta=0.0).numpy(), np.eye(2))


def test_rmatmul_and_not_implemented() -> None:
    rng = np.random.default_rng(3)
    a, b = ax.tensor(_rand(rng, 2, 3)), ax.tensor(_rand(rng, 3, 2))
    np.testing.assert_array_equal(b.__rmatmul__(a).numpy(), (a @ b).numpy())
    with pytest.raises(TypeError):
        a @ 2
    with pytest.raises(TypeError):
        2 @ a


@pytest.mark.parametrize(
    ("fn", "exc", "match"),
    [
        (
            lambda: ax.ones(2, 3) @ ax.ones(4, 5),
            RuntimeError,
            r"mat1 and mat2 shapes cannot be multiplied \(2x3 and 4x5\)",
        ),
        (
            lambda: ax.ones(2, 3) @ ax.ones(3, 4, dtype=ax.float64),
            RuntimeError,
            "expected m1 and m2 to have the same dtype, but got: float != double",
        ),
        (
            lambda: ax.ones(2, 2, dtype=ax.bool) @ ax.ones(2, 2, dtype=ax.bool),
            RuntimeError,
            "not implemented for 'Bool'",
        ),
        (
            lambda: ax.ones(2, 3) @ ax.ones(4),
            RuntimeError,
            r"size mismatch, got input \(2\), mat \(2x3\), vec \(4\)",
        ),
        (lambda: ax.ones(3) @ ax.ones(4), RuntimeError, "inconsistent tensor size"),
        (lambda: ax.ones(2, 2, 3) @ ax.ones(3, 3, 4), RuntimeError, "must match"),
        (
            lambda: ax.ones(2, 2, 3) @ ax.ones(2, 4, 5),
            RuntimeError,
            r"mat1 and mat2 shapes cannot be multiplied \(2x3 and 4x5\)",
        ),
        (lambda: ax.tensor(1.0) @ ax.ones(3), RuntimeError, "at least 1D"),
        (lambda: ax.mm(ax.ones(3), ax.ones(3, 3)), RuntimeError, "self must be a matrix"),
        (lambda: ax.mm(ax.ones(3, 3), ax.ones(3)), RuntimeError, "mat2 must be a matrix"),
        (lambda: ax.bmm(ax.ones(3, 3), ax.ones(3, 3)), RuntimeError, "batch1 must be a 3D"),
        (
            lambda: ax.bmm(ax.ones(2, 3, 3), ax.ones(3, 3, 3)),
            RuntimeError,
            r"batch2 tensor to be: \[2, 3\] but got: \[3, 3\]",
        ),
        (
            lambda: ax.mv(ax.ones(3, 3), ax.ones(3, 3)),
            RuntimeError,
            "vector \\+ matrix @ vector expected, got 1, 2, 2",
        ),
        (lambda: ax.dot(ax.ones(3, 1), ax.ones(3)), RuntimeError, "1D tensors expected"),
        (lambda: ax.dot(ax.ones(3), ax.ones(3, dtype=ax.float64)), RuntimeError, "same dtype"),
        (lambda: ax.outer(ax.ones(3, 1), ax.ones(3)), RuntimeError, "Expected 1-D argument self"),
        (
            lambda: ax.addmm(ax.ones(2), ax.ones(2, 4), ax.ones(4, 3)),
            RuntimeError,
            "cannot be broadcast",
        ),
        (
            lambda: ax.addmm(ax.ones(3), ax.ones(2, 4), ax.ones(5, 3)),
            RuntimeError,
            r"\(2x4 and 5x3\)",
        ),
    ],
)
def test_errors(fn, exc: type[Exception], match: str) -> None:
    with pytest.raises(exc, match=match):
        fn()


def test_errors_match_torch_types(torch) -> None:
    for f in (
        lambda m: m.ones(2, 3) @ m.ones(4, 5),
        lambda m: m.ones(3) @ m.ones(4),
        lambda m: m.mm(m.ones(3), m.ones(3, 3)),
    ):
        with pytest.raises(RuntimeError):
            f(torch)
        with pytest.raises(RuntimeError):
            f(ax)


def test_node_names() -> None:
    x = ax.ones(2, 2, requires_grad=True)
    v = ax.ones(2, requires_grad=True)
    assert (x @ x).grad_fn.name() == "MmBackward0"
    assert (x @ v).grad_fn.name() == "MvBackward0"
    assert (v @ v).grad_fn.name() == "DotBackward0"
    assert (x.expand(3, 2, 2) @ x).grad_fn.name() == "BmmBackward0"
    assert ax.addmm(v, x, x).grad_fn.name() == "AddmmBackward0"


def test_batch_reduced_gradients() -> None:
    # (B, M, K) @ (K, N): B's gradient sums over the batch (folded into one product).
    rng = np.random.default_rng(4)
    a, b, g = _rand(rng, 3, 4, 5), _rand(rng, 5, 2), _rand(rng, 3, 4, 2)
    ta, tb = ax.tensor(a, requires_grad=True), ax.tensor(b, requires_grad=True)
    (ta @ tb).backward(ax.tensor(g))
    np.testing.assert_allclose(tb.grad.numpy(), np.einsum("bmk,bmn->kn", a, g), rtol=1e-12)
    np.testing.assert_allclose(ta.grad.numpy(), g @ b.T, rtol=1e-12)
    # (M, K) @ (B, K, N): A's gradient sums over the broadcast batch.
    a2, b2 = _rand(rng, 4, 5), _rand(rng, 3, 5, 2)
    ta2, tb2 = ax.tensor(a2, requires_grad=True), ax.tensor(b2, requires_grad=True)
    (ta2 @ tb2).backward(ax.tensor(g))
    np.testing.assert_allclose(ta2.grad.numpy(), np.einsum("bmn,bkn->mk", g, b2), rtol=1e-12)


@pytest.mark.parametrize(("sa", "sb"), [((64, 3, 3), (64, 3, 3)), ((2, 200, 150), (150, 170))])
def test_thread_count_independent(sa: tuple[int, ...], sb: tuple[int, ...]) -> None:
    rng = np.random.default_rng(5)
    a, b = (
        ax.tensor(_rand(rng, *sa, dtype=np.float32)),
        ax.tensor(_rand(rng, *sb, dtype=np.float32)),
    )
    before = ax.get_num_threads()
    try:
        ax.set_num_threads(1)
        one = (a @ b).numpy()
        ax.set_num_threads(max(2, before))
        many = (a @ b).numpy()
    finally:
        ax.set_num_threads(before)
    np.testing.assert_array_equal(one, many)


def test_create_graph_through_matmul() -> None:
    # d/dx sum((x @ x)) = (1 1^T) x^T + x^T (1 1^T); its gradient again via create_graph.
    rng = np.random.default_rng(6)
    x = ax.tensor(_rand(rng, 3, 3), requires_grad=True)
    (gx,) = ax.autograd.grad([(x @ x).sum()], [x], create_graph=True)
    ones = np.ones((3, 3))
    xn = x.detach().numpy()
    np.testing.assert_allclose(gx.detach().numpy(), ones @ xn.T + xn.T @ ones, rtol=1e-12)
    (ggx,) = ax.autograd.grad([gx.sum()], [x])
    np.testing.assert_allclose(ggx.numpy(), 6 * np.ones((3, 3)), rtol=1e-12)
