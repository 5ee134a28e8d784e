"""Results do not depend on the thread count: 1-thread and 2-thread runs agree bit for bit
(reductions and GEMM split work in a fixed, size-determined order)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

import axonite as ax


def _run(fn: Callable[[], ax.Tensor], threads: int) -> np.ndarray:
    prev = ax.get_num_threads()
    ax.set_num_threads(threads)
    try:
        return fn().detach().numpy().copy()
    finally:
        ax.set_num_threads(prev)


rng = np.random.default_rng(0)
BIG = ax.tensor(rng.standard_normal(3_000_017).astype(np.float32))
MAT = ax.tensor(rng.standard_normal((1000, 777)).astype(np.float32))
A = ax.tensor(rng.standard_normal((515, 1031)).astype(np.float32))
B = ax.tensor(rng.standard_normal((1031, 263)).astype(np.float32))
A64 = ax.tensor(rng.standard_normal((300, 400)))
B64 = ax.tensor(rng.standard_normal((400, 200)))

CASES: dict[str, Callable[[], ax.Tensor]] = {
    "elementwise": lambda: (BIG * 1.5 + BIG.exp()).tanh(),
    "sum_all": lambda: BIG.sum(),
    "mean_all": lambda: BIG.mean(),
    "sum_dim0": lambda: MAT.sum(0),
    "sum_dim1": lambda: MAT.sum(1),
    "var": lambda: MAT.var(0),
    "logsumexp": lambda: MAT.logsumexp(1),
    "norm": lambda: BIG.norm(),
    "sgemm": lambda: A @ B,
    "sgemm_transposed": lambda: B.T @ A.T,
    "dgemm": lambda: A64 @ B64,
    "bmm": lambda: A.reshape(5, 103, 1031) @ B,
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_one_and_two_threads_agree_bitwise(name: str) -> None:
    fn = CASES[name]
    r1, r2 = _run(fn, 1), _run(fn, 2)
    assert r1.dtype == r2.dtype
    np.testing.assert_array_equal(
        np.atleast_1d(r1).view(np.uint8), np.atleast_1d(r2).view(np.uint8)
    )


def test_backward_is_thread_independent() -> None:
    def grads(threads: int) -> np.ndarray:
        prev = ax.get_num_threads()
        ax.set_num_threads(threads)
        try:
            w = ax.tensor(
                np.linspace(-1, 1, 1031 * 263, dtype=np.float32).reshape(1031, 263),
                requires_grad=True,
            )
            ((A @ w).tanh() ** 2).sum().backward()
            return w.grad.numpy().copy()
        finally:
            ax.set_num_threads(prev)

    np.testing.assert_array_equal(grads(1), grads(2))


def test_random_fills_are_thread_independent() -> None:
    def draw(threads: int) -> np.ndarray:
        prev = ax.get_num_threads()
        ax.set_num_threads(threads)
        try:
            ax.manual_seed(123)
            return np.concatenate([ax.randn(1_000_003).numpy(), ax.rand(500_001).numpy()])
        finally:
            ax.set_num_threads(prev)

    np.testing.assert_array_equal(draw(1), draw(2))


def test_set_num_threads_validates() -> None:
    with pytest.raises(ValueError, match="set_num_threads"):
        ax.set_num_threads(0)
