// Fused optimizer steps and gradient clipping: argument checks, step counters and per-tensor
// bias corrections (scalar math in double, as PyTorch does in Python), then one multi-tensor
// kernel call per dtype (kernels/cpu/optim.cpp). The update formulas live in optim_impl.h.
#include "axonite/ops/optim.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <string>
#include <vector>

#include "axonite/kernels/optim.h"
#include "axonite/ops/creation.h"
#include "axonite/ops/elementwise.h"

namespace ax {
namespace {

// A parameter group seen as raw pointers. Checks every list against the params (count, shape,
// dtype), orders the tensors by dtype so each dtype is one kernel call, and stands in
// contiguous copies for strided tensors (copied back by finish()).
class Group {
 public:
  // `what` names the tensors in messages ("param", "grad"); written: updated in place.
  Group(const char* op, const TensorList& params, bool written = true, const char* what = "param")
      : op_(op) {
    const int64_t n = static_cast<int64_t>(params.size());
    for (int64_t i = 0; i < n; ++i) {
      AXONITE_CHECK(params[i].defined(), TypeError, op, ": ", what, " ", i, " is None");
      AXONITE_CHECK(is_floating(params[i].dtype()), TypeError, op, ": ", what, " ", i,
                    " has dtype ", dtype_name(params[i].dtype()), ", expected float32 or float64");
    }
    // Stable order by dtype: float32 tensors first, then float64.
    for (int64_t i = 0; i < n; ++i)
      if (params[i].dtype() == DType::Float32) order_.push_back(i);
    for (int64_t i = 0; i < n; ++i)
      if (params[i].dtype() == DType::Float64) order_.push_back(i);
    for (int64_t i : order_) numel_.push_back(params[i].numel());
    params_ = params;
    add(what, params, written);
  }

  // Adds a slot: one tensor per param with its shape and dtype (`written`: updated in place).
  void add(const char* name, const TensorList& ts, bool written) {
    AXONITE_CHECK(ts.size() == params_.size(), ValueError, op_, ": got ", ts.size(), " ", name,
                  " tensors for ", params_.size(), " params");
    std::vector<void*> ptrs(order_.size(), nullptr);
    for (size_t k = 0; k < order_.size(); ++k) {
      const int64_t i = order_[k];
      const Tensor& t = ts[i];
      const Tensor& p = params_[i];
      AXONITE_CHECK(t.defined(), TypeError, op_, ": ", name, " of param ", i, " is None");
      AXONITE_CHECK(t.sizes() == p.sizes() && t.dtype() == p.dtype(), RuntimeError, op_, ": ", name,
                    " of param ", i, " has shape ", shape_str(t.sizes()), " and dtype ",
                    dtype_name(t.dtype()), ", expected shape ", shape_str(p.sizes()), " and dtype ",
                    dtype_name(p.dtype()));
      Tensor c = t;
      if (!t.is_contiguous()) {
        c = contiguous(t.detach());
        if (written) writeback_.emplace_back(t, c);
      } else if (written) {
        written_.push_back(t);
      }
      ptrs[k] = c.raw_data();
      keep_.push_back(c);
    }
    slots_.push_back(std::move(ptrs));
  }
  // Adds a slot of null pointers: state of an option that is off.
  void add_off() { slots_.emplace_back(order_.size(), nullptr); }

  void* const* slot(int s, int64_t off) const { return slots_[s].data() + off; }
  // Position k in kernel order holds param order(k).
  int64_t order(size_t k) const { return order_[k]; }
  size_t size() const { return order_.size(); }

  // Calls f(mt, off) once per dtype present; off indexes the slot and per-tensor arrays.
  template <class F>
  void for_each_dtype(const F& f) const {
    size_t b = 0;
    while (b < order_.size()) {
      const DType dt = params_[order_[b]].dtype();
      size_t e = b;
      while (e < order_.size() && params_[order_[e]].dtype() == dt) ++e;
      cpu::MultiTensor mt;
      mt.count = static_cast<int64_t>(e - b);
      mt.numel = numel_.data() + b;
      mt.dtype = dt;
      f(mt, static_cast<int64_t>(b));
      b = e;
    }
  }

  void finish() const {
    for (const Tensor& t : written_) t.bump_version();
    for (const auto& [orig, copy] : writeback_) copy_(orig.detach(), copy);
  }

 private:
  const char* op_;
  TensorList params_;
  std::vector<int64_t> order_, numel_;
  std::vector<std::vector<void*>> slots_;
  TensorList keep_, written_;
  std::vector<std::pair<Tensor, Tensor>> writeback_;
};

// Adds 1 to a 0-d step counter in its own dtype (PyTorch keeps `step` as a float32 tensor, so
// the count is rounded as there) and returns the new value.
double bump_step(const char* op, const Tensor& s, int64_t i) {
  AXONITE_CHECK(s.defined() && s.numel() == 1 && s.dtype() != DType::Bool, TypeError, op,
                ": step of param ", i, " must be a one-element number tensor");
  const double v = dispatch(s.dtype(), [&](auto tag) -> double {
    using T = typename decltype(tag)::type;
    T* p = s.data<T>();
    *p = static_cast<T>(*p + T(1));
    return static_cast<double>(*p);
  });
  s.bump_version();
  return v;
}

void check_steps(const char* op, const TensorList& steps, const TensorList& params) {
  AXONITE_CHECK(steps.size() == params.size(), ValueError, op, ": got ", steps.size(),
                " step tensors for ", params.size(), " params");
}

}  // namespace

TensorList sgd_step(const TensorList& params, const TensorList& grads,
                    const TensorList& momentum_buffers, const SgdOptions& o) {
  const char* op = "sgd_step";
  TensorList bufs;
  std::vector<uint8_t> fresh(params.size(), 0);
  if (o.momentum != 0) {
    AXONITE_CHECK(momentum_buffers.size() == params.size(), ValueError, op, ": got ",
                  momentum_buffers.size(), " momentum buffers for ", params.size(), " params");
    bufs = momentum_buffers;
    for (size_t i = 0; i < bufs.size(); ++i) {
      if (!bufs[i].defined() && params[i].defined()) {
        bufs[i] = zeros(params[i].sizes(), params[i].dtype());  // overwritten: fresh
        fresh[i] = 1;
      }
    }
  }
  Group g(op, params);
  g.add("grad", grads, false);
  if (o.momentum != 0)
    g.add("momentum_buffer", bufs, true);
  else
    g.add_off();
  std::vector<uint8_t> fresh_k(g.size());
  for (size_t k = 0; k < g.size(); ++k) fresh_k[k] = fresh[g.order(k)];
  g.for_each_dtype([&](const cpu::MultiTensor& mt, int64_t off) {
    cpu::SgdArgs a{g.slot(0, off),
                   g.slot(1, off),
                   o.momentum != 0 ? g.slot(2, off) : nullptr,
                   fresh_k.data() + off,
                   o.lr,
                   o.momentum,
                   o.dampening,
                   o.weight_decay,
                   o.nesterov,
                   o.maximize};
    cpu::sgd_update(mt, a);
  });
  g.finish();
  return bufs;
}

void adam_step(const TensorList& params, const TensorList& grads, const TensorList& exp_avgs,
               const TensorList& exp_avg_sqs, const TensorList& max_exp_avg_sqs,
               const TensorList& steps, const AdamOptions& o) {
  const char* op = o.decoupled_weight_decay ? "adamw_step" : "adam_step";
  Group g(op, params);
  g.add("grad", grads, false);
  g.add("exp_avg", exp_avgs, true);
  g.add("exp_avg_sq", exp_avg_sqs, true);
  if (o.amsgrad)
    g.add("max_exp_avg_sq", max_exp_avg_sqs, true);
  else
    g.add_off();
  check_steps(op, steps, params);
  std::vector<double> step_size(g.size()), bc2_sqrt(g.size());
  for (size_t k = 0; k < g.size(); ++k) {
    const double step = bump_step(op, steps[g.order(k)], g.order(k));
    // Same expressions as torch.optim.adam in Python doubles (x ** 0.5 is pow, not sqrt).
    step_size[k] = o.lr / (1 - std::pow(o.beta1, step));
    bc2_sqrt[k] = std::pow(1 - std::pow(o.beta2, step), 0.5);
  }
  g.for_each_dtype([&](const cpu::MultiTensor& mt, int64_t off) {
    cpu::AdamArgs a{g.slot(0, off),
                    g.slot(1, off),
                    g.slot(2, off),
                    g.slot(3, off),
                    o.amsgrad ? g.slot(4, off) : nullptr,
                    step_size.data() + off,
                    bc2_sqrt.data() + off,
                    o.lr,
                    o.beta1,
                    o.beta2,
                    o.eps,
                    o.weight_decay,
                    o.amsgrad,
                    o.maximize,
                    o.decoupled_weight_decay};
    cpu::adam_update(mt, a);
  });
  g.finish();
}

void nadam_step(const TensorList& params, const TensorList& grads, const TensorList& exp_avgs,
                const TensorList& exp_avg_sqs, const TensorList& mu_products,
                const TensorList& steps, const NadamOptions& o) {
  const char* op = "nadam_step";
  Group g(op, params);
  g.add("grad", grads, false);
  g.add("exp_avg", exp_avgs, true);
  g.add("exp_avg_sq", exp_avg_sqs, true);
  check_steps(op, steps, params);
  AXONITE_CHECK(mu_products.size() == params.size(), ValueError, op, ": got ", mu_products.size(),
                " mu_product tensors for ", params.size(), " params");
  std::vector<double> cg(g.size()), cm(g.size()), bc2(g.size());
  for (size_t k = 0; k < g.size(); ++k) {
    const int64_t i = g.order(k);
    const double step = bump_step(op, steps[i], i);
    bc2[k] = 1 - std::pow(o.beta2, step);
    const double mu = o.beta1 * (1.0 - 0.5 * std::pow(0.96, step * o.momentum_decay));
    const double mu_next = o.beta1 * (1.0 - 0.5 * std::pow(0.96, (step + 1) * o.momentum_decay));
    // mu_product is a tensor in PyTorch: `mu_product *= mu` rounds to its dtype.
    const Tensor& mp = mu_products[i];
    AXONITE_CHECK(mp.defined() && mp.numel() == 1 && is_floating(mp.dtype()), TypeError, op,
                  ": mu_product of param ", i, " must be a one-element float tensor");
    double prod;
    if (mp.dtype() == DType::Float32) {
      float* p = mp.data<float>();
      *p = *p * static_cast<float>(mu);
      prod = *p;
    } else {
      double* p = mp.data<double>();
      *p = *p * mu;
      prod = *p;
    }
    mp.bump_version();
    cg[k] = -o.lr * (1.0 - mu) / (1.0 - prod);
    cm[k] = (-o.lr * mu_next) / (1.0 - prod * mu_next);
  }
  g.for_each_dtype([&](const cpu::MultiTensor& mt, int64_t off) {
    cpu::NadamArgs a{g.slot(0, off),
                     g.slot(1, off),
                     g.slot(2, off),
                     g.slot(3, off),
                     cg.data() + off,
                     cm.data() + off,
                     bc2.data() + off,
                     o.lr,
                     o.beta1,
                     o.beta2,
                     o.eps,
                     o.weight_decay,
                     o.maximize,
                     o.decoupled_weight_decay};
    cpu::nadam_update(mt, a);
  });
  g.finish();
}

void adagrad_step(const TensorList& params, const TensorList& grads, const TensorList& sums,
                  const TensorList& steps, const AdagradOptions& o) {
  const char* op = "adagrad_step";
  Group g(op, params);
  g.add("grad", grads, false);
  g.add("sum", sums, true);
  check_steps(op, steps, params);
  std::vector<double> clr(g.size());
  for (size_t k = 0; k < g.size(); ++k) {
    const double step = bump_step(op, steps[g.order(k)], g.order(k));
    clr[k] = o.lr / (1 + (step - 1) * o.lr_decay);
  }
  g.for_each_dtype([&](const cpu::MultiTensor& mt, int64_t off) {
    cpu::AdagradArgs a{g.slot(0, off), g.slot(1, off), g.slot(2, off), clr.data() + off,
                       o.eps,          o.weight_decay, o.maximize};
    cpu::adagrad_update(mt, a);
  });
  g.finish();
}

void rmsprop_step(const TensorList& params, const TensorList& grads, const TensorList& square_avgs,
                  const TensorList& grad_avgs, const TensorList& momentum_buffers,
                  const TensorList& steps, const RmspropOptions& o) {
  const char* op = "rmsprop_step";
  Group g(op, params);
  g.add("grad", grads, false);
  g.add("square_avg", square_avgs, true);
  if (o.centered)
    g.add("grad_avg", grad_avgs, true);
  else
    g.add_off();
  if (o.momentum > 0)
    g.add("momentum_buffer", momentum_buffers, true);
  else
    g.add_off();
  check_steps(op, steps, params);
  for (size_t k = 0; k < g.size(); ++k) bump_step(op, steps[g.order(k)], g.order(k));
  g.for_each_dtype([&](const cpu::MultiTensor& mt, int64_t off) {
    cpu::RmspropArgs a{g.slot(0, off),
                       g.slot(1, off),
                       g.slot(2, off),
                       o.centered ? g.slot(3, off) : nullptr,
                       o.momentum > 0 ? g.slot(4, off) : nullptr,
                       o.lr,
                       o.alpha,
                       o.eps,
                       o.weight_decay,
                       o.momentum,
                       o.centered,
                       o.maximize};
    cpu::rmsprop_update(mt, a);
  });
  g.finish();
}

void adadelta_step(const TensorList& params, const TensorList& grads, const TensorList& square_avgs,
                   const TensorList& acc_deltas, const TensorList& steps,
                   const AdadeltaOptions& o) {
  const char* op = "adadelta_step";
  Group g(op, params);
  g.add("grad", grads, false);
  g.add("square_avg", square_avgs, true);
  g.add("acc_delta", acc_deltas, true);
  check_steps(op, steps, params);
  for (size_t k = 0; k < g.size(); ++k) bump_step(op, steps[g.order(k)], g.order(k));
  g.for_each_dtype([&](const cpu::MultiTensor& mt, int64_t off) {
    cpu::AdadeltaArgs a{g.slot(0, off), g.slot(1, off), g.slot(2, off), g.slot(3, off), o.lr,
                        o.rho,          o.eps,          o.weight_decay, o.maximize};
    cpu::adadelta_update(mt, a);
  });
  g.finish();
}

namespace {

// Python's str() of a float, for PyTorch's message ("2.0", "inf", "0.5").
std::string py_float(double v) {
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  if (std::isnan(v)) return "nan";
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  std::string out(buf, r.ptr);
  if (out.find_first_of(".e") == std::string::npos) out += ".0";
  return out;
}

template <class T>
double round_to(double v) {
  return static_cast<double>(static_cast<T>(v));
}

}  // namespace

Tensor get_total_norm(const TensorList& tensors, double norm_type, bool error_if_nonfinite) {
  const char* op = "get_total_norm";
  if (tensors.empty()) return scalar_tensor(0.0, kDefaultFloat);
  Group g(op, tensors, false, "tensor");
  // Per-tensor norms, rounded to each tensor's dtype (PyTorch computes them as tensors).
  std::vector<double> norms(g.size());
  bool any_f64 = false;
  g.for_each_dtype([&](const cpu::MultiTensor& mt, int64_t off) {
    cpu::tensor_norms(mt, g.slot(0, off), norm_type, norms.data() + off);
    any_f64 |= mt.dtype == DType::Float64;
    for (int64_t k = off; k < off + mt.count; ++k)
      norms[k] = mt.dtype == DType::Float64 ? norms[k] : round_to<float>(norms[k]);
  });
  // Then the norm of the stacked norms, in the promoted dtype.
  const DType rt = any_f64 ? DType::Float64 : DType::Float32;
  Tensor out = empty(Dims{}, rt);
  const int64_t count = static_cast<int64_t>(norms.size());
  cpu::MultiTensor mt;
  mt.count = 1;
  mt.numel = &count;
  mt.dtype = rt;
  double total = 0;
  if (rt == DType::Float64) {
    const void* x[1] = {norms.data()};
    cpu::tensor_norms(mt, x, norm_type, &total);
    *out.data<double>() = total;
  } else {
    std::vector<float> nf(norms.begin(), norms.end());
    const void* x[1] = {nf.data()};
    cpu::tensor_norms(mt, x, norm_type, &total);
    *out.data<float>() = static_cast<float>(total);
  }
  AXONITE_CHECK(!error_if_nonfinite || std::isfinite(total), RuntimeError,
                "The total norm of order ", py_float(norm_type),
                " for gradients from `parameters` is non-finite, so it cannot be clipped. To "
                "disable this error and scale the gradients by the non-finite norm anyway, set "
                "`error_if_nonfinite=False`");
  return out;
}

void clip_grads_with_norm_(const TensorList& grads, double max_norm, const Tensor& total_norm) {
  const char* op = "clip_grads_with_norm_";
  if (grads.empty()) return;
  AXONITE_CHECK(total_norm.defined() && total_norm.numel() == 1, ValueError, op,
                ": total_norm must be a one-element tensor");
  // PyTorch: clamp(max_norm / (total_norm + 1e-6), max=1) in total_norm's dtype, where
  // `number / tensor` is reciprocal() * number.
  const double t = total_norm.item();
  double coef;
  if (total_norm.dtype() == DType::Float64) {
    coef = (1.0 / (t + 1e-6)) * max_norm;
  } else {
    const float r = 1.0f / (static_cast<float>(t) + static_cast<float>(1e-6));
    coef = r * static_cast<float>(max_norm);
  }
  if (!std::isnan(coef)) coef = std::min(coef, 1.0);
  Group g(op, grads, true, "grad");
  g.for_each_dtype(
      [&](const cpu::MultiTensor& mt, int64_t off) { cpu::scale_(mt, g.slot(0, off), coef); });
  g.finish();
}

Tensor clip_grad_norm_(const TensorList& grads, double max_norm, double norm_type,
                       bool error_if_nonfinite) {
  Tensor total = get_total_norm(grads, norm_type, error_if_nonfinite);
  clip_grads_with_norm_(grads, max_norm, total);
  return total;
}

void clip_grad_value_(const TensorList& grads, double clip_value) {
  Group g("clip_grad_value_", grads, true, "grad");
  g.for_each_dtype([&](const cpu::MultiTensor& mt, int64_t off) {
    cpu::clamp_(mt, g.slot(0, off), -clip_value, clip_value);
  });
  g.finish();
}

}  // namespace ax
