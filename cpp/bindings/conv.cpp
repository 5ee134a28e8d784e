// Bindings for the convolution family on axonite._C._nn: conv (1-3 spatial dims, padding as
// numbers or 'same'/'valid'), conv_transpose, pad, unfold and fold. axonite.nn.functional wraps
// them with PyTorch's signatures; no math here.
#include "axonite/ops/conv.h"

#include <string>
#include <variant>

#include "bindings/common.h"

namespace axb {
namespace {

using OptTensor = std::optional<Tensor>;

Tensor opt(const OptTensor& t) { return t ? *t : Tensor(); }

}  // namespace

void register_conv(py::module_& m, py::module_& nn, Class& cls) {
  (void)m;
  (void)cls;
  nn.def(
      "conv",
      [](const Tensor& input, const Tensor& weight, const OptTensor& bias, const Dims& stride,
         const std::variant<Dims, std::string>& padding, const Dims& dilation, int64_t groups,
         int nd) {
        const int64_t work = input.numel() * (weight.dim() >= 2 ? weight.size(0) : 1);
        return maybe_release(work, [&] {
          if (const auto* s = std::get_if<std::string>(&padding))
            return ax::conv_nd(input, weight, opt(bias), stride, *s, dilation, groups, nd);
          return ax::conv_nd(input, weight, opt(bias), stride, std::get<Dims>(padding), dilation,
                             groups, nd);
        });
      },
      "input"_a, "weight"_a, "bias"_a = py::none(), "stride"_a = Dims{1}, "padding"_a = Dims{0},
      "dilation"_a = Dims{1}, "groups"_a = 1, "nd"_a = 2,
      "Convolution over nd spatial dims: input (N, C, *) or (C, *), weight (out, C / groups, *k).");
  nn.def(
      "conv_transpose",
      [](const Tensor& input, const Tensor& weight, const OptTensor& bias, const Dims& stride,
         const Dims& padding, const Dims& output_padding, int64_t groups, const Dims& dilation,
         int nd) {
        const int64_t work = input.numel() * (weight.dim() >= 2 ? weight.size(1) : 1);
        return maybe_release(work, [&] {
          return ax::conv_transpose_nd(input, weight, opt(bias), stride, padding, output_padding,
                                       groups, dilation, nd);
        });
      },
      "input"_a, "weight"_a, "bias"_a = py::none(), "stride"_a = Dims{1}, "padding"_a = Dims{0},
      "output_padding"_a = Dims{0}, "groups"_a = 1, "dilation"_a = Dims{1}, "nd"_a = 2,
      "Transposed convolution: input (N, C, *) or (C, *), weight (C, out / groups, *k).");
  nn.def(
      "pad",
      [](const Tensor& input, const Dims& pad, const std::string& mode, double value) {
        return maybe_release(input.numel(), [&] { return ax::pad(input, pad, mode, value); });
      },
      "input"_a, "pad"_a, "mode"_a = "constant", "value"_a = 0.0,
      "Pads the trailing dims: pad = (last_left, last_right, second_last_left, ...).");
  nn.def(
      "unfold",
      [](const Tensor& input, const Dims& kernel_size, const Dims& dilation, const Dims& padding,
         const Dims& stride) {
        return maybe_release(input.numel(), [&] {
          return ax::unfold(input, kernel_size, dilation, padding, stride);
        });
      },
      "input"_a, "kernel_size"_a, "dilation"_a = Dims{1}, "padding"_a = Dims{0},
      "stride"_a = Dims{1}, "Sliding blocks (im2col): (N, C, H, W) -> (N, C * kh * kw, L).");
  nn.def(
      "fold",
      [](const Tensor& input, const Dims& output_size, const Dims& kernel_size,
         const Dims& dilation, const Dims& padding, const Dims& stride) {
        return maybe_release(input.numel(), [&] {
          return ax::fold(input, output_size, kernel_size, dilation, padding, stride);
        });
      },
      "input"_a, "output_size"_a, "kernel_size"_a, "dilation"_a = Dims{1}, "padding"_a = Dims{0},
      "stride"_a = Dims{1},
      "Sums sliding blocks back (col2im): (N, C * kh * kw, L) -> (N, C, *output_size).");
}

}  // namespace axb
