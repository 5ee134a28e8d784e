// GEMM driver: ISA dispatch, a direct path for small/vector problems, BLIS-style blocking
// (jc -> pc -> ic -> jr -> ir), packing of A and B through arbitrary strides, threading over
// M/N blocks only (so bits never depend on the thread count) and the portable micro-kernel.
// Baseline x86-64 only: the SIMD micro-kernels live in gemm_avx2.cpp / gemm_avx512.cpp.
#include "axonite/kernels/gemm.h"

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
// A block (mc x kc, element (i, p) at a[i * rs + p * cs]) -> ceil(mc / MR) micro-panels of
// kc x MR (p-major), rows past mc zero-filled. MR == 0 means "use the run-time mr".
template <class T, int MR>
void pack_a(int64_t mc, int64_t kc, const T* a, int64_t rs, int64_t cs, int mr_rt, T* out) {
  const int mr = MR > 0 ? MR : mr_rt;
  for (int64_t i0 = 0; i0 < mc; i0 += mr, out += mr * kc) {
    const T* src = a + i0 * rs;
    const int64_t mb = min64(mr, mc - i0);
    if (mb == mr && rs == 1) {
      // Column-major (transposed) A: each p is a contiguous run of mr elements.
      for (int64_t p = 0; p < kc; ++p) {
#pragma GCC unroll 16
        for (int i = 0; i < mr; ++i) out[p * mr + i] = src[p * cs + i];
      }
    } else if (mb == mr) {
      // Row-major or strided A: gather mr rows per p (the mr row streams prefetch well).
      for (int64_t p = 0; p < kc; ++p) {
#pragma GCC unroll 16
        for (int i = 0; i < mr; ++i) out[p * mr + i] = src[i * rs + p * cs];
      }
    } else {
      for (int64_t p = 0; p < kc; ++p) {
        for (int64_t i = 0; i < mb; ++i) out[p * mr + i] = src[i * rs + p * cs];
        for (int64_t i = mb; i < mr; ++i) out[p * mr + i] = T(0);
      }
    }
  }
}

// One B micro-panel (kc x nb, element (p, j) at b[p * rs + j * cs]) -> kc x NR (p-major),
// columns past nb zero-filled. NR == 0 means "use the run-time nr".
template <class T, int NR>
void pack_b_panel(int64_t nb, int64_t kc, const T* b, int64_t rs, int64_t cs, int nr_rt, T* out) {
  const int nr = NR > 0 ? NR : nr_rt;
  if (nb == nr && cs == 1) {
    // Row-major B: a straight vectorized copy of nr contiguous elements per p.
    for (int64_t p = 0; p < kc; ++p) {
      const T* s = b + p * rs;
#pragma GCC unroll 4
      for (int j = 0; j < nr; ++j) out[p * nr + j] = s[j];
    }
  } else if (nb == nr && rs == 1) {
    // Transposed B (e.g. x @ W^T): read each column contiguously, scatter into the panel.
    for (int j = 0; j < nr; ++j) {
      const T* s = b + j * cs;
      for (int64_t p = 0; p < kc; ++p) out[p * nr + j] = s[p];
    }
  } else {
    for (int64_t p = 0; p < kc; ++p) {
      for (int64_t j = 0; j < nb; ++j) out[p * nr + j] = b[p * rs + j * cs];
      for (int64_t j = nb; j < nr; ++j) out[p * nr + j] = T(0);
    }
  }
}

template <class T>
using PackAFn = void (*)(int64_t, int64_t, const T*, int64_t, int64_t, int, T*);
template <class T>
using PackBFn = void (*)(int64_t, int64_t, const T*, int64_t, int64_t, int, T*);

// Compile-time tile sizes for the shapes the kernels use, so the copy loops fully unroll.
template <class T>
PackAFn<T> pick_pack_a(int mr) {
  switch (mr) {
    case 4: return &pack_a<T, 4>;
    case 6: return &pack_a<T, 6>;
    case 14: return &pack_a<T, 14>;
    default: return &pack_a<T, 0>;
  }
}
template <class T>
PackBFn<T> pick_pack_b(int nr) {
  switch (nr) {
    case 4: return &pack_b_panel<T, 4>;
    case 8: return &pack_b_panel<T, 8>;
    case 16: return &pack_b_panel<T, 16>;
    case 32: return &pack_b_panel<T, 32>;
    default: return &pack_b_panel<T, 0>;
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
  const PackAFn<T> pack_a_fn = pick_pack_a<T>(mr);
  const PackBFn<T> pack_b_fn = pick_pack_b<T>(nr);
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
                     for (int64_t q = q0; q < q1; ++q) {
                       pack_b_fn(min64(nr, nc - q * nr), kc, bsrc + q * nr * b_cs, b_rs, b_cs,
                                 nr, bp + q * nr * kc);
                     }
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
            pack_a_fn(mc, kc, a + ic * a_rs + pc * a_cs, a_rs, a_cs, mr, ap);
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
