// Softmax / log_softmax row kernels, compiled once per ISA (included by activation_{generic,
// avx2,avx512}.cpp after activation_impl.h). "Rows" reduce over the contiguous last dim; "cols"
// reduce over a strided dim, vectorizing across a block of neighbouring columns. Every row or
// column is reduced in one fixed order, so results never depend on how work is split.
#include <cmath>
#include <cstdint>
#include <limits>

#include "axonite/kernels/activation.h"
#include "axonite/kernels/cpu/vecmath.h"

#ifndef AX_ISA_NS
#error "define AX_ISA_NS before including softmax_impl.h"
#endif

namespace ax::cpu::AX_ISA_NS {
namespace {

// Columns per block in the strided kernels (stack buffers of this many running maxima/sums).
constexpr int64_t kColBlock = 64;

// x, y: (rows, D) -> y = softmax(x) or log_softmax(x) over D.
template <class T>
void softmax_rows(void* yv, const void* xv, int64_t rows, int64_t D, bool log) {
  for (int64_t r = 0; r < rows; ++r) {
    const T* x = static_cast<const T*>(xv) + r * D;
    T* y = static_cast<T*>(yv) + r * D;
    T m = -std::numeric_limits<T>::infinity();
#pragma omp simd reduction(max : m)
    for (int64_t j = 0; j < D; ++j) m = x[j] > m ? x[j] : m;
    T s = 0;
    if (log) {
#pragma omp simd reduction(+ : s)
      for (int64_t j = 0; j < D; ++j) s += math::exp<T>(x[j] - m);
      const T ls = std::log(s);
#pragma omp simd
      for (int64_t j = 0; j < D; ++j) y[j] = (x[j] - m) - ls;
    } else {
#pragma omp simd reduction(+ : s)
      for (int64_t j = 0; j < D; ++j) {
        const T e = math::exp<T>(x[j] - m);
        y[j] = e;
        s += e;
      }
      const T inv = T(1) / s;
#pragma omp simd
      for (int64_t j = 0; j < D; ++j) y[j] *= inv;
    }
  }
}

// g, y: (rows, D) -> gx. softmax: y (g - sum(g y)); log_softmax: g - exp(y) sum(g).
template <class T>
void softmax_rows_backward(void* gxv, const void* gv, const void* yv, int64_t rows, int64_t D,
                           bool log) {
  for (int64_t r = 0; r < rows; ++r) {
    const T* g = static_cast<const T*>(gv) + r * D;
    const T* y = static_cast<const T*>(yv) + r * D;
    T* gx = static_cast<T*>(gxv) + r * D;
    T s = 0;
    if (log) {
#pragma omp simd reduction(+ : s)
      for (int64_t j = 0; j < D; ++j) s += g[j];
#pragma omp simd
      for (int64_t j = 0; j < D; ++j) gx[j] = g[j] - math::exp<T>(y[j]) * s;
    } else {
#pragma omp simd reduction(+ : s)
      for (int64_t j = 0; j < D; ++j) s += g[j] * y[j];
#pragma omp simd
      for (int64_t j = 0; j < D; ++j) gx[j] = y[j] * (g[j] - s);
    }
  }
}

// x, y point at element (o, 0, i0) of an (outer, D, inner) array; columns i0 .. i0 + w.
template <class T>
void softmax_cols(void* yv, const void* xv, int64_t D, int64_t inner, int64_t w, bool log) {
  T m[kColBlock], s[kColBlock];
  for (int64_t c0 = 0; c0 < w; c0 += kColBlock) {
    const int64_t bw = w - c0 < kColBlock ? w - c0 : kColBlock;
    const T* x = static_cast<const T*>(xv) + c0;
    T* y = static_cast<T*>(yv) + c0;
    for (int64_t i = 0; i < bw; ++i) {
      m[i] = -std::numeric_limits<T>::infinity();
      s[i] = 0;
    }
    for (int64_t d = 0; d < D; ++d) {
      const T* xr = x + d * inner;
#pragma omp simd
      for (int64_t i = 0; i < bw; ++i) m[i] = xr[i] > m[i] ? xr[i] : m[i];
    }
    for (int64_t d = 0; d < D; ++d) {
      const T* xr = x + d * inner;
      T* yr = y + d * inner;
#pragma omp simd
      for (int64_t i = 0; i < bw; ++i) {
        const T e = math::exp<T>(xr[i] - m[i]);
        if (!log) yr[i] = e;
        s[i] += e;
      }
    }
    if (log) {
      for (int64_t i = 0; i < bw; ++i) s[i] = std::log(s[i]);
      for (int64_t d = 0; d < D; ++d) {
        const T* xr = x + d * inner;
        T* yr = y + d * inner;
#pragma omp simd
        for (int64_t i = 0; i < bw; ++i) yr[i] = (xr[i] - m[i]) - s[i];
      }
    } else {
      for (int64_t i = 0; i < bw; ++i) s[i] = T(1) / s[i];
      for (int64_t d = 0; d < D; ++d) {
        T* yr = y + d * inner;
#pragma omp simd
        for (int64_t i = 0; i < bw; ++i) yr[i] *= s[i];
      }
    }
  }
}

template <class T>
void softmax_cols_backward(void* gxv, const void* gv, const void* yv, int64_t D, int64_t inner,
                           int64_t w, bool log) {
  T s[kColBlock];
  for (int64_t c0 = 0; c0 < w; c0 += kColBlock) {
    const int64_t bw = w - c0 < kColBlock ? w - c0 : kColBlock;
    const T* g = static_cast<const T*>(gv) + c0;
    const T* y = static_cast<const T*>(yv) + c0;
    T* gx = static_cast<T*>(gxv) + c0;
    for (int64_t i = 0; i < bw; ++i) s[i] = 0;
    for (int64_t d = 0; d < D; ++d) {
      const T* gr = g + d * inner;
      const T* yr = y + d * inner;
#pragma omp simd
      for (int64_t i = 0; i < bw; ++i) s[i] += log ? gr[i] : gr[i] * yr[i];
    }
    for (int64_t d = 0; d < D; ++d) {
      const T* gr = g + d * inner;
      const T* yr = y + d * inner;
      T* o = gx + d * inner;
      if (log) {
#pragma omp simd
        for (int64_t i = 0; i < bw; ++i) o[i] = gr[i] - math::exp<T>(yr[i]) * s[i];
      } else {
#pragma omp simd
        for (int64_t i = 0; i < bw; ++i) o[i] = yr[i] * (gr[i] - s[i]);
      }
    }
  }
}

}  // namespace

SoftmaxKernels softmax_kernels(DType dt) {
  if (dt == DType::Float64)
    return SoftmaxKernels{softmax_rows<double>, softmax_cols<double>, softmax_rows_backward<double>,
                          softmax_cols_backward<double>};
  return SoftmaxKernels{softmax_rows<float>, softmax_cols<float>, softmax_rows_backward<float>,
                        softmax_cols_backward<float>};
}

}  // namespace ax::cpu::AX_ISA_NS
