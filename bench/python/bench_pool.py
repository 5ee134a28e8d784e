"""Pooling vs PyTorch in one process, same inputs: MaxPool2d 2x2 and AvgPool2d 2x2 (and the
3x3/s2/p1 ResNet stem pool, bilinear x2 upsampling) on (64, 64, 32, 32) float32, forward and
forward + backward, at 1 and 2 threads. Ratio = axonite / torch (below 1.0: axonite faster).

    python bench/python/bench_pool.py [--quick] [--markdown]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

import axonite as ax
import axonite.nn.functional as F

sys.path.insert(0, str(Path(__file__).parent))
from _harness import Case, run_table, torch


def _pair_cases(
    name: str, shape: tuple[int, ...], fa: Callable[..., object], ft: Callable[..., object]
) -> list[Case]:
    a = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    x, tx = ax.tensor(a), torch.from_numpy(a.copy())
    xg, txg = ax.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    gy = fa(x)
    g, tg = ax.ones(*gy.shape), torch.ones(*gy.shape)

    def ax_fb() -> None:
        xg.grad = None
        fa(xg).backward(g)

    def t_fb() -> None:
        txg.grad = None
        ft(txg).backward(tg)

    out: list[Case] = []
    for th in (1, 2):
        out.append((f"{name} fwd", th, lambda: fa(x), lambda: ft(tx)))
        out.append((f"{name} fwd+bwd", th, ax_fb, t_fb))
    return out


def cases(quick: bool) -> list[Case]:
    tf = torch.nn.functional
    shape = (64, 64, 32, 32)
    out = _pair_cases(
        "MaxPool2d 2x2", shape, lambda x: F.max_pool2d(x, 2), lambda x: tf.max_pool2d(x, 2)
    )
    out += _pair_cases(
        "AvgPool2d 2x2", shape, lambda x: F.avg_pool2d(x, 2), lambda x: tf.avg_pool2d(x, 2)
    )
    if not quick:
        out += _pair_cases(
            "MaxPool2d 3x3/s2/p1",
            shape,
            lambda x: F.max_pool2d(x, 3, 2, 1),
            lambda x: tf.max_pool2d(x, 3, 2, 1),
        )
        out += _pair_cases(
            "AdaptiveAvgPool2d 1",
            shape,
            lambda x: F.adaptive_avg_pool2d(x, 1),
            lambda x: tf.adaptive_avg_pool2d(x, 1),
        )
        out += _pair_cases(
            "Upsample bilinear x2",
            (64, 64, 16, 16),
            lambda x: F.interpolate(x, scale_factor=2, mode="bilinear"),
            lambda x: tf.interpolate(x, scale_factor=2, mode="bilinear"),
        )
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--quick", action="store_true", help="only the two 2x2 pools")
    p.add_argument("--markdown", action="store_true", help="print a Markdown table")
    p.add_argument("--repeats", type=int, default=7)
    a = p.parse_args()
    run_table(cases(a.quick), a.repeats, a.markdown)


if __name__ == "__main__":
    main()
