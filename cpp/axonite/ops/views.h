// View ops: new geometry over the same storage, no copy (reshape copies only when it must).
// Every view records a backward so gradients flow through it.
#pragma once

#include "axonite/tensor/tensor.h"

namespace ax {

// Shape with at most one -1 resolved against numel; `op` names the caller in errors.
Dims infer_shape(const Dims& shape, int64_t numel, const char* op);
// Strides for viewing x with `shape` without copying, or false when impossible.
bool view_strides(const Tensor& x, const Dims& shape, Dims* strides);

Tensor view(const Tensor& x, const Dims& shape);
Tensor reshape(const Tensor& x, const Dims& shape);

}  // namespace ax
