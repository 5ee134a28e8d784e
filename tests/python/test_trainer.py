"""ax.train.Model (Trainer): compile/fit/evaluate/predict against manual loops, PyTorch and
scikit-learn; validation split, gradient accumulation, schedulers, clipping, argument errors
and the progress output."""

from __future__ import annotations

import numpy as np
import pytest

import axonite as ax
import axonite.train
from axonite import nn
from axonite.nn import functional as F
from axonite.train import Callback, Model, Trainer
from axonite.utils.data import DataLoader, TensorDataset


def _digits() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    datasets = pytest.importorskip("sklearn.datasets")
    d = datasets.load_digits()
    x = (d.data / 16.0).astype(np.float32)
    y = d.target.astype(np.int64)
    perm = np.random.default_rng(0).permutation(len(x))
    x, y = x[perm], y[perm]
    return x[:1400], y[:1400], x[1400:], y[1400:]


def _mlp(n_in: int = 64, hidden: int = 64, n_out: int = 10) -> nn.Module:
    return nn.Sequential(nn.Linear(n_in, hidden), nn.ReLU(), nn.Linear(hidden, n_out))


def _blobs(n: int = 96, d: int = 5, c: int = 3, seed: int = 0) -> tuple[ax.Tensor, ax.Tensor]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, c, n)
    centers = rng.normal(0, 3, (c, d))
    x = centers[y] + rng.normal(0, 1, (n, d))
    return ax.from_numpy(x.astype(np.float32)), ax.from_numpy(y.astype(np.int64))


def _params(module: nn.Module) -> dict[str, np.ndarray]:
    return {k: v.detach().numpy().copy() for k, v in module.state_dict().items()}


def _clone_module(module: nn.Module, factory) -> nn.Module:
    other = factory()
    other.load_state_dict({k: v.detach().clone() for k, v in module.state_dict().items()})
    return other


# -- end to end --------------------------------------------------------------------------------


def test_fit_digits_reaches_95_percent() -> None:
    xtr, ytr, xte, yte = _digits()
    model = Model(_mlp())
    model.compile(optimizer="adam", loss="cross_entropy", metrics=["accuracy"], lr=3e-3)
    history = model.fit(xtr, ytr, epochs=15, batch_size=32, validation_split=0.1, verbose=0)
    h = history.history
    assert set(h) == {"loss", "accuracy", "val_loss", "val_accuracy", "lr"}
    assert len(h["loss"]) == 15 and history.epoch == list(range(15))
    assert h["loss"][-1] < 0.5 * h["loss"][0]
    assert model.history is history
    result = model.evaluate(xte, yte)
    assert set(result) == {"loss", "accuracy"}
    assert result["accuracy"] >= 0.95
    pred = model.predict(xte).argmax(1).numpy()
    assert np.mean(pred == yte) == pytest.approx(result["accuracy"])


def test_trainer_is_model_alias() -> None:
    assert Trainer is Model
    assert ax.train.Trainer is Model


def test_evaluate_equals_manual_computation() -> None:
    sk = pytest.importorskip("sklearn.metrics")
    x, y = _blobs(n=53)
    net = _mlp(5, 8, 3)
    model = Model(net).compile("sgd", "cross_entropy", metrics=["accuracy"])
    result = model.evaluate(x, y, batch_size=7)  # 7 full batches and one of 4
    with ax.no_grad():
        logits = net(x)
        manual_loss = float(F.cross_entropy(logits, y))
    assert result["loss"] == pytest.approx(manual_loss, rel=1e-5, abs=1e-6)
    manual_acc = sk.accuracy_score(y.numpy(), logits.argmax(1).numpy())
    assert result["accuracy"] == pytest.approx(manual_acc, abs=1e-12)


def test_evaluate_regression_mse_mae_metrics() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(40, 3)).astype(np.float32)
    y = rng.normal(size=(40, 1)).astype(np.float32)
    net = nn.Linear(3, 1)
    model = Model(net).compile("sgd", "mse", metrics=["mae"])
    result = model.evaluate(x, y, batch_size=16)
    with ax.no_grad():
        pred = net(ax.from_numpy(x)).numpy()
    assert result["loss"] == pytest.approx(float(np.mean((pred - y) ** 2)), rel=1e-5)
    assert result["mae"] == pytest.approx(float(np.mean(np.abs(pred - y))), rel=1e-5)


def test_predict_shape_and_restores_mode() -> None:
    net = nn.Sequential(nn.Linear(4, 16), nn.Dropout(0.5), nn.Linear(16, 2))
    model = Model(net)
    x = ax.randn(45, 4)
    net.train()
    out = model.predict(x, batch_size=8)
    assert tuple(out.shape) == (45, 2)
    assert net.training and all(m.training for m in net.modules())
    assert not out.requires_grad
    net.eval()
    with ax.no_grad():
        expected = net(x).numpy()
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-6, atol=1e-6)
    out2 = model.predict(x.numpy(), batch_size=100)
    assert not net.training  # eval mode stays eval
    np.testing.assert_allclose(out2.numpy(), expected, rtol=1e-6, atol=1e-6)
    out3 = model.predict(DataLoader(TensorDataset(x), batch_size=10))
    np.testing.assert_allclose(out3.numpy(), expected, rtol=1e-6, atol=1e-6)


def test_fit_matches_manual_loop() -> None:
    x, y = _blobs(n=50)
    net_a = _mlp(5, 8, 3)
    net_b = _clone_module(net_a, lambda: _mlp(5, 8, 3))
    model = Model(net_a).compile(lambda p: ax.optim.SGD(p, lr=0.1, momentum=0.9), "cross_entropy")
    model.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    opt = ax.optim.SGD(net_b.parameters(), lr=0.1, momentum=0.9)
    for _ in range(2):
        for i in range(0, 50, 16):
            opt.zero_grad()
            F.cross_entropy(net_b(x[i : i + 16]), y[i : i + 16]).backward()
            opt.step()
    for k, v in _params(net_b).items():
        np.testing.assert_allclose(_params(net_a)[k], v, rtol=1e-6, atol=1e-7)


def test_fit_matches_torch_adam(torch) -> None:
    x, y = _blobs(n=40)
    net = nn.Linear(5, 3)
    tnet = torch.nn.Linear(5, 3)
    with torch.no_grad():
        tnet.weight.copy_(torch.from_numpy(net.weight.detach().numpy().copy()))
        tnet.bias.copy_(torch.from_numpy(net.bias.detach().numpy().copy()))
    Model(net).compile("adam", "cross_entropy", lr=0.01).fit(
        x, y, batch_size=10, epochs=3, shuffle=False, verbose=0
    )
    topt = torch.optim.Adam(tnet.parameters(), lr=0.01)
    tx, ty = torch.from_numpy(x.numpy()), torch.from_numpy(y.numpy())
    for _ in range(3):
        for i in range(0, 40, 10):
            topt.zero_grad()
            torch.nn.functional.cross_entropy(tnet(tx[i : i + 10]), ty[i : i + 10]).backward()
            topt.step()
    np.testing.assert_allclose(net.weight.detach().numpy(), tnet.weight.detach().numpy(), atol=1e-5)
    np.testing.assert_allclose(net.bias.detach().numpy(), tnet.bias.detach().numpy(), atol=1e-5)


# -- data handling -----------------------------------------------------------------------------


class _SeenInputs(Callback):
    """Collects the first input feature of every training batch (the sample id)."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: list[float] = []

    def on_train_batch_begin(self, batch, logs=None):
        self.ids.extend(self.model.current_batch[0][:, 0].tolist())


def test_validation_split_takes_last_fraction() -> None:
    n = 50
    x = np.stack([np.arange(n), np.random.default_rng(0).normal(size=n)], 1).astype(np.float32)
    y = (np.arange(n) % 2).astype(np.int64)
    model = Model(nn.Linear(2, 2)).compile("sgd", "cross_entropy", lr=1e-3)
    seen = _SeenInputs()
    history = model.fit(x, y, epochs=2, batch_size=8, validation_split=0.2, callbacks=[seen])
    # floor(50 * 0.8) = 40 training samples: ids 0..39, each seen once per epoch, shuffled
    assert sorted(seen.ids) == sorted(list(range(40)) * 2)
    assert seen.ids[:40] != list(range(40))  # shuffled
    val = model.evaluate(x[40:], y[40:])
    assert history.history["val_loss"][-1] == pytest.approx(val["loss"], rel=1e-6)
    other = model.evaluate(x[:10], y[:10])
    assert other["loss"] != pytest.approx(val["loss"], rel=1e-6)


def test_fit_accepts_dataset_and_dataloader() -> None:
    x, y = _blobs(n=60)
    model = Model(_mlp(5, 8, 3)).compile("adam", "cross_entropy", metrics=["accuracy"], lr=0.05)
    h1 = model.fit(TensorDataset(x, y), batch_size=20, epochs=2, verbose=0)
    loader = DataLoader(TensorDataset(x, y), batch_size=15, shuffle=True)
    h2 = model.fit(loader, epochs=3, verbose=0, validation_data=DataLoader(TensorDataset(x, y)))
    assert len(h1.history["loss"]) == 2 and len(h2.history["val_loss"]) == 3
    assert h2.history["val_accuracy"][-1] == pytest.approx(model.evaluate(x, y)["accuracy"])
    with pytest.raises(ValueError, match=r"fit: y must be None when x is a DataLoader"):
        model.fit(loader, y, verbose=0)
    with pytest.raises(ValueError, match=r"fit: validation_split"):
        model.fit(loader, validation_split=0.2, verbose=0)


def test_shuffle_is_reproducible_with_generator() -> None:
    x, y = _blobs(n=64)
    results = []
    for _ in range(2):
        ax.manual_seed(1)
        net = _mlp(5, 8, 3)
        g = ax.Generator().manual_seed(7)
        Model(net).compile("sgd", "cross_entropy").fit(
            x, y, batch_size=8, epochs=2, generator=g, verbose=0
        )
        results.append(_params(net))
    for k in results[0]:
        np.testing.assert_array_equal(results[0][k], results[1][k])


def test_steps_per_epoch_and_initial_epoch() -> None:
    x, y = _blobs(n=30)
    model = Model(nn.Linear(5, 3)).compile("sgd", "cross_entropy")

    class Count(Callback):
        def __init__(self) -> None:
            super().__init__()
            self.per_epoch: list[int] = []

        def on_epoch_begin(self, epoch, logs=None):
            self.per_epoch.append(0)

        def on_train_batch_end(self, batch, logs=None):
            self.per_epoch[-1] += 1

    count = Count()
    history = model.fit(
        x,
        y,
        batch_size=10,
        epochs=5,
        initial_epoch=2,
        steps_per_epoch=4,
        callbacks=[count],
        verbose=0,
    )
    assert history.epoch == [2, 3, 4]
    assert count.per_epoch == [4, 4, 4]  # 3 batches of data, cycled


# -- gradient accumulation ---------------------------------------------------------------------


@pytest.mark.parametrize(("batch", "steps", "n"), [(16, 3, 48), (8, 4, 96)])
def test_gradient_accumulation_equals_large_batch(batch: int, steps: int, n: int) -> None:
    x, y = _blobs(n=n)
    net_small = nn.Sequential(nn.Linear(5, 7), nn.Tanh(), nn.Linear(7, 3))
    net_large = _clone_module(
        net_small, lambda: nn.Sequential(nn.Linear(5, 7), nn.Tanh(), nn.Linear(7, 3))
    )
    net_plain = _clone_module(
        net_small, lambda: nn.Sequential(nn.Linear(5, 7), nn.Tanh(), nn.Linear(7, 3))
    )
    kw = {"epochs": 3, "shuffle": False, "verbose": 0}
    Model(net_small).compile("sgd", "cross_entropy", lr=0.5).fit(
        x, y, batch_size=batch, accumulation_steps=steps, **kw
    )
    Model(net_large).compile("sgd", "cross_entropy", lr=0.5).fit(
        x, y, batch_size=batch * steps, **kw
    )
    Model(net_plain).compile("sgd", "cross_entropy", lr=0.5).fit(x, y, batch_size=batch, **kw)
    small, large, plain = _params(net_small), _params(net_large), _params(net_plain)
    for k in small:
        np.testing.assert_allclose(small[k], large[k], rtol=1e-5, atol=1e-6)
    assert any(not np.allclose(small[k], plain[k], atol=1e-4) for k in small)


def test_accumulation_steps_at_epoch_end_for_partial_window() -> None:
    x, y = _blobs(n=40)
    net = nn.Linear(5, 3)
    steps: list[int] = []
    model = Model(net).compile("sgd", "cross_entropy")
    model.optimizer.register_step_post_hook(lambda opt, a, k: steps.append(1))
    model.fit(x, y, batch_size=10, accumulation_steps=3, epochs=2, shuffle=False, verbose=0)
    assert len(steps) == 4  # per epoch: one step after 3 batches, one for the 4th batch


# -- compile options ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "cls", "lr"),
    [
        ("sgd", ax.optim.SGD, 0.01),
        ("adam", ax.optim.Adam, 0.001),
        ("adamw", ax.optim.AdamW, 0.001),
        ("rmsprop", ax.optim.RMSprop, 0.001),
        ("adagrad", ax.optim.Adagrad, 0.001),
        ("adadelta", ax.optim.Adadelta, 0.001),
        ("nadam", ax.optim.NAdam, 0.001),
    ],
)
def test_string_optimizers_use_keras_default_lr(name: str, cls: type, lr: float) -> None:
    model = Model(nn.Linear(2, 2)).compile(name)
    assert type(model.optimizer) is cls
    assert model.optimizer.param_groups[0]["lr"] == pytest.approx(lr)
    model = Model(nn.Linear(2, 2)).compile(name, lr=0.123)
    assert model.optimizer.param_groups[0]["lr"] == pytest.approx(0.123)


@pytest.mark.parametrize(
    ("name", "cls"),
    [
        ("cross_entropy", nn.CrossEntropyLoss),
        ("sparse_categorical_crossentropy", nn.CrossEntropyLoss),
        ("mse", nn.MSELoss),
        ("mae", nn.L1Loss),
        ("l1", nn.L1Loss),
        ("huber", nn.HuberLoss),
        ("bce", nn.BCELoss),
        ("bce_with_logits", nn.BCEWithLogitsLoss),
        ("nll", nn.NLLLoss),
        ("hinge", nn.MultiMarginLoss),
    ],
)
def test_string_losses(name: str, cls: type) -> None:
    assert type(Model(nn.Linear(2, 2)).compile("sgd", name).loss_fn) is cls


def test_optimizer_instance_and_callable_loss() -> None:
    x, y = _blobs(n=20)
    net = nn.Linear(5, 3)
    opt = ax.optim.SGD(net.parameters(), lr=0.3)
    calls: list[int] = []

    def loss(y_pred, y_true):
        calls.append(1)
        return F.cross_entropy(y_pred, y_true)

    model = Model(net).compile(opt, loss)
    assert model.optimizer is opt
    model.fit(x, y, batch_size=10, epochs=1, verbose=0)
    assert len(calls) == 2
    other = ax.optim.SGD(nn.Linear(1, 1).parameters(), lr=0.1)
    with pytest.raises(ValueError, match="bound to another optimizer"):
        Model(net).compile(opt, scheduler=ax.optim.lr_scheduler.StepLR(other, 1))


def test_scheduler_stepped_per_epoch_and_logged_lr() -> None:
    x, y = _blobs(n=20)
    model = Model(nn.Linear(5, 3)).compile(
        "sgd", lr=0.1, scheduler=lambda opt: ax.optim.lr_scheduler.StepLR(opt, 1, gamma=0.5)
    )
    history = model.fit(x, y, batch_size=10, epochs=3, verbose=0)
    assert history.history["lr"] == pytest.approx([0.1, 0.05, 0.025])
    assert model.optimizer.param_groups[0]["lr"] == pytest.approx(0.0125)


def test_reduce_lr_on_plateau_scheduler_gets_val_loss() -> None:
    x, y = _blobs(n=40)
    seen: list[float] = []

    class Recording(ax.optim.lr_scheduler.ReduceLROnPlateau):
        def step(self, metrics, epoch=None):
            seen.append(float(metrics))
            super().step(metrics, epoch)

    model = Model(nn.Linear(5, 3)).compile("sgd", scheduler=lambda opt: Recording(opt))
    history = model.fit(x, y, batch_size=10, epochs=3, validation_split=0.25, verbose=0)
    assert seen == pytest.approx(history.history["val_loss"])


def test_grad_clip_value_and_norm() -> None:
    x, y = _blobs(n=32)
    y = y * 1000  # huge targets -> huge gradients
    net = nn.Linear(5, 1)
    before = _params(net)
    model = Model(net).compile("sgd", "mse", lr=1.0, grad_clip_value=0.01)
    model.train_on_batch(x, y.float().unsqueeze(1))
    for k, v in _params(net).items():
        assert np.abs(v - before[k]).max() <= 0.01 + 1e-6
        assert np.abs(v - before[k]).max() >= 0.01 - 1e-6  # the clip was active
    net2 = nn.Linear(5, 1)
    before = _params(net2)
    Model(net2).compile("sgd", "mse", lr=1.0, grad_clip_norm=0.5).train_on_batch(
        x, y.float().unsqueeze(1)
    )
    delta = np.concatenate([(v - before[k]).ravel() for k, v in _params(net2).items()])
    assert np.linalg.norm(delta) == pytest.approx(0.5, rel=1e-3)


def test_train_on_batch_and_test_on_batch() -> None:
    x, y = _blobs(n=16)
    net = nn.Linear(5, 3)
    ref = _clone_module(net, lambda: nn.Linear(5, 3))
    model = Model(net).compile("sgd", "cross_entropy", metrics=["accuracy"], lr=0.2)
    logs = model.train_on_batch(x, y)
    with ax.no_grad():
        expected = float(F.cross_entropy(ref(x), y))
    assert logs["loss"] == pytest.approx(expected, rel=1e-6)
    opt = ax.optim.SGD(ref.parameters(), lr=0.2)
    F.cross_entropy(ref(x), y).backward()
    opt.step()
    for k, v in _params(ref).items():
        np.testing.assert_allclose(_params(net)[k], v, rtol=1e-6, atol=1e-7)
    t = model.test_on_batch(x, y)
    with ax.no_grad():
        assert t["loss"] == pytest.approx(float(F.cross_entropy(net(x), y)), rel=1e-6)
        assert t["accuracy"] == pytest.approx(float((net(x).argmax(1) == y).float().mean()))


def test_after_backward_veto_skips_step() -> None:
    x, y = _blobs(n=20)
    net = nn.Linear(5, 3)
    before = _params(net)

    class Veto(Callback):
        def on_after_backward(self, batch, logs=None):
            assert np.isfinite(logs["loss"])
            assert all(p.grad is not None for p in self.model.module.parameters())
            return True

    model = Model(net).compile("sgd", "cross_entropy")
    model.fit(x, y, batch_size=5, epochs=2, callbacks=[Veto()], verbose=0)
    for k, v in _params(net).items():
        np.testing.assert_array_equal(v, before[k])


def test_stop_training_mid_epoch() -> None:
    x, y = _blobs(n=40)
    batches: list[int] = []

    class Stop(Callback):
        def on_train_batch_end(self, batch, logs=None):
            batches.append(batch)
            if batch == 1:
                self.model.stop_training = True

    history = (
        Model(nn.Linear(5, 3))
        .compile("sgd")
        .fit(x, y, batch_size=10, epochs=5, callbacks=[Stop()], verbose=0)
    )
    assert batches == [0, 1] and history.epoch == [0]


def test_save_and_load_weights(tmp_path) -> None:
    net = _mlp(5, 8, 3)
    model = Model(net)
    path = tmp_path / "w.safetensors"
    model.save_weights(path)
    other = Model(_mlp(5, 8, 3))
    other.load_weights(path)
    for k, v in _params(net).items():
        np.testing.assert_array_equal(_params(other.module)[k], v)


# -- argument errors ---------------------------------------------------------------------------


def test_fit_argument_errors() -> None:
    x, y = _blobs(n=20)
    model = Model(nn.Linear(5, 3))
    with pytest.raises(RuntimeError, match=r"Model.fit: call compile\(\) first"):
        model.fit(x, y)
    model.compile("sgd")
    cases = [
        ({"epochs": 0}, r"fit: epochs must be an int >= 1, got 0"),
        ({"validation_split": 1.0}, r"fit: validation_split must be in \[0, 1\), got 1.0"),
        ({"validation_split": -0.1}, r"fit: validation_split must be in \[0, 1\)"),
        ({"validation_split": 0.2, "validation_data": (x, y)}, r"fit: give either"),
        ({"batch_size": 0}, r"fit: batch_size must be a positive int, got 0"),
        ({"accumulation_steps": 0}, r"fit: accumulation_steps must be a positive int"),
        ({"verbose": 3}, r"fit: verbose must be"),
    ]
    for kwargs, pattern in cases:
        with pytest.raises(ValueError, match=pattern):
            model.fit(x, y, **kwargs)
    with pytest.raises(ValueError, match=r"fit: y is required when x is a tensor"):
        model.fit(x)
    with pytest.raises(ValueError, match=r"fit: x and y must have the same length.*20 and 19"):
        model.fit(x, y[:19])
    with pytest.raises(TypeError, match=r"fit: x must be"):
        model.fit("data", y)
    with pytest.raises(ValueError, match=r"validation_data must be a pair"):
        model.fit(x, y, validation_data=(x, y, y))


def test_compile_argument_errors() -> None:
    model = Model(nn.Linear(2, 2))
    with pytest.raises(ValueError, match=r"unknown optimizer 'sgdd'"):
        model.compile("sgdd")
    with pytest.raises(ValueError, match=r"unknown loss 'xent'"):
        model.compile("sgd", "xent")
    with pytest.raises(ValueError, match=r"lr must be a finite number >= 0, got -1"):
        model.compile("sgd", lr=-1)
    with pytest.raises(ValueError, match=r"grad_clip_norm must be a positive number"):
        model.compile("sgd", grad_clip_norm=0)
    with pytest.raises(TypeError, match=r"Model: module must be an ax.nn.Module"):
        Model("net")  # type: ignore[arg-type]


def test_wrong_input_shape_propagates_layer_error() -> None:
    model = Model(nn.Linear(5, 3)).compile("sgd")
    with pytest.raises((RuntimeError, ValueError)):
        model.fit(ax.randn(10, 4), ax.zeros(10).long(), verbose=0)


# -- progress output ---------------------------------------------------------------------------


def test_verbose_0_prints_nothing(capsys) -> None:
    x, y = _blobs(n=20)
    model = Model(nn.Linear(5, 3)).compile("sgd", metrics=["accuracy"])
    model.fit(x, y, epochs=2, verbose=0, validation_split=0.2)
    model.evaluate(x, y)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def test_verbose_1_shows_bar_with_loss(capsys) -> None:
    x, y = _blobs(n=20)
    model = Model(nn.Linear(5, 3)).compile("sgd", metrics=["accuracy"])
    model.fit(x, y, epochs=2, batch_size=5, verbose=1, validation_split=0.2)
    out = capsys.readouterr().out
    assert "Epoch 1/2" in out and "Epoch 2/2" in out
    assert "loss: " in out and "accuracy: " in out and "val_loss: " in out
    assert "4/4" in out  # tqdm's step counter


def test_verbose_2_one_line_per_epoch(capsys) -> None:
    x, y = _blobs(n=20)
    model = Model(nn.Linear(5, 3)).compile("sgd")
    history = model.fit(x, y, epochs=3, batch_size=5, verbose=2)
    lines = [line for line in capsys.readouterr().out.splitlines() if line.strip()]
    assert len(lines) == 3
    assert lines[0].startswith("Epoch 1/3 - ")
    assert f"loss: {history.history['loss'][0]:.4f}" in lines[0]


def test_progress_without_tqdm_falls_back_to_lines(capsys, monkeypatch) -> None:
    from axonite.train import progress

    monkeypatch.setattr(progress, "_tqdm", None)
    x, y = _blobs(n=20)
    Model(nn.Linear(5, 3)).compile("sgd").fit(x, y, epochs=2, verbose=1)
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(" - ")[0] for line in lines] == ["Epoch 1/2", "Epoch 2/2"]
    assert all("loss: " in line for line in lines)


def test_evaluate_verbose_prints(capsys) -> None:
    x, y = _blobs(n=20)
    model = Model(nn.Linear(5, 3)).compile("sgd")
    result = model.evaluate(x, y, verbose=2)
    out = capsys.readouterr().out
    assert out.startswith("Evaluate - ") and f"loss: {result['loss']:.4f}" in out
