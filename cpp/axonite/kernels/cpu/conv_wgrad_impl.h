// Direct convolution weight gradient vectorized over OUTPUT channels, compiled once per ISA like
// conv_rows_impl.h (the includer defines AX_ISA_NS). For layers whose patches are short and
// whose planes are small (LeNet's 6 -> 16 on 14x14), im2col + GEMM spends its time building
// the column matrix; here every output pixel's gradient (a vector of output channels) is
// multiplied by one broadcast input value per tap, straight from the padded input rows.
//
// One call handles one image and one group. The caller provides
//   xp:  the group's input rows padded along W (width pw, as rows_pad_input in conv.cpp builds
//        them), so no load needs a bound check;
//   gyT: the group's output gradient transposed pixel-major, gyT[pixel][ocp] with the output
//        channels zero-padded to ocp = a multiple of L;
//   acc: (Cg, K, ocp) partial sums that the call adds to.
// A register block is OCB vectors of output channels x KW taps of one kernel row (kd, kh); it
// runs over every output pixel whose input row exists, then goes back to acc. Sums run in the
// fixed order of images (caller), then pixels, so results do not depend on threads.
#pragma once

#include "axonite/kernels/conv.h"
#include "axonite/kernels/cpu/conv_rows_impl.h"

namespace ax::cpu {

template <class T>
struct ConvWgradKernels {
  int64_t lanes;  // L: the caller pads output channels to a multiple of it
  // acc (Cg, K, ocp) += sum over pixels of gyT[pixel] x input values.
  void (*accumulate)(const ConvGeom& g, const T* xp, int64_t pw, const T* gyT, int64_t ocp, T* acc);
};

template <class T>
const ConvWgradKernels<T>& conv_wgrad_kernels();

// Largest kernel width the direct weight gradient takes (callers check).
constexpr int64_t kConvWgradMaxKW = 7;

namespace AX_ISA_NS {
namespace {

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wignored-attributes"

// Accumulator registers available to a block: OCB vectors x KW taps stay within it.
#if defined(__AVX512F__)
constexpr int kWgradRegs = 26;
constexpr int kWgradMaxVecs = 4;
#else
constexpr int kWgradRegs = 12;
constexpr int kWgradMaxVecs = 2;
#endif

template <class T, int OCB, int KW>
void wgrad_block(const ConvGeom& g, const T* xp, int64_t pw, const T* gyT, int64_t ocp, int64_t v0,
                 T* acc) {
  using R = RowVec<T>;
  using V = typename R::V;
  constexpr int L = R::L;
  const int64_t cg = g.c / g.groups, K = g.k_size(), KH = g.k[1];
  const int64_t ID = g.in[0], IH = g.in[1], OH = g.out[1], OW = g.out[2];
  const int64_t sw = g.stride[2], dw = g.dil[2], plane = ID * IH * pw;
  for (int64_t c = 0; c < cg; ++c) {
    for (int64_t kd = 0; kd < g.k[0]; ++kd) {
      for (int64_t kh = 0; kh < KH; ++kh) {
        T* a = acc + (c * K + (kd * KH + kh) * KW) * ocp + v0 * L;
        V s[OCB][KW];
        for (int v = 0; v < OCB; ++v)
          for (int t = 0; t < KW; ++t) s[v][t] = R::load(a + t * ocp + v * L);
        for (int64_t od = 0; od < g.out[0]; ++od) {
          const int64_t id = od * g.stride[0] + kd * g.dil[0] - g.pad[0];
          if (id < 0 || id >= ID) continue;
          for (int64_t oh = 0; oh < OH; ++oh) {
            const int64_t ih = oh * g.stride[1] + kh * g.dil[1] - g.pad[1];
            if (ih < 0 || ih >= IH) continue;
            const T* xr = xp + c * plane + (id * IH + ih) * pw;
            const T* gr = gyT + ((od * OH + oh) * OW) * ocp + v0 * L;
            for (int64_t ow = 0; ow < OW; ++ow, gr += ocp) {
              V gv[OCB];
              for (int v = 0; v < OCB; ++v) gv[v] = R::load(gr + v * L);
              const T* xw = xr + ow * sw;
              for (int t = 0; t < KW; ++t) {
                const V xb = R::set1(xw[t * dw]);
                for (int v = 0; v < OCB; ++v) s[v][t] = R::fma(gv[v], xb, s[v][t]);
              }
            }
          }
        }
        for (int v = 0; v < OCB; ++v)
          for (int t = 0; t < KW; ++t) R::store(a + t * ocp + v * L, s[v][t]);
      }
    }
  }
}

// Largest OCB with OCB * KW accumulators in registers.
template <int KW>
constexpr int wgrad_vecs() {
  const int v = kWgradRegs / KW;
  return v < 1 ? 1 : (v > kWgradMaxVecs ? kWgradMaxVecs : v);
}

template <class T, int KW>
void wgrad_kw(const ConvGeom& g, const T* xp, int64_t pw, const T* gyT, int64_t ocp, T* acc) {
  constexpr int OCB = wgrad_vecs<KW>();
  const int64_t nv = ocp / RowVec<T>::L;
  int64_t v0 = 0;
  for (; v0 + OCB <= nv; v0 += OCB) wgrad_block<T, OCB, KW>(g, xp, pw, gyT, ocp, v0, acc);
  for (; v0 < nv; ++v0) wgrad_block<T, 1, KW>(g, xp, pw, gyT, ocp, v0, acc);
}

template <class T>
void wgrad_accumulate(const ConvGeom& g, const T* xp, int64_t pw, const T* gyT, int64_t ocp,
                      T* acc) {
  switch (g.k[2]) {
    case 1:
      return wgrad_kw<T, 1>(g, xp, pw, gyT, ocp, acc);
    case 2:
      return wgrad_kw<T, 2>(g, xp, pw, gyT, ocp, acc);
    case 3:
      return wgrad_kw<T, 3>(g, xp, pw, gyT, ocp, acc);
    case 4:
      return wgrad_kw<T, 4>(g, xp, pw, gyT, ocp, acc);
    case 5:
      return wgrad_kw<T, 5>(g, xp, pw, gyT, ocp, acc);
    case 6:
      return wgrad_kw<T, 6>(g, xp, pw, gyT, ocp, acc);
    default:
      return wgrad_kw<T, 7>(g, xp, pw, gyT, ocp, acc);
  }
}

#pragma GCC diagnostic pop

template <class T>
ConvWgradKernels<T> wgrad_table() {
  return {RowVec<T>::L, &wgrad_accumulate<T>};
}

}  // namespace

const ConvWgradKernels<float>& conv_wgrad_table_f32() {
  static const ConvWgradKernels<float> t = wgrad_table<float>();
  return t;
}
const ConvWgradKernels<double>& conv_wgrad_table_f64() {
  static const ConvWgradKernels<double> t = wgrad_table<double>();
  return t;
}

}  // namespace AX_ISA_NS
}  // namespace ax::cpu
