// Embedding lookup with PyTorch semantics: rows of `weight` gathered by int64 indices; the
// backward scatter-adds into a dense (num_embeddings, embedding_dim) gradient, skipping
// padding_idx and optionally scaling by 1 / (frequency of the index in the batch). There are
// no sparse tensors: sparse=True in Python falls back to this dense gradient.
#pragma once

#include "axonite/tensor/tensor.h"

namespace ax {

// weight: (V, D), indices: int64 of any shape -> (*indices.shape, D). padding_idx < 0: none
// (already wrapped into [0, V) by the caller otherwise).
Tensor embedding(const Tensor& weight, const Tensor& indices, int64_t padding_idx = -1,
                 bool scale_grad_by_freq = false);
// Rescales in place, without autograd, each row of weight referenced by `indices` whose
// norm_type-norm exceeds max_norm to norm max_norm (PyTorch's embedding_renorm_).
Tensor embedding_renorm_(const Tensor& weight, const Tensor& indices, double max_norm,
                         double norm_type);
// The gradient of embedding for weight: g: (*indices.shape, D) -> (V, D). Differentiable in g.
Tensor embedding_dense_backward(const Tensor& grad, const Tensor& indices, int64_t num_weights,
                                int64_t padding_idx, bool scale_grad_by_freq);

}  // namespace ax
