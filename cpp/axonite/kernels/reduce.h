// Reduction kernels on raw pointers (no Tensor type): sum/prod/max/min of x or of a mapped x
// (|x|, x-s, (x-s)^2, exp(x-s), |x|^p), and arg-reductions (index of the first max/min).
// ops/reduce.cpp owns dtype rules, errors and autograd; it describes the input with a
// ReduceGeom and gets a contiguous output in the keepdim layout.
#pragma once

#include <cstdint>

#include "axonite/core/dtype.h"
#include "axonite/core/shape.h"

namespace ax::cpu {

enum class ReduceOp : uint8_t { Sum, Prod, Max, Min };

// Elementwise map applied before reducing; `s` is the per-output shift, `p` the exponent.
enum class ReduceMap : uint8_t { None, Abs, Square, Shift, SquareShift, ExpShift, PowAbs };

// Note [Reduction order]
// Output o (row-major over the kept dims, i.e. the contiguous keepdim output) folds its reduced
// elements in a fixed order that depends only on the shapes and strides: the reduced dims are
// walked outer to inner, runs are cut into fixed-size units (kReduceBlock elements or
// kReduceRowBlock rows), each unit is reduced in SIMD lanes, and the unit partials are folded
// sequentially (in float64 for float32 sums). Threads only ever compute whole units or whole
// outputs, so results are bitwise identical for every thread count.
inline constexpr int64_t kReduceBlock = 16384;
inline constexpr int64_t kReduceRowBlock = 256;

struct ReduceGeom {
  // kInner: innermost reduced dim has stride 1 (rows are contiguous runs).
  // kOuter: innermost kept dim has stride 1 (vectorize across outputs, walk reduced rows).
  // kGeneric: anything else (scalar walk per output).
  enum Kind : uint8_t { kInner, kOuter, kGeneric };
  Kind kind = kGeneric;
  int nkept = 0;  // kept dims in output order, coalesced, size-1 dims dropped
  int64_t kept_size[kMaxDims] = {};
  int64_t kept_stride[kMaxDims] = {};  // input strides, in elements
  int nred = 0;  // reduced dims by decreasing input stride, coalesced, size-1 dims dropped
  int64_t red_size[kMaxDims] = {};
  int64_t red_stride[kMaxDims] = {};
  int64_t outputs = 1;  // number of outputs (product of kept sizes)
  int64_t count = 1;    // reduced elements per output
};

// sizes/strides (elements) describe the input; reduced[d] marks the dims to reduce.
ReduceGeom reduce_geometry(const Dims& sizes, const Dims& strides, const bool* reduced);

struct ReduceArgs {
  const void* in = nullptr;     // element 0 of the input view
  void* out = nullptr;          // g.outputs contiguous elements, same dtype as the input
  const void* shift = nullptr;  // g.outputs elements for the *Shift maps (input dtype)
  double p = 2.0;               // exponent of PowAbs
  double divisor = 1.0;         // Sum results are divided by it (mean, var); NaN/inf if 0
};

// Supported: Sum/Prod for float32/float64/int64 (map None; floats accept every map for Sum),
// Max/Min for float32/float64 (None or Abs), int64 and bool (None). Empty reductions give the
// identity (0, 1, -inf/+inf; bool: false/true).
void reduce(ReduceOp op, ReduceMap map, DType dt, const ReduceGeom& g, const ReduceArgs& a);

// x: reduced over at most one dim (g.nred <= 1, g.count >= 1) -> indices (int64) of the first
// max (is_max) or min of each output; NaN counts as the extreme and the first NaN wins.
// `values` (may be null) receives the selected elements. float32/float64/int64.
void arg_reduce(bool is_max, DType dt, const ReduceGeom& g, const void* in, void* values,
                int64_t* indices);

}  // namespace ax::cpu
