// Unary math ops (tensor methods and top-level functions in Python) and clamp, each with an
// in-place `_` form. Float-only functions promote bool/int64 inputs to the default float dtype.
#pragma once

#include <optional>

#include "axonite/kernels/elementwise.h"
#include "axonite/tensor/tensor.h"

namespace ax {

Tensor neg(const Tensor& x);
Tensor exp(const Tensor& x);
Tensor log(const Tensor& x);
Tensor log1p(const Tensor& x);
Tensor expm1(const Tensor& x);
Tensor sqrt(const Tensor& x);
Tensor rsqrt(const Tensor& x);
Tensor abs(const Tensor& x);
Tensor sign(const Tensor& x);
Tensor sin(const Tensor& x);
Tensor cos(const Tensor& x);
Tensor tanh(const Tensor& x);
Tensor sigmoid(const Tensor& x);
Tensor relu(const Tensor& x);
Tensor floor(const Tensor& x);
Tensor ceil(const Tensor& x);
Tensor round(const Tensor& x);
Tensor reciprocal(const Tensor& x);
// Bounds may be scalars (0-d wrapped tensors) or broadcastable tensors; at least one is given.
Tensor clamp(const Tensor& x, const std::optional<Tensor>& min, const std::optional<Tensor>& max);

// In-place: x = f(x). Same rules as the binary in-place ops (see ops/elementwise.h).
// The kernel enum names the ops; unary()/unary_() accept those from Neg to Reciprocal (the
// differentiable math functions), not LogicalNot.
using UnaryFn = cpu::UnaryOp;
Tensor unary(UnaryFn fn, const Tensor& x);
Tensor unary_(UnaryFn fn, const Tensor& x);
Tensor clamp_(const Tensor& x, const std::optional<Tensor>& min, const std::optional<Tensor>& max);

}  // namespace ax
