// grid_sample: argument checks, the forward kernel call and the backward closure. The backward
// runs the raw kernel (kernels/grid_sample.h) unless grad mode is on during backward
// (create_graph), where the same gradients are rebuilt from differentiable ops.
#include "axonite/ops/grid_sample.h"

#include "axonite/autograd/record.h"
#include "axonite/kernels/grid_sample.h"
#include "axonite/ops/broadcast.h"
#include "axonite/ops/creation.h"
#include "axonite/ops/elementwise.h"
#include "axonite/ops/indexing.h"
#include "axonite/ops/join.h"
#include "axonite/ops/reduce.h"
#include "axonite/ops/views.h"

namespace ax {
namespace {

constexpr const char* kOp = "grid_sample";

Tensor s(double v, DType dt) { return scalar_tensor(v, dt, true); }

cpu::GridSampleShape check_args(const Tensor& input, const Tensor& grid, const std::string& mode,
                                const std::string& padding_mode, bool align_corners) {
  AXONITE_CHECK(is_floating(input.dtype()), TypeError, kOp,
                ": expected a floating-point input, got ", dtype_name(input.dtype()));
  AXONITE_CHECK(grid.dtype() == input.dtype(), TypeError, kOp,
                ": expected input and grid to have the same dtype, but input has ",
                dtype_name(input.dtype()), " and grid has ", dtype_name(grid.dtype()));
  AXONITE_CHECK(input.dim() == 4, ValueError, kOp,
                ": expected a 4-D input of shape (N, C, H_in, W_in), got shape ",
                shape_str(input.sizes()));
  AXONITE_CHECK(grid.dim() == 4, ValueError, kOp,
                ": expected a 4-D grid of shape (N, H_out, W_out, 2), got shape ",
                shape_str(grid.sizes()));
  AXONITE_CHECK(grid.size(3) == 2, ValueError, kOp,
                ": expected grid to have size 2 in its last dimension, got grid of shape ",
                shape_str(grid.sizes()));
  AXONITE_CHECK(grid.size(0) == input.size(0), ValueError, kOp,
                ": expected input and grid to have the same batch size, got input of shape ",
                shape_str(input.sizes()), " and grid of shape ", shape_str(grid.sizes()));
  AXONITE_CHECK(input.size(2) > 0 && input.size(3) > 0, ValueError, kOp,
                ": expected input with non-empty spatial dimensions, got shape ",
                shape_str(input.sizes()));
  cpu::GridSampleShape sh;
  if (mode == "bilinear") {
    sh.mode = cpu::GridInterp::Bilinear;
  } else if (mode == "nearest") {
    sh.mode = cpu::GridInterp::Nearest;
  } else {
    fail(ErrorKind::ValueError, kOp, ": mode must be 'bilinear' or 'nearest', got '", mode, "'");
  }
  if (padding_mode == "zeros") {
    sh.padding = cpu::GridPadding::Zeros;
  } else if (padding_mode == "border") {
    sh.padding = cpu::GridPadding::Border;
  } else if (padding_mode == "reflection") {
    sh.padding = cpu::GridPadding::Reflection;
  } else {
    fail(ErrorKind::ValueError, kOp,
         ": padding_mode must be 'zeros', 'border' or 'reflection', got '", padding_mode, "'");
  }
  sh.align_corners = align_corners;
  sh.N = input.size(0);
  sh.C = input.size(1);
  sh.H = input.size(2);
  sh.W = input.size(3);
  sh.HO = grid.size(1);
  sh.WO = grid.size(2);
  return sh;
}

// Note [Differentiable grid_sample backward]
// Under create_graph the gradients are written with differentiable ops so they can be
// differentiated again. What is piecewise constant in the grid (corner indices, inside flags,
// d coordinate / d grid) comes from cpu::grid_sample_taps; the bilinear fractions are
// re-attached to the grid as frac + dcoord * (grid - grid.detach()), whose value is frac and
// whose derivative is dcoord. With P = H_out * W_out points and K corners per point:
//   gin[n, c, idx[n, p, k]] += g[n, c, p] * w[n, p, k]                     (scatter_add)
//   ggrid_x[n, p] = dcoord_x * sum_c g * ((v_ne - v_nw) (1 - ty) + (v_se - v_sw) ty)
//   ggrid_y[n, p] = dcoord_y * sum_c g * ((v_sw - v_nw) (1 - tx) + (v_se - v_ne) tx)
// where v_k = mask_k * input[n, c, idx_k] (gather). Nearest has K = 1, w = mask, ggrid = 0.
// `input` is needed (and saved) only for the grid gradient; in_sizes is its shape.
TensorList differentiable_backward(const Tensor& g, const Tensor& input, const Tensor& grid,
                                   const Dims& in_sizes, const cpu::GridSampleShape& sh,
                                   bool need_input, bool need_grid) {
  const DType dt = grid.dtype();
  const int64_t N = sh.N, C = sh.C, P = sh.HO * sh.WO, HW = sh.H * sh.W;
  const bool bilinear = sh.mode == cpu::GridInterp::Bilinear;
  const int64_t K = bilinear ? 4 : 1;
  Tensor idx = Tensor::empty(Dims{N, P, 4}, DType::Int64), mask = Tensor::empty(Dims{N, P, 4}, dt);
  Tensor frac = Tensor::empty(Dims{N, P, 2}, dt), dcoord = Tensor::empty(Dims{N, P, 2}, dt);
  const Tensor gc = contiguous(grid.detach());
  dispatch_floating(dt, kOp, [&](auto tag) {
    using T = typename decltype(tag)::type;
    cpu::grid_sample_taps<T>(gc.data<T>(), idx.data<int64_t>(), mask.data<T>(), frac.data<T>(),
                             dcoord.data<T>(), sh);
  });
  idx = narrow(idx, 2, 0, K);
  mask = narrow(mask, 2, 0, K);
  const Tensor idx_e = contiguous(expand(reshape(idx, Dims{N, 1, P * K}), Dims{N, C, P * K}));
  const Tensor g3 = reshape(g, Dims{N, C, P});
  Tensor w = mask, tx, ty;  // w: (N, P, K)
  if (bilinear) {
    const Tensor gp = reshape(grid, Dims{N, P, 2});
    const Tensor t = add(frac, mul(dcoord, sub(gp, gp.detach())));
    tx = select(t, 2, 0);
    ty = select(t, 2, 1);
    const Tensor ex = sub(s(1, dt), tx), sy = sub(s(1, dt), ty);
    w = mul(stack({mul(sy, ex), mul(sy, tx), mul(ty, ex), mul(ty, tx)}, 2), mask);
  }
  Tensor gin, ggrid;
  if (need_input) {
    const Tensor src = reshape(mul(unsqueeze(g3, 3), unsqueeze(w, 1)), Dims{N, C, P * K});
    gin = reshape(scatter_add(zeros(Dims{N, C, HW}, dt), 2, idx_e, src), in_sizes);
  }
  if (need_grid && !bilinear) ggrid = zeros(grid.sizes(), dt);
  if (need_grid && bilinear) {
    const Tensor v =
        mul(reshape(gather(reshape(input, Dims{N, C, HW}), 2, idx_e), Dims{N, C, P, 4}),
            unsqueeze(mask, 1));
    const TensorList vk = unbind(v, 3);  // (N, C, P) each: nw, ne, sw, se
    const Tensor ex = unsqueeze(sub(s(1, dt), tx), 1), sy = unsqueeze(sub(s(1, dt), ty), 1);
    const Tensor txu = unsqueeze(tx, 1), tyu = unsqueeze(ty, 1);
    const Tensor dx = add(mul(sub(vk[1], vk[0]), sy), mul(sub(vk[3], vk[2]), tyu));
    const Tensor dy = add(mul(sub(vk[2], vk[0]), ex), mul(sub(vk[3], vk[1]), txu));
    const Tensor gx = mul(sum(mul(g3, dx), Dims{1}), select(dcoord, 2, 0));
    const Tensor gy = mul(sum(mul(g3, dy), Dims{1}), select(dcoord, 2, 1));
    ggrid = reshape(stack({gx, gy}, 2), grid.sizes());
  }
  return {gin, ggrid};
}

}  // namespace

Tensor grid_sample(const Tensor& input, const Tensor& grid, const std::string& mode,
                   const std::string& padding_mode, bool align_corners) {
  const cpu::GridSampleShape sh = check_args(input, grid, mode, padding_mode, align_corners);
  const DType dt = input.dtype();
  const Tensor xc = contiguous(input.detach()), gc = contiguous(grid.detach());
  Tensor y = Tensor::empty(Dims{sh.N, sh.C, sh.HO, sh.WO}, dt);
  dispatch_floating(dt, kOp, [&](auto tag) {
    using T = typename decltype(tag)::type;
    cpu::grid_sample_forward<T>(xc.data<T>(), gc.data<T>(), y.data<T>(), sh);
  });
  if (!autograd::any_needs_grad({input, grid})) return y;
  const bool ri = input.requires_grad(), rg = grid.requires_grad();
  // The input is only read by the grid gradient; the grid is needed by both.
  autograd::SavedTensor sx(rg ? input : Tensor(), false), sg(grid, false);
  const Dims in_sizes = input.sizes();
  autograd::record("GridSampler2DBackward0", {input, grid}, y, [=](const Tensor& g0) {
    const Tensor g = g0.dtype() == dt ? g0 : to_dtype(g0, dt);
    if (autograd::grad_enabled())
      return differentiable_backward(g, sx.unpack(), sg.unpack(), in_sizes, sh, ri, rg);
    const Tensor gyc = contiguous(g.detach()), grc = contiguous(sg.unpack().detach());
    const Tensor xk = rg ? contiguous(sx.unpack().detach()) : Tensor();
    Tensor gin = ri ? Tensor::empty(in_sizes, dt) : Tensor();
    Tensor ggrid = rg ? Tensor::empty(grc.sizes(), dt) : Tensor();
    dispatch_floating(dt, kOp, [&](auto tag) {
      using T = typename decltype(tag)::type;
      cpu::grid_sample_backward<T>(gyc.data<T>(), xk.data_or_null<T>(), grc.data<T>(),
                                   gin.data_or_null<T>(), ggrid.data_or_null<T>(), sh);
    });
    return TensorList{gin, ggrid};
  });
  return y;
}

}  // namespace ax
