// Fused optimizer steps and gradient clipping over lists of tensors (one call per parameter
// group). Each step follows PyTorch's single-tensor update formulas; the Python optimizers in
// axonite.optim own the state dicts and call these once per group. Not differentiable: the
// updates run as if under no_grad and bump the version counters of what they write.
#pragma once

#include "axonite/tensor/tensor.h"

namespace ax {

struct SgdOptions {
  double lr = 1e-3, momentum = 0, dampening = 0, weight_decay = 0;
  bool nesterov = false, maximize = false;
};
// Updates params from grads. momentum_buffers: one per param when momentum != 0 (an undefined
// entry starts as a copy of the param's first update direction, as in PyTorch), else empty.
// Returns the buffers (new ones included).
TensorList sgd_step(const TensorList& params, const TensorList& grads,
                    const TensorList& momentum_buffers, const SgdOptions& o);

struct AdamOptions {
  double lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 0;
  bool amsgrad = false, maximize = false, decoupled_weight_decay = false;
};
// Adam / AdamW. steps: 0-d float tensors, incremented here; max_exp_avg_sqs empty unless
// amsgrad.
void adam_step(const TensorList& params, const TensorList& grads, const TensorList& exp_avgs,
               const TensorList& exp_avg_sqs, const TensorList& max_exp_avg_sqs,
               const TensorList& steps, const AdamOptions& o);

struct NadamOptions {
  double lr = 2e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 0, momentum_decay = 4e-3;
  bool maximize = false, decoupled_weight_decay = false;
};
// mu_products: 0-d float tensors (running product of the momentum schedule), updated here.
void nadam_step(const TensorList& params, const TensorList& grads, const TensorList& exp_avgs,
                const TensorList& exp_avg_sqs, const TensorList& mu_products,
                const TensorList& steps, const NadamOptions& o);

struct AdagradOptions {
  double lr = 1e-2, lr_decay = 0, weight_decay = 0, eps = 1e-10;
  bool maximize = false;
};
void adagrad_step(const TensorList& params, const TensorList& grads, const TensorList& sums,
                  const TensorList& steps, const AdagradOptions& o);

struct RmspropOptions {
  double lr = 1e-2, alpha = 0.99, eps = 1e-8, weight_decay = 0, momentum = 0;
  bool centered = false, maximize = false;
};
// grad_avgs empty unless centered; momentum_buffers empty unless momentum > 0.
void rmsprop_step(const TensorList& params, const TensorList& grads, const TensorList& square_avgs,
                  const TensorList& grad_avgs, const TensorList& momentum_buffers,
                  const TensorList& steps, const RmspropOptions& o);

struct AdadeltaOptions {
  double lr = 1.0, rho = 0.9, eps = 1e-6, weight_decay = 0;
  bool maximize = false;
};
void adadelta_step(const TensorList& params, const TensorList& grads, const TensorList& square_avgs,
                   const TensorList& acc_deltas, const TensorList& steps, const AdadeltaOptions& o);

// The p-norm of the concatenation of the tensors, computed as PyTorch does: the norm of the
// vector of per-tensor norms. 0-d, of the promoted dtype (float32 for an empty list).
// RuntimeError when it is not finite and error_if_nonfinite is set.
Tensor get_total_norm(const TensorList& tensors, double norm_type, bool error_if_nonfinite);
// grads *= min(max_norm / (total_norm + 1e-6), 1), in place.
void clip_grads_with_norm_(const TensorList& grads, double max_norm, const Tensor& total_norm);
// Both of the above; returns the total norm.
Tensor clip_grad_norm_(const TensorList& grads, double max_norm, double norm_type,
                       bool error_if_nonfinite);
// grads = clamp(grads, -clip_value, clip_value), in place.
void clip_grad_value_(const TensorList& grads, double clip_value);

}  // namespace ax
