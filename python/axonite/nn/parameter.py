"""``Parameter`` (a tensor a Module registers as trainable) and ``Buffer`` (a tensor a Module
registers as state, e.g. BatchNorm's running statistics), as in ``torch.nn``."""

from __future__ import annotations

from .._C import Tensor

__all__ = ["Buffer", "Parameter"]


class Parameter(Tensor):
    """A tensor that is a module parameter: assigning it to a Module attribute registers it,
    and it requires grad by default. ``Parameter(t)`` shares t's memory but not its history."""

    def __init__(self, data: Tensor | None = None, requires_grad: bool = True) -> None:
        if data is None:
            Tensor.__init__(self)
        else:
            if not isinstance(data, Tensor):
                raise TypeError(f"Parameter: data must be a Tensor, got {type(data).__name__}")
            Tensor.__init__(self, data)
        self.requires_grad_(requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + Tensor.__repr__(self)


class _BufferMeta(type(Tensor)):  # type: ignore[misc]
    # isinstance(t, Buffer) holds for tensors created by Buffer(...) (they are plain tensors).
    def __instancecheck__(cls, inst: object) -> bool:
        return isinstance(inst, Tensor) and bool(getattr(inst, "_is_buffer", False))


class Buffer(Tensor, metaclass=_BufferMeta):
    """Marks a tensor as a buffer: ``self.running = nn.Buffer(t)`` registers it like
    ``register_buffer`` (``persistent=False`` leaves it out of the state_dict)."""

    def __new__(cls, data: Tensor | None = None, *, persistent: bool = True) -> Tensor:  # type: ignore[misc]
        if data is None:
            data = Tensor()
        if not isinstance(data, Tensor):
            raise TypeError(f"Buffer: data must be a Tensor, got {type(data).__name__}")
        t = data.detach().requires_grad_(data.requires_grad)
        t.persistent = persistent
        t._is_buffer = True
        return t
