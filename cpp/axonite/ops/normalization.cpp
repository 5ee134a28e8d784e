// batch_norm, layer_norm and group_norm: argument checks, the fused float64-accumulating kernels
// (kernels/normalization.h) forward and backward, and for create_graph a backward written in
// differentiable ops (the statistics recomputed from the saved input), so double backward works.
// Per-channel/row statistics computed in the forward are kept as float64 tensors in the closure.
#include "axonite/ops/normalization.h"

#include <cmath>
#include <utility>
#include <vector>

#include "axonite/autograd/record.h"
#include "axonite/kernels/normalization.h"
#include "axonite/ops/creation.h"
#include "axonite/ops/elementwise.h"
#include "axonite/ops/reduce.h"
#include "axonite/ops/unary.h"
#include "axonite/ops/views.h"

namespace ax {
namespace {

Tensor s(double v, DType dt) { return scalar_tensor(v, dt, true); }

void check_input(const Tensor& x, const char* op) {
  AXONITE_CHECK(is_floating(x.dtype()), TypeError, op, ": expected a floating-point input, got ",
                dtype_name(x.dtype()));
}

// An optional per-channel tensor: the input's dtype and `count` elements.
void check_param(const Tensor& t, const char* what, int64_t count, DType dt, const char* op) {
  if (!t.defined()) return;
  AXONITE_CHECK(t.numel() == count, RuntimeError, op, ": ", what, " should contain ", count,
                " elements not ", t.numel());
  AXONITE_CHECK(t.dtype() == dt, TypeError, op, ": expected ", what, " to have dtype ",
                dtype_name(dt), " (the input's), got ", dtype_name(t.dtype()));
}

Tensor f64(int64_t n) { return Tensor::empty(Dims{n}, DType::Float64); }

// All dims of an n-d tensor but `keep`.
Dims dims_except(int n, int keep) {
  Dims d;
  for (int i = 0; i < n; ++i)
    if (i != keep) d.push_back(i);
  return d;
}

// Differentiable (x - mean) * invstd over `dims` (biased variance): {xhat, invstd}, keepdim.
std::pair<Tensor, Tensor> normalize_graph(const Tensor& x, const Dims& dims, double eps) {
  const Tensor xc = sub(x, mean(x, dims, true));
  const Tensor invstd = rsqrt(add(mean(mul(xc, xc), dims, true), s(eps, x.dtype())));
  return {mul(xc, invstd), invstd};
}

// Gradient of x for xhat = normalize(x) over dims, from the gradient gxhat of xhat.
Tensor normalize_backward_graph(const Tensor& gxhat, const Tensor& xhat, const Tensor& invstd,
                                const Dims& dims) {
  const Tensor a = mean(gxhat, dims, true), b = mean(mul(gxhat, xhat), dims, true);
  return mul(invstd, sub(sub(gxhat, a), mul(xhat, b)));
}

// sum over dims (empty dims: nothing to sum, unlike sum()'s "all dims").
Tensor sum_over(const Tensor& t, const Dims& dims) { return dims.empty() ? t : sum(t, dims); }

// ---- batch norm ------------------------------------------------------------------------------

struct BnSaved {
  bool training;
  double eps;
  Tensor mean, invstd;  // float64 (C,): batch statistics, or the running ones in eval mode
  Dims wsizes, bsizes;
};

TensorList bn_backward_raw(const Tensor& g, const Tensor& x, const Tensor& w, const BnSaved& sv,
                           bool rx, bool rw, bool rb) {
  const int64_t N = x.size(0), C = x.size(1), S = N * C > 0 ? x.numel() / (N * C) : 0;
  const Tensor gc = contiguous(g), xc = contiguous(x), wc = contiguous_values(w);
  const double* mean = sv.mean.data<double>();
  const double* inv = sv.invstd.data<double>();
  Tensor gx, gw, gb;
  dispatch_floating(x.dtype(), "batch_norm", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const auto& k = cpu::norm_kernels<T>();
    const T* wp = wc.data_or_null<T>();
    std::vector<double> sg(C, 0.0), sgx(C, 0.0);
    if (rw || rb || (rx && sv.training))
      k.bn_backward_reduce(gc.data<T>(), xc.data<T>(), N, C, S, mean, sg.data(), sgx.data());
    if (rx) {
      const double cnt = static_cast<double>(N * S);
      std::vector<double> k1(C), k2(C, 0.0), k3(C, 0.0);
      for (int64_t c = 0; c < C; ++c) {
        const double wk = (wp ? static_cast<double>(wp[c]) : 1.0) * inv[c];
        k1[c] = wk;
        if (sv.training) {
          k2[c] = -wk * inv[c] * inv[c] * sgx[c] / cnt;
          k3[c] = -wk * sg[c] / cnt;
        }
      }
      gx = Tensor::empty(x.sizes(), x.dtype());
      k.bn_backward_apply(gc.data<T>(), xc.data<T>(), gx.data<T>(), N, C, S, mean, k1.data(),
                          k2.data(), k3.data());
    }
    if (rw) {
      gw = Tensor::empty(sv.wsizes, x.dtype());
      for (int64_t c = 0; c < C; ++c) gw.data<T>()[c] = static_cast<T>(sgx[c] * inv[c]);
    }
    if (rb) {
      gb = Tensor::empty(sv.bsizes, x.dtype());
      for (int64_t c = 0; c < C; ++c) gb.data<T>()[c] = static_cast<T>(sg[c]);
    }
  });
  return {gx, gw, gb};
}

TensorList bn_backward_graph(const Tensor& g, const Tensor& x, const Tensor& w, const BnSaved& sv,
                             bool rx, bool rw, bool rb) {
  const Dims dims = dims_except(x.dim(), 1);
  Dims bshape(x.dim(), 1);
  bshape[1] = x.size(1);
  Tensor xhat, invstd;
  if (sv.training) {
    std::tie(xhat, invstd) = normalize_graph(x, dims, sv.eps);
  } else {
    invstd = reshape(to_dtype(sv.invstd, x.dtype()), bshape);
    xhat = mul(sub(x, reshape(to_dtype(sv.mean, x.dtype()), bshape)), invstd);
  }
  Tensor gx, gw, gb;
  if (rx) {
    const Tensor gxhat = w.defined() ? mul(g, reshape(w, bshape)) : g;
    gx = sv.training ? normalize_backward_graph(gxhat, xhat, invstd, dims) : mul(gxhat, invstd);
  }
  if (rw) gw = reshape(sum(mul(g, xhat), dims), sv.wsizes);
  if (rb) gb = reshape(sum(g, dims), sv.bsizes);
  return {gx, gw, gb};
}

// ---- layer norm / group norm -----------------------------------------------------------------

struct RowSaved {
  double eps;
  Tensor mean, rstd;  // float64, one per normalized row
  Dims wsizes, bsizes;
};

}  // namespace

Tensor batch_norm(const Tensor& input, const Tensor& running_mean, const Tensor& running_var,
                  const Tensor& weight, const Tensor& bias, bool training, double momentum,
                  double eps) {
  const char* op = "batch_norm";
  AXONITE_CHECK(input.dim() >= 2, ValueError, op,
                ": expected an input of shape (N, C, *) with at least 2 dims, got shape ",
                shape_str(input.sizes()));
  check_input(input, op);
  const DType dt = input.dtype();
  const int64_t N = input.size(0), C = input.size(1);
  int64_t S = 1;
  for (int i = 2; i < input.dim(); ++i) S *= input.sizes()[i];
  check_param(running_mean, "running_mean", C, dt, op);
  check_param(running_var, "running_var", C, dt, op);
  check_param(weight, "weight", C, dt, op);
  check_param(bias, "bias", C, dt, op);
  if (training) {
    AXONITE_CHECK(N * S != 1, ValueError, op,
                  ": Expected more than 1 value per channel when training, got input size ",
                  shape_str(input.sizes()));
  } else {
    AXONITE_CHECK(running_mean.defined() && running_var.defined(), RuntimeError,
                  "batch_norm: running_mean and running_var must be defined in evaluation mode");
  }
  BnSaved sv{training,
             eps,
             f64(C),
             f64(C),
             weight.defined() ? weight.sizes() : Dims(),
             bias.defined() ? bias.sizes() : Dims()};
  const Tensor x = contiguous(input.detach()), wc = contiguous_values(weight),
               bc = contiguous_values(bias);
  Tensor y = Tensor::empty(input.sizes(), dt);
  double* mean = sv.mean.data<double>();
  double* inv = sv.invstd.data<double>();
  dispatch_floating(dt, op, [&](auto tag) {
    using T = typename decltype(tag)::type;
    const auto& k = cpu::norm_kernels<T>();
    if (training) {
      std::vector<double> var(C);
      k.bn_stats(x.data<T>(), N, C, S, mean, var.data());
      for (int64_t c = 0; c < C; ++c) inv[c] = 1.0 / std::sqrt(var[c] + eps);
      // Running statistics track the unbiased variance, as in PyTorch.
      const double cnt = static_cast<double>(N * S), unbias = cnt / (cnt - 1.0);
      // An empty batch has no statistics: the running ones stay as they are (as in PyTorch).
      if (running_mean.defined() && cnt > 0) {
        T* rm = running_mean.data<T>();
        const int64_t st = running_mean.numel() > 1 ? running_mean.strides()[0] : 0;
        for (int64_t c = 0; c < C; ++c)
          rm[c * st] = static_cast<T>((1.0 - momentum) * rm[c * st] + momentum * mean[c]);
        running_mean.bump_version();
      }
      if (running_var.defined() && cnt > 0) {
        T* rv = running_var.data<T>();
        const int64_t st = running_var.numel() > 1 ? running_var.strides()[0] : 0;
        for (int64_t c = 0; c < C; ++c)
          rv[c * st] = static_cast<T>((1.0 - momentum) * rv[c * st] + momentum * var[c] * unbias);
        running_var.bump_version();
      }
    } else {
      const Tensor rm = contiguous_values(running_mean), rv = contiguous_values(running_var);
      for (int64_t c = 0; c < C; ++c) {
        mean[c] = static_cast<double>(rm.data<T>()[c]);
        inv[c] = 1.0 / std::sqrt(static_cast<double>(rv.data<T>()[c]) + eps);
      }
    }
    const T* wp = wc.data_or_null<T>();
    const T* bp = bc.data_or_null<T>();
    std::vector<double> scale(C), shift(C);
    for (int64_t c = 0; c < C; ++c) {
      scale[c] = inv[c] * (wp ? static_cast<double>(wp[c]) : 1.0);
      shift[c] = bp ? static_cast<double>(bp[c]) : 0.0;
    }
    k.bn_apply(x.data<T>(), y.data<T>(), N, C, S, mean, scale.data(), shift.data());
  });
  if (autograd::any_needs_grad({input, weight, bias})) {
    const bool rx = input.requires_grad(), rw = weight.defined() && weight.requires_grad();
    const bool rb = bias.defined() && bias.requires_grad();
    autograd::SavedTensor sx(input, false), sw(weight, false);
    autograd::record("NativeBatchNormBackward0", {input, weight, bias}, y, [=](const Tensor& g) {
      const Tensor xs = sx.unpack(), ws = sw.unpack();
      return autograd::grad_enabled() ? bn_backward_graph(g, xs, ws, sv, rx, rw, rb)
                                      : bn_backward_raw(g, xs, ws, sv, rx, rw, rb);
    });
  }
  return y;
}

Tensor layer_norm(const Tensor& input, const Dims& normalized_shape, const Tensor& weight,
                  const Tensor& bias, double eps) {
  const char* op = "layer_norm";
  check_input(input, op);
  const int D = normalized_shape.size(), nd = input.dim();
  bool match = D >= 1 && nd >= D;
  for (int i = 0; match && i < D; ++i) match = input.sizes()[nd - D + i] == normalized_shape[i];
  AXONITE_CHECK(
      match, RuntimeError, "layer_norm: Given normalized_shape=", shape_str(normalized_shape),
      ", expected input with shape [*",
      [&] {
        std::string t;
        for (int64_t v : normalized_shape) t += ", " + std::to_string(v);
        return t;
      }(),
      "], but got input of size", shape_str(input.sizes()));
  AXONITE_CHECK(!weight.defined() || weight.sizes() == normalized_shape, RuntimeError,
                "layer_norm: Expected weight to be of same shape as normalized_shape, but got "
                "weight of shape ",
                shape_str(weight.defined() ? weight.sizes() : Dims()),
                " and normalized_shape = ", shape_str(normalized_shape));
  AXONITE_CHECK(!bias.defined() || bias.sizes() == normalized_shape, RuntimeError,
                "layer_norm: Expected bias to be of same shape as normalized_shape, but got "
                "bias of shape ",
                shape_str(bias.defined() ? bias.sizes() : Dims()),
                " and normalized_shape = ", shape_str(normalized_shape));
  const DType dt = input.dtype();
  const int64_t K = numel_of(normalized_shape);
  check_param(weight, "weight", K, dt, op);
  check_param(bias, "bias", K, dt, op);
  int64_t M = 1;
  for (int i = 0; i < nd - D; ++i) M *= input.sizes()[i];
  RowSaved sv{eps, f64(M), f64(M), weight.defined() ? weight.sizes() : Dims(),
              bias.defined() ? bias.sizes() : Dims()};
  const Tensor x = contiguous(input.detach()), wc = contiguous_values(weight),
               bc = contiguous_values(bias);
  Tensor y = Tensor::empty(input.sizes(), dt);
  dispatch_floating(dt, op, [&](auto tag) {
    using T = typename decltype(tag)::type;
    cpu::norm_kernels<T>().ln_forward(x.data<T>(), y.data<T>(), M, K, wc.data_or_null<T>(),
                                      bc.data_or_null<T>(), eps, sv.mean.data<double>(),
                                      sv.rstd.data<double>());
  });
  if (autograd::any_needs_grad({input, weight, bias})) {
    const bool rx = input.requires_grad(), rw = weight.defined() && weight.requires_grad();
    const bool rb = bias.defined() && bias.requires_grad();
    autograd::SavedTensor sx(input, false), sw(weight, false);
    autograd::record(
        "NativeLayerNormBackward0", {input, weight, bias}, y, [=](const Tensor& g) -> TensorList {
          const Tensor xs = sx.unpack(), ws = sw.unpack();
          Dims lead, red;
          for (int i = 0; i < nd; ++i) (i < nd - D ? lead : red).push_back(i);
          if (autograd::grad_enabled()) {
            const auto [xhat, invstd] = normalize_graph(xs, red, sv.eps);
            Tensor gx, gw, gb;
            if (rx) {
              gx = normalize_backward_graph(ws.defined() ? mul(g, ws) : g, xhat, invstd, red);
            }
            if (rw) gw = sum_over(mul(g, xhat), lead);
            if (rb) gb = sum_over(g, lead);
            return {gx, gw, gb};
          }
          const Tensor gc = contiguous(g), xc = contiguous(xs), wc2 = contiguous_values(ws);
          Tensor gx = rx ? Tensor::empty(xs.sizes(), xs.dtype()) : Tensor();
          Tensor gw = rw ? Tensor::empty(sv.wsizes, xs.dtype()) : Tensor();
          Tensor gb = rb ? Tensor::empty(sv.bsizes, xs.dtype()) : Tensor();
          dispatch_floating(xs.dtype(), "layer_norm", [&](auto tag) {
            using T = typename decltype(tag)::type;
            cpu::norm_kernels<T>().ln_backward(gc.data<T>(), xc.data<T>(), sv.mean.data<double>(),
                                               sv.rstd.data<double>(), wc2.data_or_null<T>(), M, K,
                                               gx.data_or_null<T>(), gw.data_or_null<T>(),
                                               gb.data_or_null<T>());
          });
          return {gx, gw, gb};
        });
  }
  return y;
}

Tensor group_norm(const Tensor& input, int64_t num_groups, const Tensor& weight, const Tensor& bias,
                  double eps) {
  const char* op = "group_norm";
  check_input(input, op);
  AXONITE_CHECK(input.dim() >= 2, RuntimeError, op,
                ": expected an input of shape (N, C, *) with at least 2 dims, got shape ",
                shape_str(input.sizes()));
  AXONITE_CHECK(num_groups > 0, ValueError, op, ": num_groups must be positive, got ", num_groups);
  const int64_t N = input.size(0), C = input.size(1), G = num_groups;
  AXONITE_CHECK(C % G == 0, RuntimeError,
                "group_norm: Expected number of channels in input to be divisible by "
                "num_groups, but got input of shape ",
                shape_str(input.sizes()), " and num_groups=", G);
  for (const Tensor* t : {&weight, &bias}) {
    AXONITE_CHECK(!t->defined() || (t->dim() == 1 && t->numel() == C), RuntimeError,
                  "group_norm: Expected ", t == &weight ? "weight" : "bias",
                  " to be a vector of size equal to the number of channels in input, but got ",
                  t == &weight ? "weight" : "bias", " of shape ",
                  shape_str(t->defined() ? t->sizes() : Dims()), " and input of shape ",
                  shape_str(input.sizes()));
  }
  const DType dt = input.dtype();
  check_param(weight, "weight", C, dt, op);
  check_param(bias, "bias", C, dt, op);
  int64_t S = 1;
  for (int i = 2; i < input.dim(); ++i) S *= input.sizes()[i];
  RowSaved sv{eps, f64(N * G), f64(N * G), weight.defined() ? weight.sizes() : Dims(),
              bias.defined() ? bias.sizes() : Dims()};
  const Tensor x = contiguous(input.detach()), wc = contiguous_values(weight),
               bc = contiguous_values(bias);
  Tensor y = Tensor::empty(input.sizes(), dt);
  dispatch_floating(dt, op, [&](auto tag) {
    using T = typename decltype(tag)::type;
    cpu::norm_kernels<T>().gn_forward(x.data<T>(), y.data<T>(), N, C, S, G, wc.data_or_null<T>(),
                                      bc.data_or_null<T>(), eps, sv.mean.data<double>(),
                                      sv.rstd.data<double>());
  });
  if (autograd::any_needs_grad({input, weight, bias})) {
    const bool rx = input.requires_grad(), rw = weight.defined() && weight.requires_grad();
    const bool rb = bias.defined() && bias.requires_grad();
    autograd::SavedTensor sx(input, false), sw(weight, false);
    autograd::record(
        "NativeGroupNormBackward0", {input, weight, bias}, y, [=](const Tensor& g) -> TensorList {
          const Tensor xs = sx.unpack(), ws = sw.unpack();
          if (autograd::grad_enabled()) {
            const Dims dims = dims_except(xs.dim(), 1), rows{N, G, -1};
            Dims bshape(xs.dim(), 1);
            bshape[1] = C;
            const auto [xhat_r, invstd] = normalize_graph(reshape(xs, rows), Dims{2}, sv.eps);
            const Tensor xhat = reshape(xhat_r, xs.sizes());
            Tensor gx, gw, gb;
            if (rx) {
              const Tensor gxhat = ws.defined() ? mul(g, reshape(ws, bshape)) : g;
              gx = reshape(normalize_backward_graph(reshape(gxhat, rows), xhat_r, invstd, Dims{2}),
                           xs.sizes());
            }
            if (rw) gw = sum(mul(g, xhat), dims);
            if (rb) gb = sum(g, dims);
            return {gx, gw, gb};
          }
          const Tensor gc = contiguous(g), xc = contiguous(xs), wc2 = contiguous_values(ws);
          Tensor gx = rx ? Tensor::empty(xs.sizes(), xs.dtype()) : Tensor();
          Tensor gw = rw ? Tensor::empty(sv.wsizes, xs.dtype()) : Tensor();
          Tensor gb = rb ? Tensor::empty(sv.bsizes, xs.dtype()) : Tensor();
          dispatch_floating(xs.dtype(), "group_norm", [&](auto tag) {
            using T = typename decltype(tag)::type;
            cpu::norm_kernels<T>().gn_backward(gc.data<T>(), xc.data<T>(), sv.mean.data<double>(),
                                               sv.rstd.data<double>(), wc2.data_or_null<T>(), N, C,
                                               S, G, gx.data_or_null<T>(), gw.data_or_null<T>(),
                                               gb.data_or_null<T>());
          });
          return {gx, gw, gb};
        });
  }
  return y;
}

}  // namespace ax
