// GEMM driver: ISA dispatch, a direct path for small/vector problems, BLIS-style blocking
// (jc -> pc -> ic -> jr -> ir), packing of A and B through arbitrary strides, threading over
// M/N blocks only (so bits never depend on the thread count) and the portable micro-kernel.
// Baseline x86-64 only: the SIMD micro-kernels live in gemm_avx2.cpp / gemm_avx512.cpp.
#include "axonite/kernels/gemm.h"

#include <emmintrin.h>
#include <xmmintrin.h>

#include <cstdlib>
#include <new>

#include "axonite/core/check.h"
#include "axonite/core/cpu_features.h"
#include "axonite/core/parallel.h"
#include "axonite/kernels/cpu/gemm_kernels.h"

namespace ax::cpu {
namespace gemm_detail {
namespace {

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }
int64_t round_up(int64_t a, int64_t b) { return ceil_div(a, b) * b; }
int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

// Problems below this many multiply-adds skip packing (its fixed cost dominates).
constexpr int64_t kDirectMaxVolume = 32 * 32 * 32;
// Threads pay off only above this volume (two OpenMP regions per K block cost a few us).
constexpr int64_t kThreadMinVolume = 96 * 96 * 96;

// ---- Portable micro-kernel ---------------------------------------------------------------------
// MR x NR tile with plain loops; GCC keeps acc in xmm registers and vectorizes the j loop with
// baseline SSE2 (f32 4x8 = 8 xmm accumulators, f64 4x4 = 8 xmm accumulators).
template <class T, int MR, int NR>
void generic_kernel(int64_t k, const T* a, const T* b, T* c, int64_t ldc, T alpha, T beta,
                    int m_eff, int n_eff) {
  T acc[MR][NR] = {};
  for (int64_t p = 0; p < k; ++p) {
#pragma GCC unroll 16
    for (int i = 0; i < MR; ++i) {
      const T ai = a[i];
#pragma GCC unroll 16
      for (int j = 0; j < NR; ++j) acc[i][j] += ai * b[j];
    }
    a += MR;
    b += NR;
  }
  for (int i = 0; i < m_eff; ++i) {
    T* cr = c + i * ldc;
    for (int j = 0; j < n_eff; ++j) {
      T r = alpha * acc[i][j];
      if (beta != T(0)) r += beta * cr[j];
      cr[j] = r;
    }
  }
}

// ---- Packing -----------------------------------------------------------------------------------
// A micro-panel (MR rows of A) and a B micro-panel (NR columns of B) have the same packed form:
// W "lanes" x kc steps stored p-major, out[p * W + l]. Lane l, step p of the source sits at
// src[l * lane_stride + p * step_stride]; two unit-stride cases get dedicated loops.

// step_stride == 1 for every lane (row-major A, transposed B): a W x kc -> kc x W transpose,
// done in 4x4 (f32) / 2x2 (f64) SSE2 register blocks so it runs at copy speed.
inline void transpose_block(const float* src, int64_t ld, float* out, int w, int l, int64_t p) {
  __m128 r0 = _mm_loadu_ps(src + (l + 0) * ld + p), r1 = _mm_loadu_ps(src + (l + 1) * ld + p);
  __m128 r2 = _mm_loadu_ps(src + (l + 2) * ld + p), r3 = _mm_loadu_ps(src + (l + 3) * ld + p);
  _MM_TRANSPOSE4_PS(r0, r1, r2, r3);
  _mm_storeu_ps(out + (p + 0) * w + l, r0);
  _mm_storeu_ps(out + (p + 1) * w + l, r1);
  _mm_storeu_ps(out + (p + 2) * w + l, r2);
  _mm_storeu_ps(out + (p + 3) * w + l, r3);
}
constexpr int kTBlock(float) { return 4; }
inline void transpose_block(const double* src, int64_t ld, double* out, int w, int l, int64_t p) {
  const __m128d r0 = _mm_loadu_pd(src + l * ld + p), r1 = _mm_loadu_pd(src + (l + 1) * ld + p);
  _mm_storeu_pd(out + p * w + l, _mm_unpacklo_pd(r0, r1));
  _mm_storeu_pd(out + (p + 1) * w + l, _mm_unpackhi_pd(r0, r1));
}
constexpr int kTBlock(double) { return 2; }

template <class T, int W>
void pack_transposed(int64_t kc, const T* src, int64_t ld, int w_rt, T* out) {
  const int w = W > 0 ? W : w_rt;
  constexpr int B = kTBlock(T());
  const int lb = w / B * B;
  constexpr int kLine = 64 / sizeof(T);
  int64_t p = 0;
  for (; p + B <= kc; p += B) {
    // Each lane is a short contiguous run (kc elements), too short for the hardware streamer
    // to ramp up: prefetch each lane's next cache lines ourselves.
    if (p % kLine == 0) {
      for (int l = 0; l < w; ++l) _mm_prefetch(reinterpret_cast<const char*>(src + l * ld + p + 4 * kLine), _MM_HINT_T0);
    }
    for (int l = 0; l < lb; l += B) transpose_block(src, ld, out, w, l, p);
    for (int l = lb; l < w; ++l)
      for (int u = 0; u < B; ++u) out[(p + u) * w + l] = src[l * ld + p + u];
  }
  for (; p < kc; ++p)
    for (int l = 0; l < w; ++l) out[p * w + l] = src[l * ld + p];
}

// Packs one micro-panel of `lanes` (<= W) valid lanes; lanes past it are zero-filled.
template <class T, int W>
void pack_panel(int64_t lanes, int64_t kc, const T* src, int64_t lane_stride, int64_t step_stride,
                int w_rt, T* out) {
  const int w = W > 0 ? W : w_rt;
  if (lanes == w && lane_stride == 1) {
    // Each step is a contiguous run of w elements: a vectorized copy.
    for (int64_t p = 0; p < kc; ++p) {
      const T* s = src + p * step_stride;
#pragma GCC unroll 4
      for (int l = 0; l < w; ++l) out[p * w + l] = s[l];
    }
  } else if (lanes == w && step_stride == 1) {
    pack_transposed<T, W>(kc, src, lane_stride, w, out);
  } else {
    for (int64_t p = 0; p < kc; ++p) {
      for (int64_t l = 0; l < lanes; ++l) out[p * w + l] = src[l * lane_stride + p * step_stride];
      for (int64_t l = lanes; l < w; ++l) out[p * w + l] = T(0);
    }
  }
}

// Packs micro-panels [q0, q1) of a block with `total` lanes (panel q = lanes q*W ...). For
// step-contiguous rows (row-major B, column-major A) the loop runs step-major across panels, so
// every source row is read sequentially (prefetcher-friendly) instead of hopping rows per panel.
template <class T, int W>
void pack_panels(int64_t total, int64_t kc, const T* src, int64_t lane_stride,
                 int64_t step_stride, int64_t q0, int64_t q1, int w_rt, T* out) {
  const int w = W > 0 ? W : w_rt;
  int64_t qfull = total / w < q1 ? total / w : q1;
  if (lane_stride == 1 && qfull > q0 + 1) {
    for (int64_t p = 0; p < kc; ++p) {
      const T* s = src + p * step_stride;
      // Rows are separate pages for large strides; fetch a few rows ahead.
      const T* ahead = s + 4 * step_stride + q0 * w;
      for (int64_t e = 0; e < (qfull - q0) * w; e += 64 / sizeof(T))
        _mm_prefetch(reinterpret_cast<const char*>(ahead + e), _MM_HINT_T0);
      for (int64_t q = q0; q < qfull; ++q) {
        T* o = out + q * w * kc + p * w;
        const T* sq = s + q * w;
#pragma GCC unroll 4
        for (int l = 0; l < w; ++l) o[l] = sq[l];
      }
    }
  } else {
    qfull = q0;
  }
  for (int64_t q = qfull; q < q1; ++q) {
    const int64_t lanes = total - q * w < w ? total - q * w : w;
    pack_panel<T, W>(lanes, kc, src + q * w * lane_stride, lane_stride, step_stride, w,
                     out + q * w * kc);
  }
}

template <class T>
using PackFn = void (*)(int64_t, int64_t, const T*, int64_t, int64_t, int64_t, int64_t, int, T*);

// Compile-time widths for the tile sizes the kernels use, so the copy loops fully unroll.
template <class T>
PackFn<T> pick_pack(int w) {
  switch (w) {
    case 4: return &pack_panels<T, 4>;
    case 6: return &pack_panels<T, 6>;
    case 8: return &pack_panels<T, 8>;
    case 14: return &pack_panels<T, 14>;
    case 16: return &pack_panels<T, 16>;
    case 32: return &pack_panels<T, 32>;
    default: return &pack_panels<T, 0>;
  }
}

// 64-byte aligned, grow-only scratch buffer. One per thread and role (thread_local below), so
// repeated calls reuse memory and threads never contend.
class PackBuffer {
 public:
  PackBuffer() = default;
  PackBuffer(const PackBuffer&) = delete;
  PackBuffer& operator=(const PackBuffer&) = delete;
  ~PackBuffer() { std::free(p_); }
  void* get(size_t bytes) {
    if (bytes > cap_) {
      std::free(p_);
      cap_ = 0;
      const size_t sz = (bytes + 4095) & ~static_cast<size_t>(4095);
      p_ = std::aligned_alloc(64, sz);
      if (p_ == nullptr) throw std::bad_alloc();
      cap_ = sz;
    }
    return p_;
  }

 private:
  void* p_ = nullptr;
  size_t cap_ = 0;
};

thread_local PackBuffer tl_pack_a;  // per-thread A block (mc x kc)
thread_local PackBuffer tl_pack_b;  // calling thread's B block (kc x nc), read by all threads

// Splits the M x N tile grid over nt threads as tm x tn (tm * tn == nt) minimizing the largest
// per-thread tile count; ties go to more M splits (each M split packs its own A, B is shared).
void choose_grid(int nt, int64_t m_tiles, int64_t n_panels, int* tm, int* tn) {
  int64_t best = -1;
  for (int d = nt; d >= 1; --d) {
    if (nt % d != 0) continue;
    const int64_t cost = ceil_div(m_tiles, d) * ceil_div(n_panels, nt / d);
    if (best < 0 || cost < best) {
      best = cost;
      *tm = d;
      *tn = nt / d;
    }
  }
}

// ---- Packed, blocked GEMM ----------------------------------------------------------------------
template <class T>
void gemm_packed(const KernelDesc<T>& kd, int nt, int64_t m, int64_t n, int64_t k, T alpha,
                 const T* a, int64_t a_rs, int64_t a_cs, const T* b, int64_t b_rs, int64_t b_cs,
                 T beta, T* c, int64_t ldc) {
  const int mr = kd.mr, nr = kd.nr;
  const PackFn<T> pack_a_fn = pick_pack<T>(mr);
  const PackFn<T> pack_b_fn = pick_pack<T>(nr);
  // Block sizes depend only on the problem: equal K blocks (the summation order), N blocks a
  // multiple of nr so tile edges fall only at the matrix edge.
  const int64_t kc_step = ceil_div(k, ceil_div(k, kd.kc));
  const int64_t nc_step = round_up(ceil_div(n, ceil_div(n, kd.nc)), nr);
  const int64_t m_tiles = ceil_div(m, mr);
  T* bp = static_cast<T*>(tl_pack_b.get(sizeof(T) * static_cast<size_t>(kc_step * nc_step)));

  for (int64_t jc = 0; jc < n; jc += nc_step) {
    const int64_t nc = min64(nc_step, n - jc);
    const int64_t n_panels = ceil_div(nc, nr);
    int tm = 1, tn = 1;
    choose_grid(nt, m_tiles, n_panels, &tm, &tn);
    for (int64_t pc = 0; pc < k; pc += kc_step) {
      const int64_t kc = min64(kc_step, k - pc);
      const T* bsrc = b + pc * b_rs + jc * b_cs;
      parallel_for(0, n_panels, nt > 1 ? ceil_div(n_panels, nt) : n_panels,
                   [&](int64_t q0, int64_t q1) {
                     pack_b_fn(nc, kc, bsrc, b_cs, b_rs, q0, q1, nr, bp);
                   });
      // Later K blocks accumulate onto the partial result already in C.
      const T beta_k = pc == 0 ? beta : T(1);
      const int64_t ntasks = static_cast<int64_t>(tm) * tn;
      parallel_for(0, ntasks, nt > 1 ? 1 : ntasks, [&](int64_t t0, int64_t t1) {
        for (int64_t t = t0; t < t1; ++t) {
          const int64_t ti = t / tn, tj = t % tn;
          const int64_t i0 = m_tiles * ti / tm * mr;
          const int64_t i1 = min64(m, m_tiles * (ti + 1) / tm * mr);
          const int64_t q0 = n_panels * tj / tn, q1 = n_panels * (tj + 1) / tn;
          if (i0 >= i1 || q0 >= q1) continue;
          const int64_t rows = i1 - i0;
          const int64_t mc_step = round_up(ceil_div(rows, ceil_div(rows, kd.mc)), mr);
          T* ap = static_cast<T*>(tl_pack_a.get(sizeof(T) * static_cast<size_t>(mc_step * kc)));
          for (int64_t ic = i0; ic < i1; ic += mc_step) {
            const int64_t mc = min64(mc_step, i1 - ic);
            pack_a_fn(mc, kc, a + ic * a_rs + pc * a_cs, a_rs, a_cs, 0, ceil_div(mc, mr), mr, ap);
            // jr outer, ir inner: one B micro-panel stays in L1 while A panels stream from L2.
            for (int64_t q = q0; q < q1; ++q) {
              const int n_eff = static_cast<int>(min64(nr, nc - q * nr));
              const T* bq = bp + q * nr * kc;
              T* cq = c + ic * ldc + jc + q * nr;
              for (int64_t ir = 0; ir < mc; ir += mr) {
                kd.kernel(kc, ap + ir * kc, bq, cq + ir * ldc, ldc, alpha, beta_k,
                          static_cast<int>(min64(mr, mc - ir)), n_eff);
              }
            }
          }
        }
      });
    }
  }
}

// ---- Direct path (small problems, vectors) -----------------------------------------------------
// C = beta * C without reading C when beta == 0 (C may hold NaN/garbage then).
template <class T>
void scale_c(int64_t m, int64_t n, T beta, T* c, int64_t ldc) {
  if (beta == T(1)) return;
  for (int64_t i = 0; i < m; ++i) {
    T* cr = c + i * ldc;
    if (beta == T(0)) {
      for (int64_t j = 0; j < n; ++j) cr[j] = T(0);
    } else {
      for (int64_t j = 0; j < n; ++j) cr[j] *= beta;
    }
  }
}

// No packing, no threads. Row-major-friendly B (unit column stride, n > 2) uses axpy rows
// (vectorized over j); otherwise each C element is a dot product with 4 partial sums.
template <class T>
void gemm_direct(int64_t m, int64_t n, int64_t k, T alpha, const T* a, int64_t a_rs,
                 int64_t a_cs, const T* b, int64_t b_rs, int64_t b_cs, T beta, T* c,
                 int64_t ldc) {
  if (b_cs == 1 && n > 2) {
    scale_c(m, n, beta, c, ldc);
    for (int64_t i = 0; i < m; ++i) {
      T* cr = c + i * ldc;
      const T* ar = a + i * a_rs;
      for (int64_t p = 0; p < k; ++p) {
        const T av = alpha * ar[p * a_cs];
        const T* br = b + p * b_rs;
        for (int64_t j = 0; j < n; ++j) cr[j] += av * br[j];
      }
    }
    return;
  }
  for (int64_t i = 0; i < m; ++i) {
    const T* ar = a + i * a_rs;
    for (int64_t j = 0; j < n; ++j) {
      const T* bc = b + j * b_cs;
      T s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      int64_t p = 0;
      for (; p + 4 <= k; p += 4) {
        s0 += ar[p * a_cs] * bc[p * b_rs];
        s1 += ar[(p + 1) * a_cs] * bc[(p + 1) * b_rs];
        s2 += ar[(p + 2) * a_cs] * bc[(p + 2) * b_rs];
        s3 += ar[(p + 3) * a_cs] * bc[(p + 3) * b_rs];
      }
      for (; p < k; ++p) s0 += ar[p * a_cs] * bc[p * b_rs];
      const T r = alpha * ((s0 + s1) + (s2 + s3));
      T* cij = c + i * ldc + j;
      *cij = beta == T(0) ? r : r + beta * *cij;
    }
  }
}

template <class T>
KernelDesc<T> generic_desc();
template <>
KernelDesc<float> generic_desc<float>() {
  return {&generic_kernel<float, 4, 8>, 4, 8, 256, 128, 2048};
}
template <>
KernelDesc<double> generic_desc<double>() {
  return {&generic_kernel<double, 4, 4>, 4, 4, 256, 128, 2048};
}

template <class T>
void check_args(int64_t m, int64_t n, int64_t k, int64_t ldc) {
  AXONITE_CHECK(m >= 0 && n >= 0 && k >= 0, ValueError, "gemm: negative size m=", m, " n=", n,
                " k=", k);
  AXONITE_CHECK(m <= 1 || ldc >= n, ValueError, "gemm: ldc=", ldc, " < n=", n);
}

template <class T>
void gemm_any(const KernelDesc<T>& kd, int64_t m, int64_t n, int64_t k, T alpha, const T* a,
              int64_t a_rs, int64_t a_cs, const T* b, int64_t b_rs, int64_t b_cs, T beta, T* c,
              int64_t ldc, bool allow_direct) {
  check_args<T>(m, n, k, ldc);
  if (m == 0 || n == 0) return;
  if (k == 0 || alpha == T(0)) {
    scale_c(m, n, beta, c, ldc);
    return;
  }
  const int64_t volume = m * n * k;
  if (allow_direct && (volume <= kDirectMaxVolume || m == 1 || n == 1)) {
    gemm_direct(m, n, k, alpha, a, a_rs, a_cs, b, b_rs, b_cs, beta, c, ldc);
    return;
  }
  int nt = 1;
  if (volume >= kThreadMinVolume && !in_parallel_region()) nt = get_num_threads();
  gemm_packed(kd, nt, m, n, k, alpha, a, a_rs, a_cs, b, b_rs, b_cs, beta, c, ldc);
}

}  // namespace

KernelDesc<float> kernel_desc_f32(Isa isa) {
  if (isa == Isa::Avx512) return avx512_desc_f32();
  if (isa == Isa::Avx2) return avx2_desc_f32();
  return generic_desc<float>();
}
KernelDesc<double> kernel_desc_f64(Isa isa) {
  if (isa == Isa::Avx512) return avx512_desc_f64();
  if (isa == Isa::Avx2) return avx2_desc_f64();
  return generic_desc<double>();
}

void gemm_f32_isa(Isa isa, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
                  int64_t a_rs, int64_t a_cs, const float* b, int64_t b_rs, int64_t b_cs,
                  float beta, float* c, int64_t ldc) {
  gemm_any(kernel_desc_f32(isa), m, n, k, alpha, a, a_rs, a_cs, b, b_rs, b_cs, beta, c, ldc,
           true);
}
void gemm_f64_isa(Isa isa, int64_t m, int64_t n, int64_t k, double alpha, const double* a,
                  int64_t a_rs, int64_t a_cs, const double* b, int64_t b_rs, int64_t b_cs,
                  double beta, double* c, int64_t ldc) {
  gemm_any(kernel_desc_f64(isa), m, n, k, alpha, a, a_rs, a_cs, b, b_rs, b_cs, beta, c, ldc,
           true);
}
void gemm_packed_f32(const KernelDesc<float>& kd, int64_t m, int64_t n, int64_t k, float alpha,
                     const float* a, int64_t a_rs, int64_t a_cs, const float* b, int64_t b_rs,
                     int64_t b_cs, float beta, float* c, int64_t ldc) {
  gemm_any(kd, m, n, k, alpha, a, a_rs, a_cs, b, b_rs, b_cs, beta, c, ldc, false);
}
void gemm_packed_f64(const KernelDesc<double>& kd, int64_t m, int64_t n, int64_t k, double alpha,
                     const double* a, int64_t a_rs, int64_t a_cs, const double* b, int64_t b_rs,
                     int64_t b_cs, double beta, double* c, int64_t ldc) {
  gemm_any(kd, m, n, k, alpha, a, a_rs, a_cs, b, b_rs, b_cs, beta, c, ldc, false);
}

}  // namespace gemm_detail

void gemm_f32(int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t a_rs,
              int64_t a_cs, const float* b, int64_t b_rs, int64_t b_cs, float beta, float* c,
              int64_t ldc) {
  gemm_detail::gemm_f32_isa(cpu_isa(), m, n, k, alpha, a, a_rs, a_cs, b, b_rs, b_cs, beta, c,
                            ldc);
}

void gemm_f64(int64_t m, int64_t n, int64_t k, double alpha, const double* a, int64_t a_rs,
              int64_t a_cs, const double* b, int64_t b_rs, int64_t b_cs, double beta, double* c,
              int64_t ldc) {
  gemm_detail::gemm_f64_isa(cpu_isa(), m, n, k, alpha, a, a_rs, a_cs, b, b_rs, b_cs, beta, c,
                            ldc);
}

const char* gemm_isa() { return isa_name(cpu_isa()); }

}  // namespace ax::cpu
