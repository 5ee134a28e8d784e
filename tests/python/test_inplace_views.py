"""In-place ops through views of tensors in the autograd graph (view + in-place rebasing, as
PyTorch's CopySlices): gradients vs PyTorch for many write patterns, float64 gradcheck and
gradgradcheck, node names, and the errors PyTorch raises."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import axonite as ax

# Each pattern: f(lib, x, w) -> a tensor; x (3, 4) and w (4,) require grad. `lib` is axonite or
# torch, whose APIs match, so one function runs on both.
Pattern = Callable[[Any, Any, Any], Any]


def _setitem_int(lib: Any, x: Any, w: Any) -> Any:
    y = x.clone()
    y[0][1] = w[2] * 3
    return y


def _setitem_slice_step(lib: Any, x: Any, w: Any) -> Any:
    y = x * 2
    y[1][::2] = w[:2]
    return y


def _setitem_bool_mask(lib: Any, x: Any, w: Any) -> Any:
    y = x.clone()
    y[2][lib.tensor([True, False, True, True])] = w[1:]
    return y


def _setitem_int_tensor(lib: Any, x: Any, w: Any) -> Any:
    y = x + 0.5
    y[:, 1:][lib.tensor([2, 0])] = w[1:]
    return y


def _setitem_3d(lib: Any, x: Any, w: Any) -> Any:
    y = x.reshape(2, 3, 2).clone()
    y[:, 1][:, ::2] = w[:2].reshape(2, 1)
    return y.sum(0)


def _mul_slice_const(lib: Any, x: Any, w: Any) -> Any:
    y = x.clone()
    y[:, 0].mul_(2)
    return y * w


def _add_slice_grad_other(lib: Any, x: Any, w: Any) -> Any:
    y = x * 3
    y[1:].add_(w)
    return y


def _mul_slice_grad_other(lib: Any, x: Any, w: Any) -> Any:
    y = x.clone()
    y[:, :2].mul_(w[1:3])
    return y


def _transpose_then_slice(lib: Any, x: Any, w: Any) -> Any:
    y = x.clone()
    y.t()[1:, :2].mul_(w[:3].reshape(3, 1))
    return y


def _base_and_view_used(lib: Any, x: Any, w: Any) -> Any:
    y = x.clone()
    v = y[1]
    v.exp_()
    return (y * 2).sum() + (v * w).sum()


def _unary_needing_input(lib: Any, x: Any, w: Any) -> Any:
    y = x.exp() + 1
    y[:, 1:].log_()
    y[0].sin_()
    y[2, :3].abs_()
    return y


def _clamp_masked_fill(lib: Any, x: Any, w: Any) -> Any:
    y = x * 1.5
    y[1:].clamp_(-0.5, 0.5)
    y[:, 2].masked_fill_(lib.tensor([True, False, True]), 7.0)
    return y * w


def _copy_fill_zero(lib: Any, x: Any, w: Any) -> Any:
    y = x.clone()
    y[0].copy_(w)
    y[1, 1:3].fill_(2.0)
    y[2, ::3].zero_()
    return y * x


def _no_grad_write_then_view_used(lib: Any, x: Any, w: Any) -> Any:
    y = x * w
    a = y[:, 1:]
    with lib.no_grad():
        y.add_(1.0)  # not tracked, but a sees the new values
    return a * a


def _stale_sibling_view(lib: Any, x: Any, w: Any) -> Any:
    # b overlaps the written row: it must see the new values and route gradients through them.
    y = x.clone()
    a, b = y[0], y[:, 0]
    a.mul_(w)
    return (b * 3).sum() + a.sum()


def _view_of_view_written_twice(lib: Any, x: Any, w: Any) -> Any:
    y = x.clone()
    v = y[1:]
    vv = v[:, 1:3]
    vv.mul_(w[:2])
    v[0].add_(vv[1, 0])
    return y.sum() + (vv * vv).sum()


def _base_without_grad(lib: Any, x: Any, w: Any) -> Any:
    buf = lib.zeros(3, 4, dtype=x.dtype)
    buf[1] = w
    buf[:, 2].copy_(x[:, 0])
    return buf * x


def _self_aliasing_other(lib: Any, x: Any, w: Any) -> Any:
    y = x.clone()
    y[0].add_(y[1])
    y[2].mul_(w)
    return y


PATTERNS: dict[str, Pattern] = {
    "setitem_int": _setitem_int,
    "setitem_slice_step": _setitem_slice_step,
    "setitem_bool_mask": _setitem_bool_mask,
    "setitem_int_tensor": _setitem_int_tensor,
    "setitem_3d": _setitem_3d,
    "mul_slice_const": _mul_slice_const,
    "add_slice_grad_other": _add_slice_grad_other,
    "mul_slice_grad_other": _mul_slice_grad_other,
    "transpose_then_slice": _transpose_then_slice,
    "base_and_view_used": _base_and_view_used,
    "unary_needing_input": _unary_needing_input,
    "clamp_masked_fill": _clamp_masked_fill,
    "copy_fill_zero": _copy_fill_zero,
    "stale_sibling_view": _stale_sibling_view,
    "no_grad_write_then_view_used": _no_grad_write_then_view_used,
    "view_of_view_written_twice": _view_of_view_written_twice,
    "base_without_grad": _base_without_grad,
    "self_aliasing_other": _self_aliasing_other,
}

rng = np.random.default_rng(7)
X0 = rng.uniform(0.2, 1.5, (3, 4))
W0 = rng.uniform(0.5, 1.5, 4)
G0 = rng.standard_normal(12)


def _run(lib: Any, name: str, create_graph: bool = False) -> tuple[Any, ...]:
    x = lib.tensor(X0, requires_grad=True)
    w = lib.tensor(W0, requires_grad=True)
    y = PATTERNS[name](lib, x, w)
    g = lib.tensor(G0[: y.numel()]).reshape(y.shape)
    gx, gw = lib.autograd.grad(y, (x, w), g, create_graph=create_graph, allow_unused=True)
    return x, w, y, gx, gw


def _np(t: Any) -> np.ndarray | None:
    return None if t is None else t.detach().numpy()


@pytest.mark.parametrize("name", sorted(PATTERNS))
def test_values_and_grads_match_torch(torch, name: str) -> None:
    _, _, ya, gxa, gwa = _run(ax, name)
    _, _, yt, gxt, gwt = _run(torch, name)
    np.testing.assert_allclose(_np(ya), _np(yt), rtol=1e-12, atol=1e-12)
    for a, t in ((gxa, gxt), (gwa, gwt)):
        if t is None:
            assert a is None or not np.any(_np(a))
        else:
            assert a is not None
            np.testing.assert_allclose(_np(a), _np(t), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(
    "name", ["view_of_view_written_twice", "mul_slice_grad_other", "transpose_then_slice",
             "stale_sibling_view", "unary_needing_input", "base_and_view_used"]
)  # fmt: skip
def test_double_backward_matches_torch(torch, name: str) -> None:
    grads = []
    for lib in (ax, torch):
        x, w, _, gx, gw = _run(lib, name, create_graph=True)
        s = (gx * gx).sum() + (gw * gw).sum() if gw is not None else (gx * gx).sum()
        grads.append([_np(g) for g in lib.autograd.grad(s, (x, w), allow_unused=True)])
    for a, t in zip(*grads, strict=True):
        if t is None:
            assert a is None or not np.any(a)
        else:
            np.testing.assert_allclose(a, t, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(
    "name", ["setitem_slice_step", "mul_slice_grad_other", "transpose_then_slice",
             "view_of_view_written_twice", "base_without_grad", "self_aliasing_other"]
)  # fmt: skip
def test_gradcheck_float64(name: str) -> None:
    x = ax.tensor(X0, requires_grad=True)
    w = ax.tensor(W0, requires_grad=True)
    fn = PATTERNS[name]
    assert ax.autograd.gradcheck(lambda a, b: fn(ax, a, b), (x, w))
    assert ax.autograd.gradgradcheck(lambda a, b: fn(ax, a, b), (x, w))


def test_mul_by_itself_keeps_old_values_for_backward() -> None:
    # PyTorch refuses these (the saved operand is the overwritten tensor); axonite computes on a
    # snapshot, so the gradients are simply right.
    def f(x: ax.Tensor, w: ax.Tensor) -> ax.Tensor:
        y = x * w
        y[1:].mul_(y[1:])
        y.pow_(y)
        y[0].div_(y[2])
        return y

    x = ax.tensor(X0, requires_grad=True)
    w = ax.tensor(W0, requires_grad=True)
    assert ax.autograd.gradcheck(f, (x, w))
    assert ax.autograd.gradgradcheck(f, (x, w))


def test_node_names_like_torch() -> None:
    x = ax.tensor(X0, requires_grad=True)
    y = x.clone()
    v = y[1]
    v.mul_(2)
    assert y.grad_fn.name() == "CopySlices"
    assert v.grad_fn.name() == "AsStridedBackward0"
    assert v.grad_fn.next_functions[0][0] is y.grad_fn


def test_leaf_view_inplace_raises() -> None:
    x = ax.tensor(X0, requires_grad=True)
    with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad"):
        x[0].mul_(2)
    with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad"):
        x[1][2] = 1.0
    with ax.no_grad():
        x[0].mul_(2)  # allowed without autograd
    np.testing.assert_allclose(x.detach().numpy()[0], 2 * X0[0])


def test_view_made_in_no_grad_mode_raises() -> None:
    y = ax.tensor(X0, requires_grad=True).clone()
    with ax.no_grad():
        v = y[0]
    with pytest.raises(RuntimeError, match="created in no_grad mode"):
        v.mul_(2)
    assert not v.requires_grad


def test_saved_tensor_modified_through_view_still_detected() -> None:
    x = ax.tensor(X0, requires_grad=True)
    w = ax.tensor(W0, requires_grad=True)
    y = x.clone()
    z = y * w  # saves y for w's gradient
    y[0].mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.sum().backward()


def test_overlapping_view_write_raises() -> None:
    y = ax.zeros(3)
    with pytest.raises(RuntimeError, match="more than one element of the written-to tensor"):
        y.expand(2, 3).add_(1)


def test_float32_base_float64_other() -> None:
    x = ax.tensor(X0.astype(np.float32), requires_grad=True)
    w = ax.tensor(W0, requires_grad=True)  # float64
    y = x.clone()
    y[1].add_(w)
    y.sum().backward()
    assert y.dtype == ax.float32
    np.testing.assert_allclose(x.grad.numpy(), np.ones((3, 4)))
    np.testing.assert_allclose(w.grad.numpy(), np.ones(4))


def test_no_reference_cycle_without_backward() -> None:
    # The base's CopySlices holds the op's node, whose saved operands must not hold the base.
    x = ax.ones(256, 256, requires_grad=True)
    before = ax.memory_stats()["allocated_bytes"]
    for _ in range(3):
        y = x * 1
        y[:, 0].mul_(2)
        y[1].exp_()
        y[2:4].copy_(y[5:7] * x[0])
        del y
    assert ax.memory_stats()["allocated_bytes"] == before


def test_graph_is_released_after_backward() -> None:
    x = ax.tensor(X0, requires_grad=True)
    y = x.clone()
    y[0].mul_(2)
    y.sum().backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.sum().backward()
