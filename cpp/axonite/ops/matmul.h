// Matrix products with PyTorch semantics: matmul (every rank case, broadcast batch dims), mm,
// bmm, mv, dot, outer and addmm. float32/float64 run on the packed GEMM, int64 on a plain loop.
// Backwards are matmuls of transposed views (views.h matrix_T), so double backward works.
#pragma once

#include "axonite/tensor/tensor.h"

namespace ax {

// 1-D x 1-D: dot; 2-D x 1-D: mv; 1-D x 2-D: row vector times matrix; 2-D x 2-D: mm; N-D: a
// batched product whose leading (batch) dims broadcast. a: (*, n, k), b: (*, k, m) -> (*, n, m).
Tensor matmul(const Tensor& a, const Tensor& b);
Tensor mm(const Tensor& a, const Tensor& b);     // (n, k) x (k, m) -> (n, m)
Tensor bmm(const Tensor& a, const Tensor& b);    // (B, n, k) x (B, k, m) -> (B, n, m), no broadcast
Tensor mv(const Tensor& a, const Tensor& v);     // (n, k) x (k,) -> (n,)
Tensor dot(const Tensor& a, const Tensor& b);    // (n,) x (n,) -> ()
Tensor outer(const Tensor& a, const Tensor& b);  // (n,) x (m,) -> (n, m)
// beta * input + alpha * (mat1 @ mat2); input broadcasts to (n, m). beta == 0 ignores input
// (NaNs in it do not propagate), as in PyTorch.
Tensor addmm(const Tensor& input, const Tensor& mat1, const Tensor& mat2, double beta = 1.0,
             double alpha = 1.0);

}  // namespace ax
