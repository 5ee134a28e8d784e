// Activation and softmax kernels on raw contiguous buffers (no Tensor type here): one fused
// single-pass forward and one fused backward per pointwise activation, PReLU's per-channel
// loops, and row-wise softmax/log_softmax. ISA-specific bodies live in
// kernels/cpu/activation_impl.h and softmax_impl.h; the getters pick one at run time.
#pragma once

#include <cstdint>

#include "axonite/core/dtype.h"

namespace ax::cpu {

// Pointwise activations. Relu6 is Hardtanh(0, 6); Selu is Elu with fixed constants.
enum class Act : uint8_t {
  Relu,       // backward reads y
  Sigmoid,    // backward reads y
  Tanh,       // backward reads y
  LeakyRelu,  // a = negative_slope
  Elu,        // a = alpha, b = scale, c = input_scale: x > 0 ? b x : a b expm1(c x)
  Celu,       // Elu with (alpha, 1, 1/alpha); separate only for the node name
  Gelu,       // x Phi(x), exact
  GeluTanh,   // tanh approximation
  Silu,
  Mish,
  Softplus,  // a = beta, b = threshold
  Softsign,
  Hardtanh,  // a = min_val, b = max_val
  Hardsigmoid,
  Hardswish,
  LogSigmoid,
  Threshold,  // a = threshold, b = value: x <= a ? b : x
  Step,       // a = threshold, b = value: x > a ? 1 : (x == a ? b : 0); zero gradient
  Count
};

// Scalar parameters of an activation (meaning per op above).
struct ActParams {
  double a = 0, b = 0, c = 0;
};

// y[i] = f(x[i]) for i < n (contiguous).
using ActForwardKernel = void (*)(void* y, const void* x, int64_t n, const ActParams& p);
// gx[i] = g[i * gs] * f'(x[i]) for i < n, with xy = y instead of x for Relu/Sigmoid/Tanh.
// gs is 1 (contiguous g) or 0 (one value broadcast, as from sum().backward()).
using ActBackwardKernel = void (*)(void* gx, const void* g, const void* xy, int64_t n, int64_t gs,
                                   const ActParams& p);

ActForwardKernel act_forward_kernel(Act op, DType dt);
ActBackwardKernel act_backward_kernel(Act op, DType dt);

// x: (N, C, S), w: (C,) -> y: (N, C, S); y = x > 0 ? x : w[c] x.
void prelu_forward(DType dt, void* y, const void* x, const void* w, int64_t N, int64_t C,
                   int64_t S);
// g, x: (N, C, S), w: (C,) -> gx: (N, C, S), gw: (C,) (written, same dtype as w). Partial sums
// are taken over fixed blocks and combined in block order, so gw does not depend on threads.
void prelu_backward(DType dt, void* gx, void* gw, const void* g, const void* x, const void* w,
                    int64_t N, int64_t C, int64_t S);

// x: (outer, D, inner) contiguous -> y: same shape; softmax (or log_softmax when `log`) over D.
// Max-subtracted; parallel over rows above a size threshold; each row is computed by one
// thread in a fixed order, so results do not depend on the thread count.
void softmax_forward(DType dt, void* y, const void* x, int64_t outer, int64_t D, int64_t inner,
                     bool log);
// g, y: (outer, D, inner) -> gx. softmax: y (g - sum_D(g y)); log_softmax: g - exp(y) sum_D(g).
void softmax_backward(DType dt, void* gx, const void* g, const void* y, int64_t outer, int64_t D,
                      int64_t inner, bool log);

// Per-ISA pieces behind the drivers above (defined in activation_impl.h / softmax_impl.h).
// Rows: `rows` contiguous rows of length D. Cols: one (D, w) slab with row stride `inner`.
using SoftmaxRowsKernel = void (*)(void* y, const void* x, int64_t rows, int64_t D, bool log);
using SoftmaxColsKernel = void (*)(void* y, const void* x, int64_t D, int64_t inner, int64_t w,
                                   bool log);
using SoftmaxRowsBackwardKernel = void (*)(void* gx, const void* g, const void* y, int64_t rows,
                                           int64_t D, bool log);
using SoftmaxColsBackwardKernel = void (*)(void* gx, const void* g, const void* y, int64_t D,
                                           int64_t inner, int64_t w, bool log);
struct SoftmaxKernels {
  SoftmaxRowsKernel rows;
  SoftmaxColsKernel cols;
  SoftmaxRowsBackwardKernel rows_backward;
  SoftmaxColsBackwardKernel cols_backward;
};
// PReLU over an (N, C, S) slab; the backward adds weight-gradient sums into gw_acc (C doubles).
using PreluForwardKernel = void (*)(void* y, const void* x, const void* w, int64_t N, int64_t C,
                                    int64_t S);
using PreluBackwardKernel = void (*)(void* gx, double* gw_acc, const void* g, const void* x,
                                     const void* w, int64_t N, int64_t C, int64_t S);
struct PreluKernels {
  PreluForwardKernel forward;
  PreluBackwardKernel backward;
};

}  // namespace ax::cpu
