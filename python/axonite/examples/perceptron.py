"""Rosenblatt's perceptron (a ``Linear`` layer followed by ``nn.Step``, the Heaviside function)
trained with the perceptron learning rule ``w += lr * (t - y) * x``: it learns the AND and OR
truth tables exactly, cannot learn XOR (not linearly separable), and separates iris setosa from
the other two species (real data bundled with scikit-learn) with 100% training accuracy.

    python -m axonite.examples.perceptron [--lr 1.0] [--batch-size 1] [--seed 0] [--smoke]
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import axonite as ax
from axonite import datasets, nn

# Inputs of a two-input truth table, in the usual order 00, 01, 10, 11.
TRUTH_INPUTS = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]
TRUTH_TABLES = {
    "AND": [0.0, 0.0, 0.0, 1.0],
    "OR": [0.0, 1.0, 1.0, 1.0],
    "XOR": [0.0, 1.0, 1.0, 0.0],
}


class Perceptron(nn.Module):
    """Single-layer perceptron: ``step(x W^T + b)``, one 0/1 output per unit.

    The weights start at zero (Rosenblatt's convention), which makes the truth-table runs
    independent of the initializer; the Heaviside step has zero gradient, so the model is
    trained by :func:`perceptron_update`, not by backpropagation.
    """

    def __init__(self, in_features: int, out_features: int = 1) -> None:
        super().__init__()
        self.linear = nn.Linear(in_features, out_features)
        self.step = nn.Step()
        nn.init.zeros_(self.linear.weight)
        nn.init.zeros_(self.linear.bias)

    def forward(self, x: ax.Tensor) -> ax.Tensor:
        return self.step(self.linear(x))


def perceptron_update(model: Perceptron, x: ax.Tensor, t: ax.Tensor, lr: float) -> None:
    """One step of the perceptron rule on a batch ``x`` (B, in), targets ``t`` (B, out) in {0, 1}.

    ``W += lr * (t - y)^T x`` and ``b += lr * sum(t - y)``: only misclassified samples move the
    weights. With a batch of one sample this is Rosenblatt's online rule; with the whole set it
    is the batch perceptron.
    """
    with ax.no_grad():
        err = t - model(x)
        model.linear.weight.add_((err.T @ x) * lr)
        model.linear.bias.add_(err.sum(0) * lr)


def accuracy(model: Perceptron, x: ax.Tensor, t: ax.Tensor) -> float:
    """Fraction of samples whose outputs all equal their targets."""
    with ax.no_grad():
        return (model(x) == t).all(1).float().mean().item()


def train_perceptron(
    model: Perceptron,
    x: ax.Tensor,
    t: ax.Tensor,
    *,
    lr: float,
    max_epochs: int,
    batch_size: int,
    generator: ax.Generator,
) -> tuple[int, bool]:
    """Runs the perceptron rule over shuffled batches until an epoch ends with every training
    sample correct (converged) or ``max_epochs`` pass. Returns ``(epochs, converged)``.

    The perceptron convergence theorem guarantees termination on linearly separable data;
    on data that is not separable (XOR) the weights cycle forever.
    """
    if batch_size < 1:
        raise ValueError(f"train_perceptron: batch_size must be a positive int, got {batch_size}")
    n = x.shape[0]
    for epoch in range(1, max_epochs + 1):
        order = ax.randperm(n, generator=generator)
        for start in range(0, n, batch_size):
            idx = order[start : start + batch_size]
            perceptron_update(model, x[idx], t[idx], lr)
        if accuracy(model, x, t) == 1.0:
            return epoch, True
    return max_epochs, False


def _epochs(n: int) -> str:
    return f"{n} epoch" if n == 1 else f"{n} epochs"


def load_iris_setosa(seed: int) -> tuple[ax.Tensor, ax.Tensor, ax.Tensor, ax.Tensor]:
    """Iris features standardized with training statistics and targets (N, 1): 1 for setosa, 0
    for the other species; ``ax.datasets.iris``'s stratified 120 / 30 split drawn from ``seed``.

    Raises ``ax.datasets.DatasetNotFoundError`` (with the install command) without
    scikit-learn, whose wheel ships the data.
    """
    (x_train, y_train), (x_test, y_test) = datasets.iris(seed=seed)
    scaler = datasets.Standardize().fit(x_train)
    return (
        scaler.transform(x_train),
        (y_train == 0).float().unsqueeze(1),
        scaler.transform(x_test),
        (y_test == 0).float().unsqueeze(1),
    )


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Trains the four perceptrons, prints weights, epochs and accuracies, and returns them."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--lr", type=float, default=1.0, help="perceptron learning rate")
    ap.add_argument("--batch-size", type=int, default=1, help="1 = Rosenblatt's online rule")
    ap.add_argument("--max-epochs", type=int, default=100)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--smoke", action="store_true", help="fast run (fewer epochs on XOR)")
    args = ap.parse_args(argv)
    max_epochs = min(args.max_epochs, 20) if args.smoke else args.max_epochs

    ax.manual_seed(args.seed)
    g = ax.Generator()
    g.manual_seed(args.seed)
    t0 = time.perf_counter()
    result: dict[str, Any] = {}

    x = ax.tensor(TRUTH_INPUTS)
    print(f"truth tables: perceptron rule, lr={args.lr}, batch {args.batch_size}")
    for name, targets in TRUTH_TABLES.items():
        t = ax.tensor(targets).unsqueeze(1)
        model = Perceptron(2)
        epochs, converged = train_perceptron(
            model, x, t, lr=args.lr, max_epochs=max_epochs, batch_size=args.batch_size, generator=g
        )
        acc = accuracy(model, x, t)
        w = model.linear.weight.flatten().tolist()
        b = model.linear.bias.item()
        status = (
            f"converged after {_epochs(epochs)}"
            if converged
            else f"NOT converged after {_epochs(epochs)}"
        )
        print(
            f"  {name:3s}: w = [{w[0]:+.2f}, {w[1]:+.2f}], b = {b:+.2f}, {status}, "
            f"accuracy {acc:.2f}, outputs {model(x).flatten().tolist()}"
        )
        key = name.lower()
        result.update(
            {
                f"{key}_accuracy": acc,
                f"{key}_epochs": epochs,
                f"{key}_converged": converged,
                f"{key}_weight": w,
                f"{key}_bias": b,
            }
        )
    print("  XOR is not linearly separable: no line splits {01, 10} from {00, 11}.")

    x_train, t_train, x_test, t_test = load_iris_setosa(args.seed)
    model = Perceptron(x_train.shape[1])
    epochs, converged = train_perceptron(
        model,
        x_train,
        t_train,
        lr=args.lr,
        max_epochs=max_epochs,
        batch_size=args.batch_size,
        generator=g,
    )
    train_acc, test_acc = accuracy(model, x_train, t_train), accuracy(model, x_test, t_test)
    weights = ", ".join(f"{v:+.2f}" for v in model.linear.weight.flatten().tolist())
    print(
        f"iris setosa vs rest ({x_train.shape[0]} train / {x_test.shape[0]} test, 4 standardized "
        f"features): w = [{weights}], b = {model.linear.bias.item():+.2f}, "
        f"{'converged' if converged else 'NOT converged'} after {_epochs(epochs)}"
    )
    print(f"  train accuracy {train_acc:.4f}  test accuracy {test_acc:.4f}")
    result.update(
        {
            "iris_train_accuracy": train_acc,
            "iris_test_accuracy": test_acc,
            "iris_epochs": epochs,
            "iris_converged": converged,
        }
    )
    print(
        f"AND {result['and_accuracy']:.0%}, OR {result['or_accuracy']:.0%}, "
        f"XOR {result['xor_accuracy']:.0%}, iris train {train_acc:.0%} "
        f"({time.perf_counter() - t0:.2f}s)"
    )
    return result


if __name__ == "__main__":
    main()
