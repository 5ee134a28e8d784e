// Indexing by a Python-style spec: the basic part (ints, slices, None, Ellipsis) walks views,
// the advanced part (int64/bool tensors) gathers rows through one offset table; index_put
// writes through the same machinery. Also index_select/index_add and masked_select.
#include "axonite/ops/indexing.h"

#include <algorithm>
#include <cstring>

#include "axonite/autograd/record.h"
#include "axonite/kernels/indexing.h"
#include "axonite/ops/broadcast.h"
#include "axonite/ops/creation.h"
#include "axonite/ops/elementwise.h"
#include "axonite/ops/views.h"

namespace ax {
namespace {

using Kind = TensorIndex::Kind;

// x[...] and x[()]: a new view handle over all of x.
Tensor alias(const Tensor& x) {
  Tensor y = x.as_strided_view(x.sizes(), x.strides(), x.offset());
  if (autograd::needs_grad(x))
    autograd::record("AliasBackward0", {x}, y, [](const Tensor& g) { return TensorList{g}; });
  return y;
}

// The int64 index a Python bool stands for on its new size-1 dim: [0] or [].
Tensor bool_index(bool b) {
  Tensor t = Tensor::empty(Dims{b ? 1 : 0}, DType::Int64);
  if (b) *t.data<int64_t>() = 0;
  return t;
}

// A spec's basic part applied as views, with each advanced index keyed by the dim of `view`
// it starts at (bool masks span mask.dim() dims).
struct Walked {
  Tensor view;
  TensorList adv;
  bool has_adv = false;
};

Walked walk(const Tensor& x, const IndexSpec& spec) {
  int specified = 0, ellipses = 0;
  for (const TensorIndex& it : spec) {
    if (it.kind == Kind::Integer || it.kind == Kind::Slice) ++specified;
    if (it.kind == Kind::Ellipsis) ++ellipses;
    if (it.kind == Kind::Tensor)
      specified += it.tensor.dtype() == DType::Bool ? it.tensor.dim() : 1;
  }
  AXONITE_CHECK(ellipses <= 1, IndexError, "an index can only have a single ellipsis ('...')");
  AXONITE_CHECK(specified <= x.dim(), IndexError, "too many indices for tensor of dimension ",
                x.dim());
  Walked w{x, {}, false};
  Tensor& r = w.view;
  int dim = 0;
  auto record = [&](int d, const Tensor& t) {
    if (static_cast<int>(w.adv.size()) <= d) w.adv.resize(d + 1);
    w.adv[d] = t;
    w.has_adv = true;
  };
  auto select_int = [&](int64_t i) {
    const int64_t n = r.size(dim);
    AXONITE_CHECK(i >= -n && i < n, IndexError, "index ", i, " is out of bounds for dimension ",
                  dim, " with size ", n);
    r = select(r, dim, i);
  };
  auto new_bool_dim = [&](bool b) {
    r = unsqueeze(r, dim);
    record(dim, bool_index(b));
    ++dim;
  };
  for (const TensorIndex& it : spec) {
    switch (it.kind) {
      case Kind::Integer:
        select_int(it.integer);
        break;
      case Kind::Slice:
        AXONITE_CHECK(it.step > 0, ValueError, "step must be greater than zero");
        r = slice(r, dim, it.start, it.stop, it.step);
        ++dim;
        break;
      case Kind::None:
        r = unsqueeze(r, dim++);
        break;
      case Kind::Ellipsis:
        dim += x.dim() - specified;
        break;
      case Kind::Boolean:
        new_bool_dim(it.integer != 0);
        break;
      case Kind::Tensor: {
        const Tensor& t = it.tensor;
        AXONITE_CHECK(t.dtype() == DType::Int64 || t.dtype() == DType::Bool, IndexError,
                      "tensors used as indices must be long, int, byte or bool tensors (got ",
                      dtype_name(t.dtype()), ")");
        if (t.dim() == 0) {  // 0-d tensors act like the Python scalar they hold
          if (t.dtype() == DType::Bool)
            new_bool_dim(*t.data<bool>());
          else
            select_int(*t.data<int64_t>());
          break;
        }
        record(dim, t);
        dim += t.dtype() == DType::Bool ? t.dim() : 1;
        break;
      }
    }
  }
  return w;
}

// Advanced indices keyed by dim of `src` (int64 or bool; undefined = none) as one int64 tensor
// per indexed dim: a k-d bool mask becomes the k columns of its nonzero().
TensorList expand_indices(const Tensor& src, const TensorList& adv) {
  AXONITE_CHECK(static_cast<int>(adv.size()) <= src.dim(), IndexError,
                "too many indices for tensor of dimension ", src.dim());
  TensorList out(adv.size());
  for (int d = 0; d < static_cast<int>(adv.size()); ++d) {
    const Tensor& t = adv[d];
    if (!t.defined()) continue;
    AXONITE_CHECK(t.dtype() == DType::Int64 || t.dtype() == DType::Bool, IndexError,
                  "tensors used as indices must be long, int, byte or bool tensors (got ",
                  dtype_name(t.dtype()), ")");
    if (t.dtype() == DType::Int64) {
      out[d] = t;
      continue;
    }
    const int k = t.dim();
    for (int j = 0; j < k; ++j) {
      AXONITE_CHECK(d + j < src.dim() && t.size(j) == src.size(d + j), IndexError,
                    "The shape of the mask ", shape_str(t.sizes()), " at index ", j,
                    " does not match the shape of the indexed tensor ", shape_str(src.sizes()),
                    " at index ", d + j);
    }
    const Tensor nz = nonzero(t);  // (n, k)
    if (static_cast<int>(out.size()) < d + k) out.resize(d + k);
    for (int j = 0; j < k; ++j)
      out[d + j] = Tensor::from_storage(nz.storage(), Dims{nz.size(0)}, Dims{k}, nz.offset() + j,
                                        DType::Int64);
  }
  return out;
}

// Rows of an advanced index over `src`: result = pre + B + post, offsets in bytes.
struct Plan {
  Dims result;
  std::vector<int64_t> offs;
  cpu::IndexRows rows;
};

// Errors name `op` when given (index_put); reading x[idx] keeps PyTorch's bare messages.
Plan make_plan(const Tensor& src, const TensorList& idx, const char* op) {
  const char* prefix = op ? op : "";
  const char* sep = op ? ": " : "";
  const int64_t es = static_cast<int64_t>(itemsize(src.dtype()));
  std::vector<int> dims;
  Dims bshape;
  for (int d = 0; d < static_cast<int>(idx.size()); ++d) {
    if (!idx[d].defined()) continue;
    const Dims& s = idx[d].sizes();
    if (!dims.empty()) {
      const int n = std::max(s.size(), bshape.size());
      Dims out(n);
      for (int i = 0; i < n; ++i) {
        const int ia = bshape.size() - n + i, ib = s.size() - n + i;
        const int64_t a = ia >= 0 ? bshape[ia] : 1, b = ib >= 0 ? s[ib] : 1;
        if (a != b && a != 1 && b != 1) {
          std::string shapes;
          for (const Tensor& t : idx)
            if (t.defined()) shapes += (shapes.empty() ? "" : ", ") + shape_str(t.sizes());
          fail(ErrorKind::IndexError, prefix, sep,
               "shape mismatch: indexing tensors could not be broadcast together with shapes ",
               shapes);
        }
        out[i] = a == 1 ? b : a;
      }
      bshape = out;
    } else {
      bshape = s;
    }
    dims.push_back(d);
  }
  AXONITE_ASSERT(!dims.empty());
  bool adjacent = true;
  for (size_t i = 1; i < dims.size(); ++i) adjacent &= dims[i] == dims[i - 1] + 1;
  bool indexed[kMaxDims] = {};
  for (int d : dims) indexed[d] = true;

  Plan p;
  cpu::IndexRows& g = p.rows;
  for (int d = 0; d < src.dim(); ++d) {
    if (indexed[d]) continue;
    const bool before = adjacent && d < dims.front();
    (before ? g.pre_sizes : g.post_sizes).push_back(src.size(d));
    (before ? g.pre_strides : g.post_strides).push_back(src.stride(d) * es);
  }
  for (int64_t s : g.pre_sizes) p.result.push_back(s);
  for (int64_t s : bshape) p.result.push_back(s);
  for (int64_t s : g.post_sizes) p.result.push_back(s);

  const int64_t nb = numel_of(bshape);
  p.offs.assign(nb, 0);
  for (int d : dims) {
    Tensor t = idx[d];
    // 1-d indices (mask columns are strided) are read in place; others are made contiguous.
    const bool direct = t.sizes() == bshape && (t.dim() == 1 || t.is_contiguous());
    if (!direct) {
      Tensor c = Tensor::empty(bshape, DType::Int64);
      detail::cast_into(c, t);
      t = c;
    }
    const int64_t* v = t.data<int64_t>();
    const int64_t vs = t.dim() == 1 ? t.stride(0) : 1;
    const int64_t n = src.size(d), step = src.stride(d) * es;
    int64_t* o = p.offs.data();
    for (int64_t b = 0; b < nb; ++b) {
      int64_t i = v[b * vs];
      if (i < 0) i += n;
      if (i < 0 || i >= n)
        fail(ErrorKind::IndexError, prefix, sep, "index ", v[b * vs],
             " is out of bounds for dimension ", d, " with size ", n);
      o[b] += i * step;
    }
  }
  g.nb = nb;
  return p;
}

// `value` ready to be written into a region of shape `target` of `dst`: leading size-1 dims
// beyond target's rank dropped, dtype converted, copied when it aliases dst.
Tensor prep_value(const Tensor& value, const Dims& target, const Tensor& dst) {
  Tensor v = value.detach();
  int lead = 0;
  while (v.dim() - lead > target.size() && v.size(lead) == 1) ++lead;
  if (lead) {
    Dims s, st;
    for (int i = lead; i < v.dim(); ++i) {
      s.push_back(v.size(i));
      st.push_back(v.stride(i));
    }
    v = Tensor::from_storage(v.storage(), s, st, v.offset(), v.dtype());
  }
  bool ok = v.dim() <= target.size();
  for (int i = 0; ok && i < v.dim(); ++i) {
    const int64_t vs = v.size(v.dim() - 1 - i), ts = target[target.size() - 1 - i];
    ok = vs == ts || vs == 1;
  }
  AXONITE_CHECK(ok, RuntimeError, "shape mismatch: value tensor of shape ",
                shape_str(value.sizes()), " cannot be broadcast to indexing result of shape ",
                shape_str(target));
  if (v.dtype() != dst.dtype())
    v = to_dtype(v, dst.dtype());
  else if (v.storage() == dst.storage())
    v = clone(v);
  return v;
}

struct ValueMeta {
  bool requires_grad;
  Dims sizes;
  DType dtype;
};
ValueMeta value_meta(const Tensor& v) { return {v.requires_grad(), v.sizes(), v.dtype()}; }

// Gradient of a written value from the gradient of the region it was written to.
Tensor value_grad(const Tensor& region_grad, const ValueMeta& v) {
  Dims stripped = v.sizes;
  while (stripped.size() > region_grad.dim() && stripped[0] == 1) stripped.erase(0);
  Tensor g = sum_to(region_grad, stripped);
  if (stripped != v.sizes) g = reshape(g, v.sizes);
  return to_dtype(g, v.dtype);
}

// Gathers x at advanced indices (one int64 tensor or undefined per leading dim). Backward:
// index_put with accumulate, so repeated indices sum their gradients.
Tensor advanced_index(const Tensor& x, const TensorList& idx) {
  Tensor y = detail::index_gather_raw(x, idx);
  if (autograd::needs_grad(x)) {
    autograd::record("IndexBackward0", {x}, y, [shape = x.sizes(), idx](const Tensor& g) {
      return TensorList{index_put(zeros(shape, g.dtype()), idx, g, true)};
    });
  }
  return y;
}

// Writes value into x[spec] with no autograd.
void spec_put_raw(const Tensor& x, const IndexSpec& spec, const Tensor& value) {
  autograd::GradModeGuard no_grad(false);
  detail::check_no_overlap(x, "index_put_");
  const Walked w = walk(x, spec);
  if (!w.has_adv) {
    detail::cast_into(w.view, prep_value(value, w.view.sizes(), x));
    return;
  }
  detail::index_put_raw(w.view, expand_indices(w.view, w.adv), value, false, "index_put_");
}

void record_spec_put(const Tensor& x, const IndexSpec& spec, const Tensor& value,
                     const Tensor& out) {
  autograd::record("IndexPutBackward0", {x, value}, out,
                   [spec, xg = x.requires_grad(), vm = value_meta(value)](const Tensor& g) {
                     Tensor gx, gv;
                     if (xg) gx = index_put(g, spec, scalar_tensor(0.0, g.dtype(), true));
                     if (vm.requires_grad) gv = value_grad(index(g, spec), vm);
                     return TensorList{gx, gv};
                   });
}

void record_list_put(const Tensor& x, const TensorList& idx, const Tensor& values, bool accumulate,
                     const Tensor& out) {
  autograd::record(
      "IndexPutBackward0", {x, values}, out,
      [idx, accumulate, xg = x.requires_grad(), vm = value_meta(values)](const Tensor& g) {
        Tensor gx, gv;
        if (xg) gx = accumulate ? g : index_put(g, idx, scalar_tensor(0.0, g.dtype(), true), false);
        if (vm.requires_grad) gv = value_grad(advanced_index(g, idx), vm);
        return TensorList{gx, gv};
      });
}

}  // namespace

namespace detail {

void check_no_overlap(const Tensor& x, const char* op) {
  for (int d = 0; d < x.dim(); ++d)
    AXONITE_CHECK(x.size(d) <= 1 || x.stride(d) != 0, RuntimeError, op,
                  ": unsupported operation: more than one element of the written-to tensor "
                  "refers to a single memory location. Please clone() the tensor before "
                  "performing the operation.");
}

Tensor index_gather_raw(const Tensor& x, const TensorList& indices) {
  Plan p = make_plan(x, indices, nullptr);
  Tensor out = Tensor::empty(p.result, x.dtype());
  const int64_t es = static_cast<int64_t>(itemsize(x.dtype()));
  cpu::IndexRows& g = p.rows;
  const int64_t q = numel_of(g.post_sizes);
  g.offs = p.offs.data();
  g.dense_b = q * es;
  g.dense_p = g.nb * q * es;
  g.dense_post_strides = contiguous_strides(g.post_sizes);
  for (int i = 0; i < g.dense_post_strides.size(); ++i) g.dense_post_strides[i] *= es;
  cpu::index_rows_gather(static_cast<char*>(out.raw_data()), static_cast<const char*>(x.raw_data()),
                         g, es);
  return out;
}

void index_put_raw(const Tensor& x, const TensorList& indices, const Tensor& value, bool accumulate,
                   const char* op) {
  check_no_overlap(x, op);
  Plan p = make_plan(x, indices, op);
  Tensor v = prep_value(value, p.result, x);
  cpu::IndexRows& g = p.rows;
  g.offs = p.offs.data();
  const int64_t es = static_cast<int64_t>(itemsize(x.dtype()));
  if (v.numel() == 1) {
    g.dense_p = g.dense_b = 0;
    g.dense_post_strides = Dims(g.post_sizes.size(), 0);
  } else {
    if (v.sizes() != p.result || !v.is_contiguous()) {
      Tensor c = Tensor::empty(p.result, x.dtype());
      cast_into(c, v);
      v = c;
    }
    const int64_t q = numel_of(g.post_sizes);
    g.dense_b = q * es;
    g.dense_p = g.nb * q * es;
    g.dense_post_strides = contiguous_strides(g.post_sizes);
    for (int i = 0; i < g.dense_post_strides.size(); ++i) g.dense_post_strides[i] *= es;
  }
  cpu::index_rows_put(static_cast<char*>(x.raw_data()), static_cast<const char*>(v.raw_data()), g,
                      x.dtype(), accumulate);
}

}  // namespace detail

// ---- indexing by spec -------------------------------------------------------------------

Tensor index(const Tensor& x, const IndexSpec& spec) {
  Walked w = walk(x, spec);
  if (!w.has_adv) return w.view.same(x) ? alias(x) : w.view;
  return advanced_index(w.view, expand_indices(w.view, w.adv));
}

Tensor index_put(const Tensor& x, const IndexSpec& spec, const Tensor& value) {
  Tensor out = clone(x.detach());
  spec_put_raw(out, spec, value);
  if (autograd::any_needs_grad({x, value})) record_spec_put(x, spec, value, out);
  return out;
}

Tensor index_put_(const Tensor& x, const IndexSpec& spec, const Tensor& value) {
  detail::check_inplace(x, value, "index_put_");
  const bool grad = autograd::any_needs_grad({x, value});
  spec_put_raw(x, spec, value);
  x.bump_version();
  if (grad) {
    // The written region's old values are gone: x's old history gets g with it zeroed.
    Tensor r = x.detach();
    record_spec_put(x, spec, value, r);
    detail::rebase_history(x, r);
  }
  return x;
}

Tensor index_put(const Tensor& x, const TensorList& indices, const Tensor& values,
                 bool accumulate) {
  const TensorList idx = expand_indices(x, indices);
  AXONITE_CHECK(!idx.empty() && std::any_of(idx.begin(), idx.end(),
                                            [](const Tensor& t) { return t.defined(); }),
                ValueError, "index_put: expected at least one index tensor");
  Tensor out = clone(x.detach());
  detail::index_put_raw(out, idx, values, accumulate, "index_put");
  if (autograd::any_needs_grad({x, values})) record_list_put(x, idx, values, accumulate, out);
  return out;
}

Tensor index_put_(const Tensor& x, const TensorList& indices, const Tensor& values,
                  bool accumulate) {
  detail::check_inplace(x, values, "index_put_");
  const TensorList idx = expand_indices(x, indices);
  AXONITE_CHECK(!idx.empty() && std::any_of(idx.begin(), idx.end(),
                                            [](const Tensor& t) { return t.defined(); }),
                ValueError, "index_put_: expected at least one index tensor");
  const bool grad = autograd::any_needs_grad({x, values});
  detail::index_put_raw(x, idx, values, accumulate, "index_put_");
  x.bump_version();
  if (grad) {
    Tensor r = x.detach();
    record_list_put(x, idx, values, accumulate, r);
    detail::rebase_history(x, r);
  }
  return x;
}

// ---- index_select / index_add -------------------------------------------------------------

namespace {

// Validated, contiguous 1-d int64 view of an index_select/index_add index.
Tensor vector_index(const Tensor& index, const char* op) {
  AXONITE_CHECK(index.dtype() == DType::Int64, RuntimeError, op,
                ": Expected dtype int64 for index, got ", dtype_name(index.dtype()));
  AXONITE_CHECK(index.dim() <= 1, IndexError, op, ": Index is supposed to be a vector, got shape ",
                shape_str(index.sizes()));
  return contiguous(index.detach());
}

void check_index_range(const Tensor& idx, int64_t n, int dim, const char* op) {
  const int64_t bad = cpu::find_out_of_range(idx.data<int64_t>(), idx.numel(), 0, n);
  AXONITE_CHECK(bad < 0, IndexError, op, ": index out of range in self (index ",
                bad < 0 ? 0 : idx.data<int64_t>()[bad], " for dimension ", dim, " with size ", n,
                ")");
}

// Rows of x along `dim` picked by idx (contiguous int64).
cpu::IndexRows dim_rows(const Tensor& x, int dim, const Tensor& idx, std::vector<int64_t>* offs) {
  const int64_t es = static_cast<int64_t>(itemsize(x.dtype()));
  cpu::IndexRows g;
  for (int d = 0; d < x.dim(); ++d) {
    if (d == dim) continue;
    (d < dim ? g.pre_sizes : g.post_sizes).push_back(x.size(d));
    (d < dim ? g.pre_strides : g.post_strides).push_back(x.stride(d) * es);
  }
  const int64_t nb = idx.numel(), step = x.stride(dim) * es;
  offs->resize(nb);
  const int64_t* v = idx.data<int64_t>();
  for (int64_t b = 0; b < nb; ++b) (*offs)[b] = v[b] * step;
  g.offs = offs->data();
  g.nb = nb;
  const int64_t q = numel_of(g.post_sizes);
  g.dense_b = q * es;
  g.dense_p = nb * q * es;
  g.dense_post_strides = contiguous_strides(g.post_sizes);
  for (int i = 0; i < g.dense_post_strides.size(); ++i) g.dense_post_strides[i] *= es;
  return g;
}

// 0-d tensors take part in dim-wise ops as 1-d tensors of one element.
Tensor as_1d(const Tensor& t) {
  return t.dim() == 0 ? Tensor::from_storage(t.storage(), Dims{1}, Dims{1}, t.offset(), t.dtype())
                      : t;
}

}  // namespace

Tensor index_select(const Tensor& x, int64_t dim, const Tensor& index) {
  const Tensor idx = vector_index(index, "index_select()");
  const Tensor xs = as_1d(x.detach());
  const int d = wrap_dim(dim, xs.dim(), "index_select()");
  check_index_range(idx, xs.size(d), d, "index_select()");
  Dims shape = xs.sizes();
  shape[d] = idx.numel();
  Tensor y = Tensor::empty(shape, x.dtype());
  std::vector<int64_t> offs;
  const cpu::IndexRows g = dim_rows(xs, d, idx, &offs);
  cpu::index_rows_gather(static_cast<char*>(y.raw_data()), static_cast<const char*>(xs.raw_data()),
                         g, itemsize(x.dtype()));
  if (x.dim() == 0) y = Tensor::from_storage(y.storage(), Dims{}, Dims{}, 0, y.dtype());
  if (autograd::needs_grad(x)) {
    autograd::record("IndexSelectBackward0", {x}, y, [shape = x.sizes(), d, idx](const Tensor& g) {
      return TensorList{index_add(zeros(shape, g.dtype()), d, idx, g)};
    });
  }
  return y;
}

namespace {

// Checks and performs x[..., index[i], ...] += source[..., i, ...] along dim, no autograd.
void index_add_raw(const Tensor& x, int d, const Tensor& idx, const Tensor& source) {
  const Tensor xs = as_1d(x), src = as_1d(source.detach());
  AXONITE_CHECK(source.dtype() == x.dtype(), RuntimeError, "index_add_(): self (",
                dtype_name(x.dtype()), ") and source (", dtype_name(source.dtype()),
                ") must have the same scalar type");
  AXONITE_CHECK(src.dim() == xs.dim(), RuntimeError,
                "index_add_(): source and self must have the same number of dimensions, got ",
                shape_str(source.sizes()), " and ", shape_str(x.sizes()));
  AXONITE_CHECK(src.size(d) == idx.numel(), RuntimeError, "index_add_(): Number of indices (",
                idx.numel(), ") should be equal to source.size(dim): (", src.size(d),
                "), for dim: ", d);
  for (int i = 0; i < xs.dim(); ++i)
    AXONITE_CHECK(i == d || src.size(i) == xs.size(i), RuntimeError, "index_add_(): source ",
                  shape_str(source.sizes()), " and self ", shape_str(x.sizes()),
                  " must have the same shape apart from dim ", d);
  check_index_range(idx, xs.size(d), d, "index_add_()");
  detail::check_no_overlap(x, "index_add_()");
  const Tensor sc = contiguous(src);
  std::vector<int64_t> offs;
  const cpu::IndexRows g = dim_rows(xs, d, idx, &offs);
  cpu::index_rows_put(static_cast<char*>(xs.raw_data()), static_cast<const char*>(sc.raw_data()), g,
                      x.dtype(), true);
}

void record_index_add(const Tensor& x, int d, const Tensor& idx, const Tensor& source,
                      const Tensor& out) {
  autograd::record("IndexAddBackward0", {x, source}, out,
                   [d, idx, xg = x.requires_grad(), sg = source.requires_grad(),
                    src_shape = source.sizes()](const Tensor& g) {
                     Tensor gs;
                     if (sg) gs = reshape(index_select(g, d, idx), src_shape);
                     return TensorList{xg ? g : Tensor(), gs};
                   });
}

}  // namespace

Tensor index_add(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& source) {
  const Tensor idx = vector_index(index, "index_add_()");
  const int d = wrap_dim(dim, std::max(x.dim(), 1), "index_add_()");
  Tensor out = clone(x.detach());
  index_add_raw(out, d, idx, source);
  if (autograd::any_needs_grad({x, source})) record_index_add(x, d, idx, source, out);
  return out;
}

Tensor index_add_(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& source) {
  const Tensor idx = vector_index(index, "index_add_()");
  const int d = wrap_dim(dim, std::max(x.dim(), 1), "index_add_()");
  detail::check_inplace(x, source, "index_add_");
  const bool grad = autograd::any_needs_grad({x, source});
  index_add_raw(x, d, idx, source);
  x.bump_version();
  if (grad) {
    Tensor r = x.detach();
    record_index_add(x, d, idx, source, r);
    detail::rebase_history(x, r);
  }
  return x;
}

// ---- masked_select ------------------------------------------------------------------------

Tensor masked_select(const Tensor& x, const Tensor& mask) {
  AXONITE_CHECK(mask.dtype() == DType::Bool, RuntimeError,
                "masked_select: expected BoolTensor for mask, got ", dtype_name(mask.dtype()));
  const Dims shape = broadcast_shapes(x.sizes(), mask.sizes(), "masked_select");
  // A 0-d pair is indexed as one element of a 1-d tensor, as in PyTorch.
  const Dims s = shape.empty() ? Dims{1} : shape;
  const Tensor xe = reshape(expand(x, shape), s);
  const Tensor me = reshape(expand(mask.detach(), shape), s);
  return advanced_index(xe, expand_indices(xe, {me}));
}

}  // namespace ax
