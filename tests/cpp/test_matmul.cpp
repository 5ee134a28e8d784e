// Tests for ops/matmul and the linalg kernels from C++: every matmul rank case and strided /
// broadcast / foldable batches against a naive reference, int64 products, matmul and addmm
// gradients through the engine, LU solve / inverse residuals, Householder least squares against
// the normal equations, row norms, and error kinds.
#include <cmath>
#include <cstdint>
#include <functional>
#include <random>
#include <vector>

#include "axonite/autograd/engine.h"
#include "axonite/core/parallel.h"
#include "axonite/kernels/linalg.h"
#include "axonite/ops/creation.h"
#include "axonite/ops/linalg.h"
#include "axonite/ops/matmul.h"
#include "axonite/ops/views.h"
#include "testing.h"

namespace {

using ax::Dims;
using ax::DType;
using ax::Tensor;

Tensor randn(const Dims& shape, uint32_t seed, DType dt = DType::Float64) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> nd;
  Tensor t = Tensor::empty(shape, dt);
  for (int64_t i = 0; i < t.numel(); ++i) {
    if (dt == DType::Float64)
      t.data<double>()[i] = nd(rng);
    else
      t.data<float>()[i] = static_cast<float>(nd(rng));
  }
  return t;
}

// Element of a float64 tensor at a multi-index through its strides.
double at(const Tensor& t, const std::vector<int64_t>& idx) {
  int64_t off = 0;
  for (size_t i = 0; i < idx.size(); ++i) off += idx[i] * t.strides()[i];
  return t.data<double>()[off];
}

// Naive batched reference for a: (B, M, K) and b: (B, K, N) given as accessor functions.
using Get = std::function<double(int64_t, int64_t, int64_t)>;
void check_product(const Tensor& y, int64_t B, int64_t M, int64_t N, int64_t K, const Get& a,
                   const Get& b,
                   const std::function<std::vector<int64_t>(int64_t, int64_t, int64_t)>& yidx) {
  for (int64_t s = 0; s < B; ++s)
    for (int64_t i = 0; i < M; ++i)
      for (int64_t j = 0; j < N; ++j) {
        double ref = 0;
        for (int64_t p = 0; p < K; ++p) ref += a(s, i, p) * b(s, p, j);
        CHECK_CLOSE(at(y, yidx(s, i, j)), ref, 1e-12);
      }
}

bool throws_kind(ax::ErrorKind kind, const std::function<void()>& f) {
  try {
    f();
  } catch (const ax::Error& e) {
    return e.kind() == kind;
  }
  return false;
}

TEST(matmul_rank_cases) {
  Tensor m = randn({3, 4}, 1), n = randn({4, 5}, 2), v = randn({4}, 3), w = randn({3}, 4);
  Tensor y = ax::matmul(m, n);
  CHECK(y.sizes() == Dims({3, 5}));
  check_product(
      y, 1, 3, 5, 4, [&](int64_t, int64_t i, int64_t p) { return at(m, {i, p}); },
      [&](int64_t, int64_t p, int64_t j) { return at(n, {p, j}); },
      [](int64_t, int64_t i, int64_t j) { return std::vector<int64_t>{i, j}; });
  Tensor mv = ax::matmul(m, v);  // (3, 4) @ (4,) -> (3,)
  CHECK(mv.sizes() == Dims({3}));
  check_product(
      mv, 1, 3, 1, 4, [&](int64_t, int64_t i, int64_t p) { return at(m, {i, p}); },
      [&](int64_t, int64_t p, int64_t) { return at(v, {p}); },
      [](int64_t, int64_t i, int64_t) { return std::vector<int64_t>{i}; });
  Tensor vm = ax::matmul(w, m);  // (3,) @ (3, 4) -> (4,)
  CHECK(vm.sizes() == Dims({4}));
  check_product(
      vm, 1, 1, 4, 3, [&](int64_t, int64_t, int64_t p) { return at(w, {p}); },
      [&](int64_t, int64_t p, int64_t j) { return at(m, {p, j}); },
      [](int64_t, int64_t, int64_t j) { return std::vector<int64_t>{j}; });
  Tensor d = ax::matmul(v, v);
  CHECK(d.dim() == 0);
  double ref = 0;
  for (int64_t i = 0; i < 4; ++i) ref += at(v, {i}) * at(v, {i});
  CHECK_CLOSE(d.item(), ref, 1e-12);
}

TEST(matmul_batched_fold_and_strides) {
  // (2, 3, 4) @ (4, 5): the foldable case; its transposed-batch twin takes the batch loop.
  Tensor a = randn({2, 3, 4}, 5), b = randn({4, 5}, 6);
  Tensor y = ax::matmul(a, b);
  auto ya = [](int64_t s, int64_t i, int64_t j) { return std::vector<int64_t>{s, i, j}; };
  check_product(
      y, 2, 3, 5, 4, [&](int64_t s, int64_t i, int64_t p) { return at(a, {s, i, p}); },
      [&](int64_t, int64_t p, int64_t j) { return at(b, {p, j}); }, ya);
  Tensor ap = ax::transpose(randn({3, 2, 4}, 7), 0, 1);  // (2, 3, 4), batch stride 4
  Tensor yp = ax::matmul(ap, b);
  check_product(
      yp, 2, 3, 5, 4, [&](int64_t s, int64_t i, int64_t p) { return at(ap, {s, i, p}); },
      [&](int64_t, int64_t p, int64_t j) { return at(b, {p, j}); }, ya);
  // Broadcast batch: (1, 3, 4) @ (2, 4, 5) and transposed operands.
  Tensor a1 = randn({1, 3, 4}, 8), bb = randn({2, 5, 4}, 9);
  Tensor bt = ax::transpose(bb, -2, -1);
  Tensor yb = ax::matmul(a1, bt);
  CHECK(yb.sizes() == Dims({2, 3, 5}));
  check_product(
      yb, 2, 3, 5, 4, [&](int64_t, int64_t i, int64_t p) { return at(a1, {0, i, p}); },
      [&](int64_t s, int64_t p, int64_t j) { return at(bb, {s, j, p}); }, ya);
}

TEST(matmul_int64_and_errors) {
  Tensor a = Tensor::empty({2, 3}, DType::Int64), b = Tensor::empty({3, 2}, DType::Int64);
  for (int64_t i = 0; i < 6; ++i) a.data<int64_t>()[i] = i - 2, b.data<int64_t>()[i] = 3 * i - 7;
  Tensor y = ax::matmul(a, b);
  CHECK(y.dtype() == DType::Int64);
  for (int64_t i = 0; i < 2; ++i)
    for (int64_t j = 0; j < 2; ++j) {
      int64_t ref = 0;
      for (int64_t p = 0; p < 3; ++p)
        ref += a.data<int64_t>()[i * 3 + p] * b.data<int64_t>()[p * 2 + j];
      CHECK(y.data<int64_t>()[i * 2 + j] == ref);
    }
  using K = ax::ErrorKind;
  CHECK(throws_kind(K::RuntimeError, [] { ax::matmul(ax::ones({2, 3}), ax::ones({4, 5})); }));
  CHECK(throws_kind(K::RuntimeError,
                    [] { ax::matmul(ax::ones({2, 3}), ax::ones({3, 2}, DType::Float64)); }));
  CHECK(throws_kind(K::RuntimeError, [] {
    ax::matmul(ax::ones({2, 2}, DType::Bool), ax::ones({2, 2}, DType::Bool));
  }));
  CHECK(throws_kind(K::RuntimeError, [] { ax::bmm(ax::ones({2, 3, 3}), ax::ones({3, 3, 3})); }));
  CHECK(throws_kind(K::RuntimeError, [] { ax::dot(ax::ones({3}), ax::ones({4})); }));
}

TEST(matmul_and_addmm_gradients) {
  // L = sum(G * (A @ B)): dA = G B^T, dB = A^T G, summed over B's broadcast batch.
  Tensor A = randn({2, 3, 4}, 10), B = randn({4, 2}, 11), G = randn({2, 3, 2}, 12);
  A.set_requires_grad(true);
  B.set_requires_grad(true);
  ax::autograd::backward({ax::matmul(A, B)}, {G}, false, false);
  Tensor gA = A.grad(), gB = B.grad();
  for (int64_t s = 0; s < 2; ++s)
    for (int64_t i = 0; i < 3; ++i)
      for (int64_t p = 0; p < 4; ++p) {
        double ref = 0;
        for (int64_t j = 0; j < 2; ++j) ref += at(G, {s, i, j}) * at(B, {p, j});
        CHECK_CLOSE(at(gA, {s, i, p}), ref, 1e-12);
      }
  for (int64_t p = 0; p < 4; ++p)
    for (int64_t j = 0; j < 2; ++j) {
      double ref = 0;
      for (int64_t s = 0; s < 2; ++s)
        for (int64_t i = 0; i < 3; ++i) ref += at(A, {s, i, p}) * at(G, {s, i, j});
      CHECK_CLOSE(at(gB, {p, j}), ref, 1e-12);
    }
  // addmm: d input = beta * G summed to input's shape (a bias row).
  Tensor bias = randn({2}, 13), m1 = randn({3, 4}, 14), m2 = randn({4, 2}, 15);
  bias.set_requires_grad(true);
  Tensor g2 = randn({3, 2}, 16);
  ax::autograd::backward({ax::addmm(bias, m1, m2, 0.5, 2.0)}, {g2}, false, false);
  for (int64_t j = 0; j < 2; ++j)
    CHECK_CLOSE(at(bias.grad(), {j}), 0.5 * (at(g2, {0, j}) + at(g2, {1, j}) + at(g2, {2, j})),
                1e-12);
}

TEST(lu_solve_and_inverse_kernels) {
  for (int64_t n : {1, 5, 64, 97, 150}) {
    std::mt19937 rng(static_cast<uint32_t>(n));
    std::normal_distribution<double> nd;
    std::vector<double> a(n * n), lu, b(n * 3), x;
    for (int64_t i = 0; i < n * n; ++i) a[i] = nd(rng) + (i % (n + 1) == 0 ? 0.5 * n : 0.0);
    for (double& v : b) v = nd(rng);
    lu = a;
    x = b;
    std::vector<int64_t> piv(n);
    CHECK(ax::cpu::lu_factor(n, lu.data(), n, piv.data()) == 0);
    ax::cpu::lu_solve(n, 3, lu.data(), n, piv.data(), x.data(), 3);
    double worst = 0;  // residual |A x - b|
    for (int64_t i = 0; i < n; ++i)
      for (int64_t c = 0; c < 3; ++c) {
        double r = -b[i * 3 + c];
        for (int64_t p = 0; p < n; ++p) r += a[i * n + p] * x[p * 3 + c];
        worst = std::max(worst, std::abs(r));
      }
    CHECK(worst < 1e-9);
  }
  // Exactly singular: getrf-style info is the 1-based index of the zero pivot.
  std::vector<double> s = {1, 2, 2, 4};
  std::vector<int64_t> piv(2);
  CHECK(ax::cpu::lu_factor(2, s.data(), 2, piv.data()) == 2);
  // Batched op: inv(A) @ A == I.
  Tensor A = randn({3, 70, 70}, 20);
  for (int64_t b = 0; b < 3; ++b)
    for (int64_t i = 0; i < 70; ++i) A.data<double>()[b * 4900 + i * 71] += 20.0;
  Tensor I = ax::matmul(ax::linalg::inv(A), A);
  for (int64_t b = 0; b < 3; ++b)
    for (int64_t i = 0; i < 70; ++i)
      for (int64_t j = 0; j < 70; ++j) CHECK_CLOSE(at(I, {b, i, j}), i == j ? 1.0 : 0.0, 1e-10);
}

TEST(householder_least_squares_matches_normal_equations) {
  const int64_t m = 40, n = 6, k = 2;
  Tensor A = randn({m, n}, 30), B = randn({m, k}, 31);
  Tensor X = ax::linalg::lstsq(A, B).solution;
  Tensor At = ax::transpose(A, 0, 1);
  Tensor Xn = ax::linalg::solve(ax::matmul(At, A), ax::matmul(At, B));
  for (int64_t i = 0; i < n; ++i)
    for (int64_t c = 0; c < k; ++c) CHECK_CLOSE(at(X, {i, c}), at(Xn, {i, c}), 1e-10);
  // Wide: minimum-norm solution satisfies A X = B exactly and lies in the row space.
  Tensor W = randn({3, 7}, 32), Bw = randn({3, 1}, 33);
  Tensor Xw = ax::linalg::lstsq(W, Bw).solution;
  Tensor R = ax::matmul(W, Xw);
  for (int64_t i = 0; i < 3; ++i) CHECK_CLOSE(at(R, {i, 0}), at(Bw, {i, 0}), 1e-10);
}

TEST(row_norms_thread_independent) {
  const int64_t len = 50000;  // several 16K chunks per row
  std::vector<float> x(2 * len);
  std::mt19937 rng(40);
  std::uniform_real_distribution<float> ud(-1, 1);
  for (float& v : x) v = ud(rng);
  float one[2], many[2];
  const int before = ax::get_num_threads();
  ax::set_num_threads(1);
  ax::cpu::vector_norm_rows(2, len, x.data(), 2.0, one);
  ax::set_num_threads(4);
  ax::cpu::vector_norm_rows(2, len, x.data(), 2.0, many);
  ax::set_num_threads(before);
  CHECK(one[0] == many[0] && one[1] == many[1]);
  double ref = 0;
  for (int64_t i = 0; i < len; ++i) ref += double(x[i]) * x[i];
  CHECK_CLOSE(one[0], std::sqrt(ref), 1e-6);
  float mx;
  ax::cpu::vector_norm_rows(1, len, x.data(), INFINITY, &mx);
  float ref_mx = 0;
  for (int64_t i = 0; i < len; ++i) ref_mx = std::max(ref_mx, std::abs(x[i]));
  CHECK(mx == ref_mx);
}

}  // namespace

TEST_MAIN()
