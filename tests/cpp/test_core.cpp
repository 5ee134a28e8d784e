// Core C++ tests: shapes/strides, allocator reuse, dtype promotion, elementwise broadcasting,
// autograd (accumulation, saved-tensor versions, double backward), thread-count determinism,
// the parallel_region barrier.
#include <atomic>
#include <cmath>
#include <vector>

#include "axonite/axonite.h"
#include "axonite/core/parallel.h"
#include "testing.h"

using namespace ax;

static Tensor from_vec(const std::vector<double>& v, const Dims& shape, DType dt = DType::Float64) {
  Tensor t = empty(shape, dt);
  dispatch(dt, [&](auto tag) {
    using T = typename decltype(tag)::type;
    for (size_t i = 0; i < v.size(); ++i) t.data<T>()[i] = static_cast<T>(v[i]);
  });
  return t;
}

TEST(contiguous_strides_and_views) {
  Tensor t = empty({2, 3, 4});
  CHECK(t.strides() == (Dims{12, 4, 1}));
  CHECK(t.is_contiguous());
  Tensor v = reshape(t, {6, 4});
  CHECK(v.storage() == t.storage());
  Tensor w = reshape(t, {4, -1});
  CHECK(w.sizes() == (Dims{4, 6}));
  CHECK_THROWS(reshape(t, {5, 5}));
}

TEST(allocator_reuses_freed_blocks) {
  allocator::empty_cache();
  const MemoryStats before = allocator::stats();
  {
    Tensor a = empty({1 << 20});
  }
  {
    Tensor b = empty({1 << 20});
  }
  const MemoryStats after = allocator::stats();
  CHECK(after.num_os_allocs - before.num_os_allocs == 1);
  CHECK(after.num_cache_hits - before.num_cache_hits >= 1);
  CHECK(after.cached_bytes >= (int64_t{4} << 20));
  allocator::empty_cache();
  CHECK(allocator::stats().cached_bytes == 0);
}

TEST(allocator_alignment) {
  for (int n : {1, 3, 100, 5000, 1 << 16}) {
    Tensor t = empty({n});
    CHECK(reinterpret_cast<uintptr_t>(t.raw_data()) % 64 == 0);
  }
}

TEST(type_promotion) {
  Tensor f = ones({2}), d = ones({2}, DType::Float64), i = ones({2}, DType::Int64);
  CHECK(result_type(f, d) == DType::Float64);
  CHECK(result_type(i, f) == DType::Float32);
  CHECK(result_type(f, scalar_tensor(1.0, DType::Float64, true)) == DType::Float32);
  CHECK(result_type(i, scalar_tensor(1.5, DType::Float64, true)) == DType::Float32);
  CHECK(result_type(f, scalar_tensor(1.0, DType::Float64)) == DType::Float32);
  CHECK(result_type(i, scalar_tensor(1.0, DType::Float64)) == DType::Float64);
}

TEST(broadcast_add_values) {
  Tensor a = from_vec({1, 2, 3}, {3, 1}), b = from_vec({10, 20}, {2});
  Tensor c = add(a, b);
  CHECK(c.sizes() == (Dims{3, 2}));
  const double want[] = {11, 21, 12, 22, 13, 23};
  for (int k = 0; k < 6; ++k) CHECK_CLOSE(c.data<double>()[k], want[k], 1e-15);
  CHECK_THROWS(add(from_vec({1, 2}, {2}), from_vec({1, 2, 3}, {3})));
}

TEST(strided_inputs) {
  Tensor a = from_vec({0, 1, 2, 3, 4, 5}, {2, 3});
  Tensor at = a.as_strided_view({3, 2}, {1, 3}, 0);  // transpose
  Tensor c = mul(at, from_vec({1, 10}, {2}));
  const double want[] = {0, 30, 1, 40, 2, 50};
  for (int k = 0; k < 6; ++k) CHECK_CLOSE(c.data<double>()[k], want[k], 1e-15);
}

TEST(autograd_accumulates_and_sums_shared_uses) {
  Tensor x = from_vec({2.0}, {1});
  x.set_requires_grad(true);
  Tensor y = mul(x, x);          // x^2
  Tensor z = add(mul(y, x), y);  // x^3 + x^2
  autograd::backward({z}, {Tensor()}, false, false);
  CHECK_CLOSE(x.grad().data<double>()[0], 3 * 4 + 2 * 2, 1e-12);
}

TEST(autograd_second_order) {
  Tensor x = from_vec({1.5}, {1});
  x.set_requires_grad(true);
  Tensor y = exp(mul(x, x));
  TensorList g = autograd::grad({y}, {x}, {}, true, true, false);
  TensorList gg = autograd::grad({g[0]}, {x}, {}, false, false, false);
  const double e = std::exp(2.25);
  CHECK_CLOSE(g[0].data<double>()[0], 2 * 1.5 * e, 1e-12);
  CHECK_CLOSE(gg[0].data<double>()[0], (2 + 4 * 2.25) * e, 1e-12);
}

TEST(autograd_saved_tensor_version_check) {
  Tensor x = from_vec({1.0, 2.0}, {2});
  x.set_requires_grad(true);
  Tensor y = exp(x);
  {
    autograd::GradModeGuard g(false);
    add_(y, ones({2}, DType::Float64));
  }
  CHECK_THROWS(autograd::backward({y}, {ones({2}, DType::Float64)}, false, false));
}

TEST(autograd_release_after_backward) {
  Tensor x = from_vec({1.0}, {1});
  x.set_requires_grad(true);
  Tensor y = exp(x);
  autograd::backward({y}, {Tensor()}, false, false);
  CHECK_THROWS(autograd::backward({y}, {Tensor()}, false, false));
}

TEST(no_grad_records_nothing) {
  Tensor x = from_vec({1.0}, {1});
  x.set_requires_grad(true);
  autograd::GradModeGuard g(false);
  Tensor y = exp(x);
  CHECK(!y.requires_grad());
  CHECK(y.grad_fn() == nullptr);
}

TEST(thread_count_does_not_change_results) {
  const int64_t n = 3'000'001;
  Tensor a = empty({n}), b = empty({n});
  for (int64_t i = 0; i < n; ++i) {
    a.data<float>()[i] = std::sin(0.001f * static_cast<float>(i));
    b.data<float>()[i] = std::cos(0.003f * static_cast<float>(i));
  }
  set_num_threads(1);
  Tensor r1 = tanh(add(mul(a, b), exp(a)));
  Tensor s1 = sum(r1);
  set_num_threads(2);
  Tensor r2 = tanh(add(mul(a, b), exp(a)));
  Tensor s2 = sum(r2);
  bool same = true;
  for (int64_t i = 0; i < n; ++i) same &= r1.data<float>()[i] == r2.data<float>()[i];
  CHECK(same);
  CHECK(s1.data<float>()[0] == s2.data<float>()[0]);
}

// Every thread publishes round r before the barrier; after it, each must see every other
// thread's round r (or later): a barrier that let a thread through early, or that did not order
// the writes, fails this within a few of the 200000 rounds.
TEST(region_barrier_orders_every_round) {
  constexpr int kRounds = 200000;
  std::atomic<int> slots[2] = {0, 0};
  std::atomic<bool> late{false};
  std::atomic<int> team{0};
  parallel_region(2, [&](int tid, int nt) {
    team.store(nt);
    for (int r = 1; r <= kRounds; ++r) {
      slots[tid].store(r, std::memory_order_relaxed);
      region_barrier();
      for (int j = 0; j < nt; ++j)
        if (slots[j].load(std::memory_order_relaxed) < r) late.store(true);
    }
  });
  CHECK(team.load() == 2);  // the test machines have two cores
  CHECK(!late.load());
}

TEST_MAIN()
