"""Training-loop benchmarks, axonite vs PyTorch in one process on the same data and weights:
an MLP 784-256-128-10 training step (batch 128, SGD with momentum), an Adam step over 1M
parameters, and cross_entropy forward+backward (batch 512, 1,000 classes). Prints median
times and ratios (axonite / torch; below 1.0 means axonite is faster).

    python bench/python/bench_train.py [--repeats N] [--threads 1 2] [--markdown]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

import axonite as ax
import axonite.nn.functional as F

sys.path.insert(0, str(Path(__file__).parent))
from _harness import Case, run_table, torch


def mlp_step_cases(threads: int) -> list[Case]:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((128, 784)).astype(np.float32)
    y = rng.integers(0, 10, 128)
    tm = torch.nn.Sequential(
        torch.nn.Linear(784, 256),
        torch.nn.ReLU(),
        torch.nn.Linear(256, 128),
        torch.nn.ReLU(),
        torch.nn.Linear(128, 10),
    )
    am = ax.nn.Sequential(
        ax.nn.Linear(784, 256),
        ax.nn.ReLU(),
        ax.nn.Linear(256, 128),
        ax.nn.ReLU(),
        ax.nn.Linear(128, 10),
    )
    am.load_state_dict(tm.state_dict())
    topt = torch.optim.SGD(tm.parameters(), lr=0.01, momentum=0.9)
    aopt = ax.optim.SGD(am.parameters(), lr=0.01, momentum=0.9)
    tx, ty = torch.from_numpy(x), torch.from_numpy(y)
    axx, axy = ax.tensor(x), ax.tensor(y)
    tloss = torch.nn.CrossEntropyLoss()
    aloss = ax.nn.CrossEntropyLoss()

    def ax_step() -> None:
        aopt.zero_grad()
        aloss(am(axx), axy).backward()
        aopt.step()

    def t_step() -> None:
        topt.zero_grad()
        tloss(tm(tx), ty).backward()
        topt.step()

    return [("MLP 784-256-128-10 step, b=128", threads, ax_step, t_step)]


def adam_cases(threads: int) -> list[Case]:
    rng = np.random.default_rng(1)
    shapes = [(100_000,)] * 10
    data = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    grads = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    ap = [ax.nn.Parameter(ax.tensor(d)) for d in data]
    tp = [torch.nn.Parameter(torch.from_numpy(d.copy())) for d in data]
    for p, g in zip(ap, grads, strict=True):
        p.grad = ax.tensor(g)
    for p, g in zip(tp, grads, strict=True):
        p.grad = torch.from_numpy(g.copy())
    aopt = ax.optim.Adam(ap, lr=1e-3)
    topt = torch.optim.Adam(tp, lr=1e-3)
    return [("Adam step, 1M params (10 x 100k)", threads, aopt.step, topt.step)]


def cross_entropy_cases(threads: int) -> list[Case]:
    rng = np.random.default_rng(2)
    logits = rng.standard_normal((512, 1000)).astype(np.float32)
    target = rng.integers(0, 1000, 512)
    ax_x = ax.tensor(logits, requires_grad=True)
    t_x = torch.tensor(logits, requires_grad=True)
    ax_y, t_y = ax.tensor(target), torch.from_numpy(target)

    def ax_fb() -> None:
        F.cross_entropy(ax_x, ax_y).backward()

    def t_fb() -> None:
        torch.nn.functional.cross_entropy(t_x, t_y).backward()

    return [("cross_entropy fwd+bwd 512x1000", threads, ax_fb, t_fb)]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=15)
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--markdown", action="store_true", help="print a Markdown table")
    args = ap.parse_args()
    cases: list[Case] = []
    for th in args.threads:
        cases += mlp_step_cases(th) + adam_cases(th) + cross_entropy_cases(th)
    run_table(cases, args.repeats, args.markdown)


if __name__ == "__main__":
    main()
