"""Progress display for ``Model.fit`` / ``Model.evaluate``: ``ProgbarLogger``, a callback that
draws one tqdm bar per epoch (``Epoch 3/10``, running loss and metrics as the postfix, ETA),
with the validation numbers added when the epoch ends.

``verbose=1`` is the bar, ``verbose=2`` one line per epoch (the format Keras prints in logs), and
``verbose=0`` prints nothing. tqdm is optional: without it ``verbose=1`` falls back to the
one-line-per-epoch form. Output goes to ``sys.stdout`` (as Keras does, so notebooks and captured
logs show it), looked up at write time so that redirection (``contextlib.redirect_stdout``,
pytest's ``capsys``) is honoured.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Mapping
from typing import Any, TextIO

from .callbacks import Callback

try:  # tqdm is a dependency of the wheel, but the display degrades gracefully without it
    from tqdm import tqdm as _tqdm
except ImportError:  # pragma: no cover - exercised only where tqdm is absent
    _tqdm = None

__all__ = ["ProgbarLogger", "format_logs", "write"]

# Keys of the logs that are bookkeeping rather than something to watch in the bar.
_HIDDEN = frozenset({"lr", "batch", "size", "skipped"})


def has_tqdm() -> bool:
    """Whether the tqdm bar is available (else the plain one-line fallback is used)."""
    return _tqdm is not None


def _fmt(value: Any) -> str:
    """One number the way Keras prints it: 4 decimals, scientific notation when tiny."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        return str(value)
    if v != 0.0 and math.isfinite(v) and abs(v) < 1e-3:
        return f"{v:.4e}"
    return f"{v:.4f}"


def format_logs(logs: Mapping[str, Any] | None, hide: frozenset[str] = _HIDDEN) -> str:
    """``"loss: 0.1234 - accuracy: 0.9500"`` for the entries of ``logs`` worth showing."""
    if not logs:
        return ""
    return " - ".join(f"{k}: {_fmt(v)}" for k, v in logs.items() if k not in hide)


def _out() -> TextIO:
    return sys.stdout


def write(message: str) -> None:
    """Prints one line to stdout without breaking an active tqdm bar."""
    if _tqdm is not None:
        _tqdm.write(message, file=_out())
    else:  # pragma: no cover - exercised only where tqdm is absent
        print(message, file=_out(), flush=True)


class ProgbarLogger(Callback):
    """Prints training progress; added by ``fit``/``evaluate`` when ``verbose > 0``.

    Args:
        verbose: 1 for a tqdm bar per epoch (or the one-line fallback without tqdm), 2 for one
            line per epoch.
    """

    def __init__(self, verbose: int = 1) -> None:
        super().__init__()
        if verbose not in (1, 2):
            raise ValueError(f"ProgbarLogger: verbose must be 1 or 2, got {verbose!r}")
        self.verbose = verbose
        self._bar: Any = None
        self._in_fit = False
        self._start = 0.0
        self._epoch = 0

    @property
    def _use_bar(self) -> bool:
        return self.verbose == 1 and _tqdm is not None

    def _open_bar(self, desc: str, total: int | None) -> None:
        self._close_bar()
        self._bar = _tqdm(
            total=total,
            desc=desc,
            file=_out(),
            unit="step",
            leave=True,
            dynamic_ncols=True,
            mininterval=0.1,
        )

    def _close_bar(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def _epochs(self) -> int:
        return int(self.params.get("epochs", 1))

    # -- training --------------------------------------------------------------------------

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self._in_fit = True

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self._epoch = epoch
        self._start = time.perf_counter()
        if self._use_bar:
            self._open_bar(f"Epoch {epoch + 1}/{self._epochs()}", self.params.get("steps"))

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        if self._bar is not None:
            self._bar.set_postfix_str(format_logs(logs), refresh=False)
            self._bar.update(1)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        elapsed = time.perf_counter() - self._start
        if self._bar is not None:
            self._bar.set_postfix_str(format_logs(logs), refresh=False)
            self._close_bar()
            return
        text = format_logs(logs)
        line = f"Epoch {epoch + 1}/{self._epochs()} - {elapsed:.1f}s"
        write(f"{line} - {text}" if text else line)

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        self._close_bar()
        self._in_fit = False

    # -- evaluate (validation inside fit stays silent, as in Keras) ------------------------

    def on_test_begin(self, logs: dict[str, Any] | None = None) -> None:
        if self._in_fit:
            return
        self._start = time.perf_counter()
        if self._use_bar:
            self._open_bar("Evaluate", self.params.get("steps"))

    def on_test_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        if self._in_fit or self._bar is None:
            return
        self._bar.set_postfix_str(format_logs(logs), refresh=False)
        self._bar.update(1)

    def on_test_end(self, logs: dict[str, Any] | None = None) -> None:
        if self._in_fit:
            return
        elapsed = time.perf_counter() - self._start
        if self._bar is not None:
            self._bar.set_postfix_str(format_logs(logs), refresh=False)
            self._close_bar()
            return
        text = format_logs(logs)
        write(f"Evaluate - {elapsed:.1f}s - {text}" if text else f"Evaluate - {elapsed:.1f}s")
