// Pointwise activations: the fused forward, the fused backward (itself a recorded op whose own
// backward is written with differentiable ops, so higher-order gradients flow), the in-place
// forms, PReLU and heaviside.
#include "axonite/ops/activation.h"

#include <cmath>

#include "axonite/autograd/record.h"
#include "axonite/core/parallel.h"
#include "axonite/kernels/cpu/loops.h"
#include "axonite/ops/broadcast.h"
#include "axonite/ops/creation.h"
#include "axonite/ops/elementwise.h"
#include "axonite/ops/reduce.h"
#include "axonite/ops/unary.h"
#include "axonite/ops/views.h"

namespace ax {
namespace {

using cpu::Act;

struct Info {
  const char* name;                    // op name in error messages
  const char* node;                    // node of the forward
  const char* node2;                   // node of the backward (for double backward)
  bool from_y;                         // the derivative reads y = f(x) instead of x
  const char* node_inplace = nullptr;  // PyTorch's name for the in-place form's node, if other
};

const Info& info(Act op) {
  static const Info table[] = {
      {"relu", "ReluBackward0", "ThresholdBackwardBackward0", true},
      {"sigmoid", "SigmoidBackward0", "SigmoidBackwardBackward0", true},
      {"tanh", "TanhBackward0", "TanhBackwardBackward0", true},
      {"leaky_relu", "LeakyReluBackward0", "LeakyReluBackwardBackward0", false,
       "LeakyReluBackward1"},
      {"elu", "EluBackward0", "EluBackwardBackward0", false, "EluBackward1"},
      {"celu", "CeluBackward0", "EluBackwardBackward0", false, "CeluBackward1"},
      {"gelu", "GeluBackward0", "GeluBackwardBackward0", false},
      {"gelu", "GeluBackward0", "GeluBackwardBackward0", false},
      {"silu", "SiluBackward0", "SiluBackwardBackward0", false},
      {"mish", "MishBackward0", "MishBackwardBackward0", false},
      {"softplus", "SoftplusBackward0", "SoftplusBackwardBackward0", false},
      {"softsign", "SoftsignBackward0", "SoftsignBackwardBackward0", false},
      {"hardtanh", "HardtanhBackward0", "HardtanhBackwardBackward0", false},
      {"hardsigmoid", "HardsigmoidBackward0", "HardsigmoidBackwardBackward0", false},
      {"hardswish", "HardswishBackward0", "HardswishBackwardBackward0", false},
      {"logsigmoid", "LogSigmoidBackward0", "LogSigmoidBackwardBackward0", false},
      {"threshold", "ThresholdBackward0", "ThresholdBackwardBackward0", false,
       "ThresholdBackward1"},
      {"step", "StepBackward0", "StepBackwardBackward0", false},
  };
  static_assert(sizeof(table) / sizeof(table[0]) == static_cast<size_t>(Act::Count));
  return table[static_cast<int>(op)];
}

Tensor s(double v, DType dt) { return scalar_tensor(v, dt, true); }

// y = f(x) over contiguous buffers (y may be x itself).
void run_forward(Act op, const Tensor& y, const Tensor& x, const ActParams& p) {
  const cpu::ActForwardKernel k = cpu::act_forward_kernel(op, x.dtype());
  const int64_t es = static_cast<int64_t>(itemsize(x.dtype()));
  char* yp = static_cast<char*>(y.raw_data());
  const char* xp = static_cast<const char*>(x.raw_data());
  parallel_for(0, x.numel(), cpu::kElementwiseGrain,
               [&](int64_t b, int64_t e) { k(yp + b * es, xp + b * es, e - b, p); });
}

// Integer inputs: PyTorch defines relu, hardtanh and threshold on them and promotes sigmoid,
// tanh and softsign to float; every other activation raises.
Tensor integer_activation(Act op, const Tensor& x, const ActParams& p) {
  const char* name = info(op).name;
  switch (op) {
    case Act::Relu:
      AXONITE_CHECK(x.dtype() != DType::Bool, TypeError, "relu: Boolean inputs not supported");
      return relu(x);
    case Act::Sigmoid:
    case Act::Tanh:
    case Act::Softsign:
      return activation(op, to_dtype(x, kDefaultFloat), p);
    case Act::Hardtanh:
      if (x.dtype() == DType::Int64)
        return clamp(x, scalar_tensor_int(static_cast<int64_t>(p.a), true),
                     scalar_tensor_int(static_cast<int64_t>(p.b), true));
      break;
    case Act::Threshold:
      if (x.dtype() == DType::Int64)
        return where(le(x, s(p.a, kDefaultFloat)),
                     scalar_tensor_int(static_cast<int64_t>(p.b), true), x);
      break;
    default:
      break;
  }
  fail(ErrorKind::TypeError, name, ": expected a floating-point tensor (float32 or float64), got ",
       dtype_name(x.dtype()));
}

// d/d(xy) of g * f'(xy), times the incoming gradient gg: gg * g * f''. Undefined where f'' = 0.
// Written with differentiable ops, so third derivatives work too.
Tensor second_derivative(Act op, const Tensor& gg, const Tensor& g, const Tensor& v,
                         const ActParams& p) {
  const DType dt = v.dtype();
  const Tensor zero = s(0, dt), one = s(1, dt), two = s(2, dt);
  Tensor d;  // f''
  switch (op) {
    case Act::Sigmoid:  // d/dy [y (1 - y)]
      d = sub(one, mul(two, v));
      break;
    case Act::Tanh:  // d/dy [1 - y^2]
      d = mul(s(-2, dt), v);
      break;
    case Act::Elu:
    case Act::Celu: {
      // x <= 0: alpha scale input_scale^2 exp(input_scale x); x clamped so exp cannot overflow
      // in the unselected branch (0 * inf would poison the gradient).
      const Tensor pos = gt(v, zero);
      const Tensor xn = where(pos, zero, v);
      const Tensor neg = mul(s(p.a * p.b * p.c * p.c, dt), exp(mul(xn, s(p.c, dt))));
      d = where(pos, zero, neg);
      break;
    }
    case Act::Gelu: {  // phi(x) (2 - x^2)
      const Tensor x2 = mul(v, v);
      const Tensor phi = mul(exp(mul(x2, s(-0.5, dt))), s(0.39894228040143267794, dt));
      d = mul(phi, sub(two, x2));
      break;
    }
    case Act::GeluTanh: {  // (1 - t^2) (u' + x (u'' - 2 t u'^2) / 2), t = tanh(u)
      const double k = 0.79788456080286535588, kappa = 0.044715;
      const Tensor x2 = mul(v, v);
      const Tensor t = tanh(mul(s(k, dt), add(v, mul(s(kappa, dt), mul(x2, v)))));
      const Tensor du = mul(s(k, dt), add(one, mul(s(3 * kappa, dt), x2)));
      const Tensor ddu = mul(s(6 * k * kappa, dt), v);
      const Tensor inner = sub(ddu, mul(mul(two, t), mul(du, du)));
      d = mul(sub(one, mul(t, t)), add(du, mul(mul(s(0.5, dt), v), inner)));
      break;
    }
    case Act::Silu: {  // sig (1 - sig) (2 + x (1 - 2 sig))
      const Tensor sg = sigmoid(v);
      const Tensor a = mul(sg, sub(one, sg));
      d = mul(a, add(two, mul(v, sub(one, mul(two, sg)))));
      break;
    }
    case Act::Mish: {  // (1 - t^2) sig (2 + x (1 - sig - 2 t sig)), t = tanh(softplus(x))
      const Tensor sg = sigmoid(v);
      const Tensor t = tanh(activation(Act::Softplus, v, ActParams{1.0, 20.0, 0.0}));
      const Tensor in = sub(sub(one, sg), mul(mul(two, t), sg));
      d = mul(mul(sub(one, mul(t, t)), sg), add(two, mul(v, in)));
      break;
    }
    case Act::Softplus: {  // beta sig(beta x) (1 - sig(beta x)) below the threshold
      const Tensor z = mul(v, s(p.a, dt));
      const Tensor sg = sigmoid(z);
      d = where(gt(z, s(p.b, dt)), zero, mul(s(p.a, dt), mul(sg, sub(one, sg))));
      break;
    }
    case Act::Softsign: {  // -2 sign(x) / (1 + |x|)^3
      const Tensor den = add(one, abs(v));
      d = div(mul(s(-2, dt), sign(v)), mul(den, mul(den, den)));
      break;
    }
    case Act::Hardswish:  // 1/3 inside (-3, 3)
      d = where(bitwise_and(gt(v, s(-3, dt)), lt(v, s(3, dt))), s(1.0 / 3.0, dt), zero);
      break;
    case Act::LogSigmoid: {  // -sig (1 - sig)
      const Tensor sg = sigmoid(v);
      d = neg(mul(sg, sub(one, sg)));
      break;
    }
    default:  // piecewise linear or constant: f'' = 0
      return Tensor();
  }
  return mul(mul(gg, g), d);
}

bool all_strides_zero(const Tensor& t) {
  for (int64_t st : t.strides())
    if (st != 0) return false;
  return true;
}

// The out-of-place op, recording its node under `node`.
Tensor activation_impl(Act op, const Tensor& x, const ActParams& p, const char* node) {
  const Info& in = info(op);
  const Tensor xc = x.is_contiguous() ? x : contiguous(x.detach());
  Tensor y = Tensor::empty(x.sizes(), x.dtype());
  run_forward(op, y, xc, p);
  if (autograd::needs_grad(x)) {
    autograd::SavedTensor sv(in.from_y ? y : x, in.from_y);
    autograd::record(node, {x}, y, [op, p, sv](const Tensor& g) {
      return TensorList{activation_backward(op, g, sv.unpack(), p)};
    });
  }
  return y;
}

}  // namespace

Tensor activation(Act op, const Tensor& x, const ActParams& p) {
  if (!is_floating(x.dtype())) return integer_activation(op, x, p);
  return activation_impl(op, x, p, info(op).node);
}

Tensor activation_(Act op, const Tensor& x, const ActParams& p) {
  const Info& in = info(op);
  if (!is_floating(x.dtype())) {
    detail::check_inplace(x, Tensor(), in.name);
    const Tensor r = activation(op, x, p);
    AXONITE_CHECK(r.dtype() == x.dtype(), TypeError, in.name, "_: result type ",
                  dtype_name(r.dtype()), " can't be cast to the desired output type ",
                  dtype_name(x.dtype()));
    detail::cast_into(x, r);
    x.bump_version();
    return x;
  }
  detail::check_inplace(x, Tensor(), in.name);
  const bool grad = autograd::needs_grad(x);
  if (grad && !in.from_y) {
    // The derivative reads the input, which is about to be overwritten: the node keeps a
    // differentiable copy (PyTorch saves a clone of self for such in-place ops too).
    const Tensor r = activation_impl(op, clone(x), p, in.node_inplace ? in.node_inplace : in.node);
    detail::cast_into(x, r);
    x.bump_version();
    detail::rebase_history(x, r);
    return x;
  }
  if (x.is_contiguous()) {
    run_forward(op, x, x, p);
  } else {
    const Tensor r = Tensor::empty(x.sizes(), x.dtype());
    run_forward(op, r, contiguous(x.detach()), p);
    detail::cast_into(x, r);
  }
  x.bump_version();
  if (grad) {  // x itself becomes the output (saved after the bump, so it unpacks cleanly)
    autograd::SavedTensor sv(x, true);
    autograd::record(in.node, {x}, x, [op, p, sv](const Tensor& g) {
      return TensorList{activation_backward(op, g, sv.unpack(), p)};
    });
  }
  return x;
}

Tensor activation_backward(Act op, const Tensor& g, const Tensor& xy, const ActParams& p) {
  const Info& in = info(op);
  const DType dt = xy.dtype();
  AXONITE_CHECK(g.sizes() == xy.sizes(), RuntimeError, in.name, "_backward: grad has shape ",
                shape_str(g.sizes()), " but the input has shape ", shape_str(xy.sizes()));
  AXONITE_CHECK(g.dtype() == dt, TypeError, in.name, "_backward: grad has dtype ",
                dtype_name(g.dtype()), " but the input has dtype ", dtype_name(dt));
  const cpu::ActBackwardKernel k = cpu::act_backward_kernel(op, dt);
  AXONITE_CHECK(k != nullptr, TypeError, in.name,
                "_backward: expected a floating-point tensor, got ", dtype_name(dt));
  Tensor out = Tensor::empty(xy.sizes(), dt);
  const int64_t n = xy.numel();
  if (n > 0) {
    // A gradient broadcast from one value (sum().backward()) is read as a scalar, not copied.
    const bool scalar_g = n > 1 && all_strides_zero(g);
    const Tensor gc = scalar_g || g.is_contiguous() ? g : contiguous(g.detach());
    const Tensor vc = xy.is_contiguous() ? xy : contiguous(xy.detach());
    const int64_t es = static_cast<int64_t>(itemsize(dt)), gs = scalar_g ? 0 : 1;
    char* op_ = static_cast<char*>(out.raw_data());
    const char* gp = static_cast<const char*>(gc.raw_data());
    const char* vp = static_cast<const char*>(vc.raw_data());
    parallel_for(0, n, cpu::kElementwiseGrain, [&](int64_t b, int64_t e) {
      k(op_ + b * es, gp + b * es * gs, vp + b * es, e - b, gs, p);
    });
  }
  if (autograd::any_needs_grad({g, xy})) {
    const bool g_req = g.requires_grad(), v_req = xy.requires_grad();
    autograd::SavedTensor sg(v_req ? g : Tensor(), false), sv(xy, false);
    autograd::record(in.node2, {g, xy}, out, [op, p, g_req, v_req, sg, sv](const Tensor& gg) {
      const Tensor v = sv.unpack();
      Tensor dg = g_req ? activation_backward(op, gg, v, p) : Tensor();
      Tensor dv = v_req ? second_derivative(op, gg, sg.unpack(), v, p) : Tensor();
      return TensorList{dg, dv};
    });
  }
  return out;
}

// ---- named forms ------------------------------------------------------------------------------

ActParams elu_params(double alpha) { return ActParams{alpha, 1.0, 1.0}; }
ActParams selu_params() {
  return ActParams{1.6732632423543772848170429916717, 1.0507009873554804934193349852946, 1.0};
}
ActParams celu_params(double alpha) {
  AXONITE_CHECK(alpha != 0.0, RuntimeError, "celu: ZeroDivisionError: alpha cannot be 0 for CELU");
  return ActParams{alpha, 1.0, 1.0 / alpha};
}
ActParams hardtanh_params(double min_val, double max_val, const char* op) {
  AXONITE_CHECK(min_val <= max_val, ValueError, op,
                ": min_val cannot be greater than max_val (got ", min_val, " > ", max_val, ")");
  return ActParams{min_val, max_val, 0.0};
}

Tensor relu6(const Tensor& x) { return activation(Act::Hardtanh, x, ActParams{0.0, 6.0, 0.0}); }
Tensor leaky_relu(const Tensor& x, double negative_slope) {
  return activation(Act::LeakyRelu, x, ActParams{negative_slope, 0.0, 0.0});
}
Tensor elu(const Tensor& x, double alpha) { return activation(Act::Elu, x, elu_params(alpha)); }
Tensor selu(const Tensor& x) { return activation(Act::Elu, x, selu_params()); }
Tensor celu(const Tensor& x, double alpha) { return activation(Act::Celu, x, celu_params(alpha)); }
Tensor gelu(const Tensor& x, const std::string& approximate) {
  AXONITE_CHECK(approximate == "none" || approximate == "tanh", ValueError,
                "gelu: approximate argument must be either 'none' or 'tanh', got '", approximate,
                "'");
  return activation(approximate == "tanh" ? Act::GeluTanh : Act::Gelu, x);
}
Tensor silu(const Tensor& x) { return activation(Act::Silu, x); }
Tensor mish(const Tensor& x) { return activation(Act::Mish, x); }
Tensor softplus(const Tensor& x, double beta, double threshold) {
  return activation(Act::Softplus, x, ActParams{beta, threshold, 0.0});
}
Tensor softsign(const Tensor& x) { return activation(Act::Softsign, x); }
Tensor hardtanh(const Tensor& x, double min_val, double max_val) {
  return activation(Act::Hardtanh, x, hardtanh_params(min_val, max_val, "hardtanh"));
}
Tensor hardsigmoid(const Tensor& x) { return activation(Act::Hardsigmoid, x); }
Tensor hardswish(const Tensor& x) { return activation(Act::Hardswish, x); }
Tensor logsigmoid(const Tensor& x) { return activation(Act::LogSigmoid, x); }
Tensor threshold(const Tensor& x, double threshold, double value) {
  return activation(Act::Threshold, x, ActParams{threshold, value, 0.0});
}
Tensor step(const Tensor& x, double threshold, double value) {
  return activation(Act::Step, x, ActParams{threshold, value, 0.0});
}

// ---- PReLU ------------------------------------------------------------------------------------

Tensor prelu(const Tensor& x, const Tensor& w) {
  AXONITE_CHECK(is_floating(x.dtype()), TypeError,
                "prelu: expected a floating-point input (float32 or float64), got ",
                dtype_name(x.dtype()));
  AXONITE_CHECK(w.dtype() == x.dtype(), TypeError,
                "prelu: type promotion is not supported; input is ", dtype_name(x.dtype()),
                " but weight is ", dtype_name(w.dtype()));
  AXONITE_CHECK(w.dim() <= 1, RuntimeError,
                "prelu: expected `weight` to be a scalar or 1D tensor, but got ndim = ", w.dim());
  const int64_t channels = x.dim() >= 2 ? x.size(1) : 1;
  const int64_t C = w.numel();
  AXONITE_CHECK(C == 1 || C == channels, RuntimeError,
                "prelu: mismatch of parameter numbers and input channel size. Found parameter "
                "numbers = ",
                C, " and channel size = ", channels, " (input shape ", shape_str(x.sizes()), ")");
  // (N, C, S) view of x; a single slope treats x as one flat channel. N or C may be 0 (an
  // empty batch, or zero channels with an empty weight): then x is empty and S is 0.
  const int64_t N = C == 1 ? 1 : x.size(0);
  const int64_t S = C == 1 ? x.numel() : (N * C == 0 ? 0 : x.numel() / (N * C));
  const Tensor xc = x.is_contiguous() ? x : contiguous(x.detach());
  const Tensor wc = w.is_contiguous() ? w : contiguous(w.detach());
  Tensor y = Tensor::empty(x.sizes(), x.dtype());
  if (x.numel() > 0)
    cpu::prelu_forward(x.dtype(), y.raw_data(), xc.raw_data(), wc.raw_data(), N, C, S);
  if (autograd::any_needs_grad({x, w})) {
    autograd::SavedTensor sx(x, false), sw(w, false);
    const bool xr = x.requires_grad(), wr = w.requires_grad();
    autograd::record("PreluKernelBackward0", {x, w}, y, [sx, sw, xr, wr, N, C, S](const Tensor& g) {
      const Tensor xv = sx.unpack(), wv = sw.unpack();
      if (!autograd::grad_enabled()) {  // plain backward: one fused pass
        const DType dt = xv.dtype();
        const Tensor gc = contiguous(g), xc2 = contiguous(xv), wc2 = contiguous(wv);
        Tensor gx = Tensor::empty(xv.sizes(), dt), gw = Tensor::empty(wv.sizes(), dt);
        if (xv.numel() > 0)
          cpu::prelu_backward(dt, gx.raw_data(), gw.raw_data(), gc.raw_data(), xc2.raw_data(),
                              wc2.raw_data(), N, C, S);
        else
          fill_(gw, 0.0);
        return TensorList{xr ? gx : Tensor(), wr ? gw : Tensor()};
      }
      // create_graph: the same formulas with differentiable ops.
      Dims wshape(xv.dim() >= 2 ? xv.dim() : 0, 1);
      if (xv.dim() >= 2) wshape[1] = C;
      const Tensor wb = C == 1 ? reshape(wv, Dims{}) : reshape(wv, wshape);
      const Tensor pos = gt(xv, scalar_tensor(0, xv.dtype(), true));
      const Tensor gx = where(pos, g, mul(g, wb));
      const Tensor gwb = where(pos, zeros_like(g), mul(xv, g));
      const Tensor gw =
          C == 1 ? reshape(sum(gwb), wv.sizes()) : reshape(sum_to(gwb, wshape), wv.sizes());
      return TensorList{xr ? gx : Tensor(), wr ? gw : Tensor()};
    });
  }
  return y;
}

// ---- heaviside ----------------------------------------------------------------------------

Tensor heaviside(const Tensor& x, const Tensor& values) {
  AXONITE_CHECK(x.dtype() == values.dtype(), RuntimeError,
                "heaviside: is not yet implemented for tensors with different dtypes (input is ",
                dtype_name(x.dtype()), ", values is ", dtype_name(values.dtype()), ")");
  AXONITE_CHECK(x.dtype() != DType::Bool, TypeError, "heaviside: not supported for bool tensors");
  // Checked here so that a mismatch names heaviside, not the where() it is built from.
  broadcast_shapes(x.sizes(), values.sizes(), "heaviside");
  Tensor y;
  {
    autograd::GradModeGuard no_grad(false);
    const DType dt = x.dtype();
    const Tensor zero = dt == DType::Int64 ? scalar_tensor_int(0) : scalar_tensor(0, dt);
    const Tensor one = dt == DType::Int64 ? scalar_tensor_int(1) : scalar_tensor(1, dt);
    y = where(gt(x, zero), one, where(eq(x, zero), values, zero));
  }
  if (autograd::any_needs_grad({x, values})) {
    const Dims xs = x.sizes(), vs = values.sizes();
    const bool xr = x.requires_grad(), vr = values.requires_grad();
    autograd::record("HeavisideBackward0", {x, values}, y, [xs, vs, xr, vr](const Tensor& g) {
      // Piecewise constant in x; the gradient is taken as zero everywhere (also for values).
      return TensorList{xr ? zeros(xs, g.dtype()) : Tensor(), vr ? zeros(vs, g.dtype()) : Tensor()};
    });
  }
  return y;
}

}  // namespace ax
