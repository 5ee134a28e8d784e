"""ax.save / ax.load: round trips (every dtype, 0-d and empty shapes, views, nested optimizer-like
state), exchange with PyTorch through safetensors.torch both ways, atomic writes (failures
mid-write leave the old file intact), and hostile files (targeted cases): always a clean
ValueError, never a crash and never code run. The seeded mutation fuzz run over saved files is
test_file_fuzz.py."""

from __future__ import annotations

import io
import json
import math
import os
import pathlib
import pickle
import struct
from typing import Any

import numpy as np
import pytest
import safetensors

import axonite as ax
from axonite import serialization

DTYPES = [ax.float32, ax.float64, ax.int64, ax.bool]
SHAPES = [(), (0,), (3, 0, 2), (5,), (2, 3, 4)]


def _make(dtype: Any, shape: tuple[int, ...], seed: int = 0) -> ax.Tensor:
    rng = np.random.default_rng(seed)
    if dtype == ax.bool:
        a = rng.random(shape) < 0.5
    elif dtype == ax.int64:
        a = rng.integers(-(2**62), 2**62, size=shape, dtype=np.int64)
    else:
        a = rng.standard_normal(shape)
    return ax.tensor(np.asarray(a), dtype=dtype)


def _assert_same(got: Any, want: Any) -> None:
    """Deep equality: containers by type and content, tensors by dtype, shape and values."""
    if isinstance(want, ax.Tensor):
        assert isinstance(got, ax.Tensor)
        assert got.dtype == want.dtype and tuple(got.shape) == tuple(want.shape)
        np.testing.assert_array_equal(got.numpy(), want.detach().numpy())
        return
    assert type(got) is type(want), f"{type(got)} vs {type(want)}"
    if isinstance(want, dict):
        assert list(got) == list(want)
        for k in want:
            _assert_same(got[k], want[k])
    elif isinstance(want, (list, tuple)):
        assert len(got) == len(want)
        for g, w in zip(got, want, strict=True):
            _assert_same(g, w)
    elif isinstance(want, float) and math.isnan(want):
        assert math.isnan(got)
    else:
        assert got == want


# ---- round trips --------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_round_trip_every_dtype_and_shape(tmp_path: pathlib.Path, dtype: Any, shape: Any) -> None:
    sd = {"w": _make(dtype, shape), "b": _make(dtype, (3,), seed=1)}
    path = tmp_path / "m.safetensors"
    ax.save(sd, path)
    got = ax.load(path)
    assert set(got) == {"w", "b"}
    for k, v in sd.items():
        _assert_same(got[k], v)
        assert not got[k].requires_grad


def test_str_path_file_object_and_bytes_io(tmp_path: pathlib.Path) -> None:
    sd = {"x": ax.randn(3, 2)}
    ax.save(sd, str(tmp_path / "a.safetensors"))
    _assert_same(ax.load(str(tmp_path / "a.safetensors"))["x"], sd["x"])
    buf = io.BytesIO()
    ax.save(sd, buf)
    buf.seek(0)
    _assert_same(ax.load(buf)["x"], sd["x"])
    with open(tmp_path / "b.safetensors", "wb") as f:
        ax.save(sd, f)
    with open(tmp_path / "b.safetensors", "rb") as f:
        _assert_same(ax.load(f)["x"], sd["x"])


def test_views_are_saved_by_value(tmp_path: pathlib.Path) -> None:
    base = ax.arange(24, dtype=ax.float32).reshape(4, 6)
    sd = {
        "t": base.T,
        "step": base[:, ::2],
        "expand": ax.tensor([1.0, 2.0]).unsqueeze(0).expand(3, 2),
        "row": base[2],
    }
    assert not sd["t"].is_contiguous() and not sd["step"].is_contiguous()
    ax.save(sd, tmp_path / "v.safetensors")
    got = ax.load(tmp_path / "v.safetensors")
    for k, v in sd.items():
        _assert_same(got[k], v)
        assert got[k].is_contiguous()


def test_shared_storage_becomes_independent_copies(tmp_path: pathlib.Path) -> None:
    a = ax.zeros(4)
    sd = {"a": a, "view": a[1:3], "same": a}
    ax.save(sd, tmp_path / "s.safetensors")
    got = ax.load(tmp_path / "s.safetensors")
    got["a"].add_(1.0)
    assert got["view"].tolist() == [0.0, 0.0] and got["same"].tolist() == [0.0] * 4


def test_requires_grad_is_saved_detached(tmp_path: pathlib.Path) -> None:
    w = ax.randn(3, requires_grad=True)
    y = w * 2  # a non-leaf with history
    ax.save({"w": w, "y": y}, tmp_path / "g.safetensors")
    got = ax.load(tmp_path / "g.safetensors")
    assert not got["w"].requires_grad and got["w"].grad_fn is None
    np.testing.assert_array_equal(got["y"].numpy(), y.detach().numpy())


def _optimizer_like() -> dict[str, Any]:
    return {
        "state": {
            0: {"step": 7, "exp_avg": ax.randn(3, 2), "exp_avg_sq": ax.rand(3, 2)},
            1: {"step": ax.tensor(7.0), "momentum_buffer": None},
        },
        "param_groups": [
            {
                "lr": 1e-3,
                "betas": (0.9, 0.999),
                "eps": 1e-8,
                "weight_decay": 0,
                "amsgrad": False,
                "maximize": True,
                "params": [0, 1],
                "name": "encoder",
                "best": math.inf,
                "worst": -math.inf,
                "undefined": math.nan,
                "big": 2**80,
                "empty": [],
                "nested": ({"a": [1, (2.5, "x")]}, ()),
            }
        ],
    }


def test_nested_optimizer_state_round_trip(tmp_path: pathlib.Path) -> None:
    obj = _optimizer_like()
    ax.save(obj, tmp_path / "o.safetensors")
    _assert_same(ax.load(tmp_path / "o.safetensors"), obj)


def test_checkpoint_with_model_optimizer_and_epoch(tmp_path: pathlib.Path) -> None:
    ckpt = {
        "model": {
            "fc.weight": ax.randn(4, 3),
            "fc.bias": ax.zeros(4),
            "bn.num_batches": ax.tensor(3),
        },
        "optimizer": _optimizer_like(),
        "epoch": 12,
        "val_loss": 0.25,
    }
    ax.save(ckpt, tmp_path / "c.safetensors")
    _assert_same(ax.load(tmp_path / "c.safetensors"), ckpt)
    # The tensors sit in the body under readable dotted names.
    names = set(safetensors.safe_open(tmp_path / "c.safetensors", "np").keys())
    assert {"model.fc.weight", "optimizer.state.0.exp_avg", "optimizer.state.1.step"} <= names


@pytest.mark.parametrize(
    "obj",
    [
        ax.tensor([1.0, 2.0]),
        [ax.ones(2), 3, "x"],
        (ax.zeros(()), None),
        {},
        {"only": 1.5},
        {"a.b": ax.ones(1), "a": {"b": ax.zeros(1)}},  # generated names collide: made unique
        {"__metadata__": ax.ones(1)},  # the reserved safetensors key, stored via the structure
        [],
        5,
    ],
    ids=lambda o: type(o).__name__,
)
def test_other_top_level_objects(tmp_path: pathlib.Path, obj: Any) -> None:
    ax.save(obj, tmp_path / "x.safetensors")
    _assert_same(ax.load(tmp_path / "x.safetensors"), obj)


def test_metadata_round_trip_and_validation(tmp_path: pathlib.Path) -> None:
    p = tmp_path / "m.safetensors"
    ax.save({"w": ax.ones(2)}, p, metadata={"format": "pt", "author": "me"})
    assert serialization.load_metadata(p) == {"format": "pt", "author": "me"}
    ax.save([ax.ones(2)], p, metadata={"note": "nested"})
    assert serialization.load_metadata(p) == {"note": "nested"}
    with pytest.raises(TypeError, match="str to str"):
        ax.save({"w": ax.ones(2)}, p, metadata={"n": 1})
    with pytest.raises(ValueError, match="reserved"):
        ax.save({"w": ax.ones(2)}, p, metadata={serialization.STRUCTURE_KEY: "x"})


@pytest.mark.parametrize(
    ("obj", "err", "match"),
    [
        ({"s": {1, 2}}, TypeError, "type set"),
        ({"f": lambda: 0}, TypeError, "type function"),
        ({True: ax.ones(1)}, TypeError, "dict keys must be str or int"),
        ({(1, 2): ax.ones(1)}, TypeError, "dict keys must be str or int"),
        ({"x": np.ones(2)}, TypeError, "ndarray"),
    ],
)
def test_unsupported_objects_raise_and_write_nothing(
    tmp_path: pathlib.Path, obj: Any, err: type, match: str
) -> None:
    p = tmp_path / "bad.safetensors"
    with pytest.raises(err, match=match):
        ax.save(obj, p)
    assert list(tmp_path.iterdir()) == []


def test_self_containing_object_hits_the_depth_limit(tmp_path: pathlib.Path) -> None:
    loop: list[Any] = []
    loop.append(loop)
    with pytest.raises(ValueError, match="nests deeper"):
        ax.save(loop, tmp_path / "loop.safetensors")


def test_map_location_and_weights_only(tmp_path: pathlib.Path) -> None:
    p = tmp_path / "w.safetensors"
    ax.save({"w": ax.ones(2)}, p)
    for loc in (None, "cpu", ax.device("cpu")):
        assert ax.load(p, map_location=loc)["w"].tolist() == [1.0, 1.0]
    assert ax.load(p, weights_only=False)["w"].tolist() == [1.0, 1.0]
    with pytest.raises(TypeError, match="map_location"):
        ax.load(p, map_location={"cuda:0": "cpu"})


# ---- exchange with PyTorch ----------------------------------------------------------------------


def test_flat_dict_loads_in_torch(tmp_path: pathlib.Path) -> None:
    torch = pytest.importorskip("torch")
    st = pytest.importorskip("safetensors.torch")
    sd = {f"{d}_{i}": _make(d, s, seed=i) for i, s in enumerate(SHAPES) for d in DTYPES}
    p = tmp_path / "ax.safetensors"
    ax.save(sd, p)
    got = st.load_file(str(p))
    assert set(got) == set(sd)
    for k, v in sd.items():
        assert str(got[k].dtype).removeprefix("torch.") == str(v.dtype).removeprefix("axonite.")
        assert tuple(got[k].shape) == tuple(v.shape)
        assert torch.equal(got[k], torch.from_numpy(v.numpy()))


def test_torch_file_loads_with_upcast_rule(tmp_path: pathlib.Path) -> None:
    torch = pytest.importorskip("torch")
    st = pytest.importorskip("safetensors.torch")
    g = torch.Generator().manual_seed(0)
    base = torch.randn(4, 3, generator=g)
    tensors = {
        "f32": base,
        "f64": base.double(),
        "f16": base.half(),
        "bf16": base.bfloat16(),
        "i64": torch.arange(-6, 6).reshape(3, 4),
        "i32": torch.tensor([-(2**31), 2**31 - 1], dtype=torch.int32),
        "i16": torch.tensor([-(2**15), 7], dtype=torch.int16),
        "i8": torch.tensor([-128, 127], dtype=torch.int8),
        "u8": torch.tensor([0, 255], dtype=torch.uint8),
        "bool": torch.tensor([[True, False]]),
        "scalar": torch.tensor(2.5),
        "empty": torch.zeros(0, 3),
    }
    if hasattr(torch, "float8_e4m3fn"):
        tensors["f8e4m3"] = base.to(torch.float8_e4m3fn)
        tensors["f8e5m2"] = base.to(torch.float8_e5m2)
    p = tmp_path / "torch.safetensors"
    st.save_file(tensors, str(p))
    got = ax.load(p)
    want_dtype = {"f64": ax.float64, "bool": ax.bool, "i64": ax.int64}
    for k, t in tensors.items():
        exp = want_dtype.get(k, ax.int64 if k[0] in "iu" else ax.float32)
        assert got[k].dtype == exp, k
        ref = t.float() if exp == ax.float32 else t.double() if exp == ax.float64 else t
        ref = ref.long() if exp == ax.int64 else ref
        np.testing.assert_array_equal(got[k].numpy(), ref.numpy(), err_msg=k)


def test_torch_model_state_dict_gives_same_outputs(tmp_path: pathlib.Path) -> None:
    torch = pytest.importorskip("torch")
    st = pytest.importorskip("safetensors.torch")
    torch.manual_seed(0)
    lin = torch.nn.Linear(5, 3)
    st.save_file(lin.state_dict(), str(tmp_path / "lin.safetensors"))
    sd = ax.load(tmp_path / "lin.safetensors")
    x = np.random.default_rng(0).standard_normal((4, 5)).astype(np.float32)
    got = ax.tensor(x) @ sd["weight"].T + sd["bias"]
    want = lin(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-6, atol=1e-6)


def test_uint64_and_unsupported_dtypes(tmp_path: pathlib.Path) -> None:
    st_np = pytest.importorskip("safetensors.numpy")
    p = tmp_path / "u.safetensors"
    st_np.save_file({"u": np.array([0, 2**63 - 1], dtype=np.uint64)}, str(p))
    assert ax.load(p)["u"].tolist() == [0, 2**63 - 1]
    st_np.save_file({"u": np.array([2**63], dtype=np.uint64)}, str(p))
    with pytest.raises(ValueError, match="beyond the int64 range"):
        ax.load(p)
    st_np.save_file({"c": np.ones(2, dtype=np.complex64)}, str(p))
    with pytest.raises(ValueError, match="C64"):
        ax.load(p)


# ---- atomic writes ------------------------------------------------------------------------------


def _old_file(tmp_path: pathlib.Path) -> tuple[pathlib.Path, bytes]:
    p = tmp_path / "ckpt.safetensors"
    ax.save({"old": ax.arange(1000, dtype=ax.float32)}, p)
    return p, p.read_bytes()


def test_failure_mid_write_leaves_old_file(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    p, before = _old_file(tmp_path)
    real = safetensors.serialize_file
    seen: list[int] = []

    def disk_full(specs: Any, filename: Any, metadata: Any = None) -> None:
        real(specs, filename, metadata=metadata)  # part of the file reaches the disk ...
        size = os.path.getsize(filename)
        os.truncate(filename, size // 2)
        seen.append(size // 2)
        raise OSError(28, "No space left on device")  # ... then the disk is full

    monkeypatch.setattr(safetensors, "serialize_file", disk_full)
    with pytest.raises(OSError, match="No space left"):
        ax.save({"new": ax.ones(10000)}, p)
    monkeypatch.undo()
    assert seen and seen[0] > 1000
    assert p.read_bytes() == before
    assert sorted(x.name for x in tmp_path.iterdir()) == [p.name]
    assert ax.load(p)["old"].shape == (1000,)


_FSIZE_CHILD = """
import resource, signal, sys
import axonite as ax
path, cap = sys.argv[1], int(sys.argv[2])
# The kernel refuses writes past RLIMIT_FSIZE (EFBIG) as it refuses them on a full disk (ENOSPC):
# a real failed write in the middle of the file, not a simulated one.
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (cap, cap))
try:
    ax.save({"new": ax.ones(1 << 20)}, path)
except OSError as e:
    print("OSError", e.errno, "ax.save" in str(e) and path in str(e))
else:
    print("saved")
"""


@pytest.mark.skipif(not hasattr(os, "fork"), reason="RLIMIT_FSIZE needs a POSIX child process")
def test_real_write_failure_leaves_old_file(tmp_path: pathlib.Path) -> None:
    import subprocess
    import sys

    p, before = _old_file(tmp_path)
    cap = 1 << 16  # the 4 MiB tensor stops at 64 KiB, past the old file's size
    out = subprocess.run(
        [sys.executable, "-c", _FSIZE_CHILD, str(p), str(cap)],
        capture_output=True,
        check=False,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    # EFBIG reaches the caller as OSError naming ax.save and the path
    assert out.stdout.split() == ["OSError", "27", "True"], out.stdout
    assert p.read_bytes() == before
    assert sorted(x.name for x in tmp_path.iterdir()) == [p.name]


def test_library_error_mid_write_leaves_old_file(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    p, before = _old_file(tmp_path)

    def broken(specs: Any, filename: Any, metadata: Any = None) -> None:
        with open(filename, "wb") as fh:
            fh.write(b"garbage")
        raise safetensors.SafetensorError("simulated failure")

    monkeypatch.setattr(safetensors, "serialize_file", broken)
    with pytest.raises(safetensors.SafetensorError, match="simulated"):
        ax.save([ax.ones(3)], p)
    monkeypatch.undo()
    assert p.read_bytes() == before
    assert sorted(x.name for x in tmp_path.iterdir()) == [p.name]


@pytest.mark.parametrize("step", ["fsync", "replace"])
def test_failure_at_fsync_or_rename_leaves_old_file(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch, step: str
) -> None:
    p, before = _old_file(tmp_path)

    def boom(*args: Any) -> None:
        raise OSError(5, f"{step} failed")

    monkeypatch.setattr(serialization.os, step, boom)
    with pytest.raises(OSError, match=f"{step} failed"):
        ax.save({"new": ax.ones(3)}, p)
    monkeypatch.undo()
    assert p.read_bytes() == before
    assert sorted(x.name for x in tmp_path.iterdir()) == [p.name]


def test_keyboard_interrupt_mid_write_cleans_up(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    p, before = _old_file(tmp_path)

    def interrupted(*args: Any, **kwargs: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(safetensors, "serialize_file", interrupted)
    with pytest.raises(KeyboardInterrupt):
        ax.save({"new": ax.ones(3)}, p)
    monkeypatch.undo()
    assert p.read_bytes() == before
    assert sorted(x.name for x in tmp_path.iterdir()) == [p.name]


def test_successful_save_replaces_and_leaves_no_temp(tmp_path: pathlib.Path) -> None:
    p, _ = _old_file(tmp_path)
    ax.save({"new": ax.ones(3)}, p)
    assert list(ax.load(p)) == ["new"]
    assert sorted(x.name for x in tmp_path.iterdir()) == [p.name]


def test_save_into_missing_directory_raises(tmp_path: pathlib.Path) -> None:
    with pytest.raises(FileNotFoundError):
        ax.save({"w": ax.ones(1)}, tmp_path / "nope" / "w.safetensors")


# ---- hostile files ------------------------------------------------------------------------------


def _file(header: Any, body: bytes = b"", raw_header: bytes | None = None) -> bytes:
    h = raw_header if raw_header is not None else json.dumps(header).encode()
    return struct.pack("<Q", len(h)) + h + body


def _entry(dtype: str = "F32", shape: Any = (2,), offsets: Any = (0, 8)) -> dict[str, Any]:
    return {"dtype": dtype, "shape": list(shape), "data_offsets": list(offsets)}


def _structured(structure: Any, tensors: dict[str, Any] | None = None) -> bytes:
    header: dict[str, Any] = {"__metadata__": {serialization.STRUCTURE_KEY: structure}}
    body = b""
    for name, n in (tensors or {}).items():
        header[name] = _entry("F32", (n,), (len(body), len(body) + 4 * n))
        body += b"\0" * 4 * n
    return _file(header, body)


def _doc(root: Any) -> str:
    return json.dumps({"format": "axonite", "version": 1, "root": root})


HOSTILE = {
    "empty": b"",
    "too_short": b"\x01\x02\x03",
    "huge_header_len": struct.pack("<Q", 2**62) + b"{}",
    "negative_header_len": struct.pack("<q", -8) + b"{}",
    "header_len_past_end": struct.pack("<Q", 100) + b"{}",
    "truncated_body": _file({"x": _entry()}, b"\0" * 4),
    "trailing_bytes": _file({"x": _entry()}, b"\0" * 12),
    "offsets_out_of_range": _file({"x": _entry(offsets=(0, 8000))}, b"\0" * 8),
    "offsets_reversed": _file({"x": _entry(offsets=(8, 0))}, b"\0" * 8),
    "offsets_negative": _file({"x": _entry(offsets=(-8, 0))}, b"\0" * 8),
    "offsets_overlap": _file(
        {"x": _entry(offsets=(0, 8)), "y": _entry(offsets=(4, 12))}, b"\0" * 12
    ),
    "dtype_lie": _file({"x": _entry(dtype="F64")}, b"\0" * 8),
    "dtype_unknown": _file({"x": _entry(dtype="Q7")}, b"\0" * 8),
    "shape_lie": _file({"x": _entry(shape=(3,))}, b"\0" * 8),
    "shape_negative": _file({"x": _entry(shape=(-2,))}, b"\0" * 8),
    "shape_overflow": _file({"x": _entry(shape=(2**40, 2**40, 2**40))}, b"\0" * 8),
    "non_utf8_header": _file(None, raw_header=b'{"x\xff\xfe": 1}  '),
    "not_json": _file(None, raw_header=b"this is not json"),
    "header_not_object": _file([1, 2, 3]),
    "deep_header_json": _file(None, raw_header=b'{"x":' + b"[" * 100000 + b"]" * 100000 + b"}"),
    "deep_header_metadata": _file(None, raw_header=b'{"__metadata__":{"a":' + b"[" * 9999 + b"}}"),
    "metadata_not_strings": _file({"__metadata__": {"a": 1}}),
    "pt_zip": b"PK\x03\x04" + b"\0" * 60,
    "pickle": pickle.dumps({"a": 1}),
    "structure_not_json": _structured("{not json"),
    "structure_nan_constant": _structured('{"format":"axonite","version":1,"root":NaN}'),
    "structure_deep_json": _structured('{"L":[' * 50000 + "]}" * 50000),
    "structure_deep_valid": _structured(_doc(json.loads('{"L":[' * 70 + "]}" * 70))),
    "structure_bad_version": _structured(
        json.dumps({"format": "axonite", "version": 9, "root": 1})
    ),
    "structure_no_header": _structured(json.dumps({"root": 1})),
    "structure_unknown_tag": _structured(_doc({"X": 1})),
    "structure_two_tags": _structured(_doc({"L": [], "U": []})),
    "structure_missing_tensor": _structured(_doc({"T": "nope"})),
    "structure_tensor_twice": _structured(_doc({"L": [{"T": "a"}, {"T": "a"}]}), {"a": 1}),
    "structure_unreferenced_tensor": _structured(_doc({"T": "a"}), {"a": 1, "b": 2}),
    "structure_bool_key": _structured(_doc({"D": [[True, 1]]})),
    "structure_float_key": _structured(_doc({"D": [[1.5, 1]]})),
    "structure_repeated_key": _structured(_doc({"D": [["k", 1], ["k", 2]]})),
    "structure_bad_item": _structured(_doc({"D": [["k", 1, 2]]})),
    "structure_bad_float": _structured(_doc({"F": "1e999"})),
    "structure_list_not_list": _structured(_doc({"L": {"a": 1}})),
    "structure_bare_array": _structured(_doc([1, 2])),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_file_raises_value_error(tmp_path: pathlib.Path, name: str) -> None:
    p = tmp_path / f"{name}.safetensors"
    p.write_bytes(HOSTILE[name])
    with pytest.raises(ValueError, match=f"ax.load: '.*{name}.safetensors' is not"):
        ax.load(p)


def test_pytorch_pt_file_is_refused_with_advice(tmp_path: pathlib.Path) -> None:
    torch = pytest.importorskip("torch")
    p = tmp_path / "model.pt"
    torch.save({"w": torch.ones(2)}, p)
    with pytest.raises(ValueError, match=r"not a safetensors file.*does not unpickle"):
        ax.load(p)


class _Evil:
    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self) -> Any:
        return (open, (self.marker, "w"))


def test_loading_a_pickle_never_runs_it(tmp_path: pathlib.Path) -> None:
    marker = tmp_path / "pwned"
    p = tmp_path / "evil.safetensors"
    for data in (pickle.dumps(_Evil(str(marker))), pickle.dumps(_Evil(str(marker)), protocol=0)):
        p.write_bytes(data)
        with pytest.raises(ValueError, match="is not a"):
            ax.load(p)
    assert not marker.exists()
