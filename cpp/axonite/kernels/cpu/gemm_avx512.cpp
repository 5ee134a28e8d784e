// AVX-512 GEMM micro-kernels (f32 14x32, f64 14x16): all 28 accumulators live in zmm registers,
// each k step loads two B vectors and multiplies them by 14 A elements (one vbroadcastss/sd from
// the packed A panel feeds both FMAs). Compiled with -mavx512f/dq/bw/vl; everything here has
// internal linkage except the *_desc() entry points, so no AVX-512 code leaks elsewhere.
#include <immintrin.h>

#include "axonite/kernels/cpu/gemm_kernels.h"

namespace ax::cpu::gemm_detail {
namespace {

// The first n (clamped to [0, w]) of w lanes, as mask register bits.
inline unsigned first_lanes(int n, int w) {
  return n >= w ? (1u << w) - 1u : (n <= 0 ? 0u : (1u << n) - 1u);
}

struct VF32 {
  using T = float;
  using V = __m512;
  using M = __mmask16;
  static constexpr int kW = 16;
  static M mask(int n) { return static_cast<M>(first_lanes(n, kW)); }
  static V zero() { return _mm512_setzero_ps(); }
  static V set1(T x) { return _mm512_set1_ps(x); }
  static V load(const T* p) { return _mm512_load_ps(p); }
  static void store(T* p, V v) { _mm512_store_ps(p, v); }
  static V loadu(const T* p) { return _mm512_loadu_ps(p); }
  static V maskz_loadu(M m, const T* p) { return _mm512_maskz_loadu_ps(m, p); }
  static void storeu(T* p, V v) { _mm512_storeu_ps(p, v); }
  static void mask_storeu(T* p, M m, V v) { _mm512_mask_storeu_ps(p, m, v); }
  static V fmadd(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
  static V mul(V a, V b) { return _mm512_mul_ps(a, b); }
  static V add(V a, V b) { return _mm512_add_ps(a, b); }
  // Fixed-order tree sum. Halves via extractf32x8 (index 0 compiles to nothing): GCC 12 warns
  // (-Wuninitialized) inside _mm512_reduce_add_ps, _mm512_castps512_ps256 and the f64 extracts.
  static T reduce_add(V v) {
    const __m256 h = _mm256_add_ps(_mm512_extractf32x8_ps(v, 0), _mm512_extractf32x8_ps(v, 1));
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    return _mm_cvtss_f32(_mm_add_ss(s, _mm_movehdup_ps(s)));
  }
};

struct VF64 {
  using T = double;
  using V = __m512d;
  using M = __mmask8;
  static constexpr int kW = 8;
  static M mask(int n) { return static_cast<M>(first_lanes(n, kW)); }
  static V zero() { return _mm512_setzero_pd(); }
  static V set1(T x) { return _mm512_set1_pd(x); }
  static V load(const T* p) { return _mm512_load_pd(p); }
  static void store(T* p, V v) { _mm512_store_pd(p, v); }
  static V loadu(const T* p) { return _mm512_loadu_pd(p); }
  static V maskz_loadu(M m, const T* p) { return _mm512_maskz_loadu_pd(m, p); }
  static void storeu(T* p, V v) { _mm512_storeu_pd(p, v); }
  static void mask_storeu(T* p, M m, V v) { _mm512_mask_storeu_pd(p, m, v); }
  static V fmadd(V a, V b, V c) { return _mm512_fmadd_pd(a, b, c); }
  static V mul(V a, V b) { return _mm512_mul_pd(a, b); }
  static V add(V a, V b) { return _mm512_add_pd(a, b); }
  static T reduce_add(V v) {
    const __m512 f = _mm512_castpd_ps(v);  // see VF32::reduce_add
    const __m256d h = _mm256_add_pd(_mm256_castps_pd(_mm512_extractf32x8_ps(f, 0)),
                                    _mm256_castps_pd(_mm512_extractf32x8_ps(f, 1)));
    const __m128d s = _mm_add_pd(_mm256_castpd256_pd128(h), _mm256_extractf128_pd(h, 1));
    return _mm_cvtsd_f64(_mm_add_sd(s, _mm_unpackhi_pd(s, s)));
  }
};

// C tile (ROWS x NV vectors) = alpha * A * B + beta * C over the first ROWS rows of the A panel
// (see MicroKernel: AROW picks row-major A). Per k step: NV aligned loads of B, ROWS broadcasts of
// A, ROWS * NV independent FMAs. Each row's arithmetic does not depend on ROWS or on the layouts.
template <class VT, int NV, int ROWS, bool AROW>
void kernel_rows(int64_t k, const typename VT::T* a, int64_t as, const typename VT::T* b,
                 typename VT::T* c, int64_t ldc, typename VT::T alpha, typename VT::T beta,
                 int m_eff, int n_eff, const char* pf) {
  using T = typename VT::T;
  using V = typename VT::V;
  constexpr int kNR = NV * VT::kW;
  V acc[ROWS][NV];
#pragma GCC unroll 16
  for (int i = 0; i < ROWS; ++i) {
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) acc[i][v] = VT::zero();
  }
  // Warm the C tile while the K loop runs: it is touched only at the end.
#pragma GCC unroll 16
  for (int i = 0; i < ROWS; ++i) {
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc + kNR - 1), _MM_HINT_T0);
  }
#pragma GCC unroll 4
  for (int64_t p = 0; p < k; ++p) {
    V bv[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) bv[v] = VT::load(b + v * VT::kW);
    // The A stream comes from L2: fetch a few steps ahead (row-major A: the hardware
    // prefetchers follow its ROWS sequential streams).
    if (!AROW) _mm_prefetch(reinterpret_cast<const char*>(a + 8 * as), _MM_HINT_T0);
    _mm_prefetch(pf, _MM_HINT_T1);  // next B micro-panel -> L2, one line per k step
    pf += 64;
#pragma GCC unroll 16
    for (int i = 0; i < ROWS; ++i) {
      const V ai = VT::set1(AROW ? a[i * as] : a[i]);
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) acc[i][v] = VT::fmadd(ai, bv[v], acc[i][v]);
    }
    a += AROW ? 1 : as;
    b += kNR;
  }

  const V va = VT::set1(alpha);
  const V vb = VT::set1(beta);
  if (m_eff == ROWS && n_eff == kNR) {
#pragma GCC unroll 16
    for (int i = 0; i < ROWS; ++i) {
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
  for (int i = 0; i < ROWS; ++i) {
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

// MR x NR micro-kernel entry. Shorter tiles run a variant with as many rows (9 to 13 exactly,
// else 8 or 4), so e.g. m = 64 (4 x 14 + 8) does not pay for 6 zero rows and the even tiles of
// PackedWeight (11 + 11 + 10 rows at m = 32) none; bits are identical either way.
template <class VT, int MR, int NV, bool AROW>
void kernel(int64_t k, const typename VT::T* a, int64_t as, const typename VT::T* b,
            typename VT::T* c, int64_t ldc, typename VT::T alpha, typename VT::T beta, int m_eff,
            int n_eff, const char* pf) {
  static_assert(MR == 14, "the exact-rows variants below assume 14-row tiles");
  switch (m_eff) {
    case 13:
      return kernel_rows<VT, NV, 13, AROW>(k, a, as, b, c, ldc, alpha, beta, m_eff, n_eff, pf);
    case 12:
      return kernel_rows<VT, NV, 12, AROW>(k, a, as, b, c, ldc, alpha, beta, m_eff, n_eff, pf);
    case 11:
      return kernel_rows<VT, NV, 11, AROW>(k, a, as, b, c, ldc, alpha, beta, m_eff, n_eff, pf);
    case 10:
      return kernel_rows<VT, NV, 10, AROW>(k, a, as, b, c, ldc, alpha, beta, m_eff, n_eff, pf);
    case 9:
      return kernel_rows<VT, NV, 9, AROW>(k, a, as, b, c, ldc, alpha, beta, m_eff, n_eff, pf);
    default:
      break;
  }
  if (m_eff > 8)
    return kernel_rows<VT, NV, MR, AROW>(k, a, as, b, c, ldc, alpha, beta, m_eff, n_eff, pf);
  if (m_eff > 4)
    return kernel_rows<VT, NV, 8, AROW>(k, a, as, b, c, ldc, alpha, beta, m_eff, n_eff, pf);
  kernel_rows<VT, NV, 4, AROW>(k, a, as, b, c, ldc, alpha, beta, m_eff, n_eff, pf);
}

// ---- Transposing pack (TransposeKernel in gemm_kernels.h) --------------------------------------
// In-register transposes of one full vector per source lane: 16x16 floats in four shuffle stages
// (32-bit and 64-bit interleaves within 128-bit lanes, then two 128-bit lane shuffles), 8x8
// doubles in three. Each source row is read a cache line at a time, where 4x4 SSE blocks read
// 16 bytes per row and per block. The shuffles go through their zero-masked forms with a full
// mask (the same instructions): GCC 12's plain forms start from _mm512_undefined_*, which trips
// -Wmaybe-uninitialized.
constexpr __mmask16 kAll16 = 0xffff;
constexpr __mmask8 kAll8 = 0xff;
inline __m512 unpacklo(__m512 a, __m512 b) { return _mm512_maskz_unpacklo_ps(kAll16, a, b); }
inline __m512 unpackhi(__m512 a, __m512 b) { return _mm512_maskz_unpackhi_ps(kAll16, a, b); }
inline __m512d unpacklo(__m512d a, __m512d b) { return _mm512_maskz_unpacklo_pd(kAll8, a, b); }
inline __m512d unpackhi(__m512d a, __m512d b) { return _mm512_maskz_unpackhi_pd(kAll8, a, b); }
template <int kImm>
__m512 lanes4(__m512 a, __m512 b) {
  return _mm512_maskz_shuffle_f32x4(kAll16, a, b, kImm);
}
template <int kImm>
__m512d lanes4(__m512d a, __m512d b) {
  return _mm512_maskz_shuffle_f64x2(kAll8, a, b, kImm);
}

inline void transpose_tile(__m512* r) {
  __m512 t[16];
#pragma GCC unroll 8
  for (int i = 0; i < 16; i += 2) {
    t[i] = unpacklo(r[i], r[i + 1]);
    t[i + 1] = unpackhi(r[i], r[i + 1]);
  }
  // Within each 128-bit lane L, u[4g + c] holds column 4L + c of rows 4g..4g+3.
  __m512 u[16];
#pragma GCC unroll 4
  for (int g = 0; g < 4; ++g) {
    const __m512d a0 = _mm512_castps_pd(t[4 * g]), a1 = _mm512_castps_pd(t[4 * g + 1]);
    const __m512d b0 = _mm512_castps_pd(t[4 * g + 2]), b1 = _mm512_castps_pd(t[4 * g + 3]);
    u[4 * g] = _mm512_castpd_ps(unpacklo(a0, b0));
    u[4 * g + 1] = _mm512_castpd_ps(unpackhi(a0, b0));
    u[4 * g + 2] = _mm512_castpd_ps(unpacklo(a1, b1));
    u[4 * g + 3] = _mm512_castpd_ps(unpackhi(a1, b1));
  }
#pragma GCC unroll 4
  for (int c = 0; c < 4; ++c) {
    const __m512 v0 = lanes4<0x88>(u[c], u[4 + c]);  // columns c, 8 + c of rows 0-7
    const __m512 v1 = lanes4<0xdd>(u[c], u[4 + c]);  // columns 4 + c, 12 + c
    const __m512 w0 = lanes4<0x88>(u[8 + c], u[12 + c]);
    const __m512 w1 = lanes4<0xdd>(u[8 + c], u[12 + c]);
    r[c] = lanes4<0x88>(v0, w0);
    r[8 + c] = lanes4<0xdd>(v0, w0);
    r[4 + c] = lanes4<0x88>(v1, w1);
    r[12 + c] = lanes4<0xdd>(v1, w1);
  }
}

inline void transpose_tile(__m512d* r) {
  __m512d t[8];
#pragma GCC unroll 4
  for (int i = 0; i < 8; i += 2) {
    t[i] = unpacklo(r[i], r[i + 1]);  // lane L: column 2L of rows i, i + 1
    t[i + 1] = unpackhi(r[i], r[i + 1]);
  }
#pragma GCC unroll 2
  for (int c = 0; c < 2; ++c) {
    const __m512d s0 = lanes4<0x88>(t[c], t[2 + c]);  // columns c, 4 + c
    const __m512d s1 = lanes4<0xdd>(t[c], t[2 + c]);  // columns 2 + c, 6 + c
    const __m512d s4 = lanes4<0x88>(t[4 + c], t[6 + c]);
    const __m512d s5 = lanes4<0xdd>(t[4 + c], t[6 + c]);
    r[c] = lanes4<0x88>(s0, s4);
    r[4 + c] = lanes4<0xdd>(s0, s4);
    r[2 + c] = lanes4<0x88>(s1, s5);
    r[6 + c] = lanes4<0xdd>(s1, s5);
  }
}

// Steps are walked in tiles of kW, each covering every lane, so the packed output is written
// sequentially; edge tiles mask their loads (columns) and stores (lanes) instead of going scalar.
template <class VT>
void transpose_pack(int64_t lanes, int64_t kc, const typename VT::T* src, int64_t ld, int w,
                    typename VT::T* out) {
  using V = typename VT::V;
  constexpr int kW = VT::kW;
  for (int64_t p0 = 0; p0 < kc; p0 += kW) {
    const int nc = static_cast<int>(kc - p0 < kW ? kc - p0 : kW);
    const typename VT::M cm = VT::mask(nc);
    for (int64_t l0 = 0; l0 < lanes; l0 += kW) {
      const int nl = static_cast<int>(lanes - l0 < kW ? lanes - l0 : kW);
      const typename VT::T* s = src + l0 * ld + p0;
      V r[kW];
#pragma GCC unroll 16
      for (int i = 0; i < kW; ++i) r[i] = i < nl ? VT::maskz_loadu(cm, s + i * ld) : VT::zero();
      transpose_tile(r);
      typename VT::T* o = out + p0 * w + l0;
      if (nl == kW) {
#pragma GCC unroll 16
        for (int j = 0; j < kW; ++j)
          if (j < nc) VT::storeu(o + j * w, r[j]);
      } else {
        const typename VT::M lm = VT::mask(nl);
#pragma GCC unroll 16
        for (int j = 0; j < kW; ++j)
          if (j < nc) VT::mask_storeu(o + j * w, lm, r[j]);
      }
    }
  }
}

#include "axonite/kernels/cpu/gemv_impl.h"

}  // namespace

// Blocking, picked by measurement on a 2-core Xeon (48 KiB L1d, 2 MiB L2): kc = 512 halves the
// C read/write passes of kc = 256 and measured ~3% faster even though the 64 KiB B micro-panel
// then streams from L2; the A block (mc x kc = 224/448 KiB) stays in L2; nc keeps a packed B
// block at 2 MiB (larger measured no faster and costs workspace memory). GEMV rows form: 16
// accumulators (a 1 KiB B row segment per step for f32) measured 10-25% faster than 8.
KernelDesc<float> avx512_desc_f32() {
  return {&kernel<VF32, 14, 2, false>,
          &kernel<VF32, 14, 2, true>,
          14,
          32,
          512,
          112,
          1024,
          &gemv_rows<VF32, 16>,
          &gemv_cols<VF32>,
          &transpose_pack<VF32>};
}
KernelDesc<double> avx512_desc_f64() {
  return {&kernel<VF64, 14, 2, false>,
          &kernel<VF64, 14, 2, true>,
          14,
          16,
          512,
          112,
          512,
          &gemv_rows<VF64, 16>,
          &gemv_cols<VF64>,
          &transpose_pack<VF64>};
}

}  // namespace ax::cpu::gemm_detail
