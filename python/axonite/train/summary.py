"""``summary(model, input_size)``: a Keras-style table of a model's layers, their output shapes
and parameter counts, found by running one forward pass on zeros with forward hooks.

The pass runs on a batch of 2 (so batch-statistics layers work) in eval mode and under
``no_grad``; afterwards every hook is removed and each module's train/eval flag is restored,
also when the forward pass raises. Output shapes show the batch dimension as ``batch_size``
(-1 by default). Parameter totals count each parameter once (shared ones too); frozen
parameters (``requires_grad=False``) are non-trainable. Buffers such as BatchNorm running
statistics are not parameters (as ``sum(p.numel() for p in model.parameters())`` in PyTorch).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .. import _C
from .._C import Tensor
from ..autograd import no_grad
from ..nn.modules.module import Module

__all__ = ["LayerSummary", "ModelSummary", "summary"]

_PROBE_BATCH = 2
_MB = 1024.0**2
_FLOAT_BYTES = 4  # the memory estimate assumes float32 storage

Shape = tuple[int, ...]


@dataclass
class LayerSummary:
    """One row of the table: a module call, its output shape(s) and its parameter count."""

    name: str
    """Qualified name in the model (``features.0``); '' for the model itself."""
    class_name: str
    output_shape: Shape | list[Shape]
    """The output shape with the batch dimension as ``batch_size``, or one per output tensor
    for modules that return tuples, lists or dicts."""
    num_params: int
    """Parameters of this module: its own for leaf layers, all below it for containers."""
    trainable: bool
    """Whether any of those parameters requires grad."""
    depth: int = 0
    """Nesting depth (0 for the model's direct children)."""
    is_container: bool = False
    output_numel: int = field(default=0, repr=False)
    """Elements of the output(s) per sample (for the memory estimate)."""

    @property
    def label(self) -> str:
        """``name (ClassName)`` as shown in the first column."""
        return f"{self.name} ({self.class_name})" if self.name else self.class_name


@dataclass
class ModelSummary:
    """What :func:`summary` found; ``str()`` gives the table."""

    model_name: str
    input_size: list[Shape]
    batch_size: int
    rows: list[LayerSummary]
    total_params: int
    trainable_params: int
    non_trainable_params: int
    input_mb: float
    forward_mb: float
    params_mb: float

    @property
    def total_mb(self) -> float:
        """Estimated total memory: input + forward activations + parameters, in MB."""
        return self.input_mb + self.forward_mb + self.params_mb

    def __str__(self) -> str:
        headers = ("Layer (type)", "Output Shape", "Param #")
        body = [
            (("  " * r.depth) + r.label, _format_shape(r.output_shape), f"{r.num_params:,}")
            for r in self.rows
        ]
        w0 = max([len(headers[0])] + [len(b[0]) for b in body]) + 2
        w1 = max([len(headers[1])] + [len(b[1]) for b in body]) + 2
        w2 = max([len(headers[2])] + [len(b[2]) for b in body])
        width = w0 + w1 + w2
        lines = [
            f'Model: "{self.model_name}"',
            "-" * width,
            f"{headers[0]:<{w0}}{headers[1]:<{w1}}{headers[2]:>{w2}}",
            "=" * width,
        ]
        lines += [f"{a:<{w0}}{b:<{w1}}{c:>{w2}}" for a, b, c in body]
        lines += [
            "=" * width,
            f"Total params: {self.total_params:,}",
            f"Trainable params: {self.trainable_params:,}",
            f"Non-trainable params: {self.non_trainable_params:,}",
            "-" * width,
            f"Input size (MB): {self.input_mb:.2f}",
            f"Forward pass size (MB): {self.forward_mb:.2f}",
            f"Params size (MB): {self.params_mb:.2f}",
            f"Estimated Total Size (MB): {self.total_mb:.2f}",
            "-" * width,
        ]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (
            f"ModelSummary(model={self.model_name!r}, rows={len(self.rows)}, "
            f"total_params={self.total_params:,}, trainable_params={self.trainable_params:,})"
        )


def _format_shape(shape: Shape | list[Shape]) -> str:
    if isinstance(shape, list):
        return ", ".join(_format_shape(s) for s in shape) if shape else "[]"
    return "[" + ", ".join(str(d) for d in shape) + "]"


def _tensors(out: Any) -> list[Tensor]:
    """Every tensor in a (nested) output: tensors, tuples/lists, dicts (values)."""
    if isinstance(out, Tensor):
        return [out]
    if isinstance(out, dict):
        out = list(out.values())
    if isinstance(out, tuple | list):
        found: list[Tensor] = []
        for item in out:
            found += _tensors(item)
        return found
    return []


def _shown_shape(t: Tensor, batch_size: int) -> Shape:
    """``t``'s shape with a leading probe-batch dimension replaced by ``batch_size``."""
    shape = tuple(int(d) for d in t.shape)
    if shape and shape[0] == _PROBE_BATCH:
        return (batch_size, *shape[1:])
    return shape


def _normalize_sizes(input_size: Any) -> list[Shape]:
    """``input_size`` as a list of per-sample shapes: an int, a tuple of ints, or a list of
    those (one per forward argument)."""

    def one(s: Any) -> Shape:
        if isinstance(s, int) and not isinstance(s, bool):
            s = (s,)
        if not isinstance(s, Sequence) or isinstance(s, str):
            raise TypeError(
                f"summary: input_size must be a tuple of ints or a list of such tuples, got {s!r}"
            )
        if not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in s):
            raise ValueError(f"summary: input_size dimensions must be ints >= 0, got {s!r}")
        return tuple(int(d) for d in s)

    if (
        isinstance(input_size, Sequence)
        and not isinstance(input_size, str)
        and input_size
        and all(isinstance(s, Sequence) and not isinstance(s, str) for s in input_size)
    ):
        return [one(s) for s in input_size]
    return [one(input_size)]


def _normalize_dtypes(dtype: Any, n: int) -> list[Any]:
    if dtype is None:
        return [_C.float32] * n
    if isinstance(dtype, _C.dtype):
        return [dtype] * n
    if (
        isinstance(dtype, Sequence)
        and len(dtype) == n
        and all(isinstance(d, _C.dtype) for d in dtype)
    ):
        return list(dtype)
    raise TypeError(
        f"summary: dtype must be an axonite dtype or a list of {n} dtypes (one per input), "
        f"got {dtype!r}"
    )


def _count(params: list[Any]) -> tuple[int, int]:
    """(all, trainable) element counts of distinct parameters."""
    seen: set[int] = set()
    total = trainable = 0
    for p in params:
        if id(p) in seen:
            continue
        seen.add(id(p))
        n = int(p.numel())
        total += n
        if p.requires_grad:
            trainable += n
    return total, trainable


def summary(
    model: Module,
    input_size: Any,
    dtype: Any = None,
    batch_size: int = -1,
    *,
    show_containers: bool = False,
    print_fn: Callable[[str], Any] | None = print,
) -> ModelSummary:
    """Prints (through ``print_fn``; None to stay silent) and returns a :class:`ModelSummary`
    of ``model`` for inputs of per-sample shape ``input_size`` (a tuple, or a list of tuples
    for a model taking several inputs), of ``dtype`` (float32 by default; one per input
    allowed, e.g. int64 for embeddings).

    Rows are the module calls in execution order: every leaf module (no children) and every
    module holding parameters of its own, plus containers when ``show_containers`` is set (with
    the parameters below them). ``batch_size`` is the batch dimension shown in output shapes
    (-1 by default) and scales the memory estimate (batch 1 when -1): input + forward
    activations (the outputs of the listed leaf rows) + parameters, as float32 bytes in MB."""
    if not isinstance(model, Module):
        raise TypeError(f"summary: model must be an axonite.nn.Module, got {type(model).__name__}")
    if (
        isinstance(batch_size, bool)
        or not isinstance(batch_size, int)
        or (batch_size < 1 and batch_size != -1)
    ):
        raise ValueError(f"summary: batch_size must be -1 or a positive int, got {batch_size!r}")
    sizes = _normalize_sizes(input_size)
    dtypes = _normalize_dtypes(dtype, len(sizes))

    names: dict[int, str] = {}
    for qual, mod in model.named_modules():
        names.setdefault(id(mod), qual)
    # Rows are reserved by a pre-hook when a module starts (so containers come before their
    # children) and filled in by the forward hook when it returns.
    slots: list[LayerSummary | None] = []
    open_calls: dict[int, list[int]] = {}

    def pre_hook(module: Module, args: Any) -> None:
        open_calls.setdefault(id(module), []).append(len(slots))
        slots.append(None)

    def make_hook(name: str, depth: int, container: bool) -> Callable[..., None]:
        def hook(module: Module, args: Any, output: Any) -> None:
            outs = _tensors(output)
            shapes = [_shown_shape(t, batch_size) for t in outs]
            n_params, n_train = _count(list(module.parameters(recurse=container)))
            slots[open_calls[id(module)].pop()] = LayerSummary(
                name=name,
                class_name=type(module).__name__,
                output_shape=shapes[0] if len(shapes) == 1 else shapes,
                num_params=n_params,
                trainable=n_train > 0,
                depth=depth,
                is_container=container,
                output_numel=sum(int(t.numel()) for t in outs) // _PROBE_BATCH,
            )

        return hook

    modes = [(m, m.training) for m in model.modules()]
    handles = []
    try:
        for qual, mod in model.named_modules():
            has_children = any(True for _ in mod.children())
            own_params = any(True for _ in mod.parameters(recurse=False))
            leaf_like = not has_children or own_params
            is_root = mod is model
            if not (leaf_like or (show_containers and not is_root)):
                continue
            depth = qual.count(".") if show_containers else 0
            handles.append(mod.register_forward_pre_hook(pre_hook))
            handles.append(mod.register_forward_hook(make_hook(qual, depth, not leaf_like)))
        model.eval()
        inputs = [_C.zeros((_PROBE_BATCH, *s), dtype=d) for s, d in zip(sizes, dtypes, strict=True)]
        with no_grad():
            model(*inputs)
    finally:
        for h in handles:
            h.remove()
        for m, mode in modes:
            m.__dict__["training"] = mode
    rows = [r for r in slots if r is not None]

    total, trainable = _count(list(model.parameters()))
    scale = batch_size if batch_size > 0 else 1
    input_elems = sum(_numel(s) for s in sizes)
    act_elems = sum(r.output_numel for r in rows if not r.is_container)
    result = ModelSummary(
        model_name=type(model).__name__,
        input_size=sizes,
        batch_size=batch_size,
        rows=rows,
        total_params=total,
        trainable_params=trainable,
        non_trainable_params=total - trainable,
        input_mb=input_elems * scale * _FLOAT_BYTES / _MB,
        forward_mb=act_elems * scale * _FLOAT_BYTES / _MB,
        params_mb=total * _FLOAT_BYTES / _MB,
    )
    if print_fn is not None:
        print_fn(str(result))
    return result


def _numel(shape: Shape) -> int:
    n = 1
    for d in shape:
        n *= d
    return n
