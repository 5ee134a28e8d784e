"""Single-step recurrent cells ``RNNCell``, ``LSTMCell`` and ``GRUCell`` with PyTorch's
constructor arguments, parameter names and shapes (weight_ih (G*H, I), weight_hh (G*H, H),
bias_ih, bias_hh), initialization, gate order and unbatched inputs.

``LSTMCell`` and ``GRUCell`` run one fused C++ op per step (``_C._nn.lstm_cell`` / ``gru_cell``:
two GEMMs and one pointwise pass forward, one node backward), which builds a differentiable
backward under ``create_graph``; ``RNNCell`` is a composite of F.linear and tanh/relu. The
fused whole-sequence layers in ``rnn.py`` are tested against cells unrolled over time.
"""

from __future__ import annotations

import math
from typing import Any

from ... import _C
from ..._C import Tensor
from .. import functional as F
from .. import init
from ..parameter import Parameter
from .module import Module

__all__ = ["GRUCell", "LSTMCell", "RNNCell", "RNNCellBase"]


class _CellShapeError(ValueError, RuntimeError):
    """A shape mismatch: a ValueError by axonite's convention, and a RuntimeError as PyTorch
    raises for wrong input or hidden sizes, so ports that catch either keep working."""


def _check_size(who: str, name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"{who}: {name} must be a positive int, got {value!r}")
    return value


class RNNCellBase(Module):
    """Parameters shared by the cells; ``num_chunks`` is the number of gates stacked in the
    weights (1 for RNN, 4 for LSTM, 3 for GRU)."""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool,
        num_chunks: int,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        who = type(self).__name__
        if device is not None and str(device) != "cpu":
            raise RuntimeError(f"{who}: axonite tensors live on the CPU; got device={device!r}")
        self.input_size = _check_size(who, "input_size", input_size)
        self.hidden_size = _check_size(who, "hidden_size", hidden_size)
        self.bias = bias
        gates = num_chunks * hidden_size
        self.weight_ih = Parameter(_C.empty((gates, input_size), dtype=dtype))
        self.weight_hh = Parameter(_C.empty((gates, hidden_size), dtype=dtype))
        if bias:
            self.bias_ih = Parameter(_C.empty(gates, dtype=dtype))
            self.bias_hh = Parameter(_C.empty(gates, dtype=dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Every parameter from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)), as in PyTorch."""
        stdv = 1.0 / math.sqrt(self.hidden_size)
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if not self.bias:
            s += ", bias=False"
        nonlinearity = getattr(self, "nonlinearity", "tanh")
        if nonlinearity != "tanh":
            s += f", nonlinearity={nonlinearity}"
        return s

    def _batched_input(self, input: Tensor) -> tuple[Tensor, bool]:
        """``input`` as (N, input_size) and whether it came unbatched (input_size,)."""
        who = type(self).__name__
        if not isinstance(input, Tensor):
            raise TypeError(f"{who}: input must be a Tensor, got {type(input).__name__}")
        if input.ndim not in (1, 2):
            raise ValueError(
                f"{who}: Expected input to be 1D or 2D, got {input.ndim}D instead "
                f"(shape {list(input.shape)})"
            )
        if input.shape[-1] != self.input_size:
            raise _CellShapeError(
                f"{who}: input has inconsistent input_size: got {input.shape[-1]} "
                f"(shape {list(input.shape)}), expected {self.input_size}"
            )
        return (input, False) if input.ndim == 2 else (input.unsqueeze(0), True)

    def _state(self, name: str, state: Tensor | None, input: Tensor, unbatched: bool) -> Tensor:
        """A hidden or cell state as (N, hidden_size); zeros when not given."""
        batch = input.shape[0]
        if state is None:
            return _C.zeros((batch, self.hidden_size), dtype=input.dtype)
        who = type(self).__name__
        if not isinstance(state, Tensor):
            raise TypeError(f"{who}: {name} must be a Tensor, got {type(state).__name__}")
        expected = [self.hidden_size] if unbatched else [batch, self.hidden_size]
        if list(state.shape) != expected:
            raise _CellShapeError(
                f"{who}: Expected {name} of shape {expected} for input of shape "
                f"{list(input.shape[1:] if unbatched else input.shape)}, got {list(state.shape)}"
            )
        return state.unsqueeze(0) if unbatched else state


class RNNCell(RNNCellBase):
    """Elman cell ``h' = act(W_ih x + b_ih + W_hh h + b_hh)`` with act tanh or relu.

    Shapes: input (N, input_size) or (input_size,); hx the same with hidden_size (zeros if
    None) -> h' (N, hidden_size) or (hidden_size,).
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        nonlinearity: str = "tanh",
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(
                f"RNNCell: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}"
            )
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        x, unbatched = self._batched_input(input)
        h = self._state("hx", hx, x, unbatched)
        pre = F.linear(x, self.weight_ih, self.bias_ih) + F.linear(h, self.weight_hh, self.bias_hh)
        out = _C.tanh(pre) if self.nonlinearity == "tanh" else _C.relu(pre)
        return out.squeeze(0) if unbatched else out


class LSTMCell(RNNCellBase):
    """LSTM cell with PyTorch's gate order i, f, g, o stacked in the weights (4*H rows):

    ``i, f, o = sigmoid(.)``, ``g = tanh(.)``, ``c' = f*c + i*g``, ``h' = o*tanh(c')``.
    ``hx`` is a tuple (h, c) or None (zeros); returns ``(h', c')``.
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)

    def forward(
        self, input: Tensor, hx: tuple[Tensor, Tensor] | None = None
    ) -> tuple[Tensor, Tensor]:
        x, unbatched = self._batched_input(input)
        if hx is None:
            h = c = self._state("hx", None, x, unbatched)
        else:
            if not isinstance(hx, (tuple, list)) or len(hx) != 2:
                raise TypeError(
                    f"LSTMCell: hx must be a tuple (h_0, c_0) or None, got {type(hx).__name__}"
                )
            h = self._state("h_0", hx[0], x, unbatched)
            c = self._state("c_0", hx[1], x, unbatched)
        h_new, c_new = _C._nn.lstm_cell(
            x, h, c, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh
        )
        if unbatched:
            return h_new.squeeze(0), c_new.squeeze(0)
        return h_new, c_new


class GRUCell(RNNCellBase):
    """GRU cell with PyTorch's gate order r, z, n (3*H rows):

    ``r = sigmoid(W_ir x + b_ir + W_hr h + b_hr)``, ``z`` likewise,
    ``n = tanh(W_in x + b_in + r * (W_hn h + b_hn))``, ``h' = (1 - z) * n + z * h``.
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        x, unbatched = self._batched_input(input)
        h = self._state("hx", hx, x, unbatched)
        out = _C._nn.gru_cell(x, h, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        return out.squeeze(0) if unbatched else out
