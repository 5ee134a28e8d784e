"""Hypothesis shape fuzz over the op registry (issue 7, item 9): every registry spec's function
is called with inputs of random shapes, dtypes and layouts (transposed, sliced, offset,
broadcast, 0-d, zero-size), and each call must either return tensors of a well-formed shape,
whose every element can be read, or raise ValueError, TypeError, IndexError or RuntimeError.
Anything else, or a crash, is a finding.

The point is memory safety under .ci/sanitize (ASan + UBSan catch the out-of-bounds read that a
plain build survives), so this runs only when ``AXONITE_SHAPE_FUZZ_SECONDS`` is set, for that
many seconds: hypothesis runs in batches of ``BATCH`` examples, batch ``i`` under
``@seed(i)``, so a run is reproducible from its batch count. A finding names the batch and the
spec; rerun with the same budget to replay it.
"""

from __future__ import annotations

import faulthandler
import os
import sys
import time
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st
from op_registry import OpSpec, entries

import axonite as ax

ENV = "AXONITE_SHAPE_FUZZ_SECONDS"
BATCH = 50  # examples per hypothesis run; a run is also the unit of the time budget
HANG_S = 120.0  # one call slower than this (sanitized, loaded CI machine) is a hang: abort
CLEAN = (ValueError, TypeError, IndexError, RuntimeError)
DTYPES = (np.float32, np.float64, np.int64, np.bool_)
LAYOUTS = ("contiguous", "transposed", "sliced", "offset", "broadcast")

pytestmark = pytest.mark.skipif(
    not os.environ.get(ENV), reason=f"set {ENV}=<seconds> to run the shape fuzz (.ci/sanitize)"
)


def _specs() -> list[OpSpec]:
    return [s for e in sorted(entries().values(), key=lambda e: e.name) for s in e.specs]


_TEMPLATES: dict[int, list[np.ndarray]] = {}


def _template(spec: OpSpec) -> list[np.ndarray]:
    """The spec's own sample inputs: how many arguments it takes and their usual shapes."""
    key = id(spec)
    if key not in _TEMPLATES:
        _TEMPLATES[key] = spec.inputs(np.float64)
    return _TEMPLATES[key]


@dataclass
class Arg:
    shape: tuple[int, ...]
    dtype: Any
    layout: str
    requires_grad: bool
    special: bool  # sprinkle nan/inf/0/huge among the float values


@st.composite
def _arg(draw: st.DrawFn, template: np.ndarray) -> Arg:
    how = draw(st.sampled_from(("keep", "keep", "perturb", "random")))
    shape = tuple(template.shape)
    if how == "perturb" and shape:
        dims = list(shape)
        i = draw(st.integers(0, len(dims) - 1))
        dims[i] = draw(st.sampled_from((0, 1, max(dims[i] - 1, 0), dims[i] + 1)))
        shape = tuple(dims)
    elif how == "perturb":
        shape = (draw(st.integers(0, 3)),)
    elif how == "random":
        shape = tuple(draw(st.lists(st.integers(0, 5), max_size=4)))
    kind = template.dtype.kind
    usual = (np.int64,) if kind in "iu" else (np.bool_,) if kind == "b" else DTYPES[:2]
    dtype = draw(st.sampled_from(usual + DTYPES if draw(st.booleans()) else usual))
    return Arg(
        shape,
        dtype,
        draw(st.sampled_from(LAYOUTS)),
        draw(st.booleans()) and np.dtype(dtype).kind == "f",
        draw(st.integers(0, 9)) == 0,
    )


@st.composite
def _case(draw: st.DrawFn, specs: list[OpSpec]) -> tuple[OpSpec, list[Arg], int, bool]:
    spec = draw(st.sampled_from(specs))
    args = [draw(_arg(t)) for t in _template(spec)]
    return spec, args, draw(st.integers(0, 2**32 - 1)), draw(st.booleans())


def _values(a: Arg, shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    kind = np.dtype(a.dtype).kind
    if kind == "b":
        return rng.integers(0, 2, size=shape).astype(bool)
    if kind in "iu":
        return rng.integers(-2, 5, size=shape).astype(np.int64)
    x = rng.uniform(-2, 2, size=shape)
    if a.special and x.size:
        idx = rng.integers(0, x.size, size=max(1, x.size // 4))
        x.flat[idx] = rng.choice(np.array([np.nan, np.inf, -np.inf, 0.0, 1e30]), size=idx.size)
    return x.astype(a.dtype)


def _tensor(a: Arg, rng: np.random.Generator) -> ax.Tensor:
    """A tensor of shape ``a.shape`` whose strides follow ``a.layout``; layouts that need a
    dimension fall back to contiguous for 0-d inputs."""
    shape, nd = a.shape, len(a.shape)
    if a.layout == "transposed" and nd >= 2:
        base = _values(a, (*shape[:-2], shape[-1], shape[-2]), rng)
        t = ax.tensor(base).transpose(-1, -2)
    elif a.layout == "sliced" and nd >= 1:
        t = ax.tensor(_values(a, (*shape[:-1], 2 * shape[-1]), rng))[..., ::2]
    elif a.layout == "offset" and nd >= 1:
        t = ax.tensor(_values(a, (shape[0] + 1, *shape[1:]), rng))[1:]
    elif a.layout == "broadcast" and nd >= 1:
        t = ax.tensor(_values(a, (1, *shape[1:]), rng)).expand(*shape)
    else:
        t = ax.tensor(_values(a, shape, rng))
    assert tuple(t.shape) == shape, f"harness built {tuple(t.shape)} for {shape} ({a.layout})"
    return t.requires_grad_() if a.requires_grad else t


def _tensors(out: Any) -> list[ax.Tensor]:
    if isinstance(out, ax.Tensor):
        return [out]
    if isinstance(out, list | tuple):
        return [t for o in out for t in _tensors(o)]
    return []


def _check_result(out: Any, backward: bool) -> None:
    """Every output tensor has a well-formed shape and readable elements (copying them makes
    ASan check each byte), and, when asked, its backward pass runs or raises cleanly."""
    ts = _tensors(out)
    for t in ts:
        shape = tuple(t.shape)
        assert all(isinstance(d, int) and d >= 0 for d in shape), f"bad shape {shape}"
        got = t.detach().numpy().copy()
        assert got.shape == shape, f"numpy() gave {got.shape} for a tensor of shape {shape}"
    if backward:
        grads = [t for t in ts if t.requires_grad and t.dtype.is_floating_point]
        if grads:
            sum(t.sum() for t in grads).backward()


@dataclass
class Tally:
    calls: int = 0
    results: int = 0
    clean: int = 0


def _run_one(spec: OpSpec, args: list[Arg], values_seed: int, backward: bool, tally: Tally):
    rng = np.random.default_rng(values_seed)
    ts = [_tensor(a, rng) for a in args]
    tally.calls += 1
    # The real stderr: pytest's capture may have replaced sys.stderr with a file-less object.
    faulthandler.dump_traceback_later(HANG_S, exit=True, file=sys.__stderr__)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _check_result(spec.fn(*ts), backward)
    except CLEAN:
        tally.clean += 1
        return
    except Exception as e:
        shapes = [(a.shape, np.dtype(a.dtype).name, a.layout, a.requires_grad) for a in args]
        raise AssertionError(
            f"shape fuzz: {spec.name} raised {type(e).__name__} (not ValueError, TypeError, "
            f"IndexError or RuntimeError) for inputs {shapes}, values seed {values_seed}: {e}"
        ) from e
    finally:
        faulthandler.cancel_dump_traceback_later()
    tally.results += 1


def test_shape_fuzz(reliability) -> None:
    budget = float(os.environ[ENV])
    specs = _specs()
    tally = Tally()
    strategy = _case(specs)

    @settings(
        max_examples=BATCH,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def batch(case: tuple[OpSpec, list[Arg], int, bool]) -> None:
        _run_one(*case, tally)

    start = time.monotonic()
    n_batches = 0
    while time.monotonic() - start < budget:
        seed(n_batches)(batch)()
        n_batches += 1
    elapsed = time.monotonic() - start
    build = "ASan+UBSan" if "libasan" in os.environ.get("LD_PRELOAD", "") else "plain"
    reliability(
        f"shape fuzz ({build} build): {tally.calls} calls over {len(specs)} registry specs "
        f"(hypothesis seeds 0-{n_batches - 1} x {BATCH} examples, {ax.get_num_threads()} "
        f"threads, {elapsed:.0f} s): 0 crashes, {tally.results} results, "
        f"{tally.clean} clean exceptions"
    )
    assert tally.calls > 0
