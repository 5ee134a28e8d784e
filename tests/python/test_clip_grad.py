"""Gradient clipping and parameter/vector conversion (axonite.nn.utils) against torch.nn.utils:
total norms for p = 2, 1, inf, -inf, 0, 3, the scaling, non-finite gradients, clip by value."""

from __future__ import annotations

import math

import numpy as np
import pytest

import axonite as ax
from axonite.nn.utils import (
    clip_grad_norm_,
    clip_grad_value_,
    clip_grads_with_norm_,
    get_total_norm,
    parameters_to_vector,
    vector_to_parameters,
)

SHAPES = [(7, 5), (300,), (20000,), (3, 4, 2)]


def _pair(torch, dtype="float32", scale=1.0, shapes=SHAPES, seed=0):
    rng = np.random.default_rng(seed)
    grads = [(rng.standard_normal(s) * scale).astype(dtype) for s in shapes]
    ap, tp = [], []
    for g in grads:
        a = ax.from_numpy(np.zeros(g.shape, dtype)).requires_grad_()
        a.grad = ax.from_numpy(g.copy())
        t = torch.zeros(g.shape, dtype=getattr(torch, dtype), requires_grad=True)
        t.grad = torch.from_numpy(g.copy())
        ap.append(a)
        tp.append(t)
    return ap, tp


def _grads(ps):
    return [p.grad.numpy() for p in ps]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("norm_type", [2.0, 1.0, math.inf, -math.inf, 0.0, 3.0, "inf"])
@pytest.mark.parametrize("max_norm", [0.5, 1e6])
def test_clip_grad_norm_matches_torch(torch, dtype, norm_type, max_norm):
    ap, tp = _pair(torch, dtype)
    got = clip_grad_norm_(ap, max_norm, norm_type=norm_type)
    want = torch.nn.utils.clip_grad_norm_(tp, max_norm, norm_type=norm_type)
    assert got.shape == () and got.dtype == getattr(ax, dtype)
    # axonite accumulates in double; torch sums |g|^3 in float32 (about 1e-6 off for 20k terms).
    rtol = (1e-5 if norm_type == 3.0 else 1e-6) if dtype == "float32" else 1e-13
    np.testing.assert_allclose(got.item(), want.item(), rtol=rtol)
    for a, t in zip(_grads(ap), _grads(tp), strict=True):
        np.testing.assert_allclose(a, t, rtol=rtol, atol=1e-30)


def test_clip_grad_norm_actually_clips():
    p = ax.from_numpy(np.zeros(2)).requires_grad_()
    p.grad = ax.from_numpy(np.array([3.0, 4.0]))
    total = clip_grad_norm_([p], max_norm=1.0)
    assert total.item() == pytest.approx(5.0)
    np.testing.assert_allclose(p.grad.numpy(), [0.6, 0.8], rtol=1e-6)
    q = ax.from_numpy(np.zeros(2)).requires_grad_()
    q.grad = ax.from_numpy(np.array([0.3, 0.4]))
    clip_grad_norm_(q, max_norm=1.0)  # a single tensor; below the max: unchanged
    np.testing.assert_allclose(q.grad.numpy(), [0.3, 0.4], rtol=1e-15)


@pytest.mark.parametrize("bad", [math.nan, math.inf])
@pytest.mark.parametrize("norm_type", [2.0, math.inf])
def test_nonfinite(torch, bad, norm_type):
    ap, tp = _pair(torch, "float64")
    ap[1].grad.numpy()[5] = bad
    tp[1].grad[5] = bad
    before = _grads(ap)
    msg = (
        f"The total norm of order {float(norm_type)} for gradients from `parameters` is non-finite"
    )
    with pytest.raises(RuntimeError) as err:
        clip_grad_norm_(ap, 1.0, norm_type=norm_type, error_if_nonfinite=True)
    with pytest.raises(RuntimeError) as terr:
        torch.nn.utils.clip_grad_norm_(tp, 1.0, norm_type=norm_type, error_if_nonfinite=True)
    assert str(err.value) == str(terr.value)
    assert str(err.value).startswith(msg)
    for b, a in zip(before, _grads(ap), strict=True):
        np.testing.assert_array_equal(a, b)  # left alone
    got = clip_grad_norm_(ap, 1.0, norm_type=norm_type)
    want = torch.nn.utils.clip_grad_norm_(tp, 1.0, norm_type=norm_type)
    np.testing.assert_array_equal(got.item(), want.item())
    for a, t in zip(_grads(ap), _grads(tp), strict=True):
        np.testing.assert_array_equal(
            np.isnan(a), np.isnan(t.numpy() if hasattr(t, "numpy") else t)
        )
        np.testing.assert_allclose(a, t, rtol=1e-13)


def test_skips_params_without_grad_and_empty(torch):
    ap, tp = _pair(torch)
    ap[0].grad = None
    tp[0].grad = None
    got = clip_grad_norm_(ap, 0.1)
    want = torch.nn.utils.clip_grad_norm_(tp, 0.1)
    np.testing.assert_allclose(got.item(), want.item(), rtol=1e-6)
    empty = clip_grad_norm_([], 1.0)
    assert empty.item() == 0.0 and empty.dtype == ax.float32
    with pytest.warns(UserWarning, match="empty generator"):
        clip_grad_norm_((p for p in []), 1.0)


def test_get_total_norm_and_clip_with_norm(torch):
    ap, tp = _pair(torch, "float64")
    got = get_total_norm([p.grad for p in ap], 2.0)
    want = torch.nn.utils.get_total_norm([p.grad for p in tp], 2.0)
    np.testing.assert_allclose(got.item(), want.item(), rtol=1e-13)
    clip_grads_with_norm_(ap, 2.0, got)
    torch.nn.utils.clip_grads_with_norm_(tp, 2.0, want)
    for a, t in zip(_grads(ap), _grads(tp), strict=True):
        np.testing.assert_allclose(a, t, rtol=1e-13)


def test_mixed_dtypes(torch):
    a32, t32 = _pair(torch, "float32", shapes=[(10,), (4, 4)])
    a64, t64 = _pair(torch, "float64", shapes=[(6,)], seed=1)
    got = clip_grad_norm_(a32 + a64, 0.5)
    want = torch.nn.utils.clip_grad_norm_(t32 + t64, 0.5)
    assert got.dtype == ax.float64
    np.testing.assert_allclose(got.item(), want.item(), rtol=1e-6)
    for a, t in zip(_grads(a32 + a64), _grads(t32 + t64), strict=True):
        np.testing.assert_allclose(a, t, rtol=1e-6)


def test_norm_does_not_depend_on_thread_count():
    rng = np.random.default_rng(2)
    g = rng.standard_normal(1_000_003).astype(np.float32)
    out = []
    for threads in (1, 2):
        ax.set_num_threads(threads)
        out.append(get_total_norm([ax.from_numpy(g)]).item())
    ax.set_num_threads(2)
    assert out[0] == out[1]


@pytest.mark.parametrize("clip_value", [0.5, 2.0])
def test_clip_grad_value_matches_torch(torch, clip_value):
    ap, tp = _pair(torch, "float32")
    ap[0].grad.numpy()[0, 0] = math.nan
    tp[0].grad[0, 0] = math.nan
    clip_grad_value_(ap, clip_value)
    torch.nn.utils.clip_grad_value_(tp, clip_value)
    for a, t in zip(_grads(ap), _grads(tp), strict=True):
        np.testing.assert_array_equal(a, t)
    assert np.abs(np.nan_to_num(_grads(ap)[1])).max() <= clip_value


def test_strided_grad_is_clipped_in_place():
    p = ax.from_numpy(np.zeros((3, 2))).requires_grad_()
    g = ax.from_numpy(np.arange(6.0).reshape(2, 3)).t()
    p.grad = g
    clip_grad_value_([p], 2.5)
    np.testing.assert_array_equal(p.grad.numpy(), np.minimum(np.arange(6.0).reshape(2, 3).T, 2.5))


def test_parameters_to_vector_and_back(torch):
    rng = np.random.default_rng(4)
    vals = [rng.standard_normal(s) for s in [(2, 3), (4,), (1, 1, 2)]]
    ps = [ax.from_numpy(v.copy()).requires_grad_() for v in vals]
    vec = parameters_to_vector(ps)
    tvec = torch.nn.utils.parameters_to_vector([torch.tensor(v) for v in vals])
    np.testing.assert_array_equal(vec.detach().numpy(), tvec.numpy())
    assert vec.requires_grad  # differentiable like torch.cat of views
    new = ax.from_numpy(np.arange(12.0))
    vector_to_parameters(new, ps)
    np.testing.assert_array_equal(ps[0].detach().numpy(), np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(ps[2].detach().numpy(), [[[10.0, 11.0]]])
    assert ps[1].requires_grad and ps[1].shape == (4,)
    with pytest.raises(TypeError, match=r"expected axonite\.Tensor"):
        vector_to_parameters(np.zeros(12), ps)
    with pytest.raises(RuntimeError, match="fewer than"):
        vector_to_parameters(ax.zeros(5), ps)
    with pytest.raises(TypeError, match=r"expected axonite\.Tensor"):
        parameters_to_vector([np.zeros(3)])
