// Transcendental functions for elementwise kernels. The float32 versions of exp, log, tanh and
// sigmoid are branch-free Cephes-style polynomial approximations (within a few ulp over the
// whole range, NaN/Inf handled by selects) so that `omp simd` loops vectorize them in every
// ISA's translation unit; float64 and the rarer functions call libm.
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

inline float expf_poly(float x) {
  // exp(x) = 2^n * exp(r), r = x - n ln2 in [-ln2/2, ln2/2]; ln2 split in two for exactness.
  const float xc = x < -104.0f ? -104.0f : (x > 89.0f ? 89.0f : x);
  // Round to nearest with the 1.5 * 2^23 trick (vectorizes, unlike nearbyint).
  const float n = (xc * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
  const float r = (xc - n * 0.693359375f) + n * 2.12194440e-4f;
  const float r2 = r * r;
  float p = 1.9875691500e-4f;
  p = mad(p, r, 1.3981999507e-3f);
  p = mad(p, r, 8.3334519073e-3f);
  p = mad(p, r, 4.1665795894e-2f);
  p = mad(p, r, 1.6666665459e-1f);
  p = mad(p, r, 5.0000001201e-1f);
  p = mad(p, r2, r + 1.0f);
  // Two factors keep 2^n representable down to the subnormal range and up to overflow.
  const auto ni = static_cast<int32_t>(n);
  const int32_t n1 = ni >> 1;
  const float res = p * pow2i(n1) * pow2i(ni - n1);
  return x != x ? x : res;
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
  // Small |x|: odd polynomial (avoids cancellation in 1 - 2/(e^2x + 1)); large: via exp.
  const float ax = x < 0 ? -x : x;
  const float z = x * x;
  float p = -5.70498872745e-3f;
  p = mad(p, z, 2.06390887954e-2f);
  p = mad(p, z, -5.37397155531e-2f);
  p = mad(p, z, 1.33314422036e-1f);
  p = mad(p, z, -3.33332819422e-1f);
  const float small = mad(p * z, x, x);
  const float big = 1.0f - 2.0f / (detail::expf_poly(2.0f * ax) + 1.0f);
  const float res = ax < 0.625f ? small : (x < 0 ? -big : big);
  return x != x ? x : res;
}

template <class T>
inline T sigmoid(T x) {
  return T(1) / (T(1) + std::exp(-x));
}
template <>
inline float sigmoid<float>(float x) {
  return 1.0f / (1.0f + detail::expf_poly(-x));
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
