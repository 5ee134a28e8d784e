"""Readable errors for arguments of the wrong type, shared by every ``F.*`` function.

The functional wrappers hand their arguments to pybind11, which answers a wrong type (a string
for ``input``, a float for ``weight``) with a generic "incompatible function arguments" listing
C++ signatures. Rather than a type check in each of ~150 wrappers (a cost on every call), each
public function is wrapped once, at import, by ``named_type_errors``: the success path only
pays a ``try``, and on that pybind11 error the wrapper finds the first argument that does not
match the function's own annotations and raises
``TypeError("relu: argument 'input' must be a Tensor, got str")``.
"""

from __future__ import annotations

import collections.abc
import functools
import inspect
import types
import typing
from collections.abc import Callable
from typing import Any

from ..._C import Tensor

__all__ = ["named_type_errors", "wrap_public"]

_PYBIND_MISMATCH = "incompatible function arguments"


def _matches(value: Any, hint: Any) -> bool:
    """Whether ``value`` fits annotation ``hint``; unknown annotations count as a match, so the
    message never blames an argument it cannot judge."""
    if hint is Any or hint is inspect.Parameter.empty:
        return True
    if hint is None or hint is type(None):
        return value is None
    origin = typing.get_origin(hint)
    if origin is typing.Union or origin is types.UnionType:
        return any(_matches(value, h) for h in typing.get_args(hint))
    if origin is typing.Literal:
        return value in typing.get_args(hint)
    if hint is float:  # PyTorch takes ints (and bools) wherever it takes floats
        return isinstance(value, int | float)
    if hint is int:
        return isinstance(value, int) or (
            hasattr(value, "__index__") and not isinstance(value, Tensor)
        )
    if origin is not None:  # Sequence[int], tuple[int, ...], Callable[...]: check the container
        return not isinstance(origin, type) or isinstance(value, origin)
    if isinstance(hint, type):
        return isinstance(value, hint)
    return True


def _hint_name(hint: Any) -> str:
    origin = typing.get_origin(hint)
    if origin is typing.Union or origin is types.UnionType:
        return " or ".join(_hint_name(h) for h in typing.get_args(hint))
    if hint is None or hint is type(None):
        return "None"
    if hint is Tensor:
        return "a Tensor"
    if origin is not None:
        origin_name = getattr(origin, "__name__", str(origin))
        if origin in (collections.abc.Sequence, list, tuple):
            return f"a {origin_name} ({hint})".replace("collections.abc.", "")
        return origin_name
    return getattr(hint, "__name__", str(hint))


def _describe(fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> str | None:
    """The message for a pybind11 type mismatch inside ``fn(*args, **kwargs)``, or None when no
    argument visibly breaks ``fn``'s annotations (then the C++ signature text is the best clue)."""
    name = fn.__name__
    sig = inspect.signature(fn)
    try:
        bound = sig.bind(*args, **kwargs)
        hints = typing.get_type_hints(fn)
    except (TypeError, NameError):  # unbindable call or unresolvable annotation
        return None
    for arg, value in bound.arguments.items():
        hint = hints.get(arg, Any)
        kind = sig.parameters[arg].kind
        if kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD):
            continue
        if not _matches(value, hint):
            return (
                f"{name}: argument '{arg}' must be {_hint_name(hint)}, got {type(value).__name__}"
            )
    return None


def named_type_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn`` with pybind11's argument-mismatch TypeError renamed after ``fn`` and the
    offending argument; any other exception passes through untouched."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except TypeError as e:
            if _PYBIND_MISMATCH not in str(e):
                raise
            msg = _describe(fn, args, kwargs)
            raise TypeError(msg or f"{fn.__name__}: {e}") from None

    return wrapper


def wrap_public(namespace: dict[str, Any], package: str) -> None:
    """Wraps, in place, each public function in ``namespace`` (the package's globals) that one
    of its submodules defined. The wrapper takes ``package`` as its ``__module__``, so pickle
    finds it where users reach it."""
    for name, fn in list(namespace.items()):
        if (
            not name.startswith("_")
            and isinstance(fn, types.FunctionType)
            and fn.__module__.startswith(package + ".")
            and not hasattr(fn, "__wrapped__")
        ):
            wrapped = named_type_errors(fn)
            wrapped.__module__ = package
            namespace[name] = wrapped
