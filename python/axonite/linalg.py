"""``ax.linalg``: linear algebra with PyTorch's names and semantics (``torch.linalg``).

Solvers and factorizations (``solve``, ``inv``, ``det``, ``slogdet``, ``cholesky``, ``qr``,
``lstsq``) and norms (``norm``, ``vector_norm``, ``matrix_norm``) run in C++ (LU with partial
pivoting, Cholesky, Householder QR), batched over leading dims, for float32/float64, and are
differentiable (higher order too).

    >>> A = ax.tensor([[3.0, 1.0], [1.0, 2.0]])
    >>> ax.linalg.solve(A, ax.tensor([9.0, 8.0]))
    tensor([2., 3.])
"""

from __future__ import annotations

from typing import NamedTuple

from ._C import Tensor, matmul
from ._C import _linalg as _L

__all__ = [
    "LstsqResult",
    "QRResult",
    "SlogdetResult",
    "cholesky",
    "det",
    "inv",
    "lstsq",
    "matmul",
    "matrix_norm",
    "norm",
    "qr",
    "slogdet",
    "solve",
    "vector_norm",
]

solve = _L.solve
cholesky = _L.cholesky
inv = _L.inv
det = _L.det
norm = _L.norm
vector_norm = _L.vector_norm
matrix_norm = _L.matrix_norm


class SlogdetResult(NamedTuple):
    """``(sign, logabsdet)`` of ``slogdet``, as ``torch.return_types.linalg_slogdet``."""

    sign: Tensor
    logabsdet: Tensor


class QRResult(NamedTuple):
    """``(Q, R)`` of ``qr``, as ``torch.return_types.linalg_qr``."""

    Q: Tensor
    R: Tensor


def qr(A: Tensor, mode: str = "reduced") -> QRResult:
    """QR decomposition ``A = Q R`` of each matrix in ``A`` ``(*, m, n)``, ``k = min(m, n)``.

    ``mode='reduced'`` (default): ``Q`` ``(*, m, k)`` with orthonormal columns, ``R`` ``(*, k, n)``
    upper triangular; ``'complete'``: ``Q`` ``(*, m, m)`` orthogonal, ``R`` ``(*, m, n)``;
    ``'r'``: only ``R`` (``Q`` is empty). Householder reflections as LAPACK's ``geqrf``, so the
    signs of ``R``'s diagonal match ``torch.linalg.qr``. Differentiable (full-rank ``A``) in
    ``'reduced'`` mode, and in ``'complete'`` mode when ``m <= n``.

        >>> Q, R = ax.linalg.qr(ax.randn(5, 3))   # Q (5, 3), R (3, 3)
    """
    return QRResult(*_L.qr(A, mode))


class LstsqResult(NamedTuple):
    """The fields of ``torch.return_types.linalg_lstsq``."""

    solution: Tensor
    residuals: Tensor
    rank: Tensor
    singular_values: Tensor


def slogdet(A: Tensor) -> SlogdetResult:
    """Sign and natural log of the absolute determinant of each square matrix in ``A``
    ``(*, n, n)``; both results have shape ``(*,)``. A singular matrix gives ``(0, -inf)``.
    Only ``logabsdet`` is differentiable."""
    return SlogdetResult(*_L.slogdet(A))


def lstsq(
    A: Tensor, B: Tensor, rcond: float | None = None, *, driver: str | None = None
) -> LstsqResult:
    """Least-squares solution of ``A X = B`` for full-rank ``A`` ``(*, m, n)`` and ``B``
    ``(*, m, k)`` (or ``(*, m)`` when ``B.dim() == A.dim() - 1``); batch dims broadcast.

    ``m >= n`` minimizes ``||A X - B||``; ``m < n`` returns the minimum-norm solution. Both use
    Householder QR. ``driver`` is ``'gelsy'`` (default: ``rank`` is filled in) or ``'gels'``
    (``residuals``, the squared residual norms, are filled in when ``m > n``). ``rcond`` sets
    the relative threshold of the rank estimate; a rank-deficient ``A`` raises RuntimeError.
    ``solution`` is differentiable in ``A`` and ``B``.

        >>> X = ax.randn(100, 3); w = ax.tensor([1.0, -2.0, 0.5])
        >>> ax.linalg.lstsq(X, X @ w).solution   # ~ w
    """
    return LstsqResult(*_L.lstsq(A, B, rcond, driver=driver))
