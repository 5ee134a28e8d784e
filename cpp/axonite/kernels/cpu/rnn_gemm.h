// GEMM against a weight matrix packed once per sequence, for the per-step products of the
// recurrent kernels (h W_hh^T forward, dG W_hh backward, the LSTM projection). The library GEMM
// repacks its B operand on every call; at RNN sizes (B = 64 rows against a 256 x 1024 weight)
// that packing costs about as much as the multiply, and a layer calls it T times with the same
// weight. Uses the GEMM's own micro-kernels (gemm_kernels.h); one packing, then per call only
// the small A operand is packed. Each C tile is computed by one thread over the K blocks in a
// fixed order, so results do not depend on the thread count.
#pragma once

#include <algorithm>
#include <cstdint>

#include "axonite/kernels/cpu/gemm_kernels.h"
#include "axonite/kernels/cpu/scratch.h"

namespace ax::cpu {

template <class T>
class PackedWeight {
 public:
  // B (K x N), element (k, n) at b[k * rs + n * cs].
  PackedWeight(int64_t K, int64_t N, const T* b, int64_t rs, int64_t cs);

  // Column n of B (K x N) read from row r(n) of two row-major matrices side by side: B(k, n) =
  // top[r(n) * top_ld + k] for k < K1, bottom[r(n) * bottom_ld + k - K1] after (top may be null
  // when K1 == 0). The columns come in groups of `group` rows: r(n) = n / group * group_stride
  // + first + n % group. This is the recurrent step's [W_ih | W_hh]^T restricted to a thread's
  // units (rnn.cpp), packed in one pass instead of copying its rows side by side first.
  struct RowPair {
    const T* top;
    int64_t top_ld;
    const T* bottom;
    int64_t bottom_ld;
    int64_t group, group_stride, first;
  };
  PackedWeight(int64_t K, int64_t K1, int64_t N, const RowPair& rows);
  PackedWeight(const PackedWeight&) = delete;
  PackedWeight& operator=(const PackedWeight&) = delete;

  // C (M x N, row stride ldc) = A (M x K, element (i, k) at a[i * a_rs + k * a_cs]) B
  // + beta C (beta == 0 never reads C).
  void multiply(int64_t M, const T* a, int64_t a_rs, int64_t a_cs, T beta, T* c, int64_t ldc);

  // The same product from an A operand already in the packed layout below, so a caller that
  // produces A itself (a recurrent step writing the next h) can write it there directly.
  // Reads only ap; safe to call from several threads at once.
  void multiply_packed(int64_t M, const T* ap, T beta, T* c, int64_t ldc) const;

  // Packed layout of an M-row A: a_size(M) elements (rows past M zero, as pack_a leaves them),
  // in panels of panel_rows(M) rows; past the last panel, room for a micro-kernel that reads
  // up to mr rows of it. Every PackedWeight with the same K and element type shares it.
  int64_t a_size(int64_t M) const { return K_ * mpad(M) + kd_.mr; }
  void pack_a(int64_t M, const T* a, int64_t a_rs, int64_t a_cs, T* ap) const;
  // Writes A(i, k) = src[(i - i0) * ld + k - k0] for rows [i0, i1) and k in [k0, k1) into a
  // packed ap, tile by tile, so the stores run sequentially through ap.
  void scatter_a(int64_t M, int64_t i0, int64_t i1, int64_t k0, int64_t k1, const T* src,
                 int64_t ld, T* ap) const;

 private:
  // Rows per A panel (one micro-kernel tile): M spread evenly over the fewest tiles of at most
  // mr rows. At M = 32 the AVX-512 tiles are 11 + 11 + 10 instead of 14 + 14 + 4, whose 4-row
  // tile did 12.5% of the work in 14.4% of the GEMM time (2-thread LSTM forward, perf).
  int64_t panel_rows(int64_t M) const {
    const int64_t tiles = std::max<int64_t>(1, (M + kd_.mr - 1) / kd_.mr);
    return (M + tiles - 1) / tiles;
  }
  int64_t mpad(int64_t M) const {
    const int64_t w = panel_rows(M);
    return (M + w - 1) / w * w;
  }

  gemm_detail::KernelDesc<T> kd_;
  int64_t K_, N_, npanel_;
  CachedArray<T> b_;  // packed B (all K blocks)
  ScratchBuffer a_;   // packed A of the current multiply() call
};

}  // namespace ax::cpu
