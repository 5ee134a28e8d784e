"""Zero-copy interop: DLPack both ways with NumPy and PyTorch, from_numpy / numpy() /
np.asarray / as_tensor sharing memory, lifetimes of borrowed buffers, and errors."""

from __future__ import annotations

import gc
import weakref

import numpy as np
import pytest

import axonite as ax

NP_DTYPES = [np.float32, np.float64, np.int64, np.bool_]
AX_OF = {np.float32: ax.float32, np.float64: ax.float64, np.int64: ax.int64, np.bool_: ax.bool}


def _sample(dtype: type, shape: tuple[int, ...] = (3, 4)) -> np.ndarray:
    a = np.arange(int(np.prod(shape))).reshape(shape)
    return (a % 2 == 0) if dtype is np.bool_ else a.astype(dtype)


# ---- NumPy -> axonite ---------------------------------------------------------------------


@pytest.mark.parametrize("dtype", NP_DTYPES)
def test_from_dlpack_numpy_shares_memory(dtype) -> None:
    a = _sample(dtype)
    t = ax.from_dlpack(a)
    assert t.dtype == AX_OF[dtype]
    assert t.shape == a.shape
    assert t.data_ptr() == a.ctypes.data
    np.testing.assert_array_equal(t.numpy(), a)
    a[1, 2] = 0 if dtype is not np.bool_ else True
    assert t.numpy()[1, 2] == a[1, 2]
    t.zero_()  # writes through the tensor are seen by NumPy
    assert not a.any()


def test_from_dlpack_numpy_strided_and_views() -> None:
    base = np.arange(24.0).reshape(4, 6)
    view = base[1:, ::2]
    t = ax.from_dlpack(view)
    assert t.shape == (3, 3)
    assert t.stride() == (6, 2)
    assert not t.is_contiguous()
    assert t.data_ptr() == view.ctypes.data
    np.testing.assert_array_equal(t.numpy(), view)
    zero_d = ax.from_dlpack(np.array(3.5))
    assert zero_d.shape == ()
    assert zero_d.item() == 3.5
    empty = ax.from_dlpack(np.zeros((0, 3)))
    assert empty.shape == (0, 3)


def test_from_dlpack_keeps_producer_alive() -> None:
    a = np.arange(1000.0)
    ref = weakref.ref(a)
    t = ax.from_dlpack(a)
    del a
    gc.collect()
    assert ref() is not None  # the tensor's storage holds the producer
    assert t.numpy()[999] == 999.0
    del t
    gc.collect()
    assert ref() is None  # ...and releases it (the DLPack deleter ran)


def test_from_dlpack_views_outlive_the_first_tensor() -> None:
    a = np.arange(10.0)
    ref = weakref.ref(a)
    t = ax.from_dlpack(a)
    back = np.from_dlpack(t)
    del a, t
    gc.collect()
    assert ref() is not None
    np.testing.assert_array_equal(back, np.arange(10.0))
    del back
    gc.collect()
    assert ref() is None


@pytest.mark.parametrize("dtype", [np.int32, np.float16, np.uint8, np.complex64, np.int8])
def test_from_dlpack_unsupported_dtype(dtype) -> None:
    a = np.zeros(3, dtype=dtype)
    with pytest.raises(TypeError, match=np.dtype(dtype).name.replace("complex64", "complex")):
        ax.from_dlpack(a)
    a[0] = 1  # the array is intact and still owns its memory
    assert a[0] == 1


def test_from_dlpack_errors() -> None:
    with pytest.raises(TypeError, match="__dlpack__"):
        ax.from_dlpack([1, 2, 3])
    with pytest.raises(ValueError, match="negative strides"):
        ax.from_dlpack(np.arange(5.0)[::-1])


# ---- axonite -> NumPy ---------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [ax.float32, ax.float64, ax.int64, ax.bool])
def test_numpy_from_dlpack_shares_memory(dtype) -> None:
    t = ax.ones(2, 3, dtype=dtype)
    a = np.from_dlpack(t)
    assert a.dtype == np.dtype(t.numpy().dtype)
    assert a.shape == (2, 3)
    assert a.ctypes.data == t.data_ptr()
    a[0, 0] = 0
    assert t.numpy()[0, 0] == 0


def test_dlpack_protocol_details() -> None:
    t = ax.arange(12).reshape(3, 4).t()  # a strided view
    assert t.__dlpack_device__() == (1, 0)
    a = np.from_dlpack(t)
    assert a.strides == (8, 32)
    np.testing.assert_array_equal(a, np.arange(12).reshape(3, 4).T)
    cap = t.__dlpack__()
    assert "dltensor" in repr(cap)
    v = t.__dlpack__(max_version=(1, 0))
    assert "dltensor_versioned" in repr(v)
    u = ax.from_dlpack(v)
    assert u.data_ptr() == t.data_ptr()
    assert "used_dltensor_versioned" in repr(v)
    back = ax.from_dlpack(cap)
    assert back.data_ptr() == t.data_ptr()
    assert "used_dltensor" in repr(cap)
    with pytest.raises(ValueError, match="already consumed"):
        ax.from_dlpack(cap)
    # An unconsumed capsule frees its export when collected.
    for _ in range(100):
        t.__dlpack__()
    gc.collect()


def test_dlpack_copy_and_device_arguments() -> None:
    t = ax.arange(4.0)
    c = ax.from_dlpack(t.__dlpack__(max_version=(1, 0), copy=True))
    assert c.data_ptr() != t.data_ptr()
    assert c.tolist() == t.tolist()
    same = ax.from_dlpack(t.__dlpack__(dl_device=(1, 0), copy=False))
    assert same.data_ptr() == t.data_ptr()
    with pytest.raises(BufferError, match="dl_device"):
        t.__dlpack__(dl_device=(2, 0))
    with pytest.raises(RuntimeError, match="stream"):
        t.__dlpack__(stream=1)
    w = ax.ones(2, requires_grad=True)
    with pytest.raises(BufferError, match="requires grad"):
        w.__dlpack__()
    assert np.from_dlpack(w.detach()).tolist() == [1.0, 1.0]


def test_axonite_round_trip_through_own_capsule() -> None:
    t = ax.randn(5)
    u = ax.from_dlpack(t)
    assert u.data_ptr() == t.data_ptr()
    assert u is not t
    u.mul_(0)
    assert t.tolist() == [0.0] * 5


# ---- from_numpy / numpy() / np.asarray / as_tensor ----------------------------------------


@pytest.mark.parametrize("dtype", NP_DTYPES)
def test_from_numpy_shares_memory_both_ways(dtype) -> None:
    a = _sample(dtype)
    t = ax.from_numpy(a)
    assert t.data_ptr() == a.ctypes.data
    assert t.dtype == AX_OF[dtype]
    t.zero_()
    assert not a.any()
    a[0, 0] = 1
    assert t.numpy()[0, 0] == 1


def test_from_numpy_non_contiguous_and_errors() -> None:
    base = np.arange(30, dtype=np.int64).reshape(5, 6)
    v = base[::2, 1::3]
    t = ax.from_numpy(v)
    assert t.stride() == (12, 3)
    assert t.data_ptr() == v.ctypes.data
    np.testing.assert_array_equal(t.numpy(), v)
    f = ax.from_numpy(np.asfortranarray(base))
    assert f.stride() == (1, 5)
    np.testing.assert_array_equal(f.numpy(), base)
    with pytest.raises(ValueError, match="negative"):
        ax.from_numpy(base[::-1])
    with pytest.raises(TypeError, match="int32"):
        ax.from_numpy(base.astype(np.int32))
    with pytest.raises(TypeError, match=">f8"):
        ax.from_numpy(np.arange(3, dtype=">f8"))  # byte-swapped data cannot be viewed


def test_numpy_and_asarray_zero_copy() -> None:
    t = ax.arange(6.0).reshape(2, 3)
    a = t.numpy()
    assert a.ctypes.data == t.data_ptr()
    assert a.base is not None
    b = np.asarray(t)
    assert b.ctypes.data == t.data_ptr()
    b[1, 1] = -1
    assert t.tolist()[1][1] == -1
    m = memoryview(t)  # the buffer protocol
    assert m.shape == (2, 3)
    assert m.format == "f"
    s = t.t()
    np.testing.assert_array_equal(np.asarray(s), np.asarray(t).T)
    assert np.asarray(s).ctypes.data == t.data_ptr()
    with pytest.raises(RuntimeError, match="requires grad"):
        ax.ones(2, requires_grad=True).numpy()


def test_as_tensor() -> None:
    a = np.arange(6.0).reshape(2, 3)
    t = ax.as_tensor(a)
    assert t.dtype == ax.float64
    assert t.data_ptr() == a.ctypes.data
    same = ax.as_tensor(a, dtype=ax.float64)
    assert same.data_ptr() == a.ctypes.data
    conv = ax.as_tensor(a, dtype=ax.float32)
    assert conv.dtype == ax.float32
    assert conv.data_ptr() != a.ctypes.data
    i32 = ax.as_tensor(np.arange(3, dtype=np.int32))  # no int32: converted copy
    assert i32.dtype == ax.int64
    assert i32.tolist() == [0, 1, 2]
    x = ax.ones(3)
    assert ax.as_tensor(x) is x
    assert ax.as_tensor(x, dtype=ax.float64).dtype == ax.float64
    lst = ax.as_tensor([[1, 2], [3, 4]])
    assert lst.dtype == ax.int64
    assert lst.tolist() == [[1, 2], [3, 4]]
    assert ax.as_tensor([1.5]).dtype == ax.float32
    assert ax.as_tensor(3.0, dtype=ax.float64).dtype == ax.float64
    big_endian = np.arange(3, dtype=">f8")
    be = ax.as_tensor(big_endian)
    assert be.tolist() == [0.0, 1.0, 2.0]
    assert ax.as_tensor(a, device="cpu").shape == (2, 3)


# ---- PyTorch --------------------------------------------------------------------------------

TORCH_DTYPES = ["float32", "float64", "int64", "bool"]


@pytest.mark.parametrize("name", TORCH_DTYPES)
def test_torch_to_axonite(torch, name) -> None:
    x = torch.arange(12).reshape(3, 4).to(getattr(torch, name))
    t = ax.from_dlpack(x)
    assert t.data_ptr() == x.data_ptr()
    assert str(t.dtype).endswith(name)
    np.testing.assert_array_equal(t.numpy(), x.numpy())
    x[0, 0] = 1
    x[0, 1] = 0
    assert t.numpy()[0, 0] == 1
    assert t.numpy()[0, 1] == 0


@pytest.mark.parametrize("name", TORCH_DTYPES)
def test_axonite_to_torch(torch, name) -> None:
    t = ax.ones(3, 2, dtype=getattr(ax, "bool" if name == "bool" else name))
    x = torch.from_dlpack(t)
    assert x.data_ptr() == t.data_ptr()
    assert x.dtype == getattr(torch, name)
    x.zero_()
    assert not t.numpy().any()


def test_torch_strided_lifetime_and_errors(torch) -> None:
    x = torch.arange(20.0).reshape(4, 5)[:, 1:4]
    t = ax.from_dlpack(x)
    assert t.stride() == x.stride()
    assert t.data_ptr() == x.data_ptr()
    ref = x.numpy().copy()
    del x
    gc.collect()
    np.testing.assert_array_equal(t.numpy(), ref)  # the torch storage outlives its tensor
    y = torch.from_dlpack(ax.arange(6).reshape(2, 3).t())
    assert y.stride() == (1, 3)
    assert y.tolist() == [[0, 3], [1, 4], [2, 5]]
    with pytest.raises(TypeError, match="float16"):
        ax.from_dlpack(torch.zeros(2, dtype=torch.float16))
    with pytest.raises(TypeError, match="int32"):
        ax.from_dlpack(torch.zeros(2, dtype=torch.int32))
    z = torch.ones(2, requires_grad=True)
    with pytest.raises(BufferError, match="gradient"):
        ax.from_dlpack(z)
    tt = ax.from_dlpack(torch.utils.dlpack.to_dlpack(torch.arange(3)))
    assert tt.tolist() == [0, 1, 2]
