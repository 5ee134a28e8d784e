// Reduction geometry (sizes/strides/mask -> coalesced kept and reduced dims, and the loop kind)
// and run-time selection of the reduction kernels for the CPU's ISA (AVX-512, AVX2, portable).
#include "axonite/kernels/reduce.h"

#include <utility>

#include "axonite/core/cpu_features.h"

namespace ax::cpu {

#define AX_DECLARE_ISA(ns)                                                                     \
  namespace ns {                                                                               \
  void reduce(ReduceOp op, ReduceMap map, DType dt, const ReduceGeom& g, const ReduceArgs& a); \
  void arg_reduce(bool is_max, DType dt, const ReduceGeom& g, const void* in, void* values,    \
                  int64_t* indices);                                                           \
  }
AX_DECLARE_ISA(generic)
AX_DECLARE_ISA(avx2)
AX_DECLARE_ISA(avx512)
#undef AX_DECLARE_ISA

ReduceGeom reduce_geometry(const Dims& sizes, const Dims& strides, const bool* reduced) {
  ReduceGeom g;
  const int n = sizes.size();
  // Kept dims stay in output order; neighbours merge when the input lays them out as one dim
  // (the output is contiguous over kept dims, so it always does).
  for (int d = 0; d < n; ++d) {
    if (reduced[d] || sizes[d] == 1) continue;
    const int p = g.nkept - 1;
    if (p >= 0 && g.kept_stride[p] == strides[d] * sizes[d]) {
      g.kept_size[p] *= sizes[d];
      g.kept_stride[p] = strides[d];
    } else {
      g.kept_size[g.nkept] = sizes[d];
      g.kept_stride[g.nkept++] = strides[d];
    }
    g.outputs *= sizes[d];
  }
  // Reduced dims: by decreasing stride (stable), so the walk over them is as sequential in
  // memory as the layout allows, then merged where they form one run.
  int order[kMaxDims], nr = 0;
  for (int d = 0; d < n; ++d)
    if (reduced[d] && sizes[d] != 1) order[nr++] = d;
  for (int i = 1; i < nr; ++i)
    for (int j = i; j > 0 && strides[order[j - 1]] < strides[order[j]]; --j)
      std::swap(order[j - 1], order[j]);
  for (int i = 0; i < nr; ++i) {
    const int d = order[i], p = g.nred - 1;
    if (p >= 0 && g.red_stride[p] == strides[d] * sizes[d]) {
      g.red_size[p] *= sizes[d];
      g.red_stride[p] = strides[d];
    } else {
      g.red_size[g.nred] = sizes[d];
      g.red_stride[g.nred++] = strides[d];
    }
    g.count *= sizes[d];
  }
  if (g.nred > 0 && g.red_stride[g.nred - 1] == 1)
    g.kind = ReduceGeom::kInner;
  else if (g.nkept > 0 && g.kept_stride[g.nkept - 1] == 1)
    g.kind = ReduceGeom::kOuter;
  else
    g.kind = ReduceGeom::kGeneric;
  return g;
}

void reduce(ReduceOp op, ReduceMap map, DType dt, const ReduceGeom& g, const ReduceArgs& a) {
  static const Isa isa = cpu_isa();
  if (isa == Isa::Avx512) return avx512::reduce(op, map, dt, g, a);
  if (isa == Isa::Avx2) return avx2::reduce(op, map, dt, g, a);
  generic::reduce(op, map, dt, g, a);
}

void arg_reduce(bool is_max, DType dt, const ReduceGeom& g, const void* in, void* values,
                int64_t* indices) {
  static const Isa isa = cpu_isa();
  if (isa == Isa::Avx512) return avx512::arg_reduce(is_max, dt, g, in, values, indices);
  if (isa == Isa::Avx2) return avx2::arg_reduce(is_max, dt, g, in, values, indices);
  generic::arg_reduce(is_max, dt, g, in, values, indices);
}

}  // namespace ax::cpu
