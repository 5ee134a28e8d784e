"""ax.train callbacks: hook order, History (+ plot), EarlyStopping, ModelCheckpoint,
LearningRateScheduler, ReduceLROnPlateau, CSVLogger, TensorBoard, TerminateOnNaN and
DivergenceGuard, each checked on real fits with values computed by hand."""

from __future__ import annotations

import csv
import math
import sys

import numpy as np
import pytest

import axonite as ax
import axonite.train
from axonite import nn
from axonite.train import (
    Callback,
    CallbackList,
    CSVLogger,
    DivergenceGuard,
    EarlyStopping,
    History,
    LearningRateScheduler,
    Model,
    ModelCheckpoint,
    ReduceLROnPlateau,
    TensorBoard,
    TerminateOnNaN,
)


def _blobs(n: int = 96, d: int = 5, c: int = 3, seed: int = 0) -> tuple[ax.Tensor, ax.Tensor]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, c, n)
    centers = rng.normal(0, 3, (c, d))
    x = centers[y] + rng.normal(0, 1, (n, d))
    return ax.from_numpy(x.astype(np.float32)), ax.from_numpy(y.astype(np.int64))


def _mlp() -> nn.Module:
    return nn.Sequential(nn.Linear(5, 16), nn.ReLU(), nn.Linear(16, 3))


def _params(module: nn.Module) -> dict[str, np.ndarray]:
    return {k: v.detach().numpy().copy() for k, v in module.state_dict().items()}


def _same(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> bool:
    return a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)


class Scripted(Callback):
    """Overwrites ``logs[key]`` at each epoch end with a scripted value (placed before the
    callback under test) and records the weights of every epoch."""

    def __init__(self, values: list[float], key: str = "val_loss") -> None:
        super().__init__()
        self.values, self.key = values, key
        self.weights: list[dict[str, np.ndarray]] = []

    def on_epoch_end(self, epoch, logs=None):
        logs[self.key] = self.values[epoch]
        self.weights.append(_params(self.model.module))


def _model(lr: float = 0.05, metrics=("accuracy",)) -> Model:
    return Model(_mlp()).compile("sgd", "cross_entropy", metrics=list(metrics), lr=lr)


# -- plumbing ----------------------------------------------------------------------------------


def test_hook_order() -> None:
    calls: list[str] = []

    class Recorder(Callback):
        def __getattribute__(self, name):
            if name.startswith("on_"):
                calls.append(name)
            return super().__getattribute__(name)

    x, y = _blobs(n=20)
    rec = Recorder()
    _model().fit(x, y, batch_size=8, epochs=1, validation_split=0.2, callbacks=[rec], verbose=0)
    batch = ["on_train_batch_begin", "on_after_backward", "on_train_batch_end"]
    assert calls == [
        "on_train_begin",
        "on_epoch_begin",
        *batch,
        *batch,
        "on_test_begin",
        "on_test_batch_begin",
        "on_test_batch_end",
        "on_test_end",
        "on_epoch_end",
        "on_train_end",
    ]
    assert rec.params == {"epochs": 1, "steps": 2, "verbose": 0}


def test_callback_list_rejects_non_callbacks() -> None:
    with pytest.raises(TypeError, match=r"CallbackList: callbacks must be .* got int"):
        CallbackList([1])  # type: ignore[list-item]


def test_batch_logs_are_running_averages() -> None:
    x, y = _blobs(n=30)
    logs_seen: list[dict] = []

    class Keep(Callback):
        def on_train_batch_end(self, batch, logs=None):
            logs_seen.append(dict(logs))

    model = Model(nn.Linear(5, 3)).compile("sgd", "cross_entropy", lr=0.0)  # weights fixed
    history = model.fit(x, y, batch_size=10, epochs=1, shuffle=False, callbacks=[Keep()])
    per_batch = [model.test_on_batch(x[i : i + 10], y[i : i + 10])["loss"] for i in (0, 10, 20)]
    assert [d["loss"] for d in logs_seen] == pytest.approx(
        [per_batch[0], np.mean(per_batch[:2]), np.mean(per_batch)], rel=1e-6
    )
    assert history.history["loss"][0] == pytest.approx(np.mean(per_batch), rel=1e-6)


# -- History -----------------------------------------------------------------------------------


def test_history_records_and_plots_png(tmp_path) -> None:
    x, y = _blobs(n=40)
    history = _model().fit(x, y, epochs=3, batch_size=10, validation_split=0.25, verbose=0)
    assert isinstance(history, History)
    assert history.epoch == [0, 1, 2]
    assert all(len(v) == 3 for v in history.history.values())
    path = history.plot(tmp_path / "curves.png")
    with open(path, "rb") as f:
        head = f.read(8)
    assert head == b"\x89PNG\r\n\x1a\n"
    one = history.plot(tmp_path / "acc.png", metrics=["val_accuracy"])
    assert (tmp_path / "acc.png").stat().st_size > 1000 and one.endswith("acc.png")
    with pytest.raises(ValueError, match=r"History.plot: metric 'f2' was not logged"):
        history.plot(tmp_path / "x.png", metrics=["f2"])


def test_history_plot_without_matplotlib(tmp_path, monkeypatch) -> None:
    history = History()
    history.on_epoch_end(0, {"loss": 1.0})
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    monkeypatch.setitem(sys.modules, "matplotlib.backends.backend_agg", None)
    with pytest.raises(ImportError, match=r"History.plot: needs matplotlib.*axonite\[plot\]"):
        history.plot(tmp_path / "x.png")


# -- EarlyStopping -----------------------------------------------------------------------------


def test_early_stopping_stops_at_right_epoch_and_restores_best() -> None:
    x, y = _blobs(n=40)
    model = _model()
    # best at epoch 1; epochs 2, 3 do not improve -> patience 2 exhausted at epoch 3
    script = Scripted([1.0, 0.5, 0.6, 0.7, 0.1, 0.1])
    stop = EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True)
    history = model.fit(x, y, epochs=6, batch_size=10, callbacks=[script, stop], verbose=0)
    assert history.epoch == [0, 1, 2, 3]
    assert stop.stopped_epoch == 3 and stop.best_epoch == 1 and stop.best == 0.5
    assert model.stop_training
    now = _params(model.module)
    assert _same(now, script.weights[1])
    assert not _same(now, script.weights[3])


def test_early_stopping_without_restore_keeps_last_weights() -> None:
    x, y = _blobs(n=40)
    model = _model()
    script = Scripted([1.0, 1.0, 1.0, 1.0])
    history = model.fit(
        x, y, epochs=4, batch_size=10, callbacks=[script, EarlyStopping(patience=1)], verbose=0
    )
    assert history.epoch == [0, 1]  # epoch 1 is no improvement, wait 1 >= patience 1
    assert _same(_params(model.module), script.weights[-1])


@pytest.mark.parametrize(
    ("values", "kwargs", "epochs_run"),
    [
        ([0.5, 0.6, 0.7, 0.8, 0.9, 1.0], {"monitor": "val_accuracy", "patience": 1}, 6),
        ([0.5, 0.5, 0.5, 0.5], {"monitor": "val_accuracy", "mode": "min", "patience": 1}, 2),
        ([1.0, 0.95, 0.9, 0.85, 0.8], {"min_delta": 0.1, "patience": 2}, 3),
        ([1.0, 0.9, 0.95, 0.7, 0.6], {"baseline": 0.75, "patience": 2}, 3),
        ([1.0, 0.9, 0.95, 0.7, 0.6], {"patience": 2}, 5),
        ([1.0, 2.0, 3.0, 4.0, 5.0, 6.0], {"start_from_epoch": 3, "patience": 1}, 5),
    ],
)
def test_early_stopping_keras_semantics(values, kwargs, epochs_run) -> None:
    x, y = _blobs(n=20)
    key = kwargs.get("monitor", "val_loss")
    stop = EarlyStopping(**kwargs)
    history = _model().fit(
        x,
        y,
        epochs=len(values),
        batch_size=10,
        callbacks=[Scripted(values, key), stop],
        verbose=0,
    )
    assert len(history.epoch) == epochs_run


def test_early_stopping_real_monitor_and_bad_args() -> None:
    x, y = _blobs(n=40)
    with pytest.warns(RuntimeWarning, match=r"EarlyStopping: monitor 'val_loss' is not in"):
        _model().fit(x, y, epochs=1, callbacks=[EarlyStopping()], verbose=0)
    with pytest.raises(ValueError, match=r"EarlyStopping: patience must be an int >= 0"):
        EarlyStopping(patience=-1)
    with pytest.raises(ValueError, match=r"EarlyStopping: mode must be"):
        EarlyStopping(mode="up")
    assert EarlyStopping(monitor="val_accuracy").mode == "max"
    assert EarlyStopping(monitor="loss").mode == "min"


# -- ModelCheckpoint ---------------------------------------------------------------------------


def test_model_checkpoint_every_epoch(tmp_path) -> None:
    x, y = _blobs(n=40)
    model = _model()
    script = Scripted([0.9, 0.8, 0.85])
    ckpt = ModelCheckpoint(str(tmp_path / "w-{epoch:02d}-{val_loss:.3f}.safetensors"))
    model.fit(x, y, epochs=3, batch_size=10, callbacks=[script, ckpt], verbose=0)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == [
        "w-01-0.900.safetensors",
        "w-02-0.800.safetensors",
        "w-03-0.850.safetensors",
    ]
    for epoch, name in enumerate(names):
        loaded = ax.load(tmp_path / name)
        assert _same({k: v.numpy() for k, v in loaded.items()}, script.weights[epoch])


def test_model_checkpoint_save_best_only(tmp_path) -> None:
    x, y = _blobs(n=40)
    model = _model()
    script = Scripted([3.0, 1.0, 2.0, 0.5, 0.7])
    best = ModelCheckpoint(tmp_path / "best.safetensors", save_best_only=True)
    named = ModelCheckpoint(tmp_path / "e{epoch}.safetensors", save_best_only=True)
    model.fit(x, y, epochs=5, batch_size=10, callbacks=[script, best, named], verbose=0)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "best.safetensors",
        "e1.safetensors",
        "e2.safetensors",
        "e4.safetensors",
    ]
    loaded = ax.load(tmp_path / "best.safetensors")
    assert _same({k: v.numpy() for k, v in loaded.items()}, script.weights[3])
    assert best.best == 0.5


def test_model_checkpoint_full_state_and_max_mode(tmp_path) -> None:
    x, y = _blobs(n=40)
    model = _model()
    script = Scripted([0.2, 0.9, 0.4], key="val_accuracy")
    ckpt = ModelCheckpoint(
        tmp_path / "full.safetensors",
        monitor="val_accuracy",
        save_best_only=True,
        save_weights_only=False,
    )
    model.fit(x, y, epochs=3, batch_size=10, callbacks=[script, ckpt], verbose=0)
    state = ax.load(tmp_path / "full.safetensors")
    assert set(state) == {"model", "optimizer", "epoch"} and state["epoch"] == 2
    assert _same({k: v.numpy() for k, v in state["model"].items()}, script.weights[1])
    assert state["optimizer"]["param_groups"][0]["lr"] == pytest.approx(0.05)
    assert [p.name for p in tmp_path.iterdir()] == ["full.safetensors"]  # no temp files left


# -- learning rate -----------------------------------------------------------------------------


def test_learning_rate_scheduler() -> None:
    x, y = _blobs(n=20)
    model = _model(lr=1.0)
    seen: list[tuple[int, float]] = []

    def schedule(epoch: int, lr: float) -> float:
        seen.append((epoch, lr))
        return 0.1 * 0.5**epoch

    history = model.fit(
        x, y, epochs=3, batch_size=10, callbacks=[LearningRateScheduler(schedule)], verbose=0
    )
    assert seen == [(0, 1.0), (1, pytest.approx(0.1)), (2, pytest.approx(0.05))]
    assert history.history["lr"] == pytest.approx([0.1, 0.05, 0.025])
    with pytest.raises(ValueError, match=r"LearningRateScheduler: schedule must return"):
        model.fit(x, y, callbacks=[LearningRateScheduler(lambda e, lr: math.nan)], verbose=0)


def test_reduce_lr_on_plateau_callback() -> None:
    x, y = _blobs(n=20)
    model = _model(lr=0.1)
    script = Scripted([1.0, 1.0, 1.0, 0.5, 0.5, 0.5])
    cb = ReduceLROnPlateau(factor=0.5, patience=2, min_delta=0.0)
    history = model.fit(x, y, epochs=6, batch_size=10, callbacks=[script, cb], verbose=0)
    # wait hits 2 at epoch 2 -> lr halves for epoch 3; again at epoch 5 (for the next epoch)
    assert history.history["lr"] == pytest.approx([0.1, 0.1, 0.1, 0.05, 0.05, 0.05])
    assert model.optimizer.param_groups[0]["lr"] == pytest.approx(0.025)


# -- CSVLogger / TensorBoard -------------------------------------------------------------------


def test_csv_logger(tmp_path) -> None:
    x, y = _blobs(n=40)
    path = tmp_path / "log.csv"
    model = _model()
    history = model.fit(
        x,
        y,
        epochs=3,
        batch_size=10,
        validation_split=0.25,
        callbacks=[CSVLogger(path)],
        verbose=0,
    )
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["epoch", "accuracy", "loss", "lr", "val_accuracy", "val_loss"]
    assert [int(r[0]) for r in rows[1:]] == [0, 1, 2]
    for j, key in enumerate(rows[0][1:], start=1):
        assert [float(r[j]) for r in rows[1:]] == history.history[key]
    model.fit(
        x,
        y,
        epochs=2,
        batch_size=10,
        validation_split=0.25,
        callbacks=[CSVLogger(path, separator=";", append=True)],
        verbose=0,
    )
    lines = path.read_text().splitlines()
    assert len(lines) == 6 and lines[4].startswith("0;") and lines[5].startswith("1;")


def test_error_during_fit_closes_callback_resources(tmp_path) -> None:
    logger = CSVLogger(tmp_path / "log.csv")
    model = Model(nn.Linear(5, 3)).compile("sgd")
    with pytest.raises((RuntimeError, ValueError)):  # the layer's own shape error
        model.fit(ax.randn(10, 4), ax.zeros(10).long(), callbacks=[logger], verbose=1)
    assert logger._file is None


def test_tensorboard_events_read_back(tmp_path) -> None:
    pytest.importorskip("tensorboard")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    x, y = _blobs(n=40)
    history = _model().fit(
        x,
        y,
        epochs=3,
        batch_size=10,
        validation_split=0.25,
        verbose=0,
        callbacks=[TensorBoard(tmp_path, update_freq=2)],
    )
    train = EventAccumulator(str(tmp_path / "train"))
    train.Reload()
    val = EventAccumulator(str(tmp_path / "validation"))
    val.Reload()
    tags = set(train.Tags()["scalars"])
    assert {"epoch_loss", "epoch_accuracy", "epoch_learning_rate", "batch_loss"} <= tags
    loss = train.Scalars("epoch_loss")
    assert [e.step for e in loss] == [0, 1, 2]
    assert [e.value for e in loss] == pytest.approx(history.history["loss"], rel=1e-6)
    vloss = val.Scalars("epoch_loss")
    assert [e.value for e in vloss] == pytest.approx(history.history["val_loss"], rel=1e-6)
    assert [e.step for e in train.Scalars("batch_loss")] == [2, 4, 6, 8]  # 3 batches x 3 epochs
    with pytest.raises(ValueError, match=r"TensorBoard: update_freq"):
        TensorBoard(tmp_path, update_freq=0)


# -- NaN handling ------------------------------------------------------------------------------


def test_terminate_on_nan() -> None:
    x, y = _blobs(n=60)
    x[35, 2] = math.nan  # in the 4th batch of 10 (no shuffling)
    batches: list[int] = []

    class Count(Callback):
        def on_train_batch_end(self, batch, logs=None):
            batches.append(batch)

    history = _model().fit(
        x,
        y,
        epochs=3,
        batch_size=10,
        shuffle=False,
        callbacks=[Count(), TerminateOnNaN()],
        verbose=0,
    )
    assert batches == [0, 1, 2, 3]
    assert history.epoch == [0] and math.isnan(history.history["loss"][0])


class Poison(nn.Module):
    """Identity, or all-NaN output while ``armed``."""

    def __init__(self) -> None:
        super().__init__()
        self.armed = False

    def forward(self, x):
        return x * math.nan if self.armed else x


class _Arm(Callback):
    """Arms the Poison module for one (epoch, batch)."""

    def __init__(self, poison: Poison, epoch: int, batch: int) -> None:
        super().__init__()
        self.poison, self.at, self.epoch = poison, (epoch, batch), 0

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_begin(self, batch, logs=None):
        self.poison.armed = (self.epoch, batch) == self.at

    def on_train_batch_end(self, batch, logs=None):
        self.poison.armed = False


def test_divergence_guard_recovers_and_names_module(capsys) -> None:
    x, y = _blobs(n=120)
    poison = Poison()
    net = nn.Sequential(nn.Linear(5, 16), nn.ReLU(), poison, nn.Linear(16, 3))
    model = Model(net).compile("sgd", "cross_entropy", metrics=["accuracy"], lr=0.1)
    guard = DivergenceGuard(factor=0.5)
    snapshots: list[dict[str, np.ndarray]] = []

    class Watch(Callback):  # the weights at the start of every batch
        def on_train_batch_begin(self, batch, logs=None):
            snapshots.append(_params(net))

    arm = _Arm(poison, epoch=1, batch=4)
    after: list[dict[str, np.ndarray]] = []

    class After(Callback):
        def on_train_batch_end(self, batch, logs=None):
            if poison.armed:
                after.append(_params(net))

    history = model.fit(
        x, y, epochs=8, batch_size=10, callbacks=[After(), arm, Watch(), guard], verbose=1
    )
    assert len(guard.events) == 1
    ev = guard.events[0]
    assert ev["epoch"] == 1 and ev["batch"] == 4
    assert ev["module"] == "2" and "non-finite output of module '2' (Poison)" in ev["reason"]
    assert ev["lr_before"] == pytest.approx(0.1) and ev["lr_after"] == pytest.approx(0.05)
    assert history.events == guard.events
    assert "DivergenceGuard: epoch 2, batch 4" in capsys.readouterr().out
    # the poisoned batch was not applied and the weights went back to the last snapshot: the
    # weights that gave the previous (healthy) batch finite values, i.e. before its step
    poisoned = 12 + 4  # 12 batches per epoch; epoch 1, batch 4
    assert _same(after[0], snapshots[poisoned - 1])
    assert not _same(after[0], snapshots[poisoned])
    assert history.history["lr"][0] == pytest.approx(0.1)
    assert history.history["lr"][1:] == pytest.approx([0.05] * 7)
    assert all(math.isfinite(v) for v in history.history["loss"])
    assert all(np.isfinite(v).all() for v in _params(net).values())
    assert model.evaluate(x, y)["accuracy"] >= 0.95


def test_divergence_guard_skips_a_poisoned_batch() -> None:
    """Bad data is not a step-size problem: the batch is skipped, weights and lr are kept."""
    x, y = _blobs(n=40)
    x[7, 0] = math.inf  # one bad sample: every epoch has one divergent batch
    net = _mlp()
    model = Model(net).compile("sgd", "cross_entropy", lr=0.1)
    guard = DivergenceGuard(factor=0.5, max_recoveries=2, verbose=0)
    history = model.fit(x, y, epochs=4, batch_size=10, callbacks=[guard], verbose=0)
    assert [e["module"] for e in guard.events] == ["<input>"] * 4
    assert all("input" in e["reason"] and not e["stopped"] for e in guard.events)
    assert [e["lr_after"] for e in guard.events] == pytest.approx([0.1] * 4)
    assert history.epoch == [0, 1, 2, 3] and not model.stop_training
    assert guard.recoveries == 0
    assert all(np.isfinite(v).all() for v in _params(net).values())


def test_divergence_guard_max_recoveries() -> None:
    """A step size that keeps diverging: lr halves per recovery, then training stops."""
    x, y = _blobs(n=40)
    net = _mlp()
    model = Model(net).compile("sgd", "cross_entropy", lr=1e12)
    guard = DivergenceGuard(factor=0.5, max_recoveries=2, verbose=0)
    with pytest.warns(RuntimeWarning, match=r"DivergenceGuard: training diverged again"):
        model.fit(x, y, epochs=6, batch_size=10, callbacks=[guard], verbose=0)
    assert [e["stopped"] for e in guard.events] == [False, False, True]
    assert [e["lr_after"] for e in guard.events] == pytest.approx([5e11, 2.5e11, 2.5e11])
    assert all(e["module"] != "<input>" for e in guard.events)
    assert model.stop_training
    assert all(np.isfinite(v).all() for v in _params(net).values())


class _GradBomb(ax.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return x * 1.0

    @staticmethod
    def backward(ctx, gy):
        return gy * math.nan


class GradBomb(nn.Module):
    """Identity forward; NaN gradient while ``armed``."""

    def __init__(self) -> None:
        super().__init__()
        self.armed = False

    def forward(self, x):
        return _GradBomb.apply(x) if self.armed else x


def test_divergence_guard_names_parameter_for_nonfinite_gradient() -> None:
    x, y = _blobs(n=40)
    bomb = GradBomb()
    net = nn.Sequential(nn.Linear(5, 8), bomb, nn.Tanh(), nn.Linear(8, 3))
    model = Model(net).compile("adam", "cross_entropy", lr=0.01)
    guard = DivergenceGuard(verbose=0)
    model.fit(x, y, epochs=2, batch_size=10, callbacks=[_Arm(bomb, 0, 2), guard], verbose=0)  # type: ignore[arg-type]
    assert len(guard.events) == 1
    ev = guard.events[0]
    assert ev["module"] == "0" and ev["parameter"] == "0.weight"
    assert "non-finite gradient of parameter '0.weight'" in ev["reason"]
    assert ev["lr_after"] == pytest.approx(0.005)
    assert all(np.isfinite(v).all() for v in _params(net).values())


def test_divergence_guard_argument_errors() -> None:
    with pytest.raises(ValueError, match=r"DivergenceGuard: factor must be in \(0, 1\]"):
        DivergenceGuard(factor=2.0)
    with pytest.raises(ValueError, match=r"DivergenceGuard: snapshot_every must be a positive"):
        DivergenceGuard(snapshot_every=0)
