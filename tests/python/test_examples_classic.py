"""The classic small examples (perceptron, linear / logistic / softmax regression, linear SVM)
run in-process through their ``main(argv)`` and reach their stated figures on real bundled data.

Smoke modes are fast and always run; the full runs are marked slow and assert the headline
numbers; results are checked against closed forms and scikit-learn where possible.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import axonite as ax
from axonite.examples import logistic, perceptron, regression, softmax_regression, svm_hinge


@pytest.fixture
def sklearn():
    """scikit-learn (the examples' data source), or a clean skip where it is not installed."""
    return pytest.importorskip("sklearn")


def _step_outputs(weight: list[float], bias: float) -> list[float]:
    """The perceptron's outputs on the truth-table inputs, computed in NumPy."""
    x = np.array(perceptron.TRUTH_INPUTS)
    return (x @ np.array(weight) + bias > 0).astype(float).tolist()


# ---------------------------------------------------------------- perceptron


def test_perceptron_update_matches_rule() -> None:
    model = perceptron.Perceptron(3)
    x = ax.tensor([[1.0, -2.0, 0.5]])
    perceptron.perceptron_update(model, x, ax.tensor([[1.0]]), lr=0.5)  # zero weights -> y = 0
    np.testing.assert_allclose(model.linear.weight.detach().numpy(), [[0.5, -1.0, 0.25]])
    np.testing.assert_allclose(model.linear.bias.detach().numpy(), [0.5])
    # Now w.x + b = 0.5 + 2 + 0.125 + 0.5 > 0, so y = 1 = t: no change.
    perceptron.perceptron_update(model, x, ax.tensor([[1.0]]), lr=0.5)
    np.testing.assert_allclose(model.linear.weight.detach().numpy(), [[0.5, -1.0, 0.25]])
    # A wrong 1 moves the weights the other way.
    perceptron.perceptron_update(model, x, ax.tensor([[0.0]]), lr=0.5)
    np.testing.assert_allclose(model.linear.weight.detach().numpy(), [[0.0, 0.0, 0.0]])
    np.testing.assert_allclose(model.linear.bias.detach().numpy(), [0.0])


@pytest.mark.parametrize("batch_size", [1, 4])
def test_perceptron_truth_tables_without_sklearn(batch_size: int) -> None:
    x = ax.tensor(perceptron.TRUTH_INPUTS)
    g = ax.Generator()
    g.manual_seed(0)
    for name, targets in perceptron.TRUTH_TABLES.items():
        t = ax.tensor(targets).unsqueeze(1)
        model = perceptron.Perceptron(2)
        epochs, converged = perceptron.train_perceptron(
            model, x, t, lr=1.0, max_epochs=50, batch_size=batch_size, generator=g
        )
        acc = perceptron.accuracy(model, x, t)
        if name == "XOR":
            assert not converged
            assert epochs == 50
            assert acc <= 0.75  # at most 3 of 4 points: XOR is not linearly separable
        else:
            assert converged, name
            assert acc == 1.0
            w, b = model.linear.weight.flatten().tolist(), model.linear.bias.item()
            assert _step_outputs(w, b) == targets


def test_perceptron_rejects_bad_batch_size() -> None:
    model = perceptron.Perceptron(2)
    x, t = ax.tensor(perceptron.TRUTH_INPUTS), ax.zeros(4, 1)
    with pytest.raises(ValueError, match=r"train_perceptron: batch_size .* got 0"):
        perceptron.train_perceptron(
            model, x, t, lr=1.0, max_epochs=1, batch_size=0, generator=ax.Generator()
        )


def test_perceptron_smoke(sklearn, capsys: pytest.CaptureFixture[str]) -> None:
    r = perceptron.main(["--smoke"])
    assert r["and_accuracy"] == 1.0 and r["and_converged"]
    assert r["or_accuracy"] == 1.0 and r["or_converged"]
    assert r["xor_accuracy"] < 1.0 and not r["xor_converged"]
    assert _step_outputs(r["and_weight"], r["and_bias"]) == perceptron.TRUTH_TABLES["AND"]
    assert _step_outputs(r["or_weight"], r["or_bias"]) == perceptron.TRUTH_TABLES["OR"]
    assert r["iris_train_accuracy"] == 1.0 and r["iris_converged"]
    out = capsys.readouterr().out
    assert "AND 100%, OR 100%" in out
    assert "NOT converged" in out


def test_perceptron_full(sklearn) -> None:
    # The full run is as fast as the smoke one (the XOR run just lasts longer).
    r = perceptron.main(["--seed", "1", "--batch-size", "1"])
    assert (r["and_accuracy"], r["or_accuracy"], r["iris_train_accuracy"]) == (1.0, 1.0, 1.0)
    assert r["xor_accuracy"] < 1.0
    assert r["xor_epochs"] == 100
    assert r["iris_test_accuracy"] >= 0.95


# ---------------------------------------------------------------- linear regression


def test_regression_lstsq_matches_sklearn(sklearn) -> None:
    from sklearn.linear_model import LinearRegression

    r = regression.main(["--smoke"])
    x_train, y_train, x_test, y_test = regression.load_diabetes(0)
    ref = LinearRegression(fit_intercept=False).fit(x_train.numpy(), y_train.numpy())
    np.testing.assert_allclose(r["w_lstsq"], ref.coef_, rtol=1e-8, atol=1e-8)
    ref_mse = float(np.mean((ref.predict(x_test.numpy()) - y_test.numpy()) ** 2))
    assert r["lstsq_test_mse"] == pytest.approx(ref_mse, rel=1e-9)
    assert r["normal_eq_test_mse"] == pytest.approx(ref_mse, rel=1e-9)
    assert r["normal_eq_weight_diff"] < 1e-8
    # 1,500 LMS epochs: close, not yet converged in the ill-conditioned s1/s2 direction.
    assert r["gd_test_mse"] == pytest.approx(ref_mse, rel=0.02)
    assert r["max_weight_diff"] < 1.0


def test_regression_gd_matches_lstsq(sklearn) -> None:
    # Full mode; fast (6,000 full-batch LMS epochs on 353 x 11 take a fraction of a second).
    r = regression.main(["--seed", "2"])
    assert r["max_weight_diff"] < 1e-4
    assert r["gd_test_mse"] == pytest.approx(r["lstsq_test_mse"], rel=1e-6)
    assert 0.2 < r["lstsq_test_r2"] < 0.7  # diabetes: linear models explain roughly half
    np.testing.assert_allclose(r["w_gd"], r["w_lstsq"], atol=1e-4)


# ---------------------------------------------------------------- logistic regression


def test_logistic_smoke(sklearn) -> None:
    r = logistic.main(["--smoke"])
    assert r["test_accuracy"] >= 0.93
    assert r["train_accuracy"] >= 0.97
    assert 0.0 < r["final_loss"] < 0.2
    assert r["test_prediction_agreement"] >= 0.95


@pytest.mark.slow
def test_logistic_full_matches_sklearn(sklearn) -> None:
    r = logistic.main([])
    assert r["test_accuracy"] >= 0.95
    # Same objective as sklearn's LogisticRegression(C = 1 / (2 l2 N)): same optimum.
    assert r["max_weight_diff_vs_sklearn"] < 1e-2
    assert r["bias_diff_vs_sklearn"] < 1e-2
    assert r["test_prediction_agreement"] == 1.0
    assert r["test_accuracy"] == pytest.approx(r["sklearn_test_accuracy"], abs=1e-6)


# ---------------------------------------------------------------- softmax regression


def test_softmax_regression_smoke(sklearn) -> None:
    r = softmax_regression.main(["--smoke"])
    assert r["test_accuracy"] >= 0.9
    assert r["train_loss"] < 0.5
    assert r["test_prediction_agreement"] >= 0.9


def test_softmax_regression_is_deterministic(sklearn) -> None:
    a = softmax_regression.main(["--smoke", "--seed", "3", "--epochs", "2"])
    b = softmax_regression.main(["--smoke", "--seed", "3", "--epochs", "2"])
    assert a["train_loss"] == b["train_loss"]
    assert a["test_accuracy"] == b["test_accuracy"]


@pytest.mark.parametrize(("dataset", "floor"), [("iris", 0.85), ("wine", 0.85)])
def test_softmax_regression_small_sets(sklearn, dataset: str, floor: float) -> None:
    r = softmax_regression.main(["--dataset", dataset, "--epochs", "30", "--batch-size", "16"])
    assert r["test_accuracy"] >= floor
    assert r["train_accuracy"] >= 0.95


def test_softmax_regression_rejects_unknown_dataset(sklearn) -> None:
    with pytest.raises(ValueError, match="softmax_regression: dataset must be one of"):
        softmax_regression.load_dataset("mnist", 0)


@pytest.mark.slow
def test_softmax_regression_full(sklearn) -> None:
    r = softmax_regression.main([])
    assert r["test_accuracy"] >= 0.95
    assert r["test_prediction_agreement"] >= 0.97
    assert abs(r["test_accuracy"] - r["sklearn_test_accuracy"]) <= 0.02


# ---------------------------------------------------------------- linear SVM


def test_svm_margin_violations_closed_form() -> None:
    model = ax.nn.Linear(2, 3)
    with ax.no_grad():
        model.weight.copy_(ax.eye(3, 2))
        model.bias.zero_()
    # scores = (x0, x1, 0): sample 0 wins by 2 (outside), sample 1 by 0.5 (inside).
    x = ax.tensor([[3.0, 1.0], [0.5, 0.0]])
    y = ax.tensor([0, 0])
    assert svm_hinge.margin_violations(model, x, y, margin=1.0) == 0.5
    assert svm_hinge.margin_violations(model, x, y, margin=0.1) == 0.0


def test_svm_hinge_smoke(sklearn) -> None:
    r = svm_hinge.main(["--smoke"])
    assert r["hinge_test_accuracy"] >= 0.9
    assert r["squared_hinge_test_accuracy"] >= 0.9
    assert 0.0 < r["hinge_train_loss"] < 0.1
    assert 0.0 < r["hinge_margin_violations"] < 0.6


@pytest.mark.slow
def test_svm_hinge_full(sklearn) -> None:
    r = svm_hinge.main([])
    assert r["test_accuracy"] == r["hinge_test_accuracy"] >= 0.94
    assert r["squared_hinge_test_accuracy"] >= 0.94
    assert r["hinge_train_accuracy"] >= 0.97
    assert abs(r["hinge_test_accuracy"] - r["sklearn_test_accuracy"]) <= 0.03


# ---------------------------------------------------------------- as scripts


@pytest.mark.slow
@pytest.mark.parametrize(
    "name", ["perceptron", "regression", "logistic", "softmax_regression", "svm_hinge"]
)
def test_runs_as_module(sklearn, name: str) -> None:
    out = subprocess.run(
        [sys.executable, "-m", f"axonite.examples.{name}", "--smoke", "--seed", "1"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    assert out.strip(), name
