"""axonite vs PyTorch in one process, same inputs: prints a table of time ratios
(axonite / torch, medians of repeated runs; below 1.0 means axonite is faster).

    python bench/python/bench_core.py [--quick] [--markdown]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

import axonite as ax

sys.path.insert(0, str(Path(__file__).parent))
from _harness import Case, run_table, torch


def cases(quick: bool) -> list[Case]:
    rng = np.random.default_rng(0)
    out: list[Case] = []

    a1, b1 = ax.tensor([1.0]), ax.tensor([2.0])
    ta1, tb1 = torch.tensor([1.0]), torch.tensor([2.0])
    out.append(("tiny add (1 elem)", 1, lambda: a1 + b1, lambda: ta1 + tb1))

    xg = ax.tensor([1.0], requires_grad=True)
    txg = torch.tensor([1.0], requires_grad=True)
    g1, tg1 = ax.tensor([1.0]), torch.tensor([1.0])

    def ax_fb() -> None:
        (xg + b1).backward(g1)

    def t_fb() -> None:
        (txg + tb1).backward(tg1)

    out.append(("tiny add + backward", 1, ax_fb, t_fb))

    for n in (1 << 20, 1 << 24):
        x = rng.standard_normal(n).astype(np.float32)
        y = rng.standard_normal(n).astype(np.float32)
        a, b = ax.tensor(x), ax.tensor(y)
        ta, tb = torch.from_numpy(x.copy()), torch.from_numpy(y.copy())
        tag = "1M" if n == 1 << 20 else "16M"
        for th in (1, 2):
            out += [
                (f"add {tag}", th, lambda a=a, b=b: a + b, lambda ta=ta, tb=tb: ta + tb),
                (f"mul {tag}", th, lambda a=a, b=b: a * b, lambda ta=ta, tb=tb: ta * tb),
                (f"exp {tag}", th, a.exp, ta.exp),
                (f"tanh {tag}", th, a.tanh, ta.tanh),
                (f"sigmoid {tag}", th, a.sigmoid, ta.sigmoid),
                (f"relu {tag}", th, a.relu, ta.relu),
                (f"sum {tag}", th, a.sum, ta.sum),
                (f"mean {tag}", th, a.mean, ta.mean),
                (f"max {tag}", th, a.max, ta.max),
            ]
    m = rng.standard_normal((4096, 256)).astype(np.float32)
    am, tm = ax.tensor(m), torch.from_numpy(m.copy())
    for th in (1, 2):
        out += [
            ("sum(dim=1) 4096x256", th, lambda: am.sum(1), lambda: tm.sum(1)),
            ("sum(dim=0) 4096x256", th, lambda: am.sum(0), lambda: tm.sum(0)),
            ("logsumexp(dim=1) 4096x256", th, lambda: am.logsumexp(1), lambda: tm.logsumexp(1)),
        ]
    sizes = (128, 256, 512, 1024) if quick else (128, 256, 512, 1024, 2048)
    for s in sizes:
        p = rng.standard_normal((s, s)).astype(np.float32)
        q = rng.standard_normal((s, s)).astype(np.float32)
        ap, aq = ax.tensor(p), ax.tensor(q)
        tp, tq = torch.from_numpy(p.copy()), torch.from_numpy(q.copy())
        for th in (1, 2):
            out.append(
                (f"sgemm {s}", th, lambda ap=ap, aq=aq: ap @ aq, lambda tp=tp, tq=tq: tp @ tq)
            )
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="fewer repeats, no 2048 GEMM")
    ap.add_argument("--markdown", action="store_true", help="print a Markdown table")
    ap.add_argument("--repeats", type=int, default=0)
    args = ap.parse_args()
    run_table(cases(args.quick), args.repeats or (5 if args.quick else 11), args.markdown)


if __name__ == "__main__":
    main()
