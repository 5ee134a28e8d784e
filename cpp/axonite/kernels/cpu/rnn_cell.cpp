// Pointwise passes of the single-step LSTM and GRU cells (kernels/rnn_cell.h). Each row is one
// independent unit of work; rows split across threads in chunks of about 4096 gate values, so
// results do not depend on the thread count. Sigmoid and tanh run through the dispatched
// activation loops on contiguous runs of a row (in place), the rest is plain vectorizable code.
#include "axonite/kernels/rnn_cell.h"

#include <algorithm>
#include <type_traits>

#include "axonite/core/dtype.h"
#include "axonite/core/parallel.h"
#include "axonite/kernels/activation.h"

namespace ax::cpu {
namespace {

template <class T>
ActForwardKernel act(Act op) {
  return act_forward_kernel(op, std::is_same_v<T, float> ? DType::Float32 : DType::Float64);
}

// Runs f(b0, b1) over row ranges of [0, N), about 4096 values of width `row` per chunk.
template <class F>
void for_rows(int64_t N, int64_t row, const F& f) {
  parallel_for(0, N, std::max<int64_t>(1, 4096 / std::max<int64_t>(row, 1)), f);
}

}  // namespace

template <class T>
void lstm_cell_forward(int64_t N, int64_t H, T* gates, const T* c, T* c_new, T* tanh_c, T* h_new) {
  const ActForwardKernel sigmoid = act<T>(Act::Sigmoid), tanh = act<T>(Act::Tanh);
  for_rows(N, 4 * H, [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) {
      T* g = gates + b * 4 * H;
      sigmoid(g, g, 2 * H, {});  // i and f are adjacent
      tanh(g + 2 * H, g + 2 * H, H, {});
      sigmoid(g + 3 * H, g + 3 * H, H, {});
      const T* cb = c + b * H;
      T* cn = c_new + b * H;
      T* tc = tanh_c + b * H;
#pragma omp simd
      for (int64_t j = 0; j < H; ++j) cn[j] = g[H + j] * cb[j] + g[j] * g[2 * H + j];
      tanh(tc, cn, H, {});
      T* hn = h_new + b * H;
#pragma omp simd
      for (int64_t j = 0; j < H; ++j) hn[j] = g[3 * H + j] * tc[j];
    }
  });
}

template <class T>
void lstm_cell_backward(int64_t N, int64_t H, const T* gates, const T* c, const T* tanh_c,
                        const T* dh_new, const T* dc_new, T* dgates, T* dc) {
  for_rows(N, 4 * H, [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) {
      const T* g = gates + b * 4 * H;
      const T *cb = c + b * H, *tc = tanh_c + b * H;
      const T* dh = dh_new ? dh_new + b * H : nullptr;
      const T* dcn = dc_new ? dc_new + b * H : nullptr;
      T* dg = dgates + b * 4 * H;
      T* dcb = dc ? dc + b * H : nullptr;
#pragma omp simd
      for (int64_t j = 0; j < H; ++j) {
        const T i = g[j], f = g[H + j], gg = g[2 * H + j], o = g[3 * H + j], t = tc[j];
        const T d = dh ? dh[j] : T(0);
        const T dct = (dcn ? dcn[j] : T(0)) + d * o * (T(1) - t * t);
        dg[j] = dct * gg * i * (T(1) - i);
        dg[H + j] = dct * cb[j] * f * (T(1) - f);
        dg[2 * H + j] = dct * i * (T(1) - gg * gg);
        dg[3 * H + j] = d * t * o * (T(1) - o);
        if (dcb) dcb[j] = dct * f;
      }
    }
  });
}

template <class T>
void gru_cell_forward(int64_t N, int64_t H, T* gi, const T* gh, const T* h, T* h_new) {
  const ActForwardKernel sigmoid = act<T>(Act::Sigmoid), tanh = act<T>(Act::Tanh);
  for_rows(N, 3 * H, [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) {
      T* g = gi + b * 3 * H;
      const T* q = gh + b * 3 * H;
#pragma omp simd
      for (int64_t j = 0; j < 2 * H; ++j) g[j] += q[j];
      sigmoid(g, g, 2 * H, {});  // r and z are adjacent
#pragma omp simd
      for (int64_t j = 0; j < H; ++j) g[2 * H + j] += g[j] * q[2 * H + j];
      tanh(g + 2 * H, g + 2 * H, H, {});
      const T* hb = h + b * H;
      T* hn = h_new + b * H;
#pragma omp simd
      for (int64_t j = 0; j < H; ++j) {
        const T n = g[2 * H + j];
        hn[j] = n + g[H + j] * (hb[j] - n);  // (1 - z) n + z h, rounded as PyTorch does
      }
    }
  });
}

template <class T>
void gru_cell_backward(int64_t N, int64_t H, const T* gates, const T* gh, const T* h,
                       const T* dh_new, T* dgi, T* dgh, T* dh_direct) {
  for_rows(N, 3 * H, [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) {
      const T* g = gates + b * 3 * H;
      const T* hn = gh + b * 3 * H + 2 * H;
      const T *hb = h + b * H, *d = dh_new + b * H;
      T *di = dgi + b * 3 * H, *dq = dgh + b * 3 * H, *dd = dh_direct + b * H;
#pragma omp simd
      for (int64_t j = 0; j < H; ++j) {
        const T r = g[j], z = g[H + j], n = g[2 * H + j];
        const T dn = d[j] * (T(1) - z) * (T(1) - n * n);
        const T dr = dn * hn[j] * r * (T(1) - r);
        const T dz = d[j] * (hb[j] - n) * z * (T(1) - z);
        di[j] = dq[j] = dr;
        di[H + j] = dq[H + j] = dz;
        di[2 * H + j] = dn;
        dq[2 * H + j] = dn * r;
        dd[j] = d[j] * z;
      }
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
