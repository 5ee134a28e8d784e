// View ops and their backwards.
#include "axonite/ops/views.h"

#include "axonite/autograd/record.h"
#include "axonite/ops/elementwise.h"

namespace ax {

Dims infer_shape(const Dims& shape, int64_t numel, const char* op) {
  Dims out = shape;
  int infer = -1;
  int64_t prod = 1;
  for (int i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      AXONITE_CHECK(infer < 0, ValueError, op, ": only one dimension can be inferred, got shape ",
                    shape_str(shape));
      infer = i;
    } else {
      AXONITE_CHECK(shape[i] >= 0, ValueError, op, ": invalid shape dimension ", shape[i],
                    " in ", shape_str(shape));
      prod *= shape[i];
    }
  }
  if (infer >= 0) {
    AXONITE_CHECK(prod != 0 && numel % prod == 0, ValueError, op, ": shape ", shape_str(shape),
                  " is invalid for input of size ", numel);
    out[infer] = numel / prod;
  } else {
    AXONITE_CHECK(prod == numel, ValueError, op, ": shape ", shape_str(shape),
                  " is invalid for input of size ", numel);
  }
  return out;
}

// Walks the old dims in contiguous chunks (runs where stride[i] == stride[i+1] * size[i+1]) and
// maps each run onto the new dims that multiply to the same count, as PyTorch's computeStride.
bool view_strides(const Tensor& x, const Dims& shape, Dims* strides) {
  const Dims& os = x.sizes();
  const Dims& ost = x.strides();
  Dims st(shape.size());
  if (x.numel() == 0) {
    *strides = contiguous_strides(shape);
    return true;
  }
  int view_d = shape.size() - 1;
  int64_t chunk_base_stride = ost.size() ? ost.back() : 1;
  int64_t tensor_numel = 1, view_numel = 1;
  for (int tensor_d = os.size() - 1; tensor_d >= 0; --tensor_d) {
    tensor_numel *= os[tensor_d];
    if (tensor_d == 0 || (os[tensor_d - 1] != 1 &&
                          ost[tensor_d - 1] != tensor_numel * chunk_base_stride)) {
      while (view_d >= 0 && (view_numel < tensor_numel || shape[view_d] == 1)) {
        st[view_d] = view_numel * chunk_base_stride;
        view_numel *= shape[view_d];
        --view_d;
      }
      if (view_numel != tensor_numel) return false;
      if (tensor_d > 0) {
        chunk_base_stride = ost[tensor_d - 1];
        tensor_numel = 1;
        view_numel = 1;
      }
    }
  }
  if (view_d != -1) return false;
  *strides = st;
  return true;
}

static Tensor make_view(const Tensor& x, const Dims& shape, const Dims& strides,
                        const char* name) {
  Tensor y = x.as_strided_view(shape, strides, x.offset());
  if (autograd::needs_grad(x)) {
    const Dims in_shape = x.sizes();
    autograd::record(name, {x}, y,
                     [in_shape](const Tensor& g) { return TensorList{reshape(g, in_shape)}; });
  }
  return y;
}

Tensor view(const Tensor& x, const Dims& shape) {
  const Dims s = infer_shape(shape, x.numel(), "view");
  Dims st;
  AXONITE_CHECK(view_strides(x, s, &st), RuntimeError, "view: size ", shape_str(s),
                " is not compatible with input tensor's size ", shape_str(x.sizes()), " and stride ",
                shape_str(x.strides()),
                " (at least one dimension spans across two contiguous subspaces). Use "
                ".reshape(...) instead.");
  return make_view(x, s, st, "ViewBackward0");
}

Tensor reshape(const Tensor& x, const Dims& shape) {
  const Dims s = infer_shape(shape, x.numel(), "reshape");
  if (s == x.sizes()) return x;
  Dims st;
  if (view_strides(x, s, &st)) return make_view(x, s, st, "ViewBackward0");
  return make_view(clone(x), s, contiguous_strides(s), "ReshapeAliasBackward0");
}

}  // namespace ax
