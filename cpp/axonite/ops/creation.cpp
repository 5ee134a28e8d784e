// Tensor factories. Random factories draw from the global generator in core/rng.
#include "axonite/ops/creation.h"

#include <cstring>

#include "axonite/core/parallel.h"
#include "axonite/kernels/cpu/loops.h"

namespace ax {

Tensor empty(const Dims& sizes, DType dtype) { return Tensor::empty(sizes, dtype); }

void fill_(const Tensor& t, double value) {
  dispatch(t.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T v = static_cast<T>(value);
    const int64_t es = sizeof(T);
    Dims bs = t.strides();
    for (int i = 0; i < bs.size(); ++i) bs[i] *= es;
    cpu::loop_nd<1>(t.sizes(), {static_cast<char*>(t.raw_data())}, {bs.data()},
                    [&](std::array<char*, 1> p, std::array<int64_t, 1> s, int64_t n) {
                      if (s[0] == es) {
                        T* o = reinterpret_cast<T*>(p[0]);
#pragma omp simd
                        for (int64_t i = 0; i < n; ++i) o[i] = v;
                      } else {
                        for (int64_t i = 0; i < n; ++i) *reinterpret_cast<T*>(p[0] + i * s[0]) = v;
                      }
                    });
  });
  t.bump_version();
}

Tensor zeros(const Dims& sizes, DType dtype) {
  Tensor t = Tensor::empty(sizes, dtype);
  std::memset(t.raw_data(), 0, static_cast<size_t>(t.numel()) * itemsize(dtype));
  return t;
}

Tensor full(const Dims& sizes, double value, DType dtype) {
  Tensor t = Tensor::empty(sizes, dtype);
  fill_(t, value);
  return t;
}

Tensor ones(const Dims& sizes, DType dtype) { return full(sizes, 1.0, dtype); }
Tensor empty_like(const Tensor& t) { return Tensor::empty(t.sizes(), t.dtype()); }
Tensor zeros_like(const Tensor& t) { return zeros(t.sizes(), t.dtype()); }
Tensor ones_like(const Tensor& t) { return ones(t.sizes(), t.dtype()); }
Tensor full_like(const Tensor& t, double value) { return full(t.sizes(), value, t.dtype()); }

Tensor scalar_tensor(double v, DType dtype, bool wrapped) {
  Tensor t = Tensor::empty(Dims{}, dtype);
  dispatch(dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    *t.data<T>() = static_cast<T>(v);
  });
  t.impl()->is_wrapped_number = wrapped;
  return t;
}

Tensor scalar_tensor_int(int64_t v, bool wrapped) {
  Tensor t = Tensor::empty(Dims{}, DType::Int64);
  *t.data<int64_t>() = v;
  t.impl()->is_wrapped_number = wrapped;
  return t;
}

}  // namespace ax
