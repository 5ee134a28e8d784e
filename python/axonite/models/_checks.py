"""Argument checks shared by the model builders, so that a bad size fails when the model is
built, naming the builder and the argument, not deep inside a convolution."""

from __future__ import annotations

from typing import Any


def check_positive_int(owner: str, name: str, value: Any) -> int:
    """Return ``value`` when it is a positive int, else raise naming ``owner`` and ``name``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{owner}: {name} must be a positive int, got {type(value).__name__}")
    if value <= 0:
        raise ValueError(f"{owner}: {name} must be a positive int, got {value}")
    return value


def check_probability(owner: str, name: str, value: Any) -> float:
    """Return ``value`` as a float when it is a probability in [0, 1], else raise."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{owner}: {name} must be a float in [0, 1], got {type(value).__name__}")
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{owner}: {name} must be in [0, 1], got {value}")
    return float(value)


def check_choice(owner: str, name: str, value: Any, choices: dict[str, Any]) -> str:
    """Return ``value`` when it is one of ``choices``' keys, else raise listing them."""
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{owner}: {name} must be one of {sorted(choices)}, got {value!r}")
    return value
