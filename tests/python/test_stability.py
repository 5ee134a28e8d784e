"""Numerical-stability traps (issue 7, item 4): fixed float32 inputs on which a naive formula
overflows, underflows, cancels or drifts. Each result is checked against a float64 reference
(closed form or NumPy on the same float32 inputs): finite and within 1e-5 relative, or within an
absolute floor stated with its reason where the reference sits below what float32 can resolve.
Where PyTorch is installed the same inputs go through torch and the two must agree; without it
those comparisons are skipped. The last test prints the Reliability line."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest

import axonite as ax
import axonite.nn.functional as F
from axonite.nn.utils import clip_grad_norm_, clip_grad_value_

try:  # optional reference; every torch comparison is skipped without it
    import torch as _torch
    import torch.nn.functional as _TF
except ImportError:  # pragma: no cover - depends on the environment
    _torch = None
    _TF = None

RTOL = 1e-5
SEED = 0
# Below float32's smallest normal number a value keeps no relative precision (and e^-1000 is 0
# even in float64): references that small are checked against this absolute floor instead.
TINY = float(np.finfo(np.float32).tiny)
# Half an ulp of 1.0: the error of any float32 number in [0.5, 1]. Gradients computed from a
# float32 probability p near 1 (softmax p - 1, sigmoid y (1 - y)) cannot be more accurate than
# this, in axonite or in torch, whatever the formula before the rounding of p.
HALF_ULP1 = float(np.finfo(np.float32).eps) / 2

# trap name -> worst relative error seen against the float64 reference (over references above
# the trap's absolute floor), and the number of values checked; read by the summary test.
_WORST: dict[str, float] = {}
_CHECKED: dict[str, int] = {}
_FLOORED: dict[str, int] = {}  # values checked against an absolute floor (or an exact 0/inf)
TRAPS: dict[str, Callable[[str], None]] = {}
_DONE: set[str] = set()  # traps that ran to the end in this session


def trap(fn: Callable[[str], None]) -> Callable[[str], None]:
    """Registers a trap; its name (the function name without ``trap_``) labels its records."""
    TRAPS[fn.__name__.removeprefix("trap_")] = fn
    return fn


# ----------------------------------------------------------------------------------------------
# helpers


def _f64(t) -> np.ndarray:
    """A tensor (axonite or torch) or array as a float64 NumPy array."""
    if hasattr(t, "detach"):
        t = t.detach().numpy()
    return np.asarray(t, dtype=np.float64)


def _check(name: str, what: str, got, ref, atol: float = 0.0) -> None:
    """``got`` (float32) is finite and within RTOL of the float64 ``ref`` (or within ``atol``).

    Positions where the reference itself is non-finite (log-sum-exp of a -inf row, the slope of
    sqrt at 0) must hold the same IEEE value exactly; everywhere else ``got`` must be finite.
    """
    got, ref = _f64(got), _f64(ref)
    assert got.shape == ref.shape, f"{name} {what}: shape {got.shape} != reference {ref.shape}"
    special_ = ~np.isfinite(ref)
    same = np.isnan(got[special_]) == np.isnan(ref[special_])
    assert np.all(same & ((got[special_] == ref[special_]) | np.isnan(ref[special_]))), (
        f"{name} {what}: non-finite reference {ref[special_]} but got {got[special_]}"
    )
    g, r = got[~special_], ref[~special_]
    assert np.all(np.isfinite(g)), f"{name} {what}: non-finite result {got} (reference {ref})"
    err = np.abs(g - r)
    bad = err > atol + RTOL * np.abs(r)
    assert not bad.any(), (
        f"{name} {what}: got {g[bad]} reference {r[bad]} (rtol {RTOL}, atol {atol})"
    )
    # The relative figure is reported where the relative term dominates the tolerance.
    rel_ok = (np.abs(r) >= atol / RTOL) & (r != 0)
    rel = float(np.max(err[rel_ok] / np.abs(r[rel_ok]))) if rel_ok.any() else 0.0
    _WORST[name] = max(_WORST.get(name, 0.0), rel)
    _CHECKED[name] = _CHECKED.get(name, 0) + got.size
    _FLOORED[name] = _FLOORED.get(name, 0) + int(r.size - rel_ok.sum())


def _vs_torch(name: str, what: str, got, want, atol: float = 0.0) -> None:
    """axonite and torch agree on the same float32 inputs (same NaN/inf positions)."""
    np.testing.assert_allclose(
        _f64(got), _f64(want), rtol=RTOL, atol=atol, equal_nan=True, err_msg=f"{name} {what}"
    )


def _pair(x: np.ndarray):
    """The same float32 values as an axonite leaf and (when installed) a torch leaf."""
    x = np.asarray(x, dtype=np.float32)
    a = ax.tensor(x.copy(), requires_grad=True)
    t = None if _torch is None else _torch.tensor(x.copy(), requires_grad=True)
    return a, t


def _unary(name, ax_fn, torch_fn, x, ref_y, ref_dy, atol_y=0.0, atol_dy=0.0, atol_torch=None):
    """Forward and slope (upstream gradient 1) of an elementwise op against float64 closed forms
    and against torch (within ``atol_torch`` where torch's own formula is the less accurate)."""
    a, t = _pair(x)
    y = ax_fn(a)
    y.sum().backward()
    _check(name, "forward", y, ref_y, atol_y)
    _check(name, "gradient", a.grad, ref_dy, atol_dy)
    if t is not None:
        yt = torch_fn(t)
        yt.sum().backward()
        _vs_torch(name, "forward vs torch", y, yt, max(atol_y, atol_torch or 0.0))
        _vs_torch(name, "gradient vs torch", a.grad, t.grad, max(atol_dy, atol_torch or 0.0))


def _expit(x) -> np.ndarray:
    """Float64 sigmoid, exact in both tails: exp(-|x|) never overflows."""
    x = np.asarray(x, dtype=np.float64)
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def _ndtr(x: np.ndarray) -> np.ndarray:
    """Float64 normal CDF as erfc(-x / sqrt 2) / 2: accurate in the left tail, where
    (1 + erf) / 2 cancels."""
    return 0.5 * np.vectorize(math.erfc)(-x / math.sqrt(2))


def _softmax64(x: np.ndarray, dim: int) -> np.ndarray:
    e = np.exp(x - x.max(axis=dim, keepdims=True))
    return e / e.sum(axis=dim, keepdims=True)


# ----------------------------------------------------------------------------------------------
# softmax, log_softmax, cross_entropy: logits at +-1e4 and +-1e8

# Rows mix huge positive and negative logits with gaps of a few units (representable: the float32
# ulp at 1e8 is 8), so the answers are neither all-0 nor all-1; a naive exp overflows to inf/inf.
LOGITS = np.array(
    [
        [1e4, 1e4 - 1, 1e4 - 3, -1e4],
        [-1e4, -1e4 - 1, -1e4 - 2, -1e4 - 0.5],
        [1e8, 1e8 - 8, -1e8, 0.0],
        [-1e8, -1e8 + 8, -1e8 + 16, -1e8],
        [1e8, -1e8, 1e4, -1e4],
    ],
    dtype=np.float32,
)
# log(sum exp(x - max)) rounds the sum (in [1, C]) to float32 before its log, so a log-probability
# carries an absolute error of up to C half-ulps of 1 in axonite and torch alike (-3.4e-4 at the
# 1e8 row's max is right to ~3e-5 relative, not 1e-5).
LSE_FLOOR = LOGITS.shape[1] * HALF_ULP1
UPSTREAM = np.arange(LOGITS.size, dtype=np.float32).reshape(LOGITS.shape) / 4 - 2


@trap
def trap_softmax(name: str) -> None:
    x, g = LOGITS.astype(np.float64), UPSTREAM.astype(np.float64)
    p = _softmax64(x, 1)
    ref_dx = p * (g - (p * g).sum(1, keepdims=True))
    a, t = _pair(LOGITS)
    y = F.softmax(a, dim=1)
    (y * ax.tensor(UPSTREAM)).sum().backward()
    # e^-2e4 is 0 even in float64: those probabilities are checked against float32's TINY.
    _check(name, "forward", y, p, TINY)
    # dx = p (g - <p, g>): with p ~ 1 - 3e-4 the bracket cancels to ~1e-3 and inherits the
    # rounding of p (HALF_ULP1) times |g| (<= 3), in any float32 implementation.
    _check(name, "gradient", a.grad, ref_dx, 3 * HALF_ULP1 * np.abs(g).max())
    if t is not None:
        yt = _TF.softmax(t, dim=1)
        (yt * _torch.tensor(UPSTREAM)).sum().backward()
        _vs_torch(name, "forward vs torch", y, yt, TINY)
        _vs_torch(name, "gradient vs torch", a.grad, t.grad, 3 * HALF_ULP1 * np.abs(g).max())


@trap
def trap_log_softmax(name: str) -> None:
    x, g = LOGITS.astype(np.float64), UPSTREAM.astype(np.float64)
    xs = x - x.max(1, keepdims=True)
    ref = xs - np.log(np.exp(xs).sum(1, keepdims=True))
    ref_dx = g - _softmax64(x, 1) * g.sum(1, keepdims=True)
    a, t = _pair(LOGITS)
    y = F.log_softmax(a, dim=1)
    (y * ax.tensor(UPSTREAM)).sum().backward()
    _check(name, "forward", y, ref, LSE_FLOOR)  # x - lse would give 0 at the 1e8 row's max
    _check(name, "gradient", a.grad, ref_dx, HALF_ULP1 * np.abs(g.sum(1)).max())
    if t is not None:
        yt = _TF.log_softmax(t, dim=1)
        (yt * _torch.tensor(UPSTREAM)).sum().backward()
        _vs_torch(name, "forward vs torch", y, yt, LSE_FLOOR)
        _vs_torch(name, "gradient vs torch", a.grad, t.grad, HALF_ULP1 * np.abs(g.sum(1)).max())


def _cross_entropy_case(name: str, reduction: str) -> None:
    target = np.array([0, 3, 0, 2, 1])  # the max logit, the min, a near-tie, a -1e8 class
    x = LOGITS.astype(np.float64)
    logp = x - x.max(1, keepdims=True)
    logp -= np.log(np.exp(logp).sum(1, keepdims=True))
    rows = np.arange(len(target))
    ref = -logp[rows, target]
    ref_dx = _softmax64(x, 1)
    ref_dx[rows, target] -= 1
    if reduction == "mean":
        ref, ref_dx = ref.mean(), ref_dx / len(target)
    elif reduction == "sum":
        ref = ref.sum()
    # softmax - onehot at the target holds p - 1 with p rounded near 1 (see HALF_ULP1).
    scale = 1.0 / len(target) if reduction == "mean" else 1.0
    a, t = _pair(LOGITS)
    loss = F.cross_entropy(a, ax.tensor(target), reduction=reduction)
    loss.sum().backward()
    _check(name, f"{reduction} forward", loss, ref, LSE_FLOOR)
    _check(name, f"{reduction} gradient", a.grad, ref_dx, 2 * HALF_ULP1 * scale)
    if t is not None:
        lt = _TF.cross_entropy(t, _torch.tensor(target), reduction=reduction)
        lt.sum().backward()
        _vs_torch(name, f"{reduction} forward vs torch", loss, lt, LSE_FLOOR)
        _vs_torch(name, f"{reduction} gradient vs torch", a.grad, t.grad, 2 * HALF_ULP1 * scale)


@trap
def trap_cross_entropy(name: str) -> None:
    for reduction in ("none", "mean", "sum"):
        _cross_entropy_case(name, reduction)


# ----------------------------------------------------------------------------------------------
# sigmoid and binary cross-entropy at +-1000, BCE with logits at +-200

SIG_X = np.array([-1000, -100, -88, -80, -20, -5, -1, 0, 1, 5, 20, 80, 88, 100, 1000], np.float32)


@trap
def trap_sigmoid(name: str) -> None:
    x = SIG_X.astype(np.float64)
    y = _expit(x)
    # Forward: sigmoid(-100) = 3.7e-44 is a float32 denormal (TINY floor). Slope y (1 - y): for
    # x >= 20 the float32 output y rounds to 1 and 1 - y keeps only HALF_ULP1 of precision.
    _unary(
        name,
        ax.sigmoid,
        _torch and _torch.sigmoid,
        SIG_X,
        y,
        y * _expit(-x),
        TINY,
        HALF_ULP1,
    )


def _bce64(p: np.ndarray, t: np.ndarray) -> np.ndarray:
    """PyTorch's documented BCELoss: each log clamped to >= -100, so p = 0 or 1 gives 100."""
    with np.errstate(divide="ignore"):
        return -(t * np.maximum(np.log(p), -100) + (1 - t) * np.maximum(np.log1p(-p), -100))


def _bce_dp64(p: np.ndarray, t: np.ndarray) -> np.ndarray:
    """PyTorch's BCELoss backward: (p - t) / max(p (1 - p), 1e-12), finite at p = 0 or 1."""
    return (p - t) / np.maximum(p * (1 - p), 1e-12)


@trap
def trap_binary_cross_entropy(name: str) -> None:
    x = np.array([-1000, -1000, 1000, 1000, -5, 0, 5, 1000, -1000], np.float32)
    target = np.array([0, 1, 0, 1, 1, 0.25, 0, 0.5, 0.75], np.float32)
    a, t = _pair(x)
    p = ax.sigmoid(a)  # saturates to exactly 0 and 1 at +-1000
    loss = F.binary_cross_entropy(p, ax.tensor(target), reduction="none")
    loss.sum().backward()
    # The reference is taken on axonite's own float32 probabilities (sigmoid has its own trap).
    p64, t64 = _f64(p), target.astype(np.float64)
    _check(name, "loss on saturated sigmoid", loss, _bce64(p64, t64))
    # d/dx = dL/dp * y (1 - y): exactly 0 where y saturated, p - t in between.
    _check(name, "gradient through sigmoid", a.grad, _bce_dp64(p64, t64) * p64 * (1 - p64))
    # Probabilities given directly (leaf p): the clamped gradient at 0 and 1 is +-1e12 (finite).
    pa, pt = _pair(p64)
    direct = F.binary_cross_entropy(pa, ax.tensor(target), reduction="sum")
    direct.backward()
    _check(name, "gradient at p in {0, 1}", pa.grad, _bce_dp64(p64, t64))
    if t is not None:
        lt = _TF.binary_cross_entropy(_torch.sigmoid(t), _torch.tensor(target), reduction="none")
        lt.sum().backward()
        _vs_torch(name, "loss vs torch", loss, lt)
        _vs_torch(name, "gradient vs torch", a.grad, t.grad)
        _TF.binary_cross_entropy(pt, _torch.tensor(target), reduction="sum").backward()
        _vs_torch(name, "direct gradient vs torch", pa.grad, pt.grad)


@trap
def trap_bce_with_logits(name: str) -> None:
    x = np.array([[-200, 200, -200, 200, 0.5], [200, -200, 30, -30, -200]], np.float32)
    # +-30 with the right target: losses and slopes of 9.4e-14 that a cancelling form rounds to 0
    target = np.array([[1, 0, 0, 1, 0.3], [0.5, 0.5, 1, 0, 0.2]], np.float32)
    x64, t64 = x.astype(np.float64), target.astype(np.float64)
    for pos_weight in (None, np.array([1.0, 3.0, 0.5, 2.0, 10.0], np.float32)):
        pw = 1.0 if pos_weight is None else pos_weight.astype(np.float64)
        # Sums of non-negative terms in float64: the reference itself must not cancel.
        ref = (1 - t64) * np.logaddexp(0, x64) + pw * t64 * np.logaddexp(0, -x64)
        ref_dx = (1 - t64) * _expit(x64) - pw * t64 * _expit(-x64)
        what = "plain" if pos_weight is None else "pos_weight"
        a, t = _pair(x)
        pwa = None if pos_weight is None else ax.tensor(pos_weight)
        loss = F.binary_cross_entropy_with_logits(
            a, ax.tensor(target), reduction="none", pos_weight=pwa
        )
        loss.sum().backward()
        # log1p(e^-200) = 1.4e-87 underflows float32: TINY floor for the loss and the slope.
        _check(name, f"{what} loss", loss, ref, TINY)
        _check(name, f"{what} gradient", a.grad, ref_dx, TINY)
        if t is not None:
            pwt = None if pos_weight is None else _torch.tensor(pos_weight)
            lt = _TF.binary_cross_entropy_with_logits(
                t, _torch.tensor(target), reduction="none", pos_weight=pwt
            )
            lt.sum().backward()
            # torch's (1 - t) x + w softplus(-x) and w sigmoid(x) - pw t cancel: a confident
            # right answer (x = -30, t = 0) gives 0 there for 9.4e-14, so agreement is to an
            # ulp of the cancelled terms (|x| <= 200, pw <= 10).
            _vs_torch(name, f"{what} loss vs torch", loss, lt, 2 * HALF_ULP1 * 200)
            _vs_torch(name, f"{what} gradient vs torch", a.grad, t.grad, 2 * HALF_ULP1 * 10)


# ----------------------------------------------------------------------------------------------
# variance, std and batch norm on data with mean 1e3 and std 1e-2: E[x^2] - E[x]^2 in float32
# would return noise (1e6 has a float32 ulp of 0.06, the variance is 1e-4).


def _offset_data(shape: tuple[int, ...], mean: float = 1e3, std: float = 1e-2) -> np.ndarray:
    return (mean + std * np.random.default_rng(SEED).standard_normal(shape)).astype(np.float32)


@trap
def trap_var_std(name: str) -> None:
    x = _offset_data((4, 2500))
    x[1] -= 2e3  # a row at mean -1e3
    x64 = x.astype(np.float64)
    a = ax.tensor(x)
    for ddof in (0, 1):
        _check(name, f"var all ddof={ddof}", a.var(correction=ddof), x64.var(ddof=ddof))
        _check(name, f"std all ddof={ddof}", a.std(correction=ddof), x64.std(ddof=ddof))
        _check(
            name,
            f"var dim=1 ddof={ddof}",
            a.var(dim=1, correction=ddof),
            x64.var(axis=1, ddof=ddof),
        )
        _check(
            name,
            f"std dim=1 ddof={ddof}",
            a.std(dim=1, correction=ddof),
            x64.std(axis=1, ddof=ddof),
        )
    v, m = ax.var_mean(a, dim=1)
    _check(name, "var_mean variance", v, x64.var(axis=1, ddof=1))
    _check(name, "var_mean mean", m, x64.mean(axis=1))
    # A strided reduction (over dim 0 of the transpose) takes another kernel path.
    xt = ax.tensor(np.ascontiguousarray(x[[0, 2, 3]].T))
    _check(name, "var dim=0", xt.var(dim=0), x64[[0, 2, 3]].var(axis=1, ddof=1))
    if _torch is not None:
        _vs_torch(name, "var dim=1 vs torch", a.var(dim=1), _torch.tensor(x).var(dim=1))


def _batch_norm_case(name: str, module: type, shape: tuple[int, ...]) -> None:
    """Two training steps (default momentum) then one with momentum 1 (running stats = batch
    stats), checking outputs, running stats and input/weight/bias gradients each time."""
    c = shape[1]
    axes = tuple(i for i in range(len(shape)) if i != 1)
    bshape = [1] * len(shape)
    bshape[1] = c
    bn = module(c)
    rm, rv = np.zeros(c), np.ones(c)
    what = f"{module.__name__}{shape}"
    for step, momentum in enumerate((0.1, 0.1, 1.0)):
        bn.momentum = momentum
        x = _offset_data(shape) + np.float32(step)
        x[:, 1] -= 2e3  # a channel at mean -1e3
        g = np.random.default_rng(step).standard_normal(shape).astype(np.float32)
        x64, g64 = x.astype(np.float64), g.astype(np.float64)
        n = x.size // c
        mean, var = x64.mean(axes), x64.var(axes)
        sigma = np.sqrt(var + bn.eps).reshape(bshape)
        xhat = (x64 - mean.reshape(bshape)) / sigma
        rm = (1 - momentum) * rm + momentum * mean
        rv = (1 - momentum) * rv + momentum * var * n / (n - 1)
        gm = g64.mean(axes, keepdims=True)
        ref_dx = (g64 - gm - xhat * (g64 * xhat).mean(axes, keepdims=True)) / sigma
        a = ax.tensor(x, requires_grad=True)
        bn.zero_grad()
        y = bn(a)
        (y * ax.tensor(g)).sum().backward()
        _check(name, f"{what} step {step} output", y, xhat)
        _check(name, f"{what} step {step} running_mean", bn.running_mean, rm)
        _check(name, f"{what} step {step} running_var", bn.running_var, rv)
        # dx entries are differences of terms of size |g| / sigma (~300): an entry that cancels
        # to ~0 keeps only those terms' float32 precision.
        floor = 4 * HALF_ULP1 * np.abs(g64).max() / sigma.min()
        _check(name, f"{what} step {step} input gradient", a.grad, ref_dx, floor)
        _check(
            name,
            f"{what} step {step} weight gradient",
            bn.weight.grad,
            (g64 * xhat).sum(axes),
            4 * HALF_ULP1 * np.abs(g64).sum(axes).max(),
        )
        _check(name, f"{what} step {step} bias gradient", bn.bias.grad, g64.sum(axes))


@trap
def trap_batch_norm(name: str) -> None:
    # torch's float32 batch norm is ~1e-2 off on this data (its centring loses the 1e-2 spread
    # against the 1e3 mean), so there is no torch comparison here: the reference is float64.
    _batch_norm_case(name, ax.nn.BatchNorm1d, (256, 3))
    _batch_norm_case(name, ax.nn.BatchNorm1d, (16, 3, 20))
    _batch_norm_case(name, ax.nn.BatchNorm2d, (8, 3, 10, 12))


# ----------------------------------------------------------------------------------------------
# sum and mean of 10^7 float32 elements: a float32 running sum drifts (0.1 added to 1e6 moves
# it by an ulp of 0.0625) far beyond 1e-5


@trap
def trap_sum_mean_1e7(name: str) -> None:
    n = 10**7
    rng = np.random.default_rng(SEED)
    for what, x in (
        ("all 0.1", np.full(n, 0.1, np.float32)),
        ("uniform", rng.random(n, np.float32)),
    ):
        x64 = x.astype(np.float64)
        a = ax.from_numpy(x)
        _check(name, f"{what} sum", a.sum(), x64.sum())
        _check(name, f"{what} mean", a.mean(), x64.mean())
        # Long rows and the strided column reduction (10 outputs, 10^6 rows each) take the
        # inner and the outer kernel paths.
        _check(
            name, f"{what} sum over rows", a.view(10, n // 10).sum(1), x64.reshape(10, -1).sum(1)
        )
        _check(
            name, f"{what} sum over columns", a.view(n // 10, 10).sum(0), x64.reshape(-1, 10).sum(0)
        )
        _check(
            name,
            f"{what} mean over columns",
            a.view(n // 10, 10).mean(0),
            x64.reshape(-1, 10).mean(0),
        )


# ----------------------------------------------------------------------------------------------
# log under a where mask. PyTorch documents (torch.where notes, autograd FAQ) that the unused
# branch still gets a gradient: where(x > 0, log(x), 0) sends 0 * (1/0) = nan to x = 0 (and 0 to
# x < 0, where 1/x is finite). The safe "double where" masks the input instead:
# log(where(x > 0, x, 1)) has a finite gradient everywhere. axonite must match both exactly.

WHERE_X = np.array([0.0, -1.0, -0.0, 2.0, 1e-30, 0.5, -3.0], np.float32)


@trap
def trap_where_log(name: str) -> None:
    x64 = WHERE_X.astype(np.float64)
    pos = x64 > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        ref_y = np.where(pos, np.log(np.where(pos, x64, 1)), 0)
        naive_dx = np.where(pos, 1 / x64, 0 * (1 / x64))  # 0 * inf = nan at +-0
    safe_dx = np.where(pos, 1 / np.where(pos, x64, 1), 0)
    a, t = _pair(WHERE_X)
    naive = ax.where(a > 0, ax.log(a), 0)
    naive.sum().backward()
    _check(name, "naive forward", naive, ref_y)
    _check(name, "naive gradient (nan at 0, as documented)", a.grad, naive_dx)
    b, tb = _pair(WHERE_X)
    safe = ax.log(ax.where(b > 0, b, 1))
    safe.sum().backward()
    _check(name, "double-where forward", safe, ref_y)
    _check(name, "double-where gradient", b.grad, safe_dx)
    if t is not None:
        tn = _torch.where(t > 0, _torch.log(t), 0)
        tn.sum().backward()
        ts = _torch.log(_torch.where(tb > 0, tb, 1))
        ts.sum().backward()
        for what, got, want in (
            ("naive forward", naive, tn),
            ("naive gradient", a.grad, t.grad),
            ("double-where forward", safe, ts),
            ("double-where gradient", b.grad, tb.grad),
        ):
            np.testing.assert_array_equal(_f64(got), _f64(want), err_msg=f"{name} {what}")


# ----------------------------------------------------------------------------------------------
# norms at zero: d||x||/dx = x / ||x|| is 0/0 at x = 0; PyTorch defines it as 0 (subgradient)


@trap
def trap_norm_at_zero(name: str) -> None:
    x = np.zeros((2, 3), np.float32)
    x[1] = [3.0, -4.0, 0.0]  # a non-zero row beside the zero row
    x64 = x.astype(np.float64)
    for p in (2, 1, math.inf, 3):
        nrm = np.linalg.norm(x64, ord=p, axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            if p == math.inf:
                ref_dx = np.sign(x64) * (np.abs(x64) == nrm[:, None])
            else:
                ref_dx = np.sign(x64) * np.abs(x64) ** (p - 1) / nrm[:, None] ** (p - 1)
        ref_dx = np.nan_to_num(ref_dx, nan=0.0)  # the documented 0 at a zero row
        a, t = _pair(x)
        y = ax.norm(a, p=p, dim=1)
        y.sum().backward()
        _check(name, f"p={p} forward", y, nrm)
        _check(name, f"p={p} gradient", a.grad, ref_dx)
        whole, tw = _pair(np.zeros(5, np.float32))
        ax.norm(whole, p=p).backward()
        _check(name, f"p={p} all-zero gradient", whole.grad, np.zeros(5))
        if t is not None:
            yt = _torch.linalg.vector_norm(t, ord=p, dim=1)
            yt.sum().backward()
            _vs_torch(name, f"p={p} gradient vs torch", a.grad, t.grad)
            _torch.linalg.vector_norm(tw, ord=p).backward()
            _vs_torch(name, f"p={p} all-zero gradient vs torch", whole.grad, tw.grad)
    # F.normalize divides by max(||x||, eps): at a zero row the slope is 1 / eps = 1e12, finite.
    a, t = _pair(x)
    g = np.arange(6, dtype=np.float32).reshape(2, 3) - 2
    y = F.normalize(a, dim=1)
    (y * ax.tensor(g)).sum().backward()
    nrm = np.linalg.norm(x64, axis=1, keepdims=True)
    ref_y = x64 / np.maximum(nrm, 1e-12)
    g64 = g.astype(np.float64)
    ref_dx = np.where(
        nrm > 1e-12,
        (g64 - ref_y * (g64 * ref_y).sum(1, keepdims=True)) / np.maximum(nrm, 1e-12),
        g64 / 1e-12,
    )
    _check(name, "normalize forward", y, ref_y)
    # the non-zero row's slope (g - y <g, y>) / 5 cancels to ~1e-8 in places: float32 of |g|/5
    _check(name, "normalize gradient", a.grad, ref_dx, 4 * HALF_ULP1 * np.abs(g64).max() / 5)
    if t is not None:
        yt = _TF.normalize(t, dim=1)
        (yt * _torch.tensor(g)).sum().backward()
        _vs_torch(name, "normalize gradient vs torch", a.grad, t.grad, 4 * HALF_ULP1)
    # clip_grad_norm_ of all-zero gradients: norm 0, clip factor 1 / (0 + 1e-6) clamped to 1.
    params = [ax.zeros(4, requires_grad=True), ax.zeros((2, 2), requires_grad=True)]
    for p_ in params:
        p_.grad = ax.zeros(p_.shape)
    total = clip_grad_norm_(params, max_norm=1.0)
    _check(name, "clip_grad_norm_ of zero gradients", total, 0.0)
    for p_ in params:
        _check(name, "clipped zero gradient", p_.grad, np.zeros(p_.shape))


# ----------------------------------------------------------------------------------------------
# optimizers with all-zero gradients: m / (sqrt(v) + eps) is 0 / eps, not 0 / 0

ZERO_GRAD_OPTIMIZERS = [
    ("Adam", {}),
    ("Adam", {"amsgrad": True}),
    ("AdamW", {"weight_decay": 0.0}),
    ("RMSprop", {}),
    ("RMSprop", {"centered": True, "momentum": 0.9}),
    ("Adagrad", {}),
]


@trap
def trap_optimizer_zero_grad(name: str) -> None:
    start = np.linspace(-2, 2, 12, dtype=np.float32).reshape(3, 4)
    for cls, kwargs in ZERO_GRAD_OPTIMIZERS:
        p = ax.nn.Parameter(ax.tensor(start.copy()))
        opt = getattr(ax.optim, cls)([p], lr=0.1, **kwargs)
        for _ in range(5):
            p.grad = ax.zeros(start.shape)
            opt.step()
        got = p.detach().numpy()
        assert np.all(np.isfinite(got)), f"{name} {cls}{kwargs}: {got}"
        np.testing.assert_array_equal(got, start, err_msg=f"{name} {cls}{kwargs} moved")
        _check(name, f"{cls}{kwargs}", got, start)
    # AdamW's decoupled decay still shrinks the weights by (1 - lr wd) per step, and nothing more.
    p = ax.nn.Parameter(ax.tensor(start.copy()))
    opt = ax.optim.AdamW([p], lr=0.1, weight_decay=0.01)
    for _ in range(5):
        p.grad = ax.zeros(start.shape)
        opt.step()
    _check(name, "AdamW decay only", p, start.astype(np.float64) * (1 - 0.1 * 0.01) ** 5)


# ----------------------------------------------------------------------------------------------
# clipping with an infinite gradient (PyTorch semantics)


def _params_with(grads: list[np.ndarray]) -> list:
    params = []
    for g in grads:
        p = ax.zeros(g.shape, requires_grad=True)
        p.grad = ax.tensor(g.copy())
        params.append(p)
    return params


@trap
def trap_clip_inf(name: str) -> None:
    grads = [np.array([1.0, np.inf, -2.0], np.float32), np.array([[3.0, -np.inf]], np.float32)]
    # Default: the total norm is inf and every gradient is multiplied by max_norm / (inf + 1e-6)
    # = 0, so finite entries become 0 and infinite ones nan (0 * inf), exactly as torch.
    params = _params_with(grads)
    total = clip_grad_norm_(params, max_norm=1.0)
    assert math.isinf(total.item()) and total.item() > 0, f"{name}: total norm {total.item()}"
    with np.errstate(invalid="ignore"):
        scaled = [g.astype(np.float64) * 0.0 for g in grads]
    for p, want in zip(params, scaled, strict=True):
        np.testing.assert_array_equal(_f64(p.grad), want, err_msg=f"{name} default scaling")
    # error_if_nonfinite=True raises and leaves the gradients untouched.
    params = _params_with(grads)
    with pytest.raises(RuntimeError, match="non-finite"):
        clip_grad_norm_(params, max_norm=1.0, error_if_nonfinite=True)
    for p, g in zip(params, grads, strict=True):
        np.testing.assert_array_equal(p.grad.numpy(), g, err_msg=f"{name} untouched on error")
    # clip_grad_value_ clamps +-inf to +-clip_value: finite.
    params = _params_with(grads)
    clip_grad_value_(params, clip_value=0.5)
    for p, g in zip(params, grads, strict=True):
        _check(name, "clip_grad_value_", p.grad, np.clip(g.astype(np.float64), -0.5, 0.5))
    if _torch is not None:
        tp = []
        for g in grads:
            t = _torch.zeros(g.shape, requires_grad=True)
            t.grad = _torch.tensor(g.copy())
            tp.append(t)
        want = _torch.nn.utils.clip_grad_norm_(tp, max_norm=1.0)
        assert math.isinf(want.item())
        for p, t in zip(_params_with(grads), tp, strict=True):
            clip_grad_norm_([p], max_norm=1.0)
            np.testing.assert_array_equal(_f64(p.grad), _f64(t.grad), err_msg=f"{name} vs torch")


# ----------------------------------------------------------------------------------------------
# logsumexp at +-1e38 (x - max and the sum must not overflow) and with infinite rows


@trap
def trap_logsumexp(name: str) -> None:
    x = np.array(
        [
            [1e38, 1e38, 3e38],
            [-1e38, -1e38, -3e38],
            [3e38, -3e38, 0.0],  # x - max = -6e38 overflows to -inf: exp gives 0, fine
            [-np.inf, -np.inf, -np.inf],  # torch: -inf, not nan from -inf - (-inf)
            [-np.inf, 0.0, 1.0],
            [np.inf, 0.0, -np.inf],
            [1e4, -1e4, 1e4 - 2],
        ],
        np.float32,
    )
    x64 = x.astype(np.float64)
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        m = x64.max(1, keepdims=True)
        finite_m = np.where(np.isfinite(m), m, 0)
        ref = (np.log(np.exp(x64 - finite_m).sum(1, keepdims=True)) + finite_m)[:, 0]
        # The slope is the softmax, taken from x - max: exp(x - lse) would be off by an ulp of
        # lse (in float64 too: -1e38 + log 2 rounds to -1e38, giving weights 1, 1 for 0.5, 0.5).
        ref_dx = np.exp(x64 - finite_m) / np.exp(x64 - finite_m).sum(1, keepdims=True)
    ref[3], ref[5] = -np.inf, np.inf
    ref_dx[3] = np.nan  # exp(-inf - (-inf)), as torch
    ref_dx[5] = [np.nan, 0.0, 0.0]  # exp(inf - inf) = nan, exp(finite - inf) = 0, as torch
    a, t = _pair(x)
    y = ax.logsumexp(a, 1)
    y.sum().backward()
    _check(name, "forward", y, ref)
    # float32 exp(x - lse) of 1e38 - 3e38 underflows: TINY floor
    _check(name, "gradient", a.grad, ref_dx, TINY)
    if t is not None:
        yt = _torch.logsumexp(t, 1)
        yt.sum().backward()
        _vs_torch(name, "forward vs torch", y, yt)
        # torch's slope is exp(x - lse) with the float32 lse: 1, 1 for 0.5, 0.5 on the -1e38
        # row and ~5e-4 off on the 1e4 row. The rows where it is exact must agree.
        exact = [0, 2, 3, 4, 5]
        _vs_torch(name, "gradient vs torch", a.grad[exact], t.grad[exact], TINY)


# ----------------------------------------------------------------------------------------------
# softplus, logsigmoid, ELU, SELU, GELU, Mish at +-1e4 (exp overflows at 88.7) and at the
# switch points in between (-20, -30: log(1 + e^x) in float32 rounds to 0)

ACT_X = np.array([-1e4, -100, -30, -20, -5, -1, -1e-3, 0, 1e-3, 1, 5, 20, 30, 100, 1e4], np.float32)
SELU_ALPHA, SELU_SCALE = 1.6732632423543772, 1.0507009873554805


def _activation_refs(x: np.ndarray) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Float64 closed forms: name -> (value, derivative)."""
    sp = np.logaddexp(0, x)
    phi = np.exp(-x * x / 2) / math.sqrt(2 * math.pi)
    cdf = _ndtr(x)
    em1 = np.expm1(np.minimum(x, 0))
    th = np.tanh(sp)
    return {
        "softplus": (sp, _expit(x)),
        "logsigmoid": (-np.logaddexp(0, -x), _expit(-x)),
        "elu": (np.where(x > 0, x, em1), np.where(x > 0, 1.0, np.exp(np.minimum(x, 0)))),
        "selu": (
            SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * em1),
            SELU_SCALE * np.where(x > 0, 1.0, SELU_ALPHA * np.exp(np.minimum(x, 0))),
        ),
        "gelu": (x * cdf, cdf + x * phi),
        "mish": (x * th, th + x * (1 - th * th) * _expit(x)),
    }


@trap
def trap_activations(name: str) -> None:
    refs = _activation_refs(ACT_X.astype(np.float64))
    for act, (ref_y, ref_dy) in refs.items():
        ax_fn = getattr(F, act)
        torch_fn = None if _TF is None else getattr(_TF, act)
        # torch's GELU is x/2 (1 + erf(x / sqrt 2)), which cancels in the left tail (gelu(-5)
        # = -1.43e-6 comes out -1.19e-6): agreement there is to a few ulps of |x| / 2.
        atol_torch = 8 * HALF_ULP1 if act == "gelu" else None
        # e^-1e4, gelu(-30) = -1.5e-196 and the like lie below float32's range: TINY floor.
        _unary(f"{name}", ax_fn, torch_fn, ACT_X, ref_y, ref_dy, TINY, TINY, atol_torch)


# ----------------------------------------------------------------------------------------------
# log1p / expm1 near 0 (log(1 + x) and exp(x) - 1 lose everything below 6e-8)

NEAR0 = np.array([0, 1e-30, -1e-30, 1e-10, -1e-10, 1e-7, -1e-7, 1e-5, -1e-3, 0.5], np.float32)


@trap
def trap_log1p_expm1(name: str) -> None:
    x = NEAR0.astype(np.float64)
    _unary(name, ax.log1p, _torch and _torch.log1p, NEAR0, np.log1p(x), 1 / (1 + x))
    _unary(name, ax.expm1, _torch and _torch.expm1, NEAR0, np.expm1(x), np.exp(x))


# ----------------------------------------------------------------------------------------------
# sqrt / rsqrt / pow slopes at 0: infinite or zero by PyTorch's rules, never nan from 0 * inf
# (pow with exponent 0 has slope 0, and d/dexponent of 0^e is 0 for e >= 0)

AT0 = np.array([0.0, 4.0, 0.25], np.float32)


@trap
def trap_sqrt_rsqrt_pow(name: str) -> None:
    x = AT0.astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        _unary(name, ax.sqrt, _torch and _torch.sqrt, AT0, np.sqrt(x), 0.5 / np.sqrt(x))
        _unary(name, ax.rsqrt, _torch and _torch.rsqrt, AT0, 1 / np.sqrt(x), -0.5 * x**-1.5)
        for e in (2.0, 3.0, 1.5, 1.0, 0.5, 0.0, -1.0):
            dy = np.zeros_like(x) if e == 0 else e * x ** (e - 1)
            _unary(name, lambda t, e=e: t**e, lambda t, e=e: t**e, AT0, x**e, dy)
        # Tensor exponent with base 0: d/de = y log(base), 0 where base == 0 and e >= 0.
        base = np.zeros(4, np.float32)
        expo = np.array([2.0, 0.5, 0.0, -1.0], np.float32)
        e64 = expo.astype(np.float64)
        y = np.power(np.float64(0.0), e64)
        de = np.where(e64 >= 0, 0.0, y * np.log(np.float64(0.0)))  # inf * -inf at e = -1
    # d/dbase = e 0^(e - 1): 2 * 0, 0.5 * inf, 0 (exponent 0 is special-cased), -1 * inf
    db = np.array([0.0, np.inf, 0.0, -np.inf])
    b, tb = _pair(base)
    ex, te = _pair(expo)
    out = ax.pow(b, ex)
    out.sum().backward()
    _check(name, "pow(0, e) forward", out, y)
    _check(name, "pow(0, e) base gradient", b.grad, db)
    _check(name, "pow(0, e) exponent gradient", ex.grad, de)
    if tb is not None:
        _torch.pow(tb, te).sum().backward()
        _vs_torch(name, "pow(0, e) base gradient vs torch", b.grad, tb.grad)
        _vs_torch(name, "pow(0, e) exponent gradient vs torch", ex.grad, te.grad)


# ----------------------------------------------------------------------------------------------
# float64 finite-difference checks of the formulas rewritten for these traps (the corrected
# two-pass variance keeps its backward; BCE-with-logits and the logsumexp backward are new)


def _f64_leaf(x) -> ax.Tensor:
    return ax.tensor(np.asarray(x, np.float64), requires_grad=True)


def test_bce_with_logits_gradcheck_float64() -> None:
    x = _f64_leaf([[-30.0, 30.0, -2.0, 0.5], [4.0, -0.25, 12.0, -12.0]])
    y = _f64_leaf([[0.0, 1.0, 0.3, 1.0], [0.0, 0.5, 0.9, 0.1]])
    pw = ax.tensor(np.array([2.0, 0.5, 1.0, 3.0]))  # not differentiable, as in torch
    fn = lambda x, y: F.binary_cross_entropy_with_logits(x, y, pos_weight=pw)
    assert ax.autograd.gradcheck(fn, (x, y))
    assert ax.autograd.gradgradcheck(fn, (x, y))
    plain = lambda x, y: F.binary_cross_entropy_with_logits(x, y, reduction="sum")
    assert ax.autograd.gradcheck(plain, (x, y))
    assert ax.autograd.gradgradcheck(plain, (x, y))


def test_bce_with_logits_create_graph_matches_kernel() -> None:
    """The differentiable backward (create_graph) and the kernel's agree at the traps."""
    x = np.array([-30.0, 30.0, -200.0, 200.0, 0.5], np.float32)
    t = np.array([0.0, 1.0, 1.0, 0.0, 0.3], np.float32)
    pw = ax.tensor(np.array([1.0, 2.0, 3.0, 0.5, 4.0], np.float32))
    grads = []
    for create_graph in (False, True):
        a = ax.tensor(x, requires_grad=True)
        loss = F.binary_cross_entropy_with_logits(a, ax.tensor(t), pos_weight=pw, reduction="sum")
        (g,) = ax.autograd.grad(loss, [a], create_graph=create_graph)
        grads.append(g.detach().numpy())
    ref = (1 - t) * _expit(x.astype(np.float64)) - pw.numpy() * t * _expit(-x)
    for g in grads:
        _check("bce_with_logits", "slope", g, ref, TINY)


def test_logsumexp_gradcheck_float64() -> None:
    x = _f64_leaf([[1e4, -1e4, 1e4 - 2.0], [0.5, -1.0, 2.0], [-3.0, -3.0, -300.0]])
    for dim in (0, 1, (0, 1)):
        fn = lambda x, dim=dim: ax.logsumexp(x, dim)
        assert ax.autograd.gradcheck(fn, (x,))
        assert ax.autograd.gradgradcheck(fn, (x,))


# ----------------------------------------------------------------------------------------------
# the tests


@pytest.mark.parametrize("name", list(TRAPS))
def test_trap(name: str) -> None:
    TRAPS[name](name)
    _DONE.add(name)


def test_stability_summary(reliability) -> None:
    """Runs whatever traps this session has not run yet (e.g. under -k) and records one line."""
    for name, fn in TRAPS.items():
        if name not in _DONE:
            fn(name)
            _DONE.add(name)
    worst_name = max(_WORST, key=_WORST.__getitem__)
    worst = _WORST[worst_name]
    # Where |ref| >= floor / RTOL the tolerance is at most 2 RTOL relative.
    assert worst <= 2 * RTOL, f"{worst_name}: {worst}"
    checked, floored = sum(_CHECKED.values()), sum(_FLOORED.values())
    reliability(
        f"numerical stability: {len(TRAPS)} traps, {checked} float32 values vs float64 "
        f"(seed {SEED}, {ax.get_num_threads()} threads): worst relative error {worst:.1e} "
        f"({worst_name}), {floored} tiny/exact values within stated floors; torch parity "
        f"{'checked' if _torch is not None else 'skipped (torch not installed)'}"
    )


def test_var_edge_cases_after_correction() -> None:
    """The corrected two-pass variance keeps PyTorch's edge values: constant data gives exactly
    0, a divisor of 0 gives inf (or nan for 0 / 0), a non-finite input gives nan."""
    const = ax.full((1000,), 1000.1)
    assert const.var().item() == 0.0
    assert math.isinf(ax.tensor([1.0, 2.0]).var(correction=2).item())
    assert math.isnan(ax.tensor([1.0, 2.0, np.inf]).var().item())
    assert math.isnan(ax.tensor([5.0]).var().item())  # 0 / 0
