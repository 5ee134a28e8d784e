// Dim-wise index ops and their backwards: gather <-> scatter_add, scatter, take_along_dim;
// plus masked_fill, nonzero, one_hot and tril/triu. Declared in ops/indexing.h.
#include <algorithm>

#include "axonite/autograd/record.h"
#include "axonite/core/parallel.h"
#include "axonite/kernels/cpu/loops.h"
#include "axonite/kernels/indexing.h"
#include "axonite/ops/broadcast.h"
#include "axonite/ops/creation.h"
#include "axonite/ops/elementwise.h"
#include "axonite/ops/indexing.h"
#include "axonite/ops/reduce.h"
#include "axonite/ops/views.h"

namespace ax {
namespace {

// 0-d tensors take part in dim-wise ops as 1-d tensors of one element.
Tensor as_1d(const Tensor& t) {
  return t.dim() == 0 ? Tensor::from_storage(t.storage(), Dims{1}, Dims{1}, t.offset(), t.dtype())
                      : t;
}

// Checks shapes and index values of gather (src undefined) or scatter and returns the wrapped
// dim. x, index, src are already 1-d-ified; index is contiguous.
int check_dim_op(const char* op, const Tensor& x, int64_t dim, const Tensor& index,
                 const Tensor& src) {
  AXONITE_CHECK(index.dtype() == DType::Int64, RuntimeError, op,
                "(): Expected dtype int64 for index, got ", dtype_name(index.dtype()));
  AXONITE_CHECK(index.dim() == x.dim(), RuntimeError, op,
                "(): Index tensor must have the same number of dimensions as input tensor (got ",
                shape_str(index.sizes()), " and ", shape_str(x.sizes()), ")");
  const int d = wrap_dim(dim, x.dim(), op);
  if (!src.defined()) {
    for (int i = 0; i < x.dim(); ++i)
      AXONITE_CHECK(i == d || index.size(i) <= x.size(i), RuntimeError, op,
                    "(): Size does not match at dimension ", i, " expected index ",
                    shape_str(index.sizes()), " to be no larger than self ", shape_str(x.sizes()),
                    " apart from dimension ", d);
  } else {
    AXONITE_CHECK(src.dim() == x.dim(), RuntimeError, op,
                  "(): Index tensor must have the same number of dimensions as src tensor (got ",
                  shape_str(index.sizes()), " and ", shape_str(src.sizes()), ")");
    AXONITE_CHECK(src.dtype() == x.dtype(), RuntimeError, op,
                  "(): Expected self.dtype to be equal to src.dtype (got ", dtype_name(x.dtype()),
                  " and ", dtype_name(src.dtype()), ")");
    for (int i = 0; i < x.dim(); ++i)
      AXONITE_CHECK((i == d || index.size(i) <= x.size(i)) && index.size(i) <= src.size(i),
                    RuntimeError, op, "(): Expected index ", shape_str(index.sizes()),
                    " to be no larger than self ", shape_str(x.sizes()), " apart from dimension ",
                    d, " and to be no larger size than src ", shape_str(src.sizes()));
  }
  const int64_t n = x.size(d);
  const int64_t bad = cpu::find_out_of_range(index.data<int64_t>(), index.numel(), 0, n);
  AXONITE_CHECK(bad < 0, RuntimeError, op, "(): index ", bad < 0 ? 0 : index.data<int64_t>()[bad],
                " is out of bounds for dimension ", d, " with size ", n);
  return d;
}

cpu::DimLines dim_lines(const Tensor& a, int d, const Tensor& index, const Tensor& b) {
  const int64_t es = static_cast<int64_t>(itemsize(a.dtype())), is = sizeof(int64_t);
  cpu::DimLines g;
  for (int i = 0; i < index.dim(); ++i) {
    if (i == d) continue;
    g.line_sizes.push_back(index.size(i));
    g.idx_strides.push_back(index.stride(i) * is);
    g.a_strides.push_back(a.stride(i) * es);
    g.b_strides.push_back(b.stride(i) * es);
  }
  g.J = index.size(d);
  g.idx_sd = index.stride(d) * is;
  g.a_sd = a.stride(d) * es;
  g.b_sd = b.stride(d) * es;
  g.dim_size = a.size(d);
  return g;
}

// x[..., :n0, :n1, ...] of zeros(shape) set to t (t no larger than shape): differentiable in t.
Tensor pad_to(const Tensor& t, const Dims& shape) {
  if (t.sizes() == shape) return t;
  IndexSpec spec;
  for (int i = 0; i < t.dim(); ++i) spec.push_back(TensorIndex::from_slice(0, t.size(i), 1));
  return index_put(zeros(shape, t.dtype()), spec, t);
}

enum class Mode { Assign, Add, Value };

// Scatters into x (in place, no autograd); returns the wrapped dim.
int scatter_raw(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src, Mode mode,
                const char* op) {
  const Tensor xs = as_1d(x), idx = as_1d(contiguous(index.detach()));
  Tensor b;
  if (mode == Mode::Value) {
    AXONITE_CHECK(src.dim() == 0, RuntimeError, op, "(): value must be a scalar");
    const Tensor v = to_dtype(src.detach(), x.dtype());
    b = Tensor::from_storage(v.storage(), idx.sizes(), Dims(idx.dim(), 0), v.offset(), v.dtype());
  } else {
    b = as_1d(src.detach());
  }
  const int d = check_dim_op(op, xs, dim, idx, mode == Mode::Value ? Tensor() : b);
  detail::check_no_overlap(xs, op);
  if (b.storage() == xs.storage()) b = clone(b);
  cpu::scatter_lines(static_cast<char*>(xs.raw_data()), static_cast<const char*>(b.raw_data()),
                     static_cast<const char*>(idx.raw_data()), dim_lines(xs, d, idx, b), x.dtype(),
                     mode == Mode::Add);
  return d;
}

void record_scatter(const Tensor& x, int d, const Tensor& index, const Tensor& src, Mode mode,
                    const Tensor& out) {
  const char* name = mode == Mode::Add     ? "ScatterAddBackward0"
                     : mode == Mode::Value ? "ScatterBackward1"
                                           : "ScatterBackward0";
  const Tensor s = mode == Mode::Value ? Tensor() : src;
  autograd::record(name, {x, s}, out,
                   [d, index, mode, xg = x.requires_grad(), sg = s.defined() && s.requires_grad(),
                    src_shape = src.sizes()](const Tensor& g) {
                     Tensor gx, gs;
                     if (xg) {
                       gx = mode == Mode::Add
                                ? g
                                : scatter_value(g, d, index, scalar_tensor(0.0, g.dtype(), true));
                     }
                     if (sg) gs = pad_to(gather(g, d, index), src_shape);
                     return TensorList{gx, gs};
                   });
}

Tensor scatter_out(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src, Mode mode,
                   const char* op) {
  Tensor out = clone(x.detach());
  const int d = scatter_raw(out, dim, index, src, mode, op);
  const Tensor s = mode == Mode::Value ? Tensor() : src;
  if (autograd::any_needs_grad({x, s})) record_scatter(x, d, index, src, mode, out);
  return out;
}

Tensor scatter_in(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src, Mode mode,
                  const char* op) {
  const Tensor s = mode == Mode::Value ? Tensor() : src;
  detail::check_inplace(x, s, op);
  const bool grad = autograd::any_needs_grad({x, s});
  const int d = scatter_raw(x, dim, index, src, mode, op);
  x.bump_version();
  if (grad) {
    Tensor r = x.detach();
    record_scatter(x, d, index, src, mode, r);
    detail::rebase_history(x, r);
  }
  return x;
}

}  // namespace

Tensor gather(const Tensor& x, int64_t dim, const Tensor& index) {
  const Tensor xs = as_1d(x.detach()), idx = as_1d(contiguous(index.detach()));
  const int d = check_dim_op("gather", xs, dim, idx, Tensor());
  Tensor y = Tensor::empty(index.sizes(), x.dtype());
  const Tensor ys = as_1d(y);
  cpu::gather_lines(static_cast<char*>(ys.raw_data()), static_cast<const char*>(xs.raw_data()),
                    static_cast<const char*>(idx.raw_data()), dim_lines(xs, d, idx, ys),
                    itemsize(x.dtype()));
  if (autograd::needs_grad(x)) {
    autograd::record("GatherBackward0", {x}, y, [shape = x.sizes(), d, index](const Tensor& g) {
      return TensorList{scatter_add(zeros(shape, g.dtype()), d, index, g)};
    });
  }
  return y;
}

Tensor take_along_dim(const Tensor& x, const Tensor& indices, std::optional<int64_t> dim) {
  // Checked before the reshapes and the gather below, whose messages would name gather.
  AXONITE_CHECK(indices.dtype() == DType::Int64, RuntimeError,
                "take_along_dim(): Expected dtype int64 for indices, got ",
                dtype_name(indices.dtype()));
  if (!dim) return gather(reshape(x, Dims{-1}), 0, reshape(indices, Dims{-1}));
  AXONITE_CHECK(x.dim() == indices.dim(), RuntimeError,
                "take_along_dim(): input and indices should have the same number of dimensions, "
                "but got ",
                x.dim(), " dimensions for input, and ", indices.dim(), " dimensions for indices");
  if (x.dim() == 0) {
    wrap_dim(*dim, 0, "take_along_dim()");
    return reshape(gather(reshape(x, Dims{1}), 0, reshape(indices, Dims{1})), Dims{});
  }
  const int d = wrap_dim(*dim, x.dim(), "take_along_dim()");
  // Each side broadcast to the other's sizes, except along dim where it keeps its own.
  Dims xs, is;
  for (int i = 0; i < x.dim(); ++i) {
    xs.push_back(i == d ? indices.size(i) : x.size(i));
    is.push_back(i == d ? x.size(i) : indices.size(i));
  }
  // Same rank on both sides, so broadcasting is per dim; PyTorch raises RuntimeError here.
  auto bcast = [&](const Dims& a, const Dims& b) {
    Dims out(a.size());
    for (int i = 0; i < a.size(); ++i) {
      AXONITE_CHECK(a[i] == b[i] || a[i] == 1 || b[i] == 1, RuntimeError,
                    "take_along_dim(): input ", shape_str(x.sizes()), " and indices ",
                    shape_str(indices.sizes()), " are not broadcastable apart from dim ", d);
      out[i] = a[i] == 1 ? b[i] : a[i];
    }
    return out;
  };
  const Dims ishape = bcast(xs, indices.sizes());
  const Dims xshape = bcast(is, x.sizes());
  return gather(expand(x, xshape), d, expand(indices, ishape));
}

Tensor scatter(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src) {
  return scatter_out(x, dim, index, src, Mode::Assign, "scatter");
}
Tensor scatter_(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src) {
  return scatter_in(x, dim, index, src, Mode::Assign, "scatter_");
}
Tensor scatter_value(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& value) {
  return scatter_out(x, dim, index, value, Mode::Value, "scatter");
}
Tensor scatter_value_(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& value) {
  return scatter_in(x, dim, index, value, Mode::Value, "scatter_");
}
Tensor scatter_add(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src) {
  return scatter_out(x, dim, index, src, Mode::Add, "scatter_add");
}
Tensor scatter_add_(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src) {
  return scatter_in(x, dim, index, src, Mode::Add, "scatter_add_");
}

// ---- masked_fill ---------------------------------------------------------------------------

namespace {
void check_mask_value(const Tensor& mask, const Tensor& value, const char* op) {
  AXONITE_CHECK(mask.dtype() == DType::Bool, RuntimeError, op,
                " only supports boolean masks, but got mask with dtype ", dtype_name(mask.dtype()));
  AXONITE_CHECK(value.dim() == 0, RuntimeError, op,
                " only supports a 0-dimensional value tensor, but got tensor with ", value.dim(),
                " dimension(s).");
}
}  // namespace

Tensor masked_fill(const Tensor& x, const Tensor& mask, const Tensor& value) {
  check_mask_value(mask, value, "masked_fill");
  // Checked here so that a mismatch names masked_fill, not the where() it is built from.
  broadcast_shapes(mask.sizes(), x.sizes(), "masked_fill");
  Tensor y;
  {
    autograd::GradModeGuard no_grad(false);
    y = where(mask, to_dtype(value, x.dtype()), x);
  }
  if (autograd::any_needs_grad({x, value})) {
    // x keeps the gradient where mask is false; the 0-d value collects it where mask is true.
    autograd::record("MaskedFillBackward0", {x, value}, y,
                     [m = mask.detach(), xs = x.sizes(), xg = x.requires_grad(),
                      vg = value.requires_grad(), vdt = value.dtype()](const Tensor& g) {
                       const Tensor z = zeros_like(g);
                       Tensor gx, gv;
                       if (xg) gx = sum_to(where(m, z, g), xs);
                       if (vg) gv = to_dtype(sum(where(m, g, z)), vdt);
                       return TensorList{gx, gv};
                     });
  }
  return y;
}

Tensor masked_fill_(const Tensor& x, const Tensor& mask, const Tensor& value) {
  check_mask_value(mask, value, "masked_fill_");
  const Dims shape = broadcast_shapes(x.sizes(), mask.sizes(), "masked_fill_");
  AXONITE_CHECK(shape == x.sizes(), RuntimeError, "masked_fill_: output with shape ",
                shape_str(x.sizes()), " doesn't match the broadcast shape ", shape_str(shape));
  detail::check_inplace(x, value, "masked_fill_");
  const bool grad = autograd::any_needs_grad({x, value});
  if (grad) {
    Tensor r = masked_fill(x, mask, value);
    detail::cast_into(x, r);
    x.bump_version();
    detail::rebase_history(x, r);
    return x;
  }
  detail::check_no_overlap(x, "masked_fill_");
  const Tensor m = expand(mask.detach(), x.sizes());
  const Tensor v = to_dtype(value.detach(), x.dtype());
  dispatch(x.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T fill = *v.data<T>();
    Dims xs = x.strides(), ms = m.strides();
    for (int i = 0; i < xs.size(); ++i) {
      xs[i] *= sizeof(T);
      ms[i] *= sizeof(bool);
    }
    cpu::loop_nd<2>(x.sizes(), {static_cast<char*>(x.raw_data()), static_cast<char*>(m.raw_data())},
                    {xs.data(), ms.data()},
                    [fill](std::array<char*, 2> p, std::array<int64_t, 2> s, int64_t n) {
                      for (int64_t i = 0; i < n; ++i)
                        if (*reinterpret_cast<const bool*>(p[1] + i * s[1]))
                          *reinterpret_cast<T*>(p[0] + i * s[0]) = fill;
                    });
  });
  x.bump_version();
  return x;
}

// ---- nonzero / one_hot --------------------------------------------------------------------

Tensor nonzero(const Tensor& x) {
  const Tensor m = x.dtype() == DType::Bool ? contiguous(x.detach())
                                            : ne(x.detach(), scalar_tensor_int(0, true));
  const int64_t n = cpu::count_nonzero(m.data<bool>(), m.numel());
  Tensor out = Tensor::empty(Dims{n, static_cast<int64_t>(x.dim())}, DType::Int64);
  cpu::nonzero_fill(out.data<int64_t>(), m.data<bool>(), x.sizes());
  return out;
}

TensorList nonzero_tuple(const Tensor& x) {
  const Tensor nz = nonzero(x.dim() == 0 ? as_1d(x) : x);
  const int64_t n = nz.size(0), k = nz.size(1);
  TensorList out;
  for (int64_t j = 0; j < k; ++j) {
    const Tensor col = Tensor::from_storage(nz.storage(), Dims{n}, Dims{k}, j, DType::Int64);
    out.push_back(k == 1 ? col : clone(col));
  }
  return out;
}

Tensor one_hot(const Tensor& x, int64_t num_classes) {
  AXONITE_CHECK(x.dtype() == DType::Int64, RuntimeError,
                "one_hot is only applicable to index tensor of type LongTensor (int64), got ",
                dtype_name(x.dtype()));
  AXONITE_CHECK(num_classes >= -1, RuntimeError,
                "one_hot: num_classes should be -1 or a non-negative number, got ", num_classes);
  const Tensor xc = contiguous(x.detach());
  const int64_t n = xc.numel();
  const int64_t* v = xc.data<int64_t>();
  if (num_classes == -1) {
    AXONITE_CHECK(n > 0, RuntimeError,
                  "one_hot: Can not infer total number of classes from empty tensor.");
    num_classes = *std::max_element(v, v + n) + 1;
  }
  const int64_t bad = cpu::find_out_of_range(v, n, 0, std::max<int64_t>(num_classes, 0));
  AXONITE_CHECK(bad < 0 || v[bad] >= 0, RuntimeError,
                "one_hot: class values must be non-negative, got ", bad < 0 ? 0 : v[bad]);
  AXONITE_CHECK(bad < 0, RuntimeError,
                "one_hot: class values must be smaller than num_classes, got class ", v[bad],
                " with num_classes ", num_classes);
  Dims shape = x.sizes();
  shape.push_back(num_classes);
  // max + 1 classes can ask for 2**62 columns: refuse before the fill writes past the buffer.
  checked_nbytes(shape, itemsize(DType::Int64), "one_hot");
  Tensor y = zeros(shape, DType::Int64);
  int64_t* o = y.data<int64_t>();
  parallel_for(0, n, 1 << 16, [&](int64_t s, int64_t e) {
    for (int64_t i = s; i < e; ++i) o[i * num_classes + v[i]] = 1;
  });
  return y;
}

// ---- tril / triu --------------------------------------------------------------------------

namespace {

Tensor tri(const Tensor& x, int64_t k, bool lower) {
  const char* name = lower ? "tril" : "triu";
  AXONITE_CHECK(x.dim() >= 2, RuntimeError, name,
                ": input tensor must have at least 2 dimensions, got shape ", shape_str(x.sizes()));
  const Tensor xc = contiguous(x.detach());
  Tensor y = Tensor::empty(x.sizes(), x.dtype());
  const int64_t R = x.size(-2), C = x.size(-1);
  const int64_t N = R * C == 0 ? 0 : x.numel() / (R * C);
  cpu::tril_triu(static_cast<char*>(y.raw_data()), static_cast<const char*>(xc.raw_data()), N, R, C,
                 k, lower, itemsize(x.dtype()));
  if (autograd::needs_grad(x)) {
    autograd::record(lower ? "TrilBackward0" : "TriuBackward0", {x}, y,
                     [k, lower](const Tensor& g) { return TensorList{tri(g, k, lower)}; });
  }
  return y;
}

Tensor tri_(const Tensor& x, int64_t k, bool lower) {
  const char* name = lower ? "tril_" : "triu_";
  AXONITE_CHECK(x.dim() >= 2, RuntimeError, name,
                ": input tensor must have at least 2 dimensions, got shape ", shape_str(x.sizes()));
  detail::check_inplace(x, Tensor(), name);
  const bool grad = autograd::needs_grad(x);
  if (!grad && x.is_contiguous()) {
    const int64_t R = x.size(-2), C = x.size(-1);
    const int64_t N = R * C == 0 ? 0 : x.numel() / (R * C);
    char* p = static_cast<char*>(x.raw_data());
    cpu::tril_triu(p, p, N, R, C, k, lower, itemsize(x.dtype()));
  } else {
    Tensor r = tri(grad ? x : x.detach(), k, lower);
    detail::cast_into(x, r);
    if (grad) detail::rebase_history(x, r);
  }
  x.bump_version();
  return x;
}

}  // namespace

Tensor tril(const Tensor& x, int64_t diagonal) { return tri(x, diagonal, true); }
Tensor triu(const Tensor& x, int64_t diagonal) { return tri(x, diagonal, false); }
Tensor tril_(const Tensor& x, int64_t diagonal) { return tri_(x, diagonal, true); }
Tensor triu_(const Tensor& x, int64_t diagonal) { return tri_(x, diagonal, false); }

}  // namespace ax
