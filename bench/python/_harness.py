"""Timing harness shared by the Python benchmarks: axonite and PyTorch run in the same
process on the same inputs, interleaved so that both see the same machine noise, and the
table reports medians and their ratio (axonite / torch; below 1.0 means axonite is faster)."""

from __future__ import annotations

import platform
import statistics
import time
from collections.abc import Callable, Sequence

import axonite as ax

try:
    import torch
except ImportError as e:  # pragma: no cover
    raise SystemExit("the benchmarks compare against PyTorch: pip install torch==2.13.0") from e

# (name, threads, axonite callable, torch callable)
Case = tuple[str, int, Callable[[], object], Callable[[], object]]


def _calibrate(fn: Callable[[], object], min_time: float) -> int:
    """Calls per timed batch so that one batch takes about min_time."""
    fn()
    n = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        if time.perf_counter() - t0 >= min_time or n >= 1 << 20:
            return n
        n *= 2


def _batch(fn: Callable[[], object], n: int) -> float:
    t0 = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - t0) / n


def interleaved_medians(
    fa: Callable[[], object], ft: Callable[[], object], repeats: int, min_time: float = 0.05
) -> tuple[float, float]:
    """Median seconds per call of fa and ft, timing one batch of each in turn."""
    na, nt = _calibrate(fa, min_time), _calibrate(ft, min_time)
    sa, st = [], []
    for _ in range(repeats):
        sa.append(_batch(fa, na))
        st.append(_batch(ft, nt))
    return statistics.median(sa), statistics.median(st)


def set_threads(n: int) -> None:
    ax.set_num_threads(n)
    torch.set_num_threads(n)


def header(repeats: int) -> str:
    return (
        f"# axonite {ax.__version__} vs torch {torch.__version__} on "
        f"{platform.processor() or platform.machine()}, axonite kernels: {ax._C._cpu_isa()}, "
        f"medians of {repeats} interleaved runs"
    )


def run_table(cases: Sequence[Case], repeats: int, markdown: bool) -> None:
    """Times every case and prints one line per case (or a Markdown table at the end)."""
    print(header(repeats), flush=True)
    rows = []
    for name, th, fa, ft in cases:
        set_threads(th)
        ta, tt = interleaved_medians(fa, ft, repeats)
        rows.append((name, th, ta, tt, ta / tt))
        if not markdown:
            print(
                f"{name:34s} threads={th}  axonite {ta * 1e6:11.2f} us  torch {tt * 1e6:11.2f} us"
                f"  ratio {ta / tt:5.2f}",
                flush=True,
            )
    if markdown:
        print("| case | threads | axonite (us) | torch (us) | ratio ax/torch |")
        print("|---|---:|---:|---:|---:|")
        for name, th, ta, tt, r in rows:
            print(f"| {name} | {th} | {ta * 1e6:.2f} | {tt * 1e6:.2f} | {r:.2f} |")
