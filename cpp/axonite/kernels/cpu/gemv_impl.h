// GEMV kernels (gemm_kernels.h, GemvKernel) written once for every ISA: each ISA TU
// (gemm_avx512.cpp, gemm_avx2.cpp) includes this inside its anonymous namespace, after defining
// its vector types, so every instantiation has internal linkage and its own -m flags. A vector
// type VT provides T, V, M (lane mask), kW and zero, set1, load, loadu, store, fmadd, mul, add,
// reduce_add, mask(n) (lanes [0, n) set), maskz_loadu(m, p) and mask_storeu(p, m, v).
// No include guard and no includes: it is part of the including TU's namespace on purpose.

// Rows form. The outputs go in chunks of kRowsChunk whose partial sums live in a stack buffer;
// within a chunk, K is walked in blocks of kRowsKBlock rows of B and, per K block, every
// NV-vector block of outputs runs its rows with its sums in registers (x[p] broadcast, one B row
// segment per step, NV independent FMA chains). So B is read kRowsKBlock rows at a time, left to
// right, which the hardware prefetchers follow (one NV-wide column strip over all k rows touched
// a new page per row and ran at half the streaming rate on a 1024 x 1024 B). Storing and
// reloading the sums is exact, and every lane's FMA chain runs over p in order, so a lane's bits
// do not depend on n, on the chunking or on where a block boundary falls.
constexpr int kRowsChunkBytes = 8192;
constexpr int64_t kRowsKBlock = 32;

// Sums of one block of n_eff <= NV * kW outputs over rows [p0, p1), onto part (zero when
// first). Only the last vector of a partial block is loaded with a mask (a plain load folds into
// the FMA, a masked one does not); part is padded, so it is always accessed whole.
template <class VT, int NV, bool PARTIAL>
void gemv_rows_block(int64_t p0, int64_t p1, const typename VT::T* x, const typename VT::T* b,
                     int64_t ldb, typename VT::T* part, int n_eff, bool first) {
  using T = typename VT::T;
  using V = typename VT::V;
  constexpr int kLast = NV - 1;
  const typename VT::M last = VT::mask(n_eff - kLast * VT::kW);
  V acc[NV];
#pragma GCC unroll 16
  for (int v = 0; v < NV; ++v) acc[v] = first ? VT::zero() : VT::load(part + v * VT::kW);
  for (int64_t p = p0; p < p1; ++p) {
    const V xp = VT::set1(x[p]);
    const T* bp = b + p * ldb;
#pragma GCC unroll 16
    for (int v = 0; v < kLast; ++v) acc[v] = VT::fmadd(xp, VT::loadu(bp + v * VT::kW), acc[v]);
    const V bl =
        PARTIAL ? VT::maskz_loadu(last, bp + kLast * VT::kW) : VT::loadu(bp + kLast * VT::kW);
    acc[kLast] = VT::fmadd(xp, bl, acc[kLast]);
  }
#pragma GCC unroll 16
  for (int v = 0; v < NV; ++v) VT::store(part + v * VT::kW, acc[v]);
}

// The last, partial block with the fewest vectors that cover it (nv <= NV).
template <class VT, int NV>
void gemv_rows_tail(int nv, int64_t p0, int64_t p1, const typename VT::T* x,
                    const typename VT::T* b, int64_t ldb, typename VT::T* part, int n_eff,
                    bool first) {
  if constexpr (NV > 1) {
    if (nv < NV) return gemv_rows_tail<VT, NV - 1>(nv, p0, p1, x, b, ldb, part, n_eff, first);
  }
  gemv_rows_block<VT, NV, true>(p0, p1, x, b, ldb, part, n_eff, first);
}

template <class VT, int NV>
void gemv_rows(int64_t n, int64_t k, const typename VT::T* x, const typename VT::T* b, int64_t ldb,
               typename VT::T* y, typename VT::T alpha, typename VT::T beta) {
  using T = typename VT::T;
  using V = typename VT::V;
  constexpr int kW = VT::kW, kBlock = NV * kW;
  constexpr int kChunk = kRowsChunkBytes / sizeof(T);
  static_assert(kChunk % kBlock == 0, "a chunk holds whole blocks");
  alignas(64) T part[kChunk];
  const V va = VT::set1(alpha), vb = VT::set1(beta);
  for (int64_t j0 = 0; j0 < n; j0 += kChunk) {
    const int nc = static_cast<int>(n - j0 < kChunk ? n - j0 : kChunk);
    const int full = nc / kBlock * kBlock, rem = nc - full;
    for (int64_t p0 = 0; p0 < k; p0 += kRowsKBlock) {
      const int64_t p1 = p0 + kRowsKBlock < k ? p0 + kRowsKBlock : k;
      for (int j = 0; j < full; j += kBlock)
        gemv_rows_block<VT, NV, false>(p0, p1, x, b + j0 + j, ldb, part + j, kBlock, p0 == 0);
      if (rem > 0)
        gemv_rows_tail<VT, NV>((rem + kW - 1) / kW, p0, p1, x, b + j0 + full, ldb, part + full, rem,
                               p0 == 0);
    }
    T* yc = y + j0;
    for (int j = 0; j < nc; j += kW) {
      const typename VT::M mk = VT::mask(nc - j);
      V r = VT::mul(VT::load(part + j), va);
      if (beta != T(0)) r = VT::fmadd(vb, VT::maskz_loadu(mk, yc + j), r);
      VT::mask_storeu(yc + j, mk, r);
    }
  }
}

// Cols form, ROWS outputs at once: each is a dot product of x with its row of b, two vector
// partial sums per row (2 * ROWS independent FMA chains, x loaded once for all rows), a masked
// k tail, then one fixed-order horizontal sum. A row's arithmetic does not depend on ROWS.
template <class VT, int ROWS>
void gemv_cols_rows(int64_t k, const typename VT::T* x, const typename VT::T* b, int64_t ldb,
                    typename VT::T* y, typename VT::T alpha, typename VT::T beta) {
  using T = typename VT::T;
  using V = typename VT::V;
  constexpr int kW = VT::kW;
  V acc0[ROWS], acc1[ROWS];
#pragma GCC unroll 8
  for (int i = 0; i < ROWS; ++i) acc0[i] = acc1[i] = VT::zero();
  int64_t p = 0;
  for (; p + 2 * kW <= k; p += 2 * kW) {
    const V x0 = VT::loadu(x + p), x1 = VT::loadu(x + p + kW);
#pragma GCC unroll 8
    for (int i = 0; i < ROWS; ++i) {
      acc0[i] = VT::fmadd(x0, VT::loadu(b + i * ldb + p), acc0[i]);
      acc1[i] = VT::fmadd(x1, VT::loadu(b + i * ldb + p + kW), acc1[i]);
    }
  }
  if (p < k) {
    const int rem = static_cast<int>(k - p);
    const typename VT::M m0 = VT::mask(rem), m1 = VT::mask(rem - kW);
    const V x0 = VT::maskz_loadu(m0, x + p), x1 = VT::maskz_loadu(m1, x + p + kW);
#pragma GCC unroll 8
    for (int i = 0; i < ROWS; ++i) {
      acc0[i] = VT::fmadd(x0, VT::maskz_loadu(m0, b + i * ldb + p), acc0[i]);
      acc1[i] = VT::fmadd(x1, VT::maskz_loadu(m1, b + i * ldb + p + kW), acc1[i]);
    }
  }
#pragma GCC unroll 8
  for (int i = 0; i < ROWS; ++i) {
    const T r = alpha * VT::reduce_add(VT::add(acc0[i], acc1[i]));
    y[i] = beta != T(0) ? r + beta * y[i] : r;
  }
}

template <class VT>
void gemv_cols(int64_t n, int64_t k, const typename VT::T* x, const typename VT::T* b, int64_t ldb,
               typename VT::T* y, typename VT::T alpha, typename VT::T beta) {
  int64_t j = 0;
  for (; j + 4 <= n; j += 4) gemv_cols_rows<VT, 4>(k, x, b + j * ldb, ldb, y + j, alpha, beta);
  for (; j < n; ++j) gemv_cols_rows<VT, 1>(k, x, b + j * ldb, ldb, y + j, alpha, beta);
}
