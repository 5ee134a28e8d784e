// Normalization ops with PyTorch's F.* semantics: batch_norm (per channel over N and the
// spatial dims, running statistics updated in place), layer_norm (over the trailing
// normalized_shape) and group_norm (over groups of channels). Fused float64-accumulating kernels
// forward and backward; under create_graph the backward is written in differentiable ops.
#pragma once

#include "axonite/tensor/tensor.h"

namespace ax {

// input: (N, C, *); running_mean/var, weight, bias: (C,) or undefined. training uses batch
// statistics and, when given, updates the running ones in place with the unbiased variance:
// r = (1 - momentum) * r + momentum * batch_stat. Otherwise running statistics normalize.
Tensor batch_norm(const Tensor& input, const Tensor& running_mean, const Tensor& running_var,
                  const Tensor& weight, const Tensor& bias, bool training, double momentum,
                  double eps);
// input: (*, normalized_shape); weight, bias: normalized_shape or undefined.
Tensor layer_norm(const Tensor& input, const Dims& normalized_shape, const Tensor& weight,
                  const Tensor& bias, double eps);
// input: (N, C, *), C divisible by num_groups; weight, bias: (C,) or undefined.
Tensor group_norm(const Tensor& input, int64_t num_groups, const Tensor& weight, const Tensor& bias,
                  double eps);

}  // namespace ax
