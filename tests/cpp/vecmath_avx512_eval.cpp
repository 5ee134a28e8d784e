// vecmath_avx512.h's functions over arrays, compiled with AVX-512 flags (tests/cpp/CMakeLists)
// apart from the test itself, which stays baseline code so that it can skip on other CPUs.
#include <cstdint>

#include "axonite/kernels/cpu/vecmath_avx512.h"

void v512_sigmoid(const float* x, float* y, int64_t n) {
  ax::cpu::math::v512::map(x, y, n, [](__m512 v) { return ax::cpu::math::v512::sigmoid(v); });
}
void v512_tanh(const float* x, float* y, int64_t n) {
  ax::cpu::math::v512::map(x, y, n, [](__m512 v) { return ax::cpu::math::v512::tanh(v); });
}
