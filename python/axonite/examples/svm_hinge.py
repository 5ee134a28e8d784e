"""Multi-class linear SVM with the Weston-Watkins hinge loss (``nn.MultiMarginLoss``, p=1) and
an L2 penalty on the weights (SGD ``weight_decay`` on the weight only, as an SVM leaves the bias
unpenalized), trained on scikit-learn's bundled digits (1,797 8x8 images, 10 classes). Trains
the squared hinge (p=2) too and prints both test accuracies, plus scikit-learn's LinearSVC
(Crammer-Singer) as a reference when it is installed.

    python -m axonite.examples.svm_hinge [--epochs 50] [--weight-decay 2e-4] [--seed 0] [--smoke]
"""

from __future__ import annotations

import argparse
import time
import warnings
from typing import Any

import axonite as ax
from axonite import datasets, nn


def load_digits(seed: int) -> tuple[ax.Tensor, ax.Tensor, ax.Tensor, ax.Tensor]:
    """Pixels scaled to [0, 1] (float32) and int64 labels; ``ax.datasets.digits``' stratified
    1,438 / 359 split drawn from ``seed``.

    Raises ``ax.datasets.DatasetNotFoundError`` (with the install command) without
    scikit-learn, whose wheel ships the data.
    """
    (x_train, y_train), (x_test, y_test) = datasets.digits(seed=seed)
    return x_train / 16.0, y_train, x_test / 16.0, y_test


def accuracy(model: nn.Module, x: ax.Tensor, y: ax.Tensor) -> float:
    """Fraction of samples whose highest score is the true class."""
    with ax.no_grad():
        return (model(x).argmax(1) == y).float().mean().item()


def margin_violations(model: nn.Module, x: ax.Tensor, y: ax.Tensor, margin: float) -> float:
    """Fraction of samples with a wrong class scoring within ``margin`` of the true class
    (the samples that still contribute to the hinge loss: the support vectors)."""
    with ax.no_grad():
        scores = model(x)
        true = scores.gather(1, y.unsqueeze(1))
        gap = (scores - true + margin).scatter(1, y.unsqueeze(1), ax.zeros_like(true))
        return (gap.max(1).values > 0).float().mean().item()


def train_svm(
    x: ax.Tensor,
    y: ax.Tensor,
    x_test: ax.Tensor,
    y_test: ax.Tensor,
    *,
    p: int,
    epochs: int,
    batch_size: int,
    lr: float,
    momentum: float,
    weight_decay: float,
    margin: float = 1.0,
) -> tuple[nn.Linear, float]:
    """Trains ``Linear(features, classes)`` on ``MultiMarginLoss(p, margin)`` with mini-batch
    SGD, weight decay on the weight matrix only. Prints progress; returns the model and the
    last epoch's mean hinge loss."""
    n, n_classes = x.shape[0], int(y.max().item()) + 1
    model = nn.Linear(x.shape[1], n_classes)
    criterion = nn.MultiMarginLoss(p=p, margin=margin)
    optimizer = ax.optim.SGD(
        [
            {"params": [model.weight], "weight_decay": weight_decay},
            {"params": [model.bias], "weight_decay": 0.0},
        ],
        lr=lr,
        momentum=momentum,
    )
    t0 = time.perf_counter()
    log_every = max(epochs // 5, 1)
    total = 0.0
    for epoch in range(1, epochs + 1):
        order = ax.randperm(n)
        total = 0.0
        for start in range(0, n, batch_size):
            idx = order[start : start + batch_size]
            optimizer.zero_grad()
            loss = criterion(model(x[idx]), y[idx])
            loss.backward()
            optimizer.step()
            total += loss.item() * idx.shape[0]
        if epoch == 1 or epoch % log_every == 0 or epoch == epochs:
            print(
                f"  p={p} epoch {epoch:3d}/{epochs}  hinge {total / n:.4f}  "
                f"train acc {accuracy(model, x, y):.4f}  "
                f"test acc {accuracy(model, x_test, y_test):.4f}  "
                f"({time.perf_counter() - t0:.2f}s)",
                flush=True,
            )
    return model, total / n


def sklearn_reference(
    x_train: ax.Tensor, y_train: ax.Tensor, x_test: ax.Tensor, y_test: ax.Tensor
) -> float | None:
    """Test accuracy of scikit-learn's Crammer-Singer LinearSVC (the max-over-classes cousin of
    the Weston-Watkins sum), or None without scikit-learn."""
    try:
        from sklearn.svm import LinearSVC
    except ImportError:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # liblinear may stop at max_iter; still a fair reference
        sk = LinearSVC(multi_class="crammer_singer", max_iter=10_000)
        sk.fit(x_train.numpy(), y_train.numpy())
    return float(sk.score(x_test.numpy(), y_test.numpy()))


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Trains the hinge and squared-hinge SVMs, prints progress, returns the headline numbers."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--epochs", type=int, default=50)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--lr", type=float, default=0.1)
    ap.add_argument("--momentum", type=float, default=0.9)
    ap.add_argument("--weight-decay", type=float, default=2e-4, help="L2 on the weight matrix")
    ap.add_argument("--margin", type=float, default=1.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--smoke", action="store_true", help="fast run (5 epochs)")
    args = ap.parse_args(argv)
    epochs = min(args.epochs, 5) if args.smoke else args.epochs

    x_train, y_train, x_test, y_test = load_digits(args.seed)
    print(
        f"digits: {x_train.shape[0]} train / {x_test.shape[0]} test images; linear SVM, "
        f"Weston-Watkins hinge, SGD(lr={args.lr}, momentum={args.momentum}), "
        f"weight decay {args.weight_decay}, batch {args.batch_size}"
    )
    result: dict[str, Any] = {"epochs": epochs}
    for p, key in ((1, "hinge"), (2, "squared_hinge")):
        ax.manual_seed(args.seed)
        model, loss = train_svm(
            x_train,
            y_train,
            x_test,
            y_test,
            p=p,
            epochs=epochs,
            batch_size=args.batch_size,
            lr=args.lr,
            momentum=args.momentum,
            weight_decay=args.weight_decay,
            margin=args.margin,
        )
        result[f"{key}_test_accuracy"] = accuracy(model, x_test, y_test)
        result[f"{key}_train_accuracy"] = accuracy(model, x_train, y_train)
        result[f"{key}_train_loss"] = loss
        result[f"{key}_margin_violations"] = margin_violations(model, x_train, y_train, args.margin)
    result["test_accuracy"] = result["hinge_test_accuracy"]
    print(
        f"hinge (p=1): test acc {result['hinge_test_accuracy']:.4f}, "
        f"{result['hinge_margin_violations']:.1%} of training points inside the margin"
    )
    print(
        f"squared hinge (p=2): test acc {result['squared_hinge_test_accuracy']:.4f}, "
        f"{result['squared_hinge_margin_violations']:.1%} of training points inside the margin"
    )
    sk_acc = sklearn_reference(x_train, y_train, x_test, y_test)
    if sk_acc is not None:
        result["sklearn_test_accuracy"] = sk_acc
        print(f"sklearn LinearSVC (Crammer-Singer) test acc {sk_acc:.4f}")
    print(f"final test accuracy: {result['test_accuracy']:.4f}")
    return result


if __name__ == "__main__":
    main()
