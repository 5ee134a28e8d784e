"""Shape ops: views (view/reshape/permute/transpose/squeeze/narrow/select/expand/movedim/...) and
joins/splits (cat/stack/split/chunk/unbind/repeat/tile/flip/roll). Table rows check values vs
NumPy, float64 gradcheck + gradgradcheck and PyTorch parity; the rest checks that views share
memory and version counters, type promotion in cat, and PyTorch-style errors."""

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


def _unflatten(x: np.ndarray, dim: int, sizes: tuple[int, ...]) -> np.ndarray:
    return x.reshape(x.shape[:dim] + sizes + x.shape[dim + 1 :])


def _split(x: np.ndarray, sizes: list[int], axis: int) -> tuple[np.ndarray, ...]:
    return tuple(np.split(x, np.cumsum(sizes)[:-1], axis=axis))


def _as_strided(x: np.ndarray) -> np.ndarray:
    flat = x.ravel()
    return np.array([[flat[1 + i + 2 * j] for j in range(2)] for i in range(2)])


S234 = [(2, 3, 4)]
SPECS = [
    # view / reshape family
    OpSpec("view", lambda x: x.view(4, 3), ref=lambda x: x.reshape(4, 3)),
    OpSpec("view_infer", lambda x: x.view(-1), ref=lambda x: x.reshape(-1)),
    OpSpec("view_tuple", lambda x: x.view((2, -1, 2)), ref=lambda x: x.reshape(2, 3, 2)),
    OpSpec("reshape", lambda x: x.reshape(2, 6), ref=lambda x: x.reshape(2, 6)),
    OpSpec("reshape_copy", lambda x: x.t().reshape(12), ref=lambda x: x.T.reshape(12)),
    OpSpec("reshape_fn", lambda x: lib(x).reshape(x, (6, 2)), ref=lambda x: x.reshape(6, 2)),
    # dim reordering
    OpSpec(
        "permute", lambda x: x.permute(2, 0, 1), ref=lambda x: x.transpose(2, 0, 1), shapes=S234
    ),
    OpSpec(
        "permute_neg_tuple",
        lambda x: x.permute((-1, 0, -2)),
        ref=lambda x: x.transpose(2, 0, 1),
        shapes=S234,
    ),
    OpSpec(
        "permute_fn",
        lambda x: lib(x).permute(x, (1, 2, 0)),
        ref=lambda x: x.transpose(1, 2, 0),
        shapes=S234,
    ),
    OpSpec("transpose", lambda x: x.transpose(0, 2), ref=lambda x: x.swapaxes(0, 2), shapes=S234),
    OpSpec(
        "transpose_fn",
        lambda x: lib(x).transpose(x, -1, 1),
        ref=lambda x: x.swapaxes(-1, 1),
        shapes=S234,
    ),
    OpSpec("swapaxes", lambda x: x.swapaxes(0, 1), ref=lambda x: x.swapaxes(0, 1)),
    OpSpec("t", lambda x: x.t(), ref=lambda x: x.T),
    OpSpec("t_1d", lambda x: x.t(), ref=lambda x: x, shapes=[(5,)]),
    OpSpec("T_2d", lambda x: x.T, ref=lambda x: x.T),
    OpSpec(
        "T_3d", lambda x: x.T, ref=lambda x: x.T, shapes=S234, torch_fn=lambda x: x.permute(2, 1, 0)
    ),
    OpSpec("mT", lambda x: x.mT, ref=lambda x: x.swapaxes(-1, -2), shapes=S234),
    OpSpec("movedim", lambda x: x.movedim(0, 2), ref=lambda x: np.moveaxis(x, 0, 2), shapes=S234),
    OpSpec(
        "movedim_tuple",
        lambda x: x.movedim((0, 1), (2, 0)),
        ref=lambda x: np.moveaxis(x, (0, 1), (2, 0)),
        shapes=S234,
    ),
    OpSpec(
        "moveaxis_fn",
        lambda x: lib(x).moveaxis(x, -1, 0),
        ref=lambda x: np.moveaxis(x, -1, 0),
        shapes=S234,
    ),
    # size-1 dims and grouping
    OpSpec("unsqueeze", lambda x: x.unsqueeze(1), ref=lambda x: x[:, None]),
    OpSpec("unsqueeze_end", lambda x: x.unsqueeze(-1), ref=lambda x: x[..., None]),
    OpSpec("unsqueeze_noncontig", lambda x: x.t().unsqueeze(0), ref=lambda x: x.T[None]),
    OpSpec("squeeze_all", lambda x: x.squeeze(), ref=np.squeeze, shapes=[(3, 1, 4, 1)]),
    OpSpec(
        "squeeze_dim", lambda x: x.squeeze(1), ref=lambda x: x.squeeze(1), shapes=[(3, 1, 4, 1)]
    ),
    OpSpec("squeeze_dim_noop", lambda x: x.squeeze(0), ref=lambda x: x, shapes=[(3, 1, 4, 1)]),
    OpSpec(
        "squeeze_tuple",
        lambda x: x.squeeze((1, -1)),
        ref=lambda x: x.squeeze((1, 3)),
        shapes=[(3, 1, 4, 1)],
    ),
    OpSpec("flatten", lambda x: x.flatten(), ref=lambda x: x.reshape(-1), shapes=S234),
    OpSpec("flatten_range", lambda x: x.flatten(1), ref=lambda x: x.reshape(2, 12), shapes=S234),
    OpSpec(
        "flatten_noncontig",
        lambda x: x.transpose(0, 2).flatten(0, 1),
        ref=lambda x: x.swapaxes(0, 2).reshape(12, 2),
        shapes=S234,
    ),
    OpSpec(
        "unflatten",
        lambda x: x.unflatten(1, (3, -1)),
        ref=lambda x: _unflatten(x, 1, (3, 4)),
        shapes=[(2, 12)],
    ),
    OpSpec(
        "expand",
        lambda x: x.expand(2, 3, 4),
        ref=lambda x: np.broadcast_to(x, (2, 3, 4)),
        shapes=[(3, 1)],
    ),
    OpSpec(
        "expand_keep",
        lambda x: x.expand(-1, 5),
        ref=lambda x: np.broadcast_to(x, (3, 5)),
        shapes=[(3, 1)],
    ),
    # slicing views
    OpSpec("narrow", lambda x: x.narrow(1, 1, 2), ref=lambda x: x[:, 1:3]),
    OpSpec("narrow_neg", lambda x: lib(x).narrow(x, 0, -2, 2), ref=lambda x: x[-2:]),
    OpSpec("select", lambda x: x.select(1, 2), ref=lambda x: x[:, 2]),
    OpSpec("select_neg", lambda x: lib(x).select(x, 0, -1), ref=lambda x: x[-1]),
    OpSpec(
        "select_chain", lambda x: x.select(2, 1).select(0, 1), ref=lambda x: x[1, :, 1], shapes=S234
    ),
    OpSpec("unbind", lambda x: x.unbind(1), ref=lambda x: tuple(np.moveaxis(x, 1, 0))),
    OpSpec("unbind_fn", lambda x: lib(x).unbind(x), ref=lambda x: tuple(x)),
    OpSpec("as_strided", lambda x: x.as_strided((2, 2), (1, 2), 1), ref=_as_strided),
    OpSpec(
        "as_strided_overlap",
        lambda x: x.as_strided((3, 3), (1, 1)),
        ref=lambda x: np.lib.stride_tricks.sliding_window_view(x.ravel()[:5], 3),
        shapes=[(2, 3)],
    ),
    OpSpec(
        "view_chain",
        lambda x: x.permute(1, 0).unsqueeze(0).expand(2, 4, 3).narrow(2, 1, 2),
        ref=lambda x: np.broadcast_to(x.T[None], (2, 4, 3))[:, :, 1:3],
    ),
    # joins
    OpSpec(
        "cat",
        lambda a, b: lib(a).cat([a, b]),
        ref=lambda a, b: np.concatenate([a, b]),
        shapes=[(2, 3), (4, 3)],
    ),
    OpSpec(
        "cat_dim1",
        lambda a, b, c: lib(a).cat((a, b, c), dim=1),
        ref=lambda a, b, c: np.concatenate([a, b, c], 1),
        shapes=[(2, 3), (2, 1), (2, 2)],
    ),
    OpSpec(
        "cat_neg_dim",
        lambda a, b: lib(a).cat([a, b], -1),
        ref=lambda a, b: np.concatenate([a, b], -1),
        shapes=[(2, 3, 2), (2, 3, 1)],
    ),
    OpSpec(
        "cat_noncontig",
        lambda a, b: lib(a).cat([a.t(), b], 0),
        ref=lambda a, b: np.concatenate([a.T, b]),
        shapes=[(3, 2), (1, 3)],
    ),
    OpSpec(
        "cat_legacy_empty",
        lambda a, b: lib(a).cat([a, b], 1),
        ref=lambda a, b: a,
        shapes=[(2, 3), (0,)],
    ),
    OpSpec(
        "concat_fn",
        lambda a, b: lib(a).concat([a, b], dim=0),
        ref=lambda a, b: np.concatenate([a, b]),
        shapes=[(1, 4), (2, 4)],
    ),
    OpSpec(
        "stack",
        lambda a, b: lib(a).stack([a, b]),
        ref=lambda a, b: np.stack([a, b]),
        shapes=[(2, 3), (2, 3)],
    ),
    OpSpec(
        "stack_dim1",
        lambda a, b, c: lib(a).stack([a, b, c], 1),
        ref=lambda a, b, c: np.stack([a, b, c], 1),
        shapes=[(2, 3)] * 3,
    ),
    OpSpec(
        "stack_last",
        lambda a, b: lib(a).stack([a, b], dim=-1),
        ref=lambda a, b: np.stack([a, b], -1),
        shapes=[(2, 3), (2, 3)],
    ),
    OpSpec(
        "stack_0d",
        lambda a, b: lib(a).stack([a, b]),
        ref=lambda a, b: np.stack([a, b]),
        shapes=[(), ()],
    ),
    OpSpec(
        "hstack",
        lambda a, b: lib(a).hstack([a, b]),
        ref=lambda a, b: np.hstack([a, b]),
        shapes=[(2, 3), (2, 1)],
    ),
    OpSpec(
        "hstack_1d",
        lambda a, b: lib(a).hstack([a, b]),
        ref=lambda a, b: np.hstack([a, b]),
        shapes=[(3,), (2,)],
    ),
    OpSpec(
        "vstack",
        lambda a, b: lib(a).vstack([a, b]),
        ref=lambda a, b: np.vstack([a, b]),
        shapes=[(3,), (2, 3)],
    ),
    # splits (views)
    OpSpec("split", lambda x: x.split(2), ref=lambda x: _split(x, [2, 2, 1], 0), shapes=[(5, 3)]),
    OpSpec(
        "split_sizes",
        lambda x: x.split([1, 3, 1]),
        ref=lambda x: _split(x, [1, 3, 1], 0),
        shapes=[(5, 3)],
    ),
    OpSpec(
        "split_fn_dim1",
        lambda x: lib(x).split(x, [2, 1], dim=1),
        ref=lambda x: _split(x, [2, 1], 1),
        shapes=[(5, 3)],
    ),
    OpSpec("split_one_used", lambda x: x.split(2, 1)[1], ref=lambda x: x[:, 2:4], shapes=[(3, 5)]),
    OpSpec(
        "chunk", lambda x: x.chunk(3, 1), ref=lambda x: _split(x, [3, 3, 1], 1), shapes=[(2, 7)]
    ),
    OpSpec(
        "chunk_fn",
        lambda x: lib(x).chunk(x, 2),
        ref=lambda x: _split(x, [3, 3], 0),
        shapes=[(6, 2)],
    ),
    OpSpec(
        "tensor_split",
        lambda x: x.tensor_split(3),
        ref=lambda x: _split(x, [3, 2, 2], 0),
        shapes=[(7, 2)],
    ),
    OpSpec(
        "tensor_split_idx",
        lambda x: x.tensor_split([1, 4], dim=1),
        ref=lambda x: _split(x, [1, 3, 1], 1),
        shapes=[(2, 5)],
    ),
    # copies
    OpSpec("repeat", lambda x: x.repeat(2, 1, 3), ref=lambda x: np.tile(x, (2, 1, 3))),
    OpSpec("repeat_same", lambda x: x.repeat(1, 1), ref=lambda x: x),
    OpSpec("repeat_noncontig", lambda x: x.t().repeat(2, 2), ref=lambda x: np.tile(x.T, (2, 2))),
    OpSpec("tile", lambda x: x.tile((2,)), ref=lambda x: np.tile(x, (1, 2))),
    OpSpec("tile_fn", lambda x: lib(x).tile(x, (2, 1, 2)), ref=lambda x: np.tile(x, (2, 1, 2))),
    OpSpec("flip", lambda x: x.flip(0, 2), ref=lambda x: np.flip(x, (0, 2)), shapes=S234),
    OpSpec("flip_fn", lambda x: lib(x).flip(x, (-1,)), ref=lambda x: np.flip(x, -1)),
    OpSpec("flip_noncontig", lambda x: x.t().flip(0), ref=lambda x: np.flip(x.T, 0)),
    OpSpec("fliplr", lambda x: x.fliplr(), ref=np.fliplr),
    OpSpec("flipud", lambda x: lib(x).flipud(x), ref=np.flipud),
    OpSpec("roll", lambda x: x.roll(1, 0), ref=lambda x: np.roll(x, 1, 0)),
    OpSpec(
        "roll_multi", lambda x: x.roll((1, -2), (0, 1)), ref=lambda x: np.roll(x, (1, -2), (0, 1))
    ),
    OpSpec("roll_flat", lambda x: lib(x).roll(x, 5), ref=lambda x: np.roll(x, 5)),
]


test_forward, test_gradcheck, test_torch_parity = op_tests(SPECS)


# ---- view semantics --------------------------------------------------------------------------

VIEW_OPS = [
    ("view", lambda x: x.view(6, 4)),
    ("reshape", lambda x: x.reshape(4, 6)),
    ("permute", lambda x: x.permute(2, 0, 1)),
    ("transpose", lambda x: x.transpose(0, 1)),
    ("T", lambda x: x.T),
    ("mT", lambda x: x.mT),
    ("unsqueeze", lambda x: x.unsqueeze(0)),
    ("squeeze", lambda x: x.unsqueeze(1).squeeze()),
    ("flatten", lambda x: x.flatten()),
    ("unflatten", lambda x: x.unflatten(2, (2, 2))),
    ("expand", lambda x: x.unsqueeze(0).expand(3, -1, -1, -1)),
    ("narrow", lambda x: x.narrow(2, 1, 2)),
    ("select", lambda x: x.select(1, 2)),
    ("movedim", lambda x: x.movedim(0, -1)),
    ("as_strided", lambda x: x.as_strided((2, 2), (4, 1), 3)),
    ("split", lambda x: x.split(1)[1]),
    ("chunk", lambda x: x.chunk(2, 2)[1]),
    ("unbind", lambda x: x.unbind(2)[3]),
    ("tensor_split", lambda x: x.tensor_split([1], 1)[1]),
]


def _base() -> ax.Tensor:
    return ax.tensor(np.arange(24.0).reshape(2, 3, 4))


@pytest.mark.parametrize(("name", "fn"), VIEW_OPS, ids=[n for n, _ in VIEW_OPS])
def test_views_share_memory_and_version(name: str, fn: Any) -> None:
    x = _base()
    y = fn(x)
    assert y._is_view, name
    xa = x.numpy()
    ya = y.numpy()
    assert np.shares_memory(xa, ya), name
    v0 = x._version
    if name == "expand":  # overlapping memory: write through the base instead
        x.add_(100.0)
        assert np.all(ya >= 100.0)
    else:
        y.add_(100.0)
        # The write through the view is seen by the base exactly where the view looks.
        assert np.all(ya >= 100.0)
        assert (xa >= 100.0).sum() == y.numel()
    assert x._version == y._version == v0 + 1, name


def test_views_see_base_writes() -> None:
    x = _base()
    y = x.permute(2, 0, 1)
    x.add_(1.0)
    np.testing.assert_array_equal(
        y.numpy(), np.arange(1.0, 25.0).reshape(2, 3, 4).transpose(2, 0, 1)
    )


def test_reshape_copies_when_strides_forbid_a_view() -> None:
    x = _base()
    y = x.transpose(0, 2).reshape(-1)
    assert not y._is_view
    assert not np.shares_memory(x.numpy(), y.numpy())
    np.testing.assert_array_equal(y.numpy(), np.arange(24.0).reshape(2, 3, 4).T.ravel())


def test_copies_do_not_alias() -> None:
    x = _base()
    for y in (ax.cat([x, x]), ax.stack([x]), x.repeat(1, 1, 1), x.flip(0), x.roll(1, 0)):
        assert not np.shares_memory(x.numpy(), y.numpy())


def test_view_geometry_and_strides() -> None:
    x = _base()
    assert x.permute(2, 0, 1).stride() == (1, 12, 4)
    assert x.transpose(0, 2).stride() == (1, 4, 12)
    assert x.narrow(2, 1, 2).storage_offset() == 1
    assert x.select(1, 2).storage_offset() == 8
    assert x.unsqueeze(3).stride() == (12, 4, 1, 1)
    assert x.T.shape == (4, 3, 2)
    assert not x.permute(1, 0, 2).is_contiguous()
    assert x.flatten(0, 0) is x  # start == end returns the input itself, as in PyTorch
    s = x.split([1, 1])
    assert s[1].storage_offset() == 12


def test_grad_fn_names() -> None:
    x = ax.tensor(np.zeros((2, 3, 4)), requires_grad=True)
    cases = {
        "ViewBackward0": x.view(24),
        "PermuteBackward0": x.permute(1, 0, 2),
        "TransposeBackward0": x.transpose(0, 1),
        "UnsqueezeBackward0": x.unsqueeze(0),
        "SqueezeBackward1": x.squeeze(0),
        "SliceBackward0": x.narrow(0, 0, 1),
        "SelectBackward0": x.select(0, 0),
        "ExpandBackward0": x.unsqueeze(0).expand(2, 2, 3, 4),
        "CatBackward0": ax.cat([x, x]),
        "StackBackward0": ax.stack([x, x]),
        "SplitBackward0": x.split(1)[0],
        "UnbindBackward0": x.unbind()[0],
        "RepeatBackward0": x.repeat(2, 1, 1),
        "FlipBackward0": x.flip(0),
        "UnsafeViewBackward0": x.transpose(0, 1).reshape(-1),
    }
    for name, y in cases.items():
        assert y.grad_fn.name() == name


def test_expand_errors_are_runtime_errors_as_in_torch() -> None:
    x = ax.zeros(2, 3)
    with pytest.raises(RuntimeError, match="must match the existing size"):
        x.expand(4, 3)
    with pytest.raises(RuntimeError, match="number of sizes provided"):
        x.expand(3)
    with pytest.raises(RuntimeError, match="-1 is not allowed"):
        x.expand(-1, 2, 3)


def test_slice_backward_is_differentiable() -> None:
    # d/dx of sum(narrow(x)^2) is 2 * x on the slice; its derivative w.r.t. x goes through
    # slice_backward's own backward.
    x = ax.tensor(np.arange(6.0).reshape(2, 3), dtype=ax.float64, requires_grad=True)
    y = x.narrow(1, 1, 2)
    (g,) = ax.autograd.grad([(y * y).sum()], [x], create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), [[0, 2, 4], [0, 8, 10]])
    (gg,) = ax.autograd.grad([g.select(1, 2).sum()], [x])
    np.testing.assert_allclose(gg.detach().numpy(), [[0, 0, 2], [0, 0, 2]])


def test_unused_split_outputs_get_zero_grad() -> None:
    x = ax.tensor(np.ones((5, 2)), requires_grad=True)
    a, _, c = x.split([2, 1, 2])
    (a.sum() + 2.0 * c.sum()).backward()
    np.testing.assert_array_equal(x.grad.numpy()[:, 0], [1, 1, 0, 2, 2])


# ---- cat specifics ---------------------------------------------------------------------------


def test_cat_type_promotion() -> None:
    a = ax.tensor([[1, 2]])
    b = ax.tensor([[0.5, 1.5]])
    c = ax.tensor([[True, False]])
    y = ax.cat([a, b, c])
    assert y.dtype == ax.float32
    np.testing.assert_array_equal(y.numpy(), [[1, 2], [0.5, 1.5], [1, 0]])
    assert ax.cat([a, c]).dtype == ax.int64
    d = ax.tensor([[1.0, 2.0]], dtype=ax.float64)
    assert ax.cat([b, d]).dtype == ax.float64


def test_cat_mixed_dtype_grads_keep_input_dtypes() -> None:
    a = ax.tensor([[1.0, 2.0]], requires_grad=True)
    b = ax.tensor([[3.0, 4.0]], dtype=ax.float64, requires_grad=True)
    y = ax.cat([a, b])
    (y * ax.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=ax.float64)).sum().backward()
    assert a.grad.dtype == ax.float32
    assert b.grad.dtype == ax.float64
    np.testing.assert_array_equal(a.grad.numpy(), [[1, 2]])
    np.testing.assert_array_equal(b.grad.numpy(), [[3, 4]])


def test_cat_only_legacy_empties() -> None:
    y = ax.cat([ax.tensor(np.zeros(0)), ax.tensor(np.zeros(0))])
    assert y.shape == (0,)


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("dim", [0, 1, 2])
def test_cat_large_matches_numpy(threads: int, dim: int) -> None:
    rng = np.random.default_rng(0)
    shapes = [[70, 60, 50], [70, 60, 50], [70, 60, 50]]
    for k, s in enumerate(shapes):
        s[dim] = 10 + 17 * k
    arrs = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    ts = [ax.tensor(a) for a in arrs]
    ts[1] = ax.tensor(np.ascontiguousarray(np.swapaxes(arrs[1], 0, 2))).transpose(0, 2)
    ts[2] = ts[2].double()  # strided-cast path for a promoted input
    old = ax.get_num_threads()
    ax.set_num_threads(threads)
    try:
        y = ax.cat(ts, dim)
    finally:
        ax.set_num_threads(old)
    assert y.dtype == ax.float64
    np.testing.assert_array_equal(y.numpy(), np.concatenate(arrs, dim).astype(np.float64))
    z = ax.cat([ax.tensor(a) for a in arrs], dim)
    np.testing.assert_array_equal(z.numpy(), np.concatenate(arrs, dim))


def test_stack_matches_numpy_on_noncontiguous() -> None:
    a = np.arange(12.0).reshape(3, 4)
    ts = [ax.tensor(a).t(), ax.tensor(a.T.copy())]
    for d in (0, 1, 2, -1):
        np.testing.assert_array_equal(ax.stack(ts, d).numpy(), np.stack([a.T, a.T], d))


# ---- errors ----------------------------------------------------------------------------------


def _x() -> ax.Tensor:
    return ax.tensor(np.zeros((5, 3)))


ERRORS = [
    (lambda: _x().permute(0, 0), RuntimeError, r"permute.*duplicate dims"),
    (lambda: _x().permute(0), RuntimeError, r"permute.*input.dim\(\) = 2 is not equal to len"),
    (lambda: _x().permute(0, 2), IndexError, r"permute.*out of range"),
    (lambda: _x().transpose(0, 2), IndexError, r"transpose.*out of range"),
    (lambda: ax.tensor(np.zeros((2, 2, 2))).t(), RuntimeError, r"t: expects a tensor with <= 2"),
    (lambda: ax.tensor(np.zeros(2)).mT, RuntimeError, r"mT.*Got 1-D tensor"),
    (lambda: _x().squeeze(3), IndexError, r"squeeze.*out of range"),
    (lambda: _x().squeeze((0, 0)), RuntimeError, r"dim 0 appears multiple times"),
    (lambda: _x().unsqueeze(3), IndexError, r"unsqueeze.*\[-3, 2\].*got 3"),
    (lambda: _x().flatten(1, 0), RuntimeError, r"start_dim cannot come after end_dim"),
    (lambda: _x().unflatten(1, (2, 2)), RuntimeError, r"don't multiply up to the size of dim 1"),
    (lambda: _x().unflatten(1, ()), RuntimeError, r"sizes must be non-empty"),
    (lambda: _x().view(2, 5), RuntimeError, r"shape '\[2, 5\]' is invalid for input of size 15"),
    (lambda: _x().view(-1, -1), RuntimeError, r"only one dimension can be inferred"),
    (lambda: _x().t().view(15), RuntimeError, r"view.*not compatible.*Use .reshape"),
    (lambda: _x().narrow(0, 6, 1), IndexError, r"narrow: start out of range"),
    (lambda: _x().narrow(0, 2, 4), RuntimeError, r"start \(2\) \+ length \(4\) exceeds"),
    (lambda: _x().narrow(0, 1, -1), RuntimeError, r"length must be non-negative"),
    (lambda: _x().select(0, 5), IndexError, r"select: index 5 out of range.*\[5, 3\]"),
    (lambda: ax.tensor(1.0).select(0, 0), IndexError, r"select.*0-dim"),
    (lambda: ax.tensor(1.0).unbind(0), IndexError, r"unbind.*no dimensions"),
    (lambda: _x().movedim((0, 1), (0,)), RuntimeError, r"movedim.*same number of dims"),
    (lambda: _x().movedim((0, 0), (0, 1)), RuntimeError, r"movedim: repeated dim in `source`"),
    (lambda: _x().as_strided((10, 10), (1, 1)), RuntimeError, r"as_strided.*storage"),
    (lambda: ax.cat([]), ValueError, r"cat: expected a non-empty list"),
    (
        lambda: ax.cat([_x(), ax.tensor(np.zeros((5, 4)))]),
        RuntimeError,
        (
            r"cat: sizes of tensors must match except in dimension 0; expected size 3 but got size 4 "
            r"for tensor number 1"
        ),
    ),
    (lambda: ax.cat([_x(), ax.tensor(np.zeros(3))]), RuntimeError, r"same number of dimensions"),
    (lambda: ax.cat([ax.tensor(1.0)]), RuntimeError, r"zero-dimensional tensor \(at position 0\)"),
    (lambda: ax.cat([_x(), _x()], 2), IndexError, r"cat.*out of range"),
    (lambda: ax.cat(_x()), TypeError, r"cat.*tuple or list of Tensors"),
    (lambda: ax.cat([_x(), 1]), TypeError, r"expected Tensor as element 1"),
    (lambda: ax.stack([]), RuntimeError, r"stack: expects a non-empty TensorList"),
    (
        lambda: ax.stack([_x(), ax.tensor(np.zeros((5, 4)))]),
        RuntimeError,
        (
            r"stack: expects each tensor to be equal size, but got \[5, 3\] at entry 0 and \[5, 4\] "
            r"at entry 1"
        ),
    ),
    (lambda: _x().split([2, 2]), RuntimeError, r"split_sizes to sum exactly to 5"),
    (lambda: _x().split(-1), RuntimeError, r"split_size be non-negative"),
    (lambda: _x().split(0), RuntimeError, r"split_size can only be 0"),
    (lambda: _x().chunk(0), RuntimeError, r"chunk: expects `chunks` to be greater than 0"),
    (lambda: ax.tensor(1.0).chunk(2), RuntimeError, r"chunk: expects at least a 1-dimensional"),
    (lambda: _x().tensor_split(0), RuntimeError, r"number of sections must be larger than 0"),
    (lambda: _x().repeat(2), RuntimeError, r"repeat dims.*can not be smaller"),
    (lambda: _x().repeat(-1, 2), RuntimeError, r"negative dimension -1"),
    (lambda: _x().flip(0, 0), RuntimeError, r"flip: dim 0 appears multiple times"),
    (lambda: _x().flip(2), IndexError, r"flip.*out of range"),
    (lambda: _x().roll((1, 2), 0), RuntimeError, r"shifts and dimensions must align"),
    (lambda: _x().view(2.5, 6), TypeError, r"view"),
]


@pytest.mark.parametrize(("fn", "exc", "pattern"), ERRORS, ids=[e[2][:40] for e in ERRORS])
def test_errors(fn: Any, exc: type[Exception], pattern: str) -> None:
    with pytest.raises(exc, match=pattern):
        fn()


def test_errors_match_torch_types(torch: Any) -> None:
    # The same bad calls raise the same exception class in PyTorch.
    t = torch.zeros(5, 3)
    a = _x()
    pairs = [
        (lambda m: m.permute(0, 0), RuntimeError),
        (lambda m: m.squeeze(3), IndexError),
        (lambda m: m.narrow(0, 6, 1), IndexError),
        (lambda m: m.narrow(0, 2, 4), RuntimeError),
        (lambda m: m.select(0, 5), IndexError),
        (lambda m: m.view(2, 5), RuntimeError),
        (lambda m: m.split([2, 2]), RuntimeError),
        (lambda m: m.repeat(2), RuntimeError),
    ]
    for f, exc in pairs:
        with pytest.raises(exc):
            f(t)
        with pytest.raises(exc):
            f(a)


def test_view_of_a_0d_tensor(torch) -> None:
    """A 0-d tensor views as any shape of ones and back, sharing memory, as in PyTorch."""
    t = ax.tensor(3.0, requires_grad=True)
    for shape in [(1,), (-1,), (1, 1), (1, 1, 1)]:
        v = t.view(*shape)
        assert tuple(v.shape) == tuple(torch.tensor(3.0).view(*shape).shape)
    v = t.view(1, 1)
    v.sum().backward()
    assert t.grad.item() == 1.0
    base = ax.tensor(2.0)
    base.view(1)[0] = 5.0
    assert base.item() == 5.0
    with pytest.raises(RuntimeError, match="view"):
        ax.tensor(1.0).view(2)
