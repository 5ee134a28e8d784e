"""Python-side Tensor sugar, attached to the C++ class in one place: repr, NumPy protocol,
conversions (`to`, `float`, ...), `Size`, `device` and `tensor()` construction."""

from __future__ import annotations

import copy
import math
import operator
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import numpy as np

from . import _C
from ._C import Tensor, dtype

if TYPE_CHECKING:
    from typing_extensions import Self

float32 = _C.float32
float64 = _C.float64
int64 = _C.int64
bool_ = _C.bool
float = _C.float32
double = _C.float64
long = _C.int64

_NP_OF = {_C.float32: np.float32, _C.float64: np.float64, _C.int64: np.int64, _C.bool: np.bool_}


def _size_entry(i: int, s: Any) -> int:
    try:
        return operator.index(s)
    except TypeError as e:
        raise TypeError(f"Size: entry {i} must be an int, got {type(s).__name__} ({e})") from None


class Size(tuple):
    """The shape of a tensor: a tuple of ints that prints like PyTorch's ``torch.Size``.

    ``Size(iterable)`` checks that every entry is an int (anything with ``__index__``: NumPy
    ints, 1-element integer tensors). ``Tensor.shape`` builds its Size in C++ through
    ``tuple.__new__`` (bindings/tensor.cpp, make_size) and so skips this check: its entries are
    ints by construction, and a Python-level ``__new__`` would slow every ``.shape`` call.
    """

    def __new__(cls, sizes: Iterable[Any] = ()) -> Self:
        try:
            entries = iter(sizes)
        except TypeError:
            raise TypeError(
                f"Size: expected an iterable of ints, got {type(sizes).__name__}"
            ) from None
        return super().__new__(cls, (_size_entry(i, s) for i, s in enumerate(entries)))

    def __repr__(self) -> str:
        return f"axonite.Size({list(self)})"

    def numel(self) -> int:
        return math.prod(self)


_C._set_size_class(Size)


class device:
    """A device descriptor. Only ``'cpu'`` exists in a build without CUDA."""

    def __init__(self, type: str = "cpu", index: int | None = None) -> None:
        if isinstance(type, device):
            type, index = type.type, type.index
        name, _, idx = str(type).partition(":")
        if name not in ("cpu", "cuda"):
            raise ValueError(f"device: expected 'cpu' or 'cuda', got {type!r}")
        if name == "cuda":
            raise RuntimeError("device: this axonite build has no CUDA backend; use 'cpu'")
        self.type = name
        self.index = int(idx) if idx else index

    def __repr__(self) -> str:
        return f"device(type='{self.type}')"

    def __str__(self) -> str:
        return self.type

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and other.type == self.type

    def __hash__(self) -> int:
        return hash(self.type)


_CPU = device("cpu")


def _np_to_dtype(a: np.ndarray) -> dtype:
    k = a.dtype.kind
    if k == "b":
        return _C.bool
    if k in "iu":
        return _C.int64
    if k == "f":
        return _C.float64 if a.dtype.itemsize == 8 else _C.float32
    raise TypeError(
        f"tensor: can't convert data of NumPy dtype {a.dtype}; "
        "supported are bool, integers and floats"
    )


def tensor(
    data: Any, dtype: dtype | None = None, device: Any = None, requires_grad: bool = False
) -> Tensor:
    """Builds a new tensor (always a copy) from nested lists, a scalar, a NumPy array or a
    tensor. Python floats become float32 and ints int64 unless ``dtype`` says otherwise."""
    if device is not None:
        globals()["device"](device)
    if isinstance(data, Tensor):
        t = data.detach().clone()
        if dtype is not None:
            t = t._to_dtype(dtype)
    else:
        try:
            arr = np.asarray(data)
        except ValueError as e:
            raise ValueError(f"tensor: could not build a tensor from the data ({e})") from e
        if arr.dtype == object:
            raise TypeError(
                "tensor: could not infer a dtype from the data (ragged nested sequence or "
                "non-numeric elements)"
            )
        if dtype is None:
            dt = _np_to_dtype(arr)
            if arr.dtype.kind == "f" and not isinstance(data, np.ndarray | np.generic):
                dt = _C.float32  # Python floats default to float32, as in PyTorch
        else:
            dt = dtype
        arr = np.asarray(arr, dtype=_NP_OF[dt])  # keeps 0-d (ascontiguousarray would not)
        if not arr.flags.c_contiguous:
            arr = arr.copy()
        t = _C.from_numpy(arr).clone() if arr.size else _C._empty(list(arr.shape), dt)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _to(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
    """``t.to(dtype)``, ``t.to('cpu')``, ``t.to(other)``, ``t.to(device, dtype)``."""
    dt = kwargs.pop("dtype", None)
    dev = kwargs.pop("device", None)
    kwargs.pop("non_blocking", None)
    kwargs.pop("copy", None)
    if kwargs:
        raise TypeError(f"to: unexpected keyword arguments {sorted(kwargs)}")
    for a in args:
        if isinstance(a, _C.dtype):
            dt = a
        elif isinstance(a, Tensor):
            dt = a.dtype
        elif isinstance(a, str | device):
            dev = a
        else:
            raise TypeError(f"to: expected a dtype, device or tensor, got {type(a).__name__}")
    if dev is not None:
        device(dev)
    return self if dt is None or dt == self.dtype else self._to_dtype(dt)


_THRESHOLD, _EDGE = 1000, 3  # print at most this many elements, else this many per edge


def _shown(arr: np.ndarray) -> np.ndarray:
    """The elements a summarized print shows (first and last _EDGE along every long dim), so
    that formatting a huge tensor costs O(shown), not O(numel)."""
    if arr.size <= _THRESHOLD:
        return arr
    for d in range(arr.ndim):
        if arr.shape[d] > 2 * _EDGE:
            keep = np.r_[0:_EDGE, arr.shape[d] - _EDGE : arr.shape[d]]
            arr = np.take(arr, keep, axis=d)
    return arr


def _float_formatter(arr: np.ndarray) -> Callable[[Any], str]:
    """PyTorch's float layout: `1.` for whole numbers, 4 decimals, or `1.0000e+10` when the
    magnitudes span more than 1000x or leave [1e-4, 1e8]; padded to a common width. Decided
    from the elements shown, as PyTorch does."""
    arr = _shown(arr)
    finite = np.abs(arr[np.isfinite(arr)])
    nonzero = finite[finite != 0]
    if finite.size and np.all(np.ceil(finite) == finite):
        sci = finite.max() > 1e8
        fmt = "{:.4e}" if sci else "{:.0f}."
    elif nonzero.size:
        hi, lo = nonzero.max(), nonzero.min()
        sci = hi / lo > 1000.0 or hi > 1e8 or lo < 1e-4
        fmt = "{:.4e}" if sci else "{:.4f}"
    else:
        fmt = "{:.4f}"

    def one(v: Any) -> str:
        if np.isnan(v):
            return "nan"
        if np.isinf(v):
            return "inf" if v > 0 else "-inf"
        return fmt.format(v)

    width = max((len(one(v)) for v in arr.ravel()), default=0)
    return lambda v: one(v).rjust(width)


def _format(t: Tensor) -> str:
    arr = t.detach().numpy()
    kw: dict[str, Any] = {
        "separator": ", ",
        "prefix": "tensor(",
        "threshold": _THRESHOLD,
        "edgeitems": _EDGE,
        "max_line_width": 80,
    }
    if t.dtype.is_floating_point:
        kw["formatter"] = {"float_kind": _float_formatter(arr)}
    return np.array2string(arr, **kw)


def _repr(self: Tensor) -> str:
    parts = [_format(self)]
    if self.numel() == 0 and self.dim() != 1:
        parts = [f"[], size={tuple(self.shape)}"]
    if self.dtype not in (_C.float32, _C.int64, _C.bool):
        parts.append(f"dtype={self.dtype!r}")
    if self.grad_fn is not None:
        parts.append(f"grad_fn=<{self.grad_fn.name()}>")
    elif self.requires_grad:
        parts.append("requires_grad=True")
    return "tensor(" + ", ".join(parts) + ")"


def _array(self: Tensor, dtype: Any = None, copy: Any = None) -> np.ndarray:
    a = self.detach().numpy()
    if dtype is not None:
        a = a.astype(dtype, copy=False)
    return a.copy() if copy else a


def _tolist(self: Tensor) -> Any:
    return self.detach().numpy().tolist()


def _bool(self: Tensor) -> bool:
    if self.numel() != 1:
        raise RuntimeError(f"Boolean value of Tensor with {self.numel()} elements is ambiguous")
    return builtins_bool(self.item())


builtins_bool = __builtins__["bool"] if isinstance(__builtins__, dict) else __builtins__.bool


def _index(self: Tensor) -> int:
    if self.dtype not in (_C.int64, _C.bool) or self.numel() != 1:
        # PyTorch's wording (and TypeError), prefixed with the op: callers such as list
        # indexing or range() report it without naming any axonite function.
        raise TypeError(
            "Tensor.__index__: only integer tensors of a single element can be converted to an "
            f"index (got shape {list(self.shape)}, dtype {str(self.dtype).removeprefix('axonite.')})"
        )
    return int(self.item())


def _deepcopy(self: Tensor, memo: dict[int, Any]) -> Tensor:
    """``copy.deepcopy``: a leaf copy with its own memory, requires_grad, grad and attributes
    (Python subclasses such as Parameter keep their type)."""
    if id(self) in memo:
        return memo[id(self)]
    if not self.is_leaf:
        raise RuntimeError(
            "Only Tensors created explicitly by the user (graph leaves) support the deepcopy "
            "protocol at the moment."
        )
    new = type(self).__new__(type(self))
    Tensor.__init__(new, self.detach().clone())
    new.requires_grad_(self.requires_grad)
    memo[id(self)] = new
    if self.grad is not None:
        new.grad = _deepcopy(self.grad, memo)
    for k, v in self.__dict__.items():
        setattr(new, k, copy.deepcopy(v, memo))
    return new


def _install() -> None:
    T = Tensor
    T.__repr__ = _repr
    T.__str__ = _repr
    T.__array__ = _array
    T.__array_priority__ = 1000  # numpy defers `ndarray op tensor` to the tensor
    T.__bool__ = _bool
    T.__float__ = lambda self: builtins_float(self.item())
    T.__int__ = lambda self: int(self.item())
    T.__index__ = _index
    T.tolist = _tolist
    T.__deepcopy__ = _deepcopy
    T.to = _to
    T.float = lambda self: _to(self, _C.float32)
    T.double = lambda self: _to(self, _C.float64)
    T.long = lambda self: _to(self, _C.int64)
    T.bool = lambda self: _to(self, _C.bool)
    T.type_as = lambda self, other: _to(self, other.dtype)
    T.cpu = lambda self: self
    T.device = property(lambda self: _CPU)
    T.is_cuda = property(lambda self: False)


builtins_float = __builtins__["float"] if isinstance(__builtins__, dict) else __builtins__.float
_install()
