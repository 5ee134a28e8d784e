// Pooling with PyTorch semantics over the last `nsp` (1, 2 or 3) dims of (N, C, *) or unbatched
// (C, *) input: max/min pooling with flat per-plane indices, average pooling (ceil_mode,
// count_include_pad, divisor_override), adaptive average/max pooling and max unpooling.
// Interpolation and pixel shuffle are in ops/resize.h. All are differentiable; the linear ones
// (average pools) have a differentiable adjoint, so any order of derivative works.
#pragma once

#include <memory>
#include <optional>

#include "axonite/kernels/pooling.h"
#include "axonite/tensor/tensor.h"

namespace ax {

// Returns {output, indices (int64)}; stride empty means stride = kernel_size. is_min selects
// min pooling (axonite extra: the course's MinPool2d). Without return_indices the indices are
// computed only when autograd needs them (otherwise returned undefined).
TensorList max_pool(const Tensor& input, int nsp, const Dims& kernel_size, const Dims& stride,
                    const Dims& padding, const Dims& dilation, bool ceil_mode, bool is_min = false,
                    bool return_indices = true);
Tensor avg_pool(const Tensor& input, int nsp, const Dims& kernel_size, const Dims& stride,
                const Dims& padding, bool ceil_mode, bool count_include_pad,
                std::optional<int64_t> divisor_override);
// output_size: nsp sizes (PyTorch's start = floor(o * in / out), end = ceil((o + 1) * in / out)).
Tensor adaptive_avg_pool(const Tensor& input, int nsp, const Dims& output_size);
TensorList adaptive_max_pool(const Tensor& input, int nsp, const Dims& output_size,
                             bool return_indices = true);
// input, indices: (N, C, *in) or (C, *in) -> (N, C, *output_size): out.flat[indices] = input.
Tensor max_unpool(const Tensor& input, const Tensor& indices, int nsp, const Dims& output_size);

namespace detail {
// "<base><nsp>d", e.g. op_name("max_pool", 2) = "max_pool2d".
std::string op_name(const char* base, int nsp);
// input as batched (N, C, *spatial): checks the dtype, the rank and non-empty non-batch dims.
Tensor batched_input(const Tensor& input, int nsp, const std::string& op);
// Applies the separable linear map (adjoint = false: in -> out sizes) or its transpose to the
// last nsp dims of x (the map's last nsp axes); differentiable in any order.
Tensor resample(const Tensor& x, int nsp, const std::shared_ptr<const cpu::LinMap>& map,
                bool adjoint, const char* name);
}  // namespace detail

}  // namespace ax
