// Tensor factories: empty/zeros/ones/full (+ *_like), scalars, ranges (arange, linspace,
// logspace), identity, and the random ops (rand, randn, randint, randperm, bernoulli, normal,
// multinomial and the in-place fills). Random ops draw from `gen`, or the default generator
// when it is null (see core/rng.h). None of these record autograd history.
#pragma once

#include <cstdint>

#include "axonite/core/rng.h"
#include "axonite/tensor/tensor.h"

namespace ax {

Tensor empty(const Dims& sizes, DType dtype = kDefaultFloat);
Tensor zeros(const Dims& sizes, DType dtype = kDefaultFloat);
Tensor ones(const Dims& sizes, DType dtype = kDefaultFloat);
Tensor full(const Dims& sizes, double value, DType dtype = kDefaultFloat);
// Exact for every int64 value (a double only holds integers up to 2^53).
Tensor full_int(const Dims& sizes, int64_t value, DType dtype = DType::Int64);
Tensor empty_like(const Tensor& t);
Tensor zeros_like(const Tensor& t);
Tensor ones_like(const Tensor& t);
Tensor full_like(const Tensor& t, double value);
// 0-d tensor holding v. `wrapped` marks a Python number (lower priority in type promotion).
Tensor scalar_tensor(double v, DType dtype, bool wrapped = false);
Tensor scalar_tensor_int(int64_t v, bool wrapped = false);
// Writes `value` into every element of t (any strides); bumps t's version. No autograd.
void fill_(const Tensor& t, double value);
void fill_int_(const Tensor& t, int64_t value);

// [start, end) in steps of `step`, ceil((end - start) / step) elements, computed in double
// (float dtypes) as PyTorch does. For an integer dtype the arguments are truncated first.
Tensor arange(double start, double end, double step, DType dtype = kDefaultFloat);
// Exact integer form (all-int arguments).
Tensor arange_int(int64_t start, int64_t end, int64_t step, DType dtype = DType::Int64);
// `steps` points from start to end inclusive, symmetric around the midpoint like PyTorch.
Tensor linspace(double start, double end, int64_t steps, DType dtype = kDefaultFloat);
Tensor logspace(double start, double end, int64_t steps, double base = 10.0,
                DType dtype = kDefaultFloat);
// n x m with ones on the diagonal.
Tensor eye(int64_t n, int64_t m, DType dtype = kDefaultFloat);

// Uniform on [0, 1) / standard normal; floating dtypes only.
Tensor rand(const Dims& sizes, DType dtype = kDefaultFloat, Generator* gen = nullptr);
Tensor randn(const Dims& sizes, DType dtype = kDefaultFloat, Generator* gen = nullptr);
// Integers uniform on [low, high).
Tensor randint(int64_t low, int64_t high, const Dims& sizes, DType dtype = DType::Int64,
               Generator* gen = nullptr);
// A random permutation of 0..n-1 (Fisher-Yates).
Tensor randperm(int64_t n, DType dtype = DType::Int64, Generator* gen = nullptr);
// out[i] = 1 with probability probs[i]; same shape and dtype as probs.
Tensor bernoulli(const Tensor& probs, Generator* gen = nullptr);
// Like input (shape and dtype), each element 1 with probability p.
Tensor bernoulli(const Tensor& input, double p, Generator* gen = nullptr);
// mean + std * N(0, 1) with mean and std broadcast together.
Tensor normal(const Tensor& mean, const Tensor& std, Generator* gen = nullptr);
Tensor normal(double mean, double std, const Dims& sizes, DType dtype = kDefaultFloat,
              Generator* gen = nullptr);
// probs: (C,) or (R, C) non-negative weights -> (n,) or (R, n) int64 category indices.
Tensor multinomial(const Tensor& probs, int64_t num_samples, bool replacement = false,
                   Generator* gen = nullptr);

// In-place fills (any strides); they bump the version and return self.
Tensor uniform_(const Tensor& self, double from = 0.0, double to = 1.0, Generator* gen = nullptr);
Tensor normal_(const Tensor& self, double mean = 0.0, double std = 1.0, Generator* gen = nullptr);
Tensor exponential_(const Tensor& self, double lambd = 1.0, Generator* gen = nullptr);
Tensor bernoulli_(const Tensor& self, double p = 0.5, Generator* gen = nullptr);
// Normal(mean, std) truncated to [a, b] (a or b may be infinite), by inverse-CDF sampling:
// mean + std * Phi^{-1}(u) with u uniform on [Phi(alpha), Phi(beta)], alpha = (a - mean) / std,
// beta = (b - mean) / std; exact for any interval (no rejection loop), then clamped to [a, b]
// against rounding. Backs ax.nn.init.trunc_normal_.
Tensor trunc_normal_(const Tensor& self, double mean, double std, double a, double b,
                     Generator* gen = nullptr);
// p broadcasts to self's shape.
Tensor bernoulli_(const Tensor& self, const Tensor& p, Generator* gen = nullptr);

}  // namespace ax
