"""The course's regularization experiment on Fashion-MNIST: one MLP (784-256-256-10, ReLU),
one optimizer (Adam) and one epoch budget, trained on a training subset small enough to
overfit visibly, under six configurations:

    none | dropout | l2 (``nn.utils.penalty`` added to the loss) | batchnorm |
    dropout+batchnorm | early stopping (val_loss, restore_best_weights)

A 10,000-image validation set (drawn from the rest of the training images) scores every
epoch; the 10,000 test images score the final weights once. The table lists, per config,
train / validation / test accuracy (measured in eval mode after training), the train - val
gap, the epochs run and the seconds taken.

    python -m axonite.examples.regularization [--train-size 10000] [--epochs 40] [--seed 0]
        [--smoke] [--verbose 1]

What it shows (seeds 0-2): the unregularized net reaches 97-98% training accuracy against
85-86% on validation; dropout halves that gap and gains about 0.5-1.5 points of test accuracy,
dropout + batchnorm gains about 1-1.5, early stopping a little less after a third of the
epochs; the L2 penalty narrows the gap but, added to the loss under Adam (whose per-weight
step normalization also rescales the penalty's gradient), does not raise test accuracy;
batchnorm alone trains fastest and overfits most.

Needs the Debian package ``dataset-fashion-mnist`` (``apt-get install -y
dataset-fashion-mnist``); without it the script exits with that install command.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

import axonite as ax
import axonite.nn.functional as F
from axonite import nn

CONFIGS = ("none", "dropout", "l2", "batchnorm", "dropout+batchnorm", "early_stopping")


def build_mlp(
    hidden: tuple[int, ...] = (256, 256), dropout: float = 0.0, batchnorm: bool = False
) -> nn.Sequential:
    """784 -> hidden... -> 10: ``Linear [-> BatchNorm1d] -> ReLU [-> Dropout]`` per hidden
    layer; outputs logits. The Linear layers are created in the same order whatever the
    options (BatchNorm and Dropout draw no random numbers at construction), so every config
    starts from the same Linear weights for a given seed."""
    layers: list[nn.Module] = []
    width = 784
    for h in hidden:
        layers.append(nn.Linear(width, h))
        if batchnorm:
            layers.append(nn.BatchNorm1d(h))
        layers.append(nn.ReLU())
        if dropout:
            layers.append(nn.Dropout(dropout))
        width = h
    layers.append(nn.Linear(width, 10))
    return nn.Sequential(*layers)


def load_splits(
    train_size: int, val_size: int, seed: int
) -> tuple[tuple[ax.Tensor, ax.Tensor], tuple[ax.Tensor, ax.Tensor], tuple[ax.Tensor, ax.Tensor]]:
    """(train, val, test) pairs: ``train_size`` and ``val_size`` disjoint training images drawn
    by a permutation from ``seed``, and the full test set; pixels standardized with the
    training subset's mean and std. Raises ``DatasetNotFoundError`` without the data."""
    (x, y), (x_test, y_test) = ax.datasets.fashion_mnist(flatten=True)
    n = int(x.shape[0])
    if train_size < 1 or val_size < 1 or train_size + val_size > n:
        raise ValueError(
            f"regularization: train_size + val_size must be in [2, {n}], got "
            f"train_size={train_size}, val_size={val_size}"
        )
    perm = np.random.default_rng(seed).permutation(n)
    tr = ax.from_numpy(np.sort(perm[:train_size]))
    va = ax.from_numpy(np.sort(perm[train_size : train_size + val_size]))
    x_tr, x_va = x[tr], x[va]
    mean, std = x_tr.mean().item(), x_tr.std().item()

    def scale(t: ax.Tensor) -> ax.Tensor:
        return (t - mean) / std

    return (scale(x_tr), y[tr]), (scale(x_va), y[va]), (scale(x_test), y_test)


def make_config(
    name: str, dropout: float, l2: float, patience: int
) -> tuple[nn.Sequential, Callable[..., Any], list[Any]]:
    """(network, loss, callbacks) of one configuration; the caller seeds the RNG first."""
    if name not in CONFIGS:
        raise ValueError(f"regularization: config must be one of {CONFIGS}, got {name!r}")
    net = build_mlp(dropout=dropout if "dropout" in name else 0.0, batchnorm="batchnorm" in name)
    loss: Callable[..., Any] = nn.CrossEntropyLoss()
    if name == "l2":

        def loss(y_pred: ax.Tensor, y: ax.Tensor) -> ax.Tensor:
            return F.cross_entropy(y_pred, y) + nn.utils.penalty(net, l2=l2)

    callbacks: list[Any] = []
    if name == "early_stopping":
        callbacks.append(
            ax.train.EarlyStopping(monitor="val_loss", patience=patience, restore_best_weights=True)
        )
    return net, loss, callbacks


def run_config(
    name: str,
    data: tuple[tuple[ax.Tensor, ax.Tensor], ...],
    *,
    epochs: int,
    batch_size: int,
    lr: float,
    optimizer: str,
    dropout: float,
    l2: float,
    patience: int,
    seed: int,
    verbose: int,
) -> dict[str, Any]:
    """Trains one configuration from the seed's initial weights and batch order, then scores
    the final (for early stopping: the restored best) weights on the three sets."""
    (x_tr, y_tr), (x_va, y_va), (x_te, y_te) = data
    ax.manual_seed(seed)
    net, loss, callbacks = make_config(name, dropout, l2, patience)
    model = ax.train.Model(net)
    if optimizer == "adam":
        opt: ax.optim.Optimizer = ax.optim.Adam(net.parameters(), lr=lr)
    elif optimizer == "sgd":
        opt = ax.optim.SGD(net.parameters(), lr=lr, momentum=0.9)
    else:
        raise ValueError(f"regularization: optimizer must be 'adam' or 'sgd', got {optimizer!r}")
    model.compile(optimizer=opt, loss=loss, metrics=["accuracy"])
    g = ax.Generator()
    g.manual_seed(seed)
    t0 = time.perf_counter()
    history = model.fit(
        x_tr,
        y_tr,
        batch_size=batch_size,
        epochs=epochs,
        validation_data=(x_va, y_va),
        callbacks=callbacks,
        verbose=verbose,
        generator=g,
    )
    seconds = time.perf_counter() - t0

    def acc(x: ax.Tensor, y: ax.Tensor) -> float:
        return model.evaluate(x, y, batch_size=2000)["accuracy"]

    train_acc, val_acc = acc(x_tr, y_tr), acc(x_va, y_va)
    return {
        "config": name,
        "train_accuracy": train_acc,
        "val_accuracy": val_acc,
        "test_accuracy": acc(x_te, y_te),
        "gap": train_acc - val_acc,
        "epochs_run": len(history.epoch),
        "seconds": seconds,
    }


def format_table(rows: list[dict[str, Any]]) -> str:
    """config | train acc | val acc | test acc | gap | epochs | seconds."""
    head = (
        f"{'config':<18} | {'train acc':>9} | {'val acc':>7} | {'test acc':>8} | "
        f"{'gap (train-val)':>15} | {'epochs':>6} | {'seconds':>7}"
    )
    lines = [head, "-" * len(head)]
    for r in rows:
        lines.append(
            f"{r['config']:<18} | {r['train_accuracy']:>9.4f} | {r['val_accuracy']:>7.4f} | "
            f"{r['test_accuracy']:>8.4f} | {r['gap']:>15.4f} | {r['epochs_run']:>6d} | "
            f"{r['seconds']:>7.1f}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    """Runs the six configurations, prints the table, returns its rows (one dict each)."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--train-size", type=int, default=10_000)
    ap.add_argument("--val-size", type=int, default=10_000)
    ap.add_argument("--epochs", type=int, default=40)
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument(
        "--optimizer", choices=("adam", "sgd"), default="adam", help="SGD: momentum 0.9"
    )
    ap.add_argument("--dropout", type=float, default=0.5)
    ap.add_argument("--l2", type=float, default=1e-3, help="penalty l2 * sum(W^2), biases excluded")
    ap.add_argument("--patience", type=int, default=5, help="early stopping patience")
    ap.add_argument("--configs", nargs="+", choices=CONFIGS, default=list(CONFIGS))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--verbose", type=int, default=1, help="0 silent, 1 table, 2 + epoch lines")
    ap.add_argument("--smoke", action="store_true", help="2k/1k images, 2 epochs (seconds)")
    args = ap.parse_args(argv)
    if args.smoke:
        args.train_size, args.val_size = min(args.train_size, 2000), min(args.val_size, 1000)
        args.epochs, args.patience = min(args.epochs, 2), min(args.patience, 1)

    t_start = time.perf_counter()
    try:
        data = load_splits(args.train_size, args.val_size, args.seed)
    except ax.datasets.DatasetNotFoundError as e:
        sys.exit(str(e))
    if args.verbose:
        print(
            f"Fashion-MNIST: {args.train_size} train / {args.val_size} validation (from the "
            f"training images) / {data[2][0].shape[0]} test; MLP 784-256-256-10, "
            f"Adam(lr={args.lr}), batch {args.batch_size}, up to {args.epochs} epochs; dropout "
            f"{args.dropout}, L2 {args.l2}, early-stopping patience {args.patience}",
            flush=True,
        )
    rows = []
    for name in args.configs:
        rows.append(
            run_config(
                name,
                data,
                epochs=args.epochs,
                batch_size=args.batch_size,
                lr=args.lr,
                optimizer=args.optimizer,
                dropout=args.dropout,
                l2=args.l2,
                patience=args.patience,
                seed=args.seed,
                verbose=2 if args.verbose >= 2 else 0,
            )
        )
        if args.verbose >= 2:
            print(format_table(rows[-1:]).splitlines()[-1], flush=True)
    if args.verbose:
        print(format_table(rows))
        print(f"total {time.perf_counter() - t_start:.1f}s, {ax.get_num_threads()} threads")
    return rows


if __name__ == "__main__":
    main()
