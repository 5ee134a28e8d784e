// Run-time selection of the elementwise kernel table (AVX-512, AVX2 or portable) and the
// finite-check used by anomaly detection.
#include "axonite/kernels/elementwise.h"

#include <cmath>

#include "axonite/core/cpu_features.h"

namespace ax::cpu {

// Declared here, defined by the per-ISA translation units that include elementwise_impl.h.
#define AX_DECLARE_ISA(ns)                           \
  namespace ns {                                     \
  BinaryKernel binary_kernel(BinaryOp op, DType dt); \
  UnaryKernel unary_kernel(UnaryOp op, DType dt);    \
  UnaryKernel cast_kernel(DType to, DType from);     \
  }
AX_DECLARE_ISA(generic)
AX_DECLARE_ISA(avx2)
AX_DECLARE_ISA(avx512)
#undef AX_DECLARE_ISA

BinaryKernel binary_kernel(BinaryOp op, DType dt) {
  static const Isa isa = cpu_isa();
  if (isa == Isa::Avx512) return avx512::binary_kernel(op, dt);
  if (isa == Isa::Avx2) return avx2::binary_kernel(op, dt);
  return generic::binary_kernel(op, dt);
}

UnaryKernel unary_kernel(UnaryOp op, DType dt) {
  static const Isa isa = cpu_isa();
  if (isa == Isa::Avx512) return avx512::unary_kernel(op, dt);
  if (isa == Isa::Avx2) return avx2::unary_kernel(op, dt);
  return generic::unary_kernel(op, dt);
}

UnaryKernel cast_kernel(DType to, DType from) {
  static const Isa isa = cpu_isa();
  if (isa == Isa::Avx512) return avx512::cast_kernel(to, from);
  if (isa == Isa::Avx2) return avx2::cast_kernel(to, from);
  return generic::cast_kernel(to, from);
}

template <class T>
static bool all_finite(const T* p, int64_t n) {
  // Accumulating x - x turns every non-finite element into NaN without a branch per element.
  T acc = 0;
#pragma omp simd reduction(+ : acc)
  for (int64_t i = 0; i < n; ++i) acc += p[i] - p[i];
  return acc == acc;
}

bool all_finite_f32(const float* p, int64_t n) { return all_finite(p, n); }
bool all_finite_f64(const double* p, int64_t n) { return all_finite(p, n); }

}  // namespace ax::cpu
