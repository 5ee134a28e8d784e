// Run-time ISA selection of the fused recurrent row passes; the loops live in rnn_gates_impl.h,
// compiled once per ISA.
#include "axonite/kernels/cpu/rnn_gates.h"

#include "axonite/core/cpu_features.h"

namespace ax::cpu {

// Defined by the per-ISA translation units that include rnn_gates_impl.h.
#define AX_DECLARE_ISA(ns)                            \
  namespace ns {                                      \
  const RnnGateKernels<float>& rnn_gate_table_f32();  \
  const RnnGateKernels<double>& rnn_gate_table_f64(); \
  }
AX_DECLARE_ISA(generic)
AX_DECLARE_ISA(avx2)
AX_DECLARE_ISA(avx512)
#undef AX_DECLARE_ISA

const RnnGateKernels<float>& rnn_gate_kernels_f32() {
  static const RnnGateKernels<float>& t = cpu_isa() == Isa::Avx512 ? avx512::rnn_gate_table_f32()
                                          : cpu_isa() == Isa::Avx2 ? avx2::rnn_gate_table_f32()
                                                                   : generic::rnn_gate_table_f32();
  return t;
}

const RnnGateKernels<double>& rnn_gate_kernels_f64() {
  static const RnnGateKernels<double>& t = cpu_isa() == Isa::Avx512 ? avx512::rnn_gate_table_f64()
                                           : cpu_isa() == Isa::Avx2 ? avx2::rnn_gate_table_f64()
                                                                    : generic::rnn_gate_table_f64();
  return t;
}

}  // namespace ax::cpu
