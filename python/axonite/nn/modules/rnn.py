"""Recurrent layers ``RNN``, ``LSTM`` and ``GRU`` with PyTorch's constructor arguments,
parameter names and shapes (``weight_ih_l0``, ``weight_hh_l0_reverse``, ``weight_hr_l0``, ...),
initialization, inputs and outputs, so PyTorch state_dicts load unchanged.

Each layer is ONE call into the fused C++ op ``_C._nn.rnn_layer_directions`` (one or both
directions; at 2 threads the two directions of a layer run at once): one GEMM
per step (the input projection folded in; GRU's in one GEMM for all steps), fused gates,
backward-through-time in C++. Python only slices initial states, concatenates directions and
applies dropout between layers.

Beyond PyTorch, ``forward(input, hx, lengths=...)`` takes per-sequence lengths for a padded
batch in any order: outputs are zero past each length and the final states are those at each
sequence's last valid step, exactly what packing (``nn.utils.rnn``) would give, without sorting.
"""

from __future__ import annotations

import math
import numbers
import warnings
from typing import Any

import numpy as np

from ... import _C
from ..._C import Tensor
from .. import functional as F
from .. import init
from ..parameter import Parameter
from .module import Module

__all__ = ["GRU", "LSTM", "RNN", "RNNBase"]

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}
_OP_MODE = {"RNN_TANH": "rnn_tanh", "RNN_RELU": "rnn_relu", "LSTM": "lstm", "GRU": "gru"}


class RNNShapeError(ValueError, RuntimeError):
    """A recurrent layer got an input or state of the wrong shape. It is a ``ValueError`` (our
    convention) and a ``RuntimeError`` (what PyTorch raises), so ported ``except`` clauses work."""


def _check_device(device: Any) -> None:
    if device is not None and str(device) != "cpu":
        raise RuntimeError(f"axonite tensors live on the CPU; got device={device!r}")


class RNNBase(Module):
    """Shared machinery of ``RNN``, ``LSTM`` and ``GRU``: parameters per layer and direction
    in PyTorch's order and names, argument checks and the layer/direction loop.

    ``mode`` is ``'RNN_TANH'``, ``'RNN_RELU'``, ``'LSTM'`` or ``'GRU'``."""

    def __init__(
        self,
        mode: str,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        proj_size: int = 0,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        _check_device(device)
        name = type(self).__name__
        if mode not in _GATES:
            raise ValueError(f"{name}: unknown mode {mode!r}; expected one of {list(_GATES)}")
        if (
            not isinstance(dropout, numbers.Number)
            or isinstance(dropout, bool)
            or not 0 <= dropout <= 1
        ):
            raise ValueError(
                f"{name}: dropout should be a number in range [0, 1] representing the "
                f"probability of an element being zeroed, got {dropout!r}"
            )
        for arg, value, low in (
            ("input_size", input_size, 0),
            ("hidden_size", hidden_size, 1),
            ("num_layers", num_layers, 1),
            ("proj_size", proj_size, 0),
        ):
            if not isinstance(value, int) or isinstance(value, bool):
                raise TypeError(f"{name}: {arg} should be of type int, got {type(value).__name__}")
            if value < low:
                raise ValueError(f"{name}: {arg} must be at least {low}, got {value}")
        if proj_size > 0 and mode != "LSTM":
            raise ValueError(f"{name}: proj_size argument is only supported for LSTM, not {mode}")
        if proj_size >= hidden_size:
            raise ValueError(
                f"{name}: proj_size ({proj_size}) has to be smaller than hidden_size "
                f"({hidden_size})"
            )
        if dropout > 0 and num_layers == 1:
            warnings.warn(
                "dropout option adds dropout after all but last recurrent layer, so non-zero "
                f"dropout expects num_layers greater than 1, but got dropout={dropout} and "
                f"num_layers={num_layers}",
                stacklevel=2,
            )
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        gate_size = _GATES[mode] * hidden_size
        real_hidden = proj_size if proj_size > 0 else hidden_size
        num_dir = 2 if bidirectional else 1
        # Names in PyTorch's registration order (state_dict keys and parameters() order).
        self._all_weights: list[list[str]] = []
        for layer in range(num_layers):
            layer_in = input_size if layer == 0 else real_hidden * num_dir
            for d in range(num_dir):
                sfx = f"_l{layer}" + ("_reverse" if d == 1 else "")
                shapes = [
                    ("weight_ih", (gate_size, layer_in)),
                    ("weight_hh", (gate_size, real_hidden)),
                ]
                if bias:
                    shapes += [("bias_ih", (gate_size,)), ("bias_hh", (gate_size,))]
                if proj_size > 0:
                    shapes.append(("weight_hr", (proj_size, hidden_size)))
                names = []
                for base, shape in shapes:
                    self.register_parameter(base + sfx, Parameter(_C.empty(shape, dtype=dtype)))
                    names.append(base + sfx)
                self._all_weights.append(names)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Every weight and bias from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)) (PyTorch)."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            init.uniform_(p, -bound, bound)

    def flatten_parameters(self) -> None:
        """Kept for PyTorch compatibility: the fused kernel reads each weight where it lies, so
        there is no flat weight buffer to rebuild and nothing to do."""

    @property
    def all_weights(self) -> list[list[Parameter]]:
        """Parameters grouped per layer and direction, as in PyTorch."""
        return [[getattr(self, n) for n in names] for names in self._all_weights]

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s

    # ---- forward ----------------------------------------------------------------------------

    def forward(self, input: Any, hx: Any = None, lengths: Any = None) -> tuple[Any, Any]:
        """Runs the layers over ``input`` (T, B, input_size) (``(B, T, ...)`` if batch_first,
        ``(T, input_size)`` unbatched, or a ``PackedSequence``) from initial state ``hx``
        ((num_layers * num_directions, B, H_out), for LSTM a pair (h0, c0); zeros if None).

        Returns ``(output, h_n)`` (LSTM: ``(output, (h_n, c_n))``) as PyTorch does.
        ``lengths`` (B,) (a list or int64 tensor, any order, each in [1, T]) treats ``input``
        as a padded batch: outputs past a sequence's length are zero and its final state is the
        one at its last valid step."""
        from ..utils.rnn import PackedSequence

        if isinstance(input, PackedSequence):
            if lengths is not None:
                raise ValueError(
                    f"{type(self).__name__}: lengths= cannot be combined with a PackedSequence "
                    "input, which carries its own lengths"
                )
            return self._forward_packed(input, hx)
        return self._forward_padded(input, hx, lengths, self.batch_first)

    def _forward_packed(self, packed: Any, hx: Any) -> tuple[Any, Any]:
        """PackedSequence in and out: unpacked to the original batch order, run with lengths,
        and re-packed with the input's own batch_sizes and permutation (as PyTorch returns)."""
        from ..utils.rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence

        padded, lens = pad_packed_sequence(packed)
        out, state = self._forward_padded(padded, hx, lens, batch_first=False)
        if packed.sorted_indices is not None:
            out = out.index_select(1, packed.sorted_indices)
            lens = lens.index_select(0, packed.sorted_indices)
        repacked = pack_padded_sequence(out, lens, enforce_sorted=True)
        data = PackedSequence(
            repacked.data, packed.batch_sizes, packed.sorted_indices, packed.unsorted_indices
        )
        return data, state

    def _forward_padded(
        self, input: Any, hx: Any, lengths: Any, batch_first: bool
    ) -> tuple[Any, Any]:
        name = type(self).__name__
        if not isinstance(input, Tensor):
            raise TypeError(f"{name}: input must be a Tensor, got {type(input).__name__}")
        if input.ndim not in (2, 3):
            raise RNNShapeError(
                f"{name}: Expected input to be 2D or 3D, got {input.ndim}D instead "
                f"(shape {list(input.shape)})"
            )
        w0 = self.weight_ih_l0
        if input.dtype != w0.dtype:
            raise TypeError(
                f"{name}: input dtype ({input.dtype}) does not match weight dtype ({w0.dtype}); "
                f"convert the input with .to({w0.dtype}) or the model with .to({input.dtype})"
            )
        batched = input.ndim == 3
        if not batched:
            if lengths is not None:
                raise ValueError(f"{name}: lengths= needs a batched (3-D) input")
            input = input.unsqueeze(1)
        elif batch_first:
            input = input.transpose(0, 1)
        steps, batch, feat = (int(s) for s in input.shape)
        if feat != self.input_size:
            raise RNNShapeError(
                f"{name}: input.size(-1) must be equal to input_size. Expected "
                f"{self.input_size}, got {feat}"
            )
        if steps == 0:
            raise RNNShapeError(f"{name}: Expected sequence length to be larger than 0")
        lens = None if lengths is None else self._check_lengths(lengths, steps, batch)
        h0, c0 = self._initial_states(hx, batch, batched, input.dtype)
        num_dir = 2 if self.bidirectional else 1
        mode = _OP_MODE[self.mode]
        x = input
        h_out, c_out = [], []
        for layer in range(self.num_layers):
            if layer > 0 and self.dropout > 0 and self.training:
                x = F.dropout(x, self.dropout, training=True)
            dirs = []
            for d in range(num_dir):
                k = layer * num_dir + d
                w = [getattr(self, n) for n in self._all_weights[k]]
                b_ih, b_hh = (w[2], w[3]) if self.bias else (None, None)
                w_hr = w[-1] if self.proj_size > 0 else None
                c = None if c0 is None else c0[k]
                dirs.append((h0[k], c, w[0], w[1], b_ih, b_hh, w_hr, d == 1))
            # One call per layer: at 2 threads the two directions of a layer run at once.
            res = _C._nn.rnn_layer_directions(mode, x, dirs, lens)
            per = 3 if c0 is not None else 2  # outputs per direction
            ys = [res[i * per] for i in range(num_dir)]
            h_out += [res[i * per + 1] for i in range(num_dir)]
            if c0 is not None:
                c_out += [res[i * per + 2] for i in range(num_dir)]
            x = ys[0] if num_dir == 1 else _C.cat(ys, 2)
        output = x
        h_n = _C.stack(h_out, 0)
        c_n = _C.stack(c_out, 0) if c0 is not None else None
        if not batched:
            output = output.squeeze(1)
            h_n = h_n.squeeze(1)
            c_n = c_n.squeeze(1) if c_n is not None else None
        elif batch_first:
            output = output.transpose(0, 1)
        return output, ((h_n, c_n) if self.mode == "LSTM" else h_n)

    def _check_lengths(self, lengths: Any, steps: int, batch: int) -> Tensor:
        """lengths as a (B,) int64 tensor, each in [1, T]."""
        name = type(self).__name__
        if isinstance(lengths, Tensor):
            if lengths.dtype != _C.int64:
                raise TypeError(f"{name}: lengths must be int64, got dtype {lengths.dtype}")
            values = lengths.numpy()
        else:
            try:
                values = np.asarray(lengths)
            except Exception as e:
                raise TypeError(f"{name}: lengths must be a list of ints or an int64 tensor") from e
            if values.dtype.kind not in "iu":
                raise TypeError(
                    f"{name}: lengths must be a list of ints or an int64 tensor, got {lengths!r}"
                )
        if values.shape != (batch,):
            raise RNNShapeError(
                f"{name}: expected one length per sequence, shape ({batch},), got lengths of "
                f"shape {list(values.shape)}"
            )
        if values.min() < 1 or values.max() > steps:
            raise ValueError(
                f"{name}: every length must lie in [1, {steps}] (the sequence length of the "
                f"input), got lengths={values.tolist()}"
            )
        return _C.from_numpy(np.ascontiguousarray(values, dtype=np.int64))

    def _initial_states(self, hx: Any, batch: int, batched: bool, dtype: Any) -> tuple[Any, Any]:
        """(h0, c0) as 3-D (L * D, B, .) tensors; zeros where hx is None; c0 None unless LSTM."""
        name = type(self).__name__
        num_dir = 2 if self.bidirectional else 1
        real_hidden = self.proj_size if self.proj_size > 0 else self.hidden_size
        h_shape = (self.num_layers * num_dir, batch, real_hidden)
        c_shape = (self.num_layers * num_dir, batch, self.hidden_size)
        lstm = self.mode == "LSTM"
        if hx is None:
            h0 = _C.zeros(h_shape, dtype=dtype)
            return h0, (_C.zeros(c_shape, dtype=dtype) if lstm else None)
        if lstm:
            if not isinstance(hx, (tuple, list)) or len(hx) != 2:
                raise TypeError(f"{name}: hx must be a tuple (h_0, c_0), got {type(hx).__name__}")
            states = [("hx[0]", hx[0], h_shape), ("hx[1]", hx[1], c_shape)]
        else:
            if not isinstance(hx, Tensor):
                raise TypeError(f"{name}: hx must be a Tensor, got {type(hx).__name__}")
            states = [("hx", hx, h_shape)]
        out = []
        for arg, t, shape in states:
            if not isinstance(t, Tensor):
                raise TypeError(f"{name}: {arg} must be a Tensor, got {type(t).__name__}")
            want = shape if batched else (shape[0], shape[2])
            if tuple(t.shape) != want:
                kind = "" if batched else " (unbatched input: 2-D states)"
                raise RNNShapeError(
                    f"{name}: Expected {arg} size {want}, got {list(t.shape)}{kind}"
                )
            if t.dtype != dtype:
                raise TypeError(f"{name}: {arg} has dtype {t.dtype}, but the input is {dtype}")
            out.append(t if batched else t.unsqueeze(1))
        return out[0], (out[1] if lstm else None)


class RNN(RNNBase):
    """Elman RNN: ``h_t = act(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)`` with act ``tanh``
    (default) or ``relu``; arguments, parameters and outputs as ``torch.nn.RNN``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if "proj_size" in kwargs:
            raise ValueError("RNN: proj_size argument is only supported for LSTM, not RNN")
        nonlinearity = kwargs.pop("nonlinearity", "tanh")
        if len(args) > 3:  # PyTorch's positional order: input, hidden, layers, nonlinearity
            nonlinearity = args[3]
            args = args[:3] + args[4:]
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(
                f"RNN: Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'."
            )
        self.nonlinearity = nonlinearity
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", *args, **kwargs)


class LSTM(RNNBase):
    """Long short-term memory (gates i, f, g, o as PyTorch) with optional projections
    (``proj_size``: h = W_hr (o * tanh(c))); returns ``(output, (h_n, c_n))``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__("LSTM", *args, **kwargs)


class GRU(RNNBase):
    """Gated recurrent unit (gates r, z, n as PyTorch: n = tanh(W_in x + b_in + r * (W_hn h +
    b_hn)), h' = (1 - z) * n + z * h); returns ``(output, h_n)``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if "proj_size" in kwargs:
            raise ValueError("GRU: proj_size argument is only supported for LSTM, not GRU")
        super().__init__("GRU", *args, **kwargs)
