// Transcendental functions for elementwise kernels. float32 versions are branch-free
// polynomial approximations (a few ulp) so that `omp simd` loops vectorize them; float64
// calls libm. Included into each ISA's translation unit.
#pragma once

#include <cmath>

namespace ax::cpu::math {

template <class T>
inline T exp(T x) {
  return std::exp(x);
}
template <class T>
inline T log(T x) {
  return std::log(x);
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
inline T tanh(T x) {
  return std::tanh(x);
}
template <class T>
inline T sigmoid(T x) {
  return T(1) / (T(1) + std::exp(-x));
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
