// Tests for ops/views and ops/join from C++: slice/select/narrow geometry (Python slice
// semantics, clamping, steps), slice_backward values and its own backward, views sharing
// storage, cat through the memcpy and strided paths at several thread counts, and error kinds.
#include <cstdint>
#include <vector>

#include "axonite/autograd/engine.h"
#include "axonite/autograd/record.h"
#include "axonite/core/parallel.h"
#include "axonite/ops/creation.h"
#include "axonite/ops/elementwise.h"
#include "axonite/ops/join.h"
#include "axonite/ops/views.h"
#include "testing.h"

namespace {

using ax::Dims;
using ax::DType;
using ax::Tensor;

// 0, 1, ..., n-1 as float64 in the given shape.
Tensor iota(const Dims& shape) {
  Tensor t = Tensor::empty(shape, DType::Float64);
  double* p = t.data<double>();
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = static_cast<double>(i);
  return t;
}

// Element at a multi-index through the tensor's strides.
double at(const Tensor& t, std::vector<int64_t> idx) {
  int64_t off = 0;
  for (size_t i = 0; i < idx.size(); ++i) off += idx[i] * t.strides()[i];
  return t.data<double>()[off];
}

bool throws_kind(ax::ErrorKind kind, const std::function<void()>& f) {
  try {
    f();
  } catch (const ax::Error& e) {
    return e.kind() == kind;
  }
  return false;
}

TEST(slice_python_semantics) {
  Tensor x = iota({10});
  Tensor a = ax::slice(x, 0, 1, 5, 2);  // [1, 3]
  CHECK(a.sizes() == Dims({2}));
  CHECK(at(a, {0}) == 1 && at(a, {1}) == 3);
  Tensor b = ax::slice(x, 0, -3, std::nullopt, 1);  // [7, 8, 9]
  CHECK(b.sizes() == Dims({3}) && at(b, {0}) == 7);
  Tensor c = ax::slice(x, 0, -100, 100, 3);  // clamped: 0, 3, 6, 9
  CHECK(c.sizes() == Dims({4}) && at(c, {3}) == 9);
  Tensor d = ax::slice(x, 0, 6, 2, 1);  // empty, like x[6:2]
  CHECK(d.sizes() == Dims({0}));
  Tensor e = ax::slice(x, -1, std::nullopt, std::nullopt, 4);  // 0, 4, 8
  CHECK(e.sizes() == Dims({3}) && at(e, {2}) == 8);
  CHECK(e.storage() == x.storage());
  CHECK(throws_kind(ax::ErrorKind::ValueError, [&] { ax::slice(x, 0, 0, 5, 0); }));
  CHECK(throws_kind(ax::ErrorKind::IndexError, [&] { ax::slice(x, 1, 0, 5, 1); }));
}

TEST(select_and_narrow_geometry) {
  Tensor x = iota({3, 4});
  Tensor r = ax::select(x, 0, -1);  // last row: 8..11
  CHECK(r.sizes() == Dims({4}) && at(r, {0}) == 8 && at(r, {3}) == 11);
  Tensor col = ax::select(x, 1, 2);  // 2, 6, 10
  CHECK(col.strides() == Dims({4}) && at(col, {2}) == 10);
  Tensor n = ax::narrow(x, 1, -3, 2);  // columns 1..2
  CHECK(n.sizes() == Dims({3, 2}) && at(n, {2, 1}) == 10);
  CHECK(throws_kind(ax::ErrorKind::IndexError, [&] { ax::select(x, 0, 3); }));
  CHECK(throws_kind(ax::ErrorKind::IndexError, [&] { ax::narrow(x, 0, 5, 0); }));
  CHECK(throws_kind(ax::ErrorKind::RuntimeError, [&] { ax::narrow(x, 0, 2, 2); }));
}

TEST(slice_backward_scatters_into_zeros) {
  Tensor g = iota({3, 2});
  Tensor full = ax::slice_backward(g, Dims{3, 5}, 1, 1, 5, 2);  // columns 1 and 3
  for (int i = 0; i < 3; ++i) {
    CHECK(at(full, {i, 0}) == 0 && at(full, {i, 2}) == 0 && at(full, {i, 4}) == 0);
    CHECK(at(full, {i, 1}) == 2 * i && at(full, {i, 3}) == 2 * i + 1);
  }
  Tensor s = ax::select_backward(ax::select(iota({4, 2}), 0, 1), Dims{4, 2}, 0, 2);
  CHECK(at(s, {2, 0}) == 2 && at(s, {2, 1}) == 3 && at(s, {1, 0}) == 0);
}

TEST(views_share_storage_and_record_backward) {
  Tensor x = iota({2, 3, 4});
  x.set_requires_grad(true);
  const std::vector<Tensor> views = {ax::permute(x, {2, 0, 1}),
                                     ax::transpose(x, 0, 2),
                                     ax::unsqueeze(x, 1),
                                     ax::squeeze(ax::unsqueeze(x, 0)),
                                     ax::flatten(x),
                                     ax::unflatten(x, 2, {2, 2}),
                                     ax::movedim(x, {0}, {2}),
                                     ax::narrow(x, 2, 1, 2),
                                     ax::select(x, 1, 1),
                                     ax::numpy_T(x),
                                     ax::matrix_T(x),
                                     ax::split(x, 1)[1],
                                     ax::unbind(x, 2)[0]};
  for (const Tensor& v : views) {
    CHECK(v.storage() == x.storage());
    CHECK(v.impl()->view_base.get() == x.impl());
    CHECK(v.grad_fn() != nullptr);
  }
}

TEST(permute_backward_is_inverse_permute) {
  Tensor x = iota({2, 3, 4});
  x.set_requires_grad(true);
  Tensor y = ax::permute(x, {1, 2, 0});
  Tensor g = ax::clone(ax::permute(iota({2, 3, 4}), {1, 2, 0}));  // y-shaped
  ax::autograd::backward({y}, {g}, false, false);
  Tensor gx = x.grad();
  CHECK(gx.sizes() == x.sizes());
  for (int64_t i = 0; i < 24; ++i) CHECK(gx.data<double>()[i] == static_cast<double>(i));
}

TEST(cat_memcpy_and_strided_paths_across_threads) {
  // Inputs: contiguous float64, a transposed view, and a float32 (promoted) piece.
  Tensor a = iota({40, 30, 20});
  Tensor b = ax::transpose(ax::clone(ax::transpose(iota({40, 7, 20}), 0, 2)), 0, 2);
  Tensor c = ax::to_dtype(iota({40, 5, 20}), DType::Float32);
  const int old = ax::get_num_threads();
  for (int nt : {1, 2, 3}) {
    ax::set_num_threads(nt);
    Tensor y = ax::cat({a, b, c}, 1);
    CHECK(y.sizes() == Dims({40, 42, 20}) && y.dtype() == DType::Float64);
    bool ok = true;
    for (int64_t i = 0; i < 40; ++i)
      for (int64_t j = 0; j < 42; ++j)
        for (int64_t k = 0; k < 20; ++k) {
          const double want = j < 30   ? (i * 30 + j) * 20 + k
                              : j < 37 ? (i * 7 + (j - 30)) * 20 + k
                                       : (i * 5 + (j - 37)) * 20 + k;
          ok &= at(y, {i, j, k}) == want;
        }
    CHECK(ok);
  }
  ax::set_num_threads(old);
}

TEST(stack_and_split_roundtrip) {
  Tensor a = iota({3, 4}), b = ax::clone(ax::t(iota({4, 3})));
  Tensor s = ax::stack({a, b}, 1);
  CHECK(s.sizes() == Dims({3, 2, 4}));
  CHECK(at(s, {2, 0, 3}) == 11 && at(s, {2, 1, 3}) == 11);  // b[2][3] = iota(4,3)[3][2]
  const ax::TensorList parts = ax::unbind(s, 1);
  CHECK(parts.size() == 2 && parts[1].sizes() == Dims({3, 4}));
  const ax::TensorList ch = ax::chunk(iota({7}), 3);
  CHECK(ch.size() == 3 && ch[2].sizes() == Dims({1}));
  CHECK(throws_kind(ax::ErrorKind::RuntimeError, [&] { ax::split_with_sizes(a, {1, 1}); }));
  CHECK(throws_kind(ax::ErrorKind::RuntimeError, [&] { ax::cat({a, iota({3, 5})}, 0); }));
  CHECK(throws_kind(ax::ErrorKind::ValueError, [&] { ax::cat({}, 0); }));
}

TEST(repeat_flip_roll_values) {
  Tensor x = iota({2, 3});
  Tensor r = ax::repeat(x, {2, 1, 2});
  CHECK(r.sizes() == Dims({2, 2, 6}));
  CHECK(at(r, {1, 1, 4}) == 4 && at(r, {0, 0, 3}) == 0);
  Tensor f = ax::flip(x, {0, 1});
  CHECK(at(f, {0, 0}) == 5 && at(f, {1, 2}) == 0);
  Tensor ro = ax::roll(x, {1}, {1});
  CHECK(at(ro, {0, 0}) == 2 && at(ro, {1, 1}) == 3);  // [[2, 0, 1], [5, 3, 4]]
}

}  // namespace

TEST_MAIN()
