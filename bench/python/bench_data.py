"""DataLoader benchmark, axonite vs PyTorch in one process on the same data: one shuffled epoch
over a TensorDataset of 60,000 x 784 float32 images + int64 labels (MNIST-sized), batch 128.
axonite builds each batch with one index_select per tensor; PyTorch's DataLoader indexes and
stacks sample by sample. Prints median times and ratios (axonite / torch; below 1.0 means
axonite is faster).

    python bench/python/bench_data.py [--repeats N] [--threads 1 2] [--markdown]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

import axonite as ax
from axonite.utils.data import DataLoader, TensorDataset

sys.path.insert(0, str(Path(__file__).parent))
from _harness import Case, run_table, torch

N, D, BATCH = 60_000, 784, 128


def epoch_cases(threads: int) -> list[Case]:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((N, D)).astype(np.float32)
    y = rng.integers(0, 10, N)
    a_loader = DataLoader(
        TensorDataset(ax.tensor(x), ax.tensor(y)),
        batch_size=BATCH,
        shuffle=True,
        generator=ax.Generator().manual_seed(0),
    )
    a_threaded = DataLoader(
        TensorDataset(ax.tensor(x), ax.tensor(y)),
        batch_size=BATCH,
        shuffle=True,
        num_workers=2,
        generator=ax.Generator().manual_seed(0),
    )
    t_loader = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(torch.from_numpy(x), torch.from_numpy(y)),
        batch_size=BATCH,
        shuffle=True,
        generator=torch.Generator().manual_seed(0),
    )

    def epoch(loader: object) -> None:
        for _xb, _yb in loader:  # type: ignore[attr-defined]
            pass

    return [
        (f"epoch 60000x784, b={BATCH}, shuffle", threads, lambda: epoch(a_loader),
         lambda: epoch(t_loader)),
        ("  same, axonite num_workers=2", threads, lambda: epoch(a_threaded),
         lambda: epoch(t_loader)),
    ]  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--markdown", action="store_true", help="print a Markdown table")
    args = ap.parse_args()
    cases: list[Case] = []
    for th in args.threads:
        cases += epoch_cases(th)
    run_table(cases, args.repeats, args.markdown)


if __name__ == "__main__":
    main()
