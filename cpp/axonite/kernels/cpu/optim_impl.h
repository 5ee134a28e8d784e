// Optimizer inner loops, compiled once per ISA: optim_{generic,avx2,avx512}.cpp define AX_ISA_NS
// and include this file with their own -m flags. Each loop updates elements [b, e) of one
// tensor. See Note [Optimizer rounding].
#include <cmath>
#include <cstdint>

#include "axonite/kernels/optim.h"

#ifndef AX_ISA_NS
#error "define AX_ISA_NS before including optim_impl.h"
#endif

// Note [Optimizer rounding]
// The arithmetic follows PyTorch's single-tensor (foreach=False) optimizers op by op, with every
// scalar rounded to the tensor's dtype first, as ATen does with Python scalars. ATen's CPU
// kernels fuse some of those ops (add with alpha, addcmul and lerp compute a*b+c with one
// rounding, on FMA hardware) and not others (mul then add, addcdiv), so we write exactly those
// fusions as fma() and forbid the compiler from contracting anything else: then trajectories
// match torch.optim bit for bit where ATen's float sqrt is correctly rounded (it is not always),
// which matters for ill-conditioned updates such as centered RMSprop, and every ISA level
// computes the same bits.
#pragma GCC push_options
#pragma GCC optimize("fp-contract=off")

namespace ax::cpu::AX_ISA_NS {
namespace {

// a * b + c with one rounding, as ATen's fused ops on FMA hardware. Without -mfma (the generic
// build) this is a libm call: slower, but every ISA then gives the same bits.
template <class T>
inline T fma(T a, T b, T c) {
  return std::fma(a, b, c);
}

// torch.lerp's two-sided formula: the form used depends on |w| < 0.5, for accuracy near w = 1.
template <class T>
inline T lerp(T a, T b, T w, bool small) {
  return small ? fma(w, b - a, a) : fma(w - T(1), b - a, b);
}

// torch.maximum: NaN wins.
template <class T>
inline T nan_max(T a, T b) {
  T r = b > a ? b : a;
  r = a != a ? a : r;
  return b != b ? b : r;
}

template <class T>
inline T* at(void* const* slot, int64_t i) {
  return static_cast<T*>(slot[i]);
}
template <class T>
inline const T* at(const void* const* slot, int64_t i) {
  return static_cast<const T*>(slot[i]);
}

// Weight-decay modes shared by the loops: none, L2 (g += wd * p), decoupled (p *= 1 - lr wd).
enum Wd { kNoWd = 0, kL2 = 1, kDecoupled = 2 };

// p: (n,), g: (n,), buf: (n,) -> p, buf updated in place.
template <class T, bool kWd, int kMom /*0 none, 1 heavy ball, 2 nesterov*/>
void sgd_loop(const MultiTensor&, const SgdArgs& a, int64_t i, int64_t b, int64_t e) {
  T* __restrict p = at<T>(a.param, i) + b;
  const T* __restrict g = at<T>(a.grad, i) + b;
  const int64_t n = e - b;
  const T sgn = a.maximize ? T(-1) : T(1), wd = T(a.weight_decay), neg_lr = T(-a.lr);
  const T mom = T(a.momentum), damp1 = T(1 - a.dampening);
  if constexpr (kMom == 0) {
#pragma omp simd
    for (int64_t k = 0; k < n; ++k) {
      T gk = sgn * g[k];
      if constexpr (kWd) gk = fma(wd, p[k], gk);
      p[k] = fma(neg_lr, gk, p[k]);
    }
    return;
  }
  T* __restrict buf = at<T>(a.buf, i) + b;
  const bool fresh = a.buf_fresh[i] != 0;  // torch: buf = grad.clone() on the first step
#pragma omp simd
  for (int64_t k = 0; k < n; ++k) {
    T gk = sgn * g[k];
    if constexpr (kWd) gk = fma(wd, p[k], gk);
    const T bk = fresh ? gk : fma(damp1, gk, buf[k] * mom);
    buf[k] = bk;
    const T d = kMom == 2 ? fma(mom, bk, gk) : bk;
    p[k] = fma(neg_lr, d, p[k]);
  }
}

// p, g, exp_avg, exp_avg_sq (, max_exp_avg_sq): (n,) -> updated in place.
template <class T, int kWd, bool kAms>
void adam_loop(const MultiTensor&, const AdamArgs& a, int64_t i, int64_t b, int64_t e) {
  T* __restrict p = at<T>(a.param, i) + b;
  const T* __restrict g = at<T>(a.grad, i) + b;
  T* __restrict m = at<T>(a.exp_avg, i) + b;
  T* __restrict v = at<T>(a.exp_avg_sq, i) + b;
  T* __restrict vmax = kAms ? at<T>(a.max_exp_avg_sq, i) + b : nullptr;
  const int64_t n = e - b;
  const T sgn = a.maximize ? T(-1) : T(1), wd = T(a.weight_decay);
  const T decay = T(1 - a.lr * a.weight_decay);
  const T w1 = T(1 - a.beta1), beta2 = T(a.beta2), w2 = T(1 - a.beta2);
  const bool small = std::fabs(w1) < T(0.5);
  const T bc2_sqrt = T(a.bc2_sqrt[i]), eps = T(a.eps), neg_step = T(-a.step_size[i]);
#pragma omp simd
  for (int64_t k = 0; k < n; ++k) {
    T gk = sgn * g[k];
    T pk = p[k];
    if constexpr (kWd == kDecoupled) pk = pk * decay;
    if constexpr (kWd == kL2) gk = fma(wd, pk, gk);
    const T mk = lerp(m[k], gk, w1, small);
    const T vk = fma(w2 * gk, gk, v[k] * beta2);
    m[k] = mk;
    v[k] = vk;
    T vs = vk;
    if constexpr (kAms) {
      vs = nan_max(vmax[k], vk);
      vmax[k] = vs;
    }
    const T denom = std::sqrt(vs) / bc2_sqrt + eps;
    p[k] = pk + neg_step * mk / denom;
  }
}

// p, g, exp_avg, exp_avg_sq: (n,) -> updated in place.
template <class T, int kWd>
void nadam_loop(const MultiTensor&, const NadamArgs& a, int64_t i, int64_t b, int64_t e) {
  T* __restrict p = at<T>(a.param, i) + b;
  const T* __restrict g = at<T>(a.grad, i) + b;
  T* __restrict m = at<T>(a.exp_avg, i) + b;
  T* __restrict v = at<T>(a.exp_avg_sq, i) + b;
  const int64_t n = e - b;
  const T sgn = a.maximize ? T(-1) : T(1), wd = T(a.weight_decay);
  const T decay = T(1 - a.lr * a.weight_decay);
  const T w1 = T(1 - a.beta1), beta2 = T(a.beta2), w2 = T(1 - a.beta2);
  const bool small = std::fabs(w1) < T(0.5);
  const T bc2 = T(a.bc2[i]), eps = T(a.eps);
  const T cg = T(a.coef_grad[i]), cm = T(a.coef_avg[i]);
#pragma omp simd
  for (int64_t k = 0; k < n; ++k) {
    T gk = sgn * g[k];
    T pk = p[k];
    if constexpr (kWd == kDecoupled) pk = pk * decay;
    if constexpr (kWd == kL2) gk = fma(wd, pk, gk);
    const T mk = lerp(m[k], gk, w1, small);
    const T vk = fma(w2 * gk, gk, v[k] * beta2);
    m[k] = mk;
    v[k] = vk;
    const T denom = std::sqrt(vk / bc2) + eps;
    pk = pk + cg * gk / denom;
    p[k] = pk + cm * mk / denom;
  }
}

// p, g, sum: (n,) -> updated in place.
template <class T, bool kWd>
void adagrad_loop(const MultiTensor&, const AdagradArgs& a, int64_t i, int64_t b, int64_t e) {
  T* __restrict p = at<T>(a.param, i) + b;
  const T* __restrict g = at<T>(a.grad, i) + b;
  T* __restrict s = at<T>(a.sum, i) + b;
  const int64_t n = e - b;
  const T sgn = a.maximize ? T(-1) : T(1), wd = T(a.weight_decay);
  const T eps = T(a.eps), neg_clr = T(-a.clr[i]);
#pragma omp simd
  for (int64_t k = 0; k < n; ++k) {
    T gk = sgn * g[k];
    if constexpr (kWd) gk = fma(wd, p[k], gk);
    const T sk = fma(gk, gk, s[k]);
    s[k] = sk;
    p[k] = p[k] + neg_clr * gk / (std::sqrt(sk) + eps);
  }
}

// p, g, square_avg (, grad_avg, momentum_buffer): (n,) -> updated in place.
template <class T, bool kWd, bool kCentered, bool kMom>
void rmsprop_loop(const MultiTensor&, const RmspropArgs& a, int64_t i, int64_t b, int64_t e) {
  T* __restrict p = at<T>(a.param, i) + b;
  const T* __restrict g = at<T>(a.grad, i) + b;
  T* __restrict sq = at<T>(a.square_avg, i) + b;
  T* __restrict ga = kCentered ? at<T>(a.grad_avg, i) + b : nullptr;
  T* __restrict buf = kMom ? at<T>(a.buf, i) + b : nullptr;
  const int64_t n = e - b;
  const T sgn = a.maximize ? T(-1) : T(1), wd = T(a.weight_decay);
  const T alpha = T(a.alpha), w = T(1 - a.alpha), eps = T(a.eps), neg_lr = T(-a.lr);
  const T mom = T(a.momentum);
  const bool small = std::fabs(w) < T(0.5);
#pragma omp simd
  for (int64_t k = 0; k < n; ++k) {
    T gk = sgn * g[k];
    if constexpr (kWd) gk = fma(wd, p[k], gk);
    const T sk = fma(w * gk, gk, sq[k] * alpha);
    sq[k] = sk;
    T avg;
    if constexpr (kCentered) {
      const T gak = lerp(ga[k], gk, w, small);
      ga[k] = gak;
      avg = std::sqrt(fma(-gak, gak, sk));
    } else {
      avg = std::sqrt(sk);
    }
    avg = avg + eps;
    if constexpr (kMom) {
      const T bk = buf[k] * mom + gk / avg;
      buf[k] = bk;
      p[k] = fma(neg_lr, bk, p[k]);
    } else {
      p[k] = p[k] + neg_lr * gk / avg;
    }
  }
}

// p, g, square_avg, acc_delta: (n,) -> updated in place.
template <class T, bool kWd>
void adadelta_loop(const MultiTensor&, const AdadeltaArgs& a, int64_t i, int64_t b, int64_t e) {
  T* __restrict p = at<T>(a.param, i) + b;
  const T* __restrict g = at<T>(a.grad, i) + b;
  T* __restrict sq = at<T>(a.square_avg, i) + b;
  T* __restrict acc = at<T>(a.acc_delta, i) + b;
  const int64_t n = e - b;
  const T sgn = a.maximize ? T(-1) : T(1), wd = T(a.weight_decay);
  const T rho = T(a.rho), w = T(1 - a.rho), eps = T(a.eps), neg_lr = T(-a.lr);
#pragma omp simd
  for (int64_t k = 0; k < n; ++k) {
    T gk = sgn * g[k];
    if constexpr (kWd) gk = fma(wd, p[k], gk);
    const T sk = fma(w * gk, gk, sq[k] * rho);
    sq[k] = sk;
    const T std_k = std::sqrt(sk + eps);
    const T delta = std::sqrt(acc[k] + eps) / std_k * gk;
    acc[k] = fma(w * delta, delta, acc[k] * rho);
    p[k] = fma(neg_lr, delta, p[k]);
  }
}

// x: (n,) -> the block's partial of a p-norm: sum |x|^p, max |x| (p = inf), min |x| (p = -inf)
// or the nonzero count (p = 0); NaN propagates through max/min as through the sums.
template <class T>
double norm_partial(const void* xv, int64_t n, double p) {
  const T* __restrict x = static_cast<const T*>(xv);
  if (std::isinf(p)) {
    double r = p > 0 ? 0.0 : INFINITY;
    int64_t nan = 0;
    if (p > 0) {
#pragma omp simd reduction(max : r) reduction(+ : nan)
      for (int64_t k = 0; k < n; ++k) {
        const double ak = std::fabs(static_cast<double>(x[k]));
        r = ak > r ? ak : r;
        nan += x[k] != x[k];
      }
    } else {
#pragma omp simd reduction(min : r) reduction(+ : nan)
      for (int64_t k = 0; k < n; ++k) {
        const double ak = std::fabs(static_cast<double>(x[k]));
        r = ak < r ? ak : r;
        nan += x[k] != x[k];
      }
    }
    return nan ? NAN : r;
  }
  double s = 0;
  if (p == 2) {
#pragma omp simd reduction(+ : s)
    for (int64_t k = 0; k < n; ++k) s += static_cast<double>(x[k]) * static_cast<double>(x[k]);
  } else if (p == 1) {
#pragma omp simd reduction(+ : s)
    for (int64_t k = 0; k < n; ++k) s += std::fabs(static_cast<double>(x[k]));
  } else if (p == 0) {
#pragma omp simd reduction(+ : s)
    for (int64_t k = 0; k < n; ++k) s += x[k] != T(0) ? 1.0 : 0.0;
  } else {
    for (int64_t k = 0; k < n; ++k) s += std::pow(std::fabs(static_cast<double>(x[k])), p);
  }
  return s;
}

// x: (n,) -> x * s, in x's dtype.
template <class T>
void scale_loop(void* xv, int64_t n, double s) {
  T* __restrict x = static_cast<T*>(xv);
  const T c = T(s);
#pragma omp simd
  for (int64_t k = 0; k < n; ++k) x[k] = x[k] * c;
}

// x: (n,) -> min(max(x, lo), hi) with NaN kept, as torch.clamp_.
template <class T>
void clamp_loop(void* xv, int64_t n, double lo, double hi) {
  T* __restrict x = static_cast<T*>(xv);
  const T l = T(lo), h = T(hi);
#pragma omp simd
  for (int64_t k = 0; k < n; ++k) {
    const T v = x[k];
    T r = v < l ? l : v;
    r = r > h ? h : r;
    x[k] = v != v ? v : r;
  }
}

double norm_any(DType dt, const void* x, int64_t n, double p) {
  return dt == DType::Float64 ? norm_partial<double>(x, n, p) : norm_partial<float>(x, n, p);
}
void scale_any(DType dt, void* x, int64_t n, double s) {
  dt == DType::Float64 ? scale_loop<double>(x, n, s) : scale_loop<float>(x, n, s);
}
void clamp_any(DType dt, void* x, int64_t n, double lo, double hi) {
  dt == DType::Float64 ? clamp_loop<double>(x, n, lo, hi) : clamp_loop<float>(x, n, lo, hi);
}

// Picks the instantiation for the run-time options; dtype index 0 = float32, 1 = float64.
template <class T>
struct Pick {
  static void sgd(const MultiTensor& mt, const SgdArgs& a, int64_t i, int64_t b, int64_t e) {
    const bool wd = a.weight_decay != 0;
    const int mode = a.momentum == 0 ? 0 : a.nesterov ? 2 : 1;
    using F = void (*)(const MultiTensor&, const SgdArgs&, int64_t, int64_t, int64_t);
    static constexpr F table[2][3] = {
        {sgd_loop<T, false, 0>, sgd_loop<T, false, 1>, sgd_loop<T, false, 2>},
        {sgd_loop<T, true, 0>, sgd_loop<T, true, 1>, sgd_loop<T, true, 2>}};
    table[wd][mode](mt, a, i, b, e);
  }
  static int wd_mode(double wd, bool decoupled) {
    return wd == 0 ? kNoWd : decoupled ? kDecoupled : kL2;
  }
  static void adam(const MultiTensor& mt, const AdamArgs& a, int64_t i, int64_t b, int64_t e) {
    using F = void (*)(const MultiTensor&, const AdamArgs&, int64_t, int64_t, int64_t);
    static constexpr F table[3][2] = {
        {adam_loop<T, kNoWd, false>, adam_loop<T, kNoWd, true>},
        {adam_loop<T, kL2, false>, adam_loop<T, kL2, true>},
        {adam_loop<T, kDecoupled, false>, adam_loop<T, kDecoupled, true>}};
    table[wd_mode(a.weight_decay, a.decoupled)][a.amsgrad](mt, a, i, b, e);
  }
  static void nadam(const MultiTensor& mt, const NadamArgs& a, int64_t i, int64_t b, int64_t e) {
    using F = void (*)(const MultiTensor&, const NadamArgs&, int64_t, int64_t, int64_t);
    static constexpr F table[3] = {nadam_loop<T, kNoWd>, nadam_loop<T, kL2>,
                                   nadam_loop<T, kDecoupled>};
    table[wd_mode(a.weight_decay, a.decoupled)](mt, a, i, b, e);
  }
  static void adagrad(const MultiTensor& mt, const AdagradArgs& a, int64_t i, int64_t b,
                      int64_t e) {
    if (a.weight_decay != 0)
      adagrad_loop<T, true>(mt, a, i, b, e);
    else
      adagrad_loop<T, false>(mt, a, i, b, e);
  }
  static void rmsprop(const MultiTensor& mt, const RmspropArgs& a, int64_t i, int64_t b,
                      int64_t e) {
    using F = void (*)(const MultiTensor&, const RmspropArgs&, int64_t, int64_t, int64_t);
    static constexpr F table[2][2][2] = {
        {{rmsprop_loop<T, false, false, false>, rmsprop_loop<T, false, false, true>},
         {rmsprop_loop<T, false, true, false>, rmsprop_loop<T, false, true, true>}},
        {{rmsprop_loop<T, true, false, false>, rmsprop_loop<T, true, false, true>},
         {rmsprop_loop<T, true, true, false>, rmsprop_loop<T, true, true, true>}}};
    table[a.weight_decay != 0][a.centered][a.momentum > 0](mt, a, i, b, e);
  }
  static void adadelta(const MultiTensor& mt, const AdadeltaArgs& a, int64_t i, int64_t b,
                       int64_t e) {
    if (a.weight_decay != 0)
      adadelta_loop<T, true>(mt, a, i, b, e);
    else
      adadelta_loop<T, false>(mt, a, i, b, e);
  }
};

#define AX_OPTIM_BY_DTYPE(name, Args)                                                \
  void name(const MultiTensor& mt, const Args& a, int64_t i, int64_t b, int64_t e) { \
    if (mt.dtype == DType::Float64)                                                  \
      Pick<double>::name(mt, a, i, b, e);                                            \
    else                                                                             \
      Pick<float>::name(mt, a, i, b, e);                                             \
  }
AX_OPTIM_BY_DTYPE(sgd, SgdArgs)
AX_OPTIM_BY_DTYPE(adam, AdamArgs)
AX_OPTIM_BY_DTYPE(nadam, NadamArgs)
AX_OPTIM_BY_DTYPE(adagrad, AdagradArgs)
AX_OPTIM_BY_DTYPE(rmsprop, RmspropArgs)
AX_OPTIM_BY_DTYPE(adadelta, AdadeltaArgs)
#undef AX_OPTIM_BY_DTYPE

}  // namespace

const OptimKernels& optim_kernels() {
  static const OptimKernels k{sgd,      adam,     nadam,     adagrad,  rmsprop,
                              adadelta, norm_any, scale_any, clamp_any};
  return k;
}

}  // namespace ax::cpu::AX_ISA_NS

#pragma GCC pop_options
