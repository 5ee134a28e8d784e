// ax.linalg: solve, inv, det, slogdet, cholesky, lstsq (LU with partial pivoting, Cholesky and
// Householder QR in kernels/linalg.h) and vector/matrix norms, batched over leading dims with
// broadcasting, for float32/float64. Every op is differentiable, with backwards written in
// differentiable ops (matmul, solve, inv), so higher-order gradients work. Matrix products are in
// ops/matmul.h.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "axonite/tensor/tensor.h"

namespace ax::linalg {

// A: (*, n, n), B: (*, n, k) or a batch of vectors (*, n) -> X with A X = B. B is a vector
// batch when B.dim() == 1 or B.shape == A.shape[:-1] (PyTorch's rule). Batch dims broadcast.
Tensor solve(const Tensor& A, const Tensor& B);
// A: (*, n, n) -> A^{-1}. RuntimeError on an exactly singular matrix.
Tensor inv(const Tensor& A);
// A: (*, n, n) -> (*,) determinants.
Tensor det(const Tensor& A);
// A: (*, n, n) -> (sign, log|det|), each (*,). A singular matrix gives (0, -inf).
std::pair<Tensor, Tensor> slogdet(const Tensor& A);

// A: (*, n, n) symmetric positive-definite -> L lower triangular with A = L L^T (upper: L^T).
// Only the lower triangle of A is read, as in PyTorch.
Tensor cholesky(const Tensor& A, bool upper = false);

// A: (*, m, n) -> (Q, R), A = Q R with k = min(m, n). mode "reduced": Q (*, m, k), R (*, k, n);
// "complete": Q (*, m, m), R (*, m, n); "r": Q empty (0,), R (*, k, n). Householder reflections
// as LAPACK's geqrf, so R's diagonal signs match torch.linalg.qr. Differentiable for full-rank
// A in "reduced" mode and in "complete" mode when m <= n (PyTorch's cases); the other modes
// raise RuntimeError in backward.
std::pair<Tensor, Tensor> qr(const Tensor& A, const std::string& mode = "reduced");

struct LstsqResult {
  Tensor solution, residuals, rank, singular_values;
};
// min ||A X - B||_F for full-rank A: (*, m, n), B: (*, m, k) or (*, m) when B.dim() == A.dim() - 1.
// m >= n: Householder QR of A; m < n: the minimum-norm solution through QR of A^T. driver is
// "gelsy" (default: rank reported) or "gels" (residuals reported when m > n).
LstsqResult lstsq(const Tensor& A, const Tensor& B, std::optional<double> rcond = std::nullopt,
                  const std::string& driver = "gelsy");

// A norm order: a number (inf / -inf / 0 allowed) or, for matrices, "fro" / "nuc".
struct NormOrd {
  double p = 2.0;
  std::string name;  // empty: numeric order p
};

// Vector p-norm over `dim` (empty = all elements) of a floating tensor.
Tensor vector_norm(const Tensor& x, double ord = 2.0, const std::vector<int64_t>& dim = {},
                   bool keepdim = false);
// Matrix norm over the two dims in `dim`: "fro", 1, -1, inf, -inf ("nuc" and +-2 need singular
// values and raise).
Tensor matrix_norm(const Tensor& A, const NormOrd& ord = NormOrd{0.0, "fro"},
                   const std::vector<int64_t>& dim = {-2, -1}, bool keepdim = false);
// torch.linalg.norm: a vector norm for one dim (or a flattened input without ord), a matrix norm
// for two dims (or a 2-D input with ord).
Tensor norm(const Tensor& x, const std::optional<NormOrd>& ord = std::nullopt,
            const std::optional<std::vector<int64_t>>& dim = std::nullopt, bool keepdim = false);

}  // namespace ax::linalg
