// Tests for ax::cpu::gemm_f32 / gemm_f64 against a naive double-precision triple loop: many
// shapes (1, primes, tile non-multiples, k = 0), strided / transposed operands, alpha/beta
// variants, beta = 0 on NaN-filled C, every ISA level the CPU has, forced tiny blocking, the
// GEMV (m == 1 / n == 1) kernels and paths, and bitwise determinism across thread counts.
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "axonite/core/cpu_features.h"
#include "axonite/core/parallel.h"
#include "axonite/kernels/cpu/gemm_kernels.h"
#include "axonite/kernels/gemm.h"
#include "testing.h"

namespace {

using ax::Isa;
namespace gd = ax::cpu::gemm_detail;

// How an operand's logical r x c elements are laid out in its buffer.
enum class Layout { kRowMajor, kColMajor, kStrided, kPadded };
constexpr Layout kLayouts[] = {Layout::kRowMajor, Layout::kColMajor, Layout::kStrided,
                               Layout::kPadded};

template <class T>
struct Operand {
  std::vector<T> buf;
  int64_t rs = 0, cs = 0;
  double at(int64_t i, int64_t j) const { return buf[i * rs + j * cs]; }
};

// Elements outside the view are NaN, so a packer that reads a wrong element poisons C.
template <class T>
Operand<T> make_operand(int64_t r, int64_t c, Layout lay, std::mt19937& rng) {
  Operand<T> o;
  switch (lay) {
    case Layout::kRowMajor:
      o.rs = c;
      o.cs = 1;
      break;
    case Layout::kColMajor:
      o.rs = 1;
      o.cs = r;
      break;
    case Layout::kStrided:
      o.rs = 2 * c + 3;
      o.cs = 2;
      break;
    case Layout::kPadded:
      o.rs = c + 5;
      o.cs = 1;
      break;
  }
  if (o.rs == 0) o.rs = 1;
  if (o.cs == 0) o.cs = 1;
  const int64_t size = (r > 0 && c > 0) ? (r - 1) * o.rs + (c - 1) * o.cs + 1 : 1;
  o.buf.assign(size, std::numeric_limits<T>::quiet_NaN());
  std::uniform_real_distribution<double> dist(-1.0, 1.0);
  for (int64_t i = 0; i < r; ++i)
    for (int64_t j = 0; j < c; ++j) o.buf[i * o.rs + j * o.cs] = static_cast<T>(dist(rng));
  return o;
}

void call_gemm(Isa isa, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t ars,
               int64_t acs, const float* b, int64_t brs, int64_t bcs, float beta, float* c,
               int64_t ldc) {
  gd::gemm_f32_isa(isa, m, n, k, alpha, a, ars, acs, b, brs, bcs, beta, c, ldc);
}
void call_gemm(Isa isa, int64_t m, int64_t n, int64_t k, double alpha, const double* a, int64_t ars,
               int64_t acs, const double* b, int64_t brs, int64_t bcs, double beta, double* c,
               int64_t ldc) {
  gd::gemm_f64_isa(isa, m, n, k, alpha, a, ars, acs, b, brs, bcs, beta, c, ldc);
}
// Always-packed path with tiny blocks: kc = 5, mc = 2 * mr, nc = 2 * nr, so K/M/N all split.
void call_small_blocks(Isa isa, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
                       int64_t ars, int64_t acs, const float* b, int64_t brs, int64_t bcs,
                       float beta, float* c, int64_t ldc) {
  gd::KernelDesc<float> kd = gd::kernel_desc_f32(isa);
  kd.kc = 5, kd.mc = 2 * kd.mr, kd.nc = 2 * kd.nr;
  gd::gemm_packed_f32(kd, m, n, k, alpha, a, ars, acs, b, brs, bcs, beta, c, ldc);
}
void call_small_blocks(Isa isa, int64_t m, int64_t n, int64_t k, double alpha, const double* a,
                       int64_t ars, int64_t acs, const double* b, int64_t brs, int64_t bcs,
                       double beta, double* c, int64_t ldc) {
  gd::KernelDesc<double> kd = gd::kernel_desc_f64(isa);
  kd.kc = 5, kd.mc = 2 * kd.mr, kd.nc = 2 * kd.nr;
  gd::gemm_packed_f64(kd, m, n, k, alpha, a, ars, acs, b, brs, bcs, beta, c, ldc);
}

gd::KernelDesc<float> kernel_desc(Isa isa, float) { return gd::kernel_desc_f32(isa); }
gd::KernelDesc<double> kernel_desc(Isa isa, double) { return gd::kernel_desc_f64(isa); }

std::vector<Isa> isas() {
  std::vector<Isa> v;
  for (Isa i : {Isa::Generic, Isa::Avx2, Isa::Avx512})
    if (static_cast<int>(i) <= static_cast<int>(ax::cpu_isa())) v.push_back(i);
  return v;
}

enum class Path { kDispatch, kSmallBlocks };

// Runs one case and compares with a double-precision reference. Returns false on mismatch.
template <class T>
bool run_case(Isa isa, Path path, int64_t m, int64_t n, int64_t k, Layout la, Layout lb, T alpha,
              T beta, std::mt19937& rng) {
  const Operand<T> a = make_operand<T>(m, k, la, rng);
  const Operand<T> b = make_operand<T>(k, n, lb, rng);
  const int64_t ldc = n + 3;
  const T sentinel = static_cast<T>(12345.0);
  // kGuardRows sentinel rows after C catch stores past the last row of an edge tile.
  constexpr int64_t kGuardRows = 16;
  std::vector<T> c(static_cast<size_t>((m + kGuardRows) * ldc), sentinel);
  std::uniform_real_distribution<double> dist(-1.0, 1.0);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j)
      c[i * ldc + j] =
          beta == T(0) ? std::numeric_limits<T>::quiet_NaN() : static_cast<T>(dist(rng));
  const std::vector<T> c0 = c;
  if (path == Path::kDispatch) {
    call_gemm(isa, m, n, k, alpha, a.buf.data(), a.rs, a.cs, b.buf.data(), b.rs, b.cs, beta,
              c.data(), ldc);
  } else {
    call_small_blocks(isa, m, n, k, alpha, a.buf.data(), a.rs, a.cs, b.buf.data(), b.rs, b.cs, beta,
                      c.data(), ldc);
  }
  const double eps = std::numeric_limits<T>::epsilon();
  for (int64_t i = 0; i < m + kGuardRows; ++i) {
    for (int64_t j = 0; j < ldc; ++j) {
      const double got = c[i * ldc + j];
      double want, bound;
      if (j >= n || i >= m) {
        want = c0[i * ldc + j];  // padding and guard rows must be untouched
        bound = 0;
      } else {
        double s = 0, sabs = 0;
        for (int64_t p = 0; p < k; ++p) {
          s += a.at(i, p) * b.at(p, j);
          sabs += std::fabs(a.at(i, p) * b.at(p, j));
        }
        const double cin = beta == T(0) ? 0.0 : static_cast<double>(c0[i * ldc + j]);
        want = alpha * s + beta * cin;
        bound = (k + 4) * eps * (std::fabs(alpha) * sabs + std::fabs(beta * cin)) + 1e-300;
      }
      if (!(std::fabs(got - want) <= bound)) {
        std::fprintf(stderr,
                     "mismatch %s isa=%s path=%d m=%lld n=%lld k=%lld la=%d lb=%d alpha=%g "
                     "beta=%g at (%lld,%lld): got %.9g want %.9g\n",
                     sizeof(T) == 4 ? "f32" : "f64", ax::isa_name(isa), static_cast<int>(path),
                     static_cast<long long>(m), static_cast<long long>(n),
                     static_cast<long long>(k), static_cast<int>(la), static_cast<int>(lb),
                     static_cast<double>(alpha), static_cast<double>(beta),
                     static_cast<long long>(i), static_cast<long long>(j), got, want);
        return false;
      }
    }
  }
  return true;
}

template <class T>
void shape_sweep(Path path, const std::vector<int64_t>& dims) {
  std::mt19937 rng(1234);
  const T alphas[] = {T(1), T(-0.75)};
  const T betas[] = {T(0), T(1), T(0.5)};
  for (Isa isa : isas()) {
    int idx = 0;
    for (int64_t m : dims)
      for (int64_t n : dims)
        for (int64_t k : dims) {
          // Rotate layouts / alpha / beta across shapes to keep the sweep fast but complete.
          const Layout la = kLayouts[idx % 4];
          const Layout lb = kLayouts[(idx / 4) % 4];
          const T alpha = alphas[idx % 2];
          const T beta = betas[idx % 3];
          ++idx;
          CHECK((run_case<T>(isa, path, m, n, k, la, lb, alpha, beta, rng)));
        }
  }
}

const std::vector<int64_t> kSmallDims = {1, 2, 3, 7, 13, 17, 31, 33};
const std::vector<int64_t> kMediumDims = {1, 5, 14, 29, 32, 47, 64, 97};

TEST(gemm_f32_small_shapes) { shape_sweep<float>(Path::kDispatch, kSmallDims); }
TEST(gemm_f64_small_shapes) { shape_sweep<double>(Path::kDispatch, kSmallDims); }
TEST(gemm_f32_medium_shapes) { shape_sweep<float>(Path::kDispatch, kMediumDims); }
TEST(gemm_f64_medium_shapes) { shape_sweep<double>(Path::kDispatch, kMediumDims); }
TEST(gemm_f32_tiny_blocks) { shape_sweep<float>(Path::kSmallBlocks, kSmallDims); }
TEST(gemm_f64_tiny_blocks) { shape_sweep<double>(Path::kSmallBlocks, kSmallDims); }

// Every layout pair on shapes that take the packed path with several K blocks.
template <class T>
void layouts_large() {
  std::mt19937 rng(99);
  for (Isa isa : isas())
    for (Layout la : kLayouts)
      for (Layout lb : kLayouts) {
        CHECK((run_case<T>(isa, Path::kDispatch, 131, 97, 601, la, lb, T(1), T(0), rng)));
        CHECK((run_case<T>(isa, Path::kDispatch, 45, 70, 300, la, lb, T(-2), T(0.25), rng)));
      }
}
// A last row tile of every height from 1 to 14 (m = 14 + r): the AVX-512 kernel runs tiles of
// 9 to 13 rows with exact-height variants, shorter ones with its 8- and 4-row variants.
template <class T>
void edge_tile_heights() {
  std::mt19937 rng(7);
  for (Isa isa : isas())
    for (int64_t r = 1; r <= 14; ++r)
      for (Path path : {Path::kDispatch, Path::kSmallBlocks})
        CHECK((run_case<T>(isa, path, 14 + r, 37, 29, kLayouts[r % 4], kLayouts[(r / 4) % 4], T(1),
                           r % 2 ? T(0) : T(0.5), rng)));
}
TEST(gemm_f32_edge_tile_heights) { edge_tile_heights<float>(); }
TEST(gemm_f64_edge_tile_heights) { edge_tile_heights<double>(); }

TEST(gemm_f32_layouts_large) { layouts_large<float>(); }
TEST(gemm_f64_layouts_large) { layouts_large<double>(); }

// Vector-ish shapes (direct path) and the n > nc case (several N blocks on the real blocking).
template <class T>
void odd_shapes() {
  std::mt19937 rng(7);
  for (Isa isa : isas()) {
    CHECK((run_case<T>(isa, Path::kDispatch, 1, 1, 1, Layout::kRowMajor, Layout::kRowMajor, T(2),
                       T(0), rng)));
    CHECK((run_case<T>(isa, Path::kDispatch, 1, 500, 300, Layout::kRowMajor, Layout::kRowMajor,
                       T(1), T(1), rng)));
    CHECK((run_case<T>(isa, Path::kDispatch, 1, 500, 300, Layout::kRowMajor, Layout::kColMajor,
                       T(1), T(0), rng)));
    CHECK((run_case<T>(isa, Path::kDispatch, 500, 1, 300, Layout::kRowMajor, Layout::kRowMajor,
                       T(1), T(0.5), rng)));
    CHECK((run_case<T>(isa, Path::kDispatch, 300, 2, 300, Layout::kStrided, Layout::kStrided, T(1),
                       T(0), rng)));
    CHECK((run_case<T>(isa, Path::kDispatch, 200, 300, 1, Layout::kColMajor, Layout::kRowMajor,
                       T(1), T(0), rng)));
    CHECK((run_case<T>(isa, Path::kDispatch, 20, 4500, 40, Layout::kRowMajor, Layout::kRowMajor,
                       T(1), T(0), rng)));
  }
}
TEST(gemm_f32_odd_shapes) { odd_shapes<float>(); }
TEST(gemm_f64_odd_shapes) { odd_shapes<double>(); }

// ---- GEMV (m == 1 / n == 1) -----------------------------------------------------------------
const std::vector<int64_t> kGemvDims = {1, 3, 15, 16, 17, 33, 129, 1000};

// The GEMV kernels of every ISA level called directly (the dispatcher sends tiny volumes to the
// direct path), on every (n, k) pair. Everything just past x, past each B row / column segment
// and past y is NaN or a sentinel, so reading or writing one element too far in a tail fails.
template <class T>
void gemv_kernels() {
  std::mt19937 rng(31);
  std::uniform_real_distribution<double> dist(-1.0, 1.0);
  const T nan = std::numeric_limits<T>::quiet_NaN(), sentinel = T(12345);
  const T alphas[] = {T(1), T(-0.75)};
  const T betas[] = {T(0), T(1), T(0.5)};
  for (Isa isa : isas()) {
    const gd::KernelDesc<T> kd = kernel_desc(isa, T());
    int idx = 0;
    // The pairs plus two n past the rows form's output chunk (2048 f32 / 1024 f64 outputs).
    std::vector<std::pair<int64_t, int64_t>> shapes;
    for (int64_t n : kGemvDims)
      for (int64_t k : kGemvDims) shapes.emplace_back(n, k);
    shapes.emplace_back(2100, 37);
    shapes.emplace_back(1100, 65);
    for (bool rows : {true, false})
      for (const auto& [n, k] : shapes) {
        const T alpha = alphas[idx % 2], beta = betas[idx % 3];
        ++idx;
        // Rows form: B is k x n with ldb = n + 5; cols form: n rows of k with ldb = k + 5.
        const int64_t ldb = (rows ? n : k) + 5;
        std::vector<T> b(static_cast<size_t>((rows ? k : n) * ldb), nan);
        for (int64_t p = 0; p < k; ++p)
          for (int64_t j = 0; j < n; ++j)
            b[rows ? p * ldb + j : j * ldb + p] = static_cast<T>(dist(rng));
        std::vector<T> x(static_cast<size_t>(k + 20), nan),
            y(static_cast<size_t>(n + 20), sentinel);
        for (int64_t p = 0; p < k; ++p) x[p] = static_cast<T>(dist(rng));
        for (int64_t j = 0; j < n; ++j) y[j] = beta == T(0) ? nan : static_cast<T>(dist(rng));
        const std::vector<T> y0 = y;
        (rows ? kd.gemv_rows : kd.gemv_cols)(n, k, x.data(), b.data(), ldb, y.data(), alpha, beta);
        bool ok = true;
        for (int64_t j = 0; j < n + 20 && ok; ++j) {
          if (j >= n) {
            ok = y[j] == sentinel;
          } else {
            double s = 0, sabs = 0;
            for (int64_t p = 0; p < k; ++p) {
              const double t = static_cast<double>(x[p]) * b[rows ? p * ldb + j : j * ldb + p];
              s += t;
              sabs += std::fabs(t);
            }
            const double cin = beta == T(0) ? 0.0 : static_cast<double>(y0[j]);
            const double want = alpha * s + beta * cin;
            const double eps = std::numeric_limits<T>::epsilon();
            const double bound = (k + 4) * eps * (std::fabs(alpha) * sabs + std::fabs(beta * cin));
            ok = std::fabs(y[j] - want) <= bound;
          }
          if (!ok)
            std::fprintf(
                stderr, "gemv mismatch %s isa=%s rows=%d n=%lld k=%lld alpha=%g beta=%g at %lld\n",
                sizeof(T) == 4 ? "f32" : "f64", ax::isa_name(isa), rows ? 1 : 0,
                static_cast<long long>(n), static_cast<long long>(k), static_cast<double>(alpha),
                static_cast<double>(beta), static_cast<long long>(j));
        }
        CHECK(ok);
      }
  }
}
TEST(gemm_f32_gemv_kernels) { gemv_kernels<float>(); }
TEST(gemm_f64_gemv_kernels) { gemv_kernels<double>(); }

// The transposing pack of every ISA level called directly: every lane count up to 33 (a
// partial, full and over-full vector of lanes) by every step count up to 40, into panels of
// width 14, 16 and 32 (mr and nr of the kernel families). The source has NaN between its rows;
// the output has a sentinel in the lanes the pack must not touch and past the panel's end.
template <class T>
void transpose_kernels() {
  const T nan = std::numeric_limits<T>::quiet_NaN(), sentinel = T(12345);
  for (Isa isa : isas()) {
    const gd::KernelDesc<T> kd = kernel_desc(isa, T());
    for (int w : {14, 16, 32})
      for (int64_t lanes = 1; lanes <= w; ++lanes)
        for (int64_t kc = 1; kc <= 40; ++kc) {
          const int64_t ld = kc + 3;
          std::vector<T> src(static_cast<size_t>(lanes * ld), nan);
          for (int64_t l = 0; l < lanes; ++l)
            for (int64_t p = 0; p < kc; ++p) src[l * ld + p] = static_cast<T>(l * 100 + p);
          std::vector<T> out(static_cast<size_t>(kc * w + 20), sentinel);
          kd.transpose(lanes, kc, src.data(), ld, w, out.data());
          bool ok = true;
          for (int64_t i = 0; i < static_cast<int64_t>(out.size()) && ok; ++i) {
            const int64_t p = i / w, l = i % w;
            const T want = p < kc && l < lanes ? static_cast<T>(l * 100 + p) : sentinel;
            ok = out[i] == want;
          }
          if (!ok)
            std::fprintf(stderr, "transpose mismatch %s isa=%s w=%d lanes=%lld kc=%lld\n",
                         sizeof(T) == 4 ? "f32" : "f64", ax::isa_name(isa), w,
                         static_cast<long long>(lanes), static_cast<long long>(kc));
          CHECK(ok);
        }
  }
}
TEST(gemm_f32_transpose_kernels) { transpose_kernels<float>(); }
TEST(gemm_f64_transpose_kernels) { transpose_kernels<double>(); }

// m == 1 and n == 1 through the dispatcher. m == 1: x = A's row (contiguous or strided), B
// row-major / padded (rows form), column-major (cols form) or strided (direct fallback). n == 1:
// x = B's column (contiguous or strided), A column-major (rows form of A^T), row-major / padded
// (cols form) or strided, and y = C's column with stride ldc = 4 (through the scratch).
template <class T>
void gemv_dispatch() {
  std::mt19937 rng(17);
  const T alphas[] = {T(1), T(-0.75)};
  const T betas[] = {T(0), T(1), T(0.5)};
  for (Isa isa : isas()) {
    int idx = 0;
    for (int64_t n : kGemvDims)
      for (int64_t k : kGemvDims) {
        for (Layout la : {Layout::kRowMajor, Layout::kStrided})
          for (Layout lb : kLayouts) {
            const T alpha = alphas[idx % 2], beta = betas[idx % 3];
            ++idx;
            CHECK((run_case<T>(isa, Path::kDispatch, 1, n, k, la, lb, alpha, beta, rng)));
          }
        for (Layout la : kLayouts)
          for (Layout lb : {Layout::kRowMajor, Layout::kStrided}) {
            const T alpha = alphas[idx % 2], beta = betas[idx % 3];
            ++idx;
            CHECK((run_case<T>(isa, Path::kDispatch, n, 1, k, la, lb, alpha, beta, rng)));
          }
      }
    // Above the threading threshold (outputs split over the pool when threads > 1).
    for (Layout l : {Layout::kRowMajor, Layout::kColMajor}) {
      CHECK(
          (run_case<T>(isa, Path::kDispatch, 1, 1500, 801, Layout::kRowMajor, l, T(1), T(0), rng)));
      CHECK((run_case<T>(isa, Path::kDispatch, 1501, 1, 800, l, Layout::kStrided, T(-0.75), T(0.5),
                         rng)));
    }
  }
}
TEST(gemm_f32_gemv_dispatch) { gemv_dispatch<float>(); }
TEST(gemm_f64_gemv_dispatch) { gemv_dispatch<double>(); }

// k == 0 and alpha == 0: C = beta * C, and beta == 0 must overwrite NaN with zeros.
template <class T>
void degenerate() {
  for (Isa isa : isas()) {
    for (int64_t k : {int64_t{0}, int64_t{50}}) {
      const T alpha = k == 0 ? T(1) : T(0);
      std::vector<T> a(static_cast<size_t>(40 * 50 + 1), T(1)), b(a);
      std::vector<T> c(40 * 40, std::numeric_limits<T>::quiet_NaN());
      call_gemm(isa, 40, 40, k, alpha, a.data(), 50, 1, b.data(), 40, 1, T(0), c.data(), 40);
      bool ok = true;
      for (T v : c) ok = ok && v == T(0);
      CHECK(ok);
      std::fill(c.begin(), c.end(), T(3));
      call_gemm(isa, 40, 40, k, alpha, a.data(), 50, 1, b.data(), 40, 1, T(0.5), c.data(), 40);
      ok = true;
      for (T v : c) ok = ok && v == T(1.5);
      CHECK(ok);
    }
    // m == 0 / n == 0 must not touch anything.
    T dummy = T(7);
    call_gemm(isa, 0, 5, 5, T(1), &dummy, 5, 1, &dummy, 5, 1, T(0), &dummy, 5);
    call_gemm(isa, 5, 0, 5, T(1), &dummy, 5, 1, &dummy, 5, 1, T(0), &dummy, 5);
    CHECK(dummy == T(7));
  }
}
TEST(gemm_f32_degenerate) { degenerate<float>(); }
TEST(gemm_f64_degenerate) { degenerate<double>(); }

TEST(gemm_negative_size_throws) {
  float x = 0;
  CHECK_THROWS(ax::cpu::gemm_f32(-1, 1, 1, 1.f, &x, 1, 1, &x, 1, 1, 0.f, &x, 1));
}

// 1 vs 2 threads (and a nested call) must give bitwise identical results. At 2 threads the
// first three shapes take the work pool (core/thread_pool.h) when A is row- or column-major (read
// in place; M is not a multiple of the row tile) and gemm_packed when A is strided; the GEMV
// shapes split their outputs with parallel_for.
template <class T>
void determinism() {
  std::mt19937 rng(5);
  const int64_t shapes[][3] = {{300, 200, 700}, {257, 513, 129}, {40, 1000, 300}, {1000, 30, 300}};
  const int saved = ax::get_num_threads();
  for (Isa isa : isas()) {
    for (const auto& s : shapes)
      for (Layout la : {Layout::kRowMajor, Layout::kColMajor, Layout::kStrided}) {
        const int64_t m = s[0], n = s[1], k = s[2];
        const Operand<T> a = make_operand<T>(m, k, la, rng);
        const Operand<T> b = make_operand<T>(k, n, Layout::kColMajor, rng);
        std::vector<T> c1(m * n, T(0.5)), c2(c1), c3(c1);
        ax::set_num_threads(1);
        call_gemm(isa, m, n, k, T(1.5), a.buf.data(), a.rs, a.cs, b.buf.data(), b.rs, b.cs, T(0.5),
                  c1.data(), n);
        ax::set_num_threads(2);
        call_gemm(isa, m, n, k, T(1.5), a.buf.data(), a.rs, a.cs, b.buf.data(), b.rs, b.cs, T(0.5),
                  c2.data(), n);
        // Inside a parallel region gemm runs serially on the calling thread.
        ax::parallel_for(0, 2, 1, [&](int64_t b0, int64_t) {
          if (b0 == 0)
            call_gemm(isa, m, n, k, T(1.5), a.buf.data(), a.rs, a.cs, b.buf.data(), b.rs, b.cs,
                      T(0.5), c3.data(), n);
        });
        CHECK(std::memcmp(c1.data(), c2.data(), c1.size() * sizeof(T)) == 0);
        CHECK(std::memcmp(c1.data(), c3.data(), c1.size() * sizeof(T)) == 0);
      }
    // GEMV shapes above the threading threshold (n * k >= 2^20): outputs split over the pool.
    // m == 1 with B row-major (rows form) and column-major (cols form); n == 1 with A
    // column-major (rows form) and row-major (cols form), C's column strided (ldc = 3).
    const int64_t gemv_shapes[][3] = {{1, 1500, 801}, {1501, 1, 800}};
    for (const auto& s : gemv_shapes)
      for (Layout la : {Layout::kRowMajor, Layout::kColMajor})
        for (Layout lb : {Layout::kRowMajor, Layout::kColMajor}) {
          const int64_t m = s[0], n = s[1], k = s[2], ldc = n == 1 ? 3 : n;
          const Operand<T> a = make_operand<T>(m, k, la, rng);
          const Operand<T> b = make_operand<T>(k, n, lb, rng);
          std::vector<T> c1(m * ldc, T(0.5)), c2(c1), c3(c1);
          ax::set_num_threads(1);
          call_gemm(isa, m, n, k, T(1.5), a.buf.data(), a.rs, a.cs, b.buf.data(), b.rs, b.cs,
                    T(0.5), c1.data(), ldc);
          ax::set_num_threads(2);
          call_gemm(isa, m, n, k, T(1.5), a.buf.data(), a.rs, a.cs, b.buf.data(), b.rs, b.cs,
                    T(0.5), c2.data(), ldc);
          ax::parallel_for(0, 2, 1, [&](int64_t b0, int64_t) {
            if (b0 == 0)
              call_gemm(isa, m, n, k, T(1.5), a.buf.data(), a.rs, a.cs, b.buf.data(), b.rs, b.cs,
                        T(0.5), c3.data(), ldc);
          });
          CHECK(std::memcmp(c1.data(), c2.data(), c1.size() * sizeof(T)) == 0);
          CHECK(std::memcmp(c1.data(), c3.data(), c1.size() * sizeof(T)) == 0);
        }
  }
  ax::set_num_threads(saved);
}
TEST(gemm_f32_thread_determinism) { determinism<float>(); }
TEST(gemm_f64_thread_determinism) { determinism<double>(); }

// AXONITE_ISA caps the level: re-run this binary with the cap set and a marker variable; the
// child prints its level from a static initializer and exits before the test main runs.
const bool kIsaChild = [] {
  if (std::getenv("AXONITE_GEMM_TEST_CHILD") == nullptr) return false;
  std::printf("%s\n", ax::cpu::gemm_isa());
  std::exit(0);
}();

TEST(cpu_isa_env_cap) {
  char self[4096] = {0};
  const ssize_t len = readlink("/proc/self/exe", self, sizeof(self) - 1);
  CHECK(len > 0);
  if (len <= 0) return;
  for (Isa cap : {Isa::Generic, Isa::Avx2, Isa::Avx512}) {
    const std::string cmd = std::string("AXONITE_GEMM_TEST_CHILD=1 AXONITE_ISA=") +
                            ax::isa_name(cap) + " '" + self + "'";
    FILE* f = popen(cmd.c_str(), "r");
    CHECK(f != nullptr);
    if (f == nullptr) continue;
    char buf[64] = {0};
    const bool got = std::fgets(buf, sizeof(buf), f) != nullptr;
    pclose(f);
    CHECK(got);
    const std::string child(buf, std::strcspn(buf, "\n"));
    // The child never exceeds the cap, and gets exactly the cap when this process (itself maybe
    // capped by the caller's AXONITE_ISA) already runs at or above it.
    int child_level = -1;
    for (Isa i : {Isa::Generic, Isa::Avx2, Isa::Avx512})
      if (child == ax::isa_name(i)) child_level = static_cast<int>(i);
    CHECK(child_level >= 0 && child_level <= static_cast<int>(cap));
    if (static_cast<int>(cap) <= static_cast<int>(ax::cpu_isa())) CHECK(child == ax::isa_name(cap));
  }
  (void)kIsaChild;
}

TEST(gemm_public_dispatch) {
  CHECK(std::strcmp(ax::cpu::gemm_isa(), ax::isa_name(ax::cpu_isa())) == 0);
  std::printf("  cpu_isa = %s\n", ax::cpu::gemm_isa());
  // 2x3 @ 3x2 with exact small integers through the public entry points.
  const float a[6] = {1, 2, 3, 4, 5, 6}, b[6] = {7, 8, 9, 10, 11, 12};
  float c[4];
  ax::cpu::gemm_f32(2, 2, 3, 1.f, a, 3, 1, b, 2, 1, 0.f, c, 2);
  CHECK(c[0] == 58 && c[1] == 64 && c[2] == 139 && c[3] == 154);
  const double ad[6] = {1, 2, 3, 4, 5, 6}, bd[6] = {7, 8, 9, 10, 11, 12};
  double cd[4] = {1, 1, 1, 1};
  ax::cpu::gemm_f64(2, 2, 3, 2.0, ad, 3, 1, bd, 2, 1, 1.0, cd, 2);
  CHECK(cd[0] == 117 && cd[1] == 129 && cd[2] == 279 && cd[3] == 309);
}

}  // namespace

TEST_MAIN()
