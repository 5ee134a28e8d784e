// Elementwise ops with NumPy broadcasting and PyTorch type promotion: arithmetic, comparisons,
// bitwise/logical, where, dtype conversion and copies. Each differentiable op records its
// backward (ops/elementwise.cpp); unary math lives in ops/unary.{h,cpp}.
#pragma once

#include "axonite/kernels/elementwise.h"
#include "axonite/tensor/tensor.h"

namespace ax {

// Result dtype of a binary op: dimensioned tensors outrank 0-d tensors, which outrank wrapped
// Python numbers; a lower tier only matters when its category (bool < int < float) is higher.
DType result_type(const Tensor& a, const Tensor& b);

Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);  // true division: ints promote to float
Tensor floor_divide(const Tensor& a, const Tensor& b);
Tensor remainder(const Tensor& a, const Tensor& b);
Tensor pow(const Tensor& a, const Tensor& b);
Tensor maximum(const Tensor& a, const Tensor& b);
Tensor minimum(const Tensor& a, const Tensor& b);

Tensor eq(const Tensor& a, const Tensor& b);
Tensor ne(const Tensor& a, const Tensor& b);
Tensor lt(const Tensor& a, const Tensor& b);
Tensor le(const Tensor& a, const Tensor& b);
Tensor gt(const Tensor& a, const Tensor& b);
Tensor ge(const Tensor& a, const Tensor& b);
Tensor bitwise_and(const Tensor& a, const Tensor& b);
Tensor bitwise_or(const Tensor& a, const Tensor& b);
Tensor bitwise_xor(const Tensor& a, const Tensor& b);
Tensor logical_not(const Tensor& a);

// where(cond, a, b): a where cond is true, else b; cond must be bool.
Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b);

// In-place forms: self = self op other (other broadcasts to self's shape; the result dtype must
// be castable to self's dtype). They bump self's version and, under autograd, rebase self's
// history onto the new node. Return self.
Tensor add_(const Tensor& self, const Tensor& other);
Tensor sub_(const Tensor& self, const Tensor& other);
Tensor mul_(const Tensor& self, const Tensor& other);
Tensor div_(const Tensor& self, const Tensor& other);
Tensor floor_divide_(const Tensor& self, const Tensor& other);
Tensor remainder_(const Tensor& self, const Tensor& other);
Tensor pow_(const Tensor& self, const Tensor& other);

// Differentiable dtype conversion (returns `t` itself when the dtype already matches).
Tensor to_dtype(const Tensor& t, DType dtype);
// A contiguous copy with the same dtype (differentiable).
Tensor clone(const Tensor& t);
// `t` if contiguous, else a contiguous copy (differentiable).
Tensor contiguous(const Tensor& t);
// The raw-kernel view of an op argument: t's values, contiguous, without autograd history (an
// undefined tensor, e.g. an absent bias, stays undefined).
Tensor contiguous_values(const Tensor& t);
// dst[...] = src broadcast to dst's shape, converting dtype. Differentiable in both; bumps dst.
Tensor copy_(const Tensor& dst, const Tensor& src);

bool all_finite(const Tensor& t);

namespace detail {
// Raw kernels without autograd, shared with ops/unary.cpp and other families.
Tensor binary_raw(cpu::BinaryOp op, const Tensor& a, const Tensor& b, DType compute,
                  DType out_dtype, const char* name);
Tensor unary_raw(cpu::UnaryOp op, const Tensor& x, const char* name);
void cast_into(const Tensor& dst, const Tensor& src);  // broadcast + convert, no autograd
// Turns `self` into the result of `result`'s history after an in-place write (see Note
// [In-place ops] in elementwise.cpp).
void rebase_history(const Tensor& self, const Tensor& result);
// Checks an in-place op on `self` is allowed under autograd; `name` is the op.
void check_inplace(const Tensor& self, const Tensor& other, const char* name);
// t's current values in new storage, with t's autograd identity (same grad_fn and output_nr):
// an op run on it saves values that a following in-place write to t cannot change.
Tensor snapshot(const Tensor& t);
}  // namespace detail

}  // namespace ax
