// Tensor factories: empty/zeros/ones/full (+ *_like), scalars, ranges, identity, random.
#pragma once

#include <cstdint>

#include "axonite/tensor/tensor.h"

namespace ax {

Tensor empty(const Dims& sizes, DType dtype = kDefaultFloat);
Tensor zeros(const Dims& sizes, DType dtype = kDefaultFloat);
Tensor ones(const Dims& sizes, DType dtype = kDefaultFloat);
Tensor full(const Dims& sizes, double value, DType dtype = kDefaultFloat);
Tensor empty_like(const Tensor& t);
Tensor zeros_like(const Tensor& t);
Tensor ones_like(const Tensor& t);
Tensor full_like(const Tensor& t, double value);
// 0-d tensor holding v. `wrapped` marks a Python number (lower priority in type promotion).
Tensor scalar_tensor(double v, DType dtype, bool wrapped = false);
Tensor scalar_tensor_int(int64_t v, bool wrapped = false);
// Writes `value` into every element of t (any strides); bumps t's version. No autograd.
void fill_(const Tensor& t, double value);

}  // namespace ax
