// Unary math ops. Each forward calls the elementwise kernel; each backward, written with
// differentiable ops next to it, gives higher-order gradients for free.
#include "axonite/ops/unary.h"

#include "axonite/autograd/record.h"
#include "axonite/ops/activation.h"
#include "axonite/ops/broadcast.h"
#include "axonite/ops/creation.h"
#include "axonite/ops/elementwise.h"

namespace ax {
namespace {

using cpu::UnaryOp;

Tensor s(double v, DType dt) { return scalar_tensor(v, dt, true); }

// Float-only math promotes integer and bool inputs (exp(int) is float, as in PyTorch).
Tensor as_float(const Tensor& x) { return is_floating(x.dtype()) ? x : to_dtype(x, kDefaultFloat); }

struct Spec {
  const char* name;
  const char* node;
  bool float_only;
  // Backward of y = f(x): grad, x, y -> grad of x. Null for piecewise-constant functions.
  Tensor (*backward)(const Tensor& g, const Tensor& x, const Tensor& y);
};

Tensor zero_grad(const Tensor& g, const Tensor&, const Tensor&) { return zeros_like(g); }

// One row per UnaryOp from Neg to Reciprocal, in enum order.
const Spec& spec(UnaryFn fn) {
  static const Spec specs[] = {
      {"neg", "NegBackward0", false,
       [](const Tensor& g, const Tensor&, const Tensor&) { return neg(g); }},
      {"exp", "ExpBackward0", true,
       [](const Tensor& g, const Tensor&, const Tensor& y) { return mul(g, y); }},
      {"log", "LogBackward0", true,
       [](const Tensor& g, const Tensor& x, const Tensor&) { return div(g, x); }},
      {"log1p", "Log1PBackward0", true,
       [](const Tensor& g, const Tensor& x, const Tensor&) {
         return div(g, add(x, s(1, x.dtype())));
       }},
      {"expm1", "Expm1Backward0", true,
       [](const Tensor& g, const Tensor&, const Tensor& y) {
         return mul(g, add(y, s(1, y.dtype())));
       }},
      {"sqrt", "SqrtBackward0", true,
       [](const Tensor& g, const Tensor&, const Tensor& y) {
         return div(g, mul(y, s(2, y.dtype())));
       }},
      {"rsqrt", "RsqrtBackward0", true,
       [](const Tensor& g, const Tensor&, const Tensor& y) {  // -0.5 * y^3
         return mul(g, mul(pow(y, s(3, y.dtype())), s(-0.5, y.dtype())));
       }},
      {"abs", "AbsBackward0", false,
       [](const Tensor& g, const Tensor& x, const Tensor&) { return mul(g, sign(x)); }},
      {"sign", "SignBackward0", false, zero_grad},
      {"sin", "SinBackward0", true,
       [](const Tensor& g, const Tensor& x, const Tensor&) { return mul(g, cos(x)); }},
      {"cos", "CosBackward0", true,
       [](const Tensor& g, const Tensor& x, const Tensor&) { return neg(mul(g, sin(x))); }},
      {"tanh", "TanhBackward0", true,
       [](const Tensor& g, const Tensor&, const Tensor& y) {  // 1 - y^2
         return mul(g, sub(s(1, y.dtype()), mul(y, y)));
       }},
      {"sigmoid", "SigmoidBackward0", true,
       [](const Tensor& g, const Tensor&, const Tensor& y) {  // y (1 - y)
         return mul(g, mul(y, sub(s(1, y.dtype()), y)));
       }},
      {"relu", "ReluBackward0", false,
       [](const Tensor& g, const Tensor&, const Tensor& y) {
         return mul(g, to_dtype(gt(y, s(0, y.dtype())), g.dtype()));
       }},
      {"floor", "FloorBackward0", false, zero_grad},
      {"ceil", "CeilBackward0", false, zero_grad},
      {"round", "RoundBackward0", false, zero_grad},
      {"reciprocal", "ReciprocalBackward0", true,
       [](const Tensor& g, const Tensor&, const Tensor& y) { return neg(mul(g, mul(y, y))); }},
  };
  static_assert(sizeof(specs) / sizeof(specs[0]) == static_cast<int>(UnaryOp::Reciprocal) + 1);
  AXONITE_CHECK(fn <= UnaryOp::Reciprocal, ValueError, "unary: not a differentiable math op");
  return specs[static_cast<int>(fn)];
}

bool needs_x(UnaryFn fn) {
  return fn == UnaryFn::Log || fn == UnaryFn::Log1p || fn == UnaryFn::Abs || fn == UnaryFn::Sin ||
         fn == UnaryFn::Cos;
}

}  // namespace

Tensor unary(UnaryFn fn, const Tensor& x0) {
  const Spec& sp = spec(fn);
  const Tensor x = sp.float_only ? as_float(x0) : x0;
  Tensor y;
  if (!is_floating(x.dtype()) &&
      (fn == UnaryFn::Floor || fn == UnaryFn::Ceil || fn == UnaryFn::Round)) {
    y = clone(x);  // integers are already whole
  } else {
    y = detail::unary_raw(fn, x, sp.name);
  }
  if (autograd::needs_grad(x)) {
    autograd::SavedTensor sx(needs_x(fn) ? x : Tensor(), false), sy(y, true);
    auto bw = sp.backward;
    autograd::record(sp.node, {x}, y, [bw, sx, sy](const Tensor& g) {
      return TensorList{bw(g, sx.unpack(), sy.unpack())};
    });
  }
  return y;
}

Tensor unary_(UnaryFn fn, const Tensor& x) {
  const Spec& sp = spec(fn);
  AXONITE_CHECK(!sp.float_only || is_floating(x.dtype()), TypeError, sp.name,
                "_: result type float can't be cast to the desired output type ",
                dtype_name(x.dtype()));
  detail::check_inplace(x, Tensor(), sp.name);
  const bool grad = autograd::needs_grad(x);
  // A backward that reads x runs on a snapshot: the write below would invalidate x itself.
  Tensor r = unary(fn, !grad ? x.detach() : needs_x(fn) ? detail::snapshot(x) : x);
  detail::cast_into(x, r);
  x.bump_version();
  if (grad) detail::rebase_history(x, r);
  return x;
}

Tensor neg(const Tensor& x) {
  AXONITE_CHECK(x.dtype() != DType::Bool, TypeError,
                "neg: negation, the `-` operator, on a bool tensor is not supported; use "
                "logical_not() or the `~` operator instead");
  return unary(UnaryFn::Neg, x);
}
Tensor exp(const Tensor& x) { return unary(UnaryFn::Exp, x); }
Tensor log(const Tensor& x) { return unary(UnaryFn::Log, x); }
Tensor log1p(const Tensor& x) { return unary(UnaryFn::Log1p, x); }
Tensor expm1(const Tensor& x) { return unary(UnaryFn::Expm1, x); }
Tensor sqrt(const Tensor& x) { return unary(UnaryFn::Sqrt, x); }
Tensor rsqrt(const Tensor& x) { return unary(UnaryFn::Rsqrt, x); }
Tensor abs(const Tensor& x) { return unary(UnaryFn::Abs, x); }
Tensor sign(const Tensor& x) { return unary(UnaryFn::Sign, x); }
Tensor sin(const Tensor& x) { return unary(UnaryFn::Sin, x); }
Tensor cos(const Tensor& x) { return unary(UnaryFn::Cos, x); }
// Floating tanh, sigmoid and relu take the activation path: one fused backward pass instead of
// the two or three elementwise ops of the generic unary backward (3x less memory traffic).
// Integer inputs keep the unary rules (activation() sends integer relu back here).
Tensor tanh(const Tensor& x) {
  return is_floating(x.dtype()) ? activation(Activation::Tanh, x) : unary(UnaryFn::Tanh, x);
}
Tensor sigmoid(const Tensor& x) {
  return is_floating(x.dtype()) ? activation(Activation::Sigmoid, x) : unary(UnaryFn::Sigmoid, x);
}
Tensor relu(const Tensor& x) {
  return is_floating(x.dtype()) ? activation(Activation::Relu, x) : unary(UnaryFn::Relu, x);
}
Tensor floor(const Tensor& x) { return unary(UnaryFn::Floor, x); }
Tensor ceil(const Tensor& x) { return unary(UnaryFn::Ceil, x); }
Tensor round(const Tensor& x) { return unary(UnaryFn::Round, x); }
Tensor reciprocal(const Tensor& x) { return unary(UnaryFn::Reciprocal, x); }

Tensor clamp(const Tensor& x, const std::optional<Tensor>& lo, const std::optional<Tensor>& hi) {
  AXONITE_CHECK(lo || hi, ValueError, "clamp: at least one of 'min' or 'max' must not be None");
  Tensor y;
  {
    autograd::GradModeGuard no_grad(false);
    y = x;
    if (lo) y = maximum(y, *lo);
    if (hi) y = minimum(y, *hi);
  }
  const Tensor l = lo ? *lo : Tensor(), h = hi ? *hi : Tensor();
  if (autograd::any_needs_grad({x, l, h})) {
    // x passes gradient where lo <= x <= hi (inclusive, as in PyTorch); a tensor bound gets it
    // where it was the one selected.
    autograd::SavedTensor sx(x, false), sl(l, false), sh(h, false);
    autograd::record("ClampBackward1", {x, l, h}, y, [sx, sl, sh](const Tensor& g) {
      const Tensor xv = sx.unpack(), lv = sl.unpack(), hv = sh.unpack();
      const Tensor z = zeros_like(g);
      Tensor gx = g, gl, gh;
      if (lv.defined()) {
        const Tensor below = lt(xv, lv);
        if (lv.requires_grad()) gl = sum_to(where(below, g, z), lv.sizes());
        gx = where(below, z, gx);
      }
      if (hv.defined()) {
        const Tensor above = gt(xv, hv);
        if (hv.requires_grad()) gh = sum_to(where(above, g, z), hv.sizes());
        gx = where(above, z, gx);
      }
      return TensorList{sum_to(gx, xv.sizes()), gl, gh};
    });
  }
  return y;
}

Tensor clamp_(const Tensor& x, const std::optional<Tensor>& lo, const std::optional<Tensor>& hi) {
  detail::check_inplace(x, Tensor(), "clamp_");
  const bool grad = autograd::needs_grad(x);
  // clamp's backward compares x with the bounds: give it a snapshot the write cannot change.
  Tensor r = clamp(grad ? detail::snapshot(x) : x.detach(), lo, hi);
  detail::cast_into(x, r);
  x.bump_version();
  if (grad) detail::rebase_history(x, r);
  return x;
}

}  // namespace ax
