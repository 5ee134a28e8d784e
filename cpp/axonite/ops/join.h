// Joining and splitting shape ops: cat/stack/hstack/vstack (copies with dtype promotion),
// split/chunk/tensor_split/unbind (views of one input under one multi-output node), and the
// copying repeat/tile/flip/roll. Pure views (permute, slice, ...) live in ops/views.h.
#pragma once

#include <cstdint>
#include <vector>

#include "axonite/tensor/tensor.h"

namespace ax {

// Concatenates along `dim`; the result dtype promotes over all inputs. Legacy empty 1-d tensors
// (shape [0]) are skipped, as in PyTorch.
Tensor cat(const TensorList& tensors, int64_t dim = 0);
// Joins equal-shaped tensors along a new dim `dim` in [-ndim-1, ndim].
Tensor stack(const TensorList& tensors, int64_t dim = 0);
// cat along dim 1 (dim 0 for 1-d inputs) / along dim 0 after promoting inputs to >= 2-d.
Tensor hstack(const TensorList& tensors);
Tensor vstack(const TensorList& tensors);

// Views of consecutive pieces of `split_size` along dim (the last may be smaller).
TensorList split(const Tensor& x, int64_t split_size, int64_t dim = 0);
// Views of consecutive pieces with the given sizes (they must sum to x.size(dim)).
TensorList split_with_sizes(const Tensor& x, const std::vector<int64_t>& sizes, int64_t dim = 0);
// At most `chunks` pieces of ceil(size / chunks) along dim.
TensorList chunk(const Tensor& x, int64_t chunks, int64_t dim = 0);
// Exactly `sections` pieces whose sizes differ by at most one / pieces cut at `indices`.
TensorList tensor_split(const Tensor& x, int64_t sections, int64_t dim = 0);
TensorList tensor_split(const Tensor& x, const std::vector<int64_t>& indices, int64_t dim = 0);
// x.select(dim, i) for every i.
TensorList unbind(const Tensor& x, int64_t dim = 0);

// Copies x repeats[i] times along each dim (len(repeats) >= x.dim(); extra leading dims added).
Tensor repeat(const Tensor& x, const Dims& repeats);
// repeat with `dims` padded by leading ones to x.dim().
Tensor tile(const Tensor& x, const Dims& dims);
// A copy with the order of elements reversed along each of `dims`.
Tensor flip(const Tensor& x, const Dims& dims);
// flip along dim 1 (x at least 2-D) / dim 0 (x at least 1-D), as in PyTorch.
Tensor fliplr(const Tensor& x);
Tensor flipud(const Tensor& x);
// A copy with elements shifted (circularly) by shifts[i] along dims[i]; empty dims rolls the
// flattened tensor.
Tensor roll(const Tensor& x, const Dims& shifts, const Dims& dims);

}  // namespace ax
