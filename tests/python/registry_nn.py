"""The nn half of the op registry: one Entry per public callable of ``axonite.nn.functional``
(keyed ``F.<name>``) and ``axonite.nn`` (keyed ``nn.<Name>``), with OpSpec rows (forward vs
NumPy where a reference exists, float64 gradcheck/gradgradcheck, PyTorch parity of values,
input gradients and parameter gradients) and ErrorCases (bad input that must raise a clear
exception naming the op and the argument).

Functional rows reuse the tables of the per-family test files (activations, softmax, layers,
losses, normalization) and add the families those files check without OpSpec (conv, pooling,
resizing, sampling, padding, dropout masks, in-place forms). Module rows are built by
``mspec``: the module's parameters become OpSpec inputs, so the same row checks the gradient
of every parameter, and PyTorch runs its own module class with those exact values through
``torch.func.functional_call``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import test_nn_activation
import test_nn_layers
import test_nn_loss
import test_nn_normalization
import test_nn_softmax
from op_registry import Entry, ErrorCase, module_spec
from opspec import OpSpec

import axonite as ax
import axonite.nn.functional as F
from axonite import nn

Maker = Callable[[np.random.Generator], list[np.ndarray]]


def _tF() -> Any:
    import torch.nn.functional as tf

    return tf


def _lib(t: Any) -> tuple[Any, Any]:
    """(nn, functional) of the library that tensor ``t`` belongs to."""
    if isinstance(t, ax.Tensor):
        return nn, F
    import torch

    return torch.nn, torch.nn.functional


def _flat(out: Any) -> tuple[Any, ...]:
    """Nested tuples of outputs (RNN (out, (h, c)), ASM namedtuples) as one flat tuple."""
    if isinstance(out, tuple | list):
        return tuple(y for x in out for y in _flat(x))
    return (out,)


def _uniform(*shapes: tuple[int, ...], low: float = -2.0, high: float = 2.0) -> Maker:
    return lambda r: [r.uniform(low, high, s) for s in shapes]


_away = test_nn_activation._away  # inputs kept off an activation's kinks


# ---- functional rows --------------------------------------------------------------------------


def fspec(name: str, body: Callable[..., Any], ref: Any, make: Maker, **kw: Any) -> OpSpec:
    """An OpSpec whose body(F, *tensors) runs with axonite's F and with torch's."""
    return OpSpec(
        name,
        lambda *a: body(F, *a),
        ref,
        make_inputs=make,
        torch_fn=lambda *a: body(_tF(), *a),
        **kw,
    )


def _affine_mask(op: Callable[[Any], Any], shape: tuple[int, ...], seed: int = 7) -> OpSpec:
    """A random-mask op (dropout family) as ``x * A + B``: A and B come from axonite's own
    mask under a fixed seed, and torch applies the same affine map, so parity checks the
    scaling and the gradient while gradcheck sees one fixed mask."""

    def ax_fn(x: ax.Tensor) -> ax.Tensor:
        ax.manual_seed(seed)
        return op(x)

    def torch_fn(x: Any) -> Any:
        import torch

        ax.manual_seed(seed)
        b = op(ax.zeros(*shape, dtype=ax.float64)).numpy()
        ax.manual_seed(seed)
        a = op(ax.ones(*shape, dtype=ax.float64)).numpy() - b
        return x * torch.tensor(a) + torch.tensor(b)

    return OpSpec("mask", ax_fn, None, make_inputs=_uniform(shape), torch_fn=torch_fn)


def _named(spec: OpSpec, name: str) -> OpSpec:
    spec.name = name
    return spec


def _dropout_specs(fname: str, shape: tuple[int, ...], p: float) -> list[OpSpec]:
    fn = getattr(F, fname)
    return [
        _named(_affine_mask(lambda x: fn(x, p, True), shape), f"{fname}_p{p}_train"),
        fspec(
            f"{fname}_eval",
            lambda F_, x: getattr(F_, fname)(x, p, False),
            lambda x: x,
            _uniform(shape),
        ),
    ]


def _conv(dim: int, transposed: bool = False, **kw: Any) -> Callable[..., Any]:
    name = f"conv_transpose{dim}d" if transposed else f"conv{dim}d"
    return lambda F_, x, w, b: getattr(F_, name)(x, w, b, **kw)


def _pool(name: str, *args: Any, **kw: Any) -> Callable[..., Any]:
    return lambda F_, x: getattr(F_, name)(x, *args, **kw)


def _unpool(dim: int, k: int) -> Callable[..., Any]:
    def body(F_: Any, x: Any) -> Any:
        y, i = getattr(F_, f"max_pool{dim}d")(x, k, return_indices=True)
        return getattr(F_, f"max_unpool{dim}d")(y, i, k)

    return body


def _min_pool_torch(x: Any, *a: Any, **kw: Any) -> Any:
    return -_tF().max_pool2d(-x, *a, **kw)


def _step_torch(x: Any, threshold: float, value: float) -> Any:
    # Piecewise constant: zero gradient; `0 * x` keeps the graph connected for backward.
    return (x > threshold).to(x.dtype) + (x == threshold).to(x.dtype) * value + 0 * x


def _inplace(name: str, *args: Any) -> OpSpec:
    """The in-place form F.<name>_ on a fresh non-leaf copy vs torch's own in-place form."""
    kinks = {"relu_": (0.0,), "hardtanh_": (-1.0, 1.0), "threshold_": (0.5,)}.get(name, (0.0,))
    return fspec(
        f"{name}",
        lambda F_, x: getattr(F_, name)(x * 1.0, *args),
        None,
        _away(*kinks),
    )


def _grid(r: np.random.Generator) -> list[np.ndarray]:
    return [r.uniform(-1, 1, (1, 2, 3, 4)), r.uniform(-1.1, 1.1, (1, 2, 3, 2))]


def _one_hot(r: np.random.Generator) -> list[np.ndarray]:
    return [np.array([[0, 3], [2, 1]], dtype=np.int64)]


def _nearest_shape(r: np.random.Generator) -> list[np.ndarray]:
    return [r.uniform(-1, 1, (1, 2, 3, 3))]


def _pad(mode: str, pads: tuple[int, ...], shape: tuple[int, ...], **kw: Any) -> OpSpec:
    return fspec(
        f"pad_{mode}_{'_'.join(map(str, pads))}",
        lambda F_, x: F_.pad(x, pads, mode=mode, **kw),
        None,
        _uniform(shape),
    )


def _interp(label: str, shape: tuple[int, ...], fname: str = "interpolate", **kw: Any) -> OpSpec:
    return fspec(
        f"{fname}_{label}",
        lambda F_, x: getattr(F_, fname)(x, **kw),
        None,
        _uniform(shape),
        gradgrad=False,
    )


def _conv_specs() -> dict[str, list[OpSpec]]:
    u = _uniform
    return {
        "F.conv1d": [
            fspec("conv1d", _conv(1), None, u((2, 2, 5), (3, 2, 3), (3,))),
            fspec(
                "conv1d_stride_pad_dil",
                _conv(1, stride=2, padding=2, dilation=2),
                None,
                u((1, 2, 6), (2, 2, 2), (2,)),
            ),
            fspec("conv1d_groups", _conv(1, groups=2), None, u((1, 4, 5), (2, 2, 3), (2,))),
            fspec("conv1d_unbatched", _conv(1, padding="same"), None, u((2, 5), (2, 2, 3), (2,))),
        ],
        "F.conv2d": [
            fspec("conv2d", _conv(2), None, u((1, 2, 4, 4), (2, 2, 3, 3), (2,))),
            fspec(
                "conv2d_stride_pad",
                _conv(2, stride=2, padding=1),
                None,
                u((1, 2, 4, 5), (2, 2, 2, 3), (2,)),
            ),
            fspec(
                "conv2d_groups_dil",
                _conv(2, groups=2, dilation=(2, 1)),
                None,
                u((1, 2, 5, 3), (2, 1, 2, 2), (2,)),
            ),
            fspec(
                "conv2d_transposed_input",
                lambda F_, x, w, b: F_.conv2d(x.transpose(2, 3), w, b),
                None,
                u((1, 2, 3, 4), (2, 2, 2, 2), (2,)),
            ),
            fspec(
                "conv2d_zero_batch",
                _conv(2),
                None,
                u((0, 2, 3, 3), (2, 2, 2, 2), (2,)),
                gradgrad=False,
            ),
        ],
        "F.conv3d": [
            fspec(
                "conv3d",
                _conv(3, padding=1, stride=2),
                None,
                u((1, 2, 3, 3, 2), (2, 2, 2, 2, 2), (2,)),
                gradgrad=False,
            ),
        ],
        "F.conv_transpose1d": [
            fspec(
                "conv_transpose1d",
                _conv(1, True, stride=2, output_padding=1),
                None,
                u((1, 2, 4), (2, 3, 3), (3,)),
            ),
            fspec(
                "conv_transpose1d_groups",
                _conv(1, True, groups=2, padding=1),
                None,
                u((2, 4, 3), (4, 1, 3), (2,)),
            ),
        ],
        "F.conv_transpose2d": [
            fspec(
                "conv_transpose2d",
                _conv(2, True, stride=2, padding=1, output_padding=1),
                None,
                u((1, 2, 3, 3), (2, 2, 3, 3), (2,)),
            ),
            fspec(
                "conv_transpose2d_dilation",
                _conv(2, True, dilation=2),
                None,
                u((1, 2, 2, 3), (2, 1, 2, 2), (1,)),
            ),
        ],
        "F.conv_transpose3d": [
            fspec(
                "conv_transpose3d",
                _conv(3, True, stride=(1, 2, 1)),
                None,
                u((1, 2, 2, 2, 2), (2, 2, 2, 1, 2), (2,)),
                gradgrad=False,
            ),
        ],
    }


def _pool_specs() -> dict[str, list[OpSpec]]:
    u = _uniform
    specs: dict[str, list[OpSpec]] = {
        "F.max_pool1d": [
            fspec("max_pool1d", _pool("max_pool1d", 2), None, u((2, 3, 6))),
            fspec(
                "max_pool1d_pad_dil_ceil",
                _pool("max_pool1d", 3, stride=2, padding=1, dilation=1, ceil_mode=True),
                None,
                u((1, 2, 6)),
            ),
        ],
        "F.max_pool2d": [
            fspec("max_pool2d", _pool("max_pool2d", 2), None, u((1, 2, 4, 4))),
            fspec(
                "max_pool2d_stride_pad",
                _pool("max_pool2d", (3, 2), stride=(2, 1), padding=1),
                None,
                u((2, 1, 5, 4)),
            ),
            fspec(
                "max_pool2d_unbatched_T",
                lambda F_, x: F_.max_pool2d(x.transpose(1, 2), 2),
                None,
                u((2, 4, 5)),
            ),
        ],
        "F.max_pool3d": [fspec("max_pool3d", _pool("max_pool3d", 2), None, u((1, 2, 4, 4, 2)))],
        "F.avg_pool1d": [
            fspec("avg_pool1d", _pool("avg_pool1d", 3, 2, 1), None, u((2, 2, 7))),
            fspec(
                "avg_pool1d_ceil_nopadcount",
                _pool("avg_pool1d", 2, ceil_mode=True, padding=1, count_include_pad=False),
                None,
                u((1, 2, 5)),
            ),
        ],
        "F.avg_pool2d": [
            fspec("avg_pool2d", _pool("avg_pool2d", 2), None, u((1, 2, 4, 4))),
            fspec(
                "avg_pool2d_divisor",
                _pool("avg_pool2d", 3, stride=2, padding=1, divisor_override=4),
                None,
                u((1, 2, 5, 5)),
            ),
        ],
        "F.avg_pool3d": [
            fspec("avg_pool3d", _pool("avg_pool3d", 2, stride=1), None, u((1, 2, 3, 3, 2)))
        ],
        "F.min_pool2d": [
            OpSpec(
                "min_pool2d",
                lambda x: F.min_pool2d(x, 2, stride=1, padding=1),
                None,
                make_inputs=u((1, 2, 3, 4)),
                torch_fn=lambda x: _min_pool_torch(x, 2, stride=1, padding=1),
            )
        ],
    }
    for dim, shape in ((1, (2, 3, 7)), (2, (1, 2, 5, 4)), (3, (1, 2, 3, 4, 5))):
        out = (3, 2, 3)[:dim]
        for kind in ("avg", "max"):
            name = f"adaptive_{kind}_pool{dim}d"
            specs[f"F.{name}"] = [fspec(name, _pool(name, out), None, u(shape))]
        specs[f"F.max_unpool{dim}d"] = [
            fspec(f"max_unpool{dim}d", _unpool(dim, 2), None, u((1, 2, *(4,) * dim)))
        ]
    specs["F.adaptive_avg_pool2d"].append(
        fspec(
            "adaptive_avg_pool2d_none", _pool("adaptive_avg_pool2d", (None, 3)), None, u((2, 5, 4))
        )
    )
    return specs


def _resize_specs() -> dict[str, list[OpSpec]]:
    s4 = (1, 2, 3, 3)
    return {
        "F.interpolate": [
            _interp("nearest", s4, size=(5, 4)),
            _interp("nearest_exact", s4, scale_factor=1.7, mode="nearest-exact"),
            _interp("bilinear", s4, size=(4, 5), mode="bilinear", align_corners=False),
            _interp("bilinear_ac", s4, scale_factor=2, mode="bilinear", align_corners=True),
            _interp("linear", (1, 2, 4), size=7, mode="linear", align_corners=False),
            _interp("area", (1, 2, 5, 4), size=(2, 3), mode="area"),
            _interp("trilinear", (1, 1, 2, 3, 2), size=(3, 3, 3), mode="trilinear"),
        ],
        "F.upsample": [_interp("nearest", s4, fname="upsample", scale_factor=2)],
        "F.upsample_nearest": [_interp("size", s4, fname="upsample_nearest", size=(4, 5))],
        "F.upsample_bilinear": [_interp("scale", s4, fname="upsample_bilinear", scale_factor=2)],
        "F.pixel_shuffle": [
            fspec(
                "pixel_shuffle",
                lambda F_, x: F_.pixel_shuffle(x, 2),
                None,
                _uniform((1, 8, 2, 3)),
            )
        ],
        "F.pixel_unshuffle": [
            fspec(
                "pixel_unshuffle",
                lambda F_, x: F_.pixel_unshuffle(x, 2),
                None,
                _uniform((2, 4, 6)),
            )
        ],
        "F.grid_sample": [
            fspec(
                f"grid_sample_{mode}_{pm}_{ac}",
                lambda F_, x, g, mode=mode, pm=pm, ac=ac: F_.grid_sample(
                    x, g, mode=mode, padding_mode=pm, align_corners=ac
                ),
                None,
                _grid,
                gradgrad=False,  # torch has no double backward for grid_sampler_2d either
            )
            for mode, pm, ac in (
                ("bilinear", "zeros", False),
                ("bilinear", "border", True),
                ("bilinear", "reflection", False),
                ("nearest", "zeros", False),
            )
        ],
        "F.affine_grid": [
            fspec(
                f"affine_grid_ac{ac}",
                lambda F_, t, ac=ac: F_.affine_grid(t, (2, 1, 3, 4), align_corners=ac),
                None,
                _uniform((2, 2, 3)),
            )
            for ac in (False, True)
        ],
        "F.pad": [
            _pad("constant", (1, 2), (2, 3), value=0.5),
            _pad("constant", (1, 0, -1, 2), (2, 3, 4)),
            _pad("reflect", (2, 1), (1, 2, 4)),
            _pad("reflect", (1, 1, 2, 0), (1, 2, 3, 3)),
            _pad("replicate", (2, 1, 1, 1), (1, 2, 3, 3)),
            _pad("replicate", (1, 2, 0, 1, 1, 0), (1, 1, 2, 2, 3)),
            _pad("circular", (1, 2), (1, 2, 3)),
            _pad("circular", (1, 1, 2, 1), (1, 2, 3, 3)),
        ],
        "F.unfold": [
            fspec(
                "unfold",
                lambda F_, x: F_.unfold(x, (2, 3), padding=1, stride=(1, 2)),
                None,
                _uniform((1, 2, 3, 4)),
            )
        ],
        "F.fold": [
            fspec(
                "fold",
                lambda F_, x: F_.fold(x, (3, 4), (2, 2), stride=1),
                None,
                _uniform((2, 8, 6)),
            )
        ],
    }


def _misc_specs() -> dict[str, list[OpSpec]]:
    return {
        "F.one_hot": [
            OpSpec(
                "one_hot",
                lambda i: F.one_hot(i, 5),
                lambda i: np.eye(5, dtype=np.int64)[i],
                make_inputs=_one_hot,
                torch_fn=lambda i: _tF().one_hot(i, 5),
                grad=False,
            ),
            OpSpec(
                "one_hot_infer",
                lambda i: F.one_hot(i),
                lambda i: np.eye(4, dtype=np.int64)[i],
                make_inputs=_one_hot,
                torch_fn=lambda i: _tF().one_hot(i),
                grad=False,
            ),
        ],
        "F.step": [
            OpSpec(
                "step_torch",
                lambda x: F.step(x, 0.25, 0.5),
                None,
                make_inputs=lambda r: [np.array([-1.0, 0.1, 0.3, 2.0])],
                torch_fn=lambda x: _step_torch(x, 0.25, 0.5),
                gradgrad=False,
            )
        ],
        "F.relu": [
            fspec("relu_0d", lambda F_, x: F_.relu(x), lambda x: np.maximum(x, 0), _uniform(())),
            fspec(
                "relu_zero_size",
                lambda F_, x: F_.relu(x),
                lambda x: np.maximum(x, 0),
                _uniform((0, 3)),
            ),
        ],
        "F.sigmoid": [
            fspec(
                "sigmoid_broadcast_sum",
                lambda F_, x, y: F_.sigmoid(x + y),
                lambda x, y: 1 / (1 + np.exp(-(x + y))),
                _uniform((3, 1), (4,)),
            )
        ],
    }


def _fn_of(spec_name: str, table: dict[str, str]) -> str | None:
    """The F function a reused spec exercises: the longest table prefix of its name."""
    hits = [p for p in table if spec_name == p or spec_name.startswith(p + "_")]
    return table[max(hits, key=len)] if hits else None


_ACT_NAMES = {
    n: n
    for n in (
        "relu",
        "relu6",
        "leaky_relu",
        "elu",
        "selu",
        "celu",
        "gelu",
        "silu",
        "mish",
        "softplus",
        "softsign",
        "hardtanh",
        "hardsigmoid",
        "hardswish",
        "logsigmoid",
        "sigmoid",
        "tanh",
        "threshold",
        "prelu",
        "step",
        "softmax",
        "log_softmax",
        "softmin",
        "linear",
        "bilinear",
        "embedding",
        "dropout",
        "alpha_dropout",
        "batch_norm",
        "layer_norm",
        "group_norm",
        "cosine_similarity",
        "normalize",
    )
}
_LOSS_NAMES = {
    "ce": "cross_entropy",
    "nll": "nll_loss",
    "mse": "mse_loss",
    "l1": "l1_loss",
    "huber": "huber_loss",
    "smooth_l1": "smooth_l1_loss",
    "bce": "binary_cross_entropy",
    "bce_weight": "binary_cross_entropy",
    "bce_logits": "binary_cross_entropy_with_logits",
    "kl": "kl_div",
    "multi_margin": "multi_margin_loss",
    "cos_embedding": "cosine_embedding_loss",
    "cosine_similarity": "cosine_similarity",
    "normalize": "normalize",
}


def _reused_specs() -> dict[str, list[OpSpec]]:
    """Rows of the per-family test tables, filed under the F function each one calls (the
    softmax table's `ax.softmax` / method rows belong to the core registry)."""
    out: dict[str, list[OpSpec]] = {}
    sources: list[tuple[Sequence[OpSpec], dict[str, str]]] = [
        (test_nn_activation.SPECS, _ACT_NAMES),
        (test_nn_softmax.SPECS, _ACT_NAMES),
        (test_nn_layers.SPECS, _ACT_NAMES),
        (test_nn_normalization.SPECS, _ACT_NAMES),
        (test_nn_loss.SPECS, _LOSS_NAMES),
    ]
    for specs, table in sources:
        for s in specs:
            if s.name.endswith(("_method", "_toplevel")):
                continue
            if s.name == "step":  # no torch op: parity against the same rule written in torch
                s = replace(s, torch_fn=lambda x: _step_torch(x, 0.25, 0.5))
            fn = _fn_of(s.name, table)
            if fn is None:
                raise KeyError(f"registry_nn: no F function for reused spec {s.name!r}")
            out.setdefault(f"F.{fn}", []).append(s)
    # The loss table runs every row under each reduction; the registry keeps 'mean' and
    # 'none' (the 'sum' path is the same kernel as 'mean' up to a constant).
    for key, rows in out.items():
        out[key] = [s for s in rows if not s.name.endswith("_sum")]
    return out


def _functional_specs() -> dict[str, list[OpSpec]]:
    specs = _reused_specs()
    for part in (_conv_specs(), _pool_specs(), _resize_specs(), _misc_specs()):
        for key, rows in part.items():
            specs.setdefault(key, []).extend(rows)
    for fname, shape, p in (
        ("dropout", (5, 6), 0.3),
        ("dropout1d", (2, 4, 3), 0.5),
        ("dropout2d", (2, 3, 2, 2), 0.5),
        ("dropout3d", (2, 3, 2, 1, 2), 0.5),
        ("alpha_dropout", (5, 6), 0.3),
        ("feature_alpha_dropout", (3, 4, 2), 0.5),
    ):
        specs.setdefault(f"F.{fname}", []).extend(_dropout_specs(fname, shape, p))
    for name, args in (
        ("relu_", ()),
        ("elu_", (1.0,)),
        ("celu_", (1.5,)),
        ("selu_", ()),
        ("leaky_relu_", (0.2,)),
        ("hardtanh_", (-1.0, 1.0)),
        ("threshold_", (0.5, -1.0)),
    ):
        specs[f"F.{name}"] = [_inplace(name, *args)]
    return specs


# ---- module rows ------------------------------------------------------------------------------


def mspec(
    label: str,
    ctor: Callable[[Any], Any],
    make: Maker,
    *,
    torch_ctor: Callable[[Any], Any] | None = None,
    call: Callable[..., Any] | None = None,
    prep: Callable[..., Any] | None = None,
    train: bool = True,
    **kw: Any,
) -> OpSpec:
    """A module row on op_registry.module_spec (parameters become inputs, so gradcheck and
    parity cover parameter gradients): ``ctor(nn)`` builds the module with either library's
    ``nn`` (``torch_ctor`` builds a torch mirror of an axonite-only module); ``call(module, F,
    *xs)`` overrides ``module(*xs)`` (e.g. unpooling fed by a pooling call); ``prep(x)`` makes
    each input non-contiguous first; nested outputs (RNN states) are flattened."""

    def build(lib: Any) -> Any:
        return ctor(lib) if lib is nn or torch_ctor is None else torch_ctor(lib)

    def run(m: Any, *xs: Any) -> tuple[Any, ...]:
        xs = tuple(prep(x) for x in xs) if prep else xs
        return _flat(call(m, _lib(xs[0])[1], *xs) if call else m(*xs))

    return module_spec(label, build, make_inputs=make, train=train, call=run, **kw)


def _ints(high: int, shape: tuple[int, ...]) -> Callable[[np.random.Generator], np.ndarray]:
    return lambda r: r.integers(0, high, shape).astype(np.int64)


def _with_target(x: tuple[int, ...], target: Callable[[np.random.Generator], np.ndarray]) -> Maker:
    return lambda r: [r.uniform(-2, 2, x), target(r)]


def _probs(shape: tuple[int, ...]) -> Callable[[np.random.Generator], np.ndarray]:
    return lambda r: r.uniform(0.05, 0.95, shape)


def _act(name: str, *args: Any, kinks: tuple[float, ...] = (0.0,), **kw: Any) -> OpSpec:
    return mspec(name, lambda n: getattr(n, name)(*args), _away(*kinks), **kw)


class _TorchStep:
    """torch stand-in for nn.Step (no torch equivalent): see _step_torch."""

    def __new__(cls, tnn: Any, threshold: float, value: float) -> Any:
        class Step(tnn.Module):
            def forward(self, x: Any) -> Any:
                return _step_torch(x, threshold, value)

        return Step()


def _torch_min_pool(tnn: Any, *a: Any, **kw: Any) -> Any:
    class MinPool2d(tnn.Module):
        def forward(self, x: Any) -> Any:
            return _min_pool_torch(x, *a, **kw)

    return MinPool2d()


def _torch_hsm(tnn: Any) -> Any:
    """torch mirror of nn.HierarchicalSoftmax(3, 5) built from the axonite module's own path
    tables (the tree layout is axonite's; the arithmetic is checked against torch)."""
    import torch

    ref = nn.HierarchicalSoftmax(3, 5)
    nodes, left, mask = (torch.tensor(b.numpy()) for b in ref.buffers())

    class HSM(tnn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.weight = tnn.Parameter(torch.zeros(4, 3))
            self.bias = tnn.Parameter(torch.zeros(4))

        def forward(self, x: Any, t: Any) -> tuple[Any, Any]:
            path = nodes[t]
            z = (self.weight[path] * x[:, None, :]).sum(-1) + self.bias[path]
            bce = _tF().binary_cross_entropy_with_logits(z, left[t].to(z.dtype), reduction="none")
            out = -(bce * mask[t].to(z.dtype)).sum(-1)
            return out, (-out).mean()

    return HSM()


def _container(kind: str) -> Callable[[Any], Any]:
    """A small model built with the container class `kind` in either library."""

    def build(lib: Any) -> Any:
        class Model(lib.Module):
            def __init__(self) -> None:
                super().__init__()
                lin = [lib.Linear(3, 3), lib.Linear(3, 2)]
                if kind == "ModuleList":
                    self.body = lib.ModuleList(lin)
                elif kind == "ModuleDict":
                    self.body = lib.ModuleDict({"a": lin[0], "b": lin[1]})
                elif kind == "ParameterList":
                    self.ps = lib.ParameterList([lib.Parameter(lib.Linear(3, 2).weight.detach())])
                elif kind == "ParameterDict":
                    self.ps = lib.ParameterDict(
                        {"w": lib.Parameter(lib.Linear(3, 2).weight.detach())}
                    )
                elif kind == "Buffer":
                    self.lin = lin[1]
                    self.shift = lib.Buffer(lin[0].weight.detach()[0].clone() * 0 + 0.5)
                else:  # Module / Parameter: a bare parameter attribute
                    self.scale = lib.Parameter(lin[1].weight.detach().clone())

            def forward(self, x: Any) -> Any:
                if kind == "ModuleList":
                    for layer in self.body:
                        x = layer(x).tanh()
                    return x
                if kind == "ModuleDict":
                    return self.body["b"](self.body["a"](x).tanh())
                if kind == "ParameterList":
                    return (x @ self.ps[0].t()).sigmoid()
                if kind == "ParameterDict":
                    return (x @ self.ps["w"].t()).sigmoid()
                if kind == "Buffer":
                    return self.lin(x + self.shift)
                return (x @ self.scale.t()).tanh()

        return Model()

    return build


def _rnn(kind: str, **kw: Any) -> Callable[[Any], Any]:
    return lambda n: getattr(n, kind)(3, 2, **kw)


def _module_specs() -> dict[str, list[OpSpec]]:
    u = _uniform
    specs: dict[str, list[OpSpec]] = {
        "nn.ReLU": [_act("ReLU"), mspec("ReLU_0d", lambda n: n.ReLU(), u(()))],
        "nn.ReLU6": [_act("ReLU6", kinks=(0.0, 6.0))],
        "nn.LeakyReLU": [_act("LeakyReLU", 0.2)],
        "nn.ELU": [_act("ELU", 0.5)],
        "nn.SELU": [_act("SELU")],
        "nn.CELU": [_act("CELU", 2.0)],
        "nn.GELU": [_act("GELU", "tanh"), mspec("GELU_erf", lambda n: n.GELU(), u((3, 4)))],
        "nn.SiLU": [mspec("SiLU", lambda n: n.SiLU(), u((3, 4)))],
        "nn.Mish": [mspec("Mish", lambda n: n.Mish(), u((3, 4)))],
        "nn.Softplus": [_act("Softplus", 2.0, 3.0, kinks=(1.5,))],
        "nn.Softsign": [_act("Softsign")],
        "nn.Hardtanh": [_act("Hardtanh", -0.5, 2.0, kinks=(-0.5, 2.0))],
        "nn.Hardsigmoid": [_act("Hardsigmoid", kinks=(-3.0, 3.0))],
        "nn.Hardswish": [_act("Hardswish", kinks=(-3.0, 3.0))],
        "nn.LogSigmoid": [mspec("LogSigmoid", lambda n: n.LogSigmoid(), u((3, 4)))],
        "nn.Sigmoid": [mspec("Sigmoid", lambda n: n.Sigmoid(), u((0, 4)))],
        "nn.Tanh": [mspec("Tanh", lambda n: n.Tanh(), u((3, 4)))],
        "nn.Threshold": [_act("Threshold", 0.5, -2.0, kinks=(0.5,))],
        "nn.PReLU": [mspec("PReLU", lambda n: n.PReLU(4, 0.2), _away(0.0))],
        "nn.Softmax": [mspec("Softmax", lambda n: n.Softmax(dim=0), u((3, 4)))],
        "nn.LogSoftmax": [mspec("LogSoftmax", lambda n: n.LogSoftmax(dim=-1), u((2, 3, 4)))],
        "nn.Softmin": [mspec("Softmin", lambda n: n.Softmin(dim=1), u((3, 4)))],
        "nn.Step": [
            mspec(
                "Step",
                lambda n: n.Step(0.25, 0.5),
                lambda r: [np.array([-1.0, 0.1, 0.3, 2.0])],
                torch_ctor=lambda t: _TorchStep(t, 0.25, 0.5),
                gradgrad=False,
            )
        ],
        "nn.Linear": [
            mspec("Linear", lambda n: n.Linear(3, 2), u((4, 3)), gradgrad=True),
            mspec(
                "Linear_strided_input",
                lambda n: n.Linear(3, 2, bias=False),
                u((3, 4)),
                prep=lambda x: x.t(),
            ),
        ],
        "nn.Bilinear": [mspec("Bilinear", lambda n: n.Bilinear(3, 2, 2), u((4, 3), (4, 2)))],
        "nn.Identity": [mspec("Identity", lambda n: n.Identity(), u((2, 3)))],
        "nn.Flatten": [mspec("Flatten", lambda n: n.Flatten(), u((2, 3, 2)))],
        "nn.Unflatten": [mspec("Unflatten", lambda n: n.Unflatten(1, (2, 2)), u((3, 4)))],
        "nn.Embedding": [
            mspec(
                "Embedding",
                lambda n: n.Embedding(5, 3),
                lambda r: [np.array([[0, 4, 2], [1, 1, 3]], dtype=np.int64)],
                gradgrad=False,
            )
        ],
        "nn.Conv1d": [mspec("Conv1d", lambda n: n.Conv1d(2, 3, 3, padding=1), u((1, 2, 5)))],
        "nn.Conv2d": [
            mspec("Conv2d", lambda n: n.Conv2d(2, 2, (2, 3), stride=(1, 2)), u((1, 2, 3, 5))),
            mspec(
                "Conv2d_reflect_groups",
                lambda n: n.Conv2d(2, 2, 3, padding=1, groups=2, padding_mode="reflect"),
                u((1, 2, 3, 3)),
            ),
        ],
        "nn.Conv3d": [
            mspec("Conv3d", lambda n: n.Conv3d(1, 2, 2), u((1, 1, 2, 3, 2)), gradgrad=False)
        ],
        "nn.ConvTranspose1d": [
            mspec("ConvTranspose1d", lambda n: n.ConvTranspose1d(2, 1, 3, stride=2), u((1, 2, 3)))
        ],
        "nn.ConvTranspose2d": [
            mspec("ConvTranspose2d", lambda n: n.ConvTranspose2d(2, 1, 2), u((1, 2, 2, 3)))
        ],
        "nn.ConvTranspose3d": [
            mspec(
                "ConvTranspose3d",
                lambda n: n.ConvTranspose3d(1, 1, 2),
                u((1, 1, 2, 2, 1)),
                gradgrad=False,
            )
        ],
        "nn.MaxPool1d": [mspec("MaxPool1d", lambda n: n.MaxPool1d(2), u((1, 2, 6)))],
        "nn.MaxPool2d": [
            mspec("MaxPool2d", lambda n: n.MaxPool2d(2, ceil_mode=True), u((1, 2, 3, 5)))
        ],
        "nn.MaxPool3d": [mspec("MaxPool3d", lambda n: n.MaxPool3d(2), u((1, 1, 2, 4, 2)))],
        "nn.AvgPool1d": [mspec("AvgPool1d", lambda n: n.AvgPool1d(3, 1, 1), u((1, 2, 4)))],
        "nn.AvgPool2d": [mspec("AvgPool2d", lambda n: n.AvgPool2d(2), u((2, 1, 4, 4)))],
        "nn.AvgPool3d": [mspec("AvgPool3d", lambda n: n.AvgPool3d(2), u((1, 1, 2, 2, 4)))],
        "nn.MinPool2d": [
            mspec(
                "MinPool2d",
                lambda n: n.MinPool2d(2),
                u((1, 2, 4, 4)),
                torch_ctor=lambda t: _torch_min_pool(t, 2),
            )
        ],
        "nn.BatchNorm1d": [mspec("BatchNorm1d", lambda n: n.BatchNorm1d(3), u((4, 3)))],
        "nn.BatchNorm2d": [
            mspec("BatchNorm2d", lambda n: n.BatchNorm2d(2), u((2, 2, 2, 3))),
            mspec("BatchNorm2d_eval", lambda n: n.BatchNorm2d(2), u((2, 2, 2, 2)), train=False),
        ],
        "nn.BatchNorm3d": [
            mspec("BatchNorm3d", lambda n: n.BatchNorm3d(2), u((2, 2, 2, 1, 2)), gradgrad=False)
        ],
        "nn.LayerNorm": [mspec("LayerNorm", lambda n: n.LayerNorm(4), u((3, 4)))],
        "nn.GroupNorm": [mspec("GroupNorm", lambda n: n.GroupNorm(2, 4), u((2, 4, 3)))],
        "nn.RNN": [
            mspec("RNN", _rnn("RNN"), u((3, 2, 3)), gradgrad=False),
            mspec(
                "RNN_relu_2layer_bf",
                _rnn("RNN", num_layers=2, nonlinearity="relu", batch_first=True),
                u((2, 3, 3), low=0.1, high=1.0),
                gradgrad=False,
            ),
        ],
        "nn.LSTM": [
            mspec("LSTM", _rnn("LSTM"), u((3, 2, 3)), gradgrad=False),
            mspec("LSTM_bidir", _rnn("LSTM", bidirectional=True), u((2, 3)), gradgrad=False),
        ],
        "nn.GRU": [mspec("GRU", _rnn("GRU", batch_first=True), u((2, 3, 3)), gradgrad=False)],
        "nn.RNNCell": [mspec("RNNCell", _rnn("RNNCell"), u((2, 3), (2, 2)), gradgrad=False)],
        "nn.LSTMCell": [mspec("LSTMCell", _rnn("LSTMCell"), u((2, 3)), gradgrad=False)],
        "nn.GRUCell": [mspec("GRUCell", _rnn("GRUCell"), u((3,), (2,)), gradgrad=False)],
        "nn.MSELoss": [mspec("MSELoss", lambda n: n.MSELoss(), u((3, 4), (3, 4)))],
        "nn.L1Loss": [mspec("L1Loss", lambda n: n.L1Loss(reduction="sum"), u((3, 4), (3, 4)))],
        "nn.HuberLoss": [mspec("HuberLoss", lambda n: n.HuberLoss(delta=0.7), u((3, 4), (3, 4)))],
        "nn.SmoothL1Loss": [
            mspec("SmoothL1Loss", lambda n: n.SmoothL1Loss(beta=0.5), u((3, 4), (3, 4)))
        ],
        "nn.BCELoss": [
            mspec(
                "BCELoss",
                lambda n: n.BCELoss(),
                lambda r: [r.uniform(0.05, 0.95, (3, 4)), r.uniform(0, 1, (3, 4))],
            )
        ],
        "nn.BCEWithLogitsLoss": [
            mspec(
                "BCEWithLogitsLoss",
                lambda n: n.BCEWithLogitsLoss(reduction="none"),
                _with_target((3, 4), _probs((3, 4))),
            )
        ],
        "nn.CrossEntropyLoss": [
            mspec(
                "CrossEntropyLoss",
                lambda n: n.CrossEntropyLoss(label_smoothing=0.1),
                _with_target((4, 5), _ints(5, (4,))),
            )
        ],
        "nn.NLLLoss": [
            mspec("NLLLoss", lambda n: n.NLLLoss(), _with_target((4, 5), _ints(5, (4,))))
        ],
        "nn.KLDivLoss": [
            mspec(
                "KLDivLoss",
                lambda n: n.KLDivLoss(reduction="batchmean"),
                lambda r: [r.uniform(-2, 0, (3, 4)), r.uniform(0.1, 1, (3, 4))],
            )
        ],
        "nn.MultiMarginLoss": [
            mspec(
                "MultiMarginLoss",
                lambda n: n.MultiMarginLoss(),
                _with_target((4, 5), _ints(5, (4,))),
            )
        ],
        "nn.CosineEmbeddingLoss": [
            mspec(
                "CosineEmbeddingLoss",
                lambda n: n.CosineEmbeddingLoss(margin=0.1),
                lambda r: [
                    r.uniform(-1, 1, (4, 3)),
                    r.uniform(-1, 1, (4, 3)),
                    np.array([1, -1, 1, -1], dtype=np.int64),
                ],
            )
        ],
        "nn.Upsample": [
            mspec(
                "Upsample",
                lambda n: n.Upsample(scale_factor=2, mode="bilinear", align_corners=False),
                u((1, 2, 2, 3)),
                gradgrad=False,
            )
        ],
        "nn.UpsamplingNearest2d": [
            mspec(
                "UpsamplingNearest2d", lambda n: n.UpsamplingNearest2d(size=(3, 4)), u((1, 1, 2, 3))
            )
        ],
        "nn.UpsamplingBilinear2d": [
            mspec(
                "UpsamplingBilinear2d",
                lambda n: n.UpsamplingBilinear2d(scale_factor=2),
                u((1, 1, 2, 2)),
                gradgrad=False,
            )
        ],
        "nn.PixelShuffle": [mspec("PixelShuffle", lambda n: n.PixelShuffle(2), u((1, 4, 2, 2)))],
        "nn.PixelUnshuffle": [
            mspec("PixelUnshuffle", lambda n: n.PixelUnshuffle(2), u((1, 1, 4, 2)))
        ],
        "nn.AdaptiveLogSoftmaxWithLoss": [
            mspec(
                "AdaptiveLogSoftmaxWithLoss",
                lambda n: n.AdaptiveLogSoftmaxWithLoss(4, 6, [2, 4], div_value=2.0),
                _with_target((3, 4), lambda r: np.array([0, 3, 5], dtype=np.int64)),
                gradgrad=False,
            )
        ],
        "nn.HierarchicalSoftmax": [
            mspec(
                "HierarchicalSoftmax",
                lambda n: n.HierarchicalSoftmax(3, 5),
                _with_target((4, 3), lambda r: np.array([0, 4, 2, 1], dtype=np.int64)),
                torch_ctor=_torch_hsm,
                gradgrad=False,
            )
        ],
        "nn.Sequential": [
            mspec(
                "Sequential",
                lambda n: n.Sequential(n.Linear(3, 3), n.Tanh(), n.Linear(3, 2)),
                u((2, 3)),
                gradgrad=False,
            )
        ],
    }
    # Layouts beyond the plain contiguous batch: transposed and sliced (strided) inputs,
    # broadcast parameters, 0-d and zero-size inputs.
    extra = {
        "nn.Conv2d": mspec(
            "Conv2d_transposed_input",
            lambda n: n.Conv2d(2, 2, 2),
            u((1, 2, 4, 3)),
            prep=lambda x: x.transpose(2, 3),
        ),
        "nn.LSTM": mspec(
            "LSTM_sliced_input", _rnn("LSTM"), u((6, 2, 3)), prep=lambda x: x[::2], gradgrad=False
        ),
        "nn.GroupNorm": mspec(
            "GroupNorm_sliced_input",
            lambda n: n.GroupNorm(2, 4),
            u((2, 4, 6)),
            prep=lambda x: x[:, :, ::2],
        ),
        "nn.LayerNorm": mspec("LayerNorm_zero_batch", lambda n: n.LayerNorm(4), u((0, 4))),
        "nn.Embedding": mspec(
            "Embedding_0d_index",
            lambda n: n.Embedding(5, 3),
            lambda r: [np.array(2, dtype=np.int64)],
            gradgrad=False,
        ),
        "nn.Softmax": mspec("Softmax_0d", lambda n: n.Softmax(dim=0), u(())),
        "nn.PReLU": mspec("PReLU_shared_weight", lambda n: n.PReLU(), _away(0.0)),
        "nn.MaxPool2d": mspec(
            "MaxPool2d_transposed_input",
            lambda n: n.MaxPool2d(2),
            u((1, 2, 4, 6)),
            prep=lambda x: x.transpose(2, 3)[:, :, ::2],
        ),
    }
    for name, spec in extra.items():
        specs[name].append(spec)
    for kind in ("ModuleList", "ModuleDict", "ParameterList", "ParameterDict", "Buffer"):
        specs[f"nn.{kind}"] = [mspec(kind, _container(kind), u((2, 3)), gradgrad=False)]
    specs["nn.Module"] = [mspec("Module_subclass", _container("Module"), u((2, 3)))]
    specs["nn.Parameter"] = [mspec("Parameter_attr", _container("Parameter"), u((0, 3)))]
    for dim, shape in ((1, (1, 2, 7)), (2, (1, 2, 5, 4)), (3, (1, 1, 3, 4, 5))):
        out = (3, 2, 3)[:dim]
        for kind in ("Avg", "Max"):
            name = f"Adaptive{kind}Pool{dim}d"
            specs[f"nn.{name}"] = [
                mspec(name, lambda n, name=name, out=out: getattr(n, name)(out), u(shape))
            ]
        specs[f"nn.MaxUnpool{dim}d"] = [
            mspec(
                f"MaxUnpool{dim}d",
                lambda n, dim=dim: getattr(n, f"MaxUnpool{dim}d")(2),
                u((1, 2, *(4,) * dim)),
                call=lambda m, F_, x, dim=dim: m(
                    *getattr(F_, f"max_pool{dim}d")(x, 2, return_indices=True)
                ),
            )
        ]
    for name, shape in (
        ("Dropout", (3, 4)),
        ("Dropout1d", (2, 3, 4)),
        ("Dropout2d", (2, 3, 2, 2)),
        ("Dropout3d", (1, 2, 2, 2, 2)),
        ("AlphaDropout", (3, 4)),
        ("FeatureAlphaDropout", (2, 3, 2)),
    ):
        specs[f"nn.{name}"] = [
            mspec(
                f"{name}_eval", lambda n, name=name: getattr(n, name)(0.4), u(shape), train=False
            ),
            mspec(f"{name}_p0", lambda n, name=name: getattr(n, name)(0.0), u(shape)),
        ]
    return specs


# ---- error cases ------------------------------------------------------------------------------


def E(call: Callable[[], Any], exc: Any, match: str) -> ErrorCase:
    return ErrorCase(call=call, exc=exc, match=match)


def S(code: str, exc: Any, match: str, known_issue: str = "") -> ErrorCase:
    """A risky case (kernel-level index or size abuse): run in a child interpreter so a crash
    fails the test instead of killing the run."""
    prelude = "import axonite as ax\nimport axonite.nn.functional as F\nfrom axonite import nn\n"
    ns: dict[str, Any] = {}

    def call() -> Any:
        # In-process form of the same snippet (the registry test runs `code` in a child).
        exec(prelude + code, ns)  # noqa: S102

    return ErrorCase(
        call=call,
        exc=exc,
        match=match,
        subprocess=True,
        code=prelude + code,
        known_issue=known_issue,
    )


def x2() -> ax.Tensor:
    return ax.randn(3, 4)


def x3() -> ax.Tensor:
    return ax.randn(1, 2, 6)


def x4() -> ax.Tensor:
    return ax.randn(1, 2, 5, 5)


def x5() -> ax.Tensor:
    return ax.randn(1, 2, 3, 3, 3)


def ints() -> ax.Tensor:
    return ax.tensor([1, 2])


RE, VE, TE, IE = RuntimeError, ValueError, TypeError, IndexError
_FLOAT = r"expected a floating-point tensor .*got int64"


def _functional_errors() -> dict[str, list[ErrorCase]]:
    w = lambda: ax.randn(3, 2, 3, 3)
    errs: dict[str, list[ErrorCase]] = {
        "F.conv1d": [
            E(lambda: F.conv1d(x4(), ax.randn(3, 2, 3)), RE, r"conv1d: expected input .*dims"),
            E(lambda: F.conv1d(x3(), ax.randn(3, 2, 3), stride=(1, 1)), VE, r"conv1d: .*stride"),
        ],
        "F.conv2d": [
            E(lambda: F.conv2d(ax.randn(1, 5, 5, 5), w()), RE, r"conv2d: .*2 channels.*got 5"),
            E(lambda: F.conv2d(x4(), w(), stride=0), VE, r"conv2d: stride must be positive"),
            E(lambda: F.conv2d(x4(), w(), padding=-1), VE, r"conv2d: padding must be non-neg"),
            E(lambda: F.conv2d(x4(), w(), dilation=0), VE, r"conv2d: dilation must be positive"),
            E(lambda: F.conv2d(x4(), w(), groups=0), VE, r"conv2d: groups must be a positive"),
            E(lambda: F.conv2d(x4(), w(), ax.randn(4)), RE, r"conv2d: expected bias of shape"),
            E(lambda: F.conv2d(x4(), ax.randn(3, 2, 7, 7)), RE, r"conv2d: kernel size .*larger"),
            E(lambda: F.conv2d(x4(), w(), padding="bogus"), VE, r"conv2d: padding must be 'same'"),
            E(lambda: F.conv2d(x4().long(), w()), TE, r"conv2d: expected a floating-point input"),
            E(lambda: F.conv2d(x4(), w().double()), RE, r"conv2d: input \(float32\) and weight"),
            E(lambda: F.conv2d(x4(), w(), groups=2), RE, r"conv2d: out_channels .*groups"),
        ],
        "F.conv3d": [
            E(lambda: F.conv3d(x4(), ax.randn(3, 2, 3, 3, 3)), RE, r"conv3d: expected input"),
        ],
        "F.conv_transpose1d": [
            E(lambda: F.conv_transpose1d(x4(), ax.randn(2, 3, 3)), RE, r"conv_transpose1d: .*dims"),
        ],
        "F.conv_transpose2d": [
            E(
                lambda: F.conv_transpose2d(x4(), ax.randn(3, 2, 3, 3)),
                RE,
                r"conv_transpose2d: expected input .*3 channels",
            ),
            E(
                lambda: F.conv_transpose2d(x4(), ax.randn(2, 3, 3, 3), output_padding=2),
                VE,
                r"conv_transpose2d: output_padding must be smaller",
            ),
        ],
        "F.conv_transpose3d": [
            E(
                lambda: F.conv_transpose3d(x4(), ax.randn(2, 3, 3, 3, 3)),
                RE,
                r"conv_transpose3d: expected input of shape \[1, 2, 5, 5\]",
            ),
        ],
        "F.max_pool1d": [E(lambda: F.max_pool1d(x4(), 2), RE, r"max_pool1d: expected 2D")],
        "F.max_pool2d": [
            E(lambda: F.max_pool2d(x4(), 0), RE, r"max_pool2d: kernel size .*kernel_size=\[0, 0\]"),
            E(lambda: F.max_pool2d(x4(), 3, padding=2), RE, r"max_pool2d: pad should be at most"),
            E(lambda: F.max_pool2d(ax.randn(12), 2), RE, r"max_pool2d: expected 3D .*\[12\]"),
            E(lambda: F.max_pool2d(x4(), 7), RE, r"max_pool2d: .*Output size is too small"),
            E(lambda: F.max_pool2d(x4(), 2, stride=-1), RE, r"max_pool2d: stride should be"),
            E(lambda: F.max_pool2d(x4(), 2, dilation=0), RE, r"max_pool2d: dilation should be"),
        ],
        "F.max_pool3d": [E(lambda: F.max_pool3d(x3(), 2), RE, r"max_pool3d: expected 4D")],
        "F.avg_pool1d": [E(lambda: F.avg_pool1d(x4(), 2), RE, r"avg_pool1d: expected 2D")],
        "F.avg_pool2d": [
            E(lambda: F.avg_pool2d(x4(), 0), RE, r"avg_pool2d: kernel size should be greater"),
            E(lambda: F.avg_pool2d(x4(), 3, padding=2), RE, r"avg_pool2d: pad should be"),
            E(lambda: F.avg_pool2d(x4(), 6), RE, r"avg_pool2d: .*Output size is too small"),
        ],
        "F.avg_pool3d": [E(lambda: F.avg_pool3d(x3(), 2), RE, r"avg_pool3d: expected 4D")],
        "F.adaptive_avg_pool1d": [
            E(lambda: F.adaptive_avg_pool1d(x4(), 2), RE, r"adaptive_avg_pool1d: expected 2D")
        ],
        "F.adaptive_avg_pool2d": [
            E(lambda: F.adaptive_avg_pool2d(x4(), -1), RE, r"adaptive_avg_pool2d: output_size"),
            E(
                lambda: F.adaptive_avg_pool2d(x4(), (1, 2, 3)),
                VE,
                r"adaptive_avg_pool2d: output_size must be an int or 2 ints",
            ),
        ],
        "F.adaptive_avg_pool3d": [
            E(lambda: F.adaptive_avg_pool3d(x3(), 2), RE, r"adaptive_avg_pool3d: expected 4D")
        ],
        "F.adaptive_max_pool1d": [
            E(lambda: F.adaptive_max_pool1d(x4(), 2), RE, r"adaptive_max_pool1d: expected 2D"),
            E(lambda: F.adaptive_max_pool1d(x3(), -1), RE, r"adaptive_max_pool1d: output_size"),
        ],
        "F.adaptive_max_pool2d": [
            E(lambda: F.adaptive_max_pool2d(ax.randn(12), 2), RE, r"adaptive_max_pool2d: .*\[12\]")
        ],
        "F.adaptive_max_pool3d": [
            E(lambda: F.adaptive_max_pool3d(x3(), 2), RE, r"adaptive_max_pool3d: expected 4D")
        ],
        "F.max_unpool1d": [
            E(lambda: F.max_unpool1d(x4(), x4().long(), 2), RE, r"max_unpool1d: expected 2D"),
        ],
        "F.max_unpool2d": [
            E(
                lambda: F.max_unpool2d(x4(), ax.zeros(1, 2, 5, 5).long(), 2, output_size=(3, 3)),
                VE,
                r"max_unpool2d: invalid output_size",
            ),
            E(
                lambda: F.max_unpool2d(x4(), ax.zeros(1, 2, 4, 4).long(), 2),
                RE,
                r"max_unpool2d: expected indices of the input's shape",
            ),
            E(
                lambda: F.max_unpool2d(x4(), x4(), 2),
                TE,
                r"max_unpool2d: expected indices of dtype",
            ),
            S(
                "F.max_unpool2d(ax.ones(1, 1, 2, 2), ax.full((1, 1, 2, 2), 10**12).long(), 2)",
                RE,
                r"max_unpool2d: Found an invalid max index",
            ),
        ],
        "F.max_unpool3d": [
            S(
                "x = ax.ones(1, 2, 2, 2, 2)\nF.max_unpool3d(x, -x.long(), 2)",
                RE,
                r"max_unpool3d: Found an invalid max index: -1",
            ),
        ],
        "F.min_pool2d": [
            E(lambda: F.min_pool2d(x4(), 0), RE, r"min_pool2d: kernel size should be greater"),
        ],
        "F.pad": [
            E(lambda: F.pad(x4(), (1,)), VE, r"pad: padding length must be divisible by 2"),
            E(lambda: F.pad(x4(), (1, 1), mode="bogus"), VE, r"pad: unknown padding mode 'bogus'"),
            E(lambda: F.pad(x4(), (1,) * 10), VE, r"pad: padding .* pads 5 dims"),
            E(lambda: F.pad(x4(), (9, 9), mode="reflect"), VE, r"pad: mode 'reflect' pads"),
            E(
                lambda: F.pad(x4(), (1, 1), value="a"),
                TE,
                r"pad: value must be a number or None, got str",
            ),
            E(lambda: F.pad(x4(), (-9, 0)), VE, r"pad: padding \(-9, 0\) of dim 3 .*negative"),
        ],
        "F.interpolate": [
            E(
                lambda: F.interpolate(x4(), size=(2, 2), scale_factor=2),
                VE,
                r"interpolate: only one of size or scale_factor",
            ),
            E(lambda: F.interpolate(x4()), VE, r"interpolate: either size or scale_factor"),
            E(
                lambda: F.interpolate(x4(), size=2, mode="bogus"),
                VE,
                r"interpolate: unsupported mode 'bogus'",
            ),
            E(
                lambda: F.interpolate(x4(), size=(2, 2, 2)),
                VE,
                r"interpolate: .*same number of spatial dimensions",
            ),
            E(lambda: F.interpolate(x4(), scale_factor=-1), RE, r"interpolate: .*output_size=\["),
            E(
                lambda: F.interpolate(x3(), size=4, mode="bilinear"),
                VE,
                r"interpolate: Got 3D input, but bilinear mode needs 4D",
            ),
            E(lambda: F.interpolate(x4(), size=0), RE, r"interpolate: .*output_size=\[0, 0\]"),
        ],
        "F.upsample": [
            E(
                lambda: F.upsample(x4(), size=(2, 2), scale_factor=2),
                VE,
                r"upsample: only one of size or scale_factor",
            )
        ],
        "F.upsample_nearest": [
            E(lambda: F.upsample_nearest(x4()), VE, r"upsample_nearest: either size or scale")
        ],
        "F.upsample_bilinear": [
            E(
                lambda: F.upsample_bilinear(x3(), size=4),
                VE,
                r"upsample_bilinear: Got 3D input, but bilinear mode needs 4D",
            )
        ],
        "F.grid_sample": [
            E(
                lambda: F.grid_sample(x4(), ax.randn(1, 3, 3, 3)),
                VE,
                r"grid_sample: expected grid to have size 2",
            ),
            E(
                lambda: F.grid_sample(x4(), ax.randn(1, 3, 3, 2), mode="bogus"),
                VE,
                r"grid_sample: mode must be",
            ),
            E(
                lambda: F.grid_sample(x4(), ax.randn(1, 3, 3, 2), padding_mode="bogus"),
                VE,
                r"grid_sample: padding_mode must be",
            ),
            E(
                lambda: F.grid_sample(x4(), ax.randn(2, 3, 3, 2)),
                VE,
                r"grid_sample: expected input and grid to have the same batch size",
            ),
            E(lambda: F.grid_sample(x3(), ax.randn(1, 3, 2)), VE, r"grid_sample: expected a 4-D"),
        ],
        "F.affine_grid": [
            E(
                lambda: F.affine_grid(ax.randn(1, 2, 2), (1, 2, 4, 4)),
                VE,
                r"affine_grid: .*got theta of shape \(1, 2, 2\)",
            ),
            E(
                lambda: F.affine_grid(ax.randn(1, 2, 3), (2, 2, 4, 4)),
                VE,
                r"affine_grid: theta has batch size 1 but size has N = 2",
            ),
            E(
                lambda: F.affine_grid(ax.randn(1, 2, 3), (1, 2, 4)),
                VE,
                r"affine_grid: size must be \(N, C, H, W\)",
            ),
        ],
        "F.pixel_shuffle": [
            E(lambda: F.pixel_shuffle(x4(), 2), RE, r"pixel_shuffle .*upscale_factor"),
            E(lambda: F.pixel_shuffle(x4(), 0), RE, r"pixel_shuffle expects a positive upscale"),
        ],
        "F.pixel_unshuffle": [
            E(lambda: F.pixel_unshuffle(x4(), 2), RE, r"pixel_unshuffle .*downscale_factor"),
            E(lambda: F.pixel_unshuffle(x4(), 0), RE, r"pixel_unshuffle expects a positive"),
        ],
        "F.unfold": [
            E(lambda: F.unfold(x4(), 7), RE, r"unfold: the \(dilated\) kernel \[7\]"),
            E(lambda: F.unfold(x4(), 0), VE, r"unfold: kernel_size must be positive"),
            E(lambda: F.unfold(x4(), 2, stride=0), VE, r"unfold: stride must be positive"),
        ],
        "F.fold": [
            E(
                lambda: F.fold(ax.randn(1, 8, 16), (5, 5), 3),
                RE,
                r"fold: expected size\(1\) of input .* kernel_size",
            ),
            E(lambda: F.fold(x4(), (5, 5), 2), RE, r"fold: expected a 2-D .*\[1, 2, 5, 5\]"),
        ],
        "F.one_hot": [
            E(lambda: F.one_hot(ax.tensor([0.5])), RE, r"one_hot is only applicable to index"),
        ],
        "F.embedding": [
            E(
                lambda: F.embedding(ax.tensor([5]), ax.randn(3, 2)),
                IE,
                r"embedding: index 5 is out of range for num_embeddings=3",
            ),
            E(
                lambda: F.embedding(ax.tensor([0.5]), ax.randn(3, 2)),
                RE,
                r"embedding: expected argument 'indices' to have dtype int64",
            ),
            E(
                lambda: F.embedding(ax.tensor([0]), ax.randn(3)),
                RE,
                r"embedding: 'weight' must be 2-D",
            ),
            E(
                lambda: F.embedding(ax.tensor([0]), ax.randn(3, 2), padding_idx=3),
                VE,
                r"embedding: Padding_idx must be within num_embeddings \(padding_idx=3",
            ),
            E(
                lambda: F.embedding(ax.tensor([0]), ax.randn(3, 2), max_norm=-1.0),
                VE,
                r"embedding_renorm_: max_norm must be >= 0",
            ),
        ],
        "F.linear": [
            E(lambda: F.linear(x2(), ax.randn(5, 3)), RE, r"linear: mat1 and mat2 shapes"),
            E(lambda: F.linear(x2().long(), ax.randn(5, 4)), TE, r"linear: expected a floating"),
            E(lambda: F.linear(x2(), ax.randn(5, 4, 1)), RE, r"linear: weight must be 2-D"),
            E(lambda: F.linear(x2(), ax.randn(5, 4).double()), RE, r"linear: .*same dtype"),
        ],
        "F.bilinear": [
            E(
                lambda: F.bilinear(x2(), ax.randn(3, 2), ax.randn(5, 4, 3)),
                RE,
                r"bilinear\(\): input sizes 4 and 2 do not match weight",
            ),
            E(
                lambda: F.bilinear(x2(), ax.randn(2, 2), ax.randn(5, 4, 2)),
                RE,
                r"bilinear\(\): input batch dimensions do not match",
            ),
            E(
                lambda: F.bilinear(x2(), ax.randn(3, 2), ax.randn(5, 4, 2), ax.randn(4)),
                RE,
                r"bilinear\(\): bias of shape \(4,\) does not match out_features = 5",
            ),
        ],
        "F.dropout": [
            E(lambda: F.dropout(x2(), 1.5), VE, r"dropout: dropout probability .* got 1.5"),
            E(lambda: F.dropout(x2(), -0.1), VE, r"dropout: dropout probability .* got -0.1"),
            E(lambda: F.dropout(x2(), "a"), TE, r"dropout: p must be a number, got str"),
        ],
        "F.dropout1d": [
            E(lambda: F.dropout1d(x4(), 0.5), RE, r"dropout1d: Expected 2D or 3D input"),
            E(lambda: F.dropout1d(x3(), 2.0), VE, r"dropout1d: dropout probability"),
        ],
        "F.dropout2d": [
            E(lambda: F.dropout2d(x4(), 1.5), VE, r"dropout2d: dropout probability"),
        ],
        "F.dropout3d": [
            E(lambda: F.dropout3d(x5(), -1.0), VE, r"dropout3d: dropout probability"),
        ],
        "F.alpha_dropout": [
            E(lambda: F.alpha_dropout(x2(), 2.0, True), VE, r"alpha_dropout: dropout probability")
        ],
        "F.feature_alpha_dropout": [
            E(
                lambda: F.feature_alpha_dropout(x2(), -1.0, True),
                VE,
                r"feature_alpha_dropout: dropout probability",
            )
        ],
        "F.batch_norm": [
            E(
                lambda: F.batch_norm(x2(), None, None, ax.randn(3), training=True),
                RE,
                r"batch_norm: weight should contain 4 elements not 3",
            ),
            E(
                lambda: F.batch_norm(x2(), ax.zeros(3), ax.ones(3)),
                RE,
                r"batch_norm: running_mean should contain 4 elements not 3",
            ),
            E(
                lambda: F.batch_norm(x2(), None, None, None, ax.randn(5), training=True),
                RE,
                r"batch_norm: bias should contain 4 elements not 5",
            ),
        ],
        "F.layer_norm": [
            E(lambda: F.layer_norm(x2(), (3,)), RE, r"layer_norm: Given normalized_shape=\[3\]"),
            E(
                lambda: F.layer_norm(x2(), (4,), ax.randn(3)),
                RE,
                r"layer_norm: Expected weight to be of same shape",
            ),
            E(
                lambda: F.layer_norm(x2(), (4,), None, ax.randn(3)),
                RE,
                r"layer_norm: Expected bias to be of same shape",
            ),
        ],
        "F.group_norm": [
            E(lambda: F.group_norm(x2(), 3), RE, r"group_norm: .*num_groups=3"),
            E(lambda: F.group_norm(x2(), 0), VE, r"group_norm: num_groups must be positive"),
            E(lambda: F.group_norm(x2(), 2, ax.randn(3)), RE, r"group_norm: Expected weight"),
            E(lambda: F.group_norm(x2(), 2, None, ax.randn(3)), RE, r"group_norm: Expected bias"),
            E(lambda: F.group_norm(ax.randn(4), 2), RE, r"group_norm: .*at least 2 dims"),
        ],
        "F.softmax": [
            E(lambda: F.softmax(x2(), 2), IE, r"softmax: dimension out of range .*got 2"),
            E(lambda: F.softmax(x2().long(), 1), TE, r"softmax: expected a floating-point"),
        ],
        "F.log_softmax": [
            E(lambda: F.log_softmax(x2(), -3), IE, r"log_softmax: dimension out of range")
        ],
        "F.softmin": [E(lambda: F.softmin(x2(), 5), IE, r"softmin: dimension out of range")],
        "F.relu": [E(lambda: F.relu(ax.tensor([True])), TE, r"relu: Boolean inputs")],
        "F.relu_": [
            E(
                lambda: F.relu_(ax.randn(2, requires_grad=True)),
                RE,
                r"relu: a leaf Variable that requires grad .*in-place",
            )
        ],
        "F.celu": [E(lambda: F.celu(x2(), alpha=0.0), RE, r"celu: .*alpha cannot be 0")],
        "F.gelu": [
            E(lambda: F.gelu(x2(), approximate="bogus"), VE, r"gelu: approximate argument must")
        ],
        "F.hardtanh": [
            E(lambda: F.hardtanh(x2(), 2.0, 1.0), VE, r"hardtanh: min_val cannot be greater")
        ],
        "F.prelu": [
            E(lambda: F.prelu(x2(), ax.randn(3)), RE, r"prelu: mismatch of parameter numbers"),
            E(lambda: F.prelu(x2(), ax.randn(2, 2)), RE, r"prelu: expected `weight` to be"),
        ],
        "F.elu_": [E(lambda: F.elu_(ints()), TE, r"elu: " + _FLOAT)],
        "F.celu_": [E(lambda: F.celu_(ints()), TE, r"celu: " + _FLOAT)],
        "F.leaky_relu_": [E(lambda: F.leaky_relu_(ints()), TE, r"leaky_relu: " + _FLOAT)],
        "F.silu": [E(lambda: F.silu(ints()), TE, r"silu: " + _FLOAT)],
        "F.mish": [E(lambda: F.mish(ints()), TE, r"mish: " + _FLOAT)],
        "F.hardswish": [E(lambda: F.hardswish(ints()), TE, r"hardswish: " + _FLOAT)],
        "F.hardsigmoid": [E(lambda: F.hardsigmoid(ints()), TE, r"hardsigmoid: " + _FLOAT)],
        "F.logsigmoid": [E(lambda: F.logsigmoid(ints()), TE, r"logsigmoid: " + _FLOAT)],
        "F.elu": [E(lambda: F.elu(ints()), TE, r"elu: " + _FLOAT)],
        "F.softplus": [E(lambda: F.softplus(ints()), TE, r"softplus: " + _FLOAT)],
        "F.step": [E(lambda: F.step(ax.tensor([True])), TE, r"step: expected a floating")],
        "F.cross_entropy": [
            E(
                lambda: F.cross_entropy(x2(), ax.tensor([0, 1, 7])),
                IE,
                r"cross_entropy: Target 7 is out of bounds",
            ),
            E(
                lambda: F.cross_entropy(x2(), ax.tensor([0, 1])),
                VE,
                r"cross_entropy: Expected input batch_size \(3\) to match target batch_size \(2\)",
            ),
            E(
                lambda: F.cross_entropy(x2(), ax.tensor([0, 1, 2]), reduction="avg"),
                VE,
                r"cross_entropy: avg is not a valid value for reduction",
            ),
        ],
        "F.nll_loss": [
            E(
                lambda: F.nll_loss(x2(), ax.tensor([0, 1, 7])),
                IE,
                r"nll_loss: Target 7 is out of bounds",
            )
        ],
        "F.mse_loss": [
            E(
                lambda: F.mse_loss(x2(), ax.randn(4, 3)),
                RE,
                r"mse_loss: The size of tensor a \(3\) must match .*\(4\)",
            ),
            E(
                lambda: F.mse_loss(x2(), x2(), reduction="avg"),
                VE,
                r"mse_loss: avg is not a valid value for reduction",
            ),
        ],
        "F.l1_loss": [
            E(lambda: F.l1_loss(x2(), ax.randn(2, 4)), RE, r"l1_loss: The size of tensor a"),
            E(lambda: F.l1_loss(x2(), x2(), reduction="x"), VE, r"l1_loss: x is not a valid"),
        ],
        "F.huber_loss": [
            E(
                lambda: F.huber_loss(x2(), x2(), delta=0.0),
                RE,
                r"huber_loss does not support non-positive values for delta",
            )
        ],
        "F.smooth_l1_loss": [
            E(
                lambda: F.smooth_l1_loss(x2(), x2(), beta=-1.0),
                RE,
                r"smooth_l1_loss does not support negative values for beta",
            )
        ],
        "F.kl_div": [
            E(lambda: F.kl_div(x2(), x2(), reduction="x"), VE, r"kl_div: x is not a valid value")
        ],
        "F.binary_cross_entropy": [
            E(
                lambda: F.binary_cross_entropy(ax.tensor([1.5]), ax.tensor([1.0])),
                RE,
                r"binary_cross_entropy: all elements of input should be between 0 and 1",
            )
        ],
        "F.binary_cross_entropy_with_logits": [
            E(
                lambda: F.binary_cross_entropy_with_logits(ax.rand(3, 1), ax.rand(3)),
                VE,
                r"binary_cross_entropy_with_logits: Target size \(\[3\]\) must be the same",
            )
        ],
        "F.multi_margin_loss": [
            E(
                lambda: F.multi_margin_loss(x2(), ax.tensor([0, 1, 5])),
                IE,
                r"multi_margin_loss: target 5 out of range",
            ),
            E(
                lambda: F.multi_margin_loss(x2(), ax.tensor([0, 1, 2]), p=3),
                VE,
                r"multi_margin_loss: only p == 1 and p == 2 supported, got 3",
            ),
        ],
        "F.cosine_embedding_loss": [
            E(
                lambda: F.cosine_embedding_loss(x2(), ax.randn(3), ax.ones(3)),
                RE,
                r"cosine_embedding_loss: 1D target tensor expects 2D input",
            )
        ],
        "F.cosine_similarity": [
            E(
                lambda: F.cosine_similarity(x2(), ax.randn(3), dim=1),
                RE,
                r"cosine_similarity: The size of tensor a \(4\)",
            ),
            E(
                lambda: F.cosine_similarity(x2(), x2(), dim=3),
                IE,
                r"cosine_similarity: dimension out of range",
            ),
        ],
        "F.normalize": [
            E(lambda: F.normalize(x2(), dim=2), IE, r"normalize: dimension out of range")
        ],
    }
    # Sizes and indices near the int64 limits: overflow in the kernels' index math would
    # corrupt memory, so each runs in a child interpreter.
    risky = {
        "F.embedding": S(
            "F.embedding(ax.tensor([10**12]), ax.randn(3, 2))",
            IE,
            r"embedding: index 1000000000000 is out of range for num_embeddings=3",
        ),
        "F.unfold": S(
            "F.unfold(ax.randn(1, 1, 4, 4), 2, dilation=10**9)",
            RE,
            r"unfold: the \(dilated\) kernel \[2\] does not fit .*dilation \[1000000000\]",
        ),
        "F.pad": S(
            "F.pad(ax.randn(1, 1, 4), (-(10**12), 0))",
            VE,
            r"pad: padding \(-1000000000000, 0\) of dim 2 leaves a negative size",
        ),
        "F.conv1d": S(
            "F.conv1d(ax.randn(1, 1, 4), ax.randn(1, 1, 2), dilation=10**12)",
            RE,
            r"conv1d: kernel size \(dilated\) \[1000000000001\] is larger",
        ),
        "F.interpolate": S(
            "F.interpolate(ax.randn(1, 1, 4), size=-3)",
            RE,
            r"interpolate: Input and output sizes should be greater than 0.*output_size=\[-3\]",
        ),
        "F.fold": S(
            "F.fold(ax.randn(1, 4, 1), (2**40, 2), 2)",
            RE,
            r"fold: input of shape \[1, 4, 1\] has 1 blocks, but output_size",
        ),
        "F.cross_entropy": S(
            "F.cross_entropy(ax.randn(2, 3), ax.tensor([2**62, 0]))",
            IE,
            r"cross_entropy: Target 4611686018427387904 is out of bounds",
        ),
        "F.nll_loss": S(
            "F.nll_loss(ax.randn(2, 3), ax.tensor([0, -2**62]))",
            IE,
            r"nll_loss: Target -4611686018427387904 is out of bounds",
        ),
        "F.multi_margin_loss": S(
            "F.multi_margin_loss(ax.randn(2, 3), ax.tensor([0, 2**40]))",
            IE,
            r"multi_margin_loss: target 1099511627776 out of range",
        ),
        "F.max_unpool1d": S(
            "F.max_unpool1d(ax.randn(1, 1, 2), ax.tensor([[[0, -2**40]]]), 2)",
            RE,
            r"max_unpool1d: Found an invalid max index: -1099511627776",
        ),
        "F.pixel_shuffle": S(
            "F.pixel_shuffle(ax.randn(1, 4, 2, 2), 2**31)",
            RE,
            r"pixel_shuffle expects .*upscale_factor.*not divisible by 4611686018427387904",
        ),
    }
    for name, case in risky.items():
        errs[name].append(case)
    for name, case in _named_cpp_errors() + _huge_sizes() + _wrong_types():
        errs.setdefault(name, []).append(case)
    return errs


def _named_cpp_errors() -> list[tuple[str, ErrorCase]]:
    """Bad input whose C++ error used to name another op (or none): now named at the source."""
    cases = [
        (
            "F.linear",
            E(
                lambda: F.linear(x2(), ax.randn(5, 4), ax.randn(3)),
                RE,
                r"linear: bias of shape \[3\]",
            ),
        ),
        (
            "F.linear",
            E(lambda: F.linear(x2(), ax.randn(4), ax.randn(2)), RE, r"linear: bias of shape \[2\]"),
        ),
        (
            "F.batch_norm",
            E(
                lambda: F.batch_norm(ax.randn(1, 4), None, None, training=True),
                VE,
                r"batch_norm: Expected more than 1 value per channel",
            ),
        ),
        (
            "F.one_hot",
            E(
                lambda: F.one_hot(ax.tensor([0, 3]), 2),
                RE,
                r"one_hot: class values must be smaller than num_classes, got class 3",
            ),
        ),
        (
            "F.one_hot",
            E(
                lambda: F.one_hot(ax.tensor([0, -1]), 2),
                RE,
                r"one_hot: class values must be non-negative, got -1",
            ),
        ),
    ]
    for name, call in (
        ("F.relu6", lambda: F.relu6(ax.tensor([True]))),
        ("nn.ReLU6", lambda: nn.ReLU6()(ax.tensor([True]))),
    ):
        cases.append((name, E(call, TE, r"relu6: expected a floating")))
    for name, call in (
        ("F.selu", lambda: F.selu(ints())),
        ("F.selu_", lambda: F.selu_(ints())),
        ("nn.SELU", lambda: nn.SELU()(ints())),
    ):
        cases.append((name, E(call, TE, r"selu: expected a floating")))
    return cases


def _huge_sizes() -> list[tuple[str, ErrorCase]]:
    """Sizes whose byte count wraps around int64, or far beyond any machine's memory: refused
    with the op's name before any allocation or O(size) table (no wraparound, no hang). In a
    child interpreter, since the bug these guard against writes outside a buffer."""
    big = r"is too large"
    return [
        (
            "F.one_hot",
            S(
                "F.one_hot(ax.tensor([2**62]))",
                RE,
                rf"one_hot: size \[1, 4611686018427387905\] {big}",
            ),
        ),
        ("F.one_hot", S("F.one_hot(ax.tensor([0]), 2**62)", RE, rf"one_hot: size .* {big}")),
        (
            "F.adaptive_avg_pool1d",
            S(
                "F.adaptive_avg_pool1d(ax.randn(1, 1, 4), 2**40)",
                RE,
                rf"adaptive_avg_pool1d: size \[1, 1, 1099511627776\] {big}",
            ),
        ),
        (
            "F.adaptive_avg_pool2d",
            S(
                "F.adaptive_avg_pool2d(ax.randn(1, 1, 4, 4), (2**32, 2**32))",
                RE,
                rf"adaptive_avg_pool2d: size .* {big}",
            ),
        ),
        (
            "F.adaptive_max_pool1d",
            S(
                "F.adaptive_max_pool1d(ax.randn(1, 1, 4), 2**40)",
                RE,
                rf"adaptive_max_pool1d: size .* {big}",
            ),
        ),
        (
            "F.adaptive_max_pool2d",
            S(
                "F.adaptive_max_pool2d(ax.randn(1, 1, 4, 4), (2**31, 2**31))",
                RE,
                rf"adaptive_max_pool2d: size .* {big}",
            ),
        ),
        (
            "nn.AdaptiveAvgPool1d",
            S(
                "nn.AdaptiveAvgPool1d(2**40)(ax.randn(1, 1, 4))",
                RE,
                rf"adaptive_avg_pool1d: size .* {big}",
            ),
        ),
        (
            "F.interpolate",
            S(
                "F.interpolate(ax.randn(1, 1, 4), size=2**40)",
                RE,
                rf"interpolate: size \[1, 1, 1099511627776\] {big}",
            ),
        ),
        (
            "F.interpolate",
            S(
                "F.interpolate(ax.randn(1, 1, 4), size=2**40, mode='area')",
                RE,
                rf"interpolate: size .* {big}",
            ),
        ),
        (
            "F.interpolate",
            S(
                "F.interpolate(ax.randn(1, 1, 2, 2), size=(2**32, 2**32), mode='bilinear')",
                RE,
                rf"interpolate: size .* {big}",
            ),
        ),
        (
            "nn.Upsample",
            S("nn.Upsample(size=2**40)(ax.randn(1, 1, 4))", RE, rf"interpolate: size .* {big}"),
        ),
        (
            "F.pad",
            S(
                "F.pad(ax.randn(1, 1, 4), (2**40, 0))",
                RE,
                rf"pad: size \[1, 1, 1099511627780\] {big}",
            ),
        ),
        (
            "F.pad",
            S(
                "F.pad(ax.randn(1, 1, 4), (2**62, 2**62))",
                RE,
                r"pad: padding \(4611686018427387904, 4611686018427387904\) of dim 2 is too large",
            ),
        ),
    ]


def _wrong_types() -> list[tuple[str, ErrorCase]]:
    """A non-tensor where a tensor (or an int where a dim) goes: pybind11's generic mismatch is
    renamed after the F function and the argument (nn.functional._argcheck)."""
    must = r"{}: argument '{}' must be {}, got {}"
    return [
        ("F.relu", E(lambda: F.relu("a"), TE, must.format("relu", "input", "a Tensor", "str"))),
        (
            "F.prelu",
            E(lambda: F.prelu(x2(), 0.5), TE, must.format("prelu", "weight", "a Tensor", "float")),
        ),
        (
            "F.softmax",
            E(
                lambda: F.softmax(x2(), "a"),
                TE,
                must.format("softmax", "dim", "int or None", "str"),
            ),
        ),
        (
            "F.log_softmax",
            E(
                lambda: F.log_softmax(x2(), 1.5),
                TE,
                must.format("log_softmax", "dim", "int or None", "float"),
            ),
        ),
        (
            "F.linear",
            E(lambda: F.linear(x2(), 3), TE, must.format("linear", "weight", "a Tensor", "int")),
        ),
        (
            "F.conv2d",
            E(
                lambda: F.conv2d(x4(), None),
                TE,
                must.format("conv2d", "weight", "a Tensor", "NoneType"),
            ),
        ),
        (
            "F.sigmoid",
            E(
                lambda: F.sigmoid([1.0, 2.0]),
                TE,
                must.format("sigmoid", "input", "a Tensor", "list"),
            ),
        ),
        (
            "F.layer_norm",
            E(
                lambda: F.layer_norm(x2(), (4,), "w"),
                TE,
                must.format("layer_norm", "weight", "a Tensor or None", "str"),
            ),
        ),
        ("nn.ReLU", E(lambda: nn.ReLU()("a"), TE, must.format("relu", "input", "a Tensor", "str"))),
        (
            "nn.Tanh",
            E(lambda: nn.Tanh()(3.0), TE, must.format("tanh", "input", "a Tensor", "float")),
        ),
    ]


def _module_errors() -> dict[str, list[ErrorCase]]:
    return {
        "nn.Linear": [
            E(lambda: nn.Linear(-1, 3), VE, r"Linear: in_features must be a non-negative int"),
            E(lambda: nn.Linear(3.5, 4), TE, r"Linear: in_features must be a non-negative int"),
            E(lambda: nn.Linear(3, 4)(ax.randn(2, 5)), RE, r"linear: mat1 and mat2 shapes"),
        ],
        "nn.Bilinear": [
            E(lambda: nn.Bilinear(2, 3, -4), VE, r"Bilinear: out_features must be a non-neg"),
            E(
                lambda: nn.Bilinear(2, 3, 4)(ax.randn(5, 2), ax.randn(5, 2)),
                RE,
                r"bilinear\(\): input sizes 2 and 2 do not match weight of shape \(4, 2, 3\)",
            ),
        ],
        "nn.Conv1d": [
            E(lambda: nn.Conv1d(2, 3, 3)(x4()), RE, r"conv1d: expected input with 2 .*dims"),
        ],
        "nn.Conv2d": [
            E(lambda: nn.Conv2d(2, 3, 0), VE, r"Conv2d: kernel_size must be 2 positive"),
            E(lambda: nn.Conv2d(3, 3, 3, groups=2), VE, r"Conv2d: in_channels must be divisible"),
            E(lambda: nn.Conv2d(2, 3, 3)(ax.randn(1, 3, 5, 5)), RE, r"conv2d: .*got 3 channels"),
            E(lambda: nn.Conv2d(2, 3, 3, padding_mode="bogus"), VE, r"Conv2d: padding_mode must"),
            E(
                lambda: nn.Conv2d(2, 3, 3, stride=2, padding="same"),
                VE,
                r"Conv2d: padding='same' is not supported for strided",
            ),
            E(lambda: nn.Conv2d(2, 3, 3, padding=-1), VE, r"Conv2d: padding must be 2 non-neg"),
        ],
        "nn.Conv3d": [E(lambda: nn.Conv3d(2, 3, 3)(x4()), RE, r"conv3d: expected input")],
        "nn.ConvTranspose2d": [
            E(
                lambda: nn.ConvTranspose2d(2, 3, 3)(ax.randn(1, 3, 5, 5)),
                RE,
                r"conv_transpose2d: expected input of shape \[1, 3, 5, 5\] to have 2 channels",
            )
        ],
        "nn.ConvTranspose1d": [
            E(
                lambda: nn.ConvTranspose1d(2, 3, 3, output_padding=3)(x3()),
                VE,
                r"conv_transpose1d: output_padding must be smaller than either stride or dilation",
            )
        ],
        "nn.ConvTranspose3d": [
            E(lambda: nn.ConvTranspose3d(2, 3, -1), VE, r"ConvTranspose3d: kernel_size must be")
        ],
        "nn.BatchNorm1d": [
            E(lambda: nn.BatchNorm1d(3)(x2()), RE, r"batch_norm: running_mean should contain 4"),
            E(lambda: nn.BatchNorm1d(3)(x4()), VE, r"BatchNorm1d: expected 2D or 3D input"),
        ],
        "nn.BatchNorm2d": [
            E(lambda: nn.BatchNorm2d(2)(x3()), VE, r"BatchNorm2d: expected 4D input \(got 3D"),
        ],
        "nn.BatchNorm3d": [
            E(lambda: nn.BatchNorm3d(2)(x4()), VE, r"BatchNorm3d: expected 5D input \(got 4D"),
        ],
        "nn.LayerNorm": [
            E(lambda: nn.LayerNorm(3)(x2()), RE, r"layer_norm: Given normalized_shape=\[3\]")
        ],
        "nn.GroupNorm": [
            E(lambda: nn.GroupNorm(3, 4), VE, r"GroupNorm: num_channels \(4\) must be divisible"),
            E(lambda: nn.GroupNorm(0, 4), VE, r"GroupNorm: num_groups must be positive, got 0"),
            E(lambda: nn.GroupNorm(2, 4)(ax.randn(2, 6)), RE, r"group_norm: Expected weight"),
        ],
        "nn.LSTM": [
            E(lambda: nn.LSTM(3, 0), VE, r"LSTM: hidden_size must be at least 1, got 0"),
            E(lambda: nn.LSTM(3, 4, num_layers=0), VE, r"LSTM: num_layers must be at least 1"),
            E(lambda: nn.LSTM(3, 4)(ax.randn(5, 2, 2)), RE, r"LSTM: input.size\(-1\) must be"),
            E(
                lambda: nn.LSTM(3, 4)(ax.randn(5, 2, 3), (ax.zeros(1, 2, 5), ax.zeros(1, 2, 4))),
                RE,
                r"LSTM: Expected hx\[0\] size \(1, 2, 4\), got \[1, 2, 5\]",
            ),
            E(
                lambda: nn.LSTM(3, 4)(ax.randn(5, 2, 3), ax.zeros(1, 2, 4)),
                TE,
                r"LSTM: hx must be a tuple \(h_0, c_0\), got Tensor",
            ),
            E(lambda: nn.LSTM(3, 4, dropout=1.5), VE, r"LSTM: dropout should be a number"),
            E(lambda: nn.LSTM(3, 4, proj_size=5), VE, r"LSTM: proj_size \(5\) has to be smaller"),
            E(lambda: nn.LSTM(3, 4)(ax.randn(2, 2, 2, 3)), RE, r"LSTM: Expected input to be 2D"),
        ],
        "nn.GRU": [
            E(lambda: nn.GRU(3, 4)(ax.randn(5, 2, 2)), RE, r"GRU: input.size\(-1\) must be"),
            E(
                lambda: nn.GRU(3, 4)(ax.randn(5, 2, 3), ax.zeros(2, 2, 4)),
                RE,
                r"GRU: Expected hx size \(1, 2, 4\), got \[2, 2, 4\]",
            ),
        ],
        "nn.RNN": [
            E(lambda: nn.RNN(3, 4, nonlinearity="bogus"), VE, r"RNN: Unknown nonlinearity"),
            E(
                lambda: nn.RNN(3, 4)(ax.randn(5, 2, 3).long()),
                TE,
                r"RNN: input dtype \(axonite.int64\) does not match weight dtype",
            ),
            E(lambda: nn.RNN(-3, 4), VE, r"RNN: input_size must be at least 0, got -3"),
        ],
        "nn.LSTMCell": [
            E(
                lambda: nn.LSTMCell(3, 4)(ax.randn(2, 2)),
                RE,
                r"LSTMCell: input has inconsistent input_size: got 2",
            ),
            E(
                lambda: nn.LSTMCell(3, 4)(ax.randn(2, 3), (ax.zeros(2, 5), ax.zeros(2, 4))),
                RE,
                r"LSTMCell: Expected h_0 of shape \[2, 4\]",
            ),
        ],
        "nn.GRUCell": [
            E(
                lambda: nn.GRUCell(3, 4)(ax.randn(2, 3), ax.zeros(3, 4)),
                RE,
                r"GRUCell: Expected hx of shape \[2, 4\] .*got \[3, 4\]",
            ),
            E(lambda: nn.GRUCell(0, 4), VE, r"GRUCell: input_size must be a positive int"),
        ],
        "nn.RNNCell": [
            E(lambda: nn.RNNCell(3, 4, nonlinearity="x"), VE, r"RNNCell: nonlinearity must be"),
            E(lambda: nn.RNNCell(3, 4)(ax.randn(2, 2, 3)), VE, r"RNNCell: Expected input to be"),
        ],
        "nn.RNNBase": [
            E(lambda: nn.RNNBase("BOGUS", 3, 2), VE, r"RNNBase: unknown mode 'BOGUS'"),
        ],
        "nn.RNNCellBase": [
            E(
                lambda: nn.RNNCellBase(3, 2, True, 4, device="tpu"),
                RE,
                r"RNNCellBase: axonite tensors live on the CPU; got device='tpu'",
            ),
        ],
        "nn.Dropout": [E(lambda: nn.Dropout(1.5), VE, r"Dropout: dropout probability .*1.5")],
        "nn.Dropout1d": [E(lambda: nn.Dropout1d(3.0), VE, r"Dropout1d: dropout probability")],
        "nn.Dropout2d": [E(lambda: nn.Dropout2d(-0.5), VE, r"Dropout2d: dropout probability")],
        "nn.Dropout3d": [E(lambda: nn.Dropout3d(1.1), VE, r"Dropout3d: dropout probability")],
        "nn.AlphaDropout": [E(lambda: nn.AlphaDropout(2), VE, r"AlphaDropout: dropout prob")],
        "nn.FeatureAlphaDropout": [
            E(lambda: nn.FeatureAlphaDropout(-1), VE, r"FeatureAlphaDropout: dropout prob")
        ],
        "nn.Embedding": [
            E(lambda: nn.Embedding(-1, 3), VE, r"Embedding: num_embeddings must be a non-neg"),
            S(
                "nn.Embedding(3, 2)(ax.tensor([-2**63]))",
                IE,
                r"embedding: index -9223372036854775808 is out of range for num_embeddings=3",
            ),
            E(
                lambda: nn.Embedding(3, 2)(ax.tensor([3])),
                IE,
                r"embedding: index 3 is out of range for num_embeddings=3",
            ),
            E(
                lambda: nn.Embedding(3, 2, padding_idx=5),
                VE,
                r"Embedding: Padding_idx must be within num_embeddings \(padding_idx=5",
            ),
        ],
        "nn.MaxPool2d": [E(lambda: nn.MaxPool2d(0)(x4()), RE, r"max_pool2d: kernel size")],
        "nn.AvgPool2d": [
            E(lambda: nn.AvgPool2d(2, padding=2)(x4()), RE, r"avg_pool2d: pad should be at most")
        ],
        "nn.MaxPool1d": [E(lambda: nn.MaxPool1d(2)(x4()), RE, r"max_pool1d: expected 2D")],
        "nn.MaxPool3d": [E(lambda: nn.MaxPool3d(2)(x3()), RE, r"max_pool3d: expected 4D")],
        "nn.AvgPool1d": [E(lambda: nn.AvgPool1d(0)(x3()), RE, r"avg_pool1d: kernel size")],
        "nn.AvgPool3d": [E(lambda: nn.AvgPool3d(2)(x3()), RE, r"avg_pool3d: expected 4D")],
        "nn.AdaptiveMaxPool1d": [
            E(lambda: nn.AdaptiveMaxPool1d(-1)(x3()), RE, r"adaptive_max_pool1d: output_size")
        ],
        "nn.AdaptiveMaxPool2d": [
            E(lambda: nn.AdaptiveMaxPool2d(2)(ax.randn(12)), RE, r"adaptive_max_pool2d: .*\[12\]")
        ],
        "nn.AdaptiveAvgPool1d": [
            E(lambda: nn.AdaptiveAvgPool1d(2)(x4()), RE, r"adaptive_avg_pool1d: expected 2D")
        ],
        "nn.AdaptiveAvgPool2d": [
            E(
                lambda: nn.AdaptiveAvgPool2d((1, 2, 3))(x4()),
                VE,
                r"adaptive_avg_pool2d: output_size must be an int or 2 ints",
            )
        ],
        "nn.AdaptiveAvgPool3d": [
            E(lambda: nn.AdaptiveAvgPool3d(2)(x3()), RE, r"adaptive_avg_pool3d: expected 4D")
        ],
        "nn.AdaptiveMaxPool3d": [
            E(lambda: nn.AdaptiveMaxPool3d(2)(x3()), RE, r"adaptive_max_pool3d: expected 4D")
        ],
        "nn.MaxUnpool1d": [
            E(lambda: nn.MaxUnpool1d(2)(x4(), x4().long()), RE, r"max_unpool1d: expected 2D")
        ],
        "nn.MaxUnpool2d": [
            E(lambda: nn.MaxUnpool2d(2)(x4(), x4()), TE, r"max_unpool2d: expected indices of dtype")
        ],
        "nn.MaxUnpool3d": [
            E(lambda: nn.MaxUnpool3d(2)(x3(), x3().long()), RE, r"max_unpool3d: .*at least 4 dims")
        ],
        "nn.MinPool2d": [E(lambda: nn.MinPool2d(0)(x4()), RE, r"min_pool2d: kernel size")],
        "nn.Softmax": [E(lambda: nn.Softmax(dim=5)(x2()), IE, r"softmax: dimension out of range")],
        "nn.LogSoftmax": [
            E(lambda: nn.LogSoftmax(dim=-4)(x2()), IE, r"log_softmax: dimension out of range")
        ],
        "nn.Softmin": [E(lambda: nn.Softmin(dim=2)(x2()), IE, r"softmin: dimension out of range")],
        "nn.Flatten": [
            E(lambda: nn.Flatten(start_dim=5)(x2()), IE, r"flatten: dimension out of range"),
            E(lambda: nn.Flatten(2, 1)(x4()), RE, r"flatten: start_dim cannot come after end_dim"),
        ],
        "nn.Unflatten": [
            E(
                lambda: nn.Unflatten(1, (3, 3))(x2()),
                RE,
                r"unflatten: Provided sizes \[3, 3\] don't multiply up to the size of dim 1",
            )
        ],
        "nn.PixelShuffle": [
            E(lambda: nn.PixelShuffle(0)(x4()), RE, r"pixel_shuffle expects a positive upscale")
        ],
        "nn.PixelUnshuffle": [
            E(lambda: nn.PixelUnshuffle(2)(x4()), RE, r"pixel_unshuffle expects height")
        ],
        "nn.Upsample": [
            E(lambda: nn.Upsample()(x4()), VE, r"interpolate: either size or scale_factor"),
            E(
                lambda: nn.Upsample(size=2, mode="bogus")(x4()),
                VE,
                r"interpolate: unsupported mode 'bogus'",
            ),
        ],
        "nn.UpsamplingNearest2d": [
            E(lambda: nn.UpsamplingNearest2d()(x4()), VE, r"interpolate: either size or scale")
        ],
        "nn.UpsamplingBilinear2d": [
            E(
                lambda: nn.UpsamplingBilinear2d(size=3)(x3()),
                VE,
                r"interpolate: Got 3D input, but bilinear mode needs 4D",
            )
        ],
        "nn.Sequential": [
            E(
                lambda: nn.Sequential(1),
                TE,
                r"Sequential\.add_module: int is not a Module subclass",
            ),
            E(lambda: nn.Sequential()[3], IE, r"Sequential: index 3 is out of range"),
        ],
        "nn.ModuleList": [
            E(
                lambda: nn.ModuleList([1]),
                TE,
                r"ModuleList\.add_module: int is not a Module subclass",
            ),
            E(lambda: nn.ModuleList()[2], IE, r"ModuleList: index 2 is out of range"),
        ],
        "nn.ModuleDict": [
            E(
                lambda: nn.ModuleDict({"a": 1}),
                TE,
                r"ModuleDict\.add_module: int is not a Module subclass",
            )
        ],
        "nn.Parameter": [E(lambda: nn.Parameter("a"), TE, r"Parameter: data must be a Tensor")],
        "nn.Buffer": [E(lambda: nn.Buffer("a"), TE, r"Buffer: data must be a Tensor, got str")],
        "nn.Module": [
            E(
                lambda: nn.Module().add_module("x", 3),
                TE,
                r"Module\.add_module: int is not a Module subclass \(argument 'module' for name 'x'\)",
            ),
            E(
                lambda: nn.Linear(2, 2).load_state_dict(
                    {"weight": ax.zeros(3, 3), "bias": ax.zeros(2)}
                ),
                RE,
                r"Error\(s\) in loading state_dict for Linear:\n\tsize mismatch for weight",
            ),
            E(
                lambda: nn.Linear(2, 2).load_state_dict({}),
                RE,
                r"loading state_dict for Linear:\n\tMissing key\(s\) in state_dict: \"weight\"",
            ),
            E(
                lambda: nn.Linear(2, 2).to("tpu"),
                VE,
                r"device: expected 'cpu' or 'cuda', got 'tpu'",
            ),
        ],
        "nn.PReLU": [E(lambda: nn.PReLU(3)(x2()), RE, r"prelu: mismatch of parameter numbers")],
        "nn.Hardtanh": [
            E(lambda: nn.Hardtanh(2.0, 1.0), VE, r"Hardtanh: min_val cannot be greater")
        ],
        "nn.CELU": [E(lambda: nn.CELU(0.0)(x2()), RE, r"celu: .*alpha cannot be 0")],
        "nn.GELU": [E(lambda: nn.GELU("bogus")(x2()), VE, r"gelu: approximate argument must")],
        "nn.ReLU": [E(lambda: nn.ReLU()(ax.tensor([True])), TE, r"relu: Boolean inputs")],
        "nn.ELU": [E(lambda: nn.ELU()(ints()), TE, r"elu: " + _FLOAT)],
        "nn.SiLU": [E(lambda: nn.SiLU()(ints()), TE, r"silu: " + _FLOAT)],
        "nn.Mish": [E(lambda: nn.Mish()(ints()), TE, r"mish: " + _FLOAT)],
        "nn.Hardswish": [E(lambda: nn.Hardswish()(ints()), TE, r"hardswish: " + _FLOAT)],
        "nn.Hardsigmoid": [E(lambda: nn.Hardsigmoid()(ints()), TE, r"hardsigmoid: " + _FLOAT)],
        "nn.LogSigmoid": [E(lambda: nn.LogSigmoid()(ints()), TE, r"logsigmoid: " + _FLOAT)],
        "nn.Softplus": [E(lambda: nn.Softplus()(ints()), TE, r"softplus: " + _FLOAT)],
        "nn.Step": [E(lambda: nn.Step()(ax.tensor([True])), TE, r"step: expected a floating")],
        "nn.CrossEntropyLoss": [
            E(
                lambda: nn.CrossEntropyLoss()(x2(), ax.tensor([0, 1, 9])),
                IE,
                r"cross_entropy: Target 9 is out of bounds",
            ),
            E(
                lambda: nn.CrossEntropyLoss(reduction="x")(x2(), ax.tensor([0, 1, 2])),
                VE,
                r"cross_entropy: x is not a valid value for reduction",
            ),
        ],
        "nn.NLLLoss": [
            E(
                lambda: nn.NLLLoss()(x2(), ax.tensor([0, 1])),
                VE,
                r"nll_loss: Expected input batch_size \(3\) to match target batch_size \(2\)",
            )
        ],
        "nn.MSELoss": [
            E(lambda: nn.MSELoss()(x2(), ax.randn(5)), RE, r"mse_loss: The size of tensor a")
        ],
        "nn.L1Loss": [
            E(
                lambda: nn.L1Loss(reduction="bogus")(x2(), x2()),
                VE,
                r"l1_loss: bogus is not a valid value for reduction",
            )
        ],
        "nn.BCELoss": [
            E(
                lambda: nn.BCELoss()(ax.tensor([2.0]), ax.tensor([1.0])),
                RE,
                r"binary_cross_entropy: all elements of input should be between 0 and 1",
            )
        ],
        "nn.BCEWithLogitsLoss": [
            E(
                lambda: nn.BCEWithLogitsLoss()(x2(), ax.rand(3)),
                VE,
                r"binary_cross_entropy_with_logits: Target size \(\[3\]\)",
            )
        ],
        "nn.HuberLoss": [E(lambda: nn.HuberLoss(delta=-1)(x2(), x2()), RE, r"huber_loss .*delta")],
        "nn.SmoothL1Loss": [
            E(lambda: nn.SmoothL1Loss(beta=-1)(x2(), x2()), RE, r"smooth_l1_loss .*beta")
        ],
        "nn.KLDivLoss": [
            E(lambda: nn.KLDivLoss(reduction="x")(x2(), x2()), VE, r"kl_div: x is not a valid")
        ],
        "nn.MultiMarginLoss": [
            E(
                lambda: nn.MultiMarginLoss(p=3)(x2(), ax.tensor([0, 1, 2])),
                VE,
                r"MultiMarginLoss: only p == 1 and p == 2 supported, got 3",
            )
        ],
        "nn.CosineEmbeddingLoss": [
            E(
                lambda: nn.CosineEmbeddingLoss()(x2(), ax.randn(3), ax.ones(3)),
                RE,
                r"cosine_embedding_loss: 1D target tensor expects 2D input",
            )
        ],
        "nn.HierarchicalSoftmax": [
            E(lambda: nn.HierarchicalSoftmax(4, 0), VE, r"HierarchicalSoftmax: n_classes must"),
            E(lambda: nn.HierarchicalSoftmax(0, 4), VE, r"HierarchicalSoftmax: in_features"),
        ],
        "nn.AdaptiveLogSoftmaxWithLoss": [
            E(
                lambda: nn.AdaptiveLogSoftmaxWithLoss(8, 10, [5, 3]),
                VE,
                r"AdaptiveLogSoftmaxWithLoss: cutoffs should be a sequence of unique",
            ),
            E(
                lambda: nn.AdaptiveLogSoftmaxWithLoss(8, 10, [5])(
                    ax.randn(3, 7), ax.tensor([0, 1, 2])
                ),
                RE,
                r"AdaptiveLogSoftmaxWithLoss: input should have in_features = 8",
            ),
        ],
    }


# ---- the table ---------------------------------------------------------------------------------

_FAMILIES: list[tuple[str, tuple[str, ...]]] = [
    ("module-system", ("Module", "Sequential", "Parameter", "Buffer", "RNNBase", "RNNCellBase")),
    ("rnn", ("rnn", "lstm", "gru")),
    (
        "loss",
        ("loss", "cross_entropy", "kl_div", "cosine", "HierarchicalSoftmax", "AdaptiveLogSoftmax"),
    ),
    ("conv", ("conv", "fold", "unfold")),
    ("pooling", ("pool",)),
    ("norm", ("norm", "Norm")),
    ("random", ("dropout", "Dropout")),
    ("resize", ("interpolate", "upsample", "Upsampl", "grid", "affine")),
    ("shape", ("Flatten", "Unflatten", "Identity", "pixel", "Pixel", "pad")),
    ("linalg", ("linear", "Linear", "bilinear", "Bilinear")),
    ("indexing", ("embedding", "Embedding", "one_hot")),
]


def _family(name: str) -> str:
    short = name.split(".", 1)[1].lower()
    for fam, keys in _FAMILIES:
        if any(k.lower() in short for k in keys):
            return fam
    return "activation"


# Callables with nothing of their own to compute: the reason, plus the behaviour rows above.
_SKIP = {
    "nn.RNNBase": "abstract base of RNN/LSTM/GRU: its forward is checked through those rows",
    "nn.RNNCellBase": "abstract base of RNNCell/LSTMCell/GRUCell: checked through those rows",
}


def _build() -> dict[str, Entry]:
    specs = _functional_specs() | _module_specs()
    errors = _functional_errors()
    for name, cases in _module_errors().items():
        errors.setdefault(name, []).extend(cases)
    table: dict[str, Entry] = {}
    for name in sorted(set(specs) | set(errors) | set(_SKIP)):
        table[name] = Entry(
            name=name,
            specs=specs.get(name, []),
            errors=errors.get(name, []),
            family=_family(name),
            skip_reason=_SKIP.get(name, ""),
        )
    return table


REGISTRY_NN: dict[str, Entry] = _build()
