// Single-step recurrent cells (LSTMCell, GRUCell): the pointwise passes that sit between the
// GEMMs of one step, on raw contiguous (N, .) buffers of N rows; no Tensor type here. Gate orders
// are PyTorch's: LSTM (i, f, g, o), GRU (r, z, n). The op (ops/rnn_cell.cpp) runs the GEMMs.
#pragma once

#include <cstdint>

namespace ax::cpu {

// LSTM forward. gates (N, 4H): the pre-activations on entry, the activated i, f, g, o on exit.
// c (N, H) -> c_new = f c + i g, tanh_c = tanh(c_new) (kept for backward), h_new = o tanh_c.
template <class T>
void lstm_cell_forward(int64_t N, int64_t H, T* gates, const T* c, T* c_new, T* tanh_c, T* h_new);

// LSTM backward from dh_new and dc_new (N, H; null = zero) to the pre-activation gradient
// dgates (N, 4H) and dc (N, H, the gradient reaching c; null = not wanted).
template <class T>
void lstm_cell_backward(int64_t N, int64_t H, const T* gates, const T* c, const T* tanh_c,
                        const T* dh_new, const T* dc_new, T* dgates, T* dc);

// GRU forward. gi = x W_ih^T + b_ih and gh = h W_hh^T + b_hh (N, 3H) on entry; gi holds the
// activated r, z, n on exit (gh is left as is: its n part is what backward needs).
// h_new = (1 - z) n + z h with n = tanh(gi_n + r gh_n).
template <class T>
void gru_cell_forward(int64_t N, int64_t H, T* gi, const T* gh, const T* h, T* h_new);

// GRU backward from dh_new (N, H): the gradients of gi and gh (N, 3H each), and dh_direct (N, H),
// the part of dh that does not pass through W_hh (dh_new z).
template <class T>
void gru_cell_backward(int64_t N, int64_t H, const T* gates, const T* gh, const T* h,
                       const T* dh_new, T* dgi, T* dgh, T* dh_direct);

}  // namespace ax::cpu
