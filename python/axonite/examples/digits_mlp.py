"""Trains a two-layer MLP on scikit-learn's bundled handwritten digits (1,797 8x8 images, real
data shipped inside the scikit-learn wheel, nothing downloaded) with raw axonite tensors,
autograd and a hand-written SGD-with-momentum loop, printing progress and the test accuracy.

    python -m axonite.examples.digits_mlp [--epochs 30] [--hidden 64] [--seed 0]
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

import axonite as ax


def load_digits(seed: int) -> tuple[ax.Tensor, ax.Tensor, ax.Tensor, ax.Tensor]:
    """Standardized features and int64 labels, split 80/20 with a fixed permutation."""
    try:
        from sklearn.datasets import load_digits as sk_load
    except ImportError:
        sys.exit(
            "this demo reads the digits data bundled with scikit-learn; install it with: "
            'pip install "axonite[datasets]"  (or: pip install scikit-learn)'
        )
    x, y = sk_load(return_X_y=True)
    x = (x / 16.0).astype(np.float32)
    perm = np.random.default_rng(seed).permutation(len(x))
    x, y = x[perm], y[perm].astype(np.int64)
    n_train = int(0.8 * len(x))
    mean, std = x[:n_train].mean(0), x[:n_train].std(0) + 1e-6
    x = (x - mean) / std
    return (
        ax.tensor(x[:n_train]),
        ax.tensor(y[:n_train]),
        ax.tensor(x[n_train:]),
        ax.tensor(y[n_train:]),
    )


def init_linear(n_in: int, n_out: int) -> tuple[ax.Tensor, ax.Tensor]:
    bound = 1.0 / n_in**0.5  # PyTorch's default Linear init range
    w = (ax.rand(n_in, n_out) * 2 - 1) * bound
    b = (ax.rand(n_out) * 2 - 1) * bound
    return w.requires_grad_(), b.requires_grad_()


def cross_entropy(logits: ax.Tensor, target: ax.Tensor) -> ax.Tensor:
    """Mean negative log-likelihood of the targets, via a stable log-sum-exp."""
    log_probs = logits - logits.logsumexp(dim=1, keepdim=True)
    return -log_probs.gather(1, target.unsqueeze(1)).mean()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--lr", type=float, default=0.05)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    ax.manual_seed(args.seed)
    x_train, y_train, x_test, y_test = load_digits(args.seed)
    w1, b1 = init_linear(64, args.hidden)
    w2, b2 = init_linear(args.hidden, 10)
    params = [w1, b1, w2, b2]
    velocity = [ax.zeros_like(p) for p in params]

    def forward(x: ax.Tensor) -> ax.Tensor:
        return (x @ w1 + b1).relu() @ w2 + b2

    n = x_train.shape[0]
    print(
        f"digits: {n} train / {x_test.shape[0]} test images, MLP 64-{args.hidden}-10, "
        f"SGD(lr={args.lr}, momentum=0.9), batch {args.batch_size}"
    )
    t0 = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        order = ax.randperm(n)
        total, correct = 0.0, 0
        for start in range(0, n, args.batch_size):
            idx = order[start : start + args.batch_size]
            xb, yb = x_train[idx], y_train[idx]
            logits = forward(xb)
            loss = cross_entropy(logits, yb)
            for p in params:
                p.grad = None
            loss.backward()
            with ax.no_grad():
                for p, v in zip(params, velocity, strict=True):
                    v.mul_(0.9).add_(p.grad)
                    p.sub_(v * args.lr)
            total += loss.item() * xb.shape[0]
            correct += int((logits.argmax(1) == yb).sum().item())
        if epoch == 1 or epoch % 5 == 0 or epoch == args.epochs:
            with ax.no_grad():
                test_acc = (forward(x_test).argmax(1) == y_test).float().mean().item()
            print(
                f"epoch {epoch:3d}/{args.epochs}  loss {total / n:.4f}  "
                f"train acc {correct / n:.3f}  test acc {test_acc:.3f}  "
                f"({time.perf_counter() - t0:.1f}s)",
                flush=True,
            )
    with ax.no_grad():
        test_acc = (forward(x_test).argmax(1) == y_test).float().mean().item()
    print(f"final test accuracy: {test_acc:.4f}")


if __name__ == "__main__":
    main()
