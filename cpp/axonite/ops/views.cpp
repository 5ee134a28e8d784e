// View ops and their backwards. Each op computes new (sizes, strides, offset) over the input's
// storage in O(1) and records the inverse view as its gradient; slicing ops record
// slice_backward, which is itself differentiable so double backward works through views.
#include "axonite/ops/views.h"

#include <algorithm>
#include <utility>

#include "axonite/autograd/record.h"
#include "axonite/ops/creation.h"
#include "axonite/ops/elementwise.h"

namespace ax {
namespace {

// A view of x with the given geometry; records `name`, whose backward maps g through bw.
template <class F>
Tensor make_view(const Tensor& x, const Dims& sizes, const Dims& strides, int64_t offset,
                 const char* name, F&& bw) {
  Tensor y = x.as_strided_view(sizes, strides, offset);
  if (autograd::needs_grad(x)) {
    autograd::record(name, {x}, y,
                     [f = std::forward<F>(bw)](const Tensor& g) { return TensorList{f(g)}; });
  }
  return y;
}

// Backward of every op that only regroups dims (view, squeeze, unsqueeze, flatten, ...).
struct ReshapeBack {
  Dims shape;
  Tensor operator()(const Tensor& g) const { return reshape(g, shape); }
};

}  // namespace

Dims infer_shape(const Dims& shape, int64_t numel, const char* op) {
  Dims out = shape;
  int infer = -1;
  int64_t prod = 1;
  bool overflow = false;  // a wrapped product could equal numel and pass (e.g. [2**62 + 1, 4])
  for (int i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      AXONITE_CHECK(infer < 0, RuntimeError, op, ": only one dimension can be inferred, got shape ",
                    shape_str(shape));
      infer = i;
    } else {
      AXONITE_CHECK(shape[i] >= 0, RuntimeError, op, ": invalid shape dimension ", shape[i],
                    " at index ", i, " of shape ", shape_str(shape));
      overflow = __builtin_mul_overflow(prod, shape[i], &prod) || overflow;
    }
  }
  AXONITE_CHECK(!overflow || prod == 0, RuntimeError, op, ": shape '", shape_str(shape),
                "' is invalid for input of size ", numel, " (it has more than 2**63 elements)");
  if (infer >= 0) {
    AXONITE_CHECK(prod != 0 && numel % prod == 0, RuntimeError, op, ": shape '", shape_str(shape),
                  "' is invalid for input of size ", numel);
    out[infer] = numel / prod;
  } else {
    AXONITE_CHECK(prod == numel, RuntimeError, op, ": shape '", shape_str(shape),
                  "' is invalid for input of size ", numel);
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
  if (os.empty()) {  // a 0-d tensor views as any shape of ones (its one element, any stride)
    *strides = Dims(shape.size(), 1);
    return true;
  }
  int view_d = shape.size() - 1;
  int64_t chunk_base_stride = ost.size() ? ost.back() : 1;
  int64_t tensor_numel = 1, view_numel = 1;
  for (int tensor_d = os.size() - 1; tensor_d >= 0; --tensor_d) {
    tensor_numel *= os[tensor_d];
    if (tensor_d == 0 ||
        (os[tensor_d - 1] != 1 && ost[tensor_d - 1] != tensor_numel * chunk_base_stride)) {
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

Tensor view(const Tensor& x, const Dims& shape) {
  const Dims s = infer_shape(shape, x.numel(), "view");
  Dims st;
  AXONITE_CHECK(view_strides(x, s, &st), RuntimeError, "view: size ", shape_str(s),
                " is not compatible with input tensor's size ", shape_str(x.sizes()),
                " and stride ", shape_str(x.strides()),
                " (at least one dimension spans across two contiguous subspaces). Use "
                ".reshape(...) instead.");
  return make_view(x, s, st, x.offset(), "ViewBackward0", ReshapeBack{x.sizes()});
}

Tensor reshape(const Tensor& x, const Dims& shape) {
  const Dims s = infer_shape(shape, x.numel(), "reshape");
  Dims st;
  if (view_strides(x, s, &st))
    return make_view(x, s, st, x.offset(), "ViewBackward0", ReshapeBack{x.sizes()});
  // Strides do not allow a view: copy once, and hand out the copy itself (not a view of it).
  Tensor c = clone(x.detach());
  Tensor y = Tensor::from_storage(c.storage(), s, contiguous_strides(s), 0, x.dtype());
  if (autograd::needs_grad(x)) {
    autograd::record("UnsafeViewBackward0", {x}, y,
                     [b = ReshapeBack{x.sizes()}](const Tensor& g) { return TensorList{b(g)}; });
  }
  return y;
}

// ---- dim reordering -------------------------------------------------------------------------

Tensor permute(const Tensor& x, const Dims& dims) {
  const int n = x.dim();
  AXONITE_CHECK(dims.size() == n, RuntimeError,
                "permute: number of dims don't match in permute; input.dim() = ", n,
                " is not equal to len(dims) = ", dims.size(), " (dims ", shape_str(dims), ")");
  Dims sizes(n), strides(n), inverse(n);
  bool seen[kMaxDims] = {};
  for (int i = 0; i < n; ++i) {
    const int d = wrap_dim(dims[i], n, "permute");
    AXONITE_CHECK(!seen[d], RuntimeError, "permute: duplicate dims are not allowed (dims ",
                  shape_str(dims), ")");
    seen[d] = true;
    sizes[i] = x.sizes()[d];
    strides[i] = x.strides()[d];
    inverse[d] = i;
  }
  return make_view(x, sizes, strides, x.offset(), "PermuteBackward0",
                   [inverse](const Tensor& g) { return permute(g, inverse); });
}

Tensor transpose(const Tensor& x, int64_t dim0, int64_t dim1) {
  const int n = x.dim();
  const int a = wrap_dim(dim0, n, "transpose"), b = wrap_dim(dim1, n, "transpose");
  Dims sizes = x.sizes(), strides = x.strides();
  if (n > 0) {
    std::swap(sizes[a], sizes[b]);
    std::swap(strides[a], strides[b]);
  }
  return make_view(x, sizes, strides, x.offset(), "TransposeBackward0",
                   [a, b](const Tensor& g) { return transpose(g, a, b); });
}

Tensor t(const Tensor& x) {
  AXONITE_CHECK(x.dim() <= 2, RuntimeError,
                "t: expects a tensor with <= 2 dimensions, but self is ", x.dim(), "D (shape ",
                shape_str(x.sizes()), ")");
  Dims sizes = x.sizes(), strides = x.strides();
  if (x.dim() == 2) {
    std::swap(sizes[0], sizes[1]);
    std::swap(strides[0], strides[1]);
  }
  return make_view(x, sizes, strides, x.offset(), "TBackward0",
                   [](const Tensor& g) { return t(g); });
}

Tensor numpy_T(const Tensor& x) {
  Dims dims(x.dim());
  for (int i = 0; i < x.dim(); ++i) dims[i] = x.dim() - 1 - i;
  return permute(x, dims);
}

Tensor matrix_T(const Tensor& x) {
  AXONITE_CHECK(x.dim() >= 2, RuntimeError,
                "mT: tensor.mT is only supported on matrices or batches of matrices. Got ", x.dim(),
                "-D tensor.");
  return transpose(x, -2, -1);
}

Tensor movedim(const Tensor& x, const Dims& source, const Dims& destination) {
  const int n = x.dim();
  AXONITE_CHECK(source.size() == destination.size(), RuntimeError,
                "movedim: Invalid source or destination dims: source (", shape_str(source),
                " dims) should contain the same number of dims as destination (",
                shape_str(destination), " dims)");
  // order[d] = which input dim lands at output position d (-1 until assigned).
  Dims order(n, -1);
  bool src_used[kMaxDims] = {};
  for (int i = 0; i < source.size(); ++i) {
    const int s = wrap_dim(source[i], n, "movedim"), d = wrap_dim(destination[i], n, "movedim");
    AXONITE_CHECK(!src_used[s], RuntimeError, "movedim: repeated dim in `source` (",
                  shape_str(source), ")");
    AXONITE_CHECK(order[d] == -1, RuntimeError, "movedim: repeated dim in `destination` (",
                  shape_str(destination), ")");
    src_used[s] = true;
    order[d] = s;
  }
  int next_src = 0;
  for (int d = 0; d < n; ++d) {
    if (order[d] != -1) continue;
    while (src_used[next_src]) ++next_src;
    order[d] = next_src++;
  }
  return permute(x, order);
}

// ---- size-1 dims and dim grouping -------------------------------------------------------------

Tensor unsqueeze(const Tensor& x, int64_t dim) {
  const int n = x.dim();
  const int d = wrap_dim(dim, n + 1, "unsqueeze");
  Dims sizes = x.sizes(), strides = x.strides();
  // The new dim's stride is what a contiguous tensor would have there (any value is valid).
  const int64_t st = d < n ? x.sizes()[d] * x.strides()[d] : 1;
  sizes.insert(d, 1);
  strides.insert(d, st);
  return make_view(x, sizes, strides, x.offset(), "UnsqueezeBackward0", ReshapeBack{x.sizes()});
}

static Tensor squeeze_mask(const Tensor& x, const bool* mask, const char* name) {
  Dims sizes, strides;
  for (int i = 0; i < x.dim(); ++i) {
    if (mask[i] && x.sizes()[i] == 1) continue;
    sizes.push_back(x.sizes()[i]);
    strides.push_back(x.strides()[i]);
  }
  return make_view(x, sizes, strides, x.offset(), name, ReshapeBack{x.sizes()});
}

Tensor squeeze(const Tensor& x) {
  bool mask[kMaxDims];
  std::fill(mask, mask + kMaxDims, true);
  return squeeze_mask(x, mask, "SqueezeBackward0");
}

Tensor squeeze(const Tensor& x, int64_t dim) {
  bool mask[kMaxDims] = {};
  const int d = wrap_dim(dim, x.dim(), "squeeze");
  if (x.dim() > 0) mask[d] = true;
  return squeeze_mask(x, mask, "SqueezeBackward1");
}

Tensor squeeze(const Tensor& x, const Dims& dims) {
  bool mask[kMaxDims] = {};
  for (int64_t dim : dims) {
    const int d = wrap_dim(dim, x.dim(), "squeeze");
    if (x.dim() == 0) continue;
    AXONITE_CHECK(!mask[d], RuntimeError, "squeeze: dim ", d,
                  " appears multiple times in the list of dims");
    mask[d] = true;
  }
  return squeeze_mask(x, mask, "SqueezeBackward2");
}

Tensor flatten(const Tensor& x, int64_t start_dim, int64_t end_dim) {
  const int n = x.dim();
  const int s = wrap_dim(start_dim, n, "flatten"), e = wrap_dim(end_dim, n, "flatten");
  AXONITE_CHECK(s <= e, RuntimeError,
                "flatten: start_dim cannot come after end_dim (start_dim=", start_dim,
                ", end_dim=", end_dim, ")");
  if (n == 0) return reshape(x, Dims{1});
  if (s == e) return x;
  Dims shape;
  int64_t merged = 1;
  for (int i = 0; i < n; ++i) {
    if (i < s || i > e) {
      shape.push_back(x.sizes()[i]);
    } else {
      merged *= x.sizes()[i];
      if (i == e) shape.push_back(merged);
    }
  }
  return reshape(x, shape);
}

Tensor unflatten(const Tensor& x, int64_t dim, const Dims& sizes) {
  AXONITE_CHECK(x.dim() > 0, IndexError, "unflatten: dimension specified as ", dim,
                " but tensor has no dimensions");
  const int d = wrap_dim(dim, x.dim(), "unflatten");
  AXONITE_CHECK(!sizes.empty(), RuntimeError, "unflatten: sizes must be non-empty");
  const int64_t n = x.sizes()[d];
  int64_t prod = 1;
  int inferred = 0;
  for (int64_t s : sizes) {
    if (s == -1)
      ++inferred;
    else
      prod *= s;
  }
  AXONITE_CHECK(inferred ? (inferred == 1 && prod != 0 && n % prod == 0) : prod == n, RuntimeError,
                "unflatten: Provided sizes ", shape_str(sizes),
                " don't multiply up to the size of dim ", d, " (", n, ") in the input tensor");
  const Dims resolved = infer_shape(sizes, n, "unflatten");
  Dims shape;
  for (int i = 0; i < x.dim(); ++i) {
    if (i != d) {
      shape.push_back(x.sizes()[i]);
      continue;
    }
    for (int64_t s : resolved) shape.push_back(s);
  }
  return view(x, shape);
}

// ---- slicing --------------------------------------------------------------------------------

Tensor slice(const Tensor& x, int dim, std::optional<int64_t> start, std::optional<int64_t> stop,
             int64_t step) {
  AXONITE_CHECK(x.dim() > 0, IndexError, "slice: cannot be applied to a 0-dim tensor");
  const int d = wrap_dim(dim, x.dim(), "slice");
  AXONITE_CHECK(step > 0, ValueError, "slice: step must be greater than zero, got ", step);
  const int64_t n = x.sizes()[d];
  // Python slice semantics: negative bounds count from the end, then clamp to [0, n].
  int64_t s = start.value_or(0), e = stop.value_or(n);
  if (s < 0) s += n;
  if (e < 0) e += n;
  s = std::clamp<int64_t>(s, 0, n);
  e = std::clamp<int64_t>(e, s, n);
  Dims sizes = x.sizes(), strides = x.strides();
  sizes[d] = (e - s + step - 1) / step;
  strides[d] *= step;
  const Dims in = x.sizes();
  return make_view(
      x, sizes, strides, x.offset() + s * x.strides()[d], "SliceBackward0",
      [in, d, s, e, step](const Tensor& g) { return slice_backward(g, in, d, s, e, step); });
}

Tensor select(const Tensor& x, int64_t dim, int64_t index) {
  AXONITE_CHECK(x.dim() > 0, IndexError, "select: cannot be applied to a 0-dim tensor");
  const int d = wrap_dim(dim, x.dim(), "select");
  const int64_t n = x.sizes()[d];
  AXONITE_CHECK(index >= -n && index < n, IndexError, "select: index ", index,
                " out of range for tensor of size ", shape_str(x.sizes()), " at dimension ", d);
  const int64_t i = index < 0 ? index + n : index;
  Dims sizes = x.sizes(), strides = x.strides();
  sizes.erase(d);
  strides.erase(d);
  const Dims in = x.sizes();
  return make_view(x, sizes, strides, x.offset() + i * x.strides()[d], "SelectBackward0",
                   [in, d, i](const Tensor& g) { return select_backward(g, in, d, i); });
}

Tensor narrow(const Tensor& x, int64_t dim, int64_t start, int64_t length) {
  AXONITE_CHECK(x.dim() > 0, RuntimeError, "narrow: cannot be applied to a 0-dim tensor");
  const int d = wrap_dim(dim, x.dim(), "narrow");
  const int64_t n = x.sizes()[d];
  AXONITE_CHECK(length >= 0, RuntimeError, "narrow: length must be non-negative, got ", length);
  AXONITE_CHECK(start >= -n && start <= n, IndexError,
                "narrow: start out of range (expected to be in range of [", -n, ", ", n,
                "], but got ", start, ")");
  const int64_t s = start < 0 ? start + n : start;
  AXONITE_CHECK(s <= n - length, RuntimeError, "narrow: start (", s, ") + length (", length,
                ") exceeds dimension size (", n, ") at dimension ", d);
  return slice(x, d, s, s + length, 1);
}

Tensor slice_backward(const Tensor& grad, const Dims& input_sizes, int dim, int64_t start,
                      int64_t stop, int64_t step) {
  Tensor out = zeros(input_sizes, grad.dtype());
  Dims sizes = input_sizes, strides = out.strides();
  sizes[dim] = (stop - start + step - 1) / step;
  AXONITE_ASSERT(sizes == grad.sizes());
  strides[dim] *= step;
  if (grad.numel() > 0) {
    Tensor dst = Tensor::from_storage(out.storage(), sizes, strides, start * out.strides()[dim],
                                      out.dtype());
    detail::cast_into(dst, grad);
  }
  if (autograd::needs_grad(grad)) {
    autograd::record("SliceBackwardBackward0", {grad}, out,
                     [dim, start, stop, step](const Tensor& gg) {
                       return TensorList{slice(gg, dim, start, stop, step)};
                     });
  }
  return out;
}

Tensor select_backward(const Tensor& grad, const Dims& input_sizes, int dim, int64_t index) {
  return slice_backward(unsqueeze(grad, dim), input_sizes, dim, index, index + 1, 1);
}

// ---- arbitrary geometry -----------------------------------------------------------------------

namespace {

// Element range [lo, hi) of storage that a geometry touches (lo == hi when it is empty).
std::pair<int64_t, int64_t> extent(const Dims& sizes, const Dims& strides, int64_t offset) {
  int64_t hi = offset + 1;
  for (int i = 0; i < sizes.size(); ++i) {
    if (sizes[i] == 0) return {offset, offset};
    hi += (sizes[i] - 1) * strides[i];
  }
  return {offset, hi};
}

// Writes (accumulate) or adds src into a zeroed buffer of `len` elements through geometry `into`,
// then reads `from` out of it as a contiguous tensor. `into` may overlap (values add up).
Tensor scatter_gather(const Tensor& src, int64_t len, const StridedGeometry& into,
                      const StridedGeometry& from) {
  const Tensor s = contiguous(src.detach());
  Tensor buf = zeros(Dims{len}, s.dtype());
  if (non_overlapping(into.sizes, into.strides)) {
    // One writer per element: a plain strided copy (the common case, vectorized).
    detail::cast_into(
        Tensor::from_storage(buf.storage(), into.sizes, into.strides, into.offset, buf.dtype()), s);
  } else {
    dispatch(s.dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      if constexpr (!std::is_same_v<T, bool>) {
        const T* sp = s.data<T>();
        T* bp = buf.data<T>();
        const int n = into.sizes.size();
        int64_t idx[kMaxDims] = {};
        for (int64_t k = 0; k < s.numel(); ++k) {
          int64_t o = into.offset;
          for (int i = 0; i < n; ++i) o += idx[i] * into.strides[i];
          bp[o] += sp[k];
          for (int i = n - 1; i >= 0; --i) {
            if (++idx[i] < into.sizes[i]) break;
            idx[i] = 0;
          }
        }
      }
    });
  }
  Tensor out = Tensor::empty(from.sizes, s.dtype());
  detail::cast_into(
      out, Tensor::from_storage(buf.storage(), from.sizes, from.strides, from.offset, s.dtype()));
  return out;
}

}  // namespace

bool non_overlapping(const Dims& sizes, const Dims& strides) {
  int order[kMaxDims];
  int n = 0;
  for (int i = 0; i < sizes.size(); ++i) {
    if (sizes[i] == 0) return true;
    if (sizes[i] > 1) order[n++] = i;
  }
  std::sort(order, order + n, [&](int a, int b) { return strides[a] < strides[b]; });
  int64_t span = 1;  // elements covered by the dims sorted so far
  for (int k = 0; k < n; ++k) {
    const int i = order[k];
    if (strides[i] < span) return false;
    span = strides[i] * (sizes[i] - 1) + span;
  }
  return true;
}

Tensor strided_scatter(const Tensor& g, int64_t len, const StridedGeometry& in,
                       const StridedGeometry& out) {
  Tensor r = scatter_gather(g, len, out, in);
  if (autograd::needs_grad(g)) {
    autograd::record("AsStridedBackward0", {g}, r, [len, in, out](const Tensor& gg) {
      return TensorList{strided_gather(gg, len, in, out)};
    });
  }
  return r;
}

Tensor strided_gather(const Tensor& h, int64_t len, const StridedGeometry& in,
                      const StridedGeometry& out) {
  Tensor r = scatter_gather(h, len, in, out);
  if (autograd::needs_grad(h)) {
    autograd::record("AsStridedBackwardBackward0", {h}, r, [len, in, out](const Tensor& gg) {
      return TensorList{strided_scatter(gg, len, in, out)};
    });
  }
  return r;
}

Tensor as_strided(const Tensor& x, const Dims& size, const Dims& stride,
                  std::optional<int64_t> storage_offset) {
  AXONITE_CHECK(size.size() == stride.size(), RuntimeError, "as_strided: mismatch in length of ",
                "size ", shape_str(size), " and stride ", shape_str(stride));
  const int64_t off = storage_offset.value_or(x.offset());
  AXONITE_CHECK(off >= 0, RuntimeError, "as_strided: storage_offset must be non-negative, got ",
                off);
  for (int i = 0; i < size.size(); ++i) {
    AXONITE_CHECK(size[i] >= 0, RuntimeError, "as_strided: negative size in ", shape_str(size));
    AXONITE_CHECK(stride[i] >= 0, RuntimeError,
                  "as_strided: negative strides are not supported, got ", shape_str(stride));
  }
  const auto [lo, hi] = extent(size, stride, off);
  const int64_t avail = static_cast<int64_t>(x.storage()->nbytes() / itemsize(x.dtype()));
  AXONITE_CHECK(hi <= avail, RuntimeError, "as_strided: size ", shape_str(size), ", stride ",
                shape_str(stride), " and storage offset ", off, " need a storage of ", hi,
                " elements, but the storage holds ", avail);
  Tensor y = x.as_strided_view(size, stride, off);
  if (autograd::needs_grad(x)) {
    AXONITE_CHECK(non_overlapping(x.sizes(), x.strides()), RuntimeError,
                  "as_strided: backward through an input whose elements overlap in memory (shape ",
                  shape_str(x.sizes()), ", stride ", shape_str(x.strides()),
                  ") is not supported; call .contiguous() first");
    // Both geometries are rebased into a scratch buffer spanning their union.
    const auto [xlo, xhi] = extent(x.sizes(), x.strides(), x.offset());
    const int64_t base = std::min(lo, xlo), len = std::max(hi, xhi) - base;
    const StridedGeometry in{x.sizes(), x.strides(), x.offset() - base};
    const StridedGeometry out{size, stride, off - base};
    autograd::record("AsStridedBackward0", {x}, y, [len, in, out](const Tensor& g) {
      return TensorList{strided_scatter(g, len, in, out)};
    });
  }
  return y;
}

}  // namespace ax
