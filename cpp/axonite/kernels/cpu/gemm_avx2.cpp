// AVX2+FMA GEMM micro-kernels (f32 6x16, f64 6x8): 12 ymm accumulators + 2 B vectors + 1
// broadcast fill the 16 ymm registers. Compiled with -mavx2 -mfma; everything here has internal
// linkage except the *_desc() entry points, so no AVX code leaks into baseline callers.
#include <immintrin.h>

#include "axonite/kernels/cpu/gemm_kernels.h"

namespace ax::cpu::gemm_detail {
namespace {

struct VF32 {
  using T = float;
  using V = __m256;
  static constexpr int kW = 8;
  static V zero() { return _mm256_setzero_ps(); }
  static V set1(T x) { return _mm256_set1_ps(x); }
  static V load(const T* p) { return _mm256_load_ps(p); }
  static void store(T* p, V v) { _mm256_store_ps(p, v); }
  static V loadu(const T* p) { return _mm256_loadu_ps(p); }
  static void storeu(T* p, V v) { _mm256_storeu_ps(p, v); }
  // Lanes [0, n) set (n may be <= 0 or >= kW).
  static __m256i mask(int n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  }
  static V maskload(const T* p, __m256i m) { return _mm256_maskload_ps(p, m); }
  static void maskstore(T* p, __m256i m, V v) { _mm256_maskstore_ps(p, m, v); }
  static V fmadd(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
  static V mul(V a, V b) { return _mm256_mul_ps(a, b); }
  static V add(V a, V b) { return _mm256_add_ps(a, b); }
  static T reduce_add(V v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    return _mm_cvtss_f32(_mm_add_ss(s, _mm_movehdup_ps(s)));
  }
};

struct VF64 {
  using T = double;
  using V = __m256d;
  static constexpr int kW = 4;
  static V zero() { return _mm256_setzero_pd(); }
  static V set1(T x) { return _mm256_set1_pd(x); }
  static V load(const T* p) { return _mm256_load_pd(p); }
  static void store(T* p, V v) { _mm256_store_pd(p, v); }
  static V loadu(const T* p) { return _mm256_loadu_pd(p); }
  static void storeu(T* p, V v) { _mm256_storeu_pd(p, v); }
  static __m256i mask(int n) {
    return _mm256_cmpgt_epi64(_mm256_set1_epi64x(n), _mm256_setr_epi64x(0, 1, 2, 3));
  }
  static V maskload(const T* p, __m256i m) { return _mm256_maskload_pd(p, m); }
  static void maskstore(T* p, __m256i m, V v) { _mm256_maskstore_pd(p, m, v); }
  static V fmadd(V a, V b, V c) { return _mm256_fmadd_pd(a, b, c); }
  static V mul(V a, V b) { return _mm256_mul_pd(a, b); }
  static V add(V a, V b) { return _mm256_add_pd(a, b); }
  static T reduce_add(V v) {
    const __m128d s = _mm_add_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
    return _mm_cvtsd_f64(_mm_add_sd(s, _mm_unpackhi_pd(s, s)));
  }
};

// C tile (MR rows x NV vectors) = alpha * A * B + beta * C (see MicroKernel: AROW picks
// row-major A). Per k step: NV aligned loads of B, MR broadcasts of A, MR * NV independent FMAs.
template <class VT, int MR, int NV, bool AROW>
void kernel(int64_t k, const typename VT::T* a, int64_t as, const typename VT::T* b,
            typename VT::T* c, int64_t ldc, typename VT::T alpha, typename VT::T beta, int m_eff,
            int n_eff, const char* pf) {
  using T = typename VT::T;
  using V = typename VT::V;
  constexpr int kNR = NV * VT::kW;
  V acc[MR][NV];
#pragma GCC unroll 16
  for (int i = 0; i < MR; ++i) {
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) acc[i][v] = VT::zero();
  }
#pragma GCC unroll 16
  for (int i = 0; i < MR; ++i) {
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc + kNR - 1), _MM_HINT_T0);
  }
#pragma GCC unroll 4
  for (int64_t p = 0; p < k; ++p) {
    V bv[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) bv[v] = VT::load(b + v * VT::kW);
    if (!AROW) _mm_prefetch(reinterpret_cast<const char*>(a + 8 * as), _MM_HINT_T0);
    _mm_prefetch(pf, _MM_HINT_T1);  // next B micro-panel -> L2, one line per k step
    pf += 64;
#pragma GCC unroll 16
    for (int i = 0; i < MR; ++i) {
      const V ai = VT::set1(AROW ? a[i * as] : a[i]);
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) acc[i][v] = VT::fmadd(ai, bv[v], acc[i][v]);
    }
    a += AROW ? 1 : as;
    b += kNR;
  }

  const V va = VT::set1(alpha);
  const V vb = VT::set1(beta);
  if (m_eff == MR && n_eff == kNR) {
#pragma GCC unroll 16
    for (int i = 0; i < MR; ++i) {
      T* cr = c + i * ldc;
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) {
        V r = VT::mul(acc[i][v], va);
        if (beta != T(0)) r = VT::fmadd(vb, VT::loadu(cr + v * VT::kW), r);
        VT::storeu(cr + v * VT::kW, r);
      }
    }
    return;
  }
  // Edge tile: same arithmetic, masked columns, rows beyond m_eff dropped.
#pragma GCC unroll 16
  for (int i = 0; i < MR; ++i) {
    if (i >= m_eff) break;
    T* cr = c + i * ldc;
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) {
      const __m256i mk = VT::mask(n_eff - v * VT::kW);
      V r = VT::mul(acc[i][v], va);
      if (beta != T(0)) r = VT::fmadd(vb, VT::maskload(cr + v * VT::kW, mk), r);
      VT::maskstore(cr + v * VT::kW, mk, r);
    }
  }
}

// ---- GEMV (gemm_kernels.h, GemvKernel) ---------------------------------------------------------
// Rows form, blocked as in gemm_avx512.cpp (see there): output chunks with their partial sums in
// a stack buffer, K blocks of kRowsKBlock rows of B, NV-vector blocks of sums in registers.
// Storing and reloading the sums is exact and every lane's FMA chain runs over p in order, so a
// lane's bits do not depend on n or on where a block boundary falls.
constexpr int kRowsChunkBytes = 8192;
constexpr int64_t kRowsKBlock = 32;

// Sums of one block of n_eff <= NV * kW outputs over rows [p0, p1), onto part (zero when
// first). Only the last vector of a partial block is loaded with a mask (vmaskmov costs more
// than a plain load, which also folds into the FMA); part is padded, so it is accessed whole.
template <class VT, int NV, bool PARTIAL>
void gemv_rows_block(int64_t p0, int64_t p1, const typename VT::T* x, const typename VT::T* b,
                     int64_t ldb, typename VT::T* part, int n_eff, bool first) {
  using T = typename VT::T;
  using V = typename VT::V;
  constexpr int kLast = NV - 1;
  const __m256i last = VT::mask(n_eff - kLast * VT::kW);
  V acc[NV];
#pragma GCC unroll 16
  for (int v = 0; v < NV; ++v) acc[v] = first ? VT::zero() : VT::load(part + v * VT::kW);
  for (int64_t p = p0; p < p1; ++p) {
    const V xp = VT::set1(x[p]);
    const T* bp = b + p * ldb;
#pragma GCC unroll 16
    for (int v = 0; v < kLast; ++v) acc[v] = VT::fmadd(xp, VT::loadu(bp + v * VT::kW), acc[v]);
    const V bl = PARTIAL ? VT::maskload(bp + kLast * VT::kW, last) : VT::loadu(bp + kLast * VT::kW);
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
  alignas(32) T part[kChunk];
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
      const __m256i mk = VT::mask(nc - j);
      V r = VT::mul(VT::load(part + j), va);
      if (beta != T(0)) r = VT::fmadd(vb, VT::maskload(yc + j, mk), r);
      VT::maskstore(yc + j, mk, r);
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
    const __m256i m0 = VT::mask(rem), m1 = VT::mask(rem - kW);
    const V x0 = VT::maskload(x + p, m0), x1 = VT::maskload(x + p + kW, m1);
#pragma GCC unroll 8
    for (int i = 0; i < ROWS; ++i) {
      acc0[i] = VT::fmadd(x0, VT::maskload(b + i * ldb + p, m0), acc0[i]);
      acc1[i] = VT::fmadd(x1, VT::maskload(b + i * ldb + p + kW, m1), acc1[i]);
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

}  // namespace

// Blocking (measured): A micro-panel (6 x kc) + B micro-panel (kc x 16) fit in L1 together
// (9 + 24 KiB for f32); the mc x kc A block stays in L2.
KernelDesc<float> avx2_desc_f32() {
  return {&kernel<VF32, 6, 2, false>, &kernel<VF32, 6, 2, true>, 6, 16, 384, 96, 1024,
          &gemv_rows<VF32, 8>,        &gemv_cols<VF32>};
}
KernelDesc<double> avx2_desc_f64() {
  return {&kernel<VF64, 6, 2, false>, &kernel<VF64, 6, 2, true>, 6, 8, 256, 96, 1024,
          &gemv_rows<VF64, 8>,        &gemv_cols<VF64>};
}

}  // namespace ax::cpu::gemm_detail
