// Fused pointwise passes of the recurrent kernels, one row (one batch entry) of n hidden units
// per call: everything between a step's GEMMs (bias adds, gate nonlinearities, state update,
// the copies saved for backward) happens in one call per row, compiled per ISA
// (rnn_gates_impl.h) and picked once at run time. Used by the whole-sequence layers (rnn.cpp,
// on a thread's slice of the units) and the single-step cells (rnn_cell.cpp, on whole rows).
//
// Gate q of unit i sits at g[q * gs + i] in a gate row (gs = H for the (., G*H) buffers) and at
// hg[q * hs + i] in a GEMM product row. Gate orders are PyTorch's: LSTM (i, f, g, o), GRU (r, z,
// n). Pointers marked "may alias" may equal another one of the same row (an in-place update);
// any other two are disjoint. float32 uses vecmath's vectorizable sigmoid and tanh (as the
// activation kernels do), float64 libm. Each element's arithmetic is fixed (explicit FMAs where
// any), so a unit's result does not depend on where a vector body or tail falls: callers may
// split a row's units at any multiple of 16 and get the same bits.
#pragma once

#include <cstdint>

namespace ax::cpu {

// How a forward pass forms the pre-activations in the gate row g.
enum class GateIn : uint8_t {
  Ready,  // g already holds them (hg and bias unused)
  Set,    // g = hg + bias
  Add,    // g += hg + bias (g holds the input projection x W_ih^T)
};

// LSTM forward: activated i, f, g, o into g, c_new = f c + i g, out = o tanh(c_new). What
// backward reads of c and h before the step, the caller copies before the call.
template <class T>
struct LstmForwardRow {
  GateIn in;
  T* g;
  int64_t gs;
  const T* hg;  // GateIn::Set and Add only
  int64_t hs;
  const T* bias;  // GateIn::Set and Add only; gate stride gs
  const T* c;
  T* c_new;   // may alias c
  T* tanh_c;  // null, or tanh(c_new) saved for backward
  T* out;     // h, or the projection's input m
  T* y;       // null, or a second copy of out (the layer's output row)
};

// GRU forward: r = sigmoid(g_r + hg_r (+ bias_r)), z likewise, hn = hg_n (+ bhn),
// n = tanh(g_n + (bias_n +) r hn), h_new = n + z (h - n).
template <class T>
struct GruForwardRow {
  T* g;  // x W_ih^T (+ b_ih) on entry, activated r, z, n on exit
  int64_t gs;
  const T* hg;  // h W_hh^T (+ b_hh)
  int64_t hs;
  // Both set or both null: b_ih + b_hh for r and z and b_in for n (gate stride gs), and b_hn.
  const T* bias;
  const T* bhn;
  const T* h;
  T* h_new;  // may alias h
  // Set together or null together: W_hn h + b_hn saved for backward, a copy of h before the
  // step and a second copy of h_new.
  T* hn;
  T* hprev;
  T* y;
};

// Plain RNN forward: h_new = tanh or relu of the pre-activation, also left in g.
template <class T>
struct RnnForwardRow {
  GateIn in;  // Set or Add
  bool relu;
  T* g;
  const T* hg;
  const T* bias;
  T* h_new;
  // Set together or null together: h before the step is copied to hprev (h_new may alias h),
  // h_new to y.
  const T* h;
  T* hprev;
  T* y;
};

// LSTM backward from dh (the gradient reaching o tanh(c_new)) and dc (reaching c_new): the
// pre-activation gradients dg (gate stride gs) and dc_prev = dc_total f (null: not wanted).
template <class T>
struct LstmBackwardRow {
  const T* g;  // activated i, f, g, o
  int64_t gs;
  const T* tanh_c;
  const T* c;  // c before the step
  const T* dh;
  const T* dc;
  T* dg;
  T* dc_prev;  // may alias dc
};

// GRU backward from dh (reaching h_new): dg (w.r.t. the input side, gate stride gs), dhg (w.r.t.
// the recurrent side: the n gate scaled by r) and dh_direct = dh z (the part of dh_prev that
// does not pass through W_hh).
template <class T>
struct GruBackwardRow {
  const T* g;  // activated r, z, n
  int64_t gs;
  const T* hn;  // W_hn h + b_hn
  const T* h;   // h before the step
  const T* dh;
  T* dg;
  T* dhg;
  T* dh_direct;
};

// Plain RNN backward: dg = dh times the derivative, from the activated h in g.
template <class T>
struct RnnBackwardRow {
  bool relu;
  const T* g;
  const T* dh;
  T* dg;
};

template <class T>
struct RnnGateKernels {
  void (*lstm_forward)(const LstmForwardRow<T>& r, int64_t n);
  void (*gru_forward)(const GruForwardRow<T>& r, int64_t n);
  void (*rnn_forward)(const RnnForwardRow<T>& r, int64_t n);
  void (*lstm_backward)(const LstmBackwardRow<T>& r, int64_t n);
  void (*gru_backward)(const GruBackwardRow<T>& r, int64_t n);
  void (*rnn_backward)(const RnnBackwardRow<T>& r, int64_t n);
};

// The table for the CPU's ISA (AVX-512, AVX2 or portable), picked on first use.
const RnnGateKernels<float>& rnn_gate_kernels_f32();
const RnnGateKernels<double>& rnn_gate_kernels_f64();

template <class T>
const RnnGateKernels<T>& rnn_gate_kernels() {
  if constexpr (sizeof(T) == 4) {
    return rnn_gate_kernels_f32();
  } else {
    return rnn_gate_kernels_f64();
  }
}

}  // namespace ax::cpu
