"""Tensor basics: dtypes, metadata, repr, scalars, conversions, memory statistics."""

from __future__ import annotations

import numpy as np
import pytest

import axonite as ax


def test_dtype_objects() -> None:
    assert repr(ax.float32) == "axonite.float32"
    assert ax.float is ax.float32 and ax.double is ax.float64 and ax.long is ax.int64
    assert ax.float64.is_floating_point and not ax.int64.is_floating_point
    assert ax.float32.itemsize == 4 and ax.bool.itemsize == 1


def test_defaults_and_inference() -> None:
    assert ax.tensor([1.0, 2.0]).dtype == ax.float32
    assert ax.tensor([1, 2]).dtype == ax.int64
    assert ax.tensor([True, False]).dtype == ax.bool
    assert ax.tensor(np.array([1.0])).dtype == ax.float64  # NumPy float64 keeps its dtype
    assert ax.tensor(3.5).shape == ()
    assert ax.tensor([[1, 2], [3, 4]], dtype=ax.float64).dtype == ax.float64


def test_metadata() -> None:
    t = ax.tensor(np.zeros((2, 3, 4), dtype=np.float32))
    assert t.shape == (2, 3, 4) and isinstance(t.shape, tuple)
    assert repr(t.shape) == "axonite.Size([2, 3, 4])"
    assert t.size() == (2, 3, 4) and t.size(-1) == 4
    assert t.stride() == (12, 4, 1) and t.stride(0) == 12
    assert t.ndim == 3 and t.dim() == 3 and t.numel() == 24 and len(t) == 2
    assert t.element_size() == 4 and t.nbytes == 96
    assert t.is_contiguous() and t.device == ax.device("cpu") and str(t.device) == "cpu"


def test_item_and_python_conversions() -> None:
    assert ax.tensor(2.5).item() == 2.5
    assert isinstance(ax.tensor(7).item(), int)
    assert ax.tensor(True).item() is True
    assert float(ax.tensor([1.5])) == 1.5 and int(ax.tensor([3])) == 3
    assert [10, 20, 30][ax.tensor(1)] == 20  # __index__
    assert ax.tensor([[1, 2], [3, 4]]).tolist() == [[1, 2], [3, 4]]
    with pytest.raises(ValueError, match="item: a Tensor with 2 elements"):
        ax.tensor([1.0, 2.0]).item()
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(ax.tensor([1.0, 2.0]))


def test_repr_like_pytorch() -> None:
    assert repr(ax.tensor([1.0, 2.5])) == "tensor([1.0000, 2.5000])"
    assert repr(ax.tensor([1, 2])) == "tensor([1, 2])"
    assert repr(ax.tensor([1.0], dtype=ax.float64)) == "tensor([1.], dtype=axonite.float64)"
    assert repr(ax.tensor([1.0], requires_grad=True)) == "tensor([1.], requires_grad=True)"
    y = ax.tensor([1.0], requires_grad=True) * 2
    assert repr(y) == "tensor([2.], grad_fn=<MulBackward0>)"


def test_to_and_casts() -> None:
    t = ax.tensor([1.7, -2.2])
    assert t.to(ax.float64).dtype == ax.float64
    assert t.to("cpu") is t
    np.testing.assert_array_equal(t.long().numpy(), [1, -2])  # truncation toward zero
    np.testing.assert_array_equal(t.bool().numpy(), [True, True])
    assert t.double().float().dtype == ax.float32
    with pytest.raises(RuntimeError, match="no CUDA backend"):
        t.to("cuda")


def test_cast_is_differentiable() -> None:
    x = ax.tensor([1.0, 2.0], requires_grad=True)
    (x.double() * 3).sum().backward()
    assert x.grad.dtype == ax.float32
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 3.0])


def test_memory_stats_track_live_and_cached_bytes() -> None:
    ax.empty_cache()
    before = ax.memory_stats()
    t = ax.zeros(1 << 20)
    live = ax.memory_stats()
    assert live["allocated_bytes"] - before["allocated_bytes"] >= 4 << 20
    del t
    after = ax.memory_stats()
    assert after["cached_bytes"] >= 4 << 20
    assert after["allocated_bytes"] == before["allocated_bytes"]
    again = ax.zeros(1 << 20)  # served from the cache
    assert ax.memory_stats()["num_cache_hits"] > after["num_cache_hits"]
    del again


def test_identity_is_preserved() -> None:
    x = ax.tensor([1.0], requires_grad=True)
    (x * 2).sum().backward()
    assert x.grad is x.grad
    assert {x: 1}[x] == 1  # hashable by identity
