// Indexing family: Python-style indexing (basic indices become views, advanced indices gather a
// copy) and its write form, index_select/index_add, masked fills, gather/scatter along a dim,
// nonzero, one_hot and tril/triu. Forwards and backwards live in ops/indexing.cpp (indexing
// by spec) and ops/scatter.cpp (dim-wise ops and the rest).
#pragma once

#include <optional>
#include <vector>

#include "axonite/tensor/tensor.h"

namespace ax {

// One entry of a Python index tuple. Tensor entries hold int64 or bool tensors.
struct TensorIndex {
  enum class Kind : uint8_t { Integer, Slice, None, Ellipsis, Boolean, Tensor };
  Kind kind = Kind::None;
  int64_t integer = 0;  // Integer; Boolean: 0 or 1
  std::optional<int64_t> start, stop;
  int64_t step = 1;
  Tensor tensor;

  static TensorIndex from_int(int64_t i) { return {Kind::Integer, i, {}, {}, 1, {}}; }
  static TensorIndex from_slice(std::optional<int64_t> start, std::optional<int64_t> stop,
                                int64_t step) {
    return {Kind::Slice, 0, start, stop, step, {}};
  }
  static TensorIndex none() { return {Kind::None, 0, {}, {}, 1, {}}; }
  static TensorIndex ellipsis() { return {Kind::Ellipsis, 0, {}, {}, 1, {}}; }
  static TensorIndex from_bool(bool b) { return {Kind::Boolean, b ? 1 : 0, {}, {}, 1, {}}; }
  static TensorIndex from_tensor(Tensor t) { return {Kind::Tensor, 0, {}, {}, 1, std::move(t)}; }
};
using IndexSpec = std::vector<TensorIndex>;

// x[spec] with PyTorch semantics: ints select, slices/None/Ellipsis give views; int64 and bool
// tensors index advanced-style (broadcast together; their dims go in place when adjacent,
// first otherwise) and return a copy. Differentiable.
Tensor index(const Tensor& x, const IndexSpec& spec);
// Out of place: a copy of x with x[spec] = value (value broadcasts; converted to x's dtype).
Tensor index_put(const Tensor& x, const IndexSpec& spec, const Tensor& value);
// x[spec] = value in place (setitem); bumps the version and rebases x's history under autograd.
Tensor index_put_(const Tensor& x, const IndexSpec& spec, const Tensor& value);
// PyTorch's index_put: indices[i] (int64 or bool; undefined = whole dim) indexes dim i.
// accumulate adds values (duplicates accumulate) instead of assigning.
Tensor index_put(const Tensor& x, const TensorList& indices, const Tensor& values, bool accumulate);
Tensor index_put_(const Tensor& x, const TensorList& indices, const Tensor& values,
                  bool accumulate);

// index: 1-d (or 0-d) int64. Output: x with size index.numel() along dim.
Tensor index_select(const Tensor& x, int64_t dim, const Tensor& index);
// x with source[..., i, ...] added at x[..., index[i], ...] along dim.
Tensor index_add(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& source);
Tensor index_add_(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& source);

// where(mask, value, x) with value (0-d) converted to x's dtype; mask is bool and broadcasts.
Tensor masked_fill(const Tensor& x, const Tensor& mask, const Tensor& value);
Tensor masked_fill_(const Tensor& x, const Tensor& mask, const Tensor& value);
// 1-d tensor of the elements of x (broadcast with mask) where mask is true.
Tensor masked_select(const Tensor& x, const Tensor& mask);

// out[i][j][k] = x[i][index[i][j][k]][k] (dim = 1); index has x's ndim and is no larger than x
// apart from dim.
Tensor gather(const Tensor& x, int64_t dim, const Tensor& index);
// gather after broadcasting x and indices apart from dim; dim = nullopt flattens both.
Tensor take_along_dim(const Tensor& x, const Tensor& indices, std::optional<int64_t> dim);
// out = x; out[i][index[i][j][k]][k] = src[i][j][k] (dim = 1). scatter_add adds instead.
// scatter_value writes a 0-d value. Repeated destinations resolve deterministically.
Tensor scatter(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src);
Tensor scatter_(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src);
Tensor scatter_value(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& value);
Tensor scatter_value_(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& value);
Tensor scatter_add(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src);
Tensor scatter_add_(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src);

// (count, ndim) int64 coordinates of the nonzero elements, row-major; nonzero_tuple gives
// one 1-d tensor per dim.
Tensor nonzero(const Tensor& x);
TensorList nonzero_tuple(const Tensor& x);
// int64 (..., num_classes) with a 1 at each index; num_classes = -1 uses max + 1.
Tensor one_hot(const Tensor& x, int64_t num_classes = -1);
// Lower/upper triangle of the last two dims (diagonal shifts it), zero elsewhere.
Tensor tril(const Tensor& x, int64_t diagonal = 0);
Tensor triu(const Tensor& x, int64_t diagonal = 0);
Tensor tril_(const Tensor& x, int64_t diagonal = 0);
Tensor triu_(const Tensor& x, int64_t diagonal = 0);

namespace detail {
// Raw advanced-index kernels shared by indexing.cpp and scatter.cpp (no autograd).
// `indices` has one int64 tensor or undefined per leading dim of x.
Tensor index_gather_raw(const Tensor& x, const TensorList& indices);
void index_put_raw(const Tensor& x, const TensorList& indices, const Tensor& value, bool accumulate,
                   const char* op);
// RuntimeError when x has a size > 1 dim with stride 0 (writes would alias).
void check_no_overlap(const Tensor& x, const char* op);
}  // namespace detail

}  // namespace ax
