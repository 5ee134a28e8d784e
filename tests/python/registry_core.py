"""Registry rows for every public callable of ``axonite`` itself (``ax.*``): math, reductions,
shape and indexing ops, linear algebra, creation, random and utility functions, and the
behaviour of the public classes. Each spec body calls ``ns(x).<op>`` so the same lambda runs on
axonite and on PyTorch (parity); ``ref`` is the NumPy reference. Spec variants cover the
non-contiguous (transposed or sliced), broadcast, 0-d and zero-size inputs an op accepts.

``extra={"parity": False, "why": ...}`` marks a row PyTorch cannot reproduce (random draws,
axonite-only behaviour); such a row always has a NumPy ``ref`` or a behaviour check instead.
``ax.Tensor`` also carries the existing OpSpec tables of Tensor methods, operators and indexing
(test_elementwise/reduce/views/indexing/matmul), reused rather than rewritten.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np
from op_registry import Entry, ErrorCase, OpSpec, ns

import axonite as ax

REGISTRY_CORE: dict[str, Entry] = {}


def add(
    name: str,
    family: str,
    specs: list[OpSpec] | None = None,
    errors: list[ErrorCase] | None = None,
    skip_reason: str = "",
) -> None:
    key = f"ax.{name}"
    if key in REGISTRY_CORE:
        raise ValueError(f"registry_core: {key} added twice")
    REGISTRY_CORE[key] = Entry(key, list(specs or []), list(errors or []), family, skip_reason)


def err(call: Callable[[], Any], exc: Any, match: str, known_issue: str = "") -> ErrorCase:
    return ErrorCase(call, exc, match, known_issue=known_issue)


def cpp_msg(wrong: str) -> str:
    """The ``known_issue`` note of an error case whose C++ message misnames the op."""
    return f"C++ message {wrong}; to be fixed in cpp/ (reported to the lead)"


_NAMES_EMPTY = cpp_msg("names 'empty:' for a negative size (cpp/axonite/tensor/tensor.cpp)")


def no_parity(why: str) -> dict[str, Any]:
    return {"parity": False, "why": why}


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


# ---- elementwise unary ---------------------------------------------------------------------------
# name -> (NumPy reference, input range, differentiable). Non-differentiable ones (piecewise
# constant) skip gradcheck; their zero gradient is not a derivative worth checking.
UNARY: dict[str, tuple[Callable[[np.ndarray], np.ndarray], float, float, bool]] = {
    "abs": (np.abs, -2, 2, True),
    "absolute": (np.abs, -2, 2, True),
    "neg": (np.negative, -2, 2, True),
    "negative": (np.negative, -2, 2, True),
    "exp": (np.exp, -2, 2, True),
    "expm1": (np.expm1, -2, 2, True),
    "log": (np.log, 0.2, 3, True),
    "log1p": (np.log1p, -0.5, 3, True),
    "sqrt": (np.sqrt, 0.2, 3, True),
    "rsqrt": (lambda a: 1 / np.sqrt(a), 0.2, 3, True),
    "reciprocal": (np.reciprocal, 0.5, 2, True),
    "sin": (np.sin, -2, 2, True),
    "cos": (np.cos, -2, 2, True),
    "tanh": (np.tanh, -2, 2, True),
    "sigmoid": (_sigmoid, -2, 2, True),
    "relu": (lambda a: np.maximum(a, 0), -2, 2, True),
    "sign": (np.sign, -2, 2, False),
    "floor": (np.floor, -3, 3, False),
    "ceil": (np.ceil, -3, 3, False),
    "round": (np.round, -3, 3, False),
}


def _unary_specs(name: str) -> list[OpSpec]:
    ref, lo, hi, grad = UNARY[name]
    kw = {"low": lo, "high": hi, "grad": grad}
    return [
        OpSpec(name, lambda x: getattr(ns(x), name)(x), ref, [(3, 4)], **kw),
        OpSpec(
            f"{name}_transposed",
            lambda x: getattr(ns(x), name)(x.t()),
            lambda x: ref(x.T),
            [(4, 3)],
            **kw,
        ),
        OpSpec(
            f"{name}_sliced",
            lambda x: getattr(ns(x), name)(x[:, ::2]),
            lambda x: ref(x[:, ::2]),
            [(2, 6)],
            **kw,
        ),
        OpSpec(f"{name}_0d", lambda x: getattr(ns(x), name)(x), ref, [()], **kw),
        OpSpec(f"{name}_empty", lambda x: getattr(ns(x), name)(x), ref, [(0, 3)], **kw),
        # 72 elements: above tolerances.BASE.fast_above, so gradcheck runs in fast mode
        OpSpec(f"{name}_large", lambda x: getattr(ns(x), name)(x), ref, [(9, 8)], **kw),
    ]


# Aliases report errors under the canonical op's name, as PyTorch's do.
_ALIAS_OF = {"absolute": "abs", "negative": "neg", "subtract": "sub", "multiply": "mul"}
_ALIAS_OF |= {"divide": "div", "true_divide": "div"}
for _name in UNARY:
    add(
        _name,
        "elementwise",
        _unary_specs(_name),
        [
            err(
                lambda n=_name: getattr(ax, n)("x"),
                TypeError,
                rf"(?s)({_ALIAS_OF.get(_name, _name)})\(\): incompatible function arguments"
                r".*\(input: Tensor\).*Invoked with: 'x'",
            ),
        ],
    )

add(
    "logical_not",
    "elementwise",
    [
        OpSpec(
            "logical_not",
            lambda x: ns(x).logical_not(x > 0),
            lambda x: np.logical_not(x > 0),
            grad=False,
        ),
        OpSpec(
            "logical_not_empty",
            lambda x: ns(x).logical_not(x > 0),
            lambda x: np.logical_not(x > 0),
            [(0,)],
            grad=False,
        ),
    ],
    [
        err(
            lambda: ax.logical_not(None),
            TypeError,
            r"(?s)logical_not\(\): incompatible.*\(input: Tensor\).*Invoked with: None",
        )
    ],
)

# Extra error rows for the unary ops with a restricted input kind.
REGISTRY_CORE["ax.neg"].errors.append(
    err(lambda: ax.neg(ax.tensor([True])), TypeError, r"neg: negation.*on a bool tensor")
)
REGISTRY_CORE["ax.exp"].errors.append(
    err(lambda: ax.exp(np.ones(2)), TypeError, r"(?s)exp\(\).*incompatible.*input: .*Tensor")
)

# ---- elementwise binary --------------------------------------------------------------------------


def _pos(rng: np.random.Generator, *shapes: tuple[int, ...]) -> list[np.ndarray]:
    return [rng.uniform(0.5, 2.0, size=s) for s in shapes]


def _nonzero(rng: np.random.Generator, a: tuple[int, ...], b: tuple[int, ...]) -> list[np.ndarray]:
    """Divisors bounded away from zero and from integer quotients (remainder's jumps)."""
    return [rng.uniform(-3, 3, a), rng.choice([0.7, -0.9, 1.3, -1.1], size=b)]


BINARY: dict[str, tuple[Callable[..., np.ndarray], Any, bool, bool]] = {
    # name -> (reference, make_inputs (None: uniform), grad, gradgrad)
    "add": (np.add, None, True, True),
    "sub": (np.subtract, None, True, True),
    "subtract": (np.subtract, None, True, True),
    "mul": (np.multiply, None, True, True),
    "multiply": (np.multiply, None, True, True),
    "div": (np.divide, _nonzero, True, True),
    "divide": (np.divide, _nonzero, True, True),
    "true_divide": (np.divide, _nonzero, True, True),
    "pow": (np.power, _pos, True, True),
    "maximum": (np.maximum, None, True, True),
    "minimum": (np.minimum, None, True, True),
    "remainder": (np.mod, _nonzero, True, False),
    "floor_divide": (np.floor_divide, _nonzero, False, False),
}


def _binary_specs(name: str) -> list[OpSpec]:
    ref, make, grad, gradgrad = BINARY[name]
    out = []
    for tag, a, b in (
        ("", (3, 4), (3, 4)),
        ("_broadcast", (2, 3, 4), (3, 1)),
        ("_0d", (), (3,)),
        ("_empty", (0, 3), (3,)),
    ):
        mk = (lambda r, a=a, b=b: make(r, a, b)) if make else None
        out.append(
            OpSpec(
                f"{name}{tag}",
                lambda x, y: getattr(ns(x), name)(x, y),
                ref,
                [a, b],
                make_inputs=mk,
                grad=grad,
                gradgrad=gradgrad,
            )
        )
    mk = (lambda r: make(r, (4, 3), (4, 3))) if make else None
    out.append(
        OpSpec(
            f"{name}_transposed",
            lambda x, y: getattr(ns(x), name)(x.t(), y.t()),
            lambda x, y: ref(x.T, y.T),
            [(4, 3), (4, 3)],
            make_inputs=mk,
            grad=grad,
            gradgrad=gradgrad,
        )
    )
    return out


for _name in BINARY:
    add(
        _name,
        "elementwise",
        _binary_specs(_name),
        [
            err(
                lambda n=_name: getattr(ax, n)(ax.ones(2, 3), ax.ones(4)),
                ValueError,
                rf"{_ALIAS_OF.get(_name, _name)}: shapes \[2, 3\] and \[4\] are not broadcastable",
            ),
        ],
    )

REGISTRY_CORE["ax.add"].errors += [
    err(lambda: ax.add(ax.ones(2), "a"), TypeError, r"add: expected a Tensor or a number, got str"),
    err(lambda: ax.add(ax.ones(2, 1, 3), ax.ones(2, 4, 2)), ValueError, r"add: shapes"),
]
REGISTRY_CORE["ax.mul"].errors.append(
    err(lambda: ax.mul(ax.ones(2), "a"), TypeError, r"mul: expected a Tensor or a number, got str")
)

COMPARE = {"eq": np.equal, "ne": np.not_equal, "lt": np.less, "le": np.less_equal}
COMPARE |= {"gt": np.greater, "ge": np.greater_equal}
for _name, _ref in COMPARE.items():
    add(
        _name,
        "elementwise",
        [
            OpSpec(
                _name,
                lambda x, y, n=_name: getattr(ns(x), n)(x, y.round()),
                lambda x, y, r=_ref: r(x, np.round(y)),
                [(3, 4), (4,)],
                grad=False,
                make_inputs=lambda r: [r.integers(-2, 3, (3, 4)) * 1.0, r.uniform(-2, 2, 4)],
            ),
            OpSpec(
                f"{_name}_scalar_transposed",
                lambda x, n=_name: getattr(ns(x), n)(x.t(), 0.5),
                lambda x, r=_ref: r(x.T, 0.5),
                [(4, 3)],
                grad=False,
            ),
        ],
        [
            err(
                lambda n=_name: getattr(ax, n)(ax.ones(3), ax.ones(4)),
                ValueError,
                rf"{_name}: shapes \[3\] and \[4\]",
            )
        ],
    )

add(
    "heaviside",
    "elementwise",
    [
        OpSpec(
            "heaviside",
            lambda x, v: ns(x).heaviside(x, v),
            np.heaviside,
            make_inputs=lambda r: [r.integers(-1, 2, (3, 4)) * 1.0, r.uniform(0, 1, 4)],
            grad=False,
        )
    ],
    [
        err(
            lambda: ax.heaviside(ax.ones(2), ax.ones(3)),
            ValueError,
            r"heaviside.*\[2\].*\[3\]",
        )
    ],
)

for _name, _ref in (
    ("bitwise_and", np.bitwise_and),
    ("bitwise_or", np.bitwise_or),
    ("bitwise_xor", np.bitwise_xor),
):
    add(
        _name,
        "elementwise",
        [
            OpSpec(
                _name,
                lambda x, y, n=_name: getattr(ns(x), n)(x, y),
                _ref,
                [(3, 4), (4,)],
                int_inputs=(0, 1),
                int_high=8,
                grad=False,
            ),
            OpSpec(
                f"{_name}_bool",
                lambda x, y, n=_name: getattr(ns(x), n)(x > 0, y > 0),
                lambda x, y, r=_ref: r(x > 0, y > 0),
                [(3, 4), (3, 4)],
                grad=False,
            ),
        ],
        [
            err(
                lambda n=_name: getattr(ax, n)(ax.ones(2), ax.ones(2)),
                TypeError,
                rf"{_name}: only bool and integer tensors.*float32",
            ),
            err(
                lambda n=_name: getattr(ax, n)(
                    ax.ones(2, dtype=ax.int64), ax.ones(3, dtype=ax.int64)
                ),
                ValueError,
                rf"{_name}: shapes \[2\] and \[3\]",
            ),
        ],
    )

add(
    "clamp",
    "elementwise",
    [
        OpSpec("clamp", lambda x: ns(x).clamp(x, -0.5, 0.7), lambda x: np.clip(x, -0.5, 0.7)),
        OpSpec(
            "clamp_min_transposed",
            lambda x: ns(x).clamp(x.t(), min=0.1),
            lambda x: np.maximum(x.T, 0.1),
            [(4, 3)],
        ),
        OpSpec(
            "clamp_tensor_bounds",
            lambda x, lo: ns(x).clamp(x, lo, lo + 1.0),
            lambda x, lo: np.clip(x, lo, lo + 1.0),
            [(3, 4), (4,)],
        ),
        OpSpec("clamp_0d", lambda x: ns(x).clamp(x, max=0.3), lambda x: np.minimum(x, 0.3), [()]),
    ],
    [
        err(lambda: ax.clamp(ax.ones(3)), ValueError, r"clamp: at least one of 'min' or 'max'"),
        err(
            lambda: ax.clamp(ax.ones(3), "a"),
            TypeError,
            r"clamp: expected a Tensor or a number, got str",
        ),
    ],
)
add(
    "clip",
    "elementwise",
    [OpSpec("clip", lambda x: ns(x).clip(x, -0.5, 0.7), lambda x: np.clip(x, -0.5, 0.7))],
    [err(lambda: ax.clip(ax.ones(3)), ValueError, r"(clip|clamp): at least one of 'min'")],
)

add(
    "where",
    "elementwise",
    [
        OpSpec(
            "where",
            lambda x, y: ns(x).where(x > 0, x, y),
            lambda x, y: np.where(x > 0, x, y),
            [(3, 4), (4,)],
        ),
        OpSpec(
            "where_transposed",
            lambda x, y: ns(x).where(y.t() > 0, x.t(), y.t()),
            lambda x, y: np.where(y.T > 0, x.T, y.T),
            [(4, 3), (4, 3)],
        ),
        OpSpec(
            "where_0d",
            lambda x, y: ns(x).where(x > 0, x, y),
            lambda x, y: np.where(x > 0, x, y),
            [(), (3,)],
        ),
    ],
    [
        err(
            lambda: ax.where(ax.ones(2), ax.ones(2), ax.ones(2)),
            TypeError,
            r"where: expected condition",
        ),
        err(
            lambda: ax.where(ax.ones(2, dtype=ax.bool), ax.ones(3), ax.ones(2)),
            ValueError,
            r"where: shapes \[2\] and \[3\]",
        ),
    ],
)

# ---- activations living in ax.* -----------------------------------------------------------------


def _softmax(x: np.ndarray, dim: int) -> np.ndarray:
    e = np.exp(x - x.max(axis=dim, keepdims=True))
    return e / e.sum(axis=dim, keepdims=True)


def _logsumexp(x: np.ndarray, dim: Any = None, keepdims: bool = False) -> np.ndarray:
    m = np.max(x, axis=dim, keepdims=True)
    out = np.log(np.sum(np.exp(x - m), axis=dim, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=dim)


for _name, _fn in (
    ("softmax", _softmax),
    ("log_softmax", lambda x, d: np.log(_softmax(x, d))),
):
    add(
        _name,
        "activation",
        [
            OpSpec(
                _name,
                lambda x, n=_name: getattr(ns(x), n)(x, 1),
                lambda x, f=_fn: f(x, 1),
                [(2, 3, 4)],
            ),
            OpSpec(
                f"{_name}_transposed",
                lambda x, n=_name: getattr(ns(x), n)(x.t(), -1),
                lambda x, f=_fn: f(x.T, -1),
                [(4, 3)],
            ),
            OpSpec(
                f"{_name}_empty",
                lambda x, n=_name: getattr(ns(x), n)(x, 1),
                lambda x, f=_fn: f(x, 1),
                [(0, 3)],
            ),
        ],
        [
            err(
                lambda n=_name: getattr(ax, n)(ax.ones(3), 4),
                IndexError,
                rf"{_name}: dimension out of range.*got 4",
            ),
            err(
                lambda n=_name: getattr(ax, n)(ax.ones(3), "a"),
                TypeError,
                rf"(?s){_name}\(\): incompatible function arguments.*dim: ",
            ),
        ],
    )

# ---- reductions -----------------------------------------------------------------------------------


def _reduce_specs(name: str, ref: Callable[..., Any], **kw: Any) -> list[OpSpec]:
    return [
        OpSpec(name, lambda x: getattr(ns(x), name)(x), lambda x: ref(x, None, False), **kw),
        OpSpec(
            f"{name}_dim1_keepdim",
            lambda x: getattr(ns(x), name)(x, 1, keepdim=True),
            lambda x: ref(x, 1, True),
            [(2, 3, 4)],
            **kw,
        ),
        OpSpec(
            f"{name}_dim_neg_transposed",
            lambda x: getattr(ns(x), name)(x.t(), -1),
            lambda x: ref(x.T, -1, False),
            [(4, 3)],
            **kw,
        ),
        OpSpec(
            f"{name}_0d",
            lambda x: getattr(ns(x), name)(x, 0),
            lambda x: ref(x, None, False),
            [()],
            **kw,
        ),
    ]


def _quiet(f: Callable[..., Any], *args: Any) -> Any:
    """f(*args) without NumPy's warnings: the mean of an empty slice is NaN by definition."""
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return f(*args)


def _np_reduce(f: Callable[..., Any]) -> Callable[..., Any]:
    return lambda x, d, k: np.asarray(f(x, axis=d, keepdims=k))


REDUCE = {
    "sum": (_np_reduce(np.sum), {}),
    "mean": (_np_reduce(np.mean), {}),
    "prod": (_np_reduce(np.prod), {"low": 0.5, "high": 1.5}),
    "amax": (_np_reduce(np.max), {}),
    "amin": (_np_reduce(np.min), {}),
    "logsumexp": (_logsumexp, {}),
}
for _name, (_ref, _kw) in REDUCE.items():
    specs = _reduce_specs(_name, _ref, **_kw)
    if _name in ("amax", "amin", "logsumexp"):  # torch requires dim for these
        specs = specs[1:]
    if _name in ("sum", "mean", "prod"):
        specs.append(
            OpSpec(
                f"{_name}_empty_dim",
                lambda x, n=_name: getattr(ns(x), n)(x, 0),
                lambda x, r=_ref: _quiet(r, x, 0, False),
                [(0, 3)],
            )
        )
    add(
        _name,
        "reduction",
        specs,
        [
            err(
                lambda n=_name: getattr(ax, n)(ax.ones(2, 3), 5),
                IndexError,
                rf"{_name}: dimension out of range.*got 5",
            ),
            err(
                lambda n=_name: getattr(ax, n)(ax.ones(2, 3), -3),
                IndexError,
                rf"{_name}: dimension out of range.*got -3",
            ),
        ],
    )

REGISTRY_CORE["ax.sum"].errors.append(
    err(lambda: ax.sum(ax.ones(2), "a"), TypeError, r"sum: dim must be None, an int or a tuple")
)

for _name, _np, _arg in (("max", np.max, np.argmax), ("min", np.min, np.argmin)):
    add(
        _name,
        "reduction",
        [
            OpSpec(_name, lambda x, n=_name: getattr(ns(x), n)(x), lambda x, f=_np: f(x)),
            OpSpec(
                f"{_name}_dim",
                lambda x, n=_name: tuple(getattr(ns(x), n)(x, 1)),
                lambda x, f=_np, g=_arg: (f(x, 1), g(x, 1)),
                [(3, 4)],
            ),
            OpSpec(
                f"{_name}_binary_broadcast",
                lambda x, y, n=_name: getattr(ns(x), n)(x, y),
                lambda x, y, f=_np: f(np.broadcast_arrays(x, y), 0),
                [(3, 4), (4,)],
            ),
        ],
        [
            err(
                lambda n=_name: getattr(ax, n)(ax.ones(0)),
                RuntimeError,
                rf"{_name}\(\): Expected reduction dim",
            ),
            err(
                lambda n=_name: getattr(ax, n)(ax.ones(2), 3),
                IndexError,
                rf"{_name}: dimension out of range",
            ),
        ],
    )

for _name, _np in (("argmax", np.argmax), ("argmin", np.argmin)):
    add(
        _name,
        "reduction",
        [
            OpSpec(
                _name, lambda x, n=_name: getattr(ns(x), n)(x), lambda x, f=_np: f(x), grad=False
            ),
            OpSpec(
                f"{_name}_dim_transposed",
                lambda x, n=_name: getattr(ns(x), n)(x.t(), 1, keepdim=True),
                lambda x, f=_np: f(x.T, 1)[:, None],
                [(4, 3)],
                grad=False,
            ),
        ],
        [
            err(
                lambda n=_name: getattr(ax, n)(ax.ones(3), 2),
                IndexError,
                rf"{_name}: dimension out of range.*got 2",
            ),
            err(
                lambda n=_name: getattr(ax, n)(ax.ones(0)),
                (RuntimeError, IndexError),
                rf"{_name}\(\): Expected reduction dim to be specified for input.numel\(\) == 0",
            ),
        ],
    )

for _name, _np in (("var", np.var), ("std", np.std)):
    add(
        _name,
        "reduction",
        [
            OpSpec(_name, lambda x, n=_name: getattr(ns(x), n)(x), lambda x, f=_np: f(x, ddof=1)),
            OpSpec(
                f"{_name}_dim_biased",
                lambda x, n=_name: getattr(ns(x), n)(x.t(), 0, unbiased=False, keepdim=True),
                lambda x, f=_np: f(x.T, 0, keepdims=True),
                [(4, 3)],
            ),
            OpSpec(
                f"{_name}_correction",
                lambda x, n=_name: getattr(ns(x), n)(x, dim=(0, 2), correction=2),
                lambda x, f=_np: f(x, axis=(0, 2), ddof=2),
                [(2, 3, 4)],
            ),
        ],
        [
            err(
                lambda n=_name: getattr(ax, n)(ax.ones(3), dim=3),
                IndexError,
                rf"{_name}: dimension out of range",
            ),
            err(
                lambda n=_name: getattr(ax, n)(ax.tensor([1, 2])),
                (TypeError, RuntimeError),
                rf"{_name}: std and var only support floating point.*got int64",
            ),
        ],
    )

for _name, _np in (("var_mean", np.var), ("std_mean", np.std)):
    add(
        _name,
        "reduction",
        [
            OpSpec(
                _name,
                lambda x, n=_name: tuple(getattr(ns(x), n)(x, 1)),
                lambda x, f=_np: (f(x, 1, ddof=1), np.mean(x, 1)),
                [(3, 4)],
            )
        ],
        [
            err(
                lambda n=_name: getattr(ax, n)(ax.ones(3), 2),
                IndexError,
                rf"{_name.split('_')[0]}.*dimension out of range",
            )
        ],
    )

add(
    "norm",
    "reduction",
    [
        OpSpec("norm", lambda x: ns(x).norm(x), lambda x: np.linalg.norm(x)),
        OpSpec(
            "norm_p1_dim",
            lambda x: ns(x).norm(x.t(), 1, dim=1),
            lambda x: np.abs(x.T).sum(1),
            [(4, 3)],
        ),
        OpSpec(
            "norm_p3_keepdim",
            lambda x: ns(x).norm(x, 3, dim=0, keepdim=True),
            lambda x: (np.abs(x) ** 3).sum(0, keepdims=True) ** (1 / 3),
        ),
    ],
    [
        err(lambda: ax.norm(ax.ones(3), p="nuc"), ValueError, r"norm: p='nuc' is not supported"),
        err(lambda: ax.norm(ax.ones(3), dim=4), IndexError, r"norm.*dimension out of range"),
    ],
)

for _name, _np in (("all", np.all), ("any", np.any)):
    add(
        _name,
        "reduction",
        [
            OpSpec(
                _name,
                lambda x, n=_name: getattr(ns(x), n)(x > 0),
                lambda x, f=_np: f(x > 0),
                grad=False,
            ),
            OpSpec(
                f"{_name}_dim",
                lambda x, n=_name: getattr(ns(x), n)(x.t() > -1, 1),
                lambda x, f=_np: f(x.T > -1, 1),
                [(4, 3)],
                grad=False,
            ),
            OpSpec(
                f"{_name}_empty",
                lambda x, n=_name: getattr(ns(x), n)(x > 0),
                lambda x, f=_np: f(x > 0),
                [(0,)],
                grad=False,
            ),
        ],
        [
            err(
                lambda n=_name: getattr(ax, n)(ax.ones(3), 1),
                IndexError,
                rf"{_name}: dimension out of range",
            )
        ],
    )

add(
    "count_nonzero",
    "reduction",
    [
        OpSpec(
            "count_nonzero",
            lambda x: ns(x).count_nonzero(x.round(), dim=1),
            lambda x: np.count_nonzero(np.round(x), axis=1),
            grad=False,
        )
    ],
    [
        err(
            lambda: ax.count_nonzero(ax.ones(2), dim=4),
            IndexError,
            r"count_nonzero: dimension out of range.*got 4",
        )
    ],
)

# ---- linear algebra ------------------------------------------------------------------------------


def _wellcond(rng: np.random.Generator, n: int = 3) -> list[np.ndarray]:
    return [rng.uniform(-1, 1, (n, n)) + 2 * np.eye(n)]


LINALG = "linalg"
add(
    "matmul",
    LINALG,
    [
        OpSpec("matmul", lambda a, b: ns(a).matmul(a, b), np.matmul, [(3, 4), (4, 2)]),
        OpSpec("matmul_batched_bcast", lambda a, b: a @ b, np.matmul, [(2, 3, 4), (4, 2)]),
        OpSpec("matmul_vec", lambda a, b: ns(a).matmul(a, b), np.matmul, [(4,), (2, 4, 3)]),
        OpSpec(
            "matmul_transposed",
            lambda a, b: ns(a).matmul(a.t(), b.t()),
            lambda a, b: a.T @ b.T,
            [(4, 3), (2, 4)],
        ),
        OpSpec("matmul_empty", lambda a, b: ns(a).matmul(a, b), np.matmul, [(0, 3), (3, 2)]),
    ],
    [
        err(lambda: ax.matmul(ax.ones(2, 3), ax.ones(4, 5)), RuntimeError, r"2x3 and 4x5"),
        err(
            lambda: ax.matmul(ax.ones(()), ax.ones(3)),
            RuntimeError,
            r"matmul: both arguments to matmul need to be at least 1D.*0D and 1D",
        ),
        err(
            lambda: ax.matmul(ax.ones(2, 2, dtype=ax.float32), ax.ones(2, 2, dtype=ax.float64)),
            RuntimeError,
            r"matmul: expected m1 and m2 to have the same dtype",
        ),
    ],
)
add(
    "mm",
    LINALG,
    [
        OpSpec("mm", lambda a, b: ns(a).mm(a, b), np.matmul, [(3, 4), (4, 2)]),
        OpSpec(
            "mm_transposed",
            lambda a, b: ns(a).mm(a.t(), b[:, ::2]),
            lambda a, b: a.T @ b[:, ::2],
            [(4, 3), (4, 4)],
        ),
    ],
    [
        err(lambda: ax.mm(ax.ones(3), ax.ones(3, 3)), RuntimeError, r"mm: self must be a matrix"),
        err(lambda: ax.mm(ax.ones(3, 2), ax.ones(3)), RuntimeError, r"mm: mat2 must be a matrix"),
        err(lambda: ax.mm(ax.ones(3, 2), ax.ones(3, 3)), RuntimeError, r"mm.*3x2 and 3x3"),
    ],
)
add(
    "bmm",
    LINALG,
    [
        OpSpec("bmm", lambda a, b: ns(a).bmm(a, b), np.matmul, [(2, 3, 4), (2, 4, 2)]),
        OpSpec(
            "bmm_transposed",
            lambda a, b: ns(a).bmm(a.transpose(1, 2), b),
            lambda a, b: a.transpose(0, 2, 1) @ b,
            [(2, 4, 3), (2, 4, 2)],
        ),
    ],
    [
        err(
            lambda: ax.bmm(ax.ones(3, 3), ax.ones(3, 3)), RuntimeError, r"bmm: batch1 must be a 3D"
        ),
        err(
            lambda: ax.bmm(ax.ones(2, 3, 3), ax.ones(3, 3, 3)),
            RuntimeError,
            r"bmm: Expected size for first two dimensions of batch2 tensor to be: \[2, 3\]",
        ),
    ],
)
add(
    "mv",
    LINALG,
    [OpSpec("mv", lambda a, v: ns(a).mv(a.t(), v), lambda a, v: a.T @ v, [(4, 3), (4,)])],
    [
        err(lambda: ax.mv(ax.ones(3, 3), ax.ones(4)), RuntimeError, r"mv: size mismatch"),
        err(
            lambda: ax.mv(ax.ones(3), ax.ones(3)),
            RuntimeError,
            r"mv: vector \+ matrix @ vector expected, got 1, 1, 1",
        ),
    ],
)
add(
    "dot",
    LINALG,
    [
        OpSpec("dot", lambda a, b: ns(a).dot(a, b), np.dot, [(5,), (5,)]),
        OpSpec(
            "dot_strided", lambda a, b: ns(a).dot(a[::2], b), lambda a, b: a[::2] @ b, [(6,), (3,)]
        ),
        OpSpec("dot_empty", lambda a, b: ns(a).dot(a, b), np.dot, [(0,), (0,)]),
    ],
    [
        err(lambda: ax.dot(ax.ones(3), ax.ones(4)), RuntimeError, r"dot: inconsistent tensor size"),
        err(
            lambda: ax.dot(ax.ones(3, 1), ax.ones(3)),
            RuntimeError,
            r"dot: 1D tensors expected, but got 2D and 1D tensors",
        ),
    ],
)
for _name in ("outer", "ger"):
    add(
        _name,
        LINALG,
        [
            OpSpec(_name, lambda a, b, n=_name: getattr(ns(a), n)(a, b), np.outer, [(3,), (4,)]),
            OpSpec(
                f"{_name}_strided",
                lambda a, b, n=_name: getattr(ns(a), n)(a[::2], b),
                lambda a, b: np.outer(a[::2], b),
                [(6,), (2,)],
            ),
        ],
        [
            err(
                lambda n=_name: getattr(ax, n)(ax.ones(2, 2), ax.ones(2)),
                RuntimeError,
                r"(outer|ger): Expected 1-D argument self",
            )
        ],
    )
add(
    "addmm",
    LINALG,
    [
        OpSpec(
            "addmm",
            lambda c, a, b: ns(a).addmm(c, a, b, beta=0.5, alpha=2.0),
            lambda c, a, b: 0.5 * c + 2.0 * (a @ b),
            [(2,), (3, 4), (4, 2)],
        )
    ],
    [
        err(
            lambda: ax.addmm(ax.ones(2, 2), ax.ones(2, 3), ax.ones(4, 2)),
            RuntimeError,
            r"addmm: mat1 and mat2 shapes cannot be multiplied \(2x3 and 4x2\)",
        ),
        err(
            lambda: ax.addmm(ax.ones(5, 5), ax.ones(2, 3), ax.ones(3, 2)),
            (RuntimeError, ValueError),
            r"addmm: the input of shape \[5, 5\] cannot be broadcast to the product's shape \[2, 2\]",
        ),
    ],
)
add(
    "det",
    LINALG,
    [
        OpSpec("det", lambda a: ns(a).det(a), np.linalg.det, make_inputs=_wellcond),
        OpSpec(
            "det_batched_transposed",
            lambda a: ns(a).det(a.transpose(-1, -2)),
            lambda a: np.linalg.det(a.transpose(0, 2, 1)),
            make_inputs=lambda r: [np.stack([_wellcond(r)[0], _wellcond(r)[0]])],
        ),
    ],
    [
        err(lambda: ax.det(ax.ones(2, 3)), RuntimeError, r"det: A must be batches of square"),
        err(
            lambda: ax.det(ax.ones(3)),
            RuntimeError,
            r"det: The input tensor A must have at least 2 dimensions",
        ),
    ],
)
add(
    "inverse",
    LINALG,
    [
        OpSpec("inverse", lambda a: ns(a).inverse(a), np.linalg.inv, make_inputs=_wellcond),
        OpSpec(
            "inverse_transposed",
            lambda a: ns(a).inverse(a.t()),
            lambda a: np.linalg.inv(a.T),
            make_inputs=_wellcond,
        ),
    ],
    [
        err(lambda: ax.inverse(ax.ones(2, 3)), RuntimeError, r"inv: A must be batches of square"),
        err(
            lambda: ax.inverse(ax.zeros(2, 2)), RuntimeError, r"inv: .*the input matrix is singular"
        ),
    ],
)


def _cos_ref(a: np.ndarray, b: np.ndarray, dim: int = 1) -> np.ndarray:
    num = (a * b).sum(dim)
    return num / np.maximum(np.linalg.norm(a, axis=dim) * np.linalg.norm(b, axis=dim), 1e-8)


add(
    "cosine_similarity",
    LINALG,
    [
        OpSpec(
            "cosine_similarity",
            lambda a, b: ns(a).cosine_similarity(a, b),
            _cos_ref,
            [(3, 4), (3, 4)],
        ),
        OpSpec(
            "cosine_similarity_bcast_dim0",
            lambda a, b: ns(a).cosine_similarity(a, b, dim=0),
            lambda a, b: _cos_ref(*np.broadcast_arrays(a, b), 0),
            [(3, 4), (3, 1)],
        ),
    ],
    [
        err(
            lambda: ax.cosine_similarity(ax.ones(2, 3), ax.ones(2, 4)),
            RuntimeError,
            r"cosine_similarity: The size of tensor a \(3\) must match",
        ),
        err(
            lambda: ax.cosine_similarity(ax.ones(2, 3), ax.ones(2, 3), dim=3),
            IndexError,
            r"cosine_similarity.*dimension out of range",
        ),
    ],
)

# ---- shape ops -----------------------------------------------------------------------------------
SHAPE = "shape"


def shape_op(
    name: str,
    specs: list[tuple[str, Callable[..., Any], Callable[..., Any], Any]],
    errors: list[ErrorCase],
    **kw: Any,
) -> None:
    """Rows (tag, body, ref, shapes) of a view/shape op: forward, gradients and parity each."""
    add(name, SHAPE, [OpSpec(f"{name}{t}", f, r, s, **kw) for t, f, r, s in specs], errors)


shape_op(
    "reshape",
    [
        ("", lambda x: ns(x).reshape(x, (4, -1)), lambda x: x.reshape(4, -1), [(2, 6)]),
        ("_transposed", lambda x: ns(x).reshape(x.t(), (-1,)), lambda x: x.T.reshape(-1), [(3, 4)]),
        ("_0d", lambda x: ns(x).reshape(x, (1, 1)), lambda x: x.reshape(1, 1), [()]),
        ("_empty", lambda x: ns(x).reshape(x, (3, 0)), lambda x: x.reshape(3, 0), [(0, 3)]),
    ],
    [
        err(lambda: ax.reshape(ax.ones(6), (4, -1)), RuntimeError, r"reshape: shape '\[4, -1\]'"),
        err(lambda: ax.reshape(ax.ones(6), (-1, -1)), RuntimeError, r"reshape.*only one dimension"),
        err(
            lambda: ax.reshape(ax.ones(6), (2, -3)),
            RuntimeError,
            r"reshape: invalid shape dimension -3 at index 1 of shape \[2, -3\]",
        ),
    ],
)
shape_op(
    "flatten",
    [
        ("", lambda x: ns(x).flatten(x, 1), lambda x: x.reshape(2, -1), [(2, 3, 2)]),
        ("_transposed", lambda x: ns(x).flatten(x.t()), lambda x: x.T.reshape(-1), [(3, 4)]),
        ("_0d", lambda x: ns(x).flatten(x), lambda x: x.reshape(1), [()]),
    ],
    [
        err(lambda: ax.flatten(ax.ones(2, 3), 3), IndexError, r"flatten.*dimension out of range"),
        err(lambda: ax.flatten(ax.ones(2, 3, 4), 2, 1), RuntimeError, r"flatten.*start_dim"),
    ],
)
shape_op(
    "permute",
    [
        ("", lambda x: ns(x).permute(x, (2, 0, 1)), lambda x: x.transpose(2, 0, 1), [(2, 3, 4)]),
        ("_empty", lambda x: ns(x).permute(x, (1, 0)), lambda x: x.T, [(0, 3)]),
    ],
    [
        err(lambda: ax.permute(ax.ones(2, 3), (0, 0)), RuntimeError, r"permute: duplicate dims"),
        err(
            lambda: ax.permute(ax.ones(2, 3), (0,)),
            (RuntimeError, ValueError),
            r"permute: number of dims don't match.*input.dim\(\) = 2.*len\(dims\) = 1",
        ),
        err(lambda: ax.permute(ax.ones(2, 3), (0, 2)), IndexError, r"permute.*out of range"),
    ],
)
for _name in ("transpose", "swapaxes", "swapdims"):
    shape_op(
        _name,
        [
            (
                "",
                lambda x, n=_name: getattr(ns(x), n)(x, 0, 2),
                lambda x: x.swapaxes(0, 2),
                [(2, 3, 4)],
            ),
            (
                "_sliced",
                lambda x, n=_name: getattr(ns(x), n)(x[:, 1:], -1, 0),
                lambda x: x[:, 1:].T,
                [(3, 4)],
            ),
        ],
        [
            err(
                lambda n=_name: getattr(ax, n)(ax.ones(2), 0, 3),
                IndexError,
                r"(transpose|swapaxes|swapdims): dimension out of range.*got 3",
            )
        ],
    )
shape_op(
    "t",
    [
        ("", lambda x: ns(x).t(x), lambda x: x.T, [(3, 4)]),
        ("_1d", lambda x: ns(x).t(x), lambda x: x, [(3,)]),
    ],
    [
        err(
            lambda: ax.t(ax.ones(2, 3, 4)),
            RuntimeError,
            r"t: expects a tensor with <= 2 dimensions.*\[2, 3, 4\]",
        )
    ],
)
for _name in ("moveaxis", "movedim"):
    shape_op(
        _name,
        [
            (
                "",
                lambda x, n=_name: getattr(ns(x), n)(x, 0, -1),
                lambda x: np.moveaxis(x, 0, -1),
                [(2, 3, 4)],
            ),
            (
                "_multi",
                lambda x, n=_name: getattr(ns(x), n)(x, (0, 1), (2, 0)),
                lambda x: np.moveaxis(x, (0, 1), (2, 0)),
                [(2, 3, 4)],
            ),
        ],
        [
            err(
                lambda n=_name: getattr(ax, n)(ax.ones(2, 3), 0, 5),
                IndexError,
                r"(movedim|moveaxis): dimension out of range",
            ),
            err(
                lambda n=_name: getattr(ax, n)(ax.ones(2, 3), (0, 1), (0,)),
                (RuntimeError, ValueError),
                r"movedim: Invalid source or destination dims.*same number of dims",
            ),
        ],
    )
shape_op(
    "squeeze",
    [
        ("", lambda x: ns(x).squeeze(x), lambda x: x.squeeze(), [(2, 1, 3, 1)]),
        ("_dim", lambda x: ns(x).squeeze(x, 1), lambda x: x.squeeze(1), [(2, 1, 3)]),
        ("_0d", lambda x: ns(x).squeeze(x), lambda x: x, [()]),
    ],
    [
        err(
            lambda: ax.squeeze(ax.ones(2, 3), 4),
            IndexError,
            r"squeeze: dimension out of range.*got 4",
        )
    ],
)
shape_op(
    "unsqueeze",
    [
        ("", lambda x: ns(x).unsqueeze(x, 1), lambda x: x[:, None], [(2, 3)]),
        (
            "_neg_transposed",
            lambda x: ns(x).unsqueeze(x.t(), -1),
            lambda x: x.T[..., None],
            [(2, 3)],
        ),
        ("_0d", lambda x: ns(x).unsqueeze(x, 0), lambda x: x.reshape(1), [()]),
    ],
    [
        err(
            lambda: ax.unsqueeze(ax.ones(2, 3), 4),
            IndexError,
            r"unsqueeze: dimension out of range.*got 4",
        )
    ],
)
shape_op(
    "unflatten",
    [
        ("", lambda x: ns(x).unflatten(x, 1, (2, 3)), lambda x: x.reshape(2, 2, 3), [(2, 6)]),
        (
            "_infer",
            lambda x: ns(x).unflatten(x, 0, (-1, 2)),
            lambda x: x.reshape(-1, 2, 3),
            [(4, 3)],
        ),
    ],
    [
        err(
            lambda: ax.unflatten(ax.ones(6), 0, (4, 2)),
            RuntimeError,
            r"unflatten: Provided sizes \[4, 2\] don't multiply up",
        ),
        err(lambda: ax.unflatten(ax.ones(6), 2, (2, 3)), IndexError, r"unflatten.*dimension out"),
    ],
)
for _name, _ref in (("flip", None), ("fliplr", np.fliplr), ("flipud", np.flipud)):
    if _name == "flip":
        rows = [
            ("", lambda x: ns(x).flip(x, (0, 2)), lambda x: np.flip(x, (0, 2)), [(2, 3, 4)]),
            ("_transposed", lambda x: ns(x).flip(x.t(), (1,)), lambda x: np.flip(x.T, 1), [(3, 4)]),
        ]
        errs = [err(lambda: ax.flip(ax.ones(2), (3,)), IndexError, r"flip: dimension out of range")]
    else:
        rows = [
            ("", lambda x, n=_name: getattr(ns(x), n)(x), _ref, [(3, 4)]),
            (
                "_transposed",
                lambda x, n=_name: getattr(ns(x), n)(x.t()),
                lambda x, r=_ref: r(x.T),
                [(3, 4)],
            ),
        ]
        errs = [
            err(
                lambda n=_name: getattr(ax, n)(ax.ones(3) if n == "fliplr" else ax.ones(())),
                RuntimeError,
                rf"{_name}: input must be >= {'2' if _name == 'fliplr' else '1'}-D",
            )
        ]
    shape_op(_name, rows, errs)
shape_op(
    "roll",
    [
        ("", lambda x: ns(x).roll(x, 1, 1), lambda x: np.roll(x, 1, 1), [(3, 4)]),
        ("_flat", lambda x: ns(x).roll(x.t(), -2), lambda x: np.roll(x.T, -2), [(3, 4)]),
        (
            "_multi",
            lambda x: ns(x).roll(x, (1, 2), (0, 1)),
            lambda x: np.roll(x, (1, 2), (0, 1)),
            [(3, 4)],
        ),
    ],
    [
        err(
            lambda: ax.roll(ax.ones(2, 3), (1, 2), (0,)),
            RuntimeError,
            r"roll: shifts and dimensions must align",
        ),
        err(lambda: ax.roll(ax.ones(2, 3), 1, 4), IndexError, r"roll.*dimension out of range"),
    ],
)
shape_op(
    "tile",
    [
        ("", lambda x: ns(x).tile(x, (2, 1)), lambda x: np.tile(x, (2, 1)), [(2, 3)]),
        (
            "_more_dims",
            lambda x: ns(x).tile(x.t(), (2, 1, 2)),
            lambda x: np.tile(x.T, (2, 1, 2)),
            [(2, 3)],
        ),
    ],
    [
        err(
            lambda: ax.tile(ax.ones(2), (-1,)),
            RuntimeError,
            r"tile: Trying to create tensor with negative dimension -1",
        )
    ],
)
shape_op(
    "narrow",
    [
        ("", lambda x: ns(x).narrow(x, 1, 1, 2), lambda x: x[:, 1:3], [(3, 4)]),
        ("_transposed", lambda x: ns(x).narrow(x.t(), 0, 0, 2), lambda x: x.T[:2], [(3, 4)]),
    ],
    [
        err(
            lambda: ax.narrow(ax.ones(4), 0, 3, 5),
            RuntimeError,
            r"narrow: start \(3\) \+ length \(5\)",
        ),
        err(lambda: ax.narrow(ax.ones(4), 2, 0, 1), IndexError, r"narrow.*dimension out of range"),
        err(
            lambda: ax.narrow(ax.ones(4), 0, 0, -1),
            RuntimeError,
            r"narrow: length must be non-negative, got -1",
        ),
    ],
)
shape_op(
    "select",
    [
        ("", lambda x: ns(x).select(x, 1, 2), lambda x: x[:, 2], [(3, 4)]),
        ("_neg", lambda x: ns(x).select(x.t(), 0, -1), lambda x: x.T[-1], [(3, 4)]),
    ],
    [
        err(lambda: ax.select(ax.ones(4), 0, 9), IndexError, r"select: index 9 out of range"),
        err(
            lambda: ax.select(ax.ones(()), 0, 0),
            IndexError,
            r"select: cannot be applied to a 0-dim tensor",
        ),
    ],
)
for _name in ("tril", "triu"):
    shape_op(
        _name,
        [
            ("", lambda x, n=_name: getattr(ns(x), n)(x), getattr(np, _name), [(3, 4)]),
            (
                "_diag_transposed",
                lambda x, n=_name: getattr(ns(x), n)(x.t(), -1),
                lambda x, n=_name: getattr(np, n)(x.T, -1),
                [(3, 4)],
            ),
            (
                "_batched",
                lambda x, n=_name: getattr(ns(x), n)(x, 1),
                lambda x, n=_name: getattr(np, n)(x, 1),
                [(2, 3, 3)],
            ),
        ],
        [
            err(
                lambda n=_name: getattr(ax, n)(ax.ones(3)),
                RuntimeError,
                rf"{_name}: input tensor must have at least 2 dimensions, got shape \[3\]",
            )
        ],
    )
shape_op(
    "as_strided",
    [
        (
            "",
            lambda x: ns(x).as_strided(x, (2, 2), (1, 2)),
            lambda x: np.lib.stride_tricks.as_strided(x, (2, 2), (x.itemsize, 2 * x.itemsize)),
            [(6,)],
        ),
    ],
    [
        err(
            lambda: ax.as_strided(ax.ones(4), (10,), (1,)),
            RuntimeError,
            r"as_strided: size \[10\], stride \[1\].*storage holds 4",
        ),
        err(
            lambda: ax.as_strided(ax.ones(4), (2,), (1, 1)),
            (RuntimeError, ValueError),
            r"as_strided: mismatch in length of size \[2\] and stride \[1, 1\]",
        ),
        err(
            lambda: ax.as_strided(ax.ones(4), (2,), (1,), -1),
            (RuntimeError, ValueError),
            r"as_strided: storage_offset must be non-negative, got -1",
        ),
    ],
)


# Splits return tuples: each piece is an output (the loss sums all of them).
def _split_row(name: str, body: Callable[..., Any], ref: Callable[..., Any], shape: Any) -> tuple:
    return (name, lambda x: tuple(body(x)), lambda x: tuple(ref(x)), [shape])


add(
    "split",
    SHAPE,
    [
        OpSpec(
            "split",
            lambda x: tuple(ns(x).split(x, 2, 1)),
            lambda x: tuple(np.split(x, [2, 4], 1)),
            [(3, 5)],
        ),
        OpSpec(
            "split_sizes_transposed",
            lambda x: tuple(ns(x).split(x.t(), [1, 3])),
            lambda x: tuple(np.split(x.T, [1], 0)),
            [(3, 4)],
        ),
    ],
    [
        err(lambda: ax.split(ax.ones(4), 0), RuntimeError, r"split: split_size can only be 0"),
        err(
            lambda: ax.split(ax.ones(4), [1, 2]),
            RuntimeError,
            r"split(_with_sizes)?: expects split_sizes to sum exactly to 4.*\[1, 2\]",
        ),
    ],
)
add(
    "chunk",
    SHAPE,
    [
        OpSpec(
            "chunk",
            lambda x: tuple(ns(x).chunk(x, 3, 1)),
            lambda x: tuple(np.split(x, [2, 4], 1)),
            [(3, 5)],
        )
    ],
    [
        err(
            lambda: ax.chunk(ax.ones(4), 0),
            RuntimeError,
            r"chunk: expects `chunks` to be greater than 0",
        ),
        err(lambda: ax.chunk(ax.ones(4), 2, 3), IndexError, r"chunk.*dimension out of range"),
    ],
)
add(
    "tensor_split",
    SHAPE,
    [
        OpSpec(
            "tensor_split",
            lambda x: tuple(ns(x).tensor_split(x, 3, 1)),
            lambda x: tuple(np.array_split(x, 3, 1)),
            [(3, 5)],
        ),
        OpSpec(
            "tensor_split_indices",
            lambda x: tuple(ns(x).tensor_split(x, [1, 3])),
            lambda x: tuple(np.split(x, [1, 3])),
            [(4, 2)],
        ),
    ],
    [
        err(
            lambda: ax.tensor_split(ax.ones(3), 0),
            RuntimeError,
            r"tensor_split: number of sections must be larger than 0",
        ),
        err(lambda: ax.tensor_split(ax.ones(()), 2), RuntimeError, r"tensor_split.*(0|dimension)"),
    ],
)
add(
    "unbind",
    SHAPE,
    [
        OpSpec(
            "unbind",
            lambda x: tuple(ns(x).unbind(x, 1)),
            lambda x: tuple(np.moveaxis(x, 1, 0)),
            [(2, 3)],
        )
    ],
    [err(lambda: ax.unbind(ax.ones(3), 2), IndexError, r"unbind: dimension out of range.*got 2")],
)

for _name, _ref in (
    ("cat", lambda a, b: np.concatenate([a, b], 1)),
    ("concat", lambda a, b: np.concatenate([a, b], 1)),
    ("concatenate", lambda a, b: np.concatenate([a, b], 1)),
):
    add(
        _name,
        SHAPE,
        [
            OpSpec(
                _name, lambda a, b, n=_name: getattr(ns(a), n)([a, b], 1), _ref, [(2, 3), (2, 1)]
            ),
            OpSpec(
                f"{_name}_transposed_empty",
                lambda a, b, n=_name: getattr(ns(a), n)([a.t(), b], 1),
                lambda a, b: np.concatenate([a.T, b], 1),
                [(0, 2), (2, 3)],
            ),
        ],
        [
            err(
                lambda n=_name: getattr(ax, n)([]),
                ValueError,
                rf"(cat|{_name}): expected a non-empty list",
            ),
            err(
                lambda n=_name: getattr(ax, n)([ax.ones(2, 3), ax.ones(2, 4)]),
                RuntimeError,
                r"cat: sizes of tensors must match except in dimension 0.*size 3 but got size 4",
            ),
            err(
                lambda n=_name: getattr(ax, n)([ax.ones(2, 3), ax.ones(2, 3)], 2),
                IndexError,
                r"cat.*dimension out of range",
            ),
        ],
    )
add(
    "stack",
    SHAPE,
    [
        OpSpec(
            "stack",
            lambda a, b: ns(a).stack([a, b], 1),
            lambda a, b: np.stack([a, b], 1),
            [(2, 3), (2, 3)],
        ),
        OpSpec(
            "stack_transposed_0d",
            lambda a, b: ns(a).stack([a, b]),
            lambda a, b: np.stack([a, b]),
            [(), ()],
        ),
    ],
    [
        err(
            lambda: ax.stack([ax.ones(2), ax.ones(3)]),
            RuntimeError,
            r"stack: expects each tensor to be equal size",
        ),
        err(
            lambda: ax.stack([]),
            (RuntimeError, ValueError),
            r"stack: expects a non-empty TensorList",
        ),
        err(lambda: ax.stack([ax.ones(2)], 3), IndexError, r"stack.*dimension out of range"),
    ],
)
for _name, _ref in (("hstack", np.hstack), ("vstack", np.vstack)):
    add(
        _name,
        SHAPE,
        [
            OpSpec(
                _name,
                lambda a, b, n=_name: getattr(ns(a), n)([a, b]),
                lambda a, b, r=_ref: r([a, b]),
                [(2, 3), (2, 3)],
            ),
            OpSpec(
                f"{_name}_1d",
                lambda a, b, n=_name: getattr(ns(a), n)([a, b]),
                lambda a, b, r=_ref: r([a, b]),
                [(3,), (3,)],
            ),
        ],
        [
            err(
                lambda n=_name: getattr(ax, n)([]),
                RuntimeError,
                rf"{_name}: expects a non-empty TensorList",
            ),
            err(
                lambda n=_name: getattr(ax, n)([ax.ones(2, 3), ax.ones(4, 5)]),
                RuntimeError,
                r"(cat|hstack|vstack): sizes of tensors must match except in dimension [01]",
            ),
        ],
    )

# ---- indexing --------------------------------------------------------------------------------------
IDX = "indexing"


def _idx(rows: Any, high: int) -> Callable[[np.random.Generator], np.ndarray]:
    return lambda r: r.integers(0, high, rows).astype(np.int64)


add(
    "gather",
    IDX,
    [
        OpSpec(
            "gather",
            lambda x, i: ns(x).gather(x, 1, i),
            lambda x, i: np.take_along_axis(x, i, 1),
            make_inputs=lambda r: [r.uniform(-1, 1, (3, 4)), _idx((3, 2), 4)(r)],
        ),
        OpSpec(
            "gather_transposed",
            lambda x, i: ns(x).gather(x.t(), 0, i),
            lambda x, i: np.take_along_axis(x.T, i, 0),
            make_inputs=lambda r: [r.uniform(-1, 1, (3, 4)), _idx((2, 3), 4)(r)],
        ),
    ],
    [
        err(
            lambda: ax.gather(ax.ones(2, 3), 1, ax.tensor([[5]])),
            RuntimeError,
            r"gather\(\): index 5 is out of bounds",
        ),
        err(
            lambda: ax.gather(ax.ones(2, 3), 1, ax.ones(2, 3)),
            (TypeError, RuntimeError),
            r"gather\(\): Expected dtype int64 for index, got float32",
        ),
        err(
            lambda: ax.gather(ax.ones(2, 3), 2, ax.tensor([[0]])),
            IndexError,
            r"gather.*dimension out of range",
        ),
    ],
)
add(
    "take_along_dim",
    IDX,
    [
        OpSpec(
            "take_along_dim_transposed",
            lambda x, i: ns(x).take_along_dim(x.t(), i, 1),
            lambda x, i: np.take_along_axis(x.T, i, 1),
            make_inputs=lambda r: [r.uniform(-1, 1, (3, 4)), _idx((4, 2), 3)(r)],
        ),
        OpSpec(
            "take_along_dim_flat",
            lambda x, i: ns(x).take_along_dim(x, i),
            lambda x, i: np.take(x.ravel(), i),
            make_inputs=lambda r: [r.uniform(-1, 1, (3, 4)), _idx((5,), 12)(r)],
        ),
    ],
    [
        err(
            lambda: ax.take_along_dim(ax.ones(3, 2), ax.ones(1, 2), 0),
            (TypeError, RuntimeError),
            r"take_along_dim.*int64",
        ),
    ],
)
add(
    "index_select",
    IDX,
    [
        OpSpec(
            "index_select",
            lambda x, i: ns(x).index_select(x, 1, i),
            lambda x, i: x[:, i],
            make_inputs=lambda r: [r.uniform(-1, 1, (3, 4)), np.array([3, 0, 3])],
        ),
        OpSpec(
            "index_select_transposed",
            lambda x, i: ns(x).index_select(x.t(), 0, i),
            lambda x, i: x.T[i],
            make_inputs=lambda r: [r.uniform(-1, 1, (3, 4)), np.array([1, 1])],
        ),
    ],
    [
        err(
            lambda: ax.index_select(ax.ones(2, 3), 0, ax.tensor([7])),
            IndexError,
            r"index_select\(\): index out of range.*index 7",
        ),
        err(
            lambda: ax.index_select(ax.ones(2, 3), 0, ax.tensor([[0]])),
            IndexError,
            r"index_select\(\): Index is supposed to be a vector, got shape \[1, 1\]",
        ),
    ],
)


def _index_add_ref(x: np.ndarray, i: np.ndarray, s: np.ndarray) -> np.ndarray:
    out = x.copy()
    np.add.at(out, i, 2.0 * s)  # alpha=2; repeated indices accumulate
    return out


def _index_put_ref(x: np.ndarray, i: np.ndarray, v: np.ndarray) -> np.ndarray:
    out = x.copy()
    np.add.at(out, i, v)
    return out


def _scatter_ref(x: np.ndarray, i: np.ndarray, s: np.ndarray) -> np.ndarray:
    out = x.copy()
    np.put_along_axis(out, i, s, 1)  # indices are unique per row: no write order to pin down
    return out


def _scatter_add_ref(x: np.ndarray, i: np.ndarray, s: np.ndarray) -> np.ndarray:
    out = x.copy()
    np.add.at(out, (i, np.broadcast_to(np.arange(i.shape[1]), i.shape)), s)  # dim 0
    return out


add(
    "index_add",
    IDX,
    [
        OpSpec(
            "index_add",
            lambda x, i, s: ns(x).index_add(x, 0, i, s, alpha=2.0),
            _index_add_ref,
            make_inputs=lambda r: [
                r.uniform(-1, 1, (4, 3)),
                np.array([0, 2, 0]),
                r.uniform(-1, 1, (3, 3)),
            ],
        )
    ],
    [
        err(
            lambda: ax.index_add(ax.ones(3), 0, ax.tensor([7]), ax.ones(1)),
            IndexError,
            r"index_add_?\(\): index out of range.*index 7",
        ),
        err(
            lambda: ax.index_add(ax.ones(3, 2), 0, ax.tensor([0]), ax.ones(1, 3)),
            (RuntimeError, ValueError),
            r"index_add_?\(\): source \[1, 3\] and self \[3, 2\] must have the same shape",
        ),
    ],
)
add(
    "index_put",
    IDX,
    [
        OpSpec(
            "index_put_accumulate",
            lambda x, i, v: ns(x).index_put(x, (i,), v, accumulate=True),
            _index_put_ref,
            make_inputs=lambda r: [
                r.uniform(-1, 1, (4,)),
                np.array([0, 2, 0]),
                r.uniform(-1, 1, 3),
            ],
        )
    ],
    [
        err(
            lambda: ax.index_put(ax.ones(3), (ax.tensor([5]),), ax.ones(1)),
            IndexError,
            r"index_put.*index 5 is out of bounds",
        ),
    ],
)
add(
    "scatter",
    IDX,
    [
        OpSpec(
            "scatter",
            lambda x, i, s: ns(x).scatter(x, 1, i, s),
            _scatter_ref,
            make_inputs=lambda r: [
                r.uniform(-1, 1, (2, 4)),
                np.array([[3, 1], [0, 2]]),
                r.uniform(-1, 1, (2, 2)),
            ],
        )
    ],
    [
        err(
            lambda: ax.scatter(ax.ones(2, 3), 1, ax.tensor([[9]]), ax.ones(1, 1)),
            RuntimeError,
            r"scatter\(\): index 9 is out of bounds",
        ),
        err(
            lambda: ax.scatter(ax.ones(2, 3), 1, ax.ones(1, 1), ax.ones(1, 1)),
            (TypeError, RuntimeError),
            r"scatter\(\): Expected dtype int64 for index, got float32",
        ),
    ],
)
add(
    "scatter_add",
    IDX,
    [
        OpSpec(
            "scatter_add",
            lambda x, i, s: ns(x).scatter_add(x, 0, i, s),
            _scatter_add_ref,
            make_inputs=lambda r: [
                r.uniform(-1, 1, (3, 2)),
                np.array([[0, 2], [0, 0]]),
                r.uniform(-1, 1, (2, 2)),
            ],
        )
    ],
    [
        err(
            lambda: ax.scatter_add(ax.ones(2, 3), 1, ax.tensor([[9]]), ax.ones(1, 1)),
            RuntimeError,
            r"scatter_add.*index 9 is out of bounds",
        ),
    ],
)
add(
    "masked_fill",
    IDX,
    [
        OpSpec(
            "masked_fill",
            lambda x, m: ns(x).masked_fill(x, m > 0, -1.5),
            lambda x, m: np.where(m > 0, -1.5, x),
            [(3, 4), (4,)],
        ),
        OpSpec(
            "masked_fill_transposed",
            lambda x, m: ns(x).masked_fill(x.t(), m.t() > 0, 0.0),
            lambda x, m: np.where(m.T > 0, 0.0, x.T),
            [(3, 4), (3, 4)],
        ),
    ],
    [
        err(
            lambda: ax.masked_fill(ax.ones(2, 3), ax.ones(2, 3), 1.0),
            RuntimeError,
            r"masked_fill only supports boolean masks.*float32",
        ),
        err(
            lambda: ax.masked_fill(ax.ones(2, 3), ax.ones(4, dtype=ax.bool), 1.0),
            ValueError,
            r"masked_fill.*\[4\].*\[2, 3\]",
        ),
    ],
)
add(
    "masked_select",
    IDX,
    [
        OpSpec(
            "masked_select",
            lambda x, m: ns(x).masked_select(x, m > 0),
            lambda x, m: np.broadcast_to(x, (3, 4))[np.broadcast_to(m > 0, (3, 4))],
            [(3, 4), (4,)],
        )
    ],
    [
        err(
            lambda: ax.masked_select(ax.ones(3), ax.ones(4, dtype=ax.bool)),
            ValueError,
            r"masked_select: shapes \[3\] and \[4\]",
        ),
        err(
            lambda: ax.masked_select(ax.ones(3), ax.ones(3)),
            (TypeError, RuntimeError),
            r"masked_select: expected BoolTensor for mask, got float32",
        ),
    ],
)
add(
    "nonzero",
    IDX,
    [
        OpSpec(
            "nonzero",
            lambda x: ns(x).nonzero(x.round()),
            lambda x: np.argwhere(np.round(x)),
            grad=False,
        )
    ],
    [err(lambda: ax.nonzero("x"), TypeError, r"(?s)nonzero\(\): incompatible.*input: Tensor")],
)
add(
    "one_hot",
    IDX,
    [
        OpSpec(
            "one_hot",
            lambda i: ax.one_hot(i, 4),
            lambda i: np.eye(4, dtype=np.int64)[i],
            [(2, 3)],
            int_inputs=(0,),
            int_high=4,
            grad=False,
            extra=no_parity("torch has no top-level one_hot (it is F.one_hot, checked there)"),
        )
    ],
    [
        err(
            lambda: ax.one_hot(ax.tensor([1.0])),
            RuntimeError,
            r"one_hot is only applicable to index tensor.*float32",
        ),
        err(
            lambda: ax.one_hot(ax.tensor([5]), 3),
            RuntimeError,
            r"one_hot.*num_classes",
        ),
        err(
            lambda: ax.one_hot(ax.tensor([-1]), 3),
            RuntimeError,
            r"one_hot.*non-negative",
        ),
    ],
)

# ---- creation ----------------------------------------------------------------------------------------
CREATE = "creation"


def _creation(
    name: str, body: Callable[[Any], Any], ref: Callable[[], np.ndarray], **kw: Any
) -> OpSpec:
    """A creation row: ``body(x)`` builds a tensor in x's library and dtype (x only picks them)."""
    return OpSpec(name, body, lambda x: ref(), [(1,)], grad=False, **kw)


add(
    "zeros",
    CREATE,
    [
        _creation("zeros", lambda x: ns(x).zeros(2, 3, dtype=x.dtype), lambda: np.zeros((2, 3))),
        _creation(
            "zeros_empty", lambda x: ns(x).zeros((0, 2), dtype=x.dtype), lambda: np.zeros((0, 2))
        ),
        _creation("zeros_0d", lambda x: ns(x).zeros((), dtype=x.dtype), lambda: np.zeros(())),
    ],
    [
        err(
            lambda: ax.zeros(-1, 2),
            ValueError,
            r"zeros: negative dimension in shape \[-1, 2\]",
        ),
        err(
            lambda: ax.zeros("a"),
            TypeError,
            r"zeros: expected a sequence of ints as the shape, got str",
        ),
        err(
            lambda: ax.zeros(2.5),
            TypeError,
            r"zeros: expected a sequence of ints as the shape, got float",
        ),
    ],
)
add(
    "ones",
    CREATE,
    [
        _creation("ones", lambda x: ns(x).ones((2, 3), dtype=x.dtype), lambda: np.ones((2, 3))),
        _creation("ones_empty", lambda x: ns(x).ones(0, dtype=x.dtype), lambda: np.ones(0)),
    ],
    [
        err(
            lambda: ax.ones(3, -2),
            ValueError,
            r"ones: negative dimension in shape \[3, -2\]",
        ),
        err(
            lambda: ax.ones(2, dtype="float"),
            TypeError,
            r"(?s)ones\(\): incompatible.*dtype: axonite._C.dtype",
        ),
    ],
)
add(
    "empty",
    CREATE,
    [
        _creation(
            "empty_shape",
            lambda x: ns(x).empty(2, 3, dtype=x.dtype).shape[1] * 1.0,
            lambda: np.float64(3),
        )
    ],
    [err(lambda: ax.empty(-4), ValueError, r"empty: negative dimension in shape \[-4\]")],
)
add(
    "full",
    CREATE,
    [
        _creation(
            "full", lambda x: ns(x).full((2, 3), 1.5, dtype=x.dtype), lambda: np.full((2, 3), 1.5)
        ),
        _creation("full_int", lambda x: ns(x).full((2,), 7), lambda: np.full(2, 7)),
    ],
    [
        err(
            lambda: ax.full((2,), "a"),
            TypeError,
            r"full: argument 'fill_value' must be a number, got str",
        ),
        err(
            lambda: ax.full((-2,), 1.0),
            ValueError,
            r"full: negative dimension in shape \[-2\]",
        ),
    ],
)
add(
    "eye",
    CREATE,
    [
        _creation("eye", lambda x: ns(x).eye(3, dtype=x.dtype), lambda: np.eye(3)),
        _creation("eye_rect", lambda x: ns(x).eye(2, 4, dtype=x.dtype), lambda: np.eye(2, 4)),
    ],
    [
        err(lambda: ax.eye(-2), RuntimeError, r"eye: n must be greater or equal to 0, got -2"),
        err(lambda: ax.eye(2, -1), RuntimeError, r"eye: m must be greater or equal to 0, got -1"),
    ],
)
add(
    "arange",
    CREATE,
    [
        _creation("arange", lambda x: ns(x).arange(5), lambda: np.arange(5)),
        _creation(
            "arange_float",
            lambda x: ns(x).arange(0.5, 2.0, 0.25, dtype=x.dtype),
            lambda: np.arange(0.5, 2.0, 0.25),
        ),
        _creation(
            "arange_neg_step", lambda x: ns(x).arange(3, -3, -2), lambda: np.arange(3, -3, -2)
        ),
        _creation("arange_empty", lambda x: ns(x).arange(2, 2), lambda: np.arange(2, 2)),
    ],
    [
        err(lambda: ax.arange(0, 5, 0), RuntimeError, r"arange: step must be nonzero"),
        err(
            lambda: ax.arange(0, 5, -1),
            RuntimeError,
            r"arange: upper bound and lower bound inconsistent with step sign.*step=-1",
        ),
        err(
            lambda: ax.arange("a"), TypeError, r"arange: argument 'start' must be a number, got str"
        ),
    ],
)
add(
    "linspace",
    CREATE,
    [
        _creation(
            "linspace",
            lambda x: ns(x).linspace(-1, 2, 7, dtype=x.dtype),
            lambda: np.linspace(-1, 2, 7),
        ),
        _creation(
            "linspace_1",
            lambda x: ns(x).linspace(3, 5, 1, dtype=x.dtype),
            lambda: np.linspace(3, 5, 1),
        ),
    ],
    [
        err(
            lambda: ax.linspace(0, 1, -2),
            RuntimeError,
            r"linspace: number of steps must be non-negative, got -2",
        )
    ],
)
add(
    "logspace",
    CREATE,
    [
        _creation(
            "logspace",
            lambda x: ns(x).logspace(0, 2, 5, base=2.0, dtype=x.dtype),
            lambda: np.logspace(0, 2, 5, base=2.0),
        )
    ],
    [
        err(
            lambda: ax.logspace(0, 1, -1),
            RuntimeError,
            r"logspace: number of steps must be non-negative",
        )
    ],
)
for _name, _np in (("zeros_like", np.zeros_like), ("ones_like", np.ones_like)):
    add(
        _name,
        CREATE,
        [
            OpSpec(
                _name,
                lambda x, n=_name: getattr(ns(x), n)(x.t()),
                lambda x, f=_np: f(x.T),
                grad=False,
            ),
            OpSpec(
                f"{_name}_empty", lambda x, n=_name: getattr(ns(x), n)(x), _np, [(0, 2)], grad=False
            ),
        ],
        [
            err(
                lambda n=_name: getattr(ax, n)(3),
                TypeError,
                rf"(?s){_name}\(\): incompatible.*input: Tensor.*Invoked with: 3",
            )
        ],
    )
add(
    "empty_like",
    CREATE,
    [
        OpSpec(
            "empty_like_shape",
            lambda x: ns(x).empty_like(x.t()).shape[0] * 1.0,
            lambda x: np.float64(4),
            grad=False,
        )
    ],
    [
        err(
            lambda: ax.empty_like(3),
            TypeError,
            r"(?s)empty_like\(\).*incompatible.*input: .*Tensor",
        )
    ],
)
add(
    "full_like",
    CREATE,
    [
        OpSpec(
            "full_like",
            lambda x: ns(x).full_like(x.t(), -2.5),
            lambda x: np.full_like(x.T, -2.5),
            grad=False,
        )
    ],
    [
        err(
            lambda: ax.full_like(ax.ones(2), "a"),
            TypeError,
            r"full_like: argument 'fill_value' must be a number, got str",
        )
    ],
)
add(
    "tensor",
    CREATE,
    [
        _creation(
            "tensor_nested",
            lambda x: ns(x).tensor([[1.0, 2.0], [3.0, 4.0]], dtype=x.dtype),
            lambda: np.array([[1.0, 2.0], [3.0, 4.0]]),
        ),
        _creation("tensor_scalar", lambda x: ns(x).tensor(3), lambda: np.array(3)),
        _creation("tensor_empty", lambda x: ns(x).tensor([], dtype=x.dtype), lambda: np.array([])),
        _creation(
            "tensor_bool", lambda x: ns(x).tensor([True, False]), lambda: np.array([True, False])
        ),
    ],
    [
        err(lambda: ax.tensor([[1, 2], [3]]), (TypeError, ValueError), r"tensor: could not"),
        err(lambda: ax.tensor(object()), TypeError, r"tensor: could not infer a dtype"),
        err(
            lambda: ax.tensor(["a", "b"]),
            (TypeError, ValueError),
            r"tensor: can't convert data of NumPy dtype <U1",
        ),
    ],
)
add(
    "as_tensor",
    CREATE,
    [
        OpSpec("as_tensor", lambda x: ns(x).as_tensor(x.t()), lambda x: x.T),
        _creation(
            "as_tensor_list",
            lambda x: ns(x).as_tensor([1.5, 2.5], dtype=x.dtype),
            lambda: np.array([1.5, 2.5]),
        ),
    ],
    [
        err(
            lambda: ax.as_tensor(object()),
            TypeError,
            r"(as_tensor|tensor): could not infer a dtype from the data",
        )
    ],
)
add(
    "from_numpy",
    CREATE,
    [
        _creation(
            "from_numpy_strided",
            lambda x: ns(x).from_numpy(np.arange(12.0).reshape(3, 4)[:, ::2].T),
            lambda: np.arange(12.0).reshape(3, 4)[:, ::2].T,
        )
    ],
    [
        err(lambda: ax.from_numpy(np.ones(3, dtype=np.int32)), TypeError, r"from_numpy.*int32"),
        err(
            lambda: ax.from_numpy([1, 2]),
            TypeError,
            r"(?s)from_numpy\(\): incompatible.*ndarray: numpy.ndarray",
        ),
        err(
            lambda: ax.from_numpy(np.array(["a"])),
            TypeError,
            r"from_numpy: can't convert np.ndarray of dtype <U1",
        ),
    ],
)
add(
    "from_dlpack",
    CREATE,
    [
        _creation(
            "from_dlpack_numpy",
            lambda x: ns(x).from_dlpack(np.arange(6.0).reshape(2, 3)),
            lambda: np.arange(6.0).reshape(2, 3),
        )
    ],
    [
        err(
            lambda: ax.from_dlpack(3),
            TypeError,
            r"from_dlpack: expected an object with __dlpack__.*got int",
        )
    ],
)

# ---- random --------------------------------------------------------------------------------------
RANDOM = "random"
_RANDOM_WHY = "random draws: axonite's generator is not PyTorch's; checked by range and moments"


Facts = tuple[Callable[[np.ndarray], Any], np.ndarray, float]


def _facts(want: list[float], f: Callable[[np.ndarray], Any], tol: float) -> Facts:
    """Summary facts ``f(sample)`` (moments, range, frequencies) that must lie within ``tol``
    of ``want``: a few standard errors for 4096 draws, exact for integer facts."""
    return f, np.asarray(want, dtype=np.float64), tol


def _rand_row(name: str, body: Callable[[], Any], facts: Facts) -> OpSpec:
    """A random row: ``body()`` draws after a fixed reseed; each fact must be within tolerance
    (the row's output is the per-fact verdict, its reference all True)."""
    f, want, tol = facts

    def fn(x: Any) -> Any:
        ax.manual_seed(3)
        return np.abs(np.asarray(f(body().numpy()), dtype=np.float64) - want) <= tol

    return OpSpec(
        name,
        fn,
        lambda x: np.ones(want.shape, dtype=bool),
        [(1,)],
        grad=False,
        extra=no_parity(_RANDOM_WHY),
    )


def _stats(s: np.ndarray) -> list[float]:
    return [float(s.ndim), float(s.size), float(s.mean()), float(s.std())]


add(
    "rand",
    RANDOM,
    [
        _rand_row(
            "rand_moments",
            lambda: ax.rand(64, 64),
            _facts([2, 4096, 0.5, 0.2887], lambda s: [*_stats(s)[:2], s.mean(), s.std()], 0.02),
        )
    ],
    [
        err(
            lambda: ax.rand(-1),
            ValueError,
            r"rand: negative dimension in shape \[-1\]",
        )
    ],
)
add(
    "randn",
    RANDOM,
    [_rand_row("randn_moments", lambda: ax.randn(4096), _facts([1, 4096, 0.0, 1.0], _stats, 0.06))],
    [
        err(
            lambda: ax.randn(2, -3),
            ValueError,
            r"randn: negative dimension in shape \[2, -3\]",
        )
    ],
)
add(
    "randint",
    RANDOM,
    [
        _rand_row(
            "randint_range",
            lambda: ax.randint(-2, 3, (4096,)),
            _facts([-2, 2, 5], lambda s: [s.min(), s.max(), len(np.unique(s))], 0),
        )
    ],
    [
        err(
            lambda: ax.randint(5, 2, (3,)),
            RuntimeError,
            r"randint: expects 'low' to be less than 'high', but got low=5 >= high=2",
        ),
        err(
            lambda: ax.randint(5, (-1,)),
            ValueError,
            r"randint: negative dimension in shape \[-1\]",
        ),
    ],
)
add(
    "randperm",
    RANDOM,
    [_rand_row("randperm_is_perm", lambda: ax.randperm(50), _facts(list(range(50)), np.sort, 0))],
    [err(lambda: ax.randperm(-1), RuntimeError, r"randperm: n must be non-negative, got -1")],
)
for _name, _want in (("rand_like", 0.5), ("randn_like", 0.0)):
    add(
        _name,
        RANDOM,
        [
            _rand_row(
                f"{_name}_moments",
                lambda n=_name: getattr(ax, n)(ax.zeros(64, 64, dtype=ax.float64)),
                _facts([_want], lambda s: [s.mean()], 0.06),
            )
        ],
        [
            err(
                lambda n=_name: getattr(ax, n)(3),
                TypeError,
                rf"(?s){_name}\(\): incompatible.*input: Tensor.*Invoked with: 3",
            )
        ],
    )
add(
    "randint_like",
    RANDOM,
    [
        _rand_row(
            "randint_like_range",
            lambda: ax.randint_like(ax.zeros(4096), 1, 4),
            _facts([1, 3], lambda s: [s.min(), s.max()], 0),
        )
    ],
    [
        err(
            lambda: ax.randint_like(ax.zeros(3), 4, 1),
            RuntimeError,
            r"randint(_like)?: expects 'low' to be less than 'high'",
        )
    ],
)
add(
    "bernoulli",
    RANDOM,
    [
        _rand_row(
            "bernoulli_rate",
            lambda: ax.bernoulli(ax.full((4096,), 0.25)),
            _facts([0.25, 0, 1], lambda s: [s.mean(), s.min(), s.max()], 0.03),
        )
    ],
    [
        err(
            lambda: ax.bernoulli(ax.ones(3), 2.0),
            RuntimeError,
            r"bernoulli: expects p to be in \[0, 1\], but got p=2",
        ),
        err(
            lambda: ax.bernoulli(ax.full((3,), -0.5)),
            RuntimeError,
            r"bernoulli: expects all probabilities in \[0, 1\], but found -0.5",
        ),
    ],
)
add(
    "multinomial",
    RANDOM,
    [
        _rand_row(
            "multinomial_freq",
            lambda: ax.multinomial(ax.tensor([0.1, 0.0, 0.9]), 4096, replacement=True),
            _facts([0.1, 0.0, 0.9], lambda s: np.bincount(s, minlength=3) / s.size, 0.02),
        )
    ],
    [
        err(
            lambda: ax.multinomial(ax.tensor([-1.0, 2.0]), 1),
            RuntimeError,
            r"multinomial: probability tensor contains either inf, nan or element < 0",
        ),
        err(
            lambda: ax.multinomial(ax.tensor([0.5, 0.5]), 3),
            RuntimeError,
            r"multinomial: cannot sample n_sample > prob_dist.size\(-1\) samples without replacement",
        ),
    ],
)
add(
    "normal",
    RANDOM,
    [
        _rand_row(
            "normal_moments",
            lambda: ax.normal(2.0, 3.0, (4096,)),
            _facts([2.0, 3.0], lambda s: [s.mean(), s.std()], 0.2),
        )
    ],
    [
        err(
            lambda: ax.normal(0.0, -1.0, (3,)),
            RuntimeError,
            r"normal: expects std >= 0.0, but found std -1",
        )
    ],
)


def _same_after_reseed(x: Any) -> Any:
    """Seeding behaviour: the same seed repeats the draw, a saved state replays it."""
    ax.manual_seed(11)
    a = ax.rand(5)
    state = ax.get_rng_state()
    b = ax.rand(5)
    ax.set_rng_state(state)
    c = ax.rand(5)
    ax.manual_seed(11)
    d = ax.rand(5)
    return np.array([ax.initial_seed() == 11, (a == d).all().item(), (b == c).all().item()])


_SEED = [
    OpSpec(
        "reseed_replays",
        _same_after_reseed,
        lambda x: np.array([True] * 3),
        [(1,)],
        grad=False,
        extra=no_parity(_RANDOM_WHY),
    )
]
add(
    "manual_seed",
    RANDOM,
    _SEED,
    [err(lambda: ax.manual_seed("a"), TypeError, r"manual_seed: seed must be an int, got str")],
)
add(
    "get_rng_state",
    RANDOM,
    [
        OpSpec(
            "rng_state_int64",
            lambda x: ax.get_rng_state().dtype == ax.int64,
            lambda x: np.array(True),
            [(1,)],
            grad=False,
            extra=no_parity(_RANDOM_WHY),
        )
    ],
    [
        err(
            lambda: ax.get_rng_state(1),
            TypeError,
            r"(?s)get_rng_state\(\): incompatible.*Invoked with: 1",
        )
    ],
)
add(
    "set_rng_state",
    RANDOM,
    list(_SEED),
    [
        err(
            lambda: ax.set_rng_state(ax.ones(3)),
            TypeError,
            r"set_rng_state: RNG state must be an int64 tensor, got float32",
        ),
        err(
            lambda: ax.set_rng_state(ax.ones(0, dtype=ax.int64)),
            (ValueError, RuntimeError),
            r"set_rng_state: not an axonite RNG state.*got shape \[0\]",
        ),
    ],
)
add(
    "initial_seed",
    RANDOM,
    list(_SEED),
    [
        err(
            lambda: ax.initial_seed(3),
            TypeError,
            r"(?s)initial_seed\(\): incompatible.*Invoked with: 3",
        )
    ],
)
add(
    "seed",
    RANDOM,
    [
        OpSpec(
            "seed_sets_initial",
            lambda x: ax.seed() == ax.initial_seed(),
            lambda x: np.array(True),
            [(1,)],
            grad=False,
            extra=no_parity(_RANDOM_WHY),
        )
    ],
    [err(lambda: ax.seed(1), TypeError, r"(?s)seed\(\): incompatible.*Invoked with: 1")],
)


def _generator_streams(x: Any) -> Any:
    """Two generators with one seed draw the same stream; the global one is untouched."""
    g1, g2 = ax.Generator().manual_seed(5), ax.Generator().manual_seed(5)
    ax.manual_seed(1)
    before = ax.get_rng_state()
    a, b = ax.rand(6, generator=g1), ax.rand(6, generator=g2)
    return np.array(
        [(a == b).all().item(), (ax.get_rng_state() == before).all().item(), g1.initial_seed() == 5]
    )


add(
    "Generator",
    RANDOM,
    [
        OpSpec(
            "generator_streams",
            _generator_streams,
            lambda x: np.array([True] * 3),
            [(1,)],
            grad=False,
            extra=no_parity(_RANDOM_WHY),
        )
    ],
    [
        err(
            lambda: ax.Generator().manual_seed("s"),
            TypeError,
            r"manual_seed: seed must be an int, got str",
        )
    ],
)

# ---- autograd and grad mode --------------------------------------------------------------------
UTIL = "utility"


def _grad_modes(x: Any) -> Any:
    """requires_grad of ``x * 2`` under each grad-mode context, in both libraries."""
    lib = ns(x)
    y = x.detach().requires_grad_(True)
    with lib.no_grad():
        a = (y * 2).requires_grad
        with lib.enable_grad():
            b = (y * 2).requires_grad
    with lib.set_grad_enabled(False):
        c = (y * 2).requires_grad
        d = lib.is_grad_enabled()
    with lib.inference_mode():
        e = (y * 2).requires_grad
    return np.array([a, b, c, d, e, lib.is_grad_enabled()])


_MODES = [
    OpSpec(
        "grad_mode_contexts",
        _grad_modes,
        lambda x: np.array([False, True, False, False, False, True]),
        grad=False,
    )
]
for _name in ("no_grad", "enable_grad", "set_grad_enabled", "inference_mode", "is_grad_enabled"):
    add(_name, UTIL, list(_MODES))
REGISTRY_CORE["ax.set_grad_enabled"].errors.append(
    err(
        lambda: ax.set_grad_enabled("yes"),
        TypeError,
        r"set_grad_enabled: mode must be a bool, got str",
    )
)
REGISTRY_CORE["ax.no_grad"].errors.append(
    err(lambda: ax.no_grad(1, 2), TypeError, r"no_grad\(\) takes no arguments")
)


def _anomaly(x: Any) -> Any:
    before = ax.is_anomaly_enabled()
    with ax.autograd.set_detect_anomaly(True):
        inside = ax.is_anomaly_enabled()
    return np.array([before, inside, ax.is_anomaly_enabled()])


add(
    "is_anomaly_enabled",
    UTIL,
    [
        OpSpec(
            "anomaly_flag",
            _anomaly,
            lambda x: np.array([False, True, False]),
            [(1,)],
            grad=False,
            extra=no_parity("axonite flag"),
        )
    ],
    [
        err(
            lambda: ax.is_anomaly_enabled(1),
            TypeError,
            r"(?s)is_anomaly_enabled\(\): incompatible.*Invoked with: 1",
        )
    ],
)


def _node_graph(x: Any) -> Any:
    """grad_fn is a Node; its next_functions lead back to the leaf's accumulator."""
    y = (x.detach().requires_grad_(True) * 2).exp()
    node = y.grad_fn
    return np.array([isinstance(node, ax.Node), len(node.next_functions) >= 1, y.is_leaf])


add(
    "Node",
    UTIL,
    [
        OpSpec(
            "node_graph",
            _node_graph,
            lambda x: np.array([True, True, False]),
            grad=False,
            extra=no_parity("axonite class"),
        )
    ],
    [err(lambda: ax.Node(), TypeError, r"Node: No constructor defined")],
)

# ---- threads, memory -----------------------------------------------------------------------------


def _threads(x: Any) -> Any:
    n = ax.get_num_threads()
    ax.set_num_threads(1)
    one = ax.get_num_threads()
    ax.set_num_threads(n)
    return np.array([one, ax.get_num_threads() == n])


_THREADS = [
    OpSpec(
        "threads_roundtrip",
        _threads,
        lambda x: np.array([1, True]),
        [(1,)],
        grad=False,
        extra=no_parity("process setting"),
    )
]
add(
    "set_num_threads",
    UTIL,
    list(_THREADS),
    [
        err(
            lambda: ax.set_num_threads(0),
            ValueError,
            r"set_num_threads: expected a positive thread count, got 0",
        ),
        err(
            lambda: ax.set_num_threads("2"),
            TypeError,
            r"(?s)set_num_threads\(\): incompatible.*num_threads: .*Invoked with: '2'",
        ),
    ],
)
add(
    "get_num_threads",
    UTIL,
    list(_THREADS),
    [
        err(
            lambda: ax.get_num_threads(1),
            TypeError,
            r"(?s)get_num_threads\(\): incompatible.*Invoked with: 1",
        )
    ],
)


def _memory(x: Any) -> Any:
    """Live bytes rise by a new tensor's size and fall back when it is freed."""
    ax.empty_cache()
    ax.reset_peak_memory_stats()
    base = ax.memory_stats()["allocated_bytes"]
    t = ax.empty(1024, dtype=ax.float64)
    grown = ax.memory_stats()["allocated_bytes"] - base
    peak = ax.memory_stats()["peak_allocated_bytes"] >= base + 8192
    del t
    return np.array([grown >= 8192, peak, ax.memory_stats()["allocated_bytes"] == base])


_MEM = [
    OpSpec(
        "memory_accounting",
        _memory,
        lambda x: np.array([True] * 3),
        [(1,)],
        grad=False,
        extra=no_parity("axonite allocator"),
    )
]
for _name in ("memory_stats", "reset_peak_memory_stats", "empty_cache"):
    add(
        _name,
        UTIL,
        list(_MEM),
        [
            err(
                lambda n=_name: getattr(ax, n)(1),
                TypeError,
                rf"(?s){_name}\(\): incompatible.*Invoked with: 1",
            )
        ],
    )

# ---- serialization, summary ----------------------------------------------------------------------


def _save_load(x: Any) -> Any:
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "t.safetensors"
        ax.save({"w": x.t(), "i": ax.arange(3)}, p)
        back = ax.load(p)
    return (back["w"], back["i"])


def _garbage_file() -> str:
    """A two-byte file: too short for a safetensors header."""
    import tempfile
    from pathlib import Path

    path = Path(tempfile.gettempdir()) / "axonite_registry_garbage.safetensors"
    path.write_bytes(b"xx")
    return str(path)


_SAVE = [
    OpSpec(
        "save_load_roundtrip",
        _save_load,
        lambda x: (x.T, np.arange(3)),
        [(3, 2)],
        grad=False,
        extra=no_parity("file format"),
    )
]
add(
    "save",
    UTIL,
    list(_SAVE),
    [
        err(
            lambda: ax.save(object(), "unused.safetensors"),
            TypeError,
            r"ax.save: cannot save an object of type object",
        ),
        err(
            lambda: ax.save({"a": ax.ones(2)}, 3.5),
            TypeError,
            r"ax.save: f must be a path or a binary file object",
        ),
    ],
)
add(
    "load",
    UTIL,
    list(_SAVE),
    [
        err(
            lambda: ax.load("/nonexistent/file.safetensors"),
            FileNotFoundError,
            r"No such file or directory: '/nonexistent/file.safetensors'",
        ),
        err(lambda: ax.load(3.5), TypeError, r"ax.load: f must be a path or a binary file object"),
        err(
            lambda: ax.load(_garbage_file()),
            ValueError,
            r"ax.load: .* is not a valid safetensors file",
        ),
    ],
)


def _summary(x: Any) -> Any:
    m = ax.nn.Sequential(ax.nn.Linear(4, 3), ax.nn.ReLU(), ax.nn.Linear(3, 2))
    s = ax.summary(m, (4,), print_fn=None)
    return np.array([isinstance(s, ax.ModelSummary), s.total_params, s.trainable_params])


_SUMMARY = [
    OpSpec(
        "summary_counts",
        _summary,
        lambda x: np.array([1, 23, 23]),
        [(1,)],
        grad=False,
        extra=no_parity("axonite only"),
    )
]
add(
    "summary",
    UTIL,
    list(_SUMMARY),
    [
        err(
            lambda: ax.summary(3, (1,)),
            TypeError,
            r"summary: model must be an axonite.nn.Module, got int",
        ),
        err(
            lambda: ax.summary(ax.nn.Linear(4, 3), (5,)),
            (RuntimeError, ValueError),
            r"linear: mat1 and mat2 shapes cannot be multiplied \(2x5 and 4x3\)",
        ),
    ],
)
add(
    "ModelSummary",
    UTIL,
    list(_SUMMARY),
    [
        err(
            lambda: ax.ModelSummary(1, 2, 3, 4, 5, 6, 7),
            TypeError,
            r"ModelSummary.__init__\(\) missing 3 required positional arguments",
        )
    ],
)

# ---- public classes -----------------------------------------------------------------------------


def _size(x: Any) -> Any:
    s = ns(x).Size([2, 3, 4])
    return np.array([len(s), s.numel(), s[1], tuple(s[1:]) == (3, 4), s == (2, 3, 4)])


add(
    "Size",
    UTIL,
    [OpSpec("size_tuple", _size, lambda x: np.array([3, 24, 3, True, True]), [(1,)], grad=False)],
    [
        err(
            lambda: ax.Size([1, "a"]),
            TypeError,
            r"Size: entry 1 must be an int, got str",
        )
    ],
)


def _tensor_class(x: Any) -> Any:
    y = x.t()
    return np.array([y.is_contiguous(), y.contiguous().is_contiguous(), y.ndim, y.numel(), y.dim()])


def _tensor_method_specs() -> list[OpSpec]:
    """Tensor methods, operators and indexing: the per-family OpSpec tables that already exist
    (reused, not rewritten), renamed "<table>.<row>" so the registry's ids stay unique."""
    import test_elementwise
    import test_indexing
    import test_matmul
    import test_reduce
    import test_views

    # test_indexing.py keeps this row out of its own parity run as well: for a src larger than
    # the index, PyTorch's scatter_add gradient w.r.t. src covers only the indexed block.
    torch_skip = {"scatter_add_src_larger"}
    out = []
    for mod in (test_elementwise, test_reduce, test_views, test_indexing, test_matmul):
        table = mod.__name__.removeprefix("test_")
        for spec in mod.SPECS:
            extra = dict(spec.extra)
            if spec.name in torch_skip:
                extra |= no_parity("excluded from PyTorch parity in test_indexing.py too")
            out.append(replace(spec, name=f"{table}.{spec.name}", extra=extra))
    return out


add(
    "Tensor",
    "tensor",
    [
        OpSpec(
            "tensor_layout", _tensor_class, lambda x: np.array([False, True, 2, 12, 2]), grad=False
        ),
        *_tensor_method_specs(),
    ],
    [
        err(
            lambda: ax.ones(3).view(ax.ones(1)),
            TypeError,
            r"view: shape entry 0: Tensor\.__index__: only integer tensors of a single element",
        ),
        err(
            lambda: ax.ones(3)[5],
            IndexError,
            r"index 5 is out of bounds for dimension 0 with size 3",
        ),
        err(
            lambda: ax.ones(3, dtype=ax.int64).requires_grad_(),
            RuntimeError,
            r"requires_grad_: only floating-point tensors can require gradients, got dtype int64",
        ),
        err(
            lambda: ax.ones(2, requires_grad=True).mul(2).backward(),
            RuntimeError,
            r"grad can be implicitly created only for scalar outputs",
        ),
        err(
            lambda: ax.ones(2, 3).expand(4, 3),
            RuntimeError,
            r"expand: the expanded size of the tensor \(4\) must match the existing size \(2\)",
        ),
        err(lambda: ax.ones(2, 3).view(4, 2), RuntimeError, r"view.*\[4, 2\].*6"),
        err(
            lambda: ax.ones(2, 3).item(),
            (RuntimeError, ValueError),
            r"item: a Tensor with 6 elements cannot be converted to a Python scalar",
        ),
        err(
            lambda: ax.tensor([1, 2]).exp_(),
            TypeError,
            r"exp_: result type float can't be cast.*int64",
        ),
    ],
)


def _device(x: Any) -> Any:
    d = ns(x).device("cpu")
    return np.array([d.type == "cpu", str(d) == "cpu", x.device == d])


add(
    "device",
    UTIL,
    [OpSpec("device_cpu", _device, lambda x: np.array([True] * 3), [(1,)], grad=False)],
    [err(lambda: ax.device("tpu"), ValueError, r"device: expected 'cpu' or 'cuda', got 'tpu'")],
)


def _dtype(x: Any) -> Any:
    lib = ns(x)
    return np.array(
        [
            lib.float64.is_floating_point,
            lib.int64.is_floating_point,
            x.double().dtype == lib.float64,
        ]
    )


add(
    "dtype",
    UTIL,
    [OpSpec("dtype_flags", _dtype, lambda x: np.array([True, False, True]), [(1,)], grad=False)],
    [
        err(
            lambda: ax.ones(2, dtype=ax.dtype),
            TypeError,
            r"(?s)ones\(\): incompatible.*dtype: axonite._C.dtype",
        )
    ],
)

# ---- risky sizes and strides (run in a child interpreter) ------------------------------------------
# Sizes whose element or byte count overflows int64, huge fills, negative strides and indices:
# each must raise a clean exception naming the op (run in a child: a regression could crash).
_SIZE_EXC = (RuntimeError, ValueError)


def risky(code: str, exc: Any, match: str, known_issue: str = "") -> ErrorCase:
    """An error case run as ``code`` in a child interpreter (test_op_registry adds the imports);
    ``call`` runs the same snippet in-process for interactive debugging only."""

    def call() -> None:
        exec(code, {"ax": ax, "np": np})  # noqa: S102 (the registry's own fixed snippets)

    return ErrorCase(call, exc, match, subprocess=True, code=code, known_issue=known_issue)


_RISKY: dict[str, list[ErrorCase]] = {
    "zeros": [risky("ax.zeros(2**62)", _SIZE_EXC, r"zeros.*4611686018427387904")],
    "empty": [risky("ax.empty(2**31, 2**31)", _SIZE_EXC, r"empty.*2147483648")],
    "full": [risky("ax.full((2**33, 2**33), 1.0)", _SIZE_EXC, r"full.*8589934592")],
    "ones": [
        risky("ax.ones(2**61, 4)", _SIZE_EXC, r"ones.*2305843009213693952"),
        risky(
            "ax.ones(2**40)",
            _SIZE_EXC,
            r"ones.*1099511627776",
        ),
    ],
    "eye": [risky("ax.eye(2**40)", _SIZE_EXC, r"eye.*1099511627776")],
    "linspace": [risky("ax.linspace(0, 1, 2**62)", _SIZE_EXC, r"linspace.*too large")],
    "logspace": [risky("ax.logspace(0, 1, 2**62)", _SIZE_EXC, r"(logspace|linspace).*too large")],
    "rand": [risky("ax.rand(2**62)", _SIZE_EXC, r"rand.*4611686018427387904")],
    "randint": [risky("ax.randint(0, 5, (2**62,))", _SIZE_EXC, r"randint.*size")],
    "randperm": [
        risky(
            "ax.randperm(2**62)",
            _SIZE_EXC,
            r"randperm.*4611686018427387904",
        )
    ],
    "tile": [
        risky(
            "ax.tile(ax.ones(2), (2**62,))",
            _SIZE_EXC,
            r"tile.*4611686018427387904",
        )
    ],
    "one_hot": [risky("ax.one_hot(ax.tensor([1]), 2**62)", _SIZE_EXC, r"one_hot.*too large")],
    "as_strided": [
        risky(
            "ax.as_strided(ax.ones(4), (2,), (-1,))", RuntimeError, r"as_strided: negative strides"
        ),
        risky(
            "ax.as_strided(ax.ones(4), (2,), (2**62,))",
            RuntimeError,
            r"as_strided: size \[2\], stride \[4611686018427387904\]",
        ),
    ],
    "from_numpy": [
        risky(
            "ax.from_numpy(np.lib.stride_tricks.as_strided(np.ones(2), (3,), (-8,)))",
            ValueError,
            r"from_numpy: arrays with negative or non-element-aligned strides",
        )
    ],
    "from_dlpack": [
        risky(
            "ax.from_dlpack(np.ones(3)[::-1])",
            ValueError,
            r"from_dlpack: tensors with negative strides are not supported",
        )
    ],
    "set_rng_state": [
        risky(
            "ax.set_rng_state(ax.tensor([-1, -1, -1]))",
            RuntimeError,
            r"set_rng_state: not an axonite RNG state",
        )
    ],
    "gather": [
        risky(
            "ax.gather(ax.ones(3), 0, ax.tensor([-4]))",
            RuntimeError,
            r"gather\(\): index -4 is out of bounds",
        )
    ],
    "index_select": [
        risky(
            "ax.index_select(ax.ones(3), 0, ax.tensor([-4]))",
            IndexError,
            r"index_select\(\): index out of range.*index -4",
        )
    ],
    "scatter": [
        risky(
            "ax.scatter(ax.ones(3), 0, ax.tensor([-4]), ax.ones(1))",
            RuntimeError,
            r"scatter\(\): index -4 is out of bounds",
        )
    ],
    "narrow": [
        risky("ax.narrow(ax.ones(4), 0, -9, 1)", IndexError, r"narrow: start out of range.*-9")
    ],
    "Tensor": [
        risky("ax.ones(3)[2**63 - 1]", IndexError, r"index 9223372036854775807 is out of bounds"),
        risky(
            "ax.tensor([1.0]).expand(2**62).contiguous()",
            _SIZE_EXC,
            # The allocation step names itself: a clean error, no longer a crash.
            r"(contiguous|empty).*4611686018427387904",
        ),
    ],
}
for _name, _cases in _RISKY.items():
    REGISTRY_CORE[f"ax.{_name}"].errors.extend(_cases)
