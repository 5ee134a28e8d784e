"""axonite: a deep-learning library with a C++17 core (tensors, autograd, SIMD kernels) and a
PyTorch-style Python API. ``import axonite as ax``."""

from ._openmp import load_core as _load_core

_C = _load_core()

from . import autograd, linalg, nn, optim
from ._C import Tensor, dtype, from_numpy
from ._functions import *
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
from .autograd import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from .serialization import load, save

bool = bool_

__version__ = "0.1.0"

# Imported last: these use the names above (Tensor, tensor, nn, optim).
from . import (
    datasets,
    models,
    text,
    train,
    utils,
    vision,
)
from .train.summary import ModelSummary, summary
