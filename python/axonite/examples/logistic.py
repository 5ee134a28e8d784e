"""Logistic regression (one ``Linear`` unit + sigmoid, trained on ``BCEWithLogitsLoss`` with an
L2 penalty) on scikit-learn's bundled Wisconsin breast-cancer data (569 tumours, 30
standardized features, malignant vs benign). Prints progress and the test accuracy, and, when
scikit-learn is installed, fits ``sklearn.linear_model.LogisticRegression`` on the same
objective and compares the two models.

    python -m axonite.examples.logistic [--epochs 500] [--lr 0.5] [--l2 1e-3] [--seed 0] [--smoke]
"""

from __future__ import annotations

import argparse
import time
import warnings
from typing import Any

import numpy as np

import axonite as ax
from axonite import datasets, nn


class LogisticRegression(nn.Module):
    """``p(y = 1 | x) = sigmoid(w.x + b)``. ``forward`` returns the logit ``w.x + b`` (N, 1), so
    training can use the numerically stable ``BCEWithLogitsLoss``; ``predict_proba`` applies
    the sigmoid."""

    def __init__(self, in_features: int) -> None:
        super().__init__()
        self.linear = nn.Linear(in_features, 1)
        self.sigmoid = nn.Sigmoid()

    def forward(self, x: ax.Tensor) -> ax.Tensor:
        return self.linear(x)

    def predict_proba(self, x: ax.Tensor) -> ax.Tensor:
        """Probability of the positive class, (N, 1)."""
        return self.sigmoid(self.linear(x))


def load_breast_cancer(seed: int) -> tuple[ax.Tensor, ax.Tensor, ax.Tensor, ax.Tensor]:
    """Float32 features standardized with training statistics and float targets (N, 1) in
    {0, 1} (1 = benign, scikit-learn's coding); ``ax.datasets.breast_cancer``'s stratified
    456 / 113 split drawn from ``seed``.

    Raises ``ax.datasets.DatasetNotFoundError`` (with the install command) without
    scikit-learn, whose wheel ships the data.
    """
    (x_train, y_train), (x_test, y_test) = datasets.breast_cancer(seed=seed)
    scaler = datasets.Standardize().fit(x_train)
    return (
        scaler.transform(x_train),
        y_train.float().unsqueeze(1),
        scaler.transform(x_test),
        y_test.float().unsqueeze(1),
    )


def accuracy(model: LogisticRegression, x: ax.Tensor, y: ax.Tensor) -> float:
    """Fraction of samples where ``p >= 0.5`` (logit >= 0) matches the 0/1 target."""
    with ax.no_grad():
        return ((model(x) >= 0).float() == y).float().mean().item()


def sklearn_reference(
    x_train: ax.Tensor, y_train: ax.Tensor, x_test: ax.Tensor, y_test: ax.Tensor, l2: float
) -> dict[str, Any] | None:
    """Fits scikit-learn's LogisticRegression on the same objective, or returns None when
    scikit-learn is missing.

    Ours minimizes ``mean(BCE) + l2 * ||w||^2`` (bias unpenalized); scikit-learn minimizes
    ``||w||^2 / 2 + C * sum(BCE)``, the same problem scaled by ``1 / (C N)`` when
    ``C = 1 / (2 l2 N)``, so both should land on the same weights. ``l2 = 0`` uses
    ``penalty=None``.
    """
    try:
        from sklearn.linear_model import LogisticRegression as SkLogisticRegression
    except ImportError:
        return None
    xtr, ytr = x_train.numpy().astype(np.float64), y_train.numpy().ravel()
    kwargs: dict[str, Any] = {"C": 1.0 / (2.0 * l2 * len(xtr))} if l2 > 0 else {"penalty": None}
    with warnings.catch_warnings():
        # Without a penalty, nearly separable data may stop at max_iter: still a fair reference.
        warnings.simplefilter("ignore")
        sk = SkLogisticRegression(max_iter=10_000, tol=1e-8, **kwargs).fit(xtr, ytr)
    return {
        "test_accuracy": float(sk.score(x_test.numpy(), y_test.numpy().ravel())),
        "coef": sk.coef_.ravel(),
        "intercept": float(sk.intercept_[0]),
        "test_pred": sk.predict(x_test.numpy()),
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Trains the model full-batch, prints progress and the comparison, returns the numbers."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--epochs", type=int, default=500, help="full-batch gradient steps")
    ap.add_argument("--lr", type=float, default=0.5)
    ap.add_argument("--momentum", type=float, default=0.9)
    ap.add_argument("--l2", type=float, default=1e-3, help="penalty l2 * ||w||^2 (bias excluded)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--smoke", action="store_true", help="fast run (100 epochs)")
    args = ap.parse_args(argv)
    epochs = min(args.epochs, 100) if args.smoke else args.epochs

    ax.manual_seed(args.seed)
    x_train, y_train, x_test, y_test = load_breast_cancer(args.seed)
    model = LogisticRegression(x_train.shape[1])
    criterion = nn.BCEWithLogitsLoss()
    optimizer = ax.optim.SGD(model.parameters(), lr=args.lr, momentum=args.momentum)
    print(
        f"breast cancer: {x_train.shape[0]} train / {x_test.shape[0]} test tumours, "
        f"{x_train.shape[1]} standardized features; full-batch SGD(lr={args.lr}, "
        f"momentum={args.momentum}), L2 {args.l2}"
    )
    t0 = time.perf_counter()
    log_every = max(epochs // 10, 1)
    for epoch in range(1, epochs + 1):
        optimizer.zero_grad()
        bce = criterion(model(x_train), y_train)
        loss = bce + nn.utils.penalty(model, l2=args.l2) if args.l2 else bce
        loss.backward()
        optimizer.step()
        if epoch == 1 or epoch % log_every == 0 or epoch == epochs:
            print(
                f"epoch {epoch:4d}/{epochs}  loss {loss.item():.5f}  "
                f"train acc {accuracy(model, x_train, y_train):.4f}  "
                f"test acc {accuracy(model, x_test, y_test):.4f}  "
                f"({time.perf_counter() - t0:.2f}s)",
                flush=True,
            )
    train_acc, test_acc = accuracy(model, x_train, y_train), accuracy(model, x_test, y_test)
    result: dict[str, Any] = {
        "train_accuracy": train_acc,
        "test_accuracy": test_acc,
        "final_loss": loss.item(),
        "epochs": epochs,
    }
    ref = sklearn_reference(x_train, y_train, x_test, y_test, args.l2)
    if ref is not None:
        with ax.no_grad():
            ours_pred = (model(x_test) >= 0).float().numpy().ravel()
        w = model.linear.weight.detach().numpy().ravel()
        result.update(
            {
                "sklearn_test_accuracy": ref["test_accuracy"],
                "max_weight_diff_vs_sklearn": float(np.abs(w - ref["coef"]).max()),
                "bias_diff_vs_sklearn": abs(model.linear.bias.item() - ref["intercept"]),
                "test_prediction_agreement": float((ours_pred == ref["test_pred"]).mean()),
            }
        )
        print(
            f"sklearn LogisticRegression (same objective): test acc "
            f"{ref['test_accuracy']:.4f}; max |w - w_sklearn| "
            f"{result['max_weight_diff_vs_sklearn']:.2e}, test predictions agree on "
            f"{result['test_prediction_agreement']:.1%}"
        )
    print(f"final test accuracy: {test_acc:.4f}")
    return result


if __name__ == "__main__":
    main()
