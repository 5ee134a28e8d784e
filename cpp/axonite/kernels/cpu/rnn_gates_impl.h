// The fused recurrent row passes of rnn_gates.h, compiled once per ISA: rnn_gates_{generic,avx2,
// avx512}.cpp define AX_ISA_NS and include this file with their own -m flags. Each pass is one
// `omp simd` loop over a row's units (the LSTM and GRU forwards: two, see lstm_forward_loop).
// Optional outputs select a template instance outside the loop (a null check inside it would have
// to be unswitched before the loop vectorizes). Every a * b + c that should fuse is an explicit mad
// and nothing else has that shape, so the vector body and the scalar tail round every element
// alike. One exception: the float32 LSTM forward under AVX-512 is written in intrinsics
// (lstm_forward_loop_f32x16), for the faster sigmoid and tanh of vecmath_avx512.h.
#include <cmath>
#include <cstdint>
#include <type_traits>

#include "axonite/kernels/cpu/rnn_gates.h"
#include "axonite/kernels/cpu/vecmath.h"
#if defined(__AVX512F__)
#include "axonite/kernels/cpu/vecmath_avx512.h"
#endif

#ifndef AX_ISA_NS
#error "define AX_ISA_NS before including rnn_gates_impl.h"
#endif

namespace ax::cpu::AX_ISA_NS {
namespace {

inline float mad(float a, float b, float c) { return math::mad(a, b, c); }
inline double mad(double a, double b, double c) { return a * b + c; }

template <class T>
inline T sigmoid(T x) {
  return math::sigmoid<T>(x);
}
template <class T>
inline T tanh(T x) {
  return math::tanh<T>(x);
}
template <class T>
inline T relu(T x) {
  return (x > T(0) || x != x) ? x : T(0);  // NaN propagates, as in torch.relu
}

// Calls f(std::true_type) or f(std::false_type): a run-time flag as a template argument.
template <class F>
void with_flag(bool flag, const F& f) {
  if (flag) {
    f(std::true_type{});
  } else {
    f(std::false_type{});
  }
}

// The pre-activation of one gate value g: g itself, hg[k] + bias[j] or g + (hg[k] + bias[j]).
template <GateIn kIn, class T>
inline T pre(T g, const T* hg, int64_t k, const T* bias, int64_t j) {
  if constexpr (kIn == GateIn::Ready) {
    return g;
  } else if constexpr (kIn == GateIn::Set) {
    return hg[k] + bias[j];
  } else {
    return g + (hg[k] + bias[j]);
  }
}

// Two loops: the four gate activations (independent of each other), then the cell update and
// tanh(c) that depend on them. One fused loop chains the gates into tanh(c) within every
// iteration, and that chain is longer than the out-of-order window can overlap: the split
// measured 4-10% faster on a 64 x 256 row block (38.3-40.8 -> 34.8-36.9 us), and the gate row
// is still in L1 for the second loop. Every element keeps its arithmetic, so no bit changes.
template <class T, GateIn kIn, bool kTanhC, bool kY>
[[gnu::flatten]] void lstm_forward_loop(const LstmForwardRow<T>& r, int64_t n) {
  T *g = r.g, *c_new = r.c_new, *tanh_c = r.tanh_c, *out = r.out, *y = r.y;
  const T *hg = r.hg, *bias = r.bias, *c = r.c;
  const int64_t gs = r.gs, hs = r.hs;
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) {
    g[i] = sigmoid(pre<kIn>(g[i], hg, i, bias, i));
    g[gs + i] = sigmoid(pre<kIn>(g[gs + i], hg, hs + i, bias, gs + i));
    g[2 * gs + i] = tanh(pre<kIn>(g[2 * gs + i], hg, 2 * hs + i, bias, 2 * gs + i));
    g[3 * gs + i] = sigmoid(pre<kIn>(g[3 * gs + i], hg, 3 * hs + i, bias, 3 * gs + i));
  }
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) {
    const T ig = g[i], f = g[gs + i], gg = g[2 * gs + i], o = g[3 * gs + i];
    const T cn = mad(f, c[i], ig * gg);
    const T tc = tanh(cn);
    c_new[i] = cn;
    if constexpr (kTanhC) tanh_c[i] = tc;
    out[i] = o * tc;
    if constexpr (kY) y[i] = o * tc;
  }
}

#if defined(__AVX512F__)
// 16 floats at p: all of them, or (kTail) the lanes in m, the others read as zero. A full
// vector's accesses are unmasked: masked stores measured slow on Zen 5 (the LSTM row pass
// 21.3 -> 17 us per 64 x 256 block when only the tail is masked).
template <bool kTail>
inline __m512 load16(__mmask16 m, const float* p) {
  return kTail ? _mm512_maskz_loadu_ps(m, p) : _mm512_loadu_ps(p);
}
template <bool kTail>
inline void store16(__mmask16 m, float* p, __m512 v) {
  if constexpr (kTail) {
    _mm512_mask_storeu_ps(p, m, v);
  } else {
    _mm512_storeu_ps(p, v);
  }
}

// float32 under AVX-512: lstm_forward_loop in intrinsics, for vecmath_avx512.h's sigmoid and
// tanh (faster and more accurate; see there). The LSTM forward is the case measured against
// oneDNN, whose GEMMs run at our rate: the gate pass is what is left to gain there. Units
// [i, i + 16) of one of the two loops; a row's tail runs the same vector code under a lane mask,
// so a unit's bits do not depend on where a thread's slice or the tail falls.
template <GateIn kIn, bool kTail>
[[gnu::always_inline]] inline void lstm_gates_f32x16(const LstmForwardRow<float>& r, int64_t i,
                                                     __mmask16 m) {
  for (int64_t q = 0; q < 4; ++q) {
    float* g = r.g + q * r.gs + i;
    __m512 p = load16<kTail>(m, g);
    if constexpr (kIn != GateIn::Ready) {
      const __m512 hb = _mm512_add_ps(load16<kTail>(m, r.hg + q * r.hs + i),
                                      load16<kTail>(m, r.bias + q * r.gs + i));
      p = kIn == GateIn::Set ? hb : _mm512_add_ps(p, hb);
    }
    store16<kTail>(m, g, q == 2 ? math::v512::tanh(p) : math::v512::sigmoid(p));
  }
}
template <bool kTanhC, bool kY, bool kTail>
[[gnu::always_inline]] inline void lstm_cell_f32x16(const LstmForwardRow<float>& r, int64_t i,
                                                    __mmask16 m) {
  const float* g = r.g + i;
  const __m512 ig = load16<kTail>(m, g), f = load16<kTail>(m, g + r.gs);
  const __m512 gg = load16<kTail>(m, g + 2 * r.gs), o = load16<kTail>(m, g + 3 * r.gs);
  const __m512 cn = _mm512_fmadd_ps(f, load16<kTail>(m, r.c + i), _mm512_mul_ps(ig, gg));
  const __m512 tc = math::v512::tanh(cn);
  const __m512 h = _mm512_mul_ps(o, tc);
  store16<kTail>(m, r.c_new + i, cn);
  if constexpr (kTanhC) store16<kTail>(m, r.tanh_c + i, tc);
  store16<kTail>(m, r.out + i, h);
  if constexpr (kY) store16<kTail>(m, r.y + i, h);
}
template <GateIn kIn, bool kTanhC, bool kY>
[[gnu::flatten]] void lstm_forward_loop_f32x16(const LstmForwardRow<float>& r, int64_t n) {
  const int64_t body = n / 16 * 16;
  const __mmask16 tail = static_cast<__mmask16>((1u << (n - body)) - 1);
  for (int64_t i = 0; i < body; i += 16) lstm_gates_f32x16<kIn, false>(r, i, 0);
  if (body < n) lstm_gates_f32x16<kIn, true>(r, body, tail);
  for (int64_t i = 0; i < body; i += 16) lstm_cell_f32x16<kTanhC, kY, false>(r, i, 0);
  if (body < n) lstm_cell_f32x16<kTanhC, kY, true>(r, body, tail);
}
#endif

template <class T>
void lstm_forward(const LstmForwardRow<T>& r, int64_t n) {
  with_flag(r.tanh_c != nullptr, [&](auto save_tc) {
    with_flag(r.y != nullptr, [&](auto copy_y) {
      constexpr bool kTC = decltype(save_tc)::value, kY = decltype(copy_y)::value;
      const auto run = [&](auto in) {
        constexpr GateIn kIn = decltype(in)::value;
#if defined(__AVX512F__)
        if constexpr (std::is_same_v<T, float>) {
          lstm_forward_loop_f32x16<kIn, kTC, kY>(r, n);
        } else {
          lstm_forward_loop<T, kIn, kTC, kY>(r, n);
        }
#else
        lstm_forward_loop<T, kIn, kTC, kY>(r, n);
#endif
      };
      switch (r.in) {
        case GateIn::Ready:
          return run(std::integral_constant<GateIn, GateIn::Ready>{});
        case GateIn::Set:
          return run(std::integral_constant<GateIn, GateIn::Set>{});
        case GateIn::Add:
          return run(std::integral_constant<GateIn, GateIn::Add>{});
      }
    });
  });
}

template <class T, bool kBias, bool kSave>
[[gnu::flatten]] void gru_forward_loop(const GruForwardRow<T>& r, int64_t n) {
  T *g = r.g, *hn_out = r.hn, *h_new = r.h_new, *y = r.y, *hprev = r.hprev;
  const T *hg = r.hg, *bias = r.bias, *bhn = r.bhn, *h = r.h;
  const int64_t gs = r.gs, hs = r.hs;
  // Two loops, as lstm_forward_loop: r and z first, then n and the update that need them
  // (64 x 256 block: 25.9-28.2 -> 21.7-23.1 us per step, same bits).
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) {
    if constexpr (kBias) {
      g[i] = sigmoid(g[i] + (hg[i] + bias[i]));
      g[gs + i] = sigmoid(g[gs + i] + (hg[hs + i] + bias[gs + i]));
    } else {
      g[i] = sigmoid(g[i] + hg[i]);
      g[gs + i] = sigmoid(g[gs + i] + hg[hs + i]);
    }
  }
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) {
    const T rg = g[i], z = g[gs + i];
    T hn, np;
    if constexpr (kBias) {
      hn = hg[2 * hs + i] + bhn[i];
      np = g[2 * gs + i] + mad(rg, hn, bias[2 * gs + i]);
    } else {
      hn = hg[2 * hs + i];
      np = mad(rg, hn, g[2 * gs + i]);
    }
    const T nn = tanh(np);
    const T hp = h[i];
    const T hv = mad(z, hp - nn, nn);  // (1 - z) n + z h, rounded as PyTorch does
    g[2 * gs + i] = nn;
    if constexpr (kSave) {
      hn_out[i] = hn;
      hprev[i] = hp;  // before h_new, which may alias h
      y[i] = hv;
    }
    h_new[i] = hv;
  }
}

template <class T>
void gru_forward(const GruForwardRow<T>& r, int64_t n) {
  with_flag(r.bias != nullptr, [&](auto bias) {
    with_flag(r.hprev != nullptr, [&](auto save) {
      gru_forward_loop<T, decltype(bias)::value, decltype(save)::value>(r, n);
    });
  });
}

template <class T, GateIn kIn, bool kRelu, bool kSave>
[[gnu::flatten]] void rnn_forward_loop(const RnnForwardRow<T>& r, int64_t n) {
  T *g = r.g, *h_new = r.h_new, *y = r.y, *hprev = r.hprev;
  const T *hg = r.hg, *bias = r.bias, *h = r.h;
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) {
    const T p = pre<kIn>(g[i], hg, i, bias, i);
    const T v = kRelu ? relu(p) : tanh(p);
    g[i] = v;
    if constexpr (kSave) {
      hprev[i] = h[i];  // before h_new, which may alias h
      y[i] = v;
    }
    h_new[i] = v;
  }
}

template <class T>
void rnn_forward(const RnnForwardRow<T>& r, int64_t n) {
  with_flag(r.relu, [&](auto is_relu) {
    with_flag(r.hprev != nullptr, [&](auto save) {
      constexpr bool kRelu = decltype(is_relu)::value, kSave = decltype(save)::value;
      if (r.in == GateIn::Add) {
        rnn_forward_loop<T, GateIn::Add, kRelu, kSave>(r, n);
      } else {
        rnn_forward_loop<T, GateIn::Set, kRelu, kSave>(r, n);
      }
    });
  });
}

template <class T, bool kDcPrev>
void lstm_backward_loop(const LstmBackwardRow<T>& r, int64_t n) {
  const T *g = r.g, *tanh_c = r.tanh_c, *c = r.c, *dh = r.dh, *dc = r.dc;
  T *dg = r.dg, *dc_prev = r.dc_prev;
  const int64_t gs = r.gs;
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) {
    const T ig = g[i], f = g[gs + i], gg = g[2 * gs + i], o = g[3 * gs + i], tc = tanh_c[i];
    const T d = dh[i];
    const T dct = mad(d * o, mad(-tc, tc, T(1)), dc[i]);
    dg[i] = dct * gg * ig * (T(1) - ig);
    dg[gs + i] = dct * c[i] * f * (T(1) - f);
    dg[2 * gs + i] = dct * ig * mad(-gg, gg, T(1));
    dg[3 * gs + i] = d * tc * o * (T(1) - o);
    if constexpr (kDcPrev) dc_prev[i] = dct * f;
  }
}

template <class T>
void lstm_backward(const LstmBackwardRow<T>& r, int64_t n) {
  with_flag(r.dc_prev != nullptr,
            [&](auto dcp) { lstm_backward_loop<T, decltype(dcp)::value>(r, n); });
}

template <class T>
void gru_backward(const GruBackwardRow<T>& r, int64_t n) {
  const T *g = r.g, *hn = r.hn, *h = r.h, *dh = r.dh;
  T *dg = r.dg, *dhg = r.dhg, *dd = r.dh_direct;
  const int64_t gs = r.gs;
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) {
    const T rg = g[i], z = g[gs + i], nn = g[2 * gs + i], d = dh[i];
    const T dn = d * (T(1) - z) * mad(-nn, nn, T(1));
    const T dr = dn * hn[i] * rg * (T(1) - rg);
    const T dz = d * (h[i] - nn) * z * (T(1) - z);
    dg[i] = dr;
    dg[gs + i] = dz;
    dg[2 * gs + i] = dn;
    dhg[i] = dr;
    dhg[gs + i] = dz;
    dhg[2 * gs + i] = dn * rg;
    dd[i] = d * z;
  }
}

template <class T>
void rnn_backward(const RnnBackwardRow<T>& r, int64_t n) {
  const T *g = r.g, *dh = r.dh;
  T* dg = r.dg;
  if (r.relu) {
#pragma omp simd
    for (int64_t i = 0; i < n; ++i) dg[i] = g[i] > T(0) ? dh[i] : T(0);
  } else {
#pragma omp simd
    for (int64_t i = 0; i < n; ++i) dg[i] = dh[i] * mad(-g[i], g[i], T(1));
  }
}

template <class T>
RnnGateKernels<T> make_table() {
  return {&lstm_forward<T>,  &gru_forward<T>,  &rnn_forward<T>,
          &lstm_backward<T>, &gru_backward<T>, &rnn_backward<T>};
}

}  // namespace

const RnnGateKernels<float>& rnn_gate_table_f32() {
  static const RnnGateKernels<float> t = make_table<float>();
  return t;
}
const RnnGateKernels<double>& rnn_gate_table_f64() {
  static const RnnGateKernels<double> t = make_table<double>();
  return t;
}

}  // namespace ax::cpu::AX_ISA_NS
