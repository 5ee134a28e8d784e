// expand and sum_to, each the other's backward.
#include "axonite/ops/broadcast.h"

#include "axonite/autograd/record.h"
#include "axonite/ops/reduce.h"

namespace ax {

Tensor expand(const Tensor& x, const Dims& sizes) {
  const int n = sizes.size(), xd = x.dim();
  AXONITE_CHECK(n >= xd, RuntimeError, "expand: the number of sizes provided (", n,
                ") must be greater or equal to the number of dimensions in the tensor (", xd,
                "); tensor shape ", shape_str(x.sizes()));
  Dims out(n), st(n);
  for (int i = 0; i < n; ++i) {
    const int j = i - (n - xd);
    int64_t want = sizes[i];
    if (j < 0) {
      AXONITE_CHECK(want >= 0, RuntimeError, "expand: -1 is not allowed for a new leading dim");
      out[i] = want;
      st[i] = 0;
      continue;
    }
    const int64_t have = x.sizes()[j];
    if (want == -1) want = have;
    AXONITE_CHECK(have == want || have == 1, RuntimeError,
                  "expand: the expanded size of the tensor (", want,
                  ") must match the existing size (", have, ") at non-singleton dimension ", i,
                  ". Target sizes: ", shape_str(sizes), ". Tensor sizes: ", shape_str(x.sizes()));
    out[i] = want;
    st[i] = have == want ? x.strides()[j] : 0;
  }
  if (out == x.sizes()) return x;
  checked_numel(out, "expand");  // a view, but its element count must still fit int64
  Tensor y = x.as_strided_view(out, st, x.offset());
  if (autograd::needs_grad(x)) {
    const Dims in_shape = x.sizes();
    autograd::record("ExpandBackward0", {x}, y,
                     [in_shape](const Tensor& g) { return TensorList{sum_to(g, in_shape)}; });
  }
  return y;
}

Tensor sum_to(const Tensor& x, const Dims& sizes) {
  if (x.sizes() == sizes) return x;
  const int n = x.dim(), lead = n - sizes.size();
  AXONITE_CHECK(lead >= 0, ValueError, "sum_to: cannot sum shape ", shape_str(x.sizes()), " to ",
                shape_str(sizes));
  std::vector<int64_t> dims;
  for (int i = 0; i < n; ++i) {
    if (i < lead) {
      dims.push_back(i);
      continue;
    }
    const int64_t want = sizes[i - lead];
    AXONITE_CHECK(want == x.sizes()[i] || want == 1, ValueError, "sum_to: cannot sum shape ",
                  shape_str(x.sizes()), " to ", shape_str(sizes));
    if (want == 1 && x.sizes()[i] != 1) dims.push_back(i);
  }
  // Sum with keepdim, then drop the leading dims through a view of the contiguous result.
  Tensor s = sum(x.detach(), dims, /*keepdim=*/true);
  Tensor y = s.as_strided_view(sizes, contiguous_strides(sizes), s.offset());
  y.impl()->view_base.reset();
  if (autograd::needs_grad(x)) {
    const Dims in_shape = x.sizes();
    autograd::record("SumToBackward0", {x}, y,
                     [in_shape](const Tensor& g) { return TensorList{expand(g, in_shape)}; });
  }
  return y;
}

}  // namespace ax
