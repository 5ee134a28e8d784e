// Dropout family. dropout is one fused kernel pass (kernels/normalization.h) writing the output
// and the scaled mask (0 or 1 / (1 - p)); its backward multiplies by the saved mask, a
// differentiable op, so double backward works. The feature and alpha variants draw a Bernoulli
// noise tensor and compose elementwise ops exactly as PyTorch's _dropout_impl does.
#include "axonite/ops/dropout.h"

#include <cmath>

#include "axonite/autograd/record.h"
#include "axonite/core/rng.h"
#include "axonite/kernels/normalization.h"
#include "axonite/ops/creation.h"
#include "axonite/ops/elementwise.h"

namespace ax {
namespace {

Tensor s(double v, DType dt) { return scalar_tensor(v, dt, true); }

void check_p(double p, const Tensor& input, const char* op) {
  AXONITE_CHECK(p >= 0.0 && p <= 1.0, ValueError,
                "dropout probability has to be between 0 and 1, but got ", p);
  AXONITE_CHECK(is_floating(input.dtype()), TypeError, op,
                ": expected a floating-point input, got ", dtype_name(input.dtype()));
}

// Out-of-place result written back into `input` (PyTorch's inplace=True contract: the input
// tensor is returned and, under autograd, takes over the result's history).
Tensor write_back(const Tensor& input, const Tensor& r) {
  detail::cast_into(input, r.detach());
  input.bump_version();
  if (r.requires_grad()) detail::rebase_history(input, r);
  return input;
}

Tensor times_zero(const Tensor& input, bool inplace) {
  const Tensor z = s(0.0, input.dtype());
  return inplace ? mul_(input, z) : mul(input, z);
}

Tensor dropout_fused(const Tensor& input, double p) {
  const Tensor x = contiguous(input.detach());
  Tensor y = Tensor::empty(input.sizes(), input.dtype());
  Tensor mask = Tensor::empty(input.sizes(), input.dtype());
  const PhiloxStream st = default_generator().next_stream();
  dispatch_floating(input.dtype(), "dropout", [&](auto tag) {
    using T = typename decltype(tag)::type;
    cpu::norm_kernels<T>().dropout(x.data<T>(), y.data<T>(), mask.data<T>(), x.numel(), st, p);
  });
  if (autograd::needs_grad(input)) {
    autograd::record("MulBackward0", {input}, y,
                     [mask](const Tensor& g) { return TensorList{mul(g, mask)}; });
  }
  return y;
}

// Bernoulli(1 - p) noise of `shape` in the input's dtype.
Tensor keep_noise(const Tensor& input, const Dims& shape, double p) {
  Tensor noise = Tensor::empty(shape, input.dtype());
  bernoulli_(noise, 1.0 - p);
  return noise;
}

Dims feature_shape(const Tensor& input, const char* op) {
  AXONITE_CHECK(input.dim() >= 2, RuntimeError, op,
                ": Feature dropout requires at least 2 dimensions in the input, got shape ",
                shape_str(input.sizes()));
  Dims shape(input.dim(), 1);
  shape[0] = input.size(0);
  shape[1] = input.size(1);
  return shape;
}

// PyTorch's alpha dropout: dropped units go to SELU's negative saturation, then an affine map
// restores zero mean and unit variance.
Tensor alpha_impl(const Tensor& input, const Dims& shape, double p, bool inplace) {
  constexpr double kAlpha = 1.7580993408473766;
  const DType dt = input.dtype();
  const double a = 1.0 / std::sqrt((kAlpha * kAlpha * p + 1.0) * (1.0 - p));
  const Tensor noise = keep_noise(input, shape, p);
  const Tensor b = add(mul(sub(noise, s(1.0, dt)), s(kAlpha * a, dt)), s(kAlpha * a * p, dt));
  const Tensor scaled = mul(noise, s(a, dt));
  if (inplace) return add_(mul_(input, scaled), b);
  return add(mul(input, scaled), b);
}

}  // namespace

Tensor dropout(const Tensor& input, double p, bool train, bool inplace) {
  check_p(p, input, "dropout");
  if (!train || p == 0.0 || input.numel() == 0) return input;
  if (p == 1.0) return times_zero(input, inplace);
  if (!inplace) return dropout_fused(input, p);
  detail::check_inplace(input, Tensor(), "dropout_");
  const bool grad = autograd::needs_grad(input);
  return write_back(input, dropout_fused(grad ? input : input.detach(), p));
}

Tensor feature_dropout(const Tensor& input, double p, bool train, bool inplace) {
  check_p(p, input, "feature_dropout");
  const Dims shape = feature_shape(input, "feature_dropout");
  if (!train || p == 0.0 || input.numel() == 0) return input;
  if (p == 1.0) return times_zero(input, inplace);
  const Tensor noise = div(keep_noise(input, shape, p), s(1.0 - p, input.dtype()));
  return inplace ? mul_(input, noise) : mul(input, noise);
}

Tensor alpha_dropout(const Tensor& input, double p, bool train, bool inplace) {
  check_p(p, input, "alpha_dropout");
  if (!train || p == 0.0 || input.numel() == 0) return input;
  if (p == 1.0) return times_zero(input, inplace);
  return alpha_impl(input, input.sizes(), p, inplace);
}

Tensor feature_alpha_dropout(const Tensor& input, double p, bool train, bool inplace) {
  check_p(p, input, "feature_alpha_dropout");
  const Dims shape = feature_shape(input, "feature_alpha_dropout");
  if (!train || p == 0.0 || input.numel() == 0) return input;
  if (p == 1.0) return times_zero(input, inplace);
  return alpha_impl(input, shape, p, inplace);
}

}  // namespace ax
