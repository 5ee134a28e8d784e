"""ax.nn.init: gains, fans and the bounds/stds each initializer draws with, compared exactly with
torch.nn.init (by recording the arguments both pass to uniform_/normal_); the distributions
themselves by Kolmogorov-Smirnov tests (scipy) or moment checks; the deterministic fills (eye_,
dirac_, constants) against PyTorch; orthogonality; in-place/no-grad behaviour; and errors."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

import axonite as ax
from axonite import nn
from axonite.nn import init

SHAPES = [(3, 5), (16, 8), (4, 3, 2), (8, 4, 3, 3), (2, 3, 1, 2, 2)]
N = 200_000  # samples per distribution check


# ---- gains and fans -----------------------------------------------------------------------------

GAIN_CASES = [
    ("linear", None),
    ("conv1d", None),
    ("conv2d", None),
    ("conv3d", None),
    ("conv_transpose1d", None),
    ("conv_transpose2d", None),
    ("conv_transpose3d", None),
    ("sigmoid", None),
    ("tanh", None),
    ("relu", None),
    ("leaky_relu", None),
    ("leaky_relu", 0.2),
    ("leaky_relu", 1),
    ("leaky_relu", math.sqrt(5)),
    ("selu", None),
]


@pytest.mark.parametrize(("nl", "param"), GAIN_CASES)
def test_calculate_gain_values(nl: str, param: Any) -> None:
    want = {
        "tanh": 5 / 3,
        "relu": math.sqrt(2),
        "selu": 0.75,
        "leaky_relu": math.sqrt(2 / (1 + (0.01 if param is None else param) ** 2)),
    }.get(nl, 1)
    assert init.calculate_gain(nl, param) == pytest.approx(want, rel=1e-15)


@pytest.mark.parametrize(("nl", "param"), GAIN_CASES)
def test_calculate_gain_matches_torch(nl: str, param: Any) -> None:
    torch = pytest.importorskip("torch")
    assert init.calculate_gain(nl, param) == torch.nn.init.calculate_gain(nl, param)


def test_calculate_gain_errors() -> None:
    with pytest.raises(ValueError, match="Unsupported nonlinearity gelu"):
        init.calculate_gain("gelu")
    for bad in (True, "0.1", [0.1]):
        with pytest.raises(ValueError, match="not a valid number"):
            init.calculate_gain("leaky_relu", bad)


@pytest.mark.parametrize("shape", [*SHAPES, (0, 5), (5, 0, 3)])
def test_fans_match_torch(shape: tuple[int, ...]) -> None:
    rf = math.prod(shape[2:])
    want = (shape[1] * rf, shape[0] * rf)
    assert init._calculate_fan_in_and_fan_out(ax.empty(*shape)) == want
    torch = pytest.importorskip("torch")
    assert want == torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(*shape))


@pytest.mark.parametrize("shape", [(), (5,)])
def test_fans_need_two_dims(shape: tuple[int, ...]) -> None:
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init._calculate_fan_in_and_fan_out(ax.empty(*shape))
    for fn in (init.xavier_uniform_, init.xavier_normal_, init.kaiming_uniform_):
        with pytest.raises(ValueError, match="fewer than 2 dimensions"):
            fn(ax.empty(*shape))


# ---- the exact bounds / stds, compared with torch.nn.init ---------------------------------------


class _Recorder:
    """Records the (method, args) each library's tensor fills receive."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, cls: Any) -> None:
        self.calls: list[tuple[str, tuple[float, ...]]] = []
        for name in ("uniform_", "normal_"):
            real = getattr(cls, name)

            def spy(t: Any, *args: Any, _name: str = name, _real: Any = real, **kw: Any) -> Any:
                self.calls.append((_name, tuple(float(a) for a in args)))
                return _real(t, *args, **kw)

            monkeypatch.setattr(cls, name, spy)


INIT_CALLS = [
    ("uniform_", {"a": -0.3, "b": 0.7}),
    ("normal_", {"mean": 0.5, "std": 2.0}),
    ("xavier_uniform_", {}),
    ("xavier_uniform_", {"gain": 2.5}),
    ("xavier_normal_", {}),
    ("xavier_normal_", {"gain": 0.5}),
    ("kaiming_uniform_", {}),
    ("kaiming_uniform_", {"a": math.sqrt(5)}),
    ("kaiming_uniform_", {"mode": "fan_out", "nonlinearity": "relu"}),
    ("kaiming_uniform_", {"mode": "FAN_IN", "nonlinearity": "tanh"}),
    ("kaiming_normal_", {}),
    ("kaiming_normal_", {"a": 0.2, "mode": "fan_out"}),
    ("kaiming_normal_", {"nonlinearity": "selu"}),
]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize(("fn", "kw"), INIT_CALLS, ids=lambda x: str(x))
def test_bounds_and_stds_match_torch(
    monkeypatch: pytest.MonkeyPatch, shape: tuple[int, ...], fn: str, kw: dict[str, Any]
) -> None:
    torch = pytest.importorskip("torch")
    mine = _Recorder(monkeypatch, ax.Tensor)
    theirs = _Recorder(monkeypatch, torch.Tensor)
    getattr(init, fn)(ax.empty(*shape), **kw)
    getattr(torch.nn.init, fn)(torch.empty(*shape), **kw)
    assert len(mine.calls) == 1
    assert mine.calls == theirs.calls


# ---- distributions ------------------------------------------------------------------------------


class _Dist:
    """A target distribution: analytic mean/variance, and the scipy.stats object for KS."""

    def __init__(self, kind: str, *params: float) -> None:
        self.kind, self.params = kind, params

    def moments(self) -> tuple[float, float]:
        if self.kind == "uniform":
            lo, width = self.params
            return lo + width / 2, width**2 / 12
        if self.kind == "norm":
            mu, s = self.params
            return mu, s * s
        alpha, beta, mu, s = self.params  # truncated normal in standard units

        def pdf(x: float) -> float:
            return 0.0 if math.isinf(x) else math.exp(-x * x / 2) / math.sqrt(2 * math.pi)

        def xpdf(x: float) -> float:
            return 0.0 if math.isinf(x) else x * pdf(x)

        z = 0.5 * (math.erf(beta / math.sqrt(2)) - math.erf(alpha / math.sqrt(2)))
        d = (pdf(alpha) - pdf(beta)) / z
        return mu + s * d, s * s * (1 + (xpdf(alpha) - xpdf(beta)) / z - d * d)

    def scipy(self, stats: Any) -> Any:
        return getattr(stats, self.kind)(*self.params)


def _ks(sample: np.ndarray, dist: _Dist) -> None:
    """KS test when scipy is installed, else the first two moments within 6 standard errors."""
    sample = sample.astype(np.float64).ravel()
    try:
        from scipy import stats
    except ImportError:
        mean, var = dist.moments()
        assert abs(sample.mean() - mean) < 6 * math.sqrt(var / sample.size)
        assert abs(sample.var() - var) < 6 * var * math.sqrt(2 / sample.size)
        return
    p = stats.kstest(sample, dist.scipy(stats).cdf).pvalue
    assert p > 1e-4, p  # seeded: deterministic, and a wrong bound/std gives p ~ 0


@pytest.mark.parametrize("dtype", [ax.float32, ax.float64])
def test_uniform_and_normal_distributions(dtype: Any) -> None:
    ax.manual_seed(1)
    u = init.uniform_(ax.empty(N, dtype=dtype), -0.5, 2.0).numpy()
    assert u.min() >= -0.5 and u.max() <= 2.0
    _ks(u, _Dist("uniform", -0.5, 2.5))
    n = init.normal_(ax.empty(N, dtype=dtype), 1.0, 3.0).numpy()
    _ks(n, _Dist("norm", 1.0, 3.0))


@pytest.mark.parametrize("shape", [(400, 500), (64, 32, 3, 3)])
def test_xavier_and_kaiming_distributions(shape: tuple[int, ...]) -> None:
    rf = math.prod(shape[2:])
    fan_in, fan_out = shape[1] * rf, shape[0] * rf
    ax.manual_seed(2)
    std = 1.5 * math.sqrt(2 / (fan_in + fan_out))
    a = math.sqrt(3) * std
    w = init.xavier_uniform_(ax.empty(*shape), gain=1.5).numpy().ravel()
    assert np.abs(w).max() <= a
    _ks(w, _Dist("uniform", -a, 2 * a))
    _ks(init.xavier_normal_(ax.empty(*shape), gain=1.5).numpy().ravel(), _Dist("norm", 0, std))
    gain = math.sqrt(2 / (1 + 5))
    bound = gain * math.sqrt(3 / fan_in)
    w = init.kaiming_uniform_(ax.empty(*shape), a=math.sqrt(5)).numpy().ravel()
    assert np.abs(w).max() <= bound
    _ks(w, _Dist("uniform", -bound, 2 * bound))
    std = math.sqrt(2) / math.sqrt(fan_out)
    w = init.kaiming_normal_(ax.empty(*shape), mode="fan_out", nonlinearity="relu")
    _ks(w.numpy().ravel(), _Dist("norm", 0, std))


@pytest.mark.parametrize(
    ("mean", "std", "a", "b"),
    [
        (0.0, 1.0, -2.0, 2.0),
        (0.0, 0.02, -0.04, 0.04),  # the ViT-style call
        (1.0, 2.0, 0.5, 6.0),  # asymmetric
        (0.0, 1.0, 5.0, 6.0),  # far upper tail (PyTorch warns here; inverse CDF is exact)
        (0.0, 1.0, -7.0, -4.0),  # far lower tail
        (0.0, 1.0, -math.inf, 0.0),  # half-normal
        (3.0, 0.5, -math.inf, math.inf),  # untruncated
    ],
)
@pytest.mark.parametrize("dtype", [ax.float32, ax.float64])
def test_trunc_normal_distribution_and_bounds(
    mean: float, std: float, a: float, b: float, dtype: Any
) -> None:
    ax.manual_seed(3)
    t = init.trunc_normal_(ax.empty(N, dtype=dtype), mean, std, a, b)
    x = t.numpy()
    assert np.isfinite(x).all()
    np_dt = np.float32 if dtype == ax.float32 else np.float64
    assert x.min() >= np_dt(a) and x.max() <= np_dt(b)
    assert bool((t >= a).all()) and bool((t <= b).all())
    _ks(x, _Dist("truncnorm", (a - mean) / std, (b - mean) / std, mean, std))


@pytest.mark.parametrize(
    ("mean", "std", "a", "b"),
    [(0.0, 1.0, -math.inf, math.inf), (0.0, 1.0, -2.0, 2.0), (1.0, 2.0, 0.5, 6.0), (0, 1, -7, -4)],
)
@pytest.mark.parametrize("dtype", [ax.float32, ax.float64])
def test_trunc_normal_is_the_exact_inverse_cdf(
    mean: float, std: float, a: float, b: float, dtype: Any
) -> None:
    # The kernel draws u ~ U[Phi(alpha), Phi(beta)) from the same Philox stream as uniform_, so
    # with equal generators each value must be mean + std * ndtri(u) (mirrored above the mean).
    special = pytest.importorskip("scipy.special")
    alpha, beta = (a - mean) / std, (b - mean) / std
    flip = alpha > 0

    def cdf(x: float) -> float:
        return 0.5 * math.erfc(-x / math.sqrt(2))

    lo, hi = (cdf(-beta), cdf(-alpha)) if flip else (cdf(alpha), cdf(beta))
    u = ax.empty(N, dtype=ax.float64).uniform_(lo, hi, generator=ax.Generator().manual_seed(9))
    got = init.trunc_normal_(
        ax.empty(N, dtype=dtype), mean, std, a, b, generator=ax.Generator().manual_seed(9)
    ).numpy()
    z = special.ndtri(u.numpy())
    want = np.clip(mean + std * (-z if flip else z), a, b)
    tol = (1e-9, 1e-11) if dtype == ax.float64 else (2e-7, 1e-7)
    np.testing.assert_allclose(got, want.astype(got.dtype), rtol=tol[0], atol=tol[1])


def test_trunc_normal_defaults_and_errors() -> None:
    ax.manual_seed(4)
    x = init.trunc_normal_(ax.empty(1000)).numpy()
    assert x.min() >= -2 and x.max() <= 2
    with pytest.raises(RuntimeError, match="a < b"):
        init.trunc_normal_(ax.empty(3), a=1.0, b=1.0)
    with pytest.raises(RuntimeError, match="std > 0"):
        init.trunc_normal_(ax.empty(3), std=0.0)
    with pytest.raises(TypeError, match="floating-point"):
        init.trunc_normal_(ax.empty(3, dtype=ax.int64))


def test_trunc_normal_moments_without_scipy() -> None:
    # N(0, 1) on [-2, 2]: mean 0, variance 1 - 2 * 2 * phi(2) / (Phi(2) - Phi(-2)).
    ax.manual_seed(5)
    x = init.trunc_normal_(ax.empty(N, dtype=ax.float64)).numpy()
    phi2 = math.exp(-2) / math.sqrt(2 * math.pi)
    z = math.erf(2 / math.sqrt(2))
    var = 1 - 4 * phi2 / z
    assert abs(x.mean()) < 6 * math.sqrt(var / N)
    assert abs(x.var() - var) < 6 * var * math.sqrt(2 / N)


# ---- deterministic fills ------------------------------------------------------------------------


def test_constants() -> None:
    w = ax.empty(3, 4)
    assert init.constant_(w, 0.25) is w and w.tolist() == [[0.25] * 4] * 3
    assert init.ones_(w) is w and w.tolist() == [[1.0] * 4] * 3
    assert init.zeros_(w) is w and w.tolist() == [[0.0] * 4] * 3


@pytest.mark.parametrize("shape", [(3, 5), (5, 3), (4, 4)])
def test_eye(shape: tuple[int, int]) -> None:
    w = ax.full(shape, 7.0)
    assert init.eye_(w) is w
    np.testing.assert_array_equal(w.numpy(), np.eye(*shape))
    with pytest.raises(ValueError, match="Only tensors with 2 dimensions"):
        init.eye_(ax.empty(2, 2, 2))


@pytest.mark.parametrize(
    ("shape", "groups"),
    [((4, 4, 3), 1), ((6, 3, 3, 3), 1), ((3, 6, 5, 5), 1), ((6, 2, 3, 3), 3), ((4, 3, 3, 3, 3), 2)],
)
def test_dirac_matches_torch(shape: tuple[int, ...], groups: int) -> None:
    w = ax.full(shape, 5.0)
    assert init.dirac_(w, groups) is w
    torch = pytest.importorskip("torch")
    want = torch.nn.init.dirac_(torch.empty(*shape), groups).numpy()
    np.testing.assert_array_equal(w.numpy(), want)


def test_dirac_preserves_the_input_of_a_convolution() -> None:
    # y[o] = sum_{c, k} w[o, c, k] x[c, center + k - center]: the delta copies channel o.
    w = init.dirac_(ax.empty(3, 3, 3)).numpy()
    x = np.random.default_rng(0).standard_normal((3, 10))
    y = np.stack(
        [sum(np.convolve(x[c], w[o, c][::-1], "same") for c in range(3)) for o in range(3)]
    )
    np.testing.assert_allclose(y, x, atol=1e-12)


def test_dirac_errors() -> None:
    with pytest.raises(ValueError, match="3, 4, or 5 dimensions"):
        init.dirac_(ax.empty(3, 3))
    with pytest.raises(ValueError, match="divisible by groups"):
        init.dirac_(ax.empty(5, 2, 3), groups=2)


# ---- orthogonal_ and sparse_ --------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(5, 5), (3, 7), (7, 3), (4, 2, 3), (6, 2, 2, 2)])
@pytest.mark.parametrize("gain", [1.0, 2.0])
def test_orthogonal(shape: tuple[int, ...], gain: float) -> None:
    ax.manual_seed(6)
    w = ax.empty(*shape, dtype=ax.float64)
    assert init.orthogonal_(w, gain=gain) is w
    m = w.numpy().reshape(shape[0], -1) / gain
    rows, cols = m.shape
    gram = m @ m.T if rows <= cols else m.T @ m
    np.testing.assert_allclose(gram, np.eye(min(rows, cols)), atol=1e-12)


def test_orthogonal_float32_and_haar_sign() -> None:
    ax.manual_seed(7)
    w = init.orthogonal_(ax.empty(64, 64)).numpy().astype(np.float64)
    np.testing.assert_allclose(w @ w.T, np.eye(64), atol=1e-5)
    # Haar: the diagonal of many 2x2 draws is symmetric about 0 (no sign bias from QR).
    d = np.array([init.orthogonal_(ax.empty(2, 2)).numpy()[0, 0] for _ in range(400)])
    assert abs(d.mean()) < 0.15


def test_orthogonal_errors_and_empty() -> None:
    with pytest.raises(ValueError, match="2 or more dimensions"):
        init.orthogonal_(ax.empty(4))
    e = ax.empty(0, 3)
    assert init.orthogonal_(e) is e


def test_sparse() -> None:
    ax.manual_seed(8)
    w = ax.empty(50, 300)
    assert init.sparse_(w, sparsity=0.3, std=0.5) is w
    x = w.numpy()
    assert ((x == 0).sum(axis=0) == math.ceil(0.3 * 50)).all()
    nz = x[x != 0]
    assert abs(nz.std() - 0.5) < 0.02
    with pytest.raises(ValueError, match="Only tensors with 2 dimensions"):
        init.sparse_(ax.empty(3), 0.1)
    assert (init.sparse_(ax.empty(4, 3), 0.0).numpy() != 0).all()


# ---- semantics shared by all initializers -------------------------------------------------------

ALL_RANDOM = [
    lambda w, g: init.uniform_(w, generator=g),
    lambda w, g: init.normal_(w, generator=g),
    lambda w, g: init.trunc_normal_(w, generator=g),
    lambda w, g: init.xavier_uniform_(w, generator=g),
    lambda w, g: init.xavier_normal_(w, generator=g),
    lambda w, g: init.kaiming_uniform_(w, generator=g),
    lambda w, g: init.kaiming_normal_(w, generator=g),
    lambda w, g: init.orthogonal_(w, generator=g),
    lambda w, g: init.sparse_(w, 0.5, generator=g),
]


@pytest.mark.parametrize("fill", ALL_RANDOM)
def test_generator_makes_fills_reproducible(fill: Any) -> None:
    a = fill(ax.empty(6, 4), ax.Generator().manual_seed(11)).numpy()
    b = fill(ax.empty(6, 4), ax.Generator().manual_seed(11)).numpy()
    c = fill(ax.empty(6, 4), ax.Generator().manual_seed(12)).numpy()
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


@pytest.mark.parametrize("fill", ALL_RANDOM)
def test_fills_parameters_in_place_without_recording(fill: Any) -> None:
    p = nn.Parameter(ax.zeros(6, 4))
    out = fill(p, None)
    assert out is p and p.requires_grad and p.is_leaf and p.grad_fn is None
    assert not np.array_equal(p.detach().numpy(), np.zeros((6, 4)))


def test_non_contiguous_target() -> None:
    base = ax.zeros(8, 6)
    view = base[:, ::2]
    init.kaiming_uniform_(view)
    assert (base[:, 1::2].numpy() == 0).all() and (base[:, ::2].numpy() != 0).all()
    init.trunc_normal_(base.T)
    assert (base.numpy() != 0).all()


def test_kaiming_zero_element_warns_and_mode_errors() -> None:
    with pytest.warns(UserWarning, match="zero-element tensors is a no-op"):
        init.kaiming_uniform_(ax.empty(0, 3))
    with pytest.warns(UserWarning, match="zero-element tensors is a no-op"):
        init.kaiming_normal_(ax.empty(3, 0))
    with pytest.raises(ValueError, match="Mode fan_avg not supported"):
        init.kaiming_uniform_(ax.empty(3, 3), mode="fan_avg")
    with pytest.raises(ValueError, match="Unsupported nonlinearity swish"):
        init.kaiming_normal_(ax.empty(3, 3), nonlinearity="swish")
