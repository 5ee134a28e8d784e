// Reductions over one, several or all dims, with keepdim: sum, mean, prod, max/min (+ indices),
// argmax/argmin, var/std (correction), logsumexp, norm, all/any.
#pragma once

#include <optional>
#include <vector>

#include "axonite/tensor/tensor.h"

namespace ax {

// dims empty = reduce over all dims. `dtype` overrides the accumulation/output dtype;
// bool and int64 inputs sum to int64, as in PyTorch.
Tensor sum(const Tensor& x, const std::vector<int64_t>& dims = {}, bool keepdim = false,
           std::optional<DType> dtype = std::nullopt);

}  // namespace ax
