// Kernels behind pooling and resizing (raw pointers, no Tensor): max/min pooling with flat
// per-plane arg indices and its scatter backward, and one separable linear resampler (average
// pools, adaptive average pools, nearest/linear interpolation) with its adjoint. Every plane is
// a contiguous (D, H, W) block (1-d and 2-d inputs use D = H = 1 or D = 1); planes are
// independent and each is computed by one thread, so results never depend on the thread count.
#pragma once

#include <cstdint>
#include <vector>

namespace ax::cpu {

// One spatial axis of a max-pool window map: output o reads cnt[o] input positions
// first[o], first[o] + dil, ... (all inside [0, in)). When k > 0 the map is "regular" away
// from the edges: an output whose window is not clipped has first[o] = o * s + start0 and
// cnt[o] = k, which lets the kernel run the interior without per-element index math.
struct PoolAxis {
  int64_t in = 1, out = 1, dil = 1;
  int64_t k = 0, s = 0, start0 = 0;
  std::vector<int64_t> first, cnt;
};

// One axis of a linear resampling map: out[o] = sum_{t < cnt[o]} w[off[o] + t] * in[first[o] + t].
struct LinAxis {
  int64_t in = 1, out = 1;
  std::vector<int64_t> first, cnt, off;
  std::vector<double> w;
};

// The three axes (D, H, W) of a resampling map.
struct LinMap {
  LinAxis axis[3];
};

template <class T>
struct PoolKernels {
  // x: (P, D, H, W) -> y, idx: (P, OD, OH, OW); idx is the flat in-plane position d*H*W + h*W + w
  // of the first maximum (minimum when is_min) in (d, h, w) order; NaN wins, as in PyTorch.
  void (*max_pool_forward)(const T* x, T* y, int64_t* idx, int64_t P, const PoolAxis* axes,
                           bool is_min);
  // gy, idx: (P, out_plane) -> gx: (P, in_plane), zero-filled, then gx[p][idx] += gy.
  void (*max_pool_backward)(const T* gy, const int64_t* idx, T* gx, int64_t P, int64_t in_plane,
                            int64_t out_plane);
  // x: (P, D, H, W) -> y: (P, OD, OH, OW) through the map.
  void (*resample_forward)(const T* x, T* y, int64_t P, const LinMap& map);
  // The adjoint (transpose): gy: (P, OD, OH, OW) -> gx: (P, D, H, W).
  void (*resample_adjoint)(const T* gy, T* gx, int64_t P, const LinMap& map);
};

const PoolKernels<float>& pool_kernels_f32();
const PoolKernels<double>& pool_kernels_f64();

template <class T>
const PoolKernels<T>& pool_kernels() {
  if constexpr (sizeof(T) == 4) {
    return pool_kernels_f32();
  } else {
    return pool_kernels_f64();
  }
}

}  // namespace ax::cpu
