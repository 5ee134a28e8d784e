"""nn layers other than normalization: F.linear / F.bilinear / F.embedding / the dropout family
(values vs NumPy, float64 gradients of first and second order, PyTorch parity of values and
gradients) and the modules Linear, Bilinear, Identity, Flatten, Unflatten, Dropout*,
Embedding: initialization, parity with PyTorch given the same weights, state_dict keys, repr,
train/eval behaviour, dropout statistics and determinism, and every error path."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from opspec import OpSpec, op_tests

import axonite as ax
import axonite.nn.functional as F
from axonite import nn


def _tF() -> Any:
    import torch.nn.functional as tf

    return tf


def spec(name: str, f: Callable[..., Any], ref: Any, shapes: Any = (), **kw: Any) -> OpSpec:
    """An OpSpec whose body f(F, *tensors) runs with axonite's F and with torch's."""
    return OpSpec(name, lambda *a: f(F, *a), ref, shapes, torch_fn=lambda *a: f(_tF(), *a), **kw)


def _lin(x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None) -> np.ndarray:
    y = x @ w.T
    return y if b is None else y + b


def _emb_inputs(rng: np.random.Generator) -> list[np.ndarray]:
    idx = np.array([[0, 2, 4], [2, 1, 2]], dtype=np.int64)
    return [idx, rng.uniform(-1, 1, (5, 3))]


def _bilinear_ref(x1: np.ndarray, x2: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.einsum("ni,oij,nj->no", x1, w, x2) + b


SPECS = [
    spec("linear", lambda F, x, w, b: F.linear(x, w, b), _lin, [(4, 3), (5, 3), (5,)]),
    spec("linear_nobias", lambda F, x, w: F.linear(x, w), _lin, [(4, 3), (5, 3)]),
    spec("linear_3d", lambda F, x, w, b: F.linear(x, w, b), _lin, [(2, 4, 3), (5, 3), (5,)]),
    spec("linear_4d", lambda F, x, w: F.linear(x, w), _lin, [(2, 1, 2, 3), (2, 3)]),
    spec("linear_vec_input", lambda F, x, w, b: F.linear(x, w, b), _lin, [(3,), (5, 3), (5,)]),
    spec("linear_vec_weight", lambda F, x, w: F.linear(x, w), _lin, [(4, 3), (3,)]),
    spec("linear_bias_1", lambda F, x, w, b: F.linear(x, w, b), _lin, [(4, 3), (5, 3), (1,)]),
    spec("linear_bias_full", lambda F, x, w, b: F.linear(x, w, b), _lin, [(4, 3), (5, 3), (4, 5)]),
    spec(
        "linear_strided_input",
        lambda F, x, w, b: F.linear(x.transpose(0, 1), w, b),
        lambda x, w, b: _lin(x.T, w, b),
        [(3, 4), (5, 3), (5,)],
    ),
    spec(
        "linear_strided_3d",
        lambda F, x, w: F.linear(x.transpose(0, 1), w),
        lambda x, w: _lin(x.transpose(1, 0, 2), w),
        [(4, 2, 3), (5, 3)],
    ),
    spec(
        "linear_transposed_weight",
        lambda F, x, w: F.linear(x, w.t()),
        lambda x, w: _lin(x, w.T),
        [(4, 3), (3, 5)],
    ),
    spec(
        "bilinear",
        lambda F, x1, x2, w, b: F.bilinear(x1, x2, w, b),
        _bilinear_ref,
        [(4, 3), (4, 2), (5, 3, 2), (5,)],
    ),
    spec(
        "embedding",
        lambda F, i, w: F.embedding(i, w),
        lambda i, w: w[i],
        make_inputs=_emb_inputs,
    ),
    spec(
        "embedding_padding",
        lambda F, i, w: F.embedding(i, w, padding_idx=2),
        lambda i, w: w[i],
        make_inputs=_emb_inputs,
        grad=False,  # the padding row's gradient is zero by definition, not the derivative
    ),
    spec(
        "embedding_freq",
        lambda F, i, w: F.embedding(i, w, padding_idx=-5, scale_grad_by_freq=True),
        lambda i, w: w[i],
        make_inputs=_emb_inputs,
        grad=False,  # frequency-scaled by definition, not the derivative
    ),
    spec("dropout_eval", lambda F, x: F.dropout(x, 0.4, training=False), lambda x: x, [(3, 4)]),
    spec("dropout_p0", lambda F, x: F.dropout(x, 0.0), lambda x: x, [(3, 4)]),
    spec("dropout_p1", lambda F, x: F.dropout(x, 1.0), lambda x: 0 * x, [(3, 4)]),
    spec("alpha_dropout_eval", lambda F, x: F.alpha_dropout(x, 0.2), lambda x: x, [(3, 4)]),
]


def _seeded(f: Callable[..., Any]) -> Callable[..., Any]:
    """f with the generator reseeded first: the same mask on every call (for gradcheck)."""

    def g(*a: Any) -> Any:
        ax.manual_seed(7)
        return f(*a)

    return g


RANDOM_SPECS = [
    OpSpec("dropout", _seeded(lambda x: F.dropout(x, 0.3)), None, [(5, 6)]),
    OpSpec("dropout2d", _seeded(lambda x: F.dropout2d(x, 0.5)), None, [(3, 4, 2, 2)]),
    OpSpec("alpha_dropout", _seeded(lambda x: F.alpha_dropout(x, 0.3, True)), None, [(5, 6)]),
    OpSpec(
        "feature_alpha_dropout",
        _seeded(lambda x: F.feature_alpha_dropout(x, 0.5, True)),
        None,
        [(3, 4, 2)],
    ),
]

test_forward, test_gradcheck, test_torch_parity = op_tests(SPECS + RANDOM_SPECS, SPECS)


# ---- linear -----------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [ax.float32, ax.float64])
@pytest.mark.parametrize("lead", [(), (7,), (128,), (3, 5), (2, 3, 4)])
def test_linear_values_and_grads_vs_numpy(dtype: Any, lead: tuple[int, ...]) -> None:
    rng = np.random.default_rng(0)
    npd = np.float32 if dtype == ax.float32 else np.float64
    xs = rng.standard_normal((*lead, 33)).astype(npd)
    ws = rng.standard_normal((17, 33)).astype(npd)
    bs = rng.standard_normal(17).astype(npd)
    gs = rng.standard_normal((*lead, 17)).astype(npd)
    x, w, b = (ax.tensor(a, requires_grad=True) for a in (xs, ws, bs))
    y = F.linear(x, w, b)
    tol = 1e-4 if npd == np.float32 else 1e-10
    np.testing.assert_allclose(y.detach().numpy(), xs @ ws.T + bs, rtol=tol, atol=tol)
    y.backward(ax.tensor(gs))
    g2, x2 = gs.reshape(-1, 17), xs.reshape(-1, 33)
    np.testing.assert_allclose(x.grad.numpy(), gs @ ws, rtol=tol, atol=tol)
    np.testing.assert_allclose(w.grad.numpy(), g2.T @ x2, rtol=tol, atol=tol)
    np.testing.assert_allclose(b.grad.numpy(), g2.sum(0), rtol=tol, atol=tol)


def test_linear_grad_only_where_needed() -> None:
    x = ax.randn(4, 3)
    w = ax.randn(5, 3, requires_grad=True)
    b = ax.randn(5)
    F.linear(x, w, b).sum().backward()
    assert x.grad is None and b.grad is None
    np.testing.assert_allclose(w.grad.numpy(), np.tile(x.numpy().sum(0), (5, 1)), rtol=1e-5)


def test_linear_node_names() -> None:
    x = ax.randn(4, 3, requires_grad=True)
    w = ax.randn(5, 3)
    assert F.linear(x, w, ax.randn(5)).grad_fn.name() == "AddmmBackward0"
    assert F.linear(x, w).grad_fn.name() == "MmBackward0"


def test_linear_expanded_grad_and_empty_batch() -> None:
    x = ax.randn(6, 3, requires_grad=True)
    w = ax.randn(4, 3, requires_grad=True)
    b = ax.randn(4, requires_grad=True)
    F.linear(x, w, b).sum().backward()  # the incoming gradient is a stride-0 expand
    np.testing.assert_allclose(b.grad.numpy(), np.full(4, 6.0))
    np.testing.assert_allclose(x.grad.numpy(), np.tile(w.detach().numpy().sum(0), (6, 1)), 1e-5)
    e = ax.zeros(0, 3, requires_grad=True)
    y = F.linear(e, w, b)
    assert tuple(y.shape) == (0, 4)
    w.grad = None
    y.sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), np.zeros((4, 3)))


def test_linear_zero_in_features() -> None:
    x = ax.zeros(3, 0)
    w = ax.zeros(2, 0, requires_grad=True)
    b = ax.tensor([1.0, 2.0])
    np.testing.assert_array_equal(F.linear(x, w, b).detach().numpy(), [[1.0, 2.0]] * 3)
    np.testing.assert_array_equal(F.linear(x, w).detach().numpy(), np.zeros((3, 2)))


def test_linear_thread_count_independent() -> None:
    rng = np.random.default_rng(3)
    x = ax.tensor(rng.standard_normal((300, 200)).astype(np.float32), requires_grad=True)
    w = ax.tensor(rng.standard_normal((150, 200)).astype(np.float32), requires_grad=True)
    b = ax.tensor(rng.standard_normal(150).astype(np.float32), requires_grad=True)
    outs = []
    n0 = ax.get_num_threads()
    try:
        for nt in (1, 2, 3):
            ax.set_num_threads(nt)
            for t in (x, w, b):
                t.grad = None
            y = F.linear(x, w, b)
            (y * y).sum().backward()
            outs.append([a.detach().numpy().copy() for a in (y, x.grad, w.grad, b.grad)])
    finally:
        ax.set_num_threads(n0)
    for o in outs[1:]:
        for a, c in zip(outs[0], o, strict=True):
            np.testing.assert_array_equal(a, c)


def test_linear_weight_modified_in_place_before_backward() -> None:
    x = ax.randn(4, 3, requires_grad=True)
    w = ax.randn(5, 3, requires_grad=True)
    y = F.linear(x, w)
    with ax.no_grad():
        w.mul_(2.0)
    with pytest.raises(RuntimeError):
        y.sum().backward()


@pytest.mark.parametrize(
    ("args", "exc", "match"),
    [
        (((4, 3), (5, 4)), RuntimeError, r"cannot be multiplied \(4x3 and 4x5\)"),
        (((), (5, 3)), RuntimeError, "at least 1D"),
        (((4, 3), (5, 3, 1)), RuntimeError, "weight must be 2-D"),
        (((2, 4, 3), (5, 4)), RuntimeError, r"\(8x3 and 4x5\)"),
    ],
)
def test_linear_shape_errors(args: Any, exc: type, match: str) -> None:
    x, w = (ax.randn(*s) for s in args)
    with pytest.raises(exc, match=match):
        F.linear(x, w)


def test_linear_dtype_errors() -> None:
    with pytest.raises(RuntimeError, match="same dtype"):
        F.linear(ax.randn(4, 3).double(), ax.randn(5, 3))
    with pytest.raises(TypeError, match="floating-point"):
        F.linear(ax.ones(4, 3, dtype=ax.int64), ax.ones(5, 3, dtype=ax.int64))
    with pytest.raises(RuntimeError, match="bias"):
        F.linear(ax.randn(4, 3), ax.randn(5, 3), ax.randn(5).double())
    with pytest.raises((RuntimeError, ValueError)):
        F.linear(ax.randn(4, 3), ax.randn(5, 3), ax.randn(4))


def test_linear_module_init_and_repr() -> None:
    ax.manual_seed(0)
    m = nn.Linear(400, 300)
    w = m.weight.detach().numpy()
    bound = 1 / math.sqrt(400)
    assert w.shape == (300, 400) and m.bias.shape == (300,)
    assert np.abs(w).max() <= bound and np.abs(m.bias.detach().numpy()).max() <= bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.01 * bound  # U(-b, b) has std b / sqrt(3)
    assert abs(w.mean()) < 0.01 * bound
    assert repr(m) == "Linear(in_features=400, out_features=300, bias=True)"
    nb = nn.Linear(3, 2, bias=False)
    assert nb.bias is None and list(nb.state_dict()) == ["weight"]
    assert repr(nb) == "Linear(in_features=3, out_features=2, bias=False)"
    assert nn.Linear(3, 2, dtype=ax.float64).weight.dtype == ax.float64
    assert all(p.requires_grad for p in m.parameters())


def test_linear_module_torch_parity(torch: Any) -> None:
    m = nn.Linear(6, 4)
    t = torch.nn.Linear(6, 4)
    assert list(m.state_dict()) == list(t.state_dict())
    m.load_state_dict(t.state_dict())
    x = np.random.default_rng(1).standard_normal((5, 2, 6)).astype(np.float32)
    xa, xt = ax.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ya, yt = m(xa), t(xt)
    np.testing.assert_allclose(ya.detach().numpy(), yt.detach().numpy(), rtol=1e-5, atol=1e-6)
    (ya * ya).sum().backward()
    (yt * yt).sum().backward()
    for a, b in [(xa, xt), (m.weight, t.weight), (m.bias, t.bias)]:
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-4, atol=1e-5)


def test_bilinear_module_torch_parity(torch: Any) -> None:
    m = nn.Bilinear(3, 2, 4)
    t = torch.nn.Bilinear(3, 2, 4)
    assert repr(m) == repr(t)
    m.load_state_dict(t.state_dict())
    rng = np.random.default_rng(2)
    a, b = rng.standard_normal((5, 3)), rng.standard_normal((5, 2))
    ya = m(ax.tensor(a, dtype=ax.float32), ax.tensor(b, dtype=ax.float32))
    yt = t(torch.tensor(a, dtype=torch.float32), torch.tensor(b, dtype=torch.float32))
    np.testing.assert_allclose(ya.detach().numpy(), yt.detach().numpy(), rtol=1e-5, atol=1e-6)
    bound = 1 / math.sqrt(3)
    assert np.abs(m.weight.detach().numpy()).max() <= bound


def test_identity_flatten_unflatten(torch: Any) -> None:
    x = ax.randn(2, 3, 4, 5)
    assert nn.Identity(3, foo=1)(x) is x
    assert tuple(nn.Flatten()(x).shape) == (2, 60)
    assert tuple(nn.Flatten(0, 2)(x).shape) == (24, 5)
    assert tuple(nn.Unflatten(1, (3, 1))(ax.randn(2, 3)).shape) == (2, 3, 1)
    assert tuple(nn.Unflatten(-1, [2, -1])(ax.randn(2, 6)).shape) == (2, 2, 3)
    for a, t in [
        (nn.Flatten(), torch.nn.Flatten()),
        (nn.Flatten(0, 2), torch.nn.Flatten(0, 2)),
        (nn.Unflatten(1, (2, 2)), torch.nn.Unflatten(1, (2, 2))),
        (nn.Identity(), torch.nn.Identity()),
    ]:
        assert repr(a) == repr(t)
    with pytest.raises(TypeError, match="tuple of ints"):
        nn.Unflatten(1, 4)
    with pytest.raises(TypeError, match="at pos 1"):
        nn.Unflatten(1, (2, 2.0))
    y = nn.Unflatten(1, (2, 3))(nn.Flatten()(ax.randn(4, 2, 3, requires_grad=True)))
    assert tuple(y.shape) == (4, 2, 3)


# ---- dropout ----------------------------------------------------------------------------------


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_dropout_statistics(p: float) -> None:
    x = ax.ones(200_000)
    y = F.dropout(x, p).numpy()
    zero = y == 0
    assert abs(zero.mean() - p) < 0.006  # ~5 sigma of a binomial proportion at n = 2e5
    np.testing.assert_allclose(y[~zero], 1 / (1 - p), rtol=1e-6)
    assert abs(y.mean() - 1.0) < 0.03


def test_dropout_gradient_is_the_mask() -> None:
    x = ax.randn(50, 40, requires_grad=True)
    y = F.dropout(x, 0.4)
    g = ax.randn(50, 40)
    y.backward(g)
    mask = (y.detach().numpy() != 0) / 0.6
    np.testing.assert_allclose(y.detach().numpy(), x.detach().numpy() * mask, rtol=1e-6)
    np.testing.assert_allclose(x.grad.numpy(), g.numpy() * mask, rtol=1e-6)


def test_dropout_determinism_and_threads() -> None:
    x = ax.randn(1000, 300)
    n0 = ax.get_num_threads()
    outs = []
    try:
        for nt in (1, 2, 1):
            ax.set_num_threads(nt)
            ax.manual_seed(123)
            outs.append(F.dropout(x, 0.5).numpy())
    finally:
        ax.set_num_threads(n0)
    np.testing.assert_array_equal(outs[0], outs[1])
    np.testing.assert_array_equal(outs[0], outs[2])
    ax.manual_seed(123)
    a = F.dropout(x, 0.5).numpy()
    b = F.dropout(x, 0.5).numpy()  # the generator moved on
    np.testing.assert_array_equal(a, outs[0])
    assert (a != b).any()


def test_dropout_identity_cases() -> None:
    x = ax.randn(3, 4, requires_grad=True)
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0) is x
    z = F.dropout(x, 1.0)
    np.testing.assert_array_equal(z.detach().numpy(), np.zeros((3, 4)))
    z.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros((3, 4)))
    assert F.dropout(ax.zeros(0, 3), 0.5).shape == (0, 3)


def test_dropout_double_and_strided() -> None:
    x = ax.randn(6, 8, dtype=ax.float64)
    y = F.dropout(x.t(), 0.25).numpy()
    kept = y != 0
    np.testing.assert_allclose(y[kept], (x.t().numpy() / 0.75)[kept], rtol=1e-12)


def test_dropout_inplace() -> None:
    x = ax.randn(10, 10)
    before = x.numpy().copy()
    out = F.dropout(x, 0.5, inplace=True)
    assert out is x
    kept = x.numpy() != 0
    np.testing.assert_allclose(x.numpy()[kept], 2 * before[kept], rtol=1e-6)
    leaf = ax.randn(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable"):
        F.dropout(leaf, 0.5, inplace=True)
    h = ax.randn(40, requires_grad=True)
    y = h * 1.0
    F.dropout(y, 0.5, inplace=True)
    y.sum().backward()
    np.testing.assert_allclose(h.grad.numpy(), (y.detach().numpy() != 0) * 2.0)


@pytest.mark.parametrize("p", [-0.1, 1.5])
def test_dropout_p_errors(p: float) -> None:
    msg = f"dropout probability has to be between 0 and 1, but got {p}"
    x = ax.randn(3, 4)
    for fn in (F.dropout, F.dropout1d, F.dropout2d, F.dropout3d, F.alpha_dropout):
        with pytest.raises(ValueError, match=msg.replace(".", r"\.")):
            fn(x, p)
    for cls in (nn.Dropout, nn.Dropout1d, nn.Dropout2d, nn.Dropout3d, nn.AlphaDropout):
        with pytest.raises(ValueError, match="between 0 and 1"):
            cls(p)
    with pytest.raises(ValueError, match="between 0 and 1"):
        ax._C._nn.dropout(x, p)
    with pytest.raises(TypeError, match="floating-point"):
        F.dropout(ax.ones(3, dtype=ax.int64), 0.5)


def test_dropout_module_train_eval() -> None:
    m = nn.Dropout(0.5)
    assert repr(m) == "Dropout(p=0.5, inplace=False)"
    x = ax.ones(1000)
    assert (m(x).numpy() == 0).any()
    m.eval()
    assert m(x) is x
    m.train()
    assert (m(x).numpy() == 0).any()
    assert list(m.state_dict()) == []


def test_feature_dropout_is_channel_wise() -> None:
    x = ax.ones(8, 16, 5, 5)
    y = nn.Dropout2d(0.5)(x).numpy().reshape(8, 16, 25)
    per_map = y.reshape(8 * 16, 25)
    assert all(len(set(r.tolist())) == 1 for r in per_map)  # a whole map is kept or dropped
    assert set(np.unique(y).tolist()) <= {0.0, 2.0}
    assert 0.2 < (per_map[:, 0] == 0).mean() < 0.8
    y1 = nn.Dropout1d(0.5)(ax.ones(16, 10)).numpy()  # unbatched (C, L)
    assert all(len(set(r.tolist())) == 1 for r in y1)
    y3 = nn.Dropout3d(0.5)(ax.ones(4, 2, 3, 3)).numpy().reshape(4, 18)  # unbatched (C, D, H, W)
    assert all(len(set(r.tolist())) == 1 for r in y3)


def test_feature_dropout_rank_rules() -> None:
    with pytest.raises(RuntimeError, match="Expected 2D or 3D input, but received a 4D input"):
        F.dropout1d(ax.randn(2, 3, 4, 5))
    with pytest.warns(UserWarning, match="Received a 2-D input to dropout2d"):
        F.dropout2d(ax.randn(2, 3))
    with pytest.warns(UserWarning, match="Received a 3D input to dropout2d"):
        F.dropout2d(ax.randn(2, 3, 4))
    with pytest.warns(UserWarning, match="Received a 3-D input to dropout3d"):
        F.dropout3d(ax.randn(2, 3, 4), training=False)
    with pytest.raises(RuntimeError, match="at least 2 dimensions"):
        F.feature_alpha_dropout(ax.randn(3), 0.5, True)


def test_alpha_dropout_keeps_mean_and_variance() -> None:
    x = ax.randn(400_000)
    y = F.alpha_dropout(x, 0.2, training=True).numpy()
    assert abs(y.mean()) < 0.01 and abs(y.std() - 1.0) < 0.01
    m = nn.AlphaDropout(0.2)
    assert repr(m) == "AlphaDropout(p=0.2, inplace=False)"
    assert m.eval()(x) is x


def test_alpha_dropout_formula(torch: Any) -> None:
    # Same noise in both libraries: compare the affine map PyTorch applies given the mask.
    x = ax.randn(2000, dtype=ax.float64)
    ax.manual_seed(5)
    y = F.alpha_dropout(x, 0.3, True).numpy()
    alpha = 1.7580993408473766
    a = 1 / math.sqrt((alpha**2 * 0.3 + 1) * 0.7)
    kept = np.isclose(y, a * x.numpy() + alpha * a * 0.3)
    dropped = np.isclose(y, -alpha * a + alpha * a * 0.3)
    assert (kept | dropped).all()
    assert 0.25 < dropped.mean() < 0.35


# ---- embedding --------------------------------------------------------------------------------


def test_embedding_module(torch: Any) -> None:
    ax.manual_seed(0)
    m = nn.Embedding(1000, 64, padding_idx=3)
    w = m.weight.detach().numpy()
    np.testing.assert_array_equal(w[3], np.zeros(64))
    assert abs(w.mean()) < 0.01 and abs(w.std() - 1.0) < 0.01
    assert repr(m) == "Embedding(1000, 64, padding_idx=3)"
    t = torch.nn.Embedding(10, 4, padding_idx=-2, max_norm=1.5, norm_type=1.0)
    a = nn.Embedding(10, 4, padding_idx=-2, max_norm=1.5, norm_type=1.0)
    assert repr(a) == repr(t) and a.padding_idx == 8
    assert list(a.state_dict()) == list(t.state_dict())
    a.load_state_dict(t.state_dict())
    idx = np.array([[1, 8, 1], [9, 2, 8]])
    ya, yt = a(ax.tensor(idx)), t(torch.tensor(idx))
    np.testing.assert_allclose(ya.detach().numpy(), yt.detach().numpy(), rtol=1e-6)
    # max_norm renormalized the looked-up rows in place, as PyTorch does
    np.testing.assert_allclose(a.weight.detach().numpy(), t.weight.detach().numpy(), rtol=1e-6)
    (ya * ya).sum().backward()
    (yt * yt).sum().backward()
    np.testing.assert_allclose(a.weight.grad.numpy(), t.weight.grad.numpy(), rtol=1e-5)
    np.testing.assert_array_equal(a.weight.grad.numpy()[8], np.zeros(4))


def test_embedding_scale_grad_by_freq_and_padding(torch: Any) -> None:
    w = np.random.default_rng(0).standard_normal((6, 3))
    idx = np.array([0, 1, 1, 5, 1, 0, 2])
    a = ax.tensor(w, requires_grad=True)
    t = torch.tensor(w, requires_grad=True)
    g = np.random.default_rng(1).standard_normal((7, 3))
    F.embedding(ax.tensor(idx), a, padding_idx=2, scale_grad_by_freq=True).backward(ax.tensor(g))
    _tF().embedding(torch.tensor(idx), t, padding_idx=2, scale_grad_by_freq=True).backward(
        torch.tensor(g)
    )
    np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), rtol=1e-12)


def test_embedding_from_pretrained() -> None:
    w = ax.randn(4, 3)
    m = nn.Embedding.from_pretrained(w)
    assert not m.weight.requires_grad
    np.testing.assert_array_equal(m(ax.tensor([2, 0])).numpy(), w.numpy()[[2, 0]])
    m2 = nn.Embedding.from_pretrained(w, freeze=False, padding_idx=1)
    assert m2.weight.requires_grad and m2.padding_idx == 1
    np.testing.assert_array_equal(m2.weight.detach().numpy()[1], w.numpy()[1])  # not zeroed
    with pytest.raises(AssertionError, match="2-dimensional"):
        nn.Embedding.from_pretrained(ax.randn(4))


def test_embedding_sparse_flag_gives_dense_grad() -> None:
    m = nn.Embedding(5, 2, sparse=True)
    assert repr(m) == "Embedding(5, 2, sparse=True)"
    m(ax.tensor([1, 1, 3])).sum().backward()
    np.testing.assert_allclose(m.weight.grad.numpy()[:, 0], [0, 2, 0, 1, 0])


@pytest.mark.parametrize(("pad", "freq"), [(-1, False), (4, False), (2, True)])
def test_embedding_backward_is_differentiable(pad: int, freq: bool) -> None:
    # The dense backward (scatter) and its adjoint (masked gather) form a closed pair.
    idx = ax.tensor([[0, 2], [2, 4], [1, 2]])
    g = ax.randn(3, 2, 3, dtype=ax.float64, requires_grad=True)

    def f(g: Any) -> Any:
        return ax._C._nn.embedding_dense_backward(g, idx, 5, pad, freq)

    assert ax.autograd.gradcheck(f, (g,))
    assert ax.autograd.gradgradcheck(f, (g,))


def test_embedding_errors() -> None:
    w = ax.randn(10, 3)
    with pytest.raises(IndexError, match=r"embedding: index 10 is out of range.*0 <= index < 10"):
        F.embedding(ax.tensor([0, 10]), w)
    with pytest.raises(IndexError, match="index -1 is out of range"):
        F.embedding(ax.tensor([0, -1]), w)
    with pytest.raises(RuntimeError, match="int64"):
        F.embedding(ax.tensor([0.0, 1.0]), w)
    with pytest.raises(RuntimeError, match="2-D"):
        F.embedding(ax.tensor([0]), ax.randn(10))
    with pytest.raises(AssertionError, match="Padding_idx must be within num_embeddings"):
        F.embedding(ax.tensor([0]), w, padding_idx=10)
    with pytest.raises(AssertionError, match="Padding_idx must be within num_embeddings"):
        nn.Embedding(10, 3, padding_idx=-11)
    with pytest.raises(IndexError, match="out of range"):
        F.embedding(ax.tensor([11]), w, max_norm=1.0)
    with pytest.raises(TypeError, match="floating-point"):
        ax._C._nn.embedding(ax.ones(3, 2, dtype=ax.int64), ax.tensor([0]))
    with pytest.raises(AssertionError, match="does not match"):
        nn.Embedding(3, 2, _weight=ax.randn(2, 2))
