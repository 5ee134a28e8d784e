"""Keras-style training callbacks for ``ax.train.Model.fit``.

Hook names and call order follow Keras: ``set_model``/``set_params`` once, then
``on_train_begin``, per epoch ``on_epoch_begin``, per batch ``on_train_batch_begin`` /
``on_train_batch_end``, the validation pass between ``on_test_begin`` and ``on_test_end``, then
``on_epoch_end`` and finally ``on_train_end``. ``logs`` carry Keras' keys (``loss``,
``accuracy``, ``val_loss``, ``val_accuracy``, ``lr``); batch logs hold the epoch's running
averages, epoch logs the epoch's averages and the validation results.

axonite adds one hook, ``on_after_backward(batch, logs)``: it runs after ``loss.backward()``
and before gradient clipping and the optimizer step, with ``logs = {"loss": <this batch's
loss>}``; returning ``True`` skips the step (the batch's gradients are dropped and the batch
does not count towards the epoch's averages). ``DivergenceGuard`` is built on it.

``self.model`` is the ``ax.train.Model`` being trained: ``model.module`` is the ``nn.Module``,
``model.optimizer`` the optimizer, ``model.stop_training`` ends training after the current
batch, ``model.current_batch`` is the ``(x, y)`` batch being processed.
"""

from __future__ import annotations

import copy
import csv
import math
import os
import warnings
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from .. import _C
from .._C import Tensor
from ..autograd import no_grad
from ..serialization import save as _save

__all__ = [
    "Callback",
    "CallbackList",
    "CSVLogger",
    "DivergenceGuard",
    "EarlyStopping",
    "History",
    "LearningRateScheduler",
    "ModelCheckpoint",
    "ReduceLROnPlateau",
    "TensorBoard",
    "TerminateOnNaN",
]


# -- helpers shared with the trainer ----------------------------------------------------------


def clone_state(obj: Any) -> Any:
    """A deep copy of a (nested) state_dict in which every tensor is a detached clone, so that
    later in-place updates of the live parameters or optimizer moments cannot reach it."""
    if isinstance(obj, Tensor):
        return obj.detach().clone()
    if isinstance(obj, Mapping):
        return {k: clone_state(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [clone_state(v) for v in obj]
    if isinstance(obj, tuple):
        return tuple(clone_state(v) for v in obj)
    return copy.deepcopy(obj)


def get_lr(optimizer: Any) -> float:
    """The learning rate of the optimizer's first param group, as a float."""
    return float(optimizer.param_groups[0]["lr"])


def set_lr(optimizer: Any, lr: float | list[float]) -> None:
    """Sets the learning rate of every param group (one value, or one per group); a tensor lr
    is filled in place, as the lr schedulers do."""
    values = list(lr) if isinstance(lr, (list, tuple)) else [lr] * len(optimizer.param_groups)
    for group, value in zip(optimizer.param_groups, values, strict=True):
        if isinstance(group["lr"], Tensor):
            group["lr"].fill_(float(value))
        else:
            group["lr"] = float(value)


def is_finite_number(value: Any) -> bool:
    """Whether ``value`` (a number or a one-element tensor) is finite."""
    try:
        return math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def tensor_is_finite(t: Tensor) -> bool:
    """Whether every element of ``t`` is finite, in one reduction: ``sum(t * 0)`` is 0 when all
    values are finite and NaN as soon as one is NaN or infinite (an overflow-free test)."""
    with no_grad():
        return math.isfinite(float((t.detach() * 0).sum()))


_MAX_HINTS = ("acc", "auc", "precision", "recall", "f1", "fmeasure", "r2", "iou")


def _monitor_mode(owner: str, monitor: str, mode: str) -> str:
    """'min' or 'max' for ``monitor``; 'auto' is 'max' for accuracy-like names (Keras' rule)."""
    if mode not in ("auto", "min", "max"):
        raise ValueError(f"{owner}: mode must be 'auto', 'min' or 'max', got {mode!r}")
    if mode != "auto":
        return mode
    name = monitor.removeprefix("val_").lower()
    if "loss" in name:
        return "min"
    return "max" if any(h in name for h in _MAX_HINTS) else "min"


def _write_line(message: str) -> None:
    from .progress import write  # progress imports this module; import it lazily

    write(message)


# -- base classes ---------------------------------------------------------------------------


class Callback:
    """Base class of the callbacks: override the hooks you need (each does nothing here).

    Attributes set by ``fit``: ``model`` (the ``ax.train.Model``) and ``params``
    (``{"epochs", "steps", "verbose"}``)."""

    def __init__(self) -> None:
        self.model: Any = None
        self.params: dict[str, Any] = {}

    def set_model(self, model: Any) -> None:
        self.model = model

    def set_params(self, params: dict[str, Any]) -> None:
        self.params = params

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        pass

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        pass

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        pass

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        pass

    def on_train_batch_begin(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        pass

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        pass

    def on_after_backward(self, batch: int, logs: dict[str, Any] | None = None) -> bool | None:
        """After ``backward``, before clipping and the step; return True to skip the step."""
        return None

    def on_test_begin(self, logs: dict[str, Any] | None = None) -> None:
        pass

    def on_test_end(self, logs: dict[str, Any] | None = None) -> None:
        pass

    def on_test_batch_begin(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        pass

    def on_test_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        pass


class CallbackList:
    """Calls every hook on each callback in order; ``on_after_backward`` returns True when any
    callback asked to skip the step (all of them still run)."""

    def __init__(
        self,
        callbacks: Iterable[Callback] | None = None,
        model: Any = None,
        params: dict[str, Any] | None = None,
    ) -> None:
        self.callbacks: list[Callback] = []
        for cb in callbacks or ():
            if not isinstance(cb, Callback):
                raise TypeError(
                    f"CallbackList: callbacks must be ax.train.Callback instances, "
                    f"got {type(cb).__name__}"
                )
            self.callbacks.append(cb)
        if model is not None:
            self.set_model(model)
        if params is not None:
            self.set_params(params)

    def __iter__(self) -> Any:
        return iter(self.callbacks)

    def __len__(self) -> int:
        return len(self.callbacks)

    def append(self, callback: Callback) -> None:
        self.callbacks.append(callback)

    def set_model(self, model: Any) -> None:
        for cb in self.callbacks:
            cb.set_model(model)

    def set_params(self, params: dict[str, Any]) -> None:
        for cb in self.callbacks:
            cb.set_params(params)

    def _call(self, hook: str, *args: Any) -> None:
        for cb in self.callbacks:
            getattr(cb, hook)(*args)

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self._call("on_train_begin", logs)

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        self._call("on_train_end", logs)

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self._call("on_epoch_begin", epoch, logs)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self._call("on_epoch_end", epoch, logs)

    def on_train_batch_begin(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        self._call("on_train_batch_begin", batch, logs)

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        self._call("on_train_batch_end", batch, logs)

    def on_after_backward(self, batch: int, logs: dict[str, Any] | None = None) -> bool:
        skip = False
        for cb in self.callbacks:
            if cb.on_after_backward(batch, logs):
                skip = True
        return skip

    def on_test_begin(self, logs: dict[str, Any] | None = None) -> None:
        self._call("on_test_begin", logs)

    def on_test_end(self, logs: dict[str, Any] | None = None) -> None:
        self._call("on_test_end", logs)

    def on_test_batch_begin(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        self._call("on_test_batch_begin", batch, logs)

    def on_test_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        self._call("on_test_batch_end", batch, logs)


# -- History ------------------------------------------------------------------------------


class History(Callback):
    """Records the epoch logs: ``history`` maps each key (``loss``, ``val_accuracy``, ...) to
    its list of per-epoch values, ``epoch`` lists the epoch indices and ``events`` collects what
    other callbacks report (``DivergenceGuard`` recoveries). ``fit`` returns it and keeps it as
    ``model.history``."""

    def __init__(self) -> None:
        super().__init__()
        self.history: dict[str, list[float]] = {}
        self.epoch: list[int] = []
        self.events: list[dict[str, Any]] = []

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self.epoch = []
        self.history = {}
        self.events = []

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self.epoch.append(epoch)
        for k, v in (logs or {}).items():
            self.history.setdefault(k, []).append(v)

    def plot(self, path: str | os.PathLike[str], metrics: Iterable[str] | None = None) -> str:
        """Writes a PNG with one panel per metric (``loss`` first), training and validation
        curves against the epoch; ``metrics`` picks the panels (default: every logged metric
        except ``lr``). Returns the path. Needs matplotlib (``pip install "axonite[plot]"``)."""
        try:
            from matplotlib.backends.backend_agg import FigureCanvasAgg
            from matplotlib.figure import Figure
            from matplotlib.ticker import MaxNLocator
        except ImportError:
            raise ImportError(
                'History.plot: needs matplotlib; install it with: pip install "axonite[plot]"'
            ) from None
        if metrics is None:
            names = [k for k in self.history if not k.startswith("val_") and k != "lr"]
            names += [
                k[4:] for k in self.history if k.startswith("val_") and k[4:] not in self.history
            ]
        else:
            if isinstance(metrics, str):
                metrics = [metrics]
            names = [m.removeprefix("val_") for m in metrics]
            for m in names:
                if m not in self.history and f"val_{m}" not in self.history:
                    raise ValueError(
                        f"History.plot: metric {m!r} was not logged; logged: {sorted(self.history)}"
                    )
        names = sorted(dict.fromkeys(names), key=lambda k: (k != "loss", k))
        if not names:
            raise ValueError("History.plot: nothing to plot (the history is empty; call fit first)")
        fig = Figure(figsize=(5.0 * len(names), 4.0), dpi=100)
        FigureCanvasAgg(fig)
        epochs = [e + 1 for e in self.epoch]
        for i, name in enumerate(names):
            ax_ = fig.add_subplot(1, len(names), i + 1)
            for key, label in ((name, "train"), (f"val_{name}", "validation")):
                values = self.history.get(key)
                if values:
                    n = len(values)
                    xs = epochs[-n:] if len(epochs) >= n else list(range(1, n + 1))
                    ax_.plot(xs, [float(v) for v in values], marker="o", ms=3, label=label)
            ax_.set_title(name)
            ax_.set_xlabel("epoch")
            ax_.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax_.grid(True, alpha=0.3)
            ax_.legend()
        fig.tight_layout()
        out = os.fspath(path)
        fig.savefig(out, format="png")
        return out


# -- EarlyStopping ----------------------------------------------------------------------------


class _Monitor:
    """The monitored quantity, its direction and ``min_delta`` (shared by the callbacks that
    compare epochs)."""

    def __init__(self, owner: str, monitor: str, mode: str, min_delta: float) -> None:
        self.owner = owner
        self.monitor = monitor
        self.mode = _monitor_mode(owner, monitor, mode)
        self.min_delta = abs(float(min_delta))

    def better(self, current: float, reference: float | None) -> bool:
        if reference is None:
            return True
        if self.mode == "min":
            return current + self.min_delta < reference
        return current - self.min_delta > reference

    def value(self, logs: Mapping[str, Any] | None) -> float | None:
        logs = logs or {}
        if self.monitor not in logs:
            warnings.warn(
                f"{self.owner}: monitor {self.monitor!r} is not in the logs (available: "
                f"{sorted(logs)}); skipping",
                RuntimeWarning,
                stacklevel=3,
            )
            return None
        return float(logs[self.monitor])


class EarlyStopping(Callback):
    """Stops training when ``monitor`` has stopped improving (Keras semantics).

    An epoch improves when the value beats the best so far by more than ``min_delta``; after
    ``patience`` epochs without improvement training stops. ``baseline``: improvements that do
    not beat it do not reset the wait. ``restore_best_weights``: when stopping, load the
    weights of the best epoch (kept as a detached copy of the state_dict). Epochs before
    ``start_from_epoch`` are ignored (warm-up)."""

    def __init__(
        self,
        monitor: str = "val_loss",
        min_delta: float = 0.0,
        patience: int = 0,
        verbose: int = 0,
        mode: str = "auto",
        baseline: float | None = None,
        restore_best_weights: bool = False,
        start_from_epoch: int = 0,
    ) -> None:
        super().__init__()
        if not isinstance(patience, int) or patience < 0:
            raise ValueError(f"EarlyStopping: patience must be an int >= 0, got {patience!r}")
        if not isinstance(start_from_epoch, int) or start_from_epoch < 0:
            raise ValueError(
                f"EarlyStopping: start_from_epoch must be an int >= 0, got {start_from_epoch!r}"
            )
        self._m = _Monitor("EarlyStopping", monitor, mode, min_delta)
        self.monitor = monitor
        self.mode = self._m.mode
        self.min_delta = self._m.min_delta
        self.patience = patience
        self.verbose = verbose
        self.baseline = baseline
        self.restore_best_weights = restore_best_weights
        self.start_from_epoch = start_from_epoch
        self._reset()

    def _reset(self) -> None:
        self.wait = 0
        self.stopped_epoch = 0
        self.best: float | None = None
        self.best_epoch = 0
        self.best_weights: dict[str, Any] | None = None

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self._reset()

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        current = self._m.value(logs)
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights = clone_state(self.model.module.state_dict())
        self.wait += 1
        if self._m.better(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = clone_state(self.model.module.state_dict())
            if self.baseline is None or self._m.better(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True
            if self.restore_best_weights and self.best_weights is not None:
                if self.verbose > 0:
                    _write_line(
                        "EarlyStopping: restoring the weights of the best epoch "
                        f"({self.best_epoch + 1})"
                    )
                self.model.module.load_state_dict(self.best_weights)

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        if self.stopped_epoch > 0 and self.verbose > 0:
            _write_line(f"Epoch {self.stopped_epoch + 1}: early stopping")


# -- ModelCheckpoint ----------------------------------------------------------------------------


class ModelCheckpoint(Callback):
    """Saves the weights after each epoch with ``ax.save`` (safetensors; written to a temporary
    file and renamed over the target, so a crash never leaves a half-written checkpoint).

    ``filepath`` may hold format fields filled from the epoch (1-based) and the logs, e.g.
    ``"ckpt-{epoch:02d}-{val_loss:.3f}.safetensors"``. With ``save_best_only`` a file is written
    only when ``monitor`` improves. ``save_weights_only=True`` writes ``module.state_dict()``;
    ``False`` writes ``{"model": state_dict, "optimizer": optimizer state_dict, "epoch": n}``
    (axonite never pickles whole objects)."""

    def __init__(
        self,
        filepath: str | os.PathLike[str],
        monitor: str = "val_loss",
        verbose: int = 0,
        save_best_only: bool = False,
        save_weights_only: bool = True,
        mode: str = "auto",
    ) -> None:
        super().__init__()
        self.filepath = os.fspath(filepath)
        self.monitor = monitor
        self.verbose = verbose
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        self._m = _Monitor("ModelCheckpoint", monitor, mode, 0.0)
        self.mode = self._m.mode
        self.best: float | None = None
        self.saved: list[str] = []

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self.saved = []

    def _path(self, epoch: int, logs: Mapping[str, Any]) -> str:
        try:
            return self.filepath.format(epoch=epoch + 1, **logs)
        except KeyError as e:
            raise KeyError(
                f"ModelCheckpoint: filepath {self.filepath!r} names {e} which is not in the "
                f"logs (available: epoch, {', '.join(sorted(logs))})"
            ) from None

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        logs = dict(logs or {})
        if self.save_best_only:
            current = self._m.value(logs)
            if current is None or not math.isfinite(current):
                return
            if not self._m.better(current, self.best):
                if self.verbose > 0:
                    _write_line(
                        f"Epoch {epoch + 1}: {self.monitor} did not improve from {self.best:.5f}"
                    )
                return
            if self.verbose > 0:
                prev = "inf" if self.best is None else f"{self.best:.5f}"
                _write_line(
                    f"Epoch {epoch + 1}: {self.monitor} improved from {prev} to {current:.5f}"
                )
            self.best = current
        path = self._path(epoch, logs)
        directory = os.path.dirname(os.path.abspath(path))
        os.makedirs(directory, exist_ok=True)
        state = self.model.module.state_dict()
        if not self.save_weights_only:
            state = {
                "model": state,
                "optimizer": self.model.optimizer.state_dict(),
                "epoch": epoch + 1,
            }
        _save(state, path)  # ax.save writes a temp file in the same folder and os.replace()s it
        self.saved.append(path)
        if self.verbose > 0:
            _write_line(f"Epoch {epoch + 1}: saving model to {path}")


# -- learning rate ----------------------------------------------------------------------------


class LearningRateScheduler(Callback):
    """Sets the learning rate at the start of each epoch to ``schedule(epoch, lr)`` (epoch
    0-based, lr the current rate of the first param group); every param group gets it."""

    def __init__(self, schedule: Callable[[int, float], float], verbose: int = 0) -> None:
        super().__init__()
        if not callable(schedule):
            raise TypeError(
                f"LearningRateScheduler: schedule must be callable(epoch, lr), "
                f"got {type(schedule).__name__}"
            )
        self.schedule = schedule
        self.verbose = verbose

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        lr = self.schedule(epoch, get_lr(self.model.optimizer))
        if isinstance(lr, Tensor):
            lr = lr.item()
        if not isinstance(lr, (int, float)) or not math.isfinite(lr):
            raise ValueError(
                f"LearningRateScheduler: schedule must return a finite float, got {lr!r}"
            )
        set_lr(self.model.optimizer, float(lr))
        if self.verbose > 0:
            _write_line(f"Epoch {epoch + 1}: LearningRateScheduler setting learning rate to {lr}")

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if logs is not None:
            logs["lr"] = get_lr(self.model.optimizer)


class ReduceLROnPlateau(Callback):
    """Multiplies the learning rate by ``factor`` once ``monitor`` has not improved by more than
    ``min_delta`` for ``patience`` epochs, then waits ``cooldown`` epochs; never below
    ``min_lr`` (Keras' callback; ``ax.optim.lr_scheduler.ReduceLROnPlateau`` is the
    PyTorch-style scheduler)."""

    def __init__(
        self,
        monitor: str = "val_loss",
        factor: float = 0.1,
        patience: int = 10,
        verbose: int = 0,
        mode: str = "auto",
        min_delta: float = 1e-4,
        cooldown: int = 0,
        min_lr: float = 0.0,
    ) -> None:
        super().__init__()
        if not 0.0 < factor < 1.0:
            raise ValueError(f"ReduceLROnPlateau: factor must be in (0, 1), got {factor!r}")
        self._m = _Monitor("ReduceLROnPlateau", monitor, mode, min_delta)
        self.monitor = monitor
        self.factor = float(factor)
        self.patience = patience
        self.verbose = verbose
        self.cooldown = cooldown
        self.min_lr = float(min_lr)
        self.best: float | None = None
        self.wait = 0
        self.cooldown_counter = 0

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self.best, self.wait, self.cooldown_counter = None, 0, 0

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        current = self._m.value(logs)
        if logs is not None:
            logs["lr"] = get_lr(self.model.optimizer)
        if current is None:
            return
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.wait = 0
        if self._m.better(current, self.best):
            self.best = current
            self.wait = 0
            return
        if self.cooldown_counter > 0:
            return
        self.wait += 1
        if self.wait >= self.patience:
            old = get_lr(self.model.optimizer)
            if old > self.min_lr:
                new = max(old * self.factor, self.min_lr)
                set_lr(self.model.optimizer, new)
                if self.verbose > 0:
                    _write_line(f"Epoch {epoch + 1}: ReduceLROnPlateau reducing lr to {new:.4e}")
                self.cooldown_counter = self.cooldown
                self.wait = 0


# -- logging --------------------------------------------------------------------------------


class CSVLogger(Callback):
    """Streams the epoch logs to a CSV file: a header ``epoch,<keys sorted>`` and one row per
    epoch (Keras' format). ``append=True`` continues an existing file without a new header."""

    def __init__(
        self, filename: str | os.PathLike[str], separator: str = ",", append: bool = False
    ) -> None:
        super().__init__()
        self.filename = os.fspath(filename)
        self.sep = separator
        self.append = append
        self.keys: list[str] | None = None
        self._file: Any = None
        self._writer: Any = None
        self._header_written = False

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self._header_written = False
        if self.append and os.path.exists(self.filename):
            with open(self.filename, encoding="utf-8") as f:
                self._header_written = bool(f.readline().strip())
        self._file = open(  # noqa: SIM115 - closed in on_train_end
            self.filename, "a" if self.append else "w", newline="", encoding="utf-8"
        )
        self.keys = None
        self._writer = None

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs)
        if self._writer is None:
            self._writer = csv.DictWriter(
                self._file, fieldnames=["epoch", *self.keys], delimiter=self.sep
            )
            if not self._header_written:
                self._writer.writeheader()
                self._header_written = True
        row: dict[str, Any] = {"epoch": epoch}
        for k in self.keys:
            v = logs.get(k, "NA")
            row[k] = repr(float(v)) if isinstance(v, (int, float)) else v
        self._writer.writerow(row)
        self._file.flush()

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
            self._writer = None


class TensorBoard(Callback):
    """Writes the logs as TensorBoard scalars, in Keras' layout: ``log_dir/train`` holds
    ``epoch_loss``, ``epoch_accuracy``, ``epoch_learning_rate`` ..., ``log_dir/validation``
    the ``val_*`` values under the same tags, so TensorBoard overlays training and validation.
    ``update_freq``: ``"epoch"``, or an int N to also write ``batch_<metric>`` (running epoch
    averages) every N batches, stepped by the global batch count.

    Uses the ``tensorboard`` package's own event-file writer (``pip install tensorboard``);
    PyTorch is not needed."""

    def __init__(self, log_dir: str | os.PathLike[str] = "logs", update_freq: str | int = "epoch"):
        super().__init__()
        try:
            from tensorboard.compat.proto import event_pb2, summary_pb2
            from tensorboard.summary.writer.event_file_writer import EventFileWriter
        except ImportError:
            raise ImportError(
                "TensorBoard: needs the tensorboard package; install it with: "
                'pip install "axonite[tensorboard]"'
            ) from None
        if update_freq != "epoch" and not (isinstance(update_freq, int) and update_freq >= 1):
            raise ValueError(
                f"TensorBoard: update_freq must be 'epoch' or a positive int, got {update_freq!r}"
            )
        self._event_pb2 = event_pb2
        self._summary_pb2 = summary_pb2
        self._writer_cls = EventFileWriter
        self.log_dir = os.fspath(log_dir)
        self.update_freq = update_freq
        self._writers: dict[str, Any] = {}
        self._global_batch = 0

    def _writer(self, run: str) -> Any:
        if run not in self._writers:
            path = os.path.join(self.log_dir, run)
            os.makedirs(path, exist_ok=True)
            self._writers[run] = self._writer_cls(path)
        return self._writers[run]

    def _scalar(self, run: str, tag: str, value: float, step: int) -> None:
        summary = self._summary_pb2.Summary(
            value=[self._summary_pb2.Summary.Value(tag=tag, simple_value=float(value))]
        )
        self._writer(run).add_event(self._event_pb2.Event(step=int(step), summary=summary))

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self._global_batch = 0

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        self._global_batch += 1
        if self.update_freq == "epoch" or self._global_batch % int(self.update_freq):
            return
        for k, v in (logs or {}).items():
            if is_finite_number(v) and k not in ("batch", "size"):
                self._scalar("train", f"batch_{k}", v, self._global_batch)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        for k, v in (logs or {}).items():
            try:
                value = float(v)
            except (TypeError, ValueError):
                continue
            if k == "lr":
                self._scalar("train", "epoch_learning_rate", value, epoch)
            elif k.startswith("val_"):
                self._scalar("validation", f"epoch_{k[4:]}", value, epoch)
            else:
                self._scalar("train", f"epoch_{k}", value, epoch)
        for w in self._writers.values():
            w.flush()

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        for w in self._writers.values():
            w.close()
        self._writers = {}


# -- safety ---------------------------------------------------------------------------------


class TerminateOnNaN(Callback):
    """Stops training as soon as a batch's running loss is NaN or infinite."""

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        loss = (logs or {}).get("loss")
        if loss is not None and not is_finite_number(loss):
            _write_line(f"Batch {batch}: Invalid loss, terminating training")
            self.model.stop_training = True


class DivergenceGuard(Callback):
    """Recovers from a diverging run instead of letting NaN/Inf destroy it.

    On healthy batches (finite loss and, with ``check_grads``, finite gradients) it keeps a
    snapshot, every ``snapshot_every`` healthy batches, of the model and optimizer state (deep
    copies), taken before the step so that it holds weights known to give finite values.
    When a batch's loss or a gradient is not finite it

    1. names the culprit: non-finite values in the batch itself (``"<input>"``); else it
       re-runs the batch's forward (``model.current_batch``) with forward hooks and reports the
       first module whose output is not finite; when the forward is finite, the loss
       (``"<loss>"``) or the module owning the first non-finite gradient;
    2. skips the optimizer step; unless the batch itself was bad (a data problem that a
       smaller step cannot fix: the batch is only skipped), restores the snapshot and
       multiplies every param group's lr by ``factor``;
    3. records ``{epoch, batch, reason, module, parameter, lr_before, lr_after}`` (lr of the
       first param group) in ``guard.events`` and in ``model.history.events``, and prints a
       warning line when ``verbose``.

    After ``max_recoveries`` recoveries the next divergence restores the snapshot and stops
    training (``model.stop_training``) with a RuntimeWarning.
    """

    def __init__(
        self,
        factor: float = 0.5,
        max_recoveries: int = 5,
        snapshot_every: int = 1,
        check_grads: bool = True,
        verbose: int = 1,
    ) -> None:
        super().__init__()
        if not 0.0 < factor <= 1.0:
            raise ValueError(f"DivergenceGuard: factor must be in (0, 1], got {factor!r}")
        if not isinstance(max_recoveries, int) or max_recoveries < 0:
            raise ValueError(
                f"DivergenceGuard: max_recoveries must be an int >= 0, got {max_recoveries!r}"
            )
        if not isinstance(snapshot_every, int) or snapshot_every < 1:
            raise ValueError(
                f"DivergenceGuard: snapshot_every must be a positive int, got {snapshot_every!r}"
            )
        self.factor = float(factor)
        self.max_recoveries = max_recoveries
        self.snapshot_every = snapshot_every
        self.check_grads = check_grads
        self.verbose = verbose
        self.events: list[dict[str, Any]] = []
        self.recoveries = 0
        self._snapshot: tuple[dict[str, Any], dict[str, Any]] | None = None
        self._healthy = 0
        self._epoch = 0

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self.events = []
        self.recoveries = 0
        self._healthy = 0
        self._take_snapshot()

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self._epoch = epoch

    def _take_snapshot(self) -> None:
        self._snapshot = (
            clone_state(self.model.module.state_dict()),
            clone_state(self.model.optimizer.state_dict()),
        )

    def _params(self) -> list[tuple[str, Any]]:
        return [(n, p) for n, p in self.model.module.named_parameters() if p.grad is not None]

    def _grads_finite(self) -> bool:
        grads = [p.grad for _, p in self._params()]
        if not grads:
            return True
        with no_grad():
            total = _C.stack([(g.detach() * 0).sum().to(_C.float64) for g in grads]).sum()
        return math.isfinite(float(total))

    def on_after_backward(self, batch: int, logs: dict[str, Any] | None = None) -> bool | None:
        loss = (logs or {}).get("loss")
        loss_ok = loss is None or is_finite_number(loss)
        if loss_ok and (not self.check_grads or self._grads_finite()):
            self._healthy += 1
            if self._healthy % self.snapshot_every == 0:
                self._take_snapshot()
            return None
        self._recover(batch, loss_ok)
        return True

    def _find_culprit(self, loss_ok: bool) -> tuple[str, str | None, str | None]:
        """(reason, module name, parameter name) for the current divergence."""
        module = self.model.module
        current = getattr(self.model, "current_batch", None)
        if current is not None:
            for part, what in zip(current, ("input", "target"), strict=False):
                parts = part if isinstance(part, (tuple, list)) else (part,)
                if any(
                    isinstance(t, Tensor) and t.is_floating_point() and not tensor_is_finite(t)
                    for t in parts
                ):
                    return f"non-finite values in the batch's {what}", "<input>", None
            bad = self._first_nonfinite_module(module, current[0])
            if bad is not None:
                name, cls = bad
                return f"non-finite output of module '{name}' ({cls})", name, None
        if not loss_ok:
            return "non-finite loss (the forward output is finite)", "<loss>", None
        for pname, p in self._params():
            if not tensor_is_finite(p.grad):
                owner = pname.rpartition(".")[0]
                return f"non-finite gradient of parameter '{pname}'", owner, pname
        return "non-finite gradient", None, None

    @staticmethod
    def _first_nonfinite_module(module: Any, x: Any) -> tuple[str, str] | None:
        found: list[tuple[str, str]] = []
        names = {id(m): n for n, m in module.named_modules()}

        def hook(mod: Any, args: Any, out: Any) -> None:
            if found:
                return
            outs = out if isinstance(out, (tuple, list)) else (out,)
            for o in outs:
                if isinstance(o, Tensor) and o.is_floating_point() and not tensor_is_finite(o):
                    name = names.get(id(mod), "")
                    found.append((name or type(mod).__name__, type(mod).__name__))
                    return

        handles = [m.register_forward_hook(hook) for _, m in module.named_modules()]
        try:
            with no_grad():
                module(*x) if isinstance(x, (tuple, list)) else module(x)
        except (RuntimeError, ValueError, ArithmeticError):
            # A layer that refuses non-finite input: the modules that ran before it were checked.
            return found[0] if found else None
        finally:
            for h in handles:
                h.remove()
        return found[0] if found else None

    def _recover(self, batch: int, loss_ok: bool) -> None:
        reason, module_name, param_name = self._find_culprit(loss_ok)
        opt = self.model.optimizer
        lr_before = [float(g["lr"]) for g in opt.param_groups]
        if module_name == "<input>":
            # Bad data: the weights are fine (the step is skipped), so keep them and the lr.
            opt.zero_grad(set_to_none=True)
            self._record(batch, reason, module_name, None, lr_before, lr_before, False)
            if self.verbose > 0:
                _write_line(
                    f"DivergenceGuard: epoch {self._epoch + 1}, batch {batch}: {reason}; "
                    f"skipped the batch"
                )
            return
        stop = self.recoveries >= self.max_recoveries
        if self._snapshot is not None:
            # Both loads copy (parameters with copy_, optimizer tensors with clone), so the
            # snapshot stays intact for a later recovery.
            model_state, opt_state = self._snapshot
            self.model.module.load_state_dict(model_state)
            opt.load_state_dict(opt_state)
        opt.zero_grad(set_to_none=True)
        lr_after = lr_before if stop else [lr * self.factor for lr in lr_before]
        set_lr(opt, lr_after)
        self._record(batch, reason, module_name, param_name, lr_before, lr_after, stop)
        if stop:
            self.model.stop_training = True
            msg = (
                f"DivergenceGuard: training diverged again at epoch {self._epoch + 1}, batch "
                f"{batch} ({reason}) after {self.recoveries} recoveries (max_recoveries="
                f"{self.max_recoveries}); restored the last good weights and stopped training"
            )
            warnings.warn(msg, RuntimeWarning, stacklevel=2)
            if self.verbose > 0:
                _write_line(msg)
            return
        self.recoveries += 1
        if self.verbose > 0:
            _write_line(
                f"DivergenceGuard: epoch {self._epoch + 1}, batch {batch}: {reason}; restored the "
                f"last good state, lr {lr_before[0]:.4g} -> {lr_after[0]:.4g} "
                f"(recovery {self.recoveries}/{self.max_recoveries})"
            )

    def _record(
        self,
        batch: int,
        reason: str,
        module_name: str | None,
        param_name: str | None,
        lr_before: list[float],
        lr_after: list[float],
        stop: bool,
    ) -> None:
        event = {
            "epoch": self._epoch,
            "batch": batch,
            "reason": reason,
            "module": module_name,
            "parameter": param_name,
            "lr_before": lr_before[0],
            "lr_after": lr_after[0],
            "stopped": stop,
        }
        self.events.append(event)
        history = getattr(self.model, "history", None)
        if history is not None and hasattr(history, "events"):
            history.events.append(event)
