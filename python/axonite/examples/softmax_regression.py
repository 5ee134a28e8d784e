"""Multinomial logistic (softmax) regression: one ``Linear`` layer trained on
``CrossEntropyLoss`` plus an L2 penalty with mini-batch SGD, on real data bundled with
scikit-learn (digits: 1,797 8x8 images of 10 digits; or wine / iris). Prints progress and the
test accuracy, and the accuracy of ``sklearn.linear_model.LogisticRegression`` fitted to the
same objective when scikit-learn is installed.

    python -m axonite.examples.softmax_regression [--dataset digits] [--epochs 50] [--seed 0]
        [--smoke]
"""

from __future__ import annotations

import argparse
import time
import warnings
from typing import Any

import numpy as np

import axonite as ax
from axonite import datasets, nn

DATASETS = ("digits", "wine", "iris")


def load_dataset(name: str, seed: int) -> tuple[ax.Tensor, ax.Tensor, ax.Tensor, ax.Tensor]:
    """Float32 features and int64 labels of one of ``ax.datasets``' scikit-learn tables, with
    its stratified 80/20 split drawn from ``seed``.

    Digits pixels (0..16) are scaled to [0, 1]; wine and iris features, whose units differ
    per column, are standardized with training statistics. (Standardizing digits would blow up
    pixels that are almost always blank.) Raises ``ax.datasets.DatasetNotFoundError`` (with the
    install command) without scikit-learn, whose wheel ships the data.
    """
    if name not in DATASETS:
        raise ValueError(f"softmax_regression: dataset must be one of {DATASETS}, got {name!r}")
    (x_train, y_train), (x_test, y_test) = getattr(datasets, name)(seed=seed)
    if name == "digits":
        return x_train / 16.0, y_train, x_test / 16.0, y_test
    scaler = datasets.Standardize().fit(x_train)
    return scaler.transform(x_train), y_train, scaler.transform(x_test), y_test


def accuracy(model: nn.Module, x: ax.Tensor, y: ax.Tensor) -> float:
    """Fraction of samples whose highest logit is the true class."""
    with ax.no_grad():
        return (model(x).argmax(1) == y).float().mean().item()


def sklearn_reference(
    x_train: ax.Tensor, y_train: ax.Tensor, x_test: ax.Tensor, l2: float
) -> np.ndarray | None:
    """Test predictions of scikit-learn's multinomial LogisticRegression on the same objective
    (``C = 1 / (2 l2 N)``: ``mean(CE) + l2 ||W||^2`` scaled by ``C N``), or None without
    scikit-learn."""
    try:
        from sklearn.linear_model import LogisticRegression
    except ImportError:
        return None
    xtr = x_train.numpy().astype(np.float64)
    kwargs: dict[str, Any] = {"C": 1.0 / (2.0 * l2 * len(xtr))} if l2 > 0 else {"penalty": None}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # an unpenalized fit may stop at max_iter
        sk = LogisticRegression(max_iter=10_000, **kwargs).fit(xtr, y_train.numpy())
    return sk.predict(x_test.numpy())


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Trains the model, prints progress and the comparison, returns the headline numbers."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--dataset", choices=DATASETS, default="digits")
    ap.add_argument("--epochs", type=int, default=50)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--lr", type=float, default=0.1)
    ap.add_argument("--momentum", type=float, default=0.9)
    ap.add_argument("--l2", type=float, default=1e-4, help="penalty l2 * ||W||^2 (bias excluded)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--smoke", action="store_true", help="fast run (5 epochs)")
    args = ap.parse_args(argv)
    epochs = min(args.epochs, 5) if args.smoke else args.epochs

    ax.manual_seed(args.seed)
    x_train, y_train, x_test, y_test = load_dataset(args.dataset, args.seed)
    n, n_features = x_train.shape
    n_classes = int(y_train.max().item()) + 1
    model = nn.Linear(n_features, n_classes)
    criterion = nn.CrossEntropyLoss()
    optimizer = ax.optim.SGD(model.parameters(), lr=args.lr, momentum=args.momentum)
    print(
        f"{args.dataset}: {n} train / {x_test.shape[0]} test samples, {n_features} features, "
        f"{n_classes} classes; Linear + softmax, SGD(lr={args.lr}, momentum={args.momentum}), "
        f"batch {args.batch_size}, L2 {args.l2}"
    )
    t0 = time.perf_counter()
    log_every = max(epochs // 10, 1)
    for epoch in range(1, epochs + 1):
        order = ax.randperm(n)
        total = 0.0
        for start in range(0, n, args.batch_size):
            idx = order[start : start + args.batch_size]
            optimizer.zero_grad()
            ce = criterion(model(x_train[idx]), y_train[idx])
            loss = ce + nn.utils.penalty(model, l2=args.l2) if args.l2 else ce
            loss.backward()
            optimizer.step()
            total += ce.item() * idx.shape[0]
        if epoch == 1 or epoch % log_every == 0 or epoch == epochs:
            print(
                f"epoch {epoch:3d}/{epochs}  cross-entropy {total / n:.4f}  "
                f"train acc {accuracy(model, x_train, y_train):.4f}  "
                f"test acc {accuracy(model, x_test, y_test):.4f}  "
                f"({time.perf_counter() - t0:.2f}s)",
                flush=True,
            )
    train_acc, test_acc = accuracy(model, x_train, y_train), accuracy(model, x_test, y_test)
    result: dict[str, Any] = {
        "train_accuracy": train_acc,
        "test_accuracy": test_acc,
        "train_loss": total / n,
        "epochs": epochs,
    }
    sk_pred = sklearn_reference(x_train, y_train, x_test, args.l2)
    if sk_pred is not None:
        with ax.no_grad():
            ours = model(x_test).argmax(1).numpy()
        y = y_test.numpy()
        result["sklearn_test_accuracy"] = float((sk_pred == y).mean())
        result["test_prediction_agreement"] = float((sk_pred == ours).mean())
        print(
            f"sklearn LogisticRegression (same objective): test acc "
            f"{result['sklearn_test_accuracy']:.4f}; test predictions agree on "
            f"{result['test_prediction_agreement']:.1%}"
        )
    print(f"final test accuracy: {test_acc:.4f}")
    return result


if __name__ == "__main__":
    main()
