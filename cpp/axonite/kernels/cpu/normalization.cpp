// Run-time selection of the normalization-family kernel table (AVX-512, AVX2 or portable); the
// loops themselves live in normalization_impl.h, compiled once per ISA.
#include "axonite/kernels/normalization.h"

#include "axonite/core/cpu_features.h"

namespace ax::cpu {

// Defined by the per-ISA translation units that include normalization_impl.h.
#define AX_DECLARE_ISA(ns)                     \
  namespace ns {                               \
  const NormKernels<float>& norm_table_f32();  \
  const NormKernels<double>& norm_table_f64(); \
  }
AX_DECLARE_ISA(generic)
AX_DECLARE_ISA(avx2)
AX_DECLARE_ISA(avx512)
#undef AX_DECLARE_ISA

const NormKernels<float>& norm_kernels_f32() {
  static const NormKernels<float>& t = cpu_isa() == Isa::Avx512 ? avx512::norm_table_f32()
                                       : cpu_isa() == Isa::Avx2 ? avx2::norm_table_f32()
                                                                : generic::norm_table_f32();
  return t;
}

const NormKernels<double>& norm_kernels_f64() {
  static const NormKernels<double>& t = cpu_isa() == Isa::Avx512 ? avx512::norm_table_f64()
                                        : cpu_isa() == Isa::Avx2 ? avx2::norm_table_f64()
                                                                 : generic::norm_table_f64();
  return t;
}

}  // namespace ax::cpu
