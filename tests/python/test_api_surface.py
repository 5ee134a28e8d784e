"""The public names the foundation promises exist, as tensor methods and as top-level functions
(``t.exp()`` and ``ax.exp(t)``), as in PyTorch."""

from __future__ import annotations

import pytest

import axonite as ax

METHODS = (
    "view reshape permute transpose T mT unsqueeze squeeze flatten expand narrow contiguous "
    "neg exp log log1p expm1 sqrt rsqrt abs sign sin cos tanh sigmoid relu floor ceil round "
    "clamp sum mean prod max min argmax argmin var std logsumexp norm all any matmul mm bmm "
    "outer dot split chunk gather scatter_add index_select masked_fill tril triu normal_ "
    "bernoulli exp_ clamp_ add_ mul_ maximum minimum where detach requires_grad_ retain_grad "
    "register_hook backward numpy tolist item to float double long"
).split()

FUNCTIONS = (
    "neg exp log log1p expm1 sqrt rsqrt abs sign sin cos tanh sigmoid relu floor ceil round "
    "clamp sum mean prod max min argmax argmin var std logsumexp norm all any matmul mm bmm "
    "outer dot cat stack split chunk gather scatter_add index_select masked_fill one_hot tril "
    "triu tensor zeros ones full empty arange linspace eye zeros_like ones_like full_like "
    "empty_like rand randn randint randperm bernoulli manual_seed maximum minimum where "
    "from_numpy from_dlpack as_tensor set_num_threads get_num_threads memory_stats no_grad "
    "enable_grad inference_mode"
).split()


@pytest.mark.parametrize("name", METHODS)
def test_tensor_method_exists(name: str) -> None:
    assert hasattr(ax.Tensor, name)


@pytest.mark.parametrize("name", FUNCTIONS)
def test_top_level_function_exists(name: str) -> None:
    assert callable(getattr(ax, name))


@pytest.mark.parametrize("name", ["norm", "solve", "inv", "lstsq", "det"])
def test_linalg(name: str) -> None:
    assert callable(getattr(ax.linalg, name))


@pytest.mark.parametrize(
    "name", ["grad", "backward", "Function", "gradcheck", "gradgradcheck", "set_detect_anomaly"]
)
def test_autograd(name: str) -> None:
    assert hasattr(ax.autograd, name)


def test_method_and_function_agree() -> None:
    t = ax.tensor([[0.5, -1.0], [2.0, 0.25]])
    for name in ("exp", "tanh", "abs", "sigmoid", "relu", "sum", "argmax"):
        assert getattr(t, name)().tolist() == getattr(ax, name)(t).tolist()
