// Linear layer op: y = x W^T + b with PyTorch's F.linear semantics (x: (*, in), W: (out, in),
// b: (out,)). One fused GEMM forward and a fused backward; see ops/linear.cpp.
#pragma once

#include "axonite/tensor/tensor.h"

namespace ax {

// input: (*, in), weight: (out, in) or (in,), bias: undefined, (out,), (1,), () or anything
// that broadcasts to the output -> (*, out) (or (*) for a 1-D weight).
Tensor linear(const Tensor& input, const Tensor& weight, const Tensor& bias = Tensor());

}  // namespace ax
