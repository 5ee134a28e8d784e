// Joining/splitting ops and their backwards. cat copies contiguous same-dtype inputs as whole
// byte blocks split evenly across threads (other inputs go through the strided cast loop); the
// split family hands out views under one multi-output node whose backward is a single cat.
#include "axonite/ops/join.h"

#include <algorithm>
#include <cstring>

#include "axonite/autograd/record.h"
#include "axonite/core/parallel.h"
#include "axonite/ops/creation.h"
#include "axonite/ops/elementwise.h"
#include "axonite/ops/reduce.h"
#include "axonite/ops/views.h"

namespace ax {
namespace {

// Output bytes per thread below which splitting a copy across threads does not pay.
constexpr int64_t kCopyGrainBytes = int64_t{1} << 18;

// Legacy rule: a 1-d tensor of size 0 may be concatenated with anything (and is ignored).
bool skipped_in_cat(const Tensor& t) { return t.dim() == 1 && t.sizes()[0] == 0; }

DType promoted(const TensorList& ts) {
  DType d = ts[0].dtype();
  for (const Tensor& t : ts) d = promote_types(d, t.dtype());
  return d;
}

// One input's slot in every output row: bytes [col, col + row) of the row come from
// src + r * row for row r (src null: filled by the strided path instead).
struct Piece {
  const char* src;
  int64_t row;
  int64_t col;
};

// out: `outer` rows of `out_row` bytes, each the concatenation of the pieces' rows.
// Parallel over output bytes, so one huge input or many tiny rows both split evenly.
void copy_pieces(char* out, int64_t outer, int64_t out_row, const std::vector<Piece>& pieces) {
  parallel_for(0, outer * out_row, kCopyGrainBytes, [&](int64_t b, int64_t e) {
    int64_t r = b / out_row, q = b % out_row;
    size_t k = 0;
    while (b < e) {
      while (q >= pieces[k].col + pieces[k].row) ++k;
      const Piece& p = pieces[k];
      const int64_t n = std::min(e - b, p.col + p.row - q);
      if (p.src) std::memcpy(out + b, p.src + r * p.row + (q - p.col), n);
      b += n;
      q += n;
      if (q == out_row) {
        q = 0;
        ++r;
        k = 0;
      }
    }
  });
}

// Concatenates `parts` (shapes already checked, none skipped) along d into a new tensor.
Tensor cat_raw(const TensorList& parts, const Dims& out_sizes, int d, DType dtype) {
  Tensor out = Tensor::empty(out_sizes, dtype);
  if (out.numel() == 0) return out;
  const int64_t es = static_cast<int64_t>(itemsize(dtype));
  int64_t outer = 1, inner = 1;
  for (int i = 0; i < d; ++i) outer *= out_sizes[i];
  for (int i = d + 1; i < out_sizes.size(); ++i) inner *= out_sizes[i];
  std::vector<Piece> pieces;
  pieces.reserve(parts.size());
  int64_t col = 0, off = 0;
  for (const Tensor& t : parts) {
    const int64_t len = t.sizes()[d];
    const bool fast = t.dtype() == dtype && t.is_contiguous();
    pieces.push_back(
        Piece{fast ? static_cast<const char*>(t.raw_data()) : nullptr, len * inner * es, col});
    if (!fast && len > 0) {
      Dims sz = out_sizes;
      sz[d] = len;
      detail::cast_into(
          Tensor::from_storage(out.storage(), sz, out.strides(), off * out.strides()[d], dtype), t);
    }
    col += len * inner * es;
    off += len;
  }
  copy_pieces(static_cast<char*>(out.raw_data()), outer, col, pieces);
  return out;
}

// What a join backward needs per input, without keeping the input alive.
struct InputMeta {
  bool requires_grad;
  DType dtype;
  int64_t len;  // extent along the joined dim (0 for skipped inputs)
  bool skipped;
};

std::vector<InputMeta> metas(const TensorList& ts, int d) {
  std::vector<InputMeta> m;
  m.reserve(ts.size());
  for (const Tensor& t : ts) {
    const bool sk = skipped_in_cat(t);
    m.push_back(InputMeta{t.requires_grad(), t.dtype(), sk ? 0 : t.sizes()[d], sk});
  }
  return m;
}

}  // namespace

// ---- cat / stack ------------------------------------------------------------------------------

Tensor cat(const TensorList& tensors, int64_t dim) {
  AXONITE_CHECK(!tensors.empty(), ValueError, "cat: expected a non-empty list of Tensors");
  const Tensor* ref = nullptr;
  for (size_t i = 0; i < tensors.size(); ++i) {
    AXONITE_CHECK(tensors[i].dim() > 0, RuntimeError, "cat: zero-dimensional tensor (at position ",
                  i, ") cannot be concatenated");
    if (!ref && !skipped_in_cat(tensors[i])) ref = &tensors[i];
  }
  const int d = wrap_dim(dim, ref ? ref->dim() : 1, "cat");
  const DType dtype = promoted(tensors);
  if (!ref) return Tensor::empty(Dims{0}, dtype);  // nothing but legacy empties
  Dims out_sizes = ref->sizes();
  out_sizes[d] = 0;
  TensorList parts;
  parts.reserve(tensors.size());
  for (size_t i = 0; i < tensors.size(); ++i) {
    const Tensor& t = tensors[i];
    if (skipped_in_cat(t)) continue;
    AXONITE_CHECK(t.dim() == ref->dim(), RuntimeError,
                  "cat: Tensors must have same number of dimensions: got ", ref->dim(), " and ",
                  t.dim(), " (tensor number ", i, " in the list)");
    for (int k = 0; k < t.dim(); ++k) {
      AXONITE_CHECK(k == d || t.sizes()[k] == ref->sizes()[k], RuntimeError,
                    "cat: sizes of tensors must match except in dimension ", d, "; expected size ",
                    ref->sizes()[k], " but got size ", t.sizes()[k], " for tensor number ", i,
                    " in the list");
    }
    AXONITE_CHECK(!__builtin_add_overflow(out_sizes[d], t.sizes()[d], &out_sizes[d]), RuntimeError,
                  "cat: the total size along dimension ", d,
                  " is too large (more than 2**63 elements) at tensor number ", i, " in the list");
    parts.push_back(t);
  }
  checked_nbytes(out_sizes, itemsize(dtype), "cat");
  Tensor y = cat_raw(parts, out_sizes, d, dtype);
  if (autograd::any_needs_grad(tensors)) {
    autograd::record("CatBackward0", tensors, y, [m = metas(tensors, d), d](const Tensor& g) {
      TensorList grads(m.size());
      int64_t off = 0;
      for (size_t i = 0; i < m.size(); ++i) {
        if (m[i].requires_grad) {
          grads[i] = m[i].skipped ? zeros(Dims{0}, m[i].dtype)
                                  : to_dtype(narrow(g, d, off, m[i].len), m[i].dtype);
        }
        off += m[i].len;
      }
      return grads;
    });
  }
  return y;
}

Tensor stack(const TensorList& tensors, int64_t dim) {
  AXONITE_CHECK(!tensors.empty(), RuntimeError, "stack: expects a non-empty TensorList");
  const Tensor& ref = tensors[0];
  const int d = wrap_dim(dim, ref.dim() + 1, "stack");
  TensorList parts;
  parts.reserve(tensors.size());
  for (size_t i = 0; i < tensors.size(); ++i) {
    const Tensor& t = tensors[i];
    AXONITE_CHECK(t.sizes() == ref.sizes(), RuntimeError,
                  "stack: expects each tensor to be equal size, but got ", shape_str(ref.sizes()),
                  " at entry 0 and ", shape_str(t.sizes()), " at entry ", i);
    // A size-1 dim at d: its stride is irrelevant, so any value makes a valid view.
    Dims sz = t.sizes(), st = t.strides();
    sz.insert(d, 1);
    st.insert(d, 1);
    parts.push_back(Tensor::from_storage(t.storage(), sz, st, t.offset(), t.dtype()));
  }
  Dims out_sizes = ref.sizes();
  out_sizes.insert(d, static_cast<int64_t>(tensors.size()));
  const DType dtype = promoted(tensors);
  Tensor y = cat_raw(parts, out_sizes, d, dtype);
  if (autograd::any_needs_grad(tensors)) {
    std::vector<InputMeta> m;
    m.reserve(tensors.size());
    for (const Tensor& t : tensors) m.push_back(InputMeta{t.requires_grad(), t.dtype(), 1, false});
    autograd::record("StackBackward0", tensors, y, [m = std::move(m), d](const Tensor& g) {
      TensorList grads(m.size());
      for (size_t i = 0; i < m.size(); ++i)
        if (m[i].requires_grad) grads[i] = to_dtype(select(g, d, i), m[i].dtype);
      return grads;
    });
  }
  return y;
}

Tensor hstack(const TensorList& tensors) {
  AXONITE_CHECK(!tensors.empty(), RuntimeError, "hstack: expects a non-empty TensorList");
  TensorList ts;
  ts.reserve(tensors.size());
  bool all_1d = true;
  for (const Tensor& t : tensors) {
    ts.push_back(t.dim() == 0 ? reshape(t, Dims{1}) : t);
    all_1d &= ts.back().dim() == 1;
  }
  return cat(ts, all_1d ? 0 : 1);
}

Tensor vstack(const TensorList& tensors) {
  AXONITE_CHECK(!tensors.empty(), RuntimeError, "vstack: expects a non-empty TensorList");
  TensorList ts;
  ts.reserve(tensors.size());
  for (const Tensor& t : tensors) ts.push_back(t.dim() >= 2 ? t : reshape(t, Dims{1, t.numel()}));
  return cat(ts, 0);
}

// ---- split family -----------------------------------------------------------------------------

namespace {

// Views of x along d with the given (valid) sizes, under one node named `name` whose backward
// concatenates the pieces' gradients.
TensorList split_views(const Tensor& x, int d, const std::vector<int64_t>& sizes,
                       const char* name) {
  TensorList out;
  out.reserve(sizes.size());
  int64_t off = 0;
  for (int64_t len : sizes) {
    Dims sz = x.sizes();
    sz[d] = len;
    out.push_back(x.as_strided_view(sz, x.strides(), x.offset() + off * x.strides()[d]));
    off += len;
  }
  if (autograd::needs_grad(x)) {
    autograd::record(name, {x}, out,
                     [d](const TensorList& grads) { return TensorList{cat(grads, d)}; });
  }
  return out;
}

int split_dim(const Tensor& x, int64_t dim, const char* op) {
  AXONITE_CHECK(x.dim() > 0, RuntimeError, op, ": expects at least a 1-dimensional tensor");
  return wrap_dim(dim, x.dim(), op);
}

}  // namespace

TensorList split(const Tensor& x, int64_t split_size, int64_t dim) {
  const int d = split_dim(x, dim, "split");
  const int64_t n = x.sizes()[d];
  AXONITE_CHECK(split_size >= 0, RuntimeError,
                "split: expects split_size be non-negative, but got split_size=", split_size);
  AXONITE_CHECK(split_size > 0 || n == 0, RuntimeError,
                "split: split_size can only be 0 if dimension size is 0, but got dimension size "
                "of ",
                n);
  const int64_t pieces =
      split_size == 0 ? 1 : std::max<int64_t>(1, (n + split_size - 1) / split_size);
  std::vector<int64_t> sizes(pieces, split_size);
  sizes.back() = n - split_size * (pieces - 1);
  return split_views(x, d, sizes, "SplitBackward0");
}

TensorList split_with_sizes(const Tensor& x, const std::vector<int64_t>& sizes, int64_t dim) {
  const int d = split_dim(x, dim, "split_with_sizes");
  const int64_t n = x.sizes()[d];
  int64_t total = 0;
  for (int64_t s : sizes) {
    AXONITE_CHECK(s >= 0, RuntimeError,
                  "split_with_sizes: expects split_sizes have only non-negative entries, but got "
                  "split_sizes=",
                  shape_str(Dims(sizes)));
    total += s;
  }
  AXONITE_CHECK(
      total == n, RuntimeError, "split_with_sizes: expects split_sizes to sum exactly to ", n,
      " (input tensor's size at dimension ", d, "), but got split_sizes=", shape_str(Dims(sizes)));
  return split_views(x, d, sizes, "SplitWithSizesBackward0");
}

TensorList chunk(const Tensor& x, int64_t chunks, int64_t dim) {
  const int d = split_dim(x, dim, "chunk");
  AXONITE_CHECK(chunks > 0, RuntimeError,
                "chunk: expects `chunks` to be greater than 0, got: ", chunks);
  const int64_t n = x.sizes()[d];
  if (n == 0) return split_views(x, d, std::vector<int64_t>(chunks, 0), "SplitBackward0");
  return split(x, (n + chunks - 1) / chunks, d);
}

TensorList tensor_split(const Tensor& x, int64_t sections, int64_t dim) {
  const int d = split_dim(x, dim, "tensor_split");
  AXONITE_CHECK(sections > 0, RuntimeError,
                "tensor_split: number of sections must be larger than 0, got ", sections);
  const int64_t n = x.sizes()[d], base = n / sections, extra = n % sections;
  std::vector<int64_t> sizes(sections);
  for (int64_t i = 0; i < sections; ++i) sizes[i] = base + (i < extra ? 1 : 0);
  return split_views(x, d, sizes, "SplitWithSizesBackward0");
}

TensorList tensor_split(const Tensor& x, const std::vector<int64_t>& indices, int64_t dim) {
  const int d = split_dim(x, dim, "tensor_split");
  // Cut points may repeat or decrease (Python slice semantics), so pieces are independent
  // slices rather than one partition.
  TensorList out;
  out.reserve(indices.size() + 1);
  std::optional<int64_t> start = 0;
  for (int64_t idx : indices) {
    out.push_back(slice(x, d, start, idx, 1));
    start = idx;
  }
  out.push_back(slice(x, d, start, std::nullopt, 1));
  return out;
}

TensorList unbind(const Tensor& x, int64_t dim) {
  AXONITE_CHECK(x.dim() > 0, IndexError, "unbind: dimension specified as ", dim,
                " but tensor has no dimensions");
  const int d = wrap_dim(dim, x.dim(), "unbind");
  Dims sz = x.sizes(), st = x.strides();
  sz.erase(d);
  st.erase(d);
  TensorList out;
  out.reserve(x.sizes()[d]);
  for (int64_t i = 0; i < x.sizes()[d]; ++i)
    out.push_back(x.as_strided_view(sz, st, x.offset() + i * x.strides()[d]));
  if (autograd::needs_grad(x) && !out.empty()) {
    autograd::record("UnbindBackward0", {x}, out,
                     [d](const TensorList& grads) { return TensorList{stack(grads, d)}; });
  }
  return out;
}

// ---- copying shape ops ------------------------------------------------------------------------

namespace {

// repeat, with errors naming `op` (repeat or tile).
Tensor repeat_as(const Tensor& x, const Dims& repeats, const char* op) {
  const int m = repeats.size(), lead = m - x.dim();
  AXONITE_CHECK(lead >= 0, RuntimeError, op, ": Number of dimensions of repeat dims (", m,
                ") can not be smaller than number of dimensions of tensor (", x.dim(), ")");
  // Each repeated dim i becomes a pair (r_i, s_i): the source reads it with stride 0 for r_i,
  // and the output is the same pair laid out contiguously.
  Dims out_sizes(m), split_sizes, src_strides;
  std::vector<int64_t> repeat_dims;  // positions of the r_i dims in the split shape
  for (int i = 0; i < m; ++i) {
    const int64_t r = repeats[i], s = i < lead ? 1 : x.sizes()[i - lead];
    AXONITE_CHECK(r >= 0, RuntimeError, op, ": Trying to create tensor with negative dimension ", r,
                  ": ", shape_str(repeats));
    AXONITE_CHECK(!__builtin_mul_overflow(r, s, &out_sizes[i]), RuntimeError, op, ": size ", s,
                  " repeated ", r, " times is too large (more than 2**63 elements)");
    if (r != 1) {
      repeat_dims.push_back(split_sizes.size());
      split_sizes.push_back(r);
      src_strides.push_back(0);
    }
    split_sizes.push_back(s);
    src_strides.push_back(i < lead ? 0 : x.strides()[i - lead]);
  }
  checked_nbytes(out_sizes, itemsize(x.dtype()), op);
  Tensor y = Tensor::empty(out_sizes, x.dtype());
  if (y.numel() > 0) {
    detail::cast_into(
        Tensor::from_storage(y.storage(), split_sizes, contiguous_strides(split_sizes), 0,
                             x.dtype()),
        Tensor::from_storage(x.storage(), split_sizes, src_strides, x.offset(), x.dtype()));
  }
  if (autograd::needs_grad(x)) {
    const Dims in_sizes = x.sizes();
    autograd::record("RepeatBackward0", {x}, y,
                     [in_sizes, split_sizes, repeat_dims](const Tensor& g) {
                       Tensor s = reshape(g, split_sizes);
                       if (!repeat_dims.empty()) s = sum(s, repeat_dims);
                       return TensorList{reshape(s, in_sizes)};
                     });
  }
  return y;
}

}  // namespace

Tensor repeat(const Tensor& x, const Dims& repeats) { return repeat_as(x, repeats, "repeat"); }

Tensor tile(const Tensor& x, const Dims& dims) {
  Dims reps = dims;
  while (reps.size() < x.dim()) reps.insert(0, 1);
  return repeat_as(x, reps, "tile");
}

Tensor flip(const Tensor& x, const Dims& dims) {
  bool seen[kMaxDims] = {};
  Dims sizes = x.sizes(), strides = x.strides();
  int64_t offset = x.offset();
  Dims wrapped;
  for (int64_t dim : dims) {
    const int d = wrap_dim(dim, x.dim(), "flip");
    if (x.dim() == 0) continue;
    AXONITE_CHECK(!seen[d], RuntimeError, "flip: dim ", d,
                  " appears multiple times in the list of dims");
    seen[d] = true;
    wrapped.push_back(d);
    // A reversed view: start at the last element and walk backwards.
    if (x.numel() > 0) offset += (sizes[d] - 1) * strides[d];
    strides[d] = -strides[d];
  }
  Tensor y = Tensor::empty(sizes, x.dtype());
  if (x.numel() > 0)
    detail::cast_into(y, Tensor::from_storage(x.storage(), sizes, strides, offset, x.dtype()));
  if (autograd::needs_grad(x)) {
    autograd::record("FlipBackward0", {x}, y,
                     [wrapped](const Tensor& g) { return TensorList{flip(g, wrapped)}; });
  }
  return y;
}

// PyTorch raises RuntimeError (not flip's IndexError for a bad dim) when x has too few dims.
Tensor fliplr(const Tensor& x) {
  AXONITE_CHECK(x.dim() >= 2, RuntimeError, "fliplr: input must be >= 2-D, got a ", x.dim(),
                "-D tensor of shape ", shape_str(x.sizes()));
  return flip(x, Dims{1});
}

Tensor flipud(const Tensor& x) {
  AXONITE_CHECK(x.dim() >= 1, RuntimeError, "flipud: input must be >= 1-D, got a 0-D tensor");
  return flip(x, Dims{0});
}

Tensor roll(const Tensor& x, const Dims& shifts, const Dims& dims) {
  if (dims.empty()) {
    AXONITE_CHECK(shifts.size() == 1, RuntimeError,
                  "roll: shifts must have exactly one entry when dims is empty, got ",
                  shifts.size());
    return reshape(roll(flatten(x), shifts, Dims{0}), x.sizes());
  }
  AXONITE_CHECK(shifts.size() == dims.size(), RuntimeError,
                "roll: shifts and dimensions must align. shifts: ", shifts.size(),
                ", dims: ", dims.size());
  Tensor y = x;
  for (int i = 0; i < dims.size(); ++i) {
    const int d = wrap_dim(dims[i], x.dim(), "roll");
    const int64_t n = x.dim() == 0 ? 1 : x.sizes()[d];
    if (n == 0 || x.dim() == 0) continue;
    const int64_t s = ((shifts[i] % n) + n) % n;
    if (s == 0) continue;
    // Rolling by s moves the last s elements to the front.
    y = cat({slice(y, d, n - s, n, 1), slice(y, d, 0, n - s, 1)}, d);
  }
  return y.same(x) ? clone(x) : y;
}

}  // namespace ax
