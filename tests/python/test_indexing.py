"""Indexing family: getitem (basic views, advanced gathers, masks), setitem vs NumPy (broadcast
values, masks, dtype conversion, autograd through setitem), gather/scatter/index_select/
index_add/masked_*/take_along_dim/tril/triu as OpSpec rows (NumPy values, float64 gradcheck +
gradgradcheck, PyTorch parity), nonzero/one_hot, determinism, and PyTorch-style errors."""

from __future__ import annotations

import sys
from types import ModuleType
from typing import Any

import numpy as np
import pytest
from opspec import OpSpec, op_tests

import axonite as ax


def lib(t: Any) -> ModuleType:
    """The module whose functions match `t`'s type: axonite, or torch in parity runs."""
    return ax if isinstance(t, ax.Tensor) else sys.modules["torch"]


def _idx(rng: np.random.Generator, high: int, shape: tuple[int, ...]) -> np.ndarray:
    return rng.integers(0, high, size=shape).astype(np.int64)


def _perm_idx(rng: np.random.Generator, n: int, rows: int, k: int) -> np.ndarray:
    """(rows, k) indices in [0, n), distinct within each row (scatter without collisions)."""
    return np.stack([rng.permutation(n)[:k] for _ in range(rows)]).astype(np.int64)


def _scatter_ref(x: np.ndarray, i: np.ndarray, s: np.ndarray, dim: int, add: bool) -> np.ndarray:
    out = x.copy()
    grid = list(np.indices(i.shape))
    grid[dim] = i
    src = s[tuple(slice(0, n) for n in i.shape)]
    if add:
        np.add.at(out, tuple(grid), src)
    else:
        out[tuple(grid)] = src
    return out


def _index_add_ref(x: np.ndarray, dim: int, i: np.ndarray, s: np.ndarray) -> np.ndarray:
    out = np.moveaxis(x.copy(), dim, 0)
    np.add.at(out, i, np.moveaxis(s, dim, 0))
    return np.moveaxis(out, 0, dim)


def _mask(shape: tuple[int, ...]):
    return lambda rng: [rng.uniform(-2, 2, size=shape), rng.uniform(size=shape) > 0.5]


SPECS = [
    # getitem: basic (views) and advanced (gathers)
    OpSpec("get_int", lambda x: x[1], ref=lambda x: x[1]),
    OpSpec("get_neg_int", lambda x: x[-1, -2], ref=lambda x: x[-1, -2]),
    OpSpec("get_slice_none_step", lambda x: x[1:, None, ::2], ref=lambda x: x[1:, None, ::2]),
    OpSpec("get_ellipsis", lambda x: x[..., 1:3], ref=lambda x: x[..., 1:3], shapes=[(2, 3, 4)]),
    OpSpec(
        "get_none_ellipsis_int",
        lambda x: x[None, ..., 0],
        ref=lambda x: x[None, ..., 0],
        shapes=[(2, 3, 4)],
    ),
    OpSpec("get_slice_clamp", lambda x: x[-10:10, 2:1], ref=lambda x: x[-10:10, 2:1]),
    OpSpec("get_list_int", lambda x: x[[0, 2], 1], ref=lambda x: x[[0, 2], 1]),
    OpSpec("get_list_dup", lambda x: x[..., [1, 0, 1, 1]], ref=lambda x: x[..., [1, 0, 1, 1]]),
    OpSpec("get_neg_list", lambda x: x[[-1, 0]], ref=lambda x: x[[-1, 0]]),
    OpSpec(
        "get_broadcast_lists", lambda x: x[[[0], [2]], [1, 3]], ref=lambda x: x[[[0], [2]], [1, 3]]
    ),
    OpSpec(
        "get_adjacent_adv",
        lambda x: x[:, [0, 2], [1, 3]],
        ref=lambda x: x[:, [0, 2], [1, 3]],
        shapes=[(2, 3, 4)],
    ),
    OpSpec(
        "get_separated_adv",
        lambda x: x[[0, 1], :, [1, 2]],
        ref=lambda x: x[[0, 1], :, [1, 2]],
        shapes=[(2, 3, 4)],
    ),
    OpSpec(
        "get_none_separates",
        lambda x: x[[0, 1], None, [1, 2]],
        ref=lambda x: x[[0, 1], None, [1, 2]],
        shapes=[(2, 3, 4)],
    ),
    OpSpec("get_ndarray", lambda x: x[np.array([2, 0, 2])], ref=lambda x: x[np.array([2, 0, 2])]),
    OpSpec("get_true", lambda x: x[True], ref=lambda x: x[True]),
    OpSpec("get_int_true", lambda x: x[0, True], ref=lambda x: x[0, True]),
    OpSpec("get_mask", lambda x: x[x > 0], ref=lambda x: x[x > 0]),
    OpSpec("get_row_mask", lambda x: x[x[:, 0] > 0], ref=lambda x: x[x[:, 0] > 0], shapes=[(6, 3)]),
    OpSpec(
        "get_mask_then_slice",
        lambda x, m: x[m, 1:3],
        ref=lambda x, m: x[m, 1:3],
        make_inputs=lambda rng: [rng.uniform(-2, 2, (2, 3, 4)), rng.uniform(size=(2, 3)) > 0.4],
    ),
    OpSpec(
        "get_tensor_idx",
        lambda x, i: x[i],
        ref=lambda x, i: x[i],
        make_inputs=lambda rng: [rng.uniform(-2, 2, (4, 3)), _idx(rng, 4, (2, 5))],
    ),
    OpSpec(
        "get_tensor_idx_last",
        lambda x, i: x[:, i],
        ref=lambda x, i: x[:, i],
        make_inputs=lambda rng: [rng.uniform(-2, 2, (4, 3)), _idx(rng, 3, (5,))],
    ),
    # PyTorch applies an int before advanced indices (NumPy would broadcast it): torch only.
    OpSpec("get_int_then_list", lambda x: x[1, :, [0, 2]], shapes=[(2, 3, 4)]),
    # gather / scatter family
    OpSpec(
        "gather_dim1",
        lambda x, i: x.gather(1, i),
        ref=lambda x, i: np.take_along_axis(x, i, 1),
        make_inputs=lambda rng: [rng.uniform(-2, 2, (3, 4)), _idx(rng, 4, (3, 6))],
    ),
    OpSpec(
        "gather_dim0_smaller",
        lambda x, i: lib(x).gather(x, 0, i),
        ref=lambda x, i: np.take_along_axis(x[:, :2], i, 0),
        make_inputs=lambda rng: [rng.uniform(-2, 2, (3, 4)), _idx(rng, 3, (5, 2))],
    ),
    OpSpec(
        "gather_3d_neg_dim",
        lambda x, i: x.gather(-2, i),
        ref=lambda x, i: np.take_along_axis(x, i, 1),
        make_inputs=lambda rng: [rng.uniform(-2, 2, (2, 3, 4)), _idx(rng, 3, (2, 5, 4))],
    ),
    OpSpec(
        "scatter_add",
        lambda x, i, s: x.scatter_add(0, i, s),
        ref=lambda x, i, s: _scatter_ref(x, i, s, 0, True),
        make_inputs=lambda rng: [
            rng.uniform(-2, 2, (3, 4)),
            _idx(rng, 3, (5, 4)),
            rng.uniform(-2, 2, (5, 4)),
        ],
    ),
    OpSpec(
        "scatter_add_src_larger",
        lambda x, i, s: lib(x).scatter_add(x, 1, i, s),
        ref=lambda x, i, s: _scatter_ref(x, i, s, 1, True),
        torch_fn=None,
        grad=True,
        make_inputs=lambda rng: [
            rng.uniform(-2, 2, (3, 4)),
            _idx(rng, 4, (2, 3)),
            rng.uniform(-2, 2, (3, 5)),
        ],
    ),
    OpSpec(
        "scatter_src",
        lambda x, i, s: x.scatter(1, i, s),
        ref=lambda x, i, s: _scatter_ref(x, i, s, 1, False),
        make_inputs=lambda rng: [
            rng.uniform(-2, 2, (3, 5)),
            _perm_idx(rng, 5, 3, 3),
            rng.uniform(-2, 2, (3, 3)),
        ],
    ),
    OpSpec(
        "scatter_value",
        lambda x, i: x.scatter(1, i, 1.5),
        ref=lambda x, i: _scatter_ref(x, i, np.full(i.shape, 1.5), 1, False),
        make_inputs=lambda rng: [rng.uniform(-2, 2, (3, 5)), _idx(rng, 5, (3, 2))],
    ),
    OpSpec(
        "index_select",
        lambda x, i: x.index_select(0, i),
        ref=lambda x, i: np.take(x, i, 0),
        make_inputs=lambda rng: [rng.uniform(-2, 2, (4, 3)), np.array([3, 0, 3, 1])],
    ),
    OpSpec(
        "index_select_dim1",
        lambda x, i: lib(x).index_select(x, -2, i),
        ref=lambda x, i: np.take(x, i, 1),
        make_inputs=lambda rng: [rng.uniform(-2, 2, (2, 5, 3)), np.array([2, 2, 0])],
    ),
    OpSpec(
        "index_add",
        lambda x, i, s: x.index_add(1, i, s),
        ref=lambda x, i, s: _index_add_ref(x, 1, i, s),
        make_inputs=lambda rng: [
            rng.uniform(-2, 2, (3, 4)),
            np.array([0, 3, 0]),
            rng.uniform(-2, 2, (3, 3)),
        ],
    ),
    OpSpec(
        "take_along_dim",
        lambda x, i: lib(x).take_along_dim(x, i, dim=1),
        ref=lambda x, i: np.take_along_axis(x, np.broadcast_to(i, (3, 2)), 1),
        make_inputs=lambda rng: [rng.uniform(-2, 2, (3, 4)), _idx(rng, 4, (1, 2))],
    ),
    OpSpec(
        "take_along_dim_flat",
        lambda x, i: lib(x).take_along_dim(x, i),
        ref=lambda x, i: x.ravel()[i],
        make_inputs=lambda rng: [rng.uniform(-2, 2, (3, 4)), _idx(rng, 12, (5,))],
    ),
    OpSpec(
        "masked_fill",
        lambda x, m: x.masked_fill(m, 0.5),
        ref=lambda x, m: np.where(m, 0.5, x),
        make_inputs=_mask((3, 4)),
    ),
    OpSpec(
        "masked_fill_broadcast",
        lambda x, m: lib(x).masked_fill(x, m, -1.0),
        ref=lambda x, m: np.where(m, -1.0, x),
        make_inputs=lambda rng: [rng.uniform(-2, 2, (3, 4)), rng.uniform(size=(4,)) > 0.5],
    ),
    OpSpec(
        "masked_select",
        lambda x, m: x.masked_select(m),
        ref=lambda x, m: x[m],
        make_inputs=_mask((3, 4)),
    ),
    OpSpec("tril", lambda x: x.tril(), ref=np.tril, shapes=[(4, 5)]),
    OpSpec(
        "tril_neg", lambda x: lib(x).tril(x, -1), ref=lambda x: np.tril(x, -1), shapes=[(2, 4, 3)]
    ),
    OpSpec("triu", lambda x: x.triu(), ref=np.triu, shapes=[(4, 5)]),
    OpSpec(
        "triu_pos",
        lambda x: lib(x).triu(x, diagonal=2),
        ref=lambda x: np.triu(x, 2),
        shapes=[(2, 3, 5)],
    ),
]


test_forward, test_gradcheck, test_torch_parity = op_tests(
    SPECS, torch_specs=[s for s in SPECS if s.name != "scatter_add_src_larger"]
)


def test_int_then_list_shape() -> None:
    x = ax.arange(24.0).reshape(2, 3, 4)
    y = x[1, :, [0, 2]]
    assert y.shape == (3, 2)
    np.testing.assert_array_equal(y.numpy(), np.arange(24.0).reshape(2, 3, 4)[1][:, [0, 2]])


# ---- views vs copies -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "idx", [0, -1, slice(1, None), (slice(None), 2), (None, 0), Ellipsis, (1, None, slice(0, 4, 2))]
)
def test_basic_indexing_is_a_view(idx: Any) -> None:
    x = ax.arange(12.0).reshape(3, 4)
    y = x[idx]
    assert y._is_view
    before = x._version
    y.mul_(0)
    assert x._version == y._version == before + 1
    ref = np.arange(12.0).reshape(3, 4)
    ref[idx] *= 0
    np.testing.assert_array_equal(x.numpy(), ref)


@pytest.mark.parametrize("idx", [[0, 2], (slice(None), [1]), True])
def test_advanced_indexing_copies(idx: Any) -> None:
    x = ax.arange(12.0).reshape(3, 4)
    y = x[idx]
    y.mul_(0)
    np.testing.assert_array_equal(x.numpy(), np.arange(12.0).reshape(3, 4))


def test_mask_and_tensor_index_forms() -> None:
    a = np.arange(12).reshape(3, 4)
    x = ax.tensor(a)
    np.testing.assert_array_equal(x[x % 2 == 0].numpy(), a[a % 2 == 0])
    np.testing.assert_array_equal(x[ax.tensor([2, 0])].numpy(), a[[2, 0]])
    np.testing.assert_array_equal(x[ax.tensor(1)].numpy(), a[1])  # 0-d int: select
    assert x[ax.tensor(1)]._is_view
    assert x[ax.tensor(True)].shape == (1, 3, 4)
    assert x[False].shape == (0, 3, 4)
    assert x[[]].shape == (0, 4)
    assert x[np.int64(2), np.array([1, 3])].tolist() == [9, 11]
    assert x[()].shape == (3, 4)


def test_grad_fn_names() -> None:
    x = ax.ones(3, 4, requires_grad=True)
    assert x[0].grad_fn.name() == "SelectBackward0"
    assert x[1:].grad_fn.name() == "SliceBackward0"
    assert x[None].grad_fn.name() == "UnsqueezeBackward0"
    assert x[...].grad_fn.name() == "AliasBackward0"
    assert x[[0, 0]].grad_fn.name() == "IndexBackward0"
    assert x.gather(1, ax.zeros(3, 1, dtype=ax.int64)).grad_fn.name() == "GatherBackward0"
    mask = ax.tensor([True, False, True, False])
    assert x.masked_fill(mask, 2.0).grad_fn.name() == "MaskedFillBackward0"
    assert (x * 1).masked_fill_(mask, 2.0).grad_fn.name() == "MaskedFillBackward0"


def test_masked_fill_gradients_for_input_and_value(torch) -> None:
    rng = np.random.default_rng(1)
    x0, m0 = rng.standard_normal((3, 4)), rng.random((2, 3, 1)) > 0.5
    out = []
    for lib in (ax, torch):
        x = lib.tensor(x0, requires_grad=True)
        v = lib.tensor(1.5, dtype=lib.float64, requires_grad=True)
        y = x.masked_fill(lib.tensor(m0), v)
        (y * y).sum().backward()
        out.append((y.detach().numpy(), x.grad.numpy(), v.grad.numpy()))
    for a, t in zip(*out, strict=True):
        np.testing.assert_allclose(a, t, rtol=1e-12)


def test_duplicate_indices_accumulate_gradients() -> None:
    x = ax.arange(4.0, requires_grad=True)
    x[[0, 0, 3, 0]].sum().backward()
    assert x.grad.tolist() == [3.0, 0.0, 0.0, 1.0]


# ---- setitem ---------------------------------------------------------------------------------

SET_CASES = [
    (1, 7),
    (-1, np.array([1, 2, 3, 4])),
    ((slice(None), 2), np.array([9, 8, 7])),
    (slice(0, 3, 2), np.array([[5], [6]])),
    ((Ellipsis, 0), 4.75),
    ([0, 2], np.array([1, 1, 1, 1])),
    (([0, 2], [1, 3]), np.array([10, 20])),
    (([2, 2], [0, 0]), np.array([1, 2])),  # duplicates: the last write wins
    ((slice(None), [1, 3]), np.array([[1, 2]])),
    (np.array([[True, False, True, False]] * 3), -5),
    ((0, slice(None)), np.array([[1, 2, 3, 4]])),  # extra leading size-1 dims are dropped
    ((None, 1, slice(1, 3)), np.array([3, 4])),
]


@pytest.mark.parametrize(("idx", "value"), SET_CASES, ids=lambda v: repr(v)[:30])
@pytest.mark.parametrize("dtype", [np.float32, np.int64])
def test_setitem_matches_numpy(idx: Any, value: Any, dtype: Any) -> None:
    a = np.arange(12).reshape(3, 4).astype(dtype)
    x = ax.tensor(a)
    before = x._version
    v = ax.tensor(value) if isinstance(value, np.ndarray) else value
    x[idx] = v
    a[idx] = (
        np.squeeze(value, 0)
        if isinstance(value, np.ndarray) and value.ndim > a[idx].ndim
        else value
    )
    np.testing.assert_array_equal(x.numpy(), a)
    assert x._version > before


def test_setitem_mask_tensor_and_dtype_conversion() -> None:
    x = ax.arange(6.0).reshape(2, 3)
    x[x > 2] = ax.tensor([7.5, 8.5, 9.5], dtype=ax.float64)
    assert x.dtype == ax.float32
    assert x.tolist() == [[0, 1, 2], [7.5, 8.5, 9.5]]
    y = ax.zeros(3, dtype=ax.int64)
    y[1] = 2.9
    assert y.tolist() == [0, 2, 0]
    b = ax.zeros(3, dtype=ax.bool)
    b[[0, 2]] = True
    assert b.tolist() == [True, False, True]


def test_setitem_overlapping_source() -> None:
    x = ax.arange(5.0)
    x[1:] = x[:-1]
    assert x.tolist() == [0, 0, 1, 2, 3]


def test_setitem_autograd_through_op_result() -> None:
    x = ax.tensor(np.arange(12.0).reshape(3, 4), requires_grad=True)
    v = ax.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    w = ax.tensor(np.arange(12.0).reshape(3, 4) + 1)
    y = x * 2
    y[1] = v
    assert y.grad_fn.name() == "IndexPutBackward0"
    (y * w).sum().backward()
    expect = 2 * (np.arange(12.0).reshape(3, 4) + 1)
    expect[1] = 0
    np.testing.assert_array_equal(x.grad.numpy(), expect)
    np.testing.assert_array_equal(v.grad.numpy(), np.arange(4.0) + 5)


def test_setitem_autograd_mask_scalar_value() -> None:
    x = ax.tensor(np.linspace(-1, 1, 6), requires_grad=True)
    s = ax.tensor(3.0, requires_grad=True)
    y = x.exp() + 0  # exp saves its output: write into a fresh tensor instead
    y[x > 0] = s
    y.sum().backward()
    assert s.grad.item() == 3.0
    np.testing.assert_allclose(
        x.grad.numpy(), np.where(np.linspace(-1, 1, 6) > 0, 0, np.exp(np.linspace(-1, 1, 6)))
    )
    z = x.exp()
    z[0] = 1.0
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.sum().backward()


def test_setitem_into_plain_leaf_records_history() -> None:
    z = ax.zeros(2, 3)
    v = ax.ones(3, requires_grad=True)
    z[1] = v * 2
    assert z.requires_grad
    assert z.grad_fn is not None
    z.sum().backward()
    assert v.grad.tolist() == [2.0, 2.0, 2.0]


def test_setitem_gradcheck() -> None:
    def f(x: ax.Tensor, v: ax.Tensor) -> ax.Tensor:
        y = x * 1
        y[1:, [0, 2]] = v
        y[y > 1.5] = 0.0
        return y

    rng = np.random.default_rng(0)
    x = ax.tensor(rng.uniform(-2, 2, (3, 4)), requires_grad=True)
    v = ax.tensor(rng.uniform(-1, 1, (2,)), requires_grad=True)
    assert ax.autograd.gradcheck(f, (x, v))
    assert ax.autograd.gradgradcheck(f, (x, v))


def test_setitem_leaf_requiring_grad_raises() -> None:
    x = ax.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        x[0] = 1.0
    with ax.no_grad():
        x[0] = 1.0
    assert x.tolist() == [1.0, 0.0, 0.0]


def test_setitem_vs_torch(torch: Any) -> None:
    rng = np.random.default_rng(3)
    a = rng.standard_normal((4, 5))
    vals = rng.standard_normal((2, 5))
    xs = [ax.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)]
    vs = [ax.tensor(vals, requires_grad=True), torch.tensor(vals, requires_grad=True)]
    outs = []
    for x, v in zip(xs, vs, strict=True):
        y = x.tanh() * 3.0
        y[[3, 0]] = v
        y[:, 1] = 0.5
        outs.append(y)
        (y * y).sum().backward()
    np.testing.assert_allclose(outs[0].detach().numpy(), outs[1].detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(xs[0].grad.numpy(), xs[1].grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(vs[0].grad.numpy(), vs[1].grad.numpy(), rtol=1e-12)


# ---- other ops -------------------------------------------------------------------------------


def test_index_put_accumulate() -> None:
    x = ax.zeros(3, 2)
    i = ax.tensor([0, 2, 0, 0])
    v = ax.tensor(np.arange(8.0).reshape(4, 2), dtype=ax.float32)
    y = x.index_put((i,), v, accumulate=True)
    ref = np.zeros((3, 2))
    np.add.at(ref, [0, 2, 0, 0], np.arange(8.0).reshape(4, 2))
    np.testing.assert_array_equal(y.numpy(), ref)
    x.index_put_((None, ax.tensor([1])), ax.tensor(5.0))
    assert x[:, 1].tolist() == [5.0, 5.0, 5.0]


def test_inplace_variants_bump_version() -> None:
    x = ax.tensor(np.arange(12.0).reshape(3, 4))
    for op in (
        lambda t: t.tril_(),
        lambda t: t.triu_(1),
        lambda t: t.masked_fill_(t > 3, -1.0),
        lambda t: t.scatter_(1, ax.tensor([[0], [1], [2]]), 9.0),
        lambda t: t.scatter_add_(0, ax.tensor([[2, 2, 2, 2]]), ax.ones(1, 4, dtype=ax.float64)),
        lambda t: t.index_add_(0, ax.tensor([1]), ax.ones(1, 4, dtype=ax.float64)),
    ):
        before = x._version
        assert op(x) is x
        assert x._version > before
    ref = np.triu(np.tril(np.arange(12.0).reshape(3, 4)), 1)
    ref[ref > 3] = -1
    ref[[0, 1, 2], [0, 1, 2]] = 9.0
    ref[2] += 1
    ref[1] += 1
    np.testing.assert_array_equal(x.numpy(), ref)


def test_nonzero() -> None:
    a = np.array([[0, 1.5, 0], [2, 0, -1]])
    x = ax.tensor(a)
    nz = x.nonzero()
    assert nz.dtype == ax.int64
    np.testing.assert_array_equal(nz.numpy(), np.argwhere(a))
    cols = ax.nonzero(x, as_tuple=True)
    assert isinstance(cols, tuple)
    assert len(cols) == 2
    for c, r in zip(cols, np.nonzero(a), strict=True):
        np.testing.assert_array_equal(c.numpy(), r)
    assert ax.nonzero(ax.tensor(5)).shape == (1, 0)
    big = np.random.default_rng(0).uniform(size=(300, 700)) > 0.9
    np.testing.assert_array_equal(ax.tensor(big).nonzero().numpy(), np.argwhere(big))


def test_one_hot() -> None:
    y = ax.one_hot(ax.tensor([[2, 0], [1, 2]]))
    assert y.dtype == ax.int64
    assert y.shape == (2, 2, 3)
    np.testing.assert_array_equal(y.numpy(), np.eye(3, dtype=np.int64)[[[2, 0], [1, 2]]])
    assert ax.one_hot(ax.tensor([1]), num_classes=4).tolist() == [[0, 1, 0, 0]]


def test_scatter_add_deterministic_across_threads() -> None:
    rng = np.random.default_rng(0)
    idx = ax.tensor(rng.integers(0, 5, size=(1, 300000)))
    src = ax.tensor(rng.standard_normal((1, 300000)), dtype=ax.float32)
    saved = ax.get_num_threads()
    try:
        outs = []
        for nt in (1, 2, 4):
            ax.set_num_threads(nt)
            outs.append(ax.zeros(1, 5).scatter_add(1, idx, src).numpy().copy())
    finally:
        ax.set_num_threads(saved)
    for o in outs[1:]:
        np.testing.assert_array_equal(o, outs[0])


def test_index_backward_deterministic_across_threads() -> None:
    rng = np.random.default_rng(1)
    idx = ax.tensor(rng.integers(0, 7, size=200000))
    g = ax.tensor(rng.standard_normal((200000, 3)), dtype=ax.float32)
    saved = ax.get_num_threads()
    grads = []
    try:
        for nt in (1, 3):
            ax.set_num_threads(nt)
            w = ax.zeros(7, 3, requires_grad=True)
            w[idx].backward(g)
            grads.append(w.grad.numpy().copy())
    finally:
        ax.set_num_threads(saved)
    np.testing.assert_array_equal(grads[0], grads[1])


# ---- errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("idx", "exc", "match"),
    [
        (5, IndexError, "index 5 is out of bounds for dimension 0 with size 3"),
        ((slice(None), -5), IndexError, "index -5 is out of bounds for dimension 1 with size 4"),
        ([0, 3], IndexError, "index 3 is out of bounds for dimension 0 with size 3"),
        ((0, 0, 0), IndexError, "too many indices for tensor of dimension 2"),
        (1.5, IndexError, "only integers, slices"),
        (slice(None, None, -1), ValueError, "step must be greater than zero"),
        ((Ellipsis, Ellipsis), IndexError, "single ellipsis"),
        (
            ([0, 1], [0, 1, 2]),
            IndexError,
            "shape mismatch: indexing tensors could not be broadcast",
        ),
        ("a", TypeError, "valid indices"),
    ],
)
def test_getitem_errors(idx: Any, exc: type[Exception], match: str) -> None:
    x = ax.zeros(3, 4)
    with pytest.raises(exc, match=match):
        x[idx]


def test_index_tensor_errors() -> None:
    x = ax.zeros(3, 4)
    with pytest.raises(IndexError, match="tensors used as indices must be long"):
        x[ax.tensor([0.0, 1.0])]
    with pytest.raises(IndexError, match="tensors used as indices must be long"):
        x[[0.5]]
    with pytest.raises(IndexError, match=r"The shape of the mask \[3, 3\] at index 1"):
        x[ax.ones(3, 3, dtype=ax.bool)]
    with pytest.raises(IndexError, match="too many indices"):
        ax.tensor(1.0)[0]


def test_setitem_errors() -> None:
    x = ax.zeros(2, 3)
    with pytest.raises(RuntimeError, match=r"shape mismatch: value tensor of shape \[2, 3\]"):
        x[0] = ax.ones(2, 3)
    with pytest.raises(RuntimeError, match="cannot be broadcast to indexing result"):
        x[[0, 1]] = ax.ones(3, 3)
    with pytest.raises(IndexError, match="index 9 is out of bounds"):
        x[[9]] = 1.0
    assert x.tolist() == [[0.0] * 3] * 2


def test_gather_scatter_errors() -> None:
    x = ax.zeros(3, 4)
    i = ax.zeros(2, 2, dtype=ax.int64)
    with pytest.raises(RuntimeError, match="Expected dtype int64 for index"):
        x.gather(1, ax.zeros(2, 2))
    with pytest.raises(RuntimeError, match="same number of dimensions"):
        x.gather(1, ax.zeros(4, dtype=ax.int64))
    with pytest.raises(RuntimeError, match=r"expected index \[4, 4\] to be no larger than self"):
        x.gather(1, ax.zeros(4, 4, dtype=ax.int64))
    with pytest.raises(RuntimeError, match="index 5 is out of bounds for dimension 1 with size 4"):
        x.gather(1, ax.full((1, 1), 5, dtype=ax.int64))
    with pytest.raises(RuntimeError, match=r"no larger size than src \[1, 1\]"):
        x.scatter_add(1, i, ax.zeros(1, 1))
    with pytest.raises(RuntimeError, match=r"Expected self\.dtype to be equal to src\.dtype"):
        x.scatter(1, i, ax.zeros(2, 2, dtype=ax.float64))
    with pytest.raises(IndexError, match="dimension out of range"):
        x.gather(2, i)
    with pytest.raises(IndexError, match="Index is supposed to be a vector"):
        x.index_select(0, i)
    with pytest.raises(IndexError, match="index out of range in self"):
        x.index_select(0, ax.tensor([3]))
    with pytest.raises(RuntimeError, match="not broadcastable apart from dim 0"):
        x.take_along_dim(ax.tensor([[0, 1]]), 0)
    with pytest.raises(RuntimeError, match=r"Number of indices \(1\) should be equal"):
        x.index_add(0, ax.tensor([0]), ax.zeros(2, 4))


def test_masked_one_hot_tri_errors() -> None:
    x = ax.zeros(3)
    with pytest.raises(RuntimeError, match="only supports boolean masks"):
        x.masked_fill(ax.ones(3), 1.0)
    with pytest.raises(RuntimeError, match="0-dimensional value tensor"):
        x.masked_fill(ax.ones(3, dtype=ax.bool), ax.ones(3))
    with pytest.raises(RuntimeError, match="doesn't match the broadcast shape"):
        x.masked_fill_(ax.ones(2, 3, dtype=ax.bool), 1.0)
    with pytest.raises(RuntimeError, match="smaller than num_classes"):
        ax.one_hot(ax.tensor([3]), 3)
    with pytest.raises(RuntimeError, match="non-negative"):
        ax.one_hot(ax.tensor([-1]), 3)
    with pytest.raises(RuntimeError, match="empty tensor"):
        ax.one_hot(ax.zeros(0, dtype=ax.int64))
    with pytest.raises(RuntimeError, match="LongTensor"):
        ax.one_hot(ax.zeros(2))
    with pytest.raises(RuntimeError, match="at least 2 dimensions"):
        x.tril()
