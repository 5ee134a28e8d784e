"""Custom differentiable ops written in Python, as ``torch.autograd.Function``:

    class Exp(ax.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            y = x.exp()
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, gy):
            (y,) = ctx.saved_tensors
            return gy * y

The forward runs with grad mode off; its outputs get a C++ graph node whose backward calls
``backward``. Saved tensors go through the C++ SavedTensor (version-checked, no cycles)."""

from __future__ import annotations

from typing import Any

from .. import _C
from .._C import Tensor


class FunctionCtx:
    """The ``ctx`` passed to ``forward`` and ``backward``."""

    def __init__(self) -> None:
        self._to_save: tuple[Tensor | None, ...] = ()
        self._saved: list[Any] | None = None
        self._non_differentiable: set[int] = set()
        self.needs_input_grad: tuple[bool, ...] = ()
        self.materialize_grads = True

    def save_for_backward(self, *tensors: Tensor | None) -> None:
        self._to_save = tensors

    def mark_non_differentiable(self, *tensors: Tensor) -> None:
        self._non_differentiable.update(id(t) for t in tensors)

    def mark_dirty(self, *tensors: Tensor) -> None:
        """Accepted for compatibility; in-place outputs are handled as new outputs."""

    def set_materialize_grads(self, value: bool) -> None:
        self.materialize_grads = value

    @property
    def saved_tensors(self) -> tuple[Tensor | None, ...]:
        if self._saved is None:
            raise RuntimeError(
                "saved_tensors: the saved tensors were freed after backward; pass "
                "retain_graph=True to backward through the graph again"
            )
        return tuple(None if s is None else s.unpack() for s in self._saved)


class Function:
    """Base class for custom autograd ops: define static ``forward(ctx, *args)`` and
    ``backward(ctx, *grads)`` and call ``YourFunction.apply(*args)``."""

    @staticmethod
    def forward(ctx: FunctionCtx, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("subclasses of Function must define forward")

    @staticmethod
    def backward(ctx: FunctionCtx, *grads: Any) -> Any:
        raise NotImplementedError("subclasses of Function must define backward")

    @classmethod
    def apply(cls, *args: Any) -> Any:
        ctx = FunctionCtx()
        tensor_args = [a for a in args if isinstance(a, Tensor)]
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
        with _C_no_grad():
            out = cls.forward(ctx, *args)
        single = not isinstance(out, tuple)
        outs = (out,) if single else out
        # Outputs that alias an input become fresh handles so that they can carry the node.
        in_ids = {id(t) for t in tensor_args}
        outs = tuple(o.detach() if isinstance(o, Tensor) and id(o) in in_ids else o for o in outs)
        tensor_outs = [o for o in outs if isinstance(o, Tensor)]
        if _C.is_grad_enabled() and any(t.requires_grad for t in tensor_args):
            arg_pos = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
            diff_outs = [o for o in tensor_outs if id(o) not in ctx._non_differentiable]

            def run_backward(grads: list[Tensor]) -> list[Tensor | None]:
                res = cls.backward(ctx, *grads)
                if not isinstance(res, tuple):
                    res = (res,)
                if len(res) != len(args):
                    raise RuntimeError(
                        f"{cls.__name__}.backward returned {len(res)} values, but forward took "
                        f"{len(args)} inputs"
                    )
                return [res[i] for i in arg_pos]

            _C._record_function(cls.__name__ + "Backward", run_backward, tensor_args, diff_outs)
        out_ids = {id(o) for o in tensor_outs}
        ctx._saved = [
            None if t is None else _C._SavedTensor(t, id(t) in out_ids) for t in ctx._to_save
        ]
        ctx._to_save = ()
        return outs[0] if single else outs


class _C_no_grad:
    def __enter__(self) -> None:
        self._prev = _C.is_grad_enabled()
        _C._set_grad_enabled(False)

    def __exit__(self, *exc: object) -> None:
        _C._set_grad_enabled(self._prev)
