// ax.linalg ops. Forwards copy each (broadcast) batch of matrices into one contiguous buffer and
// run the LU / QR kernels per matrix (threads across the batch for small matrices, inside the
// GEMM updates for large ones). Backwards are closed-form expressions in differentiable ops.
#include "axonite/ops/linalg.h"

#include <cmath>
#include <cstring>
#include <limits>

#include "axonite/autograd/record.h"
#include "axonite/core/parallel.h"
#include "axonite/kernels/linalg.h"
#include "axonite/ops/broadcast.h"
#include "axonite/ops/creation.h"
#include "axonite/ops/elementwise.h"
#include "axonite/ops/join.h"
#include "axonite/ops/matmul.h"
#include "axonite/ops/reduce.h"
#include "axonite/ops/unary.h"
#include "axonite/ops/views.h"

namespace ax::linalg {
namespace {

// Per-matrix flops below which a batch is split across threads (kernels then run serially).
constexpr int64_t kBatchParallelVolume = 64 * 64 * 64;

// PyTorch's ScalarType names, used verbatim in its linalg messages.
const char* type_name(DType d) {
  switch (d) {
    case DType::Bool:
      return "Bool";
    case DType::Int64:
      return "Long";
    case DType::Float32:
      return "Float";
    case DType::Float64:
      return "Double";
  }
  return "?";
}

void check_float(const Tensor& t, const char* op) {
  AXONITE_CHECK(is_floating(t.dtype()), RuntimeError, op,
                ": Expected a floating point or complex tensor as input. Got ",
                type_name(t.dtype()));
}

void check_square(const Tensor& A, const char* op) {
  check_float(A, op);
  AXONITE_CHECK(A.dim() >= 2, RuntimeError, op,
                ": The input tensor A must have at least 2 dimensions.");
  AXONITE_CHECK(A.size(-1) == A.size(-2), RuntimeError, op,
                ": A must be batches of square matrices, but they are ", A.size(-2), " by ",
                A.size(-1), " matrices");
}

void check_same_dtype(const Tensor& A, const Tensor& B, const char* op) {
  AXONITE_CHECK(A.dtype() == B.dtype(), RuntimeError, op,
                ": Expected A and B to have the same dtype, but found A of type ",
                type_name(A.dtype()), " and B of type ", type_name(B.dtype()), " instead");
}

Dims batch_of(const Dims& s) {
  Dims b;
  for (int i = 0; i + 2 < s.size(); ++i) b.push_back(s[i]);
  return b;
}

Dims with_matrix(Dims batch, int64_t rows, int64_t cols) {
  batch.push_back(rows);
  batch.push_back(cols);
  return batch;
}

// A contiguous copy of x broadcast to `shape`, outside autograd (kernels overwrite it).
Tensor materialize(const Tensor& x, const Dims& shape) {
  Tensor buf = Tensor::empty(shape, x.dtype());
  detail::cast_into(buf, x.detach());
  return buf;
}

// A fresh result with `shape` over t's (contiguous) storage: not a view, so no view_base.
Tensor reshaped_result(const Tensor& t, const Dims& shape) {
  return Tensor::from_storage(t.storage(), shape, contiguous_strides(shape), t.offset(), t.dtype());
}

// f(i) for each of nb matrices costing ~vol flops: threads across the batch when matrices are
// small, one at a time (kernels thread their GEMM updates) when large. Never nested.
template <class F>
void for_each_matrix(int64_t nb, int64_t vol, const F& f) {
  if (nb > 1 && vol < kBatchParallelVolume) {
    parallel_for(0, nb, std::max<int64_t>(1, 32768 / std::max<int64_t>(1, vol)),
                 [&](int64_t s, int64_t e) {
                   for (int64_t i = s; i < e; ++i) f(i);
                 });
  } else {
    for (int64_t i = 0; i < nb; ++i) f(i);
  }
}

Tensor unsqueeze_last(const Tensor& t) {
  Dims s = t.sizes();
  s.push_back(1);
  return reshape(t, s);
}

Tensor reduce_to(const Tensor& g, const Dims& shape) {
  return g.sizes() == shape ? g : sum_to(g, shape);
}

Tensor mT(const Tensor& x) { return matrix_T(x); }

// B is a batch of vectors for A X = B (PyTorch's linalg_solve_is_vector_rhs).
bool is_vector_rhs(const Tensor& A, const Tensor& B) {
  if (B.dim() == 1) return true;
  if (B.dim() != A.dim() - 1) return false;
  for (int i = 0; i < B.dim(); ++i)
    if (B.sizes()[i] != A.sizes()[i]) return false;
  return true;
}

// Every matrix of a contiguous (nb, n, n) buffer LU-factored in place; piv: (nb, n). Returns
// the first nonzero getrf info (1-based index of a zero pivot) per matrix; nullptr-safe rhs.
// rhs (nb, n, k), when given, is overwritten by the solution of each system.
std::vector<int64_t> lu_batched(const Tensor& lu, std::vector<int64_t>& piv, const Tensor* rhs,
                                const char* op) {
  const int64_t n = lu.size(-1), nb = lu.numel() / std::max<int64_t>(1, n * n);
  const int64_t k = rhs ? rhs->size(-1) : 0;
  std::vector<int64_t> info(static_cast<size_t>(nb), 0);
  piv.assign(static_cast<size_t>(nb * n), 0);
  if (n == 0) return info;
  dispatch_floating(lu.dtype(), op, [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* lp = lu.data<T>();
    T* xp = rhs ? rhs->data<T>() : nullptr;
    for_each_matrix(nb, n * n * (n + k), [&](int64_t i) {
      T* a = lp + i * n * n;
      int64_t* p = piv.data() + i * n;
      info[i] = cpu::lu_factor(n, a, n, p);
      if (xp && info[i] == 0) cpu::lu_solve(n, k, a, n, p, xp + i * n * k, k);
    });
  });
  return info;
}

}  // namespace

// ---- solve / inv / det / slogdet ------------------------------------------------------------

Tensor solve(const Tensor& A, const Tensor& B) {
  const char* op = "linalg.solve";
  check_square(A, op);
  check_same_dtype(A, B, op);
  const bool vec = is_vector_rhs(A, B);
  const Tensor B2 = vec ? unsqueeze_last(B.detach()) : B.detach();
  const int64_t n = A.size(-1), k = B2.size(-1);
  AXONITE_CHECK(B2.dim() >= 2 && B2.size(-2) == n, RuntimeError, op,
                ": Incompatible shapes of A and B for the equation AX = B (", n, "x", n, " and ",
                B2.dim() >= 2 ? B2.size(-2) : 0, "x", k, ")");
  const Dims batch = broadcast_shapes(batch_of(A.sizes()), batch_of(B2.sizes()), op);
  Tensor lu = materialize(A, with_matrix(batch, n, n));
  Tensor X = materialize(B2, with_matrix(batch, n, k));
  std::vector<int64_t> piv;
  for (int64_t info : lu_batched(lu, piv, &X, op))
    AXONITE_CHECK(info == 0, RuntimeError, op,
                  ": The solver failed because the input matrix is singular.");
  if (vec) {
    Dims s = batch;
    s.push_back(n);
    X = reshaped_result(X, s);
  }
  if (autograd::any_needs_grad({A, B})) {
    autograd::SavedTensor sA(A, false), sX(X, true);
    const bool ra = A.requires_grad(), rb = B.requires_grad();
    const Dims as = A.sizes(), bs = B.sizes(), b2s = B2.sizes();
    autograd::record("LinalgSolveExBackward0", {A, B}, X,
                     [sA, sX, ra, rb, vec, as, bs, b2s](const Tensor& g) {
                       const Tensor A = sA.unpack(), X = sX.unpack();
                       const Tensor G2 = vec ? unsqueeze_last(g) : g;
                       const Tensor X2 = vec ? unsqueeze_last(X) : X;
                       // dB = A^{-T} G, dA = -dB X^T (each summed over broadcast dims).
                       const Tensor gB2 = solve(mT(A), G2);
                       Tensor gA, gB;
                       if (ra) gA = reduce_to(neg(matmul(gB2, mT(X2))), as);
                       if (rb) gB = reshape(reduce_to(gB2, b2s), bs);
                       return TensorList{gA, gB};
                     });
  }
  return X;
}

Tensor inv(const Tensor& A) {
  const char* op = "linalg.inv";
  check_square(A, op);
  const int64_t n = A.size(-1);
  Tensor lu = materialize(A, A.sizes());
  Tensor Y = zeros(A.sizes(), A.dtype());
  dispatch_floating(A.dtype(), op, [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* y = Y.data<T>();
    for (int64_t i = 0; i < Y.numel(); i += n * n)
      for (int64_t j = 0; j < n; ++j) y[i + j * n + j] = T(1);
  });
  std::vector<int64_t> piv;
  for (int64_t info : lu_batched(lu, piv, &Y, op))
    AXONITE_CHECK(info == 0, RuntimeError, op, ": The diagonal element ", info,
                  " is zero, the inversion could not be completed because the input matrix is "
                  "singular.");
  if (autograd::needs_grad(A)) {
    autograd::SavedTensor sY(Y, true);
    autograd::record("LinalgInvExBackward0", {A}, Y, [sY](const Tensor& g) {
      const Tensor Yt = mT(sY.unpack());  // dA = -A^{-T} G A^{-T}
      return TensorList{neg(matmul(matmul(Yt, g), Yt))};
    });
  }
  return Y;
}

namespace {
// Per matrix of A, from one LU: the sign of det (+-1, or 0 when singular) and log|det| (a sum
// of logs, so large matrices neither overflow nor underflow), or det itself (a product in
// double, so float32 keeps full precision). Outputs left null are skipped.
void lu_det(const Tensor& A, const char* op, Tensor* sign, Tensor* logabs, Tensor* det) {
  const int64_t n = A.size(-1);
  const Dims batch = batch_of(A.sizes());
  Tensor lu = materialize(A, A.sizes());
  std::vector<int64_t> piv;
  lu_batched(lu, piv, nullptr, op);
  for (Tensor* t : {sign, logabs, det})
    if (t) *t = Tensor::empty(batch, A.dtype());
  dispatch_floating(A.dtype(), op, [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* lp = lu.data<T>();
    for (int64_t b = 0; b < numel_of(batch); ++b) {
      double s = 1, l = 0, d = 1;
      for (int64_t j = 0; j < n; ++j) {
        const double u = lp[b * n * n + j * n + j];
        if (piv[b * n + j] != j) s = -s, d = -d;
        s = u < 0 ? -s : u == 0 ? 0 : s;
        l += std::log(std::abs(u));
        d *= u;
      }
      if (sign) sign->data<T>()[b] = static_cast<T>(s);
      if (logabs) logabs->data<T>()[b] = static_cast<T>(l);
      if (det) det->data<T>()[b] = static_cast<T>(d);
    }
  });
}

// grad * d(log|det A|)/dA = grad * A^{-T}, with grad (batch,) broadcast over the matrix dims.
Tensor logdet_grad(const Tensor& g, const Tensor& A) {
  return mul(unsqueeze_last(unsqueeze_last(g)), mT(inv(A)));
}
}  // namespace

Tensor det(const Tensor& A) {
  const char* op = "linalg.det";
  check_square(A, op);
  Tensor d;
  lu_det(A, op, nullptr, nullptr, &d);
  if (autograd::needs_grad(A)) {
    autograd::SavedTensor sA(A, false), sd(d, true);
    // d det / dA = det * A^{-T} (needs an invertible A).
    autograd::record("LinalgDetBackward0", {A}, d, [sA, sd](const Tensor& g) {
      return TensorList{logdet_grad(mul(g, sd.unpack()), sA.unpack())};
    });
  }
  return d;
}

std::pair<Tensor, Tensor> slogdet(const Tensor& A) {
  const char* op = "linalg.slogdet";
  check_square(A, op);
  Tensor sign, logabs;
  lu_det(A, op, &sign, &logabs, nullptr);
  if (autograd::needs_grad(A)) {
    // Only log|det| is differentiable; sign is piecewise constant.
    autograd::SavedTensor sA(A, false);
    autograd::record("LinalgSlogdetBackward0", {A}, logabs,
                     [sA](const Tensor& g) { return TensorList{logdet_grad(g, sA.unpack())}; });
  }
  return {sign, logabs};
}

// ---- cholesky ---------------------------------------------------------------------------------

namespace {
// (n, n) mask: 1 where j <= i + offset (tril's convention), else 0.
Tensor tri_mask(int64_t n, DType dt, int64_t offset) {
  Tensor m = zeros(Dims{n, n}, dt);
  dispatch_floating(dt, "tril", [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* p = m.data<T>();
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < n && j <= i + offset; ++j) p[i * n + j] = T(1);
  });
  return m;
}
}  // namespace

Tensor cholesky(const Tensor& A, bool upper) {
  const char* op = "linalg.cholesky";
  check_square(A, op);
  const int64_t n = A.size(-1);
  Tensor L = materialize(A, A.sizes());
  const int64_t nb = n > 0 ? L.numel() / (n * n) : 0;
  std::vector<int64_t> info(static_cast<size_t>(nb), 0);
  dispatch_floating(A.dtype(), op, [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* p = L.data<T>();
    for_each_matrix(nb, n * n * n / 3,
                    [&](int64_t i) { info[i] = cpu::cholesky(n, p + i * n * n, n); });
  });
  for (int64_t v : info)
    AXONITE_CHECK(v == 0, RuntimeError, op,
                  ": The factorization could not be completed because the input is not "
                  "positive-definite (the leading minor of order ",
                  v, " is not positive-definite).");
  Tensor out = upper ? materialize(mT(L), A.sizes()) : L;
  if (autograd::needs_grad(A)) {
    autograd::SavedTensor so(out, true);
    autograd::record("LinalgCholeskyExBackward0", {A}, out, [so, upper, n](const Tensor& g) {
      const Tensor Lf = upper ? mT(so.unpack()) : so.unpack();
      const Tensor gL = upper ? mT(g) : g;
      const DType dt = Lf.dtype();
      // PyTorch's formula: T = tril(L^T gL), M = (T + tril(T, -1)^T) / 2 (symmetric),
      // dA = L^{-T} M L^{-1}.
      const Tensor T = mul(matmul(mT(Lf), gL), tri_mask(n, dt, 0));
      const Tensor M = mul(add(T, mT(mul(T, tri_mask(n, dt, -1)))), scalar_tensor(0.5, dt, true));
      const Tensor X = solve(mT(Lf), M);
      return TensorList{mT(solve(mT(Lf), mT(X)))};
    });
  }
  return out;
}

// ---- qr ---------------------------------------------------------------------------------------

namespace {
// X R^{-T} for upper-triangular R (*, n, n): the transpose of R^{-1} X^T.
Tensor right_solve_rt(const Tensor& X, const Tensor& R) { return mT(solve(R, mT(X))); }

// Gradient of A = Q R for a square-or-tall factorization, Q (*, m, n), R (*, n, n), m >= n
// (Liao et al. 2019, "Differentiable programming tensor networks"): with M = R gR^T - gQ^T Q,
// gA = (gQ + Q copyltu(M)) R^{-T}, copyltu(M) = tril(M) + tril(M, -1)^T.
Tensor qr_backward_tall(const Tensor& gQ, const Tensor& gR, const Tensor& Q, const Tensor& R) {
  const int64_t n = R.size(-1);
  const DType dt = R.dtype();
  const Tensor M = sub(matmul(R, mT(gR)), matmul(mT(gQ), Q));
  const Tensor sym = add(mul(M, tri_mask(n, dt, 0)), mT(mul(M, tri_mask(n, dt, -1))));
  return right_solve_rt(add(gQ, matmul(Q, sym)), R);
}
}  // namespace

std::pair<Tensor, Tensor> qr(const Tensor& A, const std::string& mode) {
  const char* op = "linalg.qr";
  check_float(A, op);
  AXONITE_CHECK(A.dim() >= 2, RuntimeError, op,
                ": The input tensor A must have at least 2 dimensions.");
  AXONITE_CHECK(mode == "reduced" || mode == "complete" || mode == "r", RuntimeError,
                "qr received unrecognized mode '", mode,
                "' but expected one of 'reduced' (default), 'r', or 'complete'");
  const int64_t m = A.size(-2), n = A.size(-1), k = std::min(m, n);
  const bool complete = mode == "complete", want_q = mode != "r";
  const int64_t qcols = complete ? m : k, rrows = complete ? m : k;
  const Dims batch = batch_of(A.sizes());
  const int64_t nb = numel_of(batch);
  const DType dt = A.dtype();
  Tensor fac = materialize(A, A.sizes());  // Householder vectors + R, in place
  Tensor R = zeros(with_matrix(batch, rrows, n), dt);
  Tensor Q = want_q ? zeros(with_matrix(batch, m, qcols), dt) : Tensor::empty(Dims{0}, dt);
  dispatch_floating(dt, op, [&](auto tag) {
    using T = typename decltype(tag)::type;
    std::vector<T> tau(static_cast<size_t>(nb * k + 1));
    T* fp = fac.data<T>();
    T* rp = R.data<T>();
    T* qp = want_q ? Q.data<T>() : nullptr;
    for_each_matrix(nb, m * n * k + (want_q ? m * qcols * k : 0), [&](int64_t i) {
      T* a = fp + i * m * n;
      T* t = tau.data() + i * k;
      // Reflectors from the first k columns; a wide A's remaining columns get Q^T applied.
      cpu::householder_qr(m, k, a, n, t);
      if (n > k) cpu::apply_qt(m, k, n - k, a, n, t, a + k, n);
      T* r = rp + i * rrows * n;
      for (int64_t row = 0; row < k; ++row)
        std::memcpy(r + row * n + row, a + row * n + row, sizeof(T) * (n - row));
      if (qp) {  // Q = H_0 ... H_{k-1} applied to the first qcols columns of I_m
        T* q = qp + i * m * qcols;
        for (int64_t j = 0; j < qcols; ++j) q[j * qcols + j] = T(1);
        cpu::apply_q(m, k, qcols, a, n, t, q, qcols);
      }
    });
  });
  if (autograd::needs_grad(A)) {
    autograd::SavedTensor sQ, sR(R, true, 1);
    if (want_q) sQ = autograd::SavedTensor(Q, true, 0);
    autograd::record("LinalgQrBackward0", {A}, TensorList{Q, R}, [=](const TensorList& g) {
      AXONITE_CHECK(want_q, RuntimeError,
                    "The derivative of linalg.qr depends on Q, which is not computed when "
                    "mode='r'. Please use linalg.qr(A, mode='reduced') if you are going to "
                    "differentiate through linalg.qr.");
      AXONITE_CHECK(!(complete && m > n), RuntimeError,
                    "The QR decomposition is not differentiable when mode='complete' and "
                    "nrows > ncols.");
      const Tensor Qv = sQ.unpack(), Rv = sR.unpack();
      if (m >= n) return TensorList{qr_backward_tall(g[0], g[1], Qv, Rv)};
      // Wide: A = [X | Y], R = [U | V] with X = Q U square and V = Q^T Y. Y reaches the loss
      // only through V, and V also depends on Q: gY = Q gV and gQ gains Y gV^T.
      const int d = Rv.dim() - 1;
      const Tensor U = narrow(Rv, d, 0, m), V = narrow(Rv, d, m, n - m);
      const Tensor gU = narrow(g[1], d, 0, m), gV = narrow(g[1], d, m, n - m);
      const Tensor gQ = add(g[0], matmul(matmul(Qv, V), mT(gV)));
      return TensorList{cat({qr_backward_tall(gQ, gU, Qv, U), matmul(Qv, gV)}, d)};
    });
  }
  return {Q, R};
}

// ---- lstsq ------------------------------------------------------------------------------------

LstsqResult lstsq(const Tensor& A, const Tensor& B, std::optional<double> rcond,
                  const std::string& driver) {
  const char* op = "linalg.lstsq";
  check_float(A, op);
  check_same_dtype(A, B, op);
  AXONITE_CHECK(driver == "gelsy" || driver == "gels", RuntimeError, op,
                ": parameter `driver` should be one of (gels, gelsy); got '", driver,
                "' (gelsd/gelss need an SVD, which axonite does not implement)");
  AXONITE_CHECK(A.dim() >= 2, RuntimeError, op,
                ": input must have at least 2 dimensions, got shape ", shape_str(A.sizes()));
  AXONITE_CHECK(B.dim() >= 1 && A.dim() >= B.dim() && A.dim() - B.dim() <= 1, RuntimeError, op,
                ": input.dim() must be greater or equal to other.dim() and (input.dim() - "
                "other.dim()) <= 1; got shapes ",
                shape_str(A.sizes()), " and ", shape_str(B.sizes()));
  const bool vec = B.dim() == A.dim() - 1;
  const Tensor B2 = vec ? unsqueeze_last(B.detach()) : B.detach();
  const int64_t m = A.size(-2), n = A.size(-1), k = B2.size(-1);
  AXONITE_CHECK(B2.size(-2) == m, RuntimeError, op,
                ": input.size(-2) should match other.size(-2); got shapes ", shape_str(A.sizes()),
                " and ", shape_str(B.sizes()));
  const Dims batch = broadcast_shapes(batch_of(A.sizes()), batch_of(B2.sizes()), op);
  const int64_t nb = numel_of(batch), r = std::min(m, n);
  const bool tall = m >= n;
  // Tall: QR of A (m, n). Wide: QR of A^T (n, m) for the minimum-norm solution.
  Tensor qr = materialize(tall ? A : mT(A.detach()), with_matrix(batch, tall ? m : n, r));
  Tensor rhs = materialize(B2, with_matrix(batch, m, k));
  Tensor X = zeros(with_matrix(batch, n, k), A.dtype());
  Tensor rank = Tensor::empty(batch, DType::Int64);
  const bool want_res = driver == "gels" && m > n;
  Tensor res = Tensor::empty(want_res ? with_matrix(batch, 1, k) : Dims{0}, A.dtype());
  dispatch_floating(A.dtype(), op, [&](auto tag) {
    using T = typename decltype(tag)::type;
    std::vector<T> tau(static_cast<size_t>(nb * r + 1));
    T* qp = qr.data<T>();
    T* bp = rhs.data<T>();
    T* xp = X.data<T>();
    int64_t* rk = rank.data<int64_t>();
    const double tol =
        rcond ? *rcond : std::numeric_limits<T>::epsilon() * static_cast<double>(std::max(m, n));
    for_each_matrix(nb, std::max(m, n) * r * (r + k), [&](int64_t i) {
      T* q = qp + i * (tall ? m : n) * r;
      T* b = bp + i * m * k;
      T* x = xp + i * n * k;
      T* t = tau.data() + i * r;
      cpu::householder_qr(tall ? m : n, r, q, r, t);
      double dmax = 0;
      for (int64_t j = 0; j < r; ++j) dmax = std::max(dmax, double(std::abs(q[j * r + j])));
      int64_t rr = 0;
      for (int64_t j = 0; j < r; ++j) rr += double(std::abs(q[j * r + j])) > tol * dmax;
      rk[i] = rr;
      if (rr < r) return;  // rank deficient: reported below, outside the parallel region
      if (tall) {
        cpu::apply_qt(m, n, k, q, r, t, b, k);
        cpu::solve_upper(n, k, q, r, b, k, false);
        std::memcpy(x, b, sizeof(T) * n * k);
        if (want_res) {
          T* rs = res.data<T>() + i * k;
          for (int64_t c = 0; c < k; ++c) rs[c] = 0;
          for (int64_t row = n; row < m; ++row)
            for (int64_t c = 0; c < k; ++c) rs[c] += b[row * k + c] * b[row * k + c];
        }
      } else {
        cpu::solve_upper(m, k, q, r, b, k, true);  // R^T Y = B
        std::memcpy(x, b, sizeof(T) * m * k);
        cpu::apply_q(n, m, k, q, r, t, x, k);  // X = Q [Y; 0]
      }
    });
  });
  for (int64_t i = 0; i < nb; ++i)
    AXONITE_CHECK(rank.data<int64_t>()[i] == r, RuntimeError, op,
                  ": the input matrix is rank deficient (rank ", rank.data<int64_t>()[i], " < ", r,
                  "); axonite's QR-based lstsq needs a full-rank A");
  Dims xs = batch_of(X.sizes());
  xs.push_back(n);
  if (!vec) xs.push_back(k);
  if (vec) X = reshaped_result(X, xs);
  if (want_res) {
    Dims s = batch;
    if (!vec) s.push_back(k);
    res = reshaped_result(res, s);
  }
  if (autograd::any_needs_grad({A, B})) {
    autograd::SavedTensor sA(A, false), sB(B, false), sX(X, true);
    const bool ra = A.requires_grad(), rb = B.requires_grad();
    const Dims as = A.sizes(), bs = B.sizes(), b2s = B2.sizes();
    autograd::record("LinalgLstsqBackward0", {A, B}, X, [=](const Tensor& g) {
      const Tensor A = sA.unpack(), At = mT(A);
      const Tensor B2 = vec ? unsqueeze_last(sB.unpack()) : sB.unpack();
      const Tensor X2 = vec ? unsqueeze_last(sX.unpack()) : sX.unpack();
      const Tensor G = vec ? unsqueeze_last(g) : g;
      Tensor gA, gB;
      if (tall) {
        // X = (A^T A)^{-1} A^T B. With Y = (A^T A)^{-1} G and residual R = B - A X:
        // dB = A Y, dA = R Y^T - A Y X^T.
        const Tensor Y = solve(matmul(At, A), G);
        gB = matmul(A, Y);
        if (ra) gA = sub(matmul(sub(B2, matmul(A, X2)), mT(Y)), matmul(gB, mT(X2)));
      } else {
        // X = A^T Z, Z = (A A^T)^{-1} B. With W = (A A^T)^{-1} A G:
        // dB = W, dA = Z G^T - W X^T - Z W^T A.
        const Tensor S = matmul(A, At);
        const Tensor Z = solve(S, B2), W = solve(S, matmul(A, G));
        gB = W;
        if (ra) gA = sub(sub(matmul(Z, mT(G)), matmul(W, mT(X2))), matmul(matmul(Z, mT(W)), A));
      }
      if (ra) gA = reduce_to(gA, as);
      gB = rb ? reshape(reduce_to(gB, b2s), bs) : Tensor();
      return TensorList{gA, gB};
    });
  }
  Tensor rank_out = driver == "gelsy" ? rank : Tensor::empty(Dims{0}, DType::Int64);
  return LstsqResult{X, res, rank_out, Tensor::empty(Dims{0}, A.dtype())};
}

// ---- norms ------------------------------------------------------------------------------------

Tensor vector_norm(const Tensor& x, double ord, const std::vector<int64_t>& dim, bool keepdim) {
  const char* op = "linalg.vector_norm";
  check_float(x, op);
  const int nd = x.dim();
  bool mask[kMaxDims];
  for (int i = 0; i < nd; ++i) mask[i] = dim.empty();
  std::vector<int64_t> red;  // wrapped reduced dims (empty = all), for the backward's sum
  for (int64_t d : dim) {
    const int w = wrap_dim(d, nd, op);
    if (nd == 0) continue;
    AXONITE_CHECK(!mask[w], RuntimeError, op, ": dim ", w,
                  " appears multiple times in the list of dims");
    mask[w] = true;
    red.push_back(w);
  }
  // Kept dims first, reduced dims last: each output element is one contiguous row.
  Dims psizes, pstrides, kshape, oshape, rsizes, rstrides;
  for (int i = 0; i < nd; ++i) {
    const int64_t s = x.sizes()[i];
    kshape.push_back(mask[i] ? 1 : s);
    if (!mask[i] || keepdim) oshape.push_back(mask[i] ? 1 : s);
    if (mask[i]) {
      rsizes.push_back(s);
      rstrides.push_back(x.strides()[i]);
    } else {
      psizes.push_back(s);
      pstrides.push_back(x.strides()[i]);
    }
  }
  const int64_t rows = numel_of(psizes), len = numel_of(rsizes);
  AXONITE_CHECK(!(std::isinf(ord) && len == 0), RuntimeError, op, " cannot compute the ",
                ord > 0 ? "inf" : "-inf",
                " norm on an empty tensor because the operation does not have an identity");
  for (int i = 0; i < rsizes.size(); ++i) {
    psizes.push_back(rsizes[i]);
    pstrides.push_back(rstrides[i]);
  }
  Tensor src = x.detach().as_strided_view(psizes, pstrides, x.offset());
  if (!src.is_contiguous()) src = materialize(src, psizes);
  Tensor y = Tensor::empty(oshape, x.dtype());
  dispatch_floating(x.dtype(), op, [&](auto tag) {
    using T = typename decltype(tag)::type;
    cpu::vector_norm_rows(rows, len, src.data<T>(), ord, y.data<T>());
  });
  if (autograd::needs_grad(x)) {
    autograd::SavedTensor sx(x, false), sy(y, true);
    autograd::record("LinalgVectorNormBackward0", {x}, y, [=](const Tensor& g) {
      const Tensor X = sx.unpack(), Y = reshape(sy.unpack(), kshape), G = reshape(g, kshape);
      const DType dt = X.dtype();
      const Tensor zero = scalar_tensor(0, dt, true), one = scalar_tensor(1, dt, true);
      if (ord == 0) return TensorList{zeros_like(X)};
      if (ord == 1) return TensorList{mul(sign(X), G)};
      const Tensor y_zero = eq(Y, zero);
      if (ord == 2)  // x / ||x||, and 0 where the norm is 0 (then x == 0 too)
        return TensorList{mul(X, div(G, where(y_zero, one, Y)))};
      if (std::isinf(ord)) {  // split evenly among the entries that attain the extreme
        const Tensor hit = to_dtype(eq(abs(X), Y), dt);
        const Tensor count = sum(hit, red, /*keepdim=*/true);
        return TensorList{mul(mul(sign(X), hit), div(G, count))};
      }
      // sign(x) |x|^(p-1) / ||x||^(p-1), with 0 at x == 0 and where the norm is 0.
      const Tensor pm1 = scalar_tensor(ord - 1, dt, true);
      const Tensor scale = where(y_zero, zero, div(G, pow(where(y_zero, one, Y), pm1)));
      const Tensor t = where(eq(X, zero), zero, mul(sign(X), pow(abs(X), pm1)));
      return TensorList{mul(t, scale)};
    });
  }
  return y;
}

Tensor matrix_norm(const Tensor& A, const NormOrd& ord, const std::vector<int64_t>& dim,
                   bool keepdim) {
  const char* op = "linalg.matrix_norm";
  check_float(A, op);
  AXONITE_CHECK(A.dim() >= 2, RuntimeError, op,
                ": The input tensor A must have at least 2 dimensions.");
  AXONITE_CHECK(dim.size() == 2, RuntimeError, op, ": dim must be a 2-tuple. Got ",
                shape_str(Dims(dim)));
  const int d0 = wrap_dim(dim[0], A.dim(), op), d1 = wrap_dim(dim[1], A.dim(), op);
  AXONITE_CHECK(d0 != d1, RuntimeError, op, ": dims must be different. Got (", dim[0], ", ", dim[1],
                ")");
  if (ord.name == "fro") return vector_norm(A, 2.0, {d0, d1}, keepdim);
  AXONITE_CHECK(ord.name != "nuc" && !(ord.name.empty() && std::abs(ord.p) == 2.0), RuntimeError,
                op, ": ord=", ord.name.empty() ? detail::cat(ord.p) : ord.name,
                " needs singular values, which axonite does not compute; supported orders are "
                "'fro', 1, -1, inf and -inf");
  AXONITE_CHECK(ord.name.empty() && (std::abs(ord.p) == 1.0 || std::isinf(ord.p)), RuntimeError, op,
                ": Order ", ord.name.empty() ? detail::cat(ord.p) : ord.name, " not supported.");
  // 1-norm: the largest column sum of |A|; inf-norm: the largest row sum. The extreme of a
  // non-negative vector is its +-inf vector norm, whose backward splits ties evenly.
  const double ext = ord.p > 0 ? INFINITY : -INFINITY;
  const int sum_dim = std::abs(ord.p) == 1.0 ? d0 : d1, ext_dim = sum_dim == d0 ? d1 : d0;
  Tensor r = vector_norm(sum(abs(A), {sum_dim}, /*keepdim=*/true), ext, {ext_dim}, true);
  if (!keepdim) {
    Dims s = A.sizes();
    s.erase(std::max(d0, d1));
    s.erase(std::min(d0, d1));
    r = reshape(r, s);
  }
  return r;
}

Tensor norm(const Tensor& x, const std::optional<NormOrd>& ord,
            const std::optional<std::vector<int64_t>>& dim, bool keepdim) {
  const char* op = "linalg.norm";
  if (dim) {
    if (dim->size() == 1) {
      AXONITE_CHECK(!ord || ord->name.empty(), RuntimeError,
                    "linalg.matrix_norm: dim must be a 2-tuple. Got ", (*dim)[0]);
      return vector_norm(x, ord ? ord->p : 2.0, *dim, keepdim);
    }
    AXONITE_CHECK(dim->size() == 2, RuntimeError, op,
                  ": If dim is specified, it must be of length 1 or 2. Got ",
                  shape_str(Dims(*dim)));
    return matrix_norm(x, ord ? *ord : NormOrd{0.0, "fro"}, *dim, keepdim);
  }
  if (!ord) return vector_norm(x, 2.0, {}, keepdim);
  AXONITE_CHECK(x.dim() == 1 || x.dim() == 2, RuntimeError, op,
                ": If dim is not specified but ord is, the input must be 1D or 2D. Got ", x.dim(),
                "D.");
  if (x.dim() == 2) return matrix_norm(x, *ord, {-2, -1}, keepdim);
  AXONITE_CHECK(ord->name.empty(), RuntimeError, op, ": ord='", ord->name,
                "' is a matrix norm; a 1-D input takes a numeric ord");
  return vector_norm(x, ord->p, {}, keepdim);
}

}  // namespace ax::linalg
