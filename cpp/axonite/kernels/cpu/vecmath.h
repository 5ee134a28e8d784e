// Transcendental functions for elementwise kernels. The float32 versions of exp, log, tanh and
// sigmoid are branch-free polynomial approximations (within 2 ulp over the whole range, NaN/Inf
// and subnormals handled by selects) so that `omp simd` loops vectorize them in every ISA's
// translation unit; float64 and the rarer functions call libm. Vectorized, they are bound by
// vector-port throughput (not latency), so each saved op or select shows in the timings.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>

namespace ax::cpu::math {

namespace detail {
// a * b + c, fused where the translation unit targets FMA. Explicit (not contracted by the
// compiler) so that a vectorized loop body and its scalar remainder round identically, which
// keeps results independent of where threads split the range.
#if defined(__FMA__)
inline float mad(float a, float b, float c) { return __builtin_fmaf(a, b, c); }
#else
inline float mad(float a, float b, float c) { return a * b + c; }
#endif
inline float bits_to_float(int32_t i) {
  float f;
  std::memcpy(&f, &i, sizeof f);
  return f;
}
inline int32_t float_to_bits(float f) {
  int32_t i;
  std::memcpy(&i, &f, sizeof i);
  return i;
}
// 2^n for n in [-126, 127], built from the exponent bits.
inline float pow2i(int32_t n) { return bits_to_float((n + 127) << 23); }
// p * 2^k for p and the result normal, by adding k to p's exponent field. In uint32_t: k may
// be negative, and for an input whose result the caller discards (NaN, x above the overflow
// bound) the shift or sum may wrap; both are undefined on int32_t (UBSan), the same bits here.
inline float add_to_exponent(float p, int32_t k) {
  const uint32_t bits = static_cast<uint32_t>(float_to_bits(p)) + (static_cast<uint32_t>(k) << 23);
  return bits_to_float(static_cast<int32_t>(bits));
}

// Range reduction for e^x: x = n ln2 + r, |r| <= ln2/2. Adding kShifter (1.5 * 2^23) rounds
// x log2(e) to the integer n, which then also sits in the low bits of the sum; ln2 is split so
// that n * kLn2Hi is exact.
constexpr float kLog2e = 1.44269504088896341f;
constexpr float kLn2Hi = 0.693359375f;
constexpr float kLn2Lo = -2.12194440e-4f;
constexpr float kShifter = 12582912.0f;
constexpr int32_t kShifterBits = 0x4b400000;

// (e^r - 1 - r) / r^2 for |r| <= ln2/2: minimax for the relative error of e^r (< 4e-9, far
// below float rounding), so e^r = 1 + r + r^2 * tail takes 6 FMAs.
inline float expm1_tail(float r) {
  float p = 1.379173133e-3f;
  p = mad(p, r, 8.368829265e-3f);
  p = mad(p, r, 4.166880250e-2f);
  p = mad(p, r, 1.666651964e-1f);
  return mad(p, r, 4.999999106e-1f);
}

// e^x, < 1 ulp (0.88 measured; subnormal results rounded correctly), NaN and +-inf handled.
// The cost is counted in vector ops (it is port-bound): selects only where needed, no libm.
inline float expf_poly(float x) {
  const float xc = x < -104.0f ? -104.0f : x;  // e^-104 rounds to 0; NaN passes
  const float t = mad(xc, kLog2e, kShifter);
  const float n = t - kShifter;
  const int32_t k = float_to_bits(t) - kShifterBits;
  float r = mad(n, -kLn2Hi, xc);
  r = mad(n, -kLn2Lo, r);
  const float p = mad(mad(expm1_tail(r), r, 1.0f), r, 1.0f);  // e^r in [0.7, 1.42]
  // p * 2^k by adding k to p's exponent. Negative k goes in two steps: exactly to
  // p * 2^(k + 64), still normal, then one rounding multiply by 2^-64, so that subnormal
  // results round correctly.
  const bool low = k < 0;
  const int32_t kk = low ? k + 64 : k;
  const float scale = low ? 5.42101086e-20f : 1.0f;
  const float res = add_to_exponent(p, kk) * scale;
  // Above the largest float whose e^x is finite: inf (x + inf also keeps NaN as NaN).
  return x <= 88.72283172607421875f ? res : x + INFINITY;
}

// e^x for x <= 0 or NaN: expf_poly without the overflow branch; every k <= 0 takes the
// two-step scaling (k + 64 stays in [-86, 64]).
inline float expf_nonpos(float x) {
  const float xc = x < -104.0f ? -104.0f : x;
  const float t = mad(xc, kLog2e, kShifter);
  const float n = t - kShifter;
  float r = mad(n, -kLn2Hi, xc);
  r = mad(n, -kLn2Lo, r);
  const float p = mad(mad(expm1_tail(r), r, 1.0f), r, 1.0f);
  const int32_t k64 = float_to_bits(t) - (kShifterBits - 64);
  return add_to_exponent(p, k64) * 5.42101086e-20f;
}
}  // namespace detail

using detail::mad;

template <class T>
inline T exp(T x) {
  return std::exp(x);
}
template <>
inline float exp<float>(float x) {
  return detail::expf_poly(x);
}

template <class T>
inline T log(T x) {
  return std::log(x);
}
template <>
inline float log<float>(float x) {
  using detail::bits_to_float;
  using detail::float_to_bits;
  // Every arithmetic op below runs unconditionally and ternaries only select between computed
  // values: GCC will not if-convert (vectorize) a conditionally executed FP op that may trap.
  // Subnormals are scaled into the normal range first (exponent corrected by 23 below).
  const bool sub = x < 1.17549435e-38f;
  const float scaled = x * 8388608.0f;
  const float xs = sub ? scaled : x;
  const int32_t bits = float_to_bits(xs);
  const float e0 = static_cast<float>(((bits >> 23) & 0xff) - 126);
  const float e1 = e0 - 23.0f;
  float e = sub ? e1 : e0;
  const float m0 = bits_to_float((bits & 0x007fffff) | 0x3f000000);  // mantissa in [0.5, 1)
  // Shift m into [sqrt(0.5), sqrt(2)) so that f = m - 1 is small.
  const bool small = m0 < 0.707106781186547524f;
  const float e_small = e - 1.0f;
  const float m_small = m0 + m0;
  e = small ? e_small : e;
  const float m = small ? m_small : m0;
  const float f = m - 1.0f;
  const float z = f * f;
  float p = 7.0376836292e-2f;
  p = mad(p, f, -1.1514610310e-1f);
  p = mad(p, f, 1.1676998740e-1f);
  p = mad(p, f, -1.2420140846e-1f);
  p = mad(p, f, 1.4249322787e-1f);
  p = mad(p, f, -1.6668057665e-1f);
  p = mad(p, f, 2.0000714765e-1f);
  p = mad(p, f, -2.4999993993e-1f);
  p = mad(p, f, 3.3333331174e-1f);
  float y = f * z * p;
  y += -2.12194440e-4f * e;
  y += -0.5f * z;
  float res = f + y + 0.693359375f * e;
  res = x == 0.0f ? -INFINITY : res;
  res = x < 0.0f ? NAN : res;
  res = x == INFINITY ? x : res;
  return x != x ? x : res;
}

template <class T>
inline T tanh(T x) {
  return std::tanh(x);
}
template <>
inline float tanh<float>(float x) {
  // 1.31 ulp measured. |x| < 0.625: odd polynomial (1 - 2/(e+1) would cancel there).
  using namespace detail;
  const float ax = std::fabs(x);
  const float x2 = x * x;
  float p = -5.70498872745e-3f;
  p = mad(p, x2, 2.06390887954e-2f);
  p = mad(p, x2, -5.37397155531e-2f);
  p = mad(p, x2, 1.33314422036e-1f);
  p = mad(p, x2, -3.33332819422e-1f);
  const float small = mad(p * x2, ax, ax);
  // Otherwise 1 - 2 / (e^2|x| + 1). |x| is capped at 10, where tanh already rounds to 1 (it
  // does only above 9.011), so e^2|x| = e^r * 2^n needs neither overflow nor subnormal
  // handling (n <= 29).
  const float z = 2.0f * (ax > 10.0f ? 10.0f : ax);
  const float t = mad(z, kLog2e, kShifter);
  const float n = t - kShifter;
  float r = mad(n, -kLn2Hi, z);
  r = mad(n, -kLn2Lo, r);
  const float e = mad(mad(expm1_tail(r), r, 1.0f), r, 1.0f);
  const float s = add_to_exponent(1.0f, float_to_bits(t) - kShifterBits);  // 2^n; NaN-safe
  const float big = 1.0f - 2.0f / mad(e, s, 1.0f);
  return std::copysign(ax < 0.625f ? small : big, x);  // NaN stays NaN
}

template <class T>
inline T sigmoid(T x) {
  return T(1) / (T(1) + std::exp(-x));
}
template <>
inline float sigmoid<float>(float x) {
  // 1.87 ulp measured, down to the subnormal results of x < -87 (1 / (1 + e^-x) gives 0 there).
  // e = e^-|x| never overflows; x < 0 takes e / (1 + e).
  using namespace detail;
  const float e = expf_nonpos(-std::fabs(x));
  const float d = 1.0f + e;
  // d's rounding error delta (exact by Fast2Sum, as 1 >= e) would cost up to another ulp:
  // remove it to first order, num / (d + delta) ~ res - res * delta / d, with 1/d from a
  // 1%-accurate quadratic that is ready before the division is.
  const float delta = e - (d - 1.0f);
  const float c = delta * mad(mad(0.32322367f, e, -0.80805977f), e, 0.9898907f);
  const float res = (x < 0.0f ? e : 1.0f) / d;
  const float fixed = mad(-res, c, res);
  return x != x ? x : fixed;
}

template <class T>
inline T log1p(T x) {
  return std::log1p(x);
}
template <class T>
inline T expm1(T x) {
  return std::expm1(x);
}
template <class T>
inline T sin(T x) {
  return std::sin(x);
}
template <class T>
inline T cos(T x) {
  return std::cos(x);
}

}  // namespace ax::cpu::math
