"""``Optimizer``: the base class of axonite's optimizers, with PyTorch's semantics.

Holds ``param_groups`` (dicts of options plus ``params``), ``defaults`` and the per-parameter
``state``; implements ``zero_grad``, ``add_param_group``, ``state_dict``/``load_state_dict`` in
PyTorch's format and step hooks. The update math of the concrete optimizers is one fused C++
call per parameter group (``axonite._C._nn.*_step``).
"""

from __future__ import annotations

import copy
import functools
import itertools
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from .. import _C
from .._C import Tensor
from ..autograd import enable_grad

__all__ = ["Optimizer", "required"]

ParamsT = Iterable[Tensor] | Iterable[dict[str, Any]] | Iterable[tuple[str, Tensor]]


class _RequiredParameter:
    """Marks an option without a default that every param group must give."""

    def __repr__(self) -> str:
        return "<required parameter>"


required = _RequiredParameter()


class _HookHandle:
    """Returned by ``register_step_*_hook``; ``remove()`` unregisters the hook."""

    _ids = itertools.count()

    def __init__(self, hooks: OrderedDict[int, Callable[..., Any]]) -> None:
        self.id = next(_HookHandle._ids)
        self._hooks = hooks

    def remove(self) -> None:
        self._hooks.pop(self.id, None)


def _with_hooks(step: Callable[..., Any]) -> Callable[..., Any]:
    """Wraps a subclass's ``step`` to run the step pre/post hooks around it."""

    @functools.wraps(step)
    def wrapper(self: Optimizer, *args: Any, **kwargs: Any) -> Any:
        for pre in list(self._step_pre_hooks.values()):
            result = pre(self, args, kwargs)
            if result is not None:
                if not (isinstance(result, tuple) and len(result) == 2):
                    raise RuntimeError(
                        f"{pre} must return None or a tuple of (new_args, new_kwargs), "
                        f"but got {result}."
                    )
                args, kwargs = result
        out = step(self, *args, **kwargs)
        for post in list(self._step_post_hooks.values()):
            post(self, args, kwargs)
        return out

    wrapper._axonite_hooked = True  # type: ignore[attr-defined]
    return wrapper


def _to_tensor(value: Any) -> Tensor:
    """A state entry loaded from a foreign state_dict (NumPy array, PyTorch tensor) as an
    axonite tensor; axonite tensors pass through."""
    if isinstance(value, Tensor):
        return value
    if hasattr(value, "detach") and hasattr(value, "numpy"):  # a PyTorch tensor
        value = value.detach().cpu().numpy()
    return _C.from_numpy(np.array(value, copy=True))


class Optimizer:
    """Base class for all optimizers.

    Args:
        params: an iterable of tensors, of ``(name, tensor)`` pairs, or of dicts defining
            parameter groups (each with a ``"params"`` entry and optional per-group options).
        defaults: default values of the optimization options, used where a group gives none.
    """

    # Scalar state entries kept as 0-d float32 tensors (PyTorch converts old number entries).
    _scalar_state_keys: tuple[str, ...] = ("step",)

    def __init__(self, params: ParamsT, defaults: dict[str, Any]) -> None:
        self.defaults = defaults
        self._step_pre_hooks: OrderedDict[int, Callable[..., Any]] = OrderedDict()
        self._step_post_hooks: OrderedDict[int, Callable[..., Any]] = OrderedDict()
        if isinstance(params, Tensor):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors or "
                "dicts, but got " + _typename(params)
            )
        self.state: defaultdict[Tensor, Any] = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for param_group in param_groups:
            self.add_param_group(param_group)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        step = cls.__dict__.get("step")
        if step is not None and not getattr(step, "_axonite_hooked", False):
            cls.step = _with_hooks(step)  # type: ignore[method-assign]

    def __getstate__(self) -> dict[str, Any]:
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self.__dict__.setdefault("_step_pre_hooks", OrderedDict())
        self.__dict__.setdefault("_step_post_hooks", OrderedDict())

    def __repr__(self) -> str:
        lines = [self.__class__.__name__ + " ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines.extend(f"    {key}: {group[key]}" for key in sorted(group) if key != "params")
        return "\n".join(lines) + "\n)"

    # -- parameter groups ------------------------------------------------------------------

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Adds a parameter group (a dict with ``"params"`` and optional options) to
        ``param_groups``; options it leaves out take the optimizer's defaults.

        Raises ValueError when a parameter is already in another group."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            param_group["params"] = [params]
        elif isinstance(params, set):
            raise TypeError(
                "optimizer parameters need to be organized in ordered collections, but the "
                "ordering of tensors in sets will change between runs. Please use a list instead."
            )
        else:
            param_group["params"] = list(params)

        tensors, names = [], []
        for param in param_group["params"]:
            if isinstance(param, tuple):
                names.append(param[0])
                tensors.append(param[1])
            else:
                tensors.append(param)
        param_group["params"] = tensors
        if names:
            if len(names) != len(tensors):
                raise ValueError(
                    "all optimizer params should be with/without names. Some param names are "
                    "missing"
                )
            param_group["param_names"] = names

        for param in tensors:
            if not isinstance(param, Tensor):
                raise TypeError(
                    "optimizer can only optimize Tensors, but one of the params is "
                    + _typename(param)
                )
            if not (param.is_leaf or getattr(param, "retains_grad", False)):
                raise ValueError("can't optimize a non-leaf Tensor")

        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(
                    "parameter group didn't specify a value of required optimization "
                    f"parameter {name}"
                )
            param_group.setdefault(name, default)

        if len({id(p) for p in tensors}) != len(tensors):
            raise ValueError("optimizer contains a parameter group with duplicate parameters")

        seen: set[int] = set()
        for group in self.param_groups:
            seen.update(id(p) for p in group["params"])
            if ("param_names" in param_group) != ("param_names" in group):
                which = "with names" if "param_names" in param_group else "without names"
                raise ValueError(
                    "all optimizer param groups should be with/without names. "
                    f"cannot add param group {which} to the optimizer"
                )
        if any(id(p) in seen for p in tensors):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    # -- gradients and steps -----------------------------------------------------------------

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Resets the gradients of all optimized tensors: to None (default), or to zeros in
        place when ``set_to_none=False``."""
        for group in self.param_groups:
            for p in group["params"]:
                g = p.grad
                if g is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    if g.grad_fn is not None:
                        g = g.detach()
                        p.grad = g
                    else:
                        g.requires_grad_(False)
                    g.zero_()

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Performs one optimization step (subclasses implement it)."""
        raise RuntimeError(f"{type(self).__name__} does not implement step()")

    @staticmethod
    def _closure_loss(closure: Callable[[], Any] | None) -> Any:
        """Runs the closure (which re-evaluates the loss) with gradients enabled."""
        if closure is None:
            return None
        with enable_grad():
            return closure()

    def _group_tensors(
        self,
        group: dict[str, Any],
        init: Callable[[Tensor, dict[str, Any]], None],
        keys: Iterable[str],
    ) -> tuple[list[Tensor], list[Tensor], list[list[Tensor]]]:
        """What a fused step takes for one param group: the parameters that have a gradient,
        their gradients and, for each state entry named in ``keys``, that entry of every such
        parameter. ``init(p, state)`` runs before a parameter's entries are read; it creates the
        state on the first step (and entries a changed option needs later)."""
        keys = tuple(keys)
        params: list[Tensor] = []
        grads: list[Tensor] = []
        columns: list[list[Tensor]] = [[] for _ in keys]
        for p in group["params"]:
            g = p.grad
            if g is None:
                continue
            state = self.state[p]
            init(p, state)
            params.append(p)
            grads.append(g)
            for column, key in zip(columns, keys, strict=True):
                column.append(state[key])
        return params, grads, columns

    def register_step_pre_hook(self, hook: Callable[..., Any]) -> _HookHandle:
        """Registers ``hook(optimizer, args, kwargs)`` to run before each ``step``; it may
        return ``(new_args, new_kwargs)``."""
        handle = _HookHandle(self._step_pre_hooks)
        self._step_pre_hooks[handle.id] = hook
        return handle

    def register_step_post_hook(self, hook: Callable[..., Any]) -> _HookHandle:
        """Registers ``hook(optimizer, args, kwargs)`` to run after each ``step``."""
        handle = _HookHandle(self._step_post_hooks)
        self._step_post_hooks[handle.id] = hook
        return handle

    # -- state dicts -------------------------------------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        """The optimizer state in PyTorch's format: ``{"state": {index: {...}},
        "param_groups": [{options..., "params": [indices]}]}``, parameters numbered in group
        order. Tensors are the live state (copy them to snapshot)."""
        mapping: dict[int, int] = {}
        start = 0

        def pack(group: dict[str, Any]) -> dict[str, Any]:
            nonlocal start
            packed = {k: v for k, v in group.items() if k != "params"}
            for i, p in enumerate(group["params"], start):
                mapping.setdefault(id(p), i)
            packed["params"] = [mapping[id(p)] for p in group["params"]]
            start += len(packed["params"])
            return packed

        param_groups = [pack(g) for g in self.param_groups]
        state = {(mapping[id(k)] if isinstance(k, Tensor) else k): v for k, v in self.state.items()}
        return {"state": state, "param_groups": param_groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Loads a state from :meth:`state_dict` (also one converted from a PyTorch optimizer:
        tensors may be PyTorch tensors or NumPy arrays, ``step`` a tensor or a number).

        Parameters are matched by position within the groups. Tensor state is copied and cast
        to its parameter's dtype (``step`` stays float32)."""
        groups = self.param_groups
        saved_groups = copy.deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(
            len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved_groups, strict=True)
        ):
            raise ValueError(
                "loaded state dict contains a parameter group that doesn't match the size of "
                "optimizer's group"
            )
        id_map = dict(
            zip(
                itertools.chain.from_iterable(g["params"] for g in saved_groups),
                itertools.chain.from_iterable(g["params"] for g in groups),
                strict=True,
            )
        )
        state: defaultdict[Any, Any] = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in id_map:
                param = id_map[k]
                state[param] = {key: self._load_value(param, key, val) for key, val in v.items()}
            else:
                state[k] = v
        for group, saved in zip(groups, saved_groups, strict=True):
            saved["params"] = group["params"]
            if "param_names" in group and "param_names" not in saved:
                saved["param_names"] = group["param_names"]
        self.__setstate__({"state": state, "param_groups": saved_groups})

    def _load_value(self, param: Tensor, key: str, value: Any) -> Any:
        if key in self._scalar_state_keys:
            if _is_array(value):
                value = _to_tensor(value).item()
            return _scalar(float(value))
        if _is_array(value):
            t = _to_tensor(value)
            return t.to(param.dtype) if t.dtype != param.dtype else t.clone()
        return copy.deepcopy(value)


def _scalar(value: float) -> Tensor:
    """A 0-d float32 tensor, how PyTorch stores ``step`` (and NAdam's ``mu_product``)."""
    return _C.from_numpy(np.array(value, dtype=np.float32))


def _is_array(value: Any) -> bool:
    return isinstance(value, (Tensor, np.ndarray)) or (
        hasattr(value, "detach") and hasattr(value, "numpy")
    )


def _typename(obj: Any) -> str:
    t = type(obj)
    return t.__name__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__qualname__}"
