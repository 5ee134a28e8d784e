// Reductions over one, several or all dims, with keepdim, PyTorch semantics: sum, mean, prod,
// amax/amin, max/min (full, or along a dim with indices), argmax/argmin, var/std (+ *_mean),
// logsumexp, norm, all/any, count_nonzero. Everywhere, an empty `dims` means all dims
// (PyTorch's dim=None or dim=()). Kernels: kernels/reduce.h.
#pragma once

#include <optional>
#include <utility>

#include "axonite/tensor/tensor.h"

namespace ax {

// `dtype` converts the input first and sets the result dtype; without it bool and int64
// inputs sum (and multiply) to int64, as in PyTorch.
Tensor sum(const Tensor& x, const Dims& dims = {}, bool keepdim = false,
           std::optional<DType> dtype = std::nullopt);
Tensor prod(const Tensor& x, const Dims& dims = {}, bool keepdim = false,
            std::optional<DType> dtype = std::nullopt);
// Floating inputs only (or a floating `dtype`), as in PyTorch.
Tensor mean(const Tensor& x, const Dims& dims = {}, bool keepdim = false,
            std::optional<DType> dtype = std::nullopt);

// Max/min values; NaN propagates. The gradient is shared evenly among tied elements.
Tensor amax(const Tensor& x, const Dims& dims = {}, bool keepdim = false);
Tensor amin(const Tensor& x, const Dims& dims = {}, bool keepdim = false);
// Over all elements (RuntimeError when empty).
Tensor max(const Tensor& x);
Tensor min(const Tensor& x);
// Along `dim`: (values, indices of the first extreme); the gradient goes to that index only.
std::pair<Tensor, Tensor> max(const Tensor& x, int64_t dim, bool keepdim = false);
std::pair<Tensor, Tensor> min(const Tensor& x, int64_t dim, bool keepdim = false);
// int64 indices; no dim: the index into the flattened tensor.
Tensor argmax(const Tensor& x, std::optional<int64_t> dim = std::nullopt, bool keepdim = false);
Tensor argmin(const Tensor& x, std::optional<int64_t> dim = std::nullopt, bool keepdim = false);

// Divides the sum of squared deviations by max(0, N - correction) (correction=1: unbiased).
Tensor var(const Tensor& x, const Dims& dims = {}, double correction = 1.0, bool keepdim = false);
Tensor std(const Tensor& x, const Dims& dims = {}, double correction = 1.0, bool keepdim = false);
// (var, mean) and (std, mean).
std::pair<Tensor, Tensor> var_mean(const Tensor& x, const Dims& dims = {}, double correction = 1.0,
                                   bool keepdim = false);
std::pair<Tensor, Tensor> std_mean(const Tensor& x, const Dims& dims = {}, double correction = 1.0,
                                   bool keepdim = false);

// log(sum(exp(x))) computed as m + log(sum(exp(x - m))), m = max; int inputs become float32.
Tensor logsumexp(const Tensor& x, const Dims& dims, bool keepdim = false);
// Vector p-norm over dims: p = 2 (also 'fro'), 1, inf, -inf, 0 (count of non-zeros) or any
// other real p.
Tensor norm(const Tensor& x, double p = 2.0, const Dims& dims = {}, bool keepdim = false,
            std::optional<DType> dtype = std::nullopt);

// Bool results: whether all / any elements are non-zero.
Tensor all(const Tensor& x, const Dims& dims = {}, bool keepdim = false);
Tensor any(const Tensor& x, const Dims& dims = {}, bool keepdim = false);
// int64 count of non-zero elements (never keeps dims, as in PyTorch).
Tensor count_nonzero(const Tensor& x, const Dims& dims = {});

}  // namespace ax
