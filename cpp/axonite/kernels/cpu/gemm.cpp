// GEMM driver: ISA dispatch, a direct path for small/vector problems, BLIS-style blocking
// (jc -> pc -> ic -> jr -> ir), packing of A and B through arbitrary strides, threading over
// M/N blocks only (so bits never depend on the thread count) and the portable micro-kernel.
// Baseline x86-64 only: the SIMD micro-kernels live in gemm_avx2.cpp / gemm_avx512.cpp.
#include "axonite/kernels/gemm.h"

#include <emmintrin.h>
#include <xmmintrin.h>

#include <algorithm>
#include <cstdlib>
#include <new>

#include "axonite/core/check.h"
#include "axonite/core/cpu_features.h"
#include "axonite/core/parallel.h"
#include "axonite/core/thread_pool.h"
#include "axonite/kernels/cpu/gemm_kernels.h"
#include "axonite/kernels/cpu/scratch.h"

namespace ax::cpu {
namespace gemm_detail {
namespace {

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }
int64_t round_up(int64_t a, int64_t b) { return ceil_div(a, b) * b; }
int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }
// The K block length for a blocking of kc: equal blocks, so the summation order of every C
// element depends only on k and kc (both GEMM paths must use it for their bits to agree).
int64_t k_block(int64_t k, int64_t kc) { return ceil_div(k, ceil_div(k, kc)); }

// Problems up to this many multiply-adds skip packing: measured crossover ~10^3 (8^3 direct
// 125 ns vs packed 145 ns; 12^3 direct 380 ns vs packed 190 ns, AVX-512).
constexpr double kDirectMaxVolume = 1000;
// Threads pay off only above this volume (waking the team and one barrier per K block cost
// a few microseconds).
constexpr double kThreadMinVolume = 128.0 * 128 * 128;

// ---- Portable micro-kernel ---------------------------------------------------------------------
// MR x NR tile with plain loops; GCC keeps acc in xmm registers and vectorizes the j loop with
// baseline SSE2 (f32 4x8 = 8 xmm accumulators, f64 4x4 = 8 xmm accumulators).
template <class T, int MR, int NR, bool AROW>
void generic_kernel(int64_t k, const T* a, int64_t as, const T* b, T* c, int64_t ldc, T alpha,
                    T beta, int m_eff, int n_eff, const char* /*pf*/) {
  T acc[MR][NR] = {};
  for (int64_t p = 0; p < k; ++p) {
#pragma GCC unroll 16
    for (int i = 0; i < MR; ++i) {
      const T ai = AROW ? a[i * as] : a[i];
#pragma GCC unroll 16
      for (int j = 0; j < NR; ++j) acc[i][j] += ai * b[j];
    }
    a += AROW ? 1 : as;
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

// step_stride == 1 for every lane (row-major A, transposed B): a lanes x kc -> kc x w transpose,
// done in 4x4 (f32) / 2x2 (f64) SSE2 register blocks so it runs at copy speed. The AVX-512 family
// has a 16x16 / 8x8 version (gemm_avx512.cpp).
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

template <class T>
void transpose_pack_blocks(int64_t lanes, int64_t kc, const T* src, int64_t ld, int w, T* out) {
  constexpr int B = kTBlock(T());
  const int lb = static_cast<int>(lanes) / B * B;
  int64_t p = 0;
  for (; p + B <= kc; p += B) {
    for (int l = 0; l < lb; l += B) transpose_block(src, ld, out, w, l, p);
    for (int64_t l = lb; l < lanes; ++l)
      for (int u = 0; u < B; ++u) out[(p + u) * w + l] = src[l * ld + p + u];
  }
  for (; p < kc; ++p)
    for (int64_t l = 0; l < lanes; ++l) out[p * w + l] = src[l * ld + p];
}

// Packs one micro-panel of `lanes` (<= W) valid lanes; lanes past it are zero-filled.
template <class T, int W>
void pack_panel(int64_t lanes, int64_t kc, const T* src, int64_t lane_stride, int64_t step_stride,
                int w_rt, TransposeKernel<T> transpose, T* out) {
  const int w = W > 0 ? W : w_rt;
  if (step_stride == 1 && lane_stride != 1) {
    transpose(lanes, kc, src, lane_stride, w, out);
    if (lanes < w)
      for (int64_t p = 0; p < kc; ++p)
        for (int64_t l = lanes; l < w; ++l) out[p * w + l] = T(0);
  } else if (lanes == w && lane_stride == 1) {
    // Each step is a contiguous run of w elements: a vectorized copy.
    for (int64_t p = 0; p < kc; ++p) {
      const T* s = src + p * step_stride;
#pragma GCC unroll 4
      for (int l = 0; l < w; ++l) out[p * w + l] = s[l];
    }
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
void pack_panels(int64_t total, int64_t kc, const T* src, int64_t lane_stride, int64_t step_stride,
                 int64_t q0, int64_t q1, int w_rt, TransposeKernel<T> transpose, T* out) {
  const int w = W > 0 ? W : w_rt;
  int64_t qfull = total / w < q1 ? total / w : q1;
  if (lane_stride == 1 && qfull > q0 + 1) {
    for (int64_t p = 0; p < kc; ++p) {
      const T* s = src + p * step_stride;
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
    pack_panel<T, W>(lanes, kc, src + q * w * lane_stride, lane_stride, step_stride, w, transpose,
                     out + q * w * kc);
  }
}

template <class T>
using PackFn = void (*)(int64_t, int64_t, const T*, int64_t, int64_t, int64_t, int64_t, int,
                        TransposeKernel<T>, T*);

// Compile-time widths for the tile sizes the kernels use, so the copy loops fully unroll.
template <class T>
PackFn<T> pick_pack(int w) {
  switch (w) {
    case 4:
      return &pack_panels<T, 4>;
    case 6:
      return &pack_panels<T, 6>;
    case 8:
      return &pack_panels<T, 8>;
    case 14:
      return &pack_panels<T, 14>;
    case 16:
      return &pack_panels<T, 16>;
    case 32:
      return &pack_panels<T, 32>;
    default:
      return &pack_panels<T, 0>;
  }
}

// 64-byte aligned, grow-only scratch memory of the calling thread: two B blocks (double
// buffered, see gemm_packed) and one A block per worker. Allocated before the parallel region so
// nothing inside it can throw, and reused across calls (no allocation per call once warm).
thread_local ScratchBuffer tl_workspace;

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
// Note [In-place A]: a row-major A that fits in L2 (a layer's input batch, an upstream
// gradient) is read in place by the row-form kernel instead of being transposed into packed
// panels. Its tiles are re-read once per B panel, from L2 as the packed copy would be, and the
// transposing pack (a full extra pass over A that streams it from L3) is gone. Measured on the
// 784-256-128-10 MLP training step at 1 thread: 0.698 -> 0.676 of PyTorch's time. Two cases keep
// the packed form:
//  - a larger A (an im2col buffer): its packed mc x kc block is sized to stay in L2; reading
//    such an A in place measured 3-5% slower on a ResNet-18 step;
//  - a row stride that is a multiple of 512 bytes (e.g. 1024 floats): the tile's 14 rows then
//    fall into a few L1 sets and evict each other (an LSTMCell step at batch 64 measured 2%
//    slower in place).
constexpr double kInPlaceAMaxBytes = 512.0 * 1024;
constexpr int64_t kInPlaceAStrideAlias = 512;

template <class T>
struct GemmArgs {
  int64_t m, n, k;
  T alpha;
  const T* a;
  int64_t a_rs, a_cs;
  const T* b;
  int64_t b_rs, b_cs;
  T beta;
  T* c;
  int64_t ldc;
};

// Loop nest (BLIS): jc (N blocks) -> pc (K blocks) -> [pack B block, shared] -> per thread:
// ic (M blocks, pack A block) -> jr (B micro-panels) -> ir (A micro-panels) -> micro-kernel.
// Threads own disjoint C tiles; the K order of every tile is fixed, so bits never depend on nt.
template <class T>
class PackedGemm {
 public:
  PackedGemm(const KernelDesc<T>& kd, const GemmArgs<T>& g, int nt)
      : kd_(kd), g_(g), nt_(nt), pack_a_(pick_pack<T>(kd.mr)), pack_b_(pick_pack<T>(kd.nr)) {
    // Block sizes depend only on the problem: equal K blocks (the summation order), N blocks a
    // multiple of nr so tile edges fall only at the matrix edge.
    kc_step_ = k_block(g.k, kd.kc);
    nc_step_ = round_up(ceil_div(g.n, ceil_div(g.n, kd.nc)), kd.nr);
    mc_max_ = round_up(kd.mc, kd.mr);
    b_size_ = round_up(kc_step_ * nc_step_, 64);
    a_size_ = round_up(kc_step_ * mc_max_, 64);
    const int64_t nb = nt > 1 ? 2 : 1;
    // A small row-major A is read in place (Note [In-place A]).
    a_rows_ = g.a_cs == 1 && g.a_rs != 1 && (g.a_rs * sizeof(T)) % kInPlaceAStrideAlias != 0 &&
              static_cast<double>(g.m) * static_cast<double>(g.k) * sizeof(T) <= kInPlaceAMaxBytes;
    bbuf_ = static_cast<T*>(
        tl_workspace.get(sizeof(T) * static_cast<size_t>(nb * b_size_ + nt * a_size_)));
  }

  // Work of thread t out of nt (all threads run the same loops and meet at the same barriers).
  void run(int t, int nt) {
    const int mr = kd_.mr, nr = kd_.nr;
    const int64_t m_tiles = ceil_div(g_.m, mr);
    T* ap = bbuf_ + (nt_ > 1 ? 2 : 1) * b_size_ + t * a_size_;
    int64_t step = 0;
    for (int64_t jc = 0; jc < g_.n; jc += nc_step_) {
      const int64_t nc = min64(nc_step_, g_.n - jc);
      const int64_t n_panels = ceil_div(nc, nr);
      int tm = 1, tn = 1;
      choose_grid(nt, m_tiles, n_panels, &tm, &tn);
      const int64_t ti = t / tn, tj = t % tn;
      const int64_t i0 = m_tiles * ti / tm * mr, i1 = min64(g_.m, m_tiles * (ti + 1) / tm * mr);
      const int64_t q0 = n_panels * tj / tn, q1 = n_panels * (tj + 1) / tn;
      for (int64_t pc = 0; pc < g_.k; pc += kc_step_, ++step) {
        const int64_t kc = min64(kc_step_, g_.k - pc);
        // Double buffering: B block `step` may be packed while a slower thread still computes
        // with block step - 1, so one barrier per K block suffices.
        T* bp = bbuf_ + (step & 1) * (nt > 1 ? b_size_ : 0);
        // Note [Interrupts] (parallel.h): an interrupted thread skips its work but still meets
        // every barrier; gemm_packed throws once the region is left.
        const bool skip = interrupt_requested();
        if (!skip)
          pack_b_(nc, kc, g_.b + pc * g_.b_rs + jc * g_.b_cs, g_.b_cs, g_.b_rs, n_panels * t / nt,
                  n_panels * (t + 1) / nt, nr, kd_.transpose, bp);
        barrier(nt);
        if (!skip && i0 < i1 && q0 < q1) block(i0, i1, q0, q1, jc, nc, pc, kc, bp, ap);
      }
    }
  }

 private:
  static void barrier(int nt) {
#if AXONITE_WITH_OPENMP
    if (nt > 1) {
#pragma omp barrier
    }
#else
    (void)nt;
#endif
  }

  // Rows [i0, i1) x panels [q0, q1) of the (jc, pc) step, in MC blocks.
  void block(int64_t i0, int64_t i1, int64_t q0, int64_t q1, int64_t jc, int64_t nc, int64_t pc,
             int64_t kc, const T* bp, T* ap) {
    const int mr = kd_.mr, nr = kd_.nr;
    const int64_t rows = i1 - i0;
    const int64_t mc_step = round_up(ceil_div(rows, ceil_div(rows, kd_.mc)), mr);
    // Later K blocks accumulate onto the partial result already in C.
    const T beta_k = pc == 0 ? g_.beta : T(1);
    for (int64_t ic = i0; ic < i1; ic += mc_step) {
      const int64_t mc = min64(mc_step, i1 - ic);
      // In place, only a partial last tile is packed (the kernel may read rows past m_eff).
      const int64_t full = a_rows_ ? mc / mr : 0;
      pack_a_(mc - full * mr, kc, g_.a + (ic + full * mr) * g_.a_rs + pc * g_.a_cs, g_.a_rs,
              g_.a_cs, 0, ceil_div(mc, mr) - full, mr, kd_.transpose, ap + full * mr * kc);
      // jr outer, ir inner: a B micro-panel is reused by all A micro-panels of the block.
      for (int64_t q = q0; q < q1; ++q) {
        const int n_eff = static_cast<int>(min64(nr, nc - q * nr));
        const T* bq = bp + q * nr * kc;
        T* cq = g_.c + ic * g_.ldc + jc + q * nr;
        // The packed B block outgrows L2, so the next B micro-panel would come from L3 on its
        // first use: the first calls on this panel prefetch it, one line per k step (measured
        // +1.5-2% at n = 1024..2048). Later calls prefetch this (cached) panel: a no-op.
        const T* next = q + 1 < q1 ? bq + nr * kc : bq;
        const int64_t panel_bytes = nr * kc * static_cast<int64_t>(sizeof(T));
        for (int64_t ir = 0; ir < mc; ir += mr) {
          const char* pf = panel_prefetch(bq, next, panel_bytes, ir / mr, kc);
          const int m_eff = static_cast<int>(min64(mr, mc - ir));
          if (a_rows_ && m_eff == mr) {
            kd_.kernel_arow(kc, g_.a + (ic + ir) * g_.a_rs + pc, g_.a_rs, bq, cq + ir * g_.ldc,
                            g_.ldc, g_.alpha, beta_k, m_eff, n_eff, pf);
          } else {
            kd_.kernel(kc, ap + ir * kc, mr, bq, cq + ir * g_.ldc, g_.ldc, g_.alpha, beta_k, m_eff,
                       n_eff, pf);
          }
        }
      }
    }
  }

  const KernelDesc<T> kd_;
  const GemmArgs<T> g_;
  const int nt_;
  const PackFn<T> pack_a_, pack_b_;
  int64_t kc_step_ = 0, nc_step_ = 0, mc_max_ = 0, b_size_ = 0, a_size_ = 0;
  bool a_rows_ = false;
  T* bbuf_ = nullptr;
};

template <class T>
void gemm_packed(const KernelDesc<T>& kd, int nt, const GemmArgs<T>& g) {
  PackedGemm<T> pg(kd, g, nt);
#if AXONITE_WITH_OPENMP
  if (nt > 1) {
    // One region for the whole product (not one per K block). The team may come out smaller
    // than asked; the split adapts, and results do not depend on it.
#pragma omp parallel num_threads(nt)
    pg.run(omp_get_thread_num(), omp_get_num_threads());
    check_interrupt();
    return;
  }
#endif
  pg.run(0, 1);
  check_interrupt();  // no-op inside a caller's parallel region: the caller's poll throws
}

// ---- Pool path (Note [Work pool], core/thread_pool.h) ------------------------------------------
// Medium products on several threads, where an OpenMP region's wake-up and join would cost as
// much as the split saves (measured: a 128x256x784 product on 2 threads took 229 us back to
// back but 300-320 us once the worker had gone to sleep; 214-263 us here). Items are groups of
// B micro-panels over all K (and chunks of row tiles when the panels are few): an item packs
// its own panels, so items share only A, which must have a unit stride and is read in place
// (the row-major and column-major forms of the micro-kernel contract). Every C tile sees the K
// blocks and the arithmetic of gemm_packed, so the bits are those of the one-thread path.
// Larger products keep gemm_packed, whose static split then costs nothing noticeable.
constexpr double kPoolMaxVolume = 64.0 * 1024 * 1024;
thread_local ScratchBuffer tl_pool_b;  // an item's B panels

template <class T>
bool gemm_pool(const KernelDesc<T>& kd, int nt, const GemmArgs<T>& g) {
  const int mr = kd.mr, nr = kd.nr;
  const int64_t n_panels = ceil_div(g.n, nr), m_tiles = ceil_div(g.m, mr);
  // About four items per thread, so a worker that joins late still finds work: groups of B
  // panels, and when there are too few of those, chunks of row tiles as well (each such item
  // packs its own copy of its panels).
  const int64_t want = 4 * nt;
  const int64_t group = std::max<int64_t>(1, n_panels / want);
  const int64_t n_groups = ceil_div(n_panels, group);
  const int64_t chunk_tiles =
      n_groups >= want ? m_tiles : ceil_div(m_tiles, std::min(m_tiles, ceil_div(want, n_groups)));
  const int64_t m_chunks = ceil_div(m_tiles, chunk_tiles), items = n_groups * m_chunks;
  if (items < 2 * nt) return false;
  // A is read in place, so it needs a unit stride (row-major: kernel_arow; column-major: the
  // panel form with its column stride); only a partial last row tile is packed, up front.
  if (g.a_cs != 1 && g.a_rs != 1) return false;
  const bool a_rows = g.a_cs == 1;
  const int64_t rows_packed = g.m % mr != 0 ? mr : 0;
  const int64_t kc_step = k_block(g.k, kd.kc);
  const PackFn<T> pack_a = pick_pack<T>(mr), pack_b = pick_pack<T>(nr);
  T* ap = static_cast<T*>(tl_workspace.get(sizeof(T) * static_cast<size_t>(rows_packed * g.k)));
  const int64_t tail_row = (m_tiles - 1) * mr;
  for (int64_t pc = 0; pc < g.k && rows_packed > 0; pc += kc_step) {
    pack_a(g.m - tail_row, min64(kc_step, g.k - pc), g.a + tail_row * g.a_rs + pc * g.a_cs, g.a_rs,
           g.a_cs, 0, 1, mr, kd.transpose, ap + pc * rows_packed);
  }
  const auto item = [&](int64_t it) {
    const int64_t q0 = it / m_chunks * group, q1 = min64(n_panels, q0 + group), j0 = q0 * nr;
    const int64_t t0 = it % m_chunks * chunk_tiles, t1 = min64(m_tiles, t0 + chunk_tiles);
    const int64_t nc = min64(g.n, q1 * nr) - j0;
    T* bp =
        static_cast<T*>(tl_pool_b.get(sizeof(T) * static_cast<size_t>(kc_step * (q1 - q0) * nr)));
    for (int64_t pc = 0; pc < g.k; pc += kc_step) {
      if (interrupt_requested()) return;  // Note [Interrupts]: the caller throws
      const int64_t kc = min64(kc_step, g.k - pc);
      pack_b(nc, kc, g.b + pc * g.b_rs + j0 * g.b_cs, g.b_cs, g.b_rs, 0, q1 - q0, nr, kd.transpose,
             bp);
      const T beta_k = pc == 0 ? g.beta : T(1);
      const T* a_blk = ap + pc * rows_packed;
      for (int64_t q = 0; q < q1 - q0; ++q) {
        const int n_eff = static_cast<int>(min64(nr, nc - q * nr));
        const T* bq = bp + q * nr * kc;
        // As in gemm_packed: the first tiles prefetch the next panel, one line per k step.
        const T* next = q + 1 < q1 - q0 ? bq + nr * kc : bq;
        const int64_t panel_bytes = nr * kc * static_cast<int64_t>(sizeof(T));
        for (int64_t t = t0; t < t1; ++t) {
          const int m_eff = static_cast<int>(min64(mr, g.m - t * mr));
          const char* pf = panel_prefetch(bq, next, panel_bytes, t - t0, kc);
          T* ct = g.c + t * mr * g.ldc + j0 + q * nr;
          if (m_eff < mr) {
            kd.kernel(kc, a_blk, mr, bq, ct, g.ldc, g.alpha, beta_k, m_eff, n_eff, pf);
          } else if (a_rows) {
            kd.kernel_arow(kc, g.a + t * mr * g.a_rs + pc, g.a_rs, bq, ct, g.ldc, g.alpha, beta_k,
                           m_eff, n_eff, pf);
          } else {
            kd.kernel(kc, g.a + t * mr + pc * g.a_cs, g.a_cs, bq, ct, g.ldc, g.alpha, beta_k, m_eff,
                      n_eff, pf);
          }
        }
      }
    }
  };
  run_items(nt, items, item);
  check_interrupt();
  return true;
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

template <class T>
T dot_contiguous(const T* x, const T* y, int64_t k) {
  T s[8] = {};
  int64_t p = 0;
  for (; p + 8 <= k; p += 8) {
#pragma GCC unroll 8
    for (int u = 0; u < 8; ++u) s[u] += x[p + u] * y[p + u];
  }
  for (; p < k; ++p) s[0] += x[p] * y[p];
  return ((s[0] + s[4]) + (s[1] + s[5])) + ((s[2] + s[6]) + (s[3] + s[7]));
}

// No packing, no threads. Row-major-friendly B (unit column stride, n > 2) uses axpy rows
// (vectorized over j); otherwise each C element is a dot product with 4 partial sums.
template <class T>
void gemm_direct(int64_t m, int64_t n, int64_t k, T alpha, const T* a, int64_t a_rs, int64_t a_cs,
                 const T* b, int64_t b_rs, int64_t b_cs, T beta, T* c, int64_t ldc) {
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
      if (a_cs == 1 && b_rs == 1) {
        // Both operands contiguous along k (e.g. matrix-vector): 8 partial sums in a form GCC
        // vectorizes, instead of the strided scalar loop below.
        T* cij = c + i * ldc + j;
        const T r = alpha * dot_contiguous(ar, bc, k);
        *cij = beta == T(0) ? r : r + beta * *cij;
        continue;
      }
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

// ---- GEMV path (m == 1 or n == 1) --------------------------------------------------------------
// Portable rows form: axpy rows of B onto a chunk of partial sums that stays in L1 (GCC
// vectorizes the j loop with SSE2; a register-blocked variant with a runtime edge bound ended
// up scalar, 4x slower). Each sum runs over p in order, so the chunking never changes bits.
template <class T>
void generic_gemv_rows(int64_t n, int64_t k, const T* x, const T* b, int64_t ldb, T* y, T alpha,
                       T beta) {
  constexpr int64_t kChunk = 1024;
  T acc[kChunk];
  for (int64_t j0 = 0; j0 < n; j0 += kChunk) {
    const int64_t w = min64(kChunk, n - j0);
    for (int64_t j = 0; j < w; ++j) acc[j] = T(0);
    for (int64_t p = 0; p < k; ++p) {
      const T xp = x[p];
      const T* bp = b + p * ldb + j0;
      for (int64_t j = 0; j < w; ++j) acc[j] += xp * bp[j];
    }
    T* yc = y + j0;
    for (int64_t j = 0; j < w; ++j) {
      const T r = alpha * acc[j];
      yc[j] = beta != T(0) ? r + beta * yc[j] : r;
    }
  }
}

// Portable cols form: one dot product (8 partial sums) per output.
template <class T>
void generic_gemv_cols(int64_t n, int64_t k, const T* x, const T* b, int64_t ldb, T* y, T alpha,
                       T beta) {
  for (int64_t j = 0; j < n; ++j) {
    const T r = alpha * dot_contiguous(x, b + j * ldb, k);
    y[j] = beta != T(0) ? r + beta * y[j] : r;
  }
}

// Weight matrices with at least this many elements (n * k) split their outputs over threads.
// Measured on 2 cores (f32, AVX-512, B cache-resident across calls): at n * k = 2^18 (256 x
// 1024) 2 threads took the rows form from 9.4 to 6.6-7.0 us and the cols form from 11.4 to
// 5-7 us, while at 2^17 the pool's hand-off ate the gain. With the other core busy (another
// process) 2 threads measured up to 20-30% slower at 2^18, so this is not set lower.
constexpr double kGemvThreadMinVolume = 262144;
// Outputs are split over threads in units of this many: a multiple of every kernel's vector
// width, so only the last unit has a masked tail.
constexpr int64_t kGemvUnit = 64;
// Thread items get at least this many multiply-adds (2 items at the threshold), so the pool's
// hand-off stays small and the rows form reads B in wide row segments.
constexpr int64_t kGemvItemVolume = 131072;

// y[j * incy] = alpha * sum_p x[p * incx] * w[p * w_rs + j * w_cs] + beta * y[j * incy], j < n:
// the m == 1 product (x = A's row, w = B) and the n == 1 product transposed (x = B's column,
// w = A^T, y = C's column). Returns false when neither kernel form reads w in place (no unit
// stride, or only the column stride is unit and there is a single output); the caller falls back
// to gemm_direct then.
template <class T>
bool gemv(const KernelDesc<T>& kd, int64_t n, int64_t k, T alpha, const T* x, int64_t incx,
          const T* w, int64_t w_rs, int64_t w_cs, T beta, T* y, int64_t incy) {
  GemvKernel<T> fn;
  int64_t ldb;
  if (w_cs == 1 && n > 1) {
    fn = kd.gemv_rows;
    ldb = w_rs;
  } else if (w_rs == 1) {
    fn = kd.gemv_cols;
    ldb = w_cs;
  } else {
    return false;
  }
  // The kernels want contiguous x and y: strided ones go through the thread's scratch (x is
  // gathered once, y gathered only when beta reads it and scattered at the end).
  const bool copy_x = incx != 1 && k > 1, copy_y = incy != 1 && n > 1;
  const int64_t x_len = copy_x ? round_up(k, 64 / sizeof(T)) : 0;
  T* scratch = nullptr;
  if (copy_x || copy_y)
    scratch = static_cast<T*>(
        tl_workspace.get(sizeof(T) * static_cast<size_t>(x_len + (copy_y ? n : 0))));
  const T* xc = x;
  if (copy_x) {
    for (int64_t p = 0; p < k; ++p) scratch[p] = x[p * incx];
    xc = scratch;
  }
  T* yc = y;
  if (copy_y) {
    yc = scratch + x_len;
    if (beta != T(0))
      for (int64_t j = 0; j < n; ++j) yc[j] = y[j * incy];
  }
  // In both forms output j's slice of w starts at w + j * w_cs.
  const auto outputs = [&](int64_t j0, int64_t j1) {
    fn(j1 - j0, k, xc, w + j0 * w_cs, ldb, yc + j0, alpha, beta);
  };
  if (static_cast<double>(n) * static_cast<double>(k) >= kGemvThreadMinVolume) {
    // Each output is computed by one thread with the kernel's fixed arithmetic, so the split
    // (and the thread count) never changes bits.
    const int64_t units = ceil_div(n, kGemvUnit);
    const int64_t grain = std::max<int64_t>(1, kGemvItemVolume / (kGemvUnit * k));
    parallel_for(0, units, grain, [&](int64_t u0, int64_t u1) {
      outputs(u0 * kGemvUnit, min64(n, u1 * kGemvUnit));
    });
  } else {
    outputs(0, n);
  }
  if (copy_y)
    for (int64_t j = 0; j < n; ++j) y[j * incy] = yc[j];
  return true;
}

template <class T>
KernelDesc<T> generic_desc();
template <>
KernelDesc<float> generic_desc<float>() {
  return {&generic_kernel<float, 4, 8, false>,
          &generic_kernel<float, 4, 8, true>,
          4,
          8,
          256,
          128,
          2048,
          &generic_gemv_rows<float>,
          &generic_gemv_cols<float>,
          &transpose_pack_sse};
}
template <>
KernelDesc<double> generic_desc<double>() {
  return {&generic_kernel<double, 4, 4, false>,
          &generic_kernel<double, 4, 4, true>,
          4,
          4,
          256,
          128,
          2048,
          &generic_gemv_rows<double>,
          &generic_gemv_cols<double>,
          &transpose_pack_sse};
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
    // BLAS semantics: A and B are not read at all (NaN/Inf in them do not propagate).
    scale_c(m, n, beta, c, ldc);
    return;
  }
  // In double: m * n * k can overflow int64 for absurd (but valid) sizes.
  const double volume = static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k);
  if (allow_direct && volume <= kDirectMaxVolume) {
    gemm_direct(m, n, k, alpha, a, a_rs, a_cs, b, b_rs, b_cs, beta, c, ldc);
    return;
  }
  if (allow_direct && (m == 1 || n == 1)) {
    // Matrix-vector: memory-bound, no packing. n == 1 is the transposed problem
    // C^T = B^T A^T, whose output is C's column (stride ldc).
    bool done = m == 1 && gemv(kd, n, k, alpha, a, a_cs, b, b_rs, b_cs, beta, c, 1);
    if (!done && n == 1) done = gemv(kd, m, k, alpha, b, b_rs, a, a_cs, a_rs, beta, c, ldc);
    if (!done) gemm_direct(m, n, k, alpha, a, a_rs, a_cs, b, b_rs, b_cs, beta, c, ldc);
    return;
  }
  int nt = 1;
  if (volume >= kThreadMinVolume && !in_parallel_region()) nt = get_num_threads();
  const GemmArgs<T> g{m, n, k, alpha, a, a_rs, a_cs, b, b_rs, b_cs, beta, c, ldc};
  if (nt > 1 && volume < kPoolMaxVolume && gemm_pool(kd, nt, g)) return;
  gemm_packed(kd, nt, g);
}

}  // namespace

void transpose_pack_sse(int64_t lanes, int64_t kc, const float* src, int64_t ld, int w,
                        float* out) {
  transpose_pack_blocks(lanes, kc, src, ld, w, out);
}
void transpose_pack_sse(int64_t lanes, int64_t kc, const double* src, int64_t ld, int w,
                        double* out) {
  transpose_pack_blocks(lanes, kc, src, ld, w, out);
}

const char* panel_prefetch(const void* panel, const void* next, int64_t panel_bytes, int64_t tile,
                           int64_t kc) {
  const int64_t off = tile * kc * 64;
  return off < panel_bytes ? static_cast<const char*>(next) + off : static_cast<const char*>(panel);
}

void pack_micro_panels(const KernelDesc<float>& kd, int w, int64_t total, int64_t kc,
                       const float* src, int64_t lane_stride, int64_t step_stride, float* out) {
  pick_pack<float>(w)(total, kc, src, lane_stride, step_stride, 0, ceil_div(total, w), w,
                      kd.transpose, out);
}
void pack_micro_panels(const KernelDesc<double>& kd, int w, int64_t total, int64_t kc,
                       const double* src, int64_t lane_stride, int64_t step_stride, double* out) {
  pick_pack<double>(w)(total, kc, src, lane_stride, step_stride, 0, ceil_div(total, w), w,
                       kd.transpose, out);
}

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
  gemm_any(kernel_desc_f32(isa), m, n, k, alpha, a, a_rs, a_cs, b, b_rs, b_cs, beta, c, ldc, true);
}
void gemm_f64_isa(Isa isa, int64_t m, int64_t n, int64_t k, double alpha, const double* a,
                  int64_t a_rs, int64_t a_cs, const double* b, int64_t b_rs, int64_t b_cs,
                  double beta, double* c, int64_t ldc) {
  gemm_any(kernel_desc_f64(isa), m, n, k, alpha, a, a_rs, a_cs, b, b_rs, b_cs, beta, c, ldc, true);
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
  gemm_detail::gemm_f32_isa(cpu_isa(), m, n, k, alpha, a, a_rs, a_cs, b, b_rs, b_cs, beta, c, ldc);
}

void gemm_f64(int64_t m, int64_t n, int64_t k, double alpha, const double* a, int64_t a_rs,
              int64_t a_cs, const double* b, int64_t b_rs, int64_t b_cs, double beta, double* c,
              int64_t ldc) {
  gemm_detail::gemm_f64_isa(cpu_isa(), m, n, k, alpha, a, a_rs, a_cs, b, b_rs, b_cs, beta, c, ldc);
}

void gemm(int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t a_rs, int64_t a_cs,
          const float* b, int64_t b_rs, int64_t b_cs, float beta, float* c, int64_t ldc) {
  gemm_f32(m, n, k, alpha, a, a_rs, a_cs, b, b_rs, b_cs, beta, c, ldc);
}
void gemm(int64_t m, int64_t n, int64_t k, double alpha, const double* a, int64_t a_rs,
          int64_t a_cs, const double* b, int64_t b_rs, int64_t b_cs, double beta, double* c,
          int64_t ldc) {
  gemm_f64(m, n, k, alpha, a, a_rs, a_cs, b, b_rs, b_cs, beta, c, ldc);
}

const char* gemm_isa() { return isa_name(cpu_isa()); }

}  // namespace ax::cpu
