// vecmath_avx512.h's functions over arrays, compiled with AVX-512 flags (tests/cpp/CMakeLists)
// apart from the test itself, which stays baseline code so that it can skip on other CPUs.
#include <cstdint>

#include "axonite/kernels/cpu/vecmath_avx512.h"

namespace {
template <class F>
void apply(const float* x, float* y, int64_t n, const F& f) {
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) _mm512_storeu_ps(y + i, f(_mm512_loadu_ps(x + i)));
  const __mmask16 m = static_cast<__mmask16>((1u << (n - i)) - 1);
  _mm512_mask_storeu_ps(y + i, m, f(_mm512_maskz_loadu_ps(m, x + i)));
}
}  // namespace

void v512_sigmoid(const float* x, float* y, int64_t n) {
  apply(x, y, n, [](__m512 v) { return ax::cpu::math::v512::sigmoid(v); });
}
void v512_tanh(const float* x, float* y, int64_t n) {
  apply(x, y, n, [](__m512 v) { return ax::cpu::math::v512::tanh(v); });
}
