// Loss functions with PyTorch semantics (torch.nn.functional names, shapes, reductions and
// errors): fused cross-entropy / nll and pointwise losses with explicit backward kernels, and
// composites (kl_div, multi_margin, cosine embedding, cosine_similarity, normalize) built from
// differentiable ops. Undefined tensors stand for None (no weight / pos_weight).
#pragma once

#include <cstdint>
#include <string>

#include "axonite/tensor/tensor.h"

namespace ax {

enum class Reduction : uint8_t { None = 0, Mean = 1, Sum = 2 };

// 'none' | 'mean' | 'sum' (ValueError otherwise, as PyTorch).
Reduction parse_reduction(const std::string& s);
// l reduced as asked: itself, its mean (NaN when empty) or its sum.
Tensor apply_reduction(const Tensor& l, Reduction r);

// input: (N, C), (C,) or (N, C, d1, ...) logits. target: class indices (N,), () or
// (N, d1, ...) (int64), or class probabilities of input's shape (floating). weight: (C,).
// 'mean' over index targets divides by the summed weight of the non-ignored targets; over
// probability targets by N * d1 * ... . label_smoothing in [0, 1].
Tensor cross_entropy(const Tensor& input, const Tensor& target, const Tensor& weight,
                     int64_t ignore_index, Reduction reduction, double label_smoothing);
// input: log-probabilities, same layouts as cross_entropy's index-target form.
Tensor nll_loss(const Tensor& input, const Tensor& target, const Tensor& weight,
                int64_t ignore_index, Reduction reduction);

// Regression losses; input and target broadcast together (the Python layer warns when their
// sizes differ, as PyTorch does).
Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction reduction);
Tensor l1_loss(const Tensor& input, const Tensor& target, Reduction reduction);
Tensor huber_loss(const Tensor& input, const Tensor& target, Reduction reduction, double delta);
Tensor smooth_l1_loss(const Tensor& input, const Tensor& target, Reduction reduction, double beta);

// input: probabilities in [0, 1] with target's exact shape; weight broadcasts to it.
Tensor binary_cross_entropy(const Tensor& input, const Tensor& target, const Tensor& weight,
                            Reduction reduction);
// input: logits with target's exact shape; weight and pos_weight broadcast to it.
Tensor binary_cross_entropy_with_logits(const Tensor& input, const Tensor& target,
                                        const Tensor& weight, const Tensor& pos_weight,
                                        Reduction reduction);
// Pointwise target * (log target - input) (log_target: exp(target) * (target - input));
// batchmean divides the sum by input.size(0).
Tensor kl_div(const Tensor& input, const Tensor& target, Reduction reduction, bool log_target,
              bool batchmean);
// Weston-Watkins hinge: input (N, C) or (C,), target (N,) or ();
// loss_n = sum_{j != y} max(0, margin - x_y + x_j)^p * w_y / C, p in {1, 2}.
Tensor multi_margin_loss(const Tensor& input, const Tensor& target, int64_t p, double margin,
                         const Tensor& weight, Reduction reduction);
// x1, x2: (N, D) with target (N,) of +1/-1, or (D,) with a 0-d target.
Tensor cosine_embedding_loss(const Tensor& x1, const Tensor& x2, const Tensor& target,
                             double margin, Reduction reduction);

// sum(x1 / max(|x1|, eps) * x2 / max(|x2|, eps)) along dim (x1, x2 broadcast).
Tensor cosine_similarity(const Tensor& x1, const Tensor& x2, int64_t dim, double eps);
// x / max(|x|_p, eps) along dim.
Tensor normalize(const Tensor& x, double p, int64_t dim, double eps);

}  // namespace ax
