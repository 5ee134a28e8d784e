"""Reductions: values vs NumPy, float64 gradients (first and second order) and PyTorch parity
for every op and several dim/keepdim variants, plus dtype rules, errors, empty tensors, NaN
propagation, tie handling in gradients, strided inputs, and bitwise equality across thread
counts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from opspec import OpSpec, op_tests

import axonite as ax


def _var(x: np.ndarray, axis: Any = None, ddof: int = 1, keepdims: bool = False) -> np.ndarray:
    return np.var(x, axis=axis, ddof=ddof, keepdims=keepdims)


def _lse(x: np.ndarray, axis: Any, keepdims: bool = False) -> np.ndarray:
    m = np.max(x, axis=axis, keepdims=True)
    out = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axis)


def _pnorm(p: float, axis: Any = None, keepdims: bool = False) -> Callable[[np.ndarray], Any]:
    def f(x: np.ndarray) -> np.ndarray:
        a = np.abs(x)
        if p == np.inf:
            return np.max(a, axis=axis, keepdims=keepdims)
        if p == -np.inf:
            return np.min(a, axis=axis, keepdims=keepdims)
        if p == 0:
            return np.sum(a != 0, axis=axis, keepdims=keepdims).astype(x.dtype)
        return np.sum(a**p, axis=axis, keepdims=keepdims) ** (1 / p)

    return f


def _torch() -> Any:
    import torch

    return torch


def _nonzero_rows(rng: np.random.Generator) -> list[np.ndarray]:
    x = rng.uniform(-2, 2, (3, 4))
    x[0, 1] = 0.0  # one zero in row 0
    x[1, 0] = x[1, 3] = 0.0  # two zeros in row 1
    return [x]


SPECS = [
    OpSpec("sum", lambda a: a.sum(), np.sum, [(3, 4)]),
    OpSpec("sum_dim", lambda a: a.sum(1), lambda a: a.sum(1), [(3, 4)]),
    OpSpec(
        "sum_dims_keepdim",
        lambda a: a.sum((0, 2), keepdim=True),
        lambda a: a.sum((0, 2), keepdims=True),
        [(2, 3, 4)],
    ),
    OpSpec(
        "sum_neg_dim",
        lambda a: ax.sum(a, -1),
        lambda a: a.sum(-1),
        [(2, 3, 4)],
        torch_fn=lambda a: a.sum(-1),
    ),
    OpSpec("sum_empty_tuple", lambda a: a.sum(()), np.sum, [(2, 3)]),
    OpSpec("mean", lambda a: a.mean(), np.mean, [(3, 4)]),
    OpSpec(
        "mean_dim_keepdim",
        lambda a: a.mean(0, keepdim=True),
        lambda a: a.mean(0, keepdims=True),
        [(3, 4)],
    ),
    OpSpec("mean_dims", lambda a: a.mean((0, 2)), lambda a: a.mean((0, 2)), [(2, 3, 4)]),
    OpSpec("prod", lambda a: a.prod(), np.prod, [(2, 3)], low=0.5, high=1.5),
    OpSpec("prod_dim", lambda a: a.prod(1), lambda a: a.prod(1), [(3, 4)]),
    OpSpec(
        "prod_dim_keepdim",
        lambda a: a.prod(0, keepdim=True),
        lambda a: a.prod(0, keepdims=True),
        [(3, 4)],
    ),
    OpSpec("prod_zeros", lambda a: a.prod(1), lambda a: a.prod(1), make_inputs=_nonzero_rows),
    OpSpec(
        "prod_zeros_all", lambda a: a[1].prod(), lambda a: a[1].prod(), make_inputs=_nonzero_rows
    ),
    OpSpec("amax", lambda a: a.amax(), np.max, [(3, 4)]),
    OpSpec("amax_dims", lambda a: a.amax((0, 2)), lambda a: a.max((0, 2)), [(2, 3, 4)]),
    OpSpec(
        "amin_keepdim",
        lambda a: a.amin(1, keepdim=True),
        lambda a: a.min(1, keepdims=True),
        [(3, 4)],
    ),
    OpSpec("max", lambda a: a.max(), np.max, [(3, 4)]),
    OpSpec("min", lambda a: ax.min(a), np.min, [(3, 4)], torch_fn=lambda a: a.min()),
    OpSpec("max_dim", lambda a: a.max(1), lambda a: (a.max(1), a.argmax(1)), [(3, 4)]),
    OpSpec(
        "max_dim_keepdim",
        lambda a: a.max(0, keepdim=True),
        lambda a: (a.max(0, keepdims=True), a.argmax(0)[None]),
        [(3, 4)],
    ),
    OpSpec("min_dim", lambda a: a.min(-1), lambda a: (a.min(-1), a.argmin(-1)), [(2, 3, 4)]),
    OpSpec("max_other", lambda a, b: a.max(b), np.maximum, [(3, 4), (4,)]),
    OpSpec("argmax", lambda a: a.argmax(), np.argmax, [(3, 4)], grad=False),
    OpSpec("argmax_dim", lambda a: a.argmax(0), lambda a: a.argmax(0), [(3, 4)], grad=False),
    OpSpec(
        "argmin_keepdim",
        lambda a: a.argmin(1, keepdim=True),
        lambda a: a.argmin(1)[:, None],
        [(3, 4)],
        grad=False,
    ),
    OpSpec("var", lambda a: a.var(), _var, [(3, 4)]),
    OpSpec("var_dim", lambda a: a.var(1), lambda a: _var(a, 1), [(3, 4)]),
    OpSpec(
        "var_correction0_keepdim",
        lambda a: a.var(0, correction=0, keepdim=True),
        lambda a: _var(a, 0, 0, True),
        [(3, 4)],
    ),
    OpSpec(
        "var_unbiased_false",
        lambda a: a.var((0, 1), False),
        lambda a: _var(a, (0, 1), 0),
        [(2, 3, 4)],
    ),
    OpSpec("std", lambda a: a.std(), lambda a: np.std(a, ddof=1), [(3, 4)]),
    OpSpec(
        "std_dim_keepdim",
        lambda a: a.std(1, keepdim=True),
        lambda a: np.std(a, 1, ddof=1, keepdims=True),
        [(3, 4)],
    ),
    OpSpec(
        "var_mean",
        lambda a: ax.var_mean(a, 1),
        lambda a: (_var(a, 1), a.mean(1)),
        [(3, 4)],
        torch_fn=lambda a: _torch().var_mean(a, 1),
    ),
    OpSpec(
        "std_mean",
        lambda a: ax.std_mean(a, correction=0),
        lambda a: (np.std(a), a.mean()),
        [(3, 4)],
        torch_fn=lambda a: _torch().std_mean(a, correction=0),
    ),
    OpSpec("logsumexp", lambda a: a.logsumexp(1), lambda a: _lse(a, 1), [(3, 4)]),
    OpSpec(
        "logsumexp_dims_keepdim",
        lambda a: a.logsumexp((0, 1), keepdim=True),
        lambda a: _lse(a, (0, 1), True),
        [(3, 4)],
    ),
    OpSpec("norm", lambda a: a.norm(), _pnorm(2), [(3, 4)]),
    OpSpec("norm_fro_dim", lambda a: a.norm("fro", 1), _pnorm(2, 1), [(3, 4)]),
    OpSpec("norm_1", lambda a: a.norm(1), _pnorm(1), [(3, 4)], gradgrad=False),
    OpSpec(
        "norm_inf_dim",
        lambda a: a.norm(float("inf"), 0),
        _pnorm(np.inf, 0),
        [(3, 4)],
        gradgrad=False,
    ),
    OpSpec(
        "norm_neginf", lambda a: a.norm(float("-inf")), _pnorm(-np.inf), [(3, 4)], gradgrad=False
    ),
    OpSpec(
        "norm_3_keepdim",
        lambda a: a.norm(3, (0, 1), keepdim=True),
        _pnorm(3, (0, 1), True),
        [(2, 3)],
    ),
    OpSpec("norm_0", lambda a: a.norm(0), _pnorm(0), [(3, 4)], gradgrad=False),
    OpSpec("all", lambda a: (a > -1.5).all(), lambda a: (a > -1.5).all(), [(3, 4)], grad=False),
    OpSpec("any_dim", lambda a: (a > 1.5).any(1), lambda a: (a > 1.5).any(1), [(3, 4)], grad=False),
    OpSpec(
        "count_nonzero",
        lambda a: (a > 0).count_nonzero(0),
        lambda a: np.count_nonzero(a > 0, axis=0),
        [(3, 4)],
        grad=False,
    ),
]


test_forward, test_gradcheck, test_torch_parity = op_tests(SPECS)


# ---- dtypes ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "want"),
    [
        (lambda: ax.tensor([1, 2, 3]).sum(), ax.int64),
        (lambda: ax.tensor([True, False, True]).sum(), ax.int64),
        (lambda: ax.tensor([True, True]).prod(), ax.int64),
        (lambda: ax.tensor([1.0, 2.0]).sum(dtype=ax.float64), ax.float64),
        (lambda: ax.tensor([1, 2]).mean(dtype=ax.float32), ax.float32),
        (lambda: ax.tensor([1.5, 2.5]).sum(dtype=ax.int64), ax.int64),
        (lambda: ax.tensor([1, 5]).amax(), ax.int64),
        (lambda: ax.tensor([True, False]).max(), ax.bool),
        (lambda: ax.tensor([[True, False]]).max(1).values, ax.bool),
        (lambda: ax.tensor([1, 2]).logsumexp(0), ax.float32),
        (lambda: ax.tensor([1.0, 0.0]).all(), ax.bool),
        (lambda: ax.tensor([1, 0]).any(), ax.bool),
        (lambda: ax.tensor([1.0, 0.0]).count_nonzero(), ax.int64),
        (lambda: ax.tensor([1.0, 2.0]).norm(dtype=ax.float64), ax.float64),
        (lambda: ax.tensor([1.0, 2.0]).argmax(), ax.int64),
    ],
)
def test_result_dtypes(make: Callable[[], ax.Tensor], want: ax.dtype) -> None:
    assert make().dtype == want


def test_integer_values() -> None:
    x = ax.tensor([[1, -2, 3], [4, 5, -6]])
    assert x.sum().item() == 5
    assert x.sum(0).tolist() == [5, 3, -3]
    assert x.prod(1).tolist() == [-6, -120]
    assert x.amax(1).tolist() == [3, 5]
    assert x.min(0).indices.tolist() == [0, 0, 1]
    assert ax.tensor([True, False, True]).sum().item() == 2


def test_sum_dtype_gradient_keeps_input_dtype() -> None:
    x = ax.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x.sum(dtype=ax.float64)
    y.backward()
    assert x.grad.dtype == ax.float32
    assert x.grad.tolist() == [1.0, 1.0, 1.0]


# ---- API shape: named tuples, overloads, keepdim -----------------------------------------------


def test_max_dim_returns_named_tuple() -> None:
    x = ax.tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 7.0]])
    r = x.max(1)
    assert isinstance(r, tuple) and isinstance(r, ax.return_types.max)
    assert isinstance(x.min(0), ax.return_types.min)
    values, indices = r
    assert values.tolist() == [5.0, 7.0] and indices.tolist() == [1, 0]
    assert r.values.tolist() == [5.0, 7.0] and r.indices.tolist() == [1, 0]
    assert ax.min(x, dim=0, keepdim=True).indices.shape == (1, 3)
    assert "values=" in repr(r)


def test_max_with_other_is_maximum() -> None:
    a, b = ax.tensor([1.0, 4.0]), ax.tensor([3.0, 2.0])
    assert ax.max(a, b).tolist() == [3.0, 4.0]
    assert ax.min(a, other=b).tolist() == [1.0, 2.0]
    assert a.max(b).tolist() == [3.0, 4.0]


def test_var_positional_forms() -> None:
    a = np.random.default_rng(0).standard_normal((3, 4))
    x = ax.tensor(a)
    np.testing.assert_allclose(x.var(False).item(), a.var(), rtol=1e-5)
    np.testing.assert_allclose(x.var(0, False).numpy(), a.var(0), rtol=1e-5)
    assert x.var(0, True, True).shape == (1, 4)
    np.testing.assert_allclose(ax.var(x, 1, correction=2).numpy(), a.var(1, ddof=2), rtol=1e-5)
    with pytest.raises(TypeError):
        x.var(0, unbiased=True, correction=1)


def test_zero_dim_inputs() -> None:
    x = ax.tensor(3.0)
    assert x.sum(0).item() == 3.0 and x.sum(0).shape == ()
    v, i = x.max(0)
    assert v.item() == 3.0 and i.item() == 0
    assert x.argmax(0).item() == 0
    assert x.amax(-1).item() == 3.0


@pytest.mark.parametrize("keepdim", [False, True])
def test_argmax_flat_keepdim(keepdim: bool) -> None:
    x = ax.tensor([[1.0, 9.0], [3.0, 4.0]])
    r = x.argmax(keepdim=keepdim)
    assert r.shape == ((1, 1) if keepdim else ())
    assert r.numpy().ravel().tolist() == [1]


# ---- errors -----------------------------------------------------------------------------------

BAD_CALLS = [
    ("sum_bad_dim", lambda m, x: x.sum(2)),
    ("sum_repeated_dim", lambda m, x: x.sum((0, -2))),
    ("mean_int", lambda m, x: m.tensor([1, 2]).mean()),
    ("mean_int_dtype", lambda m, x: x.mean(dtype=m.int64)),
    ("var_int", lambda m, x: m.tensor([1, 2]).var()),
    ("std_int", lambda m, x: m.tensor([1, 2]).std(0)),
    ("norm_int", lambda m, x: m.tensor([1, 2]).norm()),
    ("max_empty", lambda m, x: m.zeros(0, 3).max()),
    ("max_empty_dim", lambda m, x: m.zeros(0, 3).max(0)),
    ("amax_empty", lambda m, x: m.zeros(0, 3).amax()),
    ("amin_empty_dim", lambda m, x: m.zeros(0, 3).amin(0)),
    ("argmax_empty", lambda m, x: m.zeros(0).argmax()),
    ("argmin_empty_dim", lambda m, x: m.zeros(2, 0).argmin(1)),
    ("argmax_bool", lambda m, x: m.tensor([True, False]).argmax()),
    ("argmax_bad_dim", lambda m, x: x.argmax(3)),
    ("max_bad_dim", lambda m, x: x.max(-3)),
    ("logsumexp_bad_dim", lambda m, x: x.logsumexp(5)),
    ("norm_inf_empty", lambda m, x: m.zeros(0).norm(float("inf"))),
    ("prod_tuple_dim", lambda m, x: x.prod((0, 1))),
    ("max_keepdim_int", lambda m, x: x.max(0, 1)),
]


@pytest.mark.parametrize(("name", "call"), BAD_CALLS, ids=[n for n, _ in BAD_CALLS])
def test_errors_match_torch_types(name: str, call: Callable[[Any, Any], Any], torch) -> None:
    with pytest.raises(Exception) as want:  # noqa: PT011  (the type is what we compare)
        call(torch, torch.zeros(2, 3))
    with pytest.raises(want.type):
        call(ax, ax.zeros(2, 3))


def test_error_messages_name_the_op() -> None:
    x = ax.zeros(2, 3)
    with pytest.raises(IndexError, match="sum"):
        x.sum(4)
    with pytest.raises(IndexError, match="amax"):
        x.amax((0, 7))
    with pytest.raises(RuntimeError, match="dim 0 appears multiple times"):
        x.mean((0, 0))
    with pytest.raises(RuntimeError, match="mean"):
        ax.tensor([1, 2]).mean()
    with pytest.raises(ValueError, match="nuc"):
        x.norm("nuc")
    with pytest.raises(TypeError, match="dim"):
        x.sum("0")


# ---- empty tensors ------------------------------------------------------------------------------


def test_empty_reductions() -> None:
    e = ax.zeros(0, 3)
    assert e.sum().item() == 0.0
    assert e.sum(0).tolist() == [0.0, 0.0, 0.0]
    assert np.isnan(e.mean().item())
    assert e.prod().item() == 1.0
    assert e.all().item() is True and e.any().item() is False
    assert e.amax(1).shape == (0,)
    assert e.max(1).values.shape == (0,) and e.max(1).indices.shape == (0,)
    assert e.logsumexp(0).tolist() == [float("-inf")] * 3
    assert e.norm().item() == 0.0
    assert e.count_nonzero().item() == 0
    assert np.isnan(e.var().item())


# ---- NaN, ties ----------------------------------------------------------------------------------


def test_nan_propagation_matches_torch(torch) -> None:
    a = np.array([[1.0, np.nan, 3.0, np.nan], [2.0, 5.0, -1.0, 0.0], [np.nan, 1.0, 1.0, 7.0]])
    x, t = ax.tensor(a), torch.tensor(a)
    for f in [
        lambda z: z.max(),
        lambda z: z.min(),
        lambda z: z.amax(1),
        lambda z: z.amin(0),
        lambda z: z.argmax(),
        lambda z: z.argmin(1),
        lambda z: z.max(1).values,
        lambda z: z.max(1).indices,
        lambda z: z.min(0).indices,
        lambda z: z.sum(1),
        lambda z: z.logsumexp(1),
        lambda z: z.norm(float("inf"), 1),
    ]:
        np.testing.assert_array_equal(f(x).numpy(), f(t).numpy())


def test_large_nan_detected_in_every_lane() -> None:
    a = np.zeros(100_003, dtype=np.float32)
    for pos in [0, 17, 50_000, 100_002]:
        b = a.copy()
        b[pos] = np.nan
        x = ax.tensor(b)
        assert np.isnan(x.max().item()) and np.isnan(x.amin().item())
        assert x.argmax().item() == pos and x.argmin().item() == pos


def test_tie_gradients_match_torch(torch) -> None:
    a = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]])
    for f in [
        lambda z: z.max(1).values,  # gradient to the returned index only
        lambda z: z.min(0).values,
        lambda z: z.amax(1),  # ties share evenly
        lambda z: z.max(),
        lambda z: z.amin(),
        lambda z: z.norm(float("inf"), 1),
    ]:
        x = ax.tensor(a, requires_grad=True)
        t = torch.tensor(a, requires_grad=True)
        f(x).sum().backward()
        f(t).sum().backward()
        np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), err_msg=str(f))


def test_zero_safe_gradients_match_torch(torch) -> None:
    cases = [
        (np.zeros((2, 3)), lambda z: z.norm(dim=1)),
        (np.zeros((2, 3)), lambda z: z.norm(3, 1)),
        (np.ones((2, 3)), lambda z: z.std(1)),
        (np.array([[0.0, 2.0, 3.0], [0.0, 0.0, 4.0]]), lambda z: z.prod(1)),
        (np.array([0.0, -1.0, 2.0]), lambda z: z.norm(1)),
    ]
    for a, f in cases:
        x = ax.tensor(a, requires_grad=True)
        t = torch.tensor(a, requires_grad=True)
        f(x).sum().backward()
        f(t).sum().backward()
        np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), err_msg=str(f))


def test_prod_with_zeros_second_order() -> None:
    for zeros in [[0], [0, 2], [0, 1, 3]]:
        a = np.array([1.5, -0.7, 2.0, 1.2])
        a[zeros] = 0.0
        x = ax.tensor(a, requires_grad=True)
        assert ax.autograd.gradcheck(lambda z: z.prod(), [x])
        assert ax.autograd.gradgradcheck(lambda z: z.prod(), [x])


def test_grad_fn_names_match_torch(torch) -> None:
    calls = [
        lambda z: z.sum(),
        lambda z: z.sum(0),
        lambda z: z.mean(),
        lambda z: z.mean(1),
        lambda z: z.prod(),
        lambda z: z.prod(0),
        lambda z: z.max(),
        lambda z: z.max(0).values,
        lambda z: z.amax(0),
        lambda z: z.amin(),
        lambda z: z.var(0),
        lambda z: z.std(),
        lambda z: z.logsumexp(1),
        lambda z: z.norm(),
    ]
    a = np.random.default_rng(0).standard_normal((3, 4))
    for f in calls:
        got = f(ax.tensor(a, requires_grad=True)).grad_fn.name()
        want = type(f(torch.tensor(a, requires_grad=True)).grad_fn).__name__
        assert got == want


# ---- numerics and layouts --------------------------------------------------------------------


def test_logsumexp_is_stable() -> None:
    x = ax.tensor([[1000.0, 1000.0], [-1000.0, -1000.0], [float("-inf"), float("-inf")]])
    np.testing.assert_allclose(
        x.logsumexp(1).numpy(), [1000 + np.log(2), -1000 + np.log(2), -np.inf], rtol=1e-6
    )
    assert ax.tensor([1.0, float("inf")]).logsumexp(0).item() == float("inf")


def test_float32_sum_accuracy() -> None:
    a = np.random.default_rng(0).uniform(0, 1, 1 << 22).astype(np.float32)
    want = a.astype(np.float64).sum()
    assert abs(ax.tensor(a).sum().item() - want) <= 1e-6 * want
    assert abs(ax.tensor(a).mean().item() - want / a.size) <= 1e-6 * want / a.size
    big = np.full(1 << 20, 1e4, dtype=np.float32) + a[: 1 << 20]
    np.testing.assert_allclose(ax.tensor(big).var().item(), a[: 1 << 20].var(ddof=1), rtol=1e-3)


def _strided_views(rng: np.random.Generator) -> list[np.ndarray]:
    base = rng.standard_normal((64, 48, 20))
    return [
        base,
        base.transpose(2, 0, 1),
        base[:, ::2, :],
        base[::3, :, 1:17],
        base.transpose(1, 2, 0)[:, ::2],
    ]


@pytest.mark.parametrize("dims", [None, 0, 1, 2, (0, 2), (1, 2), (0, 1)])
def test_strided_inputs_match_numpy(dims: Any) -> None:
    for a in _strided_views(np.random.default_rng(1)):
        x = ax.from_numpy(a)
        axis = dims
        np.testing.assert_allclose(x.sum(dims).numpy(), a.sum(axis), rtol=1e-10, atol=1e-10)
        np.testing.assert_allclose(x.amax(dims).numpy(), a.max(axis), rtol=0)
        np.testing.assert_allclose(x.var(dims).numpy(), a.var(axis, ddof=1), rtol=1e-9)
        np.testing.assert_allclose(x.norm(dim=dims).numpy(), np.sqrt((a * a).sum(axis)), rtol=1e-10)
        if isinstance(dims, int):
            np.testing.assert_array_equal(x.argmin(dims).numpy(), a.argmin(dims))
            np.testing.assert_array_equal(x.max(dims).indices.numpy(), a.argmax(dims))


@pytest.mark.parametrize(
    "fn",
    [
        lambda z: z.sum(),
        lambda z: z.mean(),
        lambda z: z.sum(1),
        lambda z: z.sum(0),
        lambda z: z.var(0),
        lambda z: z.std(),
        lambda z: z.norm(dim=1),
        lambda z: z.logsumexp(0),
        lambda z: z.amax(),
        lambda z: z.max(0).indices,
        lambda z: z.argmin(),
        lambda z: z[:, :3].sum(0),
    ],
)
def test_bitwise_equal_across_thread_counts(fn: Callable[[ax.Tensor], ax.Tensor]) -> None:
    a = np.random.default_rng(2).standard_normal((3000, 257)).astype(np.float32) * 100
    x = ax.tensor(a)
    saved = ax.get_num_threads()
    try:
        outs = []
        for n in (1, 2, 3):
            ax.set_num_threads(n)
            outs.append(fn(x).numpy().tobytes())
    finally:
        ax.set_num_threads(saved)
    assert outs[0] == outs[1] == outs[2]
