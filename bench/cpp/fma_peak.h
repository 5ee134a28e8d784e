// Shared by the C++ benchmarks: a steady clock helper and the measured f32 FMA peak of an ISA
// (the yardstick for "% of peak"), so every bench divides by the same number.
#pragma once

#include <immintrin.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <thread>
#include <vector>

#include "axonite/core/cpu_features.h"

namespace bench {

using Clock = std::chrono::steady_clock;

inline double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// ---- FMA peak loops: 24 (zmm) / 12 (ymm) independent accumulators hide the 4-cycle latency
// on two FMA ports. Per-function target attributes keep this TU baseline otherwise.
__attribute__((target("avx512f"), noinline)) inline float peak_loop_avx512(int64_t iters) {
  __m512 acc[24];
  const __m512 x = _mm512_set1_ps(0.999999f), y = _mm512_set1_ps(1e-7f);
  for (int i = 0; i < 24; ++i) acc[i] = _mm512_set1_ps(static_cast<float>(i));
  for (int64_t it = 0; it < iters; ++it) {
#pragma GCC unroll 24
    for (int i = 0; i < 24; ++i) acc[i] = _mm512_fmadd_ps(acc[i], x, y);
  }
  __m512 s = acc[0];
  for (int i = 1; i < 24; ++i) s = _mm512_add_ps(s, acc[i]);
  float out[16];
  _mm512_storeu_ps(out, s);
  return out[0];
}
constexpr double kFlopsPerIterAvx512 = 24 * 16 * 2;

__attribute__((target("avx2,fma"), noinline)) inline float peak_loop_avx2(int64_t iters) {
  __m256 acc[12];
  const __m256 x = _mm256_set1_ps(0.999999f), y = _mm256_set1_ps(1e-7f);
  for (int i = 0; i < 12; ++i) acc[i] = _mm256_set1_ps(static_cast<float>(i));
  for (int64_t it = 0; it < iters; ++it) {
#pragma GCC unroll 12
    for (int i = 0; i < 12; ++i) acc[i] = _mm256_fmadd_ps(acc[i], x, y);
  }
  __m256 s = acc[0];
  for (int i = 1; i < 12; ++i) s = _mm256_add_ps(s, acc[i]);
  float out[8];
  _mm256_storeu_ps(out, s);
  return out[0];
}
constexpr double kFlopsPerIterAvx2 = 12 * 8 * 2;

// Baseline SSE2 has no FMA: a mul and an add per lane, 8 independent chains.
__attribute__((noinline)) inline float peak_loop_sse(int64_t iters) {
  __m128 acc[8];
  const __m128 x = _mm_set1_ps(0.999999f), y = _mm_set1_ps(1e-7f);
  for (int i = 0; i < 8; ++i) acc[i] = _mm_set1_ps(static_cast<float>(i));
  for (int64_t it = 0; it < iters; ++it) {
#pragma GCC unroll 8
    for (int i = 0; i < 8; ++i) acc[i] = _mm_add_ps(_mm_mul_ps(acc[i], x), y);
  }
  __m128 s = acc[0];
  for (int i = 1; i < 8; ++i) s = _mm_add_ps(s, acc[i]);
  return _mm_cvtss_f32(s);
}
constexpr double kFlopsPerIterSse = 8 * 4 * 2;

inline volatile float g_sink = 0;

// f32 peak GFLOP/s of `isa` with `threads` threads running the loop concurrently.
inline double measure_peak(ax::Isa isa, int threads) {
  float (*loop)(int64_t) = &peak_loop_sse;
  double fpi = kFlopsPerIterSse;
  if (isa == ax::Isa::Avx512) loop = &peak_loop_avx512, fpi = kFlopsPerIterAvx512;
  if (isa == ax::Isa::Avx2) loop = &peak_loop_avx2, fpi = kFlopsPerIterAvx2;
  const int64_t iters = 40000000;
  loop(iters / 10);  // warm up (and raise the clock / wide-vector license)
  double best = 0;
  for (int rep = 0; rep < 3; ++rep) {
    std::vector<std::thread> ts;
    const auto t0 = Clock::now();
    for (int t = 0; t < threads; ++t) ts.emplace_back([&] { g_sink = g_sink + loop(iters); });
    for (auto& t : ts) t.join();
    best = std::max(best, fpi * static_cast<double>(iters) * threads / seconds_since(t0) / 1e9);
  }
  return best;
}

}  // namespace bench
