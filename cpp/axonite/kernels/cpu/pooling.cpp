// Run-time selection of the pooling/resampling kernel table (AVX-512, AVX2 or portable); the
// loops themselves live in pooling_impl.h, compiled once per ISA.
#include "axonite/kernels/pooling.h"

#include "axonite/core/cpu_features.h"

namespace ax::cpu {

// Defined by the per-ISA translation units that include pooling_impl.h.
#define AX_DECLARE_ISA(ns)                     \
  namespace ns {                               \
  const PoolKernels<float>& pool_table_f32();  \
  const PoolKernels<double>& pool_table_f64(); \
  }
AX_DECLARE_ISA(generic)
AX_DECLARE_ISA(avx2)
AX_DECLARE_ISA(avx512)
#undef AX_DECLARE_ISA

const PoolKernels<float>& pool_kernels_f32() {
  static const PoolKernels<float>& t = cpu_isa() == Isa::Avx512 ? avx512::pool_table_f32()
                                       : cpu_isa() == Isa::Avx2 ? avx2::pool_table_f32()
                                                                : generic::pool_table_f32();
  return t;
}

const PoolKernels<double>& pool_kernels_f64() {
  static const PoolKernels<double>& t = cpu_isa() == Isa::Avx512 ? avx512::pool_table_f64()
                                        : cpu_isa() == Isa::Avx2 ? avx2::pool_table_f64()
                                                                 : generic::pool_table_f64();
  return t;
}

}  // namespace ax::cpu
