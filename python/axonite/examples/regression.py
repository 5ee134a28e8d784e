"""Linear regression on scikit-learn's bundled diabetes data (442 patients, 10 standardized
features, disease progression after one year) three ways: closed-form least squares
(``ax.linalg.lstsq``), the normal equations (``ax.linalg.solve``) and gradient descent with the
Widrow-Hoff delta rule (LMS, ``w += lr * (t - w.x) x``). Prints the weight vectors and test
MSE / R^2 and checks that gradient descent reaches the least-squares solution.

    python -m axonite.examples.regression [--epochs 6000] [--lr 0.4] [--seed 0] [--smoke]
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import numpy as np

import axonite as ax

FEATURES = ["age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6"]


def load_diabetes(seed: int) -> tuple[ax.Tensor, ax.Tensor, ax.Tensor, ax.Tensor]:
    """Float64 features standardized with training statistics, with a trailing column of ones
    (the bias), and targets (N,), split 80/20 with a seeded permutation.

    Float64 because the point of the example is that two algorithms agree to many digits.
    """
    try:
        from sklearn.datasets import load_diabetes as sk_load
    except ImportError as exc:
        raise ImportError(
            "regression: the diabetes data ships with scikit-learn; install it with: "
            'pip install "axonite[datasets]"  (or: pip install scikit-learn)'
        ) from exc
    x, y = sk_load(return_X_y=True, scaled=False)
    perm = np.random.default_rng(seed).permutation(len(x))
    x, y = x[perm], y[perm]
    n_train = int(0.8 * len(x))
    x = (x - x[:n_train].mean(0)) / x[:n_train].std(0)
    x = np.concatenate([x, np.ones((len(x), 1))], axis=1)
    return (
        ax.tensor(x[:n_train]),
        ax.tensor(y[:n_train]),
        ax.tensor(x[n_train:]),
        ax.tensor(y[n_train:]),
    )


def fit_lstsq(x: ax.Tensor, y: ax.Tensor) -> ax.Tensor:
    """Least-squares weights by Householder QR, never forming ``X^T X`` (better conditioned)."""
    return ax.linalg.lstsq(x, y.unsqueeze(1)).solution.squeeze(1)


def fit_normal_equations(x: ax.Tensor, y: ax.Tensor) -> ax.Tensor:
    """Least-squares weights from ``(X^T X) w = X^T y`` (squares the condition number)."""
    return ax.linalg.solve(x.T @ x, x.T @ y)


def fit_lms(
    x: ax.Tensor, y: ax.Tensor, *, lr: float, epochs: int, log_every: int = 0
) -> tuple[ax.Tensor, list[float]]:
    """Batch Widrow-Hoff (LMS) rule from zero weights: ``w += lr * X^T (t - X w) / N`` per epoch,
    i.e. gradient descent on half the mean squared error. Converges to the least-squares
    solution when ``0 < lr < 2 / lambda_max(X^T X / N)``. Returns the weights and the training
    MSE after each epoch."""
    n = x.shape[0]
    w = ax.zeros(x.shape[1], dtype=x.dtype)
    history: list[float] = []
    for epoch in range(1, epochs + 1):
        err = y - x @ w
        w.add_((x.T @ err) * (lr / n))
        history.append((err * err).mean().item())
        if log_every and (epoch == 1 or epoch % log_every == 0):
            print(f"  LMS epoch {epoch:5d}/{epochs}  train MSE {history[-1]:.3f}", flush=True)
    return w, history


def mse_r2(x: ax.Tensor, y: ax.Tensor, w: ax.Tensor) -> tuple[float, float]:
    """Mean squared error and coefficient of determination of ``x @ w`` against ``y``."""
    err = y - x @ w
    mse = (err * err).mean().item()
    return mse, 1.0 - mse / y.var(unbiased=False).item()


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Fits the three ways, prints weights and test metrics, returns the headline numbers."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--epochs", type=int, default=6000, help="LMS epochs (full-batch)")
    ap.add_argument("--lr", type=float, default=0.4, help="LMS learning rate")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--smoke", action="store_true", help="fast run (1500 LMS epochs)")
    args = ap.parse_args(argv)
    epochs = min(args.epochs, 1500) if args.smoke else args.epochs

    ax.manual_seed(args.seed)
    x_train, y_train, x_test, y_test = load_diabetes(args.seed)
    print(
        f"diabetes: {x_train.shape[0]} train / {x_test.shape[0]} test patients, "
        f"{x_train.shape[1] - 1} standardized features + bias"
    )
    t0 = time.perf_counter()
    w_ls = fit_lstsq(x_train, y_train)
    w_ne = fit_normal_equations(x_train, y_train)
    w_gd, history = fit_lms(
        x_train, y_train, lr=args.lr, epochs=epochs, log_every=max(epochs // 6, 1)
    )
    elapsed = time.perf_counter() - t0

    print(f"  {'weight':>6s} {'lstsq':>10s} {'normal eq':>10s} {'LMS':>10s}")
    for name, a, b, c in zip(
        [*FEATURES, "bias"], w_ls.tolist(), w_ne.tolist(), w_gd.tolist(), strict=True
    ):
        print(f"  {name:>6s} {a:10.4f} {b:10.4f} {c:10.4f}")

    ls_mse, ls_r2 = mse_r2(x_test, y_test, w_ls)
    ne_mse, ne_r2 = mse_r2(x_test, y_test, w_ne)
    gd_mse, gd_r2 = mse_r2(x_test, y_test, w_gd)
    max_diff = (w_gd - w_ls).abs().max().item()
    ne_diff = (w_ne - w_ls).abs().max().item()
    print(f"  lstsq      test MSE {ls_mse:9.3f}  R^2 {ls_r2:.4f}")
    print(f"  normal eq  test MSE {ne_mse:9.3f}  R^2 {ne_r2:.4f}  max|w_ne - w_ls| {ne_diff:.2e}")
    print(f"  LMS        test MSE {gd_mse:9.3f}  R^2 {gd_r2:.4f}  ({epochs} epochs, lr {args.lr})")
    print(f"max |w_gd - w_ls| = {max_diff:.2e}  ({elapsed:.2f}s)")
    return {
        "max_weight_diff": max_diff,
        "normal_eq_weight_diff": ne_diff,
        "lstsq_test_mse": ls_mse,
        "normal_eq_test_mse": ne_mse,
        "gd_test_mse": gd_mse,
        "lstsq_test_r2": ls_r2,
        "gd_test_r2": gd_r2,
        "gd_final_train_mse": history[-1],
        "w_lstsq": w_ls.tolist(),
        "w_gd": w_gd.tolist(),
        "epochs": epochs,
    }


if __name__ == "__main__":
    main()
