"""Grad-mode switches (thread-local in C++), usable as context managers and decorators."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from .. import _C

F = TypeVar("F", bound=Callable[..., Any])

is_grad_enabled = _C.is_grad_enabled
is_anomaly_enabled = _C.is_anomaly_enabled


class _GradMode:
    """Sets grad mode to ``self._mode`` inside a ``with`` block or a decorated function."""

    _mode = True

    def __enter__(self) -> None:
        self._prev = _C.is_grad_enabled()
        _C._set_grad_enabled(self._mode)

    def __exit__(self, *exc: object) -> None:
        _C._set_grad_enabled(self._prev)

    def __call__(self, fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self.__class__():
                return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


class no_grad(_GradMode):
    """Disables gradient recording: ops inside produce tensors with ``requires_grad=False``."""

    _mode = False


class enable_grad(_GradMode):
    """Re-enables gradient recording inside a ``no_grad`` block."""

    _mode = True


class inference_mode(_GradMode):
    """Like ``no_grad``; ``inference_mode(False)`` leaves the mode unchanged."""

    _mode = False

    def __init__(self, mode: bool = True) -> None:
        self._enabled = mode

    def __enter__(self) -> None:
        self._prev = _C.is_grad_enabled()
        if self._enabled:
            _C._set_grad_enabled(False)

    def __call__(self, fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with inference_mode(self._enabled):
                return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


class set_grad_enabled(_GradMode):
    """Sets grad mode on construction (like ``torch.set_grad_enabled``) and restores it when
    used as a context manager."""

    def __init__(self, mode: bool) -> None:
        if not isinstance(mode, bool):
            raise TypeError(f"set_grad_enabled: mode must be a bool, got {type(mode).__name__}")
        self._prev = _C.is_grad_enabled()
        self._mode = mode
        _C._set_grad_enabled(self._mode)

    def __enter__(self) -> None:
        _C._set_grad_enabled(self._mode)

    def __exit__(self, *exc: object) -> None:
        _C._set_grad_enabled(self._prev)


class set_detect_anomaly:
    """When on, backward checks every gradient a node produces and raises a RuntimeError naming
    the node (e.g. ``'LogBackward0'``) that returned NaN or Inf. Like PyTorch's, it takes effect
    on construction and, used as a context manager, restores the previous mode on exit."""

    def __init__(self, mode: bool, check_nan: bool = True) -> None:
        if not isinstance(mode, bool):
            raise TypeError(f"set_detect_anomaly: mode must be a bool, got {type(mode).__name__}")
        self._prev = _C.is_anomaly_enabled()
        _C._set_anomaly_enabled(mode and check_nan)

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc: object) -> None:
        _C._set_anomaly_enabled(self._prev)


class detect_anomaly:
    """Context manager form of ``set_detect_anomaly(True)``."""

    def __init__(self, check_nan: bool = True) -> None:
        self._mode = check_nan

    def __enter__(self) -> None:
        self._prev = _C.is_anomaly_enabled()
        _C._set_anomaly_enabled(self._mode)

    def __exit__(self, *exc: object) -> None:
        _C._set_anomaly_enabled(self._prev)
