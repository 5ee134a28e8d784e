// Dense linear-algebra kernels on raw row-major pointers (no Tensor type here): LU with partial
// pivoting and its solve, Cholesky, Householder QR with Q/Q^T application and triangular solves
// (for least squares), row-wise vector norms and a plain int64 matrix product. Float kernels are
// overloaded on float and double so ops can call them from a dtype dispatch. Every matrix has unit
// column stride.
#pragma once

#include <cstdint>

namespace ax::cpu {

// a: (n, n), row stride lda -> L (unit lower, below the diagonal) and U (upper) of P A = L U.
// piv[i] = the row swapped with row i at step i (LAPACK getrf order). Returns 0, or j + 1 for
// the first exactly-zero pivot U[j, j] (the factorization still completes, as getrf does).
int64_t lu_factor(int64_t n, float* a, int64_t lda, int64_t* piv);
int64_t lu_factor(int64_t n, double* a, int64_t lda, int64_t* piv);

// lu, piv from lu_factor; b: (n, nrhs), row stride ldb -> X with A X = B, in place.
void lu_solve(int64_t n, int64_t nrhs, const float* lu, int64_t lda, const int64_t* piv, float* b,
              int64_t ldb);
void lu_solve(int64_t n, int64_t nrhs, const double* lu, int64_t lda, const int64_t* piv, double* b,
              int64_t ldb);

// a: (n, n) symmetric (only the lower triangle is read) -> its Cholesky factor L (A = L L^T) in
// the lower triangle, zeros above. Returns 0, or j + 1 when the leading minor of order j + 1 is
// not positive-definite (potrf's info).
int64_t cholesky(int64_t n, float* a, int64_t lda);
int64_t cholesky(int64_t n, double* a, int64_t lda);

// a: (m, n) with m >= n -> R in the upper triangle, Householder vectors v_j below the diagonal
// (v_j[j] = 1 implied); tau: (n). Q = H_0 H_1 ... H_{n-1}, H_j = I - tau_j v_j v_j^T.
void householder_qr(int64_t m, int64_t n, float* a, int64_t lda, float* tau);
void householder_qr(int64_t m, int64_t n, double* a, int64_t lda, double* tau);

// qr, tau from householder_qr of an (m, n) matrix; b: (m, k) -> Q^T b (apply_qt) or Q b
// (apply_q), in place.
void apply_qt(int64_t m, int64_t n, int64_t k, const float* qr, int64_t lda, const float* tau,
              float* b, int64_t ldb);
void apply_qt(int64_t m, int64_t n, int64_t k, const double* qr, int64_t lda, const double* tau,
              double* b, int64_t ldb);
void apply_q(int64_t m, int64_t n, int64_t k, const float* qr, int64_t lda, const float* tau,
             float* b, int64_t ldb);
void apply_q(int64_t m, int64_t n, int64_t k, const double* qr, int64_t lda, const double* tau,
             double* b, int64_t ldb);

// r: (n, n) upper triangular (only the upper triangle is read); b: (n, k) -> R^{-1} b
// (transposed = false) or R^{-T} b (transposed = true), in place.
void solve_upper(int64_t n, int64_t k, const float* r, int64_t ldr, float* b, int64_t ldb,
                 bool transposed);
void solve_upper(int64_t n, int64_t k, const double* r, int64_t ldr, double* b, int64_t ldb,
                 bool transposed);

// x: (rows, len) contiguous -> out: (rows,), the ord-norm of each row (ord may be +-inf or 0).
// Accumulates in double over fixed-size chunks combined in chunk order, so results do not
// depend on the thread count.
void vector_norm_rows(int64_t rows, int64_t len, const float* x, double ord, float* out);
void vector_norm_rows(int64_t rows, int64_t len, const double* x, double ord, double* out);

// C (m, n), row stride ldc = alpha * A (m, k) B (k, n) + beta * C, A and B read through element
// strides. Integer products have no fast path in PyTorch's CPU backend either: a plain loop.
void gemm_i64(int64_t m, int64_t n, int64_t k, int64_t alpha, const int64_t* a, int64_t a_rs,
              int64_t a_cs, const int64_t* b, int64_t b_rs, int64_t b_cs, int64_t beta, int64_t* c,
              int64_t ldc);

}  // namespace ax::cpu
