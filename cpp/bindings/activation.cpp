// Bindings for the activation and softmax families: the functional kernels on axonite._C._nn
// (wrapped by axonite.nn.functional), plus torch's top-level softmax/log_softmax/heaviside and
// the matching Tensor methods. No math here.
#include "bindings/common.h"

namespace axb {
namespace {

using ax::Activation;
using ax::ActParams;

// relu6 runs the hardtanh kernel and selu the elu one, and the kernels name themselves in their
// errors; a message led by another op's name ("hardtanh: ...", or "hardtanh_: ..." in place) is
// re-led by `name`, the op the user called.
template <class F>
Tensor named(const char* name, const F& f) {
  try {
    return f();
  } catch (const ax::Error& e) {
    const std::string msg = e.what();
    const size_t colon = msg.find(": ");
    const std::string head = msg.substr(0, colon == std::string::npos ? 0 : colon);
    const bool is_op =
        !head.empty() &&
        head.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") == std::string::npos;
    const bool inplace = is_op && head.back() == '_';  // "hardtanh_: ..." becomes "relu6_: ..."
    if (!is_op || head.substr(0, head.size() - inplace) == name) throw;
    throw ax::Error(e.kind(), name + std::string(inplace ? "_" : "") + msg.substr(colon));
  }
}

// Binds `name(input, ...)` and its in-place twin `name_` for an activation whose parameters
// come from `params(args...)`.
template <class... Args, class P>
void bind_act(py::module_& nn, const char* name, Activation op, P params, bool inplace,
              const char* doc) {
  nn.def(
      name,
      [op, params, name](const Tensor& x, Args... a) {
        return named(name, [&] {
          const ActParams p = params(a...);
          return maybe_release(x.numel(), [&] { return ax::activation(op, x, p); });
        });
      },
      doc);
  if (!inplace) return;
  nn.def((std::string(name) + "_").c_str(),
         [op, params, name](const Tensor& x, Args... a) {
           return named(name, [&] {
             const ActParams p = params(a...);
             return maybe_release(x.numel(), [&] { return ax::activation_(op, x, p); });
           });
         },
         doc);
}

ActParams none() { return ActParams{}; }

}  // namespace

void register_activation(py::module_& m, py::module_& nn, Class& cls) {
  // Positional arguments only: axonite.nn.functional supplies PyTorch's names and defaults.
  bind_act<>(nn, "relu", Activation::Relu, none, true, "max(x, 0)");
  bind_act<>(nn, "sigmoid", Activation::Sigmoid, none, true, "1 / (1 + exp(-x))");
  bind_act<>(nn, "tanh", Activation::Tanh, none, true, "tanh(x)");
  bind_act<double>(
      nn, "leaky_relu", Activation::LeakyRelu, [](double s) { return ActParams{s, 0, 0}; }, true,
      "x > 0 ? x : negative_slope * x");
  bind_act<double>(nn, "elu", Activation::Elu, ax::elu_params, true,
                   "x > 0 ? x : alpha * (exp(x) - 1)");
  bind_act<>(nn, "selu", Activation::Elu, ax::selu_params, true,
             "scale * elu(x, alpha) with the SELU constants");
  bind_act<double>(nn, "celu", Activation::Celu, ax::celu_params, true,
                   "max(0, x) + min(0, alpha * (exp(x / alpha) - 1))");
  bind_act<>(nn, "silu", Activation::Silu, none, true, "x * sigmoid(x)");
  bind_act<>(nn, "mish", Activation::Mish, none, true, "x * tanh(softplus(x))");
  bind_act<double, double>(
      nn, "softplus", Activation::Softplus,
      [](double beta, double th) { return ActParams{beta, th, 0}; }, false,
      "log(1 + exp(beta x)) / beta, linear above the threshold");
  bind_act<>(nn, "softsign", Activation::Softsign, none, false, "x / (1 + |x|)");
  bind_act<double, double>(
      nn, "hardtanh", Activation::Hardtanh,
      [](double lo, double hi) { return ax::hardtanh_params(lo, hi, "hardtanh"); }, true,
      "clamp(x, min_val, max_val)");
  bind_act<>(
      nn, "relu6", Activation::Hardtanh, [] { return ActParams{0, 6, 0}; }, true, "clamp(x, 0, 6)");
  bind_act<>(nn, "hardsigmoid", Activation::Hardsigmoid, none, true, "relu6(x + 3) / 6");
  bind_act<>(nn, "hardswish", Activation::Hardswish, none, true, "x * relu6(x + 3) / 6");
  bind_act<>(nn, "logsigmoid", Activation::LogSigmoid, none, false, "log(sigmoid(x))");
  bind_act<double, double>(
      nn, "threshold", Activation::Threshold,
      [](double th, double v) { return ActParams{th, v, 0}; }, true, "x <= threshold ? value : x");
  bind_act<double, double>(
      nn, "step", Activation::Step, [](double th, double v) { return ActParams{th, v, 0}; }, false,
      "1 where x > threshold, value where x == threshold, else 0 (zero gradient)");
  nn.def(
      "gelu",
      [](const Tensor& x, const std::string& approximate) {
        return maybe_release(x.numel(), [&] { return ax::gelu(x, approximate); });
      },
      "x * Phi(x) (approximate='tanh': the tanh approximation)");
  nn.def(
      "prelu",
      [](const Tensor& x, const Tensor& w) {
        return maybe_release(x.numel(), [&] { return ax::prelu(x, w); });
      },
      "x > 0 ? x : weight * x, weight broadcast over dim 1");

  using SoftFn = Tensor (*)(const Tensor&, int64_t, std::optional<DType>);
  struct S {
    const char* name;
    SoftFn fn;
    const char* doc;
  };
  static const S soft[] = {
      {"softmax", ax::softmax, "exp(x) / sum(exp(x)) along dim (max-subtracted)"},
      {"log_softmax", ax::log_softmax, "x - logsumexp(x) along dim"},
      {"softmin", ax::softmin, "softmax(-x) along dim"},
  };
  for (const S& e : soft) {
    const SoftFn fn = e.fn;
    auto call = [fn](const Tensor& x, int64_t dim, std::optional<DType> dtype) {
      return maybe_release(x.numel(), [&] { return fn(x, dim, dtype); });
    };
    nn.def(e.name, call, "input"_a, "dim"_a, "dtype"_a = py::none(), e.doc);
    if (std::string(e.name) == "softmin") continue;  // torch has no top-level softmin
    m.def(e.name, call, "input"_a, "dim"_a, "dtype"_a = py::none(), e.doc);
    cls.def(e.name, call, "dim"_a, "dtype"_a = py::none(), e.doc);
  }

  auto heaviside = [](const Tensor& x, py::handle values) {
    const Tensor v = to_tensor_arg(values, "heaviside");
    return maybe_release(x.numel(), [&] { return ax::heaviside(x, v); });
  };
  m.def("heaviside", heaviside, "input"_a, "values"_a,
        "0 where input < 0, values where input == 0, 1 where input > 0");
  cls.def("heaviside", heaviside, "values"_a,
          "0 where input < 0, values where input == 0, 1 where input > 0");
}

}  // namespace axb
