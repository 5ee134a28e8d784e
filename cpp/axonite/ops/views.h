// View ops: new geometry over the same storage, no copy (reshape/flatten copy only when they
// must). Every view shares its base's storage (so the version counter too), sets view_base and
// records a backward that maps the gradient back through the inverse view. The copying shape
// ops (cat, stack, split, repeat, flip, ...) live in ops/join.h.
#pragma once

#include <optional>
#include <vector>

#include "axonite/tensor/tensor.h"

namespace ax {

// Shape with at most one -1 resolved against numel; `op` names the caller in errors.
Dims infer_shape(const Dims& shape, int64_t numel, const char* op);
// Strides for viewing x with `shape` without copying, or false when impossible.
bool view_strides(const Tensor& x, const Dims& shape, Dims* strides);

Tensor view(const Tensor& x, const Dims& shape);
Tensor reshape(const Tensor& x, const Dims& shape);

// dims is a permutation of x's dims (negative dims wrap).
Tensor permute(const Tensor& x, const Dims& dims);
Tensor transpose(const Tensor& x, int64_t dim0, int64_t dim1);
// Transpose of a tensor with at most 2 dims (0-d and 1-d come back as views of themselves).
Tensor t(const Tensor& x);
// x.T: all dims reversed. x.mT: the last two dims swapped (needs >= 2 dims).
Tensor numpy_T(const Tensor& x);
Tensor matrix_T(const Tensor& x);
// Insert a size-1 dim at `dim` in [-ndim-1, ndim].
Tensor unsqueeze(const Tensor& x, int64_t dim);
// Drop every size-1 dim / `dim` if it has size 1 / each listed dim that has size 1.
Tensor squeeze(const Tensor& x);
Tensor squeeze(const Tensor& x, int64_t dim);
Tensor squeeze(const Tensor& x, const Dims& dims);
// Merge dims [start_dim, end_dim] into one (a view when strides allow, else a copy).
Tensor flatten(const Tensor& x, int64_t start_dim = 0, int64_t end_dim = -1);
// Split dim `dim` into `sizes` (one entry may be -1).
Tensor unflatten(const Tensor& x, int64_t dim, const Dims& sizes);
// Dims `source` moved to positions `destination`; the others keep their order.
Tensor movedim(const Tensor& x, const Dims& source, const Dims& destination);
// A view with arbitrary geometry over x's storage (storage_offset defaults to x's offset).
Tensor as_strided(const Tensor& x, const Dims& size, const Dims& stride,
                  std::optional<int64_t> storage_offset = std::nullopt);

// x[..., start:stop:step, ...] along `dim` as a view (step > 0). start/stop wrap and clamp like
// Python slicing; nullopt start means 0, nullopt stop means the end. Backward: slice_backward.
Tensor slice(const Tensor& x, int dim, std::optional<int64_t> start, std::optional<int64_t> stop,
             int64_t step);
// x[..., index, ...] along `dim` as a view with that dim removed (negative index wraps).
Tensor select(const Tensor& x, int64_t dim, int64_t index);
// x[..., start:start+length, ...] along `dim` (start may be negative, length may not).
Tensor narrow(const Tensor& x, int64_t dim, int64_t start, int64_t length);

// Adjoint of slice: zeros of `input_sizes` with `grad` written into the slice given by the
// already normalized start/stop (0 <= start <= stop <= size). Differentiable (its backward
// slices again), so double backward through views works.
Tensor slice_backward(const Tensor& grad, const Dims& input_sizes, int dim, int64_t start,
                      int64_t stop, int64_t step);
// Adjoint of select: zeros of `input_sizes` with `grad` written at `index` (normalized).
Tensor select_backward(const Tensor& grad, const Dims& input_sizes, int dim, int64_t index);

// Where a tensor's elements sit in a scratch buffer: sizes, strides and offset in elements.
struct StridedGeometry {
  Dims sizes, strides;
  int64_t offset = 0;
};
// The adjoint pair behind as_strided's backward (and autograd's view + in-place rebasing), over
// a zeroed buffer of `len` elements that holds an input laid out as `in` and a view laid out as
// `out` (non-negative strides). strided_gather: h (shaped like `in`) -> the `out` elements, as a
// contiguous tensor. strided_scatter: g (shaped like `out`) summed into zeros laid out as `in`
// (overlapping `out` elements add up). Each records the other as its backward.
Tensor strided_gather(const Tensor& h, int64_t len, const StridedGeometry& in,
                      const StridedGeometry& out);
Tensor strided_scatter(const Tensor& g, int64_t len, const StridedGeometry& in,
                       const StridedGeometry& out);
// True when no two indices of the geometry reach the same element.
bool non_overlapping(const Dims& sizes, const Dims& strides);

}  // namespace ax
