// Convolution family with PyTorch's semantics: conv1d/2d/3d, conv_transpose1d/2d/3d, pad,
// unfold/fold. x: (N, C, *spatial) or unbatched (C, *spatial); weights in PyTorch's layouts
// (conv: (out, in / groups, *k); transposed: (in, out / groups, *k)). Forward and backward in
// C++ (ops/conv.cpp, kernels/cpu/conv.cpp); every gradient is itself differentiable.
#pragma once

#include <string>

#include "axonite/tensor/tensor.h"

namespace ax {

// stride/padding/dilation: one value (repeated) or one per spatial dim; `nd` spatial dims.
Tensor conv_nd(const Tensor& input, const Tensor& weight, const Tensor& bias, const Dims& stride,
               const Dims& padding, const Dims& dilation, int64_t groups, int nd);
// padding given as "same" (output size = input size, stride 1 only) or "valid" (no padding).
Tensor conv_nd(const Tensor& input, const Tensor& weight, const Tensor& bias, const Dims& stride,
               const std::string& padding, const Dims& dilation, int64_t groups, int nd);
Tensor conv_transpose_nd(const Tensor& input, const Tensor& weight, const Tensor& bias,
                         const Dims& stride, const Dims& padding, const Dims& output_padding,
                         int64_t groups, const Dims& dilation, int nd);

inline Tensor conv2d(const Tensor& input, const Tensor& weight, const Tensor& bias = Tensor(),
                     const Dims& stride = {1}, const Dims& padding = {0},
                     const Dims& dilation = {1}, int64_t groups = 1) {
  return conv_nd(input, weight, bias, stride, padding, dilation, groups, 2);
}

// F.pad: `pad` = (last_left, last_right, second_last_left, ...); mode "constant" (negative
// pads crop), "reflect", "replicate" or "circular".
Tensor pad(const Tensor& input, const Dims& pad, const std::string& mode = "constant",
           double value = 0.0);

// F.unfold: (N, C, H, W) -> (N, C * kh * kw, L) sliding blocks; F.fold is its adjoint
// (overlapping blocks add up): (N, C * kh * kw, L) -> (N, C, *output_size). Unbatched inputs
// drop the N dim.
Tensor unfold(const Tensor& input, const Dims& kernel_size, const Dims& dilation,
              const Dims& padding, const Dims& stride);
Tensor fold(const Tensor& input, const Dims& output_size, const Dims& kernel_size,
            const Dims& dilation, const Dims& padding, const Dims& stride);

}  // namespace ax
