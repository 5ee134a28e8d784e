// Bindings of the fused optimizer steps and gradient clipping on axonite._C._nn; the Python
// optimizers (axonite.optim) and axonite.nn.utils.clip_grad call these once per group.
#include <optional>

#include "bindings/common.h"

namespace axb {
namespace {

using ax::TensorList;

int64_t total_numel(const TensorList& ts) {
  int64_t n = 0;
  for (const Tensor& t : ts) n += t.defined() ? t.numel() : 0;
  return n;
}

}  // namespace

void register_optim(py::module_& m, py::module_& nn, Class& cls) {
  (void)m;
  (void)cls;
  nn.def(
      "sgd_step",
      [](const TensorList& params, const TensorList& grads,
         const std::vector<std::optional<Tensor>>& momentum_buffers, double lr, double momentum,
         double dampening, double weight_decay, bool nesterov, bool maximize) {
        TensorList bufs;
        bufs.reserve(momentum_buffers.size());
        for (const auto& b : momentum_buffers) bufs.push_back(b ? *b : Tensor());
        ax::SgdOptions o{lr, momentum, dampening, weight_decay, nesterov, maximize};
        return maybe_release(total_numel(params),
                             [&] { return ax::sgd_step(params, grads, bufs, o); });
      },
      "params"_a, "grads"_a, "momentum_buffers"_a, py::kw_only(), "lr"_a, "momentum"_a,
      "dampening"_a, "weight_decay"_a, "nesterov"_a, "maximize"_a,
      "One SGD step over a parameter group, in place. momentum_buffers entries may be None "
      "(started from the first update direction); returns the buffers.");
  nn.def(
      "adam_step",
      [](const TensorList& params, const TensorList& grads, const TensorList& exp_avgs,
         const TensorList& exp_avg_sqs, const TensorList& max_exp_avg_sqs, const TensorList& steps,
         double lr, double beta1, double beta2, double eps, double weight_decay, bool amsgrad,
         bool maximize, bool decoupled_weight_decay) {
        ax::AdamOptions o{lr,           beta1,   beta2,    eps,
                          weight_decay, amsgrad, maximize, decoupled_weight_decay};
        maybe_release(total_numel(params), [&] {
          ax::adam_step(params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, steps, o);
        });
      },
      "params"_a, "grads"_a, "exp_avgs"_a, "exp_avg_sqs"_a, "max_exp_avg_sqs"_a, "steps"_a,
      py::kw_only(), "lr"_a, "beta1"_a, "beta2"_a, "eps"_a, "weight_decay"_a, "amsgrad"_a,
      "maximize"_a, "decoupled_weight_decay"_a,
      "One Adam/AdamW step over a parameter group, in place (steps are incremented).");
  nn.def(
      "nadam_step",
      [](const TensorList& params, const TensorList& grads, const TensorList& exp_avgs,
         const TensorList& exp_avg_sqs, const TensorList& mu_products, const TensorList& steps,
         double lr, double beta1, double beta2, double eps, double weight_decay,
         double momentum_decay, bool maximize, bool decoupled_weight_decay) {
        ax::NadamOptions o{lr,           beta1,          beta2,    eps,
                           weight_decay, momentum_decay, maximize, decoupled_weight_decay};
        maybe_release(total_numel(params), [&] {
          ax::nadam_step(params, grads, exp_avgs, exp_avg_sqs, mu_products, steps, o);
        });
      },
      "params"_a, "grads"_a, "exp_avgs"_a, "exp_avg_sqs"_a, "mu_products"_a, "steps"_a,
      py::kw_only(), "lr"_a, "beta1"_a, "beta2"_a, "eps"_a, "weight_decay"_a, "momentum_decay"_a,
      "maximize"_a, "decoupled_weight_decay"_a, "One NAdam step over a parameter group, in place.");
  nn.def(
      "adagrad_step",
      [](const TensorList& params, const TensorList& grads, const TensorList& sums,
         const TensorList& steps, double lr, double lr_decay, double weight_decay, double eps,
         bool maximize) {
        ax::AdagradOptions o{lr, lr_decay, weight_decay, eps, maximize};
        maybe_release(total_numel(params),
                      [&] { ax::adagrad_step(params, grads, sums, steps, o); });
      },
      "params"_a, "grads"_a, "sums"_a, "steps"_a, py::kw_only(), "lr"_a, "lr_decay"_a,
      "weight_decay"_a, "eps"_a, "maximize"_a,
      "One Adagrad step over a parameter group, in place.");
  nn.def(
      "rmsprop_step",
      [](const TensorList& params, const TensorList& grads, const TensorList& square_avgs,
         const TensorList& grad_avgs, const TensorList& momentum_buffers, const TensorList& steps,
         double lr, double alpha, double eps, double weight_decay, double momentum, bool centered,
         bool maximize) {
        ax::RmspropOptions o{lr, alpha, eps, weight_decay, momentum, centered, maximize};
        maybe_release(total_numel(params), [&] {
          ax::rmsprop_step(params, grads, square_avgs, grad_avgs, momentum_buffers, steps, o);
        });
      },
      "params"_a, "grads"_a, "square_avgs"_a, "grad_avgs"_a, "momentum_buffers"_a, "steps"_a,
      py::kw_only(), "lr"_a, "alpha"_a, "eps"_a, "weight_decay"_a, "momentum"_a, "centered"_a,
      "maximize"_a, "One RMSprop step over a parameter group, in place.");
  nn.def(
      "adadelta_step",
      [](const TensorList& params, const TensorList& grads, const TensorList& square_avgs,
         const TensorList& acc_deltas, const TensorList& steps, double lr, double rho, double eps,
         double weight_decay, bool maximize) {
        ax::AdadeltaOptions o{lr, rho, eps, weight_decay, maximize};
        maybe_release(total_numel(params),
                      [&] { ax::adadelta_step(params, grads, square_avgs, acc_deltas, steps, o); });
      },
      "params"_a, "grads"_a, "square_avgs"_a, "acc_deltas"_a, "steps"_a, py::kw_only(), "lr"_a,
      "rho"_a, "eps"_a, "weight_decay"_a, "maximize"_a,
      "One Adadelta step over a parameter group, in place.");

  nn.def(
      "get_total_norm",
      [](const TensorList& tensors, double norm_type, bool error_if_nonfinite) {
        return maybe_release(total_numel(tensors), [&] {
          return ax::get_total_norm(tensors, norm_type, error_if_nonfinite);
        });
      },
      "tensors"_a, "norm_type"_a = 2.0, "error_if_nonfinite"_a = false,
      "The p-norm of all tensors viewed as one vector (a 0-d tensor).");
  nn.def(
      "clip_grads_with_norm_",
      [](const TensorList& grads, double max_norm, const Tensor& total_norm) {
        maybe_release(total_numel(grads),
                      [&] { ax::clip_grads_with_norm_(grads, max_norm, total_norm); });
      },
      "grads"_a, "max_norm"_a, "total_norm"_a,
      "Scales grads in place by min(max_norm / (total_norm + 1e-6), 1).");
  nn.def(
      "clip_grad_norm_",
      [](const TensorList& grads, double max_norm, double norm_type, bool error_if_nonfinite) {
        return maybe_release(total_numel(grads), [&] {
          return ax::clip_grad_norm_(grads, max_norm, norm_type, error_if_nonfinite);
        });
      },
      "grads"_a, "max_norm"_a, "norm_type"_a = 2.0, "error_if_nonfinite"_a = false,
      "Clips grads in place to a total p-norm of max_norm; returns the norm before clipping.");
  nn.def(
      "clip_grad_value_",
      [](const TensorList& grads, double clip_value) {
        maybe_release(total_numel(grads), [&] { ax::clip_grad_value_(grads, clip_value); });
      },
      "grads"_a, "clip_value"_a, "Clamps grads in place to [-clip_value, clip_value].");
}

}  // namespace axb
