// Register-blocked direct convolution for layers with few input channels per group (LeNet's
// 1 -> 6 first layer, 1-3 channel stems with stride 1 along W), compiled once per ISA like
// conv_impl.h (the includer defines AX_ISA_NS). im2col + GEMM spends most of its time there
// building a K-row matrix from a single channel and running a GEMM whose depth (Cg * K, 25 for a
// 5x5 kernel) is too shallow to amortize packing; these kernels read the input directly.
//
// One call handles one (image, group). The caller copies the group's input planes into rows of
// `pw` elements with the W padding and a zero tail materialized (so no load needs a bound check)
// and packs the weights into blocks of `block` output channels: wp[blk][c][tap][block].
//   forward:         a block of OB output channels x CH vectors along W stays in registers while
//                    every tap adds one broadcast weight times one input vector.
//   backward_input:  the transposed scatter: each tap adds sum_o w[o] * gy[o] (a vector) into a
//                    padded gradient row; the caller adds the interior to gx.
//   backward_weight: lane-wise partial sums acc[o][c][tap][lane] += gy[o] * x, summed over lanes
//                    by the caller, so every sum has a fixed order whatever the thread count.
// Rows (D and H) that fall in the padding are skipped. Stride along W must be 1 (callers check).
#pragma once

#include <immintrin.h>

#include <cstdint>
#include <cstring>

#include "axonite/kernels/conv.h"

namespace ax::cpu {

// Largest k[0] * k[1] the row kernels take, and largest Cg * k[1] * k[2] of the flattened
// forward (callers check).
constexpr int64_t kConvRowsMaxKRows = 512;
constexpr int64_t kConvRowsMaxFlatTaps = 1024;

template <class T>
struct ConvRowKernels {
  int64_t lanes;  // elements per vector: the caller sizes row padding and acc with it
  int64_t block;  // output channels per packed weight block
  void (*forward)(const ConvGeom& g, const T* xp, int64_t pw, const T* wp, const T* b, int64_t ocg,
                  T* y);
  // The forward on input planes padded to (hp, pwf) (2-d/1-d, stride 1 along H and W).
  void (*forward_flat)(const ConvGeom& g, const T* xf, int64_t pwf, int64_t hp, const T* wp,
                       const T* b, int64_t ocg, T* y);
  void (*backward_input)(const ConvGeom& g, const T* gy, const T* wp, int64_t ocg, T* gxp,
                         int64_t pw);
  void (*backward_weight)(const ConvGeom& g, const T* xp, int64_t pw, const T* gy, int64_t ocg,
                          T* acc);
};

template <class T>
const ConvRowKernels<T>& conv_row_kernels();

namespace AX_ISA_NS {
namespace {

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wignored-attributes"

// Explicit intrinsics (not GCC vector arithmetic) so that a*b+c is one FMA: the build is ISO
// C++ and GCC does not contract there.
template <class T>
struct RowVec;
#if defined(__AVX512F__)
template <>
struct RowVec<float> {
  using V = __m512;
  static constexpr int L = 16, kBlock = 8;
  static V load(const float* p) { return _mm512_loadu_ps(p); }
  static void store(float* p, V v) { _mm512_storeu_ps(p, v); }
  static V set1(float s) { return _mm512_set1_ps(s); }
  static V fma(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
  static V add(V a, V b) { return _mm512_add_ps(a, b); }
  static V load_n(const float* p, int64_t n) { return _mm512_maskz_loadu_ps(mask(n), p); }
  static void store_n(float* p, V v, int64_t n) { _mm512_mask_storeu_ps(p, mask(n), v); }
  static __mmask16 mask(int64_t n) { return static_cast<__mmask16>((1u << n) - 1u); }
  // p[i] = v[i] for lanes k0 <= i < k1 only (masked lanes are not touched).
  static void store_lanes(float* p, V v, int64_t k0, int64_t k1) {
    _mm512_mask_storeu_ps(p, static_cast<__mmask16>(mask(k1) & ~mask(k0)), v);
  }
};
template <>
struct RowVec<double> {
  using V = __m512d;
  static constexpr int L = 8, kBlock = 8;
  static V load(const double* p) { return _mm512_loadu_pd(p); }
  static void store(double* p, V v) { _mm512_storeu_pd(p, v); }
  static V set1(double s) { return _mm512_set1_pd(s); }
  static V fma(V a, V b, V c) { return _mm512_fmadd_pd(a, b, c); }
  static V add(V a, V b) { return _mm512_add_pd(a, b); }
  static V load_n(const double* p, int64_t n) { return _mm512_maskz_loadu_pd(mask(n), p); }
  static void store_n(double* p, V v, int64_t n) { _mm512_mask_storeu_pd(p, mask(n), v); }
  static __mmask8 mask(int64_t n) { return static_cast<__mmask8>((1u << n) - 1u); }
  static void store_lanes(double* p, V v, int64_t k0, int64_t k1) {
    _mm512_mask_storeu_pd(p, static_cast<__mmask8>(mask(k1) & ~mask(k0)), v);
  }
};
#elif defined(__AVX2__) && defined(__FMA__)
// 16 ymm registers: 4 channels x 2 vectors of accumulators leave room for inputs.
template <>
struct RowVec<float> {
  using V = __m256;
  static constexpr int L = 8, kBlock = 4;
  static V load(const float* p) { return _mm256_loadu_ps(p); }
  static void store(float* p, V v) { _mm256_storeu_ps(p, v); }
  static V set1(float s) { return _mm256_set1_ps(s); }
  static V fma(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
  static V add(V a, V b) { return _mm256_add_ps(a, b); }
  static V load_n(const float* p, int64_t n) { return _mm256_maskload_ps(p, mask(n)); }
  static void store_n(float* p, V v, int64_t n) { _mm256_maskstore_ps(p, mask(n), v); }
  // Lane i is on when i < n (the sign bit of each 32-bit mask lane).
  static __m256i mask(int64_t n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n)),
                              _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  }
  static void store_lanes(float* p, V v, int64_t k0, int64_t k1) {
    _mm256_maskstore_ps(p, _mm256_andnot_si256(mask(k0), mask(k1)), v);
  }
};
template <>
struct RowVec<double> {
  using V = __m256d;
  static constexpr int L = 4, kBlock = 4;
  static V load(const double* p) { return _mm256_loadu_pd(p); }
  static void store(double* p, V v) { _mm256_storeu_pd(p, v); }
  static V set1(double s) { return _mm256_set1_pd(s); }
  static V fma(V a, V b, V c) { return _mm256_fmadd_pd(a, b, c); }
  static V add(V a, V b) { return _mm256_add_pd(a, b); }
  static V load_n(const double* p, int64_t n) { return _mm256_maskload_pd(p, mask(n)); }
  static void store_n(double* p, V v, int64_t n) { _mm256_maskstore_pd(p, mask(n), v); }
  static __m256i mask(int64_t n) {
    return _mm256_cmpgt_epi64(_mm256_set1_epi64x(n), _mm256_setr_epi64x(0, 1, 2, 3));
  }
  static void store_lanes(double* p, V v, int64_t k0, int64_t k1) {
    _mm256_maskstore_pd(p, _mm256_andnot_si256(mask(k0), mask(k1)), v);
  }
};
#else  // baseline x86-64: SSE2, no FMA
template <>
struct RowVec<float> {
  using V = __m128;
  static constexpr int L = 4, kBlock = 4;
  static V load(const float* p) { return _mm_loadu_ps(p); }
  static void store(float* p, V v) { _mm_storeu_ps(p, v); }
  static V set1(float s) { return _mm_set1_ps(s); }
  static V fma(V a, V b, V c) { return _mm_add_ps(_mm_mul_ps(a, b), c); }
  static V add(V a, V b) { return _mm_add_ps(a, b); }
  static V load_n(const float* p, int64_t n) {
    alignas(16) float t[4] = {};
    for (int64_t i = 0; i < n; ++i) t[i] = p[i];
    return _mm_load_ps(t);
  }
  static void store_n(float* p, V v, int64_t n) { store_lanes(p, v, 0, n); }
  static void store_lanes(float* p, V v, int64_t k0, int64_t k1) {
    alignas(16) float t[4];
    _mm_store_ps(t, v);
    for (int64_t i = k0; i < k1; ++i) p[i] = t[i];
  }
};
template <>
struct RowVec<double> {
  using V = __m128d;
  static constexpr int L = 2, kBlock = 4;
  static V load(const double* p) { return _mm_loadu_pd(p); }
  static void store(double* p, V v) { _mm_storeu_pd(p, v); }
  static V set1(double s) { return _mm_set1_pd(s); }
  static V fma(V a, V b, V c) { return _mm_add_pd(_mm_mul_pd(a, b), c); }
  static V add(V a, V b) { return _mm_add_pd(a, b); }
  static V load_n(const double* p, int64_t n) {
    alignas(16) double t[2] = {};
    for (int64_t i = 0; i < n; ++i) t[i] = p[i];
    return _mm_load_pd(t);
  }
  static void store_n(double* p, V v, int64_t n) { store_lanes(p, v, 0, n); }
  static void store_lanes(double* p, V v, int64_t k0, int64_t k1) {
    alignas(16) double t[2];
    _mm_store_pd(t, v);
    for (int64_t i = k0; i < k1; ++i) p[i] = t[i];
  }
};
#endif

// First `n` lanes of p, the rest zero (tails of gradient rows, whose extra lanes must not
// count), and the store of the first `n` lanes: masked instructions, never touching memory past
// the row.
template <class T>
inline typename RowVec<T>::V rv_load_n(const T* p, int64_t n) {
  using R = RowVec<T>;
  if (n >= R::L) return R::load(p);
  return R::load_n(p, n > 0 ? n : 0);
}
template <class T>
inline void rv_store_n(T* p, typename RowVec<T>::V v, int64_t n) {
  using R = RowVec<T>;
  if (n >= R::L) {
    R::store(p, v);
  } else if (n > 0) {
    R::store_n(p, v, n);
  }
}

// The input rows (kd, kh) that output row (od, oh) reads inside the input, for channel 0:
// xo[i] is the row's offset in xp and tap[i] the index of its (kd, kh, 0) weight tap; channel c
// adds c * plane and c * K. Collected once per output row so that the tap loops below keep
// their accumulators in registers.
struct RowTaps {
  int64_t n = 0;
  int64_t xo[kConvRowsMaxKRows];
  int64_t tap[kConvRowsMaxKRows];
};

inline void row_taps(const ConvGeom& g, int64_t pw, int64_t od, int64_t oh, RowTaps* rt) {
  const int64_t ID = g.in[0], IH = g.in[1], KH = g.k[1], KW = g.k[2];
  rt->n = 0;
  for (int64_t kd = 0; kd < g.k[0]; ++kd) {
    const int64_t id = od * g.stride[0] + kd * g.dil[0] - g.pad[0];
    if (id < 0 || id >= ID) continue;
    for (int64_t kh = 0; kh < KH; ++kh) {
      const int64_t ih = oh * g.stride[1] + kh * g.dil[1] - g.pad[1];
      if (ih < 0 || ih >= IH) continue;
      rt->xo[rt->n] = (id * IH + ih) * pw;
      rt->tap[rt->n] = (kd * KH + kh) * KW;
      ++rt->n;
    }
  }
}

template <class T, int OB, int CH>
void rows_forward_block(const ConvGeom& g, const T* xp, int64_t pw, const T* wb, const T* b, T* y) {
  using R = RowVec<T>;
  using V = typename R::V;
  constexpr int L = R::L, BL = R::kBlock;
  const int64_t cg = g.c / g.groups, KW = g.k[2], dw = g.dil[2], OW = g.out[2];
  const int64_t out_s = g.out_size(), K = g.k_size(), plane = g.in[0] * g.in[1] * pw;
  RowTaps rt;
  for (int64_t od = 0; od < g.out[0]; ++od) {
    for (int64_t oh = 0; oh < g.out[1]; ++oh) {
      row_taps(g, pw, od, oh, &rt);
      T* yrow = y + (od * g.out[1] + oh) * OW;
      for (int64_t j = 0; j < OW; j += CH * L) {
        V acc[OB][CH];
        for (int q = 0; q < OB; ++q)
          for (int h = 0; h < CH; ++h) acc[q][h] = R::set1(b ? b[q] : T(0));
        for (int64_t c = 0; c < cg; ++c) {
          for (int64_t r = 0; r < rt.n; ++r) {
            const T* xr = xp + c * plane + rt.xo[r] + j;
            const T* wt = wb + (c * K + rt.tap[r]) * BL;
            for (int64_t kw = 0; kw < KW; ++kw, wt += BL) {
              V xv[CH];
              for (int h = 0; h < CH; ++h) xv[h] = R::load(xr + kw * dw + h * L);
              for (int q = 0; q < OB; ++q) {
                const V wv = R::set1(wt[q]);
                for (int h = 0; h < CH; ++h) acc[q][h] = R::fma(xv[h], wv, acc[q][h]);
              }
            }
          }
        }
        for (int q = 0; q < OB; ++q)
          for (int h = 0; h < CH; ++h)
            rv_store_n(yrow + q * out_s + j + h * L, acc[q][h], OW - j - h * L);
      }
    }
  }
}

// The forward over a whole plane at once (2-d and 1-d, stride 1 along H and W): with the input
// padded in H and W into rows of pwf elements, output (oh, ow) reads xf[oh * pwf + ow + offset]
// for one offset per tap, so the plane is a 1-d convolution over the flattened index oh * pwf +
// ow, and vectors run across row ends. Lanes with ow >= OW are computed and not stored. This
// avoids the per-row tail vector of rows_forward_block (LeNet's 24-wide rows would fill 32
// lanes; flattened, 24 of every 28 lanes are kept).
template <class T, int OB, int CH>
void rows_forward_flat_block(const ConvGeom& g, const T* xf, int64_t pwf, const int64_t* offs,
                             int64_t ntaps, const T* wb, const T* b, T* y) {
  using R = RowVec<T>;
  using V = typename R::V;
  constexpr int L = R::L, BL = R::kBlock;
  const int64_t OH = g.out[1], OW = g.out[2], out_s = g.out_size();
  const int64_t n = (OH - 1) * pwf + OW;  // flattened positions up to the last output
  for (int64_t j = 0; j < n; j += CH * L) {
    V acc[OB][CH];
    for (int q = 0; q < OB; ++q)
      for (int h = 0; h < CH; ++h) acc[q][h] = R::set1(b ? b[q] : T(0));
    for (int64_t t = 0; t < ntaps; ++t) {
      const T* xr = xf + offs[t] + j;
      const T* wt = wb + t * BL;
      V xv[CH];
      for (int h = 0; h < CH; ++h) xv[h] = R::load(xr + h * L);
      for (int q = 0; q < OB; ++q) {
        const V wv = R::set1(wt[q]);
        for (int h = 0; h < CH; ++h) acc[q][h] = R::fma(xv[h], wv, acc[q][h]);
      }
    }
    // Each vector covers flattened positions [s0, s0 + L): store its pieces that are outputs.
    for (int h = 0; h < CH; ++h) {
      const int64_t s0 = j + h * L, e = s0 + L < n ? s0 + L : n;
      for (int64_t s = s0; s < e;) {
        const int64_t oh = s / pwf, ow = s - oh * pwf;
        const int64_t row_end = (oh + 1) * pwf < e ? (oh + 1) * pwf : e;
        if (ow < OW) {
          const int64_t k0 = s - s0, cnt = (oh * pwf + OW < row_end ? oh * pwf + OW : row_end) - s;
          for (int q = 0; q < OB; ++q)
            R::store_lanes(y + q * out_s + oh * OW + ow - k0, acc[q][h], k0, k0 + cnt);
        }
        s = row_end;
      }
    }
  }
}

template <class T, int OB, int CH>
void rows_backward_input_block(const ConvGeom& g, const T* gy, const T* wb, T* gxp, int64_t pw) {
  using R = RowVec<T>;
  using V = typename R::V;
  constexpr int L = R::L, BL = R::kBlock;
  const int64_t cg = g.c / g.groups, KW = g.k[2], dw = g.dil[2], OW = g.out[2];
  const int64_t out_s = g.out_size(), K = g.k_size(), plane = g.in[0] * g.in[1] * pw;
  RowTaps rt;
  for (int64_t od = 0; od < g.out[0]; ++od) {
    for (int64_t oh = 0; oh < g.out[1]; ++oh) {
      row_taps(g, pw, od, oh, &rt);
      const T* grow = gy + (od * g.out[1] + oh) * OW;
      for (int64_t j = 0; j < OW; j += CH * L) {
        V gv[OB][CH];
        for (int q = 0; q < OB; ++q)
          for (int h = 0; h < CH; ++h)
            gv[q][h] = rv_load_n(grow + q * out_s + j + h * L, OW - j - h * L);
        for (int64_t c = 0; c < cg; ++c) {
          for (int64_t r = 0; r < rt.n; ++r) {
            T* xr = gxp + c * plane + rt.xo[r] + j;
            const T* wt = wb + (c * K + rt.tap[r]) * BL;
            for (int64_t kw = 0; kw < KW; ++kw, wt += BL) {
              V t[CH];
              for (int h = 0; h < CH; ++h) t[h] = R::load(xr + kw * dw + h * L);
              for (int q = 0; q < OB; ++q) {
                const V wv = R::set1(wt[q]);
                for (int h = 0; h < CH; ++h) t[h] = R::fma(gv[q][h], wv, t[h]);
              }
              for (int h = 0; h < CH; ++h) R::store(xr + kw * dw + h * L, t[h]);
            }
          }
        }
      }
    }
  }
}

template <class T, int OB, int CH>
void rows_backward_weight_block(const ConvGeom& g, const T* xp, int64_t pw, const T* gy, T* acc) {
  using R = RowVec<T>;
  using V = typename R::V;
  constexpr int L = R::L;
  const int64_t cg = g.c / g.groups, KW = g.k[2], dw = g.dil[2], OW = g.out[2];
  const int64_t out_s = g.out_size(), K = g.k_size(), taps = cg * K;
  const int64_t plane = g.in[0] * g.in[1] * pw;
  RowTaps rt;
  for (int64_t od = 0; od < g.out[0]; ++od) {
    for (int64_t oh = 0; oh < g.out[1]; ++oh) {
      row_taps(g, pw, od, oh, &rt);
      const T* grow = gy + (od * g.out[1] + oh) * OW;
      for (int64_t j = 0; j < OW; j += CH * L) {
        V gv[OB][CH];
        for (int q = 0; q < OB; ++q)
          for (int h = 0; h < CH; ++h)
            gv[q][h] = rv_load_n(grow + q * out_s + j + h * L, OW - j - h * L);
        for (int64_t c = 0; c < cg; ++c) {
          for (int64_t r = 0; r < rt.n; ++r) {
            const T* xr = xp + c * plane + rt.xo[r] + j;
            T* ar = acc + (c * K + rt.tap[r]) * L;
            for (int64_t kw = 0; kw < KW; ++kw) {
              V xv[CH];
              for (int h = 0; h < CH; ++h) xv[h] = R::load(xr + kw * dw + h * L);
              for (int q = 0; q < OB; ++q) {
                T* a = ar + (q * taps + kw) * L;
                V s = R::load(a);
                for (int h = 0; h < CH; ++h) s = R::fma(gv[q][h], xv[h], s);
                R::store(a, s);
              }
            }
          }
        }
      }
    }
  }
}

// Runs Block<OB, CH>::run(args...) for OB = n (1 .. kBlock) and CH = ch (1 or 2).
template <template <int, int> class Block, int OB, class... A>
void rows_dispatch_ob(int64_t n, int64_t ch, A&&... a) {
  if constexpr (OB > 1) {
    if (n < OB) return rows_dispatch_ob<Block, OB - 1>(n, ch, a...);
  }
  if (ch == 3) {
    Block<OB, 3>::run(a...);
  } else if (ch == 2) {
    Block<OB, 2>::run(a...);
  } else {
    Block<OB, 1>::run(a...);
  }
}

template <class T>
struct RowsFwd {
  template <int OB, int CH>
  struct B {
    static void run(const ConvGeom& g, const T* xp, int64_t pw, const T* wb, const T* b, T* y) {
      rows_forward_block<T, OB, CH>(g, xp, pw, wb, b, y);
    }
  };
};
template <class T>
struct RowsFwdFlat {
  template <int OB, int CH>
  struct B {
    static void run(const ConvGeom& g, const T* xf, int64_t pwf, const int64_t* offs, int64_t ntaps,
                    const T* wb, const T* b, T* y) {
      rows_forward_flat_block<T, OB, CH>(g, xf, pwf, offs, ntaps, wb, b, y);
    }
  };
};
template <class T>
struct RowsBwdIn {
  template <int OB, int CH>
  struct B {
    static void run(const ConvGeom& g, const T* gy, const T* wb, T* gxp, int64_t pw) {
      rows_backward_input_block<T, OB, CH>(g, gy, wb, gxp, pw);
    }
  };
};
template <class T>
struct RowsBwdW {
  template <int OB, int CH>
  struct B {
    static void run(const ConvGeom& g, const T* xp, int64_t pw, const T* gy, T* acc) {
      rows_backward_weight_block<T, OB, CH>(g, xp, pw, gy, acc);
    }
  };
};

// Two vectors along W when a row holds more than one.
template <class T>
int64_t rows_chunks(const ConvGeom& g) {
  return g.out[2] > RowVec<T>::L ? 2 : 1;
}

template <class T>
void rows_forward(const ConvGeom& g, const T* xp, int64_t pw, const T* wp, const T* b, int64_t ocg,
                  T* y) {
  constexpr int BL = RowVec<T>::kBlock;
  const int64_t wblk = (g.c / g.groups) * g.k_size() * BL, out_s = g.out_size();
  for (int64_t o0 = 0; o0 < ocg; o0 += BL) {
    rows_dispatch_ob<RowsFwd<T>::template B, BL>(ocg - o0, rows_chunks<T>(g), g, xp, pw,
                                                 wp + (o0 / BL) * wblk, b ? b + o0 : nullptr,
                                                 y + o0 * out_s);
  }
}

// xf: the group's planes padded to (hp, pwf) rows, plane after plane, plus a zero tail of at
// least 2 * lanes + pwf elements (see conv.cpp rows_flat_*). Taps are enumerated in the
// packed-weight order (c, kh, kw).
template <class T>
void rows_forward_flat(const ConvGeom& g, const T* xf, int64_t pwf, int64_t hp, const T* wp,
                       const T* b, int64_t ocg, T* y) {
  constexpr int BL = RowVec<T>::kBlock;
  const int64_t cg = g.c / g.groups, KH = g.k[1], KW = g.k[2];
  const int64_t ntaps = cg * KH * KW, wblk = ntaps * BL, out_s = g.out_size();
  int64_t offs[kConvRowsMaxFlatTaps];
  for (int64_t c = 0, t = 0; c < cg; ++c)
    for (int64_t kh = 0; kh < KH; ++kh)
      for (int64_t kw = 0; kw < KW; ++kw, ++t)
        offs[t] = c * hp * pwf + kh * g.dil[1] * pwf + kw * g.dil[2];
  const int64_t nflat = (g.out[1] - 1) * pwf + g.out[2];
  const int64_t ch = nflat > 2 * RowVec<T>::L ? 3 : (nflat > RowVec<T>::L ? 2 : 1);
  for (int64_t o0 = 0; o0 < ocg; o0 += BL) {
    rows_dispatch_ob<RowsFwdFlat<T>::template B, BL>(ocg - o0, ch, g, xf, pwf, offs, ntaps,
                                                     wp + (o0 / BL) * wblk, b ? b + o0 : nullptr,
                                                     y + o0 * out_s);
  }
}

template <class T>
void rows_backward_input(const ConvGeom& g, const T* gy, const T* wp, int64_t ocg, T* gxp,
                         int64_t pw) {
  constexpr int BL = RowVec<T>::kBlock;
  const int64_t wblk = (g.c / g.groups) * g.k_size() * BL, out_s = g.out_size();
  for (int64_t o0 = 0; o0 < ocg; o0 += BL) {
    rows_dispatch_ob<RowsBwdIn<T>::template B, BL>(ocg - o0, rows_chunks<T>(g), g, gy + o0 * out_s,
                                                   wp + (o0 / BL) * wblk, gxp, pw);
  }
}

template <class T>
void rows_backward_weight(const ConvGeom& g, const T* xp, int64_t pw, const T* gy, int64_t ocg,
                          T* acc) {
  constexpr int BL = RowVec<T>::kBlock, L = RowVec<T>::L;
  const int64_t taps = (g.c / g.groups) * g.k_size(), out_s = g.out_size();
  for (int64_t o0 = 0; o0 < ocg; o0 += BL) {
    rows_dispatch_ob<RowsBwdW<T>::template B, BL>(ocg - o0, rows_chunks<T>(g), g, xp, pw,
                                                  gy + o0 * out_s, acc + o0 * taps * L);
  }
}

#pragma GCC diagnostic pop

template <class T>
ConvRowKernels<T> rows_table() {
  return {RowVec<T>::L,          RowVec<T>::kBlock,       &rows_forward<T>,
          &rows_forward_flat<T>, &rows_backward_input<T>, &rows_backward_weight<T>};
}

}  // namespace

const ConvRowKernels<float>& conv_row_table_f32() {
  static const ConvRowKernels<float> t = rows_table<float>();
  return t;
}
const ConvRowKernels<double>& conv_row_table_f64() {
  static const ConvRowKernels<double> t = rows_table<double>();
  return t;
}

}  // namespace AX_ISA_NS
}  // namespace ax::cpu
