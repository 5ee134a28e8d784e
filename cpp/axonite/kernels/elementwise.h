// Elementwise kernels on raw pointers with byte strides (no Tensor type here). Each getter
// returns the kernel for the ISA chosen at run time (AVX-512, AVX2 or portable), or nullptr
// when the op is not defined for that dtype. Callers (ops/) handle promotion and broadcasting.
#pragma once

#include <cstdint>

#include "axonite/core/dtype.h"

namespace ax::cpu {

enum class BinaryOp : uint8_t {
  Add,
  Sub,
  Mul,
  Div,
  FloorDiv,
  Rem,
  Pow,
  Maximum,
  Minimum,
  Eq,
  Ne,
  Lt,
  Le,
  Gt,
  Ge,  // output bool
  BitAnd,
  BitOr,
  BitXor,  // bool and int64 only
  Count
};

enum class UnaryOp : uint8_t {
  Neg,
  Exp,
  Log,
  Log1p,
  Expm1,
  Sqrt,
  Rsqrt,
  Abs,
  Sign,
  Sin,
  Cos,
  Tanh,
  Sigmoid,
  Relu,
  Floor,
  Ceil,
  Round,
  Reciprocal,
  LogicalNot,
  Count
};

// out[i] = a[i] op b[i] for i < n; so/sa/sb are byte strides (0 = broadcast scalar).
using BinaryKernel = void (*)(char* out, const char* a, const char* b, int64_t n, int64_t so,
                              int64_t sa, int64_t sb);
// out[i] = op(a[i]).
using UnaryKernel = void (*)(char* out, const char* a, int64_t n, int64_t so, int64_t sa);

BinaryKernel binary_kernel(BinaryOp op, DType dt);
UnaryKernel unary_kernel(UnaryOp op, DType dt);
// out (dtype `to`) = a (dtype `from`) converted, with NumPy casting rules (bool: != 0).
UnaryKernel cast_kernel(DType to, DType from);

// True when every element of the contiguous float buffer is finite.
bool all_finite_f32(const float* p, int64_t n);
bool all_finite_f64(const double* p, int64_t n);

}  // namespace ax::cpu
