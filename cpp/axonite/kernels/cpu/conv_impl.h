// Direct convolution plane kernels, compiled once per ISA (conv_avx512.cpp, conv_avx2.cpp and
// conv.cpp for the portable build; the includer defines AX_ISA_NS). They serve convolutions
// where every output channel reads a single input channel (depthwise, or C_in = 1 per group),
// for which im2col + GEMM degenerates to a matrix-vector product. Each kernel handles one
// (image, channel) plane: loops over output rows and kernel taps, vectorized along W.
// Every output element is summed in a fixed order, independent of threads.
#pragma once

#include <cstdint>

#include "axonite/kernels/conv.h"

namespace ax::cpu {

// One plane each: x: (in[0], in[1], in[2]), y/gy: (out[0], out[1], out[2]), w/gw: (k[0..2]).
template <class T>
struct ConvPlaneKernels {
  // y = b + conv(x, w) (overwrites y).
  void (*forward)(const ConvGeom& g, const T* x, const T* w, T b, T* y);
  // gx += transposed conv of gy with w.
  void (*backward_input)(const ConvGeom& g, const T* gy, const T* w, T* gx);
  // acc: (K, out[2]) lane sums, += gy[o] * x[o * s + tap] per tap; reduce with reduce_taps.
  void (*backward_weight)(const ConvGeom& g, const T* x, const T* gy, T* acc);
};

template <class T>
const ConvPlaneKernels<T>& conv_plane_kernels();

namespace AX_ISA_NS {
namespace {

inline int64_t dc_div_up(int64_t a, int64_t b) { return a >= 0 ? (a + b - 1) / b : -((-a) / b); }

// Output positions [lo, hi) whose input index o * s + off lies in [0, in).
inline void dc_range(int64_t in, int64_t out, int64_t s, int64_t off, int64_t* lo, int64_t* hi) {
  int64_t l = dc_div_up(-off, s), h = dc_div_up(in - off, s);
  l = l < 0 ? 0 : (l > out ? out : l);
  h = h > out ? out : (h < l ? l : h);
  *lo = l;
  *hi = h;
}

// Calls f(y_offset, x_row_offset, lo, hi, off, tap) for every output row and every kernel tap
// whose input row exists: output positions [lo, hi) of that row read x_row[o * sw + off]. The
// W ranges depend only on kw, so they are computed once per call (no divisions in the loops).
constexpr int kMaxTapsW = 64;

template <class F>
inline void dc_taps(const ConvGeom& g, const F& f) {
  const int64_t OD = g.out[0], OH = g.out[1], OW = g.out[2];
  const int64_t ID = g.in[0], IH = g.in[1], IW = g.in[2], KW = g.k[2];
  int64_t lo_w[kMaxTapsW], hi_w[kMaxTapsW], off_w[kMaxTapsW];
  const bool cached = KW <= kMaxTapsW;
  for (int64_t kw = 0; cached && kw < KW; ++kw) {
    off_w[kw] = kw * g.dil[2] - g.pad[2];
    dc_range(IW, OW, g.stride[2], off_w[kw], &lo_w[kw], &hi_w[kw]);
  }
  for (int64_t od = 0; od < OD; ++od) {
    for (int64_t oh = 0; oh < OH; ++oh) {
      const int64_t yoff = (od * OH + oh) * OW;
      int64_t tap = 0;
      for (int64_t kd = 0; kd < g.k[0]; ++kd) {
        const int64_t id = od * g.stride[0] + kd * g.dil[0] - g.pad[0];
        for (int64_t kh = 0; kh < g.k[1]; ++kh, tap += KW) {
          const int64_t ih = oh * g.stride[1] + kh * g.dil[1] - g.pad[1];
          if (id < 0 || id >= ID || ih < 0 || ih >= IH) continue;
          const int64_t xoff = (id * IH + ih) * IW;
          for (int64_t kw = 0; kw < KW; ++kw) {
            if (cached) {
              f(yoff, xoff, lo_w[kw], hi_w[kw], off_w[kw], tap + kw);
            } else {
              const int64_t off = kw * g.dil[2] - g.pad[2];
              int64_t lo, hi;
              dc_range(IW, OW, g.stride[2], off, &lo, &hi);
              f(yoff, xoff, lo, hi, off, tap + kw);
            }
          }
        }
      }
    }
  }
}

template <class T>
void dc_forward(const ConvGeom& g, const T* x, const T* w, T b, T* y) {
  const int64_t n = g.out_size(), sw = g.stride[2];
  for (int64_t i = 0; i < n; ++i) y[i] = b;
  dc_taps(g, [&](int64_t yo, int64_t xo, int64_t lo, int64_t hi, int64_t off, int64_t tap) {
    T* __restrict yr = y + yo;
    const T* __restrict xr = x + xo;
    const T wv = w[tap];
    if (sw == 1) {
#pragma omp simd
      for (int64_t o = lo; o < hi; ++o) yr[o] += wv * xr[o + off];
    } else {
      for (int64_t o = lo; o < hi; ++o) yr[o] += wv * xr[o * sw + off];
    }
  });
}

template <class T>
void dc_backward_input(const ConvGeom& g, const T* gy, const T* w, T* gx) {
  const int64_t sw = g.stride[2];
  dc_taps(g, [&](int64_t yo, int64_t xo, int64_t lo, int64_t hi, int64_t off, int64_t tap) {
    const T* __restrict gr = gy + yo;
    T* __restrict xr = gx + xo;
    const T wv = w[tap];
    if (sw == 1) {
#pragma omp simd
      for (int64_t o = lo; o < hi; ++o) xr[o + off] += wv * gr[o];
    } else {
      for (int64_t o = lo; o < hi; ++o) xr[o * sw + off] += wv * gr[o];
    }
  });
}

template <class T>
void dc_backward_weight(const ConvGeom& g, const T* x, const T* gy, T* acc) {
  const int64_t sw = g.stride[2], OW = g.out[2];
  dc_taps(g, [&](int64_t yo, int64_t xo, int64_t lo, int64_t hi, int64_t off, int64_t tap) {
    const T* __restrict gr = gy + yo;
    const T* __restrict xr = x + xo;
    T* __restrict a = acc + tap * OW;
    if (sw == 1) {
#pragma omp simd
      for (int64_t o = lo; o < hi; ++o) a[o] += gr[o] * xr[o + off];
    } else {
      for (int64_t o = lo; o < hi; ++o) a[o] += gr[o] * xr[o * sw + off];
    }
  });
}

template <class T>
ConvPlaneKernels<T> dc_table() {
  return {&dc_forward<T>, &dc_backward_input<T>, &dc_backward_weight<T>};
}

}  // namespace

const ConvPlaneKernels<float>& conv_plane_table_f32() {
  static const ConvPlaneKernels<float> t = dc_table<float>();
  return t;
}
const ConvPlaneKernels<double>& conv_plane_table_f64() {
  static const ConvPlaneKernels<double> t = dc_table<double>();
  return t;
}

}  // namespace AX_ISA_NS
}  // namespace ax::cpu
