"""nn.utils.penalty: L1 / L2 / elastic-net values against NumPy, bias and 1-D exclusion,
gradients (l1 * sign(w) + 2 * l2 * w), iterables of parameters and argument errors."""

from __future__ import annotations

import numpy as np
import pytest

import axonite as ax
from axonite import nn


def _model() -> nn.Module:
    ax.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 3), nn.Linear(3, 2, bias=False))


def _weights(m: nn.Module, with_bias: bool) -> list[np.ndarray]:
    return [p.detach().numpy() for p in m.parameters() if with_bias or p.dim() > 1]


@pytest.mark.parametrize(("l1", "l2"), [(0.1, 0.0), (0.0, 0.01), (0.05, 0.2)])
@pytest.mark.parametrize("include_bias", [False, True])
def test_penalty_values_and_gradients(l1: float, l2: float, include_bias: bool) -> None:
    m = _model()
    pen = nn.utils.penalty(m, l1=l1, l2=l2, include_bias=include_bias)
    ws = _weights(m, include_bias)
    want = sum(l1 * np.abs(w).sum() + l2 * (w * w).sum() for w in ws)
    assert pen.shape == ()
    np.testing.assert_allclose(pen.item(), want, rtol=1e-6)
    pen.backward()
    for p in m.parameters():
        w = p.detach().numpy()
        if include_bias or p.dim() > 1:
            np.testing.assert_allclose(p.grad.numpy(), l1 * np.sign(w) + 2 * l2 * w, rtol=1e-6)
        else:
            assert p.grad is None


def test_penalty_excludes_biases_and_1d_by_default() -> None:
    m = _model()
    m[0].weight.data = ax.zeros(3, 4)
    m[1].weight.data = ax.zeros(2, 3)
    assert nn.utils.penalty(m, l1=1.0, l2=1.0).item() == 0.0  # only the (non-zero) bias left
    assert nn.utils.penalty(m, l1=1.0, include_bias=True).item() > 0.0


def test_penalty_accepts_parameter_iterables_and_tensors() -> None:
    m = _model()
    a = nn.utils.penalty(m.parameters(), l2=0.5)
    b = nn.utils.penalty(list(m.parameters()), l2=0.5)
    c = nn.utils.penalty(m[0].weight, l2=0.5) + nn.utils.penalty(m[1].weight, l2=0.5)
    assert a.item() == pytest.approx(b.item()) == pytest.approx(c.item())


def test_penalty_adds_to_a_loss() -> None:
    m = _model()
    x, y = ax.randn(5, 4), ax.randn(5, 2)
    loss = nn.functional.mse_loss(m(x), y) + nn.utils.penalty(m, l2=1e-2)
    loss.backward()
    assert all(p.grad is not None for p in m.parameters())


def test_penalty_zero_and_errors() -> None:
    m = _model()
    z = nn.utils.penalty(m)
    assert z.item() == 0.0 and not z.requires_grad
    assert nn.utils.penalty([]).item() == 0.0
    with pytest.raises(ValueError, match="non-negative"):
        nn.utils.penalty(m, l2=-1.0)
    with pytest.raises(TypeError, match="expected a Module or tensors"):
        nn.utils.penalty([1.0, 2.0], l1=1.0)
