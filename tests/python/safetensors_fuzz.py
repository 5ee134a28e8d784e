"""Seeded mutation fuzzer for the safetensors files ``ax.save`` writes (issue 7, item 6).

``mutate(seed)`` turns one seed into one hostile file, deterministically: the seed picks the
base file (a nested checkpoint or a flat state_dict, both written by ``ax.save`` from fixed
values), the mutation kind (round robin over ``KINDS``, so any run of N seeds covers every kind
evenly) and, through ``random.Random(seed)``, the mutation's parameters. Reproduce a finding
with ``python tests/python/safetensors_fuzz.py --write SEED out.safetensors``.

Run as a script over a seed range, this is the worker that test_file_fuzz.py starts in
subprocesses, so that a segfault or a hang kills only the worker: it loads every file from
memory with ``ax.load``, times each load, writes the seed it is on to a progress file before
each load (the parent reads it back after a crash) and prints one JSON summary line. A
faulthandler watchdog ends a worker stuck in one load for ``WATCHDOG_S`` seconds, and an
address-space limit turns an absurd allocation into a reported MemoryError instead of an
out-of-memory kill of the machine.

Outcomes: ``loaded`` (the file is a valid safetensors file; every tensor is read back),
``rejected`` (a ValueError whose message starts with ``ax.load:``, the loader's documented
error), ``unclean`` (anything else: another exception type, or a ValueError leaking from
NumPy or the C++ core without naming ax.load; each is listed with its seed).
"""

from __future__ import annotations

import argparse
import faulthandler
import hashlib
import io
import json
import os
import pickle
import random
import struct
import sys
import time
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

import axonite as ax

HANG_S = 1.0  # a load slower than this is a hang (issue 7: 0 hangs over 1 s)
WATCHDOG_S = 10.0  # a load still running after this is killed and reported as a hang
# Harness self-test (test_file_fuzz.py): "crash:LABEL" segfaults and "hang:LABEL" sleeps at
# that input, to prove a crash or a hang is caught and named.
SELFTEST_ENV = "AXONITE_FUZZ_SELFTEST"
ADDRESS_SPACE_SLACK = 2 << 30  # bytes a worker may map beyond its size after importing
CANARY = "axonite_fuzz_canary"  # a pickle payload creates this file in the cwd if unpickled

U64 = 2**64


# ---- base files ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Base:
    """A valid file and its parts: data = u64 header length + header JSON + body."""

    name: str
    data: bytes

    @property
    def hlen(self) -> int:
        return int.from_bytes(self.data[:8], "little")

    @property
    def header_text(self) -> str:
        return self.data[8 : 8 + self.hlen].decode("utf-8")

    @property
    def header(self) -> dict[str, Any]:
        return json.loads(self.header_text)

    @property
    def body(self) -> bytes:
        return self.data[8 + self.hlen :]

    def tensors(self) -> list[str]:
        return [k for k in self.header if k != "__metadata__"]


def _saved(obj: object, metadata: dict[str, str] | None = None) -> bytes:
    """ax.save's bytes with the __metadata__ keys sorted: the safetensors library writes that
    map in hash order, which changes from process to process, and every worker process must
    build the same base files for a seed to name the same file everywhere."""
    buf = io.BytesIO()
    ax.save(obj, buf, metadata=metadata)
    data = buf.getvalue()
    n = int.from_bytes(data[:8], "little")
    header = json.loads(data[8 : 8 + n])
    if "__metadata__" in header:
        header["__metadata__"] = dict(sorted(header["__metadata__"].items()))
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)  # the library's padding: the body starts 8-byte aligned
    return _pack(text, data[8 + n :])


def _make_bases() -> list[Base]:
    rng = np.random.default_rng(0)

    def t(shape: tuple[int, ...], dtype: Any = ax.float32) -> ax.Tensor:
        if dtype == ax.bool:
            return ax.tensor(rng.random(shape) < 0.5)
        if dtype == ax.int64:
            return ax.tensor(rng.integers(-100, 100, size=shape), dtype=ax.int64)
        return ax.tensor(rng.standard_normal(shape), dtype=dtype)

    # Every dtype ax.save writes, a 0-d and an empty tensor, and every structure node type.
    checkpoint = {
        "model": {
            "w": t((4, 3)),
            "b": t((4,)),
            "n": t((), ax.int64),
            "m": t((3,), ax.bool),
            "d": t((2,), ax.float64),
            "e": t((0, 3)),
        },
        "state": {0: {"step": 3, "buf": t((3,))}, 1: {"step": 2, "buf": None}},
        "groups": [{"lr": 0.1, "betas": (0.9, 0.99), "params": [0, 1], "best": float("inf")}],
        "tag": "adam",
        "ok": True,
    }
    flat = {"0.weight": t((3, 2)), "0.bias": t((3,)), "steps": t((2,), ax.int64)}
    return [
        Base("checkpoint", _saved(checkpoint, {"note": "fuzz"})),
        Base("flat", _saved(flat)),
    ]


_BASES: list[Base] = []


def bases() -> list[Base]:
    if not _BASES:
        _BASES.extend(_make_bases())
    return _BASES


# ---- helpers ------------------------------------------------------------------------------------


class Raw(str):
    """JSON text inserted verbatim by ``_obj`` (to build what json.dumps cannot: duplicates,
    deep nesting, invalid text)."""


def _val(v: Any) -> str:
    return v if isinstance(v, Raw) else json.dumps(v)


def _obj(pairs: list[tuple[str, Any]]) -> Raw:
    """A JSON object from key/value pairs, keeping repeated keys (a Raw key is written as is,
    quotes included)."""
    return Raw("{" + ",".join(f"{_val(k)}:{_val(v)}" for k, v in pairs) + "}")


def _pack(header: bytes | str, body: bytes) -> bytes:
    h = header.encode("utf-8") if isinstance(header, str) else header
    return struct.pack("<Q", len(h)) + h + body


def _pairs(base: Base) -> list[tuple[str, Any]]:
    return list(base.header.items())


def _flip(data: bytes, rng: random.Random, lo: int, hi: int, count: int) -> bytes:
    out = bytearray(data)
    if hi <= lo:
        return bytes(out)
    for _ in range(count):
        j = rng.randrange(lo, hi)
        out[j] ^= 1 << rng.randrange(8)
    return bytes(out)


def _huge(rng: random.Random) -> int:
    """An integer at or past the limits a loader must check: u64/i64 edges and beyond."""
    return rng.choice(
        [2**31, 2**32, 2**53 + 1, 2**62, 2**63 - 1, 2**63, U64 - 1, U64, 10**30, rng.randrange(U64)]
    )


def _deep(rng: random.Random, depth: int) -> Raw:
    """JSON nested `depth` levels deep: arrays, objects or both; sometimes left unclosed."""
    style = rng.randrange(3)
    if style == 0:
        text = "[" * depth + "]" * depth
    elif style == 1:
        text = '{"a":' * depth + "1" + "}" * depth
    else:
        text = '[{"a":' * (depth // 2) + "1" + "}]" * (depth // 2)
    if rng.random() < 0.2:
        text = text[: len(text) // 2 + rng.randrange(len(text) // 2)]
    return Raw(text)


def _with_tensor(base: Base, rng: random.Random, edit: Callable[[dict[str, Any]], Any]) -> bytes:
    """The base with one tensor entry replaced by edit(copy of that entry)."""
    pairs = _pairs(base)
    idx = [i for i, (k, _) in enumerate(pairs) if k != "__metadata__"]
    i = rng.choice(idx)
    entry = dict(pairs[i][1])
    pairs[i] = (pairs[i][0], edit(entry))
    return _pack(_obj(pairs), base.body)


# ---- mutations: each takes (rng, base) and returns the file's bytes -----------------------------


def m_empty(rng: random.Random, base: Base) -> bytes:
    """The empty file and everything shorter than the 8-byte length prefix."""
    n = rng.randrange(8)
    return rng.choice([base.data[:n], b"\0" * n, b"\xff" * n])


def m_truncate(rng: random.Random, base: Base) -> bytes:
    """Cut at a random point, at a boundary, or just around the header's end."""
    end = 8 + base.hlen
    cut = rng.choice(
        [
            rng.randrange(len(base.data)),
            rng.randrange(min(end + 64, len(base.data))),
            rng.choice([8, 9, end - 1, end, end + 1, len(base.data) - 1]),
        ]
    )
    return base.data[:cut]


def m_bitflip_header(rng: random.Random, base: Base) -> bytes:
    return _flip(base.data, rng, 8, 8 + base.hlen, rng.randint(1, 4))


def m_bitflip_body(rng: random.Random, base: Base) -> bytes:
    return _flip(base.data, rng, 8 + base.hlen, len(base.data), rng.randint(1, 8))


def m_bitflip_any(rng: random.Random, base: Base) -> bytes:
    """Flips anywhere, the length prefix included (weighted towards it once in a while)."""
    hi = 8 if rng.random() < 0.25 else len(base.data)
    return _flip(base.data, rng, 0, hi, rng.randint(1, 3))


def m_header_len(rng: random.Random, base: Base) -> bytes:
    """The u64 header length set to zero, tiny, off by a few, past EOF, huge, or a negative
    i64 read as u64."""
    n, size = base.hlen, len(base.data)
    v = rng.choice(
        [
            0,
            1,
            2,
            n - 1,
            n + 1,
            n - rng.randint(2, 16),
            n + rng.randint(2, 16),
            size - 8,
            size - 7,
            size,
            U64 - 1,  # -1
            U64 - 8,  # -8
            U64 - n,  # -n
            2**63,  # i64 minimum
            2**63 - 1,
            100_000_000,  # 100 MB: a plausible but absent header
            _huge(rng) % U64,
            rng.randrange(2 * size),
        ]
    )
    return struct.pack("<Q", v % U64) + base.data[8:]


def m_offsets(rng: random.Random, base: Base) -> bytes:
    """data_offsets huge, past EOF, reversed, overlapping, negative or mistyped."""
    body_len = len(base.body)

    def edit(entry: dict[str, Any]) -> Any:
        b, e = entry["data_offsets"]
        how = rng.randrange(9)
        if how == 0:
            entry["data_offsets"] = [b, _huge(rng)]
        elif how == 1:
            entry["data_offsets"] = [_huge(rng), _huge(rng)]
        elif how == 2:
            entry["data_offsets"] = [e, b]  # reversed
        elif how == 3:  # overlapping its neighbour
            d = rng.randint(1, 8)
            entry["data_offsets"] = [max(b - d, 0), max(e - d, 0)]
        elif how == 4:
            entry["data_offsets"] = [rng.choice([-1, -8, -(2**63)]), e]
        elif how == 5:
            entry["data_offsets"] = [b, body_len + rng.randint(1, 64)]  # past EOF
        elif how == 6:
            entry["data_offsets"] = rng.choice([[b], [b, e, e], [], [float(b), float(e)]])
        elif how == 7:
            entry["data_offsets"] = rng.choice([[str(b), e], [None, e], {"b": b}, b, "0,8"])
        else:
            entry["data_offsets"] = [rng.randrange(body_len + 9), rng.randrange(body_len + 9)]
        return entry

    return _with_tensor(base, rng, edit)


_DTYPES = ["F64", "F32", "F16", "BF16", "F8_E4M3", "F8_E5M2", "I64", "I32", "I16", "I8"]
_DTYPES += ["U64", "U32", "U16", "U8", "BOOL", "C64", "F4", "F8_E8M0", "f32", "", "XX" * 40]


def m_dtype(rng: random.Random, base: Base) -> bytes:
    """dtype lies: another dtype (the byte span no longer matches), an unknown or mistyped one."""

    def edit(entry: dict[str, Any]) -> Any:
        entry["dtype"] = rng.choice([*_DTYPES, *_DTYPES, 4, None, ["F32"], {"F32": 1}])
        return entry

    return _with_tensor(base, rng, edit)


def m_shape(rng: random.Random, base: Base) -> bytes:
    """Shape lies: product not matching the byte span, negative, huge, zero times huge,
    too many dimensions, mistyped."""

    def edit(entry: dict[str, Any]) -> Any:
        shape = list(entry["shape"])
        how = rng.randrange(9)
        if how == 0 and shape:
            shape[rng.randrange(len(shape))] += rng.choice([-1, 1, 2])
        elif how == 1:
            shape = [*shape, rng.choice([-1, -(2**63), -2])]
        elif how == 2:
            shape = [_huge(rng) for _ in range(rng.randint(1, 4))]
        elif how == 3:  # a zero-size tensor whose other dims are huge: 0 bytes, valid span
            shape = [0, *[_huge(rng) for _ in range(rng.randint(1, 3))]]
            rng.shuffle(shape)
        elif how == 4:  # many dimensions (axonite tensors have at most 16; NumPy 64)
            shape = [1] * rng.choice([15, 16, 17, 32, 64, 65, 200]) + shape
        elif how == 5:
            shape = rng.choice([5, "3", None, [[2]], [2.0], [True], {"0": 2}])
        elif how == 6:  # same product, other layout (valid; must load)
            n = int(np.prod(shape)) if shape else 1
            shape = [n] if rng.random() < 0.5 else [1, n, 1]
        elif how == 7:  # two dims whose product overflows u64 but one of them is zero
            shape = [2**32, 2**32, 0]
        else:
            shape = [rng.randrange(64) for _ in range(rng.randint(0, 4))]
        entry["shape"] = shape
        return entry

    return _with_tensor(base, rng, edit)


_BAD_UTF8 = [b"\xff", b"\xfe\xff", b"\xc0\x80", b"\xed\xa0\x80", b"\x80", b"\xf4\x90\x80\x80"]


def m_non_utf8(rng: random.Random, base: Base) -> bytes:
    """Invalid UTF-8 (stray continuation bytes, overlong forms, surrogates, > U+10FFFF) in a
    key, a string value or between tokens of the header."""
    h = base.header_text.encode("utf-8")
    bad = rng.choice(_BAD_UTF8)
    quotes = [i for i, c in enumerate(h) if c == ord('"')]
    j = rng.choice(quotes) + 1 if quotes and rng.random() < 0.7 else rng.randrange(len(h))
    # Inserted (the length prefix follows) or overwritten (same length).
    kept = j if rng.random() < 0.5 else j + len(bad)
    return _pack(h[:j] + bad + h[kept:], base.body)


def m_deep_json(rng: random.Random, base: Base) -> bytes:
    """Deeply nested JSON as the header, as a tensor entry, as metadata or in the structure."""
    depth = rng.choice([64, 65, 127, 128, 129, 500, 10_000, 200_000])
    deep = _deep(rng, depth)
    pairs = _pairs(base)
    where = rng.randrange(4)
    if where == 0:
        return _pack(deep, base.body)
    if where == 1:
        pairs.append(("deep", deep))
    elif where == 2:
        pairs = [(k, v) for k, v in pairs if k != "__metadata__"]
        pairs.insert(0, ("__metadata__", _obj([("x", deep)])))
    else:  # nested structure nodes, valid JSON, inside the axonite structure string
        root = '{"L":[' * depth + "]}" * depth
        doc = f'{{"format":"axonite","version":1,"root":{root}}}'
        pairs = [(k, v) for k, v in pairs if k != "__metadata__"]
        pairs.insert(0, ("__metadata__", {"axonite.structure": doc}))
    return _pack(_obj(pairs), base.body)


def m_duplicate_keys(rng: random.Random, base: Base) -> bytes:
    """Repeated keys: a tensor twice (with another entry), __metadata__ twice, a field twice
    inside an entry, a metadata key twice."""
    pairs = _pairs(base)
    names = base.tensors()
    how = rng.randrange(4)
    if how == 0:
        name = rng.choice(names)
        other = base.header[rng.choice(names)]
        pairs.insert(rng.randrange(len(pairs) + 1), (name, other))
    elif how == 1:
        pairs.insert(rng.randrange(len(pairs) + 1), ("__metadata__", {"a": "b"}))
    elif how == 2:
        i = rng.choice([i for i, (k, _) in enumerate(pairs) if k != "__metadata__"])
        entry = list(pairs[i][1].items())
        field = rng.choice(["dtype", "shape", "data_offsets"])
        twin = {"dtype": "F64", "shape": [1], "data_offsets": [0, 0]}[field]
        entry.insert(rng.randrange(len(entry) + 1), (field, twin))
        pairs[i] = (pairs[i][0], _obj(entry))
    else:
        meta = dict(base.header.get("__metadata__") or {"k": "v"})
        items = list(meta.items())
        k, _ = rng.choice(items)
        items.append((k, rng.choice(["", "x", '{"format":"axonite","version":1,"root":1}'])))
        pairs = [(k2, v) for k2, v in pairs if k2 != "__metadata__"]
        pairs.insert(0, ("__metadata__", _obj(items)))
    return _pack(_obj(pairs), base.body)


def m_metadata_values(rng: random.Random, base: Base) -> bytes:
    """__metadata__ that is not a map of strings: non-string values, or not a map at all."""
    meta = dict(base.header.get("__metadata__") or {"k": "v"})
    odd = rng.choice([1, -1.5, None, True, [], ["a"], {"a": "b"}, 2**70])
    if rng.random() < 0.7:
        meta[rng.choice([*meta, "new"])] = odd
        new: Any = meta
    else:
        new = rng.choice([odd, "text", [meta]])
    pairs = [(k, v) for k, v in _pairs(base) if k != "__metadata__"]
    pairs.insert(rng.randrange(len(pairs) + 1), ("__metadata__", new))
    return _pack(_obj(pairs), base.body)


# JSON number literals at the edges: beyond u64/i64, 5000 digits (past Python's int-string
# limit), overflowing or underflowing floats, negative zero, and non-JSON constants.
_NUMBERS = ["18446744073709551616", "-9223372036854775809", "1" * 5000, "1e999", "-1e999"]
_NUMBERS += ["0.1e-400", "-0", "1E+2", "8.0", "NaN", "Infinity", "-Infinity", "0x10", "01"]


def m_numbers(rng: random.Random, base: Base) -> bytes:
    """An edge-case number literal in the offsets, the shape, a metadata value or a leaf of
    the axonite structure."""
    lit = Raw(rng.choice(_NUMBERS))
    where = rng.randrange(3)
    if where == 0:

        def edit(entry: dict[str, Any]) -> Any:
            field = rng.choice(["data_offsets", "shape"])
            vals: list[Any] = list(entry[field]) or [0]
            vals[rng.randrange(len(vals))] = lit
            entry[field] = Raw("[" + ",".join(_val(v) for v in vals) + "]")
            return _obj(list(entry.items()))

        return _with_tensor(base, rng, edit)
    meta = dict(base.header.get("__metadata__") or {})
    if where == 1:
        meta["n"] = lit
    else:  # a number leaf (an int or float node) inside the structure, e.g. "epoch"
        doc = json.loads(meta.get("axonite.structure") or '{"root":{"D":[]}}')
        doc["root"] = {"D": [["n", 0], *doc["root"].get("D", [])]}
        meta["axonite.structure"] = json.dumps(doc).replace('["n", 0]', f'["n", {lit}]')
    pairs = [(k, v) for k, v in _pairs(base) if k != "__metadata__"]
    return _pack(_obj([("__metadata__", _obj(list(meta.items()))), *pairs]), base.body)


# Names that are odd after JSON unescaping: NUL, lone surrogates, an escaped twin of a plain
# name ("\u0061" is "a"), empty, very long, or the reserved keys.
_NAMES = [r"\u0000", r"\ud800", r"\udc00\ud800", r"\u0030.weight", "", "x" * 100_000]
_NAMES += ["__metadata__", "axonite.structure", r"\"", "\u00e9", "\U0001f600", "a\\/b"]


def m_strings(rng: random.Random, base: Base) -> bytes:
    """A tensor (with its structure reference) or a metadata key renamed to an odd string,
    written raw so that the JSON escapes reach both parsers."""
    name = rng.choice(_NAMES)
    meta = dict(base.header.get("__metadata__") or {})
    old = rng.choice([*base.tensors(), *meta])
    structure = meta.get("axonite.structure")
    if structure is not None and rng.random() < 0.8:  # else the reference goes stale
        meta["axonite.structure"] = structure.replace(f'"{old}"', f'"{name}"')

    def key(k: str) -> str:
        return Raw(f'"{name}"') if k == old else k

    meta_text = _obj([(key(k), v) for k, v in meta.items()])
    pairs = [(key(k), v) for k, v in _pairs(base) if k != "__metadata__"]
    return _pack(_obj([("__metadata__", meta_text), *pairs]), base.body)


def _random_node(rng: random.Random, names: list[str], depth: int = 0) -> Any:
    """A random structure node, valid or not (unknown tags, missing tensors, bad keys)."""
    leaf = [None, True, 0, -1, 2**70, 1.5, "s", {"F": "inf"}, {"F": "1e999"}, {"T": "nope"}]
    leaf += [{"T": n} for n in names] + [{"X": 1}, {"L": [], "U": []}, [], {}, {"T": 3}]
    if depth > 3 or rng.random() < 0.4:
        return rng.choice(leaf)
    tag = rng.choice(["L", "U", "D", "D"])
    kids = [_random_node(rng, names, depth + 1) for _ in range(rng.randint(0, 3))]
    if tag != "D":
        return {tag: kids}
    keys = ["a", "a", 0, 1, True, 1.5, None, ["k"]]
    items: list[Any] = [[rng.choice(keys), k] for k in kids]
    if rng.random() < 0.2:
        items.append(rng.choice([["k"], ["k", 1, 2], "k", 1]))
    return {"D": items}


def _structure_paths(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Paths (keys and indexes) to every node of a decoded structure JSON value."""
    out = [path]
    if isinstance(node, dict):
        for k, v in node.items():
            out += _structure_paths(v, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _structure_paths(v, (*path, i))
    return out


def m_structure(rng: random.Random, base: Base) -> bytes:
    """The axonite structure JSON (read by axonite's own Python decoder) mutated: one node
    replaced by a random node, a tensor reference swapped, the document header altered, or
    its text bit-flipped or cut."""
    header = base.header
    meta = dict(header.get("__metadata__") or {})
    names = base.tensors()
    text = meta.get("axonite.structure") or json.dumps(
        {"format": "axonite", "version": 1, "root": {"D": [[n, {"T": n}] for n in names]}}
    )
    how = rng.randrange(5)
    if how == 0:
        doc = json.loads(text)
        path = rng.choice(_structure_paths(doc["root"]))
        if not path:
            doc["root"] = _random_node(rng, names)
        else:
            parent = doc["root"]
            for p in path[:-1]:
                parent = parent[p]
            parent[path[-1]] = _random_node(rng, names)
        text = json.dumps(doc)
    elif how == 1:
        doc = json.loads(text)
        doc[rng.choice(["format", "version", "root", "extra"])] = rng.choice(
            [None, 2, 1.0, "axonite", "x", [], {"T": names[0]}]
        )
        if rng.random() < 0.3:
            doc.pop(rng.choice(list(doc)))
        text = json.dumps(doc)
    elif how == 2:  # swap two tensor references (valid file, tensors change places)
        refs = [n for n in names if f'{{"T": "{n}"}}' in text or f'{{"T":"{n}"}}' in text]
        if len(refs) >= 2:
            a, b = rng.sample(refs, 2)
            text = text.replace(f'"{a}"', "\0").replace(f'"{b}"', f'"{a}"').replace("\0", f'"{b}"')
    elif how == 3:
        raw = bytearray(text.encode())
        for _ in range(rng.randint(1, 3)):
            raw[rng.randrange(len(raw))] ^= 1 << rng.randrange(7)  # stays ASCII
        text = raw.decode("ascii")
    else:
        text = text[: rng.randrange(len(text) + 1)]
    meta["axonite.structure"] = text
    pairs = [(k, v) for k, v in _pairs(base) if k != "__metadata__"]
    pairs.insert(0, ("__metadata__", meta))
    return _pack(_obj(pairs), base.body)


def m_fields(rng: random.Random, base: Base) -> bytes:
    """Header shape lies: a missing or extra field, an entry that is not an object, a header
    that is not an object, a tensor named __metadata__-like, padding bytes."""
    how = rng.randrange(6)
    if how == 0:

        def drop(entry: dict[str, Any]) -> Any:
            entry.pop(rng.choice(list(entry)))
            return entry

        return _with_tensor(base, rng, drop)
    if how == 1:

        def extra(entry: dict[str, Any]) -> Any:
            entry[rng.choice(["extra", "offsets", "DTYPE"])] = rng.choice([1, "F32", None])
            return entry

        return _with_tensor(base, rng, extra)
    if how == 2:
        return _with_tensor(base, rng, lambda e: rng.choice([None, 1, "F32", [], list(e)]))
    if how == 3:
        h = rng.choice(["[]", "null", "1", '"x"', "", "{", "}", "{}", " ", '{"":{}}'])
        return _pack(h, base.body)
    if how == 4:  # padding the header: spaces are allowed by the format, others are not
        pad = rng.choice([b" ", b"\0", b"\t", b"\n", b"x"]) * rng.randint(1, 16)
        h = base.header_text.encode()
        h = pad + h if rng.random() < 0.3 else h + pad
        return _pack(h, base.body)
    body = base.body
    tail = b"\0" * rng.randint(1, 16)
    return base.data + tail if rng.random() < 0.5 else _pack(base.header_text, body[:-1])


def m_havoc(rng: random.Random, base: Base) -> bytes:
    """Generic byte edits: a range deleted, duplicated or overwritten with random bytes."""
    data = bytearray(base.data)
    for _ in range(rng.randint(1, 3)):
        i = rng.randrange(len(data) + 1)
        n = rng.randint(1, 32)
        how = rng.randrange(3)
        if how == 0:
            del data[i : i + n]
        elif how == 1:
            data[i:i] = data[i : i + n]
        else:
            data[i : i + n] = bytes(rng.randrange(256) for _ in range(n))
    return bytes(data)


def m_splice(rng: random.Random, base: Base) -> bytes:
    """One base's header with the other's body, or two files concatenated."""
    other = rng.choice(bases())
    if rng.random() < 0.5:
        return _pack(base.header_text, other.body)
    return base.data + other.data


class _Canary:
    """A pickled instance creates the CANARY file when unpickled (proof that code ran)."""

    def __reduce__(self) -> tuple[Any, ...]:
        return (open, (CANARY, "w"))


def m_pickle(rng: random.Random, base: Base) -> bytes:
    """A pickle stream or a torch.save-style zip whose payload would create the CANARY file,
    possibly cut or bit-flipped: ax.load must refuse it without unpickling."""
    del base
    payload = pickle.dumps({"w": _Canary(), "n": 3}, protocol=rng.randrange(6))
    if rng.random() < 0.4:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:  # fixed timestamps: the same bytes every time
            z.writestr(zipfile.ZipInfo("archive/data.pkl", (2020, 1, 1, 0, 0, 0)), payload)
            z.writestr(zipfile.ZipInfo("archive/version", (2020, 1, 1, 0, 0, 0)), "3\n")
        payload = buf.getvalue()
    how = rng.randrange(3)
    if how == 1:
        payload = payload[: rng.randrange(1, len(payload) + 1)]
    elif how == 2:
        payload = _flip(payload, rng, 2, len(payload), rng.randint(1, 3))
    return payload


KINDS: dict[str, Callable[[random.Random, Base], bytes]] = {
    "empty": m_empty,
    "truncate": m_truncate,
    "bitflip_header": m_bitflip_header,
    "bitflip_body": m_bitflip_body,
    "bitflip_any": m_bitflip_any,
    "header_len": m_header_len,
    "offsets": m_offsets,
    "dtype": m_dtype,
    "shape": m_shape,
    "non_utf8": m_non_utf8,
    "deep_json": m_deep_json,
    "duplicate_keys": m_duplicate_keys,
    "metadata_values": m_metadata_values,
    "structure": m_structure,
    "fields": m_fields,
    "numbers": m_numbers,
    "strings": m_strings,
    "havoc": m_havoc,
    "splice": m_splice,
    "pickle": m_pickle,
}
_KIND_NAMES = list(KINDS)


def kind_of(seed: int) -> str:
    return _KIND_NAMES[seed % len(_KIND_NAMES)]


def mutate(seed: int) -> tuple[str, bytes]:
    """(mutation kind, file bytes) for ``seed``; the same seed always gives the same file."""
    rng = random.Random(seed)
    kind = kind_of(seed)
    base = rng.choice(bases())
    return kind, KINDS[kind](rng, base)


def digest(start: int, stop: int) -> str:
    """sha256 over the files of seeds [start, stop): equal in every process, or a seed does
    not name one file."""
    h = hashlib.sha256()
    for seed in range(start, stop):
        h.update(mutate(seed)[1])
    return h.hexdigest()


# ---- worker -------------------------------------------------------------------------------------


def _touch(obj: Any, depth: int = 0) -> None:
    """Reads every tensor of a loaded object, through NumPy and through the C++ core (odd
    but valid shapes such as [0, 2**40] must work there too), and checks container types."""
    assert depth < 80, "loaded object nests too deeply"
    if isinstance(obj, ax.Tensor):
        a = obj.numpy()
        assert a.shape == tuple(obj.shape), (a.shape, obj.shape)
        with np.errstate(all="ignore"):
            a.sum()
        obj.clone().sum()
    elif isinstance(obj, dict):
        for k, v in obj.items():
            assert isinstance(k, (str, int)), type(k)
            _touch(v, depth + 1)
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            _touch(v, depth + 1)
    else:
        assert obj is None or isinstance(obj, (bool, int, float, str)), type(obj)


def classify(data: bytes) -> tuple[str, str]:
    """(outcome, detail) of loading ``data`` with ax.load: loaded, rejected or unclean."""
    try:
        _touch(ax.load(io.BytesIO(data)))
    except ValueError as e:
        if str(e).startswith("ax.load:"):
            return "rejected", ""
        return "unclean", f"ValueError not from ax.load: {str(e)[:300]}"
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as e:  # noqa: BLE001 (anything else, a pyo3 panic too, is a finding)
        return "unclean", f"{type(e).__name__}: {str(e)[:300]}"
    return "loaded", ""


def _limit_address_space() -> None:
    try:
        import resource  # POSIX only
    except ImportError:
        return
    with open("/proc/self/statm") as f:
        vm = int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    resource.setrlimit(resource.RLIMIT_AS, (vm + ADDRESS_SPACE_SLACK, resource.RLIM_INFINITY))


def _peak_rss_mb() -> float:
    """This process's peak resident set (VmHWM). Not getrusage's ru_maxrss: Linux carries that
    across fork + exec, so a worker started by a large pytest process would report the parent's
    size instead of its own."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    return float("nan")


def _selftest(label: str) -> None:
    action, _, at = os.environ.get(SELFTEST_ENV, "").partition(":")
    if label != at:
        return
    if action == "crash":
        import ctypes

        ctypes.string_at(0)  # SIGSEGV
    elif action == "hang":
        time.sleep(3600)


def run(
    inputs: Iterable[tuple[str, str, bytes]], progress: str | None, watchdog_s: float = WATCHDOG_S
) -> dict[str, Any]:
    """Loads each (label, kind, bytes) and returns the summary; the label (a seed or a file
    name) of the input being loaded is written to `progress` first."""
    fd = os.open(progress, os.O_WRONLY | os.O_CREAT, 0o644) if progress else None
    counts = {"loaded": 0, "rejected": 0, "unclean": 0}
    per_kind: dict[str, dict[str, int]] = {}
    unclean: list[dict[str, str]] = []
    slow: list[dict[str, Any]] = []
    canary: list[str] = []
    max_s, max_label, n = 0.0, "", 0
    for label, kind, data in inputs:
        n += 1
        if fd is not None:
            os.pwrite(fd, f"{label:<64}".encode()[:64], 0)
        faulthandler.dump_traceback_later(watchdog_s, exit=True)
        t0 = time.perf_counter()
        _selftest(label)
        outcome, detail = classify(data)
        dt = time.perf_counter() - t0
        faulthandler.cancel_dump_traceback_later()
        counts[outcome] += 1
        per_kind.setdefault(kind, {"loaded": 0, "rejected": 0, "unclean": 0})[outcome] += 1
        if outcome == "unclean" and len(unclean) < 50:
            unclean.append({"input": label, "kind": kind, "error": detail})
        if dt > HANG_S:
            slow.append({"input": label, "kind": kind, "seconds": round(dt, 3)})
        if dt > max_s:
            max_s, max_label = dt, label
        if kind == "pickle" and os.path.exists(CANARY):
            canary.append(label)
            os.unlink(CANARY)
    if fd is not None:
        os.close(fd)
    return {
        "n": n,
        "counts": counts,
        "per_kind": per_kind,
        "unclean": unclean,
        "hangs": slow,
        "canary": canary,
        "max_load_s": max_s,
        "max_load_input": max_label,
        "peak_rss_mb": round(_peak_rss_mb(), 1),
    }


def _seed_inputs(start: int, stop: int) -> Iterator[tuple[str, str, bytes]]:
    for seed in range(start, stop):
        kind, data = mutate(seed)
        yield str(seed), kind, data


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seeds", nargs=2, type=int, metavar=("START", "STOP"))
    p.add_argument("--files", nargs="*", help="load these files instead of mutated seeds")
    p.add_argument("--write", nargs=2, metavar=("SEED", "PATH"), help="write one seed's file")
    p.add_argument(
        "--digest", nargs=2, type=int, metavar=("START", "STOP"), help="sha256 of a range's files"
    )
    p.add_argument("--progress", help="file that holds the input being loaded")
    p.add_argument("--watchdog", type=float, default=WATCHDOG_S, help="seconds before a kill")
    args = p.parse_args(argv)
    if args.write:
        kind, data = mutate(int(args.write[0]))
        with open(args.write[1], "wb") as f:
            f.write(data)
        print(f"seed {args.write[0]}: {kind}, {len(data)} bytes")
        return
    if args.digest:
        print(digest(*args.digest))
        return
    ax.set_num_threads(1)
    bases()  # built before the limit, so the limit measures the loads only
    _limit_address_space()
    faulthandler.enable()
    if args.files is not None:
        inputs: Any = []
        for path in args.files:
            with open(path, "rb") as f:
                inputs.append((os.path.basename(path), "corpus", f.read()))
    else:
        inputs = _seed_inputs(*args.seeds)  # generated one at a time, outside the timing
    print(json.dumps(run(inputs, args.progress, args.watchdog)))


if __name__ == "__main__":
    main(sys.argv[1:])
