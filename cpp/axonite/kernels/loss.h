// Loss kernels on raw pointers (no Tensor type): fused cross-entropy and nll over class-index
// targets, and the pointwise losses (mse, l1, huber, smooth_l1, bce, bce-with-logits) with a
// deterministic blocked sum. ops/loss.cpp owns shapes, checks, reductions and autograd.
#pragma once

#include <cstdint>

#include "axonite/core/dtype.h"

namespace ax::cpu {

// x viewed as (N, C, D) contiguous: D is the product of the trailing "K-dim" sizes (1 for an
// (N, C) input); targets are (N, D) class indices.
struct ClassLossArgs {
  const void* x = nullptr;          // (N, C, D), float32 or float64
  const int64_t* target = nullptr;  // (N, D)
  const void* weight = nullptr;     // (C,) class weights, or null for all ones
  int64_t n = 0, c = 0, d = 1;
  int64_t ignore_index = -100;
  double smoothing = 0.0;  // label smoothing (cross-entropy only)
};

// Validates the targets: returns the flat index of the first one outside [0, C) that is not
// ignore_index, or -1. Sets *total_weight to the sum of w[t] over the non-ignored targets (their
// count when unweighted): the denominator of the 'mean' reduction.
int64_t check_class_targets(DType dt, const ClassLossArgs& a, double* total_weight);

// Note [Fused cross-entropy]
// Per position (n, d), with lse = log sum_c exp x_c (max-subtracted), eps the smoothing and
// w = 1 when unweighted:
//   loss = (1 - eps) w_t (lse - x_t) + eps / C * sum_c w_c (lse - x_c)
// (0 where t == ignore_index). Its gradient is  g * (softmax(x)_c * A - a_c)  with
//   a_c = (1 - eps) w_t [c == t] + eps / C * w_c,   A = sum_c a_c.
// The smoothing sum is accumulated as sum_c w_c (m - x_c) + (lse - m) sum_c w_c (m = row max):
// every term is non-negative, so logits of 1e8 cancel nothing.

// x: (N, C, D) -> loss: (N, D), stats: (2, N, D) holding each position's max m and
// log sum_c exp(x_c - m). Keeping the two apart (rather than lse = m + log s, rounded to the
// spacing of m) keeps softmax exact for logits like 1e8. Targets must be valid
// (check_class_targets).
void cross_entropy_forward(DType dt, const ClassLossArgs& a, void* loss, void* stats);
// grad: (N, D) upstream gradients, or one scalar when grad_scalar; multiplied by `scale`
// (1 / total weight for 'mean'). -> gx: (N, C, D).
void cross_entropy_backward(DType dt, const ClassLossArgs& a, const void* stats, const void* grad,
                            bool grad_scalar, double scale, void* gx);

// x: (N, C, D) log-probabilities -> loss: (N, D) = -w_t x[n, t, d] (0 where ignored).
void nll_loss_forward(DType dt, const ClassLossArgs& a, void* loss);
// grad as in cross_entropy_backward -> gx: (N, C, D), zero except gx[n, t, d] = -g w_t scale.
void nll_loss_backward(DType dt, const ClassLossArgs& a, const void* grad, bool grad_scalar,
                       double scale, void* gx);

// Pointwise losses of an input x and a target y (same shape); `param` is delta (Huber) or beta
// (SmoothL1, > 0). Bce clamps its logs at -100 like PyTorch; BceLogits is
//   (1 - y) softplus(x) + pw y softplus(-x)   (pw = 1 without pos_weight)
// with softplus(+-x) = max(+-x, 0) + log1p(exp(-|x|)): finite for any x, and free of the
// cancellation in the equal (1 - y) x + (1 + (pw - 1) y) softplus(-x).
enum class PointwiseLoss : uint8_t { Mse, L1, Huber, SmoothL1, Bce, BceLogits };

struct PointwiseArgs {
  const void* x = nullptr;   // (n,) contiguous
  const void* y = nullptr;   // (n,) contiguous
  const void* pw = nullptr;  // BceLogits: (n,) pos_weight expanded to x's shape, or null
  int64_t n = 0;
  double param = 1.0;
};

// Block size of the deterministic sum: blocks are summed in SIMD lanes, then folded in block
// order in float64, whatever the thread count.
inline constexpr int64_t kLossBlock = 8192;

// x, y: (n,) -> out: (n,) per-element losses (out may be null), *sum (may be null): their sum.
// Returns 0, or for Bce 1 when an input lies outside [0, 1] (or is NaN), 2 for a target.
int pointwise_loss_forward(PointwiseLoss k, DType dt, const PointwiseArgs& a, void* out,
                           double* sum);
// grad: (n,) or one scalar (grad_scalar), times scale -> gx, gy: (n,) (either may be null).
void pointwise_loss_backward(PointwiseLoss k, DType dt, const PointwiseArgs& a, const void* grad,
                             bool grad_scalar, double scale, void* gx, void* gy);

}  // namespace ax::cpu
