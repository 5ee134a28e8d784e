"""Bad input raises a Python exception naming the op and the offending shapes/dtypes; no
input crashes the interpreter (a crash would take the whole pytest process down)."""

from __future__ import annotations

import contextlib
import itertools

import numpy as np
import pytest

import axonite as ax


@pytest.mark.parametrize(
    ("fn", "exc", "match"),
    [
        (lambda: ax.ones(2, 3) @ ax.ones(4, 5), RuntimeError, r"2x3 and 4x5"),
        (lambda: ax.ones(2, 3) + ax.ones(4), ValueError, r"add: shapes \[2, 3\] and \[4\]"),
        (
            lambda: ax.ones(2, 3).reshape(4, 2),
            RuntimeError,
            r"shape '\[4, 2\]' is invalid for input of size 6",
        ),
        (
            lambda: ax.ones(3)[5],
            IndexError,
            r"index 5 is out of bounds for dimension 0 with size 3",
        ),
        (lambda: ax.ones(3).sum(dim=2), IndexError, r"sum: dimension out of range"),
        (lambda: ax.ones(3, dtype=ax.int64).requires_grad_(), RuntimeError, r"floating-point"),
        (
            lambda: ax.ones(2, requires_grad=True).mul(2).backward(),
            RuntimeError,
            r"only for scalar outputs",
        ),
        (
            lambda: ax.ones(2, dtype=ax.float32) @ ax.ones(2, dtype=ax.float64),
            RuntimeError,
            r"dtype",
        ),
        (lambda: ax.tensor([1, 2]).exp_(), TypeError, r"exp_"),
        (lambda: ax.ones(2, 2).permute(0), (RuntimeError, ValueError), r"permute"),
        (lambda: ax.cat([ax.ones(2, 3), ax.ones(2, 4)]), RuntimeError, r"cat"),
        (lambda: ax.ones(3).view(ax.ones(1)), TypeError, r"view|integer tensors"),
        (lambda: ax.tensor([[1, 2], [3]]), (TypeError, ValueError), r"tensor: could not"),
        (
            lambda: ax.where(ax.ones(2), ax.ones(2), ax.ones(2)),
            TypeError,
            r"where: expected condition",
        ),
        (lambda: -ax.tensor([True]), TypeError, r"neg"),
        (lambda: ax.ones(2, 3).gather(1, ax.ones(2, 3)), (TypeError, RuntimeError), r"gather"),
        (lambda: ax.linalg.solve(ax.zeros(2, 2), ax.ones(2)), RuntimeError, r"singular"),
        (lambda: ax.from_numpy(np.ones(3, dtype=np.int32)), TypeError, r"int32"),
    ],
)
def test_error_messages(fn, exc, match) -> None:
    with pytest.raises(exc, match=match):
        fn()


def test_many_bad_calls_raise_python_exceptions_only() -> None:
    """Calls every op in a list with a grid of ill-fitting arguments. Each call must either
    succeed or raise an ordinary Python exception."""
    values = [
        ax.ones(2, 3),
        ax.ones(0),
        ax.ones(()),
        ax.ones(3, dtype=ax.int64),
        ax.ones(2, dtype=ax.bool),
        1,
        -7,
        2.5,
        None,
        "x",
        [1, 2],
        (5, -1),
        np.ones(2),
    ]
    names = [
        "add",
        "mul",
        "div",
        "matmul",
        "reshape",
        "sum",
        "mean",
        "max",
        "argmax",
        "cat",
        "stack",
        "gather",
        "index_select",
        "permute",
        "transpose",
        "unsqueeze",
        "squeeze",
        "narrow",
        "split",
        "chunk",
        "where",
        "clamp",
        "pow",
        "tril",
        "one_hot",
        "masked_fill",
        "logsumexp",
        "var",
        "norm",
        "flatten",
        "zeros",
        "full",
        "arange",
        "linspace",
        "eye",
        "randint",
        "randperm",
    ]
    calls = 0
    for name in names:
        fn = getattr(ax, name)
        for args in itertools.chain(
            ((a,) for a in values), itertools.product(values[:8], values[5:10])
        ):
            with contextlib.suppress(
                TypeError, ValueError, IndexError, RuntimeError, OverflowError
            ):
                fn(*args)
            calls += 1
    assert calls > 1000
