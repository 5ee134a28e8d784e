// Dropout family with PyTorch semantics: dropout (one fused pass drawing the mask from the
// Philox stream and scaling by 1 / (1 - p)), feature_dropout (one draw per (n, c) feature
// map: dropout1d/2d/3d), and the SELU-preserving alpha_dropout / feature_alpha_dropout.
// p outside [0, 1] is a ValueError; train = false or p = 0 returns the input itself.
#pragma once

#include "axonite/tensor/tensor.h"

namespace ax {

Tensor dropout(const Tensor& input, double p, bool train, bool inplace = false);
// input: (N, C, *) -> the mask has shape (N, C, 1, ...) and broadcasts over the rest.
Tensor feature_dropout(const Tensor& input, double p, bool train, bool inplace = false);
Tensor alpha_dropout(const Tensor& input, double p, bool train, bool inplace = false);
Tensor feature_alpha_dropout(const Tensor& input, double p, bool train, bool inplace = false);

}  // namespace ax
