"""Loss functions: every functional loss x reduction in the OpSpec table (values vs NumPy,
float64 gradcheck + gradgradcheck, PyTorch parity of values and gradients), cross-entropy's
options (weights, ignore_index, label smoothing, probability targets, K-dim), numerical
stability, thread-count independence, PyTorch's errors and warnings, and the loss modules
(state_dict keys, buffers, repr)."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from opspec import OpSpec, op_tests

import axonite as ax
import axonite.nn.functional as F
from axonite import nn

REDUCTIONS = ("mean", "sum", "none")

# ---- NumPy references ------------------------------------------------------------------------


def _reduce(l: np.ndarray, reduction: str) -> np.ndarray:
    return {"none": l, "sum": l.sum(), "mean": l.mean()}[reduction]


def _log_softmax(x: np.ndarray, axis: int) -> np.ndarray:
    m = x.max(axis=axis, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=axis, keepdims=True))


def ref_cross_entropy(x, t, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    eps = label_smoothing
    if t.dtype.kind == "f":  # class probabilities
        cdim = 0 if x.ndim == 1 else 1
        c = x.shape[cdim]
        w = np.ones(c) if weight is None else weight
        shape = [1] * x.ndim
        shape[cdim] = c
        l = -(_log_softmax(x, cdim) * (t * (1 - eps) + eps / c) * w.reshape(shape)).sum(cdim)
        if reduction == "mean":
            return l.sum() / (x.size / c)
        return _reduce(l, reduction)
    xm = np.moveaxis(x, 1, -1) if x.ndim > 1 else x[None]
    tt = t if x.ndim > 1 else t[None]
    c = xm.shape[-1]
    lp = _log_softmax(xm, -1)
    w = np.ones(c, x.dtype) if weight is None else weight
    valid = tt != ignore_index
    tc = np.where(valid, tt, 0)
    nll = -w[tc] * np.take_along_axis(lp, tc[..., None], -1)[..., 0] * valid
    l = (1 - eps) * nll - eps / c * (lp * w).sum(-1) * valid
    l = l if x.ndim > 1 else l[0]
    if reduction == "mean":
        return l.sum() / (w[tc] * valid).sum()
    return _reduce(l, reduction)


def ref_nll(x, t, weight=None, ignore_index=-100, reduction="mean"):
    xm = np.moveaxis(x, 1, -1) if x.ndim > 1 else x[None]
    tt = t if x.ndim > 1 else t[None]
    w = np.ones(xm.shape[-1], x.dtype) if weight is None else weight
    valid = tt != ignore_index
    tc = np.where(valid, tt, 0)
    l = -w[tc] * np.take_along_axis(xm, tc[..., None], -1)[..., 0] * valid
    l = l if x.ndim > 1 else l[0]
    if reduction == "mean":
        return l.sum() / (w[tc] * valid).sum()
    return _reduce(l, reduction)


def _softplus_neg(x: np.ndarray) -> np.ndarray:
    return np.maximum(-x, 0) + np.log1p(np.exp(-np.abs(x)))


def _huber(d: np.ndarray, delta: float) -> np.ndarray:
    z = np.abs(d)
    return np.where(z < delta, 0.5 * d * d, delta * (z - 0.5 * delta))


POINTWISE: dict[str, Callable[..., np.ndarray]] = {
    "mse_loss": lambda x, y: (x - y) ** 2,
    "l1_loss": lambda x, y: np.abs(x - y),
    "huber_loss": lambda x, y, delta=1.0: _huber(x - y, delta),
    "smooth_l1_loss": lambda x, y, beta=1.0: _huber(x - y, beta) / beta,
    "binary_cross_entropy": lambda x, y, weight=1.0: (
        -weight * (y * np.maximum(np.log(x), -100) + (1 - y) * np.maximum(np.log1p(-x), -100))
    ),
    "binary_cross_entropy_with_logits": lambda x, y, weight=1.0, pos_weight=1.0: (
        weight * ((1 - y) * x + (1 + (pos_weight - 1) * y) * _softplus_neg(x))
    ),
}


def ref_pointwise(name: str) -> Callable[..., np.ndarray]:
    def f(x, y, reduction="mean", **kw):
        return _reduce(POINTWISE[name](x, y, **kw), reduction)

    return f


def ref_kl(x, t, reduction="mean", log_target=False):
    l = np.exp(t) * (t - x) if log_target else t * (np.log(t) - x)
    return l.sum() / x.shape[0] if reduction == "batchmean" else _reduce(l, reduction)


def ref_multi_margin(x, t, p=1, margin=1.0, weight=None, reduction="mean"):
    x2, t2 = (x, t) if x.ndim == 2 else (x[None], t[None])
    n, c = x2.shape
    rows = np.arange(n)
    h = np.maximum(margin - x2[rows, t2][:, None] + x2, 0) ** p
    h[rows, t2] = 0
    if weight is not None:
        h = h * weight[t2][:, None]
    l = h.sum(1) / c
    return _reduce(l if x.ndim == 2 else l[0], reduction)


def ref_cos_embedding(a, b, t, margin=0.0, reduction="mean"):
    cos = (a * b).sum(-1) / np.sqrt(((a * a).sum(-1) + 1e-12) * ((b * b).sum(-1) + 1e-12))
    l = np.where(t == 1, 1 - cos, np.where(t == -1, np.maximum(cos - margin, 0), 0))
    return _reduce(l, reduction)


def ref_cos_sim(a, b, dim=1, eps=1e-8):
    na = np.maximum(np.linalg.norm(a, axis=dim, keepdims=True), eps)
    nb = np.maximum(np.linalg.norm(b, axis=dim, keepdims=True), eps)
    return (a / na * b / nb).sum(dim)


def ref_normalize(x, p=2.0, dim=1, eps=1e-12):
    n = (np.abs(x) ** p).sum(axis=dim, keepdims=True) ** (1 / p)
    return x / np.maximum(n, eps)


# ---- the table -------------------------------------------------------------------------------


def _tF() -> Any:
    import torch.nn.functional as tF

    return tF


def _conv(kw: dict[str, Any], like: Any, torch: bool) -> dict[str, Any]:
    """NumPy arrays in kwargs become tensors of the first input's dtype."""
    out = {}
    for k, v in kw.items():
        if isinstance(v, np.ndarray):
            if torch:
                import torch as th

                v = th.tensor(v, dtype=like.dtype)
            else:
                v = ax.tensor(v).to(like.dtype)
        out[k] = v
    return out


def spec(name: str, fname: str, ref: Callable[..., Any], make: Callable, **kw: Any) -> OpSpec:
    quiet = kw.get("reduction", "mean") == "mean" and fname == "kl_div"

    def call(mod: Any, torch: bool) -> Callable[..., Any]:
        def f(*a: Any) -> Any:
            with warnings.catch_warnings():
                if quiet:  # kl_div's 'mean' warning is checked in test_kl_div_mean_warns
                    warnings.simplefilter("ignore")
                return getattr(mod() if torch else F, fname)(*a, **_conv(kw, a[0], torch))

        return f

    def r(*a: np.ndarray) -> Any:
        return ref(
            *a,
            **{k: v.astype(a[0].dtype) if isinstance(v, np.ndarray) else v for k, v in kw.items()},
        )

    return OpSpec(name, call(None, False), r, make_inputs=make, torch_fn=call(_tF, True))


def _logits_idx(shape: tuple[int, ...], ignore: int | None = -100) -> Callable:
    def make(r: np.random.Generator) -> list[np.ndarray]:
        c = shape[1] if len(shape) > 1 else shape[0]
        tshape = (shape[0], *shape[2:]) if len(shape) > 1 else ()
        t = r.integers(0, c, tshape).astype(np.int64)
        if ignore is not None and t.ndim:
            t.flat[1] = ignore
        return [r.uniform(-2, 2, shape), t]

    return make


def _logits_probs(shape: tuple[int, ...]) -> Callable:
    def make(r: np.random.Generator) -> list[np.ndarray]:
        cdim = 0 if len(shape) == 1 else 1
        p = r.uniform(0.1, 1, shape)
        return [r.uniform(-2, 2, shape), p / p.sum(cdim, keepdims=True)]

    return make


def _pair(lo: float, hi: float, ylo: float, yhi: float, shape=(3, 4)) -> Callable:
    return lambda r: [r.uniform(lo, hi, shape), r.uniform(ylo, yhi, shape)]


W5 = np.array([0.5, 1.5, 1.0, 2.0, 0.25])
W4 = np.array([0.7, 1.3, 2.0, 0.4])

_CE, _NLL, _MM = ref_cross_entropy, ref_nll, ref_multi_margin
_EMB = [np.array([1, -1, 1, -1, -1], dtype=np.int64)]
# (name, function, NumPy reference, inputs, kwargs): each row runs with every reduction.
TABLE: list[tuple[str, str, Callable[..., Any], Callable, dict[str, Any]]] = [
    ("ce", "cross_entropy", _CE, _logits_idx((6, 5)), {}),
    ("ce_weight", "cross_entropy", _CE, _logits_idx((6, 5)), {"weight": W5}),
    ("ce_ignore2", "cross_entropy", _CE, _logits_idx((6, 5), 2), {"ignore_index": 2}),
    ("ce_smooth", "cross_entropy", _CE, _logits_idx((6, 5)), {"label_smoothing": 0.2}),
    ("ce_w_smooth", "cross_entropy", _CE, _logits_idx((6, 5)),
     {"weight": W5, "label_smoothing": 0.3}),
    ("ce_kdim", "cross_entropy", _CE, _logits_idx((2, 5, 3, 2)),
     {"weight": W5, "label_smoothing": 0.1}),
    ("ce_1d", "cross_entropy", _CE, _logits_idx((5,)), {}),
    ("ce_probs", "cross_entropy", _CE, _logits_probs((4, 5)), {"weight": W5}),
    ("ce_probs_smooth_kdim", "cross_entropy", _CE, _logits_probs((2, 5, 3)),
     {"label_smoothing": 0.25}),
    ("nll", "nll_loss", _NLL, _logits_idx((6, 5)), {}),
    ("nll_weight_kdim", "nll_loss", _NLL, _logits_idx((2, 5, 3)), {"weight": W5}),
    ("mse", "mse_loss", ref_pointwise("mse_loss"), _pair(-2, 2, -2, 2), {}),
    ("l1", "l1_loss", ref_pointwise("l1_loss"), _pair(-2, 2, -2, 2), {}),
    ("huber", "huber_loss", ref_pointwise("huber_loss"), _pair(-2, 2, -2, 2), {"delta": 0.8}),
    ("smooth_l1", "smooth_l1_loss", ref_pointwise("smooth_l1_loss"), _pair(-2, 2, -2, 2),
     {"beta": 0.6}),
    ("bce", "binary_cross_entropy", ref_pointwise("binary_cross_entropy"),
     _pair(0.05, 0.95, 0, 1), {}),
    ("bce_weight", "binary_cross_entropy", ref_pointwise("binary_cross_entropy"),
     _pair(0.05, 0.95, 0, 1), {"weight": W4}),
    ("bce_logits", "binary_cross_entropy_with_logits",
     ref_pointwise("binary_cross_entropy_with_logits"), _pair(-3, 3, 0, 1), {}),
    ("bce_logits_pw_w", "binary_cross_entropy_with_logits",
     ref_pointwise("binary_cross_entropy_with_logits"), _pair(-3, 3, 0, 1),
     {"pos_weight": W4, "weight": W4[::-1].copy()}),
    ("kl", "kl_div", ref_kl, _pair(-2, 0, 0.1, 1), {}),
    ("kl_logt", "kl_div", ref_kl, _pair(-2, 0, -2, 0), {"log_target": True}),
    ("multi_margin", "multi_margin_loss", _MM, _logits_idx((6, 5), None), {}),
    ("multi_margin_p2_w", "multi_margin_loss", _MM, _logits_idx((6, 5), None),
     {"p": 2, "margin": 0.7, "weight": W5}),
    ("multi_margin_1d", "multi_margin_loss", _MM, _logits_idx((5,), None), {}),
    ("cos_embedding", "cosine_embedding_loss", ref_cos_embedding,
     lambda r: [r.uniform(-1, 1, (5, 3)), r.uniform(-1, 1, (5, 3)), *_EMB], {"margin": -0.2}),
]  # fmt: skip
SPECS = [
    spec(f"{name}_{red}", fname, ref, make, reduction=red, **kw)
    for name, fname, ref, make, kw in TABLE
    for red in REDUCTIONS
]
SPECS += [
    spec("kl_batchmean", "kl_div", ref_kl, _pair(-2, 0, 0.1, 1), reduction="batchmean"),
    spec(
        "cos_embedding_0d",
        "cosine_embedding_loss",
        ref_cos_embedding,
        lambda r: [r.uniform(-1, 1, 4), r.uniform(-1, 1, 4), np.array(-1, dtype=np.int64)],
    ),
    spec("cosine_similarity", "cosine_similarity", ref_cos_sim, _pair(-1, 1, -1, 1)),
    spec(
        "cosine_similarity_dim0",
        "cosine_similarity",
        ref_cos_sim,
        lambda r: [r.uniform(-1, 1, (3, 4)), r.uniform(-1, 1, (3, 1))],
        dim=0,
    ),
    spec("normalize", "normalize", ref_normalize, lambda r: [r.uniform(-1, 1, (3, 4))]),
    spec(
        "normalize_p1_dim0",
        "normalize",
        ref_normalize,
        lambda r: [r.uniform(-1, 1, (3, 4))],
        p=1.0,
        dim=0,
    ),
    spec(
        "normalize_p3",
        "normalize",
        ref_normalize,
        lambda r: [r.uniform(-1, 1, (2, 3, 4))],
        p=3.0,
        dim=-1,
    ),
]

test_forward, test_gradcheck, test_torch_parity = op_tests(SPECS)


# ---- cross-entropy details -------------------------------------------------------------------


def _pair_run(torch: Any, fa: Callable, ft: Callable, *arrays: np.ndarray, grad: tuple = (0,)):
    """Runs fa on axonite and ft on torch tensors; returns (values, grads) for both."""
    xa = [ax.tensor(a, requires_grad=i in grad) for i, a in enumerate(arrays)]
    xt = [torch.tensor(a, requires_grad=i in grad) for i, a in enumerate(arrays)]
    la, lt = fa(*xa), ft(*xt)
    la.sum().backward()
    lt.sum().backward()
    return (
        la.detach().numpy(),
        lt.detach().numpy(),
        [xa[i].grad.numpy() for i in grad],
        [xt[i].grad.numpy() for i in grad],
    )


@pytest.mark.parametrize("red", REDUCTIONS)
def test_cross_entropy_float32_all_options(torch: Any, red: str) -> None:
    r = np.random.default_rng(3)
    x = r.standard_normal((8, 7, 5, 6)).astype(np.float32) * 3
    t = r.integers(0, 7, (8, 5, 6))
    t[r.uniform(size=t.shape) < 0.2] = 4  # ignore_index
    w = r.uniform(0.2, 2, 7).astype(np.float32)
    kw = {"ignore_index": 4, "label_smoothing": 0.15, "reduction": red}
    la, lt, ga, gt = _pair_run(
        torch,
        lambda a, b: F.cross_entropy(a, b, weight=ax.tensor(w), **kw),
        lambda a, b: torch.nn.functional.cross_entropy(a, b, weight=torch.tensor(w), **kw),
        x,
        t,
    )
    np.testing.assert_allclose(la, lt, rtol=2e-5, atol=1e-5)
    np.testing.assert_allclose(ga[0], gt[0], rtol=2e-4, atol=1e-6)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(("n", "c"), [(200, 10), (64, 31), (65, 2), (130, 32), (70, 40)])
def test_cross_entropy_rows_match_torch(torch: Any, dtype: str, n: int, c: int) -> None:
    # (N, C) rows: fewer than 32 classes go through row tiles of 64 (a full, a partial and
    # several tiles here), more through the per-row loops; both against torch, every option.
    r = np.random.default_rng(n * 100 + c)
    x = (r.standard_normal((n, c)) * 3).astype(dtype)
    t = r.integers(0, c, n)
    t[r.uniform(size=n) < 0.15] = -100
    w = r.uniform(0.2, 2, c).astype(dtype)
    tol = {"rtol": 2e-5, "atol": 1e-6} if dtype == "float32" else {"rtol": 1e-10, "atol": 1e-12}
    for kw in (
        {},
        {"label_smoothing": 0.1, "reduction": "none"},
        {"weight": w, "reduction": "sum"},
    ):
        kwa = {k: ax.tensor(v) if k == "weight" else v for k, v in kw.items()}
        kwt = {k: torch.tensor(v) if k == "weight" else v for k, v in kw.items()}
        la, lt, ga, gt = _pair_run(
            torch,
            lambda a, b, kwa=kwa: F.cross_entropy(a, b, **kwa),
            lambda a, b, kwt=kwt: torch.nn.functional.cross_entropy(a, b, **kwt),
            x,
            t,
        )
        np.testing.assert_allclose(la, lt, **tol)
        np.testing.assert_allclose(ga[0], gt[0], **tol)


def test_cross_entropy_noncontiguous_and_grad_fn() -> None:
    r = np.random.default_rng(0)
    x = r.standard_normal((5, 4))
    t = ax.tensor([0, 3, 1, 2])
    xa = ax.tensor(x, requires_grad=True)
    loss = F.cross_entropy(xa.t(), t)  # (4, 5) non-contiguous view
    assert loss.grad_fn.name() == "CrossEntropyLossBackward0"
    loss.backward()
    want = ref_cross_entropy(x.T.copy(), t.numpy())
    assert abs(loss.item() - want) < 1e-12
    p = np.exp(_log_softmax(x.T, 1))
    p[np.arange(4), t.numpy()] -= 1
    np.testing.assert_allclose(xa.grad.numpy(), p.T / 4, atol=1e-12)


def test_cross_entropy_all_ignored_and_empty() -> None:
    x = ax.randn(3, 4, requires_grad=True)
    t = ax.tensor([-100, -100, -100])
    assert np.isnan(F.cross_entropy(x, t).item())
    loss = F.cross_entropy(x, t, reduction="sum")
    assert loss.item() == 0.0
    loss.backward()
    assert np.all(x.grad.numpy() == 0)
    empty = ax.zeros(0, 4)
    assert np.isnan(F.cross_entropy(empty, ax.zeros(0, dtype=ax.int64)).item())
    assert F.cross_entropy(empty, ax.zeros(0, dtype=ax.int64), reduction="sum").item() == 0
    assert F.cross_entropy(empty, ax.zeros(0, dtype=ax.int64), reduction="none").shape == (0,)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("scale", [1e4, 1e8])
def test_cross_entropy_extreme_logits(torch: Any, dtype: str, scale: float) -> None:
    x = (np.array([[1, -1, 0, 0.5], [-1, 1, 1, -0.5], [0, 0, -1, 1]]) * scale).astype(dtype)
    t = np.array([0, 2, 1])
    for kw in ({}, {"label_smoothing": 0.1}, {"reduction": "none"}):
        la, lt, ga, gt = _pair_run(
            torch,
            lambda a, b, kw=kw: F.cross_entropy(a, b, **kw),
            lambda a, b, kw=kw: torch.nn.functional.cross_entropy(a, b, **kw),
            x,
            t,
        )
        assert np.all(np.isfinite(la)) and np.all(np.isfinite(ga[0]))
        np.testing.assert_allclose(la, lt, rtol=1e-6)
        np.testing.assert_allclose(ga[0], gt[0], rtol=1e-6, atol=1e-7)


def test_double_backward_matches_torch(torch: Any) -> None:
    r = np.random.default_rng(5)
    x = r.standard_normal((4, 6))
    v = r.standard_normal((4, 6))
    t = np.array([1, -100, 5, 0])
    w = r.uniform(0.5, 2, 6)
    out = []
    for lib, fn in ((ax, F.cross_entropy), (torch, torch.nn.functional.cross_entropy)):
        xt = lib.tensor(x, requires_grad=True)
        loss = fn(xt, lib.tensor(t), weight=lib.tensor(w), label_smoothing=0.2)
        (g,) = lib.autograd.grad(loss, [xt], create_graph=True)
        (g * lib.tensor(v)).sum().backward()
        out.append(xt.grad.numpy())
    np.testing.assert_allclose(out[0], out[1], rtol=1e-10, atol=1e-12)


def test_losses_independent_of_thread_count() -> None:
    r = np.random.default_rng(0)
    t1, t2 = ax.tensor(r.integers(0, 1000, 512)), ax.tensor(r.integers(0, 21, (4, 64, 64)))
    cases = [
        (lambda x: F.cross_entropy(x, t1, label_smoothing=0.1), (512, 1000)),
        (lambda x: F.cross_entropy(x, t2), (4, 21, 64, 64)),
        (lambda x: F.mse_loss(x, ax.zeros(1 << 20)), (1 << 20,)),
        (lambda x: F.binary_cross_entropy_with_logits(x, ax.ones(1 << 20)), (1 << 20,)),
    ]
    prev = ax.get_num_threads()
    try:
        for fn, shape in cases:
            x = r.standard_normal(shape).astype(np.float32)
            res = []
            for nt in (1, 2, 3):
                ax.set_num_threads(nt)
                xa = ax.tensor(x, requires_grad=True)
                loss = fn(xa)
                loss.backward()
                res.append((loss.detach().numpy().tobytes(), xa.grad.numpy().tobytes()))
            assert res[0] == res[1] == res[2]
    finally:
        ax.set_num_threads(prev)


# ---- stability of the binary losses ----------------------------------------------------------


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_bce_through_sigmoid_saturated(torch: Any, dtype: str) -> None:
    x = np.array([1000.0, -1000.0, 1000.0, -1000.0], dtype)
    y = np.array([0.0, 1.0, 1.0, 0.0], dtype)

    def f(lib: Any, fn: Any) -> Callable:
        return lambda a, b: fn(lib.sigmoid(a), b, reduction="none")

    la, lt, ga, gt = _pair_run(
        torch,
        f(ax, F.binary_cross_entropy),
        f(torch, torch.nn.functional.binary_cross_entropy),
        x,
        y,
    )
    np.testing.assert_array_equal(la, [100, 100, 0, 0])
    np.testing.assert_allclose(la, lt)
    assert np.all(np.isfinite(ga[0]))
    np.testing.assert_allclose(ga[0], gt[0])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_bce_with_logits_extremes(torch: Any, dtype: str) -> None:
    x = np.array([200.0, -200.0, 200.0, -200.0, 0.0, 30.0], dtype)
    y = np.array([0.0, 1.0, 1.0, 0.0, 1.0, 0.5], dtype)
    pw = np.array([2.0], dtype)
    for kw in ({}, {"pos_weight": pw}):
        la, lt, ga, gt = _pair_run(
            torch,
            lambda a, b, kw=kw: F.binary_cross_entropy_with_logits(
                a, b, reduction="none", **{k: ax.tensor(v) for k, v in kw.items()}
            ),
            lambda a, b, kw=kw: torch.nn.functional.binary_cross_entropy_with_logits(
                a, b, reduction="none", **{k: torch.tensor(v) for k, v in kw.items()}
            ),
            x,
            y,
            grad=(0, 1),
        )
        assert np.all(np.isfinite(la)) and all(np.all(np.isfinite(g)) for g in ga)
        np.testing.assert_allclose(la, lt, rtol=1e-6, atol=1e-6)
        for a, b in zip(ga, gt, strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert F.binary_cross_entropy_with_logits(ax.tensor([200.0]), ax.tensor([0.0])).item() == 200


# ---- argument handling, warnings and errors --------------------------------------------------


def test_regression_broadcast_warns_and_sums_grad(torch: Any) -> None:
    x = ax.randn(3, 4, requires_grad=True)
    y = ax.randn(4, requires_grad=True)
    with pytest.warns(UserWarning, match="different to the input size"):
        loss = F.mse_loss(x, y)
    loss.backward()
    xt = torch.tensor(x.detach().numpy(), requires_grad=True)
    yt = torch.tensor(y.detach().numpy(), requires_grad=True)
    with pytest.warns(UserWarning, match="different to the input size"):
        lt = torch.nn.functional.mse_loss(xt, yt)
    lt.backward()
    np.testing.assert_allclose(loss.item(), lt.item(), rtol=1e-6)
    np.testing.assert_allclose(y.grad.numpy(), yt.grad.numpy(), rtol=1e-5, atol=1e-6)
    with (
        pytest.warns(UserWarning, match="different to the input size"),
        pytest.raises(RuntimeError, match="must match the size"),
    ):
        F.l1_loss(ax.randn(3, 4), ax.randn(3))


def test_legacy_flags_and_mixed_dtypes() -> None:
    x, y = ax.randn(3, 4), ax.randn(3, 4)
    with pytest.warns(UserWarning, match="reduction='sum'"):
        s = F.mse_loss(x, y, size_average=False)
    assert abs(s.item() - F.mse_loss(x, y, reduction="sum").item()) < 1e-5
    with pytest.warns(UserWarning, match="reduction='none'"):
        assert F.l1_loss(x, y, reduce=False).shape == (3, 4)
    assert F.mse_loss(x, y.double()).dtype == ax.float64


@pytest.mark.parametrize("fname", ["mse_loss", "l1_loss", "huber_loss"])
@pytest.mark.parametrize("red", REDUCTIONS)
def test_regression_weight_argument(torch: Any, fname: str, red: str) -> None:
    r = np.random.default_rng(2)
    x, y, w = r.standard_normal((3, 4)), r.standard_normal((3, 4)), r.uniform(0, 2, (3, 4))
    la, lt, ga, gt = _pair_run(
        torch,
        lambda a, b, c: getattr(F, fname)(a, b, reduction=red, weight=c),
        lambda a, b, c: getattr(torch.nn.functional, fname)(a, b, reduction=red, weight=c),
        x,
        y,
        w,
    )
    np.testing.assert_allclose(la, lt, rtol=1e-10)
    np.testing.assert_allclose(ga[0], gt[0], rtol=1e-10)


def test_kl_div_mean_warns() -> None:
    x, t = ax.randn(2, 3), ax.rand(2, 3)
    with pytest.warns(UserWarning, match="batchmean"):
        F.kl_div(x, t)
    with pytest.warns(UserWarning, match="batchmean"):
        nn.KLDivLoss()(x, t)


E = ax.randn(3, 5)
T = ax.tensor([0, 1, 2])
ERRORS = [
    (lambda: F.cross_entropy(E, ax.tensor([0, 1, 7])), IndexError, "Target 7 is out of bounds"),
    (lambda: F.nll_loss(E, ax.tensor([0, -3, 1])), IndexError, "Target -3 is out of bounds"),
    (lambda: F.cross_entropy(E, ax.tensor([0, 1])), ValueError, r"batch_size \(3\).*\(2\)"),
    (
        lambda: F.cross_entropy(ax.randn(2, 3, 4), ax.zeros(2, 5, dtype=ax.int64)),
        RuntimeError,
        r"Expected target size \[2, 4\], got \[2, 5\]",
    ),
    (lambda: F.cross_entropy(E, ax.rand(3)), RuntimeError, "class probabilities"),
    (lambda: F.cross_entropy(E, T, weight=ax.ones(4)), RuntimeError, "for all 5 classes"),
    (lambda: F.cross_entropy(E, T, weight=ax.ones(5).double()), RuntimeError, "float64"),
    (lambda: F.cross_entropy(E, T, label_smoothing=1.5), RuntimeError, "label_smoothing"),
    (lambda: F.cross_entropy(E, T, reduction="avg"), ValueError, "avg is not a valid value"),
    (lambda: F.cross_entropy(E.long(), T), TypeError, "floating-point input"),
    (lambda: F.nll_loss(ax.tensor(1.0), ax.tensor(0)), ValueError, "1 or more dimensions"),
    (lambda: F.nll_loss(E, ax.zeros(3, 1, dtype=ax.int64)), RuntimeError, "multi-target"),
    (
        lambda: F.cross_entropy(E, T, weight=ax.ones(5, requires_grad=True)),
        RuntimeError,
        "not differentiable with respect to argument 'weight'",
    ),
    (lambda: F.cross_entropy(E, [0, 1, 2]), TypeError, "must be Tensor"),
    (lambda: F.mse_loss(ax.ones(3, dtype=ax.int64), ax.ones(3)), TypeError, "floating-point"),
    (
        lambda: F.binary_cross_entropy(ax.tensor([1.5]), ax.tensor([1.0])),
        RuntimeError,
        "all elements of input should be between 0 and 1",
    ),
    (
        lambda: F.binary_cross_entropy(ax.tensor([0.5]), ax.tensor([-0.5])),
        RuntimeError,
        "all elements of target should be between 0 and 1",
    ),
    (
        lambda: F.binary_cross_entropy(ax.tensor([float("nan")]), ax.tensor([1.0])),
        RuntimeError,
        "between 0 and 1",
    ),
    (
        lambda: F.binary_cross_entropy(ax.rand(3, 1), ax.rand(3)),
        ValueError,
        "Please ensure they have the same size",
    ),
    (
        lambda: F.binary_cross_entropy(ax.rand(3, 4), ax.rand(3, 4), weight=ax.rand(3)),
        RuntimeError,
        "must match the size",
    ),
    (
        lambda: F.binary_cross_entropy_with_logits(ax.rand(3, 1), ax.rand(3)),
        ValueError,
        "must be the same as input size",
    ),
    (
        lambda: F.binary_cross_entropy_with_logits(
            ax.rand(3, 4), ax.rand(3, 4), pos_weight=ax.rand(3)
        ),
        RuntimeError,
        "must match the size",
    ),
    (
        lambda: F.binary_cross_entropy_with_logits(
            ax.rand(3), ax.rand(3), pos_weight=ax.rand(3, requires_grad=True)
        ),
        RuntimeError,
        "argument 'pos_weight'",
    ),
    (lambda: F.huber_loss(E, E, delta=0.0), RuntimeError, "non-positive values for delta"),
    (lambda: F.smooth_l1_loss(E, E, beta=-1.0), RuntimeError, "negative values for beta"),
    (lambda: F.multi_margin_loss(E, T, p=3), ValueError, "only p == 1 and p == 2"),
    (lambda: F.multi_margin_loss(E, ax.tensor([0, 1, 5])), IndexError, "target 5 out of range"),
    (
        lambda: F.multi_margin_loss(ax.randn(2, 3, 4), ax.tensor([1, 2])),
        RuntimeError,
        "non-empty vector or matrix",
    ),
    (lambda: F.multi_margin_loss(E, ax.tensor([1, 2])), RuntimeError, "Expected target size"),
    (
        lambda: F.multi_margin_loss(E, T, weight=ax.ones(4)),
        RuntimeError,
        "inconsistent weight size, expected 5",
    ),
    (
        lambda: F.cosine_embedding_loss(ax.randn(3, 4), ax.randn(3), ax.ones(3)),
        RuntimeError,
        "1D target tensor expects 2D input tensors",
    ),
    (
        lambda: F.cosine_embedding_loss(ax.randn(3, 4), ax.randn(3, 4), ax.ones(3, 1)),
        RuntimeError,
        "multi-target not supported",
    ),
    (
        lambda: F.cosine_embedding_loss(ax.randn(3, 4), ax.randn(2, 4), ax.ones(3)),
        RuntimeError,
        "must match the size",
    ),
    (
        lambda: F.cosine_similarity(ax.randn(3, 4), ax.randn(3), dim=1),
        RuntimeError,
        "must match the size",
    ),
    (lambda: F.normalize(ax.randn(3, 4), dim=2), IndexError, "out of range"),
]


@pytest.mark.parametrize(("fn", "exc", "match"), ERRORS, ids=[str(i) for i in range(len(ERRORS))])
def test_errors(fn: Callable[[], Any], exc: type[Exception], match: str) -> None:
    with pytest.raises(exc, match=match):
        fn()


# ---- modules ---------------------------------------------------------------------------------

MODULES = [
    ("MSELoss", {}, "reg"),
    ("L1Loss", {"reduction": "sum"}, "reg"),
    ("HuberLoss", {"delta": 0.5}, "reg"),
    ("SmoothL1Loss", {"beta": 0.3, "reduction": "none"}, "reg"),
    ("CrossEntropyLoss", {"weight": W5, "ignore_index": 1, "label_smoothing": 0.1}, "cls"),
    ("NLLLoss", {"weight": W5}, "cls"),
    ("BCELoss", {"weight": W5}, "prob"),
    ("BCEWithLogitsLoss", {"pos_weight": W5, "weight": W5}, "logit"),
    ("KLDivLoss", {"reduction": "batchmean", "log_target": True}, "reg"),
    ("MultiMarginLoss", {"p": 2, "margin": 0.5, "weight": W5}, "cls"),
    ("CosineEmbeddingLoss", {"margin": 0.1}, "emb"),
]


def _module_inputs(kind: str, r: np.random.Generator) -> list[np.ndarray]:
    x = r.standard_normal((4, 5))
    if kind == "cls":
        return [x, np.array([0, 1, 4, 2])]
    if kind == "prob":
        return [r.uniform(0.05, 0.95, (4, 5)), r.uniform(0, 1, (4, 5))]
    if kind == "logit":
        return [x, r.uniform(0, 1, (4, 5))]
    if kind == "emb":
        return [x, r.standard_normal((4, 5)), np.array([1, -1, -1, 1])]
    return [x, r.standard_normal((4, 5))]


@pytest.mark.parametrize(("name", "kw", "kind"), MODULES, ids=[m[0] for m in MODULES])
def test_module_parity(torch: Any, name: str, kw: dict[str, Any], kind: str) -> None:
    ma = getattr(nn, name)(
        **{k: ax.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kw.items()}
    )
    mt = getattr(torch.nn, name)(
        **{k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kw.items()}
    )
    assert repr(ma) == repr(mt)
    assert list(ma.state_dict()) == list(mt.state_dict())
    assert [n for n, _ in ma.named_buffers()] == [n for n, _ in mt.named_buffers()]
    assert list(ma.parameters()) == []
    la, lt, ga, gt = _pair_run(torch, ma, mt, *_module_inputs(kind, np.random.default_rng(1)))
    np.testing.assert_allclose(la, lt, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ga[0], gt[0], rtol=1e-9, atol=1e-12)


def test_module_buffers_follow_dtype_and_load() -> None:
    m = nn.CrossEntropyLoss(weight=ax.ones(3))
    assert m.weight.dtype == ax.float32
    m.double()
    assert m.weight.dtype == ax.float64
    m.load_state_dict({"weight": ax.tensor([1.0, 2.0, 3.0], dtype=ax.float64)})
    x = ax.randn(2, 3, dtype=ax.float64)
    want = F.cross_entropy(x, ax.tensor([2, 0]), weight=ax.tensor([1.0, 2.0, 3.0]).double())
    assert m(x, ax.tensor([2, 0])).item() == want.item()
    assert nn.MSELoss().state_dict() == {}
    assert "pos_weight" in nn.BCEWithLogitsLoss(pos_weight=ax.ones(2)).state_dict()
    assert "pos_weight" not in nn.BCEWithLogitsLoss().state_dict()
    with pytest.raises(ValueError, match="only p == 1 and p == 2"):
        nn.MultiMarginLoss(p=3)
