// Bindings for the nn layer kernels on the private submodule axonite._C._nn: linear, the
// normalizations, the dropout family and embedding. axonite.nn.functional wraps them with
// PyTorch's signatures; no math here.
#include "bindings/common.h"

namespace axb {
namespace {

using OptTensor = std::optional<Tensor>;

Tensor opt(const OptTensor& t) { return t ? *t : Tensor(); }

}  // namespace

void register_nn_layers(py::module_& m, py::module_& nn, Class& cls) {
  (void)m;
  (void)cls;
  nn.def(
      "linear",
      [](const Tensor& input, const Tensor& weight, const OptTensor& bias) {
        const int64_t work = input.numel() * (weight.dim() == 2 ? weight.size(0) : 1);
        return maybe_release(work, [&] { return ax::linear(input, weight, opt(bias)); });
      },
      "input"_a, "weight"_a, "bias"_a = py::none(),
      "y = input @ weight.T + bias; input: (*, in), weight: (out, in), bias: (out,).");
  nn.def(
      "batch_norm",
      [](const Tensor& input, const OptTensor& running_mean, const OptTensor& running_var,
         const OptTensor& weight, const OptTensor& bias, bool training, double momentum,
         double eps) {
        return maybe_release(input.numel(), [&] {
          return ax::batch_norm(input, opt(running_mean), opt(running_var), opt(weight), opt(bias),
                                training, momentum, eps);
        });
      },
      "input"_a, "running_mean"_a, "running_var"_a, "weight"_a = py::none(), "bias"_a = py::none(),
      "training"_a = false, "momentum"_a = 0.1, "eps"_a = 1e-5,
      "Batch normalization over (N, C, *) per channel C.");
  nn.def(
      "layer_norm",
      [](const Tensor& input, const Dims& normalized_shape, const OptTensor& weight,
         const OptTensor& bias, double eps) {
        return maybe_release(input.numel(), [&] {
          return ax::layer_norm(input, normalized_shape, opt(weight), opt(bias), eps);
        });
      },
      "input"_a, "normalized_shape"_a, "weight"_a = py::none(), "bias"_a = py::none(),
      "eps"_a = 1e-5, "Layer normalization over the trailing normalized_shape dims.");
  nn.def(
      "group_norm",
      [](const Tensor& input, int64_t num_groups, const OptTensor& weight, const OptTensor& bias,
         double eps) {
        return maybe_release(input.numel(), [&] {
          return ax::group_norm(input, num_groups, opt(weight), opt(bias), eps);
        });
      },
      "input"_a, "num_groups"_a, "weight"_a = py::none(), "bias"_a = py::none(), "eps"_a = 1e-5,
      "Group normalization over groups of channels of (N, C, *).");

  using DropFn = Tensor (*)(const Tensor&, double, bool, bool);
  auto bind_drop = [&nn](const char* name, DropFn fn, const char* doc) {
    nn.def(
        name,
        [fn](const Tensor& input, double p, bool training, bool inplace) {
          return maybe_release(input.numel(), [&] { return fn(input, p, training, inplace); });
        },
        "input"_a, "p"_a = 0.5, "training"_a = true, "inplace"_a = false, doc);
  };
  bind_drop("dropout", &ax::dropout, "Zeroes elements with probability p, scales by 1/(1-p).");
  bind_drop("feature_dropout", &ax::feature_dropout,
            "Zeroes whole (n, c) feature maps of (N, C, *) with probability p.");
  bind_drop("alpha_dropout", &ax::alpha_dropout, "Dropout that keeps SELU's mean and variance.");
  bind_drop("feature_alpha_dropout", &ax::feature_alpha_dropout,
            "Alpha dropout of whole (n, c) feature maps.");

  nn.def(
      "embedding",
      [](const Tensor& weight, const Tensor& indices, int64_t padding_idx,
         bool scale_grad_by_freq) {
        const int64_t work = indices.numel() * (weight.dim() == 2 ? weight.size(1) : 1);
        return maybe_release(
            work, [&] { return ax::embedding(weight, indices, padding_idx, scale_grad_by_freq); });
      },
      "weight"_a, "indices"_a, "padding_idx"_a = -1, "scale_grad_by_freq"_a = false,
      "Rows of weight (V, D) gathered by int64 indices -> (*indices.shape, D).");
  nn.def(
      "embedding_renorm_",
      [](const Tensor& weight, const Tensor& indices, double max_norm, double norm_type) {
        return ax::embedding_renorm_(weight, indices, max_norm, norm_type);
      },
      "weight"_a, "indices"_a, "max_norm"_a, "norm_type"_a = 2.0,
      "Rescales in place the referenced rows of weight whose norm exceeds max_norm.");
  nn.def(
      "embedding_dense_backward",
      [](const Tensor& grad, const Tensor& indices, int64_t num_weights, int64_t padding_idx,
         bool scale_grad_by_freq) {
        return ax::embedding_dense_backward(grad, indices, num_weights, padding_idx,
                                            scale_grad_by_freq);
      },
      "grad"_a, "indices"_a, "num_weights"_a, "padding_idx"_a = -1, "scale_grad_by_freq"_a = false,
      "The dense gradient of embedding for its weight.");
}

}  // namespace axb
