"""The op registry: one entry per public callable of ``ax``, ``ax.nn.functional`` and ``ax.nn``.

Each ``Entry`` carries OpSpec rows (values against NumPy, float64 gradients, PyTorch parity),
``ErrorCase`` rows (bad input must raise a named Python exception, never crash) and the op
family its tolerances and parity report are grouped under. The rows themselves live in
``registry_core.py`` (``ax.*``) and ``registry_nn.py`` (``F.*`` and ``nn.*``); this file holds
the data types, the helpers both tables use, and ``entries()``, which merges them.

Helpers for rows that run unchanged on both libraries:

* ``ns(x)`` / ``nsF(x)``: the ``axonite`` or ``torch`` namespace (or its ``nn.functional``)
  matching tensor ``x``, so one body serves as ``fn`` and ``torch_fn``;
* ``module_spec``: a module row whose parameters are OpSpec inputs, so gradcheck and parity
  cover parameter gradients with the same machinery as input gradients.

``OpSpec.extra`` keys read by test_op_registry.py: ``{"parity": False, "why": "..."}`` skips the
PyTorch comparison of a row that PyTorch cannot reproduce (random draws, axonite-only
behaviour); such a row must have a NumPy ``ref``. Tolerances come from tolerances.py by family.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import numpy as np
from opspec import OpSpec

import axonite as ax

__all__ = ["Entry", "ErrorCase", "OpSpec", "entries", "module_spec", "ns", "nsF"]


@dataclass
class ErrorCase:
    call: Callable[[], Any]  # raises when called (builds its own inputs)
    exc: type[BaseException] | tuple[type[BaseException], ...]
    match: str  # regex the message must match: names the op and the offending argument/shape
    subprocess: bool = False  # risky (could crash): the test runs `code` in a child interpreter
    code: str = ""  # for subprocess=True: a self-contained snippet that must raise `exc`
    # Non-empty: the message does not yet meet the bar (names another op, or no op) and the fix
    # is outside the test suite (C++); the case runs as a strict xfail saying so, and starts
    # failing (XPASS) once fixed, so the note is removed then.
    known_issue: str = ""


@dataclass
class Entry:
    name: str  # qualified public name: "ax.exp", "F.relu", "nn.Linear"
    specs: list[OpSpec] = field(default_factory=list)
    errors: list[ErrorCase] = field(default_factory=list)
    family: str = ""  # "elementwise", "reduction", "conv", ... (tolerances and parity report)
    skip_reason: str = ""  # only for callables with nothing numeric to check: says why


def entries() -> dict[str, Entry]:
    """All registry entries by qualified name; a name defined twice is an error."""
    out: dict[str, Entry] = {}
    for mod_name, table in (("registry_core", "REGISTRY_CORE"), ("registry_nn", "REGISTRY_NN")):
        try:
            mod = importlib.import_module(mod_name)
        except ModuleNotFoundError as e:
            if e.name != mod_name:  # the table exists but one of its imports is missing
                raise
            continue
        for name, entry in getattr(mod, table).items():
            if name in out:
                raise ValueError(f"op registry: entry {name!r} is defined twice")
            if entry.name != name:
                raise ValueError(f"op registry: key {name!r} holds entry {entry.name!r}")
            out[name] = entry
    return out


# ---- rows that run on both libraries ------------------------------------------------------------


def _is_ax(x: Any) -> bool:
    while isinstance(x, list | tuple) and x:
        x = x[0]
    if isinstance(x, ax.Tensor):
        return True
    if type(x).__module__.startswith("torch"):
        return False
    raise TypeError(f"op registry: cannot tell the library of {type(x).__name__}")


def ns(x: Any) -> ModuleType:
    """``axonite`` when ``x`` (or the first item of a list of tensors) is an axonite tensor,
    else ``torch``: the top-level namespace a shared spec body calls into."""
    return ax if _is_ax(x) else importlib.import_module("torch")


def nsF(x: Any) -> ModuleType:
    """``axonite.nn.functional`` or ``torch.nn.functional``, matching ``x``."""
    return importlib.import_module("axonite.nn.functional" if _is_ax(x) else "torch.nn.functional")


def _nn(is_ax: bool) -> ModuleType:
    return ax.nn if is_ax else importlib.import_module("torch.nn")


def _numpy_state(state: dict[str, Any]) -> dict[str, np.ndarray]:
    return {k: v.detach().numpy().copy() for k, v in state.items()}


def module_spec(
    name: str,
    build: Callable[[ModuleType], Any],
    input_shapes: Sequence[tuple[int, ...]] = ((3, 4),),
    *,
    make_inputs: Callable[[np.random.Generator], list[np.ndarray]] | None = None,
    ref: Callable[..., Any] | None = None,
    train: bool = False,
    call: Callable[..., Any] | None = None,
    seed: int = 0,
    low: float = -2.0,
    high: float = 2.0,
    int_inputs: Sequence[int] = (),
    int_high: int = 3,
    **kw: Any,
) -> OpSpec:
    """An OpSpec for a module: ``build(nn)`` constructs it from ``ax.nn`` or ``torch.nn`` (same
    constructor arguments). The axonite module is built after ``ax.manual_seed(seed)``; torch's
    twin loads its state_dict. The module's parameters become trailing OpSpec inputs (in
    ``named_parameters`` order), so gradcheck and parity check parameter gradients like input
    gradients. ``call(module, *inputs)`` overrides the plain ``module(*inputs)``; ``ref`` gets the
    inputs followed by the parameter arrays."""
    cache: dict[str, Any] = {}

    def init_state() -> dict[str, np.ndarray]:
        if "state" not in cache:
            ax.manual_seed(seed)
            m = build(ax.nn)
            cache["state"] = _numpy_state(m.state_dict())
            cache["params"] = [k for k, _ in m.named_parameters()]
        return cache["state"]

    def inputs(rng: np.random.Generator) -> list[np.ndarray]:
        if make_inputs is not None:
            xs = list(make_inputs(rng))
        else:
            xs = [
                rng.integers(0, int_high, size=s).astype(np.int64)
                if i in int_inputs
                else rng.uniform(low, high, size=s)
                for i, s in enumerate(input_shapes)
            ]
        state = init_state()
        return xs + [state[k].astype(np.float64) for k in cache["params"]]

    def fn(*ts: Any) -> Any:
        state = init_state()
        n_par = len(cache["params"])
        xs, ps = list(ts[: len(ts) - n_par]), list(ts[len(ts) - n_par :])
        is_ax = _is_ax(ts[0])
        m = build(_nn(is_ax))
        dtype = next((p.dtype for p in ps), None) or next(
            (x.dtype for x in xs if x.dtype.is_floating_point), None
        )
        if is_ax:
            m.load_state_dict({k: ax.tensor(v) for k, v in state.items()})
        else:
            torch = importlib.import_module("torch")
            m.load_state_dict({k: torch.tensor(v) for k, v in state.items()})
        if dtype is not None:
            m.to(dtype)
        m.train(train)
        if is_ax:
            for key, p in zip(cache["params"], ps, strict=True):
                *path, leaf = key.split(".")
                owner = m
                for part in path:
                    owner = getattr(owner, part)
                owner._parameters[leaf] = p  # the OpSpec input, so its gradient is checked
            return call(m, *xs) if call else m(*xs)
        # torch: swap the parameters in through the public functional_call; a wrapper module
        # carries a custom `call` (RNNs and losses take extra arguments).
        torch = importlib.import_module("torch")
        wrapper = _torch_wrapper(m, call)
        params = {f"inner.{k}": p for k, p in zip(cache["params"], ps, strict=True)}
        return torch.func.functional_call(wrapper, params, tuple(xs))

    return OpSpec(
        name,
        fn,
        ref,
        shapes=(),
        make_inputs=inputs,
        int_inputs=int_inputs,
        int_high=int_high,
        **kw,
    )


def _torch_wrapper(m: Any, call: Callable[..., Any] | None) -> Any:
    """A torch module running ``call(m, *xs)`` (or ``m(*xs)``): functional_call's target."""
    torch = importlib.import_module("torch")

    class Wrapper(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.inner = m

        def forward(self, *xs: Any) -> Any:
            return call(self.inner, *xs) if call else self.inner(*xs)

    return Wrapper()
