// Loss functions: checks and shapes as PyTorch, the fused kernels (kernels/loss.h) with their
// backward closures, and the composite losses. A fused backward runs its raw kernel unless grad
// mode is on during backward (create_graph), where it switches to the same gradient written
// with differentiable ops so that double backward works.
#include "axonite/ops/loss.h"

#include <cmath>
#include <limits>

#include "axonite/autograd/record.h"
#include "axonite/kernels/loss.h"
#include "axonite/ops/broadcast.h"
#include "axonite/ops/creation.h"
#include "axonite/ops/elementwise.h"
#include "axonite/ops/indexing.h"
#include "axonite/ops/reduce.h"
#include "axonite/ops/unary.h"
#include "axonite/ops/views.h"

namespace ax {
namespace {

using cpu::PointwiseLoss;

Tensor s(double v, DType dt) { return scalar_tensor(v, dt, true); }

void check_floating(const Tensor& t, const char* op, const char* arg) {
  AXONITE_CHECK(is_floating(t.dtype()), TypeError, op, ": expected a floating-point ", arg,
                ", got ", dtype_name(t.dtype()));
}

// PyTorch refuses gradients for class weights and pos_weight of its fused losses.
void check_constant(const Tensor& t, const char* op, const char* arg) {
  AXONITE_CHECK(!(t.defined() && t.requires_grad() && autograd::grad_enabled()), RuntimeError,
                "The function '", op, "' is not differentiable with respect to argument '", arg,
                "'. This input cannot have requires_grad True.");
}

// Broadcast shape of a and b, RuntimeError worded as PyTorch's when they do not broadcast.
Dims loss_broadcast(const Dims& a, const Dims& b, const char* op) {
  const int n = std::max(a.size(), b.size());
  for (int i = 0; i < n; ++i) {
    const int ia = a.size() - n + i, ib = b.size() - n + i;
    const int64_t da = ia >= 0 ? a[ia] : 1, db = ib >= 0 ? b[ib] : 1;
    AXONITE_CHECK(da == db || da == 1 || db == 1, RuntimeError, op, ": The size of tensor a (", da,
                  ") must match the size of tensor b (", db, ") at non-singleton dimension ", i);
  }
  return broadcast_shapes(a, b, op);
}

// softplus(z) = log(1 + e^z) with both branches fed safe inputs, so values and first and
// second derivatives are finite and exact at every z (including z = 0).
Tensor softplus_stable(const Tensor& z) {
  const DType dt = z.dtype();
  const Tensor pos = gt(z, s(0, dt));
  const Tensor zp = where(pos, z, s(0, dt)), zn = where(pos, s(0, dt), z);
  return where(pos, add(zp, log1p(exp(neg(zp)))), log1p(exp(zn)));
}

Tensor log_softmax_composite(const Tensor& x, int64_t dim) {
  return sub(x, logsumexp(x, Dims{dim}, true));
}

// ---- class-index losses (cross_entropy, nll_loss) -------------------------------------------

struct ClassGeom {
  int64_t n = 1, c = 0, d = 1;
  Dims out;  // shape of the unreduced loss: the target's
};

ClassGeom class_geom(const Tensor& x, const Tensor& t, const Tensor& w, const char* op) {
  check_floating(x, op, "input");
  AXONITE_CHECK(x.dim() >= 1, ValueError, op, ": Expected 1 or more dimensions (got 0)");
  AXONITE_CHECK(t.dtype() == DType::Int64, RuntimeError, op,
                ": expected target dtype to be int64 (Long) class indices, but got ",
                dtype_name(t.dtype()));
  AXONITE_CHECK(x.dim() == 1 || t.dim() == 0 || x.size(0) == t.size(0), ValueError, op,
                ": Expected input batch_size (", x.size(0), ") to match target batch_size (",
                t.dim() > 0 ? t.size(0) : 0, ").");
  ClassGeom g;
  if (x.dim() <= 2) {
    AXONITE_CHECK(t.dim() <= 1, RuntimeError, op,
                  ": 0D or 1D target tensor expected, multi-target not supported");
    AXONITE_CHECK((x.dim() == 1 && t.dim() == 0) || (x.dim() == 2 && t.dim() == 1), RuntimeError,
                  op, ": size mismatch (got input: ", shape_str(x.sizes()),
                  ", target: ", shape_str(t.sizes()), ")");
    g.n = x.dim() == 2 ? x.size(0) : 1;
    g.c = x.size(-1);
  } else {
    Dims want{x.size(0)};
    for (int i = 2; i < x.dim(); ++i) {
      want.push_back(x.size(i));
      g.d *= x.size(i);
    }
    AXONITE_CHECK(t.sizes() == want, RuntimeError, op, ": Expected target size ", shape_str(want),
                  ", got ", shape_str(t.sizes()));
    g.n = x.size(0);
    g.c = x.size(1);
  }
  g.out = t.sizes();
  if (w.defined()) {
    AXONITE_CHECK(w.dim() == 1 && w.numel() == g.c, RuntimeError, op,
                  ": weight tensor should be defined either for all ", g.c,
                  " classes or no classes but got weight tensor of shape: ", shape_str(w.sizes()));
    AXONITE_CHECK(w.dtype() == x.dtype(), RuntimeError, op, ": expected weight of dtype ",
                  dtype_name(x.dtype()), " (the input's) but found ", dtype_name(w.dtype()));
  }
  return g;
}

// Constants of the differentiable backward (Note [Fused cross-entropy]): the target index as an
// (N, 1, D) tensor (ignored -> 0), w_t masked by validity (N, 1, D), and validity (N, 1, D).
struct ClassConsts {
  Tensor idx, wt, valid;
};

ClassConsts class_consts(const Tensor& t, const Tensor& w, const ClassGeom& g, int64_t ignore,
                         DType dt) {
  const Dims shape{g.n, 1, g.d};
  const Tensor t3 = reshape(t, shape);
  const Tensor ok = ne(t3, scalar_tensor_int(ignore, true));
  ClassConsts k;
  k.idx = where(ok, t3, scalar_tensor_int(0, true));
  k.valid = to_dtype(ok, dt);
  k.wt = w.defined() ? mul(reshape(index_select(w, 0, reshape(k.idx, Dims{-1})), shape), k.valid)
                     : k.valid;
  return k;
}

// Upstream gradient as a factor that broadcasts against (N, C, D).
Tensor grad_factor(const Tensor& gy, const ClassGeom& g, Reduction red, double total_w) {
  if (red == Reduction::None) return reshape(gy, Dims{g.n, 1, g.d});
  return red == Reduction::Mean ? div(gy, s(total_w, gy.dtype())) : gy;
}

Tensor class_loss(bool ce, const Tensor& input, const Tensor& target, const Tensor& weight,
                  int64_t ignore, Reduction red, double eps) {
  const char* op = ce ? "cross_entropy" : "nll_loss";
  const ClassGeom g = class_geom(input, target, weight, op);
  check_constant(weight, "nll_loss_forward", "weight");
  const DType dt = input.dtype();
  const Tensor xc = contiguous(input.detach()), tc = contiguous(target.detach());
  const Tensor wc = weight.defined() ? contiguous(weight.detach()) : Tensor();
  cpu::ClassLossArgs a;
  a.x = xc.raw_data();
  a.target = tc.data<int64_t>();
  a.weight = wc.defined() ? wc.raw_data() : nullptr;
  a.n = g.n;
  a.c = g.c;
  a.d = g.d;
  a.ignore_index = ignore;
  a.smoothing = eps;
  double total_w = 0;
  const int64_t bad = cpu::check_class_targets(dt, a, &total_w);
  AXONITE_CHECK(bad < 0, IndexError, op, ": Target ", bad < 0 ? 0 : a.target[bad],
                " is out of bounds (expected a class index in [0, ", g.c,
                ") or ignore_index=", ignore, ")");
  Tensor loss = Tensor::empty(g.out, dt), stats;
  if (ce) {
    stats = Tensor::empty(Dims{2, g.n * g.d}, dt);
    cpu::cross_entropy_forward(dt, a, loss.raw_data(), stats.raw_data());
  } else {
    cpu::nll_loss_forward(dt, a, loss.raw_data());
  }
  Tensor y = loss;
  if (red != Reduction::None) {
    const double total = sum(loss).item();
    y = scalar_tensor(red == Reduction::Mean ? total / total_w : total, dt);
  }
  if (!autograd::needs_grad(input)) return y;
  autograd::SavedTensor sx(ce ? input : Tensor(), false);
  const Dims in_sizes = input.sizes();
  autograd::record(
      ce ? "CrossEntropyLossBackward0" : "NllLossBackward0", {input}, y, [=](const Tensor& gy0) {
        const Tensor gy = to_dtype(gy0, dt);
        if (autograd::grad_enabled()) {  // create_graph: differentiable form
          const ClassConsts k = class_consts(tc, wc, g, ignore, dt);
          const Tensor f = grad_factor(gy, g, red, total_w);
          const Tensor zeros3 = zeros(Dims{g.n, g.c, g.d}, dt);
          if (!ce)
            return TensorList{reshape(scatter(zeros3, 1, k.idx, neg(mul(k.wt, f))), in_sizes)};
          const Tensor x3 = reshape(sx.unpack(), Dims{g.n, g.c, g.d});
          const Tensor p = exp(log_softmax_composite(x3, 1));
          const double wsum = wc.defined() ? sum(wc).item() : static_cast<double>(g.c);
          const Tensor A = add(mul(k.wt, s(1 - eps, dt)), mul(k.valid, s(eps / g.c * wsum, dt)));
          Tensor gx = sub(mul(p, A), scatter(zeros3, 1, k.idx, mul(k.wt, s(1 - eps, dt))));
          if (eps != 0) {
            const Tensor wb = wc.defined() ? reshape(wc, Dims{1, g.c, 1}) : s(1, dt);
            gx = sub(gx, mul(mul(wb, k.valid), s(eps / g.c, dt)));
          }
          return TensorList{reshape(mul(gx, f), in_sizes)};
        }
        const Tensor gc = contiguous(gy);
        Tensor gx = Tensor::empty(Dims{g.n, g.c, g.d}, dt);
        cpu::ClassLossArgs b = a;
        b.target = tc.data<int64_t>();
        b.weight = wc.defined() ? wc.raw_data() : nullptr;
        const double scale = red == Reduction::Mean ? 1.0 / total_w : 1.0;
        if (ce) {
          const Tensor xk = contiguous(sx.unpack().detach());
          b.x = xk.raw_data();
          cpu::cross_entropy_backward(dt, b, stats.raw_data(), gc.raw_data(),
                                      red != Reduction::None, scale, gx.raw_data());
        } else {
          cpu::nll_loss_backward(dt, b, gc.raw_data(), red != Reduction::None, scale,
                                 gx.raw_data());
        }
        return TensorList{reshape(gx, in_sizes)};
      });
  return y;
}

// cross_entropy with class-probability targets: a composite (targets get gradients too).
Tensor cross_entropy_probs(const Tensor& x, const Tensor& t, const Tensor& w, Reduction red,
                           double eps) {
  const int cdim = x.dim() == 1 ? 0 : 1;
  const int64_t C = x.size(cdim);
  const DType dt = x.dtype();
  Tensor q = t;
  if (eps > 0) q = add(mul(t, s(1 - eps, dt)), s(eps / C, dt));
  Tensor prod = mul(log_softmax_composite(x, cdim), q);
  if (w.defined()) {
    AXONITE_CHECK(w.dim() == 1 && w.numel() == C, RuntimeError,
                  "cross_entropy: weight tensor should be defined either for all ", C,
                  " classes or no classes but got weight tensor of shape: ", shape_str(w.sizes()));
    Dims wshape(x.dim(), 1);
    wshape[cdim] = C;
    prod = mul(prod, reshape(w, wshape));
  }
  if (red == Reduction::None) return neg(sum(prod, Dims{cdim}));
  const Tensor total = neg(sum(prod));
  if (red == Reduction::Sum) return total;
  const int64_t rows = C == 0 ? 0 : x.numel() / C;
  return div(total, s(rows == 0 ? std::nan("") : static_cast<double>(rows), dt));
}

// ---- pointwise losses -----------------------------------------------------------------------

struct PointwiseSpec {
  const char* op;
  const char* node;
};

PointwiseSpec pointwise_spec(PointwiseLoss k) {
  switch (k) {
    case PointwiseLoss::Mse:
      return {"mse_loss", "MseLossBackward0"};
    case PointwiseLoss::L1:
      return {"l1_loss", "L1LossBackward0"};
    case PointwiseLoss::Huber:
      return {"huber_loss", "HuberLossBackward0"};
    case PointwiseLoss::SmoothL1:
      return {"smooth_l1_loss", "SmoothL1LossBackward0"};
    case PointwiseLoss::Bce:
      return {"binary_cross_entropy", "BinaryCrossEntropyBackward0"};
    case PointwiseLoss::BceLogits:
      break;
  }
  return {"binary_cross_entropy_with_logits", "BinaryCrossEntropyWithLogitsBackward0"};
}

// d loss / d x and d loss / d y with differentiable ops (create_graph). pw may be undefined.
std::pair<Tensor, Tensor> pointwise_grads(PointwiseLoss k, const Tensor& x, const Tensor& y,
                                          const Tensor& pw, double p) {
  const DType dt = x.dtype();
  switch (k) {
    case PointwiseLoss::Mse: {
      const Tensor dx = mul(sub(x, y), s(2, dt));
      return {dx, neg(dx)};
    }
    case PointwiseLoss::L1: {
      const Tensor dx = sign(sub(x, y));
      return {dx, neg(dx)};
    }
    case PointwiseLoss::Huber: {
      const Tensor dx = clamp(sub(x, y), s(-p, dt), s(p, dt));
      return {dx, neg(dx)};
    }
    case PointwiseLoss::SmoothL1: {
      const Tensor dx = clamp(div(sub(x, y), s(p, dt)), s(-1, dt), s(1, dt));
      return {dx, neg(dx)};
    }
    case PointwiseLoss::Bce: {
      const Tensor den = clamp(mul(sub(s(1, dt), x), x), s(1e-12, dt), std::nullopt);
      return {div(sub(x, y), den), sub(log1p(neg(x)), log(x))};
    }
    case PointwiseLoss::BceLogits:
      break;
  }
  // dx = (1 - y) sigmoid(x) - pw y sigmoid(-x): no 1 - 1 cancellation at large |x| (as the
  // kernel's bce_logits_dx).
  const Tensor py = pw.defined() ? mul(pw, y) : y;
  const Tensor dx = sub(mul(sub(s(1, dt), y), sigmoid(x)), mul(py, sigmoid(neg(x))));
  if (!pw.defined()) return {dx, neg(x)};
  const Tensor pm1 = sub(pw, s(1, dt));
  return {dx, sub(mul(pm1, softplus_stable(neg(x))), x)};
}

// x, y (and pw): same shape and floating dtype.
Tensor pointwise(PointwiseLoss k, const Tensor& x, const Tensor& y, const Tensor& pw, Reduction red,
                 double param) {
  const PointwiseSpec sp = pointwise_spec(k);
  const DType dt = x.dtype();
  const Tensor xc = contiguous(x.detach()), yc = contiguous(y.detach());
  const Tensor pwc = pw.defined() ? contiguous(pw.detach()) : Tensor();
  cpu::PointwiseArgs a;
  a.x = xc.raw_data();
  a.y = yc.raw_data();
  a.pw = pwc.defined() ? pwc.raw_data() : nullptr;
  a.n = x.numel();
  a.param = param;
  Tensor out;
  int status;
  if (red == Reduction::None) {
    out = Tensor::empty(x.sizes(), dt);
    status = cpu::pointwise_loss_forward(k, dt, a, out.raw_data(), nullptr);
  } else {
    double total = 0;
    status = cpu::pointwise_loss_forward(k, dt, a, nullptr, &total);
    if (red == Reduction::Mean) total = a.n == 0 ? std::nan("") : total / a.n;
    out = scalar_tensor(total, dt);
  }
  AXONITE_CHECK(status == 0, RuntimeError, sp.op, ": all elements of ",
                status == 1 ? "input" : "target", " should be between 0 and 1");
  const bool gx_needed = x.requires_grad(), gy_needed = y.requires_grad();
  if (!autograd::any_needs_grad({x, y})) return out;
  autograd::SavedTensor sx(x, false), sy(y, false);
  const int64_t n = a.n;
  autograd::record(sp.node, {x, y}, out, [=](const Tensor& g0) {
    const Tensor g = to_dtype(g0, dt);
    const double scale = red == Reduction::Mean ? 1.0 / static_cast<double>(n) : 1.0;
    if (autograd::grad_enabled()) {
      const auto [dx, dy] = pointwise_grads(k, sx.unpack(), sy.unpack(), pwc, param);
      const Tensor f = scale == 1.0 ? g : mul(g, s(scale, dt));
      return TensorList{gx_needed ? mul(dx, f) : Tensor(), gy_needed ? mul(dy, f) : Tensor()};
    }
    const Tensor xk = contiguous(sx.unpack().detach()), yk = contiguous(sy.unpack().detach());
    const Tensor gk = contiguous(g);
    cpu::PointwiseArgs b = a;
    b.x = xk.raw_data();
    b.y = yk.raw_data();
    b.pw = pwc.defined() ? pwc.raw_data() : nullptr;
    Tensor gx = gx_needed ? Tensor::empty(xk.sizes(), dt) : Tensor();
    Tensor gy = gy_needed ? Tensor::empty(xk.sizes(), dt) : Tensor();
    cpu::pointwise_loss_backward(k, dt, b, gk.raw_data(), red != Reduction::None, scale,
                                 gx_needed ? gx.raw_data() : nullptr,
                                 gy_needed ? gy.raw_data() : nullptr);
    return TensorList{gx, gy};
  });
  return out;
}

// Regression losses: promote, broadcast (differentiably: expand's backward sums back), fuse.
Tensor regression(PointwiseLoss k, const Tensor& input, const Tensor& target, Reduction red,
                  double param) {
  const char* op = pointwise_spec(k).op;
  check_floating(input, op, "input");
  check_floating(target, op, "target");
  const DType dt = promote_types(input.dtype(), target.dtype());
  Tensor x = to_dtype(input, dt), y = to_dtype(target, dt);
  if (x.sizes() != y.sizes()) {
    const Dims shape = loss_broadcast(x.sizes(), y.sizes(), op);
    x = expand(x, shape);
    y = expand(y, shape);
  }
  return pointwise(k, x, y, Tensor(), red, param);
}

}  // namespace

Reduction parse_reduction(const std::string& r) {
  if (r == "mean") return Reduction::Mean;
  if (r == "sum") return Reduction::Sum;
  AXONITE_CHECK(r == "none", ValueError, r, " is not a valid value for reduction");
  return Reduction::None;
}

Tensor apply_reduction(const Tensor& l, Reduction r) {
  if (r == Reduction::Sum) return sum(l);
  if (r == Reduction::Mean) return mean(l);
  return l;
}

Tensor cross_entropy(const Tensor& input, const Tensor& target, const Tensor& weight,
                     int64_t ignore_index, Reduction reduction, double label_smoothing) {
  AXONITE_CHECK(
      label_smoothing <= 1.0, RuntimeError,
      "cross_entropy: label_smoothing must be between 0.0 and 1.0. Got: ", label_smoothing);
  if (is_floating(target.dtype())) {
    check_floating(input, "cross_entropy", "input");
    AXONITE_CHECK(target.sizes() == input.sizes(), RuntimeError,
                  "cross_entropy: a floating-point target holds class probabilities and must "
                  "have the input's shape ",
                  shape_str(input.sizes()), ", got ", shape_str(target.sizes()),
                  " (class indices must be int64)");
    AXONITE_CHECK(input.dim() >= 1, ValueError,
                  "cross_entropy: Expected 1 or more dimensions (got 0)");
    const DType dt = promote_types(input.dtype(), target.dtype());
    return cross_entropy_probs(to_dtype(input, dt), to_dtype(target, dt),
                               weight.defined() ? to_dtype(weight, dt) : weight, reduction,
                               label_smoothing);
  }
  return class_loss(true, input, target, weight, ignore_index, reduction, label_smoothing);
}

Tensor nll_loss(const Tensor& input, const Tensor& target, const Tensor& weight,
                int64_t ignore_index, Reduction reduction) {
  return class_loss(false, input, target, weight, ignore_index, reduction, 0.0);
}

Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction reduction) {
  return regression(PointwiseLoss::Mse, input, target, reduction, 0.0);
}

Tensor l1_loss(const Tensor& input, const Tensor& target, Reduction reduction) {
  return regression(PointwiseLoss::L1, input, target, reduction, 0.0);
}

Tensor huber_loss(const Tensor& input, const Tensor& target, Reduction reduction, double delta) {
  AXONITE_CHECK(delta > 0, RuntimeError,
                "huber_loss does not support non-positive values for delta.");
  return regression(PointwiseLoss::Huber, input, target, reduction, delta);
}

Tensor smooth_l1_loss(const Tensor& input, const Tensor& target, Reduction reduction, double beta) {
  AXONITE_CHECK(beta >= 0, RuntimeError,
                "smooth_l1_loss does not support negative values for beta.");
  if (beta == 0) return l1_loss(input, target, reduction);
  return regression(PointwiseLoss::SmoothL1, input, target, reduction, beta);
}

Tensor binary_cross_entropy(const Tensor& input, const Tensor& target, const Tensor& weight,
                            Reduction reduction) {
  const char* op = "binary_cross_entropy";
  AXONITE_CHECK(target.sizes() == input.sizes(), ValueError, op, ": Using a target size (",
                shape_str(target.sizes()), ") that is different to the input size (",
                shape_str(input.sizes()),
                ") is deprecated. Please ensure they have the same size.");
  check_floating(input, op, "input");
  check_floating(target, op, "target");
  check_constant(weight, op, "weight");
  const DType dt = promote_types(input.dtype(), target.dtype());
  const Tensor x = to_dtype(input, dt), y = to_dtype(target, dt);
  if (!weight.defined()) return pointwise(PointwiseLoss::Bce, x, y, Tensor(), reduction, 0.0);
  loss_broadcast(weight.sizes(), x.sizes(), op);
  const Tensor l = pointwise(PointwiseLoss::Bce, x, y, Tensor(), Reduction::None, 0.0);
  return apply_reduction(mul(l, expand(to_dtype(weight, dt), x.sizes())), reduction);
}

Tensor binary_cross_entropy_with_logits(const Tensor& input, const Tensor& target,
                                        const Tensor& weight, const Tensor& pos_weight,
                                        Reduction reduction) {
  const char* op = "binary_cross_entropy_with_logits";
  AXONITE_CHECK(target.sizes() == input.sizes(), ValueError, op, ": Target size (",
                shape_str(target.sizes()), ") must be the same as input size (",
                shape_str(input.sizes()), ")");
  check_floating(input, op, "input");
  check_floating(target, op, "target");
  check_constant(weight, op, "weight");
  check_constant(pos_weight, op, "pos_weight");
  const DType dt = promote_types(input.dtype(), target.dtype());
  const Tensor x = to_dtype(input, dt), y = to_dtype(target, dt);
  Tensor pw;
  if (pos_weight.defined()) {
    loss_broadcast(pos_weight.sizes(), x.sizes(), op);
    pw = expand(to_dtype(pos_weight.detach(), dt), x.sizes());
  }
  if (!weight.defined()) return pointwise(PointwiseLoss::BceLogits, x, y, pw, reduction, 0.0);
  loss_broadcast(weight.sizes(), x.sizes(), op);
  const Tensor l = pointwise(PointwiseLoss::BceLogits, x, y, pw, Reduction::None, 0.0);
  return apply_reduction(mul(l, expand(to_dtype(weight, dt), x.sizes())), reduction);
}

Tensor kl_div(const Tensor& input, const Tensor& target, Reduction reduction, bool log_target,
              bool batchmean) {
  check_floating(input, "kl_div", "input");
  check_floating(target, "kl_div", "target");
  const DType dt = promote_types(input.dtype(), target.dtype());
  const Tensor x = to_dtype(input, dt), t = to_dtype(target, dt);
  Tensor l;
  if (log_target) {
    l = mul(exp(t), sub(t, x));
  } else {
    // xlogy(t, t) - t x, with 0 log 0 = 0 (the log sees 1 there, keeping gradients finite).
    const Tensor zero = eq(t, s(0, dt));
    const Tensor xlogx = where(zero, s(0, dt), mul(t, log(where(zero, s(1, dt), t))));
    l = sub(xlogx, mul(t, x));
  }
  if (batchmean) {
    const int64_t b = input.dim() > 0 ? input.size(0) : 1;
    return div(sum(l), s(static_cast<double>(b), dt));
  }
  return apply_reduction(l, reduction);
}

Tensor multi_margin_loss(const Tensor& input, const Tensor& target, int64_t p, double margin,
                         const Tensor& weight, Reduction reduction) {
  const char* op = "multi_margin_loss";
  AXONITE_CHECK(p == 1 || p == 2, ValueError, op, ": only p == 1 and p == 2 supported, got ", p);
  check_floating(input, op, "input");
  AXONITE_CHECK(input.dim() == 1 || (input.dim() == 2 && input.size(1) > 0), RuntimeError, op,
                ": Expected non-empty vector or matrix with optional 0-dim batch size, but got: ",
                shape_str(input.sizes()));
  AXONITE_CHECK(target.dtype() == DType::Int64, RuntimeError, op,
                ": expected target dtype to be int64 (Long), but got ", dtype_name(target.dtype()));
  const int64_t N = input.dim() == 2 ? input.size(0) : 1, C = input.size(-1);
  AXONITE_CHECK(target.numel() == N && target.dim() <= 1, RuntimeError, op,
                ": target tensor should be 1-D with size equal to the number of input samples "
                "(batch size). Expected target size [",
                N, "], but got ", shape_str(target.sizes()), ". Input has shape ",
                shape_str(input.sizes()), ".");
  AXONITE_CHECK(!weight.defined() || (weight.dim() == 1 && weight.numel() == C), RuntimeError, op,
                ": inconsistent weight size, expected ", C, " but got ",
                shape_str(weight.defined() ? weight.sizes() : Dims{}));
  check_constant(weight, op, "weight");
  const Tensor tc = reshape(contiguous(target.detach()), Dims{N, 1});
  const int64_t* tv = tc.data<int64_t>();
  for (int64_t i = 0; i < N; ++i)
    AXONITE_CHECK(tv[i] >= 0 && tv[i] < C, IndexError, op, ": target ", tv[i],
                  " out of range (expected a class index in [0, ", C, "))");
  const DType dt = input.dtype();
  const Tensor x = reshape(input, Dims{N, C});
  // z_j = margin - x_y + x_j, hinged, raised to p, the j == y term removed.
  Tensor h = relu(add(sub(s(margin, dt), gather(x, 1, tc)), x));
  if (p == 2) h = mul(h, h);
  h = mul(h, sub(s(1, dt), to_dtype(one_hot(reshape(tc, Dims{N}), C), dt)));
  if (weight.defined())
    h = mul(h, reshape(index_select(to_dtype(weight.detach(), dt), 0, reshape(tc, Dims{N})),
                       Dims{N, 1}));
  Tensor l = div(sum(h, Dims{1}), s(static_cast<double>(C), dt));
  if (input.dim() == 1) l = reshape(l, Dims{});
  return apply_reduction(l, reduction);
}

Tensor cosine_embedding_loss(const Tensor& x1, const Tensor& x2, const Tensor& target,
                             double margin, Reduction reduction) {
  const char* op = "cosine_embedding_loss";
  AXONITE_CHECK(target.dim() <= 1, RuntimeError, op,
                ": 0D or 1D target tensor expected, multi-target not supported");
  const int want = target.dim() + 1;
  AXONITE_CHECK(x1.dim() == want && x2.dim() == want, RuntimeError, op, ": ", target.dim(),
                "D target tensor expects ", want, "D input tensors, but found inputs with sizes ",
                shape_str(x1.sizes()), " and ", shape_str(x2.sizes()), ".");
  check_floating(x1, op, "input1");
  check_floating(x2, op, "input2");
  const int64_t d = want - 1;
  const DType dt = promote_types(x1.dtype(), x2.dtype());
  const Tensor a = to_dtype(x1, dt), b = to_dtype(x2, dt);
  const Dims shape = loss_broadcast(a.sizes(), b.sizes(), op);
  Dims rows = shape;
  rows.erase(static_cast<int>(d));
  loss_broadcast(target.sizes(), rows, op);
  const Tensor prod = sum(mul(a, b), Dims{d});
  const Tensor m1 = add(sum(mul(a, a), Dims{d}), s(1e-12, dt));
  const Tensor m2 = add(sum(mul(b, b), Dims{d}), s(1e-12, dt));
  const Tensor cos = div(prod, sqrt(mul(m1, m2)));
  const Tensor zero = zeros_like(cos);
  const Tensor pos = where(eq(target, s(1, target.dtype())), sub(s(1, dt), cos), zero);
  const Tensor negl = where(eq(target, s(-1, target.dtype())),
                            clamp(sub(cos, s(margin, dt)), s(0, dt), std::nullopt), zero);
  return apply_reduction(add(pos, negl), reduction);
}

Tensor cosine_similarity(const Tensor& x1, const Tensor& x2, int64_t dim, double eps) {
  DType dt = promote_types(x1.dtype(), x2.dtype());
  if (!is_floating(dt)) dt = kDefaultFloat;
  const Dims shape = loss_broadcast(x1.sizes(), x2.sizes(), "cosine_similarity");
  const Tensor a = expand(to_dtype(x1, dt), shape), b = expand(to_dtype(x2, dt), shape);
  const int64_t d = wrap_dim(dim, shape.size(), "cosine_similarity");
  // The norms are clamped at eps in value only: the gradient is that of the plain norm, as in
  // PyTorch (which clamps under no_grad).
  auto clamped = [&](const Tensor& v) {
    const Tensor n = norm(v, 2.0, Dims{d}, true), nd = n.detach();
    return add(n, sub(clamp(nd, s(eps, dt), std::nullopt), nd));
  };
  return sum(mul(div(a, clamped(a)), div(b, clamped(b))), Dims{d});
}

Tensor normalize(const Tensor& x, double p, int64_t dim, double eps) {
  check_floating(x, "normalize", "input");
  const int64_t d = wrap_dim(dim, x.dim(), "normalize");
  const Tensor n = norm(x, p, x.dim() == 0 ? Dims{} : Dims{d}, true);
  return div(x, clamp(n, s(eps, x.dtype()), std::nullopt));
}

}  // namespace ax
