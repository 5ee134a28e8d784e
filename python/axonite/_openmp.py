"""Loads the compiled core with a short OpenMP spin-wait.

GNU OpenMP keeps idle worker threads spinning (300,000 iterations of a `pause` loop by default,
several milliseconds on CPUs where `pause` takes ~140 cycles) after every parallel region so
that the next region starts quickly. On a machine whose cores are busy with
anything else (another process, or a second OpenMP runtime in the same process, such as
PyTorch's) the spinning threads take the CPU from the threads doing work, and a 2-thread
kernel can run 20-50x slower than on one thread. libgomp reads its settings once, when it is
loaded, so axonite sets a short spin (``GOMP_SPINCOUNT``) just for the moment its extension
loads the runtime, then restores the environment, so that libraries loaded later (PyTorch
ships its own libgomp) keep their defaults. A user's own ``OMP_WAIT_POLICY`` or
``GOMP_SPINCOUNT`` always wins.
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType

# About 50 us of spinning: long enough to bridge the gaps between the ops of a training step,
# short enough that idle workers sleep before they steal much time from anyone else.
SPINCOUNT = "1000"


def load_core() -> ModuleType:
    """Imports ``axonite._C`` with the short spin default applied to its OpenMP runtime."""
    ours = "OMP_WAIT_POLICY" not in os.environ and "GOMP_SPINCOUNT" not in os.environ
    if ours:
        os.environ["GOMP_SPINCOUNT"] = SPINCOUNT
    try:
        return importlib.import_module("axonite._C")
    finally:
        if ours:
            os.environ.pop("GOMP_SPINCOUNT", None)
