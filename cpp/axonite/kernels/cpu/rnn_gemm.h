// GEMM against a weight matrix packed once per sequence, for the per-step products of the
// recurrent kernels (h W_hh^T forward, dG W_hh backward, the LSTM projection). The library GEMM
// repacks its B operand on every call; at RNN sizes (B = 64 rows against a 256 x 1024 weight)
// that packing costs about as much as the multiply, and a layer calls it T times with the same
// weight. Uses the GEMM's own micro-kernels (gemm_kernels.h); one packing, then per call only
// the small A operand is packed. Each C tile is computed by one thread over the K blocks in a
// fixed order, so results do not depend on the thread count.
#pragma once

#include <cstdint>

#include "axonite/kernels/cpu/gemm_kernels.h"
#include "axonite/kernels/cpu/scratch.h"

namespace ax::cpu {

template <class T>
class PackedWeight {
 public:
  // B (K x N), element (k, n) at b[k * rs + n * cs].
  PackedWeight(int64_t K, int64_t N, const T* b, int64_t rs, int64_t cs);
  PackedWeight(const PackedWeight&) = delete;
  PackedWeight& operator=(const PackedWeight&) = delete;

  // C (M x N, row stride ldc) = A (M x K, element (i, k) at a[i * a_rs + k * a_cs]) B
  // + beta C (beta == 0 never reads C).
  void multiply(int64_t M, const T* a, int64_t a_rs, int64_t a_cs, T beta, T* c, int64_t ldc);

 private:
  gemm_detail::KernelDesc<T> kd_;
  int64_t K_, N_, npanel_;
  ScratchBuffer b_, a_;  // packed B (all K blocks), packed A of the current call
};

}  // namespace ax::cpu
