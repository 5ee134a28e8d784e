"""AdaptiveLogSoftmaxWithLoss (PyTorch parity with copied weights: structure, state_dict keys,
repr, output, loss, gradients, log_prob, predict, errors) and HierarchicalSoftmax (tree shape,
probabilities summing to one, forward = log_prob at the target, gradients, training)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

import axonite as ax
from axonite import nn

# ---- AdaptiveLogSoftmaxWithLoss --------------------------------------------------------------


def _pair(torch: Any, **kw: Any) -> tuple[Any, Any]:
    kw = {"in_features": 16, "n_classes": 20, "cutoffs": [5, 10], "div_value": 2.0, **kw}
    ma = nn.AdaptiveLogSoftmaxWithLoss(**kw, dtype=ax.float64)
    mt = torch.nn.AdaptiveLogSoftmaxWithLoss(**kw, dtype=torch.float64)
    ma.load_state_dict({k: ax.tensor(v.numpy()) for k, v in mt.state_dict().items()})
    return ma, mt


@pytest.mark.parametrize("head_bias", [False, True])
def test_asm_structure_matches_torch(torch: Any, head_bias: bool) -> None:
    ma, mt = _pair(torch, head_bias=head_bias)
    assert repr(ma) == repr(mt)
    assert list(ma.state_dict()) == list(mt.state_dict())
    for k, v in ma.state_dict().items():
        assert tuple(v.shape) == tuple(mt.state_dict()[k].shape), k
    for attr in ("cutoffs", "shortlist_size", "n_clusters", "head_size", "div_value"):
        assert getattr(ma, attr) == getattr(mt, attr), attr


@pytest.mark.parametrize("head_bias", [False, True])
def test_asm_forward_backward_parity(torch: Any, head_bias: bool) -> None:
    ma, mt = _pair(torch, head_bias=head_bias)
    r = np.random.default_rng(0)
    x = r.standard_normal((9, 16))
    t = np.array([0, 4, 5, 9, 10, 19, 3, 12, 7])
    xa, xt = ax.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    oa, ot = ma(xa, ax.tensor(t)), mt(xt, torch.tensor(t))
    np.testing.assert_allclose(oa.output.detach().numpy(), ot.output.detach().numpy(), rtol=1e-10)
    np.testing.assert_allclose(oa.loss.item(), ot.loss.item(), rtol=1e-12)
    oa.loss.backward()
    ot.loss.backward()
    np.testing.assert_allclose(xa.grad.numpy(), xt.grad.numpy(), rtol=1e-9, atol=1e-12)
    grads_t = dict(mt.named_parameters())
    for name, p in ma.named_parameters():
        np.testing.assert_allclose(
            p.grad.numpy(), grads_t[name].grad.numpy(), rtol=1e-9, atol=1e-12, err_msg=name
        )
    lp_a, lp_t = ma.log_prob(ax.tensor(x)), mt.log_prob(torch.tensor(x))
    np.testing.assert_allclose(lp_a.detach().numpy(), lp_t.detach().numpy(), rtol=1e-10)
    np.testing.assert_allclose(np.exp(lp_a.detach().numpy()).sum(1), 1.0, rtol=1e-12)
    np.testing.assert_array_equal(
        ma.predict(ax.tensor(x)).numpy(), mt.predict(torch.tensor(x)).numpy()
    )


def test_asm_unbatched_and_single_cluster(torch: Any) -> None:
    ma, mt = _pair(torch, cutoffs=[3], n_classes=6)
    x = np.random.default_rng(1).standard_normal(16)
    for t in (1, 4):
        oa, ot = ma(ax.tensor(x), ax.tensor(t)), mt(torch.tensor(x), torch.tensor(t))
        assert oa.output.shape == ()
        np.testing.assert_allclose(oa.output.item(), ot.output.item(), rtol=1e-10)
        np.testing.assert_allclose(oa.loss.item(), ot.loss.item(), rtol=1e-10)


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"cutoffs": []}, "length larger than 0"),
        ({"cutoffs": [10, 5]}, "sorted in an increasing order"),
        ({"cutoffs": [5, 20]}, "between 1 and n_classes-1"),
        ({"cutoffs": [5, 5]}, "unique"),
        ({"cutoffs": [0, 5]}, "positive"),
    ],
)
def test_asm_bad_cutoffs(kw: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        nn.AdaptiveLogSoftmaxWithLoss(16, 20, **kw)


def test_asm_input_errors() -> None:
    m = nn.AdaptiveLogSoftmaxWithLoss(8, 10, [4])
    with pytest.raises(RuntimeError, match=r"Target values should be in \[0, 9\]"):
        m(ax.randn(2, 8), ax.tensor([1, 10]))
    with pytest.raises(RuntimeError, match="same size in the batch dimension"):
        m(ax.randn(3, 8), ax.tensor([1, 2]))
    with pytest.raises(RuntimeError, match="0D target tensor expects 1D input"):
        m(ax.randn(2, 8), ax.tensor(1))
    with pytest.raises(RuntimeError, match="multi-target not supported"):
        m(ax.randn(2, 8), ax.tensor([[1], [2]]))


# ---- HierarchicalSoftmax ---------------------------------------------------------------------


@pytest.mark.parametrize("n_classes", [2, 3, 7, 8, 13])
def test_hsm_tree_and_probabilities(n_classes: int) -> None:
    ax.manual_seed(0)
    m = nn.HierarchicalSoftmax(5, n_classes).double()
    assert list(m.state_dict()) == ["weight", "bias"]
    assert tuple(m.weight.shape) == (n_classes - 1, 5)
    mask = m.path_mask.numpy()
    depths = mask.sum(1)
    assert depths.max() == math.ceil(math.log2(n_classes))  # balanced
    assert depths.max() - depths.min() <= 1
    # every inner node is used, and distinct classes have distinct (node, side) paths
    nodes, left = m.path_nodes.numpy(), m.path_left.numpy()
    assert set(nodes[mask > 0].tolist()) == set(range(n_classes - 1))
    paths = {
        tuple(zip(nodes[c][mask[c] > 0], left[c][mask[c] > 0], strict=True))
        for c in range(n_classes)
    }
    assert len(paths) == n_classes
    x = ax.randn(6, 5, dtype=ax.float64) * 3
    lp = m.log_prob(x)
    np.testing.assert_allclose(np.exp(lp.detach().numpy()).sum(1), 1.0, rtol=1e-12)
    t = ax.tensor(np.arange(6) % n_classes)
    out = m(x, t)
    want = lp.detach().numpy()[np.arange(6), t.numpy()]
    np.testing.assert_allclose(out.output.detach().numpy(), want, rtol=1e-12)
    np.testing.assert_allclose(out.loss.item(), -want.mean(), rtol=1e-12)
    np.testing.assert_array_equal(m.predict(x).numpy(), lp.detach().numpy().argmax(1))


def test_hsm_log_prob_matches_naive_tree_walk() -> None:
    ax.manual_seed(3)
    m = nn.HierarchicalSoftmax(4, 5).double()
    x = ax.randn(3, 4, dtype=ax.float64)
    w, b, xv = m.weight.detach().numpy(), m.bias.detach().numpy(), x.numpy()
    sig = 1 / (1 + np.exp(-(xv @ w.T + b)))  # (N, C - 1): P(left) at heap node k + 1
    want = np.zeros((3, 5))
    for c in range(5):
        v = 5 + c
        while v > 1:
            p = sig[:, v // 2 - 1]
            want[:, c] += np.log(p if v % 2 == 0 else 1 - p)
            v //= 2
    np.testing.assert_allclose(m.log_prob(x).detach().numpy(), want, rtol=1e-12)


def test_hsm_gradients() -> None:
    ax.manual_seed(1)
    m = nn.HierarchicalSoftmax(3, 6).double()
    t = ax.tensor([0, 5, 3, 2])
    x = ax.randn(4, 3, dtype=ax.float64, requires_grad=True)
    # The parameters are perturbed in place by the finite differences, so m sees them.
    args = [x, m.weight, m.bias]
    assert ax.autograd.gradcheck(lambda *a: m(x, t).output, args)
    assert ax.autograd.gradgradcheck(lambda *a: m(x, t).output, args)
    assert ax.autograd.gradcheck(lambda *a: m.log_prob(x), args)
    m.zero_grad()
    m(x, t).loss.backward()
    touched = set(np.nonzero(np.abs(m.weight.grad.numpy()).sum(1) > 0)[0].tolist())
    on_paths = m.path_nodes.numpy()[t.numpy()][m.path_mask.numpy()[t.numpy()] > 0]
    assert touched <= set(on_paths.tolist())  # only the units on the targets' paths


def test_hsm_trains_on_small_problem() -> None:
    ax.manual_seed(0)
    r = np.random.default_rng(0)
    n_classes, dim = 10, 8
    centers = r.standard_normal((n_classes, dim)) * 3
    y = r.integers(0, n_classes, 400)
    x = ax.tensor((centers[y] + r.standard_normal((400, dim)) * 0.5).astype(np.float32))
    t = ax.tensor(y)
    m = nn.HierarchicalSoftmax(dim, n_classes)
    first = None
    for _ in range(150):
        loss = m(x, t).loss
        first = loss.item() if first is None else first
        m.zero_grad()
        loss.backward()
        with ax.no_grad():
            for p in m.parameters():
                p -= 0.5 * p.grad
    assert loss.item() < 0.25 * first
    assert (m.predict(x).numpy() == y).mean() > 0.95


def test_hsm_unbatched_and_errors() -> None:
    m = nn.HierarchicalSoftmax(4, 5)
    x = ax.randn(4)
    out = m(x, ax.tensor(3))
    assert out.output.shape == ()
    assert m.log_prob(x).shape == (5,)
    with pytest.raises(RuntimeError, match=r"Target values should be in \[0, 4\]"):
        m(ax.randn(2, 4), ax.tensor([0, 5]))
    with pytest.raises(RuntimeError, match="same size in the batch dimension"):
        m(ax.randn(2, 4), ax.tensor([0]))
    with pytest.raises(ValueError, match="at least 2"):
        nn.HierarchicalSoftmax(4, 1)
    assert repr(m) == "HierarchicalSoftmax(in_features=4, n_classes=5)"
