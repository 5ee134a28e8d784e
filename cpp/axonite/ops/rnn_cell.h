// One step of an LSTM or GRU cell as a single differentiable op: the fused path behind
// axonite.nn.LSTMCell and GRUCell. Forward is two GEMMs into one gate buffer and one pointwise
// pass (kernels/rnn_cell.h); backward is one pointwise pass and the GEMMs for the input, state
// and weight gradients, in one node instead of the dozen of a composite cell. Under
// create_graph the backward runs the same formulas as differentiable ops, so double backward
// works.
#pragma once

#include "axonite/tensor/tensor.h"

namespace ax {

// x (N, I), h and c (N, H), w_ih (4H, I), w_hh (4H, H), b_ih and b_hh (4H,) or both undefined
// -> {h' (N, H), c' (N, H)}; gate order i, f, g, o.
TensorList lstm_cell(const Tensor& x, const Tensor& h, const Tensor& c, const Tensor& w_ih,
                     const Tensor& w_hh, const Tensor& b_ih, const Tensor& b_hh);

// x (N, I), h (N, H), w_ih (3H, I), w_hh (3H, H), b_ih and b_hh (3H,) or both undefined
// -> h' (N, H); gate order r, z, n with n = tanh(W_in x + b_in + r (W_hn h + b_hn)).
Tensor gru_cell(const Tensor& x, const Tensor& h, const Tensor& w_ih, const Tensor& w_hh,
                const Tensor& b_ih, const Tensor& b_hh);

}  // namespace ax
