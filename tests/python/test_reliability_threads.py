"""Determinism and threads (issue 7, item 8).

* Training is bit-identical at 1 and 2 threads: 200 seeded steps of an MLP, a small CNN and an
  LSTM classifier, dropout active. test_determinism.py checks single ops; this checks that
  nothing in a whole training step (dropout masks, optimizer state, batchnorm statistics,
  autograd accumulation order) depends on the thread count.
* Long kernels release the GIL: a pure-Python thread keeps at least half its solo rate.
* Ctrl-C during a long C++ call raises KeyboardInterrupt within a second (Note [Interrupts],
  cpp/axonite/core/parallel.h), and the process stays usable.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

import axonite as ax
import axonite.nn.functional as F
from axonite import nn

SEED = 0
STEPS = 200
N_BATCHES = 4  # distinct batches, cycled: the data is not what is being tested


# ---- 1. Bit-identical training at 1 and 2 threads ---------------------------------------------
# Sizes are chosen so that every kernel family really splits across 2 threads: GEMMs above
# kThreadMinVolume (128^3, kernels/cpu/gemm.cpp), elementwise/normalization/pooling/reduction
# ranges above their 32768-element grains (loops.h, normalization_impl.h, pooling_impl.h).


def _mlp() -> nn.Module:
    # (128, 64) @ (64, 512) and (128, 512) @ (512, 512): 4.2M and 33.5M multiply-adds.
    return nn.Sequential(
        nn.Linear(64, 512),
        nn.ReLU(),
        nn.Dropout(0.2),
        nn.Linear(512, 512),
        nn.ReLU(),
        nn.Dropout(0.2),
        nn.Linear(512, 10),
    )


class _CNN(nn.Module):
    """conv + batchnorm + pool + linear on (64, 3, 16, 16): 524,288 conv outputs per batch."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 32, 3, padding=1)
        self.bn = nn.BatchNorm2d(32)
        self.pool = nn.MaxPool2d(2)
        self.drop = nn.Dropout(0.25)
        self.fc = nn.Linear(32 * 8 * 8, 10)

    def forward(self, x: ax.Tensor) -> ax.Tensor:
        h = self.pool(F.relu(self.bn(self.conv(x))))
        return self.fc(self.drop(h.flatten(1)))


class _LSTMClassifier(nn.Module):
    """LSTM(32 -> 256) over 12 steps of a batch of 64; the last hidden state is classified.
    The recurrent GEMM is (64, 256) @ (256, 1024): 16.8M multiply-adds per step."""

    def __init__(self) -> None:
        super().__init__()
        self.lstm = nn.LSTM(32, 256)
        self.drop = nn.Dropout(0.2)
        self.fc = nn.Linear(256, 10)

    def forward(self, x: ax.Tensor) -> ax.Tensor:
        _, (h, _) = self.lstm(x)
        return self.fc(self.drop(h[-1]))


def _batches(x_shape: tuple[int, ...], batch: int) -> list[tuple[ax.Tensor, ax.Tensor]]:
    rng = np.random.default_rng(SEED)
    return [
        (
            ax.tensor(rng.standard_normal(x_shape).astype(np.float32)),
            ax.tensor(rng.integers(0, 10, batch)),
        )
        for _ in range(N_BATCHES)
    ]


# name -> (model factory, optimizer factory, batches)
MODELS: dict[str, tuple[Callable[[], nn.Module], Callable, list]] = {
    "mlp/sgd-momentum": (
        _mlp,
        lambda ps: ax.optim.SGD(ps, lr=0.05, momentum=0.9),
        _batches((128, 64), 128),
    ),
    "cnn/adam": (_CNN, lambda ps: ax.optim.Adam(ps, lr=1e-3), _batches((64, 3, 16, 16), 64)),
    "lstm/rmsprop": (
        _LSTMClassifier,
        lambda ps: ax.optim.RMSprop(ps, lr=1e-3),
        _batches((12, 64, 32), 64),
    ),
}


def _train(name: str, threads: int) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Initial and final state (parameters and buffers) after STEPS seeded steps."""
    build, make_opt, batches = MODELS[name]
    prev = ax.get_num_threads()
    ax.set_num_threads(threads)
    try:
        ax.manual_seed(SEED)  # seeds the initialization and every dropout mask
        model = build()
        initial = {k: v.detach().numpy().copy() for k, v in model.state_dict().items()}
        opt = make_opt(model.parameters())
        model.train()
        for step in range(STEPS):
            x, y = batches[step % N_BATCHES]
            opt.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
        assert np.isfinite(loss.item()), f"{name}: loss diverged at {threads} threads"
        final = {k: v.detach().numpy().copy() for k, v in model.state_dict().items()}
        return initial, final
    finally:
        ax.set_num_threads(prev)


def test_training_bit_identical_at_1_and_2_threads(reliability) -> None:
    identical: dict[str, bool] = {}
    max_diff = 0.0
    for name in MODELS:
        init1, final1 = _train(name, 1)
        _, final2 = _train(name, 2)
        # The runs must have trained something, or equal results would prove nothing.
        moved = [k for k in final1 if final1[k].tobytes() != init1[k].tobytes()]
        assert len(moved) >= len(final1) // 2, f"{name}: only {moved} changed in training"
        identical[name] = all(final1[k].tobytes() == final2[k].tobytes() for k in final1)
        for k in final1:
            diff = ax.tensor(final1[k]).double() - ax.tensor(final2[k]).double()
            max_diff = max(max_diff, float(diff.abs().max()) if diff.numel() else 0.0)
    all_same = all(identical.values())
    reliability(
        f"threads determinism: {STEPS} training steps (seed {SEED}), 1 vs 2 threads, "
        f"models {', '.join(MODELS)}: bit-identical: {'yes' if all_same else 'no'}, "
        f"max abs difference {max_diff:.3g}"
    )
    assert all_same, f"1- and 2-thread training differ: {identical}, max abs diff {max_diff}"


# ---- 2. The GIL is released during long kernels -----------------------------------------------
def _count_while(run: Callable[[], None]) -> float:
    """Increments per second of a pure-Python thread while `run` executes in this thread."""
    stop = threading.Event()
    count = [0]

    def counter() -> None:
        n = 0
        while not stop.is_set():
            n += 1
        count[0] = n

    t = threading.Thread(target=counter)
    t.start()
    t0 = time.perf_counter()
    run()
    elapsed = time.perf_counter() - t0
    stop.set()
    t.join()
    return count[0] / elapsed


def _conv_kernel() -> Callable[[], None]:
    x = ax.randn(8, 64, 48, 48, requires_grad=True)
    w = ax.randn(64, 64, 3, 3, requires_grad=True)
    return lambda: F.conv2d(x, w, padding=1).sum().backward()


def _linear_kernel() -> Callable[[], None]:
    x = ax.randn(1024, 1024, requires_grad=True)
    w = ax.randn(1024, 1024, requires_grad=True)
    return lambda: F.linear(x, w).sum().backward()


def _lstm_kernel() -> Callable[[], None]:
    lstm = nn.LSTM(256, 512)
    x = ax.randn(64, 64, 256)
    return lambda: lstm(x)[0].sum().backward()


def _gil_free_for(seconds: float) -> None:
    """A C loop known to release the GIL (hashlib hashes large buffers without it): the
    control that shows how much of a core this shared machine leaves the counting thread."""
    buf = bytes(16 << 20)
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        hashlib.sha256(buf).digest()


def _where_kernel() -> Callable[[], None]:
    # where, clamp and unary minus held the GIL until issue 7 (bindings/elementwise.cpp).
    x = ax.randn(1 << 22)
    return lambda: ax.where(x > 0, x, -x).clamp(-1.0, 1.0)


GIL_KERNELS = {
    "conv2d fwd+bwd": _conv_kernel,
    "linear fwd+bwd": _linear_kernel,
    "lstm fwd+bwd": _lstm_kernel,
    "where/clamp/neg": _where_kernel,
}


@pytest.mark.parametrize("kernel", list(GIL_KERNELS))
def test_long_kernels_release_the_gil(kernel: str, reliability) -> None:
    prev = ax.get_num_threads()
    ax.set_num_threads(1)  # leaves the second core to the counting thread
    try:
        ax.manual_seed(SEED)
        op = GIL_KERNELS[kernel]()
        t0 = time.perf_counter()
        op()  # warm-up, and the time of one call
        reps = max(1, round(0.6 / max(time.perf_counter() - t0, 1e-3)))

        def kernel_loop() -> None:
            for _ in range(reps):
                op()

        best, tries = 0.0, 0
        # The 2 cores are shared with other jobs: best of up to 3 tries, the solo rate measured
        # right before each kernel run over the same duration.
        while tries < 3 and best < 0.5:
            tries += 1
            t0 = time.perf_counter()
            during = _count_while(kernel_loop)
            duration = time.perf_counter() - t0
            solo = _count_while(lambda d=duration: time.sleep(d))
            best = max(best, during / solo)
        control = _count_while(lambda: _gil_free_for(duration)) / solo
    finally:
        ax.set_num_threads(prev)
    reliability(
        f"GIL release: {kernel} ({reps} calls, {duration:.2f} s, seed {SEED}, 1 kernel thread): "
        f"a Python thread keeps {best:.2f} of its solo rate (best of {tries}; hashlib.sha256, "
        f"which releases the GIL, gets {control:.2f} here)"
    )
    assert best >= 0.5, f"{kernel}: Python thread ran at {best:.2f} of its solo rate"


# ---- 3. Ctrl-C during a long op ---------------------------------------------------------------
# The child times a slice of the op first (512 of the matmul's K, 4 tanh layers, 16 conv images,
# 8 images of the conv backward, 1 pooled image, 512 LSTM steps) and sizes the full op to about
# `goal` seconds from it, so the case stays long on a fast, idle machine and short on a slow one;
# the report says how long the full op would have run: the interrupt has to come from inside the
# C++ call, not from its return. The conv and pooling cases cover the per-image / per-plane polls
# of kernels/cpu/conv.cpp and pooling_impl.h, which at 1 thread run every image in one
# parallel_for call; the conv shapes take the direct (non-GEMM) forward kernels, which have no
# polls of their own. The LSTM case covers the recurrent time loop (kernels/cpu/rnn.cpp), whose
# threads agree on when to stop.
CHILD = textwrap.dedent(
    """
    import math, sys, time
    import axonite as ax
    import axonite.nn.functional as F

    mode, threads = sys.argv[1], int(sys.argv[2])
    ax.set_num_threads(threads)
    ax.manual_seed(0)
    goal = 3.0  # seconds the full op should take

    def timed(f):
        f()  # first call: allocations and page faults, not the op's speed
        t0 = time.monotonic()
        f()
        return time.monotonic() - t0

    def slices(unit, cap):  # how many slices make ~goal seconds (at most cap: memory)
        return max(8, min(cap, math.ceil(goal / max(unit, 1e-6))))

    if mode == "matmul":
        a0, b0 = ax.randn(4096, 512), ax.randn(512, 4096)
        unit = timed(lambda: a0 @ b0)
        n = slices(unit, 96)
        a, b = ax.randn(4096, 512 * n), ax.randn(512 * n, 4096)
        op = lambda: a @ b
    elif mode == "conv2d":  # 16n images, 512 -> 512 channels, 14x14, 3x3
        x0, w = ax.ones(16, 512, 14, 14), ax.ones(512, 512, 3, 3)
        unit = timed(lambda: F.conv2d(x0, w, padding=1))
        n = slices(unit, 64)
        x = ax.ones(16 * n, 512, 14, 14)
        op = lambda: F.conv2d(x, w, padding=1)
    elif mode == "conv2d_backward":
        # Only the input needs a gradient, so the backward is the input gradient alone (stride
        # 1: a forward conv with flipped weights). The weight gradient would run on the GEMM,
        # which polls on its own. The graph is built at 2 threads to save time.
        w = ax.ones(512, 512, 3, 3)
        xs = ax.ones(8, 512, 14, 14, requires_grad=True)
        ys = F.conv2d(xs, w, padding=1)
        gs = ax.ones_like(ys)
        unit = timed(lambda: ys.backward(gs, retain_graph=True))
        n = slices(unit, 128)
        x = ax.ones(8 * n, 512, 14, 14, requires_grad=True)
        ax.set_num_threads(2)
        y = F.conv2d(x, w, padding=1)
        ax.set_num_threads(threads)
        g = ax.ones_like(y)
        op = lambda: y.backward(g)
    elif mode == "max_pool2d":  # n x 64 planes of 224x224, 127x127 windows, stride 1
        x0 = ax.ones(1, 64, 224, 224)
        unit = timed(lambda: F.max_pool2d(x0, 127, 1, 63))
        n = slices(unit, 64)
        x = ax.ones(n, 64, 224, 224)
        op = lambda: F.max_pool2d(x, 127, 1, 63)
    elif mode == "lstm":  # a long time loop: 2 threads share the hidden units of every step
        lstm, x0 = ax.nn.LSTM(8, 768), ax.randn(512, 8, 8)
        with ax.no_grad():
            unit = timed(lambda: lstm(x0))
        n = slices(unit, 256)
        x = ax.randn(512 * n, 8, 8)
        op = lambda: lstm(x)
    elif mode == "lstm_batch":  # 2 threads each run the time loop on half of the 64 rows
        lstm, x0 = ax.nn.LSTM(8, 256), ax.randn(64, 64, 8)
        with ax.no_grad():
            unit = timed(lambda: lstm(x0))
        n = slices(unit, 384)  # the output: 1.6 GB at the cap
        x = ax.randn(64 * n, 64, 8)
        op = lambda: lstm(x)
    elif mode == "lstm_bidir":  # 2 threads each run one direction of the layer
        lstm, x0 = ax.nn.LSTM(8, 512, bidirectional=True), ax.randn(64, 8, 8)
        with ax.no_grad():
            unit = timed(lambda: lstm(x0))
        n = slices(unit, 768)  # the output: 1.6 GB at the cap
        x = ax.randn(64 * n, 8, 8)
        op = lambda: lstm(x)
    else:  # a long loss.backward(): 4n layers of (1024, 1024) @ (1024, 1024) and tanh
        x = ax.randn(1024, 1024, requires_grad=True)
        w = (ax.randn(1024, 1024) * 0.03).requires_grad_()

        def layers(h, k):
            for _ in range(k):
                h = (h @ w).tanh()
            return h

        unit = 2 * timed(lambda: layers(x, 4))  # backward: 2 GEMMs a layer
        n = slices(unit, 64)
        op = layers(x, 4 * n).sum().backward
    expected = n * unit
    print(f"expected {expected:.3f}", flush=True)
    print(f"start {time.monotonic():.6f}", flush=True)
    try:
        op()
    except KeyboardInterrupt:
        print(f"interrupted {time.monotonic():.6f}", flush=True)
        flag = ax._C._interrupt_requested()
        y = ax.ones(2048, 2048) @ ax.ones(2048, 2048)  # interruptible size: the bridge re-arms
        print(f"after flag={flag} ok={float(y[5, 7]) == 2048.0}", flush=True)
        sys.exit(0)
    print(f"finished {time.monotonic():.6f}", flush=True)
    sys.exit(3)
    """
)


@pytest.mark.parametrize(
    ("mode", "threads"),
    [
        ("matmul", 1),
        ("matmul", 2),
        ("backward", 1),
        ("conv2d", 1),
        ("conv2d_backward", 1),
        ("max_pool2d", 1),
        ("lstm", 2),
        ("lstm_batch", 2),
        ("lstm_bidir", 2),
    ],
)
def test_ctrl_c_interrupts_long_op(mode: str, threads: int, reliability) -> None:
    env = dict(os.environ, PYTHONPATH=str(Path(ax.__file__).resolve().parents[1]))
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, mode, str(threads)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        expected = float(proc.stdout.readline().split()[1])
        assert proc.stdout.readline().startswith("start ")
        time.sleep(0.5)
        sent = time.monotonic()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
        proc.wait()
    lines = dict(line.split(" ", 1) for line in out.splitlines() if " " in line)
    assert proc.returncode == 0 and "interrupted" in lines, (
        f"{mode}: no KeyboardInterrupt (rc {proc.returncode}): {out}\n{err}"
    )
    latency = float(lines["interrupted"]) - sent
    # Below 1.5 s the op could end within a second of the signal without any interrupt support.
    assert expected > 1.5, f"{mode}: the op takes only ~{expected:.2f} s here; make it longer"
    reliability(
        f"Ctrl-C: SIGINT 0.5 s into a {mode} of ~{expected:.1f} s (seed 0, {threads} thread"
        f"{'s' if threads > 1 else ''}): "
        f"KeyboardInterrupt after {latency * 1e3:.0f} ms; {lines['after']}"
    )
    assert latency < 1.0, f"{mode}: KeyboardInterrupt {latency:.2f} s after SIGINT"
    assert lines["after"] == "flag=False ok=True", f"{mode}: not usable after: {lines['after']}"
