// Whole-sequence recurrent layer kernels (one layer, one direction) on raw contiguous buffers; no
// Tensor type here. Shapes use T steps, B batch rows, I input features, H hidden units, G gates
// (1 for the plain RNNs, 4 for LSTM, 3 for GRU) and R = P > 0 ? P : H, the size of h (an LSTM
// with proj_size P projects o * tanh(c) down to P units).
//
// Forward: each step is one GEMM (LSTM and plain RNN: [x_t | h] against [W_ih | W_hh]^T; GRU:
// h against W_hh^T, its input projections of all steps being one GEMM up front) and one fused
// pass for the gate nonlinearities and the state update. Backward walks the steps in reverse
// with one GEMM per step for dh (and for dx, except GRU), then forms every weight gradient (and
// GRU's dx) with one GEMM over all T*B rows. Threads split the hidden units of the time loop
// (kernels/cpu/rnn.cpp). Gate orders are PyTorch's: LSTM (i, f, g, o), GRU (r, z, n) with n =
// tanh(W_in x + b_in + r * (W_hn h + b_hn)).
//
// Lengths: row b takes part in step t only while t < lengths[b]; past it the row's state stays
// as it is and its output is zero, so h_n holds the state at the row's last valid step and a
// reversed pass starts at that step. Results do not depend on the thread count.
#pragma once

#include <cstdint>

namespace ax::cpu {

enum class RnnMode : uint8_t { Tanh, Relu, Lstm, Gru };

inline int rnn_gate_count(RnnMode m) {
  return m == RnnMode::Lstm ? 4 : (m == RnnMode::Gru ? 3 : 1);
}

struct RnnShape {
  RnnMode mode;
  int64_t T, B, I, H, P;   // P = 0: no projection (only LSTM may have P > 0)
  bool reverse;            // walk t = T-1 .. 0
  const int64_t* lengths;  // (B,) with 1 <= lengths[b] <= T, or null: every row runs T steps
  // false: no backward will run (inference), so forward keeps only the current step in the
  // saved buffers below, which then hold one step each (GRU's gates still hold all T: they
  // carry its input projections); they stay in cache instead of streaming T steps to memory.
  // The LSTM skips its saves entirely then (hprev, cprev, tanh_c stay unwritten).
  bool keep_history = true;
};

// Weights, all contiguous: w_ih (G*H, I), w_hh (G*H, R), b_ih and b_hh (G*H,) or null,
// w_hr (P, H) when P > 0.
template <class T>
struct RnnWeights {
  const T *w_ih, *w_hh, *b_ih, *b_hh, *w_hr;
};

// What forward saves for backward (allocated by the caller, written by forward; one step of
// each, except GRU's gates, when !keep_history):
//   gates (T, B, G*H): activated gates (LSTM i, f, g, o; GRU r, z, n; plain RNN: h itself)
//   hprev (T, B, R): h before each step
//   cprev, tanh_c (T, B, H): LSTM only, c before each step and tanh of c after it
//   m (T, B, H): LSTM with P > 0 only, o * tanh(c) (the projection's input)
//   hn (T, B, H): GRU only, W_hn h + b_hn
template <class T>
struct RnnSaved {
  T *gates, *hprev, *cprev, *tanh_c, *m, *hn;
};

// x (T, B, I), h0 (B, R), c0 (B, H) (LSTM) -> y (T, B, R), h_n (B, R), c_n (B, H) (LSTM).
template <class T>
void rnn_forward(const RnnShape& s, const RnnWeights<T>& w, const T* x, const T* h0, const T* c0,
                 T* y, T* h_n, T* c_n, const RnnSaved<T>& saved);

// Gradients for dy (T, B, R), dh_n (B, R), dc_n (B, H) (LSTM). Every output pointer may be null
// when that gradient is not wanted: dx (T, B, I), dh0 (B, R), dc0 (B, H), dw_ih (G*H, I),
// dw_hh (G*H, R), db_ih, db_hh (G*H,), dw_hr (P, H). The weight gradients are summed into
// what dw_ih / dw_hh / dw_hr hold where add_w says so (a leaf's .grad, Note [Gradient sinks]).
template <class T>
struct RnnGrads {
  T *dx, *dh0, *dc0, *dw_ih, *dw_hh, *db_ih, *db_hh, *dw_hr;
  bool add_w_ih = false, add_w_hh = false, add_w_hr = false;
};
template <class T>
void rnn_backward(const RnnShape& s, const RnnWeights<T>& w, const T* x, const RnnSaved<T>& saved,
                  const T* dy, const T* dh_n, const T* dc_n, const RnnGrads<T>& g);

}  // namespace ax::cpu
