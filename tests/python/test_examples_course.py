"""The course examples on real bundled data (autoencoder on MNIST, k-fold cross-validation on
scikit-learn's tables, the regularization table on Fashion-MNIST) run in-process through their
``main(argv)``.

Smoke modes are fast and always run; the full runs are marked slow and assert the headline
figures. Helpers are checked against scikit-learn (ROC-AUC) and closed forms. A test whose data
package is missing skips cleanly.
"""

from __future__ import annotations

import math
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import axonite as ax
import axonite.nn.functional as F
from axonite import nn
from axonite.examples import autoencoder, kfold, regularization


def _require(loader: Callable[..., Any], **kwargs: Any) -> Any:
    """The loader's data, or a clean skip when its package is not installed."""
    try:
        return loader(**kwargs)
    except ax.datasets.DatasetNotFoundError as e:
        pytest.skip(str(e))


@pytest.fixture
def sklearn():
    """scikit-learn (reference implementation and tabular data), or a clean skip."""
    return pytest.importorskip("sklearn")


# ---------------------------------------------------------------- autoencoder helpers


def test_roc_auc_matches_sklearn_with_ties(sklearn) -> None:
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(0)
    for n, n_levels in ((50, 5), (1000, 30), (777, 10_000)):
        labels = (rng.random(n) < 0.3).astype(np.int64)
        scores = rng.integers(0, n_levels, n) + labels * rng.random(n)  # many exact ties
        expected = roc_auc_score(labels, scores)
        assert autoencoder.roc_auc(scores, labels) == pytest.approx(expected, abs=1e-12)
        # Tensors are accepted too.
        got = autoencoder.roc_auc(ax.tensor(scores), ax.tensor(labels))
        assert got == pytest.approx(expected, abs=1e-12)


def test_roc_auc_closed_forms() -> None:
    y = np.array([0, 0, 1, 1])
    assert autoencoder.roc_auc([0.1, 0.2, 0.3, 0.4], y) == 1.0
    assert autoencoder.roc_auc([0.4, 0.3, 0.2, 0.1], y) == 0.0
    assert autoencoder.roc_auc([1.0, 1.0, 1.0, 1.0], y) == 0.5  # all tied
    # One positive above one of the two negatives, tied with the other: (1 + 0.5) / 2.
    assert autoencoder.roc_auc([0.2, 0.5, 0.5], [0, 0, 1]) == pytest.approx(0.75)


def test_roc_auc_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match=r"roc_auc: needs both classes, got 3 positives"):
        autoencoder.roc_auc([0.1, 0.2, 0.3], [1, 1, 1])
    with pytest.raises(ValueError, match=r"roc_auc: labels must be 0/1"):
        autoencoder.roc_auc([0.1, 0.2], [0, 2])
    with pytest.raises(ValueError, match=r"roc_auc: scores and labels .* \(3,\) and \(2,\)"):
        autoencoder.roc_auc([0.1, 0.2, 0.3], [0, 1])


def test_labeled_subset_is_stratified_and_deterministic() -> None:
    # Unbalanced classes, as MNIST's (5,421 to 6,742 per class), in sorted order.
    counts = np.array([300, 120, 75, 400, 61, 90, 200, 150, 100, 80])
    labels = np.repeat(np.arange(10), counts)
    idx = autoencoder.labeled_subset(labels, 60, seed=0)
    assert idx.shape == (600,)
    assert len(np.unique(idx)) == 600
    np.testing.assert_array_equal(np.bincount(labels[idx], minlength=10), np.full(10, 60))
    np.testing.assert_array_equal(idx, autoencoder.labeled_subset(labels, 60, seed=0))
    np.testing.assert_array_equal(idx, autoencoder.labeled_subset(ax.tensor(labels), 60, seed=0))
    other = autoencoder.labeled_subset(labels, 60, seed=1)
    assert not np.array_equal(np.sort(idx), np.sort(other))
    # Shuffled, not grouped by class (the sources list their samples sorted by class).
    assert not np.all(np.diff(labels[idx]) >= 0)


def test_labeled_subset_on_mnist_labels() -> None:
    (_, y_train), _ = _require(ax.datasets.mnist_small, flatten=True)
    idx = autoencoder.labeled_subset(y_train, 20, seed=3)
    np.testing.assert_array_equal(np.bincount(y_train.numpy()[idx], minlength=10), np.full(10, 20))


def test_labeled_subset_rejects_bad_input() -> None:
    labels = np.repeat(np.arange(3), [10, 5, 10])
    with pytest.raises(ValueError, match=r"labeled_subset: per_class=6 exceeds .* has 5 samples"):
        autoencoder.labeled_subset(labels, 6, seed=0)
    with pytest.raises(ValueError, match=r"labeled_subset: per_class must be a positive int"):
        autoencoder.labeled_subset(labels, 0, seed=0)
    with pytest.raises(ValueError, match=r"labeled_subset: labels must be 1-d"):
        autoencoder.labeled_subset(labels.reshape(5, 5), 1, seed=0)


def test_reconstruction_errors_match_numpy() -> None:
    ax.manual_seed(0)
    _, _, ae = autoencoder.build_autoencoder(noise=0.5)
    x = ax.rand(37, 784)
    errors = autoencoder.reconstruction_errors(ae, x, batch_size=10)
    assert ae.training  # the module's mode is restored after scoring
    ae.eval()  # the masking noise is off when scoring
    with ax.no_grad():
        x_hat = ae(x).numpy()
    expected = ((x_hat - x.numpy()) ** 2).mean(1)
    np.testing.assert_allclose(errors.numpy(), expected, rtol=1e-5)
    with pytest.raises(ValueError, match=r"reconstruction_errors: x must be \(N, features\)"):
        autoencoder.reconstruction_errors(ae, ax.rand(2, 1, 28, 28))


def test_pretrained_classifier_starts_from_the_encoder() -> None:
    ax.manual_seed(0)
    encoder, _, _ = autoencoder.build_autoencoder()
    copy = autoencoder.build_encoder()
    copy.load_state_dict(encoder.state_dict())
    net = autoencoder.build_classifier(copy)
    x = ax.rand(5, 784)
    with ax.no_grad():
        np.testing.assert_array_equal(net[0](x).numpy(), encoder(x).numpy())
    assert tuple(net(x).shape) == (5, 10)


def _missing(*args: Any, **kwargs: Any) -> Any:
    raise ax.datasets.DatasetNotFoundError("fake: install it with: apt-get install something")


def test_outliers_fall_back_to_inverted_digits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ax.datasets, "fashion_mnist", _missing)
    x = ax.rand(6, 784)
    x_out, source = autoencoder.load_outliers(x, 4, seed=0)
    assert source.startswith("inverted MNIST test digits")
    np.testing.assert_allclose(x_out.numpy(), 1.0 - x.numpy()[:4])


def test_missing_data_exits_with_the_install_message(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ax.datasets, "mnist_small", _missing)
    monkeypatch.setattr(ax.datasets, "fashion_mnist", _missing)
    with pytest.raises(SystemExit, match=r"install it with: apt-get install something"):
        autoencoder.main(["--smoke", "--verbose", "0"])
    with pytest.raises(SystemExit, match=r"install it with: apt-get install something"):
        regularization.main(["--smoke", "--verbose", "0"])


# ---------------------------------------------------------------- autoencoder runs


def test_autoencoder_smoke() -> None:
    _require(ax.datasets.mnist_small)
    out = autoencoder.main(["--smoke", "--verbose", "0"])
    assert out["labeled"] == 200  # 20 per class in smoke mode
    assert 0.0 < out["test_mse"] < 0.1  # predicting the mean image gives about 0.067+
    assert 0.0 < out["normals_flagged"] < 0.1
    assert 0.0 <= out["outliers_flagged"] <= 1.0
    assert 0.5 < out["auc"] <= 1.0
    assert 0.3 < out["pretrained_accuracy"] <= 1.0
    assert 0.3 < out["scratch_accuracy"] <= 1.0


@pytest.mark.slow
def test_autoencoder_full_headline() -> None:
    _require(ax.datasets.mnist)
    out = autoencoder.main(["--verbose", "0"])
    # Measured (seed 0): test MSE 0.0085, Fashion-MNIST AUC 0.997, 95% of the outliers and
    # 0.8% of the test digits flagged; pretrained 0.881 vs scratch 0.855.
    assert out["test_mse"] < 0.011
    assert out["normals_flagged"] < 0.025  # threshold: the 99th training percentile
    if out["outlier_source"].startswith("Fashion"):
        assert out["auc"] > 0.98
        assert out["outliers_flagged"] > 0.85
    else:  # inverted digits are easier still
        assert out["auc"] > 0.99
    assert out["pretrained_accuracy"] > 0.86
    assert out["pretrained_accuracy"] > out["scratch_accuracy"] + 0.01


# ---------------------------------------------------------------- k-fold


def test_kfold_smoke_table(capsys: pytest.CaptureFixture[str]) -> None:
    _require(ax.datasets.digits)
    out = kfold.main(["--smoke"])
    accs = out["fold_accuracies"]
    assert len(accs) == 5 and all(0.5 < a <= 1.0 for a in accs)
    assert out["mean"] == pytest.approx(np.mean(accs))
    assert out["std"] == pytest.approx(np.std(accs))
    assert 0.5 < out["test_accuracy"] <= 1.0
    text = capsys.readouterr().out
    assert "+- std" in text and f"{out['mean']:.4f}" in text
    assert len([ln for ln in text.splitlines() if ln.strip()[:1].isdigit()]) == 5


def test_kfold_wine_full() -> None:
    _require(ax.datasets.wine)
    out = kfold.main(["--dataset", "wine", "--verbose", "0"])
    assert len(out["fold_accuracies"]) == 5
    assert out["mean"] >= 0.9  # measured 0.979 (seed 0)
    assert out["test_accuracy"] >= 0.9


def test_kfold_scaler_uses_training_rows_only(sklearn) -> None:
    from sklearn.preprocessing import StandardScaler

    rng = np.random.default_rng(0)
    x_fit = rng.normal(3.0, 2.0, (40, 4)).astype(np.float32)
    x_new = rng.normal(-1.0, 5.0, (7, 4)).astype(np.float32)
    sc = kfold.Scaler("wine").fit(ax.tensor(x_fit))
    expected = StandardScaler().fit(x_fit).transform(x_new)
    np.testing.assert_allclose(sc.transform(ax.tensor(x_new)).numpy(), expected, rtol=1e-4)
    digits = kfold.Scaler("digits").fit(ax.tensor(x_fit))
    np.testing.assert_allclose(digits.transform(ax.tensor(x_new)).numpy(), x_new / 16.0)


def test_kfold_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match=r"kfold: dataset must be one of .* got 'mnist'"):
        kfold.load_dataset("mnist", 0)
    with pytest.raises(SystemExit):
        kfold.main(["--folds", "1", "--verbose", "0"])


def test_kfold_runs_as_a_module() -> None:
    _require(ax.datasets.iris)
    res = subprocess.run(
        [sys.executable, "-m", "axonite.examples.kfold", "--dataset", "iris", "--smoke"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert res.returncode == 0, res.stderr
    assert "cross-validation accuracy" in res.stdout


@pytest.mark.slow
def test_kfold_digits_full_headline() -> None:
    _require(ax.datasets.digits)
    out = kfold.main(["--verbose", "0"])
    # Measured: 0.970 +- 0.015 (seed 0), 0.972 +- 0.010 (seed 1); test 0.98.
    assert out["mean"] >= 0.95
    assert out["std"] < 0.05
    assert out["test_accuracy"] >= 0.95
    assert all(r["train_accuracy"] >= r["val_accuracy"] - 0.02 for r in out["folds"])


# ---------------------------------------------------------------- regularization


def test_regularization_configs_share_initial_linear_weights() -> None:
    def linear_weights(name: str) -> list[np.ndarray]:
        ax.manual_seed(7)
        net, _, _ = regularization.make_config(name, dropout=0.5, l2=1e-3, patience=2)
        return [m.weight.detach().numpy() for m in net if isinstance(m, nn.Linear)]

    ref = linear_weights("none")
    assert len(ref) == 3
    for name in regularization.CONFIGS[1:]:
        for a, b in zip(ref, linear_weights(name), strict=True):
            np.testing.assert_array_equal(a, b)


def test_regularization_l2_loss_is_cross_entropy_plus_penalty() -> None:
    ax.manual_seed(0)
    net, loss, callbacks = regularization.make_config("l2", dropout=0.5, l2=1e-3, patience=2)
    assert callbacks == []
    x, y = ax.randn(8, 784), ax.randint(0, 10, (8,))
    logits = net(x)
    weights_sq = sum(
        float((m.weight.detach().numpy().astype(np.float64) ** 2).sum())
        for m in net
        if isinstance(m, nn.Linear)
    )
    expected = F.cross_entropy(logits, y).item() + 1e-3 * weights_sq
    assert loss(logits, y).item() == pytest.approx(expected, rel=1e-5)
    kinds = [
        type(m).__name__ for m in regularization.make_config("dropout+batchnorm", 0.5, 0, 2)[0]
    ]
    assert kinds[:4] == ["Linear", "BatchNorm1d", "ReLU", "Dropout"]
    _, _, cbs = regularization.make_config("early_stopping", 0.5, 0, 4)
    assert isinstance(cbs[0], ax.train.EarlyStopping) and cbs[0].restore_best_weights
    with pytest.raises(ValueError, match=r"regularization: config must be one of .* 'l1'"):
        regularization.make_config("l1", 0.5, 0, 2)


def test_regularization_smoke() -> None:
    _require(ax.datasets.fashion_mnist)
    rows = regularization.main(["--smoke", "--verbose", "0"])
    assert [r["config"] for r in rows] == list(regularization.CONFIGS)
    for r in rows:
        assert 1 <= r["epochs_run"] <= 2
        for key in ("train_accuracy", "val_accuracy", "test_accuracy"):
            assert 0.5 < r[key] <= 1.0, (r["config"], key, r[key])
        assert r["gap"] == pytest.approx(r["train_accuracy"] - r["val_accuracy"])
        assert math.isfinite(r["seconds"])


def test_regularization_rejects_bad_sizes() -> None:
    _require(ax.datasets.fashion_mnist)
    with pytest.raises(ValueError, match=r"regularization: train_size \+ val_size .* 60000"):
        regularization.load_splits(50_000, 20_000, seed=0)


@pytest.mark.slow
def test_regularization_full_headline() -> None:
    _require(ax.datasets.fashion_mnist)
    rows = {r["config"]: r for r in regularization.main(["--verbose", "0"])}
    # Measured over seeds 0-2 (test acc / gap): none 0.846-0.849 / 0.11-0.13; dropout
    # +0.004..+0.015 / -0.05..-0.06; dropout+batchnorm +0.009..+0.016; L2 gap -0.026..-0.032.
    none = rows["none"]
    assert none["train_accuracy"] > 0.95 and none["gap"] > 0.08  # visible overfitting
    best = max(rows[c]["test_accuracy"] for c in ("dropout", "dropout+batchnorm"))
    assert best > none["test_accuracy"] + 0.005
    assert rows["dropout"]["test_accuracy"] > none["test_accuracy"]
    assert rows["dropout"]["gap"] < none["gap"] - 0.03
    assert rows["l2"]["gap"] < none["gap"] - 0.015
    assert rows["early_stopping"]["epochs_run"] < 40
