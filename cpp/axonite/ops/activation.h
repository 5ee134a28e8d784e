// Activation functions of axonite.nn (PyTorch semantics and defaults): each runs one fused
// forward kernel and records a fused backward (kernels/activation.h); the backward is itself a
// differentiable op, so create_graph / double backward work. Also PReLU, heaviside and step.
// Softmax and its family live in ops/softmax.h.
#pragma once

#include <string>

#include "axonite/kernels/activation.h"
#include "axonite/tensor/tensor.h"

namespace ax {

using Activation = cpu::Act;
using cpu::ActParams;

// y = f(x) (parameters per op in kernels/activation.h). Floating inputs; the ops PyTorch also
// defines for integers (relu, hardtanh, threshold) or promotes (sigmoid, tanh, softsign) do so.
Tensor activation(Activation op, const Tensor& x, const ActParams& p = {});
// x = f(x) in place; bumps x's version. Under autograd the node saves what its backward needs
// (a copy of x where the derivative reads the input, as PyTorch does).
Tensor activation_(Activation op, const Tensor& x, const ActParams& p = {});
// g * f'(x) (from y = f(x) for Relu, Sigmoid, Tanh): the fused backward, recorded under grad
// mode (node "<Op>BackwardBackward0") so that second derivatives flow.
Tensor activation_backward(Activation op, const Tensor& g, const Tensor& x_or_y,
                           const ActParams& p = {});

// Named forms (C++ users; Python binds the same through axonite._C._nn).
Tensor relu6(const Tensor& x);
Tensor leaky_relu(const Tensor& x, double negative_slope = 0.01);
Tensor elu(const Tensor& x, double alpha = 1.0);
Tensor selu(const Tensor& x);
Tensor celu(const Tensor& x, double alpha = 1.0);
// approximate: "none" (exact, erf) or "tanh".
Tensor gelu(const Tensor& x, const std::string& approximate = "none");
Tensor silu(const Tensor& x);
Tensor mish(const Tensor& x);
Tensor softplus(const Tensor& x, double beta = 1.0, double threshold = 20.0);
Tensor softsign(const Tensor& x);
Tensor hardtanh(const Tensor& x, double min_val = -1.0, double max_val = 1.0);
Tensor hardsigmoid(const Tensor& x);
Tensor hardswish(const Tensor& x);
Tensor logsigmoid(const Tensor& x);
Tensor threshold(const Tensor& x, double threshold, double value);
// 1 where x > threshold, `value` where x == threshold, else 0 (perceptron step). Zero gradient.
Tensor step(const Tensor& x, double threshold = 0.0, double value = 0.0);
// Parameter sets for the Elu kernel (alpha, scale, input_scale).
ActParams elu_params(double alpha);
ActParams selu_params();
ActParams celu_params(double alpha);
// Checks shared by the hardtanh family (min_val <= max_val).
ActParams hardtanh_params(double min_val, double max_val, const char* op);

// PReLU: x > 0 ? x : w * x with w (1 or C elements) broadcast over dim 1 of x (inputs with
// fewer than 2 dims have one channel). Node "PreluKernelBackward0".
Tensor prelu(const Tensor& x, const Tensor& weight);

// torch.heaviside: 0 where x < 0, values where x == 0, 1 where x > 0 (values broadcasts; same
// dtype as x). Zero gradient.
Tensor heaviside(const Tensor& x, const Tensor& values);

}  // namespace ax
