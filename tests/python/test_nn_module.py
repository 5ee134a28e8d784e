"""Module system: registration, traversal, train/eval, dtype conversion, state_dict round trips
and error reports, hooks, containers and repr, checked against PyTorch's behaviour."""

from __future__ import annotations

import copy
from collections import OrderedDict

import numpy as np
import pytest

import axonite as ax
from axonite import nn


class Affine(nn.Module):
    """A minimal layer built only from the Module API (no library layers)."""

    def __init__(self, n_in: int, n_out: int, bias: bool = True) -> None:
        super().__init__()
        self.n_in, self.n_out = n_in, n_out
        self.weight = nn.Parameter(ax.randn(n_out, n_in))
        if bias:
            self.bias = nn.Parameter(ax.zeros(n_out))
        else:
            self.register_parameter("bias", None)
        self.register_buffer("calls", ax.zeros((), dtype=ax.int64))
        self.register_buffer("scratch", ax.zeros(2), persistent=False)

    def forward(self, x: ax.Tensor) -> ax.Tensor:
        y = x @ self.weight.T
        return y + self.bias if self.bias is not None else y

    def extra_repr(self) -> str:
        return f"in={self.n_in}, out={self.n_out}"


class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Sequential(Affine(4, 8), Affine(8, 8, bias=False))
        self.heads = nn.ModuleDict({"a": Affine(8, 2), "b": Affine(8, 3)})
        self.extra = nn.ModuleList([Affine(2, 2) for _ in range(2)])
        self.scale = nn.Parameter(ax.ones(1))

    def forward(self, x: ax.Tensor) -> ax.Tensor:
        h = self.body(x)
        return self.heads["a"](h) * self.scale


def test_registration_and_traversal() -> None:
    net = Net()
    names = [n for n, _ in net.named_parameters()]
    assert names == [
        "scale",
        "body.0.weight",
        "body.0.bias",
        "body.1.weight",
        "heads.a.weight",
        "heads.a.bias",
        "heads.b.weight",
        "heads.b.bias",
        "extra.0.weight",
        "extra.0.bias",
        "extra.1.weight",
        "extra.1.bias",
    ]
    assert all(isinstance(p, nn.Parameter) and p.requires_grad for p in net.parameters())
    assert [n for n, _ in net.named_children()] == ["body", "heads", "extra"]
    assert len(list(net.modules())) == 1 + 3 + 3 + 3  # Net, three containers, six Affines
    assert [n for n, _ in net.named_buffers()][:2] == ["body.0.calls", "body.0.scratch"]
    assert net.get_submodule("heads.b").n_out == 3
    assert net.get_parameter("body.0.bias") is net.body[0].bias
    with pytest.raises(AttributeError):
        net.get_submodule("body.7")


def test_state_dict_keys_and_persistence() -> None:
    net = Net()
    sd = net.state_dict()
    assert "body.0.calls" in sd and "body.0.scratch" not in sd  # non-persistent buffer
    assert "body.1.bias" not in sd  # None parameter
    assert not any(t.requires_grad for t in sd.values())
    sd2 = net.state_dict(keep_vars=True)
    assert sd2["scale"] is net.scale


def test_shared_parameter_listed_once() -> None:
    a = Affine(3, 3)
    seq = nn.Sequential(a, a)
    assert len(list(seq.parameters())) == 2
    assert len(list(seq.named_parameters(remove_duplicate=False))) == 4


def test_state_dict_round_trip_and_strict_errors() -> None:
    src, dst = Net(), Net()
    res = dst.load_state_dict(src.state_dict())
    assert res.missing_keys == [] and res.unexpected_keys == []
    for (n, p), (_, q) in zip(src.named_parameters(), dst.named_parameters(), strict=True):
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy(), err_msg=n)
    sd = src.state_dict()
    del sd["scale"]
    sd["bogus.key"] = ax.zeros(1)
    sd["body.0.weight"] = ax.zeros(5, 5)
    with pytest.raises(RuntimeError) as e:
        dst.load_state_dict(sd)
    msg = str(e.value)
    assert "Error(s) in loading state_dict for Net" in msg
    assert 'Missing key(s) in state_dict: "scale"' in msg
    assert 'Unexpected key(s) in state_dict: "bogus.key"' in msg
    assert "size mismatch for body.0.weight" in msg
    del sd["body.0.weight"]
    res = dst.load_state_dict(sd, strict=False)
    assert res.missing_keys == ["scale", "body.0.weight"]
    assert res.unexpected_keys == ["bogus.key"]
    with pytest.raises(TypeError):
        dst.load_state_dict([1, 2])


def test_load_keeps_parameter_identity_and_dtype() -> None:
    net = Net()
    p = net.body[0].weight
    new = {
        k: ax.ones(*v.shape, dtype=ax.float64)
        for k, v in net.state_dict().items()
        if v.dtype.is_floating_point
    }
    net.load_state_dict(new, strict=False)
    assert net.body[0].weight is p and p.dtype == ax.float32
    np.testing.assert_array_equal(p.detach().numpy(), np.ones((8, 4), np.float32))
    net.load_state_dict({k: ax.zeros(*v.shape) for k, v in new.items()}, strict=False, assign=True)
    assert isinstance(net.body[0].weight, nn.Parameter) and net.body[0].weight is not p


def test_train_eval_requires_grad_zero_grad() -> None:
    net = Net()
    assert net.training and net.body[1].training
    net.eval()
    assert not any(m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())
    with pytest.raises(ValueError, match="boolean"):
        net.train("yes")  # type: ignore[arg-type]
    out = net(ax.randn(5, 4)).sum()
    out.backward()
    assert all(p.grad is not None for p in net.body.parameters())
    net.zero_grad(set_to_none=False)
    assert all(float(p.grad.abs().sum()) == 0 for p in net.body.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())
    net.body.requires_grad_(False)
    assert not any(p.requires_grad for p in net.body.parameters())
    assert net.scale.requires_grad


def test_to_double_keeps_identity_and_integer_buffers() -> None:
    net = Net()
    w = net.body[0].weight
    net(ax.randn(2, 4)).sum().backward()
    net.double()
    assert net.body[0].weight is w and w.dtype == ax.float64 and w.grad.dtype == ax.float64
    assert net.body[0].calls.dtype == ax.int64
    assert net(ax.randn(2, 4, dtype=ax.float64)).dtype == ax.float64
    net.float()
    assert w.dtype == ax.float32
    with pytest.raises(RuntimeError, match="CUDA"):
        net.cuda()


def test_apply_visits_children_first() -> None:
    seen: list[str] = []
    Net().apply(lambda m: seen.append(type(m).__name__))
    assert seen[-1] == "Net" and seen[0] == "Affine"


def test_setattr_rules() -> None:
    m = Affine(2, 2)
    with pytest.raises(TypeError, match="parameter 'weight'"):
        m.weight = ax.zeros(2, 2)
    m.weight = None
    assert "weight" in m._parameters and m.weight is None
    m.calls = ax.ones((), dtype=ax.int64)  # plain tensor into an existing buffer slot
    assert m._buffers["calls"].item() == 1
    m.state = nn.Buffer(ax.ones(3), persistent=False)
    assert "state" in m._buffers and "state" not in m.state_dict()
    del m.state
    assert "state" not in m._buffers
    with pytest.raises(KeyError, match="contain"):
        m.register_buffer("a.b", ax.zeros(1))
    with pytest.raises(TypeError):
        m.register_parameter("p", ax.zeros(1))
    with pytest.raises(AttributeError):
        _ = m.missing_attribute

    class Early(nn.Module):
        def __init__(self) -> None:
            self.w = nn.Parameter(ax.zeros(1))

    with pytest.raises(AttributeError, match=r"before Module\.__init__"):
        Early()


def test_forward_hooks() -> None:
    m = Affine(2, 2)
    calls: list[str] = []

    def pre(mod, args):
        calls.append("pre")
        return (args[0] * 0,)

    def post(mod, args, out):
        calls.append("post")
        return out + 1

    h1 = m.register_forward_pre_hook(pre)
    h2 = m.register_forward_hook(post)
    out = m(ax.randn(3, 2))
    np.testing.assert_allclose(out.detach().numpy(), np.ones((3, 2)), atol=1e-6)
    assert calls == ["pre", "post"]
    h1.remove()
    with h2:
        pass
    out = m(ax.ones(1, 2))
    assert calls == ["pre", "post"]
    seen = {}
    m.register_forward_pre_hook(lambda mod, a, kw: seen.update(kw), with_kwargs=True)

    class KW(nn.Module):
        def forward(self, x, *, scale=1.0):
            return x * scale

    k = KW()
    k.register_forward_pre_hook(lambda mod, a, kw: (a, {"scale": 3.0}), with_kwargs=True)
    assert k(ax.ones(1), scale=2.0).item() == 3.0


def test_missing_forward_message() -> None:
    with pytest.raises(NotImplementedError, match='missing the required "forward"'):
        nn.Module()(ax.ones(1))


def test_sequential_indexing_slicing_and_editing() -> None:
    layers = [Affine(3, 3) for _ in range(4)]
    seq = nn.Sequential(*layers)
    assert seq[0] is layers[0] and seq[-1] is layers[3]
    sub = seq[1:3]
    assert isinstance(sub, nn.Sequential) and list(sub) == layers[1:3]
    assert list(sub._modules) == ["1", "2"]  # PyTorch keeps the original keys in a slice
    with pytest.raises(IndexError):
        seq[4]
    del seq[1]
    assert list(seq._modules) == ["0", "1", "2"] and seq[1] is layers[2]
    seq.append(layers[1])
    seq.insert(0, Affine(3, 3))
    assert len(seq) == 5
    named = nn.Sequential(OrderedDict([("first", Affine(3, 3)), ("second", Affine(3, 1))]))
    assert named.second.n_out == 1 and named(ax.randn(2, 3)).shape == (2, 1)
    assert next(iter(named.state_dict())) == "first.weight"


def test_modulelist_moduledict_parameterlist() -> None:
    ml = nn.ModuleList([Affine(1, 1)])
    ml.append(Affine(1, 1))
    ml += [Affine(1, 1)]
    assert len(ml) == 3 and isinstance(ml[1:], nn.ModuleList)
    del ml[0]
    assert list(ml._modules) == ["0", "1"]
    md = nn.ModuleDict([("x", Affine(1, 1))])
    md["y"] = Affine(1, 2)
    assert list(md) == ["x", "y"] and "y" in md and len(md) == 2
    assert [k for k, _ in md.items()] == ["x", "y"]
    pl = nn.ParameterList([ax.zeros(2), nn.Parameter(ax.ones(3))])
    assert all(isinstance(p, nn.Parameter) for p in pl) and len(pl) == 2
    assert [n for n, _ in pl.named_parameters()] == ["0", "1"]
    pd = nn.ParameterDict({"a": ax.zeros(1)})
    assert isinstance(pd["a"], nn.Parameter) and list(pd.keys()) == ["a"]


def test_repr_like_pytorch() -> None:
    seq = nn.Sequential(Affine(2, 3), nn.ModuleList([Affine(3, 3)] * 3))
    assert repr(seq) == (
        "Sequential(\n"
        "  (0): Affine(in=2, out=3)\n"
        "  (1): ModuleList(\n"
        "    (0-2): 3 x Affine(in=3, out=3)\n"
        "  )\n"
        ")"
    )
    assert repr(nn.Parameter(ax.ones(2))).startswith("Parameter containing:\ntensor([1., 1.]")


def test_deepcopy_is_independent() -> None:
    net = Net()
    net(ax.randn(2, 4)).sum().backward()
    clone = copy.deepcopy(net)
    assert isinstance(clone.scale, nn.Parameter) and clone.scale is not net.scale
    assert clone.scale.grad is not None and clone.scale.grad is not net.scale.grad
    with ax.no_grad():
        clone.scale.mul_(5)
    assert net.scale.item() == 1.0
    y = ax.ones(2, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="graph leaves"):
        copy.deepcopy(y)


def test_load_pytorch_state_dict(torch) -> None:
    tm = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2))
    tm.register_buffer("calls", torch.zeros((), dtype=torch.int64))

    class Mirror(nn.Sequential):
        def __init__(self) -> None:
            super().__init__(Affine(4, 8), _Relu(), Affine(8, 2))
            self.register_buffer("calls", ax.zeros((), dtype=ax.int64))

    class _Relu(nn.Module):
        def forward(self, x):
            return x.relu()

    am = Mirror()
    # Affine registers a "calls" buffer of its own that torch.nn.Linear does not have.
    res = am.load_state_dict(tm.state_dict(), strict=False)
    assert res.missing_keys == ["0.calls", "2.calls"] and res.unexpected_keys == []
    x = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    want = tm(torch.tensor(x)).detach().numpy()
    got = am(ax.tensor(x)).detach().numpy()
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_pytorch_safetensors_checkpoint_gives_same_outputs(torch, tmp_path) -> None:
    st = pytest.importorskip("safetensors.torch")
    tn = torch.nn
    tm = tn.Sequential(
        tn.Linear(6, 16),
        tn.BatchNorm1d(16),
        tn.GELU(),
        tn.Dropout(0.3),
        tn.LayerNorm(16),
        tn.Linear(16, 4),
    )
    tm.train()
    for _ in range(3):  # move the running statistics away from their initial values
        tm(torch.randn(8, 6))
    tm.eval()
    path = tmp_path / "torch_model.safetensors"
    st.save_file(tm.state_dict(), str(path))

    am = nn.Sequential(
        nn.Linear(6, 16),
        nn.BatchNorm1d(16),
        nn.GELU(),
        nn.Dropout(0.3),
        nn.LayerNorm(16),
        nn.Linear(16, 4),
    )
    assert list(am.state_dict()) == list(tm.state_dict())
    am.load_state_dict(ax.load(str(path)))
    am.eval()
    x = np.random.default_rng(3).standard_normal((5, 6)).astype(np.float32)
    want = tm(torch.tensor(x)).detach().numpy()
    got = am(ax.tensor(x)).detach().numpy()
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    # and back: axonite's file loads into PyTorch
    back = tmp_path / "ax_model.safetensors"
    ax.save(am.state_dict(), str(back))
    tm2 = tn.Sequential(
        tn.Linear(6, 16),
        tn.BatchNorm1d(16),
        tn.GELU(),
        tn.Dropout(0.3),
        tn.LayerNorm(16),
        tn.Linear(16, 4),
    ).eval()
    tm2.load_state_dict(st.load_file(str(back)))
    np.testing.assert_allclose(tm2(torch.tensor(x)).detach().numpy(), want, rtol=1e-5, atol=1e-5)
