"""axonite: a deep-learning library with a C++17 core (tensors, autograd, SIMD kernels) and a
PyTorch-style Python API. ``import axonite as ax``."""

from __future__ import annotations

from . import _C
from ._C import Tensor, dtype, from_numpy
from ._tensor import (
    Size,
    bool_,
    device,
    double,
    float,
    float32,
    float64,
    int64,
    long,
    tensor,
)
from .autograd import enable_grad, inference_mode, no_grad, set_grad_enabled, is_grad_enabled
from . import autograd
from . import linalg
from ._functions import *  # noqa: F403  (top-level ops re-exported from the extension)

bool = bool_  # noqa: A001  (ax.bool, like torch.bool)

__version__ = "0.1.0"
