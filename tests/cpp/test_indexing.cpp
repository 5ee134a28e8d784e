// Indexing tests: spec indexing (views vs copies, advanced placement), index_put, gather/scatter
// and index_select/index_add against naive loops, bitwise determinism of the accumulating
// kernels across thread counts, tril/triu, nonzero across block boundaries, one_hot, errors,
// and gradients through the autograd engine.
#include <cstring>
#include <random>
#include <vector>

#include "axonite/axonite.h"
#include "testing.h"

using namespace ax;

namespace {

Tensor from_vec(const std::vector<double>& v, const Dims& shape, DType dt = DType::Float64) {
  Tensor t = Tensor::empty(shape, dt);
  dispatch(dt, [&](auto tag) {
    using T = typename decltype(tag)::type;
    for (size_t i = 0; i < v.size(); ++i) t.data<T>()[i] = static_cast<T>(v[i]);
  });
  return t;
}

Tensor iota(const Dims& shape, DType dt = DType::Float64) {
  std::vector<double> v(numel_of(shape));
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<double>(i);
  return from_vec(v, shape, dt);
}

Tensor random_ints(const Dims& shape, int64_t lo, int64_t hi, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int64_t> dist(lo, hi - 1);
  Tensor t = Tensor::empty(shape, DType::Int64);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<int64_t>()[i] = dist(rng);
  return t;
}

Tensor random_floats(const Dims& shape, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  Tensor t = Tensor::empty(shape, DType::Float32);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = dist(rng);
  return t;
}

// Element of a (possibly strided) tensor at a multi-index, as double.
double at(const Tensor& t, std::initializer_list<int64_t> idx) {
  int64_t off = 0, d = 0;
  for (int64_t i : idx) off += i * t.stride(d++);
  return dispatch(t.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    return static_cast<double>(t.data<T>()[off]);
  });
}

bool bitwise_equal(const Tensor& a, const Tensor& b) {
  return a.sizes() == b.sizes() && a.dtype() == b.dtype() &&
         std::memcmp(a.raw_data(), b.raw_data(), a.numel() * itemsize(a.dtype())) == 0;
}

TensorIndex sl(std::optional<int64_t> a, std::optional<int64_t> b, int64_t step = 1) {
  return TensorIndex::from_slice(a, b, step);
}

}  // namespace

TEST(basic_index_is_a_view) {
  Tensor x = iota({2, 3, 4});
  Tensor y = index(x, {TensorIndex::from_int(1), sl(std::nullopt, std::nullopt),
                       sl(std::nullopt, std::nullopt, 2)});
  CHECK(y.sizes() == (Dims{3, 2}));
  CHECK(y.storage() == x.storage());
  CHECK(at(y, {2, 1}) == 1 * 12 + 2 * 4 + 2);
  Tensor z = index(x, {TensorIndex::ellipsis(), TensorIndex::none(), TensorIndex::from_int(-1)});
  CHECK(z.sizes() == (Dims{2, 3, 1}));
  CHECK(at(z, {1, 2, 0}) == 23);
}

TEST(advanced_index_placement) {
  Tensor x = iota({2, 3, 4});
  Tensor i = from_vec({0, 1}, {2}, DType::Int64), j = from_vec({2, 0}, {2}, DType::Int64);
  // Adjacent advanced indices stay in place: (2, [2]) -> x[:, i, j] has shape (2, 2).
  Tensor a = index(x, {sl(std::nullopt, std::nullopt), TensorIndex::from_tensor(i),
                       TensorIndex::from_tensor(j)});
  CHECK(a.sizes() == (Dims{2, 2}));
  CHECK(at(a, {1, 1}) == 12 + 4 + 2 * 0);
  // Separated by a slice: broadcast dims go first.
  Tensor b = index(x, {TensorIndex::from_tensor(i), sl(std::nullopt, std::nullopt),
                       TensorIndex::from_tensor(j)});
  CHECK(b.sizes() == (Dims{2, 3}));
  CHECK(at(b, {1, 2}) == 12 + 2 * 4 + 0);
  CHECK(b.storage() != x.storage());
  // Negative indices wrap; out of range throws.
  Tensor n = from_vec({-1}, {1}, DType::Int64);
  CHECK(at(index(x, {TensorIndex::from_tensor(n)}), {0, 0, 0}) == 12);
  CHECK_THROWS(index(x, {TensorIndex::from_tensor(from_vec({2}, {1}, DType::Int64))}));
  CHECK_THROWS(index(x, {TensorIndex::from_int(0), TensorIndex::from_int(0),
                         TensorIndex::from_int(0), TensorIndex::from_int(0)}));
}

TEST(bool_mask_index_and_put) {
  Tensor x = iota({3, 4});
  Tensor m = gt(x, scalar_tensor(6.5, DType::Float64, true));
  Tensor y = index(x, {TensorIndex::from_tensor(m)});
  CHECK(y.sizes() == (Dims{5}));
  CHECK(at(y, {0}) == 7 && at(y, {4}) == 11);
  index_put_(x, {TensorIndex::from_tensor(m)}, scalar_tensor(-1.0, DType::Float64, true));
  CHECK(at(x, {1, 2}) == 6 && at(x, {1, 3}) == -1 && at(x, {2, 3}) == -1);
  CHECK(x.version() > 0);
}

TEST(index_put_accumulate_matches_naive_and_is_deterministic) {
  const int64_t n = 50, rows = 100000;
  Tensor idx = random_ints({rows}, 0, n, 1);
  Tensor vals = random_floats({rows, 3}, 2);
  Tensor ref = Tensor::empty({n, 3}, DType::Float32);
  std::memset(ref.raw_data(), 0, n * 3 * sizeof(float));
  for (int64_t r = 0; r < rows; ++r)
    for (int c = 0; c < 3; ++c)
      ref.data<float>()[idx.data<int64_t>()[r] * 3 + c] += vals.data<float>()[r * 3 + c];
  const int saved = get_num_threads();
  for (int nt : {1, 2, 3, 8}) {
    set_num_threads(nt);
    Tensor out = index_put(zeros({n, 3}), TensorList{idx}, vals, true);
    CHECK(bitwise_equal(out, ref));  // same summation order as the serial loop
    Tensor out2 = index_add(zeros({n, 3}), 0, idx, vals);
    CHECK(bitwise_equal(out2, ref));
  }
  set_num_threads(saved);
}

TEST(scatter_add_matches_naive_and_is_deterministic) {
  const int64_t n = 7;
  for (const Dims& shape : {Dims{200000}, Dims{3, 70000}, Dims{5000, 40}}) {
    const int d = shape.size() - 1;
    Tensor idx = random_ints(shape, 0, n, 3);
    Tensor src = random_floats(shape, 4);
    Dims out_shape = shape;
    out_shape[d] = n;
    Tensor ref = zeros(out_shape);
    const int64_t lines = numel_of(shape) / shape[d];
    for (int64_t l = 0; l < lines; ++l)
      for (int64_t j = 0; j < shape[d]; ++j)
        ref.data<float>()[l * n + idx.data<int64_t>()[l * shape[d] + j]] +=
            src.data<float>()[l * shape[d] + j];
    const int saved = get_num_threads();
    for (int nt : {1, 2, 5}) {
      set_num_threads(nt);
      CHECK(bitwise_equal(scatter_add(zeros(out_shape), d, idx, src), ref));
    }
    set_num_threads(saved);
  }
}

TEST(gather_and_scatter_against_naive) {
  Tensor x = iota({3, 5});
  Tensor idx = from_vec({4, 0, 1, 1, 2, 3}, {3, 2}, DType::Int64);
  Tensor g = gather(x, 1, idx);
  CHECK(g.sizes() == (Dims{3, 2}));
  for (int64_t i = 0; i < 3; ++i)
    for (int64_t j = 0; j < 2; ++j) CHECK(at(g, {i, j}) == i * 5 + idx.data<int64_t>()[i * 2 + j]);
  // Strided input: gather from a transposed view.
  Tensor xt = Tensor::from_storage(x.storage(), {5, 3}, {1, 5}, 0, x.dtype());
  Tensor idx0 = from_vec({2, 4, 0}, {1, 3}, DType::Int64);
  Tensor g0 = gather(xt, 0, idx0);
  CHECK(at(g0, {0, 0}) == 2 && at(g0, {0, 1}) == 5 + 4 && at(g0, {0, 2}) == 10);
  Tensor s = scatter_value(zeros({3, 5}, DType::Float64), 1, idx,
                           scalar_tensor(1.0, DType::Float64, true));
  CHECK(at(s, {0, 4}) == 1 && at(s, {0, 1}) == 0 && at(s, {2, 3}) == 1);
  CHECK_THROWS(gather(x, 1, from_vec({5}, {1, 1}, DType::Int64)));
  CHECK_THROWS(gather(x, 1, from_vec({0}, {1}, DType::Int64)));
  CHECK_THROWS(scatter(x, 1, idx, zeros({1, 1}, DType::Float64)));
}

TEST(index_select_strided_rows) {
  Tensor x = iota({4, 6});
  Tensor v = index(x, {sl(std::nullopt, std::nullopt), sl(1, std::nullopt, 2)});  // (4, 3)
  Tensor idx = from_vec({3, 0, 3}, {3}, DType::Int64);
  Tensor r = index_select(v, 0, idx);
  CHECK(r.sizes() == (Dims{3, 3}));
  CHECK(at(r, {0, 2}) == 3 * 6 + 5 && at(r, {1, 0}) == 1 && at(r, {2, 1}) == 18 + 3);
  Tensor c = index_select(x, 1, from_vec({5, 0}, {2}, DType::Int64));
  CHECK(at(c, {3, 0}) == 23 && at(c, {3, 1}) == 18);
  CHECK_THROWS(index_select(x, 0, from_vec({4}, {1}, DType::Int64)));
}

TEST(tril_triu_against_naive) {
  for (int64_t k : {-2, -1, 0, 1, 3}) {
    Tensor x = iota({2, 4, 5});
    Tensor lo = tril(x, k), up = triu(x, k);
    for (int64_t b = 0; b < 2; ++b)
      for (int64_t i = 0; i < 4; ++i)
        for (int64_t j = 0; j < 5; ++j) {
          const double v = at(x, {b, i, j});
          CHECK(at(lo, {b, i, j}) == (j - i <= k ? v : 0));
          CHECK(at(up, {b, i, j}) == (j - i >= k ? v : 0));
        }
    Tensor y = iota({2, 4, 5});
    tril_(y, k);
    CHECK(bitwise_equal(y, lo));
  }
  CHECK_THROWS(tril(iota({3})));
}

TEST(nonzero_across_blocks) {
  const int64_t n = 3 * 70000 + 11;  // several 64Ki blocks
  Tensor m = Tensor::empty({3, n / 3}, DType::Bool);
  std::mt19937 rng(5);
  int64_t count = 0;
  for (int64_t i = 0; i < m.numel(); ++i) count += (m.data<bool>()[i] = (rng() % 7 == 0));
  const int saved = get_num_threads();
  set_num_threads(4);
  Tensor nz = nonzero(m);
  set_num_threads(saved);
  CHECK(nz.sizes() == (Dims{count, 2}));
  int64_t k = 0;
  bool ok = true;
  for (int64_t i = 0; i < m.numel(); ++i) {
    if (!m.data<bool>()[i]) continue;
    ok &= nz.data<int64_t>()[2 * k] == i / (n / 3) && nz.data<int64_t>()[2 * k + 1] == i % (n / 3);
    ++k;
  }
  CHECK(ok);
}

TEST(one_hot_values_and_errors) {
  Tensor y = one_hot(from_vec({2, 0}, {2}, DType::Int64));
  CHECK(y.sizes() == (Dims{2, 3}));
  CHECK(at(y, {0, 2}) == 1 && at(y, {0, 0}) == 0 && at(y, {1, 0}) == 1);
  CHECK_THROWS(one_hot(from_vec({3}, {1}, DType::Int64), 3));
  CHECK_THROWS(one_hot(from_vec({-1}, {1}, DType::Int64), 3));
}

TEST(gather_backward_accumulates_duplicates) {
  Tensor x = iota({2, 3});
  x.set_requires_grad(true);
  Tensor idx = from_vec({1, 1, 0, 2, 2, 2}, {2, 3}, DType::Int64);
  Tensor y = gather(x, 1, idx);
  autograd::backward({sum(y)}, {Tensor()}, false, false);
  Tensor g = x.grad();
  CHECK(at(g, {0, 0}) == 1 && at(g, {0, 1}) == 2 && at(g, {0, 2}) == 0);
  CHECK(at(g, {1, 2}) == 3);
}

TEST(setitem_under_autograd_rebases_history) {
  Tensor a = iota({4});
  a.set_requires_grad(true);
  Tensor v = from_vec({10}, {1});
  v.set_requires_grad(true);
  Tensor y = mul(a, scalar_tensor(2.0, DType::Float64, true));
  index_put_(y, {sl(1, 3)}, v);
  CHECK(std::string(y.grad_fn()->name()) == "IndexPutBackward0");
  autograd::backward({sum(y)}, {Tensor()}, false, false);
  CHECK(at(a.grad(), {0}) == 2 && at(a.grad(), {1}) == 0 && at(a.grad(), {3}) == 2);
  CHECK(at(v.grad(), {0}) == 2);
  // A leaf that requires grad cannot be written in place.
  CHECK_THROWS(index_put_(a, {TensorIndex::from_int(0)}, v));
}

TEST_MAIN()
