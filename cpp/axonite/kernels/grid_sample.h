// Kernels behind 2-d grid_sample (raw pointers, no Tensor): the forward sampler, its backward
// for the input and the grid, and the per-point sampling taps that the differentiable
// (create_graph) backward in ops/grid_sample.cpp is built from. All buffers are contiguous.
// Coordinates follow PyTorch's CPU kernel: unnormalize, then clip (border) or reflect + clip
// (reflection); bilinear reads the four corners around the point, nearest rounds half to even.
#pragma once

#include <cstdint>

namespace ax::cpu {

enum class GridInterp { Bilinear, Nearest };
enum class GridPadding { Zeros, Border, Reflection };

struct GridSampleShape {
  int64_t N = 0, C = 0, H = 0, W = 0;  // input (N, C, H, W)
  int64_t HO = 0, WO = 0;              // grid (N, HO, WO, 2), output (N, C, HO, WO)
  GridInterp mode = GridInterp::Bilinear;
  GridPadding padding = GridPadding::Zeros;
  bool align_corners = false;
};

// x: (N, C, H, W), grid: (N, HO, WO, 2) with (x, y) in [-1, 1] -> y: (N, C, HO, WO).
template <class T>
void grid_sample_forward(const T* x, const T* grid, T* y, const GridSampleShape& s);

// gy: (N, C, HO, WO), x and grid as in the forward -> gx: (N, C, H, W) and ggrid:
// (N, HO, WO, 2), both overwritten; pass nullptr for one that is not wanted (x may then be null
// too when ggrid is). Nearest sampling has a zero grid gradient. Each gx plane is written by one
// thread in a fixed point order, so results never depend on the thread count.
template <class T>
void grid_sample_backward(const T* gy, const T* x, const T* grid, T* gx, T* ggrid,
                          const GridSampleShape& s);

// The taps of every grid point p (P = HO * WO points per sample), for the differentiable
// backward: corners k = nw, ne, sw, se (nearest: k = 0 only) at flat in-plane positions
// idx (N, P, 4) (0 where outside the image), inside flags mask (N, P, 4) (1 or 0), the bilinear
// fractions frac (N, P, 2) = (ix - floor(ix), iy - floor(iy)) and the coordinate derivatives
// dcoord (N, P, 2) = (d ix / d grid_x, d iy / d grid_y) (zero for nearest).
template <class T>
void grid_sample_taps(const T* grid, int64_t* idx, T* mask, T* frac, T* dcoord,
                      const GridSampleShape& s);

}  // namespace ax::cpu
