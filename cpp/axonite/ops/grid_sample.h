// Spatial sampling with PyTorch semantics: grid_sample reads 2-d (N, C, H_in, W_in) input at
// the normalized (x, y) locations of a (N, H_out, W_out, 2) grid. Differentiable with respect to
// both the input and the grid, to any order (see Note [Differentiable grid_sample backward]).
// affine_grid is a small batched matmul composed in Python (axonite.nn.functional.sampling).
#pragma once

#include <string>

#include "axonite/tensor/tensor.h"

namespace ax {

// input: (N, C, H_in, W_in), grid: (N, H_out, W_out, 2) -> (N, C, H_out, W_out).
// mode: "bilinear" | "nearest"; padding_mode: "zeros" | "border" | "reflection"; with
// align_corners, -1 and 1 are the centres of the corner pixels, otherwise their outer edges.
Tensor grid_sample(const Tensor& input, const Tensor& grid, const std::string& mode,
                   const std::string& padding_mode, bool align_corners);

}  // namespace ax
