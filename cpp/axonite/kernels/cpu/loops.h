// N-dimensional strided loop driver shared by elementwise kernels: drops size-1 dims, merges
// dims that are contiguous for every operand, then hands rows to an inner function
// `inner(ptrs, inner_strides, n)` (byte strides). Splits large ranges across threads by
// linear element index, so the split never changes any element's result.
#pragma once

#include <array>
#include <cstdint>

#include "axonite/core/parallel.h"
#include "axonite/core/shape.h"

namespace ax::cpu {

// Default grain: elements per thread below which a parallel region costs more than it saves.
inline constexpr int64_t kElementwiseGrain = 32768;

template <int N>
struct LoopGeometry {
  int ndim = 0;
  int64_t sizes[kMaxDims];
  int64_t strides[N][kMaxDims];  // bytes
};

// Removes size-1 dims and merges (i, i+1) wherever stride[i] == stride[i+1] * size[i+1] holds
// for every operand. Dimension order is kept (the last dim stays innermost).
template <int N>
LoopGeometry<N> coalesce(const Dims& sizes, const std::array<const int64_t*, N>& strides) {
  LoopGeometry<N> g;
  for (int d = 0; d < sizes.size(); ++d) {
    if (sizes[d] == 1) continue;
    if (g.ndim > 0) {
      const int p = g.ndim - 1;
      bool merge = true;
      for (int k = 0; k < N; ++k) merge &= g.strides[k][p] == strides[k][d] * sizes[d];
      if (merge) {
        g.sizes[p] *= sizes[d];
        for (int k = 0; k < N; ++k) g.strides[k][p] = strides[k][d];
        continue;
      }
    }
    g.sizes[g.ndim] = sizes[d];
    for (int k = 0; k < N; ++k) g.strides[k][g.ndim] = strides[k][d];
    ++g.ndim;
  }
  return g;
}

// Runs inner over the element range [begin, end) of the coalesced iteration space.
template <int N, class F>
void loop_range(const LoopGeometry<N>& g, std::array<char*, N> base, int64_t begin, int64_t end,
                const F& inner) {
  std::array<int64_t, N> is;
  if (g.ndim == 0) {
    for (int k = 0; k < N; ++k) is[k] = 0;
    inner(base, is, end - begin);
    return;
  }
  const int last = g.ndim - 1;
  for (int k = 0; k < N; ++k) is[k] = g.strides[k][last];
  int64_t idx[kMaxDims];
  int64_t rem = begin;
  for (int d = last; d >= 0; --d) {
    idx[d] = rem % g.sizes[d];
    rem /= g.sizes[d];
  }
  std::array<char*, N> p;
  for (int k = 0; k < N; ++k) {
    int64_t off = 0;
    for (int d = 0; d <= last; ++d) off += idx[d] * g.strides[k][d];
    p[k] = base[k] + off;
  }
  int64_t pos = begin;
  while (pos < end) {
    const int64_t n = std::min(g.sizes[last] - idx[last], end - pos);
    inner(p, is, n);
    pos += n;
    if (pos >= end) break;
    // Advance to the start of the next row, carrying through outer dims.
    for (int k = 0; k < N; ++k) p[k] += (n - 0) * is[k];
    idx[last] += n;
    for (int d = last; d > 0 && idx[d] == g.sizes[d]; --d) {
      for (int k = 0; k < N; ++k) p[k] += g.strides[k][d - 1] - g.sizes[d] * g.strides[k][d];
      idx[d] = 0;
      ++idx[d - 1];
    }
  }
}

template <int N, class F>
void loop_nd(const Dims& sizes, std::array<char*, N> base,
             const std::array<const int64_t*, N>& byte_strides, const F& inner,
             int64_t grain = kElementwiseGrain) {
  const int64_t total = numel_of(sizes);
  if (total == 0) return;
  const LoopGeometry<N> g = coalesce<N>(sizes, byte_strides);
  parallel_for(0, total, grain, [&](int64_t b, int64_t e) { loop_range<N>(g, base, b, e, inner); });
}

}  // namespace ax::cpu
