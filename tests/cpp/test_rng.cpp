// Tests for core/rng and the random ops: Philox4x32-10 known answers (Random123's vectors),
// the float32 Box-Muller approximation against double libm, distribution moments, generator
// seeding/state, and bit-identical fills for every thread count and any tensor layout.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "axonite/axonite.h"
#include "testing.h"

namespace {

using ax::DType;
using ax::Tensor;

TEST(philox_known_answers) {
  struct Kat {
    uint32_t ctr[4], key[2], out[4];
  };
  const Kat kats[] = {
      {{0, 0, 0, 0}, {0, 0}, {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}},
      {{0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff},
       {0xffffffff, 0xffffffff},
       {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}},
      {{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344},
       {0xa4093822, 0x299f31d0},
       {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}},
  };
  for (const Kat& k : kats) {
    uint32_t out[4];
    ax::philox4x32_10(k.ctr, k.key, out);
    for (int i = 0; i < 4; ++i) CHECK(out[i] == k.out[i]);
  }
}

// The branch-free float log/sincos must track the exact transform on the same uniforms.
TEST(box_muller_f32_accuracy) {
  const ax::PhiloxStream s{12345, 6};
  double worst = 0;
  for (uint64_t j = 0; j < 200000; ++j) {
    uint32_t w[4];
    s.block(j, w);
    float z0, z1;
    ax::rng::box_muller_f32(w[0], w[1], &z0, &z1);
    const double u1 = static_cast<double>((w[0] >> 8) + 1) * 0x1.0p-24;
    const double t = 2 * M_PI * static_cast<double>(w[1] >> 8) * 0x1.0p-24;
    const double r = std::sqrt(-2 * std::log(u1));
    worst = std::max({worst, std::fabs(z0 - r * std::cos(t)), std::fabs(z1 - r * std::sin(t))});
  }
  CHECK(worst < 2e-6);
  // Extremes: u1 = 1 gives radius 0; the smallest u1 gives the largest radius, sqrt(48 ln 2).
  float z0, z1;
  ax::rng::box_muller_f32(0xffffffffu, 0, &z0, &z1);
  CHECK(z0 == 0.0f && z1 == 0.0f);
  ax::rng::box_muller_f32(0, 0, &z0, &z1);
  CHECK_CLOSE(z0, std::sqrt(48 * std::log(2.0)), 1e-6);
}

struct Moments {
  double mean = 0, var = 0;
};
template <class T>
Moments moments(const T* x, int64_t n) {
  Moments m;
  for (int64_t i = 0; i < n; ++i) m.mean += x[i];
  m.mean /= n;
  for (int64_t i = 0; i < n; ++i) m.var += (x[i] - m.mean) * (x[i] - m.mean);
  m.var /= n;
  return m;
}

TEST(distribution_moments) {
  const int64_t n = 1 << 20;
  ax::default_generator().manual_seed(7);
  for (DType dt : {DType::Float32, DType::Float64}) {
    Tensor u = ax::rand({n}, dt), z = ax::randn({n}, dt);
    Tensor uc = ax::to_dtype(u, DType::Float64), zc = ax::to_dtype(z, DType::Float64);
    Moments mu = moments(uc.data<double>(), n), mz = moments(zc.data<double>(), n);
    // Standard errors at n = 2^20: mean 3e-4 (uniform) / 1e-3 (normal); 5 sigma bounds.
    CHECK(std::fabs(mu.mean - 0.5) < 1.5e-3);
    CHECK(std::fabs(mu.var - 1.0 / 12) < 1e-3);
    CHECK(std::fabs(mz.mean) < 5e-3);
    CHECK(std::fabs(mz.var - 1) < 7e-3);
    const double* up = uc.data<double>();
    CHECK(*std::min_element(up, up + n) >= 0 && *std::max_element(up, up + n) < 1);
  }
  Tensor e = ax::exponential_(ax::empty({n}, DType::Float64), 2.0);
  Moments me = moments(e.data<double>(), n);
  CHECK(std::fabs(me.mean - 0.5) < 3e-3);
  CHECK(std::fabs(me.var - 0.25) < 5e-3);
}

std::vector<char> bytes(const Tensor& t) {
  Tensor c = ax::contiguous(t);
  const char* p = static_cast<const char*>(c.raw_data());
  return std::vector<char>(p, p + c.numel() * ax::itemsize(c.dtype()));
}

// Every random op, re-seeded, under 1, 2 and 5 threads: the bytes must not change.
TEST(thread_count_independence) {
  const int saved = ax::get_num_threads();
  std::vector<std::vector<char>> ref;
  for (int nt : {1, 2, 5}) {
    ax::set_num_threads(nt);
    ax::Generator g(99);
    std::vector<std::vector<char>> got;
    const ax::Dims big{300001};
    got.push_back(bytes(ax::rand(big, DType::Float32, &g)));
    got.push_back(bytes(ax::rand(big, DType::Float64, &g)));
    got.push_back(bytes(ax::randn(big, DType::Float32, &g)));
    got.push_back(bytes(ax::randn(big, DType::Float64, &g)));
    got.push_back(bytes(ax::randint(-5, 1000003, big, DType::Int64, &g)));
    got.push_back(bytes(ax::bernoulli(ax::full(big, 0.3), 0.3, &g)));
    got.push_back(bytes(ax::randperm(100003, DType::Int64, &g)));
    got.push_back(bytes(ax::multinomial(ax::rand({50, 1000}, DType::Float32, &g), 20, false, &g)));
    got.push_back(bytes(ax::multinomial(ax::rand({50, 1000}, DType::Float32, &g), 20, true, &g)));
    if (ref.empty())
      ref = got;
    else
      for (size_t i = 0; i < ref.size(); ++i) {
        if (got[i] != ref[i]) std::fprintf(stderr, "op %zu differs at %d threads\n", i, nt);
        CHECK(got[i] == ref[i]);
      }
  }
  ax::set_num_threads(saved);
}

TEST(generator_seed_and_state) {
  ax::Generator g(5), h(5);
  CHECK(bytes(ax::randn({1000}, DType::Float32, &g)) ==
        bytes(ax::randn({1000}, DType::Float32, &h)));
  const ax::PhiloxStream st = g.get_state();
  const auto a = bytes(ax::rand({77}, DType::Float32, &g));
  const auto b = bytes(ax::rand({77}, DType::Float32, &g));
  CHECK(a != b);  // successive ops use distinct streams
  g.set_state(st);
  CHECK(bytes(ax::rand({77}, DType::Float32, &g)) == a);
  g.manual_seed(5);
  CHECK(g.initial_seed() == 5 && g.get_state().offset == 0);
  // A prefix of a longer draw equals the shorter draw: element i depends only on (stream, i).
  ax::Generator p(3), q(3);
  const auto short_draw = bytes(ax::randn({13}, DType::Float32, &p));
  auto long_draw = bytes(ax::randn({1000}, DType::Float32, &q));
  long_draw.resize(short_draw.size());
  CHECK(short_draw == long_draw);
}

TEST(integer_ops) {
  ax::Generator g(11);
  Tensor r = ax::randint(-3, 4, {100000}, DType::Int64, &g);
  std::vector<int64_t> count(7, 0);
  for (int64_t i = 0; i < r.numel(); ++i) {
    const int64_t v = r.data<int64_t>()[i];
    CHECK(v >= -3 && v < 4);
    if (v >= -3 && v < 4) ++count[v + 3];
  }
  for (int64_t c : count) CHECK(std::fabs(c - 100000.0 / 7) < 600);  // ~5 sigma
  // The full int64 span works without overflow.
  Tensor w = ax::randint(INT64_MIN, INT64_MAX, {1000}, DType::Int64, &g);
  int64_t neg = 0;
  for (int64_t i = 0; i < 1000; ++i) neg += w.data<int64_t>()[i] < 0;
  CHECK(neg > 400 && neg < 600);
  Tensor p = ax::randperm(10007, DType::Int64, &g);
  std::vector<int64_t> v(p.data<int64_t>(), p.data<int64_t>() + p.numel());
  std::sort(v.begin(), v.end());
  for (int64_t i = 0; i < 10007; ++i) CHECK(v[i] == i);
  CHECK_THROWS(ax::randint(3, 3, {2}, DType::Int64, &g));
  CHECK_THROWS(ax::randperm(-1, DType::Int64, &g));
}

TEST(inplace_fill_strided) {
  // Filling a transposed view writes the same values, in logical order, as a contiguous fill.
  ax::Generator g(21), h(21);
  Tensor base = ax::zeros({40, 30});
  Tensor view = ax::transpose(base, 0, 1);  // (30, 40), non-contiguous
  ax::normal_(view, 1.0, 2.0, &g);
  Tensor ref = ax::normal(1.0, 2.0, {30, 40}, DType::Float32, &h);
  CHECK(bytes(view) == bytes(ref));
  CHECK_THROWS(ax::normal_(view, 0.0, -1.0, &g));
  CHECK_THROWS(ax::uniform_(ax::zeros({3}, DType::Int64), 0, 1, &g));
}

TEST(ranges) {
  Tensor a = ax::arange_int(-5, 5, 3);
  CHECK(a.numel() == 4 && a.data<int64_t>()[3] == 4);
  Tensor b = ax::arange(0, 1, 0.1, DType::Float64);
  CHECK(b.numel() == 10);
  CHECK_CLOSE(b.data<double>()[9], 0.9, 1e-15);
  CHECK(ax::arange_int(5, 5, 1).numel() == 0);
  CHECK_THROWS(ax::arange(0, 1, 0));
  CHECK_THROWS(ax::arange_int(10, 0, 1));
  Tensor l = ax::linspace(0, 1, 5, DType::Float64);
  CHECK(l.data<double>()[4] == 1.0 && l.data<double>()[2] == 0.5);
  Tensor e = ax::eye(2, 3);
  CHECK(e.data<float>()[0] == 1 && e.data<float>()[4] == 1 && e.data<float>()[1] == 0);
}

}  // namespace

TEST_MAIN()
