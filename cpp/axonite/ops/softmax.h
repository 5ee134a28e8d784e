// The softmax family (PyTorch semantics): softmax, log_softmax and softmin along one dim, with
// an optional dtype the input is converted to first. Forward and backward are fused, per-row
// kernels (kernels/activation.h); the backward is itself a recorded op for double backward.
#pragma once

#include <cstdint>
#include <optional>

#include "axonite/tensor/tensor.h"

namespace ax {

Tensor softmax(const Tensor& x, int64_t dim, std::optional<DType> dtype = std::nullopt);
Tensor log_softmax(const Tensor& x, int64_t dim, std::optional<DType> dtype = std::nullopt);
// softmax(-x).
Tensor softmin(const Tensor& x, int64_t dim, std::optional<DType> dtype = std::nullopt);

// Gradients given the forward's output y: softmax: y (g - sum(g y)); log_softmax:
// g - exp(y) sum(g), sums along dim. Nodes "SoftmaxBackwardDataBackward0" and
// "LogSoftmaxBackwardDataBackward0" when recorded.
Tensor softmax_backward(const Tensor& g, const Tensor& y, int64_t dim);
Tensor log_softmax_backward(const Tensor& g, const Tensor& y, int64_t dim);

}  // namespace ax
