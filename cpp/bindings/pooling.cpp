// Bindings for pooling and resizing on the private submodule axonite._C._nn: max/min, average
// and adaptive pools, max unpooling, interpolate and pixel (un)shuffle. axonite.nn.functional
// wraps them with PyTorch's signatures (int -> tuple, None handling); no math here.
#include "axonite/ops/pooling.h"

#include <tuple>

#include "axonite/ops/resize.h"
#include "bindings/common.h"

namespace axb {
namespace {

std::tuple<Tensor, Tensor> pair(const ax::TensorList& r) { return {r[0], r[1]}; }

}  // namespace

void register_pooling(py::module_& m, py::module_& nn, Class& cls) {
  (void)m;
  (void)cls;
  nn.def(
      "max_pool",
      [](const Tensor& input, int nsp, const Dims& kernel_size, const Dims& stride,
         const Dims& padding, const Dims& dilation, bool ceil_mode, bool is_min,
         bool return_indices) {
        return maybe_release(input.numel(), [&] {
          return pair(ax::max_pool(input, nsp, kernel_size, stride, padding, dilation, ceil_mode,
                                   is_min, return_indices));
        });
      },
      "input"_a, "nsp"_a, "kernel_size"_a, "stride"_a, "padding"_a, "dilation"_a,
      "ceil_mode"_a = false, "is_min"_a = false, "return_indices"_a = true,
      "Max (or min) pooling over the last nsp dims of (N, C, *) or (C, *): (output, indices); "
      "indices is None when not asked for and not needed by autograd.");
  nn.def(
      "avg_pool",
      [](const Tensor& input, int nsp, const Dims& kernel_size, const Dims& stride,
         const Dims& padding, bool ceil_mode, bool count_include_pad,
         std::optional<int64_t> divisor_override) {
        return maybe_release(input.numel(), [&] {
          return ax::avg_pool(input, nsp, kernel_size, stride, padding, ceil_mode,
                              count_include_pad, divisor_override);
        });
      },
      "input"_a, "nsp"_a, "kernel_size"_a, "stride"_a, "padding"_a, "ceil_mode"_a = false,
      "count_include_pad"_a = true, "divisor_override"_a = py::none(),
      "Average pooling over the last nsp dims of (N, C, *) or (C, *).");
  nn.def(
      "adaptive_avg_pool",
      [](const Tensor& input, int nsp, const Dims& output_size) {
        return maybe_release(input.numel(),
                             [&] { return ax::adaptive_avg_pool(input, nsp, output_size); });
      },
      "input"_a, "nsp"_a, "output_size"_a, "Adaptive average pooling to output_size.");
  nn.def(
      "adaptive_max_pool",
      [](const Tensor& input, int nsp, const Dims& output_size, bool return_indices) {
        return maybe_release(input.numel(), [&] {
          return pair(ax::adaptive_max_pool(input, nsp, output_size, return_indices));
        });
      },
      "input"_a, "nsp"_a, "output_size"_a, "return_indices"_a = true,
      "Adaptive max pooling to output_size: (output, indices or None).");
  nn.def(
      "max_unpool",
      [](const Tensor& input, const Tensor& indices, int nsp, const Dims& output_size) {
        return maybe_release(input.numel(),
                             [&] { return ax::max_unpool(input, indices, nsp, output_size); });
      },
      "input"_a, "indices"_a, "nsp"_a, "output_size"_a,
      "Places input at the flat per-plane indices of a zero output of output_size.");
  nn.def(
      "interpolate",
      [](const Tensor& input, const Dims& output_size, const std::string& mode, bool align_corners,
         const std::vector<double>& scales) {
        return maybe_release(input.numel(), [&] {
          return ax::interpolate(input, output_size, mode, align_corners, scales);
        });
      },
      "input"_a, "output_size"_a, "mode"_a = "nearest", "align_corners"_a = false,
      "scales"_a = std::vector<double>(),
      "Resizes the spatial dims of (N, C, *) to output_size (nearest, nearest-exact, linear, "
      "bilinear, trilinear, area).");
  nn.def(
      "pixel_shuffle",
      [](const Tensor& input, int64_t r) {
        return maybe_release(input.numel(), [&] { return ax::pixel_shuffle(input, r); });
      },
      "input"_a, "upscale_factor"_a, "(*, C*r*r, H, W) -> (*, C, H*r, W*r).");
  nn.def(
      "pixel_unshuffle",
      [](const Tensor& input, int64_t r) {
        return maybe_release(input.numel(), [&] { return ax::pixel_unshuffle(input, r); });
      },
      "input"_a, "downscale_factor"_a, "(*, C, H*r, W*r) -> (*, C*r*r, H, W).");
}

}  // namespace axb
