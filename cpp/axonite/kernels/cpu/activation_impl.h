// Pointwise activation and PReLU kernels, compiled once per ISA: activation_{generic,avx2,
// avx512}.cpp define AX_ISA_NS and include this file (and softmax_impl.h) with their own -m
// flags. Each activation is a functor with a scalar forward and backward written branch-free
// (selects between computed values) over vecmath's polynomial exp/log/tanh, so the `omp simd`
// loops vectorize in float32; float64 calls libm.
#include <cmath>
#include <cstdint>
#include <type_traits>

#include "axonite/kernels/activation.h"
#include "axonite/kernels/cpu/vecmath.h"
#if defined(__AVX512F__)
#include "axonite/kernels/cpu/vecmath_avx512.h"
#endif

#ifndef AX_ISA_NS
#error "define AX_ISA_NS before including activation_impl.h"
#endif

namespace ax::cpu::AX_ISA_NS {
namespace {

template <class T>
struct Prm {
  T a, b, c;
};

// ---- scalar math: float32 vectorizable approximations, float64 libm ------------------------

inline float mad_(float a, float b, float c) { return math::mad(a, b, c); }
inline double mad_(double a, double b, double c) { return a * b + c; }

template <class T>
inline T ex(T x) {
  return math::exp<T>(x);
}

inline double em1(double x) { return std::expm1(x); }
inline float em1(float x) {
  // |x| < ln2/2: exp's reduced-range polynomial without its leading 1 (no cancellation near 0;
  // same coefficients as vecmath's expf), else exp(x) - 1.
  float p = 1.9875691500e-4f;
  p = mad_(p, x, 1.3981999507e-3f);
  p = mad_(p, x, 8.3334519073e-3f);
  p = mad_(p, x, 4.1665795894e-2f);
  p = mad_(p, x, 1.6666665459e-1f);
  p = mad_(p, x, 5.0000001201e-1f);
  const float small = mad_(p, x * x, x);
  const float big = math::exp<float>(x) - 1.0f;
  return (x > -0.34657359f && x < 0.34657359f) ? small : big;
}

inline double l1p(double x) { return std::log1p(x); }
inline float l1p(float x) {
  // log(1 + x) corrected for the rounding of 1 + x, so tiny x keep full relative precision.
  const float u = 1.0f + x;
  const float d = u - 1.0f;
  const float l = math::log<float>(u);
  const float r = d == 0.0f ? x : l * (x / d);
  return x == INFINITY ? x : r;
}

// e^x for x <= 0 (no overflow handling needed).
inline double exn(double x) { return std::exp(x); }
inline float exn(float x) { return math::detail::expf_nonpos(x); }

// 1 / d for d in [1, 8]: bit-trick seed, then three Newton steps (~1 ulp). Cheaper than a
// vector division, whose throughput is a fraction of an FMA's.
inline float recip(float d) {
  float y = math::detail::bits_to_float(0x7EF311C3 - math::detail::float_to_bits(d));
  y = mad_(y, mad_(-d, y, 1.0f), y);  // (unrolled: a loop here blocks vectorization)
  y = mad_(y, mad_(-d, y, 1.0f), y);
  return mad_(y, mad_(-d, y, 1.0f), y);
}

// Standard normal CDF Phi(x) and exp(-x^2 / 2) (the unnormalized density), sharing one exp.
inline void normal_parts(double x, double& cdf, double& e) {
  cdf = 0.5 * std::erfc(-x * 0.70710678118654752440);
  e = std::exp(-0.5 * x * x);
}
inline void normal_parts(float x, float& cdf, float& e) {
  // erfc(a) = exp(-a^2) Q(1 / (1 + 0.325 a)) for a = |x| / sqrt(2), with Q a least-squares fit
  // of erfc(a) exp(a^2) on [0, 10.5] (relative error < 5e-8 before rounding; ~7 ulp in float).
  // Then Phi(x) = 1 - erfc(a) / 2 for x > 0, erfc(a) / 2 otherwise: accurate relative to Phi
  // also in the left tail, where 1 + erf(x / sqrt 2) would cancel.
  const float xa = x < 0.0f ? -x : x;
  const float xc = xa > 14.5f ? 14.5f : xa;  // e^(-14.5^2 / 2) rounds to 0
  // exp(-x^2 / 2) with x^2 split into hi + lo (exact where FMA exists): the exponent reaches
  // 100, so rounding x^2 first would cost up to ~100 ulp of relative error in the tail.
  const float hx = xc * xc;
  const float lx = mad_(xc, xc, -hx);
  e = exn(-0.5f * hx) * mad_(-0.5f, lx, 1.0f);
  const float t = recip(mad_(0.22980970f, xc, 1.0f));
  float q = -1.581527590751648e-1f;
  q = mad_(q, t, 5.879006385803223e-1f);
  q = mad_(q, t, -5.686072111129761e-1f);
  q = mad_(q, t, 6.149196624755859e-1f);
  q = mad_(q, t, -7.295868545770645e-2f);
  q = mad_(q, t, 2.4148698151111603e-1f);
  q = mad_(q, t, 1.7079269886016846e-1f);
  q = mad_(q, t, 1.846780776977539e-1f);
  q = mad_(q, t, -5.9443391364766285e-05f);
  const float ec = e * q;
  cdf = x > 0.0f ? mad_(-0.5f, ec, 1.0f) : 0.5f * ec;
}

// ---- one functor per activation: f(x) and g * f'(x) (from y for Relu, Sigmoid, Tanh) -------

struct ReluF {
  template <class T>
  static T f(T x, const Prm<T>&) {
    return (x > T(0) || x != x) ? x : T(0);  // NaN propagates, as in torch.relu
  }
  template <class T>
  static T df(T g, T y, const Prm<T>&) {
    return y > T(0) ? g : T(0);
  }
};

struct SigmoidF {
  template <class T>
  static T f(T x, const Prm<T>&) {
    return math::sigmoid<T>(x);
  }
#if defined(__AVX512F__)
  static __m512 f32x16(__m512 x) { return math::v512::sigmoid(x); }
#endif
  template <class T>
  static T df(T g, T y, const Prm<T>&) {
    return g * (T(1) - y) * y;
  }
};

struct TanhF {
  template <class T>
  static T f(T x, const Prm<T>&) {
    return math::tanh<T>(x);
  }
#if defined(__AVX512F__)
  static __m512 f32x16(__m512 x) { return math::v512::tanh(x); }
#endif
  template <class T>
  static T df(T g, T y, const Prm<T>&) {
    return g * (T(1) - y * y);
  }
};

struct LeakyReluF {
  template <class T>
  static T f(T x, const Prm<T>& p) {
    return x > T(0) ? x : x * p.a;
  }
  template <class T>
  static T df(T g, T x, const Prm<T>& p) {
    return x > T(0) ? g : g * p.a;
  }
};

// Prm for Elu/Celu: a = alpha * scale (negcoef), b = scale, c = input_scale (see make_prm).
struct EluF {
  template <class T>
  static T f(T x, const Prm<T>& p) {
    const T neg = em1(x * p.c) * p.a;
    return x > T(0) ? x * p.b : neg;
  }
  template <class T>
  static T df(T g, T x, const Prm<T>& p) {
    const T neg = g * (p.c * p.a) * ex(x * p.c);
    return x > T(0) ? g * p.b : neg;
  }
};

struct GeluF {
  template <class T>
  static T f(T x, const Prm<T>&) {
    T cdf, e;
    normal_parts(x, cdf, e);
    return x * cdf;
  }
  template <class T>
  static T df(T g, T x, const Prm<T>&) {
    T cdf, e;
    normal_parts(x, cdf, e);
    return g * mad_(x * T(0.39894228040143267794), e, cdf);  // Phi + x phi
  }
};

struct GeluTanhF {
  static constexpr double kBeta = 0.79788456080286535588;  // sqrt(2 / pi)
  static constexpr double kKappa = 0.044715;
  template <class T>
  static T f(T x, const Prm<T>&) {
    const T inner = T(kBeta) * (x + T(kKappa) * x * x * x);
    return T(0.5) * x * (T(1) + math::tanh<T>(inner));
  }
  template <class T>
  static T df(T g, T x, const Prm<T>&) {
    const T x2 = x * x;
    const T t = math::tanh<T>(T(kBeta) * (x + T(kKappa) * x2 * x));
    const T left = T(0.5) * (T(1) + t);
    const T right = T(0.5) * x * (T(1) - t * t) * T(kBeta) * (T(1) + T(3 * kKappa) * x2);
    return g * (left + right);
  }
};

struct SiluF {
  template <class T>
  static T f(T x, const Prm<T>&) {
    return x / (T(1) + ex(-x));
  }
  template <class T>
  static T df(T g, T x, const Prm<T>&) {
    const T s = T(1) / (T(1) + ex(-x));
    return g * s * (T(1) + x * (T(1) - s));
  }
};

// tanh(softplus(x)) = n / (n + 2) with n = e (e + 2), e = exp(x): one exp, no cancellation.
struct MishF {
  template <class T>
  static T tsp(T e, T x) {
    const T n = e * (e + T(2));
    return x > T(20) ? T(1) : n / (n + T(2));
  }
  template <class T>
  static T f(T x, const Prm<T>&) {
    const T e = ex(x < T(20) ? x : T(20));
    return x * tsp(e, x);
  }
  template <class T>
  static T df(T g, T x, const Prm<T>&) {
    const T e = ex(x < T(20) ? x : T(20));
    const T n = e * (e + T(2));
    const T t = tsp(e, x);
    const T one_minus_t2 = T(4) * (n + T(1)) / ((n + T(2)) * (n + T(2)));
    const T sig = e / (T(1) + e);
    return g * (t + x * sig * one_minus_t2);
  }
};

// softplus(z) = max(z, 0) + log1p(exp(-|z|)) (stable form); z = beta x, threshold in p.b.
struct SoftplusF {
  template <class T>
  static T f(T x, const Prm<T>& p) {
    const T z = x * p.a;
    const T az = z < T(0) ? -z : z;
    const T sp = ((z > T(0) ? z : T(0)) + l1p(exn(-az))) / p.a;
    return (z > p.b || x != x) ? x : sp;
  }
  template <class T>
  static T df(T g, T x, const Prm<T>& p) {
    const T z = x * p.a;
    const T az = z < T(0) ? -z : z;
    const T e = exn(-az);
    const T sig = (z >= T(0) ? T(1) : e) / (T(1) + e);
    return z > p.b ? g : g * sig;
  }
};

struct SoftsignF {
  template <class T>
  static T f(T x, const Prm<T>&) {
    return x / (T(1) + (x < T(0) ? -x : x));
  }
  template <class T>
  static T df(T g, T x, const Prm<T>&) {
    const T d = T(1) + (x < T(0) ? -x : x);
    return g / (d * d);
  }
};

struct HardtanhF {
  template <class T>
  static T f(T x, const Prm<T>& p) {
    return x < p.a ? p.a : (x > p.b ? p.b : x);
  }
  template <class T>
  static T df(T g, T x, const Prm<T>& p) {
    return (x <= p.a || x >= p.b) ? T(0) : g;
  }
};

struct HardsigmoidF {
  template <class T>
  static T f(T x, const Prm<T>&) {
    const T r = x + T(3);
    const T lo = r < T(0) ? T(0) : r;
    return (T(6) < lo ? T(6) : lo) / T(6);
  }
  template <class T>
  static T df(T g, T x, const Prm<T>&) {
    return (x > T(-3) && x < T(3)) ? g / T(6) : T(0);
  }
};

struct HardswishF {
  template <class T>
  static T f(T x, const Prm<T>&) {
    const T r = x + T(3);
    const T lo = r < T(0) ? T(0) : r;
    return x * (T(6) < lo ? T(6) : lo) / T(6);
  }
  template <class T>
  static T df(T g, T x, const Prm<T>&) {
    const T mid = g * (x / T(3) + T(0.5));
    return x <= T(-3) ? T(0) : (x < T(3) ? mid : g);
  }
};

struct LogSigmoidF {
  template <class T>
  static T f(T x, const Prm<T>&) {
    const T ax = x < T(0) ? -x : x;
    const T r = (x < T(0) ? x : T(0)) - l1p(exn(-ax));
    return x != x ? x : r;
  }
  template <class T>
  static T df(T g, T x, const Prm<T>&) {
    const T e = exn(x < T(0) ? x : -x);
    return g * (x < T(0) ? T(1) : e) / (T(1) + e);  // g sigmoid(-x)
  }
};

struct ThresholdF {
  template <class T>
  static T f(T x, const Prm<T>& p) {
    return x <= p.a ? p.b : x;
  }
  template <class T>
  static T df(T g, T x, const Prm<T>& p) {
    return x <= p.a ? T(0) : g;
  }
};

struct StepF {
  template <class T>
  static T f(T x, const Prm<T>& p) {
    const T v = x > p.a ? T(1) : (x == p.a ? p.b : T(0));
    return x != x ? x : v;
  }
  template <class T>
  static T df(T, T, const Prm<T>&) {
    return T(0);  // piecewise constant, like torch.sign / heaviside
  }
};

// ---- loops ------------------------------------------------------------------------------------

template <class T>
Prm<T> make_prm(Act op, const ActParams& ap) {
  if (op == Act::Elu || op == Act::Celu)
    return Prm<T>{static_cast<T>(ap.a * ap.b), static_cast<T>(ap.b), static_cast<T>(ap.c)};
  return Prm<T>{static_cast<T>(ap.a), static_cast<T>(ap.b), static_cast<T>(ap.c)};
}

// y may alias x (in-place forms): each element is read before it is written. Under AVX-512,
// float32 sigmoid and tanh use vecmath_avx512.h's faster and more accurate 16-lane forms.
template <class T, class F, Act kOp>
void forward_loop(void* yv, const void* xv, int64_t n, const ActParams& ap) {
  const Prm<T> p = make_prm<T>(kOp, ap);
  T* y = static_cast<T*>(yv);
  const T* x = static_cast<const T*>(xv);
#if defined(__AVX512F__)
  if constexpr (std::is_same_v<T, float> && math::v512::has_f32x16<F>::value) {
    math::v512::map(x, y, n, F::f32x16);
    return;
  }
#endif
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) y[i] = F::f(x[i], p);
}

template <class T, class F, Act kOp>
void backward_loop(void* gxv, const void* gv, const void* xyv, int64_t n, int64_t gs,
                   const ActParams& ap) {
  const Prm<T> p = make_prm<T>(kOp, ap);
  T* gx = static_cast<T*>(gxv);
  const T* g = static_cast<const T*>(gv);
  const T* xy = static_cast<const T*>(xyv);
  if (gs == 0) {
    const T g0 = *g;
#pragma omp simd
    for (int64_t i = 0; i < n; ++i) gx[i] = F::df(g0, xy[i], p);
  } else {
#pragma omp simd
    for (int64_t i = 0; i < n; ++i) gx[i] = F::df(g[i], xy[i], p);
  }
}

template <class T, template <class, class, Act> class L, class K>
K table(Act op) {
  switch (op) {
    case Act::Relu:
      return L<T, ReluF, Act::Relu>::get();
    case Act::Sigmoid:
      return L<T, SigmoidF, Act::Sigmoid>::get();
    case Act::Tanh:
      return L<T, TanhF, Act::Tanh>::get();
    case Act::LeakyRelu:
      return L<T, LeakyReluF, Act::LeakyRelu>::get();
    case Act::Elu:
      return L<T, EluF, Act::Elu>::get();
    case Act::Celu:
      return L<T, EluF, Act::Celu>::get();
    case Act::Gelu:
      return L<T, GeluF, Act::Gelu>::get();
    case Act::GeluTanh:
      return L<T, GeluTanhF, Act::GeluTanh>::get();
    case Act::Silu:
      return L<T, SiluF, Act::Silu>::get();
    case Act::Mish:
      return L<T, MishF, Act::Mish>::get();
    case Act::Softplus:
      return L<T, SoftplusF, Act::Softplus>::get();
    case Act::Softsign:
      return L<T, SoftsignF, Act::Softsign>::get();
    case Act::Hardtanh:
      return L<T, HardtanhF, Act::Hardtanh>::get();
    case Act::Hardsigmoid:
      return L<T, HardsigmoidF, Act::Hardsigmoid>::get();
    case Act::Hardswish:
      return L<T, HardswishF, Act::Hardswish>::get();
    case Act::LogSigmoid:
      return L<T, LogSigmoidF, Act::LogSigmoid>::get();
    case Act::Threshold:
      return L<T, ThresholdF, Act::Threshold>::get();
    case Act::Step:
      return L<T, StepF, Act::Step>::get();
    case Act::Count:
      break;
  }
  return nullptr;
}

template <class T, class F, Act kOp>
struct Fwd {
  static ActForwardKernel get() { return forward_loop<T, F, kOp>; }
};
template <class T, class F, Act kOp>
struct Bwd {
  static ActBackwardKernel get() { return backward_loop<T, F, kOp>; }
};

// ---- PReLU --------------------------------------------------------------------------------

// x: (N, C, S), w: (C,) -> y: (N, C, S)
template <class T>
void prelu_fwd(void* yv, const void* xv, const void* wv, int64_t N, int64_t C, int64_t S) {
  T* y = static_cast<T*>(yv);
  const T* x = static_cast<const T*>(xv);
  const T* w = static_cast<const T*>(wv);
  for (int64_t n = 0; n < N; ++n) {
    if (S == 1) {  // (N, C): vectorize across channels
      const T* xr = x + n * C;
      T* yr = y + n * C;
#pragma omp simd
      for (int64_t c = 0; c < C; ++c) yr[c] = xr[c] > T(0) ? xr[c] : w[c] * xr[c];
      continue;
    }
    for (int64_t c = 0; c < C; ++c) {
      const T a = w[c];
      const T* xr = x + (n * C + c) * S;
      T* yr = y + (n * C + c) * S;
#pragma omp simd
      for (int64_t s = 0; s < S; ++s) yr[s] = xr[s] > T(0) ? xr[s] : a * xr[s];
    }
  }
}

// g, x: (N, C, S), w: (C,) -> gx: (N, C, S); gw_acc[c] += sum over n, s of (x > 0 ? 0 : x g)
template <class T>
void prelu_bwd(void* gxv, double* gw_acc, const void* gv, const void* xv, const void* wv, int64_t N,
               int64_t C, int64_t S) {
  T* gx = static_cast<T*>(gxv);
  const T* g = static_cast<const T*>(gv);
  const T* x = static_cast<const T*>(xv);
  const T* w = static_cast<const T*>(wv);
  for (int64_t n = 0; n < N; ++n) {
    if (S == 1) {
      const int64_t o = n * C;
#pragma omp simd
      for (int64_t c = 0; c < C; ++c) {
        const bool pos = x[o + c] > T(0);
        gx[o + c] = pos ? g[o + c] : w[c] * g[o + c];
        gw_acc[c] += pos ? 0.0 : static_cast<double>(x[o + c] * g[o + c]);
      }
      continue;
    }
    for (int64_t c = 0; c < C; ++c) {
      const T a = w[c];
      const int64_t o = (n * C + c) * S;
      T acc = 0;
#pragma omp simd reduction(+ : acc)
      for (int64_t s = 0; s < S; ++s) {
        const bool pos = x[o + s] > T(0);
        gx[o + s] = pos ? g[o + s] : a * g[o + s];
        acc += pos ? T(0) : x[o + s] * g[o + s];
      }
      gw_acc[c] += static_cast<double>(acc);
    }
  }
}

}  // namespace

ActForwardKernel act_forward_kernel(Act op, DType dt) {
  if (dt == DType::Float32) return table<float, Fwd, ActForwardKernel>(op);
  if (dt == DType::Float64) return table<double, Fwd, ActForwardKernel>(op);
  return nullptr;
}

ActBackwardKernel act_backward_kernel(Act op, DType dt) {
  if (dt == DType::Float32) return table<float, Bwd, ActBackwardKernel>(op);
  if (dt == DType::Float64) return table<double, Bwd, ActBackwardKernel>(op);
  return nullptr;
}

PreluKernels prelu_kernels(DType dt) {
  if (dt == DType::Float64) return PreluKernels{prelu_fwd<double>, prelu_bwd<double>};
  return PreluKernels{prelu_fwd<float>, prelu_bwd<float>};
}

}  // namespace ax::cpu::AX_ISA_NS
