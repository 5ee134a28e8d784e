// Packed, cache-blocked GEMM on raw pointers (no Tensor type here).
// C (m x n, row stride ldc, unit column stride) = alpha * A (m x k) * B (k x n) + beta * C.
// A and B are read through arbitrary element strides (rs = row stride, cs = column stride),
// so transposed and permuted views need no copy: packing absorbs the layout.
// The ISA (AVX-512, AVX2+FMA, portable) is chosen once at run time from CPUID.
// Results do not depend on the thread count: threads split only M/N blocks, and the
// K-blocking (the summation order of every output) depends only on the problem size.
#pragma once

#include <cstdint>

namespace ax::cpu {

void gemm_f32(int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t a_rs,
              int64_t a_cs, const float* b, int64_t b_rs, int64_t b_cs, float beta, float* c,
              int64_t ldc);
void gemm_f64(int64_t m, int64_t n, int64_t k, double alpha, const double* a, int64_t a_rs,
              int64_t a_cs, const double* b, int64_t b_rs, int64_t b_cs, double beta, double* c,
              int64_t ldc);

// gemm_f32 / gemm_f64 chosen by overload, for code templated on the element type.
void gemm(int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t a_rs, int64_t a_cs,
          const float* b, int64_t b_rs, int64_t b_cs, float beta, float* c, int64_t ldc);
void gemm(int64_t m, int64_t n, int64_t k, double alpha, const double* a, int64_t a_rs,
          int64_t a_cs, const double* b, int64_t b_rs, int64_t b_cs, double beta, double* c,
          int64_t ldc);

// Name of the kernel family gemm_f32/gemm_f64 dispatch to: "avx512", "avx2" or "generic".
const char* gemm_isa();

}  // namespace ax::cpu
