// Tests for ax::cpu::reduce / arg_reduce against a naive long-double reference: geometries that
// hit the inner / outer / generic paths and the block and row-block boundaries, transposed,
// strided, size-0 and size-1 dims, every op/map/dtype, every ISA level the CPU has, NaN and ties
// in arg-reductions, and bitwise equality across thread counts. A few op-level checks follow.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "axonite/axonite.h"
#include "axonite/core/cpu_features.h"
#include "axonite/core/parallel.h"
#include "axonite/kernels/reduce.h"
#include "testing.h"

namespace ax::cpu {
#define AX_DECLARE_ISA(ns)                                                                     \
  namespace ns {                                                                               \
  void reduce(ReduceOp op, ReduceMap map, DType dt, const ReduceGeom& g, const ReduceArgs& a); \
  void arg_reduce(bool is_max, DType dt, const ReduceGeom& g, const void* in, void* values,    \
                  int64_t* indices);                                                           \
  }
AX_DECLARE_ISA(generic)
AX_DECLARE_ISA(avx2)
AX_DECLARE_ISA(avx512)
#undef AX_DECLARE_ISA
}  // namespace ax::cpu

namespace {

using ax::Dims;
using ax::DType;
using ax::Isa;
using ax::cpu::ReduceMap;
using ax::cpu::ReduceOp;

std::vector<Isa> isas() {
  std::vector<Isa> v;
  for (Isa i : {Isa::Generic, Isa::Avx2, Isa::Avx512})
    if (static_cast<int>(i) <= static_cast<int>(ax::cpu_isa())) v.push_back(i);
  return v;
}

void run_reduce(Isa isa, ReduceOp op, ReduceMap map, DType dt, const ax::cpu::ReduceGeom& g,
                const ax::cpu::ReduceArgs& a) {
  if (isa == Isa::Avx512) return ax::cpu::avx512::reduce(op, map, dt, g, a);
  if (isa == Isa::Avx2) return ax::cpu::avx2::reduce(op, map, dt, g, a);
  ax::cpu::generic::reduce(op, map, dt, g, a);
}
void run_arg(Isa isa, bool is_max, DType dt, const ax::cpu::ReduceGeom& g, const void* in,
             void* values, int64_t* idx) {
  if (isa == Isa::Avx512) return ax::cpu::avx512::arg_reduce(is_max, dt, g, in, values, idx);
  if (isa == Isa::Avx2) return ax::cpu::avx2::arg_reduce(is_max, dt, g, in, values, idx);
  ax::cpu::generic::arg_reduce(is_max, dt, g, in, values, idx);
}

// A strided view: logical `sizes`, memory laid out in dim order `perm` (outermost first), with
// dim `step_dim` taking every other element (-1: none) and `pad` extra elements per outer row.
struct Layout {
  Dims sizes, strides;
  int64_t span = 0;
};
Layout make_layout(const Dims& sizes, const std::vector<int>& perm, int step_dim, int64_t pad) {
  Layout l;
  l.sizes = sizes;
  l.strides = Dims(sizes.size());
  int64_t acc = 1;
  for (int i = static_cast<int>(perm.size()) - 1; i >= 0; --i) {
    const int d = perm[i];
    const int64_t st = d == step_dim ? 2 : 1;
    l.strides[d] = acc * st;
    acc *= std::max<int64_t>(1, sizes[d]) * st;
    if (i == static_cast<int>(perm.size()) - 1) acc += pad;
  }
  l.span = 1;
  for (int d = 0; d < sizes.size(); ++d)
    l.span += (std::max<int64_t>(1, sizes[d]) - 1) * l.strides[d];
  return l;
}

// Calls f(output index, element offset) for every element, outputs row-major over kept dims.
template <class F>
void for_each_element(const Layout& l, const bool* mask, F f) {
  const int n = l.sizes.size();
  if (ax::numel_of(l.sizes) == 0) return;
  std::vector<int64_t> idx(n, 0);
  for (;;) {
    int64_t o = 0, off = 0;
    for (int d = 0; d < n; ++d) {
      off += idx[d] * l.strides[d];
      if (!mask[d]) o = o * l.sizes[d] + idx[d];
    }
    f(o, off);
    int d = n - 1;
    for (; d >= 0; --d) {
      if (++idx[d] < l.sizes[d]) break;
      idx[d] = 0;
    }
    if (d < 0) return;
  }
}

int64_t outputs_of(const Layout& l, const bool* mask) {
  int64_t m = 1;
  for (int d = 0; d < l.sizes.size(); ++d)
    if (!mask[d]) m *= l.sizes[d];
  return m;
}

long double map_ref(ReduceMap m, long double x, long double s, double p) {
  switch (m) {
    case ReduceMap::None:
      return x;
    case ReduceMap::Abs:
      return std::fabs(x);
    case ReduceMap::Square:
      return x * x;
    case ReduceMap::Shift:
      return x - s;
    case ReduceMap::SquareShift:
      return (x - s) * (x - s);
    case ReduceMap::ExpShift:
      return std::exp(x - s);
    case ReduceMap::PowAbs:
      return std::pow(std::fabs(x), static_cast<long double>(p));
  }
  return x;
}

// One floating case on every ISA; values drawn in [lo, hi]. Returns the number of mismatches.
template <class T>
int check_float(ReduceOp op, ReduceMap map, const Layout& l, const bool* mask, double lo, double hi,
                std::mt19937& rng) {
  std::uniform_real_distribution<double> dist(lo, hi);
  std::vector<T> buf(static_cast<size_t>(l.span));
  for (T& v : buf) v = static_cast<T>(dist(rng));
  const int64_t M = outputs_of(l, mask);
  std::vector<T> shift(static_cast<size_t>(std::max<int64_t>(M, 1)));
  for (T& v : shift) v = static_cast<T>(dist(rng));
  const bool shifted =
      map == ReduceMap::Shift || map == ReduceMap::SquareShift || map == ReduceMap::ExpShift;
  const double p = 3.0, divisor = op == ReduceOp::Sum ? 3.0 : 1.0;
  std::vector<long double> ref(M), mag(M, 0.0L);
  const long double init = op == ReduceOp::Sum    ? 0.0L
                           : op == ReduceOp::Prod ? 1.0L
                           : op == ReduceOp::Max  ? -INFINITY
                                                  : INFINITY;
  std::fill(ref.begin(), ref.end(), init);
  for_each_element(l, mask, [&](int64_t o, int64_t off) {
    const long double v = map_ref(map, buf[off], shifted ? shift[o] : 0, p);
    mag[o] += std::fabs(v);
    if (op == ReduceOp::Sum) ref[o] += v;
    if (op == ReduceOp::Prod) ref[o] *= v;
    if (op == ReduceOp::Max) ref[o] = std::max(ref[o], v);
    if (op == ReduceOp::Min) ref[o] = std::min(ref[o], v);
  });
  const ax::cpu::ReduceGeom g = ax::cpu::reduce_geometry(l.sizes, l.strides, mask);
  int bad = 0;
  for (Isa isa : isas()) {
    std::vector<T> out(static_cast<size_t>(std::max<int64_t>(M, 1)), T(-7));
    ax::cpu::ReduceArgs a;
    a.in = buf.data();
    a.out = out.data();
    a.shift = shifted ? shift.data() : nullptr;
    a.p = p;
    a.divisor = divisor;
    run_reduce(isa, op, map, ax::dtype_of<T>(), g, a);
    const long double eps = std::numeric_limits<T>::epsilon();
    for (int64_t o = 0; o < M; ++o) {
      long double want = ref[o], tol = 0;
      if (op == ReduceOp::Sum) {
        want /= divisor;
        tol = 8 * eps * (mag[o] / divisor + std::fabs(want)) + 1e-30L;
      } else if (op == ReduceOp::Prod) {
        tol = 64 * eps * std::fabs(want) * std::sqrt(static_cast<long double>(g.count) + 1);
      }
      if (map == ReduceMap::ExpShift || map == ReduceMap::PowAbs) tol *= 8;
      if (!(out[o] == want || std::fabs(out[o] - want) <= tol) && bad++ < 3)
        std::fprintf(stderr,
                     "mismatch %s op=%d map=%d isa=%s kind=%d out %lld: got %.9Lg want %.9Lg\n",
                     sizeof(T) == 4 ? "f32" : "f64", static_cast<int>(op), static_cast<int>(map),
                     ax::isa_name(isa), static_cast<int>(g.kind), static_cast<long long>(o),
                     static_cast<long double>(out[o]), want);
    }
  }
  return bad;
}

struct Geometry {
  Dims sizes;
  std::vector<int> perm;
  int step_dim;
  int64_t pad;
  std::vector<bool> mask;
};

// Geometries for every path, including units that straddle kReduceBlock / kReduceRowBlock.
std::vector<Geometry> geometries() {
  const int64_t B = ax::cpu::kReduceBlock, RB = ax::cpu::kReduceRowBlock;
  return {
      {{37}, {0}, -1, 0, {true}},                                         // short full reduction
      {{2 * B + 77}, {0}, -1, 0, {true}},                                 // several blocks
      {{0, 5}, {0, 1}, -1, 0, {true, false}},                             // empty reduction
      {{5, 0}, {0, 1}, -1, 0, {true, false}},                             // no outputs
      {{7, 130}, {0, 1}, -1, 0, {false, true}},                           // inner, rows
      {{3, B + 5}, {0, 1}, -1, 0, {false, true}},                         // inner, split rows
      {{4, 9, 33}, {0, 1, 2}, -1, 3, {true, false, true}},                // inner, grouped rows
      {{2 * RB + 3, 70}, {0, 1}, -1, 0, {true, false}},                   // outer
      {{3, RB + 1, 2 * 64 + 5}, {0, 1, 2}, -1, 0, {false, true, false}},  // outer + batch
      {{600, 3}, {0, 1}, -1, 0, {true, false}},                           // outer, narrow
      {{40, 50}, {1, 0}, -1, 0, {true, false}},                           // transposed -> inner
      {{40, 50}, {1, 0}, -1, 0, {false, true}},                           // transposed -> outer
      {{30, 20}, {0, 1}, 1, 0, {false, true}},                            // stepped -> generic
      {{6, 1, 9, 4}, {2, 0, 3, 1}, 0, 1, {true, true, false, true}},      // permuted mix
      {{5, 6}, {0, 1}, -1, 0, {false, false}},                            // nothing reduced
  };
}

TEST(float_ops_all_paths) {
  std::mt19937 rng(1);
  int bad = 0;
  for (const Geometry& gm : geometries()) {
    bool mask[ax::kMaxDims] = {};
    for (size_t i = 0; i < gm.mask.size(); ++i) mask[i] = gm.mask[i];
    const Layout l = make_layout(gm.sizes, gm.perm, gm.step_dim, gm.pad);
    for (ReduceMap m : {ReduceMap::None, ReduceMap::Abs, ReduceMap::Square, ReduceMap::Shift,
                        ReduceMap::SquareShift, ReduceMap::ExpShift, ReduceMap::PowAbs}) {
      bad += check_float<float>(ReduceOp::Sum, m, l, mask, -2, 2, rng);
      bad += check_float<double>(ReduceOp::Sum, m, l, mask, -2, 2, rng);
    }
    for (ReduceOp op : {ReduceOp::Max, ReduceOp::Min})
      for (ReduceMap m : {ReduceMap::None, ReduceMap::Abs}) {
        bad += check_float<float>(op, m, l, mask, -2, 2, rng);
        bad += check_float<double>(op, m, l, mask, -2, 2, rng);
      }
    bad += check_float<float>(ReduceOp::Prod, ReduceMap::None, l, mask, 0.99, 1.01, rng);
    bad += check_float<double>(ReduceOp::Prod, ReduceMap::None, l, mask, 0.99, 1.01, rng);
  }
  CHECK(bad == 0);
}

TEST(int_and_bool_ops) {
  std::mt19937 rng(2);
  int bad = 0;
  for (const Geometry& gm : geometries()) {
    bool mask[ax::kMaxDims] = {};
    for (size_t i = 0; i < gm.mask.size(); ++i) mask[i] = gm.mask[i];
    const Layout l = make_layout(gm.sizes, gm.perm, gm.step_dim, gm.pad);
    const int64_t M = outputs_of(l, mask);
    std::vector<int64_t> xi(l.span);
    std::vector<uint8_t> xb(l.span);
    std::uniform_int_distribution<int64_t> d(-3, 3);
    for (int64_t i = 0; i < l.span; ++i) {
      xi[i] = d(rng);
      xb[i] = d(rng) != 0;  // mostly true, so all() is sometimes true
    }
    std::vector<int64_t> sum(M, 0), mx(M, INT64_MIN), mn(M, INT64_MAX), prod(M, 1);
    std::vector<uint8_t> any(M, 0), all(M, 1);
    for_each_element(l, mask, [&](int64_t o, int64_t off) {
      sum[o] += xi[off];
      prod[o] *= xi[off] < 0 ? -1 : 1;
      mx[o] = std::max(mx[o], xi[off]);
      mn[o] = std::min(mn[o], xi[off]);
      any[o] |= xb[off];
      all[o] &= xb[off];
    });
    std::vector<int64_t> sign(l.span);
    for (int64_t i = 0; i < l.span; ++i) sign[i] = xi[i] < 0 ? -1 : 1;
    const ax::cpu::ReduceGeom g = ax::cpu::reduce_geometry(l.sizes, l.strides, mask);
    for (Isa isa : isas()) {
      auto run_i = [&](ReduceOp op, const std::vector<int64_t>& in,
                       const std::vector<int64_t>& want) {
        std::vector<int64_t> out(std::max<int64_t>(M, 1));
        ax::cpu::ReduceArgs a;
        a.in = in.data();
        a.out = out.data();
        run_reduce(isa, op, ReduceMap::None, DType::Int64, g, a);
        for (int64_t o = 0; o < M; ++o) bad += out[o] != want[o];
      };
      run_i(ReduceOp::Sum, xi, sum);
      run_i(ReduceOp::Prod, sign, prod);
      if (g.count > 0) {
        run_i(ReduceOp::Max, xi, mx);
        run_i(ReduceOp::Min, xi, mn);
      }
      auto run_b = [&](ReduceOp op, const std::vector<uint8_t>& want) {
        std::vector<uint8_t> out(std::max<int64_t>(M, 1));
        ax::cpu::ReduceArgs a;
        a.in = xb.data();
        a.out = out.data();
        run_reduce(isa, op, ReduceMap::None, DType::Bool, g, a);
        for (int64_t o = 0; o < M; ++o) bad += out[o] != want[o];
      };
      run_b(ReduceOp::Max, any);
      run_b(ReduceOp::Min, all);
    }
  }
  CHECK(bad == 0);
}

// Index of the first extreme (first NaN wins), values from a small set so that ties are common.
template <class T>
int check_arg(const Layout& l, int dim, std::mt19937& rng, bool with_nan) {
  bool mask[ax::kMaxDims] = {};
  mask[dim] = true;
  std::uniform_int_distribution<int> d(0, 5);
  std::vector<T> buf(l.span);
  for (T& v : buf) v = static_cast<T>(d(rng));
  if constexpr (std::is_floating_point_v<T>)
    if (with_nan)
      for (int64_t i = 0; i < l.span; i += 97) buf[i] = std::numeric_limits<T>::quiet_NaN();
  const int64_t M = outputs_of(l, mask), K = l.sizes[dim];
  const ax::cpu::ReduceGeom g = ax::cpu::reduce_geometry(l.sizes, l.strides, mask);
  int bad = 0;
  for (bool is_max : {true, false}) {
    std::vector<int64_t> want(M, -1), cnt(M, 0);
    std::vector<T> best(M);
    for_each_element(l, mask, [&](int64_t o, int64_t off) {
      const T v = buf[off];
      const int64_t k = cnt[o]++;
      const bool take =
          want[o] < 0 || (is_max ? v > best[o] : v < best[o]) || (v != v && best[o] == best[o]);
      if (take) {
        want[o] = k;
        best[o] = v;
      }
    });
    for (Isa isa : isas()) {
      std::vector<int64_t> idx(std::max<int64_t>(M, 1), -1);
      std::vector<T> vals(std::max<int64_t>(M, 1));
      run_arg(isa, is_max, ax::dtype_of<T>(), g, buf.data(), vals.data(), idx.data());
      for (int64_t o = 0; o < M; ++o) {
        const bool same_val = (vals[o] == best[o]) || (vals[o] != vals[o] && best[o] != best[o]);
        if ((idx[o] != want[o] || !same_val) && bad++ < 3)
          std::fprintf(stderr, "arg mismatch isa=%s max=%d kind=%d K=%lld out %lld: %lld vs %lld\n",
                       ax::isa_name(isa), is_max, static_cast<int>(g.kind),
                       static_cast<long long>(K), static_cast<long long>(o),
                       static_cast<long long>(idx[o]), static_cast<long long>(want[o]));
      }
    }
  }
  return bad;
}

TEST(arg_reduce_paths_ties_nan) {
  std::mt19937 rng(3);
  int bad = 0;
  const int64_t B = ax::cpu::kReduceBlock;
  const std::vector<std::pair<Geometry, int>> cases = {
      {{{50}, {0}, -1, 0, {}}, 0},                // short inner
      {{{2 * B + 9}, {0}, -1, 0, {}}, 0},         // long inner, block-parallel
      {{{9, 300}, {0, 1}, -1, 0, {}}, 1},         // rows
      {{{300, 9}, {0, 1}, -1, 0, {}}, 0},         // outer, narrow
      {{{3, 70, 130}, {0, 1, 2}, -1, 0, {}}, 1},  // outer + batch
      {{{40, 50}, {1, 0}, -1, 0, {}}, 1},         // transposed
      {{{20, 30}, {0, 1}, 0, 2, {}}, 0},          // stepped
      {{{4, 1, 6}, {0, 1, 2}, -1, 0, {}}, 1},     // size-1 dim
  };
  for (const auto& [gm, dim] : cases) {
    const Layout l = make_layout(gm.sizes, gm.perm, gm.step_dim, gm.pad);
    for (bool nan : {false, true}) {
      bad += check_arg<float>(l, dim, rng, nan);
      bad += check_arg<double>(l, dim, rng, nan);
    }
    bad += check_arg<int64_t>(l, dim, rng, false);
  }
  CHECK(bad == 0);
}

// Same bits for every thread count, on every path that splits work across threads.
TEST(bitwise_equal_across_thread_counts) {
  std::mt19937 rng(4);
  const int64_t B = ax::cpu::kReduceBlock;
  const std::vector<Geometry> big = {
      {{9 * B + 13}, {0}, -1, 0, {true}},
      {{3, 4 * B + 1}, {0, 1}, -1, 0, {false, true}},
      {{300, 301}, {0, 1}, -1, 0, {false, true}},
      {{5000, 37}, {0, 1}, -1, 0, {true, false}},
      {{1000, 300}, {0, 1}, -1, 0, {true, false}},
      {{64, 33, 70}, {0, 1, 2}, -1, 0, {true, false, true}},
  };
  const int saved = ax::get_num_threads();
  int bad = 0;
  for (const Geometry& gm : big) {
    bool mask[ax::kMaxDims] = {};
    for (size_t i = 0; i < gm.mask.size(); ++i) mask[i] = gm.mask[i];
    const Layout l = make_layout(gm.sizes, gm.perm, gm.step_dim, gm.pad);
    std::normal_distribution<float> dist(0.f, 1.f);
    std::vector<float> buf(l.span);
    for (float& v : buf) v = dist(rng) * 100.f + 1.f;
    const ax::cpu::ReduceGeom g = ax::cpu::reduce_geometry(l.sizes, l.strides, mask);
    const int64_t M = g.outputs;
    std::vector<float> first(M), out(M);
    for (int nt : {1, 2, 3, 5}) {
      ax::set_num_threads(nt);
      ax::cpu::ReduceArgs a;
      a.in = buf.data();
      a.out = out.data();
      a.divisor = 7.0;
      ax::cpu::reduce(ReduceOp::Sum, ReduceMap::None, DType::Float32, g, a);
      if (nt == 1) first = out;
      bad += std::memcmp(first.data(), out.data(), M * sizeof(float)) != 0;
    }
  }
  ax::set_num_threads(saved);
  CHECK(bad == 0);
}

// float32 sums of many elements stay accurate (float64 folding of block partials).
TEST(float32_sum_accuracy) {
  const int64_t n = 1 << 24;
  std::vector<float> x(n, 0.1f);
  bool mask[1] = {true};
  const ax::cpu::ReduceGeom g = ax::cpu::reduce_geometry(Dims{n}, Dims{1}, mask);
  float out = 0;
  ax::cpu::ReduceArgs a;
  a.in = x.data();
  a.out = &out;
  ax::cpu::reduce(ReduceOp::Sum, ReduceMap::None, DType::Float32, g, a);
  CHECK_CLOSE(out, static_cast<double>(0.1f) * n, 1e-6);
}

TEST(ops_level) {
  ax::Tensor x = ax::ones(Dims{4, 5});
  CHECK(ax::sum(x).item() == 20.0);
  CHECK(ax::sum_to(x, Dims{1, 5}).sizes() == (Dims{1, 5}));
  const ax::Tensor st = ax::sum_to(x, Dims{5});
  CHECK(st.sizes() == (Dims{5}) && st.data<float>()[0] == 4.f && st.data<float>()[4] == 4.f);
  CHECK(ax::sum(x, Dims{1}, true).sizes() == (Dims{4, 1}));
  CHECK(ax::mean(x, Dims{0, 1}).item() == 1.0);
  CHECK(ax::sum(ax::zeros(Dims{0, 3})).item() == 0.0);
  CHECK(std::isnan(ax::mean(ax::zeros(Dims{0})).item()));
  CHECK(ax::sum(ax::ones(Dims{3}, DType::Bool)).dtype() == DType::Int64);
  auto kind_of = [](auto f) {
    try {
      f();
    } catch (const ax::Error& e) {
      return static_cast<int>(e.kind());
    }
    return -1;
  };
  CHECK(kind_of([&] { ax::sum(x, Dims{2}); }) == static_cast<int>(ax::ErrorKind::IndexError));
  CHECK(kind_of([&] { ax::sum(x, Dims{0, -2}); }) == static_cast<int>(ax::ErrorKind::RuntimeError));
  CHECK(kind_of([&] { ax::mean(ax::ones(Dims{2}, DType::Int64)); }) ==
        static_cast<int>(ax::ErrorKind::RuntimeError));
  CHECK(kind_of([&] { ax::max(ax::zeros(Dims{0})); }) ==
        static_cast<int>(ax::ErrorKind::RuntimeError));
  CHECK(kind_of([&] { ax::max(ax::zeros(Dims{0, 2}), 0); }) ==
        static_cast<int>(ax::ErrorKind::IndexError));
  ax::Tensor v = ax::full(Dims{3}, 1.0);
  v.data<float>()[1] = NAN;
  CHECK(std::isnan(ax::max(v).item()));
  CHECK(ax::argmax(v).item() == 1.0);
  CHECK(ax::max(v, 0).second.item() == 1.0);
}

}  // namespace

TEST_MAIN()
