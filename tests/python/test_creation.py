"""Tensor factories and random ops: values vs NumPy (and PyTorch when installed), dtype
inference, argument forms, distribution statistics, seeding, generators, RNG state, thread-count
independence, and errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

import axonite as ax

# ---- constant factories -------------------------------------------------------------------


@pytest.mark.parametrize(("fn", "value"), [(ax.zeros, 0.0), (ax.ones, 1.0)])
def test_zeros_ones_size_forms(fn, value) -> None:
    for t in (fn(2, 3), fn((2, 3)), fn([2, 3]), fn(size=(2, 3))):
        assert t.shape == (2, 3)
        assert t.dtype == ax.float32
        np.testing.assert_array_equal(t.numpy(), np.full((2, 3), value, np.float32))
    assert fn(()).shape == ()
    assert fn(0, 4).numel() == 0
    assert fn(3, dtype=ax.int64).dtype == ax.int64
    assert fn(3, dtype=ax.bool).numpy().tolist() == [bool(value)] * 3


def test_empty_and_requires_grad() -> None:
    t = ax.empty(4, 5, dtype=ax.float64)
    assert t.shape == (4, 5)
    assert t.dtype == ax.float64
    z = ax.zeros(2, requires_grad=True)
    assert z.requires_grad
    assert z.is_leaf
    with pytest.raises(RuntimeError, match="floating"):
        ax.zeros(2, dtype=ax.int64, requires_grad=True)


@pytest.mark.parametrize(
    ("value", "dtype"),
    [
        (True, ax.bool),
        (3, ax.int64),
        (2.5, ax.float32),
        (np.float64(1.5), ax.float32),
        (np.int64(7), ax.int64),
    ],
)
def test_full_dtype_inference(value, dtype) -> None:
    t = ax.full((2, 2), value)
    assert t.dtype == dtype
    np.testing.assert_array_equal(t.numpy(), np.full((2, 2), value))


def test_full_exact_int64_and_explicit_dtype() -> None:
    big = 2**62 + 1  # not representable as a double
    assert ax.full((2,), big).tolist() == [big, big]
    assert ax.full((3,), 2, dtype=ax.float64).dtype == ax.float64
    assert ax.full((2,), 1.5, dtype=ax.int64).tolist() == [1, 1]
    with pytest.raises(TypeError, match="fill_value"):
        ax.full((2,), "x")


def test_like_factories() -> None:
    x = ax.tensor([[1, 2, 3]])
    for fn, v in ((ax.zeros_like, 0), (ax.ones_like, 1)):
        y = fn(x)
        assert y.shape == (1, 3)
        assert y.dtype == ax.int64
        assert y.tolist() == [[v] * 3]
        assert fn(x, dtype=ax.float64).dtype == ax.float64
    assert ax.empty_like(x).shape == (1, 3)
    f = ax.full_like(x, 7)
    assert f.dtype == ax.int64
    assert f.tolist() == [[7, 7, 7]]
    assert ax.full_like(x, 2.7).tolist() == [[2, 2, 2]]  # input dtype wins, as in PyTorch
    assert ax.full_like(x, 2.5, dtype=ax.float32).tolist() == [[2.5] * 3]
    assert ax.zeros_like(ax.zeros(2), requires_grad=True).requires_grad


def test_new_factories() -> None:
    x = ax.tensor([1.0, 2.0], dtype=ax.float64)
    assert x.new_zeros(2, 3).dtype == ax.float64
    assert x.new_zeros((2, 3)).shape == (2, 3)
    assert x.new_ones(3).tolist() == [1.0, 1.0, 1.0]
    assert x.new_empty((4,)).shape == (4,)
    nf = x.new_full((2,), 3)
    assert nf.dtype == ax.float64
    assert nf.tolist() == [3.0, 3.0]
    assert x.new_full((2,), 3, dtype=ax.int64).dtype == ax.int64
    nt = x.new_tensor([1, 2])
    assert nt.dtype == ax.float64
    assert nt.tolist() == [1.0, 2.0]
    assert x.new_zeros(2, dtype=ax.int64).dtype == ax.int64
    assert x.new_zeros(2, requires_grad=True).requires_grad


def test_device_argument() -> None:
    assert ax.zeros(2, device="cpu").shape == (2,)
    assert ax.ones(2, device=ax.device("cpu")).shape == (2,)
    with pytest.raises(RuntimeError, match="CUDA"):
        ax.zeros(2, device="cuda")
    with pytest.raises(ValueError, match="device"):
        ax.zeros(2, device="tpu")


def test_size_errors() -> None:
    with pytest.raises(TypeError):
        ax.zeros(2.5)
    with pytest.raises(TypeError):
        ax.zeros("ab")
    with pytest.raises(ValueError, match="negative"):
        ax.zeros(2, -1)
    with pytest.raises(TypeError, match="both"):
        ax.zeros(2, size=(2,))


# ---- ranges -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        (5,),
        (2, 9),
        (-5, 5, 3),
        (10, 0, -3),
        (5, 5),
        (0, 7, 7),
        (3, -4, -1),
        (-(2**40), 2**40, 2**38),
    ],
)
def test_arange_int(args) -> None:
    t = ax.arange(*args)
    assert t.dtype == ax.int64
    np.testing.assert_array_equal(t.numpy(), np.arange(*args, dtype=np.int64))


@pytest.mark.parametrize(
    "args",
    [(0, 1, 0.1), (0.5, 3), (1, 2.5, 0.5), (-1.0, 1.0, 0.3), (5.0,), (0, -1, -0.25), (1.0, 1.0)],
)
def test_arange_float(args) -> None:
    t = ax.arange(*args)
    assert t.dtype == ax.float32
    start, end, step = (0, args[0], 1) if len(args) == 1 else (*args, 1)[:3]
    n = max(0, math.ceil((end - start) / step))
    ref = start + step * np.arange(n, dtype=np.float64)
    np.testing.assert_allclose(t.numpy(), ref.astype(np.float32), rtol=0, atol=1e-7)
    t64 = ax.arange(*args, dtype=ax.float64)
    np.testing.assert_allclose(t64.numpy(), ref, rtol=1e-15, atol=1e-15)


def test_arange_dtype_and_keywords() -> None:
    assert ax.arange(5, dtype=ax.float64).tolist() == [0.0, 1.0, 2.0, 3.0, 4.0]
    assert ax.arange(start=1, end=4).tolist() == [1, 2, 3]
    assert ax.arange(0.5, 3, dtype=ax.int64).tolist() == [0, 1, 2]  # arguments truncate first
    assert ax.arange(np.int64(3)).dtype == ax.int64
    assert ax.arange(ax.tensor(4)).tolist() == [0, 1, 2, 3]
    assert ax.arange(3, requires_grad=True, dtype=ax.float32).requires_grad


def test_arange_errors() -> None:
    with pytest.raises(RuntimeError, match="step must be nonzero"):
        ax.arange(0, 10, 0)
    with pytest.raises(RuntimeError, match="step must be nonzero"):
        ax.arange(0.0, 1.0, 0.0)
    with pytest.raises(RuntimeError, match="step must be nonzero"):
        ax.arange(1, 2.5, 0.5, dtype=ax.int64)  # step truncates to 0, as in PyTorch
    with pytest.raises(RuntimeError, match="inconsistent with step sign"):
        ax.arange(10, 0, 1)
    with pytest.raises(RuntimeError, match="inconsistent with step sign"):
        ax.arange(0.0, 1.0, -0.1)
    with pytest.raises(RuntimeError, match="unsupported range"):
        ax.arange(0, math.inf)
    with pytest.raises(TypeError, match="number"):
        ax.arange("5")
    with pytest.raises(TypeError, match="bool"):
        ax.arange(3, dtype=ax.bool)


def test_arange_vs_torch(torch) -> None:
    cases = [(0, 1, 0.1), (-3, 7, 0.7), (1e-3, 1, 1e-2), (10, -10, -1.5), (0, 100, 3), (1, 2, 0.3)]
    for args in cases:
        for ad, td in ((ax.float32, torch.float32), (ax.float64, torch.float64)):
            a = ax.arange(*args, dtype=ad).numpy()
            b = torch.arange(*args, dtype=td).numpy()
            assert a.shape == b.shape, args
            np.testing.assert_allclose(a, b, rtol=2e-7 if ad == ax.float32 else 1e-15, atol=1e-7)
        if all(isinstance(v, int) for v in args):
            np.testing.assert_array_equal(ax.arange(*args).numpy(), torch.arange(*args).numpy())


@pytest.mark.parametrize(
    "args", [(0, 1, 5), (-2, 3, 7), (1, 0, 4), (3, 3, 3), (0, 1, 1), (0, 1, 0), (-1e3, 1e3, 101)]
)
def test_linspace(args) -> None:
    t = ax.linspace(*args)
    assert t.dtype == ax.float32
    np.testing.assert_allclose(
        t.numpy(), np.linspace(*args, dtype=np.float32), rtol=1e-6, atol=1e-5
    )
    t64 = ax.linspace(*args, dtype=ax.float64).numpy()
    np.testing.assert_allclose(t64, np.linspace(*args), rtol=1e-14, atol=1e-12)
    if args[2] > 1:  # both endpoints exact
        assert t64[0] == args[0]
        assert t64[-1] == args[1]


def test_linspace_int_and_errors() -> None:
    assert ax.linspace(0, 10, 4, dtype=ax.int64).tolist() == [0, 3, 6, 10]
    assert ax.linspace(-1, 1, 5, dtype=ax.int64).tolist() == [-1, 0, 0, 0, 1]
    with pytest.raises(RuntimeError, match="non-negative"):
        ax.linspace(0, 1, -1)


def test_linspace_logspace_vs_torch(torch) -> None:
    for args in [(0, 1, 11), (-5.5, 17.25, 64), (2, -2, 9), (0, 10, 4)]:
        np.testing.assert_allclose(
            ax.linspace(*args).numpy(), torch.linspace(*args).numpy(), rtol=1e-6, atol=1e-6
        )
        np.testing.assert_array_equal(
            ax.linspace(*args, dtype=ax.int64).numpy(),
            torch.linspace(*args, dtype=torch.int64).numpy(),
        )
        np.testing.assert_allclose(
            ax.logspace(*args, base=2.0).numpy(), torch.logspace(*args, base=2.0).numpy(), rtol=1e-5
        )


def test_logspace() -> None:
    np.testing.assert_allclose(ax.logspace(0, 2, 3).numpy(), [1.0, 10.0, 100.0], rtol=1e-6)
    np.testing.assert_allclose(ax.logspace(0, 3, 4, base=2).numpy(), [1, 2, 4, 8])
    np.testing.assert_allclose(
        ax.logspace(-1, 1, 5, dtype=ax.float64).numpy(), np.logspace(-1, 1, 5), rtol=1e-14
    )
    assert ax.logspace(1, 5, 1).tolist() == [10.0]


def test_eye() -> None:
    np.testing.assert_array_equal(ax.eye(3).numpy(), np.eye(3, dtype=np.float32))
    np.testing.assert_array_equal(ax.eye(2, 4).numpy(), np.eye(2, 4))
    np.testing.assert_array_equal(ax.eye(4, 2, dtype=ax.int64).numpy(), np.eye(4, 2))
    assert ax.eye(0).shape == (0, 0)
    assert ax.eye(2, dtype=ax.bool).tolist() == [[True, False], [False, True]]
    with pytest.raises(RuntimeError, match="n must be greater or equal to 0"):
        ax.eye(-1)


# ---- random ops: statistics ---------------------------------------------------------------

N = 1_000_000


@pytest.mark.parametrize("dtype", [ax.float32, ax.float64])
def test_rand_statistics(dtype) -> None:
    u = ax.rand(N, dtype=dtype).numpy().astype(np.float64)
    assert u.min() >= 0.0
    assert u.max() < 1.0
    # Standard errors at 1e6 samples: mean 2.9e-4, variance 7.5e-5; bounds are ~5 sigma.
    assert abs(u.mean() - 0.5) < 1.5e-3
    assert abs(u.var() - 1 / 12) < 4e-4
    hist = np.histogram(u, bins=10, range=(0, 1))[0]
    assert np.all(np.abs(hist - N / 10) < 5 * math.sqrt(N / 10))


@pytest.mark.parametrize("dtype", [ax.float32, ax.float64])
def test_randn_statistics(dtype) -> None:
    z = ax.randn(N, dtype=dtype).numpy().astype(np.float64)
    assert abs(z.mean()) < 5e-3
    assert abs(z.std() - 1) < 4e-3
    assert abs(np.mean(z**3)) < 2e-2  # skewness
    assert abs(np.mean(z**4) - 3) < 5e-2  # kurtosis
    # Tail mass beyond 2 sigma: 4.55%; standard error 2.1e-4.
    assert abs(np.mean(np.abs(z) > 2) - 0.0455) < 1.2e-3


def test_normal_uniform_exponential_inplace_statistics() -> None:
    t = ax.empty(N).normal_(3.0, 0.5).numpy()
    assert abs(t.mean() - 3.0) < 3e-3
    assert abs(t.std() - 0.5) < 3e-3
    u = ax.empty(N, dtype=ax.float64).uniform_(-2, 6).numpy()
    assert u.min() >= -2
    assert u.max() < 6
    assert abs(u.mean() - 2) < 1.5e-2
    e = ax.empty(N).exponential_(4.0).numpy().astype(np.float64)
    assert e.min() >= 0
    assert abs(e.mean() - 0.25) < 2e-3
    assert abs(e.std() - 0.25) < 3e-3
    n = ax.normal(-1.0, 2.0, (N,)).numpy()
    assert abs(n.mean() + 1) < 1e-2
    assert abs(n.std() - 2) < 1e-2


def test_normal_tensor_forms() -> None:
    mean = ax.tensor([0.0, 100.0, -100.0])
    std = ax.tensor([1e-3, 1.0, 0.0])
    x = ax.normal(mean, std).numpy()
    assert abs(x[0]) < 0.01
    assert abs(x[1] - 100) < 6
    assert x[2] == -100
    assert ax.normal(mean, 2.0).shape == (3,)
    assert ax.normal(1.0, std).shape == (3,)
    assert ax.normal(ax.zeros(4, 1), ax.ones(3)).shape == (4, 3)
    assert ax.normal(ax.zeros(2, dtype=ax.float64)).dtype == ax.float64
    big = ax.normal(ax.full((N,), 5.0), ax.full((N,), 2.0)).numpy()
    assert abs(big.mean() - 5) < 1e-2
    assert abs(big.std() - 2) < 1e-2


def test_randint_forms_and_range() -> None:
    r = ax.randint(10, (N,))
    assert r.dtype == ax.int64
    assert r.shape == (N,)
    v = r.numpy()
    assert v.min() == 0
    assert v.max() == 9
    counts = np.bincount(v, minlength=10)
    assert np.all(np.abs(counts - N / 10) < 5 * math.sqrt(N / 10))
    w = ax.randint(-3, 4, (2, 5)).numpy()
    assert w.shape == (2, 5)
    assert w.min() >= -3
    assert w.max() <= 3
    assert ax.randint(3, 10, size=(4,)).shape == (4,)
    assert ax.randint(low=3, high=10, size=(4,)).numpy().min() >= 3
    assert ax.randint(high=2, size=(3,)).numpy().max() <= 1
    assert ax.randint(5, (3,), dtype=ax.float32).dtype == ax.float32
    b = ax.randint(2, (1000,), dtype=ax.bool).numpy()
    assert b.dtype == np.bool_
    assert 400 < b.sum() < 600
    huge = ax.randint(-(2**63), 2**63 - 1, (10000,)).numpy()
    assert 4500 < (huge < 0).sum() < 5500


def test_randint_errors() -> None:
    with pytest.raises(RuntimeError, match="less than"):
        ax.randint(5, 5, (3,))
    with pytest.raises(RuntimeError, match="bool"):
        ax.randint(5, (3,), dtype=ax.bool)
    with pytest.raises(TypeError, match="size"):
        ax.randint(5)
    with pytest.raises(TypeError, match="int"):
        ax.randint(2.5, (3,))


def test_like_random() -> None:
    x = ax.zeros(3, 4, dtype=ax.float64)
    assert ax.rand_like(x).dtype == ax.float64
    assert ax.rand_like(x).shape == (3, 4)
    assert ax.randn_like(x, dtype=ax.float32).dtype == ax.float32
    r = ax.randint_like(x, 5)
    assert r.dtype == ax.float64
    assert r.numpy().max() < 5
    r2 = ax.randint_like(ax.zeros(1000, dtype=ax.int64), 10, 20).numpy()
    assert r2.min() >= 10
    assert r2.max() < 20
    with pytest.raises(TypeError, match="floating"):
        ax.rand_like(ax.zeros(2, dtype=ax.int64))


def test_randperm() -> None:
    for n in (0, 1, 2, 17, 100_003):
        p = ax.randperm(n)
        assert p.dtype == ax.int64
        np.testing.assert_array_equal(np.sort(p.numpy()), np.arange(n))
    # Each value lands in each position about equally often.
    pos = np.array([ax.randperm(4).numpy() for _ in range(4000)])
    freq = np.stack([(pos == k).mean(axis=0) for k in range(4)])
    assert np.all(np.abs(freq - 0.25) < 0.04)
    assert ax.randperm(5, dtype=ax.float32).dtype == ax.float32
    with pytest.raises(RuntimeError, match="non-negative"):
        ax.randperm(-1)


def test_bernoulli() -> None:
    p = ax.full((N,), 0.3)
    b = ax.bernoulli(p)
    assert b.dtype == ax.float32
    assert set(np.unique(b.numpy())) <= {0.0, 1.0}
    assert abs(b.numpy().mean() - 0.3) < 3e-3
    assert ax.bernoulli(ax.zeros(1000)).numpy().sum() == 0
    assert ax.bernoulli(ax.ones(1000)).numpy().sum() == 1000
    probs = ax.tensor([0.0, 1.0] * 500, dtype=ax.float64)
    np.testing.assert_array_equal(p.new_zeros(1).bernoulli(0.0).numpy(), [0.0])
    np.testing.assert_array_equal(ax.bernoulli(probs).numpy(), probs.numpy())
    assert abs(ax.bernoulli(ax.zeros(N), 0.7).numpy().mean() - 0.7) < 3e-3
    t = ax.zeros(N, dtype=ax.int64).bernoulli_(0.25)
    assert t.dtype == ax.int64
    assert abs(t.numpy().mean() - 0.25) < 3e-3
    m = ax.zeros(4, 1000, dtype=ax.bool).bernoulli_(ax.tensor([[0.0], [1.0], [0.5], [0.0]]))
    assert m.numpy().sum(axis=1).tolist()[:2] == [0, 1000]
    assert 400 < m.numpy()[2].sum() < 600
    with pytest.raises(RuntimeError, match=r"\[0, 1\]"):
        ax.bernoulli(ax.tensor([0.5, 1.5]))
    with pytest.raises(RuntimeError, match=r"\[0, 1\]"):
        ax.zeros(3).bernoulli_(-0.1)
    with pytest.raises(TypeError, match="floating"):
        ax.bernoulli(ax.tensor([1, 0]))
    with pytest.raises(RuntimeError, match="broadcast"):
        ax.zeros(3).bernoulli_(ax.full((2,), 0.5))


def test_multinomial() -> None:
    w = ax.tensor([1.0, 0.0, 3.0, 6.0])
    s = ax.multinomial(w, 100_000, replacement=True).numpy()
    freq = np.bincount(s, minlength=4) / s.size
    np.testing.assert_allclose(freq, [0.1, 0.0, 0.3, 0.6], atol=6e-3)
    # Without replacement: distinct, never a zero-weight category, all of them when n = #nonzero.
    for _ in range(20):
        d = ax.multinomial(w, 3).numpy()
        assert sorted(d.tolist()) == [0, 2, 3]
    # The first draw without replacement follows the weights.
    first = np.array([ax.multinomial(w, 2).numpy()[0] for _ in range(3000)])
    np.testing.assert_allclose(
        np.bincount(first, minlength=4) / 3000, [0.1, 0, 0.3, 0.6], atol=0.03
    )
    rows = ax.multinomial(ax.tensor([[0.0, 1.0], [1.0, 0.0]]), 3, replacement=True)
    assert rows.dtype == ax.int64
    assert rows.tolist() == [[1, 1, 1], [0, 0, 0]]
    assert ax.tensor([[1.0, 2.0, 3.0]]).multinomial(2).shape == (1, 2)


def test_multinomial_errors() -> None:
    with pytest.raises(RuntimeError, match="sum of probabilities"):
        ax.multinomial(ax.tensor([0.0, 0.0]), 1)
    with pytest.raises(RuntimeError, match="without replacement"):
        ax.multinomial(ax.tensor([1.0, 1.0]), 3)
    with pytest.raises(RuntimeError, match="not enough"):
        ax.multinomial(ax.tensor([1.0, 0.0, 0.0]), 2)
    with pytest.raises(RuntimeError, match="element < 0"):
        ax.multinomial(ax.tensor([-1.0, 1.0]), 1)
    with pytest.raises(RuntimeError, match="element < 0"):
        ax.multinomial(ax.tensor([1.0, math.inf]), 1)
    with pytest.raises(RuntimeError, match="1 or 2 dim"):
        ax.multinomial(ax.ones(2, 2, 2), 1)
    with pytest.raises(TypeError, match="floating"):
        ax.multinomial(ax.tensor([1, 1]), 1)


def test_random_errors() -> None:
    with pytest.raises(TypeError, match="floating"):
        ax.rand(3, dtype=ax.int64)
    with pytest.raises(TypeError, match="floating"):
        ax.randn(3, dtype=ax.bool)
    with pytest.raises(RuntimeError, match="std >= 0"):
        ax.normal(0.0, -1.0, (2,))
    with pytest.raises(RuntimeError, match="std >= 0"):
        ax.normal(ax.zeros(2), ax.tensor([1.0, -1.0]))
    with pytest.raises(TypeError, match="size"):
        ax.normal(0.0, 1.0)
    with pytest.raises(RuntimeError, match="std >= 0"):
        ax.zeros(2).normal_(0, -1)
    with pytest.raises(RuntimeError, match="from=1"):
        ax.zeros(2).uniform_(1, 0)
    with pytest.raises(TypeError, match="floating"):
        ax.zeros(2, dtype=ax.int64).uniform_()
    with pytest.raises(RuntimeError, match="lambda"):
        ax.zeros(2).exponential_(-1)
    with pytest.raises(TypeError):
        ax.rand(3, generator=object())


# ---- random ops: in-place semantics -------------------------------------------------------


def test_inplace_random_on_views_and_versions() -> None:
    base = ax.zeros(6, 4)
    view = base.t()  # non-contiguous
    v0 = base._version
    ret = view.uniform_(1.0, 2.0)
    assert ret is view
    assert base._version > v0
    vals = base.numpy()
    assert vals.min() >= 1.0
    assert vals.max() < 2.0
    # A transposed fill draws the same values, in logical order, as a contiguous one.
    ax.manual_seed(5)
    ax.zeros(4, 6).t().normal_()
    ax.manual_seed(5)
    a = ax.zeros(4, 6).t().normal_().numpy()
    ax.manual_seed(5)
    b = ax.zeros(6, 4).normal_().numpy()
    np.testing.assert_array_equal(a, b)


def test_inplace_random_autograd() -> None:
    leaf = ax.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        leaf.normal_()
    with ax.no_grad():
        leaf.normal_()  # allowed: how nn.init fills parameters
    assert leaf.requires_grad
    assert leaf.is_leaf
    x = ax.ones(3, requires_grad=True)
    y = x * 2
    y.uniform_()
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros(3))  # random values carry no gradient


# ---- seeding, generators, state -----------------------------------------------------------


def _draw_all(gen: ax.Generator | None = None) -> list[np.ndarray]:
    kw = {} if gen is None else {"generator": gen}
    return [
        ax.rand(7, 3, **kw).numpy(),
        ax.randn(1001, dtype=ax.float64, **kw).numpy(),
        ax.randint(0, 1000, (50,), **kw).numpy(),
        ax.randperm(100, **kw).numpy(),
        ax.bernoulli(ax.full((64,), 0.5), **kw).numpy(),
        ax.normal(0.0, 1.0, (5,), **kw).numpy(),
        ax.multinomial(ax.ones(10), 4, **kw).numpy(),
        ax.empty(9).uniform_(**kw).numpy(),
        ax.empty(9).normal_(**kw).numpy(),
        ax.empty(9).exponential_(**kw).numpy(),
        ax.empty(9).bernoulli_(0.5, **kw).numpy(),
    ]


def _same(a: list[np.ndarray], b: list[np.ndarray]) -> bool:
    return all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


def test_manual_seed_reproducible() -> None:
    g = ax.manual_seed(1234)
    assert isinstance(g, ax.Generator)
    assert ax.initial_seed() == 1234
    first = _draw_all()
    ax.manual_seed(1234)
    assert _same(first, _draw_all())
    ax.manual_seed(1235)
    assert not any(np.array_equal(x, y) for x, y in zip(first[:3], _draw_all()[:3], strict=True))


def test_seed_range() -> None:
    ax.manual_seed(-1)
    assert ax.initial_seed() == 2**64 - 1
    ax.manual_seed(2**64 - 1)
    a = ax.rand(3).numpy()
    ax.manual_seed(-1)
    np.testing.assert_array_equal(a, ax.rand(3).numpy())
    with pytest.raises(ValueError, match="seed"):
        ax.manual_seed(2**64)
    with pytest.raises(ValueError, match="seed"):
        ax.manual_seed(-(2**63) - 1)
    with pytest.raises(TypeError, match="seed"):
        ax.manual_seed("1")
    s = ax.seed()
    assert isinstance(s, int)
    assert ax.initial_seed() == s


def test_generator_independence() -> None:
    g1 = ax.Generator().manual_seed(42)
    g2 = ax.Generator()
    assert g2.manual_seed(42) is g2
    ax.manual_seed(0)
    a = _draw_all(g1)
    # Global draws in between do not disturb g2's stream, and vice versa.
    ax.rand(100)
    b = _draw_all(g2)
    assert _same(a, b)
    ax.manual_seed(0)
    ref = ax.rand(5).numpy()
    ax.manual_seed(0)
    _draw_all(g1)
    np.testing.assert_array_equal(ax.rand(5).numpy(), ref)
    assert g1.initial_seed() == 42
    assert str(g1.device) == "cpu"
    assert ax.default_generator.initial_seed() == ax.initial_seed()


def test_rng_state_round_trip() -> None:
    ax.manual_seed(77)
    ax.rand(10)
    state = ax.get_rng_state()
    assert state.dtype == ax.int64
    assert state.shape == (3,)
    a = _draw_all()
    ax.rand(3)
    ax.set_rng_state(state)
    assert _same(a, _draw_all())
    # Through NumPy and back (as a checkpoint would store it), and for a Generator.
    ax.set_rng_state(ax.tensor(state.numpy().copy()))
    assert _same(a, _draw_all())
    g = ax.Generator().manual_seed(9)
    gs = g.get_state()
    x = _draw_all(g)
    assert g.set_state(gs) is g
    assert _same(x, _draw_all(g))


def test_rng_state_errors() -> None:
    with pytest.raises(TypeError, match="int64"):
        ax.set_rng_state(ax.zeros(3))
    with pytest.raises(RuntimeError, match="RNG state"):
        ax.set_rng_state(ax.zeros(3, dtype=ax.int64))
    with pytest.raises(RuntimeError, match="RNG state"):
        ax.set_rng_state(ax.zeros(5, dtype=ax.int64))
    with pytest.raises(TypeError):
        ax.set_rng_state([1, 2, 3])


def test_prefix_property() -> None:
    # Element i depends only on (seed, offset, i): a short draw is a prefix of a long one.
    ax.manual_seed(3)
    short = ax.randn(5).numpy()
    ax.manual_seed(3)
    long = ax.randn(500_000).numpy()
    np.testing.assert_array_equal(short, long[:5])


@pytest.mark.skipif(not hasattr(ax, "set_num_threads"), reason="ax.set_num_threads missing")
def test_thread_count_independence() -> None:
    saved = ax.get_num_threads()
    results = []
    try:
        for nt in (1, 2, 3):
            ax.set_num_threads(nt)
            ax.manual_seed(2024)
            big = [
                ax.rand(300_001).numpy(),
                ax.randn(300_001).numpy(),
                ax.randn(200_001, dtype=ax.float64).numpy(),
                ax.randint(0, 2**40, (200_001,)).numpy(),
                ax.bernoulli(ax.full((200_001,), 0.4)).numpy(),
                ax.multinomial(ax.rand(64, 500), 10).numpy(),
                ax.empty(300, 700).t().normal_().numpy(),
            ]
            results.append(big)
    finally:
        ax.set_num_threads(saved)
    assert _same(results[0], results[1])
    assert _same(results[0], results[2])
