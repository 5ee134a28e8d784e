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
  using M = __m256i;  // lane mask (AVX2 has no mask registers)
  static constexpr int kW = 8;
  static V zero() { return _mm256_setzero_ps(); }
  static V set1(T x) { return _mm256_set1_ps(x); }
  static V load(const T* p) { return _mm256_load_ps(p); }
  static void store(T* p, V v) { _mm256_store_ps(p, v); }
  static V loadu(const T* p) { return _mm256_loadu_ps(p); }
  static void storeu(T* p, V v) { _mm256_storeu_ps(p, v); }
  // Lanes [0, n) set (n may be <= 0 or >= kW).
  static M mask(int n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  }
  static V maskz_loadu(M m, const T* p) { return _mm256_maskload_ps(p, m); }
  static void mask_storeu(T* p, M m, V v) { _mm256_maskstore_ps(p, m, v); }
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
  using M = __m256i;
  static constexpr int kW = 4;
  static V zero() { return _mm256_setzero_pd(); }
  static V set1(T x) { return _mm256_set1_pd(x); }
  static V load(const T* p) { return _mm256_load_pd(p); }
  static void store(T* p, V v) { _mm256_store_pd(p, v); }
  static V loadu(const T* p) { return _mm256_loadu_pd(p); }
  static void storeu(T* p, V v) { _mm256_storeu_pd(p, v); }
  static M mask(int n) {
    return _mm256_cmpgt_epi64(_mm256_set1_epi64x(n), _mm256_setr_epi64x(0, 1, 2, 3));
  }
  static V maskz_loadu(M m, const T* p) { return _mm256_maskload_pd(p, m); }
  static void mask_storeu(T* p, M m, V v) { _mm256_maskstore_pd(p, m, v); }
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
      const typename VT::M mk = VT::mask(n_eff - v * VT::kW);
      V r = VT::mul(acc[i][v], va);
      if (beta != T(0)) r = VT::fmadd(vb, VT::maskz_loadu(mk, cr + v * VT::kW), r);
      VT::mask_storeu(cr + v * VT::kW, mk, r);
    }
  }
}

#include "axonite/kernels/cpu/gemv_impl.h"

}  // namespace

// Blocking (measured): A micro-panel (6 x kc) + B micro-panel (kc x 16) fit in L1 together
// (9 + 24 KiB for f32); the mc x kc A block stays in L2.
KernelDesc<float> avx2_desc_f32() {
  return {&kernel<VF32, 6, 2, false>,
          &kernel<VF32, 6, 2, true>,
          6,
          16,
          384,
          96,
          1024,
          &gemv_rows<VF32, 8>,
          &gemv_cols<VF32>,
          &transpose_pack_sse};
}
KernelDesc<double> avx2_desc_f64() {
  return {&kernel<VF64, 6, 2, false>,
          &kernel<VF64, 6, 2, true>,
          6,
          8,
          256,
          96,
          1024,
          &gemv_rows<VF64, 8>,
          &gemv_cols<VF64>,
          &transpose_pack_sse};
}

}  // namespace ax::cpu::gemm_detail
