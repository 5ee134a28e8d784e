// Resizing with PyTorch semantics: interpolate (Upsample) over the spatial dims of (N, C, *)
// input in modes nearest (PyTorch's legacy index rule), nearest-exact, linear/bilinear/trilinear
// (align_corners) and area, and pixel_shuffle / pixel_unshuffle. The interpolations are
// separable linear maps (ops/pooling.h detail::resample), differentiable in any order.
#pragma once

#include <string>
#include <vector>

#include "axonite/tensor/tensor.h"

namespace ax {

// input: (N, C, *in) with 1 to 3 spatial dims -> (N, C, *output_size). scales: empty, or one
// per spatial dim (a value <= 0 means none); a given scale s sets the source step to 1 / s
// (PyTorch's recompute_scale_factor=False), otherwise the step is in / out.
Tensor interpolate(const Tensor& input, const Dims& output_size, const std::string& mode,
                   bool align_corners, const std::vector<double>& scales);
// (*, C * r * r, H, W) -> (*, C, H * r, W * r), and its inverse.
Tensor pixel_shuffle(const Tensor& input, int64_t upscale_factor);
Tensor pixel_unshuffle(const Tensor& input, int64_t downscale_factor);

}  // namespace ax
