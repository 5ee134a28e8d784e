// Internal interface between the GEMM driver (gemm.cpp, baseline x86-64) and the per-ISA
// micro-kernel TUs (gemm_avx2.cpp, gemm_avx512.cpp, compiled with -mavx2/-mavx512* flags).
// Only declarations and plain structs live here on purpose: an inline function or template body
// instantiated in an AVX TU could be picked by the linker for baseline callers (ODR + COMDAT).
#pragma once

#include <cstdint>

#include "axonite/core/cpu_features.h"

namespace ax::cpu::gemm_detail {

// Micro-kernel contract for an MR x NR register tile:
//   a, as: A of the tile. Panel form (kernel): element (i, p) at a[p * as + i], i < MR; a packed
//      micro-panel has as == MR (rows >= m_eff zero), a column-major A is read in place with as
//      = its column stride. Row form (kernel_arow): element (i, p) at a[i * as + p], a row-major
//      A read in place. Either way rows [m_eff, MR) may be read, so the driver hands in-place A
//      only for full tiles.
//   b: packed B micro-panel, k x NR, element (p, j) at b[p * NR + j] (cols >= n_eff are zero),
//      64-byte aligned
//   C[i, j] = alpha * sum_p a(i, p) * b(p, j) + beta * C[i, j]  for i < m_eff, j < n_eff,
//   C row stride ldc, unit column stride. beta == 0 never reads C. k >= 1.
//   pf: the kernel prefetches k * 64 bytes from pf into L2, one cache line per k step; the
//   driver passes the next B micro-panel (prefetches never fault, so any address is safe).
// Full and partial tiles, packed and in-place A use the same arithmetic in the same order, so
// neither where a tile edge falls nor whether A was packed ever changes bits.
template <class T>
using MicroKernel = void (*)(int64_t k, const T* a, int64_t as, const T* b, T* c, int64_t ldc,
                             T alpha, T beta, int m_eff, int n_eff, const char* pf);

// GEMV kernel contract (the m == 1 and n == 1 products, B read in place):
//   rows form (gemv_rows): y[j] = alpha * sum_p x[p] * b[p * ldb + j] + beta * y[j]
//      (B row-major: unit column stride, row stride ldb; vectorized over j)
//   cols form (gemv_cols): y[j] = alpha * sum_p x[p] * b[j * ldb + p] + beta * y[j]
//      (each y[j] a dot product of x with a contiguous row of b)
//   for j < n. x (k elements) and y (n elements) are contiguous. Only x[0, k), y[0, n) and the
//   B elements of those p and j are touched (tails use masked loads/stores). beta == 0 never
//   reads y (it may hold NaN). k >= 1, n >= 1.
// The arithmetic (and its order) of y[j] depends only on k and the data, never on n or on where
// j falls in a vector block, so the driver may split the outputs anywhere (e.g. over threads)
// without changing bits.
template <class T>
using GemvKernel = void (*)(int64_t n, int64_t k, const T* x, const T* b, int64_t ldb, T* y,
                            T alpha, T beta);

// Transposing pack contract (the operands whose lanes run along k: a row-major A, a B read
// through transposed strides, e.g. x W^T):
//   out[p * w + l] = src[l * ld + p] for l < lanes, p < kc (lanes <= w); lanes >= `lanes` of
//   out are left untouched (the caller zero-fills them). A pure copy, so the ISA never changes
//   bits.
template <class T>
using TransposeKernel = void (*)(int64_t lanes, int64_t kc, const T* src, int64_t ld, int w,
                                 T* out);

template <class T>
struct KernelDesc {
  MicroKernel<T> kernel;       // A in panel form
  MicroKernel<T> kernel_arow;  // A row-major, read in place
  int mr, nr;                  // register tile
  int kc;                   // K block: C is read and written k / kc times; sizes the micro-panels
  int mc;                   // M block: the packed A block (mc x kc) stays in L2 (per thread)
  int nc;                   // N block: the packed B block (kc x nc), shared by all threads
  GemvKernel<T> gemv_rows;  // B row-major (unit column stride)
  GemvKernel<T> gemv_cols;  // B column-major (unit row stride): dot products
  TransposeKernel<T> transpose;  // packs of step-contiguous lanes
};

// The baseline (SSE2 4x4 register blocks) transposing pack, defined in gemm.cpp; the AVX2
// family uses it too.
void transpose_pack_sse(int64_t lanes, int64_t kc, const float* src, int64_t ld, int w, float* out);
void transpose_pack_sse(int64_t lanes, int64_t kc, const double* src, int64_t ld, int w,
                        double* out);

// The GEMM's own micro-panel packing (gemm.cpp), for callers that pack an operand once and
// multiply many times (PackedWeight): lanes [0, total) x kc steps of src, lane l and step p at
// src[l * lane_stride + p * step_stride], into w-lane panels (panel q at out + q * w * kc,
// lanes past `total` zero). Step-contiguous lanes go through kd.transpose.
void pack_micro_panels(const KernelDesc<float>& kd, int w, int64_t total, int64_t kc,
                       const float* src, int64_t lane_stride, int64_t step_stride, float* out);
void pack_micro_panels(const KernelDesc<double>& kd, int w, int64_t total, int64_t kc,
                       const double* src, int64_t lane_stride, int64_t step_stride, double* out);

// The pf argument of the tile-th kernel call (0-based) on one B micro-panel `panel` of
// panel_bytes bytes and kc steps: the first calls together prefetch all of the panel `next`
// (one line per k step; the panel itself when it is the last), later ones the panel itself, a
// no-op on cached lines. Shared by the GEMM drivers (gemm.cpp) and PackedWeight.
const char* panel_prefetch(const void* panel, const void* next, int64_t panel_bytes, int64_t tile,
                           int64_t kc);

// Defined in gemm_avx512.cpp / gemm_avx2.cpp. Call only when cpu_isa() allows that level.
KernelDesc<float> avx512_desc_f32();
KernelDesc<double> avx512_desc_f64();
KernelDesc<float> avx2_desc_f32();
KernelDesc<double> avx2_desc_f64();

// Defined in gemm.cpp. The kernel family for `isa` (must be <= the CPU's level).
KernelDesc<float> kernel_desc_f32(Isa isa);
KernelDesc<double> kernel_desc_f64(Isa isa);

// Full GEMM (small-problem path, packing, threads) with an explicit ISA level: used by the
// public gemm_f32/gemm_f64 with cpu_isa(), and by tests to cover every level in one process.
void gemm_f32_isa(Isa isa, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
                  int64_t a_rs, int64_t a_cs, const float* b, int64_t b_rs, int64_t b_cs,
                  float beta, float* c, int64_t ldc);
void gemm_f64_isa(Isa isa, int64_t m, int64_t n, int64_t k, double alpha, const double* a,
                  int64_t a_rs, int64_t a_cs, const double* b, int64_t b_rs, int64_t b_cs,
                  double beta, double* c, int64_t ldc);

// Always-packed path with explicit blocking (no small-problem shortcut): lets tests force tiny
// kc/mc/nc so multi-block code paths run on small matrices, and benches tune block sizes.
void gemm_packed_f32(const KernelDesc<float>& kd, int64_t m, int64_t n, int64_t k, float alpha,
                     const float* a, int64_t a_rs, int64_t a_cs, const float* b, int64_t b_rs,
                     int64_t b_cs, float beta, float* c, int64_t ldc);
void gemm_packed_f64(const KernelDesc<double>& kd, int64_t m, int64_t n, int64_t k, double alpha,
                     const double* a, int64_t a_rs, int64_t a_cs, const double* b, int64_t b_rs,
                     int64_t b_cs, double beta, double* c, int64_t ldc);

}  // namespace ax::cpu::gemm_detail
