// One recurrent layer in one direction over a whole sequence, as a single differentiable op:
// the fused C++ path behind axonite.nn.RNN, LSTM and GRU (see kernels/rnn.h for the algorithm).
#pragma once

#include <string>
#include <vector>

#include "axonite/tensor/tensor.h"

namespace ax {

// mode: "rnn_tanh" | "rnn_relu" | "lstm" | "gru". x: (T, B, I); h0: (B, R); c0: (B, H) for
// LSTM (else undefined); w_ih: (G*H, I); w_hh: (G*H, R); b_ih, b_hh: (G*H,) or undefined;
// w_hr: (P, H) for an LSTM with projections (R = P), else undefined (R = H); lengths: (B,)
// int64 with 1 <= lengths[b] <= T, or undefined. reverse walks t = T-1 .. 0 (each row from its
// own last valid step). Returns {y (T, B, R), h_n (B, R)} plus c_n (B, H) for LSTM.
// Differentiable once in every floating input; double backward raises.
TensorList rnn_layer(const std::string& mode, const Tensor& x, const Tensor& h0, const Tensor& c0,
                     const Tensor& w_ih, const Tensor& w_hh, const Tensor& b_ih, const Tensor& b_hh,
                     const Tensor& w_hr, const Tensor& lengths, bool reverse);

// One direction's own arguments to rnn_layer (the same meanings there).
struct RnnDirection {
  Tensor h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr;
  bool reverse = false;
};

// rnn_layer over the same x and lengths for each of `dirs` in turn (a bidirectional layer:
// forward, then reverse), with the results and autograd nodes of one rnn_layer call per
// direction, concatenated: {y, h_n[, c_n]} of the first, then of the second. At 2 threads the
// two directions of a large enough layer run at once, one per thread.
TensorList rnn_layer_directions(const std::string& mode, const Tensor& x,
                                const std::vector<RnnDirection>& dirs, const Tensor& lengths);

// Argument check shared by the recurrent layer and cells: `t` (named `name` in op's messages)
// must be defined, of shape `shape` and dtype `dt`.
void check_recurrent_arg(const char* op, const char* name, const Tensor& t, const Dims& shape,
                         DType dt);

}  // namespace ax
