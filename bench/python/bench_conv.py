"""Convolution benchmarks, axonite vs PyTorch in one process on the same data and weights:
Conv2d forward and forward+backward (input, weight and bias gradients) for
(a) N=64, 1->6, 28x28, k5 (LeNet's first layer), (b) N=64, 64->64, 32x32, k3 p1,
(c) N=32, 3->64, 224x224, k7 s2 p3 (ResNet stem), (d) depthwise 3x3, N=32, 128 channels,
56x56. Prints median times and ratios (axonite / torch; below 1.0 means axonite is faster).

    python bench/python/bench_conv.py [--repeats N] [--threads 1 2] [--cases a b c d]
                                      [--markdown]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

import axonite as ax

sys.path.insert(0, str(Path(__file__).parent))
from _harness import Case, run_table, torch

# name: (N, C_in, C_out, H, W, kernel, stride, padding, groups)
CONFIGS = {
    "a": (64, 1, 6, 28, 28, 5, 1, 0, 1),
    "b": (64, 64, 64, 32, 32, 3, 1, 1, 1),
    "c": (32, 3, 64, 224, 224, 7, 2, 3, 1),
    "d": (32, 128, 128, 56, 56, 3, 1, 1, 128),
}


def conv_cases(key: str, threads: int) -> list[Case]:
    n, ci, co, h, w, k, s, p, g = CONFIGS[key]
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, ci, h, w)).astype(np.float32)
    tm = torch.nn.Conv2d(ci, co, k, stride=s, padding=p, groups=g)
    am = ax.nn.Conv2d(ci, co, k, stride=s, padding=p, groups=g)
    am.load_state_dict({name: ax.tensor(v.detach().numpy()) for name, v in tm.state_dict().items()})
    tx, axx = torch.from_numpy(x), ax.tensor(x)
    tx_g, axx_g = tx.clone().requires_grad_(True), ax.tensor(x, requires_grad=True)

    def ax_fwd() -> None:
        with ax.no_grad():
            am(axx)

    def t_fwd() -> None:
        with torch.no_grad():
            tm(tx)

    def ax_fb() -> None:
        am(axx_g).sum().backward()

    def t_fb() -> None:
        tm(tx_g).sum().backward()

    label = f"({key}) {n}x{ci}->{co} {h}x{w} k{k}" + (f" s{s}" if s > 1 else "")
    label += f" p{p}" if p else ""
    label += " dw" if g > 1 else ""
    return [(f"{label} fwd", threads, ax_fwd, t_fwd), (f"{label} fwd+bwd", threads, ax_fb, t_fb)]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--cases", nargs="+", default=list(CONFIGS), choices=list(CONFIGS))
    ap.add_argument("--markdown", action="store_true", help="print a Markdown table")
    args = ap.parse_args()
    cases: list[Case] = []
    for th in args.threads:
        for key in args.cases:
            cases += conv_cases(key, th)
    run_table(cases, args.repeats, args.markdown)


if __name__ == "__main__":
    main()
