// Reductions. Deterministic: every output's summation order depends only on the shapes.
#include "axonite/ops/reduce.h"

#include "axonite/autograd/record.h"
#include "axonite/ops/broadcast.h"
#include "axonite/ops/creation.h"
#include "axonite/ops/elementwise.h"
#include "axonite/ops/views.h"

namespace ax {

namespace {
// Output shape with reduced dims set to 1 (keepdim) and a mask of the reduced dims.
Dims reduced_shape(const Tensor& x, const std::vector<int64_t>& dims, bool* mask,
                   const char* op) {
  const int n = x.dim();
  for (int i = 0; i < n; ++i) mask[i] = dims.empty();
  for (int64_t d : dims) {
    const int w = wrap_dim(d, n, op);
    AXONITE_CHECK(!mask[w] || dims.empty(), ValueError, op, ": dim ", w,
                  " appears multiple times in the list of dims");
    mask[w] = true;
  }
  Dims out = x.sizes();
  for (int i = 0; i < n; ++i)
    if (mask[i]) out[i] = 1;
  return out;
}

Dims squeeze_mask(const Dims& keep, const bool* mask) {
  Dims out;
  for (int i = 0; i < keep.size(); ++i)
    if (!mask[i]) out.push_back(keep[i]);
  return out;
}
}  // namespace

Tensor sum(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim,
           std::optional<DType> dtype) {
  const DType acc = dtype ? *dtype : (is_floating(x.dtype()) ? x.dtype() : DType::Int64);
  bool mask[kMaxDims];
  const Dims kshape = reduced_shape(x, dims, mask, "sum");
  Tensor src = x.dtype() == acc ? x.detach() : to_dtype(x.detach(), acc);
  Tensor out = zeros(kshape, acc);
  dispatch(acc, [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (!std::is_same_v<T, bool>) {
      // Generic strided accumulation; out strides are 0 on reduced dims.
      const int n = src.dim();
      Dims ost = out.strides();
      for (int i = 0; i < n; ++i)
        if (mask[i]) ost[i] = 0;
      int64_t idx[kMaxDims] = {};
      const T* sp = src.data<T>();
      T* op = out.data<T>();
      for (int64_t k = 0; k < src.numel(); ++k) {
        int64_t so = 0, oo = 0;
        for (int i = 0; i < n; ++i) {
          so += idx[i] * src.strides()[i];
          oo += idx[i] * ost[i];
        }
        op[oo] += sp[so];
        for (int i = n - 1; i >= 0; --i) {
          if (++idx[i] < src.sizes()[i]) break;
          idx[i] = 0;
        }
      }
    }
  });
  Tensor y = out;
  if (!keepdim) {
    const Dims s = squeeze_mask(kshape, mask);
    y = Tensor::from_storage(out.storage(), s, contiguous_strides(s), 0, acc);
  }
  if (autograd::needs_grad(x)) {
    const Dims in_shape = x.sizes();
    autograd::record("SumBackward1", {x}, y, [in_shape, kshape](const Tensor& g) {
      return TensorList{expand(reshape(g, kshape), in_shape)};
    });
  }
  return y;
}

}  // namespace ax
