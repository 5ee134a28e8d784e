// The broadcasting pair: expand (a stride-0 view to a larger shape) and sum_to (its adjoint,
// summing a gradient back to an input's shape). Each is the other's backward.
#pragma once

#include "axonite/tensor/tensor.h"

namespace ax {

// View of x broadcast to `sizes` (-1 keeps a dim). Differentiable.
Tensor expand(const Tensor& x, const Dims& sizes);
// Sums x down to `sizes`, which must broadcast to x's shape. Returns x itself when equal.
Tensor sum_to(const Tensor& x, const Dims& sizes);

}  // namespace ax
