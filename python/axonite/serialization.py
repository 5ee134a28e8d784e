"""``ax.save`` / ``ax.load``: tensors and nested state (state_dicts, optimizer state, checkpoints)
in the safetensors format, through the ``safetensors`` package. No pickle: loading never runs code.

Not here: Module.state_dict / load_state_dict (``nn/modules/module.py``).

File layout. A flat ``dict[str, Tensor]`` is written as a plain safetensors file whose tensor
names are the dict keys (``safetensors.torch.load_file`` reads it back as the same dict). Any
other object (an optimizer ``state_dict``, ``{"model": ..., "epoch": 3}``, a list, a lone tensor)
is flattened: every tensor goes into the safetensors body under a generated dotted name
(``"state.0.exp_avg"``), and the nesting is stored as JSON under the ``"axonite.structure"`` key
of the header's ``__metadata__`` string map. ``ax.load`` validates that JSON strictly (node
types, tensor references, depth) before rebuilding the object.

Structure grammar (one JSON value per node)::

    null | true | false | <int> | <float> | <str>     None, bool, int, finite float, str
    {"F": "inf" | "-inf" | "nan"}                     a non-finite float
    {"T": "<tensor name>"}                             a tensor of the file
    {"L": [node, ...]}  {"U": [node, ...]}             a list / a tuple
    {"D": [[key, node], ...]}                          a dict; key is a str or an int

Dtypes. axonite tensors are float32, float64, int64 or bool and are saved as such (F32, F64,
I64, BOOL). Files written elsewhere may hold other dtypes; they load with this rule: F16, BF16,
F8_E4M3 and F8_E5M2 become float32 (exact: every value is representable); I8, I16, I32, U8,
U16 and U32 become int64 (exact); U64 becomes int64 when every value fits, else ValueError.
Other dtypes (complex, 4-bit and the fnuz/e8m0 float8 variants) raise ValueError.

Values are saved, not aliasing: a non-contiguous view is written as its values, tensors that
share storage become independent copies, and tensors requiring grad are saved detached (a
loaded tensor never requires grad).
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import secrets
from collections.abc import Mapping
from typing import IO, Any

import numpy as np
import safetensors

from . import _C
from ._C import Tensor
from ._tensor import device

__all__ = ["load", "load_metadata", "save"]

PathOrFile = str | os.PathLike[str] | IO[bytes]

STRUCTURE_KEY = "axonite.structure"  # reserved __metadata__ key holding the nesting JSON
_FORMAT = "axonite"
_VERSION = 1
_MAX_DEPTH = 64  # nesting levels accepted by save and load (a cycle hits it too)
_MAX_NDIM = 16  # dimensions of an axonite tensor (kMaxDims in cpp/axonite/core/shape.h)

_SAVE_DTYPES = {
    _C.float32: "float32",
    _C.float64: "float64",
    _C.int64: "int64",
    _C.bool: "bool",
}
# header dtype -> (NumPy dtype of the stored little-endian bytes, NumPy dtype after loading)
_LOAD_DTYPES: dict[str, tuple[str, Any]] = {
    "F64": ("<f8", np.float64),
    "F32": ("<f4", np.float32),
    "F16": ("<f2", np.float32),
    "BF16": ("<u2", np.float32),
    "F8_E5M2": ("u1", np.float32),
    "F8_E4M3": ("u1", np.float32),
    "I64": ("<i8", np.int64),
    "I32": ("<i4", np.int64),
    "I16": ("<i2", np.int64),
    "I8": ("i1", np.int64),
    "U64": ("<u8", np.int64),
    "U32": ("<u4", np.int64),
    "U16": ("<u2", np.int64),
    "U8": ("u1", np.int64),
    "BOOL": ("u1", np.bool_),
}


def _e4m3_table() -> np.ndarray:
    """float32 value of each of the 256 float8 e4m3fn codes (no infinities; 0x7f/0xff are NaN)."""
    b = np.arange(256, dtype=np.int64)
    sign = np.where(b >= 128, -1.0, 1.0)
    exp, man = (b >> 3) & 15, (b & 7).astype(np.float64)
    mag = np.where(exp == 0, man / 8 * 2.0**-6, (1 + man / 8) * np.exp2(exp - 7.0))
    val = sign * mag
    val[(exp == 15) & (man == 7)] = np.nan
    return val.astype(np.float32)


# ---- save ---------------------------------------------------------------------------------------


def _is_flat(obj: object) -> bool:
    return (
        isinstance(obj, Mapping)
        and "__metadata__" not in obj
        and all(isinstance(k, str) and isinstance(v, Tensor) for k, v in obj.items())
    )


def _tensor_array(t: Tensor, where: str) -> np.ndarray:
    """t's values as a C-contiguous little-endian array (detached; views copied by value)."""
    if t.dtype not in _SAVE_DTYPES:
        raise TypeError(f"ax.save: unsupported tensor dtype {t.dtype} at {where}")
    if t.device.type != "cpu":
        t = t.to("cpu")
    return np.asarray(t.detach().numpy(), order="C")  # (ascontiguousarray would make 0-d 1-d)


class _Encoder:
    """Turns a nested object into the structure JSON, collecting tensors under unique names."""

    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}

    def name_for(self, path: list[str]) -> str:
        base = ".".join(path) or "tensor"
        name, n = base, 1
        while name in self.arrays or name == "__metadata__":
            name, n = f"{base}#{n}", n + 1
        return name

    def encode(self, obj: object, path: list[str]) -> Any:
        if len(path) > _MAX_DEPTH:
            raise ValueError(
                f"ax.save: the object nests deeper than {_MAX_DEPTH} levels at "
                f"{_where(path)} (a container that contains itself?)"
            )
        if obj is None or isinstance(obj, (bool, str)):
            return obj
        if isinstance(obj, Tensor):
            name = self.name_for(path)
            self.arrays[name] = _tensor_array(obj, _where(path))
            return {"T": name}
        if isinstance(obj, (int, np.integer)):
            return int(obj)
        if isinstance(obj, (float, np.floating)):
            v = float(obj)
            return v if math.isfinite(v) else {"F": repr(v)}
        if isinstance(obj, (list, tuple)):
            tag = "L" if isinstance(obj, list) else "U"
            return {tag: [self.encode(v, [*path, str(i)]) for i, v in enumerate(obj)]}
        if isinstance(obj, Mapping):
            items = []
            for k, v in obj.items():
                if isinstance(k, np.integer):
                    k = int(k)
                if isinstance(k, bool) or not isinstance(k, (str, int)):
                    raise TypeError(
                        f"ax.save: dict keys must be str or int, got {type(k).__name__} "
                        f"key {k!r} at {_where(path)}"
                    )
                items.append([k, self.encode(v, [*path, str(k)])])
            return {"D": items}
        raise TypeError(
            f"ax.save: cannot save an object of type {type(obj).__name__} at {_where(path)}; "
            "supported are Tensor, dict (str/int keys), list, tuple, int, float, str, bool and "
            "None"
        )


def _where(path: list[str]) -> str:
    return "obj" + "".join(f"[{p!r}]" for p in path)


def _check_metadata(metadata: Mapping[str, str] | None) -> dict[str, str]:
    if metadata is None:
        return {}
    if not isinstance(metadata, Mapping):
        raise TypeError(f"ax.save: metadata must be a dict of str to str, got {type(metadata)}")
    for k, v in metadata.items():
        if not isinstance(k, str) or not isinstance(v, str):
            raise TypeError(
                f"ax.save: metadata must map str to str, got {type(k).__name__} key {k!r} with "
                f"{type(v).__name__} value"
            )
    if STRUCTURE_KEY in metadata:
        raise ValueError(f"ax.save: the metadata key {STRUCTURE_KEY!r} is reserved by axonite")
    return dict(metadata)


class _Prepared:
    """What the library's writers take: specs pointing into `arrays` (kept alive here for as
    long as the specs are used) and the header metadata."""

    def __init__(self, obj: object, metadata: Mapping[str, str] | None) -> None:
        meta = _check_metadata(metadata)
        if _is_flat(obj):
            assert isinstance(obj, Mapping)
            self.arrays = {k: _tensor_array(v, f"obj[{k!r}]") for k, v in obj.items()}
        else:
            enc = _Encoder()
            root = enc.encode(obj, [])
            self.arrays = enc.arrays
            doc = {"format": _FORMAT, "version": _VERSION, "root": root}
            meta[STRUCTURE_KEY] = json.dumps(doc, allow_nan=False, separators=(",", ":"))
        self.metadata = meta or None
        self.specs = {
            name: safetensors.TensorSpec(
                dtype=a.dtype.name, shape=list(a.shape), data_ptr=a.ctypes.data, data_len=a.nbytes
            )
            for name, a in self.arrays.items()
        }


def _fsync_path(path: str, flags: int = os.O_RDONLY) -> None:
    fd = os.open(path, flags)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _atomic_write(path: str, prepared: _Prepared) -> None:
    """Writes the file to a temp file next to path, fsyncs it and renames it over path. On any
    failure the temp file is removed and a file already at path is left as it was."""
    directory, base = os.path.split(os.path.abspath(path))
    while True:
        tmp = os.path.join(directory, f".{base}.{secrets.token_hex(6)}.tmp")
        try:  # mode 0o666 lets the process umask decide, as for a plain open(path, "wb")
            os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
            break
        except FileExistsError:
            continue
    try:
        # Streams straight from the tensors to the file (no whole-file buffer in memory).
        try:
            safetensors.serialize_file(prepared.specs, tmp, metadata=prepared.metadata)
        except safetensors.SafetensorError as e:
            # A failed write (full disk, quota, file size limit) arrives as the library's own
            # error with the OS errno in its text; callers expect the OSError open() would give.
            code = re.search(r"\(os error (\d+)\)", str(e))
            if code is None:
                raise
            errno = int(code.group(1))
            raise OSError(errno, f"ax.save: writing failed: {os.strerror(errno)}", path) from e
        _fsync_path(tmp)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    # Persist the rename itself; not every platform can open a directory.
    with contextlib.suppress(OSError):
        _fsync_path(directory)


def save(obj: object, f: PathOrFile, metadata: Mapping[str, str] | None = None) -> None:
    """Saves ``obj`` to ``f`` (a path or a binary file object) in the safetensors format.

    ``obj`` is a ``dict[str, Tensor]`` (written as a plain safetensors file that any safetensors
    reader, e.g. ``safetensors.torch.load_file``, loads as the same dict), or any nesting of
    dict (str/int keys), list, tuple, Tensor, int, float, str, bool and None, such as an
    optimizer ``state_dict`` or a checkpoint ``{"model": ..., "optim": ..., "epoch": 3}``.
    ``metadata`` is an optional ``dict[str, str]`` stored in the header (read it back with
    :func:`load_metadata`).

    Writing to a path is atomic: the bytes go to a temp file in the same directory, which is
    fsynced and renamed over ``f``; if anything fails, an existing file at ``f`` is untouched.
    (A file object is simply written to.) Tensors are saved by value: views as their values,
    storage-sharing tensors as independent copies, tensors requiring grad detached.

        >>> ax.save(model.state_dict(), "model.safetensors")
        >>> model.load_state_dict(ax.load("model.safetensors"))
    """
    is_path = isinstance(f, (str, os.PathLike))
    if not is_path and not hasattr(f, "write"):
        raise TypeError(f"ax.save: f must be a path or a binary file object, got {type(f)}")
    prepared = _Prepared(obj, metadata)
    if is_path:
        _atomic_write(os.fspath(f), prepared)
    else:
        f.write(safetensors.serialize(prepared.specs, metadata=prepared.metadata))


# ---- load ---------------------------------------------------------------------------------------


def _bad(name: str, what: str) -> ValueError:
    return ValueError(f"ax.load: {name} is not a valid safetensors file: {what}")


def _read(f: PathOrFile) -> tuple[bytes, str]:
    if isinstance(f, (str, os.PathLike)):
        with open(f, "rb") as fh:
            return fh.read(), repr(os.fspath(f))
    if hasattr(f, "read"):
        data = f.read()
        if not isinstance(data, (bytes, bytearray)):
            raise TypeError("ax.load: the file object must be opened in binary mode ('rb')")
        return bytes(data), repr(getattr(f, "name", "<file object>"))
    raise TypeError(f"ax.load: f must be a path or a binary file object, got {type(f)}")


def _check_not_pickle(data: bytes, name: str) -> None:
    kind = None
    if data[:4] == b"PK\x03\x04":
        kind = "a zip archive (PyTorch's torch.save format)"
    elif len(data) >= 2 and data[0] == 0x80 and 2 <= data[1] <= 5:
        kind = "a pickle stream"
    if kind:
        raise ValueError(
            f"ax.load: {name} is not a safetensors file but {kind}; axonite does not unpickle "
            "files, because unpickling can run arbitrary code. Convert it once in PyTorch: "
            "safetensors.torch.save_file(torch.load(path), 'model.safetensors')"
        )


def _deserialize(data: bytes, name: str) -> tuple[list[tuple[str, dict[str, Any]]], dict]:
    """The library's validated (name, {dtype, shape, data}) list and the header's metadata."""
    try:
        entries = safetensors.deserialize(data)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as e:  # noqa: BLE001 (pyo3's PanicException is a BaseException)
        raise _bad(name, f"{type(e).__name__}: {e}") from None
    # The library accepted the header, so its length prefix and JSON are sound; only the
    # metadata map, which deserialize does not return, is read here.
    n = int.from_bytes(data[:8], "little")
    try:
        meta = json.loads(data[8 : 8 + n].decode("utf-8")).get("__metadata__") or {}
    except (ValueError, RecursionError, AttributeError) as e:
        raise _bad(name, f"unreadable header: {e}") from None
    if not isinstance(meta, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in meta.items()
    ):
        raise _bad(name, "__metadata__ is not a map of strings to strings")
    return entries, meta


def _check_shape(shape: list[int], tname: str, name: str) -> None:
    """Shape limits the library does not check. It checks that the shape's product matches the
    byte span, which a zero-size tensor meets whatever its other dims ([0, 2**62, 2**62] spans
    0 bytes), so those dims must still give strides that fit in int64 (NumPy and the C++ core
    would raise their own errors, or overflow); and the core holds at most 16 dims."""
    if len(shape) > _MAX_NDIM:
        raise _bad(
            name,
            f"tensor {tname!r} has {len(shape)} dimensions; axonite tensors have at most "
            f"{_MAX_NDIM}",
        )
    # 8 bytes: the widest element, whether stored or after widening (F16 -> float32).
    if math.prod(max(d, 1) for d in shape) * 8 > np.iinfo(np.int64).max:
        raise _bad(name, f"tensor {tname!r} has shape {shape}, whose strides overflow int64")


def _to_array(entry: dict[str, Any], tname: str, name: str) -> np.ndarray:
    dt, shape, buf = entry["dtype"], entry["shape"], entry["data"]
    if dt not in _LOAD_DTYPES:
        raise _bad(
            name,
            f"tensor {tname!r} has dtype {dt}, which axonite cannot represent "
            f"(loadable: {', '.join(_LOAD_DTYPES)})",
        )
    _check_shape(shape, tname, name)
    stored, target = _LOAD_DTYPES[dt]
    a = np.frombuffer(buf, dtype=stored)
    if dt == "BF16":
        a = (a.astype(np.uint32) << 16).view(np.float32)
    elif dt == "F8_E5M2":  # e5m2 is the top byte of a float16
        a = (a.astype(np.uint16) << 8).view(np.float16).astype(np.float32)
    elif dt == "F8_E4M3":
        a = _e4m3_table()[a]
    elif dt == "BOOL":
        a = a != 0
    elif dt == "U64":
        if a.size and int(a.max()) > np.iinfo(np.int64).max:
            raise _bad(name, f"U64 tensor {tname!r} holds values beyond the int64 range")
        a = a.astype(np.int64)
    elif a.dtype != target or a.ctypes.data % a.itemsize:
        a = a.astype(target)  # widen, or realign a buffer the library left unaligned
    return a.reshape(shape)


def _from_array(a: np.ndarray) -> Tensor:
    if not a.flags.writeable:
        a = a.copy()
    return _C.from_numpy(a)


class _Decoder:
    """Rebuilds an object from the structure JSON, checking every node."""

    def __init__(self, tensors: dict[str, Tensor], name: str) -> None:
        self.tensors = tensors
        self.used: set[str] = set()
        self.name = name

    def decode(self, node: Any, depth: int) -> Any:
        if depth > _MAX_DEPTH:
            raise _bad(self.name, f"structure nests deeper than {_MAX_DEPTH} levels")
        if node is None or isinstance(node, (bool, int, float, str)):
            return node
        if not isinstance(node, dict) or len(node) != 1:
            raise _bad(self.name, f"malformed structure node {_short(node)}")
        ((tag, val),) = node.items()
        if tag == "T":
            if not isinstance(val, str) or val not in self.tensors:
                raise _bad(self.name, f"structure names a missing tensor {_short(val)}")
            if val in self.used:
                raise _bad(self.name, f"structure names tensor {val!r} twice")
            self.used.add(val)
            return self.tensors[val]
        if tag in ("L", "U"):
            if not isinstance(val, list):
                raise _bad(self.name, f"malformed list node {_short(node)}")
            items = [self.decode(v, depth + 1) for v in val]
            return items if tag == "L" else tuple(items)
        if tag == "D":
            if not isinstance(val, list):
                raise _bad(self.name, f"malformed dict node {_short(node)}")
            out: dict[Any, Any] = {}
            for item in val:
                if not (isinstance(item, list) and len(item) == 2):
                    raise _bad(self.name, f"malformed dict item {_short(item)}")
                k = item[0]
                if isinstance(k, bool) or not isinstance(k, (str, int)) or k in out:
                    raise _bad(self.name, f"bad or repeated dict key {_short(k)}")
                out[k] = self.decode(item[1], depth + 1)
            return out
        if tag == "F" and val in ("inf", "-inf", "nan"):
            return float(val)
        raise _bad(self.name, f"unknown structure node {_short(node)}")


def _short(x: object) -> str:
    s = repr(x)
    return s if len(s) <= 80 else s[:77] + "..."


def _reject_constant(s: str) -> None:
    raise ValueError(f"non-standard JSON constant {s}")


def _rebuild(structure: str, tensors: dict[str, Tensor], name: str) -> Any:
    try:
        doc = json.loads(structure, parse_constant=_reject_constant)
    except RecursionError:
        raise _bad(name, "structure JSON nests too deeply") from None
    except ValueError as e:
        raise _bad(name, f"structure is not valid JSON ({e})") from None
    if (
        not isinstance(doc, dict)
        or set(doc) != {"format", "version", "root"}
        or doc["format"] != _FORMAT
    ):
        raise _bad(name, "structure JSON lacks the axonite format header")
    if doc["version"] != _VERSION:
        raise _bad(name, f"structure version {_short(doc['version'])} is not supported")
    dec = _Decoder(tensors, name)
    obj = dec.decode(doc["root"], 0)
    unused = set(tensors) - dec.used
    if unused:
        raise _bad(name, f"tensors not referenced by the structure: {_short(sorted(unused))}")
    return obj


def _check_map_location(map_location: object) -> None:
    if map_location is None:
        return
    if isinstance(map_location, (str, device)):
        device(map_location)  # raises for anything but the CPU in this build
        return
    raise TypeError(
        "ax.load: map_location must be None, 'cpu' or ax.device('cpu'); got "
        f"{type(map_location).__name__}"
    )


def load(f: PathOrFile, map_location: object = None, weights_only: bool = True) -> Any:
    """Loads an object saved by :func:`save`, or any safetensors file (e.g. one written by
    ``safetensors.torch.save_file``, which loads as a ``dict[str, Tensor]``).

    ``f`` is a path or a binary file object. ``map_location`` may be None, ``'cpu'`` or
    ``ax.device('cpu')``. ``weights_only`` is accepted for PyTorch compatibility: axonite never
    unpickles, so loading is always as safe as ``weights_only=True``. Other dtypes in foreign
    files load as float32 / int64 (see the module docstring).

    A truncated, corrupted or hostile file (a tensor with more than 16 dimensions, or with
    dims whose strides overflow int64, included) raises ValueError naming the file and the
    problem; a PyTorch ``.pt`` file raises ValueError saying it is not safetensors.
    """
    del weights_only  # no pickle either way
    _check_map_location(map_location)
    data, name = _read(f)
    _check_not_pickle(data, name)
    entries, meta = _deserialize(data, name)
    tensors = {t: _from_array(_to_array(e, t, name)) for t, e in entries}
    structure = meta.get(STRUCTURE_KEY)
    if structure is None:
        return tensors
    return _rebuild(structure, tensors, name)


def load_metadata(f: PathOrFile) -> dict[str, str]:
    """The ``metadata`` dict given to :func:`save` (the header's ``__metadata__`` map without
    axonite's own structure entry); ``{}`` when there is none."""
    data, name = _read(f)
    _check_not_pickle(data, name)
    _, meta = _deserialize(data, name)
    return {k: v for k, v in meta.items() if k != STRUCTURE_KEY}
