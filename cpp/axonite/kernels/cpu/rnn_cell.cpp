// Pointwise passes of the single-step LSTM and GRU cells (kernels/rnn_cell.h): each row is one
// call of the fused row passes the whole-sequence layers use (rnn_gates.h), over all H units.
// Rows split across threads in chunks of about 4096 gate values; a row's arithmetic does not
// depend on the split, so results do not depend on the thread count.
#include "axonite/kernels/rnn_cell.h"

#include <algorithm>
#include <vector>

#include "axonite/core/parallel.h"
#include "axonite/kernels/cpu/rnn_gates.h"

namespace ax::cpu {
namespace {

// Runs f(b0, b1) over row ranges of [0, N), about 4096 values of width `row` per chunk.
template <class F>
void for_rows(int64_t N, int64_t row, const F& f) {
  parallel_for(0, N, std::max<int64_t>(1, 4096 / std::max<int64_t>(row, 1)), f);
}

}  // namespace

template <class T>
void lstm_cell_forward(int64_t N, int64_t H, T* gates, const T* c, T* c_new, T* tanh_c, T* h_new) {
  const RnnGateKernels<T>& k = rnn_gate_kernels<T>();
  for_rows(N, 4 * H, [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) {
      LstmForwardRow<T> r{};
      r.in = GateIn::Ready;
      r.g = gates + b * 4 * H;
      r.gs = H;
      r.c = c + b * H;
      r.c_new = c_new + b * H;
      r.tanh_c = tanh_c + b * H;
      r.out = h_new + b * H;
      k.lstm_forward(r, H);
    }
  });
}

template <class T>
void lstm_cell_backward(int64_t N, int64_t H, const T* gates, const T* c, const T* tanh_c,
                        const T* dh_new, const T* dc_new, T* dgates, T* dc) {
  const RnnGateKernels<T>& k = rnn_gate_kernels<T>();
  // A missing incoming gradient is a row of zeros, shared by every row.
  const std::vector<T> zeros(dh_new && dc_new ? 0 : H, T(0));
  for_rows(N, 4 * H, [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) {
      k.lstm_backward(
          {gates + b * 4 * H, H, tanh_c + b * H, c + b * H, dh_new ? dh_new + b * H : zeros.data(),
           dc_new ? dc_new + b * H : zeros.data(), dgates + b * 4 * H, dc ? dc + b * H : nullptr},
          H);
    }
  });
}

template <class T>
void gru_cell_forward(int64_t N, int64_t H, T* gi, const T* gh, const T* h, T* h_new) {
  const RnnGateKernels<T>& k = rnn_gate_kernels<T>();
  for_rows(N, 3 * H, [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) {
      GruForwardRow<T> r{};  // the biases are already in gi and gh
      r.g = gi + b * 3 * H;
      r.gs = H;
      r.hg = gh + b * 3 * H;
      r.hs = H;
      r.h = h + b * H;
      r.h_new = h_new + b * H;
      k.gru_forward(r, H);
    }
  });
}

template <class T>
void gru_cell_backward(int64_t N, int64_t H, const T* gates, const T* gh, const T* h,
                       const T* dh_new, T* dgi, T* dgh, T* dh_direct) {
  const RnnGateKernels<T>& k = rnn_gate_kernels<T>();
  for_rows(N, 3 * H, [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) {
      k.gru_backward({gates + b * 3 * H, H, gh + b * 3 * H + 2 * H, h + b * H, dh_new + b * H,
                      dgi + b * 3 * H, dgh + b * 3 * H, dh_direct + b * H},
                     H);
    }
  });
}

#define AXONITE_RNN_CELL(T)                                                                        \
  template void lstm_cell_forward<T>(int64_t, int64_t, T*, const T*, T*, T*, T*);                  \
  template void lstm_cell_backward<T>(int64_t, int64_t, const T*, const T*, const T*, const T*,    \
                                      const T*, T*, T*);                                           \
  template void gru_cell_forward<T>(int64_t, int64_t, T*, const T*, const T*, T*);                 \
  template void gru_cell_backward<T>(int64_t, int64_t, const T*, const T*, const T*, const T*, T*, \
                                     T*, T*);
AXONITE_RNN_CELL(float)
AXONITE_RNN_CELL(double)
#undef AXONITE_RNN_CELL

}  // namespace ax::cpu
