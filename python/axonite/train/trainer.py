"""``ax.train.Model`` (alias ``Trainer``): Keras' compile / fit / evaluate / predict on top of
an ``ax.nn.Module``, a PyTorch optimizer and a PyTorch loss.

    >>> model = ax.train.Model(net)
    >>> model.compile(optimizer="adam", loss="cross_entropy", metrics=["accuracy"])
    >>> history = model.fit(x, y, epochs=10, validation_split=0.2,
    ...                     callbacks=[ax.train.EarlyStopping(patience=2)])
    >>> model.evaluate(x_test, y_test)          # {"loss": ..., "accuracy": ...}

One training step is the plain PyTorch loop: ``module.train()``, ``zero_grad(set_to_none=True)``,
forward, loss, ``backward``, the ``on_after_backward`` callbacks (which may veto the step),
optional clipping (``clip_grad_norm_`` / ``clip_grad_value_``), ``optimizer.step()``. With
``accumulation_steps=k`` the loss is scaled by ``1/k`` and the optimizer steps every ``k``
batches (and once more at the end of the epoch for a partial window), so ``k`` batches of
``b`` samples give the gradient of one batch of ``k*b``.

Inputs: tensors or NumPy arrays (``x`` and ``y``; float arrays become float32, integer arrays
int64), a map-style ``Dataset`` yielding ``(x, y)`` samples, or a ``DataLoader`` yielding
``(x, y)`` batches (``y=None``). Batches with more than two entries pass all but the last to the
module as positional inputs.
"""

from __future__ import annotations

import contextlib
import math
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import numpy as np

from .. import _C, nn, optim
from .._C import Tensor
from ..autograd import no_grad
from ..nn.modules.module import Module
from ..nn.utils import clip_grad_norm_, clip_grad_value_
from ..optim.lr_scheduler import ReduceLROnPlateau as _PlateauScheduler
from ..serialization import load as _load
from ..serialization import save as _save
from ..utils.data import DataLoader, Dataset, TensorDataset
from .callbacks import Callback, CallbackList, History, get_lr, set_lr
from .metrics import Metric, get_metric
from .progress import ProgbarLogger

__all__ = ["Model", "Trainer"]

# name -> (optimizer class, Keras' default learning rate)
_OPTIMIZERS: dict[str, tuple[type[optim.Optimizer], float]] = {
    "sgd": (optim.SGD, 0.01),
    "adam": (optim.Adam, 0.001),
    "adamw": (optim.AdamW, 0.001),
    "rmsprop": (optim.RMSprop, 0.001),
    "adagrad": (optim.Adagrad, 0.001),
    "adadelta": (optim.Adadelta, 0.001),
    "nadam": (optim.NAdam, 0.001),
}

# name -> (loss module class, canonical name used as the metrics' hint)
_LOSSES: dict[str, tuple[type[Module], str]] = {
    "cross_entropy": (nn.CrossEntropyLoss, "cross_entropy"),
    "sparse_categorical_crossentropy": (nn.CrossEntropyLoss, "cross_entropy"),
    "mse": (nn.MSELoss, "mse"),
    "mean_squared_error": (nn.MSELoss, "mse"),
    "mae": (nn.L1Loss, "mae"),
    "l1": (nn.L1Loss, "mae"),
    "mean_absolute_error": (nn.L1Loss, "mae"),
    "huber": (nn.HuberLoss, "huber"),
    "bce": (nn.BCELoss, "bce"),
    "binary_crossentropy": (nn.BCELoss, "bce"),
    "bce_with_logits": (nn.BCEWithLogitsLoss, "bce_with_logits"),
    "nll": (nn.NLLLoss, "nll"),
    "hinge": (nn.MultiMarginLoss, "hinge"),
}

# loss module class -> canonical name (the hint that tells `accuracy` how to read predictions)
_LOSS_NAMES: dict[type, str] = dict(_LOSSES.values())


def _loss_hint(loss: Any) -> str | None:
    for cls, name in _LOSS_NAMES.items():
        if isinstance(loss, cls):
            return name
    return None


def _as_tensor(value: Any, owner: str, arg: str) -> Tensor:
    """A tensor from a tensor, NumPy array or nested list; float arrays become float32 (the
    parameters' dtype), integer arrays int64 (class labels), as Keras casts inputs."""
    if isinstance(value, Tensor):
        return value
    if isinstance(value, (list, tuple)) or np.isscalar(value):
        value = np.asarray(value)
    if isinstance(value, np.ndarray):
        if value.dtype.kind == "f":
            value = value.astype(np.float32, copy=False)
        elif value.dtype.kind in "iu":
            value = value.astype(np.int64, copy=False)
        elif value.dtype.kind != "b":
            raise TypeError(f"{owner}: {arg} has unsupported NumPy dtype {value.dtype}")
        return _C.from_numpy(np.ascontiguousarray(value))
    raise TypeError(
        f"{owner}: {arg} must be an axonite Tensor, a NumPy array, a Dataset or a DataLoader, "
        f"got {type(value).__name__}"
    )


def _is_loader(obj: Any) -> bool:
    return isinstance(obj, DataLoader)


def _is_dataset(obj: Any) -> bool:
    return isinstance(obj, Dataset) or (
        not isinstance(obj, (Tensor, np.ndarray, list, tuple, str, bytes, dict))
        and hasattr(obj, "__getitem__")
        and hasattr(obj, "__len__")
    )


def _split_batch(batch: Any, owner: str) -> tuple[Any, Any]:
    """(inputs, target) from a batch: ``(x, y)``, or ``(x1, ..., xn, y)`` for several inputs."""
    if isinstance(batch, (list, tuple)) and len(batch) >= 2:
        if len(batch) == 2:
            return batch[0], batch[1]
        return tuple(batch[:-1]), batch[-1]
    raise ValueError(
        f"{owner}: each batch must be a pair (x, y) (or (x1, ..., xn, y)), got "
        f"{type(batch).__name__}"
        + (f" of length {len(batch)}" if hasattr(batch, "__len__") else "")
    )


def _batch_len(x: Any, y: Any) -> int:
    t = y if isinstance(y, Tensor) else (x[0] if isinstance(x, tuple) else x)
    return int(t.shape[0]) if isinstance(t, Tensor) and t.ndim > 0 else 1


def _is_int(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


class _Mean:
    """Sample-weighted running mean of per-batch loss values (float64 accumulation)."""

    def __init__(self) -> None:
        self.total = 0.0
        self.count = 0

    def update(self, value: float, n: int) -> None:
        self.total += value * n
        self.count += n

    def result(self) -> float:
        return self.total / self.count if self.count else math.nan


class Model:
    """Keras-style training wrapper around an ``nn.Module``.

    Attributes:
        module: the wrapped ``nn.Module`` (calling the Model calls it).
        optimizer, loss_fn, metrics, scheduler: set by :meth:`compile`.
        history: the ``History`` of the last :meth:`fit`.
        stop_training: set to True (by a callback) to end ``fit`` after the current batch.
        current_batch: the ``(x, y)`` batch being trained on (for callbacks such as
            ``DivergenceGuard``); ``current_epoch``: the epoch index.
    """

    def __init__(self, module: Module) -> None:
        if not isinstance(module, Module):
            raise TypeError(f"Model: module must be an ax.nn.Module, got {type(module).__name__}")
        self.module = module
        self.optimizer: Any = None
        self.loss_fn: Callable[[Any, Any], Tensor] | None = None
        self.loss_name: str | None = None
        self.metrics: list[Metric] = []
        self.scheduler: Any = None
        self.grad_clip_norm: float | None = None
        self.grad_clip_value: float | None = None
        self.stop_training = False
        self.history: History | None = None
        self.current_batch: tuple[Any, Any] | None = None
        self.current_epoch = 0
        self._train_iter: Iterator[Any] | None = None

    # -- plumbing ----------------------------------------------------------------------------

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.module(*args, **kwargs)

    def __repr__(self) -> str:
        opt = type(self.optimizer).__name__ if self.optimizer is not None else None
        return f"Model(module={type(self.module).__name__}, optimizer={opt}, loss={self.loss_name})"

    def parameters(self) -> Iterator[Any]:
        return self.module.parameters()

    def state_dict(self) -> dict[str, Any]:
        return self.module.state_dict()

    def load_state_dict(self, state_dict: Any, strict: bool = True) -> Any:
        return self.module.load_state_dict(state_dict, strict=strict)

    def save_weights(self, path: str | os.PathLike[str]) -> None:
        """Writes ``module.state_dict()`` with ``ax.save`` (safetensors)."""
        _save(self.module.state_dict(), path)

    def load_weights(self, path: str | os.PathLike[str], strict: bool = True) -> Any:
        """Loads weights written by :meth:`save_weights` (or any safetensors state_dict)."""
        return self.module.load_state_dict(_load(path), strict=strict)

    def summary(self, input_size: Any, **kwargs: Any) -> Any:
        """``ax.train.summary(self.module, input_size)``: layers, output shapes, parameters."""
        from .summary import summary

        return summary(self.module, input_size, **kwargs)

    # -- compile -----------------------------------------------------------------------------

    def compile(
        self,
        optimizer: str | optim.Optimizer | Callable[..., optim.Optimizer] = "adam",
        loss: str | Module | Callable[[Any, Any], Tensor] = "cross_entropy",
        metrics: Sequence[Any] | None = None,
        lr: float | None = None,
        scheduler: Any = None,
        grad_clip_norm: float | None = None,
        grad_clip_value: float | None = None,
    ) -> Model:
        """Chooses the optimizer, loss and metrics.

        Args:
            optimizer: a name (``'sgd'``, ``'adam'``, ``'adamw'``, ``'rmsprop'``, ``'adagrad'``,
                ``'adadelta'``, ``'nadam'``; Keras' default lr: 0.01 for SGD, 0.001 otherwise),
                an ``ax.optim.Optimizer`` over this module's parameters, or
                ``callable(params) -> Optimizer``.
            loss: a name (``'cross_entropy'``/``'sparse_categorical_crossentropy'``, ``'mse'``,
                ``'mae'``/``'l1'``, ``'huber'``, ``'bce'``, ``'bce_with_logits'``, ``'nll'``,
                ``'hinge'`` = ``MultiMarginLoss``), an ``nn`` loss module, or
                ``callable(y_pred, y_true) -> scalar tensor``.
            metrics: metric names or ``Metric`` objects (see ``ax.train.get_metric``).
            lr: the learning rate (overrides the default, or the instance's groups).
            scheduler: an ``ax.optim.lr_scheduler`` instance for this optimizer, or
                ``callable(optimizer) -> scheduler``; stepped once per epoch
                (``ReduceLROnPlateau`` with ``val_loss``, or ``loss`` without validation).
            grad_clip_norm: clip the total gradient norm to this value before each step.
            grad_clip_value: clamp every gradient element to ``[-v, v]`` before each step.
        """
        if lr is not None and not (isinstance(lr, (int, float)) and lr >= 0 and math.isfinite(lr)):
            raise ValueError(f"Model.compile: lr must be a finite number >= 0, got {lr!r}")
        for name, v in (("grad_clip_norm", grad_clip_norm), ("grad_clip_value", grad_clip_value)):
            if v is not None and not (isinstance(v, (int, float)) and v > 0):
                raise ValueError(f"Model.compile: {name} must be a positive number, got {v!r}")
        self.optimizer = self._make_optimizer(optimizer, lr)
        self.loss_fn, self.loss_name = self._make_loss(loss)
        self.metrics = self._make_metrics(metrics)
        self.scheduler = self._make_scheduler(scheduler)
        self.grad_clip_norm = None if grad_clip_norm is None else float(grad_clip_norm)
        self.grad_clip_value = None if grad_clip_value is None else float(grad_clip_value)
        self._train_iter = None
        return self

    def _make_optimizer(self, spec: Any, lr: float | None) -> optim.Optimizer:
        if isinstance(spec, str):
            key = spec.lower()
            if key not in _OPTIMIZERS:
                raise ValueError(
                    f"Model.compile: unknown optimizer {spec!r}; choose one of "
                    f"{sorted(_OPTIMIZERS)}, or pass an ax.optim.Optimizer"
                )
            cls, default_lr = _OPTIMIZERS[key]
            return cls(self.module.parameters(), lr=default_lr if lr is None else float(lr))
        if isinstance(spec, optim.Optimizer):
            opt = spec
        elif callable(spec):
            opt = spec(self.module.parameters())
            if not isinstance(opt, optim.Optimizer):
                raise TypeError(
                    "Model.compile: optimizer callable must return an ax.optim.Optimizer, got "
                    f"{type(opt).__name__}"
                )
        else:
            raise TypeError(
                "Model.compile: optimizer must be a name, an ax.optim.Optimizer or "
                f"callable(params), got {type(spec).__name__}"
            )
        if lr is not None:
            set_lr(opt, float(lr))
        return opt

    @staticmethod
    def _make_loss(spec: Any) -> tuple[Callable[[Any, Any], Tensor], str | None]:
        if isinstance(spec, str):
            key = spec.lower()
            if key not in _LOSSES:
                raise ValueError(
                    f"Model.compile: unknown loss {spec!r}; choose one of {sorted(_LOSSES)}, "
                    "or pass an nn loss module or callable(y_pred, y_true)"
                )
            cls, name = _LOSSES[key]
            return cls(), name
        if callable(spec):
            return spec, _loss_hint(spec)
        raise TypeError(
            "Model.compile: loss must be a name, an nn loss module or callable(y_pred, y_true), "
            f"got {type(spec).__name__}"
        )

    def _make_metrics(self, metrics: Sequence[Any] | None) -> list[Metric]:
        if metrics is None:
            return []
        if isinstance(metrics, (str, Metric)) or callable(metrics):
            metrics = [metrics]
        out = [get_metric(m, loss=self.loss_fn) for m in metrics]
        names = [m.name for m in out]
        dup = sorted({n for n in names if names.count(n) > 1 or n == "loss"})
        if dup:
            raise ValueError(f"Model.compile: metric names must be unique and not 'loss': {dup}")
        return out

    def _make_scheduler(self, spec: Any) -> Any:
        if spec is None:
            return None
        sched = spec
        if not hasattr(spec, "step") and callable(spec):
            sched = spec(self.optimizer)
        if not hasattr(sched, "step") or not hasattr(sched, "optimizer"):
            raise TypeError(
                "Model.compile: scheduler must be an ax.optim.lr_scheduler instance or "
                f"callable(optimizer), got {type(sched).__name__}"
            )
        if sched.optimizer is not self.optimizer:
            raise ValueError(
                "Model.compile: scheduler is bound to another optimizer; pass "
                "callable(optimizer), e.g. lambda opt: StepLR(opt, 10)"
            )
        return sched

    def _check_compiled(self, owner: str) -> None:
        if self.optimizer is None or self.loss_fn is None:
            raise RuntimeError(f"Model.{owner}: call compile() first")

    # -- data --------------------------------------------------------------------------------

    def _tensor_pair(self, owner: str, x: Any, y: Any) -> tuple[Tensor, Tensor]:
        if y is None:
            raise ValueError(f"{owner}: y is required when x is a tensor or array")
        xt, yt = _as_tensor(x, owner, "x"), _as_tensor(y, owner, "y")
        if xt.ndim == 0 or yt.ndim == 0:
            raise ValueError(
                f"{owner}: x and y need a batch dimension, got shapes {tuple(xt.shape)} and "
                f"{tuple(yt.shape)}"
            )
        if xt.shape[0] != yt.shape[0]:
            raise ValueError(
                f"{owner}: x and y must have the same length (first dimension), got "
                f"{xt.shape[0]} and {yt.shape[0]}"
            )
        return xt, yt

    def _loader(
        self,
        owner: str,
        x: Any,
        y: Any,
        batch_size: int,
        shuffle: bool = False,
        generator: Any = None,
    ) -> Any:
        """A DataLoader over ``x`` (tensor/array with ``y``, Dataset, or DataLoader)."""
        if _is_loader(x):
            if y is not None:
                raise ValueError(f"{owner}: y must be None when x is a DataLoader")
            return x
        if not _is_int(batch_size) or batch_size < 1:
            raise ValueError(f"{owner}: batch_size must be a positive int, got {batch_size!r}")
        if isinstance(x, (Tensor, np.ndarray, list)):
            dataset: Any = TensorDataset(*self._tensor_pair(owner, x, y))
        elif _is_dataset(x):
            if y is not None:
                raise ValueError(f"{owner}: y must be None when x is a Dataset")
            dataset = x
        elif x is None:
            raise ValueError(f"{owner}: x is required")
        else:
            raise TypeError(
                f"{owner}: x must be a Tensor, a NumPy array, a Dataset or a DataLoader, got "
                f"{type(x).__name__}"
            )
        return DataLoader(dataset, batch_size=int(batch_size), shuffle=shuffle, generator=generator)

    def _fit_loaders(
        self,
        x: Any,
        y: Any,
        batch_size: int,
        validation_split: float,
        validation_data: Any,
        shuffle: bool,
        generator: Any,
    ) -> tuple[Any, Any]:
        owner = "fit"
        val_loader = None
        if validation_split:
            if _is_loader(x) or _is_dataset(x):
                raise ValueError(
                    "fit: validation_split needs x and y as tensors or arrays, got "
                    f"{type(x).__name__}; pass validation_data instead"
                )
            xt, yt = self._tensor_pair(owner, x, y)
            n = int(xt.shape[0])
            split_at = math.floor(n * (1.0 - validation_split))
            if split_at == 0 or split_at == n:
                raise ValueError(
                    f"fit: validation_split={validation_split} leaves "
                    f"{'no training' if split_at == 0 else 'no validation'} samples out of {n}"
                )
            # The last fraction, taken before any shuffling (Keras' rule).
            x, y = xt[:split_at], yt[:split_at]
            val_loader = self._loader(owner, xt[split_at:], yt[split_at:], batch_size)
        train_loader = self._loader(owner, x, y, batch_size, shuffle, generator)
        if validation_data is not None:
            vd = validation_data
            if _is_loader(vd) or _is_dataset(vd):
                val_loader = self._loader(owner, vd, None, batch_size)
            elif isinstance(vd, (list, tuple)) and len(vd) == 2:
                val_loader = self._loader(owner, vd[0], vd[1], batch_size)
            else:
                what = f"of length {len(vd)}" if isinstance(vd, (list, tuple)) else ""
                raise ValueError(
                    "fit: validation_data must be a pair (x_val, y_val), a Dataset or a "
                    f"DataLoader, got {type(vd).__name__} {what}".rstrip()
                )
        return train_loader, val_loader

    # -- one batch -----------------------------------------------------------------------------

    def _forward(self, x: Any) -> Any:
        return self.module(*x) if isinstance(x, tuple) else self.module(x)

    def _loss(self, y_pred: Any, y: Any) -> Tensor:
        loss = self.loss_fn(y_pred, y)  # type: ignore[misc]
        if not isinstance(loss, Tensor) or loss.numel() != 1:
            shape = tuple(loss.shape) if isinstance(loss, Tensor) else type(loss).__name__
            raise ValueError(f"Model: the loss must return a scalar tensor, got {shape}")
        return loss

    def _update_metrics(self, y: Any, y_pred: Any) -> None:
        if self.metrics:
            pred = y_pred.detach() if isinstance(y_pred, Tensor) else y_pred
            for m in self.metrics:
                m.update_state(y, pred)

    def _logs(self, tracker: _Mean, prefix: str = "") -> dict[str, float]:
        logs = {f"{prefix}loss": tracker.result()}
        for m in self.metrics:
            logs[f"{prefix}{m.name}"] = float(m.result())
        return logs

    def _reset_metrics(self) -> None:
        for m in self.metrics:
            m.reset_state()

    def _zero_grad(self) -> None:
        self.module.zero_grad(set_to_none=True)
        self.optimizer.zero_grad(set_to_none=True)

    def _step(self) -> None:
        """Clips (when asked) and applies the accumulated gradients, then clears them."""
        if self.grad_clip_norm is not None or self.grad_clip_value is not None:
            params = [p for g in self.optimizer.param_groups for p in g["params"]]
            if self.grad_clip_norm is not None:
                clip_grad_norm_(params, self.grad_clip_norm)
            if self.grad_clip_value is not None:
                clip_grad_value_(params, self.grad_clip_value)
        self.optimizer.step()
        self._zero_grad()

    def train_on_batch(self, x: Any, y: Any) -> dict[str, float]:
        """One optimizer step on one batch; returns that batch's loss and metrics."""
        self._check_compiled("train_on_batch")
        x, y = self._tensor_pair("train_on_batch", x, y)
        self.module.train()
        self._zero_grad()
        self._reset_metrics()
        self.current_batch = (x, y)
        y_pred = self._forward(x)
        loss = self._loss(y_pred, y)
        loss.backward()
        self._step()
        tracker = _Mean()
        tracker.update(float(loss.detach()), _batch_len(x, y))
        self._update_metrics(y, y_pred)
        return self._logs(tracker)

    def test_on_batch(self, x: Any, y: Any) -> dict[str, float]:
        """Loss and metrics of one batch in eval mode, without gradients."""
        self._check_compiled("test_on_batch")
        x, y = self._tensor_pair("test_on_batch", x, y)
        was_training = self.module.training
        self.module.eval()
        self._reset_metrics()
        try:
            with no_grad():
                y_pred = self._forward(x)
                tracker = _Mean()
                tracker.update(float(self._loss(y_pred, y)), _batch_len(x, y))
                self._update_metrics(y, y_pred)
        finally:
            self.module.train(was_training)
        return self._logs(tracker)

    # -- fit -----------------------------------------------------------------------------------

    def fit(
        self,
        x: Any = None,
        y: Any = None,
        batch_size: int = 32,
        epochs: int = 1,
        verbose: int | str = 1,
        callbacks: Iterable[Callback] | None = None,
        validation_split: float = 0.0,
        validation_data: Any = None,
        shuffle: bool = True,
        initial_epoch: int = 0,
        accumulation_steps: int = 1,
        generator: Any = None,
        steps_per_epoch: int | None = None,
    ) -> History:
        """Trains for ``epochs - initial_epoch`` epochs and returns the ``History``.

        Args:
            x, y: training data (see the module docstring); ``y`` only with tensors/arrays.
            batch_size: samples per batch (ignored when ``x`` is a DataLoader).
            epochs: index of the last epoch (Keras: training runs from ``initial_epoch``).
            verbose: 0 silent, 1 a progress bar per epoch, 2 one line per epoch.
            callbacks: ``ax.train.Callback`` objects.
            validation_split: fraction in [0, 1) of the samples, taken from the end of ``x``
                and ``y`` before shuffling, held out for validation.
            validation_data: ``(x_val, y_val)``, a Dataset or a DataLoader.
            shuffle: reshuffle the training samples every epoch.
            initial_epoch: the epoch to start from (to resume).
            accumulation_steps: batches whose gradients are summed (loss scaled by 1/k) before
                each optimizer step.
            generator: ``ax.Generator`` driving the shuffling (reproducible order).
            steps_per_epoch: batches per epoch; the data is cycled across epochs as needed.
        """
        self._check_compiled("fit")
        verbose = self._check_fit_args(
            verbose,
            epochs,
            initial_epoch,
            validation_split,
            validation_data,
            accumulation_steps,
            steps_per_epoch,
        )
        train_loader, val_loader = self._fit_loaders(
            x, y, batch_size, validation_split, validation_data, bool(shuffle), generator
        )
        self._train_iter = None
        steps = steps_per_epoch
        if steps is None:
            try:
                steps = len(train_loader)
            except TypeError:
                steps = None
        if steps == 0:
            raise ValueError("fit: the training data is empty (no batches)")

        history = History()
        cb_list = [*(callbacks or ()), history]
        if verbose:
            cb_list.append(ProgbarLogger(verbose))
        cbs = CallbackList(
            cb_list, model=self, params={"epochs": epochs, "steps": steps, "verbose": verbose}
        )
        self.history = history
        self.stop_training = False
        self.module.train()
        cbs.on_train_begin()
        epoch_logs: dict[str, Any] = {}
        try:
            for epoch in range(initial_epoch, epochs):
                self.current_epoch = epoch
                self._reset_metrics()
                self.module.train()
                cbs.on_epoch_begin(epoch)
                epoch_logs = self._train_epoch(
                    train_loader, cbs, accumulation_steps, steps_per_epoch
                )
                if val_loader is not None:
                    val_logs = self._run_eval(val_loader, cbs)
                    epoch_logs.update({f"val_{k}": v for k, v in val_logs.items()})
                epoch_logs["lr"] = get_lr(self.optimizer)
                self._step_scheduler(epoch_logs)
                cbs.on_epoch_end(epoch, epoch_logs)
                if self.stop_training:
                    break
        except BaseException:
            # Close what the callbacks hold open (progress bar, CSV file, event files) before
            # the error propagates; an error in that cleanup must not hide the original one.
            with contextlib.suppress(Exception):
                cbs.on_train_end(epoch_logs)
            raise
        finally:
            self.current_batch = None
        cbs.on_train_end(epoch_logs)
        return history

    def _check_fit_args(
        self,
        verbose: Any,
        epochs: Any,
        initial_epoch: Any,
        validation_split: Any,
        validation_data: Any,
        accumulation_steps: Any,
        steps_per_epoch: Any,
    ) -> int:
        if verbose == "auto":
            verbose = 1
        if verbose not in (0, 1, 2):
            raise ValueError(f"fit: verbose must be 0, 1, 2 or 'auto', got {verbose!r}")
        if not _is_int(epochs) or epochs < 1:
            raise ValueError(f"fit: epochs must be an int >= 1, got {epochs!r}")
        if not _is_int(initial_epoch) or initial_epoch < 0:
            raise ValueError(f"fit: initial_epoch must be an int >= 0, got {initial_epoch!r}")
        if not isinstance(validation_split, (int, float)) or not 0.0 <= validation_split < 1.0:
            raise ValueError(f"fit: validation_split must be in [0, 1), got {validation_split!r}")
        if validation_split and validation_data is not None:
            raise ValueError(
                "fit: give either validation_data or validation_split, not both "
                f"(validation_split={validation_split})"
            )
        if not _is_int(accumulation_steps) or accumulation_steps < 1:
            raise ValueError(
                f"fit: accumulation_steps must be a positive int, got {accumulation_steps!r}"
            )
        if steps_per_epoch is not None and (not _is_int(steps_per_epoch) or steps_per_epoch < 1):
            raise ValueError(
                f"fit: steps_per_epoch must be a positive int or None, got {steps_per_epoch!r}"
            )
        return int(verbose)

    def _batches(self, loader: Any, steps_per_epoch: int | None) -> Iterator[Any]:
        """One epoch of batches: a full pass, or ``steps_per_epoch`` batches drawn from an
        iterator that persists across epochs and restarts when the data runs out."""
        if steps_per_epoch is None:
            yield from loader
            return
        for _ in range(steps_per_epoch):
            if self._train_iter is None:
                self._train_iter = iter(loader)
            try:
                batch = next(self._train_iter)
            except StopIteration:
                self._train_iter = iter(loader)
                try:
                    batch = next(self._train_iter)
                except StopIteration:
                    raise ValueError("fit: the training data is empty (no batches)") from None
            yield batch

    def _train_epoch(
        self, loader: Any, cbs: CallbackList, accumulation_steps: int, steps_per_epoch: int | None
    ) -> dict[str, Any]:
        tracker = _Mean()
        scale = 1.0 / accumulation_steps
        pending = 0  # backward passes accumulated since the last step
        self._zero_grad()
        logs: dict[str, Any] = self._logs(tracker)
        for i, batch in enumerate(self._batches(loader, steps_per_epoch)):
            x, y = _split_batch(batch, "fit")
            self.current_batch = (x, y)
            cbs.on_train_batch_begin(i, {})
            if pending == 0:
                self._zero_grad()
            y_pred = self._forward(x)
            loss = self._loss(y_pred, y)
            (loss * scale if accumulation_steps > 1 else loss).backward()
            loss_value = float(loss.detach())
            pending += 1
            if cbs.on_after_backward(i, {"loss": loss_value}):
                self._zero_grad()  # the step is vetoed: drop this window's gradients
                pending = 0
            else:
                tracker.update(loss_value, _batch_len(x, y))
                self._update_metrics(y, y_pred)
                if pending == accumulation_steps:
                    self._step()
                    pending = 0
            logs = self._logs(tracker)
            cbs.on_train_batch_end(i, logs)
            if self.stop_training:
                break
        if pending and not self.stop_training:
            self._step()  # the partial accumulation window at the end of the epoch
        self._zero_grad()
        return dict(logs)

    def _step_scheduler(self, logs: dict[str, Any]) -> None:
        if self.scheduler is None:
            return
        if isinstance(self.scheduler, _PlateauScheduler):
            self.scheduler.step(logs.get("val_loss", logs.get("loss")))
        else:
            self.scheduler.step()

    # -- evaluate / predict --------------------------------------------------------------------

    def _run_eval(self, loader: Any, cbs: CallbackList | None) -> dict[str, float]:
        """Loss (sample-weighted mean over the whole set) and metrics, eval mode, no grad."""
        cbs = cbs or CallbackList()
        was_training = self.module.training
        self.module.eval()
        self._reset_metrics()
        tracker = _Mean()
        cbs.on_test_begin()
        try:
            with no_grad():
                for i, batch in enumerate(loader):
                    x, y = _split_batch(batch, "evaluate")
                    cbs.on_test_batch_begin(i, {})
                    y_pred = self._forward(x)
                    tracker.update(float(self._loss(y_pred, y)), _batch_len(x, y))
                    self._update_metrics(y, y_pred)
                    cbs.on_test_batch_end(i, self._logs(tracker))
        finally:
            self.module.train(was_training)
        logs = self._logs(tracker)
        cbs.on_test_end(logs)
        return logs

    def evaluate(
        self,
        x: Any = None,
        y: Any = None,
        batch_size: int = 32,
        verbose: int | str = 0,
        callbacks: Iterable[Callback] | None = None,
    ) -> dict[str, float]:
        """Loss and metrics over the whole of ``x``/``y`` (or a Dataset/DataLoader), exact:
        the loss is the sample-weighted mean of the batch losses, metrics accumulate over all
        batches. Returns ``{"loss": ..., "<metric>": ...}``."""
        self._check_compiled("evaluate")
        if verbose == "auto":
            verbose = 1
        if verbose not in (0, 1, 2):
            raise ValueError(f"evaluate: verbose must be 0, 1 or 2, got {verbose!r}")
        loader = self._loader("evaluate", x, y, batch_size)
        cb_list = list(callbacks or ())
        if verbose:
            cb_list.append(ProgbarLogger(int(verbose)))
        try:
            steps = len(loader)
        except TypeError:
            steps = None
        cbs = CallbackList(cb_list, model=self, params={"steps": steps, "verbose": verbose})
        return self._run_eval(loader, cbs)

    def predict(self, x: Any, batch_size: int = 32) -> Any:
        """The module's outputs for ``x`` (tensor, array, Dataset or DataLoader; for the last
        two the inputs are the batch's first entries), in eval mode without gradients,
        concatenated along dim 0. The module's previous train/eval mode is restored."""
        if isinstance(x, (Tensor, np.ndarray, list)):
            xt = _as_tensor(x, "predict", "x")
            if not _is_int(batch_size) or batch_size < 1:
                raise ValueError(f"predict: batch_size must be a positive int, got {batch_size!r}")
            if xt.ndim == 0:
                raise ValueError("predict: x needs a batch dimension, got a 0-d tensor")
            n = int(xt.shape[0])
            batches: Iterable[Any] = (xt[i : i + batch_size] for i in range(0, n, batch_size))
        elif _is_loader(x) or _is_dataset(x):
            loader = self._loader("predict", x, None, batch_size)
            batches = (self._inputs_of(b) for b in loader)
        else:
            raise TypeError(
                "predict: x must be a Tensor, a NumPy array, a Dataset or a DataLoader, got "
                f"{type(x).__name__}"
            )
        was_training = self.module.training
        self.module.eval()
        outs: list[Any] = []
        try:
            with no_grad():
                outs.extend(self._forward(b) for b in batches)
        finally:
            self.module.train(was_training)
        if not outs:
            raise ValueError("predict: x is empty")
        if isinstance(outs[0], Tensor):
            return _C.cat(outs, 0)
        if isinstance(outs[0], (tuple, list)):
            return type(outs[0])(_C.cat(list(parts), 0) for parts in zip(*outs, strict=True))
        raise TypeError(f"predict: the module returned {type(outs[0]).__name__}, not a Tensor")

    @staticmethod
    def _inputs_of(batch: Any) -> Any:
        if isinstance(batch, Tensor):
            return batch
        if isinstance(batch, (list, tuple)):
            if len(batch) == 1:
                return batch[0]
            return _split_batch(batch, "predict")[0]
        raise ValueError(f"predict: unsupported batch type {type(batch).__name__}")


Trainer = Model
