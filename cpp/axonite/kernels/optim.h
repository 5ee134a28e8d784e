// Fused multi-tensor optimizer updates and gradient-norm kernels on raw pointers (no Tensor).
// One call updates every tensor of a parameter group in place: threads split the group's total
// element count, and each piece runs a vectorized loop compiled per ISA (optim_impl.h).
// Per-tensor scalars (bias corrections, which depend on each tensor's step) come precomputed.
#pragma once

#include <cstdint>

#include "axonite/core/dtype.h"

namespace ax::cpu {

// Tensors of one dtype updated together; slot arrays hold one pointer per tensor, all
// contiguous with numel[i] elements. Slots an optimizer does not use are nullptr.
struct MultiTensor {
  int64_t count = 0;
  const int64_t* numel = nullptr;  // (count,)
  DType dtype = DType::Float32;
};

// p -= lr * d, d from grad g (negated when maximize) after weight decay and momentum:
//   buf = fresh ? g : momentum * buf + (1 - dampening) * g;  d = nesterov ? g + momentum*buf : buf
struct SgdArgs {
  void* const* param;
  const void* const* grad;
  void* const* buf;          // nullptr when momentum == 0
  const uint8_t* buf_fresh;  // (count,): 1 on a buffer's first step (it becomes a copy of g)
  double lr, momentum, dampening, weight_decay;
  bool nesterov, maximize;
};

// Adam / AdamW (decoupled weight decay): step_size[i] = lr / (1 - beta1^step_i) and
// bc2_sqrt[i] = sqrt(1 - beta2^step_i), computed in double by the caller.
struct AdamArgs {
  void* const* param;
  const void* const* grad;
  void* const* exp_avg;
  void* const* exp_avg_sq;
  void* const* max_exp_avg_sq;  // nullptr unless amsgrad
  const double* step_size;      // (count,)
  const double* bc2_sqrt;       // (count,)
  double lr, beta1, beta2, eps, weight_decay;
  bool amsgrad, maximize, decoupled;
};

// NAdam: coef_grad[i] = -lr (1 - mu) / (1 - mu_product), coef_avg[i] = -lr mu_next /
// (1 - mu_product * mu_next), bc2[i] = 1 - beta2^step_i.
struct NadamArgs {
  void* const* param;
  const void* const* grad;
  void* const* exp_avg;
  void* const* exp_avg_sq;
  const double* coef_grad;  // (count,)
  const double* coef_avg;   // (count,)
  const double* bc2;        // (count,)
  double lr, beta1, beta2, eps, weight_decay;
  bool maximize, decoupled;
};

// Adagrad: clr[i] = lr / (1 + (step_i - 1) * lr_decay).
struct AdagradArgs {
  void* const* param;
  const void* const* grad;
  void* const* sum;
  const double* clr;  // (count,)
  double eps, weight_decay;
  bool maximize;
};

struct RmspropArgs {
  void* const* param;
  const void* const* grad;
  void* const* square_avg;
  void* const* grad_avg;  // nullptr unless centered
  void* const* buf;       // nullptr unless momentum > 0
  double lr, alpha, eps, weight_decay, momentum;
  bool centered, maximize;
};

struct AdadeltaArgs {
  void* const* param;
  const void* const* grad;
  void* const* square_avg;
  void* const* acc_delta;
  double lr, rho, eps, weight_decay;
  bool maximize;
};

void sgd_update(const MultiTensor& mt, const SgdArgs& a);
void adam_update(const MultiTensor& mt, const AdamArgs& a);
void nadam_update(const MultiTensor& mt, const NadamArgs& a);
void adagrad_update(const MultiTensor& mt, const AdagradArgs& a);
void rmsprop_update(const MultiTensor& mt, const RmspropArgs& a);
void adadelta_update(const MultiTensor& mt, const AdadeltaArgs& a);

// x: count tensors -> norms: (count,), the p-norm of each tensor (p = inf / -inf: max / min of
// |x|, p = 0: number of nonzeros). Accumulates in double in a thread-count-independent order.
void tensor_norms(const MultiTensor& mt, const void* const* x, double p, double* norms);
// x[i] *= scale for every tensor (in x's dtype, scale rounded to it first).
void scale_(const MultiTensor& mt, void* const* x, double scale);
// x[i] = clamp(x[i], lo, hi), NaN kept.
void clamp_(const MultiTensor& mt, void* const* x, double lo, double hi);

// Per-ISA kernels for one piece [b, e) of tensor i; the multi-tensor driver (optim.cpp) picks
// the table once and spreads the pieces over threads.
struct OptimKernels {
  void (*sgd)(const MultiTensor&, const SgdArgs&, int64_t i, int64_t b, int64_t e);
  void (*adam)(const MultiTensor&, const AdamArgs&, int64_t i, int64_t b, int64_t e);
  void (*nadam)(const MultiTensor&, const NadamArgs&, int64_t i, int64_t b, int64_t e);
  void (*adagrad)(const MultiTensor&, const AdagradArgs&, int64_t i, int64_t b, int64_t e);
  void (*rmsprop)(const MultiTensor&, const RmspropArgs&, int64_t i, int64_t b, int64_t e);
  void (*adadelta)(const MultiTensor&, const AdadeltaArgs&, int64_t i, int64_t b, int64_t e);
  // x: (n,) -> sum |x|^p (max / min |x| for p = +-inf, nonzero count for p = 0), in double.
  double (*norm_partial)(DType dt, const void* x, int64_t n, double p);
  void (*scale)(DType dt, void* x, int64_t n, double s);
  void (*clamp)(DType dt, void* x, int64_t n, double lo, double hi);
};

namespace generic {
const OptimKernels& optim_kernels();
}
namespace avx2 {
const OptimKernels& optim_kernels();
}
namespace avx512 {
const OptimKernels& optim_kernels();
}

}  // namespace ax::cpu
