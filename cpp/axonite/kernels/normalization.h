// Kernels behind the nn layers (raw pointers, no Tensor): batch/layer/group normalization
// forward and backward, the fused dropout mask, embedding gather/scatter and the row broadcast
// and column sums used by linear. Statistics accumulate in float64 whatever the input dtype.
// Every reduction combines fixed, shape-determined partials in a fixed order, so results never
// depend on the thread count. The ISA (AVX-512, AVX2, portable) is picked once at run time.
#pragma once

#include <cstdint>

#include "axonite/core/rng.h"

namespace ax::cpu {

// One table per element type, filled by each ISA translation unit (normalization_impl.h).
template <class T>
struct NormKernels {
  // y: (m, n) <- v broadcast along rows; v has n elements at stride vs (vs = 0: one value).
  void (*fill_rows)(T* y, int64_t m, int64_t n, const T* v, int64_t vs);
  // g: (m, n) with row/column strides -> out: (n,) column sums.
  void (*column_sums)(const T* g, int64_t m, int64_t n, int64_t rs, int64_t cs, T* out);

  // Batch norm, x: (N, C, S) contiguous -> per channel c over (n, s):
  // mean[c] and biased var[c].
  void (*bn_stats)(const T* x, int64_t N, int64_t C, int64_t S, double* mean, double* var);
  // y = (x - mean[c]) * scale[c] + shift[c], computed in float64.
  void (*bn_apply)(const T* x, T* y, int64_t N, int64_t C, int64_t S, const double* mean,
                   const double* scale, const double* shift);
  // sum_g[c] = sum g, sum_gx[c] = sum g * (x - mean[c]).
  void (*bn_backward_reduce)(const T* g, const T* x, int64_t N, int64_t C, int64_t S,
                             const double* mean, double* sum_g, double* sum_gx);
  // gx = k1[c] * g + k2[c] * (x - mean[c]) + k3[c].
  void (*bn_backward_apply)(const T* g, const T* x, T* gx, int64_t N, int64_t C, int64_t S,
                            const double* mean, const double* k1, const double* k2,
                            const double* k3);

  // Layer norm, x: (M, K) rows -> y: (M, K), mean/rstd: (M,); w, b: (K,) or null.
  void (*ln_forward)(const T* x, T* y, int64_t M, int64_t K, const T* w, const T* b, double eps,
                     double* mean, double* rstd);
  // g, x: (M, K) -> gx: (M, K) (or null), gw/gb: (K,) (or null); w null means ones.
  void (*ln_backward)(const T* g, const T* x, const double* mean, const double* rstd, const T* w,
                      int64_t M, int64_t K, T* gx, T* gw, T* gb);

  // Group norm, x: (N, C, S), G groups of C/G channels -> y, mean/rstd: (N, G); w, b: (C,).
  void (*gn_forward)(const T* x, T* y, int64_t N, int64_t C, int64_t S, int64_t G, const T* w,
                     const T* b, double eps, double* mean, double* rstd);
  void (*gn_backward)(const T* g, const T* x, const double* mean, const double* rstd, const T* w,
                      int64_t N, int64_t C, int64_t S, int64_t G, T* gx, T* gw, T* gb);

  // Dropout, x: (n,) contiguous -> y = x * mask, mask = (u >= p) / (1 - p) with u uniform from
  // the Philox stream (one 32-bit draw per element). x and y may alias. 0 < p < 1.
  void (*dropout)(const T* x, T* y, T* mask, int64_t n, const PhiloxStream& s, double p);

  // Embedding, w: (V, D) rows at stride ldw, idx: (n,) checked in [0, V) -> out: (n, D).
  void (*embedding_gather)(const T* w, int64_t ldw, const int64_t* idx, int64_t n, int64_t D,
                           T* out);
  // gw: (V, D) contiguous, zeroed by the caller; gw[idx[i]] += g[i] * scale[i] (scale null: 1)
  // skipping idx == pad (pad < 0: none). g: (n, D) at row stride ldg.
  void (*embedding_scatter)(const T* g, int64_t ldg, const int64_t* idx, const double* scale,
                            int64_t n, int64_t D, int64_t V, int64_t pad, T* gw);
};

const NormKernels<float>& norm_kernels_f32();
const NormKernels<double>& norm_kernels_f64();

template <class T>
const NormKernels<T>& norm_kernels() {
  if constexpr (sizeof(T) == 4) {
    return norm_kernels_f32();
  } else {
    return norm_kernels_f64();
  }
}

}  // namespace ax::cpu
