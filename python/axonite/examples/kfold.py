"""Stratified k-fold cross-validation of an MLP on a real table bundled with scikit-learn
(digits: 1,797 8x8 images of 10 digits; or wine, breast_cancer, iris): for every fold a fresh
network is trained on the other folds and scored on the held-out one; the report lists each
fold's train / validation accuracy and loss, their mean +- standard deviation, then the network
retrained on all the training data and scored once on the held-out test split.

    python -m axonite.examples.kfold [--dataset digits] [--folds 5] [--epochs 100] [--seed 0]
        [--smoke] [--verbose 1]

The test split (20%, stratified) never takes part in the cross-validation. Features are scaled
with statistics of each fold's own training part only (digits' ink counts 0..16 are divided by
16; the other tables are standardized), so no validation sample leaks into the scaling.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

import numpy as np

import axonite as ax
from axonite import datasets, nn
from axonite.utils.data import StratifiedKFold

DATASETS = ("digits", "wine", "breast_cancer", "iris")


def load_dataset(
    name: str, seed: int
) -> tuple[tuple[ax.Tensor, ax.Tensor], tuple[ax.Tensor, ax.Tensor]]:
    """``(x_train, y_train), (x_test, y_test)`` of one of ``ax.datasets``' scikit-learn tables:
    float32 raw features, int64 labels, the stratified 80/20 split drawn from ``seed``. Exits
    with the install command when scikit-learn (which ships the data) is missing."""
    if name not in DATASETS:
        raise ValueError(f"kfold: dataset must be one of {DATASETS}, got {name!r}")
    try:
        return getattr(datasets, name)(seed=seed)
    except datasets.DatasetNotFoundError as e:
        sys.exit(str(e))


class Scaler:
    """Feature scaling fitted on training rows only: ``x / 16`` for digits (pixels that are
    almost always blank would blow up under standardization), per-column standardization
    otherwise (the tables' units differ per column)."""

    def __init__(self, dataset: str) -> None:
        self.dataset = dataset
        self._std: datasets.Standardize | None = None

    def fit(self, x: ax.Tensor) -> Scaler:
        if self.dataset != "digits":
            self._std = datasets.Standardize().fit(x)
        return self

    def transform(self, x: ax.Tensor) -> ax.Tensor:
        return x / 16.0 if self._std is None else self._std.transform(x)


def build_mlp(n_features: int, n_classes: int, hidden: tuple[int, ...]) -> nn.Sequential:
    """n_features -> hidden... -> n_classes with ReLU; outputs logits."""
    layers: list[nn.Module] = []
    width = n_features
    for h in hidden:
        layers += [nn.Linear(width, h), nn.ReLU()]
        width = h
    layers.append(nn.Linear(width, n_classes))
    return nn.Sequential(*layers)


def fit_and_score(
    x_fit: ax.Tensor,
    y_fit: ax.Tensor,
    x_eval: ax.Tensor,
    y_eval: ax.Tensor,
    dataset: str,
    hidden: tuple[int, ...],
    n_classes: int,
    epochs: int,
    batch_size: int,
    lr: float,
    seed: int,
) -> dict[str, float]:
    """Scales with ``x_fit``'s statistics, trains a fresh MLP (initial weights and batch order
    drawn from ``seed``) with Adam on (x_fit, y_fit), and returns the final loss and accuracy
    on both sets, measured in eval mode after training."""
    scaler = Scaler(dataset).fit(x_fit)
    x_fit, x_eval = scaler.transform(x_fit), scaler.transform(x_eval)
    ax.manual_seed(seed)
    net = build_mlp(int(x_fit.shape[1]), n_classes, hidden)
    model = ax.train.Model(net)
    model.compile(
        optimizer=ax.optim.Adam(net.parameters(), lr=lr),
        loss="cross_entropy",
        metrics=["accuracy"],
    )
    g = ax.Generator()
    g.manual_seed(seed)
    model.fit(x_fit, y_fit, batch_size=batch_size, epochs=epochs, verbose=0, generator=g)
    train = model.evaluate(x_fit, y_fit, batch_size=1024)
    held = model.evaluate(x_eval, y_eval, batch_size=1024)
    return {
        "train_loss": train["loss"],
        "train_accuracy": train["accuracy"],
        "val_loss": held["loss"],
        "val_accuracy": held["accuracy"],
    }


def format_table(rows: list[dict[str, float]]) -> str:
    """The per-fold table with a mean +- std line (population std, as numpy's default)."""
    keys = ("train_accuracy", "train_loss", "val_accuracy", "val_loss")
    lines = [
        f"{'fold':>6} | {'train acc':>9} | {'train loss':>10} | {'val acc':>9} | {'val loss':>9}",
        "-" * 56,
    ]
    for i, r in enumerate(rows, 1):
        lines.append(
            f"{i:>6} | {r['train_accuracy']:>9.4f} | {r['train_loss']:>10.4f} | "
            f"{r['val_accuracy']:>9.4f} | {r['val_loss']:>9.4f}"
        )
    m = {k: np.mean([r[k] for r in rows]) for k in keys}
    s = {k: np.std([r[k] for r in rows]) for k in keys}
    lines.append("-" * 56)
    lines.append(
        f"{'mean':>6} | {m['train_accuracy']:>9.4f} | {m['train_loss']:>10.4f} | "
        f"{m['val_accuracy']:>9.4f} | {m['val_loss']:>9.4f}"
    )
    lines.append(
        f"{'+- std':>6} | {s['train_accuracy']:>9.4f} | {s['train_loss']:>10.4f} | "
        f"{s['val_accuracy']:>9.4f} | {s['val_loss']:>9.4f}"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Runs the cross-validation and the final fit, prints the table, returns the numbers."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--dataset", choices=DATASETS, default="digits")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--epochs", type=int, default=100)
    ap.add_argument("--hidden", type=int, nargs="+", default=[64], help="hidden layer widths")
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--verbose", type=int, default=1, help="0 silent, 1 the table")
    ap.add_argument("--smoke", action="store_true", help="3 epochs per fold (seconds)")
    args = ap.parse_args(argv)
    if args.folds < 2:
        ap.error(f"--folds must be >= 2, got {args.folds}")
    epochs = min(args.epochs, 3) if args.smoke else args.epochs
    hidden = tuple(args.hidden)
    say = print if args.verbose else (lambda *a, **k: None)

    t_start = time.perf_counter()
    (x_train, y_train), (x_test, y_test) = load_dataset(args.dataset, args.seed)
    n_classes = int(y_train.max().item()) + 1
    arch = "-".join(str(w) for w in (x_train.shape[1], *hidden, n_classes))
    say(
        f"{args.dataset}: {x_train.shape[0]} train / {x_test.shape[0]} test samples, "
        f"{n_classes} classes; MLP {arch}, Adam(lr={args.lr}), batch {args.batch_size}, "
        f"{epochs} epochs; {args.folds}-fold stratified cross-validation on the training split"
    )
    common = {
        "dataset": args.dataset,
        "hidden": hidden,
        "n_classes": n_classes,
        "epochs": epochs,
        "batch_size": args.batch_size,
        "lr": args.lr,
        "seed": args.seed,
    }
    splitter = StratifiedKFold(args.folds, shuffle=True, random_state=args.seed)
    rows = []
    for train_idx, val_idx in splitter.split(x_train, y_train):
        rows.append(
            fit_and_score(
                x_train[train_idx],
                y_train[train_idx],
                x_train[val_idx],
                y_train[val_idx],
                **common,
            )
        )
    say(format_table(rows))
    accs = [r["val_accuracy"] for r in rows]
    final = fit_and_score(x_train, y_train, x_test, y_test, **common)
    out: dict[str, Any] = {
        "fold_accuracies": accs,
        "mean": float(np.mean(accs)),
        "std": float(np.std(accs)),
        "folds": rows,
        "test_accuracy": final["val_accuracy"],
        "test_loss": final["val_loss"],
        "seconds": time.perf_counter() - t_start,
    }
    say(
        f"cross-validation accuracy {out['mean']:.4f} +- {out['std']:.4f}; retrained on all "
        f"{x_train.shape[0]} training samples: test accuracy {out['test_accuracy']:.4f} "
        f"(test loss {out['test_loss']:.4f}); {out['seconds']:.1f}s"
    )
    return out


if __name__ == "__main__":
    main()
