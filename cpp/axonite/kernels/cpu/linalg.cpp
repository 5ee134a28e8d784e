// Dense linear-algebra kernels: blocked LU with partial pivoting (panel + GEMM trailing update),
// blocked LU triangular solves, Householder QR with Q / Q^T application, upper-triangular solves
// and the plain int64 product. Row-major throughout; shapes are in kernels/linalg.h.
#include "axonite/kernels/linalg.h"

#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

#include "axonite/core/parallel.h"
#include "axonite/kernels/gemm.h"

namespace ax::cpu {
namespace {

// Panel / block width: small enough that the unblocked work stays in cache, large enough that
// the GEMM updates (where the O(n^3) flops go) run at packed-kernel speed.
constexpr int64_t kBlock = 64;

inline void gemm_t(int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t a_rs,
                   const float* b, int64_t b_rs, float beta, float* c, int64_t ldc) {
  gemm_f32(m, n, k, alpha, a, a_rs, 1, b, b_rs, 1, beta, c, ldc);
}
inline void gemm_t(int64_t m, int64_t n, int64_t k, double alpha, const double* a, int64_t a_rs,
                   const double* b, int64_t b_rs, double beta, double* c, int64_t ldc) {
  gemm_f64(m, n, k, alpha, a, a_rs, 1, b, b_rs, 1, beta, c, ldc);
}

// y[0:n] -= s * x[0:n]: the row update every substitution below is made of.
template <class T>
inline void axpy_neg(int64_t n, T s, const T* x, T* y) {
  for (int64_t j = 0; j < n; ++j) y[j] -= s * x[j];
}

template <class T>
int64_t lu_factor_t(int64_t n, T* a, int64_t lda, int64_t* piv) {
  int64_t info = 0;
  for (int64_t j0 = 0; j0 < n; j0 += kBlock) {
    const int64_t jb = std::min(kBlock, n - j0), j1 = j0 + jb;
    // Unblocked factorization of the panel a[j0:n, j0:j1]; swaps move whole rows, so the L
    // columns to the left and the not-yet-updated columns to the right follow the pivoting.
    for (int64_t j = j0; j < j1; ++j) {
      int64_t p = j;
      T best = std::abs(a[j * lda + j]);
      for (int64_t i = j + 1; i < n; ++i) {
        const T v = std::abs(a[i * lda + j]);
        if (v > best) best = v, p = i;
      }
      piv[j] = p;
      if (p != j)
        for (int64_t c = 0; c < n; ++c) std::swap(a[j * lda + c], a[p * lda + c]);
      if (a[j * lda + j] == T(0)) {
        if (info == 0) info = j + 1;  // singular: leave the column, keep factoring (getrf)
        continue;
      }
      const T inv = T(1) / a[j * lda + j];
      for (int64_t i = j + 1; i < n; ++i) {
        T* row = a + i * lda;
        row[j] *= inv;
        axpy_neg(j1 - j - 1, row[j], a + j * lda + j + 1, row + j + 1);
      }
    }
    if (j1 == n) break;
    // U12 = L11^{-1} A12 (unit lower forward substitution over the panel rows).
    for (int64_t r = j0 + 1; r < j1; ++r)
      for (int64_t q = j0; q < r; ++q)
        axpy_neg(n - j1, a[r * lda + q], a + q * lda + j1, a + r * lda + j1);
    // A22 -= L21 U12.
    gemm_t(n - j1, n - j1, jb, T(-1), a + j1 * lda + j0, lda, a + j0 * lda + j1, lda, T(1),
           a + j1 * lda + j1, lda);
  }
  return info;
}

template <class T>
void lu_solve_t(int64_t n, int64_t nrhs, const T* lu, int64_t lda, const int64_t* piv, T* b,
                int64_t ldb) {
  for (int64_t i = 0; i < n; ++i)
    if (piv[i] != i)
      for (int64_t c = 0; c < nrhs; ++c) std::swap(b[i * ldb + c], b[piv[i] * ldb + c]);
  // L y = P b, by row blocks: the block's dependence on earlier rows is one GEMM.
  for (int64_t i0 = 0; i0 < n; i0 += kBlock) {
    const int64_t i1 = std::min(n, i0 + kBlock);
    if (i0 > 0)
      gemm_t(i1 - i0, nrhs, i0, T(-1), lu + i0 * lda, lda, b, ldb, T(1), b + i0 * ldb, ldb);
    for (int64_t i = i0 + 1; i < i1; ++i)
      for (int64_t q = i0; q < i; ++q) axpy_neg(nrhs, lu[i * lda + q], b + q * ldb, b + i * ldb);
  }
  // U x = y, bottom block first.
  for (int64_t i1 = n; i1 > 0; i1 -= kBlock) {
    const int64_t i0 = std::max<int64_t>(0, i1 - kBlock);
    if (i1 < n)
      gemm_t(i1 - i0, nrhs, n - i1, T(-1), lu + i0 * lda + i1, lda, b + i1 * ldb, ldb, T(1),
             b + i0 * ldb, ldb);
    for (int64_t i = i1 - 1; i >= i0; --i) {
      T* bi = b + i * ldb;
      for (int64_t q = i + 1; q < i1; ++q) axpy_neg(nrhs, lu[i * lda + q], b + q * ldb, bi);
      const T inv = T(1) / lu[i * lda + i];
      for (int64_t c = 0; c < nrhs; ++c) bi[c] *= inv;
    }
  }
}

// Row-oriented (Cholesky-Crout): every entry is a dot product of two contiguous row prefixes.
template <class T>
int64_t cholesky_t(int64_t n, T* a, int64_t lda) {
  for (int64_t i = 0; i < n; ++i) {
    T* ri = a + i * lda;
    for (int64_t j = 0; j <= i; ++j) {
      const T* rj = a + j * lda;
      T s = ri[j];
      for (int64_t k = 0; k < j; ++k) s -= ri[k] * rj[k];
      if (j < i) {
        ri[j] = s / rj[j];
      } else {
        if (!(s > T(0))) return i + 1;  // also catches NaN
        ri[i] = std::sqrt(s);
      }
    }
    for (int64_t j = i + 1; j < n; ++j) ri[j] = T(0);
  }
  return 0;
}

// Applies H_j = I - tau v v^T (v = [1, qr[j+1:m, j]]) to rows j..m-1 of b (k columns).
// w holds v^T b for each column, so both passes walk b row by row (unit stride).
template <class T>
void apply_reflector(int64_t m, int64_t j, int64_t k, const T* qr, int64_t lda, T tau, T* b,
                     int64_t ldb, T* w) {
  if (tau == T(0)) return;
  for (int64_t c = 0; c < k; ++c) w[c] = b[j * ldb + c];
  for (int64_t i = j + 1; i < m; ++i) {
    const T v = qr[i * lda + j];
    const T* bi = b + i * ldb;
    for (int64_t c = 0; c < k; ++c) w[c] += v * bi[c];
  }
  for (int64_t c = 0; c < k; ++c) b[j * ldb + c] -= tau * w[c];
  for (int64_t i = j + 1; i < m; ++i) axpy_neg(k, tau * qr[i * lda + j], w, b + i * ldb);
}

template <class T>
void householder_qr_t(int64_t m, int64_t n, T* a, int64_t lda, T* tau) {
  std::vector<T> w(n > 0 ? n : 1);
  for (int64_t j = 0; j < n; ++j) {
    // Reflector that maps x = a[j:m, j] onto beta e_0 with beta = -sign(x0) ||x|| (no
    // cancellation in x0 - beta); scaled so that v[0] = 1.
    T sq = 0;
    for (int64_t i = j + 1; i < m; ++i) sq += a[i * lda + j] * a[i * lda + j];
    const T alpha = a[j * lda + j];
    if (sq == T(0)) {
      tau[j] = 0;
      continue;
    }
    const T norm = std::sqrt(alpha * alpha + sq);
    const T beta = alpha >= T(0) ? -norm : norm;
    tau[j] = (beta - alpha) / beta;
    const T scale = T(1) / (alpha - beta);
    for (int64_t i = j + 1; i < m; ++i) a[i * lda + j] *= scale;
    a[j * lda + j] = beta;
    // Trailing columns j+1..n-1 get H_j applied; apply_reflector reads v from column j.
    if (j + 1 < n) {
      const T t = tau[j];
      T* wp = w.data();
      const int64_t k = n - j - 1;
      for (int64_t c = 0; c < k; ++c) wp[c] = a[j * lda + j + 1 + c];
      for (int64_t i = j + 1; i < m; ++i) {
        const T v = a[i * lda + j];
        const T* ai = a + i * lda + j + 1;
        for (int64_t c = 0; c < k; ++c) wp[c] += v * ai[c];
      }
      for (int64_t c = 0; c < k; ++c) a[j * lda + j + 1 + c] -= t * wp[c];
      for (int64_t i = j + 1; i < m; ++i) axpy_neg(k, t * a[i * lda + j], wp, a + i * lda + j + 1);
    }
  }
}

template <class T>
void apply_q_t(int64_t m, int64_t n, int64_t k, const T* qr, int64_t lda, const T* tau, T* b,
               int64_t ldb, bool transposed) {
  std::vector<T> w(k > 0 ? k : 1);
  // Q^T = H_{n-1} ... H_0 applies H_0 first; Q applies H_{n-1} first.
  for (int64_t s = 0; s < n; ++s) {
    const int64_t j = transposed ? s : n - 1 - s;
    apply_reflector(m, j, k, qr, lda, tau[j], b, ldb, w.data());
  }
}

template <class T>
void solve_upper_t(int64_t n, int64_t k, const T* r, int64_t ldr, T* b, int64_t ldb,
                   bool transposed) {
  if (transposed) {  // R^T is lower triangular: forward substitution
    for (int64_t i = 0; i < n; ++i) {
      T* bi = b + i * ldb;
      for (int64_t q = 0; q < i; ++q) axpy_neg(k, r[q * ldr + i], b + q * ldb, bi);
      const T inv = T(1) / r[i * ldr + i];
      for (int64_t c = 0; c < k; ++c) bi[c] *= inv;
    }
    return;
  }
  for (int64_t i = n - 1; i >= 0; --i) {
    T* bi = b + i * ldb;
    for (int64_t q = i + 1; q < n; ++q) axpy_neg(k, r[i * ldr + q], b + q * ldb, bi);
    const T inv = T(1) / r[i * ldr + i];
    for (int64_t c = 0; c < k; ++c) bi[c] *= inv;
  }
}

// Norm kinds with their own partial/combine rules (the rest are sums of |x|^p).
enum class NormKind { Two, One, Zero, Max, Min, P };

NormKind norm_kind(double ord) {
  if (ord == 2.0) return NormKind::Two;
  if (ord == 1.0) return NormKind::One;
  if (ord == 0.0) return NormKind::Zero;
  if (std::isinf(ord)) return ord > 0 ? NormKind::Max : NormKind::Min;
  return NormKind::P;
}

// Partial of one chunk x[0:n]: a sum (Two, One, Zero, P) or an extreme of |x| (Max, Min).
template <class T>
double norm_partial(const T* x, int64_t n, NormKind kind, double ord) {
  double acc[4] = {0, 0, 0, 0};
  int64_t i = 0;
  switch (kind) {
    case NormKind::Two:  // four accumulators: independent FMA chains
      for (; i + 4 <= n; i += 4)
        for (int u = 0; u < 4; ++u) acc[u] += double(x[i + u]) * double(x[i + u]);
      for (; i < n; ++i) acc[0] += double(x[i]) * double(x[i]);
      return (acc[0] + acc[1]) + (acc[2] + acc[3]);
    case NormKind::One:
      for (; i + 4 <= n; i += 4)
        for (int u = 0; u < 4; ++u) acc[u] += std::abs(double(x[i + u]));
      for (; i < n; ++i) acc[0] += std::abs(double(x[i]));
      return (acc[0] + acc[1]) + (acc[2] + acc[3]);
    case NormKind::Zero:
      for (; i < n; ++i) acc[0] += x[i] != T(0) ? 1.0 : 0.0;
      return acc[0];
    case NormKind::Max: {
      double m = 0;
      for (; i < n; ++i) {
        const double v = std::abs(double(x[i]));
        if (std::isnan(v)) return v;  // NaN propagates, as in max()
        if (v > m) m = v;
      }
      return m;
    }
    case NormKind::Min: {
      double m = INFINITY;
      for (; i < n; ++i) {
        const double v = std::abs(double(x[i]));
        if (std::isnan(v)) return v;
        if (v < m) m = v;
      }
      return m;
    }
    case NormKind::P:
      for (; i < n; ++i) acc[0] += std::pow(std::abs(double(x[i])), ord);
      return acc[0];
  }
  return 0;
}

template <class T>
void vector_norm_rows_t(int64_t rows, int64_t len, const T* x, double ord, T* out) {
  constexpr int64_t kChunk = 16384;  // fixed: chunk boundaries depend only on len
  const NormKind kind = norm_kind(ord);
  const int64_t nchunks = len > 0 ? (len + kChunk - 1) / kChunk : 1;
  std::vector<double> part(static_cast<size_t>(rows * nchunks));
  const int64_t grain = std::max<int64_t>(1, kChunk / std::max<int64_t>(1, std::min(len, kChunk)));
  parallel_for(0, rows * nchunks, grain, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t r = t / nchunks, c = t % nchunks, b = c * kChunk;
      part[t] = norm_partial(x + r * len + b, std::min(kChunk, len - b), kind, ord);
    }
  });
  for (int64_t r = 0; r < rows; ++r) {
    const double* p = part.data() + r * nchunks;
    double s = p[0];
    for (int64_t c = 1; c < nchunks; ++c) {
      if (kind == NormKind::Max)
        s = (p[c] > s || std::isnan(p[c])) ? p[c] : s;
      else if (kind == NormKind::Min)
        s = (p[c] < s || std::isnan(p[c])) ? p[c] : s;
      else
        s += p[c];
    }
    if (kind == NormKind::Two)
      s = std::sqrt(s);
    else if (kind == NormKind::P)
      s = std::pow(s, 1.0 / ord);
    out[r] = static_cast<T>(s);
  }
}

}  // namespace

void vector_norm_rows(int64_t rows, int64_t len, const float* x, double ord, float* out) {
  vector_norm_rows_t(rows, len, x, ord, out);
}
void vector_norm_rows(int64_t rows, int64_t len, const double* x, double ord, double* out) {
  vector_norm_rows_t(rows, len, x, ord, out);
}

int64_t lu_factor(int64_t n, float* a, int64_t lda, int64_t* piv) {
  return lu_factor_t(n, a, lda, piv);
}
int64_t lu_factor(int64_t n, double* a, int64_t lda, int64_t* piv) {
  return lu_factor_t(n, a, lda, piv);
}

void lu_solve(int64_t n, int64_t nrhs, const float* lu, int64_t lda, const int64_t* piv, float* b,
              int64_t ldb) {
  lu_solve_t(n, nrhs, lu, lda, piv, b, ldb);
}
void lu_solve(int64_t n, int64_t nrhs, const double* lu, int64_t lda, const int64_t* piv, double* b,
              int64_t ldb) {
  lu_solve_t(n, nrhs, lu, lda, piv, b, ldb);
}

int64_t cholesky(int64_t n, float* a, int64_t lda) { return cholesky_t(n, a, lda); }
int64_t cholesky(int64_t n, double* a, int64_t lda) { return cholesky_t(n, a, lda); }

void householder_qr(int64_t m, int64_t n, float* a, int64_t lda, float* tau) {
  householder_qr_t(m, n, a, lda, tau);
}
void householder_qr(int64_t m, int64_t n, double* a, int64_t lda, double* tau) {
  householder_qr_t(m, n, a, lda, tau);
}

void apply_qt(int64_t m, int64_t n, int64_t k, const float* qr, int64_t lda, const float* tau,
              float* b, int64_t ldb) {
  apply_q_t(m, n, k, qr, lda, tau, b, ldb, true);
}
void apply_qt(int64_t m, int64_t n, int64_t k, const double* qr, int64_t lda, const double* tau,
              double* b, int64_t ldb) {
  apply_q_t(m, n, k, qr, lda, tau, b, ldb, true);
}
void apply_q(int64_t m, int64_t n, int64_t k, const float* qr, int64_t lda, const float* tau,
             float* b, int64_t ldb) {
  apply_q_t(m, n, k, qr, lda, tau, b, ldb, false);
}
void apply_q(int64_t m, int64_t n, int64_t k, const double* qr, int64_t lda, const double* tau,
             double* b, int64_t ldb) {
  apply_q_t(m, n, k, qr, lda, tau, b, ldb, false);
}

void solve_upper(int64_t n, int64_t k, const float* r, int64_t ldr, float* b, int64_t ldb,
                 bool transposed) {
  solve_upper_t(n, k, r, ldr, b, ldb, transposed);
}
void solve_upper(int64_t n, int64_t k, const double* r, int64_t ldr, double* b, int64_t ldb,
                 bool transposed) {
  solve_upper_t(n, k, r, ldr, b, ldb, transposed);
}

void gemm_i64(int64_t m, int64_t n, int64_t k, int64_t alpha, const int64_t* a, int64_t a_rs,
              int64_t a_cs, const int64_t* b, int64_t b_rs, int64_t b_cs, int64_t beta, int64_t* c,
              int64_t ldc) {
  const int64_t grain = std::max<int64_t>(1, 32768 / std::max<int64_t>(1, n * k));
  parallel_for(0, m, grain, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) {
      int64_t* ci = c + i * ldc;
      for (int64_t j = 0; j < n; ++j) ci[j] = beta == 0 ? 0 : beta * ci[j];
      for (int64_t p = 0; p < k; ++p) {
        // Unsigned wraparound: overflow is defined (two's complement), as in PyTorch's loop.
        const uint64_t av =
            static_cast<uint64_t>(alpha) * static_cast<uint64_t>(a[i * a_rs + p * a_cs]);
        const int64_t* bp = b + p * b_rs;
        for (int64_t j = 0; j < n; ++j)
          ci[j] = static_cast<int64_t>(static_cast<uint64_t>(ci[j]) +
                                       av * static_cast<uint64_t>(bp[j * b_cs]));
      }
    }
  });
}

}  // namespace ax::cpu
