// Bindings for spatial sampling on the private submodule axonite._C._nn: grid_sample.
// axonite.nn.functional.sampling wraps it with PyTorch's signature (align_corners=None) and
// composes affine_grid in Python; no math here.
#include "axonite/ops/grid_sample.h"
#include "bindings/common.h"

namespace axb {

void register_sampling(py::module_& m, py::module_& nn, Class& cls) {
  (void)m;
  (void)cls;
  nn.def(
      "grid_sample",
      [](const Tensor& input, const Tensor& grid, const std::string& mode,
         const std::string& padding_mode, bool align_corners) {
        // Work: every output element reads up to four input values.
        const int64_t work = grid.numel() / 2 * (input.dim() > 1 ? input.size(1) : 1) * 4;
        return maybe_release(
            work, [&] { return ax::grid_sample(input, grid, mode, padding_mode, align_corners); });
      },
      "input"_a, "grid"_a, "mode"_a = "bilinear", "padding_mode"_a = "zeros",
      "align_corners"_a = false,
      "Samples (N, C, H_in, W_in) input at the normalized (x, y) points of a (N, H_out, W_out, 2) "
      "grid -> (N, C, H_out, W_out); mode bilinear|nearest, padding_mode zeros|border|reflection.");
}

}  // namespace axb
