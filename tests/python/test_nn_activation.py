"""Pointwise activations of axonite.nn: values vs NumPy, float64 gradients (first and second
order), PyTorch parity (values and gradients, float64 and float32 over a wide range),
non-contiguous inputs, in-place forms and version counters, PReLU, step/heaviside, module
reprs, node names, thread-count independence and error messages."""

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

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946
_erf = np.vectorize(math.erf)
_erfc = np.vectorize(math.erfc)


def _sig(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


def _gelu(x: np.ndarray) -> np.ndarray:
    return x * 0.5 * (1 + _erf(x / math.sqrt(2)))


def _gelu_tanh(x: np.ndarray) -> np.ndarray:
    return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))


def _away(*kinks: float, low: float = -4.0, high: float = 4.0, margin: float = 0.15):
    """Input maker for (3, 4) float draws kept `margin` away from the given kinks (so finite
    differences never straddle one)."""

    def make(rng: np.random.Generator) -> list[np.ndarray]:
        x = rng.uniform(low, high, size=(3, 4))
        for k in kinks:
            near = np.abs(x - k) < margin
            x = np.where(near, k + np.where(x >= k, margin, -margin) * 2, x)
        return [x]

    return make


# name, reference, kwargs, kinks to avoid (None: smooth), input range
ACTS: list[tuple[str, Callable[[np.ndarray], np.ndarray], dict[str, Any], tuple | None]] = [
    ("relu", lambda x: np.maximum(x, 0), {}, (0.0,)),
    ("relu6", lambda x: np.clip(x, 0, 6), {}, (0.0, 6.0)),
    ("leaky_relu", lambda x: np.where(x > 0, x, 0.01 * x), {}, (0.0,)),
    ("leaky_relu", lambda x: np.where(x > 0, x, 0.2 * x), {"negative_slope": 0.2}, (0.0,)),
    ("elu", lambda x: np.where(x > 0, x, np.expm1(x)), {}, (0.0,)),
    ("elu", lambda x: np.where(x > 0, x, 0.5 * np.expm1(x)), {"alpha": 0.5}, (0.0,)),
    ("selu", lambda x: SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * np.expm1(x)), {}, (0.0,)),
    (
        "celu",
        lambda x: np.maximum(0, x) + np.minimum(0, 2 * np.expm1(x / 2)),
        {"alpha": 2.0},
        (0.0,),
    ),
    ("gelu", _gelu, {}, None),
    ("gelu", _gelu_tanh, {"approximate": "tanh"}, None),
    ("silu", lambda x: x * _sig(x), {}, None),
    ("mish", lambda x: x * np.tanh(np.log1p(np.exp(x))), {}, None),
    ("softplus", lambda x: np.log1p(np.exp(x)), {}, None),
    (
        "softplus",
        lambda x: np.where(2 * x > 3, x, np.log1p(np.exp(2 * x)) / 2),
        {"beta": 2.0, "threshold": 3.0},
        (1.5,),
    ),
    ("softsign", lambda x: x / (1 + np.abs(x)), {}, (0.0,)),
    ("hardtanh", lambda x: np.clip(x, -1, 1), {}, (-1.0, 1.0)),
    ("hardtanh", lambda x: np.clip(x, -0.5, 2), {"min_val": -0.5, "max_val": 2.0}, (-0.5, 2.0)),
    ("hardsigmoid", lambda x: np.clip(x / 6 + 0.5, 0, 1), {}, (-3.0, 3.0)),
    ("hardswish", lambda x: x * np.clip(x + 3, 0, 6) / 6, {}, (-3.0, 3.0)),
    ("logsigmoid", lambda x: -np.log1p(np.exp(-x)), {}, None),
    ("sigmoid", _sig, {}, None),
    ("tanh", np.tanh, {}, None),
    ("threshold", lambda x: np.where(x > 0.5, x, -2.0), {"threshold": 0.5, "value": -2.0}, (0.5,)),
]


def _label(name: str, kw: dict[str, Any]) -> str:
    return name + "".join(f"_{k}={v}" for k, v in kw.items())


def _spec(
    name: str, ref: Callable, kw: dict[str, Any], kinks: tuple | None, transpose: bool = False
) -> OpSpec:
    def prep(x: Any) -> Any:
        return x.transpose(0, 1) if transpose else x

    def fn(x: ax.Tensor) -> ax.Tensor:
        return getattr(F, name)(prep(x), **kw)

    def torch_fn(x: Any) -> Any:
        import torch

        return getattr(torch.nn.functional, name)(prep(x), **kw)

    def reference(x: np.ndarray) -> np.ndarray:
        return ref(x.T if transpose else x)

    make = _away(*kinks) if kinks else _away()
    label = _label(name, kw) + ("_transposed" if transpose else "")
    return OpSpec(label, fn, reference, torch_fn=torch_fn, make_inputs=make)


def _prelu_inputs(c: int, shape: tuple[int, ...]) -> Callable:
    def make(rng: np.random.Generator) -> list[np.ndarray]:
        x = _away(0.0)(rng)[0].ravel()
        x = np.resize(x, shape) * rng.choice([1.0, -1.0], size=shape)
        x = np.where(np.abs(x) < 0.15, 0.3, x)
        return [x, rng.uniform(0.05, 0.5, size=(c,))]

    return make


def _prelu_ref(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    wb = w.reshape((1, -1) + (1,) * (x.ndim - 2)) if x.ndim >= 2 and w.size > 1 else w
    return np.where(x > 0, x, wb * x)


def _torch_prelu(x: Any, w: Any) -> Any:
    import torch

    return torch.nn.functional.prelu(x, w)


def _step_ref(x: np.ndarray) -> np.ndarray:
    return np.where(x > 0.25, 1.0, np.where(x == 0.25, 0.5, 0.0))


SPECS = [_spec(*a) for a in ACTS] + [
    _spec("gelu", _gelu, {}, None, transpose=True),
    _spec(
        "leaky_relu",
        lambda x: np.where(x > 0, x, 0.1 * x),
        {"negative_slope": 0.1},
        (0.0,),
        transpose=True,
    ),
    _spec("softplus", lambda x: np.log1p(np.exp(x)), {}, None, transpose=True),
    OpSpec(
        "prelu_channels",
        F.prelu,
        _prelu_ref,
        torch_fn=_torch_prelu,
        make_inputs=_prelu_inputs(3, (2, 3, 4)),
    ),
    OpSpec(
        "prelu_2d", F.prelu, _prelu_ref, torch_fn=_torch_prelu, make_inputs=_prelu_inputs(4, (3, 4))
    ),
    OpSpec(
        "prelu_single",
        F.prelu,
        _prelu_ref,
        torch_fn=_torch_prelu,
        make_inputs=_prelu_inputs(1, (2, 3, 2, 2)),
    ),
    OpSpec("step", lambda x: F.step(x, 0.25, 0.5), _step_ref, make_inputs=_away(0.25)),
]
# step: torch.heaviside has no derivative, so its parity row compares values only.
TORCH_SPECS = [s for s in SPECS if s.name != "step"] + [
    OpSpec(
        "step_vs_heaviside",
        lambda x: F.step(x, 0.25, 0.5),
        torch_fn=lambda x: __import__("torch").heaviside(x - 0.25, x.new_tensor(0.5)),
        grad=False,
        make_inputs=lambda r: [np.array([-1.0, 0.25, 0.3, 2.0])],
    )
]

test_forward, test_gradcheck, test_torch_parity = op_tests(SPECS, TORCH_SPECS)


# ---- float32 over a wide range vs PyTorch ------------------------------------------------------


@pytest.mark.parametrize(("name", "kw"), [(a[0], a[2]) for a in ACTS], ids=lambda v: str(v))
def test_float32_wide_range_matches_torch(torch, name: str, kw: dict[str, Any]) -> None:
    # float32 results within a few ulp of the float64 truth (torch float64 on the same inputs),
    # and within float32 noise of torch's own float32 kernels.
    rng = np.random.default_rng(3)
    x = np.concatenate(
        [rng.uniform(-30, 30, 40000), rng.uniform(-3, 3, 40000), [0.0, -0.0, 1e-30, -1e-30]]
    ).astype(np.float32)
    g = rng.standard_normal(x.size).astype(np.float32)
    xa = ax.tensor(x, requires_grad=True)
    ya = getattr(F, name)(xa, **kw)
    ya.backward(ax.tensor(g))
    fn = getattr(torch.nn.functional, name)
    x64 = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    fn(x64, **kw).backward(torch.tensor(g, dtype=torch.float64))
    y64, gx64 = fn(x64.detach(), **kw).numpy(), x64.grad.numpy()
    atol, gatol = 1e-37, 3e-7
    if name == "gelu" and not kw:
        # torch's float64 x (1 + erf(x / sqrt 2)) / 2 cancels in the left tail; use erfc.
        x64n = x.astype(np.float64)
        cdf = 0.5 * _erfc(-x64n / math.sqrt(2))
        y64 = x64n * cdf
        gx64 = g * (cdf + x64n * np.exp(-0.5 * x64n**2) / math.sqrt(2 * math.pi))
    elif name == "gelu":
        # 1 + tanh(u) cancels in float32 for u << 0 (in torch's float32 kernel as well).
        atol, gatol = 1e-7, 3e-6
    np.testing.assert_allclose(ya.detach().numpy(), y64, rtol=6e-7 * 8, atol=atol)
    np.testing.assert_allclose(xa.grad.numpy(), gx64, rtol=6e-7 * 8, atol=gatol)
    x32 = torch.tensor(x, requires_grad=True)
    y32 = fn(x32, **kw)
    y32.backward(torch.tensor(g))
    np.testing.assert_allclose(ya.detach().numpy(), y32.detach().numpy(), rtol=5e-6, atol=2e-6)
    np.testing.assert_allclose(xa.grad.numpy(), x32.grad.numpy(), rtol=5e-6, atol=max(gatol, 2e-6))


def test_extreme_inputs_stay_finite(torch) -> None:
    x = np.array([-1e4, -200.0, -90.0, 90.0, 200.0, 1e4], dtype=np.float32)
    for name, _, kw, _ in ACTS:
        y = getattr(F, name)(ax.tensor(x), **kw).numpy()
        want = getattr(torch.nn.functional, name)(torch.tensor(x), **kw).numpy()
        assert np.all(np.isfinite(y)), name
        np.testing.assert_allclose(y, want, rtol=1e-6, atol=1e-30, err_msg=name)


def test_nan_propagates() -> None:
    x = ax.tensor([float("nan"), 1.0])
    for name, _, kw, _ in ACTS:
        if name == "threshold":
            continue
        assert math.isnan(getattr(F, name)(x, **kw)[0].item()), name


def test_sum_backward_broadcast_gradient(torch) -> None:
    # y.sum().backward() hands the kernel a stride-0 gradient; it must read it as one value.
    x = np.linspace(-3, 3, 1001)
    for name, _, kw, _ in ACTS:
        xa, xt = ax.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        getattr(F, name)(xa, **kw).sum().backward()
        getattr(torch.nn.functional, name)(xt, **kw).sum().backward()
        np.testing.assert_allclose(
            xa.grad.numpy(), xt.grad.numpy(), rtol=1e-6, atol=1e-12, err_msg=name
        )


@pytest.mark.parametrize("name", ["gelu", "silu", "mish", "elu", "softplus", "sigmoid", "tanh"])
def test_second_derivative_matches_torch(torch, name: str) -> None:
    x = np.linspace(-2.5, 2.5, 11) + 0.013
    xa, xt = ax.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    (ga,) = ax.autograd.grad(getattr(F, name)(xa).sum(), xa, create_graph=True)
    (gt,) = torch.autograd.grad(getattr(torch.nn.functional, name)(xt).sum(), xt, create_graph=True)
    (gga,) = ax.autograd.grad((ga * ga).sum(), xa)
    (ggt,) = torch.autograd.grad((gt * gt).sum(), xt)
    np.testing.assert_allclose(gga.numpy(), ggt.numpy(), rtol=1e-10, atol=1e-12)


# ---- graph ------------------------------------------------------------------------------------

NODE_NAMES = {
    "relu": "ReluBackward0",
    "relu6": "HardtanhBackward0",
    "leaky_relu": "LeakyReluBackward0",
    "elu": "EluBackward0",
    "selu": "EluBackward0",
    "celu": "CeluBackward0",
    "gelu": "GeluBackward0",
    "silu": "SiluBackward0",
    "mish": "MishBackward0",
    "softplus": "SoftplusBackward0",
    "hardtanh": "HardtanhBackward0",
    "hardsigmoid": "HardsigmoidBackward0",
    "hardswish": "HardswishBackward0",
    "logsigmoid": "LogSigmoidBackward0",
    "sigmoid": "SigmoidBackward0",
    "tanh": "TanhBackward0",
}


@pytest.mark.parametrize(("name", "node"), list(NODE_NAMES.items()))
def test_node_names_match_torch(torch, name: str, node: str) -> None:
    x = ax.randn(3, requires_grad=True)
    assert getattr(F, name)(x).grad_fn.name() == node
    xt = torch.randn(3, requires_grad=True)
    assert getattr(torch.nn.functional, name)(xt).grad_fn.name() == node


def test_other_node_names() -> None:
    x = ax.randn(3, requires_grad=True)
    assert F.threshold(x, 0.1, 0.0).grad_fn.name() == "ThresholdBackward0"
    assert F.prelu(x, ax.tensor([0.2])).grad_fn.name() == "PreluKernelBackward0"
    (g,) = ax.autograd.grad(F.gelu(x).sum(), x, create_graph=True)
    assert g.grad_fn.name() == "GeluBackwardBackward0"


def test_results_do_not_depend_on_thread_count() -> None:
    x = ax.tensor(
        np.random.default_rng(0).uniform(-12, 12, 200_003).astype(np.float32), requires_grad=True
    )
    g = ax.randn(200_003)
    old = ax.get_num_threads()
    try:
        outs = []
        for nt in (1, 2, 3):
            ax.set_num_threads(nt)
            res = []
            for name, _, kw, _ in ACTS:
                y = getattr(F, name)(x, **kw)
                (gx,) = ax.autograd.grad(y, x, g)
                res += [y.detach().numpy(), gx.numpy()]
            outs.append(res)
    finally:
        ax.set_num_threads(old)
    for other in outs[1:]:
        for a, b in zip(outs[0], other, strict=True):
            assert np.array_equal(a, b)


# ---- in-place forms ---------------------------------------------------------------------------

INPLACE = [
    ("relu_", {}),
    ("elu_", {"alpha": 0.7}),
    ("selu_", {}),
    ("celu_", {"alpha": 1.5}),
    ("leaky_relu_", {"negative_slope": 0.1}),
    ("hardtanh_", {"min_val": -0.5, "max_val": 0.5}),
    ("threshold_", {"threshold": 0.1, "value": 3.0}),
]


@pytest.mark.parametrize(("name", "kw"), INPLACE, ids=[n for n, _ in INPLACE])
def test_inplace_forms_match_torch(torch, name: str, kw: dict[str, Any]) -> None:
    x = np.random.default_rng(1).uniform(-2, 2, (4, 5))
    xa = ax.tensor(x)
    v = xa._version
    out = getattr(F, name)(xa, **kw)
    assert out is xa
    assert xa._version == v + 1
    xt = torch.tensor(x)
    getattr(torch.nn.functional, name)(xt, **kw)
    np.testing.assert_allclose(xa.numpy(), xt.numpy(), rtol=1e-12)
    # Under autograd: the op rebases the history onto its node; gradients match torch.
    pa = ax.tensor(x, requires_grad=True)
    pt = torch.tensor(x, requires_grad=True)
    ya, yt = pa * 1.5, pt * 1.5
    getattr(F, name)(ya, **kw)
    getattr(torch.nn.functional, name)(yt, **kw)
    assert ya.grad_fn.name() == yt.grad_fn.name()
    (ya * ya).sum().backward()
    (yt * yt).sum().backward()
    np.testing.assert_allclose(pa.grad.numpy(), pt.grad.numpy(), rtol=1e-12)


@pytest.mark.parametrize(
    "name",
    [
        "relu",
        "relu6",
        "leaky_relu",
        "elu",
        "selu",
        "celu",
        "silu",
        "mish",
        "hardtanh",
        "hardsigmoid",
        "hardswish",
    ],
)
def test_inplace_flag_matches_out_of_place(name: str) -> None:
    x = np.random.default_rng(2).uniform(-4, 4, (6, 7))
    want = getattr(F, name)(ax.tensor(x)).numpy()
    xa = ax.tensor(x)
    v = xa._version
    assert getattr(F, name)(xa, inplace=True) is xa
    assert xa._version == v + 1
    np.testing.assert_allclose(xa.numpy(), want, rtol=1e-15)
    # Non-contiguous target: the result lands in the viewed elements of the base.
    base = ax.tensor(x.copy())
    getattr(F, name)(base.t(), inplace=True)
    np.testing.assert_allclose(base.numpy(), want, rtol=1e-15)
    # With autograd through a clone: gradient as the out-of-place op gives.
    p = ax.tensor(x, requires_grad=True)
    getattr(F, name)(p * 1.0, inplace=True).sum().backward()
    q = ax.tensor(x, requires_grad=True)
    getattr(F, name)(q).sum().backward()
    np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-15)


def test_inplace_module_bumps_version() -> None:
    x = ax.randn(3, 4)
    v = x._version
    assert nn.ReLU(inplace=True)(x) is x
    assert x._version == v + 1
    assert float(x.min()) >= 0


def test_inplace_on_leaf_requiring_grad_raises() -> None:
    with pytest.raises(RuntimeError, match="leaf Variable"):
        F.relu_(ax.randn(3, requires_grad=True))


def test_inplace_then_modified_saved_output_raises() -> None:
    x = ax.randn(5, requires_grad=True)
    y = F.sigmoid(x)
    y.mul_(2)  # sigmoid's backward needs its output
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


# ---- PReLU, step, heaviside ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("c", "shape"),
    [(1, (4, 3, 5, 5)), (3, (4, 3, 5, 5)), (6, (7, 6)), (1, (9,)), (2, (2, 2, 0)), (0, (2, 0, 3))],
)
def test_prelu_module_gradients_match_torch(torch, c: int, shape: tuple[int, ...]) -> None:
    x = np.random.default_rng(4).standard_normal(shape).astype(np.float32)
    m, mt = nn.PReLU(c), torch.nn.PReLU(c)
    assert list(m.state_dict()) == list(mt.state_dict()) == ["weight"]
    np.testing.assert_array_equal(m.weight.detach().numpy(), mt.weight.detach().numpy())
    xa, xt = ax.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ya, yt = m(xa), mt(xt)
    np.testing.assert_allclose(ya.detach().numpy(), yt.detach().numpy(), rtol=1e-6)
    g = np.random.default_rng(5).standard_normal(shape).astype(np.float32)
    ya.backward(ax.tensor(g))
    yt.backward(torch.tensor(g))
    np.testing.assert_allclose(xa.grad.numpy(), xt.grad.numpy(), rtol=1e-6)
    np.testing.assert_allclose(m.weight.grad.numpy(), mt.weight.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_prelu_errors() -> None:
    x = ax.randn(2, 3, 4)
    with pytest.raises(RuntimeError, match=r"prelu: mismatch of parameter numbers.*= 4.*= 3"):
        F.prelu(x, ax.ones(4))
    with pytest.raises(RuntimeError, match=r"prelu: .*ndim = 2"):
        F.prelu(x, ax.ones(3, 1))
    with pytest.raises(TypeError, match="prelu: type promotion"):
        F.prelu(x, ax.ones(3, dtype=ax.float64))
    with pytest.raises(TypeError, match="prelu: expected a floating-point input"):
        F.prelu(ax.tensor([1, -2]), ax.tensor([1]))
    with pytest.raises(RuntimeError, match="channel size = 1"):
        F.prelu(ax.randn(3), ax.ones(3))  # a 1-d input has one channel


def test_step_module_and_zero_gradient() -> None:
    x = ax.tensor([-1.0, 0.0, 0.5, 2.0], requires_grad=True)
    y = nn.Step()(x)
    assert y.tolist() == [0.0, 0.0, 1.0, 1.0]
    assert nn.Step(threshold=0.5, value=0.25)(x).tolist() == [0.0, 0.0, 0.25, 1.0]
    y.sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0, 0.0]
    assert repr(nn.Step()) == "Step(threshold=0.0, value=0.0)"


def test_heaviside_matches_torch(torch) -> None:
    x = np.array([[-1.5, 0.0, 2.0], [0.0, 3.0, -0.1]])
    v = np.array([0.5, 0.25, 0.75])
    got = ax.heaviside(ax.tensor(x), ax.tensor(v))
    np.testing.assert_array_equal(
        got.numpy(), torch.heaviside(torch.tensor(x), torch.tensor(v)).numpy()
    )
    xi = ax.tensor([-2, 0, 3])
    assert ax.heaviside(xi, ax.tensor(7)).tolist() == [0, 7, 1]
    assert ax.tensor([0.0, 1.0]).heaviside(ax.tensor(0.5)).tolist() == [0.5, 1.0]
    with pytest.raises(RuntimeError, match=r"heaviside: .*different dtypes"):
        ax.heaviside(ax.tensor([1.0]), ax.tensor([1.0], dtype=ax.float64))


# ---- modules ----------------------------------------------------------------------------------

MODULES = [
    ("ReLU", (), {}),
    ("ReLU", (True,), {}),
    ("ReLU6", (), {}),
    ("ReLU6", (), {"inplace": True}),
    ("LeakyReLU", (), {}),
    ("LeakyReLU", (0.2, True), {}),
    ("PReLU", (), {}),
    ("PReLU", (3, 0.1), {}),
    ("ELU", (), {}),
    ("ELU", (0.5, True), {}),
    ("SELU", (), {}),
    ("SELU", (True,), {}),
    ("CELU", (), {}),
    ("CELU", (2.0,), {"inplace": True}),
    ("GELU", (), {}),
    ("GELU", ("tanh",), {}),
    ("SiLU", (), {}),
    ("SiLU", (True,), {}),
    ("Mish", (), {}),
    ("Mish", (True,), {}),
    ("Softplus", (), {}),
    ("Softplus", (2, 10), {}),
    ("Softsign", (), {}),
    ("Hardtanh", (), {}),
    ("Hardtanh", (-2, 2, True), {}),
    ("Hardsigmoid", (), {}),
    ("Hardsigmoid", (True,), {}),
    ("Hardswish", (), {}),
    ("Hardswish", (True,), {}),
    ("LogSigmoid", (), {}),
    ("Sigmoid", (), {}),
    ("Tanh", (), {}),
    ("Softmax", (), {}),
    ("Softmax", (1,), {}),
    ("LogSoftmax", (), {"dim": -1}),
    ("Softmin", (0,), {}),
    ("Threshold", (0.1, 20), {}),
    ("Threshold", (0.1, 20, True), {}),
]


@pytest.mark.parametrize(("cls", "args", "kw"), MODULES, ids=lambda v: str(v))
def test_module_repr_matches_torch(torch, cls: str, args: tuple, kw: dict[str, Any]) -> None:
    assert repr(getattr(nn, cls)(*args, **kw)) == repr(getattr(torch.nn, cls)(*args, **kw))


@pytest.mark.parametrize(
    ("cls", "args", "kw"),
    [m for m in MODULES if not m[0].startswith(("Softm", "LogSoftm"))],
    ids=lambda v: str(v),
)
def test_module_forward_backward_matches_torch(
    torch, cls: str, args: tuple, kw: dict[str, Any]
) -> None:
    x = np.random.default_rng(6).uniform(-4, 4, (4, 3, 5))
    m, mt = getattr(nn, cls)(*args, **kw).double(), getattr(torch.nn, cls)(*args, **kw).double()
    pa, pt = ax.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ya, yt = m(pa * 1.0), mt(pt * 1.0)
    np.testing.assert_allclose(ya.detach().numpy(), yt.detach().numpy(), rtol=1e-12, atol=1e-14)
    (ya * ya).sum().backward()
    (yt * yt).sum().backward()
    # torch's float64 hardsigmoid backward multiplies by a float32 1/6 (2^-25 off); ours is exact.
    rtol = 1e-7 if cls == "Hardsigmoid" else 1e-12
    np.testing.assert_allclose(pa.grad.numpy(), pt.grad.numpy(), rtol=rtol, atol=1e-14)


def test_prelu_module_state() -> None:
    m = nn.PReLU(4, init=0.3)
    assert m.num_parameters == 4
    assert m.weight.shape == (4,)
    assert m.weight.requires_grad
    np.testing.assert_allclose(m.weight.detach().numpy(), 0.3, rtol=1e-7)
    m.weight.detach().fill_(1.0)
    m.reset_parameters()
    np.testing.assert_allclose(m.weight.detach().numpy(), 0.3, rtol=1e-7)
    assert m.double().weight.dtype == ax.float64


# ---- errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "leaky_relu",
        "elu",
        "selu",
        "celu",
        "gelu",
        "silu",
        "mish",
        "softplus",
        "hardsigmoid",
        "hardswish",
        "logsigmoid",
    ],
)
def test_integer_inputs_raise_type_error(name: str) -> None:
    op = "elu" if name == "selu" else name  # selu runs the elu kernel (as in PyTorch)
    with pytest.raises(TypeError, match=f"{op}: expected a floating-point tensor.*int64"):
        getattr(F, name)(ax.tensor([1, -2, 3]))


def test_integer_inputs_where_torch_defines_them(torch) -> None:
    x = [-3, 1, 9]
    for name, kw in [
        ("relu", {}),
        ("relu6", {}),
        ("hardtanh", {"min_val": -1.5, "max_val": 2.5}),
        ("threshold", {"threshold": 0.5, "value": 7.9}),
        ("sigmoid", {}),
        ("tanh", {}),
        ("softsign", {}),
    ]:
        got = getattr(F, name)(ax.tensor(x), **kw)
        want = getattr(torch.nn.functional, name)(torch.tensor(x), **kw)
        assert str(got.dtype).split(".")[-1] == str(want.dtype).split(".")[-1], name
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6, err_msg=name)
    with pytest.raises(TypeError, match="relu: Boolean"):
        F.relu(ax.tensor([True, False]))


def test_bad_arguments() -> None:
    x = ax.randn(3)
    with pytest.raises(ValueError, match="gelu: approximate argument must be either"):
        F.gelu(x, approximate="fast")
    with pytest.raises(RuntimeError, match="alpha cannot be 0 for CELU"):
        F.celu(x, 0.0)
    with pytest.raises(ValueError, match="min_val cannot be greater than max_val"):
        F.hardtanh(x, 2.0, 1.0)
    with pytest.raises(ValueError, match="min_val cannot be greater than max_val"):
        nn.Hardtanh(2.0, 1.0)
    with pytest.raises(TypeError, match="sigmoid_: result type float32 can't be cast"):
        ax._C._nn.sigmoid_(ax.tensor([1, 2]))
